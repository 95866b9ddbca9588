"""Small pieces the sources share: the subnets a plan references, what marks an Auto Scaling group's
instances as EKS nodes, subnet ids, and the message for a key a source does not know."""

from __future__ import annotations

import re
from collections.abc import Iterable

from podcap.model.plan import Plan
from podcap.model.unknown import Unknown

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"  # EKS API default for a managed node group with no instance type


def default_instance_type(ami_type: Any) -> str | Unknown:
    """The instance type EKS gives a managed node group that names none (no InstanceTypes, no launch
    template instance type), for its AMI type. One answer for every source.

    EKS's CreateNodegroup API reference documents t3.medium, an x86_64 type; for AMI types of another
    architecture or accelerator the figure is not decided offline, so it is Unknown (set InstanceTypes).
    """
    if ami_type is None or isinstance(ami_type, str) and re.fullmatch(_X86_AMI, ami_type):
        return EKS_DEFAULT_INSTANCE_TYPE
    if isinstance(ami_type, Unknown):
        return Unknown(f"no instance types, and the AMI type that decides EKS's default is not known: "
                       f"{ami_type.reason}", ami_type.where)
    return Unknown(f"no instance types: EKS's documented default ({EKS_DEFAULT_INSTANCE_TYPE}) is x86_64, and "
                   f"podcap cannot tell which type EKS picks for AMI type {ami_type}; set InstanceTypes")


# patterns' texts, compiled by re at their first use (docs/architecture.md, Start-up): many checks need neither
_X86_AMI = r"AL2_x86_64|AL2023_x86_64_STANDARD|BOTTLEROCKET_x86_64|WINDOWS_\w+|CUSTOM"
# user data that bootstraps an EKS node (bootstrap.sh, nodeadm, Bottlerocket); ``re.search(EKS_USER_DATA, text)``
EKS_USER_DATA = (r"(?i)/etc/eks/|bootstrap\.sh|nodeadm|node\.eks\.aws|NodeConfig|EKSBootstrap|"
                 r"\[settings\.kubernetes\]")
CLUSTER_TAG = "kubernetes.io/cluster/"
_NODE_TAG_PREFIXES = ("k8s.io/cluster-autoscaler", "eks:")
_SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}")


def subnet_like(s: Any) -> bool:
    """``subnet-`` and 8 to 17 hex digits: an EC2 subnet id, not a subnet the input defines."""
    return isinstance(s, str) and bool(_SUBNET_ID.fullmatch(s))


def referenced_subnet_ids(plan: Plan) -> list[str]:
    """The subnet ids the plan's node groups, clusters and ENIConfigs name (known ones, repeats kept)."""
    refs: list[str] = []
    for ng in plan.nodegroups:
        if isinstance(ng.subnets, list):
            refs.extend(s for s in ng.subnets if isinstance(s, str))
    for cl in plan.clusters.values():
        if isinstance(cl.subnets, list):
            refs.extend(s for s in cl.subnets if isinstance(s, str))
        refs.extend(v for v in cl.eni_configs.values() if isinstance(v, str))
    return refs


def eks_tag_signs(keys: Iterable[Any]) -> tuple[str | None, bool]:
    """(cluster name, EKS signs) from an Auto Scaling group's tag keys: ``kubernetes.io/cluster/NAME``
    names the cluster (the last one wins); it, ``k8s.io/cluster-autoscaler…`` and ``eks:…`` mark EKS nodes."""
    cluster_name: str | None = None
    signs = False
    for key in keys:
        if isinstance(key, str):
            if key.startswith(CLUSTER_TAG):
                cluster_name = key[len(CLUSTER_TAG):]
                signs = True
            elif key.startswith(_NODE_TAG_PREFIXES):
                signs = True
    return cluster_name, signs


def unknown_key(key: Any, allowed: Iterable[str]) -> str:
    """``unknown key 'x' (did you mean 'y'?)``, or ``… (expected one of: a, b)`` when nothing is close."""
    import difflib  # only a mistyped key needs it

    allowed = list(allowed)
    hint = difflib.get_close_matches(str(key), allowed, n=1)
    return f"unknown key {key!r}" + (
        f" (did you mean {hint[0]!r}?)" if hint else f" (expected one of: {', '.join(allowed)})"
    )


__all__ = [
    "EKS_DEFAULT_INSTANCE_TYPE",
    "EKS_USER_DATA",
    "eks_tag_signs",
    "referenced_subnet_ids",
    "subnet_like",
    "unknown_key",
]
