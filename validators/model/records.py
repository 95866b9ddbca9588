"""``@record``: the project's dataclasses, built by a smaller builder than ``@dataclass``.

``@dataclass`` writes and compiles ``__init__``, ``__repr__``, ``__eq__`` (and a frozen class's
``__setattr__``, ``__delattr__`` and ``__hash__``) for every class, one ``exec`` each, after resolving each
field's annotation against typing's ClassVar and InitVar: about 0.6 ms a class, ~20 ms of a small `podcap
check`; and importing ``dataclasses`` imports ``inspect`` (with ast, dis and tokenize): another ~8 ms that
every run paid before reading its input. ``@record`` gives the same class for what this project uses
(``@record`` and ``@record(frozen=True)``; :func:`field` with default, default_factory, init, repr and
compare; ``__post_init__``; record bases) without importing ``dataclasses``:

* it compiles only ``__init__``, and only the first time the class is needed (its first instance, or
  :func:`fields` of it). A check instantiates a third to two thirds of the ~70 classes it imports;
* ``__repr__`` (``Name(field=value, ...)``, fields with ``repr=False`` left out, recursion shown as
  ``...``), ``__eq__`` (same class and equal ``compare`` fields, else NotImplemented), a frozen class's
  ``__hash__`` (of its compare fields; a mutable class is unhashable, as dataclasses leaves it) and its
  ``__setattr__`` / ``__delattr__`` (FrozenInstanceError on a field) are shared by every record. A class
  that writes its own ``__repr__``, ``__eq__``, ``__hash__`` or ``__init__`` keeps it;
* :func:`fields`, :func:`replace` and :func:`asdict` here are ``dataclasses``' functions for records
  (the same results), and the standard library's own still work: a record's ``__dataclass_fields__``
  gives real ``dataclasses.Field`` objects, made (and ``dataclasses`` imported) on first read.

What this builder does not take (a ClassVar, InitVar or KW_ONLY annotation, a keyword-only field, any
``@dataclass`` option besides ``frozen``) goes to ``@dataclass`` itself. tests/test_records.py holds each
behaviour equal to a twin class built by ``@dataclass``.
"""
from __future__ import annotations

import reprlib
import sys
from operator import attrgetter

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any, dataclass_transform
else:
    def dataclass_transform(**_options):  # what type checkers read; nothing to do at run time
        return lambda decorator: decorator


class _Missing:
    """No default given (``dataclasses.MISSING`` for records)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class _FactoryMark:
    """A parameter whose default is a factory, as @dataclass marks it (so a signature shows the same)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY_MARK = _FactoryMark()


class Field:
    """One field of a record: what ``dataclasses.field`` records, for this builder."""

    __slots__ = (
        "compare",
        "default",
        "default_factory",
        "hash",
        "init",
        "kw_only",
        "metadata",
        "name",
        "repr",
        "type",
    )

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool, hash: bool | None,
                 compare: bool, metadata: Any, kw_only: Any) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name: str = ""
        self.type: Any = None
        self.default, self.default_factory, self.init, self.repr = default, default_factory, init, repr
        self.hash, self.compare, self.metadata, self.kw_only = hash, compare, metadata, kw_only

    def __repr__(self) -> str:
        return (f"Field(name={self.name!r},type={self.type!r},default={self.default!r},"
                f"default_factory={self.default_factory!r},init={self.init!r},repr={self.repr!r},"
                f"hash={self.hash!r},compare={self.compare!r},metadata={self.metadata!r},kw_only={self.kw_only!r})")


def field(*, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True, repr: bool = True,
          hash: bool | None = None, compare: bool = True, metadata: Any = None, kw_only: Any = MISSING) -> Any:
    """``dataclasses.field`` for a record."""
    return Field(default, default_factory, init, repr, hash, compare, metadata, kw_only)


_SPECS, _BUILD, _FROZEN = "__podcap_fields__", "__podcap_build__", "__podcap_frozen__"
_REPR, _COMPARE = "__podcap_repr_fields__", "__podcap_compare_fields__"


def _declares_fields(k: type) -> bool:
    """Whether class ``k`` itself declares fields: a record, built or not, or a class @dataclass built."""
    d = k.__dict__
    return _SPECS in d or _BUILD in d or "__dataclass_fields__" in d


def fields(class_or_instance: Any) -> tuple[Field, ...]:
    """``dataclasses.fields``: a record's fields in order (its bases' first), building it if need be; a
    class ``@dataclass`` built gives its own fields, as records' Field objects."""
    cls = class_or_instance if isinstance(class_or_instance, type) else type(class_or_instance)
    for k in cls.__mro__:  # the nearest class that declares fields (a plain subclass has its base's)
        d = k.__dict__
        if _SPECS in d:
            return d[_SPECS]
        if _BUILD in d:
            return d[_BUILD]()
        if "__dataclass_fields__" in d:
            return _from_dataclass(k)
    raise TypeError("must be called with a dataclass type or instance")


def _from_dataclass(k: type) -> tuple[Field, ...]:
    import dataclasses

    return tuple(_from_dataclass_field(dataclasses, f) for f in dataclasses.fields(k))


def _to_dataclass_field(dc: Any, spec: Field) -> Any:
    """``dataclasses.field(...)`` with what ``spec`` says (MISSING read as the standard library's)."""
    def std(value: Any) -> Any:
        return dc.MISSING if value is MISSING else value

    return dc.field(default=std(spec.default), default_factory=std(spec.default_factory), init=spec.init,
                    repr=spec.repr, hash=spec.hash, compare=spec.compare, metadata=spec.metadata,
                    kw_only=std(spec.kw_only))


def _from_dataclass_field(dc: Any, f: Any) -> Field:
    spec = Field(MISSING if f.default is dc.MISSING else f.default,
                 MISSING if f.default_factory is dc.MISSING else f.default_factory,
                 f.init, f.repr, f.hash, f.compare, f.metadata, MISSING if f.kw_only is dc.MISSING else f.kw_only)
    spec.name, spec.type = f.name, f.type
    return spec


def is_record(obj: Any) -> bool:
    """``dataclasses.is_dataclass`` for an instance or class of a record (or of a @dataclass class)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return any(_declares_fields(k) for k in cls.__mro__)


def replace(obj: Any, /, **changes: Any) -> Any:
    """``dataclasses.replace``: a new instance through ``__init__``, the fields not changed copied (a field
    with ``init=False`` is set by ``__init__`` again, and cannot be changed here)."""
    for f in fields(obj):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name} is declared with init=False, it cannot be specified with "
                                 "replace()")
            continue
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def asdict(obj: Any) -> dict[str, Any]:
    """``dataclasses.asdict``: a record as a dict, records, lists, tuples and dicts within it converted in
    turn; other values deep-copied (an int, str, float, bool or None is its own copy)."""
    if isinstance(obj, type) or not is_record(obj):
        raise TypeError("asdict() should be called on dataclass instances")
    return _asdict(obj)


_ATOMS = (str, int, float, bool, type(None))


def _asdict(obj: Any) -> Any:
    cls = obj.__class__
    if cls in _ATOMS:
        return obj
    if not isinstance(obj, type) and is_record(obj):
        return {f.name: _asdict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple, as dataclasses rebuilds it
        return cls(*[_asdict(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return cls(_asdict(v) for v in obj)
    if isinstance(obj, dict):
        return cls((_asdict(k), _asdict(v)) for k, v in obj.items())
    import copy

    return copy.deepcopy(obj)


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


def _frozen_error(message: str) -> Exception:
    from dataclasses import FrozenInstanceError  # only when a frozen field is written

    return FrozenInstanceError(message)


class _DataclassFields:
    """A record's ``__dataclass_fields__``, for the standard library's dataclasses functions: real
    ``dataclasses.Field`` objects made on first read (importing dataclasses then), which replace this in
    the class, with the ``__dataclass_params__`` @dataclass would set."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        import dataclasses

        c = self.cls
        out = {}
        for s in fields(c):
            f = _to_dataclass_field(dataclasses, s)  # kw_only: False, as _collect sets every field's
            f.name, f.type = s.name, s.type
            f._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            out[s.name] = f
        make = dataclasses._DataclassParams  # type: ignore[attr-defined]  # its arguments differ by version
        code = make.__init__.__code__
        given = {"init": True, "repr": True, "eq": True, "order": False, "unsafe_hash": False,
                 "frozen": c.__dict__.get(_FROZEN, False), "match_args": True, "kw_only": False,
                 "slots": False, "weakref_slot": False}
        c.__dataclass_params__ = make(**{n: given[n] for n in code.co_varnames[1:code.co_argcount]})
        c.__dataclass_fields__ = out
        return out


# annotations (strings under `from __future__ import annotations`) that change what a field is: left to
# @dataclass, which resolves them against typing and dataclasses
_SPECIAL = ("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar", "KW_ONLY", "dataclasses.KW_ONLY")


def _own_annotations(c: type) -> dict[str, Any]:
    """The class's own annotations, as @dataclass reads them (not inspect.get_annotations: importing
    inspect is what this module saves); Python 3.14 evaluates them through ``__annotate__``."""
    own = c.__dict__.get("__annotations__")  # noqa: RUF063 - see above
    if own is None:
        own = c.__annotations__ if "__annotate__" in c.__dict__ else {}
    return own


def _unsupported(c: type) -> bool:
    """Whether the class needs @dataclass itself (see the module's docstring)."""
    for name, kind in _own_annotations(c).items():
        default = c.__dict__.get(name, MISSING)
        if (not isinstance(kind, str) or kind.split("[", 1)[0].strip() in _SPECIAL
                or getattr(default, "kw_only", None) is True):
            return True
    return False


def _collect(c: type) -> tuple[Field, ...]:
    """The class's fields as @dataclass collects them: its bases' first (base records built on the way),
    then its own annotations in order, each default or :func:`field` taken from the class body."""
    out: dict[str, Field] = {}
    for base in c.__mro__[-1:0:-1]:
        if _declares_fields(base):
            for f in fields(base):
                out[f.name] = f
    dc = sys.modules.get("dataclasses")  # a dataclasses.field() in the class body is taken as ours
    for name, kind in _own_annotations(c).items():
        default = c.__dict__.get(name, MISSING)
        if dc is not None and isinstance(default, dc.Field):
            default = _from_dataclass_field(dc, default)
        if isinstance(default, Field):
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
        f.name, f.type, f.kw_only = name, kind, False
        out[name] = f
    return tuple(out.values())


def _init(c: type, specs: tuple[Field, ...], frozen: bool) -> Any:
    """The ``__init__`` @dataclass generates: positional-or-keyword parameters in field order, defaults,
    default factories (called per instance), ``init=False`` fields set from their default, and a call of
    ``__post_init__`` when the class has one; a frozen class sets through ``object.__setattr__``."""
    env: dict[str, Any] = {"__podcap_set": object.__setattr__, "__podcap_factory_mark": _FACTORY_MARK}
    params, body, seen_default = ["self"], [], False
    # a frozen instance's fields go straight into its __dict__ (what object.__setattr__ does for a plain
    # attribute, without a call per field: ~1 us of a 17-field record), unless a class on the way defines a
    # descriptor of a field's name or instances have no __dict__ (__slots__): then object.__setattr__
    direct = frozen and _plain_attributes(c, specs)
    for i, f in enumerate(specs):
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
        body.append((f"__podcap_dict[{f.name!r}] = {value}" if direct else f"__podcap_set(self, {f.name!r}, {value})")
                    if frozen else f"self.{f.name} = {value}")
    if direct and body:
        body.insert(0, "__podcap_dict = self.__dict__")
    if hasattr(c, "__post_init__"):
        body.append("self.__post_init__()")
    src = f"def __init__({', '.join(params)}):\n    " + "\n    ".join(body or ["pass"]) + "\n"
    exec(_compiled(src), env)  # noqa: S102 - our own generated text, as dataclasses does
    init = env["__init__"]
    init.__qualname__ = f"{c.__qualname__}.__init__"
    init.__module__ = c.__module__
    init.__annotations__ = {**{f.name: f.type for f in specs if f.init}, "return": None}
    return init


def _plain_attributes(c: type, specs: tuple[Field, ...]) -> bool:
    """Whether setting each field of ``specs`` on an instance of ``c`` is a store into its ``__dict__``."""
    if not c.__dictoffset__:
        return False
    for f in specs:
        for k in c.__mro__:
            if f.name in k.__dict__:
                found = type(k.__dict__[f.name])
                if hasattr(found, "__set__") or hasattr(found, "__delete__"):
                    return False
                break
    return True


# Compiling an __init__ costs ~0.04-0.2 ms (a check compiles ~15-30); loading it back from marshal ~5 us. So
# the code compiled from each generated text is kept, as Python keeps a module's bytecode: in
# __pycache__/records-init.<cache tag>.bin beside this module (under PYTHONPYCACHEPREFIX when that is set),
# read at the first build, written at exit when this run compiled a text it did not hold, never when
# Python writes no bytecode (PYTHONDONTWRITEBYTECODE, -B). A text is its own key, so an entry cannot be
# stale; the file starts with the interpreter's bytecode magic number, and one that cannot be read (another
# Python's, truncated, unwritable) is only ignored. tests/test_records.py runs it both ways.
_CODE_CACHE: dict[str, Any] | None = None
_CACHE_USED: set[str] = set()
_CACHE_MISSES: list[str] = []
_CACHE_LIMIT = 2000  # texts kept; past it, only those of the last run that compiled one


def _cache_path() -> str | None:
    import os

    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    prefix = sys.pycache_prefix
    folder = os.path.join(prefix, here.lstrip(os.sep)) if prefix else os.path.join(here, "__pycache__")
    return os.path.join(folder, f"records-init.{tag}.bin")


def _magic() -> bytes:
    import _frozen_importlib_external  # loaded at start-up: the import system's own module

    return _frozen_importlib_external.MAGIC_NUMBER


def _read_cache() -> dict[str, Any]:
    import marshal

    path = _cache_path()
    try:
        with open(path, "rb") as fh:  # type: ignore[arg-type]
            data = fh.read()
        magic = _magic()
        if not data.startswith(magic):
            return {}
        cache = marshal.loads(data[len(magic):])
    except (OSError, TypeError, ValueError, EOFError):
        return {}
    code_type = type(_read_cache.__code__)
    if not isinstance(cache, dict) or not all(isinstance(k, str) and type(v) is code_type for k, v in cache.items()):
        return {}
    return cache


def _compiled(src: str) -> Any:
    """The code of ``src`` (a generated ``def __init__``), from the cache or compiled (and then kept)."""
    global _CODE_CACHE
    if _CODE_CACHE is None:
        _CODE_CACHE = _read_cache()
    code = _CODE_CACHE.get(src)
    _CACHE_USED.add(src)
    if code is None:
        code = _CODE_CACHE[src] = compile(src, "<podcap record __init__>", "exec")
        if not _CACHE_MISSES and not sys.dont_write_bytecode:
            import atexit

            atexit.register(_write_cache)
        _CACHE_MISSES.append(src)
    return code


def _write_cache() -> None:
    """Keep this run's new code with what the file holds now (another run may have added some)."""
    import marshal
    import os

    path = _cache_path()
    if path is None or _CODE_CACHE is None:
        return
    merged = {**_read_cache(), **{k: _CODE_CACHE[k] for k in _CACHE_USED}}
    if len(merged) > _CACHE_LIMIT:
        merged = {k: _CODE_CACHE[k] for k in _CACHE_USED}
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(_magic() + marshal.dumps(merged))
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _frozen_methods(c: type, names: frozenset[str]) -> tuple[Any, Any]:
    """@dataclass(frozen=True)'s ``__setattr__`` and ``__delattr__``: a field (or any attribute of the class
    itself) cannot be set or deleted after ``__init__``."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is c or name in names:
            raise _frozen_error(f"cannot assign to field {name!r}")
        super(c, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is c or name in names:
            raise _frozen_error(f"cannot delete field {name!r}")
        super(c, self).__delattr__(name)

    return __setattr__, __delattr__


def _build(c: type, frozen: bool, own_init: bool) -> tuple[Field, ...]:
    for base in c.__mro__[1:]:
        base_frozen = base.__dict__.get(_FROZEN)
        if base_frozen is None and "__dataclass_params__" in base.__dict__:
            base_frozen = base.__dict__["__dataclass_params__"].frozen
        if base_frozen is not None and base_frozen != frozen:
            raise TypeError("cannot inherit frozen dataclass from a non-frozen one" if frozen
                            else "cannot inherit non-frozen dataclass from a frozen one")
    specs = _collect(c)
    if not own_init:
        c.__init__ = _init(c, specs, frozen)  # type: ignore[misc]
    if frozen:
        c.__setattr__, c.__delattr__ = _frozen_methods(c, frozenset(f.name for f in specs))  # type: ignore[method-assign]
    if "__match_args__" not in c.__dict__:
        c.__match_args__ = tuple(f.name for f in specs if f.init)  # type: ignore[attr-defined]
    setattr(c, _SPECS, specs)
    return specs


@dataclass_transform(field_specifiers=(field,))
def record(cls: type | None = None, /, *, frozen: bool = False, **options: Any) -> Any:
    """``@dataclass`` / ``@dataclass(frozen=True)``, with the shared methods, built on first need."""

    def wrap(c: type) -> type:
        own_eq = "__eq__" in c.__dict__
        # a class body with __eq__ and no __hash__ gets __hash__ = None from Python: not a hash of its own
        own_hash = "__hash__" in c.__dict__ and not (own_eq and c.__dict__["__hash__"] is None)
        own_init = "__init__" in c.__dict__
        if "__repr__" not in c.__dict__:
            c.__repr__ = _repr
        if not own_eq:
            c.__eq__ = _eq
        if frozen and not own_hash:
            c.__hash__ = _hash
        elif not own_eq and not own_hash:
            c.__hash__ = None  # what @dataclass(eq=True) gives a mutable class
        if options or _unsupported(c):
            return _via_dataclass(c, frozen, options)
        setattr(c, _FROZEN, frozen)
        c.__dataclass_fields__ = _DataclassFields(c)  # type: ignore[attr-defined]

        def build() -> tuple[Field, ...]:
            specs = c.__dict__.get(_SPECS)
            if specs is not None:
                return specs
            delattr(c, _BUILD)
            if c.__dict__.get("__init__") is first_init:
                del c.__init__  # type: ignore[misc]
            return _build(c, frozen, own_init)

        if own_init:  # nothing to wait for: its own __init__ needs no building
            _build(c, frozen, own_init)
            return c

        def first_init(self: Any, *args: Any, **kwargs: Any) -> None:
            build()
            c.__init__(self, *args, **kwargs)  # type: ignore[misc]

        setattr(c, _BUILD, build)
        c.__init__ = first_init  # type: ignore[misc]
        return c

    return wrap if cls is None else wrap(cls)


def _via_dataclass(c: type, frozen: bool, options: dict[str, Any]) -> type:
    """What the builder leaves to @dataclass: each :func:`field` of the class body becomes the standard
    library's; the shared ``__repr__``, ``__eq__`` and ``__hash__`` set on the class stay (@dataclass keeps
    a method the class already has)."""
    import dataclasses

    for name in _own_annotations(c):
        spec = c.__dict__.get(name)
        if isinstance(spec, Field):
            setattr(c, name, _to_dataclass_field(dataclasses, spec))
    return dataclasses.dataclass(c, frozen=frozen, repr=False, eq=True, **options)

