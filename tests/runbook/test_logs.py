"""The trigger logs: listing them back, and pruning the old ones (never a running one)."""

from __future__ import annotations

import calendar
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.runbook.progress import list_logs, log_directory, open_log, prune_logs

DAY = 86400.0
Run = Callable[..., tuple[int, str, str]]


def _log(name: str, stamp: str, *, age_days: float, now: float, text: str = "x\n") -> Path:
    directory = log_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{stamp}.log"
    path.write_text(text)
    os.utime(path, (now - age_days * DAY, now - age_days * DAY))
    return path


@pytest.fixture
def now() -> float:
    return float(calendar.timegm((2026, 3, 1, 12, 0, 0, 0, 0, 0)))


@pytest.fixture
def three(now: float) -> list[Path]:
    return [
        _log("upgrade-staging-staging", "20260101T100000Z", age_days=59, now=now),
        _log("upgrade-production-production", "20260201T100000Z", age_days=28, now=now),
        _log("upgrade-staging-staging", "20260228T100000Z", age_days=1, now=now),
    ]


def test_logs_are_listed_oldest_first_with_their_start(three: list[Path]) -> None:
    (log_directory() / "notes.txt").write_text("not a log")
    (log_directory() / "upgrade-staging-staging-20260301T000000Z.log").mkdir()
    logs = list_logs()
    assert [log.path for log in logs] == three
    assert logs[0].name == "upgrade-staging-staging"
    assert time.gmtime(logs[0].started)[:6] == (2026, 1, 1, 10, 0, 0)
    assert (logs[0].size, logs[0].running) == (2, False)


def test_logs_of_one_instance(three: list[Path]) -> None:
    assert [log.path for log in list_logs(instance="staging")] == [three[0], three[2]]
    assert [log.path for log in list_logs(instance="production")] == [three[1]]
    assert list_logs(instance="devel") == []


def test_no_directory_means_no_logs() -> None:
    assert list_logs() == []


def test_two_logs_of_one_second_keep_their_order() -> None:
    first, one = open_log("upgrade-staging-staging")
    second, two = open_log("upgrade-staging-staging")
    one.close()
    two.close()
    assert [log.path for log in list_logs()] == [first, second]


def test_a_log_being_written_is_marked_running_and_never_pruned(now: float) -> None:
    path, handle = open_log("upgrade-staging-staging")
    os.utime(path, (now - 90 * DAY, now - 90 * DAY))
    try:
        (log,) = list_logs()
        assert log.running
        result = prune_logs(list_logs(), now=now, older_than=DAY, keep=0)
        assert (result.removed, [r.path for r in result.running]) == ((), [path])
        assert path.exists()
    finally:
        handle.close()
    (log,) = list_logs()
    assert not log.running  # the lock went with the file
    assert [r.path for r in prune_logs(list_logs(), now=now, keep=0).removed] == [path]
    assert not path.exists()


def test_a_writer_that_starts_after_the_listing_still_keeps_its_log(now: float) -> None:
    path, handle = open_log("upgrade-staging-staging")
    handle.close()
    logs = list_logs()  # seen as not running
    with path.open("a") as writer:
        import fcntl

        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        result = prune_logs(logs, now=now, keep=0)
    assert [r.path for r in result.running] == [path]
    assert path.exists()


def test_pruning_by_age_by_count_and_both(three: list[Path], now: float) -> None:
    dry = prune_logs(list_logs(), now=now, older_than=30 * DAY, dry_run=True)
    assert [log.path for log in dry.removed] == [three[0]]
    assert all(path.exists() for path in three)
    by_count = prune_logs(list_logs(), now=now, keep=2, dry_run=True)
    assert [log.path for log in by_count.removed] == [three[0]]
    both = prune_logs(list_logs(), now=now, older_than=7 * DAY, keep=2)
    assert [log.path for log in both.removed] == three[:2]
    assert [path.exists() for path in three] == [False, False, True]


def test_pruning_needs_a_criterion() -> None:
    with pytest.raises(ValueError, match="older_than, keep or both"):
        prune_logs([], now=0.0)


# -- lpsigning-mojo logs ---------------------------------------------------------------


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    import importlib.util

    present = tuple(m for m in cli.COMMAND_MODULES if importlib.util.find_spec(m) is not None)
    monkeypatch.setattr(cli, "COMMAND_MODULES", present)
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            status = cli.main(list(argv))
        except SystemExit as exit:
            status = int(exit.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_the_command_lists_the_logs_of_an_instance_by_alias(
    run: Run, three: list[Path], spec_dir: Path
) -> None:
    status, out, err = run("logs", "dogfood", "--spec", str(spec_dir))
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "STARTED (UTC)        SIZE  STATE  LOG",
        "2026-01-01 10:00:00  2 B   -      upgrade-staging-staging-20260101T100000Z.log",
        "2026-02-28 10:00:00  2 B   -      upgrade-staging-staging-20260228T100000Z.log",
        f"2 logs in {log_directory()}.",
    ]


def test_the_command_without_a_spec_takes_the_name_as_written(
    run: Run, three: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, _ = run("logs", "production", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["directory"] == str(log_directory())
    assert [log["file"] for log in data["logs"]] == [three[1].name]
    assert data["logs"][0]["started"] == "2026-02-01T10:00:00Z"
    assert data["logs"][0]["running"] is False


def test_the_command_shows_the_last_log_or_a_named_one(run: Run, three: list[Path]) -> None:
    three[2].write_text("# upgrade-staging\nDeploying...\n")
    three[0].write_text("older\n")
    assert run("logs", "--show", "last") == (0, "# upgrade-staging\nDeploying...\n", "")
    assert run("logs", "--show", three[0].name) == (0, "older\n", "")
    status, _, err = run("logs", "--show", three[0].name[:-5])
    assert status == 2
    assert f"there is no log called {three[0].name[:-5]!r} (did you mean {three[0].name!r}?)" in err


def test_the_command_prunes_and_says_what_it_removed(
    run: Run, three: list[Path], monkeypatch: pytest.MonkeyPatch, now: float
) -> None:
    from lpsigning_mojo.clock import SYSTEM_CLOCK

    monkeypatch.setattr(SYSTEM_CLOCK, "time", lambda: now)
    status, out, _ = run("logs", "--prune", "--older-than", "30d", "--dry-run")
    assert (status, out) == (0, f"Would remove {three[0].name}\nWould remove 1 log; 2 left.\n")
    assert three[0].exists()
    status, out, _ = run("logs", "--prune", "--keep", "1")
    assert (status, out) == (
        0,
        f"Removed {three[0].name}\nRemoved {three[1].name}\nRemoved 2 logs; 1 left.\n",
    )
    assert [path.exists() for path in three] == [False, False, True]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--prune"], "--prune needs --older-than AGE, --keep N or both"),
        (["--keep", "3"], "--older-than, --keep and --dry-run go with --prune"),
        (["--show", "last"], "there are no logs in"),
    ],
)
def test_the_command_refuses_what_makes_no_sense(run: Run, argv: list[str], message: str) -> None:
    status, out, err = run("logs", *argv)
    assert status in (1, 2)
    assert out == ""
    assert message in err


@pytest.mark.parametrize("age", ["0d", "30x", "1.5d", "d", "٣d"])
def test_an_age_is_a_whole_number_and_a_unit(run: Run, age: str) -> None:
    status, _, err = run("logs", "--prune", "--older-than", age)
    assert status == 2
    assert "is not an age: write a whole number and a unit, such as 30d, 12h or 90m" in err
