"""``lpsigning-mojo release staging`` and ``runs``, through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from lpsigning_mojo.cli import main
from lpsigning_mojo.commands import release as release_commands
from lpsigning_mojo.commits import parse_message
from lpsigning_mojo.release.world import ReleaseWorld, Waits
from tests.conftest import REPO_ROOT
from tests.release import conftest as release_fixtures
from tests.release.conftest import Staging
from tests.release.harness import git

# The loopback staging of tests/release (spec repository, bastion, stand-ins).
staging = release_fixtures.staging
_identity = release_fixtures._identity


@pytest.fixture
def environment(staging: Staging, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What a person's shell would hold: ssh config and known_hosts, and where things are."""
    home = Path(os.environ["HOME"])
    (home / ".ssh").mkdir(exist_ok=True)
    (home / ".ssh" / "config").write_text(
        staging.setup.ssh_config.read_text() + f"  UserKnownHostsFile {staging.setup.known_hosts}\n"
    )
    values = {
        "CHARMHUB_URL": staging.charmhub.url,
        "LPSIGNING_MOJO_LAUNCHPAD_URL": staging.launchpad.service_root,
        "LPSIGNING_MOJO_SPEC": str(staging.spec),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**os.environ}


def lpsigning_mojo(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpsigning_mojo", *args],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_staging_release_end_to_end(
    staging: Staging, environment: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    staging.launchpad.add_bug(2034567, title="Kernel signing times out")
    done = lpsigning_mojo(
        environment, "release", "staging", "--latest", "--bug", "2034567", "--yes"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[7/9] upgrade: started (Run upgrade-staging as stg-launchpad-signing@" in done.stdout
    assert "[00:00] lp-signing is at revision 89" in done.stdout
    assert "Status: done" in done.stdout
    message = parse_message(git(staging.remote, "log", "-1", "--format=%B", "main"))
    assert message.summary == "Upgrade lp-signing charm to revision 89 on staging"
    assert message.bugs == (2034567,)
    assert staging.bastion.upgrades == 1
    assert staging.bastion.lock_holder() is None

    assert main(["runs"]) == 0
    listed = capsys.readouterr().out
    assert "release-staging  staging   done" in listed
    assert main(["runs", "show", "last", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "done"
    assert [step["outcome"] for step in shown["steps"]] == ["done"] * 9
    assert (
        shown["steps"][4]["outputs"]["commit"] == git(staging.remote, "rev-parse", "main").strip()
    )


def test_a_dry_run_as_json_lists_every_step_and_touches_nothing(
    staging: Staging, environment: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["release", "staging", "--revision", "89", "--dry-run", "--format", "json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    report = json.loads(captured.out)
    assert report["status"] == "dry-run"
    steps = {step["name"]: step["describe"] for step in report["steps"]}
    assert list(steps) == [
        "preflight", "target", "bugs", "edit", "commit", "push", "upgrade", "verify", "summary",
    ]  # fmt: skip
    assert "+    revision: 89" in steps["edit"]
    assert "  Upgrade lp-signing charm to revision 89 on staging" in steps["commit"]
    assert "Dry run of release-staging on staging" in captured.err  # people's text: stderr
    assert staging.server.connections == 0
    assert staging.remote_log() == ["Start the spec"]


def test_a_stopped_run_resumes_with_its_own_options_only(
    staging: Staging,
    environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = release_commands.build_world  # real time, in this process: shorter waits

    def build_world(**kwargs: Any) -> ReleaseWorld:
        return attrs.evolve(made(**kwargs), waits=Waits(health_delay=0.05))

    monkeypatch.setattr(release_commands, "build_world", build_world)
    (staging.spec / "draft").write_text("x\n")
    assert main(["release", "staging", "--revision", "89", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "Run " in out
    assert "stopped at step preflight (failed)" in out
    assert "Resume it with: lpsigning-mojo release staging --resume " in out
    assert main(["release", "staging", "--resume", "last", "--revision", "88"]) == 2
    assert "continues with the options it started with, not --revision" in capsys.readouterr().err
    (staging.spec / "draft").unlink()
    assert main(["release", "staging", "--resume", "last", "--yes"]) == 0
    assert "Resuming run" in capsys.readouterr().out
    assert staging.bastion.upgrades == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give the revision to deploy (--revision N) or ask for the latest (--latest)"),
        (["--latest", "--source", "."], "--source PATH and --since REV go together"),
        (["--latest", "--since", "abc"], "--since needs a clone of lp-signing"),
        (["--latest", "--since", "abc", "--source", "/nonexistent"], "no such directory"),
        (["--resume", "last"], "there is no unfinished run of release-staging on staging"),
    ],
)
def test_bad_input_is_one_sentence(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["release", "staging", *args])
    err = capsys.readouterr().err
    assert says in err
    assert status in (1, 2)
    assert "Traceback" not in err


def test_help_has_examples_and_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["release", "staging", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "lpsigning-mojo release staging --latest --dry-run" in out
    assert "  4    the connection was lost while upgrade-staging ran: resume" in out


def test_runs_without_any(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "list"]) == 0
    assert "No runs in " in capsys.readouterr().out
    assert main(["runs", "show", "last"]) == 1
    assert "there are no runs in" in capsys.readouterr().err
