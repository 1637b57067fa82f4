"""Rendering bundle templates, and mapping rendered text back to the template."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle.template import Template, error_in_template
from lpsigning_mojo.errors import EditError, TemplateError
from lpsigning_mojo.mojospec import mojo_variables

TEMPLATE = """\
{%- macro base_options() %}
      port: 8000
      workers: 2
{%- endmacro %}
applications:
  lp-signing:
    charm: lp-signing
    {%- if stage_name == "production" %}
    revision: 42  # pinned
    {%- else %}
    revision: {{ revision }}
    {%- endif %}
    options: {{ base_options() }}
"""


def render(stage: str, **extra: object) -> object:
    return Template.from_text(TEMPLATE, path="bundle.yaml").render(
        mojo_variables(stage, extra={"revision": 7, **extra})
    )


def test_rendering_follows_the_stage_branch() -> None:
    template = Template.from_text(TEMPLATE)
    production = template.render(mojo_variables("production", extra={"revision": 7}))
    staging = template.render(mojo_variables("staging", extra={"revision": 7}))
    assert "revision: 42  # pinned" in production.text
    assert "revision: 7" in staging.text
    assert "revision: 42" not in staging.text


def test_each_rendered_character_maps_to_the_template_character_that_wrote_it() -> None:
    rendered = Template.from_text(TEMPLATE).render(mojo_variables("production"))
    lines = rendered.text.split("\n")
    number = next(i for i, line in enumerate(lines, 1) if "revision" in line)
    origin = rendered.origin(number, lines[number - 1].index("42") + 1)
    assert origin is not None
    assert (origin.kind, origin.line, origin.column) == ("data", 9, 15)


def test_values_from_an_expression_map_to_the_expression() -> None:
    rendered = Template.from_text(TEMPLATE).render(mojo_variables("staging", extra={"revision": 7}))
    lines = rendered.text.split("\n")
    number = next(i for i, line in enumerate(lines, 1) if "revision" in line)
    origin = rendered.origin(number, lines[number - 1].index("7") + 1)
    assert origin is not None
    assert (origin.kind, origin.line, origin.column) == ("expression", 11, 15)
    # The key on the same line is still copied text from line 11.
    key = rendered.origin(number, 5)
    assert key is not None
    assert (key.kind, key.line) == ("data", 11)


def test_every_line_a_macro_writes_maps_to_the_line_that_calls_it() -> None:
    rendered = Template.from_text(TEMPLATE).render(mojo_variables("production"))
    lines = rendered.text.split("\n")
    written = [
        number
        for number, line in enumerate(lines, 1)
        if line.strip().startswith(("port:", "workers:"))
    ]
    assert len(written) == 2  # the macro's two lines are there to check
    for number in written:
        origins = rendered.origins(number)
        assert {(o.kind, o.line) for o in origins if o is not None} == {("expression", 13)}


def test_crlf_templates_map_to_the_same_lines() -> None:
    crlf = TEMPLATE.replace("\n", "\r\n")
    rendered = Template.from_text(crlf).render(mojo_variables("production"))
    assert rendered.mapped
    lines = rendered.text.split("\n")
    number = next(i for i, line in enumerate(lines, 1) if "revision" in line)
    assert rendered.template_line(number) == 9


def test_a_loop_repeats_its_text_and_says_so() -> None:
    template = Template.from_text(
        "applications:\n{% for name in ['a', 'b', 'c'] %}\n"
        "  {{ name }}:\n    charm: x\n{% endfor %}\n"
    )
    rendered = template.render({})
    offset = template.text.index("charm")
    places = rendered.copies(offset - 4)
    assert len(places) == 3  # each time the loop copies the text, in order
    assert places == sorted(set(places))


def test_a_filter_that_rewrites_text_makes_mapping_unavailable_not_wrong() -> None:
    template = Template.from_text(
        "{% set block %}abc{% endset %}applications: {x: {{ block | length }}}\n"
    )
    rendered = template.render({})
    assert rendered.text == "applications: {x: 3}\n"
    assert not rendered.mapped
    assert rendered.origins(1) == []


def test_undefined_variable_is_an_error_naming_the_line() -> None:
    template = Template.from_text("a: 1\nb: {{ nope }}\n", path="bundle.yaml")
    with pytest.raises(TemplateError) as caught:
        template.render(mojo_variables("staging"))
    assert caught.value.line == 2
    assert str(caught.value).startswith("bundle.yaml:2: undefined template variable")
    assert "'nope' is undefined" in str(caught.value)


def test_jinja_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateError) as caught:
        Template.from_text("a: 1\nb: 2\nc: {{ a b }}\n", path="bundle.yaml")
    assert str(caught.value).startswith("bundle.yaml:3: Jinja2 syntax error:")
    # An unclosed block points at the block that needs closing.
    with pytest.raises(TemplateError) as caught:
        Template.from_text("a: 1\n{% if x %}\nb: 2\n", path="bundle.yaml")
    assert caught.value.line == 2
    assert "endif" in str(caught.value)


def test_control_characters_are_refused_with_their_line() -> None:
    with pytest.raises(TemplateError) as caught:
        Template.from_text("a: 1\nb: \x01\n", path="bundle.yaml")
    assert caught.value.line == 2
    assert "U+0001" in str(caught.value)


def test_a_control_character_is_refused_with_its_line_counted_from_the_start() -> None:
    with pytest.raises(TemplateError) as caught:
        Template.from_text("\n# a\n\x01: 1\n\n\n\n", path="bundle.yaml")
    assert str(caught.value) == (
        "bundle.yaml:3: the file holds a control character (U+0001), which YAML does not "
        "allow. Remove it."
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "{% for i in [1] %}" * 25 + "a: 1" + "{% endfor %}" * 25 + "\n",
            "too many statically nested blocks",
        ),
        ("a: {{ " + "(" * 3000 + "1" + ")" * 3000 + " }}\n", "Python's recursion limit"),
    ],
    ids=["blocks", "expression"],
)
def test_a_template_nested_deeper_than_jinja2_can_compile_says_to_flatten_it(
    text: str, reason: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        Template.from_text(text, path="bundle.yaml")
    assert str(caught.value) == (
        "bundle.yaml: the template nests blocks or expressions deeper than Jinja2 can "
        f"compile ({reason}). Flatten the nested blocks or expressions."
    )


def test_whitespace_control_is_unchanged_by_markers() -> None:
    # Trailing spaces before a {%- tag are stripped in both renderings alike.
    text = "a: 1   \n\n   {%- if true %}\nb: 2\n{%- endif %}\n"
    rendered = Template.from_text(text).render({})
    assert rendered.mapped
    assert rendered.text == "a: 1\nb: 2\n"


# -- placing a rendered position in the template (edit errors and lint findings) --


def test_place_gives_the_template_character_that_wrote_a_position() -> None:
    rendered = Template.from_text(TEMPLATE).render(mojo_variables("staging", extra={"revision": 7}))
    lines = rendered.text.split("\n")
    number = next(i for i, line in enumerate(lines, 1) if "revision" in line)
    assert rendered.place(number, 5) == (11, 5)  # copied text: its own place
    assert rendered.place(number, lines[number - 1].index("7") + 1) == (11, 15)  # the expression


def test_place_counts_on_from_the_character_before_on_the_same_line() -> None:
    rendered = Template.from_text("a: 1\nb: {{ 2 }}x\n").render({})
    assert rendered.text == "a: 1\nb: 2x\n"
    assert rendered.place(2, 7) == (2, 13)  # two past the copied "x" (template column 11)
    assert rendered.place(2, 4) == (2, 4)  # the expression's value: the expression


def test_place_counts_lines_on_past_the_last_line_that_copies_text() -> None:
    rendered = Template.from_text("a: 1\nb: [\n\n\n").render({})
    assert rendered.place(4, 1) == (4, None)  # blank lines copy nothing: count on
    assert rendered.place(9, 1) == (5, None)  # but never past the template's end


def test_place_counts_on_from_the_last_character_of_the_nearest_line_above() -> None:
    # A comment over several lines makes rendered and template lines part ways.
    rendered = Template.from_text("a\n\n{#\n\n#}b\n").render({})
    assert rendered.text == "a\n\nb\n"
    assert rendered.place(2, 1) == (2, None)  # one line on from "a", not back from "b"
    rendered = Template.from_text("a\n{#\n#}b\n\n\n").render({})
    assert rendered.text == "a\nb\n\n\n"
    assert rendered.place(3, 1) == (4, None)  # one line on from "b" (template line 3)
    assert rendered.place(4, 1) == (5, None)  # two lines on from "b", not three from "a"
    rendered = Template.from_text("ab{#\n#}c\n\n").render({})
    assert rendered.text == "abc\n\n"
    assert rendered.place(2, 1) == (3, None)  # from "c" (template line 2), the last


def test_place_before_the_first_character_of_a_line_is_that_character() -> None:
    assert Template.from_text("a: 1\nb: 2\n").render({}).place(2, 0) == (2, 1)


def test_place_past_a_line_of_one_character_counts_on_from_it() -> None:
    assert Template.from_text("a\n").render({}).place(1, 4) == (1, 4)


def test_text_a_macro_writes_inside_an_expression_maps_to_that_expression() -> None:
    rendered = Template.from_text("{% macro m() %}a{{ 1 }}b{% endmacro %}x: {{ m() }}\n").render({})
    assert rendered.text == "x: a1b\n"
    origins = rendered.origins(1)
    assert [(origin.kind, origin.column) for origin in origins if origin is not None] == [
        ("data", 39),
        ("data", 40),
        ("data", 41),
        ("expression", 42),
        ("expression", 42),
        ("expression", 42),
    ]


def test_an_error_without_a_column_is_placed_in_the_template_by_its_line_alone() -> None:
    # Rendered line 1 starts on template line 1 and goes on on line 2.
    rendered = Template.from_text("a{#\n#}b: 1\n", path="b.yaml").render({})
    error = error_in_template(EditError("it is wrong", line=1, hint="fix it"), rendered, "s")
    assert type(error) is EditError
    assert (error.path, error.line, error.column) == ("b.yaml", 1, None)
    assert str(error) == "b.yaml:1: it is wrong (stage s). Fix it."


def test_place_maps_an_unmappable_rendering_only_when_it_is_the_template() -> None:
    rendered = Template.from_text(
        "{% set block %}abc{% endset %}applications: {x: {{ block | length }}}\n"
    ).render({})
    assert not rendered.mapped
    assert rendered.place(1, 5) is None


@pytest.mark.parametrize("path", ["bundle.yaml", None])
def test_each_kind_of_template_error_says_what_and_where_and_what_to_do(path: str | None) -> None:
    where = f"{path}:2: " if path else ""
    with pytest.raises(TemplateError) as caught:
        Template.from_text("a: 1\nb: {{ 1 / 0 }}\n", path=path).render({})
    assert (caught.value.line, caught.value.path, caught.value.hint) == (2, path, None)
    assert str(caught.value) == (
        f"{where}the template failed to render: ZeroDivisionError: division by zero."
    )
    with pytest.raises(TemplateError) as caught:
        Template.from_text("a: 1\nb: {{ x }}\n", path=path).render({})
    assert (caught.value.line, caught.value.path) == (2, path)
    assert caught.value.hint == (
        "define it (Mojo passes stage_name, series and local_dir) or guard its use"
    )
    with pytest.raises(TemplateError) as caught:
        Template.from_text("a: 1\nb: {% if %}\n", path=path)
    assert (caught.value.line, caught.value.path) == (2, path)
    assert caught.value.hint == "fix the template syntax"


def test_origins_are_there_for_each_column_of_the_line_and_no_other() -> None:
    rendered = Template.from_text("b: {{ 2 }}\n").render({})
    assert rendered.text == "b: 2\n"
    assert rendered.origin(1, 0) is None
    first = rendered.origin(1, 1)
    assert first is not None
    assert (first.kind, first.line, first.column) == ("data", 1, 1)
    last = rendered.origin(1, 4)
    assert last is not None
    assert (last.kind, last.line, last.column) == ("expression", 1, 4)
    assert rendered.origin(1, 5) is None
    assert list(rendered.data_offsets()) == [(0, 3)]  # "b: ", copied from offset 0
    assert list(Template.from_text("a: 1\nb: 2").render({}).data_offsets()) == [(0, 4), (5, 9)]


def test_place_past_an_expression_stays_on_the_expression() -> None:
    rendered = Template.from_text("b: {{ 2 }}\n").render({})
    # Nothing was copied after the value: the place is the expression, not a column past it.
    assert rendered.place(1, 7) == (1, 4)
    assert rendered.place(1, 5) == (1, 4)


def test_place_past_the_end_of_copied_text_counts_on_from_its_last_character() -> None:
    rendered = Template.from_text("ab\n").render({})
    assert rendered.place(1, 5) == (1, 5)  # three past "b"
    assert rendered.place(1, 2) == (1, 2)
