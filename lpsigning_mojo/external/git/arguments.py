"""Checks that keep an argument built from user input from being read as a git option."""

from __future__ import annotations

import re

from lpsigning_mojo.errors import GitArgumentError

__all__ = ["check_branch", "check_object_id", "check_path", "check_remote", "check_revision"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BRANCH_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|^/|/$|\.lock$|^\.|/\.")
_OBJECT_ID = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")


def check_revision(revision: str, *, what: str = "revision") -> str:
    """``revision``, if git cannot mistake it for an option.

    Else :class:`~lpsigning_mojo.errors.GitArgumentError`: a revision may not
    be empty, start with ``-``, or hold control characters
    (a newline, a NUL).
    """
    if not revision:
        raise GitArgumentError(f"The {what} is empty", hint="Name a commit, a branch or a tag")
    if revision.startswith("-"):
        raise GitArgumentError(
            f"{revision!r} is not a valid {what}: it starts with '-', "
            "which git would read as an option",
            hint="Name a commit, a branch or a tag (HEAD~1, main, 0a1b2c3)",
        )
    if _CONTROL.search(revision):
        raise GitArgumentError(
            f"{revision!r} is not a valid {what}: it holds a control character",
            hint="Name a commit, a branch or a tag",
        )
    return revision


def check_remote(remote: str) -> str:
    check_revision(remote, what="remote")
    if any(c.isspace() for c in remote):
        raise GitArgumentError(f"{remote!r} is not a valid remote: it holds white space")
    return remote


def check_branch(branch: str) -> str:
    check_revision(branch, what="branch name")
    if _BRANCH_FORBIDDEN.search(branch) or branch in ("@", "HEAD"):
        raise GitArgumentError(
            f"{branch!r} is not a valid branch name",
            hint="See git check-ref-format for what a branch name may hold",
        )
    return branch


def check_path(path: str) -> str:
    if not path or "\x00" in path:
        raise GitArgumentError(f"{path!r} is not a valid path")
    return path


def check_object_id(object_id: str) -> str:
    """``object_id`` if it is a full object id (40 or 64 hexadecimal digits)."""
    if not _OBJECT_ID.match(object_id):
        raise GitArgumentError(f"{object_id!r} is not a full object id")
    return object_id
