"""The one "did you mean" helper, and its uses that the other tests do not show."""

from __future__ import annotations

import pytest

from lpsigning_mojo.suggest import closest, did_you_mean


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("stauts", ["status", "instances", "upgrade"], "status"),
        ("Staging", ["staging", "production"], "staging"),
        ("prod", ["staging", "dogfood", "production"], "production"),
        ("lp-signin", ["lp-signing", "nrpe"], "lp-signing"),
        ("qa", ["staging", "production"], None),
        ("s", ["staging", "status"], None),
        ("", ["staging"], None),
        ("x", [], None),
    ],
)
def test_closest(word: str, choices: list[str], expected: str | None) -> None:
    assert closest(word, choices) == expected


def test_did_you_mean_ends_a_sentence_or_adds_nothing() -> None:
    assert did_you_mean("nrep", {"nrpe", "lp-signing"}) == " (did you mean 'nrpe'?)"
    assert did_you_mean("postgresql", {"nrpe", "lp-signing"}) == ""


def test_the_helper_is_the_only_one() -> None:
    """Every suggestion in the package comes from lpsigning_mojo.suggest."""
    from tests.conftest import REPO_ROOT

    users = [
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / "lpsigning_mojo").rglob("*.py")
        if "get_close_matches" in path.read_text(encoding="utf-8")
    ]
    assert users == ["lpsigning_mojo/suggest.py"]


def test_the_helper_imports_nothing_of_the_package() -> None:
    """It sits at the bottom of the import graph: errors.py and the lint path use it."""
    import ast
    from pathlib import Path

    import lpsigning_mojo.suggest as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    nodes = list(ast.walk(tree))
    imported = {a.name for n in nodes if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in nodes if isinstance(n, ast.ImportFrom) and n.module}
    assert imported == {"__future__", "collections.abc", "difflib"}
