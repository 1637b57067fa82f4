"""Setting up SSH connections with paramiko: sockets, jump hosts, proxy commands, host keys.

Part of the SSH adapter (:mod:`lpsigning_mojo.external.ssh` runs commands over
what :class:`Connector` sets up). Nothing here starts a remote command, so
every failure is safe to retry; each is turned into an error that says what
to do (``retryable`` says whether trying again can help). Host keys are
checked against known_hosts only (paramiko's ``RejectPolicy``); an unknown or
changed key is refused.

Every phase of a login is bounded: the TCP connection, the server's banner
and the key exchange together by ``connect_timeout`` (per hop; ssh_config's
``ConnectTimeout`` wins), the login itself by ``auth_timeout``, and all of
it by the caller's ``timeout``. paramiko bounds some phases itself and
others not at all, so a watchdog thread closes the socket of a login that
overruns, and the error says which phase the server stalled in.

paramiko logs its own failures (with tracebacks) from its transport thread;
:func:`quiet_paramiko` keeps them off the user's terminal, always.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import attrs

from lpsigning_mojo.errors import (
    HostKeyChangedError,
    HostKeyUnknownError,
    LpsigningMojoError,
    SSHAuthError,
    SSHConfigError,
    SSHConnectError,
)
from lpsigning_mojo.external.ssh_config import Hop, Route

if TYPE_CHECKING:
    import paramiko

__all__ = ["Connection", "Connector", "Watchdog", "quiet_paramiko", "seconds_text"]

#: How often the login watchdog looks at the phase a login is in (seconds).
_POLL = 0.05
#: How much later than the watchdog paramiko's own timeouts end a phase (seconds).
_BACKSTOP = 2.0


def quiet_paramiko() -> None:
    """Keep paramiko's log records (its transport thread logs tracebacks) off stderr.

    Without a handler of its own, a record of level WARNING or above would
    reach Python's last-resort handler, which prints it on stderr. Every
    failure paramiko logs is also raised to this adapter, which says it in
    one sentence.
    """
    logger = logging.getLogger("paramiko")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def seconds_text(value: float) -> str:
    """``"15 s"``, ``"2.5 s"``: a duration in messages, up to the next tenth of a second.

    (A bound of "what is left of 1 s" is a hair under 1 s by the time it is
    used; it reads as the 1 s the person gave.)
    """
    return f"{math.ceil(round(value * 10, 3)) / 10:g} s"


class Watchdog:
    """Calls ``expire`` once ``seconds`` (real time) pass, unless the ``with`` block ends first.

    ``fired`` says whether it did. ``seconds=None`` never fires. Used to
    bound the waits paramiko does not bound itself (the answer to a pty or
    exec request): ``expire`` closes what the wait is on, which ends it.
    """

    def __init__(self, seconds: float | None, expire: Callable[[], None]) -> None:
        self.fired = False
        self._expire = expire
        self._timer: threading.Timer | None = None
        if seconds is not None:
            self._timer = threading.Timer(max(seconds, 0.0), self._fire)
            self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(Exception):  # best effort: the waiter reports the failure
            self._expire()

    def __enter__(self) -> Watchdog:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _LoginGuard:
    """Closes the socket of a login that overruns, and remembers in which phase.

    Phases: ``banner`` (waiting for the server's ``SSH-2.0-...`` line),
    ``kex`` (key exchange), ``auth`` (the login). The banner and the key
    exchange must end ``handshake`` seconds after the start (the banner within
    ``banner``), the login ``auth`` seconds after it began, and all of it
    within ``limit`` seconds.
    """

    def __init__(
        self,
        client: paramiko.SSHClient,
        sock: object,
        *,
        handshake: float,
        banner: float,
        auth: float,
        limit: float,
    ) -> None:
        self.client = client
        self.sock = sock
        self.start = time.monotonic()
        self.limit_at = self.start + limit
        self.handshake_at = min(self.start + handshake, self.limit_at)
        self.banner_at = min(self.start + banner, self.handshake_at)
        self.auth = auth
        self.auth_start: float | None = None
        self.auth_at = self.limit_at
        #: The phase that overran and the seconds it was allowed, once the guard acted.
        self.expired: tuple[str, float] | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ssh-login-guard", daemon=True)

    def phase(self) -> str:
        transport = self.client.get_transport()
        if transport is None or not transport.remote_version:
            return "banner"
        if not transport.initial_kex_done:
            return "kex"
        return "auth"

    def _watch(self) -> None:
        while not self._done.wait(_POLL):
            phase, now = self.phase(), time.monotonic()
            if phase == "auth" and self.auth_start is None:
                self.auth_start = now
                self.auth_at = min(now + self.auth, self.limit_at)
            if phase == "banner":
                due, allowed = self.banner_at, self.banner_at - self.start
            elif phase == "kex":
                due, allowed = self.handshake_at, self.handshake_at - self.start
            else:
                due, allowed = self.auth_at, self.auth_at - (self.auth_start or self.start)
            if now >= due:
                self.expired = (phase, allowed)
                self._close()
                return

    def _close(self) -> None:
        if isinstance(self.sock, socket.socket):
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading it
        transport = self.client.get_transport()
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.close()
        _close_sock(self.sock)

    def __enter__(self) -> _LoginGuard:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()

    def failure(self, hop: Hop) -> SSHConnectError:
        """The error for the phase that overran (the guard must have acted)."""
        assert self.expired is not None
        phase, allowed = self.expired
        within = f"within {seconds_text(allowed)}"
        what = {
            "banner": f"{hop.address} accepted the connection but sent no SSH banner {within}",
            "kex": f"{hop.address} did not finish the SSH key exchange {within}",
            "auth": f"{hop.address} did not answer the login {within}",
        }[phase]
        failure = SSHConnectError(
            what,
            host=hop.address,
            hint="Check that an SSH server answers there (ssh -v), and try again later",
        )
        failure.retryable = False  # it answered the TCP connection: waiting longer will not help
        return failure


_KEYSCAN_TYPES = {"ssh-ed25519": "ed25519", "ssh-rsa": "rsa", "ssh-dss": "dsa"}


def _keyscan_hint(hop: Hop, key_type: str) -> str:
    kind = _KEYSCAN_TYPES.get(key_type, "ecdsa" if key_type.startswith("ecdsa") else key_type)
    port = "" if hop.port == 22 else f"-p {hop.port} "
    return f"ssh-keyscan {port}-t {kind} {shlex.quote(hop.hostname)}"


def _unknown_host(hop: Hop, key: paramiko.PKey) -> HostKeyUnknownError:
    name = shlex.quote(hop.known_hosts_name)
    scan = _keyscan_hint(hop, key.get_name())
    return HostKeyUnknownError(
        f"{hop.known_hosts_name} is not in your known_hosts files "
        f"({', '.join(hop.known_hosts_files) or 'none'}), so this tool will not connect to it; "
        f"it offered the {key.get_name()} key {key.fingerprint}",
        host=hop.known_hosts_name,
        hint=(
            "Confirm that fingerprint with the host's administrators (see it with: "
            f"{scan} | ssh-keygen -lf -), then add the key with: "
            f"{scan} >> ~/.ssh/known_hosts, and check the entry with: ssh-keygen -F {name} -l"
        ),
    )


def _changed_host(hop: Hop, expected: paramiko.PKey, got: paramiko.PKey) -> HostKeyChangedError:
    return HostKeyChangedError(
        f"WARNING: the host key of {hop.known_hosts_name} has CHANGED: known_hosts has "
        f"{expected.get_name()} {expected.fingerprint} but the server offered "
        f"{got.get_name()} {got.fingerprint}. Someone may be intercepting the connection, "
        "or the host was reinstalled; this tool will not connect",
        host=hop.known_hosts_name,
        hint=(
            "Do not go on until the host's administrators confirm the new key; then remove "
            f"the old entry with: ssh-keygen -R {shlex.quote(hop.known_hosts_name)}, "
            "and add the new one"
        ),
    )


class _ProxyCommand:
    """A ``ProxyCommand``, run as OpenSSH runs it: by the shell, on one end of a socket pair.

    (paramiko's own ``ProxyCommand`` splits the command without a shell and
    never reaps the process.)
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self.sock, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", command], stdin=theirs.fileno(), stdout=theirs.fileno()
            )
        except OSError as error:
            self.sock.close()
            raise SSHConnectError(f"cannot run ProxyCommand {command!r}: {error}") from None
        finally:
            theirs.close()

    def close(self) -> None:
        self.sock.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Connection:
    """The clients of a route's hops (the last one reaches the target) and any proxy command."""

    def __init__(self) -> None:
        self.clients: list[paramiko.SSHClient] = []
        self.proxies: list[_ProxyCommand] = []

    @property
    def transport(self) -> paramiko.Transport | None:
        """The target's transport while it is connected, else ``None``."""
        transport = self.clients[-1].get_transport() if self.clients else None
        return transport if transport is not None and transport.is_active() else None

    def close(self) -> None:
        clients, self.clients = self.clients, []
        for client in reversed(clients):
            client.close()
        proxies, self.proxies = self.proxies, []
        for proxy in proxies:
            proxy.close()


@attrs.frozen(kw_only=True)
class Connector:
    """How to connect: timeouts (seconds), ssh-agent use, and known_hosts files.

    Per hop, the TCP connection, the server's banner and the key exchange
    take at most ``connect_timeout`` seconds together (the hop's
    ``ConnectTimeout`` wins; the banner also at most ``banner_timeout``), and
    the login at most ``auth_timeout``. ``known_hosts_files``, when given,
    replaces the files each hop's ``ssh_config`` names.
    """

    known_hosts_files: tuple[str, ...] | None = None
    allow_agent: bool = True
    connect_timeout: float = 15.0
    banner_timeout: float = 15.0
    auth_timeout: float = 30.0

    def connect(self, route: Route, *, timeout: float | None = None) -> Connection:
        """Connect through each hop of ``route`` in turn, ending at its target.

        ``timeout`` bounds the whole route (seconds; ``None``: only the
        per-phase bounds). Raises ``SSHConfigError`` (a missing key file:
        nothing was sent), ``SSHConnectError`` (``retryable`` when trying
        again may help), ``SSHAuthError``, ``HostKeyUnknownError`` or
        ``HostKeyChangedError``.
        """
        quiet_paramiko()
        _check_identity_files(route)
        ends = math.inf if timeout is None else time.monotonic() + timeout
        connection = Connection()
        try:
            for index, hop in enumerate(route.hops):
                left = ends - time.monotonic()
                if left <= 0:
                    failure = SSHConnectError(
                        f"no time was left to connect to {hop.address} within "
                        f"{seconds_text(timeout or 0)}",
                        host=hop.address,
                    )
                    failure.retryable = False
                    raise failure
                sock: object
                if index == 0 and hop.proxy_command:
                    proxy = _ProxyCommand(hop.proxy_command)
                    connection.proxies.append(proxy)
                    sock = proxy.sock
                elif index == 0:
                    sock = self._open_socket(hop, left)
                else:
                    previous = connection.clients[-1]
                    sock = self._open_jump_channel(previous, route.hops[index - 1], hop, left)
                connection.clients.append(self._connect_hop(hop, sock, ends))
        except BaseException:
            connection.close()
            raise
        return connection

    def _handshake_timeout(self, hop: Hop) -> float:
        return hop.connect_timeout or self.connect_timeout

    def _open_socket(self, hop: Hop, left: float) -> socket.socket:
        timeout = min(self._handshake_timeout(hop), left)
        where = f"{hop.hostname} port {hop.port}"
        try:
            return socket.create_connection((hop.hostname, hop.port), timeout=timeout)
        except socket.gaierror as error:
            failure = SSHConnectError(
                f"cannot resolve the host name {hop.hostname!r}: {error.strerror}",
                host=hop.hostname,
                hint="Check the name, or your ~/.ssh/config (HostName)",
            )
            failure.retryable = False
            raise failure from None
        except ConnectionRefusedError:
            raise SSHConnectError(
                f"{where} refused the connection",
                host=hop.address,
                hint="Check that sshd runs there and listens on that port",
            ) from None
        except TimeoutError:
            raise SSHConnectError(
                f"{where} did not answer within {seconds_text(timeout)}", host=hop.address
            ) from None
        except OSError as error:
            raise SSHConnectError(
                f"cannot connect to {where}: {error.strerror or error}", host=hop.address
            ) from None

    def _open_jump_channel(
        self, client: paramiko.SSHClient, jump: Hop, hop: Hop, left: float
    ) -> paramiko.Channel:
        import paramiko

        transport = client.get_transport()
        assert transport is not None
        try:
            return transport.open_channel(
                "direct-tcpip",
                (hop.hostname, hop.port),
                ("127.0.0.1", 0),
                timeout=min(self._handshake_timeout(hop), left),
            )
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise SSHConnectError(
                f"jump host {jump.address} could not connect to {hop.hostname} port {hop.port}: "
                f"{error}",
                host=hop.address,
            ) from None

    def _connect_hop(self, hop: Hop, sock: object, ends: float) -> paramiko.SSHClient:
        import paramiko

        client = paramiko.SSHClient()
        handshake = self._handshake_timeout(hop)
        guard = _LoginGuard(
            client,
            sock,
            handshake=handshake,
            banner=min(self.banner_timeout, handshake),
            auth=self.auth_timeout,
            limit=max(ends - time.monotonic(), 0.0),
        )
        try:
            files = (
                hop.known_hosts_files if self.known_hosts_files is None else self.known_hosts_files
            )
            hop = attrs.evolve(hop, known_hosts_files=tuple(files))
            for name in files:
                if os.path.isfile(name):
                    client.load_system_host_keys(name)
            client.set_missing_host_key_policy(_refusing_policy(hop))
            with guard:
                # With HostKeyAlias, known_hosts is searched for the alias alone (no port).
                # paramiko's own timeouts are a backstop, later than the guard's bounds,
                # so that the guard (which knows the phase) acts first.
                client.connect(
                    hop.host_key_alias or hop.hostname,
                    port=22 if hop.host_key_alias else hop.port,
                    username=hop.user,
                    key_filename=list(hop.identity_files) or None,  # type: ignore[arg-type]
                    allow_agent=self.allow_agent,
                    look_for_keys=not hop.identity_files,
                    timeout=handshake + _BACKSTOP,
                    banner_timeout=min(self.banner_timeout, handshake) + _BACKSTOP,
                    auth_timeout=self.auth_timeout + _BACKSTOP,
                    channel_timeout=handshake + _BACKSTOP,
                    sock=sock,  # type: ignore[arg-type]
                )
            if guard.expired is not None:  # it overran, yet paramiko did not notice in time
                raise guard.failure(hop)
            return client
        except BaseException as error:
            client.close()
            _close_sock(sock)
            if guard.expired is not None and not isinstance(error, KeyboardInterrupt):
                raise guard.failure(hop) from None
            raise self._connect_failure(hop, error) from None

    def _connect_failure(self, hop: Hop, error: BaseException) -> BaseException:
        import paramiko

        if isinstance(error, (LpsigningMojoError, KeyboardInterrupt)):
            return error
        if isinstance(error, paramiko.BadHostKeyException):
            return _changed_host(hop, error.expected_key, error.key)
        if isinstance(error, paramiko.PasswordRequiredException):
            return SSHAuthError(
                f"cannot log in to {hop.address}: a private key file is encrypted and no key "
                "in ssh-agent was accepted",
                host=hop.address,
                hint="This tool never asks for passphrases; load the key into your agent "
                "with ssh-add",
            )
        no_methods = isinstance(error, paramiko.SSHException) and "No authentication" in str(error)
        if isinstance(error, paramiko.AuthenticationException) or no_methods:
            tried = [*hop.identity_files] or ["the default keys in ~/.ssh"]
            if self.allow_agent and os.environ.get("SSH_AUTH_SOCK"):
                tried.insert(0, "the keys in ssh-agent")
            return SSHAuthError(
                f"{hop.address} accepted none of the keys offered ({', '.join(tried)})",
                host=hop.address,
                hint="Check that your key is loaded (ssh-add -l) and authorised for that account",
            )
        failure = SSHConnectError(
            f"cannot set up an SSH session with {hop.address}: {error or type(error).__name__}",
            host=hop.address,
        )
        failure.retryable = not isinstance(error, paramiko.ssh_exception.IncompatiblePeer)
        return failure


def _check_identity_files(route: Route) -> None:
    """Refuse, before any connection, a key file the ssh_config names that cannot be read.

    paramiko would fail on it only after connecting, with an error that
    looked like a network failure (and was tried again).
    """
    for hop in route.hops:
        for name in hop.identity_files:
            if os.path.isfile(name) and os.access(name, os.R_OK):
                continue
            problem = (
                "does not exist"
                if not os.path.lexists(name)
                else "is not a file"
                if not os.path.isfile(name)
                else "cannot be read"
            )
            raise SSHConfigError(
                f"the key file {name} that your ssh_config names (IdentityFile) for "
                f"{hop.name} {problem}; nothing was sent",
                host=hop.address,
                hint="Fix or remove that IdentityFile line, or create the key",
            )


def _close_sock(sock: object) -> None:
    close = getattr(sock, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # best effort, while reporting another failure
            close()


def _refusing_policy(hop: Hop) -> paramiko.MissingHostKeyPolicy:
    """paramiko's RejectPolicy, raising an error that says how to check and add the key."""
    import paramiko

    class RefuseUnknownHost(paramiko.RejectPolicy):
        def missing_host_key(
            self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
        ) -> NoReturn:
            raise _unknown_host(hop, key)

    return RefuseUnknownHost()
