"""Update surges, /28 blocks in the scenarios, singles beside prefix reservations and size hints, computed by
hand and checked through `podcap check SPEC --format json` and `podcap size`.

Sources:

* [MNG-UPDATE] EKS user guide, managed-node-update-behavior (awsdocs/amazon-eks-user-guide, commit
  4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7): the scale-up phase grows the group by the larger of twice its
  AZs and maxUnavailable; "The maximum unavailable has a quota of 100 nodes".
* [UPDATE-CONFIG] EKS API reference, NodegroupUpdateConfig: maxUnavailablePercentage nodes "are updated in
  parallel, up to 100 nodes at once"; updateStrategy MINIMAL "terminates the old instances before
  launching the new instances" (DEFAULT launches the new ones first).
* [PD] EKS user guide, the prefix-delegation procedure: without free contiguous /28 blocks ipamd's calls
  fail with InsufficientCidrBlocks, whatever the free addresses.
* [RESERVATION] VPC user guide, subnet CIDR reservations: a `prefix` reservation is assigned to prefixes
  only; ENI primary and secondary addresses come from outside it.

m5.large (3 ENIs x 10 IPv4): a full node without prefix delegation runs 27 address-taking pods and holds
30 addresses (3 primaries + 27 secondaries). With prefix delegation and WARM_PREFIX_TARGET=1, one pod per
node holds 2 prefixes (1 in use, 1 warm): 32 + 1 primary = 33 addresses, 2 /28s, 1 single; 20 pods hold
3 prefixes: 49 addresses. The control plane puts ceil(4 / cluster subnets) ENIs in each cluster subnet.
"""
from __future__ import annotations

import json
from pathlib import Path

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

PD = {"cluster": {"cni": {"env": {"ENABLE_PREFIX_DELEGATION": "true"}}}}


def spec(tmp_path: Path, subnets: list[dict], nodegroups: list[dict], extra: dict | None = None) -> Path:
    doc = {"version": 1, "name": "t", "vpc": {"cidr": "10.0.0.0/16"}, "subnets": subnets,
           "nodegroups": nodegroups, **(extra or {})}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    return path


def check(path: Path) -> dict:
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def findings(report: dict, rule_id: str) -> dict[str, dict]:
    return {f["resource"]: f for f in report["findings"] if f["rule_id"] == rule_id}


# ----------------------------------------------------------------------------- the update surge [MNG-UPDATE]

def four_azs(used: int) -> list[dict]:
    return [{"name": f"s{i}", "az": f"us-east-1{'abcd'[i]}", "cidr": f"10.0.{32 * i}.0/19", "used_addresses": used}
            for i in range(4)]


def test_percentage_surge_is_capped_at_100_nodes(tmp_path):
    # max 400 over 4 AZs, maxUnavailablePercentage 50: ceil(50% x 400) = 200, capped at EKS's quota of 100;
    # surge = max(2 x 4, 100) = 100 -> (400 + 100) / 4 = 125 nodes per AZ -> 125 x 30 + ceil(4/4) = 3751.
    # used 3900 of a /19: 8192 - 5 - 3900 = 4287 usable >= 3751 -> no PC202 (200 nodes would need 4501).
    ng = [{"name": "ng", "instance_types": ["m5.large"], "subnets": ["s0", "s1", "s2", "s3"], "min": 4,
           "max": 400, "update": {"max_unavailable_percentage": 50}}]
    assert findings(check(spec(tmp_path, four_azs(3900), ng)), "PC202") == {}
    # used 4500: 3687 usable < 3751 -> PC202 with the capped surge, 125 nodes per subnet
    got = findings(check(spec(tmp_path, four_azs(4500), ng)), "PC202")
    assert set(got) == {"s0", "s1", "s2", "s3"}
    data = got["s0"]["data"]
    assert (data["surge"], data["nodes"], data["need"], data["usable"]) == (100, 125, 3751, 3687)


def two_azs_24(used: int = 0) -> list[dict]:
    return [{"name": "a", "az": "us-east-1a", "cidr": "10.0.0.0/24", **({"used_addresses": used} if used else {})},
            {"name": "b", "az": "us-east-1b", "cidr": "10.0.1.0/24", **({"used_addresses": used} if used else {})}]


def test_minimal_update_strategy_does_not_surge(tmp_path):
    # max 14 over 2 /24s: 7 x 30 + 2 = 212 <= 251 at max; DEFAULT update: surge max(4, 1) = 4 -> 9 per AZ,
    # 272 > 251 (PC202). MINIMAL terminates old nodes first: no surge, no PC202. Losing an AZ (14 nodes in
    # one: 422) is the same either way (PC203).
    ng = {"name": "ng", "instance_types": ["m5.large"], "subnets": ["a", "b"], "min": 1, "max": 14}
    default = check(spec(tmp_path, two_azs_24(), [ng]))
    assert findings(default, "PC202")["a"]["data"]["need"] == 272
    minimal = check(spec(tmp_path, two_azs_24(), [{**ng, "update": {"strategy": "MINIMAL"}}]))
    assert findings(minimal, "PC202") == {}
    assert findings(minimal, "PC203")["a"]["data"]["need"] == 422


def test_minimal_update_strategy_from_cloudformation(tmp_path):
    ng = {"Type": "AWS::EKS::Nodegroup", "Properties": {
        "ClusterName": {"Ref": "Cluster"}, "NodeRole": "arn:aws:iam::1:role/n", "InstanceTypes": ["m5.large"],
        "Subnets": [{"Ref": "A"}, {"Ref": "B"}], "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 14},
        "UpdateConfig": {"MaxUnavailable": 1, "UpdateStrategy": "MINIMAL"}}}
    res = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
           "A": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24",
                                                             "AvailabilityZone": "us-east-1a"}},
           "B": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24",
                                                             "AvailabilityZone": "us-east-1b"}},
           "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
               "RoleArn": "arn:aws:iam::1:role/c", "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "A"}, {"Ref": "B"}]}}},
           "Ng": ng}
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Resources": res}))
    assert findings(check(path), "PC202") == {}
    ng["Properties"]["UpdateConfig"]["UpdateStrategy"] = "DEFAULT"
    path.write_text(json.dumps({"Resources": res}))
    assert findings(check(path), "PC202")["A"]["data"]["surge"] == 4


# ------------------------------------------------------------------- /28 blocks in the scenarios [PD]

def test_update_and_lost_az_count_free_blocks_with_prefix_delegation(tmp_path):
    # Each /24: six explicit /30s spoil the /28s at .16, .32, .48, .64, .80, .96 (24 addresses); prefix
    # reservations .128/26 + .192/27 keep 6 /28s. Free /28s outside reservations: .112 and .224 = 2; with the
    # 6 kept, 8 /28s can take prefixes. Usable 256 - 5 - 24 = 227.
    # 1 pod per node: 2 prefixes + 1 primary (33 addresses). Max 6 over 2 AZs: 3 per AZ, 6 /28s, fits.
    # Update: surge max(2 x 2, 1) = 4 -> 5 per AZ: 10 /28s > 8 (addresses 5 x 33 + 2 = 167 <= 227): PC202.
    # AZ lost: 6 nodes in one AZ: 12 /28s > 8 (addresses 200 <= 227): PC203.
    def subnet(name: str, az: str, third: int) -> dict:
        base = f"10.0.{third}"
        return {"name": name, "az": az, "cidr": f"{base}.0/24", "reservations":
                [{"cidr": f"{base}.{16 * i}/30", "type": "explicit"} for i in range(1, 7)]
                + [{"cidr": f"{base}.128/26", "type": "prefix"}, {"cidr": f"{base}.192/27", "type": "prefix"}]}

    ng = [{"name": "ng", "instance_types": ["m5.large"], "subnets": ["sa", "sb"], "min": 2, "max": 6,
           "pods_per_node": 1}]
    report = check(spec(tmp_path, [subnet("sa", "us-east-1a", 0), subnet("sb", "us-east-1b", 1)], ng, PD))
    assert {f["rule_id"] for f in report["findings"]} == {"PC202", "PC203", "PC401"}  # nothing at max size
    surge = findings(report, "PC202")["sa"]["data"]
    # singles during the update: 5 primaries + 2 control-plane ENIs
    assert (surge["surge"], surge["nodes"], surge["prefix_blocks_needed"], surge["single_addresses"],
            surge["blocks_left"]) == (4, 5, 10, 7, 8)
    lost = findings(report, "PC203")["sa"]["data"]
    assert (lost["nodes"], lost["prefix_blocks_needed"], lost["single_addresses"], lost["blocks_left"]) == (6, 12, 8, 8)
    assert "InsufficientCidrBlocks" in findings(report, "PC203")["sb"]["message"]


# ------------------------------------------------------------- singles beside prefix reservations [RESERVATION]

def test_single_addresses_must_fit_outside_prefix_reservations(tmp_path):
    # sa /24 with a prefix reservation of every inner /28 (.16-.239: 14 /28s, 224 addresses); outside it
    # .4-.15 (12) and .240-.254 (15) = 27 addresses. Prefix delegation, 1 pod per node, max 4 over sa and sb:
    # 2 nodes here (2 x 2 = 4 /28s, 2 primaries). A Fargate profile of 80 pods over both: 40 here. The
    # control plane: 2. Singles 2 + 40 + 2 = 44 > 27: 17 cannot be assigned (PC204), although 251 usable
    # addresses hold the 108 the subnet takes in all, and 14 kept /28s hold the 4 prefixes.
    reserved = ["10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28"]
    subnets = [{"name": "sa", "az": "us-east-1a", "cidr": "10.0.0.0/24",
                "reservations": [{"cidr": c, "type": "prefix"} for c in reserved]},
               {"name": "sb", "az": "us-east-1b", "cidr": "10.0.1.0/24"}]
    ng = [{"name": "ng", "instance_types": ["m5.large"], "subnets": ["sa", "sb"], "min": 2, "max": 4,
           "pods_per_node": 1}]
    extra = {**PD, "fargate_profiles": [{"name": "fp", "subnets": ["sa", "sb"], "pods": 80}]}
    run = cli(["check", str(spec(tmp_path, subnets, ng, extra)), "--format", "json"]).assert_promise()
    assert run.code == 1  # PC204 is an error
    f = findings(json.loads(run.out), "PC204")["sa"]
    d = f["data"]
    assert (d["single_addresses"], d["room_outside_prefix_reservations"], d["prefix_reserved_blocks"],
            d["prefix_blocks_needed"]) == (44, 27, 14, 4)
    assert "17 cannot be assigned" in f["message"]
    assert "PC201" not in {x["rule_id"] for x in json.loads(run.out)["findings"]}


# --------------------------------------------------------------------------------------- size hints

def test_scenario_size_hint_counts_addresses_in_use(tmp_path):
    # /24s with 100 in use: 151 usable. Max 8: 4 per subnet, 122 at max. Update: surge 4 -> 6 per subnet,
    # 6 x 30 + 2 = 182 > 151 (PC202). A /24 with the same 100 in use holds 151: a /23 holds 512 - 5 - 100 = 407.
    ng = [{"name": "ng", "instance_types": ["m5.large"], "subnets": ["a", "b"], "min": 2, "max": 8}]
    f = findings(check(spec(tmp_path, two_azs_24(used=100), ng)), "PC202")["a"]
    assert f["data"]["need"] == 182 and f["data"]["usable"] == 151
    assert f["fix"].startswith("needs a /23 (507 usable) or larger for this, has a /24")


def test_exhaustion_size_hint_counts_reservations(tmp_path):
    # sa /24, 22 in use, an explicit /27 reserved: 256 - 5 - 22 - 32 = 197 usable. Prefix delegation, 20
    # pods per node (49 addresses), max 8: 4 here, 4 x 49 + 2 = 198 > 197 (PC201, short by 1). A /24 with the
    # same 54 taken holds 197, a /23 453: the hint says /23.
    subnets = [{"name": "sa", "az": "us-east-1a", "cidr": "10.0.0.0/24", "used_addresses": 22,
                "reservations": [{"cidr": "10.0.0.64/27", "type": "explicit"}]},
               {"name": "sb", "az": "us-east-1b", "cidr": "10.0.1.0/24"}]
    ng = [{"name": "ng", "instance_types": ["m5.large"], "subnets": ["sa", "sb"], "min": 2, "max": 8,
           "pods_per_node": 20}]
    report = check(spec(tmp_path, subnets, ng, PD))
    f = findings(report, "PC201")["sa"]
    assert "needs 198 addresses at max size but has 197 usable" in f["message"]
    assert f["fix"].startswith("needs a /23 (507 usable) or larger, has a /24")
    # PC204 on the same subnet: 219 addresses outside the /27 less the 22 in use: 197 free
    blocks = findings(report, "PC204")["sa"]
    assert blocks["data"]["free_addresses"] == 197 and "so 197 are free" in blocks["message"]


def test_pc205_suggests_the_worst_case_subnet(tmp_path):
    # Clean /24s, 20 pods per node, max 8: 4 nodes, 12 /28s, 6 singles (4 primaries + 2 control plane).
    # 14 free /28s: best case the singles fit in the 27 loose addresses (14 >= 12), worst case each breaks a
    # /28 (14 - 6 = 8 < 12): PC205. An empty /23 holds 30 free /28s (32 less the two AWS spoils): 30 - 6 =
    # 24 >= 12 in the worst case; a /24 does not, so the suggestion is a /23, as the fix says.
    ng = [{"name": "ng", "instance_types": ["m5.large"], "subnets": ["a", "b"], "min": 2, "max": 8,
           "pods_per_node": 20}]
    f = findings(check(spec(tmp_path, two_azs_24(), ng, PD)), "PC205")["a"]
    assert f["data"]["suggested_prefix_length"] == 23 and "use a /23" in f["fix"]
    cidrs = f["data"]["suggested_reservation_cidrs"]
    assert cidrs == ["10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/28"]
    # 1 + 2 + 4 + 4 + 1 = 12 /28s
    assert sum(2 ** (28 - int(c.split("/")[1])) for c in cidrs) == 12


def test_size_text_keeps_whole_cidrs():
    # 12 nodes over 2 AZs, prefix delegation, managed (110 pods: 7 prefixes, 113 addresses per node), surge 4
    # and an AZ lost: 12 x 113 + 2 = 1358 per AZ -> /21; the CIDRs 10.0.0.0/21 and 10.0.8.0/21 are printed
    # whole, with their prefix reservations of 84 /28s.
    run = cli(["size", "--instance-type", "m5.large", "--nodes", "12", "--azs", "2", "--prefix-delegation",
               "--managed", "--surge", "--survive-az-loss", "--vpc-cidr", "10.0.0.0/16"]).assert_promise()
    assert run.code == 0, run.err
    assert "az-1: 10.0.0.0/21; prefix reservation 10.0.0.16/28" in run.out
    assert "az-2: 10.0.8.0/21" in run.out
    assert "1358" in run.out
