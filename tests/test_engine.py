"""The ipamd model against hand-computed cases (the arithmetic is written beside each) and properties.

m5.large: 3 ENIs, 10 IPv4 per ENI -> 9 secondary slots per ENI (S = 9), 2 vCPUs, Nitro.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from podcap.engine.allocation import CapacityError, IpamdModel, allocate
from podcap.engine.maxpods import max_pods
from podcap.engine.settings import CniSettings, parse_env
from podcap.engine.sweep import growth_path
from podcap.limits import UnknownInstanceType, load_snapshot

try:
    from _strategies import cni_settings
except ImportError:  # pragma: no cover
    from tests._strategies import cni_settings

SNAP = load_snapshot()
M5 = SNAP.get("m5.large")


def env(**kw) -> CniSettings:
    parsed = parse_env({k: str(v) for k, v in kw.items()})
    # every value is read as given; the only warning allowed is the one for a setting AWS does not support
    # (WARM_PREFIX_TARGET=0 with prefix delegation), whose growth path the cases below still hold
    assert all(w.startswith("WARM_PREFIX_TARGET=0 with prefix delegation") for w in parsed.warnings), parsed.warnings
    return parsed.settings


PD = {"ENABLE_PREFIX_DELEGATION": "true"}
CUSTOM = {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}


# ---------------------------------------------------------------- max pods, every mode
@pytest.mark.parametrize(
    "itype, enis, ips, default, custom, pd_capacity, pd_recommended",
    [
        # default: ENIs x (IPs - 1) + 2; custom: (ENIs - 1) x (IPs - 1) + 2; PD: ENIs x (IPs - 1) x 16 + 2
        ("m5.large", 3, 10, 3 * 9 + 2, 2 * 9 + 2, 3 * 9 * 16 + 2, 110),  # 29 / 20 / 434 -> 110 (2 vCPUs)
        ("t3.medium", 3, 6, 3 * 5 + 2, 2 * 5 + 2, 3 * 5 * 16 + 2, 110),  # 17 / 12 / 242
        ("t3.small", 3, 4, 3 * 3 + 2, 2 * 3 + 2, 3 * 3 * 16 + 2, 110),  # 11 / 8 / 146
        ("t3.nano", 2, 2, 2 * 1 + 2, 1 * 1 + 2, 2 * 1 * 16 + 2, 34),  # 4 / 3 / 34 (under the 110 cap)
        ("c5.18xlarge", 15, 50, 15 * 49 + 2, 14 * 49 + 2, 15 * 49 * 16 + 2, 250),  # 737 / 688 / 11762 (72 vCPUs)
    ],
)
def test_max_pods_modes(itype, enis, ips, default, custom, pd_capacity, pd_recommended):
    lim = SNAP.get(itype)
    assert (lim.enis, lim.ipv4_per_eni) == (enis, ips)
    d = max_pods(lim, CniSettings())
    assert d.network_max_pods == default
    assert d.ami_default_max_pods == default
    assert max_pods(lim, CniSettings(custom_networking=True)).network_max_pods == custom
    p = max_pods(lim, CniSettings(prefix_delegation=True))
    assert p.network_max_pods == pd_capacity
    assert p.max_pods == pd_recommended
    # the AMI default ignores the CNI mode: still the default-mode figure
    assert p.ami_default_max_pods == default


def test_recommended_cap_and_default_card():
    # c5.18xlarge: 737 addresses but the calculator caps at 250 above 30 vCPUs
    assert max_pods(SNAP.get("c5.18xlarge"), CniSettings()).max_pods == 250
    # p4d.24xlarge: 4 network cards x 15 ENIs; only the default card's 15 count: 15 x 49 + 2 = 737
    p4d = SNAP.get("p4d.24xlarge")
    assert p4d.max_enis_all_cards == 60 and p4d.enis == 15
    assert max_pods(p4d, CniSettings()).network_max_pods == 737


def test_max_eni_sgp_ipv6_and_non_nitro():
    # MAX_ENI=2: 2 x 9 + 2 = 20
    assert max_pods(M5, env(MAX_ENI=2)).network_max_pods == 20
    # MAX_ENI above the limit changes nothing
    assert max_pods(M5, env(MAX_ENI=8)).network_max_pods == 29
    # security groups for pods: the trunk ENI takes a slot: (3 - 1) x 9 + 2 = 20
    assert max_pods(M5, env(ENABLE_POD_ENI="true")).network_max_pods == 20
    # custom networking + trunk: (3 - 1 - 1) x 9 + 2 = 11
    assert max_pods(M5, env(ENABLE_POD_ENI="true", **CUSTOM)).network_max_pods == 11
    # IPv6: addresses never limit; the calculator's cap does
    assert max_pods(M5, CniSettings(ipv6=True, prefix_delegation=True)).max_pods == 110
    # a Xen type falls back to secondary IPs with prefix delegation on
    xen = next(t for t in SNAP.types.values() if t.hypervisor == "xen" and not t.bare_metal)
    mp = max_pods(xen, CniSettings(prefix_delegation=True))
    assert mp.network_max_pods == xen.enis * (xen.ipv4_per_eni - 1) + 2
    assert any("falls back" in n for n in mp.notes)



def test_sgp_slot_only_on_trunking_compatible_types():
    # VPC CNI >= 1.20.4 hasRoomForEni keeps a slot for the trunk only when IsTrunkingCompatible (the VPC
    # resource controller's table) says the type can trunk. A Xen m4.large (2 ENIs x 10 IPs) cannot, so both
    # ENIs hold pods: 2 x 9 + 2 = 20 (podcap said 11 before)
    m4 = SNAP.get("m4.large")
    assert (m4.enis, m4.ipv4_per_eni, m4.nitro, m4.trunking) == (2, 10, False, False)
    sgp = env(ENABLE_POD_ENI="true")
    assert max_pods(m4, sgp).network_max_pods == 20
    # 5 pods: 4 available < 9 wants a second ENI, and there is room: 2 ENIs + 18 secondaries, no trunk
    a = allocate(m4, sgp, 5, 20)
    assert (a.enis, a.secondary_ips, a.trunk_eni, a.subnet_addresses) == (2, 18, False, 20)
    with pytest.raises(CapacityError):
        allocate(m4, sgp, 19, 20)  # 20 - 2 host-network pods = 18 address-taking pods at most
    # m5.large gets the trunk: 2 pod ENIs x (1 + 9) + the trunk's own address = 21 when full (18 pods)
    a = allocate(M5, sgp, 18, 20)
    assert (a.enis, a.secondary_ips, a.trunk_eni, a.subnet_addresses) == (2, 18, True, 21)


def test_ipv6_needs_nitro():
    # ipamd isConfigValid: IPv6 only in prefix-delegation mode, which a Xen type cannot do: aws-node stops
    m4 = SNAP.get("m4.large")
    mp = max_pods(m4, CniSettings(ipv6=True, prefix_delegation=True))
    assert mp.network_max_pods == 2 and mp.max_pods == 2
    with pytest.raises(CapacityError):
        allocate(m4, CniSettings(ipv6=True, prefix_delegation=True), 1, 29)


# ---------------------------------------------------------------- node allocation, hand-computed
CASES = [
    # (settings, pods, kubelet max-pods or None=recommended, ENIs, secondary IPs, prefixes, subnet addresses, warm)
    # 1 idle node, WARM_ENI_TARGET=1: primary ENI filled with 9 secondaries; 9 available >= 9 -> 1 ENI, 1 + 9 = 10
    ({}, 0, None, 1, 9, 0, 10, 9),
    # 2 five pods: after pod 1, 8 available < 9 -> second ENI: 2 ENIs x (1 + 9) = 20, 18 - 5 = 13 warm
    ({}, 5, None, 2, 18, 0, 20, 13),
    # 3 nine pods: 18 held, 9 available = 9 x 1 -> still 2 ENIs (20); the tenth pod would add the third
    ({}, 9, None, 2, 18, 0, 20, 9),
    # 4 ten pods: 8 available < 9 -> 3 ENIs, 3 + 27 = 30
    ({}, 10, None, 3, 27, 0, 30, 17),
    # 5 full node: 27 address-taking pods (29 - 2 host-network): 3 ENIs, 3 + 27 = 30
    ({}, 27, None, 3, 27, 0, 30, 0),
    # 6 WARM_ENI_TARGET=0: grow only when nothing is free: 8 pods -> floor(8/9) + 1 = 1 ENI (10)
    ({"WARM_ENI_TARGET": 0}, 8, None, 1, 9, 0, 10, 1),
    # 7 WARM_ENI_TARGET=0, 9 pods: 0 free -> second ENI: 20
    ({"WARM_ENI_TARGET": 0}, 9, None, 2, 18, 0, 20, 9),
    # 8 WARM_ENI_TARGET=2 idle: ceil(0/9) + 2 = 2 ENIs: 20
    ({"WARM_ENI_TARGET": 2}, 0, None, 2, 18, 0, 20, 18),
    # 9 WARM_IP_TARGET=2, 5 pods: 5 + 2 = 7 secondaries on the primary ENI: 1 + 7 = 8
    ({"WARM_IP_TARGET": 2}, 5, None, 1, 7, 0, 8, 2),
    # 10 WARM_IP_TARGET=2, 9 pods: 11 secondaries, 9 on the primary + 2 on a second ENI: 2 + 11 = 13
    ({"WARM_IP_TARGET": 2}, 9, None, 2, 11, 0, 13, 2),
    # 11 MINIMUM_IP_TARGET=10 + WARM_IP_TARGET=2, idle: 10 secondaries (9 + 1) over 2 ENIs: 12
    ({"WARM_IP_TARGET": 2, "MINIMUM_IP_TARGET": 10}, 0, None, 2, 10, 0, 12, 10),
    # 12 same, 12 pods: max(12 + 2, 10) = 14 secondaries (9 + 5): 2 + 14 = 16
    ({"WARM_IP_TARGET": 2, "MINIMUM_IP_TARGET": 10}, 12, None, 2, 14, 0, 16, 2),
    # 13 WARM_IP_TARGET=5, full node: 27 + 5 = 32 wanted, only 27 slots: 3 + 27 = 30
    ({"WARM_IP_TARGET": 5}, 27, None, 3, 27, 0, 30, 0),
    # 14 MAX_ENI=2, 18 pods: 2 ENIs x 9 = 18 slots, all used: 2 + 18 = 20
    ({"MAX_ENI": 2}, 18, None, 2, 18, 0, 20, 0),
    # 15 prefix delegation, WARM_PREFIX_TARGET=1 (the add-on's value), idle: 1 prefix: 1 + 16 = 17
    (PD, 0, None, 1, 0, 1, 17, 16),
    # 16 PD, 20 pods: ceil(20/16) = 2 used + 1 free = 3 prefixes: 1 + 48 = 49
    (PD, 20, None, 1, 0, 3, 49, 28),
    # 17 PD, WARM_PREFIX_TARGET=2, 20 pods: 2 used + 2 free = 4 prefixes: 1 + 64 = 65
    ({**PD, "WARM_PREFIX_TARGET": 2}, 20, None, 1, 0, 4, 65, 44),
    # 18 PD, WARM_PREFIX_TARGET=0, 15 pods: grow only when nothing is free: 1 prefix: 17
    ({**PD, "WARM_PREFIX_TARGET": 0}, 15, None, 1, 0, 1, 17, 1),
    # 19 PD + WARM_IP_TARGET=5, 20 pods: ceil((20 + 5) / 16) = 2 prefixes: 1 + 32 = 33 (WIT beats WPT)
    ({**PD, "WARM_IP_TARGET": 5}, 20, None, 1, 0, 2, 33, 12),
    # 20 PD + WARM_IP_TARGET=2 + MINIMUM_IP_TARGET=40, idle: ceil(40/16) = 3 prefixes: 49
    ({**PD, "WARM_IP_TARGET": 2, "MINIMUM_IP_TARGET": 40}, 0, None, 1, 0, 3, 49, 48),
    # 21 PD, max-pods 110, 108 pods: growth stops once 16 x P >= 110, i.e. at 7 prefixes (112): 1 + 112
    (PD, 108, 110, 1, 0, 7, 113, 4),
    # 22 PD with the AMI default max-pods 29: at 20 pods 2 prefixes (32 >= 29) stop growth: 1 + 32 = 33
    (PD, 20, 29, 1, 0, 2, 33, 12),
    # 23 custom networking, idle: primary ENI carries no pods; a second ENI (pod subnet) gets 9: 1 + (1 + 9)
    (CUSTOM, 0, None, 2, 9, 0, 11, 9),
    # 24 custom networking, 18 pods: 2 pod ENIs full: node 1 + pod subnet (2 + 18) = 21
    (CUSTOM, 18, None, 3, 18, 0, 21, 0),
    # 25 security groups for pods, idle: primary ENI (1 + 9) + trunk ENI (1) = 11
    ({"ENABLE_POD_ENI": "true"}, 0, None, 1, 9, 0, 11, 9),
]


@pytest.mark.parametrize("envd, pods, kubelet, enis, ips, prefixes, addresses, warm", CASES)
def test_allocation_hand_computed(envd, pods, kubelet, enis, ips, prefixes, addresses, warm):
    s = env(**envd)
    a = allocate(M5, s, pods, kubelet)
    assert (a.enis, a.secondary_ips, a.prefixes, a.subnet_addresses, a.warm_addresses) == (
        enis, ips, prefixes, addresses, warm)
    assert a.starved_pods == 0


def test_custom_networking_splits_subnets():
    a = allocate(M5, env(**CUSTOM), 5)
    # node subnet: only the node's own address. Pod subnet: the first pod leaves 8 free < 9 on the one
    # pod ENI, so a second pod ENI is attached: 2 x (1 primary + 9 secondaries) = 20
    assert (a.node_subnet_addresses, a.pod_subnet_addresses, a.subnet_addresses) == (1, 20, 21)
    d = allocate(M5, CniSettings(), 5)
    assert d.node_subnet_addresses == d.pod_subnet_addresses == d.subnet_addresses == 20


def test_minimum_ip_target_alone_starves():
    # WARM_IP_TARGET unset: short = max(0 - available, 10 - total) = 0 once 10 are held and used
    parsed = parse_env({"MINIMUM_IP_TARGET": "10"})
    assert any("WARM_IP_TARGET" in w for w in parsed.warnings)
    a = allocate(M5, parsed.settings, 15)
    assert a.secondary_ips == 10 and a.starved_pods == 5


def test_ipv6_takes_one_ipv4_address():
    a = allocate(M5, CniSettings(ipv6=True, prefix_delegation=True), 100)
    assert a.subnet_addresses == 1 and a.ipv6_prefixes == 1 and a.kubelet_max_pods == 110


def test_capacity_errors():
    with pytest.raises(CapacityError, match="at most 27"):
        allocate(M5, CniSettings(), 28)
    with pytest.raises(CapacityError, match="kubelet max-pods 29"):
        allocate(M5, CniSettings(prefix_delegation=True), 40, 29)
    with pytest.raises(ValueError, match=">= 0"):
        allocate(M5, CniSettings(), -1)


def test_unknown_instance_type_suggests():
    with pytest.raises(UnknownInstanceType) as e:
        SNAP.get("m5.larg")
    assert "m5.large" in e.value.suggestions
    assert "did you mean" in str(e.value)


@pytest.mark.parametrize(
    "raw, field, value",
    [
        ({"WARM_IP_TARGET": "abc"}, "warm_ip_target", 0),  # unparsable -> not set
        ({"WARM_IP_TARGET": "-3"}, "warm_ip_target", 0),  # negative -> not set
        ({"WARM_IP_TARGET": " 5"}, "warm_ip_target", 0),  # Go's Atoi refuses spaces
        ({"WARM_ENI_TARGET": "x"}, "warm_eni_target", 1),  # -> 1
        ({"WARM_PREFIX_TARGET": "1.5"}, "warm_prefix_target", 0),  # -> ipamd's code default 0
        ({"MAX_ENI": "0"}, "max_eni", None),  # < 1 -> the instance's limit
        ({"ENABLE_PREFIX_DELEGATION": "yes"}, "prefix_delegation", False),  # ParseBool refuses "yes"
    ],
)
def test_env_values_the_cni_ignores(raw, field, value):
    parsed = parse_env(raw)
    assert getattr(parsed.settings, field) == value
    assert parsed.warnings and next(iter(raw)) in parsed.warnings[0]


def test_env_values_the_cni_accepts():
    p = parse_env({"ENABLE_PREFIX_DELEGATION": "T", "WARM_PREFIX_TARGET": "+2", "MAX_ENI": "2"})
    assert p.settings.prefix_delegation and p.settings.warm_prefix_target == 2 and p.settings.max_eni == 2
    assert not p.warnings
    # absent WARM_PREFIX_TARGET: the add-on's 1; without add-on defaults: ipamd's 0
    assert parse_env({}).settings.warm_prefix_target == 1
    assert parse_env({}, with_addon_defaults=False).settings.warm_prefix_target == 0


# ---------------------------------------------------------------- properties
NAMES = SNAP.names()
settings_strategy = cni_settings()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), s=settings_strategy, data=st.data())
def test_growth_properties(name, s, data):
    lim = SNAP.get(name)
    mp = max_pods(lim, s)
    kubelet = data.draw(st.sampled_from([k for k in (mp.max_pods, mp.ami_default_max_pods, mp.network_max_pods)
                                         if k is not None]))  # max_pods is None when vCPUs are unknown
    top = min(mp.pod_address_capacity, max(kubelet - 2, 0), 260)
    model = IpamdModel(lim, s, kubelet)
    model.demand = 0
    model.reconcile()
    fast = growth_path(lim, s, kubelet, top)
    prev_total = -1
    for n in range(top + 1):
        if n:
            model.demand = n
            model.reconcile()
        total = model.total + len(model.enis)
        # the fast path is the reference model, pod count by pod count
        assert (model.held, len(model.enis)) == (fast.held[n], fast.enis[n])
        # addresses never decrease as pods grow
        assert total >= prev_total
        prev_total = total
        # ENIs never exceed the limit (the trunk ENI included)
        assert len(model.enis) + (1 if model.trunk else 0) <= lim.enis
        # addresses >= pods whenever no pod is starved
        if model.assigned == n:
            assert model.total >= n


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(NAMES), s=settings_strategy)
def test_full_node_fits_exactly(name, s):
    """With kubelet max-pods at the network capacity, a node full of pods holds exactly its capacity."""
    lim = SNAP.get(name)
    mp = max_pods(lim, s)
    cap = mp.pod_address_capacity
    if cap <= 0 or cap > 800 or (s.minimum_ip_target and not s.warm_ip_target):
        return
    a = allocate(lim, s, cap, mp.network_max_pods)
    assert a.starved_pods == 0
    assert a.pool_addresses == cap
    assert a.warm_addresses == 0
    with pytest.raises(CapacityError):
        allocate(lim, s, cap + 1, mp.network_max_pods)
