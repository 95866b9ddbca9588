"""Kubernetes objects that decide pod networking, whatever carries them: a manifest file, a CDK
``Custom::AWSCDK-EKS-KubernetesResource`` manifest, a Terraform ``kubernetes_manifest`` / ``kubectl_manifest``.

Placeholder until the reader lands: every object is reported as not read (fail closed).
"""
from __future__ import annotations

from typing import Any

from podcap.model.plan import Location, Plan
from podcap.model.unknown import Unknown


def apply_kubernetes_objects(plan: Plan, objects: list[Any], *, where: str,
                             location: Location | None = None, cluster: str | None = None) -> None:
    """Fold Kubernetes objects (ENIConfig, the aws-node DaemonSet, the amazon-vpc-cni ConfigMap, Karpenter
    NodePool / EC2NodeClass, Auto Mode NodeClass / NodePool) into ``plan``.

    ``where`` names the carrier (a file path, a logical id, a Terraform address) for findings;
    ``cluster`` is the plan's cluster id the objects belong to, when the carrier says.
    """
    for obj in objects:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if kind:
            plan.unresolved.append((where, Unknown(f"Kubernetes {kind} not read", where)))
