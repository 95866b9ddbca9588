"""What a node pool's limits let its nodes take together (podcap.engine.pool_capacity), and the subnet figures
that follow (docs/node-pools.md "Address demand").

Karpenter launches no node past the NodePool's limits (kubernetes-sigs/karpenter scheduler.go
``filterByRemainingResources``; the provisioner's ``Limits.ExceededBy`` before it creates a NodeClaim), so a
pool's nodes hold at most ``limits.cpu`` vCPUs between them: the most addresses they take is the best mix of
candidate types within that, not (most nodes) x (largest type's addresses).

Figures from the shipped snapshot (``podcap limits show TYPE``), secondary IPs, WARM_ENI_TARGET=1, AL2023
ENI-limited max pods ENIs x (IPv4 per ENI - 1) + 2, and a node at max pods holding all its ENIs' addresses:
  m5.large    2 vCPUs, 3 ENIs x 10: max pods 29, 27 address pods -> 3 x 10 = 30 addresses
  m5.xlarge   4 vCPUs, 4 ENIs x 15: max pods 58, 56 address pods -> 4 x 15 = 60 addresses
  m5.2xlarge  8 vCPUs, 4 ENIs x 15: the same 60 addresses for twice the vCPUs
  c8ib.large  2 vCPUs, 4 ENIs x 20: max pods 78, 76 address pods -> 4 x 20 = 80 addresses
A /24 has 256 - 5 = 251 usable addresses, a /22 1019.
"""
from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.engine import pool_capacity
from podcap.engine.pool_capacity import Item, most_within
from podcap.limits import load_snapshot

SNAP = load_snapshot()


def brute(items: tuple[Item, ...], cpu: int | None, memory: int | None, nodes: int | None) -> int:
    """Every count of every item, by recursion over the items: the reference for small cases."""

    @cache
    def best(k: int, c: int | None, m: int | None, n: int | None) -> int:
        if k == len(items):
            return 0
        it, x, most = items[k], 0, 0
        while True:
            left = (None if c is None else c - x * it.vcpus, None if m is None else m - x * it.memory_mib,
                    None if n is None else n - x)
            if any(v is not None and v < 0 for v in left):
                return most
            most = max(most, x * it.value + best(k + 1, *left))
            x += 1

    return best(0, cpu, memory, nodes)


ITEMS = st.lists(st.builds(Item, name=st.sampled_from("abcdefgh"), value=st.integers(0, 80),
                           vcpus=st.integers(1, 16), memory_mib=st.integers(1, 40)),
                 min_size=1, max_size=5, unique_by=lambda i: i.name).map(tuple)


@settings(max_examples=400, deadline=None)
@given(ITEMS, st.integers(0, 60))
def test_cpu_alone_is_exact(items, cpu):
    b = most_within(items, cpu=cpu)
    assert b.value == brute(items, cpu, None, None) and b.exact
    _mix_keeps(items, b, cpu=cpu)


@settings(max_examples=400, deadline=None)
@given(ITEMS, st.integers(0, 90))
def test_memory_alone_is_exact(items, memory):
    b = most_within(items, memory_mib=memory)
    assert b.value == brute(items, None, memory, None) and b.exact
    _mix_keeps(items, b, memory=memory)


@settings(max_examples=400, deadline=None)
@given(ITEMS, st.one_of(st.none(), st.integers(0, 40)), st.one_of(st.none(), st.integers(0, 60)),
       st.one_of(st.none(), st.integers(0, 6)))
def test_limits_together_are_exact(items, cpu, memory, nodes):
    if cpu is None and memory is None and nodes is None:
        assert most_within(items) is None
        return
    b = most_within(items, cpu=cpu, memory_mib=memory, nodes=nodes)
    assert b.value == brute(items, cpu, memory, nodes) and b.exact
    _mix_keeps(items, b, cpu=cpu, memory=memory, nodes=nodes)


@settings(max_examples=200, deadline=None)
@given(ITEMS, st.integers(0, 40), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 6)))
def test_limits_together_past_the_search_budget_are_an_upper_bound_said_so(items, cpu, memory, nodes):
    budgets = pool_capacity._SEARCH_BUDGET, pool_capacity._JOINT_BUDGET
    try:
        pool_capacity._SEARCH_BUDGET = pool_capacity._JOINT_BUDGET = 1
        b = most_within(items, cpu=cpu, memory_mib=memory, nodes=nodes)
    finally:
        pool_capacity._SEARCH_BUDGET, pool_capacity._JOINT_BUDGET = budgets
    most = brute(items, cpu, memory, nodes)
    assert b.value >= most  # never below what the pool can take: no silent pass
    if b.exact:
        assert b.value == most
        _mix_keeps(items, b, cpu=cpu, memory=memory, nodes=nodes)


def _mix_keeps(items, b, cpu=None, memory=None, nodes=None):
    """The mix a bound shows reaches it and keeps every limit."""
    by = {i.name: i for i in items}
    if b.value == 0:
        return
    assert sum(by[n].value * k for n, k in b.mix) == b.value
    assert cpu is None or sum(by[n].vcpus * k for n, k in b.mix) <= cpu
    assert memory is None or sum(by[n].memory_mib * k for n, k in b.mix) <= memory
    assert nodes is None or sum(k for _, k in b.mix) <= nodes


def test_hand_computed_mixes():
    large, xlarge = Item("m5.large", 30, 2, 7577), Item("m5.xlarge", 60, 4, 15155)
    # 20 vCPUs: 10 x 30 = 5 x 60 = 300 (a tie: the lighter type shown), not 10 nodes x 60 = 600
    b = most_within([large, xlarge], cpu=20)
    assert (b.value, b.mix, b.limit, b.exact) == (300, (("m5.large", 10),), "cpu", True)
    # 21 vCPUs: the 21st vCPU holds no node
    assert most_within([large, xlarge], cpu=21).value == 300
    # "1500m" is 1.5 vCPUs: capacities are whole vCPUs, so not even one 2-vCPU node
    assert most_within([large, xlarge], cpu=1.5).value == 0
    # a type larger than the limit alone is never launched: cpu 3 holds one m5.large only
    assert most_within([large, xlarge], cpu=3).mix == (("m5.large", 1),)
    # the best ratio alone is not the answer: 3 vCPUs worth 10 and 5 worth 17 (3.33 and 3.4 per vCPU):
    # 7 vCPUs -> 2 x 3 = 20 (one 5 leaves 2 idle: 17); 8 -> 3 + 5 = 27; 10 -> 2 x 5 = 34
    a, c = Item("a", 10, 3), Item("c", 17, 5)
    assert [most_within([a, c], cpu=n).value for n in (7, 8, 10)] == [20, 27, 34]
    # memory 60Gi = 61440 MiB over m5.large (8192 - ceil(8192 x 0.075) = 7577 MiB): 8 nodes, 240 addresses;
    # with m5.xlarge (16384 - 1229 = 15155 MiB, 60) too: 8 x 7577 = 60616 is the most 61440 holds: still 240
    assert most_within([large], memory_mib=61440).value == 240
    assert most_within([large, xlarge], memory_mib=61440).value == 240
    # nodes alone: 3 nodes of the most a node takes
    assert most_within([large, xlarge], nodes=3).value == 180
    # cpu 20 and 3 nodes: 3 x m5.xlarge (12 vCPUs) = 180 keeps both; the cpu bound alone (300) does not
    b = most_within([large, xlarge], cpu=20, nodes=3)
    assert (b.value, b.limit, b.exact) == (180, "nodes", True)
    # memory 64Gi and 2 nodes (PC202's two nodes marked for disruption, docs/node-pools.md): Graviton types
    # m9g.4xlarge 400 addresses / 60561 MiB and m9g.medium 40 / 3729: one of each (64290 MiB) = 440; memory
    # alone 17 x m9g.medium = 680 and 2 nodes alone 2 x 400 = 800 are each more than the two can take
    big, medium = Item("m9g.4xlarge", 400, 16, 60561), Item("m9g.medium", 40, 1, 3729)
    b = most_within([big, medium], memory_mib=65536, nodes=2)
    assert (b.value, b.exact, b.mix) == (440, True, (("m9g.4xlarge", 1), ("m9g.medium", 1)))
    # a weight an item lacks (a type whose vCPUs the snapshot has none for, no floor): no bound at all
    assert most_within([Item("x", 5)], cpu=10) is None


def test_cpu_and_memory_together_upper_bound_said_so():
    # "cpu" type: 2 vCPUs, 1 GiB, worth 10; "mem" type: 1 vCPU, 4 GiB, worth 12.
    cpu_t, mem_t = Item("cpu", 10, 2, 1024), Item("mem", 12, 1, 4096)
    # 8 vCPUs, 3 GiB: cpu alone 8 x mem = 96 (32 GiB); memory alone 3 x cpu = 30 (6 vCPUs, keeps cpu too):
    # the least bound is a mix both keep, so it is the most: exact 30
    b = most_within([cpu_t, mem_t], cpu=8, memory_mib=3072)
    assert (b.value, b.exact, b.limit) == (30, True, "memory")
    assert brute((cpu_t, mem_t), 8, 3072, None) == 30
    # 8 vCPUs, 8 GiB: cpu alone 96, memory alone 8 x cpu = 80 (16 vCPUs: breaks cpu). The mixes that keep
    # both, 2x + y <= 8 vCPUs and x + 4y <= 8 GiB: x = 3, y = 1 takes the most, 42
    b = most_within([cpu_t, mem_t], cpu=8, memory_mib=8192)
    assert (b.value, b.exact, b.mix, b.limit) == (42, True, (("cpu", 3), ("mem", 1)), "cpu+memory")
    assert brute((cpu_t, mem_t), 8, 8192, None) == 42
    # 4 vCPUs, 6 GiB: cpu alone 4 x mem = 48 (16 GiB), memory alone 6 x cpu = 60 (12 vCPUs); together
    # 1 x mem + 1 x cpu = 22
    b = most_within([cpu_t, mem_t], cpu=4, memory_mib=6144)
    assert (b.value, b.exact) == (22, True) and brute((cpu_t, mem_t), 4, 6144, None) == 22
    # past the search budget: the relaxation of both limits together, said to be only a bound: 2x + y = 4 and
    # x + 4y = 6 meet at x = 10/7, y = 8/7: 100/7 + 96/7 = 28 (each limit alone: 48 and 60)
    budget = pool_capacity._JOINT_BUDGET
    try:
        pool_capacity._JOINT_BUDGET = 1
        b = most_within([cpu_t, mem_t], cpu=4, memory_mib=6144)
    finally:
        pool_capacity._JOINT_BUDGET = budget
    assert (b.value, b.exact) == (28, False)


def test_cpu_and_a_node_count_together(monkeypatch):
    # 1000 vCPUs and 100 nodes (a surge of 100 nodes within limits.cpu 1000): small 2 vCPUs worth 80, big 64
    # worth 1024. By the number of big nodes y, the small ones x = min(100 - y, (1000 - 64y) // 2):
    # y = 12: x = 88, 7040 + 12288 = 19328; y = 13: x = 84, 6720 + 13312 = 20032 (1000 vCPUs, 97 nodes);
    # y = 14: x = 52, 4160 + 14336 = 18496. The most: 20032
    small, big = Item("small", 80, 2), Item("big", 1024, 64)
    b = most_within([small, big], cpu=1000, nodes=100)
    assert (b.value, b.exact, b.mix) == (20032, True, (("small", 84), ("big", 13)))
    # each alone: cpu 500 x 80 = 40000 (or 15 x 1024 + 20 x 80 = 16960 ...), nodes 100 x 1024; together, the
    # relaxation: x + y = 100 and 2x + 64y = 1000 meet at x = 5400/62, y = 800/62: 20180.6, rounded down
    monkeypatch.setattr(pool_capacity, "_JOINT_BUDGET", 1)
    b = most_within([small, big], cpu=1000, nodes=100)
    assert (b.value, b.exact) == (20180, False)


def test_search_past_its_budget_ends_at_the_relaxation_bound(monkeypatch):
    items = [Item("a", 10, None, 3), Item("b", 17, None, 5), Item("c", 23, None, 7)]
    exact = most_within(items, memory_mib=1000)
    monkeypatch.setattr(pool_capacity, "_SEARCH_BUDGET", 1)
    b = most_within(items, memory_mib=1000)
    # the relaxation: 1000 x the best value per MiB (17 / 5 = 3.4), rounded down
    assert (b.value, b.exact, b.mix) == (3400, False, ()) and b.value >= exact.value
    monkeypatch.setattr(pool_capacity, "_TABLE_BUDGET", 0)
    cpu_items = [Item("a", 10, 3), Item("b", 17, 5)]
    assert most_within(cpu_items, cpu=1000) == pool_capacity.Bound(3400, "cpu", (), exact=False)


def test_table_equals_a_plain_knapsack_over_the_documented_example_types():
    """aws/karpenter-provider-aws examples/v1/100-cpu-limit.yaml's candidates (c, m, r, generation > 2, amd64):
    the pigeonhole-bounded table against a plain unbounded knapsack over every vCPU up to the limit."""
    from podcap.engine.karpenter import parse_requirements, select_types

    reqs, problems = parse_requirements([
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m", "r"]},
        {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["2"]}], "p")
    sel = select_types(reqs, SNAP, "p")
    assert not problems and sel.unknown is None
    items = [Item(n, SNAP.get(n).enis * SNAP.get(n).ipv4_per_eni, SNAP.get(n).vcpus) for n in sel.types]
    for cpu in (1, 7, 100, 333, 1000):
        plain = [0] * (cpu + 1)
        for c in range(1, cpu + 1):
            plain[c] = max([plain[c - 1]] + [plain[c - i.vcpus] + i.value for i in items if i.vcpus <= c])
        assert most_within(items, cpu=cpu).value == plain[cpu]


# -- end to end: a spec's subnets and a NodePool, through the CLI's JSON ----------------------------------

SPEC = """
version: 1
name: demo
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, cidr: 10.0.0.0/22, az: us-east-1a, tags: {karpenter.sh/discovery: demo}}
  - {name: b, cidr: 10.0.4.0/22, az: us-east-1b, tags: {karpenter.sh/discovery: demo}}
  - {name: cp, cidr: 10.0.9.0/24, az: us-east-1a}
cluster: {subnets: [cp]}
"""
POOL = """
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: web}
spec:
  template:
    spec:
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge, m5.2xlarge]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: web}
  limits: {cpu: 64}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: web}
spec:
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
"""


def _cli(tmp_path, pool: str, spec: str = SPEC) -> tuple[int, dict]:
    (tmp_path / "spec.yaml").write_text(spec)
    (tmp_path / "pool.yaml").write_text(pool)
    done = subprocess.run([sys.executable, "-m", "podcap", "check", str(tmp_path / "spec.yaml"),
                           str(tmp_path / "pool.yaml"), "--format", "json"], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_cpu_limited_pool_end_to_end(tmp_path):
    code, report = _cli(tmp_path, POOL)
    ng = next(n for n in report["nodegroups"] if n["name"] == "web")
    # node bound 64 / 2 (m5.large) = 32 nodes; the largest node m5.xlarge / m5.2xlarge: 60 addresses
    assert (ng["max_size"], ng["addresses_per_node"]) == (32, 60)
    # together: 64 vCPUs of m5.large (15 per vCPU; m5.xlarge 15, m5.2xlarge 7.5): 32 x 30 = 960, not 32 x 60
    assert ng["limit_bound"] == {"limits": "limits.cpu 64", "addresses": 960, "prefixes": 0, "exact": True,
                                 "mix": [{"instance_type": "m5.large", "nodes": 32}]}
    at = {s["subnet"]: s["at_max"] for s in report["subnets"]}
    assert at["a"] == at["b"] == 960  # each AZ may get all of them (Karpenter does not balance zones)
    rules = {(f["rule_id"], f["resource"]) for f in report["findings"]}
    assert not {r for r in rules if r[0] == "PC201"}  # 960 <= 1019
    # PC202: the default budget replaces 10% of 32 (rounded up: 4) at once; nodes marked for disruption no
    # longer count against the limit, so beside the 960 the four old ones hold up to 4 x 60: 1200 > 1019
    surge = [f for f in report["findings"] if f["rule_id"] == "PC202"]
    assert {f["resource"] for f in surge} == {"a", "b"} and {f["data"]["need"] for f in surge} == {1200}
    assert code == 0  # warnings only


def test_cpu_limited_pool_over_its_subnet_names_the_limit_that_fits(tmp_path):
    small = SPEC.replace("10.0.0.0/22", "10.0.0.0/24").replace("10.0.4.0/22", "10.0.1.0/24")
    code, report = _cli(tmp_path, POOL, small)
    assert code == 1
    f = next(f for f in report["findings"] if f["rule_id"] == "PC201" and f["resource"] == "a")
    assert f["data"]["at_max"] == 960 and f["data"]["usable"] == 251
    assert "limits.cpu 64: at most 960 addresses for all its nodes (32 x m5.large)" in f["message"]
    # 251 usable: 16 vCPUs hold 8 x m5.large = 240 (17 vCPUs add no node: 240; 18 would be 270 > 251)
    assert "lower limits.cpu to 17 (its nodes then take at most 240 addresses here)" in f["fix"]


def test_a_type_larger_than_the_limit_is_left_out(tmp_path):
    _, report = _cli(tmp_path, POOL.replace("limits: {cpu: 64}", "limits: {cpu: 6}"))
    ng = next(n for n in report["nodegroups"] if n["name"] == "web")
    # m5.2xlarge's 8 vCPUs exceed the limit alone: never launched
    assert sorted(ng["instance_types"]) == ["m5.large", "m5.xlarge"]
    assert any("1 candidate type(s) larger than limits.cpu 6 left out (m5.2xlarge)" in n for n in report["notes"])
    # 6 vCPUs: 3 x 30 = 90, or m5.xlarge + m5.large = 90: the 3 nodes' bound is 3 x 60 = 180
    assert ng["limit_bound"]["addresses"] == 90


@pytest.mark.parametrize("limits, addresses", [("limits: {cpu: 64, nodes: 5}", None), ("limits: {nodes: 5}", None)])
def test_a_node_count_bound_alone_is_nodes_x_the_largest(tmp_path, limits, addresses):
    # limits.nodes 5 with cpu 64: 5 x m5.xlarge (20 vCPUs) = 300 = 5 nodes x 60: no lower bound to show
    _, report = _cli(tmp_path, POOL.replace("limits: {cpu: 64}", limits))
    ng = next(n for n in report["nodegroups"] if n["name"] == "web")
    assert ng["max_size"] == 5 and ng["limit_bound"] is addresses
    assert {s["subnet"]: s["at_max"] for s in report["subnets"]}["a"] == 300


def test_a_pool_that_does_not_balance_zones_is_held_to_what_one_subnet_holds(tmp_path):
    # limits.nodes 20 of m5.large (30 addresses each) over two /24s in two AZs: Karpenter may put all 20 in
    # one AZ, 600 > 251. The subnet holds 251 // 30 = 8 nodes; with no zone balancing all 8 may be in this
    # AZ, so the pool must be held to 8 nodes, not 8 x 2 AZs = 16 (16 in one AZ: 480 > 251)
    small = SPEC.replace("10.0.0.0/22", "10.0.0.0/24").replace("10.0.4.0/22", "10.0.1.0/24")
    pool = POOL.replace("limits: {cpu: 64}", "limits: {nodes: 20}").replace(
        "values: [m5.large, m5.xlarge, m5.2xlarge]", "values: [m5.large]")
    code, report = _cli(tmp_path, pool, small)
    assert code == 1
    f = next(f for f in report["findings"] if f["rule_id"] == "PC201" and f["resource"] == "a")
    assert f["data"]["at_max"] == 600
    assert "or hold web to 8 nodes (NodePool limits.nodes" in f["fix"] and "16" not in f["fix"]
