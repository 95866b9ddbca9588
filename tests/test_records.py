"""``@record`` behaves as ``@dataclass`` does: the same repr text, equality, hashability, field options.

Each property is checked against a twin class built with the standard library's ``@dataclass``, so the
shared ``__repr__`` / ``__eq__`` (podcap.model.records) cannot drift from what dataclasses generates.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from podcap.model import records
from podcap.model.plan import NodeGroup, Plan, Subnet
from podcap.model.records import record
from podcap.model.unknown import Unknown


@record
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    cache: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass
class PointDC:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    cache: dict = field(default_factory=dict, compare=False, repr=False)


@record(frozen=True)
class Frozen:
    a: str
    b: tuple[int, ...] = ()


@dataclass(frozen=True)
class FrozenDC:
    a: str
    b: tuple[int, ...] = ()


@record
class Node:
    name: str
    parent: Node | None = None


@record
class Own:
    v: int

    def __repr__(self) -> str:
        return f"<{self.v}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Own) and other.v % 10 == self.v % 10

    __hash__ = None  # type: ignore[assignment]


values = st.integers(-5, 5)
words = st.lists(st.sampled_from(["a", "b", "é"]), max_size=3)


@given(values, values, words, values, values, words)
def test_equality_and_repr_are_the_dataclass_ones(x1, y1, t1, x2, y2, t2):
    a, b = Point(x1, y1, list(t1), {"k": x1}), Point(x2, y2, list(t2), {"k": y2})
    a_dc, b_dc = PointDC(x1, y1, list(t1), {"k": x1}), PointDC(x2, y2, list(t2), {"k": y2})
    assert (a == b) == (a_dc == b_dc) and (a != b) == (a_dc != b_dc)  # `cache` is compare=False in both
    assert repr(a) == repr(a_dc).replace("PointDC(", "Point(")  # `cache` is repr=False in both
    fa, fb = Frozen(str(x1), tuple(t1 and [y1])), Frozen(str(x2), tuple(t2 and [y2]))
    fa_dc, fb_dc = FrozenDC(str(x1), tuple(t1 and [y1])), FrozenDC(str(x2), tuple(t2 and [y2]))
    assert (fa == fb) == (fa_dc == fb_dc)
    assert (hash(fa) == hash(fb)) or fa != fb  # equal frozen records hash alike
    assert repr(fa) == repr(fa_dc).replace("FrozenDC(", "Frozen(")


def test_hashing_other_classes_recursion_and_own_methods():
    with pytest.raises(TypeError):
        hash(Point(1))  # a mutable dataclass with eq is unhashable, as @dataclass leaves it
    assert hash(Frozen("a")) == hash(Frozen("a")) and {Frozen("a"), Frozen("a")} == {Frozen("a")}
    assert Point(1) != PointDC(1) and (Point(1) == 1) is False  # another class: NotImplemented, then False
    with pytest.raises(dataclasses.FrozenInstanceError):
        Frozen("a").a = "b"  # type: ignore[misc]
    n = Node("root")
    n.parent = n
    assert repr(n) == "Node(name='root', parent=...)"  # a cycle prints as dataclasses' recursive_repr does
    assert repr(Own(3)) == "<3>" and Own(3) == Own(13)  # a class's own methods are kept
    assert dataclasses.replace(Point(1, 2), y=5) == Point(1, 5) and dataclasses.asdict(Point(1))["x"] == 1


def test_the_model_classes_compare_and_print_as_before():
    s1 = Subnet(id="a", cidr="10.0.0.0/24", az="us-east-1a")
    assert s1 == Subnet(id="a", cidr="10.0.0.0/24", az="us-east-1a") != Subnet(id="b", cidr="10.0.0.0/24", az="x")
    assert repr(s1).startswith("Subnet(id='a', cidr='10.0.0.0/24', az='us-east-1a', ")
    assert Unknown("r", "w") == Unknown("r", "w") and hash(Unknown("r")) == hash(Unknown("r"))
    assert repr(Unknown("r")) == "Unknown(reason='r', where='')"
    p = Plan(source="x", kind="spec")
    p.nodegroups.append(NodeGroup(name="ng"))
    assert p == Plan(source="x", kind="spec", nodegroups=[NodeGroup(name="ng")])


def test_a_record_is_built_on_first_need_with_the_same_results():
    """dataclasses' work on a class waits for its first instance or its first field read (see records.py)."""

    @record
    class Base:
        a: int
        b: list = field(default_factory=list)

    @record
    class Child(Base):
        c: str = "x"

    @record(frozen=True)
    class FrozenBase:
        a: int

    @record(frozen=True)
    class FrozenChild(FrozenBase):
        c: str = "x"

    class Plain(Base):  # a subclass that is not a record
        pass

    assert records._BUILD in Base.__dict__ and records._SPECS not in Base.__dict__  # not built yet
    # the subclass first: building it builds its base, whose fields come first
    assert Child(1, [2], "y") == Child(1, [2], "y") != Child(1, [2], "z")
    assert records._SPECS in Base.__dict__ and records._BUILD not in Base.__dict__
    assert [f.name for f in dataclasses.fields(Child)] == ["a", "b", "c"]
    assert hash(FrozenChild(1, "y")) == hash(FrozenChild(1, "y")) and FrozenChild(1) == FrozenChild(1, "x")
    assert [f.name for f in dataclasses.fields(FrozenBase)] == ["a"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        FrozenChild(1).c = "z"  # type: ignore[misc]
    assert Plain(3).b == [] and Plain(3) != Base(3)  # another class
    assert repr(Base(1)).endswith(".Base(a=1, b=[])") and Base(1, b=[1]) == Base(1, [1])

    @record
    class FieldsFirst:
        x: int = 4

    # read before any instance: dataclasses.fields, is_dataclass, replace all see the built class
    assert dataclasses.is_dataclass(FieldsFirst) and [f.name for f in dataclasses.fields(FieldsFirst)] == ["x"]
    assert dataclasses.replace(FieldsFirst(), x=5) == FieldsFirst(5)
    with pytest.raises(TypeError):
        FieldsFirst(1, 2)  # type: ignore[call-arg]  # the generated __init__'s own error

    @record
    class OwnInit:
        v: int

        def __init__(self, v: str) -> None:
            self.v = int(v)

    # a class that writes its own __init__ is built at once and keeps it
    assert records._SPECS in OwnInit.__dict__
    assert OwnInit("7").v == 7


def _twins(frozen: bool):
    """The same class body under @record and under @dataclass: every field option this project uses."""
    made = []
    for deco in (record(frozen=frozen), dataclass(frozen=frozen)):

        @deco
        class Options:
            a: int
            b: str = "b"
            c: list = field(default_factory=list)
            d: int = field(default=4, repr=False)
            e: dict = field(default_factory=dict, compare=False)
            f: int = field(default=6, init=False)
            g: list = field(default_factory=lambda: [7], init=False)

        made.append(Options)
    return made


@pytest.mark.parametrize("frozen", [False, True])
def test_the_builder_makes_what_dataclass_makes(frozen):
    import inspect

    rec, dc = _twins(frozen)
    dataclasses.fields(rec)  # built (before, its __init__ is the one that builds it)
    assert str(inspect.signature(rec)) == str(inspect.signature(dc))  # same parameters and defaults
    assert rec.__match_args__ == dc.__match_args__ == ("a", "b", "c", "d", "e")
    for one, other in zip(dataclasses.fields(rec), dataclasses.fields(dc), strict=True):
        assert (one.name, one.type, one.init, one.repr, one.compare, one.default) == (
            other.name, other.type, other.init, other.repr, other.compare, other.default)
    x, y = rec(1), dc(1)
    assert dataclasses.asdict(x) == dataclasses.asdict(y) == {"a": 1, "b": "b", "c": [], "d": 4, "e": {},
                                                             "f": 6, "g": [7]}
    assert rec(1).c is not rec(1).c  # a factory runs per instance
    assert repr(x) == repr(y).replace(dc.__qualname__, rec.__qualname__)
    assert (rec(1, e={"z": 1}) == rec(1)) is True  # e is compare=False
    assert rec(1) != rec(2) and dataclasses.replace(x, a=3) == rec(3)
    assert rec.b == dc.b == "b" and "c" not in rec.__dict__ and rec.d == 4  # class attributes as dataclass
    if frozen:
        for cls in (rec, dc):  # the hash is of the compare fields, a list among them: unhashable in both
            with pytest.raises(TypeError, match="unhashable type: 'list'"):
                hash(cls(1))
        with pytest.raises(dataclasses.FrozenInstanceError):
            del x.a
        with pytest.raises(dataclasses.FrozenInstanceError):
            x.new = 1  # type: ignore[attr-defined]
    else:
        x.a = 9
        assert x.a == 9 and rec.__hash__ is None


def test_the_builder_refuses_what_dataclass_refuses():
    @record
    class Order:
        a: int = 1
        b: int  # type: ignore[misc]

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        Order()

    @record
    class Mutable:
        a: list = []  # type: ignore[assignment]  # noqa: RUF012

    with pytest.raises(ValueError, match="mutable default"):
        Mutable()

    @record(frozen=True)
    class FrozenBase:
        a: int

    @record
    class Thawed(FrozenBase):
        b: int = 0

    with pytest.raises(TypeError, match="non-frozen dataclass from a frozen one"):
        Thawed(1)


def test_post_init_class_vars_and_plain_subclasses():


    @record
    class Post:
        a: int
        doubled: int = field(default=0, init=False)

        def __post_init__(self) -> None:
            self.doubled = 2 * self.a

    assert Post(3).doubled == 6

    @record
    class WithClassVar:  # a ClassVar is left to @dataclass, which knows it is no field
        kind: ClassVar[str] = "k"
        a: int = 1

    assert [f.name for f in dataclasses.fields(WithClassVar)] == ["a"] and WithClassVar(2) == WithClassVar(2)

    @record(frozen=True)
    class Sealed:
        a: int

    class Loose(Sealed):  # not a record: attributes that are not fields may be set, as with @dataclass
        pass

    one = Loose(1)
    one.extra = 2  # type: ignore[attr-defined]
    assert one.extra == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.a = 5  # type: ignore[misc]

    @record(frozen=True)
    class OwnEq:
        a: int

        def __eq__(self, other: object) -> bool:
            return isinstance(other, OwnEq) and abs(other.a) == abs(self.a)

    assert OwnEq(-1) == OwnEq(1) and isinstance(hash(OwnEq(1)), int)  # frozen with eq: hashable, as dataclass


def test_a_frozen_init_stores_into_the_dict_only_where_setattr_would():
    """A frozen record's __init__ writes its fields straight into the instance's __dict__, except where
    object.__setattr__ would do something else: a slot (a data descriptor) of a base class keeps the value,
    as with @dataclass(frozen=True)."""

    class Slotted:
        __slots__ = ("a",)

    @record(frozen=True)
    class OnSlot(Slotted):
        a: int
        b: int

    @dataclass(frozen=True)
    class OnSlotDc(Slotted):
        a: int
        b: int

    mine, theirs = OnSlot(1, 2), OnSlotDc(1, 2)
    assert (mine.a, mine.b) == (theirs.a, theirs.b) == (1, 2)
    assert "a" not in mine.__dict__ and mine.__dict__ == theirs.__dict__ == {"b": 2}
    assert records._plain_attributes(OnSlot, records.fields(OnSlot)) is False

    @record(frozen=True)
    class Plain:
        a: int
        b: list = field(default_factory=list)

    p = Plain(3)
    assert p.__dict__ == {"a": 3, "b": []} and records._plain_attributes(Plain, records.fields(Plain))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.a = 4  # type: ignore[misc]


@pytest.mark.parametrize("frozen", [False, True])
def test_records_own_fields_replace_and_asdict_are_the_dataclass_ones(frozen):
    """records.fields / replace / asdict (what podcap calls, without importing dataclasses) give what the
    standard library's functions give for the twin @dataclass class."""
    rec, dc = _twins(frozen)
    assert [(f.name, f.init, f.repr, f.compare) for f in records.fields(rec)] == [
        (f.name, f.init, f.repr, f.compare) for f in dataclasses.fields(dc)]
    x, y = rec(1, "s", [2], 5, {"k": (1, [2])}), dc(1, "s", [2], 5, {"k": (1, [2])})
    assert records.asdict(x) == dataclasses.asdict(y)
    assert records.asdict(x)["c"] is not x.c  # a copy, as dataclasses makes
    nested = Node("leaf", parent=Node("root"))
    assert records.asdict(nested) == {"name": "leaf", "parent": {"name": "root", "parent": None}}
    assert records.replace(x, b="t") == rec(1, "t", [2], 5, {"k": (1, [2])})
    assert records.replace(x, b="t").g == [7] == dataclasses.replace(y, b="t").g  # init=False: set anew
    for fn in (records.replace, dataclasses.replace):
        with pytest.raises(ValueError, match="init=False"):
            fn(x if fn is records.replace else y, f=1)
    with pytest.raises(TypeError):
        records.asdict(rec)  # a class, not an instance
    assert records.is_record(x) and records.is_record(dc) and not records.is_record(1)


def test_compiled_inits_are_kept_like_bytecode(tmp_path):
    """records keeps each generated __init__'s code (see _compiled): a second run compiles none, a file it
    cannot read is ignored and written anew, and nothing is written when Python writes no bytecode."""
    import os
    import subprocess
    import sys

    code = ("import podcap.model.records as r; from podcap.model.plan import NodeGroup, Subnet; "
            "s = Subnet(id='a', cidr='10.0.0.0/24', az='x'); ng = NodeGroup(name='n'); "
            "assert s.cidr == '10.0.0.0/24' and ng.name == 'n'; "
            "print(len(r._CACHE_MISSES), len(r._CACHE_USED), r._cache_path())")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run(prefix, **extra):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**env, "PYTHONPYCACHEPREFIX": str(prefix), **extra})
        misses, used, path = out.stdout.split()
        return int(misses), int(used), path

    misses, used, path = run(tmp_path / "a")
    assert misses == used >= 2 and path.startswith(str(tmp_path / "a")) and os.path.isfile(path)
    assert run(tmp_path / "a")[0] == 0  # every text found: nothing compiled
    with open(path, "wb") as fh:
        fh.write(b"not a cache")
    assert run(tmp_path / "a")[0] == used  # ignored, compiled again
    assert run(tmp_path / "a")[0] == 0  # and written anew
    misses, _, path = run(tmp_path / "b", PYTHONDONTWRITEBYTECODE="1")
    assert misses == used and not os.path.exists(path)
