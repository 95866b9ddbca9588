"""One node's allocation from the closed-form growth path, for checks that judge many instance types.

:func:`podcap.engine.allocation.allocate` replays ipamd's reconcile loop pod by pod (the reference);
a node pool of hundreds of instance types makes that the largest cost of a check. The growth path of
:mod:`podcap.engine.sweep` gives the same held slots and ENIs in O(1) work per pod count, and
:func:`~podcap.engine.sweep.growth_point` one point of it without building the path (tests hold the
two equal, tests/test_fast_allocation.py and tests/test_speed_paths.py); and the rest of a
:class:`NodeAllocation` follows from them exactly as ``allocate`` derives it. IPv6 and every error case go to ``allocate`` itself.
"""
from __future__ import annotations

from podcap.engine.allocation import NodeAllocation, allocate, allocation_from_state, default_kubelet_max_pods
from podcap.engine.maxpods import HOST_NETWORK_PODS, has_trunk, max_pods, pd_active
from podcap.engine.settings import CniSettings
from podcap.engine.sweep import growth_point
from podcap.limits import InstanceLimits


def allocate_fast(limits: InstanceLimits, settings: CniSettings, pods: int,
                  kubelet_max_pods: int | None = None) -> NodeAllocation:
    """What :func:`~podcap.engine.allocation.allocate` returns, computed from the growth path."""
    if settings.ipv6 or isinstance(pods, bool) or not isinstance(pods, int) or pods < 0:
        return allocate(limits, settings, pods, kubelet_max_pods)
    mp = max_pods(limits, settings)
    kmp = kubelet_max_pods if kubelet_max_pods is not None else default_kubelet_max_pods(mp)
    if kmp < 0 or pods > mp.pod_address_capacity or pods > max(kmp - HOST_NETWORK_PODS, 0):
        return allocate(limits, settings, pods, kubelet_max_pods)  # raises, with allocate's own message
    held, enis = growth_point(limits, settings, kmp, pods)  # growth_path(...).held[pods], .enis[pods]
    return allocation_from_state(limits, settings, mp, kmp, pods, held=held, enis=enis,
                                 pd=pd_active(limits, settings), trunk=has_trunk(limits, settings),
                                 notes=list(mp.notes))
