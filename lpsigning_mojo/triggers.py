"""From "upgrade staging" to the command to run, where, and as whom.

:func:`upgrade_command` picks an instance's trigger (``upgrade-staging``,
``upgrade-production``) and the environment it runs from; :func:`exec_command`
runs any command as an instance's role account, where developers have direct
access. Both return a :class:`RemoteCommand` (pure data, good for
``--dry-run``); :meth:`RemoteCommand.run` runs it with any
:class:`~lpsigning_mojo.remote.CommandRunner`. :class:`RemoteRun` is what
running it came to (or would do), for ``--format json``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import attrs

from lpsigning_mojo.errors import (
    AccessRefusedError,
    CommandInterruptedError,
    CommandTimeoutError,
    InstanceError,
    RemoteCommandError,
    UsageError,
)
from lpsigning_mojo.instances import Instance, Instances, ManagementEnvironment
from lpsigning_mojo.remote import CommandRunner, LineCallback, RoleAccountRunner, RunResult

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "RemoteCommand",
    "RemoteRun",
    "exec_command",
    "upgrade_command",
]

#: Used for a trigger whose instances.yaml entry sets no timeout (seconds).
DEFAULT_TIMEOUT = 1800.0
DEFAULT_IDLE_TIMEOUT = 600.0


@attrs.frozen(kw_only=True)
class RemoteCommand:
    """``argv``, to run as the role account of ``environment``, for ``instance``."""

    instance: Instance
    environment: ManagementEnvironment
    argv: tuple[str, ...]
    pty: bool
    timeout: float | None
    idle_timeout: float | None

    @property
    def name(self) -> str:
        """A short name for messages and log files: the trigger or the command."""
        return self.argv[0].rsplit("/", 1)[-1]

    @property
    def command_line(self) -> str:
        """What is sent over SSH (with ``sudo -n -iu ROLE --`` where the role is not the login)."""
        return self.environment.command_line(self.argv)

    def to_json(self) -> dict[str, object]:
        """What would run, where and as whom: ``instance``, ``stage``, ``mojo_stage``,
        ``account`` (``role@bastion``), ``host`` (what SSH connects to), ``argv``,
        ``command`` (the command line sent), ``pty``, ``timeout`` and ``idle_timeout``
        (seconds, or ``null``)."""
        return {
            "instance": self.instance.name,
            "stage": self.instance.stage_name,
            "mojo_stage": self.instance.mojo_stage,
            "account": self.environment.account,
            "host": self.environment.ssh_destination,
            "argv": list(self.argv),
            "command": self.command_line,
            "pty": self.pty,
            "timeout": self.timeout,
            "idle_timeout": self.idle_timeout,
        }

    def describe(self) -> list[str]:
        """Lines saying exactly what :meth:`run` would do."""
        env = self.environment
        how = (
            f"log in as {env.role}"
            if env.become == "login"
            else f"log in as yourself, then sudo -iu {env.role}"
        )
        limits = [
            "with a pty" if self.pty else "without a pty",
            f"timeout {self.timeout:g} s" if self.timeout else "no timeout",
            f"idle timeout {self.idle_timeout:g} s" if self.idle_timeout else "no idle timeout",
        ]
        return [
            f"instance:  {self.instance.name} ({self.instance.mojo_stage})",
            f"run as:    {env.account} ({how})",
            f"ssh to:    {env.ssh_destination}",
            f"command:   {self.command_line}",
            f"limits:    {', '.join(limits)}",
        ]

    def run(self, runner: CommandRunner, *, on_line: LineCallback | None = None) -> RunResult:
        """Run it as the role account with ``runner``, which must reach ``ssh_destination``."""
        return RoleAccountRunner(runner, self.environment.command_line).run(
            self.argv,
            on_line=on_line,
            timeout=self.timeout,
            idle_timeout=self.idle_timeout,
            pty=self.pty,
        )


@attrs.frozen(kw_only=True)
class RemoteRun:
    """What running a :class:`RemoteCommand` came to (``upgrade``, ``exec``).

    ``result`` is how the command ended; ``error`` the runner's error when it
    did not end (the connection was lost, a timeout, Ctrl-C); neither, for a
    dry run. ``route`` is the SSH route (``user@host``, through any jump
    hosts), ``log`` the file holding the whole output, ``gates`` what was
    checked before (production's promotion gates).
    """

    command: RemoteCommand
    dry_run: bool = False
    result: RunResult | None = None
    error: RemoteCommandError | None = None
    route: str | None = None
    log: str | None = None
    gates: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        """``not-run`` (a dry run), ``succeeded``, ``failed`` (a non-zero exit status),
        ``killed`` (a signal), ``timed-out``, ``interrupted``, or ``unknown`` (the
        connection was lost: it may have run to its end)."""
        if self.result is not None:
            if self.result.ok:
                return "succeeded"
            return "failed" if self.result.exit_status is not None else "killed"
        if self.error is None:
            return "not-run"
        if isinstance(self.error, CommandTimeoutError):
            return "timed-out"
        if isinstance(self.error, CommandInterruptedError):
            return "interrupted"
        return "unknown"  # OutcomeUnknown, or any other end this side did not see

    def to_json(self) -> dict[str, object]:
        """``upgrade`` and ``exec`` with ``--format json``: the keys of
        :meth:`RemoteCommand.to_json`, then ``dry_run``, ``route``, ``gates``,
        ``outcome``, ``exit_status``, ``signal``, ``elapsed`` (seconds), ``tail``
        (the last lines of output), ``log`` (a path, or ``null``) and ``error``
        (the sentence, when it did not end)."""
        result, error = self.result, self.error
        elapsed = result.elapsed if result else error.elapsed if error else None
        tail = result.tail() if result else error.tail if error else ()
        return {
            **self.command.to_json(),
            "dry_run": self.dry_run,
            "route": self.route,
            "gates": list(self.gates),
            "outcome": self.outcome,
            "exit_status": None if result is None else result.exit_status,
            "signal": None if result is None else result.signal,
            "elapsed": elapsed,
            "tail": list(tail),
            "log": self.log,
            "error": None if error is None else str(error),
        }


def _refuse_without_access(env: ManagementEnvironment, what: str, instance: Instance) -> None:
    if env.developer_access:
        return
    triggers = ", ".join(sorted(instance.triggers)) or "none"
    raise AccessRefusedError(
        f"{what} is refused: {instance.name} is managed by {env.managed_by or 'others'} from "
        f"{env.account}, where developers have no access",
        hint=f"Use its triggers instead ({triggers}), e.g. lpsigning-mojo upgrade {instance.name}",
    )


def upgrade_command(
    instances: Instances,
    name: str,
    *,
    trigger: str = "upgrade",
    timeout: float | None = None,
    idle_timeout: float | None = None,
) -> RemoteCommand:
    """The ``trigger`` of instance ``name`` (or alias), run from the environment it names.

    ``timeout`` and ``idle_timeout`` override those of the trigger, which
    default to :data:`DEFAULT_TIMEOUT` and :data:`DEFAULT_IDLE_TIMEOUT`.
    """
    instance = instances.get(name)
    if trigger not in instance.triggers:
        known = ", ".join(sorted(instance.triggers)) or "none"
        raise InstanceError(
            f"instance {instance.name!r} has no {trigger!r} trigger (it has: {known})",
            path=instances.path,
            line=instance.line,
        )
    chosen = instance.triggers[trigger]
    environment = instances.environments[chosen.run_from]
    _refuse_without_access(environment, f"the {trigger!r} trigger", instance)
    return RemoteCommand(
        instance=instance,
        environment=environment,
        argv=chosen.argv,
        pty=chosen.pty,
        timeout=timeout or chosen.timeout or DEFAULT_TIMEOUT,
        idle_timeout=idle_timeout or chosen.idle_timeout or DEFAULT_IDLE_TIMEOUT,
    )


def exec_command(
    instances: Instances,
    name: str,
    argv: Sequence[str],
    *,
    pty: bool = False,
    timeout: float | None = None,
    idle_timeout: float | None = None,
) -> RemoteCommand:
    """``argv`` as the role account of instance ``name``'s environment.

    Refused (:class:`AccessRefusedError`) where developers have no direct
    access, such as production.
    """
    instance = instances.get(name)
    environment = instances.environment_of(instance)
    _refuse_without_access(environment, f"running {shlex.join(argv) or 'a command'!r}", instance)
    if not argv:
        raise UsageError("no command given to run", hint="Put it after '--'")
    return RemoteCommand(
        instance=instance,
        environment=environment,
        argv=tuple(argv),
        pty=pty,
        timeout=timeout,
        idle_timeout=idle_timeout,
    )
