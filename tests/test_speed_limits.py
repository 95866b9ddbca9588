"""The shipped snapshot's types are built on first use (limits._LazyTypes) from records found by line
(limits._LineRecords); two types whose records are the same text share one build, renamed. Each type must
be exactly ``InstanceLimits.from_record`` of its record in the whole file, whatever the order types are
asked in, and whether a record is found by searching for its line or by the index of every line.
"""
from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from podcap import limits
from podcap.limits import InstanceLimits
from podcap.limits.refresh import dumps_snapshot

TEXT = limits._data_text(limits.SNAPSHOT_NAME)
WHOLE = json.loads(TEXT)
RECORDS = WHOLE["instance_types"]


def _fresh() -> tuple[limits._LazyTypes, limits._LineRecords]:
    _, lines = limits._index_lines(TEXT)
    return limits._LazyTypes(lines), lines


def _orders() -> list[list[str]]:
    names = sorted(RECORDS)
    shuffled = list(names)
    random.Random(7).shuffle(shuffled)
    return [names, names[::-1], shuffled]


@pytest.mark.parametrize("order", range(3), ids=["sorted", "reversed", "shuffled"])
def test_every_type_is_from_record_of_its_record(order):
    types, _ = _fresh()
    for name in _orders()[order]:
        lim = types[name]
        want = InstanceLimits.from_record(name, RECORDS[name])
        assert lim == want and lim.name == name and hash(lim) == hash(want), name
        assert lim.sources == want.sources and lim.accelerator_labels == want.accelerator_labels
        # field by field and type by type (a list where from_record makes a tuple would still compare unequal,
        # but an int for a bool would not): the shipped records are built without from_record's checks
        assert type(lim) is InstanceLimits and list(lim.__dict__) == list(want.__dict__), name
        assert [type(v) for v in lim.__dict__.values()] == [type(v) for v in want.__dict__.values()], name


def test_types_of_one_record_text_share_one_build_under_their_own_names():
    types, lines = _fresh()
    texts = Counter(lines.text_of(name) for name in RECORDS)
    shared = [name for name in sorted(RECORDS) if texts[lines.text_of(name)] > 1]
    assert len(texts) < len(RECORDS) and len(shared) > 100  # sizes of one family share their record
    a, b = [n for n in shared if lines.text_of(n) == lines.text_of(shared[0])][:2]
    first, second = types[a], types[b]
    assert first is not second and (first.name, second.name) == (a, b)
    assert first != second  # the name is a field
    assert InstanceLimits.from_record(b, RECORDS[b]) == second
    assert len(types._by_text) == 1  # one from_record for the two


def test_a_record_read_by_search_equals_one_read_by_the_index(monkeypatch):
    """Every record's text, found by searching for its line (no index made) and by the index, is the
    stored text of its value, so both give the record json.loads of the whole file gives."""
    monkeypatch.setattr(limits, "_SEARCHES_BEFORE_INDEX", len(RECORDS) + 1)
    _, searched = limits._index_lines(TEXT)
    _, indexed = limits._index_lines(TEXT)
    indexed.index()
    for name, rec in RECORDS.items():
        text = searched.text_of(name)
        assert text == indexed.text_of(name) and json.loads(text) == rec, name
        assert searched[name] == rec == indexed[name]
    assert searched._lines is None  # every one of them by its own search
    assert searched.text_of("m5.larg") is None and indexed.text_of("m5.larg") is None
    assert searched.text_of('m5.large"') is None and "m5.larg" not in searched


def test_many_lookups_index_every_line_once():
    """A node pool's hundreds of candidates: after a few searches the lines are indexed, and the types read
    before and after are the same."""
    types, lines = _fresh()
    names = sorted(RECORDS)
    for name in names[:limits._SEARCHES_BEFORE_INDEX]:
        assert types[name] == InstanceLimits.from_record(name, RECORDS[name])
    assert lines._lines is None
    for name in names[limits._SEARCHES_BEFORE_INDEX:]:
        assert types[name] == InstanceLimits.from_record(name, RECORDS[name])
    assert lines._lines is not None and list(lines) == list(RECORDS)


def test_the_last_record_has_no_comma_and_a_one_record_section_reads():
    for doc in ({"generated": {}, "instance_types": {"a.x": {"enis": 2, "ipv4": 4}}},
                {"generated": {}, "instance_types": {"a.x": {"enis": 2, "ipv4": 4}, "b.x": {"enis": 2, "ipv4": 4}},
                 "selections": {"p": {"types": ["a.x"]}}}):
        head, lines = limits._index_lines(dumps_snapshot(doc))
        assert head == {**doc, "instance_types": {}}
        types = limits._LazyTypes(lines)
        for name, rec in doc["instance_types"].items():
            assert lines.text_of(name) == json.dumps(rec, sort_keys=True, separators=(",", ":"))
            assert types[name] == InstanceLimits.from_record(name, rec)
