"""Crash safety for real: kill a run with SIGKILL (or Ctrl-C) anywhere, resume, count effects.

Each trial runs tests/runbook/crashplan.py in a subprocess, stops it at one
point (after a step is recorded, or in the middle of a step: before its
effect, after it, inside an exactly-once effect), kills it, resumes with
``--resume last``, and checks that every effect happened exactly once, the
run finished and the lock was released.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.runbook.crashplan import STEPS

POINTS = [
    *(f"done:{step}" for step in STEPS),
    *(f"before:{step}" for step in STEPS),
    *(f"after:{step}" for step in STEPS),
    "inside:announce",
]


def start(work: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.runbook.crashplan", str(work), *extra],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def stop_at(work: Path, point: str, how: signal.Signals) -> tuple[int, str]:
    """Run until ``point``, send ``how``; return the exit status and all the output."""
    child = start(work, "--pause", point)
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line)
        if line.strip() == f"PAUSED {point}":
            child.send_signal(how)
            break
    else:
        child.wait(timeout=30)
        pytest.fail(
            f"never reached {point}: {''.join(seen)}{child.stderr.read() if child.stderr else ''}"
        )
    rest, errors = child.communicate(timeout=30)
    return child.returncode, "".join(seen) + rest + errors


def effects(work: Path) -> dict[str, list[str]]:
    return {path.name: path.read_text().splitlines() for path in (work / "effects").iterdir()}


def journal(work: Path) -> list[dict[str, object]]:
    (path,) = (work / "runs").iterdir()
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("point", POINTS)
def test_killed_anywhere_then_resumed_every_effect_happens_once(tmp_path: Path, point: str) -> None:
    status, _ = stop_at(tmp_path, point, signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert (tmp_path / "lock").is_dir()  # a killed run keeps the lock
    resumed = subprocess.run(
        [sys.executable, "-m", "tests.runbook.crashplan", str(tmp_path), "--resume", "last"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert effects(tmp_path) == {step: [step] for step in STEPS}
    records = journal(tmp_path)
    assert records[-1]["type"] == "finish"
    assert sum(r["type"] == "resume" for r in records) == 1
    assert not (tmp_path / "lock").exists()
    assert "Status: done" in resumed.stdout


def test_ctrl_c_records_the_step_interrupted_keeps_the_lock_and_exits_130(tmp_path: Path) -> None:
    status, output = stop_at(tmp_path, "before:announce", signal.SIGINT)
    assert status == 130
    assert "[3/4] announce: interrupted" in output
    assert f"The lock at {tmp_path / 'lock'} on here is kept for the resume." in output
    assert "Resume it with: crashplan --resume " in output
    records = journal(tmp_path)
    assert records[-1]["type"] == "stop"
    assert records[-1]["status"] == "interrupted"
    assert (tmp_path / "lock").is_dir()
    resumed = subprocess.run(
        [sys.executable, "-m", "tests.runbook.crashplan", str(tmp_path), "--resume", "last"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert effects(tmp_path) == {step: [step] for step in STEPS}
