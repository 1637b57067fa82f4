"""Charm revisions: what Charmhub offers, and what each stage of the spec pins.

The runbook says: use ``juju info lp-signing`` to see which revisions are
available and set ``revision`` to the right one, usually the latest. Here
the channel and base come from the bundle itself, as rendered for a stage,
so the revision chosen is one released where that stage deploys from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from lpsigning_mojo.bundle import Application, Bundle, Template, render_bundle
from lpsigning_mojo.errors import BundleError, CharmhubError, EditError
from lpsigning_mojo.external.charmhub import (
    Base,
    Charmhub,
    Release,
    latest_revision,
    matching_releases,
    parse_base,
    parse_channel,
    same_channel,
)
from lpsigning_mojo.policy import Pin, charm_name
from lpsigning_mojo.policy import pins as application_pins

__all__ = [
    "Source",
    "check_released",
    "latest_for",
    "pinned_by",
    "pins",
    "source_of",
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


def _releases(charmhub: Charmhub, source: Source) -> list[Release]:
    return matching_releases(
        charmhub.channel_map(source.charm),
        track=source.track,
        risk=source.risk,
        base=source.base,
        architecture=source.architecture,
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
    found = _releases(charmhub, source)
    if any(release.revision == revision for release in found):
        return
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
