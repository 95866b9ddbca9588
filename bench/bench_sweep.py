"""Sweep every instance type x common CNI settings x pods 0..max pods, with the fast path.

Run: python bench/bench_sweep.py [--snapshot PATH] [--repeat 5] [--reference] [--budget 1.0]
Prints the median (and best) wall time of the whole sweep against the time budget. With --reference it
also times the step-by-step model (IpamdModel, one reconcile per pod count) and the fast path on the same
sample of 100 instance types, and prints the ratio per (type, settings, pods) point.
"""
from __future__ import annotations

import argparse
import statistics
import time

from podcap.engine.allocation import IpamdModel
from podcap.engine.maxpods import max_pods
from podcap.engine.settings import CniSettings
from podcap.engine.sweep import growth_path
from podcap.limits import load_snapshot

COMMON = {
    "default": CniSettings(),
    "warm-eni-0": CniSettings(warm_eni_target=0),
    "warm-ip-5": CniSettings(warm_ip_target=5),
    "warm-ip-2-min-10": CniSettings(warm_ip_target=2, minimum_ip_target=10),
    "prefix-delegation": CniSettings(prefix_delegation=True),
    "custom-networking": CniSettings(custom_networking=True),
}


def sweep(snapshot, settings=COMMON, names=None) -> int:
    points = 0
    types = snapshot.types.values() if names is None else [snapshot.get(n) for n in names]
    for lim in types:
        for s in settings.values():
            mp = max_pods(lim, s)
            k = mp.max_pods if mp.max_pods is not None else mp.ami_default_max_pods  # None: vCPUs unknown
            up = max(min(k, mp.network_max_pods) - 2, 0)
            growth_path(lim, s, k, up)
            points += up + 1
    return points


def reference(snapshot, names, settings=COMMON) -> int:
    points = 0
    for name in names:
        lim = snapshot.get(name)
        for s in settings.values():
            mp = max_pods(lim, s)
            k = mp.max_pods if mp.max_pods is not None else mp.ami_default_max_pods  # None: vCPUs unknown
            up = max(min(k, mp.network_max_pods) - 2, 0)
            model = IpamdModel(lim, s, k)
            model.grow_to(up)
            points += up + 1
    return points


def _times(fn, repeat: int) -> tuple[list[float], int]:
    times, result = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--snapshot")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--budget", type=float, default=1.0, help="seconds the whole sweep must stay under (default 1.0)")
    ap.add_argument("--reference", action="store_true", help="also time the step-by-step model on 100 types")
    a = ap.parse_args()
    snap = load_snapshot(a.snapshot)
    times, points = _times(lambda: sweep(snap), a.repeat)
    med = statistics.median(times)
    n = len(snap.types)
    print(
        f"fast sweep: {n} types x {len(COMMON)} settings, {points} (type, settings, pods) points: "
        f"{med:.3f} s median, {min(times):.3f} s best of {a.repeat} "
        f"({'under' if med < a.budget else 'OVER'} the {a.budget:g} s budget)"
    )
    if a.reference:
        names = snap.names()[:: max(n // 100, 1)][:100]
        ref_times, rp = _times(lambda: reference(snap, names), max(a.repeat // 2, 1))
        fast_times, fp = _times(lambda: sweep(snap, names=names), a.repeat)
        assert rp == fp
        rt, ft = statistics.median(ref_times), statistics.median(fast_times)
        print(f"same {len(names)} types: step-by-step model {rt:.3f} s, fast path {ft:.4f} s median, {rp} points; "
              f"fast path is {rt / ft:.0f}x faster")
        print(f"whole sweep through the step-by-step model (extrapolated per point): {rt / rp * points:.1f} s")


if __name__ == "__main__":
    main()
