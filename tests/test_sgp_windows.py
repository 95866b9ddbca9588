"""Security groups for pods as the CNI does it today, and Windows nodes.

Sources: aws/amazon-vpc-cni-k8s pkg/ipamd/ipamd.go ``hasRoomForEni`` and pkg/awsutils ``IsTrunkingCompatible``
(commit b52188387f2e); aws/amazon-vpc-resource-controller-k8s pkg/aws/vpc/limits.go (IsTrunkingCompatible,
BranchInterface), pkg/config/loader.go, pkg/pool/pool.go, pkg/provider/{ip,prefix}/provider.go (commit
b8d425119bdb); EKS user guide windows-support. Figures hand-computed beside each assertion.
"""
from __future__ import annotations

import json

from podcap.check import CheckOptions, check_plan
from podcap.cli import main
from podcap.engine.maxpods import max_pods
from podcap.engine.settings import parse_env
from podcap.engine.windows import (
    WindowsSettings,
    parse_windows_config,
    windows_allocation,
    windows_capacity,
    windows_max_pods,
)
from podcap.limits import load_snapshot
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet, Vpc

SNAP = load_snapshot()
SGP = parse_env({"ENABLE_POD_ENI": "true"}).settings


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the trunk ENI slot ----------------------------------------------------------------------------------


def test_trunk_slot_only_on_trunking_types():
    # t3.medium cannot trunk (resource controller table): all 3 ENIs x (6 - 1) + 2 = 17 (podcap said 12)
    t3 = SNAP.get("t3.medium")
    assert t3.trunking is False
    assert max_pods(t3, SGP).network_max_pods == 3 * 5 + 2 == 17
    # m4.large (Xen, no trunking): 2 x 9 + 2 = 20 (podcap said 11)
    assert max_pods(SNAP.get("m4.large"), SGP).network_max_pods == 2 * 9 + 2 == 20
    # m5.large can trunk: one of its 3 slots is held for the trunk: 2 x 9 + 2 = 20
    m5 = SNAP.get("m5.large")
    assert m5.trunking is True
    assert max_pods(m5, SGP).network_max_pods == 20


def test_maxpods_cli_sgp_and_json_fields(capsys):
    code, out, _ = run(capsys, "maxpods", "t3.medium", "m4.large", "m5.large", "--security-groups-for-pods",
                       "--format", "json")
    rows = {r["instance_type"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["t3.medium"]["network_max_pods"] == 17 and rows["m4.large"]["network_max_pods"] == 20
    assert (rows["m5.large"]["trunking"], rows["m5.large"]["branch_enis"]) == (True, 9)
    assert (rows["t3.medium"]["trunking"], rows["t3.medium"]["branch_enis"]) == (False, 0)
    for r in rows.values():
        assert {"max_pods", "ami_default_max_pods", "managed_max_pods", "trunking", "branch_enis"} <= set(r)


def _plan(types=("m5.large",), env=None, **ng):
    p = Plan(source="t.yaml", kind="spec")
    p.vpcs["v"] = Vpc("v", ["10.0.0.0/16"])
    p.subnets["a"] = Subnet("a", "10.0.0.0/24", "us-east-1a", vpc="v")
    p.clusters["c"] = Cluster("c", subnets=["a"], cni_env=env)
    kw = {"instance_types": list(types), "subnets": ["a"], "min_size": 1, "desired_size": 1, "max_size": 2,
          "cluster": "c"}
    kw.update(ng)
    p.nodegroups.append(NodeGroup("ng", **kw))
    return p


def _run(p):
    r = check_plan(p, CheckOptions(paths=[]), SNAP)
    return r, {f.rule_id for f in r.findings if f.suppressed is None}


def test_branch_eni_addresses_counted():
    # m5.large, ENABLE_POD_ENI: max pods 20 (user data) -> 18 address-taking pods, 5 of them on branch ENIs.
    # ipamd serves 13: ceil(13/9) + 1 = 3 ENIs wanted, room for 2 (trunk slot) -> 2 ENIs + 18 secondaries;
    # + the trunk's address + 5 branch ENIs = 2 + 18 + 1 + 5 = 26 per node
    r, ids = _run(_plan(env={"ENABLE_POD_ENI": "true"}, kubelet_max_pods=20, sgp_pods_per_node=5))
    assert r.nodegroups[0].addresses_per_node == 26
    assert "PC106" not in ids  # 5 <= 9 branch ENIs


def test_pc106_more_sgp_pods_than_branch_enis():
    # m5.large has 9 branch ENIs: 12 security-group pods per node leave 3 Pending
    r, ids = _run(_plan(env={"ENABLE_POD_ENI": "true"}, kubelet_max_pods=20, sgp_pods_per_node=12))
    f = next(f for f in r.findings if f.rule_id == "PC106")
    assert f.data == {"instance_type": "m5.large", "sgp_pods_per_node": 12, "branch_enis": 9}
    assert "3 pod(s) per node would stay Pending" in f.fix
    # t3.medium cannot trunk: 0 branch ENIs, any such pod is an error
    r, ids = _run(_plan(types=("t3.medium",), env={"ENABLE_POD_ENI": "true"}, sgp_pods_per_node=1))
    f = next(f for f in r.findings if f.rule_id == "PC106")
    assert f.data["branch_enis"] == 0 and "not trunking-compatible" in f.message
    # ENABLE_POD_ENI off: no trunk at all
    r, ids = _run(_plan(sgp_pods_per_node=1))
    assert "PC106" in ids and "ENABLE_POD_ENI" in next(f for f in r.findings if f.rule_id == "PC106").message


# -- Windows ---------------------------------------------------------------------------------------------


def test_windows_max_pods_and_capacity():
    m5 = SNAP.get("m5.large")
    assert windows_max_pods(m5) == 10 - 1 == 9  # EKS user guide, windows-support
    assert windows_capacity(m5, WindowsSettings()) == 9
    # Windows prefix delegation: 9 /28s on the primary ENI = 144 addresses
    assert windows_capacity(m5, parse_windows_config({"enable-windows-prefix-delegation": "true"})) == 144


def test_windows_config_defaults_as_the_controller_reads_them():
    # no ConfigMap data: warm 3, minimum 3 (IPv4DefaultWinWarmIPTarget / MinIPTarget)
    assert parse_windows_config(None) == WindowsSettings(False, 3, 3, 0)
    # explicit warm-ip-target 0 in secondary-IP mode becomes 1; minimum absent -> 0
    assert parse_windows_config({"warm-ip-target": "0"}) == WindowsSettings(False, 1, 0, 0)
    # windows- prefixed keys count when the plain ones are absent
    assert parse_windows_config({"windows-warm-ip-target": "5"}) == WindowsSettings(False, 5, 0, 0)
    # prefix delegation with no targets: warm 1, minimum 3, warm prefixes 0 (IPv4PDDefault*)
    assert parse_windows_config({"enable-windows-prefix-delegation": "true"}) == WindowsSettings(True, 1, 3, 0)
    # prefix delegation with only a warm prefix target: that alone decides
    assert parse_windows_config({"enable-windows-prefix-delegation": "true", "warm-prefix-target": "1"}) == \
        WindowsSettings(True, 0, 0, 1)


def test_windows_allocation():
    m5 = SNAP.get("m5.large")
    # secondary IPs, 5 pods: max(5 + 3, 3) = 8 addresses held, + the node's own = 9
    a = windows_allocation(m5, WindowsSettings(), 5)
    assert (a.secondary_ips, a.subnet_addresses) == (8, 9)
    # 8 pods: max(8 + 3, 3) = 11, capped at the 9 the primary ENI offers -> 10 addresses
    assert windows_allocation(m5, WindowsSettings(), 8).subnet_addresses == 10
    # prefix delegation defaults, 20 pods: max(ceil((20 + 1) / 16), ceil(3 / 16)) = 2 prefixes -> 1 + 32
    pd = parse_windows_config({"enable-windows-prefix-delegation": "true"})
    a = windows_allocation(m5, pd, 20)
    assert (a.prefixes, a.subnet_addresses) == (2, 33)
    # warm prefix target 1 only, 20 pods: ceil(20 / 16) + 1 = 3 prefixes -> 1 + 48
    wpt = parse_windows_config({"enable-windows-prefix-delegation": "true", "warm-prefix-target": "1"})
    assert windows_allocation(m5, wpt, 20).subnet_addresses == 49


def test_windows_node_group_in_a_check():
    # os windows, m5.large full: 9 pods (no host-network pods on Windows), 1 + 9 = 10 addresses per node;
    # no EKS-written Linux figure
    r, ids = _run(_plan(os="windows"))
    (ng,) = r.nodegroups
    assert (ng.max_pods, ng.network_max_pods, ng.pods_per_node, ng.addresses_per_node) == (9, 9, 9, 10)
    assert any("Windows AMI default" in n for n in r.notes)
    # kubelet max-pods above the primary ENI's 9: no PC102, the scheduler stops at the 9 addresses the
    # resource controller advertises (vpc.amazonaws.com/PrivateIPv4Address); the node still runs 9 pods
    r, ids = _run(_plan(os="windows", kubelet_max_pods=20, self_managed=True))
    assert "PC102" not in ids
    (ng,) = r.nodegroups
    assert (ng.pods_per_node, ng.addresses_per_node) == (9, 10)


def test_windows_cli(capsys):
    code, out, _ = run(capsys, "maxpods", "m5.large", "--os", "windows", "--format", "json")
    (row,) = json.loads(out)
    assert (row["network_max_pods"], row["max_pods"], row["ami_default_max_pods"]) == (9, 9, 9)
    code, out, _ = run(capsys, "node", "m5.large", "--os", "windows", "--pods", "5", "--format", "json")
    d = json.loads(out)
    assert code == 0 and (d["secondary_ips"], d["subnet_addresses"]) == (8, 9)
    code, _out, err = run(capsys, "node", "m5.large", "--os", "windows", "--pods", "10")
    assert code == 1 and "at most 9" in err
