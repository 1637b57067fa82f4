"""The runbook engine: plans of checked, resumable steps, with a journal and a lock.

It knows nothing of what it runs. A plan (:class:`Plan`) is an ordered list
of steps (:class:`Step`), each with ``describe`` (``--dry-run``), ``done``
(already done?) and ``run`` (the side effects), all given one World
(:class:`World`: every collaborator, the clock, the prompt, the reporter)
and the run's :class:`Journal`. :func:`execute` runs a plan: it takes the
instance's :class:`Lock`, records every step in a journal synced to disk
before and after it (:class:`RunStore`), resumes a stopped run, and reports.
Gates (:class:`Gate`, :class:`GateStep`) are pure checks over facts with
recorded overrides.

The names are imported on first use (PEP 562), so that a command importing
one submodule (``runbook.progress``) does not pay for the others.

See :doc:`/explanation/journal-lock-resume` for what is recorded when, why it
survives a crash, how resume decides, and how the lock is taken and broken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpsigning_mojo._lazy import lazy_names

if TYPE_CHECKING:
    from lpsigning_mojo.runbook.executor import EXIT_INTERRUPTED, RunReport, execute
    from lpsigning_mojo.runbook.gate import (
        Gate,
        GateReport,
        GateResult,
        GateStep,
        Override,
        Verdict,
        blocked,
        evaluate_gates,
        overrides,
        passed,
    )
    from lpsigning_mojo.runbook.journal import Journal
    from lpsigning_mojo.runbook.lock import DEFAULT_LOCK_DIRECTORY, Lock, LockOwner, RemoteDirLock
    from lpsigning_mojo.runbook.progress import Progress
    from lpsigning_mojo.runbook.records import (
        EffectRecord,
        Note,
        Outcome,
        RunHeader,
        RunStatus,
        Session,
        StepState,
    )
    from lpsigning_mojo.runbook.runs import RunStore, RunSummary, StepSummary, runs_directory
    from lpsigning_mojo.runbook.step import (
        Outputs,
        Plan,
        Step,
        ask_what_happened,
        confirm,
        confirm_or_stop,
    )
    from lpsigning_mojo.runbook.world import (
        BasicWorld,
        Prompt,
        Reporter,
        StreamReporter,
        TerminalPrompt,
        World,
    )

_SOURCES = {
    "EXIT_INTERRUPTED": "executor",
    "RunReport": "executor",
    "execute": "executor",
    "Gate": "gate",
    "GateReport": "gate",
    "GateResult": "gate",
    "GateStep": "gate",
    "Override": "gate",
    "Verdict": "gate",
    "blocked": "gate",
    "evaluate_gates": "gate",
    "overrides": "gate",
    "passed": "gate",
    "Journal": "journal",
    "DEFAULT_LOCK_DIRECTORY": "lock",
    "Lock": "lock",
    "LockOwner": "lock",
    "RemoteDirLock": "lock",
    "Progress": "progress",
    "EffectRecord": "records",
    "Note": "records",
    "Outcome": "records",
    "RunHeader": "records",
    "RunStatus": "records",
    "Session": "records",
    "StepState": "records",
    "RunStore": "runs",
    "RunSummary": "runs",
    "StepSummary": "runs",
    "runs_directory": "runs",
    "Outputs": "step",
    "Plan": "step",
    "Step": "step",
    "ask_what_happened": "step",
    "confirm": "step",
    "confirm_or_stop": "step",
    "BasicWorld": "world",
    "Prompt": "world",
    "Reporter": "world",
    "StreamReporter": "world",
    "TerminalPrompt": "world",
    "World": "world",
}

__all__ = [
    "DEFAULT_LOCK_DIRECTORY",
    "EXIT_INTERRUPTED",
    "BasicWorld",
    "EffectRecord",
    "Gate",
    "GateReport",
    "GateResult",
    "GateStep",
    "Journal",
    "Lock",
    "LockOwner",
    "Note",
    "Outcome",
    "Outputs",
    "Override",
    "Plan",
    "Progress",
    "Prompt",
    "RemoteDirLock",
    "Reporter",
    "RunHeader",
    "RunReport",
    "RunStatus",
    "RunStore",
    "RunSummary",
    "Session",
    "Step",
    "StepState",
    "StepSummary",
    "StreamReporter",
    "TerminalPrompt",
    "Verdict",
    "World",
    "ask_what_happened",
    "blocked",
    "confirm",
    "confirm_or_stop",
    "evaluate_gates",
    "execute",
    "overrides",
    "passed",
    "runs_directory",
]


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
