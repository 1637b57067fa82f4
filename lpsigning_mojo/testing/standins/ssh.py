"""An SSH server inside this process (paramiko's server classes), on 127.0.0.1.

Each ``exec`` request runs the server's ``handler`` in a thread with a
:class:`Session`, which can write output, send an exit status, wait for the
client to close the channel, or drop the whole connection. Fast and needs no
root; :mod:`.openssh` runs a real OpenSSH server instead. Importing this
module imports paramiko.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

from lpsigning_mojo.testing.standins import wait_for

__all__ = ["Handler", "InProcessSSHServer", "Session", "new_key"]


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
        if key.get_base64() in self.server.authorized:
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        self.pty = True
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        text = command.decode()
        self.server.commands.append(text)
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
    ``accept_exec`` false, every exec request is refused.
    """

    def __init__(self, host_key: paramiko.PKey, handler: Handler) -> None:
        self.host_key = host_key
        self.handler = handler
        self.authorized: set[str] = set()
        self.accept_exec = True
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
        """Stop listening and close every connection."""
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
