"""The instances, upgrade and exec commands, short of connecting anywhere."""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.remote import OutputLine
from lpsigning_mojo.runbook.progress import Progress, elapsed, log_directory, open_log
from lpsigning_mojo.testing import FakeClock
from tests.conftest import REPO_ROOT

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the CLI; return its status, stdout and stderr."""
    # Other branches add command modules; register only those present here.
    present = tuple(m for m in cli.COMMAND_MODULES if importlib.util.find_spec(m) is not None)
    monkeypatch.setattr(cli, "COMMAND_MODULES", present)
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            status = cli.main(list(argv))
        except SystemExit as exit:  # argparse
            status = int(exit.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_instances_lists_both_with_their_environments(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)  # the default spec is spec/lp-signing, from here
    status, out, _ = run("instances")
    assert status == 0
    assert out.splitlines()[:2] == [
        "staging (also called dogfood)",
        "  stage:            lp-signing/staging",
    ]
    assert (
        "  managed from:     prod-launchpad-signing@is-bastion-il3-not-ps5.internal (IS only)"
        in out
    )
    assert (
        "  trigger upgrade:  upgrade-production, run as "
        "stg-launchpad-signing@launchpad-bastion-ps5.internal"
    ) in out


def test_instances_as_json(run: Run, spec_dir: Path) -> None:
    status, out, _ = run("instances", "--format", "json", "--spec", str(spec_dir))
    assert status == 0
    data = json.loads(out)
    staging, production = data["instances"]
    assert staging["aliases"] == ["dogfood"]
    assert (staging["instance"], staging["stage"]) == ("staging", "staging")
    assert staging["mojo_stage"] == "lp-signing/staging"
    assert staging["triggers"][0]["trigger"] == "upgrade"
    assert staging["triggers"][0]["argv"] == ["upgrade-staging"]
    assert production["url"] is None
    assert [env["environment"] for env in data["environments"]] == ["staging", "production"]
    assert "line" not in staging


def test_the_spec_comes_from_the_environment_unless_given(
    run: Run, spec_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()  # the search for a spec stops at the top of a repository
    monkeypatch.chdir(tmp_path)
    status, _, err = run("instances")
    assert status == 2
    assert err == (
        f"lpsigning-mojo: no Mojo spec found: --spec is not given, LPSIGNING_MOJO_SPEC is not "
        f"set, and no directory from {tmp_path.resolve()} up to {tmp_path.resolve()} holds a "
        "manifest, bundle.yaml or instances.yaml, itself or in spec/NAME/. Run this inside the "
        "spec's repository, or pass --spec DIR (or set LPSIGNING_MOJO_SPEC=DIR).\n"
    )
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(spec_dir))
    assert run("instances")[0] == 0
    status, _, err = run("instances", "--spec", str(tmp_path))
    assert status == 1
    assert err == (
        f"lpsigning-mojo: {tmp_path}/instances.yaml does not exist. Pass --spec DIR naming the "
        "spec directory that holds it (or set LPSIGNING_MOJO_SPEC).\n"
    )


def test_a_broken_instances_file_is_one_sentence_not_a_traceback(run: Run, tmp_path: Path) -> None:
    (tmp_path / "instances.yaml").write_text("instances: {}\nenvironments: {}\nextra: 1\n")
    status, out, err = run("instances", "--spec", str(tmp_path))
    assert (status, out) == (1, "")
    assert err == (
        f"lpsigning-mojo: {tmp_path}/instances.yaml:3:1: the file has unknown key 'extra' "
        "(allowed: environments, instances).\n"
    )


def test_upgrade_dry_run_says_exactly_what_would_run(run: Run, spec_dir: Path) -> None:
    status, out, _ = run("upgrade", "production", "--dry-run", "--spec", str(spec_dir))
    assert status == 0
    assert out.splitlines()[:6] == [
        "Would run the upgrade trigger of production:",
        "  instance:  production (lp-signing/production)",
        "  run as:    stg-launchpad-signing@launchpad-bastion-ps5.internal "
        "(log in as yourself, then sudo -iu stg-launchpad-signing)",
        "  ssh to:    launchpad-bastion-ps5.internal",
        "  command:   sudo -n -iu stg-launchpad-signing -- upgrade-production",
        "  limits:    with a pty, timeout 1800 s, idle timeout 600 s",
    ]
    assert out.splitlines()[-1] == "Nothing was run (--dry-run)."


def test_upgrade_takes_aliases_and_timeouts(run: Run, spec_dir: Path) -> None:
    status, out, _ = run(
        "upgrade", "dogfood", "--dry-run", "--timeout", "90", "--idle-timeout", "30",
        "--spec", str(spec_dir),
    )  # fmt: skip
    assert status == 0
    assert "  command:   sudo -n -iu stg-launchpad-signing -- upgrade-staging" in out
    assert "  limits:    with a pty, timeout 90 s, idle timeout 30 s" in out


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf", "nan"])
def test_timeouts_must_be_positive_numbers(run: Run, spec_dir: Path, value: str) -> None:
    status, _, err = run("upgrade", "staging", "--timeout", value, "--spec", str(spec_dir))
    assert status == 2
    assert f"argument --timeout: {value!r} is not a positive number of seconds" in err


def test_an_unknown_instance_lists_the_valid_ones(run: Run, spec_dir: Path) -> None:
    status, _, err = run("upgrade", "prod", "--dry-run", "--spec", str(spec_dir))
    assert status == 1
    assert err.endswith(
        "there is no instance called 'prod' (did you mean 'production'?). Valid names and "
        "aliases: staging, dogfood, production.\n"
    )


def test_exec_is_refused_for_production_with_the_reason(run: Run, spec_dir: Path) -> None:
    status, out, err = run("exec", "--spec", str(spec_dir), "production", "--", "juju", "status")
    assert (status, out) == (1, "")
    assert err == (
        "lpsigning-mojo: running 'juju status' is refused: production is managed by IS from "
        "prod-launchpad-signing@is-bastion-il3-not-ps5.internal, where developers have no "
        "access. Use its triggers instead (upgrade), e.g. lpsigning-mojo upgrade production.\n"
    )


def test_exec_dry_run_on_staging(run: Run, spec_dir: Path) -> None:
    status, out, _ = run(
        "exec", "--dry-run", "--spec", str(spec_dir), "dogfood", "--", "juju", "status", "-m", "x y"
    )
    assert status == 0
    assert "  command:   sudo -n -iu stg-launchpad-signing -- juju status -m 'x y'" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["staging"], "no command given to run"),
        (["staging", "--"], "no command given to run"),
        (["staging", "--", "--dry-run"], "'--dry-run' is not a command"),
    ],
)
def test_exec_usage_errors(run: Run, spec_dir: Path, argv: list[str], message: str) -> None:
    status, out, err = run("exec", "--spec", str(spec_dir), *argv)
    assert (status, out) == (2, "")
    assert err == (
        f"lpsigning-mojo: {message}. Write: lpsigning-mojo exec [OPTIONS] staging -- "
        "COMMAND [ARGS].\n"
    )


def test_progress_prints_plain_lines_with_elapsed_time_off_a_terminal() -> None:
    out, clock = io.StringIO(), FakeClock()
    progress = Progress("upgrade-staging", out=out, tty=False, clock=clock)
    progress.line(OutputLine(stream="stdout", text="Running phase 1"))
    clock.now += 75
    progress.line(OutputLine(stream="stderr", text="Running phase 2"))
    progress.close()
    assert out.getvalue() == "[00:00] Running phase 1\n[01:15] Running phase 2\n"


def test_progress_keeps_one_status_line_on_a_terminal() -> None:
    out, clock = io.StringIO(), FakeClock()
    progress = Progress("upgrade-staging", out=out, tty=True, clock=clock, tick=None)
    progress.line(OutputLine(stream="stdout", text="  Running phase 1  "))
    clock.now += 3725
    progress.line(OutputLine(stream="stdout", text="Running phase 2"))
    progress.close()
    progress.close()
    assert out.getvalue() == (
        "\r\x1b[K[00:00] upgrade-staging: Running phase 1"
        "\r\x1b[K[1:02:05] upgrade-staging: Running phase 2\n"
    )


def test_elapsed() -> None:
    assert [elapsed(s) for s in (0, 59.9, 60, 3599, 3600)] == [
        "00:00",
        "00:59",
        "01:00",
        "59:59",
        "1:00:00",
    ]


def test_log_files_go_to_the_state_directory_and_never_clobber(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert log_directory() == Path.home() / ".local/state/lpsigning-mojo/logs"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    first, log1 = open_log("upgrade-staging")
    second, log2 = open_log("upgrade-staging")
    log1.close()
    log2.close()
    assert first.parent == tmp_path / "lpsigning-mojo" / "logs"
    assert first != second
    assert first.name.startswith("upgrade-staging-")
