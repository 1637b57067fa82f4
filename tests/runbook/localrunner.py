"""A minimal local :class:`~lpsigning_mojo.remote.CommandRunner`: ``/bin/sh -c`` here.

The package has no local runner on this branch yet; this one stands in for it
in the lock and crash tests. ``lose_connection`` simulates an SSH connection
lost ``"before"`` the command ran or ``"after"`` it ran (either way the
runner raises :class:`~lpsigning_mojo.errors.OutcomeUnknown`), once.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Sequence
from typing import Literal

from lpsigning_mojo.errors import OutcomeUnknown
from lpsigning_mojo.remote import LineCallback, OutputLine, RunResult


class LocalShellRunner:
    def __init__(self) -> None:
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
        start = time.monotonic()
        done = subprocess.run(
            ["/bin/sh", "-c", line], capture_output=True, text=True, timeout=timeout, check=False
        )
        output = tuple(
            [OutputLine(stream="stdout", text=text) for text in done.stdout.splitlines()]
            + [OutputLine(stream="stderr", text=text) for text in done.stderr.splitlines()]
        )
        if on_line is not None:
            for item in output:
                on_line(item)
        if lost == "after":
            raise OutcomeUnknown("the connection was lost", command=line, host="localhost")
        return RunResult(
            command=line,
            host="localhost",
            exit_status=done.returncode,
            elapsed=time.monotonic() - start,
            output=output,
        )
