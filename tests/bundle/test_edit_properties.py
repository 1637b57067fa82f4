"""Property tests of the text-preserving edits, over templates as people write them.

The templates come from :mod:`lpsigning_mojo.testing.strategies` (overlays,
4-space indentation, YAML tags, loops, macros, lines shared by two
applications, LF, CRLF, bare CR and mixed line endings). For
``set_revision``, ``set_channel`` and ``set_option``:

#. the edited stage renders the new value and nothing else changes; an edit
   the generator knows must be refused is refused, for the reason it states;
#. bytes change only inside the value (its line keeps its comment, its
   quotes and its ending), or one line is inserted (two when ``options:``
   is created) with the line ending of the text around it;
#. an edit applied twice equals it applied once;
#. edits to different applications commute;
#. the text edit agrees with the same edit on the parsed model, for the
   stage named and every stage reported as affected;
#. stages that do not render the edited line render exactly as before;
#. a value equal in the model but of another type (``2`` over ``2.0``)
   still edits;
#. a diff of the bundles before and after reports exactly the edited field,
   and a revision or ``build_label`` edit alone is "release only".

Each example renders every stage several times, so each property runs three
tenths of the profile's examples: 150 under tox (the ``ci`` profile, 500), 15
in a plain ``pytest`` run (``dev``, 50).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lpsigning_mojo.bundle import (
    Template,
    diff_bundles,
    render_bundle,
    set_channel,
    set_option,
    set_revision,
)
from lpsigning_mojo.bundle.textedit import ending
from lpsigning_mojo.errors import EditError, UnknownApplicationError
from lpsigning_mojo.mojospec import mojo_variables
from lpsigning_mojo.policy import RULES, ReleasePolicy
from lpsigning_mojo.testing.strategies import (
    CHANNELS,
    OPTION_KEYS,
    STAGES,
    GeneratedTemplate,
    templates,
)
from lpsigning_mojo.yamlnodes import split_lines

#: These properties are about the text; the release rules edits enforce are tested apart.
TEXT_ONLY = ReleasePolicy(waived=frozenset(rule.code for rule in RULES))

OPTION_VALUES = st.one_of(
    st.integers(min_value=0, max_value=99_999),
    st.floats(min_value=0, max_value=1000, allow_nan=False).map(lambda x: round(x, 1)),
    st.booleans(),
    st.text(alphabet="abcdef0123456789-_ '\"", min_size=1, max_size=40).map(str.strip).filter(bool),
)
KINDS = pytest.mark.parametrize("kind", ["revision", "channel", "option"])
#: Each example renders every stage several times: three tenths of the profile's examples each.
EXAMPLES = settings(max_examples=max(5, settings.default.max_examples * 3 // 10))


class Case:
    """One edit: of ``field`` (``revision``, ``channel``, ``options.KEY``) of ``app``.

    ``second`` is another application whose same field can be edited too, when asked for.
    """

    def __init__(
        self,
        kind: str,
        generated: GeneratedTemplate,
        app: str,
        stage: str,
        key: str,
        value: Any,
        second: str | None = None,
    ) -> None:
        self.kind, self.generated, self.app, self.stage = kind, generated, app, stage
        self.key, self.value, self.second = key, value, second
        self.field = f"options.{key}" if kind == "option" else kind

    def __repr__(self) -> str:  # what Hypothesis shows of a failing case
        return (
            f"Case(kind={self.kind!r}, app={self.app!r}, stage={self.stage!r}, "
            f"key={self.key!r}, value={self.value!r}, second={self.second!r}, "
            f"text={self.generated.text!r})"
        )

    @property
    def refusal(self) -> str | None:
        return self.generated.refusal(self.field, self.app, self.stage)

    def edit(self, text: str | None = None, *, app: str | None = None, value: Any = None) -> Any:
        text = self.generated.text if text is None else text
        app = app or self.app
        value = self.value if value is None else value
        variables = self.generated.variables
        if self.kind == "revision":
            return set_revision(
                text, app, value, stage=self.stage, variables=variables, policy=TEXT_ONLY
            )
        if self.kind == "channel":
            return set_channel(
                text, app, value, stage=self.stage, variables=variables, policy=TEXT_ONLY
            )
        return set_option(
            text, app, self.key, value, stage=self.stage, variables=variables, policy=TEXT_ONLY
        )

    def current(self, bundle: Any) -> Any:
        application = bundle.applications[self.app]
        if self.kind == "option":
            return application.options.get(self.key)
        return getattr(application, self.kind)

    def expected(self, application: Any, value: Any = None) -> Any:
        value = self.value if value is None else value
        if self.kind == "revision":
            return application.with_revision(value)
        if self.kind == "channel":
            return application.with_channel(value)
        return application.with_option(self.key, value)


def values(kind: str) -> st.SearchStrategy[Any]:
    if kind == "revision":
        return st.integers(0, 100_000)
    if kind == "channel":
        return st.sampled_from(CHANNELS)
    return OPTION_VALUES


@st.composite
def cases(draw: Any, kind: str, *, editable: bool = True, pair: bool = False) -> Case:
    """An edit; ``editable``: one the generator knows must succeed (else any).

    ``pair``: with a second application whose same field can be edited too.
    """
    generated = draw(templates(min_apps=2 if pair else 1))
    stage = draw(st.sampled_from(STAGES))
    targets = []
    for app in generated.apps:
        keys = [field.removeprefix("options.") for field in app.written if "." in field]
        # Mostly keys the application has (often per stage), sometimes one to add.
        for key in keys * 3 + list(OPTION_KEYS):
            targets.append((app.name, key))
    if editable:
        field = (lambda key: f"options.{key}") if kind == "option" else (lambda key: kind)
        targets = [(a, k) for a, k in targets if generated.refusal(field(k), a, stage) is None]
    if pair:
        targets = [(a, k) for a, k in targets if any(b != a and j == k for b, j in targets)]
    assume(targets)
    app, key = draw(st.sampled_from(targets))
    second = None
    if pair:
        second = draw(st.sampled_from(sorted({b for b, j in targets if b != app and j == key})))
    return Case(kind, generated, app, stage, key, draw(values(kind)), second)


def bundle(case: Case, text: str, stage: str | None = None) -> Any:
    return render_bundle(Template.from_text(text), stage or case.stage, case.generated.variables)[1]


def same(a: Any, b: Any) -> bool:
    return bool(a == b and type(a) is type(b))


@KINDS
@EXAMPLES
@given(data=st.data())
def test_the_stage_renders_the_new_value_and_nothing_else_changes(kind: str, data: Any) -> None:
    case = data.draw(cases(kind, editable=False))
    if case.refusal is not None and "no application" in case.refusal:
        with pytest.raises(UnknownApplicationError, match=f"has no application '{case.app}'"):
            case.edit()
        return
    before = bundle(case, case.generated.text)
    if case.refusal is not None:
        if same(case.current(before), case.value):
            # Already the value asked for: nothing to edit, so nothing to refuse.
            assert case.edit().changed is False
        else:
            # Refused, and for the reason the generator knows.
            with pytest.raises(EditError) as info:
                case.edit()
            assert case.refusal in str(info.value)
        return
    result = case.edit()
    after = bundle(case, result.text)
    assert same(case.current(after), case.value)
    changes = diff_bundles(before, after).changes
    assert all(c.application == case.app and c.field == case.field for c in changes)
    assert [c.new for c in changes] in ([case.value], [])


@KINDS
@EXAMPLES
@given(data=st.data())
def test_bytes_change_only_inside_the_value_or_one_line_is_inserted(kind: str, data: Any) -> None:
    case = data.draw(cases(kind))
    result = case.edit()
    text = case.generated.text
    old, new = split_lines(text), split_lines(result.text)
    if not result.changed:
        assert result.text == text
    elif not result.inserted:
        assert len(old) == len(new)
        differing = [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        assert differing == [result.line]
        before, after = old[result.line - 1], new[result.line - 1]
        # The line keeps its ending, and what follows the value: its comment.
        assert ending(before) == ending(after)
        written = case.generated.app(case.app).written.get(case.field)
        if written is not None and written.comment:
            assert before.rstrip("\r\n").endswith(written.comment)
            assert after.rstrip("\r\n").endswith(written.comment)
        # A quoted string stays quoted the same way: the value after "KEY: " opens with it.
        if written is not None and written.quote and isinstance(case.value, str):
            assert before.split(f"{case.key}: ", 1)[1].startswith(written.quote)
            assert after.split(f"{case.key}: ", 1)[1].startswith(written.quote)
    else:
        inserted = len(new) - len(old)
        # One line; two only when an options mapping had to be created too.
        app = case.generated.app(case.app)
        creating_options = kind == "option" and app.options == "absent"
        assert inserted == (2 if creating_options else 1)
        at = result.line - 1
        rest = new[:at] + new[at + inserted :]
        if rest != old:
            # A last line without an ending gains one, before the insertion after it.
            assert not ending(old[-1])
            assert rest[:-1] == old[:-1]
            assert rest[-1] == old[-1] + ending(rest[-1])
        # The inserted lines end as the text around them does.
        eol = ending(new[at])
        assert eol in {ending(line) for line in old if ending(line)}
        assert all(ending(line) == eol for line in new[at : at + inserted])
        neighbours = {ending(line) for line in (new[at - 1 : at] + new[at + inserted :][:1])}
        assert eol in neighbours


@KINDS
@EXAMPLES
@given(data=st.data())
def test_applying_an_edit_twice_equals_applying_it_once(kind: str, data: Any) -> None:
    case = data.draw(cases(kind))
    once = case.edit()
    twice = case.edit(once.text)
    assert twice.text == once.text
    assert not twice.changed


@KINDS
@EXAMPLES
@given(data=st.data())
def test_edits_to_different_applications_commute(kind: str, data: Any) -> None:
    case = data.draw(cases(kind, pair=True))
    second = case.second
    assert second is not None
    other_value = data.draw(values(kind))
    one = case.edit()
    one = case.edit(one.text, app=second, value=other_value)
    two = case.edit(app=second, value=other_value)
    two = case.edit(two.text)
    for name in STAGES:
        assert bundle(case, one.text, name) == bundle(case, two.text, name)
    if one.text != two.text:
        # Two insertions at the same anchor can land in either order; nothing else may differ.
        assert sorted(split_lines(one.text)) == sorted(split_lines(two.text))


@KINDS
@EXAMPLES
@given(data=st.data())
def test_the_text_edit_agrees_with_the_model_edit(kind: str, data: Any) -> None:
    case = data.draw(cases(kind))
    result = case.edit()
    before = bundle(case, case.generated.text)
    expected = before.replace_application(case.expected(before.applications[case.app]))
    assert bundle(case, result.text) == expected
    for name in result.stages:
        before_stage = bundle(case, case.generated.text, name)
        expected = before_stage.replace_application(
            case.expected(before_stage.applications[case.app])
        )
        assert bundle(case, result.text, name) == expected


@KINDS
@EXAMPLES
@given(data=st.data())
def test_stages_that_do_not_render_the_edited_line_are_untouched(kind: str, data: Any) -> None:
    case = data.draw(cases(kind))
    result = case.edit()
    if not result.changed:
        assert result.stages == ()
        return
    edited = Template.from_text(result.text)
    original = Template.from_text(case.generated.text)
    assert case.stage in result.stages
    for name in STAGES:
        variables = mojo_variables(name, extra=case.generated.variables)
        rendered = edited.render(variables)
        lines_rendered = {edited.position(start)[0] for start, _end in rendered.data_offsets()}
        if result.line not in lines_rendered:
            assert rendered.text == original.render(variables).text
            assert name not in result.stages
        else:
            assert name in result.stages


@EXAMPLES
@given(data=st.data())
def test_a_value_equal_in_the_model_but_of_another_type_still_edits(data: Any) -> None:
    case = data.draw(cases("option"))
    first, twin = data.draw(
        st.sampled_from([(2.0, 2), (2, 2.0), (True, 1), (1, True), (False, 0), (0, False)])
    )
    result = case.edit(value=first)
    assert same(case.current(bundle(case, result.text)), first)
    again = case.edit(result.text, value=twin)
    assert again.changed
    assert same(case.current(bundle(case, again.text)), twin)


@KINDS
@EXAMPLES
@given(data=st.data())
def test_a_diff_of_the_edit_names_that_field_alone_and_classifies_it(kind: str, data: Any) -> None:
    case = data.draw(cases(kind))
    before = bundle(case, case.generated.text)
    value = case.value
    if value == case.current(before):  # a value the model tells apart, of the same kind
        value = CHANNELS[(CHANNELS.index(value) + 2) % 4] if kind == "channel" else f"{value}x"
        value = value if kind != "revision" else case.value + 1
    after = bundle(case, case.edit(value=value).text)
    diff = diff_bundles(before, after)
    assert [(c.application, c.field, c.new) for c in diff.changes] == [
        (case.app, case.field, value)
    ]
    assert not diff.added
    assert not diff.removed
    # A release changes a revision, or sets build_label to a label: text or a
    # number (a commit id may read as one), never a float, a bool or nothing.
    label = isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip()
    release = case.field == "revision" or (case.field == "options.build_label" and bool(label))
    assert diff.release_only is release
    assert diff.classification == ("release only" if release else "other changes")
