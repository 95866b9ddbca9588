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

import json
from collections.abc import Callable
from typing import Any, NamedTuple

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# A document may reference anchored content at most this many nodes' worth in total ...
MAX_ALIAS_EXPANSION = 100_000
# ... aliases may point at content holding aliases at most this deep ...
MAX_ALIAS_NESTING = 16
# ... and no document nests deeper than this (the composer recurses once per level).
MAX_DEPTH = 200

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class InputError(ValueError):
    """An input that cannot be read: one line, ``FILE:LINE:COL: problem``. The CLI prints it and exits 2."""


def _where(filename: str, mark: Any) -> str:
    if mark is None:
        return f"{filename}"
    return f"{filename}:{mark.line + 1}:{mark.column + 1}"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader with bounded aliases and nesting, unique string keys, string timestamps."""

    filename = "<input>"

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._frames: list[list[int]] = []  # per open node: [expanded size of children, alias nesting]
        self._expanded = 0

    # -- composition: count what aliases would expand to, before anything is built ----------------
    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = getattr(target, "_podcap_size", None)
                if size is None:
                    raise InputError(
                        f"{_where(self.filename, event.start_mark)}: alias *{event.anchor} refers to "
                        "a node that contains it (recursive aliases are not supported)"
                    )
                nesting = getattr(target, "_podcap_nesting", 0) + 1
                self._expanded += size
                if self._expanded > MAX_ALIAS_EXPANSION:
                    raise InputError(
                        f"{_where(self.filename, event.start_mark)}: aliases expand to more than "
                        f"{MAX_ALIAS_EXPANSION} nodes (an alias bomb?); refusing to read further"
                    )
                if nesting > MAX_ALIAS_NESTING:
                    raise InputError(
                        f"{_where(self.filename, event.start_mark)}: aliases nested more than "
                        f"{MAX_ALIAS_NESTING} deep (an alias bomb?); refusing to read further"
                    )
                if self._frames:
                    frame = self._frames[-1]
                    frame[0] += size
                    frame[1] = max(frame[1], nesting)
            return super().compose_node(parent, index)
        if len(self._frames) >= MAX_DEPTH:
            raise InputError(
                f"{_where(self.filename, self.peek_event().start_mark)}: nested more than "
                f"{MAX_DEPTH} levels deep"
            )
        self._frames.append([0, 0])
        try:
            node = super().compose_node(parent, index)
        finally:
            children, nesting = self._frames.pop()
        node._podcap_size = 1 + children  # type: ignore[attr-defined]
        node._podcap_nesting = nesting  # type: ignore[attr-defined]
        if self._frames:
            frame = self._frames[-1]
            frame[0] += node._podcap_size  # type: ignore[attr-defined]
            frame[1] = max(frame[1], nesting)
        return node

    # -- construction: keys must be unique strings -------------------------------------------------
    def construct_mapping(self, node: Node, deep: bool = False) -> dict:  # type: ignore[override]
        if isinstance(node, MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                if not isinstance(key_node, ScalarNode):
                    raise InputError(
                        f"{_where(self.filename, key_node.start_mark)}: a mapping key must be a "
                        f"string, not a {'list' if isinstance(key_node, SequenceNode) else 'mapping'}"
                    )
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    raise InputError(
                        f"{_where(self.filename, key_node.start_mark)}: mapping key {key_node.value!r} reads as "
                        f'{type(key).__name__} {key!r}, not a string; quote it ("{key_node.value}")'
                    )
                if key in seen:
                    raise InputError(
                        f"{_where(self.filename, key_node.start_mark)}: duplicate key {key!r} "
                        f"(first on line {seen[key].line + 1})"
                    )
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp_as_str(self, node: ScalarNode) -> str:
        return str(self.construct_scalar(node))


SafeLoader.add_constructor(_TIMESTAMP_TAG, SafeLoader.construct_yaml_timestamp_as_str)


Constructor = Callable[[Any, Node], Any]


def make_loader(extra_tags: dict[str, Constructor], name: str = "ExtendedSafeLoader") -> type[SafeLoader]:
    """A SafeLoader subclass that also understands ``extra_tags`` (tag -> ``fn(loader, node)``).

    A tag ending in ``*`` is registered as a prefix (multi-constructor, ``fn(loader, suffix, node)``).
    The base loader is untouched, so plain loads keep rejecting those tags.
    """
    cls: type[SafeLoader] = type(name, (SafeLoader,), {})
    for tag, fn in extra_tags.items():
        if tag.endswith("*"):
            cls.add_multi_constructor(tag[:-1], fn)
        else:
            cls.add_constructor(tag, fn)
    return cls


def decode_text(text: str | bytes, filename: str) -> str:
    """UTF-8 text (a BOM dropped); InputError ``FILE: not UTF-8 text (byte N)`` otherwise."""
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise InputError(f"{filename}: not UTF-8 text (byte {e.start})") from None
    return text


def _yaml_error(e: yaml.YAMLError, filename: str) -> InputError:
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
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
    cls = _named(loader or SafeLoader, filename)
    ldr = cls(text)
    try:
        return read(ldr)
    except InputError:
        raise
    except yaml.YAMLError as e:
        raise _yaml_error(e, filename) from None
    except RecursionError:
        raise InputError(f"{filename}: nested too deeply to read") from None
    except wrap as e:
        raise InputError(f"{filename}: {_one_line(str(e))}") from None
    finally:
        ldr.dispose()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_json(text: str | bytes, filename: str = "<input>") -> Any:
    """Parse JSON; truncated or invalid input raises InputError ``FILE:LINE:COL: problem``."""
    text = decode_text(text, filename)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        # an unterminated string runs to the end of the text: the usual sign of a cut-off file
        truncated = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        what = "truncated JSON" if truncated else "invalid JSON"
        raise InputError(f"{filename}:{e.lineno}:{e.colno}: {what}: {e.msg}") from None
    except RecursionError:
        raise InputError(f"{filename}: JSON nested too deeply to read") from None
    except ValueError as e:
        raise InputError(f"{filename}: {_one_line(str(e))}") from None


def read_file(path: str, what: str = "") -> bytes:
    """The bytes of a file; InputError ``FILE: cannot read[ WHAT]: why`` when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read{' ' + what if what else ''}: {e.strerror or e}") from None


class Document(NamedTuple):
    """A parsed input file: the document, the line of each path in it (see line_map) and its text."""

    doc: Any
    lines: dict[str, int]
    text: str
    is_json: bool


def load_document(path: str, loader: type[SafeLoader] | None = None) -> Document:
    """Read a JSON or YAML file (JSON when the name ends in .json or the text starts with '{').

    ``lines`` is empty when the text does not compose as YAML (JSON nearly always does).
    """
    text = decode_text(read_file(path), path)
    is_json = path.lower().endswith(".json") or text.lstrip().startswith("{")
    doc = load_json(text, path) if is_json else load_yaml(text, path, loader=loader)
    try:  # node marks give the lines
        lines = line_map(compose_yaml(text, path))
    except InputError:
        lines = {}
    return Document(doc, lines, text, is_json)


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
