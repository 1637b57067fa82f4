"""``lpsigning-mojo upgrade`` and ``exec`` end to end, through ~/.ssh/config to a real sshd."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.errors import ExitStatus
from tests.integration.conftest import Home, Keys, SSHDFactory, script

pytestmark = pytest.mark.integration

INSTANCES = """\
environments:
  staging:
    bastion: launchpad-bastion.test
    role: stg-role
    become: sudo
    ssh_host: test-bastion
    developer_access: true
  production:
    bastion: prod-bastion.test
    role: prod-role
    developer_access: false
instances:
  staging:
    aliases: [dogfood]
    mojo_stage: lp-signing/staging
    url: http://127.0.0.1:9/
    environment: staging
    juju_access: true
    triggers:
      upgrade: {command: upgrade-staging, run_from: staging, timeout: 60, idle_timeout: 20}
  production:
    mojo_stage: lp-signing/production
    url: null
    environment: production
    juju_access: false
    triggers:
      upgrade: {command: upgrade-production, run_from: staging}
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    directory = tmp_path / "spec"
    directory.mkdir()
    (directory / "instances.yaml").write_text(INSTANCES)
    return directory


@pytest.fixture
def bastion(sshd: SSHDFactory, user_key: Keys, home: Home, tmp_path: Path) -> Path:
    """The staging bastion: an sshd whose forced command is the script this returns."""
    trigger = tmp_path / "bastion-command"
    script(trigger, "exit 0\n")
    server = sshd("bastion")
    server.authorize(user_key.public, options=f'command="{trigger}",restrict,pty')
    server.start()
    home.add_host("test-bastion", server, "User root", f"IdentityFile {user_key.path}")
    home.trust(server)
    return trigger


def main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    present = tuple(m for m in cli.COMMAND_MODULES if importlib.util.find_spec(m) is not None)
    cli.COMMAND_MODULES, saved = present, cli.COMMAND_MODULES
    try:
        status = cli.main(list(argv))
    finally:
        cli.COMMAND_MODULES = saved
    out, err = capsys.readouterr()
    return status, out, err


def log_path(out: str) -> Path:
    match = re.search(r"full output in (\S+)", out)
    assert match, out
    return Path(match.group(1))


def test_upgrade_streams_logs_and_a_failed_trigger_exits_5(
    bastion: Path, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script(bastion, 'echo "as asked: $SSH_ORIGINAL_COMMAND"\necho "mojo: phase 1"\nexit 3\n')
    status, out, err = main(capsys, "upgrade", "dogfood", "--spec", str(spec))
    assert status == ExitStatus.REMOTE_FAILED == 5  # not 3: that would read as a bug here
    lines = out.splitlines()
    assert lines[0].startswith("Running upgrade-staging as stg-role@launchpad-bastion.test; ")
    assert re.fullmatch(
        r"\[00:0\d\] as asked: sudo -n -iu stg-role -- upgrade-staging", lines[1]
    ), lines[1]
    assert re.fullmatch(r"\[00:0\d\] mojo: phase 1", lines[2]), lines[2]
    log = log_path(out)
    assert log.parent == Path.home() / ".local/state/lpsigning-mojo/logs"
    assert log.read_text().splitlines() == [
        "# sudo -n -iu stg-role -- upgrade-staging",
        "# as stg-role@launchpad-bastion.test",
        "as asked: sudo -n -iu stg-role -- upgrade-staging",
        "mojo: phase 1",
        log.read_text().splitlines()[-1],
    ]
    assert re.fullmatch(r"# exited with status 3 after \d+\.\d s", log.read_text().splitlines()[-1])
    assert re.fullmatch(
        r"lpsigning-mojo: upgrade-staging failed after 00:0\d: it exited with status 3\. "
        r"Its full output is in \S+\.\n",
        err,
    ), err
    assert str(log) in err


def test_upgrade_with_remote_status_mirrors_the_trigger(
    bastion: Path, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script(bastion, "exit 3\n")
    status, _, err = main(capsys, "upgrade", "staging", "--remote-status", "--spec", str(spec))
    assert status == 3
    assert "it exited with status 3" in err


def test_upgrade_production_checks_its_gates_first_and_refuses_without_them(
    bastion: Path, spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # This spec is no git repository and has no bundle, so the promotion gates cannot pass;
    # tests/commands/test_release_cli.py runs production's trigger past them.
    ran = tmp_path / "ran"
    script(bastion, f'echo "$SSH_ORIGINAL_COMMAND" > {ran}\n')
    status, _, err = main(capsys, "upgrade", "production", "--yes", "--spec", str(spec))
    assert status == 1
    assert "is not in a git repository" in err
    assert not ran.exists()


def test_upgrade_reports_outcome_unknown_when_the_connection_dies(
    bastion: Path, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The forced command kills the sshd process serving its connection.
    script(bastion, "echo deploying\nkill -KILL $PPID\nsleep 30\n")
    status, out, err = main(capsys, "upgrade", "staging", "--spec", str(spec))
    assert status == 4
    log = log_path(out)
    assert f"The output so far is in {log}" in out
    assert "so whether it succeeded is unknown" in err
    assert "so whether it succeeded is unknown" in log.read_text()


def test_upgrade_idle_timeout_from_the_command_line(
    bastion: Path, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script(bastion, "echo started\nexec sleep 30\n")
    status, _, err = main(
        capsys, "upgrade", "staging", "--idle-timeout", "0.5", "--spec", str(spec)
    )
    assert status == 124
    assert "printed nothing for 0.5 s; its channel was closed and its pty hung up" in err


def test_exec_runs_a_command_as_the_role_and_passes_both_streams(
    bastion: Path, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script(bastion, 'echo "ran: $SSH_ORIGINAL_COMMAND"\necho oops >&2\nexit 2\n')
    status, out, err = main(
        capsys, "exec", "--spec", str(spec), "staging", "--", "juju", "status", "--format=json"
    )
    assert status == ExitStatus.REMOTE_FAILED
    assert out == "ran: sudo -n -iu stg-role -- juju status --format=json\n"
    assert re.fullmatch(
        r"oops\nlpsigning-mojo: 'sudo -n -iu stg-role -- juju status --format=json' on "
        r"root@\[127\.0\.0\.1\]:\d+ exited with status 2\.\n",
        err,
    ), err


@pytest.mark.parametrize(("remote", "mirrored"), [(0, 0), (1, 1), (2, 2), (3, 3), (124, 124)])
def test_exec_with_remote_status_exits_with_the_commands_own_status(
    bastion: Path, spec: Path, capsys: pytest.CaptureFixture[str], remote: int, mirrored: int
) -> None:
    script(bastion, f"exit {remote}\n")
    argv = ["exec", "--remote-status", "--spec", str(spec), "staging", "--", "x"]
    status, _, err = main(capsys, *argv)
    assert status == mirrored
    assert err == ""  # the remote's status says it all, as with ssh


def test_exec_of_a_command_killed_by_a_signal_says_which(
    bastion: Path, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script(bastion, "kill -TERM $$\n")
    status, _, err = main(capsys, "exec", "--spec", str(spec), "staging", "--", "x")
    assert status == ExitStatus.REMOTE_KILLED == 6
    assert err.endswith(" was killed by signal TERM.\n"), err
    status, _, err = main(
        capsys, "exec", "--remote-status", "--spec", str(spec), "staging", "--", "x"
    )
    assert status == 128 + 15  # as a shell reports SIGTERM
    assert err.endswith(" was killed by signal TERM.\n"), err


def test_exec_with_remote_status_exits_255_when_the_tool_fails(
    bastion: Path, spec: Path, home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    (home.ssh / "known_hosts").write_text("")
    argv = ["exec", "--remote-status", "--spec", str(spec), "staging", "--", "x"]
    status, _, err = main(capsys, *argv)
    assert status == ExitStatus.NO_REMOTE_STATUS == 255
    assert "is not in your known_hosts files" in err


def test_an_unknown_bastion_key_stops_upgrade_before_anything_runs(
    bastion: Path, spec: Path, home: Home, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ran = tmp_path / "ran"
    script(bastion, f"touch {ran}\n")
    (home.ssh / "known_hosts").write_text("")
    status, out, err = main(capsys, "upgrade", "staging", "--spec", str(spec))
    assert status == 1
    assert "is not in your known_hosts files" in err
    assert not ran.exists()
    assert out == ""  # nothing started, so no log file was made
