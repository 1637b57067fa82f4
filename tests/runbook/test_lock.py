"""The instance lock: one mkdir, one shell command, through a CommandRunner.

The runner here is :class:`~lpsigning_mojo.external.local.LocalRunner`
(``/bin/sh -c`` here, as the role account's shell does at the other end of
SSH), made flaky on demand (tests/runbook/localrunner.py).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo.errors import (
    DeclinedError,
    LockChangedError,
    LockError,
    LockHeldError,
    PromptError,
)
from lpsigning_mojo.instances import ManagementEnvironment
from lpsigning_mojo.remote import RoleAccountRunner, RunResult
from lpsigning_mojo.runbook import LockOwner, Plan, RemoteDirLock, RunStore, execute
from lpsigning_mojo.testing import FakeClock
from tests.runbook.conftest import Act, DemoWorld, make_world
from tests.runbook.localrunner import FlakyRunner, replay_sudo_i


def owner(run_id: str, pid: int = 100) -> LockOwner:
    return LockOwner(
        run_id=run_id, user="ada", host="laptop", pid=pid, started=FakeClock.EPOCH, plan="demo"
    )


def test_a_free_lock_is_taken_and_shows_its_owner(lock: RemoteDirLock) -> None:
    assert lock.owner() is None
    lock.acquire(owner("run-1"))
    assert lock.owner() == owner("run-1")


def test_a_second_run_is_refused_with_who_holds_it_and_since_when(
    lock: RemoteDirLock,
) -> None:
    lock.acquire(owner("run-1"))
    with pytest.raises(LockHeldError) as caught:
        lock.acquire(owner("run-2"))
    assert caught.value.owner == owner("run-1")
    assert str(caught.value) == (
        f"the lock at {lock.path} on here is held by run run-1 (plan demo) by ada@laptop, "
        "PID 100, since 2026-01-01 00:00:00 UTC. Wait for that run to finish; if it is stale "
        "(its process is gone), break the lock with --break-lock."
    )
    assert lock.owner() == owner("run-1")


def test_the_run_that_holds_it_takes_it_again_on_resume(lock: RemoteDirLock) -> None:
    lock.acquire(owner("run-1", pid=100))
    lock.acquire(owner("run-1", pid=200))
    assert lock.owner() == owner("run-1", pid=200)


def _race(lock: RemoteDirLock) -> list[tuple[str, LockOwner | None]]:
    """Two runs acquire ``lock`` at once; each gets (its run id, the owner that refused it)."""
    start = threading.Barrier(2)
    results: list[tuple[str, LockOwner | None]] = []

    def take(run_id: str) -> None:
        start.wait()
        try:
            lock.acquire(owner(run_id))
            results.append((run_id, None))
        except LockHeldError as error:
            results.append((run_id, error.owner))  # type: ignore[arg-type]

    threads = [threading.Thread(target=take, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_concurrent_acquirers_never_both_win(tmp_path: Path) -> None:
    for trial in range(15):
        lock = RemoteDirLock(FlakyRunner(), str(tmp_path / f"lock-{trial}"))
        results = _race(lock)
        won = [run_id for run_id, refused_by in results if refused_by is None]
        refusals = [refused_by for _, refused_by in results if refused_by is not None]
        assert len(won) == 1
        assert refusals == [owner(won[0])]
        assert lock.owner() == owner(won[0])


def test_release_removes_only_its_own_lock(lock: RemoteDirLock) -> None:
    lock.acquire(owner("run-1"))
    lock.release(owner("run-2"))
    assert lock.owner() == owner("run-1")
    lock.release(owner("run-1"))
    assert lock.owner() is None
    assert list(Path(lock.path).parent.iterdir()) == []
    lock.release(owner("run-1"))


def test_breaking_removes_the_lock_only_if_its_owner_did_not_change(lock: RemoteDirLock) -> None:
    lock.acquire(owner("run-1"))
    with pytest.raises(LockChangedError, match="is now held by run run-1"):
        lock.break_lock(owner("run-0"))
    assert lock.owner() == owner("run-1")
    lock.break_lock(owner("run-1"))
    assert lock.owner() is None
    lock.acquire(owner("run-2"))


def test_a_lock_without_an_owner_record_can_be_shown_and_broken(tmp_path: Path) -> None:
    lock = RemoteDirLock(FlakyRunner(), str(tmp_path / "lock"), settle=0.2)
    Path(lock.path).mkdir(parents=True)  # its taker stopped between mkdir and the owner file
    holder = lock.owner()
    assert holder is not None
    assert not holder.known
    assert holder.describe() == (
        "an unknown run with no readable owner record (its taker may have stopped while taking it)"
    )
    with pytest.raises(LockHeldError):
        lock.acquire(owner("run-1"))
    lock.break_lock(holder)
    lock.acquire(owner("run-1"))


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_lost_connection_while_taking_it_is_resolved_by_reading_it_back(
    lock: RemoteDirLock, when: str
) -> None:
    runner = lock.runner
    assert isinstance(runner, FlakyRunner)
    runner.lose_connection = when  # type: ignore[assignment]
    lock.acquire(owner("run-1"))
    assert lock.owner() == owner("run-1")


def test_a_lost_connection_while_another_run_took_it_is_refused(lock: RemoteDirLock) -> None:
    lock.acquire(owner("run-1"))
    runner = lock.runner
    assert isinstance(runner, FlakyRunner)
    runner.lose_connection = "after"
    with pytest.raises(LockHeldError) as caught:
        lock.acquire(owner("run-2"))
    assert str(caught.value).startswith(
        f"the lock at {lock.where} is held by {owner('run-1').describe()}. Wait for that run"
    )


def test_a_lock_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    lock = RemoteDirLock(FlakyRunner(), str(blocker / "lock"), host="bastion")
    with pytest.raises(LockError) as caught:
        lock.acquire(owner("run-1"))
    assert str(caught.value) == (
        f"the lock command at {blocker}/lock on bastion failed (cannot create {blocker}/lock). "
        "Check that the role account can write there."
    )


def test_every_lock_operation_is_one_command_that_survives_sudo_i(tmp_path: Path) -> None:
    runner = FlakyRunner()
    path = str(tmp_path / "it's a $HOME `dir`\\here")
    role = ManagementEnvironment(name="s", bastion="b", role="r", developer_access=True)
    lock = RemoteDirLock(
        RoleAccountRunner(runner, lambda argv: replay_sudo_i(role.command_line(argv))), path
    )
    holder = LockOwner(
        run_id="run-1", user="o'neil", host="h$st", pid=7, started=FakeClock.EPOCH, plan="a b"
    )
    lock.acquire(holder)
    assert Path(path).is_dir()
    assert lock.owner() == holder
    lock.release(holder)
    assert not Path(path).exists()
    assert len(runner.commands) == 3
    assert all(command.startswith("sh -c ") for command in runner.commands)


def plan() -> Plan[DemoWorld]:
    return Plan(name="demo", instance="staging", steps=(Act(name="edit"),))


def test_a_run_refused_by_the_lock_leaves_no_journal(
    world: DemoWorld, runs: RunStore, lock: RemoteDirLock
) -> None:
    lock.acquire(owner("other"))
    with pytest.raises(LockHeldError):
        execute(plan(), world, runs=runs, lock=lock)
    assert world.outside.effects == []
    assert runs.runs() == []


def test_break_lock_shows_the_owner_asks_and_records_it(
    runs: RunStore, lock: RemoteDirLock
) -> None:
    world = make_world(answers="y\n")
    lock.acquire(owner("stale"))
    report = execute(plan(), world, runs=runs, lock=lock, break_lock=True)
    assert report.status == "done"
    assert f"The lock at {lock.where} is held by run stale (plan demo)" in world.output
    assert "Break it? Do this only if that run is over [y/N] " in world.asked.getvalue()
    assert report.summary is not None
    (note,) = [n for n in report.summary.notes if n.kind == "lock-broken"]
    assert note.data["owner"] == owner("stale").to_json()
    assert note.data["how"] == "asked"
    assert lock.owner() is None


def test_break_lock_without_a_terminal_needs_yes(runs: RunStore, lock: RemoteDirLock) -> None:
    lock.acquire(owner("stale"))
    with pytest.raises(PromptError) as caught:
        execute(plan(), make_world(tty=False), runs=runs, lock=lock, break_lock=True)
    assert str(caught.value) == (
        "'Break it? Do this only if that run is over' needs a confirmation, and there is no "
        "terminal to ask on. Pass --yes to confirm it, or run the command on a terminal."
    )
    with pytest.raises(DeclinedError) as declined:
        execute(plan(), make_world(answers="n\n"), runs=runs, lock=lock, break_lock=True)
    assert str(declined.value) == (
        f"the lock at {lock.where} was not broken. Wait for that run to finish, or resume it."
    )
    assert lock.owner() == owner("stale")
    report = execute(plan(), make_world(tty=False, yes=True), runs=runs, lock=lock, break_lock=True)
    assert report.status == "done"


def _hostile_lock(tmp_path: Path, record: str) -> RemoteDirLock:
    lock = RemoteDirLock(FlakyRunner(), str(tmp_path / "lock"), settle=0.2)
    Path(lock.path).mkdir(parents=True)
    (Path(lock.path) / "run-id").write_text("run-9\n")
    (Path(lock.path) / "owner.json").write_text(record + "\n")
    return lock


@pytest.mark.parametrize("started", ["NaN", "1e300", "-5", '"noon"'])
def test_an_owner_record_with_an_impossible_time_reads_as_unreadable_and_can_be_broken(
    tmp_path: Path, started: str
) -> None:
    lock = _hostile_lock(
        tmp_path, f'{{"run_id":"run-9","user":"u","host":"h","pid":1,"started":{started}}}'
    )
    with pytest.raises(LockHeldError) as caught:
        lock.acquire(owner("run-1"))
    assert "held by run run-9 with no readable owner record" in str(caught.value)
    holder = lock.owner()
    assert holder is not None
    lock.break_lock(holder)
    lock.acquire(owner("run-1"))
    assert lock.owner() == owner("run-1")


def test_an_owner_record_with_control_characters_is_shown_on_one_line_escaped(
    tmp_path: Path,
) -> None:
    record = (
        '{"run_id":"run-9","user":"b\\u0007ob\\nfake line","host":"h\\u001b[2J",'
        '"pid":5,"started":1767225600,"plan":"' + "p" * 500 + '"}'
    )
    lock = _hostile_lock(tmp_path, record)
    with pytest.raises(LockHeldError) as caught:
        lock.acquire(owner("run-1"))
    message = str(caught.value)
    assert "\n" not in message
    assert "\x1b" not in message
    assert "\x07" not in message
    assert "by b\\x07ob\\x0afake line@h\\x1b[2J, PID 5" in message
    assert f"(plan {'p' * 77}...)" in message
    # The raw run id is kept, so that breaking the lock matches the lock's own file.
    holder = lock.owner()
    assert holder is not None
    lock.break_lock(holder)
    assert lock.owner() is None


@pytest.mark.parametrize("run_id_file", [None, "other-run"])
def test_a_lock_whose_run_id_file_disagrees_with_its_owner_record_can_be_broken(
    tmp_path: Path, run_id_file: str | None
) -> None:
    lock = _hostile_lock(
        tmp_path, '{"run_id":"run-9","user":"u","host":"h","pid":1,"started":1767225600}'
    )
    run_id_path = Path(lock.path) / "run-id"
    if run_id_file is None:
        run_id_path.unlink()
    else:
        run_id_path.write_text(run_id_file + "\n")
    holder = lock.owner()
    assert holder is not None
    assert not holder.known
    # It used to be shown as run-9's and then refused: "now held by run run-9 ..., not by
    # the run you were shown; it was not broken".
    lock.break_lock(holder)
    assert lock.owner() is None


def test_an_owner_whose_record_is_unreadable_is_recorded_and_shown_as_unknown() -> None:
    unknown = LockOwner.unknown()
    assert unknown.known is False
    assert unknown.to_json() == {
        "run_id": "",
        "user": "unknown",
        "host": "unknown",
        "pid": 0,
        "started": 0.0,
        "plan": None,
    }
    assert unknown.describe() == (
        "an unknown run with no readable owner record (its taker may have stopped while taking it)"
    )


def test_an_owner_without_a_plan_is_shown_without_one() -> None:
    record = {"run_id": "r1", "user": "ada", "host": "laptop", "pid": 7, "started": 0}
    read = LockOwner.from_json(record)
    assert read.plan is None
    assert read.describe() == "run r1 by ada@laptop, PID 7, since 1970-01-01 00:00:00 UTC"


@pytest.mark.parametrize("started", [0.0, 253402300799.0])
def test_an_owner_record_may_hold_any_time_from_the_epoch_to_the_year_9999(
    started: float,
) -> None:
    record = {"run_id": "r1", "user": "ada", "host": "h", "pid": 7, "started": started}
    assert LockOwner.from_json(record).started == started


@pytest.mark.parametrize("started", [-1.0, 253402300800.0])
def test_an_owner_record_with_a_time_out_of_range_is_refused_saying_so(started: float) -> None:
    record = {"run_id": "r1", "user": "ada", "host": "h", "pid": 7, "started": started}
    with pytest.raises(ValueError, match="start time") as caught:
        LockOwner.from_json(record)
    assert str(caught.value) == f"the owner record's start time {started!r} is not a time"


def test_a_name_of_80_characters_is_shown_whole_and_a_longer_one_cut() -> None:
    exact = LockOwner.from_json(
        {"run_id": "r" * 80, "user": "ada", "host": "h", "pid": 7, "started": 0}
    )
    assert exact.describe().startswith("run " + "r" * 80 + " by ")
    longer = LockOwner.from_json(
        {"run_id": "r" * 81, "user": "ada", "host": "h", "pid": 7, "started": 0}
    )
    assert longer.describe().startswith("run " + "r" * 77 + "... by ")


def test_an_owner_record_written_over_several_lines_is_read(tmp_path: Path) -> None:
    record = '{\n  "run_id": "run-9",\n  "user": "u",\n  "host": "h",\n  "pid": 1,\n'
    lock = _hostile_lock(tmp_path, record + '  "started": 1767225600\n}')
    assert lock.owner() == LockOwner(
        run_id="run-9", user="u", host="h", pid=1, started=1767225600.0
    )


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_lost_connection_while_releasing_it_is_resolved_by_reading_it_back(
    lock: RemoteDirLock, when: str
) -> None:
    lock.acquire(owner("run-1"))
    runner = lock.runner
    assert isinstance(runner, FlakyRunner)
    runner.lose_connection = when  # type: ignore[assignment]
    lock.release(owner("run-1"))
    assert lock.owner() is None


def test_a_lost_connection_while_breaking_a_lock_another_run_holds_does_not_break_it(
    lock: RemoteDirLock,
) -> None:
    lock.acquire(owner("run-1"))
    runner = lock.runner
    assert isinstance(runner, FlakyRunner)
    runner.lose_connection = "before"
    with pytest.raises(LockChangedError) as caught:
        lock.break_lock(owner("run-0"))
    assert str(caught.value) == (
        f"the lock at {lock.where} is now held by {owner('run-1').describe()}, not by the run "
        "you were shown; it was not broken. Look again before breaking it."
    )
    assert lock.owner() == owner("run-1")


class _Answers(FlakyRunner):
    """Runs ``script`` instead of the lock command, and keeps the timeouts it was given."""

    def __init__(self, script: str) -> None:
        super().__init__()
        self.script = script
        self.timeouts: list[float | None] = []

    def run(self, command: object, **options: Any) -> RunResult:
        self.timeouts.append(options.get("timeout"))
        return super().run(self.script)


@pytest.mark.parametrize(
    ("script", "detail"),
    [
        ("printf 'a\\nb\\nc\\nd\\n' >&2; exit 3", "b; c; d"),
        ("echo 'no answer'", "no answer"),
        ("exit 3", "exit status 3"),
    ],
)
def test_a_lock_command_that_fails_or_does_not_answer_is_a_clear_error(
    script: str, detail: str
) -> None:
    lock = RemoteDirLock(_Answers(script), "/srv/lock")
    with pytest.raises(LockError) as caught:
        lock.owner()
    assert str(caught.value) == (
        f"the lock command at /srv/lock on the management environment failed ({detail}). "
        "Check that the role account can write there."
    )


def test_every_lock_command_has_the_lock_s_time_limit() -> None:
    runner = _Answers("echo 'lpsigning-mojo-lock: free'")
    RemoteDirLock(runner, "/srv/lock").owner()
    RemoteDirLock(runner, "/srv/lock", timeout=5.0).owner()
    assert runner.timeouts == [60.0, 5.0]


def test_a_lock_being_taken_is_given_time_to_show_its_owner(tmp_path: Path) -> None:
    lock = RemoteDirLock(FlakyRunner(), str(tmp_path / "lock"))  # settles for 2 s at most
    Path(lock.path).mkdir()  # its taker is between mkdir and writing its records

    def take() -> None:
        (Path(lock.path) / "run-id").write_text("run-1\n")
        (Path(lock.path) / "owner.json").write_text(json.dumps(owner("run-1").to_json()) + "\n")

    taker = threading.Timer(0.5, take)
    taker.start()
    try:
        assert lock.owner() == owner("run-1")
    finally:
        taker.join()
