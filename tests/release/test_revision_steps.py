"""Library steps behind ``bundle set-revision``, ``bundle show`` and ``revisions``."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpsigning_mojo.bundle import Bundle, Template, render_bundle
from lpsigning_mojo.errors import ChannelError, CharmhubError, UsageError
from lpsigning_mojo.external.charmhub import Release, releases_from_info
from lpsigning_mojo.release.revisions import (
    bump_revision,
    choose_revision,
    revisions_report,
    stage_applications,
)
from lpsigning_mojo.testing import FakeCharmhub
from lpsigning_mojo.testing.standins import data_json
from tests.conftest import REPO_ROOT

BUNDLE = REPO_ROOT / "spec" / "lp-signing" / "bundle.yaml"
STAGES = ("production", "staging", "devel")


@pytest.fixture
def releases() -> tuple[Release, ...]:
    return releases_from_info(data_json("charmhub-info-lp-signing.json"))


def staging_bundle() -> Bundle:
    return render_bundle(Template.from_text(BUNDLE.read_text(), path="bundle.yaml"), "staging")[1]


def test_the_latest_is_chosen_where_the_bundle_deploys_from(
    releases: tuple[Release, ...],
) -> None:
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", releases)
    choice = choose_revision(staging_bundle(), "lp-signing", stage="staging", charmhub=hub)
    assert (choice.revision, choice.how) == (89, "latest")  # edge, ubuntu@22.04, not 24.04's 90
    assert choice.source is not None
    assert choice.source.describe() == "latest/edge for ubuntu@22.04 on amd64"
    hub.verify()


def test_a_revision_is_checked_unless_pinned_already_or_forced(
    releases: tuple[Release, ...],
) -> None:
    bundle = staging_bundle()
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", releases)
    chosen = choose_revision(bundle, "lp-signing", stage="staging", charmhub=hub, revision=89)
    assert chosen.how == "released"
    hub.expect_channel_map("lp-signing", releases)
    with pytest.raises(CharmhubError, match="revision 84 of lp-signing is not released to"):
        choose_revision(bundle, "lp-signing", stage="staging", charmhub=hub, revision=84)
    hub.verify()
    silent = FakeCharmhub()  # expects nothing: any call fails the test
    pinned = choose_revision(bundle, "lp-signing", stage="staging", charmhub=silent, revision=87)
    assert pinned.how == "pinned"
    forced = choose_revision(bundle, "lp-signing", stage="staging", charmhub=None, revision=84)
    assert (forced.revision, forced.how, forced.source) == (84, "unchecked", None)
    with pytest.raises(UsageError, match="choosing the latest revision needs Charmhub"):
        choose_revision(bundle, "lp-signing", stage="staging", charmhub=None)


def test_bump_revision_returns_the_edit_and_writes_nothing(
    releases: tuple[Release, ...], tmp_path: Path
) -> None:
    text = BUNDLE.read_text()
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", releases)
    bump = bump_revision(text, "lp-signing", stage="staging", stages=STAGES, charmhub=hub)
    assert bump.choice.revision == 89
    assert bump.edit.changed
    assert set(bump.edit.stages) == set(STAGES)  # one revision serves every stage
    _, bundle = render_bundle(Template.from_text(bump.edit.text), "production")
    assert bundle.application("lp-signing").revision == 89
    assert BUNDLE.read_text() == text
    hub.verify()


def test_revisions_report_filters_and_marks_pins(releases: tuple[Release, ...]) -> None:
    template = Template.from_text(BUNDLE.read_text().replace("revision: 87", "revision: 89"))
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", releases)
    report = revisions_report(
        hub, "lp-signing", channel="edge", base="jammy", template=template, stages=STAGES
    )
    assert report.to_json() == {
        "charm": "lp-signing",
        "releases": [
            {
                "channel": "latest/edge",
                "base": "ubuntu@22.04",
                "architecture": "amd64",
                "revision": 89,
                "version": releases[0].version,
                "released_at": releases[0].released_at.isoformat()
                if releases[0].released_at
                else None,
                "pinned_by": ["devel", "production", "staging"],
            }
        ],
        "pins": [
            {
                "stage": stage,
                "application": "lp-signing",
                "charm": "lp-signing",
                "channel": "latest/edge",
                "revision": 89,
            }
            for stage in STAGES
        ],
    }
    hub.expect_channel_map("lp-signing", releases)
    unfiltered = revisions_report(hub, "lp-signing")
    assert [r.release.revision for r in unfiltered.releases] == [89, 90, 87, 84]
    assert (unfiltered.pins, unfiltered.releases[0].pinned_by) == ((), ())
    hub.verify()


def test_a_bad_channel_is_refused_before_charmhub_is_asked() -> None:
    with pytest.raises(ChannelError):
        revisions_report(FakeCharmhub(), "lp-signing", channel="a/b/c/d")


def test_stage_applications_as_json() -> None:
    shown = stage_applications(
        staging_bundle(), stage="staging", mojo_stage="lp-signing/staging", path="b.yaml"
    )
    assert shown.to_json() == {
        "path": "b.yaml",
        "stage": "staging",
        "mojo_stage": "lp-signing/staging",
        "applications": [
            {
                "application": "lp-signing",
                "charm": "lp-signing",
                "channel": "latest/edge",
                "revision": 87,
                "num_units": 2,
                "build_label": None,
            },
            {
                "application": "nrpe",
                "charm": "nrpe",
                "channel": "latest/stable",
                "revision": 125,
                "num_units": None,
                "build_label": None,
            },
        ],
        "text": None,
    }
