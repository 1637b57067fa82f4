"""Text-preserving edits: what they keep, where they insert, what they refuse."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle import set_channel, set_option, set_revision
from lpsigning_mojo.errors import EditError, TemplateError, UnknownApplicationError, YamlError

TEMPLATE = """\
# lp-signing bundle
applications:
  lp-signing:
    charm: lp-signing
    channel: latest/edge   # edge builds
    revision: 87  # pinned, see LP: #1
    {%- if stage_name == "production" %}
    num_units: 2
    {%- else %}
    num_units: 1
    {%- endif %}
    options:
      {%- if stage_name == "production" %}
      build_label: "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
      {%- endif %}
      workers: '2'
      context: {{ stage_name }}
  nrpe:
    charm: nrpe
    channel: latest/stable
"""


def changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    return [
        (a, b) for a, b in zip(old.splitlines(True), new.splitlines(True), strict=True) if a != b
    ]


def test_set_revision_changes_only_the_number_and_keeps_the_comment() -> None:
    result = set_revision(TEMPLATE, "lp-signing", 88, stage="staging")
    assert changed_lines(TEMPLATE, result.text) == [
        ("    revision: 87  # pinned, see LP: #1\n", "    revision: 88  # pinned, see LP: #1\n")
    ]
    assert result.line == 6
    assert result.stages == ("staging", "production", "devel")


def test_set_option_keeps_the_quoting_style_and_reports_the_one_stage() -> None:
    result = set_option(TEMPLATE, "lp-signing", "build_label", "a" * 40, stage="production")
    assert changed_lines(TEMPLATE, result.text) == [
        (
            '      build_label: "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"\n',
            f'      build_label: "{"a" * 40}"\n',
        )
    ]
    assert result.stages == ("production",)
    single = set_option(TEMPLATE, "lp-signing", "workers", "3", stage="staging")
    assert "      workers: '3'\n" in single.text


def test_crlf_endings_survive() -> None:
    crlf = TEMPLATE.replace("\n", "\r\n")
    result = set_revision(crlf, "lp-signing", 90, stage="production")
    assert result.text == crlf.replace("revision: 87", "revision: 90")
    inserted = set_revision(crlf, "nrpe", 5, stage="production")
    assert "    channel: latest/stable\r\n    revision: 5\r\n" in inserted.text


def test_absent_keys_are_inserted_with_the_siblings_indentation() -> None:
    result = set_revision(TEMPLATE, "nrpe", 125, stage="staging")
    assert result.inserted
    assert result.text == TEMPLATE + "    revision: 125\n"
    assert result.line == TEMPLATE.count("\n") + 1
    option = set_option(TEMPLATE, "nrpe", "nagios_context", "lp", stage="staging")
    assert option.text.endswith(
        "    channel: latest/stable\n    options:\n      nagios_context: lp\n"
    )


def test_strings_that_would_read_back_as_numbers_are_quoted() -> None:
    result = set_option(TEMPLATE, "nrpe", "label", "0123", stage="staging")
    assert "label: '0123'\n" in result.text


def test_setting_the_same_value_changes_nothing() -> None:
    result = set_revision(TEMPLATE, "lp-signing", 87, stage="production")
    assert not result.changed
    assert result.text == TEMPLATE


def test_set_channel() -> None:
    result = set_channel(TEMPLATE, "lp-signing", "latest/stable", stage="devel")
    assert "    channel: latest/stable   # edge builds\n" in result.text


def test_a_value_from_an_expression_is_refused_naming_the_expression() -> None:
    with pytest.raises(EditError) as caught:
        set_option(TEMPLATE, "lp-signing", "context", "x", stage="staging", path="b.yaml")
    assert str(caught.value) == (
        "b.yaml:17:16: lp-signing options.context comes from a Jinja expression. "
        "Edit the expression or the variable it uses instead."
    )


def test_an_alias_is_refused() -> None:
    text = "x: &rev 5\napplications:\n  a:\n    charm: a\n    revision: *rev\n"
    with pytest.raises(EditError, match="is a YAML alias"):
        set_revision(text, "a", 6, stage="staging")


def test_an_anchored_value_is_refused() -> None:
    text = (
        "applications:\n  a:\n    charm: a\n    revision: &r 5\n"
        "  b:\n    charm: b\n    revision: *r\n"
    )
    with pytest.raises(EditError, match="anchor"):
        set_revision(text, "a", 6, stage="staging")


def test_a_value_written_by_a_loop_is_refused() -> None:
    text = (
        "applications:\n{%- for name in ['a', 'b'] %}\n  {{ name }}:\n    charm: x\n"
        "    revision: 3\n{%- endfor %}\n"
    )
    with pytest.raises(EditError, match="loop"):
        set_revision(text, "a", 4, stage="staging")


def test_an_insertion_that_would_duplicate_a_key_in_another_stage_is_refused() -> None:
    text = (
        "applications:\n  a:\n    charm: a\n    channel: latest/edge\n"
        '    {%- if stage_name == "production" %}\n    revision: 3\n    {%- endif %}\n'
    )
    with pytest.raises(EditError, match="stage production"):
        set_revision(text, "a", 4, stage="staging")


def test_flow_mapping_without_the_key_is_refused() -> None:
    text = "applications:\n  a: {charm: a}\n"
    with pytest.raises(EditError, match="flow style"):
        set_revision(text, "a", 4, stage="staging")
    assert (
        "revision: 4"
        in set_revision(
            "applications:\n  a: {charm: a, channel: edge, revision: 3}\n", "a", 4, stage="staging"
        ).text
    )


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("applications:\n  a: [\n", YamlError, "b.yaml:3: YAML syntax error"),
        (
            "applications:\n  a: {charm: x}\n  a: {charm: y}\n",
            YamlError,
            "b.yaml:3:3: duplicate key",
        ),
        ("applications:\n  {% if %}\n", TemplateError, "b.yaml:2: Jinja2 syntax error"),
        (
            "applications:\n  a: {charm: {{ nope }}}\n",
            TemplateError,
            "b.yaml:2: undefined template variable",
        ),
    ],
)
def test_bad_templates_give_one_sentence_with_file_and_line(
    text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        set_revision(text, "a", 1, stage="staging", path="b.yaml")
    assert str(caught.value).startswith(message)


def test_unknown_application() -> None:
    with pytest.raises(UnknownApplicationError, match=r"no application 'nope' .*lp-signing, nrpe"):
        set_revision(TEMPLATE, "nope", 1, stage="staging", path="b.yaml")


def test_negative_revision_is_refused() -> None:
    with pytest.raises(EditError, match="whole number"):
        set_revision(TEMPLATE, "lp-signing", -1, stage="staging")


def test_a_duplicate_key_names_both_template_lines() -> None:
    text = (
        "# header\n{%- if true %}\n\napplications:\n  a:\n    charm: a\n    revision: 3\n"
        "    revision: 4\n{%- endif %}\n"
    )
    with pytest.raises(YamlError) as caught:
        set_revision(text, "a", 5, stage="staging", path="b.yaml")
    assert str(caught.value).startswith("b.yaml:8:5: duplicate key 'revision' (first at line 7);")
