"""terraform-aws-modules/eks (v20 layout) with terraform-aws-modules/vpc: the node groups' launch templates
(linked by module instance) and subnets (followed through ``module.vpc.private_subnets``), figures computed by
hand and checked through ``podcap check PLAN --format json`` (docs/report-json.md).

The plan, ``data/terraform-modules/eks-vpc-plan.json``, is real ``terraform show -json`` output (Terraform
1.11.4, hashicorp/aws 5.100.0, dummy credentials, ``terraform plan -refresh=false``, offline) of
``data/terraform-modules/config``: local copies of the modules' relevant code, read from the
terraform-aws-modules repositories (terraform-aws-eks v20.37.2 ``node_groups.tf``,
``modules/eks-managed-node-group/main.tf``, ``modules/self-managed-node-group/main.tf``; terraform-aws-vpc
``main.tf`` / ``outputs.tf``), reduced to what podcap reads, so that the plan needs no registry download; the
eks module's ``time_sleep`` (hashicorp/time) is a ``terraform_data`` that waits on the ``before_compute``
add-on. What the real modules write and the plan shows:

* ``launch_template_id = var.create && var.create_launch_template ? aws_launch_template.this[0].id :
  var.launch_template_id`` (a local), used in ``dynamic "launch_template" { content { id =
  local.launch_template_id } }``: Terraform leaves dynamic blocks out of the configuration JSON, so the
  node group / ASG has no expression for its launch template at all, and its id is unknown.
* ``subnet_ids = try(each.value.subnet_ids, var.eks_managed_node_group_defaults.subnet_ids, var.subnet_ids)``
  on the for_each module call; the root passes ``subnet_ids = module.vpc.private_subnets``, whose output is
  ``aws_subnet.private[*].id`` (references ``["aws_subnet.private"]``).

Instance facts (EC2 DescribeInstanceTypes, as in the VPC CNI's vpc_ip_resource_limit.go): m6i.large 2 vCPUs,
3 ENIs x 10 IPv4; m5.large 2 vCPUs, 3 ENIs x 10 IPv4. Each /28 prefix holds 16 addresses.

Hand-computed figures (the vpc-cni add-on sets ENABLE_PREFIX_DELEGATION=true, WARM_PREFIX_TARGET=1):

* managed "general", m6i.large, no AMI in its launch template (image_id ""): EKS writes max pods (EKS user
  guide, create-managed-node-group / max-pods calculator): with prefix delegation 3 x (10 - 1) x 16 + 2 =
  434, capped at 110 below 30 vCPUs -> 110; 110 - 2 host-network pods = 108 address-taking pods; ipamd adds
  prefixes until the pool reaches max pods: 7 x 16 = 112 >= 110 -> 7 prefixes, 1 primary + 112 = 113
  addresses per node.
* self-managed "legacy", m5.large from its launch template (instance_type "m5.large", a custom AMI, user data
  ``/etc/eks/bootstrap.sh my-cluster`` without --max-pods): the AMI's eni-max-pods value 3 x (10 - 1) + 2 =
  29; 27 pods; 2 prefixes = 32 >= 29 -> 1 + 2 x 16 = 33 addresses per node. 29 is far below the 110
  recommended with prefix delegation: PC103.
* subnets: the three private /20s (4096 - 5 = 4091 usable each), never the public /24s. At max size the
  groups spread over 3 subnets: general ceil(10 / 3) = 4 nodes x 113 = 452, legacy ceil(6 / 3) = 2 x 33 = 66,
  the EKS control plane up to 4 ENIs over 3 subnets = ceil(4 / 3) = 2: 452 + 66 + 2 = 520 per private
  subnet; /28 blocks 4 x 7 + 2 x 2 = 32. At min size: 1 x 113 + 1 x 33 + 2 = 148.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from podcap.model.unknown import Unknown
from podcap.sources.terraform import plan_from_terraform

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

PLAN = Path(__file__).resolve().parent / "data" / "terraform-modules" / "eks-vpc-plan.json"
MNG = 'module.eks.module.eks_managed_node_group["general"]'
SMNG = 'module.eks.module.self_managed_node_group["legacy"]'
GENERAL = f"{MNG}.aws_eks_node_group.this[0]"
LEGACY = f"{SMNG}.aws_autoscaling_group.this[0]"
PRIVATE = [f"module.vpc.aws_subnet.private[{i}]" for i in range(3)]
PUBLIC = [f"module.vpc.aws_subnet.public[{i}]" for i in range(3)]


def load() -> dict:
    return json.loads(PLAN.read_text())


def check(path: Path) -> dict:
    run = cli(["check", str(path), "--format", "json"]).assert_promise()
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def group(plan, name):
    (g,) = [g for g in plan.nodegroups if g.name == name]
    return g


def eks_calls(doc: dict) -> dict:
    return doc["configuration"]["root_module"]["module_calls"]["eks"]["module"]["module_calls"]


def test_real_plan_figures():
    report = check(PLAN)
    general = next(g for g in report["nodegroups"] if g["name"] == GENERAL)
    legacy = next(g for g in report["nodegroups"] if g["name"] == LEGACY)
    # general: EKS writes 110 (434 capped at 110 for 2 vCPUs), 108 pods, 1 + 7 x 16 = 113 addresses
    assert general["instance_types"] == ["m6i.large"]
    assert (general["max_pods"], general["network_max_pods"]) == (110, 434)
    assert (general["pods_per_node"], general["addresses_per_node"]) == (108, 113)
    # legacy: m5.large from its own launch template, AMI default 3 x 9 + 2 = 29, 27 pods, 1 + 2 x 16 = 33
    assert legacy["instance_types"] == ["m5.large"]
    assert (legacy["max_pods"], legacy["pods_per_node"], legacy["addresses_per_node"]) == (29, 27, 33)
    subnets = {s["subnet"]: s for s in report["subnets"]}
    for sid in PRIVATE:
        s = subnets[sid]
        assert s["usable"] == 4091  # /20: 4096 - 5
        assert s["at_min"] == 148  # 113 + 33 + 2
        assert s["at_max"] == 520  # 4 x 113 + 2 x 33 + 2
        assert s["prefix_blocks_at_max"] == 32  # 4 x 7 + 2 x 2
        assert sorted(s["nodegroups"]) == sorted([GENERAL, LEGACY])
    for sid in PUBLIC:
        assert subnets[sid]["nodegroups"] == [] and subnets[sid]["at_max"] == 0
    # nothing left unresolved: no PC001, and no PC103 for the managed group (EKS writes 110)
    assert [f["rule_id"] for f in report["findings"]] == ["PC103"]
    assert report["findings"][0]["resource"] == LEGACY
    assert any(GENERAL in n and "linked by module instance" in n for n in report["notes"])
    assert any(LEGACY in n and "linked by module instance" in n for n in report["notes"])


def test_model_links_and_subnets():
    plan = plan_from_terraform(load(), "inline")
    general, legacy = group(plan, GENERAL), group(plan, LEGACY)
    assert general.custom_ami is False  # image_id "" in the module's own launch template
    assert general.subnets == PRIVATE and legacy.subnets == PRIVATE
    assert legacy.instance_types == ["m5.large"] and legacy.kubelet_max_pods is None
    (cluster,) = plan.clusters.values()
    assert cluster.subnets == PRIVATE  # coalescelist(var.control_plane_subnet_ids = [], var.subnet_ids)


def test_local_reference_links_in_any_module():
    # the audit's shape: the launch_template block written out (not dynamic), id = local.launch_template_id;
    # any module (here renamed away from terraform-aws-eks's path) links its only template
    doc = load()
    call = eks_calls(doc)["eks_managed_node_group"]
    call["source"] = "./modules/ng"
    ng_conf = call["module"]["resources"][0]
    ng_conf["expressions"]["launch_template"] = [{"id": {"references": ["local.launch_template_id"]},
                                                   "version": {"references": ["local.launch_template_version"]}}]
    plan = plan_from_terraform(doc, "inline")
    general = group(plan, GENERAL)
    assert general.custom_ami is False and general.kubelet_max_pods is None
    assert any("local.launch_template_id" in n and "linked by module instance" in n for _, n in plan.notes)


def test_fail_closed_dynamic_block_outside_terraform_aws_eks():
    # the same dynamic block in a module podcap does not know: the template stays unknown
    doc = load()
    eks_calls(doc)["eks_managed_node_group"]["source"] = "./modules/ng"
    plan = plan_from_terraform(doc, "inline")
    assert isinstance(group(plan, GENERAL).custom_ami, Unknown)
    assert group(plan, LEGACY).instance_types == ["m5.large"]  # the untouched group still links


def test_fail_closed_id_from_a_variable_the_call_sets():
    # id = var.launch_template_id and the call passes it (from anywhere): not linked by module instance
    doc = load()
    call = eks_calls(doc)["eks_managed_node_group"]
    call["source"] = "./modules/ng"
    call["expressions"]["launch_template_id"] = {"references": ["local.outside_template"]}
    call["module"]["resources"][0]["expressions"]["launch_template"] = [
        {"id": {"references": ["var.launch_template_id"]}}]
    plan = plan_from_terraform(doc, "inline")
    assert isinstance(group(plan, GENERAL).custom_ami, Unknown)
    assert group(plan, LEGACY).instance_types == ["m5.large"]


def test_fail_closed_two_templates_in_the_module_instance():
    doc = load()
    for section in (doc["planned_values"]["root_module"]["child_modules"][0]["child_modules"],):
        smng = next(m for m in section if m["address"] == SMNG)
        lt = next(r for r in smng["resources"] if r["type"] == "aws_launch_template")
        extra = copy.deepcopy(lt)
        extra["address"], extra["name"] = f"{SMNG}.aws_launch_template.other[0]", "other"
        extra["values"]["instance_type"] = "m5.4xlarge"
        smng["resources"].append(extra)
    rc = next(r for r in doc["resource_changes"] if r["address"] == f"{SMNG}.aws_launch_template.this[0]")
    extra_rc = copy.deepcopy(rc)
    extra_rc["address"], extra_rc["name"] = f"{SMNG}.aws_launch_template.other[0]", "other"
    extra_rc["change"]["after"]["instance_type"] = "m5.4xlarge"
    doc["resource_changes"].append(extra_rc)
    plan = plan_from_terraform(doc, "inline")
    assert isinstance(group(plan, LEGACY).instance_types, Unknown)
    assert group(plan, GENERAL).custom_ami is False  # the other module instance still links


def test_fail_closed_subnets_set_in_the_node_group_map():
    # the map entry sets subnet_ids: try() takes it, a union with var.subnet_ids would be wrong: Unknown
    doc = load()
    calls = doc["configuration"]["root_module"]["module_calls"]["eks"]["expressions"]
    calls["eks_managed_node_groups"]["constant_value"]["general"]["subnet_ids"] = ["subnet-0aaaaaaaaaaaaaaaa"]
    plan = plan_from_terraform(doc, "inline")
    assert isinstance(group(plan, GENERAL).subnets, Unknown)
    assert group(plan, LEGACY).subnets == PRIVATE  # its map entry sets none


def test_fail_closed_for_each_through_a_local_in_an_unknown_module():
    # a for_each that also reads a local: only terraform-aws-eks's calls (a boolean filter) are trusted
    doc = load()
    eks_calls(doc)["self_managed_node_group"]["source"] = "./modules/asg"
    plan = plan_from_terraform(doc, "inline")
    assert isinstance(group(plan, LEGACY).subnets, Unknown)
    assert group(plan, GENERAL).subnets == PRIVATE
