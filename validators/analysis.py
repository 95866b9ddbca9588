"""The engine applied to a plan: per node group, what each node takes; per subnet, what all nodes take.

Rules read an :class:`Analysis` instead of recomputing. Every figure here is a worst case the plan
allows, never a guess: where an input is Unknown the figure is None and the reason is kept.

How nodes land in subnets: an Auto Scaling group balances a node group's nodes across its AZs, so with
n nodes over k AZs an AZ gets at most ``ceil(n / k)``; subnets of one AZ share its nodes evenly.
Addresses per node are taken on ipamd's growth path at the node's pods (see engine.allocation).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache
from operator import attrgetter

from podcap.engine.allocation import NodeAllocation
from podcap.engine.blocks import AWS_RESERVED, BLOCK, FragmentationReport, fragmentation_report, parse_cidr
from podcap.engine.fast_allocation import allocate_fast
from podcap.engine.managed import ManagedMaxPods, managed_max_pods
from podcap.engine.maxpods import (
    HOST_NETWORK_PODS,
    MaxPods,
    has_trunk,
    max_pods,
    pd_active,
    standard_max_pods,
)
from podcap.engine.settings import CniSettings, ParsedSettings, parse_env
from podcap.limits import InstanceLimits, Snapshot, UnknownInstanceType
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet, SubnetRole
from podcap.model.records import field, record, replace
from podcap.model.unknown import Unknown

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

    from podcap.engine.pool_capacity import Bound
    from podcap.model.unknown import MaybeUnknown

CONTROL_PLANE_ENIS = 4  # EKS places 2 to 4 cross-account ENIs in the cluster subnets
MAX_UNAVAILABLE_QUOTA = 100  # EKS managed node groups: nodes updated in parallel at most (managed-node-update-behavior)
SCALES = ("min", "desired", "max")


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@record
class TypeCapacity:
    """One instance type of a node group: its max pods, the pods a node runs and the addresses it takes."""

    limits: InstanceLimits
    maxpods: MaxPods
    kubelet_max_pods: int
    capacity_pods: int  # address-taking pods a node really runs: min(kubelet, network) - 2
    pods: int  # address-taking pods assumed per node (demand, capped at capacity)
    alloc: NodeAllocation
    # -- where kubelet_max_pods came from (docs/max-pods.md) --
    max_pods_origin: str = ""  # "written by EKS for a managed node group: ...", "AMI default ...", ...
    managed: ManagedMaxPods | None = None  # the figure EKS writes, for a managed node group it applies to
    # When the figure is undecided between two values (add-on ordering, unknown vCPUs): the larger one,
    # which the subnet figures (alloc) use; kubelet_max_pods / capacity_pods hold the smaller one.
    alt_kubelet_max_pods: int | None = None
    alt_reason: str = ""  # "ordering" (PC105) or "vcpus"
    sgp_pods: int = 0  # pods per node on branch ENIs (security groups for pods), in alloc's addresses
    branch_enis: int | None = None  # the type's branch ENIs (VPC resource controller BranchInterface)
    # security-group pods per node counted in capacity_pods beside ipamd's pool: min(stated, branch ENIs)
    sgp_capacity: int = 0
    # a managed node group of several types, where EKS wrote the smallest figure on every node: what this
    # type's nodes would run in a node group of their own (None otherwise)
    own_capacity_pods: int | None = None
    own_kubelet_max_pods: int | None = None  # the max pods EKS would write for this type alone


# worst()'s order: subnet addresses, then pod-subnet addresses. An attrgetter, not a lambda: the rules ask
# worst() of a node pool of hundreds of candidate types a dozen times
_BY_ADDRESSES = attrgetter("alloc.subnet_addresses", "alloc.pod_subnet_addresses")


@record
class NodegroupAnalysis:
    """A node group's figures: sizes, subnets by AZ, and each instance type's capacity."""

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
    os: str = "linux"
    # the max pods per type under the add-on configuration and without it, when they differ (PC105)
    ordering_figures: dict[str, tuple[int, int]] = field(default_factory=dict)
    # the cluster's aws-node settings are unreadable (a PC001 says so) and the CNI's defaults stand in
    settings_assumed: bool = False
    # a node pool with cpu or memory limits: the most its nodes take together however their types mix, by
    # what they take ("all": every subnet address, "node": node-subnet addresses, "pod": pod-subnet addresses,
    # "prefixes": /28 prefixes; see _BOUND_VALUES)
    limit_bounds: dict[str, Bound] = field(default_factory=dict)
    # the same pool's "k more nodes" bounds (see _extra_nodes_bound), one per kind, shared by its contributions
    extra_bounds: dict[str, Callable[[int], int]] = field(default_factory=dict, compare=False, repr=False)
    # pool_items' (vCPUs, memory) of each candidate type, the same for every kind: made once for the pool's
    # final candidate list (kept beside them: a new list of types makes them again)
    pool_item_weights: tuple[list, list] | None = field(default=None, compare=False, repr=False)

    @property
    def settings(self) -> CniSettings:
        return self.parsed.settings

    @property
    def pd(self) -> bool:
        return any(pd_active(t.limits, self.settings) for t in self.types)

    def most_pods_any_settings(self, t: TypeCapacity) -> tuple[int, int]:
        """(kubelet max pods, network max pods) of ``t`` at their largest over the CNI settings the cluster
        may run, when its settings are unreadable: prefix delegation gives a Nitro type the most addresses,
        and EKS writes a managed node group's max pods from it. A pods-per-node error that only the assumed
        defaults give would be a guess; the PC001 on the settings says what is missing."""
        kubelet, network = t.kubelet_max_pods, t.maxpods.network_max_pods
        if not self.settings_assumed or self.settings.prefix_delegation:
            return kubelet, network
        pd = _pd_defaults()
        network = max(network, max_pods(t.limits, pd).network_max_pods)
        if t.managed is not None:
            m = managed_max_pods(t.limits, pd)
            kubelet = max(kubelet, m.value if m.value is not None else m.recommended)
        return kubelet, network

    def worst(self) -> TypeCapacity | None:
        """The instance type whose node takes the most addresses (mixed types: plan for the worst)."""
        if not self.types or self.unknown_types:
            return None
        return max(self.types, key=_BY_ADDRESSES)

    def limit_bound(self) -> Bound | None:
        """What a node pool's cpu or memory limits let all its nodes take together, when that is less than its
        most nodes x the largest type's addresses; else None."""
        bound, worst, n = self.limit_bounds.get("all"), self.worst(), self.sizes.get("max")
        if bound is None or worst is None or n is None or bound.value >= n * worst.alloc.subnet_addresses:
            return None
        return bound

    def smallest(self) -> TypeCapacity | None:
        """The instance type with the fewest pods per node (mixed types: the smallest wins). On a tie (a
        managed node group, where EKS gives every type the smallest figure) the type with the smallest
        network capacity, the one that set the group's figure."""
        return min(self.types, key=lambda t: (t.capacity_pods, t.maxpods.network_max_pods + t.sgp_capacity)
                   ) if self.types else None


@record
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
    # nodes landing here for a given count of the AZ's nodes, where they do not split evenly (a Karpenter pool
    # in an AZ of several subnets: place_most_free); None: ceil(count / share)
    placement: Callable[[int], int] | None = None
    # a node pool whose limits hold its nodes below nodes x per_node: how (addresses is then that bound), and
    # the most addresses k more of its nodes take (nodes the limits stop counting: PC202's replacements)
    limit: str = ""
    extra: Callable[[int], int] | None = None
    # the most /28 prefixes the pool's nodes hold together under its limits (None: nodes x prefixes_per_node)
    prefix_cap: int | None = None

    @property
    def prefixes(self) -> int | None:
        """Aligned /28 blocks this source needs here."""
        if not self.prefixes_per_node:
            return 0
        if self.nodes is None:
            return None
        n = self.nodes * self.prefixes_per_node
        return n if self.prefix_cap is None else min(n, self.prefix_cap)

    @property
    def singles(self) -> int | None:
        """Addresses taken one by one (ENI primaries, secondary IPs): EC2 may place them anywhere."""
        if self.addresses is None:
            return None
        return self.addresses - 16 * (self.prefixes or 0)


@record
class SubnetAnalysis:
    """One subnet: its usable addresses, free /28 blocks, and what each source takes at each scale."""

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
        # one pass (the rules ask this of every subnet at every scale, several times): None as soon as one
        # contribution is unknown, else the sum (``addresses or 0`` as before)
        total = 0
        for c in self.contributions.get(scale, ()):
            a = c.addresses
            if a is None:
                return None
            total += a or 0
        return total

    @property
    def used(self) -> bool:
        c = self.contributions  # any(c.get(s) for s in SCALES), without a generator per call
        return bool(c.get("min") or c.get("desired") or c.get("max"))

    @property
    def prefix_length(self) -> int | None:
        """The subnet's CIDR length where its size is known (also an IPAM allocation's, whose CIDR is not)."""
        return None if not self.size else 33 - self.size.bit_length()

    def known_demand(self, scale: str) -> int:
        """What the contributions known so far take: a floor when some are unknown."""
        return sum(c.addresses or 0 for c in self.contributions.get(scale, []))

    def prefix_demand(self, scale: str) -> int | None:
        """Aligned /28 blocks the prefix-delegation node groups hold here (None: one of them is unknown)."""
        total = 0
        for c in self.contributions.get(scale, ()):
            if c.prefixes_per_node:  # Contribution.prefixes, without the property's call for the others (0)
                p = c.prefixes
                if p is None:
                    return None
                total += p
        return total

    def single_demand(self, scale: str) -> int | None:
        """Addresses taken one at a time (ENI primaries, secondary IPs, control-plane ENIs)."""
        total = 0
        for c in self.contributions.get(scale, ()):
            p = c.singles
            if p is None:
                return None
            total += p
        return total

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


@record
class Analysis:
    """The engine applied to a plan: every node group and every subnet, for the rules to read."""

    plan: Plan
    snapshot: Snapshot
    nodegroups: list[NodegroupAnalysis]
    subnets: dict[str, SubnetAnalysis]
    unknowns: list[tuple[str, Unknown]] = field(default_factory=list)  # (resource, why) beyond the above
    # indexes several rules derive from the finished analysis (the subnets of each node group, the subnets
    # with prefix delegation ...), made once by the first rule that needs one: see :meth:`derived`
    _derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def subnet_of(self, subnet_id: str) -> SubnetAnalysis | None:
        return self.subnets.get(subnet_id)

    def derived(self, key: str, make: Callable[[Analysis], Any]) -> Any:
        """``make(self)``, computed once per analysis: rules call it after the analysis is complete, so the
        index stays true; on a plan of thousands of subnets each walk over them costs tens of ms."""
        if key not in self._derived:
            self._derived[key] = make(self)
        return self._derived[key]


@lru_cache(maxsize=65536)
def _alloc(limits: InstanceLimits, settings: CniSettings, pods: int, kubelet: int) -> NodeAllocation:
    # the closed form (engine.fast_allocation, held equal to allocate by tests): node pools of hundreds of
    # instance types made the pod-by-pod replay the largest cost of a check
    return allocate_fast(limits, settings, pods, kubelet)


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
    if cluster is not None and cluster.ip_family == "ipv6":
        # the vpc-cni add-on on an IPv6 cluster runs IPv6 with prefix delegation and IPv4 off (the EKS user
        # guide's cni-ipv6); what the add-on configuration sets explicitly still wins, as in the DaemonSet env
        env = {**IPV6_CLUSTER_ENV, **(env or {})}
    return parse_env(env), unknown


IPV6_CLUSTER_ENV = {"ENABLE_IPv6": "true", "ENABLE_IPv4": "false", "ENABLE_PREFIX_DELEGATION": "true"}


def analyse_nodegroup(plan: Plan, ng: NodeGroup, snapshot: Snapshot) -> NodegroupAnalysis:
    cluster = plan.cluster_for(ng)
    parsed, env_unknown = cluster_settings(cluster)
    na = NodegroupAnalysis(ng=ng, cluster=cluster, parsed=parsed, requested_pods=ng.pods_per_node)
    where = ng.location.path or ng.name
    if env_unknown:
        na.unknowns.append(env_unknown)
        na.settings_assumed = True
    for scale, value in zip(SCALES, (ng.min_size, ng.desired_size, ng.max_size)):
        na.sizes[scale] = _int_or_unknown(value, f"{scale} size", where, na.unknowns)
    lo, mid, hi = (na.sizes.get(x) for x in SCALES)
    # EKS CreateNodegroup needs maxSize >= 1; an Auto Scaling group (a self-managed group) takes a MaxSize of 0
    if any(v is not None and v < 0 for v in (lo, mid, hi)) or (hi is not None and hi < 1 and not ng.self_managed) or (
            lo is not None and hi is not None and lo > hi) or (
            mid is not None and ((lo is not None and mid < lo) or (hi is not None and mid > hi))):
        na.unknowns.append(Unknown(f"invalid scaling config: min {lo}, desired {mid}, max {hi} (EKS needs "
                                   "0 <= min <= desired <= max and max >= 1)", where))
        na.sizes = dict.fromkeys(SCALES)
    # EKS NodegroupUpdateConfig: maxUnavailable "The maximum number is 100", the percentage 1 to 100 too
    for what, value in (("update maxUnavailable", ng.max_unavailable),
                        ("update maxUnavailablePercentage", ng.max_unavailable_percentage)):
        if isinstance(value, Unknown):
            na.unknowns.append(Unknown(f"{what}: {value.reason}", value.where or where))
            na.surge_unknown = True
        elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100):
            na.unknowns.append(Unknown(f"invalid {what} {value!r} (EKS needs a whole number from 1 to 100)", where))
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
    # kubelet max-pods set by the user (user data, launch template): resolved per type below
    kubelet: int | None = None
    if isinstance(ng.kubelet_max_pods, Unknown):
        na.unknowns.append(Unknown(f"kubelet max-pods unreadable, the AMI default assumed: {ng.kubelet_max_pods.reason}",
                                   ng.kubelet_max_pods.where or where))
    elif ng.kubelet_max_pods is not None:
        kubelet = int(ng.kubelet_max_pods)
    na.os = "windows" if str(ng.os).lower() == "windows" else "linux"
    if na.os == "windows":
        # Windows nodes run no aws-node: the VPC resource controller serves them (engine.windows)
        na.parsed = parse_env(None)
    elif ng.network_env is not None:
        na.parsed = parse_env(ng.network_env)
        na.settings_assumed = False
    expr = ng.max_pods_expression
    if isinstance(expr, Unknown):
        na.unknowns.append(Unknown(f"maxPodsExpression unreadable: {expr.reason}", expr.where or where))
    # instance types
    types = ng.instance_types
    if isinstance(types, Unknown):
        na.unknowns.append(Unknown(f"instance types: {types.reason}", types.where or where))
        types = []
    resolved: list[tuple[InstanceLimits, MaxPods, MaxPodsResolution, tuple | None]] = []
    # a node pool of hundreds of candidate types: their figures are worked once per distinct limits
    # (_figures_key) and the other types of that key take them under their own names (_renamed)
    by_figures = ng.provisioner is not None
    first: dict[tuple, tuple[MaxPods, MaxPodsResolution]] = {}
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
        if ng.efa_only_enis:
            lim = _without_efa_only(lim, ng.efa_only_enis)
        if na.os == "windows":
            na.types.append(_windows_type(ng, lim, kubelet, where, na))
            continue
        key = _figures_key(lim) if by_figures else None
        hit = first.get(key) if key is not None else None
        if hit is not None:
            resolved.append((lim, _renamed(hit[0], lim.name), hit[1], key))
            continue
        mp = max_pods(lim, na.parsed.settings)
        res = resolve_max_pods(plan, ng, lim, na.parsed.settings, kubelet, where)
        if key is not None and _name_free(mp, res):
            first[key] = (mp, res)
        else:
            key = None
        resolved.append((lim, mp, res, key))
    # a managed node group: EKS writes one figure, the smallest across its instance types, on every node
    _apply_group_minimum([res for _, _, res, _ in resolved])
    done: dict[tuple, TypeCapacity] = {}
    for lim, mp, res, key in resolved:
        twin = done.get(key) if key is not None else None
        if twin is not None:
            na.types.append(_twin_capacity(twin, lim, mp))
            continue
        before = len(na.unknowns)
        na.unknowns.extend(res.unknowns)
        k_small, k_large = res.small, res.large
        if res.reason == "ordering" and res.large != res.small:
            na.ordering_figures[lim.name] = (res.with_config, res.without_config)
        # security groups for pods: pods on branch ENIs take one address each from the trunk's subnet
        # (the node's, or under custom networking the ENIConfig's: resource controller ec2Instance
        # SetNewCustomNetworkingSpec), not from ipamd's pool (amazon-vpc-cni-k8s rpc_handler.go AddNetwork:
        # a pod with a vpc.amazonaws.com/pod-eni resource takes its address from the branch ENI annotation).
        # So regular pods are limited by ipamd's pool, security-group pods by the branch ENIs, and all of
        # them together by kubelet max pods.
        branch = getattr(lim, "branch_enis", None)
        trunk = bool(ng.sgp_pods_per_node) and has_trunk(lim, na.parsed.settings)
        if trunk and branch is None:
            na.unknowns.append(Unknown(f"branch ENIs of {lim.name} unknown (not in the VPC resource controller's "
                                       f"table): {ng.sgp_pods_per_node} security-group pods per node not judged",
                                       where))
        sgp_cap = min(ng.sgp_pods_per_node, branch) if trunk and branch is not None else 0
        pool = max(mp.network_max_pods - HOST_NETWORK_PODS, 0)
        capacity = max(min(k_small - HOST_NETWORK_PODS, pool + sgp_cap), 0)
        capacity_large = max(min(k_large - HOST_NETWORK_PODS, pool + sgp_cap), 0)
        pods = capacity if ng.pods_per_node is None else min(ng.pods_per_node, capacity)
        pods_alloc = capacity_large if ng.pods_per_node is None else min(ng.pods_per_node, capacity_large)
        sgp = 0
        if trunk:
            sgp = min(ng.sgp_pods_per_node, pods_alloc, branch if branch is not None else ng.sgp_pods_per_node)
        alloc = _alloc(lim, na.parsed.settings, pods_alloc - sgp, k_large)
        if sgp:
            alloc = _with_branch_addresses(alloc, sgp, na.parsed.settings.custom_networking)
        tc = TypeCapacity(lim, mp, k_small, capacity, pods, alloc, res.origin, res.managed,
                          k_large if k_large != k_small else None, res.reason if k_large != k_small
                          else "", sgp, branch, sgp_cap,
                          None if res.own_small is None
                          else max(min(res.own_small - HOST_NETWORK_PODS, pool + sgp_cap), 0),
                          res.own_small)
        na.types.append(tc)
        if key is not None and not alloc.notes and len(na.unknowns) == before:  # nothing named the type
            done[key] = tc
    if na.types and ng.provisioner is None:  # node pools: their source notes the range of figures
        shown = na.types
        if len(shown) > 4:  # a node pool of many types: the extremes say enough
            ordered = sorted(shown, key=lambda t: t.kubelet_max_pods)
            shown = [ordered[0], ordered[-1]]
        note = "; ".join(f"{t.limits.name}: max pods "
                         f"{_figure(t.kubelet_max_pods, t.alt_kubelet_max_pods or t.kubelet_max_pods)}, "
                         f"{t.max_pods_origin}" for t in shown)
        if len(shown) < len(na.types):
            note = f"{len(na.types)} instance types, fewest and most max pods: " + note
        if (ng.name, note) not in plan.notes:
            plan.notes.append((ng.name, note))
    return na


# _figures_key(lim): every field of a type's limits that the max-pods and allocation code reads
# (engine.maxpods, engine.allocation, engine.sweep, engine.karpenter ``pods()``, the branch ENIs here), all
# but its name: two types with equal keys get the same figures, under their own names. Architectures,
# memory, GPUs and the fields' sources only choose the types (engine.karpenter) and bound a pool's nodes.
_figures_key = attrgetter("enis", "ipv4_per_eni", "ipv6_per_eni", "vcpus", "hypervisor", "bare_metal",
                          "network_cards", "default_card", "max_enis_all_cards", "efa", "max_efa_interfaces",
                          "trunking", "branch_enis")


def _without_efa_only(lim: InstanceLimits, efa_only: int) -> InstanceLimits:
    """The type as the VPC CNI sees it with EFA-only ENIs on network card 0 (ipamd's DefaultNetworkCardIndex):
    each is an unmanaged ENI of that card (ipamd filterUnmanagedENIs), so hasRoomForEni allows that many
    fewer; Karpenter's ENILimitedPods subtracts them from the same card's ENIs."""
    return replace(lim, enis=max(lim.enis - efa_only, 0))


@lru_cache(maxsize=1)
def _pd_defaults() -> CniSettings:
    return parse_env({"ENABLE_PREFIX_DELEGATION": "true"}).settings


def _name_free(mp: MaxPods, res: MaxPodsResolution) -> bool:
    """Whether a type's max-pods figures say nothing that names it (no note, no problem, no per-type
    choice), so that another type of the same :func:`_figures_key` has them too."""
    return not mp.notes and not res.unknowns and not res.options and not res.reason and res.managed is None


def _copy(obj):
    """A shallow copy of a dataclass instance (what copy.copy makes, without its protocol's cost: hundreds
    of them per node pool)."""
    out = object.__new__(type(obj))
    out.__dict__.update(obj.__dict__)
    return out


def _renamed(figures, name: str):
    """A MaxPods or NodeAllocation of one type, for another type of the same :func:`_figures_key`: equal in
    every field but ``instance_type``."""
    out = _copy(figures)
    object.__setattr__(out, "instance_type", name)  # MaxPods is frozen
    return out


def _twin_capacity(twin: TypeCapacity, lim: InstanceLimits, mp: MaxPods) -> TypeCapacity:
    """What analyse_nodegroup works out for ``lim`` when ``twin`` (a type of the same :func:`_figures_key`,
    whose figures named no type) was worked out already: the same figures under ``lim``'s name."""
    out = _copy(twin)
    out.limits, out.maxpods, out.alloc = lim, mp, _renamed(twin.alloc, lim.name)
    return out


def _refined(t: TypeCapacity, k: int, capacity: int, pods: int, alloc: NodeAllocation,
             origin: str) -> TypeCapacity:
    """refine_node_pool's ``replace(t, ...)``, for a type whose figures a type of the same limits gave: made
    in ``t`` itself, which analyse_nodegroup made for this pool alone and nothing else holds (a pool of
    hundreds of types made as many copies only to drop the originals)."""
    t.kubelet_max_pods, t.capacity_pods, t.pods, t.alloc = k, capacity, pods, alloc
    t.max_pods_origin, t.alt_kubelet_max_pods, t.alt_reason, t.sgp_pods = origin, None, "", 0
    return t


@record
class MaxPodsResolution:
    """The max pods a node of one type really runs, and why (docs/max-pods.md)."""

    small: int  # what pod-capacity checks use
    large: int  # what subnet figures use (== small unless undecided)
    origin: str
    managed: ManagedMaxPods | None = None
    reason: str = ""  # "ordering" or "vcpus" when small != large
    with_config: int = 0  # managed node group, add-on ordering undecided: the figure with the add-on's
    without_config: int = 0  # configuration in force, and without it
    unknowns: list[Unknown] = field(default_factory=list)
    # EKS writes the figure (managed node group): (low, high) per CNI configuration that may be in force
    # (the add-on's, then the CNI defaults when the order is undecided); low != high: vCPUs unknown
    options: list[tuple[int, int]] = field(default_factory=list)
    vcpus_unknown: Unknown | None = None  # the PC001 for an unknown vCPU count, dropped if the group decides
    own_small: int | None = None  # this type's own figure, before the group's smallest replaced it


def eks_writes_max_pods(ng: NodeGroup) -> MaybeUnknown[bool]:
    """EKS writes max pods for a managed node group (not self-managed, not a node pool) on Linux whose
    launch template sets no ImageId (EKS user guide: create-managed-node-group, choosing-instance-type)."""
    if ng.self_managed or ng.provisioner is not None or str(ng.os).lower() == "windows":
        return False
    if isinstance(ng.custom_ami, Unknown):
        return ng.custom_ami
    return not ng.custom_ami


def _expression_value(expr: MaybeUnknown[str] | None, lim: InstanceLimits, where: str) -> int | Unknown | None:
    """nodeadm CalcMaxPods: maxPodsExpression over default_enis (default-card ENIs), ips_per_eni (IPv4
    per ENI) and max_pods (the standard formula); its value replaces the standard one."""
    if not isinstance(expr, str):
        return None
    try:
        from podcap.engine.expression import evaluate_max_pods_expression
    except ImportError:
        return Unknown(f"maxPodsExpression {expr!r}: no evaluator available", where)
    try:
        return int(evaluate_max_pods_expression(expr, default_enis=lim.enis, ips_per_eni=lim.ipv4_per_eni,
                                                max_pods=standard_max_pods(lim)))
    except (ValueError, TypeError) as e:
        return Unknown(f"maxPodsExpression {expr!r} cannot be evaluated for {lim.name}: {e}", where)


def resolve_max_pods(plan: Plan, ng: NodeGroup, lim: InstanceLimits, settings: CniSettings,
                     kubelet: int | None, where: str) -> MaxPodsResolution:
    """Precedence: a managed node group's EKS-written figure (user data counting only up to its cap),
    else kubelet maxPods from user data, else nodeadm's maxPodsExpression, else the AMI default."""
    unknowns: list[Unknown] = []
    ami_default = standard_max_pods(lim)
    self_set: int | None = kubelet
    self_how = ng.max_pods_origin or "set in the plan (user data)"
    if self_set is None:
        ev = _expression_value(ng.max_pods_expression, lim, where)
        if isinstance(ev, Unknown):
            unknowns.append(ev)
        elif ev is not None:
            self_set = ev
            self_how = f"nodeadm maxPodsExpression {ng.max_pods_expression!r} = {ev}"
    if ng.provisioner is not None:
        return _capped(_node_pool_max_pods(ng, lim, kubelet, where, unknowns), ng.max_pods_cap)
    writes = eks_writes_max_pods(ng)
    if isinstance(writes, Unknown):
        unknowns.append(Unknown(f"whether the launch template sets an AMI (so whether EKS writes max pods): "
                                f"{writes.reason}; the AMI default assumed", writes.where or where))
        writes = False
    if not writes:
        if self_set is not None:
            return MaxPodsResolution(self_set, self_set, self_how, unknowns=unknowns)
        if ng.provisioner is not None:
            kind = f"{ng.provisioner} node pool"
        elif ng.self_managed:
            kind = "self-managed node"
        elif str(ng.os).lower() == "windows":
            kind = "Windows"
        else:
            kind = "custom AMI" if ng.custom_ami is True else "launch template AMI unknown"
        return MaxPodsResolution(ami_default, ami_default,
                                 f"AMI default ({kind}): {lim.enis} x ({lim.ipv4_per_eni} - 1) + 2",
                                 unknowns=unknowns)
    cluster = plan.cluster_for(ng)
    figures: list[tuple[int, int, ManagedMaxPods]] = []  # (low, high, managed) per settings in force
    options = [settings]
    undecided_order = ng.ordered_after_cni is False or isinstance(ng.ordered_after_cni, Unknown)
    if undecided_order:
        defaults, _ = cluster_settings(Cluster(id="", ip_family=cluster.ip_family if cluster else "ipv4"))
        options.append(defaults.settings)
    for st in options:
        m = managed_max_pods(lim, st)
        value = m.value if self_set is None else m.capped(self_set)
        if value is None:  # vCPUs unknown and the cap decides: 110 or the 250-capped figure
            base = m.recommended if self_set is None else self_set
            figures.append((min(base, 110), min(base, 250), m))
        else:
            figures.append((value, value, m))
    m0 = figures[0][2]
    origin = m0.note if self_set is None else (
        f"{self_how}, counted up to EKS's cap for a managed node group ({m0.cap or '110 or 250, vCPUs unknown'})")
    small = min(f[0] for f in figures)
    large = max(f[1] for f in figures)
    reason = ""
    vcpus_unknown = None
    if any(f[0] != f[1] for f in figures):
        reason = "vcpus"
        vcpus_unknown = Unknown(f"{lim.name}: vCPU count unknown, so EKS's cap (110 or 250) cannot be told; "
                                f"pod capacity judged at {small}, subnets at {large}", where)
        unknowns.append(vcpus_unknown)
    res = MaxPodsResolution(small, large, origin, m0, reason, unknowns=unknowns,
                            options=[(f[0], f[1]) for f in figures], vcpus_unknown=vcpus_unknown)
    if undecided_order:
        res.with_config, res.without_config = figures[0][0], figures[1][0]
        if figures[0][0] != figures[1][0]:
            res.reason = "ordering"
            res.origin += (f"; {figures[0][0]} if the vpc-cni add-on is configured first, "
                           f"{figures[1][0]} otherwise")
    return res


def _apply_group_minimum(resolutions: list[MaxPodsResolution]) -> None:
    """A managed node group of several instance types: EKS applies the smallest max pods calculated across
    all its types to every node (EKS user guide, create-managed-node-group: "If you create a node group with
    different instance types, the smallest value calculated across all instance types is applied as the
    maximum number of Pods that can run on every instance type in the node group"; cni-increase-ip-addresses
    says the same). Only where EKS writes the figure (``options`` set); a custom AMI's user data value is
    one value for every type already, and the AMI default is computed on each node for its own type.

    Per CNI configuration that may be in force, the group's figure lies between the smallest low and the
    smallest high figure of its types; the result is written back into every type's resolution."""
    group = [r for r in resolutions if r.options]
    if len(group) < 2 or len({len(r.options) for r in group}) != 1:
        return
    n = len(group[0].options)
    per_option = [(min(r.options[i][0] for r in group), min(r.options[i][1] for r in group)) for i in range(n)]
    small = min(lo for lo, _ in per_option)
    large = max(hi for _, hi in per_option)
    if all(r.small == small and r.large == large for r in group):
        return
    each = ", ".join(f"{r.managed.instance_type if r.managed else '?'} {_figure(r.small, r.large)}" for r in group)
    for r in group:
        r.own_small = r.small
        r.small, r.large, r.options = small, large, list(per_option)
        r.reason = ""
        if any(lo != hi for lo, hi in per_option):
            r.reason = "vcpus"
        elif r.vcpus_unknown is not None:  # the group's smallest figure decides without this type's vCPUs
            r.unknowns = [u for u in r.unknowns if u is not r.vcpus_unknown]
        if n > 1:
            r.with_config, r.without_config = per_option[0][0], per_option[1][0]
            if r.with_config != r.without_config:
                r.reason = "ordering"
        r.origin += (f"; EKS applies the smallest figure across the node group's instance types ({each}) to "
                     f"every node: {_figure(small, large)}")


def _capped(res: MaxPodsResolution, cap: int | None) -> MaxPodsResolution:
    """A cap applied after the usual calculation (EKS Auto Mode: 110, create-node-class.html)."""
    if cap is None or res.large <= cap:
        return res
    res.small, res.large = min(res.small, cap), min(res.large, cap)
    res.origin += f", capped at {cap}"
    return res


def _node_pool_max_pods(ng: NodeGroup, lim: InstanceLimits, kubelet: int | None, where: str,
                        unknowns: list[Unknown]) -> MaxPodsResolution:
    """Karpenter / Auto Mode node pools: Karpenter's own figure (engine.karpenter, types.go pods()):
    kubelet maxPods, else the ENI-limited figure (or 110 on Windows families), bounded by podsPerCore."""
    from podcap.engine.karpenter import ami_family, karpenter_max_pods

    fam_name = getattr(ng, "ami_family", None) or "al2023"
    family = ami_family(fam_name)
    if family is None:
        unknowns.append(Unknown(f"AMI family {fam_name!r} unknown: its max pods cannot be told", where))
        v = standard_max_pods(lim)
        return MaxPodsResolution(v, v, f"AMI family {fam_name!r} unknown, the standard formula shown",
                                 unknowns=unknowns)
    ppc = ng.pods_per_core
    if isinstance(ppc, Unknown):
        unknowns.append(Unknown(f"podsPerCore: {ppc.reason}", ppc.where or where))
        ppc = None
    v = karpenter_max_pods(lim, family, max_pods=kubelet, pods_per_core=ppc, reserved_enis=ng.reserved_enis)
    if isinstance(v, Unknown):
        unknowns.append(Unknown(v.reason, v.where or where))
        v = kubelet if kubelet is not None else standard_max_pods(lim)
    origin = (f"{ng.max_pods_origin or 'kubelet maxPods'}" if kubelet is not None
              else f"{ng.provisioner} ({family.name}): " + ("ENI-limited pods" if family.eni_limited else "110"))
    if ppc:
        origin += f", podsPerCore {ppc}"
    return MaxPodsResolution(v, v, origin, unknowns=unknowns)


def _figure(small: int, large: int) -> str:
    return str(small) if small == large else f"{small} or {large}"


def _with_branch_addresses(alloc: NodeAllocation, sgp: int, custom: bool) -> NodeAllocation:
    note = f"{sgp} pod(s) on branch ENIs: one address each from the trunk ENI's subnet"
    if custom:
        return replace(alloc, pod_subnet_addresses=alloc.pod_subnet_addresses + sgp,
                       subnet_addresses=alloc.subnet_addresses + sgp, notes=alloc.notes + (note,))
    return replace(alloc, node_subnet_addresses=alloc.node_subnet_addresses + sgp,
                   pod_subnet_addresses=alloc.pod_subnet_addresses + sgp,
                   subnet_addresses=alloc.subnet_addresses + sgp, notes=alloc.notes + (note,))


def _windows_type(ng: NodeGroup, lim: InstanceLimits, kubelet: int | None, where: str,
                  na: NodegroupAnalysis) -> TypeCapacity:
    """A Windows node: the primary ENI's addresses from the VPC resource controller (engine.windows)."""
    from podcap.engine.maxpods import apply_cap
    from podcap.engine.windows import (
        parse_windows_config,
        windows_allocation,
        windows_capacity,
        windows_max_pods,
    )

    ws = parse_windows_config(None)
    cap = windows_capacity(lim, ws)
    ami = windows_max_pods(lim)
    k = kubelet if kubelet is not None else ami
    origin = (ng.max_pods_origin or "set in the plan") if kubelet is not None else (
        f"Windows AMI default: {lim.ipv4_per_eni} IPv4 per ENI - 1 (primary ENI only)")
    if ng.provisioner is not None:  # Karpenter's own figure for Windows families (110 unless set)
        res = _capped(_node_pool_max_pods(ng, lim, kubelet, where, na.unknowns), ng.max_pods_cap)
        k, origin = res.small, res.origin
    capacity = max(min(k, cap), 0)
    pods = capacity if ng.pods_per_node is None else min(ng.pods_per_node, capacity)
    wa = windows_allocation(lim, ws, pods)
    rec = apply_cap(cap, lim.vcpus)
    mp = MaxPods(instance_type=lim.name, enis=lim.enis, ipv4_per_eni=lim.ipv4_per_eni, vcpus=lim.vcpus,
                 mode="windows", pod_enis=1, slots_per_eni=max(lim.ipv4_per_eni - 1, 0),
                 addresses_per_slot=16 if wa.settings.prefix_delegation else 1, network_max_pods=cap,
                 max_pods=rec if rec is not None else cap, ami_default_max_pods=ami,
                 notes=("Windows: pods use the primary ENI's addresses only (VPC resource controller)",))
    alloc = NodeAllocation(instance_type=lim.name, pods=pods, kubelet_max_pods=k, mode="windows", enis=1,
                           trunk_eni=False, secondary_ips=wa.secondary_ips, prefixes=wa.prefixes,
                           pool_addresses=wa.pool_addresses, warm_addresses=wa.pool_addresses - min(pods, cap),
                           node_subnet_addresses=wa.subnet_addresses, pod_subnet_addresses=wa.subnet_addresses,
                           subnet_addresses=wa.subnet_addresses, notes=wa.notes)
    return TypeCapacity(lim, mp, k, capacity, pods, alloc, f"{origin}; {ws.describe()}", None, None, "",
                        0, getattr(lim, "branch_enis", None))


def _azs(sub_ids: list[str], plan: Plan) -> tuple[dict[str, list[str]], list[Unknown]]:
    """Group a node group's subnets by AZ; a subnet of unknown AZ is a group of its own, keyed ``?<id>``
    (and reported): :func:`worst_per_az` then places it where it hurts most."""
    groups: dict[str, list[str]] = {}
    unknowns: list[Unknown] = []
    for sid in sub_ids:
        s = plan.subnets.get(sid)
        az = s.az if s is not None else Unknown("subnet not in the plan")
        if isinstance(az, Unknown):
            spread = "; the group's nodes are spread as the worst placement of it allows" if len(sub_ids) > 1 else ""
            unknowns.append(Unknown(f"AZ of subnet {sid}: {az.reason}{spread}", az.where or sid))
            groups.setdefault(f"?{sid}", []).append(sid)
        else:
            groups.setdefault(az, []).append(sid)
    return groups, unknowns


def known_az_count(az_groups: dict[str, list[str]]) -> int:
    """The AZs a balanced group spreads over in the worst case: its known AZs (a subnet of unknown AZ may
    lie in one of them), or, when none is known, as many as its subnets' groups."""
    known = sum(1 for az in az_groups if not az.startswith("?"))
    return known or len(az_groups)


def worst_per_az(nodes: int, az_groups: dict[str, list[str]], totals: bool = False) -> dict[str, int]:
    """The most nodes of a group that balances its AZs (EC2 Auto Scaling) each AZ group takes, its subnets
    splitting them evenly: ``ceil(n / k)`` over k AZs when every AZ is known.

    A subnet of unknown AZ (a ``?`` group) may lie in any AZ, a known one or another, so each subnet gets
    the most any placement gives it: with k >= 2 known AZs the unknown subnets may share the others' AZs
    (ceil(n / k) each); with one known AZ of m subnets and u unknown ones, its subnets get the more of
    ceil(n / (m + u)) (all in that AZ) and ceil(ceil(n / 2) / m) (the others in a second AZ), given here as
    the AZ figure m x ... whose split is that; an unknown subnet gets the more of ceil(n / (k + 1)) (alone in
    an AZ of its own) and ceil(ceil(n / k) / (m + 1)) (in the known AZ of fewest subnets), or with no known
    AZ n alone and ceil(n / 2) beside others. ``totals``: the nodes in the AZ however its subnets split them
    (pods' ENIConfig subnets): all n in the one known AZ that every unknown subnet may share."""
    unknown = sum(1 for az in az_groups if az.startswith("?"))
    k = len(az_groups) - unknown
    if not unknown:
        return dict.fromkeys(az_groups, ceil_div(nodes, k)) if k else {}
    out: dict[str, int] = {}
    for az, subs in az_groups.items():
        if az.startswith("?"):
            if k:
                fewest = min(len(x) for a, x in az_groups.items() if not a.startswith("?"))
                out[az] = max(ceil_div(nodes, k + 1), ceil_div(ceil_div(nodes, k), fewest + 1))
            else:
                out[az] = nodes if unknown == 1 else ceil_div(nodes, 2)
        elif k >= 2:
            out[az] = ceil_div(nodes, k)
        else:
            m = len(subs)
            out[az] = nodes if totals else max(ceil_div(nodes, 2), m * ceil_div(nodes, m + unknown))
    return out


def nodes_per_subnet(nodes: int, az_groups: dict[str, list[str]], balanced: bool = True) -> dict[str, int]:
    """Worst case per subnet: an AZ gets at most ceil(n / k) (:func:`worst_per_az`); its subnets split that
    evenly.

    ``balanced=False`` (Karpenter, EKS Auto Mode: nothing balances nodes over AZs) gives every AZ all n nodes.
    """
    out: dict[str, int] = {}
    if not az_groups:
        return out
    per_az = worst_per_az(nodes, az_groups) if balanced else dict.fromkeys(az_groups, nodes)
    for az, subs in az_groups.items():
        for sid in subs:
            out[sid] = ceil_div(per_az[az], len(subs))
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
    sized = None  # the network the size arithmetic runs on: the subnet's, or a stand-in of its known length
    size = usable = None
    blocks = None
    unplaced = 0
    if isinstance(s.cidr, Unknown):
        if s.prefix_length is not None and 16 <= s.prefix_length <= 28 and not s.reservations:
            # an IPAM allocation: EC2 aligns it to its length, so its addresses and /28 blocks are those of any
            # aligned block of that length; where it lies (overlaps, inside the VPC) stays unknown
            sized = ipaddress.IPv4Network((0, s.prefix_length))
            unknowns.append(Unknown(f"CIDR of subnet {s.id}: {s.cidr.reason}; its size, a /{s.prefix_length}, "
                                    "is judged, but not whether it overlaps other subnets or lies in its VPC",
                                    s.cidr.where or s.id))
        else:
            unknowns.append(Unknown(f"CIDR of subnet {s.id}: {s.cidr.reason}", s.cidr.where or s.id))
    else:
        try:
            net = parse_cidr(s.cidr) if isinstance(s.cidr, str) else ipaddress.IPv4Network(s.cidr, strict=False)
        except ValueError as e:
            unknowns.append(Unknown(f"invalid CIDR {s.cidr!r} for subnet {s.id}: {e}", s.id))
        sized = net
    if sized is not None:
        size = 1 << (32 - sized.prefixlen)  # num_addresses, without building its broadcast address
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
                parse_cidr(r.cidr) if isinstance(r.cidr, str) else ipaddress.IPv4Network(r.cidr, strict=False)
            except ValueError:
                unknowns.append(Unknown(f"invalid reservation CIDR {r.cidr!r} in {s.id}", s.id))
                continue
            reservations.append(r)
        try:  # a size EC2 refuses is PC503's error; no block arithmetic on it (a /0 holds 2^28 /28s)
            blocks = fragmentation_report(sized, s.used_ips or (), reservations) \
                if 16 <= sized.prefixlen <= 28 else None
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
    for na in ngs:
        if na.ng.provisioner is not None:
            refine_node_pool(plan, na, snapshot)
            na.limit_bounds = limit_bounds(na)
            _limit_note(plan, na)
    pd_subnets: dict[str, list[str]] = {}
    for na in ngs:
        if na.pd:
            targets = list(na.subnet_ids)
            if na.settings.custom_networking:
                targets = [v for subs in pod_subnet_targets(plan, na).values() for v in subs]
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

    deferred: list[tuple] = []  # Karpenter pools in AZs of several subnets (see place_most_free)
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
            spread = (nodes_per_subnet(n, az_groups, balanced=na.ng.zone_balanced) if n is not None
                      else {sid: None for sid in na.subnet_ids})
            # the nodes in each AZ, however its subnets split them (Karpenter's pick, pods' ENIConfig subnet)
            in_az = ({} if n is None else worst_per_az(n, az_groups, totals=True) if na.ng.zone_balanced
                     else dict.fromkeys(az_groups, n))
            per_node = worst.alloc.node_subnet_addresses if worst else None
            detail = f"{worst.limits.name}, {worst.pods} pods/node, {na.settings.describe()}" if worst else ""
            prefixes = worst.alloc.prefixes if worst and not na.settings.custom_networking else 0
            for az, subs in az_groups.items():
                if len(subs) > 1 and na.ng.provisioner == "karpenter":
                    # Karpenter picks one subnet per AZ at each launch: placed once the other users are known
                    k_az = in_az.get(az)
                    deferred.append((na, scale, az, subs, k_az, per_node, detail, prefixes))
                    continue
                for sid in subs:
                    k = spread.get(sid)
                    c = Contribution(na.ng.name, k, per_node, None if (k is None or per_node is None) else k * per_node,
                                     detail, prefixes, na.ng.name, az, len(subs))
                    add(sid, scale, _within_limits(na, "node", c) if na.limit_bounds else c)
            # custom networking: pod addresses go to the ENIConfig subnet of each node's AZ
            if na.settings.custom_networking and (na.cluster is not None or na.ng.pod_subnets is not None):
                targets_by_az = pod_subnet_targets(plan, na)
                for az in az_groups:
                    targets = targets_by_az.get(az)
                    if not targets:
                        continue  # PC301 / PC001 report it
                    k_az = in_az.get(az)
                    for target in targets:
                        k_t = None if k_az is None else ceil_div(k_az, len(targets))
                        per_node = worst.alloc.pod_subnet_addresses if worst else None
                        c = Contribution(
                            f"{na.ng.name} (pods)", k_t, per_node,
                            None if (k_t is None or per_node is None) else k_t * per_node,
                            f"custom networking, AZ {az}", worst.alloc.prefixes if worst else 0, na.ng.name, az,
                            len(targets))
                        add(target, scale, _within_limits(na, "pod", c) if na.limit_bounds else c)
    # EKS control-plane ENIs
    unknowns: list[tuple[str, Unknown]] = []
    add_fargate(plan, add, unknowns)
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
                                             f"up to {CONTROL_PLANE_ENIS} ENIs over {len(ids)} subnet"
                                             + ("s" if len(ids) != 1 else "")))
    for na, scale, az, subs, k_az, per_node, detail, prefixes in deferred:
        counts, how, placed = place_most_free(subnets, subs, scale, k_az, per_node)
        for sid in subs:
            k = None if counts is None else counts[sid]
            # a scenario (PC202, PC203) with another count of this AZ's nodes replays the launches too
            c = Contribution(na.ng.name, k, per_node, None if (k is None or per_node is None) else k * per_node,
                             f"{detail}; {how}" if detail else how, prefixes, na.ng.name, az, 1, placed.get(sid))
            add(sid, scale, _within_limits(na, "node", c) if na.limit_bounds else c)
        if scale == "max" and how:
            note = f"AZ {az}: {how}"
            if (na.ng.name, note) not in plan.notes:
                plan.notes.append((na.ng.name, note))
    return Analysis(plan=plan, snapshot=snapshot, nodegroups=ngs, subnets=subnets, unknowns=unknowns)


# -- node pools (Karpenter, EKS Auto Mode) and Fargate profiles ----------------------------------------------


def pod_subnet_targets(plan: Plan, na: NodegroupAnalysis) -> dict[str, list[str]]:
    """AZ -> the subnets pods of this node group take addresses in under custom networking: the node pool's
    own pod subnets (Auto Mode podSubnetSelectorTerms), else the cluster's ENIConfigs."""
    out: dict[str, list[str]] = {}
    pods = na.ng.pod_subnets
    if pods is not None:
        if isinstance(pods, Unknown):
            if pods not in na.unknowns:
                na.unknowns.append(Unknown(f"pod subnets: {pods.reason}", pods.where or na.ng.name))
            return out
        for sid in pods:
            if not isinstance(sid, str):
                continue
            s = plan.subnets.get(sid)
            az = s.az if s is not None else None
            if isinstance(az, str):
                out.setdefault(az, []).append(sid)
        return out
    if na.cluster is not None:
        for az, sid in na.cluster.eni_configs.items():
            if isinstance(sid, str):
                out.setdefault(az, []).append(sid)
    return out


def refine_node_pool(plan: Plan, na: NodegroupAnalysis, snapshot: Snapshot) -> None:
    """Max pods of a node pool's nodes by its provisioner's own rule (podcap.engine.karpenter: Karpenter's
    ``pods()``; EKS Auto Mode: the same, capped at 110), and one short note instead of one per type."""
    from podcap.engine.karpenter import ami_family, karpenter_max_pods

    ng = na.ng
    _node_pool_sizes(plan, na)
    fam = ami_family(ng.ami_family or "al2023")
    if fam is None or na.os == "windows":
        return
    set_pods = ng.kubelet_max_pods if isinstance(ng.kubelet_max_pods, int) else None
    ppc = ng.pods_per_core if isinstance(ng.pods_per_core, int) else None
    if isinstance(ng.pods_per_core, Unknown):
        na.unknowns.append(Unknown(f"podsPerCore: {ng.pods_per_core.reason}", ng.pods_per_core.where or ng.name))
    refined: list[TypeCapacity] = []
    # the figures are worked once per distinct limits (see analyse_nodegroup), when they name no type
    first: dict[tuple, tuple[int, str, int, int, NodeAllocation]] = {}
    for t in na.types:
        key = (_figures_key(t.limits), t.maxpods.network_max_pods)
        hit = first.get(key)
        if hit is not None:
            k, origin, capacity, pods, alloc = hit
            alloc = t.alloc if _allocated_at(t, k, pods) else _renamed(alloc, t.limits.name)
            refined.append(_refined(t, k, capacity, pods, alloc, origin))
            continue
        k = karpenter_max_pods(t.limits, fam, max_pods=set_pods, pods_per_core=ppc, reserved_enis=ng.reserved_enis)
        if isinstance(k, Unknown):
            na.unknowns.append(Unknown(k.reason, ng.name))
            refined.append(t)
            continue
        how = (f"kubelet.maxPods {set_pods}" if set_pods is not None else
               f"{'ENI-limited' if fam.eni_limited else 'default'} pods of the {fam.name} family")
        if ppc and fam.pods_per_core:
            how += f", podsPerCore {ppc}"
        if ng.max_pods_cap is not None and k > ng.max_pods_cap:
            k = ng.max_pods_cap
            how += f", capped at {ng.max_pods_cap}"
        capacity = max(min(k, t.maxpods.network_max_pods) - HOST_NETWORK_PODS, 0)
        pods = capacity if ng.pods_per_node is None else min(ng.pods_per_node, capacity)
        alloc = t.alloc if _allocated_at(t, k, pods) else _alloc(t.limits, na.parsed.settings, pods, k)
        origin = f"{ng.provisioner}: {how}"
        if not alloc.notes:
            first[key] = (k, origin, capacity, pods, alloc)
        refined.append(replace(t, kubelet_max_pods=k, capacity_pods=capacity, pods=pods, alloc=alloc,
                               max_pods_origin=origin, alt_kubelet_max_pods=None, alt_reason="", sgp_pods=0))
    na.types = refined
    # one short note for a pool of many candidate types
    plan.notes[:] = [(who, text) for who, text in plan.notes
                     if not (who == ng.name and text.startswith(tuple(f"{t.limits.name}: max pods" for t in
                                                                       na.types[:1])))]
    if na.types:
        lo = min(na.types, key=lambda t: t.kubelet_max_pods)
        hi = max(na.types, key=lambda t: t.kubelet_max_pods)
        note = (f"{len(na.types)} candidate instance type(s); max pods {lo.kubelet_max_pods} ({lo.limits.name}) to "
                f"{hi.kubelet_max_pods} ({hi.limits.name}), by {lo.max_pods_origin}")
        if (ng.name, note) not in plan.notes:
            plan.notes.append((ng.name, note))


_BOUND_VALUES: dict[str, Callable[[TypeCapacity], int]] = {
    "all": lambda t: t.alloc.subnet_addresses,
    "node": lambda t: t.alloc.node_subnet_addresses,
    "pod": lambda t: t.alloc.pod_subnet_addresses,
    "prefixes": lambda t: t.alloc.prefixes,
}


def limit_bounds(na: NodegroupAnalysis) -> dict[str, Bound]:
    """What a node pool's cpu or memory limits let its nodes take together, however Karpenter mixes its
    candidate types (podcap.engine.pool_capacity), by what they take (:data:`_BOUND_VALUES`). Empty when the
    pool has no such limit, or a candidate's figures or capacity are unknown (then nodes x the largest type's
    figure stands)."""
    pl = na.ng.pool_limits
    if pl is None:
        return {}
    from podcap.engine.pool_capacity import most_within

    out: dict[str, Bound] = {}
    for kind in _BOUND_VALUES:
        items = pool_items(na, kind)
        bound = most_within(items, cpu=pl.cpu, memory_mib=pl.memory_mib, nodes=pl.nodes) if items else None
        if bound is not None:
            out[kind] = bound
    return out


def pool_items(na: NodegroupAnalysis, kind: str) -> list:
    """The pool's candidate types as knapsack items (podcap.engine.pool_capacity.Item): the capacity Karpenter
    counts against the limits (vCPUs, or the pool's cpu floor for a type the snapshot has none for; memory
    after the VM overhead) and what one node takes. Empty for a pool without limits or unknown types."""
    pl = na.ng.pool_limits
    if pl is None or not na.types or na.unknown_types:
        return []
    from podcap.engine.karpenter import memory_capacity_mib
    from podcap.engine.pool_capacity import Item

    weights = na.pool_item_weights
    if weights is None or weights[0] is not na.types:
        weights = na.pool_item_weights = (na.types, [(getattr(t.limits, "vcpus", None) or pl.cpu_floor,
                                                      memory_capacity_mib(t.limits, pl.vm_memory_overhead))
                                                     for t in na.types])
    value = _BOUND_VALUES[kind]
    return [Item(t.limits.name, value(t), c, m) for t, (c, m) in zip(na.types, weights[1])]


def _limit_note(plan: Plan, na: NodegroupAnalysis) -> None:
    bound, worst = na.limit_bound(), na.worst()
    if bound is not None and worst is not None:
        text = (f"{limit_text(na, bound, 'addresses')}, not {na.sizes.get('max')} nodes x "
                f"{worst.alloc.subnet_addresses} ({worst.limits.name})")
        plan.notes.append((na.ng.name, text))


def _within_limits(na: NodegroupAnalysis, kind: str, c: Contribution) -> Contribution:
    """A node pool's contribution held to what its limits let its nodes take together: fewer addresses (and
    /28 prefixes) than its most nodes x its largest type's, when no mix of nodes within the limits takes
    that many. Every one of those nodes may still land here, so the bound of the whole pool applies."""
    bound = na.limit_bounds.get(kind)
    if bound is not None and c.addresses is not None and bound.value < c.addresses:
        c.addresses = bound.value
        c.limit = limit_text(na, bound, "addresses")
        if kind not in na.extra_bounds:
            na.extra_bounds[kind] = _extra_nodes_bound(na, kind)
        c.extra = na.extra_bounds[kind]
    prefixes = na.limit_bounds.get("prefixes") if c.prefixes_per_node and c.nodes is not None else None
    if prefixes is not None and prefixes.value < c.nodes * c.prefixes_per_node:  # type: ignore[operator]
        c.prefix_cap = prefixes.value
    return c


def _extra_nodes_bound(na: NodegroupAnalysis, kind: str) -> Callable[[int], int]:
    """k -> the most addresses k of the pool's nodes take, within its limits: nodes that Karpenter has marked
    for disruption stop counting against the limits (kubernetes-sigs/karpenter state ``updateNodePoolResources``
    counts a node marked for deletion as nothing), so beside their replacements they are k more nodes, but
    nodes the limits once admitted: at most the best k nodes within them."""
    from podcap.engine.pool_capacity import most_within

    pl = na.ng.pool_limits
    items = pool_items(na, kind)
    known: dict[int, int] = {}

    def most(k: int) -> int:
        if k not in known:
            nodes = k if pl is None or pl.nodes is None else min(k, pl.nodes)
            b = most_within(items, cpu=None if pl is None else pl.cpu,
                            memory_mib=None if pl is None else pl.memory_mib, nodes=nodes)
            known[k] = b.value if b is not None else k * max((i.value for i in items), default=0)
        return known[k]

    return most


def limit_text(na: NodegroupAnalysis, bound: Bound, what: str) -> str:
    pl = na.ng.pool_limits
    limits = pl.describe() if pl is not None else "the pool's limits"
    mix = f" ({bound.describe_mix()})" if bound.mix and bound.exact else ""
    most = "at most" if bound.exact else "at most (an upper bound)"
    return f"{limits}: {most} {bound.value} {what} for all its nodes{mix}"


def _allocated_at(t: TypeCapacity, k: int, pods: int) -> bool:
    """Whether analyse_nodegroup's allocation of ``t`` is ``_alloc(t.limits, settings, pods, k)`` already: one
    max-pods figure (k), the same pods and none on branch ENIs, so refine_node_pool need not ask again."""
    return t.kubelet_max_pods == k and t.pods == pods and t.alt_kubelet_max_pods is None and not t.sgp_pods


def _most_free_launches(n: int, per_node: int, free: list[int]) -> list[int]:
    """Nodes per subnet when each of ``n`` launches goes to the subnet with the most free addresses (the first
    of a tie), which then has ``per_node`` fewer."""
    counts = [0] * len(free)
    left = list(free)
    for _ in range(n):
        i = max(range(len(left)), key=lambda j: (left[j], -j))
        counts[i] += 1
        left[i] -= per_node
    return counts


def place_most_free(subnets: dict[str, SubnetAnalysis], subs: list[str], scale: str, nodes: int | None,
                    per_node: int | None) -> tuple[dict[str, int] | None, str, dict[str, Callable[[int], int]]]:
    """Where a Karpenter pool's ``nodes`` in one AZ land among that AZ's subnets: Karpenter keeps one subnet
    per zone for each launch, the one with the most available IPv4 addresses (aws/karpenter-provider-aws
    pkg/providers/subnet/subnet.go ``ZonalSubnetsForLaunch``: a later subnet replaces the zone's pick only
    with strictly more addresses; the count falls by each launch's in-flight estimate and is re-read from
    EC2's AvailableIpAddressCount). So launches are replayed one at a time, each node taking its addresses
    from the subnet it lands in.

    Which of the plan's other users are there when the pool grows changes where its nodes go. A subnet gets
    the most of them when the other users of the AZ's other subnets are already there and its own have not
    come yet (the control plane's ENIs are there before any node): each subnet is judged at that order, its
    own worst. More users elsewhere only push more nodes here, so adding a user never lowers a figure. Another
    subnet whose free count is unknown may be full: its nodes may all come here.
    Returns (nodes per subnet, or None when the count is unknown; how; per subnet, the same replay for another
    count of the AZ's nodes, for the scenario rules)."""
    if nodes is None or per_node is None:
        return None, "", {}
    usable: list[int | None] = []
    cp: list[int] = []
    load: list[int | None] = []
    for sid in subs:
        sa = subnets.get(sid)
        items = sa.contributions.get(scale, []) if sa is not None else []
        usable.append(sa.usable if sa is not None else None)
        cp.append(sum(c.addresses or 0 for c in items if c.nodegroup is None))
        load.append(None if any(c.addresses is None for c in items) else sum(c.addresses or 0 for c in items))

    def here(i: int, n: int) -> int:
        if usable[i] is None:
            return n
        free = [(usable[k] - (cp[k] if k == i else load[k]))  # type: ignore[operator]
                if usable[k] is not None and (k == i or load[k] is not None) else None for k in range(len(subs))]
        known = [k for k in range(len(subs)) if free[k] is not None]  # an unknown one may be full: never picked
        counts = _most_free_launches(n, per_node, [free[k] for k in known])  # type: ignore[misc]
        return counts[known.index(i)]

    counts = {sid: here(i, nodes) for i, sid in enumerate(subs)}
    placed = {sid: (lambda n, i=i: here(i, n)) for i, sid in enumerate(subs)}
    shown = ", ".join(f"{sid} {counts[sid]}" for sid in subs)
    return counts, (f"Karpenter launches each node into the subnet of the AZ with the most free addresses: of "
                    f"{nodes} nodes at most {shown} (each subnet with the other users of the AZ's other subnets "
                    "there first, its own later)"), placed


def _node_pool_sizes(plan: Plan, na: NodegroupAnalysis) -> None:
    """A node pool's sizes are not an Auto Scaling group's: EKS's scaling rule (max >= 1, CreateNodegroup) does
    not apply. Limits smaller than one node of every candidate type leave Karpenter nothing to launch
    (kubernetes-sigs/karpenter scheduler.go ``filterByRemainingResources`` drops every type whose capacity
    exceeds what the limits leave): 0 nodes, a known figure, not an invalid one."""
    ng = na.ng
    sizes = (ng.min_size, ng.desired_size, ng.max_size)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in sizes):
        return
    lo, mid, hi = sizes
    if not 0 <= lo <= mid <= hi:
        return
    before = len(na.unknowns)
    na.unknowns[:] = [u for u in na.unknowns if not u.reason.startswith("invalid scaling config")]
    if len(na.unknowns) != before:
        na.sizes = dict(zip(SCALES, sizes))
    if hi == 0:
        note = "the pool's limits admit no node of any candidate type: Karpenter launches none, no address taken"
        if (ng.name, note) not in plan.notes:
            plan.notes.append((ng.name, note))


def add_fargate(plan: Plan, add, unknowns: list[tuple[str, Unknown]]) -> None:
    """Fargate profiles: one address per pod (each pod has its own ENI, no warm pool: EKS user guide
    fargate-pod-configuration / fargate-profile), the pods spread evenly over the profile's subnets, rounded
    up. The stated demand is the same at every scale."""
    for fp in plan.fargate_profiles:
        who = fp.name
        where = fp.location.path or fp.name
        subnets = fp.subnets
        missing: Unknown | None = None
        if isinstance(subnets, Unknown):
            missing = subnets
            ids: list[str] = []
        else:
            ids = [s for s in subnets if isinstance(s, str)]
            missing = next((s for s in subnets if isinstance(s, Unknown)), None)
            if not subnets:
                missing = Unknown("the Fargate profile names no subnets: EKS then uses the private subnets the "
                                  "cluster was created with, and which of them route to an internet gateway is not "
                                  "in the input", where)
        pods = fp.pods
        pods_unknown = None
        if isinstance(pods, Unknown):
            pods_unknown = pods
            pods = None
        elif pods is None:
            pods_unknown = Unknown("no pod count stated for the Fargate profile (one address per pod): "
                                   f"{demand_hint(plan, who, 'pods')}", where)
        if pods_unknown is not None:
            unknowns.append((who, pods_unknown))
        if missing is not None:
            unknowns.append((who, Unknown(f"Fargate profile subnets: {missing.reason}", missing.where or where)))
            cl = plan.cluster_for(fp)
            candidates = [s for s in (cl.subnets if cl is not None and isinstance(cl.subnets, list) else [])
                          if isinstance(s, str)] if not ids else []
            for sid in candidates:
                for scale in SCALES:
                    add(sid, scale, Contribution(who, None, 1, None, "Fargate: subnets unknown", nodegroup=who))
        if not ids:
            continue
        per = None if pods is None else ceil_div(int(pods), len(ids))
        for sid in ids:
            for scale in SCALES:
                add(sid, scale, Contribution(who, per, 1, per, f"Fargate: {pods if pods is not None else '?'} pods "
                                             f"over {len(ids)} subnet(s), one address each", nodegroup=who))


def demand_hint(plan: Plan, resource: str, key: str, on: str | None = None) -> str:
    """Where a user states a demand no template states, in words that fit the plan's source (``on``: the
    template resource that carries it, when not ``resource`` itself)."""
    from podcap.sources.demand import DEMAND_ENTRY

    entry = f"{DEMAND_ENTRY} {{resource: {resource}, {key}: N}}"
    if plan.kind in ("cloudformation", "cdk-assembly"):
        target = f"resource {on}" if on and on != resource else "the resource"
        return f"set Metadata.podcap.{key} on {target}, or {entry}"
    if plan.kind == "spec":
        where = "fargate_profiles[]" if key == "pods" else "node_pools[]"
        return f"set {where}.{key} in the spec, or {entry}"
    return f"set {entry}"
