"""The map from a rendered bundle back to its template, over generated templates.

Every position an edit or a lint finding reports comes from this map, so the rules
are stated for any template the strategies draw (stage branches, expressions, macros,
loops, tags, overlays, every kind of line ending): a copied character maps to that
same character of the template, a computed one to its ``{{``, and the place shown for
a position is the character's own origin.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lpsigning_mojo.bundle.template import Template
from lpsigning_mojo.mojospec import mojo_variables
from lpsigning_mojo.testing.strategies import STAGES, GeneratedTemplate, templates
from lpsigning_mojo.yamlnodes import LINE_BREAK

#: Each example renders every stage and looks at every character: a third of the examples.
EXAMPLES = settings(max_examples=max(5, settings.default.max_examples // 3))


def _normalized(text: str) -> str:
    """The template with each line ending as one character, as offsets count them."""
    return "\n".join(LINE_BREAK.split(text))


@EXAMPLES
@given(generated=templates(), stage=st.sampled_from(STAGES))
def test_every_rendered_character_maps_to_what_wrote_it(
    generated: GeneratedTemplate, stage: str
) -> None:
    template = Template.from_text(generated.text, path="bundle.yaml")
    rendered = template.render(mojo_variables(stage, extra=generated.variables))
    assert rendered.mapped
    source = _normalized(generated.text)
    lines = rendered.text.split("\n")
    for number, line in enumerate(lines, 1):
        origins = rendered.origins(number)
        assert len(origins) == len(line)
        assert rendered.line_text(number) == line
        first = next((origin.line for origin in origins if origin is not None), None)
        assert rendered.template_line(number) == first
        for column, (char, origin) in enumerate(zip(line, origins, strict=True), 1):
            assert rendered.origin(number, column) == origin
            if origin is None:
                continue
            assert template.position(origin.offset) == (origin.line, origin.column)
            assert rendered.place(number, column) == (origin.line, origin.column)
            if origin.kind == "expression":
                assert source.startswith("{{", origin.offset)
                assert origin.run_start == origin.offset
                continue
            assert source[origin.offset] == char
            assert origin.run_start <= origin.offset
            copies = rendered.copies(origin.run_start)
            assert copies
            spliced = rendered.splice(origin.run_start, origin.offset, char, "\x7f")
            if len(copies) == 1:
                # The one place that copies this character: writing it anew changes exactly it.
                edited = [*lines]
                edited[number - 1] = line[: column - 1] + "\x7f" + line[column:]
                assert spliced == "\n".join(edited)
            else:
                assert spliced is None  # a loop or macro repeats it
    assert rendered.line_text(0) == rendered.line_text(len(lines) + 1) == ""
    assert rendered.origins(0) == rendered.origins(len(lines) + 1) == []


@EXAMPLES
@given(generated=templates())
def test_every_offset_has_the_line_and_column_of_a_plain_count(
    generated: GeneratedTemplate,
) -> None:
    template = Template.from_text(generated.text)
    source = _normalized(generated.text)
    for offset in range(len(source) + 1):
        start = source.rfind("\n", 0, offset) + 1
        assert template.position(offset) == (source.count("\n", 0, offset) + 1, offset - start + 1)


@EXAMPLES
@given(generated=templates(), stage=st.sampled_from(STAGES))
def test_a_template_without_jinja_places_every_position_on_itself(
    generated: GeneratedTemplate, stage: str
) -> None:
    rendered = Template.from_text(generated.text).render(
        mojo_variables(stage, extra=generated.variables)
    )
    # The rendered text is a template with no Jinja in it: it renders as itself.
    plain = Template.from_text(rendered.text).render({})
    assert plain.text == rendered.text
    lines = rendered.text.split("\n")
    for number, line in enumerate(lines, 1):
        for column in range(1, len(line) + 1):
            assert plain.place(number, column) == (number, column)
    copied = "".join(rendered.text[start:end] for start, end in plain.data_offsets())
    assert copied == rendered.text.replace("\n", "")
