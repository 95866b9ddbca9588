"""A count / for_each resource whose own arguments read ``each.key``, ``each.value`` or ``count.index``: a
node group per AZ on ``[aws_subnet.private[each.key].id]``, figures computed by hand and checked through
``podcap check PLAN --format json`` (docs/report-json.md).

The plans are real ``terraform show -json`` output (Terraform 1.11.4, hashicorp/aws 5.100.0, dummy
credentials, ``terraform plan -refresh=false``, offline) of the configurations beside them in
``data/terraform-foreach/``. Terraform's configuration JSON records an argument's references, not the
expression: ``[aws_subnet.private[each.key].id]`` is ``["aws_subnet.private", "each.key"]``, and so is
``[for k, s in aws_subnet.private : s.id if k != each.key]``. podcap reads the first form only where the
collection has the instance's own keys (both made by one for_each / count), and says so in a note.

Instance facts (EC2 DescribeInstanceTypes, as in the VPC CNI's vpc_ip_resource_limit.go): m5.large 3 ENIs x
10 IPv4; c5.xlarge 4 x 15; t3.medium 3 x 6; t3.small 3 x 4. Max pods (EKS, secondary IPs, below 30 vCPUs
uncapped): ENIs x (IPv4 - 1) + 2; the 2 host-network pods (aws-node, kube-proxy) take no address. The
default WARM_ENI_TARGET=1 fills every ENI at those pod counts: addresses per node = ENIs x IPv4.

per-instance.tf (subnets a, b, c /26 = 64 - 5 = 59 usable; counted[0], [1] /27 = 27 usable; the cluster
on a, b, c: the control plane's up to 4 ENIs over 3 subnets, ceil(4 / 3) = 2 per subnet):

* by_value["web"] on ``aws_subnet.private[each.value.subnet]`` with subnet "b": m5.large, max pods 29, 27
  pods, 30 addresses; max 4 -> 120.
* by_value["batch"] on subnet "c": c5.xlarge, max pods 4 x 14 + 2 = 58, 56 pods, 60 addresses; max 3 -> 180.
* counted[i] on ``aws_subnet.counted[count.index]``: t3.medium, max pods 3 x 5 + 2 = 17, 15 pods, 18
  addresses; max 3 -> 54 > 27: PC201 on both /27s.
* per_subnet (``for_each = aws_subnet.private``, ``[each.value.id]``): t3.small, max pods 3 x 3 + 2 = 11, 9
  pods, 12 addresses; max 2 -> 24 in each of a, b, c.

So a: 24 + 2 = 26 (fits 59); b: 120 + 24 + 2 = 146 > 59; c: 180 + 24 + 2 = 206 > 59.
"""
from __future__ import annotations

import json
from pathlib import Path

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

DATA = Path(__file__).resolve().parent / "data" / "terraform-foreach"


def check(name: str) -> dict:
    run = cli(["check", str(DATA / name), "--format", "json"]).assert_promise()
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def by_subnet(report: dict) -> dict:
    return {s["subnet"]: s for s in report["subnets"]}


def findings(report: dict, rule: str) -> dict:
    return {f["resource"]: f for f in report["findings"] if f["rule_id"] == rule}


def test_each_value_count_index_and_for_each_over_subnets():
    report = check("per-instance-plan.json")
    subnets = by_subnet(report)
    a, b, c = (subnets[f'aws_subnet.private["{k}"]'] for k in "abc")
    assert sorted(a["nodegroups"]) == ['aws_eks_node_group.per_subnet["a"]']
    assert sorted(b["nodegroups"]) == ['aws_eks_node_group.by_value["web"]', 'aws_eks_node_group.per_subnet["b"]']
    assert sorted(c["nodegroups"]) == ['aws_eks_node_group.by_value["batch"]',
                                       'aws_eks_node_group.per_subnet["c"]']
    assert (a["usable"], a["at_max"]) == (59, 26)
    assert (b["at_max"], c["at_max"]) == (146, 206)
    # at min size: one node each: b 30 + 12 + 2 = 44, c 60 + 12 + 2 = 74, a 12 + 2 = 14
    assert (a["at_min"], b["at_min"], c["at_min"]) == (14, 44, 74)
    for i in range(2):
        s = subnets[f"aws_subnet.counted[{i}]"]
        assert s["nodegroups"] == [f"aws_eks_node_group.counted[{i}]"]
        assert (s["usable"], s["at_min"], s["at_max"]) == (27, 18, 54)
    pc201 = findings(report, "PC201")
    assert set(pc201) == {'aws_subnet.private["b"]', 'aws_subnet.private["c"]', "aws_subnet.counted[0]",
                          "aws_subnet.counted[1]"}
    assert "4 nodes x 30 addresses" in pc201['aws_subnet.private["b"]']["message"]
    assert "3 nodes x 60 addresses" in pc201['aws_subnet.private["c"]']["message"]
    assert not findings(report, "PC001")
    groups = {g["name"]: g for g in report["nodegroups"]}
    assert (groups['aws_eks_node_group.by_value["batch"]']["max_pods"],
            groups['aws_eks_node_group.by_value["batch"]']["addresses_per_node"]) == (58, 60)
    assert groups['aws_eks_node_group.per_subnet["a"]']["addresses_per_node"] == 12
    notes = "\n".join(report["notes"])
    assert ('aws_eks_node_group.by_value["web"]: subnet_ids: read as aws_subnet.private["b"] (the plan records '
            "only the references aws_subnet.private and each.value.subnet") in notes
    assert "read as aws_subnet.counted[1]" in notes
    assert "per_subnet" not in notes.split("read as")[0]  # each.value.id names the instance: nothing inferred


def test_per_az_group_resolved_and_a_filter_on_other_keys_left_unknown():
    """per-az.tf: subnets a (/26, 59) and b (/24, 251) from var.azs; ng[k] on
    ``[aws_subnet.private[each.key].id]``, for_each var.azs too: m5.large max 5 -> 150, plus the control
    plane ceil(4 / 2) = 2: a 152 > 59 (PC201), b 152 <= 251. others["a"] on
    ``[for k, s in aws_subnet.private : s.id if k != each.key]`` (keys {a} against the subnets' {a, b}):
    the same references, but not one key per instance: PC001, never read as aws_subnet.private["a"]."""
    report = check("per-az-plan.json")
    subnets = by_subnet(report)
    a, b = subnets['aws_subnet.private["a"]'], subnets['aws_subnet.private["b"]']
    assert 'aws_eks_node_group.ng["a"]' in a["nodegroups"] and 'aws_eks_node_group.ng["a"]' not in b["nodegroups"]
    assert 'aws_eks_node_group.ng["b"]' in b["nodegroups"] and 'aws_eks_node_group.ng["b"]' not in a["nodegroups"]
    pc201 = findings(report, "PC201")
    assert 'aws_subnet.private["a"]' in pc201
    assert "5 nodes x 30 addresses" in pc201['aws_subnet.private["a"]']["message"]
    assert 'aws_subnet.private["b"]' not in pc201
    pc001 = findings(report, "PC001")
    assert set(pc001) == {'aws_eks_node_group.others["a"]'}
    assert "each.key from aws_subnet.private, whose keys are not those of aws_eks_node_group.others" in \
        pc001['aws_eks_node_group.others["a"]']["message"]
    assert "read as aws_subnet.private" not in "\n".join(n for n in report["notes"] if "others" in n)
