"""The lp-signing service's health check: ``GET /service-key``.

``GET {base}/service-key`` is unauthenticated and free of side effects; a
healthy service answers 200 with JSON ``{"service-key": "<base64>"}``. The
probe never sends ``POST /nonce``, which creates server state.

:class:`ServiceKeyProbe` asks once and returns a :class:`ProbeResult` saying
what it saw; it never raises for what the service answers.
:func:`wait_until_healthy` asks until the service is healthy ``successes``
times in a row, on an injected clock, and raises
:class:`~lpsigning_mojo.errors.ServiceUnhealthyError` or
:class:`~lpsigning_mojo.errors.ProbeTimeoutError` otherwise.

Requests go through :mod:`lpsigning_mojo.external._http`: a total deadline
per request, a small body limit, and redirects followed only on the same
scheme, host and port (a redirect elsewhere is a terminal failure).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs

from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import (
    HttpError,
    HttpRedirectError,
    HttpResponseError,
    ProbeTimeoutError,
    ServiceUnhealthyError,
    UsageError,
)
from lpsigning_mojo.external import _http

__all__ = [
    "HealthProbe",
    "ProbeResult",
    "ServiceKeyProbe",
    "WaitResult",
    "service_key_url",
    "wait_until_healthy",
]

#: The most a ``/service-key`` answer may weigh; a public key in JSON is well under 1 KiB.
MAX_BODY = 64 * 1024


def service_key_url(base_url: str) -> str:
    """The health-check URL of an instance whose service answers at ``base_url``."""
    return base_url.rstrip("/") + "/service-key"


@attrs.frozen(kw_only=True)
class ProbeResult:
    """What one ``GET /service-key`` saw.

    ``reason`` says it in words (``"HTTP 200 with a service key"``, ``"HTTP 500
    Internal Server Error"``, ``"no complete answer within 5 s"``); ``status`` is
    the HTTP status, ``None`` when there was no answer. ``terminal`` is true
    when waiting cannot help (the URL is unusable, or redirects elsewhere).
    """

    url: str
    healthy: bool
    reason: str
    status: int | None = None
    service_key: str | None = None
    terminal: bool = False


class HealthProbe(Protocol):
    """What the rest of the project needs from the service's health check."""

    def check(self, base_url: str) -> ProbeResult:
        """Ask ``GET {base_url}/service-key`` once and say what was seen."""
        ...


class ServiceKeyProbe:
    """The health check over HTTP, with a total ``timeout`` per request (seconds, on ``clock``)."""

    def __init__(self, *, timeout: float = 10.0, clock: Clock | None = None) -> None:
        if timeout <= 0:
            raise UsageError(f"The probe's timeout must be positive, not {timeout!r}")
        self.timeout = timeout
        self.clock: Clock = clock or SYSTEM_CLOCK

    def check(self, base_url: str) -> ProbeResult:
        url = service_key_url(base_url)
        try:
            _http.validate_url(url)
        except HttpError as error:  # waiting cannot fix the URL
            return ProbeResult(url=url, healthy=False, reason=error.message, terminal=True)
        try:
            response = self._get(url)
        except HttpRedirectError as error:
            return ProbeResult(url=url, healthy=False, reason=error.message, terminal=True)
        except HttpResponseError as error:
            return ProbeResult(url=url, healthy=False, reason=error.message, status=error.status)
        except HttpError as error:
            return ProbeResult(url=url, healthy=False, reason=error.message)
        return _judge(url, response)

    def _get(self, url: str) -> _http.HttpResponse:
        """The one place that talks HTTP."""
        return _http.request(
            "GET",
            url,
            timeout=self.timeout,
            clock=self.clock,
            headers={"Accept": "application/json"},
            max_bytes=MAX_BODY,
        )


def _judge(url: str, response: _http.HttpResponse) -> ProbeResult:
    status = response.status
    if status != 200:
        reason = f"HTTP {status} {response.reason}".rstrip()
        return ProbeResult(url=url, healthy=False, reason=reason, status=status)
    try:
        data = _http.parse_json(response.body, source=url, status=status)
    except HttpResponseError:
        return ProbeResult(
            url=url,
            healthy=False,
            reason=f"HTTP 200 with a body that is not JSON: {response.body[:60]!r}",
            status=status,
        )
    key = data.get("service-key") if isinstance(data, Mapping) else None
    if not isinstance(key, str) or not key.strip():
        return ProbeResult(
            url=url,
            healthy=False,
            reason=f"HTTP 200 without a non-empty 'service-key' string: {response.body[:60]!r}",
            status=status,
        )
    return ProbeResult(
        url=url, healthy=True, reason="HTTP 200 with a service key", status=status, service_key=key
    )


@attrs.frozen(kw_only=True)
class WaitResult:
    """A wait that ended healthy: how many checks it took, how long, and the last answer."""

    attempts: int
    elapsed: float
    last: ProbeResult


def wait_until_healthy(
    probe: HealthProbe,
    base_url: str,
    *,
    clock: Clock,
    timeout: float = 300.0,
    delay: float = 5.0,
    successes: int = 3,
) -> WaitResult:
    """Check until the service is healthy ``successes`` times in a row, or fail.

    Waits ``delay`` seconds between checks, on ``clock``. Raises
    :class:`~lpsigning_mojo.errors.ServiceUnhealthyError` at once on a terminal
    failure, and :class:`~lpsigning_mojo.errors.ProbeTimeoutError` (with the last
    reason) when ``timeout`` seconds pass first. A check that starts before
    the timeout counts, even if it ends after.
    """
    if successes < 1 or timeout < 0 or delay < 0:
        raise UsageError(
            "A health wait needs successes >= 1 and a timeout and delay that are not negative"
        )
    start = clock.monotonic()
    deadline = start + timeout
    attempts = streak = 0
    while True:
        result = probe.check(base_url)
        attempts += 1
        elapsed = clock.monotonic() - start
        if result.healthy:
            streak += 1
            if streak >= successes:
                return WaitResult(attempts=attempts, elapsed=elapsed, last=result)
        else:
            streak = 0
            if result.terminal:
                raise ServiceUnhealthyError(
                    f"The service at {base_url} failed its health check: {result.reason}",
                    url=result.url,
                    attempts=attempts,
                    elapsed=elapsed,
                    last_reason=result.reason,
                    hint="Waiting will not change this; check the instance's URL",
                )
        now = clock.monotonic()
        if now >= deadline:
            needed = f"{successes} times in a row" if successes > 1 else "once"
            raise ProbeTimeoutError(
                f"The service at {base_url} was not healthy {needed} within {timeout:g} s "
                f"({attempts} checks); the last check saw: {result.reason}",
                url=result.url,
                attempts=attempts,
                elapsed=elapsed,
                last_reason=result.reason,
                hint="Look at the service's units (juju status) and its logs",
            )
        clock.sleep(min(delay, deadline - now))
