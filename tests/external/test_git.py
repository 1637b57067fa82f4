"""The git adapter against real repositories: a bare "remote" and clones, in temp directories."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from lpsigning_mojo.cli import main
from lpsigning_mojo.commits import bug_references, parse_message, reverted_commit
from lpsigning_mojo.errors import (
    FileAccessError,
    GitArgumentError,
    GitCommandError,
    GitError,
    GitIdentityError,
    GitNotFoundError,
    GitNothingToCommitError,
    GitNoUpstreamError,
    GitPushError,
    GitPushRejectedError,
    GitRebaseConflictError,
    GitRepositoryError,
    GitRevisionError,
    GitTimeoutError,
    LpsigningMojoError,
)
from lpsigning_mojo.external.git import Change, DirtyPath, Git, GitCli, Upstream, WorkTreeStatus
from lpsigning_mojo.testing import FakeGit, UnexpectedCallError
from tests.conftest import REPO_ROOT

IDENTITY = {
    "GIT_AUTHOR_NAME": "Alice Example",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Bob Example",
    "GIT_COMMITTER_EMAIL": "bob@example.com",
}


def git(
    cwd: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    """Set-up: run git directly (the library's own calls go through GitCli)."""
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode("utf-8", "replace")


def commit_file(repo: Path, name: str, text: str, message: str) -> str:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    git(repo, "add", "--", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@dataclasses.dataclass
class Repos:
    remote: Path
    clone: Path
    other: Path  # a second clone: "someone else"

    @property
    def cli(self) -> GitCli:
        return GitCli(self.clone)


@pytest.fixture(autouse=True)
def identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def repos(tmp_path: Path) -> Repos:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    commit_file(clone, "bundle.yaml", "applications: {}\n", "Start the spec")
    git(clone, "push", "-q", "-u", "origin", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    return Repos(remote=remote, clone=clone, other=other)


def count_calls(monkeypatch: pytest.MonkeyPatch) -> list[Sequence[str]]:
    """Record the argument list of every call of the chokepoint."""
    calls: list[Sequence[str]] = []
    original = GitCli._git

    def counting(self: GitCli, args: Sequence[str], **kwargs: bytes | None) -> object:
        calls.append(list(args))
        return original(self, args, **kwargs)

    monkeypatch.setattr(GitCli, "_git", counting)
    return calls


# -- the work tree ----------------------------------------------------------


def test_a_fresh_clone_is_clean_and_level_with_its_upstream(repos: Repos) -> None:
    status = repos.cli.status()
    assert status.clean
    assert status.branch == "main"
    assert status.head == git(repos.clone, "rev-parse", "HEAD").strip()
    assert (status.ahead, status.behind) == (0, 0)


def test_dirty_paths_say_what_is_dirty(repos: Repos) -> None:
    (repos.clone / "bundle.yaml").write_text("changed\n")
    (repos.clone / "new file.txt").write_text("x")
    (repos.clone / "line\nbreak").write_text("x")
    (repos.clone / "staged").write_text("x")
    git(repos.clone, "add", "staged")
    status = repos.cli.status()
    assert not status.clean
    assert set(status.dirty) == {
        DirtyPath(code=".M", path="bundle.yaml"),
        DirtyPath(code="??", path="new file.txt"),
        DirtyPath(code="??", path="line\nbreak"),
        DirtyPath(code="A.", path="staged"),
    }
    described = {path.describe() for path in status.dirty}
    assert "bundle.yaml (modified)" in described
    assert "new file.txt (untracked)" in described
    assert "staged (added)" in described


def test_a_conflict_is_described_as_one(repos: Repos) -> None:
    assert DirtyPath(code="UU", path="f").describe() == "f (conflicted)"


def test_the_upstream_names_the_remote_and_its_branch(repos: Repos) -> None:
    assert repos.cli.upstream() == Upstream(
        local_branch="main",
        remote="origin",
        branch="main",
        tracking_ref="refs/remotes/origin/main",
    )


def test_no_upstream_is_a_clear_error(repos: Repos) -> None:
    git(repos.clone, "switch", "-q", "-c", "local-only")
    with pytest.raises(GitNoUpstreamError, match="tracks no remote branch") as error:
        repos.cli.upstream()
    assert "git branch --set-upstream-to" in str(error.value)
    assert repos.cli.status().ahead is None


def test_a_detached_head_has_no_upstream(repos: Repos) -> None:
    git(repos.clone, "switch", "-q", "--detach")
    assert repos.cli.status().branch is None
    with pytest.raises(GitNoUpstreamError, match="not on a branch"):
        repos.cli.upstream()


def test_behind_shows_only_after_a_fetch(repos: Repos) -> None:
    commit_file(repos.other, "bundle.yaml", "theirs\n", "Their change")
    git(repos.other, "push", "-q")
    assert repos.cli.status().behind == 0  # not fetched yet
    repos.cli.fetch("origin")
    status = repos.cli.status()
    assert (status.ahead, status.behind) == (0, 1)
    commit_file(repos.clone, "other.txt", "mine\n", "My change")
    status = repos.cli.status()
    assert (status.ahead, status.behind) == (1, 1)


def test_fetching_an_unknown_remote_fails_clearly(repos: Repos) -> None:
    with pytest.raises(GitCommandError, match="Cannot fetch from nowhere") as error:
        repos.cli.fetch("nowhere")
    assert error.value.exit_status not in (None, 0)
    assert "git fetch" in (error.value.command or "")


# -- committing -------------------------------------------------------------


def test_commit_commits_only_the_paths_given_and_returns_the_id(repos: Repos) -> None:
    (repos.clone / "bundle.yaml").write_text("applications: {a: {}}\n")
    (repos.clone / "unrelated.txt").write_text("leave me\n")
    message = "Upgrade lp-signing\n\nBody.\n\nLP: #12\n"
    commit_id = repos.cli.commit(["bundle.yaml"], message)
    assert commit_id == git(repos.clone, "rev-parse", "HEAD").strip()
    assert git(repos.clone, "log", "-1", "--format=%B") == message + "\n"
    assert git(repos.clone, "show", "--name-only", "--format=", "HEAD").split() == ["bundle.yaml"]
    assert repos.cli.status().dirty == (DirtyPath(code="??", path="unrelated.txt"),)


def test_commit_adds_new_paths_with_awkward_names(repos: Repos) -> None:
    names = ["dir with space/file name.yaml", "new\nline", "-leading-dash", "*glob*"]
    for name in names:
        (repos.clone / name).parent.mkdir(parents=True, exist_ok=True)
        (repos.clone / name).write_text(name)
    (repos.clone / "*glob*-not-matched").write_text("x")
    repos.cli.commit(names, "Add awkward files\n")
    (commit,) = repos.cli.log(changes=True, until="HEAD", since="HEAD~1")
    assert sorted(change.path for change in commit.changes) == sorted(names)
    assert repos.cli.status().dirty == (DirtyPath(code="??", path="*glob*-not-matched"),)


def test_commit_keeps_lines_that_start_with_a_hash(repos: Repos) -> None:
    (repos.clone / "bundle.yaml").write_text("x\n")
    message = "Summary\n\n#123 is not a comment here\n"
    repos.cli.commit(["bundle.yaml"], message)
    assert repos.cli.log(since="HEAD~1")[0].message == message


def test_commit_without_an_identity_says_which_commands_to_run(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in IDENTITY:
        monkeypatch.delenv(name)
    monkeypatch.setenv("EMAIL", "guessed@example.com")
    (repos.clone / "bundle.yaml").write_text("x\n")
    with pytest.raises(GitIdentityError) as error:
        repos.cli.commit(["bundle.yaml"], "Summary\n")
    text = str(error.value)
    assert "git config --global user.name 'Your Name'" in text
    assert "git config --global user.email 'you@example.com'" in text
    assert git(repos.clone, "rev-list", "--count", "HEAD").strip() == "1"


def test_committing_an_unchanged_path_is_its_own_error(repos: Repos) -> None:
    with pytest.raises(GitNothingToCommitError, match=re.escape("bundle.yaml did not change")):
        repos.cli.commit(["bundle.yaml"], "Summary\n")


def test_a_hook_that_refuses_the_commit_is_reported_with_its_output(repos: Repos) -> None:
    hook = repos.clone / ".git" / "hooks" / "commit-msg"
    hook.write_text("#!/bin/sh\necho 'summary too long, says the hook' >&2\nexit 1\n")
    hook.chmod(0o755)
    (repos.clone / "bundle.yaml").write_text("x\n")
    with pytest.raises(GitCommandError, match="summary too long, says the hook") as error:
        repos.cli.commit(["bundle.yaml"], "Summary\n")
    assert not isinstance(error.value, GitNothingToCommitError)


# -- pushing and rebasing ---------------------------------------------------


def test_push_updates_the_remote_branch(repos: Repos) -> None:
    (repos.clone / "bundle.yaml").write_text("new\n")
    commit_id = repos.cli.commit(["bundle.yaml"], "Change\n")
    repos.cli.push("origin", "main")
    assert git(repos.remote, "rev-parse", "main").strip() == commit_id


def test_a_push_rejected_because_the_remote_moved_is_its_own_error(repos: Repos) -> None:
    commit_file(repos.other, "theirs.txt", "theirs\n", "Their change")
    git(repos.other, "push", "-q")
    before = git(repos.remote, "rev-parse", "main")
    commit_file(repos.clone, "mine.txt", "mine\n", "My change")
    with pytest.raises(
        GitPushRejectedError, match=re.escape("remote branch moved on (fetch first)")
    ) as error:
        repos.cli.push("origin", "main")
    assert not isinstance(error.value, GitPushError)
    assert "Fetch, rebase" in str(error.value)
    repos.cli.fetch("origin")  # now git knows the remote is ahead
    with pytest.raises(GitPushRejectedError, match="non-fast-forward"):
        repos.cli.push("origin", "main")
    assert git(repos.remote, "rev-parse", "main") == before


def test_after_a_rejection_rebase_then_push_succeeds(repos: Repos) -> None:
    commit_file(repos.other, "theirs.txt", "theirs\n", "Their change")
    git(repos.other, "push", "-q")
    commit_file(repos.clone, "mine.txt", "mine\n", "My change")
    with pytest.raises(GitPushRejectedError):
        repos.cli.push("origin", "main")
    upstream = repos.cli.upstream()
    repos.cli.fetch(upstream.remote)
    head = repos.cli.rebase(upstream.tracking_ref)
    assert head == git(repos.clone, "rev-parse", "HEAD").strip()
    assert repos.cli.is_ancestor(upstream.tracking_ref, head)
    repos.cli.push(upstream.remote, upstream.branch)
    assert git(repos.remote, "rev-parse", "main").strip() == head
    assert git(repos.remote, "log", "-1", "--format=%s", "main").strip() == "My change"


def test_a_rebase_with_conflicts_is_aborted_and_names_the_paths(repos: Repos) -> None:
    commit_file(repos.other, "bundle.yaml", "theirs\n", "Their change")
    git(repos.other, "push", "-q")
    mine = commit_file(repos.clone, "bundle.yaml", "mine\n", "My change")
    repos.cli.fetch("origin")
    with pytest.raises(
        GitRebaseConflictError, match=re.escape("conflicts in bundle.yaml")
    ) as error:
        repos.cli.rebase("origin/main")
    assert error.value.paths == ("bundle.yaml",)
    assert repos.cli.rev_parse("HEAD") == mine
    assert repos.cli.status().clean
    assert not (repos.clone / ".git" / "rebase-merge").exists()


def test_a_push_refused_by_the_remote_is_not_a_rejection(repos: Repos) -> None:
    hook = repos.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'direct pushes are closed' >&2\nexit 1\n")
    hook.chmod(0o755)
    commit_file(repos.clone, "mine.txt", "mine\n", "My change")
    with pytest.raises(GitPushError, match="remote refused the push") as error:
        repos.cli.push("origin", "main")
    assert not isinstance(error.value, GitPushRejectedError)


def test_a_push_to_an_unreachable_remote_is_a_push_error(repos: Repos, tmp_path: Path) -> None:
    git(repos.clone, "remote", "add", "gone", str(tmp_path / "does-not-exist.git"))
    with pytest.raises(GitPushError, match="Cannot push to main on gone") as error:
        repos.cli.push("gone", "main")
    assert not isinstance(error.value, GitPushRejectedError)


# -- reading commits and files ----------------------------------------------


def test_rev_parse_and_ancestry(repos: Repos) -> None:
    first = repos.cli.rev_parse("HEAD")
    second = commit_file(repos.clone, "a", "a", "Second")
    assert repos.cli.rev_parse("HEAD") == second
    assert repos.cli.rev_parse("HEAD~1") == first
    assert repos.cli.rev_parse(second[:10]) == second
    assert repos.cli.is_ancestor(first, second)
    assert repos.cli.is_ancestor(second, second)
    assert not repos.cli.is_ancestor(second, first)


def test_unknown_revisions_are_revision_errors(repos: Repos) -> None:
    with pytest.raises(GitRevisionError, match="'nope' does not name a commit"):
        repos.cli.rev_parse("nope")
    with pytest.raises(GitRevisionError, match="Cannot tell whether"):
        repos.cli.is_ancestor("nope", "HEAD")
    with pytest.raises(GitRevisionError, match="history nope"):
        repos.cli.log("nope")


def test_show_reads_a_file_at_a_revision(repos: Repos) -> None:
    commit_file(repos.clone, "spec/bundle.yaml", "old\n", "Old")
    (repos.clone / "spec" / "bundle.yaml").write_text("new\n")
    assert repos.cli.show("HEAD", "spec/bundle.yaml") == "old\n"
    assert GitCli(repos.clone / "spec").show("HEAD", "./bundle.yaml") == "old\n"
    with pytest.raises(
        GitRevisionError, match=re.escape("cannot read missing.yaml at git revision HEAD")
    ):
        repos.cli.show("HEAD", "missing.yaml")


def test_show_refuses_text_that_is_not_utf8(repos: Repos) -> None:
    (repos.clone / "latin1.yaml").write_bytes("caf\u00e9\n".encode("latin-1"))
    git(repos.clone, "add", "latin1.yaml")
    git(repos.clone, "commit", "-qm", "Latin-1")
    with pytest.raises(FileAccessError, match="not UTF-8 text"):
        repos.cli.show("HEAD", "latin1.yaml")


def test_log_reads_every_field(repos: Repos) -> None:
    env = {
        "GIT_AUTHOR_DATE": "2026-01-02T03:04:05+0200",
        "GIT_COMMITTER_DATE": "2026-01-03T00:00:00Z",
    }
    (repos.clone / "bundle.yaml").write_text("v2\n")
    git(repos.clone, "commit", "-qam", "Bump\n\nBody line\n\nLP: #7, #9", env=env)
    parent = git(repos.clone, "rev-parse", "HEAD~1").strip()
    (commit, first) = repos.cli.log(changes=True)
    assert commit.id == git(repos.clone, "rev-parse", "HEAD").strip()
    assert commit.parents == (parent,)
    assert (commit.author_name, commit.author_email) == ("Alice Example", "alice@example.com")
    assert (commit.committer_name, commit.committer_email) == ("Bob Example", "bob@example.com")
    assert commit.authored_at == dt.datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    assert commit.committed_at == dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    assert commit.message == "Bump\n\nBody line\n\nLP: #7, #9\n"
    assert parse_message(commit.message).bugs == (7, 9)
    (change,) = commit.changes
    assert (change.status, change.path) == ("M", "bundle.yaml")
    assert change.old_blob == git(repos.clone, "rev-parse", "HEAD~1:bundle.yaml").strip()
    assert change.new_blob == git(repos.clone, "rev-parse", "HEAD:bundle.yaml").strip()
    assert first.parents == ()
    assert first.changes == (
        Change(status="A", path="bundle.yaml", old_blob=None, new_blob=change.old_blob),
    )
    assert not commit.is_merge
    assert repos.cli.read_blobs([change.new_blob, change.old_blob]) == {
        change.new_blob: b"v2\n",
        change.old_blob: b"applications: {}\n",
    }


def test_log_of_a_range_limited_to_a_path(repos: Repos) -> None:
    start = repos.cli.rev_parse("HEAD")
    a = commit_file(repos.clone, "bundle.yaml", "1\n", "One")
    commit_file(repos.clone, "README", "r\n", "Readme")
    c = commit_file(repos.clone, "bundle.yaml", "2\n", "Two")
    assert [commit.id for commit in repos.cli.log(since=start)] != []
    commits = repos.cli.log(since=start, paths=["bundle.yaml"])
    assert [commit.id for commit in commits] == [c, a]
    assert [commit.changes for commit in commits] == [(), ()]  # not asked for
    assert repos.cli.log(since="HEAD") == ()


def test_log_with_the_patch_of_one_path(repos: Repos) -> None:
    commit_file(repos.clone, "bundle.yaml", "applications: {}\nrevision: 2\n", "Two")
    commit_file(repos.clone, "other", "o\n", "Other")
    (commit, _) = repos.cli.log(paths=["bundle.yaml"], patch=True)
    assert commit.patch is not None
    assert commit.patch.startswith("diff --git a/bundle.yaml b/bundle.yaml\n")
    assert "+revision: 2\n" in commit.patch
    assert "other" not in commit.patch
    assert commit.changes == ()
    with pytest.raises(GitArgumentError, match="not both"):
        repos.cli.log(changes=True, patch=True)


def test_log_follows_merges_and_reverts(repos: Repos) -> None:
    base = repos.cli.rev_parse("HEAD")
    git(repos.clone, "switch", "-q", "-c", "side")
    side = commit_file(repos.clone, "bundle.yaml", "side\n", "Side change\n\nLP: #3")
    git(repos.clone, "switch", "-q", "main")
    main = commit_file(repos.clone, "README", "readme\n", "Main change")
    git(repos.clone, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
    merge = repos.cli.rev_parse("HEAD")
    git(repos.clone, "revert", "--no-edit", side)
    revert = repos.cli.rev_parse("HEAD")

    everything = repos.cli.log(since=base, changes=True)
    by_id = {commit.id: commit for commit in everything}
    assert set(by_id) == {side, main, merge, revert}
    assert by_id[merge].is_merge
    assert by_id[merge].parents == (main, side)
    assert by_id[merge].changes == ()  # a merge shows no changes unless following first parents
    assert reverted_commit(by_id[revert].message) == side
    assert [c.path for c in by_id[revert].changes] == ["bundle.yaml"]

    line = repos.cli.log(since=base, changes=True, first_parent=True)
    assert [commit.id for commit in line] == [revert, merge, main]
    merged = {commit.id: commit for commit in line}[merge]
    assert [change.path for change in merged.changes] == ["bundle.yaml"]
    assert bug_references(by_id[side].message) == (3,)


def test_log_reads_messages_that_are_not_utf8(repos: Repos) -> None:
    tree = git(repos.clone, "rev-parse", "HEAD^{tree}").strip()
    parent = git(repos.clone, "rev-parse", "HEAD").strip()
    person = "Alice Example <alice@example.com> 1700000000 +0000"
    header = f"tree {tree}\nparent {parent}\nauthor {person}\ncommitter {person}\n"
    # Latin-1 bytes without an encoding header, as old tools wrote them (git commit
    # would convert them, so the object is written directly).
    raw = header.encode() + b"\n" + "Caf\u00e9 bump\n\nLP: #5\n".encode("latin-1")
    undeclared = git(repos.clone, "hash-object", "-t", "commit", "-w", "--stdin", stdin=raw)
    # Declared as Latin-1: git converts it to UTF-8 for the log.
    raw = (
        f"tree {tree}\nparent {undeclared.strip()}\nauthor {person}\ncommitter {person}\n"
        "encoding ISO-8859-1\n\n"
    ).encode() + "Na\u00efve change\n".encode("latin-1")
    declared = git(repos.clone, "hash-object", "-t", "commit", "-w", "--stdin", stdin=raw)
    git(repos.clone, "reset", "-q", "--hard", declared.strip())
    newest, older, _ = repos.cli.log()
    assert newest.message == "Na\u00efve change\n"
    assert older.message == "Caf\ufffd bump\n\nLP: #5\n"
    assert parse_message(older.message).bugs == (5,)


def test_a_long_history_is_read_by_one_process(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 10_000
    stream = ["reset refs/heads/main", f"from {repos.cli.rev_parse('HEAD')}"]
    for number in range(1, count + 1):
        text = f"revision: {number}\n"
        message = f"Bump {number}\n\nLP: #{number}\n"
        stream += [
            "commit refs/heads/main",
            f"committer Bob <bob@example.com> {1_700_000_000 + number} +0000",
            f"data {len(message.encode())}",
            message + f"M 100644 inline bundle.yaml\ndata {len(text.encode())}\n{text}",
        ]
    git(repos.clone, "fast-import", "--quiet", stdin="\n".join(stream).encode())
    git(repos.clone, "reset", "-q", "--hard", "main")
    calls = count_calls(monkeypatch)
    started = time.monotonic()
    commits = repos.cli.log(since="HEAD~10000", changes=True, paths=["bundle.yaml"])
    elapsed = time.monotonic() - started
    assert len(calls) == 1
    assert len(commits) == count
    assert parse_message(commits[0].message).bugs == (count,)
    assert commits[-1].message == "Bump 1\n\nLP: #1\n"
    assert all(len(commit.changes) == 1 for commit in commits)
    assert elapsed < 30, f"reading {count} commits took {elapsed:.1f} s"
    blobs = repos.cli.read_blobs(commit.changes[0].new_blob or "" for commit in commits[:500])
    assert len(calls) == 2
    assert blobs[commits[0].changes[0].new_blob or ""] == f"revision: {count}\n".encode()


# -- hostile input ----------------------------------------------------------

HOSTILE = "--output=OUTPUT"

OPERATIONS: dict[str, Callable[[GitCli, str], object]] = {
    "rev_parse": lambda cli, rev: cli.rev_parse(rev),
    "is_ancestor (first)": lambda cli, rev: cli.is_ancestor(rev, "HEAD"),
    "is_ancestor (second)": lambda cli, rev: cli.is_ancestor("HEAD", rev),
    "show": lambda cli, rev: cli.show(rev, "bundle.yaml"),
    "log until": lambda cli, rev: cli.log(rev),
    "log since": lambda cli, rev: cli.log(since=rev),
    "rebase": lambda cli, rev: cli.rebase(rev),
    "fetch": lambda cli, rev: cli.fetch(rev),
    "push remote": lambda cli, rev: cli.push(rev, "main"),
    "push branch": lambda cli, rev: cli.push("origin", rev),
    "push revision": lambda cli, rev: cli.push("origin", "main", revision=rev),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_arguments_starting_with_a_dash_never_reach_git(
    repos: Repos, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    before = sorted(tmp_path.rglob("*"))
    calls = count_calls(monkeypatch)
    with pytest.raises(GitArgumentError, match="starts with '-'") as error:
        OPERATIONS[operation](repos.cli, HOSTILE.replace("OUTPUT", str(tmp_path / "x")))
    assert calls == []
    assert sorted(tmp_path.rglob("*")) == before
    assert str(error.value).endswith(".")


@pytest.mark.parametrize("revision", ["", "HEAD\nHEAD", "a\x00b", "+HEAD", "HEAD:main"])
def test_malformed_push_revisions_are_refused(repos: Repos, revision: str) -> None:
    with pytest.raises(GitArgumentError):
        repos.cli.push("origin", "main", revision=revision)


@pytest.mark.parametrize("branch", ["a b", "a..b", "a:b", "HEAD", "x.lock", "a~1", "/a"])
def test_malformed_branch_names_are_refused(repos: Repos, branch: str) -> None:
    with pytest.raises(GitArgumentError, match="not a valid branch name"):
        repos.cli.push("origin", branch)


def test_every_revision_follows_end_of_options(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_calls(monkeypatch)
    repos.cli.is_ancestor("HEAD", "HEAD")
    repos.cli.log("HEAD", since="HEAD")
    repos.cli.show("HEAD", "bundle.yaml")
    repos.cli.push("origin", "main")
    for args in calls:
        assert "--end-of-options" in args, args
        assert args.index("--end-of-options") < args.index(
            next(a for a in args if a.startswith(("HEAD", "^HEAD", "origin")))
        )


def test_a_missing_git_is_a_clear_error(repos: Repos) -> None:
    with pytest.raises(GitNotFoundError, match="not installed or not on PATH") as error:
        GitCli(repos.clone, git="/nonexistent/git").status()
    assert "apt install git" in str(error.value)


def test_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(GitRepositoryError, match="does not exist or is not a directory"):
        GitCli(tmp_path / "nowhere").status()


def test_a_directory_that_is_not_a_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitRepositoryError, match="is not in a git repository") as error:
        GitCli(plain).log()
    assert isinstance(error.value, GitError)
    assert isinstance(error.value, LpsigningMojoError)


def test_a_command_that_runs_too_long_is_stopped_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    slow = tmp_path / "slow-git"
    slow.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pid_file}\nwait\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    started = time.monotonic()
    with pytest.raises(GitTimeoutError, match=re.escape("did not finish within 0.5 s")):
        GitCli(tmp_path, git=str(slow), timeout=0.5).status()
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"


def test_git_runs_without_prompts_pagers_or_the_callers_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "environment"
    fake = tmp_path / "fake-git"
    fake.write_text(f'#!/bin/sh\nenv > {dump}\necho "$@" >> {dump}\n')
    fake.chmod(0o755)
    monkeypatch.setenv("GIT_DIR", "/somewhere/else/.git")
    monkeypatch.setenv("GIT_INDEX_FILE", "/somewhere/else/index")
    monkeypatch.setenv("LANGUAGE", "fr")
    GitCli(tmp_path, git=str(fake)).status()
    lines = dump.read_text().splitlines()
    assert "GIT_TERMINAL_PROMPT=0" in lines
    assert "LC_ALL=C" in lines
    assert "GIT_LITERAL_PATHSPECS=1" in lines
    assert not [
        line for line in lines if line.startswith(("GIT_DIR=", "GIT_INDEX_FILE=", "LANGUAGE="))
    ]
    assert lines[-1].startswith("--no-pager -c color.ui=never")


def test_the_users_configuration_does_not_change_what_is_parsed(repos: Repos) -> None:
    home = Path(os.environ["HOME"])
    (home / ".gitconfig").write_text(
        "[color]\n\tui = always\n[core]\n\tquotePath = true\n"
        "[log]\n\tfollow = true\n\tshowRoot = false\n"
        "[diff]\n\tnoprefix = true\n\trenames = copies\n"
        "[i18n]\n\tlogOutputEncoding = ISO-8859-1\n"
        "[status]\n\tshowUntrackedFiles = no\n\trenames = true\n"
        "[commit]\n\tcleanup = strip\n"
    )
    commit_file(repos.clone, "caf\u00e9.yaml", "x\n", "Caf\u00e9 \u2603")
    (repos.clone / "untracked file").write_text("x")
    assert repos.cli.status().dirty == (DirtyPath(code="??", path="untracked file"),)
    commits = repos.cli.log(changes=True)
    assert commits[0].message == "Caf\u00e9 \u2603\n"
    assert commits[0].changes[0].path == "caf\u00e9.yaml"
    assert commits[-1].changes[0].path == "bundle.yaml"  # the root commit's diff is shown
    assert repos.cli.log(paths=["bundle.yaml"], since="HEAD~1") == ()
    (repos.clone / "bundle.yaml").write_text("y\n")
    repos.cli.commit(["bundle.yaml"], "Summary\n\n# kept\n")
    (last,) = repos.cli.log(since="HEAD~1", paths=["bundle.yaml"], patch=True)
    assert last.message == "Summary\n\n# kept\n"
    assert last.patch is not None
    assert "--- a/bundle.yaml" in last.patch


def test_a_hook_environment_does_not_redirect_git(
    repos: Repos, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    git(tmp_path, "init", "-q", str(source))
    commit_file(source, "x", "x", "Source commit\n\nLP: #42")
    monkeypatch.setenv("GIT_DIR", str(repos.clone / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repos.clone))
    (commit,) = GitCli(source).log()
    assert parse_message(commit.message).bugs == (42,)


# -- the command line: bundle diff REV:PATH ---------------------------------


def test_bundle_diff_cannot_be_made_to_write_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec" / "lp-signing"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", spec)
    git(tmp_path, "init", "-q", str(tmp_path / "spec"))
    git(tmp_path / "spec", "add", ".")
    git(tmp_path / "spec", "commit", "-qm", "Spec")
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.chdir(spec)
    hostile = f"--output={tmp_path / 'x'}:bundle.yaml"
    status = main(["bundle", "diff", "--stage", "production", "--", hostile, "bundle.yaml"])
    _, err = capsys.readouterr()
    assert sorted(tmp_path.rglob("*")) == before  # git wrote nothing (x:bundle.yaml, say)
    assert status == 1
    assert "starts with '-'" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


# -- the strict fake --------------------------------------------------------


def test_the_fake_answers_what_it_was_told_and_records_the_calls() -> None:
    fake = FakeGit()
    as_protocol: Git = fake
    status = WorkTreeStatus(branch="main", head="0" * 40, ahead=0, behind=1)
    fake.expect_status(status)
    fake.expect_fetch("origin")
    fake.expect_commit(["bundle.yaml"], "Bump\n", "1" * 40)
    fake.expect_push("origin", "main", error=GitPushRejectedError("The remote moved on"))
    fake.expect_is_ancestor("a", "b", False)
    assert as_protocol.status() == status
    as_protocol.fetch("origin")
    assert as_protocol.commit(["bundle.yaml"], "Bump\n") == "1" * 40
    with pytest.raises(GitPushRejectedError):
        as_protocol.push("origin", "main")
    assert as_protocol.is_ancestor("a", "b") is False
    assert [f"{method}({arguments})" for method, arguments in fake.calls] == [
        "status()",
        "fetch('origin')",
        "commit(('bundle.yaml',), 'Bump\\n')",
        "push('origin', 'main', revision='HEAD')",
        "is_ancestor('a', 'b')",
    ]
    fake.verify()


def test_the_fake_is_strict() -> None:
    fake = FakeGit()
    fake.expect_commit(["bundle.yaml"], "Bump\n", "1" * 40)
    with pytest.raises(UnexpectedCallError, match="was not expected"):
        fake.commit(["bundle.yaml"], "Another message\n")
    with pytest.raises(UnexpectedCallError, match="never came"):
        fake.verify()
    with pytest.raises(GitArgumentError, match="starts with '-'"):
        fake.log("--output=/tmp/x")
    with pytest.raises(UnexpectedCallError):
        fake.log()
