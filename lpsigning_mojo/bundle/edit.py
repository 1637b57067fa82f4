"""Text-preserving edits of a bundle template: revision, channel, options.

An edit renders the template for one stage, finds the YAML scalar that
gives the value there, follows the rendering markers back to the template
characters that produced it, and replaces exactly those characters. Every
other byte stays as it was: comments, quoting, key order, blank lines,
Jinja blocks and line endings. When the key is absent, one line is inserted
with the indentation of its siblings.

Before anything is returned, every stage is checked (see
:mod:`lpsigning_mojo.bundle.verify`): the target stage must differ by exactly
the edited value, and every other stage either renders identically or
differs by that same value. Anything else (a value that came from a
``{{ expression }}``, a YAML alias, a loop, an insertion that would
duplicate a key elsewhere) is refused with an
:class:`~lpsigning_mojo.errors.EditError` that names the line and says what
to edit instead.

Then the release rules that concern the changed value are applied to every
stage the edit changes (see :mod:`lpsigning_mojo.bundle.enforce`): an edit
that would write what bundle-lint rejects is refused with the rule's code
and fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import yaml

from lpsigning_mojo.bundle.blocks import app_block
from lpsigning_mojo.bundle.diff import unified_diff
from lpsigning_mojo.bundle.enforce import RenderedCheck, enforce
from lpsigning_mojo.bundle.model import Application, Bundle, read_documents
from lpsigning_mojo.bundle.scalars import format_scalar
from lpsigning_mojo.bundle.template import Rendered, Template, error_in_template
from lpsigning_mojo.bundle.textedit import ValueSlot, View, insert, replace
from lpsigning_mojo.bundle.verify import verify_insertion, verify_replacement
from lpsigning_mojo.errors import EditError, UnknownApplicationError, YamlError
from lpsigning_mojo.mojospec.stages import DEFAULT_STAGES, Spec
from lpsigning_mojo.mojospec.variables import mojo_variables
from lpsigning_mojo.policy import ReleasePolicy
from lpsigning_mojo.yamlnodes import construct, mapping_items, split_lines

__all__ = [
    "EditResult",
    "format_scalar",
    "set_channel",
    "set_option",
    "set_revision",
]


@attrs.frozen(kw_only=True)
class EditResult:
    """What an edit did.

    ``text`` is the whole new template, ``before`` the template it edited,
    and ``path`` the name the edit was given for it. ``line`` is the 1-based
    line of the new text that holds the value (the inserted line when
    ``inserted``). ``stages`` are the stages whose rendered bundle changed;
    ``unchecked`` the stages that did not render before the edit, so could
    not be checked. ``application``, ``field`` (``revision``, ``channel``,
    ``options.KEY``), ``old`` and ``new`` say what was set, as rendered for
    ``stage`` (``old`` is ``None`` where the key was absent).
    """

    text: str
    before: str = attrs.field(repr=False)
    changed: bool
    line: int
    inserted: bool
    stages: tuple[str, ...]
    unchecked: tuple[str, ...] = ()
    path: str | None = None
    application: str | None = None
    field: str | None = None
    old: object = None
    new: object = None
    stage: str | None = None

    def to_json(self) -> dict[str, object]:
        """The edit for ``--format json`` (``bundle set-*``): ``path``, ``stage``,
        ``application``, ``field``, ``old``, ``new``, ``changed``, ``line``,
        ``inserted``, ``stages`` (those whose rendered bundle changes),
        ``unchecked`` and ``diff`` (the unified diff, ``""`` when unchanged)."""
        return {
            "path": self.path,
            "stage": self.stage,
            "application": self.application,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "changed": self.changed,
            "line": self.line,
            "inserted": self.inserted,
            "stages": list(self.stages),
            "unchecked": list(self.unchecked),
            "diff": self.diff(),
        }

    def diff(self) -> str:
        """The change as a unified diff of the template (``""`` when nothing changed).

        The one ``lpsigning-mojo bundle set-*`` prints; see
        :func:`~lpsigning_mojo.bundle.unified_diff`.
        """
        return unified_diff(self.before, self.text, path=self.path or "bundle.yaml")


def set_revision(
    text: str,
    app: str,
    revision: int,
    *,
    stage: str,
    stages: Sequence[str] | None = None,
    variables: Mapping[str, object] | None = None,
    path: str | None = None,
    policy: ReleasePolicy | None = None,
    spec: Spec | None = None,
) -> EditResult:
    """Set the charm ``revision`` of ``app`` as rendered for ``stage``.

    Refused when a stage it changes would pin a Charmhub revision without a
    channel (LSM201), or pin it ahead of the stage before it in ``policy``'s
    promotion order (LSM205).


    Every stage of ``stages`` is checked; with ``spec`` (a
    :class:`~lpsigning_mojo.mojospec.Spec`), ``stages`` and ``path`` default
    to its stages and its ``bundle.yaml``.
    """
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
        policy=policy,
        spec=spec,
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
    policy: ReleasePolicy | None = None,
    spec: Spec | None = None,
) -> EditResult:
    """Set the Charmhub ``channel`` of ``app`` (e.g. ``latest/stable``) for ``stage``.

    Whether Charmhub's channel holds the pinned revision is for the caller
    to ask (``lpsigning-mojo bundle set-channel`` does, unless ``--force``).


    Every stage of ``stages`` is checked; with ``spec`` (a
    :class:`~lpsigning_mojo.mojospec.Spec`), ``stages`` and ``path`` default
    to its stages and its ``bundle.yaml``.
    """
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
        policy=policy,
        spec=spec,
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
    policy: ReleasePolicy | None = None,
    spec: Spec | None = None,
) -> EditResult:
    """Set option ``key`` of ``app`` to ``value`` for ``stage`` (e.g. ``build_label``).

    Refused when ``build_label`` would not be a full commit id in a
    production stage of ``policy`` (LSM203), or an option named like a secret
    would hold a literal value (LSM204).


    Every stage of ``stages`` is checked; with ``spec`` (a
    :class:`~lpsigning_mojo.mojospec.Spec`), ``stages`` and ``path`` default
    to its stages and its ``bundle.yaml``.
    """
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
        policy=policy,
        spec=spec,
    )


# -- the edit ----------------------------------------------------------------


def _jinja_free(value: object, what: str) -> None:
    text = str(value)
    if "{{" in text or "{%" in text or "{#" in text:
        raise EditError(
            f"the value for {what} holds Jinja2 delimiters ('{{{{', '{{%' or '{{#')",
            hint="edit the template by hand if the value really needs them",
        )


def _locate(
    rendered: Rendered, app: str, path: str | None, stage: str
) -> tuple[list[yaml.Node], View]:
    """The YAML of ``app``: its block alone when that is plain to see, else everything."""
    block = app_block(rendered.text, app)
    if block is not None:
        try:
            documents = read_documents(block.snippet(rendered.text), path=path)
        except YamlError:
            documents = []
        if documents:
            return documents, View(rendered=rendered, offset=block.line - 1)
    try:
        bundle = Bundle.from_text(rendered.text, source=path)
    except YamlError as error:
        raise error_in_template(error, rendered, stage) from None
    bundle.application(app)  # UnknownApplicationError naming the ones there are
    return read_documents(rendered.text, path=path), View(rendered=rendered)


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
    policy: ReleasePolicy | None,
    spec: Spec | None,
) -> EditResult:
    if spec is not None:
        stages = spec.checked_stages if stages is None else stages
        path = str(spec.bundle_path) if path is None else path
    what = f"{app} {'.'.join(keys)}"
    _jinja_free(value, what)
    template = Template.from_text(text, path=path)
    rendered = template.render(mojo_variables(stage, extra=variables))
    if not rendered.mapped:
        raise EditError(
            "cannot trace the rendered bundle back to the template (a filter rewrites text)",
            path=path,
            hint="make this edit by hand",
        )
    documents, view = _locate(rendered, app, path, stage)
    slot = _find(documents, app, keys, view, path)
    lines = split_lines(text)
    field = ".".join(keys)
    current = None if slot.value_node is None else construct(slot.value_node)
    if slot.value_node is not None:
        if current == value and type(current) is type(value):  # nothing to write or refuse
            line = view.template_line(slot.value_node) or view.line(slot.value_node)
            return EditResult(
                text=text, before=text, changed=False, line=line, inserted=False, stages=(),
                path=path, application=app, field=field, old=current, new=value, stage=stage,
            )  # fmt: skip
        done = replace(lines, view, slot, value, what)
        check = _check(template, app, change, stage, stages, variables, what, done.line)
        affected, unchecked = verify_replacement(
            check, run_start=done.run_start, offset=done.offset, old=done.old, new=done.new
        )
        new_lines, line, inserted = done.lines, done.line, False
    else:
        new_lines, line = insert(lines, view, slot, value, what)
        check = _check(template, app, change, stage, stages, variables, what, line)
        affected, unchecked = verify_insertion(check, "".join(new_lines))
        inserted = True
    enforce(check, keys, value, affected, policy or ReleasePolicy(), path=path, line=line)
    return EditResult(
        text="".join(new_lines),
        before=text,
        path=path,
        changed=True,
        line=line,
        inserted=inserted,
        stages=affected,
        unchecked=unchecked,
        application=app,
        field=field,
        old=current,
        new=value,
        stage=stage,
    )


def _check(
    template: Template,
    app: str,
    change: Callable[[Application], Application],
    stage: str,
    stages: Sequence[str] | None,
    variables: Mapping[str, object] | None,
    what: str,
    line: int,
) -> RenderedCheck:
    return RenderedCheck(
        template,
        app,
        change,
        stage=stage,
        stages=stages or DEFAULT_STAGES,
        variables=variables,
        what=what,
        line=line,
    )


def _find(
    documents: list[yaml.Node], app: str, keys: tuple[str, ...], view: View, path: str | None
) -> ValueSlot:
    app_nodes: list[tuple[yaml.Node, int]] = []
    for document in documents:
        for key, _key_node, section in mapping_items(document):
            if key == "applications":
                app_nodes.extend(
                    (value, name_node.start_mark.column)
                    for name, name_node, value in mapping_items(section)
                    if name == app
                )
    if not app_nodes:
        raise UnknownApplicationError(f"the bundle has no application {app!r}", path=path)
    # The last document that sets the value wins (overlays); else the last to define the app.
    for app_node, _column in reversed(app_nodes):
        node: yaml.Node = app_node
        for depth, key in enumerate(keys):
            found = [(kn, v) for k, kn, v in mapping_items(node) if k == key]
            if not found:
                break
            key_node, value_node = found[-1]
            if depth == len(keys) - 1:
                assert isinstance(node, yaml.MappingNode)
                return ValueSlot(mapping=node, key_node=key_node, value_node=value_node, missing=())
            node = value_node
    app_node, column = app_nodes[-1]
    if not isinstance(app_node, yaml.MappingNode):
        raise EditError(
            f"application {app!r} is not a mapping",
            path=path,
            hint="write its fields (charm:, channel:, ...) under its name",
        )
    if len(keys) == 2:
        options = [v for k, _kn, v in mapping_items(app_node) if k == keys[0]]
        if options:
            if not isinstance(options[-1], yaml.MappingNode):
                raise EditError(
                    f"{app} {keys[0]} is not a mapping written in the template",
                    path=path,
                    line=view.template_line(options[-1]),
                    hint=f"add {keys[1]} where the options come from",
                )
            return ValueSlot(mapping=options[-1], key_node=None, value_node=None, missing=keys[1:])
    return ValueSlot(
        mapping=app_node, key_node=None, value_node=None, missing=keys, owner_column=column
    )
