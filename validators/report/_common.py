"""What every reporter shares: rule metadata, finding order, locations, numbers.

Reporters know nothing of sources: they read a :class:`CheckResult` and, optionally, the rule
metadata (anything shaped like :class:`RuleInfo`, e.g. ``podcap.rules.REGISTRY``).
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from enum import Enum

from podcap import __version__
from podcap.model.findings import Finding, Severity
from podcap.model.records import asdict, is_record, record
from podcap.model.unknown import Unknown

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any


TOOL_NAME = "podcap"
TOOL_VERSION = __version__  # validators/__init__.py; the installed metadata says the same (tests/test_packaging.py)

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
SEVERITY_LETTER = {Severity.ERROR: "E", Severity.WARNING: "W", Severity.INFO: "I"}


def severity_of(value: Any) -> Severity:
    """A Severity from a Severity or its string value (a RuleInfo may carry either)."""
    return value if isinstance(value, Severity) else Severity(str(getattr(value, "value", value)))


@record(frozen=True)
class RuleEntry:
    """One rule as the reporters show it: from the registry, or derived from the findings."""

    id: str
    severity: Severity
    title: str
    description: str
    help_uri: str | None
    fix: str | None


def rule_entries(findings: Iterable[Finding], rules: Mapping[str, Any] | None) -> list[RuleEntry]:
    """Every rule in ``rules`` plus any rule a finding names that ``rules`` lacks, sorted by id.

    With ``rules=None`` the entries come from the findings alone: the title is the finding's, the
    default severity the highest among that rule's findings, and there is no help URI or generic fix.
    """
    out: dict[str, RuleEntry] = {}
    for rid, r in (rules or {}).items():
        rid = getattr(r, "id", None) or rid
        out[rid] = RuleEntry(
            id=rid,
            severity=severity_of(r.severity),
            title=str(r.title),
            description=str(getattr(r, "description", "") or r.title),
            help_uri=getattr(r, "help_uri", None) or None,
            fix=getattr(r, "fix", None) or None,
        )
    derived: dict[str, RuleEntry] = {}
    for f in findings:
        if f.rule_id in out:
            continue
        prev = derived.get(f.rule_id)
        sev = f.severity if prev is None or f.severity.rank > prev.severity.rank else prev.severity
        derived[f.rule_id] = RuleEntry(
            id=f.rule_id,
            severity=sev,
            title=prev.title if prev else f.title,
            description=prev.description if prev else f.title,
            help_uri=None,
            fix=None,
        )
    out.update(derived)
    return [out[k] for k in sorted(out)]


def finding_file(f: Finding) -> str:
    """The file a finding points at: its location's, else the input it came from ('' when neither)."""
    return f.location.file or f.source or ""


def sort_key(f: Finding) -> tuple:
    return (f.suppressed is not None, -f.severity.rank, f.rule_id, finding_file(f), f.location.line or 0, f.resource, f.message)


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """The order every reporter uses: unsuppressed first, then severity (error first), rule id, file,
    line, resource."""
    return sorted(findings, key=sort_key)


def split(findings: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(active, suppressed), each in report order."""
    fs = ordered(findings)
    return [f for f in fs if f.suppressed is None], [f for f in fs if f.suppressed is not None]


def location_text(f: Finding) -> str:
    """`file:line` when the line is known, else `file, path` (or whichever of them is known)."""
    file = finding_file(f)
    loc = f.location
    if file and loc.line:
        return f"{file}:{loc.line}"
    parts = [p for p in (file, loc.path or loc.construct_path or "") if p]
    return ", ".join(parts)


def relative_path(path: str, base_dir: str | None = None) -> str:
    """``path`` with forward slashes, relative to ``base_dir`` (default: the working directory) when
    it lies under it; other absolute paths stay absolute."""
    if not path:
        return ""
    p = path.replace("\\", "/")
    if os.path.isabs(p):
        base = os.path.realpath(base_dir or os.getcwd()).replace("\\", "/")
        full = os.path.realpath(p).replace("\\", "/")
        if full == base:
            return "."
        under = base if base.endswith("/") else base + "/"
        if full.startswith(under):
            return full[len(under):]
    return _posix_form(p)


def _posix_form(p: str) -> str:
    """``p`` as pathlib's PurePosixPath prints it (empty and "." parts dropped, "//" kept as a root of
    its own, "." for nothing left): pathlib's import (fnmatch, urllib.parse ...) is a tenth of a check's
    start-up, for what this module needs of it."""
    root = "//" if p.startswith("//") and not p.startswith("///") else "/" if p.startswith("/") else ""
    return root + "/".join(part for part in p.split("/") if part and part != ".") or "."


def num(value: int | None) -> str:
    """A figure for people: '?' when podcap could not work it out."""
    return "?" if value is None else str(value)


def size_range(mn: int | None, desired: int | None, mx: int | None) -> str:
    return f"{num(mn)}/{num(desired)}/{num(mx)}"


def headroom(usable: int | None, taken: int | None) -> int | None:
    """Addresses left (negative: short by that many); None when either side is unknown."""
    if usable is None or taken is None:
        return None
    return usable - taken


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(
        [plural(counts["error"], "error"), plural(counts["warning"], "warning"), plural(counts["info"], "info")]
    ) + f", {counts['suppressed']} suppressed"


def jsonable(value: Any) -> Any:
    """``value`` made of plain JSON types (enums by value, Unknown and other objects as text)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Unknown):
        return str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if not isinstance(value, type) and is_record(value):
        return jsonable(asdict(value))
    return str(value)


def dumps(value: Any) -> str:
    """``json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\\n"``, character for character, in one
    pass: with ``indent`` the json module uses its pure-Python generator encoder, which (with a second
    ``jsonable`` walk over an already plain report) was most of the cost of rendering a large plan's
    report. Plain dicts, lists, strings and numbers are written here; anything else goes through
    :func:`jsonable` first, as before."""
    out: list[str] = []
    _write(value, out, "\n")
    out.append("\n")
    return "".join(out)


def _float_text(v: float) -> str:
    """json's ``floatstr`` with ``allow_nan=True``."""
    if math.isnan(v):
        return "NaN"
    if v == _INF:
        return "Infinity"
    if v == -_INF:
        return "-Infinity"
    return float.__repr__(v)


_INF = float("inf")
_encode_str = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False (C when available)


def _bool_text(v: bool) -> str:
    return "true" if v else "false"


# the text of a scalar by its exact type (subclasses such as an IntEnum go through _write's general branch)
_SCALARS: dict[type, Any] = {str: _encode_str, int: int.__repr__, float: _float_text, bool: _bool_text,
                             type(None): lambda _v: "null"}


def _write(v: Any, out: list[str], nl: str) -> None:
    """``v`` as indented JSON into ``out``; ``nl`` is a newline and the current indentation. A container's
    scalar items are written in its own loop (one lookup of their type's text function, one append), not by
    a call per value: most of a large report's values are scalars."""
    scalar = _SCALARS.get(type(v))
    if scalar is not None:
        out.append(scalar(v))
        return
    t = type(v)
    if t is dict:
        if not v:
            out.append("{}")
            return
        if not all(type(k) is str for k in v):
            _write(jsonable(v), out, nl)  # keys as text, as jsonable writes them
            return
        inner = nl + "  "
        sep = "{" + inner
        for k, x in v.items():
            scalar = _SCALARS.get(type(x))
            if scalar is not None:
                out.append(f"{sep}{_encode_str(k)}: {scalar(x)}")
            else:
                out.append(f"{sep}{_encode_str(k)}: ")
                _write(x, out, inner)
            sep = "," + inner
        out.append(nl + "}")
    elif t is list:
        if not v:
            out.append("[]")
            return
        inner = nl + "  "
        sep = "[" + inner
        for x in v:
            scalar = _SCALARS.get(type(x))
            if scalar is not None:
                out.append(sep + scalar(x))
            else:
                out.append(sep)
                _write(x, out, inner)
            sep = "," + inner
        out.append(nl + "]")
    elif isinstance(v, int):
        out.append(int.__repr__(v))  # an int subclass (an IntEnum): jsonable keeps it, json writes its int value
    elif isinstance(v, float):
        out.append(_float_text(v))
    else:
        _write(jsonable(v), out, nl)
