"""PC106: more pods with their own security groups per node than the instance type has branch ENIs."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule

DOCS_SGP = "https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html"


@rule(
    "PC106",
    Severity.ERROR,
    "More security-group pods per node than branch ENIs",
    description="""
Each pod with its own security groups (SecurityGroupPolicy) gets a branch ENI on the node's trunk ENI,
with one address from the trunk's subnet (the node's subnet, or its ENIConfig subnet under custom
networking). The VPC resource controller gives each instance type a fixed number of branch ENIs
(`BranchInterface` in its limits table) and none at all to types that cannot trunk
(`IsTrunkingCompatible` false: t3, t3a, Xen types ...; or missing from its table, whose branch provider
`IsInstanceSupported` is `found && IsTrunkingCompatible`) or when ENABLE_POD_ENI is off. Pods beyond the
branch ENIs stay Pending (no `vpc.amazonaws.com/pod-eni` resource left).
""",
    help_uri=DOCS_SGP,
    fix="Use an instance type with more branch ENIs (see `podcap maxpods TYPE --format json`), or spread the "
        "pods over more nodes.",
)
def check(a: Analysis):
    r = REGISTRY["PC106"]
    for na in a.nodegroups:
        want = na.ng.sgp_pods_per_node
        if not want:
            continue
        for t in na.types:
            branch = t.branch_enis
            why = ""
            if na.os == "windows":
                have, why = 0, "security groups for pods is not supported on Windows nodes"
            elif not na.settings.pod_eni:
                have, why = 0, "ENABLE_POD_ENI is not on, so no trunk ENI is attached"
            elif t.limits.trunking is False:
                have, why = 0, f"{t.limits.name} is not trunking-compatible (VPC resource controller)"
            elif not t.limits.in_resource_controller:
                have, why = 0, (f"{t.limits.name} is not in the VPC resource controller's limits table, so it "
                                "attaches no trunk ENI")
            elif branch is None:
                continue  # unknown branch ENIs: analysis records it, PC001 reports it
            else:
                have = branch
            if want > have:
                yield r.finding(
                    na.ng.name,
                    f"node group {na.ng.name}: {want} pods per node with their own security groups, but "
                    f"{t.limits.name} gets {have} branch ENIs" + (f" ({why})" if why else ""),
                    resource_type="nodegroup",
                    location=na.ng.location,
                    fix=(f"{want - have} pod(s) per node would stay Pending; "
                         + (f"{why}; " if why else "")
                         + "choose a type with at least "
                         f"{want} branch ENIs or spread the pods over more nodes"),
                    data={"instance_type": t.limits.name, "sgp_pods_per_node": want, "branch_enis": have},
                    source=a.plan.source,
                )
