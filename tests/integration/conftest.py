"""Fixtures that start real OpenSSH servers (and an ssh-agent) on 127.0.0.1.

Every test module here is marked ``integration``; its tests skip, saying
why, when ``/usr/sbin/sshd`` is missing. Servers and agents are stopped by PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from lpsigning_mojo.external.ssh import SSHRunner
from lpsigning_mojo.testing.standins import wait_until
from lpsigning_mojo.testing.standins.openssh import OpenSSHServer, make_key, sshd_missing_reason

_MISSING = sshd_missing_reason()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if _MISSING and here in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=_MISSING))


# Which addresses this process connects to, for tests that must prove a route.
_connections: list[object] | None = None


def _record_connections(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect" and _connections is not None:
        _connections.append(args[1])


sys.addaudithook(_record_connections)


@pytest.fixture
def connections() -> Iterator[list[object]]:
    """The addresses of every socket this process connects while the test runs."""
    global _connections
    _connections = []
    try:
        yield _connections
    finally:
        _connections = None


@attrs.define
class Keys:
    path: Path
    public: str


@pytest.fixture(scope="session")
def user_key(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    path = tmp_path_factory.mktemp("keys") / "id_ed25519"
    return Keys(path=path, public=make_key(path, "tester"))


@pytest.fixture(scope="session")
def stranger_key(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    path = tmp_path_factory.mktemp("stranger") / "id_ed25519"
    return Keys(path=path, public=make_key(path, "stranger"))


SSHDFactory = Callable[..., OpenSSHServer]


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SSHDFactory]:
    """Make (not yet start) an sshd in its own directory; all are stopped afterwards."""
    servers: list[OpenSSHServer] = []

    def make(name: str = "sshd", extra_config: str = "") -> OpenSSHServer:
        server = OpenSSHServer(tmp_path / name, extra_config=extra_config)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def script(path: Path, body: str) -> Path:
    """A forced command: a shell script at ``path``."""
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@attrs.define
class Home:
    """The temporary $HOME's ~/.ssh: config and known_hosts, as a user would have them."""

    ssh: Path

    def add_host(self, alias: str, server: OpenSSHServer, *lines: str) -> None:
        with (self.ssh / "config").open("a") as config:
            config.write(f"Host {alias}\n  HostName 127.0.0.1\n  Port {server.port}\n")
            config.write("".join(f"  {line}\n" for line in lines))

    def trust(self, server: OpenSSHServer) -> None:
        with (self.ssh / "known_hosts").open("a") as known_hosts:
            known_hosts.write(server.known_hosts_line())

    def runner(self, destination: str, **kwargs: object) -> SSHRunner:
        options: dict[str, object] = {"config_files": [self.ssh / "config"]}
        options.update(kwargs)
        return SSHRunner(destination, **options)  # type: ignore[arg-type]


@pytest.fixture
def home() -> Home:
    ssh = Path.home() / ".ssh"
    ssh.mkdir(mode=0o700)
    (ssh / "config").touch()
    return Home(ssh=ssh)


@pytest.fixture
def ssh_agent(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """Start ssh-agent; the function it gives adds a key and returns the socket path."""
    socket_path = tmp_path / "agent.sock"
    agent = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(socket_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def add(key: Path) -> str:
        wait_until(socket_path.exists, what="ssh-agent's socket")
        env = {**os.environ, "SSH_AUTH_SOCK": str(socket_path)}
        subprocess.run(["ssh-add", "-q", str(key)], check=True, env=env, capture_output=True)
        return str(socket_path)

    yield add
    agent.send_signal(signal.SIGTERM)
    agent.wait(5)
