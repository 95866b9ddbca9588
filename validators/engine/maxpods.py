"""Max pods per node: the address capacity, AWS's recommendation, and what the EKS AMIs set.

Three different figures, because they are three different things that users confuse:

* ``network_max_pods`` — how many pods the node can give an address to, +2 for the host-network pods
  (aws-node, kube-proxy) that need none.
* ``max_pods`` — what AWS's max-pods calculator recommends for the CNI mode: the capacity, capped at
  110 on instances with 30 vCPUs or fewer and at 250 above (None when the vCPU count is unknown and the
  capacity is above 110, so the cap cannot be told). With IPv6 it is the calculator's prefix-delegation
  figure, capped: the /80 never limits pods, the ENIs' /28-equivalent count and the cap do.
* ``ami_default_max_pods`` — what the EKS-optimized AMIs give kubelet when nobody sets max-pods:
  the default-mode formula whatever the CNI mode (nodeadm ``calculateStandardMaxPods``). This is why
  nodes stay at 29 pods after prefix delegation is switched on.
"""
from __future__ import annotations

from podcap.engine.settings import CniSettings
from podcap.limits import InstanceLimits
from podcap.model.records import field, record

IPS_PER_PREFIX = 16  # a /28
HOST_NETWORK_PODS = 2  # aws-node and kube-proxy: counted by kubelet, take no VPC address
IPV6_PREFIX_ADDRESSES = 2**48  # one /80 per node


LOW_CPU_CAP = 110  # max-pods-calculator.sh MAX_POD_CEILING_FOR_LOW_CPU
HIGH_CPU_CAP = 250  # MAX_POD_CEILING_FOR_HIGH_CPU
CAP_VCPU_THRESHOLD = 30  # "if CPU_COUNT -gt 30": above this the higher ceiling applies


def recommended_cap(vcpus: int | None) -> int | None:
    """max-pods-calculator.sh: 110 for up to 30 vCPUs, 250 above; None when the vCPU count is unknown."""
    if vcpus is None:
        return None
    return HIGH_CPU_CAP if vcpus > CAP_VCPU_THRESHOLD else LOW_CPU_CAP


def apply_cap(figure: int, vcpus: int | None) -> int | None:
    """min(figure, cap). Without a vCPU count the result is still known when the figure is at or below
    110 (both ceilings are higher); above it the two ceilings give different answers: None."""
    cap = recommended_cap(vcpus)
    if cap is None:
        return figure if figure <= LOW_CPU_CAP else None
    return min(figure, cap)


def effective_max_eni(limits: InstanceLimits, settings: CniSettings) -> int:
    """ipamd getMaxENI: MAX_ENI only lowers the instance's default-card limit."""
    if settings.max_eni is not None and settings.max_eni < limits.enis:
        return settings.max_eni
    return limits.enis


def has_trunk(limits: InstanceLimits, settings: CniSettings) -> bool:
    """ENABLE_POD_ENI: the VPC resource controller attaches a trunk ENI when the type supports trunking
    and a slot is free (ipamd tryEnableSecurityGroupsForPods refuses when every slot is taken)."""
    return settings.pod_eni and not settings.ipv6 and limits.supports_trunking and effective_max_eni(limits, settings) > 1


def trunk_slot_reserved(limits: InstanceLimits, settings: CniSettings) -> bool:
    """ipamd hasRoomForEni (VPC CNI >= 1.20.4) keeps one ENI slot free for the trunk when ENABLE_POD_ENI
    is on, no trunk is attached yet, and the type is trunking-compatible (awsutils
    ``IsTrunkingCompatible``: the VPC resource controller's limits table; a type missing from that table
    counts as compatible). t3, t3a, Xen types and others the table marks incompatible keep every slot:
    t3.medium 3 x 5 + 2 = 17 pods, m4.large 2 x 9 + 2 = 20."""
    return settings.pod_eni and not settings.ipv6 and limits.trunking is not False


def pd_active(limits: InstanceLimits, settings: CniSettings) -> bool:
    """ipamd isConfigValid: prefix delegation on a non-Nitro type falls back to secondary IPs."""
    return settings.prefix_delegation and limits.nitro


def pod_enis(limits: InstanceLimits, settings: CniSettings) -> int:
    """ENIs that can hold pod addresses: MAX_ENI, minus the trunk's slot (hasRoomForEni), minus the primary
    under custom networking (GetAllocatableENIs skips it)."""
    n = effective_max_eni(limits, settings)
    if trunk_slot_reserved(limits, settings):
        n = max(n - 1, 1)  # the primary ENI is there from boot, whatever hasRoomForEni says
    if settings.custom_networking:
        n -= 1
    return max(n, 0)


@record(frozen=True)
class MaxPods:
    """An instance type's max pods by every rule that sets one (ENI capacity, calculator, AMI default)."""

    instance_type: str
    enis: int  # default network card
    ipv4_per_eni: int
    vcpus: int | None  # None: no source knows it (a type only AWS's published tables list)
    mode: str
    pod_enis: int
    slots_per_eni: int  # secondary IPs or /28 prefixes per ENI
    addresses_per_slot: int  # 1, or 16 with prefix delegation
    network_max_pods: int
    max_pods: int | None  # AWS's recommendation for the mode (None: vCPUs unknown and above 110)
    ami_default_max_pods: int  # what the EKS AMIs set when max-pods is not given
    notes: tuple[str, ...] = field(default_factory=tuple)
    # the recommendation before the 110/250 vCPU cap: with vCPUs unknown it is "110 or min(this, 250)"
    uncapped_max_pods: int = 0

    @property
    def pod_address_capacity(self) -> int:
        return self.network_max_pods - HOST_NETWORK_PODS


def standard_max_pods(limits: InstanceLimits) -> int:
    """ENIs x (IPv4 per ENI - 1) + 2: the EKS AMIs' value, whatever the CNI mode."""
    return limits.enis * (limits.ipv4_per_eni - 1) + HOST_NETWORK_PODS


def max_pods(limits: InstanceLimits, settings: CniSettings) -> MaxPods:
    notes: list[str] = []
    slots = limits.ipv4_per_eni - 1
    if settings.ipv6:
        # One /80 on the primary ENI; addresses never limit pods, the calculator's cap does.
        per_slot = IPV6_PREFIX_ADDRESSES
        capacity = IPV6_PREFIX_ADDRESSES + HOST_NETWORK_PODS
        enis_for_pods = 1
        mode = "ipv6"
        if limits.nitro:
            notes.append("IPv6: the node's /80 never limits pods; the recommended figure is the calculator's "
                         "prefix-delegation figure, capped at 110/250")
        else:
            # ipamd isConfigValid: IPv6 runs only in prefix-delegation mode, which a non-Nitro type
            # cannot do; aws-node exits and no pod gets an address.
            capacity = HOST_NETWORK_PODS
            enis_for_pods = 0
            notes.append(f"IPv6 needs prefix delegation, which {limits.name} (not Nitro) cannot do: "
                         "aws-node does not start and pods get no address")
    else:
        pd = pd_active(limits, settings)
        if settings.prefix_delegation and not pd:
            notes.append(f"{limits.name} is not a Nitro type: the CNI falls back to secondary IPs")
        per_slot = IPS_PER_PREFIX if pd else 1
        enis_for_pods = pod_enis(limits, settings)
        capacity = enis_for_pods * slots * per_slot + HOST_NETWORK_PODS
        mode = "prefix-delegation" if pd else "secondary-ip"
        if settings.custom_networking:
            mode += "+custom-networking"
        if has_trunk(limits, settings):
            mode += "+pod-eni"
        elif settings.pod_eni and not settings.ipv6 and not limits.in_resource_controller:
            notes.append(f"{limits.name} is not in the VPC resource controller's limits table: it attaches no "
                         "trunk ENI (no pod gets its own security groups), while ipamd, to which a type missing "
                         "from that table is trunking-compatible, still keeps one ENI slot free for it")
        elif settings.pod_eni and trunk_slot_reserved(limits, settings):
            notes.append(f"{limits.name} cannot attach a trunk ENI here (MAX_ENI leaves no slot): security "
                         "groups for pods unavailable")
        elif settings.pod_eni:
            notes.append(f"{limits.name} is not trunking-compatible (VPC resource controller): no trunk ENI, "
                         "no pod gets its own security groups, and ipamd keeps every ENI slot for pods")
    if enis_for_pods == 0 and not settings.ipv6:
        notes.append("no ENI is left for pod addresses (custom networking, MAX_ENI and the trunk ENI take them all)")
    return MaxPods(
        instance_type=limits.name,
        enis=limits.enis,
        ipv4_per_eni=limits.ipv4_per_eni,
        vcpus=limits.vcpus,
        mode=mode,
        pod_enis=enis_for_pods,
        slots_per_eni=slots,
        addresses_per_slot=per_slot,
        network_max_pods=capacity,
        max_pods=recommended_max_pods(limits, settings, capacity),
        ami_default_max_pods=standard_max_pods(limits),
        notes=tuple(notes),
        uncapped_max_pods=uncapped_recommendation(limits, settings, capacity),
    )


def calculator_max_pods(limits: InstanceLimits, settings: CniSettings) -> int:
    """max-pods-calculator.sh (awslabs/amazon-eks-ami, templates/al2/runtime) before its vCPU cap, what
    ``--show-max-allowed`` prints: ENIs for pods = min(MAX_ENI, default-card ENIs), minus one with custom
    networking; with prefix delegation on a type whose Hypervisor is "nitro"
    ``enis x ((IPv4 per ENI - 1) x 16) + 2``, else ``enis x (IPv4 per ENI - 1) + 2``.

    The calculator knows nothing of security groups for pods; it reads ``Hypervisor`` only, so a bare
    metal type (no hypervisor) gets the secondary-IP figure. IPv6 clusters run in prefix-delegation mode
    and EKS's IPv6 guidance uses the calculator's prefix-delegation figure, which is what ``ipv6``
    selects here (t3.nano: 2 x (1 x 16) + 2 = 34).
    """
    enis = limits.enis
    if settings.max_eni is not None and settings.max_eni < enis:
        enis = settings.max_eni
    if settings.custom_networking and not settings.ipv6:
        enis -= 1
    pd = (settings.prefix_delegation or settings.ipv6) and limits.hypervisor == "nitro"
    per_eni = (limits.ipv4_per_eni - 1) * (IPS_PER_PREFIX if pd else 1)
    return max(enis, 0) * per_eni + HOST_NETWORK_PODS


def uncapped_recommendation(limits: InstanceLimits, settings: CniSettings, capacity: int) -> int:
    """The recommended figure before the vCPU cap: max-pods-calculator.sh's figure, never above what the
    CNI can address (security groups for pods, which the calculator does not know, lower the capacity).
    The two differ on bare metal with prefix delegation: ipamd treats bare metal as Nitro and hands out
    prefixes, the calculator (Hypervisor == "nitro" only) gives the secondary-IP formula (u-6tb1.metal 147).
    With IPv6 addresses never limit pods: the calculator's prefix-delegation figure."""
    if settings.ipv6:
        return capacity if not limits.nitro else calculator_max_pods(limits, settings)
    return min(capacity, calculator_max_pods(limits, settings))


def recommended_max_pods(limits: InstanceLimits, settings: CniSettings, capacity: int) -> int | None:
    """AWS's recommended max pods for the mode: :func:`uncapped_recommendation` capped at 110/250."""
    return apply_cap(uncapped_recommendation(limits, settings, capacity), limits.vcpus)


def kubelet_max_pods_effective(mp: MaxPods, kubelet_max_pods: int | None) -> int:
    """The max-pods kubelet really runs with: the value set, else the AMI default."""
    return kubelet_max_pods if kubelet_max_pods is not None else mp.ami_default_max_pods
