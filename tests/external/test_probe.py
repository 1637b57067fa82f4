"""The health probe against the lp-signing stand-in, and the wait on a fake clock."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from lpsigning_mojo.errors import ProbeTimeoutError, ServiceUnhealthyError, UsageError
from lpsigning_mojo.external.probe import (
    HealthProbe,
    ProbeResult,
    ServiceKeyProbe,
    service_key_url,
    wait_until_healthy,
)
from lpsigning_mojo.testing import FakeClock, FakeHealthProbe, UnexpectedCallError
from lpsigning_mojo.testing.standins.lpsigning import DEFAULT_KEY, MODES, LpSigningStandIn


@pytest.fixture
def service() -> Iterator[LpSigningStandIn]:
    with LpSigningStandIn(slow_seconds=10) as standin:
        yield standin
    assert not standin.errors


def probe(timeout: float = 2.0) -> ServiceKeyProbe:
    return ServiceKeyProbe(timeout=timeout)


# -- one check ---------------------------------------------------------------------------------


def test_a_healthy_service_answers_its_key(service: LpSigningStandIn) -> None:
    result = probe().check(service.url)
    assert result == ProbeResult(
        url=f"{service.url}service-key",
        healthy=True,
        reason="HTTP 200 with a service key",
        status=200,
        service_key=DEFAULT_KEY,
    )


@pytest.mark.parametrize(
    ("mode", "reason", "status"),  # "{url}" stands for the URL probed
    [
        ("500", "HTTP 500 Internal Server Error", 500),
        (
            "bad-json",
            "HTTP 200 with a body that is not JSON: b'<html>Service Unavailable</html>'",
            200,
        ),
        (
            "empty-key",
            "HTTP 200 without a non-empty 'service-key' string: b'{\"service-key\": \"\"}'",
            200,
        ),
        (
            "reset",
            "the connection to {url} failed (Remote end closed connection without response)",
            None,
        ),
    ],
)
def test_an_unhealthy_service_is_reported_with_what_was_seen(
    service: LpSigningStandIn, mode: str, reason: str, status: int | None
) -> None:
    service.mode = mode
    result = probe().check(service.url)
    url = f"{service.url}service-key"
    assert (result.healthy, result.terminal) == (False, False)
    assert (result.reason, result.status) == (reason.replace("{url}", url), status)


def test_a_slow_service_costs_the_timeout_and_no_more(service: LpSigningStandIn) -> None:
    service.mode = "slow"
    started = time.monotonic()
    result = probe(timeout=0.3).check(service.url)
    assert time.monotonic() - started < 1.5
    assert result.reason == f"{service.url}service-key sent no complete answer within 0.3 s"
    assert not result.healthy
    assert not result.terminal


def test_a_redirect_off_the_host_is_a_terminal_failure(service: LpSigningStandIn) -> None:
    service.mode = "redirect-off-host"
    result = probe().check(service.url)
    assert (result.healthy, result.terminal) == (False, True)
    assert f"to http://127.0.0.2:{service.port}/service-key" in result.reason
    assert "it was not followed" in result.reason


def test_a_redirect_on_the_same_host_is_followed(service: LpSigningStandIn) -> None:
    service.mode = "redirect-same-host"
    assert probe().check(service.url).healthy
    assert service.requests == [("GET", "/service-key"), ("GET", "/service-key")]


def test_a_stopped_service_refuses_the_connection(service: LpSigningStandIn) -> None:
    url = service.url
    service.close()
    result = probe().check(url)
    assert not result.healthy
    assert not result.terminal
    assert "refused the connection" in result.reason


@pytest.mark.parametrize("url", ["ftp://signing.internal/", "http://[::1", "signing.internal"])
def test_an_unusable_url_is_terminal_and_sends_nothing(url: str) -> None:
    result = probe().check(url)
    assert (result.healthy, result.terminal, result.status) == (False, True, None)


def test_the_probe_only_ever_asks_get_service_key(service: LpSigningStandIn) -> None:
    for mode in MODES:
        service.mode = mode
        probe(timeout=0.2).check(service.url.rstrip("/"))
    assert service.nonce_requests == 0
    assert {method for method, _ in service.requests} == {"GET"}
    assert {path for _, path in service.requests} == {"/service-key"}


def test_the_mode_can_change_while_the_service_runs(service: LpSigningStandIn) -> None:
    checker = probe()
    service.queue("500", "empty-key")
    assert [checker.check(service.url).status for _ in range(3)] == [500, 200, 200]
    service.mode = "500"
    assert not checker.check(service.url).healthy


def test_service_key_url_keeps_a_path_prefix() -> None:
    assert service_key_url("http://h:8000") == "http://h:8000/service-key"
    assert service_key_url("http://h:8000/signing/") == "http://h:8000/signing/service-key"


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(UsageError, match="must be positive"):
        ServiceKeyProbe(timeout=0)


# -- waiting, against the stand-in -------------------------------------------------------------


def test_the_wait_needs_three_healthy_answers_in_a_row(service: LpSigningStandIn) -> None:
    service.queue("500", "healthy", "healthy", "bad-json", "healthy", "healthy")
    clock = FakeClock()
    done = wait_until_healthy(probe(), service.url, clock=clock, delay=5, timeout=300)
    assert (done.attempts, done.elapsed, done.last.healthy) == (7, 30.0, True)
    assert clock.sleeps == [5.0] * 6


def test_the_wait_ends_healthy_once_the_service_recovers(service: LpSigningStandIn) -> None:
    service.mode = "500"

    def deploy_finishes(_: float) -> None:
        if clock.now >= 60:
            service.mode = "healthy"

    clock = FakeClock(on_sleep=deploy_finishes)
    done = wait_until_healthy(probe(), service.url, clock=clock, delay=10, timeout=300)
    assert done.elapsed == 80.0  # healthy at 60, 70 and 80 s
    assert done.attempts == 9


def test_the_wait_times_out_with_the_last_reason(service: LpSigningStandIn) -> None:
    service.mode = "empty-key"
    clock = FakeClock()
    with pytest.raises(ProbeTimeoutError) as caught:
        wait_until_healthy(probe(), service.url, clock=clock, delay=10, timeout=25)
    assert str(caught.value) == (
        f"The service at {service.url} was not healthy 3 times in a row within 25 s (4 checks); "
        "the last check saw: HTTP 200 without a non-empty 'service-key' string: "
        'b\'{"service-key": ""}\'. Look at the service\'s units (juju status) and its logs.'
    )
    assert clock.sleeps == [10, 10, 5]  # the last sleep stops at the deadline
    assert (caught.value.attempts, caught.value.elapsed) == (4, 25.0)


def test_a_terminal_failure_ends_the_wait_at_once(service: LpSigningStandIn) -> None:
    service.mode = "redirect-off-host"
    clock = FakeClock()
    with pytest.raises(ServiceUnhealthyError) as caught:
        wait_until_healthy(probe(), service.url, clock=clock)
    assert clock.sleeps == []
    assert caught.value.attempts == 1
    assert str(caught.value).endswith("Waiting will not change this; check the instance's URL.")


# -- waiting, with the strict fake -------------------------------------------------------------


URL = "http://staging.signing.lp.internal:8000/"


def test_one_success_is_enough_when_asked_for_one() -> None:
    fake = FakeHealthProbe()
    fake.expect_check(URL, healthy=True)
    assert wait_until_healthy(fake, URL, clock=FakeClock(), successes=1).attempts == 1
    fake.verify()


def test_a_failure_resets_the_count() -> None:
    fake = FakeHealthProbe()
    fake.expect_check(URL, healthy=True, times=2)
    fake.expect_check(URL, healthy=False, reason="HTTP 502 Bad Gateway")
    fake.expect_check(URL, healthy=True, times=3)
    clock = FakeClock()
    assert wait_until_healthy(fake, URL, clock=clock, delay=2).attempts == 6
    assert clock.sleeps == [2.0] * 5
    fake.verify()


def test_with_no_time_left_a_single_check_decides() -> None:
    fake = FakeHealthProbe()
    fake.expect_check(URL, healthy=False, reason="HTTP 503 Service Unavailable")
    with pytest.raises(ProbeTimeoutError, match="was not healthy once within 0 s"):
        wait_until_healthy(fake, URL, clock=FakeClock(), timeout=0, successes=1)
    fake.verify()


@pytest.mark.parametrize("options", [{"successes": 0}, {"timeout": -1}, {"delay": -0.5}], ids=str)
def test_bad_wait_settings_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        wait_until_healthy(FakeHealthProbe(), URL, clock=FakeClock(), **options)  # type: ignore[arg-type]


def test_the_fake_probe_is_strict() -> None:
    fake: HealthProbe = FakeHealthProbe()
    with pytest.raises(UnexpectedCallError, match="check"):
        fake.check(URL)
    strict = FakeHealthProbe()
    strict.expect_check(URL, healthy=True)
    with pytest.raises(UnexpectedCallError, match="never came"):
        strict.verify()
    with pytest.raises(TypeError):
        strict.expect_check(URL)
