"""Fixtures for the staging release: a loopback staging and a World that reaches it."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo.release.world import ReleaseWorld, Runners
from lpsigning_mojo.runbook import StreamReporter, TerminalPrompt
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from lpsigning_mojo.testing.standins.launchpad import LaunchpadStandIn
from lpsigning_mojo.testing.standins.lpsigning import LpSigningStandIn
from lpsigning_mojo.testing.standins.mattermost import MattermostStandIn
from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, new_key
from tests.release.harness import (
    BASTION,
    IDENTITY,
    STAGING_BUILD_LABEL,
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


# -- production ------------------------------------------------------------------------------

#: The bugs the lp-signing commits of the payload change name, and one spec commit names.
PAYLOAD_BUGS = (1001, 1002, 1003)
SPEC_BUG = 2001

DEPLOYABLE_SCRIPT = """#!/bin/sh
# A stand-in for a Deployable command: keeps what it was given, says what it did.
n=$(ls "{records}" | wc -l)
{{ echo "build_label=$LPSIGNING_MOJO_BUILD_LABEL revision=$LPSIGNING_MOJO_REVISION"
  echo "request=$LPSIGNING_MOJO_DEPLOYABLE_REQUEST"; cat; }} > "{records}/$n.md"
echo "{what} for $LPSIGNING_MOJO_BUILD_LABEL: https://deployable.example/requests/42"
"""


@dataclasses.dataclass
class Production:
    """A loopback staging and production, with Mattermost, Launchpad, Deployable and lp-signing.

    ``source`` is a clone of lp-signing: ``base`` is what both instances run
    at first, ``head`` two commits later (naming :data:`PAYLOAD_BUGS`).
    ``requests`` and ``deployed`` are where the Deployable stand-in commands
    keep what they were given.
    """

    staging: Staging
    chat: MattermostStandIn
    source: Path
    base: str
    head: str
    requests: Path
    deployed: Path

    @property
    def bastion(self) -> Bastion:
        return self.staging.bastion

    @property
    def launchpad(self) -> LaunchpadStandIn:
        return self.staging.launchpad

    @property
    def clock(self) -> FakeClock:
        return self.staging.clock

    def world(self, **kwargs: Any) -> tuple[ReleaseWorld, Console]:
        return self.staging.world(**kwargs)

    def remote_log(self) -> list[str]:
        return self.staging.remote_log()

    def requested(self) -> list[str]:
        return [path.read_text() for path in sorted(self.requests.iterdir())]

    def marked(self) -> list[str]:
        return [path.read_text() for path in sorted(self.deployed.iterdir())]

    def status_changes(self) -> list[int | None]:
        """The bugs whose status the Launchpad stand-in changed, one entry per change."""
        return [write.bug for write in self.launchpad.writes if write.kind == "patch"]


def _script(path: Path, records: Path, what: str) -> Path:
    records.mkdir()
    path.write_text(DEPLOYABLE_SCRIPT.format(records=records, what=what))
    path.chmod(0o755)
    return path


@pytest.fixture
def production(staging: Staging, monkeypatch: pytest.MonkeyPatch) -> Iterator[Production]:
    work = staging.work
    source = work / "lp-signing"
    git(work, "init", "-q", str(source))
    (source / "service.py").write_text("0\n")
    git(source, "add", ".")
    git(source, "commit", "-q", "-m", "Start lp-signing")
    base = git(source, "rev-parse", "HEAD").strip()
    for number, message in enumerate(
        ["Sign kernels faster\n\nLP: #1001", "Rotate keys safely\n\nLP: #1002, #1003"], 1
    ):
        (source / "service.py").write_text(f"{number}\n")
        git(source, "commit", "-q", "-am", message)
    head = git(source, "rev-parse", "HEAD").strip()
    # The spec: production pins base; its last release, then a staging change naming a bug.
    bundle = staging.spec / "bundle.yaml"
    bundle.write_text(bundle.read_text().replace(STAGING_BUILD_LABEL, base))
    git(staging.clone, "commit", "-q", "-am", f"Deploy lp-signing build {base[:12]} on production")
    git(staging.clone, "commit", "-q", "--allow-empty", "-m", f"Tidy the spec\n\nLP: #{SPEC_BUG}")
    git(staging.clone, "push", "-q")
    staging.bastion.build_label = base
    staging.launchpad.add_bug(1001, title="Kernel signing is slow")
    staging.launchpad.add_bug(
        1002,
        title="Keys rotate unsafely",
        tasks={"lp-signing": "Fix Committed", "launchpad": "In Progress"},
    )
    staging.launchpad.add_bug(1003, title="Old key kept", tasks={"lp-signing": "Fix Released"})
    staging.launchpad.add_bug(SPEC_BUG, title="The spec is untidy")
    staging.setup.launchpad_credentials = staging.launchpad.write_credentials(
        work / "lp-credentials"
    )
    requests, deployed = work / "requests", work / "deployed"
    bin_directory = work / "bin"
    bin_directory.mkdir()
    monkeypatch.setenv(
        "LPSIGNING_MOJO_DEPLOYABLE_REQUEST_COMMAND",
        str(_script(bin_directory / "deployable-request", requests, "Requested")),
    )
    monkeypatch.setenv(
        "LPSIGNING_MOJO_DEPLOYABLE_DEPLOYED_COMMAND",
        str(_script(bin_directory / "deployable-deployed", deployed, "Marked deployed")),
    )
    monkeypatch.setenv("LPSIGNING_MOJO_DEPLOYABLE_URL", "https://deployable.example/lp-signing")
    monkeypatch.setenv("LPSIGNING_MOJO_MATTERMOST_CHANNEL", "is-outage")
    with MattermostStandIn() as chat:
        staging.setup.mattermost_url = chat.hook_url
        yield Production(
            staging=staging,
            chat=chat,
            source=source,
            base=base,
            head=head,
            requests=requests,
            deployed=deployed,
        )
