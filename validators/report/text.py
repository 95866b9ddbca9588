"""`--format text`: console output for people (tables, then findings by severity, then a summary).

Plain text unless ``color=True``. Figures podcap could not work out print as ``?``. No line is longer
than ``width`` (the terminal's width, 100 when the output is not a terminal): messages wrap, and a table
too wide for it is shown as one block per row instead.
"""
from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Mapping, Sequence

from podcap.model.findings import Finding, Severity
from podcap.model.result import CheckResult
from podcap.report._common import (
    SEVERITY_LETTER,
    SEVERITY_ORDER,
    TOOL_NAME,
    TOOL_VERSION,
    counts_text,
    headroom,
    location_text,
    num,
    plural,
    size_range,
    split,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

_RESET = "\x1b[0m"
_COLORS = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFO: "\x1b[36m",
    "dim": "\x1b[2m",
    "bold": "\x1b[1m",
}
_HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}
DEFAULT_WIDTH = 100  # when the output is not a terminal (CI logs, files, pipes)
MIN_WIDTH = 40


def output_width(stream: Any = None) -> int:
    """The terminal's width when `stream` (default stdout) is a terminal, else 100; ``COLUMNS`` wins."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return max(int(env), MIN_WIDTH)
    stream = stream if stream is not None else sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return DEFAULT_WIDTH
    import shutil  # only a text report on a terminal asks its width

    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, MIN_WIDTH)


def wrap(text: str, width: int, indent: str = "", hang: str = "  ") -> list[str]:
    """`text` wrapped to `width`: each paragraph starts at `indent`, continuation lines at indent + hang.
    A word longer than the line (a long path or id) is broken, so no line is ever longer than `width`."""
    out: list[str] = []
    for para in str(text).splitlines() or [""]:
        if not para.strip():
            out.append("")
            continue
        w = textwrap.TextWrapper(width=width, initial_indent=indent, subsequent_indent=indent + hang,
                                 break_long_words=True, break_on_hyphens=False)
        out += w.wrap(para)
    return out


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: Any) -> str:
        if not self.enabled or not text:
            return text
        return f"{_COLORS[style]}{text}{_RESET}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int],
           width: int = DEFAULT_WIDTH) -> list[list[str]]:
    """Columns padded to their widest cell; columns in ``right`` (numbers) right-aligned.

    One entry per row (the header first), each a list of lines: one line when the table fits `width`,
    else the row as a block ("name" then "HEADER: value" pairs, wrapped) so nothing is cut.
    """
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str], gap: str) -> str:
        out = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)]
        return "  " + gap.join(out).rstrip()

    for gap in ("  ", " "):  # columns two spaces apart, one when that is too wide
        if 2 + sum(widths) + len(gap) * (len(widths) - 1) <= width:
            return [[line(headers, gap)]] + [[line(r, gap)] for r in rows]
    blocks: list[list[str]] = [[]]
    for r in rows:
        pairs = ", ".join(f"{h.lower()} {c}" for h, c in zip(headers[1:], r[1:]))
        blocks.append(wrap(r[0], width, "  ", "  ") + wrap(pairs, width, "    ", "  "))
    return blocks


def _indent(text: str, prefix: str, width: int = DEFAULT_WIDTH) -> list[str]:
    return wrap(text, width, prefix, "  ")


def _subnets(result: CheckResult, paint: _Paint, width: int = DEFAULT_WIDTH) -> list[str]:
    headers = ["SUBNET", "AZ", "CIDR", "ROLE", "USABLE", "AT MIN", "AT DESIRED", "AT MAX", "FREE AT MAX",
               "NODE GROUPS"]
    pd = any(s.prefix_blocks_at_max for s in result.subnets)
    if pd:  # prefix delegation: aligned /28s matter, not only addresses
        headers[9:9] = ["/28 FREE", "/28 AT MAX"]
    rows, short = [], []
    for s in result.subnets:
        free = headroom(s.usable, s.at_max)
        row = [
            s.subnet, s.az or "?", s.cidr or "?", str(getattr(s.role, "value", s.role)), num(s.usable),
            num(s.at_min), num(s.at_desired), num(s.at_max), num(free), ", ".join(s.nodegroups) or "-",
        ]
        if pd:
            row[9:9] = [num(s.free_prefix_blocks), num(s.prefix_blocks_at_max)]
        rows.append(row)
        blocks_short = (s.free_prefix_blocks is not None and s.prefix_blocks_at_max is not None
                        and s.prefix_blocks_at_max > s.free_prefix_blocks)
        short.append((free is not None and free < 0) or blocks_short)
    blocks = _table(headers, rows, right={4, 5, 6, 7, 8, 9, 10} if pd else {4, 5, 6, 7, 8}, width=width)
    out = ["Subnets"] + blocks[0]
    for lines, bad in zip(blocks[1:], short):
        out += [paint(ln, Severity.ERROR) if bad else ln for ln in lines]
    for s in result.subnets:
        if s.note:
            out += wrap(f"note: {s.subnet}: {s.note}", width, "  ", "  ")
    return out


def _nodegroups(result: CheckResult, width: int = DEFAULT_WIDTH) -> list[str]:
    headers = ["NODE GROUP", "TYPES", "MIN/DESIRED/MAX", "MAX PODS", "NETWORK MAX PODS", "PODS/NODE",
               "ADDRESSES/NODE"]
    rows = [
        [
            n.name, ",".join(str(t) for t in n.instance_types) or "?",
            size_range(n.min_size, n.desired_size, n.max_size), num(n.max_pods), num(n.network_max_pods),
            num(n.pods_per_node), num(n.addresses_per_node),
        ]
        for n in result.nodegroups
    ]
    out = ["Node groups"] + [ln for b in _table(headers, rows, right={2, 3, 4, 5, 6}, width=width) for ln in b]
    for n in result.nodegroups:
        if n.note:
            out += wrap(f"note: {n.name}: {n.note}", width, "  ", "  ")
    return out


def _header(f: Finding, known: bool = False) -> str:
    loc = location_text(f)
    return (f"{SEVERITY_LETTER[f.severity]} {f.rule_id} {f.resource}" + (f" ({loc})" if loc else "")
            + (f" - {f.title}" if f.title else "") + (" [in baseline]" if known else ""))


def _finding(f: Finding, paint: _Paint, width: int = DEFAULT_WIDTH, known: bool = False) -> list[str]:
    style = "dim" if f.suppressed or known else f.severity
    out = ["  " + paint(ln, style) for ln in wrap(_header(f, known), width - 2, "", "  ")]
    out += _indent(f.message, "    ", width)
    if f.location.construct_path and f.location.line:
        out += wrap(f"construct: {f.location.construct_path}", width, "    ", "  ")
    if f.suppressed is not None:
        s = f.suppressed
        how = ", ".join(p for p in (s.source, f"expires {s.expires}" if s.expires else "") if p)
        out += _indent(f"suppressed{f' ({how})' if how else ''}: {s.reason}", "    ", width)
    elif f.fix:
        out += _indent(f"fix: {f.fix}", "    ", width)
    return out


def _baseline(result: CheckResult, width: int) -> list[str]:
    """Against --baseline: findings already known, and every subnet's change in free addresses at max."""
    base = result.baseline
    if base is None:
        return []
    active = result.active()
    known = sum(1 for f in active if base.contains(f))
    out = wrap(f"Baseline ({base.file}): {plural(len(active) - known, 'new finding')}, "
               f"{known} already in the baseline (they do not fail), {plural(len(base.fixed), 'finding')} fixed",
               width, "", "  ")
    for d in base.subnets:
        out += wrap(d.sentence(), width, "  ", "  ")
    for x in base.fixed:
        out += wrap(f"fixed: {x['rule_id']} {x['resource']}", width, "  ", "  ")
    return out + [""]


def _nothing_to_check(result: CheckResult) -> list[str]:
    """An input with no EKS cluster, node group, node pool or Fargate profile: say so, and what it holds."""
    if not getattr(result, "nothing_to_check", lambda: False)():
        return []
    found = ", ".join(getattr(result, "found", []) or []) or "nothing else"
    return ["nothing to check: no EKS cluster, node group, node pool or Fargate profile in the input",
            f"  found: {found}", ""]


def render(
    result: CheckResult,
    *,
    rules: Mapping[str, Any] | None = None,
    tool_version: str = TOOL_VERSION,
    color: bool = False,
    width: int = DEFAULT_WIDTH,
) -> str:
    width = max(int(width), MIN_WIDTH)
    paint = _Paint(color)
    inputs = ", ".join(result.inputs) or "-"
    head = wrap(f"{TOOL_NAME} {tool_version} - checked: {inputs}", width, "", "  ")
    head[0] = head[0].replace(f"{TOOL_NAME} {tool_version}", paint(f"{TOOL_NAME} {tool_version}", "bold"), 1)
    out = head + [""]
    out += [ln for line in _nothing_to_check(result) for ln in (wrap(line, width, "", "  ") if line else [""])]
    if result.subnets:
        out += _subnets(result, paint, width) + [""]
    if result.nodegroups:
        out += _nodegroups(result, width) + [""]
    if result.notes:
        out += ["Notes"] + [ln for n in result.notes for ln in wrap(n, width, "  ", "  ")] + [""]
    out += _baseline(result, width)

    base = result.baseline
    active, suppressed = split(result.findings)
    if active:
        out.append("Findings")
        for sev in SEVERITY_ORDER:
            group = [f for f in active if f.severity == sev]
            if not group:
                continue
            out.append(paint(f" {_HEADINGS[sev]} ({len(group)})", sev))
            for f in group:
                out += _finding(f, paint, width, known=base is not None and base.contains(f))
        out.append("")
    else:
        out += ["No findings.", ""]
    if suppressed:
        out.append(paint(f"Suppressed ({len(suppressed)})", "dim"))
        for f in suppressed:
            out += _finding(f, paint, width)
        out.append("")

    counts = result.counts()
    worst = next((s for s in SEVERITY_ORDER if counts[s.value]), None)
    summary = f"Summary: {counts_text(counts)}"
    out += [paint(ln, worst) if worst else ln for ln in wrap(summary, width, "", "  ")]
    return "\n".join(out) + "\n"
