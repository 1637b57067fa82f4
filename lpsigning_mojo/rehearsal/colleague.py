"""A colleague who pushes to the spec while you release (the rehearsal's ``push-race``).

:func:`push_on_next_commit` installs a ``post-commit`` hook in your clone:
the next commit you make (the release's own) makes the colleague push a
commit of theirs to the remote first, from their own clone, and removes the
hook. Your push is then rejected because the remote moved on, as it is when
two people release at once. The hook runs ``python -m
lpsigning_mojo.rehearsal.colleague``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["NOTE", "main", "push_on_next_commit"]

#: The file of the spec the colleague changes, and the line they add.
NOTE = ("README.md", "Reviewed the on-call notes for this week's rollouts.")
MODULE = "lpsigning_mojo.rehearsal.colleague"
_NAME = ("Another Releaser", "another@rehearsal.invalid")


def push_on_next_commit(clone: Path, remote: Path, work: Path, spec: str) -> Path:
    """Install the hook in ``clone``; the colleague's clone of ``remote`` will be ``work``.

    ``spec`` is the spec directory in the repository (``spec/lp-signing``).
    Returns the hook's path.
    """
    hooks = clone / ".git" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    hook = hooks / "post-commit"
    argv = [sys.executable, "-m", MODULE, str(remote), str(work), f"{spec}/{NOTE[0]}", str(hook)]
    hook.write_text(f"#!/bin/sh\nexec {shlex.join(argv)}\n", encoding="utf-8")
    hook.chmod(0o755)
    return hook


def _git(cwd: Path, *args: str) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    identity = {
        "GIT_AUTHOR_NAME": _NAME[0],
        "GIT_AUTHOR_EMAIL": _NAME[1],
        "GIT_COMMITTER_NAME": _NAME[0],
        "GIT_COMMITTER_EMAIL": _NAME[1],
    }
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
        cwd=cwd,
        env={**environ, **identity, "GIT_CONFIG_NOSYSTEM": "1"},
        check=True,
        capture_output=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``REMOTE WORK PATH HOOK``: clone, change PATH, commit, push; remove HOOK."""
    remote, work, path, hook = (Path(arg) for arg in (sys.argv[1:] if argv is None else argv))
    hook.unlink(missing_ok=True)  # once
    if not work.exists():
        _git(remote.parent, "clone", "-q", str(remote), str(work))
    else:
        _git(work, "pull", "-q", "--ff-only")
    with (work / path).open("a", encoding="utf-8") as file:
        file.write(f"\n{NOTE[1]}\n")
    _git(work, "commit", "-q", "-a", "-m", f"Note the on-call review in {path.name}")
    _git(work, "push", "-q", "origin", "HEAD")
    return 0


if __name__ == "__main__":
    sys.exit(main())
