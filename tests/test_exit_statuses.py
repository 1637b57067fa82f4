"""The exit-status table: one definition (ExitStatus), one documented table, a test per row.

The table in docs/reference/cli.rst lists exactly the members of
:class:`~lpsigning_mojo.errors.ExitStatus`, and the error boundary turns
each cause into its row's status. End-to-end tests of each row through the
command line: ``tests/commands/test_exec_hostile_cli.py`` (1, 4, 5, 6, 124,
255), ``tests/integration/test_cli_upgrade.py`` (5, 6, mirrored statuses,
255), ``tests/commands/test_status_cli.py`` (0, 1, 7, 8),
``tests/test_cli_instances.py`` (2), ``tests/runbook/test_crash.py`` (130).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from lpsigning_mojo._boundary import guarded
from lpsigning_mojo.errors import (
    CommandInterruptedError,
    CommandTimeoutError,
    DriftFoundError,
    ExitStatus,
    FileAccessError,
    LiveStateError,
    LpsigningMojoError,
    NotCheckableError,
    OutcomeUnknown,
    RemoteCommandFailed,
    RemoteCommandKilled,
    SSHConnectError,
    UsageError,
)
from lpsigning_mojo.runbook import EXIT_INTERRUPTED
from tests.conftest import REPO_ROOT


@pytest.fixture(autouse=True)
def _crash_logs_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def documented_rows() -> dict[int, str]:
    """Status -> name, from the list-table under "Exit statuses" in cli.rst."""
    text = (REPO_ROOT / "docs" / "reference" / "cli.rst").read_text()
    table = text.split(".. _exit-statuses:", 1)[1].split("\n\n\n", 1)[0]
    rows = re.findall(r"\* - (\d+)\n\s+- ``([A-Z_]+)``", table)
    return {int(status): name for status, name in rows}


def test_the_documented_table_is_exactly_the_exit_statuses() -> None:
    assert documented_rows() == {member.value: member.name for member in ExitStatus}


def test_no_status_is_listed_twice() -> None:
    values = [member.value for member in ExitStatus]
    assert len(values) == len(set(values))


def raising(error: BaseException) -> Callable[[], int]:
    def call() -> int:
        raise error

    return call


RUN = {"command": "x", "host": "h"}

ROWS: list[tuple[ExitStatus, Callable[[], int]]] = [
    (ExitStatus.OK, lambda: 0),
    (ExitStatus.ERROR, raising(LpsigningMojoError("a problem"))),
    (ExitStatus.ERROR, raising(SSHConnectError("no connection"))),
    (ExitStatus.ERROR, raising(LiveStateError("could not check"))),
    (ExitStatus.ERROR, raising(BrokenPipeError())),
    (ExitStatus.USAGE, raising(UsageError("bad argument"))),
    (ExitStatus.BUG, raising(KeyError("x"))),
    (ExitStatus.OUTCOME_UNKNOWN, raising(OutcomeUnknown("lost", **RUN))),
    (ExitStatus.REMOTE_FAILED, raising(RemoteCommandFailed("failed", exit_status=2, **RUN))),
    (ExitStatus.REMOTE_KILLED, raising(RemoteCommandKilled("killed", exit_status=None, **RUN))),
    (ExitStatus.DRIFT, raising(DriftFoundError("drift"))),
    (ExitStatus.NOT_CHECKABLE, raising(NotCheckableError("pins only"))),
    (ExitStatus.TIMEOUT, raising(CommandTimeoutError("too long", stopped=True, **RUN))),
    (ExitStatus.INTERRUPTED, raising(KeyboardInterrupt())),
    (ExitStatus.INTERRUPTED, raising(CommandInterruptedError("^C", stopped=True, **RUN))),
]


@pytest.mark.parametrize(("status", "call"), ROWS, ids=[f"{s.value}-{s.name}" for s, _ in ROWS])
def test_each_cause_exits_with_its_rows_status(
    status: ExitStatus, call: Callable[[], int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert guarded("lpsigning-mojo", call) == status.value


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: 3, 3),  # the remote command's own status passes through
        (raising(RemoteCommandFailed("failed", exit_status=2, **RUN)), 255),
        (raising(OutcomeUnknown("lost", **RUN)), 255),
        (raising(UsageError("bad")), 255),
        (raising(KeyError("x")), 255),
        (raising(KeyboardInterrupt()), 130),
    ],
)
def test_with_remote_status_every_failure_of_the_tool_is_255_but_ctrl_c(
    call: Callable[[], int], expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert guarded("lpsigning-mojo", call, failure=ExitStatus.NO_REMOTE_STATUS) == expected


def test_the_release_engine_uses_the_same_status_for_ctrl_c() -> None:
    assert EXIT_INTERRUPTED == ExitStatus.INTERRUPTED == 130


def test_the_runner_errors_are_a_family_of_their_own() -> None:
    from lpsigning_mojo.errors import CommandAbandonedError, RemoteCommandError, SSHError

    for error in (
        OutcomeUnknown,
        CommandAbandonedError,
        CommandTimeoutError,
        CommandInterruptedError,
        RemoteCommandFailed,
        RemoteCommandKilled,
    ):
        assert issubclass(error, RemoteCommandError)
        assert not issubclass(error, SSHError)  # LocalRunner raises them too
    assert OutcomeUnknown("lost", **RUN).host == "h"


def test_a_message_quoting_outside_text_is_printed_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    guarded("lpsigning-mojo", raising(LpsigningMojoError("juju said:\n\x1b[2Jhidden")))
    assert capsys.readouterr().err == "lpsigning-mojo: juju said:\n\\x1b[2Jhidden.\n"


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            FileAccessError("x.msg: not UTF-8 text", hint="is this the right file?"),
            "x.msg: not UTF-8 text. Is this the right file?",
        ),
        (UsageError("no scenario 'a'; did you mean 'b'?"), "no scenario 'a'; did you mean 'b'?"),
        (UsageError("bad argument", hint="check it."), "bad argument. Check it."),
    ],
)
def test_a_sentence_that_asks_keeps_its_question_mark_alone(
    error: LpsigningMojoError, said: str
) -> None:
    assert str(error) == said
