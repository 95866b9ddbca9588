"""The fast path: a node's whole growth path (0..N pods) in O(1) work per pod count.

:class:`validators.engine.allocation.IpamdModel` replays ipamd's reconcile loop step by step; that is
the reference. Sweeping every instance type x settings x pod count that way is too slow for a CLI, so
this module computes the same growth path from the closed forms the loop reduces to (tests check the
two agree on every pod count). Per pod count N, with S slots per ENI, kubelet max-pods M:

* secondary IPs, WARM_ENI_TARGET=W: whole ENIs, ``ceil(N/S) + W`` of them (``floor(N/S) + 1`` when
  W=0), never past the first count whose addresses reach M, nor past the ENI limit;
* WARM_IP_TARGET=w / MINIMUM_IP_TARGET=m: exactly ``max(N + w, m)`` addresses (only ``m`` when w=0:
  the pool then starves), ending early at the ENI boundary where addresses first reach M;
* prefix delegation: ``ceil(N/16) + WARM_PREFIX_TARGET`` prefixes (``floor(N/16) + 1`` with target 0),
  or ``ceil(max(N + w, m) / 16)`` with warm IP targets; growth stops at the first ENI boundary or
  target at or beyond ``ceil(M/16)``.
"""
from __future__ import annotations

from dataclasses import dataclass

from validators.engine.maxpods import IPS_PER_PREFIX, effective_max_eni, has_trunk, pd_active
from validators.engine.settings import CniSettings
from validators.limits import InstanceLimits


@dataclass(frozen=True)
class GrowthPath:
    """Per pod count N (index): slots held (IPs or prefixes), ENIs attached, addresses taken."""

    held: list[int]
    enis: list[int]
    node_subnet: list[int]
    pod_subnet: list[int]
    subnet: list[int]
    starved: list[int]


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def growth_path(limits: InstanceLimits, settings: CniSettings, kubelet_max_pods: int, up_to: int) -> GrowthPath:
    """Held slots, ENIs and addresses for N = 0..up_to pods (IPv4 modes)."""
    S = limits.ipv4_per_eni - 1
    pd = pd_active(limits, settings)
    unit = IPS_PER_PREFIX if pd else 1
    trunk = 1 if has_trunk(limits, settings) else 0
    custom = settings.custom_networking
    room_enis = effective_max_eni(limits, settings) - trunk - (1 if custom else 0)
    cap_slots = max(room_enis, 0) * S
    M = kubelet_max_pods
    w, m = settings.warm_ip_target, settings.minimum_ip_target
    warm_ip = settings.warm_ip_targets_defined
    held: list[int] = []
    prev = 0
    if S <= 0:
        held = [0] * (up_to + 1)
    elif not pd and not warm_ip:
        W = settings.warm_eni_target
        stop = _ceil(max(M, 0), S)  # first ENI count whose addresses reach M
        for N in range(up_to + 1):
            need = (_ceil(N, S) + W) if W > 0 else (N // S + 1)
            held.append(min(need, stop, room_enis if room_enis > 0 else 0) * S)
    else:
        # Growth happens in jumps to the target that end early at ENI boundaries; it stops at the
        # first jump end at or beyond the max-pods point.
        stop_units = _ceil(max(M, 0), unit)  # prefixes (or IPs) whose addresses reach M
        stop_boundary = _ceil(stop_units, S) * S
        t = settings.warm_prefix_target
        for N in range(up_to + 1):
            if prev * unit >= M:
                held.append(prev)
                continue
            if warm_ip:
                T = max(N + w, m) if w > 0 else m
                target = _ceil(T, unit)
            elif t > 0:
                target = _ceil(N, IPS_PER_PREFIX) + t
            else:
                target = N // IPS_PER_PREFIX + 1
            cur = prev if target <= prev else min(target, stop_boundary if stop_units > prev else target)
            cur = max(min(cur, cap_slots), prev if prev <= cap_slots else cap_slots)
            held.append(cur)
            prev = cur
    enis, node, pod, sub, starved = [], [], [], [], []
    for N, h in enumerate(held):
        data_enis = _ceil(h, S) if S > 0 else 0
        n_enis = (1 + data_enis) if custom else max(1, data_enis)
        pool = h * unit
        if custom:
            ns, ps = 1, (n_enis - 1) + pool + trunk
            total = ns + ps
        else:
            ns = ps = total = n_enis + pool + trunk
        enis.append(n_enis)
        node.append(ns)
        pod.append(ps)
        sub.append(total)
        starved.append(max(N - pool, 0))
    return GrowthPath(held, enis, node, pod, sub, starved)
