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

See :doc:`/explanation/journal-lock-resume` for what is recorded when, why it
survives a crash, how resume decides, and how the lock is taken and broken.
"""

from __future__ import annotations

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
