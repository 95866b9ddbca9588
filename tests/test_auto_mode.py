"""EKS Auto Mode: the built-in pools (set-builtin-node-pools.html), NodeClass networking (auto-networking.html,
create-node-class.html) and max pods (Karpenter's ENI-limited rule for Bottlerocket, capped at 110)."""
from __future__ import annotations

from pathlib import Path

from podcap.check import CheckOptions, check_plan, one_plan
from podcap.engine.auto_mode import builtin_requirements, network_env
from podcap.engine.karpenter import select_types
from podcap.limits import load_snapshot
from podcap.model.plan import Cluster, Plan, Subnet
from podcap.model.unknown import Unknown
from podcap.sources.demand import Demand, apply_demand
from podcap.sources.manifests import load_manifests
from podcap.sources.objects.kubernetes import resolve_kubernetes_objects
from podcap.sources.spec import plan_from_spec_dict

DATA = Path(__file__).parent / "data" / "k8s"
SNAP = load_snapshot()


def _auto_plan(pools: list[str]) -> Plan:
    plan = Plan(source="t.yaml", kind="cloudformation")
    plan.subnets["A"] = Subnet(id="A", cidr="10.0.0.0/24", az="us-east-1a")
    plan.subnets["B"] = Subnet(id="B", cidr="10.0.1.0/24", az="us-east-1b")
    plan.clusters["C"] = Cluster(id="C", subnets=["A", "B"], auto_mode=True, auto_mode_pools=pools)
    return plan


def test_builtin_pool_types_follow_the_documented_definition():
    sel = select_types(builtin_requirements("system"), SNAP, "system")  # amd64 and arm64: every architecture
    assert sel.unknown is None
    assert "m5.large" in sel.types and "c6g.large" in sel.types and "r7i.large" in sel.types
    assert "m4.large" not in sel.types  # generation 4 is not > 4
    assert "t3.medium" not in sel.types  # not C, M or R


def test_network_env():
    assert network_env(None)[0] == {"ENABLE_PREFIX_DELEGATION": "true"}  # Auto: prefix delegation
    assert network_env("Auto")[0] == {"ENABLE_PREFIX_DELEGATION": "true"}
    assert network_env("32")[0] == {}  # secondary-IP mode
    assert network_env("24")[0] is None
    assert network_env(None, pod_subnets=True)[0]["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true"


def test_builtin_system_pool_without_a_bound_is_pc001():
    plan = _auto_plan(["system"])
    r = check_plan(plan, CheckOptions(paths=[]), SNAP)
    pool = next(ng for ng in plan.nodegroups if ng.name == "C/system")
    assert pool.provisioner == "auto-mode" and pool.subnets == ["A", "B"]  # the default NodeClass: the cluster's
    msgs = [f.message for f in r.findings if f.rule_id == "PC001" and f.resource == "C/system"]
    assert any("no limits" in m and "Metadata.podcap.max_nodes" in m for m in msgs)
    assert {s.subnet: s.at_max for s in r.subnets}["A"] is None  # unknown, never a pass
    assert r.checked["node_pools"] == 1 and r.checked["clusters"] == 1


def test_general_purpose_needs_architecture_data():
    plan = _auto_plan(["general-purpose"])
    r = check_plan(plan, CheckOptions(paths=[]), SNAP)
    pool = next(ng for ng in plan.nodegroups if ng.name == "C/general-purpose")
    if getattr(SNAP.get("m5.large"), "architectures", None) is None:
        assert isinstance(pool.instance_types, Unknown)  # amd64 only: the snapshot cannot tell
        assert any("kubernetes.io/arch" in f.message for f in r.findings if f.rule_id == "PC001")


def test_auto_mode_pool_figures_with_demand(tmp_path):
    """A custom Auto Mode pool of m5.large, 3 nodes (demand), in a /24 of one AZ.

    Max pods: Karpenter's ENI-limited rule 3 x (10 - 1) + 2 = 29 (under the 110 cap); 27 address pods. Prefix
    delegation: 2 /28 prefixes = 32 addresses reach max pods 29, so the node stops growing; + the primary
    address = 33 per node. Nodes are not balanced over AZs: 3 nodes x 33 = 99 in the one subnet.
    """
    f = tmp_path / "auto.yaml"
    f.write_text("""
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: apps}
spec:
  template:
    spec:
      nodeClassRef: {group: eks.amazonaws.com, kind: NodeClass, name: private}
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}
---
apiVersion: eks.amazonaws.com/v1
kind: NodeClass
metadata: {name: private}
spec:
  subnetSelectorTerms: [{id: a}]
""")
    spec = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
            "subnets": [{"name": "a", "cidr": "10.0.0.0/24", "az": "us-east-1a"},
                        {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1b"}],
            "cluster": {"subnets": ["cp"]}}
    plan = one_plan([plan_from_spec_dict(spec, "spec.yaml"), load_manifests(str(f))])[0]
    resolve_kubernetes_objects(plan, SNAP)
    apply_demand(plan, [Demand(resource="apps", max_nodes=3)])
    r = check_plan(plan, CheckOptions(paths=[]), SNAP)
    ng = next(n for n in r.nodegroups if n.name == "apps")
    assert (ng.max_pods, ng.addresses_per_node, ng.max_size) == (29, 33, 3)
    a = {s.subnet: s for s in r.subnets}["a"]
    assert a.at_max == 99 and a.prefix_blocks_at_max == 6  # 3 nodes x 2 /28s


def test_max_pods_capped_at_110(tmp_path):
    """m5.4xlarge: 8 x (30 - 1) + 2 = 234 ENI-limited, capped at 110 by EKS (create-node-class.html)."""
    spec = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
            "subnets": [{"name": "a", "cidr": "10.0.0.0/20", "az": "us-east-1a"}],
            "node_pools": [{"name": "big", "provisioner": "auto-mode", "subnets": ["a"],
                            "instance_types": ["m5.4xlarge"], "max_nodes": 2}]}
    r = check_plan(plan_from_spec_dict(spec, "spec.yaml"), CheckOptions(paths=[]), SNAP)
    ng = next(n for n in r.nodegroups if n.name == "big")
    assert ng.max_pods == 110
    # 108 address pods: 7 /28s = 112 >= 110, the node stops growing; + 1 primary = 113 per node, 2 nodes
    assert ng.addresses_per_node == 113
    assert {s.subnet: s.at_max for s in r.subnets}["a"] == 2 * 113 + 4  # + 4 control-plane ENIs (1 subnet)


def test_ipv4_prefix_size_32_and_pod_subnets(tmp_path):
    """ipv4PrefixSize "32": secondary IPs. podSubnetSelectorTerms: pods in subnet p (custom networking)."""
    spec = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
            "subnets": [{"name": "n", "cidr": "10.0.0.0/24", "az": "us-east-1a"},
                        {"name": "p", "cidr": "10.0.4.0/22", "az": "us-east-1a"},
                        {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1b"}],
            "cluster": {"subnets": ["cp"]},
            "node_pools": [{"name": "iso", "provisioner": "auto-mode", "subnets": ["n"], "pod_subnets": ["p"],
                            "ipv4_prefix_size": "32", "instance_types": ["m5.large"], "max_nodes": 4}]}
    r = check_plan(plan_from_spec_dict(spec, "spec.yaml"), CheckOptions(paths=[]), SNAP)
    subnets = {s.subnet: s for s in r.subnets}
    # custom networking: the primary ENI takes no pods, 2 ENIs x 9 = 18 pod addresses at most; max pods
    # 29 by the ENI-limited rule, so all 18 slots fill: pods' 2 ENIs x 10 = 20 addresses in p per node; the
    # node subnet holds the primary ENI's 1 address. 4 nodes.
    assert subnets["n"].at_max == 4 * 1
    assert subnets["p"].at_max == 4 * 20


def test_documented_sample_nodepool(tmp_path):
    """The EKS user guide's sample NodePool (create-node-pool.html): C/M/R with 4, 8, 16 or 32 vCPUs in
    us-west-2a/b, both architectures, limits cpu 1000 and memory 1000Gi, on the default NodeClass (the
    cluster's subnets). Node bound, the tighter of the two limits (Karpenter stops launching when the next
    node would exceed either): cpu 1000 / 4 vCPUs (the smallest candidates) = 250 nodes; memory 1000Gi =
    1024000 MiB / 7104 MiB (c4.xlarge, the least memory: 7680 - ceil(7680 x 0.075) VM overhead, Karpenter's
    types.go memory()) = 144.1 -> 144 nodes."""
    spec = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
            "subnets": [{"name": "a", "cidr": "10.0.0.0/18", "az": "us-west-2a"},
                        {"name": "b", "cidr": "10.0.64.0/18", "az": "us-west-2b"},
                        {"name": "c", "cidr": "10.0.128.0/18", "az": "us-west-2c"}],
            "cluster": {"subnets": ["a", "b", "c"]}}
    plan = one_plan([plan_from_spec_dict(spec, "spec.yaml"), load_manifests(str(DATA / "auto-mode-nodepool.yaml"))])[0]
    resolve_kubernetes_objects(plan, SNAP)
    pool = next(ng for ng in plan.nodegroups if ng.name == "default")
    assert pool.provisioner == "auto-mode" and pool.max_size == 144
    assert pool.subnets == ["a", "b"]  # us-west-2c is not among the pool's zones
    assert "m5.xlarge" in pool.instance_types and "m5.large" not in pool.instance_types  # 4 vCPUs yes, 2 no
    assert pool.max_pods_cap == 110 and pool.network_env == {"ENABLE_PREFIX_DELEGATION": "true"}


def test_documented_nodeclass_selects_subnets_by_tag():
    """The user guide's NodeClass specification selects subnets tagged Name=private-subnet and
    kubernetes.io/role/internal-elb=1: only subnet p has both."""
    spec = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
            "subnets": [{"name": "p", "cidr": "10.0.0.0/20", "az": "us-east-1a",
                         "tags": {"Name": "private-subnet", "kubernetes.io/role/internal-elb": "1"}},
                        {"name": "q", "cidr": "10.0.16.0/20", "az": "us-east-1b", "tags": {"Name": "private-subnet"}}]}
    plan = plan_from_spec_dict(spec, "spec.yaml")
    from podcap.sources.objects.kubernetes import apply_kubernetes_objects

    pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "private"},
            "spec": {"template": {"spec": {
                "nodeClassRef": {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": "my-node-class"},
                "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                  "values": ["c6i.large"]}]}}}}
    from podcap.sources.manifests import read_objects

    apply_kubernetes_objects(plan, [pool, *read_objects(str(DATA / "auto-mode-nodeclass.yaml"))], where="m.yaml")
    resolve_kubernetes_objects(plan, SNAP)
    ng = next(n for n in plan.nodegroups if n.name == "private")
    assert ng.subnets == ["p"]
    assert isinstance(ng.max_size, Unknown)  # no limits, no demand


def test_only_supported_types():
    """automode-learn-instances.html: supported families only, more than 1 CPU, not nano/micro/small."""
    from podcap.engine.auto_mode import supported

    assert supported(SNAP.get("m5.large")) and supported(SNAP.get("t3.medium"))
    assert not supported(SNAP.get("t3.small"))  # size small
    assert not supported(SNAP.get("c1.xlarge"))  # family not supported
    assert not supported(SNAP.get("m6g.medium"))  # 1 vCPU


def test_spec_rejects_karpenter_keys_on_auto_mode_pools():
    import pytest
    from podcap.sources.spec import SpecError

    spec = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
            "subnets": [{"name": "a", "cidr": "10.0.0.0/20", "az": "us-east-1a"}],
            "node_pools": [{"name": "x", "provisioner": "auto-mode", "subnets": ["a"], "kubelet_max_pods": 50}]}
    with pytest.raises(SpecError, match="kubelet_max_pods applies to karpenter node pools only"):
        plan_from_spec_dict(spec, "spec.yaml")


# -- custom NodePools: pod subnets (no ENIConfig) and disruption budgets -----------------------------------------


def _custom_pool_result(subnets: list[dict], nodeclass: dict, pool_spec: dict):
    """A spec plan plus an Auto Mode NodeClass ``c`` and NodePool ``pool`` (m5.large only), checked."""
    from podcap.sources.objects.kubernetes import apply_kubernetes_objects

    spec = {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"}, "subnets": subnets,
            "cluster": {"subnets": ["cp"]}}
    plan = plan_from_spec_dict(spec, "spec.yaml")
    pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "pool"},
            "spec": {"template": {"spec": {
                "nodeClassRef": {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": "c"},
                "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                  "values": ["m5.large"]}]}}, **pool_spec}}
    nc = {"apiVersion": "eks.amazonaws.com/v1", "kind": "NodeClass", "metadata": {"name": "c"},
          "spec": {"role": "AutoNodeRole", **nodeclass}}
    apply_kubernetes_objects(plan, [nc, pool], where="m.yaml")
    return check_plan(plan, CheckOptions(paths=[]), SNAP)


def test_pod_subnets_are_not_custom_networking_without_an_eniconfig():
    """auto-networking.html, Considerations: Auto Mode does not support ENIConfig custom networking; the NodeClass's
    podSubnetSelectorTerms place pods. No PC301 (no ENIConfig is wanted); the pod subnet is reported as role pods;
    an AZ with nodes but no pod subnet is PC001, never a pass."""
    subnets = [{"name": "n1", "cidr": "10.0.0.0/24", "az": "us-east-1a", "tags": {"tier": "nodes"}},
               {"name": "n2", "cidr": "10.0.1.0/24", "az": "us-east-1b", "tags": {"tier": "nodes"}},
               {"name": "p1", "cidr": "10.0.4.0/22", "az": "us-east-1a", "tags": {"tier": "pods"}},
               {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1c"}]
    nodeclass = {"subnetSelectorTerms": [{"tags": {"tier": "nodes"}}],
                 "podSubnetSelectorTerms": [{"tags": {"tier": "pods"}}]}
    r = _custom_pool_result(subnets, nodeclass, {"limits": {"cpu": "10"}})
    assert not [f for f in r.findings if f.rule_id == "PC301"]
    by = {s.subnet: s for s in r.subnets}
    assert (by["p1"].role, by["n1"].role, by["n2"].role) == ("pods", "both", "both")
    # limits.cpu 10 / 2 vCPUs = 5 nodes, not balanced over AZs: 1a's pod subnet takes all 5 x 33 = 165
    # (27 pods -> 2 /28s + the pod ENI's primary address), the node subnets 1 address per node
    assert (by["p1"].at_max, by["n1"].at_max, by["n2"].at_max) == (5 * 33, 5, 5)
    (f,) = [f for f in r.findings if f.rule_id == "PC001" and "pod subnets in us-east-1b" in f.message]
    assert f.resource == "pool" and f.data["az"] == "us-east-1b" and f.data["pod_subnet_azs"] == ["us-east-1a"]
    # a pod subnet in 1b as well: nothing left to report there
    subnets.append({"name": "p2", "cidr": "10.0.8.0/22", "az": "us-east-1b", "tags": {"tier": "pods"}})
    r = _custom_pool_result(subnets, nodeclass, {"limits": {"cpu": "10"}})
    assert not [f for f in r.findings if f.rule_id in ("PC301", "PC001")]
    assert {s.subnet: s.role for s in r.subnets}["p2"] == "pods"


BUDGET_SUBNETS = [{"name": "a", "cidr": "10.0.0.0/23", "az": "us-east-1a"},
                  {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1b"}]


def _surge(budgets: list | None) -> tuple[list, list]:
    """limits.cpu 28 / 2 vCPUs = 14 m5.large nodes at 33 addresses each in the /23 a (512 - 5 = 507 usable):
    14 x 33 = 462 at max. Returns (PC202 (surge, need) pairs, PC001 messages)."""
    spec: dict = {"limits": {"cpu": "28"}}
    if budgets is not None:
        spec["disruption"] = {"budgets": budgets}
    r = _custom_pool_result(BUDGET_SUBNETS, {"subnetSelectorTerms": [{"id": "a"}]}, spec)
    assert {s.subnet: s.at_max for s in r.subnets}["a"] == 14 * 33 == 462
    return ([(f.data["surge"], f.data["need"]) for f in r.findings if f.rule_id == "PC202"],
            [f.message for f in r.findings if f.rule_id == "PC001"])


def test_replacement_surge_follows_the_disruption_budgets():
    # no budgets: Karpenter's default nodes 10% of 14 = 1.4, rounded up: 2; 16 x 33 = 528 > 507
    assert _surge(None) == ([(2, 16 * 33)], [])
    # the fewest of the budgets: min(ceil(50% x 14) = 7, 3) = 3; 17 x 33 = 561
    assert _surge([{"nodes": "50%"}, {"nodes": "3"}]) == ([(3, 17 * 33)], [])
    # one at a time: 15 x 33 = 495 <= 507, no warning
    assert _surge([{"nodes": "1"}]) == ([], [])
    # no replacing disruption allowed (Drifted and Underutilized at 0): nothing surges
    assert _surge([{"nodes": "0", "reasons": ["Drifted", "Underutilized"]}]) == ([], [])
    # a budget only inside a schedule window limits nothing outside it: no cap, all 14 may be replaced at
    # once: 28 x 33 = 924
    assert _surge([{"nodes": "0", "schedule": "@daily", "duration": "10m"}]) == ([(14, 28 * 33)], [])
    # a value the NodePool CRD rejects: PC001, no guessed surge
    surges, pc001 = _surge([{"nodes": "150%"}])
    assert surges == [] and any("invalid spec.disruption.budgets[0].nodes '150%'" in m for m in pc001)
