"""Property tests of the text-preserving edits (run 500 examples each under tox).

The six properties of the foundation issue, for ``set_revision`` and for
``set_option``: the edited value renders for the stage with every other value
unchanged; bytes change only on the value's line (or one line is inserted);
an edit applied twice equals it applied once; edits to different
applications commute; the text edit agrees with the same edit on the parsed
model; stages that do not render the edited line render exactly as before.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lpsigning_mojo.bundle import Template, diff_bundles, render_bundle, set_option, set_revision
from lpsigning_mojo.errors import EditError
from lpsigning_mojo.mojospec import mojo_variables
from lpsigning_mojo.policy import RULES, ReleasePolicy
from lpsigning_mojo.yamlnodes import split_lines
from tests.bundle.strategies import STAGES, GeneratedTemplate, templates

OPTION_VALUES = st.one_of(
    st.integers(min_value=0, max_value=99_999),
    st.text(alphabet="abcdef0123456789-_ ", min_size=1, max_size=40).map(str.strip).filter(bool),
)
OPTION_KEYS = st.sampled_from(["port", "workers", "build_label", "context", "debug", "fresh"])
#: These properties are about the text; the release rules edits enforce are tested apart.
TEXT_ONLY = ReleasePolicy(waived=frozenset(rule.code for rule in RULES))


def _revision_refused(generated: GeneratedTemplate, app: str) -> bool:
    return generated.app(app).revision == "expression"


def _option_refused(generated: GeneratedTemplate, app: str, key: str) -> bool:
    spec = generated.app(app)
    if key in spec.option_kinds:
        return spec.option_kinds[key] == "expression"
    return spec.options == "flow"


def _edit(
    kind: str,
    generated: GeneratedTemplate,
    text: str,
    app: str,
    value: Any,
    stage: str,
    key: str = "build_label",
) -> Any:
    if kind == "revision":
        return set_revision(
            text, app, value, stage=stage, variables=generated.variables, policy=TEXT_ONLY
        )
    return set_option(
        text, app, key, value, stage=stage, variables=generated.variables, policy=TEXT_ONLY
    )


def _bundle(generated: GeneratedTemplate, text: str, stage: str) -> Any:
    return render_bundle(Template.from_text(text), stage, generated.variables)[1]


@st.composite
def cases(draw: Any, kind: str, min_apps: int = 1) -> tuple[GeneratedTemplate, str, Any, str, str]:
    generated = draw(templates(min_apps=min_apps))
    app = draw(st.sampled_from([a.name for a in generated.apps]))
    stage = draw(st.sampled_from(STAGES))
    key = draw(OPTION_KEYS)
    value = draw(st.integers(0, 100_000)) if kind == "revision" else draw(OPTION_VALUES)
    return generated, app, value, stage, key


def _refused(kind: str, generated: GeneratedTemplate, app: str, key: str) -> bool:
    if kind == "revision":
        return _revision_refused(generated, app)
    return _option_refused(generated, app, key)


def _expected(kind: str, app_model: Any, value: Any, key: str) -> Any:
    return (
        app_model.with_revision(value) if kind == "revision" else app_model.with_option(key, value)
    )


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


KINDS = pytest.mark.parametrize("kind", ["revision", "option"])


@KINDS
@given(data=st.data())
def test_the_stage_renders_the_new_value_and_nothing_else_changes(kind: str, data: Any) -> None:
    generated, app, value, stage, key = data.draw(cases(kind))
    before = _bundle(generated, generated.text, stage)
    model = before.applications[app]
    current = model.revision if kind == "revision" else model.options.get(key)
    if _refused(kind, generated, app, key):
        if current == value and type(current) is type(value):
            # Already the value asked for: nothing to edit, so nothing to refuse.
            assert _edit(kind, generated, generated.text, app, value, stage, key).changed is False
        else:
            with pytest.raises(EditError):
                _edit(kind, generated, generated.text, app, value, stage, key)
        return
    result = _edit(kind, generated, generated.text, app, value, stage, key)
    after = _bundle(generated, result.text, stage)
    field = "revision" if kind == "revision" else f"options.{key}"
    changes = diff_bundles(before, after).changes
    if kind == "revision":
        assert after.applications[app].revision == value
    else:
        assert after.applications[app].options[key] == value
    assert all(c.application == app and c.field == field for c in changes)
    assert [c.new for c in changes] in ([value], [])


@KINDS
@given(data=st.data())
def test_bytes_change_only_on_the_value_line_or_one_line_is_inserted(kind: str, data: Any) -> None:
    generated, app, value, stage, key = data.draw(cases(kind))
    assume(not _refused(kind, generated, app, key))
    result = _edit(kind, generated, generated.text, app, value, stage, key)
    old, new = split_lines(generated.text), split_lines(result.text)
    if not result.changed:
        assert result.text == generated.text
    elif not result.inserted:
        assert len(old) == len(new)
        differing = [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        assert differing == [result.line]
        # The line ending survives, whatever it is.
        assert _ending(old[result.line - 1]) == _ending(new[result.line - 1])
    else:
        inserted = len(new) - len(old)
        # One line; two only when an options mapping had to be created too.
        creating_options = kind == "option" and generated.app(app).options == "absent"
        assert inserted == (2 if creating_options else 1)
        at = result.line - 1
        assert new[:at] + new[at + inserted :] == old or (
            # A last line without an ending gains one before the insertion.
            [line.rstrip("\r\n") for line in new[:at] + new[at + inserted :]]
            == [line.rstrip("\r\n") for line in old]
        )


@KINDS
@given(data=st.data())
def test_applying_an_edit_twice_equals_applying_it_once(kind: str, data: Any) -> None:
    generated, app, value, stage, key = data.draw(cases(kind))
    assume(not _refused(kind, generated, app, key))
    once = _edit(kind, generated, generated.text, app, value, stage, key)
    twice = _edit(kind, generated, once.text, app, value, stage, key)
    assert twice.text == once.text
    assert not twice.changed


@KINDS
@given(data=st.data())
def test_edits_to_different_applications_commute(kind: str, data: Any) -> None:
    generated, first, value, stage, key = data.draw(cases(kind, min_apps=2))
    second = data.draw(st.sampled_from([a.name for a in generated.apps if a.name != first]))
    other_value = (
        data.draw(st.integers(0, 100_000)) if kind == "revision" else data.draw(OPTION_VALUES)
    )
    assume(not _refused(kind, generated, first, key))
    assume(not _refused(kind, generated, second, key))
    one = _edit(kind, generated, generated.text, first, value, stage, key)
    one = _edit(kind, generated, one.text, second, other_value, stage, key)
    two = _edit(kind, generated, generated.text, second, other_value, stage, key)
    two = _edit(kind, generated, two.text, first, value, stage, key)
    for name in STAGES:
        assert _bundle(generated, one.text, name) == _bundle(generated, two.text, name)
    if one.text != two.text:
        # Two insertions at the same anchor can land in either order; nothing else may differ.
        assert sorted(split_lines(one.text)) == sorted(split_lines(two.text))


@KINDS
@given(data=st.data())
def test_the_text_edit_agrees_with_the_model_edit(kind: str, data: Any) -> None:
    generated, app, value, stage, key = data.draw(cases(kind))
    assume(not _refused(kind, generated, app, key))
    result = _edit(kind, generated, generated.text, app, value, stage, key)
    before = _bundle(generated, generated.text, stage)
    expected = before.replace_application(_expected(kind, before.applications[app], value, key))
    assert _bundle(generated, result.text, stage) == expected
    for name in result.stages:
        before_stage = _bundle(generated, generated.text, name)
        expected = before_stage.replace_application(
            _expected(kind, before_stage.applications[app], value, key)
        )
        assert _bundle(generated, result.text, name) == expected


@KINDS
@given(data=st.data())
def test_stages_that_do_not_render_the_edited_line_are_untouched(kind: str, data: Any) -> None:
    generated, app, value, stage, key = data.draw(cases(kind))
    assume(not _refused(kind, generated, app, key))
    result = _edit(kind, generated, generated.text, app, value, stage, key)
    assume(result.changed)
    edited = Template.from_text(result.text)
    original = Template.from_text(generated.text)
    start_line = result.line
    for name in STAGES:
        variables = mojo_variables(name, extra=generated.variables)
        rendered = edited.render(variables)
        lines_rendered = {edited.position(start)[0] for start, _end in rendered.data_offsets()}
        if start_line not in lines_rendered:
            assert rendered.text == original.render(variables).text
            assert name not in result.stages
        else:
            assert name in result.stages
