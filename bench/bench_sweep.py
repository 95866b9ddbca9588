"""Sweep every instance type x common CNI settings x pods 0..max pods, with the fast path.

Run: python bench/bench_sweep.py [--snapshot PATH] [--repeat 5] [--reference]
Prints the best wall time of the sweep, and with --reference the step-by-step model's time on a
sample, as a ratio.
"""
from __future__ import annotations

import argparse
import time

from validators.engine.allocation import IpamdModel
from validators.engine.maxpods import max_pods
from validators.engine.settings import CniSettings
from validators.engine.sweep import growth_path
from validators.limits import load_snapshot

COMMON = {
    "default": CniSettings(),
    "warm-eni-0": CniSettings(warm_eni_target=0),
    "warm-ip-5": CniSettings(warm_ip_target=5),
    "warm-ip-2-min-10": CniSettings(warm_ip_target=2, minimum_ip_target=10),
    "prefix-delegation": CniSettings(prefix_delegation=True),
    "custom-networking": CniSettings(custom_networking=True),
}


def sweep(snapshot, settings=COMMON) -> int:
    points = 0
    for lim in snapshot.types.values():
        for s in settings.values():
            mp = max_pods(lim, s)
            up = max(min(mp.max_pods, mp.network_max_pods) - 2, 0)
            growth_path(lim, s, mp.max_pods, up)
            points += up + 1
    return points


def reference(snapshot, names, settings=COMMON) -> int:
    points = 0
    for name in names:
        lim = snapshot.get(name)
        for s in settings.values():
            mp = max_pods(lim, s)
            up = max(min(mp.max_pods, mp.network_max_pods) - 2, 0)
            model = IpamdModel(lim, s, mp.max_pods)
            model.grow_to(up)
            points += up + 1
    return points


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--snapshot")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reference", action="store_true", help="also time the step-by-step model on 100 types")
    a = ap.parse_args()
    snap = load_snapshot(a.snapshot)
    best = float("inf")
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        points = sweep(snap)
        best = min(best, time.perf_counter() - t0)
    n = len(snap.types)
    print(f"fast sweep: {n} types x {len(COMMON)} settings, {points} (type, settings, pods) points: {best:.3f} s best of {a.repeat}")
    if a.reference:
        names = snap.names()[:: max(n // 100, 1)][:100]
        t0 = time.perf_counter()
        rp = reference(snap, names)
        rt = time.perf_counter() - t0
        fast_per_point = best / points
        ref_per_point = rt / rp
        print(f"step-by-step model: {rp} points in {rt:.3f} s; fast path is {ref_per_point / fast_per_point:.0f}x faster per point")


if __name__ == "__main__":
    main()
