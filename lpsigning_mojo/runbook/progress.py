"""Showing a long remote command while it runs, and keeping its full output.

On a terminal, :class:`Progress` keeps one status line up to date (elapsed
time and the latest line of output, refreshed every second); elsewhere it
prints each line with its elapsed time. :func:`open_log` makes the file that
keeps every line. ``lpsigning-mojo upgrade`` and the steps of a plan (through
:meth:`lpsigning_mojo.runbook.Reporter.progress`) share this one implementation.

The log files are named ``NAME-YYYYMMDDTHHMMSSZ.log`` (the UTC start; ``-N``
added when two start in one second), and the process writing one holds an
exclusive ``flock`` on it until it closes the file, as a journal's writer
does. :func:`list_logs` reads the directory back (``lpsigning-mojo logs``);
:func:`prune_logs` removes old ones, never one that a live process holds.
"""

from __future__ import annotations

import calendar
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

import attrs

from lpsigning_mojo.clock import Clock, iso_utc
from lpsigning_mojo.errors import FileAccessError
from lpsigning_mojo.remote import OutputLine
from lpsigning_mojo.untrusted import printable

__all__ = [
    "LogFile",
    "LogListing",
    "Progress",
    "PruneResult",
    "elapsed",
    "list_logs",
    "log_directory",
    "open_log",
    "prune_logs",
    "state_directory",
]

_STAMP = "%Y%m%dT%H%M%SZ"
_LOG_NAME = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.log$")


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
    """A new log file named after ``name`` and the time, opened for writing.

    The caller holds the file's ``flock`` until it closes the file, which
    marks the log as being written (:attr:`LogFile.running`).
    """
    directory = log_directory()
    stamp = time.strftime(_STAMP, time.gmtime())
    path = directory / f"{name}-{stamp}.log"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for suffix in range(1, 100):
            try:
                log = path.open("x", encoding="utf-8")
            except FileExistsError:
                path = directory / f"{name}-{stamp}-{suffix}.log"
                continue
            # Held until the file is closed (or the process ends): prune_logs leaves it be.
            fcntl.flock(log.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return path, log
    except OSError as error:
        raise FileAccessError(
            f"cannot create a log file in {directory}: {error.strerror}"
        ) from None
    raise FileAccessError(f"cannot create a log file in {directory}: too many for {stamp}")


@attrs.frozen(kw_only=True)
class LogFile:
    """A log file of :func:`open_log`, as :func:`list_logs` finds it.

    ``name`` is what the writer named it after (for ``lpsigning-mojo
    upgrade``: the trigger, then the instance); ``started`` the UTC time in its file
    name, ``modified`` its last write (both seconds since the epoch);
    ``running`` whether a live process holds it open for writing.
    """

    path: Path
    name: str
    started: float
    modified: float
    size: int
    running: bool

    def for_instance(self, instance: str) -> bool:
        """Whether the log is of ``instance`` (the last part of its name)."""
        return self.name == instance or self.name.endswith(f"-{instance}")

    def to_json(self) -> dict[str, object]:
        """``file`` (the name ``logs --show`` takes), ``path``, ``name`` (what the writer
        named it after), ``started`` and ``modified`` (UTC, ISO 8601), ``size`` (bytes)
        and ``running``."""
        return {
            "file": self.path.name,
            "path": str(self.path),
            "name": self.name,
            "started": iso_utc(self.started),
            "modified": iso_utc(self.modified),
            "size": self.size,
            "running": self.running,
        }


def _held_by_a_writer(path: Path) -> bool:
    """Whether another process holds ``path``'s ``flock`` (a log being written)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)  # closing releases a lock this call took
    return False


def list_logs(directory: Path | None = None, *, instance: str | None = None) -> list[LogFile]:
    """The log files in ``directory`` (:func:`log_directory`), oldest first.

    Only regular files named as :func:`open_log` names them count; with
    ``instance``, only that instance's. A missing directory holds none.
    """
    directory = log_directory() if directory is None else directory
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    except OSError as error:
        raise FileAccessError(
            f"cannot list the log files in {directory}: {error.strerror}"
        ) from None
    found: list[tuple[float, int, LogFile]] = []
    for entry in entries:
        match = _LOG_NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # removed meanwhile
        log = LogFile(
            path=Path(entry.path),
            name=match["name"],
            started=float(calendar.timegm(time.strptime(match["stamp"], _STAMP))),
            modified=info.st_mtime,
            size=info.st_size,
            running=_held_by_a_writer(Path(entry.path)),
        )
        if instance is None or log.for_instance(instance):
            found.append((log.started, int(match["n"] or 0), log))
    return [log for _started, _n, log in sorted(found, key=lambda item: item[:2])]


@attrs.frozen(kw_only=True)
class PruneResult:
    """What :func:`prune_logs` removed (or would, on a dry run), and what it kept running."""

    removed: tuple[LogFile, ...]
    running: tuple[LogFile, ...]
    dry_run: bool

    def to_json(self) -> dict[str, object]:
        """``logs --prune --format json``: ``removed``, ``kept_running`` and ``dry_run``."""
        return {
            "removed": [log.to_json() for log in self.removed],
            "kept_running": [log.to_json() for log in self.running],
            "dry_run": self.dry_run,
        }


@attrs.frozen(kw_only=True)
class LogListing:
    """The log files :func:`list_logs` found in ``directory``, oldest first."""

    directory: Path
    logs: tuple[LogFile, ...]

    def to_json(self) -> dict[str, object]:
        """``logs --format json``: ``directory`` and ``logs``."""
        return {"directory": str(self.directory), "logs": [log.to_json() for log in self.logs]}


def prune_logs(
    logs: Sequence[LogFile],
    *,
    now: float,
    older_than: float | None = None,
    keep: int | None = None,
    dry_run: bool = False,
) -> PruneResult:
    """Remove the ``logs`` last written more than ``older_than`` seconds before ``now``,
    and all but the newest ``keep`` of them (either, or both).

    A log that a live process is writing is never removed: it is checked
    again just before removal. ``now`` is wall time (``Clock.time()``).
    """
    if older_than is None and keep is None:
        raise ValueError("prune_logs needs older_than, keep or both")
    ordered = sorted(logs, key=lambda log: log.started)
    doomed: set[Path] = set()
    if keep is not None:
        doomed.update(log.path for log in ordered[: max(len(ordered) - keep, 0)])
    if older_than is not None:
        doomed.update(log.path for log in ordered if now - log.modified > older_than)
    removed: list[LogFile] = []
    running: list[LogFile] = []
    for log in ordered:
        if log.path not in doomed:
            continue
        if log.running or _held_by_a_writer(log.path):
            running.append(log)
            continue
        if not dry_run:
            try:
                log.path.unlink()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise FileAccessError(
                    f"cannot remove the log file {log.path}: {error.strerror}"
                ) from None
        removed.append(log)
    return PruneResult(removed=tuple(removed), running=tuple(running), dry_run=dry_run)


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
