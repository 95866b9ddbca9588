"""The main job through the real CDK CLI (the version package.json pins): `npx cdk synth --no-notices`.

Needs `npm ci` (scripts/setup.sh) for node_modules/.bin/cdk; never downloads anything (`npx --no`).
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

try:
    import aws_cdk  # noqa: F401

    HAVE_CDK_LIB = True
except ImportError:
    HAVE_CDK_LIB = False

CLI = ROOT / "node_modules" / ".bin" / "cdk"

pytestmark = [
    pytest.mark.cdk,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CDK_LIB, reason="needs aws-cdk-lib (pip install -e '.[cdk]')"),
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("npx") is None, reason="needs Node.js and npx"),
    pytest.mark.skipif(not CLI.exists(), reason="the pinned CDK CLI is not installed (npm ci)"),
]


def cdk_synth(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # a plain, non-test run
    env.update({
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # app.py runs with this interpreter (cdk.json says python3; make it this venv's)
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
    env.pop("CDK_OUTDIR", None)
    env.pop("CDK_CONTEXT_JSON", None)
    return subprocess.run(["npx", "--no", "cdk", "synth", "--no-notices", "-q", "-o", str(outdir), *args],
                          check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def outdirs(tmp_path_factory):
    return tmp_path_factory.mktemp("cdk-cli")


def test_reference_synth(outdirs):
    """The reference cluster passes both podcap and CDK's built-in CloudFormation validator."""
    out = outdirs / "reference"
    p = cdk_synth(out)
    assert p.returncode == 0, p.stdout + p.stderr
    template = json.loads((out / "podcap-reference.template.json").read_text())
    types = sorted({r["Type"] for r in template["Resources"].values()})
    assert "AWS::EKS::Nodegroup" in types and "AWS::EKS::Addon" in types
    assert not any(t.startswith(("Custom::", "AWS::Lambda::")) for t in types)  # plain L1s, no providers
    (ng,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::EKS::Nodegroup"]
    assert ng["Metadata"]["aws:cdk:path"] == "podcap-reference/Cluster/GeneralNodeGroup"  # the CLI's path metadata
    assert "WARNING" not in p.stderr and "ERROR" not in p.stderr  # neither podcap nor CDK's validator objects

    from podcap.check import CheckOptions, run_check

    result, _ = run_check(CheckOptions(paths=[str(out)]))
    assert result.exit_code() == 0


def test_undersized_fails_even_with_no_validation(outdirs):
    """`--no-validation` (CDK_VALIDATION=false) drops only CDK's built-in validator: podcap still fails it."""
    out = outdirs / "undersized"
    p = cdk_synth(out, "--no-validation", "-c", "spec=examples/undersized.yaml")
    assert p.returncode != 0
    err = p.stderr
    assert "Subnet exhausted at node-group max size" in err
    assert "podcap-undersized/Network/SubnetNodesA" in err and "podcap-undersized/Network/SubnetNodesB" in err
    assert "needs 182 addresses at max size but has 59 usable" in err
    assert "Suggested fix" in err and "Traceback" not in err

    # the very findings `podcap check cdk.out` reports on the same assembly
    report = json.loads((out / "validation-report.json").read_text())
    (rep,) = [r for r in report["pluginReports"] if r["pluginName"] == "podcap"]
    plugin = {(v["ruleName"], v["ruleMetadata"]["resource"]) for v in rep["violations"]}
    check = subprocess.run([sys.executable, "-m", "podcap", "check", str(out), "--format", "json"], cwd=ROOT,
                           check=False, capture_output=True, text=True, timeout=120)
    assert check.returncode == 1, check.stderr
    findings = json.loads(check.stdout)["findings"]
    assert plugin == {(f["rule_id"], f["resource"]) for f in findings if f["severity"] != "info"
                      and not f.get("suppressed")}
    assert {r for r, _ in plugin} == {"PC201"}


def _app(tmp_path: Path, body: str) -> str:
    """A small CDK app file (run by the CLI with `--app`) over this checkout's constructs."""
    path = tmp_path / "app_under_test.py"
    path.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import aws_cdk as cdk\n"
        "from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document\n"
        "from podcap.cdk.validation import PodcapValidationPlugin\n"
        f"REFERENCE = {str(ROOT / 'examples' / 'reference.yaml')!r}\n"
        f"UNDERSIZED = {str(ROOT / 'examples' / 'undersized.yaml')!r}\n"
        "app = cdk.App()\n"
        f"{body}\n"
        "cdk.Validations.of(app).add_plugins(PodcapValidationPlugin())\n"
        "app.synth()\n")
    return f"{sys.executable} {path}"


def podcap_check(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "podcap", "check", str(outdir), *args], cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=120)


def test_direct_cdk_acknowledge_passes_synth_and_podcap_check(tmp_path):
    """`Validations.of(stack).acknowledge(podcap::PC201)` (CDK's own call, not podcap's helper): the synth
    passes, and `podcap check cdk.out` exits 0 listing both PC201 findings as suppressed, with the reason."""
    app = _app(tmp_path, (
        "stack = PodcapSpecStack(app, 'podcap-undersized', spec=load_spec_document(UNDERSIZED))\n"
        "cdk.Validations.of(stack).acknowledge(cdk.Acknowledgment(id='podcap::PC201', "
        "reason='lab cluster, sized down on purpose'))"))
    out = tmp_path / "out"
    p = cdk_synth(out, "--no-validation", "--app", app)
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads((out / "validation-report.json").read_text())
    (rep,) = [r for r in report["pluginReports"] if r["pluginName"] == "podcap"]
    assert rep["violations"] == [] and len(rep["suppressedViolations"]) == 2

    check = podcap_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("suppressed (cdk-acknowledge): lab cluster, sized down on purpose") == 2
    doc = json.loads(podcap_check(out, "--format", "json").stdout)
    assert {(f["rule_id"], f["construct_path"], f["suppressed"]["source"]) for f in doc["findings"]
            if f["suppressed"]} == {("PC201", "podcap-undersized/Network/SubnetNodesA", "cdk-acknowledge"),
                                    ("PC201", "podcap-undersized/Network/SubnetNodesB", "cdk-acknowledge")}


def test_stage_stack_errors_need_every_stack_selected(tmp_path):
    """The app reports every stage's violations, but the CLI keeps only the selected stacks' ones, and a
    plain `cdk synth` selects the top-level stacks: an error in a Stage's stack fails `cdk synth '**'`
    (or `'Prod/*'`) and `podcap check cdk.out`, not a plain `cdk synth`."""
    app = _app(tmp_path, (
        "PodcapSpecStack(app, 'Top', spec=load_spec_document(REFERENCE))\n"
        "PodcapSpecStack(cdk.Stage(app, 'Prod'), 'Eks', spec=load_spec_document(UNDERSIZED))"))
    plain = cdk_synth(tmp_path / "plain", "--no-validation", "--app", app)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "Subnet exhausted" not in plain.stderr
    report = json.loads((tmp_path / "plain" / "validation-report.json").read_text())
    (rep,) = [r for r in report["pluginReports"] if r["pluginName"] == "podcap"]
    assert rep["conclusion"] == "failure"  # written by the app, filtered by the CLI

    every = cdk_synth(tmp_path / "every", "--no-validation", "--app", app, "**")
    assert every.returncode != 0
    assert "Subnet exhausted at node-group max size" in every.stderr and "Prod/Eks/Network/SubnetNodesA" in every.stderr

    check = podcap_check(tmp_path / "plain", "--format", "json")
    assert check.returncode == 1, check.stderr
    findings = json.loads(check.stdout)["findings"]
    assert {(f["rule_id"], f["construct_path"]) for f in findings if f["severity"] == "error"} == {
        ("PC201", "Prod/Eks/Network/SubnetNodesA"), ("PC201", "Prod/Eks/Network/SubnetNodesB")}
    assert all(f["file"].startswith(str(tmp_path / "plain" / "assembly-Prod")) for f in findings
               if f["severity"] == "error")
