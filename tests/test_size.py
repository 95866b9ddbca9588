"""`podcap size`: three hand-computed cases, the CNI comparison, the VPC layout and bad input.

Figures: m5.large has 3 ENIs x 10 IPv4 addresses. Secondary-IP mode, WARM_ENI_TARGET=1: the AMI default
max pods is 3 x (10 - 1) + 2 = 29, so 27 address-taking pods per node (aws-node and kube-proxy use the
host network); at 27 pods ipamd has attached all 3 ENIs, each holding 9 secondary IPs: 3 primaries + 27
= 30 addresses per node (what `podcap node m5.large --pods 27` says). EKS puts up to 4 control-plane
ENIs in the cluster's subnets: ceil(4 / K) per subnet. AWS keeps 5 addresses of every subnet.
"""
from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.cli import main
from podcap.limits import load_snapshot
from podcap.sizing import SizeRequest, SizingError, prefix_for, size

SNAP = load_snapshot(None)


def run(capsys, *args: str) -> tuple[int, dict]:
    code = main(["size", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_case1_twelve_m5_large_over_two_azs(capsys):
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "12", "--azs", "2")
    assert code == 0
    # 12 nodes / 2 AZs = 6 per AZ; 6 x 30 = 180, + ceil(4 / 2) = 2 control-plane ENIs = 182 per AZ
    assert [z["addresses_at_max"] for z in doc["azs"]] == [182, 182]
    assert doc["azs"][0]["nodes_at_max"] == 6 and doc["azs"][0]["addresses_per_node"] == 30
    assert doc["azs"][0]["control_plane_enis"] == 2
    # a /25 holds 128 - 5 = 123 < 182; a /24 holds 256 - 5 = 251 >= 182
    assert doc["subnet_prefix_length"] == 24
    assert [z["subnet_prefix_length"] for z in doc["azs"]] == [24, 24]
    assert doc["azs"][0]["usable_addresses"] == 251
    assert doc["pods_per_node"] == 27 and doc["kubelet_max_pods"] == 29


def test_per_node_figure_is_what_podcap_node_says(capsys):
    assert main(["node", "m5.large", "--pods", "27", "--format", "json"]) == 0
    node = json.loads(capsys.readouterr().out)
    _, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "12", "--azs", "2")
    assert node["subnet_addresses"] == doc["azs"][0]["addresses_per_node"] == 30  # 3 primaries + 27 secondary


def test_case2_surge_and_lost_az_over_three_azs_with_a_layout(capsys):
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "12", "--azs", "3", "--surge",
                    "--survive-az-loss", "--vpc-cidr", "10.0.0.0/22")
    assert code == 0
    z = doc["azs"][0]
    # at max: 12 / 3 = 4 nodes x 30 + ceil(4 / 3) = 2 -> 122, which a /25 (123 usable) would hold
    assert (z["nodes_at_max"], z["addresses_at_max"]) == (4, 122)
    # surge without a value: EKS's max(2 x 3 AZs, maxUnavailable 1) = 6 -> ceil((12 + 6) / 3) = 6 nodes
    # x 30 + 2 = 182
    assert (z["surge_nodes"], z["addresses_during_surge"]) == (6, 182)
    # an AZ lost: ceil(12 / (3 - 1)) = 6 nodes in each remaining AZ x 30 + 2 = 182
    assert (z["nodes_after_az_loss"], z["addresses_after_az_loss"]) == (6, 182)
    # 182 > 123 -> /24 (251)
    assert z["addresses_needed"] == 182 and doc["subnet_prefix_length"] == 24
    # three /24s laid out from the start of 10.0.0.0/22, aligned and disjoint
    cidrs = [a["cidr"] for a in doc["azs"]]
    assert cidrs == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    nets = [ipaddress.ip_network(c) for c in cidrs]
    assert all(n.subnet_of(ipaddress.ip_network("10.0.0.0/22")) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_case3_prefix_delegation_blocks_and_reservations(capsys):
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "2", "--azs", "2", "--pods-per-node", "8",
                    "--prefix-delegation", "--vpc-cidr", "10.0.0.0/24")
    assert code == 0
    z = doc["azs"][0]
    # 8 pods: 1 /28 prefix holds them, WARM_PREFIX_TARGET=1 keeps one whole prefix free -> 2 prefixes on the
    # primary ENI: 1 primary + 2 x 16 = 33 addresses per node; 1 node per AZ + 2 control-plane ENIs = 35
    assert (z["addresses_per_node"], z["prefixes_per_node"], z["addresses_needed"]) == (33, 2, 35)
    assert (z["prefix_blocks_needed"], z["single_addresses"]) == (2, 3)  # 35 - 2 x 16 = 3 singles
    # a /27 holds 32 - 5 = 27 < 35 addresses; a /26 (59 usable) has 4 aligned /28s, of which AWS's five
    # reserved addresses spoil the first and the last: 2 free blocks = the 2 needed
    assert z["subnet_prefix_length"] == 26
    assert [a["cidr"] for a in doc["azs"]] == ["10.0.0.0/26", "10.0.0.64/26"]
    # the prefix reservation takes the two free aligned /28s of each subnet
    assert z["prefix_reservation"] == ["10.0.0.16/28", "10.0.0.32/28"]
    assert doc["azs"][1]["prefix_reservation"] == ["10.0.0.80/28", "10.0.0.96/28"]
    opts = {o["name"]: o for o in doc["options"]}
    # the same 8 pods with secondary IPs, WARM_ENI_TARGET=1: the first ENI's 9 secondaries hold 8 pods, a whole
    # warm ENI is added: 2 primaries + 18 secondaries = 20 per node, + 2 = 22 per AZ -> /27 (27 usable)
    assert (opts["default"]["addresses_per_node"], opts["default"]["subnet_prefix_length"]) == (20, 27)
    # WARM_IP_TARGET=2, MINIMUM_IP_TARGET=8: 8 pods + 2 warm = 10 secondary IPs; the first ENI holds 9, so a
    # second ENI attaches for the 10th: 2 primaries + 10 = 12 per node (`podcap node m5.large --pods 8
    # --warm-ip-target 2 --minimum-ip-target 8` says 12), + 2 = 14 per AZ -> /27 as well
    assert (opts["warm-ip-target"]["addresses_per_node"], opts["warm-ip-target"]["addresses_needed_per_az"]) == (12, 14)
    assert opts["prefix-delegation"]["subnet_prefix_length"] == 26
    assert "WARM_ENI_TARGET=1" in doc["recommendation"]


def test_prefix_for_blocks_bind_in_small_subnets():
    # 1 block and 3 singles: a /28 has no free aligned /28 (AWS's five sit in it); a /27's two /28s are both
    # spoiled (network + 3 in the first, broadcast in the last); a /26 keeps 2 free -> /26
    assert prefix_for(19, blocks=1, singles=3) == 26
    # addresses alone: 19 <= 27 usable in a /27
    assert prefix_for(19) == 27


def test_comparison_names_a_type_that_cannot_run_the_pods(capsys):
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "4", "--azs", "2", "--prefix-delegation",
                    "--kubelet-max-pods", "110")
    assert code == 0 and doc["pods_per_node"] == 108  # 110 - 2 host-network pods
    opts = {o["name"]: o for o in doc["options"]}
    assert not opts["default"]["fits"] and "at most 27" in opts["default"]["note"]


def test_pods_per_node_above_capacity_fails(capsys):
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "4", "--azs", "2", "--pods-per-node", "40")
    assert code == 1 and any("at most 27" in e for e in doc["errors"])


def test_vpc_too_small_is_an_error(capsys):
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "12", "--azs", "3", "--vpc-cidr",
                    "10.0.0.0/23")
    # three /25s? no: 12 / 3 = 4 nodes x 30 + 2 = 122 <= 123 -> /25 each = 384 addresses <= 512: fits
    assert code == 0 and [a["cidr"] for a in doc["azs"]] == ["10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/25"]
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "12", "--azs", "2", "--vpc-cidr",
                    "10.0.0.0/24")
    # two /24s (182 per AZ) need 512 addresses; the /24 VPC has 256
    assert code == 1 and "more than the VPC CIDR 10.0.0.0/24 holds (256)" in doc["errors"][0]


def test_managed_node_group_max_pods(capsys):
    code, doc = run(capsys, "--instance-type", "m5.large", "--nodes", "12", "--azs", "2", "--managed",
                    "--prefix-delegation")
    # EKS writes min(434, 110) = 110 for a 2-vCPU type under prefix delegation -> 108 pods per node:
    # ceil(108 / 16) = 7 prefixes (112 >= 108, 4 free < 16 but no further prefix at full max pods) + 1 primary = 113
    assert code == 0 and doc["kubelet_max_pods"] == 110 and doc["pods_per_node"] == 108
    z = doc["azs"][0]
    assert (z["addresses_per_node"], z["prefixes_per_node"]) == (113, 7)
    # 6 nodes x 113 + 2 = 680 -> a /22 (1024 - 5 = 1019), a /23 holds 507
    assert z["addresses_needed"] == 680 and doc["subnet_prefix_length"] == 22


@pytest.mark.parametrize("args, text", [
    (["--instance-type", "m5.nosuch", "--nodes", "2", "--azs", "2"], "m5.nosuch"),
    (["--instance-type", "m5.large", "--nodes", "2", "--azs", "1", "--survive-az-loss"], "at least 2 AZs"),
    (["--instance-type", "m5.large", "--nodes", "2", "--azs", "2", "--vpc-cidr", "10.0.0.1/24"], "host bits"),
    (["--instance-type", "m5.large", "--nodes", "0", "--azs", "2"], "whole number >= 1"),
    (["--instance-type", "m5.large", "--nodes", "-3", "--azs", "2"], "whole number >= 1, got -3"),
    (["--instance-type", "m5.large", "--nodes", "2", "--azs", "2", "--vpc-cidr", "fe80::/64"], "an IPv6 block"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, text):
    try:
        code = main(["size", *args])
    except SystemExit as e:  # argparse rejects the figure itself
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and text in err and len(err.strip().splitlines()) == 1


def test_text_fits_100_columns(capsys):
    code = main(["size", "--instance-type", "m5.large", "--instance-type", "c5.large", "--nodes", "30", "--azs",
                 "3", "--surge", "--survive-az-loss", "--prefix-delegation", "--vpc-cidr", "10.0.0.0/16"])
    out = capsys.readouterr().out
    assert code == 0 and "Subnet per AZ: /" in out and "Recommendation:" in out
    assert max(len(ln) for ln in out.splitlines()) <= 100


def test_engine_agrees_with_check(tmp_path):
    """The same demand through `podcap check`: a spec with the laid-out /24s passes PC201, a /25 fails."""
    from podcap.check import CheckOptions, check_plan
    from podcap.sources.spec import load_spec

    ans = size(SizeRequest(["m5.large"], 12, 2, vpc_cidr="10.0.0.0/16"), SNAP)
    for plen, fails in ((ans.subnet_prefix_length, False), (ans.subnet_prefix_length + 1, True)):
        spec = tmp_path / f"s{plen}.yaml"
        spec.write_text(
            "version: 1\nname: sized\nvpc: {cidr: 10.0.0.0/16}\n"
            f"subnets:\n  - {{name: a, cidr: 10.0.0.0/{plen}, az: us-east-1a}}\n"
            f"  - {{name: b, cidr: 10.0.64.0/{plen}, az: us-east-1b}}\n"
            "nodegroups:\n  - {name: ng, instance_types: [m5.large], min: 12, desired: 12, max: 12,"
            " subnets: [a, b], self_managed: true}\n", encoding="utf-8")
        r = check_plan(load_spec(str(spec)), CheckOptions(paths=[str(spec)]), SNAP)
        assert any(f.rule_id == "PC201" for f in r.findings) is fails, [f.message for f in r.findings]


def test_sizing_error_for_no_type():
    with pytest.raises(SizingError):
        size(SizeRequest([], 1, 1), SNAP)


@settings(max_examples=40, deadline=None)
@given(nodes=st.integers(1, 200), azs=st.integers(1, 4), pods=st.integers(0, 27))
def test_prefix_is_the_smallest_that_holds_the_demand(nodes, azs, pods):
    ans = size(SizeRequest(["m5.large"], nodes, azs, pods_per_node=pods), SNAP)
    for z in ans.azs:
        # an AZ holds at most ceil(nodes / azs) nodes, each taking the same addresses, + ceil(4 / azs) ENIs
        assert z.nodes_at_max == -(-nodes // azs)
        assert z.addresses_at_max == z.nodes_at_max * z.addresses_per_node + -(-4 // azs)
        plen = z.subnet_prefix_length
        if plen is None:
            assert z.addresses_needed > 2 ** 16 - 5
            continue
        assert 2 ** (32 - plen) - 5 >= z.addresses_needed  # it holds them
        assert plen == 28 or 2 ** (32 - plen - 1) - 5 < z.addresses_needed  # a half-size subnet would not
