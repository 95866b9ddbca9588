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
* Instance types ("Learn about Amazon EKS Auto Mode Managed instances", automode-learn-instances.html): only
  the families of its supported-instance reference, with more than 1 CPU and a size other than nano, micro or
  small.
* Built-in node pools ("Enable or Disable Built-in NodePools", set-builtin-node-pools.html): ``system``
  (amd64 and arm64) and ``general-purpose`` (amd64 only); both use the default NodeClass, on-demand capacity,
  the C, M and R families, generation 5 or newer. They state no limits, so nothing in the plan bounds their
  node count.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

    from podcap.engine.karpenter import Requirement, TypeSelection
    from podcap.limits import Snapshot

AUTO_MODE_MAX_PODS = 110
BUILTIN_POOLS = ("general-purpose", "system")
DOCS = {
    "networking": "https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html",
    "node-class": "https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html",
    "builtin-pools": "https://docs.aws.amazon.com/eks/latest/userguide/set-builtin-node-pools.html",
    "node-pool": "https://docs.aws.amazon.com/eks/latest/userguide/create-node-pool.html",
}

# "EKS Auto Mode supported instance reference" (automode-learn-instances.html): the families Auto Mode creates
# instances of, and its minimum size (more than 1 CPU; not nano, micro or small)
_SUPPORTED_FAMILIES_TEXT = """
c8id c8i c8i-flex c8gd c8gn c8g c8a c8gb c7a c7g c7gn c7gd c7i c7i-flex c6a c6g c6i c6gn c6id c6in c6gd c5 c5a c5d
c5ad c5n c4
m8id m8i m8i-flex m8a m8azn m8gn m8gb m8gd m8g m7i m7a m7g m7gd m7i-flex m6a m6i m6in m6g m6idn m6id m6gd m5 m5a
m5ad m5n m5dn m5d m5zn m4
r8id r8i r8i-flex r8gn r8gb r8gd r8g r8a r7a r7iz r7gd r7i r7g r6a r6i r6id r6in r6idn r6g r6gd r5 r5n r5a r5dn r5b
r5ad r5d r4
t4g t3 t3a t2
z1d x8aedz x8g x8i x2gd
i8ge i7i i8g i7ie i4g i4i i3 i3en is4gen d3 d3en im4gn
p6-b200 p6-b300 p5 p5e p5en p4d p4de p3dn g7e g6 gr6 g6e g5g g5 g4dn g4ad inf2 inf1 trn1 trn1n trn2
hpc8a x2iezn x2iedn x2idn
"""
SUPPORTED_FAMILIES = frozenset(_SUPPORTED_FAMILIES_TEXT.split())
_TOO_SMALL = ("nano", "micro", "small")


def supported_name(name: str) -> bool:
    """The part of :func:`supported` the type's name tells: a supported family, not nano, micro or small. A
    pool's selection skips the other types by name before their limits are built."""
    family, _, size = name.partition(".")
    return family in SUPPORTED_FAMILIES and size not in _TOO_SMALL


def supported(lim) -> bool:
    """Whether EKS Auto Mode creates instances of this type (automode-learn-instances.html). A type whose
    vCPU count the snapshot lacks is kept (the worst case) when its family and size are supported."""
    if not supported_name(lim.name):
        return False
    vcpus = getattr(lim, "vcpus", None)
    return vcpus is None or vcpus > 1


# the built-in pools' requirements as (key, operator, values): plain data, so that a check whose pools'
# selections are stored (builtin_selection) builds no Requirement
_COMMON = (
    ("karpenter.sh/capacity-type", "In", ("on-demand",)),
    ("eks.amazonaws.com/instance-category", "In", ("c", "m", "r")),
    ("eks.amazonaws.com/instance-generation", "Gt", ("4",)),
    ("kubernetes.io/os", "In", ("linux",)),
)
_ARCHITECTURES = {"general-purpose": ("amd64",), "system": ("amd64", "arm64")}


def _terms(pool: str) -> tuple[tuple[str, str, tuple[str, ...]], ...] | None:
    arch = _ARCHITECTURES.get(pool)
    return None if arch is None else (*_COMMON, ("kubernetes.io/arch", "In", arch))


def builtin_requirements(pool: str) -> list[Requirement] | None:
    """The documented requirements of a built-in pool (set-builtin-node-pools.html), None for another name."""
    from podcap.engine.karpenter import Requirement

    terms = _terms(pool)
    return None if terms is None else [Requirement(key, op, values) for key, op, values in terms]


def builtin_definition(pool: str) -> dict[str, Any] | None:
    """What the instance types of a built-in pool depend on besides the snapshot's records, as JSON: its
    requirements and the supported-instance reference (families, sizes too small). A selection is stored
    with the definition it was worked out for, so one stored before the definition changed is not used.
    None for another name."""
    terms = _terms(pool)
    if terms is None:
        return None
    return {"requirements": [[key, op, list(values)] for key, op, values in terms],
            "supported_families": sorted(SUPPORTED_FAMILIES), "too_small": list(_TOO_SMALL)}


def builtin_selection(pool: str, snapshot: Snapshot, where: str) -> TypeSelection:
    """The instance types of a built-in pool: :func:`podcap.engine.karpenter.select_types` of its
    requirements, narrowed to the supported types. The shipped snapshot stores each pool's selection
    (``Snapshot.selections``, written by scripts/generate_snapshot.py: see :func:`stored_selections`), so
    a check does not judge its ~1400 types again; a selection stored for another definition, or a --snapshot
    file, is worked out from the records. tests/test_speed_selections.py holds the stored selections equal
    to select_types of the shipped records."""
    from podcap.engine.karpenter import select_types

    stored = _from_store(snapshot.selections.get(pool), builtin_definition(pool))
    if stored is not None:
        return stored
    return select_types(builtin_requirements(pool) or [], snapshot, where, supported, supported_name)


def stored_selections(snapshot: Snapshot) -> dict[str, Any]:
    """Each built-in pool's selection over ``snapshot``, as the snapshot file stores it (see
    :func:`builtin_selection`): its definition and the selection's fields. A pool whose types the snapshot
    cannot tell (``unknown``: its reason names where the pool is) is left out, and then worked out by every
    check."""
    from podcap.engine.karpenter import select_types

    out: dict[str, Any] = {}
    for pool in BUILTIN_POOLS:
        sel = select_types(builtin_requirements(pool) or [], snapshot, pool, supported, supported_name)
        if sel.unknown is None:
            out[pool] = {"definition": builtin_definition(pool), "types": sel.types, "notes": sel.notes,
                         "zones": sel.zones, "zones_excluded": sel.zones_excluded, "cpu_floor": sel.cpu_floor}
    return out


def _from_store(stored: Any, definition: dict[str, Any] | None) -> TypeSelection | None:
    """A stored selection (see :func:`stored_selections`) as select_types gives it, when it was stored for
    ``definition`` and has the fields a selection has; else None (then it is worked out)."""
    from podcap.engine.karpenter import TypeSelection

    if not isinstance(stored, dict) or definition is None or stored.get("definition") != definition:
        return None
    types, notes, zones = stored.get("types"), stored.get("notes"), stored.get("zones")
    excluded, floor = stored.get("zones_excluded"), stored.get("cpu_floor")
    if not (_strings(types) and types and _strings(notes) and (zones is None or _strings(zones))
            and _strings(excluded) and (floor is None or type(floor) is int)):
        return None
    return TypeSelection(types=list(types), zones=None if zones is None else list(zones),
                         zones_excluded=list(excluded), notes=list(notes), cpu_floor=floor)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


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
