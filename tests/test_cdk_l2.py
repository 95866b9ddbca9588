"""The CDK aws-eks L2 construct (``aws_cdk.aws_eks.Cluster``) as most EKS CDK apps use it, read from an app
synthesized with the pinned CDK (tests/data/cdk/eks-l2-cluster, see its PROVENANCE). Figures are worked out in
comments from the AWS per-type limits (ENIs x IPv4 addresses per ENI)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from podcap.sources.cdk_assembly import load_assembly

APP = Path(__file__).resolve().parent / "data" / "cdk" / "eks-l2-cluster"
OUT = APP / "assembly"
S = "EksL2Cluster/"
PRIVATE = [f"{S}VpcprivateSubnet1SubnetCEAD3716", f"{S}VpcprivateSubnet2Subnet2DE7549C"]
PUBLIC = [f"{S}VpcpublicSubnet1Subnet2BB74ED7", f"{S}VpcpublicSubnet2SubnetE34B022A"]


@pytest.fixture(scope="module")
def plan():
    return load_assembly(OUT)


def test_the_custom_resource_cluster_is_read(plan):
    (cl,) = plan.clusters.values()
    assert cl.id == f"{S}Cluster9EE0221C"
    # Config.resourcesVpcConfig.subnetIds: the VPC's 2 public and 2 private subnets
    assert cl.subnets == [*PUBLIC, *PRIVATE] and cl.ip_family == "ipv4"
    assert {s: plan.subnets[s].cidr for s in [*PUBLIC, *PRIVATE]} == {
        PUBLIC[0]: "10.0.0.0/24", PUBLIC[1]: "10.0.1.0/24", PRIVATE[0]: "10.0.4.0/22", PRIVATE[1]: "10.0.8.0/22"}
    assert not any("not described by the input" in u.reason for _, u in plan.unresolved)


def test_node_groups_default_capacity_and_auto_scaling_capacity(plan):
    ngs = {ng.name.removeprefix(S): ng for ng in plan.nodegroups}
    default = ngs["ClusterNodegroupDefaultCapacityDA0920A3"]
    assert (default.instance_types, default.min_size, default.desired_size, default.max_size) == (["m5.large"], 2, 2, 2)
    workers = ngs["ClusterNodegroupWorkersA3EA85B0"]
    assert (workers.instance_types, workers.min_size, workers.desired_size, workers.max_size) == (["m5.xlarge"], 1, 2, 6)
    asg = ngs["ClusterSelfManagedASG033403D3"]
    assert asg.self_managed and asg.instance_types == ["c5.large"] and (asg.min_size, asg.max_size) == (1, 3)
    # the bootstrap user data: --kubelet-extra-args --max-pods=20
    assert asg.kubelet_max_pods == 20 and "ClusterSelfManagedLaunchConfig477E1F9A" in asg.max_pods_origin
    for ng in ngs.values():
        assert ng.cluster == f"{S}Cluster9EE0221C" and ng.subnets == PRIVATE
        assert ng.custom_ami is False
    # the aws-node KubernetesPatch (AwsNodeEnv) sets the CNI's env, and nothing orders the managed groups
    # after it: EKS may write their max pods from the defaults (the self-managed group's comes from its user data)
    assert [ngs[n].ordered_after_cni for n in ("ClusterNodegroupDefaultCapacityDA0920A3",
                                               "ClusterNodegroupWorkersA3EA85B0", "ClusterSelfManagedASG033403D3")] \
        == [False, False, None]


def test_manifest_and_aws_node_patch_reach_the_cluster(plan):
    (cl,) = plan.clusters.values()
    # KubernetesPatch daemonset/aws-node: ApplyPatchJson's env
    assert cl.cni_env == {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}
    assert cl.cni_resource == f"{S}AwsNodeEnvB165CD63"
    # the ENIConfig manifest, Fn::Join around {"Ref": private subnet 1}
    assert cl.eni_configs == {"us-east-1a": PRIVATE[0]}


def test_fargate_profile_without_subnets_takes_the_clusters_private_subnets(plan):
    # add_fargate_profile without a vpc writes no subnets; EKS then uses the private subnets among the cluster's
    # (CDK's default: two public, two private): the public ones' route tables route 0.0.0.0/0 to the VPC's
    # internet gateway, the private ones' to a NAT gateway
    (fp,) = plan.fargate_profiles
    assert fp.pods == 40 and fp.cluster == f"{S}Cluster9EE0221C"
    assert fp.subnets == PRIVATE
    assert all(plan.subnets[s].internet_route is None for s in PRIVATE)
    public = sorted(s for s, sub in plan.subnets.items() if sub.internet_route)
    assert public == [f"{S}VpcpublicSubnet1Subnet2BB74ED7", f"{S}VpcpublicSubnet2SubnetE34B022A"]
    assert fp.location.construct_path == "/EksL2Cluster/Cluster/fargate-profile-Batch/Resource/Default"


def test_nested_provider_stacks_are_found_by_the_asset_manifest(plan):
    assert not any("nested stack not read" in u.reason for _, u in plan.unresolved)
    assert [rid for rid, _ in plan.unresolved] == []


def test_the_check_end_to_end(capsys, monkeypatch, tmp_path):
    from podcap.cli import main

    monkeypatch.chdir(tmp_path)
    rc = main(["check", str(OUT), "--format", "json"])
    rep = json.loads(capsys.readouterr().out)
    ngs = {n["name"].removeprefix(S): n for n in rep["nodegroups"]}
    # m5.large: 3 ENIs x 10 IPv4 addresses -> max pods 3 x (10 - 1) + 2 = 29 (EKS writes it for a managed group)
    assert ngs["ClusterNodegroupDefaultCapacityDA0920A3"]["max_pods"] == 29
    # m5.xlarge: 4 ENIs x 15 -> 4 x 14 + 2 = 58
    assert ngs["ClusterNodegroupWorkersA3EA85B0"]["max_pods"] == 58
    # c5.large: 3 x 10 -> network max 29, kubelet told 20 by the user data
    asg = ngs["ClusterSelfManagedASG033403D3"]
    assert (asg["max_pods"], asg["network_max_pods"]) == (20, 29)
    # the Fargate profile in the cluster's private subnets: ceil(40 / 2) = 20 pods each, and not refused
    assert not any(f["rule_id"] == "PC504" for f in rep["findings"])
    assert any("EKS uses the cluster's private subnets" in n for n in rep["notes"])
    assert rep["summary"]["checked"]["fargate_profiles"] == 1 and rep["summary"]["checked"]["clusters"] == 1
    assert rc in (0, 1)


def test_fargate_profile_given_subnets_is_judged(tmp_path):
    """The same app with the profile's subnets named (as ``add_fargate_profile(vpc=...)`` writes them)."""
    out = tmp_path / "cdk.out"
    shutil.copytree(OUT, out)
    tpl = out / "EksL2Cluster.template.json"
    doc = json.loads(tpl.read_text())
    cfg = doc["Resources"]["ClusterfargateprofileBatchBA86B04A"]["Properties"]["Config"]
    cfg["subnets"] = [{"Ref": "VpcprivateSubnet1SubnetCEAD3716"}, {"Ref": "VpcprivateSubnet2Subnet2DE7549C"}]
    tpl.write_text(json.dumps(doc))
    from podcap.analysis import analyse
    from podcap.limits import load_snapshot

    plan = load_assembly(out)
    assert plan.fargate_profiles[0].subnets == PRIVATE
    a = analyse(plan, load_snapshot(None))
    fargate = [c for c in a.subnets[PRIVATE[0]].contributions["max"] if c.nodegroup and "fargate" in c.nodegroup]
    # 40 pods over 2 subnets: ceil(40 / 2) = 20 addresses in each
    assert sum(c.addresses for c in fargate) == 20


# -- aws_eks_v2: an Auto Mode cluster with a Fargate profile in two /28s --------------------------------------

AM = Path(__file__).resolve().parent / "data" / "cdk" / "eks-v2-auto-mode-fargate" / "assembly"
AMS = "AutoModeFargate/"
AM_PRIVATE = [f"{AMS}VpcprivateSubnet1SubnetCEAD3716", f"{AMS}VpcprivateSubnet2Subnet2DE7549C"]


def test_auto_mode_cluster_and_fargate_profile_are_read():
    plan = load_assembly(AM)
    (cl,) = plan.clusters.values()
    assert cl.auto_mode is True and sorted(cl.auto_mode_pools) == ["general-purpose", "system"]
    assert cl.demand == {"max_nodes": 2}
    (fp,) = plan.fargate_profiles
    assert fp.pods == 20 and fp.subnets == AM_PRIVATE
    assert [plan.subnets[s].cidr for s in AM_PRIVATE] == ["10.0.0.128/28", "10.0.0.144/28"]


def test_auto_mode_with_fargate_in_two_28s_is_not_a_pass(capsys, monkeypatch, tmp_path):
    from podcap.analysis import analyse
    from podcap.cli import main
    from podcap.limits import load_snapshot

    monkeypatch.chdir(tmp_path)
    rc = main(["check", str(AM), "--format", "json"])
    rep = json.loads(capsys.readouterr().out)
    by_id = {s["subnet"]: s for s in rep["subnets"]}
    # a /28: 16 addresses - 5 reserved by AWS = 11 usable
    assert [by_id[s]["usable"] for s in AM_PRIVATE] == [11, 11]
    # the Fargate profile alone: 20 pods over its 2 subnets = 10 addresses in each, before any Auto Mode node
    a = analyse(load_assembly(AM), load_snapshot(None))
    for sid in AM_PRIVATE:
        fargate = [c for c in a.subnets[sid].contributions["max"] if c.nodegroup and "fargateprofile" in c.nodegroup]
        assert sum(c.addresses for c in fargate) == 10
    # with the Auto Mode nodes on top the /28s overflow: PC201 on both, exit 1 (was "No findings", exit 0)
    assert {f["resource"] for f in rep["findings"] if f["rule_id"] == "PC201"} >= set(AM_PRIVATE)
    assert rc == 1
