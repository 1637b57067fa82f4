"""The one YAML front end: alias policies, empty documents, faults with positions, text rules."""

from __future__ import annotations

import pytest
import yaml

from lpsigning_mojo.errors import InstanceError, YamlError
from lpsigning_mojo.yamlnodes import (
    AliasPolicy,
    ComposeError,
    NodeReader,
    compose,
    construct,
    construct_documents,
    control_character,
    duplicate_keys,
    mapping_items,
    position,
    split_lines,
)

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def fault_of(text: str, aliases: AliasPolicy = "bounded") -> ComposeError:
    with pytest.raises(ComposeError) as caught:
        compose(text, aliases=aliases)
    return caught.value


def test_refuse_faults_the_first_alias_at_its_place() -> None:
    fault = fault_of("a: &x 1\nb: *x\n", "refuse")
    assert (fault.kind, fault.line, fault.column) == ("alias", 2, 4)
    assert str(fault) == "YAML aliases are not supported here."


def test_refuse_takes_anchors_without_aliases_and_stars_in_text() -> None:
    assert len(compose("a: &x 1\nb: '*x'\n", aliases="refuse")) == 1


def test_bounded_takes_aliases_but_not_a_bomb_nor_a_loop() -> None:
    documents = compose("a: &x [1, 2]\nb: *x\n", aliases="bounded")
    assert construct(documents[0]) == {"a": [1, 2], "b": [1, 2]}
    fault = fault_of(BOMB)
    assert (fault.kind, fault.line) == ("expansion", 6)
    assert "alias bomb" in fault.message
    fault = fault_of("loop: &a [*a]\n")
    assert (fault.kind, fault.line, fault.column) == ("expansion", 1, 7)


@pytest.mark.parametrize("text", ["", "\n", "# a comment\n", "---\n", "---\n---\n...\n"])
def test_empty_documents_are_skipped(text: str) -> None:
    assert compose(text, aliases="bounded") == []


def test_empty_documents_between_others_are_skipped() -> None:
    documents = compose("a: 1\n---\n---\nb: 2\n", aliases="bounded")
    assert [construct(document) for document in documents] == [{"a": 1}, {"b": 2}]


def test_a_syntax_error_has_the_parser_words_and_the_place() -> None:
    fault = fault_of("applications: [\n")
    assert (fault.kind, fault.line, fault.column) == ("syntax", 2, 1)
    assert fault.message == "did not find expected node content (while parsing a flow node)"


def test_a_forbidden_character_is_found_after_wide_characters() -> None:
    # libyaml counts bytes; the error counts characters.
    fault = fault_of("a: ééé 😀 \x07\n", "refuse")
    assert (fault.kind, fault.line, fault.column) == ("character", 1, 10)
    assert fault.message.endswith("(U+0007)")


def test_duplicate_keys_name_both_keys() -> None:
    documents = compose("a:\n  x: 1\n  y: 2\n  x: 3\n", aliases="bounded")
    found = [(position(key), position(first)) for key, first in duplicate_keys(documents[0])]
    assert found == [((4, 3), (2, 3))]


def test_merge_keys_are_expanded_and_the_mapping_own_keys_win() -> None:
    documents = compose("d: &d {a: 1, b: 2}\nm:\n  <<: *d\n  b: 3\n", aliases="bounded")
    mapping = next(value for key, _, value in mapping_items(documents[0]) if key == "m")
    items = {key: construct(value) for key, _, value in mapping_items(mapping)}
    assert items == {"a": 1, "b": 3}


def test_a_bad_merge_is_left_for_construction_to_report() -> None:
    documents = compose("m:\n  <<: 3\n  b: 3\n", aliases="bounded")
    mapping = next(value for key, _, value in mapping_items(documents[0]) if key == "m")
    assert [key for key, _, _ in mapping_items(mapping)] == ["b"]
    with pytest.raises(YamlError, match="YAML value error"):
        construct_documents(documents)


def test_construct_documents_gives_the_value_of_every_node() -> None:
    documents = compose("a: [1, x]\n---\nb: true\n", aliases="bounded")
    values = construct_documents(documents)
    first = documents[0].value[0][1]
    assert isinstance(first, yaml.SequenceNode)
    assert values[first] == [1, "x"]
    assert values[first.value[1]] == "x"
    assert values[documents[1]] == {"b": True}


def test_lines_break_at_lf_crlf_and_cr_only() -> None:
    assert split_lines("a\r\nb\rc\x0cd\u2028e\nf") == ["a\r\n", "b\r", "c\x0cd\u2028e\n", "f"]


def test_control_characters_the_markers_use_are_found() -> None:
    assert control_character("fine\ttext\n") is None
    found = control_character("ab\x03c")
    assert found is not None
    assert found[0] == 2
    assert found[1] == "the file holds a control character (U+0003), which YAML does not allow"


def test_the_strict_reader_wants_one_document() -> None:
    reader = NodeReader("instances.yaml", error=InstanceError)
    with pytest.raises(InstanceError) as caught:
        reader.compose("a: 1\n---\nb: 2\n")
    assert str(caught.value) == (
        "instances.yaml:3:1: not valid YAML: the file holds more than one document."
    )
    with pytest.raises(InstanceError, match="the file is empty"):
        reader.compose("---\n")
