"""What every resource reader of a template shares: the property accessors of :class:`BuilderBase`, the
links left for after every stack is read (:class:`Pending`), notes, and the marker of an absent value."""

from __future__ import annotations

from podcap.model.plan import CidrReservation, Location, NodeGroup, Plan
from podcap.model.records import field, record
from podcap.model.unknown import Unknown
from podcap.sources.intrinsics import LITERAL_TYPES, NO_VALUE, TOKEN_RE, Resolver, ResourceRef, as_text

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

EKS_DEFAULT_SCALING = {"MinSize": 1, "DesiredSize": 2, "MaxSize": 2}  # EKS API default scalingConfig
EXISTING_SUBNET = "existing subnet not described by the template; use --live"

MISSING: Any = object()  # a property that is absent (or Ref AWS::NoValue)


def as_dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def add_note(plan: Plan, resource: str, text: str) -> None:
    """Record a default podcap applied (shown with the findings, never silently assumed)."""
    plan.notes.append((resource, text))


@record
class Addon:
    """A vpc-cni add-on read, linked to its cluster once every stack is read."""

    rid: str
    cluster_ref: Any
    env: Any
    eni_configs: dict[str, Any]
    source: str
    location: Location


@record
class KubernetesCarrier:
    """Kubernetes objects a template carries (a CDK manifest or patch), applied once every cluster is read."""

    rid: str
    objects: list[Any]
    cluster_ref: Any
    location: Location


@record
class Pending:
    """Links resolved once every stack is read (a node group in one stack, its cluster in another)."""

    addons: list[Addon] = field(default_factory=list)
    ng_clusters: list[tuple[Any, Any]] = field(default_factory=list)  # (NodeGroup | FargateProfile, ref)
    vpc_cidrs: list[tuple[Any, Any, str]] = field(default_factory=list)  # (vpc ref, cidr, resource id)
    subnet_ipv6: list[tuple[Any, Any, str]] = field(default_factory=list)
    reservations: list[tuple[Any, CidrReservation, str]] = field(default_factory=list)
    referrers: dict[str, tuple[str, Location]] = field(default_factory=dict)  # subnet id -> first user
    kubernetes: list[KubernetesCarrier] = field(default_factory=list)
    # Fargate profiles that name no subnets: (profile, cluster ref), decided once the cluster is known
    fargate_default_subnets: list[tuple[Any, Any]] = field(default_factory=list)
    # what makes a subnet public: internet gateways defined here, routes (route table, gateway, destination,
    # route id) and route-table associations (subnet, route table)
    internet_gateways: set[str] = field(default_factory=set)
    routes: list[tuple[Any, Any, str, str]] = field(default_factory=list)
    route_associations: list[tuple[Any, Any]] = field(default_factory=list)


@record
class LaunchRef:
    """What a node group's launch template reference names: one in this template, one outside it, or an
    unknown one."""

    kind: str  # "lt" (in this template), "external", "unknown"
    logical_id: str = ""
    what: str = ""
    unknown: Unknown | None = None


class BuilderBase:
    """Property access for resource readers: resolved values, ``MISSING`` when absent, Unknown when the
    template does not decide them. :class:`~.template.StackBuilder` is the concrete builder."""

    plan: Plan
    pending: Pending
    doc: dict
    source: str
    r: Resolver
    prefix: str
    active: dict[str, dict]
    cond_unknown: dict[str, Unknown]
    lt_ids: dict[str, str]
    lt_names: dict[str, str]
    lc_ids: dict[str, str]
    managed_nodegroups: dict[str, NodeGroup]
    configured_cni_addons: set[str]

    def rid(self, lid: str) -> str:
        return f"{self.prefix}{lid}"

    def w(self, lid: str, *parts: str) -> str:
        """The where-path ``Resources.<lid>.<parts…>`` with the stack's prefix (one f-string: readers build
        thousands of these on a large template)."""
        if parts:
            return f"{self.r.where_prefix}Resources.{lid}.{'.'.join(parts)}"
        return f"{self.r.where_prefix}Resources.{lid}"

    def location(self, lid: str) -> Location:
        return self.plan.resource_locations.get(self.rid(lid), Location(file=self.source))

    def unresolved(self, lid: str, unk: Unknown) -> None:
        self.plan.unresolved.append((self.rid(lid), unk))

    def report_condition(self, lid: str) -> None:
        """The resource exists only under a condition podcap cannot decide: say so (it is read anyway)."""
        if lid in self.cond_unknown:
            self.unresolved(lid, self.cond_unknown[lid])

    def take_metadata(self, lid: str, key: str) -> Any:
        """A ``Metadata.podcap`` demand value read for this resource (None when not given); a key no reader
        takes is reported as ignored."""
        return None

    def props(self, res: dict, lid: str) -> dict | Unknown:
        """The Properties mapping; Unknown when it is an intrinsic function podcap cannot decide (then every
        property is unknown: none is taken as absent)."""
        p = res.get("Properties")
        if isinstance(p, dict) and len(p) == 1 and next(iter(p)).startswith("Fn::"):
            p = self.r.resolve(p, self.w(lid, "Properties"))
        if isinstance(p, Unknown):
            return Unknown(f"the properties of {lid} are not known: {p.reason}",
                           p.where or self.w(lid, "Properties"))
        if p is None or p is NO_VALUE:
            return {}
        if not isinstance(p, dict):
            return Unknown(f"the properties of {lid} are not a mapping", self.w(lid, "Properties"))
        return p

    def prop(self, lid: str, res: dict, name: str) -> Any:
        """A resolved property, or MISSING when absent (or AWS::NoValue); Unknown when the Properties
        themselves are unknown. A literal (:func:`~podcap.sources.intrinsics.is_literal`) is its own value
        and a Ref to a resource its id (:meth:`Resolver.resource_ref`): both are returned without a
        where-path or a pass through the resolver, which would give back the same."""
        p = res.get("Properties")
        if p.__class__ is not dict or len(p) == 1:  # else props() would give p itself
            p = self.props(res, lid)
            if isinstance(p, Unknown):
                return p
        if name not in p:
            return MISSING
        v = p[name]
        if self.r.fast_paths:
            cls = v.__class__
            if (cls is str and "{{resolve:" not in v) or cls in LITERAL_TYPES:  # is_literal(v), written out
                return v
            if cls is dict:
                ref = self.r.resource_ref(v)  # a Ref to a resource of the template: its id, as resolve gives it
                if ref is not None:
                    return ref
                flat = self.r._flat_literal(v)  # a mapping of literals (a ScalingConfig): its copy, as resolve
                if flat is not None:
                    return flat
            elif cls is list:
                items = self.r.literal_list(v)  # literals, Refs and flat mappings (Tags, Subnets): as resolve
                if items is not None:
                    return items
        v = self.r.resolve(v, self.w(lid, "Properties", name))
        return MISSING if v is NO_VALUE else v

    def raw_prop(self, lid: str, res: dict, name: str) -> Any:
        p = self.props(res, lid)
        if isinstance(p, Unknown):
            return p
        return p.get(name, MISSING)

    def string(self, v: Any, what: str, where: str) -> str | Unknown:
        if isinstance(v, Unknown):
            return v
        text = as_text(v)
        if text is None or isinstance(v, bool):
            return Unknown(f"{what} is not a string: {str(v)[:80]}", where)
        return text

    def prop_string(self, v: Any, what: str, lid: str, *parts: str) -> str | Unknown:
        """``string(v, what, w(lid, "Properties", *parts))``: a plain ``str`` is its own text, so the
        where-path is built only for a value that may need it."""
        if v.__class__ is str:
            return v
        return self.string(v, what, self.w(lid, "Properties", *parts))

    def id_list(self, v: Any, what: str, where: str) -> list | Unknown:
        """A list of ids (subnets, instance types). A literal string is taken as the id it spells, never as
        a Ref: only ``Ref`` / ``Fn::GetAtt`` name a resource of the template."""
        if isinstance(v, Unknown):
            return v
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list):
            return Unknown(f"{what} is not a list", where)
        if not v:
            return Unknown(f"{what} is an empty list", where)
        out: list = []
        for i, item in enumerate(v):
            if isinstance(item, Unknown):
                out.append(item)
            elif isinstance(item, str):
                if TOKEN_RE.search(item):
                    out.append(Unknown(f"{what}[{i}] is not known", where))
                elif not isinstance(item, ResourceRef) and item in self.r.resources:
                    # CloudFormation passes the text itself, which is no id the service accepts
                    out.append(Unknown(f"{what}[{i}] is the literal string {item!r}, not a reference to resource "
                                       f"{item}; the service rejects it as an id (write !Ref {item})",
                                       f"{where}[{i}]"))
                else:
                    out.append(item)
            else:
                out.append(Unknown(f"{what}[{i}] is not an id: {str(item)[:80]}", f"{where}[{i}]"))
        return out

    def refer(self, ids: Any, lid: str) -> None:
        if isinstance(ids, list):
            for s in ids:
                if isinstance(s, str) and s not in self.pending.referrers:
                    rid = self.rid(lid)
                    location = self.plan.resource_locations.get(rid)
                    self.pending.referrers[s] = (rid, Location() if location is None else location)


__all__ = [
    "EKS_DEFAULT_SCALING",
    "EXISTING_SUBNET",
    "MISSING",
    "Addon",
    "BuilderBase",
    "KubernetesCarrier",
    "LaunchRef",
    "Pending",
    "add_note",
    "as_dict",
]
