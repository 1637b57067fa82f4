"""The contracts of the edit functions: what they refuse, why, and what they pass on."""

from __future__ import annotations

from typing import Any

import pytest

from lpsigning_mojo.bundle import Template, render_bundle, set_channel, set_option, set_revision
from lpsigning_mojo.errors import EditError, TemplateError, UnknownApplicationError, YamlError

BUNDLE = """\
applications:
  nrpe:
    charm: nrpe
{%- if pinned %}
    channel: latest/stable
    revision: 3
{%- endif %}
"""
VARIABLES = {"pinned": True}  # without it, the template does not render


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        (-1, "a charm revision is a whole number of 0 or more, not -1"),
        (True, "a charm revision is a whole number of 0 or more, not True"),
        ("4", "a charm revision is a whole number of 0 or more, not '4'"),
    ],
)
def test_a_revision_that_is_not_a_whole_number_is_refused(revision: Any, message: str) -> None:
    with pytest.raises(EditError) as info:
        set_revision(BUNDLE, "nrpe", revision, stage="staging", variables=VARIABLES)
    assert info.value.message == message


@pytest.mark.parametrize("channel", ["", "  ", "latest/\nstable", 3, None])
def test_a_channel_that_is_not_a_name_is_refused(channel: Any) -> None:
    with pytest.raises(EditError) as info:
        set_channel(BUNDLE, "nrpe", channel, stage="staging", variables=VARIABLES)
    assert info.value.message == (f"a channel is a name such as 'latest/stable', not {channel!r}")


def test_an_option_value_must_be_a_scalar_on_one_line() -> None:
    with pytest.raises(EditError) as info:
        set_option(BUNDLE, "nrpe", "k", ["a"], stage="staging", variables=VARIABLES)  # type: ignore[arg-type]
    assert info.value.message == "an option value is a string, number or boolean, not ['a']"
    with pytest.raises(EditError) as info:
        set_option(BUNDLE, "nrpe", "k", "a\nb", stage="staging", variables=VARIABLES)
    assert info.value.message == "an option value set this way must fit on one line"


@pytest.mark.parametrize("value", ["{{ x }}", "a {% b", "{# c"])
def test_a_value_with_jinja_delimiters_is_refused(value: str) -> None:
    with pytest.raises(EditError) as info:
        set_option(BUNDLE, "nrpe", "k", value, stage="staging", variables=VARIABLES)
    assert str(info.value) == (
        "the value for nrpe options.k holds Jinja2 delimiters ('{{', '{%' or '{#'). "
        "Edit the template by hand if the value really needs them."
    )


def test_an_application_that_is_not_a_mapping_is_refused_by_name() -> None:
    with pytest.raises(EditError) as info:
        set_revision("applications:\n  a: 5\n", "a", 4, stage="staging", path="b.yaml")
    assert str(info.value) == (
        "b.yaml: application 'a' is not a mapping. Write its fields (charm:, channel:, ...) "
        "under its name."
    )


def test_an_edit_of_a_bundle_that_is_not_valid_yaml_names_the_stage_and_the_line() -> None:
    text = "applications:\n  a:\n    charm: a\n    revision: 1\n  a: {}\n"
    with pytest.raises(YamlError) as info:
        set_revision(text, "a", 2, stage="staging", path="b.yaml")
    error = info.value
    assert error.message == (
        "duplicate key 'a' (first at line 2); YAML loaders silently keep only the last one "
        "(stage staging)"
    )
    assert (error.path, error.line, error.column) == ("b.yaml", 5, 3)


def test_variables_stages_and_path_are_passed_on_by_every_edit() -> None:
    for edit, value in (
        (set_channel, "latest/edge"),
        (set_option, "v"),
        (set_revision, 4),
    ):
        args: tuple[Any, ...] = ("nrpe", "k", value) if edit is set_option else ("nrpe", value)
        result = edit(BUNDLE, *args, stage="staging", stages=["staging"], variables=VARIABLES)
        assert result.stages == ("staging",)
        rendered = render_bundle(Template.from_text(result.text), "staging", VARIABLES)[1]
        assert (
            rendered.applications["nrpe"]
            != render_bundle(Template.from_text(BUNDLE), "staging", VARIABLES)[1].applications[
                "nrpe"
            ]
        )
        with pytest.raises(UnknownApplicationError) as info:
            edit(BUNDLE, "nope", *args[1:], stage="staging", variables=VARIABLES, path="b.yaml")
        assert info.value.path == "b.yaml"


def test_a_yaml_error_points_at_the_template_lines_not_the_rendered_ones() -> None:
    # The if line vanishes from the rendering: rendered lines 3 and 4 are template lines 4, 5.
    text = "# c\n{%- if true %}\napplications:\n  a: {charm: a}\n  a: {charm: b}\n{%- endif %}\n"
    with pytest.raises(YamlError) as info:
        render_bundle(Template.from_text(text, path="b.yaml"), "staging")
    error = info.value
    assert (error.path, error.line, error.column) == ("b.yaml", 5, 3)
    assert error.message == (
        "duplicate key 'a' (first at line 4); YAML loaders silently keep only the last one "
        "(stage staging)"
    )
    assert error.hint == "remove one of them"


def test_a_duplicate_key_names_the_template_line_where_the_first_one_starts() -> None:
    # The first "ab" is written over two template lines: its line is where it starts.
    text = "a{#\n#}b: 1\nab: 2\napplications: {}\n"
    with pytest.raises(YamlError) as info:
        render_bundle(Template.from_text(text, path="b.yaml"), "staging")
    assert str(info.value) == (
        "b.yaml:3:1: duplicate key 'ab' (first at line 1); YAML loaders silently keep only "
        "the last one (stage staging). Remove one of them."
    )


def test_a_yaml_error_past_the_last_line_has_a_line_and_no_column() -> None:
    with pytest.raises(YamlError) as info:
        render_bundle(Template.from_text("applications:\n  a: {charm: a\n", path="b.yaml"), "s")
    assert (info.value.line, info.value.column) == (3, None)
    assert info.value.message.endswith("(stage s)")
    assert info.value.hint == "fix the YAML at that position"


def test_a_yaml_error_in_a_rendering_that_cannot_be_mapped_names_the_rendered_line() -> None:
    # A filter that measures text: the rendering cannot be traced back to the template.
    text = "{% set block %}abc{% endset %}applications:\n  x: {{ block | length }}\n  x: 2\n"
    with pytest.raises(YamlError) as info:
        render_bundle(Template.from_text(text, path="b.yaml"), "staging")
    error = info.value
    assert error.message == (
        "duplicate key 'x' (first at line 2); YAML loaders silently keep only the last one "
        "(line 3 of the bundle rendered for staging)"
    )
    assert (error.path, error.line, error.column) == ("b.yaml", None, None)
    assert error.hint == "remove one of them"


def test_a_stage_that_renders_no_bundle_says_so_and_which_stage() -> None:
    text = "{%- if stage_name == 'production' %}\napplications: {a: {charm: a}}\n{%- endif %}\n"
    with pytest.raises(YamlError) as info:
        render_bundle(Template.from_text(text, path="b.yaml"), "staging")
    assert str(info.value) == (
        "b.yaml: the bundle is empty (stage staging). Add an applications mapping."
    )
    assert (info.value.line, info.value.column) == (None, None)


def test_a_rendered_bundle_names_its_template_in_its_errors() -> None:
    template = Template.from_text("applications: {a: {charm: a}}\n", path="b.yaml")
    bundle = render_bundle(template, "staging")[1]
    with pytest.raises(UnknownApplicationError) as info:
        bundle.application("b")
    assert str(info.value) == "b.yaml: the bundle has no application 'b'; its applications are: a."


def test_a_line_inserted_before_an_unterminated_last_line_ends_as_its_neighbours() -> None:
    # The first line ends in LF, the others in CRLF; the last has no ending.
    text = (
        "series: jammy\n"
        "applications:\r\n  a:\r\n    charm: a\r\n    options:\r\n      port: {{ port }}"
    )
    result = set_option(text, "a", "workers", 4, stage="staging", variables={"port": 1})
    assert result.inserted
    assert result.text == (
        "series: jammy\n"
        "applications:\r\n  a:\r\n    charm: a\r\n    options:\r\n      workers: 4\r\n"
        "      port: {{ port }}"
    )


def test_a_line_inserted_after_an_unterminated_last_line_ends_both_as_their_neighbours() -> None:
    text = "series: jammy\napplications:\r\n  a:\r\n    charm: a\r\n    revision: 3"
    result = set_option(text, "a", "port", 4, stage="staging")
    assert result.text == (
        "series: jammy\napplications:\r\n  a:\r\n    charm: a\r\n    revision: 3\r\n"
        "    options:\r\n      port: 4\r\n"
    )


def test_a_refusal_after_checking_the_stages_names_the_stage_the_line_and_what_to_do() -> None:
    # One block is lp-signing in production and lp-signing-edge elsewhere: editing its
    # shared line for production would change another application in staging.
    text = (
        "applications:\n"
        '{%- if stage_name == "production" %}\n'
        "  lp-signing:\n"
        "{%- else %}\n"
        "  lp-signing-edge:\n"
        "{%- endif %}\n"
        "    charm: lp-signing\n"
        "    channel: latest/edge\n"
        "    revision: 3\n"
    )
    with pytest.raises(EditError) as info:
        set_revision(text, "lp-signing", 4, stage="production", path="b.yaml")
    error = info.value
    assert error.message == (
        "setting lp-signing revision would change an application it did not edit in stage staging"
    )
    assert (error.path, error.line, error.hint) == ("b.yaml", 9, "edit the template by hand")
    # The same for an insertion, at the line it would insert.
    with pytest.raises(EditError) as info:
        set_option(text, "lp-signing", "port", 80, stage="production", path="b.yaml")
    error = info.value
    assert error.message == (
        "setting lp-signing options.port would change an application it did not edit in "
        "stage staging"
    )
    assert (error.path, error.line, error.hint) == ("b.yaml", 10, "edit the template by hand")


DEVEL_ONLY = """\
applications:
  a:
    charm: a
    channel: latest/edge
    revision: 3
{%- if stage_name == "devel" %}
    num_units: {{ devel_units }}
{%- endif %}
"""


@pytest.mark.parametrize(
    "edit",
    [
        lambda: set_revision(DEVEL_ONLY, "a", 4, stage="staging"),  # a replacement
        lambda: set_option(DEVEL_ONLY, "a", "port", 4, stage="staging"),  # an insertion
    ],
    ids=["replace", "insert"],
)
def test_a_stage_that_does_not_render_is_reported_unchecked_not_changed(edit: Any) -> None:
    result = edit()
    assert result.changed
    assert result.unchecked == ("devel",)
    assert sorted(result.stages) == ["production", "staging"]


def test_an_edit_in_json_says_what_it_set_where_which_stages_and_the_diff() -> None:
    result = set_revision(DEVEL_ONLY, "a", 4, stage="staging", path="b.yaml")
    assert result.to_json() == {
        "path": "b.yaml",
        "stage": "staging",
        "application": "a",
        "field": "revision",
        "old": 3,
        "new": 4,
        "changed": True,
        "line": 5,
        "inserted": False,
        "stages": ["staging", "production"],
        "unchecked": ["devel"],
        "diff": (
            "--- a/b.yaml\n+++ b/b.yaml\n@@ -2,7 +2,7 @@\n   a:\n     charm: a\n"
            "     channel: latest/edge\n-    revision: 3\n+    revision: 4\n"
            ' {%- if stage_name == "devel" %}\n     num_units: {{ devel_units }}\n'
            " {%- endif %}\n"
        ),
    }


def test_an_edit_that_changes_nothing_says_so_in_json_without_a_diff() -> None:
    result = set_option(BUNDLE, "nrpe", "port", 80, stage="staging", variables=VARIABLES)
    again = set_option(
        result.text, "nrpe", "port", 80, stage="staging", variables=VARIABLES, path="b.yaml"
    )
    assert again.to_json() == {
        "path": "b.yaml",
        "stage": "staging",
        "application": "nrpe",
        "field": "options.port",
        "old": 80,
        "new": 80,
        "changed": False,
        "line": 8,
        "inserted": False,
        "stages": [],
        "unchecked": [],
        "diff": "",
    }
    assert again.text == result.text


def test_an_edit_without_a_path_shows_its_diff_for_bundle_yaml() -> None:
    result = set_option(BUNDLE, "nrpe", "port", 80, stage="staging", variables=VARIABLES)
    assert result.diff().startswith("--- a/bundle.yaml\n+++ b/bundle.yaml\n@@ ")


def test_a_rendering_that_cannot_be_traced_to_the_template_is_not_edited() -> None:
    text = (
        "{% set block %}abc{% endset %}applications:\n"
        "  a: {charm: a, revision: {{ block | length }}}\n"
    )
    with pytest.raises(EditError) as info:
        set_revision(text, "a", 4, stage="staging", path="b.yaml")
    assert str(info.value) == (
        "b.yaml: cannot trace the rendered bundle back to the template (a filter rewrites "
        "text). Make this edit by hand."
    )


def test_the_stage_asked_for_must_render() -> None:
    with pytest.raises(TemplateError, match="undefined template variable"):
        set_revision(DEVEL_ONLY, "a", 4, stage="devel")


_HEAD = "applications:\n  a:\n    charm: a\n    channel: latest/edge\n"
_LOOP = (
    "applications:\n{%- for n in ['a', 'b'] %}\n  {{ n }}:\n    charm: x\n"
    "    channel: latest/edge\n    revision: 3\n{%- endfor %}\n"
)


@pytest.mark.parametrize(
    ("text", "field", "refusal"),
    [
        (
            "x: &r 3\n" + _HEAD + "    revision: *r\n",
            "revision",
            (
                "a revision is a YAML alias",
                6,
                None,
                "edit the anchored value it refers to, or write the value out",
            ),
        ),
        (
            _HEAD + "    options:\n      port: {a: 1}\n",
            "port",
            ("a options.port is not a single value", 6, None, "edit the template by hand"),
        ),
        (
            _HEAD + "    options:\n      port: >\n        abc\n",
            "port",
            (
                "a options.port spans several lines",
                6,
                None,
                "write it on one line, then edit again",
            ),
        ),
        (
            _HEAD + "    revision: !!int 3\n",
            "revision",
            (
                "a revision carries a YAML anchor or tag (!!int)",
                5,
                None,
                "remove the anchor or tag, or edit the value by hand",
            ),
        ),
        (
            _HEAD + "    revision: {{ 3 }}\n",
            "revision",
            (
                "a revision comes from a Jinja expression",
                5,
                15,
                "edit the expression or the variable it uses instead",
            ),
        ),
        (
            _HEAD + "    options:\n      port: ab{{ '' }}cd\n",
            "port",
            (
                "a options.port is assembled from several places in the template",
                6,
                None,
                "edit the template by hand",
            ),
        ),
        (
            _LOOP,
            "revision",
            (
                "a revision is written by a loop or macro that repeats it",
                6,
                None,
                "edit the template by hand",
            ),
        ),
    ],
    ids=["alias", "mapping", "folded", "tag", "expression", "assembled", "loop"],
)
def test_each_refusal_says_why_where_and_what_to_do_instead(
    text: str, field: str, refusal: tuple[str, int, int | None, str]
) -> None:
    def edit() -> object:
        if field == "revision":
            return set_revision(text, "a", 4, stage="staging", path="b.yaml")
        return set_option(text, "a", field, "v", stage="staging", path="b.yaml")

    with pytest.raises(EditError) as info:
        edit()
    error = info.value
    assert (error.message, error.line, error.column, error.hint) == refusal
    assert error.path == "b.yaml"


@pytest.mark.parametrize(
    ("text", "field", "refusal"),
    [
        (
            "applications:\n  a:\n    charm: a\n    options: {x: 1}\n",
            "port",
            (
                "cannot add a options.port: the mapping it belongs in is written in flow style",
                4,
                "add 'port: ...' there by hand",
            ),
        ),
        (
            "applications:\n  a: {charm: a}\n",
            "revision",
            (
                "cannot add a revision: the mapping it belongs in is written in flow style",
                2,
                "add 'revision: ...' there by hand",
            ),
        ),
        (
            "{% macro o() %}\n      x: 1\n{%- endmacro %}\n"
            "applications:\n  a:\n    charm: a\n    options:\n{{ o() }}\n",
            "port",
            (
                "cannot add a options.port: the keys around it are not written in the template",
                8,
                "add it by hand",
            ),
        ),
        (
            "applications:\n  a:\n    charm: a\n    options: 3\n",
            "port",
            (
                "a options is not a mapping written in the template",
                4,
                "add port where the options come from",
            ),
        ),
    ],
    ids=["flow-options", "flow-application", "macro", "not-a-mapping"],
)
def test_each_refused_insertion_says_why_where_and_what_to_do_instead(
    text: str, field: str, refusal: tuple[str, int, str]
) -> None:
    def edit() -> object:
        if field == "revision":
            return set_revision(text, "a", 4, stage="staging", path="b.yaml")
        return set_option(text, "a", field, 5, stage="staging", path="b.yaml")

    with pytest.raises(EditError) as info:
        edit()
    error = info.value
    assert (error.message, error.line, error.hint) == refusal
    assert error.path == "b.yaml"
