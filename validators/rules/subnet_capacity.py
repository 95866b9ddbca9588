"""PC201-PC203: will the subnets hold every node at max size, during an update, and after losing an AZ."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from validators.analysis import Analysis, NodegroupAnalysis, SubnetAnalysis, ceil_div
from validators.engine.allocation import allocate
from validators.model.findings import Finding, Severity
from validators.rules.base import REGISTRY, Rule, rule
from validators.rules.common import (
    DOCS_MNG_UPDATE,
    DOCS_SUBNETS,
    fmt_scales,
    smallest_prefix_for,
    subnet_location,
    usable_of,
)


def is_pod_subnet(sa: SubnetAnalysis) -> bool:
    items = sa.contributions.get("max", [])
    return bool(items) and all(c.who.endswith("(pods)") or c.who.startswith("EKS control plane") for c in items) \
        and any(c.who.endswith("(pods)") for c in items)


def _breakdown(sa: SubnetAnalysis, scale: str = "max") -> str:
    parts = []
    for c in sa.contributions.get(scale, []):
        if c.nodes is not None and c.per_node is not None:
            parts.append(f"{c.who}: {c.nodes} nodes x {c.per_node} addresses ({c.detail}) = {c.addresses}")
        else:
            parts.append(f"{c.who}: {c.addresses if c.addresses is not None else '?'}"
                         + (f" ({c.detail})" if c.detail else ""))
    return "; ".join(parts)


def _cheaper_setting(a: Analysis, sa: SubnetAnalysis) -> str | None:
    """A warm-pool setting that lowers the per-node addresses, with the figure it gives."""
    best = None
    for na in a.nodegroups:
        if sa.subnet.id not in na.subnet_ids:
            continue
        w = na.worst()
        if w is None or na.settings.warm_ip_targets_defined:
            continue
        alt = dataclasses.replace(na.settings, warm_ip_target=2, minimum_ip_target=0)
        try:
            alloc = allocate(w.limits, alt, w.pods, w.kubelet_max_pods)
        except ValueError:
            continue
        if alloc.starved_pods == 0 and alloc.node_subnet_addresses < w.alloc.node_subnet_addresses:
            best = (f"WARM_IP_TARGET=2 takes {alloc.node_subnet_addresses} instead of "
                    f"{w.alloc.node_subnet_addresses} addresses per {w.limits.name} node of {na.ng.name}")
    return best


def _max_nodes_hint(a: Analysis, sa: SubnetAnalysis) -> str | None:
    """With a single node group on the subnet: the max size that fits."""
    items = [c for c in sa.contributions.get("max", []) if c.nodes is not None and c.per_node]
    if len(items) != 1 or sa.usable is None:
        return None
    c = items[0]
    others = sum(x.addresses or 0 for x in sa.contributions.get("max", []) if x is not c)
    fit = max((sa.usable - others) // c.per_node, 0)
    na = next((n for n in a.nodegroups if n.ng.name == c.who), None)
    if na is None or not na.az_groups:
        return None
    return f"or lower {c.who}'s max size to {fit * len(na.az_groups)} ({fit} nodes in this subnet)"


def exhaustion_findings(a: Analysis, r: Rule, pods_subnets: bool) -> Iterable[Finding]:
    for sid, sa in a.subnets.items():
        if is_pod_subnet(sa) != pods_subnets:
            continue
        need = sa.demand("max")
        if need is None or sa.usable is None or need <= sa.usable:
            continue
        s = sa.subnet
        used = 0 if not isinstance(s.used_addresses, int) else s.used_addresses
        plen = smallest_prefix_for(need, used)
        fix_parts = [f"needs a /{plen} ({usable_of(plen)} usable) or larger, has a /{sa.network.prefixlen}"
                     if plen and sa.network else "needs more than a /16 can hold: split the node groups over more subnets"]
        hint = _max_nodes_hint(a, sa)
        if hint:
            fix_parts.append(hint)
        cheaper = _cheaper_setting(a, sa)
        if cheaper:
            fix_parts.append(f"or {cheaper}")
        yield r.finding(
            sid,
            f"subnet {sid} ({s.cidr}, {s.az if isinstance(s.az, str) else '?'}) needs {need} addresses at max size "
            f"but has {sa.usable} usable ({sa.size} - 5 AWS-reserved"
            + (f" - {used} in use" if used else "") + f"): {_breakdown(sa)}. "
            f"Addresses at min/desired/max: {fmt_scales(sa)}",
            resource_type="subnet",
            location=subnet_location(a, sa),
            fix="; ".join(fix_parts),
            data={"cidr": s.cidr, "usable": sa.usable, "at_min": sa.demand("min"), "at_desired": sa.demand("desired"),
                  "at_max": need, "shortfall": need - sa.usable, "suggested_prefix_length": plen},
            source=a.plan.source,
        )


@rule(
    "PC201",
    Severity.ERROR,
    "Subnet exhausted at node-group max size",
    description="""
At max size, the nodes of every node group that uses the subnet (spread over AZs as an Auto Scaling
group balances them), each holding what ipamd holds at that pod count (ENI primary addresses,
secondary IPs or whole /28 prefixes, the warm pool included), plus EKS control-plane ENIs, need more
addresses than the subnet has: its size minus the 5 AWS reserves, minus addresses already in use and
reserved ranges. Nodes then fail to get addresses and pods stay in ContainerCreating.
""",
    help_uri=DOCS_SUBNETS,
    fix="Use a larger subnet, lower the max size, or lower the warm pool.",
)
def check_exhausted(a: Analysis):
    yield from exhaustion_findings(a, REGISTRY["PC201"], pods_subnets=False)


def _scenario_findings(a: Analysis, r: Rule, scenario) -> Iterable[Finding]:
    """For each node group, replace its max-size contribution by `scenario(na)` and re-judge its subnets."""
    for na in a.nodegroups:
        w = na.worst()
        n_max = na.sizes.get("max")
        if w is None or n_max is None or not na.az_groups:
            continue
        result = scenario(na, n_max)
        if result is None:
            continue
        per_subnet, label, data = result
        for sid, nodes in per_subnet.items():
            sa = a.subnets.get(sid)
            if sa is None or sa.usable is None:
                continue
            base = sa.demand("max")
            if base is None or base > sa.usable:
                continue  # PC201 already reports it
            mine = sum(c.addresses or 0 for c in sa.contributions.get("max", []) if c.who == na.ng.name)
            need = base - mine + nodes * w.alloc.node_subnet_addresses
            if need > sa.usable:
                yield r.finding(
                    sid,
                    f"subnet {sid} ({sa.subnet.cidr}): {label} node group {na.ng.name} puts {nodes} nodes here "
                    f"({w.alloc.node_subnet_addresses} addresses each), {need} addresses with the other users at max "
                    f"size, {sa.usable} usable",
                    resource_type="subnet",
                    location=subnet_location(a, sa),
                    data={**data, "nodegroup": na.ng.name, "nodes": nodes, "need": need, "usable": sa.usable},
                    source=a.plan.source,
                )


def surge_nodes(na: NodegroupAnalysis, n_max: int) -> int:
    """EKS managed node group update: the group grows by max(2 x AZs, maxUnavailable) before draining."""
    k = len(na.az_groups)
    mu = 1
    if isinstance(na.ng.max_unavailable, int):
        mu = na.ng.max_unavailable
    elif isinstance(na.ng.max_unavailable_percentage, int):
        mu = max(1, ceil_div(na.ng.max_unavailable_percentage * n_max, 100))
    return max(2 * k, mu)


@rule(
    "PC202",
    Severity.WARNING,
    "Subnet exhausted during a managed node group update at max size",
    description="""
A managed node group update first scales the group out by the larger of twice its AZ count and its
maxUnavailable, then drains old nodes. At max size, the surge nodes need addresses too; if the subnet
cannot hold them the update stalls with nodes that cannot join or pods that cannot start.
""",
    help_uri=DOCS_MNG_UPDATE,
    fix="Leave room for the surge: a larger subnet, or a lower max size.",
)
def check_surge(a: Analysis):
    def scenario(na: NodegroupAnalysis, n_max: int):
        if na.ng.self_managed:
            return None
        surge = surge_nodes(na, n_max)
        k = len(na.az_groups)
        per_az = ceil_div(n_max, k) + ceil_div(surge, k)
        per_subnet = {sid: ceil_div(per_az, len(subs)) for subs in na.az_groups.values() for sid in subs}
        return per_subnet, f"an update (surge of {surge} nodes) of", {"surge": surge}

    yield from _scenario_findings(a, REGISTRY["PC202"], scenario)


@rule(
    "PC203",
    Severity.WARNING,
    "Remaining AZs cannot absorb a lost AZ's nodes",
    description="""
When an AZ fails, the Auto Scaling group relaunches its share of nodes in the remaining AZs: at max
size each remaining AZ then holds `ceil(max / (AZs - 1))` nodes. If their subnets cannot hold them,
the cluster cannot recover its capacity until the AZ returns.
""",
    help_uri=DOCS_SUBNETS,
    fix="Size each subnet for max / (AZs - 1) nodes, or add an AZ.",
)
def check_lost_az(a: Analysis):
    def scenario(na: NodegroupAnalysis, n_max: int):
        k = len(na.az_groups)
        if k < 2:
            return None
        # every AZ is the lost one in turn: each remaining AZ gets ceil(max / (k - 1)) nodes
        per_subnet = {sid: ceil_div(ceil_div(n_max, k - 1), len(subs))
                      for subs in na.az_groups.values() for sid in subs}
        return per_subnet, f"with one of {k} AZs lost,", {"azs": k}

    yield from _scenario_findings(a, REGISTRY["PC203"], scenario)
