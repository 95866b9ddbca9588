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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validators.model.plan import Plan
from validators.model.unknown import Unknown
from validators.sources.cloudformation import Pending, StackBuilder, add_note, finalize, read_template
from validators.sources.safe_yaml import InputError, load_json

MAX_ASSEMBLY_DEPTH = 8
STACK_TYPE = "aws:cloudformation:stack"
NESTED_ASSEMBLY_TYPE = "cdk:cloud-assembly"


def is_cdk_assembly(path: str | os.PathLike) -> bool:
    """A folder with a manifest.json: what ``cdk synth`` writes (``cdk.out``)."""
    p = Path(path)
    return p.is_dir() and (p / "manifest.json").is_file()


@dataclass
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


def _read_manifest(directory: str) -> dict:
    path = os.path.join(directory, "manifest.json")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    doc = load_json(raw, path)
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a cloud assembly manifest (expected an object)")
    return doc


def _collect(directory: str, out: list[_StackArtifact], depth: int, seen: set[str]) -> None:
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
            continue
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
            cpaths: dict[str, str] = {}
            metadata = art.get("metadata")
            if isinstance(metadata, dict):
                for cpath, entries in metadata.items():
                    for e in entries if isinstance(entries, list) else []:
                        if isinstance(e, dict) and e.get("type") == "aws:cdk:logicalId" and isinstance(
                                e.get("data"), str):
                            cpaths.setdefault(e["data"], str(cpath))
            name = str(props["stackName"]) if isinstance(props.get("stackName"), str) else str(aid)
            out.append(_StackArtifact(str(aid), name, template, directory, dict(params), region, account,
                                      cpaths))
        elif atype == NESTED_ASSEMBLY_TYPE:
            sub = _inside(directory, props.get("directoryName"), f"artifact {aid} directoryName", manifest_path)
            if not os.path.isfile(os.path.join(sub, "manifest.json")):
                raise InputError(f"{manifest_path}: nested assembly {aid}: {sub} has no manifest.json")
            _collect(sub, out, depth + 1, seen)


class _Export:
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


def load_assembly(directory: str | os.PathLike, parameters: Mapping[str, str] | None = None) -> Plan:
    """Read every stack of a cloud assembly into one Plan (kind "cdk-assembly").

    ``parameters`` (``--parameter K=V``) apply to every stack that declares them, over the manifest's.
    """
    directory = str(directory)
    if not is_cdk_assembly(directory):
        raise InputError(f"{directory}: not a CDK cloud assembly (no manifest.json)")
    artifacts: list[_StackArtifact] = []
    _collect(directory, artifacts, 0, set())

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
    for b in builders:
        for oname, out in b.r.outputs.items():
            if not isinstance(out, dict) or not isinstance(out.get("Export"), dict):
                continue
            name = b.r.resolve(out["Export"].get("Name"), b.r.w(f"Outputs.{oname}.Export.Name"))
            if isinstance(name, str):
                if name in exports:
                    raise InputError(f"{b.source}: at Outputs.{oname}: export name {name!r} is exported by "
                                     "another stack too")
                exports[name] = _Export(b, str(oname), name)
            else:
                plan.unresolved.append((f"{b.prefix}{oname}", Unknown(
                    "an export whose name podcap cannot resolve; imports of it stay unknown",
                    b.r.w(f"Outputs.{oname}.Export.Name"))))

    try:
        for b in builders:
            b.build()
        finalize(plan, pending)
    except RecursionError:
        raise InputError(f"{directory}: nested too deeply to evaluate") from None
    if not artifacts:
        add_note(plan, directory, "the assembly has no CloudFormation stacks")
    return plan


__all__ = ["is_cdk_assembly", "load_assembly"]
