"""VPCs, subnets and what changes a subnet's free addresses: ``AWS::EC2::VPC`` / ``AWS::EC2::VPCCidrBlock``
-> :class:`Vpc`, ``AWS::EC2::Subnet`` / ``AWS::EC2::SubnetCidrBlock`` / ``AWS::EC2::SubnetCidrReservation``
-> :class:`Subnet` and its reservations.

A CIDR block EC2 would refuse (host bits set, ``10.0.0.1/24``; an IPv6 block in an IPv4 field; not a CIDR
at all) is an input error: CloudFormation's EC2 handler rejects it, so the template does not deploy, and
no figure podcap could print about that subnet would be true (docs/rules.md, "Input errors").
"""

from __future__ import annotations

import ipaddress

from podcap.model.plan import CidrReservation, Subnet, Vpc
from podcap.model.unknown import Unknown
from podcap.sources.cloudformation.base import MISSING, BuilderBase
from podcap.sources.safe_yaml import InputError

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# the canonical decimal text of each octet value and prefix length, as ipaddress writes them
_OCTETS = {str(i): i for i in range(256)}
_PREFIXES = {str(i): i for i in range(33)}


def canonical_ipv4_cidr(s: str) -> bool:
    """Whether ``s`` is an IPv4 CIDR block written as ``ipaddress`` writes one (decimal octets without
    leading zeros, a prefix length of 0-32 without one) with no host bits set: exactly the text
    :func:`_ipv4_cidr` accepts, decided by four dictionary look-ups rather than an ``ipaddress`` network (a
    template of hundreds of subnets has hundreds of them). Anything else goes the general way."""
    address, slash, length = s.partition("/")
    prefix = _PREFIXES.get(length)
    octets = address.split(".")
    if not slash or prefix is None or len(octets) != 4:
        return False
    value = 0
    for text in octets:
        octet = _OCTETS.get(text)
        if octet is None:
            return False
        value = (value << 8) | octet
    return value & ((1 << (32 - prefix)) - 1) == 0


def _ipv4_cidr(b: BuilderBase, value: Any, what: str, lid: str, where: str) -> str | Unknown:
    """A known IPv4 CIDR as EC2 accepts it (network address, prefix length), or InputError."""
    text = b.string(value, what, where)
    if isinstance(text, Unknown):
        return text
    s = text.strip()
    if canonical_ipv4_cidr(s):
        return s
    try:
        net = ipaddress.ip_network(s, strict=False)
    except ValueError:
        raise InputError(f"{b.source}: at {where}: {what} {text!r} of {lid} is not a CIDR block; "
                         "EC2 rejects it") from None
    if net.version != 4:
        raise InputError(f"{b.source}: at {where}: {what} {text!r} of {lid} is an IPv6 block in an IPv4 "
                         "field; EC2 rejects it (IPv6 blocks go in Ipv6CidrBlock / AWS::EC2::VPCCidrBlock)")
    if "/" not in s:
        raise InputError(f"{b.source}: at {where}: {what} {text!r} of {lid} has no prefix length; "
                         "EC2 rejects it")
    if str(net) != s:
        raise InputError(f"{b.source}: at {where}: {what} {text!r} of {lid} has host bits set (the block is "
                         f"{net}); EC2 rejects it")
    return s


def read_vpc(b: BuilderBase, lid: str, res: dict) -> None:
    where = b.w(lid, "Properties", "CidrBlock")
    cidr = b.prop(lid, res, "CidrBlock")
    if cidr is MISSING:
        ipam = b.raw_prop(lid, res, "Ipv4IpamPoolId") is not MISSING
        cidr = Unknown("the VPC gets its CIDR from an IPAM pool at deployment" if ipam
                       else "the VPC has no CidrBlock", where)
    rid = b.rid(lid)
    b.plan.vpcs[rid] = Vpc(id=rid, cidrs=[_ipv4_cidr(b, cidr, "CidrBlock", lid, where)],
                           location=b.plan.resource_locations[rid])


def read_vpc_cidr(b: BuilderBase, lid: str, res: dict) -> None:
    where = b.w(lid, "Properties", "CidrBlock")
    vpc = b.prop(lid, res, "VpcId")
    cidr = b.prop(lid, res, "CidrBlock")
    if cidr is MISSING:
        if b.raw_prop(lid, res, "Ipv4IpamPoolId") is not MISSING:
            cidr = Unknown("secondary CIDR from an IPAM pool at deployment", where)
        else:
            return  # an IPv6 block: not an IPv4 CIDR of the VPC
    b.pending.vpc_cidrs.append((vpc, _ipv4_cidr(b, cidr, "CidrBlock", lid, where), b.rid(lid)))


def read_subnet(b: BuilderBase, lid: str, res: dict) -> None:
    rid = b.rid(lid)
    prefix_length = None
    cidr = b.prop(lid, res, "CidrBlock")
    if cidr is MISSING:
        where = b.w(lid, "Properties", "CidrBlock")
        if b.raw_prop(lid, res, "Ipv4IpamPoolId") is not MISSING:
            cidr = Unknown("the subnet gets its CIDR from an IPAM pool at deployment", where)
            prefix_length = _netmask_length(b, lid, res)
        elif b.prop(lid, res, "Ipv6Native") in (True, "true"):
            cidr = Unknown("an IPv6-only subnet has no IPv4 CIDR", where)
        else:
            cidr = Unknown("the subnet has no CidrBlock", where)
    az = b.prop(lid, res, "AvailabilityZone")
    az_key = "AvailabilityZone"
    if az is MISSING:
        az = b.prop(lid, res, "AvailabilityZoneId")
        az_key = "AvailabilityZoneId"
    if az is MISSING:
        az = Unknown("no AZ given; EC2 picks one", b.w(lid, "Properties"))
    vpc = b.prop(lid, res, "VpcId")
    ipv6 = b.prop(lid, res, "Ipv6CidrBlock")
    b.plan.subnets[rid] = Subnet(
        id=rid,
        cidr=_ipv4_cidr_of(b, cidr, lid),
        az=b.prop_string(az, "AvailabilityZone", lid, az_key),
        vpc=None if vpc is MISSING else b.prop_string(vpc, "VpcId", lid, "VpcId"),
        ipv6_cidr=None if ipv6 is MISSING else b.prop_string(ipv6, "Ipv6CidrBlock", lid, "Ipv6CidrBlock"),
        location=b.plan.resource_locations[rid],
        tags=_tags(b.prop(lid, res, "Tags")),
        prefix_length=prefix_length,
    )


def _netmask_length(b: BuilderBase, lid: str, res: dict) -> int | None:
    """``Ipv4NetmaskLength`` of an IPAM-allocated subnet: the size EC2 gives it (aligned to that size). A value
    that cannot be read, or outside the /16 to /28 EC2 allows, leaves the size unknown, with a PC001."""
    where = b.w(lid, "Properties", "Ipv4NetmaskLength")
    v = b.prop(lid, res, "Ipv4NetmaskLength")
    if v is MISSING:
        b.unresolved(lid, Unknown("no Ipv4NetmaskLength: the IPAM pool's default allocation length decides the "
                                  "subnet's size", where))
        return None
    if isinstance(v, Unknown):
        b.unresolved(lid, Unknown(f"Ipv4NetmaskLength: {v.reason}", v.where or where))
        return None
    n = v if isinstance(v, int) and not isinstance(v, bool) else \
        int(v) if isinstance(v, str) and v.strip().isascii() and v.strip().isdigit() and len(v.strip()) < 4 else None
    if n is None or not 16 <= n <= 28:
        b.unresolved(lid, Unknown(f"Ipv4NetmaskLength {str(v)[:40]!r} is not a length EC2 gives a subnet "
                                  "(16 to 28)", where))
        return None
    return n


def _ipv4_cidr_of(b: BuilderBase, value: Any, lid: str) -> str | Unknown:
    """``_ipv4_cidr`` of a resource's ``CidrBlock``; a canonical block (:func:`canonical_ipv4_cidr`) is
    its own answer, and the where-path only an error or an Unknown would carry is not built for it."""
    if value.__class__ is str:
        s = value.strip()
        if canonical_ipv4_cidr(s):
            return s
    return _ipv4_cidr(b, value, "CidrBlock", lid, b.w(lid, "Properties", "CidrBlock"))


def _tags(tags: Any) -> dict[str, str]:
    """Known ``[{Key, Value}]`` tags (for selectors that pick subnets by tag); unknown ones are left out."""
    out: dict[str, str] = {}
    for t in tags if isinstance(tags, list) else []:
        if isinstance(t, dict) and isinstance(t.get("Key"), str) and isinstance(t.get("Value"), (str, int)):
            out[t["Key"]] = str(t["Value"])
    return out


def read_subnet_cidr(b: BuilderBase, lid: str, res: dict) -> None:
    where = b.w(lid, "Properties", "Ipv6CidrBlock")
    subnet = b.prop(lid, res, "SubnetId")
    v6 = b.prop(lid, res, "Ipv6CidrBlock")
    if v6 is MISSING:
        v6 = Unknown("IPv6 block from an IPAM pool at deployment", where)
    b.pending.subnet_ipv6.append((subnet, b.string(v6, "Ipv6CidrBlock", where), b.rid(lid)))


def read_reservation(b: BuilderBase, lid: str, res: dict) -> None:
    where = b.w(lid, "Properties", "Cidr")
    subnet = b.prop(lid, res, "SubnetId")
    cidr = b.prop(lid, res, "Cidr")
    if cidr is MISSING:
        cidr = Unknown("the reservation has no Cidr", where)
    rtype = b.prop(lid, res, "ReservationType")
    rtype = rtype.lower() if isinstance(rtype, str) and rtype.lower() in ("prefix", "explicit") else None
    if rtype is None:
        b.unresolved(lid, Unknown("ReservationType is not prefix or explicit; taken as explicit",
                                  b.w(lid, "Properties", "ReservationType")))
        rtype = "explicit"
    b.pending.reservations.append(
        (subnet, CidrReservation(cidr=b.string(cidr, "Cidr", where), type=rtype), b.rid(lid)))


# -- routes: which subnets are public ------------------------------------------------------------------------
# CreateFargateProfile accepts "only private subnets with no direct route to an Internet Gateway" (EKS API
# reference, FargateProfile subnets): a subnet is public when the route table associated with it has a route
# whose GatewayId is an internet gateway. A subnet with no association uses its VPC's main route table, which
# CloudFormation cannot give routes, so it is private.


def index_internet_gateway(b: BuilderBase, lid: str, res: dict) -> None:
    """``AWS::EC2::InternetGateway``: a gateway a route may name."""
    b.pending.internet_gateways.add(b.rid(lid))


def read_route(b: BuilderBase, lid: str, res: dict) -> None:
    """``AWS::EC2::Route`` with a ``GatewayId`` (an internet gateway of the input, or an existing ``igw-``)."""
    gateway = b.prop(lid, res, "GatewayId")
    if gateway is MISSING:
        return  # a NAT gateway, a peering ...: not an internet gateway
    if isinstance(gateway, Unknown):  # !GetAtt Igw.InternetGatewayId: the gateway's id, known at deployment
        gateway = _gateway_of_get_att(b, b.raw_prop(lid, res, "GatewayId")) or gateway
    table = b.prop(lid, res, "RouteTableId")
    dest = next((v for v in (b.prop(lid, res, k) for k in ("DestinationCidrBlock", "DestinationIpv6CidrBlock",
                                                              "DestinationPrefixListId"))
                 if isinstance(v, str)), "a destination")
    b.pending.routes.append((table, gateway, dest, b.rid(lid)))


def _gateway_of_get_att(b: BuilderBase, raw: Any) -> str | None:
    """The internet gateway of this template an ``Fn::GetAtt [Igw, InternetGatewayId]`` names (its id), or None."""
    arg = raw.get("Fn::GetAtt") if isinstance(raw, dict) and len(raw) == 1 else None
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if isinstance(arg, list) and len(arg) == 2 and arg[1] == "InternetGatewayId" and isinstance(arg[0], str):
        rid = b.rid(arg[0])
        return rid if rid in b.pending.internet_gateways else None
    return None


def read_route_association(b: BuilderBase, lid: str, res: dict) -> None:
    """``AWS::EC2::SubnetRouteTableAssociation``: the route table a subnet uses."""
    b.pending.route_associations.append((b.prop(lid, res, "SubnetId"), b.prop(lid, res, "RouteTableId")))


def mark_public_subnets(plan, pending) -> set[str] | None:
    """Set ``Subnet.internet_route`` on every subnet whose route table has a route to an internet gateway.

    Returns the subnets whether public or not the template does not decide (a route whose gateway, or an
    association whose route table, is unknown), or None when that could be any subnet."""
    public: dict[str, str] = {}
    undecided_tables: set[str] = set()
    for table, gateway, dest, rid in pending.routes:
        internet = isinstance(gateway, str) and (gateway in pending.internet_gateways or gateway.startswith("igw-"))
        if not isinstance(table, str):
            if internet or not isinstance(gateway, str):
                return None  # a route to the internet, or to an unknown gateway, in an unknown table
        elif internet:
            public.setdefault(table, f"route table {table} routes {dest} to internet gateway {gateway} ({rid})")
        elif not isinstance(gateway, str):
            undecided_tables.add(table)
    undecided: set[str] = set()
    associated: set[str] = set()
    for subnet, table in pending.route_associations:
        if not isinstance(subnet, str):
            return None
        associated.add(subnet)
        if not isinstance(table, str) or (table in undecided_tables and table not in public):
            undecided.add(subnet)
        elif table in public and subnet in plan.subnets:
            plan.subnets[subnet].internet_route = public[table]
    # a subnet with no association uses its VPC's main route table: local-only for a VPC the template
    # creates (CloudFormation cannot give it routes), unknown for an existing VPC
    undecided.update(sid for sid, sub in plan.subnets.items()
                     if sid not in associated and not (isinstance(sub.vpc, str) and sub.vpc in plan.vpcs))
    return undecided
