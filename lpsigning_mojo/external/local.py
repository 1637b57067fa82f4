"""Run commands on this machine: a :class:`~lpsigning_mojo.remote.CommandRunner` over subprocess.

:class:`LocalRunner` runs a command as ``/bin/sh -c COMMAND``, as sshd runs
it with the user's shell on a remote host, so a command behaves the same
whichever runner runs it: one that is not installed ends with status 127 and
the shell's message on stderr. Output is streamed line by line as it
arrives; the overall and idle timeouts and Ctrl-C stop the command and
every process it started (its process group), and raise the protocol's
:class:`~lpsigning_mojo.errors.CommandAbandonedError` subclasses.
:meth:`LocalRunner._execute` is the one place that starts local processes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import subprocess
from collections.abc import Sequence
from typing import NoReturn

from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import CommandInterruptedError, CommandTimeoutError
from lpsigning_mojo.remote import (
    LineCallback,
    LineSplitter,
    OutputLine,
    RunResult,
    shell_command_line,
)

__all__ = ["LocalRunner"]

_TAIL = 10
_EXIT_CANNOT_START = 127  # what a shell answers for a command it cannot find


class LocalRunner:
    """Runs commands on this machine; a :class:`~lpsigning_mojo.remote.CommandRunner`.

    ``shell`` runs each command line (``SHELL -c LINE``). When the command
    must be stopped (a timeout, Ctrl-C, an error in ``on_line``), its process
    group gets SIGTERM, then SIGKILL after ``grace`` seconds. With ``pty``
    the command writes to a pseudo-terminal, so it sees a terminal and its
    stderr merges into stdout, as over SSH.
    """

    #: What results and errors name as the host.
    host = "localhost"

    def __init__(
        self, *, shell: str = "/bin/sh", grace: float = 2.0, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.shell = shell
        self.grace = grace
        self.clock = clock

    def run(
        self,
        command: str | Sequence[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        pty: bool = False,
    ) -> RunResult:
        """Run ``command``; see :class:`~lpsigning_mojo.remote.CommandRunner`."""
        return self._execute(shell_command_line(command), on_line, timeout, idle_timeout, pty)

    def _execute(
        self,
        command: str,
        on_line: LineCallback | None,
        timeout: float | None,
        idle_timeout: float | None,
        pty: bool,
    ) -> RunResult:
        """The chokepoint: starts ``command`` and reads it to the end."""
        output: list[OutputLine] = []

        def emit(line: OutputLine) -> None:
            output.append(line)
            if on_line is not None:
                on_line(line)

        start = self.clock.monotonic()
        readers: dict[int, LineSplitter] = {}
        primary = secondary = -1
        try:
            if pty:
                primary, secondary = os.openpty()
            target = secondary if pty else subprocess.PIPE
            try:
                process = subprocess.Popen(
                    [self.shell, "-c", command],
                    stdin=subprocess.DEVNULL,
                    stdout=target,
                    stderr=target,
                    start_new_session=True,
                )
            finally:
                if pty:
                    os.close(secondary)
        except OSError as error:
            if pty and primary >= 0:
                os.close(primary)
            emit(OutputLine(stream="stderr", text=f"cannot start {self.shell}: {error.strerror}"))
            return RunResult(
                command=command,
                host=self.host,
                exit_status=_EXIT_CANNOT_START,
                elapsed=self.clock.monotonic() - start,
                output=tuple(output),
            )
        if pty:
            readers[primary] = LineSplitter("stdout", emit)
        else:
            stdout, stderr = process.stdout, process.stderr
            assert stdout is not None
            assert stderr is not None
            readers[stdout.fileno()] = LineSplitter("stdout", emit)
            readers[stderr.fileno()] = LineSplitter("stderr", emit)

        def give_up(
            kind: type[CommandTimeoutError | CommandInterruptedError], why: str
        ) -> NoReturn:
            self._stop(process)
            raise kind(
                f"{command!r} on {self.host} {why}; it was stopped, with every process it started",
                command=command,
                stopped=True,
                tail=tuple(line.text for line in output[-_TAIL:]),
                elapsed=self.clock.monotonic() - start,
                host=self.host,
            ) from None

        try:
            ended = _pump(readers, process, self.clock, start, timeout, idle_timeout)
        except KeyboardInterrupt:
            give_up(
                CommandInterruptedError,
                f"was interrupted after {self.clock.monotonic() - start:.0f} s",
            )
        except BaseException:
            self._stop(process)
            raise
        finally:
            if pty:
                os.close(primary)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        if ended == "timeout":
            give_up(CommandTimeoutError, f"ran longer than its timeout of {timeout:g} s")
        if ended == "idle":
            give_up(CommandTimeoutError, f"printed nothing for {idle_timeout:g} s")
        status = process.returncode
        return RunResult(
            command=command,
            host=self.host,
            exit_status=status if status >= 0 else None,
            signal=None if status >= 0 else _signal_name(-status),
            elapsed=self.clock.monotonic() - start,
            output=tuple(output),
        )

    def _stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM the command's process group, then SIGKILL it after ``grace`` seconds."""
        for sig, wait in ((signal.SIGTERM, self.grace), (signal.SIGKILL, None)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _signal_name(number: int) -> str:
    """``"TERM"`` for 15: a signal's name without ``SIG``, as SSH names it."""
    try:
        return signal.Signals(number).name.removeprefix("SIG")
    except ValueError:
        return str(number)


def _pump(
    readers: dict[int, LineSplitter],
    process: subprocess.Popen[bytes],
    clock: Clock,
    start: float,
    timeout: float | None,
    idle_timeout: float | None,
) -> str:
    """Pass on output until the command ends; return ``"ended"``, ``"timeout"`` or ``"idle"``."""
    open_fds = set(readers)
    last = start
    while True:
        now = clock.monotonic()
        if timeout is not None and now - start >= timeout:
            return "timeout"
        if idle_timeout is not None and now - last >= idle_timeout:
            return "idle"
        wait = 1.0
        if timeout is not None:
            wait = min(wait, start + timeout - now)
        if idle_timeout is not None:
            wait = min(wait, last + idle_timeout - now)
        if not open_fds:  # both streams closed: wait for the exit status
            try:
                process.wait(max(wait, 0.0))
                return "ended"
            except subprocess.TimeoutExpired:
                continue
        ready, _, _ = select.select(sorted(open_fds), [], [], max(wait, 0.0))
        for fd in ready:
            try:
                data = os.read(fd, 32768)
            except OSError as error:  # a pty whose last writer closed reads EIO
                if error.errno != errno.EIO:
                    raise
                data = b""
            if data:
                readers[fd].feed(data)
                last = clock.monotonic()
            else:
                readers[fd].feed(b"", final=True)
                open_fds.discard(fd)
