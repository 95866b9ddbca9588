"""Reporters: a :class:`~podcap.model.result.CheckResult` as text, JSON, SARIF, JUnit, GitHub
annotations, Markdown or HTML. They know nothing of sources.

Every reporter is ``render(result, *, rules=None, tool_version=...) -> str``; some take further
keyword options (``text``: ``color``, ``width``; ``sarif``/``github``: ``base_dir``; ``junit``:
``group_by``). ``rules`` maps rule id -> an object shaped like :class:`RuleInfo`
(``podcap.rules.REGISTRY``); without it, rule entries are derived from the findings.

``FORMATS`` maps a format name to its ``render``; a reporter's module is imported only when its format
is asked for, so `podcap check` loads the one or two it writes.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from podcap.report._common import TOOL_VERSION

_MODULES: dict[str, str] = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "markdown": "markdown",
    "html": "html",
}


class _Formats(Mapping[str, Callable[..., str]]):
    """Format name -> render function, importing the reporter on first use."""

    def __getitem__(self, name: str) -> Callable[..., str]:
        if name not in _MODULES:
            raise KeyError(name)
        return importlib.import_module(f"podcap.report.{_MODULES[name]}").render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Callable[..., str]] = _Formats()

__all__ = ["FORMATS", "TOOL_VERSION", "RuleInfo"]


def __getattr__(name: str) -> object:
    if name == "RuleInfo":  # imported when asked for (it needs typing, which a check never loads)
        from podcap.report.rule_info import RuleInfo

        return RuleInfo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
