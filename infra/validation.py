"""podcap as a CDK policy-validation plugin: the `podcap check` pipeline runs inside `cdk synth`.

Enable it with one line::

    Validations.of(app).add_plugins(PodcapValidationPlugin())

After the templates are written, CDK hands the plugin their paths; the plugin runs
:func:`podcap.check.check_templates` over them (the cloud assembly they belong to, nested stacks
included), which is exactly what ``podcap check cdk.out`` runs. Errors fail the synth; warnings are shown as
warnings; every violation names the construct path (CDK derives it from the logical id and template), the
logical id and podcap's fix. Findings are never turned into construct Annotations.

Waivers: :func:`acknowledge` records a CDK acknowledgment (``Validations.of(scope).acknowledge``, id
``podcap::PC201``), which CDK applies to this plugin's violations under that scope and lists as
acknowledged, and writes the same waiver, with its expiry date, into the template Metadata
(``podcap.suppress``) of the podcap resources under the scope. ``podcap check cdk.out`` reads both (CDK
acknowledgments from the stacks' metadata, see :mod:`podcap.sources.cdk_assembly`), so a direct
``Validations.of(scope).acknowledge(...)`` reaches the same verdict too.

A bare rule id (``Validations.of(scope).acknowledge(id="PC201")``, as cdk-nag users write; CDK records
it as ``Annotation::PC201``) is honoured like ``podcap::PC201``: the violation is reported under the id
CDK recorded, so CDK lists it as acknowledged with its reason.

CDK prints nothing for a plugin report without violations, so when there is none the plugin prints one
line to stderr itself ("podcap: 4 subnets, 2 node groups checked, no findings"), once per synth.

Context: ``-c podcap:live=true`` reads referenced subnets and clusters from AWS (``podcap check --live``);
``-c podcap:strict=true`` makes warnings fail the synth too.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    Aspects,
    CfnResource,
    IAspect,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Validations,
)
from constructs import IConstruct
from podcap.cdk.cluster import set_podcap_metadata
from podcap.sources.cdk_assembly import (  # noqa: F401 (ACK_METADATA: kept importable from here)
    ACK_METADATA,
    ACK_NAMESPACE,
    acknowledgment,
    assembly_templates,
    index_stack_metadata,
    load_assembly,
    stack_metadata,
)
from podcap.sources.safe_yaml import InputError

PLUGIN_NAME = ACK_NAMESPACE  # "podcap": CDK qualifies this plugin's rule names with it ("podcap::PC201")
CONTEXT_LIVE = "podcap:live"
CONTEXT_STRICT = "podcap:strict"
CONTEXT_ENABLED = "podcap:enabled"  # read by app.py: false leaves the plugin out
RULE_ID = re.compile(r"^PC\d{3}$")
# A bare rule id as CDK records it: ``Validations.acknowledge`` qualifies an id without "::" with the
# annotations namespace ("Annotation::PC201"); older releases kept it bare
BARE_ACK = re.compile(r"^(?:Annotation::)?(PC\d{3})$")
MIN_REASON = 10

# The resource types podcap's findings are about: a waiver lands in the Metadata of these.
PODCAP_RESOURCE_TYPES = frozenset({
    "AWS::EC2::VPC",
    "AWS::EC2::VPCCidrBlock",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetCidrBlock",
    "AWS::EC2::SubnetCidrReservation",
    "AWS::EC2::LaunchTemplate",
    "AWS::EKS::Cluster",
    "AWS::EKS::Addon",
    "AWS::EKS::Nodegroup",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AutoScaling::LaunchConfiguration",
})


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("podcap")
    except Exception:  # not installed (running from a checkout)
        return "0.0.0"


def _flag(value: Any) -> bool | None:
    """A context value as a boolean: true/false (bool or string); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ValueError(f"podcap: context value {value!r} is not true or false")


def context_flag(scope: IConstruct, key: str, default: bool = False) -> bool:
    """A true/false context value (``-c podcap:live=true``)."""
    value = _flag(scope.node.try_get_context(key))
    return default if value is None else value


# -- the cloud assembly around the templates ------------------------------------------------------------


@dataclass
class AssemblyIndex:
    """What the plugin needs from the cloud assembly beyond the templates: every template (nested stacks'
    too), each template's logical id -> construct path, and CDK acknowledgments (rule -> construct paths)."""

    templates: list[str] = field(default_factory=list)
    nested_templates: list[str] = field(default_factory=list)
    construct_paths: dict[str, dict[str, str]] = field(default_factory=dict)  # template basename -> lid -> path
    acknowledged: dict[str, dict[str, str]] = field(default_factory=dict)  # "podcap::PC201" -> path -> reason
    # nested stacks whose resource lacks aws:asset:path: parent template -> {logical id: nested template file}
    unlinked_nested: dict[str, dict[str, str]] = field(default_factory=dict)
    # acknowledgments written with a bare rule id (``acknowledge({id: 'PC201'})``, as cdk-nag users write):
    # CDK records them as "Annotation::PC201" and would not apply them to this plugin's violations
    bare_acknowledged: dict[str, dict[str, str]] = field(default_factory=dict)  # "podcap::PC201" -> path -> reason
    bare_ids: dict[str, str] = field(default_factory=dict)  # "PC201" -> the id as recorded ("Annotation::PC201")

    def construct_path(self, template: str, logical_id: str) -> str | None:
        return self.construct_paths.get(os.path.basename(template), {}).get(logical_id)

    def acknowledgment(self, rule_id: str, construct_path: str | None) -> str | None:
        """The reason of the closest acknowledgment of ``podcap::rule_id`` at or above the path (the same
        lookup ``podcap check cdk.out`` makes)."""
        return acknowledgment(self.acknowledged, rule_id, construct_path, bare=False)

    def bare_acknowledgment(self, rule_id: str, construct_path: str | None) -> str | None:
        """The reason of the closest acknowledgment of the bare ``rule_id`` at or above the path."""
        return acknowledgment(self.bare_acknowledged, rule_id, construct_path, bare=False)

    def collect_bare(self) -> None:
        """Read the acknowledgments of bare podcap rule ids (``PC201``, recorded by CDK as
        ``Annotation::PC201``) so they are honoured like ``podcap::PC201``."""
        for key, paths in self.acknowledged.items():
            m = BARE_ACK.match(key)
            if m is None:
                continue
            self.bare_ids.setdefault(m.group(1), key)
            target = self.bare_acknowledged.setdefault(f"{PLUGIN_NAME}::{m.group(1)}", {})
            for path, reason in paths.items():
                target.setdefault(path, reason)


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def index_assembly(directory: str, index: AssemblyIndex | None = None, depth: int = 0) -> AssemblyIndex:
    """Read ``manifest.json`` (and nested cloud assemblies) of a cdk.out folder."""
    index = index or AssemblyIndex()
    manifest = _read_json(os.path.join(directory, "manifest.json"))
    if not isinstance(manifest, dict) or depth > 8:
        return index
    for art in (manifest.get("artifacts") or {}).values():
        if not isinstance(art, dict):
            continue
        props = art.get("properties") if isinstance(art.get("properties"), dict) else {}
        if art.get("type") == "cdk:cloud-assembly" and isinstance(props.get("directoryName"), str):
            index_assembly(os.path.join(directory, props["directoryName"]), index, depth + 1)
            continue
        if art.get("type") != "aws:cloudformation:stack" or not isinstance(props.get("templateFile"), str):
            continue
        template = os.path.join(directory, props["templateFile"])
        index.templates.append(template)
        try:  # the manifest's metadata and <Stack>.metadata.json, read as `podcap check cdk.out` reads them
            metadata = stack_metadata(directory, art)
        except InputError:  # the check itself reports an unreadable assembly
            metadata = art.get("metadata") if isinstance(art.get("metadata"), dict) else {}
        # every construct of a stack (its nested stacks' too): logical ids and acknowledgments
        index_stack_metadata(metadata, index.construct_paths, index.acknowledged,
                             default_template=os.path.basename(template))
        _index_nested(template, index, 0)
    return index


_ASSET_KEY = re.compile(r"([0-9a-f]{64}\.json)")


def _asset_sources(directory: str) -> dict[str, str]:
    """S3 object key -> file in the assembly, from the asset manifests (``*.assets.json``) of a folder."""
    out: dict[str, str] = {}
    manifest = _read_json(os.path.join(directory, "manifest.json"))
    for art in ((manifest or {}).get("artifacts") or {}).values() if isinstance(manifest, dict) else []:
        if not isinstance(art, dict) or art.get("type") != "cdk:asset-manifest":
            continue
        file = (art.get("properties") or {}).get("file")
        doc = _read_json(os.path.join(directory, file)) if isinstance(file, str) else None
        for asset in ((doc or {}).get("files") or {}).values() if isinstance(doc, dict) else []:
            src = (asset.get("source") or {}).get("path") if isinstance(asset, dict) else None
            for dest in (asset.get("destinations") or {}).values() if isinstance(asset, dict) else []:
                key = dest.get("objectKey") if isinstance(dest, dict) else None
                if isinstance(src, str) and isinstance(key, str):
                    out[key] = src
    return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _nested_stacks(template: str, assets: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(logical id, nested template path, has aws:asset:path) of the template's nested stacks. Without asset
    metadata (an in-process synth: the CLI turns it on) the template is found through the asset manifest,
    by the S3 object key in ``TemplateURL``."""
    doc = _read_json(template)
    out = []
    base = os.path.dirname(template)
    for lid, res in ((doc or {}).get("Resources") or {}).items() if isinstance(doc, dict) else []:
        if not isinstance(res, dict) or res.get("Type") != "AWS::CloudFormation::Stack":
            continue
        meta = res.get("Metadata") if isinstance(res.get("Metadata"), dict) else {}
        rel = meta.get("aws:asset:path")
        if isinstance(rel, str) and os.path.isfile(os.path.join(base, rel)):
            out.append((str(lid), os.path.join(base, rel), True))
            continue
        url = (res.get("Properties") or {}).get("TemplateURL") if isinstance(res.get("Properties"), dict) else None
        for text in _strings(url):
            m = _ASSET_KEY.search(text)
            if m and m.group(1) in assets and os.path.isfile(os.path.join(base, assets[m.group(1)])):
                out.append((str(lid), os.path.join(base, assets[m.group(1)]), False))
                break
    return out


def _index_nested(template: str, index: AssemblyIndex, depth: int, assets: dict[str, str] | None = None
                  ) -> None:
    """Nested stacks (context.template_paths holds only the top-level templates), recursively."""
    if depth > 8:
        return
    if assets is None:
        assets = _asset_sources(os.path.dirname(template))
    for lid, path, has_meta in _nested_stacks(template, assets):
        if path not in index.nested_templates:
            index.nested_templates.append(path)
            if not has_meta:
                index.unlinked_nested.setdefault(template, {})[lid] = os.path.basename(path)
            _index_nested(path, index, depth + 1, assets)


def _linked_copy(index: AssemblyIndex, workdir: str) -> dict[str, str]:
    """Copy the assemblies' JSON files to ``workdir`` and add ``aws:asset:path`` to the nested stacks that
    lack it, so the check reads them as ``podcap check`` reads a CLI-synthesized cdk.out. The assembly itself
    stays untouched (plugins must not modify it). Returns original folder -> copy."""
    dirs = sorted({os.path.dirname(t) for t in [*index.templates, *index.nested_templates]})
    roots: list[str] = []
    for d in dirs:  # the outermost folders (stage assemblies live inside the app's)
        if not any(d.startswith(r + os.sep) for r in roots):
            roots.append(d)
    mapping: dict[str, str] = {}
    for i, root in enumerate(roots):
        dest = os.path.join(workdir, f"a{i}", os.path.basename(root))
        shutil.copytree(root, dest, ignore=_only_json)
        mapping[root] = dest
    for template, links in index.unlinked_nested.items():
        copy = _relocate(template, mapping)
        doc = _read_json(copy)
        for lid, rel in links.items():
            res = doc["Resources"][lid]
            res.setdefault("Metadata", {})["aws:asset:path"] = rel
        with open(copy, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
    return mapping


def _only_json(folder: str, names: list[str]) -> list[str]:
    """copytree filter: templates, manifests and metadata only (no asset folders, no bundles)."""
    return [n for n in names if n.startswith("asset.")
            or (not n.endswith(".json") and not os.path.isdir(os.path.join(folder, n)))]


def _relocate(path: str, mapping: dict[str, str], reverse: bool = False) -> str:
    for src, dst in mapping.items():
        a, b = (dst, src) if reverse else (src, dst)
        if path == a or path.startswith(a + os.sep):
            return b + path[len(a):]
    return path


# -- the plugin -----------------------------------------------------------------------------------------


@jsii.implements(IPolicyValidationPlugin)
class PodcapValidationPlugin:
    """Runs podcap's checks during synth (a CDK ``IPolicyValidationPlugin``).

    ``live``/``strict``: None reads the ``podcap:live`` / ``podcap:strict`` context (default false).
    ``config``: a ``.podcap.yaml`` (default: the one in the working directory, as for ``podcap check``).
    ``include_info``: also report info findings (PC401), which never fail.
    """

    def __init__(
        self,
        *,
        live: bool | None = None,
        strict: bool | None = None,
        config: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        snapshot: str | None = None,
        include_info: bool = False,
    ) -> None:
        self._live = live
        self._strict = strict
        self._config = config
        self._region = region
        self._profile = profile
        self._snapshot = snapshot
        self._include_info = include_info
        self.last_result = None  # the CheckResult of the last run, for tests and tools

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return _version()

    @property
    def rule_ids(self) -> list[str]:
        from podcap.rules import REGISTRY

        return list(REGISTRY)

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        from podcap.check import CheckOptions

        templates = [str(p) for p in context.template_paths]
        app = context.app_construct
        live = self._live if self._live is not None else context_flag(app, CONTEXT_LIVE)
        strict = self._strict if self._strict is not None else context_flag(app, CONTEXT_STRICT)
        region = self._region or _context_region(context)
        opts = CheckOptions(paths=templates, config=self._config, strict=strict, live=live,
                            region=region, profile=self._profile, snapshot=self._snapshot)
        if self._strict is None and not strict:
            strict = _config_strict(opts)
        index = AssemblyIndex()
        for d in sorted({os.path.dirname(os.path.abspath(t)) for t in templates}):
            index_assembly(d, index)
        index.collect_bare()
        result = run_checks(templates, opts, index)
        self.last_result = result
        report = build_report(result, index, strict=bool(strict), include_info=self._include_info,
                              templates=templates)
        if not report.violations:  # CDK prints nothing for a report without violations: say podcap ran
            announce(result)
        return report


def run_checks(templates: list[str], opts: Any, index: AssemblyIndex) -> Any:
    """``check_templates`` over the templates; when nested stacks cannot be linked to their templates from
    the template alone, over a linked copy of the assembly (paths in the result point at the original)."""
    if not index.unlinked_nested:
        return _check(templates, opts)
    with tempfile.TemporaryDirectory(prefix="podcap-cdk-") as work:
        mapping = _linked_copy(index, work)
        copies = [_relocate(os.path.abspath(t), mapping) for t in templates]
        opts.paths = copies
        result = _check(copies, opts)
    opts.paths = templates
    result.inputs = [_relocate(p, mapping, reverse=True) for p in result.inputs]
    for f in result.findings:
        loc = f.location
        f.location = type(loc)(file=_relocate(loc.file, mapping, reverse=True), path=loc.path, line=loc.line,
                               construct_path=loc.construct_path)
        f.source = _relocate(f.source, mapping, reverse=True)
    return result


def _check(templates: list[str], opts: Any) -> Any:
    """``check_templates``; but when the templates lie in several folders of one cloud assembly (an app
    with stages) and are exactly its stacks, that whole assembly, read as ``podcap check cdk.out`` reads it
    (stack names in the ids, imports between stacks resolved)."""
    from podcap.check import check_plan, check_templates

    root = _assembly_root(templates)
    if root is None:
        return check_templates(templates, opts)
    return check_plan(load_assembly(root), opts)


def _assembly_root(templates: list[str]) -> str | None:
    dirs = sorted({os.path.dirname(os.path.abspath(t)) for t in templates})
    if len(dirs) < 2:
        return None
    root = os.path.commonpath(dirs)
    if not os.path.isfile(os.path.join(root, "manifest.json")):
        return None
    try:
        covered = set(assembly_templates(root))
    except InputError:
        return None
    return root if covered == {os.path.realpath(t) for t in templates} else None


def _config_strict(opts: Any) -> bool:
    """``strict: true`` in the .podcap.yaml the check uses (as ``podcap check`` honours it)."""
    try:
        from podcap.check import _config

        cfg = _config(opts)
    except Exception:  # a broken config is reported by the check itself
        return False
    return bool(cfg is not None and getattr(cfg, "strict", None))


def _context_region(context: IPolicyValidationContext) -> str | None:
    try:
        return context.region  # only when every stack has the same, concrete region
    except Exception:
        return None


def _logical_id(resource: str, path: str) -> str:
    if path.startswith("Resources/"):
        return path.split("/", 2)[1]
    return resource.rsplit("/", 1)[-1]


def build_report(result: Any, index: AssemblyIndex, *, strict: bool = False, include_info: bool = False,
                 templates: Iterable[str] = ()) -> PolicyValidationPluginReport:
    """podcap findings -> a CDK plugin report.

    A finding podcap itself suppressed is left out, unless a CDK acknowledgment covers it too: then CDK
    moves it to the report's acknowledged list. ``strict`` reports warnings as errors.
    """
    from podcap.rules import REGISTRY

    violations: list[PolicyViolation] = []
    failing = False
    left_out = 0
    fallback_template = next(iter(templates), None)
    for f in result.findings:
        severity = f.severity.value
        if severity == "info" and not include_info:
            continue
        if strict and severity == "warning":
            severity = "error"
        template = f.location.file if str(f.location.file).endswith(".json") else fallback_template
        lid = _logical_id(f.resource, f.location.path or "")
        cpath = f.location.construct_path or (index.construct_path(template, lid) if template else None)
        acked = index.acknowledgment(f.rule_id, cpath)
        rule_name = f.rule_id
        if acked is None and index.bare_acknowledged:
            acked = index.bare_acknowledgment(f.rule_id, cpath)
            if acked is not None:  # named as acknowledged, so CDK lists it as acknowledged with the reason
                rule_name = index.bare_ids.get(f.rule_id, f.rule_id)
        if f.suppressed is not None and acked is None:
            left_out += 1
            continue
        if severity == "error" and acked is None:
            failing = True
        rule = REGISTRY.get(f.rule_id)
        meta = {"resource": f.resource, "podcap severity": f.severity.value}
        if f.resource_type:
            meta["resource type"] = f.resource_type
        if cpath:
            meta["construct path"] = cpath
        if rule is not None and rule.help_uri:
            meta["docs"] = rule.help_uri
        if f.suppressed is not None:
            meta["podcap suppression"] = f.suppressed.reason
        if template and lid:
            where = PolicyViolatingResource(resource_logical_id=lid, template_path=template, locations=[])
        else:
            where = PolicyViolatingResource(construct_path=cpath or "/", locations=[])
        violations.append(PolicyViolation(
            rule_name=rule_name,
            description=f"{f.title}: {f.message}",
            fix=f.fix or None,
            severity=severity,
            rule_metadata=meta,
            violating_resources=[where],
        ))
    counts = result.counts()
    metadata = {k: str(v) for k, v in counts.items()}
    metadata["inputs"] = ", ".join(result.inputs)
    if left_out:
        metadata["suppressed by podcap"] = str(left_out)
    return PolicyValidationPluginReport(success=not failing, violations=violations, metadata=metadata,
                                        plugin_version=_version())


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(result: Any) -> str:
    """"podcap: 4 subnets, 2 node groups checked, no findings" (and what was left out of CDK's report)."""
    checked = getattr(result, "checked", None) or {}
    subnets = checked.get("subnets", len(result.subnets)) if checked else len(result.subnets)
    groups = len(result.nodegroups)
    counts = result.counts()
    rest = []
    if counts.get("info"):
        rest.append(f"{_count(counts['info'], 'info finding')} not shown")
    if counts.get("suppressed"):
        rest.append(f"{counts['suppressed']} suppressed")
    tail = "no findings" if not rest else "no findings to report (" + ", ".join(rest) + ")"
    return f"{PLUGIN_NAME}: {_count(subnets, 'subnet')}, {_count(groups, 'node group')} checked, {tail}"


def announce(result: Any, stream: Any = None) -> None:
    """One line on stderr (where CDK writes its validation report) when the plugin found nothing to report.

    CDK's synth prints nothing for a plugin report without violations (``validateTemplates`` returns early
    on an empty report text), so without this line a passing synth gives no sign podcap ran.
    """
    import sys

    print(summary_line(result), file=stream or sys.stderr, flush=True)


# -- waivers ------------------------------------------------------------------------------------------


@jsii.implements(IAspect)
class _WaiverAspect:
    def __init__(self, entry: dict[str, str]) -> None:
        self.entry = entry

    def visit(self, node: IConstruct) -> None:
        if CfnResource.is_cfn_resource(node) and node.cfn_resource_type in PODCAP_RESOURCE_TYPES:
            set_podcap_metadata(node, suppress=[dict(self.entry)])


def acknowledge(scope: IConstruct, rule_id: str, reason: str, *, expires: str | None = None,
                today: _dt.date | None = None) -> None:
    """Waive a podcap rule for every resource under ``scope`` (a resource, a construct, a stack).

    Records ``Validations.of(scope).acknowledge(podcap::RULE)`` (CDK's own acknowledgment: the synth report
    lists the finding as acknowledged, with the reason) and ``podcap.suppress`` in the template Metadata of
    the podcap resources under the scope, for ``podcap check cdk.out``. ``expires`` (YYYY-MM-DD): after that
    date the waiver no longer applies (CDK's acknowledgment has no date, so it is only recorded while the
    waiver is current, and podcap reports the finding with "suppression expired").
    """
    if not RULE_ID.match(rule_id or ""):
        raise ValueError(f"{rule_id!r} is not a podcap rule id such as PC201")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        raise ValueError(f"acknowledging {rule_id} needs a reason of at least {MIN_REASON} characters")
    entry = {"id": rule_id, "reason": reason.strip()}
    current = True
    if expires is not None:
        end = _dt.date.fromisoformat(str(expires))
        entry["expires"] = end.isoformat()
        current = (today or _dt.date.today()) <= end
    if current:
        Validations.of(scope).acknowledge(Acknowledgment(id=f"{PLUGIN_NAME}::{rule_id}", reason=reason.strip()))
    Aspects.of(scope).add(_WaiverAspect(entry))


__all__ = [
    "CONTEXT_ENABLED",
    "CONTEXT_LIVE",
    "CONTEXT_STRICT",
    "PLUGIN_NAME",
    "AssemblyIndex",
    "PodcapValidationPlugin",
    "acknowledge",
    "build_report",
    "context_flag",
    "index_assembly",
]
