"""Karpenter's view of instance types: which ones a NodePool's requirements allow, and the max pods Karpenter
gives each node.

Modelled on aws/karpenter-provider-aws ``pkg/providers/instancetype/types.go``:

* labels (``computeRequirements``): ``karpenter.k8s.aws/instance-category`` and ``-generation`` come from the
  regular expression ``(^[a-z]+)(\\-[0-9]+tb)?([0-9]+).*\\.`` on the type name, ``-family`` and ``-size`` from
  splitting it at the dot, ``-cpu`` is the default vCPU count, ``-hypervisor`` EC2's hypervisor;
* max pods (``pods``): the NodeClass's ``kubelet.maxPods`` when set; else, for AMI families that support
  ENI-limited pod density (AL2, AL2023, Bottlerocket, Custom), ``ENILimitedPods``: (ENIs of the default network
  card - ``--reserved-enis`` - EFA-only interfaces on card 0) x (IPv4 addresses per ENI - 1) + 2, or 0 when no
  ENI is left; else (Windows) 110. Then ``podsPerCore`` x vCPUs caps it, for families where pods-per-core is
  enabled (not Bottlerocket). Karpenter writes that figure into the node's kubelet configuration
  (``amifamily/resolver.go``: maxPods is set to the instance type's pod capacity), so it is the node's real
  max pods.

Requirements use Kubernetes node-selector operators (In, NotIn, Exists, DoesNotExist, Gt, Lt). Architecture,
memory, GPU and accelerator labels come from the snapshot's DescribeInstanceTypes facts; a requirement on a label
the snapshot cannot tell for a type (a type only AWS's published tables know, or a label podcap does not model)
makes the type set Unknown: podcap does not guess which types it keeps.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable

from podcap.limits import InstanceLimits, Snapshot
from podcap.model.plan import PoolLimits
from podcap.model.records import field, record
from podcap.model.unknown import Unknown

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

INSTANCE_TYPE_SCHEME = re.compile(r"(^[a-z]+)(\-[0-9]+tb)?([0-9]+).*\.")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
WINDOWS_DEFAULT_MAX_PODS = 110  # types.go pods(): families without ENI-limited pod density
HOST_NETWORK_PODS = 2

# label suffixes shared by Karpenter (karpenter.k8s.aws/) and EKS Auto Mode (eks.amazonaws.com/)
_PROVIDER_PREFIXES = ("karpenter.k8s.aws/", "eks.amazonaws.com/")
_TYPE_LABEL = "node.kubernetes.io/instance-type"
_ARCH_LABEL = "kubernetes.io/arch"
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
# labels that are not instance-type properties (offerings, placement, the node's own labels): never narrow types
_NOT_TYPE_LABELS = {
    "karpenter.sh/capacity-type", "kubernetes.io/os", "topology.kubernetes.io/region",
    "topology.k8s.aws/zone-id", "karpenter.sh/nodepool", "node.kubernetes.io/windows-build",
    "eks.amazonaws.com/compute-type", *ZONE_LABELS,
}
_WELL_KNOWN_PREFIXES = ("kubernetes.io/", "node.kubernetes.io/", "karpenter.sh/", "karpenter.k8s.aws/",
                        "topology.kubernetes.io/", "eks.amazonaws.com/", "topology.k8s.aws/")


@record(frozen=True)
class Requirement:
    """One NodePool requirement: a node-selector term (key, operator, values)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()


def parse_requirements(raw: Any, where: str) -> tuple[list[Requirement], list[Unknown]]:
    """NodePool ``spec.template.spec.requirements`` -> requirements, problems."""
    out: list[Requirement] = []
    problems: list[Unknown] = []
    if raw is None:
        return out, problems
    if not isinstance(raw, list):
        return out, [Unknown("NodePool requirements is not a list", where)]
    for i, r in enumerate(raw):
        if not isinstance(r, dict) or not isinstance(r.get("key"), str):
            problems.append(Unknown(f"requirement [{i}] has no key", where))
            continue
        op = r.get("operator")
        if op not in OPERATORS:
            problems.append(Unknown(f"requirement {r['key']}: operator {op!r} is not one of {', '.join(OPERATORS)}",
                                    where))
            continue
        values = r.get("values") or []
        if not isinstance(values, list):
            problems.append(Unknown(f"requirement {r['key']}: values is not a list", where))
            continue
        out.append(Requirement(r["key"], op, tuple(str(v) for v in values)))
    return out, problems


def _provider_suffix(key: str) -> str | None:
    for p in _PROVIDER_PREFIXES:
        if key.startswith(p):
            return key[len(p):]
    return None


def type_label(lim: InstanceLimits, key: str) -> str | None | Unknown:
    """The value of a well-known label on nodes of this type (None: the label is absent), or Unknown when the
    snapshot cannot tell it."""
    name = lim.name
    if key == _TYPE_LABEL or key == "beta.kubernetes.io/instance-type":
        return name
    if key in (_ARCH_LABEL, "beta.kubernetes.io/arch"):
        arch = getattr(lim, "architectures", None)
        if arch is None:
            return Unknown("the instance-limits snapshot has no CPU architecture (kubernetes.io/arch)")
        return arch[0] if arch else None  # getArchitecture: the first Kubernetes name; Mac types have none
    suffix = _provider_suffix(key)
    if suffix is None:
        return Unknown(f"label {key} is not one podcap can tell from the instance-limits snapshot")
    at = _NAME_SUFFIXES.get(suffix)
    if at is not None:
        return name_labels(name)[at]
    if suffix == "instance-cpu":
        if getattr(lim, "vcpus", None) is None:
            return Unknown(f"the instance-limits snapshot has no vCPU count for {name}")
        return str(lim.vcpus)
    if suffix == "instance-hypervisor":
        return lim.hypervisor
    if suffix == "instance-memory":
        mem = getattr(lim, "memory_mib", None)
        if mem is None:
            return Unknown("the instance-limits snapshot has no memory size (instance-memory)")
        return str(mem)
    if suffix.startswith(("instance-gpu-", "instance-accelerator-")):
        labels = lim.accelerator_labels
        if labels is None:
            return Unknown(f"the instance-limits snapshot has no GPU or accelerator facts for {name}")
        return labels.get(suffix)  # absent: the node carries no such label (computeRequirements)
    return Unknown(f"label {key} is not in the instance-limits snapshot")


# the labels computeRequirements derives from the type's name alone, by their place in name_labels()
_NAME_SUFFIXES = {"instance-category": 0, "instance-generation": 1, "instance-family": 2, "instance-size": 3,
                  "instance-capability-flex": 4}


def name_labels(name: str) -> tuple[str | None, str | None, str | None, str | None, str, str]:
    """The labels a type's name alone tells (types.go computeRequirements): instance-category and
    -generation from INSTANCE_TYPE_SCHEME, -family and -size from the split at the dot, -capability-flex,
    and the name itself (node.kubernetes.io/instance-type). None: the node carries no such label."""
    m = INSTANCE_TYPE_SCHEME.match(name)
    parts = name.split(".")
    two = len(parts) == 2
    return (m.group(1) if m else None, m.group(3) if m else None, parts[0] if two else None,
            parts[1] if two else None, "true" if "-flex" in parts[0] else "false", name)


def name_label_index(key: str) -> int | None:
    """Where :func:`name_labels` holds the value of label ``key`` (None: the name alone does not tell it)."""
    if key == _TYPE_LABEL or key == "beta.kubernetes.io/instance-type":
        return 5
    suffix = _provider_suffix(key)
    return None if suffix is None else _NAME_SUFFIXES.get(suffix)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def requirement_matches(req: Requirement, value: str | None) -> bool:
    """Kubernetes node-selector semantics for one label value (None: the node has no such label)."""
    op = req.operator
    if op == "In":
        return value is not None and value in req.values
    if op == "NotIn":
        return value is None or value not in req.values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    bound = _int(req.values[0]) if len(req.values) == 1 else None
    v = _int(value) if value is not None else None
    if bound is None or v is None:
        return False
    return v > bound if op == "Gt" else v < bound


def matcher(req: Requirement) -> Callable[[str | None], bool]:
    """``requirement_matches(req, value)`` as a function of the value alone, with the requirement's values
    read once: a pool's selection asks it of each of the snapshot's ~1400 types."""
    op = req.operator
    if op == "In" or op == "NotIn":
        values = frozenset(req.values)
        if op == "In":
            return lambda v: v is not None and v in values
        return lambda v: v is None or v not in values
    if op == "Exists":
        return lambda v: v is not None
    if op == "DoesNotExist":
        return lambda v: v is None
    bound = _int(req.values[0]) if len(req.values) == 1 else None
    if bound is None:
        return lambda v: False
    greater = op == "Gt"

    def compare(v: str | None) -> bool:
        n = _int(v) if v is not None else None
        return n is not None and (n > bound if greater else n < bound)
    return compare


def narrows_types(key: str) -> bool:
    """Whether a requirement on ``key`` restricts instance types (custom node labels and offering labels do not)."""
    if key in _NOT_TYPE_LABELS:
        return False
    return key.startswith(_WELL_KNOWN_PREFIXES)


ARCHITECTURES = ("amd64", "arm64")  # what Karpenter's getArchitecture gives every EC2 type (x86_64 / arm64)


def _always_true(req: Requirement) -> bool:
    """A ``kubernetes.io/arch`` requirement every EC2 type meets (In both architectures, NotIn neither,
    Exists), which needs no architecture data to decide."""
    if req.key not in (_ARCH_LABEL, "beta.kubernetes.io/arch"):
        return False
    if req.operator == "In":
        return set(ARCHITECTURES) <= set(req.values)
    if req.operator == "NotIn":
        return not set(ARCHITECTURES) & set(req.values)
    return req.operator == "Exists"


@record
class TypeSelection:
    """The instance types a NodePool's requirements allow, and what narrows its zones."""

    types: list[str] = field(default_factory=list)
    unknown: Unknown | None = None  # why the set cannot be told
    zones: list[str] | None = None  # topology.kubernetes.io/zone In [...] (None: any zone)
    zones_excluded: list[str] = field(default_factory=list)  # NotIn zones
    notes: list[str] = field(default_factory=list)
    # the fewest vCPUs the instance-cpu requirements allow (In: the smallest value, Gt: one more), for types
    # whose own vCPU count the snapshot lacks
    cpu_floor: int | None = None


def select_types(requirements: list[Requirement], snapshot: Snapshot, where: str,
                 allowed: Callable[[InstanceLimits], bool] | None = None,
                 allowed_name: Callable[[str], bool] | None = None) -> TypeSelection:
    """The snapshot's instance types a NodePool's requirements allow (Karpenter matches each requirement
    against the labels of computeRequirements); ``allowed`` narrows them further (EKS Auto Mode's supported
    types), and ``allowed_name``, when given, is a condition ``allowed`` implies that reads the name alone.

    A requirement on a label the name tells (:func:`name_labels`) and ``allowed_name`` are judged first,
    without building the type's limits, so a pool whose category, family or generation rules out most of
    the ~1400 types builds only the others. Such a label is never Unknown, and whether a type is kept does
    not depend on the order; what may is which requirement is reported as one the snapshot cannot tell, when
    one comes before a name-told requirement: then, unless every such requirement was told for some type
    and none is undecided for a kept one, the types are judged again in the NodePool's order.
    tests/test_speed_pools.py holds the selection equal to judging every type in order with
    :func:`type_label`."""
    sel = TypeSelection()
    type_reqs = []
    for r in requirements:
        if r.key in ZONE_LABELS:
            if r.operator == "In":
                sel.zones = sorted(set(r.values) & set(sel.zones) if sel.zones is not None else set(r.values))
            elif r.operator == "NotIn":
                sel.zones_excluded.extend(r.values)
            continue
        if narrows_types(r.key) and not _always_true(r):
            type_reqs.append(r)
    for r in type_reqs:
        if _provider_suffix(r.key) == "instance-cpu":
            nums = [v for v in (_int(x) for x in r.values) if v is not None]
            floor = (min(nums) if r.operator == "In" and nums else
                     nums[0] + 1 if r.operator == "Gt" and len(nums) == 1 else None)
            if floor is not None:
                sel.cpu_floor = max(sel.cpu_floor or 0, floor)
    named = {v for r in requirements if r.key in (_TYPE_LABEL, "beta.kubernetes.io/instance-type")
             and r.operator == "In" for v in r.values}
    steps = [(r, matcher(r), name_label_index(r.key)) for r in type_reqs]
    # name-told requirements first: a type they rule out is never built. Only a requirement judged before a
    # name-told one in the NodePool's order could then tell something else (a type ruled out by name no
    # longer says whether that requirement is decidable); when it might, the types are judged again in order.
    ahead = {r for i, (r, _, at) in enumerate(steps)
             if at is None and any(a is not None for _, _, a in steps[i + 1:])}
    name_first = [x for x in steps if x[2] is not None] + [x for x in steps if x[2] is None]
    judged = _judge(snapshot, name_first, allowed, allowed_name, named)
    if judged.ruled_out_by_name and ahead and (
            not ahead <= judged.decided or any(r in judged.undecided for r in ahead)):
        judged = _judge(snapshot, steps, allowed, allowed_name, named)
    names, unlisted = judged.names, judged.unlisted
    undecided, decided, first_unknown = judged.undecided, judged.decided, judged.first_unknown
    for r, unk in first_unknown.items():
        if r not in decided:  # the snapshot cannot tell this label for any type
            sel.unknown = Unknown(f"requirement {r.key} {r.operator} {list(r.values)}: {unk.reason}", where)
            return sel
    for r, kept in undecided.items():
        shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
        sel.notes.append(f"requirement {r.key} {r.operator} {list(r.values)} cannot be told for {shown} "
                         f"({first_unknown[r].reason}): kept as candidates, the worst case")
    if judged.mac:
        shown = ", ".join(judged.mac[:5]) + (f" and {len(judged.mac) - 5} more" if len(judged.mac) > 5 else "")
        sel.notes.append(f"{len(judged.mac)} Mac type(s) left out ({shown}): Karpenter lists only x86_64 and "
                         "arm64 types (DescribeInstanceTypes processor-info.supported-architecture)")
    if unlisted:
        shown = ", ".join(unlisted[:5]) + (f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else "")
        sel.notes.append(f"{len(unlisted)} type(s) known only from AWS's published ENI tables, not from the "
                         f"snapshot's DescribeInstanceTypes, left out ({shown}): Karpenter offers the types "
                         "DescribeInstanceTypes lists; name one in node.kubernetes.io/instance-type to keep it")
    if not names:
        sel.unknown = Unknown("no instance type in the instance-limits snapshot meets the NodePool's requirements",
                              where)
    sel.types = names
    return sel


class _Judged:
    """What judging the snapshot's types against a pool's requirements found (see :func:`_judge`). Read by
    select_types alone: a plain class, which costs nothing to define when the module is imported."""

    def __init__(self) -> None:
        self.names: list[str] = []  # the types kept
        self.unlisted: list[str] = []  # kept, but only AWS's ENI tables know them
        # left out: Karpenter asks DescribeInstanceTypes for processor-info.supported-architecture x86_64 or
        # arm64 only (karpenter-provider-aws pkg/providers/instancetype UpdateInstanceTypes), never Mac types
        self.mac: list[str] = []
        self.undecided: dict[Requirement, list[str]] = {}  # kept types, by a requirement not told for them
        self.decided: set[Requirement] = set()  # requirements told for some type judged
        self.first_unknown: dict[Requirement, Unknown] = {}  # why each one could not be told, the first time
        self.ruled_out_by_name = False  # some type was left out by a name-told requirement


def _judge(snapshot: Snapshot, steps: list[tuple[Requirement, Callable[[str | None], bool], int | None]],
           allowed: Callable[[InstanceLimits], bool] | None, allowed_name: Callable[[str], bool] | None,
           named: set[str]) -> _Judged:
    """Each type of the snapshot judged by ``steps`` (requirement, its matcher, where name_labels holds its
    label or None) in that order, up to the first one it fails, as Karpenter matches requirements. A
    name-told label needs no InstanceLimits built; the type's limits are built (and ``allowed`` asked) at the
    first step that needs them, or once every step is passed."""
    out = _Judged()
    types = snapshot.types
    # the stored names that are their types' own names (lim.name), which the labels come from
    own_names = set(snapshot.records) if _keys_are_names(snapshot) else set()
    for name in snapshot.names():
        own = name if name in own_names else types[name].name
        if allowed_name is not None and not allowed_name(own):
            continue
        lim: InstanceLimits | None = None
        labels = None
        ok = True
        open_reqs = []
        for r, match, at in steps:
            if at is not None:  # told by the name: never Unknown
                if labels is None:
                    labels = name_labels(own)
                if not match(labels[at]):
                    ok = False
                    out.ruled_out_by_name = True
                    break
                continue
            if lim is None:
                lim = types[name]
                if allowed is not None and not allowed(lim):
                    ok = False
                    break
            value = type_label(lim, r.key)
            if isinstance(value, Unknown):
                open_reqs.append(r)
                out.first_unknown.setdefault(r, value)
                continue
            out.decided.add(r)
            if not match(value):
                ok = False
                break
        if not ok:
            continue
        if lim is None:
            lim = types[name]
            if allowed is not None and not allowed(lim):
                continue
        if lim.architectures == ():  # listed, but with no amd64 or arm64: a Mac type (x86_64_mac, arm64_mac)
            out.mac.append(name)
            continue
        if not described(lim) and name not in named:
            out.unlisted.append(name)  # it would match, but Karpenter does not see it
        else:
            out.names.append(name)
            for r in open_reqs:
                out.undecided.setdefault(r, []).append(name)
    return out


def _keys_are_names(snapshot: Snapshot) -> bool:
    """Whether no two stored names share a key, so a type whose key is among the stored names has that key
    as its own name (InstanceLimits.name): then its name-told labels need no record built."""
    return len(snapshot.records) == len(snapshot.types)


def described(lim: InstanceLimits) -> bool:
    """Whether the snapshot's DescribeInstanceTypes copy lists the type (it then has vCPUs and architectures);
    a type known only from AWS's published ENI tables (the CNI's, the resource controller's, nodeadm's) has
    neither. Karpenter builds its candidates from DescribeInstanceTypes in the region
    (karpenter-provider-aws pkg/providers/instancetype), so such a type is not among them unless a
    requirement names it."""
    return lim.vcpus is not None or getattr(lim, "architectures", None) is not None


@record(frozen=True)
class AmiFamilyFlags:
    """amifamily FeatureFlags: what decides Karpenter's max pods for the family."""

    name: str
    eni_limited: bool  # SupportsENILimitedPodDensity
    pods_per_core: bool  # PodsPerCoreEnabled
    windows: bool = False


_FAMILIES = {
    "al2": AmiFamilyFlags("AL2", True, True),
    "al2023": AmiFamilyFlags("AL2023", True, True),
    "bottlerocket": AmiFamilyFlags("Bottlerocket", True, False),
    "ubuntu": AmiFamilyFlags("Ubuntu", True, True),
    "custom": AmiFamilyFlags("Custom", True, True),
    "windows2019": AmiFamilyFlags("Windows2019", False, True, True),
    "windows2022": AmiFamilyFlags("Windows2022", False, True, True),
    "windows2025": AmiFamilyFlags("Windows2025", False, True, True),
}


def ami_family(name: str | None) -> AmiFamilyFlags | None:
    """The flags of an EC2NodeClass ``amiFamily`` or ``amiSelectorTerms[].alias`` family (``al2023@latest``)."""
    if not name:
        return None
    return _FAMILIES.get(str(name).split("@", 1)[0].strip().lower())


def eni_limited_pods(lim: InstanceLimits, reserved_enis: int = 0, efa_only_enis: int = 0) -> int:
    """types.go ENILimitedPods: the default card's ENIs less reserved and EFA-only ones, x (IPv4 per ENI - 1) + 2."""
    usable = max(lim.enis - reserved_enis - efa_only_enis, 0)
    if usable == 0:
        return 0
    return usable * (lim.ipv4_per_eni - 1) + HOST_NETWORK_PODS


def karpenter_max_pods(lim: InstanceLimits, family: AmiFamilyFlags, *, max_pods: int | None = None,
                       pods_per_core: int | None = None, reserved_enis: int = 0,
                       efa_only_enis: int = 0) -> int | Unknown:
    """types.go pods(): what Karpenter gives kubelet on a node of this type."""
    if max_pods is not None:
        count = max_pods
    elif family.eni_limited:
        count = eni_limited_pods(lim, reserved_enis, efa_only_enis)
    else:
        count = WINDOWS_DEFAULT_MAX_PODS
    if pods_per_core and pods_per_core > 0 and family.pods_per_core:
        vcpus = getattr(lim, "vcpus", None)
        if vcpus is None:
            return Unknown(f"podsPerCore needs the vCPU count of {lim.name}, which the snapshot lacks")
        count = min(pods_per_core * vcpus, count)
    return count


# k8s.io/apimachinery resource.Quantity's grammar (quantity.go): an optionally signed decimal number
# ("5", "+4", "-1", "1.5", "2.", ".5"), then a decimal exponent ("1e3", "5E-1") or an SI or binary suffix
_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:[eE]([+-]?[0-9]+)|([a-zA-Z]*))$")
_SUFFIXES = {
    "": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def parse_quantity(value: Any) -> float | None:
    """A Kubernetes resource quantity ("100", "1000m", "64Gi") as a number of units; None when unreadable."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            q = float(value)
        elif not isinstance(value, str):
            return None
        else:
            m = _QUANTITY.match(value)
            if not m:
                return None
            number, exponent, suffix = m.groups()
            if exponent is not None:
                if len(exponent) > 5:  # not read: no float holds 1e99999, and int() refuses 4300 digits
                    return None
                q = float(number) * 10.0 ** int(exponent)
            elif suffix in _SUFFIXES:
                q = float(number) * _SUFFIXES[suffix]
            else:
                return None
    except OverflowError:  # an int past a float's range
        return None
    return q if math.isfinite(q) else None  # "9" x 5000 reads as inf: no quantity a cluster can have


VM_MEMORY_OVERHEAD_PERCENT = 0.075  # options.go --vm-memory-overhead-percent / VM_MEMORY_OVERHEAD_PERCENT default
ARM64_RESERVED_MIB = 64  # types.go memory(): Graviton's CMA reserved memory


def memory_capacity_mib(lim: InstanceLimits, overhead: float = VM_MEMORY_OVERHEAD_PERCENT) -> int | None:
    """types.go memory(): the memory Karpenter counts for a node of this type — DescribeInstanceTypes
    SizeInMiB, less 64 MiB when the first architecture is arm64, less ceil(that x VM overhead percent) MiB.

    This is the capacity the scheduler holds against ``spec.limits`` (kubernetes-sigs/karpenter scheduler.go
    ``filterByRemainingResources`` / ``subtractMax`` use the instance type's Capacity) until a node of the type
    has registered; from then on the node's own reported memory replaces it (instancetype.go
    ``UpdateInstanceTypeCapacityFromNode``), which no offline input tells. None when the snapshot lacks it."""
    size = getattr(lim, "memory_mib", None)
    if size is None:
        return None
    arch = getattr(lim, "architectures", None)
    if arch and arch[0] == "arm64":
        size -= ARM64_RESERVED_MIB
    return size - math.ceil(size * overhead)


def node_bound(limits: Any, types: list[InstanceLimits], where: str,
               cpu_floor: int | None = None, replicas: Any = None,
               vm_memory_overhead: float = VM_MEMORY_OVERHEAD_PERCENT) -> tuple[int | Unknown, str]:
    """NodePool ``spec.limits`` (and ``spec.replicas``) -> the most nodes the pool can hold, and how that was
    worked out.

    Karpenter launches no node whose capacity would take the pool over a limit: the scheduler starts from the
    limits, subtracts each node's capacity and drops the instance types whose capacity exceeds what remains
    (kubernetes-sigs/karpenter ``scheduler.go`` ``filterByRemainingResources``: a type fits when its capacity is
    at most the remainder). So with nodes of capacity c the pool holds floor(limit / c) of them, and the
    smallest candidate type gives the most nodes. CPU capacity is the type's default vCPUs, memory the figure
    of :func:`memory_capacity_mib`. A ``nodes`` limit counts nodes directly. A limit smaller than one node of
    every candidate gives 0: Karpenter launches nothing. ``spec.replicas`` (a static NodePool, an alpha field of
    karpenter.sh/v1: "the NodePool will maintain this fixed number of replicas") is the count itself, under
    ``limits.nodes``.
    """
    bounds: list[tuple[int, str]] = []
    problems: list[str] = []
    if replicas is not None:
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            problems.append(f"spec.replicas {replicas!r} is not a whole number of nodes")
        else:
            bounds.append((replicas, f"spec.replicas {replicas} (a static NodePool)"))
    if (not isinstance(limits, dict) or not limits) and not bounds:
        if problems:
            return Unknown(f"no node bound: {problems[0]}", where), ""
        return Unknown("the NodePool has no limits: nothing bounds its node count", where), ""
    limits = limits if isinstance(limits, dict) else {}
    if "nodes" in limits:
        n = parse_quantity(limits["nodes"])
        if n is None:
            problems.append(f"limits.nodes {limits['nodes']!r} is not a quantity")
        else:
            n = max(int(n), 0)  # a limit at or below the usage leaves room for no node
            bounds.append((n, f"limits.nodes {n}"))
    if "cpu" in limits:
        cpu = parse_quantity(limits["cpu"])
        # a type whose vCPUs the snapshot lacks has at least what the pool's cpu requirements allow
        vcpus = [t.vcpus if getattr(t, "vcpus", None) else cpu_floor for t in types]
        if cpu is None:
            problems.append(f"limits.cpu {limits['cpu']!r} is not a quantity")
        elif not types or any(not v for v in vcpus):
            missing = [t.name for t in types if not getattr(t, "vcpus", None)][:3]
            problems.append(f"limits.cpu needs every candidate type's vCPU count (the snapshot has none for "
                            f"{', '.join(missing)})")
        else:
            smallest = min(vcpus)
            n = max(int(cpu // smallest), 0)
            bounds.append((n, f"limits.cpu {limits['cpu']} / {smallest} vCPUs of the smallest type = {n}"))
    if "memory" in limits:
        mem = parse_quantity(limits["memory"])
        mibs = [memory_capacity_mib(t, vm_memory_overhead) for t in types]
        if mem is None:
            problems.append(f"limits.memory {limits['memory']!r} is not a quantity")
        elif not types or any(m is None for m in mibs):
            missing = [t.name for t, m in zip(types, mibs) if m is None][:3]
            problems.append("limits.memory needs every candidate type's memory size (the instance-limits "
                            f"snapshot has none for {', '.join(missing)})")
        else:
            smallest = min(m for m in mibs if m is not None)
            n = max(int(mem // (smallest * 2**20)), 0)
            how = (f"limits.memory {limits['memory']} / {smallest} MiB of the smallest type's capacity after "
                   f"Karpenter's {vm_memory_overhead:g} VM memory overhead = {n}")
            bounds.append((n, how))
    if bounds:  # each limit alone bounds the pool: the tightest one holds
        n, how = min(bounds)
        return n, how
    reason = "; ".join(problems) or "the NodePool's limits name neither cpu, memory nor nodes"
    return Unknown(f"no node bound from the NodePool's limits: {reason}", where), ""


def pool_limits(limits: Any, cpu_floor: int | None = None,
                vm_memory_overhead: float = VM_MEMORY_OVERHEAD_PERCENT) -> PoolLimits | None:
    """NodePool ``spec.limits`` as the numbers that bound what the pool's nodes take together, or None when it
    names no cpu or memory limit podcap can read (an unreadable one is node_bound's to report). ``nodes`` is
    kept beside them: with a cpu or memory limit it is one more bound on the mix."""
    if not isinstance(limits, dict):
        return None
    cpu = parse_quantity(limits["cpu"]) if "cpu" in limits else None
    memory = parse_quantity(limits["memory"]) if "memory" in limits else None
    if cpu is None and memory is None:
        return None
    nodes = parse_quantity(limits["nodes"]) if "nodes" in limits else None
    parsed = {"cpu": cpu, "memory": memory, "nodes": nodes}
    written = tuple((k, str(limits[k])) for k, v in parsed.items() if v is not None)
    return PoolLimits(cpu=cpu, memory=memory, nodes=None if nodes is None else int(nodes),
                      vm_memory_overhead=vm_memory_overhead, cpu_floor=cpu_floor, written=written)


def fits_alone(lim: InstanceLimits, pl: PoolLimits) -> bool:
    """Whether one node of the type keeps within the pool's limits: ``filterByRemainingResources`` drops a type
    whose capacity exceeds what the limits leave, and an empty pool leaves the limits themselves, so a type
    larger than a limit is never launched. A type whose vCPUs or memory the snapshot lacks is kept."""
    vcpus = getattr(lim, "vcpus", None) or pl.cpu_floor
    if pl.cpu is not None and vcpus and vcpus > pl.cpu:
        return False
    mib = memory_capacity_mib(lim, pl.vm_memory_overhead)
    return not (pl.memory is not None and mib is not None and mib * 2**20 > pl.memory)
