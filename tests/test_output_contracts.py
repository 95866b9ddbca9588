"""The `-o` / `--format` contracts of `podcap check` (README "Use", docs/report-json.md, docs/ci.md): exit 2
means no report at all, an unknown format is a bad invocation, one report at most on standard output, and
the SARIF and GitHub renderings of a finding say what the JSON says."""
from __future__ import annotations

import json

from podcap.model.findings import Finding, Severity
from podcap.report.github import annotation

try:
    from _cli_harness import cli
except ImportError:  # pragma: no cover
    from tests._cli_harness import cli

SPEC = """version: 1
name: ok
vpc: {cidr: 10.0.0.0/16}
subnets:
  - {name: a, az: us-east-1a, cidr: 10.0.0.0/26}
nodegroups:
  - {name: ng, instance_types: [m5.large], subnets: [a], min: 1, max: 2}
suppressions:
  - {id: PC201, resource: a, reason: "resized next sprint"}
"""


def spec(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def test_unknown_output_format_is_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = cli(["check", str(spec(tmp_path)), "-o", "yaml=x.yaml"])
    assert run.code == 2 and "unknown format 'yaml'" in run.err and run.out == ""
    assert not (tmp_path / "yaml=x.yaml").exists()
    # a path that merely holds '=' is still a path
    run = cli(["check", str(spec(tmp_path)), "-o", "./yaml=x.yaml"])
    assert run.code == 0 and (tmp_path / "yaml=x.yaml").read_text().startswith("podcap")


def test_a_report_that_cannot_be_written_leaves_stdout_empty(tmp_path):
    run = cli(["check", str(spec(tmp_path)), "-o", f"json={tmp_path}/missing/x.json"])
    assert run.code == 2 and run.out == "" and "cannot write" in run.err


def test_two_reports_on_stdout_are_refused(tmp_path):
    run = cli(["check", str(spec(tmp_path)), "-o", "json", "-o", "sarif"])
    assert run.code == 2 and run.out == "" and "standard output" in run.err


def test_spec_suppression_is_in_source_in_sarif(tmp_path):
    # the /26 (59 usable) holds 2 m5.large nodes at 30 addresses each = 60: PC201, suppressed in the spec itself
    run = cli(["check", str(spec(tmp_path)), "--format", "sarif"])
    results = json.loads(run.out)["runs"][0]["results"]
    (r,) = [r for r in results if r["ruleId"] == "PC201"]
    assert r["suppressions"][0]["kind"] == "inSource"


def test_github_annotation_names_the_resource_once():
    f = Finding("PC001", Severity.WARNING, "Value could not be resolved",
                "Subnet03: Subnet03 exists only if condition HasThree holds", "Subnet03")
    assert annotation(f).endswith("::Subnet03: Subnet03 exists only if condition HasThree holds")
    g = Finding("PC201", Severity.ERROR, "Subnet exhausted", "needs 60 of 59", "a")
    assert annotation(g).endswith("::a: needs 60 of 59")


def test_yaml_syntax_error_of_an_unrecognised_file_has_its_line(tmp_path):
    # docs/spec.md: "YAML and JSON syntax errors give FILE:LINE:COLUMN: problem", also when the error comes
    # before anything that tells the kind of input (the unclosed flow sequence ends at line 3, column 1)
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\nname: [x\n")
    run = cli(["check", str(path)])
    assert run.code == 2 and f"{path}:3:1: while parsing a flow sequence" in run.err
    path.write_text("hello: world\n")  # valid YAML of no known kind: still "cannot tell"
    run = cli(["check", str(path)])
    assert run.code == 2 and "cannot tell what this is" in run.err
