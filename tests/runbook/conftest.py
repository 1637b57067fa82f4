"""A small World and plan for the engine's tests: steps that act on a dict."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from lpsigning_mojo.errors import LpsigningMojoError
from lpsigning_mojo.runbook import (
    Journal,
    Outputs,
    RemoteDirLock,
    RunStore,
    Step,
    StepState,
    StreamReporter,
    TerminalPrompt,
)
from lpsigning_mojo.testing import FakeClock
from tests.runbook.localrunner import FlakyRunner


@attrs.frozen(kw_only=True)
class Outside:
    """The outside world the test steps change: what happened, in order."""

    effects: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class DemoWorld:
    """A World that extends the engine's three collaborators with ``outside``."""

    clock: FakeClock
    prompt: TerminalPrompt
    reporter: StreamReporter
    outside: Outside
    out: io.StringIO
    err: io.StringIO
    asked: io.StringIO

    @property
    def output(self) -> str:
        return self.out.getvalue()


def make_world(*, answers: str = "", yes: bool = False, tty: bool = True) -> DemoWorld:
    clock = FakeClock()
    out, err, asked = io.StringIO(), io.StringIO(), io.StringIO()
    return DemoWorld(
        clock=clock,
        prompt=TerminalPrompt(yes=yes, input=io.StringIO(answers), output=asked, tty=tty),
        reporter=StreamReporter(clock=clock, out=out, err=err, tty=False),
        outside=Outside(),
        out=out,
        err=err,
        asked=asked,
    )


Action = Callable[[DemoWorld, Journal], "Outputs | None"]


@attrs.frozen(kw_only=True)
class Act(Step[DemoWorld]):
    """Appends ``name`` to the outside effects; ``checkable`` steps can tell they are done.

    ``before`` and ``after`` run inside ``run``, around the effect (to raise);
    ``ask`` makes ``resolve_unknown`` ask the person.
    """

    name: str
    title: str = ""
    checkable: bool = True
    before: Action | None = None
    after: Action | None = None
    seconds: float = 1.0
    ask: bool = False

    def describe(self, world: DemoWorld, journal: Journal) -> list[str]:
        return [f"append {self.name!r} to the effects"]

    def done(self, world: DemoWorld, journal: Journal) -> bool:
        return self.checkable and self.name in world.outside.effects

    def done_outputs(self, world: DemoWorld, journal: Journal) -> Outputs:
        return {"position": world.outside.effects.index(self.name)}

    def run(self, world: DemoWorld, journal: Journal) -> Outputs | None:
        world.clock.sleep(self.seconds)
        if self.before is not None:
            self.before(world, journal)
        world.outside.effects.append(self.name)
        if self.after is not None:
            self.after(world, journal)
        return {"position": len(world.outside.effects) - 1}

    def resolve_unknown(
        self, world: DemoWorld, journal: Journal, previous: StepState
    ) -> Outputs | None:
        if not self.ask:
            return None
        from lpsigning_mojo.runbook import ask_what_happened

        return ask_what_happened(world, journal, self, previous, what=["look at the effects"])


class Boom(LpsigningMojoError):
    pass


def raise_once(error: BaseException) -> Action:
    """An action that raises ``error`` the first time only."""
    raised: list[bool] = []

    def action(world: DemoWorld, journal: Journal) -> None:
        if not raised:
            raised.append(True)
            raise error

    return action


@pytest.fixture
def world() -> DemoWorld:
    return make_world()


@pytest.fixture
def runs(tmp_path: Path, world: DemoWorld) -> RunStore:
    return RunStore(tmp_path / "runs", clock=world.clock)


@pytest.fixture
def lock(tmp_path: Path) -> RemoteDirLock:
    return RemoteDirLock(FlakyRunner(), str(tmp_path / "locks" / "demo"), host="here")
