"""The hardened YAML / JSON reader every source uses.

``yaml.safe_load`` already refuses to build arbitrary objects, but it still

* expands aliases without limit: a "billion laughs" document of a few hundred bytes becomes a structure
  that anything walking it (schema validation, ``json.dumps``, our own code) never finishes,
* recurses once per nesting level, so ``[[[[…]]]]`` ends in a RecursionError,
* accepts non-string mapping keys (``1:``, ``on:`` = True, ``~:`` = None) and silently keeps the last of
  two identical keys,
* raises multi-line errors.

:func:`load_yaml` / :func:`load_json` fix all of that and raise :class:`InputError` with one line of the
form ``FILE:LINE:COLUMN: problem``. YAML timestamps stay strings (``2027-06-30``, as in JSON and as
CloudFormation reads them). :func:`make_loader` builds a loader subclass with extra tag constructors
(``!Ref`` …) without touching plain loads. :func:`load_document` reads a JSON or YAML file, with the line
of each path in it.
"""

from __future__ import annotations

import functools
import json
import re
from collections import namedtuple
from collections.abc import Callable

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

    from podcap.sources._yaml_loader import SafeLoader
    from yaml.nodes import Node

from podcap.sources import reading

# A document may reference anchored content at most this many nodes' worth in total ...
MAX_ALIAS_EXPANSION = 100_000
# ... aliases may point at content holding aliases at most this deep ...
MAX_ALIAS_NESTING = 16
# ... and no document nests deeper than this (the composer recurses once per level).
MAX_DEPTH = 200
# ... and an integer is at most this long (Python's int() stops at 4300 digits)
MAX_INT_TEXT = 1000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class InputError(ValueError):
    """An input that cannot be read: one line, ``FILE:LINE:COL: problem``. The CLI prints it and exits 2."""


def _loader() -> type[SafeLoader]:
    """The SafeLoader class, whose module imports PyYAML: loaded on the first YAML document, so JSON input
    (templates, plans) never pays PyYAML's import."""
    from podcap.sources._yaml_loader import SafeLoader

    return SafeLoader


def __getattr__(name: str) -> Any:
    """``from podcap.sources.safe_yaml import SafeLoader`` keeps working (PEP 562), loading it then."""
    if name == "SafeLoader":
        return _loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _where(filename: str, mark: Any) -> str:
    if mark is None:
        return f"{filename}"
    return f"{filename}:{mark.line + 1}:{mark.column + 1}"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


Constructor = Callable[["Any", "Node"], "Any"]  # strings: typing is not imported at run time


def make_loader(extra_tags: dict[str, Constructor], name: str = "ExtendedSafeLoader") -> type[SafeLoader]:
    """A SafeLoader subclass that also understands ``extra_tags`` (tag -> ``fn(loader, node)``).

    A tag ending in ``*`` is registered as a prefix (multi-constructor, ``fn(loader, suffix, node)``).
    The base loader is untouched, so plain loads keep rejecting those tags.
    """
    cls: type[SafeLoader] = type(name, (_loader(),), {})
    for tag, fn in extra_tags.items():
        if tag.endswith("*"):
            cls.add_multi_constructor(tag[:-1], fn)
        else:
            cls.add_constructor(tag, fn)
    return cls


def decode_text(text: str | bytes, filename: str) -> str:
    """UTF-8 text (BOM optional), or UTF-16 / UTF-32 with a BOM; InputError ``FILE: not UTF-8 text (byte N)``
    otherwise (see :mod:`podcap.sources.reading`)."""
    return reading.decode(text, filename)


@functools.cache
def _non_printable() -> re.Pattern[str]:
    """Compiled on first use (only a rejected input needs it): this class takes ~7 ms to compile."""
    return re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _reader_error(text: str, filename: str) -> InputError:
    """YAML 1.1/1.2 allow only printable characters (the spec's c-printable): say which and where."""
    m = _non_printable().search(text)
    if m is None:
        return InputError(f"{filename}: a character YAML does not allow")
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    return InputError(f"{filename}:{line}:{col}: control character U+{ord(m.group()):04X} is not allowed in YAML "
                      "(write it as an escape in a double-quoted string, or remove it)")


def _yaml_error(e: Exception, filename: str, text: str = "") -> InputError:
    import yaml

    if isinstance(e, yaml.reader.ReaderError):
        return _reader_error(text, filename)
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        if "maximum nesting depth" in str(e.problem):  # libyaml's own limit (1000) met before ours
            return InputError(f"{_where(filename, mark)}: nested more than {MAX_DEPTH} levels deep")
        parts = [p for p in (e.context, e.problem) if p]
        return InputError(f"{_where(filename, mark)}: {_one_line('; '.join(parts) or 'invalid YAML')}")
    return InputError(f"{filename}: {_one_line(str(e)) or 'invalid YAML'}")


def compose_yaml(
    text: str | bytes, filename: str = "<input>", loader: type[SafeLoader] | None = None
) -> Node | None:
    """The node tree of a single-document YAML text (for line numbers), with the same limits as load_yaml."""
    return _run_loader(text, filename, loader, lambda ldr: ldr.get_single_node())


def load_yaml(
    text: str | bytes, filename: str = "<input>", loader: type[SafeLoader] | None = None
) -> Any:
    """Parse one YAML document safely (see the module doc). Raises InputError, never yaml errors."""
    # TypeError / ValueError: e.g. a constructor meeting an impossible value
    return _run_loader(text, filename, loader, lambda ldr: ldr.get_single_data(),
                       wrap=(TypeError, ValueError))


def _named(cls: type[SafeLoader], filename: str) -> type[SafeLoader]:
    return type(cls.__name__, (cls,), {"filename": filename})


def _run_loader(
    text: str | bytes,
    filename: str,
    loader: type[SafeLoader] | None,
    read: Callable[[SafeLoader], Any],
    wrap: tuple[type[Exception], ...] = (),
) -> Any:
    """``read(loader)`` on the decoded text; yaml errors (and ``wrap`` ones) become a one-line InputError."""
    text = decode_text(text, filename)
    filename = reading.shown(filename)
    import yaml

    cls = _named(loader or _loader(), filename)
    ldr = None
    try:
        # inside the try: PyYAML's reader checks for non-printable characters in its constructor
        ldr = cls(text)
        return read(ldr)
    except InputError:
        raise
    except yaml.YAMLError as e:
        raise _yaml_error(e, filename, text) from None
    except RecursionError:
        raise InputError(f"{filename}: nested too deeply to read") from None
    except wrap as e:
        raise InputError(f"{filename}: {_one_line(str(e))}") from None
    finally:
        if ldr is not None:
            ldr.dispose()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(key)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
    """json ``object_pairs_hook``: a dict, or _DuplicateKey for a key given twice (as YAML refuses it)."""
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


def _duplicate_line(text: str, key: str) -> str:
    """``:LINE:COL`` of the second ``"key":`` in the text (best effort), or ''."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    hits = pattern.finditer(text)
    next(hits, None)
    second = next(hits, None)
    if second is None:
        return ""
    line = text.count("\n", 0, second.start()) + 1
    col = second.start() - (text.rfind("\n", 0, second.start()) + 1) + 1
    return f":{line}:{col}"


def json_problem(e: ValueError) -> str:
    """What a ``json.loads`` failure says, in one line of podcap's words: the decoder's message, or for
    Python's 4300-digit limit on integers the fact (never Python's advice to raise the limit)."""
    if isinstance(e, json.JSONDecodeError):
        return e.msg
    if "integer string conversion" in str(e):
        return "a number of more than 4300 digits; no real value is that large"
    return _one_line(str(e))


def load_json(text: str | bytes, filename: str = "<input>") -> Any:
    """Parse JSON; truncated or invalid input raises InputError ``FILE:LINE:COL: problem``.

    A key given twice in one object is refused like a YAML duplicate: JSON readers disagree on which
    value wins (Python and CloudFormation keep the last), so the file does not say one thing.
    """
    text = decode_text(text, filename)
    filename = reading.shown(filename)
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as e:
        where = _duplicate_line(text, e.key)
        raise InputError(f"{filename}{where}: duplicate key {reading.shown(e.key, 80)!r} in a JSON object "
                         "(which value counts depends on the reader)") from None
    except json.JSONDecodeError as e:
        # an unterminated string runs to the end of the text: the usual sign of a cut-off file
        truncated = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        what = "truncated JSON" if truncated else "invalid JSON"
        raise InputError(f"{filename}:{e.lineno}:{e.colno}: {what}: {e.msg}") from None
    except RecursionError:
        raise InputError(f"{filename}: JSON nested too deeply to read") from None
    except ValueError as e:  # Python's 4300-digit limit on integers, in our words
        raise InputError(f"{filename}: {json_problem(e)}") from None


def read_file(path: str, what: str = "") -> bytes:
    """The bytes of a regular file within the input size limit (:func:`podcap.sources.reading.read_bytes`);
    InputError ``FILE: cannot read[ WHAT]: why`` when it cannot be read."""
    return reading.read_bytes(path, what)


# A parsed input file: ``doc`` (the document), ``lines`` (the line of each path in it, see line_map: a
# dict[str, int]), ``text`` (the file's text) and ``is_json``. A named tuple, built by collections (not
# typing.NamedTuple: typing is not imported at run time).
Document = namedtuple("Document", ["doc", "lines", "text", "is_json"])


def load_document(path: str, loader: type[SafeLoader] | None = None) -> Document:
    """Read a JSON or YAML file (JSON when the name ends in .json or the text starts with '{').

    ``lines`` is empty when the text does not compose as YAML (JSON nearly always does).
    """
    text = decode_text(read_file(path), path)
    is_json = path.lower().endswith(".json") or text.lstrip().startswith("{")
    if not is_json:  # one composition gives both the document and (from node marks) the lines
        doc, node = load_yaml_with_node(text, path, loader=loader)
        return Document(doc, line_map(node), text, is_json)
    doc = load_json(text, path)
    try:  # node marks give the lines
        lines = line_map(compose_yaml(text, path))
    except InputError:
        lines = {}
    return Document(doc, lines, text, is_json)


def load_yaml_with_node(
    text: str | bytes, filename: str = "<input>", loader: type[SafeLoader] | None = None
) -> tuple[Any, Node | None]:
    """:func:`load_yaml` and the node tree it was built from (for line numbers), from one composition."""

    def read(ldr: SafeLoader) -> tuple[Any, Node | None]:
        node = ldr.get_single_node()
        return (ldr.construct_document(node) if node is not None else None), node

    return _run_loader(text, filename, loader, read, wrap=(TypeError, ValueError))


def _fmt_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def line_map(node: Node | None, limit: int = 200_000) -> dict[str, int]:
    """Map document paths (``subnets[0]``, ``nodegroups[1].max``, ``Resources.Foo``) to 1-based lines.

    A sequence item maps to the line where it starts, a mapping entry to the line of its key. Shared
    (aliased) nodes are walked once.
    """
    out: dict[str, int] = {}
    if node is None:
        return out
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    out[""] = node.start_mark.line + 1
    seen: set[int] = set()
    stack: list[tuple[Node, str]] = [(node, "")]
    while stack and len(out) < limit:
        n, path = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, SequenceNode):
            for i, child in enumerate(n.value):
                p = _fmt_path(path, i)
                out.setdefault(p, child.start_mark.line + 1)
                stack.append((child, p))
        elif isinstance(n, MappingNode):
            for k, v in n.value:
                if not isinstance(k, ScalarNode):
                    continue
                p = _fmt_path(path, str(k.value))
                out.setdefault(p, k.start_mark.line + 1)
                stack.append((v, p))
    return out


def format_path(parts: Any) -> str:
    """``["nodegroups", 0, "max"]`` -> ``nodegroups[0].max`` (the path style of line_map and errors)."""
    path = ""
    for p in parts:
        path = _fmt_path(path, p)
    return path
