"""The rehearsal's world: every system a release reaches, on this machine, in one directory.

:class:`LoopbackWorld` builds it, starts its servers and stops them again
(:meth:`~LoopbackWorld.close`, also on Ctrl-C). In ``directory``:

``spec-remote.git``, ``spec-repository``
   the spec repository's remote (bare) and your working clone of it,
   holding a copy of your spec whose addresses point at the stand-ins, and
   a past: production's last release (``Deploy lp-signing build ... on
   production``)
``lp-signing``
   lp-signing's source: master (what staging runs) is two commits past what
   production runs, and names bugs with ``LP: #N``
``bastion``
   the role accounts (:mod:`lpsigning_mojo.testing.standins.bastion`):
   ``stg-launchpad-signing`` on launchpad-bastion-ps5.internal, with
   ``upgrade-staging``, ``upgrade-production``, ``mojo`` and ``juju``, and
   ``prod-launchpad-signing`` on IS's bastion, which ``upgrade-production``
   makes run Mojo; each holds its Juju model and its Mojo secrets
``releaser``
   your side: an SSH key, ``ssh_config`` and ``known_hosts``, Launchpad
   credentials and the configuration file of the release
``state``
   ``XDG_STATE_HOME`` of the rehearsal: the journals, the logs of the upgrades
``deployable``
   what the Deployable commands were given

and, on 127.0.0.1: the bastion's SSH server (in this process, or a real
OpenSSH ``sshd``), Charmhub, lp-signing's staging and production services,
Launchpad and Mattermost.

:meth:`LoopbackWorld.release_world` gives the
:class:`~lpsigning_mojo.release.world.ReleaseWorld` a release runs in: the
same adapters a real release builds, given these addresses and credentials.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from lpsigning_mojo.errors import UsageError

if TYPE_CHECKING:
    from lpsigning_mojo.clock import Clock
    from lpsigning_mojo.instances import Instances
    from lpsigning_mojo.release.world import ReleaseWorld, Waits
    from lpsigning_mojo.runbook import Prompt, Reporter
    from lpsigning_mojo.testing.standins.bastion import Bastion
    from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
    from lpsigning_mojo.testing.standins.deployable import DeployableStandIn
    from lpsigning_mojo.testing.standins.launchpad import LaunchpadStandIn
    from lpsigning_mojo.testing.standins.lpsigning import LpSigningStandIn
    from lpsigning_mojo.testing.standins.mattermost import MattermostStandIn

__all__ = ["CHARM_BUG", "PAYLOAD_BUGS", "LoopbackWorld", "SSHServer", "Site", "StandIn", "git"]

SSHServer = Literal["in-process", "openssh"]

#: The bug the charm revision fixes (named by the staging release), and the payload's bugs.
CHARM_BUG = 2034567
PAYLOAD_BUGS = (2041001, 2041002, 2041003)
#: The payload bug whose fix takes another step elsewhere (an open task on launchpad).
MULTI_STEP_BUG = 2041002
#: The bugs on the Launchpad stand-in: number -> (title, tasks).
BUGS: Mapping[int, tuple[str, Mapping[str, str]]] = {
    CHARM_BUG: ("Signing large kernels times out", {"lp-signing": "Fix Committed"}),
    2041001: ("Kernel signing is slow under load", {"lp-signing": "Fix Committed"}),
    MULTI_STEP_BUG: (
        "Key rotation leaves old keys usable",
        {"lp-signing": "Fix Committed", "launchpad": "In Progress"},
    ),
    2041003: ("Audit log misses the key fingerprint", {"lp-signing": "Fix Committed"}),
}
#: lp-signing's history: what production runs, then what master (and staging) runs.
SOURCE_COMMITS = (
    ("Start lp-signing", ""),
    ("Sign kernels faster under load", "LP: #2041001"),
    ("Rotate keys safely and log their fingerprints", "LP: #2041002, #2041003"),
)
#: Who releases in the rehearsal.
RELEASER = ("Rehearsal Releaser", "releaser@rehearsal.invalid")
#: Git settings of the world's repositories: its own identity, no signing.
_REPOSITORY_SETTINGS = (
    ("user.name", RELEASER[0]),
    ("user.email", RELEASER[1]),
    ("commit.gpgsign", "false"),
    ("tag.gpgsign", "false"),
)
#: And for the world's own set-up commands: no hooks, ``main`` for new repositories.
_SETUP_SETTINGS = (
    *_REPOSITORY_SETTINGS,
    ("init.defaultBranch", "main"),
    ("core.hooksPath", "/dev/null"),
)


def git(cwd: Path, *args: str) -> str:
    """Run git for the world's own set-up, untouched by the user's git configuration."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    settings = [word for key, value in _SETUP_SETTINGS for word in ("-c", f"{key}={value}")]
    done = subprocess.run(
        ["git", *settings, *args],
        cwd=cwd,
        env={**environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise UsageError(
            f"the rehearsal could not build its world: git {' '.join(args)} failed: "
            f"{done.stderr.strip() or done.stdout.strip()}",
            hint="Check that git works here (git --version)",
        )
    return done.stdout


@attrs.frozen(kw_only=True)
class StandIn:
    """A stand-in of the world: where it answers, and the real system it replaces."""

    address: str
    replaces: str


@attrs.frozen(kw_only=True)
class Site:
    """Where an instance lives in the world: its stage, role account, bastion and model."""

    name: str
    stage: str
    role: str
    host: str
    model: str
    controller: str


class LoopbackWorld:
    """The rehearsal's world in ``directory``: :meth:`start` builds it, :meth:`close` stops it.

    ``spec`` is the spec directory to rehearse (its files are copied as they
    are, committed or not). ``ssh`` chooses the bastion's SSH server: this
    process's own (paramiko), or a real OpenSSH ``sshd``
    (``/usr/sbin/sshd``). ``waits`` are the releases' waits: the stand-ins
    answer at once, so they are short.
    """

    def __init__(
        self,
        directory: Path,
        *,
        spec: Path,
        ssh: SSHServer = "in-process",
        waits: Waits | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.source_spec = Path(spec)
        self.ssh = ssh
        self.waits = waits
        self._stack = contextlib.ExitStack()
        self.remote = self.directory / "spec-remote.git"
        self.clone = self.directory / "spec-repository"
        self.spec = self.clone / "spec" / self.source_spec.resolve().name
        self.source = self.directory / "lp-signing"
        self.releaser = self.directory / "releaser"
        self.state = self.directory / "state"
        self.colleague = self.directory / "colleague"
        self.sites: dict[str, Site] = {}
        self.source_commits: list[str] = []
        self.stand_ins: dict[str, StandIn] = {}

    # -- building ---------------------------------------------------------------------------

    def start(self) -> LoopbackWorld:
        """Build the world and start its servers (stopped again if anything fails)."""
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __enter__(self) -> LoopbackWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every server and every command still running on the bastion."""
        self._stack.close()

    def _enter(self, server: Any) -> Any:
        return self._stack.enter_context(server)

    def _build(self) -> None:
        from lpsigning_mojo.instances import load_instances

        if not (self.source_spec / "manifest").is_file():
            raise UsageError(f"{self.source_spec} is not a Mojo spec directory (no manifest there)")
        self.directory.mkdir(parents=True, exist_ok=True)
        if any(self.directory.iterdir()):
            raise UsageError(
                f"{self.directory} is not empty: the rehearsal builds its world in a new directory",
                hint="Name a directory that does not exist yet, or an empty one",
            )
        for path in (self.releaser, self.state):
            path.mkdir(mode=0o700)
        instances = load_instances(self.source_spec)
        staging, production = instances.get("staging"), instances.get("production")
        for instance in (staging, production):
            environment = instances.environment_of(instance)
            self.sites[instance.name] = Site(
                name=instance.name,
                stage=instance.mojo_stage,
                role=environment.role,
                host=environment.bastion,
                model=instance.juju_model or f"{environment.role}",
                controller=f"{environment.bastion.split('.')[0]}-controller",
            )
        self._start_services(instances)
        self._make_source()
        self._make_spec(instances)
        self._make_bastion(instances)
        self._start_ssh(instances)

    def _start_services(self, instances: Instances) -> None:
        import importlib.util

        from lpsigning_mojo.errors import MissingExtraError
        from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
        from lpsigning_mojo.testing.standins.deployable import DeployableStandIn
        from lpsigning_mojo.testing.standins.launchpad import LaunchpadStandIn
        from lpsigning_mojo.testing.standins.lpsigning import LpSigningStandIn
        from lpsigning_mojo.testing.standins.mattermost import MattermostStandIn

        if importlib.util.find_spec("launchpadlib") is None:
            raise MissingExtraError(
                "the rehearsal's Launchpad serves launchpadlib's own description of the API, "
                "and launchpadlib is not installed",
                extra="launchpad",
            )
        self.charmhub: CharmhubStandIn = self._enter(CharmhubStandIn())
        self.services: dict[str, LpSigningStandIn] = {
            name: self._enter(LpSigningStandIn()) for name in self.sites
        }
        self.launchpad: LaunchpadStandIn = self._enter(LaunchpadStandIn())
        self.chat: MattermostStandIn = self._enter(MattermostStandIn())
        self.deployable: DeployableStandIn = DeployableStandIn(self.directory / "deployable")
        for number, (title, tasks) in BUGS.items():
            self.launchpad.add_bug(number, title=title, tasks=tasks)
        self.credentials = self.launchpad.write_credentials(self.releaser / "launchpad-credentials")
        original = {site: instances.get(site).url for site in self.sites}
        self.stand_ins.update(
            charmhub=StandIn(
                address=self.charmhub.url,
                replaces="Charmhub's API (api.charmhub.io), which 'juju info' reads",
            ),
            launchpad=StandIn(
                address=self.launchpad.service_root,
                replaces="Launchpad's API (api.launchpad.net) and its bugs",
            ),
            mattermost=StandIn(
                address=self.chat.url, replaces="the ~is-outage channel's incoming webhook"
            ),
            deployable=StandIn(
                address=str(self.deployable.directory),
                replaces="Deployable, through its request and deployed commands",
            ),
            **{
                f"lp-signing {name}": StandIn(
                    address=service.url,
                    replaces=f"the {name} service, "
                    + (original[name] or "whose address is not public"),
                )
                for name, service in self.services.items()
            },
        )

    def _make_source(self) -> None:
        git(self.directory, "init", "-q", str(self.source))
        for number, (summary, bugs) in enumerate(SOURCE_COMMITS):
            (self.source / "lpsigning.py").write_text(f"VERSION = {number}\n", encoding="utf-8")
            git(self.source, "add", "lpsigning.py")
            message = f"{summary}\n\n{bugs}\n" if bugs else f"{summary}\n"
            git(self.source, "commit", "-q", "-m", message)
            self.source_commits.append(git(self.source, "rev-parse", "HEAD").strip())

    @property
    def production_build(self) -> str:
        """The lp-signing commit production runs at first."""
        return self.source_commits[0]

    @property
    def master(self) -> str:
        """lp-signing's master: what staging runs."""
        return self.source_commits[-1]

    def _make_spec(self, instances: Instances) -> None:
        from lpsigning_mojo.bundle import set_option
        from lpsigning_mojo.lint.config import find_config
        from lpsigning_mojo.mojospec import Spec

        git(self.directory, "init", "-q", "--bare", str(self.remote))
        git(self.directory, "clone", "-q", str(self.remote), str(self.clone))
        for key, value in _REPOSITORY_SETTINGS:  # your git configuration is not the world's
            git(self.clone, "config", key, value)
        git(self.clone, "config", "core.hooksPath", str(self.clone / ".git" / "hooks"))
        shutil.copytree(self.source_spec, self.spec, symlinks=True)
        config = find_config(self.source_spec)
        if config is not None and config.name == "pyproject.toml":
            shutil.copy(config, self.clone / config.name)
        # Addresses: each instance's service is its stand-in.
        text = (self.spec / "instances.yaml").read_text(encoding="utf-8")
        for name, service in self.services.items():
            url = instances.get(name).url
            if url:
                text = text.replace(url, service.url)
        (self.spec / "instances.yaml").write_text(text, encoding="utf-8")
        spec = Spec.load(self.spec)
        for stage in spec.stages:
            path = stage.directory / "service-url"
            for name, site in self.sites.items():
                if site.stage == stage.mojo and path.is_file():
                    path.write_text(self.services[name].url + "\n", encoding="utf-8")
        git(self.clone, "add", "-A")
        git(
            self.clone,
            "commit",
            "-q",
            "-m",
            "Start the rehearsal's spec\n\nA copy of the spec, its service addresses pointed at "
            "the rehearsal's stand-ins.\n",
        )
        # The past: production's last release deployed the build it runs now.
        bundle = self.spec / "bundle.yaml"
        stages = spec.checked_stages
        edited = set_option(
            bundle.read_text(encoding="utf-8"),
            "lp-signing",
            "build_label",
            self.production_build,
            stage="production",
            stages=stages,
            path=str(bundle),
        )
        bundle.write_text(edited.text, encoding="utf-8")
        git(
            self.clone,
            "commit",
            "-q",
            "-a",
            "--allow-empty",
            "-m",
            f"Deploy lp-signing build {self.production_build[:12]} on production\n",
        )
        git(self.clone, "push", "-q", "-u", "origin", "main")

    def _make_bastion(self, instances: Instances) -> None:
        from lpsigning_mojo.testing.standins.bastion import Bastion, Trigger
        from lpsigning_mojo.testing.standins.juju import JujuModels
        from lpsigning_mojo.testing.standins.mojo import deployed_bundle, mojo_variables_for

        bastion = Bastion(self.directory / "bastion")
        bastion.remote = str(self.remote)
        self._stack.callback(bastion.close)
        library = str(Path(__file__).resolve().parents[2])  # where lpsigning_mojo is
        for name, site in self.sites.items():
            home = bastion.directory / site.host / site.role
            environment = {
                "JUJU_DATA": str(home / ".local" / "share" / "juju"),
                "JUJU_MODEL": site.model,
                "MOJO_ROOT": str(home / "mojo"),
                "PYTHONPATH": library,  # the library installed for the role account
                "PROBE_DELAY": "0.1",  # how often verify-service asks the service
            }
            bastion.add_account(site.role, host=site.host, environment=environment)
            mojo = mojo_variables_for(site.stage, {**environment, "HOME": str(home)})
            local = Path(mojo["MOJO_LOCAL_DIR"])
            local.mkdir(parents=True)
            overlay = ["applications:", "  lp-signing:", "    options:"]
            if name == "staging":  # staging sets build_label on its bastion: master's build
                overlay.append(f"      build_label: {self.master}")
            overlay.append(f"      secret_key_path: {local}/signing.key")
            (local / "deploy-secrets").write_text("\n".join(overlay) + "\n", encoding="utf-8")
            (local / "service-url").write_text(self.services[name].url + "\n", encoding="utf-8")
            # The model as the spec's last deployment left it.
            models = JujuModels(Path(environment["JUJU_DATA"]))
            models.create(site.model, controller=site.controller, cloud=site.host)
            bundle = deployed_bundle(
                self.spec / "bundle.yaml",
                site.stage.rsplit("/", 1)[-1],
                series=mojo["MOJO_SERIES"],
                local_dir=str(local),
                overlay=local / "deploy-secrets",
            )
            models.deploy(site.model, bundle)
        for instance in instances:
            trigger = instance.triggers.get("upgrade")
            target = self.sites.get(instance.name)
            if trigger is None or target is None:
                continue
            caller = instances.environments[trigger.run_from].role
            bastion.add_trigger(
                Trigger(
                    name=trigger.argv[0],
                    caller=caller,
                    account=target.role,
                    stage=target.stage,
                    say=f"Triggering Mojo on {target.host} as {target.role} (an SSH trigger)"
                    if target.role != caller
                    else "",
                )
            )
        bastion.save()
        self.bastion: Bastion = bastion

    def _start_ssh(self, instances: Instances) -> None:
        from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, new_key

        ssh = self.releaser / "ssh"
        ssh.mkdir(mode=0o700)
        key = new_key(ssh / "id_ed25519")
        public = f"{key.get_name()} {key.get_base64()} releaser@rehearsal"
        (ssh / "id_ed25519.pub").write_text(public + "\n", encoding="utf-8")
        if self.ssh == "openssh":
            from lpsigning_mojo.testing.standins.openssh import OpenSSHServer, sshd_missing_reason

            missing = sshd_missing_reason()
            if missing is not None:
                raise UsageError(f"the rehearsal cannot use OpenSSH's sshd: {missing}")
            server = OpenSSHServer(self.directory / "sshd")
            command = self.bastion.forced_command().replace('"', '\\"')
            server.authorize(public, options=f'command="{command}",restrict,pty')
            self._enter(server)
            port, known = server.port, server.known_hosts_line()
        else:
            host_key = new_key(self.directory / "bastion" / "ssh_host_ed25519_key")
            process_server = InProcessSSHServer(host_key, self.bastion.handler)
            process_server.authorize(key)
            self._enter(process_server)
            port = process_server.port
            known = f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n"
        (ssh / "known_hosts").write_text(known, encoding="utf-8")
        user = getpass.getuser()
        hosts = sorted({environment.bastion for environment in instances.environments.values()})
        (ssh / "config").write_text(
            "".join(
                f"Host {host}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
                f"  IdentityFile {ssh / 'id_ed25519'}\n  IdentitiesOnly yes\n"
                f"  UserKnownHostsFile {ssh / 'known_hosts'}\n"
                for host in hosts
            ),
            encoding="utf-8",
        )
        self.stand_ins["bastion"] = StandIn(
            address=f"127.0.0.1:{port} ({self.ssh})",
            replaces=" and ".join(hosts) + ", their role accounts, Mojo and juju",
        )
        self._write_config()

    def _write_config(self) -> None:
        config = self.releaser / "config.toml"
        values = {
            "launchpad": {
                "service-root": self.launchpad.service_root,
                "credentials": str(self.credentials),
            },
            "mattermost": {"webhook": self.chat.hook_url, "channel": "is-outage"},
            "deployable": {
                "url": self.deployable.url,
                "request-command": self.deployable.command("request"),
                "deployed-command": self.deployable.command("deployed"),
            },
            "release": {"source": str(self.source)},
        }
        lines = []
        for section, entries in values.items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in entries.items()]
            lines.append("")
        config.write_text("\n".join(lines), encoding="utf-8")
        config.chmod(0o600)
        self.config_file = config

    # -- the World a release runs in ---------------------------------------------------------

    @property
    def runs_directory(self) -> Path:
        return self.state / "lpsigning-mojo" / "runs"

    def release_world(
        self,
        *,
        clock: Clock,
        prompt: Prompt,
        reporter: Reporter,
        stack: contextlib.ExitStack,
    ) -> ReleaseWorld:
        """A release's World reaching this world: the real adapters, these addresses.

        What ``lpsigning-mojo release`` builds, but with the world's
        ``ssh_config``, ``known_hosts`` and key (no agent), Charmhub,
        Launchpad with the world's credentials, the webhook and the
        Deployable commands of the world's configuration file, and the
        journals under the world's ``state``. Connections close with ``stack``.
        """
        from lpsigning_mojo.config import Config
        from lpsigning_mojo.release.world import Reach, ReleaseSpec, Waits, build_release_world
        from lpsigning_mojo.runbook import RunStore

        ssh = self.releaser / "ssh"
        return build_release_world(
            spec=ReleaseSpec.load(self.spec),
            config=Config.load({"LPSIGNING_MOJO_CONFIG": str(self.config_file)}),
            runs=RunStore(self.runs_directory, clock=clock),
            clock=clock,
            prompt=prompt,
            reporter=reporter,
            stack=stack,
            reach=Reach(
                ssh_config_files=(ssh / "config",),
                known_hosts_files=(ssh / "known_hosts",),
                ssh_agent=False,
                connect_attempts=1,
                charmhub_url=self.charmhub.url,
                launchpad_cache=self.state / "launchpadlib",
                waits=self.waits or Waits(),
            ),
        )

    # -- what the world looks like -----------------------------------------------------------

    def model(self, instance: str) -> dict[str, Any]:
        """The model state of ``instance`` (as its bastion's juju holds it)."""
        from lpsigning_mojo.testing.standins.juju import JujuModels

        found = self.sites[instance]
        account = self.bastion.accounts[found.role]
        return JujuModels(Path(account.environment["JUJU_DATA"])).load(found.model)

    def remote_log(self, since: str | None = None) -> list[tuple[str, str]]:
        """The remote's commits (id, whole message), oldest first; after ``since`` if given."""
        span = f"{since}..main" if since else "main"
        text = git(self.remote, "log", "--reverse", "--format=%H%x00%B%x00", span)
        items = text.split("\0")
        return [
            (items[index].strip(), items[index + 1].strip())
            for index in range(0, len(items) - 1, 2)
        ]

    def remote_head(self) -> str:
        return git(self.remote, "rev-parse", "main").strip()

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        """This process's environment pointed at the world for a run: state, cache, config."""
        values = {
            "XDG_STATE_HOME": str(self.state),
            "XDG_CACHE_HOME": str(self.state / "cache"),
            "LPSIGNING_MOJO_CONFIG": str(self.config_file),
        }
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
