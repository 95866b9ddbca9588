"""Existing subnets a Terraform plan reads through data sources (``data.aws_subnet``, ``data.aws_subnets``),
hand-computed and checked through ``podcap check FILE --format json`` (and the plan model where the JSON
report does not show a field).

The plans are written as ``terraform show -json`` (format 1.2) writes them: a data source read while
planning is in ``prior_state.values`` (root module and ``child_modules``; some versions put it in
``planned_values``), with its attributes in ``values``; a data source read only at apply is a
``resource_changes`` entry with action ``read`` and its attributes in ``after_unknown``; the
``configuration`` holds each attribute's expression and its ``references``.

Sources:

* [TF-DS] Terraform AWS provider, data source ``aws_subnet``: ``id``, ``cidr_block``,
  ``availability_zone``, ``availability_zone_id``, ``available_ip_address_count``, ``vpc_id``; data source
  ``aws_subnets``: ``ids``.
* [EC2] Amazon VPC user guide, "Subnet CIDR blocks": the first four addresses and the last one of every
  subnet are reserved, so a /25 (128 addresses) has 123 usable, a /24 251, a /26 59.
  ``AvailableIpAddressCount`` (``available_ip_address_count``) is what is left of those usable addresses,
  so the addresses already in use are usable - available.
* [VPCCNI-LIMITS] amazon-vpc-cni-k8s ``pkg/vpc/vpc_ip_resource_limit.go``: m5.large has 3 ENIs of 10 IPv4
  addresses. Max pods 3 x (10 - 1) + 2 = 29; 27 pods need more than two ENIs' 18 secondary addresses, so
  ipamd (WARM_ENI_TARGET=1) attaches all three: 3 x 10 = 30 subnet addresses per node.
* [NETREQ] EKS user guide network-reqs: the control plane places up to 4 ENIs in the cluster's subnets,
  ceil(4 / number of cluster subnets) in each.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from podcap.sources.terraform import load_terraform_plan

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

AWS = "registry.terraform.io/hashicorp/aws"
VPC = "vpc-0abc0abc0abc0abc0"
SID = "subnet-0a1b2c3d4e5f60001"
SID_A = "subnet-0a1b2c3d4e5f6000a"
SID_B = "subnet-0a1b2c3d4e5f6000b"
SID_LATE = "subnet-0a1b2c3d4e5f600ff"


# --------------------------------------------------------------------------------------------- helpers


def _parts(address: str) -> dict:
    """module_address, mode, type, name and index of an address, as ``terraform show -json`` writes them."""
    m = re.fullmatch(r"((?:module\.[a-z_]+\.)*)(data\.)?([a-z0-9_]+)\.([a-z0-9_]+)(\[.+\])?", address)
    assert m, address
    modules, data, rtype, name, index = m.groups()
    out = {"address": address, "mode": "data" if data else "managed", "type": rtype, "name": name}
    if index:
        out["index"] = json.loads(index[1:-1])
    if modules:
        out["module_address"] = modules.rstrip(".")
    return out


def _state_entry(address: str, values: dict) -> dict:
    parts = _parts(address)
    return {**parts, "provider_name": AWS, "schema_version": 0, "values": values,
            "sensitive_values": {k: {} for k, v in values.items() if isinstance(v, dict)}}


def _module_tree(entries: list[dict]) -> dict:
    """root_module with the entries of child modules under ``child_modules`` (one level, as these tests need)."""
    root: dict = {"resources": [e for e in entries if "module_address" not in e]}
    children: dict[str, list[dict]] = {}
    for e in entries:
        if "module_address" in e:
            children.setdefault(e["module_address"], []).append(e)
    if children:
        root["child_modules"] = [{"resources": rs, "address": mod} for mod, rs in children.items()]
    return root


def plan_doc(*, managed: list[tuple[str, dict, dict]], data: list[tuple[str, dict]],
             deferred: list[tuple[str, dict, dict]] = (), configuration: dict,
             data_in: str = "prior_state") -> dict:
    """``managed``: (address, planned values, after_unknown) of resources being created; ``data``: (address,
    values) of data sources read while planning, in ``prior_state`` (or ``planned_values``); ``deferred``:
    (address, after, after_unknown) of data sources read only at apply."""
    planned, changes = [], []
    for address, values, unknown in managed:
        # planned_values omits what is known only after apply; the change's after_unknown marks it
        planned.append(_state_entry(address, {k: v for k, v in values.items() if unknown.get(k) is not True}))
        changes.append({**_parts(address), "provider_name": AWS, "change": {
            "actions": ["create"], "before": None, "after": copy.deepcopy(values),
            "after_unknown": {"id": True, "arn": True, **unknown}, "before_sensitive": False,
            "after_sensitive": {}}})
    for address, after, unknown in deferred:
        changes.append({**_parts(address), "provider_name": AWS, "action_reason": "read_because_dependency_pending",
                        "change": {"actions": ["read"], "before": None, "after": after, "after_unknown": unknown,
                                   "before_sensitive": False, "after_sensitive": {}}})
    read = [_state_entry(a, v) for a, v in data]
    doc = {"format_version": "1.2", "terraform_version": "1.9.8",
           "planned_values": {"root_module": _module_tree(planned + (read if data_in == "planned_values" else []))},
           "resource_changes": changes,
           "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": AWS}}, **configuration},
           "applyable": True, "complete": True, "errored": False}
    if data_in == "prior_state":
        doc["prior_state"] = {"format_version": "1.0", "terraform_version": "1.9.8",
                              "values": {"root_module": _module_tree(read)}}
    return doc


def data_subnet(sid: str, cidr, az, available, **extra) -> dict:
    """The values [TF-DS] ``data.aws_subnet`` holds once read."""
    return {"id": sid, "arn": f"arn:aws:ec2:us-east-1:111122223333:subnet/{sid}", "cidr_block": cidr,
            "availability_zone": az, "availability_zone_id": "use1-az1", "available_ip_address_count": available,
            "vpc_id": VPC, "owner_id": "111122223333", "map_public_ip_on_launch": False,
            "default_for_az": False, "state": "available", "ipv6_cidr_block": "",
            "filter": None, "tags": {"Name": sid}, "timeouts": None, **extra}


def node_group(name: str, max_size: int, subnet_ids=None) -> dict:
    values = {"cluster_name": "demo", "node_group_name": name, "instance_types": ["m5.large"],
              "ami_type": "AL2023_x86_64_STANDARD", "capacity_type": "ON_DEMAND", "labels": None,
              "launch_template": [], "remote_access": [], "taint": [], "tags": None,
              "scaling_config": [{"min_size": 1, "desired_size": 1, "max_size": max_size}],
              "update_config": [{"max_unavailable": 1, "max_unavailable_percentage": None}]}
    if subnet_ids is not None:
        values["subnet_ids"] = subnet_ids
    return values


def conf(address: str, expressions: dict, **extra) -> dict:
    parts = _parts(address)
    return {"address": address.split("[")[0], "mode": parts["mode"], "type": parts["type"], "name": parts["name"],
            "provider_config_key": "aws", "expressions": expressions, "schema_version": 0, **extra}


def refs(*references: str) -> dict:
    return {"references": list(references)}


NG_CLUSTER = {"cluster_name": {"constant_value": "demo"}, "node_group_name": {"constant_value": "workers"},
              "instance_types": {"constant_value": ["m5.large"]}}


def check(tmp_path: Path, doc: dict, config: str | None = None) -> dict:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, indent=1))
    extra: list[str] = []
    if config is not None:
        (tmp_path / "podcap.yaml").write_text(config)
        extra = ["--config", str(tmp_path / "podcap.yaml")]
    run = cli(["check", str(path), "--format", "json", *extra]).assert_promise()
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def model(tmp_path: Path, doc: dict):
    path = tmp_path / "plan-model.json"
    path.write_text(json.dumps(doc))
    return load_terraform_plan(path)


def findings(report: dict, rule: str, resource: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == rule and (resource is None or f["resource"] == resource)]


def subnet(report: dict, name: str) -> dict:
    (s,) = [s for s in report["subnets"] if s["subnet"] == name]
    return s


def ng(report: dict, name: str) -> dict:
    (g,) = [g for g in report["nodegroups"] if g["name"] == name]
    return g


# ---------------------------------------------------------------------- the example: a /25 already in use


def example_plan(data_in: str = "prior_state", **subnet_values) -> dict:
    values = data_subnet(SID, "10.50.0.0/25", "us-east-1a", 100)
    values.update(subnet_values)
    return plan_doc(
        managed=[("aws_eks_node_group.workers", node_group("workers", 4, [SID]), {})],
        data=[("data.aws_subnet.private", values)],
        data_in=data_in,
        configuration={"root_module": {"resources": [
            conf("aws_eks_node_group.workers", {**NG_CLUSTER, "subnet_ids": refs(
                "data.aws_subnet.private.id", "data.aws_subnet.private"),
                "scaling_config": [{"max_size": {"constant_value": 4}}]}),
            conf("data.aws_subnet.private", {"filter": [{"name": {"constant_value": "tag:Name"},
                                                          "values": {"constant_value": ["private-a"]}}]}),
        ]}})


@pytest.mark.parametrize("data_in", ["prior_state", "planned_values"])
def test_data_subnet_already_in_use_is_exhausted_pc201(tmp_path, data_in):
    r = check(tmp_path, example_plan(data_in))
    g = ng(r, "aws_eks_node_group.workers")
    # [VPCCNI-LIMITS] m5.large: 29 max pods, 30 subnet addresses per node
    assert (g["max_size"], g["max_pods"], g["addresses_per_node"]) == (4, 29, 30)
    s = subnet(r, "data.aws_subnet.private")
    # [EC2] /25 = 128 addresses, 128 - 5 = 123 usable; available_ip_address_count 100 -> 123 - 100 = 23 in use;
    # left for the node group: 123 - 23 = 100. At max: 4 nodes x 30 = 120; 23 + 120 = 143 > 123 -> PC201
    assert (s["cidr"], s["az"], s["usable"], s["at_max"]) == ("10.50.0.0/25", "us-east-1a", 100, 120)
    assert s["nodegroups"] == ["aws_eks_node_group.workers"]
    (f,) = findings(r, "PC201", "data.aws_subnet.private")
    assert f["severity"] == "error"
    assert "23 in use" in f["message"] and "120" in f["message"]
    assert not findings(r, "PC001"), findings(r, "PC001")
    sub = model(tmp_path, example_plan(data_in)).subnets["data.aws_subnet.private"]
    # the field the live reader fills from AvailableIpAddressCount
    assert (sub.used_addresses, sub.aws_id, sub.vpc, sub.defined_in_plan) == (23, SID, VPC, False)


# ------------------------------------------------------- data.aws_subnets ids -> data.aws_subnet values


def ids_plan(how: str) -> dict:
    """``data.aws_subnets.private`` lists two subnets; ``data.aws_subnet.private`` is read for each
    (``for_each = toset(data.aws_subnets.private.ids)``). A cluster over both and a Fargate profile name
    ``data.aws_subnets.private.ids``; the node group names its subnets as ``how`` says:

    * ``ids``: the planned ``subnet_ids`` holds the subnet-… ids (the data sources were read while planning);
    * ``ids_ref``: ``subnet_ids`` is unknown in the plan and its expression is ``data.aws_subnets.private.ids``;
    * ``for``: unknown too, expression ``[for s in data.aws_subnet.private : s.id]``."""
    ids = [SID_A, SID_B]
    known = {"ids": ids, "ids_ref": None, "for": None}[how]
    ng_unknown = {} if known else {"subnet_ids": True}
    ng_expr = {"ids": refs("data.aws_subnets.private.ids", "data.aws_subnets.private"),
               "ids_ref": refs("data.aws_subnets.private.ids", "data.aws_subnets.private"),
               "for": refs("data.aws_subnet.private")}[how]
    cluster = {"name": "demo", "role_arn": "arn:aws:iam::111122223333:role/eks", "version": "1.31",
               "vpc_config": [{"subnet_ids": ids, "endpoint_private_access": True,
                               "endpoint_public_access": False}],
               "kubernetes_network_config": [{"ip_family": "ipv4"}]}
    fargate = {"cluster_name": "demo", "fargate_profile_name": "jobs", "subnet_ids": ids,
               "selector": [{"namespace": "jobs", "labels": None}]}
    return plan_doc(
        managed=[("aws_eks_cluster.this", cluster, {"vpc_config": [{"cluster_security_group_id": True}]}),
                 ("aws_eks_node_group.workers", node_group("workers", 6, known), ng_unknown),
                 ("aws_eks_fargate_profile.jobs", fargate, {})],
        data=[("data.aws_subnets.private", {"id": "us-east-1", "ids": ids, "tags": None, "timeouts": None,
                                            "filter": [{"name": "tag:tier", "values": ["private"]}]}),
              (f'data.aws_subnet.private["{SID_A}"]', data_subnet(SID_A, "10.50.1.0/24", "us-east-1a", 200)),
              (f'data.aws_subnet.private["{SID_B}"]', data_subnet(SID_B, "10.50.2.0/24", "us-east-1b", 251,
                                                                availability_zone_id="use1-az2"))],
        configuration={"root_module": {"resources": [
            conf("aws_eks_cluster.this", {"name": {"constant_value": "demo"}, "vpc_config": [{
                "subnet_ids": refs("data.aws_subnets.private.ids", "data.aws_subnets.private")}]}),
            conf("aws_eks_node_group.workers", {**NG_CLUSTER, "subnet_ids": ng_expr}),
            conf("aws_eks_fargate_profile.jobs", {"cluster_name": refs("aws_eks_cluster.this.name",
                                                                        "aws_eks_cluster.this"),
                                                  "subnet_ids": refs("data.aws_subnets.private.ids",
                                                                     "data.aws_subnets.private")}),
            conf("data.aws_subnets.private", {"filter": [{"name": {"constant_value": "tag:tier"},
                                                           "values": {"constant_value": ["private"]}}]}),
            conf("data.aws_subnet.private", {"id": refs("each.key")},
                 for_each_expression=refs("data.aws_subnets.private.ids", "data.aws_subnets.private")),
        ]}})


@pytest.mark.parametrize("how", ["ids", "ids_ref", "for"])
def test_aws_subnets_ids_resolve_to_the_data_subnets(tmp_path, how):
    a, b = f'data.aws_subnet.private["{SID_A}"]', f'data.aws_subnet.private["{SID_B}"]'
    doc = ids_plan(how)
    plan = model(tmp_path, doc)
    (g,) = plan.nodegroups
    assert g.subnets == [a, b]
    assert plan.clusters["aws_eks_cluster.this"].subnets == [a, b]
    (fp,) = plan.fargate_profiles
    assert fp.subnets == [a, b]
    assert (plan.subnets[a].used_addresses, plan.subnets[b].used_addresses) == (51, 0)
    assert (plan.subnets[a].aws_id, plan.subnets[b].aws_id) == (SID_A, SID_B)
    assert "data.aws_subnets.private" not in plan.subnets  # the list, not a subnet
    r = check(tmp_path, doc, "demand:\n  - {resource: aws_eks_fargate_profile.jobs, pods: 100}\n")
    sa, sb = subnet(r, a), subnet(r, b)
    # A: /24 = 256 - 5 = 251 usable, 200 available -> 51 in use, 251 - 51 = 200 left. B: 251 available, 0 in use.
    assert (sa["cidr"], sa["az"], sa["usable"]) == ("10.50.1.0/24", "us-east-1a", 200)
    assert (sb["cidr"], sb["az"], sb["usable"]) == ("10.50.2.0/24", "us-east-1b", 251)
    # at max: 6 nodes over two AZs = 3 per subnet x 30 = 90; [NETREQ] control plane ceil(4 / 2) = 2 each;
    # Fargate: 100 pods, one address each, over two subnets = 50 each -> 90 + 2 + 50 = 142
    assert (sa["at_max"], sb["at_max"]) == (142, 142)
    assert sa["nodegroups"] == sb["nodegroups"] == ["aws_eks_fargate_profile.jobs", "aws_eks_node_group.workers"]
    assert not findings(r, "PC201")
    assert not [f for f in findings(r, "PC001") if "subnet" in f["message"].lower()], findings(r, "PC001")


def test_two_data_sources_of_one_subnet_are_judged_once(tmp_path):
    """``data.aws_subnet.a`` and ``.b`` read the same subnet: one subnet, holding both node groups' demand."""
    doc = plan_doc(
        managed=[("aws_eks_node_group.one", node_group("one", 2, [SID]), {}),
                 ("aws_eks_node_group.two", node_group("two", 2), {"subnet_ids": True})],
        data=[("data.aws_subnet.a", data_subnet(SID, "10.50.0.0/25", "us-east-1a", 100)),
              ("data.aws_subnet.b", data_subnet(SID, "10.50.0.0/25", "us-east-1a", 100))],
        configuration={"root_module": {"resources": [
            conf("aws_eks_node_group.one", {**NG_CLUSTER, "subnet_ids": refs("data.aws_subnet.a.id",
                                                                             "data.aws_subnet.a")}),
            conf("aws_eks_node_group.two", {**NG_CLUSTER, "subnet_ids": refs("data.aws_subnet.b.id",
                                                                             "data.aws_subnet.b")}),
            conf("data.aws_subnet.a", {"id": {"constant_value": SID}}),
            conf("data.aws_subnet.b", {"id": {"constant_value": SID}}),
        ]}})
    r = check(tmp_path, doc)
    assert [s["subnet"] for s in r["subnets"]] == ["data.aws_subnet.a"]
    s = subnet(r, "data.aws_subnet.a")
    # 123 usable - 23 in use = 100; both groups at max: (2 + 2) x 30 = 120 > 100 -> PC201
    assert (s["usable"], s["at_max"]) == (100, 120)
    assert s["nodegroups"] == ["aws_eks_node_group.one", "aws_eks_node_group.two"]
    assert findings(r, "PC201", "data.aws_subnet.a")
    notes = model(tmp_path, doc).notes
    assert any(who == "data.aws_subnet.b" and "data.aws_subnet.a" in what for who, what in notes), notes


# ------------------------------------------------------------------------- a data source in a child module


def test_data_subnet_in_a_child_module(tmp_path):
    """``module.network`` reads the subnet and outputs its id; one node group lists the id (planned), the
    other's ``subnet_ids`` is unknown and followed through ``module.network.subnet_id``."""
    address = "module.network.data.aws_subnet.this"
    doc = plan_doc(
        managed=[("aws_eks_node_group.listed", node_group("listed", 1, [SID]), {}),
                 ("aws_eks_node_group.followed", node_group("followed", 1), {"subnet_ids": True})],
        data=[(address, data_subnet(SID, "10.50.3.0/26", "us-east-1c", 40))],
        configuration={"root_module": {
            "resources": [
                conf("aws_eks_node_group.listed", {**NG_CLUSTER, "subnet_ids": refs("module.network.subnet_id",
                                                                                    "module.network")}),
                conf("aws_eks_node_group.followed", {**NG_CLUSTER, "subnet_ids": refs("module.network.subnet_id",
                                                                                      "module.network")}),
            ],
            "module_calls": {"network": {"source": "./network", "expressions": {"name": {"constant_value": "a"}},
                                         "module": {
                "outputs": {"subnet_id": {"expression": refs("data.aws_subnet.this.id", "data.aws_subnet.this")}},
                "resources": [conf("data.aws_subnet.this", {"filter": [{"name": {"constant_value": "tag:Name"},
                                                                        "values": refs("var.name")}]})],
                "variables": {"name": {}}}}}}})
    plan = model(tmp_path, doc)
    assert [n.subnets for n in plan.nodegroups] == [[address], [address]]
    assert plan.subnets[address].used_addresses == 19
    r = check(tmp_path, doc)
    s = subnet(r, address)
    # /26 = 64 - 5 = 59 usable; 40 available -> 59 - 40 = 19 in use, 40 left. At max 1 + 1 nodes x 30 = 60 > 40
    assert (s["cidr"], s["az"], s["usable"], s["at_max"]) == ("10.50.3.0/26", "us-east-1c", 40, 60)
    assert findings(r, "PC201", address)
    assert not findings(r, "PC001"), findings(r, "PC001")


# ------------------------------------------------------------- a data source read only at apply: unknown


def test_data_subnet_read_at_apply_stays_unknown(tmp_path):
    """``data.aws_subnet.late`` depends on a change still pending: Terraform reads it at apply (a ``read``
    change, every attribute in after_unknown). prior_state still holds what it read last time, a /16 that
    would fit anything: podcap must not take that stale value. ``data.aws_subnet.early`` is read now."""
    late_unknown = {k: True for k in ("id", "arn", "cidr_block", "availability_zone", "availability_zone_id",
                                      "available_ip_address_count", "vpc_id", "tags")}
    stale = data_subnet(SID_LATE, "10.60.0.0/16", "us-east-1b", 65000)
    doc = plan_doc(
        managed=[("aws_eks_node_group.late", node_group("late", 4), {"subnet_ids": True}),
                 ("aws_eks_node_group.workers", node_group("workers", 4, [SID]), {})],
        data=[("data.aws_subnet.early", data_subnet(SID, "10.50.0.0/25", "us-east-1a", 100)),
              ("data.aws_subnet.late", stale)],
        deferred=[("data.aws_subnet.late", {"filter": [{"name": "tag:Name", "values": ["late"]}], "timeouts": None},
                   late_unknown)],
        configuration={"root_module": {"resources": [
            conf("aws_eks_node_group.late", {**NG_CLUSTER, "subnet_ids": refs("data.aws_subnet.late.id",
                                                                              "data.aws_subnet.late")}),
            conf("aws_eks_node_group.workers", {**NG_CLUSTER, "subnet_ids": refs("data.aws_subnet.early.id",
                                                                                 "data.aws_subnet.early")}),
            conf("data.aws_subnet.early", {"id": {"constant_value": SID}}),
            conf("data.aws_subnet.late", {"filter": [{"name": {"constant_value": "tag:Name"},
                                                       "values": {"constant_value": ["late"]}}]},
                 depends_on=["aws_eks_node_group.workers"]),
        ]}})
    r = check(tmp_path, doc)
    late = findings(r, "PC001", "aws_eks_node_group.late")
    assert late and all("data source data.aws_subnet.late" in f["message"] and "--live" in f["message"]
                        for f in late), late
    assert "data.aws_subnet.late" not in [s["subnet"] for s in r["subnets"]]
    assert all(s["cidr"] != "10.60.0.0/16" for s in r["subnets"])
    # the one read now is judged: 123 usable - 23 in use = 100 < 4 x 30 = 120
    s = subnet(r, "data.aws_subnet.early")
    assert (s["usable"], s["at_max"]) == (100, 120)
    assert [f["resource"] for f in findings(r, "PC201")] == ["data.aws_subnet.early"]


# ---------------------------------------------------------------------- malformed values: PC001, no crash


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("cidr_block", "garbage", "cidr_block of data source data.aws_subnet.private is not an IPv4 CIDR: 'garbage'"),
    ("cidr_block", "10.50.0.1/25", "is not an IPv4 CIDR: '10.50.0.1/25'"),  # host bits set
    ("cidr_block", "10.50.0.0/33", "is not an IPv4 CIDR: '10.50.0.0/33'"),
    ("cidr_block", ["10.50.0.0/25"], "is not an IPv4 CIDR: ['10.50.0.0/25']"),
    ("cidr_block", "1" * 5000, "is not an IPv4 CIDR: '1111"),
    ("cidr_block", None, "data source data.aws_subnet.private has no cidr_block"),
])
def test_malformed_cidr_block_is_pc001(tmp_path, field, value, reason):
    r = check(tmp_path, example_plan(**{field: value}))
    msgs = [f["message"] for f in findings(r, "PC001")]
    assert any(reason in m for m in msgs), msgs
    assert not findings(r, "PC201")  # the size is unknown: no verdict on it, and no crash
    s = subnet(r, "data.aws_subnet.private")
    assert (s["cidr"], s["usable"]) == (None, None)


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("availability_zone", 42, "availability_zone of data source data.aws_subnet.private is not an AZ: 42"),
    ("availability_zone", "us east 1a!", "is not an AZ: 'us east 1a!'"),
    ("available_ip_address_count", -1, ("available_ip_address_count of data source data.aws_subnet.private "
                                        "is not a count: -1")),
    ("available_ip_address_count", "100", "is not a count: '100'"),
    ("available_ip_address_count", True, "is not a count: True"),
    ("available_ip_address_count", 10 ** 30, "is not a count: 1000000000000000000000000000000"),
    ("available_ip_address_count", 1000, "is 1000, more than the 123 usable addresses of 10.50.0.0/25"),
    ("available_ip_address_count", None, "has no available_ip_address_count"),
])
def test_malformed_az_or_count_is_pc001(tmp_path, field, value, reason):
    r = check(tmp_path, example_plan(**{field: value}))
    msgs = [f["message"] for f in findings(r, "PC001")]
    assert any(reason in m for m in msgs), msgs
    if field == "available_ip_address_count":
        # what is in use is unknown (PC001 says so); the CIDR itself is known: 123 usable, 120 needed
        s = subnet(r, "data.aws_subnet.private")
        assert (s["cidr"], s["usable"], s["at_max"]) == ("10.50.0.0/25", 123, 120)
