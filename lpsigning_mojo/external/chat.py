"""Chat: announcements posted through a Mattermost incoming webhook.

An incoming webhook is ``POST <hook URL>`` with JSON ``{"text": ...}`` and
optionally ``channel`` (the channel's name, e.g. ``is-outage``; a leading
``~`` is dropped) and ``username`` (Mattermost ignores it unless its
"override usernames" setting is on). Mattermost answers ``200`` with the
body ``ok``; anything else is an error.

The hook URL is a secret: anyone holding it can post. :class:`MattermostWebhook`
keeps it to itself: no message, ``repr`` or exception names it (they say
``<webhook URL>``), and nothing is logged.

A post is never retried: a request that timed out may have been posted, so
:class:`~lpsigning_mojo.errors.ChatError` says whether it may have been
(``maybe_posted``), and the caller decides.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Protocol

from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import (
    ChatConfigError,
    ChatRejectedError,
    ChatUnavailableError,
    HttpError,
    HttpRedirectError,
    HttpResponseError,
)
from lpsigning_mojo.external import _http

__all__ = ["REDACTED", "Chat", "MattermostWebhook"]

#: What messages say instead of the hook URL.
REDACTED = "<webhook URL>"
#: The most a webhook's answer may weigh (Mattermost answers ``ok`` or a short JSON error).
MAX_BODY = 64 * 1024
#: Gateway errors: the webhook behind the gateway may have posted before it failed.
_GATEWAY_ERRORS = (502, 504)


class Chat(Protocol):
    """What the rest of the project needs from chat: post one message."""

    def post(self, text: str, *, channel: str | None = None, username: str | None = None) -> None:
        """Post ``text`` (Markdown), to ``channel`` as ``username`` when given."""
        ...


class MattermostWebhook:
    """A Mattermost incoming webhook.

    ``channel`` and ``username`` are the defaults for :meth:`post`;
    ``timeout`` bounds each post in total (seconds, on ``clock``).
    """

    def __init__(
        self,
        url: str,
        *,
        channel: str | None = None,
        username: str | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        try:
            _http.validate_url(url, redact_as=REDACTED)
        except HttpError as error:
            raise ChatConfigError(
                f"The Mattermost webhook URL is unusable: {error.message}",
                hint="Set LPSIGNING_MOJO_MATTERMOST_WEBHOOK to the hook's https:// URL",
            ) from None
        self._url = url
        self._secrets = _secret_parts(url)
        self.channel = channel
        self.username = username
        self.timeout = timeout
        self.clock: Clock = clock or SYSTEM_CLOCK

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({REDACTED}, channel={self.channel!r}, "
            f"username={self.username!r})"
        )

    def post(self, text: str, *, channel: str | None = None, username: str | None = None) -> None:
        if not text.strip():
            raise ChatConfigError("A chat message needs some text; nothing was posted")
        payload: dict[str, str] = {"text": text}
        channel = channel or self.channel
        if channel:
            payload["channel"] = channel.removeprefix("~")
        username = username or self.username
        if username:
            payload["username"] = username
        try:
            response = self._send(json.dumps(payload).encode("utf-8"))
        except HttpRedirectError as error:
            raise ChatRejectedError(
                f"The message was not posted: {error.message}",
                status=None,
                hint="Use the hook URL Mattermost shows for the integration",
            ) from None
        except HttpResponseError as error:
            posted = error.sent and (error.status is None or error.status < 400)
            raise ChatRejectedError(
                f"The message may not have been posted: {error.message}",
                status=error.status,
                maybe_posted=posted,
                hint="Look in the channel before posting again" if posted else None,
            ) from None
        except HttpError as error:
            raise ChatUnavailableError(
                f"The message {'may not have been' if error.sent else 'was not'} posted: "
                f"{error.message}",
                maybe_posted=error.sent,
                hint="Look in the channel before posting again"
                if error.sent
                else "Check the network and the hook URL, then try again",
            ) from None
        self._judge(response)

    def _judge(self, response: _http.HttpResponse) -> None:
        status, body = response.status, response.body
        if status == 200 and body.strip() == b"ok":
            return
        said = self._scrub(_mattermost_message(body))
        if status == 200:
            raise ChatRejectedError(
                f"{REDACTED} answered 200 but not 'ok' ({said}); the message may have been posted",
                status=status,
                maybe_posted=True,
                hint="Check that the URL is a Mattermost incoming webhook, and look in the "
                "channel before posting again",
            )
        if status >= 500:
            raise ChatUnavailableError(
                f"Mattermost failed to post the message (HTTP {status}: {said})",
                maybe_posted=status in _GATEWAY_ERRORS,
                hint="Try again later, or post the announcement by hand",
            )
        raise ChatRejectedError(
            f"Mattermost refused the message (HTTP {status}: {said})",
            status=status,
            hint="Check the hook URL (it may have been deleted) and the channel name",
        )

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _send(self, payload: bytes) -> _http.HttpResponse:
        """The one place that talks HTTP."""
        return _http.request(
            "POST",
            self._url,
            timeout=self.timeout,
            clock=self.clock,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=payload,
            max_bytes=MAX_BODY,
            redact_as=REDACTED,
        )


def _secret_parts(url: str) -> tuple[str, ...]:
    """The URL, its path, query and last segment (the hook's key): never to be shown."""
    parts = urllib.parse.urlsplit(url)
    key = parts.path.rstrip("/").rpartition("/")[2]
    found = [url, parts.path, parts.query] + ([key] if len(key) >= 8 else [])
    return tuple(sorted({part for part in found if part and part != "/"}, key=len, reverse=True))


def _mattermost_message(body: bytes) -> str:
    """Mattermost's ``{"message": ...}``, or the start of the body."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return repr(data["message"][:200])
    return repr(body[:200].decode("utf-8", "replace")) if body else "no body"
