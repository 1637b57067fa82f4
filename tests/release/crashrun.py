"""A release in a subprocess, stopped at a chosen point so that a test can kill it.

Usage: python -m tests.release.crashrun SETUP.json [--pause POINT] [--production SOURCE]

It builds the same World as the tests (:func:`tests.release.harness.build_world`)
from ``SETUP.json``, with a fake clock, and runs ``release staging --latest
--bug 2034567``, or with ``--production SOURCE`` ``release production
--build-label staging --source SOURCE``. At ``--pause POINT`` it prints
``PAUSED POINT`` and waits, so the test can kill it there: ``done:STEP`` once a
step's end is recorded and shown, ``after:commit`` and ``after:push`` once git
returned but before the step's end is recorded, ``after:post`` once the
announcement was posted but before that is recorded.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from lpsigning_mojo.release.production import (
    ProductionOptions,
    production_plan,
    release_production,
)
from lpsigning_mojo.release.staging import StagingOptions, release_staging, staging_plan
from lpsigning_mojo.runbook import StreamReporter, TerminalPrompt
from lpsigning_mojo.testing import FakeClock
from tests.release.harness import Setup, build_world

OPTIONS = StagingOptions(latest=True, bugs=(2034567,))


class Pauser:
    def __init__(self, point: str | None) -> None:
        self.point = point

    def __call__(self, point: str) -> None:
        if point == self.point:
            print(f"PAUSED {point}", flush=True)
            sys.stdin.readline()
            time.sleep(60)


class PausingReporter(StreamReporter):
    """Pauses once a step's end has been recorded and shown (``done:STEP``)."""

    pause: Pauser
    steps: Sequence[str] = ()

    def info(self, text: str) -> None:
        super().info(text)
        for step in self.steps:
            if f"] {step}: done" in text or f"] {step}: skipped" in text:
                self.pause(f"done:{step}")


class PausingGit:
    """The spec repository's git, pausing after a commit or a push (``after:commit``)."""

    def __init__(self, inner: Any, pause: Pauser) -> None:
        self.inner = inner
        self.pause = pause

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name not in ("commit", "push"):
            return method

        def paused(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            self.pause(f"after:{name}")
            return result

        return paused


class PausingChat:
    """The announcement's webhook, pausing once a post was made (``after:post``)."""

    def __init__(self, inner: Any, pause: Pauser) -> None:
        self.inner = inner
        self.pause = pause

    def post(self, text: str, **kwargs: Any) -> None:
        self.inner.post(text, **kwargs)
        self.pause("after:post")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("setup", type=Path)
    parser.add_argument("--pause")
    parser.add_argument("--production", metavar="SOURCE")
    args = parser.parse_args(argv)
    pause = Pauser(args.pause)
    clock = FakeClock()
    reporter = PausingReporter(clock=clock, tty=False)
    reporter.pause = pause
    world = build_world(
        Setup.from_json(args.setup.read_text()),
        clock=clock,
        prompt=TerminalPrompt(yes=True, tty=False),
        reporter=reporter,
    )
    if args.production is not None:
        options = ProductionOptions(build_label="staging", source=args.production)
        reporter.steps = production_plan(world, options).step_names
        world = attrs.evolve(
            world, git=PausingGit(world.git, pause), chat=PausingChat(world.chat, pause)
        )
        return release_production(world, options).exit_code
    reporter.steps = staging_plan(world, OPTIONS).step_names
    world = attrs.evolve(world, git=PausingGit(world.git, pause))
    return release_staging(world, OPTIONS).exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
