"""`--format markdown`: a pull-request comment: counts, findings table, subnet and node-group tables.

The first line is the HTML comment ``<!-- podcap-report -->`` so a bot can find and update its comment.
"""
from __future__ import annotations

from collections.abc import Mapping

from podcap.model.findings import Finding, Severity
from podcap.model.result import CheckResult
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

MARKER = "<!-- podcap-report -->"
ICONS = {Severity.ERROR: ":x:", Severity.WARNING: ":warning:", Severity.INFO: ":information_source:"}


def cell(text: Any) -> str:
    """Text safe inside a table cell: no pipes, HTML or line breaks that would break the table."""
    s = "" if text is None else str(text).strip()
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return "<br>".join(ln.strip() for ln in s.splitlines())


def code(text: Any) -> str:
    s = "" if text is None else str(text)
    if not s:
        return ""
    s = s.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in s else "`"
    return f"{fence} {s} {fence}" if fence == "``" else f"`{s}`"


def _table(headers: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    sep = {"l": "---", "r": "--:"}
    return ["| " + " | ".join(headers) + " |", "|" + "|".join(sep[a] for a in align) + "|"] + [
        "| " + " | ".join(r) + " |" for r in rows
    ]


def _rule_link(f: Finding, links: Mapping[str, str | None]) -> str:
    uri = links.get(f.rule_id)
    return f"[{f.rule_id}]({uri})" if uri else f.rule_id


def _baseline(result: CheckResult) -> list[str]:
    """--baseline: what the change does: new findings, and every subnet's free addresses at max before and after."""
    base = result.baseline
    active = result.active()
    known = sum(1 for f in active if base.contains(f))
    out = ["#### Change against the baseline", "",
           (f"Baseline {code(base.file)}: {len(active) - known} new finding{'s' if len(active) - known != 1 else ''}, "
           f"{known} already in the baseline (they do not fail), {len(base.fixed)} fixed."), ""]
    changed = [d for d in base.subnets if d.status != "unchanged"]
    out += [f"- {cell(d.sentence())}" for d in changed]
    if changed:
        out.append("")
    rows = [[code(d.subnet), cell(d.az or "?"), num(d.before_free_at_max), num(d.after_free_at_max),
             ("**" + f"{d.change:+d}" + "**" if d.change is not None and d.change < 0 else
              f"{d.change:+d}" if d.change is not None else "?"), cell(d.status)]
            for d in base.subnets]
    if rows:
        out += _table(["Subnet", "AZ", "Free at max before", "Free at max now", "Change", "Status"],
                      list("llrrrl"), rows)
        out.append("")
    if base.fixed:
        out += ["Fixed: " + ", ".join(f"{x['rule_id']} {code(x['resource'])}" for x in base.fixed), ""]
    return out


def render(
    result: CheckResult,
    *,
    rules: Mapping[str, Any] | None = None,
    tool_version: str = TOOL_VERSION,
) -> str:
    counts = result.counts()
    active, suppressed = split(result.findings)
    links = {r.id: r.help_uri for r in rule_entries(result.findings, rules)}
    icon = ":x:" if counts["error"] else ":warning:" if counts["warning"] else ":white_check_mark:"
    out = [MARKER, f"### {icon} {TOOL_NAME}: {counts_text(counts)}", ""]
    if result.inputs:
        out += ["Checked: " + ", ".join(code(i) for i in result.inputs), ""]

    base = result.baseline
    if base is not None:
        out += _baseline(result)
    if active:
        rows = [
            [f"{ICONS[f.severity]} {f.severity.value}"
             + (" (in baseline)" if base is not None and base.contains(f) else ""),
             _rule_link(f, links), code(f.resource), code(location_text(f)), cell(f.message), cell(f.fix or "")]
            for f in active
        ]
        out += _table(["Severity", "Rule", "Resource", "Location", "Finding", "Fix"], list("llllll"), rows)
        out.append("")
    else:
        out += ["No findings.", ""]

    if result.subnets:
        rows = []
        for s in result.subnets:
            free = headroom(s.usable, s.at_max)
            short = free is not None and free < 0
            rows.append([
                code(s.subnet), cell(s.az or "?"), cell(s.cidr or "?"), cell(getattr(s.role, "value", s.role)),
                num(s.usable), num(s.at_min), num(s.at_desired),
                f"**{num(s.at_max)}**" if short else num(s.at_max),
                f"**{num(free)}** :x:" if short else num(free),
                cell(", ".join(s.nodegroups) or "-"),
            ])
        out += ["#### Subnet usage (addresses)", ""]
        out += _table(["Subnet", "AZ", "CIDR", "Role", "Usable", "At min", "At desired", "At max", "Free at max",
                       "Node groups"], list("llllrrrrrl"), rows)
        notes = [f"- {code(s.subnet)}: {cell(s.note)}" for s in result.subnets if s.note]
        out += ([""] + notes if notes else []) + [""]

    if result.nodegroups:
        rows = [
            [code(n.name), cell(", ".join(str(t) for t in n.instance_types) or "?"),
             size_range(n.min_size, n.desired_size, n.max_size), num(n.max_pods), num(n.network_max_pods),
             num(n.pods_per_node), num(n.addresses_per_node)]
            for n in result.nodegroups
        ]
        out += ["#### Node groups", ""]
        out += _table(["Node group", "Types", "Min/desired/max", "Max pods", "Network max pods", "Pods/node",
                       "Addresses/node"], list("llrrrrr"), rows)
        out.append("")

    if suppressed:
        n = len(suppressed)
        out += [f"<details><summary>{n} suppressed finding{'s' if n != 1 else ''}</summary>", ""]
        rows = [
            [_rule_link(f, links), code(f.resource), code(location_text(f)), cell(f.suppressed.reason),
             cell(f.suppressed.source or ""), cell(f.suppressed.expires or "")]
            for f in suppressed
            if f.suppressed is not None
        ]
        out += _table(["Rule", "Resource", "Location", "Reason", "Source", "Expires"], list("llllll"), rows)
        out += ["", "</details>", ""]

    out.append(f"<sub>{TOOL_NAME} {cell(tool_version)}</sub>")
    return "\n".join(out) + "\n"
