"""The release policy rules of bundle-lint: pins, production builds, secrets, promotion.

The rules themselves live in :mod:`lpsigning_mojo.policy`, which the release
gates call too; this module registers them with codes and turns their
answers into problems at the nodes of a stage's rendered bundle. The
promotion order is checked across stages by the runner, with
:func:`lpsigning_mojo.policy.promotion_breaches`.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from lpsigning_mojo.bundle.overlay import BundleView, scalar
from lpsigning_mojo.lint.problems import Problem, StageContext, at_node
from lpsigning_mojo.lint.registry import register
from lpsigning_mojo.policy import INCLUDE_PREFIXES, is_charmhub, is_commit_id, looks_secret
from lpsigning_mojo.yamlnodes import BOOL_TAG

__all__ = ["check_policy"]

REVISION_WITHOUT_CHANNEL = register(
    "LSM201",
    "revision-without-channel",
    severity="error",
    summary="A Charmhub charm has a ``revision`` but no ``channel``.",
    description="Juju deploys a pinned Charmhub revision only together with the channel it "
    "was released to, and refuses a revision alone.",
    fix="Add the ``channel`` the revision was released to (``latest/edge``, ...).",
    example="applications:\n  nrpe:\n    charm: nrpe\n    revision: 125\n",
)
UNPINNED = register(
    "LSM202",
    "unpinned-revision",
    severity="error",
    summary="A Charmhub charm has no pinned ``revision``: an error in production stages, a "
    "warning in the others.",
    description="Without a revision, each deployment takes whatever is latest in the "
    "channel at that moment, so re-deploying the same spec can change the charm, and "
    "production can get a revision staging never ran. The severity is ``error`` in "
    "production stages (``production-stages`` in the configuration) and ``warning`` "
    "elsewhere; a severity override applies to every stage.",
    fix="Pin the revision that was tested: ``lpsigning-mojo bundle set-revision``.",
    example="applications:\n  nrpe:\n    charm: nrpe\n    channel: latest/stable\n",
)
BUILD_LABEL = register(
    "LSM203",
    "build-label-not-commit",
    severity="error",
    summary="In production, ``build_label`` is not a full 40-character commit id.",
    description="``build_label`` names the lp-signing payload build the charm installs. "
    "Production must deploy exactly the commit that was tested, named in full (40 "
    "lower-case hex digits), never a branch name or an abbreviated id.",
    fix="Set the full commit id: ``git rev-parse COMMIT`` in lp-signing.",
    example=(
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        "    revision: 87\n    options:\n      build_label: 1f3c9a2\n"
    ),
)
LITERAL_SECRET = register(
    "LSM204",
    "literal-secret",
    severity="error",
    summary="An option that looks like a secret has a literal value in the spec.",
    description="Options whose name suggests a secret (password, secret, token, private "
    "key, API key, credentials) must not be written in the spec, whose history is public to "
    "everyone who can read it. Values computed by a ``{{ expression }}``, empty values and "
    "``include-file://`` references are allowed.",
    fix="Move the value to the secrets overlay on the bastion "
    "(``$MOJO_ROOT/LOCAL/$MOJO_PROJECT/$MOJO_STAGE/``), which the manifest's "
    "``bundle ... local=`` applies, and rotate the secret: it is in the history now.",
    example=(
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        "    revision: 87\n    options:\n      db_password: hunter2\n"
    ),
)
PROMOTION_ORDER = register(
    "LSM205",
    "promotion-order",
    severity="error",
    summary="Production pins a newer charm revision than staging.",
    description="A revision reaches production only after staging has run it, so a later "
    "stage of ``promotion-order`` (by default staging, then production) never pins a "
    "higher revision of a charm than an earlier one.",
    fix="Deploy the revision to staging first (raise staging's revision), or lower production's.",
    example=(
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        '    revision: {{ 90 if stage_name == "production" else 87 }}\n'
    ),
)


def check_policy(view: BundleView, context: StageContext) -> Iterator[Problem]:
    """Pins, production builds and literal secrets, for one stage."""
    for app in view.applications.values():
        charm_entry = app.get("charm")
        charm = scalar(charm_entry)
        if charm is not None and charm_entry is not None and is_charmhub(charm):
            revision = app.get("revision")
            pinned = revision is not None and not revision.null
            if pinned and revision is not None and scalar(app.get("channel")) is None:
                yield at_node(
                    REVISION_WITHOUT_CHANNEL.code,
                    revision.value,
                    f"{app.name}: revision {scalar(revision)} has no channel; Juju needs both",
                )
            if not pinned:
                yield at_node(
                    UNPINNED.code,
                    charm_entry.value,
                    f"{app.name}: Charmhub charm {charm!r} has no pinned revision",
                    severity="error" if context.production else "warning",
                )
        for option, entry in app.options.items():
            value = scalar(entry)
            if option == "build_label" and context.production and value is not None:
                if not is_commit_id(value):
                    yield at_node(
                        BUILD_LABEL.code,
                        entry.value,
                        f"{app.name}: build_label {value!r} is not a full "
                        "40-character lower-case commit id",
                    )
            elif (
                looks_secret(option)
                and value
                and not value.startswith(INCLUDE_PREFIXES)
                and isinstance(entry.value, yaml.ScalarNode)
                and entry.value.tag != BOOL_TAG
                and not context.computed(entry.value)
            ):
                yield at_node(
                    LITERAL_SECRET.code,
                    entry.value,
                    f"{app.name}: option {option!r} looks like a secret and has a "
                    "literal value; secrets belong in the local= overlay",
                )
