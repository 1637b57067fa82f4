"""Reading deployed state with the ``juju`` command line, through any command runner."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from lpsigning_mojo.errors import ApplicationNotDeployedError, JujuCommandError, JujuOutputError
from lpsigning_mojo.external.juju.state import DeployedState, deployed_state_from_cli
from lpsigning_mojo.remote import CommandRunner
from lpsigning_mojo.untrusted import loads_json

__all__ = ["JujuCli"]

_STDERR_LINES = 10


class JujuCli:
    """Reads an application's state with the ``juju`` command line.

    ``runner`` runs the commands: a
    :class:`~lpsigning_mojo.external.local.LocalRunner` on the management
    environment itself, or an
    :class:`~lpsigning_mojo.external.ssh.SSHRunner` wrapped in a
    :class:`~lpsigning_mojo.remote.RoleAccountRunner` to run them there as
    the role account. ``model`` is passed as ``--model`` when given (else
    juju's current model). Each command may take ``timeout`` seconds.
    """

    def __init__(
        self,
        *,
        runner: CommandRunner,
        model: str | None = None,
        juju: str = "juju",
        timeout: float = 120.0,
    ) -> None:
        self.runner = runner
        self.model = model
        self.juju = juju
        self.timeout = timeout

    def argv(self, subcommand: str, application: str) -> list[str]:
        """The command line of ``juju SUBCOMMAND APPLICATION --format=json``."""
        model = ["--model", self.model] if self.model else []
        return [self.juju, subcommand, *model, application, "--format=json"]

    def deployed_state(self, application: str) -> DeployedState:
        status = self._json(self.argv("status", application))
        apps = status.get("applications") if isinstance(status, Mapping) else None
        if isinstance(apps, Mapping) and application not in apps:
            raise ApplicationNotDeployedError(application, model=self.model)
        config = self._json(self.argv("config", application))
        return deployed_state_from_cli(application, status, config, model=self.model)

    def _json(self, argv: list[str]) -> object:
        """The chokepoint: runs one juju command and decodes the JSON it printed."""
        command = shlex.join(argv)
        result = self.runner.run(argv, timeout=self.timeout)
        if not result.ok:
            tail = "\n".join(result.stderr.strip().splitlines()[-_STDERR_LINES:])
            how = (
                "ended without an exit status"
                if result.exit_status is None
                else f"failed with exit status {result.exit_status}"
            )
            raise JujuCommandError(
                f"{command} {how}: {tail or 'it printed nothing on stderr'}",
                command=command,
                exit_status=result.exit_status,
                stderr=tail,
                hint="Is juju installed and logged in to the controller there?"
                if result.exit_status == 127
                else None,
            )
        return loads_json(
            result.stdout, error=lambda problem: JujuOutputError(f"{command} printed {problem}")
        )
