"""Charm channels, bases and releases: which revision a channel holds for a base.

Pure values and functions over them, with no I/O: a :class:`Channel`
(``latest/edge``, ``2.0/stable/hotfix``) and its risk order (:data:`RISKS`),
a :class:`Base` (``ubuntu@22.04``, or a series name such as ``jammy``), and
a :class:`Release` (one entry of a charm's channel map: a revision released
to a channel for a base). :func:`latest_revision` and :func:`was_released`
answer the questions the runbook asks of a channel map.

The channel map itself comes from :mod:`lpsigning_mojo.external.charmhub`
(or from :class:`lpsigning_mojo.testing.FakeCharmhub`), which turns
Charmhub's JSON into :class:`Release` values; release policy imports the
values from here, never from the adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from lpsigning_mojo.errors import ChannelError, NoMatchingReleaseError

__all__ = [
    "RISKS",
    "Base",
    "Channel",
    "Release",
    "latest_revision",
    "matching_releases",
    "parse_base",
    "parse_channel",
    "same_channel",
    "was_released",
]

#: Risk levels, safest first.
RISKS = ("stable", "candidate", "beta", "edge")
#: Ubuntu series names that bundles may still use instead of a base.
_SERIES = {
    "bionic": "18.04",
    "focal": "20.04",
    "jammy": "22.04",
    "noble": "24.04",
}


@attrs.frozen(kw_only=True)
class Base:
    """An OS base, as Charmhub and Juju 3 write it (``ubuntu@22.04``)."""

    name: str
    channel: str
    architecture: str | None = None

    def __str__(self) -> str:
        text = f"{self.name}@{self.channel}"
        return f"{text} on {self.architecture}" if self.architecture else text


@attrs.frozen(kw_only=True)
class Channel:
    """A channel: a track, a risk and an optional branch."""

    track: str
    risk: str
    branch: str | None = None

    @property
    def name(self) -> str:
        """The channel as Charmhub names it, e.g. ``latest/edge``."""
        parts = [self.track, self.risk] + ([self.branch] if self.branch else [])
        return "/".join(parts)


def parse_channel(text: str) -> Channel:
    """Parse ``edge``, ``latest/edge``, ``2.0`` (stable) or ``2.0/stable/hotfix``."""
    parts = text.strip().split("/")
    if not all(parts) or len(parts) > 3:
        raise ChannelError(f"Channel {text!r} is not of the form [TRACK/]RISK[/BRANCH]")
    if len(parts) == 1:  # RISK, or TRACK whose risk defaults to stable
        if parts[0] in RISKS:
            return Channel(track="latest", risk=parts[0])
        return Channel(track=parts[0], risk="stable")
    if parts[0] in RISKS and len(parts) == 2:  # RISK/BRANCH
        return Channel(track="latest", risk=parts[0], branch=parts[1])
    if parts[1] not in RISKS:
        raise ChannelError(
            f"Channel {text!r} has risk {parts[1]!r}; the risk must be one of {', '.join(RISKS)}"
        )
    return Channel(track=parts[0], risk=parts[1], branch=parts[2] if len(parts) == 3 else None)


def same_channel(a: str | None, b: str | None) -> bool:
    """Whether two channel names mean the same channel (``edge`` is ``latest/edge``).

    ``None`` matches nothing; names that do not parse match only themselves.
    """
    if a is None or b is None:
        return False
    try:
        first, second = parse_channel(a), parse_channel(b)
    except ChannelError:
        return a == b
    return first == second


def parse_base(text: str) -> Base:
    """Parse a base: ``ubuntu@22.04``, ``ubuntu@22.04/stable`` or a series name (``jammy``)."""
    value = text.strip()
    if "@" not in value:
        if value in _SERIES:
            return Base(name="ubuntu", channel=_SERIES[value])
        raise ChannelError(f"Base {text!r} is neither NAME@VERSION (ubuntu@22.04) nor a series")
    name, _, channel = value.partition("@")
    channel = channel.split("/")[0]
    if not name or not channel:
        raise ChannelError(f"Base {text!r} is not of the form NAME@VERSION, e.g. ubuntu@22.04")
    return Base(name=name, channel=channel)


@attrs.frozen(kw_only=True)
class Release:
    """One entry of a charm's channel map: a revision released to a channel for a base."""

    track: str
    risk: str
    branch: str | None = None
    channel: str
    base: Base
    revision: int
    version: str
    released_at: datetime | None = None
    created_at: datetime | None = None


def matching_releases(
    releases: Iterable[Release],
    *,
    track: str,
    risk: str,
    base: Base | str | None = None,
    architecture: str | None = None,
) -> list[Release]:
    """The releases in ``track``/``risk`` for ``base`` (name and version) and ``architecture``."""
    wanted = parse_base(base) if isinstance(base, str) else base
    if wanted is not None and wanted.architecture and architecture is None:
        architecture = wanted.architecture
    return [
        release
        for release in releases
        if release.track == track
        and release.risk == risk
        and (
            wanted is None
            or (release.base.name, release.base.channel) == (wanted.name, wanted.channel)
        )
        and (architecture is None or release.base.architecture == architecture)
    ]


def _describe(track: str, risk: str, base: Base | str | None, architecture: str | None) -> str:
    text = f"{track}/{risk}"
    if base is not None:
        text += f" for {base}"
    if architecture is not None:
        text += f" on {architecture}"
    return text


def latest_revision(
    releases: Sequence[Release],
    *,
    track: str,
    risk: str,
    base: Base | str | None = None,
    architecture: str | None = None,
) -> int:
    """The highest revision released to ``track``/``risk`` (for ``base`` and ``architecture``).

    Raises :class:`~lpsigning_mojo.errors.NoMatchingReleaseError`, listing the
    channels that do exist, when nothing matches.
    """
    found = matching_releases(
        releases, track=track, risk=risk, base=base, architecture=architecture
    )
    if found:
        return max(release.revision for release in found)
    available = sorted({f"{r.channel} for {r.base}" for r in releases}) or ["none"]
    raise NoMatchingReleaseError(
        f"No revision is released to {_describe(track, risk, base, architecture)}; "
        f"released: {', '.join(available)}"
    )


def was_released(
    releases: Sequence[Release],
    revision: int,
    *,
    track: str,
    risk: str,
    base: Base | str | None = None,
    architecture: str | None = None,
) -> bool:
    """Whether ``revision`` is released to ``track``/``risk`` (for ``base`` and ``architecture``).

    Charmhub's channel map lists what each channel holds *now*: a revision
    that a later release has replaced in that channel is not found.
    """
    return any(
        release.revision == revision
        for release in matching_releases(
            releases, track=track, risk=risk, base=base, architecture=architecture
        )
    )
