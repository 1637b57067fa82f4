"""Channels, bases and releases: parsing them and choosing a revision, with no I/O."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpsigning_mojo.charms import (
    RISKS,
    Base,
    Channel,
    Release,
    latest_revision,
    matching_releases,
    parse_base,
    parse_channel,
    same_channel,
    was_released,
)
from lpsigning_mojo.errors import ChannelError, NoMatchingReleaseError
from lpsigning_mojo.external.charmhub import releases_from_info
from lpsigning_mojo.testing.standins import data_json


@pytest.fixture
def releases() -> tuple[Release, ...]:
    """The sample channel map: edge holds 89 (22.04) and 90 (24.04), beta 87, stable 84."""
    return releases_from_info(data_json("charmhub-info-lp-signing.json"))


# -- latest_revision and was_released -------------------------------------------------------


def test_latest_revision_in_a_channel(releases: tuple[Release, ...]) -> None:
    assert latest_revision(releases, track="latest", risk="edge") == 90
    assert latest_revision(releases, track="latest", risk="edge", base="ubuntu@22.04") == 89
    assert latest_revision(releases, track="latest", risk="edge", base="jammy") == 89
    noble = Base(name="ubuntu", channel="24.04", architecture="amd64")
    assert latest_revision(releases, track="latest", risk="edge", base=noble) == 90
    assert latest_revision(releases, track="latest", risk="stable", architecture="amd64") == 84


def test_latest_revision_says_what_exists_when_nothing_matches(
    releases: tuple[Release, ...],
) -> None:
    with pytest.raises(NoMatchingReleaseError) as caught:
        latest_revision(
            releases, track="latest", risk="edge", base="ubuntu@22.04", architecture="arm64"
        )
    assert str(caught.value) == (
        "No revision is released to latest/edge for ubuntu@22.04 on arm64; released: "
        "latest/beta for ubuntu@22.04 on amd64, latest/edge for ubuntu@22.04 on amd64, "
        "latest/edge for ubuntu@24.04 on amd64, latest/stable for ubuntu@22.04 on amd64."
    )
    with pytest.raises(NoMatchingReleaseError, match="released: none"):
        latest_revision((), track="latest", risk="edge")


def test_was_released(releases: tuple[Release, ...]) -> None:
    assert was_released(releases, 87, track="latest", risk="beta")
    assert not was_released(releases, 87, track="latest", risk="edge")
    assert was_released(releases, 90, track="latest", risk="edge", base="ubuntu@24.04")
    assert not was_released(releases, 90, track="latest", risk="edge", base="ubuntu@22.04")


# -- channels and bases ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("edge", Channel(track="latest", risk="edge")),
        ("latest/edge", Channel(track="latest", risk="edge")),
        ("2.0/stable", Channel(track="2.0", risk="stable")),
        ("2.0", Channel(track="2.0", risk="stable")),
        ("edge/hotfix", Channel(track="latest", risk="edge", branch="hotfix")),
        ("2.0/candidate/hotfix", Channel(track="2.0", risk="candidate", branch="hotfix")),
    ],
)
def test_parse_channel(text: str, expected: Channel) -> None:
    assert parse_channel(text) == expected


@pytest.mark.parametrize("text", ["", "latest/", "latest/unstable", "a/b/c/d", "/edge"])
def test_a_bad_channel_is_a_clear_error(text: str) -> None:
    with pytest.raises(ChannelError, match="Channel"):
        parse_channel(text)


@given(
    track=st.from_regex(r"[a-z0-9][a-z0-9.-]{0,8}", fullmatch=True).filter(
        lambda track: track not in RISKS
    ),
    risk=st.sampled_from(RISKS),
    branch=st.none() | st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True),
)
def test_channel_names_round_trip(track: str, risk: str, branch: str | None) -> None:
    channel = Channel(track=track, risk=risk, branch=branch)
    assert parse_channel(channel.name) == channel


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ubuntu@22.04", Base(name="ubuntu", channel="22.04")),
        ("ubuntu@24.04/stable", Base(name="ubuntu", channel="24.04")),
        ("jammy", Base(name="ubuntu", channel="22.04")),
    ],
)
def test_parse_base(text: str, expected: Base) -> None:
    assert parse_base(text) == expected


@pytest.mark.parametrize("text", ["ubuntu", "@22.04", "ubuntu@", "wobbly"])
def test_a_bad_base_is_a_clear_error(text: str) -> None:
    with pytest.raises(ChannelError, match="Base"):
        parse_base(text)


def test_matching_releases_narrows_by_base_and_architecture(
    releases: tuple[Release, ...],
) -> None:
    edge = matching_releases(releases, track="latest", risk="edge")
    assert [r.revision for r in edge] == [89, 90]
    assert [
        r.revision for r in matching_releases(releases, track="latest", risk="edge", base="noble")
    ] == [90]
    on_arm = Base(name="ubuntu", channel="22.04", architecture="arm64")
    assert matching_releases(releases, track="latest", risk="edge", base=on_arm) == []


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("edge", "latest/edge", True),
        ("latest/edge", "latest/edge", True),
        ("2.0", "2.0/stable", True),
        ("edge", "beta", False),
        ("edge/hotfix", "latest/edge", False),
        ("a/b/c/d", "a/b/c/d", True),  # names that do not parse match only themselves
        ("a/b/c/d", "latest/edge", False),
        (None, "latest/edge", False),
        (None, None, False),
    ],
)
def test_same_channel(a: str | None, b: str | None, same: bool) -> None:
    assert same_channel(a, b) is same
    assert same_channel(b, a) is same


def test_was_released_and_str_honour_the_architecture(releases: tuple[Release, ...]) -> None:
    assert was_released(releases, 89, track="latest", risk="edge", architecture="amd64")
    assert not was_released(releases, 89, track="latest", risk="edge", architecture="arm64")
    assert str(Base(name="ubuntu", channel="22.04")) == "ubuntu@22.04"
    assert str(Base(name="ubuntu", channel="22.04", architecture="s390x")) == (
        "ubuntu@22.04 on s390x"
    )


def test_a_bad_risk_is_refused_naming_the_risks_there_are() -> None:
    with pytest.raises(ChannelError) as caught:
        parse_channel("latest/bleeding")
    assert str(caught.value).startswith(
        "Channel 'latest/bleeding' has risk 'bleeding'; the risk must be one of "
        "stable, candidate, beta, edge"
    )
