"""A Charmhub stand-in: the info API over HTTP on 127.0.0.1, with faults to inject.

:class:`CharmhubStandIn` serves ``GET /v2/charms/info/CHARM`` with a channel
map (by default the sample in ``data/charmhub-info-lp-signing.json``), a 404
with Charmhub's ``error-list`` for any other charm, and, one request at a
time, the faults queued with :meth:`~CharmhubStandIn.inject`. Point a
:class:`~lpsigning_mojo.external.charmhub.CharmhubClient` at its
:attr:`~CharmhubStandIn.url`. Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from lpsigning_mojo.testing.standins import data_text

__all__ = ["FAULTS", "CharmhubStandIn"]

#: Faults the stand-in can be told to inject, one per request, in order: HTTP 500, no answer
#: (until closed), a body that is not JSON, 404, a 400 with an error-list, a dropped connection.
FAULTS = ("500", "hang", "malformed", "404", "error-list", "reset")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (a hang past its timeout) is not a failure."""


class CharmhubStandIn:
    """Serves ``/v2/charms/info/CHARM`` from ``info`` (a JSON body), with queued faults.

    ``requests`` records each request's path, query and User-Agent.
    """

    def __init__(self, *, charm: str = "lp-signing", info: bytes | None = None) -> None:
        self.charm = charm
        self.body = (
            info if info is not None else data_text("charmhub-info-lp-signing.json").encode()
        )
        self.faults: deque[str] = deque()
        self.requests: list[dict[str, str]] = []
        self._release = threading.Event()  # ends every hang when closed
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:40123``."""
        if self._server is None:
            raise RuntimeError("the Charmhub stand-in is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def inject(self, *faults: str) -> None:
        """Answer the next requests with these faults, one each, in order (see :data:`FAULTS`)."""
        unknown = sorted(set(faults) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
        self.faults.extend(faults)

    def start(self) -> CharmhubStandIn:
        """Listen on a free port of 127.0.0.1 and serve in a thread."""
        server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """End every hang, stop serving and close the socket."""
        self._release.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> CharmhubStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                standin.requests.append(
                    {
                        "path": parts.path,
                        "query": parts.query,
                        "user-agent": self.headers.get("User-Agent", ""),
                    }
                )
                fault = standin.faults.popleft() if standin.faults else None
                # The client may have given up already (a hang past its timeout).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(parts.path, fault)

            def _answer(self, path: str, fault: str | None) -> None:
                name = path.removeprefix("/v2/charms/info/")
                if fault == "hang":
                    standin._release.wait(5)
                if fault == "reset":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == "500":
                    return self._send(500, b"Internal Server Error", "text/plain")
                if fault == "malformed":
                    return self._send(200, b'{"channel-map": [', "application/json")
                if fault == "error-list":
                    body = {"error-list": [{"code": "bad-request", "message": "invalid fields"}]}
                    return self._send(400, json.dumps(body).encode())
                if fault == "404" or name != standin.charm or path == name:
                    message = f"No charm or bundle with name '{name}'."
                    body = {"error-list": [{"code": "not-found", "message": message}]}
                    return self._send(404, json.dumps(body).encode())
                return self._send(200, standin.body)

            def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
