"""execute(): steps in order, the journal, resume, failures, Ctrl-C, unknown outcomes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs
import pytest

from lpsigning_mojo._version import __version__
from lpsigning_mojo.errors import (
    CommandInterruptedError,
    JournalBusyError,
    JournalError,
    LockHeldError,
    OutcomeUnknown,
    ResumeMismatchError,
    RunbookError,
    RunNotFoundError,
)
from lpsigning_mojo.runbook import (
    EXIT_INTERRUPTED,
    Journal,
    LockOwner,
    Plan,
    RemoteDirLock,
    RunStore,
    Session,
    StepState,
    StreamReporter,
    execute,
)
from lpsigning_mojo.testing import FakeClock
from tests.runbook.conftest import Act, Action, Boom, DemoWorld, make_world, raise_once

RESUME = "demo-release --resume {run_id}"


def plan(*steps: Act, options: dict[str, object] | None = None) -> Plan[DemoWorld]:
    return Plan(name="demo", instance="staging", options=options or {"revision": 90}, steps=steps)


def three(**middle: object) -> Plan[DemoWorld]:
    return plan(Act(name="edit"), Act(name="push", **middle), Act(name="verify"))  # type: ignore[arg-type]


def records(runs: RunStore, run_id: str) -> list[dict[str, object]]:
    path = runs.directory / f"{run_id}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_run_performs_each_step_once_in_order_and_records_it(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    report = execute(three(), world, runs=runs, lock=lock)
    assert (report.status, report.exit_code) == ("done", 0)
    assert world.outside.effects == ["edit", "push", "verify"]
    assert report.run_id is not None
    kinds = [(r["type"], r.get("step")) for r in records(runs, report.run_id)]
    assert kinds[0] == ("run", None)
    assert kinds[1:7] == [
        ("step-start", "edit"),
        ("step-end", "edit"),
        ("step-start", "push"),
        ("step-end", "push"),
        ("step-start", "verify"),
        ("step-end", "verify"),
    ]
    assert kinds[-2:] == [("note", None), ("finish", None)]
    assert report.summary is not None
    assert [(s.name, s.outcome, s.outputs) for s in report.summary.steps] == [
        ("edit", "done", {"position": 0}),
        ("push", "done", {"position": 1}),
        ("verify", "done", {"position": 2}),
    ]
    assert lock.owner() is None


def test_the_output_shows_each_step_starting_and_ending_with_its_duration(
    world: DemoWorld, runs: RunStore
) -> None:
    execute(plan(Act(name="edit", title="Edit the bundle", seconds=75)), world, runs=runs)
    lines = world.output.splitlines()
    assert lines[1:3] == ["[1/1] edit: started (Edit the bundle)", "[1/1] edit: done in 01:15"]
    assert "  edit  done        01:15" in lines
    assert lines[-2] == "Status: done"


def test_a_step_the_world_shows_done_is_skipped_without_running(
    world: DemoWorld, runs: RunStore
) -> None:
    world.outside.effects.append("push")
    report = execute(three(), world, runs=runs)
    assert world.outside.effects == ["push", "edit", "verify"]
    assert "[2/3] push: skipped (already done)" in world.output
    assert report.summary is not None
    push = report.summary.steps[1]
    assert (push.outcome, push.outputs, push.reason) == (
        "skipped",
        {"position": 0},
        "already done (its check says so)",
    )


def test_a_failure_records_the_sentence_keeps_the_lock_and_says_how_to_resume(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    failing = three(before=raise_once(Boom("the remote moved", hint="Pull first")))
    report = execute(failing, world, runs=runs, lock=lock, resume_command=RESUME)
    assert (report.status, report.exit_code) == ("failed", 1)
    assert report.error == "the remote moved. Pull first."
    assert world.outside.effects == ["edit"]
    assert report.summary is not None
    assert [s.outcome for s in report.summary.steps] == ["done", "failed", "pending"]
    assert report.summary.steps[1].error == "the remote moved. Pull first."
    session = Session.current()
    assert lock.owner() == LockOwner(
        run_id=str(report.run_id),
        user=session.user,
        host=session.host,
        pid=session.pid,
        started=FakeClock.EPOCH,
        plan="demo",
    )
    assert "[2/3] push: failed after 00:01: the remote moved. Pull first." in world.err.getvalue()
    assert f"The lock at {lock.where} is kept for the resume." in world.output
    assert f"Resume it with: demo-release --resume {report.run_id}" in world.output

    again = execute(failing, world, runs=runs, lock=lock, resume="last")
    assert (again.status, again.run_id) == ("done", report.run_id)
    assert world.outside.effects == ["edit", "push", "verify"]
    assert "[1/3] edit: skipped (done earlier in this run)" in world.output
    assert lock.owner() is None


def test_ctrl_c_in_a_step_records_it_interrupted_and_keeps_the_lock(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    interrupted = three(before=raise_once(KeyboardInterrupt()))
    report = execute(interrupted, world, runs=runs, lock=lock, resume_command=RESUME)
    assert (report.status, report.exit_code) == ("interrupted", EXIT_INTERRUPTED)
    assert report.summary is not None
    assert report.summary.steps[1].outcome == "interrupted"
    assert report.summary.stopped_at == "push"
    assert lock.owner() is not None
    assert "is kept for the resume" in world.output
    again = execute(interrupted, world, runs=runs, lock=lock, resume=report.run_id)
    assert again.status == "done"
    assert world.outside.effects == ["edit", "push", "verify"]


def test_a_remote_command_interrupted_by_ctrl_c_is_an_interrupted_step(
    world: DemoWorld, runs: RunStore
) -> None:
    error = CommandInterruptedError("interrupted", command="upgrade", stopped=True)
    report = execute(three(before=raise_once(error)), world, runs=runs)
    assert (report.status, report.exit_code) == ("interrupted", 130)


def test_an_unknown_outcome_is_rechecked_and_not_repeated_when_the_world_shows_it(
    world: DemoWorld, runs: RunStore
) -> None:
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    report = execute(three(after=raise_once(lost)), world, runs=runs)
    assert (report.status, report.exit_code) == ("unknown", 4)
    again = execute(three(after=raise_once(lost)), world, runs=runs, resume="last")
    assert again.status == "done"
    assert world.outside.effects == ["edit", "push", "verify"]
    assert again.summary is not None
    assert again.summary.steps[1].outcome == "skipped"


def test_an_unknown_outcome_the_world_cannot_show_asks_the_person(runs: RunStore) -> None:
    world = make_world(answers="1\n")
    runs.clock = world.clock
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    steps = three(after=raise_once(lost), checkable=False, ask=True)
    first = execute(steps, world, runs=runs)
    assert first.status == "unknown"
    again = execute(steps, world, runs=runs, resume="last")
    assert again.status == "done"
    assert world.outside.effects == ["edit", "push", "verify"]
    assert "What happened to step push?" in world.asked.getvalue()
    assert "the connection was lost." in world.output
    assert again.summary is not None
    assert again.summary.steps[1].outputs == {"resolved": "the person said it completed"}
    answers = [n.data for n in again.summary.notes if n.kind == "answer"]
    assert answers == [{"question": "what happened to step push?", "answer": "it completed"}]


@pytest.mark.parametrize(
    ("answer", "status", "effects"),
    [
        ("2\n", "done", ["edit", "push", "push", "verify"]),
        ("3\n", "failed", ["edit", "push"]),
    ],
)
def test_the_person_can_run_an_unknown_step_again_or_stop(
    runs: RunStore, answer: str, status: str, effects: list[str]
) -> None:
    world = make_world(answers=answer)
    runs.clock = world.clock
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    steps = three(after=raise_once(lost), checkable=False, ask=True)
    execute(steps, world, runs=runs)
    again = execute(steps, world, runs=runs, resume="last")
    assert again.status == status
    assert world.outside.effects == effects


def test_without_a_terminal_an_unknown_outcome_stops_with_a_clear_sentence(
    runs: RunStore,
) -> None:
    world = make_world(tty=False, yes=True)
    runs.clock = world.clock
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    steps = three(after=raise_once(lost), checkable=False, ask=True)
    execute(steps, world, runs=runs)
    again = execute(steps, world, runs=runs, resume="last")
    assert (again.status, again.exit_code) == ("failed", 1)
    assert again.error == (
        "'What happened to step push?' needs an answer from a person at a terminal "
        "(--yes does not answer it). Run the command on a terminal to answer it."
    )
    assert world.outside.effects == ["edit", "push"]


def test_a_step_killed_mid_run_reads_as_unknown_and_is_rechecked(
    world: DemoWorld, runs: RunStore
) -> None:
    # What a SIGKILL leaves: the step started, no end. (tests/runbook/test_crash.py kills for real.)
    header = runs.header(
        run_id="20260101T000000Z-aaaaaa",
        plan="demo",
        instance="staging",
        options={"revision": 90},
        steps=("edit", "push", "verify"),
        session=Session.current(),
    )
    with runs.create(header) as journal:
        journal.step_started("edit")
    state = runs.load("20260101T000000Z-aaaaaa").state("edit")
    assert state is not None
    assert (state.outcome, state.ran) == ("unknown", True)
    world.outside.effects.append("edit")
    report = execute(three(), world, runs=runs, resume="last")
    assert report.status == "done"
    assert world.outside.effects == ["edit", "push", "verify"]


def test_a_bug_in_a_step_is_recorded_as_an_unknown_outcome_then_raised(
    world: DemoWorld, runs: RunStore
) -> None:
    with pytest.raises(ZeroDivisionError):
        execute(three(before=raise_once(ZeroDivisionError("oops"))), world, runs=runs)
    (summary,) = runs.runs()
    # Inside run() the step may have done its work before the bug: not known.
    assert summary.status == "unknown"
    assert summary.steps[1].outcome == "unknown"
    assert summary.steps[1].error == "unexpected error (ZeroDivisionError: oops)"


def test_after_a_bug_in_a_step_the_resume_asks_before_running_it_again(
    runs: RunStore,
) -> None:
    world = make_world(answers="1\n")
    runs.clock = world.clock
    # The bug strikes after the effect: running the step again would repeat it.
    steps = three(after=raise_once(ZeroDivisionError("oops")), checkable=False, ask=True)
    with pytest.raises(ZeroDivisionError):
        execute(steps, world, runs=runs)
    again = execute(steps, world, runs=runs, resume="last")
    assert again.status == "done"
    assert "What happened to step push?" in world.asked.getvalue()
    assert world.outside.effects == ["edit", "push", "verify"]


def test_a_bug_in_a_step_s_check_is_a_failure_since_nothing_ran(
    world: DemoWorld, runs: RunStore
) -> None:
    class BadCheck(Act):
        def done(self, world: DemoWorld, journal: Journal) -> bool:
            raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        execute(plan(Act(name="edit"), BadCheck(name="push")), world, runs=runs)
    (summary,) = runs.runs()
    assert (summary.status, summary.steps[1].outcome) == ("failed", "failed")
    assert world.outside.effects == ["edit"]


def test_outputs_that_are_not_json_are_a_bug_but_the_step_is_recorded_done(
    world: DemoWorld, runs: RunStore
) -> None:
    class Odd(Act):
        def run(self, world: DemoWorld, journal: Journal) -> dict[str, object]:
            world.outside.effects.append(self.name)
            return {"when": object()}

    with pytest.raises(TypeError, match="the outputs of step odd must be plain JSON"):
        execute(plan(Odd(name="odd")), world, runs=runs)
    (summary,) = runs.runs()
    assert summary.steps[0].outcome == "done"
    error = summary.steps[0].error
    assert error is not None
    assert error.startswith("the outputs of step odd must be plain JSON")


def test_a_dry_run_describes_every_step_and_writes_nothing(
    world: DemoWorld, runs: RunStore, tmp_path: Path
) -> None:
    class Untouchable:
        where = "nowhere"

        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"a dry run used the lock ({name})")

    report = execute(three(), world, runs=runs, lock=Untouchable(), dry_run=True)  # type: ignore[arg-type]
    assert (report.status, report.exit_code, report.run_id) == ("dry-run", 0, None)
    assert world.outside.effects == []
    assert not runs.directory.exists()
    assert world.output.splitlines() == [
        "Dry run of demo on staging: nothing will change.",
        "[1/3] edit",
        "    append 'edit' to the effects",
        "[2/3] push",
        "    append 'push' to the effects",
        "[3/3] verify",
        "    append 'verify' to the effects",
        "Nothing was changed (--dry-run): no journal was written, no lock taken.",
    ]
    assert report.to_json()["steps"] == [
        {"step": "edit", "describe": ["append 'edit' to the effects"]},
        {"step": "push", "describe": ["append 'push' to the effects"]},
        {"step": "verify", "describe": ["append 'verify' to the effects"]},
    ]


def test_a_dry_run_of_a_resume_shows_what_is_left(world: DemoWorld, runs: RunStore) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    before = records(runs, str(first.run_id))
    report = execute(three(), world, runs=runs, resume="last", dry_run=True)
    assert report.run_id == first.run_id
    assert f"[1/3] edit: would be skipped (done in run {first.run_id})" in world.output
    assert [name for name, _ in report.described] == ["push", "verify"]
    assert records(runs, str(first.run_id)) == before


def test_format_json_is_the_journal_summary(world: DemoWorld, runs: RunStore) -> None:
    report = execute(three(), world, runs=runs)
    data = json.loads(json.dumps(report.to_json()))
    assert data["status"] == "done"
    assert data["exit_code"] == 0
    assert data["options"] == {"revision": 90}
    assert [step["outcome"] for step in data["steps"]] == ["done", "done", "done"]
    assert data["journal"] == str(runs.directory / f"{report.run_id}.jsonl")


def test_resume_refuses_a_plan_built_from_other_options(world: DemoWorld, runs: RunStore) -> None:
    execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    other = plan(Act(name="edit"), Act(name="push"), Act(name="verify"), options={"revision": 91})
    with pytest.raises(ResumeMismatchError, match="was started with other options"):
        execute(other, world, runs=runs, resume="last")


def test_resume_refuses_a_plan_whose_steps_changed(world: DemoWorld, runs: RunStore) -> None:
    execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    with pytest.raises(ResumeMismatchError, match="was started with the steps edit, push, verify"):
        execute(plan(Act(name="edit"), Act(name="verify")), world, runs=runs, resume="last")


def test_resume_last_needs_an_unfinished_run(world: DemoWorld, runs: RunStore) -> None:
    done = execute(three(), world, runs=runs)
    with pytest.raises(RunNotFoundError) as caught:
        execute(three(), world, runs=runs, resume="last")
    assert str(caught.value) == (
        "there is no unfinished run of demo on staging to resume. "
        "Start a new run (without --resume)."
    )
    with pytest.raises(RunbookError, match="has finished; there is nothing to resume"):
        execute(three(), world, runs=runs, resume=str(done.run_id))


def test_a_run_being_resumed_elsewhere_is_refused(world: DemoWorld, runs: RunStore) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    journal, _ = runs.open(str(first.run_id))
    try:
        with pytest.raises(JournalBusyError, match="is being run by another process"):
            execute(three(), world, runs=runs, resume="last")
    finally:
        journal.close()


def test_a_torn_last_record_is_dropped_noted_and_the_run_resumes(
    world: DemoWorld, runs: RunStore
) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    path = runs.directory / f"{first.run_id}.jsonl"
    with path.open("ab") as handle:
        handle.write(b'{"type":"step-start","step":"pu')
    report = execute(three(), world, runs=runs, resume="last")
    assert report.status == "done"
    assert "The journal ended in a partial record (31 bytes" in world.err.getvalue()
    assert [n.data for n in Journal.open(path, clock=world.clock)[0].notes("torn-record")] == [
        {"bytes": 31}
    ]


def test_after_stop_here_the_next_resume_asks_again_instead_of_repeating(
    runs: RunStore,
) -> None:
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    steps = three(after=raise_once(lost), checkable=False, ask=True)
    first = make_world(answers="3\n")
    runs.clock = first.clock
    execute(steps, first, runs=runs)
    stopped = execute(steps, first, runs=runs, resume="last")
    assert (stopped.status, stopped.error) == (
        "failed",
        "stopped at step push: its outcome is unknown. "
        "Find out what happened, then resume the run.",
    )
    second = make_world(answers="1\n")
    second.outside.effects.extend(first.outside.effects)
    report = execute(steps, second, runs=runs, resume="last")
    assert report.status == "done"
    assert "What happened to step push?" in second.asked.getvalue()
    assert "the connection was lost." in second.output  # the attempt in question, not the stop
    assert second.outside.effects == ["edit", "push", "verify"]


def test_a_failed_check_after_an_unknown_attempt_does_not_resolve_it(
    world: DemoWorld, runs: RunStore
) -> None:
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    execute(three(after=raise_once(lost)), world, runs=runs)
    journal = runs.load(runs.resolve("last", plan="demo", instance="staging"))
    unresolved = journal.unresolved("push")
    assert unresolved is not None
    assert (unresolved.outcome, unresolved.error) == ("unknown", "the connection was lost.")
    assert journal.unresolved("edit") is None

    class CheckFails(Act):
        def done(self, world: DemoWorld, journal: Journal) -> bool:
            raise Boom("the bastion is unreachable")

    broken = plan(Act(name="edit"), CheckFails(name="push"), Act(name="verify"))
    report = execute(broken, world, runs=runs, resume="last")
    assert report.status == "failed"
    journal = runs.load(str(report.run_id))
    still = journal.unresolved("push")
    assert still is not None
    assert still.error == "the connection was lost."


# What a person sees and what the journal keeps, whole.


def _plain(runs: RunStore, run_id: str) -> list[dict[str, object]]:
    """The journal's records without their times and sessions (those vary)."""
    return [
        {key: value for key, value in record.items() if key not in ("at", "session")}
        for record in records(runs, run_id)
    ]


def test_a_stopped_run_and_its_resume_show_every_step_and_how_to_resume(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    failing = three(before=raise_once(Boom("the remote moved", hint="Pull first")))
    report = execute(failing, world, runs=runs, lock=lock)
    run_id = str(report.run_id)
    journal = runs.directory / f"{run_id}.jsonl"
    summary = [
        f"Run {run_id} (demo on staging)",
        "  edit    done        00:01",
        "  push    failed      00:01",
        "  verify  pending",
        "Status: failed at step push",
        f"Journal: {journal}",
    ]
    assert world.output.splitlines() == [
        f"Run {run_id} (demo on staging); journal: {journal}",
        "[1/3] edit: started",
        "[1/3] edit: done in 00:01",
        "[2/3] push: started",
        *summary,
        f"The lock at {lock.where} is kept for the resume.",
        f"Run {run_id} stopped at step push (failed). Resume it with: --resume {run_id}",
    ]
    assert world.err.getvalue() == "[2/3] push: failed after 00:01: the remote moved. Pull first.\n"
    world.out.truncate(0)
    world.out.seek(0)

    again = execute(failing, world, runs=runs, lock=lock, resume="last")
    assert (again.status, again.exit_code, again.error) == ("done", 0, None)
    assert world.output.splitlines() == [
        f"Resuming run {run_id} (demo on staging); journal: {journal}",
        "[1/3] edit: skipped (done earlier in this run)",
        "[2/3] push: started",
        "[2/3] push: done in 00:01",
        "[3/3] verify: started",
        "[3/3] verify: done in 00:01",
        f"Run {run_id} (demo on staging)",
        "  edit    done        00:01",
        "  push    done        00:01",
        "  verify  done        00:01",
        "Status: done",
        f"Journal: {journal}",
    ]
    error = "the remote moved. Pull first."
    assert _plain(runs, run_id)[1:] == [
        {"type": "step-start", "step": "edit"},
        {
            "type": "step-end",
            "step": "edit",
            "outcome": "done",
            "phase": "run",
            "duration": 1.0,
            "outputs": {"position": 0},
        },
        {"type": "step-start", "step": "push"},
        {
            "type": "step-end",
            "step": "push",
            "outcome": "failed",
            "phase": "run",
            "duration": 1.0,
            "outputs": {},
            "error": error,
        },
        {"type": "stop", "status": "failed", "step": "push", "error": error},
        {"type": "resume"},
        {"type": "step-start", "step": "push"},
        {
            "type": "step-end",
            "step": "push",
            "outcome": "done",
            "phase": "run",
            "duration": 1.0,
            "outputs": {"position": 1},
        },
        {"type": "step-start", "step": "verify"},
        {
            "type": "step-end",
            "step": "verify",
            "outcome": "done",
            "phase": "run",
            "duration": 1.0,
            "outputs": {"position": 2},
        },
        {"type": "note", "kind": "lock-released", "data": {"where": lock.where}},
        {"type": "finish"},
    ]


def test_a_plan_without_an_instance_and_a_resume_command_in_the_output(runs: RunStore) -> None:
    world = make_world()
    runs.clock = world.clock
    steps = Plan(
        name="demo",
        instance="",
        options={},
        steps=(Act(name="edit", before=raise_once(Boom("no"))),),
    )
    report = execute(steps, world, runs=runs, resume_command=RESUME)
    run_id = str(report.run_id)
    lines = world.output.splitlines()
    assert lines[0] == f"Run {run_id} (demo); journal: {runs.directory / f'{run_id}.jsonl'}"
    assert lines[-1] == (
        f"Run {run_id} stopped at step edit (failed). Resume it with: "
        f"demo-release --resume {run_id}"
    )
    execute(steps, world, runs=runs, resume=run_id)
    assert f"Resuming run {run_id} (demo); journal: " in world.output
    dry = make_world()
    execute(
        Plan(name="demo", instance="", steps=(Act(name="edit", title="Edit it"),)),
        dry,
        runs=runs,
        dry_run=True,
    )
    assert dry.output.splitlines()[:3] == [
        "Dry run of demo: nothing will change.",
        "[1/1] edit: Edit it",
        "    append 'edit' to the effects",
    ]


def test_a_dry_run_of_a_resume_says_which_run_it_continues(
    world: DemoWorld, runs: RunStore
) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    dry = make_world()
    execute(three(), dry, runs=runs, resume="last", dry_run=True)
    assert dry.output.splitlines()[0] == (
        f"Dry run: the rest of run {first.run_id} (demo); nothing will change."
    )


def test_the_json_of_a_run_and_of_a_dry_run(world: DemoWorld, runs: RunStore) -> None:
    report = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    data = report.to_json()
    assert report.summary is not None
    assert data == {**report.summary.to_json(), "dry_run": False, "exit_code": 1}
    dry = execute(plan(Act(name="edit")), world, runs=runs, dry_run=True)
    assert dry.to_json() == {
        "run_id": None,
        "status": "dry-run",
        "dry_run": True,
        "exit_code": 0,
        "steps": [{"step": "edit", "describe": ["append 'edit' to the effects"]}],
    }


def test_the_torn_record_warning_whole(world: DemoWorld, runs: RunStore) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    with (runs.directory / f"{first.run_id}.jsonl").open("ab") as handle:
        handle.write(b'{"type":"step-st')
    execute(three(), world, runs=runs, resume="last")
    assert world.err.getvalue().splitlines()[-1] == (
        "The journal ended in a partial record (16 bytes, written as the process was "
        "killed); it was dropped."
    )


class _Unreleasable:
    """A lock that is taken but cannot be given up."""

    def __init__(self, lock: RemoteDirLock) -> None:
        self.lock = lock
        self.where = lock.where

    def __getattr__(self, name: str) -> object:
        return getattr(self.lock, name)

    def release(self, owner: object) -> None:
        raise Boom("the bastion is unreachable")


def test_a_lock_that_cannot_be_released_is_noted_and_the_next_run_needs_break_lock(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    stuck = _Unreleasable(lock)
    report = execute(three(), world, runs=runs, lock=stuck)  # type: ignore[arg-type]
    assert report.status == "done"
    assert world.err.getvalue() == (
        f"The lock at {lock.where} could not be released (the bastion is unreachable.) "
        "The next run will need --break-lock.\n"
    )
    assert _plain(runs, str(report.run_id))[-2:] == [
        {
            "type": "note",
            "kind": "lock-not-released",
            "data": {"where": lock.where, "error": "the bastion is unreachable."},
        },
        {"type": "finish"},
    ]
    assert lock.owner() is not None


def test_a_journal_that_cannot_be_made_gives_the_lock_back(
    world: DemoWorld, tmp_path: Path, lock: RemoteDirLock
) -> None:
    (tmp_path / "runs").write_text("not a directory\n")
    runs = RunStore(tmp_path / "runs", clock=world.clock)
    with pytest.raises(JournalError):
        execute(three(), world, runs=runs, lock=lock)
    assert lock.owner() is None
    assert world.outside.effects == []
    # A lock that cannot be given back either: the person sees why the run could not start.
    with pytest.raises(JournalError):
        execute(three(), world, runs=runs, lock=_Unreleasable(lock))  # type: ignore[arg-type]


def test_a_resume_refused_leaves_its_journal_free_for_the_next_try(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs, lock=lock)
    run_id = str(first.run_id)
    mine = lock.owner()
    assert mine is not None
    lock.release(mine)
    other = LockOwner(
        run_id="other", user="ada", host="laptop", pid=1, started=FakeClock.EPOCH, plan="demo"
    )
    lock.acquire(other)
    with pytest.raises(LockHeldError):
        execute(three(), world, runs=runs, lock=lock, resume="last")
    with pytest.raises(ResumeMismatchError):
        execute(plan(Act(name="edit")), world, runs=runs, resume="last")
    lock.release(other)
    report = execute(three(), world, runs=runs, lock=lock, resume="last")
    assert (report.status, report.run_id) == ("done", run_id)
    assert lock.owner() is None


def test_a_resume_that_does_not_match_says_why_whole(world: DemoWorld, runs: RunStore) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    run_id = first.run_id
    with pytest.raises(ResumeMismatchError) as steps:
        execute(plan(Act(name="edit"), Act(name="verify")), world, runs=runs, resume="last")
    assert str(steps.value) == (
        f"run {run_id} was started with the steps edit, push, verify; this version of plan "
        f"demo has edit, verify. Finish it with lpsigning-mojo {__version__}, or start a "
        "new run."
    )
    other = plan(Act(name="edit"), Act(name="push"), Act(name="verify"), options={"revision": 91})
    with pytest.raises(ResumeMismatchError) as options:
        execute(other, world, runs=runs, resume="last")
    assert str(options.value) == (
        f"run {run_id} was started with other options ({{'revision': 90}}). Resume it with "
        "the options its journal holds, or start a new run."
    )
    execute(three(), world, runs=runs, resume="last")
    with pytest.raises(RunbookError) as finished:
        execute(three(), world, runs=runs, resume=str(run_id))
    assert str(finished.value) == (
        f"run {run_id} has finished; there is nothing to resume. "
        "Start a new run (without --resume)."
    )
    with pytest.raises(RunbookError) as dry:
        execute(three(), world, runs=runs, resume=str(run_id), dry_run=True)
    assert str(dry.value) == str(finished.value)


def test_a_bug_in_a_step_keeps_the_lock_and_says_so(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    with pytest.raises(ZeroDivisionError):
        execute(three(after=raise_once(ZeroDivisionError("oops"))), world, runs=runs, lock=lock)
    assert world.err.getvalue().splitlines() == [
        "[2/3] push: unknown after 00:01: unexpected error (ZeroDivisionError: oops)",
        f"The lock at {lock.where} is kept for the resume.",
    ]
    owner = lock.owner()
    assert owner is not None
    (summary,) = runs.runs()
    assert owner.run_id == summary.run_id
    assert _plain(runs, summary.run_id)[-2:] == [
        {
            "type": "step-end",
            "step": "push",
            "outcome": "unknown",
            "phase": "run",
            "duration": 1.0,
            "outputs": {},
            "error": "unexpected error (ZeroDivisionError: oops)",
        },
        {
            "type": "stop",
            "status": "unknown",
            "step": "push",
            "error": "unexpected error (ZeroDivisionError: oops)",
        },
    ]


def test_a_bug_while_resolving_an_unknown_attempt_is_a_failure_and_asks_again_next_time(
    world: DemoWorld, runs: RunStore
) -> None:
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    execute(three(after=raise_once(lost), checkable=False), world, runs=runs)

    class BadResolve(Act):
        def resolve_unknown(
            self, world: DemoWorld, journal: Journal, previous: StepState
        ) -> dict[str, object] | None:
            raise ZeroDivisionError("oops")

    buggy = plan(Act(name="edit"), BadResolve(name="push", checkable=False), Act(name="verify"))
    with pytest.raises(ZeroDivisionError):
        execute(buggy, world, runs=runs, resume="last")
    (summary,) = runs.runs()
    assert (summary.status, summary.steps[1].outcome) == ("failed", "failed")
    assert world.outside.effects == ["edit", "push"]
    journal = runs.load(summary.run_id)
    unresolved = journal.unresolved("push")
    assert unresolved is not None
    assert unresolved.error == "the connection was lost."
    assert _plain(runs, summary.run_id)[-2]["phase"] == "resolve"


def test_a_step_the_world_shows_done_records_its_check(world: DemoWorld, runs: RunStore) -> None:
    world.outside.effects.append("edit")
    report = execute(plan(Act(name="edit")), world, runs=runs)
    assert _plain(runs, str(report.run_id))[1] == {
        "type": "step-end",
        "step": "edit",
        "outcome": "skipped",
        "phase": "check",
        "duration": 0.0,
        "outputs": {"position": 0},
        "reason": "already done (its check says so)",
    }
    assert "[1/1] edit: skipped (already done)" in world.output.splitlines()


def test_an_unknown_attempt_counted_as_done_is_recorded_with_its_reason(runs: RunStore) -> None:
    world = make_world(answers="1\n")
    runs.clock = world.clock
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    steps = three(after=raise_once(lost), checkable=False, ask=True)
    first = execute(steps, world, runs=runs)
    assert world.err.getvalue().splitlines() == [
        "[2/3] push: unknown after 00:01: the connection was lost."
    ]
    assert (first.exit_code, first.error) == (4, "the connection was lost.")
    execute(steps, world, runs=runs, resume="last")
    assert "[2/3] push: done (counted as done after its last attempt)" in world.output.splitlines()
    (end,) = [
        record
        for record in _plain(runs, str(first.run_id))
        if record["type"] == "step-end" and record.get("phase") == "resolve"
    ]
    assert end == {
        "type": "step-end",
        "step": "push",
        "outcome": "done",
        "phase": "resolve",
        "duration": 0.0,
        "outputs": {"resolved": "the person said it completed"},
        "reason": "resolved after its last attempt",
    }


class _Odd(Act):
    """A step whose check and resolution give outputs that are not JSON."""

    def done_outputs(self, world: DemoWorld, journal: Journal) -> dict[str, object]:
        return {"when": object()}

    def resolve_unknown(
        self, world: DemoWorld, journal: Journal, previous: StepState
    ) -> dict[str, object] | None:
        return {"when": object()}


def test_outputs_of_a_check_or_a_resolution_that_are_not_json_are_a_bug(
    world: DemoWorld, runs: RunStore
) -> None:
    world.outside.effects.append("odd")
    with pytest.raises(TypeError, match="the outputs of step odd must be plain JSON"):
        execute(plan(_Odd(name="odd")), world, runs=runs)
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    fresh = make_world()
    runs.clock = fresh.clock
    lost_run = execute(
        plan(Act(name="odd", after=raise_once(lost), checkable=False)), fresh, runs=runs
    )
    with pytest.raises(TypeError, match="the outputs of step odd must be plain JSON"):
        execute(
            plan(_Odd(name="odd", checkable=False)), fresh, runs=runs, resume=str(lost_run.run_id)
        )
    assert fresh.outside.effects == ["odd"]


class _Interrupting(StreamReporter):
    """Ctrl-C while showing the line that starts with ``at`` (once)."""

    def __init__(self, world: DemoWorld, at: str) -> None:
        super().__init__(clock=world.clock, out=world.out, err=world.err, tty=False)
        self.at: str | None = at

    def info(self, text: str) -> None:
        if self.at is not None and text.startswith(self.at):
            self.at = None
            raise KeyboardInterrupt
        super().info(text)


def test_ctrl_c_after_a_step_ended_stops_the_run_without_repeating_it(
    world: DemoWorld, runs: RunStore
) -> None:
    showing = attrs.evolve(world, reporter=_Interrupting(world, "[2/3] push: done in"))
    stopped = execute(three(), showing, runs=runs)
    assert (stopped.status, stopped.exit_code, stopped.error) == (
        "interrupted",
        EXIT_INTERRUPTED,
        "interrupted (Ctrl-C)",
    )
    assert stopped.summary is not None
    assert (stopped.summary.stopped_at, stopped.summary.steps[1].outcome) == ("push", "done")
    again = execute(three(checkable=False), world, runs=runs, resume="last")
    assert again.status == "done"
    assert world.outside.effects == ["edit", "push", "verify"]


def test_ctrl_c_between_steps_stops_the_run(world: DemoWorld, runs: RunStore) -> None:
    first = execute(three(before=raise_once(Boom("no"))), world, runs=runs)
    showing = attrs.evolve(world, reporter=_Interrupting(world, "[1/3] edit: skipped"))
    stopped = execute(three(), showing, runs=runs, resume=str(first.run_id))
    assert (stopped.status, stopped.exit_code, stopped.error) == (
        "interrupted",
        EXIT_INTERRUPTED,
        "interrupted",
    )
    assert stopped.summary is not None
    assert stopped.summary.stopped_at == "edit"
    assert world.outside.effects == ["edit"]
    again = execute(three(), world, runs=runs, resume="last")
    assert again.status == "done"
    assert world.outside.effects == ["edit", "push", "verify"]


@pytest.mark.parametrize(("yes", "how"), [(True, "--yes"), (False, "asked")])
def test_a_broken_lock_is_noted_with_where_whose_by_whom_and_how(
    runs: RunStore, lock: RemoteDirLock, yes: bool, how: str
) -> None:
    world = make_world(tty=not yes, yes=yes, answers="y\n")
    runs.clock = world.clock
    stale = LockOwner(
        run_id="stale", user="ada", host="laptop", pid=1, started=FakeClock.EPOCH, plan="demo"
    )
    lock.acquire(stale)
    report = execute(plan(Act(name="edit")), world, runs=runs, lock=lock, break_lock=True)
    assert report.status == "done"
    notes = [r for r in _plain(runs, str(report.run_id)) if r.get("kind") == "lock-broken"]
    assert notes == [
        {
            "type": "note",
            "kind": "lock-broken",
            "data": {
                "where": lock.where,
                "owner": stale.to_json(),
                "by": Session.current().who,
                "how": how,
            },
        }
    ]


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (KeyboardInterrupt(), "interrupted (Ctrl-C)"),
        (
            CommandInterruptedError("the upgrade was interrupted", command="upgrade", stopped=True),
            "the upgrade was interrupted.",
        ),
    ],
)
def test_ctrl_c_in_a_step_says_so_whole(
    world: DemoWorld, runs: RunStore, error: BaseException, text: str
) -> None:
    report = execute(three(before=raise_once(error)), world, runs=runs)
    assert (report.status, report.exit_code, report.error) == ("interrupted", 130, text)
    assert world.err.getvalue() == f"[2/3] push: interrupted after 00:01: {text}\n"
    assert _plain(runs, str(report.run_id))[-1] == {
        "type": "stop",
        "status": "interrupted",
        "step": "push",
        "error": text,
    }


def test_a_resume_of_a_run_from_an_unknown_version_with_other_steps(
    world: DemoWorld, runs: RunStore
) -> None:
    header = runs.header(
        run_id="20260101T000000Z-aaaaaa",
        plan="demo",
        instance="staging",
        options={"revision": 90},
        steps=("edit", "push", "verify"),
        session=Session.current(),
    )
    del header["version"]
    runs.create(header).close()
    with pytest.raises(ResumeMismatchError) as caught:
        execute(plan(Act(name="edit")), world, runs=runs, resume="last")
    assert str(caught.value).endswith(
        "Finish it with lpsigning-mojo as it was, or start a new run."
    )


def test_notes_written_while_a_step_runs_name_it_and_later_ones_do_not(
    runs: RunStore, lock: RemoteDirLock
) -> None:
    world = make_world(answers="1\n")
    runs.clock = world.clock
    lost = OutcomeUnknown("the connection was lost", command="upgrade")
    steps = three(after=raise_once(lost), checkable=False, ask=True)
    first = execute(steps, world, runs=runs, lock=lock)
    execute(steps, world, runs=runs, lock=lock, resume="last")
    notes = [r for r in _plain(runs, str(first.run_id)) if r["type"] == "note"]
    assert notes == [
        {
            "type": "note",
            "kind": "answer",
            "data": {"question": "what happened to step push?", "answer": "it completed"},
            "step": "push",
        },
        {"type": "note", "kind": "lock-released", "data": {"where": lock.where}},
    ]


def _fill_the_disk(error: BaseException) -> Action:
    """Inside a step: from now on every write to the journal fails (ENOSPC), then ``error``."""

    def action(world: DemoWorld, journal: Journal) -> None:
        full = os.open("/dev/full", os.O_WRONLY)
        try:
            os.dup2(full, journal._descriptor)  # type: ignore[arg-type]
        finally:
            os.close(full)
        raise error

    return action


def test_a_failure_as_the_disk_fills_is_still_reported_with_how_to_resume(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    report = execute(
        three(before=_fill_the_disk(Boom("the remote moved"))), world, runs=runs, lock=lock
    )
    assert (report.status, report.exit_code, report.error) == ("failed", 1, "the remote moved.")
    assert world.err.getvalue() == "[2/3] push: failed after 00:01: the remote moved.\n"
    assert world.output.splitlines()[-1] == (
        f"Run {report.run_id} stopped at step push (failed). Resume it with: "
        f"--resume {report.run_id}"
    )
    assert lock.owner() is not None
    # Neither the end of push nor the stop reached the disk: a resume finds push unknown.
    (summary,) = runs.runs()
    assert (summary.status, summary.steps[1].outcome) == ("unknown", "unknown")


def test_a_bug_as_the_disk_fills_is_still_raised_and_reported(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    with pytest.raises(ZeroDivisionError):
        execute(
            three(before=_fill_the_disk(ZeroDivisionError("oops"))), world, runs=runs, lock=lock
        )
    assert world.err.getvalue().splitlines() == [
        "[2/3] push: unknown after 00:01: unexpected error (ZeroDivisionError: oops)",
        f"The lock at {lock.where} is kept for the resume.",
    ]
    assert lock.owner() is not None
    (summary,) = runs.runs()
    assert (summary.status, summary.steps[1].outcome) == ("unknown", "unknown")


class _Announce(Act):
    """Announces once (an exactly-once effect); its check and description read the journals."""

    def describe(self, world: DemoWorld, journal: Journal) -> list[str]:
        header = journal.header
        done = journal.effect_status(("announce", "staging"))
        return [
            f"run {header.run_id} of {header.plan} on {header.instance} with "
            f"{dict(header.options)}: {', '.join(header.steps)}",
            f"announced in run {done.run_id}" if done is not None else "would announce",
            f"{len(world.outside.effects)} effects so far",
        ]

    def done(self, world: DemoWorld, journal: Journal) -> bool:
        return journal.effect_status(("announce", "staging")) is not None

    def done_outputs(self, world: DemoWorld, journal: Journal) -> dict[str, object]:
        done = journal.effect_status(("announce", "staging"))
        assert done is not None
        return {"announced_in": done.run_id}

    def run(self, world: DemoWorld, journal: Journal) -> dict[str, object]:
        with journal.effect(("announce", "staging")) as result:
            world.outside.effects.append(self.name)
            result["post"] = 1
        return {}


def test_a_dry_run_s_steps_see_the_plan_and_the_effects_of_earlier_runs(
    world: DemoWorld, runs: RunStore
) -> None:
    announce = plan(_Announce(name="announce", checkable=False))
    execute(announce, world, runs=runs, dry_run=True)
    assert world.output.splitlines()[2:5] == [
        "    run dry-run of demo on staging with {'revision': 90}: announce",
        "    would announce",
        "    0 effects so far",
    ]
    done = execute(announce, world, runs=runs)
    dry = make_world()
    dry.outside.effects.extend(world.outside.effects)
    execute(announce, dry, runs=runs, dry_run=True)
    assert dry.output.splitlines()[3:5] == [
        f"    announced in run {done.run_id}",
        "    1 effects so far",
    ]


def test_a_step_whose_journals_show_it_done_is_skipped_with_their_outputs(
    world: DemoWorld, runs: RunStore
) -> None:
    announce = plan(_Announce(name="announce"))
    first = execute(announce, world, runs=runs)
    again = execute(announce, world, runs=runs)
    assert again.run_id != first.run_id
    assert world.outside.effects == ["announce"]
    assert again.summary is not None
    (step,) = again.summary.steps
    assert (step.outcome, step.outputs) == ("skipped", {"announced_in": first.run_id})


class _Watched:
    """A lock that counts the releases tried on it."""

    def __init__(self, lock: RemoteDirLock) -> None:
        self.lock = lock
        self.where = lock.where
        self.releases = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.lock, name)

    def release(self, owner: LockOwner) -> None:
        self.releases += 1
        self.lock.release(owner)


def test_a_run_refused_by_the_lock_leaves_it_alone(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    other = LockOwner(
        run_id="other", user="ada", host="laptop", pid=1, started=FakeClock.EPOCH, plan="demo"
    )
    lock.acquire(other)
    watched = _Watched(lock)
    with pytest.raises(LockHeldError):
        execute(three(), world, runs=runs, lock=watched)  # type: ignore[arg-type]
    assert watched.releases == 0
    assert lock.owner() == other
