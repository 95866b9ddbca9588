"""The rule metadata reporters read: its own module, so a check (which passes podcap.rules.REGISTRY and
never needs the protocol itself) does not import typing for it."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from podcap.model.findings import Severity


@runtime_checkable
class RuleInfo(Protocol):
    """The rule metadata reporters read (``podcap.rules.base.Rule`` has this shape)."""

    id: str
    severity: Severity
    title: str
    description: str
    help_uri: str | None
    fix: str | None
