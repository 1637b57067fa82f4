"""Edits and lint agree: an edit refuses, with the rule's code and fix, what bundle-lint rejects.

The edits apply the release rules that concern the changed value
(:mod:`lpsigning_mojo.policy`, the functions bundle-lint reports) to every
stage they change, before anything is written. The property tests lint the
result of the same edit made without the rules: lint finds the rule's problem
on the edited line exactly when the edit is refused.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpsigning_mojo.bundle import set_channel, set_option, set_revision
from lpsigning_mojo.errors import EditError
from lpsigning_mojo.lint import LintConfig, lint_paths
from lpsigning_mojo.policy import RULES, ReleasePolicy
from lpsigning_mojo.testing.strategies import templates

COMMIT = "0123456789abcdef0123456789abcdef01234567"
UNCHECKED = ReleasePolicy(waived=frozenset(rule.code for rule in RULES))

TEMPLATE = """\
applications:
  lp-signing:
    charm: lp-signing
    channel: latest/edge
    {%- if stage_name == "production" %}
    revision: 87
    {%- else %}
    revision: 89
    {%- endif %}
    options:
      {%- if stage_name == "production" %}
      build_label: 1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345
      {%- else %}
      build_label: a-local-build
      {%- endif %}
      port: 8000
  nrpe:
    charm: nrpe
    revision: 125
  local:
    charm: ./{{ series }}/local
"""


def test_a_production_build_label_must_be_a_full_commit_id() -> None:
    with pytest.raises(EditError) as refused:
        set_option(
            TEMPLATE, "lp-signing", "build_label", "COMMIT", stage="production", path="b.yaml"
        )
    assert str(refused.value) == (
        "b.yaml:12: setting lp-signing options.build_label to 'COMMIT' would break LSM203 "
        "(build-label-not-commit) in stage production: lp-signing: build_label 'COMMIT' is "
        "not a full 40-character lower-case commit id. Set the full commit id: git rev-parse "
        "COMMIT in lp-signing."
    )
    assert refused.value.line == 12
    assert (
        COMMIT in set_option(TEMPLATE, "lp-signing", "build_label", COMMIT, stage="production").text
    )
    # Elsewhere any label goes (staging sets its own on the bastion)...
    staged = set_option(TEMPLATE, "lp-signing", "build_label", "COMMIT", stage="staging")
    assert staged.stages == ("staging", "devel")
    # ...and a production stage is what the policy says it is.
    with pytest.raises(EditError, match="LSM203"):
        set_option(
            TEMPLATE,
            "lp-signing",
            "build_label",
            "COMMIT",
            stage="staging",
            policy=ReleasePolicy(production_stages=("production", "staging")),
        )


def test_a_revision_without_a_channel_is_refused_even_unchecked_by_charmhub() -> None:
    with pytest.raises(EditError) as refused:
        set_revision(TEMPLATE, "nrpe", 126, stage="staging")
    assert "would break LSM201 (revision-without-channel) in stages staging, production, devel" in (
        str(refused.value)
    )
    assert str(refused.value).endswith(
        "Add the channel the revision was released to (latest/edge, ...)."
    )
    # A local charm (collected by Mojo) is not on Charmhub and needs no channel.
    assert set_revision(TEMPLATE, "local", 3, stage="staging").changed


def test_no_stage_may_pin_a_revision_ahead_of_the_one_before_it() -> None:
    with pytest.raises(EditError) as refused:
        set_revision(TEMPLATE, "lp-signing", 90, stage="production")
    assert str(refused.value).startswith(
        "setting lp-signing revision to 90 would break LSM205 (promotion-order) in stage "
        "production: lp-signing: production pins revision 90 of lp-signing, newer than "
        "staging's 89; production must never be ahead of staging."
    )
    with pytest.raises(EditError, match="LSM205"):
        set_revision(TEMPLATE, "lp-signing", 80, stage="staging")  # staging behind production
    assert "revision: 89" in set_revision(TEMPLATE, "lp-signing", 89, stage="production").text
    assert "revision: 95" in set_revision(TEMPLATE, "lp-signing", 95, stage="staging").text
    reversed_order = ReleasePolicy(promotion_order=("production", "staging"))
    assert set_revision(TEMPLATE, "lp-signing", 80, stage="staging", policy=reversed_order).changed


def test_a_secret_is_never_written_into_the_spec() -> None:
    secret = r"LSM204 \(literal-secret\) in stages staging, production, devel"
    with pytest.raises(EditError, match=secret):
        set_option(TEMPLATE, "lp-signing", "db_password", "hunter2", stage="staging")
    for allowed in ("include-file://db-password", ""):
        assert set_option(TEMPLATE, "lp-signing", "db_password", allowed, stage="staging").changed


def test_a_waived_rule_is_not_enforced_and_a_channel_breaks_no_rule() -> None:
    lenient = ReleasePolicy(waived=frozenset({"LSM201"}))
    assert set_revision(TEMPLATE, "nrpe", 126, stage="staging", policy=lenient).changed
    assert set_channel(TEMPLATE, "nrpe", "latest/stable", stage="staging").changed


def _value_lines(result: Any) -> set[int]:
    # An insertion that creates ``options:`` puts the value on the line after ``result.line``.
    return {result.line, result.line + 1} if result.inserted else {result.line}


def _lint(text: str, variables: dict[str, object]) -> list[Any]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bundle.yaml"
        path.write_text(text, encoding="utf-8")
        return list(lint_paths([str(path)], config=LintConfig(variables=variables)).findings)


LABELS = st.one_of(
    st.just(COMMIT),
    st.text(alphabet="0123456789abcdefABC", min_size=1, max_size=41),
    st.sampled_from(["COMMIT", "main", COMMIT.upper(), COMMIT + "0"]),
)


@given(data=st.data())
def test_a_build_label_edit_is_refused_exactly_when_lint_rejects_its_result(data: Any) -> None:
    generated = data.draw(templates())
    chosen = data.draw(st.sampled_from(generated.apps))
    app = chosen.name
    stage = data.draw(st.sampled_from(chosen.stages))  # a stage that has the application
    label = data.draw(LABELS)
    arguments: dict[str, Any] = {"stage": stage, "variables": generated.variables}
    try:
        unchecked = set_option(
            generated.text, app, "build_label", label, policy=UNCHECKED, **arguments
        )
    except EditError:
        with pytest.raises(EditError):
            set_option(generated.text, app, "build_label", label, **arguments)
        return
    rejected = [
        finding
        for finding in _lint(unchecked.text, generated.variables)
        if finding.code == "LSM203"
        and finding.line in _value_lines(unchecked)
        and unchecked.changed
    ]
    if rejected:
        with pytest.raises(EditError, match="LSM203"):
            set_option(generated.text, app, "build_label", label, **arguments)
    else:
        assert set_option(generated.text, app, "build_label", label, **arguments) == unchecked


@given(data=st.data())
def test_a_revision_edit_is_refused_for_a_missing_channel_exactly_when_lint_says_so(
    data: Any,
) -> None:
    generated = data.draw(templates())
    chosen = data.draw(st.sampled_from(generated.apps))
    app = chosen.name
    stage = data.draw(st.sampled_from(chosen.stages))  # a stage that has the application
    revision = data.draw(st.integers(0, 1000))
    arguments: dict[str, Any] = {"stage": stage, "variables": generated.variables}
    lenient = ReleasePolicy(waived=frozenset({"LSM205"}))
    try:
        unchecked = set_revision(generated.text, app, revision, policy=UNCHECKED, **arguments)
    except EditError:
        with pytest.raises(EditError):
            set_revision(generated.text, app, revision, policy=lenient, **arguments)
        return
    rejected = [
        finding
        for finding in _lint(unchecked.text, generated.variables)
        if finding.code == "LSM201"
        and finding.line in _value_lines(unchecked)
        and unchecked.changed
    ]
    if rejected:
        with pytest.raises(EditError, match="LSM201"):
            set_revision(generated.text, app, revision, policy=lenient, **arguments)
    else:
        assert set_revision(generated.text, app, revision, policy=lenient, **arguments) == (
            unchecked
        )
