"""A stand-in for a Mattermost incoming webhook, on 127.0.0.1.

``POST /hooks/<key>`` with JSON ``{"text": ..., "channel": ..., "username": ...}``
is recorded in ``posts`` and answered ``200 ok``, as Mattermost does; an
unknown key or a post without text gets Mattermost's JSON error. Other
answers come from the fault :data:`MODES`, switchable while it runs::

    with MattermostStandIn() as chat:
        chat.queue("500")  # the next post fails
        MattermostWebhook(chat.hook_url).post("Rolling out lp-signing")
        chat.posts  # what came
"""

from __future__ import annotations

import secrets
import string
from collections import deque

import attrs

from lpsigning_mojo.testing.standins._server import Exchange, LoopbackHTTPServer

__all__ = ["MODES", "MattermostStandIn", "Post"]

#: How the stand-in answers a post: ``ok``, ``500`` (a Mattermost error),
#: ``502`` (a gateway error), ``403`` (webhooks disabled), ``not-ok`` (200 with
#: another body), ``slow`` (posts, then answers ok after ``slow_seconds``),
#: ``reset`` (drops the
#: connection after reading the post), ``endless`` (200 with a body that never
#: ends), ``redirect-off-host`` (307 to the same path on 127.0.0.2).
MODES = (
    "ok",
    "500",
    "502",
    "403",
    "not-ok",
    "slow",
    "reset",
    "endless",
    "redirect-off-host",
)


@attrs.frozen(kw_only=True)
class Post:
    """One post the hook received (whatever the answer was): the JSON fields and the mode."""

    text: str | None
    channel: str | None = None
    username: str | None = None
    payload: object = None
    content_type: str = ""
    mode: str = "ok"


def _error(status: int, error_id: str, message: str) -> dict[str, object]:
    return {
        "id": error_id,
        "message": message,
        "detailed_error": "",
        "request_id": "standin",
        "status_code": status,
    }


class MattermostStandIn(LoopbackHTTPServer):
    """A Mattermost server with one incoming webhook, recording every post.

    ``hook_url`` is the webhook's (secret) URL. ``posts`` lists what came, in
    order; ``delivered`` only those the channel shows (``ok`` and ``slow``).
    """

    def __init__(self, *, mode: str = "ok", slow_seconds: float = 5.0) -> None:
        super().__init__()
        self._check(mode)
        self.mode = mode
        self.slow_seconds = slow_seconds
        alphabet = string.ascii_lowercase + string.digits
        self.hook_key = "".join(secrets.choice(alphabet) for _ in range(26))
        self.posts: list[Post] = []
        self._queued: deque[str] = deque()

    @property
    def hook_url(self) -> str:
        return f"{self.url}hooks/{self.hook_key}"

    @property
    def delivered(self) -> list[Post]:
        """The posts the channel shows: those answered ``ok``, even too late (``slow``)."""
        with self.lock:
            return [post for post in self.posts if post.mode in ("ok", "slow")]

    def queue(self, *modes: str) -> None:
        """Answer the next posts in these modes, one each, before ``mode`` again."""
        for mode in modes:
            self._check(mode)
        with self.lock:
            self._queued.extend(modes)

    @staticmethod
    def _check(mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")

    def handle(self, exchange: Exchange) -> None:
        if exchange.method != "POST" or exchange.path != f"/hooks/{self.hook_key}":
            if exchange.path.startswith("/hooks/"):
                body = _error(400, "web.incoming_webhook.invalid.app_error", "Invalid webhook.")
                exchange.json(400, body)
            else:
                exchange.reply(404, "404 page not found")
            return
        payload = exchange.json_body()
        fields = payload if isinstance(payload, dict) else {}
        with self.lock:
            mode = self._queued.popleft() if self._queued else self.mode
            text = fields.get("text")
            if not isinstance(text, str) or not text:
                mode = "no-text"
            self.posts.append(
                Post(
                    text=text if isinstance(text, str) else None,
                    channel=fields.get("channel"),
                    username=fields.get("username"),
                    payload=payload,
                    content_type=exchange.headers.get("content-type", ""),
                    mode=mode,
                )
            )
        self._answer(exchange, mode)

    def _answer(self, exchange: Exchange, mode: str) -> None:
        if mode == "no-text":
            body = _error(400, "web.incoming_webhook.text.app_error", "No text specified.")
            exchange.json(400, body)
        elif mode == "500":
            message = "Unable to create post."
            exchange.json(500, _error(500, "app.post.save.app_error", message))
        elif mode == "502":
            exchange.reply(502, "<html>502 Bad Gateway</html>", content_type="text/html")
        elif mode == "403":
            body = _error(403, "web.incoming_webhook.disabled.app_error", "Webhooks disabled.")
            exchange.json(403, body)
        elif mode == "not-ok":
            exchange.reply(200, "<html>a login page</html>", content_type="text/html")
        elif mode == "reset":
            exchange.reset()
        elif mode == "endless":
            exchange.endless(chunked=True)
        elif mode == "redirect-off-host":
            location = f"http://127.0.0.2:{self.port}/hooks/{self.hook_key}"
            exchange.reply(307, "", headers={"Location": location})
        elif mode == "slow" and exchange.wait(self.slow_seconds):
            return
        else:
            exchange.reply(200, "ok")
