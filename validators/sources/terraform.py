"""A Terraform plan (``terraform show -json``, format 0.x and 1.x) -> Plan.

What is read (everything else in the plan is ignored):

* ``aws_vpc`` (+ ``aws_vpc_ipv4_cidr_block_association``) -> :class:`Vpc`
* ``aws_subnet`` (+ ``aws_ec2_subnet_cidr_reservation``) -> :class:`Subnet`
* ``aws_eks_cluster`` -> :class:`Cluster`; ``aws_eks_addon`` ``vpc-cni`` -> its ``cni_env`` / ``eni_configs``
* ``aws_eks_node_group`` and self-managed ``aws_autoscaling_group`` nodes (with a launch template) ->
  :class:`NodeGroup`, with instance type and kubelet max-pods from ``aws_launch_template``

Values come from ``resource_changes[].change.after`` merged with ``after_unknown`` (a ``true`` leaf there
becomes ``Unknown("known only after apply")``), else from ``planned_values`` (or the ``values`` of a state
shown with ``terraform show -json``). Resources being only deleted, and data sources, are not part of the
plan. Ids are Terraform addresses (``module.vpc.aws_subnet.private[0]``).

What is unknown at plan time (a node group's ``subnet_ids``, a subnet's ``vpc_id`` …) is followed through
the plan's ``configuration`` section: the attribute's expression ``references`` lead to resource instances
(``aws_subnet.private[0].id``; ``aws_subnet.private`` = every planned instance), through module outputs,
module input variables, root variables with a value, and attributes of other resources whose own expression
can be followed. A reference podcap cannot follow (a ``local``, ``count.index`` / ``each``, a data source
read only at apply) leaves an :class:`Unknown` saying why: podcap never guesses.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from podcap.model.plan import (
    CidrReservation,
    Cluster,
    Location,
    NodeGroup,
    Plan,
    Subnet,
    Vpc,
)
from podcap.model.unknown import Unknown
from podcap.sources._common import (
    EKS_DEFAULT_INSTANCE_TYPE,
    EKS_USER_DATA,
    eks_tag_signs,
    referenced_subnet_ids,
    subnet_like,
)
from podcap.sources.cloudformation import add_note
from podcap.sources.intrinsics import as_int
from podcap.sources.objects.cni_config import parse_cni_configuration
from podcap.sources.objects.user_data import kubelet_max_pods_from_user_data
from podcap.sources.safe_yaml import InputError, load_json, read_file

KIND = "terraform-plan"
AFTER_APPLY = "known only after apply"
EXISTING_SUBNET = "existing subnet; not described by the plan; use --live"
MAX_REF_DEPTH = 32  # references followed (module outputs, variables, other resources) for one value
SUPPORTED_MAJOR_FORMATS = (0, 1)

_MISSING: Any = object()
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_JSON_DECODER = json.JSONDecoder()

READ_TYPES = frozenset({
    "aws_vpc", "aws_vpc_ipv4_cidr_block_association", "aws_subnet", "aws_ec2_subnet_cidr_reservation",
    "aws_eks_cluster", "aws_eks_node_group", "aws_eks_addon", "aws_autoscaling_group",
    "aws_launch_template", "aws_launch_configuration",
})

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


def plan_from_terraform(doc: dict, source: str) -> Plan:
    """Build the Plan of an already parsed ``terraform show -json`` document."""
    if not isinstance(doc, dict):
        raise InputError(f"{source}: not a Terraform plan (expected the JSON object of `terraform show -json`, "
                         f"got {_type_name(doc)})")
    if not is_terraform_plan(doc):
        raise InputError(f"{source}: not a Terraform plan (expected format_version with planned_values, "
                         "resource_changes or terraform_version, as `terraform show -json` writes)")
    fv = doc.get("format_version")
    if not isinstance(fv, str) or not re.fullmatch(r"\d+(\.\d+)*", fv.strip()):
        raise InputError(f"{source}: format_version {fv!r} is not a version such as \"1.2\"")
    major = int(fv.strip().split(".")[0])
    if major not in SUPPORTED_MAJOR_FORMATS:
        raise InputError(f"{source}: plan format_version {fv} is not supported (podcap reads 0.x and 1.x)")
    try:
        return _Builder(doc, source).build()
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to read") from None


# -- addresses and references ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """An index in an address or reference: ``[0]``, ``["a"]`` (``*`` for a splat)."""

    value: int | str


def _segments(text: str) -> list[tuple[str | _Key, int]] | None:
    """``module.a["x"].aws_subnet.b[0].id`` -> [(segment, end offset), …]; None if malformed."""
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
                elif re.fullmatch(r"-?\d+", inner):
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


@dataclass(frozen=True)
class _Addr:
    ctx: Ctx
    mode: str  # "managed" / "data"
    type: str
    name: str
    key: Any

    @property
    def config_address(self) -> str:
        return f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"


def _parse_address(text: str) -> _Addr | None:
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


def _specific_references(refs: list) -> list[str]:
    """Terraform lists every prefix of a reference too (``aws_subnet.a[0].id``, ``aws_subnet.a[0]``,
    ``aws_subnet.a``): keep only the most specific ones, in order, once each."""
    clean = [r for r in refs if isinstance(r, str)]
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
    if unknown is True:
        return Unknown(AFTER_APPLY, _where(address, path))
    if isinstance(unknown, dict) and unknown:
        base = after if isinstance(after, dict) else {}
        out = dict(base)
        for k, u in unknown.items():
            if not u:  # false, null, {} or []: nothing unknown below
                continue
            out[k] = _merge(base.get(k), u, address, path + (k,))
        return out
    if isinstance(unknown, list) and unknown:
        base_list = after if isinstance(after, list) else []
        n = max(len(base_list), len(unknown))
        return [
            _merge(base_list[i] if i < len(base_list) else None, unknown[i] if i < len(unknown) else False,
                   address, path + (i,))
            for i in range(n)
        ]
    return after


def _walk(value: Any, path: Iterable[Any]) -> Any:
    """value[path…]; _MISSING when absent, the Unknown met on the way when there is one."""
    for p in path:
        if isinstance(value, Unknown):
            return value
        if isinstance(p, int):
            if not isinstance(value, list) or not -len(value) <= p < len(value):
                return _MISSING
            value = value[p]
        else:
            if not isinstance(value, dict) or p not in value:
                return _MISSING
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


def _as_int(v: Any, what: str, where: str) -> Any:
    """None stays None (the attribute is not set); text must be digits (plan values are typed JSON)."""
    return v if v is None else as_int(v, what, where, decimal_text=False)


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


@dataclass
class _Res:
    address: str
    addr: _Addr
    after: Any = None
    after_unknown: Any = None
    planned: Any = None  # planned_values / prior_state values when there is no change entry
    has_change: bool = False
    _values: Any = field(default=_MISSING, repr=False)

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
        if self._values is _MISSING:
            if self.has_change:
                v = _merge(self.after, self.after_unknown, self.address, ())
            else:
                v = self.planned
            self._values = v if isinstance(v, dict) else {}
        return self._values


# A resolved reference: a resource instance (and the attribute path read from it), or a literal value.
@dataclass(frozen=True)
class _ResItem:
    res: _Res
    attr: tuple
    ref: str


@dataclass(frozen=True)
class _Lit:
    value: Any
    ref: str


_Item = _ResItem | _Lit | Unknown


class _Builder:
    def __init__(self, doc: dict, source: str) -> None:
        self.doc = doc
        self.source = source
        self.plan = Plan(source=source, kind=KIND)
        self.managed: dict[str, _Res] = {}  # address -> resource, in plan order
        self.data: dict[str, _Res] = {}
        self.deleted: set[str] = set()
        # (module ctx, mode, type, name) -> {key: resource}
        self.instances: dict[tuple, dict[Any, _Res]] = {}
        # (parent ctx, call name) -> {key: None} (module instances seen in resource addresses)
        self.module_instances: dict[tuple, dict[Any, None]] = {}
        self.config_modules: dict[tuple, dict] = {}  # module call names -> configuration module
        self.config_resources: dict[tuple, dict] = {}  # (module call names, config address) -> resource
        self.by_type: dict[str, list[_Res]] = {}
        self.subnet_by_aws_id: dict[str, str] = {}
        self.vpc_by_aws_id: dict[str, str] = {}
        self.referrers: dict[str, tuple[str, str]] = {}  # literal subnet id -> (where, address)
        self._resolving: set[tuple] = set()
        self._follow_cache: dict[tuple, Any] = {}
        self._sorted_instances: dict[tuple, list[_Res]] = {}

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
            raise self._fail(where, f"{address!r} is not a Terraform resource address")
        mode = entry.get("mode")
        if mode is not None and mode not in ("managed", "data"):
            raise self._fail(where, f"mode {mode!r} is neither \"managed\" nor \"data\"")
        return address, addr

    def _module_values(self, module: Any, where: str, out: list[tuple[str, _Addr, dict, str]],
                       depth: int = 0) -> None:
        if depth > 100:
            raise self._fail(where, "child_modules nested more than 100 levels deep")
        module = self._obj(module, where)
        for i, res in enumerate(self._list(module.get("resources"), f"{where}.resources")):
            rw = f"{where}.resources[{i}]"
            res = self._obj(res, rw)
            address, addr = self._address_of(res, rw)
            values = res.get("values", {})
            if values is None:
                values = {}
            self._obj(values, f"{rw}.values")
            out.append((address, addr, values, rw))
        for i, child in enumerate(self._list(module.get("child_modules"), f"{where}.child_modules")):
            self._module_values(child, f"{where}.child_modules[{i}]", out, depth + 1)

    def _values_section(self, key: str) -> list[tuple[str, _Addr, dict, str]]:
        out: list[tuple[str, _Addr, dict, str]] = []
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
        prior: list[tuple[str, _Addr, dict, str]] = []
        if doc.get("prior_state") is not None:
            ps = self._obj(doc["prior_state"], "prior_state")
            if ps.get("values") is not None:
                vs = self._obj(ps["values"], "prior_state.values")
                if vs.get("root_module") is not None:
                    self._module_values(vs["root_module"], "prior_state.values.root_module", prior)

        for i, rc in enumerate(self._list(doc.get("resource_changes"), "resource_changes")):
            w = f"resource_changes[{i}]"
            rc = self._obj(rc, w)
            address, addr = self._address_of(rc, w)
            if rc.get("deposed"):
                continue  # a deposed object being destroyed
            change = self._obj(rc.get("change"), f"{w}.change")
            actions = change.get("actions")
            if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
                raise self._fail(f"{w}.change.actions", "expected an array of action names")
            after = change.get("after")
            if after is not None and not isinstance(after, dict):
                raise self._fail(f"{w}.change.after", f"expected an object or null, got {_type_name(after)}")
            unknown = change.get("after_unknown")
            if unknown is not None and not isinstance(unknown, (dict, bool)):
                raise self._fail(f"{w}.change.after_unknown",
                                 f"expected an object, got {_type_name(unknown)}")
            if addr.mode == "managed" and (actions == ["delete"] or actions == ["forget"] or
                                           (after is None and not unknown)):
                self.deleted.add(address)
                continue
            res = _Res(address, addr, after=after if after is not None else {}, after_unknown=unknown,
                       has_change=True)
            (self.data if addr.mode == "data" else self.managed)[address] = res
        for address, addr, values, _ in planned:
            if address in self.deleted:
                continue
            target = self.data if addr.mode == "data" else self.managed
            if address not in target:
                target[address] = _Res(address, addr, planned=values)
        for address, addr, values, _ in prior:
            if addr.mode == "data" and address not in self.data:
                self.data[address] = _Res(address, addr, planned=values)

        for res in list(self.managed.values()) + list(self.data.values()):
            a = res.addr
            self.instances.setdefault((a.ctx, a.mode, a.type, a.name), {})[a.key] = res
            for i in range(len(a.ctx)):
                self.module_instances.setdefault((a.ctx[:i], a.ctx[i][0]), {})[a.ctx[i][1]] = None
        for res in self.managed.values():
            self.by_type.setdefault(res.type, []).append(res)

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

    def _config_of(self, res: _Res) -> dict | None:
        return self.config_resources.get((self._names(res.ctx), res.addr.config_address))

    def _expression(self, res: _Res, path: tuple) -> Any:
        """The configuration expression of res's attribute at path (blocks are lists), or None."""
        conf = self._config_of(res)
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

    def _has_expression(self, res: _Res, path: tuple) -> bool:
        return self._expression(res, path) is not None

    # -- resolving references -----------------------------------------------------------------------------
    def resolve_expr(self, expr: Any, ctx: Ctx, where: str, depth: int) -> list[_Item]:
        if depth > MAX_REF_DEPTH:
            return [Unknown("references nested too deep to follow", where)]
        if not isinstance(expr, dict):
            return [Unknown("an expression podcap cannot read", where)]
        if "constant_value" in expr:
            return [_Lit(expr["constant_value"], "a constant")]
        refs = expr.get("references")
        if not isinstance(refs, list) or not refs:
            return [Unknown(f"{AFTER_APPLY}: computed by an expression the plan does not record", where)]
        out: list[_Item] = []
        for ref in _specific_references(refs):
            out.extend(self.resolve_ref(ref, ctx, where, depth))
        return out

    def resolve_ref(self, ref: str, ctx: Ctx, where: str, depth: int) -> list[_Item]:
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
        key = _MISSING
        if rest and isinstance(rest[0], _Key):
            key, rest = rest[0].value, rest[1:]
        attr = tuple(p.value if isinstance(p, _Key) else p for p in rest)
        found = self.instances.get((ctx, mode, rtype, rname), {})
        label = f"{_ctx_text(ctx)}{'data.' if mode == 'data' else ''}{rtype}.{rname}"
        if key is _MISSING or key == "*":
            if not found:
                if mode == "data":
                    return [Unknown(f"data source {label} is not read in the plan", where)]
                conf = self.config_resources.get((self._names(ctx), f"{rtype}.{rname}"))
                if conf is not None:
                    return []  # in the configuration with count = 0 / an empty for_each
                return [Unknown(f"{label} is not in the plan", where)]
            ikey = (ctx, mode, rtype, rname)
            ordered = self._sorted_instances.get(ikey)
            if ordered is None:  # count instances by index, for_each instances by key (as a splat gives them)
                ordered = [r for _, r in sorted(found.items(), key=lambda kv: (
                    isinstance(kv[0], str), kv[0] if kv[0] is not None else -1))]
                self._sorted_instances[ikey] = ordered
            return [_ResItem(r, attr, ref) for r in ordered]
        res = found.get(key)
        if res is None:
            return [Unknown(f"{label}{_key_text(key)} is not in the plan", where)]
        return [_ResItem(res, attr, ref)]

    def _resolve_var(self, name: str, rest: list, ref: str, ctx: Ctx, where: str, depth: int) -> list[_Item]:
        path = tuple(p.value if isinstance(p, _Key) else p for p in rest)
        if not ctx:
            variables = self.doc.get("variables")
            var = variables.get(name) if isinstance(variables, dict) else None
            if isinstance(var, dict) and "value" in var:
                return [self._walk_lit(var["value"], path, ref, where)]
            return [Unknown(f"{AFTER_APPLY}: computed from var.{name}, which has no known value in the plan",
                            where)]
        parent, (call_name, _) = ctx[:-1], ctx[-1]
        parent_module = self.config_modules.get(self._names(parent)) or {}
        calls = parent_module.get("module_calls")
        call = calls.get(call_name) if isinstance(calls, dict) else None
        exprs = call.get("expressions") if isinstance(call, dict) else None
        label = f"var.{name} of {_ctx_text(ctx).rstrip('.')}"
        if isinstance(exprs, dict) and name in exprs:
            items = self.resolve_expr(exprs[name], parent, where, depth + 1)
            if not path:
                return items
            return self._index_items(items, path, label, where)
        module = self.config_modules.get(self._names(ctx)) or {}
        variables = module.get("variables")
        var = variables.get(name) if isinstance(variables, dict) else None
        if isinstance(var, dict) and "default" in var:
            return [self._walk_lit(var["default"], path, ref, where)]
        return [Unknown(f"{AFTER_APPLY}: computed from {label}, which has no known value in the plan", where)]

    def _resolve_module(self, parts: list, ref: str, ctx: Ctx, where: str, depth: int) -> list[_Item]:
        name = parts[1]
        rest = parts[2:]
        key: Any = _MISSING
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
        if key is _MISSING or key == "*":
            keys = list(self.module_instances.get((ctx, name), {}) or [None])
        else:
            keys = [key]
        items: list[_Item] = []
        for k in keys:
            items.extend(self.resolve_expr(out["expression"], ctx + ((name, k),), where, depth + 1))
        if not rest:
            return items
        path = tuple(p.value if isinstance(p, _Key) else p for p in rest)
        return self._index_items(items, path, ref, where)

    def _walk_lit(self, value: Any, path: tuple, ref: str, where: str) -> _Item:
        v = _walk(value, path)
        if v is _MISSING:
            return Unknown(f"{ref} has no such element", where)
        return _Lit(v, ref)

    def _index_items(self, items: list[_Item], path: tuple, ref: str, where: str) -> list[_Item]:
        """An element of a value that resolved to items: only when it is plain (one literal, or a list
        made of one splat of resource instances)."""
        if any(isinstance(i, Unknown) for i in items):
            return [next(i for i in items if isinstance(i, Unknown))]
        if len(items) == 1 and isinstance(items[0], _Lit):
            return [self._walk_lit(items[0].value, path, ref, where)]
        plain = bool(items) and all(isinstance(i, _ResItem) and i.attr in ((), ("id",)) for i in items)
        if (plain and len({i.ref for i in items if isinstance(i, _ResItem)}) == 1 and len(path) == 1
                and isinstance(path[0], int)):
            if -len(items) <= path[0] < len(items):
                return [items[path[0]]]
            return [Unknown(f"{ref}: index {path[0]} is out of range", where)]
        return [Unknown(f"{AFTER_APPLY}: an element of {ref}; podcap cannot tell which", where)]

    def expand(self, items: list[_Item], accept: Callable[[_Res, tuple], bool], what: str, where: str,
               depth: int = 0) -> list[_ResItem | _Lit] | Unknown:
        """Items as resources accept() takes, or literal values; other resources' attributes are followed
        (their planned value, else their own expression). The first thing that cannot be followed wins."""
        out: list[_ResItem | _Lit] = []
        for it in items:
            if isinstance(it, Unknown):
                return it
            if isinstance(it, _Lit):
                out.append(it)
                continue
            r, attr = it.res, it.attr
            if r.mode == "managed" and accept(r, attr):
                out.append(it)
                continue
            value = _walk(r.values, attr) if attr else _MISSING
            if r.mode == "data":
                if value is not _MISSING and value is not None and not _has_unknown(value):
                    out.append(_Lit(value, it.ref))
                    continue
                return Unknown(f"existing {what} (data source {r.address}): enable live AWS lookup with --live",
                               where)
            if not attr:
                return Unknown(f"{AFTER_APPLY}: {it.ref} is a whole {r.type}, not {what}", where)
            if value is not _MISSING and not _has_unknown(value):
                out.append(_Lit(value, it.ref))
                continue
            expr = self._expression(r, attr)
            guard = (r.address, attr)
            if expr is None or depth >= MAX_REF_DEPTH or guard in self._resolving:
                return Unknown(f"{AFTER_APPLY}: comes from {_where(r.address, attr)}", where)
            self._resolving.add(guard)
            try:
                sub = self.resolve_expr(expr, r.ctx, where, depth + 1)
                got = self.expand(sub, accept, what, where, depth + 1)
            finally:
                self._resolving.discard(guard)
            if isinstance(got, Unknown):
                return got
            out.extend(got)
        return out

    def _follow(self, res: _Res, path: tuple, accept: Callable[[_Res, tuple], bool], what: str
                ) -> list[_ResItem | _Lit] | Unknown:
        """Follow the expression of res's attribute. Every instance of one configuration resource (count,
        for_each) shares the expression, so the answer is computed once per module instance."""
        where = _where(res.address, path)
        expr = self._expression(res, path)
        if expr is None:
            return Unknown(AFTER_APPLY, where)
        key = (id(expr), res.ctx, accept, what)
        got = self._follow_cache.get(key)
        if got is None:
            got = self.expand(self.resolve_expr(expr, res.ctx, where, 0), accept, what, where)
            self._follow_cache[key] = got
        if isinstance(got, Unknown):
            return Unknown(got.reason, where)
        return got

    def _single(self, res: _Res, path: tuple, accept: Callable[[_Res, tuple], bool], what: str
                ) -> _ResItem | _Lit | Unknown | None:
        """One resource (or literal) an attribute names, following references when it is unknown."""
        value = _walk(res.values, path)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, Unknown):
            return _Lit(value, "the plan")
        got = self._follow(res, path, accept, what)
        if isinstance(got, Unknown):
            return got
        distinct = {(i.res.address if isinstance(i, _ResItem) else json.dumps(i.value, default=str)) for i in got}
        if len(distinct) == 1:
            return got[0]
        where = _where(res.address, path)
        if not got:
            return Unknown(f"{AFTER_APPLY}: its references lead to no {what}", where)
        return Unknown(f"{AFTER_APPLY}: its references lead to {len(distinct)} candidates for {what}", where)

    # -- subnet lists -------------------------------------------------------------------------------------
    def _subnet_id(self, literal: str, where: str, owner: str) -> str:
        sid = self.subnet_by_aws_id.get(literal, literal)
        if sid not in self.managed_subnets:
            self.referrers.setdefault(sid, (where, owner))
        return sid

    def subnet_list(self, res: _Res, path: tuple) -> Any:
        """A list of Subnet.id values for res's attribute, or Unknown (why), or _MISSING when absent."""
        where = _where(res.address, path)
        value: Any = _walk(res.values, path)
        if value is _MISSING or value is None:
            return _MISSING
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, Unknown)):
            return Unknown(f"not a list of subnet ids: {value!r}", where)
        if isinstance(value, list) and not _has_unknown(value):
            out: list[Any] = []
            for v in value:
                if isinstance(v, str):
                    out.append(self._subnet_id(v, where, res.address))
                else:
                    return Unknown(f"not a subnet id: {v!r}", where)
            return _dedupe(out)
        known = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        got = self._follow(res, path, _is_subnet_ref, "subnets")
        if isinstance(got, Unknown):
            return Unknown(got.reason, where)
        ids: list[str] = [self._subnet_id(v, where, res.address) for v in known]
        from_refs: list[str] = []
        for item in got:
            if isinstance(item, _ResItem):
                from_refs.append(item.res.address)
                continue
            lits = item.value if isinstance(item.value, list) else [item.value]
            for v in lits:
                if not isinstance(v, str):
                    return Unknown(f"{AFTER_APPLY}: computed from {item.ref} ({v!r}) by an expression podcap "
                                   "cannot evaluate", where)
                from_refs.append(self._subnet_id(v, where, res.address))
        ids = _dedupe(ids + from_refs)
        if isinstance(value, list) and len(ids) > len(value):
            return Unknown(f"{AFTER_APPLY}: the plan holds {len(value)} subnet ids here but the configuration "
                           f"references {len(ids)} subnets ({', '.join(ids[:6])}{' …' if len(ids) > 6 else ''}); "
                           "podcap cannot tell which", where)
        return ids

    # -- building ---------------------------------------------------------------------------------------
    def loc(self, res: _Res) -> Location:
        return self.plan.resource_locations[res.address]

    def unresolved(self, rid: str, unk: Unknown) -> None:
        self.plan.unresolved.append((rid, unk))

    def build(self) -> Plan:
        self._index()
        for res in self.managed.values():
            self.plan.resource_locations[res.address] = Location(file=self.source, path=res.address)
        self.managed_subnets = {r.address for r in self.by_type.get("aws_subnet", [])}
        for r in self.by_type.get("aws_subnet", []):
            aid = r.values.get("id")
            if isinstance(aid, str) and aid:
                self.subnet_by_aws_id.setdefault(aid, r.address)
        for r in self.by_type.get("aws_vpc", []):
            aid = r.values.get("id")
            if isinstance(aid, str) and aid:
                self.vpc_by_aws_id.setdefault(aid, r.address)
        for r in self.by_type.get("aws_vpc", []):
            self._vpc(r)
        for r in self.by_type.get("aws_vpc_ipv4_cidr_block_association", []):
            self._vpc_cidr(r)
        for r in self.by_type.get("aws_subnet", []):
            self._subnet(r)
        for r in self.by_type.get("aws_ec2_subnet_cidr_reservation", []):
            self._reservation(r)
        self.lt_by_id: dict[str, _Res] = {}
        self.lt_by_name: dict[str, _Res] = {}
        for r in self.by_type.get("aws_launch_template", []):
            for key, index in (("id", self.lt_by_id), ("name", self.lt_by_name)):
                v = r.values.get(key)
                if isinstance(v, str) and v:
                    index.setdefault(v, r)
        self.clusters_by_name: dict[str, list[str]] = {}
        for r in self.by_type.get("aws_eks_cluster", []):
            self._cluster(r)
        for r in self.by_type.get("aws_eks_addon", []):
            self._addon(r)
        for r in self.by_type.get("aws_eks_node_group", []):
            self._nodegroup(r)
        for r in self.by_type.get("aws_autoscaling_group", []):
            self._asg(r)
        self._placeholders()
        return self.plan

    # VPC ----------------------------------------------------------------------------------------------
    def _cidr(self, res: _Res, attr: str) -> Any:
        v = res.values.get(attr)
        where = _where(res.address, (attr,))
        if isinstance(v, Unknown):
            return Unknown(f"{AFTER_APPLY}{self._computed_from(res, (attr,))}", where)
        if isinstance(v, str) and v:
            return v
        if v is None and isinstance(res.values.get("ipv4_ipam_pool_id"), (str, Unknown)):
            return Unknown(f"{AFTER_APPLY}: allocated from an IPAM pool", where)
        if v is not None and v != "":
            return Unknown(f"{attr} is not a CIDR: {v!r}", where)
        return Unknown(f"no {attr} in the plan", where)

    def _computed_from(self, res: _Res, path: tuple) -> str:
        expr = self._expression(res, path)
        refs = _specific_references(expr.get("references") or []) if isinstance(expr, dict) else []
        return f" (computed from {', '.join(refs[:4])})" if refs else ""

    def _vpc(self, res: _Res) -> None:
        self.plan.vpcs[res.address] = Vpc(id=res.address, cidrs=[self._cidr(res, "cidr_block")],
                                          location=self.loc(res))

    def _vpc_ref(self, res: _Res) -> Any:
        got = self._single(res, ("vpc_id",), _is_type_ref("aws_vpc"), "a VPC")
        if got is None:
            return None
        if isinstance(got, Unknown):
            return got
        if isinstance(got, _ResItem):
            return got.res.address
        if isinstance(got.value, str):
            return self.vpc_by_aws_id.get(got.value, got.value)
        return Unknown(f"vpc_id is not a VPC id: {got.value!r}", _where(res.address, ("vpc_id",)))

    def _vpc_cidr(self, res: _Res) -> None:
        vpc = self._vpc_ref(res)
        cidr = self._cidr(res, "cidr_block")
        if isinstance(vpc, str) and vpc in self.plan.vpcs:
            self.plan.vpcs[vpc].cidrs.append(cidr)
        elif isinstance(vpc, Unknown):
            self.unresolved(res.address, Unknown(f"secondary CIDR of a VPC podcap cannot identify: {vpc.reason}",
                                                 vpc.where))

    # subnets ------------------------------------------------------------------------------------------
    def _subnet(self, res: _Res) -> None:
        v = res.values
        a = res.address
        az: Any = v.get("availability_zone")
        az_id = v.get("availability_zone_id")
        if not (isinstance(az, str) and az):
            if isinstance(az_id, str) and az_id:
                az = az_id
            elif isinstance(az, Unknown) or isinstance(az_id, Unknown):
                az = Unknown(f"{AFTER_APPLY}{self._computed_from(res, ('availability_zone',))}",
                             _where(a, ("availability_zone",)))
            elif az not in (None, ""):
                az = Unknown(f"availability_zone is not an AZ name: {az!r}", _where(a, ("availability_zone",)))
            else:
                az = Unknown("no availability_zone in the plan", _where(a, ("availability_zone",)))
        v6 = v.get("ipv6_cidr_block")
        if isinstance(v6, Unknown):
            v6 = Unknown(AFTER_APPLY, _where(a, ("ipv6_cidr_block",)))
        elif not (isinstance(v6, str) and v6):
            v6 = None
        aid = v.get("id")
        self.plan.subnets[a] = Subnet(
            id=a,
            cidr=self._cidr(res, "cidr_block"),
            az=az,
            vpc=self._vpc_ref(res),
            ipv6_cidr=v6,
            aws_id=aid if isinstance(aid, str) and aid else None,
            location=self.loc(res),
        )

    def _reservation(self, res: _Res) -> None:
        a = res.address
        got = self._single(res, ("subnet_id",), _is_subnet_ref, "a subnet")
        subnet: Any = None
        if isinstance(got, _ResItem):
            subnet = got.res.address
        elif isinstance(got, _Lit) and isinstance(got.value, str):
            subnet = self.subnet_by_aws_id.get(got.value, got.value)
        if subnet is None or subnet not in self.plan.subnets:
            why = got.reason if isinstance(got, Unknown) else "its subnet is not created by the plan"
            self.unresolved(a, Unknown(f"CIDR reservation not applied: {why}", _where(a, ("subnet_id",))))
            return
        rtype = res.values.get("reservation_type")
        if rtype not in ("prefix", "explicit"):
            self.unresolved(a, Unknown(f"reservation_type {rtype!r} is not prefix or explicit; taken as explicit",
                                       _where(a, ("reservation_type",))))
            rtype = "explicit"
        self.plan.subnets[subnet].reservations.append(CidrReservation(cidr=self._cidr(res, "cidr_block"),
                                                                      type=rtype))

    # EKS ------------------------------------------------------------------------------------------------
    def _cluster(self, res: _Res) -> None:
        a = res.address
        v = res.values
        name = v.get("name")
        if not isinstance(name, (str, Unknown)):
            name = Unknown("no cluster name in the plan", _where(a, ("name",)))
        elif isinstance(name, str):
            self.clusters_by_name.setdefault(name, []).append(a)
        subnets = self.subnet_list(res, ("vpc_config", 0, "subnet_ids"))
        if subnets is _MISSING:
            subnets = Unknown("the cluster names no subnets", _where(a, ("vpc_config", 0, "subnet_ids")))
        family = "ipv4"
        fam = _walk(v, ("kubernetes_network_config", 0, "ip_family"))
        fw = _where(a, ("kubernetes_network_config", 0, "ip_family"))
        if isinstance(fam, str) and fam.lower() in ("ipv4", "ipv6"):
            family = fam.lower()
        elif isinstance(fam, Unknown):
            if self._has_expression(res, ("kubernetes_network_config", 0, "ip_family")):
                self.unresolved(a, Unknown(f"ip_family {AFTER_APPLY}; ipv4 assumed", fw))
        elif fam is not _MISSING and fam is not None:
            self.unresolved(a, Unknown(f"ip_family {fam!r} not understood; ipv4 assumed", fw))
        self.plan.clusters[a] = Cluster(id=a, name=name, subnets=subnets, ip_family=family,
                                        location=self.loc(res))

    def _cluster_of(self, res: _Res, path: tuple) -> tuple[str | None, Unknown | None]:
        """(cluster id or a cluster name not in the plan, why it is not known)."""
        got = self._single(res, path, _is_type_ref("aws_eks_cluster"), "an EKS cluster")
        if got is None:
            return None, None
        if isinstance(got, Unknown):
            return None, got
        if isinstance(got, _ResItem):
            return got.res.address, None
        name = got.value
        if not isinstance(name, str):
            return None, Unknown(f"cluster name is not a string: {name!r}", _where(res.address, path))
        candidates = self.clusters_by_name.get(name, [])
        if len(candidates) == 1:
            return candidates[0], None
        if len(candidates) > 1:
            same = [c for c in candidates if self.managed[c].ctx == res.ctx]
            if len(same) == 1:
                return same[0], None
            return None, Unknown(f"{len(candidates)} clusters in the plan are named {name}",
                                 _where(res.address, path))
        return name, None

    def _addon(self, res: _Res) -> None:
        a = res.address
        v = res.values
        name = v.get("addon_name")
        if isinstance(name, Unknown):
            self.unresolved(a, Unknown(f"add-on name {AFTER_APPLY}; if it is vpc-cni, its settings are not "
                                       "applied", name.where))
            return
        if name != "vpc-cni":
            return
        where = _where(a, ("configuration_values",))
        raw = v.get("configuration_values")
        env: Any = None
        eni: dict[str, Any] = {}
        if isinstance(raw, Unknown):
            env = Unknown(f"vpc-cni configuration_values {AFTER_APPLY}{self._computed_from(res, ('configuration_values',))}",
                          where)
        elif raw is not None and raw != "":
            env, eni, problems = parse_cni_configuration(raw, {}, where)
            for p in problems:
                self.unresolved(a, p)
            for az, sid in list(eni.items()):
                if isinstance(sid, str):
                    eni[az] = self._subnet_id(sid, where, a)
        cluster_id, why = self._cluster_of(res, ("cluster_name",))
        cl = self.plan.clusters.get(cluster_id) if cluster_id else None
        if cl is None and cluster_id is not None:
            cl = Cluster(id=cluster_id, name=cluster_id,
                         subnets=Unknown("the cluster is not described by the plan; use --live", a),
                         location=self.loc(res))
            self.plan.clusters[cl.id] = cl
            self.plan.resource_locations.setdefault(cl.id, self.loc(res))
        if cl is None and len(self.plan.clusters) == 1 and why is not None:
            cl = next(iter(self.plan.clusters.values()))
        if cl is None:
            self.unresolved(a, Unknown("the vpc-cni add-on's cluster cannot be identified"
                                       f"{': ' + why.reason if why else ''}; its settings are not applied", a))
            return
        if cl.cni_env is not None and env is not None and cl.cni_env != env:
            self.unresolved(a, Unknown(f"cluster {cl.id} has more than one vpc-cni add-on; the last one read is "
                                       "used", a))
        if env is not None:
            cl.cni_env = env
        cl.eni_configs.update(eni)
        cl.cni_resource, cl.cni_location = a, self.loc(res)

    # launch templates -----------------------------------------------------------------------------------
    def _launch_template(self, res: _Res, path: tuple, id_key: str, name_key: str
                         ) -> tuple[bool, _Res | None, Unknown | None]:
        """(present, the aws_launch_template resource, why it cannot be identified)."""
        spec = _walk(res.values, path)
        where = _where(res.address, path)
        if spec is _MISSING or spec is None or spec == [] or spec == {}:
            return False, None, None
        if isinstance(spec, list):
            spec = spec[0]
        if isinstance(spec, Unknown):
            return True, None, Unknown(f"launch template {AFTER_APPLY}", where)
        if not isinstance(spec, dict):
            return True, None, Unknown("launch template is not {id|name, version}", where)
        why: Unknown | None = None
        for key, index in ((id_key, self.lt_by_id), (name_key, self.lt_by_name)):
            v = spec.get(key)
            if isinstance(v, str) and v:
                if v in index:
                    return True, index[v], None
                return True, None, Unknown(f"launch template {v} is not in the plan", _where(where, (key,)))
            if isinstance(v, Unknown):
                full = path + ((0,) if isinstance(_walk(res.values, path), list) else ()) + (key,)
                got = self._single(res, full, _is_type_ref("aws_launch_template"), "a launch template")
                if isinstance(got, _ResItem):
                    return True, got.res, None
                if isinstance(got, _Lit) and isinstance(got.value, str):
                    if got.value in self.lt_by_id or got.value in self.lt_by_name:
                        return True, self.lt_by_id.get(got.value) or self.lt_by_name[got.value], None
                    return True, None, Unknown(f"launch template {got.value} is not in the plan", where)
                why = why or (got if isinstance(got, Unknown) else Unknown(f"launch template {AFTER_APPLY}", where))
        return True, None, why or Unknown("launch template has neither an id nor a name", where)

    def _max_pods(self, lt: _Res, attr: str = "user_data") -> Any:
        raw = lt.values.get(attr)
        where = _where(lt.address, (attr,))
        if raw is None or raw == "":
            return None
        if isinstance(raw, Unknown):
            return Unknown(f"user data {AFTER_APPLY}{self._computed_from(lt, (attr,))}", where)
        if not isinstance(raw, str):
            return Unknown("user data is not a string", where)
        value, problem = kubelet_max_pods_from_user_data(_decode_user_data(raw))
        if problem is not None:
            return Unknown(f"kubelet max-pods: {problem}", where)
        return value

    def _user_data_text(self, lt: _Res | None, attr: str = "user_data") -> Any:
        if lt is None:
            return None
        raw = lt.values.get(attr)
        if isinstance(raw, str):
            return _decode_user_data(raw)
        return raw  # None or Unknown

    # node groups ------------------------------------------------------------------------------------------
    def _sizes(self, ng: NodeGroup, scaling: Any, keys: tuple[str, str, str], where: str) -> None:
        vals = []
        for k in keys:
            v = _walk(scaling, (k,)) if isinstance(scaling, dict) else scaling
            if v is _MISSING or v is None:
                v = Unknown(f"no {k} in the plan", _where(where, (k,)))
            vals.append(_as_int(v, k, _where(where, (k,))))
        ng.min_size, ng.desired_size, ng.max_size = vals

    def _nodegroup(self, res: _Res) -> None:
        a = res.address
        v = res.values
        ng = NodeGroup(name=a, location=self.loc(res))
        cluster, why = self._cluster_of(res, ("cluster_name",))
        ng.cluster = cluster
        if cluster is None and why is not None and len(self.plan.clusters) > 1:
            self.unresolved(a, Unknown(f"the node group's cluster is not known: {why.reason}", why.where))

        present, lt, lt_why = self._launch_template(res, ("launch_template",), "id", "name")
        types = v.get("instance_types")
        tw = _where(a, ("instance_types",))
        lt_type = lt.values.get("instance_type") if lt is not None else None
        if types is not None and not isinstance(types, (list, Unknown)):
            ng.instance_types = Unknown(f"instance_types is not a list: {types!r}", tw)
        elif isinstance(types, list) and types:
            ng.instance_types = [t if isinstance(t, (str, Unknown)) else Unknown(f"not an instance type: {t!r}", tw)
                                 for t in types]
        elif isinstance(types, Unknown):
            configured = self._has_expression(res, ("instance_types",))
            if not configured and isinstance(lt_type, str) and lt_type:
                ng.instance_types = [lt_type]
            elif configured:
                ng.instance_types = Unknown(f"{AFTER_APPLY}{self._computed_from(res, ('instance_types',))}", tw)
            else:
                ng.instance_types = Unknown(f"{AFTER_APPLY} (not set in the configuration: EKS takes it from the "
                                            f"launch template, else uses {EKS_DEFAULT_INSTANCE_TYPE})", tw)
        elif present:
            if lt is None:
                ng.instance_types = Unknown(f"the instance type comes from a launch template podcap cannot read "
                                            f"({lt_why.reason if lt_why else 'unknown'})", tw)
            elif isinstance(lt_type, str) and lt_type:
                ng.instance_types = [lt_type]
            elif isinstance(lt_type, Unknown):
                ng.instance_types = [Unknown(f"launch template instance_type {AFTER_APPLY}",
                                             _where(lt.address, ("instance_type",)))]
            else:
                ng.instance_types = [EKS_DEFAULT_INSTANCE_TYPE]
                add_note(self.plan, a, f"no instance type in the node group or its launch template: EKS uses "
                                       f"{EKS_DEFAULT_INSTANCE_TYPE}")
        else:
            ng.instance_types = [EKS_DEFAULT_INSTANCE_TYPE]
            add_note(self.plan, a, f"no instance types and no launch template: EKS uses {EKS_DEFAULT_INSTANCE_TYPE}")

        subnets = self.subnet_list(res, ("subnet_ids",))
        ng.subnets = Unknown("the node group names no subnets", _where(a, ("subnet_ids",))) \
            if subnets is _MISSING else subnets

        scaling = _walk(v, ("scaling_config", 0))
        if scaling is _MISSING or scaling is None:
            scaling = Unknown("no scaling_config in the plan", _where(a, ("scaling_config",)))
        self._sizes(ng, scaling, ("min_size", "desired_size", "max_size"), _where(a, ("scaling_config", 0)))

        update = _walk(v, ("update_config", 0))
        uw = _where(a, ("update_config", 0))
        no_config = self._config_of(res) is None
        static_block = self._has_expression(res, ("update_config",))
        if isinstance(update, Unknown):
            # Unknown and not in the configuration: the provider computes the block EKS defaults (one node at a
            # time). Without the configuration podcap cannot tell that apart from a value set there.
            if static_block:
                ng.max_unavailable = update
            elif no_config:
                ng.max_unavailable = Unknown(f"update_config {AFTER_APPLY}, and the plan has no configuration "
                                             "to show whether it is set", update.where or uw)
        elif isinstance(update, dict):
            for attr, key in (("max_unavailable", "max_unavailable"),
                              ("max_unavailable_percentage", "max_unavailable_percentage")):
                val = update.get(key)
                if isinstance(val, Unknown) and not self._has_expression(res, ("update_config", 0, key)):
                    if static_block:
                        continue  # not set in the update_config block of the configuration
                    # the block is in the plan but not in the configuration JSON: a dynamic block (which the
                    # plan does not record) or no configuration at all; either way the value is not known
                    val = Unknown(f"{key} {AFTER_APPLY} (set in an update_config block the plan's configuration "
                                  "does not show, such as a dynamic block)" if not no_config else
                                  f"{key} {AFTER_APPLY}, and the plan has no configuration to show whether it is "
                                  "set", val.where or _where(uw, (key,)))
                if val is None or val == 0:
                    continue
                setattr(ng, attr, _as_int(val, key, _where(uw, (key,))))

        for attr in ("ami_type", "capacity_type"):
            val = v.get(attr)
            if isinstance(val, str) and val or isinstance(val, Unknown) and self._has_expression(res, (attr,)):
                setattr(ng, attr, val)

        if lt is not None:
            ng.kubelet_max_pods = self._max_pods(lt)
        elif present and lt_why is not None:
            ng.kubelet_max_pods = Unknown(f"user data of a launch template podcap cannot read: {lt_why.reason}",
                                          lt_why.where)
        self.plan.nodegroups.append(ng)

    def _asg(self, res: _Res) -> None:
        a = res.address
        v = res.values
        lt_path: tuple = ("launch_template",)
        id_key, name_key = "id", "name"
        overrides: Any = _MISSING
        mip = _walk(v, ("mixed_instances_policy", 0, "launch_template", 0))
        if isinstance(mip, dict):
            lt_path = ("mixed_instances_policy", 0, "launch_template", 0, "launch_template_specification")
            id_key, name_key = "launch_template_id", "launch_template_name"
            overrides = mip.get("override", _MISSING)
        present, lt, lt_why = self._launch_template(res, lt_path, id_key, name_key)
        if isinstance(mip, Unknown):
            present, lt_why = True, Unknown(f"mixed instances policy {AFTER_APPLY}", mip.where)
        lc: _Res | None = None
        lc_name = v.get("launch_configuration")
        if not present and lc_name not in (None, ""):
            got = self._single(res, ("launch_configuration",), _is_type_ref("aws_launch_configuration"),
                               "a launch configuration")
            if isinstance(got, _ResItem):
                lc = got.res
            elif isinstance(got, _Lit) and isinstance(got.value, str):
                lc = next((r for r in self.by_type.get("aws_launch_configuration", [])
                           if r.values.get("name") == got.value), None)
            present = True
            if lc is None:
                lt_why = got if isinstance(got, Unknown) else Unknown(
                    f"launch configuration {lc_name} is not in the plan", _where(a, ("launch_configuration",)))
        if not present:
            return  # no launch template: not read as a node group

        source_res = lt or lc
        ud_attr = "user_data" if lt is not None else (
            "user_data_base64" if lc is not None and lc.values.get("user_data_base64") else "user_data")
        text = self._user_data_text(source_res, ud_attr)
        cluster_name, signs = eks_tag_signs(tag.get("key") for tag in _asg_tags(v))
        if isinstance(text, str) and EKS_USER_DATA.search(text):
            signs = True
            m = re.search(r"/etc/eks/bootstrap\.sh\s+([A-Za-z0-9][A-Za-z0-9_-]*)", text)
            if m and cluster_name is None:
                cluster_name = m.group(1)
        if not signs and (isinstance(text, str) or text is None) and source_res is not None:
            return  # the user data is readable and shows no EKS bootstrap: not EKS nodes

        ng = NodeGroup(name=a, self_managed=True, location=self.loc(res))
        if cluster_name is not None:
            ids = self.clusters_by_name.get(cluster_name, [])
            ng.cluster = ids[0] if len(ids) == 1 else cluster_name
        tw = _where(a, ("mixed_instances_policy", 0, "launch_template", 0, "override"))
        over_types: list[Any] = []
        if isinstance(overrides, Unknown):
            ng.instance_types = Unknown(f"instance type overrides {AFTER_APPLY}", tw)
        elif isinstance(overrides, list):
            for i, o in enumerate(overrides):
                if not isinstance(o, dict):
                    continue
                if o.get("instance_requirements"):
                    ng.instance_types = Unknown("attribute-based instance type selection (instance_requirements)",
                                                tw)
                    break
                t = o.get("instance_type")
                if isinstance(t, (str, Unknown)) and t != "":
                    over_types.append(t)
        if not isinstance(ng.instance_types, Unknown):
            if over_types:
                ng.instance_types = over_types
            elif source_res is None:
                ng.instance_types = Unknown("the instance type comes from a launch template podcap cannot read "
                                            f"({lt_why.reason if lt_why else 'unknown'})", _where(a, lt_path))
            else:
                t = source_res.values.get("instance_type")
                if isinstance(t, str) and t:
                    ng.instance_types = [t]
                elif isinstance(t, Unknown):
                    ng.instance_types = [Unknown(f"instance_type {AFTER_APPLY}",
                                                 _where(source_res.address, ("instance_type",)))]
                else:
                    ng.instance_types = Unknown("no instance type in the group's launch template",
                                                _where(source_res.address, ("instance_type",)))

        subnets = self.subnet_list(res, ("vpc_zone_identifier",))
        ng.subnets = Unknown("no vpc_zone_identifier: the group launches in the default VPC",
                             _where(a, ("vpc_zone_identifier",))) if subnets is _MISSING else subnets
        sizes = dict(v)
        desired = sizes.get("desired_capacity")
        if desired is None or (isinstance(desired, Unknown) and not self._has_expression(res, ("desired_capacity",))):
            sizes["desired_capacity"] = sizes.get("min_size")  # AWS starts an ASG without one at its min size
        self._sizes(ng, sizes, ("min_size", "desired_capacity", "max_size"), a)
        if source_res is not None:
            if lc is not None and ud_attr == "user_data" and isinstance(lc.values.get("user_data"), str):
                ng.kubelet_max_pods = Unknown("a launch configuration's user_data is stored as a hash in the plan",
                                              _where(lc.address, ("user_data",)))
            else:
                ng.kubelet_max_pods = self._max_pods(source_res, ud_attr)
        elif lt_why is not None:
            ng.kubelet_max_pods = Unknown(f"user data of a launch template podcap cannot read: {lt_why.reason}",
                                          lt_why.where)
        self.plan.nodegroups.append(ng)

    # existing subnets ------------------------------------------------------------------------------------
    def _placeholders(self) -> None:
        for sid in referenced_subnet_ids(self.plan):
            if sid in self.plan.subnets:
                continue
            where, owner = self.referrers.get(sid, (sid, ""))
            if subnet_like(sid):
                reason = EXISTING_SUBNET
            elif sid in self.deleted:
                reason = f"{sid} is destroyed by this plan"
            else:
                reason = f"{sid!r} is neither a subnet the plan creates nor a subnet-… id; use --live"
            self.plan.subnets[sid] = Subnet(
                id=sid,
                cidr=Unknown(reason, where),
                az=Unknown(reason, where),
                defined_in_plan=False,
                aws_id=sid if subnet_like(sid) else None,
                location=Location(file=self.source, path=owner or sid),
            )


def _is_expression(node: Any) -> bool:
    """An attribute's expression ({references}, {constant_value}, or {} for one podcap cannot see into)."""
    return isinstance(node, dict) and ("references" in node or "constant_value" in node or not node)


def _is_subnet_ref(res: _Res, attr: tuple) -> bool:
    return res.type == "aws_subnet" and attr in ((), ("id",))


@cache
def _is_type_ref(rtype: str) -> Callable[[_Res, tuple], bool]:
    def accept(res: _Res, attr: tuple) -> bool:
        return res.type == rtype
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


def _asg_tags(values: dict) -> list[dict]:
    out: list[dict] = []
    for key in ("tag", "tags"):
        tags = values.get(key)
        if isinstance(tags, list):
            out.extend(t for t in tags if isinstance(t, dict))
        elif isinstance(tags, dict):  # a plain map on some providers / modules
            out.extend({"key": k, "value": v} for k, v in tags.items())
    return out
