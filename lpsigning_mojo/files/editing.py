"""Editing the files a person names: locked, atomic, keeping what a plain write keeps.

See :func:`edit_text`, and :mod:`lpsigning_mojo.files` for the rules.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import signal
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.errors import FileAccessError
from lpsigning_mojo.files.reading import (
    MAX_FILE_BYTES,
    _access_error,
    _decode,
    _open_regular,
    _read_descriptor,
)

if TYPE_CHECKING:
    from lpsigning_mojo.clock import Clock

__all__ = ["LOCK_TIMEOUT", "Edited", "edit_text", "signals_clean_up"]

#: How long (seconds) :func:`edit_text` waits for another edit of the same
#: file to finish before it gives up without changing anything.
LOCK_TIMEOUT = 60.0

#: How often (seconds) a waiting edit tries the lock again.
_LOCK_POLL = 0.05

#: The signals (besides SIGINT, which Python turns into KeyboardInterrupt)
#: after which an edit removes its temporary file before the process ends.
_CLEANUP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Edited:
    """What :func:`edit_text` did.

    ``path`` is the file that was read (and written, when ``changed``): the
    file a symbolic link points to, not the link. ``text`` is the text it
    holds now. ``notes`` are sentences a person should see: a stale
    temporary file that was removed, an owner or group that could not be
    kept, a link that was followed.
    """

    path: Path
    changed: bool
    text: str
    notes: tuple[str, ...] = ()


class _Signalled(BaseException):
    """A signal arrived while a temporary file existed; it is re-sent after clean-up."""

    def __init__(self, number: int) -> None:
        super().__init__(f"ended by {signal.Signals(number).name}")
        self.number = number


@contextmanager
def signals_clean_up() -> Iterator[None]:
    """Turn SIGTERM, SIGHUP and SIGQUIT into :class:`_Signalled` meanwhile, if they would kill.

    The block's clean-up (``finally``, ``with``) runs, then the signal is sent
    again with its default action, so the process ends as the signal says.
    """

    def handler(number: int, frame: FrameType | None) -> None:
        raise _Signalled(number)

    previous: dict[int, Any] = {}
    for number in _CLEANUP_SIGNALS:
        try:
            if signal.getsignal(number) is signal.SIG_DFL:
                previous[number] = signal.signal(number, handler)
        except ValueError:  # not the main thread: signals cannot be caught here
            break
    try:
        yield
    except _Signalled as signalled:
        for number, old in previous.items():
            signal.signal(number, old)
        previous.clear()
        os.kill(os.getpid(), signalled.number)  # the default action: end as the signal says
        raise  # pragma: no cover - only if the signal did not end the process
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _temporary_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\.([0-9]{{1,10}})\.[0-9a-f]{{8}}\.tmp")


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return True  # not a process id this module writes: leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _remove_stale_temporaries(target: Path) -> list[str]:
    """Remove the temporary files of edits of ``target`` whose process has ended.

    Such a file is left only when an edit is killed with SIGKILL (or the
    machine stops) between writing it and renaming it: that edit never
    happened, and the file holds the text it had before. A temporary file
    whose process id is in use again is left until that process ends.
    """
    pattern = _temporary_pattern(target.name)
    notes: list[str] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return notes
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None or int(found[1]) == os.getpid() or _process_alive(int(found[1])):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        notes.append(
            f"Removed {entry.path}, left by an edit that was killed before it finished "
            f"(process {found[1]}); that edit never changed the file."
        )
    return notes


def _user(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _keep_owner(descriptor: int, original: os.stat_result, display: str) -> list[str]:
    """Give the temporary file the original's owner and group, where this process may."""
    current = os.fstat(descriptor)
    if (current.st_uid, current.st_gid) == (original.st_uid, original.st_gid):
        return []
    try:
        os.fchown(descriptor, original.st_uid, original.st_gid)
        return []
    except PermissionError:
        pass
    if current.st_gid != original.st_gid:
        with suppress(PermissionError):
            os.fchown(descriptor, -1, original.st_gid)
    now = os.fstat(descriptor)
    notes: list[str] = []
    if now.st_uid != original.st_uid:
        notes.append(
            f"{display} is now owned by {_user(now.st_uid)}, not {_user(original.st_uid)}: "
            "an edit replaces the file, and only root can give a file to another user."
        )
    if now.st_gid != original.st_gid:
        notes.append(
            f"{display} now has the group {_group(now.st_gid)}, not "
            f"{_group(original.st_gid)}: you are not a member of that group."
        )
    return notes


def _write_all(descriptor: int, data: bytes) -> None:
    """The write chokepoint: all of ``data`` to ``descriptor``, then to the disk."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]
    os.fsync(descriptor)


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _unchanged_since(a: os.stat_result, b: os.stat_result) -> bool:
    return _same_file(a, b) and (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns)


def _lock(
    descriptor: int, display: str, clock: Clock, deadline: float, timeout: float
) -> str | None:
    """Take the exclusive lock; a note when the file system cannot lock at all."""
    import fcntl

    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None
        except BlockingIOError:
            pass
        except OSError as error:
            if error.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                return (
                    f"The file system holding {display} cannot lock files; the edit checked "
                    "instead that the file did not change while it was being made."
                )
            raise _access_error(display, error, doing="locking it", unchanged=True) from None
        if clock.monotonic() >= deadline:
            raise FileAccessError(
                f"{display}: another edit of this file has held it for {timeout:g} seconds; "
                "the file was not changed",
                hint="run the command again once that edit has finished",
            )
        clock.sleep(_LOCK_POLL)


def _open_for_edit(
    path: str | os.PathLike[str], clock: Clock, deadline: float, timeout: float
) -> tuple[int, os.stat_result, Path, list[str]]:
    """The locked descriptor of the file ``path`` names, its status, its real path, notes."""
    display = os.fspath(path)
    while True:
        try:
            os.stat(path)  # a missing file or a loop of links, named as the person wrote it
        except OSError as error:
            raise _access_error(display, error, unchanged=True) from None
        real = Path(os.path.realpath(path))
        # Write access is asked for, so an edit needs what a plain write needs: a
        # read-only file, or one this user may not write, is refused before anything.
        descriptor, _ = _open_regular(
            real, os.O_RDWR, display=display, unchanged=True, denied_hint=_write_hint(real)
        )
        try:
            note = _lock(descriptor, display, clock, deadline, timeout)
            try:
                current = os.stat(real)
            except OSError:
                current = None
            if current is not None and _same_file(current, os.fstat(descriptor)):
                return descriptor, os.fstat(descriptor), real, [note] if note else []
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)  # replaced by another edit while we waited: read the new file
        if clock.monotonic() >= deadline:
            raise FileAccessError(
                f"{display}: the file kept being replaced for {timeout:g} seconds; "
                "the file was not changed",
                hint="run the command again once the other edits have finished",
            )


def _write_hint(real: Path) -> str | None:
    try:
        status = os.stat(real)
    except OSError:
        return None
    if status.st_uid == os.geteuid() and not status.st_mode & stat.S_IWUSR:
        return (
            f"it is read-only (mode {stat.S_IMODE(status.st_mode):04o}); make it writable "
            "(chmod u+w) if you mean to change it"
        )
    return "you need write permission on the file to edit it"


def edit_text(
    path: str | os.PathLike[str],
    change: Callable[[str], str | None],
    *,
    clock: Clock | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> Edited:
    """Replace the text of ``path`` with ``change(text)``, holding the file locked meanwhile.

    ``change`` receives the file's text (UTF-8, line endings kept) and
    returns the new text, or ``None`` (or the same text) to leave the file as
    it is. It runs while this process holds an exclusive lock on the file,
    so another :func:`edit_text` of the same file waits (at most
    ``lock_timeout`` seconds, then raises) and then sees this edit's result:
    no update is lost. The new text goes to a temporary file beside the
    file, which then replaces it atomically. Before it does, the file is
    checked once more: a program that does not take the lock and changed the
    file meanwhile makes the edit fail rather than undo its change.

    ``path`` may be a symbolic link: the file it points to is edited, and
    the link stays a link. Refused, with the file left as it was:

    * a file this process may not write (a read-only file, even one you own,
      or one without write permission for you) or an immutable one: an edit
      needs the permission a plain write would need;
    * a file with more than one hard link: replacing it would leave the
      other names holding the old text, and writing it in place would not be
      atomic;
    * anything but a regular file, or a file over :data:`MAX_FILE_BYTES`.

    The new file keeps the old one's mode, owner and group; where this
    process may not give it the owner or group (only root can give a file
    away), a note says so. A write that fails (a full disk, an I/O error)
    removes the temporary file and raises; so does SIGINT, SIGTERM, SIGHUP
    or SIGQUIT, which then ends the process as it would have. A temporary
    file left by an edit killed outright (SIGKILL) is removed by the next
    edit of that file, with a note.
    """
    if clock is None:
        from lpsigning_mojo.clock import SYSTEM_CLOCK

        clock = SYSTEM_CLOCK
    display = os.fspath(path)
    deadline = clock.monotonic() + lock_timeout
    descriptor, status, real, notes = _open_for_edit(path, clock, deadline, lock_timeout)
    try:
        if status.st_nlink > 1:
            raise FileAccessError(
                f"{display}: the file has {status.st_nlink} hard links, and an edit replaces "
                "it with a new file, which would leave the other names holding the old text; "
                "the file was not changed",
                hint="replace the other names with symbolic links, or edit a copy",
            )
        text = _decode(_read_descriptor(descriptor, display, MAX_FILE_BYTES), display)
        new = change(text)
        if new is None or new == text:
            return Edited(path=real, changed=False, text=text, notes=tuple(notes))
        if os.path.islink(path):
            notes.append(f"{display} is a symbolic link; the edit changed {real}, its target.")
        notes += _remove_stale_temporaries(real)
        _replace(real, display, new.encode("utf-8"), status, descriptor, notes)
        return Edited(path=real, changed=True, text=new, notes=tuple(notes))
    finally:
        os.close(descriptor)  # releases the lock


def _replace(
    real: Path,
    display: str,
    data: bytes,
    original: os.stat_result,
    locked: int,
    notes: list[str],
) -> None:
    """Write ``data`` to a temporary file beside ``real``, then rename it over ``real``."""
    temporary = ""
    with signals_clean_up():
        try:
            temporary = str(real.with_name(f".{real.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"))
            descriptor = os.open(
                temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600
            )
            try:
                notes += _keep_owner(descriptor, original, display)
                os.fchmod(descriptor, stat.S_IMODE(original.st_mode))
                _write_all(descriptor, data)
            finally:
                os.close(descriptor)
            now = os.stat(real)
            if not (
                _unchanged_since(now, original) and _unchanged_since(os.fstat(locked), original)
            ):
                raise FileAccessError(
                    f"{display}: another program changed the file while this edit was being "
                    "made; the file was not changed",
                    hint="run the command again to edit the file as it is now",
                )
            os.replace(temporary, real)
            temporary = ""
        except OSError as error:
            raise _access_error(
                display, error, doing="writing the new text", unchanged=True
            ) from None
        finally:
            if temporary:
                with suppress(OSError):
                    os.unlink(temporary)
    _sync_directory(real.parent)


def _sync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
