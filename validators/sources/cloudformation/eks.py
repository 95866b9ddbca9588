"""EKS resources: ``AWS::EKS::Cluster`` (and the Quick Start's ``AWSQS::EKS::Cluster``, whose properties
mirror it) -> :class:`Cluster` with EKS Auto Mode (``ComputeConfig``); ``AWS::EKS::Addon`` ``vpc-cni`` ->
the cluster's aws-node settings; ``AWS::EKS::Nodegroup`` -> a managed :class:`NodeGroup`;
``AWS::EKS::FargateProfile`` -> :class:`FargateProfile`.

EKS defaults come from the EKS API reference: ``CreateNodegroup`` (no ``scalingConfig``: min 1, desired 2,
max 2; no instance type: :func:`podcap.sources._common.default_instance_type` of the AMI type).
"""

from __future__ import annotations

from podcap.model.plan import Cluster, FargateProfile, NodeGroup
from podcap.model.unknown import Unknown
from podcap.sources._common import default_instance_type
from podcap.sources.cloudformation.base import EKS_DEFAULT_SCALING, MISSING, Addon, BuilderBase, add_note
from podcap.sources.cloudformation.compute import (
    apply_node_demand,
    apply_user_data,
    instance_type,
    instance_types,
    launch_ref,
    launch_ref_unknown,
    lt_custom_ami,
    lt_instance_type,
    lt_user_data,
)
from podcap.sources.intrinsics import as_int
from podcap.sources.objects.cni_config import parse_cni_configuration
from podcap.sources.safe_yaml import InputError

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

AUTO_MODE_DEMAND_KEYS = ("max_nodes", "pods_per_node", "sgp_pods_per_node")


def ip_family(b: BuilderBase, lid: str, net: Any, where: str) -> str:
    family = "ipv4"
    if isinstance(net, dict):
        key = next((k for k in ("IpFamily", "ipFamily") if k in net), None)
        if key is not None:
            fam = net[key]
            if isinstance(fam, str) and fam.lower() in ("ipv4", "ipv6"):
                family = fam.lower()
            else:
                b.unresolved(lid, Unknown(f"IpFamily {fam if isinstance(fam, str) else 'unknown'} not "
                                          "understood; ipv4 assumed", f"{where}.{key}"))
    return family


def _bool(v: Any) -> bool | Unknown | None:
    if isinstance(v, (Unknown, bool)):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


def read_cluster(b: BuilderBase, lid: str, res: dict) -> None:
    """``AWS::EKS::Cluster`` and ``AWSQS::EKS::Cluster`` (the Quick Start's registry type, same properties)."""
    rid = b.rid(lid)
    name = b.prop(lid, res, "Name")
    vpc_cfg = b.prop(lid, res, "ResourcesVpcConfig")
    where = b.w(lid, "Properties", "ResourcesVpcConfig", "SubnetIds")
    if isinstance(vpc_cfg, Unknown):
        subnets: Any = vpc_cfg
    elif isinstance(vpc_cfg, dict) and "SubnetIds" in vpc_cfg:
        subnets = b.id_list(vpc_cfg["SubnetIds"], "SubnetIds", where)
    else:
        subnets = Unknown("the cluster names no subnets", where)
    family = ip_family(b, lid, b.prop(lid, res, "KubernetesNetworkConfig"),
                       b.w(lid, "Properties", "KubernetesNetworkConfig"))
    b.refer(subnets, lid)
    cl = Cluster(
        id=rid,
        name=None if name is MISSING else b.string(name, "Name", b.w(lid, "Properties", "Name")),
        subnets=subnets,
        ip_family=family,
        location=b.plan.resource_locations[rid],
    )
    _auto_mode(b, lid, cl, b.prop(lid, res, "ComputeConfig"), b.w(lid, "Properties", "ComputeConfig"))
    b.plan.clusters[rid] = cl


def _auto_mode(b: BuilderBase, lid: str, cl: Cluster, compute: Any, where: str) -> None:
    """EKS Auto Mode: ``ComputeConfig.Enabled`` and its built-in ``NodePools``; Metadata podcap demand on
    the cluster bounds those pools, which state no limits."""
    if compute is MISSING or compute is None:
        return
    if isinstance(compute, Unknown):
        cl.auto_mode = cl.auto_mode_pools = compute
        return
    if not isinstance(compute, dict):
        cl.auto_mode = Unknown("ComputeConfig is not a mapping", where)
        return
    enabled = _bool(compute.get("Enabled", compute.get("enabled", False)))
    cl.auto_mode = enabled if enabled is not None else Unknown("ComputeConfig.Enabled is not a boolean",
                                                               f"{where}.Enabled")
    pools = compute.get("NodePools", compute.get("nodePools", []))
    if isinstance(pools, Unknown):
        cl.auto_mode_pools = pools
    elif isinstance(pools, list):
        if any(isinstance(p, Unknown) for p in pools):
            cl.auto_mode_pools = next(p for p in pools if isinstance(p, Unknown))
        else:
            cl.auto_mode_pools = [str(p) for p in pools]
    else:
        cl.auto_mode_pools = Unknown("ComputeConfig.NodePools is not a list", f"{where}.NodePools")
    if cl.auto_mode is not False:
        for key in AUTO_MODE_DEMAND_KEYS:
            v = b.take_metadata(lid, key)
            if v is not None:
                cl.demand[key] = v


def read_addon(b: BuilderBase, lid: str, res: dict) -> None:
    name = b.prop(lid, res, "AddonName")
    if isinstance(name, Unknown):
        b.report_condition(lid)
        b.unresolved(lid, Unknown(f"add-on name not known ({name.reason}); if it is vpc-cni, its "
                                  "settings are not applied", name.where))
        return
    if name != "vpc-cni":
        return
    b.report_condition(lid)
    cluster = b.prop(lid, res, "ClusterName")
    raw = b.raw_prop(lid, res, "ConfigurationValues")
    where = b.w(lid, "Properties", "ConfigurationValues")
    env: Any = None
    eni: dict[str, Any] = {}
    if raw is not MISSING:
        if isinstance(raw, (dict, list)) and not (isinstance(raw, dict) and len(raw) == 1
                                                  and str(next(iter(raw))).startswith(("Fn::", "Ref"))):
            raise InputError(f"{b.source}: at {where}: ConfigurationValues of {lid} is an object; "
                             "CloudFormation takes it only as a JSON or YAML string (use Fn::ToJsonString "
                             "or quote it)")
        b.configured_cni_addons.add(lid)
        value, partial = b.r.resolve_text(raw, where)
        env, eni, problems = parse_cni_configuration(value, partial, where)
        for p in problems:
            b.unresolved(lid, p)
    b.pending.addons.append(Addon(b.rid(lid), cluster, env, eni, b.source, b.plan.resource_locations[b.rid(lid)]))


def read_nodegroup(b: BuilderBase, lid: str, res: dict) -> None:
    rid = b.rid(lid)
    p = lambda name: b.prop(lid, res, name)
    pw = lambda *parts: b.w(lid, "Properties", *parts)
    ng = NodeGroup(name=rid, location=b.plan.resource_locations[rid])

    cluster = p("ClusterName")
    b.pending.ng_clusters.append((ng, None if cluster is MISSING else cluster))
    for attr, key in (("ami_type", "AmiType"), ("capacity_type", "CapacityType")):
        v = p(key)
        if v is not MISSING:
            setattr(ng, attr, b.string(v, key, pw(key)))
    if isinstance(ng.ami_type, str) and ng.ami_type.upper().startswith("WINDOWS_"):
        ng.os = "windows"

    lt = launch_ref(b, p("LaunchTemplate"), pw("LaunchTemplate"), ("Id", "LaunchTemplateId"),
                    ("Name", "LaunchTemplateName"))
    types = p("InstanceTypes")
    if types is not MISSING:
        ng.instance_types = instance_types(b, types, pw("InstanceTypes"))
    elif lt is not None and lt.kind == "lt":
        t = lt_instance_type(b, lt.logical_id)
        if t is MISSING:
            _default_type(b, ng, "no instance type in the node group or its launch template")
        else:
            ng.instance_types = [instance_type(b, t, b.w(lt.logical_id, "Properties"))]
    elif lt is not None:
        ng.instance_types = launch_ref_unknown(lt, "the instance type comes from", pw("LaunchTemplate"))
    else:
        _default_type(b, ng, "no instance types and no launch template")

    subnets = p("Subnets")
    ng.subnets = Unknown("the node group names no subnets", pw()) if subnets is MISSING else \
        b.id_list(subnets, "Subnets", pw("Subnets"))
    b.refer(ng.subnets, lid)

    scaling = p("ScalingConfig")
    if scaling is MISSING:
        scaling = {}
        add_note(b.plan, rid, "no ScalingConfig: EKS uses min 1, desired 2, max 2")
    if isinstance(scaling, Unknown):
        ng.min_size = ng.desired_size = ng.max_size = scaling
    elif isinstance(scaling, dict):
        sizes = {}
        for key, default in EKS_DEFAULT_SCALING.items():
            if key in scaling:
                sizes[key] = as_int(scaling[key], f"ScalingConfig.{key}", pw("ScalingConfig", key))
            else:
                sizes[key] = default
                if scaling:
                    add_note(b.plan, rid, f"no ScalingConfig.{key}: EKS uses {default}")
        ng.min_size, ng.desired_size, ng.max_size = sizes["MinSize"], sizes["DesiredSize"], sizes["MaxSize"]
    else:
        ng.min_size = ng.desired_size = ng.max_size = Unknown("ScalingConfig is not a mapping",
                                                              pw("ScalingConfig"))

    update = p("UpdateConfig")
    if isinstance(update, Unknown):
        ng.max_unavailable = update
    elif update is not MISSING and not isinstance(update, dict):
        ng.max_unavailable = Unknown("UpdateConfig is not a mapping", pw("UpdateConfig"))
    elif isinstance(update, dict):
        if "MaxUnavailable" in update:
            ng.max_unavailable = as_int(update["MaxUnavailable"], "MaxUnavailable",
                                        pw("UpdateConfig", "MaxUnavailable"))
        if "MaxUnavailablePercentage" in update:
            ng.max_unavailable_percentage = as_int(update["MaxUnavailablePercentage"],
                                                   "MaxUnavailablePercentage",
                                                   pw("UpdateConfig", "MaxUnavailablePercentage"))
        if isinstance(update.get("UpdateStrategy"), str | Unknown):
            ng.update_strategy = update["UpdateStrategy"]

    if lt is not None and lt.kind == "lt":
        ng.custom_ami = lt_custom_ami(b, lt.logical_id)
        text, partial, ud_where = lt_user_data(b, lt.logical_id)
        apply_user_data(ng, text, partial, ud_where, f"launch template {lt.logical_id}")
    elif lt is not None:
        ng.custom_ami = launch_ref_unknown(lt, "whether a custom AMI is set depends on", pw("LaunchTemplate"))
        ng.kubelet_max_pods = launch_ref_unknown(lt, "user data of", pw("LaunchTemplate"))
    apply_node_demand(b, lid, ng)
    b.managed_nodegroups[lid] = ng
    b.plan.nodegroups.append(ng)


def _default_type(b: BuilderBase, ng: NodeGroup, why: str) -> None:
    t = default_instance_type(ng.ami_type)
    if isinstance(t, Unknown):
        ng.instance_types = Unknown(f"{why}: {t.reason}", t.where or b.w(ng.name.rsplit('/', 1)[-1], "Properties"))
        return
    ng.instance_types = [t]
    add_note(b.plan, ng.name, f"{why}: EKS uses {t}")


def read_fargate_profile(b: BuilderBase, lid: str, res: dict) -> None:
    """``AWS::EKS::FargateProfile``: each pod of the profile takes one address in its subnets."""
    add_fargate_profile(b, lid, b.prop(lid, res, "ClusterName"), b.prop(lid, res, "Subnets"),
                        b.w(lid, "Properties", "Subnets"))


def add_fargate_profile(b: BuilderBase, lid: str, cluster: Any, subnets: Any, where: str) -> FargateProfile:
    rid = b.rid(lid)
    fp = FargateProfile(name=rid, location=b.plan.resource_locations[rid])
    b.pending.ng_clusters.append((fp, None if cluster is MISSING else cluster))
    if subnets is MISSING or subnets == []:
        b.pending.fargate_default_subnets.append((fp, cluster))
    else:
        fp.subnets = b.id_list(subnets, "Subnets", where)
        b.refer(fp.subnets, lid)
    fp.pods = b.take_metadata(lid, "pods")
    b.plan.fargate_profiles.append(fp)
    return fp
