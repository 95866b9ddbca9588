"""PC001: values podcap could not resolve. Fail closed: an unknown is reported, never passed."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import location_of


@rule(
    "PC001",
    Severity.WARNING,
    "Value could not be resolved",
    description="""
A value that decides capacity (a subnet CIDR, an AZ, a node group's subnets, instance types or sizes,
the aws-node settings) could not be resolved from the input: a Terraform value known only after
apply, an intrinsic function podcap cannot evaluate, a parameter with no default, an import from
another stack, an existing subnet. podcap does not guess: it reports what it could not judge. With
`--strict` these warnings fail the check.
""",
    fix="Pass the value (--parameter K=V), check the whole CDK app (cdk.out), or read existing resources with --live.",
)
def check(a: Analysis):
    r = REGISTRY["PC001"]
    seen: set[tuple[str, str]] = set()

    def emit(resource: str, reason: str, where: str, rtype: str):
        key = (resource, reason)
        if key in seen:
            return None
        seen.add(key)
        return r.finding(
            resource,
            f"{resource}: {reason}" + (f" (at {where})" if where and where != resource else ""),
            resource_type=rtype,
            location=location_of(a, resource),
            data={"reason": reason, "where": where},
            source=a.plan.source,
        )

    for resource, unk in [*a.plan.unresolved, *a.unknowns]:
        f = emit(resource, unk.reason, unk.where, "")
        if f:
            yield f
    for na in a.nodegroups:
        for unk in na.unknowns:
            f = emit(na.ng.name, unk.reason, unk.where, "nodegroup")
            if f:
                f.location = na.ng.location if (na.ng.location.file or na.ng.location.path) else f.location
                yield f
    for sid, sa in a.subnets.items():
        if not sa.used and sa.subnet.defined_in_plan:
            continue  # an unused subnet's unknown CIDR decides nothing here (layout rules still see it)
        for unk in sa.unknowns:
            f = emit(sid, unk.reason, unk.where, "subnet")
            if f:
                yield f
