"""A small plan, run in a subprocess by test_crash.py, to be killed and resumed.

Usage: python -m tests.runbook.crashplan WORK [--resume RUN] [--pause POINT]

Each step appends its name to ``WORK/effects/NAME`` (the outside world). At
``--pause POINT`` the program prints ``PAUSED POINT`` and waits on standard
input, so the test can kill it there: ``before:STEP`` and ``after:STEP``
(inside ``run``, around the effect), ``inside:announce`` (after the effect,
before its journal record), ``done:STEP`` (after the step's end is recorded).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import attrs

from lpsigning_mojo.clock import SYSTEM_CLOCK
from lpsigning_mojo.external.local import LocalRunner
from lpsigning_mojo.runbook import (
    BasicWorld,
    Journal,
    Outputs,
    Plan,
    RemoteDirLock,
    RunStore,
    Step,
    StreamReporter,
    TerminalPrompt,
    execute,
)

STEPS = ("prepare", "commit", "announce", "upgrade")


class Pauser:
    def __init__(self, point: str | None) -> None:
        self.point = point

    def __call__(self, point: str) -> None:
        if point == self.point:
            print(f"PAUSED {point}", flush=True)
            sys.stdin.readline()
            time.sleep(60)


@attrs.frozen(kw_only=True)
class World(BasicWorld):
    effects: Path
    pause: Pauser


class PausingReporter(StreamReporter):
    """Pauses once a step's end has been recorded and shown (``done:STEP``)."""

    pause: Pauser

    def info(self, text: str) -> None:
        super().info(text)
        for step in STEPS:
            if f"] {step}: done" in text or f"] {step}: skipped" in text:
                self.pause(f"done:{step}")


@attrs.frozen(kw_only=True)
class Append(Step[World]):
    name: str

    def file(self, world: World) -> Path:
        return world.effects / self.name

    def describe(self, world: World, journal: Journal) -> list[str]:
        return [f"append to {self.file(world)}"]

    def done(self, world: World, journal: Journal) -> bool:
        return self.file(world).exists()

    def act(self, world: World) -> None:
        with self.file(world).open("a") as handle:
            handle.write(self.name + "\n")

    def run(self, world: World, journal: Journal) -> Outputs:
        world.pause(f"before:{self.name}")
        self.act(world)
        world.pause(f"after:{self.name}")
        return {"file": str(self.file(world))}


@attrs.frozen(kw_only=True)
class Announce(Append):
    """An exactly-once effect keyed in the journals, and read back where it can be."""

    name: str = "announce"
    key: tuple[str, ...] = ("announce", "demo", "rev-90")

    def done(self, world: World, journal: Journal) -> bool:
        status = journal.effect_status(self.key)
        return (status is not None and status.status == "done") or self.file(world).exists()

    def run(self, world: World, journal: Journal) -> Outputs:
        world.pause(f"before:{self.name}")
        with journal.effect(self.key) as result:
            self.act(world)
            world.pause("inside:announce")
            result["posted"] = True
        world.pause(f"after:{self.name}")
        return {"announced": True}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    parser.add_argument("--resume")
    parser.add_argument("--pause")
    args = parser.parse_args(argv)
    pause = Pauser(args.pause)
    reporter = PausingReporter(clock=SYSTEM_CLOCK, tty=False)
    reporter.pause = pause
    world = World(
        clock=SYSTEM_CLOCK,
        prompt=TerminalPrompt(yes=True, tty=False),
        reporter=reporter,
        effects=args.work / "effects",
        pause=pause,
    )
    world.effects.mkdir(parents=True, exist_ok=True)
    steps: list[Step[World]] = [Append(name=name) for name in STEPS if name != "announce"]
    steps.insert(2, Announce())
    plan = Plan(name="crash", instance="demo", options={"revision": 90}, steps=tuple(steps))
    report = execute(
        plan,
        world,
        runs=RunStore(args.work / "runs", clock=SYSTEM_CLOCK),
        lock=RemoteDirLock(LocalRunner(), str(args.work / "lock"), host="here"),
        resume=args.resume,
        resume_command="crashplan --resume {run_id}",
    )
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
