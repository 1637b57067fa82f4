"""Reading the files a person names: regular files only, bounded, one sentence per failure.

See :mod:`lpsigning_mojo.files` for the rules.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import Any

from lpsigning_mojo.errors import (
    ConfigError,
    FileAccessError,
    FileTooLargeError,
    LpsigningMojoError,
)

__all__ = ["MAX_FILE_BYTES", "read_bytes", "read_text", "read_toml", "resolved"]

#: The most bytes read from one file. Bundles, manifests and configuration
#: files are a few kilobytes; a larger file is refused rather than read.
MAX_FILE_BYTES = 16 * 2**20


# -- paths and errors ------------------------------------------------------------


def resolved(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute with its symbolic links followed (as far as they exist).

    A loop of symbolic links is a :class:`~lpsigning_mojo.errors.FileAccessError`
    (:meth:`pathlib.Path.resolve` raises ``RuntimeError`` for it before Python 3.13).
    """
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as error:
        if isinstance(error, OSError) and error.errno != errno.ELOOP:
            raise _access_error(os.fspath(path), error) from None
        raise FileAccessError(
            f"{os.fspath(path)}: a loop of symbolic links",
            hint="point the link at the file itself",
        ) from None


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _refuse_special(display: str, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise FileAccessError(
            f"{display}: is a directory, not a file",
            hint="name the file itself (for example bundle.yaml)",
        )
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    raise FileAccessError(f"{display}: is {kind}, not a regular file", hint="name a regular file")


_REASONS = {
    errno.ENOENT: ("no such file", "check the path"),
    errno.ELOOP: ("a loop of symbolic links", "point the link at the file itself"),
    errno.ENOTDIR: ("a part of the path is not a directory", "check the path"),
    errno.EISDIR: (
        "is a directory, not a file",
        "name the file itself (for example bundle.yaml)",
    ),
    errno.ENAMETOOLONG: ("the path is too long", None),
    errno.EROFS: ("it is on a read-only file system", None),
    errno.ENOSPC: ("no space left on the device", "free some space and run the command again"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space and run the command again"),
    errno.EPERM: (
        "the operation is not permitted (is it immutable or append-only? see lsattr)",
        None,
    ),
}


def _os_failure(display: str, error: OSError, *, doing: str = "", unchanged: bool = False) -> str:
    reason, _ = _REASONS.get(error.errno or 0, (None, None))
    if reason is None:
        reason = f"{doing} failed ({error.strerror})" if doing else f"{error.strerror}"
    message = f"{display}: {reason}"
    if unchanged:
        message += "; the file was not changed"
    return message


def _access_error(
    display: str,
    error: OSError,
    *,
    doing: str = "",
    unchanged: bool = False,
    denied_hint: str | None = None,
) -> FileAccessError:
    if error.errno == errno.EACCES:
        message = f"{display}: permission denied" + (
            "; the file was not changed" if unchanged else ""
        )
        return FileAccessError(message, hint=denied_hint)
    _, hint = _REASONS.get(error.errno or 0, (None, None))
    return FileAccessError(_os_failure(display, error, doing=doing, unchanged=unchanged), hint=hint)


# -- reading ---------------------------------------------------------------------


def _open_regular(
    path: str | os.PathLike[str],
    flags: int,
    *,
    display: str | None = None,
    unchanged: bool = False,
    denied_hint: str | None = None,
) -> tuple[int, os.stat_result]:
    """An open descriptor of the regular file ``path``, and its status.

    The path is checked before it is opened (so no device or FIFO is ever
    opened), opened without blocking, and checked again once open (it may
    have been replaced in between). ``display`` names the file in messages.
    """
    display = display or os.fspath(path)
    try:
        _refuse_special(display, os.stat(path).st_mode)
        descriptor = os.open(
            path, flags | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
        )
    except OSError as error:
        raise _access_error(
            display, error, doing="opening it", unchanged=unchanged, denied_hint=denied_hint
        ) from None
    try:
        status = os.fstat(descriptor)
        _refuse_special(display, status.st_mode)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, status


def _read_descriptor(descriptor: int, display: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
        except OSError as error:
            raise _access_error(display, error, doing="reading it") from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise FileTooLargeError(
                f"{display}: the file is larger than {_size(limit)}, "
                "which is more than any bundle, manifest or configuration file needs",
                limit=limit,
                hint="is this the right file?",
            )


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit} bytes"


def read_bytes(path: str | os.PathLike[str], *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises :class:`~lpsigning_mojo.errors.FileAccessError` for a missing or
    unreadable file, a directory, FIFO, socket or device (without blocking),
    and :class:`~lpsigning_mojo.errors.FileTooLargeError` for a file larger
    than ``limit``.
    """
    descriptor, _ = _open_regular(path, os.O_RDONLY)
    try:
        return _read_descriptor(descriptor, os.fspath(path), limit)
    finally:
        os.close(descriptor)


def _decode(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileAccessError(
            f"{display}: not UTF-8 text (byte {error.start} cannot be decoded)",
            hint="is this the right file?",
        ) from None


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of ``path`` (UTF-8), keeping its line endings; see :func:`read_bytes`."""
    return _decode(read_bytes(path), os.fspath(path))


def read_toml(
    path: str | os.PathLike[str], *, error: type[LpsigningMojoError] = ConfigError
) -> dict[str, Any]:
    """The TOML table in ``path``; a syntax error is an ``error`` naming the file and place."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10
        import tomli as tomllib
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as failure:
        raise error(f"{os.fspath(path)}: not valid TOML: {failure}", hint="fix it") from None
    except RecursionError:
        raise error(
            f"{os.fspath(path)}: not valid TOML: it nests too deeply", hint="fix it"
        ) from None
