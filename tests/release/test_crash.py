"""Crash safety of the staging release: SIGKILL anywhere, resume, and nothing happens twice.

Each trial runs the release in a subprocess (``tests/release/crashrun.py``)
against the loopback staging, kills it with SIGKILL at one point (after each
step's end is recorded; right after ``git commit`` and ``git push`` returned,
before their steps' ends are recorded; in the middle of ``upgrade-staging``),
resumes the run here, and checks: one commit, one push, one run of the
trigger, the run done and the lock released.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lpsigning_mojo.release.staging import release_staging, resumed_options
from lpsigning_mojo.runbook import RunStore
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins.ssh import Session
from tests.conftest import REPO_ROOT
from tests.release.conftest import Staging
from tests.release.harness import commits_of_run

STEPS = ("preflight", "target", "bugs", "edit", "commit", "push", "upgrade", "verify", "summary")
POINTS = [*(f"done:{step}" for step in STEPS), "after:commit", "after:push"]


def count_pushes(staging: Staging) -> Path:
    """Install a hook in the remote that counts the pushes it receives."""
    counter = staging.work / "pushes"
    hook = staging.remote / "hooks" / "post-receive"
    hook.write_text(f"#!/bin/sh\necho push >> {counter}\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    return counter


def start(staging: Staging, *extra: str) -> subprocess.Popen[str]:
    setup = staging.work / "setup.json"
    setup.write_text(staging.setup.to_json())
    return subprocess.Popen(
        [sys.executable, "-m", "tests.release.crashrun", str(setup), *extra],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def kill_at(staging: Staging, point: str, *extra: str) -> str:
    child = start(staging, "--pause", point, *extra)
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line)
        if line.strip() == f"PAUSED {point}":
            child.send_signal(signal.SIGKILL)
            break
    rest, errors = child.communicate(timeout=60)
    output = "".join(seen) + rest + errors
    assert child.returncode == -signal.SIGKILL, f"never reached {point}:\n{output}"
    return output


def resume_here(staging: Staging, *, answers: str | None = None) -> tuple[str, str]:
    runs = RunStore(staging.setup.runs, clock=FakeClock())
    run_id, options = resumed_options(runs, "last")
    world, console = staging.world(answers=answers)
    report = release_staging(world, options, resume=run_id)
    assert (report.status, report.exit_code) == ("done", 0), console.text
    return run_id, console.text


def assert_once(staging: Staging, run_id: str, pushes: Path) -> None:
    assert len(commits_of_run(staging.clone, run_id)) == 1
    assert staging.remote_log() == [
        "Upgrade lp-signing charm to revision 89 on staging",
        "Start the spec",
    ]
    assert pushes.read_text().splitlines() == ["push"]
    assert staging.bastion.upgrades == 1
    assert staging.bastion.deployed == 89
    assert staging.bastion.lock_holder() is None


@pytest.mark.parametrize("point", POINTS)
def test_a_run_killed_at_any_step_resumes_without_repeating_anything(
    staging: Staging, point: str
) -> None:
    pushes = count_pushes(staging)
    kill_at(staging, point)
    step = point.partition(":")[2]
    if point == "done:summary":  # it had finished all but recording the end
        assert staging.bastion.lock_holder() is not None
    run_id, text = resume_here(staging)
    if point.startswith("after:"):
        assert f"] {step}: skipped (already done)" in text  # its check read git
    assert_once(staging, run_id, pushes)


def test_a_run_killed_during_upgrade_staging_asks_and_does_not_run_it_again(
    staging: Staging,
) -> None:
    pushes = count_pushes(staging)
    gate = threading.Event()

    def upgrade(session: Session) -> None:
        session.out("Running Mojo for lp-signing/staging\n")
        gate.wait(30)
        staging.bastion.deployed = staging.bastion.remote_pin()  # it ran on, to its end

    staging.bastion.upgrade = upgrade
    child = start(staging)
    assert staging.bastion.started.wait(60)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    gate.set()
    run_id, text = resume_here(staging, answers="1\n")
    assert "The last attempt at step upgrade may or may not have taken effect" in text
    assert_once(staging, run_id, pushes)
