"""The text surgery of an edit: replace a scalar's characters, or insert a line.

Both work on the template's lines as written (endings kept) and on YAML
nodes composed from the rendered text, possibly from a slice of it:
:class:`View` carries the rendering and the line offset of that slice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import yaml

from lpsigning_mojo.bundle.scalars import format_key, format_scalar
from lpsigning_mojo.bundle.template import Origin, Rendered
from lpsigning_mojo.errors import EditError
from lpsigning_mojo.yamlnodes import mapping_items

__all__ = ["Replacement", "ValueSlot", "View", "ending", "insert", "replace"]

_PREFERRED_ANCHORS: Mapping[str, tuple[str, ...]] = {
    "revision": ("channel", "charm"),
    "channel": ("charm",),
}


@attrs.frozen(kw_only=True)
class View:
    """A rendering, and how node lines relate to its lines.

    A node at 0-based line ``n`` of the composed text sits on rendered line
    ``n + 1 + offset`` (1-based).
    """

    rendered: Rendered
    offset: int = 0

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def template_line(self, node: yaml.Node) -> int | None:
        return self.rendered.template_line(self.line(node))

    def origins(self, node: yaml.Node) -> list[Origin | None]:
        return self.rendered.origins(self.line(node))


@attrs.frozen(kw_only=True)
class ValueSlot:
    """The nodes of the edited value in the rendered YAML, or of the mapping it goes in.

    ``key_node`` and ``value_node`` are set when the key is there; else
    ``missing`` names the keys to create inside ``mapping``.
    """

    mapping: yaml.MappingNode  # the mapping that holds (or should hold) the key
    key_node: yaml.ScalarNode | None
    value_node: yaml.Node | None
    missing: tuple[str, ...]  # keys to create, outermost first
    owner_column: int = 0  # the 0-based column of the key that owns ``mapping``


@attrs.frozen(kw_only=True)
class Replacement:
    """A scalar replaced: template ``offset`` (of run ``run_start``) held ``old``."""

    lines: list[str]
    line: int
    run_start: int
    offset: int
    old: str
    new: str


def ending(line: str) -> str:
    """The line ending of ``line`` (CRLF, LF, CR or none)."""
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""


def replace(lines: list[str], view: View, slot: ValueSlot, value: Any, what: str) -> Replacement:
    """Replace the characters of the target scalar in the template ``lines``."""
    node, key = slot.value_node, slot.key_node
    assert node is not None
    assert key is not None
    rendered = view.rendered
    path = rendered.template.path
    key_line = view.template_line(key)
    if node.start_mark.index < key.end_mark.index:
        raise EditError(
            f"{what} is a YAML alias",
            path=path,
            line=key_line,
            hint="edit the anchored value it refers to, or write the value out",
        )
    if not isinstance(node, yaml.ScalarNode):
        raise EditError(
            f"{what} is not a single value",
            path=path,
            line=key_line,
            hint="edit the template by hand",
        )
    start, end = node.start_mark, node.end_mark
    if start.line != end.line or node.style in ("|", ">"):
        raise EditError(
            f"{what} spans several lines",
            path=path,
            line=key_line,
            hint="write it on one line, then edit again",
        )
    written = rendered.line_text(view.line(node))[start.column : end.column]
    if written[:1] in ("&", "!"):
        raise EditError(
            f"{what} carries a YAML anchor or tag ({written.split()[0]})",
            path=path,
            line=key_line,
            hint="remove the anchor or tag, or edit the value by hand",
        )
    origins = view.origins(node)[start.column : end.column]
    expressions = [o for o in origins if o is not None and o.kind == "expression"]
    if expressions:
        raise EditError(
            f"{what} comes from a Jinja expression",
            path=path,
            line=expressions[0].line,
            column=expressions[0].column,
            hint="edit the expression or the variable it uses instead",
        )
    if not origins or any(o is None for o in origins):
        raise EditError(f"cannot trace {what} to the template", path=path, line=key_line)
    offsets = [o.offset for o in origins if o is not None]
    if offsets != list(range(offsets[0], offsets[0] + len(offsets))):
        raise EditError(
            f"{what} is assembled from several places in the template",
            path=path,
            line=key_line,
            hint="edit the template by hand",
        )
    first = origins[0]
    assert first is not None
    if len(rendered.copies(first.run_start)) > 1:
        raise EditError(
            f"{what} is written by a loop or macro that repeats it",
            path=path,
            line=first.line,
            hint="edit the template by hand",
        )
    text_line = lines[first.line - 1]
    column = first.column - 1
    if text_line[column : column + len(written)] != written:
        raise EditError(f"cannot trace {what} to the template", path=path, line=first.line)
    new = format_scalar(value, node.style if node.style in ("'", '"') else None)
    edited = list(lines)
    edited[first.line - 1] = text_line[:column] + new + text_line[column + len(written) :]
    return Replacement(
        lines=edited,
        line=first.line,
        run_start=first.run_start,
        offset=first.offset,
        old=written,
        new=new,
    )


def insert(
    lines: list[str], view: View, slot: ValueSlot, value: Any, what: str
) -> tuple[list[str], int]:
    """Insert ``key: value`` (and ``options:`` when missing); (new lines, line number)."""
    mapping = slot.mapping
    path = view.rendered.template.path
    where = view.template_line(mapping)
    if mapping.flow_style or not mapping.value:
        raise EditError(
            f"cannot add {what}: the mapping it belongs in is written in flow style",
            path=path,
            line=where,
            hint=f"add '{slot.missing[-1]}: ...' there by hand",
        )
    siblings = list(mapping_items(mapping))
    first_key = siblings[0][1]
    indent = " " * first_key.start_mark.column
    candidates: dict[str, int] = {}
    for name, key_node, value_node in siblings:
        line = _single_line(view, key_node, value_node)
        if line is not None:
            candidates[name] = line
    anchor = next(
        (candidates[k] for k in _PREFERRED_ANCHORS.get(slot.missing[-1], ()) if k in candidates),
        candidates.get(siblings[-1][0]),
    )
    if anchor is not None:
        at, near = anchor, lines[anchor - 1]  # insert after the anchor line
    else:
        first_line = _key_template_line(view, first_key)
        if first_line is None:
            raise EditError(
                f"cannot add {what}: the keys around it are not written in the template",
                path=path,
                line=where,
                hint="add it by hand",
            )
        at, near = first_line - 1, lines[first_line - 1]
    eol = ending(near) or _nearby_ending(lines, at)
    entry = f"{format_key(slot.missing[-1])}: {format_scalar(value, None)}{eol}"
    if len(slot.missing) == 2:
        step = " " * max(first_key.start_mark.column - slot.owner_column, 2)
        new = f"{indent}{format_key(slot.missing[0])}:{eol}{indent}{step}{entry}"
    else:
        new = f"{indent}{entry}"
    if at == len(lines) and lines and not ending(lines[-1]):
        lines = [*lines[:-1], lines[-1] + eol]
    return [*lines[:at], new, *lines[at:]], at + 1


def _nearby_ending(lines: list[str], at: int) -> str:
    """The ending of the nearest line before ``at`` that has one.

    In a file of mixed line endings, a line inserted next to an unterminated
    last line ends as the lines before it do, not as the first line does.
    (A line with an ending always comes before: the key of the mapping.)
    """
    return next((ending(line) for line in reversed(lines[:at]) if ending(line)), "\n")


def _single_line(view: View, key: yaml.Node, value: yaml.Node) -> int | None:
    """The template line that alone writes ``key: value``, if there is one."""
    if not isinstance(value, yaml.ScalarNode) or key.start_mark.line != value.end_mark.line:
        return None
    if value.start_mark.index < key.end_mark.index:  # an alias
        return None
    origins = view.origins(key)
    if not origins or any(o is None or o.kind != "data" for o in origins):
        return None
    if len({o.line for o in origins if o is not None}) != 1:
        return None
    first = origins[0]
    assert first is not None
    if first.column != 1 or len(view.rendered.copies(first.run_start)) > 1:
        return None
    return first.line


def _key_template_line(view: View, key: yaml.Node) -> int | None:
    origins = view.origins(key)
    first = origins[0] if origins else None
    if first is None or first.kind != "data" or first.column != 1:
        return None
    if len(view.rendered.copies(first.run_start)) > 1:
        return None
    return first.line
