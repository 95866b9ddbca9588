"""The max pods EKS itself writes for a managed node group's nodes.

EKS user guide (create-managed-node-group, cni-increase-ip-addresses, choosing-instance-type "How
maxPods is determined"): for a managed node group with no launch template, or a launch template with no
``ImageId``, EKS computes the recommended max pods for the VPC CNI configuration in force when the node
group is created, the way AWS's max-pods calculator does (prefix delegation, custom networking,
MAX_ENI), and caps it at 110 for instance types with 30 vCPUs or fewer, 250 above, whatever the CNI
mode. A custom AMI (launch template ``ImageId``) gets nothing from EKS: its user data, else the AMI's
own default, decides (docs/max-pods.md).

The calculator itself is :func:`podcap.engine.maxpods.calculator_max_pods`; this module adds the cap
and says where the figure came from.
"""
from __future__ import annotations

from podcap.engine.maxpods import LOW_CPU_CAP, calculator_max_pods, recommended_cap
from podcap.engine.settings import CniSettings
from podcap.limits import InstanceLimits
from podcap.model.records import record


@record(frozen=True)
class ManagedMaxPods:
    """The figure EKS writes for a managed node group of one instance type.

    ``recommended`` is the calculator's figure before the vCPU cap (what ``--show-max-allowed``
    prints); ``cap`` is 110 or 250 (None when the vCPU count is unknown); ``value`` = min(recommended,
    cap), None when the cap is unknown and decides (recommended above 110).
    """

    instance_type: str
    value: int | None
    recommended: int
    cap: int | None
    vcpus: int | None
    note: str

    def capped(self, figure: int) -> int | None:
        """A max-pods value set elsewhere (launch template user data) counts only up to the cap."""
        if self.cap is not None:
            return min(figure, self.cap)
        return figure if figure <= LOW_CPU_CAP else None


def _mode(settings: CniSettings) -> str:
    parts = []
    if settings.ipv6:
        parts.append("IPv6")
    parts.append("prefix delegation" if settings.prefix_delegation or settings.ipv6 else "secondary IPs")
    if settings.custom_networking and not settings.ipv6:
        parts.append("custom networking")
    if settings.max_eni is not None:
        parts.append(f"MAX_ENI={settings.max_eni}")
    return ", ".join(parts)


def managed_max_pods(limits: InstanceLimits, settings: CniSettings) -> ManagedMaxPods:
    """What EKS writes as max pods for a managed node group of ``limits`` under ``settings``."""
    rec = calculator_max_pods(limits, settings)
    cap = recommended_cap(limits.vcpus)
    mode = _mode(settings)
    if cap is not None:
        value: int | None = min(rec, cap)
        how = f"{limits.vcpus} vCPUs {'>' if cap > LOW_CPU_CAP else '<='} 30"
        note = (f"written by EKS for a managed node group: recommended {rec} ({mode}), capped at {cap} "
                f"({how}) -> {value}")
    elif rec <= LOW_CPU_CAP:
        value = rec
        note = (f"written by EKS for a managed node group: recommended {rec} ({mode}), below both caps "
                "(vCPUs unknown)")
    else:
        value = None
        note = (f"written by EKS for a managed node group: recommended {rec} ({mode}) capped at 110 or "
                f"{min(rec, 250)}, vCPUs unknown")
    return ManagedMaxPods(limits.name, value, rec, cap, limits.vcpus, note)
