"""Crash safety of the production release: SIGKILL anywhere, resume, and nothing happens twice.

Each trial runs ``release production --build-label staging`` in a subprocess
(``tests/release/crashrun.py``) against the loopback staging and production,
kills it with SIGKILL at one point (after each step's end is recorded; right
after ``git commit``, ``git push`` and the announcement's post returned,
before their steps' ends are recorded; in the middle of ``upgrade-production``),
resumes the run here, and checks: one commit, one push, one announcement,
one Deployable request and one mark, one run of the trigger, one status
change per bug, the run done and the lock released.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from lpsigning_mojo.release.production import release_production, resumed_options
from lpsigning_mojo.runbook import RunStore
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins.ssh import Session
from tests.release.conftest import SPEC_BUG, Console, Production
from tests.release.harness import commits_of_run
from tests.release.test_crash import count_pushes, kill_at, start

STEPS = (
    "gates", "edit", "commit", "push", "note", "deployable-request", "announce", "upgrade",
    "publisher-logs", "bugs", "deployable-deployed", "summary",
)  # fmt: skip
POINTS = [*(f"done:{step}" for step in STEPS), "after:commit", "after:push", "after:post"]


def resume_here(production: Production, *, answers: str | None = None) -> tuple[str, Console]:
    runs = RunStore(production.staging.setup.runs, clock=FakeClock())
    run_id, options = resumed_options(runs, "last")
    world, console = production.world(answers=answers)
    report = release_production(world, options, resume=run_id)
    assert (report.status, report.exit_code) == ("done", 0), console.text
    return run_id, console


def assert_once(production: Production, run_id: str, pushes: Path) -> None:
    assert len(commits_of_run(production.staging.clone, run_id)) == 1
    assert production.remote_log()[0] == (
        f"Deploy lp-signing build {production.head[:12]} on production"
    )
    assert production.remote_log()[1] == "Tidy the spec"
    assert pushes.read_text().splitlines() == ["push"]
    assert len(production.chat.posts) == 1
    assert len(production.requested()) == len(production.marked()) == 1
    assert production.bastion.production_upgrades == 1
    assert production.bastion.production == {"revision": 87, "build_label": production.head}
    changes = [w.bug for w in production.launchpad.writes if w.kind == "patch"]
    assert sorted(changes) == sorted([SPEC_BUG, 1001])
    assert production.bastion.lock_holder("production") is None


@pytest.mark.parametrize("point", POINTS)
def test_a_run_killed_anywhere_resumes_without_repeating_anything(
    production: Production, point: str
) -> None:
    production.bastion.build_label = production.head
    pushes = count_pushes(production.staging)
    kill_at(production.staging, point, "--production", str(production.source))
    answers = "1\n" if point == "after:post" else None  # the post's outcome: ask
    run_id, console = resume_here(production, answers=answers)
    if point in ("after:commit", "after:push"):
        step = point.partition(":")[2]
        assert f"] {step}: skipped (already done)" in console.text  # git read back
    if point == "after:post":
        assert "What happened to step announce?" in console.asked.getvalue()
    assert_once(production, run_id, pushes)


def test_a_run_killed_during_upgrade_production_asks_and_does_not_run_it_again(
    production: Production,
) -> None:
    production.bastion.build_label = production.head
    pushes = count_pushes(production.staging)
    gate = threading.Event()

    def upgrade(session: Session) -> None:
        session.out("Running Mojo on is-bastion-il3-not-ps5.internal: lp-signing/production\n")
        gate.wait(30)
        production.bastion.production = production.bastion.production_pins()  # ran on, to its end

    production.bastion.production_upgrade = upgrade
    child = start(production.staging, "--production", str(production.source))
    assert production.bastion.production_started.wait(60)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    gate.set()
    run_id, console = resume_here(production, answers="1\n")
    text = console.text
    assert "The last attempt at step upgrade may or may not have taken effect" in text
    assert text.index("] upgrade: done (counted as done") < text.index("] publisher-logs:")
    assert_once(production, run_id, pushes)
