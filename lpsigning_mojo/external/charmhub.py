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
environment variable (as in Juju), and :data:`DEFAULT_URL`. Only the standard
library is used; proxies come from the usual ``https_proxy`` variables.
:meth:`CharmhubClient._request` is the one place that talks HTTP.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from lpsigning_mojo._version import __version__
from lpsigning_mojo.charms import Base, Release
from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import (
    CharmhubError,
    CharmhubResponseError,
    CharmhubUnavailableError,
    CharmNotFoundError,
)

__all__ = [
    "DEFAULT_URL",
    "Charmhub",
    "CharmhubClient",
    "releases_from_info",
]

#: Charmhub's public API, used when neither an argument nor ``CHARMHUB_URL`` says otherwise.
DEFAULT_URL = "https://api.charmhub.io"


class Charmhub(Protocol):
    """What the rest of the project needs from Charmhub."""

    def channel_map(self, charm: str) -> Sequence[Release]:
        """Every release of ``charm``: one per (channel, base, architecture)."""
        ...


class _Transient(Exception):
    """A failure worth retrying: a timeout, a connection error or a 5xx."""


class CharmhubClient:
    """Charmhub's info API over HTTP, with timeouts and retries.

    ``timeout`` bounds each request (seconds). Timeouts, connection errors
    and 5xx answers are retried ``retries`` times, waiting ``backoff``,
    then twice as long each time (at most ``max_backoff``), on ``clock``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 8.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        url = base_url or os.environ.get("CHARMHUB_URL") or DEFAULT_URL
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CharmhubError(
                f"Charmhub URL {url!r} is not an http or https URL",
                hint=f"Set CHARMHUB_URL to a URL such as {DEFAULT_URL}, or unset it",
            )
        self.base_url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.clock = clock

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
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise CharmhubResponseError(
                f"Charmhub answered {url} with HTTP {status} and a body that is not JSON: "
                f"{body[:120]!r}",
                url=url,
            ) from None
        problems = _error_list(data)
        if problems or status >= 400:
            raise CharmhubResponseError(
                f"Charmhub refused {url} (HTTP {status}): {problems or 'no explanation given'}",
                url=url,
            )
        try:
            return releases_from_info(data)
        except CharmhubResponseError as error:
            raise CharmhubResponseError(f"{error.message} (from {url})", url=url) from None

    def _get_with_retries(self, url: str) -> tuple[int, bytes]:
        delay = self.backoff
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._request(url)
            except _Transient as error:
                if attempt > self.retries:
                    tries = "once" if attempt == 1 else f"{attempt} times"
                    raise CharmhubUnavailableError(
                        f"Cannot get {url}: {error} (tried {tries})",
                        url=url,
                        hint="Check the network, a proxy (https_proxy) or CHARMHUB_URL, "
                        "then try again",
                    ) from None
            self.clock.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    def _request(self, url: str) -> tuple[int, bytes]:
        """The one place that talks HTTP: (status, body), or :class:`_Transient`."""
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            url,
            headers={"Accept": "application/json", "User-Agent": f"lpsigning-mojo/{__version__}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                if error.code >= 500:
                    raise _Transient(f"Charmhub answered HTTP {error.code}") from None
                try:
                    return error.code, error.read()
                except (OSError, http.client.HTTPException):
                    return error.code, b""
        except TimeoutError:
            raise _Transient(f"no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _Transient(f"no answer within {self.timeout:g} s") from None
            raise _Transient(f"cannot connect ({error.reason})") from None
        except (OSError, http.client.HTTPException) as error:
            raise _Transient(f"the connection failed ({error or type(error).__name__})") from None


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
