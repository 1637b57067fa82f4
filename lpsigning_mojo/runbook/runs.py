"""The runs on this machine: journals under ``$XDG_STATE_HOME/lpsigning-mojo/runs/``.

:class:`RunStore` makes run ids, creates, opens (for a resume) and loads
journals, lists runs, resolves ``--resume RUN_ID|last``, and answers the
exactly-once question across every journal. :class:`RunSummary` is what
``--format json`` prints and what a ``runs`` command would list.

A run id is ``YYYYMMDDTHHMMSSZ-xxxxxx``: the UTC start time, then six random
hex digits; ids sort by start time and two runs started in the same second
still differ (the file is created with ``O_EXCL``, and a clash picks again).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from lpsigning_mojo._version import __version__
from lpsigning_mojo.clock import Clock, iso_utc
from lpsigning_mojo.errors import JournalError, ResumeMismatchError, RunNotFoundError
from lpsigning_mojo.runbook.journal import SUFFIX, Journal, fsync_directory
from lpsigning_mojo.runbook.progress import elapsed, state_directory
from lpsigning_mojo.runbook.records import (
    FORMAT_VERSION,
    EffectRecord,
    Note,
    RunStatus,
    Session,
    effects_in_directory,
    read_journal_file,
    strongest_effect,
)

__all__ = ["RunListing", "RunStore", "RunSummary", "StepSummary", "runs_directory", "summarise"]

_RUN_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


def runs_directory() -> Path:
    """``$XDG_STATE_HOME/lpsigning-mojo/runs`` (``~/.local/state/lpsigning-mojo/runs``)."""
    return state_directory() / "runs"


@attrs.frozen(kw_only=True)
class StepSummary:
    """One step of a run: ``outcome`` is ``pending`` if the journal never mentions it."""

    name: str
    outcome: str
    duration: float | None
    outputs: Mapping[str, object]
    error: str | None
    reason: str | None
    attempts: int

    def to_json(self) -> dict[str, object]:
        """``step`` (its name), ``outcome``, ``duration`` (seconds, or ``null``),
        ``outputs`` (what the step recorded), ``error``, ``reason`` and ``attempts``."""
        return {
            "step": self.name,
            "outcome": self.outcome,
            "duration": self.duration,
            "outputs": dict(self.outputs),
            "error": self.error,
            "reason": self.reason,
            "attempts": self.attempts,
        }


@attrs.frozen(kw_only=True)
class RunSummary:
    """A run as its journal tells it."""

    run_id: str
    plan: str
    instance: str | None
    options: Mapping[str, object]
    status: RunStatus
    started: float
    updated: float
    path: str | None
    session: str
    steps: tuple[StepSummary, ...]
    notes: tuple[Note, ...]
    stopped_at: str | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status == "done"

    def to_json(self) -> dict[str, object]:
        """``runs show --format json``: ``run_id``, ``plan``, ``instance``, ``options``,
        ``status``, ``started`` and ``updated`` (UTC, ISO 8601), ``journal`` (its path),
        ``session``, ``stopped_at`` (the step it stopped at), ``error``, ``steps`` and
        ``notes`` (``kind``, ``at``, ``step`` and ``data``, as the journal holds them)."""
        return {
            "run_id": self.run_id,
            "plan": self.plan,
            "instance": self.instance,
            "options": dict(self.options),
            "status": self.status,
            "started": iso_utc(self.started),
            "updated": iso_utc(self.updated),
            "journal": self.path,
            "session": self.session,
            "stopped_at": self.stopped_at,
            "error": self.error,
            "steps": [step.to_json() for step in self.steps],
            "notes": [
                {"kind": n.kind, "at": iso_utc(n.at), "step": n.step, "data": dict(n.data)}
                for n in self.notes
            ],
        }

    def lines(self) -> list[str]:
        """The summary for people: one line a step, then the status."""
        width = max(len(step.name) for step in self.steps) if self.steps else 0
        lines = [
            f"Run {self.run_id} ({self.plan}" + (f" on {self.instance})" if self.instance else ")")
        ]
        for step in self.steps:
            took = "" if step.duration is None else elapsed(step.duration)
            lines.append(f"  {step.name:<{width}}  {step.outcome:<11} {took}".rstrip())
        for note in self.notes:
            if note.kind in ("override", "lock-broken"):
                lines.append(f"  note: {note.kind} {_note_text(note)}")
        lines.append(
            f"Status: {self.status}" + (f" at step {self.stopped_at}" if self.stopped_at else "")
        )
        if self.path:
            lines.append(f"Journal: {self.path}")
        return lines


@attrs.frozen(kw_only=True)
class RunListing:
    """The runs whose journals are in ``directory``, newest first (``lpsigning-mojo runs``)."""

    directory: Path
    runs: tuple[RunSummary, ...]

    def to_json(self) -> dict[str, object]:
        """``runs --format json``: ``directory``, and ``runs`` as ``runs show`` gives each."""
        return {"directory": str(self.directory), "runs": [run.to_json() for run in self.runs]}


def _note_text(note: Note) -> str:
    return ", ".join(f"{key}={value}" for key, value in note.data.items())


def summarise(journal: Journal) -> RunSummary:
    """The :class:`RunSummary` of ``journal``."""
    header = journal.header
    steps = []
    for name in header.steps:
        state = journal.state(name)
        steps.append(
            StepSummary(
                name=name,
                outcome="pending" if state is None else state.outcome,
                duration=None if state is None else state.duration,
                outputs={} if state is None else dict(state.outputs),
                error=None if state is None else state.error,
                reason=None if state is None else state.reason,
                attempts=0 if state is None else state.attempts,
            )
        )
    stops = [r for r in journal.records if r["type"] in ("stop", "finish", "resume")]
    last = stops[-1] if stops and stops[-1]["type"] == "stop" else None
    return RunSummary(
        run_id=header.run_id,
        plan=header.plan,
        instance=header.instance,
        options=header.options,
        status=journal.status,
        started=header.started,
        updated=float(journal.records[-1]["at"]),
        path=None if journal.path is None else str(journal.path),
        session=journal.session,
        steps=tuple(steps),
        notes=tuple(journal.notes()),
        stopped_at=None if last is None else last.get("step"),
        error=None if last is None else last.get("error"),
    )


class RunStore:
    """The journals in ``directory`` (default: :func:`runs_directory`); ``clock`` stamps them."""

    def __init__(self, directory: Path | None = None, *, clock: Clock) -> None:
        self.directory = Path(directory) if directory is not None else runs_directory()
        self.clock = clock

    def path(self, run_id: str) -> Path:
        """The journal of ``run_id`` (refusing ids that are not file names)."""
        if not _RUN_ID.match(run_id):
            raise RunNotFoundError(
                f"{run_id!r} is not a run id", hint="Run ids look like 20260101T120000Z-3f9a2c"
            )
        return self.directory / f"{run_id}{SUFFIX}"

    def new_run_id(self) -> str:
        """A new, sortable, unique-in-practice run id (the file's ``O_EXCL`` makes sure)."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock.time()))
        return f"{stamp}-{secrets.token_hex(3)}"

    def header(
        self,
        *,
        run_id: str,
        plan: str,
        instance: str | None,
        options: Mapping[str, object],
        steps: Sequence[str],
        session: Session,
    ) -> dict[str, object]:
        """The ``run`` record a journal starts with."""
        return {
            "type": "run",
            "format": FORMAT_VERSION,
            "at": self.clock.time(),
            "run_id": run_id,
            "plan": plan,
            "instance": instance,
            "options": dict(options),
            "steps": list(steps),
            "session": session.to_json(),
            "version": __version__,
        }

    def create(self, header: dict[str, object]) -> Journal:
        """Create the journal that ``header`` (from :meth:`header`) starts, locked for writing."""
        created = not self.directory.is_dir()
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if created:
                fsync_directory(self.directory.parent)
        except OSError as error:
            raise JournalError(
                f"cannot create the runs directory ({error.strerror})", path=self.directory
            ) from None
        return Journal.create(self.path(str(header["run_id"])), header, clock=self.clock)

    def open(self, run_id: str) -> tuple[Journal, int]:
        """Open ``run_id``'s journal to continue it (see :meth:`Journal.open`)."""
        path = self.path(run_id)
        if not path.exists():
            raise self._not_found(run_id)
        return Journal.open(path, clock=self.clock)

    def load(self, run_id: str) -> Journal:
        """Read ``run_id``'s journal, read-only (no lock: a torn last line is ignored)."""
        path = self.path(run_id)
        if not path.exists():
            raise self._not_found(run_id)
        records, _ = read_journal_file(path)
        if not records:
            raise JournalError("the journal is empty", path=path)
        return Journal(records=records, clock=self.clock, path=path)

    def _not_found(self, run_id: str) -> RunNotFoundError:
        return RunNotFoundError(
            f"there is no run {run_id!r} in {self.directory}",
            hint="Resume the newest unfinished run with --resume last",
        )

    def runs(self, *, plan: str | None = None, instance: str | None = None) -> list[RunSummary]:
        """The runs (of ``plan`` on ``instance``, if given), newest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob("*" + SUFFIX):
            records, _ = read_journal_file(path)
            if not records:
                continue
            journal = Journal(records=records, clock=self.clock, path=path)
            header = journal.header
            if plan is not None and header.plan != plan:
                continue
            if instance is not None and header.instance != instance:
                continue
            found.append(summarise(journal))
        return sorted(found, key=lambda run: (run.started, run.run_id), reverse=True)

    def resolve(self, reference: str, *, plan: str, instance: str | None) -> str:
        """The run id ``--resume REFERENCE`` means: an id, or ``last``.

        ``last`` is the newest unfinished run of ``plan`` on ``instance``. An
        id must be a run of that plan and instance.
        """
        if reference == "last":
            unfinished = [
                run for run in self.runs(plan=plan, instance=instance) if not run.finished
            ]
            if not unfinished:
                where = f" on {instance}" if instance else ""
                raise RunNotFoundError(
                    f"there is no unfinished run of {plan}{where} to resume",
                    hint="Start a new run (without --resume)",
                )
            return unfinished[0].run_id
        header = self.load(reference).header
        if (header.plan, header.instance) != (plan, instance):
            raise ResumeMismatchError(
                f"run {reference} is a run of {header.plan} on {header.instance}, "
                f"not of {plan} on {instance}",
                hint="Resume it with the command that started it",
            )
        return reference

    def effect_status(self, key: Sequence[str]) -> EffectRecord | None:
        """What every journal here says about ``key`` (see :meth:`Journal.effect_status`)."""
        return strongest_effect(effects_in_directory(self.directory, tuple(key)))
