"""PodcapNetwork: a VPC whose every CIDR is a literal in the template.

Built from L1 resources (``CfnVPC``, ``CfnVPCCidrBlock``, ``CfnSubnet``, ``CfnSubnetCidrReservation``) rather
than ``ec2.Vpc``: the L2 splits its CIDR with its own planner and may change the split between CDK versions,
while here each subnet gets exactly the block it is given (or the next free aligned block of the mask it
asks for, computed in Python at synth). podcap then reads the same numbers back from the template.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aws_cdk import Acknowledgment, Fn, Tags, Validations
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

_ABSTRACT_AZ = re.compile(r"^az-(\d+)$")
_ID_SAFE = re.compile(r"[^A-Za-z0-9]")
FIXED_AZ_RULE = "CloudFormation-Validate::W3010"  # "Avoid hardcoding availability zones"


@dataclass(frozen=True)
class Reservation:
    """A subnet CIDR reservation. ``prefix`` keeps the range free for /28 prefixes (prefix delegation);
    ``explicit`` keeps it for addresses you assign yourself."""

    cidr: str
    type: str = "prefix"

    def __post_init__(self) -> None:
        if self.type not in ("prefix", "explicit"):
            raise ValueError(f"reservation type must be 'prefix' or 'explicit', not {self.type!r}")


@dataclass(frozen=True)
class SubnetSpec:
    """One subnet: a ``cidr`` or a ``mask`` (the next free aligned block of that size is taken).

    ``az`` is an AZ name (``us-east-1a``) or ``az-N``, the N-th AZ of the stack's region (``Fn::GetAZs``),
    which keeps the stack environment-agnostic.
    """

    name: str
    az: str
    cidr: str | None = None
    mask: int | None = None
    reservations: Sequence[Reservation] = ()

    def __post_init__(self) -> None:
        if self.cidr is None and self.mask is None:
            raise ValueError(f"subnet {self.name!r}: give a cidr or a mask")
        if self.mask is not None and not 16 <= self.mask <= 28:
            raise ValueError(f"subnet {self.name!r}: mask /{self.mask} is outside /16../28")
        if self.cidr is not None:
            net = ipaddress.IPv4Network(self.cidr, strict=True)  # raises on a malformed block
            if self.mask is not None and net.prefixlen != self.mask:
                raise ValueError(f"subnet {self.name!r}: cidr {self.cidr} is not a /{self.mask}")


def unique_id(scope: Construct, base: str, first: int = 2) -> str:
    """``base``, or when a child of ``scope`` already has that id, ``base`` followed by the first free number
    from ``first`` on: construct ids made from names (``nodes-a`` and ``nodes_a`` both give ``NodesA``) stay
    distinct, and ids of names that do not collide never change."""
    taken = {c.node.id for c in scope.node.children}
    if base not in taken:
        return base
    n = first
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _allocate(specs: Sequence[SubnetSpec], pools: Sequence[ipaddress.IPv4Network],
              taken: list[ipaddress.IPv4Network]) -> list[SubnetSpec]:
    """Give each mask-only spec the lowest aligned block of its size, in ``pools`` order, that overlaps
    nothing in ``taken`` (which it then joins)."""
    out = []
    for s in specs:
        if s.cidr is not None:
            out.append(s)
            continue
        found = None
        for pool in pools:
            if s.mask < pool.prefixlen:
                continue
            for cand in pool.subnets(new_prefix=s.mask):
                if not any(cand.overlaps(t) for t in taken):
                    found = cand
                    break
            if found:
                break
        if found is None:
            where = ", ".join(map(str, pools)) or "no CIDR"
            raise ValueError(f"subnet {s.name!r}: no free /{s.mask} left in {where}")
        taken.append(found)
        out.append(replace(s, cidr=str(found)))
    return out


class PodcapNetwork(Construct):
    """A VPC with explicit node subnets per AZ and, for custom networking, pod subnets.

    Node subnets are allocated from the primary ``cidr``; pod subnets given by mask from the
    ``secondary_cidrs`` (e.g. ``100.64.0.0/16``), or from the primary CIDR when there is none.

    ``internet_gateway=True`` adds an internet gateway and a public route for the node subnets (nodes then
    get public IPv4 addresses, which do not come out of the subnet's pool).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        node_subnets: Sequence[SubnetSpec],
        pod_subnets: Sequence[SubnetSpec] = (),
        secondary_cidrs: Sequence[str] = (),
        internet_gateway: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if not node_subnets:
            raise ValueError("PodcapNetwork needs at least one node subnet")
        names = [s.name for s in [*node_subnets, *pod_subnets]]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"subnet names used twice: {', '.join(dup)}")
        primary = ipaddress.IPv4Network(cidr, strict=True)
        secondary = [ipaddress.IPv4Network(c, strict=True) for c in secondary_cidrs]
        label = name or construct_id

        taken = [ipaddress.IPv4Network(s.cidr) for s in [*node_subnets, *pod_subnets] if s.cidr]
        nodes = _allocate(node_subnets, [primary], taken)
        pods = _allocate(pod_subnets, secondary or [primary], taken)

        self.cidr = str(primary)
        self.secondary_cidrs = [str(c) for c in secondary]
        self.vpc = ec2.CfnVPC(self, "Vpc", cidr_block=str(primary), enable_dns_hostnames=True,
                              enable_dns_support=True)
        Tags.of(self.vpc).add("Name", label)
        self.cidr_blocks: dict[str, ec2.CfnVPCCidrBlock] = {}
        for i, c in enumerate(secondary):
            self.cidr_blocks[str(c)] = ec2.CfnVPCCidrBlock(self, f"Cidr{i + 1}", vpc_id=self.vpc.ref,
                                                           cidr_block=str(c))

        self.specs: dict[str, SubnetSpec] = {}
        self.subnets: dict[str, ec2.CfnSubnet] = {}
        self.reservations: dict[str, list[ec2.CfnSubnetCidrReservation]] = {}
        self.node_subnet_names = [s.name for s in nodes]
        self.pod_subnet_names = [s.name for s in pods]
        for s in [*nodes, *pods]:
            self._subnet(s, label, public=internet_gateway and s.name in self.node_subnet_names)

        self.internet_gateway: ec2.CfnInternetGateway | None = None
        if internet_gateway:
            igw = ec2.CfnInternetGateway(self, "InternetGateway")
            attach = ec2.CfnVPCGatewayAttachment(self, "InternetGatewayAttachment", vpc_id=self.vpc.ref,
                                                 internet_gateway_id=igw.ref)
            table = ec2.CfnRouteTable(self, "PublicRoutes", vpc_id=self.vpc.ref)
            route = ec2.CfnRoute(self, "DefaultRoute", route_table_id=table.ref,
                                 destination_cidr_block="0.0.0.0/0", gateway_id=igw.ref)
            route.add_resource_dependency(attach)
            for n in self.node_subnet_names:
                ec2.CfnSubnetRouteTableAssociation(self, unique_id(self, f"PublicRoutes{_ID_SAFE.sub('', n)}"),
                                                   route_table_id=table.ref, subnet_id=self.subnets[n].ref)
            self.internet_gateway = igw

    def _subnet(self, s: SubnetSpec, label: str, *, public: bool) -> None:
        net = ipaddress.IPv4Network(s.cidr)
        m = _ABSTRACT_AZ.match(s.az)
        az = Fn.select(int(m.group(1)), Fn.get_azs()) if m else s.az
        cid = unique_id(self, f"Subnet{_ID_SAFE.sub('', s.name.title())}", first=len(self.subnets))
        sub = ec2.CfnSubnet(self, cid, vpc_id=self.vpc.ref, cidr_block=str(net), availability_zone=az,
                            map_public_ip_on_launch=True if public else None)
        Tags.of(sub).add("Name", f"{label}-{s.name}", include_resource_types=["AWS::EC2::Subnet"])
        if not m:  # CDK's built-in validator warns about named AZs (W3010); here they are the point
            Validations.of(sub).acknowledge(Acknowledgment(
                id=FIXED_AZ_RULE, reason="podcap pins each subnet to a named AZ: ENIConfigs and the AZ-loss "
                                         "check are per AZ name (use az-N for region-agnostic AZs)"))
        # a subnet in a secondary block can only be created once the block is associated
        for block, res in self.cidr_blocks.items():
            if net.subnet_of(ipaddress.IPv4Network(block)):
                sub.add_resource_dependency(res)
        self.specs[s.name] = s
        self.subnets[s.name] = sub
        self.reservations[s.name] = [
            ec2.CfnSubnetCidrReservation(sub, f"Reservation{i + 1}", subnet_id=sub.ref, cidr=r.cidr,
                                         reservation_type=r.type)
            for i, r in enumerate(s.reservations)
        ]

    # lookups --------------------------------------------------------------------------------------
    @property
    def vpc_id(self) -> str:
        return self.vpc.ref

    def subnet(self, name: str) -> ec2.CfnSubnet:
        try:
            return self.subnets[name]
        except KeyError:
            raise KeyError(f"no subnet named {name!r}; subnets: {', '.join(self.subnets)}") from None

    def subnet_id(self, name: str) -> str:
        return self.subnet(name).ref

    def subnet_ids(self, names: Sequence[str]) -> list[str]:
        return [self.subnet_id(n) for n in names]

    def cidr_of(self, name: str) -> str:
        self.subnet(name)
        return str(self.specs[name].cidr)

    def az_of(self, name: str) -> str:
        """The subnet's AZ as given (a name, or ``az-N``)."""
        self.subnet(name)
        return self.specs[name].az

    def pod_subnets_by_az(self) -> dict[str, str]:
        """AZ -> pod subnet name (one per AZ), for the add-on's ENIConfigs."""
        out: dict[str, str] = {}
        for n in self.pod_subnet_names:
            az = self.specs[n].az
            if az in out:
                raise ValueError(f"pod subnets {out[az]!r} and {n!r} share AZ {az}: give eni_configs explicitly")
            out[az] = n
        return out

    def all_reservations(self) -> list[ec2.CfnSubnetCidrReservation]:
        return [r for rs in self.reservations.values() for r in rs]


__all__ = ["PodcapNetwork", "Reservation", "SubnetSpec"]
