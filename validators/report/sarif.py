"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; every finding is a result, suppressed ones too (with ``suppressions``, so viewers hide them
but keep the record). File URIs are relative to the working directory (``base_dir``) when they lie
under it, as GitHub code scanning expects.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from urllib.parse import quote

from podcap.model.findings import Finding, Severity
from podcap.model.result import CheckResult
from podcap.report._common import (
    TOOL_NAME,
    TOOL_VERSION,
    RuleEntry,
    dumps,
    finding_file,
    jsonable,
    ordered,
    relative_path,
    rule_entries,
)

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# Where a suppression lives: in the checked file itself, or beside it (a config file).
IN_SOURCE = {"metadata", "cdk-acknowledge", "inline", "comment", "spec"}  # written in the checked file itself
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
FINGERPRINT_KEY = "podcapFinding/v1"


def _uri(path: str, base_dir: str | None) -> str:
    rel = relative_path(path, base_dir)
    if rel.startswith("/"):
        return "file://" + quote(rel)
    return quote(rel, safe="/")


def rule_name(title: str, fallback: str) -> str:
    """A PascalCase name from the title ("Subnet exhausted at max size" -> "SubnetExhaustedAtMaxSize")."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name and name[0].isalpha() else fallback


def _rule(r: RuleEntry) -> dict[str, Any]:
    description = r.description or r.title
    text, md = description, description
    if r.fix:
        text += f"\n\nFix: {r.fix}"
        md += f"\n\n**Fix:** {r.fix}"
    if r.help_uri:
        text += f"\n\nSee {r.help_uri}"
        md += f"\n\nSee [{r.help_uri}]({r.help_uri})."
    out: dict[str, Any] = {
        "id": r.id,
        "name": rule_name(r.title, r.id),
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": description},
        "help": {"text": text, "markdown": md},
        "defaultConfiguration": {"level": LEVELS[r.severity]},
        "properties": {"severity": r.severity.value, "tags": ["eks", "vpc-cni", "capacity"]},
    }
    if r.help_uri:
        out["helpUri"] = r.help_uri
    return out


def _message(f: Finding) -> str:
    return f"{f.message}\nFix: {f.fix}" if f.fix else f.message


def _fingerprint(f: Finding) -> str:
    key = "\x1f".join([f.rule_id, f.resource, finding_file(f), f.location.path or ""])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _logical(f: Finding) -> dict[str, Any]:
    loc = f.location
    out: dict[str, Any] = {"name": f.resource, "kind": "resource"}
    fqn = loc.construct_path or loc.path
    if fqn:
        out["fullyQualifiedName"] = fqn
    props = {k: v for k, v in (("resourceType", f.resource_type), ("path", loc.path),
                               ("constructPath", loc.construct_path)) if v}
    if props:
        out["properties"] = props
    return out


def _result(f: Finding, index: int, base_dir: str | None) -> dict[str, Any]:
    location: dict[str, Any] = {}
    file = finding_file(f)
    if file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(file, base_dir)}}
        if f.location.line and f.location.line >= 1:
            physical["region"] = {"startLine": int(f.location.line)}
        location["physicalLocation"] = physical
    location["logicalLocations"] = [_logical(f)]
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": LEVELS[f.severity],
        "message": {"text": _message(f)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f)},
        "properties": {
            k: v
            for k, v in (
                ("severity", f.severity.value),
                ("title", f.title),
                ("resource", f.resource),
                ("resourceType", f.resource_type),
                ("fix", f.fix),
                ("data", jsonable(f.data)),
            )
            if v is not None and v != ""
        },
    }
    if f.suppressed is not None:
        s = f.suppressed
        sup: dict[str, Any] = {
            "kind": "inSource" if s.source in IN_SOURCE else "external",
            "status": "accepted",
            "justification": s.reason,
        }
        props = {k: v for k, v in (("source", s.source), ("expires", s.expires)) if v}
        if props:
            sup["properties"] = props
        out["suppressions"] = [sup]
    return out


def _with_baseline_state(out: dict[str, Any], f: Any, base: Any) -> dict[str, Any]:
    """With ``--baseline``: SARIF 2.1.0 ``baselineState`` (section 3.27.24), "unchanged" for a finding the
    baseline report already had, "new" otherwise, so code-scanning viewers show only what a change adds."""
    if base is not None:
        out["baselineState"] = "unchanged" if base.contains(f) else "new"
    return out


def report(
    result: CheckResult,
    *,
    rules: Mapping[str, Any] | None = None,
    tool_version: str = TOOL_VERSION,
    base_dir: str | None = None,
) -> dict[str, Any]:
    """The SARIF log as a plain dict (what :func:`render` serialises)."""
    findings = ordered(result.findings)
    entries = rule_entries(findings, rules)
    index = {r.id: i for i, r in enumerate(entries)}
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": tool_version, "rules": [_rule(r) for r in entries]}
    if _SEMVER.match(tool_version):
        driver["semanticVersion"] = tool_version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "results": [_with_baseline_state(_result(f, index[f.rule_id], base_dir), f, result.baseline)
                    for f in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {"inputs": list(result.inputs), "summary": result.counts()},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render(
    result: CheckResult,
    *,
    rules: Mapping[str, Any] | None = None,
    tool_version: str = TOOL_VERSION,
    base_dir: str | None = None,
) -> str:
    return dumps(report(result, rules=rules, tool_version=tool_version, base_dir=base_dir))
