"""A stand-in for the lp-signing service's health check, on 127.0.0.1.

It answers ``GET /service-key`` as the real service does
(``{"service-key": "<base64>"}``), or in one of the unhealthy :data:`MODES`,
switchable while it runs. ``POST /nonce`` is answered too, and recorded, so
a test can assert that nobody probed with it::

    with LpSigningStandIn() as service:
        service.mode = "500"  # from now on
        service.queue("healthy", "healthy")  # but first, the next two answers
        ServiceKeyProbe().check(service.url)
"""

from __future__ import annotations

import base64
from collections import deque

from lpsigning_mojo.testing.standins._server import Exchange, LoopbackHTTPServer

__all__ = ["MODES", "LpSigningStandIn"]

#: How the stand-in answers ``GET /service-key``:
#: ``healthy`` (200 with a key), ``500``, ``bad-json`` (200, not JSON),
#: ``empty-key`` (200, ``{"service-key": ""}``), ``slow`` (healthy after
#: ``slow_seconds``), ``redirect-off-host`` (302 to the same path on 127.0.0.2),
#: ``redirect-same-host`` (302 to ``/service-key?followed=1`` here), ``reset``
#: (drops the connection).
MODES = (
    "healthy",
    "500",
    "bad-json",
    "empty-key",
    "slow",
    "redirect-off-host",
    "redirect-same-host",
    "reset",
)

#: A service key of the right shape (a 32-byte NaCl public key, base64).
DEFAULT_KEY = base64.b64encode(bytes(range(32))).decode("ascii")


class LpSigningStandIn(LoopbackHTTPServer):
    """The lp-signing service's ``/service-key``, with switchable faults.

    ``mode`` is how it answers now; :meth:`queue` sets the answers to the next
    requests, after which ``mode`` applies again. ``requests`` records every
    request as ``(method, path)``.
    """

    def __init__(
        self, *, mode: str = "healthy", service_key: str = DEFAULT_KEY, slow_seconds: float = 5.0
    ) -> None:
        super().__init__()
        self._check(mode)
        self._mode = mode
        self._queued: deque[str] = deque()
        self.service_key = service_key
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, str]] = []

    @property
    def mode(self) -> str:
        with self.lock:
            return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self._check(mode)
        with self.lock:
            self._mode = mode

    def queue(self, *modes: str) -> None:
        """Answer the next requests in these modes, one each, before ``mode`` again."""
        for mode in modes:
            self._check(mode)
        with self.lock:
            self._queued.extend(modes)

    @property
    def nonce_requests(self) -> int:
        """How many ``POST /nonce`` requests came (a health check must send none)."""
        return sum(1 for request in self.requests if request == ("POST", "/nonce"))

    @staticmethod
    def _check(mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")

    def handle(self, exchange: Exchange) -> None:
        with self.lock:
            self.requests.append((exchange.method, exchange.path))
        if exchange.method == "POST" and exchange.path == "/nonce":
            exchange.json(201, {"nonce": base64.b64encode(b"\0" * 24).decode()})
            return
        if exchange.path != "/service-key":
            exchange.reply(404, "Not Found")
            return
        if exchange.method != "GET":
            exchange.reply(405, "Method Not Allowed", headers={"Allow": "GET"})
            return
        with self.lock:
            mode = self._queued.popleft() if self._queued else self._mode
        if exchange.query.get("followed") == "1" and mode == "redirect-same-host":
            mode = "healthy"
        self._answer(exchange, mode)

    def _answer(self, exchange: Exchange, mode: str) -> None:
        if mode == "500":
            exchange.reply(500, "Internal Server Error")
        elif mode == "bad-json":
            exchange.reply(200, "<html>Service Unavailable</html>", content_type="text/html")
        elif mode == "empty-key":
            exchange.json(200, {"service-key": ""})
        elif mode == "redirect-off-host":
            location = f"http://127.0.0.2:{self.port}/service-key"
            exchange.reply(302, "", headers={"Location": location})
        elif mode == "redirect-same-host":
            exchange.reply(302, "", headers={"Location": "/service-key?followed=1"})
        elif mode == "reset":
            exchange.reset()
        else:
            if mode == "slow" and exchange.wait(self.slow_seconds):
                return
            exchange.json(200, {"service-key": self.service_key})
