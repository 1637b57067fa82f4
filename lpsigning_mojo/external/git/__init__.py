"""git: the state, history and changes of a repository, read and made with ``git``.

:class:`GitCli` runs ``git`` as a subprocess in one repository (the Mojo spec,
or a clone of lp-signing for its commit messages), every call through one
private method that sets the time limit, the environment and the options
that keep git's output parseable whatever the user's configuration says.
Code that needs git receives a :class:`Git`; tests pass
:class:`lpsigning_mojo.testing.FakeGit`.

Arguments built from user input are never read as options: a revision,
remote or branch that starts with ``-`` is refused
(:class:`~lpsigning_mojo.errors.GitArgumentError`) before git runs, and
every command that takes one also gets ``--end-of-options``. Paths always
follow ``--`` and are literal (``GIT_LITERAL_PATHSPECS``), never patterns.
Needs git 2.31 or later (Ubuntu 22.04 ships 2.34).
"""

from __future__ import annotations

from lpsigning_mojo.external.git.arguments import check_revision
from lpsigning_mojo.external.git.cli import GitCli
from lpsigning_mojo.external.git.model import (
    Change,
    Commit,
    DirtyPath,
    Git,
    Upstream,
    WorkTreeStatus,
)

__all__ = [
    "Change",
    "Commit",
    "DirtyPath",
    "Git",
    "GitCli",
    "Upstream",
    "WorkTreeStatus",
    "check_revision",
]
