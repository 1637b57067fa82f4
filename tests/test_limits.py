"""Limits on what the readers accept: YAML nesting, Jinja2 nesting, and numbers people type."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle import Template
from lpsigning_mojo.bundle.scalars import plain_ok
from lpsigning_mojo.errors import TemplateError
from lpsigning_mojo.numbers import decimal_number, integer, whole_number
from lpsigning_mojo.yamlnodes import MAX_DEPTH, ComposeError, compose, construct, load


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_yaml_at_the_depth_limit_is_read_and_one_level_more_is_refused() -> None:
    (document,) = compose(f"x: {nested(MAX_DEPTH - 1)}\n", aliases="bounded")
    construct(document)
    with pytest.raises(ComposeError, match=f"nest more than {MAX_DEPTH} deep") as caught:
        compose(f"x: {nested(MAX_DEPTH)}\n", aliases="bounded")
    assert caught.value.kind == "syntax"
    assert (caught.value.line, caught.value.column) == (1, 3 + MAX_DEPTH)  # the 101st level


def test_block_style_nesting_counts_too() -> None:
    text = "".join(f"{'  ' * level}k:\n" for level in range(MAX_DEPTH + 1)) + "  " * 101 + "v\n"
    with pytest.raises(ComposeError, match="nest more than"):
        compose(text, aliases="refuse")


def test_aliases_count_where_they_expand() -> None:
    inner = nested(60)
    text = f"a: &a {inner}\nb: {'[' * 50}*a{']' * 50}\n"
    with pytest.raises(ComposeError, match="nest more than"):
        compose(text, aliases="bounded")


def test_a_deep_value_is_quoted_not_a_crash() -> None:
    with pytest.raises(ComposeError):
        load(f"k: {nested(990)}\n")
    assert not plain_ok(nested(990))


@pytest.mark.parametrize(
    "source",
    [
        "x: {{ 1|no_such_filter }}\n",
        "x: {{ " + "(" * 400 + "1" + ")" * 400 + " }}\n",
        "{% for i in [1] %}" * 30 + "\n" + "{% endfor %}" * 30,
    ],
    ids=["unknown-filter", "deep-expression", "too-many-blocks"],
)
def test_templates_that_do_not_compile_are_template_errors(source: str) -> None:
    with pytest.raises(TemplateError):
        Template.from_text(source, path="bundle.yaml")


@pytest.mark.parametrize("text", ["٣", "1_000", " 3", "3 ", "+3", "-3", "３", "²", "", "0x10"])
def test_whole_numbers_are_ascii_digits_only(text: str) -> None:
    assert whole_number(text) is None


def test_whole_numbers_and_integers() -> None:
    assert whole_number("0") == 0
    assert whole_number("087") == 87
    assert integer("-3") == -3
    assert integer("+3") == 3
    assert integer("٣") is None
    assert whole_number("9" * 1001) is None  # no count needs a thousand digits


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e999", "١.٥", "1_0.5", ".", "1.5 "])
def test_decimal_numbers_are_finite_and_ascii(text: str) -> None:
    assert decimal_number(text) is None


def test_decimal_numbers() -> None:
    assert decimal_number("1.5") == 1.5
    assert decimal_number("-2") == -2.0
    assert decimal_number(".5") == 0.5
    assert decimal_number("1e3") == 1000.0
