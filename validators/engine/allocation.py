"""What one node takes from its subnets at N pods: a step-by-step model of ipamd's reconcile loop.

The model follows pkg/ipamd/ipamd.go of the Amazon VPC CNI. Pods arrive one at a time (the growth
path: how a node fills up while a node group scales out) and after each arrival the pool is reconciled
until ipamd would do nothing more:

* ``isDatastorePoolTooLow`` decides whether to grow, ``increaseDatastorePool`` grows (fill an ENI that
  has room first, attach a new ENI only when none has), ``isDatastorePoolTooHigh`` /
  ``tryUnassignCidrsFromAll`` shrink.
* A node whose addresses reach kubelet's max-pods stops growing (``TotalIPs >= maxPods``).

Assumption, stated because ipamd does not define it: pods are packed into /28 prefixes in order, so
the count of entirely free prefixes (which WARM_PREFIX_TARGET and the release path use) is
``prefixes - ceil(pods / 16)``.
"""
from __future__ import annotations

from podcap.engine.maxpods import (
    HOST_NETWORK_PODS,
    IPS_PER_PREFIX,
    MaxPods,
    effective_max_eni,
    has_trunk,
    max_pods,
    pd_active,
    trunk_slot_reserved,
)
from podcap.engine.settings import CniSettings
from podcap.limits import InstanceLimits
from podcap.model.records import field, record


class CapacityError(ValueError):
    """More address-taking pods than the node can hold (or than kubelet will run)."""


@record
class _Eni:
    """One attached ENI in the step model: what it holds of ipamd's pool."""

    primary: bool
    allocatable: bool  # False for the primary ENI under custom networking
    held: int = 0  # secondary IPs, or /28 prefixes with prefix delegation


@record(frozen=True)
class NodeAllocation:
    """What one node holds at a pod count: ENIs, secondary IPs or prefixes, and subnet addresses."""

    instance_type: str
    pods: int  # address-taking pods running
    kubelet_max_pods: int
    mode: str
    enis: int  # ENIs attached for the CNI, the primary included (trunk counted apart)
    trunk_eni: bool
    secondary_ips: int
    prefixes: int
    pool_addresses: int  # addresses held for pods: secondary IPs, or 16 per prefix
    warm_addresses: int  # held but not assigned to a pod
    node_subnet_addresses: int
    pod_subnet_addresses: int
    subnet_addresses: int  # every address the node takes, from all subnets
    starved_pods: int = 0  # pods that get no address because ipamd stops growing (settings starve)
    ipv6_prefixes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return dict(self.__dict__, notes=list(self.notes))


class IpamdModel:
    """One node's datastore and the reconcile decisions ipamd takes on it."""

    def __init__(self, limits: InstanceLimits, settings: CniSettings, kubelet_max_pods: int):
        self.limits = limits
        self.s = settings
        self.max_pods = kubelet_max_pods
        self.pd = pd_active(limits, settings)
        self.unit = IPS_PER_PREFIX if self.pd else 1
        self.slots = limits.ipv4_per_eni - 1  # per ENI: secondary IPs or prefixes (GetENIIPv4Limit)
        self.max_eni = effective_max_eni(limits, settings)
        self.trunk = has_trunk(limits, settings)
        self.trunk_slot = trunk_slot_reserved(limits, settings)
        self.enis: list[_Eni] = [_Eni(primary=True, allocatable=not settings.custom_networking)]
        self.assigned = 0

    # --- datastore statistics -------------------------------------------------------------------
    @property
    def held(self) -> int:
        return sum(e.held for e in self.enis)

    @property
    def total(self) -> int:
        return self.held * self.unit

    @property
    def available(self) -> int:
        return self.total - self.assigned

    def free_prefixes(self) -> int:
        used = -(-self.assigned // IPS_PER_PREFIX)
        return max(self.held - used, 0)

    # --- ipamd decisions ------------------------------------------------------------------------
    def target_state(self) -> tuple[int, int]:
        """datastoreTargetState: (short, over) against WARM_IP_TARGET/MINIMUM_IP_TARGET; in prefixes with PD."""
        w, m = self.s.warm_ip_target, self.s.minimum_ip_target
        avail, total = self.available, self.total
        short = max(w - avail, 0)
        short = max(short, m - total)
        over = max(avail - w, 0)
        over = max(min(over, total - m), 0)
        if not self.pd:
            return short, over
        short_prefix = -(-short // IPS_PER_PREFIX)
        needed_warm = -(-(self.assigned + w) // IPS_PER_PREFIX)
        needed_min = -(-m // IPS_PER_PREFIX)
        over_prefix = max(min(self.free_prefixes(), self.held - needed_warm), 0)
        over_prefix = max(min(over_prefix, self.held - needed_min), 0)
        return short_prefix, over_prefix

    def too_low(self) -> bool:
        """isDatastorePoolTooLow."""
        if self.total >= self.max_pods:
            return False
        if self.s.warm_ip_targets_defined:
            return self.target_state()[0] > 0
        if self.pd:
            target, per = self.s.warm_prefix_target, IPS_PER_PREFIX
        else:
            target, per = self.s.warm_eni_target, self.slots
        avail = self.available
        return avail < per * target or (target == 0 and avail == 0)

    def too_high(self) -> bool:
        """isDatastorePoolTooHigh: only warm IP targets, or prefix delegation, ever release."""
        if self.s.warm_ip_targets_defined:
            return self.target_state()[1] > 0
        if self.pd:
            return self.free_prefixes() > self.s.warm_prefix_target
        return False

    def prefixes_needed(self) -> int:
        """getPrefixesNeeded: at least one; warm IP targets take precedence over WARM_PREFIX_TARGET."""
        if self.s.warm_ip_targets_defined:
            return max(1, self.target_state()[0])
        return max(1, self.s.warm_prefix_target - self.free_prefixes())

    def has_room_for_eni(self) -> bool:
        """hasRoomForEni: MAX_ENI (or the type's limit) minus the slot kept for the trunk ENI on a
        trunking-compatible type (VPC CNI >= 1.20.4)."""
        return len(self.enis) < self.max_eni - (1 if self.trunk_slot else 0)

    def increase(self) -> bool:
        """increaseDatastorePool: tryAssignCidrs on an ENI with room, else tryAllocateENI."""
        if self.pd:
            to_allocate = self.prefixes_needed()
        else:
            short, _ = self.target_state()
            if self.s.warm_ip_targets_defined:
                if short == 0:
                    return False
                to_allocate = short
            else:
                to_allocate = self.slots
        for eni in self.enis:
            if eni.allocatable and eni.held < self.slots:
                eni.held += min(self.slots - eni.held, to_allocate)
                return True
        if not self.has_room_for_eni():
            return False
        # GetENIResourcesToAllocate
        if self.pd:
            n = min(self.prefixes_needed(), self.slots)
        elif self.s.warm_ip_targets_defined:
            n = min(self.target_state()[0], self.slots)
        else:
            n = self.slots
        if n <= 0:
            return False
        self.enis.append(_Eni(primary=False, allocatable=True, held=n))
        return True

    def decrease(self) -> bool:
        """tryUnassignCidrsFromAll: release what is over the targets (free addresses / free prefixes)."""
        if self.s.warm_ip_targets_defined:
            over = self.target_state()[1]
        else:
            over = max(self.free_prefixes() - self.s.warm_prefix_target, 0)
        if over <= 0:
            return False
        freed = 0
        for eni in reversed(self.enis):
            if freed >= over:
                break
            take = min(eni.held, over - freed)
            eni.held -= take
            freed += take
        # RemoveUnusedENIFromStore: an ENI left with nothing is detached (never the primary)
        self.enis = [e for e in self.enis if e.primary or e.held > 0]
        return freed > 0

    def reconcile(self) -> None:
        """updateIPPoolIfRequired, repeated until ipamd would change nothing.

        One case never settles in ipamd itself: WARM_PREFIX_TARGET=0 with pods filling their prefixes
        exactly (16, 32, ...): the free prefix is "too high", releasing it makes the pool "too low",
        and ipamd re-attaches one within seconds (decreases run every 30 s at most, increases every
        few seconds). The model keeps the higher state, which is what the node holds nearly all the
        time and what capacity planning must count.
        """
        for _ in range(10_000):
            self.assigned = min(self.demand, self.total)
            if self.too_low():
                if not self.increase():
                    break
            elif self.too_high():
                snapshot = [(e.primary, e.allocatable, e.held) for e in self.enis]
                if not self.decrease():
                    break
                self.assigned = min(self.demand, self.total)
                if self.too_low():  # the release would be undone at once: keep the higher state
                    self.enis = [_Eni(p, a, h) for p, a, h in snapshot]
                    break
            else:
                break
        self.assigned = min(self.demand, self.total)

    def grow_to(self, pods: int) -> None:
        self.demand = 0
        self.reconcile()  # node init: handlePreScaling
        for n in range(1, pods + 1):
            self.demand = n
            self.reconcile()


def default_kubelet_max_pods(mp: MaxPods) -> int:
    """When a caller gives no kubelet max-pods: AWS's recommended value, else (vCPUs unknown, so the
    recommendation is undecidable) the AMI default, the figure nobody has to set. `podcap node` passes
    its own figure (AMI default, or the managed-node-group figure with --managed)."""
    return mp.max_pods if mp.max_pods is not None else mp.ami_default_max_pods


def allocate(
    limits: InstanceLimits,
    settings: CniSettings,
    pods: int,
    kubelet_max_pods: int | None = None,
) -> NodeAllocation:
    """The node's steady state with `pods` address-taking pods, reached by growing from an empty node."""
    if isinstance(pods, bool) or not isinstance(pods, int) or pods < 0:
        raise ValueError(f"pods must be a whole number >= 0, got {pods!r}")
    mp = max_pods(limits, settings)
    kmp = kubelet_max_pods if kubelet_max_pods is not None else default_kubelet_max_pods(mp)
    if kmp < 0:
        raise ValueError(f"kubelet max-pods must be >= 0, got {kmp}")
    capacity = mp.pod_address_capacity
    if pods > capacity:
        raise CapacityError(
            f"{limits.name} ({mp.mode}) holds at most {capacity} address-taking pods "
            f"(network max pods {mp.network_max_pods} incl. {HOST_NETWORK_PODS} host-network pods); {pods} requested"
        )
    if pods > max(kmp - HOST_NETWORK_PODS, 0):
        raise CapacityError(
            f"kubelet max-pods {kmp} on {limits.name} leaves room for {max(kmp - HOST_NETWORK_PODS, 0)} "
            f"address-taking pods ({HOST_NETWORK_PODS} go to aws-node and kube-proxy); {pods} requested"
        )
    notes = list(mp.notes)
    if settings.ipv6:
        return _ipv6_allocation(limits, settings, pods, kmp, mp, notes)
    model = IpamdModel(limits, settings, kmp)
    model.grow_to(pods)
    return allocation_from_state(limits, settings, mp, kmp, pods, held=model.held, enis=len(model.enis),
                                 pd=model.pd, trunk=model.trunk, notes=notes)


def allocation_from_state(limits: InstanceLimits, settings: CniSettings, mp: MaxPods, kmp: int, pods: int, *,
                          held: int, enis: int, pd: bool, trunk: bool, notes: list[str]) -> NodeAllocation:
    """The node's figures from ipamd's state at ``pods`` pods: slots held (IPs, or /28 prefixes with prefix
    delegation) and ENIs attached. One derivation for the step model and the closed-form growth path."""
    pool = held * (IPS_PER_PREFIX if pd else 1)
    assigned = min(pods, pool)
    starved = pods - assigned
    trunk_n = 1 if trunk else 0
    if settings.custom_networking:
        node_subnet = 1  # the primary ENI's address: the node's own
        pod_subnet = (enis - 1) + pool + trunk_n
    else:
        node_subnet = enis + pool + trunk_n
        pod_subnet = node_subnet
    total_subnet = node_subnet + (pod_subnet if settings.custom_networking else 0)
    if starved:
        notes = [*notes, f"{starved} pod(s) get no address: ipamd stops growing the pool with these settings"]
    return NodeAllocation(
        instance_type=limits.name,
        pods=pods,
        kubelet_max_pods=kmp,
        mode=mp.mode,
        enis=enis,
        trunk_eni=bool(trunk),
        secondary_ips=0 if pd else held,
        prefixes=held if pd else 0,
        pool_addresses=pool,
        warm_addresses=pool - assigned,
        node_subnet_addresses=node_subnet,
        pod_subnet_addresses=pod_subnet,
        subnet_addresses=total_subnet,
        starved_pods=starved,
        notes=tuple(notes),
    )


def _ipv6_allocation(limits, settings, pods, kmp, mp, notes) -> NodeAllocation:
    """IPv6: one /80 on the primary ENI; the node takes one IPv4 address (its own) from its subnet."""
    trunk = has_trunk(limits, settings.__class__(**{**settings.__dict__, "ipv6": False}))
    node_subnet = 1 + (1 if trunk else 0)
    return NodeAllocation(
        instance_type=limits.name,
        pods=pods,
        kubelet_max_pods=kmp,
        mode=mp.mode,
        enis=1,
        trunk_eni=trunk,
        secondary_ips=0,
        prefixes=0,
        pool_addresses=0,
        warm_addresses=0,
        node_subnet_addresses=node_subnet,
        pod_subnet_addresses=node_subnet,
        subnet_addresses=node_subnet,
        ipv6_prefixes=1,
        notes=tuple(notes),
    )
