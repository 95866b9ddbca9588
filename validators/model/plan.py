"""The plan model: what every source (spec, CloudFormation, cdk.out, Terraform plan, live AWS) becomes.

Rules read only this model, so a new source never touches the engine or the rules. Any field may hold
an :class:`Unknown` where the source could not resolve it; rules report those instead of passing.
"""
from __future__ import annotations

import ipaddress
from enum import Enum

from podcap.model.records import field, record
from podcap.model.unknown import Unknown

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from podcap.model.unknown import MaybeUnknown


@record(frozen=True)
class Location:
    """Where a resource is declared, for findings that point at it (SARIF, annotations, CDK paths)."""

    file: str = ""
    path: str = ""  # logical path inside the file: "Resources/NodeSubnetA" or a Terraform address
    line: int | None = None
    construct_path: str | None = None  # CDK construct path (aws:cdk:path metadata) when known


class SubnetRole(str, Enum):
    NODES = "nodes"
    PODS = "pods"
    BOTH = "both"  # nodes and, without custom networking, their pods (the usual case)


@record
class Suppression:
    """A rule switched off for one resource, with the reason a reviewer reads and an optional expiry."""

    rule_id: str
    reason: str
    expires: str | None = None  # ISO date; an expired suppression no longer applies
    source: str = ""  # "metadata", ".podcap.yaml", "cdk-acknowledge"


@record
class Vpc:
    """A VPC and its IPv4 CIDRs: subnets are checked to lie inside one of them."""

    id: str  # logical id, Terraform address or vpc-… id
    cidrs: list[MaybeUnknown[str]] = field(default_factory=list)  # primary first, then secondary CIDRs
    location: Location = field(default_factory=Location)


@record
class CidrReservation:
    """A subnet CIDR reservation: addresses ipamd cannot take, or /28s kept for prefix delegation."""

    cidr: MaybeUnknown[str]
    type: str = "prefix"  # "prefix" (kept for /28 prefix delegation) or "explicit"


@record
class Subnet:
    """A subnet as every source describes it: its CIDR, AZ and what else already holds its addresses."""

    id: str  # how the plan names it: logical id, Terraform address, or subnet-… id for existing subnets
    cidr: MaybeUnknown[str]  # IPv4 CIDR, e.g. "10.0.0.0/24"
    az: MaybeUnknown[str]  # a real AZ name or an abstract one ("az-1" = the 2nd of Fn::GetAZs)
    vpc: MaybeUnknown[str] | None = None
    ipv6_cidr: MaybeUnknown[str] | None = None
    role: SubnetRole = SubnetRole.BOTH
    aws_id: str | None = None  # subnet-… when known (existing subnets, live AWS)
    defined_in_plan: bool = True  # False: referenced but not created by the plan (existing subnet)
    used_addresses: MaybeUnknown[int] | None = None  # addresses already in use (live AWS), beyond AWS's 5
    used_ips: list[str] | None = None  # the in-use addresses themselves, to find free aligned /28s
    reservations: list[CidrReservation] = field(default_factory=list)
    location: Location = field(default_factory=Location)
    # the subnet's tags, for selectors that pick subnets by tag (Karpenter / Auto Mode subnetSelectorTerms)
    tags: dict[str, str] = field(default_factory=dict)
    # the CIDR's length when only that is known: an IPAM pool allocation (Ipv4NetmaskLength /
    # ipv4_netmask_length), which EC2 aligns to its size, so its capacity and /28 blocks are known
    prefix_length: int | None = None
    # the route that makes the subnet public, when the input shows one: its route table routes a destination
    # to an internet gateway ("RouteTable PublicRt: 0.0.0.0/0 -> internet gateway Igw"); None when none is shown
    internet_route: str | None = None

    def network(self) -> ipaddress.IPv4Network | None:
        if isinstance(self.cidr, Unknown):
            return None
        return ipaddress.IPv4Network(self.cidr, strict=False)


@record(frozen=True)
class PoolLimits:
    """A node pool's ``spec.limits`` as numbers: what its nodes together may not exceed. Karpenter counts each
    node at its type's capacity: the default vCPUs, and the memory left after its VM memory overhead
    (podcap.engine.karpenter.memory_capacity_mib); podcap.engine.pool_capacity works out what the limits let
    the nodes take."""

    cpu: float | None = None  # vCPUs
    memory: float | None = None  # bytes
    nodes: int | None = None
    vm_memory_overhead: float = 0.075  # the controller's VM_MEMORY_OVERHEAD_PERCENT
    cpu_floor: int | None = None  # the vCPUs of a type the snapshot has none for: what the pool's requirements allow
    written: tuple[tuple[str, str], ...] = ()  # the limits as the NodePool writes them: (("cpu", "1000"),)

    @property
    def memory_mib(self) -> float | None:
        return None if self.memory is None else self.memory / 2**20

    def describe(self) -> str:
        return ", ".join(f"limits.{k} {v}" for k, v in self.written)


@record
class NodeGroup:
    """Any group of nodes that takes subnet addresses: a managed or self-managed node group, an
    Auto Scaling group, a Karpenter or EKS Auto Mode node pool; the fields are what the engine needs to
    work out its max pods and addresses per node."""

    name: str  # logical id / Terraform address / spec name
    cluster: str | None = None  # id of the Cluster it joins, when the source says
    instance_types: MaybeUnknown[list[MaybeUnknown[str]]] = field(default_factory=list)
    subnets: MaybeUnknown[list[MaybeUnknown[str]]] = field(default_factory=list)  # Subnet.id values
    min_size: MaybeUnknown[int] = 1
    desired_size: MaybeUnknown[int] = 1
    max_size: MaybeUnknown[int] = 1
    max_unavailable: MaybeUnknown[int] | None = None  # UpdateConfig.MaxUnavailable
    max_unavailable_percentage: MaybeUnknown[int] | None = None
    # UpdateConfig.UpdateStrategy: "DEFAULT" (new nodes first: the update surges) or "MINIMAL" (old nodes
    # terminated first: no surge); None or anything else is taken as DEFAULT, the worst case
    update_strategy: MaybeUnknown[str] | None = None
    kubelet_max_pods: MaybeUnknown[int] | None = None  # set through launch template / user data
    ami_type: MaybeUnknown[str] | None = None
    capacity_type: MaybeUnknown[str] | None = None
    pods_per_node: int | None = None  # demand: address-taking pods per node (None: nodes full)
    self_managed: bool = False
    location: Location = field(default_factory=Location)
    # -- what decides the max pods a node really runs (docs/max-pods.md) --
    # Managed node group whose launch template sets an ImageId (a custom AMI): EKS then writes no max pods.
    custom_ami: MaybeUnknown[bool] = False
    # Managed node group: is its creation ordered after the vpc-cni add-on's configuration (DependsOn or
    # a reference chain)? None: not applicable (no add-on configuration in the plan, or self-managed).
    ordered_after_cni: MaybeUnknown[bool] | None = None
    # nodeadm `kubelet.maxPodsExpression` (AL2023), evaluated per instance type; wins over the AMI default
    max_pods_expression: MaybeUnknown[str] | None = None
    # where kubelet_max_pods / max_pods_expression came from, for notes ("bootstrap.sh --max-pods 20")
    max_pods_origin: str | None = None
    os: str = "linux"  # "linux" or "windows" (WINDOWS_* AMI types, spec os: windows)
    # -- security groups for pods: pods per node that get their own branch ENI (one address each) --
    sgp_pods_per_node: int | None = None
    # -- node pools: Karpenter NodePools and EKS Auto Mode pools are node groups with a provisioner --
    provisioner: str | None = None  # None (a node group), "karpenter" or "auto-mode"
    # False: the provisioner does not balance nodes over AZs (Karpenter): every AZ is judged for all of them
    zone_balanced: bool = True
    pods_per_core: MaybeUnknown[int] | None = None  # Karpenter / Auto Mode kubelet podsPerCore
    reserved_enis: int = 0  # Karpenter's --reserved-enis
    # EFA-only interfaces on network card 0 (an EC2NodeClass's networkInterfaces): no IP networking, and
    # ipamd counts them as unmanaged ENIs of that card (filterUnmanagedENIs, hasRoomForEni), so the VPC CNI
    # attaches that many fewer; Karpenter's ENILimitedPods takes them off its max pods as well
    efa_only_enis: int = 0
    # Node pools whose nodes do not run the cluster's aws-node (EKS Auto Mode runs its own networking):
    # the CNI settings that model them (docs/auto-mode.md). None: the cluster's aws-node settings apply.
    network_env: dict[str, str] | None = None
    # Pods in other subnets than their node (Auto Mode podSubnetSelectorTerms): Subnet.id values
    pod_subnets: MaybeUnknown[list[MaybeUnknown[str]]] | None = None
    max_pods_cap: int | None = None  # a cap on kubelet max pods beyond the usual rule (Auto Mode: 110)
    ami_family: str | None = None  # node pools: Karpenter's AMI family (al2, al2023, bottlerocket, windows2022 ...)
    # node pools: the resource that carries the pool (a CDK manifest resource, a Terraform kubernetes_manifest,
    # the Auto Mode cluster of a built-in pool): demand stated on it (Metadata.podcap) applies to the pool
    carrier: str | None = None
    # node pools: NodePool spec.disruption.budgets (podcap.engine.disruption.Budget values); None: the default
    # budget (nodes 10%), as for an EKS Auto Mode built-in pool
    disruption_budgets: MaybeUnknown[tuple] | None = None
    # node pools: spec.limits, which bound what the nodes take together however their types mix; None: no
    # cpu or memory limit podcap could read
    pool_limits: PoolLimits | None = None


@record
class FargateProfile:
    """An EKS Fargate profile: each pod gets its own ENI (one address in the profile's subnets, no warm
    pool). ``pods`` is the demand the plan states (CloudFormation Metadata podcap.pods, .podcap.yaml
    demand, spec); None means nobody stated it, which is a PC001, never a pass."""

    name: str
    cluster: str | None = None
    subnets: MaybeUnknown[list[MaybeUnknown[str]]] = field(default_factory=list)  # Subnet.id values
    pods: MaybeUnknown[int] | None = None
    location: Location = field(default_factory=Location)


@record
class Cluster:
    """An EKS cluster: its control-plane ENI subnets, IP family, vpc-cni settings and ENIConfigs."""

    id: str
    name: MaybeUnknown[str] | None = None
    subnets: MaybeUnknown[list[MaybeUnknown[str]]] = field(default_factory=list)  # control-plane ENI subnets
    ip_family: str = "ipv4"
    # Raw aws-node environment (vpc-cni add-on configuration "env", or DaemonSet env). None: not stated in
    # the plan (the CNI's defaults apply); Unknown: stated but unreadable.
    cni_env: MaybeUnknown[dict[str, str]] | None = None
    # AZ -> Subnet.id of the ENIConfig for custom networking (add-on eniConfig block or ENIConfig objects)
    eni_configs: dict[str, MaybeUnknown[str]] = field(default_factory=dict)
    location: Location = field(default_factory=Location)
    # where the aws-node settings are written (the vpc-cni add-on), so findings about them point there
    cni_resource: str | None = None
    cni_location: Location | None = None
    # EKS Auto Mode (ComputeConfig.Enabled / compute_config / eksctl autoModeConfig): EKS runs the nodes
    auto_mode: MaybeUnknown[bool] = False
    # built-in Auto Mode node pools enabled (ComputeConfig.NodePools: "general-purpose", "system")
    auto_mode_pools: MaybeUnknown[list[str]] = field(default_factory=list)
    # demand stated on the cluster for its Auto Mode pools (CloudFormation Metadata podcap: max_nodes,
    # pods_per_node, sgp_pods_per_node), for the pools that state no limits
    demand: dict[str, int] = field(default_factory=dict)


@record
class Plan:
    """One input read into the shape every rule reads: the source-independent plan model."""

    source: str  # what was read: a path or "live"
    kind: str  # "spec", "cloudformation", "cdk-assembly", "terraform-plan"
    vpcs: dict[str, Vpc] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    nodegroups: list[NodeGroup] = field(default_factory=list)  # node groups and node pools (provisioner set)
    fargate_profiles: list[FargateProfile] = field(default_factory=list)
    # Values a source met but could not resolve and that belong to no field above (a resource whose
    # type it could not tell, a parameter without a default …): each becomes an "unresolved" finding.
    unresolved: list[tuple[str, Unknown]] = field(default_factory=list)  # (resource id, why)
    # Suppressions keyed by resource id (logical id or Terraform address)
    suppressions: dict[str, list[Suppression]] = field(default_factory=dict)
    resource_locations: dict[str, Location] = field(default_factory=dict)
    # Defaults podcap applied and facts read from AWS (resource, text): not findings, but shown with them
    notes: list[tuple[str, str]] = field(default_factory=list)
    # Kubernetes objects (NodePool, EC2NodeClass, NodeClass ...) read by a source, resolved once the whole
    # plan is known (subnets from other files, the instance-limits snapshot): see
    # podcap.sources.objects.kubernetes.resolve_kubernetes_objects
    kubernetes_objects: list = field(default_factory=list)
    # Demand the input states where no template field holds it (CloudFormation Metadata.podcap ...):
    # podcap.sources.demand.Demand entries, applied with the .podcap.yaml demand before the analysis
    demand: list = field(default_factory=list)
    # checked with --live: existing resources were looked up in AWS (the advice in findings says so)
    live: bool = False

    def cluster_for(self, nodegroup: NodeGroup | FargateProfile) -> Cluster | None:
        """The cluster a node group joins: the named one, else the only cluster in the plan."""
        if nodegroup.cluster and nodegroup.cluster in self.clusters:
            return self.clusters[nodegroup.cluster]
        if len(self.clusters) == 1:
            return next(iter(self.clusters.values()))
        return None

    def merge(self, other: Plan) -> None:
        """Fold another plan in (several stacks of one CDK app, several files of one check)."""
        self.vpcs.update(other.vpcs)
        self.subnets.update(other.subnets)
        self.clusters.update(other.clusters)
        self.nodegroups.extend(other.nodegroups)
        self.fargate_profiles.extend(other.fargate_profiles)
        self.unresolved.extend(other.unresolved)
        for k, v in other.suppressions.items():
            self.suppressions.setdefault(k, []).extend(v)
        self.resource_locations.update(other.resource_locations)
        self.notes.extend(other.notes)
        self.kubernetes_objects.extend(other.kubernetes_objects)
        self.demand.extend(other.demand)
