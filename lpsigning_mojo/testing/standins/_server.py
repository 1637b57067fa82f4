"""The HTTP server under every HTTP stand-in: threaded, on 127.0.0.1, stopped by its owner.

A stand-in subclasses :class:`LoopbackHTTPServer` and answers each request in
:meth:`~LoopbackHTTPServer.handle`, through an :class:`Exchange` that can
also misbehave on purpose (wait, send a body byte by byte, send an endless
body, drop the connection). :meth:`~LoopbackHTTPServer.close` ends every
deliberate wait at once, so no test waits for a stand-in to finish.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

__all__ = ["Exchange", "LoopbackHTTPServer"]

S = TypeVar("S", bound="LoopbackHTTPServer")

#: The largest request body a stand-in reads.
MAX_REQUEST_BODY = 16 * 1024 * 1024


class Exchange:
    """One request (``method``, ``path``, ``query``, ``headers``, ``body``) and its answer."""

    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes, released: threading.Event):
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.target = handler.path  # the request line's target, as sent
        self.path = parts.path
        self.query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.headers = {name.lower(): value for name, value in handler.headers.items()}
        self.body = body
        self._handler = handler
        self._released = released
        self.answered = False

    def json_body(self) -> object:
        """The request body decoded as JSON (``None`` when it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def reply(
        self,
        status: int,
        body: bytes | str = b"",
        *,
        content_type: str = "text/plain; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer with ``status`` and ``body`` (a ``Content-Length`` is sent)."""
        data = body.encode() if isinstance(body, str) else body
        self.start(status, content_type=content_type, headers=headers, length=len(data))
        self.write(data)

    def json(self, status: int, data: object, *, headers: Mapping[str, str] | None = None) -> None:
        """Answer with ``data`` as JSON."""
        self.reply(status, json.dumps(data), content_type="application/json", headers=headers)

    def start(
        self,
        status: int,
        *,
        content_type: str | None = "text/plain; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        length: int | None = None,
        chunked: bool = False,
    ) -> None:
        """Send the status line and headers; the body follows with :meth:`write`."""
        handler = self._handler
        self.answered = True
        handler.send_response(status)
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if length is not None:
            handler.send_header("Content-Length", str(length))
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True

    def write(self, data: bytes) -> None:
        """Send part of the body."""
        self._handler.wfile.write(data)
        self._handler.wfile.flush()

    def wait(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if the server closes; whether it closed."""
        return self._released.wait(seconds)

    def trickle(self, status: int, body: bytes, *, interval: float) -> None:
        """Answer ``body`` one byte every ``interval`` seconds (until the server closes)."""
        self.start(status, content_type="application/json", length=len(body))
        for byte in body:
            if self.wait(interval):
                return
            self.write(bytes([byte]))

    def endless(self, *, chunked: bool, interval: float = 0.0) -> None:
        """Answer 200 with a body that never ends (chunked, or without a length)."""
        self.start(200, content_type="application/json", chunked=chunked)
        block = b"[" * 4096
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self._released.is_set():
            self.write(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
            if interval and self.wait(interval):
                return

    def reset(self) -> None:
        """Drop the connection without an answer."""
        self.answered = True
        self._handler.close_connection = True
        with contextlib.suppress(OSError):
            self._handler.connection.shutdown(2)


class LoopbackHTTPServer:
    """A threaded HTTP server on ``host`` (127.0.0.1) and a port the system picks.

    Subclasses override :meth:`handle`. Use it as a context manager, or call
    :meth:`start` and :meth:`close`. ``errors`` collects the tracebacks of
    requests the stand-in itself failed to handle (answered with 500).
    """

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.released = threading.Event()
        self.errors: list[str] = []
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def url(self) -> str:
        """``http://HOST:PORT/``."""
        return f"http://{self.host}:{self.port}/"

    def start(self: S) -> S:
        """Start serving in a background thread; returns the server."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{type(self).__name__}:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end every deliberate wait, and release the port."""
        self.released.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def handle(self, exchange: Exchange) -> None:
        """Answer one request; the default answers 404."""
        exchange.reply(404, "not found")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_REQUEST_BODY)) if length else b""
                exchange = Exchange(self, body, server.released)
                try:
                    server.handle(exchange)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    self.close_connection = True
                except Exception:
                    server.errors.append(traceback.format_exc())
                    if not exchange.answered:
                        with contextlib.suppress(OSError):
                            exchange.reply(500, "the stand-in failed; see its errors")
                    self.close_connection = True

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_CONNECT = _dispatch

        return Handler
