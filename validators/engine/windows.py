"""Windows nodes: addresses come from the VPC resource controller, on the primary ENI only.

Sources, each rule where it comes from:

* EKS user guide, windows-support: Windows pods use only the node's primary ENI, so its max pods is
  ``IPv4 addresses per ENI - 1`` (m5.large: 10 - 1 = 9). No host-network aws-node / kube-proxy pods take
  a slot (kube-proxy runs as a Windows service), hence no ``+ 2``.
* aws/amazon-vpc-resource-controller-k8s, pkg/provider/ip and pkg/provider/prefix ``getCapacity``: the
  controller advertises ``IPv4PerInterface - 1`` secondary addresses, or that many /28 prefixes x 16
  with Windows prefix delegation (``enable-windows-prefix-delegation`` in the ``amazon-vpc-cni``
  ConfigMap). Security groups for pods is Linux-only (podENIConfig SupportedOS windows: false).
* pkg/config/loader.go ``ParseWinIPTargetConfigs``: the ConfigMap keys ``warm-ip-target``,
  ``minimum-ip-target``, ``warm-prefix-target`` (or their ``windows-`` prefixed forms when the plain ones
  are absent). Defaults: secondary IPs warm 3 / minimum 3; prefix delegation warm 1 / minimum 3 /
  warm prefixes 0. An explicit warm-ip-target 0 in secondary-IP mode becomes 1; all-zero targets fall
  back to the defaults.
* pkg/provider/ip/provider.go ``UpdateResourceCapacity``: prefix delegation only on a Nitro type
  (utils ``IsNitroInstance``: bare metal or hypervisor nitro); "Non-nitro instances continue using secondary IP
  mode", with the secondary-IP warm pool config (pool ``GetWinWarmPoolConfig(..., false)``), which holds the
  ConfigMap's targets only when prefix delegation is off (config ``LoadResourceConfigFromConfigMap`` writes
  them into the prefix config otherwise): the defaults, warm 3 / minimum 3.
* pkg/aws/ec2/instance.go ``LoadDetails`` and pkg/node/node.go ``InitResources``: a type missing from the
  controller's limits table (pkg/aws/vpc/limits.go) is "not supported yet by the vpc resource controller"; no
  provider starts and the node is advertised no ``vpc.amazonaws.com/PrivateIPv4Address``, so its Windows pods
  get no address. The snapshot marks those types with ``trunking`` None (the table is its only source).
* pkg/pool/pool.go ``calculateSecondaryIPDeviation``: the pool holds ``max(used + warm, minimum)``
  addresses, releasing what is above; ``getPDDeviation``: ``max(ceil((used + warm) / 16),
  ceil(minimum / 16))`` prefixes, or with only a warm prefix target, the prefixes in use plus that many
  free ones. Never beyond the advertised capacity.
"""
from __future__ import annotations

from collections.abc import Mapping

from podcap.engine.maxpods import IPS_PER_PREFIX
from podcap.limits import InstanceLimits
from podcap.model.records import record

WIN_WARM_IP_TARGET = 3  # IPv4DefaultWinWarmIPTarget
WIN_MIN_IP_TARGET = 3  # IPv4DefaultWinMinIPTarget
WIN_PD_WARM_IP_TARGET = 1  # IPv4PDDefaultWarmIPTargetSize
WIN_PD_MIN_IP_TARGET = 3  # IPv4PDDefaultMinIPTargetSize
WIN_PD_WARM_PREFIX_TARGET = 0  # IPv4PDDefaultWarmPrefixTargetSize

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@record(frozen=True)
class WindowsSettings:
    prefix_delegation: bool = False
    warm_ip_target: int = WIN_WARM_IP_TARGET
    minimum_ip_target: int = WIN_MIN_IP_TARGET
    warm_prefix_target: int = 0

    def describe(self) -> str:
        mode = "Windows prefix delegation" if self.prefix_delegation else "Windows secondary IPs"
        parts = [mode, f"warm-ip-target={self.warm_ip_target}", f"minimum-ip-target={self.minimum_ip_target}"]
        if self.prefix_delegation:
            parts.append(f"warm-prefix-target={self.warm_prefix_target}")
        return ", ".join(parts)


def _atoi(text: str) -> int | None:
    """Go strconv.Atoi: optional sign, digits only."""
    body = text[1:] if text[:1] in "+-" else text
    return int(text) if body.isdigit() and body.isascii() else None


def parse_windows_config(data: Mapping[str, object] | None) -> WindowsSettings:
    """The ``amazon-vpc-cni`` ConfigMap's data as ParseWinIPTargetConfigs reads it (None: no data)."""
    if not data:
        return WindowsSettings()
    d = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in data.items()}
    raw_pd = d.get("enable-windows-prefix-delegation", "")
    pd = raw_pd in _TRUE  # ParseBool; anything unparsable falls back to secondary-IP mode

    def lookup(key: str) -> str | None:
        return d[key] if key in d else d.get(f"windows-{key}")

    warm_s, min_s, wpt_s = lookup("warm-ip-target"), lookup("minimum-ip-target"), lookup("warm-prefix-target")
    warm = 0
    if warm_s is not None:
        v = _atoi(warm_s)
        warm = v if v is not None else 0
        if v is not None and not pd and v == 0:
            warm = 1  # "Explicitly setting WarmIPTarget zero value not supported in secondary IP mode"
    minimum = (_atoi(min_s) or 0) if min_s is not None else 0
    wpt = (_atoi(wpt_s) or 0) if (pd and wpt_s is not None) else 0
    if warm == 0 and minimum == 0:
        if pd and wpt == 0:
            warm, minimum, wpt = WIN_PD_WARM_IP_TARGET, WIN_PD_MIN_IP_TARGET, WIN_PD_WARM_PREFIX_TARGET
        elif not pd:
            warm, minimum = WIN_WARM_IP_TARGET, WIN_MIN_IP_TARGET
    if pd:
        # getPDDeviation: an undefined (<= 0) target takes its default unless only the warm prefix
        # target is defined
        warm_def, min_def, wpt_def = warm > 0, minimum > 0, wpt > 0
        if not warm_def and (min_def or not wpt_def):
            warm = WIN_PD_WARM_IP_TARGET
        if not min_def and (warm_def or not wpt_def):
            minimum = WIN_PD_MIN_IP_TARGET
    else:
        # calculateSecondaryIPDeviation: a negative target (strconv.Atoi keeps "-1") is replaced by its default
        warm = WIN_WARM_IP_TARGET if warm < 0 else warm
        minimum = WIN_MIN_IP_TARGET if minimum < 0 else minimum
    return WindowsSettings(pd, max(warm, 0), max(minimum, 0), max(wpt, 0))


def windows_settings_for(limits: InstanceLimits, ws: WindowsSettings) -> WindowsSettings:
    """The settings the resource controller applies on this type: prefix delegation on a non-Nitro type falls
    back to secondary IPs with the secondary-IP defaults (UpdateResourceCapacity, GetWinWarmPoolConfig)."""
    if ws.prefix_delegation and not limits.nitro:
        return WindowsSettings()
    return ws


def windows_notes(limits: InstanceLimits, ws: WindowsSettings) -> tuple[str, ...]:
    """Why the controller serves this type otherwise than ``ws`` says (empty: it serves it as configured)."""
    if not limits.in_resource_controller:
        return ((f"{limits.name} is not in the VPC resource controller's limits table: the controller does not "
                "support it (node event UnsupportedInstanceType) and gives its Windows pods no address"),)
    if ws.prefix_delegation and not limits.nitro:
        return ((f"{limits.name} is not a Nitro type: the VPC resource controller keeps secondary IP mode, with "
                "its default warm-ip-target=3, minimum-ip-target=3"),)
    return ()


def windows_max_pods(limits: InstanceLimits) -> int:
    """EKS user guide, windows-support: IPv4 addresses per ENI - 1 (the Windows AMI's default)."""
    return max(limits.ipv4_per_eni - 1, 0)


def windows_capacity(limits: InstanceLimits, ws: WindowsSettings) -> int:
    """Addresses the resource controller advertises for pods (getCapacity, x 16 with prefixes on a Nitro
    type; none on a type its limits table lacks)."""
    if not limits.in_resource_controller:
        return 0
    slots = max(limits.ipv4_per_eni - 1, 0)
    return slots * IPS_PER_PREFIX if windows_settings_for(limits, ws).prefix_delegation else slots


@record(frozen=True)
class WindowsAllocation:
    instance_type: str
    pods: int
    capacity: int  # pods the controller's addresses can serve
    max_pods: int  # the AMI default (IPv4 per ENI - 1)
    secondary_ips: int
    prefixes: int
    pool_addresses: int
    subnet_addresses: int  # the primary ENI's own address + the pool
    settings: WindowsSettings
    notes: tuple[str, ...] = ()
    starved_pods: int = 0  # pods the pool serves no address (the primary ENI's capacity, or the targets)


def windows_allocation(limits: InstanceLimits, ws: WindowsSettings, pods: int) -> WindowsAllocation:
    """What a Windows node holds with ``pods`` pods, in the steady state of the controller's pool."""
    if pods < 0:
        raise ValueError(f"pods must be >= 0, got {pods}")
    cap = windows_capacity(limits, ws)
    notes: list[str] = list(windows_notes(limits, ws))
    ws = windows_settings_for(limits, ws)
    slots = max(limits.ipv4_per_eni - 1, 0) if limits.in_resource_controller else 0
    used = min(pods, cap)
    if pods > cap:
        notes.append(f"{pods - cap} pod(s) get no address: the primary ENI offers {cap}")
    if not slots:
        return WindowsAllocation(limits.name, pods, cap, windows_max_pods(limits), 0, 0, 0, 1, ws, tuple(notes),
                                 pods)
    if ws.prefix_delegation:
        if ws.warm_ip_target <= 0 and ws.minimum_ip_target <= 0:
            want = -(-used // IPS_PER_PREFIX) + ws.warm_prefix_target
        else:
            want = max(-(-(used + ws.warm_ip_target) // IPS_PER_PREFIX),
                       -(-ws.minimum_ip_target // IPS_PER_PREFIX))
        prefixes = min(want, slots)
        ips, pool = 0, prefixes * IPS_PER_PREFIX
    elif ws.warm_ip_target <= 0:
        # calculateSecondaryIPDeviation with no warm target: short = max(0 - free, minimum - held) is 0 once
        # minimum-ip-target addresses are held and used, so the pool never grows past it; later pods find the
        # warm pool empty (ErrWarmPoolEmpty) and get no address
        ips = min(ws.minimum_ip_target, slots)
        prefixes, pool = 0, ips
        if used > ips:
            notes.append(f"{used - ips} pod(s) get no address: with warm-ip-target 0 the resource "
                         f"controller holds only minimum-ip-target={ws.minimum_ip_target} addresses")
    else:
        ips = min(max(used + ws.warm_ip_target, ws.minimum_ip_target), slots)
        prefixes, pool = 0, ips
    return WindowsAllocation(limits.name, pods, cap, windows_max_pods(limits), ips, prefixes, pool,
                             1 + pool, ws, tuple(notes), max(pods - pool, 0))
