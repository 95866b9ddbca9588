"""A Terraform plan (``terraform show -json``, format 0.x and 1.x) -> Plan.

Each resource type podcap reads has one reader in ``READERS``, in reading order (a reader may rely on the
types listed before its own: subnets after VPCs, node groups after launch templates, clusters and the
vpc-cni add-on). Adding the next consumer is a new function in the module of its family and one line here.

* :mod:`.plan`: the document, values, references, modules, count / for_each, creation order
* :mod:`.network`: ``aws_vpc``, ``aws_vpc_ipv4_cidr_block_association``, ``aws_subnet``,
  ``data.aws_subnet`` (an existing subnet the data source read), ``aws_ec2_subnet_cidr_reservation``
* :mod:`.eks`: ``aws_eks_cluster`` (Auto Mode), ``aws_eks_addon`` ``vpc-cni``, ``aws_eks_node_group``,
  ``aws_eks_fargate_profile``
* :mod:`.compute`: ``aws_launch_template``, self-managed ``aws_autoscaling_group`` nodes
* :mod:`.kubernetes`: ``kubernetes_manifest``, ``kubectl_manifest``, ``helm_release`` of aws-vpc-cni

Any other ``aws_eks_*`` type in the plan is an unresolved entry (PC001) naming it: podcap does not know
what it adds to the cluster's networking.
"""
from __future__ import annotations

from podcap.sources.terraform import compute, eks, kubernetes, network
from podcap.sources.terraform.plan import (
    AFTER_APPLY,
    EXISTING_SUBNET,
    KIND,
    Builder,
    Finisher,
    Reader,
    _parse_address,
    _specific_references,
    is_terraform_plan,
    load_terraform_plan,
    plan_from_terraform,
)

READERS: dict[str, Reader] = {
    "aws_vpc": network.read_vpc,
    "aws_vpc_ipv4_cidr_block_association": network.read_vpc_cidr,
    "aws_subnet": network.read_subnet,
    "data.aws_subnet": network.read_data_subnet,  # a ``data.`` key reads the data sources of that type
    "aws_ec2_subnet_cidr_reservation": network.read_reservation,
    "aws_launch_template": compute.index_launch_template,
    "aws_eks_cluster": eks.read_cluster,
    "aws_eks_addon": eks.read_addon,
    "helm_release": kubernetes.read_helm_release,
    # read before the node groups: an aws-node DaemonSet among them orders them as an add-on does
    "kubernetes_manifest": kubernetes.read_kubernetes_manifest,
    "kubectl_manifest": kubernetes.read_kubectl_manifest,
    "aws_eks_node_group": eks.read_nodegroup,
    "aws_autoscaling_group": compute.read_asg,
    "aws_eks_fargate_profile": eks.read_fargate_profile,
    "aws_eks_access_entry": eks.takes_no_addresses,
    "aws_eks_access_policy_association": eks.takes_no_addresses,
    "aws_eks_identity_provider_config": eks.takes_no_addresses,
    "aws_eks_pod_identity_association": eks.takes_no_addresses,
}

# (aws_launch_configuration is read with the Auto Scaling group that names it)

# run once every resource is read
FINISHERS: tuple[Finisher, ...] = (network.add_existing_subnets, network.mark_public_subnets)

__all__ = [
    "AFTER_APPLY",
    "EXISTING_SUBNET",
    "FINISHERS",
    "KIND",
    "READERS",
    "Builder",
    "_parse_address",
    "_specific_references",
    "is_terraform_plan",
    "load_terraform_plan",
    "plan_from_terraform",
]
