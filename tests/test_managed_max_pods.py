"""The max pods EKS writes for managed node groups, and the precedence that decides what a node runs.

Sources: EKS user guide (create-managed-node-group, choosing-instance-type "How maxPods is determined",
cni-increase-ip-addresses); awslabs/amazon-eks-ami max-pods-calculator.sh (templates/al2/runtime, last at
commit b22890309b36^) and nodeadm/internal/kubelet (CalcMaxPods). Figures hand-computed beside each assertion.
"""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from podcap.analysis import analyse
from podcap.check import CheckOptions, check_plan
from podcap.engine.managed import managed_max_pods
from podcap.engine.maxpods import calculator_max_pods, max_pods
from podcap.engine.settings import CniSettings, parse_env
from podcap.limits import load_snapshot
from podcap.model.plan import Cluster, NodeGroup, Plan, Subnet, Vpc
from podcap.model.unknown import Unknown

SNAP = load_snapshot()


def env(**kw) -> CniSettings:
    return parse_env({k: str(v) for k, v in kw.items()}).settings


DEFAULT = env()
PD = env(ENABLE_PREFIX_DELEGATION="true")


# -- the figure itself -----------------------------------------------------------------------------------


def test_issue_figures():
    # m5.4xlarge: 8 ENIs x (30 - 1) + 2 = 234, 16 vCPUs <= 30 -> capped at 110 (the AMI table said 234)
    m = managed_max_pods(SNAP.get("m5.4xlarge"), DEFAULT)
    assert (m.recommended, m.cap, m.value) == (234, 110, 110)
    assert "capped at 110" in m.note
    # c5.18xlarge: 15 x (50 - 1) + 2 = 737, 72 vCPUs > 30 -> 250
    m = managed_max_pods(SNAP.get("c5.18xlarge"), DEFAULT)
    assert (m.recommended, m.cap, m.value) == (737, 250, 250)
    # m5.large with prefix delegation: 3 x ((10 - 1) x 16) + 2 = 434 -> 110 (the AMI default stays 29)
    m = managed_max_pods(SNAP.get("m5.large"), PD)
    assert (m.recommended, m.value) == (434, 110)
    assert max_pods(SNAP.get("m5.large"), PD).ami_default_max_pods == 29


def test_calculator_options():
    m5 = SNAP.get("m5.large")
    # custom networking: 3 - 1 = 2 ENIs x 9 + 2 = 20
    assert managed_max_pods(m5, env(AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG="true")).value == 20
    # MAX_ENI=1: 1 x 9 + 2 = 11; MAX_ENI above the type's 3 changes nothing: 29
    assert managed_max_pods(m5, env(MAX_ENI=1)).value == 11
    assert managed_max_pods(m5, env(MAX_ENI=8)).value == 29
    # custom networking + prefix delegation: 2 x 9 x 16 + 2 = 290 -> 110
    assert calculator_max_pods(m5, env(AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG="true",
                                       ENABLE_PREFIX_DELEGATION="true")) == 290
    # the calculator knows nothing of security groups for pods: still 29, though ipamd leaves 2 x 9 + 2 = 20
    sgp = env(ENABLE_POD_ENI="true")
    assert managed_max_pods(m5, sgp).value == 29 and max_pods(m5, sgp).network_max_pods == 20


def test_calculator_reads_hypervisor_only():
    # the calculator's IS_NITRO is Hypervisor == "nitro": a bare-metal type (no hypervisor) gets the
    # secondary-IP formula even with prefix delegation: m5.metal 15 x (50 - 1) + 2 = 737, not x 16
    metal = SNAP.get("m5.metal")
    assert metal.bare_metal and metal.hypervisor != "nitro"
    assert calculator_max_pods(metal, PD) == metal.enis * (metal.ipv4_per_eni - 1) + 2 == 737
    # a Xen type falls back the same way: m4.large 2 x 9 + 2 = 20
    assert calculator_max_pods(SNAP.get("m4.large"), PD) == 20


def test_ipv6_recommended_is_the_prefix_figure_capped():
    # t3.nano: 2 ENIs x ((2 - 1) x 16) + 2 = 34 (podcap said 110); the /80 never limits pods
    ipv6 = env(ENABLE_IPv6="true", ENABLE_PREFIX_DELEGATION="true")
    t3n = SNAP.get("t3.nano")
    mp = max_pods(t3n, ipv6)
    assert mp.max_pods == 34 and mp.network_max_pods == 2**48 + 2
    assert any("/80 never limits pods" in n for n in mp.notes)
    assert mp.ami_default_max_pods == 2 * (2 - 1) + 2 == 4  # the standard formula
    assert managed_max_pods(t3n, ipv6).value == 34
    # m5.large: 3 x 9 x 16 + 2 = 434 -> 110
    assert max_pods(SNAP.get("m5.large"), ipv6).max_pods == 110


def test_vcpus_unknown_is_never_guessed():
    m54 = dataclasses.replace(SNAP.get("m5.4xlarge"), vcpus=None)
    m = managed_max_pods(m54, DEFAULT)
    # 234 is above 110, so the cap (110 or 250) decides and is unknown
    assert m.value is None and m.cap is None and m.recommended == 234
    assert "110 or 234, vCPUs unknown" in m.note
    assert max_pods(m54, DEFAULT).max_pods is None
    # m5.large: 29 is below both caps, so the figure is known without the vCPU count
    m5 = dataclasses.replace(SNAP.get("m5.large"), vcpus=None)
    assert managed_max_pods(m5, DEFAULT).value == 29


_NO_POD_ENI = st.builds(
    lambda pd, cn, me, v6: parse_env({"ENABLE_PREFIX_DELEGATION": str(pd or v6).lower(),
                                      "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": str(cn and not v6).lower(),
                                      **({"MAX_ENI": str(me)} if me else {}),
                                      **({"ENABLE_IPv6": "true"} if v6 else {})}).settings,
    st.booleans(), st.booleans(), st.one_of(st.none(), st.integers(1, 16)), st.booleans())


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(SNAP.types)), s=_NO_POD_ENI)
def test_property_managed_within_cap_and_network(name, s):
    """managed <= 110/250 by vCPUs, and <= what the node's addresses hold. Without ENABLE_POD_ENI: with it
    the calculator (which ignores the trunk) can exceed the network figure, which PC102 then reports."""
    lim = SNAP.get(name)
    m = managed_max_pods(lim, s)
    if m.value is None:
        assert lim.vcpus is None and m.recommended > 110
        return
    if lim.vcpus is not None:
        assert m.value <= (250 if lim.vcpus > 30 else 110)
    if s.ipv6 and not lim.nitro:
        # IPv6 needs prefix delegation, which a Xen type cannot do: aws-node does not start at all (network
        # 2), while the calculator still prints its secondary-IP figure. Nothing runs there either way.
        assert max_pods(lim, s).network_max_pods == 2
        return
    assert m.value <= max_pods(lim, s).network_max_pods


# -- what nodes really run: analysis ---------------------------------------------------------------------


def _plan(types=("m5.4xlarge",), cidrs=("10.0.0.0/23", "10.0.2.0/23"), env_=None, cni_resource=None, **ng):
    p = Plan(source="t.yaml", kind="cloudformation")
    p.vpcs["v"] = Vpc("v", ["10.0.0.0/16"])
    for sid, c, az in zip("ab", cidrs, ("us-east-1a", "us-east-1b")):
        p.subnets[sid] = Subnet(sid, c, az, vpc="v")
    p.clusters["c"] = Cluster("c", subnets=["a", "b"], cni_env=env_, cni_resource=cni_resource)
    kw = {"instance_types": list(types), "subnets": ["a", "b"], "min_size": 1, "desired_size": 2, "max_size": 8,
          "cluster": "c"}
    kw.update(ng)
    p.nodegroups.append(NodeGroup("Nodes", **kw))
    return p


def _run(p):
    r = check_plan(p, CheckOptions(paths=[]), SNAP)
    return r, {f.rule_id for f in r.findings if f.suppressed is None}


def test_issue_scenario_managed_m5_4xlarge_fits():
    # EKS writes 110: 108 address-taking pods; WARM_ENI_TARGET=1 -> ceil(108 / 29) + 1 = 5 ENIs,
    # but growth stops at the first ENI whose addresses reach 110: 4 ENIs (116 >= 110) -> 4 x 30 = 120
    # 8 nodes over 2 AZs -> 4 per subnet x 120 = 480 + ceil(4 control-plane ENIs / 2) = 2 -> 482 of 507
    r, ids = _run(_plan())
    (ng,) = r.nodegroups
    assert (ng.max_pods, ng.addresses_per_node) == (110, 120)
    assert {u.subnet: u.at_max for u in r.subnets} == {"a": 482, "b": 482}
    assert "PC201" not in ids
    assert any("written by EKS for a managed node group" in n and "capped at 110" in n for n in r.notes)


def test_custom_ami_and_self_managed_keep_the_ami_default():
    # custom AMI: EKS writes nothing; the AMI default 234 applies: 234 - 2 = 232 pods,
    # 8 ENIs x 30 = 240 addresses per node, 4 x 240 + 2 = 962 per subnet > 507 -> PC201
    for kw in ({"custom_ami": True}, {"self_managed": True}):
        r, ids = _run(_plan(**kw))
        assert (r.nodegroups[0].max_pods, r.nodegroups[0].addresses_per_node) == (234, 240)
        assert "PC201" in ids


def test_user_data_counts_up_to_the_cap_on_a_managed_node_group():
    # user data says 300: on a managed node group only 110 counts; with a custom AMI 300 stands and is
    # above the 234 the network holds -> PC102
    r, ids = _run(_plan(kubelet_max_pods=300))
    assert r.nodegroups[0].max_pods == 110 and "PC102" not in ids
    r, ids = _run(_plan(kubelet_max_pods=300, custom_ami=True))
    assert r.nodegroups[0].max_pods == 300 and "PC102" in ids
    # below the cap the user data value is kept: 50
    r, _ = _run(_plan(kubelet_max_pods=50))
    assert r.nodegroups[0].max_pods == 50


def test_expression_on_a_custom_ami():
    # nodeadm maxPodsExpression over default_enis=3, ips_per_eni=10, max_pods=29 (the standard formula):
    # "(default_enis - 1) * (ips_per_eni - 1) + 2" = 2 x 9 + 2 = 20
    p = _plan(types=("m5.large",), custom_ami=True, max_pods_expression="(default_enis - 1) * (ips_per_eni - 1) + 2")
    r, _ = _run(p)
    assert r.nodegroups[0].max_pods == 20
    # kubelet maxPods from the NodeConfig wins over the expression (nodeadm's e2e kubelet-config-max-pods)
    p = _plan(types=("m5.large",), custom_ami=True, kubelet_max_pods=12, max_pods_expression="max_pods + 2")
    assert _run(p)[0].nodegroups[0].max_pods == 12


def test_unevaluable_expression_is_unknown(monkeypatch):
    import sys

    p = _plan(types=("m5.large",), custom_ami=True, max_pods_expression="no_such_var + 1")
    r, ids = _run(p)
    assert "PC001" in ids and r.nodegroups[0].max_pods == 29  # reported, the AMI default shown meanwhile
    monkeypatch.setitem(sys.modules, "podcap.engine.expression", None)  # no evaluator: Unknown too
    r, ids = _run(_plan(types=("m5.large",), custom_ami=True, max_pods_expression="max_pods"))
    assert "PC001" in ids


def test_unknown_custom_ami_is_reported():
    r, ids = _run(_plan(custom_ami=Unknown("ImageId from an SSM parameter")))
    assert "PC001" in ids and r.nodegroups[0].max_pods == 234


def test_pc105_ordering_undecided():
    # prefix delegation configured by the add-on, but nothing orders the node group after it:
    # m5.large gets min(434, 110) = 110 if the add-on is configured first, 29 (CNI defaults) otherwise
    p = _plan(types=("m5.large",), env_={"ENABLE_PREFIX_DELEGATION": "true"}, ordered_after_cni=False,
              cni_resource="VpcCni", max_size=2, cidrs=("10.0.0.0/24", "10.0.1.0/24"))
    r, ids = _run(p)
    assert "PC105" in ids and "PC103" not in ids
    f = next(f for f in r.findings if f.rule_id == "PC105")
    assert "110 if the add-on is configured first, 29 otherwise" in f.message
    assert "DependsOn: VpcCni" in f.fix
    assert f.data["figures"] == {"m5.large": {"configured_first": 110, "otherwise": 29}}
    # pod capacity judged at the smaller (29), subnets at the larger: 108 pods -> ceil(108/16) = 7 prefixes
    # (112 >= 110 stops growth) -> 1 ENI + 7 x 16 = 113 addresses per node
    (ng,) = r.nodegroups
    assert ng.max_pods == 29 and ng.addresses_per_node == 113
    a = analyse(_plan(types=("m5.large",), env_={"ENABLE_PREFIX_DELEGATION": "true"}, ordered_after_cni=False),
                SNAP)
    t = a.nodegroups[0].types[0]
    assert (t.kubelet_max_pods, t.alt_kubelet_max_pods, t.capacity_pods) == (29, 110, 27)
    # ordered after the add-on: one figure, no PC105
    r, ids = _run(_plan(types=("m5.large",), env_={"ENABLE_PREFIX_DELEGATION": "true"}, ordered_after_cni=True))
    assert "PC105" not in ids and r.nodegroups[0].max_pods == 110
    # a configuration that does not change the figure (WARM_IP_TARGET only): nothing to warn about
    r, ids = _run(_plan(types=("m5.large",), env_={"WARM_IP_TARGET": "2"}, ordered_after_cni=False))
    assert "PC105" not in ids


@pytest.mark.parametrize("name, figure", [("t3.medium", 17), ("m5.large", 29), ("m5.4xlarge", 110),
                                          ("c5.18xlarge", 250)])
def test_nodegroups_max_pods_is_what_nodes_run(name, figure):
    # t3.medium 3 x 5 + 2 = 17; m5.large 3 x 9 + 2 = 29; m5.4xlarge 234 -> 110; c5.18xlarge 737 -> 250
    r, _ = _run(_plan(types=(name,), cidrs=("10.0.0.0/20", "10.0.16.0/20")))
    assert r.nodegroups[0].max_pods == figure


def test_podcap_node_default_says_which(capsys):
    from podcap.cli import main

    # no --kubelet-max-pods: the AMI default, as a self-managed node runs (m5.4xlarge 8 x 29 + 2 = 234)
    assert main(["node", "m5.4xlarge", "--pods", "10"]) == 0
    out = capsys.readouterr().out
    assert "kubelet max-pods 234 (the AMI default, as on a self-managed node" in out
    assert "a managed node group gets 110 from EKS" in out
    # --managed: EKS's figure, min(234, 110) = 110
    assert main(["node", "m5.4xlarge", "--pods", "10", "--managed"]) == 0
    out = capsys.readouterr().out
    assert "kubelet max-pods 110 (written by EKS for a managed node group" in out
    # maxpods JSON: managed_max_pods beside max_pods (recommended, capacity-capped) and the AMI default
    assert main(["maxpods", "m5.4xlarge", "--format", "json"]) == 0
    import json

    (row,) = json.loads(capsys.readouterr().out)
    assert (row["max_pods"], row["ami_default_max_pods"], row["managed_max_pods"]) == (110, 234, 110)


# -- several instance types in one managed node group -------------------------------------------------------

_MIXABLE = sorted(n for n in SNAP.types if SNAP.get(n).vcpus is not None and SNAP.get(n).nitro)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.sampled_from(_MIXABLE), min_size=2, max_size=4, unique=True), pd=st.booleans())
def test_property_managed_group_runs_the_smallest_figure_on_every_type(names, pd):
    """EKS user guide, create-managed-node-group: "the smallest value calculated across all instance types
    is applied as the maximum number of Pods that can run on every instance type in the node group"."""
    env_ = {"ENABLE_PREFIX_DELEGATION": "true"} if pd else None
    a = analyse(_plan(types=names, env_=env_, ordered_after_cni=True), SNAP)
    (na,) = a.nodegroups
    settings_ = na.settings
    want = min(managed_max_pods(SNAP.get(n), settings_).value for n in names)
    assert {t.limits.name: t.kubelet_max_pods for t in na.types} == dict.fromkeys(names, want)
    assert all(t.alt_kubelet_max_pods is None for t in na.types)
    # a custom AMI keeps each type's own AMI default (nodeadm calculateStandardMaxPods on each node)
    a = analyse(_plan(types=names, env_=env_, custom_ami=True), SNAP)
    assert {t.limits.name: t.kubelet_max_pods for t in a.nodegroups[0].types} == {
        n: max_pods(SNAP.get(n), settings_).ami_default_max_pods for n in names}


def test_managed_group_minimum_hand_computed():
    # m5.large 3 x 9 + 2 = 29, m5.4xlarge min(234, 110) = 110, c5.18xlarge min(737, 250) = 250: 29 everywhere
    a = analyse(_plan(types=("m5.large", "m5.4xlarge", "c5.18xlarge")), SNAP)
    (na,) = a.nodegroups
    assert [t.kubelet_max_pods for t in na.types] == [29, 29, 29]
    # what each would run in a group of its own: 29 - 2, 110 - 2, 250 - 2
    assert [t.own_capacity_pods for t in na.types] == [27, 108, 248]
    # one type: nothing to take the minimum over
    assert analyse(_plan(types=("m5.4xlarge",)), SNAP).nodegroups[0].types[0].own_capacity_pods is None
