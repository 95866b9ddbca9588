"""`podcap size --surge S` never sizes for more nodes than an EKS managed node group update adds: the group
grows by max(2 x AZs, maxUnavailable) and "the maximum unavailable has a quota of 100 nodes" (EKS user guide,
managed-node-update-behavior), so at most max(2 x AZs, 100).

m5.large, 12 nodes over 2 AZs, default settings: max pods 3 x 9 + 2 = 29, 27 address-taking pods, which hold
all 3 ENIs: 27 secondary IPs + 3 primaries = 30 addresses a node. --surge 150 is capped at 100:
(12 + 100) / 2 = 56 nodes an AZ during the update, 56 x 30 + 2 control-plane ENIs (4 over 2 subnets) = 1682,
a /21 (2048 - 5 = 2043 usable); uncapped it would be (12 + 150) / 2 = 81 nodes, 2432, a /20.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli


def size(*args: str) -> dict:
    run = cli(["size", "--instance-type", "m5.large", "--nodes", "12", "--azs", "2", *args,
               "--format", "json"]).assert_promise()
    return json.loads(run.out)


def test_surge_above_the_quota_is_capped():
    d = size("--surge", "150")
    assert [(z["surge_nodes"], z["addresses_during_surge"]) for z in d["azs"]] == [(56, 1682), (56, 1682)]
    assert d["subnet_prefix_length"] == 21
    assert any("capped at 100" in n for n in d["notes"])
    # within the quota S stands: (12 + 10) / 2 = 11 nodes, 11 x 30 + 2 = 332
    d = size("--surge", "10")
    assert [z["surge_nodes"] for z in d["azs"]] == [11, 11] and not any("capped" in n for n in d["notes"])
