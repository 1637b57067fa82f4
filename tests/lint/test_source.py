"""The fast path renders exactly what Template renders."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lpsigning_mojo.bundle.template import Template
from lpsigning_mojo.lint.source import compile_template, has_jinja
from lpsigning_mojo.mojospec import mojo_variables

VARIABLES = mojo_variables("lp-signing/production")


@given(st.text(alphabet=st.sampled_from("ab: -#\n\r\t{}%'\"\\"), max_size=200))
def test_text_without_jinja_renders_as_jinja_would(text: str) -> None:
    if has_jinja(text):
        return
    plain, problems = compile_template(text, "bundle.yaml", VARIABLES)
    assert plain is not None
    assert not problems
    assert not plain.templated
    rendered, _ = plain.render(VARIABLES)
    assert rendered == Template.from_text(text, path="bundle.yaml").render(VARIABLES).text


def test_a_template_renders_as_template_does(spec_dir: object) -> None:
    from pathlib import Path

    text = (Path(str(spec_dir)) / "bundle.yaml").read_text()
    plain, problems = compile_template(text, "bundle.yaml", VARIABLES)
    assert plain is not None
    assert plain.templated
    assert not problems
    for stage in ("production", "staging", "devel"):
        variables = mojo_variables(stage)
        assert plain.render(variables)[0] == Template.from_text(text).render(variables).text


def test_an_undefined_name_is_found_on_jinja_lines_not_python_lines() -> None:
    # A form feed ends a line for str.splitlines, not for Jinja2 (nor YAML).
    plain, problems = compile_template("a: 1\x0c\nb: {{ nope }}\n", "bundle.yaml", VARIABLES)
    assert plain is not None
    assert problems == []
    rendered, problems = plain.render(VARIABLES)
    assert rendered is None
    assert [(p.code, p.line, p.column) for p in problems] == [("LSM004", 2, 7)]
