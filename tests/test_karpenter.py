"""Karpenter: instance types from NodePool requirements, Karpenter's max pods rule, the node bound from limits,
and subnets judged for every node (Karpenter does not balance zones). Figures come from the shipped snapshot:
m5.large 3 ENIs x 10 IPv4, 2 vCPUs; m5.xlarge 4 ENIs x 15 IPv4, 4 vCPUs; m5.4xlarge 8 x 30, 16 vCPUs."""
from __future__ import annotations

from pathlib import Path

import pytest
from podcap.check import CheckOptions, check_plan, one_plan
from podcap.engine.karpenter import (
    Requirement,
    ami_family,
    eni_limited_pods,
    karpenter_max_pods,
    memory_capacity_mib,
    node_bound,
    parse_quantity,
    requirement_matches,
    select_types,
    type_label,
)
from podcap.limits import load_snapshot
from podcap.model.unknown import Unknown
from podcap.sources.manifests import load_manifests
from podcap.sources.spec import plan_from_spec_dict

DATA = Path(__file__).parent / "data" / "k8s"
SNAP = load_snapshot()


def lim(name: str):
    return SNAP.get(name)


@pytest.mark.parametrize(("name", "category", "generation", "family", "size"), [
    ("m5.large", "m", "5", "m5", "large"),
    ("c6gn.16xlarge", "c", "6", "c6gn", "16xlarge"),
    ("r7iz.metal-16xl", "r", "7", "r7iz", "metal-16xl"),
])
def test_labels_follow_karpenters_instance_type_scheme(name, category, generation, family, size):
    t = lim(name)
    assert type_label(t, "karpenter.k8s.aws/instance-category") == category
    assert type_label(t, "karpenter.k8s.aws/instance-generation") == generation
    assert type_label(t, "karpenter.k8s.aws/instance-family") == family
    assert type_label(t, "karpenter.k8s.aws/instance-size") == size
    assert type_label(t, "eks.amazonaws.com/instance-family") == family  # Auto Mode's spelling
    assert type_label(t, "node.kubernetes.io/instance-type") == name


def test_gpu_labels_as_karpenter_computes_them():
    # computeRequirements sets the gpu labels only for a type with exactly one GPU entry: m5.large has none,
    # so its nodes carry no instance-gpu-count label (Exists fails, DoesNotExist holds).
    assert type_label(lim("m5.large"), "karpenter.k8s.aws/instance-gpu-count") is None
    # p4d.24xlarge: DescribeInstanceTypes GpuInfo = 8 x NVIDIA A100 with 40960 MiB each
    p4d = lim("p4d.24xlarge")
    assert type_label(p4d, "karpenter.k8s.aws/instance-gpu-count") == "8"
    assert type_label(p4d, "karpenter.k8s.aws/instance-gpu-manufacturer") == "nvidia"
    assert type_label(p4d, "karpenter.k8s.aws/instance-gpu-name") == "a100"
    assert type_label(p4d, "karpenter.k8s.aws/instance-gpu-memory") == "40960"


def test_labels_the_snapshot_cannot_tell_are_unknown():
    # p3.2xlarge is known only from AWS's published tables, which carry no GPU facts
    assert isinstance(type_label(lim("p3.2xlarge"), "karpenter.k8s.aws/instance-gpu-count"), Unknown)
    assert isinstance(type_label(lim("m5.large"), "karpenter.k8s.aws/instance-local-nvme"), Unknown)
    if getattr(lim("m5.large"), "architectures", None) is None:
        assert isinstance(type_label(lim("m5.large"), "kubernetes.io/arch"), Unknown)


@pytest.mark.parametrize(("op", "values", "value", "expected"), [
    ("In", ("a", "b"), "a", True), ("In", ("a",), None, False),
    ("NotIn", ("a",), "b", True), ("NotIn", ("a",), None, True), ("NotIn", ("a",), "a", False),
    ("Exists", (), "x", True), ("Exists", (), None, False),
    ("DoesNotExist", (), None, True), ("DoesNotExist", (), "x", False),
    ("Gt", ("4",), "5", True), ("Gt", ("4",), "4", False), ("Gt", ("4",), None, False),
    ("Lt", ("4",), "3", True), ("Lt", ("4",), "4", False), ("Lt", ("x",), "3", False),
])
def test_node_selector_operators(op, values, value, expected):
    assert requirement_matches(Requirement("k", op, values), value) is expected


def test_eni_limited_pods_and_reserved_enis():
    assert eni_limited_pods(lim("m5.large")) == 29  # 3 x (10 - 1) + 2
    assert eni_limited_pods(lim("m5.large"), reserved_enis=1) == 20  # (3 - 1) x 9 + 2
    assert eni_limited_pods(lim("m5.xlarge")) == 58  # 4 x (15 - 1) + 2
    assert eni_limited_pods(lim("m5.large"), reserved_enis=2, efa_only_enis=1) == 0  # no ENI left


def test_karpenter_max_pods_rule():
    al2023, br, win = ami_family("al2023@latest"), ami_family("Bottlerocket"), ami_family("windows2022")
    m5l = lim("m5.large")
    assert karpenter_max_pods(m5l, al2023) == 29  # ENI-limited
    assert karpenter_max_pods(m5l, al2023, max_pods=50) == 50  # kubelet.maxPods wins
    assert karpenter_max_pods(m5l, al2023, pods_per_core=10) == 20  # min(10 x 2 vCPUs, 29)
    assert karpenter_max_pods(m5l, al2023, max_pods=50, pods_per_core=10) == 20  # min(20, 50)
    assert karpenter_max_pods(m5l, br, pods_per_core=10) == 29  # Bottlerocket: podsPerCore not enabled
    assert karpenter_max_pods(m5l, win) == 110  # Windows: no ENI-limited density
    assert karpenter_max_pods(m5l, win, pods_per_core=10) == 20  # min(10 x 2, 110)


def test_select_types_by_family_size_and_cpu():
    reqs = [Requirement("karpenter.k8s.aws/instance-family", "In", ("m5",)),
            Requirement("karpenter.k8s.aws/instance-cpu", "Lt", ("5",))]
    sel = select_types(reqs, SNAP, "pool")
    assert sel.unknown is None
    assert sel.types == ["m5.large", "m5.xlarge"]  # m5 with 2 and 4 vCPUs (m5.2xlarge has 8)


def test_select_types_ignores_offering_and_custom_labels_and_reads_zones():
    reqs = [Requirement("node.kubernetes.io/instance-type", "In", ("m5.large",)),
            Requirement("karpenter.sh/capacity-type", "In", ("spot",)),
            Requirement("team", "In", ("payments",)),
            Requirement("topology.kubernetes.io/zone", "In", ("us-east-1a",)),
            Requirement("kubernetes.io/arch", "In", ("arm64", "amd64"))]  # every type: needs no arch data
    sel = select_types(reqs, SNAP, "pool")
    assert (sel.types, sel.zones, sel.unknown) == (["m5.large"], ["us-east-1a"], None)


def test_a_requirement_the_snapshot_cannot_decide_keeps_the_type_as_worst_case():
    # m6g.large is arm64 (dropped by arch In [amd64]); m5.large is amd64 (kept); p3.2xlarge is known only from
    # AWS's published tables, which have no architecture: named by the instance-type requirement, it cannot
    # be ruled out, so it stays a candidate (the worst case for address demand) and a note says why.
    reqs = [Requirement("node.kubernetes.io/instance-type", "In", ("m5.large", "p3.2xlarge", "m6g.large")),
            Requirement("kubernetes.io/arch", "In", ("amd64",))]
    sel = select_types(reqs, SNAP, "pool")
    assert sel.types == ["m5.large", "p3.2xlarge"] and sel.unknown is None
    assert len(sel.notes) == 1 and "p3.2xlarge" in sel.notes[0] and "kubernetes.io/arch" in sel.notes[0]


def test_types_only_aws_tables_know_are_not_karpenter_candidates_unless_named():
    # Karpenter's candidates come from DescribeInstanceTypes; p3.2xlarge is only in AWS's ENI tables
    # (no vCPUs, no architecture): a family requirement leaves it out, with a note; naming it keeps it.
    fam = [Requirement("karpenter.k8s.aws/instance-family", "In", ("p3",))]
    sel = select_types(fam, SNAP, "pool")
    assert sel.types == [] and isinstance(sel.unknown, Unknown)  # every p3 type is table-only
    assert any("p3.2xlarge" in n and "published ENI tables" in n for n in sel.notes)
    named = [Requirement("node.kubernetes.io/instance-type", "In", ("p3.2xlarge",))]
    assert select_types(named, SNAP, "pool").types == ["p3.2xlarge"]


def test_mac_types_are_never_karpenter_candidates():
    # karpenter-provider-aws UpdateInstanceTypes asks DescribeInstanceTypes for supported-architecture x86_64 or
    # arm64: mac2-m2.metal (arm64_mac, 8 vCPUs, so cpu < 13 would keep it) is never offered, nor mac1.metal
    # (x86_64_mac) even named; 8 ENIs x 30 IPv4 would make either the pool's worst node
    fam = [Requirement("karpenter.k8s.aws/instance-family", "In", ("mac2-m2", "m5")),
           Requirement("karpenter.k8s.aws/instance-cpu", "Lt", ("13",))]
    sel = select_types(fam, SNAP, "pool")
    assert sel.types == ["m5.2xlarge", "m5.large", "m5.xlarge"] and sel.unknown is None
    assert any("mac2-m2.metal" in n and "x86_64 and arm64" in n for n in sel.notes)
    named = [Requirement("node.kubernetes.io/instance-type", "In", ("mac1.metal", "m5.large"))]
    assert select_types(named, SNAP, "pool").types == ["m5.large"]


def test_node_bound_from_limits():
    types = [lim("m5.large"), lim("m5.xlarge")]
    assert node_bound({"cpu": 100}, types, "p")[0] == 50  # 100 vCPUs / 2 (m5.large, the smallest)
    assert node_bound({"cpu": "1000m"}, types, "p")[0] == 0  # 1 vCPU: not even one m5.large
    assert node_bound({"cpu": "9", "nodes": 3}, types, "p")[0] == 3  # min(9 // 2 = 4, 3)
    assert isinstance(node_bound({}, types, "p")[0], Unknown)
    assert isinstance(node_bound(None, types, "p")[0], Unknown)
    if getattr(types[0], "memory_mib", None) is None:
        assert isinstance(node_bound({"memory": "64Gi"}, types, "p")[0], Unknown)
        assert node_bound({"cpu": 10, "memory": "64Gi"}, types, "p")[0] == 5  # the cpu bound alone holds
    assert parse_quantity("64Gi") == 64 * 2**30 and parse_quantity("1.5") == 1.5 and parse_quantity("x") is None
    # a limit at or below zero leaves room for no node (Karpenter launches none), not a negative count
    assert node_bound({"cpu": "-5"}, types, "p")[0] == 0 and node_bound({"nodes": -1}, types, "p")[0] == 0


def test_parse_quantity_follows_kubernetes_grammar():
    """k8s.io/apimachinery resource.Quantity: a signed decimal number, then an exponent or a suffix."""
    assert [parse_quantity(v) for v in ("+4", "-5", ".5", "2.", "1e3", "5E-1", "100m", "1E", "1Ki")] == \
        [4, -5, 0.5, 2, 1000, 0.5, 0.1, 1e18, 1024]
    # not quantities: spaces, a lone sign or dot, an unknown suffix; and none a float cannot hold
    for bad in ("64 Gi", " 5", "+", ".", "e3", "5x", "1e400", "9" * 5000, 10**400, True, None, [5]):
        assert parse_quantity(bad) is None, bad


SPEC = {
    "version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
    "subnets": [
        {"name": "a", "cidr": "10.0.0.0/24", "az": "us-east-1a", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "b", "cidr": "10.0.1.0/24", "az": "us-east-1b", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1a"},
    ],
    "cluster": {"subnets": ["cp"]},
}

POOL = """
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: web}
spec:
  template:
    spec:
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: web}
  limits: {cpu: 20}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: web}
spec:
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
"""


def _check(tmp_path, manifest: str, spec: dict | None = None):
    f = tmp_path / "pool.yaml"
    f.write_text(manifest)
    plans = one_plan([plan_from_spec_dict(spec or SPEC, str(tmp_path / "spec.yaml")), load_manifests(str(f))])
    assert len(plans) == 1
    return check_plan(plans[0], CheckOptions(paths=[]), SNAP)


def test_karpenter_pool_end_to_end(tmp_path):
    r = _check(tmp_path, POOL)
    ng = next(n for n in r.nodegroups if n.name == "web")
    assert ng.max_size == 10  # limits.cpu 20 / 2 vCPUs of m5.large
    subnets = {s.subnet: s for s in r.subnets}
    # m5.large: max pods 3 x 9 + 2 = 29, 27 address pods on 3 ENIs of 10 = 30 addresses for 2 vCPUs;
    # m5.xlarge: 4 x 14 + 2 = 58, 56 pods on 4 ENIs of 15 = 60 addresses for 4 vCPUs. The nodes hold 20 vCPUs
    # between them (10 x m5.large or 5 x m5.xlarge, or a mix), so at most 10 x 30 = 5 x 60 = 300 addresses,
    # not 10 nodes x 60 = 600. Karpenter does not balance zones, so each AZ's one subnet is judged for all
    # of them: 300 each
    assert subnets["a"].at_max == 300 and subnets["b"].at_max == 300
    assert any(f.rule_id == "PC201" and f.resource == "a" for f in r.findings)  # 300 > 251 usable
    assert any("does not balance nodes over AZs" in n for n in r.notes)


def test_zone_requirement_keeps_one_zone(tmp_path):
    pool = POOL.replace("values: [m5.large, m5.xlarge]}",
                        "values: [m5.large]}\n        - {key: topology.kubernetes.io/zone, operator: In, "
                        "values: [us-east-1b]}")
    r = _check(tmp_path, pool)
    subnets = {s.subnet: s for s in r.subnets}
    # m5.large: max pods 29, 27 address pods on 3 ENIs of 10 = 30 addresses; 20 / 2 = 10 nodes, all in b
    assert subnets["b"].at_max == 300
    assert subnets["a"].at_max == 0


def test_kubelet_max_pods_and_pods_per_core(tmp_path):
    pool = POOL.replace("values: [m5.large, m5.xlarge]", "values: [m5.xlarge]").replace(
        "  subnetSelectorTerms:", "  kubelet: {maxPods: 20, podsPerCore: 4}\n  subnetSelectorTerms:")
    r = _check(tmp_path, pool)
    ng = next(n for n in r.nodegroups if n.name == "web")
    assert ng.max_pods == 16  # min(podsPerCore 4 x 4 vCPUs, maxPods 20)
    assert ng.max_size == 5  # 20 vCPUs / 4
    # 14 address pods fill the primary ENI's 14 secondary IPs (14 < max pods 16, so ipamd keeps growing) and
    # WARM_ENI_TARGET=1 attaches a second ENI: 2 x 15 = 30 addresses per node; 5 nodes in each subnet = 150
    assert ng.addresses_per_node == 30
    assert {s.subnet: s.at_max for s in r.subnets}["a"] == 150


def test_unbounded_pool_is_pc001_naming_the_key(tmp_path):
    r = _check(tmp_path, POOL.replace("  limits: {cpu: 20}\n", ""))
    msgs = [f.message for f in r.findings if f.rule_id == "PC001" and f.resource == "web"]
    assert any("no limits" in m and "max_nodes" in m and ".podcap.yaml demand" in m for m in msgs)
    assert {s.subnet: s.at_max for s in r.subnets}["a"] is None  # never a pass


def test_subnets_by_tags_without_tags_in_the_input(tmp_path):
    spec = {**SPEC, "subnets": [{k: v for k, v in s.items() if k != "tags"} for s in SPEC["subnets"]]}
    r = _check(tmp_path, POOL, spec)
    msgs = [f.message for f in r.findings if f.rule_id == "PC001" and f.resource == "web"]
    assert any("select by tags" in m and "--live" in m for m in msgs)


def test_karpenter_documented_example(tmp_path):
    """aws/karpenter-provider-aws examples/v1/100-cpu-limit.yaml: c/m/r generation > 2, amd64, limits cpu 100.
    Its subnets are picked by the tag karpenter.sh/discovery: ${CLUSTER_NAME}, which no subnet here has."""
    plan = load_manifests(str(DATA / "karpenter-v1-100-cpu-limit.yaml"))
    plans = one_plan([plan_from_spec_dict(SPEC, "spec.yaml"), plan])
    r = check_plan(plans[0], CheckOptions(paths=[]), SNAP)
    msgs = [f.message for f in r.findings if f.rule_id == "PC001" and f.resource == "limitcpu100"]
    assert any("karpenter.sh/discovery" in m for m in msgs)
    if getattr(lim("m5.large"), "architectures", None) is None:
        assert any("kubernetes.io/arch" in m for m in msgs)  # amd64 only: the snapshot has no architecture


def test_windows_family_is_a_windows_pool(tmp_path):
    plans = one_plan([plan_from_spec_dict(SPEC, "spec.yaml"), load_manifests(str(DATA / "karpenter-v1-windows-2022.yaml"))])
    from podcap.limits import load_snapshot as _ls
    from podcap.sources.objects.kubernetes import resolve_kubernetes_objects

    resolve_kubernetes_objects(plans[0], _ls())
    pools = [ng for ng in plans[0].nodegroups if ng.provisioner == "karpenter"]
    assert pools and all(ng.os == "windows" and ng.ami_family == "windows2022" for ng in pools)


def test_zone_balanced_pool_is_judged_like_an_asg(tmp_path):
    """podcap/zone-balanced: 10 m5.large nodes over 2 AZs: ceil(10 / 2) = 5 per subnet x 30 = 150."""
    pool = POOL.replace("values: [m5.large, m5.xlarge]", "values: [m5.large]").replace(
        "metadata: {name: web}", "metadata: {name: web, annotations: {podcap/zone-balanced: 'true'}}")
    r = _check(tmp_path, pool)
    assert {s.subnet: s.at_max for s in r.subnets}["a"] == 150


# -- memory capacity, static pools, limits below one node (karpenter-provider-aws types.go memory(),
# kubernetes-sigs/karpenter scheduler.go filterByRemainingResources) --------------------------------------


def test_memory_capacity_after_vm_overhead_and_arm64_reserve():
    # m5.large 8192 MiB, amd64: 8192 x 0.075 = 614.4 -> 615; 8192 - 615 = 7577
    assert memory_capacity_mib(lim("m5.large")) == 7577
    # m6g.large 8192 MiB, arm64: 8192 - 64 = 8128; 8128 x 0.075 = 609.6 -> 610; 8128 - 610 = 7518
    assert memory_capacity_mib(lim("m6g.large")) == 7518
    # VM_MEMORY_OVERHEAD_PERCENT 0.1: 8192 x 0.1 = 819.2 -> 820; 8192 - 820 = 7372
    assert memory_capacity_mib(lim("m5.large"), 0.1) == 7372


def test_node_bound_memory_replicas_and_below_one_node():
    m5 = [lim("m5.large")]
    # 60Gi = 61440 MiB / 7577 = 8.1 -> 8 (the raw 8192 MiB would give 7)
    assert node_bound({"memory": "60Gi"}, m5, "p")[0] == 8
    # 7577 MiB exactly fits once (a type fits while its capacity <= what is left): 1 node
    assert node_bound({"memory": "7577Mi"}, m5, "p")[0] == 1
    assert node_bound({"memory": "7576Mi"}, m5, "p")[0] == 0
    # a limit smaller than one node: 0, a known figure (Karpenter launches nothing)
    assert node_bound({"cpu": "1"}, m5, "p")[0] == 0
    # spec.replicas: the fixed count, under limits.nodes
    assert node_bound(None, m5, "p", replicas=4)[0] == 4
    assert node_bound({"nodes": 3}, m5, "p", replicas=4)[0] == 3
    assert isinstance(node_bound(None, m5, "p", replicas="x")[0], Unknown)


def test_static_nodepool_replicas_bound_the_pool(tmp_path):
    pool = POOL.replace("values: [m5.large, m5.xlarge]", "values: [m5.large]").replace(
        "  limits: {cpu: 20}", "  replicas: 3")
    r = _check(tmp_path, pool)
    ng = next(n for n in r.nodegroups if n.name == "web")
    # replicas 3: 3 nodes; m5.large 30 addresses each, all 3 in each AZ (not balanced): 90
    assert ng.max_size == 3
    assert {s.subnet: s.at_max for s in r.subnets}["a"] == 90


def test_limit_below_one_node_is_zero_not_invalid(tmp_path):
    pool = POOL.replace("values: [m5.large, m5.xlarge]", "values: [m5.large]").replace(
        "limits: {cpu: 20}", 'limits: {cpu: "1"}')
    r = _check(tmp_path, pool)
    # 1 vCPU < 2 (m5.large): no node, 0 addresses, and no EKS scaling-config error
    assert {s.subnet: s.at_max for s in r.subnets}["a"] == 0
    assert not [f for f in r.findings if f.rule_id == "PC001" and "scaling config" in f.message]


def test_vm_memory_overhead_from_the_controller_deployment(tmp_path):
    pool = POOL.replace("values: [m5.large, m5.xlarge]", "values: [m5.large]").replace(
        "limits: {cpu: 20}", "limits: {memory: 36Gi}")
    controller = """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: karpenter, namespace: kube-system}
spec:
  template:
    spec:
      containers:
        - name: controller
          image: public.ecr.aws/karpenter/controller:1.6.0
          env: [{name: VM_MEMORY_OVERHEAD_PERCENT, value: "PCT"}]
"""
    # default 0.075: 36864 MiB / 7577 = 4.87 -> 4 nodes
    assert next(n for n in _check(tmp_path, pool).nodegroups if n.name == "web").max_size == 4
    # 0.2: 8192 x 0.2 = 1638.4 -> 1639; 8192 - 1639 = 6553; 36864 / 6553 = 5.6 -> 5 nodes
    r = _check(tmp_path, pool + controller.replace("PCT", "0.2"))
    assert next(n for n in r.nodegroups if n.name == "web").max_size == 5
    # unreadable: PC001, the default kept
    r = _check(tmp_path, pool + controller.replace("PCT", "lots"))
    assert next(n for n in r.nodegroups if n.name == "web").max_size == 4
    assert any(f.rule_id == "PC001" and "VM_MEMORY_OVERHEAD_PERCENT" in f.message for f in r.findings)


# -- subnets of one AZ: the one with the most free addresses at each launch (subnet.go ZonalSubnetsForLaunch)


ONE_AZ = {
    "version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
    "subnets": [
        {"name": "small", "cidr": "10.0.0.0/24", "az": "us-east-1a", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "large", "cidr": "10.0.4.0/23", "az": "us-east-1a", "tags": {"karpenter.sh/discovery": "demo"}},
        {"name": "cp", "cidr": "10.0.9.0/28", "az": "us-east-1b"},
        {"name": "cp2", "cidr": "10.0.9.16/28", "az": "us-east-1c"},
    ],
    "cluster": {"subnets": ["cp", "cp2"]},
}
M5_POOL = POOL.replace("values: [m5.large, m5.xlarge]", "values: [m5.large]")


def test_one_az_nodes_follow_the_most_free_subnet(tmp_path):
    r = _check(tmp_path, M5_POOL.replace("limits: {cpu: 20}", "limits: {cpu: 40}"), ONE_AZ)
    at = {s.subnet: s.at_max for s in r.subnets}
    # 20 nodes x 30: /23 507 usable (512 - 5), /24 251. Each launch goes to the most free: the /23 takes the
    # first 9 (507 - 9 x 30 = 237 < 251), then they alternate small, large, ... for the other 11 launches:
    # small 6, large 9 + 5 = 14 (free left: 251 - 180 = 71, 507 - 420 = 87)
    assert (at["large"], at["small"]) == (14 * 30, 6 * 30)
    assert not [f for f in r.findings if f.rule_id == "PC201"]
    # a scenario of 2 more nodes (PC202's surge) replays the launches too: 22 nodes -> large 9 + 6, small 7:
    # 450 <= 507 and 210 <= 251, so no PC202 (judging each subnet for all 22 would claim 660 > 251)
    assert not [f for f in r.findings if f.rule_id == "PC202"]
    assert any("most free addresses" in n for n in r.notes)


def test_one_az_other_users_arriving_first_or_later_both_judged(tmp_path):
    spec = {**ONE_AZ, "nodegroups": [{"name": "static", "instance_types": ["m5.large"], "min": 10,
                                      "desired": 10, "max": 10, "subnets": ["large"]}]}
    r = _check(tmp_path, M5_POOL.replace("limits: {cpu: 20}", "limits: {cpu: 40}"), spec)
    at = {s.subnet: s.at_max for s in r.subnets}
    # the node group: 10 x 30 = 300 in the /23. Each subnet is judged at its own worst order: the other users
    # of the AZ's other subnets there first, its own later.
    # large: the node group comes later, the /24 has no other user: as above, 14 nodes: 300 + 420 = 720 > 507
    assert at["large"] == 300 + 14 * 30
    # small: the node group is there first: /23 free 507 - 300 = 207, so the /24 takes the first 2 launches
    # (251 -> 221 -> 191 < 207), then they alternate large, small for the other 18: small 2 + 9 = 11 nodes,
    # 330 > 251
    assert at["small"] == 11 * 30
    assert {f.resource for f in r.findings if f.rule_id == "PC201"} == {"large", "small"}
