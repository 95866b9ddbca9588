"""The aws-vpc-cni chart installed with the Quick Start's ``AWSQS::Kubernetes::Helm`` registry type
(aws-quickstart/quickstart-helm-resource-provider: schema awsqs-kubernetes-helm.json, values built by
``processValues`` in cmd/resource/utils.go): ``ValueYaml`` is a values file's text, ``Values`` maps
``--set`` keys to values (each ``key=value`` parsed by Helm's strvals, so a comma starts another pair) and
wins over ``ValueYaml`` (``mergeMaps``), and a file in S3 named by ``ValueOverrideURL`` wins over both.

Same cluster, subnets and node group as tests/test_cdk_helm_chart_cni_handcomputed.py, hand-computed there:
m5.large, two /24 subnets, max 4 nodes (2 per subnet), 2 control-plane addresses per subnet:

* defaults: 29 max pods, 27 pods, 30 addresses per node, 2 x 30 + 2 = 62 per subnet;
* prefix delegation: 110 (434 capped, <= 30 vCPUs), 108 pods, 7 prefixes x 16 + 1 = 113 per node,
  2 x 113 + 2 = 228 per subnet.
"""
from __future__ import annotations

try:
    from test_cdk_helm_chart_cni_handcomputed import USER_DATA, check, figures, rules, template
except ImportError:  # pragma: no cover
    from tests.test_cdk_helm_chart_cni_handcomputed import USER_DATA, check, figures, rules, template

DEFAULTS = (29, 27, 30, [62, 62])
PREFIXES = (110, 108, 113, [228, 228])
assert "--max-pods=110" in USER_DATA


def helm(chart: object = "eks/aws-vpc-cni", **props: object) -> dict:
    return {"Type": "AWSQS::Kubernetes::Helm", "Properties": {
        "ClusterID": {"Ref": "Cluster"}, "Chart": chart, "Namespace": "kube-system",
        "Repository": "https://aws.github.io/eks-charts", "Name": "aws-vpc-cni", **props}}


def test_values_set_keys_turn_on_prefix_delegation(tmp_path):
    _, report = check(tmp_path, template(helm(Values={"env.ENABLE_PREFIX_DELEGATION": "true"})))
    assert figures(report) == PREFIXES
    assert "PC105" not in rules(report) and "PC001" not in rules(report)


def test_value_yaml_is_read_and_values_win_over_it(tmp_path):
    yaml_on = 'env:\n  ENABLE_PREFIX_DELEGATION: "true"\n  WARM_PREFIX_TARGET: "1"\n'
    _, on = check(tmp_path, template(helm(ValueYaml=yaml_on)))
    assert figures(on) == PREFIXES
    _, off = check(tmp_path, template(helm(ValueYaml=yaml_on, Values={"env.ENABLE_PREFIX_DELEGATION": "false"})))
    assert figures(off) == DEFAULTS and off["findings"] == []


def test_a_comma_in_a_value_starts_another_set_pair(tmp_path):
    # strvals reads "env.WARM_ENI_TARGET=1,env.ENABLE_PREFIX_DELEGATION=true" as two settings
    _, report = check(tmp_path, template(helm(Values={"env.WARM_ENI_TARGET": "1,env.ENABLE_PREFIX_DELEGATION=true"})))
    assert figures(report) == PREFIXES
    # escaped, the comma is part of the value: prefix delegation stays off
    _, report = check(tmp_path, template(helm(Values={"env.WARM_ENI_TARGET": "1\\,env.ENABLE_PREFIX_DELEGATION=true"})))
    assert figures(report)[:3] == DEFAULTS[:3]


def test_group_not_ordered_after_the_release_is_pc105(tmp_path):
    _, report = check(tmp_path, template(helm(Values={"env.ENABLE_PREFIX_DELEGATION": "true"}), ordered=False))
    (pc105,) = [f for f in report["findings"] if f["rule_id"] == "PC105"]
    assert "110 if the add-on is configured first" in pc105["message"] and "29" in pc105["message"]


def test_values_from_s3_are_pc001_and_no_guessed_pc102(tmp_path):
    code, report = check(tmp_path, template(helm(), self_managed=True))
    assert code == 1 and "PC102" in rules(report)  # defaults known: --max-pods=110 > 29
    code, report = check(tmp_path, template(helm(ValueOverrideURL="s3://bucket/cni-values.yaml"), self_managed=True))
    assert code == 0 and rules(report) == {"PC001"}
    assert any("ValueOverrideURL" in f["message"] for f in report["findings"])


def test_unknown_chart_name_and_bad_set_pair_are_pc001(tmp_path):
    doc = template(helm({"Ref": "ChartName"}))
    doc["Parameters"] = {"ChartName": {"Type": "String"}}
    _, report = check(tmp_path, doc)
    assert any("the chart name is not known" in f["message"] for f in report["findings"])
    _, report = check(tmp_path, template(helm(Values={"env.WARM_ENI_TARGET": "1,oops"})))
    assert any("has no value" in f["message"] for f in report["findings"] if f["rule_id"] == "PC001")


def test_other_charts_are_not_read_and_not_flagged(tmp_path):
    code, report = check(tmp_path, template(helm("karpenter/karpenter", Values={"settings.clusterName": "c"})))
    assert code == 0 and report["findings"] == [] and figures(report) == DEFAULTS
