"""`podcap check --live`: fill in what only AWS knows, with read-only calls.

* Existing subnets (referenced by id, not created by the plan): CIDR, AZ, VPC, the addresses AWS counts
  in use, the in-use addresses themselves (ENI private IPs and the 16 addresses of every /28 prefix),
  and the subnet's CIDR reservations.
* Existing EKS clusters named in the plan: control-plane subnets, the managed node groups the plan does
  not declare (they share the subnets), and the vpc-cni add-on configuration.

Calls: ec2:DescribeSubnets, ec2:DescribeNetworkInterfaces, ec2:GetSubnetCidrReservations,
eks:DescribeCluster, eks:ListNodegroups, eks:DescribeNodegroup, eks:DescribeAddon. Nothing is written.

A subnet id AWS does not know stays Unknown ("subnet subnet-… not found in <region>"): podcap fails
closed rather than guess. Credentials, permissions, throttling and endpoint problems become one
:class:`~podcap.aws_clients.AwsAccessError` whose message is `explain_aws_error` (one line).
"""
from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from typing import Any

from podcap import aws_clients
from podcap.aws_clients import AwsAccessError
from podcap.model.plan import CidrReservation, Cluster, Location, NodeGroup, Plan, Subnet
from podcap.model.unknown import Unknown
from podcap.sources._common import referenced_subnet_ids

_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
FILTER_BATCH = 100  # values per subnet-id filter (EC2 accepts up to 200)
AWS_RESERVED = 5


def subnet_id_like(s: object) -> bool:
    """True for an EC2 subnet id: ``subnet-`` and 8 or 17 lowercase hex digits."""
    return isinstance(s, str) and bool(_SUBNET_ID.match(s))


def _aws_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _code(exc: BaseException) -> str:
    resp = getattr(exc, "response", None) or {}
    return str((resp.get("Error") or {}).get("Code", ""))


def _batches(items: list[str], n: int | None = None) -> Iterator[list[str]]:
    n = n or FILTER_BATCH
    for i in range(0, len(items), n):
        yield items[i:i + n]


def enrich_plan(plan: Plan, region: str | None = None, profile: str | None = None) -> list[str]:
    """Fill the plan's existing subnets and clusters from AWS; returns one note per thing read.

    Raises :class:`AwsAccessError` (one line, no credentials in it) when AWS cannot be read.
    """
    notes: list[str] = []
    errors = _aws_errors()
    try:
        named = [c for c in plan.clusters.values() if isinstance(c.name, str) and c.name]
        if named:
            eks = aws_clients.client("eks", region=region, profile=profile)
            for cluster in named:
                _enrich_cluster(plan, cluster, eks, notes)
        targets = _subnet_targets(plan)
        if targets:
            ec2 = aws_clients.client("ec2", region=region, profile=profile)
            _enrich_subnets(plan, targets, ec2, notes)
    except AwsAccessError:
        raise
    except errors as e:
        raise AwsAccessError.from_exception(e) from None
    return notes


# --------------------------------------------------------------------------- subnets


def _aws_id(s: Subnet) -> str | None:
    if subnet_id_like(s.aws_id):
        return s.aws_id
    if subnet_id_like(s.id):
        return s.id
    return None


def _subnet_targets(plan: Plan) -> dict[str, list[Subnet]]:
    """subnet-… id -> the plan subnets to fill from it.

    Subnet ids a node group, cluster or ENIConfig references but the plan does not define are added to
    the plan as existing subnets first (analysis would add them as unknowns otherwise).
    """
    known_aws_ids = {s.aws_id for s in plan.subnets.values() if s.aws_id}
    for ref in referenced_subnet_ids(plan):
        if ref in plan.subnets or ref in known_aws_ids or not subnet_id_like(ref):
            continue
        plan.subnets[ref] = Subnet(
            id=ref, cidr=Unknown("existing subnet not read from AWS", ref),
            az=Unknown("existing subnet not read from AWS", ref),
            aws_id=ref, defined_in_plan=False, location=Location(path=f"live:ec2/{ref}"))
        known_aws_ids.add(ref)
    targets: dict[str, list[Subnet]] = {}
    for s in plan.subnets.values():
        if s.defined_in_plan and not isinstance(s.cidr, Unknown) and not isinstance(s.az, Unknown):
            continue
        aid = _aws_id(s)
        if aid is not None:
            targets.setdefault(aid, []).append(s)
    return targets


def _paginate(client: Any, op: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
    """Items of a paginated call: the boto3 paginator when there is one, else a NextToken loop."""
    if client.can_paginate(op):
        for page in client.get_paginator(op).paginate(**kwargs):
            yield from page.get(result_key, [])
        return
    call = getattr(client, op)
    token = None
    while True:
        resp = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from resp.get(result_key, [])
        token = resp.get("NextToken")
        if not token:
            return


def eni_addresses(eni: dict) -> list[str]:
    """Every address an ENI holds: its private IPs and the 16 addresses of each /28 prefix."""
    out: list[str] = []
    for p in eni.get("PrivateIpAddresses") or []:
        if p.get("PrivateIpAddress"):
            out.append(p["PrivateIpAddress"])
    if not eni.get("PrivateIpAddresses") and eni.get("PrivateIpAddress"):
        out.append(eni["PrivateIpAddress"])
    for p in eni.get("Ipv4Prefixes") or []:
        prefix = p.get("Ipv4Prefix")
        if prefix:
            out.extend(str(a) for a in ipaddress.IPv4Network(prefix, strict=False))
    return out


def _enrich_subnets(plan: Plan, targets: dict[str, list[Subnet]], ec2: Any, notes: list[str]) -> None:
    region = ec2.meta.region_name
    ids = sorted(targets)
    found: dict[str, dict] = {}
    for batch in _batches(ids):
        for sub in _paginate(ec2, "describe_subnets", "Subnets",
                             Filters=[{"Name": "subnet-id", "Values": batch}]):
            found[sub["SubnetId"]] = sub

    for aid in ids:
        if aid not in found:
            why = f"subnet {aid} not found in {region}"
            for s in targets[aid]:
                if isinstance(s.cidr, Unknown):
                    s.cidr = Unknown(why, s.id)
                if isinstance(s.az, Unknown):
                    s.az = Unknown(why, s.id)
                s.used_addresses = Unknown(why, s.id)
            notes.append(f"{why}: left unknown")

    present = [aid for aid in ids if aid in found]
    used: dict[str, list[str]] = {aid: [] for aid in present}
    enis: dict[str, int] = {aid: 0 for aid in present}
    for batch in _batches(present):
        for eni in _paginate(ec2, "describe_network_interfaces", "NetworkInterfaces",
                             Filters=[{"Name": "subnet-id", "Values": batch}]):
            sid = eni.get("SubnetId")
            if sid in used:
                used[sid].extend(eni_addresses(eni))
                enis[sid] += 1

    for aid in present:
        sub = found[aid]
        cidr = sub["CidrBlock"]
        size = ipaddress.IPv4Network(cidr, strict=False).num_addresses
        available = int(sub.get("AvailableIpAddressCount", 0))
        aws_used = max(size - AWS_RESERVED - available, 0)
        ips = sorted(set(used[aid]), key=lambda a: int(ipaddress.IPv4Address(a)))
        reservations = [
            CidrReservation(cidr=r["Cidr"], type=r.get("ReservationType", "prefix"))
            for r in _paginate(ec2, "get_subnet_cidr_reservations", "SubnetIpv4CidrReservations", SubnetId=aid)
            if r.get("Cidr")
        ]
        ipv6 = next((a.get("Ipv6CidrBlock") for a in sub.get("Ipv6CidrBlockAssociationSet") or []
                     if (a.get("Ipv6CidrBlockState") or {}).get("State") == "associated"), None)
        for s in targets[aid]:
            if not isinstance(s.cidr, Unknown) and s.cidr != cidr:
                notes.append(f"{s.id}: the plan says {s.cidr}, AWS says {cidr}; using AWS's")
            s.cidr = cidr
            s.az = sub["AvailabilityZone"]
            s.vpc = sub.get("VpcId")
            s.aws_id = aid
            s.used_addresses = aws_used
            s.used_ips = ips
            if ipv6 and (s.ipv6_cidr is None or isinstance(s.ipv6_cidr, Unknown)):
                s.ipv6_cidr = ipv6
            have = {str(r.cidr) for r in s.reservations}
            s.reservations.extend(r for r in reservations if r.cidr not in have)
        label = aid if [s.id for s in targets[aid]] == [aid] else f"{aid} ({', '.join(s.id for s in targets[aid])})"
        note = (f"subnet {label}: {cidr} in {sub['AvailabilityZone']} ({sub.get('VpcId')}), "
                f"{aws_used} addresses in use per AvailableIpAddressCount={available}, "
                f"{len(ips)} held by {enis[aid]} ENIs")
        if reservations:
            note += ", reservations " + ", ".join(f"{r.cidr} ({r.type})" for r in reservations)
        notes.append(note)


# --------------------------------------------------------------------------- EKS


def _enrich_cluster(plan: Plan, cluster: Cluster, eks: Any, notes: list[str]) -> None:
    errors = _aws_errors()
    name = str(cluster.name)
    region = eks.meta.region_name
    try:
        desc = eks.describe_cluster(name=name)["cluster"]
    except errors as e:
        if _code(e) == "ResourceNotFoundException":
            notes.append(f"EKS cluster {name} not found in {region}: a new cluster")
            return
        raise
    vpc_cfg = desc.get("resourcesVpcConfig") or {}
    live_subnets = list(vpc_cfg.get("subnetIds") or [])
    if live_subnets and (isinstance(cluster.subnets, Unknown) or not cluster.subnets):
        cluster.subnets = list(live_subnets)
    family = (desc.get("kubernetesNetworkConfig") or {}).get("ipFamily")
    if family in ("ipv4", "ipv6") and family != cluster.ip_family:
        notes.append(f"EKS cluster {name} is {family} (the IP family of a cluster cannot change); using {family}")
        cluster.ip_family = family

    existing = {ng.name for ng in plan.nodegroups}
    by_aws_id = {s.aws_id: s.id for s in plan.subnets.values() if s.aws_id}
    added = []
    for ng_name in _paginate(eks, "list_nodegroups", "nodegroups", clusterName=name):
        if ng_name in existing:
            continue
        ng = eks.describe_nodegroup(clusterName=name, nodegroupName=ng_name)["nodegroup"]
        plan.nodegroups.append(_nodegroup(cluster, name, ng, by_aws_id))
        added.append(ng_name)

    env_note = _read_addon(cluster, name, eks, by_aws_id)
    notes.append(f"EKS cluster {name}: {len(live_subnets)} control-plane subnets"
                 + (f", existing node groups added: {', '.join(added)}" if added else ", no node group added")
                 + f"; {env_note}")


def _nodegroup(cluster: Cluster, cluster_name: str, ng: dict, by_aws_id: dict[str, str]) -> NodeGroup:
    ng_name = ng["nodegroupName"]
    path = f"live:eks/{cluster_name}/{ng_name}"
    scaling = ng.get("scalingConfig") or {}
    update = ng.get("updateConfig") or {}
    lt = ng.get("launchTemplate") or {}
    lt_label = lt.get("name") or lt.get("id") or "?"
    if ng.get("instanceTypes"):
        types: Any = list(ng["instanceTypes"])
    elif lt:
        types = Unknown(f"instance type set in launch template {lt_label}, which --live does not read", path)
    else:
        types = Unknown("DescribeNodegroup returned no instance types", path)

    def size(key: str) -> Any:
        v = scaling.get(key)
        return int(v) if v is not None else Unknown(f"DescribeNodegroup returned no {key}", path)

    kubelet = None
    if lt:
        kubelet = Unknown(f"launch template {lt_label} (version {lt.get('version', '?')}) may set max-pods in its "
                          "user data, which --live does not read", path)
    return NodeGroup(
        name=ng_name,
        cluster=cluster.id,
        instance_types=types,
        subnets=[by_aws_id.get(s, s) for s in ng.get("subnets") or []],
        min_size=size("minSize"),
        desired_size=size("desiredSize"),
        max_size=size("maxSize"),
        max_unavailable=update.get("maxUnavailable"),
        max_unavailable_percentage=update.get("maxUnavailablePercentage"),
        kubelet_max_pods=kubelet,
        ami_type=ng.get("amiType"),
        capacity_type=ng.get("capacityType"),
        location=Location(path=path),
    )


def parse_configuration_values(text: str) -> dict:
    """An add-on's configurationValues: JSON, or YAML (EKS accepts both)."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        import yaml

        value = yaml.safe_load(text)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("configurationValues is not an object")
    return value


def _read_addon(cluster: Cluster, name: str, eks: Any, by_aws_id: dict[str, str]) -> str:
    """Set cluster.cni_env (and eni_configs) from the vpc-cni add-on when the plan does not state them.

    Returns a note.
    """
    errors = _aws_errors()
    try:
        addon = eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]
    except errors as e:
        if _code(e) != "ResourceNotFoundException":
            raise
        if cluster.cni_env is None:
            cluster.cni_env = Unknown(
                f"vpc-cni is not an EKS add-on on cluster {name}: the self-managed aws-node DaemonSet's "
                "environment cannot be read through the AWS API", f"live:eks/{name}/addons/vpc-cni")
            return "no vpc-cni add-on (self-managed aws-node: settings unknown)"
        return "no vpc-cni add-on; the plan's aws-node settings kept"
    version = addon.get("addonVersion", "?")
    if cluster.cni_env is not None:
        return f"vpc-cni add-on {version} (the plan's aws-node settings kept)"
    where = f"live:eks/{name}/addons/vpc-cni"
    try:
        config = parse_configuration_values(addon.get("configurationValues") or "")
        env = config.get("env") or {}
        if not isinstance(env, dict):
            raise ValueError("env is not a map")
    except Exception as e:
        cluster.cni_env = Unknown(f"vpc-cni add-on configurationValues unreadable: {e}", where)
        return f"vpc-cni add-on {version} with unreadable configurationValues"
    eni_subnets = (config.get("eniConfig") or {}).get("subnets") if isinstance(config.get("eniConfig"), dict) else None
    if not cluster.eni_configs and isinstance(eni_subnets, dict):
        for az, v in eni_subnets.items():
            sid = v.get("id") if isinstance(v, dict) else None
            cluster.eni_configs[str(az)] = by_aws_id.get(sid, sid) if isinstance(sid, str) else \
                Unknown(f"eniConfig for {az} has no subnet id", where)
    cni_env = {str(k): _env_str(v) for k, v in env.items()}
    cluster.cni_env = cni_env
    return (f"vpc-cni add-on {version}, env " + (", ".join(f"{k}={v}" for k, v in cni_env.items())
                                                 if cni_env else "not set (add-on defaults)"))


def _env_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

