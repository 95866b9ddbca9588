"""The recommended max pods of a bare-metal type with prefix delegation, by hand from awslabs/amazon-eks-ami
max-pods-calculator.sh: it uses the prefix formula only when DescribeInstanceTypes' Hypervisor is "nitro",
and bare metal reports none, so its figure is the secondary-IP formula, then the 110 / 250 vCPU cap. ipamd
itself treats bare metal as Nitro and hands out prefixes (the network capacity stays the prefix figure).

u-6tb1.metal: 5 ENIs x 30 IPv4 -> 5 x (30 - 1) + 2 = 147; with custom networking 4 x 29 + 2 = 118. The
shipped snapshot has no vCPU count for it (only AWS's published ENI tables list it), so the recommendation
is "110 or 147": 110 below 30 vCPUs, min(250, 147) above.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli


def maxpods(*args: str) -> dict:
    run = cli(["maxpods", "u-6tb1.metal", *args, "--format", "json"]).assert_promise()
    (row,) = json.loads(run.out)
    return row


def test_bare_metal_prefix_delegation_recommendation_is_the_calculators():
    row = maxpods("--prefix-delegation")
    assert row["max_pods"] is None and row["vcpus"] is None
    assert "recommended 110 or 147, vCPUs unknown" in row["notes"]
    assert row["network_max_pods"] == 5 * 29 * 16 + 2  # 2322: ipamd's prefixes on bare metal
    row = maxpods("--prefix-delegation", "--custom-networking")
    assert "recommended 110 or 118, vCPUs unknown" in row["notes"]


def test_bare_metal_text_output():
    run = cli(["node", "u-6tb1.metal", "--pods", "10", "--prefix-delegation"]).assert_promise()
    assert "recommended 110 or 147, vCPUs unknown" in run.out
