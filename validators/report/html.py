"""`--format html`: one self-contained page people look at (inline CSS and SVG; no script, font or
image from the network).

Per subnet, a bar of its usable addresses against the addresses taken at min, desired and max size,
with marks for a managed node group update's surge (PC202) and a lost AZ (PC203) where those rules
found the subnet short, and, under prefix delegation, a second bar of free aligned /28 blocks against
the blocks held at max. Then the node-group table and the findings with their fixes. The page reads at
1200 px wide (the content is at most 1160 px and the tables wrap their cells).
"""
from __future__ import annotations

from collections.abc import Mapping
from html import escape

from podcap.model.findings import Finding, Severity
from podcap.model.result import CheckResult, SubnetUsage
from podcap.report._common import (
    TOOL_NAME,
    TOOL_VERSION,
    counts_text,
    headroom,
    location_text,
    num,
    rule_entries,
    size_range,
    split,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# Flat colours (the rendering test looks for them in a screenshot): keep them distinct.
COLORS = {
    "usable": "#d9d9d9",  # the subnet's usable addresses
    "min": "#1b5e20",  # taken at min size
    "desired": "#43a047",  # taken at desired size
    "max": "#a5d6a7",  # taken at max size, within usable
    "over": "#d32f2f",  # taken at max size beyond usable: the shortfall
    "limit": "#000000",  # the end of the usable addresses
    "surge": "#ff9800",  # need during a managed node group update (PC202)
    "lost_az": "#7b1fa2",  # need with an AZ lost (PC203)
    "blocks": "#1565c0",  # /28 blocks held at max (prefix delegation)
}
SEVERITY_COLORS = {Severity.ERROR: "#b71c1c", Severity.WARNING: "#e65100", Severity.INFO: "#01579b"}
BAR_W, BAR_H = 1000, 28

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 "DejaVu Sans",Arial,Helvetica,sans-serif;color:#1a1a1a;background:#fff}
main{max-width:1160px;margin:0 auto;padding:20px 20px 40px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid #ccc}
h3{font-size:16px;margin:0 0 6px;overflow-wrap:anywhere}
.meta{color:#555;overflow-wrap:anywhere}.summary{font-weight:bold;margin:8px 0}
.subnet{border:1px solid #ddd;border-radius:6px;padding:12px 14px;margin:0 0 14px}
.subnet.short{border-color:#ef9a9a;border-width:2px}
svg.bar{display:block;width:100%;height:28px;margin:6px 0}
svg.blocks{display:block;width:100%;height:14px;margin:4px 0}
.figures{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:14px}
.sw{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border:1px solid #999}
table{border-collapse:collapse;width:100%;table-layout:auto;font-size:14px}
th,td{border:1px solid #ddd;padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f3f3}td.n{text-align:right;white-space:nowrap}
.finding{border-left:5px solid #999;padding:8px 12px;margin:0 0 12px;background:#fafafa}
.finding .head{font-weight:bold;overflow-wrap:anywhere}.finding .msg,.finding .fix{overflow-wrap:anywhere}
.finding .fix{margin-top:4px}.finding.known{opacity:.7}
.badge{display:inline-block;color:#fff;border-radius:3px;padding:0 6px;margin-right:6px;font-size:13px}
code{font-family:"DejaVu Sans Mono",monospace;font-size:13px;overflow-wrap:anywhere}
"""


def _e(v: Any) -> str:
    return escape("" if v is None else str(v), quote=True)


def _marks(result: CheckResult) -> dict[str, dict[str, int]]:
    """subnet -> {"surge": need, "lost_az": need} from the PC202 / PC203 findings."""
    out: dict[str, dict[str, int]] = {}
    for f in result.findings:
        need = f.data.get("need") if isinstance(f.data, dict) else None
        if isinstance(need, int) and not isinstance(need, bool) and f.rule_id in ("PC202", "PC203"):
            key = "surge" if f.rule_id == "PC202" else "lost_az"
            out.setdefault(f.resource, {})[key] = max(need, out.get(f.resource, {}).get(key, 0))
    return out


def _x(v: int, scale: float) -> int:
    return max(0, min(BAR_W, round(v * scale)))


def subnet_bar(s: SubnetUsage, marks: Mapping[str, int]) -> str:
    """The address bar of one subnet as inline SVG (a 1000-unit wide view box stretched to the card)."""
    usable = s.usable or 0
    figures = [usable, s.at_min or 0, s.at_desired or 0, s.at_max or 0, *marks.values()]
    scale = BAR_W / max(max(figures), 1)
    parts = [f'<rect class="usable" x="0" y="4" width="{_x(usable, scale)}" height="20" fill="{COLORS["usable"]}"/>']
    at_max = s.at_max or 0
    within = min(at_max, usable)
    if within:
        parts.append(f'<rect class="at-max" x="0" y="4" width="{_x(within, scale)}" height="20" '
                     f'fill="{COLORS["max"]}"/>')
    if at_max > usable:
        parts.append(f'<rect class="over" x="{_x(usable, scale)}" y="4" width="{_x(at_max, scale) - _x(usable, scale)}" '
                     f'height="20" fill="{COLORS["over"]}"/>')
    for key, y, h in (("desired", 9, 10), ("min", 12, 4)):  # inner bands: their level shows even past usable
        v = getattr(s, f"at_{key}") or 0
        if v:
            parts.append(f'<rect class="at-{key}" x="0" y="{y}" width="{_x(v, scale)}" height="{h}" '
                         f'fill="{COLORS[key]}"/>')
    for key, v in marks.items():
        x = min(_x(v, scale), BAR_W - 6)
        parts.append(f'<rect class="mark-{key.replace("_", "-")}" x="{x}" y="0" width="6" height="{BAR_H}" '
                     f'fill="{COLORS[key]}"/>')
    parts.append(f'<rect class="limit" x="{max(_x(usable, scale) - 2, 0)}" y="0" width="3" height="{BAR_H}" '
                 f'fill="{COLORS["limit"]}"/>')
    title = (f"{s.subnet}: usable {num(s.usable)}, at min {num(s.at_min)}, at desired {num(s.at_desired)}, "
             f"at max {num(s.at_max)}")
    return (f'<svg class="bar" viewBox="0 0 {BAR_W} {BAR_H}" preserveAspectRatio="none" shape-rendering="crispEdges" '
            f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>{"".join(parts)}</svg>')


def blocks_bar(s: SubnetUsage) -> str:
    """Prefix delegation: free aligned /28 blocks against the blocks held at max size."""
    free, need = s.free_prefix_blocks or 0, s.prefix_blocks_at_max or 0
    scale = BAR_W / max(free, need, 1)
    parts = [f'<rect x="0" y="0" width="{_x(free, scale)}" height="14" fill="{COLORS["usable"]}"/>',
             (f'<rect class="blocks" x="0" y="0" width="{_x(min(need, free), scale)}" height="14" '
             f'fill="{COLORS["blocks"]}"/>')]
    if need > free:
        parts.append(f'<rect class="over" x="{_x(free, scale)}" y="0" width="{_x(need, scale) - _x(free, scale)}" '
                     f'height="14" fill="{COLORS["over"]}"/>')
    label = f"{s.subnet}: /28 blocks free {num(s.free_prefix_blocks)}, held at max {num(s.prefix_blocks_at_max)}"
    return (f'<svg class="blocks" viewBox="0 0 {BAR_W} 14" preserveAspectRatio="none" shape-rendering="crispEdges" '
            f'role="img" aria-label="{_e(label)}"><title>{_e(label)}</title>{"".join(parts)}</svg>')


def _sw(key: str) -> str:
    return f'<span class="sw" style="background:{COLORS[key]}"></span>'


def _subnet(s: SubnetUsage, marks: Mapping[str, int], delta: Any) -> str:
    free = headroom(s.usable, s.at_max)
    short = (free is not None and free < 0) or (
        s.free_prefix_blocks is not None and s.prefix_blocks_at_max is not None
        and s.prefix_blocks_at_max > s.free_prefix_blocks)
    figs = [
        f"{_sw('usable')}usable {num(s.usable)}", f"{_sw('min')}at min {num(s.at_min)}",
        f"{_sw('desired')}at desired {num(s.at_desired)}", f"{_sw('max')}at max {num(s.at_max)}",
        (f"{_sw('over')}" if short else "") + f"free at max <b>{num(free)}</b>",
    ]
    if "surge" in marks:
        figs.append(f"{_sw('surge')}during an update {marks['surge']}")
    if "lost_az" in marks:
        figs.append(f"{_sw('lost_az')}with an AZ lost {marks['lost_az']}")
    body = [subnet_bar(s, marks)]
    if s.prefix_blocks_at_max:
        body.append(blocks_bar(s))
        figs.append(f"{_sw('blocks')}/28 blocks at max {num(s.prefix_blocks_at_max)} of "
                    f"{num(s.free_prefix_blocks)} free")
    if delta is not None:
        figs.append(_e(delta.sentence()))
    head = (f"<h3>{_e(s.subnet)} <span class=\"meta\">{_e(s.az or '?')} &middot; {_e(s.cidr or '?')} &middot; "
            f"{_e(getattr(s.role, 'value', s.role))} &middot; node groups: {_e(', '.join(s.nodegroups) or '-')}"
            "</span></h3>")
    note = f'<div class="meta">note: {_e(s.note)}</div>' if s.note else ""
    return (f'<section class="subnet{" short" if short else ""}" data-subnet="{_e(s.subnet)}">{head}'
            + "".join(body) + '<div class="figures">' + "".join(f"<span>{x}</span>" for x in figs) + "</div>"
            + note + "</section>")


def _nodegroups(result: CheckResult) -> str:
    heads = ["Node group", "Types", "Min/desired/max", "Max pods", "Network max pods", "Pods/node",
             "Addresses/node", "Note"]
    rows = []
    for n in result.nodegroups:
        cells = [f"<td><code>{_e(n.name)}</code></td>",
                 f"<td>{_e(', '.join(str(t) for t in n.instance_types) or '?')}</td>",
                 f'<td class="n">{_e(size_range(n.min_size, n.desired_size, n.max_size))}</td>',
                 f'<td class="n">{num(n.max_pods)}</td>', f'<td class="n">{num(n.network_max_pods)}</td>',
                 f'<td class="n">{num(n.pods_per_node)}</td>', f'<td class="n">{num(n.addresses_per_node)}</td>',
                 f"<td>{_e(n.note)}</td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table class="nodegroups"><thead><tr>' + "".join(f"<th>{h}</th>" for h in heads)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _finding(f: Finding, links: Mapping[str, str | None], known: bool) -> str:
    color = "#9e9e9e" if f.suppressed is not None else SEVERITY_COLORS[f.severity]
    uri = links.get(f.rule_id)
    rid = f'<a href="{_e(uri)}">{_e(f.rule_id)}</a>' if uri else _e(f.rule_id)
    loc = location_text(f)
    head = (f'<div class="head"><span class="badge" style="background:{color}">{_e(f.severity.value)}</span>'
            f"{rid} <code>{_e(f.resource)}</code>" + (f" ({_e(loc)})" if loc else "")
            + (f" &mdash; {_e(f.title)}" if f.title else "") + (" [in baseline]" if known else "") + "</div>")
    msg = f'<div class="msg">{_e(f.message)}</div>'
    if f.suppressed is not None:
        extra = f'<div class="fix">suppressed ({_e(f.suppressed.source or "")}): {_e(f.suppressed.reason)}</div>'
    else:
        extra = f'<div class="fix"><b>Fix:</b> {_e(f.fix)}</div>' if f.fix else ""
    cls = "finding" + (" known" if known else "")
    return (f'<div class="{cls}" data-rule="{_e(f.rule_id)}" style="border-left-color:{color}">'
            f"{head}{msg}{extra}</div>")


def render(
    result: CheckResult,
    *,
    rules: Mapping[str, Any] | None = None,
    tool_version: str = TOOL_VERSION,
) -> str:
    counts = result.counts()
    active, suppressed = split(result.findings)
    links = {r.id: r.help_uri for r in rule_entries(result.findings, rules)}
    marks = _marks(result)
    base = result.baseline
    deltas = {d.subnet: d for d in base.subnets} if base is not None else {}
    verdict = "#b71c1c" if counts["error"] else "#e65100" if counts["warning"] else "#1b5e20"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TOOL_NAME)} report: {_e(', '.join(result.inputs) or '-')}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(TOOL_NAME)} report</h1>",
        (f'<div class="meta">{_e(TOOL_NAME)} {_e(tool_version)} &middot; checked: '
        f"{_e(', '.join(result.inputs) or '-')}</div>"),
        f'<div class="summary" style="color:{verdict}">{_e(counts_text(counts))}</div>',
    ]
    if base is not None:
        known = sum(1 for f in active if base.contains(f))
        out.append(f'<div class="meta">baseline {_e(base.file)}: {len(active) - known} new, {known} already '
                   f"in the baseline, {len(base.fixed)} fixed</div>")
    if result.subnets:
        out.append("<h2>Subnets (addresses)</h2>")
        out += [_subnet(s, marks.get(s.subnet, {}), deltas.get(s.subnet)) for s in result.subnets]
        gone = [d for d in deltas.values() if d.status == "removed"]
        out += [f'<div class="meta">{_e(d.sentence())}</div>' for d in gone]
    if result.nodegroups:
        out += ["<h2>Node groups</h2>", _nodegroups(result)]
    out.append(f"<h2>Findings ({len(active)})</h2>")
    if active:
        out += [_finding(f, links, base is not None and base.contains(f)) for f in active]
    else:
        out.append("<p>No findings.</p>")
    if suppressed:
        out.append(f"<h2>Suppressed ({len(suppressed)})</h2>")
        out += [_finding(f, links, False) for f in suppressed]
    if result.notes:
        out += ["<h2>Notes</h2>", "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in result.notes) + "</ul>"]
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
