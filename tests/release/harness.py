"""A loopback staging for the release tests: the spec repository, a bastion, and a World.

- :func:`make_spec_repository`: a bare "remote" and a clone holding a copy
  of the shipped spec (``spec/lp-signing``), its staging URL pointed at the
  lp-signing stand-in.
- :class:`Bastion`: the handler of an in-process SSH server playing the
  staging bastion. It accepts only ``sudo -n -iu stg-launchpad-signing --
  ARGV``, as the role account: the lock's ``sh -c`` scripts run for real (in
  a temporary home, after the escaping ``sudo -i`` does), ``upgrade-staging``
  deploys whatever the remote's bundle pins for staging, ``upgrade-production``
  what it pins for production (revision and ``build_label``), and ``juju
  status`` / ``juju config`` answer with what staging runs.
- :class:`Setup` and :func:`build_world`: everything a World needs to reach
  them, as JSON, so that a subprocess (``tests/release/crashrun.py``) builds
  the same World as the test.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from lpsigning_mojo.bundle import Template, render_bundle
from lpsigning_mojo.config import Config
from lpsigning_mojo.external.charmhub import CharmhubClient
from lpsigning_mojo.external.chat import MattermostWebhook
from lpsigning_mojo.external.git import GitCli
from lpsigning_mojo.external.juju import JujuCli
from lpsigning_mojo.external.launchpad import LaunchpadClient
from lpsigning_mojo.external.local import LocalRunner
from lpsigning_mojo.external.probe import ServiceKeyProbe
from lpsigning_mojo.external.ssh import SSHRunner
from lpsigning_mojo.instances import Instance, ManagementEnvironment
from lpsigning_mojo.release.world import ReleaseSpec, ReleaseWorld, Runners
from lpsigning_mojo.remote import RoleAccountRunner
from lpsigning_mojo.runbook import Prompt, Reporter, RunStore
from lpsigning_mojo.testing.standins import data_json, data_text
from lpsigning_mojo.testing.standins.ssh import Session
from tests.conftest import REPO_ROOT
from tests.runbook.localrunner import as_sudo_i

ROLE = "stg-launchpad-signing"
BASTION = "launchpad-bastion-ps5.internal"
MODEL = "stg-launchpad-signing"
SHIPPED_URL = "http://staging.signing.lp.internal:8000/"
#: The build_label the shipped spec pins for production (and staging's juju config reports).
STAGING_BUILD_LABEL = "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
SPEC = Path("spec") / "lp-signing"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Releaser",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Releaser",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    """Set-up and checks: run git directly (the release's own calls go through GitCli)."""
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **IDENTITY},
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def make_spec_repository(work: Path, *, service_url: str) -> tuple[Path, Path]:
    """A bare remote and a clone of it holding the spec, committed and pushed."""
    remote, clone = work / "remote.git", work / "spec-repository"
    git(work, "init", "-q", "--bare", str(remote))
    git(work, "clone", "-q", str(remote), str(clone))
    spec = clone / SPEC
    spec.parent.mkdir(parents=True)
    import shutil

    shutil.copytree(REPO_ROOT / SPEC, spec)
    instances = spec / "instances.yaml"
    text = instances.read_text()
    assert SHIPPED_URL in text
    instances.write_text(text.replace(SHIPPED_URL, service_url))
    git(clone, "add", ".")
    git(clone, "commit", "-q", "-m", "Start the spec")
    git(clone, "push", "-q", "-u", "origin", "main")
    return remote, clone


def pinned_revision(bundle_text: str, stage: str = "staging") -> int | None:
    """The lp-signing revision ``bundle_text`` pins for ``stage``."""
    _, bundle = render_bundle(Template.from_text(bundle_text), stage)
    return bundle.application("lp-signing").revision


class Bastion:
    """Plays the staging bastion, as the role account, for an in-process SSH server.

    ``upgrade`` is what ``upgrade-staging`` does (default: :meth:`deploy`);
    ``upgrades`` counts its runs; ``deployed`` is the revision juju reports;
    ``build_label`` the payload staging runs (``juju config``); ``agent`` the
    agent status of every unit. ``production_upgrade`` is what
    ``upgrade-production`` does (default: :meth:`deploy_production`),
    ``production_upgrades`` counts its runs and ``production`` holds what
    production runs (revision and build_label).
    """

    def __init__(self, home: Path, remote: Path) -> None:
        self.home = home
        self.remote = remote
        self.deployed = pinned_revision(git(remote, "show", f"main:{SPEC}/bundle.yaml"))
        self.build_label = STAGING_BUILD_LABEL
        self.agent = "idle"
        self.upgrades = 0
        self.production_upgrades = 0
        self.production: dict[str, object] = {}
        self.commands: list[list[str]] = []
        self.upgrade: Callable[[Session], None] = self.deploy
        self.production_upgrade: Callable[[Session], None] = self.deploy_production
        self.started = threading.Event()
        self.production_started = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, session: Session) -> None:
        argv = shlex.split(session.command)
        prefix = ["sudo", "-n", "-iu", ROLE, "--"]
        if argv[: len(prefix)] != prefix:
            session.err(f"refused: {session.command}\n")
            session.exit(1)
            return
        argv = argv[len(prefix) :]
        with self.lock:
            self.commands.append(argv)
        if argv[:1] == ["sh"]:
            self._shell(session, argv)
        elif argv == ["upgrade-staging"]:
            with self.lock:
                self.upgrades += 1
            self.started.set()
            self.upgrade(session)
        elif argv == ["upgrade-production"]:
            with self.lock:
                self.production_upgrades += 1
            self.production_started.set()
            self.production_upgrade(session)
        elif argv[:1] == ["juju"]:
            self._juju(session, argv[1:])
        else:
            session.err(f"-bash: {argv[0]}: command not found\n")
            session.exit(127)

    def _shell(self, session: Session, argv: list[str]) -> None:
        """Run it as ``sudo -i`` would hand it to the role's login shell."""
        done = subprocess.run(
            shlex.split(as_sudo_i(argv)),
            cwd=self.home,
            capture_output=True,
            check=False,
            env={"HOME": str(self.home), "PATH": os.environ["PATH"]},
        )
        session.out(done.stdout)
        if done.stderr:
            session.err(done.stderr.decode())
        session.exit(done.returncode)

    def remote_pin(self) -> int | None:
        return pinned_revision(git(self.remote, "show", f"main:{SPEC}/bundle.yaml"))

    def deploy(self, session: Session) -> None:
        """Deploy what the remote's bundle pins for staging, as Mojo would."""
        session.out("Running Mojo for lp-signing/staging\n")
        revision = self.remote_pin()
        self.deployed = revision
        session.out(f"lp-signing is at revision {revision}\n")
        session.exit(0)

    def production_pins(self) -> dict[str, object]:
        """What the remote's bundle pins for production: revision and build_label."""
        text = git(self.remote, "show", f"main:{SPEC}/bundle.yaml")
        _, bundle = render_bundle(Template.from_text(text), "production")
        application = bundle.application("lp-signing")
        return {"revision": application.revision, "build_label": application.build_label}

    def deploy_production(self, session: Session) -> None:
        """What upgrade-production does: IS's bastion runs Mojo with the remote's bundle."""
        session.out("Running Mojo on is-bastion-il3-not-ps5.internal: lp-signing/production\n")
        self.production = self.production_pins()
        session.out(f"lp-signing is at revision {self.production['revision']}\n")
        session.exit(0)

    def _juju(self, session: Session, args: list[str]) -> None:
        model = ["--model", MODEL]
        if args == ["status", *model, "lp-signing", "--format=json"]:
            status = data_json("juju-status-staging.json")
            assert isinstance(status, dict)
            application = status["applications"]["lp-signing"]
            application["charm-rev"] = self.deployed
            for unit in application["units"].values():
                unit["juju-status"]["current"] = self.agent
            session.out(json.dumps(status))
            session.exit(0)
        elif args == ["config", *model, "lp-signing", "--format=json"]:
            config = json.loads(data_text("juju-config-lp-signing.json"))
            config["settings"]["build_label"]["value"] = self.build_label
            session.out(json.dumps(config))
            session.exit(0)
        else:
            session.err(f"ERROR unexpected juju call {args}\n")
            session.exit(2)

    def lock_holder(self, instance: str = "staging") -> str | None:
        """The run id in ``instance``'s lock, if it is held."""
        path = self.home / f".local/state/lpsigning-mojo/locks/{instance}/run-id"
        return path.read_text().strip() if path.exists() else None


@dataclasses.dataclass
class Setup:
    """Where everything is, as JSON for a subprocess."""

    spec: Path
    ssh_config: Path
    known_hosts: Path
    charmhub_url: str
    runs: Path
    launchpad_url: str | None = None
    launchpad_cache: Path | None = None
    launchpad_credentials: Path | None = None
    mattermost_url: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                key: None if value is None else str(value)
                for key, value in dataclasses.asdict(self).items()
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Setup:
        data = json.loads(text)

        def path(key: str) -> Path | None:
            return None if data.get(key) is None else Path(data[key])

        return cls(
            spec=Path(data["spec"]),
            ssh_config=Path(data["ssh_config"]),
            known_hosts=Path(data["known_hosts"]),
            charmhub_url=data["charmhub_url"],
            runs=Path(data["runs"]),
            launchpad_url=data.get("launchpad_url"),
            launchpad_cache=path("launchpad_cache"),
            launchpad_credentials=path("launchpad_credentials"),
            mattermost_url=data.get("mattermost_url"),
        )


def build_world(
    setup: Setup,
    *,
    clock: object,
    prompt: Prompt,
    reporter: Reporter,
    runners: Runners | None = None,
) -> ReleaseWorld:
    """The World a release runs in here: the real adapters, pointed at the loopback systems."""

    def connect(environment: ManagementEnvironment) -> SSHRunner:
        return SSHRunner(
            environment.ssh_destination,
            user=environment.login_user,
            config_files=[setup.ssh_config],
            known_hosts_files=[str(setup.known_hosts)],
            allow_agent=False,
            connect_attempts=1,
        )

    pool = runners if runners is not None else Runners(connect)
    spec = ReleaseSpec.load(setup.spec)

    def juju(instance: Instance) -> JujuCli:
        environment = spec.instances.environment_of(instance)
        return JujuCli(
            model=instance.juju_model,
            runner=RoleAccountRunner(pool(environment), environment.command_line),
        )

    launchpad = None
    if setup.launchpad_url is not None:
        launchpad = LaunchpadClient(
            setup.launchpad_url,
            cache_dir=setup.launchpad_cache,
            credentials_file=setup.launchpad_credentials,
            connect_timeout=1.0,
        )
    chat = None
    if setup.mattermost_url is not None:
        chat = MattermostWebhook(setup.mattermost_url, channel="is-outage", timeout=2.0)
    return ReleaseWorld(
        clock=clock,  # type: ignore[arg-type]
        prompt=prompt,
        reporter=reporter,
        spec=spec,
        git=GitCli(setup.spec),
        runners=pool,
        charmhub=CharmhubClient(setup.charmhub_url, retries=0),
        probe=ServiceKeyProbe(timeout=5.0),
        runs=RunStore(setup.runs, clock=clock),  # type: ignore[arg-type]
        config=Config.load(),
        open_source=GitCli,
        juju=juju,
        launchpad=launchpad,
        chat=chat,
        local=LocalRunner(),
    )


def commits_of_run(clone: Path, run_id: str) -> list[str]:
    """The commits of ``clone``'s history (all refs) that name ``run_id``."""
    log = git(clone, "log", "--all", "--format=%H %(trailers:key=Release-Run,valueonly,separator=)")
    return [line.split()[0] for line in log.splitlines() if re.search(rf"\s{run_id}$", line)]
