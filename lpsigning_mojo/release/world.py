"""The World of a release: every collaborator the lp-signing plans need, in one object.

:class:`ReleaseWorld` is the World (:class:`lpsigning_mojo.runbook.World`)
that the release plans run in. It holds the engine's three (clock, prompt,
reporter) and every outside system a release reaches, each behind its
Protocol: the spec repository's git, Charmhub, a command runner for each
management environment, the health probe, juju's state, Launchpad, and the
run store. The plans never build one of these. :func:`build_release_world`
is the one place the real adapters are made: ``lpsigning-mojo release``
calls it with the defaults and the user's configuration, the rehearsal with
a :class:`Reach` pointing at its loopback stand-ins; tests build what they
need. Nothing in the plans asks which kind it got.

Optional collaborators are ``None`` where a release can do without them:
without ``launchpad`` bugs are not checked, without ``open_source`` no
``LP: #N`` is read from a clone of lp-signing, without ``juju`` the
deployed revision is not read back, without ``chat`` (no webhook
configured) the announcement is printed for a person to post, without
``local`` (a runner for this machine) the Deployable commands are not run
and the person is asked instead.

How long the checks after an upgrade wait, and how often they ask, is the
World's too (:class:`Waits`): a real release keeps the defaults, a test or
the rehearsal shortens them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from lpsigning_mojo.instances import Instance, Instances, ManagementEnvironment, load_instances
from lpsigning_mojo.mojospec import BUNDLE_FILE, DEFAULT_STAGES, Spec
from lpsigning_mojo.policy import ReleasePolicy

if TYPE_CHECKING:
    from lpsigning_mojo.clock import Clock
    from lpsigning_mojo.config import Config
    from lpsigning_mojo.external.charmhub import Charmhub
    from lpsigning_mojo.external.chat import Chat
    from lpsigning_mojo.external.git import Git
    from lpsigning_mojo.external.juju import JujuCli, JujuStatusSource
    from lpsigning_mojo.external.launchpad import Launchpad
    from lpsigning_mojo.external.probe import HealthProbe
    from lpsigning_mojo.external.ssh import SSHRunner
    from lpsigning_mojo.remote import CommandRunner
    from lpsigning_mojo.runbook import Prompt, Reporter, RunStore

__all__ = ["Reach", "ReleaseSpec", "ReleaseWorld", "Runners", "Waits", "build_release_world"]


@attrs.frozen(kw_only=True)
class ReleaseSpec:
    """The Mojo spec a release changes: its directory, instances and stages.

    ``directory`` is the spec (``spec/lp-signing``) inside the spec
    repository; ``stages`` are the short names of every stage, each of which
    an edit of the bundle checks; ``policy`` the release rules the edits obey.
    """

    directory: Path
    instances: Instances
    stages: tuple[str, ...]
    policy: ReleasePolicy = attrs.field(factory=ReleasePolicy)
    bundle_file: str = BUNDLE_FILE

    @classmethod
    def load(cls, directory: str | Path, *, instances: Instances | None = None) -> ReleaseSpec:
        """Read the spec in ``directory``: its ``instances.yaml``, its stages, its policy.

        The release policy is the one the spec's lint configuration applies
        (``[tool.lpsigning-mojo.lint]``), which the edits obey too.
        """
        from lpsigning_mojo.lint.config import load_config

        path = Path(directory)
        spec = Spec.load(path)
        return cls(
            directory=path,
            instances=instances if instances is not None else load_instances(path),
            stages=spec.stage_names or DEFAULT_STAGES,
            policy=load_config(path).release_policy(),
        )

    @property
    def bundle_path(self) -> Path:
        """The bundle template on disk."""
        return self.directory / self.bundle_file

    @property
    def display_path(self) -> str:
        """The bundle from the spec root's parent (``spec/lp-signing/bundle.yaml``), for diffs."""
        directory = self.directory.resolve()
        return f"{directory.parent.name}/{directory.name}/{self.bundle_file}"

    @property
    def git_path(self) -> str:
        """The bundle as git names it from the spec directory (``./bundle.yaml``)."""
        return f"./{self.bundle_file}"

    def instance(self, name: str) -> Instance:
        """The instance called ``name`` (or with that alias)."""
        return self.instances.get(name)

    def environment(self, instance: Instance, *, trigger: str = "upgrade") -> ManagementEnvironment:
        """Where ``instance``'s ``trigger`` runs from (its own environment if it has none).

        For lp-signing both instances' upgrade triggers run from the staging
        role account: the release lock and the trigger live there.
        """
        chosen = instance.triggers.get(trigger)
        name = chosen.run_from if chosen is not None else instance.environment
        return self.instances.environments[name]


class Runners:
    """A command runner for each management environment, made on first use and kept.

    ``connect`` makes one (an SSH runner to the environment's bastion, or a
    loopback one); a release asks for the same environment several times
    (the lock, the trigger, juju's state) and gets the same runner, so one
    connection serves them all. :meth:`close` closes each runner that can be.
    """

    def __init__(self, connect: Callable[[ManagementEnvironment], CommandRunner]) -> None:
        self._connect = connect
        self._made: dict[str, CommandRunner] = {}

    def __call__(self, environment: ManagementEnvironment) -> CommandRunner:
        runner = self._made.get(environment.name)
        if runner is None:
            runner = self._made[environment.name] = self._connect(environment)
        return runner

    def close(self) -> None:
        made, self._made = self._made, {}
        for runner in made.values():
            close = getattr(runner, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):  # closing is best effort
                    close()

    def __enter__(self) -> Runners:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@attrs.frozen(kw_only=True)
class Waits:
    """How long the checks after an upgrade wait, and how often they ask (seconds).

    ``health_*``: the health check must pass ``health_successes`` times in a
    row, asked every ``health_delay``, within ``health_timeout``.
    ``settle_*``: juju is asked every ``settle_delay`` until the units have
    settled, within ``settle_timeout``. The defaults are a real release's.
    """

    health_timeout: float = 300.0
    health_delay: float = 5.0
    health_successes: int = 3
    settle_timeout: float = 600.0
    settle_delay: float = 10.0


@attrs.frozen(kw_only=True)
class ReleaseWorld:
    """Everything a release plan reaches, and the engine's clock, prompt and reporter.

    ``git`` is the spec repository, run from the spec directory.
    ``runners`` gives the command runner for a management environment (see
    :class:`Runners`); commands run as its role account go through a
    :class:`~lpsigning_mojo.remote.RoleAccountRunner` around it.
    ``open_source`` opens a local clone of lp-signing (for ``LP: #N`` in its
    commits). ``juju`` gives the source of an instance's deployed state, where
    developers may read it. ``runs`` holds the journals; ``config`` is the
    user's configuration. ``chat`` posts the announcement (the Mattermost
    webhook of the configuration); ``local`` runs commands on this machine
    (the Deployable commands of the configuration). ``waits`` says how long
    the checks after an upgrade wait.
    """

    clock: Clock
    prompt: Prompt
    reporter: Reporter
    spec: ReleaseSpec
    git: Git
    runners: Callable[[ManagementEnvironment], CommandRunner]
    charmhub: Charmhub
    probe: HealthProbe
    runs: RunStore
    config: Config
    open_source: Callable[[Path], Git] | None = None
    juju: Callable[[Instance], JujuStatusSource] | None = None
    launchpad: Launchpad | None = None
    chat: Chat | None = None
    local: CommandRunner | None = None
    waits: Waits = attrs.field(factory=Waits)


@attrs.frozen(kw_only=True)
class Reach:
    """Where a release's adapters reach: all that differs between a real release and a rehearsal.

    The defaults are a real release's: the user's ``ssh_config`` files
    (``None``), known hosts (``None``) and agent, three connection attempts,
    Charmhub at ``$CHARMHUB_URL`` or charmhub.io (``None``), launchpadlib's
    own cache (``None``).
    The rehearsal points each at its loopback world, and shortens ``waits``.
    """

    ssh_config_files: tuple[Path, ...] | None = None
    known_hosts_files: tuple[Path, ...] | None = None
    ssh_agent: bool = True
    connect_attempts: int = 3
    charmhub_url: str | None = None
    launchpad_cache: Path | None = None
    waits: Waits = attrs.field(factory=Waits)


def build_release_world(
    *,
    spec: ReleaseSpec,
    config: Config,
    runs: RunStore,
    clock: Clock,
    prompt: Prompt,
    reporter: Reporter,
    stack: contextlib.ExitStack,
    reach: Reach | None = None,
) -> ReleaseWorld:
    """The World of a real release: every adapter, reaching where ``reach`` says.

    Launchpad's service root and credentials, the Mattermost webhook (none:
    no ``chat``, the announcement is printed) and its channel and user name
    come from ``config``. Connections close when ``stack`` closes.
    """
    from lpsigning_mojo.external.charmhub import CharmhubClient
    from lpsigning_mojo.external.chat import MattermostWebhook
    from lpsigning_mojo.external.git import GitCli
    from lpsigning_mojo.external.juju import JujuCli
    from lpsigning_mojo.external.launchpad import LaunchpadClient
    from lpsigning_mojo.external.local import LocalRunner
    from lpsigning_mojo.external.probe import ServiceKeyProbe
    from lpsigning_mojo.external.ssh import SSHRunner
    from lpsigning_mojo.external.ssh_config import DEFAULT_CONFIG_FILES
    from lpsigning_mojo.remote import RoleAccountRunner

    reach = reach or Reach()
    known_hosts = reach.known_hosts_files

    def connect(environment: ManagementEnvironment) -> SSHRunner:
        return SSHRunner(
            environment.ssh_destination,
            user=environment.login_user,
            config_files=reach.ssh_config_files or DEFAULT_CONFIG_FILES,
            known_hosts_files=None if known_hosts is None else [str(path) for path in known_hosts],
            allow_agent=reach.ssh_agent,
            connect_attempts=reach.connect_attempts,
            clock=clock,
        )

    runners = stack.enter_context(Runners(connect))
    launchpad = LaunchpadClient(
        config.get("launchpad.service-root"),
        credentials_file=config.get("launchpad.credentials"),
        cache_dir=reach.launchpad_cache,
    )
    stack.callback(launchpad.close)

    def juju(instance: Instance) -> JujuCli:
        environment = spec.instances.environment_of(instance)
        runner = RoleAccountRunner(runners(environment), environment.command_line)
        return JujuCli(model=instance.juju_model, runner=runner)

    webhook = config.get("mattermost.webhook")
    chat = None
    if webhook is not None:  # from the configuration or the environment, never the spec
        chat = MattermostWebhook(
            webhook,
            channel=config.get("mattermost.channel"),
            username=config.get("mattermost.username"),
            clock=clock,
        )
    return ReleaseWorld(
        clock=clock,
        prompt=prompt,
        reporter=reporter,
        spec=spec,
        git=GitCli(spec.directory),
        runners=runners,
        charmhub=CharmhubClient(reach.charmhub_url, clock=clock),
        probe=ServiceKeyProbe(clock=clock),
        runs=runs,
        config=config,
        open_source=GitCli,
        juju=juju,
        launchpad=launchpad,
        chat=chat,
        local=LocalRunner(),
        waits=reach.waits,
    )
