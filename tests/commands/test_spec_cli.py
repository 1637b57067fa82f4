"""Every command finds the spec the same way: --spec, LPSIGNING_MOJO_SPEC, then upwards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.commands import lint
from lpsigning_mojo.commands._spec import SPEC_HELP
from tests.conftest import REPO_ROOT


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository holding a copy of the spec in spec/lp-signing; no LPSIGNING_MOJO_SPEC."""
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", root / "spec" / "lp-signing")
    (root / ".git").mkdir()
    (root / "docs").mkdir()
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = cli.main(list(argv))
    except SystemExit as exit:  # argparse
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    "where", ["", "docs", "spec", "spec/lp-signing", "spec/lp-signing/staging"]
)
def test_instance_commands_work_from_anywhere_in_the_repository(
    repo: Path, where: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / where)
    status, out, _ = run(capsys, "instances")
    assert status == 0
    assert out.startswith("staging (also called dogfood)\n")
    status, out, _ = run(capsys, "upgrade", "dogfood", "--dry-run")
    assert status == 0
    assert "  command:   sudo -n -iu stg-launchpad-signing -- upgrade-staging" in out
    status, out, _ = run(capsys, "exec", "--dry-run", "staging", "--", "juju", "status")
    assert status == 0
    assert out.startswith("Would run a command for staging:")


def test_the_flag_wins_over_the_environment(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(tmp_path / "nope"))
    status, _, err = run(capsys, "instances")
    assert status == 2
    assert err.startswith(f"lpsigning-mojo: LPSIGNING_MOJO_SPEC names {tmp_path}/nope, which ")
    status, out, _ = run(capsys, "instances", "--format", "json", "--spec", "spec/lp-signing")
    assert status == 0
    assert json.loads(out)["path"] == "spec/lp-signing/instances.yaml"


def test_outside_any_repository_revisions_says_it_found_no_spec(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    charmhub_server: Any,
) -> None:
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "revisions", "--charmhub-url", charmhub_server.url)
    assert (status, out) == (2, "")
    assert err.startswith("lpsigning-mojo: no Mojo spec found: --spec is not given, ")
    assert err.endswith("or pass --spec DIR (or set LPSIGNING_MOJO_SPEC=DIR).\n")
    assert charmhub_server.requests == []  # refused before asking Charmhub


def test_revisions_from_inside_the_spec_marks_its_pins(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    charmhub_server: Any,
) -> None:
    monkeypatch.chdir(repo / "spec" / "lp-signing" / "production")
    argv = ["revisions", "--charmhub-url", charmhub_server.url, "--format", "json"]
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert {p["stage"]: p["revision"] for p in json.loads(out)["pins"]} == {
        "devel": 87,
        "production": 87,
        "staging": 87,
    }


def test_lint_without_a_path_lints_the_spec_the_environment_names(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(repo / "spec" / "lp-signing"))
    assert lint.main(["--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(Path(path).name for path in data["summary"]["files"]) == [
        "bundle.yaml",
        "instances.yaml",
        "manifest",
        "manifest-upgrade",
    ]


def test_lint_without_a_path_and_no_spec_says_what_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert lint.main([]) == 2
    assert capsys.readouterr().err.startswith("bundle-lint: no Mojo spec found: ")


def test_every_command_that_takes_spec_describes_it_the_same_way() -> None:
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "instances" in a.choices)
    described = {}
    for name in ("instances", "upgrade", "exec", "revisions"):
        [action] = [a for a in subparsers.choices[name]._actions if a.dest == "spec"]
        described[name] = action.help
    assert set(described.values()) == {SPEC_HELP}
