"""Strict reading of small YAML files, with ``file:line:col`` in every message.

The text is composed into PyYAML nodes (with libyaml's ``CSafeLoader`` where
available) and read node by node, so every problem can name its place:
duplicate keys (which ``safe_load`` silently merges), unknown or missing keys,
wrong types. Aliases are refused as the text is parsed, so a "billion laughs"
file is never expanded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import yaml

from lpsigning_mojo.errors import LpsigningMojoError

if TYPE_CHECKING:
    from typing import TypeAlias

    _Mark: TypeAlias = yaml.Mark | yaml._yaml.Mark  # pure-Python and libyaml marks

__all__ = ["Node", "NodeReader"]

Node = yaml.Node

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_NAMES = {
    _STR: "a string",
    _INT: "a number",
    _FLOAT: "a number",
    _BOOL: "true or false",
    _NULL: "null",
    "tag:yaml.org,2002:map": "a mapping",
    "tag:yaml.org,2002:seq": "a list",
}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class NodeReader:
    """Reads nodes of one file; ``error`` is the exception class to raise."""

    def __init__(self, path: str, *, error: type[LpsigningMojoError]) -> None:
        self.path = path
        self._error = error

    def error(self, node: Node, message: str) -> LpsigningMojoError:
        return self.error_at(node.start_mark, message)

    def error_at(self, mark: _Mark | None, message: str) -> LpsigningMojoError:
        if mark is None:
            return self._error(message, path=self.path)
        return self._error(message, path=self.path, line=mark.line + 1, column=mark.column + 1)

    def compose(self, text: str) -> Node:
        """The root node of a single-document file."""
        try:
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    raise self.error_at(event.start_mark, "YAML aliases are not supported here")
            root = yaml.compose(text, Loader=_Loader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            problem = error.problem or error.context or "invalid YAML"
            raise self.error_at(mark, f"not valid YAML: {problem}") from None
        except yaml.YAMLError as error:
            raise self._error(f"not valid YAML: {error}", path=self.path) from None
        if root is None:
            raise self._error("the file is empty", path=self.path)
        return root

    def _kind(self, node: Node) -> str:
        return _NAMES.get(node.tag, f"a value tagged {node.tag}")

    def mapping(
        self,
        node: Node,
        what: str,
        *,
        required: Sequence[str] = (),
        optional: Sequence[str] | None = None,
    ) -> dict[str, tuple[Node, Node]]:
        """The keys of a mapping node, each with its key and value nodes.

        With ``optional`` given, only ``required`` and ``optional`` keys are
        allowed; without it, any string key is.
        """
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping, not {self._kind(node)}")
        items: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag != _STR:
                raise self.error(key, f"{what} has a key that is {self._kind(key)}, not a name")
            name = str(key.value)
            if name in items:
                first = items[name][0].start_mark.line + 1
                raise self.error(key, f"{what} has {name!r} twice (first on line {first})")
            if optional is not None and name not in required and name not in optional:
                allowed = ", ".join(sorted((*required, *optional)))
                raise self.error(key, f"{what} has unknown key {name!r} (allowed: {allowed})")
            items[name] = (key, value)
        missing = [name for name in required if name not in items]
        if missing:
            names = ", ".join(repr(name) for name in missing)
            raise self.error(node, f"{what} is missing {names}")
        return items

    def is_sequence(self, node: Node) -> bool:
        return isinstance(node, yaml.SequenceNode)

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{what} must be a list, not {self._kind(node)}")
        return list(node.value)

    def _scalar(self, node: Node, what: str, tags: Sequence[str], expected: str) -> object:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in tags:
            raise self.error(node, f"{what} must be {expected}, not {self._kind(node)}")
        if node.tag == _STR:
            return str(node.value)
        if node.tag == _NULL:
            return None
        try:
            value: object = _CONSTRUCTOR.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError):
            raise self.error(node, f"{what} must be {expected}") from None
        return value

    def string(self, node: Node, what: str) -> str:
        value = self._scalar(node, what, (_STR,), "a string")
        assert isinstance(value, str)
        if not value.strip():
            raise self.error(node, f"{what} must not be empty")
        return value

    def boolean(self, node: Node, what: str) -> bool:
        value = self._scalar(node, what, (_BOOL,), "true or false")
        assert isinstance(value, bool)
        return value

    def optional_string(
        self, fields: Mapping[str, tuple[Node, Node]], key: str, what: str
    ) -> str | None:
        if key not in fields:
            return None
        node = fields[key][1]
        if node.tag == _NULL:
            return None
        return self.string(node, f"{what}: {key!r}")

    def choice(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        key: str,
        what: str,
        choices: Sequence[str],
        *,
        default: str,
    ) -> str:
        if key not in fields:
            return default
        node = fields[key][1]
        value = self.string(node, f"{what}: {key!r}")
        if value not in choices:
            allowed = " or ".join(repr(choice) for choice in choices)
            raise self.error(node, f"{what}: {key!r} must be {allowed}, not {value!r}")
        return value

    def optional_seconds(
        self, fields: Mapping[str, tuple[Node, Node]], key: str, what: str
    ) -> float | None:
        if key not in fields:
            return None
        node = fields[key][1]
        expected = "a number of seconds, or null"
        value = self._scalar(node, f"{what}: {key!r}", (_INT, _FLOAT, _NULL), expected)
        if value is None:
            return None
        assert isinstance(value, (int, float))
        if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
            raise self.error(node, f"{what}: {key!r} must be a positive number of seconds")
        return float(value)
