"""Run commands over SSH with paramiko: strict host keys, streamed output, honest outcomes.

:class:`SSHRunner` implements :class:`lpsigning_mojo.remote.CommandRunner`. It
follows the user's ``ssh_config`` (see :mod:`.ssh_config`) and ssh-agent,
refuses hosts that are not in known_hosts or whose key changed, streams each
line of output as it arrives, enforces overall and idle timeouts itself (SSH
keepalives do not notice a dead server), and tells apart a command that ended
(:class:`~lpsigning_mojo.remote.RunResult`) from one whose connection was
lost (:class:`~lpsigning_mojo.errors.OutcomeUnknown`). Only connecting is
ever retried. paramiko is imported when a connection is made, never before.

A run's ``timeout`` bounds every phase of it: connecting (when there is no
connection yet), opening the session, the pty and exec requests, the output
and the exit status. Without one, each phase still has a bound of its own
(``connect_timeout`` for connecting and for each request, ``auth_timeout``
for the login, ``connect_timeout`` for the exit status to follow the end of
the output); only the output itself may take as long as the command runs.
A command killed by a signal has its signal named (from SSH's
``exit-signal``, which paramiko does not read itself).

This module, :mod:`.ssh_connect` (setting up connections) and
:mod:`.ssh_config` (resolving routes) are one adapter in three files.
:meth:`SSHRunner._execute` is the chokepoint for running commands and
:meth:`.ssh_connect.Connector.connect` the one for connecting.
"""

from __future__ import annotations

import logging
import math
import os
import select
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

from lpsigning_mojo.clock import SYSTEM_CLOCK, Clock
from lpsigning_mojo.errors import (
    CommandInterruptedError,
    CommandTimeoutError,
    OutcomeUnknown,
    SSHConnectError,
    SSHError,
)
from lpsigning_mojo.external.ssh_config import DEFAULT_CONFIG_FILES, Route, resolve
from lpsigning_mojo.external.ssh_connect import Connection, Connector, Watchdog, seconds_text
from lpsigning_mojo.remote import (
    LineCallback,
    LineSplitter,
    OutputLine,
    RunResult,
    shell_command_line,
)

if TYPE_CHECKING:
    import paramiko

__all__ = ["SSHRunner"]

_log = logging.getLogger(__name__)
_TAIL = 10


def _seconds(value: float) -> str:
    whole = round(value)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


#: The attribute a channel gets when the server says which signal ended its command.
_SIGNAL_ATTRIBUTE = "_lpsigning_mojo_exit_signal"


class SSHRunner:
    """Runs commands on one SSH destination; a :class:`~lpsigning_mojo.remote.CommandRunner`.

    ``destination`` is a host or ``Host`` alias, resolved through
    ``config_files`` (``~/.ssh/config`` and ``/etc/ssh/ssh_config`` by default);
    an explicit ``user`` or ``port`` wins over them. ``known_hosts_files``
    replaces the files named by the config. The connection is made on the first
    :meth:`run` and kept for later ones until :meth:`close`.
    """

    def __init__(
        self,
        destination: str,
        *,
        user: str | None = None,
        port: int | None = None,
        config_files: Sequence[str | os.PathLike[str]] = DEFAULT_CONFIG_FILES,
        known_hosts_files: Sequence[str] | None = None,
        allow_agent: bool = True,
        connect_timeout: float = 15.0,
        banner_timeout: float = 15.0,
        auth_timeout: float = 30.0,
        connect_attempts: int = 3,
        retry_delay: float = 2.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.route: Route = resolve(destination, user=user, port=port, config_files=config_files)
        self.connector = Connector(
            known_hosts_files=None if known_hosts_files is None else tuple(known_hosts_files),
            allow_agent=allow_agent,
            connect_timeout=connect_timeout,
            banner_timeout=banner_timeout,
            auth_timeout=auth_timeout,
        )
        self.connect_attempts = max(1, connect_attempts)
        self.retry_delay = retry_delay
        self.clock = clock
        self._connection: Connection | None = None

    @property
    def host(self) -> str:
        return self.route.target.address

    def __enter__(self) -> SSHRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (and those to jump hosts), if open."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

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

    # Connecting: everything here happens before the command starts, so it may be retried.

    def connect(self, *, timeout: float | None = None) -> None:
        """Connect now (``run`` connects when needed), so that problems show before any work.

        ``timeout`` bounds the whole of it, retries included (seconds).
        """
        self._transport(math.inf if timeout is None else self.clock.monotonic() + timeout)

    def _transport(self, deadline: float) -> paramiko.Transport:
        """The connection, made if needed before ``deadline`` (on the clock).

        Only failures before the server answered (refused, unreachable, no
        TCP connection in time) are tried again: a server that answered and
        then stalled (no banner, no key exchange, no answer to the login)
        will not answer better a second time, and a local problem (a missing
        key file) never does.
        """
        if self._connection is not None:
            if self._connection.transport is not None:
                return self._connection.transport
            self.close()
        for attempt in range(1, self.connect_attempts + 1):
            left = deadline - self.clock.monotonic()
            try:
                _log.debug("connecting to %s (attempt %d)", self.route.describe(), attempt)
                self._connection = self.connector.connect(
                    self.route, timeout=None if left == math.inf else max(left, 0.0)
                )
                transport = self._connection.transport
                assert transport is not None
                _read_exit_signals(transport)
                return transport
            except SSHConnectError as error:
                delay = self.retry_delay * 2 ** (attempt - 1)
                out_of_time = self.clock.monotonic() + delay >= deadline
                if not error.retryable or attempt == self.connect_attempts or out_of_time:
                    if attempt == 1:
                        raise
                    raise SSHConnectError(
                        f"{error.message} (tried {attempt} times)", host=error.host, hint=error.hint
                    ) from None
                _log.info("%s; trying again in %.0f s", error.message, delay)
                self.clock.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _execute(
        self,
        command: str,
        on_line: LineCallback | None,
        timeout: float | None,
        idle_timeout: float | None,
        pty: bool,
    ) -> RunResult:
        """The chokepoint: opens a session channel, runs ``command`` and reads it to the end.

        ``timeout`` counts from here: connecting, if needed, is part of it.
        """
        import paramiko

        host = self.host
        begin = self.clock.monotonic()
        deadline = math.inf if timeout is None else begin + timeout
        transport = self._transport(deadline)

        def request_time() -> float:
            """How long a request to the server may wait for its answer."""
            return max(min(self.connector.connect_timeout, deadline - self.clock.monotonic()), 0.0)

        watchdog: Watchdog | None = None
        try:
            allowed = request_time()
            channel = transport.open_session(timeout=allowed)
            if pty:
                allowed = request_time()
                with Watchdog(allowed, channel.close) as watchdog:
                    channel.get_pty(term="dumb", width=200, height=50)
        except (paramiko.SSHException, EOFError, OSError) as error:
            self.close()
            stalled = (watchdog is not None and watchdog.fired) or _timed_out(error)
            reason = f"no answer within {seconds_text(allowed)}" if stalled else error
            raise SSHConnectError(f"{host} would not open a session: {reason}", host=host) from None
        output: list[OutputLine] = []

        def emit(line: OutputLine) -> None:
            output.append(line)
            if on_line is not None:
                on_line(line)

        start = self.clock.monotonic()

        def tail() -> tuple[str, ...]:
            return tuple(line.text for line in output[-_TAIL:])

        def give_up(
            kind: type[CommandTimeoutError | CommandInterruptedError], why: str
        ) -> NoReturn:
            channel.close()
            fate = (
                "its channel was closed and its pty hung up, which stops it"
                if pty
                else "its channel was closed, but without a pty it may still be running there"
            )
            raise kind(
                f"{command!r} on {host} {why}; {fate}",
                command=command,
                stopped=pty,
                tail=tail(),
                elapsed=self.clock.monotonic() - start,
                host=host,
            ) from None

        _log.debug("running %r on %s (pty: %s)", command, host, pty)
        try:
            allowed = request_time()
            with Watchdog(allowed, channel.close) as watchdog:
                try:
                    channel.exec_command(command)
                except (paramiko.SSHException, EOFError, OSError) as error:
                    if watchdog.fired:
                        raise _Unconfirmed from None
                    # It may have run and ended before its start was confirmed: then read on.
                    if channel.exit_status < 0 and not channel.eof_received:
                        if not _alive(transport):
                            self._lost(command, host, start, ())
                        refused = f"{host} refused to run {command!r}: {error}"
                        raise SSHError(refused, host=host) from None
            channel.shutdown_write()  # the command reads no input
            ended = _pump(
                channel,
                emit,
                self.clock,
                begin,
                start,
                timeout,
                idle_timeout,
                status_wait=self.connector.connect_timeout,
            )
        except _Unconfirmed:
            self.close()  # a server that stalls on one request is not asked another
            give_up(
                CommandTimeoutError,
                f"was sent, but the server did not confirm it had started it within "
                f"{seconds_text(allowed)}",
            )
        except KeyboardInterrupt:
            after = _seconds(self.clock.monotonic() - start)
            give_up(CommandInterruptedError, f"was interrupted after {after}")
        except BaseException:
            channel.close()
            raise
        if ended == "timeout":
            give_up(CommandTimeoutError, f"ran longer than its timeout of {timeout:g} s")
        if ended == "idle":
            give_up(CommandTimeoutError, f"printed nothing for {idle_timeout:g} s")
        elapsed = self.clock.monotonic() - start
        if ended == "no-status":
            channel.close()
            self.close()
            raise OutcomeUnknown(
                f"{host} sent the end of the output of {command!r} but no exit status within "
                f"{seconds_text(self.connector.connect_timeout)}, so whether it succeeded is "
                "unknown",
                command=command,
                tail=tail(),
                elapsed=elapsed,
                host=host,
                hint="Check on the host before running it again; it is never retried automatically",
            )
        status: int | None = channel.exit_status if channel.exit_status >= 0 else None
        signal: str | None = getattr(channel, _SIGNAL_ATTRIBUTE, None)
        if status is None and signal is None and not _closed_by_server(channel, transport):
            self._lost(command, host, start, tail())
        _log.debug("%r on %s ended with status %s after %.1f s", command, host, status, elapsed)
        return RunResult(
            command=command,
            host=host,
            exit_status=status,
            signal=None if status is not None else signal,
            elapsed=elapsed,
            output=tuple(output),
        )

    def _lost(self, command: str, host: str, start: float, tail: tuple[str, ...]) -> NoReturn:
        elapsed = self.clock.monotonic() - start
        self.close()
        last = f" The last line of output was: {tail[-1]!r}" if tail else ""
        raise OutcomeUnknown(
            f"the connection to {host} was lost {_seconds(elapsed)} after {command!r} started, "
            f"so whether it succeeded is unknown.{last}",
            command=command,
            tail=tail,
            elapsed=elapsed,
            host=host,
            hint="Check on the host before running it again; it is never retried automatically",
        )


class _Unconfirmed(Exception):
    """The server did not answer the exec request in time (the watchdog closed the channel)."""


def _timed_out(error: BaseException) -> bool:
    return isinstance(error, TimeoutError) or "timeout" in str(error).lower()


def _read_exit_signals(transport: paramiko.Transport) -> None:
    """Make ``transport`` note the signal named in an ``exit-signal`` request on its channels.

    paramiko answers that request as unknown and drops it; here it is read
    first, and the signal's name is kept on the channel. Only this
    transport's table of handlers is changed.
    """
    from paramiko.common import MSG_CHANNEL_REQUEST

    if getattr(transport, _SIGNAL_ATTRIBUTE, False):
        return
    table: dict[int, Callable[[Any, Any], None]] = dict(
        type(transport)._channel_handler_table  # type: ignore[attr-defined]
    )
    handle_request = table[MSG_CHANNEL_REQUEST]

    def read_exit_signal(channel: paramiko.Channel, message: paramiko.Message) -> None:
        start = message.packet.tell()
        if message.get_text() == "exit-signal":
            message.get_boolean()  # want-reply: always false for exit-signal
            setattr(channel, _SIGNAL_ATTRIBUTE, message.get_text() or None)
            return
        message.packet.seek(start)
        handle_request(channel, message)

    table[MSG_CHANNEL_REQUEST] = read_exit_signal
    transport._channel_handler_table = table  # type: ignore[attr-defined]
    setattr(transport, _SIGNAL_ATTRIBUTE, True)


def _closed_by_server(channel: paramiko.Channel, transport: paramiko.Transport) -> bool:
    """Whether a channel that ended without an exit status was closed by a live server.

    A server that sent EOF and is still connected ended the command itself
    (a signal killed it); otherwise the connection dropped.
    """
    return bool(channel.eof_received) and _alive(transport)


def _alive(transport: paramiko.Transport) -> bool:
    """Whether the connection still stands.

    The transport thread closes its channels just before it marks itself
    inactive, hence the short join.
    """
    transport.join(0.5)
    return transport.is_active()


def _pump(
    channel: paramiko.Channel,
    emit: Callable[[OutputLine], None],
    clock: Clock,
    begin: float,
    start: float,
    timeout: float | None,
    idle_timeout: float | None,
    *,
    status_wait: float,
) -> str:
    """Pass on output until the command ends.

    Returns ``"ended"``, ``"timeout"`` (``timeout`` seconds after ``begin``),
    ``"idle"`` (no output for ``idle_timeout`` seconds) or ``"no-status"``
    (the output ended, but neither an exit status nor the channel's close
    followed within ``status_wait`` seconds).
    """
    splitters = {"stdout": LineSplitter("stdout", emit), "stderr": LineSplitter("stderr", emit)}
    fd = channel.fileno()  # readable on output of either stream, on EOF and on close
    last = start
    eof_at: float | None = None
    while True:
        got = False
        while channel.recv_ready():
            splitters["stdout"].feed(channel.recv(32768))
            got = True
        while channel.recv_stderr_ready():
            splitters["stderr"].feed(channel.recv_stderr(32768))
            got = True
        now = clock.monotonic()
        if got:
            last = now
        elif channel.closed or (channel.eof_received and channel.status_event.is_set()):
            for splitter in splitters.values():
                splitter.feed(b"", final=True)
            return "ended"
        if timeout is not None and now - begin >= timeout:
            return "timeout"
        if idle_timeout is not None and now - last >= idle_timeout:
            return "idle"
        wait = 1.0
        if timeout is not None:
            wait = min(wait, begin + timeout - now)
        if idle_timeout is not None:
            wait = min(wait, last + idle_timeout - now)
        if got:
            continue
        if channel.eof_received:  # the select pipe stays readable after EOF
            if eof_at is None:
                eof_at = now
            elif now - eof_at >= status_wait:
                for splitter in splitters.values():
                    splitter.feed(b"", final=True)
                return "no-status"
            channel.status_event.wait(max(min(wait, eof_at + status_wait - now), 0.0))
        else:
            select.select([fd], [], [], max(wait, 0.0))
