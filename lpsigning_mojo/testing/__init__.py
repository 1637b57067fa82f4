"""Strict fakes of the Protocols in :mod:`lpsigning_mojo.external`, for tests and rehearsals.

A strict fake answers only the calls it was told to expect, in the order
told for each argument, records every call in ``calls``, and fails loudly
(:class:`UnexpectedCallError`) on anything else, so a test cannot pass by
accident. :meth:`~_StrictFake.verify` fails when an expected call never came.

    >>> hub = FakeCharmhub()
    >>> hub.expect_channel_map("lp-signing", releases=[])
    >>> hub.channel_map("lp-signing")
    ()
    >>> hub.verify()
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from lpsigning_mojo.remote import (
    LineCallback,
    LineSplitter,
    OutputLine,
    RunResult,
    Stream,
    shell_command_line,
)

if TYPE_CHECKING:
    from lpsigning_mojo.charms import Release
    from lpsigning_mojo.external.git import Commit, Upstream, WorkTreeStatus
    from lpsigning_mojo.external.juju import DeployedState
    from lpsigning_mojo.external.launchpad import Bug, FiledBug, StatusChange
    from lpsigning_mojo.external.probe import ProbeResult

__all__ = [
    "FakeCharmhub",
    "FakeClock",
    "FakeJujuStatusSource",
    "FakeRunner",
    "UnexpectedCallError",
]

T = TypeVar("T")


class UnexpectedCallError(AssertionError):
    """A strict fake was called in a way it was not told to expect."""


class FakeClock:
    """A :class:`~lpsigning_mojo.clock.Clock` whose ``sleep`` advances time at once.

    ``sleeps`` records every sleep, in order. ``on_sleep``, if given, is
    called after each sleep (e.g. to start a server "while" the code under
    test waits). A negative sleep is a bug and fails loudly.
    """

    #: The wall-clock time (:meth:`time`) when ``now`` is 0: 2026-01-01T00:00:00Z.
    EPOCH = 1_767_225_600.0

    def __init__(self, start: float = 0.0, on_sleep: Callable[[float], None] | None = None) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        """Wall time that moves with :meth:`monotonic`, from :attr:`EPOCH`."""
        return self.EPOCH + self.now

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise UnexpectedCallError(f"sleep({seconds!r}): a negative sleep is a bug")
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


class _StrictFake(Generic[T]):
    """Expectations keyed by the call, each answered once, in order.

    A fake of a one-method Protocol keys a call by its one argument
    (:meth:`_expect` and :meth:`_answer`, recorded in ``calls`` as
    ``(_method, key)``). A fake of a Protocol with several methods, or
    several arguments, keys a call by its method and arguments as code would
    write them (:func:`_call_text`; :meth:`_expect_call` and
    :meth:`_answer_call`, recorded as ``(method, arguments)``). Either way an
    unexpected call fails at once and :meth:`verify` fails for an expected
    call that never came.
    """

    _method = "call"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self._expected: dict[str, deque[T | BaseException]] = {}

    def _expect(self, key: str, outcome: T | BaseException) -> None:
        self._expect_call(self._method, repr(key), outcome)

    def _answer(self, key: str) -> T:
        return self._pop(self._method, repr(key), recorded=key)

    def _expect_call(self, method: str, arguments: str, outcome: T | BaseException) -> None:
        self._expected.setdefault(f"{method}({arguments})", deque()).append(outcome)

    def _answer_call(self, method: str, arguments: str) -> T:
        return self._pop(method, arguments, recorded=arguments)

    def _pop(self, method: str, arguments: str, *, recorded: str) -> T:
        self.calls.append((method, recorded))
        call = f"{method}({arguments})"
        pending = self._expected.get(call)
        if not pending:
            expected = sorted(key for key, queue in self._expected.items() if queue)
            raise UnexpectedCallError(
                f"{type(self).__name__}.{call} was not expected; "
                f"still expected: {', '.join(expected) or 'nothing'}"
            )
        outcome = pending.popleft()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def verify(self) -> None:
        """Fail when a call that was expected never came."""
        missing = [key for key, queue in self._expected.items() for _ in queue]
        if missing:
            raise UnexpectedCallError(
                f"{type(self).__name__} expected calls that never came: {', '.join(missing)}"
            )


def _call_text(*args: object, **options: object) -> str:
    """The arguments of a call as code would write them: ``1, 'x', status='New'``."""
    return ", ".join(
        [*map(repr, args), *(f"{k}={v!r}" for k, v in options.items() if v is not None)]
    )


class FakeCharmhub(_StrictFake["tuple[Release, ...]"]):
    """A strict fake :class:`~lpsigning_mojo.external.charmhub.Charmhub`."""

    _method = "channel_map"

    def expect_channel_map(
        self,
        charm: str,
        releases: Sequence[Release] = (),
        *,
        error: BaseException | None = None,
    ) -> None:
        """Answer the next ``channel_map(charm)`` with ``releases``, or raise ``error``."""
        self._expect(charm, error if error is not None else tuple(releases))

    def channel_map(self, charm: str) -> tuple[Release, ...]:
        return self._answer(charm)


class FakeJujuStatusSource(_StrictFake["DeployedState"]):
    """A strict fake :class:`~lpsigning_mojo.external.juju.JujuStatusSource`."""

    _method = "deployed_state"

    def expect_deployed_state(
        self,
        application: str,
        state: DeployedState | None = None,
        *,
        error: BaseException | None = None,
    ) -> None:
        """Answer the next ``deployed_state(application)`` with ``state``, or raise ``error``."""
        if error is not None and state is None:
            self._expect(application, error)
        elif state is not None and error is None:
            self._expect(application, state)
        else:
            raise TypeError("expect_deployed_state needs exactly one of state and error")

    def deployed_state(self, application: str) -> DeployedState:
        return self._answer(application)


class FakeRunner(_StrictFake[RunResult]):
    """A strict fake :class:`~lpsigning_mojo.remote.CommandRunner`, keyed by command line.

    A command given as a sequence is joined with :func:`shlex.join`, as real
    runners do, so an expectation matches the exact line a real runner would
    send. :meth:`run` passes each line of the answer to ``on_line`` (stdout's
    lines, then stderr's) and returns it; it ignores ``timeout``,
    ``idle_timeout`` and ``pty``.
    """

    _method = "run"

    def __init__(self, *, host: str = "fake-host") -> None:
        super().__init__()
        self.host = host

    def expect_run(
        self,
        command: str | Sequence[str],
        *,
        stdout: str = "",
        stderr: str = "",
        exit_status: int | None = 0,
        error: BaseException | None = None,
    ) -> None:
        """Answer the next ``run(command)`` with this output and status, or raise ``error``."""
        line = shell_command_line(command)
        if error is not None:
            self._expect(line, error)
            return
        output: list[OutputLine] = []
        streams: tuple[tuple[Stream, str], ...] = (("stdout", stdout), ("stderr", stderr))
        for stream, text in streams:
            LineSplitter(stream, output.append).feed(text.encode(), final=True)
        self._expect(
            line,
            RunResult(
                command=line,
                host=self.host,
                exit_status=exit_status,
                elapsed=0.0,
                output=tuple(output),
            ),
        )

    def run(
        self,
        command: str | Sequence[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        pty: bool = False,
    ) -> RunResult:
        result = self._answer(shell_command_line(command))
        if on_line is not None:
            for line in result.output:
                on_line(line)
        return result


class FakeGit(_StrictFake[object]):
    """A strict fake :class:`~lpsigning_mojo.external.git.Git`: one repository.

    Each ``expect_*`` method queues the answer to one call with exactly
    those arguments (``error`` raises instead). Calls are recorded in
    ``calls`` as ``("call", "METHOD ARGUMENTS")``. Like
    :class:`~lpsigning_mojo.external.git.GitCli`, it refuses a revision,
    remote or branch starting with ``-``
    (:class:`~lpsigning_mojo.errors.GitArgumentError`) before looking at
    its expectations.

        >>> git = FakeGit()
        >>> git.expect_rev_parse("HEAD", "0" * 40)
        >>> git.rev_parse("HEAD") == "0" * 40
        True
        >>> git.verify()
    """

    def _queue(
        self, method: str, arguments: str, value: object, error: BaseException | None
    ) -> None:
        self._expect_call(method, arguments, error if error is not None else value)

    @staticmethod
    def _check(*revisions: str | None) -> None:
        from lpsigning_mojo.external.git import check_revision

        for revision in revisions:
            if revision is not None:
                check_revision(revision)

    def expect_status(
        self, status: WorkTreeStatus | None = None, *, error: BaseException | None = None
    ) -> None:
        """Answer the next ``status()``."""
        self._queue("status", _call_text(), status, error)

    def status(self) -> WorkTreeStatus:
        return cast("WorkTreeStatus", self._answer_call("status", _call_text()))

    def expect_upstream(
        self, upstream: Upstream | None = None, *, error: BaseException | None = None
    ) -> None:
        """Answer the next ``upstream()`` (e.g. ``error=GitNoUpstreamError(...)``)."""
        self._queue("upstream", _call_text(), upstream, error)

    def upstream(self) -> Upstream:
        return cast("Upstream", self._answer_call("upstream", _call_text()))

    def expect_fetch(self, remote: str, *, error: BaseException | None = None) -> None:
        """Expect ``fetch(remote)``."""
        self._queue("fetch", _call_text(remote), None, error)

    def fetch(self, remote: str) -> None:
        self._check(remote)
        self._answer_call("fetch", _call_text(remote))

    def expect_commit(
        self,
        paths: Sequence[str],
        message: str,
        commit_id: str = "",
        *,
        error: BaseException | None = None,
    ) -> None:
        """Answer the next ``commit(paths, message)`` (exactly that message) with ``commit_id``."""
        self._queue("commit", _call_text(tuple(paths), message), commit_id, error)

    def commit(self, paths: Sequence[str], message: str) -> str:
        return cast("str", self._answer_call("commit", _call_text(tuple(paths), message)))

    def expect_push(
        self,
        remote: str,
        branch: str,
        *,
        revision: str = "HEAD",
        error: BaseException | None = None,
    ) -> None:
        """Expect ``push(remote, branch, revision=revision)``; ``error`` e.g. a rejection."""
        self._queue("push", _call_text(remote, branch, revision=revision), None, error)

    def push(self, remote: str, branch: str, *, revision: str = "HEAD") -> None:
        self._check(remote, branch, revision)
        self._answer_call("push", _call_text(remote, branch, revision=revision))

    def expect_rebase(
        self, onto: str, new_head: str = "", *, error: BaseException | None = None
    ) -> None:
        """Answer the next ``rebase(onto)`` with the new HEAD."""
        self._queue("rebase", _call_text(onto), new_head, error)

    def rebase(self, onto: str) -> str:
        self._check(onto)
        return cast("str", self._answer_call("rebase", _call_text(onto)))

    def expect_rev_parse(
        self, revision: str, commit_id: str = "", *, error: BaseException | None = None
    ) -> None:
        """Answer the next ``rev_parse(revision)`` with ``commit_id``."""
        self._queue("rev_parse", _call_text(revision), commit_id, error)

    def rev_parse(self, revision: str) -> str:
        self._check(revision)
        return cast("str", self._answer_call("rev_parse", _call_text(revision)))

    def expect_is_ancestor(
        self,
        ancestor: str,
        descendant: str,
        result: bool = True,
        *,
        error: BaseException | None = None,
    ) -> None:
        """Answer the next ``is_ancestor(ancestor, descendant)`` with ``result``."""
        self._queue("is_ancestor", _call_text(ancestor, descendant), result, error)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        self._check(ancestor, descendant)
        return cast("bool", self._answer_call("is_ancestor", _call_text(ancestor, descendant)))

    def expect_show(
        self, revision: str, path: str, text: str = "", *, error: BaseException | None = None
    ) -> None:
        """Answer the next ``show(revision, path)`` with ``text``."""
        self._queue("show", _call_text(revision, path), text, error)

    def show(self, revision: str, path: str) -> str:
        self._check(revision)
        return cast("str", self._answer_call("show", _call_text(revision, path)))

    def expect_log(
        self,
        commits: Sequence[Commit] = (),
        *,
        until: str = "HEAD",
        since: str | None = None,
        paths: Sequence[str] = (),
        changes: bool = False,
        patch: bool = False,
        first_parent: bool = False,
        error: BaseException | None = None,
    ) -> None:
        """Answer the next ``log(...)`` with exactly these arguments with ``commits``."""
        arguments = _call_text(
            until,
            since=since,
            paths=tuple(paths),
            changes=changes,
            patch=patch,
            first_parent=first_parent,
        )
        self._queue("log", arguments, tuple(commits), error)

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
        self._check(until, since)
        arguments = _call_text(
            until,
            since=since,
            paths=tuple(paths),
            changes=changes,
            patch=patch,
            first_parent=first_parent,
        )
        return cast("tuple[Commit, ...]", self._answer_call("log", arguments))

    def expect_read_blobs(
        self,
        ids: Iterable[str],
        blobs: Mapping[str, bytes] | None = None,
        *,
        error: BaseException | None = None,
    ) -> None:
        """Answer the next ``read_blobs(ids)`` (the same ids, in order) with ``blobs``."""
        self._queue("read_blobs", _call_text(tuple(ids)), dict(blobs or {}), error)

    def read_blobs(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        return cast("Mapping[str, bytes]", self._answer_call("read_blobs", _call_text(tuple(ids))))


__all__ += ["FakeGit"]


# -- fakes of the health probe, Launchpad and chat adapters ------------------------------------


class FakeHealthProbe(_StrictFake["ProbeResult"]):
    """A strict fake :class:`~lpsigning_mojo.external.probe.HealthProbe`."""

    _method = "check"

    def expect_check(
        self,
        base_url: str,
        result: ProbeResult | None = None,
        *,
        healthy: bool | None = None,
        reason: str | None = None,
        terminal: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``check(base_url)``.

        Pass a whole ``result``, or ``healthy`` (and a ``reason``, and whether
        the failure is ``terminal``) to have one made.
        """
        from lpsigning_mojo.external.probe import ProbeResult, service_key_url

        if (result is None) == (healthy is None):
            raise TypeError("expect_check needs exactly one of result and healthy")
        if result is None:
            result = ProbeResult(
                url=service_key_url(base_url),
                healthy=bool(healthy),
                reason=reason or ("HTTP 200 with a service key" if healthy else "HTTP 500"),
                status=200 if healthy else None,
                service_key="a2V5" if healthy else None,
                terminal=terminal and not healthy,
            )
        for _ in range(times):
            self._expect(base_url, result)

    def check(self, base_url: str) -> ProbeResult:
        return self._answer(base_url)


__all__ += ["FakeHealthProbe"]


class FakeChat(_StrictFake[None]):
    """A strict fake :class:`~lpsigning_mojo.external.chat.Chat`.

    ``posts`` lists the messages posted, as ``(text, channel, username)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[tuple[str, str | None, str | None]] = []

    def expect_post(
        self,
        text: str,
        *,
        channel: str | None = None,
        username: str | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Accept the next ``post(text, channel=..., username=...)``, or raise ``error``."""
        self._expect_call("post", _call_text(text, channel=channel, username=username), error)

    def post(self, text: str, *, channel: str | None = None, username: str | None = None) -> None:
        self._answer_call("post", _call_text(text, channel=channel, username=username))
        self.posts.append((text, channel, username))


__all__ += ["FakeChat"]


class FakeLaunchpad(_StrictFake["Bug | StatusChange | FiledBug"]):
    """A strict fake :class:`~lpsigning_mojo.external.launchpad.Launchpad`.

    ``filed`` lists the bugs filed, with their whole description, as
    ``(project, title, description, tags)``; the expectation of
    :meth:`file_bug` leaves the description out, since it often holds a
    journal excerpt.
    """

    def __init__(self) -> None:
        super().__init__()
        self.filed: list[tuple[str, str, str, tuple[str, ...]]] = []

    def expect_bug(
        self, number: int, bug: Bug | None = None, *, error: BaseException | None = None
    ) -> None:
        """Answer the next ``bug(number)`` with ``bug``, or raise ``error``."""
        self._expect_call("bug", _call_text(number), _one_of(bug, error, "expect_bug"))

    def bug(self, number: int) -> Bug:
        return self._answer_call("bug", _call_text(number))  # type: ignore[return-value]

    def expect_set_task_status(
        self,
        number: int,
        target: str,
        status: str,
        *,
        from_status: str | None = None,
        old_status: str | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Accept the next such ``set_task_status`` call, or raise ``error``.

        The answer says the task was in ``old_status`` (default: ``from_status``,
        else the status before the change is unknown and taken as ``status``).
        """
        from lpsigning_mojo.external.launchpad import StatusChange

        change = None
        if error is None:
            change = StatusChange(
                bug=number,
                bug_target_name=target,
                old_status=old_status or from_status or status,
                status=status,
            )
        key = _call_text(number, target, status, from_status=from_status)
        self._expect_call("set_task_status", key, _one_of(change, error, "expect_set_task_status"))

    def set_task_status(
        self, number: int, target: str, status: str, *, from_status: str | None = None
    ) -> StatusChange:
        key = _call_text(number, target, status, from_status=from_status)
        return self._answer_call("set_task_status", key)  # type: ignore[return-value]

    def expect_file_bug(
        self,
        project: str,
        *,
        title: str,
        tags: Sequence[str] = (),
        filed: FiledBug | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Accept the next ``file_bug(project, title=..., tags=...)``; answer ``filed``."""
        key = _call_text(project, title=title, tags=tuple(tags))
        self._expect_call("file_bug", key, _one_of(filed, error, "expect_file_bug"))

    def file_bug(
        self, project: str, *, title: str, description: str, tags: Sequence[str] = ()
    ) -> FiledBug:
        key = _call_text(project, title=title, tags=tuple(tags))
        self.filed.append((project, title, description, tuple(tags)))
        return self._answer_call("file_bug", key)  # type: ignore[return-value]


def _one_of(value: T | None, error: BaseException | None, method: str) -> T | BaseException:
    if (value is None) == (error is None):
        raise TypeError(f"{method} needs exactly one of its answer and error")
    return error if error is not None else value  # type: ignore[return-value]


__all__ += ["FakeLaunchpad"]
