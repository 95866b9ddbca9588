"""PC002: instance types podcap does not know. Never guessed: no limits, no capacity, so an error."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_MAXPODS


@rule(
    "PC002",
    Severity.ERROR,
    "Unknown instance type",
    description="""
A node group names an instance type that is not in podcap's instance-limits snapshot (generated from
EC2 DescribeInstanceTypes). Without its ENI and address limits nothing about the node group can be
judged, so podcap reports an error instead of guessing.
""",
    help_uri=DOCS_MAXPODS,
    fix="Fix the type name, or regenerate the snapshot with `podcap limits refresh` if the type is new.",
)
def check(a: Analysis):
    r = REGISTRY["PC002"]
    for na in a.nodegroups:
        for t in na.unknown_types:
            if t.startswith("unknown ("):
                continue  # an unresolved value: PC001 reports it
            hints = a.snapshot.suggest(t)
            yield r.finding(
                na.ng.name,
                f"node group {na.ng.name}: unknown instance type {t!r}"
                + (f"; did you mean {', '.join(hints)}?" if hints else ""),
                resource_type="nodegroup",
                location=na.ng.location,
                data={"instance_type": t, "suggestions": hints},
                source=a.plan.source,
            )
