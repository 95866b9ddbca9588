"""Kubernetes manifests as an input kind: detection, multi-document YAML, and several paths making one plan
(``podcap check vpc.yaml karpenter.yaml``)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from podcap.check import CheckOptions, detect_kind, run_check
from podcap.report.json_report import report
from podcap.report.text import render
from podcap.sources.manifests import load_manifests, looks_like_manifest, read_objects
from podcap.sources.safe_yaml import InputError

DATA = Path(__file__).parent / "data" / "k8s"

VPC = """version: 1
name: demo
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, cidr: 10.0.0.0/24, az: us-east-1a}
  - {name: b, cidr: 10.0.1.0/24, az: us-east-1b}
cluster: {subnets: [a, b]}
"""

POOL = """# a Karpenter pool of m5.large in a and b
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  limits: {cpu: 8}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  amiFamily: AL2023
  subnetSelectorTerms: [{id: a}, {id: b}]
"""


def test_detection(tmp_path):
    for f in DATA.glob("*.yaml"):
        assert detect_kind(str(f)) == "kubernetes", f.name
    j = tmp_path / "pool.json"
    j.write_text(json.dumps({"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
                             "metadata": {"name": "us-east-1a"}, "spec": {"subnet": "subnet-1"}}))
    assert detect_kind(str(j)) == "kubernetes"
    assert not looks_like_manifest("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n")
    assert not looks_like_manifest("Resources: {}\n")


def test_multi_document_files_read_every_object(tmp_path):
    objs = read_objects(str(DATA / "karpenter-v1-general-purpose.yaml"))
    assert [o["kind"] for o in objs] == ["NodePool", "EC2NodeClass"]
    empty = tmp_path / "empty.yaml"
    empty.write_text("apiVersion: v1\n---\n")
    with pytest.raises(InputError, match="no Kubernetes object"):
        load_manifests(str(empty))
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: [\n")
    with pytest.raises(InputError, match="bad.yaml"):
        read_objects(str(bad))


def test_vpc_and_karpenter_make_one_plan(tmp_path):
    """limits.cpu 8 / 2 vCPUs = 4 m5.large nodes, all of which may land in either AZ (Karpenter does not
    balance zones). m5.large: 29 max pods, 27 address pods on 3 ENIs x 10 = 30 addresses; 4 x 30 = 120, + 2
    control-plane ENIs (4 over 2 subnets) = 122 in each subnet."""
    (tmp_path / "vpc.yaml").write_text(VPC)
    (tmp_path / "karpenter.yaml").write_text(POOL)
    result, _ = run_check(CheckOptions(paths=[str(tmp_path / "vpc.yaml"), str(tmp_path / "karpenter.yaml")]))
    assert result.inputs == [str(tmp_path / "vpc.yaml"), str(tmp_path / "karpenter.yaml")]
    at_max = {s.subnet: s.at_max for s in result.subnets}
    assert at_max == {"a": 122, "b": 122}
    doc = report(result)
    assert doc["summary"]["checked"] == {"clusters": 1, "nodegroups": 0, "node_pools": 1,
                                         "fargate_profiles": 0, "subnets": 2}


def test_manifest_alone_says_what_it_cannot_know(tmp_path):
    (tmp_path / "karpenter.yaml").write_text(POOL)
    result, _ = run_check(CheckOptions(paths=[str(tmp_path / "karpenter.yaml")]))
    msgs = [f.message for f in result.findings if f.rule_id == "PC001"]
    assert any(m.startswith("a: CIDR of subnet a") and "--live" in m for m in msgs)


def test_nothing_to_check(tmp_path):
    vpc_only = tmp_path / "vpc-only.yaml"
    vpc_only.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        "  Vpc: {Type: 'AWS::EC2::VPC', Properties: {CidrBlock: 10.0.0.0/16}}\n"
        "  SubnetA: {Type: 'AWS::EC2::Subnet', Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, "
        "AvailabilityZone: us-east-1a}}\n")
    result, strict = run_check(CheckOptions(paths=[str(vpc_only)]))
    text = " ".join(render(result).split())  # the report wraps long lines
    assert "nothing to check" in text and "found: 1 VPC(s), 1 subnet(s)" in text
    assert result.exit_code(strict) == 0
    assert report(result)["summary"]["checked"] == {"clusters": 0, "nodegroups": 0, "node_pools": 0,
                                                    "fargate_profiles": 0, "subnets": 1}


def test_json_report_validates_against_the_schema(tmp_path):
    from jsonschema import Draft202012Validator

    (tmp_path / "vpc.yaml").write_text(VPC)
    (tmp_path / "karpenter.yaml").write_text(POOL)
    result, _ = run_check(CheckOptions(paths=[str(tmp_path / "vpc.yaml"), str(tmp_path / "karpenter.yaml")]))
    schema = json.loads((Path(__file__).parents[1] / "validators" / "schemas" / "report.schema.json").read_text())
    Draft202012Validator(schema).validate(report(result))
