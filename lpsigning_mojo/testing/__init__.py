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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from lpsigning_mojo.external.charmhub import Release
    from lpsigning_mojo.external.juju import DeployedState

__all__ = [
    "FakeCharmhub",
    "FakeClock",
    "FakeJujuStatusSource",
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
    """Expectations keyed by the call's argument, each answered once, in order."""

    _method = "call"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self._expected: dict[str, deque[T | BaseException]] = {}

    def _expect(self, key: str, outcome: T | BaseException) -> None:
        self._expected.setdefault(key, deque()).append(outcome)

    def _answer(self, key: str) -> T:
        self.calls.append((self._method, key))
        pending = self._expected.get(key)
        if not pending:
            expected = sorted(k for k, queue in self._expected.items() if queue)
            raise UnexpectedCallError(
                f"{type(self).__name__}.{self._method}({key!r}) was not expected; "
                f"still expected: {', '.join(map(repr, expected)) or 'nothing'}"
            )
        outcome = pending.popleft()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def verify(self) -> None:
        """Fail when a call that was expected never came."""
        missing = [
            f"{self._method}({key!r})" for key, queue in self._expected.items() for _ in queue
        ]
        if missing:
            raise UnexpectedCallError(
                f"{type(self).__name__} expected calls that never came: {', '.join(missing)}"
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


# -- fakes of the health probe, Launchpad and chat adapters ------------------------------------

if TYPE_CHECKING:
    from lpsigning_mojo.external.launchpad import Bug, FiledBug, StatusChange
    from lpsigning_mojo.external.probe import ProbeResult


def _call_text(*args: object, **options: object) -> str:
    """The arguments of a call as code would write them: ``1, 'x', status='New'``."""
    return ", ".join(
        [*map(repr, args), *(f"{k}={v!r}" for k, v in options.items() if v is not None)]
    )


class _StrictCalls(_StrictFake[T]):
    """A strict fake of a Protocol with several methods, or several arguments per call.

    Expectations are keyed by the method's name and its arguments (as
    :func:`_call_text` writes them); ``calls`` records ``(method, arguments)``.
    """

    def _expect_call(self, method: str, arguments: str, outcome: T | BaseException) -> None:
        self._expect(f"{method}({arguments})", outcome)

    def _answer_call(self, method: str, arguments: str) -> T:
        key = f"{method}({arguments})"
        self.calls.append((method, arguments))
        pending = self._expected.get(key)
        if not pending:
            expected = sorted(k for k, queue in self._expected.items() if queue)
            raise UnexpectedCallError(
                f"{type(self).__name__}.{key} was not expected; "
                f"still expected: {', '.join(expected) or 'nothing'}"
            )
        outcome = pending.popleft()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def verify(self) -> None:
        missing = [key for key, queue in self._expected.items() for _ in queue]
        if missing:
            raise UnexpectedCallError(
                f"{type(self).__name__} expected calls that never came: {', '.join(missing)}"
            )


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


class FakeChat(_StrictCalls[None]):
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


class FakeLaunchpad(_StrictCalls["Bug | StatusChange | FiledBug"]):
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
