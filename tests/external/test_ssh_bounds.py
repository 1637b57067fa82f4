"""SSHRunner against hostile servers: every phase of a run ends within its bound.

Each server here stalls at one phase (no banner; a banner and then silence;
a login never answered; a session, pty or exec request never answered; the
output's end without an exit status). These waits happen on real sockets, so
the bounds are small and the upper limits on the time taken are generous.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from lpsigning_mojo.errors import (
    CommandTimeoutError,
    ExitStatus,
    OutcomeUnknown,
    RemoteCommandKilled,
    SSHConfigError,
    SSHConnectError,
)
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins.ssh import Session, StalledServer
from tests.external.conftest import Client, Serve

BOUND = 0.5
#: Generous: a bound of 0.5 s must end well within this on a loaded machine.
LIMIT = 5.0


@pytest.fixture
def stalled() -> Iterator[list[StalledServer]]:
    servers: list[StalledServer] = []
    yield servers
    for server in servers:
        server.close()


def start_stalled(servers: list[StalledServer], banner: bytes | None = None) -> StalledServer:
    server = StalledServer(banner=banner).start()
    servers.append(server)
    return server


def timed(call: object) -> tuple[BaseException, float]:
    """Call ``call``, which must raise; return what it raised and the seconds it took."""
    started = time.monotonic()
    with pytest.raises(Exception) as caught:  # noqa: PT011 (each test checks the type)
        call()  # type: ignore[operator]
    return caught.value, time.monotonic() - started


def test_a_server_that_sends_no_banner_is_given_up_once_within_the_bound(
    client: Client, stalled: list[StalledServer], capfd: pytest.CaptureFixture[str]
) -> None:
    server = start_stalled(stalled)
    runner = client.runner(
        server.port, connect_timeout=BOUND, connect_attempts=3, clock=FakeClock()
    )
    error, took = timed(lambda: runner.run("x"))
    assert isinstance(error, SSHConnectError)
    assert str(error) == (
        f"tester@[127.0.0.1]:{server.port} accepted the connection but sent no SSH banner "
        "within 0.5 s. Check that an SSH server answers there (ssh -v), and try again later."
    )
    assert took < LIMIT
    assert server.connections == 1  # a server that answered TCP and stalled is not retried
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")  # paramiko's tracebacks stay off the terminal


def test_a_banner_then_silence_is_a_stalled_key_exchange(
    client: Client, stalled: list[StalledServer]
) -> None:
    server = start_stalled(stalled, banner=b"SSH-2.0-OpenSSH_9.6\r\n")
    runner = client.runner(server.port, connect_timeout=BOUND)
    error, took = timed(lambda: runner.run("x"))
    assert isinstance(error, SSHConnectError)
    assert str(error).startswith(
        f"tester@[127.0.0.1]:{server.port} did not finish the SSH key exchange within 0.5 s."
    )
    assert took < LIMIT


def test_the_runs_timeout_bounds_connecting_too(
    client: Client, stalled: list[StalledServer]
) -> None:
    server = start_stalled(stalled)
    runner = client.runner(server.port)  # connect_timeout and banner_timeout: 15 s
    error, took = timed(lambda: runner.run("x", timeout=BOUND))
    assert isinstance(error, SSHConnectError)
    assert "sent no SSH banner within 0.5 s" in str(error)
    assert took < LIMIT


def test_a_login_never_answered_is_given_up(serve: Serve, client: Client) -> None:
    server = serve(lambda session: session.exit(0))
    server.stall = "auth"
    runner = client.runner(server.port, auth_timeout=BOUND)
    error, took = timed(lambda: runner.run("x"))
    assert isinstance(error, SSHConnectError)
    assert str(error).startswith(
        f"tester@[127.0.0.1]:{server.port} did not answer the login within 0.5 s."
    )
    assert took < LIMIT
    assert server.commands == []


@pytest.mark.parametrize("stall", ["open", "pty"])
def test_a_session_never_opened_is_given_up(serve: Serve, client: Client, stall: str) -> None:
    server = serve(lambda session: session.exit(0))
    server.stall = stall  # type: ignore[assignment]
    runner = client.runner(server.port, connect_timeout=BOUND)
    error, took = timed(lambda: runner.run("x", pty=stall == "pty"))
    assert isinstance(error, SSHConnectError)
    assert str(error) == f"{runner.host} would not open a session: no answer within 0.5 s."
    assert took < LIMIT
    assert server.commands == []


@pytest.mark.parametrize("pty", [False, True])
def test_an_exec_request_never_answered_ends_within_the_runs_timeout(
    serve: Serve, client: Client, pty: bool
) -> None:
    server = serve(lambda session: session.exit(0))
    server.stall = "exec"
    runner = client.runner(server.port)
    error, took = timed(lambda: runner.run("upgrade-staging", timeout=1.0, pty=pty))
    assert isinstance(error, CommandTimeoutError)
    assert error.exit_code == ExitStatus.TIMEOUT
    assert str(error).startswith(
        f"'upgrade-staging' on {runner.host} was sent, but the server did not confirm it had "
        "started it within "
    )
    fate = "which stops it" if pty else "it may still be running there"
    assert fate in str(error)
    assert took < LIMIT
    assert server.commands == ["upgrade-staging"]


def test_an_exec_request_never_answered_is_bounded_without_a_timeout(
    serve: Serve, client: Client
) -> None:
    server = serve(lambda session: session.exit(0))
    server.stall = "exec"
    runner = client.runner(server.port, connect_timeout=BOUND)
    error, took = timed(lambda: runner.run("x"))
    assert isinstance(error, CommandTimeoutError)
    assert "did not confirm it had started it within 0.5 s" in str(error)
    assert took < LIMIT


def test_output_then_silence_ends_at_the_timeout(serve: Serve, client: Client) -> None:
    def handler(session: Session) -> None:
        session.out("deploying\n")
        session.wait_closed()

    runner = client.runner(serve(handler).port)
    error, took = timed(lambda: runner.run("upgrade-staging", timeout=BOUND))
    assert isinstance(error, CommandTimeoutError)
    assert error.tail == ("deploying",)
    assert took < LIMIT


def test_the_end_of_output_without_an_exit_status_is_an_unknown_outcome(
    serve: Serve, client: Client
) -> None:
    def handler(session: Session) -> None:
        session.out("done?\n")
        session.end_output_only()
        session.wait_closed()

    runner = client.runner(serve(handler).port, connect_timeout=BOUND)
    error, took = timed(lambda: runner.run("upgrade-staging"))
    assert isinstance(error, OutcomeUnknown)
    assert str(error).startswith(
        f"{runner.host} sent the end of the output of 'upgrade-staging' but no exit status "
        "within 0.5 s, so whether it succeeded is unknown."
    )
    assert error.tail == ("done?",)
    assert (error.command, error.host) == ("upgrade-staging", runner.host)
    assert error.elapsed is not None
    assert BOUND <= error.elapsed < LIMIT  # it waited the bound for the status
    assert error.hint == (
        "Check on the host before running it again; it is never retried automatically"
    )
    assert took < LIMIT


def test_a_drop_in_mid_output_is_an_unknown_outcome_at_once(serve: Serve, client: Client) -> None:
    received = threading.Event()

    def handler(session: Session) -> None:
        session.out("phase 1\nhalf a li")
        received.wait(10)
        session.drop()

    runner = client.runner(serve(handler).port)
    error, took = timed(lambda: runner.run("upgrade-staging", on_line=lambda _: received.set()))
    assert isinstance(error, OutcomeUnknown)
    assert error.exit_code == ExitStatus.OUTCOME_UNKNOWN
    assert error.tail[:1] == ("phase 1",)
    assert took < LIMIT


def test_a_command_killed_by_a_signal_says_which(serve: Serve, client: Client) -> None:
    def handler(session: Session) -> None:
        if session.command == "true":
            session.exit(0)
            return
        session.out("working\n")
        session.kill("TERM")

    with client.runner(serve(handler).port) as runner:
        result = runner.run("sleep 100")
        assert (result.exit_status, result.signal) == (None, "TERM")
        with pytest.raises(RemoteCommandKilled) as caught:
            result.check()
        assert str(caught.value) == f"'sleep 100' on {runner.host} was killed by signal TERM."
        assert caught.value.exit_code == ExitStatus.REMOTE_KILLED
        # Other channel requests still reach paramiko: the next command's status arrives.
        assert runner.run("true").exit_status == 0


def test_a_missing_identity_file_is_a_local_error_and_nothing_is_sent(
    serve: Serve, client: Client
) -> None:
    server = serve(lambda session: session.exit(0))
    runner = client.runner(server.port, connect_attempts=3)
    client.key_file.unlink()
    clock = FakeClock()
    runner.clock = clock
    with pytest.raises(SSHConfigError) as caught:
        runner.run("x")
    assert str(caught.value) == (
        f"the key file {client.key_file} that your ssh_config names (IdentityFile) for srv "
        "does not exist; nothing was sent. Fix or remove that IdentityFile line, or create "
        "the key."
    )
    assert server.connections == 0
    assert clock.sleeps == []


def test_retries_stop_when_the_runs_timeout_would_pass(client: Client) -> None:
    with socket.socket() as reserved:  # bound but not listening: connections are refused
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        clock = FakeClock()
        runner = client.runner(port, connect_attempts=5, retry_delay=2.0, clock=clock)
        with pytest.raises(SSHConnectError, match=r"\(tried 2 times\)"):
            runner.run("x", timeout=3.0)
    assert clock.sleeps == [2.0]  # the next wait (4 s) would end after the timeout


def test_a_stalled_server_does_not_keep_the_client_after_it_gave_up(
    client: Client, stalled: list[StalledServer]
) -> None:
    server = start_stalled(stalled)
    runner = client.runner(server.port, connect_timeout=BOUND)
    before = threading.active_count()
    timed(lambda: runner.run("x"))
    time.sleep(0.2)  # the login guard's thread polls every 50 ms
    assert threading.active_count() <= before
