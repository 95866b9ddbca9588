"""``@record``: the project's dataclasses, built by a smaller builder than ``@dataclass``.

``@dataclass`` writes and compiles ``__init__``, ``__repr__``, ``__eq__`` (and a frozen class's
``__setattr__``, ``__delattr__`` and ``__hash__``) for every class, one ``exec`` each, after resolving each
field's annotation against typing's ClassVar and InitVar: about 0.6 ms a class, ~20 ms of a small `podcap
check` (a third of its time past the interpreter's start). ``@record`` gives the same class for what this
project uses (``@record`` and ``@record(frozen=True)``; ``field()`` with default, default_factory, init,
repr and compare; ``__post_init__``; record bases), so ``dataclasses.fields``, ``replace``, ``asdict`` and
``is_dataclass`` see a dataclass (real ``Field`` objects in ``__dataclass_fields__``), but compiles only
``__init__``, and only the first time the class is needed: at its first instance, or when anything reads
its ``__dataclass_fields__`` (a subclass being built, ``dataclasses.fields``). A check instantiates a
third to two thirds of the ~70 classes it imports.

Shared by every record instead of generated per class: ``__repr__`` (``Name(field=value, ...)``, fields
with ``repr=False`` left out, recursion shown as ``...``), ``__eq__`` (same class and equal ``compare``
fields, else NotImplemented), a frozen class's ``__hash__`` (of its compare fields; a mutable class is
unhashable, as dataclasses leaves it) and its ``__setattr__`` / ``__delattr__`` (FrozenInstanceError on a
field). A class that writes its own ``__repr__``, ``__eq__`` or ``__hash__`` keeps it. Anything else (its
own ``__init__``, ``slots``, ``init=False``, a ClassVar, InitVar or KW_ONLY annotation, a keyword-only
field) goes to ``@dataclass`` itself. tests/test_records.py holds each behaviour equal to a twin class
built by ``@dataclass``.
"""
from __future__ import annotations

import dataclasses
import inspect
import reprlib
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import Any, dataclass_transform

_REPR, _COMPARE = "__podcap_repr_fields__", "__podcap_compare_fields__"


def _field_names(cls: type, attr: str) -> tuple[str, ...]:
    names = cls.__dict__.get(attr)
    if names is None:
        flag = "repr" if attr == _REPR else "compare"
        names = tuple(f.name for f in fields(cls) if getattr(f, flag))
        setattr(cls, attr, names)
    return names


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    cls = type(self)
    body = ", ".join(f"{n}={getattr(self, n)!r}" for n in _field_names(cls, _REPR))
    return f"{cls.__qualname__}({body})"


def _compare_key(cls: type) -> Any:
    """A function giving an instance's compare fields as one value (attrgetter: one C call)."""
    key = cls.__dict__.get("__podcap_compare_key__")
    if key is None:
        names = _field_names(cls, _COMPARE)
        key = attrgetter(*names) if names else (lambda _obj: ())
        cls.__podcap_compare_key__ = key  # type: ignore[attr-defined]
    return key


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = _compare_key(self.__class__)
    return key(self) == key(other)


def _hash(self: Any) -> int:
    return hash(_compare_key(self.__class__)(self))


class _Unbuilt:
    """A class's ``__dataclass_fields__`` until it is built: reading it builds the class and gives the real
    one, which then replaces this in the class."""

    def __init__(self, build: Any) -> None:
        self.build = build

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self.build()


# annotations (strings under `from __future__ import annotations`) that change what a field is: left to
# @dataclass, which resolves them against typing and dataclasses
_SPECIAL = ("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar", "KW_ONLY", "dataclasses.KW_ONLY")


# a parameter whose default is a factory: what @dataclass uses, so a signature shows "<factory>" alike
_FACTORY_MARK = getattr(dataclasses, "_HAS_DEFAULT_FACTORY", object())


class _Unsupported(Exception):
    """A class this builder leaves to @dataclass."""


def _params(frozen: bool) -> Any:
    """``__dataclass_params__`` as @dataclass would set it (its constructor's arguments differ by version)."""
    make = dataclasses._DataclassParams  # type: ignore[attr-defined]
    code = make.__init__.__code__
    given = {"init": True, "repr": True, "eq": True, "order": False, "unsafe_hash": False, "frozen": frozen,
             "match_args": True, "kw_only": False, "slots": False, "weakref_slot": False}
    return make(**{n: given[n] for n in code.co_varnames[1:code.co_argcount]})


def _collect(c: type) -> dict[str, dataclasses.Field]:
    """The class's fields as @dataclass collects them: its bases' first (base records built on the way),
    then its own annotations in order, each default or ``field()`` taken from the class body. Raises
    _Unsupported, before changing the class, for what it leaves to @dataclass."""
    own = inspect.get_annotations(c)  # the class's own, as @dataclass reads them
    for name, kind in own.items():
        default = c.__dict__.get(name, MISSING)
        if (not isinstance(kind, str) or kind.split("[", 1)[0].strip() in _SPECIAL
                or (isinstance(default, dataclasses.Field) and default.kw_only is True)):
            raise _Unsupported(name)
    out: dict[str, dataclasses.Field] = {}
    for base in c.__mro__[-1:0:-1]:
        for f in (getattr(base, "__dataclass_fields__", None) or {}).values():
            out[f.name] = f
    for name, kind in own.items():
        default = c.__dict__.get(name, MISSING)
        if isinstance(default, dataclasses.Field):
            f = default
            if f.default is MISSING:
                delattr(c, name)  # a field() with no default leaves no class attribute (as @dataclass)
            else:
                setattr(c, name, f.default)
        else:
            if default is not MISSING and default.__class__.__hash__ is None:  # @dataclass's own rule
                raise ValueError(f"mutable default {type(default)} for field {name} is not allowed: "
                                 "use default_factory")
            f = field(default=default)
        f.name, f.type = name, kind
        f._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
        f.kw_only = False
        out[name] = f
    return out


def _init(c: type, fields_: dict[str, dataclasses.Field], frozen: bool) -> Any:
    """The ``__init__`` @dataclass generates: positional-or-keyword parameters in field order, defaults,
    default factories (called per instance), ``init=False`` fields set from their default, and a call of
    ``__post_init__`` when the class has one; a frozen class sets through ``object.__setattr__``."""
    env: dict[str, Any] = {"__podcap_set": object.__setattr__, "__podcap_factory_mark": _FACTORY_MARK}
    params, body, seen_default = ["self"], [], False
    for i, f in enumerate(fields_.values()):
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if f.init:
            if has_default:
                seen_default = True
            elif seen_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
        if f.default_factory is not MISSING:
            env[f"__podcap_f{i}"] = f.default_factory
            if f.init:
                params.append(f"{f.name}=__podcap_factory_mark")
                value = f"__podcap_f{i}() if {f.name} is __podcap_factory_mark else {f.name}"
            else:
                value = f"__podcap_f{i}()"
        elif f.init:
            if f.default is not MISSING:
                env[f"__podcap_d{i}"] = f.default
                params.append(f"{f.name}=__podcap_d{i}")
            else:
                params.append(f.name)
            value = f.name
        elif f.default is not MISSING:
            env[f"__podcap_d{i}"] = f.default
            value = f"__podcap_d{i}"
        else:
            continue  # init=False, no default: not set, as @dataclass leaves it
        body.append(f"__podcap_set(self, {f.name!r}, {value})" if frozen else f"self.{f.name} = {value}")
    if hasattr(c, "__post_init__"):
        body.append("self.__post_init__()")
    src = f"def __init__({', '.join(params)}):\n    " + "\n    ".join(body or ["pass"]) + "\n"
    exec(src, env)  # noqa: S102 - our own generated text, as dataclasses does
    init = env["__init__"]
    init.__annotations__ = {**{f.name: f.type for f in fields_.values() if f.init}, "return": None}
    init.__qualname__ = f"{c.__qualname__}.__init__"
    init.__module__ = c.__module__
    return init


def _frozen_methods(c: type, names: frozenset[str]) -> tuple[Any, Any]:
    """@dataclass(frozen=True)'s ``__setattr__`` and ``__delattr__``: a field (or any attribute of the class
    itself) cannot be set or deleted after ``__init__``."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is c or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(c, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is c or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(c, self).__delattr__(name)

    return __setattr__, __delattr__


def _build(c: type, frozen: bool) -> dict[str, dataclasses.Field]:
    fields_ = _collect(c)
    for base in c.__mro__[1:]:
        params = base.__dict__.get("__dataclass_params__")
        if params is not None and params.frozen != frozen:
            raise TypeError("cannot inherit frozen dataclass from a non-frozen one" if frozen
                            else "cannot inherit non-frozen dataclass from a frozen one")
    c.__init__ = _init(c, fields_, frozen)  # type: ignore[misc]
    if frozen:
        c.__setattr__, c.__delattr__ = _frozen_methods(c, frozenset(fields_))  # type: ignore[method-assign]
    if "__match_args__" not in c.__dict__:
        c.__match_args__ = tuple(f.name for f in fields_.values() if f.init)  # type: ignore[attr-defined]
    c.__dataclass_params__ = _params(frozen)  # type: ignore[attr-defined]
    c.__dataclass_fields__ = fields_  # type: ignore[attr-defined]
    return fields_


@dataclass_transform(field_specifiers=(field,))
def record(cls: type | None = None, /, *, frozen: bool = False, **options: Any) -> Any:
    """``@dataclass`` / ``@dataclass(frozen=True)``, with the shared methods, built on first need."""

    def wrap(c: type) -> type:
        own_eq = "__eq__" in c.__dict__
        # a class body with __eq__ and no __hash__ gets __hash__ = None from Python: not a hash of its own
        own_hash = "__hash__" in c.__dict__ and not (own_eq and c.__dict__["__hash__"] is None)
        if "__repr__" not in c.__dict__:
            c.__repr__ = _repr
        if not own_eq:
            c.__eq__ = _eq
        if frozen and not own_hash:
            c.__hash__ = _hash
        elif not own_eq and not own_hash:
            c.__hash__ = None  # what @dataclass(eq=True) gives a mutable class
        if "__init__" in c.__dict__ or options:
            return _via_dataclass(c, frozen, options)

        def build() -> Any:
            made = c.__dict__.get("__dataclass_fields__")
            if not isinstance(made, _Unbuilt):
                return made
            del c.__dataclass_fields__  # type: ignore[attr-defined]
            if c.__dict__.get("__init__") is first_init:
                del c.__init__  # type: ignore[misc]
            try:
                return _build(c, frozen)
            except _Unsupported:
                _via_dataclass(c, frozen, options)
                return c.__dict__["__dataclass_fields__"]

        def first_init(self: Any, *args: Any, **kwargs: Any) -> None:
            build()
            c.__init__(self, *args, **kwargs)  # type: ignore[misc]

        c.__dataclass_fields__ = _Unbuilt(build)  # type: ignore[attr-defined]
        c.__init__ = first_init  # type: ignore[misc]
        return c

    return wrap if cls is None else wrap(cls)


def _via_dataclass(c: type, frozen: bool, options: dict[str, Any]) -> type:
    """What the builder leaves to @dataclass: it generates ``__init__`` (unless the class writes one) and a
    frozen class's ``__setattr__`` / ``__delattr__``; the shared ``__repr__``, ``__eq__`` and ``__hash__``
    set on the class stay (@dataclass keeps a method the class already has)."""
    return dataclass(c, frozen=frozen, repr=False, eq=True, **options)
