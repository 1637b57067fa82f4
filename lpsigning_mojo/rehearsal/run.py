"""The rehearsal itself: a staging release, then a production release, in a loopback world.

:func:`rehearse` builds a :class:`~lpsigning_mojo.rehearsal.world.LoopbackWorld`,
then runs, through exactly the code ``lpsigning-mojo release`` runs:

1. :func:`~lpsigning_mojo.release.staging.release_staging` to the latest
   revision Charmhub offers in the channel staging pins, naming the bug the
   charm fixes;
2. :func:`~lpsigning_mojo.release.production.release_production` of what
   staging runs now (``--build-label staging``), with the world's clone of
   lp-signing (``--source``) for the payload's commits and bugs.

Only the World differs from a real release: the addresses and credentials,
and the person, whose confirmations the rehearsal answers yes (and, for the
one question ``--yes`` never answers, a scenario's answer). A scenario
(:data:`SCENARIOS`) breaks the world at one point to show a safety net, and
resumes the stopped run where a person would. The report
(:class:`~lpsigning_mojo.rehearsal.report.RehearsalReport`) says what
happened, and whether it is what the scenario expects.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import attrs

from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import PromptError, UsageError
from lpsigning_mojo.rehearsal.judge import Snapshot, judge
from lpsigning_mojo.rehearsal.report import RehearsalReport, RunRecord
from lpsigning_mojo.rehearsal.scenarios import SCENARIOS
from lpsigning_mojo.rehearsal.world import CHARM_BUG, LoopbackWorld, SSHServer

if TYPE_CHECKING:
    from lpsigning_mojo.release.world import ReleaseWorld, Waits
    from lpsigning_mojo.runbook import RunReport, RunSummary

__all__ = ["RehearsalOptions", "RehearsalPerson", "rehearsal_waits", "rehearse"]


def rehearsal_waits() -> Waits:
    """The releases' waits in the rehearsal: the stand-ins answer at once, so ask often."""
    from lpsigning_mojo.release.world import Waits

    return Waits(
        health_timeout=10.0,
        health_delay=0.05,
        health_successes=3,
        settle_timeout=10.0,
        settle_delay=0.1,
    )


@attrs.frozen(kw_only=True)
class RehearsalOptions:
    """What to rehearse: ``spec`` (a spec directory), ``fail`` (a scenario), where, how.

    ``keep`` is a directory to build the world in and leave (else a
    temporary one, removed at the end). ``ssh`` chooses the bastion's SSH
    server. ``waits`` are the releases' waits (default
    :func:`rehearsal_waits`).
    """

    spec: Path
    fail: str | None = None
    keep: Path | None = None
    ssh: SSHServer = "in-process"
    waits: Waits | None = None

    def __attrs_post_init__(self) -> None:
        if self.fail is not None and self.fail not in SCENARIOS:
            from lpsigning_mojo.suggest import did_you_mean

            raise UsageError(
                f"there is no scenario called {self.fail!r}{did_you_mean(self.fail, SCENARIOS)}",
                hint=f"Choose one of: {', '.join(SCENARIOS)}",
            )


class RehearsalPerson:
    """The person at the terminal, played by the rehearsal: yes to every confirmation.

    ``answers`` maps the start of a question with several answers to the
    answer given; any other such question is a
    :class:`~lpsigning_mojo.errors.PromptError`, as it is without a
    terminal. What is asked and answered is written to ``output``.
    """

    def __init__(self, output: TextIO, answers: Mapping[str, str] | None = None) -> None:
        self.output = output
        self.answers = dict(answers or {})

    @property
    def assume_yes(self) -> bool:
        return True

    def confirm(self, question: str) -> bool:
        self.output.write(f"{question} [y/N] yes (the rehearsal answers yes)\n")
        self.output.flush()
        return True

    def choose(self, question: str, choices: Sequence[str]) -> str:
        for start, answer in self.answers.items():
            if question.startswith(start) and answer in choices:
                self.output.write(
                    f"{question} ({' / '.join(choices)}) {answer} (the rehearsal's answer)\n"
                )
                self.output.flush()
                return answer
        raise PromptError(
            f"{question!r} needs an answer from a person, and the rehearsal has none",
            hint="This is a bug of the rehearsal: report it",
        )


@attrs.define(kw_only=True)
class _Rehearsal:
    """One rehearsal in progress: the world, what was seen, what was run."""

    world: LoopbackWorld
    options: RehearsalOptions
    out: TextIO
    clock: Clock
    records: list[RunRecord] = attrs.field(factory=list)
    durations: dict[str, float] = attrs.field(factory=dict)

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    @contextlib.contextmanager
    def release_world(self, answers: Mapping[str, str] | None = None) -> Iterator[ReleaseWorld]:
        from lpsigning_mojo.runbook import StreamReporter

        reporter = StreamReporter(clock=self.clock, out=self.out, err=self.out, tty=False)
        with contextlib.ExitStack() as stack:
            yield self.world.release_world(
                clock=self.clock,
                prompt=RehearsalPerson(self.out, answers),
                reporter=reporter,
                stack=stack,
            )

    def release(
        self,
        plan: str,
        instance: str,
        run: Callable[[ReleaseWorld, str | None], RunReport],
        *,
        resume: str | None = None,
        answers: Mapping[str, str] | None = None,
    ) -> RunRecord:
        """Run (or resume) one release and record how it ended."""
        start = self.clock.monotonic()
        with self.release_world(answers) as world:
            report = run(world, resume)
        took = self.clock.monotonic() - start
        if report.status == "interrupted":
            raise KeyboardInterrupt
        summary = report.summary
        record = RunRecord(
            plan=plan,
            instance=instance,
            run_id=report.run_id,
            resumed=resume is not None,
            status=report.status,
            exit_code=report.exit_code,
            stopped_at=summary.stopped_at if summary is not None else None,
            error=summary.error if summary is not None else report.error,
            journal=summary.path if summary is not None else None,
            duration=took,
            steps=tuple(
                (step.name, step.outcome, step.duration)
                for step in (summary.steps if summary is not None else ())
            ),
            blocked=_blocked(summary),
        )
        self.records.append(record)
        self.durations[plan.removeprefix("release-")] = (
            self.durations.get(plan.removeprefix("release-"), 0.0) + took
        )
        return record

    def banner(self, text: str) -> None:
        self.say()
        self.say(f"== {text}")


def _blocked(summary: RunSummary | None) -> tuple[dict[str, object], ...]:
    """The gates that blocked the run, from the last gate results its journal noted."""
    notes = [note for note in (summary.notes if summary else ()) if note.kind == "gates"]
    results = notes[-1].data.get("results") if notes else None
    return tuple(
        {"gate": result["gate"], "reason": result["reason"], "unblock": result["unblock"]}
        for result in (results if isinstance(results, list) else [])
        if isinstance(result, dict) and result.get("status") == "blocked"
    )


def _staging_release() -> Callable[[ReleaseWorld, str | None], RunReport]:
    """What ``lpsigning-mojo release staging --latest --bug N`` runs."""
    from lpsigning_mojo.release.staging import StagingOptions, release_staging

    options = StagingOptions(latest=True, bugs=(CHARM_BUG,))

    def run(world: ReleaseWorld, resume: str | None) -> RunReport:
        return release_staging(world, options, resume=resume)

    return run


def _production_release(world: LoopbackWorld) -> Callable[[ReleaseWorld, str | None], RunReport]:
    """What ``lpsigning-mojo release production --build-label staging --source CLONE`` runs."""
    from lpsigning_mojo.release.production import ProductionOptions, release_production

    options = ProductionOptions(build_label="staging", source=str(world.source))

    def run(release_world: ReleaseWorld, resume: str | None) -> RunReport:
        return release_production(release_world, options, resume=resume)

    return run


def _command(plan: str, resume: str | None) -> str:
    """The command a person would type for this call."""
    if plan == "release-staging":
        base = "lpsigning-mojo release staging"
        args = f"--latest --bug {CHARM_BUG} --yes"
    else:
        base = "lpsigning-mojo release production"
        args = "--build-label staging --source lp-signing --yes"
    return f"{base} --resume {resume} --yes" if resume else f"{base} {args}"


def _run_scenario(rehearsal: _Rehearsal) -> None:
    world, fail = rehearsal.world, rehearsal.options.fail
    say, banner = rehearsal.say, rehearsal.banner

    if fail == "push-race":
        from lpsigning_mojo.rehearsal.colleague import push_on_next_commit

        spec = world.spec.relative_to(world.clone).as_posix()
        push_on_next_commit(world.clone, world.remote, world.colleague, spec)
        say("(push-race: a colleague will push to the spec as soon as the release commits)")
    banner(f"Staging: $ {_command('release-staging', None)}")
    staging = rehearsal.release("release-staging", "staging", _staging_release())
    if fail == "push-race" and staging.status != "done" and staging.run_id is not None:
        banner(f"Staging, resumed: $ {_command('release-staging', staging.run_id)}")
        staging = rehearsal.release(
            "release-staging", "staging", _staging_release(), resume=staging.run_id
        )
    if staging.status != "done":
        say("The staging release did not finish: the rehearsal stops before production.")
        return
    if fail == "staging-unhealthy":
        world.services["staging"].mode = "500"
        say()
        say("(staging-unhealthy: staging's service now answers GET /service-key with HTTP 500)")
    if fail == "drop-during-upgrade-production":
        from lpsigning_mojo.testing.standins.bastion import Drop

        world.bastion.drops.append(Drop(command="upgrade-production", after=r"^mojo: phase 1"))
        say()
        say(
            "(drop-during-upgrade-production: the bastion will drop the SSH connection once "
            "upgrade-production starts its first Mojo phase)"
        )
    banner(f"Production: $ {_command('release-production', None)}")
    production = rehearsal.release("release-production", "production", _production_release(world))
    if fail == "drop-during-upgrade-production" and production.status == "unknown":
        banner(f"Production, resumed: $ {_command('release-production', production.run_id)}")
        say(
            "(upgrade-production was cut off before Mojo deployed anything, so the rehearsal's "
            "person answers 'run it again')"
        )
        rehearsal.release(
            "release-production",
            "production",
            _production_release(world),
            resume=production.run_id,
            answers={"What happened to step upgrade": "run it again"},
        )


def rehearse(
    options: RehearsalOptions, *, out: TextIO, clock: Clock = SYSTEM_CLOCK
) -> RehearsalReport:
    """Build the world, run the releases (and the scenario), stop everything; the report.

    What the releases print goes to ``out`` as it happens. The world's
    directory is removed at the end unless ``options.keep`` names it; every
    server and bastion command is stopped, also when the rehearsal is
    interrupted (Ctrl-C raises :class:`KeyboardInterrupt` once they are).
    """
    if options.keep is not None:
        keep = options.keep.expanduser()
        if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise UsageError(
                f"--keep {options.keep}: it exists and is not an empty directory",
                hint="Name a new directory: the rehearsal builds its world there and leaves it",
            )
        directory = keep.resolve()
    else:
        directory = Path(tempfile.mkdtemp(prefix="lpsigning-mojo-rehearsal-")) / "world"
    started = clock.monotonic()
    try:
        world = LoopbackWorld(
            directory,
            spec=options.spec,
            ssh=options.ssh,
            waits=options.waits or rehearsal_waits(),
        )
        out.write(f"Building the rehearsal's world in {directory}\n")
        out.flush()
        with world, world.environment():
            rehearsal = _Rehearsal(world=world, options=options, out=out, clock=clock)
            rehearsal.durations["world"] = clock.monotonic() - started
            _stand_ins(rehearsal)
            base = world.remote_head()
            before = Snapshot.take(world, base)
            _run_scenario(rehearsal)
            report = judge(
                world,
                scenario=options.fail,
                kept=options.keep is not None,
                records=rehearsal.records,
                durations=rehearsal.durations,
                base=base,
                before=before,
                after=Snapshot.take(world, "main"),
                clock=clock,
            )
    finally:
        if options.keep is None:
            shutil.rmtree(directory.parent, ignore_errors=True)
    rehearsal.durations["total"] = clock.monotonic() - started
    return attrs.evolve(report, durations=dict(rehearsal.durations))


def _stand_ins(rehearsal: _Rehearsal) -> None:
    world, say = rehearsal.world, rehearsal.say
    say("Stand-ins, each replacing a real system:")
    width = max(len(name) for name in world.stand_ins)
    for name, stand_in in world.stand_ins.items():
        say(f"  {name:<{width}}  {stand_in.address}")
        say(f"  {'':<{width}}  replaces {stand_in.replaces}")
    say(f"Your clone of the spec: {world.spec} (its remote: {world.remote})")
    say(f"lp-signing's source: {world.source} (master {world.master[:12]}, what staging runs)")
