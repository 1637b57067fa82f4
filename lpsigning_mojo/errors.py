"""The project's errors: one base class, subclasses with typed attributes, and exit statuses.

``str(error)`` is always a complete sentence a person can act on: where the
problem is (``file:line:col`` when there is one), what is wrong, and what to
do next. The CLI prints exactly that and exits with the error's
``exit_code``: one of :class:`ExitStatus`, the one list of every exit status
the command line uses (``docs/reference/cli.rst`` has it as a table).
"""

from __future__ import annotations

import enum
import os
from typing import Any

from lpsigning_mojo.suggest import did_you_mean

__all__ = [
    "AccessRefusedError",
    "ApplicationNotDeployedError",
    "BundleError",
    "ChannelError",
    "CharmNotFoundError",
    "CharmhubError",
    "CharmhubResponseError",
    "CharmhubUnavailableError",
    "CommandAbandonedError",
    "CommandInterruptedError",
    "CommandTimeoutError",
    "ConfigError",
    "DriftFoundError",
    "EditError",
    "ExitStatus",
    "FileAccessError",
    "FileTooLargeError",
    "HostKeyChangedError",
    "HostKeyUnknownError",
    "InstanceError",
    "JujuCommandError",
    "JujuError",
    "JujuOutputError",
    "LiveStateError",
    "LpsigningMojoError",
    "MissingExtraError",
    "NoMatchingReleaseError",
    "NotCheckableError",
    "OutcomeUnknown",
    "RemoteCommandError",
    "RemoteCommandFailed",
    "RemoteCommandKilled",
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


class ExitStatus(enum.IntEnum):
    """Every exit status of ``lpsigning-mojo`` and ``bundle-lint``, in one place.

    The tool's own outcomes use the small numbers and two conventions shared
    with other tools (124 for a timeout, as ``timeout(1)``; 130 for Ctrl-C,
    as a shell reports SIGINT). No remote command's status is ever passed on
    as the tool's own, because no range of statuses is out of a remote
    command's reach: ``exec`` and ``upgrade`` exit 5 or 6 when the command
    failed and say its status, and only ``exec --remote-status`` mirrors it
    (then every failure of the tool itself is 255, as with OpenSSH's ``ssh``).
    """

    #: Success; for ``status``: checked, and the instance runs what the spec pins.
    OK = 0
    #: A problem the tool explains in one sentence (also: lint findings; ``status``
    #: could not check).
    ERROR = 1
    #: The command line is wrong.
    USAGE = 2
    #: A bug: the traceback is in a log file whose path is printed.
    BUG = 3
    #: The connection was lost after a remote command started; it may or may not have run.
    OUTCOME_UNKNOWN = 4
    #: A command run by the tool (``exec``, ``upgrade``, a release step) exited non-zero.
    REMOTE_FAILED = 5
    #: A command run by the tool was ended by a signal (or ended without an exit status).
    REMOTE_KILLED = 6
    #: ``status`` checked: the instance does not run what the spec pins, or a unit is unwell.
    DRIFT = 7
    #: ``status`` could not check: the instance's live state is not readable from here.
    NOT_CHECKABLE = 8
    #: The tool gave up on a command that ran longer than its timeout or idle timeout.
    TIMEOUT = 124
    #: Interrupted with Ctrl-C.
    INTERRUPTED = 130
    #: With ``--remote-status`` only: the tool failed, so there is no remote status to pass on.
    NO_REMOTE_STATUS = 255


class LpsigningMojoError(Exception):
    """Base class of every error the project raises on purpose.

    ``path``, ``line`` and ``column`` (1-based) say where the problem is;
    ``hint`` says what to do about it. Each may be ``None``. ``exit_code``
    is the :class:`ExitStatus` the command line ends with.
    """

    exit_code: int = ExitStatus.ERROR

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
        text = _ended(self.message)
        if self.location:
            text = f"{self.location}: {text}"
        if self.hint:
            hint = self.hint.rstrip(".")
            text = f"{text} {_ended(hint[:1].upper() + hint[1:])}"
        return text


def _ended(sentence: str) -> str:
    """``sentence`` with a full stop, unless it ends with its own ``?`` or ``!``."""
    return sentence if sentence.endswith(("?", "!")) else sentence + "."


class UsageError(LpsigningMojoError):
    """The command line or the arguments of a call are wrong."""

    exit_code = ExitStatus.USAGE


class FileAccessError(LpsigningMojoError):
    """A file is missing, is a directory, or cannot be read or written."""


class FileTooLargeError(FileAccessError):
    """A file is larger than the ``limit`` (bytes) this tool reads."""

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(message, **kwargs)


class ConfigError(LpsigningMojoError):
    """A configuration file or variable holds a value this tool cannot use."""


class BundleError(LpsigningMojoError):
    """A bundle (or bundle template) is not what Juju or Mojo would accept."""


class TemplateError(BundleError):
    """A Jinja2 bundle template does not parse or does not render."""


class YamlError(BundleError):
    """A rendered bundle is not valid YAML, or not a YAML mapping.

    ``related_line`` is another line the message names (the first of two
    duplicate keys), so that a caller mapping lines elsewhere can map it too.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        related_line: int | None = None,
    ) -> None:
        self.related_line = related_line
        super().__init__(message, path=path, line=line, column=column, hint=hint)


class UnknownApplicationError(BundleError):
    """A bundle has no application of the name asked for."""


class EditError(BundleError):
    """A text-preserving edit cannot be made safely; the file is untouched."""


class MissingExtraError(LpsigningMojoError):
    """An optional dependency is not installed; ``extra`` names the extra that brings it."""

    def __init__(self, message: str, *, extra: str, hint: str | None = None) -> None:
        self.extra = extra
        super().__init__(
            message, hint=hint or f"Install it with: pip install 'lpsigning-mojo[{extra}]'"
        )


class ChannelError(LpsigningMojoError):
    """A channel (``latest/edge``, ``2.0/stable``) or base (``ubuntu@22.04``) does not parse."""


class CharmhubError(LpsigningMojoError):
    """Charmhub did not answer what was asked, or a release lookup found nothing.

    ``url`` is the request that failed, when there was one.
    """

    def __init__(self, message: str, *, url: str | None = None, hint: str | None = None) -> None:
        self.url = url
        super().__init__(message, hint=hint)


class CharmNotFoundError(CharmhubError):
    """Charmhub has no charm of that name (HTTP 404)."""

    def __init__(self, charm: str, *, url: str | None = None) -> None:
        self.charm = charm
        super().__init__(
            f"Charmhub has no charm named {charm!r}",
            url=url,
            hint="Check the spelling, or the charm's visibility if it is private",
        )


class CharmhubUnavailableError(CharmhubError):
    """Charmhub could not be reached, timed out, or kept failing with 5xx after retries."""


class CharmhubResponseError(CharmhubError):
    """Charmhub answered with an error, or with data that is not what its API documents."""


class NoMatchingReleaseError(CharmhubError):
    """No release in a channel map matches the track, risk, base and architecture asked for."""


class JujuError(LpsigningMojoError):
    """Reading the state of a Juju model failed."""


class JujuCommandError(JujuError):
    """A ``juju`` command could not be run or exited non-zero.

    ``command`` is the command line, ``exit_status`` its exit status (``None``
    when it never ran or timed out) and ``stderr`` the last lines it printed.
    """

    def __init__(
        self,
        message: str,
        *,
        command: str,
        exit_status: int | None = None,
        stderr: str = "",
        hint: str | None = None,
    ) -> None:
        self.command = command
        self.exit_status = exit_status
        self.stderr = stderr
        super().__init__(message, hint=hint)


class JujuOutputError(JujuError):
    """Juju answered with output that is not JSON, or not in the shape Juju documents."""


class ApplicationNotDeployedError(JujuError):
    """The model has no application of the name asked for."""

    def __init__(self, application: str, *, model: str | None = None) -> None:
        self.application = application
        self.model = model
        where = f"model {model!r}" if model else "the current Juju model"
        super().__init__(
            f"Application {application!r} is not deployed in {where}",
            hint="Check the application name and the model (juju models; juju status)",
        )


class InstanceError(LpsigningMojoError):
    """``instances.yaml`` is invalid, or an instance cannot do what was asked."""


class UnknownInstanceError(InstanceError):
    """No instance has the name or alias asked for; ``valid`` lists the names that exist."""

    def __init__(self, name: str, *, valid: tuple[str, ...], path: str | None = None) -> None:
        self.name = name
        self.valid = valid
        super().__init__(
            f"there is no instance called {name!r}{did_you_mean(name, valid)}",
            path=path,
            hint=f"Valid names and aliases: {', '.join(valid) or 'none'}",
        )


class AccessRefusedError(InstanceError):
    """The instance's environment does not allow what was asked (e.g. ``exec`` on production)."""


class SSHError(LpsigningMojoError):
    """A host could not be reached over SSH, or refused to start a command: nothing ran.

    Problems once a command started are :class:`RemoteCommandError` errors,
    whichever runner ran it.

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


# -- running commands (lpsigning_mojo.remote; SSHRunner and LocalRunner) -------------------


class RemoteCommandError(LpsigningMojoError):
    """The family of problems after a command started, whichever runner ran it.

    Every :class:`~lpsigning_mojo.remote.CommandRunner` raises these once the
    command started (over SSH, or here with
    :class:`~lpsigning_mojo.external.local.LocalRunner`), so they are not
    :class:`SSHError` errors: that family is for reaching a host, before anything
    runs. ``command`` is the command line sent, ``host`` where it ran,
    ``tail`` the last lines of its output and ``elapsed`` the seconds since
    it started.
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
        self.host = host
        super().__init__(message, hint=hint)


class RemoteCommandFailed(RemoteCommandError):
    """The command ran to its end and exited with the non-zero ``exit_status``."""

    exit_code = ExitStatus.REMOTE_FAILED

    def __init__(
        self,
        message: str,
        *,
        command: str,
        exit_status: int | None,
        signal: str | None = None,
        tail: tuple[str, ...] = (),
        elapsed: float = 0.0,
        host: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.exit_status = exit_status
        self.signal = signal
        super().__init__(message, command=command, tail=tail, elapsed=elapsed, host=host, hint=hint)


class RemoteCommandKilled(RemoteCommandFailed):
    """The command was ended by a signal: ``signal`` names it (``"TERM"``), when known.

    ``exit_status`` is ``None``: a command ended by a signal has none.
    """

    exit_code = ExitStatus.REMOTE_KILLED


class OutcomeUnknown(RemoteCommandError):
    """The connection was lost after the command started: it may have succeeded, or not.

    Never retried automatically. Its exit code (4) differs from success and plain failure.
    """

    exit_code = ExitStatus.OUTCOME_UNKNOWN


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

    exit_code = ExitStatus.TIMEOUT


class CommandInterruptedError(CommandAbandonedError):
    """Ctrl-C while the remote command ran."""

    exit_code = ExitStatus.INTERRUPTED


# -- what an instance runs (lpsigning_mojo.release.status) ----------------------------------


class DriftFoundError(LpsigningMojoError):
    """``status`` read the instance's live state: it differs from the pins, or a unit is unwell."""

    exit_code = ExitStatus.DRIFT


class NotCheckableError(LpsigningMojoError):
    """``status`` cannot read the instance's live state from here (production): only pins shown."""

    exit_code = ExitStatus.NOT_CHECKABLE


class LiveStateError(LpsigningMojoError):
    """``status`` tried to read the instance's live state and could not: nothing was checked."""


class GitError(LpsigningMojoError):
    """Running git in a repository failed.

    ``repository`` is the directory git ran in, ``command`` the command line
    (``None`` when git never ran), ``exit_status`` its exit status (``None``
    when it never ran or was stopped) and ``stderr`` its last lines of error
    output.
    """

    def __init__(
        self,
        message: str,
        *,
        repository: str | os.PathLike[str] | None = None,
        command: str | None = None,
        exit_status: int | None = None,
        stderr: str = "",
        hint: str | None = None,
    ) -> None:
        self.repository = None if repository is None else os.fspath(repository)
        self.command = command
        self.exit_status = exit_status
        self.stderr = stderr
        super().__init__(message, hint=hint)


class GitNotFoundError(GitError):
    """The ``git`` program is not installed, or not on ``PATH``."""


class GitRepositoryError(GitError):
    """The directory does not exist, is not a git repository, or git refuses to use it."""


class GitArgumentError(GitError):
    """A revision, remote, branch or path was refused before git ran.

    A revision that starts with ``-`` would be read by git as an option
    (``--output=FILE`` writes a file), so it is never passed on.
    """


class GitTimeoutError(GitError):
    """A git command ran longer than allowed and was stopped."""


class GitCommandError(GitError):
    """git ran and failed; ``stderr`` holds its last lines."""


class GitRevisionError(GitCommandError):
    """A revision, or a file at a revision, does not exist in the repository."""


class GitNoUpstreamError(GitError):
    """The current branch tracks no remote branch (or HEAD is detached)."""


class GitIdentityError(GitCommandError):
    """git does not know the user's name and email address, so it cannot commit."""


class GitNothingToCommitError(GitCommandError):
    """The paths asked to commit hold no change."""


class GitPushRejectedError(GitCommandError):
    """The remote refused the push because its branch moved on (fetch first, non-fast-forward).

    Nothing changed on the remote. Distinct from :class:`GitPushError`:
    fetching and rebasing can resolve it.
    """


class GitPushError(GitCommandError):
    """A push failed for a reason other than the remote moving on.

    (Unreachable remote, refused credentials, a hook on the remote declined it.)
    """


class GitRebaseConflictError(GitCommandError):
    """A rebase stopped on conflicts in ``paths``; it was aborted, so the branch is unchanged."""

    def __init__(
        self,
        message: str,
        *,
        paths: tuple[str, ...],
        repository: str | os.PathLike[str] | None = None,
        command: str | None = None,
        exit_status: int | None = None,
        stderr: str = "",
        hint: str | None = None,
    ) -> None:
        self.paths = paths
        super().__init__(
            message,
            repository=repository,
            command=command,
            exit_status=exit_status,
            stderr=stderr,
            hint=hint,
        )


class GitOutputError(GitError):
    """git printed something this library cannot parse (a bug here, or an unusual git)."""


class CommitMessageError(LpsigningMojoError):
    """A commit message cannot be built in the spec's format from what was given."""


__all__ += [
    "CommitMessageError",
    "GitArgumentError",
    "GitCommandError",
    "GitError",
    "GitIdentityError",
    "GitNoUpstreamError",
    "GitNotFoundError",
    "GitNothingToCommitError",
    "GitOutputError",
    "GitPushError",
    "GitPushRejectedError",
    "GitRebaseConflictError",
    "GitRepositoryError",
    "GitRevisionError",
    "GitTimeoutError",
]


# The runbook engine (lpsigning_mojo.runbook): runs, journals, locks, prompts, gates.


class RunbookError(LpsigningMojoError):
    """A run of a plan could not start, continue or finish as asked."""


class JournalError(RunbookError):
    """A run's journal cannot be created, read or written; ``path`` names it."""


class JournalBusyError(JournalError):
    """Another process is writing the journal (it holds the journal's ``flock``)."""


class RunNotFoundError(JournalError):
    """No journal matches the run asked for (``--resume RUN_ID`` or ``--resume last``)."""


class ResumeMismatchError(RunbookError):
    """The run to resume was started by another plan, instance, options or list of steps."""


class LockError(RunbookError):
    """The lock of an instance could not be taken, read, released or broken."""


class LockHeldError(LockError):
    """Another run holds the lock; ``owner`` says who, since when.

    ``owner`` is a :class:`lpsigning_mojo.runbook.LockOwner`.
    """

    def __init__(self, message: str, *, owner: object, hint: str | None = None) -> None:
        self.owner = owner
        super().__init__(message, hint=hint)


class LockChangedError(LockError):
    """The lock changed hands between showing its owner and breaking it; nothing was broken."""


class PromptError(RunbookError):
    """A question needs a person's answer and none can be had (no terminal, no ``--yes``)."""


class DeclinedError(RunbookError):
    """The person answered no (or chose to stop) when asked to confirm a step."""


class GatesBlockedError(RunbookError):
    """One or more gates are blocked and not overridden; ``blocked`` names them."""

    def __init__(self, message: str, *, blocked: tuple[str, ...], hint: str | None = None) -> None:
        self.blocked = blocked
        super().__init__(message, hint=hint)


__all__ += [
    "DeclinedError",
    "GatesBlockedError",
    "JournalBusyError",
    "JournalError",
    "LockChangedError",
    "LockError",
    "LockHeldError",
    "PromptError",
    "ResumeMismatchError",
    "RunNotFoundError",
    "RunbookError",
]


# -- HTTP plumbing (lpsigning_mojo.external._http) ------------------------------------------


class HttpError(LpsigningMojoError):
    """An HTTP request got no usable answer.

    ``url`` is the URL as it may be shown: the URL without any user name or
    password, or a label such as ``<webhook URL>`` when the URL is a secret.
    ``sent`` is true when the request may have reached the server (the
    connection was open when it failed), so repeating it may repeat its effect.
    The adapters turn these into errors of their own family.
    """

    def __init__(
        self, message: str, *, url: str, sent: bool = False, hint: str | None = None
    ) -> None:
        self.url = url
        self.sent = sent
        super().__init__(message, hint=hint)


class HttpTimeoutError(HttpError):
    """No complete answer came within the request's total deadline."""


class HttpConnectionError(HttpError):
    """The server could not be reached, or the connection failed or broke."""


class HttpRedirectError(HttpError):
    """A redirect went to another scheme, host or port (not followed), or there were too many.

    ``redirect_to`` is where it tried to go, as it may be shown.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        redirect_to: str | None = None,
        sent: bool = True,
        hint: str | None = None,
    ) -> None:
        self.redirect_to = redirect_to
        super().__init__(message, url=url, sent=sent, hint=hint)


class HttpResponseError(HttpError):
    """The answer is not usable: malformed HTTP, a body over the size limit, or bad JSON.

    ``status`` is the HTTP status, when one was read.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        sent: bool = True,
        hint: str | None = None,
    ) -> None:
        self.status = status
        super().__init__(message, url=url, sent=sent, hint=hint)


# -- the service's health check (lpsigning_mojo.external.probe) --------------------------------


class ProbeError(LpsigningMojoError):
    """The service did not pass its health check (``GET /service-key``).

    ``url`` is the URL probed, ``attempts`` how many times it was asked,
    ``elapsed`` the seconds spent and ``last_reason`` what the last answer was.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        attempts: int,
        elapsed: float,
        last_reason: str,
        hint: str | None = None,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.elapsed = elapsed
        self.last_reason = last_reason
        super().__init__(message, hint=hint)


class ServiceUnhealthyError(ProbeError):
    """The health check failed in a way that waiting cannot fix (e.g. a redirect off the host)."""


class ProbeTimeoutError(ProbeError):
    """The service was not healthy often enough in a row before the wait's timeout."""


# -- Launchpad (lpsigning_mojo.external.launchpad) -------------------------------------------


class LaunchpadError(LpsigningMojoError):
    """Launchpad could not do what was asked; ``bug`` is the bug number concerned, if any."""

    def __init__(self, message: str, *, bug: int | None = None, hint: str | None = None) -> None:
        self.bug = bug
        super().__init__(message, hint=hint)


class LaunchpadUnavailableError(LaunchpadError):
    """Launchpad could not be reached, did not answer in time, or failed with 5xx.

    Nothing was changed. Callers that only read (checking the bugs of a
    release) may turn this into a warning.
    """


class LaunchpadCredentialsError(LaunchpadError):
    """The credentials file is missing or unreadable, or Launchpad refused its token."""


class BugNotFoundError(LaunchpadError):
    """Launchpad has no bug of that number, or it is private to the reader."""

    def __init__(self, bug: int) -> None:
        super().__init__(
            f"Launchpad has no bug #{bug}, or it is private",
            bug=bug,
            hint="Check the number (LP: #N lines in commit messages)",
        )


class BugTaskNotFoundError(LaunchpadError):
    """A bug has no task for the project (``target``) asked for; ``targets`` lists those it has."""

    def __init__(self, bug: int, target: str, *, targets: tuple[str, ...]) -> None:
        self.target = target
        self.targets = targets
        super().__init__(
            f"Bug #{bug} has no {target} task (it has: {', '.join(targets) or 'no tasks'})",
            bug=bug,
            hint=f"Add a {target} task on Launchpad if the bug affects {target}",
        )


class BugTaskStatusError(LaunchpadError):
    """A bug task's status is not the one a change expected; nothing was changed."""

    def __init__(self, bug: int, target: str, *, status: str, expected: str) -> None:
        self.target = target
        self.status = status
        self.expected = expected
        super().__init__(
            f"Bug #{bug}'s {target} task is {status!r}, not {expected!r}; it was left unchanged",
            bug=bug,
        )


class ProjectNotFoundError(LaunchpadError):
    """Launchpad has no project of that name."""

    def __init__(self, project: str) -> None:
        self.project = project
        super().__init__(
            f"Launchpad has no project named {project!r}", hint="Check the project's name"
        )


class LaunchpadWriteError(LaunchpadError):
    """Launchpad refused or failed a change (``status``: its HTTP status, when it answered)."""

    def __init__(
        self,
        message: str,
        *,
        bug: int | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        super().__init__(message, bug=bug, hint=hint)


# -- chat (lpsigning_mojo.external.chat) ---------------------------------------------------


class ChatError(LpsigningMojoError):
    """A chat message (a Mattermost incoming webhook post) was not confirmed as posted.

    ``maybe_posted`` is true when the request may have reached the server
    (it timed out or broke after it was sent): the message may be there, so
    look before posting it again. The hook URL is a secret: no message names it.
    """

    def __init__(
        self, message: str, *, maybe_posted: bool = False, hint: str | None = None
    ) -> None:
        self.maybe_posted = maybe_posted
        super().__init__(message, hint=hint)


class ChatConfigError(ChatError):
    """The webhook URL or a message is unusable; nothing was sent."""


class ChatUnavailableError(ChatError):
    """The webhook could not be reached, did not answer in time, or failed with 5xx."""


class ChatRejectedError(ChatError):
    """The webhook answered, but not with ``200 ok`` (``status``: its HTTP status)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        maybe_posted: bool = False,
        hint: str | None = None,
    ) -> None:
        self.status = status
        super().__init__(message, maybe_posted=maybe_posted, hint=hint)


__all__ += [
    "BugNotFoundError",
    "BugTaskNotFoundError",
    "BugTaskStatusError",
    "ChatConfigError",
    "ChatError",
    "ChatRejectedError",
    "ChatUnavailableError",
    "HttpConnectionError",
    "HttpError",
    "HttpRedirectError",
    "HttpResponseError",
    "HttpTimeoutError",
    "LaunchpadCredentialsError",
    "LaunchpadError",
    "LaunchpadUnavailableError",
    "LaunchpadWriteError",
    "ProbeError",
    "ProbeTimeoutError",
    "ProjectNotFoundError",
    "ServiceUnhealthyError",
]


# -- the lp-signing release plans (lpsigning_mojo.release) -----------------------------------


class ReleaseError(LpsigningMojoError):
    """A release cannot go on: something the runbook requires does not hold."""


class PreflightError(ReleaseError):
    """The spec repository or the instance is not ready for a release (dirty, behind...)."""


class MergeProposalNeededError(ReleaseError):
    """The change holds more than a release-only change, so it is not pushed directly."""


class VerifyError(ReleaseError):
    """The instance does not run what was released, or its units are not healthy."""


__all__ += ["MergeProposalNeededError", "PreflightError", "ReleaseError", "VerifyError"]


# -- the production release (lpsigning_mojo.release.production) -----------------------------


class AnnouncementOutcomeUnknown(OutcomeUnknown):
    """The announcement may or may not have been posted (the webhook's answer was lost).

    Never posted again without asking: look in the channel first.
    """


class DeployableCommandError(ReleaseError):
    """A configured Deployable command failed (``exit_status``; ``tail``: its last lines)."""

    def __init__(
        self,
        message: str,
        *,
        exit_status: int | None,
        tail: tuple[str, ...] = (),
        hint: str | None = None,
    ) -> None:
        self.exit_status = exit_status
        self.tail = tail
        super().__init__(message, hint=hint)


class BugUpdatesFailedError(ReleaseError):
    """Some bugs' status could not be changed on Launchpad (``bugs``: their numbers)."""

    def __init__(self, message: str, *, bugs: tuple[int, ...], hint: str | None = None) -> None:
        self.bugs = bugs
        super().__init__(message, hint=hint)


__all__ += ["AnnouncementOutcomeUnknown", "BugUpdatesFailedError", "DeployableCommandError"]
