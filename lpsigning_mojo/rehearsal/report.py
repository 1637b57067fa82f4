"""What a rehearsal did: the report printed at its end (text) or as JSON.

A :class:`RehearsalReport` holds the runs of the releases (and their
resumes), the spec commits they made, the bundle values per stage and what
each model runs, before and after, the announcement posted, the bugs moved
and skipped with the reasons, what Deployable was given, the durations, and
the expectations of the scenario with whether each held.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["Expectation", "RehearsalReport", "RunRecord", "SpecCommit"]

#: Values shown for one application: revision, channel, build_label.
Pins = Mapping[str, object]


def _short(value: object) -> str:
    text = str(value)
    return text[:12] if len(text) == 40 else text


@attrs.frozen(kw_only=True)
class RunRecord:
    """One call of a release: its run (a resume has the same run id), how it ended, its steps."""

    plan: str
    instance: str
    run_id: str | None
    resumed: bool
    status: str
    exit_code: int
    stopped_at: str | None
    error: str | None
    journal: str | None
    duration: float
    steps: tuple[tuple[str, str, float | None], ...] = ()
    #: The gates that blocked the run: ``{"gate", "reason", "unblock"}`` each.
    blocked: tuple[Mapping[str, object], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "instance": self.instance,
            "run_id": self.run_id,
            "resumed": self.resumed,
            "status": self.status,
            "exit_code": self.exit_code,
            "stopped_at": self.stopped_at,
            "error": self.error,
            "journal": self.journal,
            "duration": round(self.duration, 3),
            "steps": [
                {"step": name, "outcome": outcome, "duration": duration}
                for name, outcome, duration in self.steps
            ],
            "blocked": [dict(gate) for gate in self.blocked],
        }

    def line(self) -> str:
        how = "resumed " if self.resumed else ""
        where = f" at step {self.stopped_at}" if self.stopped_at else ""
        return (
            f"{self.plan} {how}run {self.run_id}: {self.status}{where} "
            f"(exit status {self.exit_code}, {self.duration:.1f} s)"
        )


@attrs.frozen(kw_only=True)
class SpecCommit:
    """A commit the remote spec repository gained during the rehearsal."""

    id: str
    summary: str
    author: str
    bugs: tuple[int, ...] = ()
    run: str | None = None

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self, recurse=False) | {"bugs": list(self.bugs)}


@attrs.frozen(kw_only=True)
class Expectation:
    """What the scenario expects of the release code, and whether it held."""

    what: str
    held: bool
    found: str = ""

    def to_json(self) -> dict[str, object]:
        return {"what": self.what, "held": self.held, "found": self.found}


def _pins_text(pins: Pins | None) -> str:
    if not pins:
        return "nothing"
    text = f"revision {pins.get('revision')}"
    if pins.get("build_label"):
        text += f", build_label {_short(pins['build_label'])}"
    return text


def _change(before: Pins | None, after: Pins | None) -> str:
    old, new = _pins_text(before), _pins_text(after)
    return new if old == new else f"{old}  ->  {new}"


@attrs.frozen(kw_only=True)
class RehearsalReport:
    """The whole rehearsal. ``ok`` says whether every expectation held."""

    directory: str
    kept: bool
    scenario: str | None
    scenario_text: str
    stand_ins: Mapping[str, str]
    runs: tuple[RunRecord, ...]
    spec_commits: tuple[SpecCommit, ...]
    bundles: Mapping[str, Mapping[str, Pins]]
    models: Mapping[str, Mapping[str, Pins]]
    announcements: tuple[str, ...]
    bugs: Mapping[str, object]
    deployable: tuple[Mapping[str, object], ...]
    durations: Mapping[str, float]
    expectations: tuple[Expectation, ...]
    application: str = "lp-signing"

    @property
    def ok(self) -> bool:
        return all(expectation.held for expectation in self.expectations)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def journals(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(run.journal for run in self.runs if run.journal))

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "scenario": self.scenario,
            "scenario_text": self.scenario_text,
            "world": {"directory": self.directory, "kept": self.kept},
            "stand_ins": dict(self.stand_ins),
            "runs": [run.to_json() for run in self.runs],
            "spec_commits": [commit.to_json() for commit in self.spec_commits],
            "bundles": {stage: dict(values) for stage, values in self.bundles.items()},
            "models": {name: dict(values) for name, values in self.models.items()},
            "announcements": list(self.announcements),
            "bugs": dict(self.bugs),
            "deployable": [dict(record) for record in self.deployable],
            "durations": {name: round(value, 3) for name, value in self.durations.items()},
            "journals": list(self.journals),
            "expectations": [expectation.to_json() for expectation in self.expectations],
        }

    def lines(self) -> list[str]:
        """The report for people."""
        lines = ["", "Rehearsal report" + (f" ({self.scenario})" if self.scenario else "")]
        lines.append("  Runs:")
        for run in self.runs:
            lines.append(f"    {run.line()}")
            lines += [f"      blocked by {gate['gate']}: {gate['reason']}" for gate in run.blocked]
        lines.append("  Spec commits pushed (newest last):")
        lines += [
            f"    {commit.id[:12]} {commit.summary}"
            + (f"  [LP: {', '.join(f'#{bug}' for bug in commit.bugs)}]" if commit.bugs else "")
            + (f"  by {commit.author}" if not commit.run else "")
            for commit in self.spec_commits
        ] or ["    none"]
        lines.append(f"  What the spec pins for {self.application} (before -> after):")
        width = max((len(stage) for stage in self.bundles), default=0)
        lines += [
            f"    {stage:<{width}}  {_change(values.get('before'), values.get('after'))}"
            for stage, values in self.bundles.items()
        ]
        lines.append(f"  What each model runs ({self.application}, before -> after):")
        width = max((len(name) for name in self.models), default=0)
        lines += [
            f"    {name:<{width}}  {_change(values.get('before'), values.get('after'))}"
            for name, values in self.models.items()
        ]
        lines.append(f"  Announcements posted: {len(self.announcements)}")
        lines += [f"    {text.splitlines()[0]}" for text in self.announcements]
        moved = self.bugs.get("moved")
        lines.append(
            "  Bugs moved to Fix Released: "
            + (
                ", ".join(f"LP: #{bug}" for bug in moved)
                if isinstance(moved, list) and moved
                else "none"
            )
        )
        skipped = self.bugs.get("skipped")
        for entry in skipped if isinstance(skipped, list) else []:
            lines.append(f"    LP: #{entry['bug']} {entry['reason']}")
        lines.append(f"  Deployable: {len(self.deployable)} command(s) run")
        lines += [
            f"    {record.get('what')}: build_label {_short(record.get('build_label'))}"
            for record in self.deployable
        ]
        shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.durations.items())
        lines.append(f"  Durations: {shown}")
        lines.append("  Journals:")
        lines += [f"    {path}" for path in self.journals] or ["    none"]
        where = "kept" if self.kept else "removed (--keep DIR keeps it)"
        lines.append(f"  World: {self.directory}, {where}")
        lines.append(f"  Expected ({self.scenario_text}):")
        lines += [
            f"    {'ok  ' if expectation.held else 'NOT '} {expectation.what}"
            + (f" ({expectation.found})" if expectation.found and not expectation.held else "")
            for expectation in self.expectations
        ]
        verdict = (
            "every expectation held"
            if self.ok
            else f"{sum(not e.held for e in self.expectations)} expectation(s) did not hold"
        )
        lines.append(f"Rehearsal {'done' if self.ok else 'FAILED'}: {verdict}.")
        return lines
