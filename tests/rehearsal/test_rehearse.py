"""``lpsigning-mojo rehearse``: a whole release in a loopback world, judged by its JSON report.

Each test runs the command (in this process, as a user would through
``main``) against the shipped spec, and checks what the report says against
what the world itself shows where it can be read back: the remote's history,
the Launchpad stand-in's bugs, the journals.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.rehearsal.world import CHARM_BUG, MULTI_STEP_BUG, PAYLOAD_BUGS
from lpsigning_mojo.testing.standins import descendants, process_alive
from tests.conftest import REPO_ROOT
from tests.json_schema import assert_documented

SPEC = REPO_ROOT / "spec" / "lp-signing"
#: The revision the Charmhub stand-in's sample offers in latest/edge for jammy.
LATEST = 89
MOVED = sorted({CHARM_BUG, *PAYLOAD_BUGS} - {MULTI_STEP_BUG})


def rehearse(*args: str) -> tuple[int, dict[str, Any], str]:
    """Run ``lpsigning-mojo rehearse --format json ARGS``: status, report, what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = cli.main(["rehearse", "--format", "json", "--spec", str(SPEC), *args])
        except SystemExit as exit:  # argparse's own errors
            status = exit.code if isinstance(exit.code, int) else 1
    report = json.loads(out.getvalue()) if out.getvalue().strip() else {}
    return status, report, err.getvalue()


def runs(report: dict[str, Any]) -> list[tuple[str, str, bool, str | None]]:
    return [
        (run["plan"], run["status"], run["resumed"], run["stopped_at"]) for run in report["runs"]
    ]


def pins(report: dict[str, Any], where: str, name: str, when: str) -> tuple[object, object]:
    values = report[where][name][when]
    return values["revision"], values["build_label"]


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _ports(report: dict[str, Any]) -> list[int]:
    found = []
    for address in report["stand_ins"].values():
        text = str(address).split("//")[-1]
        if text.startswith("127.0.0.1:"):
            found.append(int(text.split(":")[1].split("/")[0].split(" ")[0]))
    return found


def test_a_rehearsal_releases_staging_then_production_and_leaves_nothing_behind() -> None:
    threads = set(threading.enumerate())

    status, report, printed = rehearse()

    assert status == 0, printed[-3000:]
    assert_documented("json-rehearse", report)
    assert report["ok"] is True
    assert all(expectation["held"] for expectation in report["expectations"])
    assert runs(report) == [
        ("release-staging", "done", False, None),
        ("release-production", "done", False, None),
    ]
    # The spec history: the staging release's commit, then production's, each naming its bugs
    # and its run.
    commits = report["spec_commits"]
    assert [commit["summary"] for commit in commits] == [
        f"Upgrade lp-signing charm to revision {LATEST} on staging",
        f"Deploy lp-signing build {report['models']['staging']['after']['build_label'][:12]} "
        "on production",
    ]
    assert [commit["bugs"] for commit in commits] == [[CHARM_BUG], list(PAYLOAD_BUGS)]
    assert [commit["run"] for commit in commits] == [run["run_id"] for run in report["runs"]]
    # What the spec pins, and what each model runs now.
    master = report["models"]["staging"]["before"]["build_label"]
    old_build = report["models"]["production"]["before"]["build_label"]
    assert master != old_build
    assert pins(report, "bundles", "staging", "after") == (LATEST, None)
    assert pins(report, "bundles", "production", "before") == (87, old_build)
    assert pins(report, "bundles", "production", "after") == (LATEST, master)
    assert pins(report, "models", "staging", "after") == (LATEST, master)
    assert pins(report, "models", "production", "before") == (87, old_build)
    assert pins(report, "models", "production", "after") == (LATEST, master)
    # Exactly one announcement, the bugs moved and skipped, Deployable told twice.
    assert len(report["announcements"]) == 1
    assert report["announcements"][0].startswith(f"Rolling out lp-signing revision {LATEST}")
    assert sorted(report["bugs"]["moved"]) == MOVED
    assert [entry["bug"] for entry in report["bugs"]["skipped"]] == [MULTI_STEP_BUG]
    assert "multi-step" in report["bugs"]["skipped"][0]["reason"]
    statuses = report["bugs"]["statuses"]
    for bug in MOVED:
        assert statuses[str(bug)] == {
            "before": {"lp-signing": "Fix Committed"},
            "after": {"lp-signing": "Fix Released"},
        }
    assert statuses[str(MULTI_STEP_BUG)]["after"]["lp-signing"] == "Fix Committed"
    assert [record["what"] for record in report["deployable"]] == ["request", "deployed"]
    assert set(report["durations"]) == {"world", "staging", "production", "total"}
    assert report["durations"]["total"] < 60
    # Each step was printed as it happened; the world is gone, and so is everything it ran.
    assert "[7/9] upgrade: started" in printed
    assert "[8/12] upgrade: started" in printed
    assert not report["world"]["kept"]
    assert not Path(report["world"]["directory"]).exists()
    assert not [pid for pid in descendants(os.getpid()) if process_alive(pid)]
    assert all(_refused(port) for port in _ports(report)), report["stand_ins"]
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - threads and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(threading.enumerate()) - threads == set()


def test_staging_unhealthy_blocks_production_at_its_gate_with_the_reason() -> None:
    status, report, printed = rehearse("--fail", "staging-unhealthy")

    assert status == 0, printed[-3000:]
    assert runs(report) == [
        ("release-staging", "done", False, None),
        ("release-production", "failed", False, "gates"),
    ]
    blocked = report["runs"][1]["blocked"]
    assert [gate["gate"] for gate in blocked] == ["staging-health"]
    assert "HTTP 500" in blocked[0]["reason"]
    assert blocked[0]["unblock"]
    assert "blocked     staging-health" in printed
    assert pins(report, "models", "production", "after") == pins(
        report, "models", "production", "before"
    )
    assert report["announcements"] == []
    assert report["bugs"]["moved"] == []
    assert report["deployable"] == []
    assert len(report["spec_commits"]) == 1  # staging's only


def test_a_connection_dropped_during_upgrade_production_is_resumed_to_completion() -> None:
    status, report, printed = rehearse("--fail", "drop-during-upgrade-production")

    assert status == 0, printed[-3000:]
    assert runs(report) == [
        ("release-staging", "done", False, None),
        ("release-production", "unknown", False, "upgrade"),
        ("release-production", "done", True, None),
    ]
    first, resumed = report["runs"][1:]
    assert first["exit_code"] == 4
    assert first["run_id"] == resumed["run_id"]
    assert "whether it succeeded is unknown" in str(first["error"])
    assert "What happened to step upgrade?" in printed
    assert "run it again (the rehearsal's answer)" in printed
    assert len(report["announcements"]) == 1  # not posted again by the resume
    assert [record["what"] for record in report["deployable"]] == ["request", "deployed"]
    assert pins(report, "models", "production", "after")[0] == LATEST
    assert report["models"]["production"]["after"]["deployments"] == (
        report["models"]["production"]["before"]["deployments"] + 1
    )  # the cut-off run deployed nothing; the second did
    assert sorted(report["bugs"]["moved"]) == MOVED


def test_a_push_race_is_rejected_then_rebased_and_pushed(tmp_path: Path) -> None:
    world = tmp_path / "world"
    status, report, printed = rehearse("--fail", "push-race", "--keep", str(world))

    assert status == 0, printed[-3000:]
    assert runs(report)[:2] == [
        ("release-staging", "failed", False, "push"),
        ("release-staging", "done", True, None),
    ]
    assert "rejected because the remote branch moved on" in str(report["runs"][0]["error"])
    assert "origin/main moved on: rebasing onto it." in printed
    # The kept world: the remote's history holds the colleague's commit, then the release's.
    log = subprocess.run(
        ["git", "log", "--format=%an|%s", "main"],
        cwd=world / "spec-remote.git",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert log[:3] == [
        f"Rehearsal Releaser|{report['spec_commits'][-1]['summary']}",
        f"Rehearsal Releaser|Upgrade lp-signing charm to revision {LATEST} on staging",
        "Another Releaser|Note the on-call review in README.md",
    ]
    assert report["world"] == {"directory": str(world.resolve()), "kept": True}
    for journal in report["journals"]:
        assert Path(journal).is_file()
        assert Path(journal).is_relative_to(world.resolve() / "state")


def test_the_world_is_refused_where_something_already_is(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("mine\n")

    status, report, printed = rehearse("--keep", str(tmp_path / "busy"))

    assert status == 2
    assert report == {}
    assert "it exists and is not an empty directory" in printed
    assert (tmp_path / "busy" / "file").read_text() == "mine\n"


def test_an_unknown_scenario_names_the_closest() -> None:
    status, _, printed = rehearse("--fail", "push-rase")
    assert status == 2
    assert "did you mean 'push-race'?" in printed


def test_ctrl_c_stops_every_server_and_command_and_removes_the_world(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TMPDIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "lpsigning_mojo", "rehearse", "--spec", str(SPEC)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    for line in process.stdout:
        seen.append(line)
        if "mojo: phase 1" in line:  # upgrade-staging is running on the bastion
            break
    children = [pid for pid in descendants(process.pid) if process_alive(pid)]
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    printed = "".join(seen) + rest

    assert process.returncode == 130, printed[-3000:]
    assert children
    assert not [pid for pid in children if process_alive(pid)]
    assert not list(tmp_path.glob("lpsigning-mojo-rehearsal-*"))
    ports = [int(port) for port in _ports_printed(printed)]
    assert ports
    assert all(_refused(port) for port in ports)


def _ports_printed(text: str) -> list[str]:
    import re

    return re.findall(r"127\.0\.0\.1:(\d+)", text.split("== Staging")[0])


def test_the_rehearsal_runs_the_same_against_a_real_openssh_sshd() -> None:
    from lpsigning_mojo.testing.standins.openssh import sshd_missing_reason

    missing = sshd_missing_reason()
    if missing:
        pytest.skip(missing)

    status, report, printed = rehearse("--ssh", "openssh")

    assert status == 0, printed[-3000:]
    assert report["stand_ins"]["bastion"].endswith("(openssh)")
    assert runs(report) == [
        ("release-staging", "done", False, None),
        ("release-production", "done", False, None),
    ]
    assert pins(report, "models", "production", "after")[0] == LATEST
    assert len(report["announcements"]) == 1
    assert not [pid for pid in descendants(os.getpid()) if process_alive(pid)]
