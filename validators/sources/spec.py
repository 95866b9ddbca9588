"""The podcap cluster spec (YAML or JSON) -> Plan. The format is in docs/spec.md.

Two passes: the JSON Schema shipped in ``validators/schemas/spec.schema.json`` (shape, types, typos:
``additionalProperties`` is false everywhere), then the checks a schema cannot express (unique names,
subnet references, min <= desired <= max, CIDRs that parse). Every problem becomes one line of
:class:`SpecError`: ``FILE: at nodegroups[0].max: -1 is less than the minimum of 0``.

Whether a subnet lies inside the VPC, overlaps another or is big enough is for the rules, not for here.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import ipaddress
import json
from functools import lru_cache
from importlib import resources

from podcap.model.plan import (
    CidrReservation,
    Cluster,
    Location,
    NodeGroup,
    Plan,
    Subnet,
    SubnetRole,
    Suppression,
    Vpc,
)
from podcap.sources._common import unknown_key
from podcap.sources.safe_yaml import InputError, format_path, load_document

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

VPC_ID = "vpc"  # the spec's one VPC, as Vpc.id / Subnet.vpc
MAX_PROBLEMS = 50


class SpecError(InputError):
    """An invalid spec: one line per problem, ``FILE: at PATH: problem``."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else message.splitlines()


@lru_cache(maxsize=1)
def spec_schema() -> dict:
    """The spec's JSON Schema (draft 2020-12)."""
    text = resources.files("podcap.schemas").joinpath("spec.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_spec(path: str) -> Plan:
    """Read a spec file (YAML, or JSON when it ends in .json or starts with '{') into a Plan."""
    doc, lines, _, _ = load_document(path)
    return plan_from_spec_dict(doc, path, lines=lines)


def plan_from_spec_dict(doc: Any, source: str, *, lines: dict[str, int] | None = None) -> Plan:
    """Validate a spec document (already parsed) and build its Plan. ``lines`` maps paths to lines."""
    if doc is None:
        raise SpecError(f"{source}: the spec is empty")
    doc = _plain(doc)
    if not isinstance(doc, dict):
        raise SpecError(
            f"{source}: at top level: a spec is a mapping (version, name, vpc, subnets …), "
            f"not {_type_name(doc)}"
        )
    problems = _schema_problems(doc, source)
    if not problems:
        problems = _semantic_problems(doc, source)
    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = problems[:MAX_PROBLEMS] + [
                f"{source}: … and {len(problems) - MAX_PROBLEMS} more problems"
            ]
        raise SpecError("\n".join(problems), problems)
    return _build(doc, source, lines or {})


# -- validation ---------------------------------------------------------------------------------


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(v), type(v).__name__)


def _plain(v: Any) -> Any:
    """JSON-like copy: tuples -> lists, dates -> ISO strings (a dict built in Python, e.g. by the CDK)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()[:10]
    return v


def _at(source: str, path: str, message: str) -> str:
    message = " ".join(message.split())
    if len(message) > 300:
        message = message[:299] + "…"
    return f"{source}: at {path or 'top level'}: {message}"


def _schema_problems(doc: dict, source: str) -> list[str]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(spec_schema())
    out: list[str] = []
    errors = sorted(validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for e in errors:
        path = format_path(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            allowed = list((e.schema.get("properties") or {}).keys())
            extra = [k for k in e.instance if k not in allowed]
            for k in extra:
                out.append(_at(source, path, unknown_key(k, allowed)))
            continue
        if e.validator == "const":
            out.append(_at(source, path, f"must be {e.validator_value!r}, not {e.instance!r}"))
            continue
        if e.validator == "required":
            out.append(_at(source, path, e.message))
            continue
        if e.validator == "pattern" and path.endswith(("cidr", "]")) and "cidr" in path:
            out.append(_at(source, path, f"{e.instance!r} is not an IPv4 CIDR block such as 10.0.0.0/16"))
            continue
        if e.validator == "pattern" and path.endswith(".expires"):
            out.append(_at(source, path, f"{e.instance!r} is not a date YYYY-MM-DD"))
            continue
        if e.validator == "pattern" and path.endswith(".id"):
            out.append(_at(source, path, f"{e.instance!r} is not a podcap rule id such as PC201"))
            continue
        if e.validator == "minLength" and path.endswith(".reason"):
            out.append(_at(source, path, "give a reason of at least 10 characters"))
            continue
        out.append(_at(source, path, e.message))
    return out


def _net(value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as e:
        try:
            loose = ipaddress.IPv4Network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid IPv4 CIDR block ({e})") from None
        raise ValueError(f"{value!r} has host bits set; did you mean {loose}?") from None


def _semantic_problems(doc: dict, source: str) -> list[str]:
    out: list[str] = []

    def check_cidr(value: str, path: str) -> ipaddress.IPv4Network | None:
        try:
            return _net(value)
        except ValueError as e:
            out.append(_at(source, path, str(e)))
            return None

    vpc = doc["vpc"]
    check_cidr(vpc["cidr"], "vpc.cidr")
    for i, c in enumerate(vpc.get("secondary_cidrs", [])):
        check_cidr(c, f"vpc.secondary_cidrs[{i}]")

    subnet_names: dict[str, int] = {}
    for i, s in enumerate(doc["subnets"]):
        p = f"subnets[{i}]"
        if s["name"] in subnet_names:
            out.append(
                _at(
                    source,
                    f"{p}.name",
                    f"subnet name {s['name']!r} already used by subnets[{subnet_names[s['name']]}]",
                )
            )
        else:
            subnet_names[s["name"]] = i
        net = check_cidr(s["cidr"], f"{p}.cidr")
        for j, r in enumerate(s.get("reservations", [])):
            rn = check_cidr(r["cidr"], f"{p}.reservations[{j}].cidr")
            if net is not None and rn is not None and not rn.subnet_of(net):
                out.append(
                    _at(
                        source,
                        f"{p}.reservations[{j}].cidr",
                        f"reservation {rn} is not inside subnet {s['name']} ({net})",
                    )
                )

    def check_ref(name: str, path: str) -> None:
        if name not in subnet_names:
            hint = difflib.get_close_matches(name, list(subnet_names), n=1)
            out.append(
                _at(
                    source,
                    path,
                    f"no subnet named {name!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else f"; subnets: {', '.join(subnet_names)}"),
                )
            )

    cluster = doc.get("cluster") or {}
    for i, name in enumerate(cluster.get("subnets", [])):
        check_ref(name, f"cluster.subnets[{i}]")
    for az, name in (cluster.get("cni") or {}).get("eni_configs", {}).items():
        check_ref(name, f"cluster.cni.eni_configs.{az}")

    ng_names: dict[str, int] = {}
    for i, ng in enumerate(doc.get("nodegroups", [])):
        p = f"nodegroups[{i}]"
        if ng["name"] in ng_names:
            out.append(
                _at(
                    source,
                    f"{p}.name",
                    f"node group name {ng['name']!r} already used by nodegroups[{ng_names[ng['name']]}]",
                )
            )
        else:
            ng_names[ng["name"]] = i
        for j, name in enumerate(ng["subnets"]):
            check_ref(name, f"{p}.subnets[{j}]")
        lo, hi = ng["min"], ng["max"]
        desired = ng.get("desired", lo)
        if lo > hi:
            out.append(_at(source, p, f"min ({lo}) is greater than max ({hi})"))
        elif not lo <= desired <= hi:
            out.append(
                _at(source, f"{p}.desired", f"desired ({desired}) is not between min ({lo}) and max ({hi})")
            )
        upd = ng.get("update") or {}
        if "max_unavailable" in upd and "max_unavailable_percentage" in upd:
            out.append(
                _at(source, f"{p}.update", "give max_unavailable or max_unavailable_percentage, not both")
            )

    for section in ("fargate_profiles", "node_pools"):
        for i, item in enumerate(doc.get(section, [])):
            p = f"{section}[{i}]"
            if item["name"] in ng_names:
                out.append(_at(source, f"{p}.name", f"name {item['name']!r} is already used"))
            else:
                ng_names[item["name"]] = i
            for key in ("subnets", "pod_subnets"):
                for j, name in enumerate(item.get(key, [])):
                    check_ref(name, f"{p}.{key}[{j}]")
            if section == "node_pools":
                only = {"auto-mode": ("pod_subnets", "ipv4_prefix_size"),
                        "karpenter": ("kubelet_max_pods", "pods_per_core", "ami_family", "reserved_enis")}
                for prov, keys in only.items():
                    for key in keys:
                        if key in item and item["provisioner"] != prov:
                            out.append(_at(source, f"{p}.{key}", f"{key} applies to {prov} node pools only"))

    resources_ = set(subnet_names) | set(ng_names) | {doc["name"], VPC_ID, "*"}
    for i, sup in enumerate(doc.get("suppressions", [])):
        p = f"suppressions[{i}]"
        if "expires" in sup:
            try:
                _dt.date.fromisoformat(sup["expires"])
            except ValueError:
                out.append(_at(source, f"{p}.expires", f"{sup['expires']!r} is not a valid date"))
        if sup["resource"] not in resources_:
            hint = difflib.get_close_matches(sup["resource"], sorted(resources_), n=1)
            out.append(
                _at(
                    source,
                    f"{p}.resource",
                    f"{sup['resource']!r} is not a subnet, node group or the cluster of this spec"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "; use '*' for every resource"),
                )
            )
    return out


# -- building the plan --------------------------------------------------------------------------


def _env_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _build(doc: dict, source: str, lines: dict[str, int]) -> Plan:
    def loc(path: str) -> Location:
        return Location(file=source, path=path, line=lines.get(path))

    plan = Plan(source=source, kind="spec")
    name: str = doc["name"]
    vpc = doc["vpc"]
    plan.vpcs[VPC_ID] = Vpc(VPC_ID, [vpc["cidr"], *vpc.get("secondary_cidrs", [])], location=loc("vpc"))
    plan.resource_locations[VPC_ID] = plan.vpcs[VPC_ID].location

    for i, s in enumerate(doc["subnets"]):
        sub = Subnet(
            id=s["name"],
            cidr=s["cidr"],
            az=s["az"],
            vpc=VPC_ID,
            role=SubnetRole(s.get("role", "both")),
            used_addresses=s.get("used_addresses"),
            reservations=[
                CidrReservation(r["cidr"], r.get("type", "prefix")) for r in s.get("reservations", [])
            ],
            location=loc(f"subnets[{i}]"),
            tags=dict(s.get("tags", {})),
            internet_route="marked public in the spec (a route to an internet gateway)" if s.get("public") else None,
        )
        plan.subnets[sub.id] = sub
        plan.resource_locations[sub.id] = sub.location

    cl = doc.get("cluster") or {}
    cni = cl.get("cni") or {}
    env = cni.get("env")
    default_cp = [s["name"] for s in doc["subnets"] if s.get("role", "both") in ("nodes", "both")]
    cluster = Cluster(
        id=name,
        name=name,
        subnets=list(cl["subnets"]) if "subnets" in cl else default_cp,
        ip_family=cl.get("ip_family", "ipv4"),
        cni_env=None if env is None else {k: _env_value(v) for k, v in env.items()},
        eni_configs=dict(cni.get("eni_configs", {})),
        location=loc("cluster" if "cluster" in doc else "name"),
    )
    plan.clusters[cluster.id] = cluster
    plan.resource_locations[cluster.id] = cluster.location

    for i, ng in enumerate(doc.get("nodegroups", [])):
        upd = ng.get("update") or {}
        group = NodeGroup(
            name=ng["name"],
            cluster=cluster.id,
            instance_types=list(ng["instance_types"]),
            subnets=list(ng["subnets"]),
            min_size=ng["min"],
            desired_size=ng.get("desired", ng["min"]),
            max_size=ng["max"],
            max_unavailable=upd.get("max_unavailable"),
            max_unavailable_percentage=upd.get("max_unavailable_percentage"),
            update_strategy=upd.get("strategy"),
            kubelet_max_pods=ng.get("kubelet_max_pods"),
            ami_type=ng.get("ami_type"),
            capacity_type=ng.get("capacity_type"),
            pods_per_node=ng.get("pods_per_node"),
            self_managed=bool(ng.get("self_managed", False)),
            location=loc(f"nodegroups[{i}]"),
            os=ng.get("os") or ("windows" if str(ng.get("ami_type") or "").upper().startswith("WINDOWS_")
                                else "linux"),
            sgp_pods_per_node=ng.get("sgp_pods_per_node"),
        )
        plan.nodegroups.append(group)
        plan.resource_locations[group.name] = group.location

    _build_fargate_and_pools(doc, plan, cluster, loc)

    for sup in doc.get("suppressions", []):
        plan.suppressions.setdefault(sup["resource"], []).append(
            Suppression(rule_id=sup["id"], reason=sup["reason"], expires=sup.get("expires"), source="spec")
        )
    return plan


def _build_fargate_and_pools(doc: dict, plan: Plan, cluster: Cluster, loc) -> None:
    """``fargate_profiles`` and ``node_pools``. A node pool becomes the NodePool and node class objects it
    stands for, read by the one Kubernetes-objects reader (its instance types need the snapshot)."""
    from podcap.model.plan import FargateProfile
    from podcap.sources.objects.kubernetes import (
        MAX_NODES_ANNOTATION,
        PODS_PER_NODE_ANNOTATION,
        apply_kubernetes_objects,
    )

    for i, fp in enumerate(doc.get("fargate_profiles", [])):
        prof = FargateProfile(name=fp["name"], cluster=cluster.id, subnets=list(fp["subnets"]), pods=fp.get("pods"),
                              location=loc(f"fargate_profiles[{i}]"))
        plan.fargate_profiles.append(prof)
        plan.resource_locations[prof.name] = prof.location
    for i, np_ in enumerate(doc.get("node_pools", [])):
        auto = np_["provisioner"] == "auto-mode"
        reqs = [{"key": r["key"], "operator": r["operator"], "values": [str(v) for v in r.get("values", [])]}
                for r in np_.get("requirements", [])]
        if "instance_types" in np_:
            reqs.append({"key": "node.kubernetes.io/instance-type", "operator": "In",
                         "values": list(np_["instance_types"])})
        annotations = {}
        if "max_nodes" in np_:
            annotations[MAX_NODES_ANNOTATION] = str(np_["max_nodes"])
        if "pods_per_node" in np_:
            annotations[PODS_PER_NODE_ANNOTATION] = str(np_["pods_per_node"])
        if np_.get("zone_balanced"):
            annotations["podcap/zone-balanced"] = "true"
        class_name = f"{np_['name']}-class"
        group = "eks.amazonaws.com" if auto else "karpenter.k8s.aws"
        pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
                "metadata": {"name": np_["name"], "annotations": annotations},
                "spec": {"template": {"spec": {"requirements": reqs, "nodeClassRef": {
                    "group": group, "kind": "NodeClass" if auto else "EC2NodeClass", "name": class_name}}}}}
        if "limits" in np_:
            pool["spec"]["limits"] = dict(np_["limits"])
        ncspec: dict = {"subnetSelectorTerms": [{"id": s} for s in np_["subnets"]]}
        kubelet = {k2: np_[k1] for k1, k2 in (("kubelet_max_pods", "maxPods"), ("pods_per_core", "podsPerCore"))
                   if k1 in np_}
        if auto:
            if "pod_subnets" in np_:
                ncspec["podSubnetSelectorTerms"] = [{"id": s} for s in np_["pod_subnets"]]
            if "ipv4_prefix_size" in np_:
                ncspec["advancedNetworking"] = {"ipv4PrefixSize": np_["ipv4_prefix_size"]}
        else:
            ncspec["amiFamily"] = np_.get("ami_family", "AL2023")
            if kubelet:
                ncspec["kubelet"] = kubelet
            if "reserved_enis" in np_:
                annotations["podcap/reserved-enis"] = str(np_["reserved_enis"])
        node_class = {"apiVersion": f"{group}/v1", "kind": "NodeClass" if auto else "EC2NodeClass",
                      "metadata": {"name": class_name}, "spec": ncspec}
        location = loc(f"node_pools[{i}]")
        apply_kubernetes_objects(plan, [pool, node_class], where=plan.source, location=location, cluster=cluster.id)
        plan.resource_locations[np_["name"]] = location
