"""The rule registry: every rule declares its identity once, and docs/rules.md is generated from it."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from podcap.model.findings import Finding, Severity
from podcap.model.plan import Location
from podcap.model.records import field, record

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

    from podcap.analysis import Analysis

CheckFn = Callable[["Analysis"], Iterable[Finding]]


@record(frozen=True)
class Rule:
    """A rule with a stable ID: its metadata and the function that turns an analysis into findings."""

    id: str
    severity: Severity
    title: str
    description: str
    help_uri: str | None
    fix: str | None
    check: CheckFn = field(compare=False, repr=False)

    def finding(
        self,
        resource: str,
        message: str,
        *,
        resource_type: str = "",
        location: Location | None = None,
        fix: str | None = None,
        data: dict[str, Any] | None = None,
        severity: Severity | None = None,
        source: str = "",
    ) -> Finding:
        return Finding(
            rule_id=self.id,
            severity=severity or self.severity,
            title=self.title,
            message=message,
            resource=resource,
            resource_type=resource_type,
            location=location or Location(),
            fix=fix if fix is not None else self.fix,
            data=data or {},
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "title": self.title,
            "description": self.description,
            "help_uri": self.help_uri,
            "fix": self.fix,
        }


REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    severity: Severity,
    title: str,
    *,
    description: str,
    help_uri: str | None = None,
    fix: str | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under a stable ID (one ID, one place)."""

    def deco(fn: CheckFn) -> CheckFn:
        if id in REGISTRY:
            raise ValueError(f"duplicate rule id {id}")
        REGISTRY[id] = Rule(id, severity, title, description.strip(), help_uri, fix, fn)
        return fn

    return deco
