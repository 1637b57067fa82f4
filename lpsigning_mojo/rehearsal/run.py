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
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import PromptError, UsageError
from lpsigning_mojo.rehearsal.report import (
    Expectation,
    RehearsalReport,
    RunRecord,
    SpecCommit,
)
from lpsigning_mojo.rehearsal.scenarios import NO_SCENARIO, SCENARIOS
from lpsigning_mojo.rehearsal.world import (
    CHARM_BUG,
    MULTI_STEP_BUG,
    PAYLOAD_BUGS,
    LoopbackWorld,
    SSHServer,
)

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


def _stage_pins(world: LoopbackWorld, revision: str) -> dict[str, dict[str, object]]:
    """What the spec at ``revision`` of the remote pins for lp-signing, per stage."""
    from lpsigning_mojo.bundle import Template, render_bundle
    from lpsigning_mojo.mojospec import Spec
    from lpsigning_mojo.rehearsal.world import git

    name = world.spec.relative_to(world.clone).as_posix()
    text = git(world.remote, "show", f"{revision}:{name}/bundle.yaml")
    template = Template.from_text(text)
    pins: dict[str, dict[str, object]] = {}
    for stage in Spec.load(world.spec).checked_stages:
        application = render_bundle(template, stage)[1].application("lp-signing")
        pins[stage] = {
            "revision": application.revision,
            "channel": application.channel,
            "build_label": application.build_label,
        }
    return pins


def _model_pins(world: LoopbackWorld) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for name in world.sites:
        state = world.model(name)
        application = state["applications"].get("lp-signing", {})
        found[name] = {
            "revision": application.get("revision"),
            "channel": application.get("channel"),
            "build_label": application.get("options", {}).get("build_label"),
            "status": application.get("workload"),
            "deployments": state.get("deployments"),
        }
    return found


def _spec_commits(world: LoopbackWorld, since: str) -> tuple[SpecCommit, ...]:
    from lpsigning_mojo.commits import RUN_TRAILER, bug_references, parse_message
    from lpsigning_mojo.rehearsal.world import git

    commits = []
    for commit, message in world.remote_log(since):
        parsed = parse_message(message)
        run = dict(parsed.trailers).get(RUN_TRAILER)
        author = git(world.remote, "log", "-1", "--format=%an", commit).strip()
        commits.append(
            SpecCommit(
                id=commit,
                summary=parsed.summary,
                author=author,
                bugs=tuple(bug_references(message)),
                run=run,
            )
        )
    return tuple(commits)


def _staging_release(rehearsal: _Rehearsal) -> Callable[[ReleaseWorld, str | None], RunReport]:
    from lpsigning_mojo.release.staging import StagingOptions, release_staging

    options = StagingOptions(latest=True, bugs=(CHARM_BUG,))

    def run(world: ReleaseWorld, resume: str | None) -> RunReport:
        return release_staging(world, options, resume=resume)

    return run


def _production_release(rehearsal: _Rehearsal) -> Callable[[ReleaseWorld, str | None], RunReport]:
    from lpsigning_mojo.release.production import ProductionOptions, release_production

    options = ProductionOptions(build_label="staging", source=str(rehearsal.world.source))

    def run(world: ReleaseWorld, resume: str | None) -> RunReport:
        return release_production(world, options, resume=resume)

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
    staging = rehearsal.release("release-staging", "staging", _staging_release(rehearsal))
    if fail == "push-race" and staging.status != "done" and staging.run_id is not None:
        banner(f"Staging, resumed: $ {_command('release-staging', staging.run_id)}")
        staging = rehearsal.release(
            "release-staging", "staging", _staging_release(rehearsal), resume=staging.run_id
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
    production = rehearsal.release(
        "release-production", "production", _production_release(rehearsal)
    )
    if fail == "drop-during-upgrade-production" and production.status == "unknown":
        banner(f"Production, resumed: $ {_command('release-production', production.run_id)}")
        say(
            "(upgrade-production was cut off before Mojo deployed anything, so the rehearsal's "
            "person answers 'run it again')"
        )
        rehearsal.release(
            "release-production",
            "production",
            _production_release(rehearsal),
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
            before = (_stage_pins(world, base), _model_pins(world), _bug_statuses(world))
            _run_scenario(rehearsal)
            after = (_stage_pins(world, "main"), _model_pins(world), _bug_statuses(world))
            report = _report(rehearsal, base, before, after)
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


def _bug_statuses(world: LoopbackWorld) -> dict[int, dict[str, object]]:
    from lpsigning_mojo.rehearsal.world import BUGS

    return {number: world.launchpad.bug(number)["tasks"] for number in BUGS}  # type: ignore[misc]


def _report(
    rehearsal: _Rehearsal,
    base: str,
    before: tuple[Any, Any, Any],
    after: tuple[Any, Any, Any],
) -> RehearsalReport:
    world, options = rehearsal.world, rehearsal.options
    commits = _spec_commits(world, base)
    moved = _bugs_moved(rehearsal.records, world, rehearsal.clock)
    moved["statuses"] = {
        str(number): {"before": before[2][number], "after": after[2][number]}
        for number in before[2]
    }
    report = RehearsalReport(
        directory=str(world.directory),
        kept=options.keep is not None,
        scenario=options.fail,
        scenario_text=SCENARIOS.get(options.fail or "", NO_SCENARIO),
        stand_ins={name: stand_in.address for name, stand_in in world.stand_ins.items()},
        runs=tuple(rehearsal.records),
        spec_commits=commits,
        bundles={
            stage: {"before": before[0][stage], "after": after[0][stage]} for stage in before[0]
        },
        models={name: {"before": before[1][name], "after": after[1][name]} for name in before[1]},
        announcements=tuple(post.text or "" for post in world.chat.delivered),
        bugs=moved,
        deployable=tuple(
            {
                "number": record["number"],
                "what": record["what"],
                "build_label": dict(record["variables"]).get("LPSIGNING_MOJO_BUILD_LABEL"),  # type: ignore[call-overload]
            }
            for record in world.deployable.records()
        ),
        durations=dict(rehearsal.durations),
        expectations=(),
    )
    return attrs.evolve(report, expectations=tuple(_expectations(rehearsal, report, before)))


def _bugs_moved(
    records: Sequence[RunRecord], world: LoopbackWorld, clock: Clock
) -> dict[str, object]:
    """What the production release's ``bugs`` step recorded (its last run)."""
    from lpsigning_mojo.runbook import RunStore

    found: dict[str, object] = {"moved": [], "already": [], "skipped": []}
    production = [r for r in records if r.plan == "release-production" and r.run_id]
    if not production:
        return found
    store = RunStore(world.runs_directory, clock=clock)
    journal = store.load(str(production[-1].run_id))
    outputs = journal.outputs("bugs")
    for key in ("moved", "already", "skipped"):
        value = outputs.get(key)
        if isinstance(value, list):
            found[key] = value
    return found


def _expectations(
    rehearsal: _Rehearsal, report: RehearsalReport, before: tuple[Any, Any, Any]
) -> list[Expectation]:
    world, fail = rehearsal.world, rehearsal.options.fail
    records = rehearsal.records
    staging = [r for r in records if r.plan == "release-staging"]
    production = [r for r in records if r.plan == "release-production"]
    models = report.models
    target = _latest_revision(world, before[0]["staging"])
    found: list[Expectation] = []

    def expect(what: str, held: bool, seen: object = "") -> None:
        found.append(Expectation(what=what, held=bool(held), found=str(seen)))

    expect(
        "the staging release finished",
        bool(staging) and staging[-1].status == "done",
        staging[-1].line() if staging else "it did not run",
    )
    expect(
        f"staging runs lp-signing revision {target} with master's build",
        models["staging"]["after"]["revision"] == target
        and models["staging"]["after"]["build_label"] == world.master,
        models["staging"]["after"],
    )
    if fail == "push-race":
        first = staging[0] if staging else None
        expect(
            "the first push was rejected because the remote moved",
            first is not None and first.stopped_at == "push",
            first.line() if first else "",
        )
        authors = [commit.author for commit in report.spec_commits]
        expect(
            "the colleague's commit and the release's are both on the remote, in that order",
            len(authors) >= 2 and authors[0] != authors[1],
            authors,
        )
    if fail == "staging-unhealthy":
        last = production[-1] if production else None
        expect(
            "the production release stopped at its gates",
            last is not None and last.stopped_at == "gates" and last.status != "done",
            last.line() if last else "it did not run",
        )
        reasons = {str(gate["gate"]): str(gate["reason"]) for gate in last.blocked} if last else {}
        expect(
            "the staging-health gate blocked it, saying why (HTTP 500)",
            "500" in reasons.get("staging-health", ""),
            reasons,
        )
        expect(
            "production still runs what it ran",
            models["production"]["after"] == models["production"]["before"],
            models["production"]["after"],
        )
        expect("nothing was announced", not report.announcements, len(report.announcements))
        expect("no bug was moved", not report.bugs.get("moved"), report.bugs.get("moved"))
        return found
    expect(
        "the production release finished",
        bool(production) and production[-1].status == "done",
        production[-1].line() if production else "it did not run",
    )
    if fail == "drop-during-upgrade-production":
        first = production[0] if production else None
        expect(
            "the dropped connection left upgrade-production's outcome unknown (exit status 4)",
            first is not None and first.status == "unknown" and first.stopped_at == "upgrade",
            first.line() if first else "",
        )
        expect(
            "the resume ran upgrade-production once more",
            sum("upgrade-production" in command for command in world.bastion.commands) == 2,
            [c for c in world.bastion.commands if "upgrade-production" in c],
        )
    expect(
        f"production runs lp-signing revision {target} with staging's build_label",
        models["production"]["after"]["revision"] == target
        and models["production"]["after"]["build_label"] == world.master,
        models["production"]["after"],
    )
    expect(
        "exactly one announcement was posted",
        len(report.announcements) == 1,
        len(report.announcements),
    )
    moved = sorted(int(bug) for bug in report.bugs.get("moved") or [])  # type: ignore[attr-defined]
    wanted = sorted({CHARM_BUG, *PAYLOAD_BUGS} - {MULTI_STEP_BUG})
    expect(f"bugs {', '.join(map(str, wanted))} moved to Fix Released", moved == wanted, moved)
    skipped = [entry.get("bug") for entry in report.bugs.get("skipped") or []]  # type: ignore[attr-defined]
    expect(
        f"the multi-step bug {MULTI_STEP_BUG} was skipped, with the reason",
        skipped == [MULTI_STEP_BUG],
        report.bugs.get("skipped"),
    )
    whats = [record["what"] for record in report.deployable]
    expect(
        "Deployable got one request, then one 'deployed'", whats == ["request", "deployed"], whats
    )
    return found


def _latest_revision(world: LoopbackWorld, pins: Mapping[str, object]) -> int:
    """The latest revision Charmhub's stand-in offers in the channel staging pins, for jammy."""
    from lpsigning_mojo.charms import latest_revision, parse_base, parse_channel
    from lpsigning_mojo.external.charmhub import CharmhubClient

    channel = parse_channel(str(pins["channel"]))
    releases = CharmhubClient(world.charmhub.url, retries=0).channel_map("lp-signing")
    return latest_revision(
        releases, track=channel.track, risk=channel.risk, base=parse_base("jammy")
    )
