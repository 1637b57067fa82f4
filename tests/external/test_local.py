"""LocalRunner: commands on this machine, through the same protocol as over SSH."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from lpsigning_mojo.errors import CommandInterruptedError, CommandTimeoutError, RemoteCommandFailed
from lpsigning_mojo.external.local import LocalRunner
from lpsigning_mojo.remote import CommandRunner, OutputLine
from lpsigning_mojo.testing.standins import process_alive, wait_until


def texts(lines: tuple[OutputLine, ...] | list[OutputLine], stream: str) -> list[str]:
    return [line.text for line in lines if line.stream == stream]


def test_lines_are_streamed_while_the_command_runs(tmp_path: Path) -> None:
    flag = tmp_path / "seen"
    seen: list[OutputLine] = []

    def on_line(line: OutputLine) -> None:
        seen.append(line)
        if line.text == "one":
            flag.touch()  # the command waits for this before it goes on

    runner: CommandRunner = LocalRunner()
    result = runner.run(
        f"echo one; echo warning >&2; while [ ! -e {flag} ]; do sleep 0.01; done; echo two",
        on_line=on_line,
        timeout=10,
    )
    assert result.exit_status == 0
    assert texts(seen, "stdout") == ["one", "two"]
    assert texts(seen, "stderr") == ["warning"]
    assert result.output == tuple(seen)
    assert (result.stdout, result.stderr) == ("one\ntwo\n", "warning\n")
    assert result.host == "localhost"


def test_a_sequence_is_quoted_word_by_word() -> None:
    result = LocalRunner().run(["printf", "%s|", "a b", "x;echo no", "$HOME"])
    assert result.command == "printf '%s|' 'a b' 'x;echo no' '$HOME'"
    assert result.stdout == "a b|x;echo no|$HOME|\n"


def test_bytes_become_lines() -> None:
    result = LocalRunner().run(r"printf 'caf\303\251 au lait\r\nbad \377 byte\nno newline'")
    assert texts(result.output, "stdout") == ["café au lait", "bad \ufffd byte", "no newline"]


def test_a_non_zero_exit_status_is_passed_on() -> None:
    result = LocalRunner().run("echo giving up; exit 7")
    assert (result.exit_status, result.ok) == (7, False)
    with pytest.raises(RemoteCommandFailed) as caught:
        result.check()
    assert str(caught.value) == "'echo giving up; exit 7' on localhost exited with status 7."
    assert caught.value.tail == ("giving up",)


def test_a_command_that_is_not_installed_ends_with_127_as_from_any_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = LocalRunner().run(["juju", "status"])
    assert result.exit_status == 127
    assert result.stderr.endswith("juju: not found\n")


def test_a_shell_that_cannot_start_ends_with_127() -> None:
    result = LocalRunner(shell="/nonexistent/sh").run("true")
    assert result.exit_status == 127
    assert result.stderr == "cannot start /nonexistent/sh: No such file or directory\n"


def test_a_command_killed_by_a_signal_has_no_status() -> None:
    result = LocalRunner().run("echo killed; kill -9 $$")
    assert result.exit_status is None
    assert result.tail() == ("killed",)


def _started_pid(tmp_path: Path) -> tuple[str, Path]:
    """A command that starts a background sleep, writes its PID, and waits for it."""
    pid_file = tmp_path / "pid"
    return f"sleep 30 & echo $! > {pid_file}; echo started; wait", pid_file


@pytest.mark.parametrize("pty", [False, True])
def test_the_idle_timeout_stops_the_command_and_what_it_started(tmp_path: Path, pty: bool) -> None:
    command, pid_file = _started_pid(tmp_path)
    started = time.monotonic()
    with pytest.raises(CommandTimeoutError) as caught:
        LocalRunner().run(command, idle_timeout=0.2, pty=pty)
    assert time.monotonic() - started < 5
    assert caught.value.exit_code == 124
    assert caught.value.stopped
    assert caught.value.tail == ("started",)
    assert str(caught.value).startswith(f"{command!r} on localhost printed nothing for 0.2 s; ")
    pid = int(pid_file.read_text())
    wait_until(lambda: not process_alive(pid), timeout=5, what=f"process {pid} to end")


def test_the_overall_timeout_applies_even_while_output_flows() -> None:
    with pytest.raises(CommandTimeoutError, match=r"ran longer than its timeout of 0\.3 s"):
        LocalRunner().run("while true; do echo tick; sleep 0.01; done", timeout=0.3, idle_timeout=5)


def test_a_term_ignoring_command_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    started = time.monotonic()
    with pytest.raises(CommandTimeoutError):
        LocalRunner(grace=0.2).run(
            f"trap '' TERM; touch {ready}; while true; do sleep 0.05; done", timeout=0.5
        )
    assert ready.exists()
    assert time.monotonic() - started < 5


def test_with_a_pty_the_command_sees_a_terminal_and_stderr_joins_stdout() -> None:
    result = LocalRunner().run("test -t 1 && echo terminal; echo oops >&2", pty=True)
    assert result.exit_status == 0
    assert texts(result.output, "stdout") == ["terminal", "oops"]
    assert result.stderr == ""


def test_ctrl_c_stops_the_command_and_says_so(tmp_path: Path) -> None:
    command, pid_file = _started_pid(tmp_path)

    def on_line(line: OutputLine) -> None:
        raise KeyboardInterrupt

    with pytest.raises(CommandInterruptedError) as caught:
        LocalRunner().run(command, on_line=on_line)
    assert caught.value.exit_code == 130
    assert caught.value.stopped
    assert "was interrupted after" in str(caught.value)
    pid = int(pid_file.read_text())
    wait_until(lambda: not process_alive(pid), timeout=5, what=f"process {pid} to end")


def test_an_error_in_the_callback_stops_the_command_and_propagates(tmp_path: Path) -> None:
    command, pid_file = _started_pid(tmp_path)

    def on_line(line: OutputLine) -> None:
        raise ValueError("the callback failed")

    with pytest.raises(ValueError, match="the callback failed"):
        LocalRunner().run(command, on_line=on_line)
    pid = int(pid_file.read_text())
    wait_until(lambda: not process_alive(pid), timeout=5, what=f"process {pid} to end")


def test_no_file_descriptor_is_left_open() -> None:
    before = len(os.listdir("/proc/self/fd"))
    runner = LocalRunner()
    for pty in (False, True):
        runner.run("echo hello", pty=pty)
    with pytest.raises(CommandTimeoutError):
        runner.run("sleep 5", timeout=0.1)
    assert len(os.listdir("/proc/self/fd")) == before
