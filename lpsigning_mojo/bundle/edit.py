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

Then the release rules that concern the changed value (:mod:`lpsigning_mojo.policy`,
the very functions bundle-lint reports) are applied to every stage the edit
changes: a revision without a channel (LSM201), a production ``build_label``
that is not a full commit id (LSM203), a literal secret (LSM204), a stage
pinned ahead of the one before it (LSM205). An edit that breaks one is
refused with the rule's code and fix, so an edit never writes what
bundle-lint rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import yaml

from lpsigning_mojo.bundle.blocks import app_block
from lpsigning_mojo.bundle.model import Application, Bundle, read_documents
from lpsigning_mojo.bundle.scalars import format_scalar
from lpsigning_mojo.bundle.template import Rendered, Template
from lpsigning_mojo.bundle.textedit import ValueSlot, View, insert, replace
from lpsigning_mojo.bundle.verify import Check, verify_insertion, verify_replacement
from lpsigning_mojo.errors import BundleError, EditError, UnknownApplicationError, YamlError
from lpsigning_mojo.mojospec.stages import DEFAULT_STAGES, stage_name
from lpsigning_mojo.mojospec.variables import mojo_variables
from lpsigning_mojo.policy import (
    PROMOTION,
    Breach,
    ReleasePolicy,
    ahead_message,
    build_label_breach,
    literal_secret_breach,
    pins,
    promotion_breaches,
    revision_breach,
)
from lpsigning_mojo.yamlnodes import construct, mapping_items, split_lines

__all__ = [
    "EditResult",
    "format_scalar",
    "render_bundle",
    "set_channel",
    "set_option",
    "set_revision",
]


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
    placed = rendered.place(error.line, error.column or 1) if error.line else None
    if placed is None and error.line is not None:
        # The line came from nowhere in the template (computed); say where it was rendered.
        message = f"{error.message} (line {error.line} of the bundle rendered for {stage})"
        return type(error)(message, path=rendered.template.path, hint=error.hint)
    message = error.message
    related = getattr(error, "related_line", None)
    if related is not None:
        mapped = rendered.place(related, 1)
        if mapped is not None:
            message = message.replace(f"at line {related}", f"at line {mapped[0]}")
    line, column = placed if placed is not None else (None, None)
    return type(error)(
        f"{message} (stage {stage})",
        path=rendered.template.path,
        line=line,
        column=column if error.column else None,
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
    policy: ReleasePolicy | None = None,
) -> EditResult:
    """Set the charm ``revision`` of ``app`` as rendered for ``stage``.

    Refused when a stage it changes would pin a Charmhub revision without a
    channel (LSM201), or pin it ahead of the stage before it in ``policy``'s
    promotion order (LSM205).
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
) -> EditResult:
    """Set the Charmhub ``channel`` of ``app`` (e.g. ``latest/stable``) for ``stage``.

    Whether Charmhub's channel holds the pinned revision is for the caller
    to ask (``lpsigning-mojo bundle set-channel`` does, unless ``--force``).
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
) -> EditResult:
    """Set option ``key`` of ``app`` to ``value`` for ``stage`` (e.g. ``build_label``).

    Refused when ``build_label`` would not be a full commit id in a
    production stage of ``policy`` (LSM203), or an option named like a secret
    would hold a literal value (LSM204).
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
        raise _in_template(error, rendered, stage) from None
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
) -> EditResult:
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
    if slot.value_node is not None:
        current = construct(slot.value_node)  # already the value: nothing to write or refuse
        if current == value and type(current) is type(value):
            line = view.template_line(slot.value_node) or view.line(slot.value_node)
            return EditResult(text=text, changed=False, line=line, inserted=False, stages=())
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
    _enforce(check, keys, value, affected, policy or ReleasePolicy(), path=path, line=line)
    return EditResult(
        text="".join(new_lines),
        changed=True,
        line=line,
        inserted=inserted,
        stages=affected,
        unchecked=unchecked,
    )


class _Check(Check):
    """A :class:`Check` that keeps each stage's rendering of the template before the edit.

    The verification renders every stage; the release rules read the edited
    application from those renderings instead of rendering again.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before: dict[str, Rendered] = {}

    def render(self, template: Template, stage: str) -> Rendered:
        if template is self.template and stage in self.before:
            return self.before[stage]
        rendered = super().render(template, stage)
        if template is self.template:
            self.before[stage] = rendered
        return rendered

    def application(self, stage: str) -> Application | None:
        """``app`` as the stage rendered it before the edit; ``None`` where it is not there."""
        rendered = self.before.get(stage)
        if rendered is None:
            return None
        block = app_block(rendered.text, self.app)
        text = block.snippet(rendered.text) if block is not None else rendered.text
        try:
            return Bundle.from_text(text).applications.get(self.app)
        except BundleError:
            return None


def _enforce(
    check: _Check,
    keys: tuple[str, ...],
    value: Any,
    affected: Sequence[str],
    policy: ReleasePolicy,
    *,
    path: str | None,
    line: int,
) -> None:
    """Refuse the edit when the new value breaks a release rule in a stage it changes.

    Only the rules about the edited value are asked, through the functions
    bundle-lint reports them with, and only rules ``policy`` enforces.
    """
    app = check.app
    after: dict[str, Application] = {}
    for stage in check.stages:
        application = check.application(stage)
        if application is not None:
            after[stage] = check.change(application) if stage in affected else application
    found: dict[tuple[str, str], tuple[Breach, list[str]]] = {}

    def note(breach: Breach | None, stage: str) -> None:
        if breach is not None and policy.enforces(breach.rule):
            _, stages = found.setdefault((breach.rule.code, breach.message), (breach, []))
            stages.append(stage_name(stage))

    for stage in affected:
        application = after.get(stage)
        if application is None:
            continue
        if keys == ("revision",):
            note(
                revision_breach(app, application.charm, application.channel, value),
                stage,
            )
        elif keys == ("options", "build_label"):
            production = policy.production(stage_name(stage))
            note(build_label_breach(app, value, production=production), stage)
        elif keys[0] == "options":
            note(literal_secret_breach(app, keys[1], value), stage)
    if keys == ("revision",):
        changed = {stage_name(stage) for stage in affected}
        stage_pins = [
            pin
            for stage, application in after.items()
            for pin in pins(stage_name(stage), [application])
        ]
        for earlier, later in promotion_breaches(stage_pins, policy.promotion_order):
            if earlier.stage in changed or later.stage in changed:
                note(Breach(rule=PROMOTION, message=ahead_message(earlier, later)), later.stage)
    for breach, stages in found.values():
        what = f"{app} {'.'.join(keys)}"
        where = ", ".join(dict.fromkeys(stages))
        raise EditError(
            f"setting {what} to {value!r} would break {breach.rule.code} "
            f"({breach.rule.name}) in stage{'s' if len(stages) > 1 else ''} {where}: "
            f"{breach.message}",
            path=path,
            line=line,
            hint=breach.rule.hint,
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
) -> _Check:
    return _Check(
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
        raise EditError(f"application {app!r} is not a mapping", path=path)
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
