"""A Charmhub stand-in: the info API over HTTP on 127.0.0.1, with faults to inject.

:class:`CharmhubStandIn` serves ``GET /v2/charms/info/CHARM`` with a channel
map (by default the sample in ``data/charmhub-info-lp-signing.json``), a 404
with Charmhub's ``error-list`` for any other charm, and, one request at a
time, the faults queued with :meth:`~CharmhubStandIn.inject` (see
:data:`FAULTS`). Point a
:class:`~lpsigning_mojo.external.charmhub.CharmhubClient` at its
:attr:`~CharmhubStandIn.url`. It runs on the stand-ins' HTTP server
(:mod:`._server`); only the standard library is used.
"""

from __future__ import annotations

from lpsigning_mojo.testing.standins import data_text
from lpsigning_mojo.testing.standins._server import Exchange, LoopbackHTTPServer

__all__ = ["ELSEWHERE", "FAULTS", "CharmhubStandIn"]

#: Faults the stand-in can be told to inject, one per request, in order:
#:
#: - ``500``: HTTP 500; ``404``: Charmhub's not-found answer; ``error-list``: a 400
#:   with an error-list; ``malformed``: 200 with a body that is not JSON;
#: - ``hang``: no answer until the stand-in closes; ``reset``: the connection dropped;
#: - ``trickle``: the channel map, one byte every 50 ms (a minute and more in all);
#: - ``endless``: a body that never ends, without a length; ``endless-chunked``: the
#:   same in chunks;
#: - ``deep-json``: 200 with JSON nested 100 000 levels deep;
#: - ``redirect-elsewhere``: a 301 to the same path on :data:`ELSEWHERE` (another
#:   loopback address, standing for another host); ``redirect-ftp``: a 301 to an
#:   ``ftp://`` URL.
FAULTS = (
    "500",
    "hang",
    "malformed",
    "404",
    "error-list",
    "reset",
    "trickle",
    "endless",
    "endless-chunked",
    "deep-json",
    "redirect-elsewhere",
    "redirect-ftp",
)

#: The address ``redirect-elsewhere`` sends clients to: loopback, but another host.
ELSEWHERE = "127.0.0.2"


class CharmhubStandIn:
    """Serves ``/v2/charms/info/CHARM`` from ``info`` (a JSON body), with queued faults.

    ``requests`` records each request's path, query and User-Agent. Nothing
    listens until :meth:`start`.
    """

    def __init__(self, *, charm: str = "lp-signing", info: bytes | None = None) -> None:
        self.charm = charm
        self.body = (
            info if info is not None else data_text("charmhub-info-lp-signing.json").encode()
        )
        self.faults: list[str] = []
        self.requests: list[dict[str, str]] = []
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:40123``."""
        if self._server is None:
            raise RuntimeError("the Charmhub stand-in is not started")
        return f"http://{self._server.host}:{self._server.port}"

    def inject(self, *faults: str) -> None:
        """Answer the next requests with these faults, one each, in order (see :data:`FAULTS`)."""
        unknown = sorted(set(faults) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
        self.faults.extend(faults)

    def start(self) -> CharmhubStandIn:
        """Listen on a free port of 127.0.0.1 and serve in a thread."""
        self._server = _Server(self).start()
        return self

    def close(self) -> None:
        """End every hang, stop serving and close the socket."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def __enter__(self) -> CharmhubStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _answer(self, exchange: Exchange, port: int) -> None:
        query = exchange.target.partition("?")[2]
        self.requests.append(
            {
                "path": exchange.path,
                "query": query,
                "user-agent": exchange.headers.get("user-agent", ""),
            }
        )
        fault = self.faults.pop(0) if self.faults else None
        name = exchange.path.removeprefix("/v2/charms/info/")
        if fault == "hang":
            exchange.wait(60)
            return exchange.reset()
        if fault == "reset":
            return exchange.reset()
        if fault == "500":
            return exchange.reply(500, "Internal Server Error")
        if fault == "malformed":
            return exchange.reply(200, b'{"channel-map": [', content_type="application/json")
        if fault == "error-list":
            body = {"error-list": [{"code": "bad-request", "message": "invalid fields"}]}
            return exchange.json(400, body)
        if fault == "trickle":
            return exchange.trickle(200, self.body, interval=0.05)
        if fault in ("endless", "endless-chunked"):
            return exchange.endless(chunked=fault == "endless-chunked")
        if fault == "deep-json":
            deep = b'{"channel-map": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
            return exchange.reply(200, deep, content_type="application/json")
        if fault in ("redirect-elsewhere", "redirect-ftp"):
            where = (
                f"http://{ELSEWHERE}:{port}{exchange.target}"
                if fault == "redirect-elsewhere"
                else f"ftp://127.0.0.1{exchange.target}"
            )
            return exchange.reply(301, "moved", headers={"Location": where})
        if fault == "404" or name != self.charm or exchange.path == name:
            message = f"No charm or bundle with name '{name}'."
            body = {"error-list": [{"code": "not-found", "message": message}]}
            return exchange.json(404, body)
        return exchange.reply(200, self.body, content_type="application/json")


class _Server(LoopbackHTTPServer):
    def __init__(self, standin: CharmhubStandIn) -> None:
        super().__init__(host="127.0.0.1")
        self.standin = standin

    def handle(self, exchange: Exchange) -> None:
        self.standin._answer(exchange, self.port)
