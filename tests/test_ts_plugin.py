"""The TypeScript plugin (packages/podcap-cdk) reaches the Python plugin's verdicts on the same app.

tests/data/ts-app/app.ts builds, from a spec file, the CloudFormation app.py builds (aws-cdk-lib L1s, the same
construct tree) and registers podcap-cdk's ``PodcapValidator``; app.py registers ``PodcapValidationPlugin``.
Both are synthesized by the pinned CDK CLI (``cdk synth``), and their podcap reports in
``validation-report.json`` are compared: conclusion, rule ids, severities, construct paths, logical ids,
messages, fixes, rule metadata. The figures of the undersized example are in examples/undersized.yaml.

Needs Node.js, the pinned CLI (npm ci at the top) and the package's node_modules (``bash scripts/test_ts.sh``
runs npm ci there); skipped otherwise. Never downloads anything.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "packages" / "podcap-cdk"
TS_APP = ROOT / "tests" / "data" / "ts-app"
CLI = ROOT / "node_modules" / ".bin" / "cdk"
TSC = PKG / "node_modules" / ".bin" / "tsc"

try:
    import aws_cdk  # noqa: F401

    HAVE_CDK_LIB = True
except ImportError:
    HAVE_CDK_LIB = False

pytestmark = [
    pytest.mark.cdk,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CDK_LIB, reason="needs aws-cdk-lib (pip install -e '.[cdk]')"),
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None, reason="needs Node.js and npm"),
    pytest.mark.skipif(not CLI.exists(), reason="the pinned CDK CLI is not installed (npm ci)"),
    pytest.mark.skipif(not (PKG / "node_modules" / "aws-cdk-lib").is_dir() or not TSC.exists(),
                       reason="packages/podcap-cdk is not installed (bash scripts/test_ts.sh)"),
]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # a plain, non-test run
    env.update({
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        # the TypeScript plugin runs this venv's podcap, the one the Python plugin imports
        "PODCAP_COMMAND": json.dumps([str(Path(sys.executable).parent / "podcap")]),
    })
    for k in ("CDK_OUTDIR", "CDK_CONTEXT_JSON", "CDK_APP_MODE"):
        env.pop(k, None)
    return env


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def ts_build(tmp_path_factory) -> Path:
    """The package's lib/ (built when missing or older than its sources) and the app, compiled to a tmp dir."""
    sources = list((PKG / "src").glob("*.ts"))
    lib = PKG / "lib" / "index.js"
    if not lib.exists() or any(s.stat().st_mtime > lib.stat().st_mtime for s in sources):
        p = _run([str(TSC), "-p", "tsconfig.json"], PKG)
        assert p.returncode == 0, p.stdout + p.stderr
    out = tmp_path_factory.mktemp("ts-app-build")
    p = _run([str(TSC), "-p", "tsconfig.json", "--outDir", str(out)], TS_APP)
    assert p.returncode == 0, p.stdout + p.stderr
    return out / "app.js"


def _variant(tmp_path_factory, name: str, change) -> Path:
    """examples/undersized.yaml changed by ``change(doc)``, written as JSON (which both apps read)."""
    from podcap.cdk.from_spec import load_spec_document

    doc = load_spec_document(str(ROOT / "examples" / "undersized.yaml"))
    change(doc)
    path = tmp_path_factory.mktemp("specs") / f"{name}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fixed_spec(tmp_path_factory) -> Path:
    """/24 node subnets: 256 - 5 = 251 usable each >= the 182 each needs."""
    def change(doc):
        doc["subnets"][0]["cidr"] = "10.0.0.0/24"
        doc["subnets"][1]["cidr"] = "10.0.1.0/24"

    return _variant(tmp_path_factory, "fixed", change)


@pytest.fixture(scope="module")
def waived_spec(tmp_path_factory) -> Path:
    """PC201 waived on nodes-a (current) and on nodes-b (expired in 2020): each app turns spec suppressions
    into its acknowledge() calls, so nodes-a is acknowledged and nodes-b fails again."""
    def change(doc):
        doc["suppressions"] = [
            {"id": "PC201", "resource": "nodes-a", "reason": "lab cluster, small on purpose"},
            {"id": "PC201", "resource": "nodes-b", "reason": "resized in the next release", "expires": "2020-01-31"},
        ]

    return _variant(tmp_path_factory, "waived", change)


def _synth(outdir: Path, spec: Path, app: str | None, cwd: Path) -> tuple[subprocess.CompletedProcess, dict, dict]:
    cmd = [str(CLI), "synth", "--no-notices", "-q", "--no-validation", "-o", str(outdir), "-c", f"spec={spec}"]
    if app:
        cmd += ["--app", app]
    p = _run(cmd, cwd)
    stack = f"podcap-{_spec_name(spec)}"
    template = json.loads((outdir / f"{stack}.template.json").read_text())
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {"pluginReports": []}
    return p, template, report


def _spec_name(spec: Path) -> str:
    from podcap.cdk.from_spec import load_spec_document

    return str(load_spec_document(str(spec))["name"])


def _podcap(report: dict, outdir: Path) -> dict | None:
    """The podcap plugin's report, without what differs between two synths (output folder, stack traces)."""
    reps = [r for r in report["pluginReports"] if r["pluginName"] == "podcap"]
    if not reps:
        return None
    (rep,) = reps
    rep = json.loads(json.dumps(rep))
    rep.pop("pluginVersion", None)
    inputs = rep.get("metadata", {}).pop("inputs", "")
    assert inputs == str(outdir.resolve()), inputs  # both check the whole cloud assembly
    for key in ("violations", "suppressedViolations"):
        for v in rep.get(key, []):
            for c in v.get("violatingConstructs", []):
                c.pop("stackTraces", None)
                c.pop("libraryVersion", None)
            v.pop("acknowledgedStackTrace", None)
    return rep


@pytest.fixture(scope="module")
def both(tmp_path_factory, ts_build):
    """spec -> ((python synth, its podcap report), (typescript synth, its podcap report)), each synth once."""
    done: dict[Path, tuple] = {}

    def run(spec: Path):
        if spec not in done:
            work = tmp_path_factory.mktemp(spec.stem)
            py_out, ts_out = work / "py", work / "ts"
            py = _synth(py_out, spec, None, ROOT)
            ts = _synth(ts_out, spec, f"node --require {TS_APP / 'resolve.js'} {ts_build}", TS_APP)
            done[spec] = ((py, _podcap(py[2], py_out)), (ts, _podcap(ts[2], ts_out)))
        return done[spec]

    return run


def _resources(template: dict) -> dict:
    res = dict(template["Resources"])
    res.pop("CDKMetadata", None)  # analytics: names the construct library's language
    return res


@pytest.mark.parametrize("example", ["reference", "undersized"])
def test_same_template_and_report_as_the_python_app(both, example):
    (py, py_rep), (ts, ts_rep) = both(ROOT / "examples" / f"{example}.yaml")
    assert _resources(ts[1]) == _resources(py[1])  # the same CloudFormation: the apps are equivalent
    assert ts[0].returncode == py[0].returncode, ts[0].stderr + py[0].stderr
    assert ts_rep == py_rep


def test_undersized_fails_with_pc201_on_both_subnet_constructs(both):
    """examples/undersized.yaml: two /26 = 64 - 5 = 59 usable each; 6 m5.large nodes per subnet at max
    x 30 addresses + 2 for the control plane = 182 needed: PC201 on both subnets, the synth fails."""
    (py, py_rep), (ts, ts_rep) = both(ROOT / "examples" / "undersized.yaml")
    assert ts[0].returncode != 0 and py[0].returncode != 0
    for rep in (ts_rep, py_rep):
        assert rep["conclusion"] == "failure"
        pc201 = [v for v in rep["violations"] if v["ruleName"] == "PC201"]
        paths = sorted(c["constructPath"] for v in pc201 for c in v["violatingConstructs"])
        assert paths == ["podcap-undersized/Network/SubnetNodesA", "podcap-undersized/Network/SubnetNodesB"]
        assert {v["severity"] for v in pc201} == {"error"}
        for v in pc201:
            (c,) = v["violatingConstructs"]
            assert c["cloudFormationResource"]["logicalId"].startswith("NetworkSubnetNodes")
            assert v["ruleMetadata"]["construct path"] == c["constructPath"]
            assert v["suggestedFix"]
    assert "PC201" in ts[0].stderr and "podcap-undersized/Network/SubnetNodesA" in ts[0].stderr


def test_fixed_subnets_pass_in_both(both, fixed_spec):
    (py, py_rep), (ts, ts_rep) = both(fixed_spec)
    assert _resources(ts[1]) == _resources(py[1])
    assert ts[0].returncode == 0, ts[0].stderr
    assert py[0].returncode == 0, py[0].stderr
    assert ts_rep == py_rep
    assert ts_rep is None or ts_rep["conclusion"] == "success"


def test_waivers_are_acknowledged_alike(both, waived_spec):
    (py, py_rep), (ts, ts_rep) = both(waived_spec)
    assert _resources(ts[1]) == _resources(py[1])  # the same podcap.suppress Metadata on the subnets
    assert ts[0].returncode == py[0].returncode != 0
    assert ts_rep == py_rep
    failing = [c["constructPath"] for v in ts_rep["violations"] if v["ruleName"] == "PC201"
               for c in v["violatingConstructs"]]
    acked = [(v["acknowledgedId"], v["reason"], c["constructPath"]) for v in ts_rep["suppressedViolations"]
             for c in v["violatingConstructs"]]
    assert failing == ["podcap-undersized/Network/SubnetNodesB"]
    assert acked == [("podcap::PC201", "lab cluster, small on purpose", "podcap-undersized/Network/SubnetNodesA")]
