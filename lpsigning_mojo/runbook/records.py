"""What a journal holds: its records, read back as values.

:func:`parse_journal` turns a journal's bytes into records (plain JSON
objects), ignoring a torn last line and refusing any other line that is not a
record. The frozen values (:class:`RunHeader`, :class:`StepState`,
:class:`Note`, :class:`EffectRecord`, :class:`Session`) are what the engine,
the steps and ``--format json`` read. :mod:`lpsigning_mojo.runbook.journal`
describes each record type.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs

from lpsigning_mojo.errors import FileAccessError, FileTooLargeError, JournalError
from lpsigning_mojo.files import read_bytes

__all__ = [
    "FORMAT_VERSION",
    "MAX_JOURNAL_BYTES",
    "EffectKey",
    "EffectRecord",
    "EffectStatus",
    "Note",
    "Outcome",
    "Record",
    "RunHeader",
    "RunStatus",
    "Session",
    "StepState",
    "check_json",
    "check_records",
    "effect_records",
    "effects_in_directory",
    "parse_journal",
    "read_journal_file",
    "strongest_effect",
]

#: The version of the record format, in every ``run`` record.
FORMAT_VERSION = 1

#: The most bytes of journal read. A run writes a few kilobytes (one line a
#: step, a note or an effect); a larger file was not written by a run.
MAX_JOURNAL_BYTES = 16 * 2**20

#: The latest wall time a record may hold (9999-12-31 23:59:59 UTC): any
#: later one cannot be shown as a date.
_LAST_TIME = 253402300799.0

Outcome = Literal["done", "skipped", "failed", "interrupted", "unknown"]
RunStatus = Literal["done", "failed", "interrupted", "unknown"]
EffectStatus = Literal["done", "failed", "unknown"]
EffectKey = tuple[str, ...]
Record = dict[str, Any]


@attrs.frozen(kw_only=True)
class Session:
    """Who runs a process, where: recorded when a run starts or resumes."""

    user: str
    host: str
    pid: int

    @classmethod
    def current(cls) -> Session:
        """This process."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(user=user, host=socket.gethostname(), pid=os.getpid())

    @property
    def who(self) -> str:
        """``user@host``."""
        return f"{self.user}@{self.host}"

    def to_json(self) -> dict[str, object]:
        return {"user": self.user, "host": self.host, "pid": self.pid}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        return cls(user=str(data["user"]), host=str(data["host"]), pid=int(data["pid"]))


@attrs.frozen(kw_only=True)
class RunHeader:
    """The first record of a journal: what the run is."""

    run_id: str
    plan: str
    instance: str | None
    options: Mapping[str, object]
    steps: tuple[str, ...]
    started: float
    session: Session
    version: str


@attrs.frozen(kw_only=True)
class StepState:
    """What the journal says about a step: its latest outcome and outputs.

    ``ran`` says whether the latest attempt entered ``run()`` (not just the
    "already done?" check). A step whose ``run()`` started with no end
    recorded (the process was killed) reads as ``unknown``.
    """

    name: str
    outcome: Outcome
    ran: bool
    started: float | None
    ended: float | None
    duration: float | None
    outputs: Mapping[str, object]
    error: str | None
    reason: str | None
    attempts: int

    @property
    def complete(self) -> bool:
        """Done or skipped: a resumed run does not look at it again."""
        return self.outcome in ("done", "skipped")


@attrs.frozen(kw_only=True)
class Note:
    """A note in a journal: ``kind`` (``lock-broken``, ``override``...) and its data."""

    kind: str
    at: float
    step: str | None
    data: Mapping[str, object]


@attrs.frozen(kw_only=True)
class EffectRecord:
    """What the journals say about an exactly-once effect.

    ``status``: ``done`` (it happened), ``failed`` (the action reported a
    failure), ``unknown`` (it started and no end was recorded, or the
    connection was lost: it may have happened).
    """

    key: EffectKey
    status: EffectStatus
    run_id: str
    step: str | None
    at: float
    data: Mapping[str, object]
    error: str | None = None


def parse_journal(data: bytes, *, path: str = "<journal>") -> tuple[list[Record], int]:
    """The records in ``data``, and how many bytes of torn last line were ignored.

    Raises :class:`~lpsigning_mojo.errors.JournalError` for a complete line
    that is not a JSON object with a ``type``, or a first record that is not
    a ``run`` header.
    """
    end = data.rfind(b"\n") + 1
    torn = len(data) - end
    records: list[Record] = []
    for number, raw in enumerate(data[:end].split(b"\n")[:-1], 1):
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("type"), str):
            raise JournalError(
                "this line of the journal is not a record (the file was changed by hand, "
                "or the disk lost data)",
                path=path,
                line=number,
                hint="Move the file aside to start again without it, or mend that line",
            )
        records.append(record)
    if records and records[0]["type"] != "run":
        raise JournalError("the journal does not start with a run record", path=path, line=1)
    return records, torn


def read_journal_file(path: Path) -> tuple[list[Record], int]:
    """:func:`parse_journal` of the file at ``path``, each record checked (:func:`check_records`).

    Only a regular file of at most :data:`MAX_JOURNAL_BYTES` is read: a FIFO
    or a device in the runs directory (which would never end) is an error,
    never a wait.
    """
    try:
        data = read_bytes(path, limit=MAX_JOURNAL_BYTES)
    except FileTooLargeError:
        raise JournalError(
            f"the journal is larger than {MAX_JOURNAL_BYTES // 2**20} MiB, which no run writes",
            path=path,
            hint="Move the file aside: it is not a journal this tool wrote",
        ) from None
    except FileAccessError as error:
        if not os.path.lexists(path):
            raise JournalError("the journal does not exist", path=path) from None
        reason = error.message.removeprefix(f"{path}: ")
        raise JournalError(
            f"the journal cannot be read ({reason})",
            path=path,
            hint="Move it aside, or make it a readable file again",
        ) from None
    records, torn = parse_journal(data, path=str(path))
    check_records(records, path=str(path))
    return records, torn


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_object(value: object) -> bool:
    return value is None or isinstance(value, dict)


def _is_session(value: object) -> bool:
    return (
        isinstance(value, dict)
        and _is_text(value.get("user"))
        and _is_text(value.get("host"))
        and isinstance(value.get("pid"), int)
        and not isinstance(value.get("pid"), bool)
    )


def _is_texts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _one_of(*choices: str) -> Callable[[object], bool]:
    return lambda value: value in choices


# What each record type must hold (absent optional fields read as None), so
# that every reader can trust a record once it is read. A type not listed
# here (from a newer version) is kept and ignored.
_REQUIRED: Mapping[str, Mapping[str, Callable[[object], bool]]] = {
    "run": {
        "run_id": _is_text,
        "plan": _is_text,
        "instance": _is_optional_text,
        "options": _is_object,
        "steps": _is_texts,
        "session": _is_session,
        "version": _is_optional_text,
    },
    "resume": {"session": _is_session},
    "step-start": {"step": _is_text},
    "step-end": {
        "step": _is_text,
        "outcome": _one_of("done", "skipped", "failed", "interrupted", "unknown"),
        "phase": lambda value: value is None or value in ("check", "run", "resolve"),
        "duration": lambda value: value is None or _is_number(value),
        "outputs": _is_object,
        "error": _is_optional_text,
        "reason": _is_optional_text,
    },
    "note": {"kind": _is_text, "step": _is_optional_text, "data": _is_object},
    "effect": {
        "key": _is_texts,
        "phase": _one_of("start", "end"),
        "status": lambda value: value is None or value in ("done", "failed", "unknown"),
        "step": _is_optional_text,
        "data": _is_object,
        "error": _is_optional_text,
    },
    "stop": {
        "status": _one_of("failed", "interrupted", "unknown"),
        "step": _is_optional_text,
        "error": _is_optional_text,
    },
}


def check_records(records: Sequence[Record], *, path: str = "<journal>") -> None:
    """Raise :class:`~lpsigning_mojo.errors.JournalError` for a record of the wrong shape.

    Each record needs a wall time ``at`` (a finite number of seconds that
    can be shown as a date) and the fields its type is read for, each of its
    type: a journal changed by hand or by a bug is refused, naming the file,
    line and field, rather than failing later in whoever reads it.
    """
    for number, record in enumerate(records, 1):
        at = record.get("at")
        problem = None
        if not isinstance(at, (int, float)) or not _is_number(at) or not 0 <= at <= _LAST_TIME:
            problem = "its time 'at' is not a number of seconds"
        else:
            for field, valid in _REQUIRED.get(record["type"], {}).items():
                if not valid(record.get(field)):
                    problem = f"its field {field!r} is missing or of the wrong kind"
                    break
        if problem is not None:
            raise JournalError(
                f"this {record['type']!r} record of the journal is not one this tool wrote: "
                f"{problem} (the file was changed by hand, or the disk lost data)",
                path=path,
                line=number,
                hint="Move the file aside to start again without it, or mend that line",
            )


def check_json(value: object, *, what: str) -> None:
    """Raise ``TypeError`` naming ``what`` unless ``value`` is plain JSON (a bug in a plan)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must be plain JSON values: {error}") from None


def effect_records(records: Iterable[Record], key: EffectKey, run_id: str) -> list[EffectRecord]:
    """One :class:`EffectRecord` per attempt at ``key`` in one journal's records."""
    found: list[EffectRecord] = []
    open_attempt: Record | None = None
    for record in records:
        if record["type"] != "effect" or tuple(record.get("key", ())) != key:
            continue
        if record.get("phase") == "start":
            if open_attempt is not None:
                found.append(_effect(open_attempt, "unknown", run_id))
            open_attempt = record
        else:
            found.append(_effect(record, record.get("status", "unknown"), run_id))
            open_attempt = None
    if open_attempt is not None:
        found.append(_effect(open_attempt, "unknown", run_id))
    return found


def _effect(record: Record, status: EffectStatus, run_id: str) -> EffectRecord:
    return EffectRecord(
        key=tuple(record["key"]),
        status=status,
        run_id=run_id,
        step=record.get("step"),
        at=float(record["at"]),
        data=record.get("data") or {},
        error=record.get("error"),
    )


def effects_in_directory(
    directory: Path | None, key: EffectKey, *, skip: Path | None = None
) -> list[EffectRecord]:
    """Every attempt at ``key`` in the journals (``*.jsonl``) of ``directory`` but ``skip``."""
    found: list[EffectRecord] = []
    if directory is None or not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.jsonl")):
        if path == skip:
            continue
        records, _ = read_journal_file(path)
        if records:
            found.extend(effect_records(records, key, str(records[0]["run_id"])))
    return found


def strongest_effect(found: Sequence[EffectRecord]) -> EffectRecord | None:
    """The first ``done`` attempt; else the latest ``unknown``; else the latest ``failed``.

    First and latest in time, whichever journal holds them (``found`` lists one
    journal after another); attempts of two runs at the same time, by run id, so that
    every journal gives the same answer.
    """
    ordered = sorted(found, key=lambda effect: (effect.at, effect.run_id))
    for status in ("done", "unknown", "failed"):
        matching = [effect for effect in ordered if effect.status == status]
        if matching:
            return matching[0] if status == "done" else matching[-1]
    return None
