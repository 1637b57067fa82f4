"""``bundle-lint`` and ``lpsigning-mojo lint``: options, output and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.commands import lint as command
from tests.lint.helpers import CLEAN, make_spec


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_spec(tmp_path, bundle=CLEAN.replace("    revision: 125\n", ""))


def test_clean_exit_zero(spec_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main([str(spec_dir)]) == 0
    assert capsys.readouterr().out == (
        "Spec spec/lp-signing (spec root spec): stages lp-signing/devel, "
        "lp-signing/production, lp-signing/staging.\n"
        "No problems in 4 files (stages checked: devel, production, staging).\n"
    )


def test_warnings_pass_unless_strict(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main(["spec", "--stage", "staging"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "spec/bundle.yaml:3:12: LSM202 warning: nrpe: Charmhub charm 'nrpe' has no pinned "
        "revision [staging]"
    )
    assert command.main(["spec", "--stage", "staging", "--strict"]) == 1


def test_errors_exit_one(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main(["spec/bundle.yaml", "--stage", "spec/production"]) == 1
    assert "LSM202 nrpe" in capsys.readouterr().out


def test_json_format(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main(["spec", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [f["severity"] for f in document["findings"]] == ["error", "warning"]


def test_github_format(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command.main(["spec", "--format", "github"])
    assert capsys.readouterr().out.startswith("::error file=spec/bundle.yaml,line=3,col=12,")


@pytest.mark.parametrize(
    "argv", [["no-such-dir"], ["spec", "--stage", "qa"], ["spec", "--format", "xml"]]
)
def test_usage_errors_exit_two(
    spec: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = command.main(argv)
    except SystemExit as exit:  # argparse's own usage errors
        status = int(exit.code or 0)
    assert status == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_unexpected_error_is_reported_with_a_log(
    spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("lpsigning_mojo.lint.runner.lint_paths", explode)
    assert command.main(["spec"]) == 3
    err = capsys.readouterr().err
    assert "unexpected error (RuntimeError: boom)" in err
    log = Path(err.split("traceback is in ")[1].split(";")[0])
    assert "RuntimeError: boom" in log.read_text()
    log.unlink()


def test_lpsigning_mojo_lint(
    spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "lpsigning_mojo.commands.lint" in cli.COMMAND_MODULES
    # Only this command module: the others' modules are not needed (nor all present) here.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("lpsigning_mojo.commands.lint",))
    assert cli.main(["lint", "spec", "--stage", "staging", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["warnings"] == 1
    assert cli.main(["lint", "nowhere"]) == 2
    assert "no such file or directory" in capsys.readouterr().err
