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
        _check_size(document, path)
        _check_duplicates(document, path)
    return documents


def _check_size(root: yaml.Node, path: str | None) -> None:
    sizes: dict[int, int] = {}
    # Post-order walk without recursion: nested documents may be deep.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = list(_children(node))
        if done:
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > MAX_EXPANDED_NODES:
                line, column = position(node)
                raise YamlError(
                    f"YAML aliases expand this document past {MAX_EXPANDED_NODES:,} nodes "
                    "(an alias bomb)",
                    path=path,
                    line=line,
                    column=column,
                    hint="write the values out instead of nesting aliases",
                )
            sizes[id(node)] = total
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _check_duplicates(root: yaml.Node, path: str | None) -> None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[object, yaml.Node] = {}
            for key, _value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value == "<<" and key.tag == "tag:yaml.org,2002:merge":
                        continue
                    previous = keys.get(key.value)
                    if previous is not None:
                        line, column = position(key)
                        raise YamlError(
                            f"duplicate key {key.value!r} (first at line {position(previous)[0]}); "
                            "YAML loaders silently keep only the last one",
                            path=path,
                            line=line,
                            column=column,
                            hint="remove one of them",
                        )
                    keys[key.value] = key
        stack.extend(_children(node))


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
