"""What podcap's validation plugin costs a `cdk synth` of the reference cluster.

Run: python bench/bench_synth.py [--repeat 3] [--spec examples/reference.yaml] [--builtin] [--cli]

In-process (default): a fresh ``App`` per run in one Python process (the jsii kernel, started once, is
warmed up first), building the app and ``app.synth()`` timed with and without the plugin. The plugin is
switched off the way app.py reads it: context ``podcap:enabled=false`` (``-c podcap:enabled=false`` on
the CLI). ``--builtin`` keeps CDK's built-in CloudFormation validator on in both arms (it is off by
default: it costs seconds per synth when not warm, and is the same in both arms). ``--cli`` also times
``npx cdk synth --no-notices`` end to end (``--no-validation`` unless ``--builtin``).

The two arms alternate within each of ``--repeat`` rounds. Every run is checked: in process, the
plugin's ``validate`` must have run exactly once with the plugin and never without; through the CLI
(built-in validator off), ``validation-report.json`` must be in the assembly with the plugin and absent
without. Prints the median and best times and the ratio of the medians with/without.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


_validate_calls = [0]


def _count_plugin_runs() -> None:
    """Count calls of the plugin's ``validate`` (CDK calls it once per synth when it is registered)."""
    from podcap.cdk.validation import PodcapValidationPlugin

    if getattr(PodcapValidationPlugin.validate, "_bench_counted", False):
        return
    original = PodcapValidationPlugin.validate

    def validate(self, context):
        _validate_calls[0] += 1
        return original(self, context)

    validate._bench_counted = True
    PodcapValidationPlugin.validate = validate


def _expect(plugin: bool, ran: bool, how: str) -> None:
    if plugin != ran:
        raise SystemExit(f"{how}: podcap's plugin {'did not run' if plugin else 'ran'} in the arm "
                         f"{'with' if plugin else 'without'} it; the toggle is broken")


def in_process(spec: str, plugin: bool, builtin: bool, workdir: str) -> float:
    from app import build_app

    _count_plugin_runs()
    outdir = tempfile.mkdtemp(dir=workdir)
    before = _validate_calls[0]
    t0 = time.perf_counter()
    app = build_app(spec, outdir=outdir, context={"podcap:enabled": plugin},
                    builtin_cloud_formation_validation=builtin)
    app.synth()
    elapsed = time.perf_counter() - t0
    calls = _validate_calls[0] - before
    if calls not in (0, 1):
        raise SystemExit(f"in process: the plugin ran {calls} times in one synth")
    _expect(plugin, calls == 1, "in process")
    return elapsed


def via_cli(spec: str, plugin: bool, builtin: bool, workdir: str) -> float:
    outdir = tempfile.mkdtemp(dir=workdir)
    cmd = ["npx", "--no", "cdk", "synth", "--no-notices", "-q", "-o", outdir, "-c", f"spec={spec}",
           "-c", f"podcap:enabled={'true' if plugin else 'false'}"]
    if not builtin:
        cmd.append("--no-validation")
    env = dict(os.environ, CDK_DISABLE_CLI_TELEMETRY="true",
               PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    env.pop("CDK_VALIDATION", None)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    elapsed = time.perf_counter() - t0
    if not builtin:  # with the built-in validator on, it writes the report in both arms
        _expect(plugin, os.path.isfile(os.path.join(outdir, "validation-report.json")), "npx cdk synth")
    return elapsed


def measure(fn, repeat: int, spec: str, builtin: bool, workdir: str) -> tuple[list[float], list[float]]:
    """(without, with) times, the two arms alternating so drift hits both alike."""
    without, with_ = [], []
    for i in range(repeat):
        for plugin in ((False, True) if i % 2 == 0 else (True, False)):
            (with_ if plugin else without).append(fn(spec, plugin, builtin, workdir))
    return without, with_


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per arm (default 3)")
    ap.add_argument("--spec", default=os.path.join(ROOT, "examples", "reference.yaml"))
    ap.add_argument("--builtin", action="store_true", help="keep CDK's built-in CloudFormation validator on")
    ap.add_argument("--cli", action="store_true", help="also time `npx cdk synth` (needs npm ci)")
    args = ap.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="podcap-bench-")
    try:
        in_process(args.spec, True, args.builtin, workdir)  # warm-up: jsii kernel, imports, validators
        rows = [("in-process build+synth", in_process)]
        if args.cli:
            rows.append(("npx cdk synth", via_cli))
        print(f"spec {os.path.relpath(args.spec, ROOT)}, median (best) of {args.repeat}, built-in CloudFormation "
              f"validator {'on' if args.builtin else 'off'}")
        for label, fn in rows:
            without, with_ = measure(fn, args.repeat, args.spec, args.builtin, workdir)
            mw, mp = statistics.median(without), statistics.median(with_)
            print(f"  {label:24s} without podcap {mw:7.3f} s ({min(without):.3f})   "
                  f"with podcap {mp:7.3f} s ({min(with_):.3f})   ratio {mp / mw:4.2f}x  ({mp - mw:+.3f} s)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
