"""Compute of a Terraform plan: ``aws_launch_template`` (instance type, AMI, user data) and self-managed
``aws_autoscaling_group`` nodes (with a launch template or an ``aws_launch_configuration``)."""
from __future__ import annotations

import re

from podcap.model.plan import NodeGroup
from podcap.model.unknown import Unknown
from podcap.sources._common import EKS_USER_DATA, eks_tag_signs
from podcap.sources.objects.user_data import read_user_data
from podcap.sources.terraform.plan import (
    AFTER_APPLY,
    MISSING,
    Builder,
    Lit,
    Res,
    ResItem,
    _as_int,
    _ctx_text,
    _decode_user_data,
    _eks_submodule,
    _is_type_ref,
    _specific_references,
    _walk,
    _where,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any


def index_launch_template(b: Builder, res: Res) -> None:
    """``aws_launch_template``: indexed by id and name for the groups that name it (read with them)."""
    for key, index in (("id", b.lt_by_id), ("name", b.lt_by_name)):
        v = res.values.get(key)
        if isinstance(v, str) and v:
            index.setdefault(v, res)


def launch_template(b: Builder, res: Res, path: tuple, id_key: str, name_key: str
                    ) -> tuple[bool, Res | None, Unknown | None]:
    """(present, the aws_launch_template resource, why it cannot be identified)."""
    spec = _walk(res.values, path)
    where = _where(res.address, path)
    if spec is MISSING or spec is None or spec == [] or spec == {}:
        return False, None, None
    if isinstance(spec, list):
        spec = spec[0]
    if isinstance(spec, Unknown):
        return True, None, Unknown(f"launch template {AFTER_APPLY}", where)
    if not isinstance(spec, dict):
        return True, None, Unknown("launch template is not {id|name, version}", where)
    why: Unknown | None = None
    for key, index in ((id_key, b.lt_by_id), (name_key, b.lt_by_name)):
        v = spec.get(key)
        if isinstance(v, str) and v:
            if v in index:
                return True, index[v], None
            return True, None, Unknown(f"launch template {v} is not in the plan", _where(where, (key,)))
        if isinstance(v, Unknown):
            full = path + ((0,) if isinstance(_walk(res.values, path), list) else ()) + (key,)
            got = b.single(res, full, _is_type_ref("aws_launch_template"), "a launch template")
            if isinstance(got, ResItem):
                return True, got.res, None
            if isinstance(got, Unknown):
                own = module_launch_template(b, res, full)
                if own is not None:
                    return True, own, None
            if isinstance(got, Lit) and isinstance(got.value, str):
                if got.value in b.lt_by_id or got.value in b.lt_by_name:
                    return True, b.lt_by_id.get(got.value) or b.lt_by_name[got.value], None
                return True, None, Unknown(f"launch template {got.value} is not in the plan", where)
            why = why or (got if isinstance(got, Unknown) else Unknown(f"launch template {AFTER_APPLY}", where))
    return True, None, why or Unknown("launch template has neither an id nor a name", where)


def module_launch_template(b: Builder, res: Res, path: tuple) -> Res | None:
    """The launch template of the group's own module instance, when the group's launch template id (or
    name) at ``path`` is computed only from that module's locals and defaults and the module instance
    holds exactly one ``aws_launch_template``; None otherwise (the group's template stays unknown).

    The plan JSON records no local's expression (terraform-aws-eks: ``id = local.launch_template_id``,
    which is ``aws_launch_template.this[0].id`` when the module creates its template). The id's expression
    may reference ``local.*`` and ``var.*`` the module call does not set (a default is a constant: it names
    no resource of the plan). A ``dynamic "launch_template"`` block is not recorded at all (Terraform leaves
    dynamic blocks out of the configuration JSON): then only for terraform-aws-eks's node-group
    submodules, whose block names the module's own template whenever the module creates it
    (modules/eks-managed-node-group and modules/self-managed-node-group, main.tf: ``launch_template_id =
    var.create && var.create_launch_template ? aws_launch_template.this[0].id : var.launch_template_id``,
    the template existing only under that condition)."""
    if not res.ctx:
        return None
    names = b._names(res.ctx)
    call = b._module_call(names[:-1], names[-1])
    conf = b.config_of(res)
    if conf is None:
        return None
    expr = b.expression(res, path)
    if expr is None:
        block = conf.get("expressions", {}).get(path[0]) if isinstance(conf.get("expressions"), dict) else None
        if block is not None or _eks_submodule(call.get("source")) not in (
                "eks-managed-node-group", "self-managed-node-group"):
            return None
        how = f"its {path[0]} block is dynamic (not recorded in the plan) in terraform-aws-eks's module"
    else:
        refs = _specific_references(expr.get("references") or []) if isinstance(expr, dict) else []
        if not refs or "constant_value" in expr:
            return None
        passed = call.get("expressions") if isinstance(call.get("expressions"), dict) else {}
        for ref in refs:
            parts = ref.split(".")
            if parts[0] == "local" and len(parts) > 1:
                continue
            if parts[0] == "var" and len(parts) > 1 and parts[1].split("[")[0] not in passed:
                continue
            return None
        how = f"its {path[-1]} is computed from {', '.join(refs[:3])}, which the plan does not record"
    own = [r for (ctx, mode, rtype, _), found in b.instances.items()
           if ctx == res.ctx and mode == "managed" and rtype == "aws_launch_template" for r in found.values()]
    if len(own) != 1:
        return None
    lt = own[0]
    note = (f"launch template {lt.address} linked by module instance: {how}, and it is the only launch "
            f"template in {_ctx_text(res.ctx).rstrip('.')}")
    b.plan.notes.append((res.address, note))
    return lt


def custom_ami(lt: Res) -> Any:
    """Does the launch template set an AMI (``image_id``)? EKS then writes no max pods for a managed node
    group's nodes (EKS user guide, "Customizing managed nodes with launch templates": with a custom AMI the
    user data must bootstrap the node). Unknown when the id is known only after apply (an SSM lookup …)."""
    image = lt.values.get("image_id")
    if isinstance(image, Unknown):
        return Unknown(f"the launch template's image_id is {AFTER_APPLY}: podcap cannot tell whether it sets a "
                       "custom AMI", _where(lt.address, ("image_id",)))
    return isinstance(image, str) and image != ""


def apply_user_data(b: Builder, ng: NodeGroup, lt: Res, attr: str = "user_data") -> None:
    """The kubelet max pods (or AL2023 ``maxPodsExpression``) the user data sets, and where it came from:
    one reader for every source (:func:`podcap.sources.objects.user_data.read_user_data`: bootstrap.sh
    flags, nodeadm NodeConfig, Bottlerocket settings)."""
    raw = lt.values.get(attr)
    where = _where(lt.address, (attr,))
    if raw is None or raw == "":
        return
    if isinstance(raw, Unknown):
        ng.kubelet_max_pods = Unknown(f"user data {AFTER_APPLY}{b.computed_from(lt, (attr,))}", where)
        return
    if not isinstance(raw, str):
        ng.kubelet_max_pods = Unknown("user data is not a string", where)
        return
    try:
        got = read_user_data(_decode_user_data(raw))
    except ValueError:  # a number too long for Python to read (over 4,300 digits)
        ng.kubelet_max_pods = Unknown("kubelet max-pods: the value is not a number of pods", where)
        return
    if got.family == "windows":  # Start-EKSBootstrap.ps1: a Windows node
        ng.os = "windows"
    if got.problem is not None:
        ng.kubelet_max_pods = Unknown(f"kubelet max-pods: {got.problem}", where)
        return
    ng.kubelet_max_pods = got.max_pods
    ng.max_pods_expression = got.expression
    if got.max_pods is not None or got.expression is not None:
        ng.max_pods_origin = f"{got.origin} (user data of {lt.address})" if got.origin else \
            f"user data of {lt.address}"


def user_data_text(lt: Res | None, attr: str = "user_data") -> Any:
    """The decoded user data text, None, or Unknown."""
    if lt is None:
        return None
    raw = lt.values.get(attr)
    if isinstance(raw, str):
        return _decode_user_data(raw)
    return raw  # None or Unknown


def set_sizes(ng: NodeGroup, scaling: Any, keys: tuple[str, str, str], where: str) -> None:
    """min / desired / max from a block (or the Unknown that stands for it)."""
    vals = []
    for k in keys:
        v = _walk(scaling, (k,)) if isinstance(scaling, dict) else scaling
        if v is MISSING or v is None:
            v = Unknown(f"no {k} in the plan", _where(where, (k,)))
        vals.append(_as_int(v, k, _where(where, (k,))))
    ng.min_size, ng.desired_size, ng.max_size = vals


def read_asg(b: Builder, res: Res) -> None:
    """``aws_autoscaling_group`` with a launch template or configuration whose user data bootstraps EKS
    (or tags that mark EKS nodes): a self-managed node group."""
    a = res.address
    v = res.values
    lt_path: tuple = ("launch_template",)
    id_key, name_key = "id", "name"
    overrides: Any = MISSING
    mip = _walk(v, ("mixed_instances_policy", 0, "launch_template", 0))
    if isinstance(mip, dict):
        lt_path = ("mixed_instances_policy", 0, "launch_template", 0, "launch_template_specification")
        id_key, name_key = "launch_template_id", "launch_template_name"
        overrides = mip.get("override", MISSING)
    if isinstance(mip, Unknown) and isinstance(v.get("launch_template"), list) and v["launch_template"]:
        # a launch_template block is planned: the provider's schema allows exactly one of launch_template,
        # mixed_instances_policy and launch_configuration, so the unknown policy is none (hashicorp/aws
        # marks the absent block unknown when the group is created)
        mip = MISSING
    present, lt, lt_why = launch_template(b, res, lt_path, id_key, name_key)
    if isinstance(mip, Unknown):
        present, lt_why = True, Unknown(f"mixed instances policy {AFTER_APPLY}", mip.where)
    lc: Res | None = None
    lc_name = v.get("launch_configuration")
    if not present and lc_name not in (None, ""):
        got = b.single(res, ("launch_configuration",), _is_type_ref("aws_launch_configuration"),
                       "a launch configuration")
        if isinstance(got, ResItem):
            lc = got.res
        elif isinstance(got, Lit) and isinstance(got.value, str):
            lc = next((r for r in b.by_type.get("aws_launch_configuration", [])
                       if r.values.get("name") == got.value), None)
        present = True
        if lc is None:
            lt_why = got if isinstance(got, Unknown) else Unknown(
                f"launch configuration {lc_name} is not in the plan", _where(a, ("launch_configuration",)))
    if not present:
        return  # no launch template: not read as a node group

    source_res = lt or lc
    ud_attr = "user_data" if lt is not None else (
        "user_data_base64" if lc is not None and lc.values.get("user_data_base64") else "user_data")
    text = user_data_text(source_res, ud_attr)
    cluster_name, signs = eks_tag_signs(tag.get("key") for tag in _asg_tags(v))
    if isinstance(text, str) and re.search(EKS_USER_DATA, text):
        signs = True
        m = re.search(r"/etc/eks/bootstrap\.sh\s+([A-Za-z0-9][A-Za-z0-9_-]*)", text)
        if m and cluster_name is None:
            cluster_name = m.group(1)
    if not signs and (isinstance(text, str) or text is None) and source_res is not None:
        return  # the user data is readable and shows no EKS bootstrap: not EKS nodes

    ng = NodeGroup(name=a, self_managed=True, location=b.loc(res))
    if cluster_name is not None:
        ids = b.clusters_by_name.get(cluster_name, [])
        ng.cluster = ids[0] if len(ids) == 1 else cluster_name
    tw = _where(a, ("mixed_instances_policy", 0, "launch_template", 0, "override"))
    over_types: list[Any] = []
    if isinstance(overrides, Unknown):
        ng.instance_types = Unknown(f"instance type overrides {AFTER_APPLY}", tw)
    elif isinstance(overrides, list):
        for o in overrides:
            if not isinstance(o, dict):
                continue
            if o.get("instance_requirements"):
                ng.instance_types = Unknown("attribute-based instance type selection (instance_requirements)",
                                            tw)
                break
            t = o.get("instance_type")
            if isinstance(t, (str, Unknown)) and t != "":
                over_types.append(t)
    if not isinstance(ng.instance_types, Unknown):
        if over_types:
            ng.instance_types = over_types
        elif source_res is None:
            ng.instance_types = Unknown("the instance type comes from a launch template podcap cannot read "
                                        f"({lt_why.reason if lt_why else 'unknown'})", _where(a, lt_path))
        else:
            t = source_res.values.get("instance_type")
            if isinstance(t, str) and t:
                ng.instance_types = [t]
            elif isinstance(t, Unknown):
                ng.instance_types = [Unknown(f"instance_type {AFTER_APPLY}",
                                             _where(source_res.address, ("instance_type",)))]
            else:
                ng.instance_types = Unknown("no instance type in the group's launch template",
                                            _where(source_res.address, ("instance_type",)))

    subnets = b.subnet_list(res, ("vpc_zone_identifier",))
    ng.subnets = Unknown("no vpc_zone_identifier: the group launches in the default VPC",
                         _where(a, ("vpc_zone_identifier",))) if subnets is MISSING else subnets
    sizes = dict(v)
    desired = sizes.get("desired_capacity")
    if desired is None or (isinstance(desired, Unknown) and not b.has_expression(res, ("desired_capacity",))):
        sizes["desired_capacity"] = sizes.get("min_size")  # AWS starts an ASG without one at its min size
    set_sizes(ng, sizes, ("min_size", "desired_capacity", "max_size"), a)
    if source_res is not None:
        if lc is not None and ud_attr == "user_data" and isinstance(lc.values.get("user_data"), str):
            ng.kubelet_max_pods = Unknown("a launch configuration's user_data is stored as a hash in the plan",
                                          _where(lc.address, ("user_data",)))
        else:
            apply_user_data(b, ng, source_res, ud_attr)
    elif lt_why is not None:
        ng.kubelet_max_pods = Unknown(f"user data of a launch template podcap cannot read: {lt_why.reason}",
                                      lt_why.where)
    b.plan.nodegroups.append(ng)


def _asg_tags(values: dict) -> list[dict]:
    out: list[dict] = []
    for key in ("tag", "tags"):
        tags = values.get(key)
        if isinstance(tags, list):
            out.extend(t for t in tags if isinstance(t, dict))
        elif isinstance(tags, dict):  # a plain map on some providers / modules
            out.extend({"key": k, "value": v} for k, v in tags.items())
    return out
