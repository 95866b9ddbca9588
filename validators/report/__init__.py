"""Reporters: a :class:`~podcap.model.result.CheckResult` as text, JSON, SARIF, JUnit, GitHub
annotations or Markdown. They know nothing of sources.

Every reporter is ``render(result, *, rules=None, tool_version=...) -> str``; some take further
keyword options (``text``: ``color``; ``sarif``/``github``: ``base_dir``; ``junit``: ``group_by``).
``rules`` maps rule id -> an object shaped like :class:`RuleInfo` (``podcap.rules.REGISTRY``);
without it, rule entries are derived from the findings.
"""
from __future__ import annotations

from collections.abc import Callable

from podcap.report import github, json_report, junit, markdown, sarif, text
from podcap.report._common import TOOL_VERSION, RuleInfo

FORMATS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
    "markdown": markdown.render,
}

__all__ = ["FORMATS", "TOOL_VERSION", "RuleInfo"]
