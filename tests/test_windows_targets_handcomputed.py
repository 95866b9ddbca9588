"""Windows nodes: the VPC resource controller's pool when a target is missing or negative, computed by hand
from aws/amazon-vpc-resource-controller-k8s and checked through `podcap node --os windows --format json`.

* ``pkg/config/loader.go`` ParseWinIPTargetConfigs: a missing warm-ip-target is 0; the defaults (warm 3,
  minimum 3) apply only when both targets are 0; strconv.Atoi keeps "-1".
* ``pkg/pool/pool.go`` calculateSecondaryIPDeviation: a negative target is replaced by its default (3);
  short = max(warm - free, minimum - held), so with warm 0 the pool stops at minimum-ip-target once those
  addresses are used, and later pods find the warm pool empty.

m5.large: 10 IPv4 per ENI, the primary ENI's 9 secondary slots serve pods; the node's own address is the 10th.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli


def node(*args: str) -> tuple[int, dict]:
    run = cli(["node", "m5.large", "--os", "windows", *args, "--format", "json"]).assert_promise()
    return run.code, json.loads(run.out)


def test_minimum_without_warm_target_starves_pods_beyond_it():
    # warm 0, minimum 5, 7 pods: the pool holds 5 (deviation 0 once 5 are used): 2 pods get no address,
    # 1 + 5 = 6 subnet addresses; exit 1 as for a Linux node whose settings starve pods
    code, d = node("--pods", "7", "--minimum-ip-target", "5")
    assert code == 1
    assert (d["secondary_ips"], d["starved_pods"], d["warm_addresses"], d["subnet_addresses"]) == (5, 2, 0, 6)
    # 4 pods fit in the 5: one free
    code, d = node("--pods", "4", "--minimum-ip-target", "5")
    assert code == 0 and (d["secondary_ips"], d["starved_pods"], d["warm_addresses"]) == (5, 0, 1)


def test_default_targets_keep_three_warm():
    # warm 3, minimum 3: 7 pods hold min(max(7 + 3, 3), 9) = 9 secondary IPs, 2 free
    code, d = node("--pods", "7")
    assert code == 0 and (d["secondary_ips"], d["starved_pods"], d["warm_addresses"]) == (9, 0, 2)


def test_negative_target_takes_the_default():
    # warm-ip-target -1 becomes 3 (minimum 0): 3 pods hold 3 + 3 = 6 secondary IPs, 7 subnet addresses
    code, d = node("--pods", "3", "--env", "warm-ip-target=-1")
    assert code == 0 and (d["secondary_ips"], d["subnet_addresses"]) == (6, 7)
