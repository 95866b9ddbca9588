"""Kubernetes manifests as an input: multi-document YAML (or JSON) holding NodePool, EC2NodeClass, ENIConfig,
the aws-node DaemonSet, the amazon-vpc-cni ConfigMap, Auto Mode NodeClass / NodePool.

A manifest file describes no subnets or cluster of its own: ``podcap check vpc.yaml karpenter.yaml`` folds
its objects into the plan the other files make (see podcap.check). The objects are read by the one shared
reader, podcap.sources.objects.kubernetes.
"""
from __future__ import annotations

import re

from podcap.model.plan import Location, Plan
from podcap.sources.safe_yaml import InputError, SafeLoader, load_json, read_file

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

KIND = "kubernetes"
_MARKERS_YAML = re.compile(r"^apiVersion\s*:\s*['\"]?([\w.\-/]+)", re.MULTILINE)
_KIND_YAML = re.compile(r"^kind\s*:", re.MULTILINE)
_MARKERS_JSON = re.compile(r'"apiVersion"\s*:\s*"([\w.\-/]+)"')


def looks_like_manifest(text: str) -> bool:
    """Kubernetes objects at top level (``apiVersion`` + ``kind``), not an eksctl ClusterConfig."""
    if text.lstrip().startswith(("{", "[")):
        m = _MARKERS_JSON.search(text)
        return bool(m and '"kind"' in text and not m.group(1).startswith("eksctl.io"))
    apis = _MARKERS_YAML.findall(text)
    return bool(apis) and bool(_KIND_YAML.search(text)) and not any(a.startswith("eksctl.io") for a in apis)


def _decode(raw: bytes, path: str) -> str:
    try:
        from podcap.sources.reading import decode

        return decode(raw, path)
    except ImportError:  # pragma: no cover - older checkouts
        return raw.decode("utf-8-sig")


def read_objects(path: str) -> list[Any]:
    """Every document of a manifest file (a JSON file holds one object or a List)."""
    text = _decode(read_file(path, "manifest"), path)
    if text.lstrip().startswith(("{", "[")):
        doc = load_json(text, path)  # InputError: FILE:LINE:COL, duplicate keys refused as in YAML
        return doc if isinstance(doc, list) else [doc]
    import yaml

    loader = type("ManifestLoader", (SafeLoader,), {"filename": path})
    try:
        ldr = loader(text)
        docs = []
        try:
            while ldr.check_data():
                docs.append(ldr.get_data())
        finally:
            ldr.dispose()
    except InputError:
        raise
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"{path}{at}: invalid YAML: {problem}") from None
    except (TypeError, ValueError, RecursionError) as e:
        raise InputError(f"{path}: cannot read the manifest: {e}") from None
    return [d for d in docs if d is not None]


def load_manifests(path: str) -> Plan:
    """A plan holding only the file's objects: the cluster and subnets come from the other inputs."""
    from podcap.sources.objects.kubernetes import apply_kubernetes_objects

    plan = Plan(source=path, kind=KIND)
    objects = read_objects(path)
    if not any(isinstance(o, dict) and o.get("kind") for o in objects):
        raise InputError(f"{path}: no Kubernetes object (apiVersion and kind) in the file")
    apply_kubernetes_objects(plan, objects, where=path, location=Location(file=path))
    return plan
