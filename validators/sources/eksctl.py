"""An eksctl ``ClusterConfig`` (``apiVersion: eksctl.io/v1alpha5``) -> Plan.

The defaults are eksctl's own (eksctl-io/eksctl, pkg/apis/eksctl.io/v1alpha5 and pkg/vpc):

* VPC: ``vpc.cidr`` defaults to 192.168.0.0/16 (``DefaultCIDR``). Without ``vpc.subnets`` (and no
  ``vpc.id``) eksctl creates the VPC and carves its subnets (``vpc.SetSubnets``): for Z zones it makes 2·Z
  subnets, each ``mask + 3`` bits long when 2·Z <= 8 (``mask + 4`` when <= 16); the public subnet of zone i
  is block i, the private one block Z + i. The zones are ``availabilityZones``, else picked at random at run
  time (``az.GetAvailabilityZones``: 3, or 2 in us-east-1): podcap names those ``az-0`` …, abstract zones.
* With ``vpc.subnets`` the VPC and subnets exist; their CIDRs are what the file says, else Unknown (--live).
* Node group sizes (``validateNodeGroup`` / ``nodegroup.go``): minSize defaults to desiredCapacity, else 2
  (``DefaultNodeCount``); maxSize to desiredCapacity, else minSize (1 if that is 0, for a managed group); desiredCapacity to
  minSize. No instance type: m5.large (``DefaultNodeType``, set by eksctl in ``NodeGroupService.Normalize``).
* Node group subnets: the private subnets with ``privateNetworking``, else the public ones; narrowed by
  ``availabilityZones``, or named by ``subnets`` (subnet keys of ``vpc.subnets`` or ids).
* Managed node groups get a launch template with no AMI unless ``ami`` is set, so EKS writes their max pods;
  eksctl creates the vpc-cni add-on before any node group (``KnownAddons``: ``CreateBeforeNodeGroup``).
* ``maxPodsPerNode`` is written into the nodes' bootstrap (nodebootstrap: bootstrap.sh ``--max-pods``,
  nodeadm ``maxPods``, Bottlerocket ``max-pods``); ``overrideBootstrapCommand`` replaces the bootstrap.
  Without it, a self-managed Linux group's ``kubeletExtraConfig.maxPods`` and Bottlerocket's
  ``bottlerocket.settings.kubernetes.max-pods`` set it.
* ``autoModeConfig.nodePools`` defaults to [general-purpose, system] (``SetClusterConfigDefaults``). On a VPC
  eksctl creates, Auto Mode gives the cluster only the private subnets (``pkg/cfn/builder``
  ``SubnetDetails.ControlPlaneSubnetRefs``); an existing VPC keeps every subnet given.
* A Fargate profile without ``subnets``: eksctl passes none (``pkg/fargate/create.go``) and EKS uses the private
  subnets the cluster was created with; on a VPC eksctl creates those are its private subnets.
"""
from __future__ import annotations

import ipaddress
import os
import re

from podcap.model.plan import Cluster, FargateProfile, Location, NodeGroup, Plan, Subnet, Vpc
from podcap.model.records import field, record
from podcap.model.unknown import Unknown
from podcap.sources._common import subnet_like
from podcap.sources.objects.cni_config import parse_cni_configuration
from podcap.sources.objects.user_data import UserDataMaxPods, read_user_data
from podcap.sources.safe_yaml import InputError, compose_yaml, line_map, load_yaml, read_file

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

KIND = "eksctl"
API_VERSION = "eksctl.io/v1alpha5"
DEFAULT_CIDR = "192.168.0.0/16"  # v1alpha5.DefaultCIDR
DEFAULT_NODE_COUNT = 2  # v1alpha5.DefaultNodeCount
DEFAULT_MAX_SIZE = 1  # v1alpha5.DefaultMaxSize (a max of 0 becomes 1)
DEFAULT_NODE_TYPE = "m5.large"  # v1alpha5.DefaultNodeType
AUTO_MODE_POOLS = ["general-purpose", "system"]  # v1alpha5.AutoModeKnownNodePools
RECOMMENDED_AZS, MIN_AZS = 3, 2  # v1alpha5.RecommendedAvailabilityZones / MinRequiredAvailabilityZones
EXISTING = "existing subnet; eksctl looks it up at run time; use --live"
_NOT_CUSTOM_AMI = {"", "auto", "auto-ssm", "static"}  # eksctl's AMI resolvers, not an AMI id
_AZ_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+[a-z]")
# why a subnet is public (PC504: Fargate takes only private ones): eksctl's public route table routes 0.0.0.0/0
# to the internet gateway it creates (pkg/cfn/builder vpc.go); vpc.subnets.public lists subnets that do
_PUBLIC_CREATED = "eksctl's public route table routes 0.0.0.0/0 to the internet gateway it creates"
_PUBLIC_GIVEN = "listed under vpc.subnets.public, eksctl's subnets with a route to an internet gateway"

# top-level keys only (column 0): an eksctl file quoted inside another document's string is not one
_API = re.compile(r"""^["']?apiVersion["']?[ \t]*:[ \t]*["']?eksctl\.io/v1alpha5\b""", re.MULTILINE)
_KIND = re.compile(r"""^["']?kind["']?[ \t]*:[ \t]*["']?ClusterConfig\b""", re.MULTILINE)
_JSON_API = re.compile(r'"apiVersion"\s*:\s*"eksctl\.io/v1alpha5"')
_JSON_KIND = re.compile(r'"kind"\s*:\s*"ClusterConfig"')


def looks_like_cluster_config(text: str) -> bool:
    """YAML (or JSON) with ``apiVersion: eksctl.io/v1alpha5`` and ``kind: ClusterConfig``."""
    return bool((_API.search(text) and _KIND.search(text)) or (_JSON_API.search(text) and _JSON_KIND.search(text)))


def load_cluster_config(path: str | os.PathLike[str]) -> Plan:
    """Read an eksctl ClusterConfig file into a Plan (kind "eksctl")."""
    path = os.fspath(path)
    raw = read_file(path)
    doc = load_yaml(raw, path)
    lines = line_map(compose_yaml(raw, path))
    return plan_from_cluster_config(doc, path, lines)


def plan_from_cluster_config(doc: Any, source: str, lines: dict[str, int] | None = None) -> Plan:
    """Build the Plan of a parsed ClusterConfig."""
    if not isinstance(doc, dict) or doc.get("kind") != "ClusterConfig" or doc.get("apiVersion") != API_VERSION:
        raise InputError(f"{source}: not an eksctl ClusterConfig (expected apiVersion: {API_VERSION} and "
                         "kind: ClusterConfig)")
    return _Reader(doc, source, lines or {}).build()


# -- helpers ----------------------------------------------------------------------------------------------


def _mapping(v: Any, where: str, source: str) -> dict:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise InputError(f"{source}: {where}: expected a mapping, got {type(v).__name__}")
    return v


def _sequence(v: Any, where: str, source: str) -> list:
    if v is None:
        return []
    if not isinstance(v, list):
        raise InputError(f"{source}: {where}: expected a list, got {type(v).__name__}")
    return v


def _count(v: Any, what: str, where: str, source: str) -> int | None:
    """A node count as eksctl's int fields take it (a whole number, at most a 32-bit int)."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2 ** 31:
        raise InputError(f"{source}: {where}.{what}: expected a whole number of nodes, got {str(v)[:40]!r}")
    return v


def carve_subnets(vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(public, private) CIDRs eksctl gives a VPC it creates for ``zones`` zones (pkg/vpc SetSubnets,
    getSubnetNetworkSize, SplitInto): blocks of mask+3 bits (mask+4 beyond 8 subnets), public first."""
    net = ipaddress.IPv4Network(vpc_cidr, strict=False)
    total = zones * 2
    if total > 16:
        raise ValueError(f"eksctl cannot create more than 16 subnets, {total} requested")
    extra = 3 if total <= 8 else 4
    size = 2 if total == 2 else 8 if total <= 8 else 16
    blocks = list(net.subnets(prefixlen_diff=extra))[:size]
    return [str(b) for b in blocks[:zones]], [str(b) for b in blocks[zones:total]]


@record
class _SubnetRef:
    id: str  # Subnet.id in the plan
    az: Any
    topology: str  # "private" / "public"
    key: str
    aws_id: str | None = None
    local: bool = False  # a Local Zone subnet (vpc.localZoneSubnets): only node groups naming localZones use it


@record
class _Reader:
    doc: dict
    source: str
    lines: dict[str, int]
    plan: Plan = field(init=False)
    subnets: list[_SubnetRef] = field(default_factory=list)
    cluster_id: str = ""
    cni_configured: bool = False
    abstract_azs: bool = False  # the zones are eksctl's run-time pick, named az-0 …
    created_vpc: bool = False  # eksctl creates the VPC and carves its subnets

    def __post_init__(self) -> None:
        self.plan = Plan(source=self.source, kind=KIND)

    def loc(self, path: str) -> Location:
        return Location(file=self.source, path=path, line=self.lines.get(path))

    def note(self, who: str, text: str) -> None:
        self.plan.notes.append((who, text))

    def unresolved(self, who: str, why: Unknown) -> None:
        self.plan.unresolved.append((who, why))

    def build(self) -> Plan:
        meta = _mapping(self.doc.get("metadata"), "metadata", self.source)
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(f"{self.source}: metadata.name: an eksctl ClusterConfig names its cluster")
        self.region = meta.get("region") if isinstance(meta.get("region"), str) else None
        self.cluster_id = name
        self._vpc()
        self._cluster(name)
        self._addons()
        for i, ng in enumerate(_sequence(self.doc.get("nodeGroups"), "nodeGroups", self.source)):
            self._nodegroup(_mapping(ng, f"nodeGroups[{i}]", self.source), f"nodeGroups[{i}]", managed=False)
        for i, ng in enumerate(_sequence(self.doc.get("managedNodeGroups"), "managedNodeGroups", self.source)):
            self._nodegroup(_mapping(ng, f"managedNodeGroups[{i}]", self.source), f"managedNodeGroups[{i}]",
                            managed=True)
        for i, fp in enumerate(_sequence(self.doc.get("fargateProfiles"), "fargateProfiles", self.source)):
            self._fargate(_mapping(fp, f"fargateProfiles[{i}]", self.source), f"fargateProfiles[{i}]")
        if self.doc.get("karpenter") is not None:
            # eksctl installs Karpenter (helm) but no NodePool: the nodes it launches are described elsewhere
            self.unresolved(name, Unknown("eksctl installs Karpenter, but its NodePools and EC2NodeClasses are not in "
                                          "this file: check them together with it (podcap check this-file "
                                          "nodepools.yaml)", "karpenter"))
        self._existing_placeholders()
        return self.plan

    # VPC ---------------------------------------------------------------------------------------------------
    def _vpc(self) -> None:
        vpc = _mapping(self.doc.get("vpc"), "vpc", self.source)
        given = _mapping(vpc.get("subnets"), "vpc.subnets", self.source)
        cidr = vpc.get("cidr")
        vid = vpc.get("id")
        if cidr is not None and not isinstance(cidr, str):
            raise InputError(f"{self.source}: vpc.cidr: expected a CIDR such as 10.0.0.0/16")
        exists = bool(vid) or bool(given)
        self.created_vpc = not exists
        vpc_id = vid if isinstance(vid, str) and vid else "vpc"
        if exists:
            vcidr: Any = cidr or Unknown("the existing VPC's CIDR is not in the file; use --live", "vpc.cidr")
            self.plan.vpcs[vpc_id] = Vpc(id=vpc_id, cidrs=[vcidr], location=self.loc("vpc"))
            self.plan.resource_locations[vpc_id] = self.loc("vpc")
            for topology in ("private", "public"):
                block = _mapping(given.get(topology), f"vpc.subnets.{topology}", self.source)
                for key, spec in block.items():
                    self._existing_subnet(str(key), _mapping(spec, f"vpc.subnets.{topology}.{key}", self.source),
                                          topology, vpc_id)
            return
        cidr = cidr or DEFAULT_CIDR
        try:
            net = ipaddress.IPv4Network(cidr, strict=False)
        except ValueError:
            raise InputError(f"{self.source}: vpc.cidr: {cidr!r} is not an IPv4 CIDR") from None
        if not 16 <= net.prefixlen <= 24:
            raise InputError(f"{self.source}: vpc.cidr: eksctl takes a VPC CIDR prefix between /16 and /24, "
                             f"not /{net.prefixlen}")
        self.plan.vpcs[vpc_id] = Vpc(id=vpc_id, cidrs=[str(net)], location=self.loc("vpc"))
        self.plan.resource_locations[vpc_id] = self.loc("vpc")
        if vpc.get("cidr") is None:
            self.note("vpc", f"no vpc.cidr: eksctl creates the VPC with {DEFAULT_CIDR}")
        zones = _sequence(self.doc.get("availabilityZones"), "availabilityZones", self.source)
        names: list[Any]
        if zones:
            names = [str(z) for z in zones]
        else:
            n = MIN_AZS if self.region == "us-east-1" else RECOMMENDED_AZS
            names = [f"az-{i}" for i in range(n)]
            self.abstract_azs = True
            self.note("vpc", f"no availabilityZones: eksctl picks {n} zones of the region at random when it creates "
                             f"the cluster (fewer if the region has fewer); podcap names them {', '.join(names)}")
        local = [str(z) for z in _sequence(self.doc.get("localZones"), "localZones", self.source)]
        if (len(names) + len(local)) * 2 > 16:
            raise InputError(f"{self.source}: availabilityZones: eksctl cannot create more than 16 subnets")
        public, private = carve_subnets(str(net), len(names) + len(local))
        for topology, cidrs in (("public", public), ("private", private)):
            for i, (az, block) in enumerate(zip(names + local, cidrs)):
                group = "localZoneSubnets" if i >= len(names) else "subnets"
                sid = f"vpc.{group}.{topology}.{az}"
                self.plan.subnets[sid] = Subnet(id=sid, cidr=block, az=az, vpc=vpc_id, location=self.loc("vpc"),
                                                internet_route=_PUBLIC_CREATED if topology == "public" else None)
                self.plan.resource_locations[sid] = self.loc("vpc")
                self.subnets.append(_SubnetRef(sid, az, topology, az, local=i >= len(names)))
        self.note("vpc", "subnets carved by eksctl's rule: " + ", ".join(
            f"{r.topology} {r.az} {self.plan.subnets[r.id].cidr}" for r in self.subnets))

    def _existing_subnet(self, key: str, spec: dict, topology: str, vpc_id: str) -> None:
        where = f"vpc.subnets.{topology}.{key}"
        sid_aws = spec.get("id") if isinstance(spec.get("id"), str) and spec.get("id") else None
        az: Any = spec.get("az") if isinstance(spec.get("az"), str) and spec.get("az") else None
        if az is None:
            az = key if _AZ_NAME.fullmatch(key) else Unknown(
                f"subnet {key} names no AZ; eksctl looks it up at run time; use --live", where)
        cidr: Any = spec.get("cidr") if isinstance(spec.get("cidr"), str) and spec.get("cidr") else Unknown(
            f"{key}: {EXISTING}", where)
        sid = where
        # the subnet exists: what already uses its addresses is not in the file (--live reads it)
        used = Unknown("an existing subnet: the addresses already in use in it are not in the file; use --live",
                       where) if isinstance(cidr, str) else None
        self.plan.subnets[sid] = Subnet(id=sid, cidr=cidr, az=az, vpc=vpc_id, aws_id=sid_aws, used_addresses=used,
                                        defined_in_plan=False, location=self.loc(where),
                                        internet_route=_PUBLIC_GIVEN if topology == "public" else None)
        self.plan.resource_locations[sid] = self.loc(where)
        self.subnets.append(_SubnetRef(sid, az, topology, key, sid_aws))

    def _by_alias(self, name: str, topology: str | None) -> _SubnetRef | None:
        for r in self.subnets:
            if (topology is None or r.topology == topology) and name in (r.key, r.aws_id):
                return r
        return None

    # cluster -----------------------------------------------------------------------------------------------
    def _cluster(self, name: str) -> None:
        vpc = _mapping(self.doc.get("vpc"), "vpc", self.source)
        cp_ids = _sequence(vpc.get("controlPlaneSubnetIDs"), "vpc.controlPlaneSubnetIDs", self.source)
        if cp_ids:
            subnets: Any = [self._subnet_id(str(s)) for s in cp_ids]
        elif vpc.get("controlPlaneOnPrivateSubnets") is True or (self.created_vpc and self._auto_mode()):
            # pkg/cfn/builder vpc_ipv4.go / vpc_ipv6.go SubnetDetails.ControlPlaneSubnetRefs: Auto Mode on a VPC
            # eksctl creates gives the cluster only the private subnets (an existing VPC keeps them all)
            subnets = [r.id for r in self.subnets if r.topology == "private" and not r.local]
        else:
            subnets = [r.id for r in self.subnets if not r.local]
        if self.doc.get("outpost") is not None:
            self.unresolved(name, Unknown("the control plane runs on AWS Outposts: podcap does not model the "
                                          "subnets eksctl uses there", "outpost"))
        knc = _mapping(self.doc.get("kubernetesNetworkConfig"), "kubernetesNetworkConfig", self.source)
        family = str(knc.get("ipFamily") or "IPv4").lower()
        if family not in ("ipv4", "ipv6"):
            raise InputError(f"{self.source}: kubernetesNetworkConfig.ipFamily: {knc.get('ipFamily')!r} is "
                             "neither IPv4 nor IPv6")
        cl = Cluster(id=name, name=name, subnets=subnets, ip_family=family, location=self.loc("metadata"))
        auto = _mapping(self.doc.get("autoModeConfig"), "autoModeConfig", self.source)
        if auto.get("enabled") is True:
            cl.auto_mode = True
            pools = auto.get("nodePools")
            cl.auto_mode_pools = list(AUTO_MODE_POOLS) if pools is None else [
                str(p) for p in _sequence(pools, "autoModeConfig.nodePools", self.source)]
        self.plan.clusters[name] = cl
        self.plan.resource_locations[name] = cl.location

    def _auto_mode(self) -> bool:
        auto = _mapping(self.doc.get("autoModeConfig"), "autoModeConfig", self.source)
        return auto.get("enabled") is True

    def _subnet_id(self, name: str) -> str:
        """A subnet named by key or id: the plan's subnet, else the id itself (an existing subnet)."""
        ref = self._by_alias(name, None)
        return ref.id if ref else name

    # add-ons -----------------------------------------------------------------------------------------------
    def _addons(self) -> None:
        cl = self.plan.clusters[self.cluster_id]
        for i, addon in enumerate(_sequence(self.doc.get("addons"), "addons", self.source)):
            addon = _mapping(addon, f"addons[{i}]", self.source)
            if str(addon.get("name", "")).lower() != "vpc-cni":
                continue
            where = f"addons[{i}].configurationValues"
            raw = addon.get("configurationValues")
            if raw in (None, ""):
                continue
            env, eni, problems = parse_cni_configuration(raw, {}, where)
            for p in problems:
                self.unresolved(f"addons[{i}]", p)
            if env is not None:
                cl.cni_env = env
            for az, sid in eni.items():
                cl.eni_configs[az] = self._subnet_id(sid) if isinstance(sid, str) else sid
            cl.cni_resource, cl.cni_location = f"addons[{i}]", self.loc(f"addons[{i}]")
            self.plan.resource_locations[f"addons[{i}]"] = self.loc(f"addons[{i}]")
            self.cni_configured = True

    # node groups -------------------------------------------------------------------------------------------
    def _nodegroup(self, spec: dict, path: str, *, managed: bool) -> None:
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(f"{self.source}: {path}.name: every node group has a name")
        rid = f"{'managedNodeGroups' if managed else 'nodeGroups'}.{name}"
        loc = self.loc(path)
        self.plan.resource_locations[rid] = loc
        ng = NodeGroup(name=rid, cluster=self.cluster_id, self_managed=not managed, location=loc)
        if spec.get("outpostARN"):
            self.unresolved(rid, Unknown("the node group runs on AWS Outposts: podcap does not model the subnets "
                                         "eksctl uses there", f"{path}.outpostARN"))
        ng.instance_types = self._instance_types(spec, path, rid, managed)
        self._sizes(ng, spec, path, managed=managed)
        ng.subnets = self._ng_subnets(spec, path, rid)
        family = str(spec.get("amiFamily") or "")
        if family.lower().startswith("windows"):
            ng.os = "windows"
        ami = spec.get("ami")
        if managed:
            if spec.get("spot") is True:
                ng.capacity_type = "SPOT"
            if isinstance(spec.get("launchTemplate"), dict):
                lt = spec["launchTemplate"].get("id", "")
                why = Unknown(f"launch template {lt} is not in the file: its AMI and user data are not known", path)
                ng.custom_ami = why
                ng.kubelet_max_pods = why
            else:
                ng.custom_ami = isinstance(ami, str) and ami.strip().lower() not in _NOT_CUSTOM_AMI
            ng.ordered_after_cni = True if self.cni_configured else None
            update = _mapping(spec.get("updateConfig"), f"{path}.updateConfig", self.source)
            ng.max_unavailable = _count(update.get("maxUnavailable"), "maxUnavailable", path, self.source)
            ng.max_unavailable_percentage = _count(update.get("maxUnavailablePercentage"),
                                                   "maxUnavailablePercentage", path, self.source)
        self._max_pods(ng, spec, path, family)
        self.plan.nodegroups.append(ng)

    def _instance_types(self, spec: dict, path: str, rid: str, managed: bool) -> Any:
        types = spec.get("instanceTypes")
        dist = spec.get("instancesDistribution")
        if isinstance(dist, dict) and isinstance(dist.get("instanceTypes"), list):
            types = dist["instanceTypes"]
        if isinstance(types, list) and types:
            if not all(isinstance(t, str) and t for t in types):
                raise InputError(f"{self.source}: {path}: instance types are names such as m5.large")
            return list(types)
        one = spec.get("instanceType")
        if one is not None and not isinstance(one, str):
            raise InputError(f"{self.source}: {path}.instanceType: expected an instance type name such as m5.large")
        if one and one != "mixed":
            return [one]
        if _mapping(spec.get("instanceSelector"), f"{path}.instanceSelector", self.source):
            return Unknown("eksctl picks the instance types with its instance selector at run time", path)
        if managed and isinstance(spec.get("launchTemplate"), dict):
            return Unknown(f"the instance type comes from launch template {spec['launchTemplate'].get('id', '')}, "
                           "which is not in the file", path)
        self.note(rid, f"no instance type: eksctl uses {DEFAULT_NODE_TYPE}")
        return [DEFAULT_NODE_TYPE]

    def _sizes(self, ng: NodeGroup, spec: dict, path: str, *, managed: bool = True) -> None:
        """A max of 0 becomes 1 (DefaultMaxSize) only for a managed group (ValidateManagedNodeGroup); a
        self-managed group's ASG takes max = desired, else min, as it is (nodegroup.go AddAllResources)."""
        desired = _count(spec.get("desiredCapacity"), "desiredCapacity", path, self.source)
        lo = _count(spec.get("minSize"), "minSize", path, self.source)
        hi = _count(spec.get("maxSize"), "maxSize", path, self.source)
        if lo is None:
            lo = desired if desired is not None else DEFAULT_NODE_COUNT
        if hi is None:
            hi = desired if desired is not None else lo
            if hi == 0 and managed:
                hi = DEFAULT_MAX_SIZE
        if desired is None:
            desired = lo
        if not lo <= desired <= hi:
            raise InputError(f"{self.source}: {path}: eksctl refuses minSize {lo}, desiredCapacity {desired}, "
                             f"maxSize {hi} (it needs min <= desired <= max)")
        ng.min_size, ng.desired_size, ng.max_size = lo, desired, hi

    def _ng_subnets(self, spec: dict, path: str, rid: str) -> Any:
        """eksctl's choice of a node group's subnets (pkg/vpc/vpc.go SelectNodeGroupSubnets, and
        nodegroup.go AssignSubnets when the group names neither subnets nor zones), with the refusals of
        validateNodeGroupBase / ValidateNodeGroup that decide it."""
        topology = "private" if spec.get("privateNetworking") is True else "public"
        named = _sequence(spec.get("subnets"), f"{path}.subnets", self.source)
        zones = _sequence(spec.get("availabilityZones"), f"{path}.availabilityZones", self.source)
        if named and zones:
            raise InputError(f"{self.source}: {path}: eksctl refuses it: only one of subnets or "
                             "availabilityZones should be set")
        if zones and _sequence(spec.get("localZones"), f"{path}.localZones", self.source):
            raise InputError(f"{self.source}: {path}: eksctl refuses it: cannot specify both localZones and "
                             "availabilityZones")
        efa = spec.get("efaEnabled") is True
        if efa and (len(named) > 1 or len(zones) > 1):
            raise InputError(f"{self.source}: {path}: eksctl refuses it: efaEnabled node groups must have only "
                             "one subnet or one availability zone")
        chosen = self._chosen_subnets(spec, path, rid, topology, named)
        if efa and (named or zones) and isinstance(chosen, list) and len(chosen) > 1:
            # SelectNodeGroupSubnets keeps subnetIDs[:1], the first of a Go map's iteration: any of them
            return Unknown(f"efaEnabled puts every node in one subnet, which eksctl picks arbitrarily among the "
                           f"{len(chosen)} of this zone; name the subnet in {path}.subnets", path)
        return chosen

    def _chosen_subnets(self, spec: dict, path: str, rid: str, topology: str, named: list) -> Any:
        if named:
            out = []
            for s in named:
                ref = self._by_alias(str(s), topology)
                if ref is None:
                    ref = self._by_alias(str(s), None)
                    if ref is not None and ref.topology == "private" and topology == "public":
                        # selectNodeGroupSubnetsFromIDs refuses it; the converse is only a warning
                        raise InputError(f"{self.source}: {path}.subnets: eksctl refuses it: subnet {s} is "
                                         "specified as private in ClusterConfig, thus must only be used when "
                                         "privateNetworking is enabled")
                    if ref is not None and ref.topology == "public" and topology == "private":
                        self.note(rid, f"public subnet {s} is used with privateNetworking enabled (eksctl "
                                        "warns and goes on)")
                if ref is None and isinstance(s, str) and _AZ_NAME.fullmatch(s):
                    refs = [r for r in self.subnets if r.topology == topology and r.az == s]
                    out.extend(r.id for r in refs)
                    continue
                out.append(ref.id if ref else str(s))
            return out
        local = [str(z) for z in _sequence(spec.get("localZones"), f"{path}.localZones", self.source)]
        if local:
            mine = [r for r in self.subnets if r.topology == topology and r.local and r.az in local]
            return [r.id for r in mine] if mine else Unknown(f"{path}.localZones: no {topology} Local Zone subnets "
                                                             "for these zones in the file", path)
        mine = [r for r in self.subnets if r.topology == topology and not r.local]
        azs = _sequence(spec.get("availabilityZones"), f"{path}.availabilityZones", self.source)
        if azs:
            if any(isinstance(r.az, Unknown) for r in mine):
                return Unknown(f"{path}.availabilityZones: the AZs of the {topology} subnets are not all in the "
                               "file; use --live", path)
            if self.abstract_azs:
                return Unknown(f"{path}.availabilityZones: eksctl picks the cluster's zones at run time, so "
                               "podcap cannot tell which of its subnets these are", path)
            mine = [r for r in mine if r.az in [str(a) for a in azs]]
        if not mine:
            return Unknown(f"no {topology} subnets for this node group in the file "
                           f"({'privateNetworking: true' if topology == 'private' else 'public subnets'})", path)
        return [r.id for r in mine]

    def _max_pods(self, ng: NodeGroup, spec: dict, path: str, family: str) -> None:
        if isinstance(ng.kubelet_max_pods, Unknown):
            return
        per_node = _count(spec.get("maxPodsPerNode"), "maxPodsPerNode", path, self.source)
        override = spec.get("overrideBootstrapCommand")
        if isinstance(override, str) and override.strip():
            try:
                got = read_user_data(override)
            except ValueError:
                got = UserDataMaxPods(problem="the value is not a number of pods")
            if got.problem is not None:
                ng.kubelet_max_pods = Unknown(f"overrideBootstrapCommand: {got.problem}",
                                              f"{path}.overrideBootstrapCommand")
                return
            if got.max_pods is not None or got.expression is not None:
                ng.kubelet_max_pods, ng.max_pods_expression = got.max_pods, got.expression
                ng.max_pods_origin = f"eksctl overrideBootstrapCommand: {got.origin}" if got.origin else \
                    "eksctl overrideBootstrapCommand"
                return
            # AL2023 merges eksctl's maxPods NodeConfig with the override; on AL2 the override replaces it
            if "amazonlinux2023" not in family.lower() and family:
                if per_node or self._own_max_pods(ng, spec, path, family) is not None:
                    self.note(ng.name, "overrideBootstrapCommand replaces eksctl's bootstrap: maxPodsPerNode and "
                                       "kubeletExtraConfig are not applied")
                return
        if per_node:
            ng.kubelet_max_pods, ng.max_pods_origin = per_node, f"eksctl maxPodsPerNode {per_node}"
            return
        own = self._own_max_pods(ng, spec, path, family)
        if own is not None:
            ng.kubelet_max_pods, ng.max_pods_origin = own

    def _own_max_pods(self, ng: NodeGroup, spec: dict, path: str, family: str) -> tuple[Any, str] | None:
        """Max pods the node group's own kubelet settings give, which eksctl's maxPodsPerNode overrides
        (pkg/nodebootstrap): ``bottlerocket.settings.kubernetes.max-pods`` on Bottlerocket (setDerivedSettings
        writes max-pods over it), ``kubeletExtraConfig.maxPods`` on a self-managed Linux node group (AL2 and
        Ubuntu merge it into kubelet-config.json with jq, AL2023 puts it in the first NodeConfig, before the
        maxPodsPerNode one). A value kubelet or Bottlerocket would refuse is Unknown."""
        fam = family.lower()
        if fam == "bottlerocket":
            bottlerocket = spec.get("bottlerocket")
            settings = bottlerocket.get("settings") if isinstance(bottlerocket, dict) else None
            kube = settings.get("kubernetes") if isinstance(settings, dict) else None
            if not isinstance(kube, dict) or "max-pods" not in kube:
                return None
            return self._pods_value(kube["max-pods"], f"{path}.bottlerocket.settings.kubernetes.max-pods",
                                    "eksctl bottlerocket.settings.kubernetes.max-pods")
        if not ng.self_managed or fam.startswith("windows"):
            return None
        extra = spec.get("kubeletExtraConfig")
        if not isinstance(extra, dict) or "maxPods" not in extra:
            return None
        return self._pods_value(extra["maxPods"], f"{path}.kubeletExtraConfig.maxPods",
                                "eksctl kubeletExtraConfig.maxPods")

    @staticmethod
    def _pods_value(v: Any, where: str, origin: str) -> tuple[Any, str]:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2 ** 31:
            return Unknown(f"{where} is {str(v)[:40]!r}, not a whole number of pods: the node does not start "
                           "with it", where), origin
        return v, f"{origin} {v}"

    # Fargate -----------------------------------------------------------------------------------------------
    def _fargate(self, spec: dict, path: str) -> None:
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(f"{self.source}: {path}.name: every Fargate profile has a name")
        rid = f"fargateProfiles.{name}"
        loc = self.loc(path)
        self.plan.resource_locations[rid] = loc
        named = _sequence(spec.get("subnets"), f"{path}.subnets", self.source)
        subnets: Any
        if named:
            subnets = [self._subnet_id(str(s)) for s in named]
        elif self.created_vpc:
            # eksctl passes no subnets (pkg/fargate/create.go: the profile's own list) and EKS then uses the private
            # subnets among those the cluster was created with (its CreateFargateProfile error "No subnets were
            # given, and the subnets provided during cluster creation are all public"); on a VPC eksctl creates,
            # the private ones are those it carves with a NAT route and no internet gateway
            cl = self.plan.clusters.get(self.cluster_id)
            mine = set(cl.subnets) if cl is not None and isinstance(cl.subnets, list) else set()
            subnets = [r.id for r in self.subnets if r.topology == "private" and not r.local and r.id in mine]
            self.note(rid, "no subnets: EKS uses the cluster's private subnets (" + ", ".join(subnets) + ")")
            if not subnets:
                subnets = Unknown("the Fargate profile names no subnets and the cluster has no private subnet: EKS "
                                  "refuses the profile", path)
        else:
            subnets = Unknown(
                "the Fargate profile names no subnets: EKS then uses the private subnets the cluster was created "
                "with, and which of this existing VPC's subnets route to an internet gateway is not in the file; "
                "set subnets", path)
        self.plan.fargate_profiles.append(FargateProfile(name=rid, cluster=self.cluster_id, subnets=subnets,
                                                         location=loc))

    def _existing_placeholders(self) -> None:
        """Subnet ids named by node groups, profiles or ENIConfigs that vpc.subnets does not describe."""
        named: list[str] = []
        for ng in self.plan.nodegroups:
            if isinstance(ng.subnets, list):
                named += [s for s in ng.subnets if isinstance(s, str)]
        for fp in self.plan.fargate_profiles:
            if isinstance(fp.subnets, list):
                named += [s for s in fp.subnets if isinstance(s, str)]
        for cl in self.plan.clusters.values():
            if isinstance(cl.subnets, list):
                named += [s for s in cl.subnets if isinstance(s, str)]
            named += [v for v in cl.eni_configs.values() if isinstance(v, str)]
        for sid in named:
            if sid in self.plan.subnets:
                continue
            why = EXISTING if subnet_like(sid) else f"{sid!r} is neither a subnet of vpc.subnets nor a subnet-… id"
            self.plan.subnets[sid] = Subnet(id=sid, cidr=Unknown(why, sid), az=Unknown(why, sid),
                                            defined_in_plan=False, aws_id=sid if subnet_like(sid) else None,
                                            location=Location(file=self.source, path=sid))
