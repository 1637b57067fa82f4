"""The JSON schema that docs/reference/json.rst documents, read from the page itself.

Each section there starts with a label (``.. _json-status:``) and holds a
``list-table`` of Key, Type and Meaning. A key is a path: ``a.b`` is key
``b`` of the object ``a``, ``a[].b`` key ``b`` of each object of the list
``a``; ``*`` stands for every key of a referenced object. A type is
``string``, ``integer``, ``number``, ``boolean``, ``object`` (its keys in
the rows that follow), ``mapping`` (any keys), ``any``, ``list of strings``
(``integers``, ``objects``), a reference to another section
(``:ref:`run <json-object-run>```) or ``list of`` one; ``or null`` allows
``null``.

:func:`assert_documented` checks a command's real JSON against its section:
exactly the keys listed, at every level, each of its type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from tests.conftest import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "reference" / "json.rst"

_LABEL = re.compile(r"^\.\. _(json-[a-z0-9-]+):\s*$")
_REF = re.compile(r":ref:`[^<`]*<(json-[a-z0-9-]+)>`")
_ROW = re.compile(r"^\s*\* - (.*)$")
_CELL = re.compile(r"^\s*- (.*)$")
_SCALARS = {"string", "integer", "number", "boolean", "mapping", "any", "object"}
_PLURALS = {"strings": "string", "integers": "integer", "objects": "object"}


@dataclass
class Type:
    """A documented type: ``kind`` a scalar, ``object``, ``list`` (of ``item``) or ``ref``."""

    kind: str
    nullable: bool = False
    item: Type | None = None
    ref: str | None = None


@dataclass
class Node:
    """An object's documented keys, and the sections whose keys it includes (``*``)."""

    keys: dict[str, tuple[Type, Node]] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)


def parse_type(text: str) -> Type:
    """The :class:`Type` a Type cell says."""
    text = " ".join(text.split())
    nullable = text.endswith(" or null")
    text = text.removesuffix(" or null")
    if text.startswith("list of "):
        return Type(kind="list", nullable=nullable, item=parse_type(text[len("list of ") :]))
    ref = _REF.fullmatch(text)
    if ref:
        return Type(kind="ref", nullable=nullable, ref=ref.group(1))
    kind = _PLURALS.get(text, text)
    if kind not in _SCALARS:
        raise AssertionError(f"{PAGE}: unknown type {text!r}")
    return Type(kind=kind, nullable=nullable)


def _rows(lines: list[str]) -> list[tuple[str, str]]:
    """(key, type) of each row of the first list-table in ``lines`` (header left out)."""
    rows: list[list[str]] = []
    for line in lines:
        row = _ROW.match(line)
        if row:
            rows.append([row.group(1)])
            continue
        cell = _CELL.match(line)
        if cell and rows:
            rows[-1].append(cell.group(1))
        elif rows and line.strip() and len(rows[-1]) <= 2:
            rows[-1][-1] += " " + line.strip()  # a cell's text going on
    assert rows, f"{PAGE}: a section without a table"
    assert rows[0][:2] == ["Key", "Type"], f"{PAGE}: a table starts with Key, Type"
    return [(row[0].strip("`"), row[1]) for row in rows[1:]]


def _place(root: Node, path: str, kind: Type) -> None:
    *parents, name = re.split(r"\[\]\.|\.", path)
    node = root
    for parent in parents:
        assert parent in node.keys, f"{PAGE}: {path} comes before {parent}"
        parent_type, node = node.keys[parent]
        assert parent_type.kind in ("object", "list"), f"{PAGE}: {parent} holds no keys"
    if name == "*":
        assert kind.ref is not None, f"{PAGE}: '*' must name a section"
        node.includes.append(kind.ref)
    else:
        assert name not in node.keys, f"{PAGE}: {path} listed twice"
        node.keys[name] = (kind, Node())


@cache
def sections() -> dict[str, Node]:
    """Every section of the page by its label."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    starts = [
        (index, match.group(1)) for index, line in enumerate(lines) if (match := _LABEL.match(line))
    ]
    found: dict[str, Node] = {}
    for number, (start, label) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(lines)
        root = Node()
        for path, cell in _rows(lines[start:end]):
            _place(root, path, parse_type(cell))
        found[label] = root
    for label, node in found.items():
        for included in _all_includes(node):
            assert included in found, f"{PAGE}: {label} refers to {included}, which is not there"
    return found


def _all_includes(node: Node) -> list[str]:
    refs = list(node.includes)
    for kind, child in node.keys.values():
        while kind.kind == "list" and kind.item is not None:
            kind = kind.item
        if kind.ref:
            refs.append(kind.ref)
        refs.extend(_all_includes(child))
    return refs


def _expected(node: Node) -> dict[str, tuple[Type, Node]]:
    keys = dict(node.keys)
    for label in node.includes:
        for name, entry in _expected(sections()[label]).items():
            keys.setdefault(name, entry)
    return keys


def _check(value: object, kind: Type, node: Node, where: str) -> None:
    if value is None:
        assert kind.nullable or kind.kind == "any", (
            f"{where} is null, which {PAGE.name} does not allow"
        )
        return
    if kind.kind == "ref":
        assert kind.ref is not None
        _check_object(value, sections()[kind.ref], where)
    elif kind.kind == "object":
        _check_object(value, node, where)
    elif kind.kind == "list":
        assert isinstance(value, list), f"{where} is not a list: {value!r}"
        assert kind.item is not None
        for index, item in enumerate(value):
            _check(item, kind.item, node, f"{where}[{index}]")
    elif kind.kind == "mapping":
        assert isinstance(value, dict), f"{where} is not a mapping: {value!r}"
    elif kind.kind == "string":
        assert isinstance(value, str), f"{where} is not a string: {value!r}"
    elif kind.kind == "boolean":
        assert isinstance(value, bool), f"{where} is not a boolean: {value!r}"
    elif kind.kind == "integer":
        assert isinstance(value, int), f"{where} is not an integer: {value!r}"
        assert not isinstance(value, bool), f"{where} is a boolean, not an integer"
    elif kind.kind == "number":
        assert isinstance(value, (int, float)), f"{where} is not a number: {value!r}"
        assert not isinstance(value, bool), f"{where} is a boolean, not a number"


def _check_object(value: object, node: Node, where: str) -> None:
    assert isinstance(value, dict), f"{where} is not an object: {value!r}"
    expected = _expected(node)
    missing = sorted(set(expected) - set(value))
    extra = sorted(set(value) - set(expected))
    assert not missing, f"{where}: missing {missing}, which {PAGE.name} lists"
    assert not extra, f"{where}: {extra} not listed in {PAGE.name}"
    for name, (kind, child) in expected.items():
        _check(value[name], kind, child, f"{where}.{name}")


def assert_documented(label: str, data: object) -> None:
    """``data`` (a command's JSON) has exactly the keys and types section ``label`` lists."""
    assert label in sections(), f"{PAGE.name} has no section {label}"
    _check_object(data, sections()[label], label)
