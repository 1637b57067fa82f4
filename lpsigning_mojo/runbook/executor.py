"""Running a plan: the journal, the lock, resume, Ctrl-C, and what the person sees.

:func:`execute` is the whole engine in one call. For each step, in order:

1. the journal says it completed (done or skipped) in this run: skip it, and say so;
2. ``done()`` says the outside world already shows it done: record it skipped;
3. its previous attempt entered ``run()`` and ended unknown or interrupted:
   ``resolve_unknown()`` decides (run again, count as done, or stop);
4. record ``step-start``, call ``run()``, record ``step-end`` with its outputs.

Each record is synced before the next thing happens. A failure
(:class:`~lpsigning_mojo.errors.LpsigningMojoError`) records its sentence and
stops the run; Ctrl-C records the step as interrupted; a lost connection
(:class:`~lpsigning_mojo.errors.OutcomeUnknown`) records it as unknown. In
each case the lock is kept for ``--resume`` and the output says how to
resume. A dry run writes no journal and takes no lock: it prints each step's
``describe()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Generic, Literal, TypeVar

import attrs

from lpsigning_mojo.errors import (
    CommandInterruptedError,
    ExitStatus,
    JournalError,
    LpsigningMojoError,
    OutcomeUnknown,
    ResumeMismatchError,
    RunbookError,
)
from lpsigning_mojo.runbook.gate import check_overrides, gate_names
from lpsigning_mojo.runbook.journal import Journal
from lpsigning_mojo.runbook.lock import Lock, LockOwner, take_lock
from lpsigning_mojo.runbook.progress import elapsed
from lpsigning_mojo.runbook.records import Outcome, RunStatus, Session, check_json
from lpsigning_mojo.runbook.runs import RunStore, RunSummary, summarise
from lpsigning_mojo.runbook.step import Plan, Step
from lpsigning_mojo.runbook.world import World

__all__ = ["EXIT_INTERRUPTED", "RunReport", "execute"]

W = TypeVar("W", bound=World)

#: The exit status of a run stopped by Ctrl-C (the table of them all: ExitStatus).
EXIT_INTERRUPTED = ExitStatus.INTERRUPTED


@attrs.frozen(kw_only=True)
class RunReport:
    """How a call to :func:`execute` ended.

    ``status`` is the run's (``done``, ``failed``, ``interrupted``,
    ``unknown``) or ``dry-run``; ``exit_code`` is what the command should
    exit with (0; the error's code, 1 for most; 4 for an unknown outcome; 130
    for Ctrl-C). ``summary`` is the journal's summary (``None`` for a dry
    run); ``described`` what a dry run printed, step by step.
    """

    status: RunStatus | Literal["dry-run"]
    exit_code: int
    run_id: str | None
    summary: RunSummary | None = None
    described: tuple[tuple[str, tuple[str, ...]], ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        """What ``release --format json`` prints: the journal's summary (see
        :meth:`RunSummary.to_json <lpsigning_mojo.runbook.runs.RunSummary.to_json>`) with
        ``dry_run`` false and ``exit_code``; or, for a dry run, ``run_id``, ``status``
        (``dry-run``), ``dry_run`` (true), ``exit_code`` and ``steps``, each with ``step``
        (its name) and ``describe`` (the lines printed for it)."""
        if self.summary is not None:
            return {**self.summary.to_json(), "dry_run": False, "exit_code": self.exit_code}
        return {
            "run_id": self.run_id,
            "status": self.status,
            "dry_run": True,
            "exit_code": self.exit_code,
            "steps": [{"step": name, "describe": list(lines)} for name, lines in self.described],
        }


def _check_resumable(journal: Journal, plan: Plan[W]) -> None:
    header = journal.header
    if journal.status == "done":
        raise RunbookError(
            f"run {header.run_id} has finished; there is nothing to resume",
            hint="Start a new run (without --resume)",
        )
    if header.steps != plan.step_names:
        raise ResumeMismatchError(
            f"run {header.run_id} was started with the steps {', '.join(header.steps)}; "
            f"this version of plan {plan.name} has {', '.join(plan.step_names)}",
            hint=f"Finish it with lpsigning-mojo {header.version or 'as it was'}, "
            "or start a new run",
        )
    if dict(header.options) != dict(plan.options):
        raise ResumeMismatchError(
            f"run {header.run_id} was started with other options ({dict(header.options)})",
            hint="Resume it with the options its journal holds, or start a new run",
        )


def execute(
    plan: Plan[W],
    world: W,
    *,
    runs: RunStore,
    lock: Lock | None = None,
    resume: str | None = None,
    dry_run: bool = False,
    break_lock: bool = False,
    overrides: Mapping[str, str] | None = None,
    resume_command: str | None = None,
) -> RunReport:
    """Run ``plan`` in ``world``, with a journal in ``runs`` and the instance's ``lock``.

    ``resume`` continues a run (``RUN_ID`` or ``last``); the plan must have
    been built from the same options (the journal's header holds them).
    ``break_lock`` breaks a lock held by another run after showing its owner
    and asking (``--yes`` confirms). ``overrides`` maps gate names to the
    reason a person gave (``--override GATE --reason TEXT``); each is
    recorded with who and when. ``resume_command`` is how a person resumes,
    with ``{run_id}`` (e.g. ``"lpsigning-mojo release NAME --resume {run_id}"``).

    Problems before the first step (lock held, journal busy, nothing to
    resume, a bad override) raise their error and leave no trace. From the
    first step on, the result is a :class:`RunReport`; only a bug (an error
    that is not an :class:`~lpsigning_mojo.errors.LpsigningMojoError`) is
    re-raised, after it is recorded.
    """
    given = dict(overrides or {})
    check_overrides(gate_names(plan.steps), given, plan=plan.name)
    if dry_run:
        return _dry_run(plan, world, runs, resume)
    session = Session.current()
    journal: Journal | None = None
    torn = 0
    if resume is not None:
        run_id = runs.resolve(resume, plan=plan.name, instance=plan.instance)
        journal, torn = runs.open(run_id)
        try:
            _check_resumable(journal, plan)
        except BaseException:
            journal.close()
            raise
    else:
        run_id = runs.new_run_id()
    owner = LockOwner(
        run_id=run_id,
        user=session.user,
        host=session.host,
        pid=session.pid,
        started=world.clock.time(),
        plan=plan.name,
    )
    notes: list[tuple[str, dict[str, object]]] = []
    locked = False
    try:
        if lock is not None:
            broken = take_lock(lock, owner, world, break_lock=break_lock)
            locked = True
            if broken is not None:
                how = "--yes" if world.prompt.assume_yes else "asked"
                data = {"where": lock.where, "owner": broken.to_json(), "by": session.who}
                notes.append(("lock-broken", {**data, "how": how}))
        if journal is None:
            header = runs.header(
                run_id=run_id,
                plan=plan.name,
                instance=plan.instance,
                options=plan.options,
                steps=plan.step_names,
                session=session,
            )
            journal = runs.create(header)
    except BaseException:
        if journal is not None:
            journal.close()  # a resume keeps its lock
        elif lock is not None and locked:
            with contextlib.suppress(LpsigningMojoError):
                lock.release(owner)  # no journal names this run: nothing to resume
        raise
    with journal:
        return _Execution(plan, world, journal, lock, owner, resume_command).run(
            session=session if resume is not None else None,
            torn=torn,
            notes=notes,
            overrides=given,
        )


def _dry_run(plan: Plan[W], world: W, runs: RunStore, resume: str | None) -> RunReport:
    reporter = world.reporter
    if resume is not None:
        journal = runs.load(runs.resolve(resume, plan=plan.name, instance=plan.instance))
        _check_resumable(journal, plan)
        run_id: str | None = journal.run_id
        reporter.info(f"Dry run: the rest of run {run_id} ({plan.name}); nothing will change.")
    else:
        header = runs.header(
            run_id="dry-run",
            plan=plan.name,
            instance=plan.instance,
            options=plan.options,
            steps=plan.step_names,
            session=Session.current(),
        )
        journal = Journal.memory(header, clock=world.clock, directory=runs.directory)
        run_id = None
        on = f" on {plan.instance}" if plan.instance else ""
        reporter.info(f"Dry run of {plan.name}{on}: nothing will change.")
    described = []
    for index, step in enumerate(plan.steps, 1):
        label = f"[{index}/{len(plan.steps)}] {step.name}"
        state = journal.state(step.name)
        if state is not None and state.complete:
            reporter.info(f"{label}: would be skipped ({state.outcome} in run {run_id})")
            continue
        reporter.info(f"{label}" + (f": {step.title}" if step.title else ""))
        lines = tuple(step.describe(world, journal))
        for line in lines:
            reporter.info(f"    {line}")
        described.append((step.name, lines))
    reporter.info("Nothing was changed (--dry-run): no journal was written, no lock taken.")
    return RunReport(status="dry-run", exit_code=0, run_id=run_id, described=tuple(described))


class _Stop(Exception):
    """Raised inside the step loop once a stopped step has been recorded."""

    def __init__(self, status: RunStatus, exit_code: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.exit_code = exit_code
        self.error = error


class _Execution(Generic[W]):
    def __init__(
        self,
        plan: Plan[W],
        world: W,
        journal: Journal,
        lock: Lock | None,
        owner: LockOwner,
        resume_command: str | None,
    ) -> None:
        self.plan = plan
        self.world = world
        self.journal = journal
        self.lock = lock
        self.owner = owner
        self.resume_command = resume_command
        self.say = world.reporter.info

    def run(
        self,
        *,
        session: Session | None,
        torn: int,
        notes: list[tuple[str, dict[str, object]]],
        overrides: Mapping[str, str],
    ) -> RunReport:
        """Run the steps; ``session`` is the resuming process (``None`` on a first run)."""
        journal, plan = self.journal, self.plan
        on = f" on {plan.instance}" if plan.instance else ""
        who = (session or Session.current()).who
        if session is not None:
            journal.resumed(session)
            self.say(f"Resuming run {journal.run_id} ({plan.name}{on}); journal: {journal.path}")
        else:
            self.say(f"Run {journal.run_id} ({plan.name}{on}); journal: {journal.path}")
        if torn:
            journal.note("torn-record", bytes=torn)
            self.world.reporter.warn(
                f"The journal ended in a partial record ({torn} bytes, written as the process "
                "was killed); it was dropped."
            )
        for kind, data in notes:
            journal.note(kind, **data)
        for gate, reason in overrides.items():
            journal.note("override", gate=gate, reason=reason, by=who)
        total = len(plan.steps)
        for index, step in enumerate(plan.steps, 1):
            try:
                self._step(step, f"[{index}/{total}] {step.name}")
            except _Stop as stop:
                return self._stopped(step, stop)
            except KeyboardInterrupt:  # between steps, outside any step's records
                return self._stopped(step, _Stop("interrupted", EXIT_INTERRUPTED, "interrupted"))
        journal.current_step = None
        self._release()
        journal.finished()
        summary = summarise(journal)
        for line in summary.lines():
            self.say(line)
        return RunReport(status="done", exit_code=0, run_id=journal.run_id, summary=summary)

    def _step(self, step: Step[W], label: str) -> None:
        journal, world, clock = self.journal, self.world, self.world.clock
        state = journal.state(step.name)
        if state is not None and state.complete:
            self.say(f"{label}: skipped ({state.outcome} earlier in this run)")
            return
        journal.current_step = step.name
        mark = len(journal.records)
        start = clock.monotonic()
        phase: Literal["check", "run", "resolve"] = "check"

        def end(
            outcome: Outcome,
            *,
            outputs: Mapping[str, object] | None = None,
            error: str | None = None,
            reason: str | None = None,
        ) -> None:
            journal.step_ended(
                step.name,
                outcome,
                phase=phase,
                duration=clock.monotonic() - start,
                outputs=outputs,
                error=error,
                reason=reason,
            )

        try:
            if step.done(world, journal):
                outputs = dict(step.done_outputs(world, journal))
                check_json(outputs, what=f"the outputs of step {step.name}")
                end("skipped", outputs=outputs, reason="already done (its check says so)")
                self.say(f"{label}: skipped (already done)")
                return
            previous = journal.unresolved(step.name)
            if previous is not None:
                phase = "resolve"
                resolved = step.resolve_unknown(world, journal, previous)
                if resolved is not None:
                    check_json(dict(resolved), what=f"the outputs of step {step.name}")
                    end("done", outputs=dict(resolved), reason="resolved after its last attempt")
                    self.say(f"{label}: done (counted as done after its last attempt)")
                    return
            phase = "run"
            self.say(f"{label}: started" + (f" ({step.title})" if step.title else ""))
            journal.step_started(step.name)
            outputs = dict(step.run(world, journal) or {})
            try:
                check_json(outputs, what=f"the outputs of step {step.name}")
            except TypeError as error:
                end("done", error=str(error))
                raise
            end("done", outputs=outputs)
            self.say(f"{label}: done in {elapsed(clock.monotonic() - start)}")
        except BaseException as error:
            if self._ended_since(step.name, mark):
                if isinstance(error, KeyboardInterrupt):
                    raise _Stop("interrupted", EXIT_INTERRUPTED, "interrupted (Ctrl-C)") from None
                raise
            status, code, text = self._classify(error)
            took = elapsed(clock.monotonic() - start)
            with contextlib.suppress(JournalError):
                end(status, error=text)
            world.reporter.warn(f"{label}: {status} after {took}: {text}")
            if code is None:
                with contextlib.suppress(JournalError):
                    journal.stopped("failed", step=step.name, error=text)
                if self.lock is not None:
                    world.reporter.warn(f"The lock at {self.lock.where} is kept for the resume.")
                raise
            raise _Stop(status, code, text) from None

    def _ended_since(self, step: str, mark: int) -> bool:
        return any(
            record["type"] == "step-end" and record.get("step") == step
            for record in self.journal.records[mark:]
        )

    @staticmethod
    def _classify(error: BaseException) -> tuple[RunStatus, int | None, str]:
        """The outcome, exit code (``None``: a bug, re-raised) and sentence for ``error``."""
        if isinstance(error, KeyboardInterrupt):
            return "interrupted", EXIT_INTERRUPTED, "interrupted (Ctrl-C)"
        if isinstance(error, CommandInterruptedError):
            return "interrupted", EXIT_INTERRUPTED, str(error)
        if isinstance(error, OutcomeUnknown):
            return "unknown", error.exit_code, str(error)
        if isinstance(error, LpsigningMojoError):
            return "failed", error.exit_code, str(error)
        return "failed", None, f"unexpected error ({type(error).__name__}: {error})"

    def _stopped(self, step: Step[W], stop: _Stop) -> RunReport:
        journal = self.journal
        journal.current_step = None
        with contextlib.suppress(JournalError):
            journal.stopped(stop.status, step=step.name, error=stop.error)
        summary = summarise(journal)
        for line in summary.lines():
            self.say(line)
        if self.lock is not None:
            self.say(f"The lock at {self.lock.where} is kept for the resume.")
        command = (
            self.resume_command.format(run_id=journal.run_id)
            if self.resume_command
            else f"--resume {journal.run_id}"
        )
        self.say(
            f"Run {journal.run_id} stopped at step {step.name} ({stop.status}). "
            f"Resume it with: {command}"
        )
        return RunReport(
            status=stop.status,
            exit_code=stop.exit_code,
            run_id=journal.run_id,
            summary=summary,
            error=stop.error,
        )

    def _release(self) -> None:
        if self.lock is None:
            return
        try:
            self.lock.release(self.owner)
        except LpsigningMojoError as error:
            self.journal.note("lock-not-released", where=self.lock.where, error=str(error))
            self.world.reporter.warn(
                f"The lock at {self.lock.where} could not be released ({error}) The next run "
                "will need --break-lock."
            )
            return
        self.journal.note("lock-released", where=self.lock.where)
