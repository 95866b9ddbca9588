"""PC206: EKS needs up to five free addresses in the cluster's subnets to update the cluster (EKS user guide:
update-cluster; network-reqs asks for six, sixteen recommended, to create it)."""
from __future__ import annotations

from podcap.check import CheckOptions, check_plan
from podcap.limits import load_snapshot
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet, Vpc

SNAP = load_snapshot()


def plan(pods: int, cidrs=("10.0.0.0/27", "10.0.0.32/27"), cluster_subnets=("a", "b")) -> Plan:
    p = Plan(source="t.yaml", kind="spec")
    p.vpcs["v"] = Vpc("v", ["10.0.0.0/16"])
    for sid, c, az in zip("abc", cidrs, ("us-east-1a", "us-east-1b", "us-east-1c")):
        p.subnets[sid] = Subnet(sid, c, az, vpc="v")
    p.clusters["c"] = Cluster("c", subnets=list(cluster_subnets), cni_env={"WARM_IP_TARGET": "1"})
    p.nodegroups.append(NodeGroup("ng", cluster="c", instance_types=["m5.large"], subnets=["a", "b"],
                                  min_size=1, desired_size=1, max_size=2, pods_per_node=pods))
    return p


def run(p: Plan):
    r = check_plan(p, CheckOptions(paths=[]), SNAP)
    return r, [f for f in r.findings if f.suppressed is None]


def test_cluster_subnet_left_with_one_address():
    # m5.large, WARM_IP_TARGET=1, 20 pods: 21 secondaries over ENIs of 9 -> 3 ENIs; 3 + 21 = 24 per node.
    # max 2 nodes over 2 AZs -> 1 per /27 (32 - 5 = 27 usable) + ceil(4 control-plane ENIs / 2) = 2 -> 26,
    # 1 free < 5
    _r, fs = run(plan(20))
    pc206 = [f for f in fs if f.rule_id == "PC206"]
    assert {f.resource for f in pc206} == {"a", "b"}
    f = next(f for f in pc206 if f.resource == "a")
    assert (f.data["usable"], f.data["at_max"], f.data["free"], f.data["needed"]) == (27, 26, 1, 5)
    assert "free 4 more address(es)" in f.fix and "ng" in f.fix
    assert not any(f.rule_id == "PC201" for f in fs)


def test_enough_left():
    # 10 pods: 11 secondaries -> 2 ENIs; 2 + 11 = 13 + 2 = 15 of 27 -> 12 free
    _r, fs = run(plan(10))
    assert not any(f.rule_id == "PC206" for f in fs)


def test_overflow_is_pc201_not_pc206():
    # 24 pods: 25 secondaries -> 3 ENIs; 3 + 25 = 28 + 2 = 30 > 27 -> PC201 only
    _r, fs = run(plan(24))
    ids = {f.rule_id for f in fs}
    assert "PC201" in ids and "PC206" not in ids


def test_only_cluster_subnets_count():
    # the same 26-of-27 node subnets, but the cluster has its own /28s (c): no PC206 on a or b
    _r, fs = run(plan(20, cidrs=("10.0.0.0/27", "10.0.0.32/27", "10.0.0.64/28"), cluster_subnets=("c",)))
    assert not any(f.rule_id == "PC206" for f in fs)
