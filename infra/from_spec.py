"""Build a PodcapNetwork + PodcapCluster from a podcap spec (docs/spec.md), as app.py and the tests do.

The spec is validated by :func:`podcap.sources.spec.plan_from_spec_dict` first (schema, references,
min <= desired <= max …), so a bad spec fails with the same one-line messages as ``podcap check``; the
constructs are then built from the resulting plan. Spec ``suppressions`` become :func:`acknowledge` waivers
on the construct of the resource they name.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from constructs import Construct
from podcap.cdk.cluster import NodeGroupSpec, PodcapCluster
from podcap.cdk.cni import CniSettings
from podcap.cdk.network import PodcapNetwork, Reservation, SubnetSpec
from podcap.model.plan import Plan, SubnetRole
from podcap.model.unknown import Unknown

_STACK_NAME = re.compile(r"[^A-Za-z0-9-]")


def load_spec_document(path: str) -> Any:
    """A spec file (YAML or JSON) -> the parsed document, with podcap's safe loader."""
    from podcap.sources.safe_yaml import InputError, load_json, load_yaml

    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8-sig")
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start})") from None
    if path.lower().endswith(".json") or text.lstrip().startswith("{"):
        return load_json(text, path)
    return load_yaml(text, path)


def spec_plan(doc: Any, source: str = "spec") -> Plan:
    """Validate a spec document; raises ``SpecError`` with one line per problem."""
    from podcap.sources.spec import plan_from_spec_dict

    return plan_from_spec_dict(doc, source)


def _literal(value: Any, what: str) -> Any:
    if isinstance(value, Unknown):
        raise ValueError(f"{what}: {value.reason}")
    return value


class SpecConstructs:
    """The constructs a spec produced: ``network``, ``cluster``, and the plan they were built from."""

    def __init__(self, plan: Plan, network: PodcapNetwork, cluster: PodcapCluster, name: str) -> None:
        self.plan = plan
        self.network = network
        self.cluster = cluster
        self.name = name


def build_from_spec(scope: Construct, doc: Any, *, source: str = "spec",
                    internet_gateway: bool = False) -> SpecConstructs:
    """Add ``Network`` and ``Cluster`` constructs for the spec under ``scope``."""
    from podcap.cdk.validation import acknowledge

    plan = spec_plan(doc, source)
    name = str(doc["name"])
    vpc = next(iter(plan.vpcs.values()))
    cidrs = [_literal(c, "vpc cidr") for c in vpc.cidrs]

    node_specs, pod_specs = [], []
    for s in plan.subnets.values():
        spec = SubnetSpec(
            name=s.id,
            az=_literal(s.az, f"subnet {s.id} az"),
            cidr=_literal(s.cidr, f"subnet {s.id} cidr"),
            reservations=tuple(Reservation(_literal(r.cidr, f"subnet {s.id} reservation"), r.type)
                               for r in s.reservations),
        )
        (pod_specs if s.role == SubnetRole.PODS else node_specs).append(spec)
    if not node_specs:
        raise ValueError(f"{source}: the spec has no node subnets (role nodes or both)")
    network = PodcapNetwork(scope, "Network", cidr=cidrs[0], secondary_cidrs=cidrs[1:], node_subnets=node_specs,
                            pod_subnets=pod_specs, internet_gateway=internet_gateway, name=name)

    cl = next(iter(plan.clusters.values()))
    if cl.ip_family != "ipv4":
        raise ValueError(f"{source}: ip_family {cl.ip_family} is not supported by the podcap constructs "
                         "(`podcap check` still checks such a spec)")
    env = _literal(cl.cni_env, "cluster.cni.env")
    cni = CniSettings.from_env(env)
    eni_configs = {str(az): _literal(sid, f"eni_configs.{az}") for az, sid in cl.eni_configs.items()} or None
    groups = []
    for ng in plan.nodegroups:
        if ng.self_managed:
            raise ValueError(f"{source}: node group {ng.name}: self-managed node groups are not built by the "
                             "podcap constructs")
        groups.append(NodeGroupSpec(
            name=ng.name,
            instance_types=list(_literal(ng.instance_types, f"{ng.name} instance_types")),
            subnets=list(_literal(ng.subnets, f"{ng.name} subnets")),
            min_size=int(ng.min_size),
            desired_size=int(ng.desired_size),
            max_size=int(ng.max_size),
            max_unavailable=ng.max_unavailable,
            max_unavailable_percentage=ng.max_unavailable_percentage,
            kubelet_max_pods=ng.kubelet_max_pods,
            ami_type=ng.ami_type or ("WINDOWS_CORE_2022_x86_64" if ng.os == "windows" else "AL2023_x86_64_STANDARD"),
            capacity_type=ng.capacity_type,
            pods_per_node=ng.pods_per_node,
            sgp_pods_per_node=ng.sgp_pods_per_node,
        ))
    cluster = PodcapCluster(
        scope, "Cluster",
        network=network,
        nodegroups=groups,
        cni=cni,
        cluster_subnets=list(_literal(cl.subnets, "cluster.subnets")),
        cluster_name=name,
        eni_configs=eni_configs if cni.custom_networking else None,
    )

    for resource, sups in plan.suppressions.items():
        if resource == "*":
            target: Construct = scope
        elif resource in network.subnets:
            target = network.subnets[resource]
        elif resource in cluster.nodegroups:
            target = cluster.nodegroups[resource]
        elif resource == name:
            target = cluster
        else:  # "vpc"
            target = network.vpc
        for s in sups:
            acknowledge(target, s.rule_id, s.reason, expires=s.expires)
    return SpecConstructs(plan, network, cluster, name)


class PodcapSpecStack(Stack):
    """A stack holding the network and cluster of one spec (environment-agnostic unless ``env`` is given)."""

    def __init__(self, scope: Construct, construct_id: str, *, spec: Mapping[str, Any], source: str = "spec",
                 internet_gateway: bool = False, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.spec = build_from_spec(self, spec, source=source, internet_gateway=internet_gateway)


def stack_id_for(doc: Any, default: str = "podcap") -> str:
    """``podcap-<spec name>``, made a valid stack name."""
    name = str(doc.get("name")) if isinstance(doc, dict) and doc.get("name") else ""
    sid = _STACK_NAME.sub("-", f"podcap-{name}" if name else default)
    return sid[:128]


__all__ = ["PodcapSpecStack", "SpecConstructs", "build_from_spec", "load_spec_document",
           "spec_plan", "stack_id_for"]
