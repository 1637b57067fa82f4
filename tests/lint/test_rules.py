"""The rule registry, each rule's catalogue example, and the generated catalogue page."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from lpsigning_mojo.lint import LintConfig, all_rules, lint_paths, rule
from lpsigning_mojo.lint.catalogue import main as catalogue_main
from lpsigning_mojo.lint.catalogue import render_catalogue, write_catalogue
from lpsigning_mojo.lint.registry import Rule, register
from tests.conftest import REPO_ROOT

CATALOGUE = REPO_ROOT / "docs" / "reference" / "lint-rules.rst"
CLEAN_BUNDLE = (
    "applications:\n  nrpe:\n    charm: nrpe\n    channel: latest/stable\n    revision: 1\n"
)


def test_codes_are_stable_and_unique() -> None:
    rules = all_rules()
    assert len(rules) >= 35
    assert list(rules) == sorted(rules)
    assert all(re.fullmatch(r"LSM[0-4][0-9]{2}", code) for code in rules)
    names = [r.name for r in rules.values()]
    assert len(names) == len(set(names))
    assert rule("LSM001").name == "yaml-syntax"


def test_a_code_or_name_cannot_be_registered_twice() -> None:
    existing = rule("LSM001")
    with pytest.raises(ValueError, match="registered twice"):
        register(
            "LSM001",
            "another-name",
            severity="error",
            summary="s",
            description="d",
            fix="f",
            example="e",
        )
    with pytest.raises(ValueError, match="registered twice"):
        register(
            "LSM999",
            existing.name,
            severity="error",
            summary="s",
            description="d",
            fix="f",
            example="e",
        )


@pytest.mark.parametrize(("code", "name"), [("LSM1", "x"), ("ABC001", "x"), ("LSM001", "Bad")])
def test_malformed_codes_and_names_are_refused(code: str, name: str) -> None:
    with pytest.raises(ValueError, match="rule"):
        Rule(
            code=code,
            name=name,
            severity="error",
            summary="s",
            description="d",
            fix="f",
            example="e",
        )


@pytest.mark.parametrize("code", list(all_rules()))
def test_each_rules_example_triggers_it(code: str, tmp_path: Path) -> None:
    example = rule(code)
    spec = tmp_path / "spec"
    spec.mkdir()
    if example.applies_to == "bundle":
        target = spec / "bundle.yaml"
    elif example.applies_to == "instances":
        target = spec / "instances.yaml"
    else:
        target = spec / "manifest"
        (spec / "bundle.yaml").write_text(CLEAN_BUNDLE)
        (spec / "bundle.yaml").chmod(stat.S_IRUSR | stat.S_IWUSR)
    target.write_text(example.example)
    report = lint_paths([str(target)], config=LintConfig())
    assert code in {finding.code for finding in report.findings}, report.findings


def test_the_catalogue_page_is_current() -> None:
    assert CATALOGUE.read_text(encoding="utf-8") == render_catalogue(), (
        "docs/reference/lint-rules.rst is stale: run "
        "'python -m lpsigning_mojo.lint.catalogue docs/reference/lint-rules.rst'"
    )


def test_the_catalogue_documents_every_rule() -> None:
    page = render_catalogue()
    for code, entry in all_rules().items():
        assert f".. _lint-{code.lower()}:" in page
        assert f"{code} {entry.name}" in page
        assert entry.fix in page


def test_write_catalogue_writes_only_when_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "lint-rules.rst"
    assert write_catalogue(page) is True
    assert write_catalogue(page) is False
    assert catalogue_main([str(page)]) == 0
    assert "already current" in capsys.readouterr().out
    assert catalogue_main([]) == 0
    assert capsys.readouterr().out == render_catalogue()
