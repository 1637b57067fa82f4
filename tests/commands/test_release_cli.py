"""``lpsigning-mojo release staging``, ``release production``, ``upgrade production`` and ``runs``,
through the command line."""

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
from tests.json_schema import assert_documented
from tests.release import conftest as release_fixtures
from tests.release.conftest import SPEC_BUG, Production, Staging
from tests.release.harness import git

# The loopback staging and production of tests/release (spec repository, bastion, stand-ins).
staging = release_fixtures.staging
production = release_fixtures.production
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
    assert_documented("json-runs-show", shown)
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
    assert_documented("json-release-dry-run", report)
    assert (report["status"], report["dry_run"], report["exit_code"]) == ("dry-run", True, 0)
    steps = {step["step"]: step["describe"] for step in report["steps"]}
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


# -- release production, and production's trigger ------------------------------------------


@pytest.fixture
def production_environment(
    production: Production, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The same, with Launchpad credentials and the webhook, as a person would configure them."""
    credentials = production.staging.setup.launchpad_credentials
    assert credentials is not None
    monkeypatch.setenv("LPSIGNING_MOJO_LP_CREDENTIALS", str(credentials))
    monkeypatch.setenv("LPSIGNING_MOJO_MATTERMOST_WEBHOOK", production.chat.hook_url)
    return {**os.environ}


def test_a_production_release_end_to_end(
    production: Production,
    production_environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    production.bastion.build_label = production.head
    done = lpsigning_mojo(
        production_environment,
        "release", "production", "--build-label", "staging",
        "--source", str(production.source), "--yes",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "passed      build-label: production gets build_label" in out
    assert "[8/12] upgrade: started (Run upgrade-production as stg-launchpad-signing@" in out
    assert "Status: done" in out
    message = parse_message(git(production.staging.remote, "log", "-1", "--format=%B", "main"))
    assert message.summary == f"Deploy lp-signing build {production.head[:12]} on production"
    assert len(production.chat.delivered) == 1
    assert production.bastion.production_upgrades == 1
    assert production.launchpad.status(1001, "lp-signing") == "Fix Released"
    assert production.launchpad.status(SPEC_BUG, "lp-signing") == "Fix Released"
    # The webhook's URL is a secret: not in the output, nor in any journal.
    key = production.chat.hook_key
    assert key not in done.stdout + done.stderr
    runs = Path(os.environ["HOME"]) / ".local/state/lpsigning-mojo/runs"
    assert all(key not in path.read_text() for path in runs.iterdir())

    assert main(["runs", "show", "last", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["plan"] == "release-production"
    assert [step["outcome"] for step in shown["steps"]] == ["done"] * 12


def test_a_production_dry_run_as_json_touches_nothing(
    production: Production,
    production_environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["release", "production", "--dry-run", "--format", "json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    report = json.loads(captured.out)
    steps = {step["step"]: step["describe"] for step in report["steps"]}
    assert list(steps)[:2] == ["gates", "edit"]
    assert any(line.startswith("passed      staging-charm: ") for line in steps["gates"])
    assert production.chat.posts == []
    assert production.bastion.production_upgrades == 0


def test_a_blocked_gate_stops_and_an_override_on_resume_goes_on(
    production: Production,
    production_environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    production.staging.service.mode = "500"
    assert main(["release", "production", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "blocked     staging-health: " in out
    assert "Resume it with: lpsigning-mojo release production --resume " in out
    status = main(
        ["release", "production", "--resume", "last", "--yes",
         "--override", "staging-health", "--reason", "the probe is flaky; checked by hand"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    assert "overridden  staging-health: " in out
    assert "staging-health overridden by " in out
    assert production.bastion.production_upgrades == 1


def test_upgrade_production_checks_the_gates_then_runs_its_trigger(
    production: Production,
    production_environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["upgrade", "production", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Promotion gates:" in out
    assert "  passed      staging-charm: staging runs revision 87" in out
    assert "upgrade-production succeeded after" in out
    assert production.bastion.production_upgrades == 1
    log = Path(out.split("full output in ", 1)[1].split()[0].rstrip(";"))
    assert log.read_text().startswith("# promotion gates:\n# passed      spec: ")


def test_upgrade_production_refuses_when_a_gate_is_blocked(
    production: Production,
    production_environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    production.bastion.deployed = 86
    assert main(["upgrade", "production", "--yes"]) == 1
    captured = capsys.readouterr()
    assert "  blocked     staging-charm: " in captured.out
    assert "1 promotion gate(s) blocked: staging-charm; production was not upgraded" in (
        captured.err
    )
    assert production.bastion.production_upgrades == 0
    status = main(
        ["upgrade", "production", "--yes",
         "--override", "staging-charm", "--reason", "rolling back on purpose"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "staging-charm overridden by " in captured.out
    assert production.bastion.production_upgrades == 1


def test_upgrade_production_asks_first_without_yes(
    production: Production,
    production_environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["upgrade", "production"]) == 1  # no terminal in a test, so no one to ask
    assert "needs a confirmation, and there is no terminal to ask on" in capsys.readouterr().err
    assert production.bastion.production_upgrades == 0


def test_file_bug_from_the_command_line(
    production: Production,
    production_environment: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["release", "production", "--yes", "--format", "json"]) == 0
    released = json.loads(capsys.readouterr().out)
    assert_documented("json-release", released)
    assert (released["plan"], released["status"], released["dry_run"]) == (
        "release-production",
        "done",
        False,
    )
    assert main(["runs", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert_documented("json-runs", listed)
    assert [run["run_id"] for run in listed["runs"]] == [released["run_id"]]
    title = "Signing slower after the rollout"
    assert main(["release", "production", "--file-bug", title, "--format", "json"]) == 0
    filed = json.loads(capsys.readouterr().out)
    assert_documented("json-release-file-bug", filed)
    assert filed["filed"] is True
    (write,) = [w for w in production.launchpad.writes if w.kind == "createBug"]
    assert filed["url"].endswith(f"/bugs/{write.bug}")
    assert write.fields["title"] == title


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--build-label", "xyz"], "is neither a commit id of lp-signing"),
        (["--override", "soak"], "each --override GATE needs its own --reason TEXT"),
        (["--override", "lock", "--reason", "mine"], "a held lock is never overridden"),
        (["--override", "sock", "--reason", "x"], "there is no gate called 'sock'"),
        (["--override", "soak", "--reason", " "], "--override soak needs a reason"),
        (["--file-bug", "T", "--build-label", "staging"], "--file-bug files a bug about a run"),
        (["--source", "/nonexistent"], "--source /nonexistent: no such directory"),
        (["--resume", "last"], "there is no unfinished run of release-production on production"),
        (["--file-bug", "T"], "there is no run of release-production"),
    ],
)
def test_bad_production_input_is_one_sentence(
    environment: dict[str, str], args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["release", "production", *args])
    err = capsys.readouterr().err
    assert says in err
    assert status in (1, 2)
    assert "Traceback" not in err


def test_production_help_has_examples_and_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["release", "production", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "lpsigning-mojo release production --build-label staging --source" in out
    assert "whether upgrade-production (or the announcement) ran is unknown" in out
