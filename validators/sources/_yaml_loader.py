"""The YAML loader classes behind :mod:`podcap.sources.safe_yaml`: PyYAML's composer over libyaml's parser,
with bounded aliases and nesting, unique string keys and string timestamps.

They live apart from safe_yaml so that reading JSON (CloudFormation and CDK templates, Terraform plans)
never imports PyYAML: safe_yaml loads this module on the first YAML document.
"""

from __future__ import annotations

from podcap.sources.safe_yaml import (
    _MERGE_TAG,
    _TIMESTAMP_TAG,
    MAX_ALIAS_EXPANSION,
    MAX_ALIAS_NESTING,
    MAX_DEPTH,
    MAX_INT_TEXT,
    InputError,
    _where,
)
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

try:  # libyaml's scanner and parser (C) when PyYAML was built with it; composition stays in Python
    from yaml.cyaml import CParser as _Parser

    _FAST = True
except ImportError:  # pragma: no cover - a PyYAML without libyaml
    from yaml.parser import Parser as _Parser  # type: ignore[assignment]
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

    _FAST = False


if _FAST:
    class _Base(Composer, _Parser, SafeConstructor, Resolver):  # type: ignore[misc,valid-type]
        """libyaml's event parser under PyYAML's own composer (so the alias and depth limits below hold)."""

        def __init__(self, stream: Any) -> None:
            _Parser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
else:  # pragma: no cover
    class _Base(_Reader, _Scanner, _Parser, Composer, SafeConstructor, Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: Any) -> None:
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            _Parser.__init__(self)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


class SafeLoader(_Base):
    """A safe loader with bounded aliases and nesting, unique string keys, string timestamps.

    It scans and parses with libyaml (``CParser``) where PyYAML has it, but composes nodes with PyYAML's
    Python composer, whose ``compose_node`` is where the alias-expansion and depth limits are counted;
    the C composer would bypass them. Constructors are SafeConstructor's: no arbitrary objects.
    """

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

    def construct_yaml_int(self, node: ScalarNode) -> int:  # type: ignore[override]
        # Python refuses to convert more than 4300 digits (and would take quadratic time before that)
        value = str(node.value)
        if len(value) > MAX_INT_TEXT:
            raise InputError(f"{_where(self.filename, node.start_mark)}: an integer of {len(value)} characters; "
                             "no real setting is that large")
        return super().construct_yaml_int(node)


SafeLoader.add_constructor(_TIMESTAMP_TAG, SafeLoader.construct_yaml_timestamp_as_str)
SafeLoader.add_constructor("tag:yaml.org,2002:int", SafeLoader.construct_yaml_int)
