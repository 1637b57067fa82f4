"""Running a command somewhere else: the :class:`CommandRunner` protocol and its results.

:class:`lpsigning_mojo.external.ssh.SSHRunner` implements the protocol over SSH;
other adapters (such as the one reading ``juju status`` on a bastion) take any
``CommandRunner``, so tests hand them a fake. This module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import attrs

from lpsigning_mojo.errors import RemoteCommandFailed

__all__ = ["CommandRunner", "LineCallback", "OutputLine", "RunResult", "Stream"]

Stream = Literal["stdout", "stderr"]


@attrs.frozen(kw_only=True)
class OutputLine:
    """One line of a remote command's output, without its line ending."""

    stream: Stream
    text: str


LineCallback = Callable[[OutputLine], None]


@attrs.frozen(kw_only=True)
class RunResult:
    """A remote command that ran to its end.

    ``exit_status`` is ``None`` when the command ended without one (killed by a
    signal). A command whose outcome is unknown never gets a ``RunResult``: the
    runner raises :class:`~lpsigning_mojo.errors.OutcomeUnknown` instead.
    """

    command: str
    host: str
    exit_status: int | None
    elapsed: float
    output: tuple[OutputLine, ...] = ()

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

    def check(self) -> RunResult:
        """Return this result if the command succeeded; raise ``RemoteCommandFailed`` if not."""
        if self.ok:
            return self
        how = (
            "ended without an exit status (killed by a signal?)"
            if self.exit_status is None
            else f"exited with status {self.exit_status}"
        )
        raise RemoteCommandFailed(
            f"{self.command!r} on {self.host} {how}",
            command=self.command,
            exit_status=self.exit_status,
            tail=self.tail(),
            elapsed=self.elapsed,
            host=self.host,
        )


class CommandRunner(Protocol):
    """Runs commands on one host and streams their output.

    ``command`` is a shell command line (a sequence is joined with
    :func:`shlex.join`). ``on_line`` receives each line of output as it arrives.
    ``timeout`` bounds the whole run, ``idle_timeout`` the time without output;
    ``pty`` asks for a terminal, so that giving up on the command stops it
    (stderr then merges into stdout). Raises
    :class:`~lpsigning_mojo.errors.SSHError` subclasses: connection problems
    before the command started (safe to retry), ``OutcomeUnknown`` when the
    connection was lost after it started, ``CommandTimeoutError`` and
    ``CommandInterruptedError`` when this side gave up.
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
