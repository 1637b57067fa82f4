"""Reading deployed state with the ``juju`` command line, here or elsewhere."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import attrs

from lpsigning_mojo.errors import ApplicationNotDeployedError, JujuCommandError, JujuOutputError
from lpsigning_mojo.external.juju.state import DeployedState, deployed_state_from_cli

__all__ = [
    "CommandRunner",
    "CommandStringRunner",
    "CompletedCommand",
    "JujuCli",
    "LocalRunner",
    "render_command",
]

_STDERR_LINES = 10


@attrs.frozen(kw_only=True)
class CompletedCommand:
    """What a finished command left: its exit status and its output."""

    exit_status: int
    stdout: str
    stderr: str = ""


class CommandRunner(Protocol):
    """Runs a command line (here or elsewhere) and returns what it left."""

    def run(self, argv: Sequence[str]) -> CompletedCommand:
        """Run ``argv`` to completion; raise only when it cannot be run at all."""
        ...


def render_command(argv: Sequence[str]) -> str:
    """``argv`` as one shell command line, each word quoted as needed."""
    return shlex.join(argv)


class LocalRunner:
    """Runs commands on this machine with :mod:`subprocess`, each within ``timeout`` seconds."""

    def __init__(self, *, timeout: float = 120.0) -> None:
        self.timeout = timeout

    def run(self, argv: Sequence[str]) -> CompletedCommand:
        return self._subprocess(list(argv))

    def _subprocess(self, argv: list[str]) -> CompletedCommand:
        """The one place that starts local processes."""
        command = render_command(argv)
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                errors="replace",
                stdin=subprocess.DEVNULL,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise JujuCommandError(
                f"Cannot run {command}: {argv[0]!r} is not installed or not on PATH",
                command=command,
                hint="Run this in the management environment, or read the state over SSH "
                "or with python-libjuju",
            ) from None
        except subprocess.TimeoutExpired:
            raise JujuCommandError(
                f"{command} did not finish within {self.timeout:g} s",
                command=command,
                hint="Check that the Juju controller is reachable (juju status)",
            ) from None
        except OSError as error:
            raise JujuCommandError(f"Cannot run {command}: {error}", command=command) from None
        return CompletedCommand(exit_status=done.returncode, stdout=done.stdout, stderr=done.stderr)


class CommandStringRunner:
    """A :class:`CommandRunner` for runners that take one command string (e.g. over SSH).

    ``execute`` receives :func:`render_command` of the argv.
    """

    def __init__(self, execute: Callable[[str], CompletedCommand]) -> None:
        self._execute = execute

    def run(self, argv: Sequence[str]) -> CompletedCommand:
        return self._execute(render_command(argv))


class JujuCli:
    """Reads an application's state with the ``juju`` command line.

    ``model`` is passed as ``--model`` when given (else juju's current
    model); ``runner`` runs the commands (default: :class:`LocalRunner`).
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        runner: CommandRunner | None = None,
        juju: str = "juju",
    ) -> None:
        self.model = model
        self.runner: CommandRunner = runner or LocalRunner()
        self.juju = juju

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
        command = render_command(argv)
        done = self.runner.run(argv)
        if done.exit_status != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-_STDERR_LINES:])
            raise JujuCommandError(
                f"{command} failed with exit status {done.exit_status}: "
                f"{tail or 'it printed nothing on stderr'}",
                command=command,
                exit_status=done.exit_status,
                stderr=tail,
                hint="Is juju installed and logged in to the controller there?"
                if done.exit_status == 127
                else None,
            )
        try:
            return json.loads(done.stdout)
        except ValueError:
            raise JujuOutputError(
                f"{command} printed something that is not JSON: {done.stdout[:120]!r}"
            ) from None
