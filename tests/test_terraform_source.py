"""The Terraform plan source (`terraform show -json` -> Plan)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from podcap.model.unknown import Unknown
from podcap.sources.safe_yaml import InputError
from podcap.sources.terraform import (
    AFTER_APPLY,
    EXISTING_SUBNET,
    _parse_address,
    _specific_references,
    is_terraform_plan,
    load_terraform_plan,
    plan_from_terraform,
)

DATA = Path(__file__).parent / "data" / "tfplan"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "tfplan"

needs_shared = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures folder is not present")


def load(name: str):
    return load_terraform_plan(DATA / name)


def unknown_reason(v) -> str:
    assert isinstance(v, Unknown), v
    return v.reason


def ng(plan, name):
    found = [n for n in plan.nodegroups if n.name == name]
    assert found, f"no node group {name}: {[n.name for n in plan.nodegroups]}"
    return found[0]


# -- a minimal plan builder for inline cases ----------------------------------------------------------


def change(address, after, unknown=None, actions=("create",)):
    addr = address.split(".")
    mode = "data" if "data" in addr[:-2] and addr[-3] == "data" else "managed"
    return {"address": address, "mode": mode, "type": addr[-2].split("[")[0], "name": addr[-1].split("[")[0],
            "change": {"actions": list(actions), "before": None, "after": after, "after_unknown": unknown or {}}}


def doc(changes, configuration=None, variables=None):
    d = {"format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": changes}
    if configuration is not None:
        d["configuration"] = configuration
    if variables is not None:
        d["variables"] = {k: {"value": v} for k, v in variables.items()}
    return d


def subnet_change(address, cidr, az):
    return change(address, {"cidr_block": cidr, "availability_zone": az}, {"id": True, "vpc_id": True})


def ng_change(address="aws_eks_node_group.ng"):
    return change(address, {"instance_types": ["m5.large"],
                            "scaling_config": [{"min_size": 1, "desired_size": 1, "max_size": 2}]},
                  {"subnet_ids": True, "id": True})


# -- detection -------------------------------------------------------------------------------------------


def test_is_terraform_plan():
    assert is_terraform_plan({"format_version": "1.2", "planned_values": {}})
    assert is_terraform_plan({"format_version": "0.1", "terraform_version": "0.12.23"})
    assert is_terraform_plan({"format_version": "1.0", "resource_changes": []})
    assert not is_terraform_plan({"planned_values": {}})
    assert not is_terraform_plan({"format_version": "1.0"})
    assert not is_terraform_plan({"Resources": {}})
    assert not is_terraform_plan([])  # type: ignore[arg-type]


def test_check_pipeline_detects_and_loads_the_plans():
    from podcap.check import CheckOptions, detect_kind, load_plan

    for path in sorted(DATA.glob("*.json")):
        assert detect_kind(str(path)) == "terraform-plan"
        plan = load_plan(str(path), CheckOptions(paths=[str(path)]))
        assert plan.kind == "terraform-plan" and plan.source == str(path)


# -- root module: VPC, 3 count subnets, cluster, node group resolved through references --------------------


def test_root_module_count_subnets_resolved_through_references():
    plan = load("root-count.json")
    assert plan.kind == "terraform-plan"
    assert plan.vpcs["aws_vpc.main"].cidrs == ["10.0.0.0/16", "100.64.0.0/16"]  # primary, then the association
    private = [f"aws_subnet.private[{i}]" for i in range(3)]
    for i, sid in enumerate(private):
        s = plan.subnets[sid]
        assert s.cidr == f"10.0.{i * 16}.0/20"
        assert s.az == ["us-east-1a", "us-east-1b", "us-east-1c"][i]
        assert s.vpc == "aws_vpc.main"  # vpc_id unknown at plan time, followed to the aws_vpc
        assert s.defined_in_plan
    cluster = plan.clusters["aws_eks_cluster.this"]
    assert cluster.name == "demo"
    assert cluster.subnets == private  # `aws_subnet.private[*].id`: every planned instance
    g = ng(plan, "aws_eks_node_group.default")
    assert g.subnets == private  # after_unknown, resolved through configuration references
    assert g.cluster == "aws_eks_cluster.this"
    assert g.instance_types == ["m5.large"]
    assert (g.min_size, g.desired_size, g.max_size) == (2, 3, 6)
    assert g.max_unavailable == 1 and g.max_unavailable_percentage is None
    assert g.ami_type == "AL2023_x86_64_STANDARD"
    assert g.capacity_type is None  # computed default, not set in the configuration
    assert g.kubelet_max_pods is None and not g.self_managed


def test_locations_are_terraform_addresses():
    plan = load("root-count.json")
    source = str(DATA / "root-count.json")
    s = plan.subnets["aws_subnet.private[1]"]
    assert (s.location.file, s.location.path) == (source, "aws_subnet.private[1]")
    assert ng(plan, "aws_eks_node_group.default").location.path == "aws_eks_node_group.default"
    assert plan.clusters["aws_eks_cluster.this"].location.path == "aws_eks_cluster.this"
    for address in ("aws_vpc.main", "aws_subnet.private[0]", "aws_eks_cluster.this", "aws_eks_addon.vpc_cni",
                    "aws_iam_role.node"):
        assert plan.resource_locations[address].path == address
        assert plan.resource_locations[address].file == source


def test_delete_is_skipped_and_replacement_kept():
    plan = load("root-count.json")
    assert "aws_subnet.legacy" not in plan.subnets  # actions ["delete"]
    assert "aws_subnet.legacy" not in plan.resource_locations
    assert plan.subnets["aws_subnet.replaced"].cidr == "10.0.100.0/24"  # ["delete", "create"]


def test_subnet_cidr_reservation():
    plan = load("root-count.json")
    (r,) = plan.subnets["aws_subnet.private[0]"].reservations
    assert (r.cidr, r.type) == ("10.0.0.0/24", "prefix")
    assert plan.subnets["aws_subnet.private[1]"].reservations == []


def test_vpc_cni_addon_configuration_values():
    plan = load("root-count.json")
    cluster = plan.clusters["aws_eks_cluster.this"]
    assert cluster.cni_env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1",
                               "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}
    assert cluster.eni_configs == {"us-east-1a": "subnet-0a1b2c3d4e5f60001", "us-east-1b": "subnet-0a1b2c3d4e5f60002"}
    pod = plan.subnets["subnet-0a1b2c3d4e5f60001"]  # an existing subnet the plan does not create
    assert not pod.defined_in_plan and pod.aws_id == "subnet-0a1b2c3d4e5f60001"
    assert isinstance(pod.cidr, Unknown) and pod.cidr.reason == EXISTING_SUBNET
    assert isinstance(pod.az, Unknown)


# -- child modules -------------------------------------------------------------------------------------------


def test_child_module_through_module_output_and_variables():
    plan = load("child-modules.json")
    private = [f"module.vpc.aws_subnet.private[{i}]" for i in range(3)]
    assert set(private) <= set(plan.subnets)
    assert plan.subnets[private[2]].cidr == "10.1.64.0/19"
    assert plan.vpcs["module.vpc.aws_vpc.this[0]"].cidrs == ["10.0.0.0/16"]
    cluster = plan.clusters["module.eks.aws_eks_cluster.this"]
    assert cluster.name == "prod"
    # var.subnet_ids -> module call "eks" -> module.vpc.private_subnets -> aws_subnet.private (all instances)
    assert cluster.subnets == private
    g = ng(plan, 'module.eks.module.workers.aws_eks_node_group.this["general"]')
    # two levels of module variables: workers.var.subnet_ids -> eks.var.subnet_ids -> module.vpc output
    assert g.subnets == private
    # var.cluster_name -> aws_eks_cluster.this.name in the parent module
    assert g.cluster == "module.eks.aws_eks_cluster.this"
    assert plan.cluster_for(g) is cluster


def test_unresolvable_vpc_id_stays_unknown_with_its_reason():
    plan = load("child-modules.json")
    vpc = plan.subnets["module.vpc.aws_subnet.private[0]"].vpc
    assert isinstance(vpc, Unknown)
    assert "local.vpc_id" in vpc.reason and AFTER_APPLY in vpc.reason
    assert vpc.where == "module.vpc.aws_subnet.private[0].vpc_id"


# -- for_each, partly known lists, self-managed nodes -----------------------------------------------------------


def test_for_each_subnets():
    plan = load("for-each.json")
    ids = ['aws_subnet.this["us-west-2a"]', 'aws_subnet.this["us-west-2b"]']
    assert plan.subnets[ids[0]].az == "us-west-2a" and plan.subnets[ids[1]].cidr == "10.0.32.0/19"
    assert plan.subnets[ids[1]].vpc == "aws_vpc.main"
    assert plan.clusters["aws_eks_cluster.this"].subnets == ids
    assert ng(plan, "aws_eks_node_group.spread").subnets == ids


def test_partly_known_subnet_list_keeps_literals_and_resolves_the_rest():
    plan = load("for-each.json")
    g = ng(plan, "aws_eks_node_group.mixed")
    assert g.subnets == ["subnet-0123456789abcdef0", 'aws_subnet.this["us-west-2a"]']
    existing = plan.subnets["subnet-0123456789abcdef0"]
    assert not existing.defined_in_plan and existing.aws_id == "subnet-0123456789abcdef0"
    assert existing.cidr == Unknown(EXISTING_SUBNET, "aws_eks_node_group.mixed.subnet_ids")


def test_self_managed_autoscaling_group():
    plan = load("for-each.json")
    g = ng(plan, "aws_autoscaling_group.workers")
    assert g.self_managed
    assert g.instance_types == ["m5.large", "m5a.large"]  # mixed instances overrides
    assert g.subnets == ['aws_subnet.this["us-west-2a"]', 'aws_subnet.this["us-west-2b"]']
    assert (g.min_size, g.desired_size, g.max_size) == (1, 1, 10)  # no desired_capacity: starts at min
    assert g.kubelet_max_pods == 29  # --max-pods in --kubelet-extra-args of bootstrap.sh
    assert g.cluster == "aws_eks_cluster.this"  # bootstrap.sh <cluster name>
    # an ASG whose user data shows no EKS bootstrap is not a node group
    assert all(n.name != "aws_autoscaling_group.web" for n in plan.nodegroups)


# -- what the plan does not know --------------------------------------------------------------------------------


def test_node_group_from_a_data_source_is_unknown():
    plan = load("existing-subnets.json")
    s = ng(plan, "aws_eks_node_group.from_data").subnets
    assert s == Unknown("existing subnets (data source data.aws_subnets.private): enable live AWS lookup with --live",
                        "aws_eks_node_group.from_data.subnet_ids")


def test_locals_and_per_instance_indexes_are_unknown():
    plan = load("existing-subnets.json")
    local = ng(plan, "aws_eks_node_group.from_local").subnets
    assert isinstance(local, Unknown) and "local.private_subnet_ids" in local.reason
    per = ng(plan, "aws_eks_node_group.per_instance[0]").subnets
    assert isinstance(per, Unknown) and "count.index" in per.reason


def test_literal_subnet_ids_become_existing_subnets():
    plan = load("existing-subnets.json")
    cluster = plan.clusters["aws_eks_cluster.this"]
    assert cluster.subnets == ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"]
    for sid in cluster.subnets:
        s = plan.subnets[sid]
        assert not s.defined_in_plan and s.aws_id == sid
        assert isinstance(s.cidr, Unknown) and s.cidr.reason == EXISTING_SUBNET
        assert isinstance(s.az, Unknown) and s.az.reason == EXISTING_SUBNET
    g = ng(plan, "aws_eks_node_group.known")
    assert g.subnets == ["subnet-0aaa1111bbbb2222c"]
    assert g.cluster == "aws_eks_cluster.this"  # matched by the cluster's name
    assert g.instance_types == ["t3.medium"]  # null instance_types, no launch template: the EKS default
    assert ("aws_eks_node_group.known", "no instance types and no launch template: EKS uses t3.medium") in plan.notes


def test_known_data_source_value_and_unknown_addon_configuration():
    plan = load("existing-subnets.json")
    assert plan.subnets["aws_subnet.pods"].vpc == "vpc-0abc0abc0abc0abc0"  # data.aws_vpc read at plan time
    env = plan.clusters["aws_eks_cluster.this"].cni_env
    assert isinstance(env, Unknown) and AFTER_APPLY in env.reason
    assert env.where == "aws_eks_addon.vpc_cni.configuration_values"
    assert "data.aws_subnets.private" not in plan.subnets and "data.aws_vpc.shared" not in plan.resource_locations


# -- launch templates ------------------------------------------------------------------------------------------


def test_launch_template_user_data_max_pods():
    plan = load("launch-templates.json")
    al2 = ng(plan, "aws_eks_node_group.al2")
    assert al2.instance_types == ["m5.xlarge"]  # from the launch template (referenced by its unknown id)
    assert al2.kubelet_max_pods == 58  # bootstrap.sh --max-pods=58, base64 user data
    al2023 = ng(plan, "aws_eks_node_group.al2023")
    assert al2023.instance_types == ["c6i.large", "c6a.large"]
    assert al2023.kubelet_max_pods == 110  # nodeadm NodeConfig maxPods, MIME multipart (found by name)


def test_launch_template_unknowns():
    plan = load("launch-templates.json")
    opaque = ng(plan, "aws_eks_node_group.opaque")
    assert opaque.instance_types == ["c5.large"]
    assert isinstance(opaque.kubelet_max_pods, Unknown)
    assert opaque.kubelet_max_pods.where == "aws_launch_template.opaque.user_data"
    ext = ng(plan, "aws_eks_node_group.external")
    assert isinstance(ext.instance_types, Unknown) and "lt-0123456789abcdef0" in ext.instance_types.reason
    assert isinstance(ext.kubelet_max_pods, Unknown)


# -- an update of existing infrastructure ----------------------------------------------------------------------


def test_known_aws_ids_map_to_plan_addresses():
    plan = load("update-in-place.json")
    assert plan.subnets["aws_subnet.private[0]"].aws_id == "subnet-00000000000000000"
    assert plan.subnets["aws_subnet.private[1]"].vpc == "aws_vpc.main"  # vpc-… id of a planned VPC
    cluster = plan.clusters["aws_eks_cluster.this"]
    assert cluster.subnets == ["aws_subnet.private[0]", "aws_subnet.private[1]"]
    assert cluster.ip_family == "ipv6"
    g = ng(plan, "aws_eks_node_group.main")
    assert g.subnets == ["aws_subnet.private[1]", "aws_subnet.private[0]"]
    assert g.capacity_type == "SPOT" and g.max_unavailable_percentage == 33 and g.max_unavailable is None
    assert (g.min_size, g.desired_size, g.max_size) == (1, 4, 12)
    assert all(s.defined_in_plan for s in plan.subnets.values())


# -- reference resolution, inline ------------------------------------------------------------------------------


def test_specific_references_and_addresses():
    assert _specific_references(["aws_subnet.a[0].id", "aws_subnet.a[0]", "aws_subnet.a", "aws_subnet.a[1].id",
                                 "aws_subnet.a[1]", "aws_subnet.a"]) == ["aws_subnet.a[0].id", "aws_subnet.a[1].id"]
    assert _specific_references(["aws_subnet.a"]) == ["aws_subnet.a"]
    assert _specific_references(["module.vpc.ids", "module.vpc", "local.x"]) == ["module.vpc.ids", "local.x"]
    a = _parse_address('module.x["a.b"].module.y[2].aws_subnet.s["us-east-1a"]')
    assert a is not None
    assert a.ctx == (("x", "a.b"), ("y", 2)) and (a.type, a.name, a.key) == ("aws_subnet", "s", "us-east-1a")
    assert _parse_address("data.aws_subnets.x").mode == "data"
    assert _parse_address("aws_subnet") is None and _parse_address("aws_subnet.a[") is None


def _ng_conf(refs, extra_resources=(), module_calls=None):
    root = {"resources": [{"address": "aws_eks_node_group.ng", "mode": "managed", "type": "aws_eks_node_group",
                           "name": "ng", "expressions": {"subnet_ids": {"references": refs}}}, *extra_resources]}
    if module_calls:
        root["module_calls"] = module_calls
    return {"root_module": root}


def test_module_output_element_and_root_variables():
    vpc_module = {"vpc": {"source": "./vpc", "module": {
        "outputs": {"ids": {"expression": {"references": ["aws_subnet.s"]}}},
        "resources": [{"address": "aws_subnet.s", "mode": "managed", "type": "aws_subnet", "name": "s",
                       "expressions": {}}]}}}
    changes = [subnet_change(f"module.vpc.aws_subnet.s[{i}]", f"10.0.{i}.0/24", "eu-west-1a") for i in range(3)]
    plan = plan_from_terraform(doc(changes + [ng_change()], _ng_conf(
        ["module.vpc.ids[1]", "module.vpc.ids", "module.vpc", "var.extra"], module_calls=vpc_module),
        variables={"extra": ["subnet-0feedfeedfeedfeed"]}), "inline")
    assert plan.nodegroups[0].subnets == ["module.vpc.aws_subnet.s[1]", "subnet-0feedfeedfeedfeed"]


def test_references_that_cannot_be_followed():
    cases = {
        "aws_subnet.gone[0].id": "is not in the plan",
        "var.nothing": "no known value",
        "module.nowhere.ids": "not in the plan's configuration",
        "each.value": "chosen per instance",
    }
    for ref, why in cases.items():
        plan = plan_from_terraform(doc([ng_change()], _ng_conf([ref])), "inline")
        s = plan.nodegroups[0].subnets
        assert isinstance(s, Unknown) and why in s.reason, (ref, s)
        assert s.where == "aws_eks_node_group.ng.subnet_ids"


def test_more_references_than_list_slots_is_unknown():
    changes = [subnet_change(f"aws_subnet.s[{i}]", f"10.0.{i}.0/24", "eu-west-1a") for i in range(3)]
    g = ng_change()
    g["change"]["after"]["subnet_ids"] = [None]
    g["change"]["after_unknown"]["subnet_ids"] = [True]  # a one-element list: `slice()` or `[…][0]` of the splat
    plan = plan_from_terraform(doc(changes + [g], _ng_conf(["aws_subnet.s"])), "inline")
    s = plan.nodegroups[0].subnets
    assert isinstance(s, Unknown) and "podcap cannot tell which" in s.reason


def test_attribute_reference_cycle_is_unknown_not_a_crash():
    a = change("aws_eks_cluster.a", {"name": "a"}, {"vpc_config": [{"subnet_ids": True}]})
    b = change("aws_eks_cluster.b", {"name": "b"}, {"vpc_config": [{"subnet_ids": True}]})

    def conf(name, other):
        return {"address": f"aws_eks_cluster.{name}", "mode": "managed", "type": "aws_eks_cluster", "name": name,
                "expressions": {"vpc_config": [{"subnet_ids": {"references": [
                    f"aws_eks_cluster.{other}.vpc_config[0].subnet_ids", f"aws_eks_cluster.{other}"]}}]}}
    plan = plan_from_terraform(doc([a, b], {"root_module": {"resources": [conf("a", "b"), conf("b", "a")]}}), "in")
    assert isinstance(plan.clusters["aws_eks_cluster.a"].subnets, Unknown)


def test_other_resources_attributes_are_followed():
    # node group subnet_ids = aws_eks_cluster.c.vpc_config[0].subnet_ids, itself = aws_subnet.s[*].id
    changes = [subnet_change(f"aws_subnet.s[{i}]", f"10.0.{i}.0/24", "eu-west-1a") for i in range(2)]
    changes.append(change("aws_eks_cluster.c", {"name": "c"}, {"vpc_config": [{"subnet_ids": True}]}))
    cluster_conf = {"address": "aws_eks_cluster.c", "mode": "managed", "type": "aws_eks_cluster", "name": "c",
                    "expressions": {"vpc_config": [{"subnet_ids": {"references": ["aws_subnet.s"]}}]}}
    plan = plan_from_terraform(doc(changes + [ng_change()], _ng_conf(
        ["aws_eks_cluster.c.vpc_config[0].subnet_ids", "aws_eks_cluster.c.vpc_config[0]",
         "aws_eks_cluster.c.vpc_config", "aws_eks_cluster.c"], [cluster_conf])), "inline")
    assert plan.nodegroups[0].subnets == ["aws_subnet.s[0]", "aws_subnet.s[1]"]


def test_after_unknown_leaves_become_unknown_with_where():
    g = ng_change()
    g["change"]["after"]["scaling_config"] = [{"min_size": 1, "desired_size": None, "max_size": 4}]
    g["change"]["after_unknown"]["scaling_config"] = [{"desired_size": True}]
    g["change"]["after_unknown"]["instance_types"] = True
    del g["change"]["after"]["instance_types"]
    plan = plan_from_terraform(doc([g]), "inline")
    n = plan.nodegroups[0]
    assert n.min_size == 1 and n.max_size == 4
    assert n.desired_size == Unknown(AFTER_APPLY, "aws_eks_node_group.ng.scaling_config[0].desired_size")
    assert isinstance(n.instance_types, Unknown)  # unknown instance_types stay unknown
    assert isinstance(n.subnets, Unknown)  # no configuration section to follow


def test_state_json_values_are_read():
    state = {"format_version": "1.0", "terraform_version": "1.11.4", "values": {"root_module": {"resources": [
        {"address": "aws_subnet.a", "mode": "managed", "type": "aws_subnet", "name": "a",
         "values": {"id": "subnet-0123456789abcdef0", "cidr_block": "10.0.0.0/24", "availability_zone": "us-east-1a"}}]}}}
    plan = plan_from_terraform(state, "state.json")
    assert plan.subnets["aws_subnet.a"].aws_id == "subnet-0123456789abcdef0"


# -- robustness ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, message", [
    ([], "not a Terraform plan"),
    ("text", "not a Terraform plan"),
    ({"Resources": {}}, "not a Terraform plan"),
    ({"format_version": 1, "terraform_version": "1.0"}, "format_version 1 is not a version"),
    ({"format_version": "2.0", "planned_values": {}}, "not supported"),
    ({"format_version": "1.2", "planned_values": []}, "at planned_values: expected an object, got an array"),
    ({"format_version": "1.2", "planned_values": {"root_module": {"resources": {}}}},
     "at planned_values.root_module.resources: expected an array"),
    ({"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"address": 3}]}}},
     "without an \"address\""),
    ({"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"address": "aws_subnet"}]}}},
     "is not a Terraform resource address"),
    ({"format_version": "1.2", "planned_values": {"root_module": {"child_modules": [{"resources": [
        {"address": "aws_subnet.a", "values": [1]}]}]}}},
     "at planned_values.root_module.child_modules[0].resources[0].values: expected an object"),
    ({"format_version": "1.2", "resource_changes": {}}, "at resource_changes: expected an array"),
    ({"format_version": "1.2", "resource_changes": [{"address": "aws_subnet.a"}]},
     "at resource_changes[0].change: expected an object, got a null"),
    ({"format_version": "1.2", "resource_changes": [{"address": "aws_subnet.a", "change": {"actions": "create"}}]},
     "actions: expected an array of action names"),
    ({"format_version": "1.2", "resource_changes": [
        {"address": "aws_subnet.a", "change": {"actions": ["create"], "after": "x"}}]}, "change.after"),
    ({"format_version": "1.2", "terraform_version": "1", "configuration": []}, "at configuration"),
    ({"format_version": "1.2", "terraform_version": "1", "configuration": {"root_module": {"module_calls": {"a": 1}}}},
     "at configuration.root_module.module_calls.a: expected an object"),
])
def test_malformed_plans_raise_one_line_input_errors(bad, message):
    with pytest.raises(InputError) as e:
        plan_from_terraform(bad, "plan.json")
    text = str(e.value)
    assert message in text and text.startswith("plan.json") and "\n" not in text


def test_wrong_value_types_become_unknowns():
    changes = [change("aws_subnet.a", {"cidr_block": 5, "availability_zone": ["x"]}),
               change("aws_eks_node_group.ng", {"subnet_ids": [1], "instance_types": "m5.large",
                                                "scaling_config": [{"min_size": "two", "desired_size": True,
                                                                    "max_size": 3.0}]})]
    plan = plan_from_terraform(doc(changes), "inline")
    s = plan.subnets["aws_subnet.a"]
    assert isinstance(s.cidr, Unknown) and isinstance(s.az, Unknown)
    n = plan.nodegroups[0]
    assert isinstance(n.subnets, Unknown) and isinstance(n.instance_types, Unknown)
    assert isinstance(n.min_size, Unknown) and isinstance(n.desired_size, Unknown) and n.max_size == 3


def test_bad_files(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text('{"format_version": "1.2",\n "planned_values": {\n')
    with pytest.raises(InputError, match=r"plan\.json:\d+:\d+: truncated JSON"):
        load_terraform_plan(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_terraform_plan(tmp_path / "missing.json")
    cfn = tmp_path / "template.json"
    cfn.write_text('{"Resources": {}}')
    with pytest.raises(InputError, match="not a Terraform plan"):
        load_terraform_plan(cfn)


def test_deep_nesting_is_an_input_error():
    deep: dict = {"resources": []}
    for _ in range(150):
        deep = {"child_modules": [deep]}
    with pytest.raises(InputError, match="nested"):
        plan_from_terraform({"format_version": "1.2", "planned_values": {"root_module": deep}}, "deep.json")


# -- the real plans of the shared fixtures ---------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("path", sorted(str(p) for p in FIXTURES.glob("*/*.json")) if FIXTURES.is_dir() else [])
def test_every_shared_plan_loads(path):
    plan = load_terraform_plan(path)
    assert plan.kind == "terraform-plan"
    for s in plan.subnets.values():
        assert isinstance(s.cidr, (str, Unknown)) and isinstance(s.az, (str, Unknown))


@needs_shared
def test_terragoat():
    plan = load_terraform_plan(FIXTURES / "checkov-terragoat" / "tfplan.json")
    assert plan.vpcs.keys() == {"aws_vpc.eks_vpc", "aws_vpc.web_vpc"}
    assert plan.vpcs["aws_vpc.eks_vpc"].cidrs == ["10.10.0.0/16"]
    assert plan.vpcs["aws_vpc.web_vpc"].cidrs == ["172.16.0.0/16"]
    expected = {
        "aws_subnet.eks_subnet1": ("10.10.10.0/24", "us-west-2a", "aws_vpc.eks_vpc"),
        "aws_subnet.eks_subnet2": ("10.10.11.0/24", "us-west-2b", "aws_vpc.eks_vpc"),
        "aws_subnet.web_subnet": ("172.16.10.0/24", "us-west-2a", "aws_vpc.web_vpc"),
        "aws_subnet.web_subnet2": ("172.16.11.0/24", "us-west-2b", "aws_vpc.web_vpc"),
    }
    assert {k: (s.cidr, s.az, s.vpc) for k, s in plan.subnets.items()} == expected
    assert all(s.network().prefixlen == 24 for s in plan.subnets.values())
    (cluster,) = plan.clusters.values()
    assert cluster.id == "aws_eks_cluster.eks_cluster"
    assert cluster.name == "123456789123-acme-corp-eks"
    # Terraform 0.12 references name whole resources: ["aws_subnet.eks_subnet1", "aws_subnet.eks_subnet2"]
    assert cluster.subnets == ["aws_subnet.eks_subnet1", "aws_subnet.eks_subnet2"]
    assert plan.nodegroups == []
    assert len(plan.resource_locations) == 55  # every managed resource (the data sources are not)


@needs_shared
def test_nested_child_modules():
    plan = load_terraform_plan(FIXTURES / "checkov-nested-child-modules" / "tfplan.json")
    assert set(plan.clusters) == {f"module.child_0.module.child_1_{x}.aws_eks_cluster.cluster" for x in "abc"}
    for c in plan.clusters.values():
        assert c.name == "test" and c.subnets == ["10.165.77.0/24"]
        assert c.location.path == c.id
    odd = plan.subnets["10.165.77.0/24"]  # not a subnet id: an existing-subnet placeholder, unknown
    assert not odd.defined_in_plan and odd.aws_id is None and isinstance(odd.cidr, Unknown)


@needs_shared
def test_data_resources_are_not_created():
    plan = load_terraform_plan(FIXTURES / "checkov-data-resource-partial-values" / "tfplan.json")
    assert set(plan.clusters) == {"module.child.module.a.aws_eks_cluster.cluster"}
    plan = load_terraform_plan(FIXTURES / "checkov-root-module-resources-no-values" / "tfplan.json")
    assert set(plan.clusters) == {"aws_eks_cluster.cluster"}


@needs_shared
def test_unconfigured_node_group_instance_types_are_the_eks_default():
    plan = load_terraform_plan(FIXTURES / "checkov-unexpected" / "eks_node_group_remote_access.json")
    (g,) = plan.nodegroups
    assert g.name == "aws_eks_node_group.test"
    # instance_types is after_unknown (computed by the provider) and neither the configuration nor a launch
    # template sets it, so EKS picks its documented default for the (default, x86_64) AMI type
    assert g.instance_types == ["t3.medium"]
    assert ("aws_eks_node_group.test", "no instance types and no launch template: EKS uses t3.medium") in plan.notes
    assert g.subnets == ["subnet-ids"] and g.cluster == "test"
    assert (g.min_size, g.desired_size, g.max_size) == (1, 1, 1)
    assert g.ami_type is None and g.capacity_type is None  # computed defaults, not configured
    assert g.custom_ami is False and g.ordered_after_cni is None  # no launch template, no vpc-cni add-on


# -- size ----------------------------------------------------------------------------------------------------------


def _big_plan(n_subnets: int, n_groups: int) -> dict:
    tags = {f"tag{i}": "x" * 40 for i in range(40)}
    changes, planned = [], []
    for i in range(n_subnets):
        after = {"availability_zone": f"us-east-1{'abc'[i % 3]}", "cidr_block": f"10.{i // 256}.{i % 256}.0/24",
                 "ipv6_cidr_block": None, "map_public_ip_on_launch": False, "tags": tags, "tags_all": tags}
        rc = change(f"aws_subnet.s[{i}]", after, {"id": True, "arn": True, "vpc_id": True, "tags_all": {}})
        changes.append(rc)
        planned.append({k: rc[k] for k in ("address", "mode", "type", "name")} | {"index": i, "values": after})
    changes.append(change("aws_vpc.main", {"cidr_block": "10.0.0.0/8"}, {"id": True}))
    changes.append(change("aws_eks_cluster.c", {"name": "big"}, {"vpc_config": [{"subnet_ids": True}]}))
    for j in range(n_groups):
        changes.append(ng_change(f"aws_eks_node_group.ng[{j}]"))
    conf = _ng_conf(["aws_subnet.s"], [
        {"address": "aws_subnet.s", "mode": "managed", "type": "aws_subnet", "name": "s",
         "expressions": {"vpc_id": {"references": ["aws_vpc.main.id", "aws_vpc.main"]}}},
        {"address": "aws_eks_cluster.c", "mode": "managed", "type": "aws_eks_cluster", "name": "c",
         "expressions": {"vpc_config": [{"subnet_ids": {"references": ["aws_subnet.s"]}}]}}])
    d = doc(changes, conf)
    d["planned_values"] = {"root_module": {"resources": planned}}
    return d


def test_a_50mb_plan_loads_in_a_few_seconds(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_big_plan(6000, 50)))
    assert path.stat().st_size > 50_000_000
    t0 = time.perf_counter()
    plan = load_terraform_plan(path)
    elapsed = time.perf_counter() - t0
    assert len(plan.subnets) == 6000
    assert plan.subnets["aws_subnet.s[5999]"].vpc == "aws_vpc.main"
    assert len(plan.nodegroups) == 50 and len(plan.nodegroups[0].subnets) == 6000
    assert len(plan.clusters["aws_eks_cluster.c"].subnets) == 6000
    assert elapsed < 5.0, f"{elapsed:.1f}s to load a {path.stat().st_size / 1e6:.0f} MB plan"


# -- update_config known only after apply ----------------------------------------------------------------------


def _update_ng(after_update, unknown_update, update_expr=None):
    """A node group with update_config as given; update_expr: the block's configuration expressions
    (None: no update_config block in the configuration)."""
    g = ng_change()
    if after_update is not None:
        g["change"]["after"]["update_config"] = after_update
    g["change"]["after_unknown"]["update_config"] = unknown_update
    conf = _ng_conf(["var.subnets"])
    if update_expr is not None:
        conf["root_module"]["resources"][0]["expressions"]["update_config"] = [update_expr]
    return g, conf


def test_update_config_set_from_a_variable_known_after_apply_is_unknown():
    g, conf = _update_ng([{"max_unavailable": None, "max_unavailable_percentage": None}],
                         [{"max_unavailable": True}], {"max_unavailable": {"references": ["local.mu"]}})
    n = plan_from_terraform(doc([g], conf, variables={"subnets": ["subnet-0feedfeedfeedfeed"]}), "in").nodegroups[0]
    assert isinstance(n.max_unavailable, Unknown)
    assert n.max_unavailable.where == "aws_eks_node_group.ng.update_config[0].max_unavailable"
    assert n.max_unavailable_percentage is None


def test_update_config_of_a_dynamic_block_known_after_apply_is_unknown_not_the_default():
    # a dynamic "update_config" block is not in the plan's configuration JSON: the block is in the plan with
    # an unknown value, but no expression says where it comes from
    g, conf = _update_ng([{"max_unavailable": None, "max_unavailable_percentage": None}],
                         [{"max_unavailable": True}])
    n = plan_from_terraform(doc([g], conf, variables={"subnets": ["subnet-0feedfeedfeedfeed"]}), "in").nodegroups[0]
    assert "dynamic block" in unknown_reason(n.max_unavailable)
    assert n.max_unavailable.where == "aws_eks_node_group.ng.update_config[0].max_unavailable"
    # the same plan without its configuration section: unknown too
    g, _ = _update_ng([{"max_unavailable": None, "max_unavailable_percentage": None}],
                      [{"max_unavailable_percentage": True}])
    n = plan_from_terraform(doc([g]), "in").nodegroups[0]
    assert "no configuration" in unknown_reason(n.max_unavailable_percentage)
    assert n.max_unavailable is None


def test_update_config_not_configured_is_the_eks_default():
    # the provider computes the block when the configuration does not set it: EKS's default applies
    g, conf = _update_ng(None, True)
    n = plan_from_terraform(doc([g], conf, variables={"subnets": ["subnet-0feedfeedfeedfeed"]}), "in").nodegroups[0]
    assert n.max_unavailable is None and n.max_unavailable_percentage is None
    # an attribute the configured block leaves out is not set either
    g, conf = _update_ng([{"max_unavailable": None, "max_unavailable_percentage": 25}],
                         [{"max_unavailable": True}], {"max_unavailable_percentage": {"constant_value": 25}})
    n = plan_from_terraform(doc([g], conf, variables={"subnets": ["subnet-0feedfeedfeedfeed"]}), "in").nodegroups[0]
    assert n.max_unavailable is None and n.max_unavailable_percentage == 25
    # without the configuration podcap cannot tell: unknown
    g, _ = _update_ng(None, True)
    n = plan_from_terraform(doc([g]), "in").nodegroups[0]
    assert "no configuration" in unknown_reason(n.max_unavailable)


def test_unknown_update_config_is_pc001_in_the_check(capsys, monkeypatch, tmp_path):
    from podcap.cli import main

    g, _ = _update_ng([{"max_unavailable": None, "max_unavailable_percentage": None}],
                      [{"max_unavailable": True}])
    g["change"]["after"]["subnet_ids"] = ["subnet-0feedfeedfeedfeed"]
    g["change"]["after_unknown"].pop("subnet_ids")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.json").write_text(json.dumps(doc([g])), encoding="utf-8")
    main(["check", "plan.json", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    pc001 = [f for f in report["findings"] if f["rule_id"] == "PC001" and f["resource"] == "aws_eks_node_group.ng"]
    assert any("max_unavailable" in f["message"] and "no configuration" in f["message"] for f in pc001), pc001
