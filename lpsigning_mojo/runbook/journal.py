"""The journal of one run: JSON lines, each written, flushed and fsynced before it counts.

A journal is a file ``RUN_ID.jsonl`` of records, one JSON object a line, each
with a ``type`` and the wall time ``at``:

``run``
    The header (first line): run id, plan, instance, options, step names,
    who started it where (user, host, PID), the tool's version.
``resume``
    A later process continues the run (its user, host, PID).
``step-start``
    The step's ``run()`` is about to be called.
``step-end``
    How the step ended: ``outcome`` (done, skipped, failed, interrupted,
    unknown), ``phase`` (``check`` for its "already done?" check, ``run``,
    ``resolve`` when a person said what happened), ``outputs``, ``error``,
    ``duration`` in seconds.
``note``
    Something a person will want to know: a lock broken, a gate overridden
    (who, when, why), a confirmation, a torn record dropped.
``effect``
    An exactly-once side effect under a key, ``phase`` start, then end with
    ``status`` done, failed or unknown (see :meth:`Journal.effect`).
``stop`` / ``finish``
    The run stopped (``status`` failed, interrupted or unknown, at ``step``)
    or completed every step.

A record is one ``write`` of one line to a file opened with ``O_APPEND``,
followed by ``fsync``; Ctrl-C is held back while it is written. A process
killed mid-write leaves a torn last line without its newline: readers ignore
it, and the next writer cuts it off and notes it. A complete line that is not
a record is never skipped: it is an error naming the file and line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal, cast

from lpsigning_mojo.clock import Clock
from lpsigning_mojo.errors import (
    CommandAbandonedError,
    JournalBusyError,
    JournalError,
    LpsigningMojoError,
    OutcomeUnknown,
)
from lpsigning_mojo.runbook.records import (
    EffectRecord,
    EffectStatus,
    Note,
    Outcome,
    Record,
    RunHeader,
    RunStatus,
    Session,
    StepState,
    check_json,
    effect_records,
    effects_in_directory,
    read_journal_file,
    strongest_effect,
)

__all__ = ["SUFFIX", "Journal", "fsync_directory"]

#: The file name suffix of a journal: ``RUN_ID.jsonl``.
SUFFIX = ".jsonl"


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C (and SIGTERM) back while a record is written, so it is whole or absent."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def fsync_directory(directory: Path) -> None:
    """Make a new entry in ``directory`` durable (a created file survives a crash)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _encode(record: Record) -> bytes:
    return (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode("ascii")


class Journal:
    """The journal of one run, read into memory and (when writable) appended to.

    Made by :class:`~lpsigning_mojo.runbook.RunStore` (``create``, ``open``
    for a resume, ``load`` to read) or :meth:`memory` for a dry run. A
    writable journal holds an exclusive ``flock`` on its file until
    :meth:`close`; a read-only one refuses every write (a bug).
    Steps read it (:meth:`state`, :meth:`outputs`, :meth:`notes`) and write
    notes and effects; the engine writes the rest.
    """

    def __init__(
        self,
        *,
        records: list[Record],
        clock: Clock,
        path: Path | None = None,
        descriptor: int | None = None,
        directory: Path | None = None,
    ) -> None:
        self._records = records
        self.clock = clock
        self.path = path
        #: Where the other journals are, for :meth:`effect_status`.
        self.directory = directory if directory is not None else path and path.parent
        self._descriptor = descriptor
        #: The step the engine is running (notes and effects name it).
        self.current_step: str | None = None

    # -- making one ------------------------------------------------------------

    @classmethod
    def memory(cls, header: Record, *, clock: Clock, directory: Path | None = None) -> Journal:
        """A read-only journal holding only ``header``: what a dry run's steps see.

        ``directory`` holds the other journals, which :meth:`effect_status` reads.
        """
        return cls(records=[header], clock=clock, directory=directory)

    @classmethod
    def create(cls, path: Path, header: Record, *, clock: Clock) -> Journal:
        """Create ``path`` (it must not exist), lock it, write and sync ``header``."""
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise JournalError("a journal with this run id exists already", path=path) from None
        except OSError as error:
            raise JournalError(f"cannot create the journal ({error.strerror})", path=path) from None
        journal = cls(records=[], clock=clock, path=path, descriptor=descriptor)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            journal._write(header)
            fsync_directory(path.parent)
        except BaseException:
            journal.close()
            raise
        return journal

    @classmethod
    def open(cls, path: Path, *, clock: Clock) -> tuple[Journal, int]:
        """Lock ``path`` for appending and read it; cut off a torn last line.

        Returns the journal and how many bytes of torn line were cut off.
        Raises :class:`~lpsigning_mojo.errors.JournalBusyError` when another
        process holds the journal.
        """
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            raise JournalError("the journal does not exist", path=path) from None
        except OSError as error:
            raise JournalError(f"cannot open the journal ({error.strerror})", path=path) from None
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                records, _ = read_journal_file(path)
                raise JournalBusyError(
                    f"run {path.stem} is being run by another process ({_last_session(records)})",
                    path=path,
                    hint="Wait for it to end (or stop it), then resume",
                ) from None
            records, torn = read_journal_file(path)
            if not records:
                raise JournalError("the journal is empty", path=path)
            if torn:
                os.ftruncate(descriptor, os.fstat(descriptor).st_size - torn)
                os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            raise
        return cls(records=records, clock=clock, path=path, descriptor=descriptor), torn

    def close(self) -> None:
        """Release the file and its ``flock``; the journal stays readable."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return self._descriptor is not None

    @property
    def records(self) -> tuple[Record, ...]:
        """Every record, oldest first (plain JSON objects)."""
        return tuple(self._records)

    @property
    def header(self) -> RunHeader:
        first = self._records[0]
        return RunHeader(
            run_id=first["run_id"],
            plan=first["plan"],
            instance=first.get("instance"),
            options=first.get("options") or {},
            steps=tuple(first.get("steps") or ()),
            started=float(first["at"]),
            session=Session.from_json(first["session"]),
            version=str(first.get("version", "")),
        )

    @property
    def run_id(self) -> str:
        return str(self._records[0]["run_id"])

    def state(self, step: str) -> StepState | None:
        """What the journal says about ``step`` (``None``: never checked nor run)."""
        state: StepState | None = None
        attempts = 0
        started: float | None = None
        for record in self._records:
            if record.get("step") != step or record["type"] not in ("step-start", "step-end"):
                continue
            if record["type"] == "step-start":
                attempts += 1
                started = float(record["at"])
                state = StepState(
                    name=step,
                    outcome="unknown",
                    ran=True,
                    started=float(record["at"]),
                    ended=None,
                    duration=None,
                    outputs={},
                    error=None,
                    reason="the run stopped during this step (no end was recorded)",
                    attempts=attempts,
                )
                continue
            ran = record.get("phase") == "run"
            state = StepState(
                name=step,
                outcome=record["outcome"],
                ran=ran,
                started=started if ran else None,
                ended=float(record["at"]),
                duration=record.get("duration"),
                outputs=record.get("outputs") or {},
                error=record.get("error"),
                reason=record.get("reason"),
                attempts=attempts,
            )
            started = None
        return state

    def unresolved(self, step: str) -> StepState | None:
        """The last attempt at ``step`` that entered ``run()`` and may or may not have taken effect.

        That is an attempt that ended ``unknown`` (or never ended) or
        ``interrupted``, with no attempt since that completed the step or
        entered ``run()`` again; the checks and questions in between (which
        may have failed, or been answered "stop here") do not resolve it.
        """
        found: StepState | None = None
        for index, record in enumerate(self._records):
            if record.get("step") != step:
                continue
            if record["type"] == "step-start":
                found = self._state_until(step, index)
            elif record["type"] != "step-end":
                continue
            elif record["outcome"] in ("done", "skipped"):
                found = None
            elif record.get("phase") == "run":
                unclear = record["outcome"] in ("unknown", "interrupted")
                found = self._state_until(step, index) if unclear else None
        return found

    def _state_until(self, step: str, index: int) -> StepState | None:
        """:meth:`state` as it was once record ``index`` was written."""
        return Journal(records=self._records[: index + 1], clock=self.clock).state(step)

    def outputs(self, step: str) -> Mapping[str, object]:
        """The outputs ``step`` recorded when it completed ({} if it has not)."""
        state = self.state(step)
        return state.outputs if state is not None and state.complete else {}

    def notes(self, kind: str | None = None) -> list[Note]:
        """The notes, oldest first; only those of ``kind`` if given."""
        return [
            Note(
                kind=record["kind"],
                at=float(record["at"]),
                step=record.get("step"),
                data=record.get("data") or {},
            )
            for record in self._records
            if record["type"] == "note" and (kind is None or record["kind"] == kind)
        ]

    @property
    def status(self) -> RunStatus:
        """``done`` once finished; else how it last stopped; ``unknown`` if it never said."""
        status: RunStatus = "unknown"
        for record in self._records:
            if record["type"] in ("run", "resume"):
                status = "unknown"
            elif record["type"] == "stop":
                status = record["status"]
            elif record["type"] == "finish":
                status = "done"
        return status

    @property
    def session(self) -> str:
        """Who last ran it where: ``user@host, PID n``."""
        return _last_session(self._records)

    # -- effects ---------------------------------------------------------------

    def effect_status(self, key: Sequence[str]) -> EffectRecord | None:
        """What this journal and every other one beside it say about ``key``.

        ``None``: no run has tried it. Otherwise the first ``done`` attempt,
        else the latest ``unknown`` one (it may have happened: read the
        outside system back, or ask), else the latest ``failed`` one.
        """
        wanted = tuple(key)
        found = effect_records(self._records, wanted, self.run_id)
        found.extend(effects_in_directory(self.directory, wanted, skip=self.path))
        return strongest_effect(found)

    @contextlib.contextmanager
    def effect(self, key: Sequence[str], **data: object) -> Iterator[dict[str, object]]:
        """Record an exactly-once side effect around the code that performs it.

        Writes a ``start`` record before the block and an ``end`` after it:
        ``done`` with what the block put in the yielded dict; ``failed`` if it
        raised an :class:`~lpsigning_mojo.errors.LpsigningMojoError` (other
        than an unknown outcome); ``unknown`` if the outcome cannot be known
        (connection lost, Ctrl-C, a bug). Check :meth:`effect_status` first::

            key = ("announce", instance, target)
            if journal.effect_status(key) is None:
                with journal.effect(key, channel=channel) as result:
                    result["post_id"] = chat.post(text)
        """
        wanted = [str(part) for part in key]
        check_json(data, what="effect data")
        self._write({"type": "effect", "phase": "start", "key": wanted, "data": data})
        result: dict[str, object] = {}
        try:
            yield result
        except (OutcomeUnknown, CommandAbandonedError) as error:
            self._effect_end(wanted, "unknown", str(error))
            raise
        except LpsigningMojoError as error:
            self._effect_end(wanted, "failed", str(error))
            raise
        except BaseException as error:
            self._effect_end(wanted, "unknown", f"{type(error).__name__}: {error}")
            raise
        check_json(result, what="effect results")
        self._effect_end(wanted, "done", None, result)

    def _effect_end(
        self,
        key: list[str],
        status: EffectStatus,
        error: str | None,
        data: Mapping[str, object] | None = None,
    ) -> None:
        record: Record = {"type": "effect", "phase": "end", "key": key, "status": status}
        if data:
            record["data"] = dict(data)
        if error:
            record["error"] = error
        self._write(record)

    # -- writing ---------------------------------------------------------------

    def note(self, kind: str, **data: object) -> None:
        """Record a note (plain JSON data) against the current step, if any."""
        check_json(data, what="note data")
        self._write({"type": "note", "kind": kind, "data": data})

    def step_started(self, step: str) -> None:
        self._write({"type": "step-start", "step": step})

    def step_ended(
        self,
        step: str,
        outcome: Outcome,
        *,
        phase: Literal["check", "run", "resolve"],
        duration: float,
        outputs: Mapping[str, object] | None = None,
        error: str | None = None,
        reason: str | None = None,
    ) -> None:
        record: Record = {
            "type": "step-end",
            "step": step,
            "outcome": outcome,
            "phase": phase,
            "duration": round(duration, 3),
            "outputs": dict(outputs or {}),
        }
        if error is not None:
            record["error"] = error
        if reason is not None:
            record["reason"] = reason
        self._write(record)

    def resumed(self, session: Session) -> None:
        self._write({"type": "resume", "session": session.to_json()})

    def stopped(self, status: RunStatus, *, step: str | None, error: str | None) -> None:
        self._write({"type": "stop", "status": status, "step": step, "error": error})

    def finished(self) -> None:
        self._write({"type": "finish"})

    def _write(self, record: Record) -> None:
        if self._descriptor is None:
            raise RuntimeError("this journal is read-only (a dry run, or a run being shown)")
        if self.current_step is not None and record["type"] in ("note", "effect"):
            record.setdefault("step", self.current_step)
        at = record.pop("at", None)
        record = {
            "type": record.pop("type"),
            "at": self.clock.time() if at is None else at,
            **record,
        }
        line = _encode(record)
        parsed = cast(Record, json.loads(line))
        size: int | None = None
        try:
            with _signals_held():
                size = os.fstat(self._descriptor).st_size
                view = memoryview(line)
                while view:
                    view = view[os.write(self._descriptor, view) :]
                os.fsync(self._descriptor)
                # Inside the held block: on disk and in memory, or in neither.
                self._records.append(parsed)
        except OSError as error:
            if size is not None:
                with contextlib.suppress(OSError):  # leave no torn line behind
                    os.ftruncate(self._descriptor, size)
            raise JournalError(
                f"cannot write to the journal ({error.strerror or error})",
                path=self.path,
                hint="Free some space or fix the permissions, then resume the run",
            ) from None


def _last_session(records: Sequence[Record]) -> str:
    for record in reversed(records):
        if record["type"] in ("run", "resume") and isinstance(record.get("session"), dict):
            session = Session.from_json(record["session"])
            return f"{session.who}, PID {session.pid}"
    return "unknown"
