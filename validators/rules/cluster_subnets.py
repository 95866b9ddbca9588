"""PC206: the cluster's (control-plane) subnets keep too few free addresses for EKS to update the cluster."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.model.unknown import Unknown
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_SUBNETS, cidr_text, subnet_location

DOCS_UPDATE = "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html"
UPDATE_FREE = 5  # EKS user guide, update-cluster: "up to five available IP addresses" in the cluster subnets
CREATE_FREE = 6  # network-reqs: at least six (16 recommended) to create the cluster
CREATE_RECOMMENDED = 16


@rule(
    "PC206",
    Severity.WARNING,
    "Cluster subnet keeps fewer than 5 free addresses at max size",
    description="""
EKS places its control-plane ENIs in the subnets given to the cluster, and a cluster version update
can need up to five free addresses in them (EKS user guide: update-cluster; network-reqs asks for at
least six, sixteen recommended, to create the cluster). When node groups share those subnets, filling
them to their max size can leave fewer than five free, and the update fails. Only subnets whose
demand fits at all are reported here (PC201 reports those that overflow).
""",
    help_uri=DOCS_UPDATE,
    fix="Give the cluster its own small subnets (a /28 each is enough), or leave five addresses free in the "
        "shared ones (lower max size, larger subnet).",
)
def check(a: Analysis):
    r = REGISTRY["PC206"]
    seen: set[str] = set()
    for cl in a.plan.clusters.values():
        if isinstance(cl.subnets, Unknown):
            continue
        for sid in cl.subnets:
            if isinstance(sid, Unknown) or sid in seen:
                continue
            seen.add(sid)
            sa = a.subnet_of(sid)
            if sa is None or sa.usable is None:
                continue
            demand = sa.demand("max")
            if demand is None:
                continue  # PC001 reports what is unknown
            free = sa.usable - demand
            if 0 <= free < UPDATE_FREE:
                users = sorted({c.nodegroup for c in sa.contributions.get("max", []) if c.nodegroup})
                yield r.finding(
                    sid,
                    f"cluster subnet {sid} ({cidr_text(sa.subnet)}) of {cl.id}: {demand} of {sa.usable} usable addresses "
                    f"taken at max size ({', '.join(users) or 'control plane'}), {free} left; EKS needs up to "
                    f"{UPDATE_FREE} free to update the cluster",
                    resource_type="subnet",
                    location=subnet_location(a, sa),
                    fix=(f"free {UPDATE_FREE - free} more address(es) in {sid} ({free} of the {UPDATE_FREE} EKS needs "
                         f"to update; {CREATE_FREE} to create, {CREATE_RECOMMENDED} recommended): give the cluster "
                         "its own subnets, lower the max size of " + (", ".join(users) or "its node groups")
                         + ", or use a larger subnet"),
                    data={"cluster": cl.id, "usable": sa.usable, "at_max": demand, "free": free,
                          "needed": UPDATE_FREE, "docs": DOCS_SUBNETS},
                    source=a.plan.source,
                )
