"""Fixtures for the SSH adapter's unit tests: an in-process server and a client set-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import paramiko
import pytest

from lpsigning_mojo.external.ssh import SSHRunner
from lpsigning_mojo.testing.standins.ssh import Handler, InProcessSSHServer, new_key

Serve = Callable[..., InProcessSSHServer]


@attrs.define
class Client:
    """The files a user would have: ssh_config, known_hosts and a key."""

    directory: Path
    key_file: Path
    key: paramiko.PKey

    @property
    def config(self) -> Path:
        return self.directory / "config"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    def trust(self, server: InProcessSSHServer, key: paramiko.PKey | None = None) -> None:
        key = key or server.host_key
        with self.known_hosts.open("a") as file:
            file.write(f"[127.0.0.1]:{server.port} {key.get_name()} {key.get_base64()}\n")

    def runner(self, port: int, **kwargs: object) -> SSHRunner:
        self.config.write_text(
            f"Host srv\n  HostName 127.0.0.1\n  Port {port}\n  User tester\n"
            f"  IdentityFile {self.key_file}\n"
        )
        self.known_hosts.touch()
        options: dict[str, object] = {
            "config_files": [self.config],
            "known_hosts_files": [str(self.known_hosts)],
            "allow_agent": False,
            "connect_attempts": 1,
        }
        options.update(kwargs)
        return SSHRunner("srv", **options)  # type: ignore[arg-type]


@pytest.fixture
def host_key(tmp_path: Path) -> paramiko.PKey:
    return new_key(tmp_path / "host_key")


@pytest.fixture
def client(tmp_path: Path) -> Client:
    directory = tmp_path / "client"
    directory.mkdir()
    key_file = directory / "id_ed25519"
    return Client(directory=directory, key_file=key_file, key=new_key(key_file))


@pytest.fixture
def serve(host_key: paramiko.PKey, client: Client) -> Iterator[Serve]:
    """Make a server running ``handler``, which authorises the client's key.

    Unless told otherwise the client trusts its host key and it starts listening.
    """
    servers: list[InProcessSSHServer] = []

    def make(handler: Handler, *, trust: bool = True, start: bool = True) -> InProcessSSHServer:
        server = InProcessSSHServer(host_key, handler)
        server.authorize(client.key)
        if trust:
            client.trust(server)
        servers.append(server)
        return server.start() if start else server

    start = make

    yield start
    for server in servers:
        server.close()
    errors = [error for server in servers for error in server.errors]
    assert not errors, f"the server's handler failed: {errors!r}"
