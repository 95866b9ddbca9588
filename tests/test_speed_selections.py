"""EKS Auto Mode's built-in pools read their instance types from the shipped snapshot, where
scripts/generate_snapshot.py stores them (``selections``, podcap.limits.refresh.store_selections), instead
of judging the snapshot's ~1400 types in every check. The stored selections must be exactly what :func:`podcap.engine.karpenter.select_types` works
out from the shipped records today, for the pools' definitions of today; a stored selection of another
definition, a malformed one and any --snapshot file are worked out again, with the same result as ever.
"""
from __future__ import annotations

import json
from pathlib import Path

import podcap.data
import pytest
from podcap.check import CheckOptions, check_plan, load_plans, one_plan
from podcap.engine import auto_mode, karpenter
from podcap.engine.auto_mode import (
    BUILTIN_POOLS,
    builtin_definition,
    builtin_requirements,
    builtin_selection,
    stored_selections,
    supported,
    supported_name,
)
from podcap.engine.karpenter import select_types
from podcap.limits import Snapshot, load_snapshot, parse_snapshot
from podcap.limits.refresh import dumps_snapshot, with_selections
from podcap.report import FORMATS
from podcap.rules import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FIXTURES = ROOT.parent / "shared" / "fixtures"
SNAP = load_snapshot()
SHIPPED = Path(podcap.data.__file__).with_name("instance_limits.json")


def _doc() -> dict:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def _computed(pool: str, snapshot: Snapshot = SNAP, where: str = "w") -> karpenter.TypeSelection:
    return select_types(builtin_requirements(pool) or [], snapshot, where, supported, supported_name)


def _without_selections(snapshot: Snapshot) -> Snapshot:
    return Snapshot(provenance=snapshot.provenance, types=snapshot.types, records=snapshot.records)


def test_the_shipped_snapshot_stores_what_the_generator_works_out_now():
    """The stored selections are the generator's (with_selections) over the shipped records: a change of a
    pool's definition, of the supported-instance reference or of select_types needs the snapshot
    regenerated (scripts/generate_snapshot.py), and this test says so."""
    doc = _doc()
    assert set(doc["selections"]) == set(BUILTIN_POOLS)
    stored = doc.pop("selections")
    assert with_selections(doc)["selections"] == stored
    assert stored_selections(parse_snapshot(doc)) == stored == dict(SNAP.selections)


@pytest.mark.parametrize("pool", BUILTIN_POOLS)
def test_a_stored_selection_equals_select_types_of_the_records(pool, monkeypatch):
    computed = _computed(pool)
    assert computed.unknown is None and len(computed.types) > 100
    monkeypatch.setattr(karpenter, "select_types", _refused)  # the stored selection is read, not worked out
    assert builtin_selection(pool, SNAP, "w") == computed
    assert SNAP.selections[pool]["definition"] == builtin_definition(pool)


def _refused(*args, **kwargs):
    raise AssertionError("select_types called for a stored selection")


def test_a_stored_selection_is_a_fresh_copy():
    """builtin_pool keeps and extends what it is given: the stored lists are never handed out."""
    first = builtin_selection("system", SNAP, "w")
    first.types.clear()
    first.notes.append("x")
    assert builtin_selection("system", SNAP, "w") == _computed("system")


def test_another_definition_is_worked_out(monkeypatch):
    """A family added to (or removed from) the supported-instance reference is not answered from the
    selection stored for the old list."""
    narrower = auto_mode.SUPPORTED_FAMILIES - {"m5", "c6g"}
    monkeypatch.setattr(auto_mode, "SUPPORTED_FAMILIES", narrower)
    for pool in BUILTIN_POOLS:
        sel = builtin_selection(pool, SNAP, "w")
        assert sel == _computed(pool)
        assert "m5.large" not in sel.types and sel.types != SNAP.selections[pool]["types"]
    assert builtin_definition("system") != SNAP.selections["system"]["definition"]


@pytest.mark.parametrize("broken", [
    {"types": "m5.large"}, {"types": []}, {"types": [1]}, {"notes": None}, {"zones": "us-east-1a"},
    {"zones_excluded": None}, {"cpu_floor": "2"}, {"cpu_floor": True}, {"definition": None},
])
def test_a_malformed_stored_selection_is_worked_out(broken):
    stored = {pool: {**SNAP.selections[pool], **broken} for pool in BUILTIN_POOLS}
    snap = Snapshot(provenance=SNAP.provenance, types=SNAP.types, records=SNAP.records, selections=stored)
    for pool in BUILTIN_POOLS:
        assert builtin_selection(pool, snap, "w") == _computed(pool)


def test_a_snapshot_file_works_its_pools_out(tmp_path, monkeypatch):
    """--snapshot: a copy of the shipped file (selections and all) is read whole and its pools judged from
    its records, with the same selections; an edited copy gives the edited records' selections."""
    copy = tmp_path / "copy.json"
    copy.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    snap = load_snapshot(copy)
    assert not snap.selections
    for pool in BUILTIN_POOLS:
        assert builtin_selection(pool, snap, "w") == _computed(pool)
    doc = _doc()
    del doc["instance_types"]["m5.large"]
    edited = tmp_path / "edited.json"
    edited.write_text(dumps_snapshot(doc), encoding="utf-8")
    sel = builtin_selection("general-purpose", load_snapshot(edited), "w")
    assert "m5.large" not in sel.types and "m5.xlarge" in sel.types


def test_a_pool_the_snapshot_cannot_tell_is_not_stored():
    """A snapshot without CPU architectures cannot tell general-purpose's amd64 types: no selection is
    stored for it, and each check reports why, naming its own pool."""
    doc = _doc()
    for rec in doc["instance_types"].values():
        rec["arch"] = None
    out = with_selections(doc)["selections"]
    assert "general-purpose" not in out and "system" in out  # system takes every architecture
    snap = parse_snapshot(doc)
    sel = builtin_selection("general-purpose", snap, "C: Auto Mode built-in NodePool general-purpose")
    assert sel.unknown is not None and sel.unknown.where == "C: Auto Mode built-in NodePool general-purpose"


def test_dumps_snapshot_writes_one_selection_a_line():
    text = SHIPPED.read_text(encoding="utf-8")
    assert dumps_snapshot(json.loads(text)) == text  # the shipped file is the generator's layout
    lines = text.splitlines()
    at = lines.index('"selections":{')
    assert [line.split('":', 1)[0].lstrip('"') for line in lines[at + 1:at + 1 + len(BUILTIN_POOLS)]] == \
        sorted(BUILTIN_POOLS)


def _report(path: Path, snapshot: Snapshot) -> str:
    plans = one_plan(load_plans([str(path)], CheckOptions(paths=[str(path)])))
    (plan,) = plans
    return FORMATS["json"](check_plan(plan, CheckOptions(paths=[]), snapshot), rules=REGISTRY)


AUTO_MODE_INPUTS = [
    FIXTURES / "cdk" / "aws-cdk-eks-v2-alpha-addon" / "EksClusterWithAddonStack.template.json",
    DATA / "cdk" / "eks-v2-auto-mode-fargate" / "assembly",
    DATA / "eksctl" / "42-auto-mode.yaml",
]


@pytest.mark.parametrize("path", AUTO_MODE_INPUTS, ids=lambda p: p.name)
def test_whole_checks_report_as_with_the_pools_worked_out(path):
    if not path.exists():
        pytest.skip(f"{path} is absent")
    assert _report(path, SNAP) == _report(path, _without_selections(load_snapshot()))
