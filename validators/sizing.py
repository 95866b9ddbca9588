"""`podcap size`: how big must the subnets be for N nodes of type T over K AZs?

The answer runs the very engine `podcap check` runs. The request becomes a small plan (one subnet per
AZ, a cluster whose control plane uses those subnets, one node group at N nodes), :func:`podcap.analysis.
analyse` works out what each node takes on ipamd's growth path and how an Auto Scaling group spreads the
nodes (at most ``ceil(N / K)`` per AZ), and the EKS control-plane ENIs are added as `check` adds them.
From the demand per AZ follows the smallest subnet prefix: its size minus the 5 addresses AWS reserves
(VPC user guide, "Subnet sizing") must hold it, and with prefix delegation it must also keep enough
free aligned /28 blocks (EC2 grants a prefix only in an aligned /28 with no address taken; see
:mod:`podcap.engine.blocks` and PC204).

Scenarios, as the rules judge them: a managed node group update first adds surge nodes and stays
balanced (``ceil((N + S) / K)`` per AZ, as PC202; EKS's own surge is ``max(2 x AZs, maxUnavailable)``,
EKS user guide "Managed node update behavior"); a lost AZ moves its nodes to the others
(``ceil(N / (K - 1))`` per remaining AZ, as PC203).
"""
from __future__ import annotations

import ipaddress

from podcap.analysis import (
    AWS_RESERVED,
    CONTROL_PLANE_ENIS,
    MAX_UNAVAILABLE_QUOTA,
    Analysis,
    SubnetAnalysis,
    analyse,
    ceil_div,
)
from podcap.engine.blocks import BLOCK, fragmentation_report, reservation_cidrs
from podcap.engine.maxpods import pd_active
from podcap.engine.settings import parse_env
from podcap.limits import Snapshot
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet
from podcap.model.records import asdict, field, record

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

NODEGROUP = "nodes"
CLUSTER = "cluster"
MAX_SUBNET_PREFIX = 16  # a VPC (and so a subnet) is at most a /16
MIN_SUBNET_PREFIX = 28  # and a subnet at least a /28

# The CNI settings the comparison offers, besides the requested one. WARM_IP_TARGET=2 keeps two spare
# addresses per node; MINIMUM_IP_TARGET is set to the pods each node runs, so a node starts with the
# addresses its pods need (the pairing AWS's "eni-and-ip-target" document suggests).
WARM_IP_TARGET_OPTION = 2


class SizingError(ValueError):
    """A request that cannot be sized as asked (bad figures, a VPC CIDR too small): one clear line."""


@record
class SizeRequest:
    instance_types: list[str]
    nodes: int
    azs: int
    pods_per_node: int | None = None  # address-taking pods per node (None: nodes full at max pods)
    env: dict[str, str] = field(default_factory=dict)  # aws-node env (warm targets, prefix delegation)
    kubelet_max_pods: int | None = None
    managed: bool = False  # an EKS managed node group: EKS writes max pods
    surge: int | None = None  # nodes added during an update; None: not asked
    survive_az_loss: bool = False
    vpc_cidr: str | None = None


@record
class AzSizing:
    az: str
    nodes_at_max: int
    addresses_per_node: int
    prefixes_per_node: int
    control_plane_enis: int
    addresses_at_max: int
    surge_nodes: int | None = None  # nodes in this AZ during an update
    addresses_during_surge: int | None = None
    nodes_after_az_loss: int | None = None  # nodes in this AZ when another AZ is lost
    addresses_after_az_loss: int | None = None
    addresses_needed: int = 0  # the largest of the above
    prefix_blocks_needed: int = 0  # aligned /28s for prefixes in the worst scenario
    single_addresses: int = 0  # ENI primaries, secondary IPs, control-plane ENIs in that scenario
    subnet_prefix_length: int | None = None
    usable_addresses: int | None = None  # of a subnet of that prefix
    cidr: str | None = None  # with --vpc-cidr
    prefix_reservation: list[str] = field(default_factory=list)  # with --vpc-cidr and prefix delegation

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@record
class SettingOption:
    """One CNI setting of the comparison, at the same nodes and pods per node."""

    name: str
    env: dict[str, str]
    description: str
    fits: bool
    addresses_per_node: int | None = None
    addresses_needed_per_az: int | None = None
    prefix_blocks_per_az: int = 0
    subnet_prefix_length: int | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@record
class SizeAnswer:
    request: SizeRequest
    settings: str
    instance_type: str  # the type whose node takes the most addresses (several types: plan for it)
    pods_per_node: int
    kubelet_max_pods: int
    max_pods_origin: str
    azs: list[AzSizing]
    subnet_prefix_length: int | None
    options: list[SettingOption] = field(default_factory=list)
    recommendation: str = ""
    vpc_cidr: str | None = None
    errors: list[str] = field(default_factory=list)  # nothing fits (pods per node, a /16, the VPC)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "request": {
                "instance_types": list(r.instance_types), "nodes": r.nodes, "azs": r.azs,
                "pods_per_node": r.pods_per_node, "env": dict(r.env), "kubelet_max_pods": r.kubelet_max_pods,
                "managed": r.managed, "surge": r.surge, "survive_az_loss": r.survive_az_loss,
                "vpc_cidr": r.vpc_cidr,
            },
            "settings": self.settings,
            "instance_type": self.instance_type,
            "pods_per_node": self.pods_per_node,
            "kubelet_max_pods": self.kubelet_max_pods,
            "max_pods_origin": self.max_pods_origin,
            "subnet_prefix_length": self.subnet_prefix_length,
            "azs": [a.to_dict() for a in self.azs],
            "options": [o.to_dict() for o in self.options],
            "recommendation": self.recommendation,
            "vpc_cidr": self.vpc_cidr,
            "errors": list(self.errors),
            "notes": list(self.notes),
        }


def usable(plen: int) -> int:
    return 2 ** (32 - plen) - AWS_RESERVED


def prefix_for(addresses: int, blocks: int = 0, singles: int = 0) -> int | None:
    """The longest prefix length (smallest subnet) that holds `addresses`, and with prefix delegation
    `blocks` aligned /28s beside `singles` single addresses in the best placement (PC201 and PC204 both
    pass); None beyond a /16."""
    for plen in range(MIN_SUBNET_PREFIX, MAX_SUBNET_PREFIX - 1, -1):
        if usable(plen) < addresses:
            continue
        if blocks:
            empty = fragmentation_report(f"0.0.0.0/{plen}")  # AWS's five spoil the first and last /28
            loose = empty.free_addresses - BLOCK * empty.free_blocks
            if empty.free_blocks - ceil_div(max(singles - loose, 0), BLOCK) < blocks:
                continue
        return plen
    return None


def _plan(req: SizeRequest, instance_type: str, env: dict[str, str], pods: int | None) -> Plan:
    ids = [f"az-{i + 1}" for i in range(req.azs)]
    plan = Plan(source="podcap size", kind="spec")
    for i, sid in enumerate(ids):  # a placeholder /16 each: the demand, not the CIDR, is asked here
        plan.subnets[sid] = Subnet(id=sid, cidr=f"10.{i}.0.0/16", az=sid)
    plan.clusters[CLUSTER] = Cluster(id=CLUSTER, subnets=list(ids), cni_env=dict(env))
    plan.nodegroups.append(NodeGroup(
        name=NODEGROUP, cluster=CLUSTER, instance_types=[instance_type], subnets=list(ids),
        min_size=req.nodes, desired_size=req.nodes, max_size=req.nodes,
        kubelet_max_pods=req.kubelet_max_pods, pods_per_node=pods,
        self_managed=not req.managed, ordered_after_cni=True if req.managed else None,
    ))
    return plan


@record
class _Run:
    analysis: Analysis
    instance_type: str
    pods: int
    capacity: int
    kubelet: int
    origin: str
    per_node: int
    prefixes_per_node: int
    pd: bool


def _run(req: SizeRequest, snapshot: Snapshot, instance_type: str, env: dict[str, str], pods: int | None) -> _Run:
    a = analyse(_plan(req, instance_type, env, pods), snapshot)
    na = a.nodegroups[0]
    if not na.types:
        raise SizingError(f"unknown instance type {instance_type!r}")
    t = na.types[0]
    return _Run(a, instance_type, t.pods, t.capacity_pods, t.kubelet_max_pods, t.max_pods_origin,
                t.alloc.node_subnet_addresses, t.alloc.prefixes, pd_active(t.limits, na.settings))


def _scenario(sa: SubnetAnalysis, nodes: int) -> tuple[int, int]:
    """(addresses, /28 blocks) the subnet takes with `nodes` nodes of the node group in it."""
    total, blocks = 0, 0
    for c in sa.contributions.get("max", []):
        if c.nodegroup == NODEGROUP:
            total += nodes * (c.per_node or 0)
            blocks += nodes * c.prefixes_per_node
        else:
            total += c.addresses or 0
    return total, blocks


def _control_plane(sa: SubnetAnalysis) -> int:
    return sum(c.addresses or 0 for c in sa.contributions.get("max", []) if c.nodegroup is None)


def surge_of(req: SizeRequest) -> int | None:
    """The nodes an update adds: S as given, but never more than EKS adds, max(2 x AZs, 100) (maxUnavailable's
    quota of 100 nodes); no S: EKS's max(2 x AZs, maxUnavailable 1)."""
    if req.surge is None:
        return None
    if req.surge < 0:
        return 2 * req.azs
    return min(req.surge, max(2 * req.azs, MAX_UNAVAILABLE_QUOTA))


def _az_sizings(req: SizeRequest, run: _Run) -> list[AzSizing]:
    out = []
    surge = surge_of(req)
    for sid, sa in run.analysis.subnets.items():
        contrib = next(c for c in sa.contributions["max"] if c.nodegroup == NODEGROUP)
        n = contrib.nodes or 0
        at_max, blocks = _scenario(sa, n)
        z = AzSizing(az=sid, nodes_at_max=n, addresses_per_node=run.per_node, prefixes_per_node=run.prefixes_per_node,
                     control_plane_enis=_control_plane(sa), addresses_at_max=at_max)
        worst = (at_max, blocks)
        if surge is not None:
            z.surge_nodes = ceil_div(req.nodes + surge, req.azs)  # the group stays balanced while it surges
            z.addresses_during_surge, b = _scenario(sa, z.surge_nodes)
            worst = max(worst, (z.addresses_during_surge, b))
        if req.survive_az_loss and req.azs > 1:
            z.nodes_after_az_loss = ceil_div(req.nodes, req.azs - 1)
            z.addresses_after_az_loss, b = _scenario(sa, z.nodes_after_az_loss)
            worst = max(worst, (z.addresses_after_az_loss, b))
        z.addresses_needed, z.prefix_blocks_needed = worst
        z.single_addresses = z.addresses_needed - BLOCK * z.prefix_blocks_needed
        z.subnet_prefix_length = prefix_for(z.addresses_needed, z.prefix_blocks_needed, z.single_addresses)
        z.usable_addresses = usable(z.subnet_prefix_length) if z.subnet_prefix_length else None
        out.append(z)
    return out


def _worst_run(req: SizeRequest, snapshot: Snapshot, env: dict[str, str], pods: int | None) -> list[_Run]:
    runs = [_run(req, snapshot, t, env, pods) for t in req.instance_types]
    return sorted(runs, key=lambda r: (-r.per_node, r.instance_type))


def _needed(req: SizeRequest, run: _Run) -> tuple[int, int, int | None]:
    zs = _az_sizings(req, run)
    need = max(z.addresses_needed for z in zs)
    blocks = max(z.prefix_blocks_needed for z in zs)
    plens = [z.subnet_prefix_length for z in zs]
    return need, blocks, None if any(p is None for p in plens) else min(plens)  # type: ignore[type-var]


def _options(req: SizeRequest, snapshot: Snapshot, pods: int) -> list[SettingOption]:
    keep = {k: v for k, v in req.env.items() if k not in (
        "WARM_ENI_TARGET", "WARM_IP_TARGET", "MINIMUM_IP_TARGET", "WARM_PREFIX_TARGET", "ENABLE_PREFIX_DELEGATION")}
    choices = [
        ("default", {"WARM_ENI_TARGET": "1"}, "secondary IPs, WARM_ENI_TARGET=1 (the add-on's default)"),
        ("warm-ip-target", {"WARM_IP_TARGET": str(WARM_IP_TARGET_OPTION), "MINIMUM_IP_TARGET": str(pods)},
         f"secondary IPs, WARM_IP_TARGET={WARM_IP_TARGET_OPTION}, MINIMUM_IP_TARGET={pods} (the pods per node)"),
        ("prefix-delegation", {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"},
         "prefix delegation, WARM_PREFIX_TARGET=1"),
    ]
    out = []
    for name, extra, desc in choices:
        env = {**keep, **extra}
        runs = _worst_run(req, snapshot, env, pods)
        short = [r for r in runs if r.capacity < pods]
        if name == "prefix-delegation" and not all(r.pd for r in runs):
            out.append(SettingOption(name, env, desc, False,
                                     note="prefix delegation needs Nitro instance types: "
                                          + ", ".join(r.instance_type for r in runs if not r.pd)))
            continue
        if short:
            r = short[0]
            out.append(SettingOption(name, env, desc, False,
                                     note=f"{r.instance_type} runs at most {r.capacity} address-taking pods here "
                                          f"(max pods {r.kubelet}), {pods} asked"))
            continue
        run = runs[0]
        need, blocks, plen = _needed(req, run)
        out.append(SettingOption(name, env, desc, plen is not None, run.per_node, need, blocks, plen,
                                 "" if plen is not None else "more than a /16 per AZ"))
    return out


def _recommend(options: list[SettingOption], current: int | None) -> str:
    """The setting with the smallest subnet per AZ; on a tie the add-on's default (nothing to configure),
    then the one taking fewer addresses."""
    fitting = [o for o in options if o.fits and o.subnet_prefix_length is not None]
    if not fitting:
        return "no CNI setting fits: use more AZs, fewer nodes, or larger instance types"
    best = max(fitting, key=lambda o: (o.subnet_prefix_length, o.name == "default", -(o.addresses_needed_per_az or 0)))
    text = (f"{best.description}: {best.addresses_per_node} addresses per node, "
            f"{best.addresses_needed_per_az} per AZ, a /{best.subnet_prefix_length} per AZ")
    default = next((o for o in options if o.name == "default"), None)
    if best.name == "default":
        leaner = [o for o in fitting if o is not best and (o.addresses_needed_per_az or 0) < (
            best.addresses_needed_per_az or 0)]
        if leaner:
            o = min(leaner, key=lambda x: x.addresses_needed_per_az or 0)
            text += (f"; {o.name} takes fewer addresses ({o.addresses_needed_per_az} per AZ) but needs no smaller "
                     "subnet")
        return text
    if default is not None and default.fits and default.subnet_prefix_length is not None:
        text += f", instead of a /{default.subnet_prefix_length} with the default"
    if best.name == "warm-ip-target":
        text += " (more EC2 API calls as pods come and go)"
    if best.name == "prefix-delegation":
        text += " (keep the /28 blocks free with a prefix CIDR reservation)"
    return text


def vpc_network(vpc_cidr: str) -> ipaddress.IPv4Network:
    """The VPC CIDR as a network; a bad one is a SizingError (AWS allows a /16 to a /28)."""
    try:
        vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    except ValueError as e:
        why = "an IPv6 block: subnets are laid out in the VPC's IPv4 CIDR (a.b.c.d/n)" if ":" in vpc_cidr else str(e)
        raise SizingError(f"--vpc-cidr {vpc_cidr[:60]}: {why[:200]}") from None
    if not MAX_SUBNET_PREFIX <= vpc.prefixlen <= MIN_SUBNET_PREFIX:
        raise SizingError(f"--vpc-cidr {vpc_cidr}: a VPC CIDR is a /16 to a /28")
    return vpc


class LayoutError(SizingError):
    """The subnets do not fit in the VPC CIDR."""


def layout(vpc_cidr: str, azs: list[AzSizing]) -> None:
    """Concrete, aligned, non-overlapping subnet CIDRs from the start of the VPC CIDR, largest first,
    and under prefix delegation the ``prefix`` CIDR reservation each subnet needs for its /28s."""
    vpc = vpc_network(vpc_cidr)
    if any(z.subnet_prefix_length is None for z in azs):
        raise SizingError("no subnet layout: an AZ needs more than a /16")
    order = sorted(azs, key=lambda z: (z.subnet_prefix_length, z.az))
    need = sum(2 ** (32 - z.subnet_prefix_length) for z in azs)  # type: ignore[operator]
    pos = int(vpc.network_address)
    end = int(vpc.broadcast_address) + 1
    for z in order:
        size = 2 ** (32 - z.subnet_prefix_length)  # type: ignore[operator]
        pos = ceil_div(pos, size) * size  # aligned (largest first keeps the layout gap-free)
        if z.subnet_prefix_length < vpc.prefixlen or pos + size > end:  # type: ignore[operator]
            raise LayoutError(f"{len(azs)} subnets need {need} addresses ("
                              + ", ".join(f"/{x.subnet_prefix_length}" for x in azs)
                              + f"), more than the VPC CIDR {vpc} holds ({vpc.num_addresses})")
        z.cidr = str(ipaddress.IPv4Network((pos, z.subnet_prefix_length)))
        if z.prefix_blocks_needed:
            z.prefix_reservation = reservation_cidrs(z.cidr, z.prefix_blocks_needed)
        pos += size


def size(req: SizeRequest, snapshot: Snapshot) -> SizeAnswer:
    """Size the subnets for the request (see the module docstring for what is counted)."""
    if req.nodes < 1 or req.azs < 1:
        raise SizingError("--nodes and --azs must be at least 1")
    if req.survive_az_loss and req.azs < 2:
        raise SizingError("--survive-az-loss needs at least 2 AZs")
    if not req.instance_types:
        raise SizingError("name at least one --instance-type")
    if req.vpc_cidr:
        vpc_network(req.vpc_cidr)
    runs = _worst_run(req, snapshot, req.env, req.pods_per_node)
    run = runs[0]
    settings = run.analysis.nodegroups[0].settings.describe()
    errors: list[str] = []
    for r in runs:
        if req.pods_per_node is not None and req.pods_per_node > r.capacity:
            errors.append(f"{r.instance_type} runs at most {r.capacity} address-taking pods ({r.origin}; "
                          f"{settings}), {req.pods_per_node} per node asked")
    pods = min(r.pods for r in runs) if req.pods_per_node is None else req.pods_per_node
    zs = _az_sizings(req, run)
    plens = [z.subnet_prefix_length for z in zs]
    overall = None if any(p is None for p in plens) else min(plens)  # type: ignore[type-var]
    if overall is None:
        errors.append(f"an AZ needs {max(z.addresses_needed for z in zs)} addresses, more than a /16 holds "
                      f"({usable(16)} usable): use more AZs or fewer nodes per AZ")
    answer = SizeAnswer(request=req, settings=settings, instance_type=run.instance_type, pods_per_node=run.pods,
                        kubelet_max_pods=run.kubelet, max_pods_origin=run.origin, azs=zs,
                        subnet_prefix_length=overall, errors=errors)
    answer.notes.extend(parse_env(req.env).warnings)
    surge = surge_of(req)
    if req.surge is not None and surge is not None and req.surge > surge:
        answer.notes.append(f"surge {req.surge} capped at {surge}: an EKS managed node group update adds "
                            f"at most max(2 x AZs, {MAX_UNAVAILABLE_QUOTA}) nodes (maxUnavailable's quota of "
                            f"{MAX_UNAVAILABLE_QUOTA} nodes)")
    answer.notes.append(f"EKS control plane: up to {CONTROL_PLANE_ENIS} ENIs over the cluster's {req.azs} "
                        f"subnet{'s' if req.azs != 1 else ''} ({zs[0].control_plane_enis} per subnet counted)")
    answer.options = _options(req, snapshot, pods)
    answer.recommendation = _recommend(answer.options, overall)
    if req.vpc_cidr:
        answer.vpc_cidr = req.vpc_cidr
        if overall is not None:
            try:
                layout(req.vpc_cidr, zs)
            except LayoutError as e:
                answer.errors.append(str(e))
    return answer


def _cell(v: object) -> str:
    return "-" if v is None or v == [] else str(v)


def _table(heads: list[str], rows: list[list[object]]) -> list[str]:
    cells = [[_cell(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(heads)]
    right = {i for i in range(len(heads)) if all(r[i].lstrip("/-").isdigit() or r[i] == "-" for r in cells)}

    def line(cs: list[str]) -> str:
        return "  " + "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cs, widths)))

    return [line(heads).rstrip()] + [line(r).rstrip() for r in cells]


def render_text(ans: SizeAnswer, width: int = 100) -> str:
    """The answer for people: paragraphs wrapped at `width`; tables as wide as their cells (a CIDR or a
    figure is never cut), the subnets' CIDRs and prefix reservations listed below the table, wrapped."""
    import textwrap

    r = ans.request
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="    ", break_on_hyphens=False)

    def para(text: str, indent: str = "") -> list[str]:
        wrap.initial_indent = indent
        wrap.subsequent_indent = indent + "  "
        return wrap.wrap(text) or [""]

    types = ", ".join(r.instance_types)
    out = para(f"podcap size: {r.nodes} node{'s' if r.nodes != 1 else ''} of {types} over {r.azs} "
               f"AZ{'s' if r.azs != 1 else ''}, {ans.settings}")
    out += para(f"{ans.instance_type}: max pods {ans.kubelet_max_pods} ({ans.max_pods_origin}), "
                f"{ans.pods_per_node} address-taking pod{'s' if ans.pods_per_node != 1 else ''} per node, "
                f"{ans.azs[0].addresses_per_node} addresses per node"
                + (f" ({ans.azs[0].prefixes_per_node} /28 prefixes)" if ans.azs[0].prefixes_per_node else ""),
                "  ")
    surge = surge_of(r)
    heads = ["AZ", "NODES", "AT MAX"]
    if surge is not None:
        heads += [f"SURGE +{surge}"]
    if r.survive_az_loss:
        heads += ["AZ LOST"]
    pd = any(z.prefix_blocks_needed for z in ans.azs)
    heads += ["NEEDED"] + (["/28 BLOCKS"] if pd else []) + ["SUBNET", "USABLE"]
    rows = []
    for z in ans.azs:
        row: list[object] = [z.az, z.nodes_at_max, z.addresses_at_max]
        if surge is not None:
            row.append(f"{z.addresses_during_surge} ({z.surge_nodes} nodes)")
        if r.survive_az_loss:
            row.append(f"{z.addresses_after_az_loss} ({z.nodes_after_az_loss} nodes)")
        row += [z.addresses_needed] + ([z.prefix_blocks_needed] if pd else [])
        row += [f"/{z.subnet_prefix_length}" if z.subnet_prefix_length else None, z.usable_addresses]
        rows.append(row)
    out += ["", "Addresses per AZ (control-plane ENIs included)"] + _table(heads, rows)
    if r.vpc_cidr:
        out += ["", f"Subnets in {r.vpc_cidr}"]
        for z in ans.azs:
            out += para(f"{z.az}: {_cell(z.cidr)}" + (f"; prefix reservation {', '.join(z.prefix_reservation)}"
                                                       if pd and z.prefix_reservation else ""), "  ")
    z0 = max(ans.azs, key=lambda z: z.addresses_needed)
    if ans.subnet_prefix_length is not None:
        smaller = ans.subnet_prefix_length + 1
        tail = (f"; a /{smaller} holds {usable(smaller)}" if smaller <= MIN_SUBNET_PREFIX else "")
        nodes, when = z0.nodes_at_max, "at max"
        if z0.addresses_during_surge == z0.addresses_needed and z0.surge_nodes is not None:
            nodes, when = z0.surge_nodes, "during an update"
        if z0.addresses_after_az_loss == z0.addresses_needed and z0.nodes_after_az_loss is not None:
            nodes, when = z0.nodes_after_az_loss, "with an AZ lost"
        out += [""] + para(
            f"Subnet per AZ: /{ans.subnet_prefix_length} ({usable(ans.subnet_prefix_length)} usable for "
            f"{z0.addresses_needed} addresses: {nodes} node{'s' if nodes != 1 else ''} x {z0.addresses_per_node} + "
            f"{z0.control_plane_enis} control-plane ENIs {when}{tail})"
            + (f"; with prefix delegation also {z0.prefix_blocks_needed} free aligned /28 blocks beside "
               f"{z0.single_addresses} single addresses" if z0.prefix_blocks_needed else ""))
    out += ["", f"CNI settings compared (same nodes, {ans.pods_per_node} pods per node)"]
    rows = [[o.name, o.addresses_per_node, o.addresses_needed_per_az,
             o.prefix_blocks_per_az if o.prefix_blocks_per_az else None,
             f"/{o.subnet_prefix_length}" if o.subnet_prefix_length else None] for o in ans.options]
    out += _table(["SETTING", "PER NODE", "PER AZ", "/28 BLOCKS", "SUBNET"], rows)
    for o in ans.options:
        out += para(f"{o.name}: {o.description}" + (f"; {o.note}" if o.note else ""), "  ")
    out += [""] + para(f"Recommendation: {ans.recommendation}")
    for n in ans.notes:
        out += para(f"note: {n}")
    for e in ans.errors:
        out += para(f"error: {e}")
    return "\n".join(out) + "\n"
