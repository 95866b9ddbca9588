"""EKS Auto Mode clusters -> node pools: the sources set ``Cluster.auto_mode`` and ``auto_mode_pools``
(``ComputeConfig`` / ``compute_config`` / eksctl ``autoModeConfig``); this plan-level pass adds the built-in
pools as node pools (see podcap.engine.auto_mode for the documented model)."""
from __future__ import annotations

from podcap.limits import Snapshot
from podcap.model.plan import Plan
from podcap.model.unknown import Unknown


def expand_auto_mode(plan: Plan, snapshot: Snapshot) -> None:
    """Add each Auto Mode cluster's enabled built-in pools (``general-purpose``, ``system``) to the plan."""
    from podcap.sources.objects.kubernetes import builtin_pool

    have = {ng.name for ng in plan.nodegroups}
    for cl in plan.clusters.values():
        if isinstance(cl.auto_mode, Unknown):
            plan.unresolved.append((cl.id, Unknown(f"whether EKS Auto Mode is on: {cl.auto_mode.reason}",
                                                   cl.auto_mode.where or cl.id)))
            continue
        if not cl.auto_mode:
            continue
        from podcap.engine.auto_mode import BUILTIN_POOLS  # only for an Auto Mode cluster

        pools = cl.auto_mode_pools
        if isinstance(pools, Unknown):
            plan.unresolved.append((cl.id, Unknown(f"Auto Mode built-in node pools: {pools.reason}",
                                                   pools.where or cl.id)))
            continue
        for pool in pools:
            if pool not in BUILTIN_POOLS:
                plan.unresolved.append((cl.id, Unknown(f"Auto Mode node pool {pool!r} is not a built-in pool "
                                                       f"({', '.join(BUILTIN_POOLS)})", cl.id)))
                continue
            ng = builtin_pool(plan, cl, pool, snapshot)
            if ng.name in have:
                continue
            _cluster_demand(plan, cl, ng)
            plan.nodegroups.append(ng)
            plan.resource_locations.setdefault(ng.name, cl.location)
            note = ("EKS Auto Mode built-in pool: /28 prefixes per node, at most 110 pods per node; nodes are "
                    "not balanced over AZs")
            plan.notes.append((ng.name, note))
        if not pools:
            note = "EKS Auto Mode without built-in node pools: only NodePools in the input run nodes"
            plan.notes.append((cl.id, note))


def _cluster_demand(plan: Plan, cl, ng) -> None:
    """Demand stated on the cluster (CloudFormation ``Metadata: {podcap: {max_nodes, pods_per_node}}`` on an
    Auto Mode cluster, ``Cluster.demand``) bounds each of its built-in pools."""
    demand = getattr(cl, "demand", None) or {}
    if "max_nodes" in demand:
        ng.max_size = ng.desired_size = demand["max_nodes"]
        ng.min_size = 0
        plan.notes.append((ng.name, f"at most {demand['max_nodes']} nodes, from the cluster's podcap metadata"))
    if "pods_per_node" in demand:
        ng.pods_per_node = demand["pods_per_node"]
    if "sgp_pods_per_node" in demand:
        ng.sgp_pods_per_node = demand["sgp_pods_per_node"]
