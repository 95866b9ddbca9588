"""`podcap check --live`: fill in what only AWS knows, with read-only calls.

* Existing subnets (referenced by id, not created by the plan): CIDR, AZ, VPC, the addresses AWS counts
  in use, the in-use addresses themselves (ENI private IPs and the 16 addresses of every /28 prefix),
  and the subnet's CIDR reservations; for those a Fargate profile names, whether their route table routes to
  an internet gateway (PC504).
* Existing EKS clusters named in the plan: control-plane subnets, the managed node groups the plan does
  not declare (they share the subnets), and the vpc-cni add-on configuration.

Calls: ec2:DescribeSubnets, ec2:DescribeNetworkInterfaces, ec2:GetSubnetCidrReservations,
ec2:DescribeRouteTables, eks:DescribeCluster, eks:ListNodegroups, eks:DescribeNodegroup, eks:DescribeAddon. Nothing is written.

Only what the plan does not state is read: a cluster whose plan sets the aws-node settings (its own
vpc-cni add-on) gets no DescribeAddon call.

A subnet id AWS does not know stays Unknown ("subnet subnet-… not found in <region>"): podcap fails
closed rather than guess. Credentials, permissions, throttling and endpoint problems of the main reads
(DescribeSubnets, DescribeCluster) become one :class:`~podcap.aws_clients.AwsAccessError` whose message is
`explain_aws_error` (one line). A failed *supplementary* read (ENIs, CIDR reservations, route tables, node
groups, the add-on) does not end the check: what it would have told becomes an Unknown, reported by PC001.

Every field of every answer is checked before use (a proxy or a broken endpoint can return HTML, a cut
body, a CIDR that is garbage or IPv6, counts that are not numbers, a string where a list belongs); a bad
one is an Unknown naming the call and the value. Pages are capped (:data:`MAX_PAGES`) and a repeated
NextToken stops a loop. The whole live phase has a deadline (:data:`DEFAULT_TIMEOUT` s, ``--live-timeout``
or ``PODCAP_LIVE_TIMEOUT``), on top of per-request connect/read timeouts (see aws_clients).
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import threading
import time
from collections.abc import Iterator

from podcap import aws_clients
from podcap.aws_clients import AwsAccessError
from podcap.engine.blocks import AWS_RESERVED
from podcap.model.plan import CidrReservation, Cluster, Location, NodeGroup, Plan, Subnet
from podcap.model.unknown import Unknown
from podcap.sources._common import referenced_subnet_ids

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
FILTER_BATCH = 100  # values per subnet-id filter (EC2 accepts up to 200)
MAX_PAGES = 1000  # pages of one paginated call (1000 x 1000 ENIs is far beyond any subnet)
DEFAULT_TIMEOUT = 120.0  # seconds for the whole live phase
ENV_TIMEOUT = "PODCAP_LIVE_TIMEOUT"


class LiveAnswerError(Exception):
    """An AWS answer podcap cannot use (wrong shape, unreadable body): one line naming the call."""


def subnet_id_like(s: object) -> bool:
    """True for an EC2 subnet id: ``subnet-`` and 8 or 17 lowercase hex digits."""
    return isinstance(s, str) and bool(_SUBNET_ID.match(s))


def _aws_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _answer_errors() -> tuple[type[BaseException], ...]:
    """Errors of one call whose answer is unusable (an AWS error, an unparsable body, a bad pagination)."""
    from botocore.exceptions import ClientError, PaginationError
    from botocore.parsers import ResponseParserError

    # ValueError/TypeError/KeyError: botocore's parsers call int() and walk the body without checking it
    # (a count that is not a number, an XML element where text belongs)
    return (ClientError, ResponseParserError, PaginationError, LiveAnswerError, ValueError, TypeError, KeyError,
            AttributeError)


def _why(e: BaseException) -> str:
    if isinstance(e, LiveAnswerError):
        return str(e)
    from botocore.parsers import ResponseParserError

    if isinstance(e, ResponseParserError):
        return f"an answer that is not valid for the call ({_shown(' '.join(str(e).split()), 120)})"
    if isinstance(e, (ValueError, TypeError, KeyError, AttributeError)) and not isinstance(e, AwsAccessError):
        return f"an answer podcap cannot read ({type(e).__name__}: {_shown(' '.join(str(e).split()), 120)})"
    return aws_clients.explain_aws_error(e)


def _code(exc: BaseException) -> str:
    resp = getattr(exc, "response", None) or {}
    return str((resp.get("Error") or {}).get("Code", ""))


def _batches(items: list[str], n: int | None = None) -> Iterator[list[str]]:
    n = n or FILTER_BATCH
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def live_timeout(value: float | None = None) -> float:
    """The live phase's deadline in seconds: the argument, else PODCAP_LIVE_TIMEOUT, else the default."""
    if value is None:
        raw = os.environ.get(ENV_TIMEOUT, "").strip()
        if not raw:
            return DEFAULT_TIMEOUT
        try:
            value = float(raw)
        except ValueError:
            raise AwsAccessError(f"{ENV_TIMEOUT}={_shown(raw)} is not a number of seconds") from None
    if not (0 < value <= 86400):
        raise AwsAccessError(f"the live timeout must be between 0 and 86400 seconds, got {value:g}")
    return float(value)


# --------------------------------------------------------------------------- the bounded live phase


class _Deadline:
    """Refuses any further AWS call once the live phase has run out of time (a botocore before-call hook)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.cancelled = False
        self.last_call = "the AWS call"

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def hook(self, model: Any = None, **_: Any) -> None:
        if self.cancelled or self.remaining() <= 0:
            raise AwsAccessError(self.message())
        service = getattr(getattr(model, "service_model", None), "service_name", "")
        self.last_call = f"{service}:{getattr(model, 'name', '?')}" if service else str(getattr(model, "name", "?"))

    def message(self) -> str:
        return (f"the live AWS reads did not finish within {self.seconds:g} s (--live-timeout / {ENV_TIMEOUT}): "
                "check the network, the endpoint and AWS_ENDPOINT_URL, or raise the limit")


def enrich_plan(plan: Plan, region: str | None = None, profile: str | None = None,
                timeout: float | None = None) -> list[str]:
    """Fill the plan's existing subnets and clusters from AWS; returns one note per thing read.

    Raises :class:`AwsAccessError` (one line, no credentials in it) when AWS cannot be read, or when the
    live phase does not end within ``timeout`` seconds (default :func:`live_timeout`). The reads run in a
    worker thread so that even a server that drips bytes slower than any socket timeout cannot hold the
    check past its deadline.
    """
    deadline = _Deadline(live_timeout(timeout))
    aws_clients.check_settings()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["notes"] = _enrich(plan, region, profile, deadline)
        except BaseException as e:  # handed to the caller's thread
            outcome["error"] = e

    worker = threading.Thread(target=work, name="podcap-live", daemon=True)
    worker.start()
    worker.join(max(deadline.remaining(), 0) + 1.0)
    if worker.is_alive():
        deadline.cancelled = True
        raise AwsAccessError(deadline.message())
    if "error" in outcome:
        raise outcome["error"]
    return outcome["notes"]


def _enrich(plan: Plan, region: str | None, profile: str | None, deadline: _Deadline) -> list[str]:
    notes: list[str] = []
    errors = _aws_errors()

    def make(service: str) -> Any:
        c = aws_clients.client(service, region=region, profile=profile, read_timeout=deadline.remaining())
        c.meta.events.register("before-call", deadline.hook)
        return c

    try:
        named = [c for c in plan.clusters.values() if isinstance(c.name, str) and c.name]
        if named:
            eks = make("eks")
            for cluster in named:
                _enrich_cluster(plan, cluster, eks, notes)
        targets = _subnet_targets(plan)
        if targets:
            ec2 = make("ec2")
            _enrich_subnets(plan, targets, ec2, notes)
            _mark_public_fargate_subnets(plan, targets, ec2, notes)
    except AwsAccessError:
        raise
    except errors as e:
        raise AwsAccessError.from_exception(e) from None
    except _answer_errors() as e:  # a main read (DescribeSubnets, DescribeCluster) returned something unusable
        raise AwsAccessError(str(e) if isinstance(e, LiveAnswerError) else
                             f"{deadline.last_call} returned {_why(e)}") from None
    return notes


def _supplementary(plan: Plan, what: str, resource: str, where: str, call: Any, *, record: bool = True) -> Any:
    """``call()``; an AWS error or unusable answer becomes an Unknown on ``resource`` (PC001), not an exit.

    A deadline or a connection-level failure still ends the live phase (the endpoint is gone)."""
    try:
        return call()
    except AwsAccessError:
        raise
    except _answer_errors() as e:
        why = _why(e)
        unk = Unknown(f"{what} could not be read from AWS: {why}", where)
        if record:  # else the caller puts the Unknown where the analysis meets it (and PC001 reports it)
            plan.unresolved.append((resource, unk))
        return unk


# --------------------------------------------------------------------------- answers, checked


def _items(resp: Any, key: str, call: str) -> list[dict]:
    """``resp[key]`` as a list of objects, or LiveAnswerError naming the call and what came back."""
    if not isinstance(resp, dict):
        raise LiveAnswerError(f"{call} returned {type(resp).__name__} where an object was expected")
    value = resp.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise LiveAnswerError(f"{call} returned {key}={_shown(value)}, not a list")
    bad = next((v for v in value if not isinstance(v, dict)), None)
    if bad is not None:
        raise LiveAnswerError(f"{call} returned an item of {key} that is not an object: {_shown(bad)}")
    return value


def _str(d: dict, key: str) -> str | None:
    v = d.get(key)
    return v if isinstance(v, str) and v.strip() else None


def _ipv4_net(text: Any) -> ipaddress.IPv4Network | None:
    if not isinstance(text, str) or len(text) > 18:
        return None
    try:
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        return None


def _count(v: Any) -> int | None:
    """A count AWS returns as a number (some proxies send strings): a non-negative int, else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 10:
        return int(v)
    return None


def _paginate(client: Any, op: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
    """Items of a paginated call: botocore's paginator (which stops on a repeated token) when there is one,
    else a NextToken loop that stops on a repeated token too; at most MAX_PAGES pages either way."""
    call_name = _call_name(client, op)
    if client.can_paginate(op):
        pages: Iterator[Any] = iter(client.get_paginator(op).paginate(**kwargs))
    else:
        pages = _token_pages(client, op, call_name, kwargs)
    for n, page in enumerate(pages, 1):
        if n > MAX_PAGES:
            raise LiveAnswerError(f"{call_name} returned more than {MAX_PAGES} pages; stopped reading")
        yield from _items(page, result_key, call_name)


def _token_pages(client: Any, op: str, call_name: str, kwargs: dict) -> Iterator[Any]:
    call = getattr(client, op)
    token = None
    seen: set[str] = set()
    while True:
        resp = call(**kwargs, **({"NextToken": token} if token else {}))
        yield resp
        token = resp.get("NextToken") if isinstance(resp, dict) else None
        if not token:
            return
        if not isinstance(token, str) or token in seen:
            raise LiveAnswerError(f"{call_name} returned the NextToken {_shown(token)} twice; stopped reading")
        seen.add(token)


def _call_name(client: Any, op: str) -> str:
    service = getattr(getattr(getattr(client, "meta", None), "service_model", None), "service_name", "")
    camel = "".join(p.capitalize() for p in op.split("_"))
    return f"{service}:{camel}" if service else camel


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


def eni_addresses(eni: dict, call: str = "ec2:DescribeNetworkInterfaces") -> list[str]:
    """Every address an ENI holds: its private IPs, and each /28 prefix as one CIDR string.

    Prefixes stay CIDRs (the block arithmetic works on intervals): a prefix is never expanded into its
    addresses, so a bogus /8 costs one interval, not 16.7 million strings. Raises LiveAnswerError for a
    value that is not an IPv4 address or prefix.
    """
    out: list[str] = []
    eid = _str(eni, "NetworkInterfaceId") or "an ENI"
    privates = eni.get("PrivateIpAddresses")
    if privates is not None and not isinstance(privates, list):
        raise LiveAnswerError(f"{call} returned PrivateIpAddresses={_shown(privates)} for {eid}, not a list")
    for p in privates or []:
        addr = p.get("PrivateIpAddress") if isinstance(p, dict) else None
        if addr:
            out.append(_ipv4(addr, call, eid))
    if not privates and eni.get("PrivateIpAddress"):
        out.append(_ipv4(eni["PrivateIpAddress"], call, eid))
    prefixes = eni.get("Ipv4Prefixes")
    if prefixes is not None and not isinstance(prefixes, list):
        raise LiveAnswerError(f"{call} returned Ipv4Prefixes={_shown(prefixes)} for {eid}, not a list")
    for p in prefixes or []:
        prefix = p.get("Ipv4Prefix") if isinstance(p, dict) else None
        if prefix:
            net = _ipv4_net(prefix) if isinstance(prefix, str) else None
            if net is None:
                try:
                    net = ipaddress.IPv4Network(prefix, strict=False) if isinstance(prefix, str) else None
                except ValueError:
                    net = None
            if net is None:
                raise LiveAnswerError(f"{call} returned Ipv4Prefix {_shown(prefix)} for {eid}, not an IPv4 prefix")
            out.append(str(net))
    return out


def _ipv4(value: Any, call: str, eid: str) -> str:
    try:
        if not isinstance(value, str) or len(value) > 15:
            raise ValueError
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise LiveAnswerError(f"{call} returned the address {_shown(value)} for {eid}, not an IPv4 address") from None


def _address_key(a: str) -> tuple[int, int]:
    net = ipaddress.IPv4Network(a, strict=False)
    return int(net.network_address), net.prefixlen


def _mark_unknown(subs: list[Subnet], why: str) -> None:
    for s in subs:
        if isinstance(s.cidr, Unknown) or s.cidr is None:
            s.cidr = Unknown(why, s.id)
        if isinstance(s.az, Unknown) or s.az is None:
            s.az = Unknown(why, s.id)
        s.used_addresses = Unknown(why, s.id)


def _enrich_subnets(plan: Plan, targets: dict[str, list[Subnet]], ec2: Any, notes: list[str]) -> None:
    region = ec2.meta.region_name
    ids = sorted(targets)
    found: dict[str, dict] = {}
    call = "ec2:DescribeSubnets"
    for batch in _batches(ids):
        for sub in _paginate(ec2, "describe_subnets", "Subnets",
                             Filters=[{"Name": "subnet-id", "Values": batch}]):
            sid = sub.get("SubnetId")
            if isinstance(sid, str) and sid in targets:
                found[sid] = sub

    for aid in ids:
        if aid not in found:
            why = f"subnet {aid} not found in {region}"
            _mark_unknown(targets[aid], why)
            notes.append(f"{why}: left unknown")

    # check what DescribeSubnets said before asking anything else about a subnet
    good: dict[str, tuple[ipaddress.IPv4Network, str]] = {}
    for aid in [a for a in ids if a in found]:
        sub = found[aid]
        net = _ipv4_net(sub.get("CidrBlock"))
        az = _str(sub, "AvailabilityZone")
        if net is None or az is None:
            what = (f"CidrBlock={_shown(sub.get('CidrBlock'))}, not an IPv4 CIDR" if net is None
                    else f"AvailabilityZone={_shown(sub.get('AvailabilityZone'))}")
            why = f"{call} returned {what} for {aid}"
            _mark_unknown(targets[aid], why)
            notes.append(f"{why}: left unknown")
            continue
        good[aid] = (net, az)

    present = list(good)
    used: dict[str, list[str]] = {aid: [] for aid in present}
    enis: dict[str, int] = {aid: 0 for aid in present}
    eni_problem: str | None = None
    try:
        for batch in _batches(present):
            for eni in _paginate(ec2, "describe_network_interfaces", "NetworkInterfaces",
                                 Filters=[{"Name": "subnet-id", "Values": batch}]):
                sid = eni.get("SubnetId")
                if isinstance(sid, str) and sid in used:
                    used[sid].extend(eni_addresses(eni))
                    enis[sid] += 1
    except AwsAccessError:
        raise
    except _answer_errors() as e:  # supplementary: AvailableIpAddressCount still tells how many are taken
        eni_problem = _why(e)
        notes.append(f"ec2:DescribeNetworkInterfaces failed ({eni_problem}): where the in-use addresses "
                     "sit is unknown, AvailableIpAddressCount is used instead")

    for aid in present:
        sub = found[aid]
        net, az = good[aid]
        cidr = str(net)
        size = net.num_addresses
        subs = targets[aid]
        available = _count(sub.get("AvailableIpAddressCount"))
        if available is None or available > max(size - AWS_RESERVED, 0):
            aws_used: Any = Unknown(f"{call} returned AvailableIpAddressCount="
                                    f"{_shown(sub.get('AvailableIpAddressCount'))} for {aid} ({cidr}: "
                                    f"{size} addresses, {AWS_RESERVED} AWS-reserved)", aid)
        else:
            aws_used = size - AWS_RESERVED - available
        ips: list[str] | None = None
        if eni_problem is None:
            ips = sorted(set(used[aid]), key=_address_key)
        reservations = _supplementary(
            plan, f"the CIDR reservations of {aid}", subs[0].id, f"live:ec2/{aid}",
            lambda aid=aid: _reservations(ec2, aid), record=False)
        if isinstance(reservations, Unknown):
            reservations_list = [CidrReservation(cidr=reservations, type="prefix")]
        else:
            reservations_list = reservations
        ipv6 = _ipv6_block(sub)
        vpc = _str(sub, "VpcId")
        for s in subs:
            if not isinstance(s.cidr, Unknown) and s.cidr != cidr:
                notes.append(f"{s.id}: the plan says {s.cidr}, AWS says {cidr}; using AWS's")
            s.cidr = cidr
            s.az = az
            s.vpc = vpc
            s.aws_id = aid
            s.used_addresses = aws_used
            s.used_ips = ips
            if ipv6 and (s.ipv6_cidr is None or isinstance(s.ipv6_cidr, Unknown)):
                s.ipv6_cidr = ipv6
            have = {str(r.cidr) for r in s.reservations}
            s.reservations.extend(r for r in reservations_list if str(r.cidr) not in have)
        label = aid if [s.id for s in subs] == [aid] else f"{aid} ({', '.join(s.id for s in subs)})"
        counted = (f"{aws_used} addresses in use per AvailableIpAddressCount={available}"
                   if not isinstance(aws_used, Unknown) else aws_used.reason)
        held = f"{len(ips)} addresses or prefixes held by {enis[aid]} ENIs" if ips is not None else "ENIs not read"
        note = f"subnet {label}: {cidr} in {az} ({vpc}), {counted}, {held}"
        if reservations_list and not isinstance(reservations, Unknown):
            note += ", reservations " + ", ".join(f"{r.cidr} ({r.type})" for r in reservations_list)
        notes.append(note)


def _mark_public_fargate_subnets(plan: Plan, targets: dict[str, list[Subnet]], ec2: Any, notes: list[str]) -> None:
    """``Subnet.internet_route`` of the existing subnets Fargate profiles name (PC504: CreateFargateProfile takes
    only private subnets): ec2:DescribeRouteTables, the table associated with the subnet, else its VPC's main
    table (VPC user guide, subnet route tables: "a subnet that you don't explicitly associate with a route table
    is implicitly associated with the main route table"); a route whose GatewayId is an ``igw-`` makes it public.
    A failed read is PC001 on the profile, never a pass."""
    fargate: dict[str, list[str]] = {}
    for fp in plan.fargate_profiles:
        for s in fp.subnets if isinstance(fp.subnets, list) else []:
            sub = plan.subnets.get(s) if isinstance(s, str) else None
            aid = sub.aws_id if sub is not None else None
            if aid in targets and isinstance(sub.vpc, str) and sub.internet_route is None:
                fargate.setdefault(aid, []).append(fp.name)
    if not fargate:
        return
    call = "ec2:DescribeRouteTables"

    def internet_route(table: dict) -> str | None:
        for r in table.get("Routes") or []:
            gw = r.get("GatewayId") if isinstance(r, dict) else None
            if isinstance(gw, str) and gw.startswith("igw-") and r.get("State", "active") == "active":
                dest = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")
                rid = table.get("RouteTableId")
                return (f"route table {rid[:60] if isinstance(rid, str) else '?'} routes "
                        f"{dest[:60] if isinstance(dest, str) else 'a destination'} to internet gateway {gw[:60]}")
        return None

    def read() -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        ids = sorted(fargate)
        for batch in _batches(ids):
            for table in _paginate(ec2, "describe_route_tables", "RouteTables",
                                   Filters=[{"Name": "association.subnet-id", "Values": batch}]):
                for assoc in table.get("Associations") or []:
                    sid = assoc.get("SubnetId") if isinstance(assoc, dict) else None
                    if sid in fargate:
                        out[sid] = internet_route(table)
        vpcs = sorted({targets[aid][0].vpc for aid in ids if aid not in out})
        main: dict[str, str | None] = {}
        for batch in _batches(vpcs):
            for table in _paginate(ec2, "describe_route_tables", "RouteTables",
                                   Filters=[{"Name": "vpc-id", "Values": batch},
                                            {"Name": "association.main", "Values": ["true"]}]):
                if isinstance(table.get("VpcId"), str):
                    main[table["VpcId"]] = internet_route(table)
        for aid in ids:
            if aid not in out:
                vpc = targets[aid][0].vpc
                if vpc not in main:
                    raise LiveAnswerError(f"{call} returned no route table for {aid} nor a main one for {vpc}")
                out[aid] = main[vpc] and f"{main[vpc]} (the VPC's main route table)"
        return out

    profiles = sorted({name for names in fargate.values() for name in names})
    got = _supplementary(plan, f"whether subnets {', '.join(sorted(fargate))} route to an internet gateway",
                         profiles[0], "live:ec2", read)
    if isinstance(got, Unknown):
        return
    for aid, route in got.items():
        for s in targets[aid]:
            s.internet_route = route
        notes.append(f"subnet {aid}: " + (route or "no route to an internet gateway (private)"))


def _reservations(ec2: Any, aid: str) -> list[CidrReservation]:
    call = "ec2:GetSubnetCidrReservations"
    out = []
    for r in _paginate(ec2, "get_subnet_cidr_reservations", "SubnetIpv4CidrReservations", SubnetId=aid):
        raw = r.get("Cidr")
        if not raw:
            continue
        net = _ipv4_net(raw)
        rtype = r.get("ReservationType", "prefix")
        if net is None:
            raise LiveAnswerError(f"{call} returned Cidr={_shown(raw)} for {aid}, not an IPv4 CIDR")
        if rtype not in ("prefix", "explicit"):
            raise LiveAnswerError(f"{call} returned ReservationType={_shown(rtype)} for {aid}")
        out.append(CidrReservation(cidr=str(net), type=rtype))
    return out


def _ipv6_block(sub: dict) -> str | None:
    assoc = sub.get("Ipv6CidrBlockAssociationSet")
    if not isinstance(assoc, list):
        return None
    for a in assoc:
        if not isinstance(a, dict):
            continue
        state = a.get("Ipv6CidrBlockState")
        block = a.get("Ipv6CidrBlock")
        if isinstance(state, dict) and state.get("State") == "associated" and isinstance(block, str):
            try:
                return str(ipaddress.IPv6Network(block, strict=False))
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------- EKS


def _enrich_cluster(plan: Plan, cluster: Cluster, eks: Any, notes: list[str]) -> None:
    errors = _aws_errors()
    name = str(cluster.name)
    region = eks.meta.region_name
    try:
        resp = eks.describe_cluster(name=name)
    except errors as e:
        if _code(e) == "ResourceNotFoundException":
            notes.append(f"EKS cluster {name} not found in {region}: a new cluster")
            return
        raise
    desc = resp.get("cluster") if isinstance(resp, dict) else None
    if not isinstance(desc, dict):
        raise LiveAnswerError(f"eks:DescribeCluster returned no cluster object for {name}")
    vpc_cfg = desc.get("resourcesVpcConfig")
    vpc_cfg = vpc_cfg if isinstance(vpc_cfg, dict) else {}
    raw_subnets = vpc_cfg.get("subnetIds") or []
    live_subnets = [s for s in raw_subnets if isinstance(s, str)] if isinstance(raw_subnets, list) else []
    if isinstance(raw_subnets, list) and len(live_subnets) != len(raw_subnets) or not isinstance(raw_subnets, list):
        plan.unresolved.append((cluster.id, Unknown(
            f"eks:DescribeCluster returned subnetIds={_shown(raw_subnets)} for {name}", f"live:eks/{name}")))
    if live_subnets and (isinstance(cluster.subnets, Unknown) or not cluster.subnets):
        cluster.subnets = list(live_subnets)
    knc = desc.get("kubernetesNetworkConfig")
    family = knc.get("ipFamily") if isinstance(knc, dict) else None
    if family in ("ipv4", "ipv6") and family != cluster.ip_family:
        notes.append(f"EKS cluster {name} is {family} (the IP family of a cluster cannot change); using {family}")
        cluster.ip_family = family

    existing = {ng.name for ng in plan.nodegroups}
    by_aws_id = {s.aws_id: s.id for s in plan.subnets.values() if s.aws_id}
    added: list[str] = []
    where = f"live:eks/{name}/nodegroups"

    def read_nodegroups() -> list[NodeGroup]:
        out = []
        for ng_name in _paginate_names(eks, name):
            if ng_name in existing:
                continue
            resp = eks.describe_nodegroup(clusterName=name, nodegroupName=ng_name)
            ng = resp.get("nodegroup") if isinstance(resp, dict) else None
            if not isinstance(ng, dict):
                raise LiveAnswerError(f"eks:DescribeNodegroup returned no nodegroup object for {ng_name}")
            out.append(_nodegroup(cluster, name, {**ng, "nodegroupName": ng_name}, by_aws_id))
        return out

    got = _supplementary(plan, f"the existing node groups of EKS cluster {name}", cluster.id, where,
                         read_nodegroups)
    if not isinstance(got, Unknown):
        for ng in got:
            plan.nodegroups.append(ng)
            added.append(ng.name)

    env_note = _read_addon(plan, cluster, name, eks, by_aws_id)
    notes.append(f"EKS cluster {name}: {len(live_subnets)} control-plane subnets"
                 + (f", existing node groups added: {', '.join(added)}" if added else
                    (", existing node groups not read" if isinstance(got, Unknown) else ", no node group added"))
                 + f"; {env_note}")


def _paginate_names(eks: Any, name: str) -> Iterator[str]:
    resp_key = "nodegroups"
    call = "eks:ListNodegroups"
    if eks.can_paginate("list_nodegroups"):
        pages: Iterator[Any] = iter(eks.get_paginator("list_nodegroups").paginate(clusterName=name))
    else:  # pragma: no cover - botocore has this paginator
        pages = _token_pages(eks, "list_nodegroups", call, {"clusterName": name})
    for n, page in enumerate(pages, 1):
        if n > MAX_PAGES:
            raise LiveAnswerError(f"{call} returned more than {MAX_PAGES} pages; stopped reading")
        items = page.get(resp_key, []) if isinstance(page, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise LiveAnswerError(f"{call} returned {resp_key}={_shown(items)}, not a list of names")
        yield from items


def _nodegroup(cluster: Cluster, cluster_name: str, ng: dict, by_aws_id: dict[str, str]) -> NodeGroup:
    ng_name = str(ng["nodegroupName"])
    path = f"live:eks/{cluster_name}/{ng_name}"
    call = "eks:DescribeNodegroup"

    def obj(key: str) -> dict:
        v = ng.get(key)
        return v if isinstance(v, dict) else {}

    scaling, update, lt = obj("scalingConfig"), obj("updateConfig"), obj("launchTemplate")
    lt_label = lt.get("name") or lt.get("id") or "?"
    raw_types = ng.get("instanceTypes")
    if raw_types and isinstance(raw_types, list) and all(isinstance(t, str) and t for t in raw_types):
        types: Any = list(raw_types)
    elif raw_types:
        types = Unknown(f"{call} returned instanceTypes={_shown(raw_types)}, not a list of type names", path)
    elif lt:
        types = Unknown(f"instance type set in launch template {lt_label}, which --live does not read", path)
    else:
        types = Unknown("DescribeNodegroup returned no instance types", path)

    def size(key: str) -> Any:
        v = scaling.get(key)
        if v is None:
            return Unknown(f"DescribeNodegroup returned no {key}", path)
        n = _count(v)
        return n if n is not None else Unknown(f"{call} returned {key}={_shown(v)}, not a whole number", path)

    def optional(v: Any, key: str) -> Any:
        if v is None:
            return None
        n = _count(v)
        return n if n is not None else Unknown(f"{call} returned {key}={_shown(v)}, not a whole number", path)

    raw_subnets = ng.get("subnets") or []
    subnets: Any = [by_aws_id.get(s, s) for s in raw_subnets] if isinstance(raw_subnets, list) and all(
        isinstance(s, str) for s in raw_subnets) else Unknown(f"{call} returned subnets={_shown(raw_subnets)}", path)

    kubelet = None
    if lt:
        kubelet = Unknown(f"launch template {lt_label} (version {lt.get('version', '?')}) may set max-pods in its "
                          "user data, which --live does not read", path)
    return NodeGroup(
        name=ng_name,
        cluster=cluster.id,
        instance_types=types,
        subnets=subnets,
        min_size=size("minSize"),
        desired_size=size("desiredSize"),
        max_size=size("maxSize"),
        max_unavailable=optional(update.get("maxUnavailable"), "maxUnavailable"),
        max_unavailable_percentage=optional(update.get("maxUnavailablePercentage"), "maxUnavailablePercentage"),
        update_strategy=update.get("updateStrategy") if isinstance(update.get("updateStrategy"), str) else None,
        kubelet_max_pods=kubelet,
        ami_type=ng.get("amiType") if isinstance(ng.get("amiType"), str) else None,
        capacity_type=ng.get("capacityType") if isinstance(ng.get("capacityType"), str) else None,
        location=Location(path=path),
    )


def parse_configuration_values(text: str) -> dict:
    """An add-on's configurationValues: JSON, or YAML (EKS accepts both), through the hardened loader
    (bounded aliases and depth, unique keys, no control characters). ValueError when unusable."""
    from podcap.sources.safe_yaml import InputError, load_json, load_yaml

    if not isinstance(text, str):
        raise ValueError(f"configurationValues is {type(text).__name__}, not a string")
    if not text.strip():
        return {}
    try:
        value = load_json(text, "configurationValues") if text.lstrip().startswith(("{", "[")) else None
    except InputError:
        value = None
    if value is None:
        try:
            value = load_yaml(text, "configurationValues")
        except InputError as e:
            raise ValueError(str(e)) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("configurationValues is not an object")
    return value


def _read_addon(plan: Plan, cluster: Cluster, name: str, eks: Any, by_aws_id: dict[str, str]) -> str:
    """Set cluster.cni_env (and eni_configs) from the vpc-cni add-on when the plan does not state them.

    The plan's own settings win, so DescribeAddon is not called at all when it states them. A failed
    call leaves the settings Unknown (PC001) instead of ending the check. Returns a note.
    """
    if cluster.cni_env is not None:
        return "the plan's aws-node settings kept (vpc-cni add-on not read)"
    where = f"live:eks/{name}/addons/vpc-cni"
    try:
        resp = eks.describe_addon(clusterName=name, addonName="vpc-cni")
        addon = resp.get("addon") if isinstance(resp, dict) else None
        if not isinstance(addon, dict):
            raise LiveAnswerError(f"eks:DescribeAddon returned no addon object for {name}")
    except AwsAccessError:
        raise
    except _answer_errors() as e:
        if _code(e) == "ResourceNotFoundException":
            cluster.cni_env = Unknown(
                f"vpc-cni is not an EKS add-on on cluster {name}: the self-managed aws-node DaemonSet's "
                "environment cannot be read through the AWS API", where)
            return "no vpc-cni add-on (self-managed aws-node: settings unknown)"
        why = _why(e)
        cluster.cni_env = Unknown(f"the vpc-cni add-on's settings could not be read from AWS: {why}", where)
        return "vpc-cni add-on not readable (settings unknown)"
    version = addon.get("addonVersion") if isinstance(addon.get("addonVersion"), str) else "?"
    try:
        config = parse_configuration_values(addon.get("configurationValues") or "")
        env = config.get("env") or {}
        if not isinstance(env, dict):
            raise ValueError("env is not a map")
    except ValueError as e:
        cluster.cni_env = Unknown(f"vpc-cni add-on configurationValues unreadable: {e}", where)
        return f"vpc-cni add-on {version} with unreadable configurationValues"
    eni_cfg = config.get("eniConfig")
    eni_subnets = eni_cfg.get("subnets") if isinstance(eni_cfg, dict) else None
    if not cluster.eni_configs and isinstance(eni_subnets, dict):
        for az, v in eni_subnets.items():
            sid = v.get("id") if isinstance(v, dict) else None
            cluster.eni_configs[str(az)] = by_aws_id.get(sid, sid) if isinstance(sid, str) else \
                Unknown(f"eniConfig for {az} has no subnet id", where)
    cni_env = {str(k): _env_str(v) for k, v in env.items()}
    cluster.cni_env = cni_env
    shown = ", ".join(f"{k}={_shown(v, 40) if len(v) > 40 else v}" for k, v in cni_env.items())
    return f"vpc-cni add-on {version}, env " + (shown if cni_env else "not set (add-on defaults)")


def _env_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)
