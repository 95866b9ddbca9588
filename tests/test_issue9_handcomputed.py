"""Issue 9 figures, hand-computed from AWS's own sources and checked through podcap's documented CLI and
JSON contracts (`podcap maxpods/node --format json`, `podcap check FILE --format json`).

Sources (each case names the one it uses):

* [CALC] awslabs/amazon-eks-ami ``templates/al2/runtime/max-pods-calculator.sh`` at commit
  0ab842803d827b8087d78dd2eff0bc408caec771 (the parent of b2289030, which removed it): ENIs for pods =
  min(--cni-max-eni, default-card MaximumNetworkInterfaces), minus 1 with custom networking; with prefix
  delegation on Hypervisor "nitro" ``enis * ((ips - 1) * 16) + 2``, else ``enis * (ips - 1) + 2``; then
  min(250, x) when DefaultVCpus > 30, else min(110, x).
* [MNG] EKS user guide, create-managed-node-group.adoc (awsdocs/amazon-eks-user-guide,
  latest/ug/nodes/, commit 4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7, lines 23, 103 and 139): a managed
  node group without an AMI ID writes the calculator's value, capped at 110 (< 30 vCPUs) / 250; "If you
  create a node group with different instance types, the smallest value calculated across all instance
  types is applied as the maximum number of Pods that can run on every instance type in the node group."
  choosing-instance-type "How maxPods is determined" (precedence: managed node group cap, kubelet
  maxPods, maxPodsExpression, ENI default).
* [NODEADM] amazon-eks-ami ``nodeadm/internal/kubelet/eni_max_pods.go`` (commit 81fec2e8):
  ``calculateStandardMaxPods`` = DefaultMaxENIs * (Ipv4AddressesPerInterface - 1) + 2, no cap, no prefix
  delegation; ``evaluateCustomMaxPodsExpression`` over default_enis, ips_per_eni, max_pods.
* [BOOTSTRAP] amazon-eks-ami ``templates/al2/runtime/bootstrap.sh`` (commit 0ab84280): no --max-pods
  option; --use-max-pods false + --kubelet-extra-args '--max-pods=N'.
* [IPAMD] aws/amazon-vpc-cni-k8s ``pkg/ipamd/ipamd.go`` (commit b52188387f2e): getMaxENI (MAX_ENI only
  lowers), GetIPv4Limit (prefixes per ENI = IPv4 per ENI - 1), hasRoomForEni (trunk slot only when
  IsTrunkingCompatible), isDatastorePoolTooLow (stops growing once TotalIPs >= maxPods, else WARM_ENI_TARGET
  / WARM_PREFIX_TARGET); ``pkg/ipamd/rpc_handler.go`` AddNetwork (a pod with vpc.amazonaws.com/pod-eni takes
  the branch ENI's address from its annotation, not one from ipamd's datastore).
* [VPCRC] aws/amazon-vpc-resource-controller-k8s ``pkg/aws/vpc/limits.go`` (commit b8d42511):
  IsTrunkingCompatible and BranchInterface per type.
* [VPCCNI-LIMITS] amazon-vpc-cni-k8s ``pkg/vpc/vpc_ip_resource_limit.go``: ENILimit / IPv4Limit /
  HypervisorType / IsBareMetal per type.
* [WIN] EKS user guide windows-support.adoc: Windows max pods = IPv4 addresses per ENI - 1; the VPC
  resource controller's defaults warm-ip-target 3, minimum-ip-target 3.
* [NETREQ] EKS user guide network-reqs / update-cluster: up to 5 free addresses in the cluster subnets
  to update the cluster.

Address arithmetic per node (secondary-IP mode, WARM_ENI_TARGET=1): ipamd adds ENIs until the pool holds
a whole ENI of free addresses, but stops once the pool's addresses reach max pods; each attached ENI takes
its primary address plus its secondary IPs from the subnet. The EKS control plane takes ceil(4 / number
of cluster subnets) addresses in each cluster subnet (up to 4 ENIs).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

DATA = Path(__file__).resolve().parent / "data"
AMI = "ami-0123456789abcdef0"


# --------------------------------------------------------------------------------------------- helpers


def maxpods(*args: str) -> dict[str, dict]:
    run = cli(["maxpods", *args, "--format", "json"]).assert_promise()
    assert run.code == 0, run.err
    return {row["instance_type"]: row for row in json.loads(run.out)}


def node(*args: str) -> dict:
    run = cli(["node", *args, "--format", "json"]).assert_promise()
    assert run.code == 0, run.err
    return json.loads(run.out)


def check(path: Path) -> dict:
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def rules(report: dict, resource: str | None = None) -> list[str]:
    return sorted(f["rule_id"] for f in report["findings"]
                  if resource is None or f["resource"] == resource)


def ng(report: dict, name: str = "Nodes") -> dict:
    (g,) = [g for g in report["nodegroups"] if g["name"] == name]
    return g


def subnet(report: dict, name: str) -> dict:
    (s,) = [s for s in report["subnets"] if s["subnet"] == name]
    return s


def cfn(tmp_path: Path, types=("m5.4xlarge",), *, lt: dict | None = None, addon_env: dict | None = None,
        depends_on_addon: bool = False, asg: bool = False, ami_type: str | None = None,
        extra: dict | None = None) -> Path:
    """A CloudFormation template: VPC, two /23 subnets (507 usable each) in two AZs, a cluster over both,
    and one node group (managed, or with ``asg`` a self-managed Auto Scaling group) of max 8 over both."""
    res: dict = {
        "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "VPC"}, "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.0.0/23"}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "VPC"}, "AvailabilityZone": "us-east-1b", "CidrBlock": "10.0.2.0/23"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "c1", "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}}},
    }
    if addon_env is not None:
        res["VpcCni"] = {"Type": "AWS::EKS::Addon", "Properties": {
            "AddonName": "vpc-cni", "ClusterName": {"Ref": "Cluster"},
            "ConfigurationValues": json.dumps({"env": addon_env})}}
    lt_ref = {"Ref": "LT"}
    lt_version = {"Fn::GetAtt": ["LT", "LatestVersionNumber"]}
    if lt is not None:
        res["LT"] = {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": lt}}
    if asg:
        res["Nodes"] = {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "MinSize": "1", "DesiredCapacity": "2", "MaxSize": "8",
            "LaunchTemplate": {"LaunchTemplateId": lt_ref, "Version": lt_version},
            "VPCZoneIdentifier": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            "Tags": [{"Key": "kubernetes.io/cluster/c1", "Value": "owned", "PropagateAtLaunch": True}]}}
    else:
        props: dict = {"ClusterName": {"Ref": "Cluster"}, "NodeRole": {"Fn::GetAtt": ["Role", "Arn"]},
                       "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
                       "ScalingConfig": {"MinSize": 1, "DesiredSize": 2, "MaxSize": 8}}
        if types:
            props["InstanceTypes"] = list(types)
        if lt is not None:
            props["LaunchTemplate"] = {"Id": lt_ref, "Version": lt_version}
        if ami_type:
            props["AmiType"] = ami_type
        res["Nodes"] = {"Type": "AWS::EKS::Nodegroup", "Properties": props}
        if depends_on_addon:
            res["Nodes"]["DependsOn"] = "VpcCni"
    res.update(extra or {})
    path = tmp_path / "template.json"
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": res}))
    return path


def ud(text: str) -> dict:
    return {"Fn::Base64": text}


def spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


NODECONFIG_HEAD = """apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: c1
    apiServerEndpoint: https://example.com
    certificateAuthority: Y2E=
    cidr: 10.100.0.0/16
"""


def mime_nodeconfig(kubelet_yaml: str) -> str:
    """AL2023 MIME multi-part user data with one application/node.eks.aws part."""
    return ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\n\n--BOUNDARY\n"
            "Content-Type: application/node.eks.aws\n\n---\n" + NODECONFIG_HEAD + kubelet_yaml
            + "\n--BOUNDARY--\n")


# =============================================================== 1. podcap maxpods: the figures per type

# (type, flags, network_max_pods, max_pods (recommended), ami_default_max_pods, managed_max_pods)
MAXPODS_CASES = [
    # [CALC]/[IPAMD] m5.large: 3 ENIs x 10 IPv4. 3 x 9 + 2 = 29 everywhere.
    ("m5.large", [], 29, 29, 29, 29),
    # m5.4xlarge: 8 x 30. 8 x 29 + 2 = 234; 16 vCPUs <= 30 -> calculator/MNG cap 110; AMI default 234.
    ("m5.4xlarge", [], 234, 110, 234, 110),
    # c5.18xlarge: 15 x 50. 15 x 49 + 2 = 737; 72 vCPUs > 30 -> 250.
    ("c5.18xlarge", [], 737, 250, 737, 250),
    # t3.medium: 3 x 6. 3 x 5 + 2 = 17.
    ("t3.medium", [], 17, 17, 17, 17),
    # prefix delegation (all Nitro): m5.large 3 x (9 x 16) + 2 = 434 -> 110; AMI default stays 3 x 9 + 2 = 29
    ("m5.large", ["--prefix-delegation"], 434, 110, 29, 110),
    # m5.4xlarge 8 x (29 x 16) + 2 = 3714 -> 110; AMI default 234
    ("m5.4xlarge", ["--prefix-delegation"], 3714, 110, 234, 110),
    # c5.18xlarge 15 x (49 x 16) + 2 = 11762 -> 250; AMI default 737
    ("c5.18xlarge", ["--prefix-delegation"], 11762, 250, 737, 250),
    # t3.medium 3 x (5 x 16) + 2 = 242 -> 110; AMI default 17
    ("t3.medium", ["--prefix-delegation"], 242, 110, 17, 110),
    # custom networking: one ENI fewer. m5.large (3 - 1) x 9 + 2 = 20
    ("m5.large", ["--custom-networking"], 20, 20, 29, 20),
    # m5.4xlarge (8 - 1) x 29 + 2 = 205 -> 110
    ("m5.4xlarge", ["--custom-networking"], 205, 110, 234, 110),
    # c5.18xlarge (15 - 1) x 49 + 2 = 688 -> 250
    ("c5.18xlarge", ["--custom-networking"], 688, 250, 737, 250),
    # t3.medium (3 - 1) x 5 + 2 = 12
    ("t3.medium", ["--custom-networking"], 12, 12, 17, 12),
    # custom networking + prefix delegation: m5.large 2 x (9 x 16) + 2 = 290 -> 110
    ("m5.large", ["--custom-networking", "--prefix-delegation"], 290, 110, 29, 110),
    # MAX_ENI (calculator --cni-max-eni = min(MAX_ENI, ENIs); ipamd getMaxENI the same):
    # m5.large MAX_ENI=1: 1 x 9 + 2 = 11
    ("m5.large", ["--max-eni", "1"], 11, 11, 29, 11),
    # m5.4xlarge MAX_ENI=3: 3 x 29 + 2 = 89 (below the cap)
    ("m5.4xlarge", ["--max-eni", "3"], 89, 89, 234, 89),
    # c5.18xlarge MAX_ENI=4: 4 x 49 + 2 = 198 (below 250)
    ("c5.18xlarge", ["--max-eni", "4"], 198, 198, 737, 198),
    # MAX_ENI above the type's ENIs changes nothing: t3.medium MAX_ENI=8 -> 3 x 5 + 2 = 17
    ("t3.medium", ["--max-eni", "8"], 17, 17, 17, 17),
    # MAX_ENI=3 + custom networking on m5.4xlarge: (3 - 1) x 29 + 2 = 60
    ("m5.4xlarge", ["--max-eni", "3", "--custom-networking"], 60, 60, 234, 60),
    # c6i.8xlarge: 8 x 30, 32 vCPUs > 30 -> the 250 ceiling: 8 x 29 + 2 = 234 stays 234 (not 110)
    ("c6i.8xlarge", [], 234, 234, 234, 234),
    # with prefix delegation: 8 x (29 x 16) + 2 = 3714 -> 250
    ("c6i.8xlarge", ["--prefix-delegation"], 3714, 250, 234, 250),
]


@pytest.mark.parametrize("itype,flags,network,recommended,ami_default,managed", MAXPODS_CASES)
def test_maxpods_figures(itype, flags, network, recommended, ami_default, managed):
    row = maxpods(itype, *flags)[itype]
    assert row["network_max_pods"] == network
    assert row["max_pods"] == recommended
    assert row["ami_default_max_pods"] == ami_default
    assert row["managed_max_pods"] == managed


def test_maxpods_trunking_and_branch_enis_from_the_resource_controller():
    # [VPCRC] limits.go: m5.large IsTrunkingCompatible true, BranchInterface 9; m5.4xlarge 54;
    # c5.18xlarge 107; t3.medium and m4.large false / 0; i8ge.48xlarge 98; g4ad.xlarge 12
    rows = maxpods("m5.large", "m5.4xlarge", "c5.18xlarge", "t3.medium", "m4.large", "i8ge.48xlarge", "g4ad.xlarge")
    got = {t: (r["trunking"], r["branch_enis"]) for t, r in rows.items()}
    assert got == {"m5.large": (True, 9), "m5.4xlarge": (True, 54), "c5.18xlarge": (True, 107),
                   "t3.medium": (False, 0), "m4.large": (False, 0), "i8ge.48xlarge": (True, 98),
                   "g4ad.xlarge": (True, 12)}


def test_security_groups_for_pods_trunk_slot_only_on_trunking_types():
    # [IPAMD] hasRoomForEni: the trunk slot is held back only when IsTrunkingCompatible ([VPCRC]).
    rows = maxpods("t3.medium", "m4.large", "m5.large", "m5.4xlarge", "--security-groups-for-pods")
    # t3.medium: not trunking-compatible, every slot stays: 3 x 5 + 2 = 17 (podcap said 12 before)
    assert rows["t3.medium"]["network_max_pods"] == 17 and rows["t3.medium"]["max_pods"] == 17
    # m4.large (Xen, not compatible): 2 x 9 + 2 = 20 (not 1 x 9 + 2 = 11)
    assert rows["m4.large"]["network_max_pods"] == 20 and rows["m4.large"]["max_pods"] == 20
    # m5.large (compatible): the trunk takes a slot: (3 - 1) x 9 + 2 = 20
    assert rows["m5.large"]["network_max_pods"] == 20
    # m5.4xlarge: (8 - 1) x 29 + 2 = 205 -> recommended 110
    assert rows["m5.4xlarge"]["network_max_pods"] == 205 and rows["m5.4xlarge"]["max_pods"] == 110


def test_windows_primary_eni_only():
    # [WIN] max pods = IPv4 per ENI - 1, primary ENI only, no +2:
    # m5.large 10 - 1 = 9; m5.4xlarge 30 - 1 = 29; t3.medium 6 - 1 = 5
    rows = maxpods("m5.large", "m5.4xlarge", "t3.medium", "--os", "windows")
    for t, want in (("m5.large", 9), ("m5.4xlarge", 29), ("t3.medium", 5)):
        assert rows[t]["network_max_pods"] == want
        assert rows[t]["max_pods"] == want
        assert rows[t]["ami_default_max_pods"] == want


def test_node_windows_prefix_delegation():
    # [WIN] Windows prefix delegation: (10 - 1) x 16 = 144 addresses on the primary ENI. 9 pods (the AMI
    # default max pods): controller PD defaults warm-ip 1, minimum 3 ([VPCRC] pkg/config/loader.go):
    # max(ceil((9 + 1) / 16), ceil(3 / 16)) = 1 prefix = 16 addresses + the primary = 17.
    d = node("m5.large", "--pods", "9", "--os", "windows", "--prefix-delegation")
    assert d["network_max_pods"] == 144 and d["prefixes"] == 1 and d["subnet_addresses"] == 17


def test_maxpods_windows_prefix_delegation_capacity():
    row = maxpods("m5.large", "--os", "windows", "--prefix-delegation")["m5.large"]
    assert row["network_max_pods"] == (10 - 1) * 16  # 144


def test_ipv6_recommended_is_the_calculators_prefix_figure():
    rows = maxpods("t3.nano", "t3.micro", "t3.small", "m5.large", "c5.18xlarge", "--ipv6")
    # t3.nano: 2 ENIs x 2 IPv4: 2 x ((2 - 1) x 16) + 2 = 34 (was 110); AMI default 2 x 1 + 2 = 4
    assert rows["t3.nano"]["max_pods"] == 34 and rows["t3.nano"]["managed_max_pods"] == 34
    assert rows["t3.nano"]["ami_default_max_pods"] == 4
    # t3.micro: same limits as t3.nano: 34
    assert rows["t3.micro"]["max_pods"] == 34
    # t3.small: 3 x 4: 3 x (3 x 16) + 2 = 146 -> 110; AMI default 3 x 3 + 2 = 11
    assert rows["t3.small"]["max_pods"] == 110 and rows["t3.small"]["ami_default_max_pods"] == 11
    # m5.large 434 -> 110; c5.18xlarge 11762 -> 250
    assert rows["m5.large"]["max_pods"] == 110
    assert rows["c5.18xlarge"]["max_pods"] == 250


# (type, ENIs, IPv4/ENI, network max pods in secondary-IP mode) from [VPCCNI-LIMITS]
SNAPSHOT_TYPES = [
    ("p3.2xlarge", 4, 15, 4 * 14 + 2),  # 58, Xen
    ("g4ad.xlarge", 2, 4, 2 * 3 + 2),  # 8
    ("c5a.metal", 15, 50, 15 * 49 + 2),  # 737, bare metal
    ("i7ie.48xlarge", 15, 50, 15 * 49 + 2),  # 737 (moto split its ENIs over two cards: 394)
    ("i8ge.48xlarge", 24, 50, 24 * 49 + 2),  # 1178 (not 590)
]


@pytest.mark.parametrize("itype,enis,ips,network", SNAPSHOT_TYPES)
def test_snapshot_types_from_aws_tables(itype, enis, ips, network):
    row = maxpods(itype)[itype]
    assert (row["enis"], row["ipv4_per_eni"], row["network_max_pods"]) == (enis, ips, network)
    assert row["ami_default_max_pods"] == network  # [NODEADM] defaultMaxENIs x (ips - 1) + 2


def test_snapshot_types_caps():
    rows = maxpods("p3.2xlarge", "g4ad.xlarge", "c5a.metal", "i7ie.48xlarge", "i8ge.48xlarge")
    # 192 vCPUs > 30: min(737, 250) = 250, min(1178, 250) = 250
    assert rows["i7ie.48xlarge"]["managed_max_pods"] == 250
    assert rows["i8ge.48xlarge"]["managed_max_pods"] == 250
    # 58 and 8 are below both caps: known without a vCPU count
    assert rows["p3.2xlarge"]["managed_max_pods"] == 58
    assert rows["g4ad.xlarge"]["managed_max_pods"] == 8
    # c5a.metal: 737 is above 110, and no source in the project has its vCPUs: unknown, never guessed
    assert rows["c5a.metal"]["managed_max_pods"] is None
    assert any("110 or 250" in n for n in rows["c5a.metal"]["notes"])


def test_snapshot_types_prefix_delegation():
    rows = maxpods("p3.2xlarge", "g4ad.xlarge", "c5a.metal", "--prefix-delegation")
    # p3.2xlarge is Xen: [IPAMD] isConfigValid falls back to secondary IPs: 58
    assert rows["p3.2xlarge"]["network_max_pods"] == 58
    # g4ad.xlarge (Nitro): 2 x (3 x 16) + 2 = 98, below both caps
    assert rows["g4ad.xlarge"]["network_max_pods"] == 98 and rows["g4ad.xlarge"]["managed_max_pods"] == 98
    # c5a.metal: ipamd IsPrefixDelegationSupported is true on bare metal: 15 x (49 x 16) + 2 = 11762
    assert rows["c5a.metal"]["network_max_pods"] == 11762
    # AMI default (nodeadm, no prefix delegation): 737
    assert rows["c5a.metal"]["ami_default_max_pods"] == 737


def test_property_managed_within_cap_and_network_over_every_type():
    """For every type in the snapshot, default and prefix-delegation mode: managed <= 110/250 by vCPUs, and
    managed <= network max pods ([CALC] the calculator's ENI figure is never above ipamd's)."""
    for flags in ([], ["--prefix-delegation"], ["--custom-networking"]):
        run = cli(["maxpods", "--all", *flags, "--format", "json"]).assert_promise()
        rows = json.loads(run.out)
        assert len(rows) > 1000
        for r in rows:
            m = r["managed_max_pods"]
            if m is None:
                assert r["vcpus"] is None  # only an unknown vCPU count may leave it open
                continue
            if r["vcpus"] is not None:
                assert m <= (250 if r["vcpus"] > 30 else 110), r
            assert m <= r["network_max_pods"], r


def test_maxpods_managed_text_column():
    run = cli(["maxpods", "m5.4xlarge", "c5.18xlarge", "--managed"]).assert_promise()
    assert "MANAGED" in run.out
    line = next(ln for ln in run.out.splitlines() if ln.startswith("m5.4xlarge"))
    # CAPACITY 234, RECOMMENDED 110, AMI DEFAULT 234, MANAGED 110
    assert line.split()[-4:] == ["234", "110", "234", "110"]


# ========================================================================= 2. podcap node: the default


def test_node_default_is_ami_default_and_managed_is_the_eks_figure():
    # m5.4xlarge, 108 address-taking pods, self-managed (AMI default 234): 108 pods need 4 ENIs (116 IPs);
    # 8 free < 29 -> a 5th ENI (145 IPs, 145 < 234 so ipamd keeps going) -> 37 free >= 29: stop.
    # 5 ENIs x 30 addresses = 150.
    d = node("m5.4xlarge", "--pods", "108")
    assert d["kubelet_max_pods"] == 234 and d["enis"] == 5 and d["subnet_addresses"] == 150
    assert "AMI default" in d["kubelet_max_pods_source"]
    # --managed: EKS writes 110; at 4 ENIs the pool holds 116 >= 110: stop. 4 x 30 = 120.
    d = node("m5.4xlarge", "--pods", "108", "--managed")
    assert d["kubelet_max_pods"] == 110 and d["managed_max_pods"] == 110
    assert d["enis"] == 4 and d["subnet_addresses"] == 120
    assert (d["trunking"], d["branch_enis"]) == (True, 54)


def test_node_security_groups_for_pods():
    # m5.large + ENABLE_POD_ENI, 18 pods: ipamd has 2 ENIs (the trunk holds the third slot): 18 IPs,
    # 2 x 10 = 20 addresses, plus the trunk ENI's primary address: 21
    d = node("m5.large", "--pods", "18", "--security-groups-for-pods")
    assert d["trunk_eni"] is True and d["enis"] == 2 and d["subnet_addresses"] == 21
    # t3.medium: not trunking-compatible: no trunk, 15 pods use all 3 ENIs: 3 x 6 = 18 addresses
    d = node("t3.medium", "--pods", "15", "--security-groups-for-pods")
    assert d["trunk_eni"] is False and d["enis"] == 3 and d["subnet_addresses"] == 18


def test_node_windows():
    # [WIN] m5.large, 5 pods: the controller holds max(5 + warm 3, minimum 3) = 8 secondary IPs on the
    # primary ENI (capacity 9), + the ENI's primary address = 9 subnet addresses
    d = node("m5.large", "--pods", "5", "--os", "windows")
    assert d["kubelet_max_pods"] == 9 and d["secondary_ips"] == 8 and d["subnet_addresses"] == 9


# ======================================================= 3. podcap check on CloudFormation: managed groups


def test_issue_headline_m5_4xlarge_managed_no_launch_template(tmp_path):
    # [MNG] m5.4xlarge, no launch template: EKS writes min(234, 110) = 110.
    # 108 pods: 4 ENIs (116 IPs >= 110: ipamd stops) -> 4 x 30 = 120 addresses per node.
    # max 8 over 2 subnets = 4 per subnet: 480 + control plane ceil(4 / 2) = 2 -> 482 of 507: fits.
    r = check(cfn(tmp_path))
    g = ng(r)
    assert (g["max_pods"], g["network_max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (110, 234, 108, 120)
    for s in ("SubnetA", "SubnetB"):
        assert (subnet(r, s)["at_max"], subnet(r, s)["usable"]) == (482, 507)
    assert "PC201" not in rules(r)
    assert any("written by EKS for a managed node group" in n and "capped at 110" in n for n in r["notes"])


def test_managed_c5_18xlarge_250(tmp_path):
    # [MNG] c5.18xlarge: min(737, 250) = 250. 248 pods: 5 ENIs = 245 IPs < 250, free 0 -> 6th ENI
    # (294 >= 250: stop) -> 6 x 50 = 300 addresses per node.
    g = ng(check(cfn(tmp_path, ("c5.18xlarge",))))
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (250, 248, 300)


def test_managed_vcpus_unknown_c5a_metal(tmp_path):
    # c5a.metal: 15 x 49 + 2 = 737 ([CALC]: bare metal has no "nitro" hypervisor, secondary-IP formula), and
    # no source in the project knows its vCPUs: 110 or 250. Pod capacity at 110 (108 pods), subnets at 250:
    # 248 pods -> 5 ENIs = 245 < 250 with 0 free -> 6 ENIs x 50 = 300 addresses; PC001 says why.
    r = check(cfn(tmp_path, ("c5a.metal",)))
    g = ng(r)
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (110, 108, 300)
    assert any(f["rule_id"] == "PC001" and "110 or 250" in f["message"] for f in r["findings"])


def test_managed_t3_medium_17(tmp_path):
    # t3.medium: 3 x 5 + 2 = 17 (below the cap). 15 pods: 3 ENIs x 6 = 18 addresses
    g = ng(check(cfn(tmp_path, ("t3.medium",))))
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (17, 15, 18)


def test_managed_mixed_types_smallest_value_for_every_type(tmp_path):
    # m5.large 29, m5.4xlarge 110 -> EKS writes 29 on every node of the group.
    # An m5.4xlarge node at max pods 29: 27 pods fit the first ENI's 29 IPs (29 >= 29: ipamd stops):
    # 1 x 30 = 30 addresses; m5.large at 29: 27 pods -> 3 ENIs x 10 = 30. Largest: 30.
    # 4 nodes per subnet x 30 + 2 = 122.
    r = check(cfn(tmp_path, ("m5.large", "m5.4xlarge")))
    g = ng(r)
    assert g["max_pods"] == 29
    assert g["addresses_per_node"] == 30
    assert subnet(r, "SubnetA")["at_max"] == 122


def test_managed_mixed_types_large_pair(tmp_path):
    # min(110, 250) = 110 for both. c5.18xlarge at 110: 108 pods -> 3 ENIs (147 >= 110: stop) = 150
    # addresses; m5.4xlarge 120. Largest 150: 4 x 150 + 2 = 602 per subnet.
    r = check(cfn(tmp_path, ("m5.4xlarge", "c5.18xlarge")))
    assert ng(r)["addresses_per_node"] == 150
    assert subnet(r, "SubnetA")["at_max"] == 602


def test_managed_mixed_types_reported_max_pods_is_the_smallest(tmp_path):
    # nodegroups[].max_pods is the smallest type's: min(29, 110) = 29 (passes today)
    assert ng(check(cfn(tmp_path, ("m5.large", "m5.4xlarge"))))["max_pods"] == 29


def test_managed_prefix_delegation_ordered_after_addon(tmp_path):
    # add-on ENABLE_PREFIX_DELEGATION, node group DependsOn the add-on: EKS writes
    # min(3 x 9 x 16 + 2 = 434, 110) = 110. 108 pods -> 7 /28s (112 >= 110: stop) on the primary ENI:
    # 1 + 7 x 16 = 113 addresses. 4 x 113 + 2 = 454 per subnet.
    r = check(cfn(tmp_path, ("m5.large",), addon_env={"ENABLE_PREFIX_DELEGATION": "true"}, depends_on_addon=True))
    g = ng(r)
    assert (g["max_pods"], g["network_max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (110, 434, 108, 113)
    assert subnet(r, "SubnetA")["at_max"] == 454
    assert "PC105" not in rules(r)


def test_pc105_not_ordered_after_addon(tmp_path):
    # Nothing orders the node group after the add-on: 110 if the add-on is configured first, 29 (CNI
    # defaults: 3 x 9 + 2) otherwise. Pod capacity at 29 (27 pods), subnets at the larger demand (113).
    r = check(cfn(tmp_path, ("m5.large",), addon_env={"ENABLE_PREFIX_DELEGATION": "true"}))
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC105"]
    assert f["severity"] == "warning" and f["resource"] == "Nodes"
    assert "110 if the add-on is configured first, 29 otherwise" in f["message"]
    assert "DependsOn" in f["fix"]
    g = ng(r)
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (29, 27, 113)
    assert subnet(r, "SubnetA")["at_max"] == 4 * 113 + 2


def test_pc105_reference_chain_orders(tmp_path):
    # The node group refers to a launch template that DependsOn the add-on: ordered, no PC105, 110.
    lt_extra = {"LT": {"Type": "AWS::EC2::LaunchTemplate", "DependsOn": "VpcCni",
                       "Properties": {"LaunchTemplateData": {}}}}
    r = check(cfn(tmp_path, ("m5.large",), lt={}, addon_env={"ENABLE_PREFIX_DELEGATION": "true"}, extra=lt_extra))
    assert "PC105" not in rules(r)
    assert ng(r)["max_pods"] == 110


def test_pc105_silent_when_both_figures_agree(tmp_path):
    # m5.4xlarge: 110 with the add-on's prefix delegation, and min(234, 110) = 110 without: one figure.
    r = check(cfn(tmp_path, ("m5.4xlarge",), addon_env={"ENABLE_PREFIX_DELEGATION": "true"}))
    assert "PC105" not in rules(r) and ng(r)["max_pods"] == 110
    # WARM_IP_TARGET does not change max pods: 29 either way
    r = check(cfn(tmp_path, ("m5.large",), addon_env={"WARM_IP_TARGET": "5"}))
    assert "PC105" not in rules(r) and ng(r)["max_pods"] == 29


def test_managed_max_eni_from_addon(tmp_path):
    # MAX_ENI=3 (ordered): m5.4xlarge 3 x 29 + 2 = 89; 87 pods -> 3 ENIs (87 IPs, no 4th allowed) = 90
    r = check(cfn(tmp_path, ("m5.4xlarge",), addon_env={"MAX_ENI": "3"}, depends_on_addon=True))
    g = ng(r)
    assert (g["max_pods"], g["network_max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (89, 89, 87, 90)


# ----------------------------------------------------------------- launch templates and user data


def test_custom_ami_al2_kubelet_extra_args(tmp_path):
    # [BOOTSTRAP] custom AMI: EKS writes nothing; --kubelet-extra-args '--max-pods=150' is what kubelet runs
    # (no cap). 148 pods: 6 ENIs (174 >= 150: stop) x 30 = 180 addresses; 4 x 180 + 2 = 722 > 507: PC201.
    text = "#!/bin/bash\n/etc/eks/bootstrap.sh c1 --use-max-pods false --kubelet-extra-args '--max-pods=150'\n"
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)}))
    g = ng(r)
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (150, 148, 180)
    assert subnet(r, "SubnetA")["at_max"] == 722
    assert "PC201" in rules(r)


def test_custom_ami_al2_bootstrap_has_no_max_pods_option(tmp_path):
    # [BOOTSTRAP] the argument loop has no --max-pods case: it is kept as a positional argument and
    # ignored, so the node runs the AMI default 234. podcap says so with a PC001 (never reads 20).
    text = "#!/bin/bash\n/etc/eks/bootstrap.sh c1 --max-pods 20\n"
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)}))
    assert ng(r)["max_pods"] == 234
    assert "PC001" in rules(r)


def test_custom_ami_al2023_nodeconfig_mime(tmp_path):
    # [NODEADM] custom AMI, kubelet.config.maxPods 150 in a MIME part: 150, uncapped (as above: 180/node)
    text = mime_nodeconfig("  kubelet:\n    config:\n      maxPods: 150\n")
    g = ng(check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)})))
    assert (g["max_pods"], g["addresses_per_node"]) == (150, 180)


def test_al2023_mime_parts_merge_later_wins(tmp_path):
    # [NODEADM] api/merge.go MergeNodeConfigs: mergo WithOverride, parts in order: 40 then 60 -> 60.
    # 58 pods: 2 ENIs = 58 IPs < 60, 0 free -> 3rd ENI (87 >= 60) -> 90 addresses per node.
    second = ("--BOUNDARY\nContent-Type: application/node.eks.aws\n\n---\napiVersion: node.eks.aws/v1alpha1\n"
              "kind: NodeConfig\nspec:\n  kubelet:\n    config:\n      maxPods: 60\n\n--BOUNDARY--\n")
    text = mime_nodeconfig("  kubelet:\n    config:\n      maxPods: 40\n").replace("--BOUNDARY--\n", second)
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)}))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (60, 90)


def test_al2023_kubelet_flag_beats_config(tmp_path):
    # kubelet.flags go on kubelet's command line, which beats its config files: 70 over 40.
    # 68 pods: 3 ENIs (87 >= 70) -> 90 addresses.
    body = '  kubelet:\n    config:\n      maxPods: 40\n    flags:\n      - "--max-pods=70"\n'
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(NODECONFIG_HEAD + body)}))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (70, 90)


def test_managed_without_image_id_caps_user_data(tmp_path):
    # [MNG] "How maxPods is determined": without a custom AMI the managed node group cap (110 for
    # 16 vCPUs) wins over the NodeConfig's 150: 110 -> 120 addresses.
    text = mime_nodeconfig("  kubelet:\n    config:\n      maxPods: 150\n")
    r = check(cfn(tmp_path, lt={"UserData": ud(text)}))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (110, 120)
    # a value below the cap counts (the reading docs/max-pods.md states): 50. 48 pods: 2 ENIs
    # (58 >= 50: stop) -> 60 addresses
    text = mime_nodeconfig("  kubelet:\n    config:\n      maxPods: 50\n")
    r = check(cfn(tmp_path, lt={"UserData": ud(text)}))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (50, 60)


def test_max_pods_expression_custom_ami(tmp_path):
    # [NODEADM] evaluateCustomMaxPodsExpression: default_enis 8, ips_per_eni 30 on m5.4xlarge:
    # ((8 - 1) x (30 - 1)) + 2 = 205, no cap on a custom AMI. 203 pods: 7 ENIs = 203 IPs < 205, 0 free ->
    # 8th ENI (232 >= 205) -> 8 x 30 = 240 addresses.
    expr = '  kubelet:\n    maxPodsExpression: "((default_enis - 1) * (ips_per_eni - 1)) + 2"\n'
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(NODECONFIG_HEAD + expr)}))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (205, 240)
    # m5.large: ((3 - 1) x 9) + 2 = 20. 18 pods: 2 ENIs (18 < 20, 0 free) -> 3rd ENI -> 30 addresses
    r = check(cfn(tmp_path, ("m5.large",), lt={"ImageId": AMI, "UserData": ud(NODECONFIG_HEAD + expr)}))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (20, 30)
    # max_pods is the standard figure (never capped): max_pods - 34 on m5.4xlarge = 234 - 34 = 200
    expr2 = '  kubelet:\n    maxPodsExpression: "max_pods - 34"\n'
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(NODECONFIG_HEAD + expr2)}))
    assert ng(r)["max_pods"] == 200


def test_max_pods_expression_cel_arithmetic(tmp_path):
    # [NODEADM] CEL int arithmetic: max_pods / 2 on m5.4xlarge = 234 / 2 = 117 (integer division);
    # double(max_pods) * 0.5 = 117.0, converted to int (ConvertToType(IntType)) = 117
    for expr in ("max_pods / 2", "double(max_pods) * 0.5"):
        text = NODECONFIG_HEAD + f'  kubelet:\n    maxPodsExpression: "{expr}"\n'
        r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)}))
        assert ng(r)["max_pods"] == 117, expr
    # the prefix-delegation figure, uncapped on a custom AMI: 8 x (29 x 16) + 2 = 3714
    text = NODECONFIG_HEAD + '  kubelet:\n    maxPodsExpression: "default_enis * (ips_per_eni - 1) * 16 + 2"\n'
    assert ng(check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)})))["max_pods"] == 3714


def test_max_pods_expression_not_positive_is_unknown(tmp_path):
    # [NODEADM] a result <= 0 is an error (nodeadm then falls back to the standard figure, 234); podcap
    # reports it as PC001 rather than silently trusting the expression: 234 - 300 = -66
    text = NODECONFIG_HEAD + '  kubelet:\n    maxPodsExpression: "max_pods - 300"\n'
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)}))
    assert "PC001" in rules(r) and ng(r)["max_pods"] == 234


def test_max_pods_expression_capped_on_managed(tmp_path):
    # [MNG] the cap takes precedence over maxPodsExpression: min(205, 110) = 110
    expr = '  kubelet:\n    maxPodsExpression: "((default_enis - 1) * (ips_per_eni - 1)) + 2"\n'
    r = check(cfn(tmp_path, lt={"UserData": ud(NODECONFIG_HEAD + expr)}))
    assert ng(r)["max_pods"] == 110


def test_kubelet_config_max_pods_beats_expression(tmp_path):
    # choosing-instance-type precedence: kubelet maxPods over maxPodsExpression: 42 (not 205)
    both = ('  kubelet:\n    maxPodsExpression: "((default_enis - 1) * (ips_per_eni - 1)) + 2"\n'
            '    config:\n      maxPods: 42\n')
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(NODECONFIG_HEAD + both)}))
    assert ng(r)["max_pods"] == 42


def test_bottlerocket_toml(tmp_path):
    # Bottlerocket settings.kubernetes.max-pods = 42 on a custom AMI: 42. 40 pods: 2 ENIs (58 >= 42) -> 60
    toml = '[settings.kubernetes]\napi-server = "https://example.com"\ncluster-name = "c1"\nmax-pods = 42\n'
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(toml)}))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (42, 60)
    # on a Bottlerocket managed node group without an AMI ID: 300 capped at 110 ([MNG] line 23)
    r = check(cfn(tmp_path, lt={"UserData": ud(toml.replace("42", "300"))}, ami_type="BOTTLEROCKET_x86_64"))
    assert ng(r)["max_pods"] == 110


# ------------------------------------------------------------------------- self-managed Auto Scaling groups


def test_self_managed_asg_ami_default(tmp_path):
    # Self-managed: no EKS cap; the AMI default 8 x 29 + 2 = 234. 232 pods take all 8 ENIs: 240 addresses;
    # 4 x 240 + 2 = 962 > 507: PC201 (the figure the issue quotes).
    text = "#!/bin/bash\n/etc/eks/bootstrap.sh c1\n"
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "InstanceType": "m5.4xlarge", "UserData": ud(text)}, asg=True))
    g = ng(r)
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (234, 232, 240)
    assert subnet(r, "SubnetA")["at_max"] == 962 and "PC201" in rules(r)


def test_self_managed_asg_user_data(tmp_path):
    # --kubelet-extra-args '--max-pods=110' on the ASG's launch template: 110 -> 120 addresses, 482 per subnet
    text = "#!/bin/bash\n/etc/eks/bootstrap.sh c1 --use-max-pods false --kubelet-extra-args '--max-pods=110'\n"
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "InstanceType": "m5.4xlarge", "UserData": ud(text)}, asg=True))
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (110, 120)
    assert subnet(r, "SubnetA")["at_max"] == 482


# ==================================================================================== 4. Terraform plans


def _tf_plan(tmp_path: Path, depends_on: bool) -> Path:
    plan = json.loads((DATA / "tfplan" / "root-count.json").read_text())
    plan = copy.deepcopy(plan)
    for res in plan["configuration"]["root_module"]["resources"]:
        if res["address"] == "aws_eks_node_group.default" and depends_on:
            res["depends_on"] = ["aws_eks_addon.vpc_cni"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def test_terraform_pc105_and_depends_on(tmp_path):
    # tests/data/tfplan/root-count.json: m5.large managed node group, vpc-cni add-on with prefix delegation
    # and custom networking: calculator (3 - 1) x 9 x 16 + 2 = 290 -> 110; CNI defaults 29.
    r = check(_tf_plan(tmp_path, depends_on=False))
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC105"]
    assert "110 if the add-on is configured first, 29 otherwise" in f["message"]
    assert ng(r, "aws_eks_node_group.default")["max_pods"] == 29  # pod capacity at the smaller figure
    # depends_on = [aws_eks_addon.vpc_cni]: ordered, one figure, 110
    r = check(_tf_plan(tmp_path, depends_on=True))
    assert "PC105" not in rules(r)
    g = ng(r, "aws_eks_node_group.default")
    assert (g["max_pods"], g["network_max_pods"], g["pods_per_node"]) == (110, 290, 108)


# ====================================================================================== 5. podcap specs


SGP_SPEC = """version: 1
name: sgp
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/22}
cluster:
  cni:
    env: {ENABLE_POD_ENI: "true"}
nodegroups:
  - {name: fit, instance_types: [m5.large], subnets: [a], min: 1, max: 1, pods_per_node: 15, sgp_pods_per_node: 9}
  - {name: over, instance_types: [m5.large], subnets: [a], min: 1, max: 1, pods_per_node: 15, sgp_pods_per_node: 10}
  - {name: t3, instance_types: [t3.medium], subnets: [a], min: 1, max: 1, pods_per_node: 10, sgp_pods_per_node: 1}
"""


def test_pc106_branch_enis(tmp_path):
    r = check(spec(tmp_path, SGP_SPEC))
    # [VPCRC] m5.large BranchInterface 9: 9 pods fit, 10 do not
    assert "PC106" not in rules(r, "fit")
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC106" and f["resource"] == "over"]
    assert f["severity"] == "error" and f["data"]["branch_enis"] == 9 and f["data"]["sgp_pods_per_node"] == 10
    # t3.medium is not trunking-compatible: 0 branch ENIs
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC106" and f["resource"] == "t3"]
    assert f["data"]["branch_enis"] == 0


def test_sgp_addresses(tmp_path):
    # m5.large, ENABLE_POD_ENI, 15 pods of which 9 on branch ENIs: ipamd serves 6 on 2 ENIs (the trunk holds
    # the 3rd slot; 3 free < 9 but no room for another): 2 x 10 = 20, + trunk primary 1, + 9 branch
    # addresses = 30 per node.
    r = check(spec(tmp_path, SGP_SPEC))
    assert ng(r, "fit")["addresses_per_node"] == 30


def test_sgp_pods_do_not_use_ipamds_pool(tmp_path):
    # m5.large, ENABLE_POD_ENI, 20 pods per node of which 5 with their own security groups:
    # kubelet max pods 29 -> 27 non-host pods >= 20; ipamd's pool (2 ENIs x 9 = 18) >= 15 regular;
    # branch ENIs 9 >= 5. Everything fits: no PC101, and all 20 pods are counted.
    # addresses: 15 regular -> 2 ENIs = 20, + trunk 1, + 5 branch = 26.
    text = SGP_SPEC.split("nodegroups:")[0] + (
        "nodegroups:\n  - {name: ng, instance_types: [m5.large], subnets: [a], min: 1, max: 1, "
        "pods_per_node: 20, sgp_pods_per_node: 5}\n")
    r = check(spec(tmp_path, text))
    assert "PC101" not in rules(r, "ng")
    g = ng(r, "ng")
    assert g["pods_per_node"] == 20 and g["addresses_per_node"] == 26


def test_windows_spec(tmp_path):
    # [WIN] os: windows and a WINDOWS_* AMI type: m5.large max pods 10 - 1 = 9, all 9 take an address
    # (no aws-node / kube-proxy pods): the controller holds min(max(9 + 3, 3), 9) = 9 secondary IPs + the
    # primary address = 10.
    text = """version: 1
name: win
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/22}
nodegroups:
  - {name: win, instance_types: [m5.large], subnets: [a], min: 1, max: 2, os: windows}
  - {name: winami, instance_types: [m5.large], subnets: [a], min: 1, max: 2, ami_type: WINDOWS_CORE_2022_x86_64}
"""
    r = check(spec(tmp_path, text))
    for name in ("win", "winami"):
        g = ng(r, name)
        assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (9, 9, 10)


def test_custom_networking_spec(tmp_path):
    # [CALC] custom networking on a managed m5.large: (3 - 1) x 9 + 2 = 20; 18 pods on 2 ENIs in the pod
    # subnet (2 x 10 = 20) + the primary ENI's address in the node subnet = 21.
    # Self-managed: the AMI default 29 exceeds the 20 the network holds: PC102.
    text = """version: 1
name: cn
vpc: {cidr: 10.0.0.0/16, secondary_cidrs: [100.64.0.0/16]}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/22}
  - {name: pa, az: us-east-1a, cidr: 100.64.0.0/20, role: pods}
cluster:
  subnets: [a]
  cni:
    env: {AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true"}
    eni_configs: {us-east-1a: pa}
nodegroups:
  - {name: mng, instance_types: [m5.large], subnets: [a], min: 1, max: 2}
  - {name: big, instance_types: [m5.4xlarge], subnets: [a], min: 1, max: 2}
  - {name: self, instance_types: [m5.large], subnets: [a], min: 1, max: 2, self_managed: true}
"""
    r = check(spec(tmp_path, text))
    assert (ng(r, "mng")["max_pods"], ng(r, "mng")["addresses_per_node"]) == (20, 21)
    # m5.4xlarge: (8 - 1) x 29 + 2 = 205 -> 110; 108 pods on 4 pod-subnet ENIs (116 >= 110) = 120 + 1 = 121
    assert (ng(r, "big")["max_pods"], ng(r, "big")["addresses_per_node"]) == (110, 121)
    assert ng(r, "self")["max_pods"] == 29 and "PC102" in rules(r, "self")
    # node subnet: 6 nodes x 1 primary + 4 control-plane ENIs (one cluster subnet) = 10;
    # pod subnet: 2 x 20 + 2 x 120 + 2 x 20 = 320
    assert subnet(r, "a")["at_max"] == 10 and subnet(r, "pa")["at_max"] == 320


def test_ipv6_spec(tmp_path):
    # IPv6 cluster: managed t3.nano 34, m5.large 110; self-managed t3.nano the AMI default 2 x 1 + 2 = 4.
    # Each node takes one IPv4 address (its primary ENI's); 9 nodes + 4 control plane = 13.
    text = """version: 1
name: v6
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/24}
cluster:
  ip_family: ipv6
nodegroups:
  - {name: nano, instance_types: [t3.nano], subnets: [a], min: 1, max: 3}
  - {name: m5, instance_types: [m5.large], subnets: [a], min: 1, max: 3}
  - {name: selfnano, instance_types: [t3.nano], subnets: [a], min: 1, max: 3, self_managed: true}
"""
    r = check(spec(tmp_path, text))
    assert ng(r, "nano")["max_pods"] == 34 and ng(r, "nano")["pods_per_node"] == 32
    assert ng(r, "m5")["max_pods"] == 110
    assert ng(r, "selfnano")["max_pods"] == 4
    assert subnet(r, "a")["at_max"] == 13


PC206_SPEC = """version: 1
name: cp
vpc: {{cidr: 10.0.0.0/16}}
subnets:
  - {{name: a, az: us-east-1a, cidr: 10.0.0.0/27, used_addresses: {used}}}
  - {{name: b, az: us-east-1b, cidr: 10.0.0.32/27}}
cluster:
  subnets: [a, b]
nodegroups:
  - {{name: ng, instance_types: [m5.large], subnets: [a], min: 1, max: 1, pods_per_node: 5}}
"""


@pytest.mark.parametrize("used,free,fires", [(0, 5, False), (1, 4, True)])
def test_pc206_cluster_subnet_free_addresses(tmp_path, used, free, fires):
    # [NETREQ] /27 = 32 - 5 = 27 usable, minus `used`. One m5.large with 5 pods: 1 ENI (9 IPs, 4 free < 9)
    # -> 2 ENIs = 20 addresses; control plane ceil(4 / 2) = 2 -> 22 at max size. free = 27 - used - 22.
    r = check(spec(tmp_path, PC206_SPEC.format(used=used)))
    s = subnet(r, "a")
    assert s["usable"] - s["at_max"] == free
    found = [f for f in r["findings"] if f["rule_id"] == "PC206"]
    if fires:
        (f,) = found
        assert f["severity"] == "warning" and f["resource"] == "a"
        assert f["data"]["free"] == 4 and f["data"]["needed"] == 5
    else:
        assert not found


def test_spec_managed_and_self_managed_m5_4xlarge(tmp_path):
    # The issue's spec form: managed (the spec default) 110 -> 120 addresses; self-managed 234 -> 240.
    text = """version: 1
name: s
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/21}
nodegroups:
  - {name: mng, instance_types: [m5.4xlarge], subnets: [a], min: 1, max: 2}
  - {name: self, instance_types: [m5.4xlarge], subnets: [a], min: 1, max: 2, self_managed: true}
"""
    r = check(spec(tmp_path, text))
    assert (ng(r, "mng")["max_pods"], ng(r, "mng")["addresses_per_node"]) == (110, 120)
    assert (ng(r, "self")["max_pods"], ng(r, "self")["addresses_per_node"]) == (234, 240)


def test_spec_kubelet_max_pods_capped_on_managed_only(tmp_path):
    # kubelet_max_pods 150 on m5.4xlarge: managed (no custom AMI) min(150, 110) = 110 -> 120 addresses;
    # self-managed 150 -> 148 pods: 6 ENIs (174 >= 150) x 30 = 180 addresses
    text = """version: 1
name: k
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/21}
nodegroups:
  - {name: mng, instance_types: [m5.4xlarge], subnets: [a], min: 1, max: 2, kubelet_max_pods: 150}
  - {name: self, instance_types: [m5.4xlarge], subnets: [a], min: 1, max: 2, kubelet_max_pods: 150, self_managed: true}
"""
    r = check(spec(tmp_path, text))
    assert (ng(r, "mng")["max_pods"], ng(r, "mng")["addresses_per_node"]) == (110, 120)
    assert (ng(r, "self")["max_pods"], ng(r, "self")["addresses_per_node"]) == (150, 180)


def test_self_managed_is_not_subject_to_creation_order(tmp_path):
    # PC105 is about what EKS writes; a self-managed group runs the AMI default (29) whatever the add-on's
    # order. Prefix delegation: 27 pods -> 2 /28s (32 >= 29: stop) -> 1 + 32 = 33 addresses.
    text = "#!/bin/bash\n/etc/eks/bootstrap.sh c1\n"
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "InstanceType": "m5.large", "UserData": ud(text)}, asg=True,
                  addon_env={"ENABLE_PREFIX_DELEGATION": "true"}))
    assert "PC105" not in rules(r)
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (29, 33)


def test_node_text_says_which_default():
    # Issue 9 section 6: without --kubelet-max-pods the AMI default (234 on m5.4xlarge), and the text says so;
    # with --managed the figure EKS writes (110)
    out = cli(["node", "m5.4xlarge", "--pods", "50"]).assert_promise().out
    assert "kubelet max-pods 234" in out and "AMI default" in out
    out = cli(["node", "m5.4xlarge", "--pods", "50", "--managed"]).assert_promise().out
    assert "kubelet max-pods 110" in out and "managed node group" in out


# ======================================================= 6. follow-ups: the cases the first pass got wrong


def test_managed_mixed_types_ordering_undecided(tmp_path):
    # [MNG] smallest across the types, per CNI configuration that may be in force. Add-on with prefix
    # delegation, nothing orders the node group after it:
    #   configured first: m5.large min(3 x 9 x 16 + 2 = 434, 110) = 110, m5.4xlarge min(3714, 110) = 110 -> 110
    #   otherwise (CNI defaults): m5.large 3 x 9 + 2 = 29, m5.4xlarge min(234, 110) = 110 -> 29
    # Pod capacity at 29 (27 pods); subnets at 110 on every node: 108 pods -> 7 /28s (112 >= 110: stop) on
    # the primary ENI = 1 + 7 x 16 = 113 addresses on either type; 4 x 113 + 2 = 454 per subnet.
    r = check(cfn(tmp_path, ("m5.large", "m5.4xlarge"), addon_env={"ENABLE_PREFIX_DELEGATION": "true"}))
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC105"]
    assert "110 if the add-on is configured first, 29 otherwise, on every node" in f["message"]
    assert f["data"]["figures"] == {"m5.large": {"configured_first": 110, "otherwise": 29},
                                    "m5.4xlarge": {"configured_first": 110, "otherwise": 29}}
    g = ng(r)
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (29, 27, 113)
    assert subnet(r, "SubnetA")["at_max"] == 454
    # ordered (DependsOn): 110 on every node, 108 pods, the same 113 addresses
    r = check(cfn(tmp_path, ("m5.large", "m5.4xlarge"), addon_env={"ENABLE_PREFIX_DELEGATION": "true"},
                  depends_on_addon=True))
    assert "PC105" not in rules(r)
    assert (ng(r)["max_pods"], ng(r)["pods_per_node"], ng(r)["addresses_per_node"]) == (110, 108, 113)


def test_managed_mixed_types_smallest_decides_without_vcpus(tmp_path):
    # c5a.metal alone is "110 or 250, vCPUs unknown" (PC001); beside an m5.large the group's figure is
    # min(29, 110 or 250) = 29 whatever its vCPUs: decided, no PC001.
    # c5a.metal at 29: 27 pods on the first ENI (49 IPs >= 29: ipamd stops) = 50 addresses; m5.large 30.
    # 4 x 50 + 2 = 202 per subnet.
    r = check(cfn(tmp_path, ("m5.large", "c5a.metal")))
    assert "PC001" not in rules(r)
    assert (ng(r)["max_pods"], ng(r)["addresses_per_node"]) == (29, 50)
    assert subnet(r, "SubnetA")["at_max"] == 202
    assert any("smallest figure across the node group's instance types" in n for n in r["notes"])


def test_custom_ami_mixed_types_keep_their_own_ami_default(tmp_path):
    # A launch template with an ImageId: EKS writes nothing, each node's bootstrap computes its own type's
    # AMI default ([NODEADM] calculateStandardMaxPods): m5.large 29, m5.4xlarge 8 x 29 + 2 = 234.
    # m5.4xlarge: 232 pods on all 8 ENIs = 240 addresses; 4 x 240 + 2 = 962 > 507: PC201.
    r = check(cfn(tmp_path, ("m5.large", "m5.4xlarge"), lt={"ImageId": AMI}))
    g = ng(r)
    assert (g["max_pods"], g["addresses_per_node"]) == (29, 240)
    assert subnet(r, "SubnetA")["at_max"] == 962 and "PC201" in rules(r)
    # user data on the custom AMI sets one value for every type already: 50 -> m5.4xlarge 48 pods on
    # 2 ENIs (58 >= 50: stop) = 60 addresses; m5.large 50 > 29 is PC102
    text = mime_nodeconfig("  kubelet:\n    config:\n      maxPods: 50\n")
    r = check(cfn(tmp_path, ("m5.large", "m5.4xlarge"), lt={"ImageId": AMI, "UserData": ud(text)}))
    assert ng(r)["addresses_per_node"] == 60 and "PC102" in rules(r)


def test_pc101_mixed_managed_names_the_types_that_fit_alone(tmp_path):
    # [m5.large, m5.4xlarge], 50 pods: every node runs 29 (27 pods) -> PC101 on the group; in a group of its
    # own the m5.4xlarge would run min(234, 110) - 2 = 108 pods
    text = SGP_SPEC.split("cluster:")[0] + (
        "nodegroups:\n  - {name: ng, instance_types: [m5.large, m5.4xlarge], subnets: [a], min: 1, max: 1, "
        "pods_per_node: 50}\n")
    r = check(spec(tmp_path, text))
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC101"]
    assert f["data"]["capacity_pods"] == 27 and f["data"]["instance_type"] == "m5.large"
    assert "smallest max pods across its instance types (29 here)" in f["fix"] and "m5.4xlarge 108" in f["fix"]


def _sgp_node(tmp_path: Path, pods: int | None, sgp: int) -> dict:
    per = f"pods_per_node: {pods}, " if pods is not None else ""
    text = SGP_SPEC.split("nodegroups:")[0] + (
        "nodegroups:\n  - {name: ng, instance_types: [m5.large], subnets: [a], min: 1, max: 1, "
        f"{per}sgp_pods_per_node: {sgp}}}\n")
    return check(spec(tmp_path, text))


@pytest.mark.parametrize("pods,sgp,capacity,placed,addresses,pc101", [
    # m5.large, ENABLE_POD_ENI: kubelet 29 - 2 = 27; ipamd's pool 2 ENIs x 9 = 18 (the trunk holds the 3rd
    # slot); branch ENIs 9. capacity = min(27, 18 + min(sgp, 9)).
    # 23 pods, 5 SGP: min(27, 23) = 23 -> fits; 18 regular: 2 ENIs = 20, + trunk 1, + 5 branch = 26
    (23, 5, 23, 23, 26, False),
    # 24 pods, 5 SGP: 19 regular > 18 -> PC101 at 23; placed 23 -> the same 26 addresses
    (24, 5, 23, 23, 26, True),
    # 27 pods, 9 SGP: min(27, 18 + 9) = 27 -> fits; 18 regular -> 20 + 1 + 9 = 30
    (27, 9, 27, 27, 30, False),
    # 28 pods, 10 SGP: min(27, 18 + 9) = 27 (kubelet decides) -> PC101 (and PC106: 10 > 9 branch ENIs)
    (28, 10, 27, 27, 30, True),
    # no stated demand, 5 SGP: the node's capacity, 23 pods: 26 addresses
    (None, 5, 23, 23, 26, False),
])
def test_sgp_capacity_pool_branch_and_kubelet(tmp_path, pods, sgp, capacity, placed, addresses, pc101):
    r = _sgp_node(tmp_path, pods, sgp)
    g = ng(r, "ng")
    assert (g["pods_per_node"], g["addresses_per_node"]) == (placed, addresses)
    found = [f for f in r["findings"] if f["rule_id"] == "PC101"]
    assert bool(found) is pc101
    if found:
        assert found[0]["data"]["capacity_pods"] == capacity
    assert ("PC106" in rules(r, "ng")) is (sgp > 9)


def test_sgp_pc101_says_which_limit(tmp_path):
    # 24 pods, 5 SGP: kubelet 29 is above the pool + branch figure 20 + 5 = 25: the network limits
    (f,) = [f for f in _sgp_node(tmp_path, 24, 5)["findings"] if f["rule_id"] == "PC101"]
    assert "network max pods 20 + 5 on branch ENIs" in f["message"]
    assert "ipamd's pool of 18 and 5 pod(s) on branch ENIs" in f["fix"]
    # 28 pods, 10 SGP: kubelet 29 - 2 = 27 and pool + branch 18 + 9 = 27 coincide at 27
    (f,) = [f for f in _sgp_node(tmp_path, 28, 10)["findings"] if f["rule_id"] == "PC101"]
    assert f["data"]["capacity_pods"] == 27 and "network max pods 20 + 9 on branch ENIs" in f["message"]


@pytest.mark.parametrize("itype,ips", [("m5.large", 10), ("t3.medium", 6), ("m5.4xlarge", 30)])
def test_maxpods_windows_prefix_delegation_matches_node(itype, ips):
    # [WIN] (IPv4 per ENI - 1) x 16 on the primary ENI: m5.large 144, t3.medium 80, m5.4xlarge 464; the
    # Windows AMI's max pods stays IPv4 per ENI - 1 (9, 5, 29), as `podcap node` reports
    row = maxpods(itype, "--os", "windows", "--prefix-delegation")[itype]
    assert row["network_max_pods"] == (ips - 1) * 16
    assert row["max_pods"] == row["ami_default_max_pods"] == ips - 1
    d = node(itype, "--pods", "1", "--os", "windows", "--prefix-delegation")
    assert d["network_max_pods"] == row["network_max_pods"]
    assert d["ami_default_max_pods"] == row["ami_default_max_pods"]
    # without prefix delegation: ips - 1 both ways
    assert maxpods(itype, "--os", "windows")[itype]["network_max_pods"] == ips - 1


def test_node_help_names_the_real_default():
    out = " ".join(cli(["node", "--help"]).assert_promise().out.split())
    assert "AWS's recommended value" not in out
    assert "--kubelet-max-pods N kubelet max-pods (default: the EKS AMI's default" in out
    assert "with --managed, the figure EKS writes for a managed node group" in out


def test_pc105_fix_speaks_the_sources_language(tmp_path):
    # CloudFormation: DependsOn only
    r = check(cfn(tmp_path, ("m5.large",), addon_env={"ENABLE_PREFIX_DELEGATION": "true"}))
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC105"]
    assert "DependsOn: VpcCni" in f["fix"] and "depends_on" not in f["fix"]
    # Terraform: depends_on only
    r = check(_tf_plan(tmp_path, depends_on=False))
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC105"]
    assert "depends_on = [aws_eks_addon.vpc_cni]" in f["fix"] and "DependsOn" not in f["fix"]


def test_custom_ami_al2_use_max_pods_false_is_kubelets_110(tmp_path):
    # [BOOTSTRAP] --use-max-pods false without --kubelet-extra-args '--max-pods=N': bootstrap.sh writes no
    # maxPods and the AMI's kubelet-config.json has none: kubelet's own default 110 (not the AMI's 234).
    # 108 pods: 4 ENIs (116 >= 110: stop) x 30 = 120 addresses; 4 x 120 + 2 = 482 per subnet.
    text = "#!/bin/bash\n/etc/eks/bootstrap.sh c1 --use-max-pods false\n"
    r = check(cfn(tmp_path, lt={"ImageId": AMI, "UserData": ud(text)}))
    g = ng(r)
    assert (g["max_pods"], g["pods_per_node"], g["addresses_per_node"]) == (110, 108, 120)
    assert subnet(r, "SubnetA")["at_max"] == 482
    assert "PC001" not in rules(r)
    assert any("kubelet's own default 110" in n for n in r["notes"])
    # on an m5.large the 110 is above the 29 the network holds: PC102
    r = check(cfn(tmp_path, ("m5.large",), lt={"ImageId": AMI, "UserData": ud(text)}))
    assert ng(r)["max_pods"] == 110 and "PC102" in rules(r)


def test_pc103_mixed_managed_says_split_the_group(tmp_path):
    # [m5.large, m5.4xlarge]: the m5.4xlarge nodes run 29, far below the 110 recommended for them
    # (29 x 2 = 58 <= 110): PC103, whose fix cannot be "set max pods" (EKS writes the group's smallest, 29),
    # but a node group of its own, where EKS writes min(234, 110) = 110
    r = check(cfn(tmp_path, ("m5.large", "m5.4xlarge")))
    (f,) = [f for f in r["findings"] if f["rule_id"] == "PC103"]
    assert f["data"]["instance_type"] == "m5.4xlarge" and f["data"]["kubelet_max_pods"] == 29
    assert "node group of its own, where EKS writes 110" in f["fix"]
