"""HTTP plumbing the HTTP adapters share: one request, bounded in time and size.

Not an adapter: no Protocol, no outside system of its own. The adapters
(:mod:`~lpsigning_mojo.external.probe`, :mod:`~lpsigning_mojo.external.chat`)
call :func:`request` from their chokepoint method and turn its
:class:`~lpsigning_mojo.errors.HttpError` into errors of their own family.

What :func:`request` guarantees:

- **A total deadline.** ``timeout`` bounds the whole exchange (connect, TLS,
  sending, the status line, every header and every byte of the body, and any
  redirect), not each read: before each socket read the remaining time is
  taken from the injected clock and becomes the socket's timeout, so a server
  sending one byte a second cannot stretch the request.
- **A size limit.** A body longer than ``max_bytes`` (announced, endless, or
  chunked) is cut off with :class:`~lpsigning_mojo.errors.HttpResponseError`;
  no more than ``max_bytes`` plus one read is ever held in memory.
- **Redirects on the same origin only.** A redirect is followed only to the
  same scheme, host and port; anything else raises
  :class:`~lpsigning_mojo.errors.HttpRedirectError` naming where it tried to go.
- **No proxy surprises.** Loopback hosts are always reached directly; other
  hosts use the ``http_proxy``/``https_proxy`` variables unless ``no_proxy``
  says otherwise, as urllib does.
- **Secret URLs stay secret.** With ``redact_as``, every message names the
  label instead of the URL, and a redirect target shows only its origin.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

import attrs

from lpsigning_mojo._version import __version__
from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import (
    HttpConnectionError,
    HttpRedirectError,
    HttpResponseError,
    HttpTimeoutError,
)
from lpsigning_mojo.untrusted import loads_json, printable

__all__ = [
    "DEFAULT_MAX_BYTES",
    "HttpResponse",
    "is_loopback",
    "parse_json",
    "request",
    "shown_url",
    "validate_url",
]

#: The default body size limit: 1 MiB.
DEFAULT_MAX_BYTES = 1 << 20
#: Statuses that redirect; 307 and 308 keep the method and body, the others become GET.
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_READ_SIZE = 64 * 1024


@attrs.frozen(kw_only=True)
class HttpResponse:
    """An answer: its status, reason, headers (lower-case names) and the whole body."""

    status: int
    reason: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


def shown_url(url: str) -> str:
    """``url`` as it may appear in a message: without user name and password, at most 200 chars."""
    try:
        parts = urllib.parse.urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        text = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        text = url
    text = printable(text)
    return text if len(text) <= 200 else text[:199] + "…"


def validate_url(url: str, *, redact_as: str | None = None) -> None:
    """Raise :class:`~lpsigning_mojo.errors.HttpConnectionError` unless ``url`` is usable.

    It must be an ``http`` or ``https`` URL with a host, a valid port, and no
    spaces or control characters. Nothing is sent.
    """
    _parse(url, redact_as or shown_url(url))


def parse_json(body: bytes, *, source: str, status: int | None = None) -> object:
    """Decode a JSON body; anything else (bad UTF-8, bad JSON, nesting too deep) is one error.

    ``source`` names where the body came from, as it may be shown. The
    decoding is :func:`lpsigning_mojo.untrusted.loads_json`'s.
    """

    def failure(problem: str) -> HttpResponseError:
        return HttpResponseError(f"{source} answered with {problem}", url=source, status=status)

    return loads_json(body, error=failure)


@attrs.frozen
class _Origin:
    scheme: str
    host: str
    port: int


@attrs.frozen
class _Target:
    origin: _Origin
    path: str  # path and query, as sent in the request line
    userinfo: str


def _parse(url: str, shown: str) -> _Target:
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as error:
        raise HttpConnectionError(
            f"{shown} is not a valid URL ({error})", url=shown, sent=False
        ) from None
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise HttpConnectionError(
            f"{shown} is not an http or https URL with a host", url=shown, sent=False
        )
    if any(not char.isprintable() or char.isspace() for char in url):
        raise HttpConnectionError(
            f"{shown} contains spaces or control characters", url=shown, sent=False
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    return _Target(
        origin=_Origin(parts.scheme, host, port or _DEFAULT_PORTS[parts.scheme]),
        path=path,
        userinfo=userinfo,
    )


def _describe_origin(origin: _Origin) -> str:
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{origin.scheme}://{host}:{origin.port}"


class _Deadline:
    """The time left, read from the clock; :class:`TimeoutError` once none is."""

    def __init__(self, clock: Clock, timeout: float) -> None:
        self.clock = clock
        self.timeout = timeout
        self.expires = clock.monotonic() + timeout

    def remaining(self) -> float:
        left = self.expires - self.clock.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        return left


class _DeadlineSocket(socket.socket):
    """A socket whose every send and read waits at most until the deadline."""

    deadline: _Deadline | None = None

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        if self.deadline is not None:
            self.settimeout(self.deadline.remaining())
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        if self.deadline is not None:
            self.settimeout(self.deadline.remaining())
        super().sendall(data, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """The TLS counterpart of :class:`_DeadlineSocket` (the handshake has its own deadline)."""

    deadline: _Deadline | None = None

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        if self.deadline is not None:
            self.settimeout(self.deadline.remaining())
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        if self.deadline is not None:
            self.settimeout(self.deadline.remaining())
        super().sendall(data, flags)


def _open_socket(address: tuple[str, int], deadline: _Deadline) -> socket.socket:
    """Like :func:`socket.create_connection`, with a :class:`_DeadlineSocket`."""
    host, port = address
    problem: OSError | None = None
    for family, kind, proto, _, target in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = _DeadlineSocket(family, kind, proto)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(target)
        except OSError as error:
            sock.close()
            problem = error
            continue
        sock.deadline = deadline
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise problem or OSError(f"no address found for {host}")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.timeout)
        self._create_connection = lambda address, *_: _open_socket(address, deadline)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, deadline: _Deadline) -> None:
        context = ssl.create_default_context()
        context.sslsocket_class = _DeadlineSSLSocket
        super().__init__(host, port, timeout=deadline.timeout, context=context)
        self._deadline = deadline
        self._create_connection = lambda address, *_: _open_socket(address, deadline)

    def connect(self) -> None:
        super().connect()
        if isinstance(self.sock, _DeadlineSSLSocket):
            self.sock.deadline = self._deadline


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine: never proxied."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _proxy_for(origin: _Origin) -> tuple[_Origin, str | None] | None:
    """The proxy to use for ``origin`` (and its ``Proxy-Authorization``), or ``None``."""
    if is_loopback(origin.host):
        return None
    proxy = urllib.request.getproxies().get(origin.scheme)
    if not proxy or urllib.request.proxy_bypass(f"{origin.host}:{origin.port}"):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    parts = urllib.parse.urlsplit(proxy)
    if not parts.hostname:
        return None
    auth = None
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return _Origin(parts.scheme or "http", parts.hostname, parts.port or 80), auth


def _connection(
    target: _Target, deadline: _Deadline
) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection for ``target``, the request path to send on it, and proxy headers."""
    origin = target.origin
    proxied = _proxy_for(origin)
    if proxied is None:
        kind = _HTTPSConnection if origin.scheme == "https" else _HTTPConnection
        return kind(origin.host, origin.port, deadline), target.path, {}
    proxy, auth = proxied
    headers = {"Proxy-Authorization": auth} if auth else {}
    if origin.scheme == "https":
        https = _HTTPSConnection(proxy.host, proxy.port, deadline)
        https.set_tunnel(origin.host, origin.port, headers=headers)
        return https, target.path, {}
    absolute = f"http://{_describe_origin(origin).partition('://')[2]}{target.path}"
    return _HTTPConnection(proxy.host, proxy.port, deadline), absolute, headers


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    clock: Clock = SYSTEM_CLOCK,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = 5,
    redact_as: str | None = None,
) -> HttpResponse:
    """Send one request and return the answer, whatever its status.

    ``timeout`` is the total time allowed (seconds, on ``clock``) for the
    request and any redirects; ``max_bytes`` limits the body. ``redact_as``
    (e.g. ``"<webhook URL>"``) marks ``url`` as a secret: messages name the
    label instead. Raises an :class:`~lpsigning_mojo.errors.HttpError`
    subclass when no complete answer comes.
    """
    shown = redact_as or shown_url(url)
    deadline = _Deadline(clock, timeout)
    current, verb, payload = url, method.upper(), body
    for _ in range(max_redirects + 1):
        target = _parse(current, shown)
        response = _exchange(target, verb, payload, headers or {}, deadline, max_bytes, shown)
        location = response.headers.get("location")
        if response.status not in _REDIRECTS or location is None:
            return response
        next_url = urllib.parse.urljoin(current, location.strip())
        try:
            next_target = _parse(next_url, shown)
        except HttpConnectionError:
            next_target = None
        if next_target is None or next_target.origin != target.origin:
            where = _redirect_shown(next_url, next_target, secret=redact_as is not None)
            raise HttpRedirectError(
                f"{shown} redirected (HTTP {response.status}) to {where}, which is not on "
                f"{_describe_origin(target.origin)}; it was not followed",
                url=shown,
                redirect_to=where,
                hint="Use the URL the service is really served at",
            )
        if (response.status == 303 and verb != "HEAD") or (
            response.status in (301, 302) and verb == "POST"
        ):
            verb, payload = "GET", None
        current = next_url
    raise HttpRedirectError(
        f"{shown} redirected more than {max_redirects} times; the last redirect was not followed",
        url=shown,
    )


def _redirect_shown(url: str, target: _Target | None, *, secret: bool) -> str:
    if target is None:
        shown = shown_url(url)
        if secret:
            scheme = shown.partition(":")[0]
            return f"a {scheme!r} URL" if scheme else "an unusable URL"
        return shown
    return _describe_origin(target.origin) if secret else shown_url(url)


def _exchange(
    target: _Target,
    method: str,
    body: bytes | None,
    headers: Mapping[str, str],
    deadline: _Deadline,
    max_bytes: int,
    shown: str,
) -> HttpResponse:
    """One request and its answer on a fresh connection, errors translated."""
    sent = False
    all_headers = {
        "User-Agent": f"lpsigning-mojo/{__version__}",
        "Accept": "*/*",
        "Connection": "close",
        **headers,
    }
    if target.userinfo and "Authorization" not in all_headers:
        user, _, password = target.userinfo.partition(":")
        token = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
        all_headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
    try:
        connection, path, proxy_headers = _connection(target, deadline)
        try:
            connection.connect()
            sent = True
            connection.request(method, path, body=body, headers={**all_headers, **proxy_headers})
            answer = connection.getresponse()
            try:  # with "Connection: close" the answer, not the connection, owns the socket
                data = _read_body(answer, max_bytes, deadline, shown)
            finally:
                answer.close()
            names = {name.lower() for name in answer.headers}
            return HttpResponse(
                status=answer.status,
                reason=answer.reason,
                headers={name: ", ".join(answer.headers.get_all(name) or ()) for name in names},
                body=data,
            )
        finally:
            connection.close()
    except TimeoutError:
        raise HttpTimeoutError(
            f"{shown} sent no complete answer within {deadline.timeout:g} s",
            url=shown,
            sent=sent,
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise HttpConnectionError(
            f"the TLS certificate of {shown} is not valid ({error.verify_message})",
            url=shown,
            sent=False,
        ) from None
    except socket.gaierror:
        raise HttpConnectionError(
            f"the host of {shown} cannot be resolved", url=shown, sent=False
        ) from None
    except ConnectionRefusedError:
        raise HttpConnectionError(
            f"{shown} refused the connection (nothing listens there)", url=shown, sent=False
        ) from None
    except OSError as error:
        detail = error.strerror or (str(error.args[0]) if error.args else type(error).__name__)
        raise HttpConnectionError(
            f"the connection to {shown} failed ({detail[:120]})", url=shown, sent=sent
        ) from None
    except http.client.IncompleteRead as error:
        raise HttpConnectionError(
            f"the connection to {shown} closed after {len(error.partial)} bytes of the body",
            url=shown,
            sent=sent,
        ) from None
    except http.client.HTTPException as error:
        detail = str(error.args[0]) if error.args else type(error).__name__
        raise HttpResponseError(
            f"{shown} answered with malformed HTTP ({detail[:120]!r})", url=shown, sent=sent
        ) from None


def _read_body(
    answer: http.client.HTTPResponse, max_bytes: int, deadline: _Deadline, shown: str
) -> bytes:
    announced = answer.getheader("Content-Length")
    if announced is not None and announced.strip().isdigit() and int(announced) > max_bytes:
        raise HttpResponseError(
            f"{shown} announced a body of {int(announced)} bytes, over the limit of "
            f"{max_bytes}; it was not read",
            url=shown,
            status=answer.status,
        )
    chunks: list[bytes] = []
    total = 0
    while True:
        deadline.remaining()
        chunk = answer.read1(min(_READ_SIZE, max_bytes - total + 1))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise HttpResponseError(
                f"{shown} sent a body of more than {max_bytes} bytes; it was cut off there",
                url=shown,
                status=answer.status,
            )
        chunks.append(chunk)
