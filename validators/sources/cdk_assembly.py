"""A CDK cloud assembly (``cdk.out``) -> one Plan of every stack in it.

Read from ``manifest.json``: every ``aws:cloudformation:stack`` artifact (its ``templateFile``, deploy-time
``parameters``, ``stackName`` and ``environment``), nested cloud assemblies (``cdk:cloud-assembly``, i.e. CDK
stages) recursively, and nested stacks (``AWS::CloudFormation::Stack`` resources whose ``aws:asset:path``
names a template in the assembly).

Ids are ``<StackName>/<LogicalId>`` (nested stacks: ``<StackName>/<NestedStackLogicalId>/<LogicalId>``) so
they stay unique across stacks; ``Location.construct_path`` is the resource's ``aws:cdk:path`` (from the
template's Metadata, else from the manifest's ``aws:cdk:logicalId`` metadata).

Cross-stack references: every stack's ``Outputs`` with ``Export.Name`` are collected first; an
``Fn::ImportValue`` of one of them is resolved in the exporting stack, so a subnet exported by a network
stack is the same ``Subnet`` in the node group that imports it.

Stack metadata (the manifest's ``metadata`` and the ``additionalMetadataFile``, ``<Stack>.metadata.json``):
each resource's ``aws:cdk:logicalId`` gives its construct path when the template has no ``aws:cdk:path``
(an in-process synth, nested stacks included), and ``aws:cdk:acknowledged-rules`` entries, i.e.
``Validations.of(scope).acknowledge(Acknowledgment(id="podcap::PC201", reason=...))``, become
suppressions (source ``cdk-acknowledge``) of every resource whose construct path is at or below the
acknowledged scope; the closest acknowledgment gives the reason, as in CDK's own report. Acknowledgments
recorded on an App or a Stage are in no stack's metadata and so not in the assembly.

This module reads JSON only (never aws_cdk); the CDK validation plugin (``podcap.cdk.validation``) uses the same
metadata helpers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from podcap.model.plan import Cluster, FargateProfile, Location, NodeGroup, Plan, Subnet, Suppression, Vpc
from podcap.model.records import field, record
from podcap.model.unknown import Unknown
from podcap.sources.cloudformation import Pending, StackBuilder, read_template
from podcap.sources.cloudformation.template import (
    RULE_ID,
    build_stacks,
    collect_exports,
    undeclared_parameters,
)
from podcap.sources.safe_yaml import InputError, load_json, read_file

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

MAX_ASSEMBLY_DEPTH = 8
STACK_TYPE = "aws:cloudformation:stack"
NESTED_ASSEMBLY_TYPE = "cdk:cloud-assembly"
LOGICAL_ID_METADATA = "aws:cdk:logicalId"
TEMPLATE_FILE_METADATA = "aws:cdk:templateFile"
ACK_METADATA = "aws:cdk:acknowledged-rules"  # aws_cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
ACK_NAMESPACE = "podcap"  # CDK qualifies a plugin's rule names with the plugin name: "podcap::PC201"
ACK_SOURCE = "cdk-acknowledge"


def is_cdk_assembly(path: str | os.PathLike) -> bool:
    """A folder with a manifest.json: what ``cdk synth`` writes (``cdk.out``)."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "manifest.json"))


@record
class _StackArtifact:
    artifact_id: str
    stack_name: str
    template: str
    directory: str
    parameters: dict[str, Any] = field(default_factory=dict)
    region: str | None = None
    account: str | None = None
    construct_paths: dict[str, str] = field(default_factory=dict)


def _inside(base: str, rel: Any, what: str, manifest: str) -> str:
    if not isinstance(rel, str) or not rel:
        raise InputError(f"{manifest}: {what} is not a file name")
    path = os.path.realpath(os.path.join(base, rel))
    root = os.path.realpath(base)
    if os.path.isabs(rel) or os.path.commonpath([path, root]) != root:
        raise InputError(f"{manifest}: {what} {rel!r} is outside the assembly folder")
    return path


def _environment(env: Any) -> tuple[str | None, str | None]:
    """``aws://ACCOUNT/REGION`` -> (account, region); the ``unknown-…`` placeholders -> None."""
    if not isinstance(env, str) or not env.startswith("aws://"):
        return None, None
    parts = env[len("aws://"):].split("/")
    account = parts[0] if parts and parts[0] and not parts[0].startswith("unknown-") else None
    region = parts[1] if len(parts) > 1 and parts[1] and not parts[1].startswith("unknown-") else None
    return account, region


def _read_object(path: str, what: str) -> dict:
    """A JSON file that must hold an object; InputError (one line) otherwise."""
    raw = read_file(path)  # bounded: regular files within the input size limit only
    doc = load_json(raw, path)
    if not isinstance(doc, dict):
        raise InputError(f"{path}: {what}")
    return doc


def _read_manifest(directory: str) -> dict:
    return _read_object(os.path.join(directory, "manifest.json"),
                        "not a cloud assembly manifest (expected an object)")


def stack_metadata(directory: str, artifact: Mapping[str, Any]) -> dict[str, Any]:
    """A stack artifact's construct metadata (construct path -> entries): the manifest's ``metadata`` plus
    its ``additionalMetadataFile`` (where CDK >= 2.2xx keeps it). InputError when that file cannot be read."""
    metadata = dict(artifact["metadata"]) if isinstance(artifact.get("metadata"), dict) else {}
    extra = artifact.get("additionalMetadataFile")
    if extra is not None:
        where = os.path.join(directory, "manifest.json")
        path = _inside(directory, extra, "additionalMetadataFile", where)
        metadata.update(_read_object(path, "stack metadata is not an object"))
    return metadata


def index_stack_metadata(metadata: Mapping[str, Any], construct_paths: dict[str, dict[str, str]],
                         acknowledged: dict[str, dict[str, str]], default_template: str | None = None) -> None:
    """Read one stack's metadata into ``construct_paths`` (template file name -> logical id -> construct
    path) and ``acknowledged`` (qualified rule id such as ``podcap::PC201`` -> construct path -> reason).

    A stack's metadata covers its nested stacks too; a resource belongs to the template of the innermost
    stack (``aws:cdk:templateFile`` entry) above it, or to ``default_template`` when the metadata names none.
    Construct paths are given without the leading ``/``.
    """
    templates: dict[str, str] = {}
    for cpath, entries in metadata.items():
        for e in entries if isinstance(entries, list) else []:
            if isinstance(e, dict) and e.get("type") == TEMPLATE_FILE_METADATA and isinstance(e.get("data"), str):
                templates[str(cpath).strip("/")] = e["data"]
    for cpath, entries in metadata.items():
        path = str(cpath).strip("/")
        for e in entries if isinstance(entries, list) else []:
            if not isinstance(e, dict):
                continue
            if e.get("type") == LOGICAL_ID_METADATA and isinstance(e.get("data"), str):
                owner = _owning_template(path, templates) if templates else default_template
                if owner:
                    construct_paths.setdefault(owner, {}).setdefault(e["data"], path)
            elif e.get("type") == ACK_METADATA and isinstance(e.get("data"), dict):
                for rule, reason in e["data"].items():
                    acknowledged.setdefault(str(rule), {})[path] = str(reason)


def _owning_template(path: str, templates: Mapping[str, str]) -> str | None:
    """The template of the innermost stack whose path is ``path`` or a prefix of it."""
    best, best_len = None, -1
    for spath, tpl in templates.items():
        if (path == spath or path.startswith(spath + "/")) and len(spath) > best_len:
            best, best_len = tpl, len(spath)
    return best


def acknowledgment(acknowledged: Mapping[str, Mapping[str, str]], rule_id: str,
                   construct_path: str | None, *, bare: bool = True) -> str | None:
    """The reason of the closest CDK acknowledgment of ``podcap::<rule_id>`` (or the bare ``<rule_id>``, which
    ``acknowledge({id: 'PC201'})`` records as ``Annotation::PC201``) at or above ``construct_path`` (the resource itself, then
    each parent up to the app), as CDK matches acknowledgments; None if none. ``bare=False``: only the
    ``podcap::`` id (the synth plugin names bare-id findings as CDK recorded them, so CDK lists them)."""
    # aws-cdk-lib records an id without a namespace as ``Annotation::PC201``; older releases keep it bare
    paths = {**acknowledged.get(rule_id, {}), **acknowledged.get(f"Annotation::{rule_id}", {})} if bare else {}
    paths.update(acknowledged.get(f"{ACK_NAMESPACE}::{rule_id}", {}))
    if not paths or not construct_path:
        return None
    p = construct_path.strip("/")
    while True:
        if p in paths:
            return paths[p]
        if not p:
            return None
        p = p.rsplit("/", 1)[0] if "/" in p else ""


def acknowledged_rules(acknowledged: Mapping[str, Any]) -> list[str]:
    """The podcap rule ids (``PC201``) among the acknowledged ids: ``podcap::PC201``, or a bare ``PC201``."""
    prefix = f"{ACK_NAMESPACE}::"
    ids = {k[len(prefix):] for k in acknowledged if k.startswith(prefix) and len(k) > len(prefix)}
    ids |= {k.removeprefix("Annotation::") for k in acknowledged if re.fullmatch(RULE_ID, k.removeprefix("Annotation::"))}
    return sorted(ids)


@record
class _AssemblyMetadata:
    """What the stacks' metadata says, over every (nested) assembly."""

    construct_paths: dict[str, dict[str, str]] = field(default_factory=dict)  # real template path -> lid -> path
    acknowledged: dict[str, dict[str, str]] = field(default_factory=dict)  # "podcap::PC201" -> path -> reason


def _collect(directory: str, out: list[_StackArtifact], depth: int, seen: set[str],
             meta: _AssemblyMetadata) -> None:
    real = os.path.realpath(directory)
    if real in seen:
        return
    seen.add(real)
    if depth > MAX_ASSEMBLY_DEPTH:
        raise InputError(f"{directory}: cloud assemblies nested more than {MAX_ASSEMBLY_DEPTH} deep")
    manifest_path = os.path.join(directory, "manifest.json")
    manifest = _read_manifest(directory)
    artifacts = manifest.get("artifacts") or {}
    if not isinstance(artifacts, dict):
        raise InputError(f"{manifest_path}: 'artifacts' is not an object")
    for aid, art in artifacts.items():
        if not isinstance(art, dict):
            raise InputError(f"{manifest_path}: artifact {aid!r} is not an object")
        atype = art.get("type")
        props: dict[str, Any] = art["properties"] if isinstance(art.get("properties"), dict) else {}
        if atype == STACK_TYPE:
            template = _inside(directory, props.get("templateFile"), f"artifact {aid} templateFile",
                               manifest_path)
            if not os.path.isfile(template):
                raise InputError(f"{manifest_path}: artifact {aid}: template {props.get('templateFile')!r} "
                                 "is missing")
            account, region = _environment(art.get("environment"))
            params: dict[str, Any] = props["parameters"] if isinstance(props.get("parameters"), dict) else {}
            # construct paths (as the metadata writes them: "/Stack/…") and acknowledgments, keyed by the
            # real path of each template
            by_name: dict[str, dict[str, str]] = {}
            index_stack_metadata(stack_metadata(directory, art), by_name, meta.acknowledged,
                                 default_template=os.path.basename(template))
            for name, lids in by_name.items():
                tpl = os.path.realpath(os.path.join(directory, name))
                for lid, cpath in lids.items():
                    meta.construct_paths.setdefault(tpl, {}).setdefault(lid, f"/{cpath}")
            cpaths = dict(meta.construct_paths.get(os.path.realpath(template), {}))
            name = str(props["stackName"]) if isinstance(props.get("stackName"), str) else str(aid)
            out.append(_StackArtifact(str(aid), name, template, directory, dict(params), region, account,
                                      cpaths))
        elif atype == NESTED_ASSEMBLY_TYPE:
            sub = _inside(directory, props.get("directoryName"), f"artifact {aid} directoryName", manifest_path)
            if not os.path.isfile(os.path.join(sub, "manifest.json")):
                raise InputError(f"{manifest_path}: nested assembly {aid}: {sub} has no manifest.json")
            if os.path.realpath(sub) in seen:
                raise InputError(f"{manifest_path}: nested assembly {aid} refers back to an assembly already "
                                 f"read ({props.get('directoryName')!r})")
            _collect(sub, out, depth + 1, seen, meta)


def assembly_templates(directory: str | os.PathLike) -> list[str]:
    """The (real) paths of the templates of every stack of a cloud assembly, nested assemblies included
    (not nested stacks' templates)."""
    artifacts: list[_StackArtifact] = []
    _collect(str(directory), artifacts, 0, set(), _AssemblyMetadata())
    return [os.path.realpath(a.template) for a in artifacts]


def _lid_of(loc: Location) -> str | None:
    parts = loc.path.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "Resources" and parts[1] else None


def _with_construct_path(loc: Location, meta: _AssemblyMetadata) -> Location:
    """``loc`` with its construct path from the stack metadata when the template had none (in-process synth)."""
    if loc.construct_path or not loc.file:
        return loc
    lid = _lid_of(loc)
    cpath = meta.construct_paths.get(os.path.realpath(loc.file), {}).get(lid) if lid else None
    if not cpath:
        return loc
    return Location(file=loc.file, path=loc.path, line=loc.line, construct_path=cpath)


def _fill_construct_paths(plan: Plan, meta: _AssemblyMetadata) -> None:
    if not meta.construct_paths:
        return
    for rid, loc in list(plan.resource_locations.items()):
        plan.resource_locations[rid] = _with_construct_path(loc, meta)
    objs: list[Vpc | Subnet | Cluster | NodeGroup | FargateProfile] = [
        *plan.vpcs.values(), *plan.subnets.values(), *plan.clusters.values(), *plan.nodegroups,
        *plan.fargate_profiles]
    for obj in objs:
        obj.location = _with_construct_path(obj.location, meta)


def _resource_paths(plan: Plan) -> dict[str, list[str]]:
    """Resource id -> the construct paths its findings can carry (the rules take a resource's location from
    the model object, else from ``resource_locations``)."""
    out: dict[str, list[str]] = {}

    def add(rid: str, loc: Location) -> None:
        if loc.construct_path and loc.construct_path not in out.setdefault(rid, []):
            out[rid].append(loc.construct_path)

    for rid, loc in plan.resource_locations.items():
        add(rid, loc)
    for v in plan.vpcs.values():
        add(v.id, v.location)
    for sn in plan.subnets.values():
        add(sn.id, sn.location)
    for c in plan.clusters.values():
        add(c.id, c.location)
    for ng in plan.nodegroups:
        add(ng.name, ng.location)
    for fp in plan.fargate_profiles:
        add(fp.name, fp.location)
    return out


def _acknowledgments_to_suppressions(plan: Plan, meta: _AssemblyMetadata) -> None:
    """CDK acknowledgments of podcap rules -> suppressions of the resources at or below their scope."""
    rules = acknowledged_rules(meta.acknowledged)
    if not rules:
        return
    for rid, paths in _resource_paths(plan).items():
        for rule_id in rules:
            reason = next((r for r in (acknowledgment(meta.acknowledged, rule_id, p) for p in paths) if r), None)
            if reason is None:
                continue
            current = plan.suppressions.setdefault(rid, [])
            # podcap's acknowledge() records both this and a template-Metadata waiver with the same reason
            # and its expiry date: that waiver stands for the acknowledgment. Either way the closest
            # acknowledgment comes first among the rule's suppressions, so the reason is the one CDK reports.
            same = next((s for s in current if s.rule_id == rule_id and s.reason == reason), None)
            if same is not None:
                current.remove(same)
            else:
                same = Suppression(rule_id=rule_id, reason=reason, expires=None, source=ACK_SOURCE)
            first = next((i for i, s in enumerate(current) if s.rule_id == rule_id), len(current))
            current.insert(first, same)


def load_assembly(directory: str | os.PathLike, parameters: Mapping[str, str] | None = None) -> Plan:
    """Read every stack of a cloud assembly into one Plan (kind "cdk-assembly").

    ``parameters`` (``--parameter K=V``) apply to every stack that declares them, over the manifest's.
    """
    directory = str(directory)
    if not is_cdk_assembly(directory):
        raise InputError(f"{directory}: not a CDK cloud assembly (no manifest.json)")
    artifacts: list[_StackArtifact] = []
    meta = _AssemblyMetadata()
    _collect(directory, artifacts, 0, set(), meta)
    if not artifacts:
        from podcap.check import CheckInputError

        raise CheckInputError(f"{directory}: the cloud assembly has no CloudFormation stack to read")

    plan = Plan(source=directory, kind="cdk-assembly")
    pending = Pending()
    exports: dict[str, Callable[[], Any]] = {}
    builders: list[StackBuilder] = []
    labels: set[str] = set()
    for art in artifacts:
        label = art.stack_name
        if label in labels:
            label = f"{art.stack_name}@{art.artifact_id}"
        labels.add(label)
        doc, lines = read_template(art.template)
        params: dict[str, Any] = dict(art.parameters)
        params.update(parameters or {})
        b = StackBuilder(plan, pending, doc, art.template, parameters=params, exports=exports,
                         stack_name=art.stack_name, region=art.region or params.get("AWS::Region"),
                         account_id=art.account or params.get("AWS::AccountId"), id_prefix=f"{label}/",
                         where_prefix=f"{label}:", lines=lines, construct_paths=art.construct_paths,
                         base_dir=os.path.dirname(art.template))
        builders.append(b)

    # exports first: a stack imports what another exports, whatever the order of the manifest
    collect_exports(builders, plan, exports)
    for name in undeclared_parameters(builders, parameters):
        plan.unresolved.append((directory, Unknown(
            f"--parameter {name}: no stack of the assembly declares a parameter {name}; the value is not used")))

    build_stacks(builders, plan, pending, directory)
    _fill_construct_paths(plan, meta)
    _acknowledgments_to_suppressions(plan, meta)
    return plan


__all__ = [
    "ACK_METADATA",
    "ACK_NAMESPACE",
    "ACK_SOURCE",
    "acknowledged_rules",
    "acknowledgment",
    "assembly_templates",
    "index_stack_metadata",
    "is_cdk_assembly",
    "load_assembly",
    "stack_metadata",
]
