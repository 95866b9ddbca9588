"""The synth-time plugin as CI users meet it: one line when it found nothing, and CDK acknowledgments with a
bare rule id (``Validations.of(scope).acknowledge(id="PC201")``, as cdk-nag users write) honoured like
``podcap::PC201``.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = str(ROOT / "examples" / "reference.yaml")
UNDERSIZED = str(ROOT / "examples" / "undersized.yaml")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

try:
    import aws_cdk as cdk

    HAVE_CDK = shutil.which("node") is not None
except ImportError:
    HAVE_CDK = False

pytestmark = [pytest.mark.cdk, pytest.mark.skipif(not HAVE_CDK, reason="needs aws-cdk-lib and Node.js")]


def _synth(tmp_path: Path, spec: str, ack=None):
    from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document, stack_id_for
    from podcap.cdk.validation import PodcapValidationPlugin

    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    doc = load_spec_document(spec)
    stack = PodcapSpecStack(app, stack_id_for(doc), spec=doc, source=spec)
    if ack is not None:
        ack(stack)
    plugin = PodcapValidationPlugin()
    cdk.Validations.of(app).add_plugins(plugin)
    error = None
    try:
        app.synth()
    except Exception as e:  # CDK's ValidationFailed
        error = e
    return plugin, error


def test_clean_synth_says_podcap_ran_once(tmp_path, capfd):
    _plugin, error = _synth(tmp_path, REFERENCE)
    assert error is None
    err = capfd.readouterr().err
    # examples/reference.yaml: 3 subnets, 1 node group, nothing found
    lines = [ln for ln in err.splitlines() if ln.startswith("podcap:")]
    assert lines == ["podcap: 3 subnets, 1 node group checked, no findings"]


def test_bare_rule_id_acknowledgment_is_honoured(tmp_path, capfd):
    def ack(stack):
        cdk.Validations.of(stack).acknowledge(cdk.Acknowledgment(id="PC201", reason="lab cluster, small on purpose"))

    _plugin, error = _synth(tmp_path, UNDERSIZED, ack)
    assert error is None, error  # both PC201 findings acknowledged: the synth passes
    with open(tmp_path / "validation-report.json") as fh:
        rep = next(r for r in json.load(fh)["pluginReports"] if r["pluginName"] == "podcap")
    acked = rep["suppressedViolations"]
    # CDK lists them as acknowledged, with the reason, under the id as it recorded it
    assert len(acked) == 2 and {a["reason"] for a in acked} == {"lab cluster, small on purpose"}
    assert {a["acknowledgedId"].rsplit("::", 1)[-1] for a in acked} == {"PC201"}
    assert rep["violations"] == []
    # `podcap check cdk.out` reads the same acknowledgment from the assembly (CDK records the bare id as
    # Annotation::PC201) and agrees with synth: both PC201 findings suppressed, exit 0.
    from podcap.cli import main

    capfd.readouterr()
    assert main(["check", str(tmp_path), "--format", "json"]) == 0
    report = json.loads(capfd.readouterr().out)
    suppressed = [f for f in report["findings"] if f.get("suppressed")]
    assert len(suppressed) == 2 and {f["rule_id"] for f in suppressed} == {"PC201"}


def test_summary_line_grammar():
    from podcap.cdk.validation import summary_line
    from podcap.model.result import CheckResult, NodegroupSummary, SubnetUsage

    r = CheckResult(inputs=["t"], subnets=[SubnetUsage("a", None, None, "both", 1, 0, 0, 0)],
                    nodegroups=[NodegroupSummary("g", [], 1, 1, 1, None, None, None, None),
                                NodegroupSummary("h", [], 1, 1, 1, None, None, None, None)])
    assert summary_line(r) == "podcap: 1 subnet, 2 node groups checked, no findings"
