"""A CloudFormation template (JSON or YAML, short-form tags too) -> Plan.

What is read (everything else in the template is ignored):

* ``AWS::EC2::VPC`` / ``AWS::EC2::VPCCidrBlock`` -> :class:`Vpc` (primary, then secondary IPv4 CIDRs)
* ``AWS::EC2::Subnet`` / ``AWS::EC2::SubnetCidrBlock`` / ``AWS::EC2::SubnetCidrReservation`` -> :class:`Subnet`
* ``AWS::EKS::Cluster`` -> :class:`Cluster`; an ``AWS::EKS::Addon`` named ``vpc-cni`` -> its ``cni_env`` and
  ``eni_configs`` (from ``ConfigurationValues``)
* ``AWS::EKS::Nodegroup`` and self-managed ``AWS::AutoScaling::AutoScalingGroup`` nodes -> :class:`NodeGroup`,
  with instance types and kubelet max-pods from their launch template (or launch configuration)
* ``AWS::CloudFormation::Stack`` whose template file sits beside this one (CDK's ``aws:asset:path``) is read
  as a nested stack

Values go through :class:`~podcap.sources.intrinsics.Resolver`: what the template does not decide is an
:class:`Unknown`. Ids are logical ids (``Ref`` to a subnet is its logical id); a subnet referenced but not
defined (``subnet-0abc…``, a parameter value) becomes a ``Subnet(defined_in_plan=False)`` with unknown CIDR
and AZ, so the rules fail closed. EKS defaults are applied, and recorded as notes, where the API documents
them: no instance type anywhere -> ``t3.medium``; no ``ScalingConfig`` -> min 1, desired 2, max 2. A value
that is given but undecided (a parameter without a default, an undecidable condition, an import) is
Unknown, never the default. Kubelet max-pods is left to the AMI default only when the launch template has
no user data or readable user data that does not set it; user data podcap cannot read, or a part of it
that is unknown where it could set max-pods, makes ``kubelet_max_pods`` Unknown.

Suppressions: ``Metadata: {podcap: {suppress: [{id: PC201, reason: "…", expires: 2027-01-31}]}}`` on any
resource. One without a reason of at least 10 characters is ignored, and that is reported as unresolved.

Demand: ``Metadata: {podcap: {pods_per_node: N}}`` on a node group (an ``AWS::EKS::Nodegroup``, or an Auto
Scaling group read as EKS nodes; the podcap CDK constructs write it) -> ``NodeGroup.pods_per_node``. A value
that is not a whole number of at least 1, the key on any other resource, and any other key under ``podcap``
are ignored and reported as unresolved.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from podcap.model.plan import (
    CidrReservation,
    Cluster,
    Location,
    NodeGroup,
    Plan,
    Subnet,
    Suppression,
    Vpc,
)
from podcap.model.unknown import Unknown
from podcap.sources._common import (
    EKS_DEFAULT_INSTANCE_TYPE,
    EKS_USER_DATA,
    eks_tag_signs,
    referenced_subnet_ids,
    subnet_like,
    unknown_key,
)
from podcap.sources.intrinsics import (
    NO_VALUE,
    TOKEN_RE,
    Resolver,
    ResourceRef,
    as_int,
    as_text,
)
from podcap.sources.objects.cni_config import parse_cni_configuration
from podcap.sources.objects.user_data import kubelet_max_pods_from_user_data, maybe_b64decode
from podcap.sources.safe_yaml import InputError, load_document, make_loader
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

EKS_DEFAULT_SCALING = {"MinSize": 1, "DesiredSize": 2, "MaxSize": 2}  # EKS API default scalingConfig
EXISTING_SUBNET = "existing subnet not described by the template; use --live"
MAX_NESTED_STACK_DEPTH = 8
RULE_ID = re.compile(r"PC\d{3}")
MIN_REASON = 10
PODCAP_METADATA_KEYS = ("suppress", "pods_per_node")

_MISSING = object()


# -- reading ------------------------------------------------------------------------------------


def _short_form(loader: Any, suffix: str, node: Any) -> dict:
    """``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub …`` -> ``{"Fn::Sub": …}``."""
    if isinstance(node, ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        value = None
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        res, _, attr = value.partition(".")
        return {"Fn::GetAtt": [res, attr]}
    return {f"Fn::{suffix}": value}


@lru_cache(maxsize=1)
def cfn_loader() -> type:
    """The hardened YAML loader that also reads CloudFormation short-form tags (``!Ref``, ``!Sub`` …)."""
    return make_loader({"!*": _short_form}, name="CloudFormationLoader")  # type: ignore[dict-item]


def read_template(path: str) -> tuple[dict, dict[str, int]]:
    """Parse a template file; returns the document and a map of JSON paths (``Resources.X``) to lines."""
    doc, lines, text, is_json = load_document(path, loader=cfn_loader())
    if is_json and not lines and isinstance(doc, dict) and isinstance(doc.get("Resources"), dict):
        lines = _json_resource_lines(text, list(doc["Resources"]))
    _check_template(doc, path)
    return doc, lines


def _json_resource_lines(text: str, ids: list[str]) -> dict[str, int]:
    """Lines of ``"<id>":`` keys after ``"Resources"`` (a fallback when the JSON does not compose as YAML)."""
    out: dict[str, int] = {}
    start = text.find('"Resources"')
    if start < 0:
        return out
    for lid in ids:
        m = re.compile(r'"' + re.escape(lid) + r'"\s*:').search(text, start)
        if m:
            out[f"Resources.{lid}"] = text.count("\n", 0, m.start()) + 1
    return out


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _check_template(doc: Any, source: str) -> None:
    if not isinstance(doc, dict):
        raise InputError(f"{source}: not a CloudFormation template (expected a mapping with Resources)")
    res = doc.get("Resources")
    if not isinstance(res, dict):
        raise InputError(f"{source}: not a CloudFormation template (no Resources mapping)")


# -- public entry points --------------------------------------------------------------------------


def load_template(
    path: str,
    parameters: Mapping[str, str] | None = None,
    exports: Mapping[str, Any] | None = None,
    *,
    stack_name: str | None = None,
) -> Plan:
    """Read a CloudFormation template file into a Plan (kind "cloudformation").

    ``parameters``: ``--parameter K=V`` values (pseudo parameters such as ``AWS::Region`` too); they
    override parameter defaults. ``exports``: export name -> value, for ``Fn::ImportValue``.
    """
    doc, lines = read_template(path)
    return plan_from_template(doc, path, parameters, exports, stack_name, lines=lines,
                              base_dir=os.path.dirname(os.path.abspath(path)))


def plan_from_template(
    doc: dict,
    source: str,
    parameters: Mapping[str, Any] | None = None,
    exports: Mapping[str, Any] | None = None,
    stack_name: str | None = None,
    *,
    lines: dict[str, int] | None = None,
    base_dir: str | None = None,
) -> Plan:
    """Build the Plan of an already parsed template (a dict such as a CDK stack's ``toJsonString``)."""
    _check_template(doc, source)
    plan = Plan(source=source, kind="cloudformation")
    pending = Pending()
    try:
        StackBuilder(plan, pending, doc, source, parameters=parameters, exports=exports,
                     stack_name=stack_name, lines=lines, base_dir=base_dir).build()
        finalize(plan, pending)
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to evaluate") from None
    return plan


# -- notes: defaults podcap applied (not unknowns) -------------------------------------------------


def add_note(plan: Plan, resource: str, text: str) -> None:
    """Record a default podcap applied (shown with the findings, never silently assumed)."""
    plan.notes.append((resource, text))


# -- building ---------------------------------------------------------------------------------------


@dataclass
class _Addon:
    rid: str
    cluster_ref: Any
    env: Any
    eni_configs: dict[str, Any]
    source: str
    location: Location


@dataclass
class Pending:
    """Links resolved once every stack is read (a node group in one stack, its cluster in another)."""

    addons: list[_Addon] = field(default_factory=list)
    ng_clusters: list[tuple[NodeGroup, Any]] = field(default_factory=list)
    vpc_cidrs: list[tuple[Any, Any, str]] = field(default_factory=list)  # (vpc ref, cidr, resource id)
    subnet_ipv6: list[tuple[Any, Any, str]] = field(default_factory=list)
    reservations: list[tuple[Any, CidrReservation, str]] = field(default_factory=list)
    referrers: dict[str, tuple[str, Location]] = field(default_factory=dict)  # subnet id -> first user


@dataclass
class _LaunchRef:
    kind: str  # "lt" (in this template), "external", "unknown"
    logical_id: str = ""
    what: str = ""
    unknown: Unknown | None = None


class StackBuilder:
    """Reads one template (one stack) into ``plan``; cross-resource links go to ``pending``.

    ``resolver_options`` go to the stack's :class:`Resolver`: ``parameters``, ``exports``, ``stack_name``,
    ``region``, ``account_id``, ``id_prefix`` (of resource ids) and ``where_prefix`` (of where-paths).
    """

    def __init__(
        self,
        plan: Plan,
        pending: Pending,
        doc: dict,
        source: str,
        *,
        lines: dict[str, int] | None = None,
        construct_paths: dict[str, str] | None = None,
        base_dir: str | None = None,
        nesting: int = 0,
        **resolver_options: Any,
    ) -> None:
        self.plan = plan
        self.pending = pending
        self.doc = doc
        self.source = source
        self.lines = lines or {}
        self.construct_paths = construct_paths or {}
        self.base_dir = base_dir
        self.nesting = nesting
        self.r = Resolver(doc, source=source, nested_outputs=self._nested_output, **resolver_options)
        self.prefix = self.r.id_prefix
        self.active: dict[str, dict] = {}
        self.cond_unknown: dict[str, Unknown] = {}
        self._nested: dict[str, StackBuilder | None] = {}
        self._nested_building: set[str] = set()
        self._lt_ids: dict[str, str] = {}
        self._lt_names: dict[str, str] = {}
        self._lc_ids: dict[str, str] = {}
        self._pods_per_node: dict[str, int] = {}  # logical id -> Metadata.podcap.pods_per_node, until read

    # helpers -----------------------------------------------------------------------------------
    def rid(self, lid: str) -> str:
        return f"{self.prefix}{lid}"

    def w(self, lid: str, *parts: str) -> str:
        return self.r.w(".".join(["Resources", lid, *parts]))

    def loc(self, lid: str, res: dict) -> Location:
        meta = _dict(res.get("Metadata"))
        cpath = meta.get("aws:cdk:path") if isinstance(meta.get("aws:cdk:path"), str) else None
        return Location(
            file=self.source,
            path=f"Resources/{lid}",
            line=self.lines.get(f"Resources.{lid}"),
            construct_path=cpath or self.construct_paths.get(lid),
        )

    def unresolved(self, lid: str, unk: Unknown) -> None:
        self.plan.unresolved.append((self.rid(lid), unk))

    def props(self, res: dict, lid: str) -> dict | Unknown:
        """The Properties mapping; Unknown when it is an intrinsic function podcap cannot decide (then every
        property is unknown: none is taken as absent)."""
        p = res.get("Properties")
        where = self.w(lid, "Properties")
        if isinstance(p, dict) and len(p) == 1 and next(iter(p)).startswith("Fn::"):
            p = self.r.resolve(p, where)
        if isinstance(p, Unknown):
            return Unknown(f"the properties of {lid} are not known: {p.reason}", p.where or where)
        if p is None or p is NO_VALUE:
            return {}
        if not isinstance(p, dict):
            return Unknown(f"the properties of {lid} are not a mapping", where)
        return p

    def prop(self, lid: str, res: dict, name: str) -> Any:
        """A resolved property, or _MISSING when absent (or AWS::NoValue); Unknown when the Properties
        themselves are unknown."""
        p = self.props(res, lid)
        if isinstance(p, Unknown):
            return p
        if name not in p:
            return _MISSING
        v = self.r.resolve(p[name], self.w(lid, "Properties", name))
        return _MISSING if v is NO_VALUE else v

    def raw_prop(self, lid: str, res: dict, name: str) -> Any:
        p = self.props(res, lid)
        if isinstance(p, Unknown):
            return p
        return p.get(name, _MISSING)

    def _string(self, v: Any, what: str, where: str) -> str | Unknown:
        if isinstance(v, Unknown):
            return v
        text = as_text(v)
        if text is None or isinstance(v, bool):
            return Unknown(f"{what} is not a string: {str(v)[:80]}", where)
        return text

    def _id_list(self, v: Any, what: str, where: str) -> list | Unknown:
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
                else:
                    out.append(item)
            else:
                out.append(Unknown(f"{what}[{i}] is not an id: {str(item)[:80]}", f"{where}[{i}]"))
        return out

    def _refer(self, ids: Any, lid: str) -> None:
        if isinstance(ids, list):
            for s in ids:
                if isinstance(s, str) and s not in self.pending.referrers:
                    self.pending.referrers[s] = (self.rid(lid), self.plan.resource_locations.get(self.rid(lid),
                                                                                                  Location()))

    # the build -------------------------------------------------------------------------------------
    def build(self) -> None:
        r = self.r
        r.check_given_parameters()
        r.evaluate_all_conditions()
        transform = self.doc.get("Transform")
        if transform is not None:
            names = transform if isinstance(transform, list) else [transform]
            macros = [str(n) for n in names if str(n) != "AWS::LanguageExtensions"]
            if macros:
                self.plan.unresolved.append((self.prefix.rstrip("/") or self.source, Unknown(
                    f"the template uses Transform {', '.join(macros)}; podcap reads it as written, before "
                    "the transform (check the processed template for what the transform adds)",
                    r.w("Transform"))))

        for lid, res in self.doc["Resources"].items():
            lid = str(lid)
            if not isinstance(res, dict):
                continue
            cond = res.get("Condition")
            if cond is not None:
                c = r.condition(cond, self.w(lid, "Condition")) if isinstance(cond, str) else Unknown(
                    "Condition is not a condition name", self.w(lid, "Condition"))
                if c is False:
                    continue
                if isinstance(c, Unknown):
                    self.cond_unknown[lid] = Unknown(
                        f"{lid} exists only if condition {cond} holds: {c.reason}",
                        self.w(lid, "Condition"))
            self.active[lid] = res
            self.plan.resource_locations[self.rid(lid)] = self.loc(lid, res)
            self._podcap_metadata(lid, res)

        by_type: dict[str, list[tuple[str, dict]]] = {}
        for lid, res in self.active.items():
            by_type.setdefault(str(res.get("Type", "")), []).append((lid, res))

        def each(*types: str):
            for t in types:
                for lid, res in by_type.get(t, []):
                    if lid in self.cond_unknown:
                        self.plan.unresolved.append((self.rid(lid), self.cond_unknown[lid]))
                    yield lid, res

        for lid, res in each("AWS::EC2::LaunchTemplate"):
            self._lt_ids[self.rid(lid)] = lid
            name = self.prop(lid, res, "LaunchTemplateName")
            if isinstance(name, str):
                self._lt_names[name] = lid
        for lid, res in by_type.get("AWS::AutoScaling::LaunchConfiguration", []):
            self._lc_ids[self.rid(lid)] = lid
            name = self.prop(lid, res, "LaunchConfigurationName")
            if isinstance(name, str):
                self._lc_ids[name] = lid

        for lid, res in each("AWS::EC2::VPC"):
            self._vpc(lid, res)
        for lid, res in each("AWS::EC2::VPCCidrBlock"):
            self._vpc_cidr(lid, res)
        for lid, res in each("AWS::EC2::Subnet"):
            self._subnet(lid, res)
        for lid, res in each("AWS::EC2::SubnetCidrBlock"):
            self._subnet_cidr(lid, res)
        for lid, res in each("AWS::EC2::SubnetCidrReservation"):
            self._reservation(lid, res)
        for lid, res in each("AWS::EKS::Cluster"):
            self._cluster(lid, res)
        for lid, res in by_type.get("AWS::EKS::Addon", []):
            self._addon(lid, res)
        for lid, res in each("AWS::EKS::Nodegroup"):
            self._nodegroup(lid, res)
        for lid, res in by_type.get("AWS::AutoScaling::AutoScalingGroup", []):
            self._asg(lid, res)
        for lid, res in by_type.get("AWS::CloudFormation::Stack", []):
            self._nested_stack(lid)
        for lid in self._pods_per_node:  # not taken by a node group
            self.unresolved(lid, Unknown(
                "podcap pods_per_node ignored: the resource is not a node group podcap reads (an "
                "AWS::EKS::Nodegroup, or an Auto Scaling group of EKS nodes)",
                self.w(lid, "Metadata", "podcap", "pods_per_node")))

    # podcap metadata: suppressions and pods_per_node --------------------------------------------------
    def _podcap_metadata(self, lid: str, res: dict) -> None:
        meta = res.get("Metadata")
        if not isinstance(meta, dict) or "podcap" not in meta:
            return
        pc = meta["podcap"]
        base = self.w(lid, "Metadata", "podcap")
        if not isinstance(pc, dict) or not pc:
            self.unresolved(lid, Unknown(
                "podcap metadata ignored: expected {suppress: [{id: PC…, reason: …}]} and/or {pods_per_node: N}",
                base))
            return
        for key in pc:
            if key not in PODCAP_METADATA_KEYS:
                self.unresolved(lid, Unknown(
                    f"podcap metadata ignored: {unknown_key(key, PODCAP_METADATA_KEYS)}", f"{base}.{key}"))
        if "pods_per_node" in pc:
            self._read_pods_per_node(lid, pc["pods_per_node"], f"{base}.pods_per_node")
        if "suppress" in pc:
            self._suppressions(lid, pc["suppress"], base)

    def _read_pods_per_node(self, lid: str, value: Any, where: str) -> None:
        n = as_int(value, "pods_per_node", where)
        if isinstance(n, Unknown) or n < 1:
            self.unresolved(lid, Unknown(
                f"podcap pods_per_node ignored: {value!r} is not a whole number of pods of at least 1 (the "
                "nodes are taken as full)", where))
            return
        self._pods_per_node[lid] = n

    def _suppressions(self, lid: str, entries: Any, base: str) -> None:
        if not isinstance(entries, list):
            self.unresolved(lid, Unknown("podcap metadata ignored: expected {suppress: [{id: PC…, reason: …}]}",
                                         base))
            return
        for i, s in enumerate(entries):
            where = f"{base}.suppress[{i}]"
            if not isinstance(s, dict):
                self.unresolved(lid, Unknown("podcap suppression ignored: expected {id: PC…, reason: …}", where))
                continue
            rule_id, reason, expires = s.get("id"), s.get("reason"), s.get("expires")
            if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id.strip()):
                self.unresolved(lid, Unknown(f"podcap suppression ignored: {rule_id!r} is not a podcap rule id "
                                             "such as PC201", where))
                continue
            rule_id = rule_id.strip()
            if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
                self.unresolved(lid, Unknown(f"podcap suppression of {rule_id} ignored: it needs a reason of at "
                                             f"least {MIN_REASON} characters", where))
                continue
            if isinstance(expires, (_dt.date, _dt.datetime)):
                expires = expires.isoformat()[:10]
            if expires is not None:
                try:
                    _dt.date.fromisoformat(str(expires))
                except ValueError:
                    self.unresolved(lid, Unknown(f"podcap suppression of {rule_id} ignored: expires {expires!r} "
                                                 "is not a date YYYY-MM-DD", where))
                    continue
                expires = str(expires)
            self.plan.suppressions.setdefault(self.rid(lid), []).append(
                Suppression(rule_id=rule_id, reason=reason.strip(), expires=expires, source="metadata"))

    # network ----------------------------------------------------------------------------------------
    def _vpc(self, lid: str, res: dict) -> None:
        where = self.w(lid, "Properties", "CidrBlock")
        cidr = self.prop(lid, res, "CidrBlock")
        if cidr is _MISSING:
            ipam = self.raw_prop(lid, res, "Ipv4IpamPoolId") is not _MISSING
            cidr = Unknown("the VPC gets its CIDR from an IPAM pool at deployment" if ipam
                           else "the VPC has no CidrBlock", where)
        rid = self.rid(lid)
        self.plan.vpcs[rid] = Vpc(id=rid, cidrs=[self._string(cidr, "CidrBlock", where)],
                                  location=self.plan.resource_locations[rid])

    def _vpc_cidr(self, lid: str, res: dict) -> None:
        where = self.w(lid, "Properties", "CidrBlock")
        vpc = self.prop(lid, res, "VpcId")
        cidr = self.prop(lid, res, "CidrBlock")
        if cidr is _MISSING:
            if self.raw_prop(lid, res, "Ipv4IpamPoolId") is not _MISSING:
                cidr = Unknown("secondary CIDR from an IPAM pool at deployment", where)
            else:
                return  # an IPv6 block: not an IPv4 CIDR of the VPC
        self.pending.vpc_cidrs.append((vpc, self._string(cidr, "CidrBlock", where), self.rid(lid)))

    def _subnet(self, lid: str, res: dict) -> None:
        rid = self.rid(lid)
        where = self.w(lid, "Properties", "CidrBlock")
        cidr = self.prop(lid, res, "CidrBlock")
        if cidr is _MISSING:
            if self.raw_prop(lid, res, "Ipv4IpamPoolId") is not _MISSING:
                cidr = Unknown("the subnet gets its CIDR from an IPAM pool at deployment", where)
            elif self.prop(lid, res, "Ipv6Native") in (True, "true"):
                cidr = Unknown("an IPv6-only subnet has no IPv4 CIDR", where)
            else:
                cidr = Unknown("the subnet has no CidrBlock", where)
        az = self.prop(lid, res, "AvailabilityZone")
        az_where = self.w(lid, "Properties", "AvailabilityZone")
        if az is _MISSING:
            az = self.prop(lid, res, "AvailabilityZoneId")
            az_where = self.w(lid, "Properties", "AvailabilityZoneId")
        if az is _MISSING:
            az = Unknown("no AZ given; EC2 picks one", self.w(lid, "Properties"))
        vpc = self.prop(lid, res, "VpcId")
        ipv6 = self.prop(lid, res, "Ipv6CidrBlock")
        self.plan.subnets[rid] = Subnet(
            id=rid,
            cidr=self._string(cidr, "CidrBlock", where),
            az=self._string(az, "AvailabilityZone", az_where),
            vpc=None if vpc is _MISSING else self._string(vpc, "VpcId", self.w(lid, "Properties", "VpcId")),
            ipv6_cidr=None if ipv6 is _MISSING else self._string(ipv6, "Ipv6CidrBlock",
                                                                 self.w(lid, "Properties", "Ipv6CidrBlock")),
            location=self.plan.resource_locations[rid],
        )

    def _subnet_cidr(self, lid: str, res: dict) -> None:
        where = self.w(lid, "Properties", "Ipv6CidrBlock")
        subnet = self.prop(lid, res, "SubnetId")
        v6 = self.prop(lid, res, "Ipv6CidrBlock")
        if v6 is _MISSING:
            v6 = Unknown("IPv6 block from an IPAM pool at deployment", where)
        self.pending.subnet_ipv6.append((subnet, self._string(v6, "Ipv6CidrBlock", where), self.rid(lid)))

    def _reservation(self, lid: str, res: dict) -> None:
        where = self.w(lid, "Properties", "Cidr")
        subnet = self.prop(lid, res, "SubnetId")
        cidr = self.prop(lid, res, "Cidr")
        if cidr is _MISSING:
            cidr = Unknown("the reservation has no Cidr", where)
        rtype = self.prop(lid, res, "ReservationType")
        rtype = rtype.lower() if isinstance(rtype, str) and rtype.lower() in ("prefix", "explicit") else None
        if rtype is None:
            self.unresolved(lid, Unknown("ReservationType is not prefix or explicit; taken as explicit",
                                         self.w(lid, "Properties", "ReservationType")))
            rtype = "explicit"
        self.pending.reservations.append(
            (subnet, CidrReservation(cidr=self._string(cidr, "Cidr", where), type=rtype), self.rid(lid)))

    # EKS ----------------------------------------------------------------------------------------
    def _cluster(self, lid: str, res: dict) -> None:
        rid = self.rid(lid)
        name = self.prop(lid, res, "Name")
        vpc_cfg = self.prop(lid, res, "ResourcesVpcConfig")
        where = self.w(lid, "Properties", "ResourcesVpcConfig", "SubnetIds")
        if isinstance(vpc_cfg, Unknown):
            subnets: Any = vpc_cfg
        elif isinstance(vpc_cfg, dict) and "SubnetIds" in vpc_cfg:
            subnets = self._id_list(vpc_cfg["SubnetIds"], "SubnetIds", where)
        else:
            subnets = Unknown("the cluster names no subnets", where)
        net = self.prop(lid, res, "KubernetesNetworkConfig")
        family = "ipv4"
        if isinstance(net, dict) and "IpFamily" in net:
            fam = net["IpFamily"]
            if isinstance(fam, str) and fam.lower() in ("ipv4", "ipv6"):
                family = fam.lower()
            else:
                self.unresolved(lid, Unknown(f"IpFamily {fam if isinstance(fam, str) else 'unknown'} not "
                                             "understood; ipv4 assumed",
                                             self.w(lid, "Properties", "KubernetesNetworkConfig", "IpFamily")))
        self._refer(subnets, lid)
        self.plan.clusters[rid] = Cluster(
            id=rid,
            name=None if name is _MISSING else self._string(name, "Name", self.w(lid, "Properties", "Name")),
            subnets=subnets,
            ip_family=family,
            location=self.plan.resource_locations[rid],
        )

    def _addon(self, lid: str, res: dict) -> None:
        name = self.prop(lid, res, "AddonName")
        if isinstance(name, Unknown):
            if lid in self.cond_unknown:
                self.unresolved(lid, self.cond_unknown[lid])
            self.unresolved(lid, Unknown(f"add-on name not known ({name.reason}); if it is vpc-cni, its "
                                         "settings are not applied", name.where))
            return
        if name != "vpc-cni":
            return
        if lid in self.cond_unknown:
            self.unresolved(lid, self.cond_unknown[lid])
        cluster = self.prop(lid, res, "ClusterName")
        raw = self.raw_prop(lid, res, "ConfigurationValues")
        where = self.w(lid, "Properties", "ConfigurationValues")
        env: Any = None
        eni: dict[str, Any] = {}
        if raw is not _MISSING:
            value, partial = self.r.resolve_text(raw, where)
            env, eni, problems = parse_cni_configuration(value, partial, where)
            for p in problems:
                self.unresolved(lid, p)
        self.pending.addons.append(_Addon(self.rid(lid), cluster, env, eni, self.source,
                                          self.plan.resource_locations[self.rid(lid)]))

    def _launch_ref(self, spec: Any, where: str, id_keys: tuple[str, ...], name_keys: tuple[str, ...]
                    ) -> _LaunchRef | None:
        if spec is _MISSING or spec is None:
            return None
        if isinstance(spec, Unknown):
            return _LaunchRef("unknown", unknown=spec)
        if not isinstance(spec, dict):
            return _LaunchRef("unknown", unknown=Unknown("launch template is not {Id|Name, Version}", where))
        for keys, known in ((id_keys, self._lt_ids), (name_keys, self._lt_names)):  # an id wins over a name
            for k in keys:
                if k in spec:
                    v = spec[k]
                    if isinstance(v, Unknown):
                        return _LaunchRef("unknown", unknown=v)
                    if isinstance(v, str) and v in known:
                        return _LaunchRef("lt", known[v])
                    return _LaunchRef("external", what=str(v))
        return _LaunchRef("unknown", unknown=Unknown("launch template has neither an id nor a name", where))

    @staticmethod
    def _launch_ref_unknown(lt: _LaunchRef, what: str, where: str) -> Unknown:
        """Why something read from a launch template outside the template (or unidentified) is unknown."""
        if lt.kind == "external":
            return Unknown(f"{what} launch template {lt.what}, which is not in the template", where)
        return Unknown(f"{what} a launch template podcap cannot identify "
                       f"({lt.unknown.reason if lt.unknown else 'unknown'})", where)

    def _lt_data(self, lt_lid: str) -> tuple[dict | Unknown, str]:
        """A launch template's LaunchTemplateData (values still raw); Unknown when it cannot be read."""
        res = self.active[lt_lid]
        data = self.raw_prop(lt_lid, res, "LaunchTemplateData")
        where = self.w(lt_lid, "Properties", "LaunchTemplateData")
        if isinstance(data, dict) and len(data) == 1 and next(iter(data)).startswith("Fn::"):
            data = self.r.resolve(data, where)
        if isinstance(data, Unknown):
            return Unknown(f"the LaunchTemplateData of launch template {lt_lid} is not known: {data.reason}",
                           data.where or where), where
        if data is _MISSING or data is None or data is NO_VALUE:
            return {}, where
        if not isinstance(data, dict):
            return Unknown(f"the LaunchTemplateData of launch template {lt_lid} is not a mapping", where), where
        return data, where

    def _lt_instance_type(self, lt_lid: str) -> Any:
        """The launch template's instance type: resolved value, Unknown, or _MISSING when it names none."""
        data, where = self._lt_data(lt_lid)
        if isinstance(data, Unknown):
            return data
        if "InstanceType" not in data:
            if "InstanceRequirements" in data:
                return Unknown(f"launch template {lt_lid} selects instance types by attributes "
                               "(InstanceRequirements)", f"{where}.InstanceRequirements")
            return _MISSING
        v = self.r.resolve(data["InstanceType"], f"{where}.InstanceType")
        return _MISSING if v is NO_VALUE else v

    def _lt_user_data(self, lt_lid: str) -> tuple[str | Unknown | None, dict, str]:
        """(user data text or Unknown or None when absent, unknown pieces, where) of a launch template."""
        data, where = self._lt_data(lt_lid)
        ud_where = f"{where}.UserData"
        if isinstance(data, Unknown):
            return Unknown(f"user data of launch template {lt_lid} unreadable: {data.reason}",
                           data.where or where), {}, ud_where
        text, partial = self._user_data_text(data.get("UserData", _MISSING), ud_where,
                                             f"launch template {lt_lid}")
        return text, partial, ud_where

    @staticmethod
    def _max_pods(text: str | Unknown | None, partial: Mapping[str, Unknown], where: str, owner: str
                  ) -> int | Unknown | None:
        """kubelet max-pods from user data text: None when the user data is absent or sets none, Unknown
        when it cannot be read (the AMI default is then not assumed silently)."""
        if text is None or isinstance(text, Unknown):
            return text
        value, problem = kubelet_max_pods_from_user_data(text, partial)
        if problem is not None:
            return Unknown(f"kubelet max-pods in the user data of {owner}: {problem}", where)
        return value

    def _user_data_text(self, raw: Any, where: str, owner: str) -> tuple[str | Unknown | None, dict]:
        """The user data as text (unknown pieces as tokens, see Resolver.resolve_text); None when there is
        none, Unknown when it cannot be read as a whole."""
        if raw is _MISSING or raw is None or raw is NO_VALUE:
            return None, {}
        encoded = True
        if isinstance(raw, dict) and len(raw) == 1 and "Fn::Base64" in raw:
            raw, encoded = raw["Fn::Base64"], False
        value, partial = self.r.resolve_text(raw, where)
        if value is NO_VALUE or value is None:
            return None, partial
        if isinstance(value, str) and value.strip() in partial:
            value = partial[value.strip()]  # the whole user data is one unknown piece
        if isinstance(value, Unknown):
            return Unknown(f"user data of {owner} unreadable: {value.reason}", value.where or where), partial
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return Unknown(f"user data of {owner} unreadable: it is not a string", where), partial
        value = str(value)
        if encoded:
            value = maybe_b64decode(value)
        return value, partial

    def _nodegroup(self, lid: str, res: dict) -> None:
        rid = self.rid(lid)
        p = lambda name: self.prop(lid, res, name)
        pw = lambda *parts: self.w(lid, "Properties", *parts)
        ng = NodeGroup(name=rid, location=self.plan.resource_locations[rid])

        cluster = p("ClusterName")
        self.pending.ng_clusters.append((ng, None if cluster is _MISSING else cluster))

        lt = self._launch_ref(p("LaunchTemplate"), pw("LaunchTemplate"), ("Id", "LaunchTemplateId"),
                              ("Name", "LaunchTemplateName"))
        types = p("InstanceTypes")
        if types is not _MISSING:
            ng.instance_types = self._id_list(types, "InstanceTypes", pw("InstanceTypes"))
        elif lt is not None and lt.kind == "lt":
            t = self._lt_instance_type(lt.logical_id)
            if t is _MISSING:
                ng.instance_types = [EKS_DEFAULT_INSTANCE_TYPE]
                add_note(self.plan, rid, f"no instance type in the node group or its launch template: EKS "
                                         f"uses {EKS_DEFAULT_INSTANCE_TYPE}")
            else:
                ng.instance_types = [self._string(t, "InstanceType", self.w(lt.logical_id, "Properties"))]
        elif lt is not None:
            ng.instance_types = self._launch_ref_unknown(lt, "the instance type comes from", pw("LaunchTemplate"))
        else:
            ng.instance_types = [EKS_DEFAULT_INSTANCE_TYPE]
            add_note(self.plan, rid, f"no instance types and no launch template: EKS uses "
                                     f"{EKS_DEFAULT_INSTANCE_TYPE}")

        subnets = p("Subnets")
        ng.subnets = Unknown("the node group names no subnets", pw()) if subnets is _MISSING else \
            self._id_list(subnets, "Subnets", pw("Subnets"))
        self._refer(ng.subnets, lid)

        scaling = p("ScalingConfig")
        if scaling is _MISSING:
            scaling = {}
            add_note(self.plan, rid, "no ScalingConfig: EKS uses min 1, desired 2, max 2")
        if isinstance(scaling, Unknown):
            ng.min_size = ng.desired_size = ng.max_size = scaling
        elif isinstance(scaling, dict):
            sizes = {}
            for key, default in EKS_DEFAULT_SCALING.items():
                if key in scaling:
                    sizes[key] = as_int(scaling[key], f"ScalingConfig.{key}", pw("ScalingConfig", key))
                else:
                    sizes[key] = default
                    if scaling:
                        add_note(self.plan, rid, f"no ScalingConfig.{key}: EKS uses {default}")
            ng.min_size, ng.desired_size, ng.max_size = sizes["MinSize"], sizes["DesiredSize"], sizes["MaxSize"]
        else:
            ng.min_size = ng.desired_size = ng.max_size = Unknown("ScalingConfig is not a mapping",
                                                                  pw("ScalingConfig"))

        update = p("UpdateConfig")
        if isinstance(update, Unknown):
            ng.max_unavailable = update
        elif update is not _MISSING and not isinstance(update, dict):
            ng.max_unavailable = Unknown("UpdateConfig is not a mapping", pw("UpdateConfig"))
        elif isinstance(update, dict):
            if "MaxUnavailable" in update:
                ng.max_unavailable = as_int(update["MaxUnavailable"], "MaxUnavailable",
                                            pw("UpdateConfig", "MaxUnavailable"))
            if "MaxUnavailablePercentage" in update:
                ng.max_unavailable_percentage = as_int(update["MaxUnavailablePercentage"],
                                                       "MaxUnavailablePercentage",
                                                       pw("UpdateConfig", "MaxUnavailablePercentage"))
        for attr, key in (("ami_type", "AmiType"), ("capacity_type", "CapacityType")):
            v = p(key)
            if v is not _MISSING:
                setattr(ng, attr, self._string(v, key, pw(key)))

        if lt is not None and lt.kind == "lt":
            text, partial, ud_where = self._lt_user_data(lt.logical_id)
            ng.kubelet_max_pods = self._max_pods(text, partial, ud_where, f"launch template {lt.logical_id}")
        elif lt is not None:
            ng.kubelet_max_pods = self._launch_ref_unknown(lt, "user data of", pw("LaunchTemplate"))
        ng.pods_per_node = self._pods_per_node.pop(lid, None)
        self.plan.nodegroups.append(ng)

    def _asg(self, lid: str, res: dict) -> None:
        rid = self.rid(lid)
        p = lambda name: self.prop(lid, res, name)
        pw = lambda *parts: self.w(lid, "Properties", *parts)
        mip_where = pw("MixedInstancesPolicy", "LaunchTemplate")

        # where the instance type and the user data come from
        types: Any = _MISSING
        text: str | Unknown | None = None  # the user data: None when there is none
        partial: dict = {}
        ud_where = pw()
        owner = ""
        image_hint = ""
        source_unknown: Unknown | None = None
        lt_spec = p("LaunchTemplate")
        overrides: Any = _MISSING
        mip = p("MixedInstancesPolicy")
        if isinstance(mip, dict):
            mlt = mip.get("LaunchTemplate", _MISSING)
            if isinstance(mlt, dict):
                lt_spec = mlt.get("LaunchTemplateSpecification", _MISSING)
                overrides = mlt.get("Overrides", _MISSING)
                if lt_spec is _MISSING:
                    source_unknown = Unknown("MixedInstancesPolicy.LaunchTemplate has no "
                                             "LaunchTemplateSpecification", mip_where)
            elif isinstance(mlt, Unknown):
                source_unknown = mlt
            else:
                source_unknown = Unknown("MixedInstancesPolicy has no LaunchTemplate mapping", mip_where)
        elif isinstance(mip, Unknown):
            source_unknown = mip
        elif mip is not _MISSING:
            source_unknown = Unknown("MixedInstancesPolicy is not a mapping", pw("MixedInstancesPolicy"))
        lt = self._launch_ref(lt_spec, pw("LaunchTemplate"), ("LaunchTemplateId",), ("LaunchTemplateName",))
        lc_name = p("LaunchConfigurationName")
        if source_unknown is not None:
            pass
        elif lt is not None and lt.kind == "lt":
            types = self._lt_instance_type(lt.logical_id)
            text, partial, ud_where = self._lt_user_data(lt.logical_id)
            owner = f"launch template {lt.logical_id}"
            data, _ = self._lt_data(lt.logical_id)
            image_hint = json.dumps(data.get("ImageId", "") if isinstance(data, dict) else "", default=str)
        elif lt is not None:
            source_unknown = lt.unknown or Unknown(f"launch template {lt.what} is not in the template",
                                                   pw("LaunchTemplate"))
        elif isinstance(lc_name, str) and lc_name in self._lc_ids:
            lc_lid = self._lc_ids[lc_name]
            lc = self.active.get(lc_lid) or self.doc["Resources"].get(lc_lid, {})
            types = self.prop(lc_lid, lc, "InstanceType")
            ud_where = self.w(lc_lid, "Properties", "UserData")
            owner = f"launch configuration {lc_lid}"
            text, partial = self._user_data_text(self.raw_prop(lc_lid, lc, "UserData"), ud_where, owner)
            image = self.raw_prop(lc_lid, lc, "ImageId")
            image_hint = json.dumps(image if image is not _MISSING else "", default=str)
        elif isinstance(lc_name, (str, Unknown)):
            source_unknown = lc_name if isinstance(lc_name, Unknown) else Unknown(
                f"launch configuration {lc_name} is not in the template", pw("LaunchConfigurationName"))
        elif lc_name is not _MISSING:
            source_unknown = Unknown("LaunchConfigurationName is not a name", pw("LaunchConfigurationName"))

        tags = p("Tags")
        cluster_name, signs = eks_tag_signs(t.get("Key") if isinstance(t, dict) else None
                                            for t in (tags if isinstance(tags, list) else []))
        if isinstance(text, str) and EKS_USER_DATA.search(text):
            signs = True
            m = re.search(r"/etc/eks/bootstrap\.sh\s+([^\s\\'\"$]+)", text)
            if m and cluster_name is None and not TOKEN_RE.search(m.group(1)):
                cluster_name = m.group(1)
        if re.search(r"/aws/service/(eks|bottlerocket)|amazon-eks|EKS_Optimized", image_hint):
            signs = True
        unreadable = source_unknown if source_unknown is not None else (
            text if isinstance(text, Unknown) else None)
        if not signs:
            if unreadable is None:
                return  # not EKS nodes as far as the template shows
            # the launch template or user data that would tell is unreadable: fail closed, read it as nodes
            self.unresolved(lid, Unknown(
                "podcap cannot tell whether this Auto Scaling group runs EKS nodes (its launch template or "
                f"user data is unreadable: {unreadable.reason}); it is checked as a node group",
                unreadable.where or pw()))
        if lid in self.cond_unknown:
            self.unresolved(lid, self.cond_unknown[lid])

        ng = NodeGroup(name=rid, self_managed=True, location=self.plan.resource_locations[rid])
        self.pending.ng_clusters.append((ng, cluster_name))
        over_types: list = []
        other_lt: Unknown | None = None  # an override that launches from another launch template
        if isinstance(overrides, Unknown):
            ng.instance_types = overrides
        elif isinstance(overrides, list):
            for i, o in enumerate(overrides):
                ow = f"{mip_where}.Overrides[{i}]"
                if not isinstance(o, dict):
                    over_types.append(o if isinstance(o, Unknown) else Unknown("an override is not a mapping", ow))
                    continue
                if "InstanceRequirements" in o:
                    ng.instance_types = Unknown("attribute-based instance type selection (InstanceRequirements)",
                                                f"{mip_where}.Overrides")
                    break
                if "InstanceType" in o:
                    over_types.append(self._string(o["InstanceType"], "InstanceType", ow))
                else:
                    over_types.append(Unknown("an override names no instance type", ow))
                if "LaunchTemplateSpecification" in o and other_lt is None:
                    olt = self._launch_ref(o["LaunchTemplateSpecification"], f"{ow}.LaunchTemplateSpecification",
                                           ("LaunchTemplateId",), ("LaunchTemplateName",))
                    if olt is not None and not (olt.kind == "lt" and lt is not None and lt.kind == "lt"
                                                and olt.logical_id == lt.logical_id):
                        other_lt = Unknown(
                            f"override [{i}] launches from another launch template "
                            f"({olt.logical_id or olt.what or 'not identified'}), whose user data podcap does not "
                            "read per instance type", f"{ow}.LaunchTemplateSpecification")
        elif overrides is not _MISSING:
            ng.instance_types = Unknown("Overrides is not a list", f"{mip_where}.Overrides")
        if isinstance(ng.instance_types, Unknown):
            pass
        elif over_types:
            ng.instance_types = over_types
        elif source_unknown is not None:
            ng.instance_types = Unknown(f"the instance type comes from a launch template or configuration podcap "
                                        f"cannot read ({source_unknown.reason})", source_unknown.where or pw())
        elif types is _MISSING:
            ng.instance_types = Unknown("no instance type in the group's launch template or configuration", pw())
        else:
            ng.instance_types = [self._string(types, "InstanceType", pw())]

        vz = p("VPCZoneIdentifier")
        ng.subnets = Unknown("no VPCZoneIdentifier: the group launches in the default VPC", pw()) \
            if vz is _MISSING else self._id_list(vz, "VPCZoneIdentifier", pw("VPCZoneIdentifier"))
        self._refer(ng.subnets, lid)
        lo, hi, desired = p("MinSize"), p("MaxSize"), p("DesiredCapacity")
        ng.min_size = as_int(lo, "MinSize", pw("MinSize")) if lo is not _MISSING else Unknown("no MinSize", pw())
        ng.max_size = as_int(hi, "MaxSize", pw("MaxSize")) if hi is not _MISSING else Unknown("no MaxSize", pw())
        # without a DesiredCapacity, Auto Scaling starts the group at its min size
        ng.desired_size = ng.min_size if desired is _MISSING else as_int(desired, "DesiredCapacity",
                                                                          pw("DesiredCapacity"))
        if source_unknown is not None:
            ng.kubelet_max_pods = Unknown(f"user data of a launch template or configuration podcap cannot read: "
                                          f"{source_unknown.reason}", source_unknown.where or pw())
        elif other_lt is not None:
            ng.kubelet_max_pods = other_lt
        else:
            ng.kubelet_max_pods = self._max_pods(text, partial, ud_where, owner)
        ng.pods_per_node = self._pods_per_node.pop(lid, None)
        self.plan.nodegroups.append(ng)

    # nested stacks ---------------------------------------------------------------------------------
    def _nested_template(self, lid: str) -> str | None:
        res = self.active.get(lid)
        if res is None or self.base_dir is None:
            return None
        meta = _dict(res.get("Metadata"))
        asset = meta.get("aws:asset:path")
        if not isinstance(asset, str) or not asset:
            return None
        path = os.path.realpath(os.path.join(self.base_dir, asset))
        base = os.path.realpath(self.base_dir)
        if os.path.commonpath([path, base]) != base or not os.path.isfile(path):
            return None
        return path

    def _nested_builder(self, lid: str) -> StackBuilder | None:
        if lid in self._nested:
            return self._nested[lid]
        if lid in self._nested_building:
            return None
        path = self._nested_template(lid)
        if path is None or self.nesting >= MAX_NESTED_STACK_DEPTH:
            self._nested[lid] = None
            return None
        self._nested_building.add(lid)
        try:
            doc, lines = read_template(path)
            params_raw = self.raw_prop(lid, self.active[lid], "Parameters")
            params: dict[str, Any] = {}
            if isinstance(params_raw, dict):
                for k, v in params_raw.items():
                    rv = self.r.resolve(v, self.w(lid, "Properties", "Parameters", str(k)))
                    if rv is not NO_VALUE:
                        params[str(k)] = rv
            for pseudo in ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"):
                if pseudo in self.r.given:
                    params.setdefault(pseudo, self.r.given[pseudo])
            label = f"{self.prefix}{lid}/"
            child = StackBuilder(self.plan, self.pending, doc, path, parameters=params, exports=self.r.exports,
                                 stack_name=None, region=self.r.region, account_id=self.r.account_id,
                                 id_prefix=label, where_prefix=f"{label.rstrip('/')}:", lines=lines,
                                 base_dir=os.path.dirname(path), nesting=self.nesting + 1)
            self._nested[lid] = child
        finally:
            self._nested_building.discard(lid)
        return child

    def _nested_output(self, lid: str, output: str, where: str) -> Any:
        child = self._nested_builder(lid)
        if child is None:
            return Unknown(f"output {output} of nested stack {lid}, whose template podcap cannot read", where)
        return child.r.output(output)

    def _nested_stack(self, lid: str) -> None:
        child = self._nested_builder(lid)
        if child is None:
            url = self.raw_prop(lid, self.active[lid], "TemplateURL")
            self.unresolved(lid, Unknown(
                "nested stack not read: its template is not beside this one"
                + (f" (TemplateURL {url!r})" if isinstance(url, str) else "")
                + "; check that template too", self.w(lid, "Properties", "TemplateURL")))
            return
        if lid in self.cond_unknown:
            self.unresolved(lid, self.cond_unknown[lid])
        child.build()


# -- after every stack is read ------------------------------------------------------------------------


def _find_cluster(plan: Plan, ref: Any) -> Cluster | None:
    if isinstance(ref, str):
        if ref in plan.clusters:
            return plan.clusters[ref]
        for c in plan.clusters.values():
            if isinstance(c.name, str) and c.name == ref:
                return c
        return None
    if (isinstance(ref, Unknown) or ref is None) and len(plan.clusters) == 1:
        return next(iter(plan.clusters.values()))
    return None


def finalize(plan: Plan, pending: Pending, placeholders: bool = True) -> None:
    """Link add-ons and node groups to clusters, attach CIDR blocks, create subnets referenced but not
    defined (``defined_in_plan=False``)."""
    for addon in pending.addons:
        cl = _find_cluster(plan, addon.cluster_ref)
        if cl is None and isinstance(addon.cluster_ref, str):
            cl = Cluster(id=addon.cluster_ref, name=addon.cluster_ref,
                         subnets=Unknown("the cluster is not described by the input; use --live", addon.rid),
                         location=addon.location)
            plan.clusters[cl.id] = cl
            plan.resource_locations.setdefault(cl.id, addon.location)
        if cl is None:
            plan.unresolved.append((addon.rid, Unknown(
                "the vpc-cni add-on's cluster cannot be identified; its settings are not applied", addon.rid)))
            continue
        if cl.cni_env is not None and addon.env is not None and cl.cni_env != addon.env:
            plan.unresolved.append((addon.rid, Unknown(
                f"cluster {cl.id} has more than one vpc-cni add-on; the last one read is used", addon.rid)))
        if addon.env is not None:
            cl.cni_env = addon.env
        cl.eni_configs.update(addon.eni_configs)
        cl.cni_resource, cl.cni_location = addon.rid, addon.location

    for ng, ref in pending.ng_clusters:
        if isinstance(ref, str):
            cl = _find_cluster(plan, ref)
            ng.cluster = cl.id if cl is not None else ref
        elif isinstance(ref, Unknown):
            cl = _find_cluster(plan, ref)
            ng.cluster = cl.id if cl is not None else None
            if cl is None and len(plan.clusters) > 1:
                plan.unresolved.append((ng.name, Unknown(f"the node group's cluster is not known: {ref.reason}",
                                                         ref.where)))
        else:
            ng.cluster = None

    for vpc_ref, cidr, rid in pending.vpc_cidrs:
        if isinstance(vpc_ref, str) and vpc_ref in plan.vpcs:
            plan.vpcs[vpc_ref].cidrs.append(cidr)
        elif isinstance(vpc_ref, Unknown):
            plan.unresolved.append((rid, Unknown(f"secondary CIDR of an unknown VPC: {vpc_ref.reason}",
                                                 vpc_ref.where)))

    if placeholders:
        for sid in referenced_subnet_ids(plan):
            if sid in plan.subnets:
                continue
            referrer = pending.referrers.get(sid)
            loc = referrer[1] if referrer else Location(file=plan.source)
            reason = EXISTING_SUBNET if subnet_like(sid) or not isinstance(sid, ResourceRef) else (
                f"{sid} is not a subnet defined in the input")
            plan.subnets[sid] = Subnet(
                id=sid,
                cidr=Unknown(reason, referrer[0] if referrer else sid),
                az=Unknown(reason, referrer[0] if referrer else sid),
                defined_in_plan=False,
                aws_id=sid if subnet_like(sid) else None,
                location=loc,
            )

    for sub_ref, v6, rid in pending.subnet_ipv6:
        if isinstance(sub_ref, str) and sub_ref in plan.subnets:
            plan.subnets[sub_ref].ipv6_cidr = v6
    for sub_ref, resv, rid in pending.reservations:
        if isinstance(sub_ref, str) and sub_ref in plan.subnets:
            plan.subnets[sub_ref].reservations.append(resv)
        elif isinstance(sub_ref, Unknown):
            plan.unresolved.append((rid, Unknown(f"CIDR reservation in an unknown subnet: {sub_ref.reason}",
                                                 sub_ref.where)))

    # ENIConfig keys are real AZ names; subnets placed with Fn::GetAZs have abstract ones ("az-0"). The
    # ENIConfig subnet must be in the AZ it serves, so its own AZ is an alias of the key.
    for cl in plan.clusters.values():
        for az, target in list(cl.eni_configs.items()):
            if not isinstance(target, str):
                continue
            pod_subnet = plan.subnets.get(target)
            if pod_subnet is not None and isinstance(pod_subnet.az, str) and pod_subnet.az != az \
                    and pod_subnet.az not in cl.eni_configs and re.fullmatch(r"az-\d+", pod_subnet.az):
                cl.eni_configs[pod_subnet.az] = target


__all__ = [
    "EKS_DEFAULT_INSTANCE_TYPE",
    "EKS_DEFAULT_SCALING",
    "cfn_loader",
    "kubelet_max_pods_from_user_data",
    "load_template",
    "parse_cni_configuration",
    "plan_from_template",
    "read_template",
]
