"""Fargate profiles: one address per pod (each pod has its own ENI, no warm pool), pods spread evenly over the
profile's subnets, rounded up; no stated pods is PC001 naming the key, never a pass."""
from __future__ import annotations

import pytest
from podcap.check import CheckOptions, check_plan
from podcap.limits import load_snapshot
from podcap.model.plan import Cluster, FargateProfile, Plan, Subnet
from podcap.model.unknown import Unknown
from podcap.sources.config import parse_config
from podcap.sources.demand import apply_demand
from podcap.sources.safe_yaml import InputError
from podcap.sources.spec import SpecError, plan_from_spec_dict

SNAP = load_snapshot()


def _spec(profiles):
    return {"version": 1, "name": "demo", "vpc": {"cidr": "10.0.0.0/16"},
            "subnets": [{"name": "a", "cidr": "10.0.0.0/28", "az": "us-east-1a"},
                        {"name": "b", "cidr": "10.0.0.16/28", "az": "us-east-1b"},
                        {"name": "cp", "cidr": "10.0.9.0/24", "az": "us-east-1a"}],
            "cluster": {"subnets": ["cp"]}, "fargate_profiles": profiles}


def _check(plan):
    return check_plan(plan, CheckOptions(paths=[]), SNAP)


def test_pods_spread_evenly_rounded_up():
    r = _check(plan_from_spec_dict(_spec([{"name": "fp", "subnets": ["a", "b"], "pods": 21}]), "s.yaml"))
    at_max = {s.subnet: s.at_max for s in r.subnets}
    assert at_max["a"] == 11 and at_max["b"] == 11  # ceil(21 / 2) = 11 addresses each
    # a /28 has 16 - 5 = 11 usable: 11 fit exactly, no PC201
    assert not [f for f in r.findings if f.rule_id == "PC201"]
    assert r.checked == {"clusters": 1, "nodegroups": 0, "node_pools": 0, "fargate_profiles": 1, "subnets": 3}


def test_two_28_subnets_too_small():
    """The issue's case: a Fargate profile in two /28 subnets for 25 pods: ceil(25 / 2) = 13 > 11 usable."""
    r = _check(plan_from_spec_dict(_spec([{"name": "fp", "subnets": ["a", "b"], "pods": 25}]), "s.yaml"))
    assert {f.resource for f in r.findings if f.rule_id == "PC201"} == {"a", "b"}
    assert r.exit_code() == 1


def test_no_pods_stated_is_pc001_naming_the_key():
    r = _check(plan_from_spec_dict(_spec([{"name": "fp", "subnets": ["a"]}]), "s.yaml"))
    msgs = [f.message for f in r.findings if f.rule_id == "PC001" and f.resource == "fp"]
    assert any("fargate_profiles[].pods" in m and "{resource: fp, pods: N}" in m for m in msgs)
    assert {s.subnet: s.at_max for s in r.subnets}["a"] is None


def test_cloudformation_hint_and_demand_config():
    plan = Plan(source="t.yaml", kind="cloudformation")
    plan.subnets["A"] = Subnet(id="A", cidr="10.0.0.0/24", az="us-east-1a")
    plan.clusters["C"] = Cluster(id="C", subnets=["A"])
    plan.fargate_profiles.append(FargateProfile(name="Profile", cluster="C", subnets=["A"]))
    r = _check(plan)
    assert any("Metadata.podcap.pods" in f.message for f in r.findings if f.rule_id == "PC001")
    cfg = parse_config({"demand": [{"resource": "Profile", "pods": 40}]}, ".podcap.yaml")
    plan2 = Plan(source="t.yaml", kind="cloudformation", subnets=dict(plan.subnets), clusters=dict(plan.clusters))
    plan2.fargate_profiles.append(FargateProfile(name="Profile", cluster="C", subnets=["A"]))
    apply_demand(plan2, cfg.demand)
    r2 = _check(plan2)
    assert {s.subnet: s.at_max for s in r2.subnets}["A"] == 40 + 4  # 40 pods + 4 control-plane ENIs (1 subnet)


def test_profile_without_subnets_is_unknown():
    plan = Plan(source="t.yaml", kind="terraform-plan")
    plan.subnets["A"] = Subnet(id="A", cidr="10.0.0.0/24", az="us-east-1a")
    plan.clusters["C"] = Cluster(id="C", subnets=["A"])
    plan.fargate_profiles.append(FargateProfile(name="fp", cluster="C", subnets=[], pods=10))
    r = _check(plan)
    assert any("names no subnets" in f.message for f in r.findings if f.rule_id == "PC001")
    assert {s.subnet: s.at_max for s in r.subnets}["A"] is None  # the cluster's subnets may take them


def test_unknown_subnet_list():
    plan = Plan(source="t.yaml", kind="terraform-plan")
    plan.subnets["A"] = Subnet(id="A", cidr="10.0.0.0/24", az="us-east-1a")
    plan.fargate_profiles.append(FargateProfile(name="fp", subnets=Unknown("known after apply"), pods=5))
    r = _check(plan)
    assert any("known after apply" in f.message for f in r.findings if f.rule_id == "PC001")


def test_demand_config_validation_caps_the_lines():
    bad = {"demand": [{"resource": f"r{i}", "pods": -1} for i in range(30)]}
    with pytest.raises(InputError) as e:
        parse_config(bad, ".podcap.yaml")
    lines = str(e.value).splitlines()
    assert len(lines) == 21 and lines[-1].endswith("and 10 more problems")  # 20 shown, then the rest counted
    with pytest.raises(InputError, match="give at least one of"):
        parse_config({"demand": [{"resource": "x"}]}, ".podcap.yaml")
    with pytest.raises(InputError, match="unknown key|not allowed|did you mean|max_node"):
        parse_config({"demand": [{"resource": "x", "max_node": 3}]}, ".podcap.yaml")


def test_spec_rejects_unknown_subnet_in_profile():
    with pytest.raises(SpecError, match="no subnet named 'zz'"):
        plan_from_spec_dict(_spec([{"name": "fp", "subnets": ["zz"], "pods": 1}]), "s.yaml")


@pytest.mark.parametrize("kind", ["terraform-plan", "cloudformation", "eksctl", "spec"])
@pytest.mark.parametrize("live", [False, True])
def test_demand_pc001_fix_names_the_key_and_no_flag(kind, live):
    """A pod count no template, plan variable or AWS API states: the fix names the demand key, never -var,
    --parameter or --live (issue 10 sections 2-3)."""
    from podcap.rules.unresolved import fix_for

    plan = Plan(source="t", kind=kind)
    plan.subnets["A"] = Subnet(id="A", cidr="10.0.0.0/24", az="us-east-1a")
    plan.clusters["C"] = Cluster(id="C", subnets=["A"])
    plan.fargate_profiles.append(FargateProfile(name="fp", cluster="C", subnets=["A"]))
    plan.live = live
    r = _check(plan)
    (f,) = [f for f in r.findings if f.rule_id == "PC001" and "pod count" in f.message]
    assert "{resource: fp, pods: N}" in f.fix
    assert not any(flag in f.fix for flag in ("-var", "--parameter", "--live"))
    # other unknowns keep the fix of their source and flags
    assert "-var" in fix_for("terraform-plan", False, "known only after apply")
