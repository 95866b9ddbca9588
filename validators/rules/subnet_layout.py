"""PC501-PC503: subnets that overlap, fall outside their VPC, or have a size EC2 refuses."""
from __future__ import annotations

import ipaddress

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.model.unknown import Unknown
from podcap.rules.base import REGISTRY, rule
from podcap.rules.common import DOCS_SUBNETS, subnet_location


def _nets(a: Analysis):
    for sid, sa in a.subnets.items():
        if sa.network is not None and sa.subnet.defined_in_plan:
            yield sid, sa


@rule(
    "PC501",
    Severity.ERROR,
    "Overlapping subnets",
    description="""
Two subnets of the same VPC have overlapping CIDR blocks; EC2 rejects the second one.

Already covered for CloudFormation by cfn-lint E3060 (subnet CIDRs overlap, `VpcSubnetOverlap`), and by
E3059 for the subnets of one VPC resource; podcap also checks Terraform plans, specs, cdk.out across
stacks and subnets read with --live.
""",
    help_uri=DOCS_SUBNETS,
    fix="Give each subnet its own range (Fn::Cidr / cidrsubnet hand out disjoint blocks).",
)
def check_overlap(a: Analysis):
    r = REGISTRY["PC501"]
    # Per VPC, sweep the subnets in address order: only those still open at a subnet's start can overlap
    # it, so a plan with thousands of subnets costs n log n, not every pair.
    by_vpc: dict[object, list[tuple[int, int, int, str, object]]] = {}
    for order, (sid, sa) in enumerate(_nets(a)):
        vpc = sa.subnet.vpc
        if isinstance(vpc, Unknown):
            continue
        net = sa.network
        start = int(net.network_address)
        by_vpc.setdefault(vpc, []).append((start, start + (1 << (32 - net.prefixlen)), order, sid, sa))
    pairs = []
    for vpc, items in by_vpc.items():
        items.sort(key=lambda x: (x[0], x[2]))
        open_: list[tuple[int, int, int, str, object]] = []
        for item in items:
            open_ = [o for o in open_ if o[1] > item[0]]
            for o in open_:
                first, second = (o, item) if o[2] < item[2] else (item, o)
                pairs.append((first[2], second[2], vpc, first, second))
            open_.append(item)
    for _, _, vpc, (_, _, _, ia, sa), (_, _, _, ib, sb) in sorted(pairs, key=lambda p: (p[0], p[1])):
        yield r.finding(
            ib,
            f"subnet {ib} ({sb.network}) overlaps subnet {ia} ({sa.network}) in VPC {vpc or '?'}",
            resource_type="subnet",
            location=subnet_location(a, sb),
            data={"other": ia, "cidr": str(sb.network), "other_cidr": str(sa.network)},
            source=a.plan.source,
        )


def _inside_any(net: ipaddress.IPv4Network, blocks: list[ipaddress.IPv4Network]) -> bool:
    """``any(net.subnet_of(b) for b in blocks)`` on integers: subnet_of builds both broadcast addresses, which
    was most of this rule's cost on a plan of thousands of subnets."""
    lo = int(net.network_address)
    hi = lo + (1 << (32 - net.prefixlen))
    for b in blocks:
        b_lo = int(b.network_address)
        if b_lo <= lo and hi <= b_lo + (1 << (32 - b.prefixlen)):
            return True
    return False


def _vpc_blocks(cidrs: list) -> list[ipaddress.IPv4Network] | None:
    """A VPC's readable CIDR blocks; None when one of them is Unknown or it has none (nothing to judge)."""
    if any(isinstance(c, Unknown) for c in cidrs) or not cidrs:
        return None
    blocks = []
    for c in cidrs:
        try:
            blocks.append(ipaddress.IPv4Network(c, strict=False))
        except ValueError:
            continue
    return blocks


@rule(
    "PC502",
    Severity.ERROR,
    "Subnet outside its VPC",
    description="""
A subnet's CIDR is not inside any CIDR block of its VPC (primary or secondary); EC2 rejects it.

Already covered for CloudFormation by cfn-lint E3059 (subnet CIDRs within the VPC's CIDRs,
`VpcSubnetCidr`, secondary `AWS::EC2::VPCCidrBlock` included); podcap also checks Terraform plans, specs,
cdk.out across stacks and subnets read with --live.
""",
    help_uri=DOCS_SUBNETS,
    fix="Pick a range inside the VPC, or associate a secondary CIDR block (such as 100.64.0.0/16) first.",
)
def check_outside(a: Analysis):
    r = REGISTRY["PC502"]
    vpc_blocks: dict[str, list[ipaddress.IPv4Network] | None] = {}  # each VPC's CIDRs parsed once, not per subnet
    for sid, sa in _nets(a):
        vpc_id = sa.subnet.vpc
        if not isinstance(vpc_id, str) or vpc_id not in a.plan.vpcs:
            continue
        if vpc_id not in vpc_blocks:
            vpc_blocks[vpc_id] = _vpc_blocks(a.plan.vpcs[vpc_id].cidrs)
        blocks = vpc_blocks[vpc_id]
        if blocks and not _inside_any(sa.network, blocks):
            yield r.finding(
                sid,
                f"subnet {sid} ({sa.network}) is outside VPC {vpc_id} ({', '.join(map(str, blocks))})",
                resource_type="subnet",
                location=subnet_location(a, sa),
                data={"cidr": str(sa.network), "vpc": vpc_id, "vpc_cidrs": [str(b) for b in blocks]},
                source=a.plan.source,
            )


@rule(
    "PC503",
    Severity.ERROR,
    "Subnet size outside /16 to /28",
    description="EC2 subnets are /16 to /28. A /28 keeps 11 addresses (AWS reserves 5) and no whole free /28 "
                "block for prefix delegation.",
    help_uri=DOCS_SUBNETS,
    fix="Use a prefix length from /16 to /28; for EKS node subnets, /24 or larger.",
)
def check_size(a: Analysis):
    r = REGISTRY["PC503"]
    for sid, sa in _nets(a):
        plen = sa.network.prefixlen
        if plen < 16 or plen > 28:
            yield r.finding(
                sid,
                f"subnet {sid} is a /{plen} ({sa.network}); EC2 subnets are /16 to /28",
                resource_type="subnet",
                location=subnet_location(a, sa),
                data={"cidr": str(sa.network), "prefix_length": plen},
                source=a.plan.source,
            )
