"""Windows nodes and security groups for pods where the VPC resource controller serves a type otherwise than
asked, computed by hand from aws/amazon-vpc-resource-controller-k8s, through `podcap node` / `podcap maxpods`
with --format json.

* pkg/provider/ip/provider.go UpdateResourceCapacity: Windows prefix delegation only on a Nitro type
  (utils.IsNitroInstance: bare metal or hypervisor "nitro"); "Non-nitro instances continue using secondary IP
  mode" with GetWinWarmPoolConfig(..., false), the secondary-IP config, which keeps the defaults (warm 3,
  minimum 3) when prefix delegation is on: LoadResourceConfigFromConfigMap writes the ConfigMap's targets into
  the prefix config then.
* pkg/aws/ec2/instance.go LoadDetails / pkg/node/node.go InitResources: a type missing from the controller's
  limits table (pkg/aws/vpc/limits.go) is "not supported yet by the vpc resource controller": no provider, no
  Windows address, no trunk ENI (branch provider IsInstanceSupported: found && IsTrunkingCompatible).
  c8in.large (4 ENIs x 20 IPv4, Nitro) is in the VPC CNI's table but not in the controller's.
"""
from __future__ import annotations

import json

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli


def run(*args: str) -> tuple[int, object]:
    r = cli([*args, "--format", "json"]).assert_promise()
    return r.code, json.loads(r.out)


def test_prefix_delegation_on_a_xen_type_keeps_secondary_ips_with_default_targets():
    # m4.large (xen, 10 IPv4 per ENI): 9 secondary slots; warm 3 / minimum 3 whatever the ConfigMap asks of
    # the prefix pool: 5 pods hold min(max(5 + 3, 3), 9) = 8 IPs, + the node's own = 9 subnet addresses
    for extra in ((), ("--warm-ip-target", "1", "--minimum-ip-target", "1")):
        code, d = run("node", "m4.large", "--os", "windows", "--prefix-delegation", "--pods", "5", *extra)
        assert code == 0
        assert (d["network_max_pods"], d["prefixes"], d["secondary_ips"], d["subnet_addresses"]) == (9, 0, 8, 9)
        assert any("not a Nitro type" in n for n in d["notes"])


def test_prefix_delegation_on_a_nitro_type_takes_prefixes():
    # m5.large (nitro): (10 - 1) x 16 = 144 addresses; PD defaults warm 1 / minimum 3: 5 pods hold
    # max(ceil((5 + 1) / 16), ceil(3 / 16)) = 1 prefix = 16 addresses, + 1 = 17
    code, d = run("node", "m5.large", "--os", "windows", "--prefix-delegation", "--pods", "5")
    assert code == 0
    assert (d["network_max_pods"], d["prefixes"], d["pool_addresses"], d["subnet_addresses"]) == (144, 1, 16, 17)


def test_maxpods_windows_xen_capacity_is_secondary():
    # m4.large 10 - 1 = 9, t2.micro 2 - 1 = 1, c4.8xlarge 30 - 1 = 29 (not x 16)
    _, rows = run("maxpods", "m4.large", "t2.micro", "c4.8xlarge", "--os", "windows", "--prefix-delegation")
    assert [r["network_max_pods"] for r in rows] == [9, 1, 29]


def test_a_type_the_controller_does_not_list_gets_no_windows_address():
    _, rows = run("maxpods", "c8in.large", "--os", "windows")
    assert rows[0]["network_max_pods"] == 0
    assert any("not in the VPC resource controller's limits table" in n for n in rows[0]["notes"])
    code, d = run("node", "c8in.large", "--os", "windows", "--pods", "5")
    assert code == 1 and d["network_max_pods"] == 0 and "error" in d


def test_a_type_the_controller_does_not_list_gets_no_trunk_eni():
    # ipamd still keeps a slot for the trunk (IsTrunkingCompatible is true for a type it cannot find), so
    # pods use 3 ENIs x 19 + 2 = 59; 5 pods with WARM_ENI_TARGET=1: 2 ENIs x 19 = 38 secondary IPs + 2
    # primaries = 40 subnet addresses, and no trunk ENI (m5.large, listed, gets one)
    code, d = run("node", "c8in.large", "--security-groups-for-pods", "--pods", "5")
    assert code == 0
    assert (d["trunk_eni"], d["enis"], d["secondary_ips"], d["subnet_addresses"]) == (False, 2, 38, 40)
    _, listed = run("node", "m5.large", "--security-groups-for-pods", "--pods", "5")
    assert listed["trunk_eni"] is True and listed["subnet_addresses"] == 21  # 2 + 18 + 1 trunk


def test_pc106_names_a_type_the_controller_does_not_list(tmp_path):
    # 4 security-group pods per node on c8in.large: the controller gives it no branch ENI (0 < 4): PC106
    p = tmp_path / "spec.yaml"
    p.write_text("version: 1\nname: demo\nvpc: {cidr: 10.0.0.0/16}\n"
                 "subnets:\n  - {name: a, az: us-east-1a, cidr: 10.0.0.0/22}\n"
                 "cluster:\n  cni:\n    env: {ENABLE_POD_ENI: \"true\"}\n"
                 "nodegroups:\n  - {name: ng, instance_types: [c8in.large], subnets: [a], min: 1,"
                 " desired: 1, max: 2, sgp_pods_per_node: 4}\n")
    code, d = run("check", str(p))
    found = [f for f in d["findings"] if f["rule_id"] == "PC106"]
    assert code == 1 and len(found) == 1 and found[0]["data"]["branch_enis"] == 0
    assert "not in the VPC resource controller's limits table" in found[0]["message"]
