"""CloudFormation consumers beyond node groups (Fargate profiles, Auto Mode, AWSQS::EKS::Cluster), what decides
a managed node group's max pods (custom AMI, ordering after the vpc-cni add-on), Fn::ForEach, invalid values,
several templates read together, and cdk.out edge cases. Every figure is worked out in a comment beside it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.model.unknown import Unknown
from podcap.sources.cdk_assembly import acknowledged_rules, acknowledgment, load_assembly
from podcap.sources.cloudformation import READERS, json_resource_lines, load_templates, plan_from_template
from podcap.sources.safe_yaml import InputError

try:
    from _cli_harness import cli
except ImportError:  # run from the checkout's root as a package
    from tests._cli_harness import cli

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def run_json(capsys, monkeypatch, tmp_path, *paths: str, args: tuple[str, ...] = ()) -> tuple[int, dict]:
    from podcap.cli import main

    monkeypatch.chdir(tmp_path)  # no .podcap.yaml from the checkout
    rc = main(["check", *paths, "--format", "json", *args])
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip().startswith("{") else {}


def write(tmp_path: Path, name: str, doc: dict) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(doc, indent=1))
    return str(p)


def subnet(cidr: str, az: str) -> dict:
    return {"Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": "vpc-0123456789abcdef0", "CidrBlock": cidr, "AvailabilityZone": az}}


def fargate_doc(pods: int | None, cluster_type: str = "AWSQS::EKS::Cluster") -> dict:
    profile: dict = {"Type": "AWS::EKS::FargateProfile",
                     "Properties": {"ClusterName": "qs", "PodExecutionRoleArn": "arn:aws:iam::1:role/p",
                                    "Subnets": [{"Ref": "SubA"}, {"Ref": "SubB"}],
                                    "Selectors": [{"Namespace": "batch"}]}}
    if pods is not None:
        profile["Metadata"] = {"podcap": {"pods": pods}}
    return {"Resources": {
        "SubA": subnet("10.0.0.0/28", "us-east-1a"),
        "SubB": subnet("10.0.0.16/28", "us-east-1b"),
        "Cluster": {"Type": cluster_type,
                    "Properties": {"Name": "qs", "RoleArn": "arn:aws:iam::1:role/c",
                                   "ResourcesVpcConfig": {"SubnetIds": [{"Ref": "SubA"}, {"Ref": "SubB"}]}}},
        "Profile": profile,
    }}


# -- Fargate profiles and AWSQS::EKS::Cluster -----------------------------------------------------------


def test_quickstart_cluster_with_a_fargate_profile_in_two_28s(capsys, monkeypatch, tmp_path):
    path = write(tmp_path, "fg.json", fargate_doc(21))
    rc, rep = run_json(capsys, monkeypatch, tmp_path, path)
    by_id = {s["subnet"]: s for s in rep["subnets"]}
    for sid in ("SubA", "SubB"):
        s = by_id[sid]
        # a /28 has 16 addresses, 5 reserved by AWS: 11 usable
        assert s["usable"] == 11
        # 21 Fargate pods spread over 2 subnets: ceil(21 / 2) = 11 addresses; the control plane's up to 4 ENIs
        # over the cluster's 2 subnets: 2 each -> 11 + 2 = 13 > 11
        assert s["at_max"] == 13
    assert sorted(f["resource"] for f in rep["findings"] if f["rule_id"] == "PC201") == ["SubA", "SubB"]
    assert rc == 1
    assert rep["summary"]["checked"]["clusters"] == 1 and rep["summary"]["checked"]["fargate_profiles"] == 1


def test_fargate_profile_with_no_stated_pods_is_pc001_never_a_pass(capsys, monkeypatch, tmp_path):
    path = write(tmp_path, "fg.json", fargate_doc(None))
    _rc, rep = run_json(capsys, monkeypatch, tmp_path, path)
    assert any(f["rule_id"] == "PC001" and f["resource"] == "Profile" for f in rep["findings"])


def test_fargate_profile_read_into_the_plan():
    plan = plan_from_template(fargate_doc(21), "t.json")
    (fp,) = plan.fargate_profiles
    assert (fp.name, fp.cluster, fp.subnets, fp.pods) == ("Profile", "Cluster", ["SubA", "SubB"], 21)
    # the Quick Start type mirrors AWS::EKS::Cluster
    cl = plan.clusters["Cluster"]
    assert cl.name == "qs" and cl.subnets == ["SubA", "SubB"]


def test_fargate_profile_naming_no_subnets_is_unknown():
    doc = fargate_doc(5, "AWS::EKS::Cluster")
    del doc["Resources"]["Profile"]["Properties"]["Subnets"]
    (fp,) = plan_from_template(doc, "t.json").fargate_profiles
    # CreateFargateProfile documents no default and takes only private subnets: podcap cannot tell which
    assert isinstance(fp.subnets, Unknown) and "private subnets" in fp.subnets.reason


@pytest.mark.parametrize("value", [0, -1, "many", 2.5])
def test_invalid_demand_metadata_is_reported(value):
    doc = fargate_doc(None)
    doc["Resources"]["Profile"]["Metadata"] = {"podcap": {"pods": value}}
    plan = plan_from_template(doc, "t.json")
    assert plan.fargate_profiles[0].pods is None
    assert [u.where for _, u in plan.unresolved] == ["Resources.Profile.Metadata.podcap.pods"]


@settings(max_examples=25, deadline=None)
@given(pods=st.integers(min_value=1, max_value=400), more=st.integers(min_value=0, max_value=50))
def test_more_fargate_pods_never_lower_a_subnet_figure(pods, more):
    from podcap.analysis import analyse
    from podcap.limits import load_snapshot

    snap = load_snapshot(None)

    def at_max(n: int) -> list[int]:
        a = analyse(plan_from_template(fargate_doc(n), "t.json"), snap)
        return [a.subnets[s].demand("max") for s in ("SubA", "SubB")]

    low, high = at_max(pods), at_max(pods + more)
    assert all(h >= lo for lo, h in zip(low, high, strict=True))


# -- EKS Auto Mode ----------------------------------------------------------------------------------------


def test_auto_mode_cluster_and_its_demand_metadata():
    doc = fargate_doc(4, "AWS::EKS::Cluster")
    cl = doc["Resources"]["Cluster"]
    cl["Properties"]["ComputeConfig"] = {"Enabled": True, "NodePools": ["general-purpose", "system"]}
    cl["Metadata"] = {"podcap": {"max_nodes": 3, "pods_per_node": 20}}
    plan = plan_from_template(doc, "t.json")
    c = plan.clusters["Cluster"]
    assert c.auto_mode is True and c.auto_mode_pools == ["general-purpose", "system"]
    assert c.demand == {"max_nodes": 3, "pods_per_node": 20}
    assert plan.unresolved == []
    # the same keys on a cluster without Auto Mode bound nothing: reported
    cl["Properties"]["ComputeConfig"] = {"Enabled": False}
    plan = plan_from_template(doc, "t.json")
    assert sorted(u.where for _, u in plan.unresolved) == [
        "Resources.Cluster.Metadata.podcap.max_nodes", "Resources.Cluster.Metadata.podcap.pods_per_node"]


def test_auto_mode_enabled_by_an_undecided_condition_is_unknown():
    doc = fargate_doc(4, "AWS::EKS::Cluster")
    doc["Conditions"] = {"East": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}}
    doc["Resources"]["Cluster"]["Properties"]["ComputeConfig"] = {"Enabled": {"Fn::If": ["East", True, False]}}
    c = plan_from_template(doc, "t.json").clusters["Cluster"]
    assert isinstance(c.auto_mode, Unknown)


# -- what decides a managed node group's max pods ----------------------------------------------------------


def _ng(extra: dict | None = None, **props) -> dict:
    p = {"ClusterName": {"Ref": "Cluster"}, "NodeRole": "arn:aws:iam::1:role/n", "Subnets": ["subnet-0123456789abcdef0"],
         "InstanceTypes": ["m5.large"], **props}
    return {"Type": "AWS::EKS::Nodegroup", "Properties": p, **(extra or {})}


def _cluster_doc(resources: dict, addon_config: str | None = '{"env": {"ENABLE_PREFIX_DELEGATION": "true"}}') -> dict:
    res = {"Cluster": {"Type": "AWS::EKS::Cluster",
                       "Properties": {"Name": "c", "RoleArn": "r",
                                      "ResourcesVpcConfig": {"SubnetIds": ["subnet-0123456789abcdef0"]}}},
           **resources}
    if addon_config is not None:
        res["Cni"] = {"Type": "AWS::EKS::Addon", "Properties": {"AddonName": "vpc-cni", "ClusterName": {"Ref": "Cluster"},
                                                                 "ConfigurationValues": addon_config}}
    return {"Resources": res}


def test_ordered_after_the_vpc_cni_configuration():
    doc = _cluster_doc({
        "Direct": _ng({"DependsOn": "Cni"}),
        "Unordered": _ng(),
        # a chain: the node group refers to a launch template that depends on the add-on
        "Chained": _ng(LaunchTemplate={"Id": {"Ref": "Lt"}}),
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "DependsOn": ["Cni"], "Properties": {"LaunchTemplateData": {}}},
    })
    got = {ng.name: ng.ordered_after_cni for ng in plan_from_template(doc, "t.json").nodegroups}
    assert got == {"Direct": True, "Unordered": False, "Chained": True}
    # no vpc-cni configuration in the template: not applicable
    doc = _cluster_doc({"Direct": _ng({"DependsOn": "Cluster"})}, addon_config=None)
    assert plan_from_template(doc, "t.json").nodegroups[0].ordered_after_cni is None


def test_custom_ami_windows_and_user_data_max_pods():
    user_data = "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=17'\n"
    doc = _cluster_doc({
        "Custom": _ng(LaunchTemplate={"Id": {"Ref": "Lt"}}),
        "Lt": {"Type": "AWS::EC2::LaunchTemplate",
               "Properties": {"LaunchTemplateData": {"ImageId": "ami-0123456789abcdef0",
                                                     "UserData": {"Fn::Base64": user_data}}}},
        "Win": _ng(AmiType="WINDOWS_CORE_2022_x86_64"),
        "Outside": _ng(LaunchTemplate={"Id": "lt-0123456789abcdef0", "Version": "1"}),
    }, addon_config=None)
    ngs = {ng.name: ng for ng in plan_from_template(doc, "t.json").nodegroups}
    assert ngs["Custom"].custom_ami is True
    assert ngs["Custom"].kubelet_max_pods == 17  # --kubelet-extra-args '--max-pods=17'
    assert ngs["Custom"].max_pods_origin and "Lt" in ngs["Custom"].max_pods_origin
    assert ngs["Win"].os == "windows" and ngs["Win"].custom_ami is False
    # a launch template outside the template: whether it sets an ImageId is not known
    assert isinstance(ngs["Outside"].custom_ami, Unknown)


def test_metadata_max_nodes_bounds_an_undecided_max_size():
    doc = _cluster_doc({"Ng": _ng({"Metadata": {"podcap": {"max_nodes": 5}}},
                                   ScalingConfig={"MinSize": 1, "DesiredSize": 1, "MaxSize": {"Ref": "Max"}})},
                       addon_config=None)
    doc["Parameters"] = {"Max": {"Type": "Number"}}
    plan = plan_from_template(doc, "t.json")
    assert plan.nodegroups[0].max_size == 5
    assert any("max_nodes" in text for _, text in plan.notes)


def test_instance_type_names_ec2_rejects_are_unknown():
    doc = _cluster_doc({"Ng": _ng(InstanceTypes=["M5.Large", "m5.large ", "m5.xlarge"])}, addon_config=None)
    types = plan_from_template(doc, "t.json").nodegroups[0].instance_types
    assert isinstance(types[0], Unknown) and isinstance(types[1], Unknown) and types[2] == "m5.xlarge"


def test_default_instance_type_by_ami_type():
    doc = _cluster_doc({"X86": _ng(InstanceTypes={"Ref": "AWS::NoValue"}, AmiType="AL2023_x86_64_STANDARD"),
                        "Arm": _ng(InstanceTypes={"Ref": "AWS::NoValue"}, AmiType="AL2023_ARM_64_STANDARD")},
                       addon_config=None)
    ngs = {ng.name: ng for ng in plan_from_template(doc, "t.json").nodegroups}
    assert ngs["X86"].instance_types == ["t3.medium"]  # EKS's CreateNodegroup default (x86_64)
    assert isinstance(ngs["Arm"].instance_types, Unknown)  # no documented default for ARM


# -- resource types podcap does not model ------------------------------------------------------------------


def test_unmodelled_eks_types_are_pc001_and_known_ones_are_not():
    doc = _cluster_doc({
        "Acme": {"Type": "Acme::EKS::Cluster", "Properties": {}},
        "Chart": {"Type": "Custom::AWSCDK-EKS-HelmChart", "Properties": {"Chart": "aws-vpc-cni"}},  # no cluster
        "Lbc": {"Type": "Custom::AWSCDK-EKS-HelmChart", "Properties": {"Chart": "aws-load-balancer-controller"}},
        "Qs": {"Type": "AWSQS::Kubernetes::Helm", "Properties": {"Chart": "eks/aws-vpc-cni"}},
        "Oidc": {"Type": "Custom::AWSCDK-EKS-OpenIdConnectProvider", "Properties": {}},
        "Access": {"Type": "AWS::EKS::AccessEntry", "Properties": {}},
    }, addon_config=None)
    plan = plan_from_template(doc, "t.json")
    assert sorted(rid for rid, _ in plan.unresolved) == ["Acme", "Chart", "Qs"]
    assert "Custom::AWSCDK-EKS-KubernetesResource" in READERS and "AWSQS::EKS::Cluster" in READERS


# -- invalid values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cidr", "words"), [
    ("10.0.0.1/24", "host bits"), ("2001:db8::/56", "IPv6"), ("10.0.0.0", "prefix length"), ("ten/24", "not a CIDR")])
def test_cidr_blocks_ec2_rejects_are_input_errors(cidr, words):
    doc = {"Resources": {"S": subnet(cidr, "us-east-1a")}}
    with pytest.raises(InputError, match=words):
        plan_from_template(doc, "t.json")


def test_cidr_block_with_host_bits_exits_2(capsys, monkeypatch, tmp_path):
    from podcap.cli import main

    path = write(tmp_path, "bad.json", {"Resources": {"S": subnet("10.0.0.1/24", "us-east-1a")}})
    monkeypatch.chdir(tmp_path)
    assert main(["check", path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "host bits" in err[0]


def test_configuration_values_as_an_object_is_an_input_error():
    doc = _cluster_doc({}, addon_config=None)
    doc["Resources"]["Cni"] = {"Type": "AWS::EKS::Addon", "Properties": {
        "AddonName": "vpc-cni", "ClusterName": "c", "ConfigurationValues": {"env": {"WARM_IP_TARGET": "5"}}}}
    with pytest.raises(InputError, match="only as a JSON or YAML string"):
        plan_from_template(doc, "t.json")
    # Fn::ToJsonString makes the string CloudFormation wants
    doc["Resources"]["Cni"]["Properties"]["ConfigurationValues"] = {"Fn::ToJsonString": {"env": {"WARM_IP_TARGET": "5"}}}
    assert plan_from_template(doc, "t.json").clusters["Cluster"].cni_env == {"WARM_IP_TARGET": "5"}


def test_a_literal_string_equal_to_a_logical_id_is_not_a_ref():
    doc = {"Resources": {"SubA": subnet("10.0.0.0/24", "us-east-1a"),
                         "Ng": _ng(Subnets=["SubA"], ClusterName="c"),
                         "Ng2": _ng(Subnets=[{"Ref": "SubA"}], ClusterName="c")}}
    ngs = {ng.name: ng for ng in plan_from_template(doc, "t.json").nodegroups}
    assert isinstance(ngs["Ng"].subnets[0], Unknown) and "!Ref SubA" in ngs["Ng"].subnets[0].reason
    assert ngs["Ng2"].subnets == ["SubA"]


def test_a_ref_or_getatt_to_an_undeclared_name_is_an_input_error(tmp_path, capsys, monkeypatch):
    # CloudFormation's template validation: "Unresolved resource dependencies [SubMissing] in the Resources
    # block of the template", and Fn::GetAtt of an undefined resource: a template it refuses, exit 2
    def doc(subnets, **top):
        return {**top, "Resources": {"SubA": subnet("10.0.0.0/24", "us-east-1a"),
                                     "Ng": _ng(Subnets=subnets, ClusterName="c",
                                               extra={"Metadata": {"podcap": {"pods_per_node": 10}}})}}

    for i, subnets in enumerate(([{"Ref": "SubA"}, {"Ref": "SubMissing"}],
                                 [{"Ref": "SubA"}, {"Fn::GetAtt": ["SubMissing", "SubnetId"]}])):
        path = write(tmp_path, f"t{i}.json", doc(subnets))
        cli(["check", path]).assert_one_line_error("Resources.Ng.Properties.Subnets[1]", "SubMissing",
                                                   "CloudFormation rejects the template")
    # a macro may add the name when the template is processed: a PC001 warning, the rest checked
    path = write(tmp_path, "sam.json", doc([{"Ref": "SubA"}, {"Ref": "SubMissing"}],
                                           Transform="AWS::Serverless-2016-10-31"))
    rc, r = run_json(capsys, monkeypatch, tmp_path, path)
    assert rc == 0 and any("SubMissing" in f["message"] for f in r["findings"] if f["rule_id"] == "PC001")
    # in podcap's own Metadata (which CloudFormation does not validate) it stays PC001 as well
    d = doc([{"Ref": "SubA"}])
    d["Resources"]["Ng"]["Metadata"]["podcap"]["pods_per_node"] = {"Ref": "Pods"}
    rc, r = run_json(capsys, monkeypatch, tmp_path, write(tmp_path, "meta.json", d))
    assert rc == 0 and any("pods_per_node ignored" in f["message"] for f in r["findings"] if f["rule_id"] == "PC001")


def test_parameters_the_template_does_not_declare_are_reported():
    doc = {"Parameters": {"Cidr": {"Type": "String", "Default": "10.0.0.0/24"}},
           "Resources": {"S": {"Type": "AWS::EC2::Subnet",
                               "Properties": {"VpcId": "vpc-1", "CidrBlock": {"Ref": "Cidr"}, "AvailabilityZone": "a"}}}}
    plan = plan_from_template(doc, "t.json", parameters={"Cidrr": "10.1.0.0/24", "AWS::Region": "us-east-1"})
    assert [u.reason for _, u in plan.unresolved] == [
        "--parameter Cidrr: the template declares no parameter Cidrr; the value is not used"]


# -- Fn::ForEach (Transform AWS::LanguageExtensions) --------------------------------------------------------


def test_for_each_makes_subnets_and_node_groups():
    doc = {
        "Transform": "AWS::LanguageExtensions",
        "Parameters": {"Zones": {"Type": "CommaDelimitedList", "Default": "a,b"}},
        "Mappings": {"Cidrs": {"a": {"Cidr": "10.0.0.0/24"}, "b": {"Cidr": "10.0.1.0/24"}}},
        "Resources": {
            "Fn::ForEach::Subnets": ["Zone", {"Ref": "Zones"}, {
                "Subnet${Zone}": {"Type": "AWS::EC2::Subnet", "Properties": {
                    "VpcId": "vpc-1", "CidrBlock": {"Fn::FindInMap": ["Cidrs", {"Ref": "Zone"}, "Cidr"]},
                    "AvailabilityZone": {"Fn::Sub": "us-east-1${Zone}"}}},
                # a nested loop, and &{} (the value without non-alphanumerics) in the key
                "Fn::ForEach::Groups": ["Size", ["m5.large", "c5.large"], {
                    "Ng${Zone}&{Size}": {"Type": "AWS::EKS::Nodegroup", "Properties": {
                        "ClusterName": "c", "NodeRole": "r", "Subnets": [{"Ref": {"Fn::Sub": "Subnet${Zone}"}}],
                        "InstanceTypes": [{"Ref": "Size"}]}}}],
            }],
        },
    }
    plan = plan_from_template(doc, "t.yaml")
    assert {sid: (s.cidr, s.az) for sid, s in plan.subnets.items()} == {
        "Subneta": ("10.0.0.0/24", "us-east-1a"), "Subnetb": ("10.0.1.0/24", "us-east-1b")}
    # 2 zones x 2 sizes = 4 node groups
    assert {ng.name: ng.instance_types for ng in plan.nodegroups} == {
        "Ngam5large": ["m5.large"], "Ngac5large": ["c5.large"], "Ngbm5large": ["m5.large"], "Ngbc5large": ["c5.large"]}
    assert plan.unresolved == []


def test_for_each_getatt_and_ref_of_a_sub_order_node_groups_after_the_vpc_cni():
    """A loop's node groups name their launch template by Fn::GetAtt / Ref of a Fn::Sub (the transform resolves
    both, CloudFormation template reference Fn::GetAtt); the template depends on the vpc-cni add-on, so each
    node group is created after the add-on's configuration through that reference."""
    doc = _cluster_doc({
        "Fn::ForEach::Zones": ["Zone", ["a", "b"], {
            "Lt${Zone}": {"Type": "AWS::EC2::LaunchTemplate", "DependsOn": "Cni",
                          "Properties": {"LaunchTemplateData": {}}},
            "ByGetAtt${Zone}": _ng(LaunchTemplate={"Id": {"Fn::GetAtt": [{"Fn::Sub": "Lt${Zone}"},
                                                                         "LaunchTemplateId"]}}),
            "ByRef${Zone}": _ng(LaunchTemplate={"Id": {"Ref": {"Fn::Sub": "Lt${Zone}"}}}),
        }],
        "Unordered": _ng(),
    })
    doc["Transform"] = "AWS::LanguageExtensions"
    plan = plan_from_template(doc, "t.json")
    assert {ng.name: ng.ordered_after_cni for ng in plan.nodegroups} == {
        "ByGetAtta": True, "ByRefa": True, "ByGetAttb": True, "ByRefb": True, "Unordered": False}
    assert plan.unresolved == []


def test_for_each_over_an_unknown_collection_is_pc001():
    doc = {"Transform": "AWS::LanguageExtensions",
           "Parameters": {"Zones": {"Type": "CommaDelimitedList"}},
           "Resources": {"Fn::ForEach::Subnets": ["Zone", {"Ref": "Zones"}, {
               "Subnet${Zone}": subnet("10.0.0.0/24", "us-east-1a")}]}}
    plan = plan_from_template(doc, "t.yaml")
    assert plan.subnets == {}
    ((_rid, unk),) = plan.unresolved
    assert "Fn::ForEach::Subnets" in unk.reason and "has no default" in unk.reason


# -- bounded work -------------------------------------------------------------------------------------------


def test_fn_if_trees_are_resolved_once_per_node():
    # 40 levels of Fn::If whose two branches are the same node: 2^40 paths, 41 distinct nodes
    doc = {"Parameters": {"Env": {"Type": "String"}},
           "Conditions": {"Prod": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}}
    node: object = "10.0.0.0/24"
    for _ in range(40):
        node = {"Fn::If": ["Prod", node, node]}
    doc["Resources"] = {"S": {"Type": "AWS::EC2::Subnet",
                              "Properties": {"VpcId": "vpc-1", "CidrBlock": node, "AvailabilityZone": "a"}}}
    t0 = time.perf_counter()
    plan = plan_from_template(doc, "t.json")
    assert time.perf_counter() - t0 < 1.0
    assert plan.subnets["S"].cidr == "10.0.0.0/24"  # both branches agree at every level


def test_a_large_json_template_resolves_fast(tmp_path):
    # ~1.5 MB: 1500 subnets, each with a 5-deep Fn::If tree of undecided conditions
    doc: dict = {"Parameters": {"Env": {"Type": "String"}},
                 "Conditions": {"Prod": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}, "Resources": {}}
    for i in range(1500):
        v: object = f"10.{i // 256}.{i % 256}.0/24"
        for _ in range(5):
            v = {"Fn::If": ["Prod", v, v]}  # written out in JSON: 2^5 = 32 copies of the leaf
        doc["Resources"][f"S{i}"] = {"Type": "AWS::EC2::Subnet",
                                     "Properties": {"VpcId": "vpc-1", "CidrBlock": v, "AvailabilityZone": "a"}}
    path = write(tmp_path, "big.json", doc)
    assert Path(path).stat().st_size > 1_400_000
    from podcap.sources.cloudformation import load_template

    t0 = time.perf_counter()
    plan = load_template(path)
    assert time.perf_counter() - t0 < 3.0
    assert len(plan.subnets) == 1500 and plan.subnets["S1499"].cidr == "10.5.219.0/24"  # 1499 = 5*256 + 219


def test_json_resource_lines_come_from_one_scan():
    text = ('{\n "Resources": {\n  "A": {\n   "Type": "X",\n   "Properties": {"B": {}}\n  },\n'
            '  "B": {\n   "Type": "Y"\n  }\n },\n "Outputs": {"A": {}}\n}\n')
    # B's first "B": key (line 5) is inside A's Properties: the resource B starts on line 7
    assert json_resource_lines(text) == {"Resources.A": 3, "Resources.B": 7}
    many = '{"Resources": {' + ",".join(f'"R{i}": {{"Type": "T", "Properties": {{"L": [{",".join(["1"] * 200)}]}}}}'
                                        for i in range(2500)) + "}}"
    t0 = time.perf_counter()
    lines = json_resource_lines(many)
    assert len(lines) == 2500 and time.perf_counter() - t0 < 2.0
    # given the template's resource ids, a one-line (compact) template needs no scan: every key is on line 1
    assert json_resource_lines(many + "\n", [f"R{i}" for i in range(2500)]) == {f"Resources.R{i}": 1 for i in range(2500)}
    assert json_resource_lines(text, ["A", "B"]) == {"Resources.A": 3, "Resources.B": 7}


# -- several templates read together ----------------------------------------------------------------------


def test_split_stacks_resolve_one_another_s_exports(tmp_path):
    cluster = {"Resources": {"SubA": subnet("10.0.0.0/24", "us-east-1a")},
               "Outputs": {"Subnets": {"Value": {"Ref": "SubA"},
                                       "Export": {"Name": {"Fn::Sub": "${AWS::StackName}::Subnets"}}}}}
    ng = {"Resources": {"Ng": _ng(Subnets={"Fn::Split": [",", {"Fn::ImportValue": "eksctl-c-cluster::Subnets"}]},
                                  ClusterName="c")}}
    lone = {"Resources": {"SubA": subnet("10.9.0.0/24", "us-east-1b")}}
    paths = [write(tmp_path, "cluster.json", cluster), write(tmp_path, "ng.json", ng), write(tmp_path, "lone.json", lone)]
    linked, alone = load_templates(paths)
    # the import resolves to the exporting stack's subnet (stack name taken from the import: eksctl-c-cluster)
    assert linked.nodegroups[0].subnets == ["SubA"] and linked.subnets["SubA"].cidr == "10.0.0.0/24"
    assert alone.subnets["SubA"].cidr == "10.9.0.0/24"  # not linked: its own plan, ids unchanged


def test_eksctl_cluster_and_nodegroup_stacks_checked_together():
    cluster = SHARED / "cfn" / "eksctl-cluster-stack" / "cluster-example-1.json"
    ng = SHARED / "cfn" / "eksctl-managed-nodegroup-stack" / "al2-updated-template.json"
    if not (cluster.is_file() and ng.is_file()):
        pytest.skip("shared fixtures not present")
    (plan,) = load_templates([str(cluster), str(ng)])
    (group,) = plan.nodegroups
    # Fn::Split of the imported eksctl-my-cluster-cluster::SubnetsPublic: the three public /19 subnets
    assert sorted(group.subnets) == ["SubnetPublicUSWEST2B", "SubnetPublicUSWEST2C", "SubnetPublicUSWEST2D"]
    assert all(plan.subnets[s].cidr.endswith("/19") for s in group.subnets)
    assert not any("not in the input" in u.reason for _, u in plan.unresolved)


# -- cdk.out edge cases -----------------------------------------------------------------------------------


def _assembly(tmp_path: Path, manifest: dict) -> Path:
    d = tmp_path / "cdk.out"
    d.mkdir(exist_ok=True)
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


@pytest.mark.parametrize("artifacts", [{}, {"S": "not an object"}])
def test_cdk_assembly_with_no_stack_exits_2(capsys, monkeypatch, tmp_path, artifacts):
    from podcap.cli import main

    d = _assembly(tmp_path, {"version": "36.0.0", "artifacts": artifacts})
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(d)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_cdk_assembly_nested_in_itself_exits_2(capsys, monkeypatch, tmp_path):
    from podcap.cli import main

    d = _assembly(tmp_path, {"version": "36.0.0", "artifacts": {
        "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}}}})
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(d)]) == 2
    assert "refers back" in capsys.readouterr().err


def test_bare_rule_id_acknowledgments_count():
    acked = {"PC201": {"App/Stack/Ng": "capacity reviewed by the network team"}, "other::X1": {"App": "n/a"}}
    assert acknowledged_rules(acked) == ["PC201"]
    assert acknowledgment(acked, "PC201", "/App/Stack/Ng/Resource") == "capacity reviewed by the network team"


def test_bare_acknowledgment_suppresses_in_an_assembly(tmp_path):
    d = _assembly(tmp_path, {"version": "36.0.0", "artifacts": {"S": {
        "type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"},
        "metadata": {"/S": [{"type": "aws:cdk:acknowledged-rules",
                             "data": {"PC201": "the subnet is replaced next quarter"}}],
                     "/S/Sub/Resource": [{"type": "aws:cdk:logicalId", "data": "Sub"}]}}}})
    (d / "S.template.json").write_text(json.dumps({"Resources": {"Sub": subnet("10.0.0.0/28", "us-east-1a")}}))
    plan = load_assembly(d)
    assert [(s.rule_id, s.reason) for s in plan.suppressions["S/Sub"]] == [
        ("PC201", "the subnet is replaced next quarter")]


# -- PC001's fix fits the source and the flags --------------------------------------------------------------


def test_pc001_fix_text_fits_the_input():
    from podcap.rules.unresolved import fix_for

    assert "--parameter" not in fix_for("terraform-plan", False, "known only after apply")
    assert "--parameter" not in fix_for("cdk-assembly", False, "Fn::GetAtt of a custom resource")
    assert "--parameter" in fix_for("cdk-assembly", False, "parameter X has no default; pass --parameter X=...")
    assert "use --live" not in fix_for("cloudformation", True, "existing subnet").lower()
    assert "--live" in fix_for("cloudformation", False, "existing subnet")
    assert fix_for("cloudformation", False, "invalid scaling config: min 5, desired 9, max 3").startswith("Correct")


# -- user data through the one reader; CDK manifests and patches ------------------------------------------


def test_nodeadm_max_pods_expression_and_origin():
    user_data = ("---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n"
                 "    maxPodsExpression: \"default_enis * (ips_per_eni - 1) + 2\"\n")
    doc = _cluster_doc({"Ng": _ng(LaunchTemplate={"Id": {"Ref": "Lt"}}),
                        "Lt": {"Type": "AWS::EC2::LaunchTemplate",
                               "Properties": {"LaunchTemplateData": {"UserData": {"Fn::Base64": user_data}}}}},
                       addon_config=None)
    (ng,) = plan_from_template(doc, "t.json").nodegroups
    assert ng.kubelet_max_pods is None  # the expression decides, per instance type
    assert ng.max_pods_expression == "default_enis * (ips_per_eni - 1) + 2"
    assert "maxPodsExpression" in ng.max_pods_origin and "Lt" in ng.max_pods_origin


def _k8s_resource(manifest: object) -> dict:
    return {"Type": "Custom::AWSCDK-EKS-KubernetesResource",
            "Properties": {"ServiceToken": "arn:aws:lambda:us-east-1:1:function:f", "ClusterName": {"Ref": "Cluster"},
                           "Manifest": manifest}}


def test_cdk_manifest_pieces_the_template_does_not_decide_stay_unknown(monkeypatch):
    seen: list = []

    def capture(plan, objects, *, where, location=None, cluster=None):
        seen.append((where, cluster, objects))

    manifest = {"Fn::Join": ["", [('[{"apiVersion":"crd.k8s.amazonaws.com/v1alpha1","kind":"ENIConfig",'
                                   '"metadata":{"name":"us-east-1a"},"spec":{"subnet":"'),
                                  {"Fn::ImportValue": "pod-subnet-a"}, '"}}]']]}
    doc = _cluster_doc({"Eni": _k8s_resource(manifest)}, addon_config=None)
    import podcap.sources.objects.kubernetes as k8s

    monkeypatch.setattr(k8s, "apply_kubernetes_objects", capture)  # what the source hands the shared reader
    plan_from_template(doc, "t.json")
    ((where, cluster, (obj,)),) = seen
    assert (where, cluster, obj["kind"]) == ("Eni", "Cluster", "ENIConfig")
    assert isinstance(obj["spec"]["subnet"], Unknown) and "pod-subnet-a" in obj["spec"]["subnet"].reason


def test_cdk_manifest_that_is_unknown_as_a_whole_is_pc001():
    doc = _cluster_doc({"Eni": _k8s_resource({"Fn::ImportValue": "manifest"})}, addon_config=None)
    plan = plan_from_template(doc, "t.json")
    assert [rid for rid, _ in plan.unresolved] == ["Eni"]


def test_aws_node_patch_sets_the_cluster_env_and_other_patches_are_ignored():
    def patch(name: str, body: dict, patch_type: str = "strategic") -> dict:
        return {"Type": "Custom::AWSCDK-EKS-KubernetesPatch",
                "Properties": {"ServiceToken": "t", "ClusterName": {"Ref": "Cluster"}, "ResourceName": name,
                               "ResourceNamespace": "kube-system", "ApplyPatchJson": json.dumps(body),
                               "RestorePatchJson": "{}", "PatchType": patch_type}}

    env = {"spec": {"template": {"spec": {"containers": [
        {"name": "aws-node", "env": [{"name": "ENABLE_PREFIX_DELEGATION", "value": "true"}]}]}}}}
    coredns = {"spec": {"template": {"metadata": {"annotations": {"eks.amazonaws.com/compute-type": "fargate"}}}}}
    doc = _cluster_doc({"Cni": patch("daemonset/aws-node", env), "Dns": patch("deployment/coredns", coredns)},
                       addon_config=None)
    plan = plan_from_template(doc, "t.json")
    assert plan.clusters["Cluster"].cni_env == {"ENABLE_PREFIX_DELEGATION": "true"}
    assert plan.unresolved == []
    # a JSON patch (RFC 6902) is not applied by podcap: said, not passed over
    doc = _cluster_doc({"Cni": patch("daemonset/aws-node", [{"op": "add", "path": "/x", "value": 1}], "json")},
                       addon_config=None)
    assert [rid for rid, _ in plan_from_template(doc, "t.json").unresolved] == ["Cni"]


def test_cdk_assembly_symlinked_into_itself_exits_2(capsys, monkeypatch, tmp_path):
    from podcap.cli import main

    d = _assembly(tmp_path, {"version": "36.0.0", "artifacts": {
        "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "loop"}}}})
    (d / "loop").symlink_to(d, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(d)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refers back" in err[0]


def test_cdk_assembly_parameters_no_stack_declares_are_reported(tmp_path):
    d = _assembly(tmp_path, {"version": "36.0.0", "artifacts": {"S": {
        "type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}}})
    (d / "S.template.json").write_text(json.dumps({
        "Parameters": {"Cidr": {"Type": "String"}},
        "Resources": {"Sub": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": "vpc-1", "CidrBlock": {"Ref": "Cidr"}, "AvailabilityZone": "us-east-1a"}}}}))
    plan = load_assembly(d, parameters={"Cidr": "10.0.0.0/24", "Typo": "x"})
    assert plan.subnets["S/Sub"].cidr == "10.0.0.0/24"
    assert [u.reason for _, u in plan.unresolved] == [
        "--parameter Typo: no stack of the assembly declares a parameter Typo; the value is not used"]


def test_quickstart_kubernetes_resource_manifest_and_helm_values_are_read():
    manifest = ("apiVersion: crd.k8s.amazonaws.com/v1alpha1\nkind: ENIConfig\nmetadata:\n  name: us-east-1a\n"
                "spec:\n  subnet: ${PodSubnet}\n")
    doc = fargate_doc(None)
    doc["Resources"].update({
        "PodSubnet": subnet("100.64.0.0/19", "us-east-1a"),
        "Eni": {"Type": "AWSQS::Kubernetes::Resource",
                "Properties": {"ClusterName": "qs", "Namespace": "default", "Manifest": {"Fn::Sub": manifest}}},
        "Cni": {"Type": "AWSQS::Kubernetes::Helm", "Properties": {
            "ClusterID": "qs", "Chart": "eks/aws-vpc-cni", "Values": {"env.WARM_IP_TARGET": "5"}}},
    })
    del doc["Resources"]["Profile"]
    plan = plan_from_template(doc, "t.json")
    # ${PodSubnet} is the subnet's Ref: its logical id; the cluster is found by its Name "qs"
    assert plan.clusters["Cluster"].eni_configs == {"us-east-1a": "PodSubnet"}
    assert plan.clusters["Cluster"].cni_env == {"WARM_IP_TARGET": "5"} and plan.unresolved == []
