"""Reading a Terraform plan (``terraform show -json``, format 0.x and 1.x): the document, the values of its
resources, the references of its configuration (modules, count / for_each instances), and the loop that
hands each resource to its reader (the ``READERS`` registry of :mod:`podcap.sources.terraform`).

Values come from ``resource_changes[].change.after`` merged with ``after_unknown`` (a ``true`` leaf there
becomes ``Unknown("known only after apply")``), else from ``planned_values`` (or the ``values`` of a state
shown with ``terraform show -json``). Resources being only deleted are not part of the plan. Data sources
are read from ``prior_state`` (where Terraform writes the ones it read while planning) or ``planned_values``,
or from a ``read`` change when they are read only at apply (their values then unknown); a registry entry
``data.<type>`` reads them (``data.aws_subnet``: an existing subnet). Ids are Terraform addresses
(``module.vpc.aws_subnet.private[0]``, ``data.aws_subnet.private["a"]``).

What is unknown at plan time (a node group's ``subnet_ids``, a subnet's ``vpc_id`` …) is followed through
the plan's ``configuration`` section: the attribute's expression ``references`` lead to resource instances
(``aws_subnet.private[0].id``; ``aws_subnet.private`` = every planned instance), through module outputs,
module input variables, root variables with a value, and attributes of other resources whose own expression
can be followed. ``each.value.x`` in a for_each module call's argument is read from the call's for_each map
when that is a variable with a known value: an attribute the map entry does not set contributes nothing
(``try(each.value.subnet_ids, var.subnet_ids)`` is then ``var.subnet_ids``); one it sets, combined with other
references, stays unknown. A count / for_each resource's own ``each.key``, ``each.value`` and ``count.index``
are its instance's (:meth:`Builder._resolve_own_instance`; the plan records references, not how they are
combined, so a collection and one key are read as the collection at that key only where the collection has
the instance's own keys, with a note). A reference podcap cannot follow (a ``local``, ``count.index``, a data source
read only at apply) leaves an :class:`Unknown` saying why: podcap never guesses. (A node group whose
launch template id comes through its module's locals is linked to that module instance's only
``aws_launch_template``: :func:`podcap.sources.terraform.compute.module_launch_template`.)
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from functools import cache, lru_cache

from podcap.model.plan import Location, Plan
from podcap.model.records import field, record
from podcap.model.unknown import Unknown
from podcap.sources.intrinsics import as_int
from podcap.sources.safe_yaml import InputError, load_json, read_file

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

KIND = "terraform-plan"
AFTER_APPLY = "known only after apply"
EXISTING_SUBNET = "existing subnet; not described by the plan; use --live"
MAX_INDEX_DIGITS = 19  # an instance index is a count (at most a 64-bit number); longer runs are not addresses
_INDEX = re.compile(rf"-?\d{{1,{MAX_INDEX_DIGITS}}}")
MAX_REF_DEPTH = 32  # references followed (module outputs, variables, other resources) for one value
SUPPORTED_MAJOR_FORMATS = (0, 1)

MISSING: Any = object()
_NO_EXPRESSION: Any = object()  # what Builder.follow keeps for an attribute without an expression
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_JSON_DECODER = json.JSONDecoder()


Ctx = tuple  # module instance path: ((call name, key or None), …); () is the root module


# -- public entry points ------------------------------------------------------------------------------


def is_terraform_plan(doc: Any) -> bool:
    """A parsed ``terraform show -json`` document: format_version and planned values, changes or a version."""
    return isinstance(doc, dict) and "format_version" in doc and any(
        k in doc for k in ("planned_values", "resource_changes", "terraform_version"))


def load_terraform_plan(path: str | os.PathLike[str]) -> Plan:
    """Read a ``terraform show -json`` file into a Plan (kind "terraform-plan")."""
    path = os.fspath(path)
    return plan_from_terraform(load_json(read_file(path), path), path)


def plan_from_terraform(doc: dict, source: str, readers: Mapping[str, Reader] | None = None,
                        finishers: Iterable[Finisher] | None = None) -> Plan:
    """Build the Plan of an already parsed ``terraform show -json`` document, with the package's
    ``READERS`` and ``FINISHERS`` unless others are given."""
    if not isinstance(doc, dict):
        raise InputError(f"{source}: not a Terraform plan (expected the JSON object of `terraform show -json`, "
                         f"got {_type_name(doc)})")
    if not is_terraform_plan(doc):
        raise InputError(f"{source}: not a Terraform plan (expected format_version with planned_values, "
                         "resource_changes or terraform_version, as `terraform show -json` writes)")
    fv = doc.get("format_version")
    if not isinstance(fv, str) or not re.fullmatch(r"\d{1,9}(\.\d{1,9})*", fv.strip()):
        shown = fv[:40] if isinstance(fv, str) else fv if isinstance(fv, (int, float)) and abs(fv) < 1e9 else type(fv).__name__
        raise InputError(f"{source}: format_version {shown!r} is not a version such as \"1.2\"")
    major = int(fv.strip().split(".")[0])
    if major not in SUPPORTED_MAJOR_FORMATS:
        raise InputError(f"{source}: plan format_version {fv} is not supported (podcap reads 0.x and 1.x)")
    if readers is None or finishers is None:
        from podcap.sources import terraform as registry

        readers = registry.READERS if readers is None else readers
        finishers = registry.FINISHERS if finishers is None else finishers
    try:
        return Builder(doc, source).build(readers, finishers)
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to read") from None


# -- addresses and references ---------------------------------------------------------------------------


@record(frozen=True)
class _Key:
    """An index in an address or reference: ``[0]``, ``["a"]`` (``*`` for a splat)."""

    value: int | str


def _segments(text: str) -> list[tuple[str | _Key, int]] | None:
    """``module.a["x"].aws_subnet.b[0].id`` -> [(segment, end offset), …]; None if malformed.

    Parsed once per text (a plan's configuration repeats the same references across resources and the
    dependency walk reads them again); each call gets its own list."""
    segs = _segments_parsed(text)
    return None if segs is None else list(segs)


@lru_cache(maxsize=65536)
def _segments_parsed(text: str) -> tuple[tuple[str | _Key, int], ...] | None:
    segs = _parse_segments(text)
    return None if segs is None else tuple(segs)


def _parse_segments(text: str) -> list[tuple[str | _Key, int]] | None:
    out: list[tuple[str | _Key, int]] = []
    i, n = 0, len(text)
    expect_name = True
    while i < n:
        c = text[i]
        if c == "[":
            if not out:
                return None
            j = i + 1
            if j < n and text[j] == '"':
                try:
                    value, end = _JSON_DECODER.raw_decode(text, j)
                except ValueError:
                    return None
                if end >= n or text[end] != "]":
                    return None
                out.append((_Key(value), end + 1))
                i = end + 1
            else:
                end = text.find("]", j)
                if end < 0:
                    return None
                inner = text[j:end].strip()
                if inner == "*":
                    out.append((_Key("*"), end + 1))
                elif _INDEX.fullmatch(inner):
                    out.append((_Key(int(inner)), end + 1))
                else:
                    return None
                i = end + 1
            expect_name = False
        elif c == ".":
            if expect_name:
                return None
            expect_name = True
            i += 1
        else:
            if not expect_name:
                return None
            m = _NAME.match(text, i)
            if not m:
                return None
            out.append((m.group(0), m.end()))
            i = m.end()
            expect_name = False
    if expect_name and out:
        return None
    return out


def _key_text(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return f"[{json.dumps(key)}]"


def _ctx_text(ctx: Ctx) -> str:
    return "".join(f"module.{name}{_key_text(key)}." for name, key in ctx)


class _Addr(namedtuple("_Addr", "ctx mode type name key")):
    """A parsed resource address: ``ctx`` (a Ctx), ``mode`` ("managed" / "data"), ``type``, ``name`` and
    ``key`` (None, an int index or a string key). A named tuple, immutable as the cached parse needs: a plan
    holds one per resource, and a tuple is made several times faster than a frozen dataclass (and
    collections' namedtuple, unlike typing's NamedTuple, does not import typing at start-up)."""

    __slots__ = ()

    @property
    def config_address(self) -> str:
        return f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"


# ``type.name`` or ``type.name[index]`` in the root module, the commonest address; ASCII as _NAME and an
# index of digits only (other forms, ``data.`` and ``module.`` among them, go the general way)
_ROOT_ADDRESS = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)\.([A-Za-z_][A-Za-z0-9_\-]*)"
                           rf"(?:\[(-?[0-9]{{1,{MAX_INDEX_DIGITS}}})\])?")


def _root_address(text: str) -> _Addr | None:
    """The address of a root-module managed resource (``aws_subnet.private[3]``) read by one regular
    expression, as the general parser reads it; None for anything else (``data.…``, ``module.…``, a
    string key, spaces in brackets), which the general parser then reads."""
    m = _ROOT_ADDRESS.fullmatch(text)
    if m is None:
        return None
    rtype, name, index = m.groups()
    if rtype in ("data", "module"):
        return None
    return _Addr((), "managed", rtype, name, None if index is None else int(index))


@lru_cache(maxsize=65536)
def _parse_address(text: str) -> _Addr | None:
    """An address parsed once (a plan names each resource in planned_values, resource_changes and
    prior_state; the result is immutable)."""
    fast = _root_address(text)
    return fast if fast is not None else _general_address(text)


def _general_address(text: str) -> _Addr | None:
    """Any address, segment by segment (modules, data sources, string keys)."""
    segs = _segments(text)
    if not segs:
        return None
    parts: list[Any] = [s for s, _ in segs]
    ctx: list[tuple[str, Any]] = []
    i = 0
    while i < len(parts) and parts[i] == "module":
        if i + 1 >= len(parts) or not isinstance(parts[i + 1], str):
            return None
        name = parts[i + 1]
        i += 2
        key = None
        if i < len(parts) and isinstance(parts[i], _Key):
            key = parts[i].value
            i += 1
        ctx.append((name, key))
    mode = "managed"
    if i < len(parts) and parts[i] == "data":
        mode = "data"
        i += 1
    if i + 1 >= len(parts) or not isinstance(parts[i], str) or not isinstance(parts[i + 1], str):
        return None
    rtype, rname = parts[i], parts[i + 1]
    i += 2
    key = None
    if i < len(parts) and isinstance(parts[i], _Key):
        key = parts[i].value
        i += 1
    if i != len(parts) or key == "*":
        return None
    return _Addr(tuple(ctx), mode, rtype, rname, key)


def _entry_address(entry: Any) -> tuple[str, _Addr] | None:
    """``(address, parsed address)`` of a well-formed plan entry (an object with an address string and a
    mode that is absent, ``managed`` or ``data``): what :meth:`Builder._address_of` gives for it, without the
    where-path only its errors need. None for anything else, which ``_address_of`` then reads (and
    rejects, saying why)."""
    if entry.__class__ is not dict:
        return None
    address = entry.get("address")
    if address.__class__ is not str or not address:
        return None
    addr = _parse_address(address)
    if addr is None:
        return None
    mode = entry.get("mode")
    if mode is not None and mode not in ("managed", "data"):
        return None
    return address, addr


def _str_list(v: Any) -> bool:
    """A list of strings (``change.actions``); one action, the usual case, without a generator."""
    if not isinstance(v, list):
        return False
    if len(v) == 1:
        return isinstance(v[0], str)
    return all(isinstance(a, str) for a in v)


def _reads_instance(expr: Any) -> bool:
    """Whether an expression's references include the instance's own each.* / count.index."""
    refs = expr.get("references") if isinstance(expr, dict) else None
    return isinstance(refs, list) and any(isinstance(r, str) and _is_instance_ref(r) for r in refs)


def _is_instance_ref(ref: str) -> bool:
    """``each.key`` / ``each.value…`` / ``count.index``: a value of the resource instance being read."""
    return ref.startswith(("each.", "count."))


def _specific_references(refs: Any) -> list[str]:
    """Terraform lists every prefix of a reference too (``aws_subnet.a[0].id``, ``aws_subnet.a[0]``,
    ``aws_subnet.a``): keep only the most specific ones, in order, once each. ``references`` that is not a
    list (a damaged plan) names none."""
    clean = [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []
    covered: set[str] = set()
    for r in clean:
        segs = _segments(r)
        if not segs:
            continue
        for _, end in segs[:-1]:
            covered.add(r[:end])
    out: list[str] = []
    seen: set[str] = set()
    for r in clean:
        if r in covered or r in seen:
            continue
        seen.add(r)
        out.append(r)
    return out


def _path_text(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def _where(address: str, path: Iterable[Any] = ()) -> str:
    """``address`` and the path in it (``aws_subnet.a.tags.Name``, ``….scaling_config[0]``)."""
    if path.__class__ is tuple and len(path) == 1 and path[0].__class__ is str and path[0][:1] not in ("", "["):
        return f"{address}.{path[0]}"  # one attribute name, the commonest path, as _where_path writes it
    return _where_path(address, path)


def _where_path(address: str, path: Iterable[Any]) -> str:
    rest = _path_text(path)
    if not rest:
        return address
    return f"{address}{rest}" if rest.startswith("[") else f"{address}.{rest}"


def _type_name(v: Any) -> str:
    """'an object', 'an array', 'a string' … (JSON's names, with the article)."""
    name = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(v), "number" if isinstance(v, (int, float)) else type(v).__name__)
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


# -- values ---------------------------------------------------------------------------------------------


def _merge(after: Any, unknown: Any, address: str, path: tuple) -> Any:
    """``change.after`` with ``after_unknown`` laid over it: ``true`` leaves become Unknown."""
    return _merge_at(after, unknown, _where(address, path))


def _merge_at(after: Any, unknown: Any, where: str) -> Any:
    """:func:`_merge` with the path already written out (``_where(address, path)``), extended one key at a
    time (``.key``, ``[i]``, as _where writes them) instead of rewritten from the start at every leaf."""
    if unknown is True:
        return Unknown(AFTER_APPLY, where)
    if isinstance(unknown, dict) and unknown:
        base = after if isinstance(after, dict) else {}
        out = dict(base)
        for k, u in unknown.items():
            if not u:  # false, null, {} or []: nothing unknown below
                continue
            at = f"{where}[{k}]" if isinstance(k, int) else f"{where}.{k}"
            # a true leaf (most of after_unknown: ids, ARNs) is written here, as the call below would make it
            out[k] = Unknown(AFTER_APPLY, at) if u is True else _merge_at(base.get(k), u, at)
        return out
    if isinstance(unknown, list) and unknown:
        base_list = after if isinstance(after, list) else []
        n = max(len(base_list), len(unknown))
        return [
            _merge_at(base_list[i] if i < len(base_list) else None, unknown[i] if i < len(unknown) else False,
                      f"{where}[{i}]")
            for i in range(n)
        ]
    return after


def _walk(value: Any, path: Iterable[Any]) -> Any:
    """value[path…]; MISSING when absent, the Unknown met on the way when there is one."""
    for p in path:
        if isinstance(value, Unknown):
            return value
        if isinstance(p, int):
            if not isinstance(value, list) or not -len(value) <= p < len(value):
                return MISSING
            value = value[p]
        else:
            if not isinstance(value, dict) or p not in value:
                return MISSING
            value = value[p]
    return value


def _has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    return False


INT32 = 2 ** 31  # the AWS APIs' Integer is 32-bit: a size or count beyond it is not one AWS accepts


def _as_int(v: Any, what: str, where: str) -> Any:
    """None stays None (the attribute is not set); text must be digits (plan values are typed JSON).
    A number beyond the AWS APIs' 32-bit integers is Unknown, not a figure (and never a traceback: Python
    refuses to turn more than 4,300 digits into an int)."""
    if v is None:
        return v
    if isinstance(v, str) and len(v.strip()) > 12:
        return Unknown(f"{what} is not a number AWS accepts ({len(v.strip())} characters)", where)
    n = as_int(v, what, where, decimal_text=False)
    if isinstance(n, int) and not -INT32 <= n < INT32:
        return Unknown(f"{what} is {number_text(n)}, beyond the AWS API's 32-bit integers", where)
    return n


def number_text(n: int) -> str:
    """``n`` as text, or ``a 14000-bit number`` when printing it would be absurd (or refused)."""
    return str(n) if n.bit_length() <= 64 else f"a {n.bit_length()}-bit number"


def _decode_user_data(text: str) -> str:
    """Launch template user data is base64; anything that does not decode is read as it is."""
    s = text.strip()
    if not s or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", s):
        return text
    try:
        return base64.b64decode(s, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return text


# -- the plan's resources --------------------------------------------------------------------------------


@record
class Res:
    address: str
    addr: _Addr
    after: Any = None
    after_unknown: Any = None
    planned: Any = None  # planned_values / prior_state values when there is no change entry
    has_change: bool = False
    _values: Any = field(default=MISSING, repr=False)

    @property
    def type(self) -> str:
        return self.addr.type

    @property
    def mode(self) -> str:
        return self.addr.mode

    @property
    def ctx(self) -> Ctx:
        return self.addr.ctx

    @property
    def values(self) -> dict:
        if self._values is MISSING:
            if self.has_change:
                v = _merge(self.after, self.after_unknown, self.address, ())
            else:
                v = self.planned
            self._values = v if isinstance(v, dict) else {}
        return self._values


# A resolved reference: a resource instance (and the attribute path read from it), or a literal value.
@record(frozen=True)
class ResItem:
    res: Res
    attr: tuple
    ref: str


@record(frozen=True)
class Lit:
    value: Any
    ref: str


Item = ResItem | Lit | Unknown


class Builder:
    """One plan being read: the document's indexes, reference resolution, and the Plan the readers fill."""

    def __init__(self, doc: dict, source: str) -> None:
        self.doc = doc
        self.source = source
        self.plan = Plan(source=source, kind=KIND)
        self.managed: dict[str, Res] = {}  # address -> resource, in plan order
        self.data: dict[str, Res] = {}
        self.deleted: set[str] = set()
        # (module ctx, mode, type, name) -> {key: resource}
        self.instances: dict[tuple, dict[Any, Res]] = {}
        # (parent ctx, call name) -> {key: None} (module instances seen in resource addresses)
        self.module_instances: dict[tuple, dict[Any, None]] = {}
        self.config_modules: dict[tuple, dict] = {}  # module call names -> configuration module
        self.config_resources: dict[tuple, dict] = {}  # (module call names, config address) -> resource
        self.by_type: dict[str, list[Res]] = {}
        self.data_by_type: dict[str, list[Res]] = {}  # data sources by type (data.aws_subnet -> "aws_subnet")
        self.subnet_by_aws_id: dict[str, str] = {}
        self.vpc_by_aws_id: dict[str, str] = {}
        self.referrers: dict[str, tuple[str, str]] = {}  # literal subnet id -> (where, address)
        self._resolving: set[tuple] = set()
        self._follow_cache: dict[tuple, Any] = {}
        self._sorted_instances: dict[tuple, list[Res]] = {}
        self._splats: dict[tuple, tuple[ResItem, ...]] = {}  # (instances key, attr, ref) -> a splat's items
        self._follows: dict[tuple, Any] = {}  # (ctx, mode, type, name, path, accept, what) -> follow's answer
        self._closures: dict[tuple, tuple[set[tuple], list[str]]] = {}
        self._edge_cache: dict[tuple, tuple[list[tuple], list[str]]] = {}  # node -> (_edges, blind found)
        self.managed_subnets: set[str] = set()
        # filled by the readers, in registry order (see podcap.sources.terraform.READERS)
        self.lt_by_id: dict[str, Res] = {}
        self.lt_by_name: dict[str, Res] = {}
        self.clusters_by_name: dict[str, list[str]] = {}
        self.cni_addons: dict[str, list[Res]] = {}  # cluster id -> vpc-cni add-ons / charts with settings

    # -- reading the document ------------------------------------------------------------------------
    def _fail(self, where: str, msg: str) -> InputError:
        return InputError(f"{self.source}: at {where}: {msg}")

    def _obj(self, v: Any, where: str, what: str = "an object") -> dict:
        if not isinstance(v, dict):
            raise self._fail(where, f"expected {what}, got {_type_name(v)}")
        return v

    def _list(self, v: Any, where: str) -> list:
        if v is None:
            return []
        if not isinstance(v, list):
            raise self._fail(where, f"expected an array, got {_type_name(v)}")
        return v

    def _address_of(self, entry: dict, where: str) -> tuple[str, _Addr]:
        address = entry.get("address")
        if not isinstance(address, str) or not address:
            raise self._fail(where, "a resource without an \"address\" string")
        addr = _parse_address(address)
        if addr is None:
            shown = address if len(address) <= 120 else f"{address[:100]}… ({len(address)} characters)"
            raise self._fail(where, f"{shown!r} is not a Terraform resource address")
        mode = entry.get("mode")
        if mode is not None and mode not in ("managed", "data"):
            raise self._fail(where, f"mode {mode!r} is neither \"managed\" nor \"data\"")
        return address, addr

    def _module_values(self, module: Any, where: str, out: list[tuple[str, _Addr, dict]],
                       depth: int = 0) -> None:
        if depth > 100:
            raise self._fail(where, "child_modules nested more than 100 levels deep")
        module = self._obj(module, where)
        for i, res in enumerate(self._list(module.get("resources"), f"{where}.resources")):
            # the where-path is written out only for an entry that needs it in its error
            fast = _entry_address(res)
            address, addr = fast if fast is not None else self._address_of(
                self._obj(res, f"{where}.resources[{i}]"), f"{where}.resources[{i}]")
            values = res.get("values", {})
            if values is None:
                values = {}
            if not isinstance(values, dict):
                self._obj(values, f"{where}.resources[{i}].values")
            out.append((address, addr, values))
        for i, child in enumerate(self._list(module.get("child_modules"), f"{where}.child_modules")):
            self._module_values(child, f"{where}.child_modules[{i}]", out, depth + 1)

    def _values_section(self, key: str) -> list[tuple[str, _Addr, dict]]:
        out: list[tuple[str, _Addr, dict]] = []
        section = self.doc.get(key)
        if section is None:
            return out
        section = self._obj(section, key)
        root = section.get("root_module")
        if root is not None:
            self._module_values(root, f"{key}.root_module", out)
        return out

    def _index(self) -> None:
        doc = self.doc
        planned = self._values_section("planned_values")
        if "planned_values" not in doc and "values" in doc:  # `terraform show -json` of a state
            planned = self._values_section("values")
        prior: list[tuple[str, _Addr, dict]] = []
        if doc.get("prior_state") is not None:
            ps = self._obj(doc["prior_state"], "prior_state")
            if ps.get("values") is not None:
                vs = self._obj(ps["values"], "prior_state.values")
                if vs.get("root_module") is not None:
                    self._module_values(vs["root_module"], "prior_state.values.root_module", prior)

        for i, rc in enumerate(self._list(doc.get("resource_changes"), "resource_changes")):
            # where-paths (resource_changes[i]…) are written out only for the error of an entry that has one
            fast = _entry_address(rc)
            address, addr = fast if fast is not None else self._address_of(
                self._obj(rc, f"resource_changes[{i}]"), f"resource_changes[{i}]")
            if rc.get("deposed"):
                continue  # a deposed object being destroyed
            change = rc.get("change")
            if not isinstance(change, dict):
                self._obj(change, f"resource_changes[{i}].change")
            actions = change.get("actions")
            if not _str_list(actions):
                raise self._fail(f"resource_changes[{i}].change.actions", "expected an array of action names")
            after = change.get("after")
            if after is not None and not isinstance(after, dict):
                raise self._fail(f"resource_changes[{i}].change.after",
                                 f"expected an object or null, got {_type_name(after)}")
            unknown = change.get("after_unknown")
            if unknown is not None and not isinstance(unknown, (dict, bool)):
                raise self._fail(f"resource_changes[{i}].change.after_unknown",
                                 f"expected an object, got {_type_name(unknown)}")
            if addr.mode == "managed" and (actions == ["delete"] or actions == ["forget"] or
                                           (after is None and not unknown)):
                self.deleted.add(address)
                continue
            res = Res(address, addr, after=after if after is not None else {}, after_unknown=unknown,
                       has_change=True)
            (self.data if addr.mode == "data" else self.managed)[address] = res
        for address, addr, values in planned:
            if address in self.deleted:
                continue
            target = self.data if addr.mode == "data" else self.managed
            if address not in target:
                target[address] = Res(address, addr, planned=values)
        for address, addr, values in prior:
            if addr.mode == "data" and address not in self.data:
                self.data[address] = Res(address, addr, planned=values)

        for res in list(self.managed.values()) + list(self.data.values()):
            a = res.addr
            self.instances.setdefault(a[:4], {})[a.key] = res  # a[:4]: (ctx, mode, type, name)
            for i in range(len(a.ctx)):
                self.module_instances.setdefault((a.ctx[:i], a.ctx[i][0]), {})[a.ctx[i][1]] = None
        for res in self.managed.values():
            self.by_type.setdefault(res.addr.type, []).append(res)
        for res in self.data.values():
            self.data_by_type.setdefault(res.addr.type, []).append(res)

        conf = doc.get("configuration")
        if conf is not None:
            conf = self._obj(conf, "configuration")
            if conf.get("root_module") is not None:
                self._index_config(conf["root_module"], (), "configuration.root_module")

    def _index_config(self, module: Any, names: tuple, where: str) -> None:
        if len(names) > 100:
            raise self._fail(where, "module_calls nested more than 100 levels deep")
        module = self._obj(module, where)
        self.config_modules[names] = module
        for i, res in enumerate(self._list(module.get("resources"), f"{where}.resources")):
            rw = f"{where}.resources[{i}]"
            res = self._obj(res, rw)
            address = res.get("address")
            if not isinstance(address, str):
                raise self._fail(rw, "a resource without an \"address\" string")
            self.config_resources[(names, address)] = res
        calls = module.get("module_calls")
        if calls is None:
            return
        calls = self._obj(calls, f"{where}.module_calls")
        for name, call in calls.items():
            cw = f"{where}.module_calls.{name}"
            call = self._obj(call, cw)
            if call.get("module") is not None:
                self._index_config(call["module"], names + (name,), f"{cw}.module")

    # -- configuration lookups -------------------------------------------------------------------------
    @staticmethod
    def _names(ctx: Ctx) -> tuple:
        return tuple(name for name, _ in ctx)

    def config_of(self, res: Res) -> dict | None:
        return self.config_resources.get((self._names(res.ctx), res.addr.config_address))

    def expression(self, res: Res, path: tuple) -> Any:
        """The configuration expression of res's attribute at path (blocks are lists), or None."""
        conf = self.config_of(res)
        if conf is None:
            return None
        node: Any = conf.get("expressions")
        for p in path:
            if node is None:
                return None
            if isinstance(p, int):
                if isinstance(node, list):
                    node = node[p] if -len(node) <= p < len(node) else None
                elif not (isinstance(node, dict) and not _is_expression(node) and p == 0):
                    return None  # a single nested block is rendered as an object: [0] is itself
            else:
                if isinstance(node, list):
                    node = node[0] if len(node) == 1 else None
                if not isinstance(node, dict) or _is_expression(node):
                    return None  # inside a value set by one expression: not followed piecewise
                node = node.get(p)
        return node

    def has_expression(self, res: Res, path: tuple) -> bool:
        return self.expression(res, path) is not None

    # -- resolving references -----------------------------------------------------------------------------
    def resolve_expr(self, expr: Any, ctx: Ctx, where: str, depth: int, each: _Each | None = None,
                     own: Res | None = None) -> list[Item]:
        """The items an expression's references lead to. ``each``: the module instance whose call's
        argument this is (its ``each.key`` / ``each.value``; see :meth:`_resolve_each`). ``own``: the
        resource instance whose own attribute this is, for its ``each.*`` / ``count.index``
        (:meth:`_resolve_own_instance`)."""
        if depth > MAX_REF_DEPTH:
            return [Unknown("references nested too deep to follow", where)]
        if not isinstance(expr, dict):
            return [Unknown("an expression podcap cannot read", where)]
        if "constant_value" in expr:
            return [Lit(expr["constant_value"], "a constant")]
        refs = expr.get("references")
        if not isinstance(refs, list) or not refs:
            return [Unknown(f"{AFTER_APPLY}: computed by an expression the plan does not record", where)]
        out: list[Item] = []
        specific = _specific_references(refs)
        if own is not None and each is None and own.addr.key is not None and any(map(_is_instance_ref, specific)):
            return self._resolve_own_instance(specific, own, ctx, where, depth)
        for ref in specific:
            if each is not None and ref.startswith("each."):
                got = self._resolve_each(ref, each, where, depth)
                if len(specific) > 1 and any(isinstance(i, Lit) for i in got) and ref.startswith("each.value"):
                    # set in the node-group map and combined with other values (try / coalesce pick the
                    # first, concat joins them): podcap cannot tell which
                    return [Unknown(f"{AFTER_APPLY}: {ref} is set and combined with "
                                    f"{', '.join(r for r in specific if r != ref)[:200]} by an expression the plan "
                                    "does not record; podcap cannot tell how", where)]
                out.extend(got)
                continue
            out.extend(self.resolve_ref(ref, ctx, where, depth))
        return out

    def _resolve_own_instance(self, specific: list[str], own: Res, ctx: Ctx, where: str, depth: int
                              ) -> list[Item]:
        """An attribute of one count / for_each instance whose expression reads ``each.key``,
        ``each.value[.x]`` or ``count.index``. Those are the instance's own: its key, its for_each entry
        (:meth:`_own_for_each_entry`), its index. The plan records an expression's references, not the
        expression: ``[aws_subnet.private[each.key].id]`` is recorded as ``aws_subnet.private`` and
        ``each.key``. So exactly two references, one collection (a resource, a variable, a module output,
        without an index) and one instance value that is a single key, are read as that collection at that
        key, the one-subnet-per-instance layout (a node group per AZ), and a note says so. Anything else
        with an instance value in it stays Unknown, as before."""
        inst = [r for r in specific if _is_instance_ref(r)]
        rest = [r for r in specific if not _is_instance_ref(r)]
        if len(rest) != 1 or len(inst) != 1:
            if not rest:  # only the instance's own values (``each.value.subnet_ids``)
                return [item for r in inst for item in self._own_instance_value(r, own, where, depth)]
            return [Unknown(f"{AFTER_APPLY}: chosen per instance through {', '.join(inst)} combined with "
                            f"{', '.join(rest)[:200]}; podcap cannot tell how", where)]
        got = self._own_instance_value(inst[0], own, where, depth)
        if len(got) != 1 or not isinstance(got[0], Lit) or not isinstance(got[0].value, (str, int)) \
                or isinstance(got[0].value, bool):
            return [next((i for i in got if isinstance(i, Unknown)), Unknown(
                f"{AFTER_APPLY}: {rest[0]} indexed by {inst[0]}, which is not one key", where))]
        collection = rest[0]
        segs = _segments(collection)
        if not segs or isinstance(segs[-1][0], _Key):
            return [Unknown(f"{AFTER_APPLY}: chosen per instance through {inst[0]} from {collection}; podcap "
                            "cannot tell which", where)]
        index = got[0].value
        if not inst[0].startswith("each.value") and not self._same_keys(collection, own, ctx, where, depth):
            # ``[for k, s in aws_subnet.x : s.id if k != each.key]`` has the same references; only a
            # collection with the instance's own keys (both made from one for_each / count) is read as indexed
            return [Unknown(f"{AFTER_APPLY}: chosen per instance through {inst[0]} from {collection}, whose keys "
                            f"are not those of {own.addr.config_address}; podcap cannot tell which", where)]
        indexed = f"{collection}[{json.dumps(index)}]"
        attribute = where[len(own.address) + 1:] if where.startswith(f"{own.address}.") else where
        note = (f"{attribute}: read as {indexed} (the plan records only the references {collection} and "
                f"{inst[0]}, not how they are combined)")
        self.plan.notes.append((own.address, note))
        return self.resolve_ref(indexed, ctx, where, depth)

    def _same_keys(self, collection: str, own: Res, ctx: Ctx, where: str, depth: int) -> bool:
        """Whether ``collection`` is a resource whose instances have the keys of ``own``'s instances, or a
        value (a variable, a module output) that is not a resource's instances."""
        items = self.resolve_ref(collection, ctx, where, depth + 1)
        res_keys = {i.res.addr.key for i in items if isinstance(i, ResItem)}
        if not res_keys:
            return True
        a = own.addr
        return res_keys == set(self.instances.get((a.ctx, a.mode, a.type, a.name), {}))

    def _instance_value(self, ref: str, key: Any, entry_of: Callable[[], Any], where: str) -> list[Item]:
        """``each.key``, ``each.value[.path]`` or ``count.index`` of one instance, of a resource (its own
        attributes) or of a module call (its arguments): ``key`` is the instance's key (None when not known),
        ``entry_of`` gives its for_each entry (:meth:`_own_for_each_entry`, :meth:`_for_each_entry`). An
        attribute the entry does not set (or sets to null) contributes nothing: the expression can only have
        been written to fall back past it (``try``, ``coalesce``; a plain reference to a missing attribute
        is an error Terraform stops the plan on)."""
        segs = _segments(ref)
        parts = [s for s, _ in segs] if segs else []
        counted = bool(parts) and parts[0] == "count"
        if len(parts) < 2 or parts[1] not in ("key", "value", "index") or counted != (parts[1] == "index") or (
                key is None and parts[1] != "value") or (key is not None and counted != isinstance(key, int)):
            return [Unknown(f"{AFTER_APPLY}: computed from {ref}", where)]
        path = tuple(p.value if isinstance(p, _Key) else p for p in parts[2:])
        if parts[1] != "value":
            return [self._walk_lit(key, path, ref, where)]
        entry = entry_of()
        if isinstance(entry, Unknown):
            return [entry]
        if isinstance(entry, ResItem):  # for_each over a resource's instances: each.value is one of them
            return [ResItem(entry.res, entry.attr + path, ref)]
        return _attribute_items(entry, path, ref, where)

    def _own_instance_value(self, ref: str, own: Res, where: str, depth: int) -> list[Item]:
        return self._instance_value(ref, own.addr.key, lambda: self._own_for_each_entry(own, where, depth), where)

    def _own_for_each_entry(self, own: Res, where: str, depth: int) -> Any:
        """``each.value`` of a for_each resource instance: its for_each expression must reference one value
        known at plan time, a map holding the instance's key (the entry), or a list / set holding it (a set's
        ``each.value`` is its key)."""
        conf = self.config_of(own) or {}
        fe = conf.get("for_each_expression")
        refs = _specific_references(fe.get("references") or []) if isinstance(fe, dict) else []
        why = Unknown(f"{AFTER_APPLY}: each.value of {own.address}: podcap cannot tell its for_each entry", where)
        if isinstance(fe, dict) and "constant_value" in fe:
            value = fe["constant_value"]
        else:
            if len(refs) != 1 or _is_instance_ref(refs[0]):
                return why
            got = self.resolve_ref(refs[0], own.ctx, where, depth + 1)
            if got and all(isinstance(i, ResItem) and not i.attr for i in got):
                # ``for_each = aws_subnet.private``: the instance of that key
                return next((i for i in got if i.res.addr.key == own.addr.key), why)
            if len(got) != 1 or not isinstance(got[0], Lit):
                return why
            value = got[0].value
        key = own.addr.key
        if isinstance(value, dict):
            return value.get(key, why) if isinstance(key, str) else why
        if isinstance(value, list) and key in value:
            return key
        return why

    def _for_each_entry(self, each: _Each, where: str, depth: int) -> Any:
        """The for_each map entry of one module instance (``each.value``): the call's ``for_each`` must be a
        map variable with a known value holding the instance's key; any other reference of the for_each
        expression must be a known scalar (a filter such as ``if var.create``). terraform-aws-eks's
        node-group and Fargate calls also filter on a boolean local (``!local.create_outposts_local_cluster``,
        node_groups.tf), which the plan does not record: accepted for those calls only."""
        parent, call_name, key = each
        call = self._module_call(self._names(parent), call_name)
        fe = call.get("for_each_expression")
        refs = _specific_references(fe.get("references") or []) if isinstance(fe, dict) else []
        why = Unknown(f"{AFTER_APPLY}: chosen per instance through each.value of module.{call_name}; podcap "
                      "cannot tell the for_each map entry", where)
        if key is None or not refs:
            return why
        known_module = _eks_submodule(call.get("source"))
        entry: Any = MISSING
        for ref in refs:
            if ref.startswith("local.") and known_module:
                continue
            got = self.resolve_ref(ref, parent, where, depth + 1)
            if len(got) != 1 or not isinstance(got[0], Lit):
                return why
            value = got[0].value
            if isinstance(value, dict):
                if entry is not MISSING or key not in value:
                    return why
                entry = value[key]
            elif isinstance(value, (list, tuple)):
                return why
        if not isinstance(entry, dict):
            return why
        return entry

    def _resolve_each(self, ref: str, each: _Each, where: str, depth: int) -> list[Item]:
        """``each.key`` / ``each.value.x`` in a module call's argument, for one instance of the call."""
        return self._instance_value(ref, each[2], lambda: self._for_each_entry(each, where, depth), where)

    def resolve_ref(self, ref: str, ctx: Ctx, where: str, depth: int) -> list[Item]:
        segs = _segments(ref)
        if not segs:
            return [Unknown(f"reference {ref!r} not understood", where)]
        parts = [s for s, _ in segs]
        head = parts[0]
        if head in ("count", "each"):
            return [Unknown(f"{AFTER_APPLY}: chosen per instance through {ref}; podcap cannot tell which", where)]
        if head == "local":
            return [Unknown(f"{AFTER_APPLY}: computed through {ref}, whose expression the plan JSON does not "
                            "record", where)]
        if head in ("path", "terraform", "self") or len(parts) < 2 or not isinstance(parts[1], str):
            return [Unknown(f"{AFTER_APPLY}: computed from {ref}", where)]
        if head == "var":
            return self._resolve_var(parts[1], parts[2:], ref, ctx, where, depth)
        if head == "module":
            return self._resolve_module(parts, ref, ctx, where, depth)
        mode = "managed"
        if head == "data":
            mode, parts = "data", parts[1:]
        if len(parts) < 2 or not isinstance(parts[0], str) or not isinstance(parts[1], str):
            return [Unknown(f"reference {ref!r} not understood", where)]
        rtype, rname, rest = parts[0], parts[1], parts[2:]
        key = MISSING
        if rest and isinstance(rest[0], _Key):
            key, rest = rest[0].value, rest[1:]
        attr = tuple(p.value if isinstance(p, _Key) else p for p in rest)
        found = self.instances.get((ctx, mode, rtype, rname), {})
        label = f"{_ctx_text(ctx)}{'data.' if mode == 'data' else ''}{rtype}.{rname}"
        if key is MISSING or key == "*":
            if not found:
                if mode == "data":
                    return [Unknown(f"data source {label} is not read in the plan", where)]
                conf = self.config_resources.get((self._names(ctx), f"{rtype}.{rname}"))
                if conf is not None:
                    return []  # in the configuration with count = 0 / an empty for_each
                return [Unknown(f"{label} is not in the plan", where)]
            ikey = (ctx, mode, rtype, rname)
            # the items of one splat are the same whoever reads it (two node groups on one subnet family):
            # made once (ResItem is immutable), a fresh list each time
            skey = (ikey, attr, ref)
            splat = self._splats.get(skey)
            if splat is None:
                ordered = self._sorted_instances.get(ikey)
                if ordered is None:  # count instances by index, for_each instances by key (as a splat gives them)
                    ordered = [r for _, r in sorted(found.items(), key=lambda kv: (
                        isinstance(kv[0], str), kv[0] if kv[0] is not None else -1))]
                    self._sorted_instances[ikey] = ordered
                splat = self._splats[skey] = tuple(ResItem(r, attr, ref) for r in ordered)
            return list(splat)
        res = found.get(key)
        if res is None:
            return [Unknown(f"{label}{_key_text(key)} is not in the plan", where)]
        return [ResItem(res, attr, ref)]

    def _resolve_var(self, name: str, rest: list, ref: str, ctx: Ctx, where: str, depth: int) -> list[Item]:
        path = tuple(p.value if isinstance(p, _Key) else p for p in rest)
        if not ctx:
            variables = self.doc.get("variables")
            var = variables.get(name) if isinstance(variables, dict) else None
            if isinstance(var, dict) and "value" in var:
                return _attribute_items(var["value"], path, ref, where)
            return [Unknown(f"{AFTER_APPLY}: computed from var.{name}, which has no known value in the plan",
                            where)]
        parent, (call_name, _) = ctx[:-1], ctx[-1]
        parent_module = self.config_modules.get(self._names(parent)) or {}
        calls = parent_module.get("module_calls")
        call = calls.get(call_name) if isinstance(calls, dict) else None
        exprs = call.get("expressions") if isinstance(call, dict) else None
        label = f"var.{name} of {_ctx_text(ctx).rstrip('.')}"
        if isinstance(exprs, dict) and name in exprs:
            items = self.resolve_expr(exprs[name], parent, where, depth + 1, each=(parent, call_name, ctx[-1][1]))
            if not path:
                return items
            return self._index_items(items, path, label, where)
        module = self.config_modules.get(self._names(ctx)) or {}
        variables = module.get("variables")
        var = variables.get(name) if isinstance(variables, dict) else None
        if isinstance(var, dict) and "default" in var:
            return _attribute_items(var["default"], path, ref, where)
        return [Unknown(f"{AFTER_APPLY}: computed from {label}, which has no known value in the plan", where)]

    def _resolve_module(self, parts: list, ref: str, ctx: Ctx, where: str, depth: int) -> list[Item]:
        name = parts[1]
        rest = parts[2:]
        key: Any = MISSING
        if rest and isinstance(rest[0], _Key):
            key, rest = rest[0].value, rest[1:]
        if not rest or not isinstance(rest[0], str):
            return [Unknown(f"{AFTER_APPLY}: computed from the whole module object {ref}", where)]
        output, rest = rest[0], rest[1:]
        names = self._names(ctx) + (name,)
        module = self.config_modules.get(names)
        if module is None:
            return [Unknown(f"{AFTER_APPLY}: computed from {ref}, but module.{name} is not in the plan's "
                            "configuration", where)]
        outputs = module.get("outputs")
        out = outputs.get(output) if isinstance(outputs, dict) else None
        if not isinstance(out, dict) or not isinstance(out.get("expression"), dict):
            return [Unknown(f"{AFTER_APPLY}: output {output} of module.{name} is not in the plan's configuration",
                            where)]
        if key is MISSING or key == "*":
            keys = list(self.module_instances.get((ctx, name), {}) or [None])
        else:
            keys = [key]
        items: list[Item] = []
        for k in keys:
            items.extend(self.resolve_expr(out["expression"], ctx + ((name, k),), where, depth + 1))
        if not rest:
            return items
        path = tuple(p.value if isinstance(p, _Key) else p for p in rest)
        return self._index_items(items, path, ref, where)

    def _walk_lit(self, value: Any, path: tuple, ref: str, where: str) -> Item:
        v = _walk(value, path)
        if v is MISSING:
            return Unknown(f"{ref} has no such element", where)
        return Lit(v, ref)

    def _index_items(self, items: list[Item], path: tuple, ref: str, where: str) -> list[Item]:
        """An element of a value that resolved to items: only when it is plain (one literal, or a list
        made of one splat of resource instances)."""
        if any(isinstance(i, Unknown) for i in items):
            return [next(i for i in items if isinstance(i, Unknown))]
        if len(items) == 1 and isinstance(items[0], Lit):
            return [self._walk_lit(items[0].value, path, ref, where)]
        plain = bool(items) and all(isinstance(i, ResItem) and i.attr in ((), ("id",)) for i in items)
        if (plain and len({i.ref for i in items if isinstance(i, ResItem)}) == 1 and len(path) == 1
                and isinstance(path[0], int)):
            if -len(items) <= path[0] < len(items):
                return [items[path[0]]]
            return [Unknown(f"{ref}: index {path[0]} is out of range", where)]
        return [Unknown(f"{AFTER_APPLY}: an element of {ref}; podcap cannot tell which", where)]

    def expand(self, items: list[Item], accept: Callable[[Res, tuple], bool], what: str, where: str,
               depth: int = 0) -> list[ResItem | Lit] | Unknown:
        """Items as resources accept() takes, or literal values; other resources' attributes are followed
        (their planned value, else their own expression). The first thing that cannot be followed wins."""
        out: list[ResItem | Lit] = []
        for it in items:
            if it.__class__ is not ResItem:  # a ResItem, the commonest item (a splat's), passes both tests
                if isinstance(it, Unknown):
                    return it
                if isinstance(it, Lit):
                    out.append(it)
                    continue
            r, attr = it.res, it.attr
            if r.addr.mode == "managed" and accept(r, attr):
                out.append(it)
                continue
            if r.mode == "data" and not attr and accept(r, attr):
                # a whole data source of the kind wanted (``[for s in data.aws_subnet.x : s.id]``): its id,
                # which names the existing resource as the data source's own ``.id`` does
                attr = ("id",)
            value = _walk(r.values, attr) if attr else MISSING
            if r.mode == "data":
                if value is not MISSING and value is not None and not _has_unknown(value):
                    out.append(Lit(value, it.ref))
                    continue
                return Unknown(f"existing {what} (data source {r.address}): enable live AWS lookup with --live",
                               where)
            if not attr:
                return Unknown(f"{AFTER_APPLY}: {it.ref} is a whole {r.type}, not {what}", where)
            if value is not MISSING and not _has_unknown(value):
                out.append(Lit(value, it.ref))
                continue
            expr = self.expression(r, attr)
            guard = (r.address, attr)
            if expr is None or depth >= MAX_REF_DEPTH or guard in self._resolving:
                return Unknown(f"{AFTER_APPLY}: comes from {_where(r.address, attr)}", where)
            self._resolving.add(guard)
            try:
                sub = self.resolve_expr(expr, r.ctx, where, depth + 1, own=r)
                got = self.expand(sub, accept, what, where, depth + 1)
            finally:
                self._resolving.discard(guard)
            if isinstance(got, Unknown):
                return got
            out.extend(got)
        return out

    def follow(self, res: Res, path: tuple, accept: Callable[[Res, tuple], bool], what: str
                ) -> list[ResItem | Lit] | Unknown:
        """Follow the expression of res's attribute. Every instance of one configuration resource (count,
        for_each) shares the expression, so the answer is computed once per module instance."""
        a = res.addr
        # what expression() reads (one configuration resource in one module instance), and the question:
        # the answer of every instance of a count / for_each, found without looking the expression up again
        fkey = (a.ctx, a.mode, a.type, a.name, path, accept, what)
        got = self._follows.get(fkey)
        if got is None:
            expr = self.expression(res, path)
            if expr is None:
                got = _NO_EXPRESSION  # Unknown(AFTER_APPLY) at each instance's own path
            elif _reads_instance(expr):  # each.* / count.index: an answer per instance, not cached for all
                where = _where(res.address, path)
                return self.expand(self.resolve_expr(expr, res.ctx, where, 0, own=res), accept, what, where)
            else:
                key = (id(expr), res.ctx, accept, what)
                got = self._follow_cache.get(key)
                if got is None:
                    where = _where(res.address, path)
                    got = self.expand(self.resolve_expr(expr, res.ctx, where, 0), accept, what, where)
                    self._follow_cache[key] = got
            self._follows[fkey] = got
        if got is _NO_EXPRESSION:
            return Unknown(AFTER_APPLY, _where(res.address, path))
        if isinstance(got, Unknown):
            return Unknown(got.reason, _where(res.address, path))
        return got

    def single(self, res: Res, path: tuple, accept: Callable[[Res, tuple], bool], what: str
                ) -> ResItem | Lit | Unknown | None:
        """One resource (or literal) an attribute names, following references when it is unknown."""
        value = _walk(res.values, path)
        if value is MISSING or value is None:
            return None
        if not isinstance(value, Unknown):
            return Lit(value, "the plan")
        got = self.follow(res, path, accept, what)
        if isinstance(got, Unknown):
            return got
        if len(got) == 1:  # one candidate (a VPC, a cluster): the set below would hold one
            return got[0]
        distinct = {(i.res.address if isinstance(i, ResItem) else json.dumps(i.value, default=str)) for i in got}
        if len(distinct) == 1:
            return got[0]
        where = _where(res.address, path)
        if not got:
            return Unknown(f"{AFTER_APPLY}: its references lead to no {what}", where)
        return Unknown(f"{AFTER_APPLY}: its references lead to {len(distinct)} candidates for {what}", where)

    # -- subnet lists -------------------------------------------------------------------------------------
    def subnet_id(self, literal: str, where: str, owner: str) -> str:
        sid = self.subnet_by_aws_id.get(literal, literal)
        if sid not in self.managed_subnets:
            self.referrers.setdefault(sid, (where, owner))
        return sid

    def subnet_list(self, res: Res, path: tuple) -> Any:
        """A list of Subnet.id values for res's attribute, or Unknown (why), or MISSING when absent."""
        where = _where(res.address, path)
        value: Any = _walk(res.values, path)
        if value is MISSING or value is None:
            return MISSING
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, Unknown)):
            return Unknown(f"not a list of subnet ids: {value!r}", where)
        if isinstance(value, list) and not _has_unknown(value):
            out: list[Any] = []
            for v in value:
                if isinstance(v, str):
                    out.append(self.subnet_id(v, where, res.address))
                else:
                    return Unknown(f"not a subnet id: {v!r}", where)
            return _dedupe(out)
        known = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        got = self.follow(res, path, _is_subnet_ref, "subnets")
        if isinstance(got, Unknown):
            return Unknown(got.reason, where)
        ids: list[str] = [self.subnet_id(v, where, res.address) for v in known]
        from_refs: list[str] = []
        for item in got:
            if isinstance(item, ResItem):
                from_refs.append(item.res.address)
                continue
            lits = item.value if isinstance(item.value, list) else [item.value]
            for v in lits:
                if not isinstance(v, str):
                    return Unknown(f"{AFTER_APPLY}: computed from {item.ref} ({v!r}) by an expression podcap "
                                   "cannot evaluate", where)
                from_refs.append(self.subnet_id(v, where, res.address))
        ids = _dedupe(ids + from_refs)
        if isinstance(value, list) and len(ids) > len(value):
            return Unknown(f"{AFTER_APPLY}: the plan holds {len(value)} subnet ids here but the configuration "
                           f"references {len(ids)} subnets ({', '.join(ids[:6])}{' …' if len(ids) > 6 else ''}); "
                           "podcap cannot tell which", where)
        return ids

    # -- building ---------------------------------------------------------------------------------------
    def loc(self, res: Res) -> Location:
        return self.plan.resource_locations[res.address]

    def unresolved(self, rid: str, unk: Unknown) -> None:
        self.plan.unresolved.append((rid, unk))

    def computed_from(self, res: Res, path: tuple) -> str:
        """`` (computed from a, b)``: the references of the attribute's expression, for messages."""
        expr = self.expression(res, path)
        refs = _specific_references(expr.get("references") or []) if isinstance(expr, dict) else []
        return f" (computed from {', '.join(refs[:4])})" if refs else ""

    def build(self, readers: Mapping[str, Reader], finishers: Iterable[Finisher] = ()) -> Plan:
        """Index the document, then hand every planned resource to the reader of its type, in the
        registry's order (a reader may rely on the types listed before its own), then run the finishers."""
        self._index()
        self._plan_status()
        for res in self.managed.values():
            self.plan.resource_locations[res.address] = Location(file=self.source, path=res.address)
        self.managed_subnets = {r.address for r in self.by_type.get("aws_subnet", [])}
        for r in self.by_type.get("aws_subnet", []):
            aid = r.values.get("id")
            if isinstance(aid, str) and aid:
                self.subnet_by_aws_id.setdefault(aid, r.address)
        # an existing subnet a data source read: its subnet-… id names it (a subnet the plan manages wins)
        for r in self.data_by_type.get("aws_subnet", []):
            aid = r.values.get("id")
            if isinstance(aid, str) and aid:
                self.subnet_by_aws_id.setdefault(aid, r.address)
        for r in self.by_type.get("aws_vpc", []):
            aid = r.values.get("id")
            if isinstance(aid, str) and aid:
                self.vpc_by_aws_id.setdefault(aid, r.address)
        for rtype, reader in readers.items():
            # "data.aws_subnet": the data sources of that type; any other key: managed resources
            group = self.data_by_type.get(rtype[5:], []) if rtype.startswith("data.") else self.by_type.get(rtype, [])
            for r in group:
                reader(self, r)
        for rtype, resources in self.by_type.items():
            if rtype.startswith("aws_eks_") and rtype not in readers:
                for r in resources:
                    self.unresolved(r.address, Unknown(
                        f"{rtype} is not read by podcap: whatever it adds to the cluster's networking is not "
                        "checked", r.address))
        for finish in finishers:
            finish(self)
        return self.plan

    def _plan_status(self) -> None:
        """``errored: true`` (Terraform stopped planning on an error) and ``complete: false`` (deferred
        changes: more plan/apply rounds follow) mean the plan does not show everything that will exist."""
        if self.doc.get("errored") is True:
            self.unresolved("terraform plan", Unknown(
                "the plan is marked \"errored\": Terraform stopped planning on an error, so it does not show "
                "every resource that will exist; fix the error and plan again", "errored"))
        if self.doc.get("complete") is False:
            self.unresolved("terraform plan", Unknown(
                "the plan is marked \"complete\": false: Terraform deferred some changes to a later plan, so it "
                "does not show every resource that will exist", "complete"))

    # -- dependencies (creation order) ---------------------------------------------------------------------
    def depends_on(self, res: Res, target: Res) -> bool | Unknown:
        """Is ``res`` created after ``target``: does its configuration reach it through references (module
        inputs and outputs included) or ``depends_on`` (its own and its module calls')? Terraform creates a
        resource only after everything it depends on. A chain through a ``local`` cannot be followed (the
        plan JSON does not record a local's expression): when no path is found and one was met, Unknown."""
        goal = ("res", self._names(target.ctx), target.addr.config_address)
        found, blind = self._reaches(("res", self._names(res.ctx), res.addr.config_address), goal)
        if found:
            return True
        if blind:
            return Unknown(f"{res.address} depends on {blind[0]}, whose expression the plan does not record; "
                           f"podcap cannot tell whether it is created after {target.address}", res.address)
        return False

    def reaches_type(self, res: Res, rtype: str) -> list[tuple]:
        """Configuration resources of ``rtype`` that ``res`` depends on (see :meth:`depends_on`)."""
        start = ("res", self._names(res.ctx), res.addr.config_address)
        seen = self._closure(start)[0]
        return [n for n in seen if n[0] == "res" and n[2].split(".")[0] == rtype]

    def _reaches(self, start: tuple, goal: tuple) -> tuple[bool, list[str]]:
        seen, blind = self._closure(start)
        return goal in seen, blind

    def _closure(self, start: tuple) -> tuple[set[tuple], list[str]]:
        cached = self._closures.get(start)
        if cached is not None:
            return cached
        seen: set[tuple] = set()
        blind: list[str] = []
        stack = [start]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            edges, node_blind = self._node_edges(node)
            blind.extend(node_blind)
            for nxt in edges:
                if nxt not in seen:
                    stack.append(nxt)
        self._closures[start] = (seen, blind)
        return seen, blind

    def _node_edges(self, node: tuple) -> tuple[list[tuple], list[str]]:
        """``_edges(node, blind)`` and what it adds to ``blind``, worked out once per node: every node
        group's closure walks the same cluster, subnets and VPC."""
        got = self._edge_cache.get(node)
        if got is None:
            blind: list[str] = []
            got = self._edge_cache[node] = (self._edges(node, blind), blind)
        return got

    def _edges(self, node: tuple, blind: list[str]) -> list[tuple]:
        kind, names = node[0], node[1]
        out: list[tuple] = []
        if kind == "res":
            conf = self.config_resources.get((names, node[2])) or {}
            refs = _all_references(conf.get("expressions"))
            for key in ("count_expression", "for_each_expression"):
                refs += _all_references(conf.get(key))
            out += self._ref_nodes(refs, names, blind)
            out += self._dep_nodes(conf.get("depends_on"), names, blind)
            for i in range(len(names)):  # depends_on of every module call around the resource
                call = self._module_call(names[:i], names[i])
                out += self._dep_nodes(call.get("depends_on"), names[:i], blind)
        elif kind == "var" and names:
            call = self._module_call(names[:-1], names[-1])
            exprs = call.get("expressions") if isinstance(call.get("expressions"), dict) else {}
            out += self._ref_nodes(_all_references(exprs.get(node[2])), names[:-1], blind)
        elif kind == "out":
            module = self.config_modules.get(names) or {}
            outputs = module.get("outputs") if isinstance(module.get("outputs"), dict) else {}
            o = outputs.get(node[2]) if isinstance(outputs.get(node[2]), dict) else {}
            out += self._ref_nodes(_all_references(o.get("expression")), names, blind)
            out += self._dep_nodes(o.get("depends_on"), names, blind)
        elif kind == "module":
            for (mnames, address) in self.config_resources:
                if mnames[:len(names)] == names:
                    out.append(("res", mnames, address))
        return out

    def _module_call(self, parent: tuple, name: str) -> dict:
        module = self.config_modules.get(parent) or {}
        calls = module.get("module_calls")
        call = calls.get(name) if isinstance(calls, dict) else None
        return call if isinstance(call, dict) else {}

    def _ref_nodes(self, refs: list[str], names: tuple, blind: list[str]) -> list[tuple]:
        out: list[tuple] = []
        for ref in _specific_references(refs):
            segs = _segments(ref)
            if not segs:
                continue
            parts = [s for s, _ in segs if isinstance(s, str)]
            if not parts:
                continue
            head = parts[0]
            if head == "local" and len(parts) > 1:
                blind.append(f"local.{parts[1]}")
            elif head == "var" and len(parts) > 1 and names:
                out.append(("var", names, parts[1]))
            elif head == "module" and len(parts) > 1:
                sub = names + (parts[1],)
                out.append(("out", sub, parts[2]) if len(parts) > 2 else ("module", sub))
            elif head == "data" and len(parts) > 2:
                out.append(("res", names, f"data.{parts[1]}.{parts[2]}"))
            elif head not in ("count", "each", "path", "terraform", "self", "var") and len(parts) > 1:
                out.append(("res", names, f"{parts[0]}.{parts[1]}"))
        return out

    def _dep_nodes(self, deps: Any, names: tuple, blind: list[str]) -> list[tuple]:
        if not isinstance(deps, list):
            return []
        # depends_on = [module.x] names every resource of module.x: a ("module", …) node
        return self._ref_nodes([d for d in deps if isinstance(d, str)], names, blind)


_Each = tuple  # (parent module ctx, call name, instance key): the module instance an argument is for

# terraform-aws-modules/eks's node-group and Fargate submodules (their ``source`` in a plan's configuration:
# ``./modules/eks-managed-node-group`` from the eks module, ``terraform-aws-modules/eks/aws//modules/…``
# when called directly)
_EKS_SUBMODULES = ("eks-managed-node-group", "self-managed-node-group", "fargate-profile")


def _eks_submodule(source: Any) -> str | None:
    """Which terraform-aws-eks submodule a module call's source names, or None."""
    if not isinstance(source, str):
        return None
    path = source.split("?", 1)[0].rstrip("/")
    for name in _EKS_SUBMODULES:
        if path == f"./modules/{name}" or path.endswith(f"//modules/{name}"):
            return name
    return None


def _attribute_items(value: Any, path: tuple, ref: str, where: str) -> list[Item]:
    """The items of ``ref`` = ``value[path…]``: a literal; nothing when an object along the path does not
    set the attribute or sets it to null (a reference Terraform planned without an error, so one the
    expression falls back past: ``try(var.defaults.subnet_ids, …)``); Unknown for an index out of range."""
    v = value
    for i, p in enumerate(path):
        if isinstance(v, dict) and not isinstance(p, int):
            if v.get(p) is None:
                return []
            v = v[p]
            continue
        got = _walk(v, path[i:])
        if got is MISSING:
            return [Unknown(f"{ref} has no such element", where)]
        return [Lit(got, ref)]
    return [Lit(v, ref)]


def _all_references(node: Any) -> list[str]:
    """Every reference in an expression or a block of expressions (nested blocks included)."""
    out: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            refs = n.get("references")
            if isinstance(refs, list):
                out.extend(r for r in refs if isinstance(r, str))
            stack.extend(v for k, v in n.items() if k != "references")
        elif isinstance(n, list):
            stack.extend(n)
    return out


Reader = Callable[["Builder", Res], None]
Finisher = Callable[["Builder"], None]


def _is_expression(node: Any) -> bool:
    """An attribute's expression ({references}, {constant_value}, or {} for one podcap cannot see into)."""
    return isinstance(node, dict) and ("references" in node or "constant_value" in node or not node)


def _is_subnet_ref(res: Res, attr: tuple) -> bool:
    return res.addr.type == "aws_subnet" and attr in ((), ("id",))


@cache
def _is_type_ref(rtype: str) -> Callable[[Res, tuple], bool]:
    def accept(res: Res, attr: tuple) -> bool:
        return res.addr.type == rtype
    return accept


def _dedupe(items: list) -> list:
    seen: set = set()
    out = []
    for i in items:
        key = i if isinstance(i, str) else id(i)
        if key in seen:
            continue
        seen.add(key)
        out.append(i)
    return out
