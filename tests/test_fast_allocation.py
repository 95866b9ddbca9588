"""The closed-form allocation used for many-type checks is the step-by-step reference, field by field."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from podcap.engine.allocation import CapacityError, allocate
from podcap.engine.fast_allocation import allocate_fast
from podcap.engine.maxpods import max_pods
from podcap.engine.settings import CniSettings
from podcap.limits import load_snapshot

try:
    from _strategies import cni_settings
except ImportError:  # pragma: no cover
    from tests._strategies import cni_settings

SNAP = load_snapshot(None)
NAMES = SNAP.names()
SETTINGS = cni_settings(ipv6=True)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), s=SETTINGS, data=st.data())
def test_fast_allocation_equals_the_reference(name, s, data):
    lim = SNAP.get(name)
    mp = max_pods(lim, s)
    top = min(mp.network_max_pods, 400)
    kubelet = data.draw(st.one_of(st.none(), st.integers(0, top + 2)), label="kubelet")
    pods = data.draw(st.integers(0, top), label="pods")
    try:
        ref = allocate(lim, s, pods, kubelet)
    except CapacityError:
        with pytest.raises(CapacityError):
            allocate_fast(lim, s, pods, kubelet)
        return
    assert allocate_fast(lim, s, pods, kubelet) == ref


def test_m5_large_default_settings_by_hand():
    """m5.large, WARM_ENI_TARGET=1, 20 pods: 9 secondaries per ENI; 20 pods need 3 ENIs (27 IPs) and the
    warm target would add a 4th but m5.large has 3: 3 primaries + 27 = 30 addresses, 7 warm."""
    lim = SNAP.get("m5.large")
    a = allocate_fast(lim, CniSettings(), 20, 29)
    assert (a.enis, a.secondary_ips, a.subnet_addresses, a.warm_addresses) == (3, 27, 30, 7)
    assert a == allocate(lim, CniSettings(), 20, 29)
