"""Release policy: the rules bundle-lint reports and the release gates call."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle import Bundle
from lpsigning_mojo.lint.schema import build_view
from lpsigning_mojo.lint.source import compose_bundle
from lpsigning_mojo.policy import (
    BUILD_LABEL,
    CHARM_STORE,
    PRODUCTION_STAGES,
    PROMOTION_ORDER,
    REVISION_WITHOUT_CHANNEL,
    RULES,
    Breach,
    Pin,
    ReleasePolicy,
    ahead_message,
    build_label_breach,
    charm_name,
    charm_store_breach,
    charm_store_name,
    is_charmhub,
    is_commit_id,
    literal_secret_breach,
    looks_secret,
    pins,
    promotion_breaches,
    release_build_label,
    revision_breach,
    unpinned_breach,
)

BUNDLE = """\
applications:
  lp-signing:
    charm: ch:lp-signing
    channel: latest/edge
    revision: 87
  nrpe:
    charm: nrpe
    channel: latest/stable
  local:
    charm: ./charms/local
  subordinate: {}
"""


@pytest.mark.parametrize(
    ("charm", "name", "charmhub"),
    [
        ("nrpe", "nrpe", True),
        ("ch:nrpe", "nrpe", True),
        ("./charms/nrpe", "./charms/nrpe", False),
        ("/srv/nrpe", "/srv/nrpe", False),
        ("local:nrpe", "local:nrpe", False),
        ("cs:nrpe-12", "cs:nrpe-12", False),
        ("~me/nrpe", "~me/nrpe", False),
        ("ch:me/nrpe", "me/nrpe", False),
    ],
)
def test_charm_names(charm: str, name: str, charmhub: bool) -> None:
    assert charm_name(charm) == name
    assert is_charmhub(charm) is charmhub


@pytest.mark.parametrize(
    ("label", "commit"),
    [
        ("1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345", True),
        ("1f3c9a2", False),
        ("1F3C9A2B7D4E5F60718293A4B5C6D7E8F9012345", False),
        ("1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345\n", False),
        ("1f3c9a2b7d4e5f60718293a4b5c6d7e8f90123456", False),
        ("main", False),
    ],
)
def test_a_build_label_is_a_full_commit_id(label: str, commit: bool) -> None:
    assert is_commit_id(label) is commit


@pytest.mark.parametrize(
    ("option", "secret"),
    [
        ("db_password", True),
        ("API-Key", True),
        ("oauth_token", True),
        ("private_key", True),
        ("pass", True),
        ("passenger_count", False),
        ("compass", False),
        ("build_label", False),
    ],
)
def test_secret_looking_options(option: str, secret: bool) -> None:
    assert looks_secret(option) is secret


def test_model_and_linter_give_the_same_pins() -> None:
    from_model = pins("staging", Bundle.from_text(BUNDLE).applications.values())
    documents, _ = compose_bundle(BUNDLE)
    assert documents is not None
    view, _ = build_view(documents)
    assert view is not None
    assert pins("staging", view.applications.values()) == from_model
    assert from_model == [
        Pin(
            stage="staging",
            application="lp-signing",
            charm="lp-signing",
            channel="latest/edge",
            revision=87,
        ),
        Pin(
            stage="staging",
            application="nrpe",
            charm="nrpe",
            channel="latest/stable",
            revision=None,
        ),
        Pin(
            stage="staging",
            application="local",
            charm="./charms/local",
            channel=None,
            revision=None,
        ),
    ]


def pin(stage: str, revision: int | None, *, charm: str = "lp-signing", app: str = "lp") -> Pin:
    return Pin(stage=stage, application=app, charm=charm, channel="latest/edge", revision=revision)


def test_a_later_stage_may_not_be_ahead_of_an_earlier_one() -> None:
    breaches = promotion_breaches([pin("staging", 87), pin("production", 88)])
    assert [(earlier.revision, later.revision) for earlier, later in breaches] == [(87, 88)]
    assert ahead_message(*breaches[0]) == (
        "lp: production pins revision 88 of lp-signing, newer than staging's 87; "
        "production must never be ahead of staging"
    )


@pytest.mark.parametrize(
    "stage_pins",
    [
        [pin("staging", 88), pin("production", 88)],  # the same
        [pin("staging", 89), pin("production", 88)],  # behind
        [pin("staging", 87), pin("production", 88, charm="other")],  # another charm
        [pin("staging", 87), pin("production", 88, app="other")],  # another application
        [pin("staging", None), pin("production", 88)],  # staging pins nothing
        [pin("devel", 99), pin("production", 88)],  # devel is not in the order
    ],
)
def test_what_is_not_ahead(stage_pins: list[Pin]) -> None:
    assert promotion_breaches(stage_pins) == []


def test_the_order_skips_stages_that_pin_nothing() -> None:
    order = ("devel", *PROMOTION_ORDER)
    breaches = promotion_breaches([pin("devel", 80), pin("production", 88)], order)
    assert [(earlier.stage, later.stage) for earlier, later in breaches] == [
        ("devel", "production")
    ]


@pytest.mark.parametrize(
    ("charm", "name"),
    [
        ("cs:nrpe", "nrpe"),
        ("cs:nrpe-52", "nrpe"),
        ("cs:xenial/nrpe-52", "nrpe"),
        ("cs:~nrpe-charmers/bionic/nrpe-52", "nrpe"),
        ("cs:~team/postgresql-k8s", "postgresql-k8s"),
        ("nrpe", None),
        ("./jammy/nrpe", None),
        ("ch:nrpe", None),
    ],
)
def test_the_charmhub_name_of_a_charm_store_url(charm: str, name: str | None) -> None:
    assert charm_store_name(charm) == name
    breach = charm_store_breach("app", charm)
    assert (breach is None) is (name is None)
    if breach is not None:
        assert breach.rule is CHARM_STORE
        assert breach.message.endswith(f"use the Charmhub name {name!r}")


def test_the_rules_over_values() -> None:
    assert revision_breach("a", "nrpe", None, 3) == Breach(
        rule=REVISION_WITHOUT_CHANNEL, message="a: revision 3 has no channel; Juju needs both"
    )
    assert revision_breach("a", "nrpe", "latest/edge", 3) is None
    assert revision_breach("a", "./jammy/nrpe", None, 3) is None  # a local charm
    assert revision_breach("a", "nrpe", None, None) is None
    assert unpinned_breach("a", "nrpe", None) is not None
    assert unpinned_breach("a", "cs:nrpe", None) is None
    assert build_label_breach("a", "main", production=True) == Breach(
        rule=BUILD_LABEL,
        message="a: build_label 'main' is not a full 40-character lower-case commit id",
    )
    assert build_label_breach("a", "main", production=False) is None
    assert build_label_breach("a", None, production=True) is None  # not set: nothing to judge
    assert build_label_breach("a", "a" * 40, production=True) is None
    assert literal_secret_breach("a", "db_password", "hunter2") is not None
    for value in ("", "include-file://pw", "include-base64://cHc=", True, None):
        assert literal_secret_breach("a", "db_password", value) is None
    assert literal_secret_breach("a", "port", "8000") is None


@pytest.mark.parametrize(
    ("label", "production", "release"),
    [
        ("1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345", True, True),
        ("COMMIT", True, False),
        ("COMMIT", False, True),
        ("", False, False),
        ("  ", False, False),
        (None, False, False),
        (True, False, False),
        (1234567, False, True),
    ],
)
def test_a_build_label_a_release_may_set(label: object, production: bool, release: bool) -> None:
    assert release_build_label(label, production=production) is release


def test_the_release_policy_says_what_is_enforced() -> None:
    policy = ReleasePolicy(production_stages=("production", "qa"), waived=frozenset({"LSM203"}))
    assert policy.production("qa")
    assert not policy.production("staging")
    assert not policy.enforces(BUILD_LABEL)
    assert policy.enforces(REVISION_WITHOUT_CHANNEL)
    assert ReleasePolicy().production_stages == PRODUCTION_STAGES


def test_each_rule_is_registered_for_lint_with_its_code_name_and_fix() -> None:
    from lpsigning_mojo.lint import all_rules

    registered = all_rules()
    for policy_rule in RULES:
        lint_rule = registered[policy_rule.code]
        assert (lint_rule.name, lint_rule.fix) == (policy_rule.name, policy_rule.fix)
    assert BUILD_LABEL.hint == "Set the full commit id: git rev-parse COMMIT in lp-signing."


@pytest.mark.parametrize("charm", [".nrpe", "~nrpe", "local:nrpe", "cs:nrpe"])
def test_local_and_old_store_charms_without_a_slash_are_not_from_charmhub(charm: str) -> None:
    assert not is_charmhub(charm)
