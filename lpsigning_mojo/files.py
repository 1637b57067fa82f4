"""Reading and writing the files a person names, with errors a person can act on.

Writes are atomic: the new text goes to a temporary file beside the target,
which then replaces it, keeping its mode. An interrupted write leaves the old
file as it was.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from lpsigning_mojo.errors import ConfigError, FileAccessError

__all__ = ["atomic_write_text", "read_text", "read_toml"]


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of ``path`` (UTF-8), keeping its line endings."""
    target = Path(path)
    try:
        with target.open("r", encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise FileAccessError(f"{target}: no such file", hint="check the path") from None
    except IsADirectoryError:
        raise FileAccessError(
            f"{target}: is a directory, not a file",
            hint="name the file itself (for example bundle.yaml)",
        ) from None
    except PermissionError:
        raise FileAccessError(f"{target}: permission denied") from None
    except UnicodeDecodeError as error:
        raise FileAccessError(
            f"{target}: not UTF-8 text (byte {error.start} cannot be decoded)",
            hint="is this the right file?",
        ) from None
    except OSError as error:
        raise FileAccessError(f"{target}: cannot be read ({error.strerror})") from None


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The TOML table in ``path``; a syntax error names the file and the place."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10
        import tomli as tomllib
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{os.fspath(path)}: not valid TOML: {error}", hint="fix it") from None


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace the contents of ``path`` with ``text`` atomically, keeping its mode."""
    target = Path(path)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise FileAccessError(f"{target}: cannot write beside it ({error.strerror})") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
