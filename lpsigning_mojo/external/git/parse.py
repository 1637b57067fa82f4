"""Reading git's machine output: NUL-separated fields, never guessing."""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from pathlib import Path

from lpsigning_mojo.errors import (
    GitArgumentError,
    GitNoUpstreamError,
    GitOutputError,
    GitRevisionError,
)
from lpsigning_mojo.external.git.model import Change, Commit, DirtyPath, Upstream, WorkTreeStatus

__all__ = [
    "LOG_FORMAT",
    "BatchReader",
    "LogReader",
    "parse_batch",
    "parse_log",
    "parse_status",
    "parse_upstream",
    "push_rejections",
]


def parse_status(out: bytes) -> WorkTreeStatus:
    branch: str | None = None
    head: str | None = None
    ahead: int | None = None
    behind: int | None = None
    dirty: list[DirtyPath] = []
    tokens = iter(out.split(b"\0"))
    for token in tokens:
        if not token:
            continue
        text = os.fsdecode(token)
        kind = text[0]
        if text.startswith("# "):
            key, _, value = text[2:].partition(" ")
            if key == "branch.oid":
                head = None if value == "(initial)" else value
            elif key == "branch.head":
                branch = None if value == "(detached)" else value
            elif key == "branch.ab":
                plus, minus = value.split()
                ahead, behind = int(plus.lstrip("+")), int(minus.lstrip("-"))
        elif kind in "12u":
            fields = text.split(" ", {"1": 8, "2": 9, "u": 10}[kind])
            dirty.append(DirtyPath(code=fields[1], path=fields[-1]))
            if kind == "2":
                next(tokens, None)  # the original path of a rename or copy
        elif kind == "?":
            dirty.append(DirtyPath(code="??", path=text[2:]))
        elif kind != "!":
            raise GitOutputError(f"git status printed a line this library does not know: {text!r}")
    return WorkTreeStatus(branch=branch, head=head, ahead=ahead, behind=behind, dirty=tuple(dirty))


def parse_upstream(out: bytes, directory: Path) -> Upstream:
    for line in out.split(b"\n"):
        fields = [os.fsdecode(field) for field in line.split(b"\0")]
        if len(fields) < 5 or fields[0] != "*":
            continue
        refname, tracking, remote, remote_ref = fields[1:5]
        local = refname.removeprefix("refs/heads/")
        if not tracking or remote in ("", ".") or not remote_ref.startswith("refs/heads/"):
            raise GitNoUpstreamError(
                f"Branch {local} in {directory} tracks no remote branch",
                repository=directory,
                hint="Set one with: git branch --set-upstream-to=origin/main",
            )
        return Upstream(
            local_branch=local,
            remote=remote,
            branch=remote_ref.removeprefix("refs/heads/"),
            tracking_ref=tracking,
        )
    raise GitNoUpstreamError(
        f"{directory} is not on a branch (HEAD is detached, or there is no commit yet)",
        repository=directory,
        hint="Check out the branch to release from (git switch main)",
    )


def push_rejections(out: bytes) -> list[tuple[str, str]]:
    """``(kind, reason)`` for each ref ``git push --porcelain`` reports as refused.

    ``kind`` is ``rejected`` when the remote branch moved on (the remote
    was not asked), ``remote`` when the remote refused it.
    """
    found = []
    for line in out.decode("utf-8", "replace").splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or fields[0] != "!":
            continue
        summary = fields[2]
        reason = summary[summary.find("(") + 1 : summary.rfind(")")] if "(" in summary else summary
        moved = summary.startswith("[rejected]") and reason in (
            "fetch first",
            "non-fast-forward",
            "stale info",
            "already exists",
        )
        found.append(("rejected" if moved else "remote", reason))
    return found


LOG_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B")
LOG_FORMAT = "%x00".join(LOG_FIELDS)


def parse_log(out: bytes, marker: bytes, *, patch: bool) -> tuple[Commit, ...]:
    """The commits in the whole output of ``git log`` (see :class:`LogReader`)."""
    reader = LogReader(marker, patch=patch)
    return (*reader.feed(out), *reader.close())


class LogReader:
    """Reads ``git log`` output as it comes: each record is read once it is complete.

    The output is ``NUL MARKER NUL`` before each commit's record (the fields
    of :data:`LOG_FORMAT`, NUL-separated, then the ``--raw -z`` changes or the
    patch); ``marker`` is chosen at random for each run, so that no message
    can contain it.
    """

    def __init__(self, marker: bytes, *, patch: bool) -> None:
        self._separator = b"\0" + marker + b"\0"
        self._patch = patch
        self._buffer = bytearray()
        self._started = False  # the first separator was read

    def feed(self, chunk: bytes) -> list[Commit]:
        """The commits whose records ``chunk`` completes."""
        buffer = self._buffer
        start = max(0, len(buffer) - len(self._separator) + 1)  # a separator may straddle
        buffer += chunk
        cut = buffer.rfind(self._separator, start)
        if cut < 0:
            return []
        records = bytes(buffer[:cut]).split(self._separator)
        del buffer[: cut + len(self._separator)]
        if not self._started:
            self._check_start(records.pop(0))
            self._started = True
        return [_parse_record(record, patch=self._patch) for record in records]

    def close(self) -> list[Commit]:
        """The last commit, once the output has ended (none if there was none)."""
        record = bytes(self._buffer)
        self._buffer.clear()
        if not self._started:
            self._check_start(record)
            return []
        return [_parse_record(record, patch=self._patch)]

    @staticmethod
    def _check_start(head: bytes) -> None:
        if head.strip(b"\0\n"):
            raise GitOutputError(f"git log printed {head[:80]!r} before the first commit")


def _parse_record(record: bytes, *, patch: bool) -> Commit:
    count = len(LOG_FIELDS)
    fields = record.split(b"\0", count)
    if len(fields) != count + 1:
        raise GitOutputError(f"git log printed a record this library cannot read: {record[:80]!r}")
    rest = fields.pop()
    rest = rest[1:] if rest.startswith(b"\0") else rest
    rest = rest[1:] if rest.startswith(b"\n") else rest
    # One decoding for all the fields: NUL is never part of a UTF-8 sequence, so this
    # is the same as decoding each field on its own.
    commit_id, parents, an, ae, ad, cn, ce, cd, message = (
        b"\0".join(fields).decode("utf-8", "replace").split("\0")
    )
    return Commit(
        id=commit_id,
        parents=tuple(parents.split()),
        author_name=an,
        author_email=ae,
        authored_at=_DATE(ad),
        committer_name=cn,
        committer_email=ce,
        committed_at=_DATE(cd),
        message=message,
        changes=() if patch else parse_raw(rest),
        patch=rest.decode("utf-8", "replace") if patch else None,
    )


_DATE = dt.datetime.fromisoformat


def parse_raw(rest: bytes) -> tuple[Change, ...]:
    """The ``--raw -z`` entries: ``:MODE MODE OLD NEW STATUS`` NUL ``PATH`` NUL (twice for R/C)."""
    tokens = iter(rest.split(b"\0"))
    changes = []
    for token in tokens:
        if not token:
            continue
        if not token.startswith(b":"):
            raise GitOutputError(f"git log printed {token[:80]!r} where a change was expected")
        _, _, old, new, status = token.decode("ascii", "replace").split(" ")
        path = os.fsdecode(next(tokens, b""))
        if status[0] in "RC":
            path = os.fsdecode(next(tokens, b""))
        changes.append(
            Change(
                status=status[0],
                path=path,
                old_blob=None if old and not old.strip("0") else old,  # all zeros: none
                new_blob=None if new and not new.strip("0") else new,
            )
        )
    return tuple(changes)


def parse_batch(out: bytes, wanted: list[str], directory: Path, command: str) -> dict[str, bytes]:
    """The contents ``git cat-file --batch`` printed for ``wanted`` (see :class:`BatchReader`)."""
    reader = BatchReader(directory, command)
    for object_id in wanted:
        reader.expect(object_id)
    with memoryview(out) as view:
        end = reader._objects(out, view)
    return reader.close(out[end : end + 80])


class BatchReader:
    """Reads ``git cat-file --batch`` output as it comes: the content of each object asked for.

    :meth:`expect` each id as it is written to cat-file; :meth:`feed` what
    cat-file prints, in any pieces; :meth:`close` once it has ended. Each
    object is ``ID blob SIZE`` LF, the content, LF (``ID missing`` LF for one
    the repository does not have: :class:`~lpsigning_mojo.errors.GitRevisionError`).
    """

    def __init__(self, directory: Path, command: str) -> None:
        #: The contents read so far, by object id, in the order asked.
        self.blobs: dict[str, bytes] = {}
        self._wanted: deque[str] = deque()
        self._buffer = bytearray()
        self._directory = directory
        self._command = command

    def expect(self, object_id: str) -> None:
        """``object_id`` was asked for: its object comes after those asked before."""
        self._wanted.append(object_id)

    def feed(self, chunk: bytes) -> None:
        """Read the objects that ``chunk`` completes."""
        buffer = self._buffer
        buffer += chunk
        with memoryview(buffer) as view:
            end = self._objects(buffer, view)
        if end:
            del buffer[:end]

    def close(self, rest: bytes | None = None) -> dict[str, bytes]:
        """The contents, once the output has ended: every object asked for must be there."""
        if self._wanted:
            printed = bytes(self._buffer[:80]) if rest is None else rest
            raise GitOutputError(f"{self._command} printed {printed!r}")
        return self.blobs

    def _objects(self, data: bytes | bytearray, view: memoryview) -> int:
        """Read the complete objects in ``data`` (``view`` on it, to copy each content once).

        Returns where the first incomplete object starts.
        """
        wanted, blobs = self._wanted, self.blobs
        position = 0
        size_of = len(data)
        while wanted:
            object_id = wanted[0]
            end = data.find(b"\n", position)
            if end < 0:
                return position
            header = str(view[position:end], "ascii", "replace").split()
            if not header or header[0] != object_id:
                printed = bytes(view[position : position + 80])
                raise GitOutputError(f"{self._command} printed {printed!r}")
            if header[1:] == ["missing"]:
                raise GitRevisionError(
                    f"Object {object_id} is not in {self._directory}",
                    repository=self._directory,
                    command=self._command,
                    hint="Fetch first, or read the ids from this repository's log",
                )
            if len(header) != 3 or header[1] != "blob":
                raise GitArgumentError(
                    f"Object {object_id} in {self._directory} is not a file's content"
                )
            stop = end + 1 + int(header[2])
            if stop >= size_of:  # the content, or the LF after it, is still to come
                return position
            blobs[object_id] = view[end + 1 : stop].tobytes()
            wanted.popleft()
            position = stop + 1
        return position
