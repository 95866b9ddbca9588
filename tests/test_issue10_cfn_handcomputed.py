"""Issue 10 (and issue 12, section 3) on the CloudFormation / CDK side, computed by hand from AWS's own sources and
checked only through podcap's documented contracts: ``podcap check FILE --format json`` (docs/report-json.md,
``summary.checked``), docs/node-pools.md, docs/auto-mode.md, docs/spec.md (``.podcap.yaml`` ``demand:``).

Sources (each case names the one it uses):

* [VPC-RES] Amazon VPC user guide, "Subnet CIDR blocks": the first four addresses and the last one of every
  subnet are reserved: usable = 2^(32 - prefix) - 5.
* [EKS-NET] EKS user guide, network-reqs.html: EKS creates 2 to 4 cross-account ENIs in the cluster's subnets;
  podcap counts the worst case, 4 spread over the cluster subnets: ceil(4 / n) each. The tests put the cluster
  in two /28s of its own where the figure under test is another consumer's alone (2 each there).
* [EKS-FARGATE] EKS user guide fargate.html / fargate-pod-configuration.html: each Fargate pod runs in its own
  micro-VM with its own ENI: one VPC address per pod, no warm pool; CreateFargateProfile takes private subnets.
* [EKS-AUTO] EKS user guide auto-networking.html ("Network Resource Management": /28 prefixes on the primary
  ENI, fall back to secondary IPs), create-node-class.html ("EKS limits the maximum number of pods on a node
  to 110 ... applied after the existing max pods calculation"), set-builtin-node-pools.html (``system`` and
  ``general-purpose``), automode-learn-instances.html (C/M/R, generation 5+). The default NodeClass puts nodes
  in the cluster's subnets.
* [KARP] aws/karpenter-provider-aws ``pkg/providers/instancetype/types.go`` ``pods()``: ENILimitedPods =
  ENIs x (IPv4 per ENI - 1) + 2 (Bottlerocket / AL2023; reserved ENIs 0) - Karpenter does not model custom
  networking, so the kubelet figure stays 29 on an m5.large; NodePool ``limits.cpu`` / smallest type's vCPUs.
* [IPAMD] aws/amazon-vpc-cni-k8s ``pkg/ipamd/ipamd.go`` and docs/eni-and-ip-target.md: WARM_IP_TARGET keeps that
  many free secondary IPs (ENIs attached as needed, each ENI's primary address also taken from the subnet);
  custom networking (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG) moves pod ENIs to the ENIConfig's subnet and leaves
  the primary ENI without pods: max pods (ENIs - 1) x (IPv4 per ENI - 1) + 2.
* [MNG] EKS user guide choosing-instance-type.html (max-pods calculator): m5.large 29, 20 with custom networking.
* [CFN-FOREACH] CloudFormation template reference, intrinsic-function-reference-foreach.html: ``${Identifier}``
  and ``&{Identifier}`` (non-alphanumerics dropped) are replaced in OutputKey and OutputValue; the collection may
  be a Ref to a CommaDelimitedList. intrinsic-function-reference-foreach-example-outputs.html uses
  ``Fn::GetAtt: [{Fn::Sub: "S3Bucket${Identifier}"}, ...]`` inside a loop.
* [CDK-EKS] aws/aws-cdk ``packages/aws-cdk-lib/aws-eks/lib``: ``Custom::AWSCDK-EKS-Cluster`` ``Config`` is the
  CreateCluster request (``resourcesVpcConfig.subnetIds``); ``Custom::AWSCDK-EKS-KubernetesResource``
  ``Manifest`` a JSON array string (Fn::Join around tokens); ``Custom::AWSCDK-EKS-KubernetesPatch``
  ``ResourceName`` / ``ResourceNamespace`` / ``ApplyPatchJson`` / ``PatchType`` (``strategic`` by default);
  ``FargateProfile`` with a ``vpc`` passes the VPC's private subnets, and ``Cluster`` puts the control plane in
  the public and private subnets by default.
* [EC2-CIDR] EC2 CreateSubnet / CloudFormation AWS::EC2::Subnet CidrBlock: a block with host bits is rejected.

Instance facts (EC2 DescribeInstanceTypes): m5.large 2 vCPUs, 3 ENIs x 10 IPv4.
"""
from __future__ import annotations

import codecs
import copy
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

DATA = Path(__file__).resolve().parent / "data" / "issue10-cfn"
VPC = "vpc-0123456789abcdef0"
ROLE = "arn:aws:iam::111122223333:role/"


# --------------------------------------------------------------------------------------------- helpers


def run(*args: str) -> tuple[int, dict, str]:
    r = cli(["check", *args, "--format", "json"]).assert_promise()
    return r.code, (json.loads(r.out) if r.out.strip().startswith("{") else {}), r.err


def check(path: Path, *extra: str) -> dict:
    code, rep, err = run(str(path), *extra)
    assert code in (0, 1), err
    return rep


def write(tmp_path: Path, name: str, doc: dict | str) -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=1))
    return p


def findings(rep: dict, rule: str | None = None, resource: str | None = None) -> list[dict]:
    return [f for f in rep["findings"]
            if (rule is None or f["rule_id"] == rule) and (resource is None or f["resource"] == resource)]


def sub(rep: dict, name: str) -> dict:
    (s,) = [s for s in rep["subnets"] if s["subnet"] == name]
    return s


def ng(rep: dict, name: str) -> dict:
    (g,) = [g for g in rep["nodegroups"] if g["name"] == name]
    return g


def subnet(cidr: str, az: str, tags: dict | None = None) -> dict:
    props: dict = {"VpcId": VPC, "CidrBlock": cidr, "AvailabilityZone": az}
    if tags:
        props["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return {"Type": "AWS::EC2::Subnet", "Properties": props}


def base(cluster_type: str = "AWS::EKS::Cluster") -> dict:
    """Two /28 control-plane subnets (11 usable each [VPC-RES]; 2 control-plane ENIs each [EKS-NET])."""
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "CpA": subnet("10.0.100.0/28", "us-east-1a"),
        "CpB": subnet("10.0.100.16/28", "us-east-1b"),
        "Cluster": {"Type": cluster_type, "Properties": {
            "Name": "demo", "RoleArn": ROLE + "eks",
            "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "CpA"}, {"Ref": "CpB"}]}}},
    }}


def fargate(doc: dict, pods: int | None, subnets: list[str], name: str = "Jobs") -> dict:
    res: dict = {"Type": "AWS::EKS::FargateProfile", "Properties": {
        "ClusterName": {"Ref": "Cluster"}, "PodExecutionRoleArn": ROLE + "fargate",
        "Subnets": [{"Ref": s} for s in subnets], "Selectors": [{"Namespace": "jobs"}]}}
    if pods is not None:
        res["Metadata"] = {"podcap": {"pods": pods}}
    doc["Resources"][name] = res
    return doc


def fargate_doc(pods: int | None, cluster_type: str = "AWS::EKS::Cluster") -> dict:
    doc = base(cluster_type)
    doc["Resources"].update({"FgA": subnet("10.0.0.0/25", "us-east-1a"),
                             "FgB": subnet("10.0.0.128/25", "us-east-1b"),
                             "FgC": subnet("10.0.1.0/26", "us-east-1c")})
    return fargate(doc, pods, ["FgA", "FgB", "FgC"])


# ------------------------------------------------------------------------------------------- Fargate


@pytest.mark.parametrize("cluster_type", ["AWS::EKS::Cluster", "AWSQS::EKS::Cluster"])
def test_fargate_profile_pods_spread_evenly_one_address_each(tmp_path, cluster_type):
    rep = check(write(tmp_path, "fg.json", fargate_doc(200, cluster_type)))
    # the Quick Start's AWSQS::EKS::Cluster mirrors AWS::EKS::Cluster: both read as the cluster
    assert rep["summary"]["checked"] == {"clusters": 1, "nodegroups": 0, "node_pools": 0, "fargate_profiles": 1,
                                         "subnets": 5}
    # [EKS-FARGATE] 200 pods over 3 subnets: ceil(200 / 3) = 67 addresses each, no warm pool, no /28 prefixes
    per = math.ceil(200 / 3)
    assert per == 67
    for name, usable in (("FgA", 128 - 5), ("FgB", 128 - 5), ("FgC", 64 - 5)):  # [VPC-RES] /25: 123, /26: 59
        s = sub(rep, name)
        assert (s["usable"], s["at_min"], s["at_desired"], s["at_max"]) == (usable, per, per, per)
        assert s["prefix_blocks_at_max"] == 0
        assert s["nodegroups"] == ["Jobs"]
    # [EKS-NET] the cluster's two /28s: ceil(4 / 2) = 2 control-plane addresses each, nothing else
    assert sub(rep, "CpA")["at_max"] == sub(rep, "CpB")["at_max"] == 2
    # 67 > 59 in the /26 only: one PC201, short by 67 - 59 = 8
    (f,) = findings(rep, "PC201")
    assert f["resource"] == "FgC" and f["data"]["shortfall"] == 8 and f["data"]["at_max"] == 67


def test_fargate_profile_without_pods_is_pc001_naming_the_key(tmp_path):
    rep = check(write(tmp_path, "fg.json", fargate_doc(None)))
    (f,) = findings(rep, "PC001", "Jobs")
    assert "Metadata.podcap.pods" in f["message"]
    # never a pass: the profile's subnets have unknown figures, not 0
    for name in ("FgA", "FgB", "FgC"):
        assert sub(rep, name)["at_max"] is None
    assert rep["summary"]["checked"]["fargate_profiles"] == 1


def test_fargate_pods_from_podcap_yaml_demand(tmp_path):
    cfg = write(tmp_path, "demand.yaml", "demand:\n  - {resource: Jobs, pods: 90}\n")
    rep = check(write(tmp_path, "fg.json", fargate_doc(None)), "--config", str(cfg))
    # [EKS-FARGATE] 90 pods / 3 subnets = 30 addresses each; 30 <= 59: no finding
    for name in ("FgA", "FgB", "FgC"):
        assert sub(rep, name)["at_max"] == 30
    assert not findings(rep, "PC001") and not findings(rep, "PC201")
    assert any("90 pods" in n for n in rep["notes"])


def test_fargate_demand_entry_never_overrides_the_template(tmp_path):
    cfg = write(tmp_path, "demand.yaml", "demand:\n  - {resource: Jobs, pods: 9}\n")
    rep = check(write(tmp_path, "fg.json", fargate_doc(120)), "--config", str(cfg))
    # the template states 120: 120 / 3 = 40 each; the demand entry (9 -> 3 each) is not used
    assert sub(rep, "FgA")["at_max"] == 40


def test_quickstart_cluster_node_group_without_instance_types(tmp_path):
    doc = base("AWSQS::EKS::Cluster")
    doc["Resources"]["NodesA"] = subnet("10.0.0.0/24", "us-east-1a")
    for name, extra, size in (("Ng", {}, 3), ("NgArm", {"AmiType": "AL2023_ARM_64_STANDARD"}, 1)):
        doc["Resources"][name] = {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": ROLE + "node", "Subnets": [{"Ref": "NodesA"}],
            "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": size}, **extra}}
    rep = check(write(tmp_path, "t.json", doc))
    # EKS API CreateNodegroup instanceTypes: "If you don't specify an instance type in a launch template or for
    # instanceTypes, then t3.medium is used, by default" (an x86_64 type)
    g = ng(rep, "Ng")
    assert g["instance_types"] == ["t3.medium"]
    # [MNG] t3.medium 3 ENIs x 6 IPv4: 3 x 5 + 2 = 17 max pods; 15 pods fill all 3 ENIs: 3 x 6 = 18 addresses
    assert (g["max_pods"], g["addresses_per_node"]) == (17, 18)
    # an ARM AMI type cannot run t3.medium and EKS documents no ARM default: Unknown -> PC001, subnet unknown
    assert findings(rep, "PC001", "NgArm")
    assert sub(rep, "NodesA")["at_max"] is None


# ------------------------------------------------------------------------------------- EKS Auto Mode


def auto_doc(pools: list[str], max_nodes: int | None) -> dict:
    doc = {"Resources": {
        "SubA": subnet("10.0.0.0/24", "us-east-1a"),
        "SubB": subnet("10.0.1.0/24", "us-east-1b"),
        "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "auto", "RoleArn": ROLE + "eks",
            "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubA"}, {"Ref": "SubB"}]},
            "ComputeConfig": {"Enabled": True, "NodePools": pools, "NodeRoleArn": ROLE + "node"},
            "KubernetesNetworkConfig": {"ElasticLoadBalancing": {"Enabled": True}},
            "StorageConfig": {"BlockStorage": {"Enabled": True}}}}}}
    if max_nodes is not None:
        doc["Resources"]["Cluster"]["Metadata"] = {"podcap": {"max_nodes": max_nodes}}
    return doc


def test_auto_mode_builtin_pools_with_max_nodes_metadata(tmp_path):
    rep = check(write(tmp_path, "auto.json", auto_doc(["general-purpose", "system"], 4)))
    assert rep["summary"]["checked"] == {"clusters": 1, "nodegroups": 0, "node_pools": 2, "fargate_profiles": 0,
                                         "subnets": 2}
    for pool in ("Cluster/general-purpose", "Cluster/system"):
        g = ng(rep, pool)
        assert (g["min_size"], g["max_size"]) == (0, 4)
        # [EKS-AUTO][KARP] the smallest candidate, c5.large (3 ENIs x 10 IPv4): 3 x 9 + 2 = 29 pods
        assert g["max_pods"] == 29
        # the worst candidate is capped at 110 pods: prefix delegation, ceil(110 / 16) = 7 /28s (112 >= 110)
        # plus the node's primary address: 1 + 7 x 16 = 113 addresses per node
        assert g["addresses_per_node"] == 1 + 7 * 16 == 113
    for name in ("SubA", "SubB"):
        s = sub(rep, name)
        # nodes are not balanced over AZs: each AZ's subnet takes all 4 nodes of each pool;
        # 2 pools x 4 x 113 = 904, + ceil(4 / 2) = 2 control-plane addresses [EKS-NET] = 906 > 251
        assert (s["usable"], s["at_max"]) == (251, 2 * 4 * 113 + 2) == (251, 906)
        # at min (0 nodes) only the control plane
        assert s["at_min"] == 2
        # 2 x 4 x 7 = 56 /28s; a /24 holds 16 aligned /28s, the first (.0-.3) and last (.255) AWS-reserved: 14
        assert (s["prefix_blocks_at_max"], s["free_prefix_blocks"]) == (56, 14)
    assert sorted(f["resource"] for f in findings(rep, "PC201")) == ["SubA", "SubB"]
    assert sorted(f["resource"] for f in findings(rep, "PC204")) == ["SubA", "SubB"]


def test_auto_mode_builtin_pool_without_a_bound_is_pc001(tmp_path):
    rep = check(write(tmp_path, "auto.json", auto_doc(["system"], None)))
    pc001 = findings(rep, "PC001", "Cluster/system")
    assert pc001 and all("max_nodes" in f["message"] for f in pc001)
    # never a pass: the node subnets' figures at max are unknown, at min (no nodes) 2 control-plane addresses
    assert sub(rep, "SubA")["at_max"] is None and sub(rep, "SubA")["at_min"] == 2


def test_auto_mode_bound_from_podcap_yaml_demand(tmp_path):
    cfg = write(tmp_path, "demand.yaml", "demand:\n  - {resource: Cluster/system, max_nodes: 2}\n")
    rep = check(write(tmp_path, "auto.json", auto_doc(["system"], None)), "--config", str(cfg))
    assert not findings(rep, "PC001")
    s = sub(rep, "SubA")
    # 2 nodes x 113 (see above) + 2 control plane = 228 <= 251; 2 x 7 = 14 /28s needed, 14 free
    assert (s["at_max"], s["prefix_blocks_at_max"], s["free_prefix_blocks"]) == (228, 14, 14)
    assert not findings(rep, "PC201") and not findings(rep, "PC204")


def test_auto_mode_pool_is_not_judged_as_a_managed_node_group_update(tmp_path):
    cfg = write(tmp_path, "demand.yaml", "demand:\n  - {resource: Cluster/system, max_nodes: 2}\n")
    rep = check(write(tmp_path, "auto.json", auto_doc(["system"], None)), "--config", str(cfg))
    # a drift replacement of 1 node (ceil(10% x 2)) at 113 addresses: 228 + 113 = 341 > 251 is a fair warning,
    # but not "a surge of 4 nodes" of a managed node group update
    for f in findings(rep, "PC202"):
        assert "surge of 4 nodes" not in f["message"], f["message"]
    # [KARP] kubernetes-sigs/karpenter nodepool.go Budget.GetAllowedDisruptions: 10% of 2 nodes rounded up = 1;
    # the pool is not balanced over AZs, so either AZ may take the replacement: 2 + 1 = 3 nodes x 113 + 2 = 341
    got = sorted((f["resource"], f["data"]["surge"], f["data"]["need"]) for f in findings(rep, "PC202"))
    assert got == [("SubA", 1, 3 * 113 + 2), ("SubB", 1, 3 * 113 + 2)] == [("SubA", 1, 341), ("SubB", 1, 341)]


def test_auto_mode_cluster_with_a_fargate_profile_in_two_28s(tmp_path):
    # the issue's example ("No findings", exit 0 before): Auto Mode and Fargate both in the cluster's two /28s
    doc = auto_doc(["system"], 1)
    doc["Resources"]["SubA"]["Properties"]["CidrBlock"] = "10.0.0.0/28"
    doc["Resources"]["SubB"]["Properties"]["CidrBlock"] = "10.0.0.16/28"
    fargate(doc, 20, ["SubA", "SubB"])
    code, rep, _ = run(str(write(tmp_path, "t.json", doc)))
    assert code == 1
    for name in ("SubA", "SubB"):
        s = sub(rep, name)
        # [EKS-FARGATE] 20 / 2 = 10; [EKS-NET] 2; [EKS-AUTO] the one system node in each AZ: 113 -> 125 of 11
        assert (s["usable"], s["at_min"], s["at_max"]) == (11, 10 + 2, 113 + 10 + 2)
        # a /28 subnet's only aligned /28 holds the 5 AWS-reserved addresses: 0 free, 7 needed
        assert (s["free_prefix_blocks"], s["prefix_blocks_at_max"]) == (0, 7)
    assert sorted(f["resource"] for f in findings(rep, "PC201")) == ["SubA", "SubB"]
    assert sorted(f["resource"] for f in findings(rep, "PC204")) == ["SubA", "SubB"]


def auto_custom_pool_doc() -> dict:
    """An Auto Mode cluster without built-in pools, and a custom NodePool + NodeClass (the shapes of
    create-node-pool.html / create-node-class.html) in a CDK manifest resource: nodes in the subnet tagged
    tier=nodes, pods in the one tagged tier=pods (podSubnetSelectorTerms)."""
    doc = auto_doc([], None)
    doc["Resources"]["NodesA"] = subnet("10.0.8.0/24", "us-east-1a", {"tier": "nodes"})
    doc["Resources"]["PodsA"] = subnet("10.0.64.0/22", "us-east-1a", {"tier": "pods"})
    objs = [{"apiVersion": "eks.amazonaws.com/v1", "kind": "NodeClass", "metadata": {"name": "private"},
             "spec": {"role": "AmazonEKSAutoNodeRole", "subnetSelectorTerms": [{"tags": {"tier": "nodes"}}],
                      "securityGroupSelectorTerms": [{"tags": {"kubernetes.io/cluster/auto": "owned"}}],
                      "podSubnetSelectorTerms": [{"tags": {"tier": "pods"}}],
                      "podSecurityGroupSelectorTerms": [{"tags": {"tier": "pods"}}]}},
            {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "apps"},
             "spec": {"template": {"spec": {
                 "nodeClassRef": {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": "private"},
                 "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                   "values": ["m5.large"]}]}},
                 "limits": {"cpu": "10"}}}]
    doc["Resources"]["Pool"] = {"Type": "Custom::AWSCDK-EKS-KubernetesResource", "Properties": {
        "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:kubectl", "Manifest": json.dumps(objs),
        "ClusterName": {"Ref": "Cluster"}}}
    return doc


def test_auto_mode_custom_pool_with_pod_subnets_figures(tmp_path):
    rep = check(write(tmp_path, "t.json", auto_custom_pool_doc()))
    g = ng(rep, "apps")
    # [KARP] limits.cpu 10 / 2 vCPUs = 5 nodes; [EKS-AUTO] max pods ENI-limited 3 x 9 + 2 = 29 (< 110)
    assert (g["max_size"], g["max_pods"]) == (5, 29)
    # pods in the pod subnet (the primary ENI holds none): prefix delegation, 27 pods -> 2 /28s (32 >= 29) on a
    # pod-subnet ENI + its primary address = 33 there, + the node's own address in NodesA = 34 per node;
    # prefix capacity (3 - 1) x 9 x 16 + 2 = 290
    assert (g["network_max_pods"], g["addresses_per_node"]) == (290, 34)
    # not balanced over AZs (one AZ here anyway): NodesA 5 x 1 = 5; PodsA 5 x 33 = 165 of 1024 - 5 = 1019,
    # 5 x 2 = 10 /28s
    assert sub(rep, "NodesA")["at_max"] == 5
    pods = sub(rep, "PodsA")
    assert (pods["usable"], pods["at_max"], pods["prefix_blocks_at_max"]) == (1019, 165, 10)
    # the cluster's own subnets: the control plane only
    assert sub(rep, "SubA")["at_max"] == 2


def test_auto_mode_pod_subnets_need_no_eniconfig(tmp_path):
    code, rep, _ = run(str(write(tmp_path, "t.json", auto_custom_pool_doc())))
    assert not findings(rep, "PC301"), [f["message"] for f in findings(rep, "PC301")]
    assert code == 0  # 165 <= 1019 and 5 <= 251: nothing else to report


def test_auto_mode_pod_subnet_role_is_pods(tmp_path):
    rep = check(write(tmp_path, "t.json", auto_custom_pool_doc()))
    assert sub(rep, "PodsA")["role"] == "pods"


# ------------------------------------------------------------------------------------- Fn::ForEach


FOREACH = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::LanguageExtensions
Parameters:
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
Mappings:
  Cidrs:
    a: {Block: 10.0.0.0/28, Az: us-east-1a}
    b: {Block: 10.0.0.16/28, Az: us-east-1b}
Resources:
  CpA: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-0123456789abcdef0, CidrBlock: 10.0.100.0/28,
                                             AvailabilityZone: us-east-1a}}
  CpB: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-0123456789abcdef0, CidrBlock: 10.0.100.16/28,
                                             AvailabilityZone: us-east-1b}}
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: fe
      RoleArn: arn:aws:iam::111122223333:role/eks
      ResourcesVpcConfig: {SubnetIds: [!Ref CpA, !Ref CpB]}
  Fn::ForEach::Zones:
    - Zone
    - !Ref Zones
    - Subnet${Zone}:
        Type: AWS::EC2::Subnet
        Properties:
          VpcId: vpc-0123456789abcdef0
          CidrBlock: !FindInMap [Cidrs, !Ref Zone, Block]
          AvailabilityZone: !FindInMap [Cidrs, !Ref Zone, Az]
      Group${Zone}:
        Type: AWS::EKS::Nodegroup
        Properties:
          ClusterName: !Ref Cluster
          NodeRole: arn:aws:iam::111122223333:role/node
          Subnets: [SUBNET_REF]
          InstanceTypes: [m5.large]
          ScalingConfig: {MinSize: 1, DesiredSize: 1, MaxSize: 100}
"""


def _foreach_figures(rep: dict) -> None:
    # [CFN-FOREACH] Zones a, b -> Subneta / Subnetb and Groupa / Groupb
    assert rep["summary"]["checked"]["subnets"] == 4 and rep["summary"]["checked"]["nodegroups"] == 2
    for z, cidr in (("a", "10.0.0.0/28"), ("b", "10.0.0.16/28")):
        s = sub(rep, f"Subnet{z}")
        assert s["cidr"] == cidr and s["nodegroups"] == [f"Group{z}"]
        # [MNG][IPAMD] m5.large, secondary IPs, WARM_ENI_TARGET=1: 3 ENIs x 10 = 30 addresses per node;
        # 100 nodes x 30 = 3000 at max, 1 x 30 at min; a /28 has 16 - 5 = 11 usable
        assert (s["usable"], s["at_min"], s["at_max"]) == (11, 30, 3000)
    assert sorted(f["resource"] for f in findings(rep, "PC201")) == ["Subneta", "Subnetb"]


def test_for_each_subnets_and_node_groups_ref_sub(tmp_path):
    # Ref of a Fn::Sub naming the loop's subnet (a form AWS::LanguageExtensions resolves)
    rep = check(write(tmp_path, "fe.yaml", FOREACH.replace("SUBNET_REF", '{Ref: !Sub "Subnet${Zone}"}')))
    _foreach_figures(rep)


def test_for_each_getatt_of_a_sub_logical_id(tmp_path):
    rep = check(write(tmp_path, "fe.yaml", FOREACH.replace("SUBNET_REF",
                                                           '!GetAtt [!Sub "Subnet${Zone}", SubnetId]')))
    _foreach_figures(rep)


def test_for_each_ampersand_key_drops_non_alphanumerics(tmp_path):
    doc = """\
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Blocks:
    - Cidr
    - [10.0.0.0/28, 10.0.0.16/28]
    - Subnet&{Cidr}:
        Type: AWS::EC2::Subnet
        Properties: {VpcId: vpc-0123456789abcdef0, CidrBlock: !Ref Cidr, AvailabilityZone: us-east-1a}
"""
    rep = check(write(tmp_path, "fe.yaml", doc))
    # [CFN-FOREACH] &{Cidr} of 10.0.0.0/28 -> "1000028", of 10.0.0.16/28 -> "10001628"
    assert {s["subnet"]: s["cidr"] for s in rep["subnets"]} == {"Subnet1000028": "10.0.0.0/28",
                                                                "Subnet10001628": "10.0.0.16/28"}
    # no EKS at all: nothing to check, exit 0
    assert rep["summary"]["checked"] == {"clusters": 0, "nodegroups": 0, "node_pools": 0, "fargate_profiles": 0,
                                         "subnets": 2}


def test_nested_for_each_makes_every_zone_and_tier(tmp_path):
    doc = """\
Transform: AWS::LanguageExtensions
Mappings:
  Cidrs:
    a: {Nodes: 10.0.0.0/24, Pods: 10.0.64.0/20}
    b: {Nodes: 10.0.1.0/24, Pods: 10.0.80.0/20}
Resources:
  Fn::ForEach::Zones:
    - Zone
    - [a, b]
    - Fn::ForEach::Tiers:
        - Tier
        - [Nodes, Pods]
        - ${Tier}${Zone}:
            Type: AWS::EC2::Subnet
            Properties:
              VpcId: vpc-0123456789abcdef0
              CidrBlock: !FindInMap [Cidrs, !Ref Zone, !Ref Tier]
              AvailabilityZone: !Sub "us-east-1${Zone}"
"""
    rep = check(write(tmp_path, "nest.yaml", doc))
    # [CFN-FOREACH] 2 zones x 2 tiers = 4 subnets; [VPC-RES] /24: 251, /20: 4096 - 5 = 4091
    got = {s["subnet"]: (s["cidr"], s["az"], s["usable"]) for s in rep["subnets"]}
    assert got == {"Nodesa": ("10.0.0.0/24", "us-east-1a", 251), "Podsa": ("10.0.64.0/20", "us-east-1a", 4091),
                   "Nodesb": ("10.0.1.0/24", "us-east-1b", 251), "Podsb": ("10.0.80.0/20", "us-east-1b", 4091)}


def test_for_each_over_a_parameter_without_default_is_pc001(tmp_path):
    text = FOREACH.replace('Zones: {Type: CommaDelimitedList, Default: "a,b"}', "Zones: {Type: CommaDelimitedList}")
    rep = check(write(tmp_path, "fe.yaml", text.replace("SUBNET_REF", '{Ref: !Sub "Subnet${Zone}"}')))
    # the collection is unknown: what the loop makes cannot be told -> PC001, never "No findings"
    assert findings(rep, "PC001")
    code, _, _ = run(str(tmp_path / "fe.yaml"), "--strict")
    assert code == 1


# --------------------------------------------------------------------------- CDK aws-eks custom resources


ENICONFIG_HEAD = ('[{"apiVersion":"crd.k8s.amazonaws.com/v1alpha1","kind":"ENIConfig","metadata":{"name":'
                  '"us-east-1a"},"spec":{"subnet":"')
ENICONFIG_TAIL = '","securityGroups":["sg-0123456789abcdef0"]}}]'
AWS_NODE_PATCH = json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": [
    {"name": "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "value": "true"},
    {"name": "ENI_CONFIG_LABEL_DEF", "value": "topology.kubernetes.io/zone"},
    {"name": "WARM_IP_TARGET", "value": "5"}]}]}}}})
KARPENTER = [
    {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
     "spec": {"template": {"spec": {
         "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m5.large"]}],
         "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}}},
         "limits": {"cpu": "8"}}},
    {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
     "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}], "role": "KarpenterNodeRole",
              "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "__CLUSTER__"}}],
              "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}]}},
]


def cdk_doc(karpenter_limits: dict | None = None, with_karpenter: bool = True) -> dict:
    """The resources an aws_eks.Cluster app synthesizes, written by hand in [CDK-EKS]'s shapes."""
    kubectl = "arn:aws:lambda:us-east-1:111122223333:function:kubectl"
    res = {
        "CpA": subnet("10.0.100.0/28", "us-east-1a"),
        "CpB": subnet("10.0.100.16/28", "us-east-1b"),
        "NodesA": subnet("10.0.0.0/24", "us-east-1a", {"karpenter.sh/discovery": "demo"}),
        "PodsA": subnet("10.0.64.0/22", "us-east-1a"),
        "Cluster": {"Type": "Custom::AWSCDK-EKS-Cluster", "Properties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:provider",
            "Config": {"name": "demo", "roleArn": ROLE + "eks", "version": "1.33",
                       "resourcesVpcConfig": {"subnetIds": [{"Ref": "CpA"}, {"Ref": "CpB"}],
                                              "endpointPublicAccess": True, "endpointPrivateAccess": True},
                       "kubernetesNetworkConfig": {"ipFamily": "ipv4"}},
            "AssumeRoleArn": ROLE + "creation", "AttributesRevision": 2}},
        "Ng": {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": ROLE + "node", "Subnets": [{"Ref": "NodesA"}],
            "InstanceTypes": ["m5.large"], "ScalingConfig": {"MinSize": 2, "DesiredSize": 2, "MaxSize": 4}}},
        "EniConfig": {"Type": "Custom::AWSCDK-EKS-KubernetesResource", "Properties": {
            "ServiceToken": kubectl,
            "Manifest": {"Fn::Join": ["", [ENICONFIG_HEAD, {"Ref": "PodsA"}, ENICONFIG_TAIL]]},
            "ClusterName": {"Ref": "Cluster"}, "RoleArn": ROLE + "creation", "PruneLabel": "aws.cdk.eks/prune-c8"}},
        "AwsNodePatch": {"Type": "Custom::AWSCDK-EKS-KubernetesPatch", "Properties": {
            "ServiceToken": kubectl, "ResourceName": "daemonset/aws-node", "ResourceNamespace": "kube-system",
            "ApplyPatchJson": AWS_NODE_PATCH, "RestorePatchJson": "{}", "ClusterName": {"Ref": "Cluster"},
            "RoleArn": ROLE + "creation", "PatchType": "strategic"}},
    }
    if with_karpenter:
        objs = copy.deepcopy(KARPENTER)
        if karpenter_limits is None:
            del objs[0]["spec"]["limits"]
        else:
            objs[0]["spec"]["limits"] = karpenter_limits
        head, tail = json.dumps(objs).split("__CLUSTER__")
        res["Karpenter"] = {"Type": "Custom::AWSCDK-EKS-KubernetesResource", "Properties": {
            "ServiceToken": kubectl,
            "Manifest": {"Fn::Join": ["", [head, {"Fn::Select": [0, ["demo"]]}, tail]]},
            "ClusterName": {"Ref": "Cluster"}, "RoleArn": ROLE + "creation"}}
    return {"Resources": res}


def test_cdk_cluster_eniconfig_aws_node_patch_and_karpenter_pool(tmp_path):
    rep = check(write(tmp_path, "cdk.json", cdk_doc({"cpu": "8"})))
    assert rep["summary"]["checked"] == {"clusters": 1, "nodegroups": 1, "node_pools": 1, "fargate_profiles": 0,
                                         "subnets": 4}
    # the cluster is read from Custom::AWSCDK-EKS-Cluster's Config: its ENIs in CpA / CpB, 2 each [EKS-NET]
    assert sub(rep, "CpA")["at_max"] == sub(rep, "CpB")["at_max"] == 2
    g = ng(rep, "Ng")
    # [MNG][IPAMD] custom networking (the patch): (3 - 1) x (10 - 1) + 2 = 20 max pods, 18 address-taking
    assert (g["max_pods"], g["network_max_pods"], g["pods_per_node"]) == (20, 20, 18)
    # WARM_IP_TARGET=5 wants 18 + 5 = 23 pod IPs, the two pod ENIs hold 2 x 9 = 18: both full, 2 x 10 = 20
    # addresses in the ENIConfig's subnet + the node's primary address in its own subnet = 21 per node
    assert g["addresses_per_node"] == 21
    k = ng(rep, "default")
    # [KARP] limits.cpu 8 / 2 vCPUs (m5.large) = 4 nodes; kubelet max pods ENI-limited: 3 x 9 + 2 = 29,
    # which Karpenter sets without knowing custom networking: 29 > 20 -> PC102
    assert (k["max_size"], k["max_pods"], k["network_max_pods"], k["addresses_per_node"]) == (4, 29, 20, 21)
    assert [f["resource"] for f in findings(rep, "PC102")] == ["default"]
    nodes, pods = sub(rep, "NodesA"), sub(rep, "PodsA")
    # node subnet (the EC2NodeClass selects it by tag): 1 address per node: Ng 4 + Karpenter 4 = 8 at max
    assert (nodes["usable"], nodes["at_min"], nodes["at_max"]) == (251, 2, 8)
    # pod subnet (/22: 1024 - 5 = 1019): 20 per node: Ng 2 x 20 = 40 at min, (4 + 4) x 20 = 160 at max
    assert (pods["role"], pods["usable"], pods["at_min"], pods["at_max"]) == ("pods", 1019, 40, 160)
    assert not findings(rep, "PC201") and not findings(rep, "PC302")


def test_cdk_karpenter_pool_without_limits_is_pc001(tmp_path):
    rep = check(write(tmp_path, "cdk.json", cdk_doc(None)))
    assert findings(rep, "PC001", "default")
    # never a pass: the pool's subnets' figures at max are unknown
    assert sub(rep, "NodesA")["at_max"] is None and sub(rep, "PodsA")["at_max"] is None


def test_cdk_warm_ip_target_patch_without_custom_networking(tmp_path):
    doc = cdk_doc(with_karpenter=False)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": [
        {"name": "WARM_IP_TARGET", "value": "2"}]}]}}}}
    doc["Resources"]["AwsNodePatch"]["Properties"]["ApplyPatchJson"] = json.dumps(patch)
    del doc["Resources"]["EniConfig"]
    doc["Resources"]["Ng"]["Metadata"] = {"podcap": {"pods_per_node": 10}}
    rep = check(write(tmp_path, "cdk.json", doc))
    g = ng(rep, "Ng")
    # [IPAMD] WARM_IP_TARGET=2, 10 pods: 12 secondary IPs; ENI 1 holds 9, ENI 2 the other 3: 12 + 2 ENI
    # primaries = 14 addresses per node; 4 nodes x 14 = 56 at max, 2 x 14 = 28 at min
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (29, 10, 14)
    assert (sub(rep, "NodesA")["at_min"], sub(rep, "NodesA")["at_max"]) == (28, 56)


def test_cdk_json_patch_is_not_applied_silently(tmp_path):
    doc = cdk_doc(with_karpenter=False)
    doc["Resources"]["AwsNodePatch"]["Properties"]["PatchType"] = "json"
    doc["Resources"]["AwsNodePatch"]["Properties"]["ApplyPatchJson"] = json.dumps(
        [{"op": "add", "path": "/spec/template/spec/containers/0/env/-",
          "value": {"name": "WARM_IP_TARGET", "value": "5"}}])
    rep = check(write(tmp_path, "cdk.json", doc))
    # [CDK-EKS] PatchType json is an RFC 6902 patch: not read -> PC001 naming the patch, not a silent default
    assert findings(rep, "PC001", "AwsNodePatch")


def test_unknown_cdk_eks_custom_resource_is_pc001(tmp_path):
    doc = cdk_doc(with_karpenter=False)
    doc["Resources"]["Mystery"] = {"Type": "Custom::AWSCDK-EKS-Something", "Properties": {"ServiceToken": "x"}}
    rep = check(write(tmp_path, "cdk.json", doc))
    (f,) = findings(rep, "PC001", "Mystery")
    assert "Custom::AWSCDK-EKS-Something" in f["message"]


# ----------------------------------------------------------------------- CDK app synthesized with the pin


SYNTH = DATA / "cdk-fargate-vpc" / "assembly"


@pytest.mark.skipif(not (SYNTH / "manifest.json").exists(), reason="assembly not synthesized")
def test_synthesized_cdk_app_fargate_in_the_vpc_private_subnets():
    rep = check(SYNTH)
    assert rep["summary"]["checked"] == {"clusters": 1, "nodegroups": 1, "node_pools": 0, "fargate_profiles": 1,
                                         "subnets": 4}
    private = [s for s in rep["subnets"] if "Vpcprivate" in s["subnet"]]
    public = [s for s in rep["subnets"] if "Vpcpublic" in s["subnet"]]
    assert len(private) == 2 and len(public) == 2
    for s in public:
        # [CDK-EKS] the control plane goes in the public and private subnets: ceil(4 / 4) = 1 address each
        assert (s["usable"], s["at_max"]) == (251, 1)
    g = ng(rep, next(n["name"] for n in rep["nodegroups"]))
    # [IPAMD] WARM_IP_TARGET=2 from the KubernetesPatch, 10 pods per node (metadata): 14 addresses per node
    assert (g["max_size"], g["pods_per_node"], g["addresses_per_node"]) == (10, 10, 14)
    for s in private:
        # [EKS-FARGATE] 300 pods / 2 private subnets = 150; the managed node group's 10 nodes balanced over the
        # 2 AZs: 5 x 14 = 70; the control plane 1: 150 + 70 + 1 = 221 of 256 - 5 = 251
        assert (s["usable"], s["at_max"]) == (251, 150 + 70 + 1)
        # at min: 1 node (in one AZ, so at most 14 here) + 150 + 1
        assert s["at_min"] in (151, 165)


# -------------------------------------------------------------------------------- never silent, encodings


@pytest.mark.parametrize("bom,codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                                       (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le")])
def test_template_with_a_bom_reads_like_utf8(tmp_path, bom, codec):
    text = json.dumps(fargate_doc(200))
    plain = check(write(tmp_path, "plain.json", text))
    p = tmp_path / "bom.json"
    p.write_bytes(bom + text.encode(codec))
    rep = check(p)
    assert rep["subnets"] == plain["subnets"]
    # the figures of the Fargate case above: 67 per subnet
    assert sub(rep, "FgC")["at_max"] == 67


def test_utf16_yaml_template(tmp_path):
    text = ("Resources:\n  SubA: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-0123456789abcdef0, CidrBlock: "
            "10.0.0.0/26, AvailabilityZone: us-east-1a}}\n")
    p = tmp_path / "t.yaml"
    p.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    # [VPC-RES] /26: 64 - 5 = 59
    assert sub(check(p), "SubA")["usable"] == 59


def test_template_with_no_eks_says_nothing_to_check(tmp_path):
    doc = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
                         "SubA": {"Type": "AWS::EC2::Subnet", "Properties": {
                             "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}},
                         "Bucket": {"Type": "AWS::S3::Bucket"}}}
    p = write(tmp_path, "vpc.json", doc)
    code, rep, _ = run(str(p))
    assert code == 0
    assert rep["summary"]["checked"] == {"clusters": 0, "nodegroups": 0, "node_pools": 0, "fargate_profiles": 0,
                                         "subnets": 1}
    r = cli(["check", str(p)]).assert_promise()
    assert r.code == 0 and "nothing to check" in r.out


def test_third_party_eks_type_is_pc001_naming_it(tmp_path):
    doc = fargate_doc(200)
    doc["Resources"]["Jobs"]["Type"] = "Acme::EKS::PodPool"
    rep = check(write(tmp_path, "t.json", doc))
    assert any("Acme::EKS::PodPool" in f["message"] for f in findings(rep, "PC001", "Jobs"))
    code, _, _ = run(str(tmp_path / "t.json"), "--strict")
    assert code == 1


def test_json_duplicate_keys_are_rejected(tmp_path):
    p = tmp_path / "dup.json"
    # the same key twice in one JSON object: CloudFormation's parser would keep one silently
    p.write_text('{"Resources": {"SubA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "' + VPC + '", '
                 '"CidrBlock": "10.0.0.0/24", "CidrBlock": "10.0.0.0/28", "AvailabilityZone": "us-east-1a"}}}}')
    cli(["check", str(p), "--format", "json"]).assert_one_line_error("duplicate key", "CidrBlock")


@pytest.mark.parametrize("cidr", ["10.0.0.129/25", "10.0.1.1/26"])
def test_subnet_cidr_with_host_bits_is_an_input_error(tmp_path, cidr):
    doc = fargate_doc(200)
    doc["Resources"]["FgB"]["Properties"]["CidrBlock"] = cidr
    # [EC2-CIDR] EC2 rejects it: exit 2 with one line naming it
    cli(["check", str(write(tmp_path, "t.json", doc))]).assert_one_line_error(cidr, "host bits")


# ----------------------------------------------------------------------------------------- properties


def _figures(doc: dict) -> dict[str, tuple]:
    from podcap.analysis import analyse
    from podcap.limits import load_snapshot
    from podcap.sources.cloudformation import plan_from_template

    a = analyse(plan_from_template(copy.deepcopy(doc), "t.json"), load_snapshot(None))
    return {sid: tuple(a.subnets[sid].demand(scale) for scale in ("min", "desired", "max")) for sid in a.subnets}


consumer = st.one_of(
    st.builds(lambda pods, subs: ("fargate", pods, subs), st.integers(1, 500),
              st.lists(st.sampled_from(["FgA", "FgB", "FgC"]), min_size=1, max_size=3, unique=True)),
    st.builds(lambda lo, extra, subs: ("nodegroup", lo, extra, subs), st.integers(0, 5), st.integers(0, 20),
              st.lists(st.sampled_from(["FgA", "FgB", "FgC", "CpA"]), min_size=1, max_size=3, unique=True)),
)


def _add(doc: dict, c: tuple, i: int) -> dict:
    doc = copy.deepcopy(doc)
    if c[0] == "fargate":
        return fargate(doc, c[1], c[2], name=f"Extra{i}")
    _, lo, extra, subs = c
    doc["Resources"][f"Extra{i}"] = {"Type": "AWS::EKS::Nodegroup", "Properties": {
        "ClusterName": {"Ref": "Cluster"}, "NodeRole": ROLE + "node", "Subnets": [{"Ref": s} for s in subs],
        "InstanceTypes": ["m5.large"], "ScalingConfig": {"MinSize": lo, "DesiredSize": lo, "MaxSize": lo + extra or 1}}}
    return doc


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=consumer, more=consumer)
def test_adding_a_consumer_never_lowers_a_subnets_figures(first, more):
    before_doc = _add(fargate_doc(100), first, 1)
    after_doc = _add(before_doc, more, 2)
    before, after = _figures(before_doc), _figures(after_doc)
    for sid, figs in before.items():
        for b, a in zip(figs, after[sid], strict=True):
            if b is not None and a is not None:
                assert a >= b, (sid, b, a)


unbounded = st.one_of(
    st.just(("fargate",)),
    st.sampled_from([["system"], ["general-purpose"], ["general-purpose", "system"]]).map(lambda p: ("auto", p)),
    st.just(("karpenter",)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=unbounded, pods=st.integers(1, 300))
def test_an_unbounded_consumer_always_yields_pc001(tmp_path_factory, case, pods):
    tmp = tmp_path_factory.mktemp("unbounded")
    if case[0] == "fargate":
        doc = fargate(fargate_doc(pods), None, ["FgA", "FgB"], name="Unbounded")
        who = ["Unbounded"]
    elif case[0] == "auto":
        doc, who = auto_doc(case[1], None), [f"Cluster/{p}" for p in case[1]]
    else:
        doc, who = cdk_doc(None), ["default"]
    rep = check(write(tmp, "t.json", doc))
    for w in who:
        assert findings(rep, "PC001", w), (w, [f["resource"] for f in rep["findings"]])
    code, _, _ = run(str(tmp / "t.json"), "--strict")
    assert code == 1
