"""Stand-ins for outside systems: a Charmhub HTTP server and a fake ``juju`` executable.

The fixtures here are registered for every test by ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> object:
    return json.loads(fixture_text(name))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours proxy variables; the stand-ins are on loopback."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


# -- Charmhub ---------------------------------------------------------------------------

#: Faults the stand-in can be told to inject, one per request, in order.
FAULTS = ("500", "hang", "malformed", "404", "error-list", "reset")


class CharmhubStandIn:
    """Serves ``/v2/charms/info/lp-signing`` from the fixture, with queued faults."""

    charm = "lp-signing"

    def __init__(self) -> None:
        self.faults: deque[str] = deque()
        self.requests: list[dict[str, str]] = []
        self.release = threading.Event()  # ends every hang at teardown
        self.body = fixture_text("charmhub-info-lp-signing.json").encode()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def inject(self, *faults: str) -> None:
        assert set(faults) <= set(FAULTS), faults
        self.faults.extend(faults)

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
                    standin.release.wait(5)
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


@pytest.fixture
def charmhub_server() -> Iterator[CharmhubStandIn]:
    """A Charmhub stand-in on 127.0.0.1, stopped at teardown."""
    standin = CharmhubStandIn()
    standin.thread.start()
    try:
        yield standin
    finally:
        standin.release.set()
        standin.server.shutdown()
        standin.server.server_close()
        standin.thread.join(timeout=5)


# -- a fake juju executable ----------------------------------------------------------------

_FAKE_JUJU = """\
#!{python}
import json, sys
from pathlib import Path
here = Path(__file__).resolve().parent
argv = sys.argv[1:]
with open(here / "calls.log", "a") as log:
    log.write(json.dumps(argv) + "\\n")
for answer in json.loads((here / "answers.json").read_text()):
    if answer["argv"] == argv:
        sys.stdout.write(answer["stdout"])
        sys.stderr.write(answer["stderr"])
        sys.exit(answer["exit_status"])
sys.stderr.write("fake juju: unexpected arguments: %r\\n" % (argv,))
sys.exit(2)
"""


class FakeJujuBin:
    """A ``juju`` on PATH that answers only the command lines it was told to expect."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.answers: list[dict[str, object]] = []
        script = directory / "juju"
        script.write_text(_FAKE_JUJU.format(python=sys.executable), encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        self._save()

    def expect(self, *argv: str, stdout: str = "", stderr: str = "", exit_status: int = 0) -> None:
        self.answers.append(
            {"argv": list(argv), "stdout": stdout, "stderr": stderr, "exit_status": exit_status}
        )
        self._save()

    def calls(self) -> list[list[str]]:
        log = self.directory / "calls.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    def _save(self) -> None:
        (self.directory / "answers.json").write_text(json.dumps(self.answers), encoding="utf-8")


@pytest.fixture
def fake_juju(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeJujuBin:
    """A fake ``juju`` executable, first on PATH."""
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")
    return FakeJujuBin(directory)
