"""An SSH server inside this process (paramiko's server classes), on 127.0.0.1.

Each ``exec`` request runs the server's ``handler`` in a thread with a
:class:`Session`, which can write output, send an exit status, end as a
command killed by a signal does, wait for the client to close the channel,
or drop the whole connection. The server can also stall on purpose at one
phase of the protocol (:attr:`InProcessSSHServer.stall`), and
:class:`StalledServer` accepts TCP connections and then says nothing (or
only its banner): the hostile servers the client's timeouts are tested
against. Fast and needs no root; :mod:`.openssh` runs a real OpenSSH server
instead. Importing this module imports paramiko.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Literal

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
    cMSG_CHANNEL_REQUEST,
)

from lpsigning_mojo.testing.standins import wait_for

__all__ = ["Handler", "InProcessSSHServer", "Session", "Stall", "StalledServer", "new_key"]

#: Where :class:`InProcessSSHServer` can stall: the login, opening a session, a pty
#: request, or an exec request (each left unanswered until the server closes).
Stall = Literal["auth", "open", "pty", "exec"]


def new_key(path: Path, *, passphrase: bytes | None = None) -> paramiko.PKey:
    """Write a new ed25519 private key (OpenSSH format) to ``path``; return it."""
    key = ed25519.Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
        )
    )
    path.chmod(0o600)
    return paramiko.Ed25519Key.from_private_key_file(
        str(path), password=passphrase.decode() if passphrase else None
    )


class Session:
    """One exec request, as the handler sees it."""

    def __init__(self, channel: paramiko.Channel, command: str, pty: bool) -> None:
        self.channel = channel
        self.command = command
        self.pty = pty

    def out(self, data: str | bytes) -> None:
        self.channel.sendall(data.encode() if isinstance(data, str) else data)

    def err(self, data: str) -> None:
        self.channel.sendall_stderr(data.encode())

    def exit(self, status: int) -> None:
        self.channel.send_exit_status(status)
        self.channel.close()

    def end_without_status(self) -> None:
        """End as a command killed by a signal does: EOF and close, no exit-status."""
        self.channel.shutdown_write()
        self.channel.close()

    def kill(self, signal: str) -> None:
        """End as OpenSSH's sshd ends a command killed by ``signal`` (``"TERM"``).

        It sends ``exit-signal`` naming it, then EOF and close.
        """
        message = paramiko.Message()
        message.add_byte(cMSG_CHANNEL_REQUEST)
        message.add_int(self.channel.remote_chanid)
        message.add_string("exit-signal")
        message.add_boolean(False)
        message.add_string(signal)
        message.add_boolean(False)  # no core dump
        message.add_string("")
        message.add_string("")
        transport = self.channel.get_transport()
        transport._send_user_message(message)  # type: ignore[attr-defined]
        self.end_without_status()

    def end_output_only(self) -> None:
        """Send EOF and then nothing: no exit status, and the channel stays open."""
        self.channel.shutdown_write()

    def drop(self) -> None:
        """Lose the connection, as when the server or the network dies."""
        self.channel.get_transport().close()

    def wait_closed(self, timeout: float = 10.0) -> bool:
        """Whether the client closed the channel within ``timeout``."""
        return wait_for(lambda: self.channel.closed, timeout)


Handler = Callable[[Session], None]


class _Interface(paramiko.ServerInterface):
    def __init__(self, server: InProcessSSHServer) -> None:
        self.server = server
        self.pty = False

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        self.server.stall_if("auth")
        if key.get_base64() in self.server.authorized:
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        self.server.stall_if("open")
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        self.server.stall_if("pty")
        self.pty = True
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        text = command.decode()
        self.server.commands.append(text)
        self.server.stall_if("exec")
        if not self.server.accept_exec:
            return False
        session = Session(channel, text, self.pty)
        self.server.sessions.append(session)
        threading.Thread(target=self.server.run_handler, args=(session,), daemon=True).start()
        return True


class InProcessSSHServer:
    """An SSH server on 127.0.0.1 whose ``handler`` plays each command it is asked to run.

    It authenticates clients by public key only (:meth:`authorize`) and
    offers ``host_key``. The port is chosen (and bound) when it is made, so a
    client can be pointed at :attr:`port` before :meth:`start` listens.
    ``commands`` records every command asked for, ``sessions`` every
    :class:`Session`, ``errors`` what the handler raised; with
    ``accept_exec`` false, every exec request is refused. With ``stall`` set,
    the server never answers that request (see :data:`Stall`): its
    connection hangs there until :meth:`close`; ``stalled`` is set once it
    got that far.
    """

    def __init__(self, host_key: paramiko.PKey, handler: Handler) -> None:
        self.host_key = host_key
        self.handler = handler
        self.authorized: set[str] = set()
        self.accept_exec = True
        self.stall: Stall | None = None
        self.stalled = threading.Event()
        self._closing = threading.Event()
        self.commands: list[str] = []
        self.sessions: list[Session] = []
        self.connections = 0
        self.errors: list[BaseException] = []
        self._transports: list[paramiko.Transport] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread: threading.Thread | None = None

    def authorize(self, key: paramiko.PKey) -> None:
        self.authorized.add(key.get_base64())

    def stall_if(self, phase: Stall) -> None:
        """Called at each phase: when told to stall there, wait until the server closes."""
        if self.stall == phase:
            self.stalled.set()
            self._closing.wait(60)

    def start(self) -> InProcessSSHServer:
        """Listen, and serve each connection in a thread."""
        self._listener.listen(16)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed by stop()
            self.connections += 1
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            self._transports.append(transport)
            try:
                transport.start_server(server=_Interface(self))
            except (paramiko.SSHException, EOFError, OSError):
                continue  # the client gave up (e.g. refused our host key)

    def run_handler(self, session: Session) -> None:
        try:
            self.handler(session)
        except (EOFError, OSError, paramiko.SSHException):
            pass  # the client went away, which some tests do on purpose
        except BaseException as error:  # reported by the fixture
            self.errors.append(error)

    def close(self) -> None:
        """Stop listening, end every stall and close every connection."""
        self._closing.set()
        with contextlib.suppress(OSError):  # OSError: it never listened
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        for transport in self._transports:
            transport.close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> InProcessSSHServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class StalledServer:
    """A TCP server on 127.0.0.1 that accepts connections, then stalls.

    With ``banner`` (e.g. ``b"SSH-2.0-OpenSSH_9.6\\r\\n"``) it sends that first;
    either way it then reads what the client sends and answers nothing, as a
    hung sshd, or a port that is not SSH at all, would. ``connections``
    counts the connections accepted.
    """

    def __init__(self, *, banner: bytes | None = None) -> None:
        self.banner = banner
        self.connections = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._clients: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> StalledServer:
        self._listener.listen(16)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed by close()
            with self._lock:
                self.connections += 1
                self._clients.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            if self.banner is not None:
                conn.sendall(self.banner)
            while conn.recv(4096):  # swallow the client's banner and key exchange
                pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            clients, self._clients = self._clients, []
        for conn in clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> StalledServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
