"""PC003 and PC104: aws-node settings the CNI ignores, and settings that starve the pool."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_WARM


@rule(
    "PC003",
    Severity.WARNING,
    "aws-node setting ignored by the CNI",
    description="""
ipamd reads its settings with Go's strconv: a warm target that is not a whole number >= 0, a MAX_ENI
below 1 or a boolean it cannot parse is silently replaced by the CNI's default. The cluster then runs
with settings nobody chose. podcap reads the values the same way and reports each fallback.
""",
    help_uri=DOCS_WARM,
    fix="Set the variable to a whole number (or true/false) in the vpc-cni add-on configuration.",
)
def check_ignored(a: Analysis):
    r = REGISTRY["PC003"]
    seen: set[tuple[str, str]] = set()
    for na in a.nodegroups:
        cl = na.cluster
        resource = (cl.cni_resource or cl.id) if cl is not None else na.ng.name
        loc = (cl.cni_location or cl.location) if cl is not None else na.ng.location
        for w in na.parsed.warnings:
            if (resource, w) in seen:
                continue
            seen.add((resource, w))
            rtype = "addon" if cl is not None and cl.cni_resource else "cluster"
            yield r.finding(resource, f"aws-node settings of {resource}: {w}", resource_type=rtype,
                            location=loc, data={"warning": w}, source=a.plan.source)


@rule(
    "PC104",
    Severity.ERROR,
    "CNI settings starve pods of addresses",
    description="""
With MINIMUM_IP_TARGET set and WARM_IP_TARGET unset (0), ipamd's shortfall is
`max(0 - available, MINIMUM_IP_TARGET - total)`: once a node holds MINIMUM_IP_TARGET addresses and
all are assigned, the pool is never "too low" again and pods beyond it wait in ContainerCreating with
"failed to assign an IP address".

Settings ipamd's `isConfigValid` rejects stop aws-node at start, and no pod on the node gets an address:
ENABLE_IPv4 and ENABLE_IPv6 both true (no dual stack) or both false, IPv6 without prefix delegation, and
IPv6 with custom networking (pkg/ipamd/ipamd.go). On an IPv6 cluster the add-on's own values are IPv6 on,
IPv4 off and prefix delegation on; what the add-on configuration sets explicitly wins. Windows nodes are
not supported on an IPv6 cluster at all (EKS user guide, cni-ipv6).
""",
    help_uri=DOCS_WARM,
    fix="Set WARM_IP_TARGET (for example 2) together with MINIMUM_IP_TARGET; for IPv6 set ENABLE_IPv6=true, "
        "ENABLE_IPv4=false and ENABLE_PREFIX_DELEGATION=true, without custom networking.",
)
def check_starved(a: Analysis):
    r = REGISTRY["PC104"]
    for na in a.nodegroups:
        refused = na.parsed.refused
        if na.os == "windows" and na.cluster is not None and na.cluster.ip_family == "ipv6":
            refused = ("Windows nodes are not supported on an IPv6 cluster (EKS user guide, cni-ipv6: no "
                       "Windows pods or services)")
        if refused:
            pods = max((t.pods for t in na.types), default=None)
            per_node = f"none of its {pods} pods per node" if pods else "no pod"
            serves = "the node's pods find no network" if na.os == "windows" else "aws-node does not start"
            yield r.finding(
                na.ng.name,
                f"node group {na.ng.name}: {serves}, so {per_node} gets an address: {refused}",
                resource_type="nodegroup",
                location=na.ng.location,
                data={"refused": refused, "pods": pods, "starved_pods": pods},
                source=a.plan.source,
            )
            continue
        for t in na.types:
            if t.alloc.starved_pods:
                yield r.finding(
                    na.ng.name,
                    f"node group {na.ng.name}: on {t.limits.name} with {t.pods} pods per node, "
                    f"{t.alloc.starved_pods} pods get no address ({na.settings.describe()}): the pool stops at "
                    f"{t.alloc.pool_addresses} addresses",
                    resource_type="nodegroup",
                    location=na.ng.location,
                    data={"instance_type": t.limits.name, "pods": t.pods, "starved_pods": t.alloc.starved_pods,
                          "pool_addresses": t.alloc.pool_addresses},
                    source=a.plan.source,
                )
                break
