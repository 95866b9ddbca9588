"""The eksctl ClusterConfig source (eksctl.io/v1alpha5 -> Plan), on eksctl's own examples and inline cases.

The defaults asserted here are eksctl's (eksctl-io/eksctl at 99984adb: pkg/apis/eksctl.io/v1alpha5 types.go
and validation.go, pkg/vpc/vpc.go SetSubnets, pkg/az/az.go, pkg/actions/addon/tasks.go)."""
from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.check import detect_kind
from podcap.model.unknown import Unknown
from podcap.sources.eksctl import (
    carve_subnets,
    load_cluster_config,
    looks_like_cluster_config,
    plan_from_cluster_config,
)
from podcap.sources.safe_yaml import InputError

DATA = Path(__file__).parent / "data" / "eksctl"


def load(name: str):
    return load_cluster_config(DATA / name)


def config(**body) -> dict:
    doc = {"apiVersion": "eksctl.io/v1alpha5", "kind": "ClusterConfig",
           "metadata": {"name": "c1", "region": "eu-west-1"}}
    doc.update(body)
    return doc


def plan_of(**body):
    return plan_from_cluster_config(config(**body), "cluster.yaml")


def ng(plan, name):
    found = [n for n in plan.nodegroups if n.name == name]
    assert found, [n.name for n in plan.nodegroups]
    return found[0]


# -- detection -----------------------------------------------------------------------------------------------


def test_detection_of_every_example():
    for path in sorted(DATA.glob("*.yaml")):
        assert detect_kind(str(path)) == "eksctl", path.name


def test_detection_needs_both_markers(tmp_path):
    assert looks_like_cluster_config("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n")
    assert looks_like_cluster_config('{"apiVersion": "eksctl.io/v1alpha5", "kind": "ClusterConfig"}')
    assert not looks_like_cluster_config("apiVersion: eksctl.io/v1alpha5\nkind: NodeGroup\n")
    assert not looks_like_cluster_config("apiVersion: v1\nkind: ClusterConfig\n")
    # a ClusterConfig quoted in another document (a CloudFormation build step writing cluster.yaml) is not one
    assert not looks_like_cluster_config("Resources:\n  Build:\n    Properties:\n      Spec: |\n"
                                         "        apiVersion: eksctl.io/v1alpha5\n        kind: ClusterConfig\n")
    # a top-level vpc: key would read as a podcap spec without the eksctl markers winning first
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(config(vpc={"cidr": "10.1.0.0/16"})), encoding="utf-8")
    assert detect_kind(str(p)) == "eksctl"
    p.write_text(json.dumps(config()), encoding="utf-8")
    assert detect_kind(str(p)) == "eksctl"


# -- the VPC eksctl creates ------------------------------------------------------------------------------------


def test_simple_cluster_carves_six_subnets_of_the_default_cidr():
    plan = load("01-simple-cluster.yaml")
    assert plan.kind == "eksctl"
    assert plan.vpcs["vpc"].cidrs == ["192.168.0.0/16"]  # DefaultCIDR
    # 3 zones (eu-north-1 is not us-east-1) -> 6 subnets <= 8: each /16 + 3 = /19 (8192 addresses);
    # public zone i is block i (0, 32, 64 in the third octet), private zone i is block 3 + i (96, 128, 160)
    got = {sid: (s.cidr, s.az) for sid, s in plan.subnets.items()}
    assert got == {
        "vpc.subnets.public.az-0": ("192.168.0.0/19", "az-0"),
        "vpc.subnets.public.az-1": ("192.168.32.0/19", "az-1"),
        "vpc.subnets.public.az-2": ("192.168.64.0/19", "az-2"),
        "vpc.subnets.private.az-0": ("192.168.96.0/19", "az-0"),
        "vpc.subnets.private.az-1": ("192.168.128.0/19", "az-1"),
        "vpc.subnets.private.az-2": ("192.168.160.0/19", "az-2"),
    }
    g = ng(plan, "nodeGroups.ng-1")
    assert g.self_managed and g.instance_types == ["m5.large"]
    # desiredCapacity 1, no min/max: minSize = maxSize = desiredCapacity
    assert (g.min_size, g.desired_size, g.max_size) == (1, 1, 1)
    # no privateNetworking: the public subnets of every zone
    assert g.subnets == ["vpc.subnets.public.az-0", "vpc.subnets.public.az-1", "vpc.subnets.public.az-2"]
    (cl,) = plan.clusters.values()
    assert cl.id == "cluster-1" and len(cl.subnets) == 6  # the control plane gets every subnet eksctl makes
    assert g.location.line == 11  # "- name: ng-1"


def test_us_east_1_gets_two_zones_and_availability_zones_name_them():
    plan = plan_of(metadata={"name": "c1", "region": "us-east-1"})
    # az.randomSelectionOfZones: 2 zones in us-east-1 -> 4 subnets <= 8: still /19 blocks 0..3
    assert {sid: s.cidr for sid, s in plan.subnets.items()} == {
        "vpc.subnets.public.az-0": "192.168.0.0/19", "vpc.subnets.public.az-1": "192.168.32.0/19",
        "vpc.subnets.private.az-0": "192.168.64.0/19", "vpc.subnets.private.az-1": "192.168.96.0/19"}
    plan = plan_of(availabilityZones=["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d", "eu-west-1e"],
                   vpc={"cidr": "10.0.0.0/20"})
    # 5 zones -> 10 subnets > 8: /20 + 4 = /24 blocks; public eu-west-1e = block 4 = 10.0.4.0/24,
    # private eu-west-1a = block 5 = 10.0.5.0/24
    assert plan.subnets["vpc.subnets.public.eu-west-1e"].cidr == "10.0.4.0/24"
    assert plan.subnets["vpc.subnets.private.eu-west-1a"].cidr == "10.0.5.0/24"
    assert plan.subnets["vpc.subnets.private.eu-west-1a"].az == "eu-west-1a"


def test_local_zones_share_the_carving():
    plan = load("33-local-zones.yaml")
    # 3 AZs + 2 Local Zones = 5 zones -> 10 subnets: /16 + 4 = /20 (4096 addresses each);
    # public us-west-2-lax-1a = block 3 (3 x 16 = 48), private = block 5 + 3 = 8 (8 x 16 = 128)
    assert plan.subnets["vpc.localZoneSubnets.public.us-west-2-lax-1a"].cidr == "192.168.48.0/20"
    assert plan.subnets["vpc.localZoneSubnets.private.us-west-2-lax-1a"].cidr == "192.168.128.0/20"
    assert plan.subnets["vpc.subnets.private.az-0"].cidr == "192.168.80.0/20"  # block 5
    g = ng(plan, "nodeGroups.local-ng")
    assert g.subnets == ["vpc.localZoneSubnets.public.us-west-2-lax-1a", "vpc.localZoneSubnets.public.us-west-2-lax-1b"]
    assert (g.min_size, g.desired_size, g.max_size) == (2, 2, 2)  # nothing set: DefaultNodeCount 2


@settings(max_examples=60, deadline=None)
@given(prefix=st.integers(16, 24), zones=st.integers(1, 8), third=st.integers(0, 255))
def test_carved_subnets_are_disjoint_blocks_inside_the_vpc(prefix, zones, third):
    vpc = ipaddress.IPv4Network(f"10.{third}.0.0/{prefix}", strict=False)
    public, private = carve_subnets(str(vpc), zones)
    nets = [ipaddress.IPv4Network(c) for c in public + private]
    assert len(nets) == 2 * zones
    extra = 3 if 2 * zones <= 8 else 4
    assert all(n.prefixlen == prefix + extra and n.subnet_of(vpc) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_bad_vpc_cidrs_are_input_errors():
    with pytest.raises(InputError, match="between /16 and /24"):
        plan_of(vpc={"cidr": "10.0.0.0/25"})
    with pytest.raises(InputError, match="not an IPv4 CIDR"):
        plan_of(vpc={"cidr": "banana"})
    with pytest.raises(InputError, match="not an eksctl ClusterConfig"):
        plan_from_cluster_config({"kind": "ClusterConfig"}, "x.yaml")


# -- existing VPCs ---------------------------------------------------------------------------------------------


def test_existing_vpc_with_subnet_cidrs():
    plan = load("04-existing-vpc.yaml")
    assert plan.vpcs["vpc-0dd338ecf29863c55"].cidrs == ["192.168.0.0/16"]
    s = plan.subnets["vpc.subnets.private.eu-north-1a"]
    assert (s.cidr, s.az, s.aws_id, s.defined_in_plan) == ("192.168.128.0/19", "eu-north-1a",
                                                           "subnet-0b2512f8c6ae9bf30", False)
    # it exists: what already uses its addresses is not in the file, so never taken as empty (--live reads it)
    assert isinstance(s.used_addresses, Unknown) and "--live" in s.used_addresses.reason
    g = ng(plan, "nodeGroups.ng-1")
    assert g.instance_types == ["m5.xlarge"] and (g.min_size, g.desired_size, g.max_size) == (2, 2, 2)
    assert g.subnets == ["vpc.subnets.private.eu-north-1a", "vpc.subnets.private.eu-north-1b",
                         "vpc.subnets.private.eu-north-1c"]


def test_node_group_subnets_by_alias_and_id():
    plan = load("24-nodegroup-subnets.yaml")
    # ng-1: the alias public-one and public-two's id; ng-2 (privateNetworking): two private aliases
    assert ng(plan, "nodeGroups.ng-1").subnets == ["vpc.subnets.public.public-one", "vpc.subnets.public.public-two"]
    assert ng(plan, "nodeGroups.ng-2").subnets == ["vpc.subnets.private.private-one",
                                                   "vpc.subnets.private.private-three"]
    one = plan.subnets["vpc.subnets.private.private-one"]
    assert one.cidr == "192.168.160.0/19" and isinstance(one.az, Unknown)  # a name, not an AZ: looked up at run time
    two = plan.subnets["vpc.subnets.public.public-two"]
    assert isinstance(two.cidr, Unknown) and "--live" in two.cidr.reason and two.aws_id == "subnet-083814b087bad140b"


# -- managed node groups ----------------------------------------------------------------------------------------


def test_managed_node_groups_defaults_ami_and_launch_template():
    plan = load("15-managed-nodes.yaml")
    pub = ng(plan, "managedNodeGroups.managed-ng-public")
    assert not pub.self_managed and (pub.min_size, pub.desired_size, pub.max_size) == (2, 3, 4)
    assert pub.max_unavailable == 3 and pub.custom_ami is False
    # availabilityZones of a node group, but the cluster's zones are eksctl's run-time pick
    assert isinstance(pub.subnets, Unknown) and "run time" in pub.subnets.reason
    priv = ng(plan, "managedNodeGroups.managed-ng-private")
    # nothing set: minSize = DefaultNodeCount 2, maxSize = minSize, desiredCapacity = minSize
    assert (priv.min_size, priv.desired_size, priv.max_size) == (2, 2, 2)
    assert priv.subnets == ["vpc.subnets.private.az-0", "vpc.subnets.private.az-1", "vpc.subnets.private.az-2"]
    custom = ng(plan, "managedNodeGroups.custom-ami")
    assert custom.custom_ami is True and custom.instance_types == ["m5.large"]  # DefaultNodeType
    assert ("managedNodeGroups.custom-ami", "no instance type: eksctl uses m5.large") in plan.notes
    lt = ng(plan, "managedNodeGroups.custom-launch-template")
    assert isinstance(lt.custom_ami, Unknown) and isinstance(lt.instance_types, Unknown)
    assert all(g.ordered_after_cni is None for g in plan.nodegroups)  # no vpc-cni configuration in the file


def test_windows_node_group():
    plan = load("14-windows-nodes.yaml")
    win = ng(plan, "nodeGroups.windows-ng")
    assert win.os == "windows" and win.self_managed
    assert (win.min_size, win.desired_size, win.max_size) == (2, 2, 3)  # desiredCapacity defaults to minSize
    assert ng(plan, "managedNodeGroups.linux-ng").os == "linux"


def test_vpc_cni_addon_configuration_and_creation_order():
    plan = plan_of(
        vpc={"id": "vpc-1", "cidr": "10.0.0.0/16", "subnets": {"private": {
            "eu-west-1a": {"id": "subnet-0aaaaaaaaaaaaaaaa", "cidr": "10.0.0.0/24"},
            "eu-west-1b": {"id": "subnet-0bbbbbbbbbbbbbbbb", "cidr": "10.0.1.0/24"}}}},
        addons=[{"name": "vpc-cni", "configurationValues": json.dumps({
            "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"},
            "eniConfig": {"create": True, "region": "eu-west-1",
                          "subnets": {"eu-west-1a": {"id": "subnet-0bbbbbbbbbbbbbbbb"}}}})}],
        managedNodeGroups=[{"name": "m", "privateNetworking": True}],
        nodeGroups=[{"name": "s", "privateNetworking": True}])
    cl = plan.clusters["c1"]
    assert cl.cni_env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    assert cl.eni_configs == {"eu-west-1a": "vpc.subnets.private.eu-west-1b"}  # the id maps to the file's subnet
    # eksctl creates vpc-cni (CreateBeforeNodeGroup) before any node group
    assert ng(plan, "managedNodeGroups.m").ordered_after_cni is True
    assert ng(plan, "nodeGroups.s").ordered_after_cni is None  # self-managed: not applicable


def test_addons_without_configuration_leave_the_cni_defaults():
    plan = load("25-addons.yaml")
    assert plan.clusters["cluster-25"].cni_env is None
    g = ng(plan, "managedNodeGroups.mng1")
    assert g.instance_types == ["m5.large"] and (g.min_size, g.desired_size, g.max_size) == (2, 2, 2)
    assert g.ordered_after_cni is None


def test_max_pods_per_node_and_override_bootstrap_command():
    plan = plan_of(
        managedNodeGroups=[{"name": "a", "maxPodsPerNode": 20}],
        nodeGroups=[{"name": "b", "amiFamily": "AmazonLinux2", "maxPodsPerNode": 30,
                     "overrideBootstrapCommand": "#!/bin/bash\n/etc/eks/bootstrap.sh c1 --kubelet-extra-args "
                                                 "'--max-pods=17'\n"},
                    {"name": "c", "amiFamily": "AmazonLinux2", "maxPodsPerNode": 30,
                     "overrideBootstrapCommand": "#!/bin/bash\n/etc/eks/bootstrap.sh c1\n"}])
    a = ng(plan, "managedNodeGroups.a")
    assert a.kubelet_max_pods == 20 and a.max_pods_origin == "eksctl maxPodsPerNode 20"
    b = ng(plan, "nodeGroups.b")
    assert b.kubelet_max_pods == 17 and b.max_pods_origin.startswith("eksctl overrideBootstrapCommand")
    c = ng(plan, "nodeGroups.c")  # the override replaces eksctl's AL2 bootstrap: maxPodsPerNode is not applied
    assert c.kubelet_max_pods is None


def test_sizes_follow_eksctl_and_refuse_what_it_refuses():
    plan = plan_of(nodeGroups=[{"name": "zero", "minSize": 0}, {"name": "d", "desiredCapacity": 5, "maxSize": 9}])
    # minSize 0, nothing else: maxSize = minSize = 0 -> DefaultMaxSize 1; desiredCapacity = minSize = 0
    assert (ng(plan, "nodeGroups.zero").min_size, ng(plan, "nodeGroups.zero").desired_size,
            ng(plan, "nodeGroups.zero").max_size) == (0, 0, 0)  # self-managed: nodegroup.go keeps max = min
    managed = plan_of(managedNodeGroups=[{"name": "zero", "minSize": 0}])
    z = ng(managed, "managedNodeGroups.zero")
    assert (z.min_size, z.desired_size, z.max_size) == (0, 0, 1)  # ValidateManagedNodeGroup: DefaultMaxSize
    d = ng(plan, "nodeGroups.d")
    assert (d.min_size, d.desired_size, d.max_size) == (5, 5, 9)  # minSize = desiredCapacity
    with pytest.raises(InputError, match="min <= desired <= max"):
        plan_of(nodeGroups=[{"name": "bad", "minSize": 4, "desiredCapacity": 2}])
    with pytest.raises(InputError, match="whole number"):
        plan_of(nodeGroups=[{"name": "bad", "minSize": 10 ** 40}])


def test_instance_selector_is_unknown():
    plan = plan_of(nodeGroups=[{"name": "sel", "instanceSelector": {"vCPUs": 2, "memory": "4"}}])
    assert isinstance(ng(plan, "nodeGroups.sel").instance_types, Unknown)


# -- Fargate and Auto Mode -------------------------------------------------------------------------------------


def test_fargate_profiles():
    plan = load("16-fargate-profile.yaml")
    assert [fp.name for fp in plan.fargate_profiles] == ["fargateProfiles.fp-default", "fargateProfiles.fp-dev"]
    for fp in plan.fargate_profiles:
        assert fp.cluster == "cluster-16" and fp.pods is None  # demand is stated outside the file
        # no subnets on a VPC eksctl creates: EKS uses the cluster's private subnets (eksctl passes none,
        # pkg/fargate/create.go; EKS: "No subnets were given, and the subnets provided during cluster creation
        # are all public"); the file names no zones, so they are eksctl's three abstract ones
        assert fp.subnets == [f"vpc.subnets.private.az-{i}" for i in range(3)]
    # an existing VPC: which of its subnets route to an internet gateway is not in the file
    plan = plan_of(vpc={"id": "vpc-1", "subnets": {"private": {"eu-west-1a": {"id": "subnet-0aaaaaaaaaaaaaaaa"}}}},
                   fargateProfiles=[{"name": "fp"}])
    (fp,) = plan.fargate_profiles
    assert isinstance(fp.subnets, Unknown) and "set subnets" in fp.subnets.reason
    plan = plan_of(vpc={"id": "vpc-1", "subnets": {"private": {"eu-west-1a": {"id": "subnet-0aaaaaaaaaaaaaaaa"}}}},
                   fargateProfiles=[{"name": "fp", "subnets": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0cccccccccccccccc"]}])
    (fp,) = plan.fargate_profiles
    assert fp.subnets == ["vpc.subnets.private.eu-west-1a", "subnet-0cccccccccccccccc"]
    assert not plan.subnets["subnet-0cccccccccccccccc"].defined_in_plan  # an existing subnet, unknown


def test_auto_mode():
    plan = load("42-auto-mode.yaml")
    cl = plan.clusters["auto-mode-cluster"]
    assert cl.auto_mode is True and cl.auto_mode_pools == ["general-purpose", "system"]
    plan = plan_of(autoModeConfig={"enabled": True})  # nodePools unset: eksctl's default, both built-in pools
    assert plan.clusters["c1"].auto_mode_pools == ["general-purpose", "system"]
    plan = plan_of(autoModeConfig={"enabled": True, "nodePools": []})
    assert plan.clusters["c1"].auto_mode_pools == []


def test_auto_mode_cluster_subnets_private_on_a_vpc_eksctl_creates():
    """pkg/cfn/builder vpc_ipv4.go SubnetDetails.ControlPlaneSubnetRefs: Auto Mode restricts the cluster to the
    private subnets on a VPC eksctl creates; the existing-VPC builder (vpc_existing.go) never applies it."""
    plan = plan_of(availabilityZones=["us-west-2a", "us-west-2b"], autoModeConfig={"enabled": True})
    assert plan.clusters["c1"].subnets == ["vpc.subnets.private.us-west-2a", "vpc.subnets.private.us-west-2b"]
    plan = plan_of(availabilityZones=["us-west-2a", "us-west-2b"])  # without Auto Mode: public and private
    assert len(plan.clusters["c1"].subnets) == 4
    existing = {"id": "vpc-1", "subnets": {"private": {"us-west-2a": {"id": "subnet-0aaaaaaaaaaaaaaaa"}},
                                           "public": {"us-west-2b": {"id": "subnet-0bbbbbbbbbbbbbbbb"}}}}
    plan = plan_of(vpc=existing, autoModeConfig={"enabled": True})
    assert sorted(plan.clusters["c1"].subnets) == ["vpc.subnets.private.us-west-2a", "vpc.subnets.public.us-west-2b"]


def test_karpenter_without_node_pools_is_pc001():
    plan = plan_of(karpenter={"version": "1.0.0"})
    assert any("Karpenter" in u.reason and rid == "c1" for rid, u in plan.unresolved)
    assert not plan_of().unresolved


def test_ipv6_cluster():
    plan = plan_of(kubernetesNetworkConfig={"ipFamily": "IPv6"})
    assert plan.clusters["c1"].ip_family == "ipv6"


# -- end to end --------------------------------------------------------------------------------------------------


def test_simple_cluster_end_to_end():
    from podcap.check import CheckOptions, check_plan

    plan = load("01-simple-cluster.yaml")
    result = check_plan(plan, CheckOptions(paths=[str(DATA / "01-simple-cluster.yaml")]))
    (g,) = result.nodegroups
    # m5.large: 3 ENIs x 10 IPv4 addresses; self-managed AL2023 default max pods 3 x (10 - 1) + 2 = 29
    assert g.max_pods == 29 and g.addresses_per_node == 30
    by_id = {s.subnet: s for s in result.subnets}
    pub = by_id["vpc.subnets.public.az-0"]
    # a /19 holds 8192 addresses, AWS reserves 5: 8187 usable
    assert pub.usable == 8187
    # one node at most, in any of the three public subnets: 30 addresses, plus the cluster's control-plane ENI
    # (one address in each of the 6 subnets it is given) = 31
    assert pub.at_max == 31
    assert by_id["vpc.subnets.private.az-0"].at_max == 1  # the control-plane ENI alone


def test_a_small_vpc_is_exhausted_by_its_private_node_group():
    from podcap.check import CheckOptions, check_plan

    doc = config(vpc={"cidr": "10.0.0.0/24"}, managedNodeGroups=[
        {"name": "ng", "instanceType": "m5.large", "minSize": 1, "maxSize": 3, "privateNetworking": True}])
    result = check_plan(plan_from_cluster_config(doc, "small.yaml"), CheckOptions(paths=["small.yaml"]))
    by_id = {s.subnet: s for s in result.subnets}
    # a /24 for 3 zones: 6 subnets of /27 (32 addresses, 27 usable); private az-0 is block 3 = 10.0.0.96/27
    priv = by_id["vpc.subnets.private.az-0"]
    assert (priv.cidr, priv.usable) == ("10.0.0.96/27", 27)
    # 3 nodes over 3 subnets: 1 per subnet x 30 addresses (m5.large, secondary IPs) + 1 control-plane ENI = 31
    assert priv.at_max == 31
    exhausted = {f.resource for f in result.findings if f.rule_id == "PC201"}
    assert exhausted == {f"vpc.subnets.private.az-{i}" for i in range(3)}  # 31 > 27 in each


@settings(max_examples=12, deadline=None)
@given(nodes=st.integers(1, 60), private=st.booleans())
def test_adding_a_node_group_never_lowers_a_subnet_figure(nodes, private):
    from podcap.check import CheckOptions, check_plan

    base = config(managedNodeGroups=[{"name": "a", "instanceType": "m5.large", "desiredCapacity": 2}])
    more = config(managedNodeGroups=[{"name": "a", "instanceType": "m5.large", "desiredCapacity": 2},
                                     {"name": "b", "instanceType": "c5.xlarge", "minSize": 0, "maxSize": nodes,
                                      "privateNetworking": private}])
    opts = CheckOptions(paths=["cluster.yaml"])
    before = {s.subnet: s for s in check_plan(plan_from_cluster_config(base, "cluster.yaml"), opts).subnets}
    after = {s.subnet: s for s in check_plan(plan_from_cluster_config(more, "cluster.yaml"), opts).subnets}
    for sid, s in before.items():
        assert after[sid].at_max >= s.at_max and after[sid].at_desired >= s.at_desired, sid


def test_the_cli_reads_an_eksctl_file_and_never_passes_a_fargate_profile_silently(capsys):
    from podcap.cli import main

    code = main(["check", str(DATA / "16-fargate-profile.yaml"), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    flagged = {f["resource"] for f in report["findings"] if f["rule_id"] == "PC001"}
    assert {"fargateProfiles.fp-default", "fargateProfiles.fp-dev"} <= flagged
    assert report["inputs"] == [str(DATA / "16-fargate-profile.yaml")] and code == 0  # warnings: exit 0
    assert main(["check", str(DATA / "16-fargate-profile.yaml"), "--strict"]) != 0
