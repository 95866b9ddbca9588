"""`--format junit`: JUnit XML for CI test reporters (GitLab, Jenkins, GitHub test-report actions).

One ``<testsuite>`` per input file (or per rule, ``group_by="rule"``) inside ``<testsuites>``:

* an unsuppressed error or warning is a failing ``<testcase>`` (``<failure message=… type=RULE>``);
* an unsuppressed info finding is a passing ``<testcase>`` with its text in ``<system-out>``;
* a suppressed finding is a ``<testcase>`` with ``<skipped message=reason>``;
* a suite without failures also gets a passing "podcap capacity check" case, so it is never empty.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from podcap.model.findings import Finding, Severity
from podcap.model.result import CheckResult
from podcap.report._common import (
    TOOL_NAME,
    TOOL_VERSION,
    finding_file,
    location_text,
    ordered,
    relative_path,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

# XML 1.0 forbids most control characters even escaped; ElementTree would write them as they are.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
PASS_CASE = "podcap capacity check"


def _clean(text: Any) -> str:
    return _ILLEGAL.sub("\ufffd", "" if text is None else str(text))


def _detail(f: Finding) -> str:
    lines = [f"{f.rule_id} {f.severity.value}: {f.title}"]
    lines.append(f"resource: {f.resource}" + (f" ({f.resource_type})" if f.resource_type else ""))
    loc = location_text(f)
    if loc:
        lines.append(f"location: {loc}")
    if f.location.construct_path:
        lines.append(f"construct: {f.location.construct_path}")
    lines.append(f.message)
    if f.fix:
        lines.append(f"fix: {f.fix}")
    if f.suppressed is not None:
        s = f.suppressed
        lines.append(f"suppressed ({s.source or 'unknown source'}"
                     + (f", expires {s.expires}" if s.expires else "") + f"): {s.reason}")
    return "\n".join(lines)


def _covers(inp: str, file: str) -> bool:
    a, b = relative_path(inp).rstrip("/"), relative_path(file)
    return bool(a) and (a == b or b.startswith(a + "/"))


def _groups(result: CheckResult, findings: list[Finding], group_by: str) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    if group_by == "rule":
        for f in findings:
            groups.setdefault(f.rule_id, []).append(f)
        return groups or {TOOL_NAME: []}
    for inp in result.inputs:
        groups.setdefault(inp, [])
    for f in findings:
        file = finding_file(f)
        key = next((i for i in result.inputs if file and _covers(i, file)), None)
        if key is None:
            key = file or (result.inputs[0] if len(result.inputs) == 1 else TOOL_NAME)
        groups.setdefault(key, []).append(f)
    return groups or {TOOL_NAME: []}


def _testcase(suite: ET.Element, f: Finding, name: str) -> str:
    """Add the case; return 'failure', 'skipped' or 'passed'."""
    attrs = {"classname": f"{TOOL_NAME}.{f.rule_id}", "name": _clean(name), "time": "0"}
    file = finding_file(f)
    if file:
        attrs["file"] = _clean(relative_path(file))
    if f.location.line:
        attrs["line"] = str(f.location.line)
    case = ET.SubElement(suite, "testcase", attrs)
    detail = _clean(_detail(f))
    if f.suppressed is not None:
        sk = ET.SubElement(case, "skipped", {"message": _clean(f"suppressed: {f.suppressed.reason}")})
        sk.text = detail
        return "skipped"
    if f.severity in (Severity.ERROR, Severity.WARNING):
        first = f.message.splitlines()[0] if f.message else f.title
        fail = ET.SubElement(case, "failure", {"message": _clean(first), "type": f.rule_id})
        fail.text = detail
        return "failure"
    ET.SubElement(case, "system-out").text = detail
    return "passed"


def render(
    result: CheckResult,
    *,
    rules: Mapping[str, Any] | None = None,
    tool_version: str = TOOL_VERSION,
    group_by: str = "file",
) -> str:
    if group_by not in ("file", "rule"):
        raise ValueError(f"group_by must be 'file' or 'rule', not {group_by!r}")
    root = ET.Element("testsuites", {"name": f"{TOOL_NAME} {tool_version}"})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for key, findings in _groups(result, ordered(result.findings), group_by).items():
        suite = ET.Element("testsuite", {"name": _clean(f"{TOOL_NAME}: {key}")})
        tally = {"failure": 0, "skipped": 0, "passed": 0}
        seen: dict[str, int] = {}
        for f in findings:
            base = f"{f.rule_id} {f.resource}: {f.title}" if f.title else f"{f.rule_id} {f.resource}"
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base} #{seen[base]}"
            tally[_testcase(suite, f, name)] += 1
        if not tally["failure"]:
            ET.SubElement(suite, "testcase", {"classname": TOOL_NAME, "name": _clean(f"{PASS_CASE}: {key}"),
                                              "time": "0"})
            tally["passed"] += 1
        tests = sum(tally.values())
        suite.attrib.update({"tests": str(tests), "failures": str(tally["failure"]), "errors": "0",
                             "skipped": str(tally["skipped"]), "time": "0"})
        root.append(suite)
        totals["tests"] += tests
        totals["failures"] += tally["failure"]
        totals["skipped"] += tally["skipped"]
    root.attrib.update({"tests": str(totals["tests"]), "failures": str(totals["failures"]), "errors": "0",
                        "skipped": str(totals["skipped"]), "time": "0"})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
