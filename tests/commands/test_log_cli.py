"""``lpsigning-mojo log``: text, JSON and Markdown, dates, stages, and what it refuses."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.commands.log import parse_date
from tests.conftest import REPO_ROOT
from tests.release.test_changelog import BUNDLE, LABEL, NEW_LABEL, SpecRepo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = cli.main(list(argv))
    except SystemExit as exit:  # argparse
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[SpecRepo, dict[str, str]]:
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)
    repo = SpecRepo(tmp_path / "repo")
    ids = {"init": repo.commit("Add the lp-signing spec")}
    repo.edit(BUNDLE, "revision: 87", "revision: 88")
    ids["bump"] = repo.commit("Upgrade lp-signing to revision 88\n\nLP: #100, #101\n")
    repo.edit(BUNDLE, LABEL, NEW_LABEL)
    ids["label"] = repo.commit("Deploy build_label [new] to production\n\nLP: #102\n")
    monkeypatch.chdir(repo.top)
    return repo, ids


def test_text_newest_first_with_stages_grouped(
    repo: tuple[SpecRepo, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ids = repo
    status, out, err = run(capsys, "log")
    assert (status, err) == (0, "")
    blocks = out.split("\n\n")
    assert blocks[0].splitlines() == [
        f"{ids['label'][:12]}  2026-01-04 10:00 +0000  Alice Example",
        "    Deploy build_label [new] to production",
        "    bugs: #102",
        f"    production: lp-signing build_label: {LABEL!r} -> {NEW_LABEL!r}",
    ]
    assert blocks[1].splitlines() == [
        f"{ids['bump'][:12]}  2026-01-03 10:00 +0000  Alice Example",
        "    Upgrade lp-signing to revision 88",
        "    bugs: #100, #101",
        "    devel, production, staging: lp-signing revision: 87 -> 88",
    ]
    assert blocks[2].startswith(f"{ids['init'][:12]}  2026-01-02 10:00 +0000  Alice Example\n")
    assert (
        "    devel, staging: first version: lp-signing: lp-signing latest/edge revision 87\n"
        in (blocks[2])
    )


def test_json_holds_every_field(
    repo: tuple[SpecRepo, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ids = repo
    status, out, _ = run(capsys, "log", "--format", "json", "--stage", "production")
    assert status == 0
    data = json.loads(out)
    assert data["stages"] == ["production"]
    label = data["entries"][0]
    assert label == {
        "commit": ids["label"],
        "parents": [ids["bump"]],
        "merge": False,
        "author": {"name": "Alice Example", "email": "alice@example.com"},
        "authored_at": "2026-01-04T10:00:00+00:00",
        "committed_at": "2026-01-04T10:00:00+00:00",
        "summary": "Deploy build_label [new] to production",
        "bugs": [102],
        "reverts": None,
        "reverted_by": None,
        "stages": [
            {
                "stage": "production",
                "error": None,
                "recovered": False,
                "added": [],
                "removed": [],
                "changes": [
                    {
                        "application": "lp-signing",
                        "field": "options.build_label",
                        "old": LABEL,
                        "new": NEW_LABEL,
                    }
                ],
                "classification": "release only",
                "release_only": True,
                "invalid_build_labels": [],
                "first": None,
                "deployed": None,
            }
        ],
    }
    assert [entry["commit"] for entry in data["entries"]] == [
        ids["label"],
        ids["bump"],
        ids["init"],
    ]


def test_markdown_links_bugs_and_escapes_markup(
    repo: tuple[SpecRepo, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ids = repo
    status, out, _ = run(capsys, "log", "--format", "markdown", "--since", "2026-01-03")
    assert status == 0
    assert out.splitlines()[:8] == [
        "# Deployment history (devel, production, staging)",
        "",
        "## 2026-01-04: Deploy build\\_label \\[new\\] to production",
        "",
        f"- Commit `{ids['label'][:12]}` by Alice Example, 2026-01-04 10:00 +0000",
        "- Bugs: [LP: #102](https://bugs.launchpad.net/bugs/102)",
        f"- **production**: lp-signing build\\_label: {LABEL!r} -> {NEW_LABEL!r}",
        "",
    ]
    assert "## 2026-01-03: Upgrade lp-signing to revision 88" in out
    assert "Add the lp-signing spec" not in out


def test_dates_bound_the_entries(
    repo: tuple[SpecRepo, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ids = repo
    status, out, _ = run(capsys, "log", "--format", "json", "--until", "2026-01-03")
    assert status == 0
    assert [e["commit"] for e in json.loads(out)["entries"]] == [ids["bump"], ids["init"]]
    status, out, _ = run(
        capsys, "log", "--format", "json", "--since", "2026-01-03T10:00:01Z", "--until", "2027"
    )
    assert status == 2  # "2027" is not a date
    status, out, _ = run(capsys, "log", "--format", "json", "--since", "2026-01-03T10:00:01Z")
    assert [e["commit"] for e in json.loads(out)["entries"]] == [ids["label"]]
    status, out, _ = run(capsys, "log", "--since", "2030-01-01")
    assert (status, out) == (
        0,
        "No change to what devel, production, staging deploy in the spec's history.\n",
    )


def test_parse_date() -> None:
    utc = dt.timezone.utc
    assert parse_date("2026-01-05") == dt.datetime(2026, 1, 5, tzinfo=utc)
    assert parse_date("2026-01-05T12:30Z") == dt.datetime(2026, 1, 5, 12, 30, tzinfo=utc)
    assert parse_date("2026-01-05T12:30+02:00").utcoffset() == dt.timedelta(hours=2)
    with pytest.raises(argparse.ArgumentTypeError, match="is not a date"):
        parse_date("yesterday")


def test_since_after_until_and_outside_git_are_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", tmp_path / "spec" / "lp-signing")
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "log", "--spec", "spec/lp-signing")
    assert status == 2
    assert err.startswith("lpsigning-mojo: the spec ")
    assert "is not in a git repository, and its history is the change log." in err
    status, _, err = run(capsys, "log", "--since", "2026-02-01", "--until", "2026-01-01")
    assert (status, err) == (2, "lpsigning-mojo: --since must be earlier than --until.\n")
