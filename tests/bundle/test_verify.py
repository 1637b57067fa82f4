"""The check after an edit refuses what it must, for the reason it states.

The edits never hand it most of these (they refuse earlier); a caller of
:mod:`lpsigning_mojo.bundle.verify` might, and then the check is the last guard.
"""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle.template import Template
from lpsigning_mojo.bundle.verify import Check, verify_insertion, verify_replacement
from lpsigning_mojo.errors import EditError

TEXT = """\
applications:
  a:
    charm: a
    channel: latest/edge
    revision: 3
{%- if stage_name == "production" %}
    num_units: 2
{%- endif %}
"""


def check(stage: str = "staging", text: str = TEXT) -> Check:
    return Check(
        Template.from_text(text, path="b.yaml"),
        "a",
        lambda app: app.with_revision(4),
        stage=stage,
        stages=("production", "staging", "devel"),
        variables=None,
        what="a revision",
        line=5,
    )


def refusal(error: EditError) -> tuple[str, str | None, int | None, str | None]:
    return (error.message, error.path, error.line, error.hint)


def test_an_insertion_that_breaks_the_template_is_refused() -> None:
    with pytest.raises(EditError) as info:
        verify_insertion(check(), TEXT + "{% if %}\n")
    message, path, line, _hint = refusal(info.value)
    assert message.startswith("the edit would break the template: Jinja2 syntax error")
    assert (path, line) == ("b.yaml", 5)


def test_an_insertion_that_changes_nothing_in_the_stage_is_refused() -> None:
    with pytest.raises(EditError) as info:
        verify_insertion(check(), TEXT)
    assert refusal(info.value) == (
        "setting a revision would not change the value in stage staging",
        "b.yaml",
        5,
        "edit the template by hand",
    )


def test_an_insertion_that_breaks_another_stage_is_refused_naming_it() -> None:
    broken = TEXT.replace("    num_units: 2\n", "    num_units: {{ nope }}\n").replace(
        "    revision: 3\n", "    revision: 4\n"
    )
    with pytest.raises(EditError) as info:
        verify_insertion(check(), broken)
    message, path, line, hint = refusal(info.value)
    assert message.startswith(
        "setting a revision would break the template (undefined template variable"
    )
    assert message.endswith("in stage production")
    assert (path, line, hint) == ("b.yaml", 5, "edit the template by hand")


def test_an_insertion_checks_every_stage_after_one_that_does_not_render() -> None:
    text = TEXT.replace("    num_units: 2\n", "    num_units: {{ units }}\n")
    # production does not render (no units): unchecked; devel and staging are checked.
    done = verify_insertion(check(text=text), text.replace("revision: 3", "revision: 4"))
    assert done == (("staging", "devel"), ("production",))


def test_a_replacement_the_stage_does_not_render_is_refused() -> None:
    rendered = Template.from_text(TEXT).render({"stage_name": "staging"})
    production_only = TEXT.index("num_units: 2") + len("num_units: ")
    with pytest.raises(EditError) as info:
        verify_replacement(
            check(), run_start=production_only, offset=production_only, old="2", new="3"
        )
    assert info.value.message == "setting a revision would not change the value in stage staging"
    assert rendered.copies(production_only) == []


def _revision_run(text: str) -> tuple[int, int]:
    rendered = Template.from_text(text).render({"stage_name": "staging"})
    line = next(i for i, row in enumerate(rendered.text.split("\n"), 1) if "revision" in row)
    origin = rendered.origin(line, rendered.line_text(line).index("3") + 1)
    assert origin is not None
    return origin.run_start, origin.offset


@pytest.mark.parametrize(
    "text",
    [TEXT, "applications: {a: {charm: a, channel: latest/edge, revision: 3}}\n"],
    ids=["block", "flow"],  # the application's block checked alone, or the whole bundle
)
def test_a_replacement_that_gives_another_value_than_the_edit_is_refused(text: str) -> None:
    run_start, offset = _revision_run(text)
    wrong = Check(
        Template.from_text(text, path="b.yaml"),
        "a",
        lambda app: app.with_revision(5),  # the edit meant 5; the text is about to say 4
        stage="staging",
        stages=("staging",),
        variables=None,
        what="a revision",
        line=5,
    )
    with pytest.raises(EditError) as info:
        verify_replacement(wrong, run_start=run_start, offset=offset, old="3", new="4")
    assert refusal(info.value) == (
        "setting a revision would also change other values in stage staging",
        "b.yaml",
        5,
        "edit the template by hand",
    )
    good = check(stage="staging", text=text)
    assert verify_replacement(good, run_start=run_start, offset=offset, old="3", new="4") == (
        ("staging", "production", "devel"),
        (),
    )


@pytest.mark.parametrize(
    ("production", "unchecked"),
    [
        ("    revision: 9\n", ()),  # production does not copy the edited text
        ("    revision: {{ nope }}\n", ("production",)),  # production does not render
    ],
)
def test_a_replacement_checks_the_stages_after_one_it_skips(
    production: str, unchecked: tuple[str, ...]
) -> None:
    text = (
        "applications:\n  a:\n    charm: a\n    channel: latest/edge\n"
        '{%- if stage_name == "production" %}\n' + production + "{%- else %}\n"
        "    revision: 3\n{%- endif %}\n"
    )
    run_start, offset = _revision_run(text)
    done = verify_replacement(
        check(text=text), run_start=run_start, offset=offset, old="3", new="4"
    )
    assert done == (("staging", "devel"), unchecked)
