"""PC504: a Fargate profile naming a public subnet, which EKS refuses.

EKS API reference, CreateFargateProfile ``subnets``: "only private subnets with no direct route to an Internet
Gateway are accepted for this parameter" (EKS user guide, fargate-profile; fargate-getting-started: "Only private
subnets are supported for Pods that are running on Fargate"). A subnet is public when its route table has a
route whose gateway is an internet gateway; a subnet without an association uses the VPC's main route table,
which CloudFormation and Terraform do not give routes. Run through `podcap check --format json`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

SHARED = Path(os.environ.get("PODCAP_SHARED", Path(__file__).resolve().parents[1].parent / "shared")) / "fixtures"

CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Att: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}}
  PublicRt: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  DefaultRoute:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PublicRt, DestinationCidrBlock: 0.0.0.0/0, GatewayId: %(gateway)s}
  Eip: {Type: AWS::EC2::EIP}
  Nat: {Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref PubA, AllocationId: !GetAtt Eip.AllocationId}}
  PrivateRt: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  NatRoute:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateRt, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
  PubA: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/27, AvailabilityZone: us-east-1a}}
  PrivA: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/26, AvailabilityZone: us-east-1a}}
  PrivB: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/26, AvailabilityZone: us-east-1b}}
  AssocPubA: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref PubA, RouteTableId: !Ref PublicRt}}
  AssocPrivA: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref PrivA, RouteTableId: !Ref PrivateRt}}
  Role: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {}}}
  Cluster:
    Type: AWS::EKS::Cluster
    Properties: {Name: demo, RoleArn: !GetAtt Role.Arn, ResourcesVpcConfig: {SubnetIds: [!Ref PrivA, !Ref PrivB]}}
  Fp:
    Type: AWS::EKS::FargateProfile
    Metadata: {podcap: {pods: 20}}
    Properties:
      ClusterName: !Ref Cluster
      PodExecutionRoleArn: !GetAtt Role.Arn
      Subnets: [%(subnets)s]
      Selectors: [{Namespace: default}]
"""


def _check(path: Path) -> tuple[int, dict]:
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    return run.code, json.loads(run.out)


def _pc504(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == "PC504"]


def _cfn(tmp_path: Path, subnets: str, gateway: str = "!Ref Igw") -> tuple[int, dict]:
    p = tmp_path / "fargate.yaml"
    p.write_text(CFN % {"subnets": subnets, "gateway": gateway})
    return _check(p)


def test_profile_in_the_public_subnet_is_refused(tmp_path):
    # PubA's table routes 0.0.0.0/0 to Igw: the profile names it, so EKS refuses the profile (PC504, exit 1);
    # PrivA (a NAT route) and PrivB (no association: the main route table) are private
    code, d = _cfn(tmp_path, "!Ref PubA, !Ref PrivB")
    found = _pc504(d)
    assert code == 1 and [f["data"]["subnet"] for f in found] == ["PubA"]
    assert found[0]["severity"] == "error" and found[0]["resource"] == "Fp"
    assert "route table PublicRt routes 0.0.0.0/0 to internet gateway Igw (DefaultRoute)" in found[0]["message"]


def test_private_subnets_pass_and_keep_their_figures(tmp_path):
    # 20 pods over PrivA and PrivB: ceil(20 / 2) = 10 addresses each, plus the control plane's
    # ceil(4 / 2) = 2 ENIs in each cluster subnet: 12 at max; a /26 has 64 - 5 = 59 usable
    code, d = _cfn(tmp_path, "!Ref PrivA, !Ref PrivB")
    assert code == 0 and not _pc504(d)
    at_max = {s["subnet"]: (s["usable"], s["at_max"]) for s in d["subnets"]}
    assert at_max["PrivA"] == (59, 12) and at_max["PrivB"] == (59, 12)


@pytest.mark.parametrize("gateway, public", [
    ("igw-0123456789abcdef0", True),   # an existing internet gateway, by id
    ("!GetAtt Igw.InternetGatewayId", True),  # the template's gateway, by its id attribute
    ("vgw-0123456789abcdef0", False),  # a virtual private gateway: no route to the internet
    ("local", False),
])
def test_a_literal_gateway_id(tmp_path, gateway, public):
    code, d = _cfn(tmp_path, "!Ref PubA", gateway)
    assert bool(_pc504(d)) is public and code == (1 if public else 0)


def test_eksctl_public_subnets_are_public(tmp_path):
    # a VPC eksctl creates: its public subnets route 0.0.0.0/0 to the internet gateway it creates
    p = tmp_path / "cluster.yaml"
    base = ("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-east-1}\n"
            "availabilityZones: [us-east-1a, us-east-1b]\n"
            "vpc:\n  subnets:\n    public:\n      pub-a: {id: subnet-0aaa, az: us-east-1a, cidr: 10.0.0.0/24}\n"
            "    private:\n      priv-a: {id: subnet-0bbb, az: us-east-1a, cidr: 10.0.1.0/24}\n"
            "      priv-b: {id: subnet-0ccc, az: us-east-1b, cidr: 10.0.2.0/24}\n"
            "fargateProfiles:\n  - name: fp\n    selectors: [{namespace: default}]\n    subnets: [%s]\n")
    p.write_text(base % "subnet-0aaa, subnet-0bbb")
    code, d = _check(p)
    assert code == 1 and [f["data"]["subnet"] for f in _pc504(d)] == ["vpc.subnets.public.pub-a"]
    p.write_text(base % "subnet-0bbb, subnet-0ccc")
    _, d = _check(p)
    assert not _pc504(d)


def test_spec_public_subnet(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text("version: 1\nname: demo\nvpc: {cidr: 10.0.0.0/16}\n"
                 "subnets:\n  - {name: pub, az: us-east-1a, cidr: 10.0.0.0/24, public: true}\n"
                 "  - {name: priv, az: us-east-1a, cidr: 10.0.1.0/24}\n"
                 "fargate_profiles:\n  - {name: fp, subnets: [pub, priv], pods: 10}\n")
    code, d = _check(p)
    assert code == 1 and [f["data"]["subnet"] for f in _pc504(d)] == ["pub"]


def _tf_plan(tmp_path: Path) -> Path:
    """A plan whose public route table has an inline route to an internet gateway created with it (the
    gateway's id known only after apply, so found through the configuration's references)."""
    def res(t, n, values):
        return {"address": f"{t}.{n}", "mode": "managed", "type": t, "name": n, "values": values}

    def ref(*addresses):
        return {"references": [x for a in addresses for x in (f"{a}.id", a)]}

    planned = [res("aws_vpc", "main", {"cidr_block": "10.0.0.0/16"}), res("aws_internet_gateway", "igw", {}),
               res("aws_route_table", "public", {"route": [{"cidr_block": "0.0.0.0/0", "gateway_id": None}]}),
               res("aws_subnet", "pub", {"cidr_block": "10.0.0.0/26", "availability_zone": "us-east-1a"}),
               res("aws_subnet", "priv", {"cidr_block": "10.0.1.0/26", "availability_zone": "us-east-1a"}),
               res("aws_route_table_association", "pub", {}),
               res("aws_eks_fargate_profile", "fp", {"fargate_profile_name": "fp"})]
    config = {"aws_route_table.public": {"route": [{"cidr_block": {"constant_value": "0.0.0.0/0"},
                                                    "gateway_id": ref("aws_internet_gateway.igw")}]},
              "aws_subnet.pub": {"vpc_id": ref("aws_vpc.main")}, "aws_subnet.priv": {"vpc_id": ref("aws_vpc.main")},
              "aws_route_table_association.pub": {"subnet_id": ref("aws_subnet.pub"),
                                                  "route_table_id": ref("aws_route_table.public")},
              "aws_eks_fargate_profile.fp": {"subnet_ids": ref("aws_subnet.pub", "aws_subnet.priv")}}
    unknown = {"aws_route_table.public": {"id": True, "route": [{"gateway_id": True}]},
               "aws_subnet.pub": {"id": True, "vpc_id": True}, "aws_subnet.priv": {"id": True, "vpc_id": True},
               "aws_route_table_association.pub": {"id": True, "subnet_id": True, "route_table_id": True},
               "aws_eks_fargate_profile.fp": {"subnet_ids": True}}
    doc = {"format_version": "1.2", "terraform_version": "1.9.0",
           "planned_values": {"root_module": {"resources": planned}},
           "resource_changes": [{"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
                                 "change": {"actions": ["create"], "before": None, "after": r["values"],
                                            "after_unknown": unknown.get(r["address"], {})}} for r in planned],
           "configuration": {"root_module": {"resources": [
               {"address": r["address"], "type": r["type"], "name": r["name"],
                "expressions": config.get(r["address"], {})} for r in planned]}}}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc))
    return p


def test_terraform_inline_route_to_an_internet_gateway(tmp_path):
    code, d = _check(_tf_plan(tmp_path))
    found = _pc504(d)
    assert code == 1 and [f["data"]["subnet"] for f in found] == ["aws_subnet.pub"]
    assert "to internet gateway aws_internet_gateway.igw" in found[0]["message"]


def test_terraform_aws_route_in_a_real_plan():
    # checkov's terragoat plan (SOURCES.txt): aws_route.public_internet_gateway sends 0.0.0.0/0 of
    # aws_route_table.web_rtb to aws_internet_gateway.web_igw; rtbassoc / rtbassoc2 give that table to
    # web_subnet / web_subnet2; the EKS subnets have no association
    path = SHARED / "tfplan/checkov-terragoat/tfplan.json"
    if not path.is_file():
        pytest.skip("shared fixtures not present")
    from podcap.sources.terraform import load_terraform_plan

    plan = load_terraform_plan(path)
    public = {sid for sid, s in plan.subnets.items() if s.internet_route}
    assert public == {"aws_subnet.web_subnet", "aws_subnet.web_subnet2"}
    assert "aws_route.public_internet_gateway" in plan.subnets["aws_subnet.web_subnet"].internet_route


DEFAULT = CFN.replace("      Subnets: [%(subnets)s]\n", "").replace(
    "ResourcesVpcConfig: {SubnetIds: [!Ref PrivA, !Ref PrivB]}", "ResourcesVpcConfig: {SubnetIds: [%(subnets)s]}")


def _default(tmp_path: Path, cluster_subnets: str, gateway: str = "!Ref Igw", params: str = "") -> tuple[int, dict]:
    p = tmp_path / "fargate-default.yaml"
    p.write_text(DEFAULT.replace("Resources:\n", params + "Resources:\n", 1) % {"subnets": cluster_subnets,
                                                                              "gateway": gateway})
    return _check(p)


def test_no_subnets_takes_the_clusters_private_ones(tmp_path):
    # the cluster is on PubA, PrivA, PrivB; EKS gives the profile the private two: ceil(20 / 2) = 10 pods in
    # each, + ceil(4 / 3) = 2 control-plane ENIs per cluster subnet = 12 at max; PubA gets only the 2
    code, d = _default(tmp_path, "!Ref PubA, !Ref PrivA, !Ref PrivB")
    at_max = {s["subnet"]: s["at_max"] for s in d["subnets"]}
    assert code == 0 and not _pc504(d)
    assert at_max == {"PubA": 2, "PrivA": 12, "PrivB": 12}
    assert any("EKS uses the cluster's private subnets, PrivA, PrivB" in n for n in d["notes"])


def test_no_subnets_and_every_cluster_subnet_public_is_refused(tmp_path):
    code, d = _default(tmp_path, "!Ref PubA")
    assert code == 1 and [f["data"]["subnet"] for f in _pc504(d)] == ["PubA"]


def test_no_subnets_with_an_undecided_route_stays_unknown(tmp_path):
    # PublicRt's gateway is a parameter: whether PubA is public is not in the template, so the profile's
    # subnets stay unknown (PC001), not a guess
    _, d = _default(tmp_path, "!Ref PubA, !Ref PrivA", "!Ref GatewayParam",
                       "Parameters:\n  GatewayParam: {Type: String}\n")
    assert not _pc504(d)
    assert any(f["rule_id"] == "PC001" and f["resource"] == "Fp" and "names no subnets" in f["message"]
               for f in d["findings"])
