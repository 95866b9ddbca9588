"""Small helpers the rule modules share: locations, subnet sizing hints."""
from __future__ import annotations

from podcap.analysis import AWS_RESERVED, Analysis, SubnetAnalysis
from podcap.model.plan import Location, Subnet

DOCS_IP = "https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html"
DOCS_SUBNETS = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"
DOCS_MAXPODS = "https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html"
DOCS_WARM = "https://github.com/aws/amazon-vpc-cni-k8s/blob/master/docs/eni-and-ip-target.md"
DOCS_CUSTOM = "https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html"
DOCS_MNG_UPDATE = "https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html"
DOCS_PREFIX = "https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses-procedure.html"
DOCS_RESERVATION = "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html"


def location_of(analysis: Analysis, resource: str, fallback: Location | None = None) -> Location:
    loc = analysis.plan.resource_locations.get(resource)
    if loc is not None:
        return loc
    return fallback or Location(file=analysis.plan.source)


def subnet_location(analysis: Analysis, sa: SubnetAnalysis) -> Location:
    s = sa.subnet
    if s.location.file or s.location.path:
        return s.location
    return location_of(analysis, s.id)


def smallest_prefix_for(addresses: int, already_used: int = 0) -> int | None:
    """The longest prefix length whose subnet holds `addresses` more (AWS keeps 5); None beyond a /16."""
    for plen in range(28, 15, -1):
        if 2 ** (32 - plen) - AWS_RESERVED - already_used >= addresses:
            return plen
    return None


def not_usable(sa: SubnetAnalysis) -> int:
    """Addresses of the subnet that are neither AWS's five nor usable: in use and reserved. A larger subnet
    replacing it still holds them, so a size hint counts them."""
    return max((sa.size or 0) - AWS_RESERVED - (sa.usable or 0), 0)


def cidr_text(s: Subnet) -> str:
    """A subnet's CIDR as a message shows it: the block, or what is known of it (an IPAM allocation's length)."""
    if isinstance(s.cidr, str):
        return s.cidr
    return f"a /{s.prefix_length} from IPAM" if s.prefix_length is not None else "CIDR unknown"


def plural(n: int | None, word: str) -> str:
    """"1 node", "3 nodes", "1 address", "30 addresses" ('?' when unknown)."""
    if n is None:
        return f"? {word}s"
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}es" if word.endswith(("s", "x", "ch", "sh")) else f"{n} {word}s"


def usable_of(plen: int) -> int:
    return 2 ** (32 - plen) - AWS_RESERVED


def fmt_scales(sa: SubnetAnalysis) -> str:
    vals = [sa.demand(s) for s in ("min", "desired", "max")]
    return "/".join("?" if v is None else str(v) for v in vals)
