"""PC204/PC205: prefix delegation counted in free aligned /28 blocks, with the arithmetic written out.

m5.large with prefix delegation and kubelet max-pods 110: 108 address-taking pods need 7 prefixes
(ipamd stops at 7 x 16 = 112 >= 110 addresses), all on the primary ENI (9 slots): 7 blocks + 1 single
address (the ENI's primary) per node = 113 addresses.
An empty /N subnet: AWS's five reserved addresses (.0-.3 and the last) spoil the first and last /28,
so it has 2^(32-N)/16 - 2 free /28s and 12 + 15 = 27 loose addresses in those two.
"""
from __future__ import annotations

import json

from podcap.check import CheckOptions, check_plan
from podcap.cli import main
from podcap.limits import load_snapshot
from podcap.model.plan import CidrReservation, Cluster, NodeGroup, Plan, Subnet, Vpc
from podcap.rules.prefix_blocks import reservation_for, smallest_subnet_for

SNAP = load_snapshot()
PD = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}


def pd_plan(cidr: str, nodes: int, *, cluster_subnets=("a",), **subnet_kw) -> Plan:
    p = Plan(source="test.yaml", kind="spec")
    p.vpcs["vpc"] = Vpc("vpc", ["10.0.0.0/16"])
    p.subnets["a"] = Subnet("a", cidr, "us-east-1a", vpc="vpc", **subnet_kw)
    p.clusters["c"] = Cluster("c", name="c", subnets=list(cluster_subnets), cni_env=dict(PD))
    p.nodegroups.append(NodeGroup("ng", cluster="c", instance_types=["m5.large"], subnets=["a"],
                                  min_size=nodes, desired_size=nodes, max_size=nodes, kubelet_max_pods=110))
    return p


def run(p: Plan):
    r = check_plan(p, CheckOptions(paths=[]), SNAP)
    return r, {f.rule_id: f for f in r.findings}


def test_not_enough_blocks_though_addresses_suffice():
    # /25: 128 - 5 = 123 usable >= 113 + 4 control-plane ENIs = 117, so PC201 is silent,
    # but 128/16 - 2 = 6 free /28s < 7 prefixes: the 7th prefix fails with InsufficientCidrBlocks.
    r, f = run(pd_plan("10.0.0.0/25", 1))
    assert "PC201" not in f
    e = f["PC204"]
    assert e.severity.value == "error"
    assert (e.data["prefix_blocks_needed"], e.data["blocks_left"], e.data["single_addresses"]) == (7, 6, 5)
    # a /24 has 14 free /28s and 27 loose addresses for the 5 singles
    assert e.data["suggested_prefix_length"] == 24 and "/24" in e.fix
    assert "needs 7 free aligned /28 blocks" in e.message and "6 /28 blocks" in e.message
    assert r.exit_code() == 1
    usage = {u.subnet: u for u in r.subnets}["a"]
    assert (usage.usable, usage.at_max, usage.free_prefix_blocks, usage.prefix_blocks_at_max) == (123, 117, 6, 7)


def test_worst_placement_warns_and_suggests_reservation():
    # /24: 14 free /28s. 2 nodes need 14 prefixes and 2 + 4 = 6 single addresses.
    # Best case the singles sit in the 27 loose addresses: 14 >= 14, no error.
    # Worst case each single breaks a free /28: 14 - 6 = 8 < 14 -> PC205.
    r, f = run(pd_plan("10.0.0.0/24", 2))
    assert "PC204" not in f and "PC201" not in f
    w = f["PC205"]
    assert w.severity.value == "warning"
    assert (w.data["prefix_blocks_needed"], w.data["blocks_left"], w.data["single_addresses"]) == (14, 8, 6)
    # reserve blocks 1..14 (10.0.0.16 - 10.0.0.239), as few aligned CIDRs as possible
    assert "10.0.0.16/28, 10.0.0.32/27, 10.0.0.64/26, 10.0.0.128/26, 10.0.0.192/27, 10.0.0.224/28" in w.fix
    # 251 usable - 14 x 16 = 27 addresses stay outside for the 6 singles
    assert "leaving 27 addresses outside" in w.fix
    # worst case in an empty /23: 30 free /28s - 6 = 24 >= 14
    assert "use a /23" in w.fix
    assert r.exit_code() == 0 and r.exit_code(strict=True) == 1


def test_prefix_reservation_removes_the_risk():
    # the same /24 with 10.0.0.16/28 ... 10.0.0.224/28 reserved for prefixes: 14 blocks kept, the singles
    # must go to the 27 loose addresses outside the reservation
    res = [CidrReservation(c, "prefix") for c in
           ("10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28")]
    r, f = run(pd_plan("10.0.0.0/24", 2, reservations=res))
    assert not {"PC201", "PC204", "PC205"} & set(f)
    assert {u.subnet: u for u in r.subnets}["a"].free_prefix_blocks == 14


def test_fragmented_live_subnet():
    # one in-use address in each of the 14 inner /28s of a /24 (as DescribeNetworkInterfaces shows):
    # 251 - 14 = 237 free addresses but 0 free /28s; one node needs 7 prefixes.
    used = [f"10.0.0.{16 * i + 5}" for i in range(1, 15)]
    _r, f = run(pd_plan("10.0.0.0/24", 1, used_ips=used, used_addresses=14, defined_in_plan=False))
    assert "PC201" not in f  # 117 <= 237
    e = f["PC204"]
    assert e.data["fragmented"] is True and e.data["free_blocks"] == 0 and e.data["blocks_left"] == 0
    assert "237 free addresses but only 0 free aligned /28 blocks" in e.message
    # 7 blocks = 112 addresses: one aligned reservation of a /25 in a new subnet
    assert reservation_for(7) == 25 and "prefix CIDR reservation of a /25" in e.fix


def test_in_use_count_without_positions_is_packed_best_case():
    # /24 with 40 addresses in use (count only): loose 27, so 6 singles + 40 in use break
    # ceil((46 - 27) / 16) = 2 free /28s at best: 14 - 2 = 12 < 14 needed by 2 nodes -> PC204
    r, f = run(pd_plan("10.0.0.0/24", 2, used_addresses=40))
    e = f["PC204"]
    assert (e.data["prefix_blocks_needed"], e.data["blocks_left"]) == (14, 12)
    # before this plan's own singles: 40 in use break ceil((40 - 27) / 16) = 1 block -> 13 free
    assert {u.subnet: u for u in r.subnets}["a"].free_prefix_blocks == 13


def test_secondary_ip_mode_has_no_block_rules():
    p = pd_plan("10.0.0.0/25", 1)
    p.clusters["c"].cni_env = {}
    r, f = run(p)
    assert not {"PC204", "PC205"} & set(f)
    assert {u.subnet: u for u in r.subnets}["a"].prefix_blocks_at_max == 0


def test_smallest_subnet_figures():
    # empty /28 and /27 have no free /28 (both blocks spoiled); /26: 2; /25: 6; /24: 14
    assert smallest_subnet_for(1, 0) == 26
    assert smallest_subnet_for(6, 27) == 25
    assert smallest_subnet_for(6, 28) == 24  # the 28th single breaks a block
    assert smallest_subnet_for(14, 6, worst=True) == 23


def test_json_report_carries_block_figures(tmp_path, capsys):
    spec = tmp_path / "pd.yaml"
    spec.write_text(
        "version: 1\nname: pd\nvpc: {cidr: 10.0.0.0/16}\n"
        "subnets:\n  - {name: a, az: us-east-1a, cidr: 10.0.0.0/25}\n"
        "cluster:\n  cni:\n    env: {ENABLE_PREFIX_DELEGATION: 'true'}\n"
        "nodegroups:\n  - {name: ng, instance_types: [m5.large], subnets: [a], min: 1, max: 1, kubelet_max_pods: 110}\n")
    assert main(["check", str(spec), "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)
    sub = d["subnets"][0]
    assert (sub["free_prefix_blocks"], sub["prefix_blocks_at_max"]) == (6, 7)
    assert sub["nodegroups"] == ["ng"]
    assert "PC204" in {x["rule_id"] for x in d["findings"]}


def test_usable_counts_each_address_once():
    # /24 as read from AWS: .10-.19 in use (AvailableIpAddressCount = 256 - 5 - 10 = 241), explicit
    # reservations 10.0.0.0/28 (overlaps AWS's .0-.3 and the in-use .10-.15) and 10.0.0.128/27, and a
    # prefix reservation 10.0.0.128/26 that contains the /27.
    # Taken: .0-.19 (20) + .128-.159 (32) + .255 (1) = 53 -> 203 usable. Free inside the prefix
    # reservation: .160-.191 = 32, which single secondary IPs cannot use -> 171 without prefix delegation.
    res = [CidrReservation("10.0.0.0/28", "explicit"), CidrReservation("10.0.0.128/27", "explicit"),
           CidrReservation("10.0.0.128/26", "prefix")]
    used = [f"10.0.0.{i}" for i in range(10, 20)]
    p = pd_plan("10.0.0.0/24", 1, used_ips=used, used_addresses=10, reservations=res, defined_in_plan=False)
    r, _ = run(p)
    assert {u.subnet: u for u in r.subnets}["a"].usable == 203  # prefix delegation uses the reserved /28s
    # free /28s: .32-.127 (6) and .192-.239 (3; .240/28 holds the reserved .255) outside reservations,
    # + .160-.191 (2) inside the prefix reservation = 11
    assert {u.subnet: u for u in r.subnets}["a"].free_prefix_blocks == 11
    p = pd_plan("10.0.0.0/24", 1, used_ips=used, used_addresses=10, reservations=res, defined_in_plan=False)
    p.clusters["c"].cni_env = {}
    r, _ = run(p)
    assert {u.subnet: u for u in r.subnets}["a"].usable == 171
