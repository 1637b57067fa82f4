"""Finding an application's block in rendered text, and when not to try."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle import Bundle, set_revision
from lpsigning_mojo.bundle.blocks import app_block
from lpsigning_mojo.errors import EditError

TEXT = """\
series: jammy
applications:
  # a comment at the children's indentation
  a:
    charm: a
    options:
      x: 1
# a comment at column 0 does not end the block
      y: 2

  b:
    charm: b
relations: []
"""


def test_the_block_runs_from_the_key_to_the_next_sibling() -> None:
    block = app_block(TEXT, "a")
    assert block is not None
    assert TEXT[block.start : block.end] == (
        "  a:\n    charm: a\n    options:\n      x: 1\n"
        "# a comment at column 0 does not end the block\n      y: 2\n\n"
    )
    assert block.line == 3
    assert (
        Bundle.from_text(block.snippet(TEXT)).applications["a"]
        == (Bundle.from_text(TEXT).applications["a"])
    )


def test_the_last_block_ends_at_the_next_top_level_key() -> None:
    block = app_block(TEXT, "b")
    assert block is not None
    assert TEXT[block.start : block.end] == "  b:\n    charm: b\n"


def test_a_block_at_the_end_of_the_text() -> None:
    text = "applications:\n  a:\n    charm: a"
    block = app_block(text, "a")
    assert block is not None
    assert text[block.start : block.end] == "  a:\n    charm: a"


@pytest.mark.parametrize(
    "text",
    [
        "applications:\n  a: {charm: a}\n---\napplications:\n  a: {revision: 3}\n",  # overlay
        "applications: {a: {charm: a}}\n",  # flow style
        "applications:\n  a: {charm: a}\n  a: {charm: b}\n",  # written twice
        "applications:\n  b: {charm: b}\n",  # absent
        "applications:\n  a: {charm: a}\napplications:\n  c: {}\n",  # two sections
    ],
)
def test_shapes_that_are_not_plain_give_none(text: str) -> None:
    assert app_block(text, "a") is None


def test_an_edit_whose_line_belongs_to_another_application_elsewhere_is_refused() -> None:
    text = (
        "applications:\n"
        '{%- if stage_name == "production" %}\n  a:\n{%- else %}\n  b:\n{%- endif %}\n'
        "    charm: x\n    revision: 3\n"
    )
    with pytest.raises(EditError, match=r"stage (staging|devel)"):
        set_revision(text, "a", 4, stage="production")
