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

from podcap.model.unknown import Unknown
from podcap.sources.objects.cni_config import parse_cni_configuration

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

CNI_CHART = "aws-vpc-cni"


def is_cni_chart(chart: str) -> bool:
    """``aws-vpc-cni``, ``eks/aws-vpc-cni``, ``oci://…/aws-vpc-cni`` or a chart archive ``aws-vpc-cni-1.2.3.tgz``."""
    last = chart.rstrip("/").rsplit("/", 1)[-1]
    return last == CNI_CHART or bool(re.fullmatch(rf"{CNI_CHART}-\d[\w.+-]*\.tgz", last))


def set_name(name: str) -> list[str]:
    """Helm's ``--set`` key: dots separate keys, ``\\.`` is a dot inside one."""
    return [p.replace("\0", ".") for p in name.replace("\\.", "\0").split(".")]


def set_pairs(text: str) -> list[tuple[str, str]] | str:
    """``name=value[,name=value...]`` as Helm's strvals parser reads a ``--set`` argument: an unescaped
    comma starts the next pair, the first unescaped ``=`` ends a name, a backslash escapes the next
    character of a value (a name keeps its ``\\.`` for :func:`set_name`). A pair without ``=`` is
    Helm's "key has no value" error, returned as its message."""
    pairs: list[tuple[str, str]] = []
    name: list[str] = []
    value: list[str] | None = None  # None while the name is read

    def flush() -> str | None:
        key = "".join(name)
        if value is None:
            return f"key {key[:60]!r} has no value"
        pairs.append((key, "".join(value)))
        return None

    chars = iter(text)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "")
            if value is None:
                name.append(c + nxt if nxt == "." else nxt)
            else:
                value.append(nxt)
        elif c == ",":
            if (problem := flush()) is not None:
                return problem
            name, value = [], None
        elif c == "=" and value is None:
            value = []
        else:
            (name if value is None else value).append(c)
    if (value is not None or name) and (problem := flush()) is not None:  # a trailing comma ends nothing
        return problem
    return pairs


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
