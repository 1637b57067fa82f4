"""The promotion gates: may production get what it is about to run?

The runbook's "Deploying to production" opens with "ensure that the same
changes have been deployed to staging first". Six gates make that precise,
each a pure function from :class:`PromotionFacts` to a
:class:`~lpsigning_mojo.runbook.Verdict` (passed, or blocked with the reason
and what would unblock it). This module holds the facts and the gates and
reaches nothing (:mod:`lpsigning_mojo.release.promotion` reads the facts):

``spec``
   The spec repository is clean and not behind its remote.
``staging-charm``
   Staging runs, live, the lp-signing revision production is about to run,
   and every unit is active and idle.
``build-label``
   The ``build_label`` production is about to run is what staging runs now,
   or an ancestor of it in a local clone of lp-signing (without a clone,
   only equality).
``staging-health``
   Staging answers its health check now.
``lock``
   No other production release holds the lock.
``soak``
   Staging has run the revision for at least ``release.soak-minutes``
   (when configured), from the journals or the spec history.

:data:`PROMOTION_GATES` judges them. Because the gates only judge values,
every combination is a line of a table test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from lpsigning_mojo.charms import same_channel
from lpsigning_mojo.external.juju import DeployedState
from lpsigning_mojo.external.probe import ProbeResult
from lpsigning_mojo.policy import Pin, ahead_message, promotion_breaches, release_build_label
from lpsigning_mojo.release.steps import APPLICATION, unsettled
from lpsigning_mojo.runbook import Gate, LockOwner, Verdict, blocked, passed
from lpsigning_mojo.runbook.progress import elapsed

__all__ = [
    "GATE_BUILD_LABEL",
    "GATE_LOCK",
    "GATE_SOAK",
    "GATE_SPEC",
    "GATE_STAGING_CHARM",
    "GATE_STAGING_HEALTH",
    "PROMOTION_GATES",
    "AncestryFacts",
    "LockFacts",
    "PromotionFacts",
    "SoakFacts",
    "SpecFacts",
    "StagingFacts",
    "Target",
    "build_label_gate",
    "lock_gate",
    "soak_gate",
    "spec_gate",
    "staging_charm_gate",
    "staging_health_gate",
]

GATE_SPEC = "spec"
GATE_STAGING_CHARM = "staging-charm"
GATE_BUILD_LABEL = "build-label"
GATE_STAGING_HEALTH = "staging-health"
GATE_LOCK = "lock"
GATE_SOAK = "soak"


def _short(label: str | None) -> str:
    return "none" if label is None else label[:12]


# -- the facts ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SpecFacts:
    """The spec repository: its branch, how it stands against its remote, what is dirty.

    ``fetched`` says whether the remote was fetched just before (a dry run
    compares with the remote as last fetched). ``pushes`` says whether the
    caller pushes local commits (a release) or not (the bare trigger).
    ``base`` is the remote branch's commit. ``error`` says why git could
    not be read, if it could not.
    """

    directory: str
    local_branch: str | None = None
    branch: str | None = None
    remote: str | None = None
    remote_branch: str | None = None
    tracking_ref: str | None = None
    base: str | None = None
    dirty: tuple[str, ...] = ()
    behind: int = 0
    ahead: int = 0
    fetched: bool = False
    pushes: bool = True
    error: str | None = None

    @property
    def target(self) -> str:
        return f"{self.remote}/{self.remote_branch}"

    def branch_json(self) -> dict[str, object] | None:
        """The fields of :class:`~lpsigning_mojo.release.steps.Branch`, when all are known."""
        fields = {
            "local": self.local_branch,
            "remote": self.remote,
            "remote_branch": self.remote_branch,
            "tracking_ref": self.tracking_ref,
            "base": self.base,
        }
        return dict(fields) if all(value is not None for value in fields.values()) else None

    def to_json(self) -> dict[str, object]:
        data = attrs.asdict(self)
        data["dirty"] = list(self.dirty)
        return data


@attrs.frozen(kw_only=True)
class StagingFacts:
    """What staging runs now (live, through juju as its role account) and its health.

    ``state`` is ``None`` when it could not be read (``error`` says why);
    ``health`` is ``None`` when staging has no URL.
    """

    instance: str
    state: DeployedState | None = None
    error: str | None = None
    url: str | None = None
    health: ProbeResult | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "state": None if self.state is None else self.state.to_json(),
            "error": self.error,
            "url": self.url,
            "health": None if self.health is None else attrs.asdict(self.health),
        }


@attrs.frozen(kw_only=True)
class Target:
    """What production is about to run: the charm revision and the payload's ``build_label``.

    ``previous_build_label`` is what the spec pins for production now;
    ``how`` says where ``build_label`` came from: ``pinned`` (no payload
    change), ``given`` (``--build-label SHA``) or ``staging`` (what staging
    runs now).
    """

    instance: str
    stage: str
    revision: int | None
    channel: str | None
    build_label: str | None
    previous_build_label: str | None
    how: str

    @property
    def key(self) -> str:
        """The target as one string, for exactly-once keys: ``revision 89 build_label SHA``."""
        return f"revision {self.revision} build_label {self.build_label}"

    @property
    def changes_payload(self) -> bool:
        return self.build_label is not None and self.build_label != self.previous_build_label

    def describe(self) -> str:
        """``lp-signing revision 89 (latest/edge), build_label 1a2b3c4d5e6f``."""
        return (
            f"{APPLICATION} revision {self.revision} ({self.channel or 'no channel'}), "
            f"build_label {_short(self.build_label)}"
        )

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        revision = data.get("revision")
        return cls(
            instance=str(data["instance"]),
            stage=str(data["stage"]),
            revision=revision if isinstance(revision, int) else None,
            channel=data.get("channel"),
            build_label=data.get("build_label"),
            previous_build_label=data.get("previous_build_label"),
            how=str(data.get("how") or "pinned"),
        )


@attrs.frozen(kw_only=True)
class AncestryFacts:
    """What a clone of lp-signing says about the payload.

    ``clone`` is its path (``None``: no clone given, so only equality counts);
    ``staging_build_label`` staging's ``build_label`` as a full commit id
    where it could be resolved; ``ancestor`` whether the target's
    ``build_label`` is staging's or one of its ancestors (``None``: not
    asked, or ``error`` says why it could not be).
    """

    clone: str | None = None
    staging_build_label: str | None = None
    ancestor: bool | None = None
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class LockFacts:
    """Who holds production's release lock (``None``: nobody), and this run's id."""

    where: str
    owner: LockOwner | None = None
    run_id: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "where": self.where,
            "owner": None if self.owner is None else self.owner.to_json(),
            "run_id": self.run_id,
            "error": self.error,
        }


@attrs.frozen(kw_only=True)
class SoakFacts:
    """How long staging has run the target revision, against the soak configured.

    ``since`` is the wall time staging started running it (``None``:
    unknown) and ``source`` how that is known; ``now`` the wall time the
    facts were read.
    """

    minutes: int
    now: float
    since: float | None = None
    source: str | None = None

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class PromotionFacts:
    """Everything the promotion gates judge.

    :func:`~lpsigning_mojo.release.promotion.read_facts` reads them, once.
    """

    spec: SpecFacts
    staging: StagingFacts
    target: Target
    ancestry: AncestryFacts
    lock: LockFacts
    soak: SoakFacts

    def to_json(self) -> dict[str, object]:
        return {
            "spec": self.spec.to_json(),
            "staging": self.staging.to_json(),
            "target": self.target.to_json(),
            "ancestry": self.ancestry.to_json(),
            "lock": self.lock.to_json(),
            "soak": self.soak.to_json(),
        }


# -- the gates: pure functions of the facts ---------------------------------------------------


def spec_gate(facts: PromotionFacts) -> Verdict:
    """The spec repository is clean and not behind its remote (nor ahead, when nothing pushes)."""
    spec = facts.spec
    where = f"the spec repository at {spec.directory}"
    if spec.error is not None:
        return blocked(
            f"{where} cannot be read: {spec.error}",
            unblock="make it a clone with an upstream branch (git branch -u origin/main)",
        )
    if spec.branch is None:
        return blocked(
            f"{where} is not on a branch (detached HEAD)",
            unblock=f"check out {spec.local_branch or 'the branch'}, then resume",
        )
    if spec.dirty:
        return blocked(
            f"{where} has changes that are not committed: {', '.join(spec.dirty)}",
            unblock="commit them or put them aside (git stash -u), then resume",
        )
    as_of = "" if spec.fetched else " (as last fetched)"
    if spec.behind:
        return blocked(
            f"{spec.branch} is {spec.behind} commit{'s' if spec.behind != 1 else ''} behind "
            f"{spec.target}{as_of}",
            unblock=f"bring it up to date (git pull --rebase {spec.remote} {spec.remote_branch}), "
            "look at what came in, then resume",
        )
    if spec.ahead and not spec.pushes:
        return blocked(
            f"{spec.branch} has {spec.ahead} commit(s) not on {spec.target}: production's "
            f"bastion deploys {spec.target}, not them",
            unblock="push them first (or release with lpsigning-mojo release production)",
        )
    text = f"{spec.branch} is clean and level with {spec.target}{as_of}"
    if spec.ahead:
        text += f"; its {spec.ahead} local commit(s) go out only if they are release-only"
    return passed(text)


def staging_charm_gate(facts: PromotionFacts) -> Verdict:
    """Staging runs, live, the revision production is about to run; its units active and idle."""
    target, staging = facts.target, facts.staging
    name = staging.instance
    revision = target.revision
    if revision is None:
        return blocked(
            f"the bundle pins no {APPLICATION} revision for {target.stage}",
            unblock="pin the revision staging runs (lpsigning-mojo bundle set-revision)",
        )
    deploy = f"deploy revision {revision} to {name} first (lpsigning-mojo release {name} " + (
        f"--revision {revision}), then resume"
    )
    state = staging.state
    if state is None:
        return blocked(
            f"what {name} runs cannot be read: {staging.error or 'no way to read it from here'}",
            unblock=f"check your access to {name}'s role account (lpsigning-mojo status {name}), "
            "then resume",
        )
    if state.charm_rev != revision:
        pins = [
            Pin(stage=name, application=APPLICATION, charm=APPLICATION, channel=None,
                revision=state.charm_rev),
            Pin(stage=target.stage, application=APPLICATION, charm=APPLICATION, channel=None,
                revision=revision),
        ]  # fmt: skip
        ahead = promotion_breaches(pins, (name, target.stage))
        reason = (
            ahead_message(*ahead[0]).replace(f"{name}'s", f"what {name} runs,")
            if ahead
            else f"{name} runs {APPLICATION} revision {state.charm_rev}, not revision "
            f"{revision}, which {target.instance} is about to run"
        )
        return blocked(reason, unblock=deploy)
    if target.channel is not None and not same_channel(target.channel, state.charm_channel):
        return blocked(
            f"{name} runs revision {revision} from channel {state.charm_channel}, not from "
            f"{target.channel}, which {target.instance} pins",
            unblock=deploy,
        )
    problems = unsettled(state)
    if problems:
        return blocked(
            f"{name} runs revision {revision}, but not every unit is active and idle: "
            f"{'; '.join(problems)}",
            unblock=f"wait for {name} to settle, or fix it (lpsigning-mojo status {name}), "
            "then resume",
        )
    units = ", ".join(unit.name for unit in state.units)
    return passed(
        f"{name} runs revision {revision} ({state.charm_channel}), live; every unit is "
        f"active and idle ({units})"
    )


def build_label_gate(facts: PromotionFacts) -> Verdict:
    """The payload is what staging runs now, or an ancestor of it in a clone of lp-signing."""
    target, staging, ancestry = facts.target, facts.staging, facts.ancestry
    name = staging.instance
    label = target.build_label
    if label is None:
        source = (
            f"{name}'s build_label could not be read"
            if target.how == "staging"
            else f"the bundle sets no build_label for {target.stage}"
        )
        return blocked(
            f"there is no build_label to deploy: {source}",
            unblock="give the payload with --build-label SHA (or --build-label staging)",
        )
    if not release_build_label(label, production=True):
        return blocked(
            f"build_label {label!r} is not a full 40-character commit id",
            unblock="give the full commit id (git rev-parse in lp-signing), or a clone with "
            "--source PATH to resolve a short one",
        )
    running = staging.state.build_label if staging.state is not None else None
    if running is None:
        why = staging.error if staging.state is None else f"{name} has no build_label set"
        return blocked(
            f"what {name} runs cannot be compared with build_label {_short(label)}: {why}",
            unblock=f"check {name} (lpsigning-mojo status {name}), then resume",
        )
    resolved = ancestry.staging_build_label or running
    if resolved == label:
        return passed(f"{target.instance} gets build_label {_short(label)}, what {name} runs now")
    if ancestry.clone is None:
        return blocked(
            f"build_label {_short(label)} differs from what {name} runs ({_short(running)}); "
            "without a clone of lp-signing only equality is accepted",
            unblock="give a clone with --source PATH (or set release.source) to check that "
            f"it is an ancestor, or deploy what {name} runs (--build-label staging)",
        )
    if ancestry.error is not None:
        return blocked(
            f"cannot tell whether build_label {_short(label)} is an ancestor of what {name} runs "
            f"({_short(running)}) in {ancestry.clone}: {ancestry.error}",
            unblock=f"fetch the clone (git -C {ancestry.clone} fetch), then resume",
        )
    if ancestry.ancestor:
        return passed(
            f"build_label {_short(label)} is an ancestor of what {name} runs "
            f"({_short(resolved)}) in {ancestry.clone}"
        )
    return blocked(
        f"build_label {_short(label)} is not an ancestor of what {name} runs "
        f"({_short(resolved)}) in {ancestry.clone}: {name} never ran it",
        unblock=f"deploy what {name} runs (--build-label staging) or a commit before it",
    )


def staging_health_gate(facts: PromotionFacts) -> Verdict:
    """Staging answers its health check (``GET /service-key``) now."""
    staging = facts.staging
    name = staging.instance
    if staging.health is None:
        return blocked(
            f"{name} has no URL, so its health cannot be checked",
            unblock=f"give {name} a url in instances.yaml",
        )
    url, reason = staging.health.url, staging.health.reason
    # A failure to talk HTTP names the URL itself ("URL sent no complete answer...").
    said = reason if reason.startswith(url) else f"{url}: {reason}"
    if staging.health.healthy:
        return passed(said)
    return blocked(
        said,
        unblock=f"make {name} healthy (it must answer GET /service-key), then resume",
    )


def lock_gate(facts: PromotionFacts) -> Verdict:
    """No other production release holds the lock."""
    lock = facts.lock
    if lock.error is not None:
        return blocked(
            f"the lock at {lock.where} cannot be read: {lock.error}",
            unblock="check your access to the role account that holds it, then resume",
        )
    if lock.owner is None:
        return passed(f"no release holds the lock at {lock.where}")
    if lock.run_id is not None and lock.owner.run_id == lock.run_id:
        return passed(f"this run holds the lock at {lock.where}")
    return blocked(
        f"the lock at {lock.where} is held by {lock.owner.describe()}",
        unblock="resume that run, or wait for it to finish; if it is over, break the lock with "
        "lpsigning-mojo release production --break-lock (an override does not break it)",
    )


def soak_gate(facts: PromotionFacts) -> Verdict:
    """Staging has run the target revision for at least the soak configured."""
    soak, target = facts.soak, facts.target
    name = facts.staging.instance
    if soak.minutes <= 0:
        return passed("no soak time is configured (release.soak-minutes is 0)")
    revision = f"{APPLICATION} revision {target.revision}"
    if soak.since is None:
        return blocked(
            f"how long {name} has run {revision} is not known: no {name} release in the "
            "journals here deployed it, and the spec history does not show when it was pinned",
            unblock=f"wait until you know it has run {soak.minutes} "
            f"minute{'' if soak.minutes == 1 else 's'}, then override with "
            "--override soak --reason TEXT saying how you know",
        )
    ran = max(0.0, soak.now - soak.since)
    if ran >= soak.minutes * 60:
        return passed(
            f"{name} has run {revision} for {elapsed(ran)} ({soak.source}); the soak is "
            f"{soak.minutes} min"
        )
    return blocked(
        f"{name} has run {revision} for only {elapsed(ran)} ({soak.source}); the soak is "
        f"{soak.minutes} min",
        unblock=f"wait {elapsed(soak.minutes * 60 - ran)} more, then resume",
    )


#: The promotion gates, in the order they are printed.
PROMOTION_GATES: tuple[Gate[PromotionFacts], ...] = (
    Gate(name=GATE_SPEC, title="The spec repository is clean and not behind", check=spec_gate),
    Gate(
        name=GATE_STAGING_CHARM,
        title="Staging runs the charm revision, its units active and idle",
        check=staging_charm_gate,
    ),
    Gate(
        name=GATE_BUILD_LABEL,
        title="The payload is what staging runs, or an ancestor of it",
        check=build_label_gate,
    ),
    Gate(
        name=GATE_STAGING_HEALTH,
        title="Staging answers its health check now",
        check=staging_health_gate,
    ),
    Gate(name=GATE_LOCK, title="No other production release is in progress", check=lock_gate),
    Gate(name=GATE_SOAK, title="Staging has run the revision long enough", check=soak_gate),
)
