"""Evaluate CloudFormation intrinsic functions as far as a template decides them, and no further.

:class:`Resolver` turns a property value into plain Python values where the template (its parameters'
defaults, ``--parameter K=V``, mappings, conditions, other resources' properties) decides it, and into
:class:`~podcap.model.unknown.Unknown` (with a reason and the JSON path) where it does not: a region
that was not given, an attribute known only after deployment, a parameter without a default, an import
from a stack outside the input. It never guesses.

Conventions:

* ``Ref`` to a resource gives its logical id (prefixed by ``id_prefix`` inside a CDK assembly) as a
  :class:`ResourceRef` (a ``str``): a subnet's Ref is the id the plan gives that subnet.
* ``Ref AWS::NoValue`` gives :data:`NO_VALUE`; a mapping key or list item that resolves to it is dropped,
  as CloudFormation does.
* ``Fn::GetAZs`` gives abstract AZ names ``az-0`` … ``az-5`` (distinct, never a real name: which real AZ
  is the n-th depends on the account).
* ``Fn::Base64`` gives its argument unchanged (its only use that matters here is user data, which podcap
  reads as text).
* ``Fn::If`` of an undecided condition is known when both branches are (and agree); each node of the
  template is resolved once (memoized), so trees that share branches cost their size, not their paths.
* ``Fn::ForEach`` (Transform ``AWS::LanguageExtensions``) is expanded before anything is read, by
  :func:`expand_language_extensions`; a loop over a collection the template does not decide is reported.
* Template errors CloudFormation itself would reject in a way that matters (conditions that refer to each
  other in a cycle, circular attribute references, ``Fn::Cidr`` asking for more blocks than fit, nesting
  beyond :data:`MAX_DEPTH`) raise :class:`InputError`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping

from podcap.model.unknown import Unknown
from podcap.sources.safe_yaml import InputError

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any, Self

MAX_DEPTH = 120  # nesting of intrinsic functions / references followed while resolving one value
GET_AZS_COUNT = 6  # the most AZs a region has (us-east-1)

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)


class _NoValue:
    """The one value of Ref AWS::NoValue (compare with ``is NO_VALUE``)."""

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


NO_VALUE = _NoValue()  # what Ref AWS::NoValue resolves to


class ResourceRef(str):
    """The logical id a ``Ref`` (or an id attribute) of a resource resolves to."""

    logical_id: str
    resource_type: str

    def __new__(cls, value: str, logical_id: str = "", resource_type: str = "") -> Self:
        obj = super().__new__(cls, value)
        obj.logical_id = logical_id or value
        obj.resource_type = resource_type
        return obj


class AzList(list):
    """The abstract result of Fn::GetAZs."""


def abstract_azs(n: int = GET_AZS_COUNT) -> AzList:
    return AzList(f"az-{i}" for i in range(n))


def cidr_blocks(ip_block: str, count: int, cidr_bits: int) -> list[str]:
    """Fn::Cidr exactly as CloudFormation computes it.

    ``cidr_bits`` is the number of host bits of each block: ``count`` consecutive blocks of prefix length
    ``32 - cidr_bits`` (IPv4) or ``128 - cidr_bits`` (IPv6) from the start of ``ip_block``. Raises
    ValueError when the arguments are invalid or the blocks do not fit.
    """
    try:
        net = ipaddress.ip_network(str(ip_block).strip(), strict=False)
    except ValueError:
        raise ValueError(f"{ip_block!r} is not a CIDR block") from None
    if isinstance(count, bool) or isinstance(cidr_bits, bool):
        raise ValueError("count and cidrBits must be numbers")
    if not 1 <= count <= 256:
        raise ValueError(f"count must be between 1 and 256, not {count}")
    prefix = net.max_prefixlen - cidr_bits
    if cidr_bits < 1 or prefix < 0:
        raise ValueError(f"cidrBits {cidr_bits} is not between 1 and {net.max_prefixlen}")
    if prefix < net.prefixlen:
        raise ValueError(
            f"cidrBits {cidr_bits} asks for /{prefix} blocks, larger than the /{net.prefixlen} block {net}"
        )
    fits = 1 << (prefix - net.prefixlen)
    if count > fits:
        raise ValueError(f"{count} blocks of /{prefix} do not fit in {net} (at most {fits})")
    size = 1 << cidr_bits
    base = int(net.network_address)
    cls = ipaddress.IPv4Network if net.version == 4 else ipaddress.IPv6Network
    return [str(cls((base + i * size, prefix))) for i in range(count)]


def uses_language_extensions(doc: Mapping[str, Any]) -> bool:
    """Whether the template declares Transform ``AWS::LanguageExtensions`` (alone or in a list)."""
    t = doc.get("Transform")
    names = t if isinstance(t, list) else [t]
    return "AWS::LanguageExtensions" in [str(n) for n in names if n is not None]


def _has_macro(doc: Mapping[str, Any]) -> bool:
    """Whether processing the template may add names to it: a Transform other than AWS::LanguageExtensions
    (AWS::Serverless, AWS::Include, an account's macro), or an Fn::Transform anywhere in it."""
    t = doc.get("Transform")
    if any(str(n) != "AWS::LanguageExtensions" for n in (t if isinstance(t, list) else [t]) if n is not None):
        return True
    stack: list[Any] = [doc]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if "Fn::Transform" in v:
                return True
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def first_unknown_deep(value: Any, limit: int = 10_000) -> Unknown | None:
    """The first Unknown anywhere inside value (lists and dicts), without recursion."""
    stack = [value]
    seen = 0
    while stack and seen < limit:
        v = stack.pop()
        seen += 1
        if isinstance(v, Unknown):
            return v
        if isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
    return None


def _norm(v: Any) -> Any:
    """How Fn::Equals compares: as CloudFormation's strings."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return tuple(_norm(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _norm(x)) for k, x in v.items()))
    return str(v) if isinstance(v, str) else v


def as_text(v: Any) -> str | None:
    """A scalar as CloudFormation would put it in a string (Fn::Join, Fn::Sub), or None."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float, str)):
        return str(v)
    return None


LITERAL_TYPES = (int, float, bool, type(None))  # the exact types of non-string literals (is_literal)


def is_literal(value: Any) -> bool:
    """Whether ``value`` is a literal that :meth:`Resolver.resolve` gives back unchanged whatever the
    template: a plain ``str`` that is no dynamic reference (``{{resolve:…}}``), a number, a boolean or null.

    Readers and the evaluator return such a value as written, without building the where-path only an
    Unknown would carry (most property values of a large template are literals)."""
    cls = value.__class__
    return (cls is str and "{{resolve:" not in value) or cls in LITERAL_TYPES


def as_int(v: Any, what: str, where: str, *, decimal_text: bool = True) -> int | Unknown:
    """A whole number from a number or a numeric string (parameters are strings).

    ``decimal_text``: a string such as ``"3.0"`` counts too; without it only digits do.
    """
    if isinstance(v, Unknown):
        return v
    if isinstance(v, bool):
        return Unknown(f"{what} is a boolean, not a number", where)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        s = v.strip()
        if len(s) > 40:  # int() stops at 4300 digits; no real size or count is anywhere near 40
            return Unknown(f"{what} is not a plausible whole number ({len(s)} characters)", where)
        if re.fullmatch(r"[+-]?\d+", s):
            return int(s)
        if decimal_text and re.fullmatch(r"[+-]?\d+\.0*", s):
            return int(float(s))
    return Unknown(f"{what} is not a whole number: {v!r}", where)


_INTRINSICS = {
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Split",
    "Fn::Select",
    "Fn::Cidr",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::FindInMap",
    "Fn::Base64",
    "Fn::Length",
    "Fn::ToJsonString",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::RefAll",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
    "Fn::Transform",
    "Fn::ForEach",
}

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
TOKEN_RE = re.compile(r"@@podcap-unknown-(\d+)@@")

Partial = dict  # token -> Unknown, while resolving text with unknown pieces kept as tokens


class Resolver:
    """Resolve the values of one CloudFormation template (see the module doc).

    ``fast_paths``: literals, Refs to resources and flat literal mappings are taken without the general
    evaluator's calls (:func:`is_literal`, :meth:`resource_ref`, :meth:`_flat_literal`), by the evaluator's
    loops and by the template readers. False runs the general evaluator alone; the tests hold the two
    equal on every template they have."""

    fast_paths = True

    def __init__(
        self,
        doc: Mapping[str, Any],
        *,
        source: str = "",
        parameters: Mapping[str, Any] | None = None,
        exports: Mapping[str, Any] | None = None,
        stack_name: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        id_prefix: str = "",
        where_prefix: str = "",
        nested_outputs: Callable[[str, str, str], Any] | None = None,
        undefined_names_fail: bool = False,
    ) -> None:
        self.doc = doc
        # a Ref or Fn::GetAtt naming nothing the template declares is an input error (the template as
        # CloudFormation deploys it, after any language-extension expansion), unless a macro may add it
        self.undefined_names_fail = undefined_names_fail
        self.source = source
        self.parameters_decl = _mapping(doc.get("Parameters"))
        self.mappings = _mapping(doc.get("Mappings"))
        self.conditions_decl = _mapping(doc.get("Conditions"))
        self.resources = _mapping(doc.get("Resources"))
        self.outputs = _mapping(doc.get("Outputs"))
        self.given: dict[str, Any] = dict(parameters or {})
        self.exports: Mapping[str, Any] = exports if exports is not None else {}
        self.stack_name = stack_name if stack_name is not None else self.given.get("AWS::StackName")
        self.region = region if region is not None else self.given.get("AWS::Region")
        self.account_id = account_id if account_id is not None else self.given.get("AWS::AccountId")
        self.id_prefix = id_prefix
        self.where_prefix = where_prefix
        self.nested_outputs = nested_outputs
        self.language_extensions = uses_language_extensions(doc)
        self._conditions: dict[str, bool | Unknown] = {}
        self._cond_stack: list[str] = []
        self._attr_cache: dict[tuple[str, str], Any] = {}
        self._attr_stack: list[tuple[str, str]] = []
        self._tokens = 0
        # resolved values of the template's own nodes (id -> (node, value)): a node reached again (an alias,
        # a shared Fn::If branch, a resource property read by several readers) is evaluated once
        self._memo: dict[int, tuple[Any, Any]] = {}
        self._resource_ids: dict[str, ResourceRef] = {}  # logical id -> its Ref (resource_id)

    # -- helpers ---------------------------------------------------------------------------------
    def w(self, path: str) -> str:
        """A where-path with this stack's prefix."""
        return f"{self.where_prefix}{path}"

    def error(self, where: str, message: str) -> InputError:
        return InputError(f"{self.source}: at {where}: {message}" if where else f"{self.source}: {message}")

    def resource_id(self, logical_id: str) -> ResourceRef:
        """The id a ``Ref`` to resource ``logical_id`` gives. It depends on nothing but the logical id (this
        stack's prefix and resource types are fixed), so each is made once per resolver: a large template
        refers to its VPC and subnets hundreds of times."""
        ref = self._resource_ids.get(logical_id)
        if ref is None:
            res = self.resources.get(logical_id)
            rtype = res.get("Type", "") if isinstance(res, dict) else ""
            ref = self._resource_ids[logical_id] = ResourceRef(f"{self.id_prefix}{logical_id}", logical_id,
                                                               str(rtype))
        return ref

    def resource_ref(self, value: Any) -> ResourceRef | None:
        """The value of ``{"Ref": X}`` when X is a resource of this template (neither a pseudo parameter nor
        a parameter), else None. It is ``resource_id(X)``, the very object the evaluator would give back, so
        readers and the evaluator's loops take it without a where-path or the evaluator's calls (most
        references of a large template name its VPC and subnets). Anything else goes the general way."""
        if value.__class__ is dict and len(value) == 1:
            name = value.get("Ref")
            if (name.__class__ is str and name in self.resources and name not in self.parameters_decl
                    and not name.startswith("AWS::")):
                return self.resource_id(name)
        return None

    def _flat_literal(self, value: dict) -> dict | None:
        """The value of a mapping that is no function and whose every value is a literal (a tag, a scaling
        config): a copy, memoized as :meth:`_resolve` memoizes it, without a where-path or a call per item;
        None for anything else. The caller makes sure the items are not past MAX_DEPTH."""
        hit = self._memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if len(value) == 1:
            key = next(iter(value))
            if key in _INTRINSICS or (isinstance(key, str) and key.startswith("Fn::")):
                return None
        for v in value.values():
            cls = v.__class__
            if not ((cls is str and "{{resolve:" not in v) or cls in LITERAL_TYPES):
                return None
        out = dict(value)
        self._memo[id(value)] = (value, out)
        return out

    def literal_list(self, value: list) -> list | None:
        """What :meth:`resolve` gives a list whose every item is a literal, a Ref to a resource of the
        template or a flat mapping of literals (a resource's Tags, its Subnets): the same items, memoized as
        resolve memoizes it, without a where-path or the evaluator's calls; None for any other list (then
        resolve decides, and nothing is memoized here)."""
        hit = self._memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        items = []
        for v in value:
            cls = v.__class__
            if (cls is str and "{{resolve:" not in v) or cls in LITERAL_TYPES:
                items.append(v)
            elif cls is dict and ((known := self.resource_ref(v)) is not None
                                  or (known := self._flat_literal(v)) is not None):
                items.append(known)
            else:
                return None
        self._memo[id(value)] = (value, items)
        return items

    # -- entry points ----------------------------------------------------------------------------
    def resolve(self, value: Any, where: str = "", depth: int = 0, partial: Partial | None = None) -> Any:
        """Resolve a template value; see the module doc. ``where`` is the value's JSON path."""
        try:
            return self._resolve(value, where, depth, partial)
        except RecursionError:
            raise self.error(where, "nested too deeply to evaluate") from None

    def resolve_text(self, value: Any, where: str = "") -> tuple[str | Unknown | Any, Partial]:
        """Resolve a string-valued expression keeping what is known: unknown pieces of Fn::Sub / Fn::Join
        become tokens ``@@podcap-unknown-N@@`` mapped to their Unknown in the returned dict."""
        partial: Partial = {}
        return self.resolve(value, where, 0, partial), partial

    def condition(self, name: str, where: str = "", depth: int = 0) -> bool | Unknown:
        """The value of a named condition: True, False or Unknown. Raises InputError on a cycle."""
        if name in self._conditions:
            return self._conditions[name]
        if name in self._cond_stack:
            cycle = self._cond_stack[self._cond_stack.index(name):] + [name]
            raise self.error(self.w(f"Conditions.{name}"), "conditions refer to each other in a cycle: "
                             + " -> ".join(cycle))
        if name not in self.conditions_decl:
            return Unknown(f"condition {name} is not defined in the template", where)
        self._cond_stack.append(name)
        try:
            value = self._cond_value(self.conditions_decl[name], self.w(f"Conditions.{name}"), depth + 1)
        except RecursionError:
            raise self.error(self.w(f"Conditions.{name}"), "nested too deeply to evaluate") from None
        finally:
            self._cond_stack.pop()
        if isinstance(value, Unknown) and not value.reason.startswith("condition "):
            value = Unknown(f"condition {name} cannot be decided: {value.reason}", value.where)
        self._conditions[name] = value
        return value

    def evaluate_all_conditions(self) -> dict[str, bool | Unknown]:
        """Evaluate every condition (CloudFormation checks them all, so a cycle is an error even unused)."""
        for name in self.conditions_decl:
            self.condition(str(name))
        return dict(self._conditions)

    def output(self, name: str) -> Any:
        """An output's value, resolved (NO_VALUE/absent -> Unknown)."""
        out = self.outputs.get(name)
        where = self.w(f"Outputs.{name}.Value")
        if not isinstance(out, dict) or "Value" not in out:
            return Unknown(f"output {name} is not defined", where)
        cond = out.get("Condition")
        if isinstance(cond, str):
            c = self.condition(cond, where)
            if c is False:
                return Unknown(f"output {name} is not created (condition {cond} is false)", where)
        v = self.resolve(out["Value"], where)
        return Unknown(f"output {name} has no value", where) if v is NO_VALUE else v

    # -- the evaluator ---------------------------------------------------------------------------
    def _resolve(self, value: Any, where: str, depth: int, partial: Partial | None) -> Any:
        if depth > MAX_DEPTH:
            raise self.error(where, f"intrinsic functions or references nested more than {MAX_DEPTH} deep")
        if partial is None and isinstance(value, (dict, list)):
            hit = self._memo.get(id(value))
            if hit is not None and hit[0] is value:
                return hit[1]
            result = self._evaluate(value, where, depth, None)
            self._memo[id(value)] = (value, result)  # the node is kept, so its id is not reused
            return result
        return self._evaluate(value, where, depth, partial)

    def _evaluate(self, value: Any, where: str, depth: int, partial: Partial | None) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref":  # the commonest function, as _function would dispatch it
                    return self._ref(arg, where, depth + 1)
                if key in _INTRINSICS or (isinstance(key, str) and key.startswith("Fn::")):
                    return self._function(key, arg, where, depth + 1, partial)
            # a literal item is its own value (is_literal, written out here: this loop is the hottest of a
            # large template), unless one level deeper is past MAX_DEPTH
            literal_ok = depth < MAX_DEPTH and self.fast_paths
            out: dict[str, Any] = {}
            for k, v in value.items():
                cls = v.__class__
                if literal_ok and ((cls is str and "{{resolve:" not in v) or cls in LITERAL_TYPES):
                    out[k] = v
                    continue
                if literal_ok and cls is dict and (ref := self.resource_ref(v)) is not None:
                    out[k] = ref
                    continue
                r = self._resolve(v, f"{where}.{k}" if where else str(k), depth + 1, None)
                if r is not NO_VALUE:
                    out[k] = r
            return out
        if isinstance(value, list):
            literal_ok = depth < MAX_DEPTH and self.fast_paths
            flat_ok = literal_ok and depth + 1 < MAX_DEPTH  # a flat mapping's items are two levels down
            items = []
            for i, v in enumerate(value):
                cls = v.__class__
                if literal_ok and ((cls is str and "{{resolve:" not in v) or cls in LITERAL_TYPES):
                    items.append(v)
                    continue
                if literal_ok and cls is dict and (ref := self.resource_ref(v)) is not None:
                    items.append(ref)
                    continue
                if flat_ok and cls is dict and (flat := self._flat_literal(v)) is not None:
                    items.append(flat)
                    continue
                r = self._resolve(v, f"{where}[{i}]", depth + 1, None)
                if r is not NO_VALUE:
                    items.append(r)
            return items
        if isinstance(value, str) and "{{resolve:" in value:
            return Unknown(f"dynamic reference {value[:120]!r} is resolved at deployment", where)
        return value

    def _token(self, unk: Unknown, partial: Partial) -> str:
        self._tokens += 1
        tok = f"@@podcap-unknown-{self._tokens}@@"
        partial[tok] = unk
        return tok

    def _function(self, key: str, arg: Any, where: str, depth: int, partial: Partial | None) -> Any:
        if key == "Ref":
            return self._ref(arg, where, depth)
        if key == "Fn::GetAtt":
            return self._getatt(arg, where, depth)
        if key == "Fn::Sub":
            return self._sub(arg, where, depth, partial)
        if key == "Fn::Join":
            return self._join(arg, where, depth, partial)
        if key == "Fn::Split":
            return self._split(arg, where, depth)
        if key == "Fn::Select":
            return self._select(arg, where, depth)
        if key == "Fn::Cidr":
            return self._cidr(arg, where, depth)
        if key == "Fn::GetAZs":
            return abstract_azs()  # of the stack's region or a named one: podcap never knows the real names
        if key == "Fn::If":
            return self._if(arg, where, depth, partial)
        if key == "Fn::ImportValue":
            return self._import(arg, where, depth)
        if key == "Fn::FindInMap":
            return self._find_in_map(arg, where, depth)
        if key == "Fn::Base64":
            return self._resolve(arg, where, depth, partial)
        if key == "Fn::Length":
            v = self._resolve(arg, where, depth, None)
            if isinstance(v, Unknown):
                return v
            if isinstance(v, list):
                return len(v)
            return Unknown("Fn::Length of something that is not a list", where)
        if key == "Fn::ToJsonString":
            v = self._resolve(arg, where, depth, None)
            unk = first_unknown_deep(v)
            if unk is not None:
                return unk if not unk.where else Unknown(unk.reason, unk.where)
            return json.dumps(v, separators=(",", ":"))
        if key in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            v = self._cond_value({key: arg}, where, depth)
            return v
        return Unknown(f"{key} is not evaluated by podcap", where)

    # Ref -----------------------------------------------------------------------------------------
    def _ref(self, arg: Any, where: str, depth: int) -> Any:
        name = self._resolve(arg, where, depth, None) if not isinstance(arg, str) else arg
        if isinstance(name, Unknown):
            return name
        if not isinstance(name, str):
            return Unknown(f"Ref to {name!r}, which is not a name", where)
        if name.startswith("AWS::"):
            return self._pseudo(name, where)
        if name in self.parameters_decl:
            return self.parameter(name, where)
        if name in self.resources:
            return self.resource_id(name)
        self._undefined(f"Ref to {name}", where)
        return Unknown(f"Ref to {name}, which is neither a parameter nor a resource of this template", where)

    def _undefined(self, what: str, where: str) -> None:
        """CloudFormation's template validation rejects a Ref or Fn::GetAtt to an undeclared name ("Template
        format error: Unresolved resource dependencies [X] in the Resources block of the template"; "Template
        error: instance of Fn::GetAtt references undefined resource X"): exit 2, as for any template it refuses.
        A template with a macro (a Transform other than AWS::LanguageExtensions, or Fn::Transform anywhere)
        may gain the name when it is processed: that stays a PC001 warning, as it does in a resource's Metadata
        (podcap's own keys there; CloudFormation does not validate what the Metadata attribute holds)."""
        if self.undefined_names_fail and ".Metadata" not in where and not _has_macro(self.doc):
            raise InputError(f"{self.source}: at {where}: {what}, which the template does not declare (neither "
                             "a parameter nor a resource): CloudFormation rejects the template")

    def _pseudo(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::Region":
            return self.region if self.region else Unknown(
                "the region is not known; pass --parameter AWS::Region=...", where)
        if name == "AWS::AccountId":
            return self.account_id if self.account_id else Unknown(
                "the account id is not known; pass --parameter AWS::AccountId=...", where)
        if name == "AWS::StackName":
            return self.stack_name if self.stack_name else Unknown(
                "the stack name is not known; pass --parameter AWS::StackName=...", where)
        if name in ("AWS::Partition", "AWS::URLSuffix"):
            given = self.given.get(name)
            if given:
                return given
            if not self.region:
                return Unknown(f"{name} depends on the region, which is not known; "
                               "pass --parameter AWS::Region=...", where)
            region = str(self.region)
            partition = "aws-cn" if region.startswith("cn-") else (
                "aws-us-gov" if region.startswith("us-gov-") else "aws")
            if name == "AWS::Partition":
                return partition
            return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        if name in ("AWS::StackId", "AWS::NotificationARNs"):
            return Unknown(f"{name} is known only at deployment", where)
        return Unknown(f"{name} is not a CloudFormation pseudo parameter", where)

    def parameter(self, name: str, where: str = "") -> Any:
        decl = self.parameters_decl.get(name)
        decl = decl if isinstance(decl, dict) else {}
        ptype = str(decl.get("Type", "String"))
        if ptype.startswith("AWS::SSM::Parameter::Value<"):
            src = self.given.get(name, decl.get("Default"))
            return Unknown(f"parameter {name} is read from SSM parameter {src!r} at deployment"
                           if src is not None else f"parameter {name} is read from SSM at deployment", where)
        if name in self.given:
            raw = self.given[name]
        elif "Default" in decl:
            raw = decl["Default"]
        else:
            return Unknown(f"parameter {name} has no default; pass --parameter {name}=...", where)
        if isinstance(raw, (Unknown, ResourceRef, list)):
            return raw  # nested-stack parameters arrive resolved
        text = as_text(raw)
        if text is None:
            return Unknown(f"parameter {name} has a value that is not a string: {raw!r}", where)
        if ptype.startswith("List<") or ptype == "CommaDelimitedList":
            return [s.strip() for s in text.split(",")] if text.strip() else []
        return text

    def undeclared(self, names: Any) -> list[str]:
        """The names among ``names`` that are neither parameters of the template nor pseudo parameters."""
        return [str(n) for n in names if not str(n).startswith("AWS::") and str(n) not in self.parameters_decl]

    def check_given_parameters(self) -> None:
        """--parameter values must be allowed by AllowedValues (CloudFormation would refuse them)."""
        for name, raw in self.given.items():
            decl = self.parameters_decl.get(name)
            if not isinstance(decl, dict) or "AllowedValues" not in decl:
                continue
            allowed = decl.get("AllowedValues")
            text = as_text(raw)
            if not isinstance(allowed, list) or text is None:
                continue
            if text not in {as_text(a) for a in allowed}:
                shown = ", ".join(str(as_text(a)) for a in allowed[:20]) + (" …" if len(allowed) > 20 else "")
                raise self.error(self.w(f"Parameters.{name}"),
                                 f"--parameter {name}={text} is not one of the allowed values: {shown}")

    # Fn::GetAtt -----------------------------------------------------------------------------------
    def _getatt(self, arg: Any, where: str, depth: int) -> Any:
        if isinstance(arg, str):
            if "." not in arg:
                return Unknown(f"Fn::GetAtt {arg!r} is not RESOURCE.ATTRIBUTE", where)
            res, attr = arg.split(".", 1)
        elif isinstance(arg, list) and len(arg) == 2:
            res = self._getatt_logical_name(arg[0], where, depth)
            if isinstance(res, Unknown):
                return res
            attr = self._resolve(arg[1], where, depth, None)
            if isinstance(attr, Unknown):
                return attr
        else:
            return Unknown("Fn::GetAtt takes [RESOURCE, ATTRIBUTE]", where)
        if not isinstance(res, str) or not isinstance(attr, str):
            return Unknown("Fn::GetAtt takes [RESOURCE, ATTRIBUTE] names", where)
        return self.get_att(res, attr, where, depth)

    def _getatt_logical_name(self, raw: Any, where: str, depth: int) -> Any:
        """The logical name of an ``Fn::GetAtt``. Under Transform ``AWS::LanguageExtensions`` it may be an
        intrinsic function (CloudFormation template reference, Fn::GetAtt and AWS::LanguageExtensions: "you
        can use intrinsic functions as a parameter to Ref and Fn::GetAtt"; the Fn::ForEach Outputs example
        writes ``Fn::GetAtt: [{Fn::Sub: "S3Bucket${Identifier}"}, ...]``), which the transform resolves
        before deployment: to a name, or the template is rejected."""
        if isinstance(raw, str) or not isinstance(raw, (dict, list)):
            return raw
        if not self.language_extensions:
            return Unknown("Fn::GetAtt's logical name is an intrinsic function, which CloudFormation accepts only "
                           "under Transform AWS::LanguageExtensions", where)
        name = self._resolve(raw, where, depth, None)
        if isinstance(name, Unknown):
            return Unknown(f"Fn::GetAtt's logical name is not known: {name.reason}", name.where or where)
        if isinstance(name, ResourceRef):
            # a resource's Ref is its physical id, known only at deployment: never a logical name
            return Unknown(f"Fn::GetAtt's logical name is the Ref of resource {name.logical_id}, a physical id "
                           "known at deployment, not a logical name", where)
        return name

    def get_att(self, res: str, attr: str, where: str, depth: int = 0) -> Any:
        resource = self.resources.get(res)
        if not isinstance(resource, dict):
            if res not in self.resources:
                self._undefined(f"Fn::GetAtt of {res}", where)
            return Unknown(f"Fn::GetAtt of {res}, which is not a resource of this template", where)
        key = (res, attr)
        if key in self._attr_cache:
            return self._attr_cache[key]
        if key in self._attr_stack:
            cycle = self._attr_stack[self._attr_stack.index(key):] + [key]
            raise self.error(where, "circular reference: " + " -> ".join(f"{r}.{a}" for r, a in cycle))
        self._attr_stack.append(key)
        try:
            value = self._attr_value(res, resource, attr, where, depth + 1)
        finally:
            self._attr_stack.pop()
        self._attr_cache[key] = value
        return value

    def _prop(self, res: str, resource: dict, name: str, depth: int) -> Any:
        props = resource.get("Properties")
        path = self.w(f"Resources.{res}.Properties.{name}")
        if not isinstance(props, dict):
            return NO_VALUE
        if name not in props:
            return NO_VALUE
        return self._resolve(props[name], path, depth, None)

    def _attr_value(self, res: str, resource: dict, attr: str, where: str, depth: int) -> Any:
        rtype = str(resource.get("Type", ""))
        after = Unknown(f"{res}.{attr} ({rtype}) is known only after deployment", where)
        if rtype == "AWS::EC2::VPC":
            if attr == "CidrBlock":
                v = self._prop(res, resource, "CidrBlock", depth)
                if v is NO_VALUE:
                    return Unknown(f"VPC {res} gets its CIDR from IPAM at deployment", where)
                return v
            if attr == "VpcId":
                return self.resource_id(res)
            return after
        if rtype == "AWS::EC2::Subnet":
            if attr == "SubnetId":
                return self.resource_id(res)
            if attr in ("CidrBlock", "VpcId", "AvailabilityZone", "AvailabilityZoneId"):
                v = self._prop(res, resource, attr, depth)
                if v is NO_VALUE:
                    return Unknown(f"subnet {res} does not state its {attr}; EC2 decides it", where)
                return v
            return after
        if rtype == "AWS::EC2::LaunchTemplate" and attr == "LaunchTemplateId":
            return self.resource_id(res)
        if rtype == "AWS::EC2::SecurityGroup" and attr == "GroupId":
            return self.resource_id(res)
        if rtype == "AWS::CloudFormation::Stack" and attr.startswith("Outputs.") and self.nested_outputs:
            return self.nested_outputs(res, attr[len("Outputs."):], where)
        if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
            return Unknown(f"{res}.{attr} is computed by a custom resource at deployment", where)
        return after

    # Fn::Sub / Fn::Join / Fn::Split / Fn::Select ---------------------------------------------------
    def _piece(self, v: Any, what: str, where: str, partial: Partial | None) -> str | Unknown:
        if isinstance(v, Unknown):
            return self._token(v, partial) if partial is not None else v
        if v is NO_VALUE:
            return ""
        text = as_text(v)
        if text is None:
            unk = Unknown(f"{what} is not a string: {_short(v)}", where)
            return self._token(unk, partial) if partial is not None else unk
        return text

    def _sub(self, arg: Any, where: str, depth: int, partial: Partial | None) -> Any:
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], dict):
                return Unknown("Fn::Sub takes a string or [string, {variables}]", where)
            template = self._resolve(arg[0], where, depth, None)
            raw_vars = arg[1]
        else:
            template, raw_vars = arg, {}
        if isinstance(template, Unknown):
            return template
        if not isinstance(template, str):
            return Unknown("Fn::Sub of something that is not a string", where)
        variables = {k: self._resolve(v, f"{where}.{k}", depth, partial) for k, v in raw_vars.items()}
        failed: list[Unknown] = []

        def repl(m: re.Match) -> str:
            raw = m.group(1)
            if raw.startswith("!"):
                return "${" + raw[1:] + "}"  # ${!Literal} stays literal
            name = raw.strip()
            if name in variables:
                v = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                res, attr = name.split(".", 1)
                v = self.get_att(res, attr, where, depth)
            else:
                v = self._ref(name, where, depth)
            piece = self._piece(v, f"${{{name}}}", where, partial)
            if isinstance(piece, Unknown):
                failed.append(piece)
                return ""
            return piece

        text = _SUB_VAR.sub(repl, template)
        if failed:
            return failed[0]
        if "{{resolve:" in text and partial is None:
            return Unknown(f"dynamic reference in {text[:120]!r} is resolved at deployment", where)
        return text

    def _join(self, arg: Any, where: str, depth: int, partial: Partial | None) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Join takes [delimiter, [values]]", where)
        delim = self._resolve(arg[0], where, depth, None)
        if isinstance(delim, Unknown):
            return delim
        delim = as_text(delim)
        if delim is None:
            return Unknown("Fn::Join delimiter is not a string", where)
        items = arg[1]
        if isinstance(items, list):
            values = []
            for it in items:
                r = self._resolve(it, where, depth, partial)
                if r is not NO_VALUE:
                    values.append(r)
        else:
            values = self._resolve(items, where, depth, None)
            if isinstance(values, Unknown):
                return self._token(values, partial) if partial is not None else values
            if not isinstance(values, list):
                return Unknown("Fn::Join of something that is not a list", where)
        pieces = []
        for v in values:
            p = self._piece(v, "an Fn::Join item", where, partial)
            if isinstance(p, Unknown):
                return p
            pieces.append(p)
        return delim.join(pieces)

    def _split(self, arg: Any, where: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Split takes [delimiter, string]", where)
        delim = self._resolve(arg[0], where, depth, None)
        source = self._resolve(arg[1], where, depth, None)
        for v in (delim, source):
            if isinstance(v, Unknown):
                return v
        if not isinstance(delim, str) or not delim:
            return Unknown("Fn::Split delimiter is not a non-empty string", where)
        text = as_text(source)
        if text is None:
            return Unknown("Fn::Split of something that is not a string", where)
        return text.split(delim)

    def _select(self, arg: Any, where: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Select takes [index, list]", where)
        index = as_int(self._resolve(arg[0], where, depth, None), "Fn::Select index", where)
        if isinstance(index, Unknown):
            return index
        items = self._resolve(arg[1], where, depth, None)
        if isinstance(items, Unknown):
            return items
        if not isinstance(items, list):
            return Unknown("Fn::Select from something that is not a list", where)
        if not 0 <= index < len(items):
            if isinstance(items, AzList):
                return Unknown(f"Fn::Select index {index} of Fn::GetAZs: the region may not have "
                               f"{index + 1} AZs", where)
            return Unknown(f"Fn::Select index {index} is out of range for a list of {len(items)}", where)
        return items[index]

    def _cidr(self, arg: Any, where: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            return Unknown("Fn::Cidr takes [ipBlock, count, cidrBits]", where)
        block = self._resolve(arg[0], where, depth, None)
        count = as_int(self._resolve(arg[1], where, depth, None), "Fn::Cidr count", where)
        bits = as_int(self._resolve(arg[2], where, depth, None), "Fn::Cidr cidrBits", where)
        for v in (block, count, bits):
            if isinstance(v, Unknown):
                return v
        assert isinstance(count, int) and isinstance(bits, int)
        if not isinstance(block, str):
            return Unknown("Fn::Cidr ipBlock is not a string", where)
        try:
            return cidr_blocks(block, count, bits)
        except ValueError as e:
            raise self.error(where, f"Fn::Cidr [{block}, {count}, {bits}]: {e}") from None

    # Fn::If / conditions --------------------------------------------------------------------------
    def _if(self, arg: Any, where: str, depth: int, partial: Partial | None) -> Any:
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            return Unknown("Fn::If takes [condition, value-if-true, value-if-false]", where)
        c = self.condition(arg[0], where, depth)
        if c is True:
            return self._resolve(arg[1], where, depth, partial)
        if c is False:
            return self._resolve(arg[2], where, depth, partial)
        if arg[1] is arg[2] or arg[1] == arg[2]:  # one expression either way: its value is the answer
            return self._resolve(arg[1], where, depth, partial)
        unk = Unknown(f"the value depends on condition {arg[0]}: {c.reason}", where)
        a = self._resolve(arg[1], where, depth, None)
        if first_unknown_deep(a) is not None:  # an unknown branch: the value is unknown, b need not be read
            return self._token(unk, partial) if partial is not None else unk
        b = self._resolve(arg[2], where, depth, None)
        if first_unknown_deep(b) is None and _same(a, b):
            return a
        return self._token(unk, partial) if partial is not None else unk

    def _cond_value(self, expr: Any, where: str, depth: int) -> bool | Unknown:
        if depth > MAX_DEPTH:
            raise self.error(where, f"conditions nested more than {MAX_DEPTH} deep")
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str) and expr.lower() in ("true", "false"):
            return expr.lower() == "true"
        if not isinstance(expr, dict) or len(expr) != 1:
            v = self._resolve(expr, where, depth + 1, None)
            if isinstance(v, Unknown):
                return v
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.lower() in ("true", "false"):
                return v.lower() == "true"
            return Unknown(f"{_short(expr)} is not a condition", where)
        (key, arg), = expr.items()
        if key == "Condition":
            if not isinstance(arg, str):
                return Unknown("Condition takes a condition name", where)
            return self.condition(arg, where, depth + 1)
        if key == "Fn::Equals":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("Fn::Equals takes two values", where)
            a = self._resolve(arg[0], where, depth + 1, None)
            b = self._resolve(arg[1], where, depth + 1, None)
            for v in (a, b):
                unk = first_unknown_deep(v)
                if unk is not None:
                    return unk
            return _norm(a) == _norm(b)
        if key in ("Fn::And", "Fn::Or"):
            if not isinstance(arg, list) or not arg:
                return Unknown(f"{key} takes a list of conditions", where)
            values = [self._cond_value(x, where, depth + 1) for x in arg]
            unknowns = [v for v in values if isinstance(v, Unknown)]
            if key == "Fn::And":
                if any(v is False for v in values):
                    return False
            else:
                if any(v is True for v in values):
                    return True
            if unknowns:
                return unknowns[0]
            return key == "Fn::And"
        if key == "Fn::Not":
            inner = arg[0] if isinstance(arg, list) and len(arg) == 1 else arg
            v = self._cond_value(inner, where, depth + 1)
            return v if isinstance(v, Unknown) else not v
        if key == "Fn::If":
            v = self._if(arg, where, depth + 1, None)
            return self._cond_value(v, where, depth + 1) if not isinstance(v, Unknown) else v
        if key == "Fn::Contains":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("Fn::Contains takes [list, value]", where)
            lst = self._resolve(arg[0], where, depth + 1, None)
            val = self._resolve(arg[1], where, depth + 1, None)
            for v in (lst, val):
                unk = first_unknown_deep(v)
                if unk is not None:
                    return unk
            if not isinstance(lst, list):
                return Unknown("Fn::Contains of something that is not a list", where)
            return _norm(val) in {_norm(x) for x in lst}
        v = self._resolve(expr, where, depth + 1, None)
        if isinstance(v, bool):
            return v
        if isinstance(v, Unknown):
            return v
        return Unknown(f"{key} is not a condition function podcap evaluates", where)

    # Fn::ImportValue / Fn::FindInMap --------------------------------------------------------------
    def _import(self, arg: Any, where: str, depth: int) -> Any:
        name = self._resolve(arg, where, depth, None)
        if isinstance(name, Unknown):
            return Unknown(f"Fn::ImportValue of an export whose name is not known ({name.reason})", where)
        if not isinstance(name, str):
            return Unknown("Fn::ImportValue of something that is not a name", where)
        if name not in self.exports:
            return Unknown(f"Fn::ImportValue {name!r}: an export from a stack not in the input; check the "
                           "exporting stack's template with this one (or the whole cdk.out), or use --live", where)
        v = self.exports[name]
        if callable(v):
            v = v()
        if isinstance(v, Unknown) and not v.where:
            v = Unknown(v.reason, where)
        return v

    def _find_in_map(self, arg: Any, where: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) not in (3, 4):
            return Unknown("Fn::FindInMap takes [map, top-level key, second-level key]", where)
        keys = [self._resolve(a, where, depth, None) for a in arg[:3]]
        default = None
        if len(arg) == 4:
            d = arg[3]
            if isinstance(d, dict) and "DefaultValue" in d:
                default = self._resolve(d["DefaultValue"], where, depth, None)
        for k in keys:
            if isinstance(k, Unknown):
                return k if default is None else Unknown(k.reason, k.where)
        k0, k1, k2 = (as_text(k) for k in keys)
        m = self.mappings.get(k0) if k0 is not None else None
        top = m.get(k1) if isinstance(m, dict) and k1 is not None else None
        if isinstance(top, dict) and k2 is not None and k2 in top:
            return self._resolve(top[k2], where, depth, None)
        if default is not None:
            return default
        return Unknown(f"Fn::FindInMap: mapping {k0}/{k1}/{k2} is not in the template", where)


def _same(a: Any, b: Any) -> bool:
    try:
        return _norm(a) == _norm(b)
    except TypeError:
        return False


def _short(v: Any, limit: int = 80) -> str:
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mapping(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


# -- Transform AWS::LanguageExtensions: Fn::ForEach ---------------------------------------------------

FOR_EACH = "Fn::ForEach::"
MAX_FOR_EACH_ITEMS = 10_000  # what one template may expand to (CloudFormation's own limits are far lower)
# a pattern's text: re compiles it at its first use (docs/architecture.md, Start-up)
_KEY_VAR = r"([$&])\{([^}]*)\}"


def expand_language_extensions(doc: Mapping[str, Any], resolver: Resolver) -> tuple[dict, list[tuple[str, Unknown]]]:
    """``Fn::ForEach::Name: [Identifier, Collection, {OutputKey: Fragment}]`` expanded as CloudFormation's
    ``AWS::LanguageExtensions`` transform does: one copy of the fragment per collection item, with
    ``${Identifier}`` (the item) and ``&{Identifier}`` (the item without non-alphanumeric characters) in
    output keys, ``${Identifier}`` in ``Fn::Sub`` strings and ``Ref: Identifier`` replaced; loops nest.
    Loops in ``Resources``, ``Conditions``, ``Outputs`` and inside a resource's mappings are expanded.

    Returns the expanded document and, for each loop whose collection the template does not decide, a
    ``(where, Unknown)``: what that loop makes is not in the document, and is reported, never passed.
    """
    problems: list[tuple[str, Unknown]] = []
    budget = [MAX_FOR_EACH_ITEMS]
    out = dict(doc)
    for section in ("Conditions", "Resources", "Outputs"):
        sec = doc.get(section)
        if isinstance(sec, dict):
            out[section] = _expand_deep(sec, {}, resolver, section, problems, budget)
    return out, problems


def _expand_deep(value: Any, bindings: dict[str, str], resolver: Resolver, where: str,
                 problems: list[tuple[str, Unknown]], budget: list[int]) -> Any:
    if isinstance(value, list):
        return [_expand_deep(v, bindings, resolver, f"{where}[{i}]", problems, budget) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if not (isinstance(k, str) and k.startswith(FOR_EACH)):
            out[k] = _expand_deep(v, bindings, resolver, f"{where}.{k}", problems, budget)
            continue
        loop = f"{where}.{k}"
        if not (isinstance(v, list) and len(v) == 3 and isinstance(v[0], str) and isinstance(v[2], dict)):
            problems.append((loop, Unknown(f"{k} is not [identifier, collection, {{key: fragment}}]; what it "
                                           "makes is not read", loop)))
            continue
        ident, collection, fragment = v
        items = resolver.resolve(_substitute(collection, bindings), loop)
        unknown = items if isinstance(items, Unknown) else first_unknown_deep(items)
        if unknown is not None or not isinstance(items, list):
            why = unknown.reason if unknown is not None else "it is not a list"
            problems.append((loop, Unknown(f"the collection of {k} is not known ({why}); the resources it "
                                           "makes are not read", loop)))
            continue
        for item in items:
            text = as_text(item)
            if text is None:
                problems.append((loop, Unknown(f"an item of {k} is not a string: {_short(item)}", loop)))
                continue
            budget[0] -= 1
            if budget[0] < 0:
                raise resolver.error(loop, f"Fn::ForEach expands to more than {MAX_FOR_EACH_ITEMS} items")
            inner = {**bindings, ident: text}
            made = _substitute(fragment, inner, keys=True)
            for mk, mv in _expand_deep(made, inner, resolver, loop, problems, budget).items():
                if mk in out:
                    raise resolver.error(loop, f"{k} makes {mk!r}, which already exists")
                out[mk] = mv
    return out


def _substitute(value: Any, bindings: Mapping[str, str], keys: bool = False) -> Any:
    """A copy of ``value`` with the loop identifiers replaced (see expand_language_extensions)."""
    if not bindings:
        return value
    if isinstance(value, list):
        return [_substitute(v, bindings) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (k, arg), = value.items()
        if k == "Ref" and isinstance(arg, str) and arg in bindings:
            return bindings[arg]
        if k == "Fn::Sub":
            if isinstance(arg, str):
                return {k: _sub_text(arg, bindings)}
            if isinstance(arg, list) and arg and isinstance(arg[0], str):
                return {k: [_sub_text(arg[0], bindings), *_substitute(arg[1:], bindings)]}
    out = {}
    for k, v in value.items():
        nk = re.sub(_KEY_VAR, lambda m: _key_piece(m, bindings), k) if isinstance(k, str) else k
        out[nk] = _substitute(v, bindings)
    return out


def _key_piece(m: re.Match, bindings: Mapping[str, str]) -> str:
    name = m.group(2).strip()
    if name not in bindings:
        return m.group(0)
    return bindings[name] if m.group(1) == "$" else re.sub(r"[^A-Za-z0-9]", "", bindings[name])


def _sub_text(text: str, bindings: Mapping[str, str]) -> str:
    return _SUB_VAR.sub(lambda m: bindings.get(m.group(1).strip(), m.group(0)) if not m.group(1).startswith("!")
                        else m.group(0), text)


def untokenize(text: str, partial: Partial) -> tuple[str, list[Unknown]]:
    """The Unknowns behind the tokens in text (and text unchanged)."""
    return text, [partial[m.group(0)] for m in TOKEN_RE.finditer(text) if m.group(0) in partial]
