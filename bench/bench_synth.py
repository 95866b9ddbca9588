"""What podcap's validation plugin costs a `cdk synth` of the reference cluster.

Run: python bench/bench_synth.py [--repeat 3] [--spec examples/reference.yaml] [--builtin] [--cli]

In-process (default): a fresh ``App`` per run in one Python process (the jsii kernel, started once, is
warmed up first), building the app and ``app.synth()`` timed with and without the plugin; best of ``--repeat``. ``--builtin``
keeps CDK's built-in CloudFormation validator on in both (it is off by default: it costs several seconds
per synth and is the same in both arms). ``--cli`` also times ``npx cdk synth --no-notices`` end to end
(``-c podcap:enabled=false`` for the arm without the plugin; ``--no-validation`` unless ``--builtin``).
Prints the best times and the ratio with/without.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def in_process(spec: str, plugin: bool, builtin: bool, workdir: str) -> float:
    from app import build_app

    outdir = tempfile.mkdtemp(dir=workdir)
    t0 = time.perf_counter()
    app = build_app(spec, outdir=outdir, context={"podcap:enabled": plugin},
                    builtin_cloud_formation_validation=builtin)
    app.synth()
    return time.perf_counter() - t0


def via_cli(spec: str, plugin: bool, builtin: bool, workdir: str) -> float:
    outdir = tempfile.mkdtemp(dir=workdir)
    cmd = ["npx", "--no", "cdk", "synth", "--no-notices", "-q", "-o", outdir, "-c", f"spec={spec}",
           "-c", f"podcap:enabled={'true' if plugin else 'false'}"]
    if not builtin:
        cmd.append("--no-validation")
    env = dict(os.environ, CDK_DISABLE_CLI_TELEMETRY="true",
               PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def best(fn, repeat: int, *args) -> float:
    return min(fn(*args) for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
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
        print(f"spec {os.path.relpath(args.spec, ROOT)}, best of {args.repeat}, built-in CloudFormation validator "
              f"{'on' if args.builtin else 'off'}")
        for label, fn in rows:
            without = best(fn, args.repeat, args.spec, False, args.builtin, workdir)
            with_ = best(fn, args.repeat, args.spec, True, args.builtin, workdir)
            print(f"  {label:24s} without podcap {without:6.2f} s   with podcap {with_:6.2f} s   "
                  f"ratio {with_ / without:4.2f}x  (+{with_ - without:.2f} s)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
