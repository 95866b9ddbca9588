"""The engine applied to a plan: per node group, what each node takes; per subnet, what all nodes take.

Rules read an :class:`Analysis` instead of recomputing. Every figure here is a worst case the plan
allows, never a guess: where an input is Unknown the figure is None and the reason is kept.

How nodes land in subnets: an Auto Scaling group balances a node group's nodes across its AZs, so with
n nodes over k AZs an AZ gets at most ``ceil(n / k)``; subnets of one AZ share its nodes evenly.
Addresses per node are taken on ipamd's growth path at the node's pods (see engine.allocation).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

from podcap.engine.allocation import NodeAllocation, allocate
from podcap.engine.blocks import BLOCK, FragmentationReport, fragmentation_report
from podcap.engine.maxpods import HOST_NETWORK_PODS, MaxPods, max_pods, pd_active
from podcap.engine.settings import CniSettings, ParsedSettings, parse_env
from podcap.limits import InstanceLimits, Snapshot, UnknownInstanceType
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet, SubnetRole
from podcap.model.unknown import Unknown

AWS_RESERVED = 5  # first four addresses and the last of every subnet
CONTROL_PLANE_ENIS = 4  # EKS places 2 to 4 cross-account ENIs in the cluster subnets
SCALES = ("min", "desired", "max")


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass
class TypeCapacity:
    limits: InstanceLimits
    maxpods: MaxPods
    kubelet_max_pods: int
    capacity_pods: int  # address-taking pods a node really runs: min(kubelet, network) - 2
    pods: int  # address-taking pods assumed per node (demand, capped at capacity)
    alloc: NodeAllocation


@dataclass
class NodegroupAnalysis:
    ng: NodeGroup
    cluster: Cluster | None
    parsed: ParsedSettings
    types: list[TypeCapacity] = field(default_factory=list)
    unknown_types: list[str] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)  # why a figure could not be computed
    requested_pods: int | None = None  # stated demand
    sizes: dict[str, int | None] = field(default_factory=dict)
    subnet_ids: list[str] = field(default_factory=list)  # resolved Subnet.id values
    subnets_unknown: Unknown | None = None
    az_groups: dict[str, list[str]] = field(default_factory=dict)  # AZ -> Subnet.id values
    surge_unknown: bool = False  # the update config is unreadable or invalid: no surge figure

    @property
    def settings(self) -> CniSettings:
        return self.parsed.settings

    @property
    def pd(self) -> bool:
        return any(pd_active(t.limits, self.settings) for t in self.types)

    def worst(self) -> TypeCapacity | None:
        """The instance type whose node takes the most addresses (mixed types: plan for the worst)."""
        if not self.types or self.unknown_types:
            return None
        return max(self.types, key=lambda t: (t.alloc.subnet_addresses, t.alloc.pod_subnet_addresses))

    def smallest(self) -> TypeCapacity | None:
        """The instance type with the fewest pods per node (mixed types: the smallest wins)."""
        return min(self.types, key=lambda t: t.capacity_pods) if self.types else None


@dataclass
class Contribution:
    """What one source (a node group, the control plane) takes from one subnet at one scale."""

    who: str
    nodes: int | None
    per_node: int | None
    addresses: int | None
    detail: str = ""
    prefixes_per_node: int = 0  # /28 prefixes each node holds in this subnet (prefix delegation)
    nodegroup: str | None = None  # the node group's name (None: the EKS control plane)
    az: str | None = None  # the AZ (group key) whose nodes these are
    share: int = 1  # subnets that AZ's nodes split over (1 for a custom-networking pod subnet)

    @property
    def prefixes(self) -> int | None:
        """Aligned /28 blocks this source needs here."""
        if not self.prefixes_per_node:
            return 0
        return None if self.nodes is None else self.nodes * self.prefixes_per_node

    @property
    def singles(self) -> int | None:
        """Addresses taken one by one (ENI primaries, secondary IPs): EC2 may place them anywhere."""
        if self.addresses is None:
            return None
        return self.addresses - 16 * (self.prefixes or 0)


@dataclass
class SubnetAnalysis:
    subnet: Subnet
    network: ipaddress.IPv4Network | None
    size: int | None
    usable: int | None
    contributions: dict[str, list[Contribution]] = field(default_factory=dict)  # scale -> list
    unknowns: list[Unknown] = field(default_factory=list)
    prefix_nodegroups: list[str] = field(default_factory=list)  # PD node groups that take /28s here
    blocks: FragmentationReport | None = None  # free addresses and free aligned /28s
    unplaced_used: int = 0  # addresses in use whose place in the CIDR is not known (count only)

    def demand(self, scale: str) -> int | None:
        items = self.contributions.get(scale, [])
        if any(c.addresses is None for c in items):
            return None
        return sum(c.addresses or 0 for c in items)

    @property
    def used(self) -> bool:
        return any(self.contributions.get(s) for s in SCALES)

    def known_demand(self, scale: str) -> int:
        """What the contributions known so far take: a floor when some are unknown."""
        return sum(c.addresses or 0 for c in self.contributions.get(scale, []))

    def prefix_demand(self, scale: str) -> int | None:
        """Aligned /28 blocks the prefix-delegation node groups hold here."""
        items = [c.prefixes for c in self.contributions.get(scale, [])]
        return None if any(p is None for p in items) else sum(p or 0 for p in items)

    def single_demand(self, scale: str) -> int | None:
        """Addresses taken one at a time (ENI primaries, secondary IPs, control-plane ENIs)."""
        items = [c.singles for c in self.contributions.get(scale, [])]
        return None if any(p is None for p in items) else sum(p or 0 for p in items)

    def blocks_left(self, singles: int = 0, worst: bool = False) -> int | None:
        """Free aligned /28s left for prefixes once `singles` single addresses are placed.

        Single addresses never go into a ``prefix`` reservation. Best case they fill the loose addresses
        (free, outside reservations, not in a free /28) before breaking into a free /28; worst case each
        breaks one. In-use addresses known only by count (no positions) are placed the same way.
        """
        b = self.blocks
        if b is None:
            return None
        load = singles + self.unplaced_used
        if worst:
            free = max(b.free_blocks - load, 0)
        else:
            loose = max(b.free_addresses - BLOCK * b.free_blocks, 0)
            free = max(b.free_blocks - ceil_div(max(load - loose, 0), BLOCK), 0)
        return free + b.prefix_reserved_blocks

    def prefix_blocks_available(self) -> int | None:
        """Free aligned /28s for prefixes before the plan's own nodes, best case (a shortfall is certain)."""
        return self.blocks_left()


@dataclass
class Analysis:
    plan: Plan
    snapshot: Snapshot
    nodegroups: list[NodegroupAnalysis]
    subnets: dict[str, SubnetAnalysis]
    unknowns: list[tuple[str, Unknown]] = field(default_factory=list)  # (resource, why) beyond the above

    def subnet_of(self, subnet_id: str) -> SubnetAnalysis | None:
        return self.subnets.get(subnet_id)


@lru_cache(maxsize=65536)
def _alloc(limits: InstanceLimits, settings: CniSettings, pods: int, kubelet: int) -> NodeAllocation:
    return allocate(limits, settings, pods, kubelet)


def _int_or_unknown(value, what: str, where: str, unknowns: list[Unknown]) -> int | None:
    if isinstance(value, Unknown):
        unknowns.append(Unknown(f"{what}: {value.reason}", value.where or where))
        return None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            unknowns.append(Unknown(f"{what} is not a number: {value!r}", where))
            return None
    return value


def cluster_settings(cluster: Cluster | None) -> tuple[ParsedSettings, Unknown | None]:
    env = cluster.cni_env if cluster is not None else None
    unknown = None
    if isinstance(env, Unknown):
        unknown = Unknown(f"aws-node settings unreadable, the CNI's defaults assumed: {env.reason}", env.where)
        env = None
    parsed = parse_env(env)
    if cluster is not None and cluster.ip_family == "ipv6" and not parsed.settings.ipv6:
        parsed = parse_env({**(env or {}), "ENABLE_IPv6": "true", "ENABLE_PREFIX_DELEGATION": "true"})
    return parsed, unknown


def analyse_nodegroup(plan: Plan, ng: NodeGroup, snapshot: Snapshot) -> NodegroupAnalysis:
    cluster = plan.cluster_for(ng)
    parsed, env_unknown = cluster_settings(cluster)
    na = NodegroupAnalysis(ng=ng, cluster=cluster, parsed=parsed, requested_pods=ng.pods_per_node)
    where = ng.location.path or ng.name
    if env_unknown:
        na.unknowns.append(env_unknown)
    for scale, value in zip(SCALES, (ng.min_size, ng.desired_size, ng.max_size)):
        na.sizes[scale] = _int_or_unknown(value, f"{scale} size", where, na.unknowns)
    lo, mid, hi = (na.sizes.get(x) for x in SCALES)
    if any(v is not None and v < 0 for v in (lo, mid, hi)) or (hi is not None and hi < 1) or (
            lo is not None and hi is not None and lo > hi) or (
            mid is not None and ((lo is not None and mid < lo) or (hi is not None and mid > hi))):
        na.unknowns.append(Unknown(f"invalid scaling config: min {lo}, desired {mid}, max {hi} (EKS needs "
                                   "0 <= min <= desired <= max and max >= 1)", where))
        na.sizes = dict.fromkeys(SCALES)
    for what, value, top in (("update maxUnavailable", ng.max_unavailable, None),
                             ("update maxUnavailablePercentage", ng.max_unavailable_percentage, 100)):
        if isinstance(value, Unknown):
            na.unknowns.append(Unknown(f"{what}: {value.reason}", value.where or where))
            na.surge_unknown = True
        elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1
                                    or (top is not None and value > top)):
            na.unknowns.append(Unknown(f"invalid {what} {value!r} (EKS needs a whole number from 1"
                                       + (f" to {top})" if top else ")"), where))
            na.surge_unknown = True
    # subnets
    if isinstance(ng.subnets, Unknown):
        na.subnets_unknown = ng.subnets
        na.unknowns.append(Unknown(f"subnets: {ng.subnets.reason}", ng.subnets.where or where))
    else:
        for s in ng.subnets:
            if isinstance(s, Unknown):
                na.subnets_unknown = s
                na.unknowns.append(Unknown(f"a subnet: {s.reason}", s.where or where))
            else:
                na.subnet_ids.append(s)
    # kubelet max-pods
    kubelet: int | None = None
    if isinstance(ng.kubelet_max_pods, Unknown):
        na.unknowns.append(Unknown(f"kubelet max-pods unreadable, the AMI default assumed: {ng.kubelet_max_pods.reason}",
                                   ng.kubelet_max_pods.where or where))
    elif ng.kubelet_max_pods is not None:
        kubelet = int(ng.kubelet_max_pods)
    # instance types
    types = ng.instance_types
    if isinstance(types, Unknown):
        na.unknowns.append(Unknown(f"instance types: {types.reason}", types.where or where))
        types = []
    for t in types:
        if isinstance(t, Unknown):
            na.unknowns.append(Unknown(f"an instance type: {t.reason}", t.where or where))
            na.unknown_types.append(str(t))
            continue
        try:
            lim = snapshot.get(t)
        except UnknownInstanceType:
            na.unknown_types.append(t)
            continue
        mp = max_pods(lim, parsed.settings)
        k = kubelet if kubelet is not None else mp.ami_default_max_pods
        capacity = max(min(k, mp.network_max_pods) - HOST_NETWORK_PODS, 0)
        pods = capacity if ng.pods_per_node is None else min(ng.pods_per_node, capacity)
        alloc = _alloc(lim, parsed.settings, pods, k)
        na.types.append(TypeCapacity(lim, mp, k, capacity, pods, alloc))
    return na


def _azs(sub_ids: list[str], plan: Plan) -> tuple[dict[str, list[str]], list[Unknown]]:
    """Group a node group's subnets by AZ; an unknown AZ counts as its own AZ (and is reported)."""
    groups: dict[str, list[str]] = {}
    unknowns: list[Unknown] = []
    for sid in sub_ids:
        s = plan.subnets.get(sid)
        az = s.az if s is not None else Unknown("subnet not in the plan")
        if isinstance(az, Unknown):
            unknowns.append(Unknown(f"AZ of subnet {sid}: {az.reason}", az.where or sid))
            groups.setdefault(f"?{sid}", []).append(sid)
        else:
            groups.setdefault(az, []).append(sid)
    return groups, unknowns


def nodes_per_subnet(nodes: int, az_groups: dict[str, list[str]]) -> dict[str, int]:
    """Worst case per subnet: an AZ gets at most ceil(n / k); its subnets split that evenly."""
    out: dict[str, int] = {}
    k = len(az_groups)
    if k == 0:
        return out
    per_az = ceil_div(nodes, k)
    for subs in az_groups.values():
        for sid in subs:
            out[sid] = ceil_div(per_az, len(subs))
    return out


def _subnet_base(s: Subnet, pd_here: bool) -> SubnetAnalysis:
    """Size, usable addresses and free /28 blocks of one subnet.

    Usable = size - 5 AWS-reserved - in use - reserved, each address counted once: reservations may
    overlap each other, the AWS-reserved five or in-use addresses. A ``prefix`` reservation's free
    addresses count only where prefix delegation takes addresses (single secondary IPs cannot use
    them). When the in-use addresses themselves are known (live AWS: every address of every ENI in the
    subnet), they are counted rather than AvailableIpAddressCount, which already leaves ``prefix``
    reservations out and would have them taken off twice.
    """
    unknowns: list[Unknown] = []
    net = None
    size = usable = None
    blocks = None
    unplaced = 0
    if isinstance(s.cidr, Unknown):
        unknowns.append(Unknown(f"CIDR of subnet {s.id}: {s.cidr.reason}", s.cidr.where or s.id))
    else:
        try:
            net = ipaddress.IPv4Network(s.cidr, strict=False)
        except ValueError as e:
            unknowns.append(Unknown(f"invalid CIDR {s.cidr!r} for subnet {s.id}: {e}", s.id))
    if net is not None:
        size = net.num_addresses
        used = 0
        if isinstance(s.used_addresses, Unknown):
            unknowns.append(Unknown(f"addresses in use in {s.id}: {s.used_addresses.reason}", s.id))
        elif s.used_addresses:
            used = int(s.used_addresses)
        reservations = []
        for r in s.reservations:
            if isinstance(r.cidr, Unknown):
                unknowns.append(Unknown(f"reservation in {s.id}: {r.cidr.reason}", s.id))
                continue
            try:
                ipaddress.IPv4Network(r.cidr, strict=False)
            except ValueError:
                unknowns.append(Unknown(f"invalid reservation CIDR {r.cidr!r} in {s.id}", s.id))
                continue
            reservations.append(r)
        try:
            blocks = fragmentation_report(str(net), s.used_ips or (), reservations)
        except ValueError as e:
            unknowns.append(Unknown(f"reservations of {s.id}: {e}", s.id))
        if blocks is None:
            usable = max(size - AWS_RESERVED - used, 0)
        else:
            free = blocks.usable if pd_here else blocks.free_addresses
            if s.used_ips is None:
                unplaced = used
                usable = max(free - used, 0)
            else:
                usable = free  # every in-use address is known: AWS's own count is not needed
    return SubnetAnalysis(subnet=s, network=net, size=size, usable=usable, unknowns=unknowns,
                          blocks=blocks, unplaced_used=unplaced)


def analyse(plan: Plan, snapshot: Snapshot) -> Analysis:
    ngs = [analyse_nodegroup(plan, ng, snapshot) for ng in plan.nodegroups]
    pd_subnets: dict[str, list[str]] = {}
    for na in ngs:
        if na.pd:
            targets = list(na.subnet_ids)
            if na.settings.custom_networking and na.cluster is not None:
                targets = [v for v in na.cluster.eni_configs.values() if isinstance(v, str)]
            for sid in targets:
                pd_subnets.setdefault(sid, []).append(na.ng.name)
    subnets: dict[str, SubnetAnalysis] = {}
    for sid, s in plan.subnets.items():
        subnets[sid] = _subnet_base(s, sid in pd_subnets)
        subnets[sid].prefix_nodegroups = pd_subnets.get(sid, [])

    def add(sid: str, scale: str, c: Contribution) -> None:
        sa = subnets.get(sid)
        if sa is None:
            sub = Subnet(id=sid, cidr=Unknown("subnet referenced but not defined in the plan; use --live"),
                         az=Unknown("subnet not defined in the plan"), defined_in_plan=False)
            plan.subnets[sid] = sub
            sa = subnets[sid] = _subnet_base(sub, False)
        sa.contributions.setdefault(scale, []).append(c)

    for na in ngs:
        az_groups, az_unknowns = _azs(na.subnet_ids, plan)
        na.az_groups = az_groups
        na.unknowns.extend(az_unknowns)
        worst = na.worst()
        for scale in SCALES:
            n = na.sizes.get(scale)
            if na.subnets_unknown is not None and not na.subnet_ids:
                # where these nodes land is unknown: every subnet they might use has an unknown demand
                for sid, sub_ in list(plan.subnets.items()):
                    if sub_.defined_in_plan and sub_.role != SubnetRole.PODS:
                        add(sid, scale, Contribution(na.ng.name, None, None, None, "subnets unknown",
                                                     nodegroup=na.ng.name))
                continue
            spread = nodes_per_subnet(n, az_groups) if n is not None else {sid: None for sid in na.subnet_ids}
            per_node = worst.alloc.node_subnet_addresses if worst else None
            detail = f"{worst.limits.name}, {worst.pods} pods/node, {na.settings.describe()}" if worst else ""
            prefixes = worst.alloc.prefixes if worst and not na.settings.custom_networking else 0
            for az, subs in az_groups.items():
                for sid in subs:
                    k = spread.get(sid)
                    add(sid, scale, Contribution(na.ng.name, k, per_node,
                                                 None if (k is None or per_node is None) else k * per_node, detail,
                                                 prefixes, na.ng.name, az, len(subs)))
            # custom networking: pod addresses go to the ENIConfig subnet of each node's AZ
            if na.settings.custom_networking and na.cluster is not None:
                for az in az_groups:
                    target = na.cluster.eni_configs.get(az)
                    if target is None or isinstance(target, Unknown):
                        continue  # PC301 / PC001 report it
                    k_az = None if n is None else ceil_div(n, len(az_groups))
                    per_node = worst.alloc.pod_subnet_addresses if worst else None
                    add(target, scale, Contribution(
                        f"{na.ng.name} (pods)", k_az, per_node,
                        None if (k_az is None or per_node is None) else k_az * per_node,
                        f"custom networking, AZ {az}", worst.alloc.prefixes if worst else 0, na.ng.name, az))
    # EKS control-plane ENIs
    unknowns: list[tuple[str, Unknown]] = []
    for cl in plan.clusters.values():
        missing = cl.subnets if isinstance(cl.subnets, Unknown) else next(
            (x for x in cl.subnets if isinstance(x, Unknown)), None)
        if missing is not None:
            # fail closed: the control plane's ENIs may sit in any subnet its node groups use
            unknowns.append((cl.id, Unknown(f"control-plane subnets: {missing.reason}", missing.where or cl.id)))
            users = {sid for na in ngs if na.cluster is cl for sid in na.subnet_ids} or {
                sid for sid, x in plan.subnets.items() if x.defined_in_plan and x.role != SubnetRole.PODS}
            for sid in sorted(users):
                for scale in SCALES:
                    add(sid, scale, Contribution(f"EKS control plane ({cl.id})", None, None, None,
                                                 "control-plane subnets unknown"))
            continue
        ids = [s for s in cl.subnets if isinstance(s, str)]
        if not ids:
            continue
        per = ceil_div(CONTROL_PLANE_ENIS, len(ids))
        for sid in ids:
            for scale in SCALES:
                add(sid, scale, Contribution(f"EKS control plane ({cl.id})", None, None, per,
                                             f"up to {CONTROL_PLANE_ENIS} ENIs over {len(ids)} subnets"))
    return Analysis(plan=plan, snapshot=snapshot, nodegroups=ngs, subnets=subnets, unknowns=unknowns)
