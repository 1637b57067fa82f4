"""What git reports, as values, and :class:`Git`, what the library needs of a repository."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import attrs

__all__ = ["Change", "Commit", "DirtyPath", "Git", "Upstream", "WorkTreeStatus"]


@attrs.frozen(kw_only=True)
class DirtyPath:
    """A path whose content differs from HEAD, or that git does not track.

    ``code`` is git's two-letter status (``git status --porcelain=v2``):
    the index, then the work tree, ``.`` for unchanged (``".M"``: changed,
    not staged; ``"A."``: added), ``"??"`` for an untracked path, and
    ``U`` in either place for a conflict.
    """

    code: str
    path: str

    def describe(self) -> str:
        """``"PATH (modified)"``, for messages."""
        if self.code == "??":
            kind = "untracked"
        elif "U" in self.code or self.code in ("AA", "DD"):
            kind = "conflicted"
        else:
            words = {"M": "modified", "A": "added", "D": "deleted", "T": "type changed"}
            kind = ", ".join(dict.fromkeys(words.get(c, "changed") for c in self.code if c != "."))
        return f"{self.path} ({kind})"


@attrs.frozen(kw_only=True)
class WorkTreeStatus:
    """The current branch, how it stands against its upstream, and what is not committed.

    ``branch`` is ``None`` on a detached HEAD; ``head`` is ``None`` before the
    first commit. ``ahead`` and ``behind`` count commits against the
    remote-tracking branch as last fetched (``None`` without one): fetch
    first to compare with the remote as it is now.
    """

    branch: str | None
    head: str | None
    ahead: int | None = None
    behind: int | None = None
    dirty: tuple[DirtyPath, ...] = ()

    @property
    def clean(self) -> bool:
        """Nothing is modified, staged, conflicted or untracked."""
        return not self.dirty


@attrs.frozen(kw_only=True)
class Upstream:
    """The remote branch that the current branch tracks.

    ``remote`` is the remote's name (``origin``), ``branch`` the branch's
    name on that remote, and ``tracking_ref`` the local ref that a fetch
    updates (``refs/remotes/origin/main``).
    """

    local_branch: str
    remote: str
    branch: str
    tracking_ref: str


@attrs.frozen(kw_only=True)
class Change:
    """One path a commit changed (renames appear as a deletion and an addition).

    ``status`` is ``A`` (added), ``M`` (modified), ``D`` (deleted) or ``T``
    (type changed); ``old_blob`` and ``new_blob`` are the object ids of the
    content before and after (``None`` for a side that does not exist); read
    them with :meth:`Git.read_blobs`.
    """

    status: str
    path: str
    old_blob: str | None
    new_blob: str | None


@attrs.frozen(kw_only=True)
class Commit:
    """A commit as ``git log`` reports it.

    ``message`` is the full message; parse it with
    :func:`lpsigning_mojo.commits.parse_message`. ``changes`` (when asked
    for) lists the paths it changed against its first parent; ``patch``
    (when asked for) is the diff as text. A merge has no changes unless the
    log follows first parents.
    """

    id: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: dt.datetime
    committer_name: str
    committer_email: str
    committed_at: dt.datetime
    message: str
    changes: tuple[Change, ...] = ()
    patch: str | None = None

    @property
    def is_merge(self) -> bool:
        """It has more than one parent."""
        return len(self.parents) > 1


# ---------------------------------------------------------------------------
# The Protocol


class Git(Protocol):
    """What the release steps and the change log need of one git repository."""

    def status(self) -> WorkTreeStatus:
        """The branch, its distance from its upstream (as last fetched), and what is dirty."""
        ...

    def upstream(self) -> Upstream:
        """The remote branch the current branch tracks.

        :class:`~lpsigning_mojo.errors.GitNoUpstreamError` when there is none.
        """
        ...

    def fetch(self, remote: str) -> None:
        """Fetch ``remote``, updating its remote-tracking branches."""
        ...

    def commit(self, paths: Sequence[str], message: str) -> str:
        """Commit the current content of ``paths`` (only those) with ``message``; the new id."""
        ...

    def push(self, remote: str, branch: str, *, revision: str = "HEAD") -> None:
        """Push ``revision`` to ``branch`` on ``remote``, never forcing.

        :class:`~lpsigning_mojo.errors.GitPushRejectedError` when the remote
        branch moved on; :class:`~lpsigning_mojo.errors.GitPushError` for
        any other failure.
        """
        ...

    def rebase(self, onto: str) -> str:
        """Rebase the current branch onto ``onto``; the new HEAD.

        On conflicts the rebase is aborted (the branch is unchanged) and
        :class:`~lpsigning_mojo.errors.GitRebaseConflictError` names the paths.
        """
        ...

    def rev_parse(self, revision: str) -> str:
        """The full id of the commit ``revision`` names."""
        ...

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether ``ancestor`` is ``descendant`` or one of its ancestors."""
        ...

    def show(self, revision: str, path: str) -> str:
        """The text of ``path`` at ``revision`` (UTF-8).

        ``path`` is relative to the repository root, or to the directory git
        runs in when written ``./PATH``.
        """
        ...

    def log(
        self,
        until: str = "HEAD",
        *,
        since: str | None = None,
        paths: Sequence[str] = (),
        changes: bool = False,
        patch: bool = False,
        first_parent: bool = False,
    ) -> tuple[Commit, ...]:
        """The commits reachable from ``until`` but not from ``since``, newest first.

        One ``git log`` process however long the range. ``paths`` keeps only
        commits that changed them; ``changes`` lists the changed paths of
        each commit, ``patch`` adds the diff as text (both limited to
        ``paths`` when given). ``first_parent`` follows only first parents
        (the branch's own line) and compares each merge with its first parent.
        """
        ...

    def read_blobs(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        """The content of each blob in ``ids`` (from :attr:`Change.new_blob`), in one process."""
        ...
