"""The Charmhub client against a stand-in server on 127.0.0.1, and its reading of the info API."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timezone

import pytest

from lpsigning_mojo._version import __version__
from lpsigning_mojo.charms import Base, Release
from lpsigning_mojo.errors import (
    CharmhubError,
    CharmhubResponseError,
    CharmhubUnavailableError,
    CharmNotFoundError,
    LpsigningMojoError,
    NoMatchingReleaseError,
)
from lpsigning_mojo.external.charmhub import DEFAULT_URL, CharmhubClient, releases_from_info
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins import data_json
from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn

TIMEOUT = 0.2


def client(server: CharmhubStandIn, *, retries: int = 2) -> tuple[CharmhubClient, FakeClock]:
    clock = FakeClock()
    return CharmhubClient(server.url, timeout=TIMEOUT, retries=retries, clock=clock), clock


# -- the client, against the stand-in -------------------------------------------------------


def test_channel_map_reads_every_entry(charmhub_server: CharmhubStandIn) -> None:
    hub, clock = client(charmhub_server)
    result = hub.channel_map("lp-signing")
    assert [(r.channel, r.base.channel, r.revision) for r in result] == [
        ("latest/edge", "22.04", 89),
        ("latest/edge", "24.04", 90),
        ("latest/beta", "22.04", 87),
        ("latest/stable", "22.04", 84),
    ]
    assert result[0] == Release(
        track="latest",
        risk="edge",
        channel="latest/edge",
        base=Base(name="ubuntu", channel="22.04", architecture="amd64"),
        revision=89,
        version="89",
        released_at=datetime(2026, 11, 24, 10, 41, 7, 211904, tzinfo=timezone.utc),
        created_at=datetime(2026, 11, 24, 10, 39, 55, 18200, tzinfo=timezone.utc),
    )
    assert charmhub_server.requests == [
        {
            "path": "/v2/charms/info/lp-signing",
            "query": "fields=channel-map",
            "user-agent": f"lpsigning-mojo/{__version__}",
        }
    ]
    assert clock.sleeps == []


def test_a_5xx_is_retried_after_a_backoff(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("500")
    hub, clock = client(charmhub_server)
    assert len(hub.channel_map("lp-signing")) == 4
    assert len(charmhub_server.requests) == 2
    assert clock.sleeps == [1.0]


def test_5xx_every_time_ends_in_a_clear_error(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("500", "500", "500")
    hub, clock = client(charmhub_server)
    with pytest.raises(CharmhubUnavailableError) as caught:
        hub.channel_map("lp-signing")
    assert str(caught.value).startswith(
        f"Cannot get {charmhub_server.url}/v2/charms/info/lp-signing?fields=channel-map: "
        "Charmhub answered HTTP 500 (tried 3 times). Check the network"
    )
    assert caught.value.url == hub.info_url("lp-signing")
    assert clock.sleeps == [1.0, 2.0]  # exponential backoff


def test_backoff_is_capped(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject(*["500"] * 5)
    clock = FakeClock()
    hub = CharmhubClient(charmhub_server.url, retries=5, backoff=1, max_backoff=3, clock=clock)
    assert len(hub.channel_map("lp-signing")) == 4
    assert clock.sleeps == [1, 2, 3, 3, 3]


def test_a_hang_past_the_timeout_is_retried(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("hang")
    hub, clock = client(charmhub_server)
    started = time.monotonic()
    assert len(hub.channel_map("lp-signing")) == 4
    # The socket timeout is the operating system's, so no fake clock reaches it. A hang
    # lasts until the stand-in closes (at teardown): the bound only tells the 0.2 s timeout
    # from a hang, with room for a loaded machine. The backoff is on the fake clock.
    assert time.monotonic() - started < 30
    assert len(charmhub_server.requests) == 2
    assert clock.sleeps == [1.0]


def test_hanging_every_time_ends_in_a_clear_error(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("hang", "hang")
    hub, clock = client(charmhub_server, retries=1)
    with pytest.raises(
        CharmhubUnavailableError, match=r"no complete answer within 0\.2 s \(tried 2 times\)"
    ):
        hub.channel_map("lp-signing")
    assert clock.sleeps == [1.0]


def test_a_dropped_connection_is_retried(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("reset")
    hub, clock = client(charmhub_server)
    assert len(hub.channel_map("lp-signing")) == 4
    assert clock.sleeps == [1.0]


def test_malformed_json_is_a_clear_error_and_not_retried(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("malformed")
    hub, clock = client(charmhub_server)
    with pytest.raises(CharmhubResponseError, match=r"HTTP 200 and something that is not JSON"):
        hub.channel_map("lp-signing")
    assert len(charmhub_server.requests) == 1
    assert clock.sleeps == []


def test_404_means_no_such_charm(charmhub_server: CharmhubStandIn) -> None:
    hub, clock = client(charmhub_server)
    with pytest.raises(CharmNotFoundError) as caught:
        hub.channel_map("lp-signnig")
    assert str(caught.value) == (
        "Charmhub has no charm named 'lp-signnig'. "
        "Check the spelling, or the charm's visibility if it is private."
    )
    assert caught.value.charm == "lp-signnig"
    assert len(charmhub_server.requests) == 1
    assert clock.sleeps == []


def test_an_error_list_is_reported(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("error-list")
    hub, _ = client(charmhub_server)
    with pytest.raises(
        CharmhubResponseError, match=r"\(HTTP 400\): invalid fields \(bad-request\)"
    ):
        hub.channel_map("lp-signing")
    assert len(charmhub_server.requests) == 1


def test_an_unreachable_host_is_a_clear_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clock = FakeClock()
    hub = CharmhubClient(f"http://127.0.0.1:{port}", timeout=TIMEOUT, retries=1, clock=clock)
    with pytest.raises(
        CharmhubUnavailableError, match=r"Charmhub refused the connection .*\(tried 2 times\)"
    ):
        hub.channel_map("lp-signing")
    assert clock.sleeps == [1.0]


def test_the_charm_name_is_quoted_in_the_url() -> None:
    hub = CharmhubClient("http://127.0.0.1:1/")
    assert hub.info_url("a/b c") == "http://127.0.0.1:1/v2/charms/info/a%2Fb%20c?fields=channel-map"


def test_base_url_comes_from_charmhub_url_then_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CharmhubClient().base_url == DEFAULT_URL
    monkeypatch.setenv("CHARMHUB_URL", "http://127.0.0.1:9/")
    assert CharmhubClient().base_url == "http://127.0.0.1:9"
    assert CharmhubClient("https://example.test").base_url == "https://example.test"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "api.charmhub.io", "http://"])
def test_a_base_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(CharmhubError, match="is not an http or https URL"):
        CharmhubClient(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1", "is not a valid URL (Invalid IPv6 URL)"),
        ("http://127.0.0.1:99999", "is not a valid URL (Port out of range 0-65535)"),
        ("http://127.0.0.1/\x1b[2J", "contains spaces or control characters"),
    ],
)
def test_a_base_url_that_does_not_parse_is_one_sentence(url: str, problem: str) -> None:
    with pytest.raises(CharmhubError) as caught:
        CharmhubClient(url)
    message = str(caught.value)
    assert problem in message
    assert "\x1b" not in message  # shown escaped, never sent to the terminal raw
    assert message.endswith(
        "Give a URL such as https://api.charmhub.io (--charmhub-url, or CHARMHUB_URL)."
    )


# -- reading the info API -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "no 'channel-map' list"),
        ({"channel-map": {}}, "no 'channel-map' list"),
        ({"channel-map": [{"channel": {}}]}, "cannot read"),
        ({"channel-map": ["x"]}, "cannot read"),
    ],
)
def test_a_channel_map_of_the_wrong_shape_is_a_clear_error(data: object, message: str) -> None:
    with pytest.raises(CharmhubResponseError, match=message):
        releases_from_info(data)


def test_a_revision_that_is_not_a_number_is_a_clear_error() -> None:
    data = data_json("charmhub-info-lp-signing.json")
    assert isinstance(data, dict)
    data["channel-map"][0]["revision"]["revision"] = "89"
    with pytest.raises(CharmhubResponseError, match="'89' is not an integer"):
        releases_from_info(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T10:41:07.2119Z", datetime(2026, 11, 24, 10, 41, 7, 211900, timezone.utc)),
        ("2026-11-24T10:41:07+00:00", datetime(2026, 11, 24, 10, 41, 7, tzinfo=timezone.utc)),
        (
            "2026-11-24T10:41:07.1234567+00:00",
            datetime(2026, 11, 24, 10, 41, 7, 123456, timezone.utc),
        ),
    ],
)
def test_timestamps_in_any_rfc3339_form_are_read(text: str, expected: datetime) -> None:
    data = data_json("charmhub-info-lp-signing.json")
    assert isinstance(data, dict)
    data["channel-map"][0]["channel"]["released-at"] = text
    assert releases_from_info(data)[0].released_at == expected


def test_a_timestamp_that_is_not_one_is_a_clear_error() -> None:
    data = data_json("charmhub-info-lp-signing.json")
    assert isinstance(data, dict)
    data["channel-map"][0]["revision"]["created-at"] = "yesterday"
    with pytest.raises(CharmhubResponseError, match=r"cannot read.*yesterday"):
        releases_from_info(data)


def test_a_branch_is_read_from_the_channel_name() -> None:
    data = data_json("charmhub-info-lp-signing.json")
    assert isinstance(data, dict)
    data["channel-map"][0]["channel"]["name"] = "latest/edge/fix-1"
    assert releases_from_info(data)[0].branch == "fix-1"


def test_every_charmhub_error_is_a_project_error() -> None:
    for error in (CharmhubUnavailableError, CharmNotFoundError, NoMatchingReleaseError):
        assert issubclass(error, LpsigningMojoError)
