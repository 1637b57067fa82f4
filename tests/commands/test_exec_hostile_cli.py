"""``exec`` and ``upgrade`` against hostile SSH servers on 127.0.0.1, end to end.

Each ends within its bound, with one sentence on stderr, no traceback, and
the exit status the table in docs/reference/cli.rst gives. The servers are
in-process (paramiko), or a TCP listener that never speaks SSH; the last
tests run the command line in a subprocess, to see exactly what a terminal
would.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.errors import ExitStatus
from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, Session, StalledServer, new_key
from tests.conftest import REPO_ROOT
from tests.json_schema import assert_documented

#: Generous: commands bounded at 1 s must end well within this on a loaded machine.
LIMIT = 10.0

INSTANCES = """\
environments:
  staging:
    bastion: launchpad-bastion.test
    role: stg-role
    ssh_host: test-bastion
    developer_access: true
instances:
  staging:
    mojo_stage: lp-signing/staging
    url: http://127.0.0.1:9/
    environment: staging
    juju_access: true
    triggers:
      upgrade: {command: upgrade-staging, run_from: staging, timeout: 1, idle_timeout: 60}
"""

Run = Callable[..., tuple[int, str, str, float]]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    directory = tmp_path / "spec"
    directory.mkdir()
    (directory / "instances.yaml").write_text(INSTANCES)
    return directory


@pytest.fixture
def ssh_home() -> Path:
    ssh = Path.home() / ".ssh"
    ssh.mkdir(mode=0o700)
    return ssh


@pytest.fixture
def user_key(ssh_home: Path) -> paramiko.PKey:
    return new_key(ssh_home / "id_ed25519")


def point_at(ssh_home: Path, port: int, host_key: paramiko.PKey | None = None) -> None:
    """~/.ssh/config sends test-bastion to 127.0.0.1:port; known_hosts trusts host_key."""
    (ssh_home / "config").write_text(
        f"Host test-bastion\n  HostName 127.0.0.1\n  Port {port}\n  User developer\n"
        f"  IdentityFile {ssh_home / 'id_ed25519'}\n"
    )
    line = f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n" if host_key else ""
    (ssh_home / "known_hosts").write_text(line)


@pytest.fixture
def bastion(
    ssh_home: Path, user_key: paramiko.PKey, tmp_path: Path
) -> Iterator[Callable[[Callable[[Session], None]], InProcessSSHServer]]:
    servers: list[InProcessSSHServer] = []

    def start(handler: Callable[[Session], None]) -> InProcessSSHServer:
        server = InProcessSSHServer(new_key(tmp_path / f"host_key{len(servers)}"), handler)
        server.authorize(user_key)
        servers.append(server.start())
        point_at(ssh_home, server.port, server.host_key)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    present = tuple(m for m in cli.COMMAND_MODULES if importlib.util.find_spec(m) is not None)
    monkeypatch.setattr(cli, "COMMAND_MODULES", present)

    def run(*argv: str) -> tuple[int, str, str, float]:
        started = time.monotonic()
        status = cli.main(list(argv))
        took = time.monotonic() - started
        out, err = capsys.readouterr()
        return status, out, err, took

    return run


def one_sentence(err: str) -> str:
    """The one line the tool wrote to stderr (no traceback, nothing else)."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("lpsigning-mojo: ")]
    assert len(lines) == 1, err
    return lines[0]


def test_exec_timeout_holds_when_the_exec_request_is_never_answered(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    server = bastion(lambda session: session.exit(0))
    server.stall = "exec"
    status, out, err, took = run(
        "exec", "--timeout", "1", "--spec", str(spec), "staging", "--", "x"
    )
    assert status == ExitStatus.TIMEOUT == 124
    assert took < LIMIT
    assert out == ""
    assert "did not confirm it had started it within" in one_sentence(err)
    assert server.commands == ["sudo -n -iu stg-role -- x"]


def test_upgrade_trigger_timeout_holds_when_the_exec_request_is_never_answered(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    server = bastion(lambda session: session.exit(0))
    server.stall = "exec"
    status, out, err, took = run("upgrade", "staging", "--spec", str(spec))
    assert status == ExitStatus.TIMEOUT
    assert took < LIMIT
    assert "The output so far is in" in out
    assert "its channel was closed and its pty hung up, which stops it" in one_sentence(err)


def test_exec_timeout_covers_connecting_to_a_server_that_sends_no_banner(
    run: Run, spec: Path, ssh_home: Path, user_key: paramiko.PKey
) -> None:
    with StalledServer() as server:
        point_at(ssh_home, server.port)
        argv = ["exec", "--timeout", "1", "--spec", str(spec), "staging", "--", "x"]
        status, out, err, took = run(*argv)
        assert server.connections == 1
    assert status == ExitStatus.ERROR  # nothing ran
    assert took < LIMIT
    assert out == ""
    assert one_sentence(err) == (
        f"lpsigning-mojo: developer@[127.0.0.1]:{server.port} accepted the connection but sent "
        "no SSH banner within 1 s. Check that an SSH server answers there (ssh -v), and try "
        "again later."
    )


def test_exec_output_then_silence_ends_at_the_timeout(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    def handler(session: Session) -> None:
        session.out("working\n")
        session.wait_closed()

    bastion(handler)
    status, out, err, took = run(
        "exec", "--timeout", "1", "--spec", str(spec), "staging", "--", "x"
    )
    assert status == ExitStatus.TIMEOUT
    assert took < LIMIT
    assert out == "working\n"
    assert "ran longer than its timeout of" in one_sentence(err)


def test_exec_dropped_mid_output_is_an_unknown_outcome(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    def handler(session: Session) -> None:
        session.out("applying\n")
        time.sleep(0.2)  # the stand-in's pace, so that the line arrives before the drop
        session.drop()

    bastion(handler)
    status, out, err, took = run("exec", "--spec", str(spec), "staging", "--", "x")
    assert status == ExitStatus.OUTCOME_UNKNOWN == 4
    assert took < LIMIT
    assert out == "applying\n"
    assert "so whether it succeeded is unknown" in one_sentence(err)


@pytest.mark.parametrize("remote", [1, 2, 3, 4])
def test_a_failed_remote_command_exits_5_whatever_its_status(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer], remote: int
) -> None:
    bastion(lambda session: session.exit(remote))
    status, _, err, _ = run("exec", "--spec", str(spec), "staging", "--", "false")
    assert status == ExitStatus.REMOTE_FAILED == 5
    assert one_sentence(err).endswith(f" exited with status {remote}.")


def test_a_remote_command_killed_by_a_signal_exits_6_and_names_it(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    bastion(lambda session: session.kill("KILL"))
    status, _, err, _ = run("exec", "--spec", str(spec), "staging", "--", "x")
    assert status == ExitStatus.REMOTE_KILLED == 6
    assert one_sentence(err).endswith(" was killed by signal KILL.")
    status, _, err, _ = run("exec", "--remote-status", "--spec", str(spec), "staging", "--", "x")
    assert status == 128 + 9


def test_a_signal_the_server_does_not_name_has_no_status_to_mirror(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    bastion(lambda session: session.end_without_status())
    status, _, err, _ = run("exec", "--remote-status", "--spec", str(spec), "staging", "--", "x")
    assert status == ExitStatus.NO_REMOTE_STATUS
    assert "ended without an exit status" in one_sentence(err)


def test_remote_output_is_passed_on_with_escape_sequences_escaped(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    def handler(session: Session) -> None:
        session.out("\x1b]0;owned\x07\x1b[2Jclean\r\n")
        session.err("\x1b[31mred\u202e\n")
        session.exit(0)

    bastion(handler)
    status, out, err, _ = run("exec", "--spec", str(spec), "staging", "--", "x")
    assert status == 0
    assert out == "\\x1b]0;owned\\x07\\x1b[2Jclean\n"
    assert err == "\\x1b[31mred\\u202e\n"


def test_upgrade_progress_shows_remote_output_escaped(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    def handler(session: Session) -> None:
        session.out("\x1b[1A\x1b[2Kphase 1\n")
        session.exit(0)

    bastion(handler)
    status, out, _, _ = run("upgrade", "staging", "--spec", str(spec))
    assert status == 0
    assert "\x1b" not in out
    assert "] \\x1b[1A\\x1b[2Kphase 1" in out


# -- --format json: what ran and how it ended on standard output, the rest on standard error --


def test_exec_as_json_says_how_it_ended_and_passes_the_output_to_stderr(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    def handler(session: Session) -> None:
        session.out("working\n")
        session.exit(3)

    bastion(handler)
    status, out, err, _ = run(
        "exec", "--format", "json", "--spec", str(spec), "staging", "--", "false"
    )
    assert status == ExitStatus.REMOTE_FAILED
    data = json.loads(out)
    assert_documented("json-exec", data)
    assert (data["outcome"], data["exit_status"], data["signal"]) == ("failed", 3, None)
    assert (data["command"], data["tail"], data["log"]) == (
        "sudo -n -iu stg-role -- false",
        ["working"],
        None,
    )
    assert err.startswith("working\n")
    assert one_sentence(err).endswith(" exited with status 3.")


@pytest.mark.parametrize(
    ("end", "status", "outcome"),
    [
        (lambda session: session.kill("TERM"), ExitStatus.REMOTE_KILLED, "killed"),
        (lambda session: session.drop(), ExitStatus.OUTCOME_UNKNOWN, "unknown"),
    ],
)
def test_exec_as_json_when_it_did_not_exit(
    run: Run,
    spec: Path,
    bastion: Callable[..., InProcessSSHServer],
    end: Callable[[Session], None],
    status: int,
    outcome: str,
) -> None:
    bastion(end)
    done, out, err, _ = run("exec", "--format", "json", "--spec", str(spec), "staging", "--", "x")
    assert done == status
    data = json.loads(out)
    assert_documented("json-exec", data)
    assert (data["outcome"], data["exit_status"]) == (outcome, None)
    assert data["signal"] == ("TERM" if outcome == "killed" else None)
    assert (data["error"] is None) == (outcome == "killed")
    one_sentence(err)


def test_upgrade_as_json_keeps_standard_output_for_the_json(
    run: Run, spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    def handler(session: Session) -> None:
        session.out("phase 1\n")
        session.exit(0)

    bastion(handler)
    status, out, err, _ = run("upgrade", "staging", "--spec", str(spec), "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert_documented("json-upgrade", data)
    assert (data["outcome"], data["exit_status"], data["dry_run"]) == ("succeeded", 0, False)
    assert (data["argv"], data["timeout"], data["pty"]) == (["upgrade-staging"], 1.0, True)
    assert "phase 1" in Path(data["log"]).read_text()
    assert "phase 1" in err  # the progress, for people
    assert "upgrade-staging succeeded after" in err


# -- in a subprocess: exactly what a terminal would show --------------------------------------


def cli_subprocess(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lpsigning_mojo", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_no_banner_ends_within_the_bound_with_one_line_and_no_paramiko_traceback(
    spec: Path, ssh_home: Path, user_key: paramiko.PKey
) -> None:
    with StalledServer() as server:
        point_at(ssh_home, server.port)
        started = time.monotonic()
        done = cli_subprocess("exec", "--timeout", "1", "--spec", str(spec), "staging", "--", "x")
        took = time.monotonic() - started
    assert done.returncode == ExitStatus.ERROR
    assert took < LIMIT
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "sent no SSH banner within 1 s" in done.stderr


def test_an_unanswered_exec_ends_within_the_bound_with_one_line(
    spec: Path, bastion: Callable[..., InProcessSSHServer]
) -> None:
    server = bastion(lambda session: session.exit(0))
    server.stall = "exec"
    started = time.monotonic()
    done = cli_subprocess("exec", "--timeout", "2", "--spec", str(spec), "staging", "--", "x")
    took = time.monotonic() - started
    assert done.returncode == ExitStatus.TIMEOUT
    assert took < LIMIT
    assert done.stderr.count("\n") == 1, done.stderr
    assert "did not confirm it had started it within" in done.stderr
