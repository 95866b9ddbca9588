"""Demand no template states: the most nodes of a node pool, the pods of a Fargate profile, pods per node.

EKS Auto Mode pools, Fargate profiles and Karpenter pools without limits have no size in the plan. Users state
it in CloudFormation ``Metadata: {podcap: {max_nodes, pods, pods_per_node}}`` (read by the CloudFormation
source), the spec (``node_pools`` / ``fargate_profiles``) or a ``.podcap.yaml`` ``demand:`` list, keyed like
suppressions. Without it the figure stays Unknown and PC001 names the resource and the key to set.
"""
from __future__ import annotations

import re

from podcap.model.plan import FargateProfile, NodeGroup, Plan
from podcap.model.records import record
from podcap.model.unknown import Unknown

DEMAND_KEYS = ("resource", "max_nodes", "pods", "pods_per_node")
# the words every "where to state it" hint (podcap.analysis.demand_hint) ends with; PC001's fix finds them
DEMAND_ENTRY = "a .podcap.yaml demand entry"
# a pattern's text: re compiles it at its first use (docs/architecture.md, Start-up)
_HINT = r"(?:^|[:;] )(set [^;]*" + re.escape(DEMAND_ENTRY) + r"[^;]*)"


def demand_fix(reason: str) -> str | None:
    """PC001's fix for a demand no input states (a Fargate profile's pods, a node pool's most nodes): the key to
    set, taken from the hint in the reason. No template parameter, plan variable or AWS API gives these figures,
    so the fix names only podcap's own keys. None when ``reason`` is not about such a demand."""
    m = re.search(_HINT, reason)
    if m is None:
        return None
    hint = m.group(1).strip().rstrip(".")
    return f"{hint[0].upper()}{hint[1:]} (no template, plan variable or AWS API states this figure)."


@record
class Demand:
    resource: str
    max_nodes: int | None = None
    pods: int | None = None
    pods_per_node: int | None = None
    source: str = ".podcap.yaml"


def _names(plan: Plan, obj: NodeGroup | FargateProfile) -> set[str]:
    """The names a demand entry may give a resource: its id, its CDK construct path, its bare logical id."""
    out = {obj.name}
    carrier = getattr(obj, "carrier", None)
    if carrier:
        out.add(carrier)
    if obj.location.construct_path:
        out.add(obj.location.construct_path.strip("/"))
    return out


def _bare_owners(plan: Plan) -> dict[str, list[NodeGroup | FargateProfile]]:
    owners: dict[str, list[NodeGroup | FargateProfile]] = {}
    for obj in [*plan.nodegroups, *plan.fargate_profiles]:
        owners.setdefault(obj.name.rsplit("/", 1)[-1], []).append(obj)
    return owners


def apply_demand(plan: Plan, entries: list[Demand]) -> None:
    """Fold ``.podcap.yaml`` demand into the plan. A value the plan already states is kept (a note says the
    entry was not used), so a demand entry never hides what the template says."""
    if not entries:
        return
    owners = _bare_owners(plan)
    for d in entries:
        key = d.resource.strip("/")
        targets = [o for o in [*plan.nodegroups, *plan.fargate_profiles] if key in _names(plan, o)]
        if not targets and len(owners.get(key, [])) == 1:
            targets = owners[key]
        if not targets:
            plan.notes.append((d.source, (f"demand for {d.resource}: no node group, node pool or Fargate profile "
                                         "of that name in the input")))
            continue
        for o in targets:
            _apply_one(plan, o, d)


def _apply_one(plan: Plan, o: NodeGroup | FargateProfile, d: Demand) -> None:
    if isinstance(o, FargateProfile):
        if d.pods is not None:
            if o.pods is None or isinstance(o.pods, Unknown):
                o.pods = d.pods
                plan.notes.append((o.name, f"{d.pods} pods, from {d.source} demand"))
            else:
                plan.notes.append((o.name, f"{d.source} demand pods {d.pods} not used: the input states {o.pods}"))
        return
    if d.max_nodes is not None:
        if o.provisioner is not None or isinstance(o.max_size, Unknown):
            o.max_size = o.desired_size = d.max_nodes
            if isinstance(o.min_size, Unknown) or (isinstance(o.min_size, int) and o.min_size > d.max_nodes):
                o.min_size = 0
            plan.notes.append((o.name, f"at most {d.max_nodes} nodes, from {d.source} demand"))
        else:
            plan.notes.append((o.name, (f"{d.source} demand max_nodes {d.max_nodes} not used: the input states "
                                       f"max size {o.max_size}")))
    if d.pods_per_node is not None:
        o.pods_per_node = d.pods_per_node
        plan.notes.append((o.name, f"{d.pods_per_node} address-taking pods per node, from {d.source} demand"))


def mark_unbounded(plan: Plan) -> None:
    """Every node pool nothing bounds gets an Unknown max size that names the key to set (PC001)."""
    from podcap.analysis import demand_hint

    for ng in plan.nodegroups:
        if ng.provisioner is None:
            continue
        for attr in ("max_size", "desired_size"):
            v = getattr(ng, attr)
            if isinstance(v, Unknown) and "max_nodes" not in v.reason:
                hint = demand_hint(plan, ng.name, "max_nodes", ng.carrier)
                from_spec = str(ng.location.path or "").startswith("node_pools[")
                if ng.provisioner == "karpenter" and not from_spec:  # a NodePool object: its own fields first
                    if plan.kind == "spec":  # a manifest checked with a spec: the spec does not hold this pool
                        hint = f"set {DEMAND_ENTRY} {{resource: {ng.name}, max_nodes: N}}"
                    hint = ("set the NodePool's spec.limits (cpu, memory or nodes) or its annotation "
                            f"podcap/max-nodes, or {hint.removeprefix('set ')}")
                setattr(ng, attr, Unknown(f"{v.reason}; {hint}", v.where))
