"""The bundle model: values, positions, unknown keys, bad YAML (overlays: test_overlay.py)."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle import Bundle, Position
from lpsigning_mojo.errors import UnknownApplicationError, YamlError

BUNDLE = """\
series: jammy
applications:
  lp-signing:
    charm: lp-signing
    channel: latest/edge
    revision: 87
    num_units: 2
    to: ["0", "1"]
    options:
      build_label: 1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345
    colour: blue
  nrpe:
    charm: nrpe
machines:
  "0": {constraints: tags=a}
  "1": {constraints: tags=b, flavour: x}
relations:
  - [lp-signing, nrpe]
owner: me
"""


def test_values_follow_the_juju_format() -> None:
    bundle = Bundle.from_text(BUNDLE, source="bundle.yaml")
    app = bundle.application("lp-signing")
    assert (app.charm, app.channel, app.revision, app.num_units) == (
        "lp-signing",
        "latest/edge",
        87,
        2,
    )
    assert app.to == ("0", "1")
    assert app.build_label == "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
    assert bundle.applications["nrpe"].subordinate
    assert set(bundle.machines) == {"0", "1"}
    assert bundle.relations[0].applications == ("lp-signing", "nrpe")
    assert bundle.series == "jammy"


def test_every_value_knows_its_line() -> None:
    app = Bundle.from_text(BUNDLE).application("lp-signing")
    assert app.line == 3
    assert app.positions["revision"] == Position(line=6, column=15)
    assert app.positions["options.build_label"] == Position(line=10, column=20)


def test_unknown_keys_are_kept() -> None:
    bundle = Bundle.from_text(BUNDLE)
    assert bundle.application("lp-signing").extra == {"colour": "blue"}
    assert bundle.extra == {"owner": "me"}
    assert bundle.machines["1"].extra == {"flavour": "x"}


def test_positions_do_not_take_part_in_equality() -> None:
    assert Bundle.from_text(BUNDLE) == Bundle.from_text("\n\n" + BUNDLE)


def test_unknown_application_lists_the_known_ones() -> None:
    with pytest.raises(UnknownApplicationError) as info:
        Bundle.from_text(BUNDLE, source="b.yaml").application("postgresql")
    assert str(info.value) == (
        "b.yaml: the bundle has no application 'postgresql'; its applications are: "
        "lp-signing, nrpe."
    )


def test_a_mistyped_application_gets_a_suggestion_in_the_sentence() -> None:
    with pytest.raises(UnknownApplicationError) as info:
        Bundle.from_text(BUNDLE, source="b.yaml").application("lp-signin")
    assert str(info.value) == (
        "b.yaml: the bundle has no application 'lp-signin' (did you mean 'lp-signing'?); "
        "its applications are: lp-signing, nrpe."
    )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("applications: [\n", "YAML syntax error", 2),
        (
            "applications:\n  a: {charm: x}\n  a: {charm: y}\n",
            "duplicate key 'a' (first at line 2)",
            3,
        ),
        ("- just\n- a list\n", "a bundle must be a YAML mapping", 1),
        ("applications:\n  a:\n    charm: x\n    revision: latest\n", "must be a whole number", 4),
        ("", "the bundle is empty", None),
    ],
)
def test_bad_yaml_is_one_sentence_with_a_position(
    text: str, message: str, line: int | None
) -> None:
    with pytest.raises(YamlError) as caught:
        Bundle.from_text(text, source="b.yaml")
    assert message in str(caught.value)
    assert caught.value.line == line
    assert str(caught.value).startswith("b.yaml")
    assert str(caught.value).endswith(".")


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(YamlError, match="alias bomb"):
        Bundle.from_text("\n".join(lines))


def test_a_recursive_alias_is_an_error_not_a_hang() -> None:
    with pytest.raises(YamlError, match="recursive alias") as caught:
        Bundle.from_text("loop: &a [*a]\napplications: {a: {charm: a}}\n", source="b.yaml")
    assert caught.value.line == 1


def test_a_large_bundle_without_aliases_is_not_a_bomb() -> None:
    apps = "".join(
        f"  app-{i}:\n    charm: c\n    options: {{a: 1, b: 2, c: 3}}\n" for i in range(12_000)
    )
    text = "x: &anchor 1\napplications:\n" + apps
    assert len(Bundle.from_text(text).applications) == 12_000
