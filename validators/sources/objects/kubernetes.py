"""Kubernetes objects that decide pod networking, whatever carries them: a manifest file, a CDK
``Custom::AWSCDK-EKS-KubernetesResource`` manifest, a Terraform ``kubernetes_manifest`` / ``kubectl_manifest``.

Read here, once for every source:

* ``ENIConfig`` (crd.k8s.amazonaws.com): custom networking, the pod subnet of each AZ (its name);
* the ``aws-node`` DaemonSet (kube-system): the aws-node container's env;
* the ``amazon-vpc-cni`` ConfigMap (kube-system): Windows IPAM settings, reported as notes;
* Karpenter ``NodePool`` (karpenter.sh v1 / v1beta1) with its ``EC2NodeClass`` (karpenter.k8s.aws v1 / v1beta1);
* EKS Auto Mode ``NodeClass`` (eks.amazonaws.com/v1) and the NodePools that use it.

ENIConfig, DaemonSet and ConfigMap change the cluster at once. NodePools need the whole plan (subnets from other
files, the instance-limits snapshot), so :func:`apply_kubernetes_objects` keeps them on the plan and
:func:`resolve_kubernetes_objects` turns them into node pools when the check starts.
"""
from __future__ import annotations

from podcap.engine.disruption import read_budgets
from podcap.limits import Snapshot
from podcap.model.plan import Cluster, Location, NodeGroup, Plan
from podcap.model.records import record
from podcap.model.unknown import Unknown
from podcap.sources.intrinsics import TOKEN_RE

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# podcap.engine.karpenter and podcap.engine.auto_mode are imported where a node pool is read: a plan
# without NodePools or Auto Mode does not pay for them (every check passes through this module)

KARPENTER_GROUPS = ("karpenter.sh",)
EC2_NODECLASS_GROUP = "karpenter.k8s.aws"
AUTO_MODE_GROUP = "eks.amazonaws.com"
# kinds that take or place VPC addresses but that podcap does not model: never dropped silently
_NOT_MODELLED = {
    "Provisioner": "Karpenter v1alpha5 Provisioner (replaced by NodePool in Karpenter v0.32)",
    "AWSNodeTemplate": "Karpenter v1alpha1 AWSNodeTemplate (replaced by EC2NodeClass)",
    "Machine": "Karpenter v1alpha5 Machine",
    "NodeClaim": "a Karpenter NodeClaim (one node; its NodePool decides the capacity)",
    "SecurityGroupPolicy": "security groups for pods (branch ENIs): set the node group's sgp_pods_per_node",
    "CNINode": "a CNINode object (written by the VPC resource controller)",
}
# Demand stated on a NodePool (the spec's node_pools use these too): podcap annotations
MAX_NODES_ANNOTATION = "podcap/max-nodes"
PODS_PER_NODE_ANNOTATION = "podcap/pods-per-node"
RESERVED_ENIS_ANNOTATION = "podcap/reserved-enis"  # Karpenter's --reserved-enis (a controller setting)
# "true": the workloads spread evenly over zones (topologySpreadConstraints), so nodes are balanced like an ASG's
ZONE_BALANCED_ANNOTATION = "podcap/zone-balanced"
_NETWORK_GROUPS = ("crd.k8s.amazonaws.com", "vpcresources.k8s.aws", "karpenter.sh", "karpenter.k8s.aws",
                   "eks.amazonaws.com", "networking.k8s.aws")


@record
class PendingObject:
    """A Kubernetes object kept on the plan until the whole plan is loaded, with where it came from."""

    obj: dict
    where: str
    location: Location | None
    cluster: str | None


def _group(obj: dict) -> tuple[str, str]:
    api = str(obj.get("apiVersion") or "")
    group, _, version = api.rpartition("/")
    return group, version


def _meta(obj: dict) -> dict:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def _flatten(objects: list[Any]) -> list[dict]:
    out: list[dict] = []
    for obj in objects:
        if isinstance(obj, list):
            out.extend(_flatten(obj))
        elif isinstance(obj, dict):
            if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
                out.extend(_flatten(obj["items"]))
            else:
                out.append(obj)
    return out


def _cluster(plan: Plan, cluster: str | None) -> Cluster | None:
    if cluster and cluster in plan.clusters:
        return plan.clusters[cluster]
    if len(plan.clusters) == 1:
        return next(iter(plan.clusters.values()))
    return None


def _no_cluster(plan: Plan, cluster: str | None) -> str:
    """Why the objects' cluster is not known, in words that are true of this plan."""
    if cluster:
        return f"its cluster {cluster!r} is not described by the input"
    if plan.clusters:
        return (f"the input describes {len(plan.clusters)} clusters and nothing says which one it belongs to")
    return "the cluster is not described by the input"


def sets_aws_node(objects: list[Any]) -> bool:
    """Whether the objects hold the aws-node DaemonSet, whose env EKS reads when it creates a managed node
    group (its max pods): a carrier of it is ordered against the node groups as a vpc-cni add-on is."""
    return any(obj.get("kind") == "DaemonSet" and str(_meta(obj).get("name") or "") == "aws-node"
               for obj in _flatten(objects))


def apply_kubernetes_objects(plan: Plan, objects: list[Any], *, where: str,
                             location: Location | None = None, cluster: str | None = None) -> None:
    """Fold Kubernetes objects (ENIConfig, the aws-node DaemonSet, the amazon-vpc-cni ConfigMap, Karpenter
    NodePool / EC2NodeClass, Auto Mode NodeClass / NodePool) into ``plan``.

    ``where`` names the carrier (a file path, a logical id, a Terraform address) for findings;
    ``cluster`` is the plan's cluster id the objects belong to, when the carrier says.
    """
    for obj in _flatten(objects):
        kind = obj.get("kind")
        if not isinstance(kind, str):
            continue
        group, _ = _group(obj)
        name = str(_meta(obj).get("name") or "")
        label = f"{where}: {kind} {name}".rstrip()
        if kind == "ENIConfig" or (kind == "DaemonSet" and name == "aws-node"):
            if _cluster(plan, cluster) is None:  # a manifest file: the cluster comes from another input
                plan.kubernetes_objects.append(PendingObject(obj, where, location, cluster))
            elif kind == "ENIConfig":
                _eni_config(plan, obj, where, cluster)
            else:
                _aws_node(plan, obj, where, cluster, location)
        elif kind == "Deployment" and _karpenter_env(obj) is not None:
            plan.kubernetes_objects.append(PendingObject(obj, where, location, cluster))
        elif kind == "ConfigMap" and name == "amazon-vpc-cni":
            _vpc_cni_configmap(plan, obj, where)
        elif kind in ("NodePool", "EC2NodeClass", "NodeClass") and group in (
                *KARPENTER_GROUPS, EC2_NODECLASS_GROUP, AUTO_MODE_GROUP):
            plan.kubernetes_objects.append(PendingObject(obj, where, location, cluster))
        elif kind in _NOT_MODELLED and (group in _NETWORK_GROUPS or not group):
            plan.unresolved.append((where, Unknown(f"{kind} {name} not modelled: {_NOT_MODELLED[kind]}", label)))
        elif group in _NETWORK_GROUPS:
            plan.unresolved.append((where, Unknown(f"{kind} {name} ({obj.get('apiVersion')}) not modelled", label)))
        # other objects (Deployments, Services ...) take no VPC address of their own


def _karpenter_env(obj: dict) -> dict[str, Any] | None:
    """The env of a Karpenter controller Deployment (a container named ``controller`` whose image or name says
    karpenter), where ``RESERVED_ENIS`` (``--reserved-enis``) is set; None for other Deployments."""
    spec = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {})
    for c in spec.get("containers") or [] if isinstance(spec, dict) else []:
        if not isinstance(c, dict):
            continue
        env = {e.get("name"): e for e in c.get("env") or [] if isinstance(e, dict)}
        if (set(env) & set(_CONTROLLER_ENV)) and "karpenter" in f"{c.get('image', '')} {_meta(obj).get('name', '')}":
            return env
    return None


# Karpenter controller settings that change podcap's figures (pkg/operator/options/options.go)
_CONTROLLER_ENV = ("RESERVED_ENIS", "VM_MEMORY_OVERHEAD_PERCENT")


def _vm_overhead(p: PendingObject, plan: Plan) -> float | None:
    """``VM_MEMORY_OVERHEAD_PERCENT`` of the controller (``--vm-memory-overhead-percent``), None when unset."""
    e = (_karpenter_env(p.obj) or {}).get("VM_MEMORY_OVERHEAD_PERCENT")
    if e is None:
        return None
    value = e.get("value")
    try:
        pct = float(str(value).strip())
    except ValueError:
        pct = -1.0
    if "valueFrom" in e or not 0 <= pct < 1:
        from podcap.engine.karpenter import VM_MEMORY_OVERHEAD_PERCENT

        plan.unresolved.append((p.where, Unknown(f"Karpenter VM_MEMORY_OVERHEAD_PERCENT {value!r} is not a fraction "
                                                 "podcap can read; memory limits assume the default "
                                                 f"{VM_MEMORY_OVERHEAD_PERCENT}", p.where)))
        return None
    return pct


def _reserved_enis(p: PendingObject, plan: Plan) -> int | None:
    env = _karpenter_env(p.obj) or {}
    if "RESERVED_ENIS" not in env:
        return None
    e = env.get("RESERVED_ENIS") or {}
    value = e.get("value")
    if "valueFrom" in e or not str(value).strip().isdigit():
        plan.unresolved.append((p.where, Unknown(f"Karpenter RESERVED_ENIS {value!r} is not a number podcap can "
                                                 "read; max pods assume 0 reserved ENIs", p.where)))
        return None
    return int(str(value).strip())


def _eni_config(plan: Plan, obj: dict, where: str, cluster: str | None) -> None:
    cl = _cluster(plan, cluster)
    name = _meta(obj).get("name")
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    subnet = spec.get("subnet")
    if cl is None:
        plan.unresolved.append((where, Unknown(f"ENIConfig {name} not applied: {_no_cluster(plan, cluster)}",
                                               where)))
        return
    if not isinstance(name, str) or not name:
        plan.unresolved.append((where, Unknown("ENIConfig without a name", where)))
        return
    if not isinstance(subnet, str) or not subnet:
        cl.eni_configs[name] = Unknown(f"ENIConfig {name} has no spec.subnet", where)
        return
    cl.eni_configs[name] = subnet


def _aws_node(plan: Plan, obj: dict, where: str, cluster: str | None, location: Location | None) -> None:
    cl = _cluster(plan, cluster)
    if cl is None:
        plan.unresolved.append((where, Unknown(f"aws-node DaemonSet not applied: {_no_cluster(plan, cluster)}",
                                               where)))
        return
    spec = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {})
    containers = spec.get("containers") if isinstance(spec, dict) else None
    container = next((c for c in containers or [] if isinstance(c, dict) and c.get("name") == "aws-node"), None)
    if container is None:
        plan.unresolved.append((where, Unknown("aws-node DaemonSet has no aws-node container", where)))
        return
    env: dict[str, str] = dict(cl.cni_env) if isinstance(cl.cni_env, dict) else {}
    for e in container.get("env") or []:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            continue
        if "valueFrom" in e:
            cl.cni_env = Unknown(f"aws-node env {e['name']} comes from valueFrom, which podcap cannot read", where)
            return
        v = e.get("value")
        env[e["name"]] = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
    cl.cni_env = env
    cl.cni_resource = cl.cni_resource or where
    if location is not None and cl.cni_location is None:
        cl.cni_location = location


def _vpc_cni_configmap(plan: Plan, obj: dict, where: str) -> None:
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    shown = ", ".join(f"{k}={v}" for k, v in sorted(data.items()))
    note = (f"amazon-vpc-cni ConfigMap read ({shown or 'no data'}); it sets Windows IPAM, which the VPC "
            "resource controller runs")
    plan.notes.append((where, note))


# -- node pools --------------------------------------------------------------------------------------------


def _nodepool_spec(obj: dict) -> tuple[dict, dict]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    tmpl = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    tspec = tmpl.get("spec") if isinstance(tmpl.get("spec"), dict) else {}
    return spec, tspec


def _node_class_ref(obj: dict, tspec: dict) -> tuple[str, str, str]:
    """(group, kind, name) of the NodePool's node class (v1 ``nodeClassRef``; v1beta1 had apiVersion)."""
    ref = tspec.get("nodeClassRef") if isinstance(tspec.get("nodeClassRef"), dict) else {}
    group = ref.get("group") or str(ref.get("apiVersion") or "").rpartition("/")[0]
    kind = ref.get("kind") or ""
    if not group:
        group = AUTO_MODE_GROUP if kind == "NodeClass" else EC2_NODECLASS_GROUP
    return str(group), str(kind), str(ref.get("name") or "")


def _subnets_by_selector(plan: Plan, terms: Any, where: str) -> list[str] | Unknown:
    """Plan subnets an ``subnetSelectorTerms`` list picks: terms are ORed; within a term, ``id`` or every tag
    must match (a tag value ``*`` matches any value, as in Karpenter)."""
    if not isinstance(terms, list) or not terms:
        return Unknown("no subnetSelectorTerms", where)
    picked: list[str] = []
    any_tags = any(s.tags for s in plan.subnets.values())
    for term in terms:
        if not isinstance(term, dict):
            return Unknown("a subnetSelectorTerms entry is not a mapping", where)
        sid = term.get("id")
        tags = term.get("tags")
        if sid is not None and (not isinstance(sid, str) or TOKEN_RE.search(sid)):
            return Unknown(f"a subnetSelectorTerms id is not known ({str(sid)[:80]})", where)
        if tags is not None and not isinstance(tags, dict):
            return Unknown(f"a subnetSelectorTerms tags entry is not a mapping ({str(tags)[:80]})", where)
        if isinstance(tags, dict) and any(TOKEN_RE.search(f"{k}={v}") for k, v in tags.items()):
            return Unknown("a subnetSelectorTerms tag is not known", where)
        matched = []
        for key, s in plan.subnets.items():
            if sid is not None:
                if sid in (s.aws_id, s.id):
                    matched.append(key)
            elif isinstance(tags, dict) and tags and all(
                    k in s.tags and (v == "*" or s.tags[k] == str(v)) for k, v in tags.items()):
                matched.append(key)
        if sid is not None and not matched:
            # an existing subnet: its figures are unknown unless --live reads it (like a node group's)
            matched = [str(sid)]
        if sid is None and not matched:
            what = ", ".join(f"{k}={v}" for k, v in (tags or {}).items()) or str(term)
            if not any_tags:
                return Unknown(f"subnetSelectorTerms select by tags ({what}) and no subnet in the input carries "
                               "tags podcap read; use --live", where)
            return Unknown(f"no subnet in the input has the tags of subnetSelectorTerms ({what}); use --live", where)
        picked.extend(k for k in matched if k not in picked)
    return picked


def _int_field(value: Any, what: str, where: str, problems: list[Unknown]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        problems.append(Unknown(f"{what} {value!r} is not a whole number (a CEL expression is not evaluated)",
                                where))
        return None
    return value


def resolve_kubernetes_objects(plan: Plan, snapshot: Snapshot | None = None) -> None:
    """Turn the NodePools the plan carries into node pools (NodeGroups with a provisioner), and the clusters'
    EKS Auto Mode built-in pools too (see :func:`podcap.sources.objects.auto_mode.expand_auto_mode`).

    :func:`podcap.check.check_plan` calls it once the whole plan is loaded; ``snapshot`` defaults to the
    shipped instance limits."""
    from podcap.sources.objects.auto_mode import expand_auto_mode

    if snapshot is None:
        from podcap.limits import load_snapshot

        snapshot = load_snapshot()

    pending, plan.kubernetes_objects = plan.kubernetes_objects, []
    classes: dict[tuple[str, str], PendingObject] = {}
    pools: list[PendingObject] = []
    reserved: int | None = None  # the Karpenter controller's RESERVED_ENIS, when its Deployment is in the input
    overhead: float | None = None  # its VM_MEMORY_OVERHEAD_PERCENT (None: Karpenter's default)
    for p in pending:
        kind = p.obj.get("kind")
        group, _ = _group(p.obj)
        name = str(_meta(p.obj).get("name") or "")
        if kind == "ENIConfig":
            _eni_config(plan, p.obj, p.where, p.cluster)
        elif kind == "DaemonSet":
            _aws_node(plan, p.obj, p.where, p.cluster, p.location)
        elif kind == "NodePool":
            pools.append(p)
        elif kind == "Deployment":
            reserved = _reserved_enis(p, plan)
            vm_overhead = _vm_overhead(p, plan)
            if vm_overhead is not None:
                overhead = vm_overhead
        else:
            classes[(group, name)] = p
    _map_eni_configs(plan)
    used: set[tuple[str, str]] = set()
    for p in pools:
        ng = _node_pool(plan, p, classes, used, snapshot, overhead)
        if ng is not None and reserved and ng.provisioner == "karpenter":
            ng.reserved_enis += reserved
            plan.notes.append((ng.name, f"the Karpenter controller reserves {reserved} ENI(s) (RESERVED_ENIS)"))
        if ng is not None:
            plan.nodegroups.append(ng)
            plan.resource_locations.setdefault(ng.name, ng.location)
    for key, p in classes.items():
        if key not in used and not (key[0] == AUTO_MODE_GROUP and key[1] == "default"):
            plan.notes.append((p.where, f"{p.obj.get('kind')} {key[1]} is used by no NodePool in the input"))
    expand_auto_mode(plan, snapshot)


def _map_eni_configs(plan: Plan) -> None:
    """ENIConfig subnets name subnet-… ids; the plan may know those subnets by another id (a logical id)."""
    by_aws = {s.aws_id: k for k, s in plan.subnets.items() if s.aws_id}
    for cl in plan.clusters.values():
        for az, sid in list(cl.eni_configs.items()):
            if isinstance(sid, str) and sid not in plan.subnets and sid in by_aws:
                cl.eni_configs[az] = by_aws[sid]


def _node_pool(plan: Plan, p: PendingObject, classes: dict[tuple[str, str], PendingObject],
               used: set[tuple[str, str]], snapshot: Snapshot,
               vm_overhead: float | None = None) -> NodeGroup | None:
    """One NodePool as a node pool; ``vm_overhead``: the controller's VM_MEMORY_OVERHEAD_PERCENT (None: the
    default)."""
    from podcap.engine.auto_mode import AUTO_MODE_MAX_PODS, network_env
    from podcap.engine.auto_mode import supported as auto_mode_supported
    from podcap.engine.auto_mode import supported_name as auto_mode_supported_name
    from podcap.engine.karpenter import (
        VM_MEMORY_OVERHEAD_PERCENT,
        ami_family,
        fits_alone,
        node_bound,
        parse_requirements,
        pool_limits,
        select_types,
    )

    if vm_overhead is None:
        vm_overhead = VM_MEMORY_OVERHEAD_PERCENT
    obj = p.obj
    name = str(_meta(obj).get("name") or "")
    where = f"{p.where}: NodePool {name}".rstrip()
    spec, tspec = _nodepool_spec(obj)
    group, kind, class_name = _node_class_ref(obj, tspec)
    auto = group == AUTO_MODE_GROUP
    cluster = _cluster(plan, p.cluster)
    ng = NodeGroup(name=name or where, cluster=cluster.id if cluster else p.cluster,
                   provisioner="auto-mode" if auto else "karpenter", zone_balanced=False,
                   location=p.location or Location(path=where), min_size=0, carrier=p.where)
    problems: list[Unknown] = []
    reqs, req_problems = parse_requirements(tspec.get("requirements"), where)
    problems.extend(req_problems)
    nc = classes.get((group, class_name))
    if nc is not None:
        used.add((group, class_name))
    ncspec = nc.obj.get("spec") if nc is not None and isinstance(nc.obj.get("spec"), dict) else {}
    # subnets
    if auto and nc is None and class_name == "default":
        ng.subnets = _cluster_subnets(cluster, where, plan, p.cluster)
    elif nc is None:
        ng.subnets = Unknown(f"its {kind or 'node class'} {class_name!r} is not in the input", where)
    else:
        picked = _subnets_by_selector(plan, ncspec.get("subnetSelectorTerms"), where)
        ng.subnets = picked
    # instance types
    sel = select_types(reqs, snapshot, where, auto_mode_supported if auto else None,
                       auto_mode_supported_name if auto else None)
    if sel.unknown is not None:
        ng.instance_types = sel.unknown
    else:
        ng.instance_types = list(sel.types)
    plan.notes.extend((ng.name, n) for n in sel.notes)
    if sel.zones is not None or sel.zones_excluded:
        ng.subnets = _zone_filter(plan, ng.subnets, sel.zones, sel.zones_excluded, where)
    # kubelet and AMI family
    kubelet = ncspec.get("kubelet") if isinstance(ncspec.get("kubelet"), dict) else None
    if kubelet is None and isinstance(tspec.get("kubelet"), dict):  # v1beta1: on the NodePool
        kubelet = tspec["kubelet"]
    kubelet = kubelet or {}
    max_pods = _int_field(kubelet.get("maxPods"), "kubelet.maxPods", where, problems)
    if max_pods is not None:
        ng.kubelet_max_pods = max_pods
        ng.max_pods_origin = f"{kind} {class_name} kubelet.maxPods {max_pods}"
    elif "maxPods" in kubelet:
        ng.kubelet_max_pods = Unknown("kubelet.maxPods is not a number podcap can read", where)
    ng.pods_per_core = _int_field(kubelet.get("podsPerCore"), "kubelet.podsPerCore", where, problems)
    if auto:
        ng.ami_family = "bottlerocket"  # Auto Mode nodes run Bottlerocket (EKS best practices, automode)
        ng.max_pods_cap = AUTO_MODE_MAX_PODS
        adv = ncspec.get("advancedNetworking") if isinstance(ncspec.get("advancedNetworking"), dict) else {}
        pod_terms = ncspec.get("podSubnetSelectorTerms")
        env, how = network_env(adv.get("ipv4PrefixSize"), pod_subnets=bool(pod_terms))
        if env is None:
            problems.append(Unknown(how, where))
            env = network_env(None, bool(pod_terms))[0]
        ng.network_env = env
        if pod_terms:
            ng.pod_subnets = _subnets_by_selector(plan, pod_terms, where)
        plan.notes.append((ng.name, how))
    else:
        fam = _family_of(ncspec)
        if fam is None:
            problems.append(Unknown(f"the AMI family of {kind} {class_name!r} is not known (amiFamily or "
                                    "amiSelectorTerms alias): max pods is the AL2023 rule's", where))
            fam = "al2023"
        ng.ami_family = fam
        if ami_family(fam) is not None and ami_family(fam).windows:
            ng.os = "windows"
        _user_data_max_pods(ng, fam, ncspec, f"{kind} {class_name}", where, problems)
        nics = ncspec.get("networkInterfaces") if isinstance(ncspec.get("networkInterfaces"), list) else []
        efa = sum(1 for n in nics if isinstance(n, dict) and n.get("interfaceType") == "efa-only"
                  and str(n.get("networkCardIndex") or 0) == "0")
        if efa:
            ng.efa_only_enis += efa
            plan.notes.append((ng.name, (f"{efa} EFA-only interface(s) on network card 0: ENIs without IP "
                                         "addresses, which neither the VPC CNI nor Karpenter's max pods can use")))
    annotations = _meta(obj).get("annotations") if isinstance(_meta(obj).get("annotations"), dict) else {}
    reserved = _int_field(annotations.get(RESERVED_ENIS_ANNOTATION), RESERVED_ENIS_ANNOTATION, where, problems)
    if reserved:
        ng.reserved_enis += reserved
    ppn = _int_field(annotations.get(PODS_PER_NODE_ANNOTATION), PODS_PER_NODE_ANNOTATION, where, problems)
    if ppn is not None:
        ng.pods_per_node = ppn
    stated = _int_field(annotations.get(MAX_NODES_ANNOTATION), MAX_NODES_ANNOTATION, where, problems)
    balanced = str(annotations.get(ZONE_BALANCED_ANNOTATION, "")).lower() == "true"
    if balanced:
        ng.zone_balanced = True
    ng.disruption_budgets = read_budgets(spec.get("disruption"), where)  # PC202's replacement surge
    if isinstance(ng.disruption_budgets, Unknown):
        problems.append(ng.disruption_budgets)
    # node bound
    limits = spec.get("limits")
    replicas = spec.get("replicas")  # karpenter.sh/v1 static NodePool (alpha): a fixed node count
    types = [snapshot.types[t] for t in ng.instance_types] if isinstance(ng.instance_types, list) else []
    needs_types = bool(limits) and replicas is None and not (isinstance(limits, dict) and "nodes" in limits)
    bound, how = node_bound(limits, types, where, sel.cpu_floor, replicas, vm_overhead) \
        if types or not needs_types else (Unknown("the node bound needs the NodePool's instance types", where), "")
    if replicas is None:
        ng.pool_limits = pool_limits(limits, sel.cpu_floor, vm_overhead)
    if ng.pool_limits is not None and types:
        fits = [fits_alone(t, ng.pool_limits) for t in types]
        fit = [t for t, ok in zip(types, fits) if ok]
        if fit and len(fit) < len(types):
            big = [t.name for t, ok in zip(types, fits) if not ok]
            ng.instance_types = [t.name for t in fit]
            shown = ", ".join(big[:3]) + (", ..." if len(big) > 3 else "")
            note = (f"{len(big)} candidate type(s) larger than {ng.pool_limits.describe()} left out ({shown}): "
                    "Karpenter launches no node whose capacity alone exceeds the limits")
            plan.notes.append((ng.name, note))
    if stated is not None and stated >= 1:
        ng.max_size = ng.desired_size = stated
        plan.notes.append((ng.name, f"at most {stated} nodes, as stated"))
    elif isinstance(bound, Unknown):
        ng.max_size = ng.desired_size = bound
    else:
        ng.max_size = ng.desired_size = bound
        plan.notes.append((ng.name, f"at most {bound} nodes ({how})"))
    if ng.zone_balanced:
        note = "nodes balanced over AZs, as the pool states (workloads spread over zones)"
    else:
        note = "Karpenter does not balance nodes over AZs: each AZ's subnets are judged for all the pool's nodes"
    plan.notes.append((ng.name, note))
    for u in problems:
        plan.unresolved.append((ng.name, u))
    return ng


def _user_data_max_pods(ng: NodeGroup, fam: str, ncspec: dict, who: str, where: str,
                        problems: list[Unknown]) -> None:
    """The EC2NodeClass ``spec.userData`` where it, not Karpenter's figure, decides the node's kubelet max pods
    (karpenter-provider-aws pkg/providers/amifamily):

    * Custom: Karpenter passes the user data through unchanged and writes no kubelet configuration
      (``custom.go``, ``bootstrap/custom.go``), so ``spec.kubelet`` feeds only Karpenter's own scheduling
      (its docs: with Custom, set the fields both in ``spec.kubelet`` and ``spec.userData``). The user data's
      max pods is the node's; without one the custom AMI decides, which no input states (PC001, Karpenter's
      figure assumed).
    * AL2023: Karpenter's NodeConfig comes after the user's and sets ``kubelet.config.maxPods``
      (``bootstrap/nodeadm.go``), but nodeadm appends kubelet flags when it merges NodeConfigs, and a
      ``--max-pods`` flag beats the config file.
    * AL2 and Bottlerocket: Karpenter's own arguments and settings win (``bootstrap/eksbootstrap.go``,
      ``bootstrap/bottlerocket.go``), so the user data changes nothing here.
    """
    from podcap.sources.objects.user_data import read_user_data

    raw = ncspec.get("userData")
    text = raw if isinstance(raw, str) and raw.strip() else None
    if fam == "custom":
        assumed = "Karpenter's own figure assumed"
        if text is None:
            problems.append(Unknown(f"{who} uses the Custom AMI family without userData: the custom AMI decides "
                                    f"kubelet max pods; {assumed}", where))
            return
        r = read_user_data(text)
        if r.problem:
            problems.append(Unknown(f"{who} userData (Custom AMI family, passed to the node unchanged): "
                                    f"{r.problem}; {assumed}", where))
        elif r.max_pods is not None:
            ng.kubelet_max_pods = r.max_pods
            ng.pods_per_core = None  # spec.kubelet does not reach a Custom node
            ng.max_pods_origin = f"{who} userData, {r.origin} (the Custom AMI family passes it unchanged)"
        else:
            problems.append(Unknown(f"{who} userData (Custom AMI family) "
                                    + ("sets max pods by maxPodsExpression, which podcap does not evaluate for "
                                       "node pools" if r.expression else "sets no max pods: the custom AMI decides")
                                    + f"; {assumed}", where))
    elif fam == "al2023" and text is not None:
        r = read_user_data(text)
        if r.from_flag and r.max_pods is not None:
            ng.kubelet_max_pods = r.max_pods
            ng.max_pods_origin = (f"{who} userData, {r.origin}: a kubelet flag, which beats the maxPods "
                                  "Karpenter's NodeConfig writes")
        elif r.problem and r.from_flag:  # a --max-pods flag whose value is no number
            problems.append(Unknown(f"{who} userData: {r.problem}", where))


def _family_of(ncspec: dict) -> str | None:
    fam = ncspec.get("amiFamily")
    if isinstance(fam, str) and fam:
        return fam.lower()
    terms = ncspec.get("amiSelectorTerms")
    if not isinstance(terms, list):
        return None  # absent, or not the list the CRD requires: the family is not known (PC001)
    for term in terms:
        if isinstance(term, dict) and isinstance(term.get("alias"), str):
            return term["alias"].split("@", 1)[0].lower()
    if terms:
        return "custom"  # selected AMIs without a family: Karpenter's Custom family
    return None


def _cluster_subnets(cluster: Cluster | None, where: str, plan: Plan | None = None,
                     named: str | None = None) -> Any:
    """The default Auto Mode NodeClass places nodes in the cluster's subnets."""
    if cluster is None:
        why = _no_cluster(plan, named) if plan is not None else "the cluster is not described by the input"
        return Unknown(f"the default NodeClass uses the cluster's subnets, and {why}", where)
    if isinstance(cluster.subnets, Unknown):
        return cluster.subnets
    return list(cluster.subnets)


def _zone_filter(plan: Plan, subnets: Any, zones: list[str] | None, excluded: list[str], where: str) -> Any:
    if isinstance(subnets, Unknown):
        return subnets
    out = []
    for sid in subnets:
        s = plan.subnets.get(sid) if isinstance(sid, str) else None
        az = s.az if s is not None else None
        if not isinstance(az, str):
            out.append(sid)  # an unknown AZ may be any of them: keep it (fail closed)
            continue
        if (zones is None or az in zones) and az not in excluded:
            out.append(sid)
    if not out:
        return Unknown(f"no subnet of the node class is in the NodePool's zones {zones or []}", where)
    return out


def builtin_pool(plan: Plan, cluster: Cluster, pool: str, snapshot: Snapshot) -> NodeGroup:
    """An EKS Auto Mode built-in pool as a node pool (set-builtin-node-pools.html)."""
    from podcap.engine.auto_mode import AUTO_MODE_MAX_PODS, builtin_selection, network_env

    where = f"{cluster.id}: Auto Mode built-in NodePool {pool}"
    ng = NodeGroup(name=f"{cluster.id}/{pool}", cluster=cluster.id, provisioner="auto-mode", zone_balanced=False,
                   location=cluster.location, min_size=0, ami_family="bottlerocket", max_pods_cap=AUTO_MODE_MAX_PODS,
                   carrier=cluster.id)
    sel = builtin_selection(pool, snapshot, where)
    ng.instance_types = sel.unknown if sel.unknown is not None else list(sel.types)
    plan.notes.extend((ng.name, n) for n in sel.notes)
    ng.subnets = _cluster_subnets(cluster, where)
    ng.network_env = network_env(None)[0]
    stated = getattr(cluster, "demand", None) or {}  # Metadata podcap on the cluster (CloudFormation, CDK)
    if isinstance(stated.get("max_nodes"), int) and not isinstance(stated.get("max_nodes"), bool):
        ng.max_size = ng.desired_size = stated["max_nodes"]
        plan.notes.append((ng.name, f"at most {stated['max_nodes']} nodes, as the cluster's metadata states"))
    else:
        ng.max_size = ng.desired_size = Unknown(
            f"the built-in pool {pool} has no limits: nothing in the plan bounds its node count", where)
    if isinstance(stated.get("pods_per_node"), int) and not isinstance(stated.get("pods_per_node"), bool):
        ng.pods_per_node = stated["pods_per_node"]
    return ng


def __getattr__(name: str) -> Any:
    """``BUILTIN_POOLS``, re-exported from podcap.engine.auto_mode when first asked for (see the imports)."""
    if name == "BUILTIN_POOLS":
        from podcap.engine.auto_mode import BUILTIN_POOLS

        return BUILTIN_POOLS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["apply_kubernetes_objects", "builtin_pool", "resolve_kubernetes_objects"]
