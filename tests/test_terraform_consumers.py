"""The Terraform source's consumers beyond plain node groups: Fargate profiles, EKS Auto Mode, node group
facts that decide max pods (custom AMI, creation order after the vpc-cni add-on, Windows, default instance
type), Kubernetes objects (kubernetes_manifest, kubectl_manifest, the aws-vpc-cni helm chart), and plans
that do not show everything (errored, incomplete, EKS types podcap does not read, absurd numbers)."""
from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.model.unknown import Unknown
from podcap.sources.safe_yaml import InputError
from podcap.sources.terraform import READERS, load_terraform_plan, plan_from_terraform

# -- a minimal plan builder -------------------------------------------------------------------------------------


def change(address, after, unknown=None, actions=("create",)):
    parts = address.split(".")
    rtype, name = parts[-2].split("[")[0], parts[-1].split("[")[0]
    return {"address": address, "mode": "managed", "type": rtype, "name": name,
            "change": {"actions": list(actions), "before": None, "after": after, "after_unknown": unknown or {}}}


def doc(changes, configuration=None, **extra):
    d = {"format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": changes}
    if configuration is not None:
        d["configuration"] = configuration
    d.update(extra)
    return d


def conf(address, expressions=None, depends_on=None):
    rtype, name = address.split(".")[:2]
    r = {"address": address, "mode": "managed", "type": rtype, "name": name, "expressions": expressions or {}}
    if depends_on:
        r["depends_on"] = depends_on
    return r


def ref(*refs):
    return {"references": list(refs)}


def plan_of(changes, configuration=None, **extra):
    return plan_from_terraform(doc(changes, configuration, **extra), "plan.json")


def unresolved_text(plan) -> str:
    return " | ".join(f"{rid}: {u.reason}" for rid, u in plan.unresolved)


CLUSTER = change("aws_eks_cluster.c", {"name": "c1", "vpc_config": [{"subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"]}]})
SUBNETS = [
    change("aws_subnet.fargate_a", {"cidr_block": "10.0.0.0/28", "availability_zone": "eu-west-1a"}, {"id": True}),
    change("aws_subnet.fargate_b", {"cidr_block": "10.0.0.16/28", "availability_zone": "eu-west-1b"}, {"id": True}),
]
CNI_CONFIG = json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true"}})


def addon(address="aws_eks_addon.cni", config=CNI_CONFIG):
    return change(address, {"addon_name": "vpc-cni", "cluster_name": "c1", "configuration_values": config})


def nodegroup(address="aws_eks_node_group.ng", **after):
    values = {"cluster_name": "c1", "instance_types": ["m5.large"], "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"],
              "scaling_config": [{"min_size": 1, "desired_size": 1, "max_size": 2}]}
    values.update(after)
    return change(address, values)


def ng(plan, name="aws_eks_node_group.ng"):
    (g,) = [n for n in plan.nodegroups if n.name == name]
    return g


# -- the registry ----------------------------------------------------------------------------------------------


def test_every_read_type_has_one_reader_in_reading_order():
    order = list(READERS)
    assert order.index("aws_vpc") < order.index("aws_subnet") < order.index("aws_eks_cluster")
    assert order.index("aws_launch_template") < order.index("aws_eks_node_group")
    assert order.index("aws_eks_addon") < order.index("aws_eks_node_group")  # creation order needs the add-ons
    assert order.index("kubernetes_manifest") < order.index("aws_eks_node_group")  # and an aws-node DaemonSet
    assert {"aws_eks_fargate_profile", "kubernetes_manifest", "kubectl_manifest", "helm_release"} <= set(order)


# -- Fargate profiles and Auto Mode ------------------------------------------------------------------------------


def test_auto_mode_cluster_with_a_fargate_profile_in_two_28s():
    cluster = change("aws_eks_cluster.c", {
        "name": "c1", "vpc_config": [{}],
        "compute_config": [{"enabled": True, "node_pools": ["general-purpose", "system"]}]},
        {"vpc_config": [{"subnet_ids": True}]})
    fp = change("aws_eks_fargate_profile.fp", {"cluster_name": "c1", "fargate_profile_name": "fp"},
                {"subnet_ids": True})
    configuration = {"root_module": {"resources": [
        conf("aws_eks_cluster.c", {"vpc_config": [{"subnet_ids": ref("aws_subnet.fargate_a.id",
                                                                       "aws_subnet.fargate_b.id")}]}),
        conf("aws_eks_fargate_profile.fp", {"subnet_ids": ref("aws_subnet.fargate_a.id", "aws_subnet.fargate_b.id"),
                                            "cluster_name": ref("aws_eks_cluster.c.name")}),
    ]}}
    plan = plan_of(SUBNETS + [cluster, fp], configuration)
    cl = plan.clusters["aws_eks_cluster.c"]
    assert cl.auto_mode is True and cl.auto_mode_pools == ["general-purpose", "system"]
    (p,) = plan.fargate_profiles
    assert p.cluster == "aws_eks_cluster.c" and p.subnets == ["aws_subnet.fargate_a", "aws_subnet.fargate_b"]
    assert p.pods is None  # no demand in a plan: stated in .podcap.yaml


def test_the_auto_mode_and_fargate_plan_is_never_no_findings(tmp_path):
    from podcap.check import CheckOptions, check_plan

    cluster = change("aws_eks_cluster.c", {
        "name": "c1", "vpc_config": [{"subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"]}],
        "compute_config": [{"enabled": True, "node_pools": ["general-purpose"]}]})
    fp = change("aws_eks_fargate_profile.fp", {"cluster_name": "c1", "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa",
                                                                                   "subnet-0bbbbbbbbbbbbbbbb"]})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc([cluster, fp])), encoding="utf-8")
    plan = load_terraform_plan(path)
    result = check_plan(plan, CheckOptions(paths=[str(path)]))
    pc001 = [f for f in result.findings if f.rule_id == "PC001"]
    # neither the Fargate profile's pods nor the Auto Mode pool's node count is bounded by the plan
    assert any(f.resource == "aws_eks_fargate_profile.fp" for f in pc001)
    assert result.findings


def test_fargate_profile_without_subnets_is_unknown():
    plan = plan_of([CLUSTER, change("aws_eks_fargate_profile.fp", {"cluster_name": "c1", "subnet_ids": None})])
    (p,) = plan.fargate_profiles
    assert isinstance(p.subnets, Unknown) and "set subnet_ids" in p.subnets.reason


def test_fargate_existing_subnets_get_placeholders():
    plan = plan_of([CLUSTER, change("aws_eks_fargate_profile.fp", {"cluster_name": "c1",
                                                                   "subnet_ids": ["subnet-0ccccccccccccccc1"]})])
    s = plan.subnets["subnet-0ccccccccccccccc1"]
    assert not s.defined_in_plan and isinstance(s.cidr, Unknown)


# -- what decides max pods ---------------------------------------------------------------------------------------


def launch_template(address="aws_launch_template.lt", **after):
    values = {"name": "lt", "id": "lt-0123"}
    values.update(after)
    return change(address, values)


def test_custom_ami_from_the_launch_template():
    with_ami = launch_template(image_id="ami-0abc")
    g = nodegroup(launch_template=[{"id": "lt-0123", "name": None, "version": "1"}])
    assert ng(plan_of([CLUSTER, with_ami, g])).custom_ami is True
    assert ng(plan_of([CLUSTER, launch_template(image_id=None), g])).custom_ami is False
    unknown_ami = change("aws_launch_template.lt", {"name": "lt", "id": "lt-0123"}, {"image_id": True})
    got = ng(plan_of([CLUSTER, unknown_ami, g])).custom_ami
    assert isinstance(got, Unknown) and "image_id" in got.reason
    assert ng(plan_of([CLUSTER, nodegroup()])).custom_ami is False  # no launch template at all


def test_max_pods_from_launch_template_user_data_records_its_origin():
    import base64

    ud = base64.b64encode(b"#!/bin/bash\n/etc/eks/bootstrap.sh c1 --kubelet-extra-args '--max-pods=40'\n").decode()
    g = ng(plan_of([CLUSTER, launch_template(user_data=ud, image_id="ami-1"),
                    nodegroup(launch_template=[{"id": "lt-0123", "version": "1"}])]))
    assert g.kubelet_max_pods == 40
    assert g.max_pods_origin == "bootstrap.sh --kubelet-extra-args --max-pods=40 (user data of aws_launch_template.lt)"


def test_windows_and_default_instance_types():
    plan = plan_of([CLUSTER, nodegroup(ami_type="WINDOWS_CORE_2022_x86_64", instance_types=None)],
                   {"root_module": {"resources": [conf("aws_eks_node_group.ng", {"ami_type": {"constant_value":
                                                                                 "WINDOWS_CORE_2022_x86_64"}})]}})
    g = ng(plan)
    # no instance types, no launch template: EKS's default t3.medium is x86_64, as the Windows AMI type is
    assert g.os == "windows" and g.instance_types == ["t3.medium"]
    plan = plan_of([CLUSTER, nodegroup(ami_type="AL2023_ARM_64_STANDARD", instance_types=None)],
                   {"root_module": {"resources": [conf("aws_eks_node_group.ng")]}})
    g = ng(plan)
    assert isinstance(g.instance_types, Unknown) and "AL2023_ARM_64_STANDARD" in g.instance_types.reason


# -- creation order after the vpc-cni add-on ---------------------------------------------------------------------


def _order(node_expr=None, node_deps=None, addon_deps=None, extra_changes=(), extra_conf=()):
    configuration = {"root_module": {"resources": [
        conf("aws_eks_cluster.c"),
        conf("aws_eks_addon.cni", {"cluster_name": ref("aws_eks_cluster.c.name")}, addon_deps),
        conf("aws_eks_node_group.ng", node_expr or {"cluster_name": ref("aws_eks_cluster.c.name")}, node_deps),
        *extra_conf,
    ]}}
    plan = plan_of([CLUSTER, addon(), nodegroup(), *extra_changes], configuration)
    return ng(plan).ordered_after_cni, plan


def test_depends_on_the_add_on_orders_the_node_group():
    got, _ = _order(node_deps=["aws_eks_addon.cni"])
    assert got is True


def test_a_reference_chain_through_the_add_on_orders_the_node_group():
    got, _ = _order(node_expr={"cluster_name": ref("aws_eks_addon.cni.cluster_name", "aws_eks_addon.cni")})
    assert got is True


def test_no_dependency_is_not_ordered():
    got, _ = _order()
    assert got is False


def test_an_add_on_that_waits_on_the_node_group_is_created_after_it():
    # terraform-aws-eks's add-ons without before_compute: depends_on = [module.eks_managed_node_group, …]
    got, _ = _order(node_deps=None, addon_deps=["aws_eks_node_group.ng"])
    assert got is False


def test_a_local_in_the_way_is_unknown():
    got, _ = _order(node_expr={"cluster_name": ref("local.cluster_name")})
    assert isinstance(got, Unknown) and "local.cluster_name" in got.reason


def test_an_aws_node_daemonset_manifest_orders_the_node_groups_as_an_add_on_does():
    """EKS writes a managed group's max pods from the aws-node settings in force when it creates the group;
    a kubernetes_manifest of the aws-node DaemonSet sets them as the add-on's configuration does."""
    ds = change("kubernetes_manifest.aws_node", {"manifest": {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "aws-node", "namespace": "kube-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": [
            {"name": "ENABLE_PREFIX_DELEGATION", "value": "true"}]}]}}}}})
    for deps, want in ((None, False), (["kubernetes_manifest.aws_node"], True)):
        configuration = {"root_module": {"resources": [
            conf("aws_eks_cluster.c"), conf("kubernetes_manifest.aws_node"),
            conf("aws_eks_node_group.ng", {"cluster_name": ref("aws_eks_cluster.c.name")}, deps)]}}
        plan = plan_of([CLUSTER, ds, nodegroup()], configuration)
        assert plan.clusters["aws_eks_cluster.c"].cni_env == {"ENABLE_PREFIX_DELEGATION": "true"}
        assert ng(plan).ordered_after_cni is want


def test_no_add_on_configuration_is_not_applicable():
    configuration = {"root_module": {"resources": [conf("aws_eks_node_group.ng", {}, ["aws_eks_addon.cni"])]}}
    plan = plan_of([CLUSTER, addon(config=None), nodegroup()], configuration)
    assert ng(plan).ordered_after_cni is None


def test_terraform_aws_eks_before_compute_through_time_sleep():
    """The shape terraform-aws-eks (main.tf, node_groups.tf at bef29c4d) gives a plan: the before_compute
    add-on and time_sleep.this both reference the cluster; the node group module's cluster_name comes from
    time_sleep.this[0].triggers["name"], and the other add-ons depend on the node group modules."""
    eks = "module.eks"
    mng = f'{eks}.module.eks_managed_node_group["default"]'
    changes = [
        change(f"{eks}.aws_eks_cluster.this[0]", {"name": "c1", "vpc_config": [{"subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"]}]}),
        change(f'{eks}.aws_eks_addon.before_compute["vpc-cni"]', {"addon_name": "vpc-cni",
                                                                 "configuration_values": CNI_CONFIG},
               {"cluster_name": True}),
        change(f'{eks}.aws_eks_addon.this["coredns"]', {"addon_name": "coredns"}, {"cluster_name": True}),
        change(f"{eks}.time_sleep.this[0]", {"create_duration": "30s"}, {"triggers": True}),
        change(f"{mng}.aws_eks_node_group.this[0]", {
            "instance_types": ["m5.large"], "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"],
            "scaling_config": [{"min_size": 1, "desired_size": 2, "max_size": 3}]}, {"cluster_name": True}),
    ]
    node_module = {"resources": [conf("aws_eks_node_group.this", {"cluster_name": ref("var.cluster_name")})],
                   "variables": {"cluster_name": {}}}
    eks_module = {
        "resources": [
            conf("aws_eks_cluster.this"),
            conf("aws_eks_addon.before_compute", {"cluster_name": ref("aws_eks_cluster.this[0].id",
                                                                      "aws_eks_cluster.this")}),
            conf("aws_eks_addon.this", {"cluster_name": ref("aws_eks_cluster.this[0].id")},
                 ["module.eks_managed_node_group"]),
            conf("time_sleep.this", {"triggers": ref("aws_eks_cluster.this[0].id")}),
        ],
        "module_calls": {"eks_managed_node_group": {
            "source": "./modules/eks-managed-node-group", "module": node_module,
            "expressions": {"cluster_name": ref('time_sleep.this[0].triggers["name"]', "time_sleep.this[0].triggers",
                                                "time_sleep.this")}}},
    }
    configuration = {"root_module": {"module_calls": {"eks": {"source": "terraform-aws-modules/eks/aws",
                                                              "module": eks_module}}}}
    plan = plan_of(changes, configuration)
    g = ng(plan, f"{mng}.aws_eks_node_group.this[0]")
    assert g.ordered_after_cni is True
    assert any("dataplane_wait_duration" in text for who, text in plan.notes if who == g.name)
    # an add-on that waits on the node groups (its own depends_on) is not ordered before them
    eks_module["resources"][1] = conf("aws_eks_addon.before_compute", {}, ["module.eks_managed_node_group"])
    assert ng(plan_of(changes, configuration), f"{mng}.aws_eks_node_group.this[0]").ordered_after_cni is False
    # nor is one that waits on the same sleep: it would start with the node groups
    eks_module["resources"][1] = conf("aws_eks_addon.before_compute", {}, ["time_sleep.this"])
    assert ng(plan_of(changes, configuration), f"{mng}.aws_eks_node_group.this[0]").ordered_after_cni is False
    # nor does a sleep of 0s order anything
    eks_module["resources"][1] = conf("aws_eks_addon.before_compute", {"cluster_name": ref("aws_eks_cluster.this[0].id")})
    changes[3] = change(f"{eks}.time_sleep.this[0]", {"create_duration": "0s"}, {"triggers": True})
    assert ng(plan_of(changes, configuration), f"{mng}.aws_eks_node_group.this[0]").ordered_after_cni is False


# -- Kubernetes objects ---------------------------------------------------------------------------------------------


def test_kubernetes_manifest_eni_config_with_a_subnet_known_after_apply():
    pods = change("aws_subnet.pods_a", {"cidr_block": "100.64.0.0/19", "availability_zone": "eu-west-1a"},
                  {"id": True})
    eni = change("kubernetes_manifest.eni_a", {"manifest": {
        "apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
        "metadata": {"name": "eu-west-1a"}, "spec": {"securityGroups": ["sg-1"]}}},
        {"manifest": {"spec": {"subnet": True}}})
    configuration = {"root_module": {"resources": [
        conf("kubernetes_manifest.eni_a", {"manifest": ref("aws_subnet.pods_a.id", "aws_subnet.pods_a")})]}}
    plan = plan_of([CLUSTER, pods, eni], configuration)
    assert plan.clusters["aws_eks_cluster.c"].eni_configs == {"eu-west-1a": "aws_subnet.pods_a"}
    # the same manifest whose subnet the configuration does not show is not read, and says so
    plan = plan_of([CLUSTER, pods, eni])
    assert plan.clusters["aws_eks_cluster.c"].eni_configs == {}
    assert "kubernetes_manifest.eni_a" in unresolved_text(plan)


def test_kubectl_manifest_yaml_body_reaches_the_shared_reader():
    body = yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "amazon-vpc-cni",
                                                                                  "namespace": "kube-system"},
                           "data": {"enable-windows-ipam": "false"}})
    eni = yaml.safe_dump({"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
                          "metadata": {"name": "eu-west-1b"}, "spec": {"subnet": "subnet-0bbbbbbbbbbbbbbbb"}})
    plan = plan_of([CLUSTER, change("kubectl_manifest.eni", {"yaml_body": eni}),
                    change("kubectl_manifest.cm", {"yaml_body": body})])
    assert plan.clusters["aws_eks_cluster.c"].eni_configs["eu-west-1b"] in ("subnet-0bbbbbbbbbbbbbbbb",)
    plan = plan_of([CLUSTER, change("kubectl_manifest.bad", {"yaml_body": "a: [unclosed"})])
    assert "yaml_body is not YAML" in unresolved_text(plan)
    plan = plan_of([CLUSTER, change("kubectl_manifest.later", {}, {"yaml_body": True})])
    assert "kubectl_manifest.later" in unresolved_text(plan)


def test_helm_release_of_the_vpc_cni_chart():
    values = yaml.safe_dump({"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"},
                             "eniConfig": {"create": True, "region": "eu-west-1",
                                           "subnets": {"eu-west-1a": {"id": "subnet-0aaaaaaaaaaaaaaaa"}}}})
    release = change("helm_release.cni", {
        "chart": "aws-vpc-cni", "repository": "https://aws.github.io/eks-charts", "values": [values],
        "set": [{"name": "env.WARM_PREFIX_TARGET", "value": "2", "type": None},
                {"name": "env.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "value": "true", "type": None}]})
    plan = plan_of([CLUSTER, release])
    cl = plan.clusters["aws_eks_cluster.c"]
    # set wins over values (Helm's precedence): WARM_PREFIX_TARGET 2
    assert cl.cni_env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "2",
                          "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}
    assert cl.eni_configs == {"eu-west-1a": "subnet-0aaaaaaaaaaaaaaaa"}
    assert cl.cni_resource == "helm_release.cni"


def test_helm_chart_eni_subnets_without_create_make_no_eni_config():
    values = yaml.safe_dump({"eniConfig": {"subnets": {"eu-west-1a": {"id": "subnet-0aaaaaaaaaaaaaaaa"}}}})
    plan = plan_of([CLUSTER, change("helm_release.cni", {"chart": "eks/aws-vpc-cni", "values": [values]})])
    # the chart's values.yaml: eniConfig.create defaults to false, so the subnets alone create nothing
    assert plan.clusters["aws_eks_cluster.c"].eni_configs == {}
    assert "eniConfig.create is false" in unresolved_text(plan)


def test_other_helm_charts_are_not_read_and_unknown_charts_say_so():
    plan = plan_of([CLUSTER, change("helm_release.x", {"chart": "karpenter", "values": ["env: {A: b}"]})])
    assert plan.clusters["aws_eks_cluster.c"].cni_env is None and not plan.unresolved
    plan = plan_of([CLUSTER, change("helm_release.y", {}, {"chart": True})])
    assert "helm_release.y" in unresolved_text(plan)


# -- plans that do not show everything ------------------------------------------------------------------------------


def test_eks_types_podcap_does_not_read_are_pc001():
    plan = plan_of([CLUSTER, change("aws_eks_capability.argo", {"cluster_name": "c1"}),
                    change("aws_eks_access_entry.admin", {"cluster_name": "c1"})])
    text = unresolved_text(plan)
    assert "aws_eks_capability is not read by podcap" in text
    assert "aws_eks_access_entry" not in text  # takes no VPC addresses: read, nothing to check


def test_errored_and_incomplete_plans_are_pc001():
    plan = plan_of([CLUSTER], errored=True)
    assert "errored" in unresolved_text(plan)
    plan = plan_of([CLUSTER], complete=False)
    assert "deferred" in unresolved_text(plan)
    assert not plan_of([CLUSTER], complete=True, errored=False).unresolved


def test_huge_indexes_and_numbers_are_input_errors_or_unknowns_never_tracebacks():
    huge = "9" * 5000
    with pytest.raises(InputError, match="not a Terraform resource address"):
        plan_of([change(f"aws_subnet.s[{huge}]", {"cidr_block": "10.0.0.0/24", "availability_zone": "a"})])
    g = ng(plan_of([CLUSTER, nodegroup(scaling_config=[{"min_size": 1, "desired_size": 1, "max_size": 10 ** 5000}])]))
    assert isinstance(g.max_size, Unknown) and "32-bit" in g.max_size.reason
    g = ng(plan_of([CLUSTER, nodegroup(scaling_config=[{"min_size": 1, "desired_size": 1, "max_size": 2 ** 31}])]))
    assert isinstance(g.max_size, Unknown)


def test_a_huge_integer_in_the_file_is_one_input_error(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc([nodegroup()])).replace('"max_size": 2', '"max_size": ' + "7" * 5000),
                    encoding="utf-8")
    with pytest.raises(InputError):
        load_terraform_plan(path)


# -- properties ---------------------------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(extra_max=st.integers(1, 40), extra_min=st.integers(0, 5))
def test_adding_a_node_group_never_lowers_a_subnet_figure(extra_max, extra_min):
    from podcap.check import CheckOptions, check_plan

    subnet = change("aws_subnet.a", {"cidr_block": "10.0.0.0/22", "availability_zone": "eu-west-1a",
                                     "id": "subnet-0aaaaaaaaaaaaaaaa"})
    base = [subnet, CLUSTER, nodegroup()]
    more = base + [nodegroup("aws_eks_node_group.more", scaling_config=[
        {"min_size": min(extra_min, extra_max), "desired_size": min(extra_min, extra_max), "max_size": extra_max}])]
    opts = CheckOptions(paths=["plan.json"])
    before = {s.subnet: s for s in check_plan(plan_of(base), opts).subnets}
    after = {s.subnet: s for s in check_plan(plan_of(more), opts).subnets}
    for sid, s in before.items():
        for scale in ("at_min", "at_desired", "at_max"):
            assert getattr(after[sid], scale) >= getattr(s, scale), (sid, scale)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4))
def test_an_unbounded_fargate_profile_always_yields_pc001(n):
    from podcap.check import CheckOptions, check_plan

    profiles = [change(f"aws_eks_fargate_profile.p{i}", {"cluster_name": "c1",
                                                        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"]}) for i in range(n)]
    result = check_plan(plan_of([CLUSTER, *profiles]), CheckOptions(paths=["plan.json"]))
    flagged = {f.resource for f in result.findings if f.rule_id == "PC001"}
    assert {f"aws_eks_fargate_profile.p{i}" for i in range(n)} <= flagged


# -- end to end ------------------------------------------------------------------------------------------------------


def test_vpc_cni_helm_values_reach_the_engine():
    from podcap.check import CheckOptions, check_plan

    subnet = change("aws_subnet.a", {"cidr_block": "10.0.0.0/24", "availability_zone": "eu-west-1a",
                                     "id": "subnet-0aaaaaaaaaaaaaaaa"})
    release = change("helm_release.cni", {"chart": "aws-vpc-cni", "values": [
        yaml.safe_dump({"env": {"ENABLE_PREFIX_DELEGATION": "true"}})]})
    ordered = {"root_module": {"resources": [conf("aws_eks_node_group.ng", {}, ["helm_release.cni"])]}}
    opts = CheckOptions(paths=["plan.json"])
    (with_pd,) = check_plan(plan_of([subnet, CLUSTER, release, nodegroup()], ordered), opts).nodegroups
    # prefix delegation on m5.large: EKS caps a managed node group's max pods at 110 (2 vCPUs < 30);
    # 110 - 2 host-network pods = 108 pods need ceil(108 / 16) = 7 /28 prefixes = 112 addresses + 1 primary = 113
    assert (with_pd.max_pods, with_pd.pods_per_node, with_pd.addresses_per_node) == (110, 108, 113)
    (without,) = check_plan(plan_of([subnet, CLUSTER, nodegroup()]), opts).nodegroups
    # secondary IPs: 3 ENIs x (10 - 1) + 2 = 29 max pods, a full node holds 3 x 10 = 30 addresses
    assert (without.max_pods, without.addresses_per_node) == (29, 30)
    # nothing orders the node group after the release: EKS may write the defaults' 29; pods are judged at 29,
    # the subnet at the prefix-delegation demand (113 a node), and PC105 names both
    result = check_plan(plan_of([subnet, CLUSTER, release, nodegroup()], {"root_module": {"resources": [
        conf("aws_eks_node_group.ng", {"cluster_name": ref("aws_eks_cluster.c.name")})]}}), opts)
    (unordered,) = result.nodegroups
    assert (unordered.max_pods, unordered.addresses_per_node) == (29, 113)
    assert any(f.rule_id == "PC105" and f.resource == "aws_eks_node_group.ng" for f in result.findings)


def test_a_utf16_plan_from_powershell_reads_like_utf8(tmp_path):
    # PowerShell 5's `terraform show -json > plan.json` writes UTF-16 LE with a byte-order mark
    d = doc([CLUSTER, nodegroup()])
    (tmp_path / "utf8.json").write_text(json.dumps(d), encoding="utf-8")
    (tmp_path / "utf16.json").write_bytes(json.dumps(d).encode("utf-16"))
    a, b = load_terraform_plan(tmp_path / "utf8.json"), load_terraform_plan(tmp_path / "utf16.json")
    assert [(g.name, g.instance_types, g.max_size) for g in a.nodegroups] == \
        [(g.name, g.instance_types, g.max_size) for g in b.nodegroups] == [("aws_eks_node_group.ng", ["m5.large"], 2)]


@settings(max_examples=10, deadline=None)
@given(pools=st.lists(st.sampled_from(["general-purpose", "system"]), min_size=1, max_size=2, unique=True))
def test_an_auto_mode_pool_without_limits_always_yields_pc001(pools):
    from podcap.check import CheckOptions, check_plan

    cluster = change("aws_eks_cluster.c", {"name": "c1", "vpc_config": [{"subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"]}],
                                           "compute_config": [{"enabled": True, "node_pools": pools}]})
    result = check_plan(plan_of([cluster]), CheckOptions(paths=["plan.json"]))
    flagged = {f.resource for f in result.findings if f.rule_id == "PC001"}
    assert all(any(pool in r for r in flagged) for pool in pools), flagged


def test_a_self_managed_windows_group_is_read_as_windows():
    import base64

    ud = base64.b64encode(b'<powershell>\n[string]$EKSBootstrapScriptFile = "$env:ProgramFiles\\Amazon\\EKS\\'
                          b'Start-EKSBootstrap.ps1"\n& $EKSBootstrapScriptFile -EKSClusterName c1 '
                          b'-KubeletExtraArgs "--max-pods=20"\n</powershell>\n').decode()
    asg = change("aws_autoscaling_group.win", {
        "min_size": 1, "max_size": 2, "desired_capacity": 1, "vpc_zone_identifier": ["subnet-0aaaaaaaaaaaaaaaa"],
        "launch_template": [{"id": "lt-0123", "name": None, "version": "$Latest"}],
        "tag": [{"key": "kubernetes.io/cluster/c1", "value": "owned", "propagate_at_launch": True}]})
    plan = plan_of([CLUSTER, launch_template(user_data=ud, instance_type="m5.large"), asg])
    g = ng(plan, "aws_autoscaling_group.win")
    assert g.self_managed and g.os == "windows" and g.kubelet_max_pods == 20
    assert g.instance_types == ["m5.large"] and (g.min_size, g.desired_size, g.max_size) == (1, 1, 2)


def _karpenter(subnet_tags):
    subnet = change("aws_subnet.a", {"cidr_block": "10.0.0.0/24", "availability_zone": "eu-west-1a",
                                     "id": "subnet-0aaaaaaaaaaaaaaaa", "tags": subnet_tags, "tags_all": subnet_tags})
    pool = change("kubernetes_manifest.pool", {"manifest": {
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
        "spec": {"limits": {"cpu": "20"}, "template": {"spec": {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
            "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m5.large"]}]}}}}})
    node_class = change("kubernetes_manifest.class", {"manifest": {
        "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
        "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}],
                 "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "c1"}}]}}})
    return plan_of([subnet, CLUSTER, pool, node_class])


def test_karpenter_objects_in_kubernetes_manifests_pick_subnets_by_the_plans_tags():
    from podcap.check import CheckOptions, check_plan

    assert _karpenter({"karpenter.sh/discovery": "c1"}).subnets["aws_subnet.a"].tags == {"karpenter.sh/discovery": "c1"}
    result = check_plan(_karpenter({"karpenter.sh/discovery": "c1"}), CheckOptions(paths=["plan.json"]))
    (pool,) = result.nodegroups
    # limits.cpu 20 / 2 vCPUs of m5.large = at most 10 nodes, all of them in the one tagged subnet
    assert pool.max_size == 10 and pool.instance_types == ["m5.large"]
    (s,) = [s for s in result.subnets if s.subnet == "aws_subnet.a"]
    assert pool.name in s.nodegroups and s.at_max >= 10 * 30  # 10 nodes x 30 addresses (3 ENIs x 10)
    # the subnet without the discovery tag: the pool's subnets are not known, a PC001, never a pass
    result = check_plan(_karpenter({"Name": "a"}), CheckOptions(paths=["plan.json"]))
    assert any(f.rule_id == "PC001" and "subnetSelectorTerms" in f.message for f in result.findings)
