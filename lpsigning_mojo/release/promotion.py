"""Reading the facts the promotion gates judge, and the step that judges them.

:func:`read_facts` reads every fact of :class:`~lpsigning_mojo.release.gates.PromotionFacts`:
the spec repository (git), what staging runs (juju as its role account,
the code ``lpsigning-mojo status`` uses), staging's health check, who holds
production's lock, and when staging started running the revision (the
journals of staging releases, else the spec's history). It changes nothing.
:class:`PromotionGates` is the first step of the production plan: fetch,
read, judge every gate, print every result. :func:`trigger_gates` does the
same for ``lpsigning-mojo upgrade production``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import attrs

from lpsigning_mojo.errors import CommandInterruptedError, GitError, LpsigningMojoError
from lpsigning_mojo.external.git import Git
from lpsigning_mojo.external.juju import DeployedState
from lpsigning_mojo.external.probe import ProbeResult
from lpsigning_mojo.instances import Instance
from lpsigning_mojo.policy import release_build_label
from lpsigning_mojo.release.gates import (
    PROMOTION_GATES,
    AncestryFacts,
    LockFacts,
    PromotionFacts,
    SoakFacts,
    SpecFacts,
    StagingFacts,
    Target,
)
from lpsigning_mojo.release.staging import PLAN as STAGING_PLAN
from lpsigning_mojo.release.steps import APPLICATION, bundle_at, instance_lock, render, work_bundle
from lpsigning_mojo.release.world import ReleaseWorld
from lpsigning_mojo.runbook import (
    GateReport,
    GateStep,
    Journal,
    Outputs,
    Override,
    Session,
    evaluate_gates,
    overrides,
)

__all__ = ["PromotionGates", "earlier_instance", "read_facts", "trigger_gates"]

#: How far back the spec history is read to find when staging's pin last changed.
HISTORY_LIMIT = 200


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


# -- reading the facts ------------------------------------------------------------------------


def earlier_instance(world: ReleaseWorld, instance: Instance) -> Instance:
    """The instance of the stage before ``instance``'s in the promotion order (staging)."""
    order = world.spec.policy.promotion_order
    stage = instance.stage_name
    earlier = order[order.index(stage) - 1] if stage in order and order.index(stage) else None
    for candidate in world.spec.instances:
        if earlier is not None and candidate.stage_name == earlier:
            return candidate
    raise LpsigningMojoError(
        f"no instance deploys the stage before {stage} in the promotion order ({', '.join(order)})",
        hint="Check instances.yaml and the promotion order of the lint configuration",
    )


def _spec_facts(world: ReleaseWorld, *, pushes: bool) -> SpecFacts:
    git = world.git
    directory = str(world.spec.directory)
    try:
        upstream = git.upstream()
        status = git.status()
        base = git.rev_parse(upstream.tracking_ref)
    except GitError as error:
        return SpecFacts(directory=directory, pushes=pushes, error=error.message)
    return SpecFacts(
        directory=directory,
        local_branch=upstream.local_branch,
        branch=status.branch,
        remote=upstream.remote,
        remote_branch=upstream.branch,
        tracking_ref=upstream.tracking_ref,
        base=base,
        dirty=tuple(path.describe() for path in status.dirty),
        behind=status.behind or 0,
        ahead=status.ahead or 0,
        pushes=pushes,
    )


def _staging_facts(world: ReleaseWorld, staging: Instance) -> StagingFacts:
    state: DeployedState | None = None
    error: str | None = None
    if world.juju is None or not staging.juju_access or staging.juju_model is None:
        error = f"{staging.name}'s juju model cannot be read from here"
    else:
        try:
            state = world.juju(staging).deployed_state(APPLICATION)
        except CommandInterruptedError:
            raise  # Ctrl-C stops the run; it says nothing about staging
        except LpsigningMojoError as failure:
            error = str(failure).rstrip(".")
    health: ProbeResult | None = None
    if staging.url is not None:
        try:
            health = world.probe.check(staging.url)
        except CommandInterruptedError:
            raise
        except LpsigningMojoError as failure:
            health = ProbeResult(url=staging.url, healthy=False, reason=str(failure).rstrip("."))
    return StagingFacts(
        instance=staging.name, state=state, error=error, url=staging.url, health=health
    )


def _resolve(clone: Git, label: str) -> tuple[str | None, str | None]:
    """``label`` as a full commit id in ``clone``, or why it cannot be."""
    try:
        return clone.rev_parse(label), None
    except GitError as error:
        return None, error.message


def _target_and_ancestry(
    world: ReleaseWorld,
    instance: Instance,
    staging: StagingFacts,
    *,
    build_label: str | None,
    source: str | None,
    text: str | None,
) -> tuple[Target, AncestryFacts]:
    bundle = render(world, work_bundle(world) if text is None else text, instance.stage_name)
    application = bundle.application(APPLICATION)
    previous = application.build_label
    running = staging.state.build_label if staging.state is not None else None
    clone = None
    if source is not None and world.open_source is not None:
        clone = world.open_source(Path(source))
    how = "pinned" if build_label is None else "staging" if build_label == "staging" else "given"
    label = (
        previous if build_label is None else running if build_label == "staging" else build_label
    )
    errors: list[str] = []
    staging_full = running
    if clone is not None:
        if running is not None and not release_build_label(running, production=True):
            staging_full, problem = _resolve(clone, running)
            if problem:
                errors.append(problem)
        if label is not None and not release_build_label(label, production=True):
            full, problem = _resolve(clone, label)
            label = full or label
            if problem:
                errors.append(problem)
    target = Target(
        instance=instance.name,
        stage=instance.stage_name,
        revision=application.revision,
        channel=application.channel,
        build_label=label,
        previous_build_label=previous,
        how=how,
    )
    ancestor: bool | None = None
    if clone is not None and not errors and label is not None and staging_full is not None:
        try:
            ancestor = clone.is_ancestor(label, staging_full)
        except GitError as error:
            errors.append(error.message)
    ancestry = AncestryFacts(
        clone=source if clone is not None else None,
        staging_build_label=staging_full,
        ancestor=ancestor,
        error="; ".join(errors) or None,
    )
    return target, ancestry


def _lock_facts(world: ReleaseWorld, instance: Instance, run_id: str | None) -> LockFacts:
    lock = instance_lock(world, instance)
    try:
        owner = lock.owner()
    except CommandInterruptedError:
        raise
    except LpsigningMojoError as error:
        return LockFacts(where=lock.where, run_id=run_id, error=str(error).rstrip("."))
    return LockFacts(where=lock.where, owner=owner, run_id=run_id)


def _since_journals(
    world: ReleaseWorld, staging: Instance, revision: int
) -> tuple[float, str] | None:
    """When the newest staging release recorded here upgraded staging, if to ``revision``."""
    for run in world.runs.runs(plan=STAGING_PLAN, instance=staging.name):
        journal = world.runs.load(run.run_id)
        state = journal.state("upgrade")
        if state is None or state.outcome != "done" or state.ended is None:
            continue
        if journal.outputs("target").get("revision") != revision:
            return None  # the last upgrade recorded deployed something else
        return state.ended, f"since run {run.run_id} upgraded it at {_when(state.ended)}"
    return None


def _since_history(
    world: ReleaseWorld, staging: Instance, revision: int
) -> tuple[float, str] | None:
    """When the spec's history first pinned ``revision`` for staging, in its latest stretch."""
    found = None
    try:
        commits = world.git.log("HEAD", paths=[world.spec.bundle_file], first_parent=True)
    except GitError:
        return None
    for commit in commits[:HISTORY_LIMIT]:
        try:
            pinned = render(world, bundle_at(world, commit.id), staging.stage_name)
            pin = pinned.application(APPLICATION).revision
        except LpsigningMojoError:
            break
        if pin != revision:
            break
        found = commit
    if found is None:
        return None
    at = found.committed_at.timestamp()
    return at, (
        f"the spec history pins it since commit {found.id[:12]} of {_when(at)}; staging may "
        "have run it for less"
    )


def _soak_facts(world: ReleaseWorld, staging: Instance, revision: int | None) -> SoakFacts:
    minutes = world.config.soak_minutes
    now = world.clock.time()
    if minutes <= 0 or revision is None:
        return SoakFacts(minutes=minutes, now=now)
    found = _since_journals(world, staging, revision) or _since_history(world, staging, revision)
    if found is None:
        return SoakFacts(minutes=minutes, now=now)
    return SoakFacts(minutes=minutes, now=now, since=found[0], source=found[1])


def read_facts(
    world: ReleaseWorld,
    instance: str,
    *,
    build_label: str | None = None,
    source: str | None = None,
    run_id: str | None = None,
    pushes: bool = True,
    text: str | None = None,
) -> PromotionFacts:
    """Read every fact the promotion gates judge, for a release to ``instance``.

    ``build_label`` is what was asked for (``None``: keep what the bundle
    pins; ``"staging"``: what staging runs; else a commit id), ``source`` a
    clone of lp-signing, ``run_id`` the run holding the lock (if any),
    ``pushes`` whether local commits go out with it, ``text`` the bundle
    template production will get (default: the work tree's). Nothing is
    changed; staging is read through juju as its role account and its
    health probe is asked once.
    """
    production = world.spec.instance(instance)
    staging_instance = earlier_instance(world, production)
    spec = _spec_facts(world, pushes=pushes)
    staging = _staging_facts(world, staging_instance)
    target, ancestry = _target_and_ancestry(
        world, production, staging, build_label=build_label, source=source, text=text
    )
    return PromotionFacts(
        spec=spec,
        staging=staging,
        target=target,
        ancestry=ancestry,
        lock=_lock_facts(world, production, run_id),
        soak=_soak_facts(world, staging_instance, target.revision),
    )


# -- the step -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PromotionGates(GateStep[ReleaseWorld, PromotionFacts]):
    """The production plan's first step: fetch, read the facts, judge every gate.

    ``read_facts`` reads them for the plan (without the run id, which the
    step adds from the journal). They are read once per process: a dry run
    shows them, and the later steps of the dry run use the same target.
    ``pending`` are the overrides given on this command line, shown as
    applied in a dry run (a real run records them in the journal first).
    Outputs: every result, the overrides used, the facts, the target and the
    branch (for the commit and push steps).
    """

    pending: tuple[Override, ...] = ()
    _seen: dict[str, PromotionFacts] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def facts(self, world: ReleaseWorld, journal: Journal) -> PromotionFacts:
        """The facts (read on first use), with this run's id when it holds the lock."""
        if "facts" not in self._seen:
            self._seen["facts"] = self.read_facts(world)
        facts = self._seen["facts"]
        run_id = journal.run_id if journal.writable else None
        return attrs.evolve(facts, lock=attrs.evolve(facts.lock, run_id=run_id))

    def evaluate(self, world: ReleaseWorld, journal: Journal) -> GateReport:
        given = overrides(journal)
        if not journal.writable:
            recorded = {override.gate for override in given}
            given += [override for override in self.pending if override.gate not in recorded]
        return evaluate_gates(self.gates, self.facts(world, journal), given)

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        upstream = world.git.upstream()
        world.git.fetch(upstream.remote)
        self._seen.clear()
        facts = self.facts(world, journal)
        self._seen["facts"] = attrs.evolve(facts, spec=attrs.evolve(facts.spec, fetched=True))
        journal.note("gates", results=self.evaluate(world, journal).to_json())
        outputs = dict(super().run(world, journal))
        facts = self.facts(world, journal)
        outputs.update(
            facts=facts.to_json(), target=facts.target.to_json(), branch=facts.spec.branch_json()
        )
        return outputs


def trigger_gates(
    world: ReleaseWorld,
    instance: str,
    given: Mapping[str, str],
    *,
    source: str | None = None,
    fetch: bool = True,
) -> GateReport:
    """The promotion gates for running ``instance``'s upgrade trigger by itself.

    What the spec's remote branch pins is what the trigger deploys, so local
    commits not pushed block the ``spec`` gate; the lock is judged as held
    by no run of this process. ``given`` maps gates to the reasons a person
    gave to override them (by this user, now). ``fetch`` fetches the spec's
    remote first.
    """
    if fetch:
        world.git.fetch(world.git.upstream().remote)
    facts = read_facts(world, instance, source=source, pushes=False)
    if fetch:
        facts = attrs.evolve(facts, spec=attrs.evolve(facts.spec, fetched=True))
    who = Session.current().who
    return evaluate_gates(
        PROMOTION_GATES,
        facts,
        [
            Override(gate=gate, reason=reason, by=who, at=world.clock.time())
            for gate, reason in given.items()
        ],
    )
