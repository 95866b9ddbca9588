"""PC001: values podcap could not resolve. Fail closed: an unknown is reported, never passed."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import location_of


def fix_for(kind: str, live: bool, reason: str) -> str:
    """The fix that fits the input kind and the flags: no --parameter where the source has no parameters
    (a Terraform plan), no "use --live" when --live is on; a value the service rejects is to be corrected; a
    demand no input can state (Fargate pods, a node pool's most nodes) names the podcap key to set, never a
    flag, for no parameter, variable or AWS API gives it."""
    if reason.startswith("invalid "):
        return "Correct the value in the input: the service rejects it, so the deployment would fail."
    from podcap.sources.demand import demand_fix

    demand = demand_fix(reason)  # a demand no input states: only podcap's own keys give it
    if demand is not None:
        return demand
    steps: list[str] = []
    if kind == "terraform-plan":
        steps.append("make the value known at plan time (a literal, a variable given with -var)")
    elif kind == "cdk-assembly":
        steps.append("set the value in the CDK app and synthesize again (all its stacks are read together)")
        if "--parameter" in reason:
            steps.append("pass the CfnParameter's value (--parameter K=V)")
    elif kind == "cloudformation":
        steps.append("pass the value (--parameter K=V), or check the templates it comes from with this one")
    else:
        steps.append("state the value in the input")
    if live:
        steps.append("the resource was not found or readable in AWS with --live: check its id and the region")
    else:
        steps.append("read existing resources with --live")
    text = "; ".join(steps)
    return text[0].upper() + text[1:] + "."


@rule(
    "PC001",
    Severity.WARNING,
    "Value could not be resolved",
    description="""
A value that decides capacity (a subnet CIDR, an AZ, a node group's subnets, instance types or sizes,
the aws-node settings) could not be resolved from the input: a Terraform value known only after
apply, an intrinsic function podcap cannot evaluate, a parameter with no default, an import from
another stack, an existing subnet. podcap does not guess: it reports what it could not judge. With
`--strict` these warnings fail the check. The fix fits the input: no `--parameter` advice for a Terraform
plan, nor for a value a CDK app decides; no "use --live" when `--live` is on.

A value the service itself rejects is not a PC001 warning. A scaling configuration outside
0 <= min <= desired <= max (and max >= 1) is reported here as an error: the deployment fails. An input
CloudFormation or EC2 refuses outright is an input error: the check stops with exit status 2 and one line
naming the value — a subnet or VPC `CidrBlock` with host bits set (`10.0.0.1/24`), without a prefix length,
or an IPv6 block in the IPv4 field, a vpc-cni `ConfigurationValues` given as an object instead of a
string, and a `Ref` or `Fn::GetAtt` naming neither a parameter nor a resource of the template
("Unresolved resource dependencies"; under a macro Transform, which may add the name, it is PC001).
""",
    fix="Pass the value (--parameter K=V), check the whole CDK app (cdk.out), or read existing resources with --live.",
)
def check(a: Analysis):
    r = REGISTRY["PC001"]
    seen: set[tuple[str, str]] = set()
    live = bool(getattr(a.plan, "live", False))

    def emit(resource: str, reason: str, where: str, rtype: str):
        key = (resource, reason)
        if key in seen:
            return None
        seen.add(key)
        if live:
            reason = reason.replace("; use --live", "").replace(" or use --live", "")
        return r.finding(
            resource,
            f"{resource}: {reason}" + (f" (at {where})" if where and where != resource else ""),
            resource_type=rtype,
            location=location_of(a, resource),
            data={"reason": reason, "where": where},
            source=a.plan.source,
            fix=fix_for(a.plan.kind, live, reason),
            severity=Severity.ERROR if reason.startswith("invalid ") else None,
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
