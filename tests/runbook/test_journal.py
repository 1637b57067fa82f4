"""The journal: durable records, step states, notes, effects, the flock, torn lines."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from lpsigning_mojo._version import __version__
from lpsigning_mojo.errors import (
    JournalBusyError,
    JournalError,
    OutcomeUnknown,
    ResumeMismatchError,
    RunNotFoundError,
)
from lpsigning_mojo.runbook import Journal, RunStore, Session, runs_directory
from lpsigning_mojo.runbook.records import (
    FORMAT_VERSION,
    MAX_JOURNAL_BYTES,
    EffectRecord,
    EffectStatus,
    Outcome,
    StepState,
    check_records,
    effect_records,
    effects_in_directory,
    parse_journal,
    read_journal_file,
    strongest_effect,
)
from lpsigning_mojo.runbook.runs import RunListing, summarise
from lpsigning_mojo.testing import FakeClock
from tests.runbook.conftest import Boom

STEPS = ("edit", "push")


def new(runs: RunStore, *, plan: str = "demo", instance: str | None = "staging") -> Journal:
    header = runs.header(
        run_id=runs.new_run_id(),
        plan=plan,
        instance=instance,
        options={"revision": 90},
        steps=STEPS,
        session=Session.current(),
    )
    return runs.create(header)


def test_runs_live_under_xdg_state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert runs_directory() == Path.home() / ".local/state/lpsigning-mojo/runs"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert runs_directory() == tmp_path / "lpsigning-mojo" / "runs"
    assert RunStore(clock=FakeClock()).directory == tmp_path / "lpsigning-mojo" / "runs"


def test_a_relative_xdg_state_home_is_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Relative, the journals would move with the current directory: a run started in one
    # place could not be resumed from another ("there is no unfinished run").
    monkeypatch.setenv("XDG_STATE_HOME", "state")
    monkeypatch.chdir(tmp_path)
    assert runs_directory() == Path.home() / ".local/state/lpsigning-mojo/runs"


def test_every_record_is_synced_and_the_new_file_is_made_durable(
    runs: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    journal = new(runs)
    path = str(journal.path)
    assert synced == [str(runs.directory.parent), path, str(runs.directory)]
    synced.clear()
    journal.step_started("edit")
    journal.step_ended("edit", "done", phase="run", duration=1.0, outputs={"commit": "abc"})
    journal.note("confirmation", question="Go?", answer=True)
    assert synced == [path, path, path]
    assert len(Path(path).read_text().splitlines()) == 4


def test_run_ids_sort_by_start_time_and_differ(runs: RunStore) -> None:
    clock = runs.clock
    assert isinstance(clock, FakeClock)
    first = {runs.new_run_id() for _ in range(50)}
    clock.now += 1
    later = runs.new_run_id()
    assert len(first) == 50
    assert all(run_id < later for run_id in first)
    assert later.startswith("20260101T000001Z-")


def test_step_states_follow_the_latest_attempt(runs: RunStore) -> None:
    journal = new(runs)
    assert journal.state("edit") is None
    journal.step_ended("edit", "failed", phase="check", duration=0.5, error="no network.")
    failed = journal.state("edit")
    assert failed is not None
    assert (failed.outcome, failed.ran, failed.error, failed.complete) == (
        "failed",
        False,
        "no network.",
        False,
    )
    journal.step_started("edit")
    running = journal.state("edit")
    assert running is not None
    assert (running.outcome, running.ran, running.attempts) == ("unknown", True, 1)
    journal.step_ended("edit", "done", phase="run", duration=2.0, outputs={"commit": "abc"})
    done = journal.state("edit")
    assert done is not None
    assert (done.outcome, done.complete, done.started, done.duration) == (
        "done",
        True,
        FakeClock.EPOCH,
        2.0,
    )
    assert journal.outputs("edit") == {"commit": "abc"}
    assert journal.outputs("push") == {}


def test_notes_name_the_current_step(runs: RunStore) -> None:
    journal = new(runs)
    journal.note("lock-broken", owner="someone")
    journal.current_step = "push"
    journal.note("confirmation", question="Push?", answer=True)
    assert [(n.kind, n.step, dict(n.data)) for n in journal.notes()] == [
        ("lock-broken", None, {"owner": "someone"}),
        ("confirmation", "push", {"question": "Push?", "answer": True}),
    ]
    assert [n.kind for n in journal.notes("confirmation")] == ["confirmation"]


def test_a_loaded_or_dry_run_journal_refuses_writes(runs: RunStore) -> None:
    journal = new(runs)
    journal.close()
    loaded = runs.load(journal.run_id)
    with pytest.raises(RuntimeError, match="read-only"):
        loaded.note("x")
    memory = Journal.memory(dict(loaded.records[0]), clock=runs.clock)
    with pytest.raises(RuntimeError, match="read-only"):
        memory.step_started("edit")


def test_only_one_process_appends_to_a_journal(runs: RunStore) -> None:
    journal = new(runs)
    with pytest.raises(JournalBusyError) as caught:
        runs.open(journal.run_id)
    session = Session.current()
    assert str(caught.value) == (
        f"{journal.path}: run {journal.run_id} is being run by another process "
        f"({session.who}, PID {session.pid}). Wait for it to end (or stop it), then resume."
    )
    journal.close()
    reopened, torn = runs.open(journal.run_id)
    assert torn == 0
    reopened.close()


def test_a_complete_line_that_is_not_a_record_is_an_error_never_skipped(runs: RunStore) -> None:
    journal = new(runs)
    journal.close()
    assert journal.path is not None
    with journal.path.open("a") as handle:
        handle.write("not json\n")
        handle.write('{"type":"note","kind":"x","at":1}\n')
    with pytest.raises(JournalError) as caught:
        runs.load(journal.run_id)
    assert str(caught.value).startswith(
        f"{journal.path}:2: this line of the journal is not a record"
    )
    with pytest.raises(JournalError):
        runs.runs()


def test_status_reads_the_last_stop_or_finish(runs: RunStore) -> None:
    journal = new(runs)
    statuses = [journal.status]
    journal.stopped("failed", step="push", error="no.")
    statuses.append(journal.status)
    journal.resumed(Session.current())
    statuses.append(journal.status)
    journal.finished()
    statuses.append(journal.status)
    assert statuses == ["unknown", "failed", "unknown", "done"]


def test_runs_are_listed_newest_first_and_resolved(runs: RunStore) -> None:
    clock = runs.clock
    assert isinstance(clock, FakeClock)
    old = new(runs)
    old.close()
    clock.now += 10
    other_instance = new(runs, instance="production")
    other_instance.close()
    clock.now += 10
    finished = new(runs)
    finished.finished()
    finished.close()
    assert [run.run_id for run in runs.runs()] == [
        finished.run_id,
        other_instance.run_id,
        old.run_id,
    ]
    assert [run.run_id for run in runs.runs(instance="production")] == [other_instance.run_id]
    assert runs.resolve("last", plan="demo", instance="staging") == old.run_id
    assert runs.resolve(old.run_id, plan="demo", instance="staging") == old.run_id
    with pytest.raises(ResumeMismatchError, match="is a run of demo on production"):
        runs.resolve(other_instance.run_id, plan="demo", instance="staging")
    with pytest.raises(RunNotFoundError, match="there is no run '20990101T000000Z-000000'"):
        runs.resolve("20990101T000000Z-000000", plan="demo", instance="staging")
    with pytest.raises(RunNotFoundError, match=r"'\.\./etc' is not a run id"):
        runs.resolve("../etc", plan="demo", instance="staging")


def test_an_effect_is_recorded_around_the_action_and_seen_from_every_journal(
    runs: RunStore,
) -> None:
    key = ("announce", "production", "rev-90")
    first = new(runs)
    first.current_step = "announce"
    assert first.effect_status(key) is None
    with first.effect(key, channel="~is-outage") as result:
        result["post_id"] = "p1"
    first.close()
    second = new(runs)
    seen = second.effect_status(key)
    assert seen is not None
    assert (seen.status, seen.run_id, seen.step, dict(seen.data)) == (
        "done",
        first.run_id,
        "announce",
        {"post_id": "p1"},
    )
    assert runs.effect_status(key) == seen
    assert second.effect_status(("announce", "production", "rev-91")) is None


def test_an_effect_that_fails_or_whose_outcome_is_unknown_says_so(runs: RunStore) -> None:
    journal = new(runs)
    with pytest.raises(Boom), journal.effect(("push", "a")):
        raise Boom("rejected")
    failed = journal.effect_status(("push", "a"))
    assert failed is not None
    assert (failed.status, failed.error) == ("failed", "rejected.")
    with pytest.raises(OutcomeUnknown), journal.effect(("push", "a")):
        raise OutcomeUnknown("lost", command="git push")
    unknown = journal.effect_status(("push", "a"))
    assert unknown is not None
    assert unknown.status == "unknown"
    with journal.effect(("push", "a")):
        pass
    done = journal.effect_status(("push", "a"))
    assert done is not None
    assert done.status == "done"


def test_an_effect_started_with_no_end_is_unknown(runs: RunStore) -> None:
    journal = new(runs)
    assert journal.path is not None
    with journal.path.open("a") as handle:  # what a SIGKILL inside the block leaves
        handle.write(json.dumps({"type": "effect", "phase": "start", "key": ["k"], "at": 5}) + "\n")
    journal.close()
    status = runs.effect_status(("k",))
    assert status is not None
    assert (status.status, status.at) == ("unknown", 5.0)


@pytest.fixture
def bounded() -> Iterator[None]:
    """Fail (instead of waiting forever) if the code under test blocks for 10 seconds."""

    def expired(number: int, frame: object) -> None:
        raise AssertionError("the journal reader blocked for 10 seconds")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_journal_that_is_not_a_regular_file_is_an_error_never_a_wait(
    runs: RunStore, kind: str
) -> None:
    journal = new(runs)
    journal.close()
    odd = runs.directory / "20260101T000000Z-0dd0dd.jsonl"
    if kind == "fifo":
        os.mkfifo(odd)
    elif kind == "device":
        odd.symlink_to("/dev/zero")
    else:
        odd.mkdir()
    for read in (
        runs.runs,
        lambda: runs.load("20260101T000000Z-0dd0dd"),
        lambda: runs.open("20260101T000000Z-0dd0dd"),
        lambda: runs.effect_status(("announce", "x")),
    ):
        with pytest.raises(JournalError) as caught:
            read()
        message = str(caught.value)
        assert message.startswith(f"{odd}: ")
        assert "the journal" in message
        assert "regular file" in message or "directory" in message
    assert journal.path is not None
    assert runs.load(journal.run_id).records == journal.records


def test_a_journal_too_large_for_any_run_is_refused_unread(runs: RunStore) -> None:
    path = runs.directory / "20260101T000000Z-b16b16.jsonl"
    runs.directory.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(MAX_JOURNAL_BYTES + 1)
    with pytest.raises(JournalError) as caught:
        runs.runs()
    assert str(caught.value) == (
        f"{path}: the journal is larger than 16 MiB, which no run writes. "
        "Move the file aside: it is not a journal this tool wrote."
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"type":"note","kind":"x"}', "its time 'at' is not a number of seconds"),
        ('{"type":"note","kind":"x","at":NaN}', "its time 'at' is not a number of seconds"),
        ('{"type":"note","kind":"x","at":1e300}', "its time 'at' is not a number of seconds"),
        ('{"type":"note","kind":"x","at":"noon"}', "its time 'at' is not a number of seconds"),
        ('{"type":"note","at":1}', "its field 'kind' is missing or of the wrong kind"),
        ('{"type":"note","kind":"x","at":1,"data":[1]}', "its field 'data' is missing"),
        ('{"type":"stop","at":1}', "its field 'status' is missing or of the wrong kind"),
        ('{"type":"step-end","at":1,"step":"edit","outcome":7}', "its field 'outcome' is"),
        ('{"type":"step-start","at":1,"step":["edit"]}', "its field 'step' is missing"),
        ('{"type":"effect","at":1,"key":"ab","phase":"start"}', "its field 'key' is missing"),
        ('{"type":"resume","at":1,"session":3}', "its field 'session' is missing"),
    ],
)
def test_a_record_of_the_wrong_shape_is_an_error_naming_its_line(
    runs: RunStore, line: str, problem: str
) -> None:
    journal = new(runs)
    journal.close()
    assert journal.path is not None
    with journal.path.open("a") as handle:
        handle.write(line + "\n")
    for read in (runs.runs, lambda: runs.load(journal.run_id), lambda: runs.open(journal.run_id)):
        with pytest.raises(JournalError) as caught:
            read()
        assert str(caught.value).startswith(f"{journal.path}:2: this ")
        assert problem in str(caught.value)


def test_a_header_of_the_wrong_shape_is_an_error_naming_its_line(runs: RunStore) -> None:
    runs.directory.mkdir(parents=True, exist_ok=True)
    path = runs.directory / "20260101T000000Z-aaaaaa.jsonl"
    path.write_text('{"type":"run","at":1,"run_id":5,"plan":[],"steps":"ab","session":3}\n')
    with pytest.raises(JournalError) as caught:
        runs.runs()
    assert str(caught.value).startswith(
        f"{path}:1: this 'run' record of the journal is not one this tool wrote: "
        "its field 'run_id' is missing or of the wrong kind"
    )


NOT_A_RECORD = (
    "this line of the journal is not a record (the file was changed by hand, or the disk "
    "lost data). Move the file aside to start again without it, or mend that line."
)


@pytest.mark.parametrize("line", [b"not json", b"\xff\xfe", b"[1]", b'{"type":1}'])
def test_a_line_that_is_not_a_record_says_what_to_do_whole(line: bytes) -> None:
    header = b'{"type":"run","at":1}\n'
    with pytest.raises(JournalError) as caught:
        parse_journal(header + line + b"\n", path="/runs/a.jsonl")
    assert str(caught.value) == f"/runs/a.jsonl:2: {NOT_A_RECORD}"
    with pytest.raises(JournalError) as unnamed:
        parse_journal(line + b"\n")
    assert str(unnamed.value) == f"<journal>:1: {NOT_A_RECORD}"


def test_a_torn_last_line_is_ignored_and_counted() -> None:
    records, torn = parse_journal(b'{"type":"run","at":1}\n{"type":"no')
    assert (records, torn) == ([{"type": "run", "at": 1}], 11)


def test_a_journal_that_does_not_start_with_its_run_record_is_refused(tmp_path: Path) -> None:
    with pytest.raises(JournalError) as unnamed:
        parse_journal(b'{"type":"note","kind":"x","at":1}\n')
    assert str(unnamed.value) == "<journal>:1: the journal does not start with a run record."
    path = tmp_path / "a.jsonl"
    path.write_text('{"type":"note","kind":"x","at":1}\n')
    with pytest.raises(JournalError) as caught:
        read_journal_file(path)
    assert str(caught.value) == f"{path}:1: the journal does not start with a run record."


def test_a_missing_or_unreadable_journal_says_so_once(tmp_path: Path) -> None:
    missing = tmp_path / "gone.jsonl"
    with pytest.raises(JournalError) as caught:
        read_journal_file(missing)
    assert str(caught.value) == f"{missing}: the journal does not exist."
    assert caught.value.path == str(missing)
    directory = tmp_path / "dir.jsonl"
    directory.mkdir()
    with pytest.raises(JournalError) as unreadable:
        read_journal_file(directory)
    message = str(unreadable.value)
    assert message.startswith(f"{directory}: the journal cannot be read (")
    assert message.endswith("). Move it aside, or make it a readable file again.")
    assert message.count(str(directory)) == 1


@pytest.mark.parametrize(
    ("at", "readable"),
    [("0", True), ("0.5", True), ("253402300799", True), ("253402300800", False), ("true", False)],
)
def test_a_record_time_is_a_number_of_seconds_from_1970_to_9999(
    runs: RunStore, at: str, readable: bool
) -> None:
    journal = new(runs)
    journal.close()
    assert journal.path is not None
    with journal.path.open("a") as handle:
        handle.write(f'{{"type":"note","kind":"x","at":{at},"data":{{}}}}\n')
    if readable:
        assert runs.load(journal.run_id).records[-1]["at"] == json.loads(at)
        return
    with pytest.raises(JournalError) as caught:
        runs.load(journal.run_id)
    assert str(caught.value) == (
        f"{journal.path}:2: this 'note' record of the journal is not one this tool wrote: its "
        "time 'at' is not a number of seconds (the file was changed by hand, or the disk lost "
        "data). Move the file aside to start again without it, or mend that line."
    )
    with pytest.raises(JournalError) as unnamed:
        check_records([{"type": "note", "kind": "x", "at": json.loads(at), "data": {}}])
    assert str(unnamed.value).startswith("<journal>:1: this 'note' record")


def test_note_data_must_be_plain_json_without_nan(runs: RunStore) -> None:
    journal = new(runs)
    with pytest.raises(TypeError, match="note data must be plain JSON values"):
        journal.note("x", value=float("nan"))
    journal.close()


def _attempt(phase: str, at: float, **fields: object) -> dict[str, object]:
    return {
        "type": "effect",
        "key": ["push", "a"],
        "phase": phase,
        "at": at,
        "step": "push",
        **fields,
    }


def test_each_attempt_at_an_effect_is_listed_with_its_run_and_outcome() -> None:
    records = [
        {"type": "run", "at": 0},
        _attempt("start", 1),  # started again before an end: the outcome was lost
        _attempt("start", 2),
        _attempt("end", 3),  # an end without a status
        {"type": "effect", "key": ["other"], "phase": "start", "at": 4},
        _attempt("start", 5, data={"sha": "ab"}),
    ]
    found = effect_records(records, ("push", "a"), "run-1")
    expected = [(1.0, {}), (3.0, {}), (5.0, {"sha": "ab"})]  # each one "unknown"
    assert found == [
        EffectRecord(
            key=("push", "a"), status="unknown", run_id="run-1", step="push", at=at, data=data
        )
        for at, data in expected
    ]
    assert effects_in_directory(None, ("push", "a")) == []


def test_the_strongest_effect_is_the_first_done_else_the_latest_unknown() -> None:
    def effect(status: EffectStatus, at: float) -> EffectRecord:
        return EffectRecord(key=("k",), status=status, run_id="r", step=None, at=at, data={})

    assert strongest_effect([effect("done", 1), effect("unknown", 2), effect("done", 3)]) == (
        effect("done", 1)
    )
    assert strongest_effect([effect("failed", 1), effect("unknown", 2), effect("unknown", 3)]) == (
        effect("unknown", 3)
    )
    assert strongest_effect([effect("failed", 1), effect("failed", 2)]) == effect("failed", 2)
    # first and latest in time, not in the order the journals were read
    assert strongest_effect([effect("done", 3), effect("done", 1)]) == effect("done", 1)
    assert strongest_effect([effect("unknown", 3), effect("unknown", 2)]) == effect("unknown", 3)
    assert strongest_effect([effect("failed", 3), effect("failed", 2)]) == effect("failed", 3)
    assert strongest_effect([]) is None


def test_a_session_whose_user_cannot_be_named_is_recorded_as_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def nameless() -> str:
        raise KeyError("uid 12345")

    monkeypatch.setattr("getpass.getuser", nameless)
    session = Session.current()
    assert session.user == "unknown"
    assert session.who.startswith("unknown@")


def test_a_run_is_listed_with_its_steps_status_and_journal(runs: RunStore) -> None:
    journal = new(runs)
    runs.clock.sleep(75)
    journal.step_started("edit")
    journal.note("override", gate="soak", by="me")
    journal.note("progress", done=1)  # not an override: not in the summary
    journal.step_ended("edit", "done", phase="run", duration=62.5, outputs={"sha": "ab"})
    journal.step_started("push")
    journal.step_ended("push", "failed", phase="run", duration=0.25, error="rejected.")
    journal.stopped("failed", step="push", error="rejected.")
    journal.close()
    [run] = runs.runs()
    assert run.lines() == [
        f"Run {journal.run_id} (demo on staging)",
        "  edit  done        01:02",
        "  push  failed      00:00",
        "  note: override gate=soak, by=me",
        "Status: failed at step push",
        f"Journal: {journal.path}",
    ]
    assert not run.finished
    assert run.to_json() == {
        "run_id": journal.run_id,
        "plan": "demo",
        "instance": "staging",
        "options": {"revision": 90},
        "status": "failed",
        "started": "2026-01-01T00:00:00Z",
        "updated": "2026-01-01T00:01:15Z",
        "journal": str(journal.path),
        "session": journal.session,
        "stopped_at": "push",
        "error": "rejected.",
        "steps": [
            {
                "step": "edit",
                "outcome": "done",
                "duration": 62.5,
                "outputs": {"sha": "ab"},
                "error": None,
                "reason": None,
                "attempts": 1,
            },
            {
                "step": "push",
                "outcome": "failed",
                "duration": 0.25,
                "outputs": {},
                "error": "rejected.",
                "reason": None,
                "attempts": 1,
            },
        ],
        "notes": [
            {
                "kind": "override",
                "at": "2026-01-01T00:01:15Z",
                "step": None,
                "data": {"gate": "soak", "by": "me"},
            },
            {"kind": "progress", "at": "2026-01-01T00:01:15Z", "step": None, "data": {"done": 1}},
        ],
    }


def test_a_run_without_an_instance_lists_its_pending_steps_then_resumes(runs: RunStore) -> None:
    journal = new(runs, instance=None)
    journal.stopped("interrupted", step="edit", error="Interrupted.")
    journal.resumed(Session.current())  # the stop is over: no step to show it at
    journal.close()
    [run] = runs.runs()
    assert run.lines() == [
        f"Run {journal.run_id} (demo)",
        "  edit  pending",
        "  push  pending",
        "Status: unknown",
        f"Journal: {journal.path}",
    ]
    assert (run.stopped_at, run.error) == (None, None)
    assert [step.to_json()["attempts"] for step in run.steps] == [0, 0]


def test_a_run_that_cannot_be_resumed_or_read_says_why_whole(runs: RunStore) -> None:
    with pytest.raises(RunNotFoundError) as nothing:
        runs.resolve("last", plan="demo", instance="staging")
    assert str(nothing.value) == (
        "there is no unfinished run of demo on staging to resume. "
        "Start a new run (without --resume)."
    )
    with pytest.raises(RunNotFoundError) as nowhere:
        runs.resolve("last", plan="demo", instance=None)
    assert str(nowhere.value).startswith("there is no unfinished run of demo to resume.")
    other = new(runs, instance="production")
    other.close()
    with pytest.raises(ResumeMismatchError) as mismatch:
        runs.resolve(other.run_id, plan="demo", instance="staging")
    assert str(mismatch.value) == (
        f"run {other.run_id} is a run of demo on production, not of demo on staging. "
        "Resume it with the command that started it."
    )
    missing = "20990101T000000Z-000000"
    for read in (runs.load, runs.open):
        with pytest.raises(RunNotFoundError) as unknown:
            read(missing)
        assert str(unknown.value) == (
            f"there is no run {missing!r} in {runs.directory}. "
            "Resume the newest unfinished run with --resume last."
        )
    with pytest.raises(RunNotFoundError) as odd:
        runs.path("../etc")
    assert str(odd.value) == "'../etc' is not a run id. Run ids look like 20260101T120000Z-3f9a2c."
    empty = runs.path("20260101T000000Z-eeeeee")
    empty.touch()
    with pytest.raises(JournalError) as caught:
        runs.load("20260101T000000Z-eeeeee")
    assert str(caught.value) == f"{empty}: the journal is empty."


def test_the_runs_directory_is_private_and_a_failure_to_make_it_says_so(
    runs: RunStore, tmp_path: Path
) -> None:
    journal = new(runs)
    journal.close()
    assert runs.directory.stat().st_mode & 0o777 == 0o700
    assert journal.path == runs.directory / f"{journal.run_id}.jsonl"
    (tmp_path / "file").write_text("")
    blocked = RunStore(tmp_path / "file" / "runs", clock=runs.clock)
    with pytest.raises(JournalError) as caught:
        new(blocked)
    assert str(caught.value) == (
        f"{blocked.directory}: cannot create the runs directory (Not a directory)."
    )


def test_a_run_starts_with_a_header_naming_its_format_and_version(runs: RunStore) -> None:
    session = Session(user="me", host="here", pid=7)
    run_id = runs.new_run_id()
    assert re.fullmatch(r"20260101T000000Z-[0-9a-f]{6}", run_id)
    assert runs.header(
        run_id=run_id,
        plan="demo",
        instance=None,
        options={"revision": 90},
        steps=STEPS,
        session=session,
    ) == {
        "type": "run",
        "format": FORMAT_VERSION,
        "at": runs.clock.time(),
        "run_id": run_id,
        "plan": "demo",
        "instance": None,
        "options": {"revision": 90},
        "steps": ["edit", "push"],
        "session": {"user": "me", "host": "here", "pid": 7},
        "version": __version__,
    }
    assert RunStore(runs.directory / "elsewhere", clock=runs.clock).directory == (
        runs.directory / "elsewhere"
    )


def test_the_listing_skips_empty_journals_and_other_plans_and_instances(
    runs: RunStore,
) -> None:
    runs.directory.mkdir(parents=True)
    for name in ("20250101T000000Z-000000", "20270101T000000Z-ffffff"):
        runs.path(name).touch()  # created, nothing written yet
    other_plans = [new(runs, plan="other") for _ in range(3)]
    other_instances = [new(runs, instance="production") for _ in range(3)]
    mine = [new(runs) for _ in range(3)]
    for journal in (*other_plans, *other_instances, *mine):
        journal.note("lock-broken", owner="me")
        journal.close()
    listed = runs.runs(plan="demo", instance="staging")
    assert sorted(run.run_id for run in listed) == sorted(journal.run_id for journal in mine)
    assert len(runs.runs()) == 9
    assert "  note: lock-broken owner=me" in listed[0].lines()
    listing = RunListing(directory=runs.directory, runs=tuple(listed))
    assert listing.to_json() == {
        "directory": str(runs.directory),
        "runs": [run.to_json() for run in listed],
    }


def test_a_dry_run_without_steps_is_summarised_without_a_journal(runs: RunStore) -> None:
    header = runs.header(
        run_id=runs.new_run_id(),
        plan="demo",
        instance="staging",
        options={},
        steps=(),
        session=Session.current(),
    )
    summary = summarise(Journal.memory(header, clock=runs.clock))
    assert summary.path is None
    assert summary.lines() == [f"Run {header['run_id']} (demo on staging)", "Status: unknown"]


def test_the_journal_lines_are_the_compact_json_the_docs_show(runs: RunStore) -> None:
    # docs/explanation/journal-lock-resume.rst shows these lines: one compact JSON object
    # each, its type and time first; a note or effect names the current step, no other does.
    clock = runs.clock
    assert isinstance(clock, FakeClock)
    journal = new(runs)
    journal.note("lock-broken", owner="ada")
    clock.now = 1
    journal.step_started("edit")
    clock.now = 2
    journal.step_ended("edit", "done", phase="run", duration=1.00049, outputs={"commit": "3f"})
    journal.current_step = "push"
    journal.note("confirmation", answer=True)
    journal.stopped("failed", step="push", error="no.")
    journal.resumed(Session(user="ada", host="laptop", pid=5104))
    journal.finished()
    assert journal.path is not None
    lines = journal.path.read_text().splitlines()
    assert lines[0].startswith('{"type":"run","at":1767225600.0,"format":1,"run_id":"')
    assert lines[1:] == [
        '{"type":"note","at":1767225600.0,"kind":"lock-broken","data":{"owner":"ada"}}',
        '{"type":"step-start","at":1767225601.0,"step":"edit"}',
        '{"type":"step-end","at":1767225602.0,"step":"edit","outcome":"done","phase":"run",'
        '"duration":1.0,"outputs":{"commit":"3f"}}',
        '{"type":"note","at":1767225602.0,"kind":"confirmation","data":{"answer":true},'
        '"step":"push"}',
        '{"type":"stop","at":1767225602.0,"status":"failed","step":"push","error":"no."}',
        '{"type":"resume","at":1767225602.0,"session":{"user":"ada","host":"laptop","pid":5104}}',
        '{"type":"finish","at":1767225602.0}',
    ]
    assert "step" not in journal.records[0]
    assert journal.records == tuple(json.loads(line) for line in lines)
    assert runs.load(journal.run_id).records == journal.records


def test_a_run_starts_at_the_time_its_header_gives(runs: RunStore) -> None:
    clock = runs.clock
    assert isinstance(clock, FakeClock)
    header = runs.header(
        run_id=runs.new_run_id(),
        plan="demo",
        instance=None,
        options={},
        steps=STEPS,
        session=Session.current(),
    )
    clock.now = 30  # a question asked between making the header and the journal
    journal = runs.create(header)
    assert journal.header.started == FakeClock.EPOCH
    assert journal.records[0]["at"] == FakeClock.EPOCH


def test_a_record_that_could_not_be_read_back_is_never_written(runs: RunStore) -> None:
    journal = new(runs)
    assert journal.path is not None
    before = journal.path.read_bytes()
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        journal.step_ended("edit", "done", phase="run", duration=float("nan"))
    assert journal.path.read_bytes() == before
    assert len(journal.records) == 1
    journal.close()
    assert runs.load(journal.run_id).records == journal.records


def _on(path: Path, descriptor: int) -> bool:
    return os.readlink(f"/proc/self/fd/{descriptor}") == str(path)


@pytest.mark.parametrize("failing", ["write", "write and truncate", "fstat"])
def test_a_record_that_cannot_be_written_leaves_the_journal_as_it_was(
    runs: RunStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    journal = new(runs)
    path = journal.path
    assert path is not None
    before = path.read_bytes()
    real_write, real_fstat = os.write, os.fstat
    written: list[int] = []

    def write(descriptor: int, data: bytes) -> int:
        if not _on(path, descriptor):
            return real_write(descriptor, data)
        if not written:  # the disk fills up part of the way through the line
            written.append(real_write(descriptor, bytes(data[:10])))
            return written[0]
        raise OSError(errno.ENOSPC, "No space left on device")

    def ftruncate(descriptor: int, size: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    def fstat(descriptor: int) -> os.stat_result:
        if _on(path, descriptor):
            raise OSError(errno.EIO, "Input/output error")
        return real_fstat(descriptor)

    if failing == "fstat":
        monkeypatch.setattr(os, "fstat", fstat)
    else:
        monkeypatch.setattr(os, "write", write)
    if failing == "write and truncate":
        monkeypatch.setattr(os, "ftruncate", ftruncate)
    with pytest.raises(JournalError) as caught:
        journal.step_started("edit")
    reason = "Input/output error" if failing == "fstat" else "No space left on device"
    assert str(caught.value) == (
        f"{path}: cannot write to the journal ({reason}). "
        "Free some space or fix the permissions, then resume the run."
    )
    assert len(journal.records) == 1
    monkeypatch.undo()
    if failing == "write and truncate":  # the torn line stays: the next writer cuts it off
        assert path.read_bytes() == before + b'{"type":"s'
        journal.close()
        reopened, torn = runs.open(journal.run_id)
        assert torn == 10
        reopened.close()
    else:
        assert path.read_bytes() == before
        journal.step_started("edit")  # and the journal goes on
        journal.close()
    assert runs.load(journal.run_id).records[:1] == journal.records[:1]


def test_a_closed_journal_is_read_only(runs: RunStore) -> None:
    journal = new(runs)
    assert journal.writable
    with journal:
        pass
    assert not journal.writable
    journal.close()  # closing again is harmless
    with pytest.raises(RuntimeError) as caught:
        journal.finished()
    assert str(caught.value) == "this journal is read-only (a dry run, or a run being shown)"


def test_a_journal_is_private_and_never_made_twice(runs: RunStore, tmp_path: Path) -> None:
    journal = new(runs)
    path = journal.path
    assert path is not None
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(JournalError) as twice:
        Journal.create(path, dict(journal.records[0]), clock=runs.clock)
    assert str(twice.value) == f"{path}: a journal with this run id exists already."
    nowhere = tmp_path / "no" / "such.jsonl"
    with pytest.raises(JournalError) as missing:
        Journal.create(nowhere, dict(journal.records[0]), clock=runs.clock)
    assert str(missing.value) == (
        f"{nowhere}: cannot create the journal (No such file or directory)."
    )


def test_a_journal_to_resume_that_is_missing_or_empty_says_so(tmp_path: Path) -> None:
    clock = FakeClock()
    missing = tmp_path / "20260101T000000Z-aaaaaa.jsonl"
    with pytest.raises(JournalError) as gone:
        Journal.open(missing, clock=clock)
    assert str(gone.value) == f"{missing}: the journal does not exist."
    empty = tmp_path / "20260101T000000Z-bbbbbb.jsonl"
    empty.touch()
    with pytest.raises(JournalError) as nothing:
        Journal.open(empty, clock=clock)
    assert str(nothing.value) == f"{empty}: the journal is empty."


def test_a_journal_being_made_by_another_process_is_busy_its_owner_unknown(
    tmp_path: Path,
) -> None:
    # Another process has created the file and holds its lock, but not yet written the header.
    path = tmp_path / "20260101T000000Z-cccccc.jsonl"
    path.touch()
    other = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(JournalBusyError) as caught:
            Journal.open(path, clock=FakeClock())
    finally:
        os.close(other)
    assert str(caught.value) == (
        f"{path}: run 20260101T000000Z-cccccc is being run by another process (unknown). "
        "Wait for it to end (or stop it), then resume."
    )


def test_a_resumed_run_names_who_resumed_it_and_sees_every_effect(runs: RunStore) -> None:
    key = ("announce", "production", "rev-90")
    first = new(runs)
    with first.effect(key):
        pass
    first.close()
    second = new(runs)
    second.close()
    resumed, torn = runs.open(second.run_id)
    assert torn == 0
    resumed.resumed(Session(user="bob", host="bastion", pid=4242))
    assert resumed.session == "bob@bastion, PID 4242"
    with pytest.raises(JournalBusyError, match=r"another process \(bob@bastion, PID 4242\)\."):
        runs.open(second.run_id)
    seen = resumed.effect_status(key)
    assert seen is not None
    assert (seen.status, seen.run_id) == ("done", first.run_id)
    own = ("announce", "staging", "rev-90")
    with resumed.effect(own):
        pass
    mine = resumed.effect_status(own)
    assert mine is not None
    assert (mine.status, mine.run_id) == ("done", second.run_id)
    resumed.close()
    dry = Journal.memory(dict(resumed.records[0]), clock=runs.clock, directory=runs.directory)
    dry_seen = dry.effect_status(own)
    assert dry_seen is not None
    assert (dry_seen.status, dry_seen.run_id) == ("done", second.run_id)


NO_END = "the run stopped during this step (no end was recorded)"


def test_an_attempt_that_never_ended_stays_unresolved_until_the_step_runs_again(
    runs: RunStore,
) -> None:
    clock = runs.clock
    assert isinstance(clock, FakeClock)
    journal = new(runs)
    journal.step_started("edit")  # then the process was killed
    killed = StepState(
        name="edit",
        outcome="unknown",
        ran=True,
        started=FakeClock.EPOCH,
        ended=None,
        duration=None,
        outputs={},
        error=None,
        reason=NO_END,
        attempts=1,
    )
    assert journal.state("edit") == killed
    assert journal.unresolved("edit") == killed
    clock.now = 10  # resumed: the check fails; a person is asked, and says stop
    journal.step_ended("edit", "failed", phase="check", duration=0.5, error="no network.")
    journal.current_step = "edit"
    journal.note("confirmation", question="Retry?", answer=False)
    assert journal.state("edit") == StepState(
        name="edit",
        outcome="failed",
        ran=False,
        started=None,
        ended=FakeClock.EPOCH + 10,
        duration=0.5,
        outputs={},
        error="no network.",
        reason=None,
        attempts=1,
    )
    assert journal.unresolved("edit") == killed
    assert journal.unresolved("push") is None
    clock.now = 20
    journal.step_started("edit")
    clock.now = 25
    journal.step_ended("edit", "interrupted", phase="run", duration=5.0, reason="Ctrl-C")
    interrupted = StepState(
        name="edit",
        outcome="interrupted",
        ran=True,
        started=FakeClock.EPOCH + 20,
        ended=FakeClock.EPOCH + 25,
        duration=5.0,
        outputs={},
        error=None,
        reason="Ctrl-C",
        attempts=2,
    )
    assert journal.state("edit") == interrupted
    assert journal.unresolved("edit") == interrupted
    journal.step_started("edit")
    journal.step_ended("edit", "failed", phase="run", duration=0.0, error="refused.")
    assert journal.unresolved("edit") is None  # it failed: it took no effect
    third = journal.state("edit")
    assert third is not None
    assert (third.outcome, third.attempts) == ("failed", 3)


@pytest.mark.parametrize(("outcome", "phase"), [("done", "check"), ("skipped", "resolve")])
def test_an_attempt_that_never_ended_is_resolved_once_the_step_is_complete(
    runs: RunStore, outcome: Outcome, phase: Literal["check", "resolve"]
) -> None:
    journal = new(runs)
    journal.step_started("edit")
    assert journal.unresolved("edit") is not None
    journal.step_ended("edit", outcome, phase=phase, duration=0.1)
    assert journal.unresolved("edit") is None


def test_the_latest_attempt_at_an_effect_is_the_latest_in_time_whichever_journal_holds_it(
    runs: RunStore,
) -> None:
    # Run A starts, run B starts later; each loses the connection while announcing. B's
    # attempt is the latest: B, resumed, must not be asked again about A's older one.
    clock = runs.clock
    assert isinstance(clock, FakeClock)
    key = ("announce", "production", "rev-90")
    older = new(runs)
    with pytest.raises(OutcomeUnknown), older.effect(key):
        raise OutcomeUnknown("lost", command="post")
    older.close()
    clock.now = 10
    newer = new(runs)
    with pytest.raises(OutcomeUnknown), newer.effect(key):
        raise OutcomeUnknown("lost", command="post")
    seen = newer.effect_status(key)
    assert seen is not None
    assert (seen.status, seen.run_id, seen.at) == ("unknown", newer.run_id, FakeClock.EPOCH + 10)
    assert runs.effect_status(key) == seen
    newer.close()
    # A is resumed and tries again, later still: now its attempt is the latest, for both.
    clock.now = 20
    resumed, _ = runs.open(older.run_id)
    with pytest.raises(OutcomeUnknown), resumed.effect(key):
        raise OutcomeUnknown("lost", command="post")
    latest = resumed.effect_status(key)
    assert latest is not None
    assert (latest.run_id, latest.at) == (older.run_id, FakeClock.EPOCH + 20)
    assert runs.effect_status(key) == latest
    resumed.close()


def test_a_step_stopped_before_its_start_was_recorded_has_no_start_time(runs: RunStore) -> None:
    # Ctrl-C between "started" on the screen and the step-start record: the step ends
    # interrupted in its run phase, with no start of its own to date it.
    journal = new(runs)
    journal.step_ended("edit", "interrupted", phase="run", duration=0.0, error="Ctrl-C.")
    first = journal.state("edit")
    assert first is not None
    assert (first.outcome, first.ran, first.started, first.ended) == (
        "interrupted",
        True,
        None,
        FakeClock.EPOCH,
    )
    journal.step_started("push")
    journal.step_ended("push", "failed", phase="run", duration=0.0, error="refused.")
    journal.step_ended("push", "interrupted", phase="run", duration=0.0, error="Ctrl-C.")
    again = journal.state("push")
    assert again is not None
    assert (again.outcome, again.started) == ("interrupted", None)


def test_attempts_at_the_same_moment_are_ordered_by_run_whichever_journal_asks(
    runs: RunStore,
) -> None:
    # Two runs' attempts recorded at the same instant (a clock that did not move): every
    # journal, and the listing, must name the same attempt as the latest (run ids break
    # the tie; before, each journal named the other's, having read its own first).
    key = ("announce", "production", "rev-90")
    older = new(runs)
    with pytest.raises(OutcomeUnknown), older.effect(key):
        raise OutcomeUnknown("lost", command="post")
    newer = new(runs)
    with pytest.raises(OutcomeUnknown), newer.effect(key):
        raise OutcomeUnknown("lost", command="post")
    seen = [journal.effect_status(key) for journal in (older, newer)] + [runs.effect_status(key)]
    latest = max(older.run_id, newer.run_id)
    assert [(s.run_id, s.at) if s else None for s in seen] == [(latest, FakeClock.EPOCH)] * 3
