"""A real OpenSSH ``sshd`` on 127.0.0.1, in a directory of its own, for tests and benchmarks.

Each :class:`OpenSSHServer` has its own host key, config, ``authorized_keys``,
pid file and log; it is stopped by PID (with every process it started). It
needs ``/usr/sbin/sshd`` and ``ssh-keygen`` (:func:`sshd_missing_reason`
says why it cannot run here), and no root. Keys come from ``ssh-keygen``,
not from paramiko, so that the SSH adapter is checked against OpenSSH alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from lpsigning_mojo.testing.standins import descendants, free_port, process_name

__all__ = ["SSHD", "OpenSSHServer", "fingerprint", "make_key", "sshd_missing_reason"]

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = "ssh-keygen"


def sshd_missing_reason() -> str | None:
    """Why real-sshd tests cannot run here, or ``None`` if they can."""
    if not SSHD.is_file():
        return f"{SSHD} is missing (apt-get install openssh-server)"
    try:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot create /run/sshd for sshd's privilege separation: {error.strerror}"
    return None


def make_key(path: Path, comment: str = "lpsigning-mojo-test") -> str:
    """Create an ed25519 key pair at ``path`` (no passphrase); return the public line."""
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def fingerprint(public_key_file: Path) -> str:
    """The SHA256 fingerprint of a public key file, as ``ssh-keygen -l`` prints it."""
    out = subprocess.run(
        [SSH_KEYGEN, "-l", "-f", str(public_key_file)], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[1]


class OpenSSHServer:
    """One sshd, configured in ``directory``; call :meth:`start`, then :meth:`close`.

    Making one creates ``directory``, a host key and an empty
    ``authorized_keys`` there (so keys can be authorised before it starts);
    :meth:`start` picks a free port and waits until sshd accepts connections.
    """

    def __init__(self, directory: Path, *, extra_config: str = "") -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.host_key = directory / "host_ed25519"
        self.host_public_key = make_key(self.host_key, "test-host")
        self.authorized_keys = directory / "authorized_keys"
        self.authorized_keys.write_text("")
        self.config = directory / "sshd_config"
        self.log = directory / "sshd.log"
        self.extra_config = extra_config
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def authorize(self, public_key: str, *, options: str = "restrict,pty") -> None:
        """Add a line to ``authorized_keys`` (e.g. with ``command="..."`` in ``options``)."""
        with self.authorized_keys.open("a") as file:
            file.write(f"{options} {public_key}\n" if options else f"{public_key}\n")

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_public_key.rsplit(' ', 1)[0]}\n"

    def _write_config(self) -> None:
        self.config.write_text(
            f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.host_key}
PidFile {self.directory / "sshd.pid"}
AuthorizedKeysFile {self.authorized_keys}
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
MaxStartups 200
LogLevel VERBOSE
{self.extra_config}
"""
        )

    def start(self) -> OpenSSHServer:
        for _ in range(5):
            self.port = free_port()
            self._write_config()
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [str(SSHD), "-D", "-e", "-f", str(self.config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            if self._wait_ready():
                return self
            self.close()
        raise RuntimeError(f"sshd did not start; its log:\n{self.log.read_text()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False  # e.g. the port was taken meanwhile
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.005)
        return False

    def session_processes(self) -> list[int]:
        """The sshd processes serving connections (not the commands they run)."""
        return [pid for pid in descendants(self.pid) if process_name(pid) == "sshd"]

    def kill_hard(self, pids: Iterable[int] = ()) -> None:
        """SIGKILL the listener and every sshd serving a connection, as a crash would."""
        for pid in [self.pid, *self.session_processes(), *pids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop sshd, and SIGKILL whatever it started that is still running."""
        if self.process is None:
            return
        leftovers = descendants(self.pid)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> OpenSSHServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
