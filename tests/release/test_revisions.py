"""Which revision to pin: where an application deploys from, and what that channel holds now."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle import Bundle, Template
from lpsigning_mojo.charms import Release
from lpsigning_mojo.errors import BundleError, CharmhubError, EditError
from lpsigning_mojo.external.charmhub import releases_from_info
from lpsigning_mojo.policy import ReleasePolicy
from lpsigning_mojo.release.revisions import (
    bump_revision,
    check_released,
    choose_revision,
    revisions_report,
    source_of,
)
from lpsigning_mojo.testing import FakeCharmhub
from lpsigning_mojo.testing.standins import data_json

# The sample channel map: latest/edge holds 89 (ubuntu@22.04) and 90 (ubuntu@24.04),
# latest/beta 87 and latest/stable 84, all for amd64.
RELEASES: tuple[Release, ...] = releases_from_info(data_json("charmhub-info-lp-signing.json"))


def hub(times: int = 1) -> FakeCharmhub:
    fake = FakeCharmhub()
    for _ in range(times):
        fake.expect_channel_map("lp-signing", RELEASES)
    return fake


def bundle(**app: str) -> Bundle:
    fields = "".join(f"    {key.replace('_', '-')}: {value}\n" for key, value in app.items())
    return Bundle.from_text(f"applications:\n  lp-signing:\n    charm: lp-signing\n{fields}")


@pytest.mark.parametrize(
    ("constraints", "architecture"),
    [
        ("arch=arm64", "arm64"),
        ("cores=2 mem=4G arch=arm64", "arm64"),
        ("mem=4G", None),
        ("arch=", None),
        ("", None),
    ],
)
def test_the_architecture_comes_from_the_constraints(
    constraints: str, architecture: str | None
) -> None:
    app = bundle(channel="latest/edge", constraints=f"'{constraints}'")
    source = source_of(app, app.application("lp-signing"), stage="staging")
    assert source.architecture == architecture


def test_the_base_comes_from_the_application_then_the_bundle() -> None:
    app = bundle(channel="edge", base="ubuntu@24.04")
    assert source_of(app, app.application("lp-signing"), stage="s").describe() == (
        "latest/edge for ubuntu@24.04"
    )
    series = Bundle.from_text(
        "series: jammy\napplications:\n  lp-signing: {charm: lp-signing, channel: edge}\n"
    )
    assert source_of(series, series.application("lp-signing"), stage="s").describe() == (
        "latest/edge for ubuntu@22.04"
    )


def test_without_a_channel_or_a_charm_no_revision_can_be_chosen() -> None:
    app = bundle()
    with pytest.raises(EditError) as info:
        source_of(app, app.application("lp-signing"), stage="staging")
    assert info.value.message == (
        "lp-signing has no channel in stage staging, so no revision can be chosen from Charmhub"
    )
    assert info.value.hint == "set a channel first (Juju needs a channel with a pinned revision)"
    charmless = Bundle.from_text("applications:\n  x: {channel: edge}\n")
    with pytest.raises(BundleError, match="x has no charm in stage production"):
        source_of(charmless, charmless.application("x"), stage="production")


def test_a_revision_released_for_another_base_is_refused_saying_what_the_channel_holds() -> None:
    app = bundle(channel="latest/edge", base="ubuntu@22.04")
    source = source_of(app, app.application("lp-signing"), stage="staging")
    check_released(hub(), source, 89)
    with pytest.raises(CharmhubError) as info:
        check_released(hub(), source, 90)  # released to edge, but for 24.04
    assert info.value.message == (
        "revision 90 of lp-signing is not released to latest/edge for ubuntu@22.04 "
        "(it holds 89 now)"
    )
    assert info.value.hint == (
        "pick a released revision (lpsigning-mojo revisions), or pass --force if you "
        "know it was released there before; Charmhub lists only current releases"
    )


def test_a_revision_released_for_another_architecture_is_refused() -> None:
    app = bundle(channel="latest/edge", constraints="arch=arm64")
    source = source_of(app, app.application("lp-signing"), stage="staging")
    with pytest.raises(CharmhubError, match=r"on arm64 \(it holds nothing now\)"):
        check_released(hub(), source, 89)
    with pytest.raises(CharmhubError, match=r"^No revision is released to latest/edge on arm64;"):
        choose_revision(app, "lp-signing", stage="staging", charmhub=hub())


def test_every_choice_names_its_application_and_how_it_was_made() -> None:
    app = bundle(channel="latest/edge", revision="87", base="ubuntu@22.04")
    latest = choose_revision(app, "lp-signing", stage="staging", charmhub=hub())
    assert (latest.application, latest.revision, latest.how) == ("lp-signing", 89, "latest")
    released = choose_revision(app, "lp-signing", stage="staging", charmhub=hub(), revision=89)
    assert (released.application, released.revision, released.how) == (
        "lp-signing",
        89,
        "released",
    )
    assert released.source is not None
    assert released.source.describe() == "latest/edge for ubuntu@22.04"
    pinned = choose_revision(
        app, "lp-signing", stage="staging", charmhub=FakeCharmhub(), revision=87
    )
    assert (pinned.application, pinned.how, pinned.source) == ("lp-signing", "pinned", None)
    forced = choose_revision(app, "lp-signing", stage="staging", charmhub=None, revision=12)
    assert (forced.application, forced.revision, forced.how) == ("lp-signing", 12, "unchecked")


TEMPLATE = """\
applications:
  lp-signing:
    charm: lp-signing
    channel: {{ channel }}
    revision: 87
"""


def test_bump_revision_renders_and_edits_with_the_variables_given() -> None:
    bump = bump_revision(
        TEMPLATE,
        "lp-signing",
        stage="staging",
        charmhub=hub(),
        variables={"channel": "latest/beta"},
        stages=["staging"],
    )
    assert (bump.choice.revision, bump.choice.how) == (87, "latest")  # beta holds 87
    assert bump.edit.changed is False
    bump = bump_revision(
        TEMPLATE,
        "lp-signing",
        stage="staging",
        charmhub=hub(),
        variables={"channel": "latest/stable"},
        stages=["staging"],
    )
    assert (bump.choice.revision, bump.edit.changed) == (84, True)
    assert "revision: 84\n" in bump.edit.text


def test_the_report_marks_only_releases_pinned_with_the_same_revision_and_channel() -> None:
    template = Template.from_text(
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: {{ channel }}\n"
        '    revision: {{ 89 if stage_name == "staging" else 84 }}\n'
    )
    report = revisions_report(
        hub(),
        "lp-signing",
        template=template,
        stages=["staging", "production"],
        variables={"channel": "latest/edge"},
    )
    marked = {(r.release.channel, r.release.revision): r.pinned_by for r in report.releases}
    assert marked[("latest/edge", 89)] == ("staging",)
    assert marked[("latest/edge", 90)] == ()
    assert marked[("latest/stable", 84)] == ()  # production pins 84, but from edge
    assert [(p.stage, p.channel, p.revision) for p in report.pins] == [
        ("staging", "latest/edge", 89),
        ("production", "latest/edge", 84),
    ]
    assert revisions_report(hub(), "lp-signing").pins == ()


def test_bump_revision_pins_a_revision_asked_for_once_charmhub_holds_it() -> None:
    bump = bump_revision(
        TEMPLATE,
        "lp-signing",
        stage="staging",
        charmhub=hub(),
        revision=90,
        variables={"channel": "latest/edge"},
        stages=["staging"],
    )
    assert bump.choice.to_json() == {
        "application": "lp-signing",
        "revision": 90,
        "how": "released",
        "source": {
            "charm": "lp-signing",
            "channel": "latest/edge",
            "base": None,
            "architecture": None,
        },
    }
    assert bump.edit.text == TEMPLATE.replace("revision: 87", "revision: 90")


def test_a_choice_and_its_source_as_json_name_base_and_architecture() -> None:
    app = bundle(channel="latest/edge", base="ubuntu@22.04", constraints="arch=amd64")
    choice = choose_revision(app, "lp-signing", stage="staging", charmhub=hub())
    assert choice.to_json() == {
        "application": "lp-signing",
        "revision": 89,
        "how": "latest",
        "source": {
            "charm": "lp-signing",
            "channel": "latest/edge",
            "base": "ubuntu@22.04",
            "architecture": "amd64",
        },
    }
    unchecked = choose_revision(app, "lp-signing", stage="staging", charmhub=None, revision=3)
    assert unchecked.to_json() == {
        "application": "lp-signing",
        "revision": 3,
        "how": "unchecked",
        "source": None,
    }


def test_bump_revision_errors_name_the_template() -> None:
    with pytest.raises(BundleError) as info:
        bump_revision(
            "applications: {x: {{ nope }}}\n",
            "x",
            stage="staging",
            charmhub=None,
            revision=3,
            path="spec/x/bundle.yaml",
        )
    assert str(info.value) == (
        "spec/x/bundle.yaml:1: undefined template variable: 'nope' is undefined. Define it "
        "(Mojo passes stage_name, series and local_dir) or guard its use."
    )


PER_STAGE = """\
applications:
  lp-signing:
    charm: lp-signing
    channel: latest/edge
{%- if stage_name == "production" %}
    revision: 80
{%- else %}
    revision: 87
{%- endif %}
"""


def test_bump_revision_checks_the_stages_given_with_the_policy_given() -> None:
    def bump(stages: list[str], policy: ReleasePolicy | None = None) -> str:
        return bump_revision(
            PER_STAGE,
            "lp-signing",
            stage="production",
            charmhub=None,
            revision=90,
            stages=stages,
            path="bundle.yaml",
            policy=policy,
        ).edit.text

    ahead = PER_STAGE.replace("revision: 80", "revision: 90")
    with pytest.raises(EditError, match=r"would break LSM205 \(promotion-order\) in stage "):
        bump(stages=["staging", "production"])
    assert bump(stages=["production"]) == ahead  # staging is not checked
    waived = ReleasePolicy(waived=frozenset({"LSM205"}))
    assert bump(stages=["staging", "production"], policy=waived) == ahead
