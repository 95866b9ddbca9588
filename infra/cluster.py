"""PodcapCluster: an EKS cluster of L1 resources (CfnCluster, CfnAddon, CfnNodegroup, CfnLaunchTemplate).

Why L1: ``aws_eks.Cluster`` brings a kubectl Lambda layer and custom resources (assets, a provider
framework, slow synth); ``aws_eks_v2`` defaults to Auto Mode, where the VPC CNI is not the add-on podcap
models. The L1 resources say exactly what CloudFormation will create, and nothing needs the network at
synth.

Order: the ``vpc-cni`` add-on (with the configuration from :class:`~podcap.cdk.cni.CniSettings`) is created
before every node group (``DependsOn``), so the first node already starts with the intended env; kubelet
``maxPods`` is set through a launch template when the CNI settings make the EKS AMIs' default wrong.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Aws, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from constructs import Construct
from podcap import limits as _limits
from podcap.cdk.cni import CniSettings, configuration_json
from podcap.cdk.network import PodcapNetwork
from podcap.engine.maxpods import max_pods as _max_pods

DEFAULT_AMI_TYPE = "AL2023_x86_64_STANDARD"
_ID_SAFE = re.compile(r"[^A-Za-z0-9]")
_MIME_BOUNDARY = "PODCAP"


@dataclass(frozen=True)
class NodeGroupSpec:
    """A managed node group. ``subnets`` are subnet names of the :class:`PodcapNetwork`.

    ``pods_per_node`` is the demand: address-taking pods per node (None: nodes full). It is recorded on the
    node group's template Metadata (``podcap.pods_per_node``) for the check.

    ``kubelet_max_pods``: None sets max-pods only when the CNI settings call for it (prefix delegation,
    custom networking, security groups for pods, MAX_ENI) to AWS's recommended value for the smallest
    instance type; a number always sets that number.
    """

    name: str
    instance_types: Sequence[str]
    subnets: Sequence[str]
    min_size: int = 1
    max_size: int = 1
    desired_size: int | None = None
    max_unavailable: int | None = None
    max_unavailable_percentage: int | None = None
    kubelet_max_pods: int | None = None
    ami_type: str = DEFAULT_AMI_TYPE
    capacity_type: str | None = None
    pods_per_node: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    # of the pods per node, how many get their own security groups (a branch ENI each), recorded as
    # Metadata podcap.sgp_pods_per_node for the check (PC106)
    sgp_pods_per_node: int | None = None

    @property
    def windows(self) -> bool:
        """A Windows AMI type (WINDOWS_*): the VPC resource controller serves its pods, not aws-node."""
        return self.ami_type.upper().startswith("WINDOWS_")

    def __post_init__(self) -> None:
        if not self.instance_types:
            raise ValueError(f"node group {self.name!r}: give at least one instance type")
        if not self.subnets:
            raise ValueError(f"node group {self.name!r}: give at least one subnet")
        desired = self.min_size if self.desired_size is None else self.desired_size
        if not 0 <= self.min_size <= desired <= self.max_size or self.max_size < 1:
            raise ValueError(f"node group {self.name!r}: need 0 <= min ({self.min_size}) <= desired ({desired}) "
                             f"<= max ({self.max_size}), max >= 1")
        if self.max_unavailable is not None and self.max_unavailable_percentage is not None:
            raise ValueError(f"node group {self.name!r}: max_unavailable or max_unavailable_percentage, not both")


def recommended_max_pods(instance_types: Sequence[str], cni: CniSettings) -> int | None:
    """AWS's recommended max-pods for the CNI settings, for the smallest of the instance types (a launch
    template is shared by all of them). None when no type is known (podcap then reports PC002)."""
    settings = cni.engine_settings()
    values = []
    for t in instance_types:
        try:
            rec = _max_pods(_limits.get(t), settings).max_pods
        except LookupError:
            continue
        if rec is not None:  # None: vCPUs unknown and the 110/250 cap decides
            values.append(rec)
    return min(values) if values else None


def managed_max_pods_of(instance_types: Sequence[str], cni: CniSettings, user_data_max_pods: int | None,
                        ami_type: str = DEFAULT_AMI_TYPE) -> int | None:
    """The max pods the nodes of a managed node group (no custom AMI: the constructs set no ImageId) really
    run, for the smallest of the instance types: EKS writes its recommended figure capped at 110/250, and a
    value in the launch template's user data counts only up to that cap (docs/max-pods.md). Windows AMI
    types: the Windows AMI's IPv4-per-ENI - 1. None when no type is known or the cap is undecidable."""
    from podcap.engine.managed import managed_max_pods
    from podcap.engine.windows import windows_max_pods

    settings = cni.engine_settings()
    values = []
    for t in instance_types:
        try:
            lim = _limits.get(t)
        except LookupError:
            continue
        if ami_type.upper().startswith("WINDOWS_"):
            values.append(user_data_max_pods if user_data_max_pods is not None else windows_max_pods(lim))
            continue
        m = managed_max_pods(lim, settings)
        v = m.value if user_data_max_pods is None else m.capped(user_data_max_pods)
        if v is None:
            return None
        values.append(v)
    return min(values) if values else None


def max_pods_user_data(ami_type: str, max_pods: int) -> str:
    """User data that sets kubelet max-pods on a managed node group's AMI (EKS merges it with its own)."""
    if ami_type.startswith("AL2023"):
        return (
            "MIME-Version: 1.0\n"
            f'Content-Type: multipart/mixed; boundary="{_MIME_BOUNDARY}"\n\n'
            f"--{_MIME_BOUNDARY}\n"
            "Content-Type: application/node.eks.aws\n\n"
            "---\n"
            "apiVersion: node.eks.aws/v1alpha1\n"
            "kind: NodeConfig\n"
            "spec:\n"
            "  kubelet:\n"
            "    config:\n"
            f"      maxPods: {int(max_pods)}\n\n"
            f"--{_MIME_BOUNDARY}--\n"
        )
    if ami_type.startswith("BOTTLEROCKET"):
        return f"[settings.kubernetes]\nmax-pods = {int(max_pods)}\n"
    raise ValueError(f"setting kubelet max-pods on AMI type {ami_type} is not supported here; use an AL2023 or "
                     "Bottlerocket AMI type")


def _managed(name: str) -> str:
    return f"arn:{Aws.PARTITION}:iam::aws:policy/{name}"


def _assume(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


class PodcapCluster(Construct):
    """An EKS cluster over a :class:`PodcapNetwork`: cluster role, ``vpc-cni`` add-on, node role, one managed
    node group per :class:`NodeGroupSpec` (each ``DependsOn`` the add-on), launch templates for max-pods.

    ``eni_configs`` (AZ -> pod subnet name) is for custom networking; by default the network's pod subnets,
    one per AZ. ENIConfigs get ``pod_security_groups`` or else the cluster security group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: PodcapNetwork,
        nodegroups: Sequence[NodeGroupSpec],
        cni: CniSettings | None = None,
        cluster_subnets: Sequence[str] | None = None,
        cluster_name: str | None = None,
        version: str | None = None,
        addon_version: str | None = None,
        eni_configs: Mapping[str, str] | None = None,
        pod_security_groups: Sequence[str] | None = None,
        region: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        cni = cni or CniSettings()
        self.network = network
        self.cni = cni
        names = [g.name for g in nodegroups]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"node group names used twice: {', '.join(dup)}")

        engine = cni.engine_settings()
        self.cluster_role = iam.CfnRole(
            self, "ClusterRole", assume_role_policy_document=_assume("eks.amazonaws.com"),
            managed_policy_arns=[_managed("AmazonEKSClusterPolicy")]
            + ([_managed("AmazonEKSVPCResourceController")] if engine.pod_eni else []),
        )
        cp_subnets = list(cluster_subnets) if cluster_subnets is not None else list(network.node_subnet_names)
        self.cluster = eks.CfnCluster(
            self, "Cluster",
            name=cluster_name,
            version=version,
            role_arn=self.cluster_role.attr_arn,
            resources_vpc_config=eks.CfnCluster.ResourcesVpcConfigProperty(
                subnet_ids=network.subnet_ids(cp_subnets),
                endpoint_private_access=True,
                endpoint_public_access=True,
            ),
            access_config=eks.CfnCluster.AccessConfigProperty(
                authentication_mode="API_AND_CONFIG_MAP",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            kubernetes_network_config=eks.CfnCluster.KubernetesNetworkConfigProperty(ip_family="ipv4"),
        )

        # vpc-cni add-on: configuration first, node groups after it
        doc_kwargs: dict[str, Any] = {}
        if cni.custom_networking:
            by_az = dict(eni_configs) if eni_configs is not None else network.pod_subnets_by_az()
            if not by_az:
                raise ValueError("custom networking is on but there are no pod subnets / eni_configs")
            for az in by_az:
                if az.startswith("az-"):
                    raise ValueError(f"custom networking needs real AZ names for its ENIConfigs, not {az!r}")
            doc_kwargs = {
                "region": region or Aws.REGION,
                "eni_subnets": {az: network.subnet_id(n) for az, n in by_az.items()},
                "security_groups": list(pod_security_groups)
                if pod_security_groups is not None else [self.cluster.attr_cluster_security_group_id],
            }
        elif eni_configs:
            raise ValueError("eni_configs given but CniSettings.custom_networking is off")
        config = cni.configuration(**doc_kwargs)
        self.addon_configuration = config
        self.cni_addon = eks.CfnAddon(
            self, "VpcCni",
            addon_name="vpc-cni",
            cluster_name=self.cluster.ref,
            addon_version=addon_version,
            resolve_conflicts="OVERWRITE",
            configuration_values=configuration_json(config, Stack.of(self)) if config else None,
        )

        self.node_role = iam.CfnRole(
            self, "NodeRole", assume_role_policy_document=_assume("ec2.amazonaws.com"),
            managed_policy_arns=[_managed("AmazonEKSWorkerNodePolicy"),
                                 _managed("AmazonEC2ContainerRegistryReadOnly"),
                                 _managed("AmazonEKS_CNI_Policy")],
        )

        self.nodegroups: dict[str, eks.CfnNodegroup] = {}
        self.launch_templates: dict[str, ec2.CfnLaunchTemplate] = {}
        self.kubelet_max_pods: dict[str, int | None] = {}  # set through the launch template's user data
        self.managed_max_pods: dict[str, int | None] = {}  # what the nodes run (managed_max_pods_of)
        self._group_ids: set[str] = set()
        for spec in nodegroups:
            self._nodegroup(spec)

    def _nodegroup(self, spec: NodeGroupSpec) -> None:
        # ids from the name ("web-1" -> "Web1NodeGroup", "Web1LaunchTemplate"); a name giving the id of an
        # earlier group ("web1" after "web-1") gets a number ("Web12NodeGroup"): no clash, and groups whose
        # names do not collide keep their ids (and logical ids)
        base = _ID_SAFE.sub("", spec.name.title()) or "Group"
        cid, n = base, 2
        while cid in self._group_ids:
            cid, n = f"{base}{n}", n + 1
        self._group_ids.add(cid)
        max_pods = spec.kubelet_max_pods
        if max_pods is None and self.cni.needs_kubelet_max_pods() and not spec.windows:
            max_pods = recommended_max_pods(spec.instance_types, self.cni)
        launch_template = None
        if max_pods is not None:
            lt = ec2.CfnLaunchTemplate(
                self, f"{cid}LaunchTemplate",
                launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                    user_data=Fn.base64(max_pods_user_data(spec.ami_type, max_pods)),
                ),
            )
            self.launch_templates[spec.name] = lt
            launch_template = eks.CfnNodegroup.LaunchTemplateSpecificationProperty(
                id=lt.ref, version=lt.attr_latest_version_number)
        update = None
        if spec.max_unavailable is not None or spec.max_unavailable_percentage is not None:
            update = eks.CfnNodegroup.UpdateConfigProperty(
                max_unavailable=spec.max_unavailable, max_unavailable_percentage=spec.max_unavailable_percentage)
        ng = eks.CfnNodegroup(
            self, f"{cid}NodeGroup",
            cluster_name=self.cluster.ref,
            nodegroup_name=spec.name,
            node_role=self.node_role.attr_arn,
            subnets=self.network.subnet_ids(spec.subnets),
            ami_type=spec.ami_type,
            capacity_type=spec.capacity_type,
            instance_types=list(spec.instance_types),
            scaling_config=eks.CfnNodegroup.ScalingConfigProperty(
                min_size=spec.min_size,
                desired_size=spec.min_size if spec.desired_size is None else spec.desired_size,
                max_size=spec.max_size,
            ),
            update_config=update,
            launch_template=launch_template,
            labels=dict(spec.labels) or None,
        )
        # the CNI is configured before the first node starts, and reserved ranges exist before it takes
        # addresses
        ng.add_resource_dependency(self.cni_addon)
        for r in self.network.all_reservations():
            ng.add_resource_dependency(r)
        if spec.pods_per_node is not None:
            set_podcap_metadata(ng, pods_per_node=int(spec.pods_per_node))
        if spec.sgp_pods_per_node is not None:
            set_podcap_metadata(ng, sgp_pods_per_node=int(spec.sgp_pods_per_node))
        self.nodegroups[spec.name] = ng
        self.kubelet_max_pods[spec.name] = max_pods
        # what the nodes really run: EKS's figure for a managed node group, user data counting up to its cap
        self.managed_max_pods[spec.name] = managed_max_pods_of(spec.instance_types, self.cni, max_pods,
                                                               spec.ami_type)

    @property
    def cluster_name(self) -> str:
        return self.cluster.ref


def set_podcap_metadata(resource: Any, **values: Any) -> None:
    """Merge keys into a CfnResource's ``Metadata.podcap`` (``pods_per_node``, ``suppress`` …)."""
    current = resource.get_metadata("podcap")
    merged = dict(current) if isinstance(current, dict) else {}
    for k, v in values.items():
        if k == "suppress":
            merged["suppress"] = [*merged.get("suppress", []), *v]
        else:
            merged[k] = v
    resource.add_metadata("podcap", merged)


__all__ = ["DEFAULT_AMI_TYPE", "NodeGroupSpec", "PodcapCluster", "managed_max_pods_of", "max_pods_user_data",
           "recommended_max_pods", "set_podcap_metadata"]
