"""The ``.podcap.yaml`` config: suppressions (with a mandatory reason) and ``strict``.

```yaml
suppressions:
  - {id: PC201, resource: "module.vpc.aws_subnet.private[0]", reason: "sized for the pilot only", expires: 2027-01-31}
strict: false   # optional: warnings fail the check, as --strict
```

A suppression names a rule and a resource (``"*"``: every resource): the resource id podcap reports (a
spec name, a logical id, a Terraform address; in a cdk.out ``StackName/LogicalId``), or for CDK output
the construct path, or in a cdk.out the bare logical id when only one stack has it. Like cdk-nag, podcap
asks why: the reason must have at least 10 characters. After ``expires`` (inclusive) a suppression no longer applies
and the finding says so.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

from podcap.model.findings import Finding
from podcap.model.plan import Suppression
from podcap.model.records import field, record
from podcap.sources._common import unknown_key
from podcap.sources.safe_yaml import InputError, load_yaml, read_file

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

CONFIG_SOURCE = ".podcap.yaml"
MIN_REASON = 10
_RULE_ID = re.compile(r"^PC\d{3}$")
_TOP_KEYS = ("suppressions", "strict", "demand")
_DEMAND_KEYS = ("resource", "max_nodes", "pods", "pods_per_node")
MAX_PROBLEMS = 20  # problem lines printed; then "and N more"
_SUPPRESSION_KEYS = ("id", "resource", "reason", "expires")


@record
class Config:
    suppressions: dict[str, list[Suppression]] = field(default_factory=dict)  # resource -> suppressions
    strict: bool | None = None  # None: not set in the file
    demand: list = field(default_factory=list)  # podcap.sources.demand.Demand entries


def parse_config(doc: Any, path: str) -> Config:
    """Validate a parsed config document; every problem is one line of the InputError."""
    problems: list[str] = []

    def bad(where: str, msg: str) -> None:
        problems.append(f"{path}: at {where}: {msg}")

    cfg = Config()
    if doc is None:
        return cfg
    if not isinstance(doc, dict):
        raise InputError(
            f"{path}: at top level: the config is a mapping (suppressions, strict), "
            f"not a {type(doc).__name__}"
        )
    for k in doc:
        if k not in _TOP_KEYS:
            bad("top level", unknown_key(k, _TOP_KEYS))
    strict = doc.get("strict")
    if strict is not None and not isinstance(strict, bool):
        bad("strict", f"{strict!r} is not true or false")
    else:
        cfg.strict = strict
    sups = doc.get("suppressions")
    if sups is None:
        sups = []
    if not isinstance(sups, list):
        bad("suppressions", f"a list of {{id, resource, reason, expires}}, not a {type(sups).__name__}")
        sups = []
    for i, s in enumerate(sups):
        p = f"suppressions[{i}]"
        if not isinstance(s, dict):
            bad(p, f"a suppression is a mapping {{id, resource, reason, expires}}, not a {type(s).__name__}")
            continue
        ok = True
        for k in s:
            if k not in _SUPPRESSION_KEYS:
                bad(p, unknown_key(k, _SUPPRESSION_KEYS))
                ok = False
        rid, resource, reason, expires = (s.get(k) for k in _SUPPRESSION_KEYS)
        if rid is None:
            bad(p, "'id' is a required property (the rule id, e.g. PC201)")
            ok = False
        elif not isinstance(rid, str) or not _RULE_ID.match(rid):
            bad(f"{p}.id", f"{rid!r} is not a podcap rule id such as PC201")
            ok = False
        if resource is None:
            bad(p, "'resource' is a required property (a resource id, or '*' for every resource)")
            ok = False
        elif not isinstance(resource, str) or not resource:
            bad(f"{p}.resource", f"{resource!r} is not a resource id")
            ok = False
        if reason is None:
            bad(p, f"'reason' is a required property: say why (at least {MIN_REASON} characters)")
            ok = False
        elif not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
            bad(f"{p}.reason", f"give a reason of at least {MIN_REASON} characters, not {reason!r}")
            ok = False
        if expires is not None:
            if isinstance(expires, _dt.date):
                expires = expires.isoformat()[:10]
            try:
                if not isinstance(expires, str):
                    raise ValueError
                _dt.date.fromisoformat(expires)
            except ValueError:
                bad(f"{p}.expires", f"{expires!r} is not a date YYYY-MM-DD")
                ok = False
        if ok:
            cfg.suppressions.setdefault(resource, []).append(
                Suppression(rule_id=rid, reason=reason.strip(), expires=expires, source=CONFIG_SOURCE)
            )
    _parse_demand(doc.get("demand"), cfg, bad)
    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], f"{path}: … and {len(problems) - MAX_PROBLEMS} more problems"]
        raise InputError("\n".join(problems))
    return cfg


def _parse_demand(raw: Any, cfg: Config, bad) -> None:
    """``demand:`` — ``[{resource, max_nodes, pods, pods_per_node}]``: what no template states (node pools'
    node bound, Fargate profiles' pods), keyed like suppressions (podcap.sources.demand)."""
    from podcap.sources.demand import Demand

    if raw is None:
        return
    if not isinstance(raw, list):
        bad("demand", f"a list of {{resource, max_nodes, pods, pods_per_node}}, not a {type(raw).__name__}")
        return
    for i, d in enumerate(raw):
        p = f"demand[{i}]"
        if not isinstance(d, dict):
            bad(p, f"a demand entry is a mapping {{resource, max_nodes, pods, pods_per_node}}, not a "
                   f"{type(d).__name__}")
            continue
        ok = True
        for k in d:
            if k not in _DEMAND_KEYS:
                bad(p, unknown_key(k, _DEMAND_KEYS))
                ok = False
        resource = d.get("resource")
        if resource is None:
            bad(p, "'resource' is a required property (the node group, node pool or Fargate profile)")
            ok = False
        elif not isinstance(resource, str) or not resource.strip() or resource == "*":
            bad(f"{p}.resource", f"{resource!r} is not a resource id")
            ok = False
        values = {}
        for k in _DEMAND_KEYS[1:]:
            v = d.get(k)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if k == "max_nodes" else 0):
                bad(f"{p}.{k}", f"{v!r} is not a whole number{' >= 1' if k == 'max_nodes' else ' >= 0'}")
                ok = False
            else:
                values[k] = v
        if ok and not values:
            bad(p, "give at least one of max_nodes, pods, pods_per_node")
            ok = False
        if ok:
            cfg.demand.append(Demand(resource=resource.strip(), **values))


def load_config(path: str) -> Config:
    """Read a ``.podcap.yaml`` file; InputError (with the path) when it cannot be read or is invalid."""
    return parse_config(load_yaml(read_file(path, "config"), path), path)


def _expiry(s: Suppression) -> _dt.date | None:
    if not s.expires:
        return None
    try:
        return _dt.date.fromisoformat(str(s.expires)[:10])
    except ValueError:
        return _dt.date.min  # an unreadable date never suppresses


def _bare(resource: str) -> str:
    """The logical id a resource id ends with: ``Stack/Nested/Lid`` -> ``Lid``."""
    return resource.rsplit("/", 1)[-1]


def _is_assembly(source: str, cache: dict[str, bool]) -> bool:
    if source not in cache:
        from podcap.sources.cdk_assembly import is_cdk_assembly

        cache[source] = bool(source) and is_cdk_assembly(source)
    return cache[source]


def _aliases(f: Finding, bare_owners: dict[str, set[str]], assemblies: dict[str, bool]) -> list[str]:
    """The other names a ``.podcap.yaml`` entry may give a finding's resource: its CDK construct path; in a
    cdk.out (ids ``Stack/LogicalId``, nested stacks ``Stack/NestedStackId/LogicalId``) the bare logical id,
    when no other resource of the assembly has it."""
    out = []
    cpath = (f.location.construct_path or "").strip("/")
    if cpath and cpath != f.resource:
        out.append(cpath)
    bare = _bare(f.resource)
    if (bare and bare != f.resource and bare_owners.get(bare) == {f.resource}
            and _is_assembly(f.source, assemblies)):
        out.append(bare)
    return out


def apply_suppressions(
    findings: list[Finding], suppressions: dict[str, list[Suppression]], today: _dt.date,
    resources: Iterable[str] = (),
) -> None:
    """Mark each finding with the first active suppression of its rule on its resource (or on ``"*"``).

    A ``.podcap.yaml`` entry also matches a resource by its CDK construct path (``Stack/Network/SubnetA``,
    from ``aws:cdk:path``) and, for a cdk.out, by the bare logical id when it is unambiguous: no other
    resource among the findings, the keys of ``suppressions`` and ``resources`` (every resource of the
    plan) has the same logical id. Other suppressions (template Metadata, CDK acknowledgments, spec) match
    the resource id only.

    A suppression applies through its ``expires`` date; after that the finding stays and its message
    says " (suppression expired on DATE)".
    """
    known = {f.resource for f in findings} | set(resources)
    known.update(k for k, v in suppressions.items()
                 if k != "*" and all(s.source != CONFIG_SOURCE for s in v))
    bare_owners: dict[str, set[str]] = {}
    for r in known:
        bare_owners.setdefault(_bare(r), set()).add(r)
    by_name: dict[str, list[Suppression]] = {}  # .podcap.yaml entries by their resource, without edge "/"
    for k, v in suppressions.items():
        for s in v:
            if s.source == CONFIG_SOURCE and k != "*":
                by_name.setdefault(k.strip("/"), []).append(s)
    assemblies: dict[str, bool] = {}
    for f in findings:
        if f.suppressed is not None:
            continue
        candidates = [s for s in suppressions.get(f.resource, ()) if s.rule_id == f.rule_id]
        for name in _aliases(f, bare_owners, assemblies) if by_name else ():
            candidates += [s for s in by_name.get(name, ()) if s.rule_id == f.rule_id and s not in candidates]
        candidates += [s for s in suppressions.get("*", ()) if s.rule_id == f.rule_id]
        expired: list[str] = []
        for s in candidates:
            end = _expiry(s)
            if end is not None and today > end:
                expired.append(str(s.expires))
                continue
            f.suppressed = s
            break
        if f.suppressed is None and expired:
            note = f" (suppression expired on {max(expired)})"
            if note not in f.message:
                f.message += note
