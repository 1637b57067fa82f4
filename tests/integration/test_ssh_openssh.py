"""SSHRunner against real OpenSSH servers, with forced commands standing in for the triggers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpsigning_mojo.errors import (
    CommandTimeoutError,
    HostKeyChangedError,
    HostKeyUnknownError,
    OutcomeUnknown,
    SSHAuthError,
    SSHConnectError,
)
from lpsigning_mojo.remote import OutputLine
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins import free_port, process_alive, wait_until
from lpsigning_mojo.testing.standins.openssh import OpenSSHServer, fingerprint
from tests.integration.conftest import Home, Keys, SSHDFactory, script

pytestmark = pytest.mark.integration


@pytest.fixture
def leftovers() -> Iterator[list[int]]:
    """PIDs of remote commands a test leaves running on purpose; killed afterwards."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def serve(sshd: SSHDFactory, key: Keys, command: Path, home: Home) -> OpenSSHServer:
    """Start an sshd whose only key runs ``command``; ~/.ssh calls it "bastion"."""
    server = sshd()
    server.authorize(key.public, options=f'command="{command}",restrict,pty')
    server.start()
    home.add_host("bastion", server, "User root", f"IdentityFile {key.path}")
    home.trust(server)
    return server


def test_lines_arrive_in_order_while_the_command_runs(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    trigger = script(
        tmp_path / "trigger",
        f"""echo "first"
echo "to stderr" >&2
n=0
while [ ! -e {go} ]; do   # the client creates it on seeing "first"
    n=$((n + 1)); [ $n -gt 2000 ] && {{ echo "first was never streamed"; exit 99; }}
    sleep 0.01
done
echo "second: $SSH_ORIGINAL_COMMAND"
""",
    )
    serve(sshd, user_key, trigger, home)
    lines: list[OutputLine] = []

    def on_line(line: OutputLine) -> None:
        lines.append(line)
        if line.text == "first":
            go.touch()

    with home.runner("bastion") as runner:
        result = runner.run("upgrade-staging", on_line=on_line)
    assert result.exit_status == 0
    assert [line.text for line in lines if line.stream == "stdout"] == [
        "first",
        "second: upgrade-staging",
    ]
    assert [line.text for line in lines if line.stream == "stderr"] == ["to stderr"]


def test_a_non_zero_exit_status_is_propagated(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path
) -> None:
    serve(sshd, user_key, script(tmp_path / "t", "echo 'mojo failed'\nexit 3\n"), home)
    with home.runner("bastion") as runner:
        result = runner.run("upgrade-staging", pty=True)
    assert result.exit_status == 3
    assert result.tail() == ("mojo failed",)


def test_an_unknown_host_key_is_refused_and_the_advice_works(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path
) -> None:
    server = serve(sshd, user_key, script(tmp_path / "t", "echo hello\n"), home)
    (home.ssh / "known_hosts").write_text("")
    with home.runner("bastion") as runner, pytest.raises(HostKeyUnknownError) as info:
        runner.run("x")
    message = str(info.value)
    assert fingerprint(server.host_key.with_suffix(".pub")) in message
    # The advice: scan the key, check its fingerprint, add it. Following it works.
    scan = f"ssh-keyscan -p {server.port} -t ed25519 127.0.0.1"
    assert f"{scan} | ssh-keygen -lf -" in message
    assert f"{scan} >> ~/.ssh/known_hosts" in message
    scanned = subprocess.run(scan.split(), capture_output=True, text=True, check=True).stdout
    assert server.host_public_key.split()[1] in scanned
    (home.ssh / "known_hosts").write_text(scanned)
    with home.runner("bastion") as runner:
        assert runner.run("x").stdout == "hello\n"


def test_a_changed_host_key_is_refused(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path
) -> None:
    server = serve(sshd, user_key, script(tmp_path / "t", "echo hello\n"), home)
    impostor = sshd("impostor")  # another host key
    (home.ssh / "known_hosts").write_text(
        f"[127.0.0.1]:{server.port} {impostor.host_public_key.rsplit(' ', 1)[0]}\n"
    )
    with home.runner("bastion") as runner, pytest.raises(HostKeyChangedError) as info:
        runner.run("x")
    assert "has CHANGED" in str(info.value)
    assert fingerprint(server.host_key.with_suffix(".pub")) in str(info.value)
    assert fingerprint(impostor.host_key.with_suffix(".pub")) in str(info.value)


def test_the_idle_timeout_stops_the_remote_command_through_its_pty(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path, leftovers: list[int]
) -> None:
    pids = tmp_path / "pids"
    trigger = script(
        tmp_path / "t",
        f'sleep 300 &\necho "$$ $!" > {pids}.new\nmv {pids}.new {pids}\necho started\nwait\n',
    )
    serve(sshd, user_key, trigger, home)
    with home.runner("bastion") as runner, pytest.raises(CommandTimeoutError) as info:
        runner.run("upgrade-staging", idle_timeout=0.5, pty=True)
    assert info.value.stopped
    assert info.value.tail == ("started",)
    remote = [int(pid) for pid in pids.read_text().split()]
    leftovers.extend(remote)
    for pid in remote:  # the shell and its sleep both got SIGHUP
        wait_until(lambda pid=pid: not process_alive(pid), what=f"process {pid} to end")


def test_without_a_pty_the_idle_timeout_says_the_command_may_still_run(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path, leftovers: list[int]
) -> None:
    pids = tmp_path / "pids"
    trigger = script(
        tmp_path / "t",
        f"echo $$ > {pids}.new\nmv {pids}.new {pids}\necho started\nexec sleep 300\n",
    )
    serve(sshd, user_key, trigger, home)
    with home.runner("bastion") as runner, pytest.raises(CommandTimeoutError) as info:
        runner.run("upgrade-staging", idle_timeout=0.5)
    assert not info.value.stopped
    assert "may still be running" in str(info.value)
    pid = int(pids.read_text())
    leftovers.append(pid)
    assert process_alive(pid)


def test_sshd_killed_mid_command_gives_outcome_unknown(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path, leftovers: list[int]
) -> None:
    pids = tmp_path / "pid"
    trigger = script(
        tmp_path / "t", f"echo $$ > {pids}.new\nmv {pids}.new {pids}\necho deploying\nsleep 300\n"
    )
    server = serve(sshd, user_key, trigger, home)

    def on_line(line: OutputLine) -> None:
        leftovers.append(int(pids.read_text()))
        server.kill_hard()

    with (
        home.runner("bastion", connect_attempts=3) as runner,
        pytest.raises(OutcomeUnknown) as info,
    ):
        runner.run("upgrade-production", on_line=on_line, pty=True, idle_timeout=30)
    assert info.value.exit_code == 4
    assert info.value.tail == ("deploying",)
    assert "never retried" in str(info.value)


def test_connection_refused_is_a_clear_error_after_retrying(home: Home) -> None:
    port = free_port()
    (home.ssh / "config").write_text(f"Host bastion\n  HostName 127.0.0.1\n  Port {port}\n")
    clock = FakeClock()
    runner = home.runner("bastion", connect_attempts=2, retry_delay=5, clock=clock)
    with pytest.raises(SSHConnectError, match=rf"127.0.0.1 port {port} refused the connection"):
        runner.run("x")
    assert clock.sleeps == [5]


def test_a_key_the_server_does_not_accept_is_a_clear_error(
    sshd: SSHDFactory, user_key: Keys, stranger_key: Keys, home: Home, tmp_path: Path
) -> None:
    server = sshd()
    server.authorize(user_key.public)
    server.start()
    home.add_host("bastion", server, "User root", f"IdentityFile {stranger_key.path}")
    home.trust(server)
    with home.runner("bastion") as runner, pytest.raises(SSHAuthError) as info:
        runner.run("x")
    assert str(info.value).startswith(
        f"root@[127.0.0.1]:{server.port} accepted none of the keys offered ({stranger_key.path})"
    )


def test_proxy_jump_goes_through_the_jump_host(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path, connections: list[object]
) -> None:
    target = sshd("target")
    target.authorize(
        user_key.public, options=f'command="{script(tmp_path / "t", "echo on target")}",restrict'
    )
    target.start()
    jump = sshd("jump")
    jump.authorize(
        user_key.public, options=f'restrict,port-forwarding,permitopen="127.0.0.1:{target.port}"'
    )
    jump.start()
    home.add_host("bastion", target, "User root", f"IdentityFile {user_key.path}", "ProxyJump hop")
    home.add_host("hop", jump, "User root", f"IdentityFile {user_key.path}")
    home.trust(target)
    home.trust(jump)
    connections.clear()
    with home.runner("bastion") as runner:
        assert [hop.port for hop in runner.route.hops] == [jump.port, target.port]
        assert runner.run("x").stdout == "on target\n"
    assert connections == [("127.0.0.1", jump.port)]  # the target only through the jump host


def test_proxy_command_is_run_through_the_shell(
    sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path
) -> None:
    relay = tmp_path / "relay.py"
    used = tmp_path / "relay-used"
    relay.write_text(RELAY)
    server = serve(sshd, user_key, script(tmp_path / "t", "echo relayed\n"), home)
    with (home.ssh / "config").open("a") as config:
        config.write(f"  ProxyCommand {sys.executable} {relay} %h %p {used} 2>/dev/null\n")
    with home.runner("bastion") as runner:
        assert runner.route.hops[0].proxy_command is not None
        assert runner.run("x").stdout == "relayed\n"
    assert used.read_text() == f"127.0.0.1:{server.port}"


def test_keys_from_ssh_agent_are_used(
    sshd: SSHDFactory,
    user_key: Keys,
    home: Home,
    tmp_path: Path,
    ssh_agent: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sshd()
    server.authorize(user_key.public, options=f'command="{script(tmp_path / "t", "echo ok")}"')
    server.start()
    home.add_host("bastion", server, "User root")  # no IdentityFile, no ~/.ssh/id_*
    home.trust(server)
    with home.runner("bastion") as runner, pytest.raises(SSHAuthError):
        runner.run("x")
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent(user_key.path))  # type: ignore[operator]
    with home.runner("bastion") as runner:
        assert runner.run("x").stdout == "ok\n"


RELAY = """\
import os, select, socket, sys
host, port, used = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(used, "w") as f:
    f.write(f"{host}:{port}")
sock = socket.create_connection((host, port))
while True:
    ready, _, _ = select.select([0, sock], [], [])
    if 0 in ready:
        data = os.read(0, 65536)
        if not data:
            sock.shutdown(socket.SHUT_WR)
        else:
            sock.sendall(data)
    if sock in ready:
        data = sock.recv(65536)
        if not data:
            break
        os.write(1, data)
"""
