"""Setting up SSH connections with paramiko: sockets, jump hosts, proxy commands, host keys.

Part of the SSH adapter (:mod:`lpsigning_mojo.external.ssh` runs commands over
what :class:`Connector` sets up). Nothing here starts a remote command, so
every failure is safe to retry; each is turned into an error that says what
to do. Host keys are checked against known_hosts only (paramiko's
``RejectPolicy``); an unknown or changed key is refused.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
from typing import TYPE_CHECKING, NoReturn

import attrs

from lpsigning_mojo.errors import (
    HostKeyChangedError,
    HostKeyUnknownError,
    LpsigningMojoError,
    SSHAuthError,
    SSHConnectError,
)
from lpsigning_mojo.external.ssh_config import Hop, Route

if TYPE_CHECKING:
    import paramiko

__all__ = ["Connection", "Connector"]

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

    ``known_hosts_files``, when given, replaces the files each hop's
    ``ssh_config`` names.
    """

    known_hosts_files: tuple[str, ...] | None = None
    allow_agent: bool = True
    connect_timeout: float = 15.0
    banner_timeout: float = 15.0
    auth_timeout: float = 30.0

    def connect(self, route: Route) -> Connection:
        """Connect through each hop of ``route`` in turn, ending at its target.

        Raises ``SSHConnectError`` (``retryable`` when trying again may help),
        ``SSHAuthError``, ``HostKeyUnknownError`` or ``HostKeyChangedError``.
        """
        connection = Connection()
        try:
            for index, hop in enumerate(route.hops):
                sock: object
                if index == 0 and hop.proxy_command:
                    proxy = _ProxyCommand(hop.proxy_command)
                    connection.proxies.append(proxy)
                    sock = proxy.sock
                elif index == 0:
                    sock = self._open_socket(hop)
                else:
                    previous = connection.clients[-1]
                    sock = self._open_jump_channel(previous, route.hops[index - 1], hop)
                connection.clients.append(self._connect_hop(hop, sock))
        except BaseException:
            connection.close()
            raise
        return connection

    def _open_socket(self, hop: Hop) -> socket.socket:
        timeout = hop.connect_timeout or self.connect_timeout
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
                f"{where} did not answer within {timeout:g} s", host=hop.address
            ) from None
        except OSError as error:
            raise SSHConnectError(
                f"cannot connect to {where}: {error.strerror or error}", host=hop.address
            ) from None

    def _open_jump_channel(
        self, client: paramiko.SSHClient, jump: Hop, hop: Hop
    ) -> paramiko.Channel:
        import paramiko

        transport = client.get_transport()
        assert transport is not None
        try:
            return transport.open_channel(
                "direct-tcpip",
                (hop.hostname, hop.port),
                ("127.0.0.1", 0),
                timeout=hop.connect_timeout or self.connect_timeout,
            )
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise SSHConnectError(
                f"jump host {jump.address} could not connect to {hop.hostname} port {hop.port}: "
                f"{error}",
                host=hop.address,
            ) from None

    def _connect_hop(self, hop: Hop, sock: object) -> paramiko.SSHClient:
        import paramiko

        client = paramiko.SSHClient()
        try:
            files = (
                hop.known_hosts_files if self.known_hosts_files is None else self.known_hosts_files
            )
            hop = attrs.evolve(hop, known_hosts_files=tuple(files))
            for name in files:
                if os.path.isfile(name):
                    client.load_system_host_keys(name)
            client.set_missing_host_key_policy(_refusing_policy(hop))
            # With HostKeyAlias, known_hosts is searched for the alias alone (no port).
            client.connect(
                hop.host_key_alias or hop.hostname,
                port=22 if hop.host_key_alias else hop.port,
                username=hop.user,
                key_filename=list(hop.identity_files) or None,  # type: ignore[arg-type]
                allow_agent=self.allow_agent,
                look_for_keys=not hop.identity_files,
                timeout=hop.connect_timeout or self.connect_timeout,
                banner_timeout=self.banner_timeout,
                auth_timeout=self.auth_timeout,
                channel_timeout=self.connect_timeout,
                sock=sock,  # type: ignore[arg-type]
            )
            return client
        except BaseException as error:
            client.close()
            _close_sock(sock)
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
