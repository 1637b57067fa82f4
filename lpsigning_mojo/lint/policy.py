"""The release policy rules of bundle-lint: pins, production builds, secrets, promotion.

The rules themselves (their codes and fixes, and the functions that judge
values) live in :mod:`lpsigning_mojo.policy`, which the bundle edits and
the release gates call too; this module registers them in the catalogue and
turns their answers into problems at the nodes of a stage's rendered
bundle. The promotion order is checked across stages by the runner, with
:func:`lpsigning_mojo.policy.promotion_breaches`.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

import lpsigning_mojo.policy as rules
from lpsigning_mojo.bundle.overlay import AppView, BundleView, Entry, scalar
from lpsigning_mojo.lint.problems import Problem, StageContext, at_node
from lpsigning_mojo.lint.registry import Rule, Severity, register
from lpsigning_mojo.yamlnodes import BOOL_TAG


def _register(
    policy_rule: rules.Rule, *, severity: Severity, summary: str, description: str, example: str
) -> Rule:
    return register(
        policy_rule.code,
        policy_rule.name,
        severity=severity,
        summary=summary,
        description=description,
        fix=policy_rule.fix,
        example=example,
    )


__all__ = ["check_policy"]

REVISION_WITHOUT_CHANNEL = _register(
    rules.REVISION_WITHOUT_CHANNEL,
    severity="error",
    summary="A Charmhub charm has a ``revision`` but no ``channel``.",
    description="Juju deploys a pinned Charmhub revision only together with the channel it "
    "was released to, and refuses a revision alone.",
    example="applications:\n  nrpe:\n    charm: nrpe\n    revision: 125\n",
)
UNPINNED = _register(
    rules.UNPINNED,
    severity="error",
    summary="A Charmhub charm has no pinned ``revision``: an error in production stages, a "
    "warning in the others.",
    description="Without a revision, each deployment takes whatever is latest in the "
    "channel at that moment, so re-deploying the same spec can change the charm, and "
    "production can get a revision staging never ran. The severity is ``error`` in "
    "production stages (``production-stages`` in the configuration) and ``warning`` "
    "elsewhere; a severity override applies to every stage.",
    example="applications:\n  nrpe:\n    charm: nrpe\n    channel: latest/stable\n",
)
BUILD_LABEL = _register(
    rules.BUILD_LABEL,
    severity="error",
    summary="In production, ``build_label`` is not a full 40-character commit id.",
    description="``build_label`` names the lp-signing payload build the charm installs. "
    "Production must deploy exactly the commit that was tested, named in full (40 "
    "lower-case hex digits), never a branch name or an abbreviated id.",
    example=(
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        "    revision: 87\n    options:\n      build_label: 1f3c9a2\n"
    ),
)
LITERAL_SECRET = _register(
    rules.LITERAL_SECRET,
    severity="error",
    summary="An option that looks like a secret has a literal value in the spec.",
    description="Options whose name suggests a secret (password, secret, token, private "
    "key, API key, credentials) must not be written in the spec, whose history is public to "
    "everyone who can read it. Values computed by a ``{{ expression }}``, empty values and "
    "``include-file://`` references are allowed.",
    example=(
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        "    revision: 87\n    options:\n      db_password: hunter2\n"
    ),
)
PROMOTION_ORDER = _register(
    rules.PROMOTION,
    severity="error",
    summary="Production pins a newer charm revision than staging.",
    description="A revision reaches production only after staging has run it, so a later "
    "stage of ``promotion-order`` (by default staging, then production) never pins a "
    "higher revision of a charm than an earlier one.",
    example=(
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        '    revision: {{ 90 if stage_name == "production" else 87 }}\n'
    ),
)


CHARM_STORE = _register(
    rules.CHARM_STORE,
    severity="warning",
    summary="A charm comes from the charm store (``cs:``), which is closed.",
    description="The charm store was shut down; Juju can no longer deploy a ``cs:`` charm. "
    "The message names the Charmhub name to use (the store's namespace, series and revision "
    "have no meaning there). Local charms (``./{{ series }}/NAME``, which Mojo's "
    "``collect`` phase provides) are not affected.",
    example="applications:\n  nrpe:\n    charm: cs:~nrpe-charmers/bionic/nrpe-52\n",
)


def check_policy(view: BundleView, context: StageContext) -> Iterator[Problem]:
    """Pins, charm store charms, production builds and literal secrets, for one stage."""
    for app in view.applications.values():
        charm_entry = app.get("charm")
        charm = scalar(charm_entry)
        if charm is not None and charm_entry is not None:
            yield from _charm(app, charm, charm_entry, context)
        for option, entry in app.options.items():
            value = scalar(entry)
            if option == "build_label":
                breach = rules.build_label_breach(app.name, value, production=context.production)
            else:
                breach = rules.literal_secret_breach(app.name, option, value)
                if breach is not None and (  # asked last: where a value came from costs most
                    not isinstance(entry.value, yaml.ScalarNode)
                    or entry.value.tag == BOOL_TAG
                    or context.computed(entry.value)
                ):
                    breach = None
            if breach is not None:
                yield at_node(breach.rule.code, entry.value, breach.message)


def _charm(
    app: AppView, charm: str, charm_entry: Entry, context: StageContext
) -> Iterator[Problem]:
    name, revision = app.name, app.get("revision")
    pinned = revision is not None and not revision.null
    shown = (scalar(revision) or "...") if pinned else None
    breach = rules.revision_breach(name, charm, scalar(app.get("channel")), shown)
    if breach is not None and revision is not None:
        yield at_node(breach.rule.code, revision.value, breach.message)
    breach = rules.unpinned_breach(name, charm, shown)
    if breach is not None:
        severity: Severity = "error" if context.production else "warning"
        yield at_node(breach.rule.code, charm_entry.value, breach.message, severity=severity)
    breach = rules.charm_store_breach(name, charm)
    if breach is not None:
        yield at_node(breach.rule.code, charm_entry.value, breach.message)
