"""SSHRunner against an in-process paramiko server: streaming, statuses, timeouts, failures."""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from pathlib import Path

import paramiko
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpsigning_mojo.errors import (
    CommandInterruptedError,
    CommandTimeoutError,
    HostKeyChangedError,
    HostKeyUnknownError,
    OutcomeUnknown,
    RemoteCommandFailed,
    SSHAuthError,
    SSHConnectError,
    SSHError,
)
from lpsigning_mojo.external.ssh import SSHRunner
from lpsigning_mojo.remote import LineSplitter, OutputLine
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins import wait_for
from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, Session, new_key
from tests.external.conftest import Client, Serve


def texts(lines: list[OutputLine], stream: str) -> list[str]:
    return [line.text for line in lines if line.stream == stream]


def test_lines_are_streamed_in_order_while_the_command_runs(serve: Serve, client: Client) -> None:
    passed_on = threading.Event()

    def handler(session: Session) -> None:
        session.out("one\n")
        session.err("a warning\n")
        if not passed_on.wait(10):  # "one" never reached the callback while we ran
            session.exit(99)
            return
        session.out("two\n")
        session.exit(0)

    server = serve(handler)
    lines: list[OutputLine] = []

    def on_line(line: OutputLine) -> None:
        lines.append(line)
        if line.text == "one":
            passed_on.set()

    with client.runner(server.port) as runner:
        result = runner.run("upgrade-staging", on_line=on_line)
    assert result.exit_status == 0
    assert texts(lines, "stdout") == ["one", "two"]
    assert texts(lines, "stderr") == ["a warning"]
    assert result.output == tuple(lines)
    assert (result.stdout, result.stderr) == ("one\ntwo\n", "a warning\n")
    assert server.commands == ["upgrade-staging"]


def test_bytes_become_lines_whatever_the_chunks(serve: Serve, client: Client) -> None:
    def handler(session: Session) -> None:
        session.out(b"caf\xc3")  # a character split across two packets
        session.out(b"\xa9 au lait\r\nbad \xff byte\n")
        session.out(b"no newline at the end")
        session.exit(0)

    with client.runner(serve(handler).port) as runner:
        result = runner.run("cat menu")
    assert [line.text for line in result.output] == [
        "café au lait",
        "bad \ufffd byte",
        "no newline at the end",
    ]


def test_a_non_zero_exit_status_is_passed_on(serve: Serve, client: Client) -> None:
    def handler(session: Session) -> None:
        session.out("giving up\n")
        session.exit(7)

    with client.runner(serve(handler).port) as runner:
        result = runner.run("false")
    assert (result.exit_status, result.ok) == (7, False)
    with pytest.raises(RemoteCommandFailed) as info:
        result.check()
    assert info.value.exit_status == 7
    assert info.value.tail == ("giving up",)
    assert str(info.value) == "'false' on tester@[127.0.0.1]:{} exited with status 7.".format(
        result.host.rpartition(":")[2]
    )


def test_a_command_ended_by_a_signal_has_no_status_and_is_not_unknown(
    serve: Serve, client: Client
) -> None:
    def handler(session: Session) -> None:
        session.out("killed\n")
        session.end_without_status()

    with client.runner(serve(handler).port) as runner:
        result = runner.run("sleep 100")
    assert result.exit_status is None
    assert not result.ok


def test_a_lost_connection_after_the_start_is_outcome_unknown_and_not_retried(
    serve: Serve, client: Client
) -> None:
    received = threading.Event()

    def handler(session: Session) -> None:
        if session.command == "again":
            session.exit(0)
            return
        session.out("deploying\n")
        received.wait(10)
        session.drop()

    server = serve(handler)
    with client.runner(server.port, connect_attempts=3) as runner:
        with pytest.raises(OutcomeUnknown) as info:
            runner.run("upgrade-production", on_line=lambda line: received.set())
        assert server.commands == ["upgrade-production"]
        assert info.value.exit_code == 4
        assert info.value.tail == ("deploying",)
        assert "so whether it succeeded is unknown" in str(info.value)
        assert "never retried automatically" in str(info.value)
        # The next command gets a new connection.
        assert runner.run("again").exit_status == 0
    assert server.commands == ["upgrade-production", "again"]
    assert server.connections == 2


class StoppedClock(FakeClock):
    """Fake time that stands still until the test moves it, then runs by ``step`` per reading.

    The runner's timeouts read only this clock, so they fire at fake times whatever the
    machine's load; real time passes only in the runner's short waits for output.
    """

    def __init__(self) -> None:
        super().__init__()
        self.step = 0.0

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("pty", [True, False])
def test_the_idle_timeout_closes_the_channel(serve: Serve, client: Client, pty: bool) -> None:
    closed: list[bool] = []
    clock = StoppedClock()

    def handler(session: Session) -> None:
        session.out("started\n")
        closed.append(session.wait_closed())

    def on_line(line: OutputLine) -> None:
        clock.step = 0.05  # from now on, time passes and nothing more is printed

    server = serve(handler)
    with (
        client.runner(server.port, clock=clock) as runner,
        pytest.raises(CommandTimeoutError) as info,
    ):
        runner.run("upgrade-staging", idle_timeout=0.2, pty=pty, on_line=on_line)
    assert wait_for(lambda: bool(closed))
    assert closed == [True]
    assert server.sessions[0].pty is pty
    assert info.value.stopped is pty
    assert info.value.exit_code == 124
    assert info.value.tail == ("started",)
    assert "printed nothing for 0.2 s" in str(info.value)
    fate = (
        "its channel was closed and its pty hung up, which stops it"
        if pty
        else "its channel was closed, but without a pty it may still be running there"
    )
    assert str(info.value).endswith(f"printed nothing for 0.2 s; {fate}.")
    assert 0.2 <= info.value.elapsed <= 0.3


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_the_idle_timeout_counts_from_the_last_output(
    serve: Serve, client: Client, stream: str
) -> None:
    clock = StoppedClock()
    first_seen = threading.Event()

    def handler(session: Session) -> None:
        write = session.out if stream == "stdout" else session.err
        write("one\n")
        first_seen.wait(10)
        write("two\n")
        session.wait_closed()

    def on_line(line: OutputLine) -> None:
        clock.now += 0.15  # each line arrives 0.15 s after the one before
        if line.text == "one":
            first_seen.set()
        else:
            clock.step = 0.01  # then silence

    with (
        client.runner(serve(handler).port, clock=clock) as runner,
        pytest.raises(CommandTimeoutError, match=r"printed nothing for 0\.2 s") as info,
    ):
        runner.run("upgrade-staging", idle_timeout=0.2, on_line=on_line)
    # 0.3 s after the start, but only 0.15 s after the last line: not idle yet.
    assert info.value.tail == ("one", "two")
    assert info.value.elapsed >= 0.3 + 0.2


def test_the_overall_timeout_applies_even_while_output_flows(serve: Serve, client: Client) -> None:
    clock = StoppedClock()

    def handler(session: Session) -> None:
        for _ in range(1000):
            if session.channel.closed:
                return
            session.out("tick\n")
            time.sleep(0.01)
        session.exit(0)  # not stopped: the runner would report success

    def on_line(line: OutputLine) -> None:
        clock.now += 0.1  # a line every 0.1 s: never idle for 5 s

    with (
        client.runner(serve(handler).port, clock=clock) as runner,
        pytest.raises(CommandTimeoutError, match=r"ran longer than its timeout of 0\.35 s") as info,
    ):
        runner.run("yes", timeout=0.35, idle_timeout=5, pty=True, on_line=on_line)
    # Lines come in batches: the timeout fires after the batch that crosses 0.35 s.
    assert len(info.value.tail) >= 4
    assert set(info.value.tail) == {"tick"}
    assert info.value.elapsed >= 0.35
    assert info.value.stopped


def test_ctrl_c_closes_the_channel_and_says_what_is_known(serve: Serve, client: Client) -> None:
    closed: list[bool] = []

    def handler(session: Session) -> None:
        session.out("started\n")
        closed.append(session.wait_closed())

    def on_line(line: OutputLine) -> None:
        raise KeyboardInterrupt

    with (
        client.runner(serve(handler).port) as runner,
        pytest.raises(CommandInterruptedError) as info,
    ):
        runner.run("upgrade-staging", on_line=on_line, pty=True)
    assert info.value.exit_code == 130
    assert info.value.stopped
    assert "was interrupted after" in str(info.value)
    assert wait_for(lambda: bool(closed))
    assert closed == [True]


def test_an_error_in_the_callback_closes_the_channel_and_propagates(
    serve: Serve, client: Client
) -> None:
    closed: list[bool] = []

    def handler(session: Session) -> None:
        session.out("started\n")
        closed.append(session.wait_closed())

    def on_line(line: OutputLine) -> None:
        raise ValueError("display broke")

    with (
        client.runner(serve(handler).port) as runner,
        pytest.raises(ValueError, match="display broke"),
    ):
        runner.run("x", on_line=on_line)
    assert wait_for(lambda: bool(closed))
    assert closed == [True]


def test_the_connection_is_reused_and_argv_is_quoted(serve: Serve, client: Client) -> None:
    server = serve(lambda session: session.exit(0))
    with client.runner(server.port) as runner:
        runner.run(["echo", "a b"])
        runner.run("juju status")
    assert server.commands == ["echo 'a b'", "juju status"]
    assert server.connections == 1


def test_a_refused_exec_request_is_an_error_not_an_unknown_outcome(
    serve: Serve, client: Client
) -> None:
    server = serve(lambda session: session.exit(0))
    server.accept_exec = False
    with (
        client.runner(server.port) as runner,
        pytest.raises(SSHError, match="refused to run 'x'") as info,
    ):
        runner.run("x")
    assert not isinstance(info.value, OutcomeUnknown)
    assert info.value.host == runner.host


def test_an_unknown_host_is_refused_with_its_fingerprint_and_how_to_add_it(
    serve: Serve, client: Client, host_key: paramiko.PKey
) -> None:
    server = serve(lambda session: session.exit(0), trust=False)
    with client.runner(server.port) as runner, pytest.raises(HostKeyUnknownError) as info:
        runner.run("x")
    message = str(info.value)
    name = f"[127.0.0.1]:{server.port}"
    assert message.startswith(f"{name} is not in your known_hosts files ({client.known_hosts})")
    assert f"it offered the ssh-ed25519 key {host_key.fingerprint}." in message
    assert f"ssh-keyscan -p {server.port} -t ed25519 127.0.0.1 >> ~/.ssh/known_hosts" in message
    assert f"ssh-keygen -F '{name}' -l" in message
    assert server.commands == []


def test_a_changed_host_key_is_refused_loudly(
    serve: Serve, client: Client, host_key: paramiko.PKey, tmp_path: Path
) -> None:
    old_key = new_key(tmp_path / "old_host_key")
    server = serve(lambda session: session.exit(0), trust=False)
    client.trust(server, old_key)
    with client.runner(server.port) as runner, pytest.raises(HostKeyChangedError) as info:
        runner.run("x")
    message = str(info.value)
    assert message.startswith(f"WARNING: the host key of [127.0.0.1]:{server.port} has CHANGED")
    assert old_key.fingerprint in message
    assert host_key.fingerprint in message
    assert f"ssh-keygen -R '[127.0.0.1]:{server.port}'" in message
    assert server.commands == []


def test_a_key_the_server_does_not_accept_is_an_auth_error(
    serve: Serve, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(lambda session: session.exit(0))
    server.authorized.clear()
    with (
        client.runner(server.port, connect_attempts=3) as runner,
        pytest.raises(SSHAuthError) as info,
    ):
        runner.run("x")
    assert str(info.value) == (
        f"tester@[127.0.0.1]:{server.port} accepted none of the keys offered "
        f"({client.key_file}). Check that your key is loaded (ssh-add -l) and authorised "
        "for that account."
    )
    assert server.connections == 1  # not retried: another try cannot help
    secret = "".join(client.key_file.read_text().splitlines()[1:-1])
    assert secret[:40] not in caplog.text


def test_an_encrypted_key_is_never_unlocked_and_the_passphrase_never_shown(
    serve: Serve, client: Client
) -> None:
    client.key = new_key(client.key_file, passphrase=b"hunter2-secret")
    server = serve(lambda session: session.exit(0))
    with client.runner(server.port) as runner, pytest.raises(SSHAuthError) as info:
        runner.run("x")
    assert "encrypted" in str(info.value)
    assert "ssh-add" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert server.commands == []


def test_connection_refused_is_retried_with_backoff_then_reported(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lpsigning_mojo.external.ssh")
    with socket.socket() as reserved:  # bound but not listening: connections are refused
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        clock = FakeClock()
        runner = client.runner(port, connect_attempts=3, retry_delay=1.0, clock=clock)
        with pytest.raises(SSHConnectError) as info:
            runner.run("x")
    assert clock.sleeps == [1.0, 2.0]
    assert str(info.value) == (
        f"127.0.0.1 port {port} refused the connection (tried 3 times). "
        "Check that sshd runs there and listens on that port."
    )
    assert info.value.host == runner.host
    # What a person running with --verbose sees while it waits.
    refused = f"127.0.0.1 port {port} refused the connection"
    assert [r.getMessage() for r in caplog.records if r.name.endswith(".ssh")] == [
        f"connecting to {runner.route.describe()} (attempt 1)",
        f"{refused}; trying again in 1 s",
        f"connecting to {runner.route.describe()} (attempt 2)",
        f"{refused}; trying again in 2 s",
        f"connecting to {runner.route.describe()} (attempt 3)",
    ]


def test_connecting_succeeds_once_the_server_comes_up(serve: Serve, client: Client) -> None:
    server: InProcessSSHServer = serve(lambda session: session.exit(0), start=False)
    clock = FakeClock(on_sleep=lambda seconds: server.start())
    with client.runner(server.port, connect_attempts=3, clock=clock) as runner:
        assert runner.run("x").exit_status == 0
    assert len(clock.sleeps) == 1
    assert server.commands == ["x"]


@given(
    lines=st.lists(
        st.text(st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=30),
        max_size=8,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_line_splitting_does_not_depend_on_where_packets_end(
    lines: list[str], cuts: list[int]
) -> None:
    data = "".join(line + "\n" for line in lines).encode()
    got: list[OutputLine] = []
    splitter = LineSplitter("stdout", got.append)
    bounds = sorted({0, len(data), *(cut for cut in cuts if cut < len(data))})
    for start, end in itertools.pairwise(bounds):
        splitter.feed(data[start:end])
    splitter.feed(b"", final=True)
    assert [line.text for line in got] == lines


def test_the_idle_timeout_fires_for_a_command_that_never_prints(
    serve: Serve, client: Client
) -> None:
    clock = StoppedClock()
    clock.step = 0.05

    def handler(session: Session) -> None:
        session.wait_closed()

    with (
        client.runner(serve(handler).port, clock=clock) as runner,
        pytest.raises(CommandTimeoutError, match=r"printed nothing for 0\.2 s") as info,
    ):
        runner.run("sleep 1000", idle_timeout=0.2)
    assert info.value.tail == ()


def test_a_lost_connection_says_when_and_what_and_how_to_go_on(
    serve: Serve, client: Client
) -> None:
    clock = StoppedClock()
    received = threading.Event()

    def handler(session: Session) -> None:
        session.out("deploying\n")
        received.wait(10)
        session.drop()

    def on_line(line: OutputLine) -> None:
        clock.now += 65
        received.set()

    server = serve(handler)
    with client.runner(server.port, clock=clock) as runner, pytest.raises(OutcomeUnknown) as info:
        runner.run("upgrade-production", on_line=on_line)
    error = info.value
    assert error.command == "upgrade-production"
    assert error.host == runner.host
    assert error.elapsed == 65
    assert str(error).startswith(
        f"the connection to {runner.host} was lost 1m05s after 'upgrade-production' started, "
        "so whether it succeeded is unknown. The last line of output was: 'deploying'"
    )
    assert error.hint == (
        "Check on the host before running it again; it is never retried automatically"
    )


def test_the_exit_status_is_awaited_after_the_end_of_output(serve: Serve, client: Client) -> None:
    def handler(session: Session) -> None:
        session.out("done\n")
        session.channel.shutdown_write()  # EOF first...
        session.wait_closed(timeout=0.3)  # (a runner that stopped at EOF would close now)
        session.exit(3)  # ...the status after

    with client.runner(serve(handler).port) as runner:
        result = runner.run("make")
    assert result.exit_status == 3
    assert [line.text for line in result.output] == ["done"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.4, "0s"), (59.4, "59s"), (60, "1m00s"), (65, "1m05s"), (3599, "59m59s")],
)
def test_ctrl_c_says_how_long_the_command_ran(
    serve: Serve, client: Client, seconds: float, shown: str
) -> None:
    clock = StoppedClock()

    def handler(session: Session) -> None:
        session.out("started\n")
        session.wait_closed()

    def on_line(line: OutputLine) -> None:
        clock.now += seconds
        raise KeyboardInterrupt

    with (
        client.runner(serve(handler).port, clock=clock) as runner,
        pytest.raises(CommandInterruptedError) as info,
    ):
        runner.run("upgrade-staging", on_line=on_line)
    assert f"was interrupted after {shown};" in str(info.value)
    assert info.value.elapsed == seconds


def test_a_pty_asks_for_a_dumb_terminal_wide_enough_for_log_lines(
    serve: Serve, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpsigning_mojo.testing.standins import ssh as standin

    asked: list[tuple[object, ...]] = []

    def pty_request(
        self: object, channel: object, term: bytes, width: int, height: int, *rest: object
    ) -> bool:
        asked.append((term, width, height))
        self.pty = True  # type: ignore[attr-defined]
        return True

    monkeypatch.setattr(standin._Interface, "check_channel_pty_request", pty_request)
    with client.runner(serve(lambda session: session.exit(0)).port) as runner:
        runner.run("upgrade-staging", pty=True)
    assert asked == [(b"dumb", 200, 50)]


def test_a_session_the_server_will_not_open_is_a_connection_error(
    serve: Serve, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paramiko.common import OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    from lpsigning_mojo.testing.standins import ssh as standin

    refuse = [True]
    original = standin._Interface.check_channel_request

    def channel_request(self: object, kind: str, chanid: int) -> int:
        if refuse[0]:
            return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        return original(self, kind, chanid)  # type: ignore[arg-type]

    monkeypatch.setattr(standin._Interface, "check_channel_request", channel_request)
    server = serve(lambda session: session.exit(0))
    with client.runner(server.port) as runner:
        with pytest.raises(SSHConnectError) as info:
            runner.run("x")
        assert str(info.value).startswith(f"{runner.host} would not open a session: ")
        assert server.commands == []
        refuse[0] = False
        assert runner.run("x").exit_status == 0  # on a new connection
    assert server.connections == 2


def test_the_defaults_are_those_documented(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("Host srv\n  HostName 127.0.0.2\n  User configured\n  Port 2200\n")
    runner = SSHRunner("srv", config_files=[config])
    assert (runner.connect_attempts, runner.retry_delay) == (3, 2.0)
    connector = runner.connector
    assert (connector.connect_timeout, connector.banner_timeout, connector.auth_timeout) == (
        15.0,
        15.0,
        30.0,
    )
    assert connector.allow_agent is True
    assert runner.host == "configured@[127.0.0.2]:2200"
    # An explicit user or port wins over the configuration.
    assert SSHRunner("srv", user="me", port=22, config_files=[config]).host == "me@127.0.0.2"
    timeouts = SSHRunner(
        "srv", config_files=[config], connect_timeout=1, banner_timeout=2, auth_timeout=3
    ).connector
    assert (timeouts.connect_timeout, timeouts.banner_timeout, timeouts.auth_timeout) == (1, 2, 3)
    assert SSHRunner("srv", config_files=[config], allow_agent=False).connector.allow_agent is False


def test_a_run_says_what_ran_where_and_how_long_in_its_result_and_the_debug_log(
    serve: Serve, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lpsigning_mojo.external.ssh")
    clock = StoppedClock()
    clock.now = 100.0

    def handler(session: Session) -> None:
        session.out("working\n")
        session.exit(0)

    def on_line(line: OutputLine) -> None:
        clock.now += 5

    with client.runner(serve(handler).port, clock=clock) as runner:
        result = runner.run("upgrade-staging", on_line=on_line)
    assert (result.command, result.host, result.exit_status, result.elapsed) == (
        "upgrade-staging",
        runner.host,
        0,
        5.0,
    )
    messages = [r.getMessage() for r in caplog.records if r.name.endswith(".ssh")]
    assert f"running 'upgrade-staging' on {runner.host} (pty: False)" in messages
    assert f"'upgrade-staging' on {runner.host} ended with status 0 after 5.0 s" in messages


def test_a_timeout_names_the_command_the_host_and_the_time_it_ran(
    serve: Serve, client: Client
) -> None:
    clock = StoppedClock()
    clock.now = 100.0

    def handler(session: Session) -> None:
        session.out("started\n")
        session.wait_closed()

    def on_line(line: OutputLine) -> None:
        clock.now += 3
        clock.step = 1.0

    with (
        client.runner(serve(handler).port, clock=clock) as runner,
        pytest.raises(CommandTimeoutError) as info,
    ):
        runner.run("upgrade-staging", timeout=6, on_line=on_line)
    error = info.value
    assert (error.command, error.host) == ("upgrade-staging", runner.host)
    assert 6 <= error.elapsed <= 8
    assert str(error) == (
        f"'upgrade-staging' on {runner.host} ran longer than its timeout of 6 s; its channel "
        "was closed, but without a pty it may still be running there."
    )
