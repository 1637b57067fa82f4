"""Fixtures for the staging release: a loopback staging and a World that reaches it."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpsigning_mojo.release.world import ReleaseWorld, Runners
from lpsigning_mojo.runbook import StreamReporter, TerminalPrompt
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from lpsigning_mojo.testing.standins.launchpad import LaunchpadStandIn
from lpsigning_mojo.testing.standins.lpsigning import LpSigningStandIn
from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, new_key
from tests.release.harness import (
    BASTION,
    IDENTITY,
    Bastion,
    Setup,
    build_world,
    git,
    make_spec_repository,
)


@dataclasses.dataclass
class Console:
    """What a person would see: standard output, standard error, and the questions asked."""

    out: io.StringIO
    err: io.StringIO
    asked: io.StringIO

    @property
    def text(self) -> str:
        return self.out.getvalue() + self.err.getvalue()


@dataclasses.dataclass
class Staging:
    """A loopback staging: spec repository, bastion, service, Charmhub and Launchpad."""

    work: Path
    remote: Path
    clone: Path
    setup: Setup
    bastion: Bastion
    server: InProcessSSHServer
    service: LpSigningStandIn
    charmhub: CharmhubStandIn
    launchpad: LaunchpadStandIn
    clock: FakeClock = dataclasses.field(default_factory=FakeClock)

    @property
    def spec(self) -> Path:
        return self.setup.spec

    def world(
        self,
        *,
        answers: str | None = None,
        yes: bool = True,
        runners: Runners | None = None,
    ) -> tuple[ReleaseWorld, Console]:
        """A World reaching this staging; ``answers`` are typed at a terminal, if given."""
        console = Console(out=io.StringIO(), err=io.StringIO(), asked=io.StringIO())
        prompt = TerminalPrompt(
            yes=yes,
            input=io.StringIO(answers or ""),
            output=console.asked,
            tty=answers is not None,
        )
        reporter = StreamReporter(clock=self.clock, out=console.out, err=console.err, tty=False)
        world = build_world(
            self.setup, clock=self.clock, prompt=prompt, reporter=reporter, runners=runners
        )
        return world, console

    def someone_else_pushes(self, path: str = "README.md", text: str = "moved on\n") -> str:
        """Another clone pushes a commit to the remote; its id."""
        other = self.work / "other"
        if not other.exists():
            git(self.work, "clone", "-q", str(self.remote), str(other))
        git(other, "pull", "-q")
        (other / path).parent.mkdir(parents=True, exist_ok=True)
        (other / path).write_text(text)
        git(other, "add", path)
        git(other, "commit", "-q", "-m", f"Change {path}")
        git(other, "push", "-q")
        return git(other, "rev-parse", "HEAD").strip()

    def remote_log(self) -> list[str]:
        """The remote's commit summaries, newest first."""
        return git(self.remote, "log", "--format=%s", "main").splitlines()


@pytest.fixture(autouse=True)
def _identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[Staging]:
    work = tmp_path / "work"
    work.mkdir()
    with (
        LpSigningStandIn() as service,
        CharmhubStandIn() as charmhub,
        LaunchpadStandIn() as launchpad,
    ):
        remote, clone = make_spec_repository(work, service_url=service.url)
        home = work / "role-home"
        home.mkdir()
        bastion = Bastion(home, remote)
        client = work / "client"
        client.mkdir()
        key = new_key(client / "id_ed25519")
        server = InProcessSSHServer(new_key(work / "host_key"), bastion)
        server.authorize(key)
        known_hosts = client / "known_hosts"
        known_hosts.write_text(
            f"[127.0.0.1]:{server.port} {server.host_key.get_name()} "
            f"{server.host_key.get_base64()}\n"
        )
        config = client / "config"
        config.write_text(
            f"Host {BASTION}\n  HostName 127.0.0.1\n  Port {server.port}\n  User ada\n"
            f"  IdentityFile {client / 'id_ed25519'}\n"
        )
        setup = Setup(
            spec=clone / "spec" / "lp-signing",
            ssh_config=config,
            known_hosts=known_hosts,
            charmhub_url=charmhub.url,
            runs=work / "runs",
            launchpad_url=launchpad.service_root,
            launchpad_cache=work / "launchpad-cache",
        )
        with server:
            yield Staging(
                work=work,
                remote=remote,
                clone=clone,
                setup=setup,
                bastion=bastion,
                server=server,
                service=service,
                charmhub=charmhub,
                launchpad=launchpad,
            )
        assert not server.errors, f"the bastion's handler failed: {server.errors!r}"
