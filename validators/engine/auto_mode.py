"""EKS Auto Mode networking and built-in node pools, as the EKS user guide documents them (docs/auto-mode.md).

* Networking ("Learn about VPC Networking and Load Balancing in EKS Auto Mode", auto-networking.html): Auto
  Mode assigns ``/28`` IPv4 prefixes to the node's primary network interface (prefix delegation, on by
  default), adds secondary interfaces in the node's subnet when needed, and falls back to secondary IPv4
  addresses when the subnet has no free ``/28``. The VPC CNI's settings (warm targets, MAX_ENI) do not apply.
  podcap models a node as the VPC CNI in prefix-delegation mode with its defaults: the prefix rules (free
  aligned /28s, PC204/PC205) apply, as the fallback only starts once no /28 is left.
* ``spec.advancedNetworking.ipv4PrefixSize`` of the NodeClass ("Create a Node Class for Amazon EKS",
  create-node-class.html): ``Auto`` (the default: prefixes, falling back to secondary IPs) or ``"32"``
  (secondary-IP mode), modelled as the VPC CNI without prefix delegation.
* ``podSubnetSelectorTerms`` (create-node-class.html, "Separate subnets and security groups for Pods"): pods
  take addresses in those subnets, not the node's, modelled as VPC CNI custom networking.
* Max pods (create-node-class.html, Considerations): "EKS limits the maximum number of pods on a node to 110.
  This limit is applied after the existing max pods calculation."
* Built-in node pools ("Enable or Disable Built-in NodePools", set-builtin-node-pools.html): ``system``
  (amd64 and arm64) and ``general-purpose`` (amd64 only); both use the default NodeClass, on-demand capacity,
  the C, M and R families, generation 5 or newer. They state no limits, so nothing in the plan bounds their
  node count.
"""
from __future__ import annotations

from podcap.engine.karpenter import Requirement

AUTO_MODE_MAX_PODS = 110
BUILTIN_POOLS = ("general-purpose", "system")
DOCS = {
    "networking": "https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html",
    "node-class": "https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html",
    "builtin-pools": "https://docs.aws.amazon.com/eks/latest/userguide/set-builtin-node-pools.html",
    "node-pool": "https://docs.aws.amazon.com/eks/latest/userguide/create-node-pool.html",
}

_COMMON = (
    Requirement("karpenter.sh/capacity-type", "In", ("on-demand",)),
    Requirement("eks.amazonaws.com/instance-category", "In", ("c", "m", "r")),
    Requirement("eks.amazonaws.com/instance-generation", "Gt", ("4",)),
    Requirement("kubernetes.io/os", "In", ("linux",)),
)


def builtin_requirements(pool: str) -> list[Requirement] | None:
    """The documented requirements of a built-in pool (set-builtin-node-pools.html), None for another name."""
    if pool == "general-purpose":
        return [*_COMMON, Requirement("kubernetes.io/arch", "In", ("amd64",))]
    if pool == "system":
        return [*_COMMON, Requirement("kubernetes.io/arch", "In", ("amd64", "arm64"))]
    return None


def network_env(ipv4_prefix_size: object = None, pod_subnets: bool = False) -> tuple[dict[str, str] | None, str]:
    """The VPC CNI settings that model an Auto Mode node (None: the value cannot be read), and a description."""
    size = "Auto" if ipv4_prefix_size in (None, "") else str(ipv4_prefix_size).strip()
    env: dict[str, str] = {}
    if size.lower() == "auto":
        env["ENABLE_PREFIX_DELEGATION"] = "true"
        how = "Auto Mode: /28 prefixes on the primary ENI (falling back to secondary IPs when no /28 is free)"
    elif size == "32":
        how = "Auto Mode ipv4PrefixSize 32: secondary IPs"
    else:
        return None, f"ipv4PrefixSize {size!r} is neither Auto nor \"32\""
    if pod_subnets:
        env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] = "true"
        how += "; pods in the podSubnetSelectorTerms subnets"
    return env, how
