"""What every reporter shares: rule metadata, finding order, locations, numbers.

Reporters know nothing of sources: they read a :class:`CheckResult` and, optionally, the rule
metadata (anything shaped like :class:`RuleInfo`, e.g. ``podcap.rules.REGISTRY``).
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, runtime_checkable

from podcap.model.findings import Finding, Severity
from podcap.model.unknown import Unknown


@runtime_checkable
class RuleInfo(Protocol):
    """The rule metadata reporters read (``podcap.rules.base.Rule`` has this shape)."""

    id: str
    severity: Severity
    title: str
    description: str
    help_uri: str | None
    fix: str | None


def _tool_version() -> str:
    """The installed distribution's version, as ``importlib.metadata.version("podcap")`` finds it: the
    ``Version:`` line of the first ``podcap-*.dist-info/METADATA`` along ``sys.path``. Read directly because
    importing importlib.metadata (and the email parser it reads METADATA with) cost every check ~15 ms;
    anything unusual (no such folder, an egg, an unreadable file) goes to importlib.metadata itself."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found = [n for n in names if n.startswith("podcap-") and n.endswith(".dist-info")]
        if len(found) > 1 or any(n.lower().startswith("podcap") and n.endswith(".egg-info") for n in names):
            break  # several versions side by side, or an egg: let importlib.metadata choose, as it always did
        if not found:
            continue
        try:
            with open(os.path.join(entry or ".", found[0], "METADATA"), encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("Version:"):
                        return line[len("Version:"):].strip()
                    if not line.strip():
                        break  # end of the headers
        except OSError:
            pass
        break
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("podcap")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


TOOL_NAME = "podcap"
TOOL_VERSION = _tool_version()

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
SEVERITY_LETTER = {Severity.ERROR: "E", Severity.WARNING: "W", Severity.INFO: "I"}


def severity_of(value: Any) -> Severity:
    """A Severity from a Severity or its string value (a RuleInfo may carry either)."""
    return value if isinstance(value, Severity) else Severity(str(getattr(value, "value", value)))


@dataclass(frozen=True)
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
        base = Path(base_dir or os.getcwd()).resolve()
        try:
            return Path(p).resolve().relative_to(base).as_posix()
        except ValueError:
            return Path(p).as_posix()
    norm = PurePosixPath(p).as_posix()
    while norm.startswith("./"):
        norm = norm[2:]
    return norm


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
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n"
