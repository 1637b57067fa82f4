"""The project's errors: one base class, subclasses with typed attributes.

``str(error)`` is always a complete sentence a person can act on: where the
problem is (``file:line:col`` when there is one), what is wrong, and what to
do next. The CLI prints exactly that and exits 1.
"""

from __future__ import annotations

import os

__all__ = [
    "AccessRefusedError",
    "BundleError",
    "CommandAbandonedError",
    "CommandInterruptedError",
    "CommandTimeoutError",
    "EditError",
    "FileAccessError",
    "HostKeyChangedError",
    "HostKeyUnknownError",
    "InstanceError",
    "LpsigningMojoError",
    "OutcomeUnknown",
    "RemoteCommandError",
    "RemoteCommandFailed",
    "SSHAuthError",
    "SSHConfigError",
    "SSHConnectError",
    "SSHError",
    "TemplateError",
    "UnknownApplicationError",
    "UnknownInstanceError",
    "UsageError",
    "YamlError",
]


class LpsigningMojoError(Exception):
    """Base class of every error the project raises on purpose.

    ``path``, ``line`` and ``column`` (1-based) say where the problem is;
    ``hint`` says what to do about it. Each may be ``None``.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message.rstrip(".")
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    @property
    def location(self) -> str | None:
        """``path:line:col`` (as much of it as is known), or ``None``."""
        if self.path is None:
            return None
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = self.message + "."
        if self.location:
            text = f"{self.location}: {text}"
        if self.hint:
            text = f"{text} {self.hint.rstrip('.')}."
        return text


class UsageError(LpsigningMojoError):
    """The command line or the arguments of a call are wrong."""

    exit_code = 2


class FileAccessError(LpsigningMojoError):
    """A file is missing, is a directory, or cannot be read or written."""


class BundleError(LpsigningMojoError):
    """A bundle (or bundle template) is not what Juju or Mojo would accept."""


class TemplateError(BundleError):
    """A Jinja2 bundle template does not parse or does not render."""


class YamlError(BundleError):
    """A rendered bundle is not valid YAML, or not a YAML mapping."""


class UnknownApplicationError(BundleError):
    """A bundle has no application of the name asked for."""


class EditError(BundleError):
    """A text-preserving edit cannot be made safely; the file is untouched."""


class InstanceError(LpsigningMojoError):
    """``instances.yaml`` is invalid, or an instance cannot do what was asked."""


class UnknownInstanceError(InstanceError):
    """No instance has the name or alias asked for; ``valid`` lists the names that exist."""

    def __init__(self, name: str, *, valid: tuple[str, ...], path: str | None = None) -> None:
        self.name = name
        self.valid = valid
        super().__init__(
            f"there is no instance called {name!r}",
            path=path,
            hint=f"Valid names and aliases: {', '.join(valid) or 'none'}",
        )


class AccessRefusedError(InstanceError):
    """The instance's environment does not allow what was asked (e.g. ``exec`` on production)."""


class SSHError(LpsigningMojoError):
    """Something went wrong while reaching a host over SSH, or running a command there.

    ``host`` names the host (as ``[host]:port`` when the port is not 22).
    """

    def __init__(self, message: str, *, host: str | None = None, hint: str | None = None) -> None:
        self.host = host
        super().__init__(message, hint=hint)


class SSHConfigError(SSHError):
    """The user's ``ssh_config`` cannot be read or names something unusable."""


class HostKeyUnknownError(SSHError):
    """The host is not in known_hosts; nothing was sent to it."""


class HostKeyChangedError(SSHError):
    """The host offered a key that differs from the one in known_hosts."""


class SSHConnectError(SSHError):
    """No SSH session could be set up (refused, timed out, unresolvable, protocol failure).

    The command was never started, so retrying is safe; ``retryable`` is false
    where trying again cannot help (an unknown host name, no common algorithms).
    """

    retryable = True


class SSHAuthError(SSHError):
    """The server accepted none of the keys offered; the command was never started."""


class RemoteCommandError(SSHError):
    """A problem after the remote command started.

    ``command`` is the command line sent, ``tail`` the last lines of its output and
    ``elapsed`` the seconds since it started.
    """

    def __init__(
        self,
        message: str,
        *,
        command: str,
        tail: tuple[str, ...] = (),
        elapsed: float = 0.0,
        host: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.command = command
        self.tail = tail
        self.elapsed = elapsed
        super().__init__(message, host=host, hint=hint)


class RemoteCommandFailed(RemoteCommandError):
    """The remote command ended with a non-zero status (``exit_status``; ``None``: a signal)."""

    def __init__(
        self,
        message: str,
        *,
        command: str,
        exit_status: int | None,
        tail: tuple[str, ...] = (),
        elapsed: float = 0.0,
        host: str | None = None,
    ) -> None:
        self.exit_status = exit_status
        super().__init__(message, command=command, tail=tail, elapsed=elapsed, host=host)


class OutcomeUnknown(RemoteCommandError):
    """The connection was lost after the command started: it may have succeeded, or not.

    Never retried automatically. Its exit code (4) differs from success and plain failure.
    """

    exit_code = 4


class CommandAbandonedError(RemoteCommandError):
    """This side gave up on a running command and closed its channel.

    ``stopped`` says whether that stopped the remote command (it had a pty, so the
    hang-up sent it SIGHUP) or whether it may still be running.
    """

    def __init__(
        self,
        message: str,
        *,
        command: str,
        stopped: bool,
        tail: tuple[str, ...] = (),
        elapsed: float = 0.0,
        host: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.stopped = stopped
        super().__init__(message, command=command, tail=tail, elapsed=elapsed, host=host, hint=hint)


class CommandTimeoutError(CommandAbandonedError):
    """The command ran longer than allowed, or printed nothing for too long."""

    exit_code = 124


class CommandInterruptedError(CommandAbandonedError):
    """Ctrl-C while the remote command ran."""

    exit_code = 130
