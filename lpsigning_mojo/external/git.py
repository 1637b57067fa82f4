"""git, for reading files as they were at a revision of the spec repository."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from lpsigning_mojo.errors import FileAccessError

__all__ = ["Git", "GitCli"]


class Git(Protocol):
    """What the library needs of git."""

    def show(self, revision: str, path: str) -> str:
        """The text of ``path`` at ``revision`` (``git show REV:PATH``)."""
        ...


class GitCli:
    """git run as a subprocess in ``directory``."""

    def __init__(self, directory: str | os.PathLike[str] = ".") -> None:
        self.directory = Path(directory)

    def _run(self, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", *args], cwd=self.directory, capture_output=True, check=False, timeout=60
            )
        except FileNotFoundError:
            raise FileAccessError("git is not installed", hint="install git") from None
        except subprocess.TimeoutExpired:
            raise FileAccessError(f"git {' '.join(args)} took longer than 60 s") from None

    def show(self, revision: str, path: str) -> str:
        result = self._run(["show", f"{revision}:{path}"])
        if result.returncode != 0:
            reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise FileAccessError(
                f"cannot read {path} at git revision {revision}: "
                f"{reason[-1] if reason else 'git failed'}",
                hint="use REV:PATH with a path relative to the current directory (./bundle.yaml) "
                "or to the repository root",
            )
        try:
            return result.stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise FileAccessError(f"{revision}:{path} is not UTF-8 text") from None
