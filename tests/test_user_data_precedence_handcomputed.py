"""What a node's user data makes kubelet run, where it and the provisioner disagree, computed by hand and
checked through `podcap check FILES --format json`.

Sources:

* [BOOTSTRAP] awslabs/amazon-eks-ami ``templates/al2/runtime/bootstrap.sh``: unknown arguments go to
  POSITIONAL (there is no --max-pods option); maxPods is written into kubelet-config.json only
  ``if [[ "$USE_MAX_PODS" = "true" ]]``; ``templates/al2/runtime/kubelet-config.json`` has no maxPods, so
  with --use-max-pods false kubelet runs its built-in default, 110.
* [KARPENTER] aws/karpenter-provider-aws ``pkg/providers/amifamily/custom.go`` and
  ``bootstrap/custom.go``: the Custom family passes spec.userData through unchanged and writes no kubelet
  configuration; ``bootstrap/nodeadm.go``: Karpenter's NodeConfig (kubelet.config.maxPods = pods()) comes
  after the user's NodeConfig documents.
* [NODEADM] awslabs/amazon-eks-ami ``nodeadm/internal/api`` NodeConfig merge: kubelet flags are appended,
  config fields overridden by later documents; a kubelet command-line flag beats its config file.

m5.large: 3 ENIs x 10 IPv4, network capacity 3 x (10 - 1) + 2 = 29 pods; t3.micro 2 x (2 - 1) + 2 = 4;
c5.9xlarge 8 x (30 - 1) + 2 = 234. Karpenter's own figure for AL2023 is the ENI-limited one.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

SUBNETS = {
    f"Sub{x}": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": "vpc-0123456789abcdef0", "CidrBlock": cidr, "AvailabilityZone": az,
        "Tags": [{"Key": "karpenter.sh/discovery", "Value": "t"}]}}
    for x, cidr, az in (("A", "10.0.0.0/19", "us-east-1a"), ("B", "10.0.32.0/19", "us-east-1b"))}
CLUSTER = {"Type": "AWS::EKS::Cluster", "Properties": {
    "Name": "t", "RoleArn": "arn:aws:iam::111122223333:role/eks",
    "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubA"}, {"Ref": "SubB"}]}}}


def check(*paths: Path) -> tuple[int, dict]:
    run = cli(["check", *map(str, paths), "--format", "json"]).assert_promise()
    assert run.code in (0, 1), run.err
    return run.code, json.loads(run.out)


def rule_ids(report: dict) -> list[str]:
    return sorted(f["rule_id"] for f in report["findings"])


def test_al2_stray_max_pods_with_use_max_pods_false_runs_kubelets_default(tmp_path):
    # [BOOTSTRAP] `bootstrap.sh t --max-pods=50 --use-max-pods false`: --max-pods=50 is a positional argument
    # (ignored), USE_MAX_PODS=false writes no maxPods, so kubelet runs 110 on an m5.large whose network holds
    # 29: up to 81 pods stuck (PC102, an error). With --use-max-pods left true, bootstrap.sh writes the AMI's
    # 29 and the stray option is a warning (PC001), not an error.
    def template(script: str) -> Path:
        lt = {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "ImageId": "ami-0123456789abcdef0", "UserData": base64.b64encode(script.encode()).decode()}}}
        ng = {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": "arn:aws:iam::111122223333:role/node",
            "Subnets": [{"Ref": "SubA"}, {"Ref": "SubB"}], "InstanceTypes": ["m5.large"],
            "ScalingConfig": {"MinSize": 1, "DesiredSize": 2, "MaxSize": 4}, "LaunchTemplate": {"Id": {"Ref": "Lt"}}}}
        path = tmp_path / "t.json"
        path.write_text(json.dumps({"Resources": {**SUBNETS, "Cluster": CLUSTER, "Lt": lt, "Ng": ng}}))
        return path

    code, report = check(template("#!/bin/bash\n/etc/eks/bootstrap.sh t --max-pods=50 --use-max-pods false\n"))
    assert code == 1 and report["nodegroups"][0]["max_pods"] == 110
    (pc102,) = [f for f in report["findings"] if f["rule_id"] == "PC102"]
    assert "up to 81 pods per node" in pc102["message"]
    code, report = check(template("#!/bin/bash\n/etc/eks/bootstrap.sh t --max-pods=50\n"))
    assert code == 0 and report["nodegroups"][0]["max_pods"] == 29 and rule_ids(report) == ["PC001"]


def karpenter(tmp_path: Path, node_class: dict) -> tuple[Path, Path]:
    vpc = tmp_path / "vpc.json"
    vpc.write_text(json.dumps({"Resources": {**SUBNETS, "Cluster": CLUSTER}}))
    pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "p"}, "spec": {
        "limits": {"nodes": "4"}, "template": {"spec": {
            "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                              "values": ["m5.large", "c5.9xlarge", "t3.micro"]}],
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "nc"}}}}}
    nc = {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "nc"}, "spec": {
        "role": "r", "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "t"}}],
        "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "t"}}], **node_class}}
    manifests = tmp_path / "karpenter.json"
    manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [pool, nc]}))
    return vpc, manifests


NODECONFIG_MAXPODS_80 = ("apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n"
                         "    config:\n      maxPods: 80\n")
NODECONFIG_FLAG_80 = ("apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n"
                      "    flags:\n      - --max-pods=80\n")


def test_karpenter_custom_family_user_data_decides(tmp_path):
    # [KARPENTER] Custom: the NodeConfig's maxPods 80 reaches the node unchanged: 80 on every type, against
    # 29 on m5.large (51 stuck) and 4 on t3.micro (76 stuck): two PC102 errors.
    code, report = check(*karpenter(tmp_path, {
        "amiFamily": "Custom", "amiSelectorTerms": [{"id": "ami-0123456789abcdef0"}],
        "userData": NODECONFIG_MAXPODS_80}))
    assert code == 1 and report["nodegroups"][0]["max_pods"] == 80
    stuck = sorted(f["message"].split("up to ")[1].split(" pods")[0] for f in report["findings"]
                   if f["rule_id"] == "PC102")
    assert stuck == ["51", "76"]


def test_karpenter_custom_family_without_user_data_is_not_known(tmp_path):
    # spec.kubelet.maxPods 50 feeds Karpenter's scheduling only; the custom AMI decides the node's figure,
    # which no input states: PC001 says so (Karpenter's 50 is assumed for the figures).
    _, report = check(*karpenter(tmp_path, {
        "amiFamily": "Custom", "amiSelectorTerms": [{"id": "ami-0123456789abcdef0"}], "kubelet": {"maxPods": 50}}))
    assert any(f["rule_id"] == "PC001" and "Custom AMI family without userData" in f["message"]
               for f in report["findings"])


def test_karpenter_al2023_flag_beats_karpenters_config_but_config_does_not(tmp_path):
    # [NODEADM] A kubelet.flags --max-pods=80 survives the merge with Karpenter's later NodeConfig and beats
    # its kubelet.config.maxPods: 80 (PC102 on m5.large and t3.micro). The same value as kubelet.config is
    # overridden by Karpenter's: t3.micro's ENI-limited 4 is the pool's smallest, no finding.
    alias = {"amiSelectorTerms": [{"alias": "al2023@latest"}]}
    code, report = check(*karpenter(tmp_path, {**alias, "userData": NODECONFIG_FLAG_80}))
    assert code == 1 and report["nodegroups"][0]["max_pods"] == 80
    assert rule_ids(report).count("PC102") == 2
    code, report = check(*karpenter(tmp_path, {**alias, "userData": NODECONFIG_MAXPODS_80}))
    assert code == 0 and report["nodegroups"][0]["max_pods"] == 4 and rule_ids(report) == []


def test_karpenter_al2023_flag_that_is_no_number_is_reported(tmp_path):
    # --max-pods=abc in kubelet.flags would beat Karpenter's maxPods, but kubelet cannot read it: PC001
    flags = NODECONFIG_FLAG_80.replace("--max-pods=80", "--max-pods=abc")
    _, report = check(*karpenter(tmp_path, {"amiSelectorTerms": [{"alias": "al2023@latest"}], "userData": flags}))
    assert any(f["rule_id"] == "PC001" and "'abc' is not a number of pods" in f["message"] for f in report["findings"])
