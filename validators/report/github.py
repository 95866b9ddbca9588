"""`--format github`: GitHub Actions workflow commands, one annotation per unsuppressed finding.

    ::error file=templates/eks.yaml,line=12,title=PC201 Subnet exhausted …::NodeSubnetA: message%0AFix: …

error -> ``::error``, warning -> ``::warning``, info -> ``::notice``; suppressed findings get no
annotation, nor (with ``--baseline``) findings the baseline report already had: a pull request shows what
it adds. Escaping follows the Actions toolkit: in the message ``%``, CR and LF; in property
values also ``:`` and ``,``.
"""
from __future__ import annotations

from collections.abc import Mapping

from podcap.model.findings import Finding, Severity
from podcap.model.result import CheckResult
from podcap.report._common import TOOL_NAME, TOOL_VERSION, counts_text, finding_file, relative_path, split

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, base_dir: str | None = None) -> str:
    props: list[tuple[str, str]] = []
    file = finding_file(f)
    if file:
        props.append(("file", relative_path(file, base_dir)))
        if f.location.line:
            props.append(("line", str(f.location.line)))
    props.append(("title", f"{f.rule_id} {f.title}".strip()))
    # a message that starts with its resource (PC001's do) is not prefixed with it again
    message = f.message if f.message.startswith(f"{f.resource}:") else f"{f.resource}: {f.message}"
    if f.fix:
        message += f"\nFix: {f.fix}"
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMANDS[f.severity]} {head}::{escape_data(message)}"


def render(
    result: CheckResult,
    *,
    rules: Mapping[str, Any] | None = None,
    tool_version: str = TOOL_VERSION,
    base_dir: str | None = None,
) -> str:
    active, _ = split(result.findings)
    base = result.baseline
    lines = [annotation(f, base_dir) for f in active if base is None or not base.contains(f)]
    lines.append(f"{TOOL_NAME} {tool_version}: {counts_text(result.counts())}")
    return "\n".join(lines) + "\n"
