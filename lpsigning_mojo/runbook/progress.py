"""Showing a long remote command while it runs, and keeping its full output.

On a terminal, :class:`Progress` keeps one status line up to date (elapsed
time and the latest line of output, refreshed every second); elsewhere it
prints each line with its elapsed time. :func:`open_log` makes the file that
keeps every line. ``lpsigning-mojo upgrade`` and the steps of a plan (through
:meth:`lpsigning_mojo.runbook.Reporter.progress`) share this one implementation.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TextIO

from lpsigning_mojo.clock import Clock
from lpsigning_mojo.errors import FileAccessError
from lpsigning_mojo.remote import OutputLine
from lpsigning_mojo.untrusted import printable

__all__ = ["Progress", "elapsed", "log_directory", "open_log", "state_directory"]


def elapsed(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss``)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return f"{hours}:{text}" if hours else text


def state_directory() -> Path:
    """``$XDG_STATE_HOME/lpsigning-mojo`` (``~/.local/state/lpsigning-mojo`` by default).

    Logs (``logs/``) and run journals (``runs/``) live under it.
    """
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "lpsigning-mojo"


def log_directory() -> Path:
    """``$XDG_STATE_HOME/lpsigning-mojo/logs`` (``~/.local/state/...`` by default)."""
    return state_directory() / "logs"


def open_log(name: str) -> tuple[Path, TextIO]:
    """A new log file named after ``name`` and the time, opened for writing."""
    directory = log_directory()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = directory / f"{name}-{stamp}.log"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for suffix in range(1, 100):
            try:
                return path, path.open("x", encoding="utf-8")
            except FileExistsError:
                path = directory / f"{name}-{stamp}-{suffix}.log"
    except OSError as error:
        raise FileAccessError(
            f"cannot create a log file in {directory}: {error.strerror}"
        ) from None
    raise FileAccessError(f"cannot create a log file in {directory}: too many for {stamp}")


class Progress:
    """Shows ``label`` running: a live status line on a TTY, plain lines elsewhere."""

    def __init__(
        self, label: str, *, out: TextIO, tty: bool, clock: Clock, tick: float | None = 1.0
    ) -> None:
        self.label = label
        self.out = out
        self.tty = tty
        self.clock = clock
        self.start = clock.monotonic()
        self.latest = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if tty and tick:
            self._ticker = threading.Thread(target=self._tick, args=(tick,), daemon=True)
            self._ticker.start()

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            width = shutil.get_terminal_size((100, 24)).columns - 1
            text = f"[{elapsed(self.clock.monotonic() - self.start)}] {self.label}: {self.latest}"
            self.out.write("\r\x1b[K" + text[:width])
            self.out.flush()

    def line(self, line: OutputLine) -> None:
        """Show a new line of output (a remote command's: control characters show escaped)."""
        text = printable(line.text)
        if self.tty:
            self.latest = text.strip()
            self._draw()
            return
        with self._lock:
            when = elapsed(self.clock.monotonic() - self.start)
            self.out.write(f"[{when}] {text}\n")
            self.out.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop updating and end the status line; calling it again does nothing."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.tty:
            with self._lock:
                self.out.write("\n")
                self.out.flush()
