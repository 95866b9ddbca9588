"""A synthetic `terraform show -json` plan of a chosen size, for benchmarks.

The plan has one VPC (10.0.0.0/8, so there is room for thousands of subnets), one EKS cluster with the
vpc-cni add-on configured through ``configuration_values``, and many subnets split into families
(``aws_subnet.f<k>`` with ``count``), each with a realistic load of tags so the file reaches the size
asked for. Every node group (``aws_eks_node_group.g<j>``) references one family through the plan's
``configuration`` block, the way `terraform show -json` records ``subnet_ids = aws_subnet.f3[*].id``;
instance types (two per group) and scaling sizes vary, so the engine and the rules have real work on
every subnet.

The size is reached by choosing the subnet count from the size of one subnet's entries, so a request
for ``mb`` megabytes lands within a few percent of it (never below the smallest plan with one subnet
per family).

Run on its own to write a plan: python bench/tfplan_gen.py --mb 5 -o /tmp/plan.json
"""
from __future__ import annotations

import argparse
import json
from typing import Any

INSTANCE_TYPES = [
    "m5.large", "m5.xlarge", "c5.2xlarge", "r5.4xlarge", "m6i.8xlarge", "t3.medium", "c6g.large",
    "m7g.xlarge", "c5.18xlarge", "r6i.large", "m5a.large", "c6i.large", "c6a.large", "m6a.2xlarge",
]
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
TAG_COUNT, TAG_VALUE_LEN = 40, 40
MAX_SUBNETS = 256 * 64  # one /22 block per subnet in 10.0.0.0/8


def _tags(i: int) -> dict[str, str]:
    return {f"tag{t}": f"{i:08d}".ljust(TAG_VALUE_LEN, "x") for t in range(TAG_COUNT)}


def _change(address: str, rtype: str, name: str, after: dict, unknown: dict, index: Any = None) -> dict:
    rc = {"address": address, "mode": "managed", "type": rtype, "name": name,
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown,
                     "before_sensitive": False, "after_sensitive": {}}}
    if index is not None:
        rc["index"] = index
    return rc


def _planned(rc: dict) -> dict:
    p = {k: rc[k] for k in ("address", "mode", "type", "name", "provider_name") if k in rc}
    if "index" in rc:
        p["index"] = rc["index"]
    p["schema_version"] = 0
    p["values"] = rc["change"]["after"]
    p["sensitive_values"] = {}
    return p


def _subnet(family: int, index: int, serial: int) -> dict:
    prefix = 24 if serial % 4 else 22  # a mix of /24 and /22 subnets
    # serial -> a distinct 10.x.y.0 block; /22 blocks use the 4-aligned third octet of their own /16
    second, third = divmod(serial, 64)
    cidr = f"10.{second}.{third * 4}.0/{prefix}"
    tags = _tags(serial)
    after = {"availability_zone": AZS[serial % 3], "cidr_block": cidr, "ipv6_cidr_block": None,
             "map_public_ip_on_launch": False, "tags": tags, "tags_all": tags}
    unknown = {"arn": True, "id": True, "owner_id": True, "vpc_id": True, "availability_zone_id": True,
               "ipv6_cidr_block_association_id": True, "tags_all": {}}
    return _change(f"aws_subnet.f{family}[{index}]", "aws_subnet", f"f{family}", after, unknown, index)


def _subnet_bytes() -> int:
    rc = _subnet(0, 0, 1)
    return len(json.dumps(rc)) + len(json.dumps(_planned(rc))) + 4


def build_plan(n_subnets: int, n_groups: int, n_families: int | None = None) -> dict:
    """The plan document: ``n_subnets`` subnets in ``n_families`` families, ``n_groups`` node groups."""
    if n_subnets > MAX_SUBNETS:
        raise ValueError(f"at most {MAX_SUBNETS} subnets fit the 10.0.0.0/8 layout, {n_subnets} asked")
    families = max(1, min(n_families or max(n_groups // 2, 1), n_subnets))
    changes: list[dict] = []
    conf_resources: list[dict] = [
        {"address": "aws_vpc.main", "mode": "managed", "type": "aws_vpc", "name": "main",
         "expressions": {"cidr_block": {"constant_value": "10.0.0.0/8"}}},
        {"address": "aws_eks_cluster.c", "mode": "managed", "type": "aws_eks_cluster", "name": "c",
         "expressions": {"name": {"constant_value": "big"},
                         "vpc_config": [{"subnet_ids": {"references": ["aws_subnet.f0"]}}]}},
        {"address": "aws_eks_addon.vpc_cni", "mode": "managed", "type": "aws_eks_addon", "name": "vpc_cni",
         "expressions": {"addon_name": {"constant_value": "vpc-cni"},
                         "cluster_name": {"references": ["aws_eks_cluster.c.name", "aws_eks_cluster.c"]},
                         "configuration_values": {"references": ["local.cni_config"]}}},
    ]
    changes.append(_change("aws_vpc.main", "aws_vpc", "main", {"cidr_block": "10.0.0.0/8", "tags": {"Name": "big"}},
                           {"id": True, "arn": True}))
    counts = [n_subnets // families + (1 if k < n_subnets % families else 0) for k in range(families)]
    serial = 0
    for k, count in enumerate(counts):
        for i in range(count):
            changes.append(_subnet(k, i, serial))
            serial += 1
        conf_resources.append({
            "address": f"aws_subnet.f{k}", "mode": "managed", "type": "aws_subnet", "name": f"f{k}",
            "count_expression": {"constant_value": count},
            "expressions": {"vpc_id": {"references": ["aws_vpc.main.id", "aws_vpc.main"]},
                            "cidr_block": {"references": ["aws_vpc.main.cidr_block", "aws_vpc.main", "count.index"]},
                            "availability_zone": {"references": ["count.index"]}}})
    changes.append(_change("aws_eks_cluster.c", "aws_eks_cluster", "c",
                           {"name": "big", "vpc_config": [{"endpoint_private_access": True}]},
                           {"id": True, "arn": True, "vpc_config": [{"subnet_ids": True}]}))
    cni = {"env": {"WARM_ENI_TARGET": "1", "WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}}
    changes.append(_change("aws_eks_addon.vpc_cni", "aws_eks_addon", "vpc_cni",
                           {"addon_name": "vpc-cni", "configuration_values": json.dumps(cni)},
                           {"id": True, "arn": True, "cluster_name": True}))
    for j in range(n_groups):
        itypes = [INSTANCE_TYPES[j % len(INSTANCE_TYPES)], INSTANCE_TYPES[(j * 5 + 3) % len(INSTANCE_TYPES)]]
        lo = 1 + j % 3
        after = {"node_group_name": f"g{j}", "instance_types": itypes,
                 "ami_type": "AL2023_x86_64_STANDARD" if "g." not in itypes[0] else "AL2023_ARM_64_STANDARD",
                 "scaling_config": [{"min_size": lo, "desired_size": lo * 2, "max_size": 10 + 10 * (j % 5)}],
                 "labels": {"team": f"t{j % 7}"}, "tags": {"Name": f"g{j}"}}
        changes.append(_change(f"aws_eks_node_group.g{j}", "aws_eks_node_group", f"g{j}", after,
                               {"subnet_ids": True, "id": True, "arn": True, "cluster_name": True}))
        fam = f"aws_subnet.f{j % families}"
        conf_resources.append({
            "address": f"aws_eks_node_group.g{j}", "mode": "managed", "type": "aws_eks_node_group", "name": f"g{j}",
            "expressions": {"cluster_name": {"references": ["aws_eks_cluster.c.name", "aws_eks_cluster.c"]},
                            "node_group_name": {"constant_value": f"g{j}"},
                            "instance_types": {"constant_value": itypes},
                            "subnet_ids": {"references": [fam]}}})
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": [_planned(rc) for rc in changes]}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                          "root_module": {"resources": conf_resources}},
    }


def plan_for_size(mb: float, n_groups: int = 100, n_families: int | None = None) -> dict:
    """A plan whose JSON is about ``mb`` megabytes (10**6 bytes): the smallest plan with these node
    groups and families, plus as many subnets as the remaining bytes hold."""
    families = max(n_families or max(n_groups // 2, 1), 1)
    floor_bytes = len(json.dumps(build_plan(families, n_groups, families)))
    extra = int((mb * 1_000_000 - floor_bytes) / _subnet_bytes())
    return build_plan(max(families + extra, 1), n_groups, n_families)


def write_plan(path: str, mb: float, n_groups: int = 100, n_families: int | None = None) -> dict:
    """Write the plan to ``path``; returns its shape (subnets, node groups, families, bytes)."""
    doc = plan_for_size(mb, n_groups, n_families)
    text = json.dumps(doc)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    rc = doc["resource_changes"]
    return {
        "subnets": sum(1 for r in rc if r["type"] == "aws_subnet"),
        "node_groups": sum(1 for r in rc if r["type"] == "aws_eks_node_group"),
        "families": sum(1 for r in doc["configuration"]["root_module"]["resources"] if r["type"] == "aws_subnet"),
        "bytes": len(text.encode()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--groups", type=int, default=100, help="node groups (default 100)")
    ap.add_argument("--families", type=int, help="subnet families (default: node groups / 2)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    print(json.dumps(write_plan(a.output, a.mb, a.groups, a.families)))


if __name__ == "__main__":
    main()
