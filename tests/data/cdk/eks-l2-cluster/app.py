"""A CDK app on the aws-eks L2 construct (``aws_cdk.aws_eks.Cluster``), as most EKS CDK apps are written:
default capacity, a managed node group, ``add_auto_scaling_group_capacity`` (bootstrap user data), a
Fargate profile, an ENIConfig manifest and an aws-node environment patch.

Synthesize: ``python app.py`` (writes ./assembly, a cdk.out; needs aws-cdk-lib and aws-cdk.lambda-layer-kubectl-v33).
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk.lambda_layer_kubectl_v33 import KubectlV33Layer

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", os.path.join(os.path.dirname(__file__), "assembly")))
stack = cdk.Stack(app, "EksL2Cluster", env=cdk.Environment(account="111111111111", region="us-east-1"))

vpc = ec2.Vpc(stack, "Vpc", ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"), max_azs=2, nat_gateways=1,
              subnet_configuration=[
                  ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                  ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                                          cidr_mask=22),
              ])
cluster = eks.Cluster(stack, "Cluster", version=eks.KubernetesVersion.V1_33, vpc=vpc,
                      kubectl_layer=KubectlV33Layer(stack, "Kubectl"),
                      default_capacity=2, default_capacity_instance=ec2.InstanceType("m5.large"))
cluster.add_nodegroup_capacity("Workers", instance_types=[ec2.InstanceType("m5.xlarge")],
                               min_size=1, desired_size=2, max_size=6)
cluster.add_auto_scaling_group_capacity("SelfManaged", instance_type=ec2.InstanceType("c5.large"),
                                        min_capacity=1, max_capacity=3,
                                        bootstrap_options=eks.BootstrapOptions(
                                            kubelet_extra_args="--max-pods=20"))
profile = cluster.add_fargate_profile("Batch", selectors=[eks.Selector(namespace="batch")])
profile.node.default_child.node.default_child.add_metadata("podcap", {"pods": 40})
cluster.add_manifest("EniConfigA", {
    "apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
    "metadata": {"name": "us-east-1a"},
    "spec": {"subnet": vpc.private_subnets[0].subnet_id},
})
eks.KubernetesPatch(stack, "AwsNodeEnv", cluster=cluster, resource_name="daemonset/aws-node",
                    resource_namespace="kube-system",
                    apply_patch={"spec": {"template": {"spec": {"containers": [
                        {"name": "aws-node", "env": [{"name": "WARM_IP_TARGET", "value": "5"},
                                                     {"name": "MINIMUM_IP_TARGET", "value": "10"}]}]}}}},
                    restore_patch={"spec": {"template": {"spec": {"containers": [
                        {"name": "aws-node", "env": [{"name": "WARM_IP_TARGET", "$patch": "delete"},
                                                     {"name": "MINIMUM_IP_TARGET", "$patch": "delete"}]}]}}}})
app.synth()
