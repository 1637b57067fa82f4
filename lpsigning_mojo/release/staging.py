"""The staging release: the runbook's "Deploying to staging", as a plan of checked steps.

The runbook says: set the bundle's charm ``revision`` to the one wanted
(usually the latest, as ``juju info lp-signing`` shows), name the fixed bugs
in the commit message, push directly if the change is only that, run
``upgrade-staging`` as the staging role account, and check the service.
:func:`staging_plan` makes that a :class:`~lpsigning_mojo.runbook.Plan` of
nine steps, run by the engine (:func:`lpsigning_mojo.runbook.execute`) with a
journal and the instance's lock:

``preflight``
   fetch; the spec repository is clean and not behind its remote (:class:`~.steps.Preflight`)
``target``
   the revision: ``--revision N`` (checked against Charmhub unless
   ``--force``) or ``--latest`` for the channel and base staging pins
``bugs``
   ``--bug N`` and ``LP: #N`` in the commits of a clone of lp-signing
   (``--source PATH --since REV``), checked on Launchpad where it can be read
``edit``
   the text-preserving edit of the bundle, every stage checked; the diff
``commit``
   ``Upgrade lp-signing charm to revision N on staging``, the changes per
   stage, ``LP: #N`` lines and the run's ``Release-Run:`` trailer
``push``
   directly only if the change is release-only; else stop and say how to
   propose a merge
``upgrade``
   ``upgrade-staging`` as the role account, output streamed, never repeated
   without asking
``verify``
   ``GET /service-key`` three times in a row; the deployed revision and every
   unit active and idle
``summary``
   what changed, the bugs, the commit, the timings, the journal

The bundle of lp-signing pins one revision for every stage, so the edit
changes production's pin too: the diff, the dry run and the commit message
say which stages change. Production deploys it only through its own release.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from lpsigning_mojo.bundle import EditResult, set_revision
from lpsigning_mojo.commits import RUN_TRAILER, bug_references, build_message
from lpsigning_mojo.errors import (
    BugNotFoundError,
    LaunchpadError,
    LaunchpadUnavailableError,
    MissingExtraError,
    UsageError,
)
from lpsigning_mojo.instances import Instance
from lpsigning_mojo.release.revisions import choose_revision
from lpsigning_mojo.release.steps import (
    APPLICATION,
    PROJECT,
    Commit,
    Preflight,
    Push,
    Upgrade,
    Verify,
    bundle_at,
    instance_lock,
    render,
    stage_diffs,
    unified_diff,
    work_bundle,
    write_bundle,
)
from lpsigning_mojo.release.world import ReleaseWorld
from lpsigning_mojo.runbook import Journal, Outputs, Plan, RunReport, RunStore, Step, execute
from lpsigning_mojo.runbook.progress import elapsed

__all__ = [
    "INSTANCE",
    "PLAN",
    "RESUME_COMMAND",
    "StagingOptions",
    "StagingRelease",
    "release_staging",
    "resumed_options",
    "staging_plan",
]

#: The plan's name, in journals and ``lpsigning-mojo runs``.
PLAN = "release-staging"
#: The instance a staging release deploys to.
INSTANCE = "staging"
#: How a person resumes a stopped run.
RESUME_COMMAND = "lpsigning-mojo release staging --resume {run_id}"


def _positive(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    numbers = value if isinstance(value, tuple) else (value,)
    for number in numbers:
        if number is not None and (
            isinstance(number, bool) or not isinstance(number, int) or number < 0
        ):
            raise UsageError(f"{attribute.name}: {number!r} is not a whole number of 0 or more")


@attrs.frozen(kw_only=True)
class StagingOptions:
    """What a staging release was asked to do: the plan is built from these alone.

    Exactly one of ``revision`` and ``latest``; ``source`` (a clone of
    lp-signing) and ``since`` (a revision in it) together or not at all.
    They are kept in the run's journal, and ``--resume`` rebuilds the plan
    from them.
    """

    revision: int | None = attrs.field(default=None, validator=_positive)
    latest: bool = False
    force: bool = False
    bugs: tuple[int, ...] = attrs.field(default=(), validator=_positive)
    source: str | None = None
    since: str | None = None
    instance: str = INSTANCE

    def __attrs_post_init__(self) -> None:
        if (self.revision is None) == (not self.latest):
            raise UsageError(
                "give the revision to deploy (--revision N) or ask for the latest (--latest)"
                if self.revision is None
                else "give --revision N or --latest, not both"
            )
        if (self.source is None) != (self.since is None):
            raise UsageError(
                "--source PATH and --since REV go together: the bugs are read from the "
                "commits of PATH since REV",
                hint="Give both, or neither (set release.source in the configuration to "
                "leave out --source)",
            )
        if any(bug == 0 for bug in self.bugs):
            raise UsageError("--bug: 0 is not a Launchpad bug number")

    def to_json(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "revision": self.revision,
            "latest": self.latest,
            "force": self.force,
            "bugs": list(self.bugs),
            "source": self.source,
            "since": self.since,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> StagingOptions:
        """The options a journal holds (``RunHeader.options``)."""
        revision = data.get("revision")
        bugs = data.get("bugs") or []
        source, since = data.get("source"), data.get("since")
        return cls(
            instance=str(data.get("instance") or INSTANCE),
            revision=revision if isinstance(revision, int) else None,
            latest=bool(data.get("latest")),
            force=bool(data.get("force")),
            # Whole numbers only: anything else (a journal changed by hand) is dropped,
            # so the resume is refused as started with other options, not a traceback.
            bugs=tuple(bug for bug in bugs if isinstance(bug, int) and not isinstance(bug, bool))
            if isinstance(bugs, list)
            else (),
            source=source if isinstance(source, str) else None,
            since=since if isinstance(since, str) else None,
        )


def _how(target: Mapping[str, object]) -> str:
    """Why this revision, in words: ``the latest released to latest/edge for ...``."""
    source = target.get("source") or "its channel"
    return {
        "latest": f"the latest released to {source}",
        "released": f"released to {source}",
        "pinned": "already pinned (Charmhub was not asked)",
        "unchecked": "not checked against Charmhub (--force)",
    }.get(str(target.get("how")), str(target.get("how")))


def _others_note(instance: Instance, others: Sequence[str]) -> str:
    """What the edit means for the stages besides the instance's."""
    trigger = instance.triggers.get("upgrade")
    how = f" ({' '.join(trigger.argv)})" if trigger is not None else ""
    return (
        f"Only {instance.name} is upgraded now{how}. The other stages ({', '.join(others)}) "
        "get this revision when they are next deployed: production only through its own "
        "release."
    )


@attrs.define(kw_only=True, eq=False)
class StagingRelease:
    """What one staging release changes, worked out once and shared by its steps.

    Each answer comes from the journal when the step that finds it has run
    (so a resumed run keeps its revision), else it is worked out and kept
    for the rest of this process (a dry run asks Charmhub once).
    """

    options: StagingOptions
    _memo: dict[str, Mapping[str, object]] = attrs.field(factory=dict, init=False)

    def instance(self, world: ReleaseWorld) -> Instance:
        return world.spec.instance(self.options.instance)

    def target(self, world: ReleaseWorld, journal: Journal) -> Mapping[str, object]:
        """The ``target`` step's outputs: revision, how it was chosen, what was pinned."""
        recorded = journal.outputs(Target.name)
        if recorded:
            return recorded
        if "target" not in self._memo:
            instance = self.instance(world)
            bundle = render(world, work_bundle(world), instance.stage_name)
            options = self.options
            checked = not (options.force and options.revision is not None)
            choice = choose_revision(
                bundle,
                APPLICATION,
                stage=instance.stage_name,
                charmhub=world.charmhub if checked else None,
                revision=options.revision,
            )
            self._memo["target"] = {
                "revision": choice.revision,
                "how": choice.how,
                "source": choice.source.describe() if choice.source is not None else None,
                "pinned": bundle.application(APPLICATION).revision,
            }
        return self._memo["target"]

    def revision(self, world: ReleaseWorld, journal: Journal) -> int:
        """The revision the release pins."""
        revision = self.target(world, journal)["revision"]
        assert isinstance(revision, int)
        return revision

    def bugs(self, world: ReleaseWorld, journal: Journal) -> Mapping[str, object]:
        """The ``bugs`` step's outputs: the bugs, where each was named, what Launchpad said."""
        recorded = journal.outputs(Bugs.name)
        if recorded:
            return recorded
        if "bugs" not in self._memo:
            self._memo["bugs"] = _collect_bugs(world, self.options)
        return self._memo["bugs"]

    def bug_numbers(self, world: ReleaseWorld, journal: Journal) -> list[int]:
        found = self.bugs(world, journal).get("bugs")
        return [int(bug) for bug in found] if isinstance(found, list) else []

    def edit(self, world: ReleaseWorld, journal: Journal, text: str | None = None) -> EditResult:
        """The edit of ``text`` (default: the bundle in the work tree) that pins the target.

        Every stage is checked, and the spec's release policy (its lint
        configuration) is obeyed, as ``bundle set-revision`` does.
        """
        instance = self.instance(world)
        return set_revision(
            work_bundle(world) if text is None else text,
            APPLICATION,
            self.revision(world, journal),
            stage=instance.stage_name,
            stages=world.spec.stages,
            path=str(world.spec.bundle_path),
            policy=world.spec.policy,
        )

    def planned_text(self, world: ReleaseWorld, journal: Journal) -> str:
        return self.edit(world, journal).text

    def message(self, world: ReleaseWorld, journal: Journal) -> str:
        instance = self.instance(world)
        target = self.target(world, journal)
        revision = self.revision(world, journal)
        diffs = [
            diff
            for diff in stage_diffs(
                world, bundle_at(world, "HEAD"), self.planned_text(world, journal)
            )
            if not diff.diff.empty
        ]
        stages = [diff.stage for diff in diffs]
        others = [stage for stage in stages if stage != instance.stage_name]
        opening = f"Pin the {APPLICATION} charm at revision {revision}, {_how(target)}."
        if others:
            opening += (
                f" The bundle pins one revision for every stage, so this changes "
                f"{len(stages)} stages:"
            )
        else:
            opening += f" This changes the bundle of {instance.stage_name} only:"
        body = [textwrap.fill(opening, 72), ""]
        body += [line for diff in diffs for line in diff.lines()]
        if others:
            body += ["", textwrap.fill(_others_note(instance, others), 72)]
        run_id = journal.run_id if journal.writable else "RUN_ID"
        return build_message(
            f"Upgrade {APPLICATION} charm to revision {revision} on {instance.name}",
            body,
            bugs=self.bug_numbers(world, journal),
            trailers=[(RUN_TRAILER, run_id)],
        )


def _collect_bugs(world: ReleaseWorld, options: StagingOptions) -> dict[str, object]:
    """The bugs a release fixes, where each was named, and what Launchpad says of each."""
    origins: dict[int, str] = {bug: "--bug" for bug in options.bugs}
    if options.source is not None and options.since is not None:
        if world.open_source is None:
            raise UsageError("this release cannot read a clone of lp-signing (--source)")
        clone = world.open_source(Path(options.source))
        for commit in reversed(clone.log("HEAD", since=options.since)):
            for bug in bug_references(commit.message):
                origins.setdefault(bug, f"commit {commit.id[:12]}")
    checked: list[dict[str, object]] = []
    warnings: list[str] = []
    launchpad = world.launchpad
    if launchpad is None and origins:
        warnings.append("Launchpad cannot be read from here: the bugs were not checked")
    for bug, origin in origins.items():
        entry: dict[str, object] = {"bug": bug, "from": origin, "title": None, "status": None}
        checked.append(entry)
        if launchpad is None:
            continue
        try:
            found = launchpad.bug(bug)
        except BugNotFoundError as error:
            warnings.append(f"LP: #{bug} (from {origin}): {error}")
            continue
        except (LaunchpadUnavailableError, MissingExtraError) as error:
            warnings.append(f"the bugs were not checked: {error}")
            launchpad = None
            continue
        except LaunchpadError as error:
            warnings.append(f"LP: #{bug} could not be checked: {error}")
            continue
        entry["title"] = found.title
        task = found.task(PROJECT)
        if task is None:
            targets = ", ".join(found.targets) or "none"
            warnings.append(
                f"LP: #{bug} ({found.title}) has no {PROJECT} task (its tasks: {targets}); "
                f"check the number, or add an {PROJECT} task on Launchpad"
            )
        else:
            entry["status"] = task.status
    return {"bugs": list(origins), "checked": checked, "warnings": warnings}


def _bug_lines(found: Mapping[str, object]) -> tuple[list[str], list[str]]:
    """Lines for people: one per bug, then the warnings."""
    lines = []
    checked = found.get("checked")
    for entry in checked if isinstance(checked, list) else []:
        title = f" {entry['title']}" if entry.get("title") else ""
        status = f" [{PROJECT}: {entry['status']}]" if entry.get("status") else ""
        lines.append(f"LP: #{entry['bug']} (from {entry['from']}){title}{status}")
    if not lines:
        lines.append("no bugs named (--bug N, or LP: #N in --source commits since --since)")
    warnings = found.get("warnings")
    return lines, [str(text) for text in warnings] if isinstance(warnings, list) else []


# -- the staging release's own steps -----------------------------------------------------------


@attrs.frozen(kw_only=True)
class Target(Step[ReleaseWorld]):
    """Choose the charm revision: checked against Charmhub, or the latest there."""

    release: StagingRelease
    name = "target"
    title = "Choose the charm revision"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        target = self.release.target(world, journal)
        stage = self.release.instance(world).stage_name
        return [
            f"revision {target['revision']}: {_how(target)}",
            f"{stage} pins revision {target['pinned']} now",
        ]

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        target = self.release.target(world, journal)
        for line in self.describe(world, journal):
            world.reporter.info(f"  {line}")
        return target


@attrs.frozen(kw_only=True)
class Bugs(Step[ReleaseWorld]):
    """Collect the fixed bugs and check them on Launchpad (a warning, never a failure)."""

    release: StagingRelease
    name = "bugs"
    title = "Collect the fixed bugs"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        lines, warnings = _bug_lines(self.release.bugs(world, journal))
        return [*lines, *(f"warning: {text}" for text in warnings)]

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        found = self.release.bugs(world, journal)
        lines, warnings = _bug_lines(found)
        for line in lines:
            world.reporter.info(f"  {line}")
        for text in warnings:
            world.reporter.warn(f"  warning: {text}")
        return found


@attrs.frozen(kw_only=True)
class Edit(Step[ReleaseWorld]):
    """Pin the revision in the bundle, changing only its characters; show the diff."""

    release: StagingRelease
    name = "edit"
    title = "Pin the revision in the bundle"

    def _lines(
        self, world: ReleaseWorld, journal: Journal, result: EditResult, *, before: str
    ) -> list[str]:
        instance = self.release.instance(world)
        revision = self.release.revision(world, journal)
        if not result.changed:
            return [f"the bundle already pins revision {revision} for {instance.stage_name}"]
        lines = unified_diff(world, before, result.text)
        lines.append(f"stages whose bundle changes: {', '.join(result.stages)}")
        others = [stage for stage in result.stages if stage != instance.stage_name]
        if others:
            lines.append(_others_note(instance, others))
        if result.unchecked:
            lines.append(f"not checked, they do not render: {', '.join(result.unchecked)}")
        return lines

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        text = work_bundle(world)
        return self._lines(world, journal, self.release.edit(world, journal, text), before=text)

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        stage = self.release.instance(world).stage_name
        bundle = render(world, work_bundle(world), stage)
        return bundle.application(APPLICATION).revision == self.release.revision(world, journal)

    def done_outputs(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        diffs = stage_diffs(world, bundle_at(world, "HEAD"), work_bundle(world))
        return {"changed": False, "stages": [d.stage for d in diffs if not d.diff.empty]}

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        # Read, edited and written under the file's lock: no edit made meanwhile is lost.
        return write_bundle(
            world,
            lambda text: self.release.edit(world, journal, text),
            lambda result: self._lines(world, journal, result, before=result.before),
        )


@attrs.frozen(kw_only=True)
class Summary(Step[ReleaseWorld]):
    """Say what the release did: revision, stages, bugs, commit, timings, journal."""

    release: StagingRelease
    name = "summary"
    title = "Summarise the release"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        return ["print what changed, the bugs, the commit, the timings and the journal's path"]

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        instance = self.release.instance(world)
        target = self.release.target(world, journal)
        revision = self.release.revision(world, journal)
        bugs = self.release.bug_numbers(world, journal)
        stages = journal.outputs(Edit.name).get("stages")
        pushed = journal.outputs(Push.name)
        upgrade = journal.state(Upgrade.name)
        say = world.reporter.info
        say(
            f"  {instance.name} runs {APPLICATION} revision {revision} "
            f"(the bundle pinned {target.get('pinned')} before)."
        )
        if isinstance(stages, list) and stages:
            say(f"  Stages whose bundle changed: {', '.join(map(str, stages))}.")
        say(f"  Bugs: {', '.join(f'LP: #{bug}' for bug in bugs) or 'none named'}.")
        for text in _bug_lines(self.release.bugs(world, journal))[1]:
            say(f"    warning: {text}")
        commit = pushed.get("commit")
        if commit:
            say(f"  Spec commit: {commit} on {pushed.get('remote')}/{pushed.get('branch')}.")
        if upgrade is not None and upgrade.outcome == "done" and upgrade.duration is not None:
            say(f"  Upgrade: {elapsed(upgrade.duration)}; output in {upgrade.outputs.get('log')}.")
        elif upgrade is not None and upgrade.outcome == "skipped":
            say(f"  Upgrade: already run for this commit (run {upgrade.outputs.get('by_run')}).")
        say(f"  Journal: {journal.path}")
        return {
            "instance": instance.name,
            "revision": revision,
            "previous": target.get("pinned"),
            "bugs": bugs,
            "commit": commit,
        }


# -- the plan ----------------------------------------------------------------------------------


def staging_plan(world: ReleaseWorld, options: StagingOptions) -> Plan[ReleaseWorld]:
    """The staging release asked for by ``options``, as the engine's plan."""
    instance = world.spec.instance(options.instance)
    release = StagingRelease(options=options)
    steps: Sequence[Step[ReleaseWorld]] = (
        Preflight(instance=instance.name),
        Target(release=release),
        Bugs(release=release),
        Edit(release=release),
        Commit(change=release),
        Push(change=release),
        Upgrade(instance=instance.name, title=_upgrade_title(world, instance)),
        Verify(instance=instance.name, revision=release.revision),
        Summary(release=release),
    )
    return Plan(name=PLAN, instance=instance.name, options=options.to_json(), steps=tuple(steps))


def _upgrade_title(world: ReleaseWorld, instance: Instance) -> str:
    trigger = instance.triggers.get("upgrade")
    environment = world.spec.environment(instance)
    what = " ".join(trigger.argv) if trigger is not None else "the upgrade trigger"
    return f"Run {what} as {environment.account}"


def resumed_options(runs: RunStore, reference: str) -> tuple[str, StagingOptions]:
    """The run ``--resume REFERENCE`` names (an id or ``last``) and the options it started with."""
    run_id = runs.resolve(reference, plan=PLAN, instance=INSTANCE)
    return run_id, StagingOptions.from_json(runs.load(run_id).header.options)


def release_staging(
    world: ReleaseWorld,
    options: StagingOptions,
    *,
    resume: str | None = None,
    dry_run: bool = False,
    break_lock: bool = False,
) -> RunReport:
    """Run (or, with ``dry_run``, describe) the staging release in ``world``.

    ``resume`` is a run id to continue (see :func:`resumed_options`); its
    options must be ``options``. The instance's lock is taken on the
    management environment its upgrade trigger runs from (a dry run takes
    none); ``break_lock`` breaks a stale one after showing its owner.
    """
    plan = staging_plan(world, options)
    lock = None if dry_run else instance_lock(world, world.spec.instance(options.instance))
    return execute(
        plan,
        world,
        runs=world.runs,
        lock=lock,
        resume=resume,
        dry_run=dry_run,
        break_lock=break_lock,
        resume_command=RESUME_COMMAND,
    )
