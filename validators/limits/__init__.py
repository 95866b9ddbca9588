"""Instance-type network limits: EC2 DescribeInstanceTypes merged with AWS's published per-type tables.

The package ships a generated snapshot (``validators/data/instance_limits.json``, written by
``podcap limits refresh`` / ``scripts/generate_snapshot.py``) so checks run offline; nothing here calls AWS.
The snapshot is the union of DescribeInstanceTypes and the tables of the VPC CNI, the VPC resource
controller and nodeadm (see :mod:`podcap.limits.published`); each record says where each field came from.
A field no source has is ``None`` (vCPUs, architectures or memory of a type only AWS's tables know): never
guessed.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from itertools import repeat

from podcap.model.records import field, record

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

SNAPSHOT_NAME = "instance_limits.json"
MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024  # the shipped one is ~0.4 MB; read no more than this of a --snapshot


class SnapshotError(ValueError):
    """A snapshot file of the wrong shape: one line saying what is wrong (the CLI exits 2 with it)."""


class UnknownInstanceType(LookupError):
    """An instance type the snapshot does not know: never guessed, always reported with close names."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown instance type {name!r}{hint} (run `podcap limits refresh` if it is new)")


@record(frozen=True)
class InstanceLimits:
    """One instance type's network facts, each with where it came from (DescribeInstanceTypes or AWS's tables)."""

    name: str
    enis: int  # ENIs on the DEFAULT network card: what the VPC CNI uses (its table wins over EC2's)
    ipv4_per_eni: int  # IPv4 addresses per interface, the ENI's own primary address included
    ipv6_per_eni: int | None  # None: only DescribeInstanceTypes has it, and it does not know the type
    vcpus: int | None  # None: a type only AWS's tables know (they carry no vCPUs); never guessed
    hypervisor: str  # "nitro", "xen", or "" for bare metal
    bare_metal: bool
    network_cards: tuple[tuple[int, int], ...]  # (NetworkCardIndex, MaximumNetworkInterfaces)
    default_card: int
    max_enis_all_cards: int
    efa: bool | None
    max_efa_interfaces: int | None
    trunking: bool | None  # the resource controller's IsTrunkingCompatible; None: not in its table
    branch_enis: int | None = None  # the resource controller's BranchInterface (branch ENIs per node)
    # DescribeInstanceTypes ProcessorInfo.SupportedArchitectures in Kubernetes' names, as Karpenter's
    # AWSToKubeArchitectures maps them (x86_64 -> amd64, arm64 -> arm64; i386, x86_64_mac, arm64_mac have no
    # Kubernetes name and are dropped, so a Mac type has ``()``). None: a type only AWS's tables know.
    architectures: tuple[str, ...] | None = None
    memory_mib: int | None = None  # DescribeInstanceTypes MemoryInfo.SizeInMiB; None: only AWS's tables know it
    # DescribeInstanceTypes GpuInfo.Gpus as (name, manufacturer, count, memory MiB per GPU); () no GPU
    gpus: tuple[tuple[str, str, int, int], ...] | None = None
    # NeuronInfo.NeuronDevices (manufacturer "AWS"), else InferenceAcceleratorInfo, as (name, manufacturer,
    # count): what Karpenter's accelerator labels read; () none
    accelerators: tuple[tuple[str, str, int], ...] | None = None
    # field -> where it came from: "ec2" (DescribeInstanceTypes), "vpc-cni", "resource-controller", "nodeadm"
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def nitro(self) -> bool:
        """Prefix delegation needs the Nitro system; the CNI treats bare metal as Nitro too."""
        return self.hypervisor == "nitro" or self.bare_metal

    @property
    def in_resource_controller(self) -> bool:
        """Whether the VPC resource controller's limits table (pkg/aws/vpc/limits.go, the snapshot's only source
        of ``trunking``) lists the type: for one it lacks, ec2 ``LoadDetails`` fails and the controller serves
        the node nothing (no trunk ENI, no Windows addresses)."""
        return self.trunking is not None

    @property
    def supports_trunking(self) -> bool:
        """The VPC resource controller attaches a trunk ENI: branch provider ``IsInstanceSupported`` is
        ``found && IsTrunkingCompatible`` in its limits table, so a type the table lacks gets none."""
        return self.trunking is True

    @property
    def gpu_count(self) -> int | None:
        """GPUs per instance (the sum over GpuInfo.Gpus); 0: none; None: no source tells."""
        return None if self.gpus is None else sum(g[2] for g in self.gpus)

    @property
    def accelerator_labels(self) -> dict[str, str] | None:
        """Karpenter's GPU and accelerator labels for the type, by suffix (``instance-gpu-count`` ...), as
        karpenter-provider-aws ``computeRequirements`` (pkg/providers/instancetype/types.go) sets them: only for
        a type with exactly one GPU entry (or accelerator entry); names lower-case with spaces as dashes. A
        suffix missing from the dict is a label the node does not carry; None: no source tells."""
        if self.gpus is None or self.accelerators is None:
            return None
        out: dict[str, str] = {}
        if len(self.gpus) == 1:
            name, maker, count, mem = self.gpus[0]
            out.update({"instance-gpu-name": _kebab(name), "instance-gpu-manufacturer": _kebab(maker),
                        "instance-gpu-count": str(count), "instance-gpu-memory": str(mem)})
        if len(self.accelerators) == 1:
            name, maker, count = self.accelerators[0]
            out.update({"instance-accelerator-name": _kebab(name),
                        "instance-accelerator-manufacturer": _kebab(maker),
                        "instance-accelerator-count": str(count)})
        return out

    def source_of(self, field_name: str) -> str:
        """Where a record field (``enis``, ``ipv4``, ``vcpus``, ``trunking``, ``arch`` ...) came from; "" if
        nowhere. The attribute's own name (``architectures``, ``ipv4_per_eni`` ...) is understood too."""
        return dict(self.sources).get(_ATTR_TO_KEY.get(field_name, field_name), "")

    @classmethod
    def from_record(cls, name: str, rec: dict[str, Any]) -> InstanceLimits:
        """The type a snapshot record describes, after checking every field's type (SnapshotError names the
        first that is wrong; a ``--snapshot`` file may hold anything)."""
        where = f"instance type {name!r}"
        for key in ("enis", "ipv4"):
            _req_int(rec, key, where)
        for key in ("ipv6", "vcpus", "max_enis", "max_efa", "branch_enis", "memory_mib"):
            _opt_int(rec, key, where)
        _architectures(rec, where)
        _devices(rec, "gpus", 4, where)
        _devices(rec, "accelerators", 3, where)
        return _limits_of(name, rec)


_RECORD_FIELDS = ("enis", "ipv4", "ipv6", "vcpus", "hypervisor", "bare_metal", "cards", "default_card",
                  "max_enis", "efa", "max_efa", "trunking", "branch_enis", "arch", "memory_mib", "gpus",
                  "accelerators")
_FIELD_SET = frozenset(_RECORD_FIELDS)

# InstanceLimits attribute -> the record key it is read from, where the two differ
_ATTR_TO_KEY = {"ipv4_per_eni": "ipv4", "ipv6_per_eni": "ipv6", "network_cards": "cards",
                "max_enis_all_cards": "max_enis", "max_efa_interfaces": "max_efa", "architectures": "arch"}

# aws/karpenter-provider-aws pkg/apis/v1/labels.go AWSToKubeArchitectures: EC2's name -> kubernetes.io/arch
AWS_TO_KUBE_ARCHITECTURES = {"x86_64": "amd64", "arm64": "arm64"}


def kube_architectures(ec2_names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """EC2 SupportedArchitectures -> Kubernetes names, in EC2's order, without repeats. Karpenter's
    getArchitecture (pkg/providers/instancetype/types.go) labels a node with the first of these."""
    out: list[str] = []
    for a in ec2_names:
        k = AWS_TO_KUBE_ARCHITECTURES.get(a)
        if k is not None and k not in out:
            out.append(k)
    return tuple(out)


def _kebab(s: str) -> str:
    """types.go lowerKabobCase: lower case, spaces as dashes ("Radeon Pro V520" -> "radeon-pro-v520")."""
    return s.replace(" ", "-").lower()


def _devices(rec: dict[str, Any], key: str, width: int, where: str) -> tuple[tuple[Any, ...], ...] | None:
    """``gpus`` ([name, manufacturer, count, memory MiB]) or ``accelerators`` ([name, manufacturer, count])."""
    v = rec.get(key)
    if v is None:
        return None
    ok = isinstance(v, list) and all(
        isinstance(d, list) and len(d) == width and all(isinstance(x, str) for x in d[:2])
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in d[2:]) for d in v)
    if not ok:
        raise SnapshotError(f"{where}: {key!r} is {v!r}, not a list of [name, manufacturer, count"
                            f"{', memory MiB' if width == 4 else ''}]")
    return tuple(tuple(d) for d in v)


def _architectures(rec: dict[str, Any], where: str) -> tuple[str, ...] | None:
    v = rec.get("arch")
    if v is None:
        return None
    if not isinstance(v, list) or not all(isinstance(a, str) for a in v):
        raise SnapshotError(f"{where}: 'arch' is {v!r}, not a list of EC2 architecture names")
    return kube_architectures(v)


def _req_int(rec: dict[str, Any], key: str, where: str) -> int:
    v = rec.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise SnapshotError(f"{where}: {key!r} is {v!r}, not a positive integer")
    return v


def _opt_int(rec: dict[str, Any], key: str, where: str) -> int | None:
    v = rec.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise SnapshotError(f"{where}: {key!r} is {v!r}, not a whole number")
    return v


@record(frozen=True)
class Snapshot:
    """The instance types podcap knows, and the provenance of the file they came from."""

    provenance: dict[str, Any]
    types: dict[str, InstanceLimits]
    # the records as stored (with "src", "in" and the DescribeInstanceTypes figures the tables overrode)
    records: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    # what the generator worked out from the records and stored beside them (the file's "selections": EKS
    # Auto Mode's built-in pools' instance types, podcap.engine.auto_mode.builtin_selection), so that a check
    # need not judge every type again. Only the shipped snapshot's are read: a --snapshot file may have been
    # edited since it was generated, and its pools are worked out from its records.
    selections: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def record(self, name: str) -> dict[str, Any]:
        return self.records.get(self.get(name).name, {})

    def get(self, name: str) -> InstanceLimits:
        key = name.strip().lower() if isinstance(name, str) else name
        try:
            return self.types[key]
        except (KeyError, TypeError):
            raise UnknownInstanceType(str(name), self.suggest(str(name))) from None

    def suggest(self, name: str, n: int = 3) -> list[str]:
        import difflib  # only an unknown name needs it

        return difflib.get_close_matches(name.strip().lower(), self.types.keys(), n=n, cutoff=0.6)

    def names(self) -> list[str]:
        return sorted(self.types)


def parse_snapshot(doc: Any) -> Snapshot:
    """Check the document's shape by hand (a ``--snapshot`` may be anything) and build the snapshot."""
    if not isinstance(doc, dict):
        raise SnapshotError(f"not a snapshot: a JSON {type(doc).__name__}, not an object with instance_types")
    types_doc = doc.get("instance_types")
    if not isinstance(types_doc, dict) or not types_doc:
        raise SnapshotError("not a snapshot: no non-empty \"instance_types\" object")
    gen = doc.get("generated", {})
    if not isinstance(gen, dict):
        raise SnapshotError("not a snapshot: \"generated\" is not an object")
    types = {}
    for name, rec in types_doc.items():
        if not isinstance(rec, dict):
            raise SnapshotError(f"instance type {name!r}: not an object")
        try:
            types[name.strip().lower()] = InstanceLimits.from_record(name, rec)
        except SnapshotError:
            raise
        except (TypeError, ValueError, AttributeError) as e:
            raise SnapshotError(f"instance type {name!r}: malformed record ({e})") from None
    return Snapshot(provenance=gen, types=types, records=types_doc)


def read_snapshot_text(path: str | os.PathLike[str]) -> str:
    """A snapshot file's text, reading at most MAX_SNAPSHOT_BYTES (``/dev/zero`` or a huge file is refused)."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_SNAPSHOT_BYTES + 1)
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise SnapshotError(f"larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB: not a snapshot")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SnapshotError("not UTF-8 text: not a snapshot") from None


def load_snapshot(path: str | os.PathLike[str] | None = None) -> Snapshot:
    """The shipped snapshot, or another file written by ``podcap limits refresh --output``.

    Raises OSError (unreadable) or :class:`SnapshotError` (a ValueError: not JSON, or the wrong shape)."""
    if path is not None:
        text = read_snapshot_text(path)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise SnapshotError(f"not JSON ({e.msg} at line {e.lineno})") from None
        except RecursionError:
            raise SnapshotError("not a snapshot: JSON nested too deeply") from None
        except ValueError as e:  # Python's 4300-digit limit on integers
            if "integer string conversion" not in str(e):
                raise
            raise SnapshotError("not a snapshot: a number of more than 4300 digits") from None
        return parse_snapshot(doc)
    return _shipped()


class _LazyTypes(Mapping):
    """The shipped snapshot's types, each built on first use: a check reads a handful of the ~1400 records,
    and building them all was the largest fixed cost of `podcap check` after the imports. (The shipped file is
    generated and tested; a ``--snapshot`` file is still checked whole, by parse_snapshot.)"""

    def __init__(self, records: Mapping[str, Any]):
        self._records = records
        self._lower: dict[str, str] | None = None  # lower-case name -> name as stored, made when first needed
        self._built: dict[str, InstanceLimits] = {}
        # a record's text as stored -> the type built from it: sizes of one family share their whole record
        # (~1400 types, ~600 distinct records), and an EKS Auto Mode pool builds ~800 candidates
        self._by_text: dict[str, InstanceLimits] = {}

    def _names(self) -> dict[str, str]:
        if self._lower is None:
            self._lower = {name.strip().lower(): name for name in self._records}
        return self._lower

    def _stored_name(self, key: str) -> str:
        """EC2's names are lower case, as the keys given here are: found without listing every name."""
        return key if key in self._records else self._names()[key]  # KeyError for an unknown type

    def __getitem__(self, key: str) -> InstanceLimits:
        hit = self._built.get(key)
        if hit is None:
            hit = self._built[key] = self._build(key)
        return hit

    def _build(self, key: str) -> InstanceLimits:
        """``InstanceLimits.from_record(name, record)`` of the type stored as ``key`` (or, for a key that is
        not a stored name, of the stored name it is the lower case of). A record whose text as stored was
        built already for another name gives that type under this name: from_record reads nothing else of
        the name (it names the type, and a malformed record, which is never kept).
        tests/test_speed_limits.py holds every type equal to from_record of its record."""
        records = self._records
        text = records.text_of(key) if isinstance(records, _LineRecords) else None
        if text is None:  # not a line of the shipped layout, or not a stored name
            name = self._stored_name(key)
            return InstanceLimits.from_record(name, records[name])
        twin = self._by_text.get(text)
        if twin is None:
            twin = self._by_text[text] = _limits_of(key, records[key])
            return twin
        return _renamed(twin, key)

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._records or key in self._names())


class _LineRecords(Mapping):
    """The shipped snapshot's records, each parsed from its own line on first use.

    ``dumps_snapshot`` (podcap.limits.refresh) writes one instance type per line, so a record is found by
    searching for its line and parsed alone: a check that reads a few types no longer parses all ~1400
    (json.loads of the whole file was ~14 ms of every run). Listing the names, or reading more than a few
    types (:data:`_SEARCHES_BEFORE_INDEX`), indexes every line once; reading every record parses the
    section in one go. :func:`_index_lines` declines a text not laid out that way, which is then read
    whole; tests hold every record equal to json.loads of the whole file."""

    def __init__(self, text: str, section: tuple[int, int]):
        self._text = text
        self._section = section  # the instance_types object: from its "{" to after its "}"
        self._lines: dict[str, str] | None = None  # name -> its record's line, once every line is indexed
        self._parsed: dict[str, Any] = {}
        self._complete = False
        self._found: dict[str, str | None] = {}  # lines searched for before the index was made

    def _line(self, name: str) -> str | None:
        if self._lines is not None:
            return self._lines.get(name)
        if name in self._found:
            return self._found[name]
        if len(self._found) >= _SEARCHES_BEFORE_INDEX:
            return self.index().get(name)
        line = self._found[name] = self._search(name)
        return line

    def _search(self, name: str) -> str | None:
        if not name or any(c in name for c in '"\\\n'):
            return None
        start, end = self._section
        at = self._text.find(f'\n"{name}":{{', start, end)
        if at < 0:
            return None
        return self._text[at + 1:self._text.find("\n", at + 1, end)]

    def index(self) -> dict[str, str]:
        """Every record's line, by the type's name (as the line writes it)."""
        if self._lines is None:
            start, end = self._section
            lines = self._text[start + 2:end - 2].split("\n")  # from after "{\n" to before "\n}"
            self._lines = {line[1:line.find('":{')]: line for line in lines}
        return self._lines

    def __getitem__(self, name: str) -> Any:
        rec = self._parsed.get(name)
        if rec is None:
            if self._complete:
                raise KeyError(name)
            text = self.text_of(name)
            if text is None:
                raise KeyError(name)
            rec, end = _SCAN_VALUE(text, 0)  # json.loads(text) without its wrapper: the text is one object
            if end != len(text):
                raise ValueError(f"record of {name!r}: text after its object")
            self._parsed[name] = rec
        return rec

    def text_of(self, name: str) -> str | None:
        """A record's text as stored (None: no such line); equal texts are equal records."""
        line = self._line(name)
        return None if line is None else _record_text(line)

    def __iter__(self):
        return iter(self.index())

    def __len__(self) -> int:
        return len(self.index())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._parsed or self._line(name) is not None)

    def items(self):  # type: ignore[override]
        self._parse_all()
        return self._parsed.items()

    def values(self):  # type: ignore[override]
        self._parse_all()
        return self._parsed.values()

    def _parse_all(self) -> None:
        if not self._complete:
            start, end = self._section
            self._parsed = json.loads(self._text[start:end])
            self._complete = True


# json.loads' own scanner (strict, no hooks), called on a record's text directly: an EKS Auto Mode pool parses
# ~230 records, and the wrapper (decode, raw_decode, two whitespace matches) was a third of each
_SCAN_VALUE = json.JSONDecoder().scan_once


def _limits_of(name: str, rec: dict[str, Any], _new=object.__new__, _fields=_FIELD_SET) -> InstanceLimits:
    """The type a record describes, its fields read without checks: :meth:`InstanceLimits.from_record` checks
    them first, and the shipped snapshot's records are built here directly (the file is generated by
    ``podcap limits refresh``, and tests/test_speed_limits.py runs from_record's checks on every one of its
    records; a pool sweep builds a few hundred, ~12 -> ~8 us each).
    ``sources``: (field, source) for every field the record has, sorted by field, built with C-level set,
    map and zip."""
    get = rec.get
    enis = rec["enis"]
    src = get("src")
    if src.__class__ is not dict:
        src = {}
    default = "ec2" if "ec2" in get("in", ("ec2",)) else ""
    present = [f for f in sorted(_fields.intersection(rec)) if rec[f] is not None]
    arch, gpus, accelerators = get("arch"), get("gpus"), get("accelerators")
    efa, trunking = get("efa"), get("trunking")
    out = _new(InstanceLimits)
    out.__dict__.update(
        name=name, enis=enis, ipv4_per_eni=rec["ipv4"], ipv6_per_eni=get("ipv6"), vcpus=get("vcpus"),
        hypervisor=get("hypervisor") or "", bare_metal=bool(get("bare_metal", False)),
        network_cards=tuple((int(i), int(n)) for i, n in get("cards") or ()),
        default_card=int(get("default_card") or 0), max_enis_all_cards=get("max_enis") or enis,
        efa=None if efa is None else bool(efa), max_efa_interfaces=get("max_efa"),
        trunking=None if trunking is None else bool(trunking), branch_enis=get("branch_enis"),
        architectures=None if arch is None else kube_architectures(arch), memory_mib=get("memory_mib"),
        gpus=None if gpus is None else tuple(map(tuple, gpus)),
        accelerators=None if accelerators is None else tuple(map(tuple, accelerators)),
        sources=tuple(zip(present, map(str, map(src.get, present, repeat(default))))))
    return out


def _renamed(lim: InstanceLimits, name: str) -> InstanceLimits:
    """``dataclasses.replace(lim, name=name)`` without its cost (a field-by-field ``__init__``): the copy
    of a frozen record, its fields shared (they are immutable). ``lim`` was built by _limits_of, so its
    class is a built dataclass (equality and hash by field) for the copy too."""
    out = object.__new__(InstanceLimits)
    out.__dict__.update(lim.__dict__)
    out.__dict__["name"] = name
    return out


# a search scans the file up to the type's line (~50 us on average), the index of every line ~1 ms: a
# check that reads more types than this (a node pool's hundreds of candidates) indexes the lines instead
_SEARCHES_BEFORE_INDEX = 16


def _record_text(line: str) -> str:
    """A record line ``"name":{...},``: the text of its value (from its "{", without the comma that ends
    every line but the last)."""
    return line[line.find('":{') + 2:len(line) - (1 if line.endswith(",") else 0)]


_TYPES_OPEN = '\n"instance_types":{\n'


def _index_lines(text: str) -> tuple[dict[str, Any], _LineRecords] | None:
    """The top-level document without its records, and the records found by line, for a text laid out as
    ``dumps_snapshot`` writes it; None for any other layout (then the caller parses the whole text)."""
    open_at = text.find(_TYPES_OPEN)
    if open_at < 0:
        return None
    first = open_at + len(_TYPES_OPEN)  # the first record's line
    close_at = text.find("\n}", first)
    if close_at < 0 or not text.startswith('"', first):
        return None
    try:
        doc = json.loads(text[:first] + text[close_at + 1:])  # the document with an empty instance_types
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("instance_types") != {}:
        return None
    return doc, _LineRecords(text, (first - 2, close_at + 2))


def _data_text(name: str) -> str:
    """A file of the ``podcap.data`` package: read beside the package's ``__init__`` when it is a folder on
    disk (every ordinary install), else through importlib.resources (a zip), whose import (zipfile,
    tempfile ...) would otherwise be paid by every check."""
    import podcap.data

    try:
        with open(os.path.join(os.path.dirname(podcap.data.__file__), name), encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        from importlib import resources

        return resources.files("podcap.data").joinpath(name).read_text()


@lru_cache(maxsize=1)
def _shipped() -> Snapshot:
    text = _data_text(SNAPSHOT_NAME)
    indexed = _index_lines(text)
    if indexed is not None and isinstance(indexed[0].get("generated", {}), dict):
        doc, records = indexed
        return Snapshot(provenance=doc.get("generated", {}), types=_LazyTypes(records), records=records,
                        selections=_selections(doc))
    doc = json.loads(text)
    types_doc = doc.get("instance_types") if isinstance(doc, dict) else None
    if not isinstance(types_doc, dict) or not isinstance(doc.get("generated", {}), dict):
        return parse_snapshot(doc)  # says what is wrong
    return Snapshot(provenance=doc.get("generated", {}), types=_LazyTypes(types_doc), records=types_doc,
                    selections=_selections(doc))


def _selections(doc: dict[str, Any]) -> dict[str, Any]:
    """The shipped file's stored selections (see Snapshot.selections); none when it has no such object."""
    stored = doc.get("selections")
    return stored if isinstance(stored, dict) else {}


def get(name: str) -> InstanceLimits:
    return _shipped().get(name)
