"""A CDK app on aws_cdk.aws_eks_v2 (native AWS::EKS::Cluster): an EKS Auto Mode cluster (the construct's
default compute) with a Fargate profile whose pods run in two /28 private subnets.

Synthesize: ``python app.py`` (writes ./assembly, a cdk.out; needs aws-cdk-lib only).
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", os.path.join(os.path.dirname(__file__), "assembly")))
stack = cdk.Stack(app, "AutoModeFargate", env=cdk.Environment(account="111111111111", region="us-east-1"))

vpc = ec2.Vpc(stack, "Vpc", ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/24"), max_azs=2, nat_gateways=1,
              subnet_configuration=[
                  ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=26),
                  ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                                          cidr_mask=28),
              ])
cluster = eks.Cluster(stack, "Cluster", version=eks.KubernetesVersion.V1_33, vpc=vpc)
profile = cluster.add_fargate_profile("Jobs", selectors=[eks.Selector(namespace="jobs")], vpc=vpc,
                                      subnet_selection=ec2.SubnetSelection(
                                          subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS))
profile.node.default_child.add_metadata("podcap", {"pods": 20})
cluster.node.default_child.add_metadata("podcap", {"max_nodes": 2})
app.synth()
