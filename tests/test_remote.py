"""The one command-runner protocol: results, and running as the role account."""

from __future__ import annotations

import pytest

from lpsigning_mojo.errors import ExitStatus, RemoteCommandFailed, RemoteCommandKilled
from lpsigning_mojo.instances import ManagementEnvironment
from lpsigning_mojo.remote import CommandRunner, OutputLine, RoleAccountRunner, RunResult
from lpsigning_mojo.testing import FakeRunner


def environment(become: str) -> ManagementEnvironment:
    return ManagementEnvironment(
        name="staging",
        bastion="bastion.example",
        role="stg-signing",
        developer_access=True,
        become="login" if become == "login" else "sudo",
    )


@pytest.mark.parametrize(
    ("become", "sent"),
    [
        ("sudo", "sudo -n -iu stg-signing -- juju status --model 'a b'"),
        ("login", "juju status --model 'a b'"),
    ],
)
def test_the_role_account_runner_sends_what_the_environment_builds(become: str, sent: str) -> None:
    inner = FakeRunner()
    inner.expect_run(sent, stdout="ok\n")
    inner.expect_run(sent, stdout="again\n")
    runner: CommandRunner = RoleAccountRunner(inner, environment(become).command_line)
    lines: list[OutputLine] = []
    assert runner.run(["juju", "status", "--model", "a b"], on_line=lines.append).stdout == "ok\n"
    assert lines == [OutputLine(stream="stdout", text="ok")]
    # A string is split into words first, so each word reaches the role's shell whole.
    assert runner.run("juju status --model 'a b'").stdout == "again\n"
    inner.verify()


def test_the_role_account_runner_passes_the_limits_on() -> None:
    seen: list[dict[str, object]] = []

    class Inner(FakeRunner):
        def run(self, command: object, **options: object) -> RunResult:
            seen.append(options)
            return super().run(command, **options)  # type: ignore[arg-type]

    inner = Inner()
    inner.expect_run("sudo -n -iu stg-signing -- upgrade-staging")
    RoleAccountRunner(inner, environment("sudo").command_line).run(
        ["upgrade-staging"], timeout=60, idle_timeout=5, pty=True
    )
    assert seen == [{"on_line": None, "timeout": 60, "idle_timeout": 5, "pty": True}]


def test_check_says_how_the_command_ended() -> None:
    ok = RunResult(command="true", host="h", exit_status=0, elapsed=0.1)
    assert ok.check() is ok
    killed = RunResult(
        command="sleep 9",
        host="h",
        exit_status=None,
        elapsed=1.0,
        output=(OutputLine(stream="stderr", text="Killed"),),
    )
    with pytest.raises(RemoteCommandKilled) as caught:
        killed.check()
    assert str(caught.value) == (
        "'sleep 9' on h ended without an exit status (a signal ended it; the server did not "
        "say which)."
    )
    assert caught.value.tail == ("Killed",)
    assert caught.value.exit_code == ExitStatus.REMOTE_KILLED == 6


def test_check_names_the_signal_and_the_status() -> None:
    named = RunResult(command="sleep 9", host="h", exit_status=None, signal="TERM", elapsed=1.0)
    with pytest.raises(RemoteCommandKilled) as killed:
        named.check()
    assert str(killed.value) == "'sleep 9' on h was killed by signal TERM."
    assert (killed.value.signal, killed.value.exit_status) == ("TERM", None)
    failed = RunResult(command="false", host="h", exit_status=3, elapsed=1.0)
    with pytest.raises(RemoteCommandFailed) as caught:
        failed.check()
    assert type(caught.value) is RemoteCommandFailed
    assert str(caught.value) == "'false' on h exited with status 3."
    assert caught.value.exit_code == ExitStatus.REMOTE_FAILED == 5
