"""The aws-vpc-cni chart installed with the CDK's ``HelmChart`` / ``cluster.addHelmChart``
(``Custom::AWSCDK-EKS-HelmChart``, aws-cdk-lib aws-eks/lib/helm-chart.ts: ``Chart``, and ``Values`` as one
JSON string), and an aws-node ``KubernetesPatch``: both set the CNI's env as the vpc-cni add-on's
configuration does, and EKS writes a managed node group's max pods from the settings in force when the
group is created, so a group not ordered after them is PC105 as with an ``AWS::EKS::Addon``.

Templates are built here in the shapes the CDK synthesizes (the properties helm-chart.ts and
kubernetes-patch.ts write). Hand-computed, m5.large (3 ENIs x 10 IPv4 addresses, 2 vCPUs), two /24 cluster
subnets (251 usable each), a managed group of max 4 nodes over them (2 per subnet), the control plane's up
to 4 ENIs over 2 subnets: ceil(4 / 2) = 2 addresses in each:

* defaults: EKS writes 3 x (10 - 1) + 2 = 29; 27 address-taking pods fill the 3 ENIs: 30 addresses per
  node; 2 x 30 + 2 = 62 per subnet.
* prefix delegation: EKS's figure 3 x 9 x 16 + 2 = 434, capped at 110 (<= 30 vCPUs); 108 pods; ipamd stops
  adding prefixes once the node holds max pods' addresses: 7 /28 prefixes = 112 >= 110, on the primary ENI
  (9 prefix slots): 7 x 16 + 1 = 113 per node; 2 x 113 + 2 = 228 per subnet.
* self-managed nodes with ``--max-pods=110`` in user data and the defaults: 110 > 29 network max pods:
  PC102. With the settings unreadable, prefix delegation could give 434: no PC102, the PC001 says why.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

PD = json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true"}})
UNREADABLE = {"Fn::Join": ["", ['{"env":{"ENABLE_PREFIX_DELEGATION":"', {"Ref": "AWS::AccountId"}, '"}}']]}
USER_DATA = "#!/bin/bash\n/etc/eks/bootstrap.sh c --kubelet-extra-args '--max-pods=110'\n"


def template(cni: dict | None, *, ordered: bool = True, self_managed: bool = False) -> dict:
    r: dict = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24",
                                                            "AvailabilityZone": "us-east-1a"}},
        "SubB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24",
                                                            "AvailabilityZone": "us-east-1b"}},
        "Cluster": {"Type": "Custom::AWSCDK-EKS-Cluster", "Properties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
            "Config": {"name": "c", "version": "1.31", "roleArn": "arn:aws:iam::123456789012:role/eks",
                       "resourcesVpcConfig": {"subnetIds": [{"Ref": "SubA"}, {"Ref": "SubB"}]}}}},
    }
    if cni is not None:
        r["Cni"] = cni
    if self_managed:
        r["Lt"] = {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "InstanceType": "m5.large", "ImageId": "ami-0123456789abcdef0", "UserData": {"Fn::Base64": USER_DATA}}}}
        r["Asg"] = {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "MinSize": "1", "MaxSize": "3", "VPCZoneIdentifier": [{"Ref": "SubA"}],
            "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"},
                               "Version": {"Fn::GetAtt": ["Lt", "LatestVersionNumber"]}},
            "Tags": [{"Key": "kubernetes.io/cluster/c", "Value": "owned", "PropagateAtLaunch": True}]}}
    else:
        r["Nodes"] = {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": "arn:aws:iam::123456789012:role/node",
            "Subnets": [{"Ref": "SubA"}, {"Ref": "SubB"}], "InstanceTypes": ["m5.large"],
            "AmiType": "AL2023_x86_64_STANDARD", "ScalingConfig": {"MinSize": 1, "DesiredSize": 2, "MaxSize": 4}}}
        if ordered and cni is not None:
            r["Nodes"]["DependsOn"] = ["Cni"]
    return {"Resources": r}


def chart(values=None, name: str = "aws-vpc-cni") -> dict:
    props = {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:kubectl",
             "ClusterName": {"Ref": "Cluster"}, "RoleArn": "arn:aws:iam::123456789012:role/kubectl",
             "Release": "vpccni", "Chart": name, "Namespace": "kube-system",
             "Repository": "https://aws.github.io/eks-charts"}
    if values is not None:
        props["Values"] = values
    return {"Type": "Custom::AWSCDK-EKS-HelmChart", "Properties": props}


def patch(env: dict) -> dict:
    body = {"spec": {"template": {"spec": {"containers": [
        {"name": "aws-node", "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}
    return {"Type": "Custom::AWSCDK-EKS-KubernetesPatch", "Properties": {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:kubectl",
        "ResourceName": "daemonset/aws-node", "ResourceNamespace": "kube-system",
        "ApplyPatchJson": json.dumps(body), "RestorePatchJson": "{}", "ClusterName": {"Ref": "Cluster"},
        "RoleArn": "arn:aws:iam::123456789012:role/kubectl", "PatchType": "strategic"}}


def check(tmp_path, doc: dict) -> tuple[int, dict]:
    path = tmp_path / "stack.template.json"
    path.write_text(json.dumps(doc))
    got = cli(["check", str(path), "--format", "json"]).assert_promise()
    assert got.code in (0, 1), got.err
    return got.code, json.loads(got.out)


def figures(report: dict) -> tuple:
    (ng,) = report["nodegroups"]
    return ng["max_pods"], ng["pods_per_node"], ng["addresses_per_node"], \
        sorted(s["at_max"] for s in report["subnets"])


def rules(report: dict) -> set[str]:
    return {f["rule_id"] for f in report["findings"]}


def test_chart_values_turn_on_prefix_delegation(tmp_path):
    _, report = check(tmp_path, template(chart(PD)))
    assert figures(report) == (110, 108, 113, [228, 228])
    assert "PC105" not in rules(report) and "PC001" not in rules(report)


def test_chart_without_values_runs_the_defaults(tmp_path):
    code, report = check(tmp_path, template(chart()))
    assert figures(report) == (29, 27, 30, [62, 62])
    assert code == 0 and report["findings"] == []


def test_group_not_ordered_after_the_chart_is_pc105(tmp_path):
    _, report = check(tmp_path, template(chart(PD), ordered=False))
    (pc105,) = [f for f in report["findings"] if f["rule_id"] == "PC105"]
    assert "110 if the add-on is configured first" in pc105["message"] and "29" in pc105["message"]


def test_group_not_ordered_after_an_aws_node_patch_is_pc105(tmp_path):
    _, before = check(tmp_path, template(patch({"ENABLE_PREFIX_DELEGATION": "true"}), ordered=False))
    assert "PC105" in rules(before)
    _, after = check(tmp_path, template(patch({"ENABLE_PREFIX_DELEGATION": "true"})))
    assert "PC105" not in rules(after) and figures(after) == (110, 108, 113, [228, 228])


def test_other_charts_are_not_read_and_not_flagged(tmp_path):
    code, report = check(tmp_path, template(chart(json.dumps({"clusterName": "c"}),
                                                  name="aws-load-balancer-controller")))
    assert code == 0 and report["findings"] == [] and figures(report) == (29, 27, 30, [62, 62])


def test_unreadable_chart_values_are_pc001_and_no_guessed_pc102(tmp_path):
    code, report = check(tmp_path, template(chart(), self_managed=True))
    assert code == 1 and "PC102" in rules(report)  # the defaults are known: 110 > 29
    code, report = check(tmp_path, template(chart(UNREADABLE), self_managed=True))
    assert code == 0 and rules(report) == {"PC001"}
    assert any("ENABLE_PREFIX_DELEGATION not known" in f["message"] for f in report["findings"])
