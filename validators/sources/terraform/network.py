"""Network resources of a Terraform plan: ``aws_vpc`` (+ ``aws_vpc_ipv4_cidr_block_association``) ->
:class:`Vpc`, ``aws_subnet`` (+ ``aws_ec2_subnet_cidr_reservation``) -> :class:`Subnet`, ``data.aws_subnet``
(an existing subnet read while planning) -> :class:`Subnet` with ``defined_in_plan=False``, and the
placeholders for existing subnets the plan only references."""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from podcap.engine.blocks import AWS_RESERVED
from podcap.model.plan import CidrReservation, Location, Subnet, Vpc
from podcap.model.unknown import Unknown
from podcap.sources._common import referenced_subnet_ids, subnet_like
from podcap.sources.terraform.plan import (
    AFTER_APPLY,
    EXISTING_SUBNET,
    INT32,
    Builder,
    Lit,
    Res,
    ResItem,
    _is_subnet_ref,
    _is_type_ref,
    _where,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# an AZ name (us-east-1a, us-west-2-lax-1a, …) or AZ id (use1-az1): lower-case words joined by hyphens
_AZ = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")


def cidr(b: Builder, res: Res, attr: str) -> Any:
    """A CIDR attribute: the text, or Unknown saying why (after apply, an IPAM pool, absent)."""
    v = res.values.get(attr)
    if v.__class__ is str and v:  # the usual case, which needs no where-path
        return v
    where = _where(res.address, (attr,))
    if isinstance(v, Unknown):
        return Unknown(f"{AFTER_APPLY}{b.computed_from(res, (attr,))}", where)
    if isinstance(v, str) and v:
        return v
    if v is None and isinstance(res.values.get("ipv4_ipam_pool_id"), (str, Unknown)):
        return Unknown(f"{AFTER_APPLY}: allocated from an IPAM pool", where)
    if v is not None and v != "":
        return Unknown(f"{attr} is not a CIDR: {v!r}", where)
    return Unknown(f"no {attr} in the plan", where)


def read_vpc(b: Builder, res: Res) -> None:
    """``aws_vpc``: its primary CIDR (secondary ones come from the associations)."""
    b.plan.vpcs[res.address] = Vpc(id=res.address, cidrs=[cidr(b, res, "cidr_block")], location=b.loc(res))


def vpc_ref(b: Builder, res: Res) -> Any:
    """The VPC (plan address or vpc-… id) a resource's ``vpc_id`` names, None, or Unknown."""
    got = b.single(res, ("vpc_id",), _is_type_ref("aws_vpc"), "a VPC")
    if got is None:
        return None
    if isinstance(got, Unknown):
        return got
    if isinstance(got, ResItem):
        return got.res.address
    if isinstance(got.value, str):
        return b.vpc_by_aws_id.get(got.value, got.value)
    return Unknown(f"vpc_id is not a VPC id: {got.value!r}", _where(res.address, ("vpc_id",)))


def read_vpc_cidr(b: Builder, res: Res) -> None:
    """``aws_vpc_ipv4_cidr_block_association``: a secondary CIDR of its VPC."""
    vpc = vpc_ref(b, res)
    block = cidr(b, res, "cidr_block")
    if isinstance(vpc, str) and vpc in b.plan.vpcs:
        b.plan.vpcs[vpc].cidrs.append(block)
    elif isinstance(vpc, Unknown):
        b.unresolved(res.address, Unknown(f"secondary CIDR of a VPC podcap cannot identify: {vpc.reason}",
                                          vpc.where))


def read_subnet(b: Builder, res: Res) -> None:
    """``aws_subnet``: CIDR, AZ (name, else AZ id), VPC, IPv6 CIDR and the subnet-… id when known."""
    v = res.values
    a = res.address
    az: Any = v.get("availability_zone")
    az_id = v.get("availability_zone_id")
    if not (isinstance(az, str) and az):
        if isinstance(az_id, str) and az_id:
            az = az_id
        elif isinstance(az, Unknown) or isinstance(az_id, Unknown):
            az = Unknown(f"{AFTER_APPLY}{b.computed_from(res, ('availability_zone',))}",
                         _where(a, ("availability_zone",)))
        elif az not in (None, ""):
            az = Unknown(f"availability_zone is not an AZ name: {az!r}", _where(a, ("availability_zone",)))
        else:
            az = Unknown("no availability_zone in the plan", _where(a, ("availability_zone",)))
    v6 = v.get("ipv6_cidr_block")
    if isinstance(v6, Unknown):
        v6 = Unknown(AFTER_APPLY, _where(a, ("ipv6_cidr_block",)))
    elif not (isinstance(v6, str) and v6):
        v6 = None
    aid = v.get("id")
    block = cidr(b, res, "cidr_block")
    b.plan.subnets[a] = Subnet(
        id=a,
        cidr=block,
        az=az,
        vpc=vpc_ref(b, res),
        ipv6_cidr=v6,
        aws_id=aid if isinstance(aid, str) and aid else None,
        location=b.loc(res),
        tags=_tags(v),
        prefix_length=_ipam_length(b, res) if isinstance(block, Unknown) else None,
    )


def _ipam_length(b: Builder, res: Res) -> int | None:
    """``ipv4_netmask_length`` of a subnet an IPAM pool allocates: EC2 gives it a block of that length, aligned
    to it, so its size is known before its CIDR. A length EC2 refuses (outside 16 to 28) is a PC001."""
    if not isinstance(res.values.get("ipv4_ipam_pool_id"), (str, Unknown)):
        return None
    n = res.values.get("ipv4_netmask_length")
    where = _where(res.address, ("ipv4_netmask_length",))
    if isinstance(n, Unknown):
        b.unresolved(res.address, Unknown(f"ipv4_netmask_length {AFTER_APPLY}", where))
        return None
    if n is None:
        b.unresolved(res.address, Unknown("no ipv4_netmask_length: the IPAM pool's default allocation length "
                                          "decides the subnet's size", where))
        return None
    if isinstance(n, bool) or not isinstance(n, int) or not 16 <= n <= 28:
        b.unresolved(res.address, Unknown(f"ipv4_netmask_length {_shown(n)} is not a length EC2 gives a subnet "
                                          "(16 to 28)", where))
        return None
    return n


def read_data_subnet(b: Builder, res: Res) -> None:
    """``data.aws_subnet``: an existing subnet whose figures the plan carries (a data source read while
    planning): CIDR, AZ, VPC, IPv6 CIDR, tags, and the addresses already in use (size - 5 -
    ``available_ip_address_count``, as :mod:`podcap.sources.live` counts AWS's AvailableIpAddressCount).

    Node groups, clusters and Fargate profiles name it by its subnet-… id (:meth:`Builder.subnet_id` maps
    the id to this data source's address) or by reference (``data.aws_subnet.x.id``, a for expression over
    ``data.aws_subnet.x``). A data source read only at apply (its id unknown) is left alone: what refers to
    it stays unknown. A value that is not what AWS writes is an Unknown saying so, never a guess."""
    v = res.values
    a = res.address
    aid = v.get("id")
    if not (isinstance(aid, str) and aid):
        return  # read only at apply (or no id): references to it are unknown (Builder.expand says why)
    canonical = b.subnet_by_aws_id.get(aid)
    if canonical != a:  # another data source, or a subnet the plan manages, describes the same subnet
        b.plan.notes.append((a, f"reads subnet {aid}, which {canonical} also describes: judged once, as that"))
        return

    def where(attr: str) -> str:
        return _where(a, (attr,))

    label = f"data source {a}"
    net, block = _data_cidr(v.get("cidr_block"), label, where("cidr_block"))
    b.plan.subnets[a] = Subnet(
        id=a,
        cidr=block,
        az=_data_az(v, label, where),
        vpc=_data_vpc(b, v.get("vpc_id"), label, where("vpc_id")),
        ipv6_cidr=_data_ipv6(v.get("ipv6_cidr_block"), label, where("ipv6_cidr_block")),
        aws_id=aid if subnet_like(aid) else None,
        defined_in_plan=False,
        used_addresses=_data_used(net, v.get("available_ip_address_count"), label,
                                  where("available_ip_address_count"), block),
        location=Location(file=b.source, path=a),
        tags=_tags(v),
    )


def _shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else f"{text[:50]}… ({len(text)} characters)"


def _data_cidr(v: Any, label: str, where: str) -> tuple[ipaddress.IPv4Network | None, Any]:
    if isinstance(v, Unknown):
        return None, Unknown(f"{AFTER_APPLY}: cidr_block of {label}", where)
    if v is None or v == "":
        return None, Unknown(f"{label} has no cidr_block in the plan; use --live", where)
    net = None
    if isinstance(v, str) and len(v) <= 18 and v.isascii():
        try:
            net = ipaddress.IPv4Network(v, strict=True)
        except ValueError:
            net = None
    if net is None:
        return None, Unknown(f"cidr_block of {label} is not an IPv4 CIDR: {_shown(v)}", where)
    return net, str(net)


def _data_az(v: dict, label: str, where: Callable[[str], str]) -> Any:
    """The AZ name, else (when the name is absent) the AZ id, as ``read_subnet`` takes them."""
    az, az_id = v.get("availability_zone"), v.get("availability_zone_id")
    key, value = ("availability_zone", az) if az not in (None, "") else ("availability_zone_id", az_id)
    if isinstance(value, str) and len(value) <= 64 and _AZ.fullmatch(value):
        return value
    if isinstance(value, Unknown):
        return Unknown(f"{AFTER_APPLY}: {key} of {label}", where(key))
    if value not in (None, ""):
        return Unknown(f"{key} of {label} is not an AZ: {_shown(value)}", where(key))
    return Unknown(f"{label} has no availability_zone in the plan; use --live", where("availability_zone"))


def _data_vpc(b: Builder, v: Any, label: str, where: str) -> Any:
    if v is None or v == "":
        return None
    if isinstance(v, Unknown):
        return Unknown(f"{AFTER_APPLY}: vpc_id of {label}", where)
    if isinstance(v, str) and len(v) <= 64 and v.isascii() and v.isprintable():
        return b.vpc_by_aws_id.get(v, v)
    return Unknown(f"vpc_id of {label} is not a VPC id: {_shown(v)}", where)


def _data_ipv6(v: Any, label: str, where: str) -> Any:
    if v is None or v == "":
        return None  # no IPv6 block (the data source writes "")
    if isinstance(v, Unknown):
        return Unknown(f"{AFTER_APPLY}: ipv6_cidr_block of {label}", where)
    if isinstance(v, str) and len(v) <= 43 and v.isascii():
        try:
            return str(ipaddress.IPv6Network(v, strict=True))
        except ValueError:
            pass
    return Unknown(f"ipv6_cidr_block of {label} is not an IPv6 CIDR: {_shown(v)}", where)


def _data_used(net: ipaddress.IPv4Network | None, v: Any, label: str, where: str, block: Any) -> Any:
    """Addresses in use = usable (size - 5) - ``available_ip_address_count``; Unknown when the count is
    absent, not a count, or more than the subnet can hold (never a negative figure)."""
    if net is None:
        return Unknown(f"addresses in use in {label}: its CIDR is unknown ({block.reason})", where)
    usable = max(net.num_addresses - AWS_RESERVED, 0)
    if isinstance(v, Unknown):
        return Unknown(f"{AFTER_APPLY}: available_ip_address_count of {label}", where)
    if v is None:
        return Unknown(f"{label} has no available_ip_address_count: the addresses already in use in {net} are "
                       "unknown; use --live", where)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < INT32:
        return Unknown(f"available_ip_address_count of {label} is not a count: {_shown(v)}", where)
    if v > usable:
        return Unknown(f"available_ip_address_count of {label} is {v}, more than the {usable} usable addresses "
                       f"of {net} ({net.num_addresses} addresses, {AWS_RESERVED} AWS-reserved)", where)
    return usable - v


def _tags(values: dict) -> dict[str, str]:
    """The subnet's known tags (``tags_all``: with the provider's default_tags, else ``tags``), for
    selectors that pick subnets by tag (Karpenter and Auto Mode ``subnetSelectorTerms``)."""
    for key in ("tags_all", "tags"):
        tags = values.get(key)
        if isinstance(tags, dict) and tags:
            if set(map(type, tags.values())) == {str} and set(map(type, tags)) == {str}:
                return dict(tags)  # the usual case, without a Python-level loop per tag
            return {str(k): v for k, v in tags.items() if isinstance(v, str)}
    return {}


def read_reservation(b: Builder, res: Res) -> None:
    """``aws_ec2_subnet_cidr_reservation``: a range VPC CNI cannot give pods (prefix: kept for /28s)."""
    a = res.address
    got = b.single(res, ("subnet_id",), _is_subnet_ref, "a subnet")
    subnet: Any = None
    if isinstance(got, ResItem):
        subnet = got.res.address
    elif isinstance(got, Lit) and isinstance(got.value, str):
        subnet = b.subnet_by_aws_id.get(got.value, got.value)
    if subnet is None or subnet not in b.plan.subnets:
        why = got.reason if isinstance(got, Unknown) else "its subnet is not created by the plan"
        b.unresolved(a, Unknown(f"CIDR reservation not applied: {why}", _where(a, ("subnet_id",))))
        return
    rtype = res.values.get("reservation_type")
    if rtype not in ("prefix", "explicit"):
        b.unresolved(a, Unknown(f"reservation_type {rtype!r} is not prefix or explicit; taken as explicit",
                                _where(a, ("reservation_type",))))
        rtype = "explicit"
    b.plan.subnets[subnet].reservations.append(CidrReservation(cidr=cidr(b, res, "cidr_block"), type=rtype))


def add_existing_subnets(b: Builder) -> None:
    """A placeholder, unknown, for every subnet the plan references but does not create (``subnet-…`` ids
    of existing subnets, and anything else that names no subnet of the plan)."""
    fargate = [s for fp in b.plan.fargate_profiles if isinstance(fp.subnets, list)
               for s in fp.subnets if isinstance(s, str)]
    for sid in referenced_subnet_ids(b.plan) + fargate:
        if sid in b.plan.subnets:
            continue
        where, owner = b.referrers.get(sid, (sid, ""))
        if subnet_like(sid):
            reason = EXISTING_SUBNET
        elif sid in b.deleted:
            reason = f"{sid} is destroyed by this plan"
        else:
            reason = f"{sid!r} is neither a subnet the plan creates nor a subnet-… id; use --live"
        b.plan.subnets[sid] = Subnet(
            id=sid,
            cidr=Unknown(reason, where),
            az=Unknown(reason, where),
            defined_in_plan=False,
            aws_id=sid if subnet_like(sid) else None,
            location=Location(file=b.source, path=owner or sid),
        )



# -- routes: which subnets are public (PC504: CreateFargateProfile accepts only private subnets) ------------


def _target(got: Any) -> str | None:
    """The resource address (or literal id) a reference resolved to, or None."""
    if isinstance(got, ResItem):
        return got.res.address
    if isinstance(got, Lit) and isinstance(got.value, str) and got.value:
        return got.value
    return None


def _internet_gateway(b: Builder, res: Res, path: tuple) -> str | None:
    got = b.single(res, path, _is_type_ref("aws_internet_gateway"), "an internet gateway")
    gateway = _target(got)
    if isinstance(got, ResItem) or (gateway is not None and gateway.startswith("igw-")):
        return gateway
    return None


def mark_public_subnets(b: Builder) -> None:
    """``Subnet.internet_route`` of every subnet whose route table (``aws_route_table_association``) has a
    route to an internet gateway: an ``aws_route``, or a ``route`` of the ``aws_route_table`` itself, whose
    ``gateway_id`` is an ``aws_internet_gateway`` of the plan or an existing ``igw-`` id."""
    public: dict[str, str] = {}
    for res in b.by_type.get("aws_route", []):
        gateway = _internet_gateway(b, res, ("gateway_id",))
        table = _target(b.single(res, ("route_table_id",), _is_type_ref("aws_route_table"), "a route table"))
        if gateway is not None and table is not None and table not in public:
            dest = next((v for v in (res.values.get(k) for k in ("destination_cidr_block",
                         "destination_ipv6_cidr_block", "destination_prefix_list_id")) if isinstance(v, str) and v),
                        "a destination")
            public[table] = f"route table {table} routes {dest} to internet gateway {gateway} ({res.address})"
    for res in b.by_type.get("aws_route_table", []):
        routes = res.values.get("route")
        for i, route in enumerate(routes if isinstance(routes, list) else []):
            gateway = _internet_gateway(b, res, ("route", i, "gateway_id")) if isinstance(route, dict) else None
            if gateway is not None and res.address not in public:
                dest = route.get("cidr_block") or route.get("ipv6_cidr_block") or "a destination"
                public[res.address] = f"route table {res.address} routes {dest} to internet gateway {gateway}"
        table_id = res.values.get("id")
        if isinstance(table_id, str) and res.address in public:
            public.setdefault(table_id, public[res.address])
    for res in b.by_type.get("aws_route_table_association", []):
        table = _target(b.single(res, ("route_table_id",), _is_type_ref("aws_route_table"), "a route table"))
        subnet = _target(b.single(res, ("subnet_id",), _is_subnet_ref, "a subnet"))
        if table in public and subnet is not None:
            s = b.plan.subnets.get(b.subnet_by_aws_id.get(subnet, subnet))
            if s is not None:
                s.internet_route = public[table]
