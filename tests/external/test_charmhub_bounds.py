"""The Charmhub client against a hostile stand-in: bounded time, bounded size, no wandering.

Waits between retries happen on the injected clock; the socket waits are
real, so the bounds are small and the limits on the time taken generous.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator

import pytest

from lpsigning_mojo.errors import CharmhubResponseError, CharmhubUnavailableError
from lpsigning_mojo.external.charmhub import MAX_BODY, CharmhubClient
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins.charmhub import ELSEWHERE, CharmhubStandIn

#: Generous: requests bounded at 0.5 s must end well within this on a loaded machine.
LIMIT = 10.0


class RealTimeClock(FakeClock):
    """Real monotonic time for the deadlines; sleeps recorded and skipped (they add to it)."""

    def monotonic(self) -> float:
        return time.monotonic() + self.now


def client(
    server: CharmhubStandIn, **options: object
) -> tuple[CharmhubClient, RealTimeClock, list[str]]:
    clock = RealTimeClock()
    said: list[str] = []
    settings: dict[str, object] = {"timeout": 0.5, "clock": clock, "progress": said.append}
    settings.update(options)
    return CharmhubClient(server.url, **settings), clock, said  # type: ignore[arg-type]


def test_a_server_sending_a_byte_at_a_time_is_cut_off_at_the_total_deadline(
    charmhub_server: CharmhubStandIn,
) -> None:
    charmhub_server.inject("trickle", "trickle", "trickle", "trickle")
    hub, clock, said = client(charmhub_server, retries=3, deadline=4.0)
    started = time.monotonic()
    with pytest.raises(CharmhubUnavailableError) as caught:
        hub.channel_map("lp-signing")
    assert time.monotonic() - started < LIMIT
    assert "no complete answer within 0.5 s" in str(caught.value)
    assert clock.sleeps  # it did retry, with backoff, on the clock
    assert said[0] == (
        "Asking Charmhub again in 1 s (attempt 2 of 4): no complete answer within 0.5 s."
    )


def test_the_last_try_says_its_time_to_a_tenth_of_a_second(
    charmhub_server: CharmhubStandIn,
) -> None:
    # The last try gets what is left of the deadline, once "within 6.97795 s".
    charmhub_server.inject("trickle", "trickle", "trickle", "trickle")
    hub, _, _ = client(charmhub_server, timeout=0.7, retries=3, deadline=1.9)
    with pytest.raises(CharmhubUnavailableError) as caught:
        hub.channel_map("lp-signing")
    assert re.search(r"no complete answer within \d+(\.\d)? s \(tried", str(caught.value))


@pytest.mark.parametrize("fault", ["endless", "endless-chunked"])
def test_an_endless_body_is_cut_off_at_the_size_limit_and_not_retried(
    charmhub_server: CharmhubStandIn, fault: str
) -> None:
    charmhub_server.inject(fault)
    hub, clock, said = client(charmhub_server, timeout=30.0)
    with pytest.raises(CharmhubResponseError) as caught:
        hub.channel_map("lp-signing")
    assert f"sent a body of more than {MAX_BODY} bytes; it was cut off there" in str(caught.value)
    assert len(charmhub_server.requests) == 1
    assert (clock.sleeps, said) == ([], [])


@contextlib.contextmanager
def listening_elsewhere(port: int) -> Iterator[socket.socket]:
    """A listener on ELSEWHERE:port, to show that nothing connects there."""
    with socket.socket() as listener:
        listener.bind((ELSEWHERE, port))
        listener.listen(1)
        listener.setblocking(False)
        yield listener


def test_a_redirect_to_another_host_is_not_followed(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("redirect-elsewhere")
    port = int(charmhub_server.url.rpartition(":")[2])
    hub, clock, _ = client(charmhub_server)
    with listening_elsewhere(port) as elsewhere:
        with pytest.raises(CharmhubResponseError) as caught:
            hub.channel_map("lp-signing")
        with pytest.raises(BlockingIOError):
            elsewhere.accept()  # nobody came
    assert str(caught.value) == (
        f"Charmhub: {hub.info_url('lp-signing')} redirected (HTTP 301) to "
        f"http://{ELSEWHERE}:{port}/v2/charms/info/lp-signing?fields=channel-map, which is "
        f"not on http://127.0.0.1:{port}; it was not followed. Use the URL the service is "
        "really served at."
    )
    assert len(charmhub_server.requests) == 1
    assert clock.sleeps == []


def test_a_redirect_to_ftp_is_refused_at_once(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("redirect-ftp")
    hub, clock, said = client(charmhub_server)
    started = time.monotonic()
    with pytest.raises(CharmhubResponseError, match=r"redirected \(HTTP 301\) to ftp://"):
        hub.channel_map("lp-signing")
    assert time.monotonic() - started < LIMIT
    assert len(charmhub_server.requests) == 1
    assert (clock.sleeps, said) == ([], [])  # nothing retried: no 47 s of waiting


def test_json_nested_too_deep_is_one_sentence(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("deep-json")
    hub, _, _ = client(charmhub_server)
    with pytest.raises(CharmhubResponseError) as caught:
        hub.channel_map("lp-signing")
    assert str(caught.value) == (
        f"Charmhub answered {hub.info_url('lp-signing')} with HTTP 200 and JSON nested more "
        "than 100 levels deep."
    )


def test_json_deep_but_within_pythons_limits_is_refused_too() -> None:
    """900 levels parse, but would crash any code that walks them recursively."""
    deep = b'{"channel-map": [{"channel": ' + b"[" * 900 + b"]" * 900 + b"}]}"
    with CharmhubStandIn(info=deep) as server:
        hub, _, _ = client(server)
        with pytest.raises(CharmhubResponseError, match="nested more than 100 levels deep"):
            hub.channel_map("lp-signing")


def test_all_retries_together_end_by_the_clients_deadline(
    charmhub_server: CharmhubStandIn,
) -> None:
    charmhub_server.inject(*["500"] * 10)
    clock = FakeClock()
    hub = CharmhubClient(
        charmhub_server.url, timeout=10, retries=10, backoff=1, deadline=5, clock=clock
    )
    with pytest.raises(CharmhubUnavailableError) as caught:
        hub.channel_map("lp-signing")
    assert clock.sleeps == [1, 2]  # waiting 4 s more would pass the 5 s allowed
    assert "(tried 3 times, within 5 s)" in str(caught.value)
    assert len(charmhub_server.requests) == 3


def test_each_retry_is_said_before_its_wait(charmhub_server: CharmhubStandIn) -> None:
    charmhub_server.inject("500", "reset")
    hub, _, said = client(charmhub_server)
    assert len(hub.channel_map("lp-signing")) == 4
    assert said[0] == "Asking Charmhub again in 1 s (attempt 2 of 4): Charmhub answered HTTP 500."
    assert said[1].startswith("Asking Charmhub again in 2 s (attempt 3 of 4): the connection")
    assert len(said) == 2
