"""How close `podcap check` runs to its floor, and whether its cost grows linearly with the plan.

Run: python bench/bench_scale.py [--repeat 3] [--mb 1 5 20 50] [--quick] [--cpu] [--stat min] [--compare]
                                 [--this-env]

Every figure is the median (with --stat min: the fastest) of --repeat subprocess runs, wall time or with
--cpu CPU time (interpreter start-up included, the report sent to /dev/null), next to the *floor* for the
same file: a bare interpreter that only parses it (``json.load``, or PyYAML's libyaml loader for a YAML
template), which any tool reading the file pays; podcap's runs and the floor's alternate, so a swing of
the machine's speed falls on both. --compare also times cfn-lint and checkov on the same files where they
are installed.

Both run in a throw-away virtual environment that imports podcap the way an installed package is imported
(a plain folder on sys.path, this environment's site-packages for its dependencies). A development
checkout installed with ``pip install -e`` has setuptools' editable-install finder, which every
interpreter of that environment imports at start-up along with pathlib, re, urllib.parse ...; the floor's
runs would pay for modules podcap needs and hide their cost (about 8 ms a run). --this-env times with this
interpreter as it is, for comparing with figures taken that way. podcap runs as users run it, the
``podcap`` console script of the environment timed (written into the throw-away one as an installer
writes it), not ``python -m podcap``, whose runpy start-up costs ~2 ms more.

* start-up: a one-subnet JSON template (no goal: what every run pays before its input's own work);
* small template: the 12 KB EKS template of awslabs' CloudFormation samples (shared fixtures, when
  present) and the 30 KB CDK template; goal <= 2x the floor;
* 500-subnet template: a generated JSON template, one VPC, 500 subnets, 100 node groups over them; goal
  <= 3x the floor;
* Terraform plans of 1, 5, 20 and 50 MB (bench/tfplan_gen.py); goal: the 50 MB plan <= 3x the floor, and
  linear cost: the ms/MB of podcap at each size (start-up included), and the worst ratio between sizes of
  the marginal ms per MB over the smallest plan (start-up excluded; 1.0 = perfectly linear).

Prints a table; writes nothing outside a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from tfplan_gen import write_plan

SHARED = Path(os.environ.get("PODCAP_SHARED", ROOT.parent / "shared")) / "fixtures"  # beside the checkout
SMALL = [SHARED / "cfn/aws-cloudformation-templates-EKS/template.yaml",
         SHARED / "cdk/aws-cdk-eks-v2-alpha-addon/EksClusterWithAddonStack.template.json"]
GOAL_SMALL, GOAL_LARGE = 2.0, 3.0


CPU = False  # --cpu: user + system CPU seconds of the child instead of wall time (steadier on a busy machine)
# Children run with compiled bytecode as an installed package has it: PYTHONDONTWRITEBYTECODE (set in some
# development shells) would make every run compile every module; the cache goes to a temporary folder
# (PYTHONPYCACHEPREFIX), never into the source tree.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
PYTHON = sys.executable  # main() points it at the throw-away environment's interpreter, unless --this-env
# what users run: the `podcap` console script (pyproject's [project.scripts]) of the environment timed; main()
# sets it, and `python -m podcap` stands in only where this environment has no script
PODCAP: list[str] = [sys.executable, "-m", "podcap"]


def installed_python(tmp: Path) -> str:
    """An interpreter of a new virtual environment (no pip, no setuptools) whose one ``.pth`` file puts a
    folder holding ``podcap`` (a link to validators/) and this environment's site-packages on sys.path:
    podcap imports as a wheel install has it, its dependencies come from here, and no editable-install
    finder runs at start-up (a ``.pth`` file in a folder named by a ``.pth`` line is not processed)."""
    import sysconfig
    import venv

    env_dir = tmp / "venv"
    venv.EnvBuilder(symlinks=os.name != "nt", with_pip=False).create(env_dir)
    pkg = tmp / "pkg"
    pkg.mkdir()
    (pkg / "podcap").symlink_to(ROOT / "validators", target_is_directory=True)
    lines = [str(pkg)] + list(dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]))
    python = str(env_dir / ("Scripts" if os.name == "nt" else "bin") / "python")
    site_dir = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    Path(site_dir, "podcap-bench.pth").write_text("\n".join(lines) + "\n")
    code = "import sys, podcap; print(podcap.__file__); print(sorted(m for m in sys.modules if 'editable' in m))"
    probe = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, env=ENV).stdout.split("\n")
    if not probe[0].startswith(str(pkg)) or probe[1] != "[]":
        raise SystemExit(f"bench: the throw-away environment imports podcap from {probe[0]} ({probe[1]})")
    return python


def console_script(python: str) -> str:
    """The ``podcap`` command as an installer writes it into ``python``'s environment: a script whose first
    line names that interpreter and which calls pyproject's ``[project.scripts]`` entry point. Users run
    it, not ``python -m podcap`` (runpy imports importlib.util and contextlib first, ~2 ms a run)."""
    import tomllib

    entry = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["podcap"]
    module, _, func = entry.partition(":")
    script = Path(python).parent / "podcap"
    script.write_text(f"#!{python}\nimport sys\nfrom {module} import {func}\nif __name__ == '__main__':\n"
                      f"    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n    sys.exit({func}())\n")
    script.chmod(0o755)
    return str(script)


def _run(argv: list[str], verdicts: tuple[int, ...] | None = (0, 1)) -> float:
    """One run's time. ``verdicts``: the exit codes that mean the run did its work (podcap: 0, or 1 for
    findings; anything else checked nothing and is no timing); None for a tool whose exit code is only its
    verdict (a linter exits non-zero on findings)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=ENV)
    wall = time.perf_counter() - t0
    if verdicts is not None and done.returncode not in verdicts:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["(no message)"]
        raise SystemExit(f"bench: {' '.join(argv[:4])} ... exited {done.returncode}: {tail[0]}")
    if not CPU:
        return wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


STAT = statistics.median  # --stat min: the least of the runs (timeit's advice on a machine shared with other work)


def median_time(argv: list[str], repeat: int, verdicts: tuple[int, ...] | None = (0, 1)) -> float:
    _run(argv, verdicts)  # warm the page cache
    return STAT([_run(argv, verdicts) for _ in range(repeat)])


def floor_argv(path: Path) -> list[str]:
    if path.suffix in (".yaml", ".yml"):  # CloudFormation short forms (!Ref …) read as plain nodes
        # libyaml's loader where PyYAML has it, as podcap parses with libyaml (sources/_yaml_loader.py):
        # yaml.safe_load is the pure-Python parser, ~1.7x slower on the 12 KB template
        code = ("import sys, yaml; L = getattr(yaml, 'CSafeLoader', yaml.SafeLoader); "
                "L.add_multi_constructor('!', lambda l, s, n: None); "
                "yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=L)")
    else:
        code = "import sys, json; json.load(open(sys.argv[1], encoding='utf-8'))"
    return [PYTHON, "-c", code, str(path)]


def podcap_argv(path: Path) -> list[str]:
    return [*PODCAP, "check", str(path), "--format", "json"]


def template_500(path: Path, subnets: int = 500, groups: int = 100) -> None:
    """One VPC 10.0.0.0/8, `subnets` /24 subnets over three AZs, `groups` managed node groups (5 subnets
    each), one cluster and its vpc-cni add-on."""
    res: dict = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/8"}}}
    azs = ["us-east-1a", "us-east-1b", "us-east-1c"]
    for i in range(subnets):
        res[f"Subnet{i}"] = {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": f"10.{i // 256}.{i % 256}.0/24", "AvailabilityZone": azs[i % 3],
            "Tags": [{"Key": "Name", "Value": f"subnet-{i}"}, {"Key": "kubernetes.io/role/internal-elb", "Value": "1"}]}}
    res["Cluster"] = {"Type": "AWS::EKS::Cluster", "Properties": {
        "Name": "big", "RoleArn": "arn:aws:iam::123456789012:role/eks",
        "ResourcesVpcConfig": {"SubnetIds": [{"Ref": f"Subnet{i}"} for i in range(3)]}}}
    res["VpcCni"] = {"Type": "AWS::EKS::Addon", "Properties": {
        "ClusterName": {"Ref": "Cluster"}, "AddonName": "vpc-cni",
        "ConfigurationValues": json.dumps({"env": {"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "10"}})}}
    types = ["m5.large", "m5.xlarge", "c5.2xlarge", "r5.4xlarge", "t3.medium"]
    for g in range(groups):
        res[f"Nodes{g}"] = {"Type": "AWS::EKS::Nodegroup", "DependsOn": "VpcCni", "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "NodeRole": "arn:aws:iam::123456789012:role/node",
            "Subnets": [{"Ref": f"Subnet{(g * 5 + k) % subnets}"} for k in range(5)],
            "InstanceTypes": [types[g % len(types)]],
            "ScalingConfig": {"MinSize": 1, "DesiredSize": 2, "MaxSize": 3 + g % 4}}}
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": res}, indent=1))


def paired_times(a: list[str], b: list[str], repeat: int) -> tuple[float, float]:
    """``median_time`` of two commands, their runs interleaved (a, b, a, b ...): a shared machine's speed
    swings over seconds, and a ratio of two series timed one after the other takes the swing for a
    difference between them."""
    _run(a)
    _run(b)
    times_a, times_b = [], []
    for _ in range(repeat):
        times_a.append(_run(a))
        times_b.append(_run(b))
    return STAT(times_a), STAT(times_b)


def row(label: str, path: Path, repeat: int, goal: float | None) -> dict:
    floor, t = paired_times(floor_argv(path), podcap_argv(path), repeat)
    ratio = t / floor if floor else float("inf")
    ok = "" if goal is None else ("meets" if ratio <= goal else "MISSES") + f" <= {goal:g}x"
    mb = path.stat().st_size / 1e6
    print(f"{label:34} {mb:8.2f} MB {t * 1000:9.0f} ms {floor * 1000:9.0f} ms {ratio:6.2f}x  {ok}", flush=True)
    return {"label": label, "mb": mb, "podcap_s": t, "floor_s": floor, "ratio": ratio}


def _tool(name: str) -> str | None:
    """A linter users run instead, from this interpreter's environment or PATH; None when not installed."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def compare_row(label: str, path: Path, podcap_s: float, repeat: int, tool: str, argv: list[str]) -> None:
    """The same file through a tool users run instead (its exit code is its own verdict: not checked)."""
    t = median_time(argv, repeat, verdicts=None)
    print(f"{label:34} {tool:>12} {t * 1000:9.0f} ms   podcap {podcap_s * 1000:6.0f} ms: "
          f"{t / podcap_s:5.1f}x faster", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mb", type=float, nargs="+", default=[1, 5, 20, 50])
    ap.add_argument("--quick", action="store_true", help="sizes 1 and 5 MB only, one repeat")
    ap.add_argument("--cpu", action="store_true", help="time CPU seconds (user + system) instead of wall time")
    ap.add_argument("--stat", choices=["median", "min"], default="median",
                    help="which run of --repeat each figure is: the median (default) or the fastest")
    ap.add_argument("--compare", action="store_true",
                    help="also time cfn-lint on the CloudFormation templates and checkov on every input, "
                         "where installed (the tools users would run instead)")
    ap.add_argument("--this-env", action="store_true",
                    help="time with this interpreter and its site-packages as they are (an editable install's "
                         "finder then loads pathlib, re ... into the floor's runs too) instead of a throw-away "
                         "environment that imports podcap as an installed package")
    a = ap.parse_args()
    global CPU, STAT, PYTHON, PODCAP
    CPU = a.cpu
    STAT = min if a.stat == "min" else statistics.median
    print(f"timing: {'CPU seconds (user + system) of each run' if CPU else 'wall time'}, {a.stat} of {a.repeat}")
    if a.quick:
        a.mb, a.repeat = [1, 5], 1
    tmp = Path(tempfile.mkdtemp(prefix="podcap-bench-"))
    ENV["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    try:
        if not a.this_env:
            PYTHON = installed_python(tmp)
            PODCAP = [console_script(PYTHON)]
        else:
            beside = Path(sys.executable).parent / "podcap"  # this environment's script, else PODCAP's default
            if beside.is_file():
                PODCAP = [str(beside)]
        print(f"interpreter: {'this one, as it is' if a.this_env else 'a throw-away environment, podcap as installed'}; "
              f"command: {' '.join(PODCAP)} check FILE --format json")
        print(f"{'input':34} {'size':>11} {'podcap':>12} {'floor':>12} {'ratio':>7}")
        cfn_rows = []
        for p in SMALL:
            if p.is_file():
                cfn_rows.append((p, row(f"small: {p.name[:26]}", p, a.repeat, GOAL_SMALL)))
        tiny = tmp / "one-subnet.json"  # start-up alone: imports, snapshot, one subnet, the report
        tiny.write_text(json.dumps({"Resources": {"Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}}}}))
        row("start-up: a one-subnet template", tiny, a.repeat, None)
        t500 = tmp / "subnets500.json"
        template_500(t500)
        cfn_rows.append((t500, row("500 subnets + 100 node groups", t500, a.repeat, GOAL_LARGE)))
        if a.compare:
            cfn_lint, checkov = _tool("cfn-lint"), _tool("checkov")
            print("\nthe tools users would run instead, on the same files:")
            for p, r in cfn_rows:
                if cfn_lint:
                    compare_row(r["label"], p, r["podcap_s"], a.repeat, "cfn-lint", [cfn_lint, str(p)])
                if checkov:
                    compare_row(r["label"], p, r["podcap_s"], a.repeat, "checkov",
                                [checkov, "-f", str(p), "--framework", "cloudformation", "--quiet"])
            if not cfn_lint:
                print("  cfn-lint not installed: skipped")
            if not checkov:
                print("  checkov not installed: skipped (pip install checkov)")
            print()
        plans = []
        for mb in a.mb:
            p = tmp / f"plan-{mb:g}mb.json"
            write_plan(str(p), mb)
            plans.append(row(f"terraform plan {mb:g} MB", p, a.repeat, GOAL_LARGE if mb >= 50 else None))
            if a.compare and _tool("checkov"):
                compare_row(plans[-1]["label"], p, plans[-1]["podcap_s"], a.repeat, "checkov",
                            [str(_tool("checkov")), "-f", str(p), "--framework", "terraform_plan", "--quiet"])
            p.unlink()
        per_mb = [(r["mb"], r["podcap_s"] * 1000 / r["mb"]) for r in plans]
        print("\nms/MB (podcap CLI, start-up included, so small plans carry it):")
        for mb, v in per_mb:
            print(f"  {mb:6.1f} MB: {v:8.1f} ms/MB")
        # linearity without the fixed start-up: (t - t_smallest) per extra MB, between the sizes
        if len(plans) >= 3:
            base = plans[0]
            marg = [((r["podcap_s"] - base["podcap_s"]) * 1000 / (r["mb"] - base["mb"]), r["mb"])
                    for r in plans[1:] if r["mb"] > base["mb"]]
            vals = [m for m, _ in marg]
            print("marginal ms per extra MB over the smallest plan: "
                  + ", ".join(f"{mb:g} MB: {m:.1f}" for m, mb in marg))
            print(f"worst ratio between sizes (marginal ms/MB, 1.0 = linear): {max(vals) / min(vals):.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
