"""The fast path: a node's whole growth path (0..N pods) in O(1) work per pod count.

:class:`podcap.engine.allocation.IpamdModel` replays ipamd's reconcile loop step by step; that is
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

from podcap.engine.maxpods import IPS_PER_PREFIX, has_trunk, pd_active, pod_enis
from podcap.engine.settings import CniSettings
from podcap.limits import InstanceLimits
from podcap.model.records import record


@record(frozen=True)
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


# Below this many pod counts per run of equal held slots, the per-pod-count comprehensions are cheaper
# than building the lists run by run.
_MIN_MEAN_RUN = 4


def growth_path(limits: InstanceLimits, settings: CniSettings, kubelet_max_pods: int, up_to: int) -> GrowthPath:
    """Held slots, ENIs and addresses for N = 0..up_to pods (IPv4 modes).

    The held count is a step function of N, so it is built as runs of equal values (start N, held)
    and every other figure is computed once per run; paths whose held count changes nearly every pod
    (warm IP targets with secondary IPs) are computed pod count by pod count instead.
    """
    S = limits.ipv4_per_eni - 1
    pd = pd_active(limits, settings)
    unit = IPS_PER_PREFIX if pd else 1
    trunk = 1 if has_trunk(limits, settings) else 0
    custom = settings.custom_networking
    room_enis = pod_enis(limits, settings)  # hasRoomForEni keeps the trunk's slot on trunking-compatible types
    cap_slots = max(room_enis, 0) * S
    M = kubelet_max_pods
    w, m = settings.warm_ip_target, settings.minimum_ip_target
    warm_ip = settings.warm_ip_targets_defined
    n = up_to + 1
    if n <= 0:
        return GrowthPath([], [], [], [], [], [])
    runs: list[tuple[int, int]] = []  # (first N, held), consecutive values distinct
    held: list[int] = []
    if S <= 0:
        runs.append((0, 0))
    elif not pd and not warm_ip:
        # ENIs wanted: ceil(N/S) + W (W > 0), floor(N/S) + 1 (W = 0); constant over S pod counts.
        W = settings.warm_eni_target
        stop = _ceil(max(M, 0), S)  # first ENI count whose addresses reach M
        cap = min(stop, max(room_enis, 0))
        if W > 0:
            runs.append((0, min(W, cap) * S))  # N = 0: ceil(0/S) + W
            k, first_offset, need_offset = 1, 1 - S, W  # N in ((k-1)S, kS]: k + W
        else:
            k, first_offset, need_offset = 0, 0, 1  # N in [kS, (k+1)S): k + 1
        while True:
            first = k * S + first_offset
            if first >= n:
                break
            need = k + need_offset
            v = min(need, cap) * S
            if not runs or runs[-1][1] != v:
                runs.append((first, v))
            if need >= cap:
                break
            k += 1
    else:
        # Growth happens in jumps to the target that end early at ENI boundaries; it stops at the
        # first jump end at or beyond the max-pods point. Once held reaches that point or the slot
        # cap, it never changes again.
        stop_units = _ceil(max(M, 0), unit)  # prefixes (or IPs) whose addresses reach M
        stop_boundary = _ceil(stop_units, S) * S
        t = settings.warm_prefix_target
        prev = 0
        last = -1
        # Comparisons instead of min()/max() below: builtin calls in this loop double the sweep's time.
        for N in range(n):
            if prev * unit >= M or prev == cap_slots:
                if prev != last:
                    runs.append((N, prev))
                held.extend([prev] * (n - N))
                break
            if warm_ip:
                T = (N + w if N + w > m else m) if w > 0 else m  # noqa: FURB136
                target = -(-T // unit)
            elif t > 0:
                target = -(-N // IPS_PER_PREFIX) + t
            else:
                target = N // IPS_PER_PREFIX + 1
            if target <= prev:
                cur = prev
            else:
                cur = target
                if stop_units > prev and stop_boundary < cur:
                    cur = stop_boundary
            if cur > cap_slots:  # noqa: PLR1730
                cur = cap_slots
            floor = prev if prev <= cap_slots else cap_slots  # noqa: FURB136
            if cur < floor:  # noqa: PLR1730
                cur = floor
            held.append(cur)
            if cur != last:
                runs.append((N, cur))
                last = cur
            prev = cur
        if len(runs) * _MIN_MEAN_RUN > n:
            return _per_pod_count(held, S, unit, trunk, custom)
    return _per_run(runs, n, S, unit, trunk, custom)


def _per_run(runs: list[tuple[int, int]], n: int, S: int, unit: int, trunk: int, custom: bool) -> GrowthPath:
    held: list[int] = []
    enis: list[int] = []
    node: list[int] = []
    pod: list[int] = []
    sub: list[int] = []
    starved: list[int] = []
    ends = [a for a, _ in runs[1:]]
    ends.append(n)
    for (a, h), b in zip(runs, ends):
        L = b - a
        data_enis = -(-h // S) if S > 0 else 0
        n_enis = (1 + data_enis) if custom else max(1, data_enis)
        pool = h * unit
        if custom:
            ns, ps = 1, (n_enis - 1) + pool + trunk
            total = ns + ps
        else:
            ns = ps = total = n_enis + pool + trunk
        held += [h] * L
        enis += [n_enis] * L
        node += [ns] * L
        pod += [ps] * L
        sub += [total] * L
        # starved: max(N - pool, 0) for N in [a, b)
        if b - 1 <= pool:
            starved += [0] * L
        else:
            lo = a if a > pool else pool + 1
            starved += [0] * (lo - a)
            starved += range(lo - pool, b - pool)
    return GrowthPath(held, enis, node, pod, sub, starved)


def _per_pod_count(held: list[int], S: int, unit: int, trunk: int, custom: bool) -> GrowthPath:
    # S > 0 here: S <= 0 always takes the per-run path.
    if custom:
        enis = [1 - (-h // S) for h in held]
        node = [1] * len(held)
        pod = [e - 1 + h * unit + trunk for e, h in zip(enis, held)]
        sub = [1 + p for p in pod]
    else:
        enis = [d if (d := -(-h // S)) > 1 else 1 for h in held]
        node = [e + h * unit + trunk for e, h in zip(enis, held)]
        pod = node[:]
        sub = node[:]
    starved = [N - p if N > p else 0 for N, p in enumerate([h * unit for h in held] if unit != 1 else held)]
    return GrowthPath(held, enis, node, pod, sub, starved)


def growth_point(limits: InstanceLimits, settings: CniSettings, kubelet_max_pods: int, pods: int) -> tuple[int, int]:
    """``(held[pods], enis[pods])`` of :func:`growth_path` (IPv4 modes, ``pods >= 0``) without building the
    path: the ENI-target runs up to ``pods``, or the warm-target growth in closed form. A node pool of
    hundreds of candidate types asks for one point of each type's path, and building whole paths was most of
    the analysis of such a pool (tests hold the two equal point by point, tests/test_speed_paths.py)."""
    S = limits.ipv4_per_eni - 1
    pd = pd_active(limits, settings)
    unit = IPS_PER_PREFIX if pd else 1
    room_enis = pod_enis(limits, settings)
    cap_slots = max(room_enis, 0) * S
    M = kubelet_max_pods
    w, m = settings.warm_ip_target, settings.minimum_ip_target
    warm_ip = settings.warm_ip_targets_defined
    n = pods + 1
    held = 0
    if S <= 0:
        held = 0
    elif not pd and not warm_ip:
        W = settings.warm_eni_target
        stop = _ceil(max(M, 0), S)
        cap = min(stop, max(room_enis, 0))
        if W > 0:
            held = min(W, cap) * S
            k, first_offset, need_offset = 1, 1 - S, W
        else:
            k, first_offset, need_offset = 0, 0, 1
        while True:
            first = k * S + first_offset
            if first >= n:
                break
            need = k + need_offset
            held = min(need, cap) * S  # the run starting at `first` (<= pods)
            if need >= cap:
                break
            k += 1
    else:
        # While it grows, the loop of growth_path holds h(N) = max(0, min(target(N), stop_boundary, cap_slots))
        # (the target never falls as N grows, and below the max-pods point the boundary clamp always
        # applies); it stops for good at the first N whose held count reaches the max-pods point or the slot
        # cap. Both are monotone in N, so that N is found by bisection: O(log pods), not O(pods).
        stop_units = _ceil(max(M, 0), unit)
        stop_boundary = _ceil(stop_units, S) * S
        t = settings.warm_prefix_target

        def h(N: int) -> int:
            if warm_ip:
                T = (N + w if N + w > m else m) if w > 0 else m  # noqa: FURB136
                target = -(-T // unit)
            elif t > 0:
                target = -(-N // IPS_PER_PREFIX) + t
            else:
                target = N // IPS_PER_PREFIX + 1
            return max(0, min(target, stop_boundary, cap_slots))

        def stopped(x: int) -> bool:
            return x * unit >= M or x == cap_slots

        if stopped(0):
            held = 0
        elif pods == 0 or not stopped(h(pods - 1)):
            held = h(pods)
        else:  # the first k < pods with stopped(h(k)): held stays h(k) from then on
            lo, hi = 0, pods - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if stopped(h(mid)):
                    hi = mid
                else:
                    lo = mid + 1
            held = h(lo)
    data_enis = -(-held // S) if S > 0 else 0
    enis = (1 + data_enis) if settings.custom_networking else max(1, data_enis)
    return held, enis
