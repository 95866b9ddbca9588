"""EKS resources of a Terraform plan: ``aws_eks_cluster`` (with Auto Mode's ``compute_config``),
``aws_eks_addon`` ``vpc-cni`` (its ``configuration_values``), ``aws_eks_node_group`` and
``aws_eks_fargate_profile``."""
from __future__ import annotations

from podcap.model.plan import Cluster, FargateProfile, NodeGroup
from podcap.model.unknown import Unknown
from podcap.sources._common import default_instance_type
from podcap.sources.objects.cni_config import parse_cni_configuration
from podcap.sources.terraform.compute import apply_user_data, custom_ami, launch_template, set_sizes
from podcap.sources.terraform.plan import (
    AFTER_APPLY,
    MISSING,
    Builder,
    Res,
    ResItem,
    _as_int,
    _is_type_ref,
    _walk,
    _where,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# terraform-aws-eks orders its ``before_compute`` add-ons before the node groups with a time_sleep the
# node groups' inputs go through (node_groups.tf, ``dataplane_wait_duration``), not with a dependency.
_SLEEP = "time_sleep"


def read_cluster(b: Builder, res: Res) -> None:
    """``aws_eks_cluster``: name, control-plane subnets, IP family, and EKS Auto Mode (``compute_config``)."""
    a = res.address
    v = res.values
    name = v.get("name")
    if not isinstance(name, (str, Unknown)):
        name = Unknown("no cluster name in the plan", _where(a, ("name",)))
    elif isinstance(name, str):
        b.clusters_by_name.setdefault(name, []).append(a)
    subnets = b.subnet_list(res, ("vpc_config", 0, "subnet_ids"))
    if subnets is MISSING:
        subnets = Unknown("the cluster names no subnets", _where(a, ("vpc_config", 0, "subnet_ids")))
    family = "ipv4"
    fam = _walk(v, ("kubernetes_network_config", 0, "ip_family"))
    fw = _where(a, ("kubernetes_network_config", 0, "ip_family"))
    if isinstance(fam, str) and fam.lower() in ("ipv4", "ipv6"):
        family = fam.lower()
    elif isinstance(fam, Unknown):
        if b.has_expression(res, ("kubernetes_network_config", 0, "ip_family")):
            b.unresolved(a, Unknown(f"ip_family {AFTER_APPLY}; ipv4 assumed", fw))
    elif fam is not MISSING and fam is not None:
        b.unresolved(a, Unknown(f"ip_family {fam!r} not understood; ipv4 assumed", fw))
    cl = Cluster(id=a, name=name, subnets=subnets, ip_family=family, location=b.loc(res))
    cl.auto_mode, cl.auto_mode_pools = _auto_mode(res)
    b.plan.clusters[a] = cl


def _auto_mode(res: Res) -> tuple[Any, Any]:
    """(enabled, built-in node pools) from ``compute_config`` (EKS API ComputeConfigRequest: ``enabled``,
    ``nodePools`` of "general-purpose" / "system")."""
    block = _walk(res.values, ("compute_config", 0))
    where = _where(res.address, ("compute_config", 0))
    if block is MISSING or block is None:
        return False, []
    if isinstance(block, Unknown):
        why = Unknown(f"compute_config {AFTER_APPLY}", where)
        return why, why
    if not isinstance(block, dict):
        return False, []
    enabled = block.get("enabled")
    if isinstance(enabled, Unknown):
        enabled = Unknown(f"compute_config.enabled {AFTER_APPLY}", _where(where, ("enabled",)))
    elif not isinstance(enabled, bool):
        enabled = bool(enabled)
    pools = block.get("node_pools")
    if isinstance(pools, Unknown):
        pools = Unknown(f"compute_config.node_pools {AFTER_APPLY}", _where(where, ("node_pools",)))
    elif isinstance(pools, list):
        pools = [str(p) for p in pools if isinstance(p, str)]
    else:
        pools = []
    return enabled, pools


def cluster_of(b: Builder, res: Res, path: tuple) -> tuple[str | None, Unknown | None]:
    """(cluster id or a cluster name not in the plan, why it is not known)."""
    got = b.single(res, path, _is_type_ref("aws_eks_cluster"), "an EKS cluster")
    if got is None:
        return None, None
    if isinstance(got, Unknown):
        return None, got
    if isinstance(got, ResItem):
        return got.res.address, None
    name = got.value
    if not isinstance(name, str):
        return None, Unknown(f"cluster name is not a string: {name!r}", _where(res.address, path))
    candidates = b.clusters_by_name.get(name, [])
    if len(candidates) == 1:
        return candidates[0], None
    if len(candidates) > 1:
        same = [c for c in candidates if b.managed[c].ctx == res.ctx]
        if len(same) == 1:
            return same[0], None
        return None, Unknown(f"{len(candidates)} clusters in the plan are named {name}",
                             _where(res.address, path))
    return name, None


def cni_cluster(b: Builder, res: Res, cluster_id: str | None, why: Unknown | None, what: str) -> Cluster | None:
    """The cluster whose aws-node settings ``res`` writes: the one named (a cluster the plan does not
    create gets an entry of its own, not described), else the plan's only cluster; None (and an unresolved
    entry) when it cannot be told."""
    a = res.address
    cl = b.plan.clusters.get(cluster_id) if cluster_id else None
    if cl is None and cluster_id is not None:
        cl = Cluster(id=cluster_id, name=cluster_id,
                     subnets=Unknown("the cluster is not described by the plan; use --live", a),
                     location=b.loc(res))
        b.plan.clusters[cl.id] = cl
        b.plan.resource_locations.setdefault(cl.id, b.loc(res))
    if cl is None and len(b.plan.clusters) == 1 and (why is not None or cluster_id is None):
        cl = next(iter(b.plan.clusters.values()))
    if cl is None:
        b.unresolved(a, Unknown(f"the cluster of {what} cannot be identified"
                                f"{': ' + why.reason if why else ''}; its settings are not applied", a))
    return cl


def apply_cni(b: Builder, res: Res, cl: Cluster, env: Any, eni: dict[str, Any]) -> None:
    """Lay aws-node env and ENIConfig subnets read from ``res`` onto its cluster."""
    a = res.address
    if cl.cni_env is not None and env is not None and cl.cni_env != env:
        b.unresolved(a, Unknown(f"cluster {cl.id} has more than one vpc-cni configuration; the last one read is "
                                "used", a))
    if env is not None:
        cl.cni_env = env
    cl.eni_configs.update(eni)
    cl.cni_resource, cl.cni_location = a, b.loc(res)


def read_addon(b: Builder, res: Res) -> None:
    """``aws_eks_addon`` ``vpc-cni``: its ``configuration_values`` (env, eniConfig) on the cluster; the
    add-on is remembered for the node groups' creation order (see :func:`ordered_after_cni`)."""
    a = res.address
    v = res.values
    name = v.get("addon_name")
    if isinstance(name, Unknown):
        b.unresolved(a, Unknown(f"add-on name {AFTER_APPLY}; if it is vpc-cni, its settings are not "
                                "applied", name.where))
        return
    if name != "vpc-cni":
        return
    where = _where(a, ("configuration_values",))
    raw = v.get("configuration_values")
    env: Any = None
    eni: dict[str, Any] = {}
    if isinstance(raw, Unknown):
        env = Unknown(f"vpc-cni configuration_values {AFTER_APPLY}{b.computed_from(res, ('configuration_values',))}",
                      where)
    elif raw is not None and raw != "":
        env, eni, problems = parse_cni_configuration(raw, {}, where)
        for p in problems:
            b.unresolved(a, p)
        for az, sid in list(eni.items()):
            if isinstance(sid, str):
                eni[az] = b.subnet_id(sid, where, a)
    cluster_id, why = cluster_of(b, res, ("cluster_name",))
    cl = cni_cluster(b, res, cluster_id, why, "the vpc-cni add-on")
    if cl is None:
        return
    if raw is not None and raw != "":
        b.cni_addons.setdefault(cl.id, []).append(res)
    apply_cni(b, res, cl, env, eni)


def ordered_after_cni(b: Builder, res: Res, cluster: str | None) -> Any:
    """Is the managed node group created after its cluster's vpc-cni add-on configuration (or the
    aws-vpc-cni helm release that configures the CNI)? None when the plan configures neither.

    True when its configuration depends on the add-on (``depends_on``, or a reference chain), or when the
    node group's inputs wait on a ``time_sleep`` with a create_duration (terraform-aws-eks's
    ``before_compute`` add-ons: the add-on and the sleep both start once the cluster exists, the node groups
    after the sleep) and the add-on does not itself wait on the node group. False when the add-on depends
    on the node group (terraform-aws-eks's other add-ons) or nothing orders them.
    """
    cl = b.plan.cluster_for(NodeGroup(name=res.address, cluster=cluster))
    addons = b.cni_addons.get(cl.id, []) if cl is not None else []
    if not addons:
        return None
    unknown: Unknown | None = None
    for addon in addons:
        got = b.depends_on(res, addon)
        if got is True:
            return True
        if b.depends_on(addon, res) is True:
            continue
        # a sleep the add-on waits on too starts the add-on with the node groups: it orders nothing
        sleeps = [r for r in (_sleep(b, n) for n in b.reaches_type(res, _SLEEP))
                  if r is not None and b.depends_on(addon, r) is not True]
        if sleeps:
            b.plan.notes.append((res.address, (
                f"created once {sleeps[0].address} has waited {sleeps[0].values.get('create_duration')} "
                f"(terraform-aws-eks dataplane_wait_duration) while {addon.address} is created: taken as "
                "ordered after the vpc-cni add-on")))
            return True
        if isinstance(got, Unknown):
            unknown = unknown or got
    return unknown if unknown is not None else False


def _sleep(b: Builder, node: tuple) -> Res | None:
    """The planned time_sleep of that configuration resource, when it waits a known, non-zero
    create_duration."""
    names, address = node[1], node[2]
    for r in b.by_type.get(_SLEEP, []):
        if b._names(r.ctx) == names and r.addr.config_address == address:
            d = r.values.get("create_duration")
            if isinstance(d, str) and d.strip() not in ("", "0", "0s"):
                return r
    return None


def _instance_types(b: Builder, res: Res, ng: NodeGroup, present: bool, lt: Res | None,
                    lt_why: Unknown | None) -> None:
    a = res.address
    types = res.values.get("instance_types")
    tw = _where(a, ("instance_types",))
    lt_type = lt.values.get("instance_type") if lt is not None else None
    if types is not None and not isinstance(types, (list, Unknown)):
        ng.instance_types = Unknown(f"instance_types is not a list: {types!r}", tw)
    elif isinstance(types, list) and types:
        ng.instance_types = [t if isinstance(t, (str, Unknown)) else Unknown(f"not an instance type: {t!r}", tw)
                             for t in types]
    elif isinstance(types, Unknown) and b.has_expression(res, ("instance_types",)):
        ng.instance_types = Unknown(f"{AFTER_APPLY}{b.computed_from(res, ('instance_types',))}", tw)
    elif isinstance(types, Unknown) and b.config_of(res) is None and not present:
        ng.instance_types = Unknown(f"{AFTER_APPLY}, and the plan has no configuration to show whether it is "
                                    "set", tw)
    elif present and lt is None:
        ng.instance_types = Unknown(f"the instance type comes from a launch template podcap cannot read "
                                    f"({lt_why.reason if lt_why else 'unknown'})", tw)
    elif isinstance(lt_type, str) and lt_type:
        ng.instance_types = [lt_type]
    elif isinstance(lt_type, Unknown):
        ng.instance_types = [Unknown(f"launch template instance_type {AFTER_APPLY}",
                                     _where(lt.address if lt else a, ("instance_type",)))]
    else:
        default = default_instance_type(ng.ami_type)
        if isinstance(default, Unknown):
            ng.instance_types = Unknown(default.reason, default.where or tw)
        else:
            ng.instance_types = [default]
            what = "no instance type in the node group or its launch template" if present else \
                "no instance types and no launch template"
            b.plan.notes.append((a, f"{what}: EKS uses {default}"))


def _update_config(b: Builder, res: Res, ng: NodeGroup) -> None:
    update = _walk(res.values, ("update_config", 0))
    uw = _where(res.address, ("update_config", 0))
    no_config = b.config_of(res) is None
    static_block = b.has_expression(res, ("update_config",))
    if isinstance(update, Unknown):
        # Unknown and not in the configuration: the provider computes the block EKS defaults (one node at a
        # time). Without the configuration podcap cannot tell that apart from a value set there.
        if static_block:
            ng.max_unavailable = update
        elif no_config:
            ng.max_unavailable = Unknown(f"update_config {AFTER_APPLY}, and the plan has no configuration "
                                         "to show whether it is set", update.where or uw)
    elif isinstance(update, dict):
        for attr, key in (("max_unavailable", "max_unavailable"),
                          ("max_unavailable_percentage", "max_unavailable_percentage")):
            val = update.get(key)
            if isinstance(val, Unknown) and not b.has_expression(res, ("update_config", 0, key)):
                if static_block:
                    continue  # not set in the update_config block of the configuration
                # the block is in the plan but not in the configuration JSON: a dynamic block (which the
                # plan does not record) or no configuration at all; either way the value is not known
                val = Unknown(f"{key} {AFTER_APPLY} (set in an update_config block the plan's configuration "
                              "does not show, such as a dynamic block)" if not no_config else
                              f"{key} {AFTER_APPLY}, and the plan has no configuration to show whether it is "
                              "set", val.where or _where(uw, (key,)))
            if val is None or val == 0:
                continue
            setattr(ng, attr, _as_int(val, key, _where(uw, (key,))))
        if isinstance(update.get("update_strategy"), str):  # hashicorp/aws: update_config.update_strategy
            ng.update_strategy = update["update_strategy"]


def read_nodegroup(b: Builder, res: Res) -> None:
    """``aws_eks_node_group``: a managed node group (instance types, subnets, sizes, update config, AMI
    type, launch template: its instance type, custom AMI and user data), ordered or not after the vpc-cni
    add-on's configuration."""
    a = res.address
    v = res.values
    ng = NodeGroup(name=a, location=b.loc(res))
    cluster, why = cluster_of(b, res, ("cluster_name",))
    ng.cluster = cluster
    if cluster is None and why is not None and len(b.plan.clusters) > 1:
        b.unresolved(a, Unknown(f"the node group's cluster is not known: {why.reason}", why.where))

    for attr in ("ami_type", "capacity_type"):
        val = v.get(attr)
        if isinstance(val, str) and val or isinstance(val, Unknown) and b.has_expression(res, (attr,)):
            setattr(ng, attr, val)
    if isinstance(ng.ami_type, str) and ng.ami_type.upper().startswith("WINDOWS"):
        ng.os = "windows"

    present, lt, lt_why = launch_template(b, res, ("launch_template",), "id", "name")
    _instance_types(b, res, ng, present, lt, lt_why)

    subnets = b.subnet_list(res, ("subnet_ids",))
    ng.subnets = Unknown("the node group names no subnets", _where(a, ("subnet_ids",))) \
        if subnets is MISSING else subnets

    scaling = _walk(v, ("scaling_config", 0))
    if scaling is MISSING or scaling is None:
        scaling = Unknown("no scaling_config in the plan", _where(a, ("scaling_config",)))
    set_sizes(ng, scaling, ("min_size", "desired_size", "max_size"), _where(a, ("scaling_config", 0)))
    _update_config(b, res, ng)

    if lt is not None:
        apply_user_data(b, ng, lt)
        ng.custom_ami = custom_ami(lt)
    elif present and lt_why is not None:
        ng.kubelet_max_pods = Unknown(f"user data of a launch template podcap cannot read: {lt_why.reason}",
                                      lt_why.where)
        ng.custom_ami = Unknown(f"a launch template podcap cannot read: {lt_why.reason}", lt_why.where)
    ng.ordered_after_cni = ordered_after_cni(b, res, cluster)
    b.plan.nodegroups.append(ng)


def read_fargate_profile(b: Builder, res: Res) -> None:
    """``aws_eks_fargate_profile``: its cluster and subnets (each Fargate pod takes one address there).
    The pods it runs are not in the plan: that demand is stated outside (``.podcap.yaml`` demand)."""
    a = res.address
    cluster, why = cluster_of(b, res, ("cluster_name",))
    if cluster is None and why is not None and len(b.plan.clusters) > 1:
        b.unresolved(a, Unknown(f"the Fargate profile's cluster is not known: {why.reason}", why.where))
    subnets = b.subnet_list(res, ("subnet_ids",))
    if subnets is MISSING or subnets == []:
        # CreateFargateProfile: subnets are optional; EKS's API reference does not say which it then uses
        subnets = Unknown("the Fargate profile names no subnets, and EKS's API reference does not say which "
                          "subnets it then uses; set subnet_ids", _where(a, ("subnet_ids",)))
    b.plan.fargate_profiles.append(FargateProfile(name=a, cluster=cluster, subnets=subnets, location=b.loc(res)))


def takes_no_addresses(b: Builder, res: Res) -> None:
    """EKS resources that take no VPC addresses (access entries and policies, pod identity associations,
    identity provider configs): read, and nothing to check."""
