"""Findings: the one list every reporter reads (text, JSON, SARIF, JUnit, GitHub, Markdown, CDK)."""
from __future__ import annotations

from enum import Enum

from podcap.model.plan import Location, Suppression
from podcap.model.records import field, record

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@record
class Finding:
    """One rule's verdict on one resource, with the numbers behind it and a fix."""

    rule_id: str  # stable, e.g. "PC201"
    severity: Severity
    title: str  # the rule's short title
    message: str  # this finding, with its numbers
    resource: str  # logical id / Terraform address / node group name the finding is about
    resource_type: str = ""  # "AWS::EC2::Subnet", "aws_subnet", "subnet", "nodegroup" …
    location: Location = field(default_factory=Location)
    fix: str | None = None  # a hint with numbers
    data: dict[str, Any] = field(default_factory=dict)  # the figures behind the message, for JSON users
    suppressed: Suppression | None = None
    source: str = ""  # the input file the plan came from

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "resource": self.resource,
            "resource_type": self.resource_type,
            "file": self.location.file or self.source,
            "path": self.location.path,
            "line": self.location.line,
            "construct_path": self.location.construct_path,
            "fix": self.fix,
            "data": self.data,
            "suppressed": None
            if self.suppressed is None
            else {
                "reason": self.suppressed.reason,
                "expires": self.suppressed.expires,
                "source": self.suppressed.source,
            },
        }
