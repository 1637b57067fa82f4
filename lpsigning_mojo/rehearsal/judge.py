"""What the world shows after the releases, read back from it, and what the scenario expects.

A :class:`Snapshot` is taken before the releases and after them: what the
remote's spec pins for each stage, what each model runs, each bug's tasks
on Launchpad. :func:`judge` makes the
:class:`~lpsigning_mojo.rehearsal.report.RehearsalReport` from the runs and
the two snapshots, with the commits the remote gained, the webhook's posts
and what Deployable was given, and checks each expectation of the scenario
against them: the report says what the world shows, not what the releases
said they did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from lpsigning_mojo.rehearsal.report import Expectation, RehearsalReport, RunRecord, SpecCommit
from lpsigning_mojo.rehearsal.scenarios import NO_SCENARIO, SCENARIOS
from lpsigning_mojo.rehearsal.world import (
    BUGS,
    CHARM_BUG,
    MULTI_STEP_BUG,
    PAYLOAD_BUGS,
    LoopbackWorld,
    git,
)

if TYPE_CHECKING:
    from lpsigning_mojo.clock import Clock

__all__ = ["Snapshot", "judge"]

#: What the spec pins (or a model runs) for lp-signing, by stage (or instance).
Pins = Mapping[str, Mapping[str, object]]


@attrs.frozen(kw_only=True)
class Snapshot:
    """What the world shows at one moment: pins per stage, each model, each bug's tasks."""

    bundles: Pins
    models: Pins
    bugs: Mapping[int, Mapping[str, object]]

    @classmethod
    def take(cls, world: LoopbackWorld, revision: str) -> Snapshot:
        """The world now, with the spec as the remote holds it at ``revision``."""
        return cls(
            bundles=_stage_pins(world, revision),
            models=_model_pins(world),
            bugs=_bug_statuses(world),
        )


def _stage_pins(world: LoopbackWorld, revision: str) -> dict[str, dict[str, object]]:
    """What the spec at ``revision`` of the remote pins for lp-signing, per stage."""
    from lpsigning_mojo.bundle import Template, render_bundle
    from lpsigning_mojo.mojospec import Spec

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


def _bug_statuses(world: LoopbackWorld) -> dict[int, dict[str, object]]:
    return {number: world.launchpad.bug(number)["tasks"] for number in BUGS}  # type: ignore[misc]


def judge(
    world: LoopbackWorld,
    *,
    scenario: str | None,
    kept: bool,
    records: Sequence[RunRecord],
    durations: Mapping[str, float],
    base: str,
    before: Snapshot,
    after: Snapshot,
    clock: Clock,
) -> RehearsalReport:
    """The report of the rehearsal: the runs, and what changed from ``before`` to ``after``.

    ``base`` is the remote's commit before the releases; the expectations
    of ``scenario`` are judged against what the world shows.
    """
    commits = _spec_commits(world, base)
    moved = _bugs_moved(records, world, clock)
    moved["statuses"] = {
        str(number): {"before": tasks, "after": after.bugs[number]}
        for number, tasks in before.bugs.items()
    }
    report = RehearsalReport(
        directory=str(world.directory),
        kept=kept,
        scenario=scenario,
        scenario_text=SCENARIOS.get(scenario or "", NO_SCENARIO),
        stand_ins={name: stand_in.address for name, stand_in in world.stand_ins.items()},
        runs=tuple(records),
        spec_commits=commits,
        bundles={
            stage: {"before": pins, "after": after.bundles[stage]}
            for stage, pins in before.bundles.items()
        },
        models={
            name: {"before": pins, "after": after.models[name]}
            for name, pins in before.models.items()
        },
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
        durations=dict(durations),
        expectations=(),
    )
    found = _expectations(world, scenario, records, report, before)
    return attrs.evolve(report, expectations=tuple(found))


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
    world: LoopbackWorld,
    fail: str | None,
    records: Sequence[RunRecord],
    report: RehearsalReport,
    before: Snapshot,
) -> list[Expectation]:
    staging = [r for r in records if r.plan == "release-staging"]
    production = [r for r in records if r.plan == "release-production"]
    models = report.models
    target = _latest_revision(world, before.bundles["staging"])
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
