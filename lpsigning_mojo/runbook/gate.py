"""Gates: pure checks over facts, all evaluated and reported together, overridable.

A :class:`Gate` is a name (what ``--override`` names), a title, and a pure
function from the plan's facts (any value the plan reads: what is deployed
where, what is pinned, what a health check said) to a :class:`Verdict`: passed, or blocked with the
reason and what would unblock it. Reading the facts is a separate function,
so the gate matrix is a table test over facts.

:func:`evaluate_gates` applies every gate and the overrides and returns a
:class:`GateReport`. :class:`GateStep` is the step that does it in a plan: it
reads the facts, prints every result, and stops the run
(:class:`~lpsigning_mojo.errors.GatesBlockedError`) if a gate is blocked and
not overridden. Overrides come from
:func:`lpsigning_mojo.runbook.execute` (``--override GATE --reason TEXT``),
which records who gave each, when and why; :func:`overrides` reads them back
for the commit message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic, Literal, TypeVar

import attrs

from lpsigning_mojo.errors import GatesBlockedError, UsageError
from lpsigning_mojo.runbook.journal import Journal
from lpsigning_mojo.runbook.step import Outputs, Step
from lpsigning_mojo.runbook.world import World

__all__ = [
    "Gate",
    "GateReport",
    "GateResult",
    "GateStep",
    "Override",
    "Verdict",
    "blocked",
    "check_overrides",
    "evaluate_gates",
    "gate_names",
    "overrides",
    "passed",
]

F = TypeVar("F")
W = TypeVar("W", bound=World)


@attrs.frozen(kw_only=True)
class Verdict:
    """A gate's answer: ``passed``, ``reason``, and (when blocked) what would unblock it."""

    passed: bool
    reason: str
    unblock: str | None = None


def passed(reason: str) -> Verdict:
    """The gate passes; ``reason`` says what was seen."""
    return Verdict(passed=True, reason=reason)


def blocked(reason: str, *, unblock: str) -> Verdict:
    """The gate is blocked: ``reason`` says why, ``unblock`` what would unblock it."""
    return Verdict(passed=False, reason=reason, unblock=unblock)


@attrs.frozen(kw_only=True)
class Gate(Generic[F]):
    """A named, pure check of facts ``F``. ``check`` must not raise nor reach anything."""

    name: str
    title: str
    check: Callable[[F], Verdict]


@attrs.frozen(kw_only=True)
class Override:
    """A person's decision to proceed past a gate: who, when (wall time) and why."""

    gate: str
    reason: str
    by: str
    at: float

    def describe(self) -> str:
        """``gate overridden by who on 2026-01-01 12:00 UTC: why`` (for commit messages)."""
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.at))
        return f"{self.gate} overridden by {self.by} on {when}: {self.reason}"

    def to_json(self) -> dict[str, object]:
        return {"gate": self.gate, "reason": self.reason, "by": self.by, "at": self.at}


@attrs.frozen(kw_only=True)
class GateResult:
    """One gate's verdict, and the override that let it pass, if any."""

    gate: str
    title: str
    verdict: Verdict
    override: Override | None = None

    @property
    def status(self) -> Literal["passed", "blocked", "overridden"]:
        if self.verdict.passed:
            return "passed"
        return "overridden" if self.override is not None else "blocked"

    def lines(self) -> list[str]:
        """How the result is printed: a status line, then the details."""
        lines = [f"{self.status:<11} {self.gate}: {self.verdict.reason}"]
        if self.status != "passed" and self.verdict.unblock:
            lines.append(f"{'':<11} to unblock: {self.verdict.unblock}")
        if self.status == "overridden" and self.override is not None:
            lines.append(f"{'':<11} {self.override.describe()}")
        return lines

    def to_json(self) -> dict[str, object]:
        return {
            "gate": self.gate,
            "title": self.title,
            "status": self.status,
            "reason": self.verdict.reason,
            "unblock": self.verdict.unblock,
            "override": None if self.override is None else self.override.to_json(),
        }


@attrs.frozen(kw_only=True)
class GateReport:
    """Every gate's result, in the order the gates were given."""

    results: tuple[GateResult, ...]

    @property
    def blocked(self) -> tuple[GateResult, ...]:
        """The gates that stop the run: blocked and not overridden."""
        return tuple(result for result in self.results if result.status == "blocked")

    @property
    def ok(self) -> bool:
        return not self.blocked

    def lines(self) -> list[str]:
        return [line for result in self.results for line in result.lines()]

    def to_json(self) -> list[dict[str, object]]:
        return [result.to_json() for result in self.results]


def evaluate_gates(
    gates: Sequence[Gate[F]], facts: F, given: Sequence[Override] = ()
) -> GateReport:
    """Apply every gate to ``facts``; an override applies to a blocked gate of its name."""
    by_gate = {override.gate: override for override in given}
    results = []
    for gate in gates:
        verdict = gate.check(facts)
        override = None if verdict.passed else by_gate.get(gate.name)
        results.append(
            GateResult(gate=gate.name, title=gate.title, verdict=verdict, override=override)
        )
    return GateReport(results=tuple(results))


def overrides(journal: Journal) -> list[Override]:
    """The overrides recorded in ``journal`` (the latest for each gate), oldest first."""
    latest: dict[str, Override] = {}
    for note in journal.notes("override"):
        data: Mapping[str, object] = note.data
        gate = str(data["gate"])
        latest.pop(gate, None)
        latest[gate] = Override(
            gate=gate, reason=str(data["reason"]), by=str(data["by"]), at=note.at
        )
    return list(latest.values())


@attrs.frozen(kw_only=True)
class GateStep(Step[W], Generic[W, F]):
    """The step that evaluates ``gates`` over the facts ``read_facts(world)`` reads.

    ``describe`` reads the facts too, so ``--dry-run`` shows every gate's
    result. ``run`` prints every result, records them, and raises
    :class:`~lpsigning_mojo.errors.GatesBlockedError` if one is blocked and
    not overridden; its outputs hold the results and the overrides used.
    """

    gates: tuple[Gate[F], ...]
    read_facts: Callable[[W], F]
    name: str = "gates"
    title: str = "Check the gates"

    def describe(self, world: W, journal: Journal) -> list[str]:
        return self.evaluate(world, journal).lines()

    def done(self, world: W, journal: Journal) -> bool:
        return False

    def evaluate(self, world: W, journal: Journal) -> GateReport:
        return evaluate_gates(self.gates, self.read_facts(world), overrides(journal))

    def run(self, world: W, journal: Journal) -> Outputs:
        report = self.evaluate(world, journal)
        for line in report.lines():
            world.reporter.info(f"  {line}")
        if not report.ok:
            names = tuple(result.gate for result in report.blocked)
            count = f"{len(names)} gate{'s are' if len(names) > 1 else ' is'}"
            raise GatesBlockedError(
                f"{count} blocked: {', '.join(names)}",
                blocked=names,
                hint="Do what each says to unblock it, then resume; or proceed anyway with "
                "--override GATE --reason TEXT (recorded with your name in the journal "
                "and the commit message)",
            )
        used = [result.override.to_json() for result in report.results if result.override]
        return {"gates": report.to_json(), "overrides": used}


def gate_names(steps: Iterable[object]) -> set[str]:
    """The names of the gates of every :class:`GateStep` among ``steps``."""
    return {gate.name for step in steps if isinstance(step, GateStep) for gate in step.gates}


def check_overrides(known: set[str], given: Mapping[str, str], *, plan: str) -> None:
    """Refuse (:class:`~lpsigning_mojo.errors.UsageError`) an unknown gate or an empty reason."""
    for gate, reason in given.items():
        if gate not in known:
            raise UsageError(
                f"--override {gate}: plan {plan} has no gate called {gate!r}",
                hint=f"Its gates: {', '.join(sorted(known)) or 'none'}",
            )
        if not reason.strip():
            raise UsageError(f"--override {gate} needs a reason", hint="Say why with --reason TEXT")
