"""The vpc-cni add-on configuration (``ConfigurationValues``): aws-node env and the ``eniConfig`` block.

One reader for every carrier: CloudFormation ``AWS::EKS::Addon``, Terraform ``aws_eks_addon``, the CDK
constructs' output, eksctl ``addons[].configurationValues`` and live ``DescribeAddon``. The shape is the
add-on's configuration schema (``aws eks describe-addon-configuration --addon-name vpc-cni``).
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from podcap.model.unknown import Unknown
from podcap.sources.intrinsics import NO_VALUE, TOKEN_RE, as_text
from podcap.sources.safe_yaml import InputError, load_yaml

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any


def token_unknowns(text: str, partial: Mapping[str, Unknown]) -> list[Unknown]:
    return [partial[m.group(0)] for m in TOKEN_RE.finditer(text) if m.group(0) in partial]


def parse_cni_configuration(value: Any, partial: Mapping[str, Unknown], where: str
                            ) -> tuple[Any, dict[str, Any], list[Unknown]]:
    """The vpc-cni add-on's ``ConfigurationValues`` -> (env or None or Unknown, eni_configs, problems).

    ``value`` is resolved text (JSON or YAML) where unknown pieces are tokens (see Resolver.resolve_text).
    """
    problems: list[Unknown] = []
    if value is None or value is NO_VALUE or value == "":
        return None, {}, problems
    if isinstance(value, Unknown):
        return Unknown(f"vpc-cni ConfigurationValues not known: {value.reason}", value.where or where), {}, problems
    if isinstance(value, dict):
        data: Any = value
    elif isinstance(value, str):
        try:
            data = json.loads(value)
        except ValueError:
            try:
                data = load_yaml(value, "ConfigurationValues")
            except InputError as e:
                return Unknown(f"vpc-cni ConfigurationValues is neither JSON nor YAML ({e})", where), {}, problems
    else:
        return Unknown("vpc-cni ConfigurationValues is not a string", where), {}, problems
    if data is None:
        return None, {}, problems
    if not isinstance(data, dict):
        return Unknown("vpc-cni ConfigurationValues is not a mapping", where), {}, problems

    env: Any = None
    raw_env = data.get("env")
    if raw_env is not None:
        if not isinstance(raw_env, dict):
            env = Unknown("vpc-cni ConfigurationValues env is not a mapping", where)
        else:
            env = {}
            for k, v in raw_env.items():
                text = as_text(v) if not isinstance(v, (dict, list)) else json.dumps(v)
                if text is None:
                    text = "" if v is None else str(v)
                unknowns = token_unknowns(f"{k}={text}", partial)
                if unknowns:
                    env = Unknown(f"vpc-cni env {k} not known: {unknowns[0].reason}", unknowns[0].where or where)
                    break
                env[str(k)] = text

    eni: dict[str, Any] = {}
    block = data.get("eniConfig")
    if isinstance(block, dict):
        if block.get("create") in (False, "false"):
            problems.append(Unknown("vpc-cni eniConfig.create is false: the ENIConfigs are made outside the "
                                    "template; podcap cannot see them", where))
        else:
            subnets = block.get("subnets")
            if isinstance(subnets, dict):
                for az, spec in subnets.items():
                    az_text = str(az)
                    if token_unknowns(az_text, partial):
                        problems.append(Unknown(f"vpc-cni eniConfig AZ name not known: "
                                                f"{token_unknowns(az_text, partial)[0].reason}", where))
                        continue
                    sid = spec.get("id") if isinstance(spec, dict) else None
                    if not isinstance(sid, str) or not sid:
                        eni[az_text] = Unknown(f"eniConfig for {az_text} has no subnet id", where)
                        continue
                    unk = token_unknowns(sid, partial)
                    eni[az_text] = Unknown(f"eniConfig subnet for {az_text} not known: {unk[0].reason}",
                                           unk[0].where or where) if unk else sid
            elif subnets is not None:
                problems.append(Unknown("vpc-cni eniConfig.subnets is not a mapping of AZ -> {id}", where))
    return env, eni, problems
