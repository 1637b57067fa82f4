"""Runners for the lock tests, around :class:`~lpsigning_mojo.external.local.LocalRunner`.

:class:`FlakyRunner` simulates an SSH connection lost ``"before"`` the
command ran or ``"after"`` it ran (either way it raises
:class:`~lpsigning_mojo.errors.OutcomeUnknown`, once). :func:`as_sudo_i`
builds the command line ``sudo -i`` would hand the role account's login
shell (every character backslash-escaped except letters, digits, ``_``, ``-``
and ``$``, as sudo(8) documents), so tests check that a command survives it;
:func:`replay_sudo_i` does the same for a whole ``sudo -n -iu ROLE -- ...``
command line, as :meth:`ManagementEnvironment.command_line
<lpsigning_mojo.instances.ManagementEnvironment.command_line>` builds it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Literal

from lpsigning_mojo.errors import OutcomeUnknown
from lpsigning_mojo.external.local import LocalRunner
from lpsigning_mojo.remote import LineCallback, RunResult
from lpsigning_mojo.testing.standins.bastion import sudo_login_command


class FlakyRunner:
    def __init__(self) -> None:
        self.runner = LocalRunner()
        self.commands: list[str] = []
        self.lose_connection: Literal["before", "after"] | None = None

    def run(
        self,
        command: str | Sequence[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        pty: bool = False,
    ) -> RunResult:
        line = command if isinstance(command, str) else shlex.join(command)
        self.commands.append(line)
        lost, self.lose_connection = self.lose_connection, None
        if lost == "before":
            raise OutcomeUnknown("the connection was lost", command=line, host="localhost")
        result = self.runner.run(line, on_line=on_line, timeout=timeout, pty=pty)
        if lost == "after":
            raise OutcomeUnknown("the connection was lost", command=line, host="localhost")
        return result


def as_sudo_i(argv: Sequence[str]) -> str:
    """What ``sudo -n -iu ROLE -- ARGV`` runs, as this account: ``sh -c ESCAPED``."""
    return shlex.join(["sh", "-c", sudo_login_command(argv)[2]])


def replay_sudo_i(command_line: str) -> str:
    """What ``sudo -n -iu ROLE -- ARGV`` has the role's login shell run, here: ``sh -c ...``."""
    words = shlex.split(command_line)
    assert words[:3] == ["sudo", "-n", "-iu"], command_line
    assert words[4] == "--", command_line
    return as_sudo_i(words[5:])
