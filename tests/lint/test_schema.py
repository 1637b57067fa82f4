"""Shapes and keys of a bundle: each wrong one is found where it is, and says what Juju wants."""

from __future__ import annotations

from pathlib import Path

from lpsigning_mojo.lint import LintConfig, lint_paths
from lpsigning_mojo.lint.schema import did_you_mean


def findings(tmp_path: Path, text: str, *codes: str) -> list[tuple[str, int, int, str]]:
    path = tmp_path / "bundle.yaml"
    path.write_text(text)
    report = lint_paths([str(path)], config=LintConfig())
    return [(f.code, f.line, f.column, f.message) for f in report.findings if f.code in codes]


def test_values_of_the_wrong_type_are_reported_with_what_juju_expects(tmp_path: Path) -> None:
    text = """\
applications:
  nrpe:
    charm: nrpe
    num_units: two
    scale: [1]
    expose: yes please
    trust: 1
    options: [a, b]
    to: {0: x}
  ok:
    charm: ok
    num_units:
    options:
"""
    assert findings(tmp_path, text, "LSM008") == [
        ("LSM008", 4, 16, "nrpe: num_units must be a whole number, not 'two'"),
        ("LSM008", 5, 12, "nrpe: scale must be a whole number, not '...'"),
        ("LSM008", 6, 13, "nrpe: expose must be true or false, not 'yes please'"),
        ("LSM008", 7, 12, "nrpe: trust must be true or false, not '1'"),
        ("LSM008", 8, 14, "nrpe: options must be a mapping"),
        ("LSM008", 9, 9, "nrpe: to must be a list of placements"),
    ]


def test_a_placement_may_be_one_scalar_and_a_revision_must_be_a_number(tmp_path: Path) -> None:
    text = """\
applications:
  nrpe:
    charm: nrpe
    channel: latest/stable
    revision: "87"
    to: "0"
machines:
  "0": {}
"""
    assert findings(tmp_path, text, "LSM008") == [
        ("LSM008", 5, 15, "nrpe: revision must be a whole number, not '87'"),
    ]


def test_unknown_keys_are_reported_with_the_closest_known_key(tmp_path: Path) -> None:
    text = """\
aplications: {}
applications:
  nrpe:
    charm: nrpe
    chanel: latest/stable
    zzz: 1
    num_units: 1
    to: ["0"]
machines:
  "0":
    constraint: arch=amd64
"""
    assert findings(tmp_path, text, "LSM101", "LSM102", "LSM103") == [
        ("LSM101", 1, 1, "unknown bundle key 'aplications' (did you mean 'applications'?)"),
        ("LSM102", 5, 5, "unknown key 'chanel' in application 'nrpe' (did you mean 'channel'?)"),
        ("LSM102", 6, 5, "unknown key 'zzz' in application 'nrpe'"),
        (
            "LSM103",
            11,
            5,
            "unknown key 'constraint' in machine '0' (did you mean 'constraints'?)",
        ),
    ]


def test_did_you_mean_names_the_one_closest_key_or_nothing() -> None:
    assert did_you_mean("chanel", ["channel", "charm"]) == " (did you mean 'channel'?)"
    assert did_you_mean("revison", ["revision", "version"]) == " (did you mean 'revision'?)"
    assert did_you_mean("zzz", ["channel", "charm"]) == ""
    # Close enough at 0.6 similarity, not below.
    assert did_you_mean("abcd", ["abcx"]) == " (did you mean 'abcx'?)"
    assert did_you_mean("abcd", ["axyz"]) == ""
