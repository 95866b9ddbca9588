"""PC204-PC205: with prefix delegation, free aligned /28 blocks, not free addresses, are what counts.

ipamd asks EC2 for whole /28 prefixes (``AssignPrivateIpAddresses`` with ``Ipv4PrefixCount``) and EC2
grants only aligned /28s in which no address is taken; otherwise the call fails with
``InsufficientCidrBlocks`` and ipamd logs "Consider using new subnet or carve a reserved range using
create-subnet-cidr-reservation". Every ENI also takes a single primary address, and EC2 may place it in
any free /28 outside prefix reservations. So a subnet needs, at max size:

* ``B`` free aligned /28s for the prefixes of every prefix-delegation node;
* room for ``S`` single addresses (ENI primaries, secondary IPs of other node groups, control-plane
  ENIs): best case they fill the /28s that are already partly taken (the first and last /28 of every
  subnet, which AWS's five reserved addresses spoil); worst case each lands in a different free /28.

PC204 (error) fires when even the best case leaves fewer than ``B`` blocks; PC205 (warning) when the
worst case does, which a ``prefix`` subnet CIDR reservation prevents.
"""
from __future__ import annotations

from collections.abc import Iterable

from podcap.analysis import Analysis, SubnetAnalysis, ceil_div
from podcap.engine.blocks import BLOCK, fragmentation_report, reservation_cidrs
from podcap.model.findings import Finding, Severity
from podcap.rules.base import REGISTRY, Rule, rule
from podcap.rules.common import DOCS_PREFIX, DOCS_RESERVATION, cidr_text, plural, subnet_location

SCALE = "max"


def smallest_subnet_for(blocks: int, singles: int, worst: bool = False) -> int | None:
    """The longest prefix length of an empty subnet that holds `blocks` prefixes and `singles` single
    addresses, in the best placement (or the worst: each single in a /28 of its own)."""
    for plen in range(28, 15, -1):
        empty = fragmentation_report(f"0.0.0.0/{plen}")  # AWS's five spoil the first and last /28
        free, loose = empty.free_blocks, empty.free_addresses - BLOCK * empty.free_blocks
        spoiled = singles if worst else ceil_div(max(singles - loose, 0), BLOCK)
        if free - spoiled >= blocks:
            return plen
    return None


def reservation_for(blocks: int) -> int:
    """The prefix length of one aligned CIDR reservation holding `blocks` /28s."""
    plen = 28
    while 2 ** (32 - plen) < blocks * BLOCK:
        plen -= 1
    return plen


def _breakdown(sa: SubnetAnalysis) -> str:
    parts = []
    for c in sa.contributions.get(SCALE, []):
        if c.prefixes and c.prefix_cap is not None and c.prefixes == c.prefix_cap:
            parts.append(f"{c.who}: {c.prefixes} (the most its limits let its nodes hold together; up to "
                         f"{plural(c.nodes, 'node')} x {plural(c.prefixes_per_node, 'prefix')})")
        elif c.prefixes:
            parts.append(f"{c.who}: {plural(c.nodes, 'node')} x {plural(c.prefixes_per_node, 'prefix')} "
                         f"= {c.prefixes}")
    return "; ".join(parts)


def _pd_subnets(a: Analysis) -> list[tuple[str, SubnetAnalysis, int, int]]:
    """The subnets where prefix delegation takes /28s at max size, with the blocks and single addresses
    they need: walked once for PC204 and PC205."""
    return a.derived("prefix_delegation_subnets", lambda a: list(_walk_pd_subnets(a)))


def _walk_pd_subnets(a: Analysis) -> Iterable[tuple[str, SubnetAnalysis, int, int]]:
    for sid, sa in a.subnets.items():
        need = sa.prefix_demand(SCALE)
        if not need or sa.blocks is None:
            continue  # no prefix delegation here, or a figure is unknown (PC001 says which)
        singles = sa.single_demand(SCALE)
        if singles is None:
            continue
        yield sid, sa, need, singles


def _finding(a: Analysis, r: Rule, sid: str, sa: SubnetAnalysis, need: int, singles: int,
             have: int, case: str, fix: str, plen: int | None, extra: dict | None = None) -> Finding:
    b = sa.blocks
    assert b is not None
    s = sa.subnet
    az = s.az if isinstance(s.az, str) else "?"
    return r.finding(
        sid,
        f"subnet {sid} ({cidr_text(s)}, {az}) needs {need} free aligned /28 blocks for prefix delegation at max size "
        f"({_breakdown(sa)}) plus {singles} single addresses (ENI primaries, secondary IPs, control plane), "
        f"but {case} only {have} /28 blocks are left for prefixes. {b.explanation}"
        + (f"; {sa.unplaced_used} of those free addresses are in use at unknown places, so "
           f"{max(b.usable - sa.unplaced_used, 0)} are free" if sa.unplaced_used else ""),
        resource_type="subnet",
        location=subnet_location(a, sa),
        fix=fix,
        data={"cidr": s.cidr, "prefix_blocks_needed": need, "single_addresses": singles,
              "blocks_left": have, "free_blocks": b.free_blocks, "prefix_reserved_blocks": b.prefix_reserved_blocks,
              "free_addresses": max(b.usable - sa.unplaced_used, 0), "fragmented": b.fragmented,
              "suggested_prefix_length": plen, "suggested_reservation_prefix_length": reservation_for(need),
              **(extra or {})},
        source=a.plan.source,
    )


def _singles_finding(a: Analysis, r: Rule, sid: str, sa: SubnetAnalysis, need: int, singles: int,
                     room: int) -> Finding:
    """Single addresses (ENI primaries, secondary IPs, control-plane ENIs, Fargate pods) that do not fit
    outside the subnet's prefix reservations: EC2 assigns a reservation of type ``prefix`` to prefixes only
    (VPC user guide, subnet CIDR reservations), so those ENIs and pods get no address however many /28s
    are kept."""
    b = sa.blocks
    assert b is not None
    s = sa.subnet
    az = s.az if isinstance(s.az, str) else "?"
    plen = smallest_subnet_for(need, singles)
    return r.finding(
        sid,
        f"subnet {sid} ({cidr_text(s)}, {az}) needs {singles} single addresses at max size (ENI primaries, secondary "
        f"IPs, control plane, Fargate pods) besides {need} /28 prefixes ({_breakdown(sa)}), but only {room} "
        f"addresses are free outside its prefix reservations ({b.prefix_reserved_blocks} /28s, "
        f"{b.prefix_reserved} addresses, kept for prefixes only): {singles - room} cannot be assigned",
        resource_type="subnet",
        location=subnet_location(a, sa),
        fix=(f"shrink the prefix reservations to {need} /28s (they hold {b.prefix_reserved_blocks}), or use "
             + (f"a /{plen} or larger subnet" if plen else "more subnets") + ", or lower the max size"),
        data={"cidr": s.cidr, "prefix_blocks_needed": need, "single_addresses": singles,
              "room_outside_prefix_reservations": room, "prefix_reserved_blocks": b.prefix_reserved_blocks,
              "suggested_prefix_length": plen},
        source=a.plan.source,
    )


@rule(
    "PC204",
    Severity.ERROR,
    "Prefix delegation: not enough free aligned /28 blocks",
    description="""
With prefix delegation every node takes whole /28 prefixes, and EC2 grants only aligned /28s in which
no address is taken (the 5 AWS-reserved addresses spoil the first and last /28 of every subnet; addresses
in use and explicit reservations spoil theirs). At max size the subnet lacks enough such blocks even if
every single address (ENI primaries, secondary IPs, control-plane ENIs) were packed into partly used
/28s: ipamd's prefix calls fail with InsufficientCidrBlocks and pods stay in ContainerCreating, although
the subnet may still show free addresses.

It fires too when the single addresses themselves do not fit outside the subnet's `prefix` CIDR
reservations, which EC2 assigns to prefixes only: ENIs and Fargate pods beyond that room get no address.
""",
    help_uri=DOCS_PREFIX,
    fix="Use a larger subnet (or a new one with a prefix CIDR reservation), or lower the max size.",
)
def check_blocks(a: Analysis):
    r = REGISTRY["PC204"]
    for sid, sa, need, singles in _pd_subnets(a):
        b = sa.blocks
        # without prefix reservations the room is the subnet's usable addresses, and PC201 reports an overflow
        room = b.free_addresses - sa.unplaced_used if b is not None and b.prefix_reserved_blocks else None
        if room is not None and singles > room:
            yield _singles_finding(a, r, sid, sa, need, singles, max(room, 0))
            continue
        have = sa.blocks_left(singles)
        if have is None or have >= need:
            continue
        plen = smallest_subnet_for(need, singles)
        parts = [f"needs a /{plen} or larger (empty) subnet" if plen
                 else "needs more than a /16 holds: split the node groups over more subnets"]
        if sa.blocks is not None and sa.blocks.fragmented:
            parts.append(f"or a new subnet with a prefix CIDR reservation of a /{reservation_for(need)} "
                         f"({need} /28s): in-use addresses strand {sa.blocks.stranded_addresses} addresses here")
        parts.append("or lower the max size")
        yield _finding(a, r, sid, sa, need, singles, have, "even at best", "; ".join(parts), plen)


@rule(
    "PC205",
    Severity.WARNING,
    "Prefix delegation: /28 blocks not kept for prefixes",
    description="""
The subnet has enough free aligned /28 blocks only if EC2 places single addresses (ENI primaries,
secondary IPs of other node groups, control-plane ENIs) in /28s that are already partly taken. EC2 may
put each of them in a different free /28, and then prefix delegation runs out of blocks at max size
(InsufficientCidrBlocks). A subnet CIDR reservation of type `prefix` keeps /28s for prefixes only.
""",
    help_uri=DOCS_RESERVATION,
    fix="Create a prefix-type subnet CIDR reservation for the prefixes, or use a larger subnet.",
)
def check_fragmentation(a: Analysis):
    r = REGISTRY["PC205"]
    for sid, sa, need, singles in _pd_subnets(a):
        best = sa.blocks_left(singles)
        worst = sa.blocks_left(singles, worst=True)
        if best is None or worst is None or best < need or worst >= need:
            continue  # PC204 reports the certain shortfall; no risk when the worst case fits
        b = sa.blocks
        assert b is not None
        missing = need - b.prefix_reserved_blocks
        s = sa.subnet
        cidrs = reservation_cidrs(str(s.cidr), missing, s.used_ips or (), s.reservations)
        outside = b.free_addresses - BLOCK * missing - sa.unplaced_used
        parts = []
        if outside >= singles:
            parts.append(f"create a prefix-type subnet CIDR reservation of {missing} more /28s ({', '.join(cidrs)}), "
                         f"leaving {outside} addresses outside it for the {singles} single addresses")
        plen = smallest_subnet_for(need, singles, worst=True)
        parts.append(f"use a /{plen}, where even the worst placement leaves {need} /28s" if plen
                     else "split the node groups over more subnets")
        fix = "; or ".join(parts)
        yield _finding(a, r, sid, sa, need, singles, worst, "in the worst placement", fix, plen,
                       {"suggested_reservation_cidrs": cidrs})
