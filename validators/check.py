"""`podcap check`: source -> plan model -> engine -> rules -> findings (the reporters come after).

The CDK validation plugin calls :func:`check_templates`, so synth and `podcap check cdk.out` run the
very same pipeline and reach the same verdict.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

from podcap.analysis import SCALES, Analysis, analyse
from podcap.limits import Snapshot, load_snapshot
from podcap.model.findings import Finding
from podcap.model.plan import Location, Plan, SubnetRole
from podcap.model.records import field, record
from podcap.model.result import CheckResult, NodegroupSummary, SubnetUsage

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from datetime import date
    from typing import Any

DEFAULT_CONFIG = ".podcap.yaml"


class CheckInputError(Exception):
    """An input that cannot be read or understood: the CLI prints it on one line and exits 2."""


@record
class CheckOptions:
    """What one `podcap check` is asked to do: the CLI, the CDK plugin and the tests build it alike."""

    paths: list[str]
    parameters: dict[str, str] = field(default_factory=dict)
    config: str | None = None
    strict: bool = False
    live: bool = False
    region: str | None = None
    profile: str | None = None
    snapshot: str | None = None
    today: date | None = None
    fail_on: str | None = None  # error | warning | info | none; None: error (warning with strict)
    baseline: str | None = None  # an earlier `--format json` report
    live_timeout: float | None = None  # seconds for the whole --live phase (None: PODCAP_LIVE_TIMEOUT or 120)


_CFN_MARKERS = re.compile(r"^(Resources|AWSTemplateFormatVersion|Transform)\s*:", re.MULTILINE)


_HEAD = 65536  # bytes read to tell the input kind; more only when they do not tell


_HEAD_MAX = 4 * 1024 * 1024  # at most this much when the first head does not tell (a long preamble)


def detect_kind(path: str) -> str:
    """cdk-assembly (a cdk.out folder), terraform-plan, cloudformation or spec.

    Reads a bounded head of the file (never the whole of a large one): non-regular files, unreadable ones
    and files over the input size limit are refused first (:mod:`podcap.sources.reading`).
    """
    from podcap.sources import reading

    label = reading.shown(path)
    if os.path.isdir(path):  # False for a path that cannot be stat'ed (os.path's own catch)
        if os.path.isfile(os.path.join(path, "manifest.json")):
            return "cdk-assembly"
        raise CheckInputError(f"{label}: a folder, but not a CDK cloud assembly (no manifest.json)")
    st = reading.check_regular(path)
    head = reading.read_head(path, _HEAD)
    complete = len(head) >= st.st_size and len(head) < _HEAD
    kind = _kind_of(label, _text(head), complete=complete)
    if kind is None and not complete:  # a long preamble (Description, Mappings) can push markers past the head
        more = reading.read_head(path, _HEAD_MAX)
        complete = len(more) < _HEAD_MAX and len(more) >= st.st_size
        kind = _kind_of(label, _text(more), complete=complete)
    if kind is not None:
        return kind
    if _text(head).lstrip().startswith("{"):
        raise CheckInputError(f"{label}: JSON, but neither a Terraform plan, a CloudFormation template nor a podcap spec")
    if complete:
        _yaml_syntax(label, _text(head))
    raise CheckInputError(f"{label}: cannot tell what this is (expected a podcap spec, a CloudFormation template, "
                          "a `terraform show -json` plan or a cdk.out folder)")


def _yaml_syntax(label: str, text: str) -> None:
    """A whole YAML text that names no kind: its syntax error, if it has one, says more than "cannot tell"
    (``FILE:LINE:COLUMN: problem``, as docs/spec.md promises). Composing builds no values (no tags are
    resolved, aliases stay shared nodes), so it is bounded by the text."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for _ in yaml.compose_all(text, Loader=loader):
            pass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = "; ".join(p for p in (e.context, e.problem) if p)
        if mark is not None:
            raise CheckInputError(f"{label}:{mark.line + 1}:{mark.column + 1}: {problem}") from None
    except (yaml.YAMLError, RecursionError):
        return  # a reader error (a control character) or nesting: the readers say it with their own rules


def _text(raw: bytes) -> str:
    from podcap.sources.reading import decode_head

    return decode_head(raw)  # the BOM's encoding (UTF-8/16/32); a byte-order mark is not content


def _kind_of(path: str, text: str, *, complete: bool) -> str | None:
    """The input kind from its text, or None when this text does not tell."""
    if _is_eksctl(text):
        return "eksctl"
    if text.lstrip().startswith("{"):
        if re.search(r'"format_version"\s*:', text) and re.search(
                r'"(planned_values|resource_changes|terraform_version|configuration)"\s*:', text):
            return "terraform-plan"
        if re.search(r'"(Resources|AWSTemplateFormatVersion)"\s*:', text):
            return "cloudformation"
        if re.search(r'"(nodegroups|subnets)"\s*:', text):
            return "spec"
        if re.search(r'"format_version"\s*:', text):
            return "terraform-plan"
        if _is_manifest(text):
            return "kubernetes"
        if complete:  # the whole file: a syntax error says more than "not recognised"
            from podcap.sources.safe_yaml import InputError, load_json

            try:
                load_json(text, path)
            except InputError as e:
                raise CheckInputError(str(e)) from None
        return None
    if _CFN_MARKERS.search(text):
        return "cloudformation"
    if re.search(r"^(nodegroups|subnets|vpc|cluster)\s*:", text, re.MULTILINE):
        return "spec"
    if _is_manifest(text):
        return "kubernetes"
    return None


def _is_manifest(text: str) -> bool:
    if "apiVersion" not in text:  # cheap test first: the reader's module is imported only when it may apply
        return False
    from podcap.sources.manifests import looks_like_manifest

    return looks_like_manifest(text)


def _is_eksctl(text: str) -> bool:
    if "eksctl.io/" not in text or "ClusterConfig" not in text:  # cheap test first (see _is_manifest); JSON puts apiVersion mid-line
        return False
    from podcap.sources.eksctl import looks_like_cluster_config

    return looks_like_cluster_config(text)


def load_plan(path: str, opts: CheckOptions) -> Plan:
    kind = detect_kind(path)
    if kind == "cdk-assembly":
        from podcap.sources.cdk_assembly import load_assembly

        return load_assembly(path, parameters=opts.parameters or None)
    if kind == "terraform-plan":
        from podcap.sources.terraform import load_terraform_plan

        return load_terraform_plan(path)
    if kind == "cloudformation":
        from podcap.sources.cloudformation import load_template

        return load_template(path, parameters=opts.parameters or None)
    if kind == "eksctl":
        from podcap.sources.eksctl import load_cluster_config

        return load_cluster_config(path)
    if kind == "kubernetes":
        from podcap.sources.manifests import load_manifests

        return load_manifests(path)
    from podcap.sources.spec import load_spec

    return load_spec(path)


def load_plans(paths: list[str], opts: CheckOptions) -> list[Plan]:
    """Every input's plan; CloudFormation templates given together are read together, so one template's
    exports resolve another's Fn::ImportValue (eksctl's cluster and node-group stacks)."""
    kinds = [detect_kind(p) for p in paths]
    cfn = [p for p, k in zip(paths, kinds, strict=True) if k == "cloudformation"]
    if len(cfn) < 2:
        return [load_plan(p, opts) for p in paths]
    from podcap.sources.cloudformation import load_templates

    plans = [load_plan(p, opts) for p, k in zip(paths, kinds, strict=True) if k != "cloudformation"]
    return load_templates(cfn, parameters=opts.parameters or None) + plans


def _summaries(analysis: Analysis) -> tuple[list[SubnetUsage], list[NodegroupSummary]]:
    subnets = []
    # a subnet only ENIConfigs point at holds pods alone, whatever role the source could tell
    pod_targets = {v for cl in analysis.plan.clusters.values() for v in cl.eni_configs.values() if isinstance(v, str)}
    # and so does one only a node pool's own pod subnets name (EKS Auto Mode podSubnetSelectorTerms)
    pod_targets |= {v for na in analysis.nodegroups if isinstance(na.ng.pod_subnets, list)
                    for v in na.ng.pod_subnets if isinstance(v, str)}
    node_subnets = {sid for na in analysis.nodegroups for sid in na.subnet_ids}
    both, pods_role = SubnetRole.BOTH, SubnetRole.PODS.value
    for sid, sa in analysis.subnets.items():
        by_scale = sa.contributions
        used = sa.used  # a property that looks at every scale: read once per subnet
        s = sa.subnet
        if not used and not s.defined_in_plan:
            continue
        role = s.role
        role = pods_role if role is both and sid in pod_targets and sid not in node_subnets else role.value
        subnets.append(SubnetUsage(
            subnet=sid,
            cidr=s.cidr if isinstance(s.cidr, str) else None,
            az=s.az if isinstance(s.az, str) else None,
            role=role,
            usable=sa.usable,
            at_min=sa.demand("min") if used else 0,
            at_desired=sa.demand("desired") if used else 0,
            at_max=sa.demand("max") if used else 0,
            nodegroups=sorted({c.nodegroup for scale in SCALES for c in by_scale.get(scale, ())
                               if c.nodegroup is not None}) if used else [],
            note="; ".join(u.reason for u in sa.unknowns) if sa.unknowns else "",
            free_prefix_blocks=sa.prefix_blocks_available(),
            prefix_blocks_at_max=sa.prefix_demand("max") if used else 0,
        ))
    ngs = []
    for na in analysis.nodegroups:
        small, worst = na.smallest(), na.worst()
        ngs.append(NodegroupSummary(
            name=na.ng.name,
            instance_types=_type_names(na),
            min_size=na.sizes.get("min"),
            desired_size=na.sizes.get("desired"),
            max_size=na.sizes.get("max"),
            max_pods=small.kubelet_max_pods if small else None,
            network_max_pods=small.maxpods.network_max_pods if small else None,
            pods_per_node=small.pods if small else na.requested_pods,
            addresses_per_node=worst.alloc.subnet_addresses if worst else None,
            note=na.settings.describe(),
            limit_bound=_limit_bound(na),
        ))
    return subnets, ngs


def _limit_bound(na) -> dict[str, Any] | None:
    """JSON ``limit_bound``: what a node pool's limits let all its nodes take together, when that is below its
    max size x the largest type's addresses (docs/node-pools.md, podcap.engine.pool_capacity)."""
    bound = na.limit_bound()
    if bound is None:
        return None
    prefixes = na.limit_bounds.get("prefixes")
    return {
        "limits": na.ng.pool_limits.describe(),
        "addresses": bound.value,
        "prefixes": prefixes.value if prefixes is not None else None,
        "exact": bound.exact,
        "mix": [{"instance_type": t, "nodes": k} for t, k in bound.mix] if bound.exact else [],
    }


POOL_TYPES_SHOWN = 6


def _type_names(na) -> list[str]:
    """A node group's instance types; a node pool of many candidates: the smallest and the worst (the types the
    figures come from) and the count of the others."""
    names = [t.limits.name for t in na.types] + [t for t in na.unknown_types]
    if na.ng.provisioner is None or len(names) <= POOL_TYPES_SHOWN:
        return names
    keep = [t.limits.name for t in (na.smallest(), na.worst()) if t is not None]
    keep = list(dict.fromkeys(keep)) + list(na.unknown_types)
    return [*keep, f"+{len(names) - len(keep)} more candidate types"]


def _snapshot(opts: CheckOptions) -> Snapshot:
    try:
        return load_snapshot(opts.snapshot)
    except (OSError, ValueError) as e:  # a --snapshot of the wrong shape (SnapshotError): exit 2, one line
        raise CheckInputError(f"cannot read instance limits snapshot {opts.snapshot}: {e}") from None


def check_plan(plan: Plan, opts: CheckOptions, snapshot: Snapshot | None = None) -> CheckResult:
    """Judge one plan: enrich from AWS if asked, analyse, run every rule, apply suppressions."""
    from podcap.rules import REGISTRY

    snapshot = snapshot or _snapshot(opts)
    prepare_plan(plan, snapshot, opts)
    if opts.live:
        enrich_live(plan, opts)
    analysis = analyse(plan, snapshot)
    findings: list[Finding] = []
    for r in REGISTRY.values():
        for f in r.check(analysis):
            f.source = f.source or plan.source
            if not f.location.file:
                f.location = Location(file=plan.source, path=f.location.path, line=f.location.line,
                                      construct_path=f.location.construct_path)
            findings.append(f)
    findings.sort(key=lambda f: (-f.severity.rank, f.rule_id, f.resource))
    subnets, ngs = _summaries(analysis)
    result = CheckResult(inputs=[plan.source], findings=findings, subnets=subnets, nodegroups=ngs,
                         notes=[f"{who}: {text}" for who, text in plan.notes])
    result.checked, result.found = checked_counts(plan)
    _apply_suppressions(result, plan, opts)
    return result


CHECKED_KEYS = ("clusters", "nodegroups", "node_pools", "fargate_profiles", "subnets")


def checked_counts(plan: Plan) -> tuple[dict[str, int], list[str]]:
    """What one plan held: the JSON summary's ``checked`` counts, and what else it found (in words)."""
    pools = sum(1 for ng in plan.nodegroups if ng.provisioner is not None)
    counts = {"clusters": len(plan.clusters), "nodegroups": len(plan.nodegroups) - pools, "node_pools": pools,
              "fargate_profiles": len(plan.fargate_profiles),
              "subnets": sum(1 for s in plan.subnets.values() if s.defined_in_plan)}
    found = [f"{len(plan.vpcs)} VPC(s)", f"{counts['subnets']} subnet(s)"]
    others = len(set(plan.resource_locations) - set(plan.vpcs) - set(plan.subnets))
    if others:
        found.append(f"{others} other resource(s)")
    return counts, found


def prepare_plan(plan: Plan, snapshot: Snapshot, opts: CheckOptions) -> None:
    """Plan-level passes before the analysis: Kubernetes objects (NodePools need the whole plan and the
    snapshot), EKS Auto Mode's built-in pools, the ``.podcap.yaml`` demand, and Unknowns naming the key to set
    for every consumer nothing bounds."""
    from podcap.sources.demand import apply_demand, mark_unbounded
    from podcap.sources.objects.kubernetes import resolve_kubernetes_objects

    resolve_kubernetes_objects(plan, snapshot)
    cfg = _config(opts)
    apply_demand(plan, [*plan.demand, *(getattr(cfg, "demand", None) or [])])
    mark_unbounded(plan)


def one_plan(plans: list[Plan]) -> list[Plan]:
    """Kubernetes manifests describe no subnets or cluster: with any of them, every input is one plan
    (``podcap check vpc.yaml karpenter.yaml``); otherwise each input is judged on its own."""
    if len(plans) < 2 or not any(p.kind == "kubernetes" for p in plans):
        return plans
    base = next((p for p in plans if p.kind != "kubernetes"), plans[0])
    for p in plans:
        if p is not base:
            base.merge(p)
    return [base]


def enrich_live(plan: Plan, opts: CheckOptions) -> None:
    from podcap.aws_clients import AwsAccessError
    from podcap.sources.live import enrich_plan

    try:
        notes = enrich_plan(plan, region=opts.region, profile=opts.profile,
                            timeout=getattr(opts, "live_timeout", None))
    except AwsAccessError as e:
        raise CheckInputError(str(e)) from None
    plan.live = True
    plan.notes.extend(("live AWS", n) for n in notes or [])


def _config(opts: CheckOptions):
    path = opts.config
    if path is None and os.path.isfile(DEFAULT_CONFIG):
        path = DEFAULT_CONFIG
    if path is None:
        return None
    if not os.path.isfile(path):
        raise CheckInputError(f"{path}: no such config file")
    return _load_config(os.path.abspath(path))


@lru_cache(maxsize=8)
def _load_config(path: str):
    from podcap.sources.config import load_config

    return load_config(path)


def _apply_suppressions(result: CheckResult, plan: Plan, opts: CheckOptions) -> None:
    merged = {k: list(v) for k, v in plan.suppressions.items()}
    cfg = _config(opts)
    if cfg is not None:
        for k, v in cfg.suppressions.items():
            merged.setdefault(k, []).extend(v)
    if merged:
        from datetime import date

        from podcap.sources.config import apply_suppressions

        apply_suppressions(result.findings, merged, opts.today or date.today(), resources=plan.resource_locations)


def _merge(results: list[CheckResult]) -> CheckResult:
    out = CheckResult(inputs=[])
    for r in results:
        out.inputs.extend(r.inputs)
        out.findings.extend(r.findings)
        out.subnets.extend(r.subnets)
        out.nodegroups.extend(r.nodegroups)
        out.notes.extend(r.notes)
        for k, v in r.checked.items():
            out.checked[k] = out.checked.get(k, 0) + v
        out.found.extend(r.found)
    return out


def run_check(opts: CheckOptions) -> tuple[CheckResult, bool]:
    """Check every path (each judged on its own) and say whether warnings fail (--strict or config)."""
    from podcap.cli import UsageError

    strict = opts.strict
    try:
        cfg = _config(opts)
        if cfg is not None and getattr(cfg, "strict", None):
            strict = True
        snapshot = _snapshot(opts)
        loaded = load_plans(opts.paths, opts)
        plans = one_plan(loaded)
        results = [check_plan(p, opts, snapshot) for p in plans]
        if len(plans) < len(loaded):  # one plan of several inputs: the report names them all
            results[0].inputs = [p.source for p in loaded]
    except CheckInputError as e:
        raise UsageError(str(e)) from None
    except RecursionError:
        raise UsageError("input nested too deeply to read") from None
    except MemoryError:
        raise UsageError("input too large to read") from None
    except _input_errors() as e:
        raise UsageError(str(e)) from None
    return _merge(results), strict


def _input_errors() -> tuple[type[BaseException], ...]:
    from podcap.sources.safe_yaml import InputError

    errs: list[type[BaseException]] = [InputError]
    try:
        from podcap.sources.spec import SpecError

        errs.append(SpecError)
    except ImportError:
        pass
    return tuple(errs)


def check_templates(template_paths: list[str], opts: CheckOptions | None = None) -> CheckResult:
    """What the CDK validation plugin runs: the assembly containing the templates, or each template."""
    opts = opts or CheckOptions(paths=list(template_paths))
    dirs = {os.path.dirname(os.path.realpath(t)) for t in template_paths}
    if len(dirs) == 1:
        d = dirs.pop()
        if os.path.isfile(os.path.join(d, "manifest.json")):
            from podcap.sources.cdk_assembly import load_assembly

            return check_plan(load_assembly(d), opts)
    return _merge([check_plan(load_plan(t, opts), opts) for t in template_paths])


FAIL_ON = ("error", "warning", "info", "none")


def fail_threshold(opts: CheckOptions, strict: bool) -> str:
    """The lowest severity that fails the run: --fail-on when given, else warning with --strict (or
    ``strict: true`` in the config), else error."""
    if opts.fail_on is not None:
        if opts.fail_on not in FAIL_ON:
            raise CheckInputError(f"--fail-on {opts.fail_on!r}: expected one of {', '.join(FAIL_ON)}")
        return opts.fail_on
    return "warning" if strict else "error"


def failing(result: CheckResult, fail_on: str) -> list[Finding]:
    """The findings that fail the run: unsuppressed, at or above `fail_on`, and not in the baseline."""
    from podcap.model.findings import Severity

    if fail_on == "none":
        return []
    rank = Severity(fail_on).rank
    base = result.baseline
    return [f for f in result.active() if f.severity.rank >= rank and not (base is not None and base.contains(f))]


def exit_code(result: CheckResult, fail_on: str) -> int:
    """0: nothing fails at this threshold; 1: a finding does (see :func:`failing`)."""
    return 1 if failing(result, fail_on) else 0


def apply_baseline(result: CheckResult, path: str) -> None:
    """Compare the result with an earlier `--format json` report: mark the findings already in it and
    work out every subnet's change in free addresses at max (``result.baseline``)."""
    from podcap.baseline import BaselineError, compare, load_baseline

    try:
        doc = load_baseline(path)
    except BaselineError as e:
        raise CheckInputError(str(e)) from None
    result.baseline = compare(path, doc, result.findings, result.subnets)
