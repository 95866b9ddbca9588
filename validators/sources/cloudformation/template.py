"""One template (one stack) -> the plan: reading the file, parameters and conditions (through the
:class:`~podcap.sources.intrinsics.Resolver`), ``Fn::ForEach`` expansion, podcap ``Metadata``, the
:class:`StackBuilder` that hands each resource to its reader (``READERS`` in the package), nested stacks,
and :func:`finalize`, which links what several stacks share."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache

from podcap.model.plan import Cluster, FargateProfile, Location, NodeGroup, Plan, Subnet, Suppression
from podcap.model.unknown import Unknown
from podcap.sources._common import referenced_subnet_ids, subnet_like, unknown_key
from podcap.sources.cloudformation.base import (
    EXISTING_SUBNET,
    BuilderBase,
    Pending,
    add_note,
    as_dict,
)
from podcap.sources.cloudformation.network import mark_public_subnets
from podcap.sources.intrinsics import (
    NO_VALUE,
    Resolver,
    ResourceRef,
    as_int,
    expand_language_extensions,
    uses_language_extensions,
)
from podcap.sources.safe_yaml import InputError, decode_text, load_document, load_json, make_loader, read_file

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

MAX_NESTED_STACK_DEPTH = 8
# a pattern's text: re compiles it at its first use (docs/architecture.md, Start-up)
RULE_ID = r"PC\d{3}"
MIN_REASON = 10
# Metadata.podcap demand keys: what each bounds, and the least value that makes sense
DEMAND_KEYS = {"pods_per_node": 1, "max_nodes": 1, "pods": 1, "sgp_pods_per_node": 0}
PODCAP_METADATA_KEYS = ("suppress", *DEMAND_KEYS)


# -- reading ------------------------------------------------------------------------------------


def _short_form(loader: Any, suffix: str, node: Any) -> dict:
    """``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub …`` -> ``{"Fn::Sub": …}``.

    PyYAML is imported here, when a YAML template is read, not with the module: a JSON template never
    needs it."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    if isinstance(node, ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        value = None
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        res, _, attr = value.partition(".")
        return {"Fn::GetAtt": [res, attr]}
    return {f"Fn::{suffix}": value}


@lru_cache(maxsize=1)
def cfn_loader() -> type:
    """The hardened YAML loader that also reads CloudFormation short-form tags (``!Ref``, ``!Sub`` …)."""
    return make_loader({"!*": _short_form}, name="CloudFormationLoader")  # type: ignore[dict-item]


def read_template(path: str) -> tuple[dict, dict[str, int]]:
    """Parse a template file; returns the document and a map of JSON paths (``Resources.X``) to lines.

    A JSON template is parsed once, by the json module; the lines of its resources come from one scan of
    the text (composing it a second time as YAML, for the marks, costs seconds on a large template).
    """
    text = decode_text(read_file(path), path)
    if path.lower().endswith(".json") or text.lstrip().startswith("{"):
        doc = load_json(text, path)
        res = doc.get("Resources") if isinstance(doc, dict) else None
        lines = json_resource_lines(text, [str(k) for k in res]) if isinstance(res, dict) else {}
    else:
        doc, lines, _text, _is_json = load_document(path, loader=cfn_loader())
    _check_template(doc, path)
    return doc, lines


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]')


def json_resource_lines(text: str, ids: list[str] | None = None) -> dict[str, int]:
    """``Resources.<id>`` -> line, for the keys of the top-level ``Resources`` object of a JSON text; keys of
    the same name deeper down are not taken.

    A pretty-printed template (every generator writes one) is read by the indentation of its resource keys,
    in one regular-expression pass; when that does not find exactly ``ids``, one pass over the strings and
    brackets of the text decides.
    """
    if ids is not None:
        if text.find("\n", 0, len(text.rstrip())) < 0:  # compact JSON on one line: every key is on line 1
            return {f"Resources.{i}": 1 for i in ids}
        by_indent = _indented_resource_lines(text, ids)
        if by_indent is not None:
            return by_indent
    return _scanned_resource_lines(text)


def _indented_resource_lines(text: str, ids: list[str]) -> dict[str, int] | None:
    head = re.search(r'^([ \t]*)"Resources"\s*:\s*\{[ \t]*\r?\n', text, re.MULTILINE)
    if head is None:
        return None
    first = re.compile(r'([ \t]*)"').match(text, head.end())
    if first is None or len(first.group(1)) <= len(head.group(1)):
        return None
    start = head.end() - 1  # a line start is found as the newline before it (head.end() follows one)
    # the object ends at the first line back at the indentation of "Resources" (its "}" or the next key)
    back = f"\n{head.group(1)}"
    ends = [e for e in (text.find(f"{back}}}", start), text.find(f'{back}"', start)) if e >= 0]
    stop = min(ends) + 1 if ends else len(text)
    # one pattern led by the literal newline, indentation and opening quote, so the regular-expression engine
    # skips to each candidate line start (its literal-prefix search) instead of trying ``^`` at every
    # character; a candidate whose key does not match is passed over, the next one tried (leftmost first,
    # no overlaps)
    key = re.compile(f'\n{re.escape(first.group(1))}"((?:[^"\\\\]|\\\\.)*)"\\s*:')
    out: dict[str, int] = {}
    line, last = text.count("\n", 0, head.end()) + 1, head.end()
    count = text.count
    for m in key.finditer(text, start, stop):
        at = m.start() + 1
        line += count("\n", last, at)
        last = at
        out.setdefault(f"Resources.{m.group(1)}", line)
    return out if len(out) == len(ids) and all(f"Resources.{i}" in out for i in ids) else None


def _scanned_resource_lines(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    start = text.find('"Resources"')
    if start < 0:
        return out
    depth = 0
    in_resources_at: int | None = None  # depth of the Resources object while inside it
    pending_key: str | None = None
    line, last = 1, 0
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group(0)
        if tok[0] == '"':
            after = text[m.end():m.end() + 8].lstrip()
            if not after.startswith(":"):
                continue
            key = tok[1:-1]
            if depth == 1:
                pending_key = key
            elif in_resources_at is not None and depth == in_resources_at:
                line += text.count("\n", last, m.start())
                last = m.start()
                out.setdefault(f"Resources.{key}", line)
        elif tok in "{[":
            depth += 1
            if depth == 2 and pending_key == "Resources" and tok == "{" and in_resources_at is None:
                in_resources_at = 2
            pending_key = None if depth > 1 else pending_key
        else:
            if in_resources_at is not None and depth == in_resources_at:
                in_resources_at = -1  # left it: the first Resources object counts
            depth -= 1
    return out


def _check_template(doc: Any, source: str) -> None:
    if not isinstance(doc, dict):
        raise InputError(f"{source}: not a CloudFormation template (expected a mapping with Resources)")
    res = doc.get("Resources")
    if not isinstance(res, dict):
        raise InputError(f"{source}: not a CloudFormation template (no Resources mapping)")


# -- public entry points --------------------------------------------------------------------------


def load_template(
    path: str,
    parameters: Mapping[str, str] | None = None,
    exports: Mapping[str, Any] | None = None,
    *,
    stack_name: str | None = None,
) -> Plan:
    """Read a CloudFormation template file into a Plan (kind "cloudformation").

    ``parameters``: ``--parameter K=V`` values (pseudo parameters such as ``AWS::Region`` too); they
    override parameter defaults. ``exports``: export name -> value, for ``Fn::ImportValue``.
    """
    doc, lines = read_template(path)
    return plan_from_template(doc, path, parameters, exports, stack_name, lines=lines,
                              base_dir=os.path.dirname(os.path.abspath(path)))


def plan_from_template(
    doc: dict,
    source: str,
    parameters: Mapping[str, Any] | None = None,
    exports: Mapping[str, Any] | None = None,
    stack_name: str | None = None,
    *,
    lines: dict[str, int] | None = None,
    base_dir: str | None = None,
) -> Plan:
    """Build the Plan of an already parsed template (a dict such as a CDK stack's ``toJsonString``)."""
    _check_template(doc, source)
    plan = Plan(source=source, kind="cloudformation")
    pending = Pending()
    builder = StackBuilder(plan, pending, doc, source, parameters=parameters, exports=exports,
                           stack_name=stack_name, lines=lines, base_dir=base_dir,
                           check_parameters=list(parameters or {}))
    build_stacks([builder], plan, pending, source)
    return plan


def build_stacks(builders: list[StackBuilder], plan: Plan, pending: Pending, where: str) -> None:
    """Build every stack read into ``plan``, then resolve what they left pending (one template, the
    templates given together, a cloud assembly's stacks); a value nested past the interpreter's limit is
    one input error naming ``where``."""
    try:
        for b in builders:
            b.build()
        finalize(plan, pending)
    except RecursionError:
        raise InputError(f"{where}: nested too deeply to evaluate") from None


def undeclared_parameters(builders: list[StackBuilder], names: Any) -> list[str]:
    """The ``--parameter`` names no stack among ``builders`` declares (pseudo parameters aside): what
    :meth:`Resolver.undeclared` tells of one template, for stacks read together."""
    declared = {str(n) for b in builders for n in b.r.parameters_decl}
    return [str(n) for n in names or () if not str(n).startswith("AWS::") and str(n) not in declared]


# -- the builder ------------------------------------------------------------------------------------


def _declared(res: dict) -> list[str]:
    """The names a resource's DependsOn gives: one name, or a list (its items that are not names count for
    none)."""
    d = res.get("DependsOn")
    return [d] if isinstance(d, str) else [x for x in d if isinstance(x, str)] if isinstance(d, list) else []


def _named_by(rid: str, res: dict, resources: Mapping[str, Any]) -> set[str]:
    """The other resources of the template that resource ``rid`` names directly: its DependsOn, and the
    Ref, Fn::GetAtt and Fn::Sub in the rest of it."""
    deps = _references({k: v for k, v in res.items() if k != "DependsOn"})
    deps.update(_declared(res))
    return {x for x in deps if x in resources and x != rid}


def _references(value: Any) -> set[str]:
    """The names a value refers to: ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` ``${X}`` / ``${X.Attr}``."""
    out: set[str] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "Ref" and isinstance(x, str):
                    out.add(x)
                elif k == "Ref" and _literal_sub(x):
                    out.add(_literal_sub(x))
                elif k == "Fn::GetAtt":
                    if isinstance(x, list) and x and isinstance(x[0], str):
                        out.add(x[0])
                    elif isinstance(x, list) and x and _literal_sub(x[0]):
                        out.add(_literal_sub(x[0]))
                    elif isinstance(x, str):
                        out.add(x.split(".", 1)[0])
                elif k == "Fn::Sub":
                    text = x[0] if isinstance(x, list) and x else x
                    if isinstance(text, str):
                        out.update(n.split(".", 1)[0].strip() for n in re.findall(r"\$\{([^!}][^}]*)\}", text))
                    if isinstance(x, list) and len(x) > 1:
                        stack.append(x[1])
                    continue
                if isinstance(x, (dict, list)):  # a scalar refers to nothing: not stacked
                    stack.append(x)
        elif isinstance(v, list):
            stack.extend([x for x in v if isinstance(x, (dict, list))])
    return out


def _literal_sub(v: Any) -> str:
    """The name a ``Fn::Sub`` of plain text spells (what a Fn::ForEach loop leaves of ``Fn::Sub:
    "Subnet${Zone}"`` in a Ref or Fn::GetAtt, resolved by AWS::LanguageExtensions), or ""."""
    if isinstance(v, dict) and len(v) == 1 and isinstance(v.get("Fn::Sub"), str) and "${" not in v["Fn::Sub"]:
        return v["Fn::Sub"]
    return ""


class StackBuilder(BuilderBase):
    """Reads one template (one stack) into ``plan``; cross-resource links go to ``pending``.

    ``resolver_options`` go to the stack's :class:`Resolver`: ``parameters``, ``exports``, ``stack_name``,
    ``region``, ``account_id``, ``id_prefix`` (of resource ids) and ``where_prefix`` (of where-paths).
    """

    def __init__(
        self,
        plan: Plan,
        pending: Pending,
        doc: dict,
        source: str,
        *,
        lines: dict[str, int] | None = None,
        construct_paths: dict[str, str] | None = None,
        base_dir: str | None = None,
        nesting: int = 0,
        check_parameters: tuple[str, ...] | list[str] = (),
        **resolver_options: Any,
    ) -> None:
        self.plan = plan
        self.check_parameters = list(check_parameters)
        self.pending = pending
        self.source = source
        self.lines = lines or {}
        self.construct_paths = construct_paths or {}
        self.base_dir = base_dir
        self.nesting = nesting
        self.expansion_problems: list[tuple[str, Unknown]] = []
        if _uses_language_extensions(doc):
            probe = Resolver(doc, source=source, **resolver_options)
            doc, self.expansion_problems = expand_language_extensions(doc, probe)
        self.doc = doc
        self.r = Resolver(doc, source=source, nested_outputs=self._nested_output, undefined_names_fail=True,
                          **resolver_options)
        self.prefix = self.r.id_prefix
        self.active: dict[str, dict] = {}
        self.cond_unknown: dict[str, Unknown] = {}
        self._nested: dict[str, StackBuilder | None] = {}
        self._nested_building: set[str] = set()
        self.lt_ids: dict[str, str] = {}
        self.lt_names: dict[str, str] = {}
        self.lc_ids: dict[str, str] = {}
        self.managed_nodegroups: dict[str, NodeGroup] = {}
        self.configured_cni_addons: set[str] = set()
        self._metadata: dict[str, dict[str, int]] = {}  # logical id -> Metadata.podcap demand, until taken
        self._deps: dict[str, set[str]] | None = None
        self._direct: dict[str, set[str]] = {}  # logical id -> the resources it names (_direct_deps)
        self._str_ids: bool | None = None  # every logical id is a str (created_after_any), once asked

    def loc(self, lid: str, res: dict) -> Location:
        meta = res.get("Metadata")
        cpath = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
        cpath = cpath if isinstance(cpath, str) else None
        return Location(
            file=self.source,
            path=f"Resources/{lid}",
            line=self.lines.get(f"Resources.{lid}"),
            construct_path=cpath or self.construct_paths.get(lid),
        )

    def take_metadata(self, lid: str, key: str) -> Any:
        entry = self._metadata.get(lid)
        return entry.pop(key, None) if entry else None

    # the build -------------------------------------------------------------------------------------
    def build(self) -> None:
        from podcap.sources.cloudformation import READERS, UNMODELLED_EKS

        r = self.r
        r.check_given_parameters()
        r.evaluate_all_conditions()
        label = self.prefix.rstrip("/") or self.source
        for where, unk in self.expansion_problems:
            self.plan.unresolved.append((where if where else label, unk))
        for name in r.undeclared(self.check_parameters):
            self.plan.unresolved.append((label, Unknown(
                f"--parameter {name}: the template declares no parameter {name}; the value is not used",
                r.w("Parameters"))))
        transform = self.doc.get("Transform")
        if transform is not None:
            names = transform if isinstance(transform, list) else [transform]
            macros = [str(n) for n in names if str(n) != "AWS::LanguageExtensions"]
            if macros:
                self.plan.unresolved.append((label, Unknown(
                    f"the template uses Transform {', '.join(macros)}; podcap reads it as written, before "
                    "the transform (check the processed template for what the transform adds)",
                    r.w("Transform"))))

        for lid, res in self.doc["Resources"].items():
            lid = str(lid)
            if not isinstance(res, dict):
                continue
            cond = res.get("Condition")
            if cond is not None:
                c = r.condition(cond, self.w(lid, "Condition")) if isinstance(cond, str) else Unknown(
                    "Condition is not a condition name", self.w(lid, "Condition"))
                if c is False:
                    continue
                if isinstance(c, Unknown):
                    self.cond_unknown[lid] = Unknown(
                        f"{lid} exists only if condition {cond} holds: {c.reason}",
                        self.w(lid, "Condition"))
            self.active[lid] = res
            self.plan.resource_locations[self.rid(lid)] = self.loc(lid, res)
            self._podcap_metadata(lid, res)

        by_type: dict[str, list[tuple[str, dict]]] = {}
        for lid, res in self.active.items():
            by_type.setdefault(str(res.get("Type", "")), []).append((lid, res))

        for rtype, reader in READERS.items():  # the registry's order: what others read comes first
            for lid, res in by_type.get(rtype, []):
                if reader.reports_condition:
                    self.report_condition(lid)
                reader.read(self, lid, res)
        for rtype, items in by_type.items():
            if rtype not in READERS and UNMODELLED_EKS.search(rtype):
                for lid, _res in items:
                    self.unresolved(lid, Unknown(
                        f"{rtype} is an EKS resource type podcap does not read; what it adds to the cluster's "
                        "networking is not checked", self.w(lid, "Type")))
        self._order_after_cni()
        for lid, left in self._metadata.items():  # not taken by a reader
            for key in left:
                self.unresolved(lid, Unknown(
                    f"podcap {key} ignored: the resource is not {_DEMAND_TARGETS[key]}",
                    self.w(lid, "Metadata", "podcap", key)))

    # managed node groups ordered after the vpc-cni add-on's configuration ----------------------------
    def depends_on(self, lid: str) -> set[str]:
        """Every resource ``lid`` is created after: DependsOn, Ref, Fn::GetAtt and Fn::Sub, transitively."""
        if self._deps is None:
            resources = self.doc["Resources"]
            direct: dict[str, set[str]] = {}
            for rid, res in resources.items():
                if isinstance(res, dict):
                    direct[str(rid)] = _named_by(rid, res, resources)
            self._deps = direct
        seen: set[str] = set()
        stack = list(self._deps.get(lid, ()))
        while stack:
            x = stack.pop()
            if x not in seen:
                seen.add(x)
                stack.extend(self._deps.get(x, ()))
        return seen

    def _direct_deps(self, lid: str) -> set[str]:
        """The resources ``lid`` names directly (DependsOn, Ref, Fn::GetAtt, Fn::Sub), as :meth:`depends_on`
        finds them, computed when first asked for (once per resource) rather than for every resource."""
        deps = self._direct.get(lid)
        if deps is None:
            resources = self.doc["Resources"]
            res = resources.get(lid)
            deps = _named_by(lid, res, resources) if isinstance(res, dict) else set()
            self._direct[lid] = deps
        return deps

    def _declared_after(self, lid: str, targets: set[str]) -> bool:
        """Whether the DependsOn of ``lid`` names one of ``targets`` (a part of :meth:`_direct_deps`, read
        without walking every value of the resource for its references)."""
        resources = self.doc["Resources"]
        res = resources.get(lid)
        return isinstance(res, dict) and any(x != lid and x in targets and x in resources for x in _declared(res))

    def created_after_any(self, lid: str, targets: set[str]) -> bool:
        """``bool(self.depends_on(lid) & targets)``, walking only as far as the first target met: a node
        group that names the vpc-cni add-on in its DependsOn is decided by its own resource, not by the
        references of every resource of the template.

        With a logical id that is not a string (a YAML key such as ``5:``) the template is walked the
        general way, :meth:`depends_on`, whose map is keyed by ``str(id)``."""
        if self._str_ids is None:
            self._str_ids = all(k.__class__ is str for k in self.doc["Resources"])
        if not self._str_ids:
            return bool(self.depends_on(lid) & targets)
        seen: set[str] = set()
        stack = [lid]
        while stack:
            at = stack.pop()
            if self._declared_after(at, targets):  # its DependsOn decides without a walk of its references
                return True
            deps = self._direct_deps(at)
            if not deps.isdisjoint(targets):
                return True
            stack.extend(x for x in deps if x not in seen)
            seen.update(deps)
        return False

    def _order_after_cni(self) -> None:
        """EKS writes a managed node group's max pods from the vpc-cni settings it sees when the group is
        created: True when the group is created after the add-on's configuration (docs/max-pods.md)."""
        if not self.configured_cni_addons:
            return
        for lid, ng in self.managed_nodegroups.items():
            ng.ordered_after_cni = self.created_after_any(lid, self.configured_cni_addons)

    # podcap metadata: suppressions and demand --------------------------------------------------------
    def _podcap_metadata(self, lid: str, res: dict) -> None:
        meta = res.get("Metadata")
        if not isinstance(meta, dict) or "podcap" not in meta:
            return
        pc = meta["podcap"]
        base = self.w(lid, "Metadata", "podcap")
        if not isinstance(pc, dict) or not pc:
            self.unresolved(lid, Unknown(
                "podcap metadata ignored: expected {suppress: [{id: PC…, reason: …}]} and/or {pods_per_node: N}",
                base))
            return
        for key in pc:
            if key not in PODCAP_METADATA_KEYS:
                self.unresolved(lid, Unknown(
                    f"podcap metadata ignored: {unknown_key(key, PODCAP_METADATA_KEYS)}", f"{base}.{key}"))
        for key, least in DEMAND_KEYS.items():
            if key in pc:
                self._read_demand(lid, key, pc[key], least, f"{base}.{key}")
        if "suppress" in pc:
            self._suppressions(lid, pc["suppress"], base)

    def _read_demand(self, lid: str, key: str, value: Any, least: int, where: str) -> None:
        n = as_int(self.r.resolve(value, where), key, where)
        if isinstance(n, Unknown) or n < least:
            what = "pods" if "pods" in key else "nodes"
            self.unresolved(lid, Unknown(
                f"podcap {key} ignored: {value!r} is not a whole number of {what} of at least {least}"
                + (" (the nodes are taken as full)" if key == "pods_per_node" else ""), where))
            return
        self._metadata.setdefault(lid, {})[key] = n

    def _suppressions(self, lid: str, entries: Any, base: str) -> None:
        import datetime as _dt  # for the expiry dates of suppressions, when a template has some

        if not isinstance(entries, list):
            self.unresolved(lid, Unknown("podcap metadata ignored: expected {suppress: [{id: PC…, reason: …}]}",
                                         base))
            return
        for i, s in enumerate(entries):
            where = f"{base}.suppress[{i}]"
            if not isinstance(s, dict):
                self.unresolved(lid, Unknown("podcap suppression ignored: expected {id: PC…, reason: …}", where))
                continue
            rule_id, reason, expires = s.get("id"), s.get("reason"), s.get("expires")
            if not isinstance(rule_id, str) or not re.fullmatch(RULE_ID, rule_id.strip()):
                self.unresolved(lid, Unknown(f"podcap suppression ignored: {rule_id!r} is not a podcap rule id "
                                             "such as PC201", where))
                continue
            rule_id = rule_id.strip()
            if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
                self.unresolved(lid, Unknown(f"podcap suppression of {rule_id} ignored: it needs a reason of at "
                                             f"least {MIN_REASON} characters", where))
                continue
            if isinstance(expires, (_dt.date, _dt.datetime)):
                expires = expires.isoformat()[:10]
            if expires is not None:
                try:
                    _dt.date.fromisoformat(str(expires))
                except ValueError:
                    self.unresolved(lid, Unknown(f"podcap suppression of {rule_id} ignored: expires {expires!r} "
                                                 "is not a date YYYY-MM-DD", where))
                    continue
                expires = str(expires)
            self.plan.suppressions.setdefault(self.rid(lid), []).append(
                Suppression(rule_id=rule_id, reason=reason.strip(), expires=expires, source="metadata"))

    # nested stacks ---------------------------------------------------------------------------------
    def _nested_template(self, lid: str) -> tuple[str | None, str]:
        """(path of the nested stack's template, why not) — from CDK's ``aws:asset:path`` metadata, else a
        TemplateURL whose file name is beside this template."""
        res = self.active.get(lid)
        if res is None or self.base_dir is None:
            return None, "its template is not beside this one"
        base = os.path.realpath(self.base_dir)
        meta = as_dict(res.get("Metadata"))
        candidates: list[str] = []
        asset = meta.get("aws:asset:path")
        if isinstance(asset, str) and asset:
            candidates.append(asset)
        url = self.prop(lid, res, "TemplateURL")
        if isinstance(url, str) and url:
            name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
            if name:
                candidates.append(name)
        assets = asset_sources(base)
        candidates += [assets[c] for c in list(candidates) if c in assets]
        for rel in candidates:
            path = os.path.realpath(os.path.join(self.base_dir, rel))
            if os.path.commonpath([path, base]) == base and os.path.isfile(path):
                return path, ""
        if not candidates:
            return None, "its TemplateURL is not known and no template is named beside this one"
        return None, f"its template ({', '.join(repr(c) for c in candidates)}) is not beside this one"

    def _nested_builder(self, lid: str) -> tuple[StackBuilder | None, str]:
        if lid in self._nested:
            return self._nested[lid], "its template cannot be read"
        if lid in self._nested_building:
            return None, "it refers back to itself"
        path, why = self._nested_template(lid)
        if path is None or self.nesting >= MAX_NESTED_STACK_DEPTH:
            self._nested[lid] = None
            return None, why or f"nested stacks deeper than {MAX_NESTED_STACK_DEPTH}"
        self._nested_building.add(lid)
        try:
            doc, lines = read_template(path)
            params_raw = self.raw_prop(lid, self.active[lid], "Parameters")
            params: dict[str, Any] = {}
            if isinstance(params_raw, dict):
                for k, v in params_raw.items():
                    rv = self.r.resolve(v, self.w(lid, "Properties", "Parameters", str(k)))
                    if rv is not NO_VALUE:
                        params[str(k)] = rv
            for pseudo in ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"):
                if pseudo in self.r.given:
                    params.setdefault(pseudo, self.r.given[pseudo])
            label = f"{self.prefix}{lid}/"
            child = StackBuilder(self.plan, self.pending, doc, path, parameters=params, exports=self.r.exports,
                                 stack_name=None, region=self.r.region, account_id=self.r.account_id,
                                 id_prefix=label, where_prefix=f"{label.rstrip('/')}:", lines=lines,
                                 base_dir=os.path.dirname(path), nesting=self.nesting + 1)
            self._nested[lid] = child
        finally:
            self._nested_building.discard(lid)
        return child, ""

    def _nested_output(self, lid: str, output: str, where: str) -> Any:
        child, why = self._nested_builder(lid)
        if child is None:
            return Unknown(f"output {output} of nested stack {lid}, whose template podcap cannot read ({why})",
                           where)
        return child.r.output(output)

    def nested_stack(self, lid: str) -> None:
        child, why = self._nested_builder(lid)
        if child is None:
            url = self.raw_prop(lid, self.active[lid], "TemplateURL")
            self.unresolved(lid, Unknown(
                f"nested stack not read: {why}"
                + (f" (TemplateURL {url!r})" if isinstance(url, str) else "")
                + "; check that template too", self.w(lid, "Properties", "TemplateURL")))
            return
        self.report_condition(lid)
        child.build()


_DEMAND_TARGETS = {
    "pods_per_node": "a node group podcap reads (an AWS::EKS::Nodegroup, or an Auto Scaling group of EKS nodes) "
                     "or an Auto Mode cluster",
    "max_nodes": "a node group podcap reads (an AWS::EKS::Nodegroup, or an Auto Scaling group of EKS nodes) "
                 "or an Auto Mode cluster",
    "sgp_pods_per_node": "a node group podcap reads (an AWS::EKS::Nodegroup, or an Auto Scaling group of EKS "
                         "nodes) or an Auto Mode cluster",
    "pods": "a Fargate profile (AWS::EKS::FargateProfile, Custom::AWSCDK-EKS-FargateProfile)",
}


@lru_cache(maxsize=32)
def asset_sources(directory: str) -> dict[str, str]:
    """Published file name (``<hash>.json``, the end of a nested stack's TemplateURL) -> the file in
    ``directory``, from the CDK asset manifests there (``<Stack>.assets.json``: ``files.<hash>.source.path``
    and each destination's ``objectKey``). CDK writes no ``aws:asset:path`` metadata by default, so this is
    how a nested stack's template is found beside its parent."""
    out: dict[str, str] = {}
    try:
        names = [n for n in os.listdir(directory) if n.endswith(".assets.json")]
    except OSError:
        return out
    for name in names:
        try:
            doc = load_json(decode_text(read_file(os.path.join(directory, name)), name), name)
        except InputError:
            continue
        files = doc.get("files") if isinstance(doc, dict) else None
        for h, entry in (files.items() if isinstance(files, dict) else []):
            src = entry.get("source") if isinstance(entry, dict) else None
            path = src.get("path") if isinstance(src, dict) else None
            if not isinstance(path, str):
                continue
            out.setdefault(f"{h}.json", path)
            for dest in (entry.get("destinations") or {}).values():
                key = dest.get("objectKey") if isinstance(dest, dict) else None
                if isinstance(key, str):
                    out.setdefault(key.rsplit("/", 1)[-1], path)
    return out


def _uses_language_extensions(doc: dict) -> bool:
    return uses_language_extensions(doc)


# -- after every stack is read ------------------------------------------------------------------------


def find_cluster(plan: Plan, ref: Any) -> Cluster | None:
    if isinstance(ref, str):
        if ref in plan.clusters:
            return plan.clusters[ref]
        for c in plan.clusters.values():
            if isinstance(c.name, str) and c.name == ref:
                return c
        return None
    if (isinstance(ref, Unknown) or ref is None) and len(plan.clusters) == 1:
        return next(iter(plan.clusters.values()))
    return None


def finalize(plan: Plan, pending: Pending, placeholders: bool = True) -> None:
    """Link add-ons, node groups and Fargate profiles to clusters, apply Kubernetes objects, attach CIDR
    blocks, create subnets referenced but not defined (``defined_in_plan=False``)."""
    for addon in pending.addons:
        cl = find_cluster(plan, addon.cluster_ref)
        if cl is None and isinstance(addon.cluster_ref, str):
            cl = Cluster(id=addon.cluster_ref, name=addon.cluster_ref,
                         subnets=Unknown("the cluster is not described by the input; use --live", addon.rid),
                         location=addon.location)
            plan.clusters[cl.id] = cl
            plan.resource_locations.setdefault(cl.id, addon.location)
        if cl is None:
            plan.unresolved.append((addon.rid, Unknown(
                "the vpc-cni add-on's cluster cannot be identified; its settings are not applied", addon.rid)))
            continue
        if cl.cni_env is not None and addon.env is not None and cl.cni_env != addon.env:
            plan.unresolved.append((addon.rid, Unknown(
                f"cluster {cl.id} has more than one vpc-cni add-on; the last one read is used", addon.rid)))
        if addon.env is not None:
            cl.cni_env = addon.env
        cl.eni_configs.update(addon.eni_configs)
        cl.cni_resource, cl.cni_location = addon.rid, addon.location

    for obj, ref in pending.ng_clusters:
        name = obj.name
        if isinstance(ref, str):
            cl = find_cluster(plan, ref)
            obj.cluster = cl.id if cl is not None else ref
        elif isinstance(ref, Unknown):
            cl = find_cluster(plan, ref)
            obj.cluster = cl.id if cl is not None else None
            if cl is None and len(plan.clusters) > 1:
                plan.unresolved.append((name, Unknown(f"the cluster of {name} is not known: {ref.reason}",
                                                      ref.where)))
        else:
            obj.cluster = None

    undecided = mark_public_subnets(plan, pending)
    for profile, _ref in pending.fargate_default_subnets:
        _fargate_default_subnets(plan, profile, undecided)

    if pending.kubernetes:
        from podcap.sources.objects.kubernetes import apply_kubernetes_objects

        for carrier in pending.kubernetes:
            cl = find_cluster(plan, carrier.cluster_ref)
            apply_kubernetes_objects(plan, carrier.objects, where=carrier.rid, location=carrier.location,
                                     cluster=cl.id if cl is not None else None)

    for vpc_ref, cidr, rid in pending.vpc_cidrs:
        if isinstance(vpc_ref, str) and vpc_ref in plan.vpcs:
            plan.vpcs[vpc_ref].cidrs.append(cidr)
        elif isinstance(vpc_ref, Unknown):
            plan.unresolved.append((rid, Unknown(f"secondary CIDR of an unknown VPC: {vpc_ref.reason}",
                                                 vpc_ref.where)))

    if placeholders:
        refs = referenced_subnet_ids(plan)
        for fp in plan.fargate_profiles:
            if isinstance(fp.subnets, list):
                refs.extend(s for s in fp.subnets if isinstance(s, str))
        for sid in refs:
            if sid in plan.subnets:
                continue
            referrer = pending.referrers.get(sid)
            loc = referrer[1] if referrer else Location(file=plan.source)
            reason = EXISTING_SUBNET if subnet_like(sid) or not isinstance(sid, ResourceRef) else (
                f"{sid} is not a subnet defined in the input")
            plan.subnets[sid] = Subnet(
                id=sid,
                cidr=Unknown(reason, referrer[0] if referrer else sid),
                az=Unknown(reason, referrer[0] if referrer else sid),
                defined_in_plan=False,
                aws_id=sid if subnet_like(sid) else None,
                location=loc,
            )

    for sub_ref, v6, _rid in pending.subnet_ipv6:
        if isinstance(sub_ref, str) and sub_ref in plan.subnets:
            plan.subnets[sub_ref].ipv6_cidr = v6
    for sub_ref, resv, rid in pending.reservations:
        if isinstance(sub_ref, str) and sub_ref in plan.subnets:
            plan.subnets[sub_ref].reservations.append(resv)
        elif isinstance(sub_ref, Unknown):
            plan.unresolved.append((rid, Unknown(f"CIDR reservation in an unknown subnet: {sub_ref.reason}",
                                                 sub_ref.where)))

    # ENIConfig keys are real AZ names; subnets placed with Fn::GetAZs have abstract ones ("az-0"). The
    # ENIConfig subnet must be in the AZ it serves, so its own AZ is an alias of the key.
    for cl in plan.clusters.values():
        for az, target in list(cl.eni_configs.items()):
            if not isinstance(target, str):
                continue
            pod_subnet = plan.subnets.get(target)
            if pod_subnet is not None and isinstance(pod_subnet.az, str) and pod_subnet.az != az \
                    and pod_subnet.az not in cl.eni_configs and re.fullmatch(r"az-\d+", pod_subnet.az):
                cl.eni_configs[pod_subnet.az] = target


def _fargate_default_subnets(plan: Plan, profile: FargateProfile, undecided: set[str] | None) -> None:
    """A Fargate profile that names no subnets. EKS then uses the private subnets the cluster was created with
    (its CreateFargateProfile error "No subnets were given, and the subnets provided during cluster creation are
    all public"; docs/node-pools.md). Where the template decides which of the cluster's subnets route to an
    internet gateway (all of them defined here, their route tables known: ``undecided``), those are the
    profile's subnets, and when every one is public the profile is refused (PC504 on each); else the profile's
    subnets are Unknown (name them)."""
    cl = plan.cluster_for(profile)
    given = cl.subnets if cl is not None and isinstance(cl.subnets, list) else []
    if given and undecided is not None and all(
            isinstance(s, str) and s in plan.subnets and plan.subnets[s].defined_in_plan and s not in undecided
            for s in given):
        private = [s for s in given if plan.subnets[s].internet_route is None]
        profile.subnets = private or list(given)
        add_note(plan, profile.name, "no Subnets: EKS uses the cluster's private subnets, "
                 + (", ".join(private) if private else f"and every subnet of cluster {cl.id} is public"))
        return
    what = f"cluster {cl.id}" if cl is not None else "its cluster"
    profile.subnets = Unknown(
        f"the Fargate profile names no subnets; EKS documents no default and accepts only private subnets, so "
        f"podcap cannot tell which of {what}'s subnets its pods use; set Subnets", profile.name)


__all__ = [
    "DEMAND_KEYS",
    "MAX_NESTED_STACK_DEPTH",
    "PODCAP_METADATA_KEYS",
    "StackBuilder",
    "add_note",
    "cfn_loader",
    "finalize",
    "find_cluster",
    "json_resource_lines",
    "load_template",
    "plan_from_template",
    "read_template",
]


# -- several stacks read together: exports and imports ---------------------------------------------------


class StackExport:
    """An export's value, resolved in its own stack the first time it is imported."""

    def __init__(self, builder: StackBuilder, output: str, name: str) -> None:
        self.builder, self.output, self.name = builder, output, name
        self.value: Any = None
        self.state = 0  # 0 not yet, 1 resolving, 2 done

    def __call__(self) -> Any:
        if self.state == 2:
            return self.value
        if self.state == 1:
            return Unknown(f"export {self.name!r} refers back to itself through other exports")
        self.state = 1
        try:
            self.value = self.builder.r.output(self.output)
        except BaseException:
            self.state = 0
            raise
        self.state = 2
        return self.value


_STACK = "@@podcap-stack-name@@"  # stands for a stack name no input gives, to match export names against imports


def _export_patterns(doc: dict, source: str, parameters: Mapping[str, Any] | None) -> list[re.Pattern]:
    """The export names of a template as patterns; ``${AWS::StackName}`` in a name (eksctl writes
    ``${AWS::StackName}::SubnetsPublic``) matches any stack name, captured."""
    r = Resolver(doc, source=source, parameters=parameters, stack_name=_STACK)
    out: list[re.Pattern] = []
    outputs = doc.get("Outputs")
    for oname, o in (outputs.items() if isinstance(outputs, dict) else []):
        if isinstance(o, dict) and isinstance(o.get("Export"), dict):
            name = r.resolve(o["Export"].get("Name"), r.w(f"Outputs.{oname}.Export.Name"))
            if isinstance(name, str):
                out.append(re.compile(re.escape(name).replace(re.escape(_STACK), "(.+?)")))
    return out


def collect_exports(builders: list[StackBuilder], plan: Plan, exports: dict[str, Any]) -> None:
    """Every stack's exports into ``exports`` (before any stack is built: a stack imports what another
    exports, whatever the order the stacks are given in). Two stacks exporting one name is an input error."""
    for b in builders:
        for oname, out in b.r.outputs.items():
            if not isinstance(out, dict) or not isinstance(out.get("Export"), dict):
                continue
            name = b.r.resolve(out["Export"].get("Name"), b.r.w(f"Outputs.{oname}.Export.Name"))
            if isinstance(name, str):
                if name in exports:
                    raise InputError(f"{b.source}: at Outputs.{oname}: export name {name!r} is exported by "
                                     "another stack too")
                exports[name] = StackExport(b, str(oname), name)
            else:
                plan.unresolved.append((f"{b.prefix}{oname}", Unknown(
                    "an export whose name podcap cannot resolve; imports of it stay unknown",
                    b.r.w(f"Outputs.{oname}.Export.Name"))))


def _imports(doc: Mapping[str, Any]) -> set[str]:
    """The literal export names a template imports (``Fn::ImportValue`` of a string)."""
    out: set[str] = set()
    stack: list[Any] = [doc.get("Resources"), doc.get("Outputs"), doc.get("Conditions")]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "Fn::ImportValue" and isinstance(x, str):
                    out.add(x)
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)
    return out


def load_templates(paths: list[str], parameters: Mapping[str, str] | None = None) -> list[Plan]:
    """Read several templates given together (``podcap check cluster.json nodegroup.json``): templates
    linked by ``Fn::ImportValue`` of one another's exports (eksctl's cluster and node-group stacks) become
    one Plan in which the imports resolve; the others one Plan each, as :func:`load_template` reads them.

    Resource ids stay logical ids; when two linked templates define the same logical id, every id of that
    plan is prefixed with its file name (``nodegroup.json/NodeGroup``).
    """
    docs = [read_template(p) for p in paths]
    patterns = [_export_patterns(doc, p, parameters) for p, (doc, _lines) in zip(paths, docs, strict=True)]
    group = list(range(len(paths)))
    stack_names: dict[int, str] = {}  # a template's stack name, as the imports of another name it

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, (doc, _lines) in enumerate(docs):
        for name in _imports(doc):
            for j, pats in enumerate(patterns):
                if j == i:
                    continue
                m = next((m for pat in pats if (m := pat.fullmatch(name))), None)
                if m is None:
                    continue
                group[root(i)] = root(j)
                if m.groups() and j not in stack_names and not (parameters or {}).get("AWS::StackName"):
                    stack_names[j] = m.group(1)
    members: dict[int, list[int]] = {}
    for i in range(len(paths)):
        members.setdefault(root(i), []).append(i)
    plans: list[Plan] = []
    for idx in sorted(members.values()):
        if len(idx) == 1:
            plans.append(load_template(paths[idx[0]], parameters))
            continue
        plans.append(_linked_plan([paths[i] for i in idx], [docs[i] for i in idx], parameters,
                                  [stack_names.get(i) for i in idx]))
    return plans


def _linked_plan(paths: list[str], docs: list[tuple[dict, dict[str, int]]],
                 parameters: Mapping[str, str] | None, stack_names: list[str | None]) -> Plan:
    seen: set[str] = set()
    clash = False
    for doc, _lines in docs:
        ids = {str(k) for k in doc["Resources"]}
        clash = clash or bool(ids & seen)
        seen |= ids
    plan = Plan(source=paths[0], kind="cloudformation")
    pending = Pending()
    exports: dict[str, Any] = {}
    builders: list[StackBuilder] = []
    for path, (doc, lines), stack_name in zip(paths, docs, stack_names, strict=True):
        label = f"{os.path.basename(path)}/" if clash else ""
        if stack_name:
            add_note(plan, path, f"stack name taken as {stack_name!r}, the name the other templates import "
                                 "its exports by")
        builders.append(StackBuilder(plan, pending, doc, path, parameters=parameters, exports=exports,
                                     stack_name=stack_name,
                                     lines=lines, base_dir=os.path.dirname(os.path.abspath(path)),
                                     id_prefix=label, where_prefix=f"{os.path.basename(path)}:"))
    collect_exports(builders, plan, exports)
    build_stacks(builders, plan, pending, paths[0])
    for name in undeclared_parameters(builders, parameters):
        plan.unresolved.append((paths[0], Unknown(
            f"--parameter {name}: no template given declares a parameter {name}; the value is not used")))
    add_note(plan, paths[0], "read together with " + ", ".join(paths[1:])
             + ": the imports of one another's exports resolve")
    return plan
