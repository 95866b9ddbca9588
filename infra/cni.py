"""Typed vpc-cni settings, rendered to the EKS ``vpc-cni`` add-on's configuration values.

The add-on takes a JSON document (``ConfigurationValues``) whose ``env`` block lands in the ``aws-node``
DaemonSet's environment (every value a string) and whose ``eniConfig`` block makes the add-on create one
``ENIConfig`` object per AZ for custom networking. podcap reads the very same document back from the
synthesized template (``validators/sources/cloudformation.py``), so what is set here is what is checked.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from podcap.engine.settings import CniSettings as EngineCniSettings
from podcap.engine.settings import parse_env

# The typed fields and the aws-node variable each one sets.
_ENV_NAMES: dict[str, str] = {
    "warm_eni_target": "WARM_ENI_TARGET",
    "warm_ip_target": "WARM_IP_TARGET",
    "minimum_ip_target": "MINIMUM_IP_TARGET",
    "warm_prefix_target": "WARM_PREFIX_TARGET",
    "prefix_delegation": "ENABLE_PREFIX_DELEGATION",
    "max_eni": "MAX_ENI",
    "custom_networking": "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
    "security_groups_for_pods": "ENABLE_POD_ENI",
}
_FIELD_FOR_ENV = {v: k for k, v in _ENV_NAMES.items()}

# With custom networking the CNI picks a node's ENIConfig by this node label; the add-on's eniConfig block
# names its ENIConfig objects after the AZs, so the zone label selects the right one with no node labelling.
ENI_CONFIG_LABEL_DEF = "topology.kubernetes.io/zone"


def _env_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@dataclass(frozen=True)
class CniSettings:
    """aws-node settings for the vpc-cni add-on. ``None`` leaves a variable out (the add-on's default).

    ``extra_env`` holds any other aws-node variable (``AWS_VPC_K8S_CNI_EXTERNALSNAT`` …); it may not repeat a
    variable that a typed field sets (it may hold one whose typed field is unset, e.g. a raw value the CNI
    would ignore, so that podcap reports it). With custom networking ``ENI_CONFIG_LABEL_DEF`` defaults to the zone
    label, which selects the per-AZ ENIConfig objects the add-on creates.
    """

    warm_eni_target: int | None = None
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None
    warm_prefix_target: int | None = None
    prefix_delegation: bool | None = None
    max_eni: int | None = None
    custom_networking: bool = False
    security_groups_for_pods: bool | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("warm_eni_target", "warm_ip_target", "minimum_ip_target", "warm_prefix_target"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ValueError(f"CniSettings.{name} must be a whole number >= 0, not {v!r}")
        if self.max_eni is not None and (isinstance(self.max_eni, bool) or not isinstance(self.max_eni, int)
                                         or self.max_eni < 1):
            raise ValueError(f"CniSettings.max_eni must be a whole number >= 1, not {self.max_eni!r}")
        clash = sorted(k for k in self.extra_env if k in _FIELD_FOR_ENV
                       and getattr(self, _FIELD_FOR_ENV[k]) not in (None, False))
        if clash:
            raise ValueError(f"CniSettings.extra_env repeats {', '.join(clash)}, which a typed field sets")

    @classmethod
    def from_env(cls, env: Mapping[str, Any] | None) -> CniSettings:
        """From a raw aws-node env mapping (a spec's ``cluster.cni.env``). Values the typed fields cannot hold
        (``WARM_IP_TARGET: abc``) stay raw in ``extra_env``, so podcap still sees and reports them."""
        kwargs: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for k, v in (env or {}).items():
            key, raw = str(k), _env_str(v)
            fname = _FIELD_FOR_ENV.get(key)
            typed: Any = None
            if fname in ("prefix_delegation", "custom_networking", "security_groups_for_pods"):
                typed = {"true": True, "false": False}.get(raw)
            elif fname is not None and raw.isdigit():
                typed = int(raw)
                if fname == "max_eni" and typed < 1:
                    typed = None
            if fname is not None and typed is not None:
                kwargs[fname] = typed
            else:
                extra[key] = raw
        return cls(**kwargs, extra_env=extra)

    def env(self) -> dict[str, str]:
        """The add-on's ``env`` block: only what is set, every value a string."""
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name in _ENV_NAMES:
                v = getattr(self, f.name)
                if f.name == "custom_networking" and not v:
                    continue
                if v is not None:
                    out[_ENV_NAMES[f.name]] = _env_str(v)
        if self.custom_networking and "ENI_CONFIG_LABEL_DEF" not in self.extra_env:
            out["ENI_CONFIG_LABEL_DEF"] = ENI_CONFIG_LABEL_DEF
        out.update({str(k): _env_str(v) for k, v in self.extra_env.items()})
        return out

    def engine_settings(self) -> EngineCniSettings:
        """What ipamd makes of this env (the add-on's defaults underneath), for max-pods arithmetic."""
        return parse_env(self.env()).settings

    def configuration(
        self,
        *,
        region: Any = None,
        eni_subnets: Mapping[str, Any] | None = None,
        security_groups: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """The add-on configuration document (tokens allowed as values).

        ``eni_subnets`` (AZ name -> subnet id) is required with custom networking and makes the add-on create
        one ``ENIConfig`` per AZ (``eniConfig.create``); ``security_groups`` go into every one of them.
        """
        doc: dict[str, Any] = {}
        env = self.env()
        if env:
            doc["env"] = env
        if self.custom_networking:
            if not eni_subnets:
                raise ValueError("custom networking needs a pod subnet per AZ (eni_subnets)")
            if region is None:
                raise ValueError("custom networking needs the region for the add-on's eniConfig block")
            subnets: dict[str, Any] = {}
            for az, sid in eni_subnets.items():
                entry: dict[str, Any] = {"id": sid}
                if security_groups:
                    entry["securityGroups"] = list(security_groups)
                subnets[str(az)] = entry
            doc["eniConfig"] = {"create": True, "region": region, "subnets": subnets}
        elif eni_subnets:
            raise ValueError("eni_subnets given but custom_networking is off: the CNI would ignore them")
        return doc

    def needs_kubelet_max_pods(self) -> bool:
        """Whether the EKS AMIs' default max-pods is wrong for these settings: it is computed for secondary IPs
        on every ENI, which prefix delegation exceeds and custom networking, security groups for pods and
        MAX_ENI fall short of."""
        s = self.engine_settings()
        return s.prefix_delegation or s.custom_networking or s.pod_eni or s.max_eni is not None


def configuration_json(doc: Mapping[str, Any], stack: Any = None) -> str:
    """The configuration as a JSON string; with a ``Stack`` tokens inside it are rendered (Fn::Join)."""
    if stack is not None:
        return stack.to_json_string(dict(doc))
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


__all__ = ["ENI_CONFIG_LABEL_DEF", "CniSettings", "configuration_json"]
