"""NodePool disruption budgets (podcap.engine.disruption), checked against kubernetes-sigs/karpenter
pkg/apis/v1/nodepool.go: GetAllowedDisruptionsByReason takes the minimum of the budgets that list the reason or
none; Budget.GetAllowedDisruptions scales a percentage by the pool's nodes rounding up; no budgets is one of
nodes 10% (+kubebuilder:default), which EKS Auto Mode also uses (create-node-pool.html, "Disruption")."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from podcap.engine.disruption import (
    DEFAULT_BUDGETS,
    Budget,
    allowed_disruptions,
    read_budgets,
    replacement_surge,
)
from podcap.model.unknown import Unknown


def test_percentages_round_up():
    # nodepool.go's own example: 5% of 10 nodes is 0.5, rounded up to 1 rather than blocking every disruption
    assert Budget("5%").allowed(10) == 1
    # the Karpenter docs' example: 20% of 19 nodes = 3.8 -> 4
    assert Budget("20%").allowed(19) == 4
    assert (Budget("10%").allowed(2), Budget("10%").allowed(10), Budget("10%").allowed(11)) == (1, 1, 2)
    assert (Budget("0%").allowed(50), Budget("100%").allowed(7), Budget("3").allowed(100)) == (0, 7, 3)
    assert Budget("10%").allowed(0) == 0


def test_defaults():
    assert read_budgets(None, "w") == DEFAULT_BUDGETS == (Budget("10%"),)
    assert read_budgets({"consolidationPolicy": "WhenEmpty"}, "w") == DEFAULT_BUDGETS
    # a budget without nodes: the field's default, 10%
    assert read_budgets({"budgets": [{"reasons": ["Drifted"]}]}, "w") == (Budget("10%", ("Drifted",)),)
    # nodes written as a YAML number
    assert read_budgets({"budgets": [{"nodes": 5}]}, "w") == (Budget("5"),)


def test_reasons_and_schedules():
    budgets = read_budgets({"budgets": [
        {"nodes": "20%", "reasons": ["Empty", "Drifted"]},
        {"nodes": "5"},
        {"nodes": "0", "schedule": "@daily", "duration": "10m", "reasons": ["Underutilized"]},
    ]}, "w")
    # the Karpenter docs' example with 19 nodes: Drifted min(4, 5) = 4; Underutilized only the 5 (the 0 is
    # active ten minutes a day)
    assert allowed_disruptions(budgets, 19, "Drifted") == 4
    assert allowed_disruptions(budgets, 19, "Underutilized") == 5
    # the surge is the larger of the replacing reasons: 5
    assert replacement_surge(budgets, 19)[0] == 5
    # no budget applies to Underutilized: no cap, every node may be replaced
    only_drift = (Budget("1", ("Drifted",)),)
    assert allowed_disruptions(only_drift, 8, "Underutilized") is None
    assert replacement_surge(only_drift, 8) == (8, "no disruption budget limits Underutilized replacements")
    # an explicit empty list: no budget at all
    assert replacement_surge(read_budgets({"budgets": []}, "w"), 6)[0] == 6


def test_invalid_budgets_are_unknown():
    for d in ({"budgets": [{"nodes": "150%"}]}, {"budgets": [{"nodes": "-1"}]}, {"budgets": [{"nodes": "1.5"}]},
              {"budgets": [{"nodes": "10%", "reasons": ["Expired"]}]}, {"budgets": "10%"}, "x"):
        v = read_budgets(d, "m.yaml: NodePool p")
        assert isinstance(v, Unknown) and v.reason.startswith("invalid ") and v.where == "m.yaml: NodePool p"


@given(pct=st.integers(0, 100), n=st.integers(0, 2000), count=st.integers(0, 3000))
def test_surge_is_the_rounded_up_share_never_more_than_the_pool(pct, n, count):
    surge, _ = replacement_surge((Budget(f"{pct}%"),), n)
    assert surge == min(-(-pct * n // 100), n)
    # a larger pool never replaces fewer nodes at once
    assert replacement_surge((Budget(f"{pct}%"),), n + 1)[0] >= surge
    both, _ = replacement_surge((Budget(f"{pct}%"), Budget(str(count))), n)
    assert both == min(surge, count)
