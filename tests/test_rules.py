"""Rules on hand-built plans, with the arithmetic written out. m5.large full node = 3 ENIs x (1 + 9) = 30."""
from __future__ import annotations

from podcap.analysis import analyse
from podcap.check import CheckOptions, check_plan
from podcap.limits import load_snapshot
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet, SubnetRole, Vpc
from podcap.model.unknown import Unknown
from podcap.rules import REGISTRY, rules_markdown

SNAP = load_snapshot()


def plan(cidrs=("10.0.0.0/26", "10.0.0.64/26"), *, env=None, eni_configs=None, extra_subnets=(), **ng) -> Plan:
    p = Plan(source="test.yaml", kind="spec")
    p.vpcs["vpc"] = Vpc("vpc", ["10.0.0.0/16", "100.64.0.0/16"])
    for i, c in enumerate(cidrs):
        sid = "ab"[i]
        p.subnets[sid] = Subnet(sid, c, f"us-east-1{sid}", vpc="vpc")
    for s in extra_subnets:
        p.subnets[s.id] = s
    p.clusters["c"] = Cluster("c", name="c", subnets=["a", "b"], cni_env=env, eni_configs=eni_configs or {})
    kw = {"instance_types": ["m5.large"], "subnets": ["a", "b"], "min_size": 3, "desired_size": 6, "max_size": 12, "cluster": "c"}
    kw.update(ng)
    p.nodegroups.append(NodeGroup("ng", **kw))
    return p


def run(p: Plan):
    r = check_plan(p, CheckOptions(paths=[]), SNAP)
    return r, {f.rule_id for f in r.findings if f.suppressed is None}


def by_rule(r, rid):
    return [f for f in r.findings if f.rule_id == rid]


def test_subnet_exhausted_at_max():
    # 12 nodes over 2 AZs -> 6 per /26 subnet x 30 = 180, + ceil(4 control-plane ENIs / 2) = 2 -> 182
    # a /26 keeps 64 - 5 = 59 usable -> exhausted. min 3 -> 2 per subnet -> 62; desired 6 -> 3 -> 92
    r, ids = run(plan())
    assert "PC201" in ids
    f = next(f for f in by_rule(r, "PC201") if f.resource == "a")
    assert f.data["at_max"] == 182 and f.data["usable"] == 59
    assert (f.data["at_min"], f.data["at_desired"]) == (62, 92)
    # a /24 (251 usable) is the smallest that holds 182; one node per subnet fits ((59 - 2) // 30 = 1 -> max 2),
    # but min size 3 puts ceil(3 / 2) = 2 nodes here: 2 x 30 + 2 = 62 > 59, so no max size fits; a /25
    # (128 - 5 = 123 usable) holds the min size
    assert f.data["suggested_prefix_length"] == 24
    assert "/24 (251 usable)" in f.fix and "max size to 2" not in f.fix
    assert "min size 3 does not fit" in f.fix and "/25 (123 usable) holds the min size" in f.fix
    assert "10.0.0.0/26" in f.message and "182" in f.message and "59 usable" in f.message
    assert r.exit_code() == 1
    usage = {u.subnet: u for u in r.subnets}
    assert (usage["a"].at_min, usage["a"].at_desired, usage["a"].at_max, usage["a"].usable) == (62, 92, 182, 59)


def test_large_subnets_pass():
    # /22: 1024 - 5 = 1019 usable; max 182; surge max(2 x 2 AZs, 1) = 4 -> 6 + 2 = 8 per AZ -> 242; lost AZ: 12 -> 362
    r, ids = run(plan(("10.0.0.0/22", "10.0.4.0/22")))
    assert not ids & {"PC201", "PC202", "PC203"}
    assert r.exit_code() == 0


def test_surge_and_lost_az():
    # /24: 251 usable. max 14 -> 7 per subnet -> 210 + 2 = 212 fits.
    # update surge: max(2 x 2, 1) = 4 nodes -> 7 + 2 = 9 per AZ -> 270 + 2 = 272 > 251 -> PC202
    # one AZ lost: ceil(14 / 1) = 14 nodes -> 420 + 2 = 422 > 251 -> PC203
    r, ids = run(plan(("10.0.0.0/24", "10.0.1.0/24"), max_size=14))
    assert "PC201" not in ids
    surge = by_rule(r, "PC202")
    assert surge and surge[0].data["need"] == 272 and surge[0].data["surge"] == 4
    lost = by_rule(r, "PC203")
    assert lost and lost[0].data["need"] == 422
    assert r.exit_code() == 0 and r.exit_code(strict=True) == 1


def test_surge_uses_max_unavailable_when_larger():
    # maxUnavailable 10 > 2 x 2 AZs -> surge 10 -> 7 + 5 = 12 per AZ -> 362
    r, _ = run(plan(("10.0.0.0/24", "10.0.1.0/24"), max_size=14, max_unavailable=10))
    assert by_rule(r, "PC202")[0].data == {"surge": 10, "nodegroup": "ng", "nodes": 12, "need": 362, "usable": 251,
                                           "nodes_by_nodegroup": {"ng": 12}}


def test_pods_per_node_rules():
    # PC101: 40 address-taking pods, an m5.large runs 29 - 2 = 27
    r, ids = run(plan(("10.0.0.0/20", "10.0.16.0/20"), pods_per_node=40))
    f = by_rule(r, "PC101")[0]
    assert (f.data["requested_pods"], f.data["capacity_pods"]) == (40, 27)
    # PC102: kubelet max-pods 110 with secondary IPs: capacity 29
    r, ids = run(plan(("10.0.0.0/20", "10.0.16.0/20"), kubelet_max_pods=110))
    assert "PC102" in ids and by_rule(r, "PC102")[0].data["network_max_pods"] == 29
    # PC103: prefix delegation but a self-managed node keeps the AMI default 29 (29 x 2 <= 110 recommended)
    r, ids = run(plan(("10.0.0.0/20", "10.0.16.0/20"), env={"ENABLE_PREFIX_DELEGATION": "true"}, self_managed=True))
    assert "PC103" in ids and by_rule(r, "PC103")[0].data["recommended_max_pods"] == 110
    # a managed node group (no custom AMI) gets EKS's figure instead: min(3 x 9 x 16 + 2 = 434, 110) = 110
    r, ids = run(plan(("10.0.0.0/20", "10.0.16.0/20"), env={"ENABLE_PREFIX_DELEGATION": "true"}))
    assert "PC103" not in ids and r.nodegroups[0].max_pods == 110
    # with max-pods raised, no PC103: 110 pods -> 108 address pods: 7 prefixes + 1 primary = 113 per node
    r, ids = run(plan(("10.0.0.0/20", "10.0.16.0/20"), env={"ENABLE_PREFIX_DELEGATION": "true"}, kubelet_max_pods=110))
    assert "PC103" not in ids
    assert r.nodegroups[0].addresses_per_node == 113


def test_mixed_types_smallest_wins():
    # t3.medium runs 17 - 2 = 15, m5.large 27: 20 pods requested fails on the t3.medium
    r, _ = run(plan(("10.0.0.0/20", "10.0.16.0/20"), instance_types=["m5.large", "t3.medium"], pods_per_node=20))
    f = by_rule(r, "PC101")[0]
    assert f.data["instance_type"] == "t3.medium" and f.data["capacity_pods"] == 15
    assert "m5.large" in f.fix


def test_custom_networking_rules():
    pods_a = Subnet("pa", "100.64.0.0/26", "us-east-1a", vpc="vpc")
    env = {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}
    r, _ids = run(plan(("10.0.0.0/24", "10.0.1.0/24"), env=env, eni_configs={"us-east-1a": "pa"},
                      extra_subnets=[pods_a]))
    # PC301: us-east-1b has nodes but no ENIConfig
    assert [f.data["az"] for f in by_rule(r, "PC301")] == ["us-east-1b"]
    # PC302: full m5.large under custom networking: 2 pod ENIs x (1 + 9) = 20 pod-subnet addresses;
    # 6 nodes in us-east-1a at max -> 120 > 59 usable in the /26
    f = by_rule(r, "PC302")[0]
    assert f.resource == "pa" and f.data["at_max"] == 120 and f.data["usable"] == 59
    # node subnets: 6 nodes x 1 address + 2 control plane = 8
    usage = {u.subnet: u for u in r.subnets}
    assert usage["a"].at_max == 8


def test_unknown_type_and_unresolved_values():
    r, _ = run(plan(instance_types=["m5.larg"]))
    f = by_rule(r, "PC002")[0]
    assert "m5.large" in f.data["suggestions"]
    p = plan()
    p.subnets["a"].cidr = Unknown("known only after apply", "aws_subnet.a.cidr_block")
    r, _ids = run(p)
    assert any("known only after apply" in f.message for f in by_rule(r, "PC001"))
    # the other subnet is still judged
    assert [f.resource for f in by_rule(r, "PC201")] == ["b"]
    assert r.exit_code() == 1


def test_unknown_subnets_fail_closed():
    r, ids = run(plan(subnets=Unknown("Fn::ImportValue of an export not in this template", "Subnets")))
    assert "PC001" in ids and r.exit_code(strict=True) == 1


def test_layout_rules():
    extra = [Subnet("x", "10.0.0.32/27", "us-east-1a", vpc="vpc"),  # overlaps a (10.0.0.0/26)
             Subnet("y", "192.168.0.0/24", "us-east-1a", vpc="vpc"),  # outside the VPC
             Subnet("z", "10.0.9.0/29", "us-east-1a", vpc="vpc")]  # smaller than /28
    r, _ids = run(plan(("10.0.0.0/26", "10.0.4.0/22"), extra_subnets=extra, max_size=1, min_size=1, desired_size=1))
    assert [f.resource for f in by_rule(r, "PC501")] == ["x"]
    assert [f.resource for f in by_rule(r, "PC502")] == ["y"]
    assert [f.resource for f in by_rule(r, "PC503")] == ["z"]


def test_warm_pool_waste_and_starvation():
    # 5 pods per m5.large with WARM_ENI_TARGET=1: 2 ENIs, 18 held, 13 warm (>= half of 18);
    # WARM_IP_TARGET=2 + MINIMUM_IP_TARGET=5: max(5 + 2, 5) = 7 secondaries -> 8 instead of 20 per node
    r, ids = run(plan(("10.0.0.0/22", "10.0.4.0/22"), pods_per_node=5))
    f = by_rule(r, "PC401")[0]
    assert (f.data["warm_per_node"], f.data["warm_at_max"], f.data["suggested_addresses_per_node"]) == (13, 156, 8)
    # MINIMUM_IP_TARGET without WARM_IP_TARGET: pods beyond 10 get no address
    r, ids = run(plan(("10.0.0.0/22", "10.0.4.0/22"), pods_per_node=15, env={"MINIMUM_IP_TARGET": "10"}))
    assert by_rule(r, "PC104")[0].data["starved_pods"] == 5
    assert "PC003" in ids


def test_ignored_setting_warning():
    r, ids = run(plan(("10.0.0.0/22", "10.0.4.0/22"), env={"WARM_IP_TARGET": "abc"}))
    assert "PC003" in ids and "abc" in by_rule(r, "PC003")[0].message


def test_rule_registry_and_docs(tmp_path):
    assert list(REGISTRY) == sorted(REGISTRY)
    for r in REGISTRY.values():
        assert r.id.startswith("PC") and r.title and r.description and r.fix
    md = rules_markdown()
    for rid in REGISTRY:
        assert f"## {rid}" in md


def test_docs_rules_md_is_generated():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    assert path.read_text() == rules_markdown(), "regenerate: podcap rules --format markdown -o docs/rules.md"


def test_analysis_spreads_nodes_by_az():
    # 5 nodes over 2 AZs: an AZ gets at most ceil(5 / 2) = 3
    a = analyse(plan(max_size=5, desired_size=4), SNAP)
    c = a.subnets["a"].contributions["max"][0]
    assert (c.nodes, c.per_node, c.addresses) == (3, 30, 90)


def test_overlap_sweep_equals_all_pairs():
    """PC501 sweeps subnets in address order; it must find exactly the pairs an all-pairs check finds."""
    import ipaddress
    from itertools import combinations

    from hypothesis import given, settings
    from hypothesis import strategies as st
    from podcap.analysis import analyse
    from podcap.rules.subnet_layout import check_overlap

    subnet = st.tuples(st.integers(22, 28), st.integers(0, 0xFFFF), st.sampled_from(["v1", "v2", None]))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(subnet, max_size=12))
    def prop(specs):
        p = Plan(source="x", kind="spec")
        for i, (plen, bits, vpc) in enumerate(specs):
            net = ipaddress.IPv4Network((0x0A000000 | (bits & ~((1 << (32 - plen)) - 1)), plen))
            p.subnets[f"s{i}"] = Subnet(f"s{i}", str(net), "az", vpc=vpc)
        a = analyse(p, SNAP)
        got = [(f.data["other"], f.resource) for f in check_overlap(a)]
        items = list(a.subnets.items())
        want = [(ia, ib) for (ia, sa), (ib, sb) in combinations(items, 2)
                if sa.subnet.vpc == sb.subnet.vpc and sa.network.overlaps(sb.network)]
        assert got == want

    prop()


def three_az_plan(cidrs, **ng) -> Plan:
    p = Plan(source="test.yaml", kind="spec")
    p.vpcs["vpc"] = Vpc("vpc", ["10.0.0.0/16"])
    for sid, c in zip("abc", cidrs):
        p.subnets[sid] = Subnet(sid, c, f"us-east-1{sid}", vpc="vpc")
    p.clusters["c"] = Cluster("c", name="c", subnets=list("abc"))
    kw = {"instance_types": ["m5.large"], "subnets": list("abc"), "min_size": 3, "desired_size": 3, "cluster": "c"}
    kw.update(ng)
    p.nodegroups.append(NodeGroup("ng", **kw))
    return p


def test_surge_spreads_the_whole_group():
    # max 31 over 3 AZs, maxUnavailable 17 > 2 x 3: the group grows to 48, balanced: ceil(48 / 3) = 16 per AZ
    # (not ceil(31 / 3) + ceil(17 / 3) = 17): 16 x 30 + ceil(4 / 3) = 482 <= 507 usable in a /23 -> no PC202
    r, ids = run(three_az_plan(("10.0.0.0/23", "10.0.2.0/23", "10.0.4.0/23"), max_size=31, max_unavailable=17))
    assert "PC202" not in ids and "PC201" not in ids
    # maxUnavailable 20: 51 -> 17 per AZ -> 512 > 507
    r, ids = run(three_az_plan(("10.0.0.0/23", "10.0.2.0/23", "10.0.4.0/23"), max_size=31, max_unavailable=20))
    assert {f.data["need"] for f in by_rule(r, "PC202")} == {17 * 30 + 2}


def test_lost_az_moves_every_node_group_at_once():
    # two node groups of max 5 share two /24s: at max each AZ holds 3 + 3 nodes -> 182; AZ a lost: b holds
    # 5 + 5 = 10 nodes -> 300 + 2 = 302 > 251 -> PC203 (one group at a time would say 5 + 3 = 8 -> 242)
    p = plan(("10.0.0.0/24", "10.0.1.0/24"), min_size=1, desired_size=2, max_size=5)
    p.nodegroups.append(NodeGroup("ng2", instance_types=["m5.large"], subnets=["a", "b"], min_size=1,
                                  desired_size=2, max_size=5, cluster="c"))
    r, ids = run(p)
    assert "PC201" not in ids
    found = {f.resource: f for f in by_rule(r, "PC203")}
    assert set(found) == {"a", "b"}
    assert found["b"].data["need"] == 302 and found["b"].data["nodes_by_nodegroup"] == {"ng": 5, "ng2": 5}


def test_surge_and_lost_az_reach_pod_subnets():
    # custom networking, kubelet max-pods 20: each m5.large takes 20 pod-subnet addresses (2 ENIs x 10).
    # max 20 over 2 AZs -> 10 per AZ -> 200 in each /24 pod subnet (251 usable).
    # update: maxUnavailable 6 -> ceil(26 / 2) = 13 -> 260 > 251 (PC202); lost AZ: 20 -> 400 (PC203)
    pods = [Subnet("pa", "100.64.0.0/24", "us-east-1a", vpc="vpc", role=SubnetRole.PODS),
            Subnet("pb", "100.64.1.0/24", "us-east-1b", vpc="vpc", role=SubnetRole.PODS)]
    p = plan(("10.0.0.0/22", "10.0.4.0/22"), env={"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"},
             eni_configs={"us-east-1a": "pa", "us-east-1b": "pb"}, extra_subnets=pods,
             min_size=2, desired_size=2, max_size=20, max_unavailable=6, kubelet_max_pods=20)
    r, _ids = run(p)
    usage = {u.subnet: u for u in r.subnets}
    assert usage["pa"].at_max == 200
    assert {f.resource: f.data["need"] for f in by_rule(r, "PC202")} == {"pa": 260, "pb": 260}
    assert {f.resource: f.data["need"] for f in by_rule(r, "PC203")} == {"pa": 400, "pb": 400}


def test_invalid_scaling_and_unknown_control_plane_fail_closed():
    r, ids = run(plan(min_size=5, desired_size=9, max_size=3))
    assert "PC001" in ids and "invalid scaling config" in by_rule(r, "PC001")[0].message
    assert {u.subnet: u.at_max for u in r.subnets} == {"a": None, "b": None}
    # control-plane subnets unknown: reported, and the subnets' figures are unknown, not too low;
    # what is known may still not fit: 12 nodes over two /26s -> 6 x 30 = 180 > 59 at least -> PC201
    p = plan()
    p.clusters["c"].subnets = Unknown("Fn::If on an undecidable condition", "Cluster.ResourcesVpcConfig")
    r, ids = run(p)
    assert any(f.resource == "c" and "control-plane subnets" in f.message for f in by_rule(r, "PC001"))
    assert {u.subnet: u.at_max for u in r.subnets} == {"a": None, "b": None}
    f = next(f for f in by_rule(r, "PC201") if f.resource == "a")
    assert f.data["at_max"] is None and f.data["at_least"] == 180 and "at least 180" in f.message


def test_invalid_update_config_is_reported_not_defaulted():
    for bad in (0, -2, True, 101, 150):  # EKS API NodegroupUpdateConfig: "The maximum number is 100"
        r, ids = run(plan(("10.0.0.0/24", "10.0.1.0/24"), max_size=14, max_unavailable=bad))
        assert "PC202" not in ids
        assert any("invalid update maxUnavailable" in f.message for f in by_rule(r, "PC001"))
    r, _ = run(plan(("10.0.0.0/24", "10.0.1.0/24"), max_size=14, max_unavailable_percentage=150))
    assert any("maxUnavailablePercentage 150" in f.message for f in by_rule(r, "PC001"))


def test_pc201_fix_names_a_cheaper_warm_setting_per_group(tmp_path):
    """The PC201 fix's WARM_IP_TARGET=2 hint, worked out once per node group (not per subnet and group).

    One /25 (123 usable), control plane's 4 ENIs there. c5.4xlarge (8 ENIs x 30 IPv4, 16 vCPUs), managed:
    EKS writes 8 x 29 + 2 = 234 capped at 110; 108 pods. Defaults (WARM_ENI_TARGET=1): ipamd stops growing
    at 4 ENIs, 116 secondaries >= 110 max pods: 4 + 116 = 120 per node. WARM_IP_TARGET=2: 108 + 2 = 110
    secondaries on 4 ENIs: 4 + 110 = 114. m5.large at its 27 pods holds all 3 ENIs either way (30): no hint.
    Need: 2 x 120 + 30 + 4 = 274 > 123.
    """
    from podcap.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nname: hint\nvpc: {cidr: 10.0.0.0/16}\nsubnets:\n  - {name: a, az: us-east-1a, cidr: 10.0.0.0/25}\n"
        "nodegroups:\n  - {name: big, instance_types: [c5.4xlarge], subnets: [a], min: 1, desired: 1, max: 2}\n"
        "  - {name: small, instance_types: [m5.large], subnets: [a], min: 1, desired: 1, max: 1}\n")
    out = tmp_path / "r.json"
    assert main(["check", str(spec), "--format", "json", "-o", str(out)]) == 1
    import json

    (f,) = [f for f in json.loads(out.read_text())["findings"] if f["rule_id"] == "PC201"]
    assert "needs 274 addresses" in f["message"] and "over 1 subnet)" in f["message"]
    assert f["fix"].endswith("or WARM_IP_TARGET=2 takes 114 instead of 120 addresses per c5.4xlarge node of big")
