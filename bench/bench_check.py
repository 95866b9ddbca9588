"""`podcap check` on a large Terraform plan, against plain JSON parsing of the same file.

Run: python bench/bench_check.py [--mb 5 50] [--repeat 3] [--groups 100] [--json]

For each size a synthetic `terraform show -json` plan is written to a temporary folder (see
bench/tfplan_gen.py: thousands of subnets, a hundred node groups over them), then timed:

* json.load       -- ``json.load`` of the file: the floor any reader of the plan pays;
* run_check       -- the in-process pipeline, ``podcap.check.run_check`` (detect, load the plan,
                     analyse, every rule, suppressions);
* run_check+json  -- the same plus rendering the JSON report, i.e. all the CLI does but start-up;
* podcap CLI      -- ``podcap check FILE --format json`` as a subprocess, interpreter start-up included
                     (the report goes to /dev/null).

Each figure is the median of --repeat runs, with its ratio to json.load; the in-process figures come
after one untimed warm-up run on a tiny plan (imports, the instance-limits snapshot). ``podcap --help`` start-up is
timed the same way (it must stay well under 1 s), next to a bare ``python -c pass`` for scale.
Figures are printed; nothing is written outside the temporary folder.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tfplan_gen import write_plan

HELP_BUDGET_S = 1.0


def _podcap_path(given: str | None) -> str:
    if given:
        return given
    beside = Path(sys.executable).parent / "podcap"
    if beside.is_file():
        return str(beside)
    found = shutil.which("podcap")
    if not found:
        raise SystemExit("podcap executable not found: pass --podcap PATH")
    return found


def _time(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Wall times of ``repeat`` calls, each started on a collected heap that no longer holds the previous
    call's result (a large result left alive slows the next run's garbage collections); the last result."""
    runs, out = [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return runs, out


def _run(cmd: list[str], ok: tuple[int, ...]) -> int:
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if p.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
    return p.returncode


def bench_plan(path: str, repeat: int, podcap: str) -> dict:
    from podcap.check import CheckOptions, run_check
    from podcap.report import FORMATS
    from podcap.rules import REGISTRY

    def load():
        with open(path, "rb") as fh:
            return json.load(fh)

    def pipeline():
        return run_check(CheckOptions(paths=[path]))

    def pipeline_report():
        result, _strict = run_check(CheckOptions(paths=[path]))
        return result, FORMATS["json"](result, rules=REGISTRY)

    times: dict[str, list[float]] = {}
    times["json.load"], _ = _time(load, repeat)
    times["run_check"], (result, strict) = _time(pipeline, repeat)
    times["run_check+json"], _ = _time(pipeline_report, repeat)
    cli = [podcap, "check", path, "--format", "json"]
    codes = []
    times["podcap CLI"], _ = _time(lambda: codes.append(_run(cli, (0, 1))), repeat)
    return {
        "times": times,
        "findings": len(result.findings),
        "exit_code": codes[-1],
        "expected_exit_code": result.exit_code(strict),
    }


def bench_help(repeat: int, podcap: str) -> dict[str, list[float]]:
    return {
        "python -c pass": _time(lambda: _run([sys.executable, "-c", "pass"], (0,)), repeat)[0],
        "podcap --help": _time(lambda: _run([podcap, "--help"], (0,)), repeat)[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="Time `podcap check` on large Terraform plans against json.load.")
    ap.add_argument("--mb", type=float, nargs="+", default=[5.0, 50.0], help="plan sizes in MB (default: 5 50)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    ap.add_argument("--groups", type=int, default=100, help="node groups in each plan (default 100)")
    ap.add_argument("--help-repeat", type=int, default=10, help="runs of `podcap --help` (default 10)")
    ap.add_argument("--podcap", help="podcap executable (default: the one beside this Python)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    a = ap.parse_args()
    if a.repeat < 1 or a.help_repeat < 1:
        ap.error("--repeat and --help-repeat must be >= 1")
    podcap = _podcap_path(a.podcap)

    out: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "repeat": a.repeat, "plans": []}
    with tempfile.TemporaryDirectory(prefix="podcap-bench-") as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)  # no stray ./.podcap.yaml is picked up, in process or by the CLI
        try:
            # one untimed in-process run first, so the first timed run_check does not carry the
            # one-off imports and snapshot load (the CLI pays them on every run, as users do)
            warm = os.path.join(tmp, "warm-up.json")
            write_plan(warm, 0.1, 2)
            from podcap.check import CheckOptions, run_check

            run_check(CheckOptions(paths=[warm]))
            os.remove(warm)
            for mb in a.mb:
                path = os.path.join(tmp, f"plan-{mb:g}mb.json")
                shape = write_plan(path, mb, a.groups)
                r = bench_plan(path, a.repeat, podcap)
                os.remove(path)
                gc.collect()
                med = {k: statistics.median(v) for k, v in r["times"].items()}
                base = med["json.load"]
                out["plans"].append({
                    "mb": mb, **shape, "findings": r["findings"], "exit_code": r["exit_code"],
                    "median_s": med, "runs_s": r["times"],
                    "ratio_to_json_load": {k: v / base for k, v in med.items()},
                })
                if r["exit_code"] != r["expected_exit_code"]:
                    print(f"warning: CLI exit {r['exit_code']} but in-process verdict {r['expected_exit_code']}",
                          file=sys.stderr)
            helps = bench_help(a.help_repeat, podcap)
        finally:
            os.chdir(cwd)
    out["startup_median_s"] = {k: statistics.median(v) for k, v in helps.items()}
    out["startup_runs_s"] = helps
    out["help_under_budget"] = out["startup_median_s"]["podcap --help"] < HELP_BUDGET_S

    if a.json:
        print(json.dumps(out, indent=2))
        return
    print(f"median of {a.repeat} run(s); Python {out['python']}, {out['cpus']} CPU(s)")
    for p in out["plans"]:
        print(f"\nplan {p['bytes'] / 1e6:.1f} MB: {p['subnets']} subnets, {p['node_groups']} node groups, "
              f"{p['findings']} findings (exit {p['exit_code']})")
        print(f"  {'step':<16}{'seconds':>10}{'x json.load':>14}")
        for k, v in p["median_s"].items():
            print(f"  {k:<16}{v:>10.3f}{p['ratio_to_json_load'][k]:>14.1f}")
    s = out["startup_median_s"]
    print(f"\nstart-up (median of {a.help_repeat}): podcap --help {s['podcap --help']:.3f} s "
          f"({'under' if out['help_under_budget'] else 'OVER'} the {HELP_BUDGET_S:g} s budget), "
          f"python -c pass {s['python -c pass']:.3f} s")


if __name__ == "__main__":
    main()
