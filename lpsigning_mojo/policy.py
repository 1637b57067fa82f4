"""Release rules over bundle values: pins, builds, secrets, promotion order.

Juju accepts a bundle that breaks any of these; the runbook does not. A
re-deployed bundle is reliable only when Charmhub revisions are pinned,
production deploys exactly the build committed in the spec (``build_label``
a full commit id), secrets reach the bundle only through Mojo's ``local=``
overlay, and a stage never pins a newer revision than the stage before it in
the promotion order.

The rules are pure functions of values. bundle-lint reports them
(:mod:`lpsigning_mojo.lint.policy` turns their answers into findings at
template positions), and the release steps and gates call them. Nothing here
reads a file or imports more than the standard library, so the lint hook
pays nothing for it.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol

    class Pinnable(Protocol):
        """An application as :func:`pins` reads it (the model's and lint's alike)."""

        @property
        def name(self) -> str: ...

        @property
        def charm(self) -> str | None: ...

        @property
        def channel(self) -> str | None: ...

        @property
        def revision(self) -> int | None: ...


__all__ = [
    "INCLUDE_PREFIXES",
    "PROMOTION_ORDER",
    "Pin",
    "ahead_message",
    "charm_name",
    "is_charmhub",
    "is_commit_id",
    "looks_secret",
    "pins",
    "promotion_breaches",
]

#: The stages in the order a revision must reach them: none ahead of the one before.
PROMOTION_ORDER: tuple[str, ...] = ("staging", "production")

#: Option values that name a file instead of holding its content (Juju reads the file).
INCLUDE_PREFIXES = ("include-file://", "include-base64://")

_COMMIT = re.compile(r"[0-9a-f]{40}\Z")
_SECRET = re.compile(
    r"password|passwd|passphrase|(^|[-_])pass([-_]|$)|secret|token|private[-_]?key|api[-_]?key"
    r"|credential|access[-_]?key|auth[-_]?key",
    re.IGNORECASE,
)


def charm_name(charm: str) -> str:
    """The Charmhub name of ``charm`` as a bundle writes it (``ch:nrpe`` is ``nrpe``)."""
    return charm.removeprefix("ch:")


def is_charmhub(charm: str) -> bool:
    """Whether ``charm`` names a charm on Charmhub (not a local path or the old store)."""
    return not charm.startswith((".", "/", "local:", "cs:", "~")) and "/" not in charm_name(charm)


def is_commit_id(build_label: str) -> bool:
    """Whether ``build_label`` is a full commit id: 40 lower-case hex digits, nothing else."""
    return _COMMIT.match(build_label) is not None


def looks_secret(option: str) -> bool:
    """Whether an option's name says it holds a secret (password, token, private key, ...)."""
    return _SECRET.search(option) is not None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Pin:
    """What one stage's bundle deploys for one application.

    ``charm`` is the Charmhub name (see :func:`charm_name`); ``revision``
    is ``None`` when the bundle does not pin one.
    """

    stage: str
    application: str
    charm: str
    channel: str | None
    revision: int | None


def pins(stage: str, applications: Iterable[Pinnable]) -> list[Pin]:
    """What ``stage`` pins: a :class:`Pin` for each application that names a charm."""
    return [
        Pin(
            stage=stage,
            application=application.name,
            charm=charm_name(application.charm),
            channel=application.channel,
            revision=application.revision,
        )
        for application in applications
        if application.charm
    ]


def promotion_breaches(
    stage_pins: Iterable[Pin], order: Sequence[str] = PROMOTION_ORDER
) -> list[tuple[Pin, Pin]]:
    """(earlier, later) for each application pinned newer in a stage than in the one before.

    Stages of ``order`` that pin nothing are skipped; an application is
    compared only with the same charm, and only where both stages pin a
    revision. :func:`ahead_message` says what is wrong with a pair.
    """
    by_stage: dict[str, dict[str, Pin]] = {}
    for pin in stage_pins:
        if pin.revision is not None:
            by_stage.setdefault(pin.stage, {})[pin.application] = pin
    stages = [stage for stage in order if stage in by_stage]
    found: list[tuple[Pin, Pin]] = []
    for earlier, later in itertools.pairwise(stages):
        for application, pin in sorted(by_stage[later].items()):
            before = by_stage[earlier].get(application)
            if (
                before is not None
                and before.charm == pin.charm
                and before.revision is not None
                and pin.revision is not None
                and pin.revision > before.revision
            ):
                found.append((before, pin))
    return found


def ahead_message(earlier: Pin, later: Pin) -> str:
    """The promotion rule ``later`` breaks, as one sentence (without the final stop)."""
    return (
        f"{later.application}: {later.stage} pins revision {later.revision} of "
        f"{later.charm}, newer than {earlier.stage}'s {earlier.revision}; "
        f"{later.stage} must never be ahead of {earlier.stage}"
    )
