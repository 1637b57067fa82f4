"""Running a command on a host: the one :class:`CommandRunner` protocol and its results.

Every command this project runs on a host, here or elsewhere, goes through a
:class:`CommandRunner`: :class:`lpsigning_mojo.external.ssh.SSHRunner` runs
it over SSH, :class:`lpsigning_mojo.external.local.LocalRunner` on this
machine, and :class:`lpsigning_mojo.testing.FakeRunner` answers from what a
test told it. Code that runs commands (the Juju adapter, the triggers, the
release engine) takes any of them. :class:`RoleAccountRunner` wraps a runner
so that each command runs as another account (a management environment's
role account), given the function that builds that command line.

This module is pure and imports nothing heavy.
"""

from __future__ import annotations

import codecs
import shlex
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import attrs

from lpsigning_mojo.errors import RemoteCommandFailed, RemoteCommandKilled

__all__ = [
    "CommandRunner",
    "LineCallback",
    "LineSplitter",
    "OutputLine",
    "RoleAccountRunner",
    "RunResult",
    "Stream",
    "shell_command_line",
]

Stream = Literal["stdout", "stderr"]

#: A longer line without a line break is passed on in pieces of this many characters.
MAX_LINE = 65536


@attrs.frozen(kw_only=True)
class OutputLine:
    """One line of a command's output, without its line ending."""

    stream: Stream
    text: str


LineCallback = Callable[[OutputLine], None]


@attrs.frozen(kw_only=True)
class RunResult:
    """A command that ran to its end.

    ``exit_status`` is ``None`` when the command ended without one: a signal
    ended it, and ``signal`` names it (``"TERM"``, ``"KILL"``: the name
    without ``SIG``, as SSH sends it) when the runner was told which. A command
    whose outcome is unknown never gets a ``RunResult``: the runner raises
    :class:`~lpsigning_mojo.errors.OutcomeUnknown` instead.
    """

    command: str
    host: str
    exit_status: int | None
    elapsed: float
    output: tuple[OutputLine, ...] = ()
    signal: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def stdout(self) -> str:
        """The lines written to standard output (all output, with a pty), joined."""
        return "".join(line.text + "\n" for line in self.output if line.stream == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(line.text + "\n" for line in self.output if line.stream == "stderr")

    def tail(self, count: int = 10) -> tuple[str, ...]:
        """The last ``count`` lines of output, both streams, in arrival order."""
        return tuple(line.text for line in self.output[-count:]) if count > 0 else ()

    def describe_end(self) -> str:
        """How it ended, to follow the command: ``"exited with status 2"``, ``"was killed by
        signal TERM"``."""
        if self.exit_status is not None:
            return f"exited with status {self.exit_status}"
        if self.signal:
            return f"was killed by signal {self.signal}"
        return "ended without an exit status (a signal ended it; the server did not say which)"

    def check(self) -> RunResult:
        """Return this result if the command succeeded; raise if not.

        :class:`~lpsigning_mojo.errors.RemoteCommandFailed` for a non-zero
        exit status, :class:`~lpsigning_mojo.errors.RemoteCommandKilled` when
        a signal ended it.
        """
        if self.ok:
            return self
        kind = RemoteCommandFailed if self.exit_status is not None else RemoteCommandKilled
        raise kind(
            f"{self.command!r} on {self.host} {self.describe_end()}",
            command=self.command,
            exit_status=self.exit_status,
            signal=self.signal,
            tail=self.tail(),
            elapsed=self.elapsed,
            host=self.host,
        )


class CommandRunner(Protocol):
    """Runs commands on one host and streams their output.

    ``command`` is a shell command line (a sequence is joined with
    :func:`shlex.join`), run by the host's shell. ``on_line`` receives each
    line of output as it arrives. ``timeout`` bounds the whole run,
    ``idle_timeout`` the time without output; ``pty`` asks for a terminal, so
    that giving up on the command stops it (stderr then merges into stdout).

    A command that ended gives a :class:`RunResult`, whatever its exit status
    (127: not installed there, as from any shell). Once it started, a runner
    raises :class:`~lpsigning_mojo.errors.RemoteCommandError` subclasses, the
    runners' own family: ``OutcomeUnknown`` when the connection was lost,
    ``CommandTimeoutError`` and ``CommandInterruptedError`` when this side
    gave up. Before it started, each runner raises its own family
    (``SSHRunner``: :class:`~lpsigning_mojo.errors.SSHError`, nothing ran).

    ``timeout`` bounds everything the call does: over SSH that includes
    connecting (when not connected yet), opening the session and starting
    the command, not only its output.
    """

    def run(
        self,
        command: str | Sequence[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        pty: bool = False,
    ) -> RunResult: ...


def shell_command_line(command: str | Sequence[str]) -> str:
    """``command`` as the shell command line a :class:`CommandRunner` runs: a string as it
    is, a sequence of words joined with :func:`shlex.join`."""
    return command if isinstance(command, str) else shlex.join(command)


class LineSplitter:
    """Turns one stream's bytes into lines (UTF-8, damaged bytes replaced), for runners.

    Lines end at LF; a CR before it is dropped. Each line goes to ``emit`` as
    an :class:`OutputLine` as soon as it is complete; ``feed(b"", final=True)``
    passes on the last one, even without a line break.
    """

    def __init__(self, stream: Stream, emit: LineCallback) -> None:
        self._stream: Stream = stream
        self._emit = emit
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""

    def feed(self, data: bytes, *, final: bool = False) -> None:
        *lines, self._pending = (self._pending + self._decoder.decode(data, final)).split("\n")
        if len(self._pending) > MAX_LINE or (final and self._pending):
            lines.append(self._pending)
            self._pending = ""
        for text in lines:
            self._emit(OutputLine(stream=self._stream, text=text.removesuffix("\r")))


class RoleAccountRunner:
    """A :class:`CommandRunner` that runs each command as another account, through ``runner``.

    ``command_line`` turns an argv into the command line that runs it as that
    account once logged in, e.g.
    :meth:`lpsigning_mojo.instances.ManagementEnvironment.command_line`
    (``sudo -n -iu ROLE -- ARGV``, or the argv alone where you log in as the
    role). A command given as a string is split into words with
    :func:`shlex.split` first, so it must be one simple command (no pipes).
    """

    def __init__(self, runner: CommandRunner, command_line: Callable[[Sequence[str]], str]) -> None:
        self.runner = runner
        self.command_line = command_line

    def run(
        self,
        command: str | Sequence[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        pty: bool = False,
    ) -> RunResult:
        argv = shlex.split(command) if isinstance(command, str) else command
        return self.runner.run(
            self.command_line(argv),
            on_line=on_line,
            timeout=timeout,
            idle_timeout=idle_timeout,
            pty=pty,
        )
