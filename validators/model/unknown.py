"""A value podcap could not resolve.

podcap fails closed: instead of guessing (or, like some scanners, filling in a reference string), a
source records *why* a value is unknown and *where* it came from, and the rules turn it into a finding.
"""
from __future__ import annotations

from podcap.model.records import record

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import TypeVar, Union

    T = TypeVar("T")


@record(frozen=True)
class Unknown:
    """A value podcap could not resolve, and why: carried through instead of a guess, and reported
    as PC001 (fail closed)."""

    reason: str  # e.g. "Terraform value known only after apply", "Fn::ImportValue of an export not in this assembly"
    where: str = ""  # a path in the source: "Resources.NodeGroup.Properties.Subnets[0]" or a TF address

    def __str__(self) -> str:
        return f"unknown ({self.reason}{' at ' + self.where if self.where else ''})"


if TYPE_CHECKING:  # a value, or why it could not be told: annotations only (import it under TYPE_CHECKING)
    MaybeUnknown = Union[T, Unknown]


def is_unknown(value: object) -> bool:
    return isinstance(value, Unknown)


def first_unknown(*values: object) -> Unknown | None:
    """The first Unknown among values (looking one level into lists), so a rule can say why it cannot judge."""
    for v in values:
        if isinstance(v, Unknown):
            return v
        if isinstance(v, (list, tuple)):
            for item in v:
                if isinstance(item, Unknown):
                    return item
    return None
