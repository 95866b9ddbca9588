"""`--format json`: the stable, documented report (docs/report-json.md, validators/schemas/report.schema.json).

The exit code is not part of the report: the CLI decides it (``--strict`` changes it), the report
only states what was found.
"""
from __future__ import annotations

from collections.abc import Mapping

from podcap.model.result import CheckResult, NodegroupSummary, SubnetUsage
from podcap.report._common import TOOL_NAME, TOOL_VERSION, dumps, jsonable, ordered

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1


def _subnet(s: SubnetUsage) -> dict[str, Any]:
    return {
        "subnet": s.subnet,
        "cidr": s.cidr,
        "az": s.az,
        "role": jsonable(s.role),
        "usable": s.usable,
        "at_min": s.at_min,
        "at_desired": s.at_desired,
        "at_max": s.at_max,
        "nodegroups": list(s.nodegroups),
        "free_prefix_blocks": s.free_prefix_blocks,
        "prefix_blocks_at_max": s.prefix_blocks_at_max,
        "note": s.note or "",
    }


def _nodegroup(n: NodegroupSummary) -> dict[str, Any]:
    return {
        "name": n.name,
        "instance_types": [str(t) for t in n.instance_types],
        "min_size": n.min_size,
        "desired_size": n.desired_size,
        "max_size": n.max_size,
        "max_pods": n.max_pods,
        "network_max_pods": n.network_max_pods,
        "pods_per_node": n.pods_per_node,
        "addresses_per_node": n.addresses_per_node,
        "note": n.note or "",
        "limit_bound": getattr(n, "limit_bound", None),
    }


CHECKED_KEYS = ("clusters", "nodegroups", "node_pools", "fargate_profiles", "subnets")


def checked(result: CheckResult) -> dict[str, int]:
    """``summary.checked``: what the inputs held, so an empty check is never mistaken for a clean one."""
    counts = getattr(result, "checked", None) or {}
    return {k: int(counts.get(k, 0)) for k in CHECKED_KEYS}


def report(
    result: CheckResult, *, rules: Mapping[str, Any] | None = None, tool_version: str = TOOL_VERSION
) -> dict[str, Any]:
    """The report as a plain dict (what :func:`render` serialises)."""
    return jsonable(_document(result, tool_version=tool_version))


def _document(result: CheckResult, *, tool_version: str) -> dict[str, Any]:
    """The report before :func:`jsonable` (enums, Unknowns and such still objects)."""
    base = result.baseline
    findings = [f.to_dict() for f in ordered(result.findings)]
    if base is not None:  # --baseline: which findings it already had (they do not fail the run)
        for d, f in zip(findings, ordered(result.findings)):
            d["in_baseline"] = f.suppressed is None and base.contains(f)
    doc = {
        "version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "inputs": [str(i) for i in result.inputs],
        "summary": {**result.counts(), "checked": checked(result)},
        "findings": findings,
        "subnets": [_subnet(s) for s in result.subnets],
        "nodegroups": [_nodegroup(n) for n in result.nodegroups],
        "notes": list(result.notes),
    }
    if base is not None:
        doc["baseline"] = base.to_dict(result.findings)
    return doc


def render(
    result: CheckResult, *, rules: Mapping[str, Any] | None = None, tool_version: str = TOOL_VERSION
) -> str:
    # dumps(x) writes json.dumps(jsonable(x)), and jsonable of a plain document is the document itself, so
    # this is the text of dumps(report(...)) without walking the document twice
    return dumps(_document(result, tool_version=tool_version))
