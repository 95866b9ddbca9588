"""EC2 capacity behind node groups: launch templates and launch configurations (instance type, image,
user data), and self-managed nodes, ``AWS::AutoScaling::AutoScalingGroup`` whose instances are EKS nodes
(user data that bootstraps a node, an EKS AMI, ``kubernetes.io/cluster/…`` tags) -> :class:`NodeGroup`.

Auto Scaling groups from the CDK's ``addAutoScalingGroupCapacity`` are of this kind: a launch template or
configuration whose user data runs ``/etc/eks/bootstrap.sh`` (or nodeadm).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from podcap.model.plan import NodeGroup
from podcap.model.unknown import Unknown
from podcap.sources._common import EKS_USER_DATA, eks_tag_signs
from podcap.sources.cloudformation.base import MISSING, BuilderBase, LaunchRef
from podcap.sources.intrinsics import NO_VALUE, TOKEN_RE, as_int

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# podcap.sources.objects.user_data (shlex, base64, the AMI families' readers) is imported by the functions
# that read user data, when a template has some: a template without launch templates never needs it.

_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9-]+")


def index_launch_template(b: BuilderBase, lid: str, res: dict) -> None:
    b.lt_ids[b.rid(lid)] = lid
    name = b.prop(lid, res, "LaunchTemplateName")
    if isinstance(name, str):
        b.lt_names[name] = lid


def index_launch_configuration(b: BuilderBase, lid: str, res: dict) -> None:
    b.lc_ids[b.rid(lid)] = lid
    name = b.prop(lid, res, "LaunchConfigurationName")
    if isinstance(name, str):
        b.lc_ids[name] = lid


def instance_type(b: BuilderBase, v: Any, where: str) -> str | Unknown:
    """An instance type name as EC2 takes it. EC2 matches names exactly (``m5.large``): a name in another
    case or with spaces is rejected at launch, so it is Unknown here, never normalised into a real type."""
    s = b.string(v, "InstanceType", where)
    if isinstance(s, Unknown) or TOKEN_RE.search(s):
        return s
    if not _INSTANCE_TYPE.fullmatch(s):
        return Unknown(f"instance type {s!r} is not an EC2 instance type name (lower case, no spaces, such as "
                       "m5.large); EC2 rejects it", where)
    return s


def instance_types(b: BuilderBase, v: Any, where: str) -> list | Unknown:
    ids = b.id_list(v, "InstanceTypes", where)
    if isinstance(ids, Unknown):
        return ids
    return [instance_type(b, t, f"{where}[{i}]") if isinstance(t, str) else t for i, t in enumerate(ids)]


def launch_ref(b: BuilderBase, spec: Any, where: str, id_keys: tuple[str, ...], name_keys: tuple[str, ...]
               ) -> LaunchRef | None:
    if spec is MISSING or spec is None:
        return None
    if isinstance(spec, Unknown):
        return LaunchRef("unknown", unknown=spec)
    if not isinstance(spec, dict):
        return LaunchRef("unknown", unknown=Unknown("launch template is not {Id|Name, Version}", where))
    for keys, known in ((id_keys, b.lt_ids), (name_keys, b.lt_names)):  # an id wins over a name
        for k in keys:
            if k in spec:
                v = spec[k]
                if isinstance(v, Unknown):
                    return LaunchRef("unknown", unknown=v)
                if isinstance(v, str) and v in known:
                    return LaunchRef("lt", known[v])
                return LaunchRef("external", what=str(v))
    return LaunchRef("unknown", unknown=Unknown("launch template has neither an id nor a name", where))


def launch_ref_unknown(lt: LaunchRef, what: str, where: str) -> Unknown:
    """Why something read from a launch template outside the template (or unidentified) is unknown."""
    if lt.kind == "external":
        return Unknown(f"{what} launch template {lt.what}, which is not in the template", where)
    return Unknown(f"{what} a launch template podcap cannot identify "
                   f"({lt.unknown.reason if lt.unknown else 'unknown'})", where)


def lt_data(b: BuilderBase, lt_lid: str) -> tuple[dict | Unknown, str]:
    """A launch template's LaunchTemplateData (values still raw); Unknown when it cannot be read."""
    res = b.active[lt_lid]
    data = b.raw_prop(lt_lid, res, "LaunchTemplateData")
    where = b.w(lt_lid, "Properties", "LaunchTemplateData")
    if isinstance(data, dict) and len(data) == 1 and next(iter(data)).startswith("Fn::"):
        data = b.r.resolve(data, where)
    if isinstance(data, Unknown):
        return Unknown(f"the LaunchTemplateData of launch template {lt_lid} is not known: {data.reason}",
                       data.where or where), where
    if data is MISSING or data is None or data is NO_VALUE:
        return {}, where
    if not isinstance(data, dict):
        return Unknown(f"the LaunchTemplateData of launch template {lt_lid} is not a mapping", where), where
    return data, where


def lt_instance_type(b: BuilderBase, lt_lid: str) -> Any:
    """The launch template's instance type: resolved value, Unknown, or MISSING when it names none."""
    data, where = lt_data(b, lt_lid)
    if isinstance(data, Unknown):
        return data
    if "InstanceType" not in data:
        if "InstanceRequirements" in data:
            return Unknown(f"launch template {lt_lid} selects instance types by attributes "
                           "(InstanceRequirements)", f"{where}.InstanceRequirements")
        return MISSING
    v = b.r.resolve(data["InstanceType"], f"{where}.InstanceType")
    return MISSING if v is NO_VALUE else v


def lt_custom_ami(b: BuilderBase, lt_lid: str) -> bool | Unknown:
    """Does the launch template set an ImageId (a custom AMI: EKS then writes no max pods)?"""
    data, where = lt_data(b, lt_lid)
    if isinstance(data, Unknown):
        return Unknown(f"whether launch template {lt_lid} sets an ImageId is not known: {data.reason}",
                       data.where or where)
    if "ImageId" not in data:
        return False
    v = b.r.resolve(data["ImageId"], f"{where}.ImageId")
    return v is not NO_VALUE


def lt_user_data(b: BuilderBase, lt_lid: str) -> tuple[str | Unknown | None, dict, str]:
    """(user data text or Unknown or None when absent, unknown pieces, where) of a launch template."""
    data, where = lt_data(b, lt_lid)
    ud_where = f"{where}.UserData"
    if isinstance(data, Unknown):
        return Unknown(f"user data of launch template {lt_lid} unreadable: {data.reason}",
                       data.where or where), {}, ud_where
    text, partial = user_data_text(b, data.get("UserData", MISSING), ud_where, f"launch template {lt_lid}")
    return text, partial, ud_where


def user_data_text(b: BuilderBase, raw: Any, where: str, owner: str) -> tuple[str | Unknown | None, dict]:
    """The user data as text (unknown pieces as tokens, see Resolver.resolve_text); None when there is
    none, Unknown when it cannot be read as a whole."""
    if raw is MISSING or raw is None or raw is NO_VALUE:
        return None, {}
    encoded = True
    if isinstance(raw, dict) and len(raw) == 1 and "Fn::Base64" in raw:
        raw, encoded = raw["Fn::Base64"], False
    value, partial = b.r.resolve_text(raw, where)
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
        from podcap.sources.objects.user_data import maybe_b64decode

        value = maybe_b64decode(value)
    return value, partial


def apply_user_data(ng: NodeGroup, text: str | Unknown | None, partial: Mapping[str, Unknown], where: str,
                    owner: str) -> None:
    """Kubelet max pods (or nodeadm's ``maxPodsExpression``) and where it came from, from user data text:
    nothing set when the user data is absent or sets none; Unknown when it cannot be read (the AMI default
    is then not assumed silently)."""
    if text is None or isinstance(text, Unknown):
        ng.kubelet_max_pods = text
        return
    from podcap.sources.objects.user_data import read_user_data  # the one user-data reader

    found = read_user_data(text, partial)
    problem = getattr(found, "problem", None)
    if problem:
        ng.kubelet_max_pods = Unknown(f"kubelet max-pods in the user data of {owner}: {problem}", where)
        return
    ng.kubelet_max_pods = getattr(found, "max_pods", None)
    expression = getattr(found, "expression", None)
    if expression is not None:
        ng.max_pods_expression = expression
    origin = getattr(found, "origin", None)
    if origin and (ng.kubelet_max_pods is not None or expression is not None):
        ng.max_pods_origin = f"{origin} in the user data of {owner}"


def apply_node_demand(b: BuilderBase, lid: str, ng: NodeGroup) -> None:
    """``Metadata.podcap`` demand of a node group: pods per node, security-group pods per node, and the node
    bound ``max_nodes`` where the template leaves the max size undecided."""
    ng.pods_per_node = b.take_metadata(lid, "pods_per_node")
    ng.sgp_pods_per_node = b.take_metadata(lid, "sgp_pods_per_node")
    max_nodes = b.take_metadata(lid, "max_nodes")
    if max_nodes is None:
        return
    if isinstance(ng.max_size, Unknown):
        from podcap.sources.cloudformation.base import add_note

        add_note(b.plan, ng.name, f"max size taken from Metadata podcap.max_nodes ({max_nodes}); the template "
                                  f"does not decide it ({ng.max_size.reason})")
        ng.max_size = max_nodes
    elif isinstance(ng.max_size, int) and ng.max_size != max_nodes:
        b.unresolved(lid, Unknown(
            f"podcap max_nodes {max_nodes} ignored: the group's max size is {ng.max_size}, which bounds it",
            b.w(lid, "Metadata", "podcap", "max_nodes")))


def read_asg(b: BuilderBase, lid: str, res: dict) -> None:
    rid = b.rid(lid)
    p = lambda name: b.prop(lid, res, name)
    pw = lambda *parts: b.w(lid, "Properties", *parts)
    mip_where = pw("MixedInstancesPolicy", "LaunchTemplate")

    # where the instance type and the user data come from
    types: Any = MISSING
    text: str | Unknown | None = None  # the user data: None when there is none
    partial: dict = {}
    ud_where = pw()
    owner = ""
    image_hint = ""
    source_unknown: Unknown | None = None
    lt_spec = p("LaunchTemplate")
    overrides: Any = MISSING
    mip = p("MixedInstancesPolicy")
    if isinstance(mip, dict):
        mlt = mip.get("LaunchTemplate", MISSING)
        if isinstance(mlt, dict):
            lt_spec = mlt.get("LaunchTemplateSpecification", MISSING)
            overrides = mlt.get("Overrides", MISSING)
            if lt_spec is MISSING:
                source_unknown = Unknown("MixedInstancesPolicy.LaunchTemplate has no "
                                         "LaunchTemplateSpecification", mip_where)
        elif isinstance(mlt, Unknown):
            source_unknown = mlt
        else:
            source_unknown = Unknown("MixedInstancesPolicy has no LaunchTemplate mapping", mip_where)
    elif isinstance(mip, Unknown):
        source_unknown = mip
    elif mip is not MISSING:
        source_unknown = Unknown("MixedInstancesPolicy is not a mapping", pw("MixedInstancesPolicy"))
    lt = launch_ref(b, lt_spec, pw("LaunchTemplate"), ("LaunchTemplateId",), ("LaunchTemplateName",))
    lc_name = p("LaunchConfigurationName")
    if source_unknown is not None:
        pass
    elif lt is not None and lt.kind == "lt":
        types = lt_instance_type(b, lt.logical_id)
        text, partial, ud_where = lt_user_data(b, lt.logical_id)
        owner = f"launch template {lt.logical_id}"
        data, _ = lt_data(b, lt.logical_id)
        image_hint = json.dumps(data.get("ImageId", "") if isinstance(data, dict) else "", default=str)
    elif lt is not None:
        source_unknown = lt.unknown or Unknown(f"launch template {lt.what} is not in the template",
                                               pw("LaunchTemplate"))
    elif isinstance(lc_name, str) and lc_name in b.lc_ids:
        lc_lid = b.lc_ids[lc_name]
        lc = b.active.get(lc_lid) or b.doc["Resources"].get(lc_lid, {})
        types = b.prop(lc_lid, lc, "InstanceType")
        ud_where = b.w(lc_lid, "Properties", "UserData")
        owner = f"launch configuration {lc_lid}"
        text, partial = user_data_text(b, b.raw_prop(lc_lid, lc, "UserData"), ud_where, owner)
        image = b.raw_prop(lc_lid, lc, "ImageId")
        image_hint = json.dumps(image if image is not MISSING else "", default=str)
    elif isinstance(lc_name, (str, Unknown)):
        source_unknown = lc_name if isinstance(lc_name, Unknown) else Unknown(
            f"launch configuration {lc_name} is not in the template", pw("LaunchConfigurationName"))
    elif lc_name is not MISSING:
        source_unknown = Unknown("LaunchConfigurationName is not a name", pw("LaunchConfigurationName"))

    tags = p("Tags")
    cluster_name, signs = eks_tag_signs(t.get("Key") if isinstance(t, dict) else None
                                        for t in (tags if isinstance(tags, list) else []))
    if isinstance(text, str) and re.search(EKS_USER_DATA, text):
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
        b.unresolved(lid, Unknown(
            "podcap cannot tell whether this Auto Scaling group runs EKS nodes (its launch template or "
            f"user data is unreadable: {unreadable.reason}); it is checked as a node group",
            unreadable.where or pw()))
    b.report_condition(lid)

    ng = NodeGroup(name=rid, self_managed=True, location=b.plan.resource_locations[rid])
    b.pending.ng_clusters.append((ng, cluster_name))
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
                over_types.append(instance_type(b, o["InstanceType"], ow))
            else:
                over_types.append(Unknown("an override names no instance type", ow))
            if "LaunchTemplateSpecification" in o and other_lt is None:
                olt = launch_ref(b, o["LaunchTemplateSpecification"], f"{ow}.LaunchTemplateSpecification",
                                 ("LaunchTemplateId",), ("LaunchTemplateName",))
                if olt is not None and not (olt.kind == "lt" and lt is not None and lt.kind == "lt"
                                            and olt.logical_id == lt.logical_id):
                    other_lt = Unknown(
                        f"override [{i}] launches from another launch template "
                        f"({olt.logical_id or olt.what or 'not identified'}), whose user data podcap does not "
                        "read per instance type", f"{ow}.LaunchTemplateSpecification")
    elif overrides is not MISSING:
        ng.instance_types = Unknown("Overrides is not a list", f"{mip_where}.Overrides")
    if isinstance(ng.instance_types, Unknown):
        pass
    elif over_types:
        ng.instance_types = over_types
    elif source_unknown is not None:
        ng.instance_types = Unknown(f"the instance type comes from a launch template or configuration podcap "
                                    f"cannot read ({source_unknown.reason})", source_unknown.where or pw())
    elif types is MISSING:
        ng.instance_types = Unknown("no instance type in the group's launch template or configuration", pw())
    else:
        ng.instance_types = [instance_type(b, types, pw())]

    vz = p("VPCZoneIdentifier")
    ng.subnets = Unknown("no VPCZoneIdentifier: the group launches in the default VPC", pw()) \
        if vz is MISSING else b.id_list(vz, "VPCZoneIdentifier", pw("VPCZoneIdentifier"))
    b.refer(ng.subnets, lid)
    lo, hi, desired = p("MinSize"), p("MaxSize"), p("DesiredCapacity")
    ng.min_size = as_int(lo, "MinSize", pw("MinSize")) if lo is not MISSING else Unknown("no MinSize", pw())
    ng.max_size = as_int(hi, "MaxSize", pw("MaxSize")) if hi is not MISSING else Unknown("no MaxSize", pw())
    # without a DesiredCapacity, Auto Scaling starts the group at its min size
    ng.desired_size = ng.min_size if desired is MISSING else as_int(desired, "DesiredCapacity",
                                                                     pw("DesiredCapacity"))
    if source_unknown is not None:
        ng.kubelet_max_pods = Unknown(f"user data of a launch template or configuration podcap cannot read: "
                                      f"{source_unknown.reason}", source_unknown.where or pw())
    elif other_lt is not None:
        ng.kubelet_max_pods = other_lt
    else:
        apply_user_data(ng, text, partial, ud_where, owner)
    apply_node_demand(b, lid, ng)
    b.plan.nodegroups.append(ng)

