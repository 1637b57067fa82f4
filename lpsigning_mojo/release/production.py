"""The production release: the runbook's "Deploying to production", as a plan of checked steps.

:func:`production_plan` makes the runbook's section a
:class:`~lpsigning_mojo.runbook.Plan` of twelve steps, run by the engine with
a journal and production's lock (held on the staging role account, where
``upgrade-production`` runs):

``gates``
   the promotion gates (:mod:`lpsigning_mojo.release.gates`, read by
   :mod:`lpsigning_mojo.release.promotion`), every result
   printed together; a blocked gate stops the run unless overridden
``edit``, ``commit``, ``push``
   when the payload changes (``--build-label SHA`` or ``--build-label
   staging``): set ``build_label`` for production (text-preserving), commit
   with the ``LP: #N`` lines of the lp-signing commits it brings and the
   overrides, push by staging's routing rule; skipped otherwise
``note``
   the release note (Markdown): target, spec commit, lp-signing commits,
   bugs, overrides; Deployable, the announcement and the journal reuse it
``deployable-request``
   the deployment request: the configured command once, or a confirmation
``announce``
   the announcement in ``~is-outage``, exactly once per (instance, target)
``upgrade``
   ``upgrade-production`` from the staging role account, never run twice
   without asking
``publisher-logs``
   where to look and what for; the person confirms
``bugs``
   Fix Committed -> Fix Released on each bug's lp-signing task, where that
   is right
``deployable-deployed``
   the request marked deployed: the configured command once, or a
   confirmation
``summary``
   what was done, and how to file a bug about the run

Problems are filed with :func:`file_bug_about` (``--file-bug TITLE``), which
also runs nothing of the plan.
"""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lpsigning_mojo.bundle import EditResult, set_option
from lpsigning_mojo.commits import RUN_TRAILER, build_message
from lpsigning_mojo.errors import (
    LaunchpadError,
    LaunchpadUnavailableError,
    MissingExtraError,
    PromptError,
    RunNotFoundError,
    UsageError,
)
from lpsigning_mojo.instances import Instance
from lpsigning_mojo.release.bugs import (
    SUMMARY_SUFFIX,
    MoveBugs,
    PayloadCommit,
    file_bug,
    journal_excerpt,
    payload_commits,
    rollout_bugs,
)
from lpsigning_mojo.release.gates import GATE_LOCK, PROMOTION_GATES, PromotionFacts, Target
from lpsigning_mojo.release.notify import (
    ANNOUNCE_CHANNEL,
    Announce,
    DeployableDeployed,
    DeployableRequest,
    note_path,
)
from lpsigning_mojo.release.promotion import PromotionGates, earlier_instance, read_facts
from lpsigning_mojo.release.steps import (
    APPLICATION,
    Commit,
    Push,
    Upgrade,
    bundle_at,
    instance_lock,
    render,
    stage_diffs,
    unified_diff,
    work_bundle,
    write_bundle,
)
from lpsigning_mojo.release.world import ReleaseWorld
from lpsigning_mojo.runbook import (
    Journal,
    Outputs,
    Override,
    Plan,
    RunReport,
    RunStore,
    Session,
    Step,
    confirm_or_stop,
    execute,
    overrides,
)
from lpsigning_mojo.runbook.progress import elapsed
from lpsigning_mojo.triggers import upgrade_command

__all__ = [
    "INSTANCE",
    "PLAN",
    "RESUME_COMMAND",
    "ProductionOptions",
    "ProductionRelease",
    "file_bug_about",
    "production_plan",
    "refuse_lock_override",
    "release_note",
    "release_production",
    "resumed_options",
    "run_for_bug",
]

#: The plan's name, in journals and ``lpsigning-mojo runs``.
PLAN = "release-production"
#: The instance a production release deploys to.
INSTANCE = "production"
#: How a person resumes a stopped run.
RESUME_COMMAND = "lpsigning-mojo release production --resume {run_id}"
#: How a person files a bug about a run.
FILE_BUG_COMMAND = "lpsigning-mojo release production --resume {run_id} --file-bug TITLE"

#: Where the production publisher logs are, and what in them tells of a signing problem.
PUBLISHER_LOGS_WHERE = (
    "the logs of Launchpad's production publishers (the PPA and primary archive publishers "
    "and the other jobs that ask lp-signing to sign), where you usually read them"
)
PUBLISHER_LOGS_LOOK_FOR = (
    "errors from Launchpad's signing client (lp.services.signing), such as SigningServiceError",
    "HTTP errors, refused connections or timeouts talking to the signing service",
    "uploads published without their signatures, or signing jobs that failed or were retried",
)

_HEX = re.compile(r"[0-9a-f]{7,40}\Z")
#: How an exactly-once step did its effect, in words.
_HOW = {
    "command": "by the configured command",
    "confirmed": "confirmed by you",
    "webhook": "posted through the webhook",
}


def _short(label: str | None) -> str:
    return "none" if label is None else label[:12]


@attrs.frozen(kw_only=True)
class ProductionOptions:
    """What a production release was asked to do: the plan is built from these alone.

    ``build_label`` is ``None`` (production keeps the payload it pins),
    ``"staging"`` (what staging runs now, read live) or a commit id of
    lp-signing; ``source`` a local clone of lp-signing (ancestry, the
    commits and their ``LP: #N`` lines). They are kept in the journal;
    ``--resume`` rebuilds the plan from them.
    """

    build_label: str | None = None
    source: str | None = None
    instance: str = INSTANCE

    def __attrs_post_init__(self) -> None:
        label = self.build_label
        if label is not None and label != "staging" and not _HEX.match(label):
            raise UsageError(
                f"--build-label {label!r} is neither a commit id of lp-signing (7 to 40 "
                "lower-case hex digits) nor 'staging'",
                hint="Give the commit (git rev-parse in lp-signing), or 'staging' for what "
                "staging runs now",
            )

    def to_json(self) -> dict[str, object]:
        return {"instance": self.instance, "build_label": self.build_label, "source": self.source}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ProductionOptions:
        """The options a journal holds (``RunHeader.options``)."""
        label, source = data.get("build_label"), data.get("source")
        return cls(
            instance=str(data.get("instance") or INSTANCE),
            build_label=label if isinstance(label, str) else None,
            source=source if isinstance(source, str) else None,
        )


def refuse_lock_override(given: Mapping[str, str]) -> None:
    """Refuse an override of the lock: breaking a lock is ``--break-lock``, which asks first."""
    if GATE_LOCK in given:
        raise UsageError(
            "--override lock: a held lock is never overridden, because another release may "
            "be running",
            hint="If its run is over, break the lock with --break-lock: it shows the owner, "
            "asks, and records it",
        )


def _how(target: Target, staging: str) -> str:
    return {
        "given": "given with --build-label",
        "staging": f"what {staging} runs now (read live)",
        "pinned": "unchanged",
    }.get(target.how, target.how)


def _trailer_text(text: str) -> str:
    """``text`` made safe for a trailer: an ``LP:`` reference would name a bug there."""
    return re.sub(r"(?i)\bLP:", "LP", text)


@attrs.define(kw_only=True, eq=False)
class ProductionRelease:
    """What one production release deploys, worked out once and shared by its steps.

    Each answer comes from the journal once the step that finds it has run
    (a resumed run keeps its target and its note), else it is worked out
    and kept for the rest of this process (a dry run reads staging once).
    """

    options: ProductionOptions
    gates: PromotionGates
    staging: str = "staging"
    _memo: dict[str, Any] = attrs.field(factory=dict, init=False)

    def instance(self, world: ReleaseWorld) -> Instance:
        return world.spec.instance(self.options.instance)

    def target(self, world: ReleaseWorld, journal: Journal) -> Target:
        """What production is about to run: recorded by the gates, or read now."""
        recorded = journal.outputs(self.gates.name).get("target")
        if isinstance(recorded, Mapping):
            return Target.from_json(recorded)
        return self.gates.facts(world, journal).target

    def overrides(self, journal: Journal) -> list[Override]:
        """The overrides of the run (and, in a dry run, those given on the command line)."""
        given = overrides(journal)
        if not journal.writable:
            recorded = {override.gate for override in given}
            given += [o for o in self.gates.pending if o.gate not in recorded]
        return given

    # -- the payload change ------------------------------------------------------------------

    def edit(self, world: ReleaseWorld, journal: Journal, text: str | None = None) -> EditResult:
        """The edit of ``text`` (default: the work tree's bundle) that sets the target build_label.

        Every stage is checked and the spec's release policy obeyed (a
        production ``build_label`` must be a full commit id).
        """
        target = self.target(world, journal)
        if target.build_label is None:
            raise UsageError("there is no build_label to set")
        return set_option(
            work_bundle(world) if text is None else text,
            APPLICATION,
            "build_label",
            target.build_label,
            stage=target.stage,
            stages=world.spec.stages,
            path=str(world.spec.bundle_path),
            policy=world.spec.policy,
        )

    def planned_text(self, world: ReleaseWorld, journal: Journal) -> str:
        if not self.target(world, journal).changes_payload:
            return work_bundle(world)
        return self.edit(world, journal).text

    def payload(self, world: ReleaseWorld, journal: Journal) -> tuple[PayloadCommit, ...]:
        """The lp-signing commits the payload change brings (with a clone), oldest first."""
        if "payload" not in self._memo:
            target = self.target(world, journal)
            self._memo["payload"] = payload_commits(
                world, self.options.source, target.previous_build_label, target.build_label
            )
        commits, _warning = self._memo["payload"]
        return tuple(commits)

    def message(self, world: ReleaseWorld, journal: Journal) -> str:
        target = self.target(world, journal)
        label = target.build_label or ""
        instance = self.instance(world)
        opening = (
            f"Set the {APPLICATION} payload for {instance.name} to build {label}, "
            f"{_how(target, self.staging)}; it was {target.previous_build_label or 'unset'}. "
            f"{instance.name.capitalize()} keeps charm revision {target.revision}, as "
            f"{self.staging} runs it."
        )
        diffs = stage_diffs(world, bundle_at(world, "HEAD"), self.planned_text(world, journal))
        body = [textwrap.fill(opening, 72), ""]
        body += [line for diff in diffs if not diff.diff.empty for line in diff.lines()]
        payload = self.payload(world, journal)
        if payload:
            body += [
                "",
                f"It brings {len(payload)} {APPLICATION} commit(s), "
                f"{_short(target.previous_build_label)}..{_short(label)}.",
            ]
        bugs = [bug for commit in payload for bug in commit.bugs]
        trailers = [
            ("Gate-Override", _trailer_text(override.describe()))
            for override in self.overrides(journal)
        ]
        run_id = journal.run_id if journal.writable else "RUN_ID"
        return build_message(
            f"Deploy {APPLICATION} build {label[:12]}{SUMMARY_SUFFIX}",
            body,
            bugs=dict.fromkeys(bugs),
            trailers=[*trailers, (RUN_TRAILER, run_id)],
        )

    # -- the release note --------------------------------------------------------------------

    def spec_commit(self, world: ReleaseWorld, journal: Journal) -> str | None:
        """The spec commit production deploys; ``None`` while the run's commit is to be made."""
        pushed = journal.outputs(Push.name).get("commit")
        if isinstance(pushed, str):
            return pushed
        if not journal.writable and self.planned_text(world, journal) != bundle_at(world, "HEAD"):
            return None
        return world.git.rev_parse("HEAD")

    def collected(self, world: ReleaseWorld, journal: Journal) -> Mapping[str, object]:
        """The ``note`` step's outputs: the note, the bugs, the commits, what was found."""
        recorded = journal.outputs(WriteNote.name)
        if recorded:
            return recorded
        if "collected" not in self._memo:
            self._memo["collected"] = self._collect(world, journal)
        collected: Mapping[str, object] = self._memo["collected"]
        return collected

    def _collect(self, world: ReleaseWorld, journal: Journal) -> dict[str, object]:
        target = self.target(world, journal)
        spec_commit = self.spec_commit(world, journal)
        payload = self.payload(world, journal)
        warnings = [warning for warning in [self._memo["payload"][1]] if warning]
        origins, found, last = rollout_bugs(
            world,
            plan=PLAN,
            instance=target.instance,
            spec_commit=spec_commit or "HEAD",
            run_id=journal.run_id if journal.writable else None,
            payload=payload,
        )
        warnings += found
        titles = _titles(world, origins, warnings)
        upgrade = upgrade_command(world.spec.instances, target.instance)
        note = release_note(
            target=target,
            staging=self.staging,
            spec_commit=spec_commit,
            branch=f"{upstream_of(world)}",
            run_id=journal.run_id if journal.writable else "RUN_ID",
            who=Session.current().who,
            trigger=upgrade.name,
            account=upgrade.environment.account,
            payload=payload,
            bugs=[(bug, *titles.get(bug, (None, None))) for bug in origins],
            overrides=self.overrides(journal),
        )
        return {
            "note": note,
            "spec_commit": spec_commit,
            "last_release": None if last is None else {"commit": last.commit, "how": last.how},
            "payload": [commit.to_json() for commit in payload],
            "bugs": [{"bug": bug, "from": origin} for bug, origin in origins.items()],
            "warnings": warnings,
        }

    def note(self, world: ReleaseWorld, journal: Journal) -> str:
        return str(self.collected(world, journal)["note"])

    def bug_numbers(self, world: ReleaseWorld, journal: Journal) -> list[int]:
        bugs = self.collected(world, journal).get("bugs")
        entries = bugs if isinstance(bugs, list) else []
        return [int(entry["bug"]) for entry in entries if isinstance(entry, Mapping)]


def upstream_of(world: ReleaseWorld) -> str:
    """``origin/main``: the remote branch the spec repository's branch tracks."""
    upstream = world.git.upstream()
    return f"{upstream.remote}/{upstream.branch}"


def _titles(
    world: ReleaseWorld, origins: Mapping[int, str], warnings: list[str]
) -> dict[int, tuple[str | None, str | None]]:
    """Each bug's title and web page, read anonymously where Launchpad can be read."""
    found: dict[int, tuple[str | None, str | None]] = {}
    if world.launchpad is None:
        return found
    for bug in origins:
        try:
            read = world.launchpad.bug(bug)
        except (LaunchpadUnavailableError, MissingExtraError) as error:
            warnings.append(f"the bugs' titles were not read: {str(error).rstrip('.')}")
            break
        except LaunchpadError:
            continue
        found[bug] = (read.title, read.web_link)
    return found


def release_note(
    *,
    target: Target,
    staging: str,
    spec_commit: str | None,
    branch: str,
    run_id: str,
    who: str,
    trigger: str,
    account: str,
    payload: Sequence[PayloadCommit],
    bugs: Sequence[tuple[int, str | None, str | None]],
    overrides: Sequence[Override],
) -> str:
    """The release note of a rollout, in Markdown (for Deployable, the announcement, the log)."""
    if target.changes_payload:
        build = (
            f"build_label `{_short(target.build_label)}` (was "
            f"`{_short(target.previous_build_label)}`), {_how(target, staging)}"
        )
    else:
        build = f"build_label `{_short(target.build_label)}`, unchanged"
    commit = f"`{spec_commit[:12]}`" if spec_commit else "the commit this run makes"
    lines = [
        f"#### {APPLICATION} to {target.instance}",
        "",
        f"- **Charm**: {APPLICATION} revision {target.revision} ({target.channel}), as "
        f"{staging} runs it",
        f"- **Payload**: {build}",
        f"- **Spec**: {commit} of {branch}",
        f"- **How**: `{trigger}`, run as {account}; about five minutes",
        f"- **Run**: `{run_id}` by {who}",
    ]
    if payload:
        lines += [
            "",
            f"**{APPLICATION} commits** (`{_short(target.previous_build_label)}.."
            f"{_short(target.build_label)}`):",
            *(f"- `{commit.id[:12]}` {commit.summary}" for commit in payload),
        ]
    lines += ["", "**Bugs**:" if bugs else "**Bugs**: none named"]
    for bug, title, link in bugs:
        url = link or f"https://bugs.launchpad.net/bugs/{bug}"
        lines.append(f"- [LP: #{bug}]({url})" + (f" {title}" if title else ""))
    if overrides:
        lines += ["", "**Gates overridden**:", *(f"- {o.describe()}" for o in overrides)]
    return "\n".join(lines) + "\n"


# -- the production release's own steps --------------------------------------------------------


@attrs.frozen(kw_only=True)
class SetBuildLabel(Step[ReleaseWorld]):
    """Set ``build_label`` for production in the bundle, changing only its characters."""

    release: ProductionRelease
    name = "edit"
    title = "Set build_label for production"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        target = self.release.target(world, journal)
        if target.build_label is None and target.how != "pinned":
            return ["the build_label to set is not known: see the build-label gate"]
        if not target.changes_payload:
            return [
                f"no payload change: {target.stage} keeps build_label "
                f"{target.build_label or '(none)'}"
            ]
        text = work_bundle(world)
        result = self.release.edit(world, journal, text)
        lines = unified_diff(world, text, result.text)
        lines.append(f"stages whose bundle changes: {', '.join(result.stages) or 'none'}")
        return lines

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        target = self.release.target(world, journal)
        if not target.changes_payload:
            return True
        bundle = render(world, work_bundle(world), target.stage)
        return bundle.application(APPLICATION).build_label == target.build_label

    def done_outputs(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        return {"changed": False}

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        return write_bundle(
            world,
            lambda text: self.release.edit(world, journal, text),
            lambda result: unified_diff(world, result.before, result.text),
        )


@attrs.frozen(kw_only=True)
class WriteNote(Step[ReleaseWorld]):
    """Collect the rollout's commits and bugs and write the release note beside the journal."""

    release: ProductionRelease
    name = "note"
    title = "Write the release note"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        collected = self.release.collected(world, journal)
        lines = [f"written to {note_path(world, journal)}:"]
        lines += [f"  {line}" for line in str(collected["note"]).splitlines()]
        lines += _origins(collected)
        return lines

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        collected = dict(self.release.collected(world, journal))
        path = note_path(world, journal)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(collected["note"]), encoding="utf-8")
        for line in str(collected["note"]).splitlines():
            world.reporter.info(f"  {line}")
        for line in _origins(collected):
            (world.reporter.warn if line.startswith("warning") else world.reporter.info)(
                f"  {line}"
            )
        world.reporter.info(f"  Written to {path}.")
        return {**collected, "path": str(path)}


def _origins(collected: Mapping[str, object]) -> list[str]:
    lines = []
    last = collected.get("last_release")
    if isinstance(last, Mapping):
        lines.append(f"production's last release: {str(last['commit'])[:12]}, {last['how']}")
    bugs = collected.get("bugs")
    for entry in bugs if isinstance(bugs, list) else []:
        lines.append(f"LP: #{entry['bug']} from {entry['from']}")
    warnings = collected.get("warnings")
    lines += [f"warning: {text}" for text in (warnings if isinstance(warnings, list) else [])]
    return lines


@attrs.frozen(kw_only=True)
class PublisherLogs(Step[ReleaseWorld]):
    """Say where the production publisher logs are and what to look for; the person confirms."""

    instance: str
    name = "publisher-logs"
    title = "Check the production publisher logs"
    question = "Do the production publisher logs show no problem with the signing service?"

    def lines(self, since: str) -> list[str]:
        return [
            f"look at {PUBLISHER_LOGS_WHERE}, since {since}, for:",
            *(f"  - {text}" for text in PUBLISHER_LOGS_LOOK_FOR),
        ]

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        return [*self.lines("the upgrade"), f"then ask: {self.question!r} (--yes answers yes)"]

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        state = journal.state(Upgrade.name)
        ended = state.ended if state is not None and state.ended is not None else None
        since = (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ended))
            if ended is not None
            else "the upgrade"
        )
        for line in self.lines(since):
            world.reporter.info(f"  {line}")
        confirm_or_stop(
            world,
            journal,
            self.question,
            hint="File a bug about it (lpsigning-mojo release production --file-bug TITLE), deal "
            "with the problem (with IS if production must be rolled back), then resume",
        )
        return {"since": since}


@attrs.frozen(kw_only=True)
class Summary(Step[ReleaseWorld]):
    """Say what the rollout did, and how to file a bug about it."""

    release: ProductionRelease
    name = "summary"
    title = "Summarise the rollout"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        return [
            "print the target, the spec commit, Deployable, the announcement, the upgrade, "
            "the bugs, the overrides and the journal's path"
        ]

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        say = world.reporter.info
        target = self.release.target(world, journal)
        collected = self.release.collected(world, journal)
        say(f"  {target.instance} gets {target.describe()}.")
        say(f"  Spec commit: {collected.get('spec_commit')}.")
        for step, what in (
            (DeployableRequest.name, "Deployable request"),
            (Announce.name, f"Announcement in {ANNOUNCE_CHANNEL}"),
            (DeployableDeployed.name, "Deployable marked deployed"),
        ):
            outputs = journal.outputs(step)
            how = _HOW.get(str(outputs.get("how")), "done")
            if outputs.get("resolved"):
                how = "done, as you said"
            by = f" (by run {outputs['by_run']})" if outputs.get("by_run") else ""
            say(f"  {what}: {how}{by}.")
        upgrade = journal.state(Upgrade.name)
        if upgrade is not None and upgrade.outputs.get("resolved"):
            say("  Upgrade: counted as done: you said it ran to its end.")
        elif upgrade is not None and upgrade.outcome == "done" and upgrade.duration is not None:
            say(f"  Upgrade: {elapsed(upgrade.duration)}; output in {upgrade.outputs.get('log')}.")
        elif upgrade is not None and upgrade.outcome == "skipped":
            by_run = upgrade.outputs.get("by_run")
            say(f"  Upgrade: already run for this spec commit (run {by_run}).")
        moved = journal.outputs(MoveBugs.name)
        for key, what in (("moved", "moved to Fix Released"), ("already", "already released")):
            numbers = moved.get(key)
            if isinstance(numbers, list) and numbers:
                say(f"  Bugs {what}: {', '.join(f'LP: #{n}' for n in numbers)}.")
        skipped = moved.get("skipped")
        for entry in skipped if isinstance(skipped, list) else []:
            say(f"  LP: #{entry['bug']} {entry['reason']}.")
        for override in self.release.overrides(journal):
            say(f"  Gate {override.describe()}.")
        say(f"  Journal: {journal.path}")
        say(
            "  A problem with the rollout? File a bug with this run's journal: "
            + FILE_BUG_COMMAND.format(run_id=journal.run_id)
        )
        return {"instance": target.instance, "target": target.to_json()}


# -- the plan ----------------------------------------------------------------------------------


def production_plan(
    world: ReleaseWorld, options: ProductionOptions, *, pending: Sequence[Override] = ()
) -> Plan[ReleaseWorld]:
    """The production release asked for by ``options``, as the engine's plan.

    ``pending`` are overrides given on this command line, shown as applied
    by a dry run (a real run records them in the journal before any step).
    """
    instance = world.spec.instance(options.instance)
    staging = earlier_instance(world, instance)

    def facts(world: ReleaseWorld) -> PromotionFacts:
        return read_facts(
            world,
            instance.name,
            build_label=options.build_label,
            source=options.source,
            pushes=True,
        )

    gates = PromotionGates(gates=PROMOTION_GATES, read_facts=facts, pending=tuple(pending))
    release = ProductionRelease(options=options, gates=gates, staging=staging.name)
    environment = world.spec.environment(instance)
    steps: Sequence[Step[ReleaseWorld]] = (
        gates,
        SetBuildLabel(release=release),
        Commit(change=release),
        Push(change=release),
        WriteNote(release=release),
        DeployableRequest(release=release),
        Announce(release=release),
        Upgrade(
            instance=instance.name,
            title=f"Run upgrade-production as {environment.account} (about five minutes)",
            unknown_help=(
                f"{instance.name} cannot be read from here: ask IS, or look at the production "
                "publisher logs, before you answer.",
            ),
        ),
        PublisherLogs(instance=instance.name),
        MoveBugs(bugs=release.bug_numbers),
        DeployableDeployed(release=release),
        Summary(release=release),
    )
    return Plan(name=PLAN, instance=instance.name, options=options.to_json(), steps=tuple(steps))


def resumed_options(runs: RunStore, reference: str) -> tuple[str, ProductionOptions]:
    """The run ``--resume REFERENCE`` names (an id or ``last``) and the options it started with."""
    run_id = runs.resolve(reference, plan=PLAN, instance=INSTANCE)
    return run_id, ProductionOptions.from_json(runs.load(run_id).header.options)


def run_for_bug(runs: RunStore, reference: str | None) -> str:
    """The run a bug is filed about: ``reference`` (an id), else the newest production run."""
    if reference is not None and reference != "last":
        return runs.resolve(reference, plan=PLAN, instance=INSTANCE)
    found = runs.runs(plan=PLAN, instance=INSTANCE)
    if not found:
        raise RunNotFoundError(
            f"there is no run of {PLAN} in {runs.directory} to file a bug about",
            hint="File it on Launchpad by hand: https://bugs.launchpad.net/lp-signing/+filebug",
        )
    return found[0].run_id


def _pending(world: ReleaseWorld, given: Mapping[str, str]) -> list[Override]:
    who = Session.current().who
    return [
        Override(gate=gate, reason=reason, by=who, at=world.clock.time())
        for gate, reason in given.items()
    ]


def release_production(
    world: ReleaseWorld,
    options: ProductionOptions,
    *,
    resume: str | None = None,
    dry_run: bool = False,
    break_lock: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> RunReport:
    """Run (or, with ``dry_run``, describe) the production release in ``world``.

    ``resume`` is a run id to continue (see :func:`resumed_options`); its
    options must be ``options``. ``overrides`` maps gate names to the reason
    a person gave: each is recorded with who and when, and named in the
    commit message. Production's lock is taken on the management
    environment its upgrade trigger runs from (a dry run takes none);
    ``break_lock`` breaks a stale one after showing its owner. A run that
    stops offers to file a bug about it (on a terminal, without ``--yes``).
    """
    given = dict(overrides or {})
    refuse_lock_override(given)
    plan = production_plan(world, options, pending=_pending(world, given))
    lock = None if dry_run else instance_lock(world, world.spec.instance(options.instance))
    report = execute(
        plan,
        world,
        runs=world.runs,
        lock=lock,
        resume=resume,
        dry_run=dry_run,
        break_lock=break_lock,
        overrides=given,
        resume_command=RESUME_COMMAND,
    )
    if report.status not in ("done", "dry-run") and report.run_id is not None:
        _offer_bug(world, report)
    return report


def _offer_bug(world: ReleaseWorld, report: RunReport) -> None:
    """After a stopped run: say how to file a bug about it, and offer to (on a terminal)."""
    run_id = str(report.run_id)
    world.reporter.info(
        "If this is a problem with the deployment, file a bug about it: "
        + FILE_BUG_COMMAND.format(run_id=run_id)
    )
    if world.prompt.assume_yes:
        return
    stopped = report.summary.stopped_at if report.summary is not None else None
    title = f"Production deployment of {APPLICATION} stopped at step {stopped} (run {run_id})"
    try:
        wanted = world.prompt.confirm(f"File a bug on {APPLICATION} now, titled {title!r}?")
    except PromptError:
        return
    if wanted:
        file_bug(world, run_id, title)


def file_bug_about(
    world: ReleaseWorld, reference: str | None, title: str, *, dry_run: bool = False
) -> str | None:
    """File a bug on lp-signing about a production run (``--file-bug TITLE``); its URL.

    ``reference`` names the run (an id; ``None`` or ``last``: the newest
    production run, finished or not). Nothing of the plan runs. With
    ``dry_run``, print what would be filed and file nothing.
    """
    if not title.strip():
        raise UsageError("--file-bug needs a title", hint="Say in a few words what went wrong")
    run_id = run_for_bug(world.runs, reference)
    if dry_run:
        say = world.reporter.info
        say(f"Dry run: would file a bug on {APPLICATION} about run {run_id}:")
        say(f"  title: {title}")
        say("  tags:  deployment")
        say("  description:")
        for line in journal_excerpt(world.runs.load(run_id)).splitlines():
            say(f"    {line}")
        say("Nothing was filed (--dry-run).")
        return None
    try:
        return file_bug(world, run_id, title).web_link
    except LaunchpadError:
        world.reporter.warn(
            f"File it by hand at https://bugs.launchpad.net/{APPLICATION}/+filebug with the tag "
            f"deployment and this description (lpsigning-mojo runs show {run_id}):"
        )
        for line in journal_excerpt(world.runs.load(run_id)).splitlines():
            world.reporter.warn(f"  {line}")
        raise
