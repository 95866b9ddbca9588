"""Subnets whose CIDR an IPAM pool allocates at deployment (AWS::EC2::Subnet Ipv4IpamPoolId with
Ipv4NetmaskLength): EC2 gives the subnet a block of that length, aligned to it, so its capacity is known before
the CIDR is. podcap judges the size (PC201, the /28 blocks) and says with a PC001 that where the block lies
(overlaps, inside the VPC) is not known.

m5.large, default WARM_ENI_TARGET=1: 1 node = 2 ENIs x 10 = 20 addresses + the warm ENI's 10 = 30 at a few pods;
a /26 holds 64 - 5 = 59 usable, so max 2 in one subnet (60) does not fit, max 1 (30) does. A /26's four /28
blocks: the first holds the network address and the next three AWS reserves, the last the broadcast address,
so 2 are free.
"""
from __future__ import annotations

import json

import pytest

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties: {{CidrBlock: 10.40.0.0/16}}
  A:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref VPC
      AvailabilityZone: us-east-1a
      Ipv4IpamPoolId: ipam-pool-0123456789abcdef0
{length}
  Nodes:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: prod
      NodeRole: arn:aws:iam::111122223333:role/eks-node
      InstanceTypes: [m5.large]
      ScalingConfig: {{MinSize: 1, DesiredSize: 1, MaxSize: {max}}}
      UpdateConfig: {{UpdateStrategy: MINIMAL}}
      Subnets: [!Ref A]
"""


def check(tmp_path, length: str, max_size: int) -> tuple[int, dict]:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.format(length=length, max=max_size))
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    return run.code, json.loads(run.out)


def rules(r: dict) -> list[str]:
    return sorted(f["rule_id"] for f in r["findings"])


def test_known_length_is_judged(tmp_path):
    code, r = check(tmp_path, "      Ipv4NetmaskLength: 26", 2)
    (s,) = r["subnets"]
    assert (s["cidr"], s["usable"], s["at_max"], s["free_prefix_blocks"]) == (None, 59, 60, 2)
    assert code == 1 and rules(r) == ["PC001", "PC201"]
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC201"]
    assert "a /26 from IPAM" in f["message"]
    (u,) = [f for f in r["findings"] if f["rule_id"] == "PC001"]
    assert "overlaps" in u["message"]  # what stays unknown is said
    code, r = check(tmp_path, "      Ipv4NetmaskLength: 26", 1)
    assert code == 0 and rules(r) == ["PC001"]


@pytest.mark.parametrize("length,why", [
    ("", "no Ipv4NetmaskLength"),
    ("      Ipv4NetmaskLength: 29", "not a length EC2 gives a subnet"),
    ("      Ipv4NetmaskLength: 8", "not a length EC2 gives a subnet"),
])
def test_unknown_or_impossible_length_stays_unknown(tmp_path, length, why):
    _, r = check(tmp_path, length, 2)
    (s,) = r["subnets"]
    assert s["usable"] is None
    assert any(f["rule_id"] == "PC001" and why in f["message"] for f in r["findings"])
    assert "PC201" not in rules(r)


def _plan(length: object) -> dict:
    """A `terraform show -json` plan: two aws_subnet from an IPAM pool (count = 2) and a managed node group on
    them (min 2, max 4: 2 nodes a subnet at max, 60 addresses)."""
    def subnet(i: int) -> dict:
        values = {"availability_zone": f"ap-southeast-2{'ab'[i]}", "ipv4_ipam_pool_id": "ipam-pool-0abc",
                  "ipv4_netmask_length": length, "map_public_ip_on_launch": False, "tags": None}
        return {"address": f"aws_subnet.nodes[{i}]", "mode": "managed", "type": "aws_subnet", "name": "nodes",
                "index": i, "values": values,
                "change": {"actions": ["create"], "before": None, "after": values,
                           "after_unknown": {"id": True, "arn": True, "vpc_id": True, "cidr_block": True}}}
    ng_values = {"cluster_name": "c", "node_group_name": "ng", "instance_types": ["m5.large"],
                 "scaling_config": [{"desired_size": 2, "max_size": 4, "min_size": 2}], "launch_template": [],
                 "update_config": [{"max_unavailable": 1, "max_unavailable_percentage": None,
                                    "update_strategy": "MINIMAL"}]}
    ng = {"address": "aws_eks_node_group.ng", "mode": "managed", "type": "aws_eks_node_group", "name": "ng",
          "values": ng_values, "change": {"actions": ["create"], "before": None, "after": ng_values,
                                          "after_unknown": {"id": True, "subnet_ids": True}}}
    resources = [subnet(0), subnet(1), ng]
    strip = ("change",)
    return {
        "format_version": "1.2", "terraform_version": "1.9.5", "complete": True, "errored": False,
        "planned_values": {"root_module": {"resources": [
            {k: v for k, v in r.items() if k not in strip} for r in resources]}},
        "resource_changes": [{k: v for k, v in r.items() if k != "values"} for r in resources],
        "configuration": {"root_module": {"resources": [
            {"address": "aws_subnet.nodes", "mode": "managed", "type": "aws_subnet", "name": "nodes",
             "expressions": {"ipv4_ipam_pool_id": {"references": ["var.ipam_pool_id"]},
                             "ipv4_netmask_length": {"constant_value": length}},
             "count_expression": {"constant_value": 2}},
            {"address": "aws_eks_node_group.ng", "mode": "managed", "type": "aws_eks_node_group", "name": "ng",
             "expressions": {"subnet_ids": {"references": ["aws_subnet.nodes"]}}}]}},
    }


def test_terraform_ipv4_netmask_length(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_plan(27)))
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    r = json.loads(run.out)
    # a /27: 32 - 5 = 27 usable; 2 m5.large nodes a subnet at max = 60 > 27
    assert sorted(s["usable"] for s in r["subnets"]) == [27, 27]
    assert run.code == 1 and sorted(f["resource"] for f in r["findings"] if f["rule_id"] == "PC201") == [
        "aws_subnet.nodes[0]", "aws_subnet.nodes[1]"]
    path.write_text(json.dumps(_plan(12)))
    r = json.loads(cli(["check", str(path), "--format", "json"]).assert_promise().out)
    assert all(s["usable"] is None for s in r["subnets"])
    assert any(f["rule_id"] == "PC001" and "not a length EC2 gives" in f["message"] for f in r["findings"])
