"""Charm revisions: what Charmhub offers, and what each stage of the spec pins.

The runbook says: use ``juju info lp-signing`` to see which revisions are
available and set ``revision`` to the right one, usually the latest. Here
the channel and base come from the bundle itself, as rendered for a stage,
so the revision chosen is one released where that stage deploys from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

import attrs

from lpsigning_mojo.bundle import (
    Application,
    Bundle,
    EditResult,
    Template,
    render_bundle,
    set_revision,
)
from lpsigning_mojo.charms import (
    Base,
    Release,
    latest_revision,
    matching_releases,
    parse_base,
    parse_channel,
    same_channel,
    was_released,
)
from lpsigning_mojo.errors import BundleError, CharmhubError, EditError, UsageError
from lpsigning_mojo.external.charmhub import Charmhub
from lpsigning_mojo.files import read_text
from lpsigning_mojo.mojospec import Spec
from lpsigning_mojo.mojospec.plan import PlannedPhase, StagePlan
from lpsigning_mojo.policy import Pin, ReleasePolicy, charm_name
from lpsigning_mojo.policy import pins as application_pins

__all__ = [
    "PinnedRelease",
    "RevisionBump",
    "RevisionChoice",
    "RevisionsReport",
    "Source",
    "StageApplications",
    "bump_revision",
    "check_released",
    "choose_revision",
    "latest_for",
    "pinned_by",
    "pins",
    "render_phase",
    "render_stage",
    "revisions_report",
    "source_of",
    "stage_applications",
]


@attrs.frozen(kw_only=True)
class Source:
    """Where an application's charm comes from: channel, base and architecture."""

    charm: str
    track: str
    risk: str
    base: Base | None
    architecture: str | None

    @property
    def channel(self) -> str:
        return f"{self.track}/{self.risk}"

    def to_json(self) -> dict[str, object]:
        """``charm``, ``channel``, ``base`` (``ubuntu@22.04``) and ``architecture``."""
        base = None if self.base is None else f"{self.base.name}@{self.base.channel}"
        return {
            "charm": self.charm,
            "channel": self.channel,
            "base": base,
            "architecture": self.architecture,
        }

    def describe(self) -> str:
        text = self.channel
        if self.base is not None:
            text += f" for {self.base.name}@{self.base.channel}"
        if self.architecture:
            text += f" on {self.architecture}"
        return text


def _architecture(constraints: str | None) -> str | None:
    for item in (constraints or "").split():
        key, _, value = item.partition("=")
        if key == "arch" and value:
            return value
    return None


def source_of(bundle: Bundle, application: Application, *, stage: str) -> Source:
    """The channel, base and architecture ``application`` deploys from in ``stage``."""
    if not application.charm:
        raise BundleError(f"{application.name} has no charm in stage {stage}")
    if not application.channel:
        raise EditError(
            f"{application.name} has no channel in stage {stage}, so no revision can be "
            "chosen from Charmhub",
            hint="set a channel first (Juju needs a channel with a pinned revision)",
        )
    channel = parse_channel(application.channel)
    base_text = application.base or application.series or bundle.default_base or bundle.series
    base = parse_base(base_text) if base_text else None
    return Source(
        charm=charm_name(application.charm),
        track=channel.track,
        risk=channel.risk,
        base=base,
        architecture=_architecture(application.constraints),
    )


def latest_for(charmhub: Charmhub, source: Source) -> int:
    """The highest revision released where ``source`` points."""
    return latest_revision(
        charmhub.channel_map(source.charm),
        track=source.track,
        risk=source.risk,
        base=source.base,
        architecture=source.architecture,
    )


def check_released(charmhub: Charmhub, source: Source, revision: int) -> None:
    """Refuse ``revision`` unless the channel holds it now (Charmhub lists no history)."""
    releases = charmhub.channel_map(source.charm)
    track, risk, base, architecture = source.track, source.risk, source.base, source.architecture
    if was_released(
        releases, revision, track=track, risk=risk, base=base, architecture=architecture
    ):
        return
    found = matching_releases(
        releases, track=track, risk=risk, base=base, architecture=architecture
    )
    holds = ", ".join(str(r) for r in sorted({r.revision for r in found})) or "nothing"
    raise CharmhubError(
        f"revision {revision} of {source.charm} is not released to {source.describe()} "
        f"(it holds {holds} now)",
        hint="pick a released revision (lpsigning-mojo revisions), or pass --force if you "
        "know it was released there before; Charmhub lists only current releases",
    )


def pinned_by(stage_pins: Sequence[Pin], release: Release) -> list[str]:
    """The stages, sorted, whose bundle pins ``release``'s revision from its channel."""
    return sorted(
        pin.stage
        for pin in stage_pins
        if pin.revision == release.revision and same_channel(pin.channel, release.channel)
    )


def pins(
    template: Template,
    stages: Sequence[str],
    charm: str,
    variables: Mapping[str, object] | None = None,
) -> list[Pin]:
    """The applications of ``charm`` that each stage pins, with channel and revision."""
    found: list[Pin] = []
    for stage in stages:
        _, bundle = render_bundle(template, stage, variables)
        found.extend(
            pin
            for pin in application_pins(stage, bundle.applications.values())
            if pin.charm == charm_name(charm)
        )
    return found


# What each stage pins, release by release (``lpsigning-mojo revisions``).


@attrs.frozen(kw_only=True)
class PinnedRelease:
    """A release on Charmhub, and the stages whose bundle pins it."""

    release: Release
    pinned_by: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        release = self.release
        return {
            "channel": release.channel,
            "base": f"{release.base.name}@{release.base.channel}",
            "architecture": release.base.architecture,
            "revision": release.revision,
            "version": release.version,
            "released_at": release.released_at.isoformat() if release.released_at else None,
            "pinned_by": list(self.pinned_by),
        }


@attrs.frozen(kw_only=True)
class RevisionsReport:
    """What Charmhub offers of ``charm`` (filtered), and what each stage pins.

    ``releases`` keep Charmhub's order; ``pins`` are empty when no spec was given.
    """

    charm: str
    releases: tuple[PinnedRelease, ...]
    pins: tuple[Pin, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "charm": self.charm,
            "releases": [release.to_json() for release in self.releases],
            "pins": [pin.to_json() for pin in self.pins],
        }


def revisions_report(
    charmhub: Charmhub,
    charm: str,
    *,
    channel: str | None = None,
    base: str | None = None,
    template: Template | None = None,
    stages: Sequence[str] = (),
    variables: Mapping[str, object] | None = None,
) -> RevisionsReport:
    """The releases of ``charm`` (only ``channel`` and ``base``, when given), marked
    with the stages of ``template`` that pin each.

    ``channel`` (``latest/edge`` or ``edge``) and ``base`` (``ubuntu@22.04`` or
    ``jammy``) are checked before Charmhub is asked, so a typing mistake costs
    no request; a bad one raises :class:`~lpsigning_mojo.errors.ChannelError`.
    """
    wanted_channel = parse_channel(channel) if channel else None
    wanted_base = parse_base(base) if base else None
    releases = [
        release
        for release in charmhub.channel_map(charm)
        if (
            wanted_channel is None
            or (release.track, release.risk) == (wanted_channel.track, wanted_channel.risk)
        )
        and (
            wanted_base is None
            or matching_releases(
                [release], track=release.track, risk=release.risk, base=wanted_base
            )
        )
    ]
    stage_pins = pins(template, stages, charm, variables) if template is not None else []
    return RevisionsReport(
        charm=charm,
        releases=tuple(
            PinnedRelease(release=release, pinned_by=tuple(pinned_by(stage_pins, release)))
            for release in releases
        ),
        pins=tuple(stage_pins),
    )


# What a stage deploys, application by application (``lpsigning-mojo bundle show``).


@attrs.frozen(kw_only=True)
class StageApplications:
    """The applications the bundle deploys in ``stage``: charm, channel, revision, units.

    ``mojo_stage`` is Mojo's name of the stage (``None`` for a bundle outside
    a spec), ``path`` the template, ``text`` the bundle rendered for the stage.
    """

    stage: str
    applications: tuple[Application, ...]
    mojo_stage: str | None = None
    path: str | None = None
    text: str | None = None

    def to_json(self) -> dict[str, object]:
        """``bundle show --format json``, and each ``bundle`` phase of ``spec plan``."""
        return {
            "path": self.path,
            "stage": self.stage,
            "mojo_stage": self.mojo_stage,
            "applications": [app.to_json() for app in self.applications],
            "text": self.text,
        }


def stage_applications(
    bundle: Bundle,
    *,
    stage: str,
    mojo_stage: str | None = None,
    path: str | None = None,
    text: str | None = None,
) -> StageApplications:
    """What ``bundle`` (rendered for ``stage``, as ``text``) deploys, in the bundle's order."""
    return StageApplications(
        stage=stage,
        mojo_stage=mojo_stage,
        path=path,
        text=text,
        applications=tuple(bundle.applications.values()),
    )


def render_stage(
    path: str | os.PathLike[str],
    *,
    stage: str,
    variables: Mapping[str, object] | None = None,
    mojo_stage: str | None = None,
) -> StageApplications:
    """What the bundle template at ``path`` deploys in ``stage`` (short name), rendered as
    Mojo renders it (with ``variables``): ``bundle show``, and ``spec plan``'s bundles."""
    shown = os.fspath(path)
    template = Template.from_text(read_text(path), path=shown)
    rendered, bundle = render_bundle(template, stage, variables)
    return stage_applications(
        bundle, stage=stage, mojo_stage=mojo_stage, path=shown, text=rendered.text
    )


def render_phase(phase: PlannedPhase, plan: StagePlan) -> StageApplications:
    """The bundle a ``bundle`` phase of ``plan`` deploys, rendered for its stage, with
    Mojo's ``series`` and ``local_dir`` where the plan knows them (a
    :data:`~lpsigning_mojo.mojospec.plan.Render` for
    :func:`~lpsigning_mojo.mojospec.plan.plan_spec`)."""
    if phase.bundle is None:
        raise UsageError(f"phase {phase.index} ({phase.name}) deploys no bundle")
    variables: dict[str, object] = {}
    if plan.environment.get("MOJO_SERIES"):
        variables["series"] = plan.environment["MOJO_SERIES"]
    if plan.environment.get("MOJO_LOCAL_DIR"):
        variables["local_dir"] = plan.environment["MOJO_LOCAL_DIR"]
    return render_stage(
        phase.bundle, stage=plan.stage.name, variables=variables, mojo_stage=plan.stage.mojo
    )


# Bumping a revision (``lpsigning-mojo bundle set-revision``; the release engine).


@attrs.frozen(kw_only=True)
class RevisionChoice:
    """The revision to pin for ``application``, and how it was chosen.

    ``how`` is ``latest`` (the highest released where ``source`` points),
    ``released`` (asked for, and Charmhub holds it there), ``pinned`` (asked
    for and already pinned, so nothing was asked of Charmhub) or
    ``unchecked`` (asked for, and Charmhub was not to be asked).
    """

    application: str
    revision: int
    how: Literal["latest", "released", "pinned", "unchecked"]
    source: Source | None = None

    def to_json(self) -> dict[str, object]:
        """``application``, ``revision``, ``how``, and ``source`` (``null`` when not asked)."""
        return {
            "application": self.application,
            "revision": self.revision,
            "how": self.how,
            "source": None if self.source is None else self.source.to_json(),
        }


def choose_revision(
    bundle: Bundle,
    app: str,
    *,
    stage: str,
    charmhub: Charmhub | None,
    revision: int | None = None,
) -> RevisionChoice:
    """The revision of ``app`` to pin in ``stage`` of ``bundle``.

    Without ``revision``, the latest released to the channel, base and
    architecture the bundle pins for ``app`` in ``stage``. With it, that
    revision, once Charmhub confirms that channel holds it now; with
    ``charmhub`` ``None`` (``--force``), unchecked. Raises
    :class:`~lpsigning_mojo.errors.CharmhubError` when the revision is not
    released there (Charmhub lists only current releases: a rollback needs
    ``charmhub=None``).
    """
    if revision is not None and charmhub is None:
        return RevisionChoice(application=app, revision=revision, how="unchecked")
    application = bundle.application(app)
    if revision is not None and application.revision == revision:
        return RevisionChoice(application=app, revision=revision, how="pinned")
    if charmhub is None:
        raise UsageError("choosing the latest revision needs Charmhub; give a revision instead")
    source = source_of(bundle, application, stage=stage)
    if revision is None:
        return RevisionChoice(
            application=app, revision=latest_for(charmhub, source), how="latest", source=source
        )
    check_released(charmhub, source, revision)
    return RevisionChoice(application=app, revision=revision, how="released", source=source)


@attrs.frozen(kw_only=True)
class RevisionBump:
    """The revision chosen, and the edit of the template that pins it."""

    choice: RevisionChoice
    edit: EditResult


def bump_revision(
    text: str,
    app: str,
    *,
    stage: str,
    charmhub: Charmhub | None,
    revision: int | None = None,
    stages: Sequence[str] | None = None,
    variables: Mapping[str, object] | None = None,
    path: str | None = None,
    policy: ReleasePolicy | None = None,
    spec: Spec | None = None,
) -> RevisionBump:
    """Pin ``app`` in the bundle template ``text`` at the revision :func:`choose_revision` picks.

    The edit is :func:`~lpsigning_mojo.bundle.set_revision`'s: only the
    characters of the value change, and every stage of ``stages`` is
    checked, with the release rules of ``policy``; with ``spec``, ``stages``
    and ``path`` default to its stages and its ``bundle.yaml``. Nothing is
    written; the caller writes ``edit.text`` (``edit.diff()`` shows the change).
    """
    if spec is not None and path is None:
        path = str(spec.bundle_path)
    _, bundle = render_bundle(Template.from_text(text, path=path), stage, variables)
    choice = choose_revision(bundle, app, stage=stage, charmhub=charmhub, revision=revision)
    edit = set_revision(
        text,
        app,
        choice.revision,
        stage=stage,
        stages=stages,
        variables=variables,
        path=path,
        policy=policy,
        spec=spec,
    )
    return RevisionBump(choice=choice, edit=edit)
