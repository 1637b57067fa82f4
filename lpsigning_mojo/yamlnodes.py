"""The one YAML front end: loader, tags, positions, duplicate keys, alias policy.

Every YAML file the project reads (a rendered bundle, ``instances.yaml``, a
value an edit writes back) goes through here. The text is composed into
PyYAML nodes, with libyaml's ``CSafeLoader`` where the wheel ships it, so
every value keeps its position. ``safe_load`` would keep the last of two
duplicate keys without a word and expand aliases however large they grow;
here :func:`duplicate_keys` finds the duplicates, and the alias policy is
the caller's choice (see :data:`AliasPolicy`).

It also holds the text-level rules the bundle template and the linter share:
what breaks a line (:data:`LINE_BREAK`), and the control characters no file
may hold (:func:`control_character`). Nothing here imports more than PyYAML,
so the lint hook pays little for it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import yaml

from lpsigning_mojo.errors import LpsigningMojoError, YamlError

if TYPE_CHECKING:
    from typing import TypeAlias

    _Mark: TypeAlias = yaml.Mark | yaml._yaml.Mark  # pure-Python and libyaml marks

__all__ = [
    "BOOL_TAG",
    "FLOAT_TAG",
    "INT_TAG",
    "LINE_BREAK",
    "LOADER",
    "MAP_TAG",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MERGE_TAG",
    "NULL_TAG",
    "SEQ_TAG",
    "STR_TAG",
    "AliasPolicy",
    "ComposeError",
    "FaultKind",
    "Node",
    "NodeReader",
    "compose",
    "construct",
    "construct_documents",
    "control_character",
    "duplicate_keys",
    "expansion_problem",
    "line_column",
    "load",
    "mapping_items",
    "nesting_problem",
    "position",
    "scalar_value",
    "split_lines",
]

Node = yaml.Node

#: The loader every reader uses: libyaml's when PyYAML was built with it.
LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"

#: What breaks a line, for YAML and Jinja2 alike (``str.splitlines`` would
#: also break at form feeds, U+2028 and others).
LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: How many nodes a document may hold once its aliases are expanded.
MAX_EXPANDED_NODES = 100_000

#: How deep mappings and lists may nest in a document (aliases expanded). Juju
#: bundles nest a few levels; the limit keeps every reader and walker of the
#: values (PyYAML's constructor among them) far from Python's recursion limit.
MAX_DEPTH = 100

#: ``"refuse"``: any alias is a :class:`ComposeError` (small files people write by
#: hand, such as ``instances.yaml``). ``"bounded"``: aliases are allowed, as
#: Juju allows them in bundles, but a document they make recursive or expand
#: past :data:`MAX_EXPANDED_NODES` more nodes is a :class:`ComposeError`.
AliasPolicy = Literal["refuse", "bounded"]

_CONTROL = re.compile("[\x00-\x04]")
_SAFE = yaml.constructor.SafeConstructor()


# -- text ----------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """Split ``text`` into lines that keep their endings (LF, CRLF or CR)."""
    lines: list[str] = []
    start = 0
    for match in LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def line_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based (line, column) of character ``index`` of ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def control_character(text: str) -> tuple[int, str] | None:
    """(index, sentence) for the first control character U+0000 to U+0004 of ``text``.

    YAML allows none of them, and bundle templates carry their position
    markers in exactly these, so a template holding one cannot be mapped;
    both the template and the linter refuse such a file with this sentence.
    (YAML's other forbidden characters are reported by the parser.)
    """
    found = _CONTROL.search(text)
    if found is None:
        return None
    return found.start(), (
        f"the file holds a control character (U+{ord(found.group()):04X}), "
        "which YAML does not allow"
    )


# -- composing -----------------------------------------------------------------


FaultKind = Literal["syntax", "character", "alias", "expansion"]


class ComposeError(LpsigningMojoError):
    """Text that could not be composed into YAML nodes, and where (1-based).

    ``kind`` is ``"syntax"`` (not YAML), ``"character"`` (a character YAML
    does not allow), ``"alias"`` (an alias where aliases are refused) or
    ``"expansion"`` (aliases that recurse or expand too far); mappings and
    lists nested deeper than :data:`MAX_DEPTH` are a ``"syntax"`` fault, as
    libyaml's own nesting limit is. ``message``
    says what is wrong in the parser's words; each reader turns it into its
    own error or finding, with the file's path.
    """

    def __init__(
        self, kind: FaultKind, message: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.kind: FaultKind = kind
        super().__init__(message, line=line, column=column)


def position(node: Node) -> tuple[int, int]:
    """The 1-based (line, column) where ``node`` starts."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def _fault_at(kind: FaultKind, message: str, mark: _Mark | None) -> ComposeError:
    if mark is None:
        return ComposeError(kind, message)
    return ComposeError(kind, message, line=mark.line + 1, column=mark.column + 1)


def _empty(node: Node | None) -> bool:
    return node is None or (node.tag == NULL_TAG and node.value == "")


def compose(text: str, *, aliases: AliasPolicy) -> list[Node]:
    """The YAML documents of ``text``; empty ones (``---`` alone) are skipped.

    Juju skips empty bundle overlays the same way. Raises
    :class:`ComposeError` for text that is not YAML, that breaks the alias
    policy, or that nests deeper than :data:`MAX_DEPTH`. Duplicate keys are
    not an error here: see :func:`duplicate_keys`.
    """
    try:
        if aliases == "refuse" and "*" in text:  # an alias needs a "*"
            for event in yaml.parse(text, Loader=LOADER):
                if isinstance(event, yaml.AliasEvent):
                    message = "YAML aliases are not supported here"
                    raise _fault_at("alias", message, event.start_mark)
        documents = [node for node in yaml.compose_all(text, Loader=LOADER) if not _empty(node)]
    except yaml.MarkedYAMLError as error:
        problem = error.problem or error.context or "invalid YAML"
        if error.context and error.problem:
            problem = f"{problem} ({error.context})"
        raise _fault_at("syntax", problem, error.problem_mark or error.context_mark) from None
    except yaml.reader.ReaderError as error:
        message, index = str(error.reason), -1
        if isinstance(error.character, int):  # libyaml's position counts bytes: find the character
            message += f" (U+{error.character:04X})"
            index = text.find(chr(error.character))
        line, column = line_column(text, max(index, 0))
        raise ComposeError("character", message, line=line, column=column) from None
    except yaml.YAMLError as error:  # pragma: no cover - every libyaml error is one of the above
        raise ComposeError("syntax", str(error)) from None
    if aliases == "bounded" and "&" in text:  # aliases need anchors
        for document in documents:
            expansion = expansion_problem(document)
            if expansion is not None:
                node, reason = expansion
                raise _fault_at("expansion", reason, node.start_mark)
    for document in documents:
        deep = nesting_problem(document)
        if deep is not None:
            message = (
                f"mappings and lists nest more than {MAX_DEPTH} deep here, "
                "deeper than this tool reads"
            )
            raise _fault_at("syntax", message, deep.start_mark)
    return documents


def nesting_problem(root: Node) -> Node | None:
    """The first mapping or list that ``root`` nests deeper than :data:`MAX_DEPTH`, if any.

    Walked without recursion, through aliases as they expand (so call it
    once aliases are known not to recurse: :func:`expansion_problem`).
    """
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        children = node.value if isinstance(node, yaml.SequenceNode) else ()
        if isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        stack.extend(
            (child, depth + 1) for child in children if not isinstance(child, yaml.ScalarNode)
        )
    return None


def _children(node: Node) -> list[Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def expansion_problem(root: Node) -> tuple[Node, str] | None:
    """(node, reason) when aliases make ``root`` recursive or expand it past the limit.

    Sizes are computed bottom-up once per distinct node, so a "billion
    laughs" costs as little as its text. A large document without aliases is
    not a bomb, however many nodes it holds: only the nodes that aliases add
    count, at most :data:`MAX_EXPANDED_NODES` of them.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    finished: list[tuple[Node, int]] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
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


def duplicate_keys(root: Node) -> Iterator[tuple[yaml.ScalarNode, yaml.ScalarNode]]:
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
                if isinstance(key, yaml.ScalarNode) and key.tag != MERGE_TAG:
                    first = keys.setdefault(key.value, key)
                    if first is not key:
                        yield key, first
        stack.extend(reversed(_children(node)))


def mapping_items(node: Node) -> Iterator[tuple[str, yaml.ScalarNode, Node]]:
    """The (key, key node, value node) pairs of a mapping node with scalar keys.

    Merge keys (``<<: *defaults``) are expanded as YAML (and Juju) expand
    them: the merged pairs come first, and the mapping's own keys win.
    """
    if not isinstance(node, yaml.MappingNode):
        return
    if any(key.tag == MERGE_TAG for key, _value in node.value):
        written = list(node.value)
        try:
            _SAFE.flatten_mapping(node)  # rewrites node.value in place, as constructing does
        except yaml.constructor.ConstructorError:  # a merge of something not a mapping
            node.value = written  # as written, so that constructing reports it
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != MERGE_TAG:
            yield str(key.value), key, value


# -- values --------------------------------------------------------------------


def _value_error(error: Exception) -> YamlError:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return YamlError(
        f"YAML value error: {problem}",
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


def construct_documents(documents: Sequence[Node]) -> dict[Node, Any]:
    """The Python value of every node of ``documents`` (safe types; aliases shared).

    Raises :class:`~lpsigning_mojo.errors.YamlError` for a value YAML's safe
    types cannot hold (an unknown tag, a bad merge).
    """
    loader = LOADER("")
    try:
        for document in documents:
            loader.construct_object(document, deep=True)
        values: dict[Node, Any] = loader.constructed_objects
        return values
    except (yaml.constructor.ConstructorError, ValueError) as error:
        raise _value_error(error) from None
    finally:
        loader.dispose()


def construct(node: Node) -> Any:
    """The Python value of one composed node (see :func:`construct_documents`)."""
    return construct_documents([node])[node]


def scalar_value(node: yaml.ScalarNode) -> object:
    """The Python value of a scalar node; ``ValueError`` when its text does not fit its tag."""
    build = _SAFE.yaml_constructors.get(node.tag)
    if build is None:
        raise ValueError(f"no safe YAML type has the tag {node.tag}")
    try:
        value: object = build(_SAFE, node)
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None
    return value


def load(text: str) -> Any:
    """The value of a small YAML text of one document (``None`` when empty).

    Read as every YAML text is (:func:`compose`, aliases bounded, nesting
    limited), so a hostile value cannot exhaust memory or the stack; raises
    :class:`ComposeError` or :class:`~lpsigning_mojo.errors.YamlError`.
    """
    documents = compose(text, aliases="bounded")
    if not documents:
        return None
    if len(documents) > 1:
        raise ComposeError("syntax", "expected a single YAML document")
    return construct(documents[0])


# -- strict reading ----------------------------------------------------------------

_NAMES = {
    STR_TAG: "a string",
    INT_TAG: "a number",
    FLOAT_TAG: "a number",
    BOOL_TAG: "true or false",
    NULL_TAG: "null",
    MAP_TAG: "a mapping",
    SEQ_TAG: "a list",
}


class NodeReader:
    """Reads a small single-document file strictly, every message with ``file:line:col``.

    Aliases are refused. ``error`` is the exception class to raise; wrong
    types, unknown or missing keys and duplicate keys are errors naming the
    place and the mapping they are in.
    """

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
            documents = compose(text, aliases="refuse")
        except ComposeError as fault:
            message = fault.message if fault.kind == "alias" else f"not valid YAML: {fault.message}"
            raise self._error(
                message, path=self.path, line=fault.line, column=fault.column
            ) from None
        if not documents:
            raise self._error("the file is empty", path=self.path)
        if len(documents) > 1:
            raise self.error(documents[1], "not valid YAML: the file holds more than one document")
        return documents[0]

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
            if not isinstance(key, yaml.ScalarNode) or key.tag != STR_TAG:
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
        if node.tag == STR_TAG:
            return str(node.value)
        if node.tag == NULL_TAG:
            return None
        try:
            return scalar_value(node)
        except ValueError:
            raise self.error(node, f"{what} must be {expected}") from None

    def string(self, node: Node, what: str) -> str:
        value = self._scalar(node, what, (STR_TAG,), "a string")
        assert isinstance(value, str)
        if not value.strip():
            raise self.error(node, f"{what} must not be empty")
        return value

    def boolean(self, node: Node, what: str) -> bool:
        value = self._scalar(node, what, (BOOL_TAG,), "true or false")
        assert isinstance(value, bool)
        return value

    def optional_string(
        self, fields: Mapping[str, tuple[Node, Node]], key: str, what: str
    ) -> str | None:
        if key not in fields:
            return None
        node = fields[key][1]
        if node.tag == NULL_TAG:
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
        value = self._scalar(node, f"{what}: {key!r}", (INT_TAG, FLOAT_TAG, NULL_TAG), expected)
        if value is None:
            return None
        assert isinstance(value, (int, float))
        if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
            raise self.error(node, f"{what}: {key!r} must be a positive number of seconds")
        return float(value)
