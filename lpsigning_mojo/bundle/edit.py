"""Text-preserving edits of a bundle template: revision, channel, options.

An edit renders the template for one stage, finds the YAML scalar that
gives the value there, follows the rendering markers back to the template
characters that produced it, and replaces exactly those characters. Every
other byte stays as it was: comments, quoting, key order, blank lines,
Jinja blocks and line endings. When the key is absent, one line is inserted
with the indentation of its siblings.

Before anything is returned, the edited template is rendered for every
stage and compared, as parsed bundles, with the bundles before the edit:
the target stage must differ by exactly the edited value, and every other
stage either renders identically or differs by that same value. Anything
else (a value that came from a ``{{ expression }}``, a YAML alias, a loop,
an insertion that would duplicate a key elsewhere) is refused with an
:class:`~lpsigning_mojo.errors.EditError` that names the line and says what
to edit instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import yaml

from lpsigning_mojo.bundle.model import Application, Bundle
from lpsigning_mojo.bundle.template import Rendered, Template, mojo_variables, split_lines
from lpsigning_mojo.bundle.yamlnodes import compose_documents, construct, mapping_items
from lpsigning_mojo.errors import (
    BundleError,
    EditError,
    UnknownApplicationError,
    YamlError,
)

__all__ = [
    "DEFAULT_STAGES",
    "EditResult",
    "format_scalar",
    "render_bundle",
    "set_channel",
    "set_option",
    "set_revision",
]

#: The stages of the lp-signing spec, checked after every edit by default.
DEFAULT_STAGES: tuple[str, ...] = ("production", "staging", "devel")

_PREFERRED_ANCHORS: Mapping[str, tuple[str, ...]] = {
    "revision": ("channel", "charm"),
    "channel": ("charm",),
}


@attrs.frozen(kw_only=True)
class EditResult:
    """What an edit did.

    ``text`` is the whole new template. ``line`` is the 1-based line of the
    new text that holds the value (the inserted line when ``inserted``).
    ``stages`` are the stages whose rendered bundle changed; ``unchecked``
    the stages that did not render before the edit, so could not be checked.
    """

    text: str
    changed: bool
    line: int
    inserted: bool
    stages: tuple[str, ...]
    unchecked: tuple[str, ...] = ()


def render_bundle(
    template: Template, stage: str, variables: Mapping[str, object] | None = None
) -> tuple[Rendered, Bundle]:
    """Render ``template`` for ``stage`` and read the bundle, errors pointing at the template."""
    rendered = template.render(mojo_variables(stage, extra=variables))
    try:
        bundle = Bundle.from_text(rendered.text, source=template.path)
    except YamlError as error:
        raise _in_template(error, rendered, stage) from None
    return rendered, bundle


def _in_template(error: BundleError, rendered: Rendered, stage: str) -> BundleError:
    line = rendered.template_line(error.line) if error.line else None
    if line is None and error.line:
        # A blank rendered line (or the end of the text) copies no characters;
        # count on from the nearest line above that does.
        for above in range(error.line - 1, 0, -1):
            found = rendered.template_line(above)
            if found is not None:
                line = min(found + error.line - above, rendered.template.text.count("\n") + 1)
                break
    if line is None and error.line is not None:
        # The line came from nowhere in the template (computed); say where it was rendered.
        message = f"{error.message} (line {error.line} of the bundle rendered for {stage})"
        return type(error)(message, path=rendered.template.path, hint=error.hint)
    column = None
    if error.line and error.column:
        origin = rendered.origin(error.line, error.column)
        column = origin.column if origin is not None and origin.line == line else None
    return type(error)(
        f"{error.message} (stage {stage})",
        path=rendered.template.path,
        line=line,
        column=column,
        hint=error.hint,
    )


def set_revision(
    text: str,
    app: str,
    revision: int,
    *,
    stage: str,
    stages: Sequence[str] | None = None,
    variables: Mapping[str, object] | None = None,
    path: str | None = None,
) -> EditResult:
    """Set the charm ``revision`` of ``app`` as rendered for ``stage``."""
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise EditError(f"a charm revision is a whole number of 0 or more, not {revision!r}")
    return _edit(
        text,
        app,
        ("revision",),
        revision,
        lambda a: a.with_revision(revision),
        stage=stage,
        stages=stages,
        variables=variables,
        path=path,
    )


def set_channel(
    text: str,
    app: str,
    channel: str,
    *,
    stage: str,
    stages: Sequence[str] | None = None,
    variables: Mapping[str, object] | None = None,
    path: str | None = None,
) -> EditResult:
    """Set the Charmhub ``channel`` of ``app`` (e.g. ``latest/stable``) for ``stage``."""
    if not isinstance(channel, str) or not channel.strip() or "\n" in channel:
        raise EditError(f"a channel is a name such as 'latest/stable', not {channel!r}")
    return _edit(
        text,
        app,
        ("channel",),
        channel,
        lambda a: a.with_channel(channel),
        stage=stage,
        stages=stages,
        variables=variables,
        path=path,
    )


def set_option(
    text: str,
    app: str,
    key: str,
    value: str | int | float | bool,
    *,
    stage: str,
    stages: Sequence[str] | None = None,
    variables: Mapping[str, object] | None = None,
    path: str | None = None,
) -> EditResult:
    """Set option ``key`` of ``app`` to ``value`` for ``stage`` (e.g. ``build_label``)."""
    if not isinstance(value, (str, int, float, bool)):
        raise EditError(f"an option value is a string, number or boolean, not {value!r}")
    if isinstance(value, str) and "\n" in value:
        raise EditError("an option value set this way must fit on one line")
    return _edit(
        text,
        app,
        ("options", key),
        value,
        lambda a: a.with_option(key, value),
        stage=stage,
        stages=stages,
        variables=variables,
        path=path,
    )


# -- the edit ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Target:
    """Where the value lives in the rendered YAML of the target stage."""

    mapping: yaml.MappingNode  # the mapping that holds (or should hold) the key
    key_node: yaml.ScalarNode | None
    value_node: yaml.Node | None
    missing: tuple[str, ...]  # keys to create, outermost first (("options", k) or (k,))
    owner_column: int = 0  # the 0-based column of the key that owns ``mapping``


def _edit(
    text: str,
    app: str,
    keys: tuple[str, ...],
    value: Any,
    change: Callable[[Application], Application],
    *,
    stage: str,
    stages: Sequence[str] | None,
    variables: Mapping[str, object] | None,
    path: str | None,
) -> EditResult:
    template = Template.from_text(text, path=path)
    rendered, before = render_bundle(template, stage, variables)
    before.application(app)  # UnknownApplicationError naming the ones there are
    if not rendered.mapped:
        raise EditError(
            "cannot trace the rendered bundle back to the template (a filter rewrites text)",
            path=path,
            hint="make this edit by hand",
        )
    documents = compose_documents(rendered.text, path=path)
    target = _find(documents, app, keys, rendered, path)
    what = f"{app} {'.'.join(keys)}"
    lines = split_lines(text)
    if target.value_node is not None:
        current = construct(target.value_node)
        if current == value and type(current) is type(value):
            return EditResult(
                text=text,
                changed=False,
                line=target.value_node.start_mark.line + 1,
                inserted=False,
                stages=(),
            )
        new_lines, line = _replace(lines, template, rendered, target, value, what)
        inserted = False
    else:
        new_lines, line = _insert(lines, rendered, target, value, what, keys)
        inserted = True
    new_text = "".join(new_lines)
    affected, unchecked = _verify(
        template,
        new_text,
        app,
        change,
        stage=stage,
        stages=stages,
        variables=variables,
        what=what,
        line=line,
    )
    return EditResult(
        text=new_text,
        changed=True,
        line=line,
        inserted=inserted,
        stages=affected,
        unchecked=unchecked,
    )


def _find(
    documents: list[yaml.Node],
    app: str,
    keys: tuple[str, ...],
    rendered: Rendered,
    path: str | None,
) -> _Target:
    app_nodes: list[yaml.Node] = []
    app_columns: list[int] = []
    for document in documents:
        for key, _key_node, section in mapping_items(document):
            if key == "applications":
                for name, name_node, value in mapping_items(section):
                    if name == app:
                        app_nodes.append(value)
                        app_columns.append(name_node.start_mark.column)
    if not app_nodes:
        raise UnknownApplicationError(f"the bundle has no application {app!r}", path=path)
    # The last document that sets the value wins (overlays); else the last to define the app.
    for app_node in reversed(app_nodes):
        node: yaml.Node = app_node
        for depth, key in enumerate(keys):
            found = [(kn, v) for k, kn, v in mapping_items(node) if k == key]
            if not found:
                break
            key_node, value_node = found[-1]
            if depth == len(keys) - 1:
                assert isinstance(node, yaml.MappingNode)
                return _Target(mapping=node, key_node=key_node, value_node=value_node, missing=())
            node = value_node
    app_node = app_nodes[-1]
    if not isinstance(app_node, yaml.MappingNode):
        raise EditError(f"application {app!r} is not a mapping", path=path)
    if len(keys) == 2:
        options = [v for k, _kn, v in mapping_items(app_node) if k == keys[0]]
        if options:
            if not isinstance(options[-1], yaml.MappingNode):
                origin = _line_of(rendered, options[-1])
                raise EditError(
                    f"{app} {keys[0]} is not a mapping written in the template",
                    path=path,
                    line=origin,
                    hint=f"add {keys[1]} where the options come from",
                )
            return _Target(mapping=options[-1], key_node=None, value_node=None, missing=keys[1:])
    return _Target(
        mapping=app_node,
        key_node=None,
        value_node=None,
        missing=keys,
        owner_column=app_columns[-1],
    )


def _line_of(rendered: Rendered, node: yaml.Node) -> int | None:
    return rendered.template_line(node.start_mark.line + 1)


def _raw_index(lines: list[str], line: int, column: int) -> int:
    return sum(len(text) for text in lines[: line - 1]) + column - 1


def _replace(
    lines: list[str],
    template: Template,
    rendered: Rendered,
    target: _Target,
    value: Any,
    what: str,
) -> tuple[list[str], int]:
    node = target.value_node
    assert node is not None
    assert target.key_node is not None
    path = template.path
    key_line = _line_of(rendered, target.key_node)
    if node.start_mark.index < target.key_node.end_mark.index:
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
    rendered_line = rendered.text.split("\n")[start.line]
    written = rendered_line[start.column : end.column]
    if written[:1] in ("&", "!"):
        raise EditError(
            f"{what} carries a YAML anchor or tag ({written.split()[0]})",
            path=path,
            line=key_line,
            hint="remove the anchor or tag, or edit the value by hand",
        )
    origins = rendered.origins(start.line + 1)[start.column : end.column]
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
    if rendered.count_offset(first.offset) > 1:
        raise EditError(
            f"{what} is written by a loop or macro that repeats it",
            path=path,
            line=first.line,
            hint="edit the template by hand",
        )
    index = _raw_index(lines, first.line, first.column)
    source = "".join(lines)
    if source[index : index + len(written)] != written:
        raise EditError(f"cannot trace {what} to the template", path=path, line=first.line)
    style = node.style if node.style in ("'", '"') else None
    replacement = format_scalar(value, style)
    text_line = lines[first.line - 1]
    column = first.column - 1
    lines = list(lines)
    lines[first.line - 1] = text_line[:column] + replacement + text_line[column + len(written) :]
    return lines, first.line


def _insert(
    lines: list[str],
    rendered: Rendered,
    target: _Target,
    value: Any,
    what: str,
    keys: tuple[str, ...],
) -> tuple[list[str], int]:
    mapping = target.mapping
    path = rendered.template.path
    where = _line_of(rendered, mapping)
    if mapping.flow_style or not mapping.value:
        raise EditError(
            f"cannot add {what}: the mapping it belongs in is written in flow style",
            path=path,
            line=where,
            hint=f"add '{keys[-1]}: ...' there by hand",
        )
    siblings = list(mapping_items(mapping))
    first_key = siblings[0][1]
    indent = " " * first_key.start_mark.column
    anchor_line: int | None = None
    candidates: dict[str, int] = {}
    for key, key_node, value_node in siblings:
        line = _single_line(rendered, key_node, value_node)
        if line is not None:
            candidates[key] = line
    for preferred in _PREFERRED_ANCHORS.get(keys[-1], ()):
        if preferred in candidates:
            anchor_line = candidates[preferred]
            break
    if anchor_line is None and candidates:
        anchor_line = candidates.get(siblings[-1][0])
    if anchor_line is not None:
        insert_at = anchor_line  # 0-based index of the line after the anchor
        ending = _ending(lines[anchor_line - 1])
    else:
        first_line = _key_template_line(rendered, first_key)
        if first_line is None:
            raise EditError(
                f"cannot add {what}: the keys around it are not written in the template",
                path=path,
                line=where,
                hint="add it by hand",
            )
        insert_at = first_line - 1
        ending = _ending(lines[first_line - 1])
    ending = ending or next((_ending(line) for line in lines if _ending(line)), "\n")
    if len(target.missing) == 2:
        step = " " * max(first_key.start_mark.column - target.owner_column, 2)
        new = (
            f"{indent}{format_key(target.missing[0])}:{ending}"
            f"{indent}{step}{format_key(target.missing[1])}: {format_scalar(value, None)}{ending}"
        )
    else:
        new = f"{indent}{format_key(target.missing[-1])}: {format_scalar(value, None)}{ending}"
    if insert_at == len(lines) and lines and not _ending(lines[-1]):
        lines = [*lines[:-1], lines[-1] + ending]
    return [*lines[:insert_at], new, *lines[insert_at:]], insert_at + 1


def _single_line(rendered: Rendered, key: yaml.Node, value: yaml.Node) -> int | None:
    """The template line that alone writes ``key: value``, if there is one."""
    if not isinstance(value, yaml.ScalarNode) or key.start_mark.line != value.end_mark.line:
        return None
    if value.start_mark.index < key.end_mark.index:  # an alias
        return None
    origins = rendered.origins(key.start_mark.line + 1)
    if not origins or any(o is None or o.kind != "data" for o in origins):
        return None
    template_lines = {o.line for o in origins if o is not None}
    if len(template_lines) != 1:
        return None
    first = origins[0]
    assert first is not None
    if first.column != 1 or rendered.count_offset(first.offset) > 1:
        return None
    (line,) = template_lines
    return line


def _key_template_line(rendered: Rendered, key: yaml.Node) -> int | None:
    origins = rendered.origins(key.start_mark.line + 1)
    first = origins[0] if origins else None
    if first is None or first.kind != "data" or first.column != 1:
        return None
    if rendered.count_offset(first.offset) > 1:
        return None
    return first.line


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""


def format_key(key: str) -> str:
    """``key`` as a YAML mapping key: plain where that reads back the same."""
    return key if _plain_ok(key) else format_scalar(key, "'")


def _plain_ok(text: str) -> bool:
    if not text or text != text.strip() or "\n" in text or "#" in text or ": " in text:
        return False
    try:
        return bool(yaml.safe_load(f"k: {text}\n") == {"k": text})
    except yaml.YAMLError:
        return False


def format_scalar(value: Any, style: str | None) -> str:
    """``value`` as a YAML scalar in ``style`` (None plain, ``'`` or ``"``).

    Strings that would read back as another type (``true``, ``0123``) or
    that plain style cannot hold are single-quoted; numbers and booleans
    are written plain whatever the style, since quoting would make them
    strings.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if style == '"':
        return json.dumps(text, ensure_ascii=False)
    if style is None and _plain_ok(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _verify(
    template: Template,
    new_text: str,
    app: str,
    change: Callable[[Application], Application],
    *,
    stage: str,
    stages: Sequence[str] | None,
    variables: Mapping[str, object] | None,
    what: str,
    line: int,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    path = template.path
    try:
        edited = Template.from_text(new_text, path=path)
    except BundleError as error:
        raise EditError(
            f"the edit would break the template: {error.message}", path=path, line=line
        ) from None
    ordered = [stage, *(s for s in (stages or DEFAULT_STAGES) if s != stage)]
    affected: list[str] = []
    unchecked: list[str] = []
    for name in ordered:
        try:
            old_rendered, old = render_bundle(template, name, variables)
        except BundleError:
            if name == stage:
                raise
            unchecked.append(name)
            continue
        try:
            new_rendered, new = render_bundle(edited, name, variables)
        except BundleError as error:
            raise EditError(
                f"setting {what} would break stage {name}: {error.message}",
                path=path,
                line=line,
                hint="edit the template by hand",
            ) from None
        if new_rendered.text == old_rendered.text:
            if name == stage:
                raise EditError(
                    f"setting {what} did not change stage {stage}", path=path, line=line
                )
            continue
        expected = (
            old.replace_application(change(old.applications[app]))
            if (app in old.applications)
            else None
        )
        if new != expected:
            raise EditError(
                f"setting {what} at line {line} would also change other values of stage {name}",
                path=path,
                line=line,
                hint="edit the template by hand (the line may be shared, or the key set twice)",
            )
        affected.append(name)
    return tuple(affected), tuple(unchecked)
