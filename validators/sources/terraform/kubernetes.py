"""Kubernetes objects a Terraform plan applies: ``kubernetes_manifest`` (``manifest``), ``kubectl_manifest``
(``yaml_body``) and a ``helm_release`` of the aws-vpc-cni chart (its ``values`` and ``set`` blocks).

The objects go to the one reader every carrier shares (:mod:`podcap.sources.objects.kubernetes`); the chart's
``env:`` and ``eniConfig:`` values have the vpc-cni add-on configuration's shape (aws/amazon-vpc-cni-k8s
``charts/aws-vpc-cni/values.yaml``), so :mod:`podcap.sources.objects.cni_config` reads them.
"""
from __future__ import annotations

import re

from podcap.model.unknown import Unknown
from podcap.sources.objects.helm_chart import (
    CNI_CHART,
    chart_cni_configuration,
    deep_merge,
    is_cni_chart,
    set_name,
    set_path,
)
from podcap.sources.objects.kubernetes import apply_kubernetes_objects, sets_aws_node
from podcap.sources.safe_yaml import InputError, load_yaml
from podcap.sources.terraform.eks import apply_cni, cni_cluster
from podcap.sources.terraform.plan import (
    AFTER_APPLY,
    Builder,
    Res,
    ResItem,
    _has_unknown,
    _is_subnet_ref,
    _where,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

_DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


def yaml_documents(text: str, where: str) -> list[Any]:
    """The documents of a (multi-document) YAML text, empty ones left out."""
    docs = []
    for part in _DOC_SPLIT.split(text):
        if part.strip():
            doc = load_yaml(part, where)
            if doc is not None:
                docs.append(doc)
    return docs


def _objects(b: Builder, res: Res, objects: list[Any]) -> None:
    cluster = _only_cluster(b)
    if cluster is not None and sets_aws_node(objects):
        b.cni_addons.setdefault(cluster, []).append(res)  # its env decides the managed groups' max pods
    apply_kubernetes_objects(b.plan, objects, where=res.address, location=b.loc(res),
                             cluster=_only_cluster(b))


def _only_cluster(b: Builder) -> str | None:
    """The Kubernetes provider's cluster is not in the plan's resource values: the plan's only cluster."""
    return next(iter(b.plan.clusters)) if len(b.plan.clusters) == 1 else None


def read_kubernetes_manifest(b: Builder, res: Res) -> None:
    """``kubernetes_manifest``: one object in ``manifest``. An ENIConfig whose ``spec.subnet`` is known only
    after apply is read when the manifest's expression references exactly one subnet (that subnet's id)."""
    manifest = res.values.get("manifest")
    where = _where(res.address, ("manifest",))
    if isinstance(manifest, dict) and _has_unknown(manifest):
        manifest = _eni_config_subnet(b, res, manifest)
    if isinstance(manifest, Unknown) or _has_unknown(manifest):
        b.unresolved(res.address, Unknown(f"the manifest is {AFTER_APPLY}: the Kubernetes object it applies "
                                          "is not read", where))
    elif isinstance(manifest, dict):
        _objects(b, res, [manifest])
    elif manifest is not None:
        b.unresolved(res.address, Unknown("manifest is not an object", where))


def _eni_config_subnet(b: Builder, res: Res, manifest: dict) -> dict:
    spec = manifest.get("spec")
    if manifest.get("kind") != "ENIConfig" or not isinstance(spec, dict) or not isinstance(spec.get("subnet"), Unknown):
        return manifest
    if _has_unknown({k: v for k, v in manifest.items() if k != "spec"}) or _has_unknown(
            {k: v for k, v in spec.items() if k != "subnet"}):
        return manifest
    got = b.follow(res, ("manifest",), _is_subnet_ref, "subnets")
    subnets = {i.res.address for i in got if isinstance(i, ResItem)} if isinstance(got, list) else set()
    if isinstance(got, list) and len(got) == 1 and len(subnets) == 1:
        return {**manifest, "spec": {**spec, "subnet": subnets.pop()}}
    return manifest


def read_kubectl_manifest(b: Builder, res: Res) -> None:
    """``kubectl_manifest`` (gavinbunney/kubectl, alekc/kubectl): one object as YAML in ``yaml_body``."""
    body = res.values.get("yaml_body")
    where = _where(res.address, ("yaml_body",))
    if isinstance(body, Unknown):
        b.unresolved(res.address, Unknown(f"yaml_body is {AFTER_APPLY}: the Kubernetes object it applies is "
                                          "not read", where))
        return
    if not isinstance(body, str):
        return
    try:
        docs = yaml_documents(body, where)
    except InputError as e:
        b.unresolved(res.address, Unknown(f"yaml_body is not YAML podcap can read ({e})", where))
        return
    _objects(b, res, docs)


def read_helm_release(b: Builder, res: Res) -> None:
    """``helm_release`` of the aws-vpc-cni chart: the aws-node env and ENIConfigs its values set."""
    v = res.values
    chart = v.get("chart")
    a = res.address
    if isinstance(chart, Unknown):
        b.unresolved(a, Unknown(f"helm chart name {AFTER_APPLY}: if it is {CNI_CHART}, its settings are not "
                                "applied", _where(a, ("chart",))))
        return
    if not isinstance(chart, str) or not is_cni_chart(chart):
        return
    where = _where(a, ("values",))
    merged, why = chart_values(v, a)
    cl = cni_cluster(b, res, None, None, f"the {CNI_CHART} helm release")
    if cl is None:
        return
    # the chart's settings are the CNI configuration in force once the release is applied: a managed node
    # group created before it gets EKS's max pods for the defaults (see eks.ordered_after_cni)
    b.cni_addons.setdefault(cl.id, []).append(res)
    if why is not None:
        apply_cni(b, res, cl, why, {})
        return
    env, eni, problems = chart_cni_configuration(merged, {}, where)
    for p in problems:
        b.unresolved(a, p)
    for az, sid in list(eni.items()):
        if isinstance(sid, str):
            eni[az] = b.subnet_id(sid, where, a)
    apply_cni(b, res, cl, env, eni)


def chart_values(values: dict, address: str) -> tuple[dict, Unknown | None]:
    """The release's values: the ``values`` YAML documents merged in order, then ``set`` / ``set_list`` /
    ``set_sensitive`` entries (Helm's precedence); Unknown when a part that could set them is unknown."""
    merged: dict = {}
    docs = values.get("values")
    where = _where(address, ("values",))
    if isinstance(docs, Unknown):
        return merged, Unknown(f"the chart values are {AFTER_APPLY}", where)
    for i, text in enumerate(docs if isinstance(docs, list) else []):
        if isinstance(text, Unknown):
            return merged, Unknown(f"the chart values are {AFTER_APPLY}", _where(address, ("values", i)))
        if not isinstance(text, str):
            continue
        try:
            doc = load_yaml(text, _where(address, ("values", i)))
        except InputError as e:
            return merged, Unknown(f"chart values not readable ({e})", _where(address, ("values", i)))
        if isinstance(doc, dict):
            deep_merge(merged, doc)
    for block in ("set", "set_list", "set_sensitive"):
        entries = values.get(block)
        if isinstance(entries, Unknown):
            return merged, Unknown(f"{block} {AFTER_APPLY}", _where(address, (block,)))
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            name, value = entry.get("name"), entry.get("value")
            if isinstance(name, Unknown) or isinstance(value, Unknown) or _has_unknown(value):
                return merged, Unknown(f"a {block} value is {AFTER_APPLY}", _where(address, (block, i)))
            if isinstance(name, str) and name:
                set_path(merged, set_name(name), value)
    return merged, None
