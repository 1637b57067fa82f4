"""Read YAML into node trees that keep positions, and build values from them.

PyYAML's ``safe_load`` keeps the last of two duplicate keys without a word,
and expands aliases however large they grow. Here the text is composed into
nodes (with libyaml when the wheel ships it), duplicate keys are an error
naming both lines, and the size that aliases expand to is bounded before
anything walks the tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from lpsigning_mojo.errors import YamlError

__all__ = [
    "MAX_EXPANDED_NODES",
    "compose_documents",
    "construct",
    "duplicate_keys",
    "expansion_problem",
    "mapping_items",
    "position",
]

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

#: How many nodes a document may hold once its aliases are expanded.
MAX_EXPANDED_NODES = 100_000


def position(node: yaml.Node) -> tuple[int, int]:
    """The 1-based (line, column) where ``node`` starts."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def compose_documents(text: str, *, path: str | None = None) -> list[yaml.Node]:
    """Compose every YAML document in ``text``; empty documents are skipped.

    Raises :class:`~lpsigning_mojo.errors.YamlError` (with the position) for
    a syntax error, a duplicate key, or aliases that expand past
    :data:`MAX_EXPANDED_NODES`.
    """
    try:
        documents = [node for node in yaml.compose_all(text, Loader=_Loader) if node is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        raise YamlError(
            f"YAML syntax error: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="fix the YAML at that position",
        ) from None
    except yaml.YAMLError as error:
        raise YamlError(f"not valid YAML: {error}", path=path) from None
    for document in documents:
        expansion = expansion_problem(document) if "&" in text else None
        if expansion is not None:
            node, reason = expansion
            line, column = position(node)
            raise YamlError(
                reason,
                path=path,
                line=line,
                column=column,
                hint="write the values out instead of nesting aliases",
            )
        for key, first in duplicate_keys(document):
            line, column = position(key)
            raise YamlError(
                f"duplicate key {key.value!r} (first at line {position(first)[0]}); "
                "YAML loaders silently keep only the last one",
                related_line=position(first)[0],
                path=path,
                line=line,
                column=column,
                hint="remove one of them",
            )
    return documents


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def expansion_problem(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """(node, reason) when aliases make ``root`` recursive or expand it past the limit.

    Sizes are computed bottom-up once per distinct node, so a "billion
    laughs" costs as little as its text. A large document without aliases is
    not a bomb, however many nodes it holds: only the nodes that aliases add
    count, at most :data:`MAX_EXPANDED_NODES` of them.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    finished: list[tuple[yaml.Node, int]] = []
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if done:
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[id(node)] = total
            visiting.discard(id(node))
            finished.append((node, total))
            continue
        for child in children:
            if id(child) in visiting:  # an alias back to a node that holds it: &a [*a]
                return node, "a YAML alias refers to a node that contains it (a recursive alias)"
        visiting.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    limit = len(sizes) + MAX_EXPANDED_NODES
    for node, total in finished:
        if total > limit:
            return node, (
                f"YAML aliases expand this document past {MAX_EXPANDED_NODES:,} more nodes "
                "than it holds (an alias bomb)"
            )
    return None


def duplicate_keys(root: yaml.Node) -> Iterator[tuple[yaml.ScalarNode, yaml.ScalarNode]]:
    """Every (key, first key of that name) pair where a mapping repeats a key."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[object, yaml.ScalarNode] = {}
            for key, _value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    first = keys.setdefault(key.value, key)
                    if first is not key:
                        yield key, first
        stack.extend(reversed(_children(node)))


def construct(node: yaml.Node) -> Any:
    """The Python value of a composed node (safe types only; aliases shared)."""
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        raise YamlError(
            f"YAML value error: {error.problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    finally:
        loader.dispose()


def mapping_items(node: yaml.Node) -> Iterator[tuple[str, yaml.ScalarNode, yaml.Node]]:
    """The (key, key node, value node) pairs of a mapping node with scalar keys."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            yield str(key.value), key, value
