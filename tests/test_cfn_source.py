"""The CloudFormation and CDK cloud-assembly sources, and the intrinsic-function resolver."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from podcap.model.unknown import Unknown
from podcap.sources.cdk_assembly import is_cdk_assembly, load_assembly
from podcap.sources.cloudformation import (
    kubelet_max_pods_from_user_data,
    load_template,
    parse_cni_configuration,
    plan_from_template,
)
from podcap.sources.intrinsics import NO_VALUE, Resolver, cidr_blocks
from podcap.sources.safe_yaml import InputError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "cfn"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"


def resolver(doc: dict | None = None, **kw) -> Resolver:
    doc = dict(doc or {})
    doc.setdefault("Resources", {})
    return Resolver(doc, source="t.yaml", **kw)


def unknown_reason(v) -> str:
    assert isinstance(v, Unknown), v
    return v.reason


# -- Fn::Cidr ---------------------------------------------------------------------------------------


def test_cidr_24s_from_a_16():
    assert cidr_blocks("10.0.0.0/16", 6, 8) == [
        "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"]


def test_cidr_bits_are_host_bits():
    # 12 host bits: /20 blocks, consecutive from the start of the /16
    assert cidr_blocks("10.0.0.0/16", 4, 12) == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"]
    # the CloudFormation docs' example: Fn::Cidr ["192.168.0.0/24", 6, 5] -> /27s
    assert cidr_blocks("192.168.0.0/24", 6, 5) == [
        "192.168.0.0/27", "192.168.0.32/27", "192.168.0.64/27", "192.168.0.96/27", "192.168.0.128/27",
        "192.168.0.160/27"]


def test_cidr_ipv6_and_limits():
    assert cidr_blocks("2001:db8::/56", 2, 64) == ["2001:db8::/64", "2001:db8:0:1::/64"]
    assert cidr_blocks("10.0.0.0/24", 2, 7) == ["10.0.0.0/25", "10.0.0.128/25"]
    with pytest.raises(ValueError, match="do not fit"):
        cidr_blocks("10.0.0.0/24", 3, 7)
    with pytest.raises(ValueError, match="larger than"):
        cidr_blocks("10.0.0.0/24", 1, 9)
    with pytest.raises(ValueError):
        cidr_blocks("not-a-cidr", 1, 8)


def test_cidr_through_the_resolver():
    r = resolver({"Parameters": {"Block": {"Type": "String", "Default": "10.1.0.0/16"}}})
    v = r.resolve({"Fn::Select": [2, {"Fn::Cidr": [{"Ref": "Block"}, "3", "8"]}]}, "X")
    assert v == "10.1.2.0/24"
    with pytest.raises(InputError, match=r"t.yaml: at X: Fn::Cidr .*do not fit"):
        r.resolve({"Fn::Cidr": ["10.0.0.0/24", 5, 7]}, "X")


# -- the other functions ----------------------------------------------------------------------------


def test_select_getazs_gives_abstract_az():
    r = resolver()
    assert r.resolve({"Fn::Select": [1, {"Fn::GetAZs": ""}]}, "X") == "az-1"
    assert r.resolve({"Fn::Select": ["0", {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}, "X") == "az-0"
    azs = r.resolve({"Fn::GetAZs": "us-east-1"}, "X")
    assert len(set(azs)) == len(azs) == 6
    assert "region may not have 8 AZs" in unknown_reason(r.resolve({"Fn::Select": [7, {"Fn::GetAZs": ""}]}, "X"))
    assert "out of range" in unknown_reason(r.resolve({"Fn::Select": [3, ["a", "b"]]}, "X"))


def test_pseudo_parameters_and_novalue():
    r = resolver()
    v = r.resolve({"Ref": "AWS::Region"}, "Resources.A.Properties.B")
    assert isinstance(v, Unknown) and "AWS::Region" in v.reason and v.where == "Resources.A.Properties.B"
    assert r.resolve({"A": 1, "B": {"Ref": "AWS::NoValue"}, "C": [1, {"Ref": "AWS::NoValue"}, 2]}, "X") == {
        "A": 1, "C": [1, 2]}
    assert r.resolve({"Ref": "AWS::NoValue"}, "X") is NO_VALUE
    r = resolver(parameters={"AWS::Region": "cn-north-1", "AWS::AccountId": "123456789012"})
    assert r.resolve({"Fn::Sub": "arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}"}, "X") == \
        "arn:aws-cn:eks:cn-north-1:123456789012"
    assert r.resolve({"Ref": "AWS::URLSuffix"}, "X") == "amazonaws.com.cn"


def test_sub_forms():
    doc = {
        "Parameters": {"Env": {"Type": "String", "Default": "prod"}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Sub": {"Type": "AWS::EC2::Subnet", "Properties": {"CidrBlock": "10.0.1.0/24"}},
        },
    }
    r = resolver(doc, stack_name="st")
    assert r.resolve({"Fn::Sub": "${Env}-${AWS::StackName}-${Sub}"}, "X") == "prod-st-Sub"
    assert r.resolve({"Fn::Sub": "${Vpc.CidrBlock} ${!Literal} ${ Env }"}, "X") == "10.0.0.0/16 ${Literal} prod"
    assert r.resolve({"Fn::Sub": ["${A}/${Env}", {"A": {"Fn::GetAtt": ["Sub", "CidrBlock"]}}]}, "X") == \
        "10.0.1.0/24/prod"
    v = r.resolve({"Fn::Sub": "${AWS::Region}-x"}, "X")
    assert isinstance(v, Unknown)
    assert "neither a parameter nor a resource" in unknown_reason(r.resolve({"Fn::Sub": "${Nope}"}, "X"))


def test_join_split_findinmap_importvalue():
    doc = {"Mappings": {"Sizes": {"prod": {"Cidr": "10.9.0.0/16"}}}}
    r = resolver(doc, exports={"net-Subnets": "subnet-0aaaaaaa1,subnet-0aaaaaaa2"})
    assert r.resolve({"Fn::Join": [",", ["a", 1, True]]}, "X") == "a,1,true"
    assert r.resolve({"Fn::Split": [",", "a,b"]}, "X") == ["a", "b"]
    assert r.resolve({"Fn::FindInMap": ["Sizes", "prod", "Cidr"]}, "X") == "10.9.0.0/16"
    assert r.resolve({"Fn::Split": [",", {"Fn::ImportValue": "net-Subnets"}]}, "X") == [
        "subnet-0aaaaaaa1", "subnet-0aaaaaaa2"]
    v = r.resolve({"Fn::Split": [",", {"Fn::ImportValue": "other"}]}, "Resources.N.Properties.Subnets")
    assert "Fn::ImportValue 'other'" in unknown_reason(v)
    assert v.where == "Resources.N.Properties.Subnets"
    assert "not in the template" in unknown_reason(r.resolve({"Fn::FindInMap": ["Sizes", "dev", "Cidr"]}, "X"))


def test_getatt_of_vpc_and_subnet():
    doc = {"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "AWS::NoValue"}}},
        "Sub": {"Type": "AWS::EC2::Subnet", "Properties": {"CidrBlock": "10.0.1.0/24"}},
        "Cl": {"Type": "AWS::EKS::Cluster", "Properties": {}},
    }}
    r = resolver(doc)
    assert r.resolve({"Fn::GetAtt": "Sub.SubnetId"}, "X") == "Sub"
    assert r.resolve({"Ref": "Sub"}, "X") == "Sub"
    assert "IPAM" in unknown_reason(r.resolve({"Fn::GetAtt": ["Vpc", "CidrBlock"]}, "X"))
    assert "after deployment" in unknown_reason(r.resolve({"Fn::GetAtt": ["Cl", "Endpoint"]}, "X"))


def test_getatt_logical_name_from_an_intrinsic_under_language_extensions():
    """CloudFormation template reference, Fn::GetAtt / AWS::LanguageExtensions: under the transform the logical
    name may be an intrinsic function, resolved by the transform; without it, CloudFormation wants a string."""
    res = {"SubA": {"Type": "AWS::EC2::Subnet", "Properties": {"CidrBlock": "10.0.1.0/24"}}}
    params = {"Which": {"Type": "String", "Default": "A"}, "Unset": {"Type": "String"}}
    r = resolver({"Transform": "AWS::LanguageExtensions", "Parameters": params, "Resources": res})
    assert r.resolve({"Fn::GetAtt": [{"Fn::Sub": "Sub${Which}"}, "SubnetId"]}, "X") == "SubA"
    assert r.resolve({"Fn::GetAtt": [{"Fn::Sub": "Sub${Which}"}, "CidrBlock"]}, "X") == "10.0.1.0/24"
    assert r.resolve({"Fn::GetAtt": [{"Fn::Join": ["", ["Sub", "A"]]}, "SubnetId"]}, "X") == "SubA"
    # a parameter without a default: the name, and so the attribute, is not known
    why = unknown_reason(r.resolve({"Fn::GetAtt": [{"Fn::Sub": "Sub${Unset}"}, "SubnetId"]}, "X"))
    assert "logical name is not known" in why and "Unset has no default" in why
    # a resource's Ref is its physical id, known at deployment: never a logical name
    assert "physical id" in unknown_reason(r.resolve({"Fn::GetAtt": [{"Ref": "SubA"}, "SubnetId"]}, "X"))
    # a list as the transform declaration works the same
    r = resolver({"Transform": ["AWS::LanguageExtensions"], "Resources": res})
    assert r.resolve({"Fn::GetAtt": [{"Fn::Sub": "SubA"}, "SubnetId"]}, "X") == "SubA"
    # no transform: the function is not resolved, and the reason says why
    r = resolver({"Resources": res})
    why = unknown_reason(r.resolve({"Fn::GetAtt": [{"Fn::Sub": "SubA"}, "SubnetId"]}, "X"))
    assert "AWS::LanguageExtensions" in why


def test_aws_for_each_outputs_example_getatt_of_a_sub():
    """The Fn::ForEach Outputs example of the CloudFormation template reference (foreach-example-outputs): nested
    loops make S3Bucket${Identifier}${Property} outputs of Fn::GetAtt [{Fn::Sub: S3Bucket${Identifier}}, Property].
    Each output names the right bucket and attribute; an S3 attribute is known only after deployment."""
    from podcap.sources.intrinsics import expand_language_extensions

    doc = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::LanguageExtensions",
           "Resources": {"Fn::ForEach::Buckets": ["Identifier", ["A", "B", "C"], {
               "S3Bucket${Identifier}": {"Type": "AWS::S3::Bucket", "Properties": {
                   "MetricsConfigurations": [{"Id": {"Fn::Sub": "EntireBucket${Identifier}"}}]}}}]},
           "Outputs": {"Fn::ForEach::BucketOutputs": ["Identifier", ["A", "B", "C"], {
               "Fn::ForEach::GetAttLoop": ["Property", ["Arn", "DomainName", "WebsiteURL"], {
                   "S3Bucket${Identifier}${Property}": {
                       "Value": {"Fn::GetAtt": [{"Fn::Sub": "S3Bucket${Identifier}"}, {"Ref": "Property"}]}}}]}]}}
    expanded, problems = expand_language_extensions(doc, resolver(doc))
    assert problems == []
    r = Resolver(expanded, source="t.yaml")
    # 3 buckets x 3 attributes = 9 outputs
    assert len(r.outputs) == 9
    for b in "ABC":
        for attr in ("Arn", "DomainName", "WebsiteURL"):
            why = unknown_reason(r.output(f"S3Bucket{b}{attr}"))
            assert why == f"S3Bucket{b}.{attr} (AWS::S3::Bucket) is known only after deployment"


def test_getatt_cycle_is_an_input_error():
    doc = {"Resources": {
        "A": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Fn::GetAtt": ["B", "CidrBlock"]}}},
        "B": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Fn::GetAtt": ["A", "CidrBlock"]}}},
    }}
    with pytest.raises(InputError, match=r"circular reference: A.CidrBlock -> B.CidrBlock -> A.CidrBlock"):
        resolver(doc).resolve({"Fn::GetAtt": ["A", "CidrBlock"]}, "X")


def test_deep_nesting_is_an_input_error_not_a_recursion_error():
    v: dict = {"Ref": "AWS::Region"}
    for _ in range(5000):
        v = {"Fn::Join": ["", [v]]}
    with pytest.raises(InputError, match="nested more than"):
        resolver().resolve(v, "X")
    cond: dict = {"Fn::Equals": ["a", "a"]}
    for _ in range(5000):
        cond = {"Fn::Not": [cond]}
    with pytest.raises(InputError, match="nested"):
        resolver({"Conditions": {"C": cond}}).evaluate_all_conditions()


# -- parameters ---------------------------------------------------------------------------------------


def test_parameters_given_override_defaults():
    doc = {"Parameters": {
        "Cidr": {"Type": "String", "Default": "10.0.0.0/16"},
        "Count": {"Type": "Number", "Default": 3},
        "Ids": {"Type": "List<AWS::EC2::Subnet::Id>", "Default": "subnet-1, subnet-2"},
        "NoDefault": {"Type": "String"},
        "Ssm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x/y"},
        "Env": {"Type": "String", "AllowedValues": ["a", "b"], "Default": "a"},
    }}
    r = resolver(doc, parameters={"Cidr": "10.5.0.0/16"})
    assert r.resolve({"Ref": "Cidr"}, "X") == "10.5.0.0/16"
    assert r.resolve({"Ref": "Count"}, "X") == "3"
    assert r.resolve({"Ref": "Ids"}, "X") == ["subnet-1", "subnet-2"]
    assert unknown_reason(r.resolve({"Ref": "NoDefault"}, "X")) == \
        "parameter NoDefault has no default; pass --parameter NoDefault=..."
    assert "SSM" in unknown_reason(r.resolve({"Ref": "Ssm"}, "X"))
    assert "SSM" in unknown_reason(resolver(doc, parameters={"Ssm": "10.0.0.0/8"}).resolve({"Ref": "Ssm"}, "X"))
    with pytest.raises(InputError, match="--parameter Env=c is not one of the allowed values: a, b"):
        resolver(doc, parameters={"Env": "c"}).check_given_parameters()


# -- conditions --------------------------------------------------------------------------------------


def test_conditions():
    doc = {
        "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "N": {"Type": "Number", "Default": 0}},
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Zero": {"Fn::Equals": [{"Ref": "N"}, 0]},
            "InUsEast1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
            "ProdOrEast": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "InUsEast1"}]},
            "ProdAndEast": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InUsEast1"}]},
            "DevAndEast": {"Fn::And": [{"Condition": "IsDev"}, {"Condition": "InUsEast1"}]},
        },
    }
    r = resolver(doc)
    values = r.evaluate_all_conditions()
    assert values["IsProd"] is True and values["IsDev"] is False and values["Zero"] is True
    assert values["ProdOrEast"] is True  # True or unknown
    assert values["DevAndEast"] is False  # False and unknown
    assert isinstance(values["ProdAndEast"], Unknown) and "region" in values["ProdAndEast"].reason
    assert r.resolve({"Fn::If": ["IsDev", "a", "b"]}, "X") == "b"
    assert r.resolve({"Fn::If": ["InUsEast1", "same", "same"]}, "X") == "same"
    v = r.resolve({"Fn::If": ["InUsEast1", "a", {"Ref": "AWS::NoValue"}]}, "X")
    assert "depends on condition InUsEast1" in unknown_reason(v)
    r2 = resolver(doc, parameters={"Env": "dev", "AWS::Region": "us-east-1"})
    assert r2.condition("IsDev") is True and r2.condition("DevAndEast") is True


def test_cyclic_conditions_are_an_input_error():
    doc = {"Conditions": {
        "A": {"Fn::And": [{"Condition": "B"}, {"Fn::Equals": ["x", "x"]}]},
        "B": {"Fn::Not": [{"Condition": "C"}]},
        "C": {"Fn::Or": [{"Condition": "A"}, {"Fn::Equals": ["x", "y"]}]},
    }}
    with pytest.raises(InputError, match=r"cycle: A -> B -> C -> A"):
        resolver(doc).evaluate_all_conditions()
    with pytest.raises(InputError, match=r"cycle"):
        load_template(str(DATA / "cyclic-conditions.yaml"))


# -- a small template, fully resolved ----------------------------------------------------------------


def test_small_template_fully_resolved():
    plan = load_template(str(DATA / "small-cluster.yaml"))
    assert plan.kind == "cloudformation"
    assert plan.vpcs["VPC"].cidrs == ["10.20.0.0/16", "100.64.0.0/16"]
    a, b, pods = plan.subnets["SubnetA"], plan.subnets["SubnetB"], plan.subnets["PodSubnetA"]
    assert (a.cidr, a.az, a.vpc) == ("10.20.0.0/24", "az-0", "VPC")
    assert (b.cidr, b.az) == ("10.20.1.0/24", "az-1")
    assert (pods.cidr, pods.az) == ("100.64.0.0/18", "az-0")
    assert [(r.cidr, r.type) for r in b.reservations] == [("10.20.1.128/25", "prefix")]
    assert "DevOnlySubnet" not in plan.subnets  # its condition is false
    cl = plan.clusters["Cluster"]
    assert cl.name == "prod-cluster" and cl.subnets == ["SubnetA", "SubnetB"] and cl.ip_family == "ipv4"
    assert cl.cni_env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1",
                          "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}
    # the eniConfig key is a real AZ name; the subnet's own abstract AZ is added as an alias
    assert cl.eni_configs == {"us-east-1a": "PodSubnetA", "az-0": "PodSubnetA"}
    (ng,) = plan.nodegroups
    assert ng.name == "Nodes" and ng.cluster == "Cluster" and not ng.self_managed
    assert ng.instance_types == ["m5.large"]
    assert ng.subnets == ["SubnetA", "SubnetB"]
    assert (ng.min_size, ng.desired_size, ng.max_size) == (2, 3, 6)
    assert ng.max_unavailable is None and ng.max_unavailable_percentage == 25
    assert ng.kubelet_max_pods == 58
    assert (ng.ami_type, ng.capacity_type) == ("AL2_x86_64", "ON_DEMAND")
    # locations and suppressions
    assert a.location.line == 30 and a.location.path == "Resources/SubnetA"
    assert a.location.construct_path == "Small/Vpc/SubnetA/Resource"
    assert plan.resource_locations["Nodes"].line == ng.location.line == 107
    assert [(s.rule_id, s.expires, s.source) for s in plan.suppressions["SubnetA"]] == [
        ("PC202", "2099-01-31", "metadata")]
    assert [s.rule_id for s in plan.suppressions["Nodes"]] == ["PC103"]
    assert [(rid, u.reason) for rid, u in plan.unresolved] == [
        ("SubnetA", "podcap suppression of PC201 ignored: it needs a reason of at least 10 characters")]


def test_small_template_with_parameters_and_as_a_dict():
    plan = load_template(str(DATA / "small-cluster.yaml"),
                         parameters={"VpcCidr": "10.30.0.0/16", "Env": "dev", "NodeType": "c5.large"})
    assert plan.subnets["SubnetB"].cidr == "10.30.1.0/24"
    assert plan.subnets["DevOnlySubnet"].az == "az-2"
    assert plan.clusters["Cluster"].name == "dev-cluster"
    (ng,) = plan.nodegroups
    assert ng.instance_types == ["c5.large"] and ng.max_size == 3

    # the long form (JSON) of the same template gives the same plan
    from podcap.sources.cloudformation import read_template

    doc, _ = read_template(str(DATA / "small-cluster.yaml"))
    long_form = json.loads(json.dumps(doc))
    plan2 = plan_from_template(long_form, "small.json")
    assert plan2.subnets["SubnetA"].cidr == "10.20.0.0/24"
    assert plan2.nodegroups[0].kubelet_max_pods == 58


def test_undecidable_condition_and_missing_things_fail_closed():
    doc = {
        "Conditions": {"East": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
        "Resources": {
            "S": {"Type": "AWS::EC2::Subnet", "Condition": "East",
                  "Properties": {"CidrBlock": "10.0.0.0/24", "VpcId": "vpc-1"}},
            "NG": {"Type": "AWS::EKS::Nodegroup",
                   "Properties": {"ClusterName": "external", "Subnets": ["subnet-0abc12345", {"Ref": "S"}]}},
        },
    }
    plan = plan_from_template(doc, "t.json")
    s = plan.subnets["S"]
    assert "EC2 picks one" in unknown_reason(s.az)
    assert any(rid == "S" and "condition East" in u.reason for rid, u in plan.unresolved)
    ext = plan.subnets["subnet-0abc12345"]
    assert not ext.defined_in_plan and ext.aws_id == "subnet-0abc12345"
    assert "use --live" in unknown_reason(ext.cidr)
    (ng,) = plan.nodegroups
    assert ng.instance_types == ["t3.medium"]  # EKS's documented default, noted rather than unknown
    assert (ng.min_size, ng.desired_size, ng.max_size) == (1, 2, 2)
    assert ng.cluster == "external"
    notes = [text for rid, text in plan.notes if rid == "NG"]
    assert any("t3.medium" in n for n in notes) and any("min 1, desired 2, max 2" in n for n in notes)


def test_not_a_template():
    with pytest.raises(InputError, match="no Resources"):
        plan_from_template({"AWSTemplateFormatVersion": "2010-09-09"}, "x.yaml")
    with pytest.raises(InputError, match="not a CloudFormation template"):
        plan_from_template([], "x.yaml")  # type: ignore[arg-type]


# -- user data and add-on configuration ----------------------------------------------------------------


def test_max_pods_from_user_data():
    # the AL2 AMI's bootstrap.sh has no --max-pods option (awslabs/amazon-eks-ami, bootstrap.sh: an unknown
    # option is kept as a positional argument), so kubelet never gets it: not a value, a problem
    value, problem = kubelet_max_pods_from_user_data("/etc/eks/bootstrap.sh c --max-pods 17")
    assert value is None and "--kubelet-extra-args" in problem
    assert kubelet_max_pods_from_user_data(
        "/etc/eks/bootstrap.sh c --use-max-pods false --kubelet-extra-args '--max-pods=110 --node-labels=a=b'"
    ) == (110, None)
    # --use-max-pods false and no kubelet flag: bootstrap.sh writes no maxPods, kubelet's own default 110
    assert kubelet_max_pods_from_user_data("/etc/eks/bootstrap.sh c --use-max-pods false") == (110, None)
    assert kubelet_max_pods_from_user_data("#!/bin/bash\necho hi\n") == (None, None)
    assert kubelet_max_pods_from_user_data("[settings.kubernetes]\nmax-pods = 40\n") == (40, None)
    mime = (
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n--B\n'
        "Content-Type: application/node.eks.aws\n\n---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n"
        "spec:\n  kubelet:\n    config:\n      maxPods: 35\n\n--B--\n"
    )
    assert kubelet_max_pods_from_user_data(mime) == (35, None)


def test_max_pods_from_encoded_literal_user_data():
    ud = base64.b64encode(b"#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20'\n").decode()
    doc = {"Resources": {
        "LT": {"Type": "AWS::EC2::LaunchTemplate",
               "Properties": {"LaunchTemplateData": {"InstanceType": "m5.large", "UserData": ud}}},
        "NG": {"Type": "AWS::EKS::Nodegroup",
               "Properties": {"ClusterName": "c", "Subnets": ["subnet-0abc12345"],
                              "LaunchTemplate": {"Name": "named"},
                              "ScalingConfig": {"MinSize": 1, "MaxSize": 1, "DesiredSize": 1}}},
        "NG2": {"Type": "AWS::EKS::Nodegroup",
                "Properties": {"ClusterName": "c", "Subnets": ["subnet-0abc12345"],
                               "LaunchTemplate": {"Id": {"Ref": "LT"}},
                               "ScalingConfig": {"MinSize": 1, "MaxSize": 1, "DesiredSize": 1}}},
    }}
    plan = plan_from_template(doc, "t.json")
    ng, ng2 = plan.nodegroups
    assert "launch template named" in unknown_reason(ng.instance_types)
    assert ng2.instance_types == ["m5.large"] and ng2.kubelet_max_pods == 20


def test_max_pods_value_unknown_is_reported():
    doc = {
        "Parameters": {"MaxPods": {"Type": "Number"}},
        "Resources": {
            "LT": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
                "UserData": {"Fn::Base64": {"Fn::Sub": "/etc/eks/bootstrap.sh c --max-pods=${MaxPods}"}}}}},
            "NG": {"Type": "AWS::EKS::Nodegroup",
                   "Properties": {"ClusterName": "c", "Subnets": ["subnet-0abc12345"],
                                  "LaunchTemplate": {"Id": {"Ref": "LT"}}}},
        }}
    plan = plan_from_template(doc, "t.json")
    (ng,) = plan.nodegroups
    # unknown in the model (as for a Terraform plan), not the AMI default
    assert "MaxPods has no default" in unknown_reason(ng.kubelet_max_pods)
    assert ng.kubelet_max_pods.where == "Resources.LT.Properties.LaunchTemplateData.UserData"
    assert ng.instance_types == ["t3.medium"]


def test_cni_configuration_values():
    env, eni, problems = parse_cni_configuration('{"env": {"WARM_IP_TARGET": 5, "X": true}}', {}, "w")
    assert env == {"WARM_IP_TARGET": "5", "X": "true"} and eni == {} and problems == []
    env, eni, _ = parse_cni_configuration("env:\n  MINIMUM_IP_TARGET: '10'\n", {}, "w")
    assert env == {"MINIMUM_IP_TARGET": "10"}
    env, _, _ = parse_cni_configuration("{not json: [", {}, "w")
    assert "neither JSON nor YAML" in unknown_reason(env)
    env, eni, _ = parse_cni_configuration('{"replicaCount": 2}', {}, "w")
    assert env is None and eni == {}
    env, eni, problems = parse_cni_configuration(
        '{"eniConfig": {"create": false, "subnets": {"a": {"id": "subnet-1"}}}}', {}, "w")
    assert eni == {} and problems and "create is false" in problems[0].reason


# -- a self-managed node group -------------------------------------------------------------------------


def test_self_managed_asg_with_nodeadm_user_data():
    plan = load_template(str(DATA / "self-managed.yaml"))
    (ng,) = plan.nodegroups  # the bastion group is not an EKS node group
    assert ng.self_managed and ng.name == "Nodes"
    assert ng.cluster == "shared-cluster"
    assert ng.instance_types == ["c5.xlarge"]
    assert (ng.min_size, ng.desired_size, ng.max_size) == (1, 1, 4)
    assert ng.kubelet_max_pods == 29
    assert ng.subnets == ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    for sid in ng.subnets:
        s = plan.subnets[sid]
        assert not s.defined_in_plan and s.aws_id == sid and isinstance(s.cidr, Unknown)


# -- podcap metadata: pods_per_node ----------------------------------------------------------------------

PODS_TEMPLATE = """\
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/20, AvailabilityZone: us-east-1a}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.16.0/20, AvailabilityZone: us-east-1b}
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: pods
      RoleArn: arn:aws:iam::123456789012:role/eks
      ResourcesVpcConfig: {SubnetIds: [!Ref SubnetA, !Ref SubnetB]}
  Nodes:
    Type: AWS::EKS::Nodegroup
    Metadata:
      podcap: {pods_per_node: PODS}
    Properties:
      ClusterName: !Ref Cluster
      NodeRole: arn:aws:iam::123456789012:role/node
      InstanceTypes: [m5.large]
      Subnets: [!Ref SubnetA, !Ref SubnetB]
      ScalingConfig: {MinSize: 2, DesiredSize: 2, MaxSize: 4}
"""


def _nodegroup_doc(podcap: object, rtype: str = "AWS::EKS::Nodegroup") -> dict:
    props: dict = {"ClusterName": "c", "InstanceTypes": ["m5.large"], "Subnets": ["subnet-0123456789abcdef0"]}
    if rtype == "AWS::AutoScaling::AutoScalingGroup":
        props = {"MinSize": 1, "MaxSize": 3, "VPCZoneIdentifier": ["subnet-0123456789abcdef0"],
                 "LaunchConfigurationName": {"Ref": "Lc"},
                 "Tags": [{"Key": "kubernetes.io/cluster/c", "Value": "owned", "PropagateAtLaunch": True}]}
    doc: dict = {"Resources": {"NG": {"Type": rtype, "Metadata": {"podcap": podcap}, "Properties": props}}}
    if rtype == "AWS::AutoScaling::AutoScalingGroup":
        doc["Resources"]["Lc"] = {"Type": "AWS::AutoScaling::LaunchConfiguration",
                                  "Properties": {"InstanceType": "m5.large", "ImageId": "ami-1"}}
    return doc


def _check_json(capsys, monkeypatch, tmp_path: Path, template: str) -> tuple[int, dict]:
    from podcap.cli import main

    monkeypatch.chdir(tmp_path)  # no .podcap.yaml around
    (tmp_path / "t.yaml").write_text(template, encoding="utf-8")
    code = main(["check", "t.yaml", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_pods_per_node_metadata_is_the_demand_in_the_check(capsys, monkeypatch, tmp_path):
    from podcap.cli import main

    assert main(["node", "m5.large", "--pods", "10", "--format", "json"]) == 0
    one_node = json.loads(capsys.readouterr().out)
    code, report = _check_json(capsys, monkeypatch, tmp_path, PODS_TEMPLATE.replace("PODS", "10"))
    assert code == 0
    (ng,) = report["nodegroups"]
    assert ng["name"] == "Nodes" and ng["max_pods"] == 29
    assert ng["pods_per_node"] == 10  # not the 27 a full m5.large takes
    assert ng["addresses_per_node"] == one_node["subnet_addresses"] == 30
    assert not [f for f in report["findings"] if f["rule_id"] == "PC001"]  # nothing left unread

    # 5 pods fit the primary ENI: one warm ENI more, 20 addresses (a full node holds 30)
    assert main(["node", "m5.large", "--pods", "5", "--format", "json"]) == 0
    five = json.loads(capsys.readouterr().out)
    _, report = _check_json(capsys, monkeypatch, tmp_path, PODS_TEMPLATE.replace("PODS", "5"))
    (ng,) = report["nodegroups"]
    assert (ng["pods_per_node"], ng["addresses_per_node"]) == (5, five["subnet_addresses"]) == (5, 20)
    assert [s["at_max"] for s in report["subnets"]] == [2 * 20 + 2, 2 * 20 + 2]  # + the control-plane ENIs


def test_pods_per_node_metadata_read_into_the_node_group():
    plan = plan_from_template(_nodegroup_doc({"pods_per_node": 12}), "t.json")
    (ng,) = plan.nodegroups
    assert ng.pods_per_node == 12 and plan.unresolved == []
    # next to suppressions, as the CDK constructs merge them
    plan = plan_from_template(_nodegroup_doc({"pods_per_node": 40, "suppress": [
        {"id": "PC103", "reason": "sized for the pilot only"}]}), "t.json")
    assert plan.nodegroups[0].pods_per_node == 40 and plan.unresolved == []
    assert [s.rule_id for s in plan.suppressions["NG"]] == ["PC103"]
    # a self-managed group of EKS nodes takes it too
    asg = _nodegroup_doc({"pods_per_node": 8}, "AWS::AutoScaling::AutoScalingGroup")
    plan = plan_from_template(asg, "t.json")
    (ng,) = plan.nodegroups
    assert ng.self_managed and ng.pods_per_node == 8 and plan.unresolved == []
    # a number in text is read as the source reads every number
    plan = plan_from_template(_nodegroup_doc({"pods_per_node": "16"}), "t.json")
    assert plan.nodegroups[0].pods_per_node == 16
    # no metadata: the nodes are full
    doc = _nodegroup_doc({"pods_per_node": 12})
    del doc["Resources"]["NG"]["Metadata"]
    assert plan_from_template(doc, "t.json").nodegroups[0].pods_per_node is None


@pytest.mark.parametrize("value", [0, -3, 2.5, "ten", True, None, [10], {"Ref": "Pods"}])
def test_pods_per_node_metadata_invalid_is_reported(value):
    plan = plan_from_template(_nodegroup_doc({"pods_per_node": value}), "t.json")
    (ng,) = plan.nodegroups
    assert ng.pods_per_node is None  # ignored: the nodes are taken as full
    ((rid, unk),) = plan.unresolved
    assert rid == "NG" and unk.where == "Resources.NG.Metadata.podcap.pods_per_node"
    assert unk.reason == (f"podcap pods_per_node ignored: {value!r} is not a whole number of pods of at "
                          "least 1 (the nodes are taken as full)")


def test_pods_per_node_metadata_invalid_in_the_check(capsys, monkeypatch, tmp_path):
    code, report = _check_json(capsys, monkeypatch, tmp_path, PODS_TEMPLATE.replace("PODS", "0"))
    (f,) = [f for f in report["findings"] if f["rule_id"] == "PC001"]
    assert f["severity"] == "warning" and f["resource"] == "Nodes"
    assert f["message"].startswith("Nodes: podcap pods_per_node ignored: 0 is not a whole number of pods")
    assert f["data"]["where"] == "Resources.Nodes.Metadata.podcap.pods_per_node"
    assert report["nodegroups"][0]["pods_per_node"] == 27  # full m5.large nodes
    assert code == 0  # a warning: it fails the check only with --strict
    from podcap.cli import main

    assert main(["check", "t.yaml", "--strict", "--format", "json"]) == 1
    capsys.readouterr()


def test_podcap_metadata_unknown_keys_are_reported():
    plan = plan_from_template(_nodegroup_doc({"pods_per_nodes": 10}), "t.json")
    assert plan.nodegroups[0].pods_per_node is None
    assert [(rid, u.reason, u.where) for rid, u in plan.unresolved] == [
        ("NG", "podcap metadata ignored: unknown key 'pods_per_nodes' (did you mean 'pods_per_node'?)",
         "Resources.NG.Metadata.podcap.pods_per_nodes")]
    # the known keys are still read
    plan = plan_from_template(_nodegroup_doc({"pods_per_node": 10, "owner": "team-a"}), "t.json")
    assert plan.nodegroups[0].pods_per_node == 10
    assert [u.reason for _, u in plan.unresolved] == [
        ("podcap metadata ignored: unknown key 'owner' (expected one of: suppress, pods_per_node, max_nodes, "
         "pods, sgp_pods_per_node)")]
    for bad in ({}, "pods_per_node: 10", [{"pods_per_node": 10}]):
        plan = plan_from_template(_nodegroup_doc(bad), "t.json")
        assert plan.nodegroups[0].pods_per_node is None
        assert [(u.reason, u.where) for _, u in plan.unresolved] == [
            ("podcap metadata ignored: expected {suppress: [{id: PC…, reason: …}]} and/or {pods_per_node: N}",
             "Resources.NG.Metadata.podcap")]


def test_pods_per_node_metadata_on_what_is_not_a_node_group_is_reported():
    doc = {"Resources": {
        "S": {"Type": "AWS::EC2::Subnet", "Metadata": {"podcap": {"pods_per_node": 10}},
              "Properties": {"CidrBlock": "10.0.0.0/24", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a"}},
        # an Auto Scaling group with no sign of EKS nodes is not read as a node group
        "Bastion": {"Type": "AWS::AutoScaling::AutoScalingGroup",
                    "Metadata": {"podcap": {"pods_per_node": 3}},
                    "Properties": {"MinSize": 1, "MaxSize": 1,
                                   "VPCZoneIdentifier": ["subnet-0123456789abcdef0"]}},
    }}
    plan = plan_from_template(doc, "t.json")
    assert plan.nodegroups == []
    assert sorted((rid, u.where) for rid, u in plan.unresolved) == [
        ("Bastion", "Resources.Bastion.Metadata.podcap.pods_per_node"),
        ("S", "Resources.S.Metadata.podcap.pods_per_node")]
    assert all("not a node group podcap reads" in u.reason for _, u in plan.unresolved)


# -- the shared real-world fixtures ----------------------------------------------------------------------


def _fixture(*parts: str) -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"{FIXTURES} is absent")
    p = FIXTURES.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is absent")
    return p


def _templates() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted([*FIXTURES.glob("cfn/*/*"), *FIXTURES.glob("cdk/*/*")])


@pytest.mark.parametrize("path", _templates() or [None], ids=lambda p: p.parent.name if p else "absent")
def test_every_fixture_template_reads(path):
    if path is None:
        pytest.skip(f"{FIXTURES} is absent")
    plan = load_template(str(path))
    assert plan.resource_locations
    for ng in plan.nodegroups:
        assert ng.location.path.startswith("Resources/")


def test_fixture_aws_cloudformation_templates_eks():
    plan = load_template(str(_fixture("cfn", "aws-cloudformation-templates-EKS", "template.yaml")))
    assert plan.vpcs["VPC"].cidrs == ["10.0.0.0/16"]
    assert len(plan.subnets) == 6
    assert {s.cidr for s in plan.subnets.values()} == {f"10.0.{i}.0/24" for i in range(1, 7)}
    assert plan.subnets["PrivateSubnet3"].az == "az-2"
    (ng,) = plan.nodegroups
    assert ng.instance_types == ["t3.medium"]
    assert (ng.min_size, ng.desired_size, ng.max_size) == (2, 2, 2)
    assert ng.subnets == ["PrivateSubnet1", "PrivateSubnet2", "PrivateSubnet3"]
    assert ng.cluster == "ControlPlane"
    assert len(plan.clusters["ControlPlane"].subnets) == 6
    assert isinstance(plan.clusters["ControlPlane"].name, Unknown)  # ${AWS::StackName}-cluster
    named = load_template(str(_fixture("cfn", "aws-cloudformation-templates-EKS", "template.yaml")),
                          parameters={"AWS::StackName": "demo", "PrivateCidrBlock1": "10.0.100.0/24"})
    assert named.clusters["ControlPlane"].name == "demo-cluster"
    assert named.subnets["PrivateSubnet1"].cidr == "10.0.100.0/24"


def test_fixture_eksctl_cluster_stack():
    plan = load_template(str(_fixture("cfn", "eksctl-cluster-stack", "cluster-example-1.json")))
    assert plan.vpcs["VPC"].cidrs == ["192.168.0.0/16"]
    assert len(plan.subnets) == 6
    assert all(s.cidr.endswith("/19") and s.az.startswith("us-west-2") for s in plan.subnets.values())
    cl = plan.clusters["ControlPlane"]
    assert cl.name == "wonderful-party-1565212003" and len(cl.subnets) == 6
    assert plan.resource_locations["ControlPlane"].line is not None


def test_fixture_eksctl_managed_nodegroup_stack():
    path = _fixture("cfn", "eksctl-managed-nodegroup-stack", "al2-updated-template.json")
    plan = load_template(str(path))
    (ng,) = plan.nodegroups
    assert ng.instance_types == ["m5.xlarge"]
    assert (ng.min_size, ng.desired_size, ng.max_size) == (4, 4, 4)
    assert "Fn::ImportValue" in unknown_reason(ng.subnets)
    assert ng.cluster == "my-cluster"
    # with the cluster stack's export supplied, the subnets resolve
    plan = load_template(str(path), exports={
        "eksctl-my-cluster-cluster::SubnetsPublic": "subnet-0aaaaaaa1,subnet-0aaaaaaa2,subnet-0aaaaaaa3"})
    assert plan.nodegroups[0].subnets == ["subnet-0aaaaaaa1", "subnet-0aaaaaaa2", "subnet-0aaaaaaa3"]
    assert not plan.subnets["subnet-0aaaaaaa1"].defined_in_plan


def test_fixture_eksctl_unowned_cluster_vpc_conditions():
    path = _fixture("cfn", "eksctl-unowned-cluster-vpc", "cf-template.yaml")
    plan = load_template(str(path))
    assert len(plan.subnets) == 6  # Subnet03/06 kept: their condition needs the region ...
    assert {rid for rid, u in plan.unresolved if "HasMoreThan2Azs" in u.reason} == {"Subnet03", "Subnet06"}
    two_azs = load_template(str(path), parameters={"AWS::Region": "us-west-1"})
    assert set(two_azs.subnets) == {"Subnet01", "Subnet02", "Subnet04", "Subnet05"}  # ... which decides it
    assert not two_azs.unresolved
    assert len(load_template(str(path), parameters={"AWS::Region": "us-east-1"}).subnets) == 6


def test_fixture_cfn_lint_good():
    plan = load_template(str(_fixture("cfn", "cfn-lint-good", "properties_ec2_vpc.yaml")))
    cidr = plan.subnets["mySubnet21"].cidr
    assert "cidrBlockAllowedPattern has no default" in unknown_reason(cidr)
    assert cidr.where == "Resources.mySubnet21.Properties.CidrBlock"
    assert "SSM" in unknown_reason(plan.vpcs["myVpc5"].cidrs[0])
    given = load_template(str(_fixture("cfn", "cfn-lint-good", "properties_ec2_vpc.yaml")),
                          parameters={"cidrBlockAllowedPattern": "10.0.0.0/8"})
    assert given.subnets["mySubnet21"].cidr == "10.0.0.0/16"


def test_fixture_quickstart_nodegroup():
    path = _fixture("cfn", "quickstart-amazon-eks-nodegroup", "amazon-eks-nodegroup.template.yaml")
    plan = load_template(str(path))
    (ng,) = plan.nodegroups  # managed by default; the unmanaged ASG's condition is false
    assert ng.instance_types == ["t3.medium"]  # from the launch template
    assert (ng.min_size, ng.desired_size, ng.max_size) == (3, 3, 3)
    assert ng.max_unavailable == 1 and ng.max_unavailable_percentage is None
    assert "Subnet1ID has no default" in unknown_reason(ng.subnets[0])
    plan = load_template(str(path), parameters={
        "Subnet1ID": "subnet-0aaaaaaa1", "Subnet2ID": "subnet-0aaaaaaa2", "EKSClusterName": "c",
        "NodeGroupType": "Unmanaged", "NodeInstanceType": "m5.large", "MaxNumberOfNodes": "6"})
    (ng,) = plan.nodegroups
    assert ng.self_managed and ng.subnets == ["subnet-0aaaaaaa1", "subnet-0aaaaaaa2"]
    assert ng.instance_types == ["m5.large"] and (ng.min_size, ng.max_size) == (3, 6)


def test_fixture_cdk_al2023_nodegroups():
    path = _fixture("cdk", "aws-cdk-eks-v2-alpha-al2023-nodegroup",
                    "aws-cdk-eks-cluster-al2023-nodegroup-test.template.json")
    plan = load_template(str(path))
    assert sorted(s.cidr for s in plan.subnets.values()) == [
        "10.0.0.0/18", "10.0.128.0/18", "10.0.192.0/18", "10.0.64.0/18"]
    assert len(plan.nodegroups) == 4
    for ng in plan.nodegroups:
        # EKS's CreateNodegroup reference documents t3.medium (x86_64) as the default; for the ARM, Neuron and
        # NVIDIA AMI types it documents no default, so the type is unknown (default_instance_type)
        if ng.ami_type == "AL2023_x86_64_STANDARD":
            assert ng.instance_types == ["t3.medium"]
        else:
            assert isinstance(ng.instance_types, Unknown)
            assert ng.ami_type in ng.instance_types.reason
        assert (ng.min_size, ng.desired_size, ng.max_size) == (1, 2, 2)
        assert ng.cluster == "ClusterEB0386A7"
    assert {ng.ami_type for ng in plan.nodegroups} == {
        "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NEURON", "AL2023_x86_64_NVIDIA"}


def test_fixture_cdk_addon_is_not_vpc_cni():
    path = _fixture("cdk", "aws-cdk-eks-v2-alpha-addon", "EksClusterWithAddonStack.template.json")
    plan = load_template(str(path))
    (cl,) = plan.clusters.values()
    assert cl.cni_env is None and not plan.nodegroups


# -- CDK cloud assemblies -------------------------------------------------------------------------------


def _write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1))


def _stack_artifact(template: str, stack_name: str | None = None, env: str = "aws://unknown-account/unknown-region",
                    **extra) -> dict:
    props = {"templateFile": template}
    if stack_name:
        props["stackName"] = stack_name
    props.update(extra)
    return {"type": "aws:cloudformation:stack", "environment": env, "properties": props}


NETWORK = {
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"},
                "Metadata": {"aws:cdk:path": "Network/Vpc/Resource"}},
        "PrivateA": {"Type": "AWS::EC2::Subnet",
                     "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/20",
                                    "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}},
        "PrivateB": {"Type": "AWS::EC2::Subnet",
                     "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.16.0/20",
                                    "AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": ""}]}}},
    },
    "Outputs": {
        "ExportA": {"Value": {"Ref": "PrivateA"}, "Export": {"Name": "Network:ExportsOutputRefPrivateA"}},
        "ExportB": {"Value": {"Ref": "PrivateB"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-b"}}},
    },
}

CLUSTER = {
    "Resources": {
        "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "demo", "ResourcesVpcConfig": {"SubnetIds": [
                {"Fn::ImportValue": "Network:ExportsOutputRefPrivateA"}, {"Fn::ImportValue": "Network-b"}]}}},
        "Nodes": {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "InstanceTypes": ["m5.large"],
            "Subnets": [{"Fn::ImportValue": "Network:ExportsOutputRefPrivateA"},
                        {"Fn::ImportValue": "Network-b"}],
            "ScalingConfig": {"MinSize": 1, "DesiredSize": 2, "MaxSize": 8}}},
        "Cni": {"Type": "AWS::EKS::Addon", "Properties": {
            "AddonName": "vpc-cni", "ClusterName": "demo",
            "ConfigurationValues": '{"env": {"ENABLE_PREFIX_DELEGATION": "true"}}'}},
    },
}


def test_cdk_assembly_cross_stack(tmp_path):
    out = tmp_path / "cdk.out"
    _write(out / "Network.template.json", NETWORK)
    _write(out / "ClusterStack.template.json", CLUSTER)
    _write(out / "manifest.json", {"version": "36.0.0", "artifacts": {
        "ClusterStack": {**_stack_artifact("ClusterStack.template.json", "Cluster-Stack"),
                         "metadata": {"/ClusterStack/Nodes/Resource": [
                             {"type": "aws:cdk:logicalId", "data": "Nodes"}]}},
        "Network": _stack_artifact("Network.template.json", env="aws://123456789012/eu-west-1"),
        "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
    }})
    assert is_cdk_assembly(out) and not is_cdk_assembly(out / "manifest.json")
    plan = load_assembly(out)
    assert plan.kind == "cdk-assembly"
    assert set(plan.subnets) == {"Network/PrivateA", "Network/PrivateB"}
    assert plan.subnets["Network/PrivateA"].vpc == "Network/Vpc"
    assert plan.vpcs["Network/Vpc"].location.construct_path == "Network/Vpc/Resource"
    (ng,) = plan.nodegroups
    assert ng.name == "Cluster-Stack/Nodes"
    assert ng.subnets == ["Network/PrivateA", "Network/PrivateB"]
    assert ng.cluster == "Cluster-Stack/Cluster"
    cl = plan.clusters["Cluster-Stack/Cluster"]
    assert cl.subnets == ["Network/PrivateA", "Network/PrivateB"]
    assert cl.cni_env == {"ENABLE_PREFIX_DELEGATION": "true"}  # add-on matched by the cluster's name
    assert plan.resource_locations["Cluster-Stack/Nodes"].construct_path == "/ClusterStack/Nodes/Resource"
    assert plan.resource_locations["Cluster-Stack/Nodes"].file.endswith("ClusterStack.template.json")
    assert not plan.unresolved


def test_cdk_assembly_stage_and_nested_stack(tmp_path):
    out = tmp_path / "cdk.out"
    stage = out / "assembly-Prod"
    nested_name = "ProdAppNodesNested1234.nested.template.json"
    _write(stage / "Prod-Network.template.json", NETWORK)
    _write(stage / "Prod-App.template.json", {"Resources": {"Nodes": {
        "Type": "AWS::CloudFormation::Stack",
        "Metadata": {"aws:asset:path": nested_name},
        "Properties": {"TemplateURL": "https://example.invalid/x", "Parameters": {
            "SubnetIds": {"Fn::Join": [",", [{"Fn::ImportValue": "Network:ExportsOutputRefPrivateA"},
                                             {"Fn::ImportValue": "Network-b"}]]}}}}},
        "Outputs": {"Group": {"Value": {"Fn::GetAtt": ["Nodes", "Outputs.GroupName"]}}}})
    _write(stage / nested_name, {
        "Parameters": {"SubnetIds": {"Type": "CommaDelimitedList"}},
        "Resources": {"Group": {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": "somewhere", "InstanceTypes": ["c5.large"], "Subnets": {"Ref": "SubnetIds"},
            "ScalingConfig": {"MinSize": 0, "DesiredSize": 0, "MaxSize": 3}}}},
        "Outputs": {"GroupName": {"Value": {"Ref": "Group"}}}})
    _write(stage / "manifest.json", {"version": "36.0.0", "artifacts": {
        "ProdNetwork": _stack_artifact("Prod-Network.template.json", "Network"),
        "ProdApp": _stack_artifact("Prod-App.template.json", "Prod-App"),
    }})
    _write(out / "manifest.json", {"version": "36.0.0", "artifacts": {
        "assembly-Prod": {"type": "cdk:cloud-assembly",
                          "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"}}}})
    plan = load_assembly(out)
    (ng,) = plan.nodegroups
    assert ng.name == "Prod-App/Nodes/Group"
    assert ng.subnets == ["Network/PrivateA", "Network/PrivateB"]
    assert (ng.min_size, ng.max_size) == (0, 3)


def test_cdk_assembly_unknown_import_and_bad_manifest(tmp_path):
    out = tmp_path / "cdk.out"
    _write(out / "ClusterStack.template.json", CLUSTER)
    _write(out / "manifest.json", {"artifacts": {"C": _stack_artifact("ClusterStack.template.json")}})
    plan = load_assembly(out)
    (ng,) = plan.nodegroups
    assert all(isinstance(s, Unknown) and "Fn::ImportValue" in s.reason for s in ng.subnets)
    _write(out / "manifest.json", {"artifacts": {"C": _stack_artifact("../outside.json")}})
    with pytest.raises(InputError, match="outside the assembly folder"):
        load_assembly(out)
    _write(out / "manifest.json", {"artifacts": {"C": _stack_artifact("missing.json")}})
    with pytest.raises(InputError, match="missing"):
        load_assembly(out)
    with pytest.raises(InputError, match="not a CDK cloud assembly"):
        load_assembly(tmp_path / "nowhere")


def test_cdk_fixture_as_an_assembly(tmp_path):
    src = _fixture("cdk", "aws-cdk-eks-v2-alpha-al2023-nodegroup",
                   "aws-cdk-eks-cluster-al2023-nodegroup-test.template.json")
    out = tmp_path / "cdk.out"
    out.mkdir()
    shutil.copy(src, out / src.name)
    _write(out / "manifest.json", {"artifacts": {"Test": _stack_artifact(src.name, "al2023")}})
    plan = load_assembly(out)
    assert len(plan.subnets) == 4 and len(plan.nodegroups) == 4
    assert all(ng.cluster == "al2023/ClusterEB0386A7" for ng in plan.nodegroups)
    assert all(s.startswith("al2023/") for ng in plan.nodegroups for s in ng.subnets)


def test_eks_defaults_are_shown_as_notes(tmp_path, capsys):
    """A node group without ScalingConfig or instance types gets EKS's defaults, and the report says so."""
    from podcap.cli import main

    tpl = tmp_path / "ng.yaml"
    tpl.write_text(
        "Resources:\n"
        "  Sub:\n    Type: AWS::EC2::Subnet\n"
        "    Properties: {CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a, VpcId: vpc-1}\n"
        "  NG:\n    Type: AWS::EKS::Nodegroup\n"
        "    Properties: {ClusterName: c, NodeRole: 'arn:aws:iam::1:role/x', Subnets: [!Ref Sub]}\n")
    assert main(["check", str(tpl), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["notes"][:2] == ["NG: no instance types and no launch template: EKS uses t3.medium",
                                "NG: no ScalingConfig: EKS uses min 1, desired 2, max 2"]
    # and where the max pods comes from: EKS writes min(3 x (6 - 1) + 2 = 17, 110) for 2 vCPUs
    assert doc["notes"][2].startswith("NG: t3.medium: max pods 17, written by EKS for a managed node group")
    # t3.medium full (15 pods): 3 ENIs x 6 = 18 addresses; max 2 nodes in the one subnet -> 36
    ng = doc["nodegroups"][0]
    assert (ng["instance_types"], ng["max_size"], ng["addresses_per_node"]) == (["t3.medium"], 2, 18)
    assert doc["subnets"][0]["at_max"] == 36


# -- fail closed: what the template does not decide is unknown, never a default ------------------------------

UNREADABLE_USER_DATA = """\
Conditions:
  Big: !Equals [!Ref 'AWS::Region', us-east-1]
Resources:
  S0: {Type: AWS::EC2::Subnet, Properties: {CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a}}
  Cl: {Type: AWS::EKS::Cluster, Properties: {ResourcesVpcConfig: {SubnetIds: [!Ref S0]}}}
  LT:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        InstanceType: m5.large
        UserData:
          Fn::Base64: !If
            - Big
            - "#!/bin/bash\\n/etc/eks/bootstrap.sh c --use-max-pods false --kubelet-extra-args '--max-pods=110'\\n"
            - "#!/bin/bash\\n/etc/eks/bootstrap.sh c --use-max-pods false --kubelet-extra-args '--max-pods=10'\\n"
  NG:
    Type: AWS::EKS::Nodegroup
    Properties: {ClusterName: !Ref Cl, Subnets: [!Ref S0], LaunchTemplate: {Id: !Ref LT},
                 ScalingConfig: {MinSize: 1, DesiredSize: 1, MaxSize: 1}}
  LT2:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        InstanceType: m5.large
        UserData: {"Fn::Base64": {"Fn::ImportValue": "shared-userdata"}}
  NG2:
    Type: AWS::EKS::Nodegroup
    Properties: {ClusterName: !Ref Cl, Subnets: [!Ref S0], LaunchTemplate: {Id: !Ref LT2},
                 ScalingConfig: {MinSize: 1, DesiredSize: 1, MaxSize: 1}}
"""


def _pc001(report: dict, resource: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == "PC001" and f["resource"] == resource]


def test_unreadable_user_data_is_unknown_max_pods(tmp_path):
    (tmp_path / "t.yaml").write_text(UNREADABLE_USER_DATA, encoding="utf-8")
    plan = load_template(str(tmp_path / "t.yaml"))
    ng, ng2 = plan.nodegroups
    assert ng.instance_types == ng2.instance_types == ["m5.large"]
    reason = unknown_reason(ng.kubelet_max_pods)
    assert reason.startswith("user data of launch template LT unreadable: ") and "condition Big" in reason
    assert ng.kubelet_max_pods.where == "Resources.LT.Properties.LaunchTemplateData.UserData"
    reason = unknown_reason(ng2.kubelet_max_pods)
    assert reason.startswith("user data of launch template LT2 unreadable: ") and "shared-userdata" in reason
    # decided, the same template gives the number
    plan = load_template(str(tmp_path / "t.yaml"), parameters={"AWS::Region": "us-east-1"})
    assert plan.nodegroups[0].kubelet_max_pods == 110
    plan = load_template(str(tmp_path / "t.yaml"), parameters={"AWS::Region": "eu-west-1"},
                         exports={"shared-userdata": "#!/bin/bash\n/etc/eks/bootstrap.sh c\n"})
    assert plan.nodegroups[0].kubelet_max_pods == 10
    assert plan.nodegroups[1].kubelet_max_pods is None  # readable, sets nothing: the AMI default is right


def test_unreadable_user_data_is_pc001_in_the_check(capsys, monkeypatch, tmp_path):
    _, report = _check_json(capsys, monkeypatch, tmp_path, UNREADABLE_USER_DATA)
    for name, lt in (("NG", "LT"), ("NG2", "LT2")):
        (f,) = _pc001(report, name)
        assert f"user data of launch template {lt} unreadable" in f["message"]
        assert f["data"]["where"] == f"Resources.{lt}.Properties.LaunchTemplateData.UserData"


def _lt_doc(lt_data: object, ng_props: dict | None = None, parameters: dict | None = None) -> dict:
    props = {"ClusterName": "c", "Subnets": ["subnet-0abc12345"], "LaunchTemplate": {"Id": {"Ref": "LT"}},
             "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 1}, **(ng_props or {})}
    doc: dict = {"Resources": {
        "LT": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": lt_data}},
        "NG": {"Type": "AWS::EKS::Nodegroup", "Properties": props}}}
    if parameters:
        doc["Parameters"] = parameters
    doc["Conditions"] = {"East": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}}
    return doc


def test_user_data_absent_or_setting_nothing_is_the_ami_default():
    for data in ({"InstanceType": "m5.large"},
                 {"InstanceType": "m5.large", "UserData": {"Fn::Base64": "#!/bin/bash\n/etc/eks/bootstrap.sh c\n"}},
                 {"InstanceType": "m5.large", "UserData": {"Fn::If": ["East", {"Fn::Base64": "x"},
                                                                      {"Ref": "AWS::NoValue"}]}}):
        plan = plan_from_template(_lt_doc(data), "t.json", parameters={"AWS::Region": "eu-west-1"})
        (ng,) = plan.nodegroups
        assert ng.kubelet_max_pods is None and plan.unresolved == [], data


def test_launch_template_instance_type_unresolvable_is_unknown():
    cases = [
        ({"InstanceType": {"Ref": "Type"}}, "parameter Type has no default"),
        ({"InstanceType": {"Fn::If": ["East", "m5.large", "c5.large"]}}, "condition East"),
        ({"InstanceType": {"Fn::ImportValue": "node-type"}}, "node-type"),
        ({"InstanceRequirements": {"VCpuCount": {"Min": 2}}}, "InstanceRequirements"),
    ]
    for data, why in cases:
        plan = plan_from_template(_lt_doc(data, parameters={"Type": {"Type": "String"}}), "t.json")
        (ng,) = plan.nodegroups
        assert isinstance(ng.instance_types, list) and len(ng.instance_types) == 1, data
        assert why in unknown_reason(ng.instance_types[0]), data
        assert not any("t3.medium" in text for _, text in plan.notes)
    # the launch template data as a whole undecided: instance type and user data unknown, no EKS default
    plan = plan_from_template(_lt_doc({"Fn::If": ["East", {"InstanceType": "m5.large"},
                                                  {"InstanceType": "c5.large"}]}), "t.json")
    (ng,) = plan.nodegroups
    assert "LaunchTemplateData of launch template LT is not known" in unknown_reason(ng.instance_types[0])
    assert "user data of launch template LT unreadable" in unknown_reason(ng.kubelet_max_pods)
    assert plan.notes == []


def test_launch_template_outside_the_template_has_unknown_max_pods():
    plan = plan_from_template(_lt_doc({"InstanceType": "m5.large"},
                                      {"LaunchTemplate": {"Id": "lt-0123456789abcdef0"}}), "t.json")
    (ng,) = plan.nodegroups
    assert "lt-0123456789abcdef0" in unknown_reason(ng.instance_types)
    assert "user data of launch template lt-0123456789abcdef0" in unknown_reason(ng.kubelet_max_pods)
    plan = plan_from_template(_lt_doc({"InstanceType": "m5.large"},
                                      {"LaunchTemplate": {"Id": {"Fn::ImportValue": "lt"}}}), "t.json")
    assert "cannot identify" in unknown_reason(plan.nodegroups[0].kubelet_max_pods)


def test_unknown_pieces_of_user_data_that_could_set_max_pods():
    def max_pods(user_data: str):
        doc = _lt_doc({"InstanceType": "m5.large", "UserData": {"Fn::Base64": {"Fn::Sub": user_data}}},
                      parameters={"P": {"Type": "String"}})
        return plan_from_template(doc, "t.json").nodegroups[0].kubelet_max_pods

    # values of named flags and keys, and bootstrap.sh's cluster name, cannot set max-pods
    assert max_pods("#!/bin/bash\n/etc/eks/bootstrap.sh ${P} --apiserver-endpoint ${P} --b64-cluster-ca ${P}\n"
                    "/opt/aws/bin/cfn-signal --stack ${AWS::StackName} --region ${AWS::Region}\n") is None
    assert max_pods("#!/bin/bash\nCLUSTER=${P}\n/etc/eks/bootstrap.sh $CLUSTER "
                    "--kubelet-extra-args '--node-labels=team=${P}'\n") is None
    assert max_pods("---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n"
                    "    name: ${P}\n    apiServerEndpoint: ${P}\n    certificateAuthority: ${P}\n") is None
    assert max_pods("#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20'\n"
                    "/opt/aws/bin/cfn-signal --stack ${P}\n") == 20
    # anywhere else they could
    for ud in ("#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '${P}'\n",
               "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--node-labels=a=b ${P}'\n",
               "#!/bin/bash\n${P}\n",
               "${P}",
               ("---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    flags:\n"
                "      - ${P}\n"),
               "#!/bin/bash\nKUBELET_EXTRA_ARGS=${P}\n/etc/eks/bootstrap.sh c\n"):
        v = max_pods(ud)
        assert "parameter P has no default" in unknown_reason(v), ud
    # set, then perhaps set again by a later unknown piece
    v = max_pods("#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=20 ${P}'\n")
    assert "set to 20, but a later part" in unknown_reason(v)


K_TEMPLATE = """\
Parameters:
  MU: {Type: Number}
Resources:
  S0: {Type: AWS::EC2::Subnet, Properties: {CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a}}
  Cl: {Type: AWS::EKS::Cluster, Properties: {ResourcesVpcConfig: {SubnetIds: [!Ref S0]}}}
  NG:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref Cl
      InstanceTypes: [m5.large]
      Subnets: [!Ref S0]
      ScalingConfig: {MinSize: 1, DesiredSize: 1, MaxSize: 6}
      UpdateConfig: {MaxUnavailable: !Ref MU}
"""


def test_update_config_from_a_parameter_without_default_is_unknown(capsys, monkeypatch, tmp_path):
    (ng,) = plan_from_template(_ng_props({"UpdateConfig": {"MaxUnavailable": {"Ref": "MU"}}}), "t.json").nodegroups
    assert "parameter MU has no default" in unknown_reason(ng.max_unavailable)
    assert ng.max_unavailable.where == "Resources.NG.Properties.UpdateConfig.MaxUnavailable"
    (ng,) = plan_from_template(_ng_props({"UpdateConfig": {"MaxUnavailablePercentage": {"Ref": "MU"}}}),
                               "t.json").nodegroups
    assert "parameter MU has no default" in unknown_reason(ng.max_unavailable_percentage)
    (ng,) = plan_from_template(_ng_props({"UpdateConfig": {"Ref": "MU"}}), "t.json").nodegroups
    assert "parameter MU" in unknown_reason(ng.max_unavailable)
    (ng,) = plan_from_template(_ng_props({"UpdateConfig": "1"}), "t.json").nodegroups
    assert unknown_reason(ng.max_unavailable) == "UpdateConfig is not a mapping"
    (ng,) = plan_from_template(_ng_props({"UpdateConfig": {"MaxUnavailable": {"Ref": "MU"}}}), "t.json",
                               parameters={"MU": "3"}).nodegroups
    assert ng.max_unavailable == 3

    _, report = _check_json(capsys, monkeypatch, tmp_path, K_TEMPLATE)
    (f,) = _pc001(report, "NG")
    assert "maxUnavailable" in f["message"] and "parameter MU has no default" in f["message"]
    assert f["data"]["where"] == "Resources.NG.Properties.UpdateConfig.MaxUnavailable"


def _ng_props(extra: dict, base: dict | None = None) -> dict:
    props = {"ClusterName": "c", "InstanceTypes": ["m5.large"], "Subnets": ["subnet-0abc12345"],
             "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 3}}
    if base is not None:
        props = base
    props = {**props, **extra}
    return {"Parameters": {"MU": {"Type": "Number"}, "P": {"Type": "String"}},
            "Conditions": {"East": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
            "Resources": {"NG": {"Type": "AWS::EKS::Nodegroup", "Properties": props}}}


def test_node_group_values_the_template_does_not_decide_are_unknown():
    undecided = {"Fn::If": ["East", "a", "b"]}
    # scaling sizes
    (ng,) = plan_from_template(_ng_props({"ScalingConfig": {"MinSize": {"Ref": "P"}, "DesiredSize": 2,
                                                            "MaxSize": {"Fn::If": ["East", 3, 4]}}}),
                               "t.json").nodegroups
    assert "parameter P" in unknown_reason(ng.min_size) and ng.desired_size == 2
    assert "condition East" in unknown_reason(ng.max_size)
    (ng,) = plan_from_template(_ng_props({"ScalingConfig": {"Fn::ImportValue": "sizes"}}), "t.json").nodegroups
    assert all(isinstance(v, Unknown) for v in (ng.min_size, ng.desired_size, ng.max_size))
    # instance types: an undecided entry stays in the list, unknown
    (ng,) = plan_from_template(_ng_props({"InstanceTypes": ["m5.large", undecided, {"Ref": "P"}]}),
                               "t.json").nodegroups
    assert ng.instance_types[0] == "m5.large"
    assert "condition East" in unknown_reason(ng.instance_types[1])
    assert "parameter P" in unknown_reason(ng.instance_types[2])
    (ng,) = plan_from_template(_ng_props({"InstanceTypes": {"Fn::ImportValue": "types"}}), "t.json").nodegroups
    assert "types" in unknown_reason(ng.instance_types)
    # subnets: likewise
    (ng,) = plan_from_template(_ng_props({"Subnets": ["subnet-0abc12345", {"Fn::If": ["East", "subnet-0abc12346",
                                                                                    "subnet-0abc12347"]}]}),
                               "t.json").nodegroups
    assert ng.subnets[0] == "subnet-0abc12345" and "condition East" in unknown_reason(ng.subnets[1])
    # empty lists are not "no subnets / no types": unknown
    (ng,) = plan_from_template(_ng_props({"Subnets": [], "InstanceTypes": []}), "t.json").nodegroups
    assert unknown_reason(ng.subnets) == "Subnets is an empty list"
    assert unknown_reason(ng.instance_types) == "InstanceTypes is an empty list"
    # AMI and capacity type
    (ng,) = plan_from_template(_ng_props({"AmiType": {"Ref": "P"}, "CapacityType": undecided}),
                               "t.json").nodegroups
    assert "parameter P" in unknown_reason(ng.ami_type) and "condition East" in unknown_reason(ng.capacity_type)
    # the whole Properties undecided: everything unknown, no EKS default
    doc = _ng_props({})
    doc["Resources"]["NG"]["Properties"] = {"Fn::If": ["East", doc["Resources"]["NG"]["Properties"],
                                                       doc["Resources"]["NG"]["Properties"] | {"Subnets": []}]}
    plan = plan_from_template(doc, "t.json")
    (ng,) = plan.nodegroups
    for v in (ng.instance_types, ng.subnets, ng.min_size, ng.desired_size, ng.max_size, ng.max_unavailable,
              ng.ami_type):
        assert "properties of NG are not known" in unknown_reason(v)
    assert plan.notes == []


def test_node_group_undecided_values_are_pc001_in_the_check(capsys, monkeypatch, tmp_path):
    template = K_TEMPLATE.replace("UpdateConfig: {MaxUnavailable: !Ref MU}",
                                  "AmiType: AL2_x86_64").replace(
        "InstanceTypes: [m5.large]", "InstanceTypes: [m5.large, !Ref MU]").replace(
        "MaxSize: 6", "MaxSize: !ImportValue max-nodes")
    _, report = _check_json(capsys, monkeypatch, tmp_path, template)
    messages = [f["message"] for f in _pc001(report, "NG")]
    assert any("an instance type" in m and "parameter MU" in m for m in messages), messages
    assert any("max size" in m and "max-nodes" in m for m in messages), messages


def test_sizes_are_kept_as_the_template_gives_them():
    # the source does not correct sizes; the analysis judges them
    for sizes in ({"MinSize": 5, "DesiredSize": 9, "MaxSize": 3}, {"MinSize": -1, "DesiredSize": 0, "MaxSize": 2},
                  {"MinSize": "5", "DesiredSize": "9", "MaxSize": "3"}):
        (ng,) = plan_from_template(_ng_props({"ScalingConfig": sizes}), "t.json").nodegroups
        assert (ng.min_size, ng.desired_size, ng.max_size) == tuple(int(sizes[k]) for k in
                                                                    ("MinSize", "DesiredSize", "MaxSize"))
    (ng,) = plan_from_template(_ng_props({"UpdateConfig": {"MaxUnavailable": -2}}), "t.json").nodegroups
    assert ng.max_unavailable == -2


ASG_TAGS = [{"Key": "kubernetes.io/cluster/c", "Value": "owned", "PropagateAtLaunch": True}]


def _asg_doc(lt_data: object, asg_extra: dict | None = None) -> dict:
    props = {"MinSize": 1, "MaxSize": 3, "VPCZoneIdentifier": ["subnet-0123456789abcdef0"],
             "LaunchTemplate": {"LaunchTemplateId": {"Ref": "LT"}, "Version": "1"}, **(asg_extra or {})}
    return {"Conditions": {"East": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
            "Resources": {"LT": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": lt_data}},
                          "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": props}}}


def test_self_managed_nodes_with_unreadable_user_data_are_unknown():
    lt = {"InstanceType": "m5.large", "UserData": {"Fn::Base64": {"Fn::ImportValue": "node-user-data"}}}
    # tagged as EKS nodes: the user data's max-pods is unknown
    plan = plan_from_template(_asg_doc(lt, {"Tags": ASG_TAGS}), "t.json")
    (ng,) = plan.nodegroups
    assert ng.self_managed and ng.instance_types == ["m5.large"]
    assert "user data of launch template LT unreadable" in unknown_reason(ng.kubelet_max_pods)
    assert plan.unresolved == []
    # nothing else says whether these are EKS nodes: checked as nodes, and said so
    plan = plan_from_template(_asg_doc(lt), "t.json")
    (ng,) = plan.nodegroups
    assert "node-user-data" in unknown_reason(ng.kubelet_max_pods)
    ((rid, unk),) = plan.unresolved
    assert rid == "Asg" and "cannot tell whether this Auto Scaling group runs EKS nodes" in unk.reason
    # a launch template outside the template, likewise
    plan = plan_from_template(_asg_doc(lt, {"LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0",
                                                               "Version": "1"}}), "t.json")
    (ng,) = plan.nodegroups
    assert "lt-0123456789abcdef0" in unknown_reason(ng.instance_types)
    assert "lt-0123456789abcdef0" in unknown_reason(ng.kubelet_max_pods)
    # readable user data that does not bootstrap EKS: not nodes
    plan = plan_from_template(_asg_doc({"InstanceType": "m5.large", "UserData": {"Fn::Base64": "#!/bin/bash\n"}}),
                              "t.json")
    assert plan.nodegroups == [] and plan.unresolved == []


def test_self_managed_sizes_and_overrides_undecided_are_unknown():
    lt = {"InstanceType": "m5.large", "UserData": {"Fn::Base64": "#!/bin/bash\n/etc/eks/bootstrap.sh c\n"}}
    plan = plan_from_template(_asg_doc(lt, {"MinSize": {"Fn::If": ["East", 1, 2]},
                                            "DesiredCapacity": {"Fn::ImportValue": "n"}}), "t.json")
    (ng,) = plan.nodegroups
    assert "condition East" in unknown_reason(ng.min_size) and "n" in unknown_reason(ng.desired_size)
    assert ng.max_size == 3 and ng.kubelet_max_pods is None
    mip = {"LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": {"Ref": "LT"}, "Version": "1"},
                              "Overrides": [{"InstanceType": "m5.large"},
                                            {"InstanceType": {"Fn::If": ["East", "c5.large", "r5.large"]}},
                                            {"WeightedCapacity": "2"}]}}
    asg = _asg_doc(lt, {"MixedInstancesPolicy": mip})
    del asg["Resources"]["Asg"]["Properties"]["LaunchTemplate"]
    (ng,) = plan_from_template(asg, "t.json").nodegroups
    assert ng.instance_types[0] == "m5.large"
    assert "condition East" in unknown_reason(ng.instance_types[1])
    assert unknown_reason(ng.instance_types[2]) == "an override names no instance type"
    assert (plan_from_template(_asg_doc(lt, {"VPCZoneIdentifier": []}), "t.json").nodegroups[0].subnets
            == Unknown("VPCZoneIdentifier is an empty list", "Resources.Asg.Properties.VPCZoneIdentifier"))


def test_cni_findings_point_at_the_addon_and_pod_subnets_are_labelled(tmp_path, capsys):
    from podcap.cli import main

    tpl = tmp_path / "cni.yaml"
    tpl.write_text(
        "Resources:\n"
        "  Sub: {Type: AWS::EC2::Subnet, Properties: {CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a, VpcId: v}}\n"
        "  Pods: {Type: AWS::EC2::Subnet, Properties: {CidrBlock: 100.64.0.0/24, AvailabilityZone: us-east-1a, VpcId: v}}\n"
        "  Cl: {Type: AWS::EKS::Cluster, Properties: {Name: c, RoleArn: x, ResourcesVpcConfig: {SubnetIds: [!Ref Sub]}}}\n"
        "  Cni:\n    Type: AWS::EKS::Addon\n    Properties:\n      AddonName: vpc-cni\n      ClusterName: !Ref Cl\n"
        "      ConfigurationValues: !Sub '{\"env\": {\"WARM_IP_TARGET\": \"five\", "
        "\"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG\": \"true\"}, \"eniConfig\": {\"create\": true, "
        "\"subnets\": {\"us-east-1a\": {\"id\": \"${Pods}\"}}}}'\n"
        "  NG: {Type: AWS::EKS::Nodegroup, Properties: {ClusterName: !Ref Cl, NodeRole: x, Subnets: [!Ref Sub], "
        "InstanceTypes: [m5.large], ScalingConfig: {MinSize: 1, DesiredSize: 1, MaxSize: 2}}}\n")
    main(["check", str(tpl), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    pc003 = [f for f in doc["findings"] if f["rule_id"] == "PC003"]
    assert [(f["resource"], f["resource_type"]) for f in pc003] == [("Cni", "addon")]
    assert {s["subnet"]: s["role"] for s in doc["subnets"]} == {"Sub": "both", "Pods": "pods"}
