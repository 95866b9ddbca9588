"""A subnet whose AZ is unknown (a parameter with no default) may lie in any AZ, one of the node group's known
AZs or another: the figures are the worst placement it allows, never the one where it adds an AZ of its own.

An Auto Scaling group balances its AZs (EC2 Auto Scaling user guide, "Availability Zone distribution"): over
K AZs an AZ holds at most ceil(n / K) nodes, its subnets splitting them evenly (podcap's model).

Hand-computed template (UNKNOWN_AZ): SubA us-east-1a, SubB us-east-1b, SubC in AZ ``ThirdAz`` (no default),
each a /24 (256 - 5 = 251 usable); the cluster's ENIs in SubA and SubB (up to 4 over 2: 2 each); node group
m5.large (3 ENIs x 10 IPv4, 27 pods: 30 addresses a node), 3 / 3 / 18 nodes, updateStrategy MINIMAL (no
surge).

* SubA, SubB: SubC may share the other known AZ, so the 18 nodes spread over 2 AZs: 9 x 30 + 2 = 272 > 251:
  PC201 on both (the old reading counted SubC as a third AZ: 6 x 30 + 2 = 182, and passed). At min 3:
  ceil(3 / 2) = 2 x 30 + 2 = 62.
* SubC: the most of ceil(18 / 3) = 6 (alone in a third AZ) and ceil(ceil(18 / 2) / 2) = 5 (beside SubA or
  SubB): 6 x 30 = 180. At min 3: ceil(3 / 3) = 1 and ceil(2 / 2) = 1: 30.
* AZ us-east-1a lost: SubB and SubC are left, SubC alone in its own AZ or beside SubB: SubC gets
  ceil(18 / 2) = 9 x 30 = 270 > 251: PC203 on SubC (SubB already fails at max size: PC201).
* --parameter ThirdAz=us-east-1c: three AZs, 6 nodes each: SubA 6 x 30 + 2 = 182, SubC 180: no error.
* --parameter ThirdAz=us-east-1a: us-east-1a holds SubA and SubC: 9 nodes split 5 / 5 (ceil(9 / 2)): SubA
  5 x 30 + 2 = 152, SubC 150; SubB alone in us-east-1b: 9 x 30 + 2 = 272: PC201 on SubB only.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.analysis import nodes_per_subnet, worst_per_az

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

UNKNOWN_AZ = """Parameters:
  ThirdAz: {Type: String}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  SubA: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.0.0/24, AvailabilityZone: us-east-1a}}
  SubB: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.1.0/24, AvailabilityZone: us-east-1b}}
  SubC: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.2.0/24, AvailabilityZone: !Ref ThirdAz}}
  Cluster:
    Type: AWS::EKS::Cluster
    Properties: {RoleArn: arn:aws:iam::1:role/r, ResourcesVpcConfig: {SubnetIds: [!Ref SubA, !Ref SubB]}}
  Ng:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref Cluster
      NodeRole: arn:aws:iam::1:role/n
      Subnets: [!Ref SubA, !Ref SubB, !Ref SubC]
      InstanceTypes: [m5.large]
      ScalingConfig: {MinSize: 3, DesiredSize: 3, MaxSize: 18}
      UpdateConfig: {UpdateStrategy: MINIMAL}
"""


def check(tmp_path: Path, *args: str) -> tuple[int, dict]:
    path = tmp_path / "t.yaml"
    path.write_text(UNKNOWN_AZ)
    run = cli(["check", str(path), "--format", "json", *args]).assert_promise()
    return run.code, json.loads(run.out)


def figures(report: dict) -> dict[str, tuple[int, int]]:
    return {s["subnet"]: (s["at_min"], s["at_max"]) for s in report["subnets"]}


def fired(report: dict, rule: str) -> list[str]:
    return sorted(f["resource"] for f in report["findings"] if f["rule_id"] == rule)


def test_an_unknown_az_is_placed_where_it_hurts_most(tmp_path):
    code, r = check(tmp_path)
    assert figures(r) == {"SubA": (62, 272), "SubB": (62, 272), "SubC": (30, 180)}
    assert code == 1 and fired(r, "PC201") == ["SubA", "SubB"] and fired(r, "PC203") == ["SubC"]
    (lost,) = [f for f in r["findings"] if f["rule_id"] == "PC203"]
    assert lost["data"]["lost_az"] == "us-east-1a" and lost["data"]["need"] == 270
    (unk,) = [f for f in r["findings"] if f["rule_id"] == "PC001"]
    assert "AZ of subnet SubC" in unk["message"] and "worst placement" in unk["message"]


def test_the_az_given_decides(tmp_path):
    code, r = check(tmp_path, "--parameter", "ThirdAz=us-east-1c")
    assert figures(r) == {"SubA": (32, 182), "SubB": (32, 182), "SubC": (30, 180)}
    assert code == 0 and fired(r, "PC201") == []
    code, r = check(tmp_path, "--parameter", "ThirdAz=us-east-1a")
    # at min 3 nodes over 2 AZs: us-east-1a gets 2, split 1 / 1; us-east-1b 2: 2 x 30 + 2 = 62
    assert figures(r) == {"SubA": (32, 152), "SubB": (62, 272), "SubC": (30, 150)}
    assert code == 1 and fired(r, "PC201") == ["SubB"]


def brute_force(nodes: int, known: list[int], unknown: int) -> dict[str, int]:
    """Every placement of the unknown subnets (in a known AZ, or in one of up to ``unknown`` new AZs): the most
    nodes each subnet gets, AZs holding ceil(n / K) each and their subnets splitting it evenly."""
    subnets = [(f"k{i}.{j}", f"az{i}") for i, m in enumerate(known) for j in range(m)]
    choices = [f"az{i}" for i in range(len(known))] + [f"new{i}" for i in range(unknown)]
    most: dict[str, int] = {}
    for placed in itertools.product(choices, repeat=unknown):
        layout = subnets + [(f"u{i}", az) for i, az in enumerate(placed)]
        groups: dict[str, int] = {}
        for _, az in layout:
            groups[az] = groups.get(az, 0) + 1
        per_az = -(-nodes // len(groups))
        for sid, az in layout:
            most[sid] = max(most.get(sid, 0), -(-per_az // groups[az]))
    return most


@settings(max_examples=300, deadline=None)
@given(nodes=st.integers(0, 60), known=st.lists(st.integers(1, 3), max_size=3), unknown=st.integers(0, 3))
def test_the_worst_placement_matches_every_placement_tried(nodes, known, unknown):
    if not known and not unknown:
        return
    groups = {f"az{i}": [f"k{i}.{j}" for j in range(m)] for i, m in enumerate(known)}
    groups.update({f"?u{i}": [f"u{i}"] for i in range(unknown)})
    assert nodes_per_subnet(nodes, groups) == brute_force(nodes, known, unknown)
    # the nodes in a known AZ, however its subnets split them: the one known AZ may hold them all
    totals = worst_per_az(nodes, groups, totals=True)
    for i in range(len(known)):
        expect = nodes if len(known) == 1 and unknown else -(-nodes // len(known))
        assert totals[f"az{i}"] == expect
