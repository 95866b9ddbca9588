"""PC201-PC203: will the subnets hold every node at max size, during an update, and after losing an AZ."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from podcap.analysis import (
    MAX_UNAVAILABLE_QUOTA,
    Analysis,
    NodegroupAnalysis,
    SubnetAnalysis,
    ceil_div,
    known_az_count,
    pool_items,
    worst_per_az,
)
from podcap.engine.allocation import allocate
from podcap.engine.disruption import DEFAULT_BUDGETS, replacement_surge
from podcap.model.findings import Finding, Severity
from podcap.model.records import replace
from podcap.model.unknown import Unknown
from podcap.rules.base import REGISTRY, Rule, rule
from podcap.rules.common import (
    DOCS_MNG_UPDATE,
    DOCS_SUBNETS,
    cidr_text,
    fmt_scales,
    not_usable,
    plural,
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
        if c.limit and c.addresses is not None:
            parts.append(f"{c.who}: {c.addresses} ({c.limit}; up to {plural(c.nodes, 'node')}, the largest "
                         f"{c.detail})")
        elif c.nodes is not None and c.per_node is not None:
            parts.append(f"{c.who}: {plural(c.nodes, 'node')} x {plural(c.per_node, 'address')} ({c.detail}) "
                         f"= {c.addresses}")
        else:
            parts.append(f"{c.who}: {c.addresses if c.addresses is not None else '?'}"
                         + (f" ({c.detail})" if c.detail else ""))
    return "; ".join(parts)


_CHEAPER: dict[tuple, tuple] = {}  # (type, settings, pods, max pods) -> (limits, allocation or None)


def _cheaper_allocation(limits, settings, pods, kubelet_max_pods):
    """allocate() for the hint, memoized: the same node group is asked about once per subnet it uses."""
    key = (getattr(limits, "name", None), settings, pods, kubelet_max_pods)
    hit = _CHEAPER.get(key)
    if hit is not None and hit[0] is limits:
        return hit[1]
    try:
        alloc = allocate(limits, settings, pods, kubelet_max_pods)
    except ValueError:
        alloc = None
    if len(_CHEAPER) > 4096:
        _CHEAPER.clear()
    _CHEAPER[key] = (limits, alloc)
    return alloc


def _cheaper_setting(a: Analysis, sa: SubnetAnalysis) -> str | None:
    """A warm-pool setting that lowers the per-node addresses, with the figure it gives."""
    hints = a.derived("warm_ip_hints", _warm_ip_hints).get(sa.subnet.id)
    return hints[-1] if hints else None  # the last node group's, as the groups are listed


def _warm_ip_hints(a: Analysis) -> dict[str, list[str]]:
    """Per subnet, for each node group using it (in the analysis's order) whose worst node would take fewer
    addresses with WARM_IP_TARGET=2 (and no MINIMUM_IP_TARGET), the hint saying so: worked out once per
    node group, not once per subnet and node group."""
    out: dict[str, list[str]] = {}
    for na in a.nodegroups:
        w = na.worst()
        if w is None or na.settings.warm_ip_targets_defined or not na.subnet_ids:
            continue
        alt = replace(na.settings, warm_ip_target=2, minimum_ip_target=0)
        alloc = _cheaper_allocation(w.limits, alt, w.pods, w.kubelet_max_pods)
        if alloc is None or alloc.starved_pods or alloc.node_subnet_addresses >= w.alloc.node_subnet_addresses:
            continue
        hint = (f"WARM_IP_TARGET=2 takes {alloc.node_subnet_addresses} instead of "
                f"{w.alloc.node_subnet_addresses} addresses per {w.limits.name} node of {na.ng.name}")
        for sid in dict.fromkeys(na.subnet_ids):
            out.setdefault(sid, []).append(hint)
    return out


def _max_nodes_hint(a: Analysis, sa: SubnetAnalysis, used: int = 0) -> str | None:
    """With a single node group on the subnet: the max size that fits, never below its min size (nor 0).

    An AZ gets at most ``ceil(n / k)`` nodes and its ``share`` subnets split them, so max size ``n`` puts
    ``ceil(ceil(n / k) / share)`` nodes here: it fits while ``n <= fit x share x k``. When even the min size
    does not fit, lowering the max size cannot help: the hint says so and gives the subnet that holds it.
    """
    items = [c for c in sa.contributions.get("max", []) if c.nodes is not None and c.per_node and c.nodegroup]
    if len(items) != 1 or sa.usable is None:
        return None
    c = items[0]
    na = next((n for n in a.nodegroups if n.ng.name == c.nodegroup), None)
    if na is None or not na.az_groups:
        return None
    others = sum(x.addresses or 0 for x in sa.contributions.get("max", []) if x is not c)
    if c.limit:
        return _limit_hint(na, c, sa.usable - others)
    fit = max((sa.usable - others) // c.per_node, 0)  # this node group's nodes the subnet holds
    # a pool that does not balance zones may put all its nodes in this AZ: no AZ factor
    k = known_az_count(na.az_groups) if na.ng.zone_balanced else 1
    n_fit = fit * max(c.share, 1) * k
    low = na.sizes.get("min") or 0
    if n_fit >= max(low, 1):
        if na.ng.provisioner is not None:
            return (f"or hold {c.who} to {plural(n_fit, 'node')} (NodePool limits.nodes, or the max nodes stated "
                    f"for it; {plural(fit, 'node')} in this subnet)")
        return f"or lower {c.who}'s max size to {n_fit} ({plural(fit, 'node')} in this subnet)"
    nodes_low = ceil_div(ceil_div(max(low, 1), k), max(c.share, 1))
    need_low = others + nodes_low * c.per_node
    plen = smallest_prefix_for(need_low, used)
    what = (f"even {c.who}'s min size {low} does not fit" if low >= 1
            else f"not even one node of {c.who} fits")
    return (f"lowering the max size cannot help: {what} ({plural(nodes_low, 'node')} x {c.per_node} addresses"
            + (f" + {others} for the other users" if others else "") + f" = {need_low}, {sa.usable} usable)"
            + (f"; a /{plen} ({usable_of(plen)} usable) holds the min size" if plen and low >= 1
               else f"; a /{plen} ({usable_of(plen)} usable) holds one node" if plen else ""))


def _limit_hint(na: NodegroupAnalysis, c, room: int) -> str | None:
    """A pool held by its cpu limit: the largest limits.cpu whose nodes, however they mix, fit the room left
    here (the bound grows with the limit, so a bisection finds it). None with a memory limit too, or when no
    limit that admits a node fits."""
    pl = na.ng.pool_limits
    if pl is None or pl.cpu is None or pl.memory is not None or room <= 0:
        return None
    from podcap.engine.pool_capacity import most_within

    items = pool_items(na, "pod" if c.who.endswith("(pods)") else "node")

    def bound(cpu: int) -> int | None:
        # cpu alone (a node count beside it only lowers the figure): quick, and the limit named surely fits
        b = most_within(items, cpu=cpu) if items else None
        return None if b is None else b.value

    lo, hi = 0, int(pl.cpu)  # bound(lo) fits; bound(hi) does not (it is this finding's figure)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        value = bound(mid)
        if value is None:
            return None
        lo, hi = (mid, hi) if value <= room else (lo, mid)
    value = bound(lo)
    if not lo or not value:
        return None
    return f"or lower limits.cpu to {lo} (its nodes then take at most {value} addresses here)"


def exhaustion_findings(a: Analysis, r: Rule, pods_subnets: bool) -> Iterable[Finding]:
    for sid, sa in a.subnets.items():
        if sa.usable is None:
            continue
        need = sa.demand("max")
        partial = need is None  # some users unknown (PC001 says which): what is known may already not fit
        if partial:
            need = sa.known_demand("max")
        if need <= sa.usable or is_pod_subnet(sa) != pods_subnets:
            continue
        s = sa.subnet
        used = 0 if not isinstance(s.used_addresses, int) else s.used_addresses
        if s.used_ips is not None and sa.blocks is not None:
            used = sa.blocks.in_use  # the ENIs' own addresses decided `usable`: the message counts the same
        other = (sa.size or 0) - 5 - used - sa.usable  # reservations, or in-use addresses AWS did not count
        taken = used + max(other, 0)  # a larger subnet still holds what is in use and reserved here
        plen = smallest_prefix_for(need, taken)
        fix_parts = [f"needs a /{plen} ({usable_of(plen)} usable) or larger, has a /{sa.prefix_length}"
                     if plen and sa.size else "needs more than a /16 can hold: split the node groups over more subnets"]
        hint = _max_nodes_hint(a, sa, taken)
        if hint:
            fix_parts.append(hint)
        cheaper = _cheaper_setting(a, sa)
        if cheaper:
            fix_parts.append(f"or {cheaper}")
        yield r.finding(
            sid,
            f"subnet {sid} ({cidr_text(s)}, {s.az if isinstance(s.az, str) else '?'}) needs "
            + ("at least " if partial else "") + f"{need} addresses at max size "
            f"but has {sa.usable} usable ({sa.size} - 5 AWS-reserved"
            + (f" - {used} in use" if used else "") + (f" - {other} reserved" if other > 0 else "")
            + f"): {_breakdown(sa)}. "
            f"Addresses at min/desired/max: {fmt_scales(sa)}",
            resource_type="subnet",
            location=subnet_location(a, sa),
            fix="; ".join(fix_parts),
            data={"cidr": s.cidr, "usable": sa.usable, "at_min": sa.demand("min"), "at_desired": sa.demand("desired"),
                  "at_max": None if partial else need, "at_least": need, "shortfall": need - sa.usable,
                  "suggested_prefix_length": plen},
            source=a.plan.source,
        )


@rule(
    "PC201",
    Severity.ERROR,
    "Subnet exhausted at node-group max size",
    description="""
At max size, the nodes of every node group that uses the subnet (spread over AZs as an Auto Scaling
group balances them; a subnet of unknown AZ is placed where it hurts most, beside the group's other
subnets or alone), each holding what ipamd holds at that pod count (ENI primary addresses,
secondary IPs or whole /28 prefixes, the warm pool included), plus EKS control-plane ENIs, need more
addresses than the subnet has: its size minus the 5 AWS reserves, minus addresses already in use and
reserved ranges. Nodes then fail to get addresses and pods stay in ContainerCreating.

A Karpenter or EKS Auto Mode pool whose NodePool has cpu or memory limits counts the most addresses any
mix of its candidate types within those limits takes (Karpenter launches no node past them), all of it
in each AZ it may use, since Karpenter does not balance zones (docs/node-pools.md).
""",
    help_uri=DOCS_SUBNETS,
    fix="Use a larger subnet, lower the max size, or lower the warm pool.",
)
def check_exhausted(a: Analysis):
    yield from exhaustion_findings(a, REGISTRY["PC201"], pods_subnets=False)


# one max-size contribution, as a scenario reads it: (node group, AZ, share, placement, per node, addresses,
# and for a node pool its limits hold below nodes x per node: its nodes at max size and what k more of its
# nodes take, else None, None)
_Term = tuple[str | None, str | None, int, Callable[[int], int] | None, int | None, int | None, int | None,
              Callable[[int], int] | None]


def _terms(sa: SubnetAnalysis) -> list[_Term]:
    """The subnet's max-size contributions as plain tuples, read once per subnet: the scenario rules evaluate
    every subnet of their node groups in every scenario (three lost AZs over thousands of subnets)."""
    return [(c.nodegroup, c.az, c.share, getattr(c, "placement", None), c.per_node, c.addresses,
             c.nodes if c.limit else None, c.extra)
            for c in sa.contributions.get("max", [])]


def _term_nodes(term: _Term, per_az: dict[str, dict[str, int]]) -> int | None:
    """The nodes a contribution stands for in the scenario; None when the scenario leaves it as it is.

    `per_az`: node group -> AZ -> nodes; an AZ left out of a listed node group has none. Node-subnet
    contributions split an AZ's nodes over its subnets; custom-networking pod-subnet contributions take all
    of them; nodes that do not split evenly are placed again (analysis.place_most_free)."""
    ng, az, share, placement = term[:4]
    nodes_by_az = per_az.get(ng) if az is not None else None
    if nodes_by_az is None:
        return None
    n = nodes_by_az.get(az, 0)
    return placement(n) if placement is not None else ceil_div(n, share)


def _scenario_total(terms: list[_Term], per_az: dict[str, dict[str, int]]) -> int | None:
    """The subnet's demand at max size when the node groups in `per_az` have these nodes per AZ; the other
    users (other node groups, the control plane) keep their max-size figure. None when a figure is unknown."""
    total = 0
    for term in terms:
        per_node, addresses = term[4], term[5]
        nodes = _term_nodes(term, per_az)
        if nodes is None:  # the scenario leaves this contribution as it is
            if addresses is None:
                return None
            total += addresses
        elif per_node is None:
            return None
        elif term[6] is not None and addresses is not None:
            # a pool its limits hold to `addresses`: nodes beyond its max-size count are ones the limits no
            # longer count (nodes marked for disruption, beside their replacements), each at most the worst
            # type's, and together no more than that many nodes within the limits take
            more = max(nodes - term[6], 0)
            extra = min(more * per_node, term[7](more)) if more and term[7] is not None else more * per_node
            total += min(nodes * per_node, addresses + extra)
        else:
            total += nodes * per_node
    return total


def _nodes_here(terms: list[_Term], per_az: dict[str, dict[str, int]]) -> dict[str, int]:
    nodes = {term[0]: _term_nodes(term, per_az) for term in terms}
    return {ng: n for ng, n in nodes.items() if n is not None}


def _scenario_subnets(a: Analysis) -> tuple[dict[str | None, list[str]], dict[str, list[_Term] | None]]:
    """What the scenario rules (PC202, PC203) read of every subnet, once for both: the subnets each node group
    takes addresses from (a scenario looks only at its node groups' subnets, not at every subnet of the
    plan: that was quadratic in plan size), and each one's max-size contributions, or None when its demand
    at max is unknown (PC001) or already over (PC201 reports it)."""
    by_ng: dict[str | None, list[str]] = {}
    terms: dict[str, list[_Term] | None] = {}
    for sid, sa in a.subnets.items():
        if sa.usable is None:
            continue
        contributions = sa.contributions.get("max", [])
        for ng in dict.fromkeys(c.nodegroup for c in contributions):
            by_ng.setdefault(ng, []).append(sid)
        if contributions:
            base = sa.demand("max")
            terms[sid] = _terms(sa) if base is not None and base <= sa.usable else None
    return by_ng, terms


def _pd_scenario_subnets(a: Analysis) -> dict[str, list]:
    """The subnets where prefix delegation takes /28 blocks at max size and every figure is known: their
    max-size contributions, for the scenarios' block test."""
    out = {}
    for sid, sa in a.subnets.items():
        if sa.blocks is None or sa.usable is None:
            continue
        contributions = sa.contributions.get("max", [])
        if sa.prefix_demand("max") and sa.single_demand("max") is not None:
            out[sid] = contributions
    return out


def _scenario_blocks(contributions: list, per_az: dict[str, dict[str, int]]) -> tuple[int, int] | None:
    """/28 prefixes and single addresses the subnet's users take in the scenario (as :func:`_scenario_total`
    counts addresses): a contribution the scenario moves holds its per-node prefixes and singles on each of
    its nodes there; a pool its limits hold keeps its prefix bound, plus the nodes beyond its max-size count."""
    prefixes = singles = 0
    for c in contributions:
        nodes = _term_nodes((c.nodegroup, c.az, c.share, getattr(c, "placement", None)), per_az)
        if nodes is None:
            if c.prefixes is None or c.singles is None:
                return None
            prefixes += c.prefixes
            singles += c.singles
            continue
        if c.per_node is None:
            return None
        ppn = c.prefixes_per_node or 0
        p = nodes * ppn
        if c.prefix_cap is not None and c.nodes is not None:
            p = min(p, c.prefix_cap + max(nodes - c.nodes, 0) * ppn)
        prefixes += p
        singles += nodes * (c.per_node - 16 * ppn)
    return prefixes, singles


def _scenario_findings(a: Analysis, r: Rule, scenarios) -> Iterable[Finding]:
    """Each scenario: (per_az, label, data). A subnet that holds at max size but not in a scenario gets one
    finding, for its worst scenario: addresses first; with prefix delegation, /28 blocks where the
    addresses fit but even the best placement of the single addresses leaves too few (EC2 then refuses
    the prefixes: InsufficientCidrBlocks)."""
    worst: dict[str, tuple[int, str, dict, dict[str, int]]] = {}
    short: dict[str, tuple[int, int, int, int, str, dict, dict[str, int]]] = {}
    by_ng, terms = a.derived("scenario_subnets", _scenario_subnets)
    pd = a.derived("scenario_pd_subnets", _pd_scenario_subnets)
    for per_az, label, data in scenarios:
        for sid in dict.fromkeys(sid for ng in per_az for sid in by_ng.get(ng, ())):
            here = terms[sid]
            if here is None:
                continue
            sa = a.subnets[sid]
            need = _scenario_total(here, per_az)
            if need is not None and need > sa.usable and need > worst.get(sid, (-1,))[0]:
                worst[sid] = (need, label, data, _nodes_here(here, per_az))
            elif need is not None and sid in pd:
                got = _scenario_blocks(pd[sid], per_az)
                if got is None:
                    continue
                blocks, singles = got
                have = sa.blocks_left(singles)
                if have is not None and blocks > have and blocks - have > short.get(sid, (-1,))[0]:
                    short[sid] = (blocks - have, blocks, singles, have, label, data, _nodes_here(here, per_az))
    def finding(sid: str, label: str, nodes: dict[str, int], what: str, fix: str, data: dict,
                figures: dict) -> Finding:
        sa = a.subnets[sid]
        who = ", ".join(f"{ng} puts {plural(n, 'node')} here" for ng, n in nodes.items())
        return r.finding(
            sid,
            f"subnet {sid} ({cidr_text(sa.subnet)}): {label}: {who}; {what}",
            resource_type="subnet",
            location=subnet_location(a, sa),
            fix=f"{fix}; {r.fix[0].lower()}{r.fix[1:]}" if r.fix else fix,
            data={**data, "nodegroup": next(iter(nodes), None), "nodes": next(iter(nodes.values()), None),
                  "nodes_by_nodegroup": nodes, **figures, "usable": sa.usable},
            source=a.plan.source,
        )

    for sid, (need, label, data, nodes) in worst.items():
        sa = a.subnets[sid]
        plen = smallest_prefix_for(need, not_usable(sa))
        fix = (f"needs a /{plen} ({usable_of(plen)} usable) or larger for this, has a /{sa.prefix_length}"
               if plen and sa.size else "split the node groups over more subnets")
        yield finding(sid, label, nodes, f"{need} addresses with the other users at max size, {sa.usable} usable",
                      fix, data, {"need": need})
    for sid, (_, blocks, singles, have, label, data, nodes) in short.items():
        if sid in worst:
            continue
        yield finding(sid, label, nodes,
                      f"prefix delegation needs {blocks} free aligned /28 blocks with the other users at max size, "
                      f"plus {singles} single addresses, but even at best only {have} /28 blocks are left for "
                      "prefixes (InsufficientCidrBlocks)",
                      f"a prefix-type subnet CIDR reservation or a larger subnet with room for {blocks} /28s beside "
                      "the single addresses",
                      data, {"prefix_blocks_needed": blocks, "single_addresses": singles, "blocks_left": have})


def minimal_update(na: NodegroupAnalysis) -> bool:
    """NodegroupUpdateConfig updateStrategy MINIMAL: "terminates the old instances before launching the new
    instances" (EKS API reference), so an update adds no nodes. DEFAULT, an unknown value or none: it surges."""
    s = na.ng.update_strategy
    return isinstance(s, str) and s.strip().upper() == "MINIMAL"


def surge_nodes(na: NodegroupAnalysis, n_max: int) -> int:
    """EKS managed node group update: the group grows by max(2 x AZs, maxUnavailable) before draining."""
    k = known_az_count(na.az_groups)  # the AZs the worst case spreads over (worst_per_az)
    mu = 1
    if isinstance(na.ng.max_unavailable, int):
        mu = na.ng.max_unavailable
    elif isinstance(na.ng.max_unavailable_percentage, int):
        mu = max(1, ceil_div(na.ng.max_unavailable_percentage * n_max, 100))
    # EKS: "The maximum unavailable has a quota of 100 nodes" (managed-node-update-behavior, setup phase;
    # NodegroupUpdateConfig: a percentage is updated "up to 100 nodes at once")
    return max(2 * k, min(mu, MAX_UNAVAILABLE_QUOTA))


@rule(
    "PC202",
    Severity.WARNING,
    "Subnet exhausted during a managed node group update at max size",
    description="""
A managed node group update first scales the group out by the larger of twice its AZ count and its
maxUnavailable (a percentage of the max size, rounded up; at most 100 nodes, EKS's quota), then drains
old nodes. A group whose updateConfig asks for the MINIMAL update strategy terminates old nodes first and
does not surge. At max size, the surge nodes need addresses too; if the subnet
cannot hold them the update stalls with nodes that cannot join or pods that cannot start.

A Karpenter or EKS Auto Mode node pool is not updated that way: Karpenter replaces drifted or
underutilized nodes by launching their replacements first, as many at once as the NodePool's
`spec.disruption.budgets` allow (the fewest of the budgets that apply; a percentage of the pool's nodes
is rounded up; no budgets means one of `nodes: 10%`, which is also what EKS Auto Mode's built-in pools
use). At its most nodes the pool then briefly holds that many more. A budget with a schedule limits only
inside its window, so it is not counted; expiration (`expireAfter`) is not limited by budgets and is not
modelled. For a pool whose cpu or memory limits hold its nodes below max nodes x the largest type's
addresses (docs/node-pools.md), the nodes picked for disruption no longer count against the limits
(kubernetes-sigs/karpenter `updateNodePoolResources`): the pool's bound plus the most that many of its
nodes take within the limits.
""",
    help_uri=DOCS_MNG_UPDATE,
    fix="Leave room for the surge: a larger subnet, or a lower max size.",
)
def check_surge(a: Analysis):
    def scenarios():
        for na in a.nodegroups:  # a managed node group updates on its own
            n_max = na.sizes.get("max")
            if na.ng.self_managed or na.worst() is None or n_max is None or not na.az_groups:
                continue
            if na.surge_unknown:
                continue  # PC001 reports it
            if na.ng.provisioner is not None:  # a node pool: replacements under its disruption budgets
                budgets = na.ng.disruption_budgets
                if isinstance(budgets, Unknown):
                    continue  # PC001 reports it
                surge, how = replacement_surge(budgets or DEFAULT_BUDGETS, n_max)
                if surge < 1:
                    continue
                # an unbalanced pool's replacements may all land in one AZ, as its nodes may
                per = (worst_per_az(n_max + surge, na.az_groups) if na.ng.zone_balanced
                       else dict.fromkeys(na.az_groups, n_max + surge))
                yield ({na.ng.name: per},
                       f"replacing nodes of node pool {na.ng.name} (surge of {plural(surge, 'node')}: {how})",
                       {"surge": surge, "disruption_budget": how})
                continue
            if minimal_update(na):
                continue  # old nodes go first: the group never grows
            surge = surge_nodes(na, n_max)
            per = worst_per_az(n_max + surge, na.az_groups)  # the group stays balanced while it surges
            yield ({na.ng.name: per},
                   f"an update of node group {na.ng.name} (surge of {surge} nodes)", {"surge": surge})

    yield from _scenario_findings(a, REGISTRY["PC202"], scenarios())


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
    def scenarios():
        azs = sorted({az for na in a.nodegroups for az in na.az_groups if not az.startswith("?")})
        for lost in azs:  # every node group in the lost AZ moves its nodes at once
            per_az = {}
            for na in a.nodegroups:
                n_max = na.sizes.get("max")
                left = {az: subs for az, subs in na.az_groups.items() if az != lost}
                if lost not in na.az_groups or not left or n_max is None or na.worst() is None:
                    continue
                per_az[na.ng.name] = worst_per_az(n_max, left)
            if per_az:
                yield per_az, f"with AZ {lost} lost", {"lost_az": lost, "azs": len(azs)}

    yield from _scenario_findings(a, REGISTRY["PC203"], scenarios())
