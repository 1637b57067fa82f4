"""Release rules over bundle values: pins, builds, secrets, promotion order.

Juju accepts a bundle that breaks any of these; the runbook does not. A
re-deployed bundle is reliable only when Charmhub revisions are pinned (with
their channel), production deploys exactly the build committed in the spec
(``build_label`` a full commit id), secrets reach the bundle only through
Mojo's ``local=`` overlay, a stage never pins a newer revision than the
stage before it in the promotion order, and charms come from Charmhub, not
the closed charm store.

The rules are pure functions of values, each with its rule (:class:`Rule`:
the code bundle-lint reports it under, and how to fix it). bundle-lint
reports them (:mod:`lpsigning_mojo.lint.policy` registers the rules and
turns the answers into findings at template positions), the bundle edits
refuse to write a value that breaks one (:mod:`lpsigning_mojo.bundle.edit`),
and the release steps and gates call them. Nothing here reads a file or
imports more than the standard library, so the lint hook pays nothing for it.
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
    "BUILD_LABEL",
    "CHARM_STORE",
    "INCLUDE_PREFIXES",
    "LITERAL_SECRET",
    "PRODUCTION_STAGES",
    "PROMOTION",
    "PROMOTION_ORDER",
    "REVISION_WITHOUT_CHANNEL",
    "RULES",
    "UNPINNED",
    "Breach",
    "Pin",
    "ReleasePolicy",
    "Rule",
    "ahead_message",
    "build_label_breach",
    "charm_name",
    "charm_store_breach",
    "charm_store_name",
    "is_charmhub",
    "is_commit_id",
    "literal_secret_breach",
    "looks_secret",
    "pins",
    "promotion_breaches",
    "release_build_label",
    "revision_breach",
    "unpinned_breach",
]

#: The stages in the order a revision must reach them: none ahead of the one before.
PROMOTION_ORDER: tuple[str, ...] = ("staging", "production")
#: The stages (short names) held to production's rules, unless configured otherwise.
PRODUCTION_STAGES: tuple[str, ...] = ("production",)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Rule:
    """A release rule: the code bundle-lint reports it under, its name, and how to fix it.

    The catalogue entry (summary, description, example) is registered with
    these in :mod:`lpsigning_mojo.lint.policy`.
    """

    code: str
    name: str
    fix: str

    @property
    def hint(self) -> str:
        """The fix as plain text, for a message (the catalogue's markup removed)."""
        return self.fix.replace("``", "")


REVISION_WITHOUT_CHANNEL = Rule(
    code="LSM201",
    name="revision-without-channel",
    fix="Add the ``channel`` the revision was released to (``latest/edge``, ...).",
)
UNPINNED = Rule(
    code="LSM202",
    name="unpinned-revision",
    fix="Pin the revision that was tested: ``lpsigning-mojo bundle set-revision``.",
)
BUILD_LABEL = Rule(
    code="LSM203",
    name="build-label-not-commit",
    fix="Set the full commit id: ``git rev-parse COMMIT`` in lp-signing.",
)
LITERAL_SECRET = Rule(
    code="LSM204",
    name="literal-secret",
    fix="Move the value to the secrets overlay on the bastion "
    "(``$MOJO_ROOT/LOCAL/$MOJO_PROJECT/$MOJO_STAGE/``), which the manifest's "
    "``bundle ... local=`` applies; a secret once committed stays in the history, so rotate "
    "it.",
)
PROMOTION = Rule(
    code="LSM205",
    name="promotion-order",
    fix="Deploy the revision to staging first (raise staging's revision), or lower production's.",
)
CHARM_STORE = Rule(
    code="LSM206",
    name="charm-store-url",
    fix="Deploy the charm from Charmhub: ``charm: NAME`` with the ``channel`` and "
    "``revision`` released there (``lpsigning-mojo revisions NAME``).",
)


#: Every release rule, in code order.
RULES: tuple[Rule, ...] = (
    REVISION_WITHOUT_CHANNEL,
    UNPINNED,
    BUILD_LABEL,
    LITERAL_SECRET,
    PROMOTION,
    CHARM_STORE,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Breach:
    """A release rule broken by one value: the rule, and what is wrong, as one sentence."""

    rule: Rule
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReleasePolicy:
    """How strictly the rules apply: the configurable part, shared by lint and the edits.

    ``production_stages`` are held to production's rules; ``promotion_order``
    is the order revisions reach stages in; rules whose codes are in
    ``waived`` are not enforced (the lint configuration ignores them, or
    makes them warnings).
    """

    production_stages: tuple[str, ...] = PRODUCTION_STAGES
    promotion_order: tuple[str, ...] = PROMOTION_ORDER
    waived: frozenset[str] = frozenset()

    def production(self, stage: str) -> bool:
        """Whether ``stage`` (a short name) is held to production's rules."""
        return stage in self.production_stages

    def enforces(self, rule: Rule) -> bool:
        """Whether breaking ``rule`` is refused."""
        return rule.code not in self.waived


#: Option values that name a file instead of holding its content (Juju reads the file).
INCLUDE_PREFIXES = ("include-file://", "include-base64://")

_COMMIT = re.compile(r"[0-9a-f]{40}\Z")
_STORE_REVISION = re.compile(r"-[0-9]+\Z")
_SECRET = re.compile(
    r"password|passwd|passphrase|(^|[-_])pass([-_]|$)|secret|token|private[-_]?key|api[-_]?key"
    r"|credential|access[-_]?key|auth[-_]?key",
    re.IGNORECASE,
)


def charm_store_name(charm: str) -> str | None:
    """The Charmhub name of a charm store URL, ``None`` when ``charm`` is not one.

    ``cs:~team/bionic/nrpe-52`` and ``cs:nrpe`` both give ``nrpe``: the
    namespace, series and store revision have no meaning on Charmhub.
    """
    if not charm.startswith("cs:"):
        return None
    name = charm.removeprefix("cs:").rsplit("/", 1)[-1]
    return _STORE_REVISION.sub("", name) or name


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

    def to_json(self) -> dict[str, object]:
        """``stage``, ``application``, ``charm``, ``channel`` and ``revision``."""
        return dataclasses.asdict(self)


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


# -- the rules over one application's values ----------------------------------------


def revision_breach(
    application: str, charm: str | None, channel: str | None, revision: object
) -> Breach | None:
    """LSM201: a Charmhub charm pins ``revision`` (not ``None``) without a ``channel``."""
    if charm is None or not is_charmhub(charm) or revision is None or channel:
        return None
    return Breach(
        rule=REVISION_WITHOUT_CHANNEL,
        message=f"{application}: revision {revision} has no channel; Juju needs both",
    )


def unpinned_breach(application: str, charm: str | None, revision: object) -> Breach | None:
    """LSM202: a Charmhub charm pins no revision."""
    if charm is None or not is_charmhub(charm) or revision is not None:
        return None
    return Breach(
        rule=UNPINNED,
        message=f"{application}: Charmhub charm {charm!r} has no pinned revision",
    )


def _label(value: object) -> str | None:
    """A ``build_label`` value as text; ``None`` for no value, or one that is not a label."""
    if value is None or isinstance(value, (bool, float)) or not isinstance(value, (str, int)):
        return None
    return str(value)


def release_build_label(value: object, *, production: bool) -> bool:
    """Whether ``value`` names a build to release: a full commit id in production,
    any non-empty label elsewhere (staging sets its own on the bastion)."""
    label = _label(value)
    if label is None or not label.strip():
        return False
    return is_commit_id(label) if production else True


def build_label_breach(application: str, value: object, *, production: bool) -> Breach | None:
    """LSM203: in a production stage, ``build_label`` is not a full commit id."""
    if not production or value is None or release_build_label(value, production=True):
        return None
    return Breach(
        rule=BUILD_LABEL,
        message=f"{application}: build_label {_shown(value)!r} is not a full "
        "40-character lower-case commit id",
    )


def _shown(value: object) -> object:
    return value if isinstance(value, str) else str(value)


def literal_secret_breach(application: str, option: str, value: object) -> Breach | None:
    """LSM204: an option named like a secret holds a literal value in the spec.

    Empty values, booleans and ``include-file://`` references are allowed;
    whether a value was computed by the template is the caller's to say
    (such a value is not written in the spec).
    """
    if not looks_secret(option) or value is None or isinstance(value, bool):
        return None
    text = str(value)
    if not text or text.startswith(INCLUDE_PREFIXES):
        return None
    return Breach(
        rule=LITERAL_SECRET,
        message=f"{application}: option {option!r} looks like a secret and has a "
        "literal value; secrets belong in the local= overlay",
    )


def charm_store_breach(application: str, charm: str | None) -> Breach | None:
    """LSM206: the charm comes from the charm store, which is closed."""
    name = charm_store_name(charm) if charm else None
    if name is None:
        return None
    return Breach(
        rule=CHARM_STORE,
        message=f"{application}: charm {charm!r} is from the charm store, which is closed and "
        f"cannot be deployed from; use the Charmhub name {name!r}",
    )
