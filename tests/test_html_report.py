"""`--format html`, rendered in headless Chromium (Debian's `chromium`): the assertions are on the rendered
page (a screenshot's pixels and the layout the browser computed), not only on the HTML text.

Skips cleanly where Chromium is absent (`apt-get install chromium fonts-dejavu-core`).
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from podcap.model.findings import Finding, Severity
from podcap.model.result import CheckResult, NodegroupSummary, SubnetUsage
from podcap.report import FORMATS
from podcap.report.html import COLORS

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian's chromium) not installed")
WIDTH = 1200


def _result() -> CheckResult:
    short = SubnetUsage("SubnetA", "10.0.0.0/26", "us-east-1a", "both", usable=59, at_min=62, at_desired=92,
                        at_max=182, nodegroups=["general"])
    ok = SubnetUsage("SubnetB", "10.0.1.0/24", "us-east-1b", "both", usable=251, at_min=62, at_desired=92,
                     at_max=182, nodegroups=["general"])
    pd = SubnetUsage("SubnetC", "10.0.2.0/24", "us-east-1c", "both", usable=251, at_min=20, at_desired=40,
                     at_max=200, nodegroups=["pd"], free_prefix_blocks=14, prefix_blocks_at_max=12)
    findings = [
        Finding("PC201", Severity.ERROR, "Subnet exhausted at node-group max size",
                "subnet SubnetA needs 182 addresses at max size but has 59 usable", "SubnetA",
                fix="needs a /24 (251 usable) or larger, has a /26"),
        Finding("PC202", Severity.WARNING, "Subnet exhausted during a managed node group update at max size",
                "subnet SubnetB: an update of node group general (surge of 4 nodes): 242 addresses", "SubnetB",
                fix="needs a /24", data={"need": 242, "usable": 251}),
    ]
    ngs = [NodegroupSummary("general", ["m5.large"], 3, 6, 12, 29, 29, 27, 30)]
    return CheckResult(inputs=["template.yaml"], findings=findings, subnets=[short, ok, pd], nodegroups=ngs)


def _chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--hide-scrollbars", "--force-device-scale-factor=1", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _png_rows(path: Path) -> tuple[int, int, list[bytes], int]:
    """A minimal PNG reader (8-bit RGB/RGBA, not interlaced: what Chromium writes): (width, height, rows, bpp)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = color = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            idat += body
    bpp = 4 if color == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _runs(row: bytes, bpp: int, color: tuple[int, int, int], tol: int = 6) -> list[tuple[int, int]]:
    """(start, length) of the horizontal runs of `color` in one pixel row."""
    out, start = [], None
    n = len(row) // bpp
    for x in range(n + 1):
        hit = x < n and all(abs(row[x * bpp + k] - color[k]) <= tol for k in range(3))
        if hit and start is None:
            start = x
        elif not hit and start is not None:
            out.append((start, x - start))
            start = None
    return out


@needs_chromium
def test_screenshot_bars_show_the_shortfall_in_proportion(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(FORMATS["html"](_result()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    r = _chromium([f"--window-size={WIDTH},1600", f"--screenshot={shot}", page.as_uri()], tmp_path)
    assert shot.is_file(), r.stderr[-2000:]
    width, _height, rows, bpp = _png_rows(shot)
    assert width == WIDTH
    red, grey, light = _rgb(COLORS["over"]), _rgb(COLORS["usable"]), _rgb(COLORS["max"])
    # the longest red run is SubnetA's shortfall: at max 182 against 59 usable -> (182 - 59) / 182 = 67.6 %
    # of its bar, whose scale is 182 (the largest figure). Its bar starts with the dark-green band row-wise,
    # so measure the red run against the whole bar span (first to last non-white pixel on that row).
    best = max(((y, run) for y, row in enumerate(rows) for run in _runs(row, bpp, red)), key=lambda t: t[1][1])
    y, (start, length) = best
    row = rows[y]
    bar_colors = [_rgb(COLORS[k]) for k in ("usable", "min", "desired", "max", "over", "limit")]
    painted = [x for x in range(width) if any(all(abs(row[x * bpp + k] - c[k]) <= 6 for k in range(3))
                                              for c in bar_colors)]
    bar_start, bar_end = painted[0], painted[-1] + 1
    ratio = length / (bar_end - bar_start)
    assert abs(ratio - (182 - 59) / 182) < 0.02, (ratio, start, length, bar_start, bar_end)
    # the red part lies at the right end of the bar: past the usable 59 / 182 = 32.4 %
    assert abs((start - bar_start) / (bar_end - bar_start) - 59 / 182) < 0.02
    # SubnetB fits: light green (at max 182) then grey (free 251 - 182 = 69) on the same bar, no red in it
    fit_rows = [rw for rw in rows if _runs(rw, bpp, light) and _runs(rw, bpp, grey) and not _runs(rw, bpp, red)]
    assert fit_rows, "no bar with free addresses left"
    g = max((run for rw in fit_rows for run in _runs(rw, bpp, grey)), key=lambda t: t[1])
    lg = max((run for rw in fit_rows for run in _runs(rw, bpp, light)), key=lambda t: t[1])
    # SubnetB's scale is 251 (its usable addresses, the largest figure): the grey (free) part starts at at-max
    # 182 / 251 = 72.5 % and runs to the orange surge mark at the PC202 need 242 / 251 = 96.4 %
    span = bar_end - bar_start
    assert abs((g[0] - bar_start) / span - 182 / 251) < 0.02, g
    assert abs((g[0] + g[1] - bar_start) / span - 242 / 251) < 0.02, g
    assert lg[1] > g[1]
    # the surge mark (PC202 need 242) is drawn in orange, the /28 bar of SubnetC in blue
    assert any(_runs(rw, bpp, _rgb(COLORS["surge"])) for rw in rows)
    assert any(_runs(rw, bpp, _rgb(COLORS["blocks"])) for rw in rows)


_MEASURE = """<script>
window.addEventListener('load', () => {
  const out = [];
  out.push('scroll=' + document.documentElement.scrollWidth);
  for (const sec of document.querySelectorAll('section.subnet')) {
    const bar = sec.querySelector('svg.bar').getBoundingClientRect();
    const over = sec.querySelector('svg.bar rect.over');
    const ow = over ? over.getBoundingClientRect().width : 0;
    out.push(sec.dataset.subnet + ' bar=' + bar.width.toFixed(1) + ' over=' + ow.toFixed(1));
  }
  for (const f of document.querySelectorAll('.finding .fix')) out.push('fix=' + f.getBoundingClientRect().height);
  const pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = out.join('\\n');
  document.body.appendChild(pre);
});
</script>"""


@needs_chromium
def test_layout_reads_at_1200px(tmp_path):
    html = FORMATS["html"](_result())
    assert "http://" not in html and "https://" not in html.replace('href="https://', "")  # no network
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    r = _chromium([f"--window-size={WIDTH},900", "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                  tmp_path)
    dom = r.stdout
    assert 'id="measure"' in dom, r.stderr[-2000:]
    text = dom.split('id="measure">', 1)[1].split("</pre>", 1)[0]
    lines = dict(ln.split(" ", 1) if " " in ln else (ln, "") for ln in text.splitlines())
    scroll = int(next(ln for ln in text.splitlines() if ln.startswith("scroll=")).split("=")[1])
    assert scroll <= WIDTH  # nothing wider than the window: no horizontal scrolling at 1200 px
    a = dict(kv.split("=") for kv in lines["SubnetA"].split())
    bar, over = float(a["bar"]), float(a["over"])
    assert bar > 900  # the bar spans the card (1160 px content minus padding)
    assert abs(over / bar - (182 - 59) / 182) < 0.01  # the browser laid the shortfall out at 67.6 %
    b = dict(kv.split("=") for kv in lines["SubnetB"].split())
    assert float(b["over"]) == 0  # SubnetB holds its 182 addresses
    fixes = [float(ln.split("=")[1]) for ln in text.splitlines() if ln.startswith("fix=")]
    assert len(fixes) == 2 and all(h > 0 for h in fixes)  # each finding shows its fix


def test_html_is_self_contained_and_escaped():
    res = _result()
    res.subnets[0].subnet = "Subnet<A>&"
    html = FORMATS["html"](res)
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html and "<svg" in html
    assert "Subnet&lt;A&gt;&amp;" in html and "Subnet<A>" not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html
