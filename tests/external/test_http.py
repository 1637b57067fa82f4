"""The HTTP plumbing: total deadline, size limit, same-origin redirects, proxies, secrets."""

from __future__ import annotations

import json
import ssl
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lpsigning_mojo import __version__
from lpsigning_mojo.errors import (
    HttpConnectionError,
    HttpError,
    HttpRedirectError,
    HttpResponseError,
    HttpTimeoutError,
)
from lpsigning_mojo.external import _http
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins._server import Exchange, LoopbackHTTPServer

Handler = Callable[[Exchange], None]


class Server(LoopbackHTTPServer):
    """Answers every request with ``handler``; records each one."""

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self.handler = handler
        self.seen: list[Exchange] = []

    def handle(self, exchange: Exchange) -> None:
        self.seen.append(exchange)
        self.handler(exchange)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(handler: Handler, *, host: str = "127.0.0.1") -> Server:
        server = Server(handler, host=host).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
    assert not [error for server in servers for error in server.errors]


class TickingClock(FakeClock):
    """A fake clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        super().__init__()
        self.step = step

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


def get(url: str, **options: object) -> _http.HttpResponse:
    options.setdefault("timeout", 5.0)
    return _http.request("GET", url, **options)  # type: ignore[arg-type]


# -- plain requests ----------------------------------------------------------------------------


def test_a_request_returns_status_headers_and_body(serve: Callable[..., Server]) -> None:
    server = serve(lambda ex: ex.json(201, {"a": 1}, headers={"X-Thing": "yes"}))
    response = _http.request(
        "POST",
        server.url + "path?q=1",
        timeout=5,
        headers={"Content-Type": "application/json"},
        body=b'{"x": 2}',
    )
    assert (response.status, response.reason) == (201, "Created")
    assert response.headers["x-thing"] == "yes"
    assert _http.parse_json(response.body, source="test") == {"a": 1}
    seen = server.seen[0]
    assert (seen.method, seen.path, seen.query, seen.body) == (
        "POST",
        "/path",
        {"q": "1"},
        b'{"x": 2}',
    )
    assert seen.headers["user-agent"] == f"lpsigning-mojo/{__version__}"
    assert seen.headers["content-type"] == "application/json"


def test_error_statuses_are_answers_not_exceptions(serve: Callable[..., Server]) -> None:
    server = serve(lambda ex: ex.reply(503, "busy"))
    response = get(server.url)
    assert (response.status, response.body) == (503, b"busy")


# -- bounded time ------------------------------------------------------------------------------


def test_a_server_sending_one_byte_at_a_time_cannot_stretch_the_deadline(
    serve: Callable[..., Server],
) -> None:
    body = json.dumps({"service-key": "k" * 200}).encode()
    server = serve(lambda ex: ex.trickle(200, body, interval=0.05))
    started = time.monotonic()
    with pytest.raises(HttpTimeoutError) as caught:
        get(server.url, timeout=0.6)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"the request took {elapsed:.2f} s for a 0.6 s deadline"
    assert str(caught.value) == f"{server.url} sent no complete answer within 0.6 s."
    assert caught.value.sent


def test_the_deadline_counts_time_on_the_injected_clock(serve: Callable[..., Server]) -> None:
    """Every read asks the clock; a clock that moves 0.1 s per read ends a trickle after ~10."""
    server = serve(lambda ex: ex.trickle(200, b"x" * 10_000, interval=0.001))
    with pytest.raises(HttpTimeoutError):
        get(server.url, timeout=1.0, clock=TickingClock(0.1))
    assert len(server.seen) == 1


def test_trickled_headers_are_under_the_deadline_too(serve: Callable[..., Server]) -> None:
    def slow_headers(exchange: Exchange) -> None:
        exchange.reset = lambda: None  # type: ignore[method-assign]
        exchange.answered = True
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
            if exchange.wait(0.02):
                return
            exchange.write(bytes([byte]))

    server = serve(slow_headers)
    started = time.monotonic()
    with pytest.raises(HttpTimeoutError):
        get(server.url, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_a_server_that_never_answers_costs_the_timeout(serve: Callable[..., Server]) -> None:
    server = serve(lambda ex: None if ex.wait(30) else ex.reply(200, "late"))
    started = time.monotonic()
    with pytest.raises(HttpTimeoutError):
        get(server.url, timeout=0.3)
    assert time.monotonic() - started < 1.3


# -- bounded size ------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "no-length"])
def test_an_endless_body_is_cut_off_at_the_limit(
    serve: Callable[..., Server], chunked: bool
) -> None:
    server = serve(lambda ex: ex.endless(chunked=chunked))
    with pytest.raises(HttpResponseError) as caught:
        get(server.url, max_bytes=100_000)
    assert str(caught.value) == (
        f"{server.url} sent a body of more than 100000 bytes; it was cut off there."
    )
    assert caught.value.status == 200


def test_an_announced_body_over_the_limit_is_not_read(serve: Callable[..., Server]) -> None:
    server = serve(lambda ex: ex.reply(200, b"x" * 5000))
    with pytest.raises(HttpResponseError, match="announced a body of 5000 bytes"):
        get(server.url, max_bytes=4999)
    assert get(server.url, max_bytes=5000).body == b"x" * 5000


def test_too_many_headers_is_malformed_http(serve: Callable[..., Server]) -> None:
    server = serve(lambda ex: ex.reply(200, "", headers={f"X-{n}": "a" for n in range(150)}))
    with pytest.raises(HttpResponseError, match="malformed HTTP"):
        get(server.url)


# -- redirects ---------------------------------------------------------------------------------


def test_a_redirect_on_the_same_origin_is_followed(serve: Callable[..., Server]) -> None:
    def answer(exchange: Exchange) -> None:
        if exchange.path == "/old":
            exchange.reply(307, "", headers={"Location": "/new"})
        else:
            exchange.reply(200, exchange.method + " " + exchange.body.decode())

    server = serve(answer)
    response = _http.request("POST", server.url + "old", timeout=5, body=b"payload")
    assert response.body == b"POST payload"
    assert [ex.path for ex in server.seen] == ["/old", "/new"]


def test_a_303_turns_a_post_into_a_get(serve: Callable[..., Server]) -> None:
    def answer(exchange: Exchange) -> None:
        if exchange.path == "/form":
            exchange.reply(303, "", headers={"Location": "/done"})
        else:
            exchange.reply(200, exchange.method)

    server = serve(answer)
    assert _http.request("POST", server.url + "form", timeout=5, body=b"x").body == b"GET"


def test_a_redirect_to_another_host_is_not_followed(serve: Callable[..., Server]) -> None:
    other = serve(lambda ex: ex.reply(200, "should never be asked"), host="127.0.0.2")
    server = serve(lambda ex: ex.reply(301, "", headers={"Location": other.url + "x"}))
    with pytest.raises(HttpRedirectError) as caught:
        get(server.url)
    assert str(caught.value) == (
        f"{server.url} redirected (HTTP 301) to {other.url}x, which is not on "
        f"http://127.0.0.1:{server.port}; it was not followed. "
        "Use the URL the service is really served at."
    )
    assert caught.value.redirect_to == other.url + "x"
    assert other.seen == []


@pytest.mark.parametrize(
    "location",
    ["ftp://127.0.0.1/file", "https://127.0.0.1:{port}/", "http://127.0.0.1:1/"],
    ids=["scheme", "https", "port"],
)
def test_a_redirect_to_another_scheme_or_port_is_refused_at_once(
    serve: Callable[..., Server], location: str
) -> None:
    server = serve(
        lambda ex: ex.reply(302, "", headers={"Location": location.format(port=server.port)})
    )
    started = time.monotonic()
    with pytest.raises(HttpRedirectError, match="it was not followed"):
        get(server.url)
    assert time.monotonic() - started < 1
    assert len(server.seen) == 1


def test_a_redirect_loop_ends(serve: Callable[..., Server]) -> None:
    server = serve(lambda ex: ex.reply(302, "", headers={"Location": "/again"}))
    with pytest.raises(HttpRedirectError, match="redirected more than 3 times"):
        get(server.url, max_redirects=3)
    assert len(server.seen) == 4


# -- connections and URLs ----------------------------------------------------------------------


def test_a_refused_connection_says_nothing_was_sent() -> None:
    with pytest.raises(HttpConnectionError) as caught:
        get("http://127.0.0.1:1/")
    assert "refused the connection" in str(caught.value)
    assert not caught.value.sent


def test_a_dropped_connection_may_have_been_received(serve: Callable[..., Server]) -> None:
    server = serve(lambda ex: ex.reset())
    with pytest.raises(HttpConnectionError) as caught:
        get(server.url)
    assert caught.value.sent


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "ftp://127.0.0.1/", "http:///path", "http://127.0.0.1/a b", "http://h:99999/"],
)
def test_unusable_urls_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(HttpConnectionError) as caught:
        get(url)
    assert not caught.value.sent
    assert str(caught.value).endswith(".")


def test_user_and_password_never_appear_in_messages() -> None:
    with pytest.raises(HttpConnectionError) as caught:
        get("http://me:hunter2@127.0.0.1:1/x")
    assert "hunter2" not in str(caught.value)
    assert "http://127.0.0.1:1/x" in str(caught.value)


# -- proxies -----------------------------------------------------------------------------------


def test_loopback_is_reached_directly_whatever_the_proxy_settings(
    serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:1")
    server = serve(lambda ex: ex.reply(200, "direct"))
    assert get(server.url).body == b"direct"


def test_other_hosts_go_through_the_proxy(
    serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda ex: ex.reply(200, "via proxy"))
    monkeypatch.setenv("http_proxy", f"http://user:pw@127.0.0.1:{proxy.port}")
    monkeypatch.delenv("no_proxy", raising=False)
    assert get("http://signing.example.invalid:8000/service-key").body == b"via proxy"
    seen = proxy.seen[0]
    assert seen.target == "http://signing.example.invalid:8000/service-key"
    assert seen.headers["proxy-authorization"] == "Basic dXNlcjpwdw=="


def test_https_to_other_hosts_tunnels_through_the_proxy(
    serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda ex: ex.reply(502, "no tunnels here"))
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(HttpConnectionError, match="Tunnel connection failed"):
        get("https://chat.example.invalid/hooks/abc")
    assert (proxy.seen[0].method, proxy.seen[0].target) == ("CONNECT", "chat.example.invalid:443")


# -- secrets -----------------------------------------------------------------------------------


def _everything_said(error: BaseException) -> str:
    """The error's str, repr and args, and those of every exception chained to it."""
    said = []
    seen: BaseException | None = error
    while seen is not None:
        said += [str(seen), repr(seen), repr(seen.args), *traceback.format_exception_only(seen)]
        seen = seen.__cause__ or seen.__context__
    return " ".join(said)


@pytest.mark.parametrize(
    "answer",
    [
        lambda ex: ex.reply(301, "", headers={"Location": "http://127.0.0.2:9/hooks/SECRETKEY"}),
        lambda ex: ex.reset(),
        lambda ex: ex.endless(chunked=True),
        lambda ex: ex.wait(10) and None,
        lambda ex: ex.reply(302, "", headers={"Location": "ftp://x/hooks/SECRETKEY"}),
        lambda ex: ex.reply(302, "", headers={"Location": "/hooks/SECRETKEY"}),
    ],
    ids=["redirect-off-host", "reset", "endless", "timeout", "redirect-ftp", "redirect-loop"],
)
def test_a_secret_url_never_appears_in_an_error(
    serve: Callable[..., Server], answer: Handler
) -> None:
    server = serve(answer)
    url = server.url + "hooks/SECRETKEY"
    with pytest.raises(HttpError) as caught:
        _http.request(
            "POST", url, timeout=0.5, body=b"{}", max_bytes=10_000, redact_as="<webhook URL>"
        )
    said = _everything_said(caught.value)
    assert "SECRETKEY" not in said
    assert "<webhook URL>" in str(caught.value)
    assert caught.value.url == "<webhook URL>"


def test_a_secret_url_that_cannot_be_used_is_not_named() -> None:
    with pytest.raises(HttpConnectionError) as caught:
        _http.request("POST", "http://[::1/hooks/SECRETKEY", timeout=1, redact_as="<hook>")
    assert "SECRETKEY" not in _everything_said(caught.value)
    assert str(caught.value).startswith("<hook> is not a valid URL")


# -- JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"[" * 100_000 + b"]" * 100_000,
            "src answered with JSON nested more than 100 levels deep",
        ),
        (b"[" * 101 + b"]" * 101, "src answered with JSON nested more than 100 levels deep"),
        (b"{not json", "src answered with something that is not JSON: b'{not json'"),
        (b'"\xff"', "src answered with something that is not JSON: b'\"\\xff\"'"),
    ],
    ids=["deep", "deeper-than-the-limit", "invalid", "not-utf8"],
)
def test_bad_json_is_one_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        _http.parse_json(body, source="src", status=200)
    assert str(caught.value) == message + "."
    assert caught.value.status == 200


def test_shown_url_drops_credentials_and_escapes_control_characters() -> None:
    assert _http.shown_url("https://u:p@host/path?q=1") == "https://host/path?q=1"
    assert _http.shown_url("http://host/\x1b[31m") == "http://host/\\x1b[31m"


# -- TLS --------------------------------------------------------------------------------------


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_server(
    serve: Callable[..., Server], tls_files: tuple[Path, Path]
) -> Callable[[Handler], Server]:
    def start(handler: Handler) -> Server:
        server = serve(handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls_files)
        server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
        return server

    return start


def test_https_works_and_the_deadline_holds_over_tls(
    tls_server: Callable[[Handler], Server],
    tls_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))
    server = tls_server(
        lambda ex: (
            ex.trickle(200, b"x" * 1000, interval=0.05)
            if ex.path == "/slow"
            else ex.reply(200, "over tls")
        )
    )
    url = f"https://127.0.0.1:{server.port}/"
    assert get(url).body == b"over tls"
    started = time.monotonic()
    with pytest.raises(HttpTimeoutError):
        get(url + "slow", timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_an_untrusted_certificate_is_refused(tls_server: Callable[[Handler], Server]) -> None:
    server = tls_server(lambda ex: ex.reply(200, "should not be read"))
    with pytest.raises(HttpConnectionError, match=r"TLS certificate of .* is not valid") as caught:
        get(f"https://127.0.0.1:{server.port}/")
    assert not caught.value.sent
