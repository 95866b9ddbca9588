"""The aws-vpc-cni Helm chart (aws/amazon-vpc-cni-k8s ``charts/aws-vpc-cni``), as every carrier of a Helm
release reads it: Terraform's ``helm_release``, the CDK's ``Custom::AWSCDK-EKS-HelmChart`` (``addHelmChart``)
and the Quick Start's ``AWSQS::Kubernetes::Helm``.

The chart's ``env:`` and ``eniConfig:`` values have the vpc-cni add-on configuration's shape, so
:func:`podcap.sources.objects.cni_config.parse_cni_configuration` reads them; the chart's own default is
``eniConfig.create: false`` (values.yaml), so subnets alone create no ENIConfig.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from podcap.model.unknown import Unknown
from podcap.sources.objects.cni_config import parse_cni_configuration

CNI_CHART = "aws-vpc-cni"


def is_cni_chart(chart: str) -> bool:
    """``aws-vpc-cni``, ``eks/aws-vpc-cni``, ``oci://…/aws-vpc-cni`` or a chart archive ``aws-vpc-cni-1.2.3.tgz``."""
    last = chart.rstrip("/").rsplit("/", 1)[-1]
    return last == CNI_CHART or bool(re.fullmatch(rf"{CNI_CHART}-\d[\w.+-]*\.tgz", last))


def set_name(name: str) -> list[str]:
    """Helm's ``--set`` key: dots separate keys, ``\\.`` is a dot inside one."""
    return [p.replace("\0", ".") for p in name.replace("\\.", "\0").split(".")]


def set_path(target: dict, path: list[str], value: Any) -> None:
    node = target
    for key in path[:-1]:
        nxt = node.get(key)
        if not isinstance(nxt, dict):
            nxt = node[key] = {}
        node = nxt
    node[path[-1]] = value


def deep_merge(into: dict, new: dict) -> None:
    """Helm's merge of values files: maps merge key by key, anything else replaces."""
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            deep_merge(into[k], v)
        else:
            into[k] = v


def chart_cni_configuration(merged: dict, partial: Mapping[str, Unknown], where: str
                            ) -> tuple[Any, dict[str, Any], list[Unknown]]:
    """The aws-node env and ENIConfigs of the chart's merged values: (env or None or Unknown, eni, problems)."""
    values = {k: merged[k] for k in ("env", "eniConfig") if k in merged}
    if isinstance(values.get("eniConfig"), dict):
        values["eniConfig"] = {"create": False, **values["eniConfig"]}
    return parse_cni_configuration(values, partial, where)
