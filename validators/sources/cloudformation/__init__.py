"""A CloudFormation template (JSON or YAML, short-form tags too) -> Plan.

Each resource type podcap reads has one reader in :data:`READERS` (in the order they run: what others
refer to comes first); the readers live in modules by resource family:

* :mod:`.network`: ``AWS::EC2::VPC`` / ``AWS::EC2::VPCCidrBlock`` -> :class:`Vpc`; ``AWS::EC2::Subnet`` /
  ``AWS::EC2::SubnetCidrBlock`` / ``AWS::EC2::SubnetCidrReservation`` -> :class:`Subnet`
* :mod:`.eks`: ``AWS::EKS::Cluster`` and ``AWSQS::EKS::Cluster`` -> :class:`Cluster` (EKS Auto Mode from
  ``ComputeConfig``); ``AWS::EKS::Addon`` ``vpc-cni`` -> its ``cni_env`` and ``eni_configs``;
  ``AWS::EKS::Nodegroup`` -> :class:`NodeGroup`; ``AWS::EKS::FargateProfile`` -> :class:`FargateProfile`
* :mod:`.compute`: launch templates and configurations; self-managed ``AWS::AutoScaling::AutoScalingGroup``
  nodes -> :class:`NodeGroup`, with instance types and kubelet max-pods from their launch template
* :mod:`.cdk_custom`: the CDK ``aws-eks`` construct's ``Custom::AWSCDK-EKS-Cluster`` / ``-FargateProfile`` /
  ``-KubernetesResource`` / ``-KubernetesPatch``, and the Quick Start's ``AWSQS::Kubernetes::Resource``
* :mod:`.template`: the file, parameters, conditions, ``Fn::ForEach``, podcap Metadata, nested stacks
  (``AWS::CloudFormation::Stack`` whose template file sits beside this one) and the builder

Any other EKS resource type that could add pod networking (a third-party ``*::EKS::*`` type, a CDK
``Custom::AWSCDK-EKS-*`` podcap does not know) is reported as unresolved (PC001), never passed over.

Values go through :class:`~podcap.sources.intrinsics.Resolver`: what the template does not decide is an
:class:`Unknown`. Ids are logical ids (``Ref`` to a subnet is its logical id); a subnet referenced but not
defined (``subnet-0abc…``, a parameter value) becomes a ``Subnet(defined_in_plan=False)`` with unknown CIDR
and AZ, so the rules fail closed. EKS defaults are applied, and recorded as notes, where the API documents
them: no instance type anywhere -> :func:`podcap.sources._common.default_instance_type`; no
``ScalingConfig`` -> min 1, desired 2, max 2. A value that is given but undecided (a parameter without a
default, an undecidable condition, an import) is Unknown, never the default.

Suppressions: ``Metadata: {podcap: {suppress: [{id: PC201, reason: "…", expires: 2027-01-31}]}}`` on any
resource. One without a reason of at least 10 characters is ignored, and that is reported as unresolved.

Demand: ``Metadata: {podcap: {max_nodes: N, pods: N, pods_per_node: N, sgp_pods_per_node: N}}``:
``pods_per_node`` / ``sgp_pods_per_node`` on a node group (an ``AWS::EKS::Nodegroup``, an Auto Scaling group
read as EKS nodes) or an Auto Mode cluster; ``max_nodes`` bounds a node group whose max size the template
leaves undecided, or an Auto Mode cluster's pools; ``pods`` is a Fargate profile's demand. A value that is
not a whole number (of at least 1; 0 for ``sgp_pods_per_node``), a key on a resource it does not apply to,
and any other key under ``podcap`` are ignored and reported as unresolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from podcap.model.records import record
from podcap.sources._common import EKS_DEFAULT_INSTANCE_TYPE
from podcap.sources.cloudformation import cdk_custom, compute, eks, network
from podcap.sources.cloudformation.base import EKS_DEFAULT_SCALING, Pending, add_note
from podcap.sources.cloudformation.template import (
    StackBuilder,
    cfn_loader,
    finalize,
    json_resource_lines,
    load_template,
    load_templates,
    plan_from_template,
    read_template,
)
from podcap.sources.objects.cni_config import parse_cni_configuration

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any


def __getattr__(name: str) -> Any:
    """``kubelet_max_pods_from_user_data``, re-exported on first use: its module (shlex, base64, every AMI
    family's reader) is not imported for a template without user data."""
    if name == "kubelet_max_pods_from_user_data":
        from podcap.sources.objects.user_data import kubelet_max_pods_from_user_data

        return kubelet_max_pods_from_user_data
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@record(frozen=True)
class Reader:
    """Reads one resource of a type into the plan. ``reports_condition``: the builder reports an
    undecidable ``Condition`` of the resource first (readers that may skip a resource do it themselves)."""

    read: Callable[[StackBuilder, str, dict], Any]
    reports_condition: bool = True


def _nested(b: StackBuilder, lid: str, res: dict) -> None:
    b.nested_stack(lid)


# resource type -> reader, in the order they run (indexes and network first, then what refers to them)
READERS: dict[str, Reader] = {
    "AWS::EC2::LaunchTemplate": Reader(compute.index_launch_template),
    "AWS::AutoScaling::LaunchConfiguration": Reader(compute.index_launch_configuration, False),
    "AWS::EC2::VPC": Reader(network.read_vpc),
    "AWS::EC2::VPCCidrBlock": Reader(network.read_vpc_cidr),
    "AWS::EC2::Subnet": Reader(network.read_subnet),
    "AWS::EC2::SubnetCidrBlock": Reader(network.read_subnet_cidr),
    "AWS::EC2::SubnetCidrReservation": Reader(network.read_reservation),
    "AWS::EC2::InternetGateway": Reader(network.index_internet_gateway, False),
    "AWS::EC2::Route": Reader(network.read_route, False),
    "AWS::EC2::SubnetRouteTableAssociation": Reader(network.read_route_association, False),
    "AWS::EKS::Cluster": Reader(eks.read_cluster),
    "AWSQS::EKS::Cluster": Reader(eks.read_cluster),
    "Custom::AWSCDK-EKS-Cluster": Reader(cdk_custom.read_cdk_cluster),
    "AWS::EKS::Addon": Reader(eks.read_addon, False),
    "AWS::EKS::Nodegroup": Reader(eks.read_nodegroup),
    "AWS::EKS::FargateProfile": Reader(eks.read_fargate_profile),
    "Custom::AWSCDK-EKS-FargateProfile": Reader(cdk_custom.read_cdk_fargate_profile),
    "AWS::AutoScaling::AutoScalingGroup": Reader(compute.read_asg, False),
    "Custom::AWSCDK-EKS-KubernetesResource": Reader(cdk_custom.read_kubernetes_resource, False),
    "Custom::AWSCDK-EKS-KubernetesPatch": Reader(cdk_custom.read_kubernetes_patch, False),
    "Custom::AWSCDK-EKS-HelmChart": Reader(cdk_custom.read_cdk_helm_chart, False),
    "AWSQS::Kubernetes::Resource": Reader(cdk_custom.read_quickstart_kubernetes_resource, False),
    "AWSQS::Kubernetes::Helm": Reader(cdk_custom.read_quickstart_helm, False),
    "AWS::CloudFormation::Stack": Reader(_nested, False),
    **{t: Reader(cdk_custom.ignore, False) for t in cdk_custom.IGNORED},
}

# EKS resource types podcap does not read and that could add pod networking: a third-party ``*::EKS::*``
# registry type, any CDK ``Custom::AWSCDK-EKS-*`` or Quick Start ``AWSQS::Kubernetes::*`` not in READERS
UNMODELLED_EKS = re.compile(r"^(?!AWS::)[A-Za-z0-9]+::EKS::|^Custom::AWSCDK-EKS-|^AWSQS::Kubernetes::")

__all__ = [
    "EKS_DEFAULT_INSTANCE_TYPE",
    "EKS_DEFAULT_SCALING",
    "READERS",
    "UNMODELLED_EKS",
    "Pending",
    "Reader",
    "StackBuilder",
    "add_note",
    "cfn_loader",
    "finalize",
    "json_resource_lines",
    "kubelet_max_pods_from_user_data",
    "load_template",
    "load_templates",
    "parse_cni_configuration",
    "plan_from_template",
    "read_template",
]
