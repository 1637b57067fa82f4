"""GitCli(read_ahead=True): the log and a cat-file alongside it, and the log read as it comes."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from lpsigning_mojo.errors import GitOutputError, GitRevisionError, GitTimeoutError
from lpsigning_mojo.external.git import GitCli
from lpsigning_mojo.external.git.parse import (
    LOG_FORMAT,
    BatchReader,
    LogReader,
    parse_batch,
    parse_log,
)

IDENTITY = {
    "GIT_AUTHOR_NAME": "Alice Example",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Bob Example",
    "GIT_COMMITTER_EMAIL": "bob@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}
COUNT = 3000  # enough for every pipe to fill while the other process still writes


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
        env={**os.environ, **IDENTITY},
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose bundle.yaml (a few KiB) changed COUNT times, and a README besides."""
    repo = tmp_path_factory.mktemp("history")
    _git(repo, "init", "-q")
    padding = "".join(f"# line {n} of a long comment\n" for n in range(100))
    stream = []
    for number in range(1, COUNT + 1):
        text = f"{padding}revision: {number}\n"
        message = f"Bump to {number}\n\nLP: #{number}\n"
        stream += [
            "commit refs/heads/main",
            f"committer Bob <bob@example.com> {1_700_000_000 + number} +0000",
            f"data {len(message.encode())}",
            message + f"M 100644 inline bundle.yaml\ndata {len(text.encode())}\n{text}",
        ]
        if number % 10 == 0:
            stream[-1] += f"M 100644 inline README\ndata 2\n{number % 7}\n"
    _git(repo, "fast-import", "--quiet", stdin="\n".join(stream).encode())
    _git(repo, "reset", "-q", "--hard", "main")
    return repo


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[Sequence[str]]:
    """The commands run through GitCli._git (the one-command path)."""
    calls: list[Sequence[str]] = []
    original = GitCli._git

    def counting(self: GitCli, args: Sequence[str], **kwargs: bytes | None) -> object:
        calls.append(list(args))
        return original(self, args, **kwargs)

    monkeypatch.setattr(GitCli, "_git", counting)
    return calls


def test_the_log_is_the_same_and_its_blobs_need_no_other_process(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = GitCli(history).log(paths=["bundle.yaml"], changes=True, first_parent=True)
    reader = GitCli(history, read_ahead=True)
    calls = _calls(monkeypatch)
    commits = reader.log(paths=["bundle.yaml"], changes=True, first_parent=True)
    assert commits == plain
    assert len(commits) == COUNT
    ids = [commit.changes[0].new_blob or "" for commit in commits]
    blobs = reader.read_blobs(ids)
    assert calls == []  # neither the log nor the blobs went through a process of their own
    assert list(blobs) == ids
    assert blobs[ids[0]].endswith(f"revision: {COUNT}\n".encode())
    assert blobs[ids[-1]].endswith(b"revision: 1\n")
    # Read ahead for one reading: asked again, they are read again, the same.
    assert reader.read_blobs(ids[:2]) == {ids[0]: blobs[ids[0]], ids[1]: blobs[ids[1]]}
    assert len(calls) == 1


def test_blobs_not_read_ahead_are_read_by_cat_file(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = GitCli(history, read_ahead=True)
    bundle = reader.log(paths=["bundle.yaml"], changes=True, since="HEAD~5")
    readme = _git(history, "rev-parse", "HEAD:README").decode().strip()
    old = bundle[0].changes[0].old_blob or ""
    calls = _calls(monkeypatch)
    blobs = reader.read_blobs([bundle[0].changes[0].new_blob or "", readme, old])
    assert [call[:2] for call in calls] == [["cat-file", "--batch"]]
    assert blobs[readme] == f"{COUNT % 7}\n".encode()
    assert blobs[old].endswith(f"revision: {COUNT - 1}\n".encode())


def test_without_changes_the_log_reads_nothing_ahead(history: Path) -> None:
    reader = GitCli(history, read_ahead=True)
    (commit,) = reader.log(since="HEAD~1")
    assert commit.changes == ()
    assert reader._read == {}


def test_an_unknown_revision_is_the_same_error(history: Path) -> None:
    with pytest.raises(GitRevisionError, match="Cannot read the history nope"):
        GitCli(history, read_ahead=True).log("nope", changes=True)


def test_a_failing_cat_file_leaves_read_blobs_to_do_the_work(
    history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapper = tmp_path / "git"
    wrapper.write_text(
        '#!/bin/sh\ncase "$*" in *cat-file*) [ -e "$0.ok" ] || exit 3;; esac\nexec git "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    reader = GitCli(history, git=str(wrapper), read_ahead=True)
    commits = reader.log(paths=["bundle.yaml"], changes=True, since="HEAD~3")
    assert len(commits) == 3
    assert reader._read == {}
    (tmp_path / "git.ok").touch()
    calls = _calls(monkeypatch)
    blobs = reader.read_blobs(commit.changes[0].new_blob or "" for commit in commits)
    assert len(calls) == 1
    assert len(blobs) == 3


def test_a_log_that_runs_too_long_is_stopped_with_cat_file_and_their_children(
    tmp_path: Path,
) -> None:
    slow = tmp_path / "slow-git"
    slow.write_text(f"#!/bin/sh\nsleep 60 &\necho $! >> {tmp_path / 'children'}\nwait\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    started = time.monotonic()
    with pytest.raises(GitTimeoutError, match=re.escape("did not finish within 0.5 s")):
        GitCli(tmp_path, git=str(slow), timeout=0.5, read_ahead=True).log(changes=True)
    assert time.monotonic() - started < 10
    children = [int(line) for line in (tmp_path / "children").read_text().split()]
    assert len(children) == 2  # the log's and cat-file's
    deadline = time.monotonic() + 5
    while any(_alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(child) for child in children)


def _alive(pid: int) -> bool:
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"


# -- the log read as it comes ---------------------------------------------------


def _raw_log(repo: Path, marker: str) -> bytes:
    return _git(
        repo,
        "log",
        "-z",
        f"--format=%x00{marker}%x00{LOG_FORMAT}%x00",
        "--raw",
        "--no-abbrev",
        "--",
        "bundle.yaml",
        "README",
    )


@pytest.mark.parametrize("size", [1, 7, 23, 4096, 1 << 20])
def test_the_log_read_in_pieces_is_the_log_read_whole(history: Path, size: int) -> None:
    marker = "lpsm-0123456789abcdef"
    out = _raw_log(history, marker)[: 300 * 500]  # a few hundred records, cut mid-record
    out = out[: out.rfind(b"\0" + marker.encode() + b"\0")]  # ...at a record's end
    whole = parse_log(out, marker.encode(), patch=False)
    reader = LogReader(marker.encode(), patch=False)
    pieces = []
    for start in range(0, len(out), size):
        pieces += reader.feed(out[start : start + size])
    pieces += reader.close()
    assert pieces == list(whole)
    assert len(whole) > 100
    assert any(len(commit.changes) == 2 for commit in whole)


def test_output_before_the_first_commit_is_refused_in_pieces_too() -> None:
    reader = LogReader(b"m", patch=False)
    assert reader.feed(b"warning: ") == []
    with pytest.raises(GitOutputError, match="before the first commit"):
        reader.feed(b"something\0m\0")
    empty = LogReader(b"m", patch=False)
    assert empty.feed(b"\n") == []
    assert empty.close() == []


@pytest.mark.parametrize("size", [1, 5, 100, 1 << 16])
def test_cat_file_output_read_in_pieces_is_the_output_read_whole(history: Path, size: int) -> None:
    ids = _git(history, "rev-list", "--objects", "--no-object-names", "HEAD~40..HEAD", "--")
    blobs = [
        object_id
        for object_id in ids.decode().split()
        if _git(history, "cat-file", "-t", object_id) == b"blob\n"
    ]
    out = _git(history, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blobs).encode())
    whole = parse_batch(out, blobs, history, "git cat-file --batch")
    reader = BatchReader(history, "git cat-file --batch")
    for object_id in blobs:
        reader.expect(object_id)
    for start in range(0, len(out), size):
        reader.feed(out[start : start + size])
    assert reader.close() == whole
    assert list(whole) == blobs
    assert len(blobs) > 40


def test_cat_file_output_that_ends_early_or_names_a_missing_object_is_refused(
    history: Path,
) -> None:
    blob = _git(history, "rev-parse", "HEAD:bundle.yaml").decode().strip()
    out = _git(history, "cat-file", "--batch", stdin=f"{blob}\n".encode())
    reader = BatchReader(history, "git cat-file --batch")
    reader.expect(blob)
    reader.feed(out[:-10])
    with pytest.raises(GitOutputError, match="git cat-file --batch printed"):
        reader.close()
    missing = BatchReader(history, "git cat-file --batch")
    missing.expect("0" * 39 + "1")
    with pytest.raises(GitRevisionError, match="is not in"):
        missing.feed(b"0000000000000000000000000000000000000001 missing\n")
