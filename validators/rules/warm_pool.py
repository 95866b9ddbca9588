"""PC401: a warm pool that holds many unused addresses at max scale."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.engine.allocation import allocate
from podcap.model.findings import Severity
from podcap.model.records import replace
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_WARM


@rule(
    "PC401",
    Severity.INFO,
    "Warm pool holds many unused addresses at max scale",
    description="""
ipamd keeps free addresses on every node: a whole spare ENI with WARM_ENI_TARGET=1 (the default),
whole /28 prefixes with prefix delegation. When nodes run fewer pods than they could, at max size
these warm addresses add up to a large share of the subnet. A WARM_IP_TARGET (with MINIMUM_IP_TARGET
for burst) keeps the pool close to what pods use, at the cost of more EC2 API calls when pods churn.
""",
    help_uri=DOCS_WARM,
    fix="Set WARM_IP_TARGET (and MINIMUM_IP_TARGET) in the vpc-cni add-on configuration.",
)
def check(a: Analysis):
    r = REGISTRY["PC401"]
    for na in a.nodegroups:
        w = na.worst()
        n_max = na.sizes.get("max")
        if w is None or n_max is None or n_max == 0:
            continue
        warm = w.alloc.warm_addresses
        if warm < 8 or warm * 2 < w.alloc.pool_addresses:
            continue
        suggestion = replace(na.settings, warm_ip_target=2, minimum_ip_target=w.pods)
        try:
            alt = allocate(w.limits, suggestion, w.pods, w.kubelet_max_pods)
        except ValueError:
            continue
        if alt.subnet_addresses >= w.alloc.subnet_addresses:
            continue
        saved = (w.alloc.subnet_addresses - alt.subnet_addresses) * n_max
        yield r.finding(
            na.ng.name,
            f"node group {na.ng.name}: each {w.limits.name} node with {w.pods} pods holds {warm} unused addresses "
            f"({na.settings.describe()}); at max size ({n_max} node{'s' if n_max != 1 else ''}) that is {warm * n_max} addresses",
            resource_type="nodegroup",
            location=na.ng.location,
            fix=f"WARM_IP_TARGET=2 with MINIMUM_IP_TARGET={w.pods} takes {alt.subnet_addresses} instead of "
                f"{w.alloc.subnet_addresses} addresses per node ({saved} fewer at max size)",
            data={"instance_type": w.limits.name, "pods": w.pods, "warm_per_node": warm,
                  "warm_at_max": warm * n_max, "suggested_addresses_per_node": alt.subnet_addresses},
            source=a.plan.source,
        )
