"""Charmhub: the adapter that reads a charm's channel map over HTTP.

:class:`Charmhub` is what the rest of the project needs from Charmhub;
:class:`CharmhubClient` implements it by asking ``GET
{base}/v2/charms/info/NAME?fields=channel-map`` of Charmhub's public API (no
login needed for public charms), and :func:`releases_from_info` turns the
answer into one :class:`~lpsigning_mojo.charms.Release` per (channel, base,
architecture). What those values mean (channels, bases, the latest revision
for a channel) is domain logic in :mod:`lpsigning_mojo.charms`. Errors are
the :class:`~lpsigning_mojo.errors.CharmhubError` family.

The base URL is, in order: the ``base_url`` argument, the ``CHARMHUB_URL``
environment variable (as in Juju), and :data:`DEFAULT_URL`. Requests go
through the shared HTTP plumbing (:mod:`lpsigning_mojo.external._http`): a
total deadline per request (not per read, so a server sending a byte a
second cannot stretch it), a limit on the size of an answer, and redirects
followed only on the same scheme, host and port. Proxies come from the usual
``https_proxy`` variables. :meth:`CharmhubClient._request` is the one place
that talks HTTP.
"""

from __future__ import annotations

import http
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from lpsigning_mojo.charms import Base, Release
from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import (
    CharmhubError,
    CharmhubResponseError,
    CharmhubUnavailableError,
    CharmNotFoundError,
    HttpConnectionError,
    HttpError,
    HttpResponseError,
    HttpTimeoutError,
)
from lpsigning_mojo.external import _http
from lpsigning_mojo.untrusted import loads_json, printable

__all__ = [
    "DEFAULT_URL",
    "MAX_BODY",
    "Charmhub",
    "CharmhubClient",
    "releases_from_info",
]

#: Charmhub's public API, used when neither an argument nor ``CHARMHUB_URL`` says otherwise.
DEFAULT_URL = "https://api.charmhub.io"
#: The most an answer of the info API may weigh; a channel map is a few tens of KiB.
MAX_BODY = 8 << 20

#: Receives one line for a person about what the client is doing (a retry, and why).
Progress = Callable[[str], None]


class Charmhub(Protocol):
    """What the rest of the project needs from Charmhub."""

    def channel_map(self, charm: str) -> Sequence[Release]:
        """Every release of ``charm``: one per (channel, base, architecture)."""
        ...


class CharmhubClient:
    """Charmhub's info API over HTTP, with bounded time and retries.

    ``timeout`` bounds each request in total (seconds, on ``clock``).
    Timeouts, connection failures and 5xx answers are retried ``retries``
    times, waiting ``backoff``, then twice as long each time (at most
    ``max_backoff``). ``deadline`` bounds all the requests of this client
    together, retries and waits included (a command makes one client): no
    request starts, and no wait is made, that would end after it.
    ``progress``, if given, hears each retry before the wait.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 8.0,
        deadline: float = 30.0,
        clock: Clock = SYSTEM_CLOCK,
        progress: Progress | None = None,
    ) -> None:
        url = base_url or os.environ.get("CHARMHUB_URL") or DEFAULT_URL
        try:
            _http.validate_url(url)
        except HttpError as error:
            raise CharmhubError(
                f"Charmhub URL {printable(url)!r} is not usable: {error.message}",
                hint=f"Give a URL such as {DEFAULT_URL} (--charmhub-url, or CHARMHUB_URL)",
            ) from None
        self.base_url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.deadline = deadline
        self.clock = clock
        self.progress = progress
        self._ends: float | None = None  # set by the first request

    def info_url(self, charm: str) -> str:
        """The URL of the info request for ``charm``."""
        name = urllib.parse.quote(charm, safe="")
        return f"{self.base_url}/v2/charms/info/{name}?fields=channel-map"

    def channel_map(self, charm: str) -> tuple[Release, ...]:
        """Every release of ``charm``, as Charmhub lists it now."""
        url = self.info_url(charm)
        status, body = self._get_with_retries(url)
        if status == http.HTTPStatus.NOT_FOUND:
            raise CharmNotFoundError(charm, url=url)

        def unreadable(problem: str) -> CharmhubResponseError:
            return CharmhubResponseError(
                f"Charmhub answered {url} with HTTP {status} and {problem}", url=url
            )

        data = loads_json(body, error=unreadable)
        problems = _error_list(data)
        if problems or status >= 400:
            raise CharmhubResponseError(
                f"Charmhub refused {url} (HTTP {status}): "
                f"{printable(problems) or 'no explanation given'}",
                url=url,
            )
        try:
            return releases_from_info(data)
        except CharmhubResponseError as error:
            raise CharmhubResponseError(f"{error.message} (from {url})", url=url) from None

    def _get_with_retries(self, url: str) -> tuple[int, bytes]:
        if self._ends is None:
            self._ends = self.clock.monotonic() + self.deadline
        delay = self.backoff
        attempt = 0
        while True:
            attempt += 1
            left = self._ends - self.clock.monotonic()
            try:
                if left <= 0:
                    raise _Transient(f"no time left of the {self.deadline:g} s allowed")
                return self._request(url, min(self.timeout, left))
            except _Transient as error:
                wait = min(delay, self.max_backoff)
                late = self.clock.monotonic() + wait >= self._ends
                if attempt > self.retries or late:
                    tries = "once" if attempt == 1 else f"{attempt} times"
                    within = f", within {self.deadline:g} s" if late else ""
                    raise CharmhubUnavailableError(
                        f"Cannot get {url}: {error} (tried {tries}{within})",
                        url=url,
                        hint="Check the network, a proxy (https_proxy) or CHARMHUB_URL, "
                        "then try again",
                    ) from None
                if self.progress is not None:
                    self.progress(
                        f"Asking Charmhub again in {wait:g} s "
                        f"(attempt {attempt + 1} of {self.retries + 1}): {error}."
                    )
            self.clock.sleep(wait)
            delay = min(delay * 2, self.max_backoff)

    def _request(self, url: str, timeout: float) -> tuple[int, bytes]:
        """The one place that talks HTTP: (status, body), or :class:`_Transient`.

        A redirect elsewhere, an answer over :data:`MAX_BODY` or malformed
        HTTP is a :class:`~lpsigning_mojo.errors.CharmhubResponseError` at
        once: asking again would get the same.
        """
        try:
            response = _http.request(
                "GET",
                url,
                timeout=timeout,
                clock=self.clock,
                headers={"Accept": "application/json"},
                max_bytes=MAX_BODY,
            )
        except HttpTimeoutError:
            # The last try gets what is left of the deadline (6.97795 s): shown to a tenth.
            raise _Transient(f"no complete answer within {round(timeout, 1):g} s") from None
        except HttpConnectionError as error:
            raise _Transient(_reason(error.message, url)) from None
        except HttpResponseError as error:
            if error.status is not None and error.status >= 500:
                raise _Transient(f"Charmhub answered HTTP {error.status}") from None
            raise CharmhubResponseError(f"Charmhub: {error.message}", url=url) from None
        except HttpError as error:  # a redirect off the host, or too many
            raise CharmhubResponseError(
                f"Charmhub: {error.message}", url=url, hint=error.hint
            ) from None
        if response.status >= 500:
            raise _Transient(f"Charmhub answered HTTP {response.status}")
        return response.status, response.body


class _Transient(Exception):
    """A failure worth retrying: a timeout, a connection error or a 5xx."""


def _reason(message: str, url: str) -> str:
    """``message``, which names ``url``, naming Charmhub instead (the error names the URL)."""
    return message.replace(_http.shown_url(url), "Charmhub")


# -- reading the info API's answer ----------------------------------------------------


def _release(entry: object) -> Release:
    """A release from one ``channel-map`` entry of Charmhub's info API."""
    try:
        chan, rev = _mapping(_mapping(entry)["channel"]), _mapping(_mapping(entry)["revision"])
        base = _mapping(chan["base"])
        revision = rev["revision"]
        if not isinstance(revision, int) or isinstance(revision, bool):
            raise TypeError(f"revision {revision!r} is not an integer")
        name = str(chan["name"])
        branch = _optional_str(chan.get("branch")) or (
            name.split("/")[2] if name.count("/") == 2 else None
        )
        return Release(
            track=str(chan["track"]),
            risk=str(chan["risk"]),
            branch=branch,
            channel=name,
            base=Base(
                name=str(base["name"]),
                channel=str(base["channel"]),
                architecture=_optional_str(base.get("architecture")),
            ),
            revision=revision,
            version=str(rev.get("version", revision)),
            released_at=_timestamp(chan.get("released-at")),
            created_at=_timestamp(rev.get("created-at")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CharmhubResponseError(
            f"Charmhub sent a channel-map entry this tool cannot read ({error!r}): "
            f"{json.dumps(entry, default=str)[:200]}"
        ) from None


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {value!r}")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _timestamp(value: object) -> datetime | None:
    """An RFC 3339 time; Python 3.10 reads only 3 or 6 fraction digits and no ``Z``."""
    if value is None:
        return None
    text = re.sub(r"[Zz]$", "+00:00", str(value))
    text = re.sub(r"\.(\d+)", lambda m: "." + m[1][:6].ljust(6, "0"), text, count=1)
    return datetime.fromisoformat(text)


def releases_from_info(data: object) -> tuple[Release, ...]:
    """The releases in a decoded answer of the info API (``{"channel-map": [...]}``)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("channel-map"), list):
        raise CharmhubResponseError("Charmhub's answer has no 'channel-map' list")
    return tuple(_release(entry) for entry in data["channel-map"])


def _error_list(data: object) -> str:
    """The messages of an ``{"error-list": [{"code", "message"}]}`` answer, joined."""
    if not isinstance(data, Mapping) or not isinstance(data.get("error-list"), list):
        return ""
    messages = []
    for item in data["error-list"]:
        if isinstance(item, Mapping):
            code, message = item.get("code"), item.get("message")
            messages.append(f"{message} ({code})" if code else str(message))
    return "; ".join(messages)
