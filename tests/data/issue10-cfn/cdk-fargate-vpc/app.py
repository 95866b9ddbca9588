"""A CDK app on the aws-eks L2 construct written for podcap's issue-10 hand-computed tests: a VPC of two public
/24 and two private /24 subnets, ``aws_eks.Cluster`` without default capacity, a Fargate profile given the VPC
(so the construct passes the VPC's private subnets), a managed node group with a stated demand of 10 pods per
node, and a strategic-merge ``KubernetesPatch`` of daemonset/aws-node setting WARM_IP_TARGET=2.

Synthesize: ``CDK_OUTDIR=assembly python app.py`` (needs aws-cdk-lib and aws-cdk.lambda-layer-kubectl-v33).
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk.lambda_layer_kubectl_v33 import KubectlV33Layer

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", os.path.join(os.path.dirname(__file__), "assembly")))
stack = cdk.Stack(app, "Issue10Fargate", env=cdk.Environment(account="111111111111", region="us-east-1"))

vpc = ec2.Vpc(stack, "Vpc", ip_addresses=ec2.IpAddresses.cidr("10.1.0.0/16"), max_azs=2, nat_gateways=1,
              subnet_configuration=[
                  ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                  ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                                          cidr_mask=24),
              ])
cluster = eks.Cluster(stack, "Cluster", version=eks.KubernetesVersion.V1_33, vpc=vpc,
                      kubectl_layer=KubectlV33Layer(stack, "Kubectl"), default_capacity=0)
ng = cluster.add_nodegroup_capacity("Workers", instance_types=[ec2.InstanceType("m5.large")],
                                    min_size=1, desired_size=2, max_size=10)
ng.node.default_child.add_metadata("podcap", {"pods_per_node": 10})
profile = eks.FargateProfile(stack, "Jobs", cluster=cluster, vpc=vpc,
                             selectors=[eks.Selector(namespace="jobs")])
profile.node.default_child.node.default_child.add_metadata("podcap", {"pods": 300})
eks.KubernetesPatch(stack, "AwsNodeWarmIp", cluster=cluster, resource_name="daemonset/aws-node",
                    resource_namespace="kube-system",
                    apply_patch={"spec": {"template": {"spec": {"containers": [
                        {"name": "aws-node", "env": [{"name": "WARM_IP_TARGET", "value": "2"}]}]}}}},
                    restore_patch={"spec": {"template": {"spec": {"containers": [
                        {"name": "aws-node", "env": [{"name": "WARM_IP_TARGET", "$patch": "delete"}]}]}}}})
app.synth()
