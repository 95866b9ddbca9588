"""Network resources of a Terraform plan: ``aws_vpc`` (+ ``aws_vpc_ipv4_cidr_block_association``) ->
:class:`Vpc`, ``aws_subnet`` (+ ``aws_ec2_subnet_cidr_reservation``) -> :class:`Subnet`, and the placeholders
for existing subnets the plan only references."""
from __future__ import annotations

from typing import Any

from podcap.model.plan import CidrReservation, Location, Subnet, Vpc
from podcap.model.unknown import Unknown
from podcap.sources._common import referenced_subnet_ids, subnet_like
from podcap.sources.terraform.plan import (
    AFTER_APPLY,
    EXISTING_SUBNET,
    Builder,
    Lit,
    Res,
    ResItem,
    _is_subnet_ref,
    _is_type_ref,
    _where,
)


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
    b.plan.subnets[a] = Subnet(
        id=a,
        cidr=cidr(b, res, "cidr_block"),
        az=az,
        vpc=vpc_ref(b, res),
        ipv6_cidr=v6,
        aws_id=aid if isinstance(aid, str) and aid else None,
        location=b.loc(res),
        tags=_tags(v),
    )


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

