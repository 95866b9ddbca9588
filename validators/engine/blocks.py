"""Free addresses and free aligned /28 blocks of a subnet (pure: no AWS).

With prefix delegation ipamd asks EC2 for whole /28 prefixes, and EC2 hands out only *aligned* /28s
in which no address is taken. A subnet can therefore have plenty of free addresses and still refuse a
prefix (``InsufficientCidrBlocks``) when in-use addresses are spread over every /28. This module counts
what is really left:

* AWS reserves the first four addresses and the last one of every subnet;
* addresses in use (ENI primary and secondary IPs, addresses inside assigned /28 prefixes);
* CIDR reservations: ``explicit`` ones are kept for manual assignment and taken by nothing else;
  ``prefix`` ones are kept for prefixes: their free /28s remain available to prefix delegation
  (reported apart) but not to single secondary IPs.

Everything is computed on sorted integer intervals (offsets from the subnet's network address), never
one object per address, so a /16 with thousands of used addresses is as cheap as a /28.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from podcap.model.plan import CidrReservation, Subnet
from podcap.model.records import record
from podcap.model.unknown import Unknown

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

BLOCK = 16  # a /28 prefix
AWS_RESERVED_HEAD = 4  # network address, VPC router, DNS, future use
AWS_RESERVED_TAIL = 1  # the "broadcast" address
AWS_RESERVED = AWS_RESERVED_HEAD + AWS_RESERVED_TAIL

Interval = tuple[int, int]  # [start, end) as offsets from the network address
ReservationLike = CidrReservation | tuple[str, str]  # CidrReservation or (cidr, "prefix"|"explicit")


@lru_cache(maxsize=16384)
def parse_cidr(cidr: str) -> ipaddress.IPv4Network:
    """``IPv4Network(cidr, strict=False)``, parsed once per text: the same subnet is read by the analysis and
    reported on by several rules, and parsing (with ``num_addresses``, two more cached properties per
    object) costs more than the block arithmetic. Raises ValueError as IPv4Network does (not cached)."""
    return ipaddress.IPv4Network(cidr, strict=False)


_network = parse_cidr


def _size(net: ipaddress.IPv4Network) -> int:
    """``net.num_addresses`` without building its broadcast address."""
    return 1 << (32 - net.prefixlen)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _length(intervals: Sequence[Interval]) -> int:
    return sum(b - a for a, b in intervals)


def _complement(taken: Sequence[Interval], size: int) -> list[Interval]:
    """The gaps of merged `taken` inside [0, size)."""
    gaps, pos = [], 0
    for a, b in taken:
        if a > pos:
            gaps.append((pos, a))
        pos = max(pos, b)
    if pos < size:
        gaps.append((pos, size))
    return gaps


def _intersect(xs: Sequence[Interval], ys: Sequence[Interval]) -> list[Interval]:
    """Intersection of two merged interval lists (two-pointer sweep)."""
    out, i, j = [], 0, 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if a < b:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def _aligned_blocks(intervals: Sequence[Interval]) -> int:
    """How many whole aligned /28s lie inside the intervals."""
    n = 0
    for a, b in intervals:
        first = -(-a // BLOCK)  # ceil
        last = b // BLOCK
        if last > first:
            n += last - first
    return n


def _aligned_block_runs(intervals: Sequence[Interval]) -> int:
    """The longest run of consecutive whole aligned /28s inside one interval."""
    best = 0
    for a, b in intervals:
        best = max(best, b // BLOCK - -(-a // BLOCK))
    return best


def _as_reservation(r: ReservationLike) -> tuple[object, str]:
    if isinstance(r, CidrReservation):
        return r.cidr, r.type
    cidr, rtype = r
    return cidr, rtype


@record(frozen=True)
class FragmentationReport:
    """What a subnet has left, for single addresses and for /28 prefixes."""

    cidr: str
    size: int  # all addresses of the CIDR
    aws_reserved: int  # 5 (fewer only for a CIDR smaller than AWS allows)
    in_use: int  # distinct in-use addresses inside the subnet (AWS-reserved ones not counted again)
    explicit_reserved: int  # addresses of explicit reservations not already AWS-reserved or in use
    prefix_reserved: int  # free addresses inside prefix reservations (kept for /28 prefixes)
    usable: int  # size - 5 - in use - explicit reservations (prefix-reserved addresses included)
    free_addresses: int  # usable minus prefix-reserved: what single secondary IPs can still take
    total_blocks: int  # aligned /28s in the CIDR
    free_blocks: int  # free aligned /28s outside prefix reservations
    prefix_reserved_blocks: int  # free aligned /28s inside prefix reservations
    touched_blocks: int  # aligned /28s holding at least one in-use or explicitly reserved address
    largest_free_run: int  # longest run of contiguous usable addresses
    largest_free_run_start: str | None  # its first address
    largest_free_block_run: int  # longest run of contiguous free aligned /28s (prefix-reserved included)
    outside: int = 0  # in-use addresses given that are not in this CIDR (ignored)
    edge_free: int = 0  # usable addresses in the first and last /28, which AWS's own five always spoil

    @property
    def prefix_blocks_available(self) -> int:
        """Aligned /28s prefix delegation can still get: the free ones plus those kept for prefixes."""
        return self.free_blocks + self.prefix_reserved_blocks

    @property
    def stranded_addresses(self) -> int:
        """Usable addresses prefix delegation cannot use: they sit in /28s that are partly taken."""
        return max(self.usable - BLOCK * self.prefix_blocks_available, 0)

    @property
    def fragmented(self) -> bool:
        """In-use or reserved addresses strand at least one /28 worth of usable addresses.

        The free addresses of the first and last /28 (which AWS's reserved five spoil in every subnet)
        do not count: an empty subnet is not fragmented.
        """
        return self.touched_blocks > 0 and self.stranded_addresses - self.edge_free >= BLOCK

    @property
    def explanation(self) -> str:
        blocks = self.prefix_blocks_available
        held = f"{blocks} free aligned /28 block{'s' if blocks != 1 else ''} ({blocks * BLOCK} addresses)"
        if self.prefix_reserved_blocks:
            held += (f", {self.prefix_reserved_blocks} of them in prefix reservations"
                     f" ({self.free_blocks} outside)")
        head = f"{self.cidr}: {self.usable} free address{'es' if self.usable != 1 else ''}"
        if self.fragmented:
            return (f"{head} but only {held}: prefix delegation needs whole aligned /28s, and in-use or "
                    f"explicitly reserved addresses sit in {self.touched_blocks} of the {self.total_blocks} "
                    f"/28s, stranding {self.stranded_addresses} addresses; the largest contiguous free run "
                    f"is {self.largest_free_run} addresses")
        return f"{head}, {held}; the largest contiguous free run is {self.largest_free_run} addresses"

    def to_dict(self) -> dict:
        return {
            "cidr": self.cidr, "size": self.size, "aws_reserved": self.aws_reserved, "in_use": self.in_use,
            "explicit_reserved": self.explicit_reserved, "prefix_reserved": self.prefix_reserved,
            "usable": self.usable, "free_addresses": self.free_addresses, "total_blocks": self.total_blocks,
            "free_blocks": self.free_blocks, "prefix_reserved_blocks": self.prefix_reserved_blocks,
            "prefix_blocks_available": self.prefix_blocks_available, "touched_blocks": self.touched_blocks,
            "stranded_addresses": self.stranded_addresses, "largest_free_run": self.largest_free_run,
            "largest_free_run_start": self.largest_free_run_start,
            "largest_free_block_run": self.largest_free_block_run, "outside": self.outside,
            "edge_free": self.edge_free, "fragmented": self.fragmented, "explanation": self.explanation,
        }


def _address_intervals(net: ipaddress.IPv4Network, addresses: Iterable[object]) -> tuple[list[Interval], int]:
    """In-use addresses (strings, ints, IPv4Address, or CIDRs such as an ENI's /28 prefix) as intervals."""
    base, size = int(net.network_address), _size(net)
    out: list[Interval] = []
    outside = 0
    for a in addresses:
        if isinstance(a, int) and not isinstance(a, bool):
            lo, hi = a, a + 1
        elif isinstance(a, ipaddress.IPv4Address):
            lo = int(a)
            hi = lo + 1
        else:
            text = str(a).strip()
            if "/" in text:
                n = ipaddress.IPv4Network(text, strict=False)
                lo, hi = int(n.network_address), int(n.network_address) + n.num_addresses
            else:
                lo = int(ipaddress.IPv4Address(text))
                hi = lo + 1
        lo, hi = lo - base, hi - base
        if hi <= 0 or lo >= size:
            outside += hi - lo
            continue
        out.append((max(lo, 0), min(hi, size)))
    return _merge(out), outside


def _aws_reserved(size: int) -> list[Interval]:
    """The first four addresses and the last one of a subnet of `size` addresses."""
    head = min(AWS_RESERVED_HEAD, size)
    return _merge([(0, head), (max(size - AWS_RESERVED_TAIL, head), size)])


def _reservation_intervals(
    net: ipaddress.IPv4Network, reservations: Iterable[ReservationLike]
) -> tuple[list[Interval], list[Interval]]:
    """The (explicit, prefix) reservations inside `net`, as merged intervals.
    Raises ValueError for an Unknown CIDR or an unknown reservation type."""
    base, size = int(net.network_address), _size(net)
    out: dict[str, list[Interval]] = {"explicit": [], "prefix": []}
    for r in reservations:
        rcidr, rtype = _as_reservation(r)
        if isinstance(rcidr, Unknown):
            raise ValueError(f"a CIDR reservation of {net} is unknown: {rcidr.reason}")
        if rtype not in out:
            raise ValueError(f"unknown CIDR reservation type {rtype!r} (expected prefix or explicit)")
        rn = _network(str(rcidr))
        lo = max(int(rn.network_address) - base, 0)
        hi = min(int(rn.network_address) + rn.num_addresses - base, size)
        if hi > lo:
            out[rtype].append((lo, hi))
    return _merge(out["explicit"]), _merge(out["prefix"])


@lru_cache(maxsize=4096)
def _counts(size: int, used: tuple[Interval, ...], explicit: tuple[Interval, ...],
            prefix: tuple[Interval, ...]) -> tuple[int, ...] | tuple[int | None, ...]:
    """The interval arithmetic of :func:`fragmentation_report`, on offsets only: it depends on the subnet's
    size and the merged intervals, not on where the subnet lies, so the thousands of equal-sized subnets of
    a large plan (nothing in use, no reservations) share one computation. The largest free run's start is
    an offset here."""
    aws = _aws_reserved(size)
    aws_reserved = _length(aws)
    used_l, explicit_l, prefix_l = list(used), list(explicit), list(prefix)

    aws_used = _merge(aws + used_l)
    in_use = _length(aws_used) - aws_reserved
    taken = _merge(aws_used + explicit_l)
    explicit_reserved = _length(taken) - _length(aws_used)
    gaps = _complement(taken, size)  # usable addresses
    usable = _length(gaps)
    gaps_in_prefix = _intersect(gaps, prefix_l)
    prefix_reserved = _length(gaps_in_prefix)

    all_free_blocks = _aligned_blocks(gaps)
    prefix_reserved_blocks = _aligned_blocks(gaps_in_prefix)
    total_blocks = size // BLOCK
    # blocks touched by in-use or explicitly reserved addresses (not by AWS's own five)
    touched = _length(_merge((a // BLOCK, (b - 1) // BLOCK + 1) for a, b in _merge(used_l + explicit_l)))

    edge_free = 0
    if total_blocks:
        edges = _merge([(0, BLOCK), (size - BLOCK, size)])
        edge_free = _length(_intersect(gaps, edges))

    largest, start = 0, None
    for a, b in gaps:
        if b - a > largest:
            largest, start = b - a, a

    return (in_use, explicit_reserved, usable, prefix_reserved, all_free_blocks, prefix_reserved_blocks,
            total_blocks, touched, edge_free, largest, start, _aligned_block_runs(gaps))


def _dotted(address: int) -> str:
    """``str(IPv4Address(address))`` on the integer (ipaddress's own formatting is several times slower)."""
    return f"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}"


@lru_cache(maxsize=16384)
def _canonical(cidr: str) -> tuple[ipaddress.IPv4Network, str, int]:
    """A CIDR text's network, its canonical text and its first address, once per text (see parse_cidr)."""
    net = parse_cidr(cidr)
    base = int(net.network_address)
    return net, f"{_dotted(base)}/{net.prefixlen}", base


def fragmentation_report(
    cidr: str | ipaddress.IPv4Network,
    used_ips: Iterable[object] = (),
    reservations: Iterable[ReservationLike] = (),
) -> FragmentationReport:
    """Count a subnet's usable addresses and its free aligned /28 blocks.

    ``cidr``: the subnet's CIDR text, or its parsed network. ``used_ips``: in-use addresses (strings, ints,
    ``IPv4Address``; a CIDR string counts all its addresses). ``reservations``: :class:`CidrReservation`
    objects or ``(cidr, type)`` pairs. A block is free when none of its 16 addresses is AWS-reserved, in use
    or explicitly reserved; a free block lying wholly inside a prefix reservation is counted in
    ``prefix_reserved_blocks`` instead of ``free_blocks``. Raises ``ValueError`` for an unreadable CIDR or a
    reservation whose CIDR is Unknown.
    """
    if isinstance(cidr, Unknown):
        raise ValueError(f"subnet CIDR is unknown: {cidr.reason}")
    if isinstance(cidr, ipaddress.IPv4Network):
        net, base = cidr, int(cidr.network_address)
        text = f"{_dotted(base)}/{net.prefixlen}"
    else:
        net, text, base = _canonical(str(cidr))
    size = _size(net)
    if not used_ips and not reservations:
        # nothing in use and no reservations (every subnet of a template or plan): the report of an empty
        # subnet of its size with its own CIDR and largest run's start, as the general way below makes it
        fields, start_offset = _empty_report(size)
        out = object.__new__(FragmentationReport)
        out.__dict__.update(fields)
        out.__dict__["cidr"] = text
        if start_offset is not None:
            out.__dict__["largest_free_run_start"] = _dotted(base + start_offset)
        return out
    return _report(net, size, text, base, used_ips, reservations)


def _report(net: ipaddress.IPv4Network, size: int, text: str, base: int, used_ips: Iterable[object],
            reservations: Iterable[ReservationLike]) -> FragmentationReport:
    """fragmentation_report's interval arithmetic (``size``: the network's addresses): the figures depend on
    the size and the intervals alone (:func:`_counts` is shared by equal ones)."""
    used, outside = _address_intervals(net, used_ips) if used_ips else ([], 0)
    explicit, prefix = _reservation_intervals(net, reservations) if reservations else ([], [])
    (in_use, explicit_reserved, usable, prefix_reserved, all_free_blocks, prefix_reserved_blocks, total_blocks,
     touched, edge_free, largest, start_offset, largest_block_run) = _counts(
        size, tuple(used), tuple(explicit), tuple(prefix))

    return FragmentationReport(
        cidr=text,
        size=size,
        aws_reserved=_aws_reserved_count(size),
        in_use=in_use,
        explicit_reserved=explicit_reserved,
        prefix_reserved=prefix_reserved,
        usable=usable,
        free_addresses=usable - prefix_reserved,
        total_blocks=total_blocks,
        free_blocks=all_free_blocks - prefix_reserved_blocks,
        prefix_reserved_blocks=prefix_reserved_blocks,
        touched_blocks=touched,
        largest_free_run=largest,
        largest_free_run_start=None if start_offset is None else _dotted(base + start_offset),
        largest_free_block_run=largest_block_run,
        outside=outside,
        edge_free=edge_free,
    )


@lru_cache(maxsize=64)
def _empty_report(size: int) -> tuple[dict[str, Any], int | None]:
    """The fields (in order) of the report of an empty subnet of ``size`` addresses at 0.0.0.0, and the offset
    of its largest free run's start: the report of any empty subnet of that size is this one with its own
    CIDR and that start moved to its address (tests/test_blocks.py holds them equal)."""
    prefix_length = 33 - size.bit_length()
    report = _report(ipaddress.IPv4Network((0, prefix_length)), size, f"0.0.0.0/{prefix_length}", 0, (), ())
    start = report.largest_free_run_start  # an address of the subnet at 0.0.0.0: its offset
    return dict(report.__dict__), None if start is None else int(ipaddress.IPv4Address(start))


@lru_cache(maxsize=64)
def _aws_reserved_count(size: int) -> int:
    return _length(_aws_reserved(size))


def subnet_report(subnet: Subnet) -> FragmentationReport | None:
    """The report of a plan subnet, or None when its CIDR, in-use addresses or a reservation is unknown.

    A subnet without ``used_ips`` (not read from AWS) counts as empty apart from its reservations.
    """
    if isinstance(subnet.cidr, Unknown):
        return None
    if any(isinstance(r.cidr, Unknown) for r in subnet.reservations):
        return None
    return fragmentation_report(subnet.cidr, subnet.used_ips or (), subnet.reservations)


def free_blocks(cidr: str, used_ips: Iterable[object] = (), reservations: Iterable[ReservationLike] = ()) -> int:
    """Free aligned /28s prefix delegation can take (free ones plus those kept by prefix reservations)."""
    return fragmentation_report(cidr, used_ips, reservations).prefix_blocks_available


def reservation_cidrs(
    cidr: str,
    blocks: int,
    used_ips: Iterable[object] = (),
    reservations: Iterable[ReservationLike] = (),
) -> list[str]:
    """CIDRs for a ``prefix`` reservation of `blocks` more /28s, taken from the free aligned /28s outside
    existing reservations (lowest first), merged into as few aligned CIDRs as they allow.

    Returns fewer blocks' worth than asked when the subnet has fewer free /28s.
    """
    net = ipaddress.IPv4Network(cidr, strict=False)
    size = net.num_addresses
    base = int(net.network_address)
    explicit, prefix = _reservation_intervals(net, reservations)
    taken = _aws_reserved(size) + _address_intervals(net, used_ips)[0] + explicit + prefix
    starts: list[int] = []
    for a, b in _complement(_merge(taken), size):
        if len(starts) >= blocks:
            break
        first, last = -(-a // BLOCK), b // BLOCK
        last = min(last, first + blocks - len(starts))  # never more starts than asked for
        starts.extend(range(first * BLOCK, last * BLOCK, BLOCK))
    nets = [ipaddress.IPv4Network((base + s, 28)) for s in starts[:blocks]]
    return [str(n) for n in ipaddress.collapse_addresses(nets)]
