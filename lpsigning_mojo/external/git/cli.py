"""GitCli: :class:`~lpsigning_mojo.external.git.Git` as ``git`` subprocesses."""

from __future__ import annotations

import contextlib
import os
import selectors
import shlex
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from lpsigning_mojo.errors import (
    FileAccessError,
    GitArgumentError,
    GitCommandError,
    GitError,
    GitIdentityError,
    GitNotFoundError,
    GitNothingToCommitError,
    GitOutputError,
    GitPushError,
    GitPushRejectedError,
    GitRebaseConflictError,
    GitRepositoryError,
    GitRevisionError,
    GitTimeoutError,
)
from lpsigning_mojo.external.git.arguments import (
    check_branch,
    check_object_id,
    check_path,
    check_remote,
    check_revision,
)
from lpsigning_mojo.external.git.model import Commit, Upstream, WorkTreeStatus
from lpsigning_mojo.external.git.parse import (
    LOG_FORMAT,
    BatchReader,
    LogReader,
    parse_batch,
    parse_log,
    parse_status,
    parse_upstream,
    push_rejections,
)

__all__ = ["GitCli"]

_STDERR_LINES = 10
#: How much of a process's output one read takes.
_CHUNK = 1 << 16

#: Configuration that would change what this module parses, pinned for every command.
_PINNED_CONFIG = (
    "color.ui=never",
    "core.quotePath=false",
    "diff.mnemonicPrefix=false",
    "diff.noprefix=false",
    "diff.relative=false",
    "i18n.logOutputEncoding=UTF-8",
    "log.follow=false",
    "log.showRoot=true",
    "log.showSignature=false",
)

#: Variables that point git at another repository (``git rev-parse --local-env-vars``);
#: a git hook that calls this library has them set for the repository it runs in.
_REPOSITORY_VARIABLES = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CONFIG",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_DIR",
    "GIT_GRAFT_FILE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_OBJECT_DIRECTORY",
    "GIT_PREFIX",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
    "GIT_WORK_TREE",
)

_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",  # never ask for a password on the terminal
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_EDITOR": ":",  # never open an editor
    "GIT_SEQUENCE_EDITOR": ":",
    "GIT_MERGE_AUTOEDIT": "no",
    "GIT_LITERAL_PATHSPECS": "1",  # a path is a path, never a pattern
    "GIT_OPTIONAL_LOCKS": "0",  # reading the status takes no lock
    "LC_ALL": "C",  # messages in English, so that errors can be recognised
}

_IDENTITY_PHRASES = (
    "please tell me who you are",
    "unable to auto-detect email address",
    "empty ident name",
    "auto-detection is disabled",
)
_IDENTITY_HINT = (
    "Tell git who you are, then run the command again: "
    "git config --global user.name 'Your Name' and "
    "git config --global user.email 'you@example.com'"
)


@attrs.frozen(kw_only=True)
class _Done:
    command: str
    exit_status: int
    stdout: bytes
    stderr: str


class GitCli:
    """A :class:`Git` that runs ``git`` in ``directory`` (a repository or a directory in one).

    ``git`` is the program to run; each command may take ``timeout`` seconds
    (fetch, push and hooks included) before it is stopped. git never prompts:
    credentials must come from an agent or a credential helper.

    With ``read_ahead``, a :meth:`log` that lists changes also reads the
    content of every blob they name, in a ``git cat-file --batch`` that runs
    alongside the log and is fed each id as the log prints it; the next
    :meth:`read_blobs` of those ids is then answered without a process of
    its own. For a reader of every version (the change log) this overlaps
    the two processes; the contents are kept until read.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] = ".",
        *,
        git: str = "git",
        timeout: float = 120.0,
        read_ahead: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.git = git
        self.timeout = timeout
        self.read_ahead = read_ahead
        self._read: dict[str, bytes] = {}  # blob id -> content, read ahead by log()

    # -- the one place that runs git --------------------------------------

    def _spawn(self, args: Sequence[str], *, stdin: bool) -> subprocess.Popen[bytes]:
        """Start ``git ARGS`` in the repository: the only place a git process starts.

        Pinned configuration and environment, no terminal (its own session,
        so that it is stopped as a group), output through pipes.
        """
        command = shlex.join(["git", *args])
        argv = [self.git, "--no-pager"]
        for setting in _PINNED_CONFIG:
            argv += ["-c", setting]
        argv += args
        environment = {
            name: value for name, value in os.environ.items() if name not in _REPOSITORY_VARIABLES
        }
        environment.pop("LANGUAGE", None)
        environment.update(_ENVIRONMENT)
        try:
            return subprocess.Popen(
                argv,
                cwd=self.directory,
                env=environment,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # no terminal to prompt on; stopped as a group
            )
        except FileNotFoundError:
            if not self.directory.is_dir():
                raise self._no_directory() from None
            raise GitNotFoundError(
                f"Cannot run {command}: {self.git!r} is not installed or not on PATH",
                repository=self.directory,
                command=command,
                hint="Install git (sudo apt install git)",
            ) from None
        except NotADirectoryError:
            raise self._no_directory() from None
        except OSError as error:
            raise GitNotFoundError(
                f"Cannot run {command}: {error.strerror or error}",
                repository=self.directory,
                command=command,
            ) from None

    def _git(self, args: Sequence[str], *, stdin: bytes | None = None) -> _Done:
        """Run ``git ARGS`` in the repository and return what it left.

        Raises only when git could not run, timed out, or found no
        repository; a non-zero exit status is for the caller to read.
        """
        command = shlex.join(["git", *args])
        process = self._spawn(args, stdin=stdin is not None)
        try:
            out, err = process.communicate(stdin, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise self._timed_out(command) from None
        except BaseException:
            _stop(process)
            raise
        return self._finished(command, process.returncode, out, err)

    def _timed_out(self, command: str) -> GitTimeoutError:
        return GitTimeoutError(
            f"{command} did not finish within {self.timeout:g} s and was stopped",
            repository=self.directory,
            command=command,
            hint="Check the network and the remote, or allow more time",
        )

    def _finished(self, command: str, exit_status: int, out: bytes, err: bytes) -> _Done:
        """What a finished command left; a repository that git refused is an error here."""
        done = _Done(
            command=command,
            exit_status=exit_status,
            stdout=out,
            stderr=err.decode("utf-8", "replace"),
        )
        if done.exit_status != 0:
            fatal = [line.lower() for line in done.stderr.splitlines() if line.startswith("fatal:")]
            if any(line.startswith("fatal: not a git repository") for line in fatal):
                raise GitRepositoryError(
                    f"{self.directory} is not in a git repository",
                    repository=self.directory,
                    command=command,
                    exit_status=done.exit_status,
                    stderr=_tail(done.stderr),
                    hint="Run this in a clone of the repository, or name one",
                )
            if any("dubious ownership" in line for line in fatal):
                raise GitRepositoryError(
                    f"git refuses to work in {self.directory} because another user owns it",
                    repository=self.directory,
                    command=command,
                    exit_status=done.exit_status,
                    stderr=_tail(done.stderr),
                    hint="If you trust it, run: git config --global --add safe.directory "
                    + shlex.quote(str(self.directory.resolve())),
                )
        return done

    def _no_directory(self) -> GitRepositoryError:
        return GitRepositoryError(
            f"{self.directory} does not exist or is not a directory",
            repository=self.directory,
            hint="Name the directory of a clone of the repository",
        )

    def _failed(
        self,
        done: _Done,
        message: str,
        *,
        error: type[GitCommandError] = GitCommandError,
        hint: str | None = None,
    ) -> GitCommandError:
        tail = _tail(done.stderr)
        last = tail.splitlines()[-1] if tail else f"exit status {done.exit_status}"
        return error(
            f"{message}: {last.removeprefix('fatal: ').removeprefix('error: ')}",
            repository=self.directory,
            command=done.command,
            exit_status=done.exit_status,
            stderr=tail,
            hint=hint,
        )

    # -- the repository's state -------------------------------------------

    def status(self) -> WorkTreeStatus:
        done = self._git(
            [
                "status",
                "--porcelain=v2",
                "-z",
                "--branch",
                "--untracked-files=normal",
                "--ignore-submodules=none",
                "--no-renames",
            ]
        )
        if done.exit_status != 0:
            raise self._failed(done, f"Cannot read the status of {self.directory}")
        return parse_status(done.stdout)

    def upstream(self) -> Upstream:
        format_ = "%00".join(
            [
                "%(HEAD)",
                "%(refname)",
                "%(upstream)",
                "%(upstream:remotename)",
                "%(upstream:remoteref)",
                "",
            ]
        )
        done = self._git(["for-each-ref", f"--format={format_}", "refs/heads"])
        if done.exit_status != 0:
            raise self._failed(done, f"Cannot read the branches of {self.directory}")
        return parse_upstream(done.stdout, self.directory)

    def fetch(self, remote: str) -> None:
        done = self._git(["fetch", "--quiet", "--end-of-options", check_remote(remote)])
        if done.exit_status != 0:
            raise self._failed(
                done,
                f"Cannot fetch from {remote}",
                hint="Check the network, the remote's URL (git remote -v) and your credentials",
            )

    # -- changing it ------------------------------------------------------

    def commit(self, paths: Sequence[str], message: str) -> str:
        paths = [check_path(path) for path in paths]
        if not paths:
            raise GitArgumentError("Nothing to commit: no paths were given")
        added = self._git(["add", "--", *paths])
        if added.exit_status != 0:
            raise self._failed(added, f"Cannot stage {', '.join(paths)}")
        done = self._git(
            [
                "-c",
                "user.useConfigOnly=true",
                "commit",
                "--quiet",
                "--cleanup=whitespace",
                "--file=-",
                "--",
                *paths,
            ],
            stdin=message.encode("utf-8"),
        )
        if done.exit_status != 0:
            lowered = done.stderr.lower()
            output = done.stdout.decode("utf-8", "replace").lower()
            if any(phrase in lowered for phrase in _IDENTITY_PHRASES):
                raise GitIdentityError(
                    "git does not know your name and email address, so it cannot commit",
                    repository=self.directory,
                    command=done.command,
                    exit_status=done.exit_status,
                    stderr=_tail(done.stderr),
                    hint=_IDENTITY_HINT,
                )
            if "nothing to commit" in output or "no changes added to commit" in output:
                raise GitNothingToCommitError(
                    f"Nothing to commit: {', '.join(paths)} did not change",
                    repository=self.directory,
                    command=done.command,
                    exit_status=done.exit_status,
                    stderr=_tail(done.stderr),
                    hint="Check whether the change was already committed (git log)",
                )
            raise self._failed(
                done,
                f"Cannot commit {', '.join(paths)}",
                hint="A hook may have refused the commit: read its output above",
            )
        return self.rev_parse("HEAD")

    def push(self, remote: str, branch: str, *, revision: str = "HEAD") -> None:
        check_remote(remote)
        check_branch(branch)
        check_revision(revision)
        if revision.startswith("+") or ":" in revision:
            raise GitArgumentError(
                f"{revision!r} is not a valid revision to push",
                hint="Name one commit (no '+' for forcing, no ':' refspec)",
            )
        refspec = f"{revision}:refs/heads/{branch}"
        done = self._git(["push", "--porcelain", "--end-of-options", remote, refspec])
        rejected = push_rejections(done.stdout)
        moved = [reason for kind, reason in rejected if kind == "rejected"]
        where = f"{branch} on {remote}"
        if moved:
            raise GitPushRejectedError(
                f"The push to {where} was rejected because the remote branch moved on ({moved[0]})",
                repository=self.directory,
                command=done.command,
                exit_status=done.exit_status,
                stderr=_tail(done.stderr),
                hint="Nothing was pushed. Fetch, rebase onto the remote branch and push again "
                "(a resumed release does this)",
            )
        if rejected:
            raise GitPushError(
                f"The remote refused the push to {where}: {rejected[0][1]}",
                repository=self.directory,
                command=done.command,
                exit_status=done.exit_status,
                stderr=_tail(done.stderr),
                hint="Read the remote's message above; propose the change for review if it "
                "cannot be pushed directly",
            )
        if done.exit_status != 0:
            raise self._failed(
                done,
                f"Cannot push to {where}",
                error=GitPushError,
                hint="Check the network, the remote's URL (git remote -v) and your credentials",
            )

    def rebase(self, onto: str) -> str:
        done = self._git(["rebase", "--no-autostash", "--end-of-options", check_revision(onto)])
        if done.exit_status == 0:
            return self.rev_parse("HEAD")
        listed = self._git(["diff", "--name-only", "--diff-filter=U", "-z"])
        conflicts = tuple(
            os.fsdecode(name)
            for name in listed.stdout.split(b"\0")
            if name and not listed.exit_status
        )
        self._git(["rebase", "--abort"])  # harmless when no rebase is in progress
        if conflicts:
            raise GitRebaseConflictError(
                f"Rebasing onto {onto} stopped on conflicts in {', '.join(conflicts)}; "
                "the rebase was aborted and the branch is unchanged",
                paths=conflicts,
                repository=self.directory,
                command=done.command,
                exit_status=done.exit_status,
                stderr=_tail(done.stderr),
                hint="Someone changed the same lines: redo the change on top of theirs",
            )
        raise self._failed(done, f"Cannot rebase onto {onto}")

    # -- reading commits and files ----------------------------------------

    def rev_parse(self, revision: str) -> str:
        done = self._git(
            [
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                f"{check_revision(revision)}^{{commit}}",
            ]
        )
        if done.exit_status != 0:
            raise GitRevisionError(
                f"{revision!r} does not name a commit in {self.directory}",
                repository=self.directory,
                command=done.command,
                exit_status=done.exit_status,
                stderr=_tail(done.stderr),
                hint="Fetch first if it is someone else's commit, or check the spelling",
            )
        return _object_id(done.stdout.decode("ascii", "replace").strip(), done.command)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = self._git(
            [
                "merge-base",
                "--is-ancestor",
                "--end-of-options",
                check_revision(ancestor),
                check_revision(descendant),
            ]
        )
        if done.exit_status in (0, 1):
            return done.exit_status == 0
        raise self._failed(
            done,
            f"Cannot tell whether {ancestor} is an ancestor of {descendant}",
            error=GitRevisionError,
            hint="Fetch first if they are someone else's commits, or check the spelling",
        )

    def show(self, revision: str, path: str) -> str:
        check_revision(revision)
        done = self._git(["cat-file", "blob", "--end-of-options", f"{revision}:{check_path(path)}"])
        if done.exit_status != 0:
            raise self._failed(
                done,
                f"cannot read {path} at git revision {revision}",
                error=GitRevisionError,
                hint="Use REV:PATH with a path relative to the current directory (./bundle.yaml) "
                "or to the repository root",
            )
        try:
            return done.stdout.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileAccessError(
                f"{revision}:{path} is not UTF-8 text (byte {error.start} cannot be decoded)"
            ) from None

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
        if changes and patch:
            raise GitArgumentError("Ask the log for changed paths or for a patch, not both")
        marker = "lpsm-" + os.urandom(12).hex()  # what secrets.token_hex does
        args = [
            "log",
            "-z",
            "--encoding=UTF-8",
            f"--format=%x00{marker}%x00{LOG_FORMAT}%x00",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--no-color",
            "--no-abbrev",
        ]
        if first_parent:
            args += ["--first-parent", "--diff-merges=first-parent"]
        else:
            args.append("--diff-merges=off")
        if changes:
            args.append("--raw")
        if patch:
            args += ["--patch", "--src-prefix=a/", "--dst-prefix=b/"]
        args += ["--end-of-options", check_revision(until)]
        if since is not None:
            args.append("^" + check_revision(since))
        args += ["--", *(check_path(path) for path in paths)]
        self._read = {}
        if changes and self.read_ahead:
            done, commits = self._log_reading_ahead(args, marker.encode("ascii"))
        else:
            done = self._git(args)
        if done.exit_status != 0:
            self._read = {}
            span = f"{since}..{until}" if since else until
            raise self._failed(
                done,
                f"Cannot read the history {span} of {self.directory}",
                error=GitRevisionError
                if "unknown revision" in done.stderr or "bad revision" in done.stderr
                else GitCommandError,
                hint="Fetch first if the commits are someone else's, or check the spelling",
            )
        if changes and self.read_ahead:
            return commits
        return parse_log(done.stdout, marker.encode("ascii"), patch=patch)

    def _log_reading_ahead(
        self, args: Sequence[str], marker: bytes
    ) -> tuple[_Done, tuple[Commit, ...]]:
        """Run ``git log ARGS`` (``--raw``) with a ``git cat-file --batch`` alongside.

        Each commit is read as soon as the log has printed it, and the ids of
        the blobs its changes name go to cat-file at once; what cat-file
        prints is kept for :meth:`read_blobs`. One deadline for both; on any
        failure both are stopped, as process groups. cat-file only helps: if
        it fails, nothing is kept, and read_blobs runs its own (which says
        what is wrong).
        """
        command = shlex.join(["git", *args])
        log = self._spawn(args, stdin=False)
        cat: subprocess.Popen[bytes] | None = None
        try:
            cat = self._spawn(["cat-file", "--batch", "--buffer"], stdin=True)
            blobs = BatchReader(self.directory, "git cat-file --batch")
            pump = _ReadAhead(log, cat, LogReader(marker, patch=False), blobs)
            if not pump.run(time.monotonic() + self.timeout):
                raise self._timed_out(command)
        except BaseException:
            _stop(log)
            if cat is not None:
                _stop(cat)
            raise
        finally:
            for process in (log, cat):
                for stream in (process.stdin, process.stdout, process.stderr) if process else ():
                    if stream is not None:
                        with contextlib.suppress(OSError):
                            stream.close()
        done = self._finished(command, pump.log_status, b"", pump.log_stderr)
        if done.exit_status == 0 and pump.blobs is not None:
            self._read = pump.blobs
        return done, tuple(pump.commits)

    def read_blobs(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        wanted = [check_object_id(object_id) for object_id in dict.fromkeys(ids)]
        if not wanted:
            return {}
        read = self._read
        missing = [object_id for object_id in wanted if object_id not in read]
        if missing:
            stdin = "".join(f"{i}\n" for i in missing).encode()
            done = self._git(["cat-file", "--batch"], stdin=stdin)
            if done.exit_status != 0:
                raise self._failed(done, "Cannot read the file contents")
            read = {**read, **parse_batch(done.stdout, missing, self.directory, done.command)}
        blobs = {object_id: read[object_id] for object_id in wanted}
        for object_id in wanted:  # read ahead for one reading
            self._read.pop(object_id, None)
        return blobs


class _ReadAhead:
    """The I/O of :meth:`GitCli._log_reading_ahead`: a log, and a cat-file fed by it.

    Every output is read as it comes, so that neither process ever waits on
    a full pipe, and parsed as it comes, so that little is kept; ids are
    written to cat-file without blocking, and its input is closed once the
    log has ended and every id is written.
    """

    def __init__(
        self,
        log: subprocess.Popen[bytes],
        cat: subprocess.Popen[bytes],
        commits: LogReader,
        blobs: BatchReader,
    ) -> None:
        assert log.stdout is not None
        assert log.stderr is not None
        assert cat.stdin is not None
        assert cat.stdout is not None
        assert cat.stderr is not None
        self.log, self.cat = log, cat
        self._commits, self._blobs = commits, blobs
        self.commits: list[Commit] = []
        #: The contents cat-file printed, if it read every blob the log named.
        self.blobs: dict[str, bytes] | None = None
        self.log_status = -1
        self.log_stderr = b""
        self._log_out, self._log_err = log.stdout.fileno(), log.stderr.fileno()
        self._cat_in, self._cat_out = cat.stdin.fileno(), cat.stdout.fileno()
        self._errors: dict[int, list[bytes]] = {self._log_err: [], cat.stderr.fileno(): []}
        self._asked: set[str] = set()
        self._pending = bytearray()  # ids not yet written
        self._feeding = True  # more ids may come
        self._failed = False  # cat-file stopped taking ids, or printed what cannot be read
        self._selector = selectors.PollSelector()

    def run(self, deadline: float) -> bool:
        """Move the bytes until both processes are done; ``False`` if the deadline came first."""
        os.set_blocking(self._cat_in, False)
        with self._selector as selector:
            for fd in (self._log_out, self._cat_out, *self._errors):
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                for key, _ in selector.select(left):
                    if key.fd == self._cat_in:
                        self._write()
                    else:
                        self._read(key.fd)
        try:
            self.log_status = self.log.wait(max(deadline - time.monotonic(), 0.001))
            cat_status = self.cat.wait(max(deadline - time.monotonic(), 0.001))
        except subprocess.TimeoutExpired:
            return False
        self.log_stderr = b"".join(self._errors[self._log_err])
        if cat_status == 0 and not self._failed:
            with contextlib.suppress(GitError):
                self.blobs = self._blobs.close()
        return True

    def _read(self, fd: int) -> None:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            self._selector.unregister(fd)
            if fd == self._log_out:
                self._add(self._commits.close())
                self._feeding = False
                self._flush()
        elif fd == self._log_out:
            self._add(self._commits.feed(chunk))
            self._flush()
        elif fd == self._cat_out:
            if not self._failed:
                try:
                    self._blobs.feed(chunk)
                except GitError:  # read_blobs will say what is wrong
                    self._failed = True
        else:
            self._errors[fd].append(chunk)

    def _add(self, commits: list[Commit]) -> None:
        self.commits += commits
        if self._failed:
            return
        asked, pending = self._asked, self._pending
        for commit in commits:
            for change in commit.changes:
                blob = change.new_blob
                if blob is not None and blob not in asked:
                    asked.add(blob)
                    self._blobs.expect(blob)
                    pending += blob.encode("ascii") + b"\n"

    def _flush(self) -> None:
        """Start writing what is pending, or close cat-file's input when nothing more comes."""
        registered = self._cat_in in self._selector.get_map()
        if self._pending and not registered:
            self._selector.register(self._cat_in, selectors.EVENT_WRITE)
        elif not self._pending and not self._feeding and not registered:
            self._close_input()

    def _write(self) -> None:
        try:
            del self._pending[: os.write(self._cat_in, self._pending)]
        except BlockingIOError:
            return
        except BrokenPipeError:  # cat-file ended early: read ahead no further
            self._failed = True
            self._pending.clear()
        if not self._pending:
            self._selector.unregister(self._cat_in)
            if not self._feeding or self._failed:
                self._close_input()

    def _close_input(self) -> None:
        assert self.cat.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.cat.stdin.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill git and everything it started (ssh, hooks), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError, OSError):
        process.communicate(timeout=5)
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        process.wait(timeout=5)  # when communicate could not (its input was closed already)


def _tail(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("hint:")]
    return "\n".join(lines[-_STDERR_LINES:])


def _object_id(text: str, command: str) -> str:
    try:
        return check_object_id(text)
    except GitArgumentError:
        raise GitOutputError(f"{command} printed {text!r}, which is not an object id") from None
