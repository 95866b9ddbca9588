"""The custom resources of the CDK's ``aws-eks`` construct library (``aws_cdk.aws_eks``, the L2 most EKS
CDK apps use), read as what they create:

* ``Custom::AWSCDK-EKS-Cluster`` -> :class:`Cluster`; its ``Config`` is the EKS ``CreateCluster`` request
  (``name``, ``resourcesVpcConfig.subnetIds``, ``kubernetesNetworkConfig.ipFamily``, ``computeConfig``).
* ``Custom::AWSCDK-EKS-FargateProfile`` -> :class:`FargateProfile`; ``Config`` is the
  ``CreateFargateProfile`` request (``clusterName``, ``subnets``).
* ``Custom::AWSCDK-EKS-KubernetesResource`` -> the Kubernetes objects of its ``Manifest`` (a JSON list,
  often built with ``Fn::Join``: pieces the template does not decide stay Unknown), handed to the shared
  reader :func:`podcap.sources.objects.kubernetes.apply_kubernetes_objects` (ENIConfig, the aws-node
  DaemonSet and ConfigMap, Karpenter and Auto Mode objects).
* ``AWSQS::Kubernetes::Resource`` (the Quick Start's registry type): its ``Manifest`` (YAML or JSON text),
  handed to the same reader.
* ``Custom::AWSCDK-EKS-HelmChart`` (``HelmChart`` / ``cluster.addHelmChart``) of the aws-vpc-cni chart: its
  ``Values`` (one JSON string, ``stack.toJsonString``) are the chart's values, whose ``env:`` and
  ``eniConfig:`` are read as the vpc-cni add-on's configuration (:mod:`podcap.sources.objects.helm_chart`).
  Other charts install controllers, not the objects podcap reads.
* ``Custom::AWSCDK-EKS-KubernetesPatch`` of ``daemonset/aws-node`` (or ``configmap/amazon-vpc-cni``) in
  ``kube-system``: its ``ApplyPatchJson`` is read as the object it patches, with the patched fields, and
  handed to the same reader. Patches of other objects (CoreDNS for Fargate) do not touch pod networking.

The node groups and capacity the construct adds are native resources (``AWS::EKS::Nodegroup``,
``AWS::AutoScaling::AutoScalingGroup``) and read as such.
"""

from __future__ import annotations

import json
import re

from podcap.model.plan import Cluster
from podcap.model.unknown import Unknown
from podcap.sources.cloudformation.base import MISSING, Addon, BuilderBase, KubernetesCarrier
from podcap.sources.cloudformation.eks import _auto_mode, add_fargate_profile, ip_family
from podcap.sources.intrinsics import NO_VALUE, TOKEN_RE, as_text
from podcap.sources.objects.helm_chart import (
    CNI_CHART,
    chart_cni_configuration,
    deep_merge,
    is_cni_chart,
    set_name,
    set_pairs,
    set_path,
)
from podcap.sources.objects.kubernetes import sets_aws_node
from podcap.sources.safe_yaml import InputError, json_problem, load_yaml

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# CDK custom resources that create nothing that takes VPC addresses
IGNORED = ("Custom::AWSCDK-EKS-OpenIdConnectProvider", "Custom::AWSCDK-EKS-KubernetesObjectValue")
# patches podcap reads: the objects that hold the VPC CNI's settings
PATCHED_OBJECTS = {("daemonset", "aws-node"): ("apps/v1", "DaemonSet"),
                   ("configmap", "amazon-vpc-cni"): ("v1", "ConfigMap")}


def _config(b: BuilderBase, lid: str, res: dict) -> dict | Unknown:
    cfg = b.prop(lid, res, "Config")
    where = b.w(lid, "Properties", "Config")
    if cfg is MISSING:
        return Unknown(f"{lid} has no Config", where)
    if isinstance(cfg, Unknown):
        return cfg
    if not isinstance(cfg, dict):
        return Unknown(f"the Config of {lid} is not a mapping", where)
    return cfg


def read_cdk_cluster(b: BuilderBase, lid: str, res: dict) -> None:
    rid = b.rid(lid)
    cfg = _config(b, lid, res)
    where = b.w(lid, "Properties", "Config")
    cl = Cluster(id=rid, location=b.plan.resource_locations[rid])
    if isinstance(cfg, Unknown):
        cl.subnets = cfg
        b.plan.clusters[rid] = cl
        return
    name = cfg.get("name", MISSING)
    cl.name = None if name is MISSING else b.string(name, "name", f"{where}.name")
    vpc = cfg.get("resourcesVpcConfig")
    if isinstance(vpc, Unknown):
        cl.subnets = vpc
    elif isinstance(vpc, dict) and "subnetIds" in vpc:
        cl.subnets = b.id_list(vpc["subnetIds"], "subnetIds", f"{where}.resourcesVpcConfig.subnetIds")
    else:
        cl.subnets = Unknown("the cluster names no subnets", f"{where}.resourcesVpcConfig")
    cl.ip_family = ip_family(b, lid, cfg.get("kubernetesNetworkConfig"), f"{where}.kubernetesNetworkConfig")
    compute = cfg.get("computeConfig", MISSING)
    if isinstance(compute, dict):
        compute = {"Enabled": compute.get("enabled", False), "NodePools": compute.get("nodePools", [])}
    _auto_mode(b, lid, cl, compute, f"{where}.computeConfig")
    b.refer(cl.subnets, lid)
    b.plan.clusters[rid] = cl


def read_cdk_fargate_profile(b: BuilderBase, lid: str, res: dict) -> None:
    cfg = _config(b, lid, res)
    where = b.w(lid, "Properties", "Config")
    if isinstance(cfg, Unknown):
        add_fargate_profile(b, lid, cfg, cfg, where)
        return
    add_fargate_profile(b, lid, cfg.get("clusterName", MISSING), cfg.get("subnets", MISSING), f"{where}.subnets")


def _untokenize(value: Any, partial: dict, where: str) -> Any:
    """Strings holding an unknown piece of the template become that Unknown (walked without recursion)."""
    def fix(v: Any) -> Any:
        if isinstance(v, str) and TOKEN_RE.search(v):
            m = TOKEN_RE.search(v)
            unk = partial.get(m.group(0)) if m else None
            return Unknown(f"not known: {unk.reason}" if unk else "not known", (unk.where if unk else "") or where)
        return v

    root = [value]
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in list(items):
            if isinstance(v, (dict, list)):
                stack.append(v)
            else:
                node[k] = fix(v)
    return root[0]


def _json_objects(b: BuilderBase, lid: str, raw: Any, where: str, what: str) -> list | Unknown:
    value, partial = b.r.resolve_text(raw, where)
    if isinstance(value, str) and value.strip() in partial:
        value = partial[value.strip()]
    if isinstance(value, Unknown):
        return Unknown(f"the {what} of {lid} is not known: {value.reason}", value.where or where)
    if value is NO_VALUE or value is None:
        return []
    if not isinstance(value, str):
        return Unknown(f"the {what} of {lid} is not a JSON string", where)
    try:
        data = json.loads(value)
    except ValueError as e:
        return Unknown(f"the {what} of {lid} is not JSON podcap can read ({json_problem(e)})", where)
    data = _untokenize(data, partial, where)
    return data if isinstance(data, list) else [data]


def read_kubernetes_resource(b: BuilderBase, lid: str, res: dict) -> None:
    where = b.w(lid, "Properties", "Manifest")
    raw = b.raw_prop(lid, res, "Manifest")
    if raw is MISSING:
        return
    objects = raw if isinstance(raw, Unknown) else _json_objects(b, lid, raw, where, "Manifest")
    if isinstance(objects, Unknown):
        b.unresolved(lid, Unknown(f"Kubernetes manifest not read: {objects.reason}; any ENIConfig, aws-node or "
                                  "node pool settings in it are not applied", objects.where or where))
        return
    _carry(b, lid, res, [o for o in objects if isinstance(o, dict)])


def read_cdk_helm_chart(b: BuilderBase, lid: str, res: dict) -> None:
    """aws-cdk-lib aws-eks/lib/helm-chart.ts: ``Chart`` names the chart (``ChartAssetURL`` instead, for a
    chart asset), ``Values`` holds its values as one JSON string. The aws-vpc-cni chart's settings take the
    place of an add-on's configuration, and like it decide the max pods EKS writes for a managed node group
    created after it."""
    chart = b.prop(lid, res, "Chart")
    if chart is MISSING:
        if b.prop(lid, res, "ChartAssetURL") is MISSING:
            return
        b.report_condition(lid)
        b.unresolved(lid, Unknown(f"the chart comes from an asset (ChartAssetURL) podcap does not open: if it "
                                  f"is {CNI_CHART}, its settings are not applied",
                                  b.w(lid, "Properties", "ChartAssetURL")))
        return
    if not _is_cni_release(b, lid, chart):
        return
    where = b.w(lid, "Properties", "Values")
    raw = b.raw_prop(lid, res, "Values")
    env: Any = None
    eni: dict[str, Any] = {}
    if raw is not MISSING:
        value, partial = b.r.resolve_text(raw, where)
        if isinstance(value, str) and value.strip() in partial:
            value = partial[value.strip()]
        merged: Any = None
        if isinstance(value, Unknown):
            env = Unknown(f"the {CNI_CHART} chart values are not known: {value.reason}", value.where or where)
        elif isinstance(value, str):
            try:
                merged = json.loads(value)
            except ValueError as e:
                env = Unknown(f"the {CNI_CHART} chart values are not JSON podcap can read ({json_problem(e)})", where)
        elif value is not NO_VALUE and value is not None:
            env = Unknown(f"the {CNI_CHART} chart values are not a JSON string", where)
        if merged is not None and not isinstance(merged, dict):
            env = Unknown(f"the {CNI_CHART} chart values are not a mapping", where)
        elif isinstance(merged, dict):
            env, eni, problems = chart_cni_configuration(merged, partial, where)
            for p in problems:
                b.unresolved(lid, p)
    cluster = b.prop(lid, res, "ClusterName")
    b.pending.addons.append(Addon(b.rid(lid), cluster, env, eni, b.source, b.plan.resource_locations[b.rid(lid)]))


def _is_cni_release(b: BuilderBase, lid: str, chart: Any) -> bool:
    """Whether a Helm release installs the aws-vpc-cni chart; an unknown chart name is PC001 (it may). A
    release of it configures the CNI as an add-on does (PC105 ordering)."""
    if isinstance(chart, Unknown):
        b.report_condition(lid)
        b.unresolved(lid, Unknown(f"the chart name is not known ({chart.reason}): if it is {CNI_CHART}, its "
                                  "settings are not applied", chart.where))
        return False
    if not isinstance(chart, str) or not is_cni_chart(chart):
        return False
    b.report_condition(lid)
    b.configured_cni_addons.add(lid)
    return True


def read_quickstart_helm(b: BuilderBase, lid: str, res: dict) -> None:
    """``AWSQS::Kubernetes::Helm`` (aws-quickstart/quickstart-helm-resource-provider, ``processValues``):
    the release's values are ``ValueYaml`` (a values file's text) with ``Values`` over it (each entry
    ``key: value`` parsed as Helm's ``--set key=value``), then the file ``ValueOverrideURL`` names in S3 over
    both. Of the aws-vpc-cni chart they are the CNI configuration, as the CDK's HelmChart's are."""
    chart = b.prop(lid, res, "Chart")
    if chart is MISSING or not _is_cni_release(b, lid, chart):
        return
    where = b.w(lid, "Properties")
    merged, partial, env = _quickstart_values(b, lid, res)
    eni: dict[str, Any] = {}
    if env is None and b.raw_prop(lid, res, "ValueOverrideURL") is not MISSING:
        env = Unknown(f"the {CNI_CHART} chart values include a file in S3 (ValueOverrideURL) podcap does not "
                      "read, which can set any of them", b.w(lid, "Properties", "ValueOverrideURL"))
    if env is None:
        env, eni, problems = chart_cni_configuration(merged, partial, where)
        for p in problems:
            b.unresolved(lid, p)
    cluster = b.prop(lid, res, "ClusterID")
    b.pending.addons.append(Addon(b.rid(lid), cluster, env, eni, b.source, b.plan.resource_locations[b.rid(lid)]))


def _quickstart_values(b: BuilderBase, lid: str, res: dict) -> tuple[dict, dict, Unknown | None]:
    """(merged values, unknown-piece tokens, None) or an Unknown saying which part could not be read."""
    merged: dict = {}
    partial: dict = {}
    where = b.w(lid, "Properties", "ValueYaml")
    raw = b.raw_prop(lid, res, "ValueYaml")
    if raw is not MISSING:
        text, partial = b.r.resolve_text(raw, where)
        if isinstance(text, Unknown):
            return merged, partial, Unknown(f"the {CNI_CHART} chart ValueYaml is not known: {text.reason}",
                                            text.where or where)
        if not isinstance(text, str):
            return merged, partial, Unknown(f"the {CNI_CHART} chart ValueYaml is not text", where)
        try:
            doc = load_yaml(re.sub(_BARE_TOKEN, r'"\1"', text), where)
        except InputError as e:
            return merged, partial, Unknown(f"the {CNI_CHART} chart ValueYaml is not YAML podcap can read "
                                            f"({str(e)[:160]})", where)
        if isinstance(doc, dict):
            merged = doc
        elif doc is not None:
            return merged, partial, Unknown(f"the {CNI_CHART} chart ValueYaml is not a mapping", where)
    where = b.w(lid, "Properties", "Values")
    values = b.prop(lid, res, "Values")
    if values is MISSING:
        return merged, partial, None
    if isinstance(values, Unknown):
        return merged, partial, Unknown(f"the {CNI_CHART} chart Values are not known: {values.reason}",
                                        values.where or where)
    if not isinstance(values, dict):
        return merged, partial, Unknown(f"the {CNI_CHART} chart Values are not a mapping", where)
    over: dict = {}
    for key, value in values.items():
        text = as_text(value)
        if isinstance(value, Unknown) or text is None:
            why = value.reason if isinstance(value, Unknown) else "not a string"
            return merged, partial, Unknown(f"the {CNI_CHART} chart value {str(key)[:60]} is not known ({why})",
                                            where)
        pairs = set_pairs(f"{key}={text}")
        if isinstance(pairs, str):  # Helm refuses the release
            return merged, partial, Unknown(f"the {CNI_CHART} chart Values entry {str(key)[:60]}: {pairs}", where)
        for name, v in pairs:
            if "[" in name:  # a list index (name[0]=...): not a setting of env or eniConfig podcap models
                if set_name(name)[0].split("[", 1)[0] in ("env", "eniConfig"):
                    return merged, partial, Unknown(f"the {CNI_CHART} chart value {name[:60]} sets a list "
                                                    "index podcap does not read", where)
                continue
            set_path(over, set_name(name), v)
    deep_merge(merged, over)
    return merged, partial, None


def read_kubernetes_patch(b: BuilderBase, lid: str, res: dict) -> None:
    name = b.prop(lid, res, "ResourceName")
    namespace = b.prop(lid, res, "ResourceNamespace")
    where = b.w(lid, "Properties", "ApplyPatchJson")
    if isinstance(name, Unknown):
        b.unresolved(lid, Unknown(f"the object a Kubernetes patch changes is not known ({name.reason}); if it "
                                  "is aws-node, its settings are not applied", name.where))
        return
    if not isinstance(name, str) or "/" not in name:
        return
    kind, _, obj_name = name.partition("/")
    target = PATCHED_OBJECTS.get((kind.lower().split(".", 1)[0], obj_name))
    ns = "default" if namespace is MISSING else namespace
    if target is None or ns != "kube-system":
        return
    patches = _json_objects(b, lid, b.raw_prop(lid, res, "ApplyPatchJson"), where, "ApplyPatchJson")
    if isinstance(patches, Unknown):
        b.unresolved(lid, Unknown(f"the {name} patch is not read: {patches.reason}; the aws-node settings it "
                                  "sets are not applied", patches.where or where))
        return
    patch_type = b.prop(lid, res, "PatchType")
    if isinstance(patch_type, str) and patch_type.lower() == "json":
        b.unresolved(lid, Unknown(f"the {name} patch is a JSON patch (RFC 6902), which podcap does not "
                                  "apply; the aws-node settings it sets are not read", where))
        return
    api, k8s_kind = target
    objects = []
    for patch in patches:
        if not isinstance(patch, dict):
            continue
        obj = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind", "metadata")}
        obj.update({"apiVersion": api, "kind": k8s_kind, "metadata": {"name": obj_name, "namespace": ns}})
        objects.append(obj)
    _carry(b, lid, res, objects)


# a pattern's text: re compiles it at its first use (docs/architecture.md, Start-up)
_BARE_TOKEN = r"(?<![\"'@\w])(" + TOKEN_RE.pattern + r")"


def _yaml_objects(text: str, partial: dict, where: str) -> list | Unknown:
    """The documents of a YAML (or JSON) manifest text; unknown pieces (tokens) are quoted so the text
    parses, then become Unknown values."""
    import yaml
    from podcap.sources.safe_yaml import SafeLoader  # on first use: a JSON check imports no YAML

    def load(t: str) -> list:
        ldr = SafeLoader(t)
        try:
            docs = []
            while ldr.check_data():
                docs.append(ldr.get_data())
            return docs
        finally:
            ldr.dispose()

    try:
        try:
            docs = load(text)
        except yaml.YAMLError:
            docs = load(re.sub(_BARE_TOKEN, r'"\1"', text))
    except (yaml.YAMLError, InputError, TypeError, ValueError) as e:
        return Unknown(f"the manifest is not YAML podcap can read ({str(e).splitlines()[0][:120]})", where)
    out: list = []
    for d in docs:
        if isinstance(d, list):
            out.extend(d)
        elif d is not None:
            out.append(d)
    return _untokenize(out, partial, where)


def read_quickstart_kubernetes_resource(b: BuilderBase, lid: str, res: dict) -> None:
    """``AWSQS::Kubernetes::Resource`` (the Quick Start's registry type): ``Manifest`` is YAML or JSON text
    applied to the cluster named by ``ClusterName``; a manifest given by ``Url`` is not in the template."""
    where = b.w(lid, "Properties", "Manifest")
    raw = b.raw_prop(lid, res, "Manifest")
    if raw is MISSING:
        if b.raw_prop(lid, res, "Url") is not MISSING:
            b.unresolved(lid, Unknown("Kubernetes manifest not read: it is fetched from a Url at deployment; any "
                                      "ENIConfig, aws-node or node pool settings in it are not applied",
                                      b.w(lid, "Properties", "Url")))
        return
    value, partial = b.r.resolve_text(raw, where)
    if isinstance(value, str) and value.strip() in partial:
        value = partial[value.strip()]
    objects: list | Unknown
    if isinstance(value, Unknown):
        objects = value
    elif isinstance(value, str):
        objects = _yaml_objects(value, partial, where)
    else:
        objects = Unknown("the Manifest is not text", where)
    if isinstance(objects, Unknown):
        b.unresolved(lid, Unknown(f"Kubernetes manifest not read: {objects.reason}; any ENIConfig, aws-node or "
                                  "node pool settings in it are not applied", objects.where or where))
        return
    _carry(b, lid, res, [o for o in objects if isinstance(o, dict)], cluster_key="ClusterName")


def _carry(b: BuilderBase, lid: str, res: dict, objects: list[dict], cluster_key: str = "ClusterName") -> None:
    if not objects:
        return
    b.report_condition(lid)
    if sets_aws_node(objects):
        # the aws-node settings EKS reads when it creates a managed node group (as an add-on's, see
        # template._order_after_cni)
        b.configured_cni_addons.add(lid)
    cluster = b.prop(lid, res, cluster_key)
    b.pending.kubernetes.append(KubernetesCarrier(b.rid(lid), objects, None if cluster is MISSING else cluster,
                                                  b.location(lid)))


def ignore(b: BuilderBase, lid: str, res: dict) -> None:
    """A resource type podcap knows and that takes no VPC addresses."""
