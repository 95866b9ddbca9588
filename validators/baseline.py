"""`podcap check --baseline FILE`: judge a change against an earlier `--format json` report.

As cfn-lint, checkov and tflint baselines do, a finding already in the baseline (same rule, same
resource) is marked and does not fail the run; only new findings do. A pull request also needs the
capacity it costs, so every subnet's free addresses at max size (usable minus the addresses taken at
max) is compared: "this change takes SubnetA from 189 to 12 free at max".
"""
from __future__ import annotations

import json

from podcap.model.findings import Finding
from podcap.model.records import field, record

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any


class BaselineError(ValueError):
    """The baseline file cannot be read as a podcap JSON report."""


def finding_key(rule_id: str, resource: str) -> tuple[str, str]:
    """What identifies a finding across runs: its rule and resource (messages carry changing numbers)."""
    return (str(rule_id), str(resource))


@record
class SubnetDelta:
    subnet: str
    az: str | None
    before_free_at_max: int | None  # None: not in the baseline, or unknown there
    after_free_at_max: int | None  # None: gone from this run, or unknown now
    before_at_max: int | None
    after_at_max: int | None
    status: str  # "changed", "unchanged", "new", "removed", "unknown"

    @property
    def change(self) -> int | None:
        if self.before_free_at_max is None or self.after_free_at_max is None:
            return None
        return self.after_free_at_max - self.before_free_at_max

    def sentence(self) -> str:
        """One line for people, as a pull-request comment says it."""
        if self.status == "new":
            return f"{self.subnet} is new: {_num(self.after_free_at_max)} free at max"
        if self.status == "removed":
            return f"{self.subnet} is gone (had {_num(self.before_free_at_max)} free at max)"
        if self.status == "unknown":
            return (f"{self.subnet}: {_num(self.before_free_at_max)} -> {_num(self.after_free_at_max)} free at max "
                    "(a figure is unknown)")
        if self.status == "unchanged":
            return f"{self.subnet}: unchanged, {_num(self.after_free_at_max)} free at max"
        return (f"this change takes {self.subnet} from {self.before_free_at_max} to {self.after_free_at_max} "
                f"free at max ({self.change:+d})")

    def to_dict(self) -> dict[str, Any]:
        return {"subnet": self.subnet, "az": self.az, "before_free_at_max": self.before_free_at_max,
                "after_free_at_max": self.after_free_at_max, "change": self.change,
                "before_at_max": self.before_at_max, "after_at_max": self.after_at_max, "status": self.status}


def _num(v: int | None) -> str:
    return "?" if v is None else str(v)


@record
class BaselineComparison:
    file: str
    known: set[tuple[str, str]] = field(default_factory=set)  # finding keys in the baseline
    fixed: list[dict[str, Any]] = field(default_factory=list)  # baseline findings gone from this run
    subnets: list[SubnetDelta] = field(default_factory=list)

    def contains(self, f: Finding) -> bool:
        return finding_key(f.rule_id, f.resource) in self.known

    def to_dict(self, findings: list[Finding]) -> dict[str, Any]:
        active = [f for f in findings if f.suppressed is None]
        return {
            "file": self.file,
            "known_findings": sum(1 for f in active if self.contains(f)),
            "new_findings": sum(1 for f in active if not self.contains(f)),
            "fixed_findings": [dict(x) for x in self.fixed],
            "subnets": [d.to_dict() for d in self.subnets],
        }


def _free(s: dict[str, Any]) -> int | None:
    u, m = s.get("usable"), s.get("at_max")
    if isinstance(u, bool) or isinstance(m, bool) or not isinstance(u, int) or not isinstance(m, int):
        return None
    return u - m


def load_baseline(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as e:
        raise BaselineError(f"{path}: cannot read the baseline: {e.strerror}") from None
    except ValueError as e:
        raise BaselineError(f"{path}: the baseline is not JSON ({e}); write it with `podcap check --format json`") \
            from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list) or not isinstance(
            doc.get("subnets"), list):
        raise BaselineError(f"{path}: not a podcap JSON report (no findings and subnets lists); write it with "
                            "`podcap check --format json`")
    return doc


def compare(path: str, doc: dict[str, Any], findings: list[Finding], subnets: list[Any]) -> BaselineComparison:
    """The comparison of this run's findings and subnets with a loaded baseline report."""
    cmp = BaselineComparison(file=path)
    for f in doc["findings"]:
        if isinstance(f, dict) and f.get("suppressed") in (None, {}) and "rule_id" in f:
            cmp.known.add(finding_key(f["rule_id"], f.get("resource", "")))
    now = {finding_key(f.rule_id, f.resource) for f in findings if f.suppressed is None}
    seen: set[tuple[str, str]] = set()
    for f in doc["findings"]:
        if not isinstance(f, dict) or f.get("suppressed") not in (None, {}) or "rule_id" not in f:
            continue
        k = finding_key(f["rule_id"], f.get("resource", ""))
        if k not in now and k not in seen:
            seen.add(k)
            cmp.fixed.append({"rule_id": k[0], "resource": k[1], "message": str(f.get("message", ""))})
    before = {str(s.get("subnet")): s for s in doc["subnets"] if isinstance(s, dict) and s.get("subnet")}
    for s in subnets:
        b = before.pop(s.subnet, None)
        after_free = None if s.usable is None or s.at_max is None else s.usable - s.at_max
        if b is None:
            cmp.subnets.append(SubnetDelta(s.subnet, s.az, None, after_free, None, s.at_max, "new"))
            continue
        bf = _free(b)
        status = "unknown" if bf is None or after_free is None else "unchanged" if bf == after_free else "changed"
        cmp.subnets.append(SubnetDelta(s.subnet, s.az or b.get("az"), bf, after_free,
                                       b.get("at_max") if isinstance(b.get("at_max"), int) else None, s.at_max,
                                       status))
    for sid, b in before.items():
        cmp.subnets.append(SubnetDelta(sid, b.get("az"), _free(b), None,
                                       b.get("at_max") if isinstance(b.get("at_max"), int) else None, None,
                                       "removed"))
    return cmp
