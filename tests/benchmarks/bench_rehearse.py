"""Benchmark: the rehearsal's wall time, and the share of it each step takes.

Run it from the repository's top directory::

    .venv/bin/python -m tests.benchmarks.bench_rehearse [--runs 3] [--fail SCENARIO] [--ssh openssh]

Each run is a whole rehearsal (``lpsigning-mojo rehearse``) in this process,
its output thrown away. It prints each run's wall time, then the median of
each part: building the world, each step of each release (from the
journals), and the rest (starting a release, its World, the report), with
its share of the median wall time. The target is under 15 s on a 2-core
machine; the figure to quote is the whole process's, from ``farm-bench --
.venv/bin/lpsigning-mojo rehearse``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lpsigning_mojo.rehearsal import SCENARIOS, RehearsalOptions, rehearse
from lpsigning_mojo.rehearsal.report import RehearsalReport

SPEC = Path(__file__).resolve().parents[2] / "spec" / "lp-signing"


def parts(report: RehearsalReport) -> dict[str, float]:
    """Seconds per part: the world, each step (the last record of each run), the rest."""
    found = {"world": report.durations.get("world", 0.0)}
    last = {run.run_id: run for run in report.runs}
    for run in last.values():
        release = run.plan.removeprefix("release-")
        for name, _outcome, duration in run.steps:
            found[f"{release}: {name}"] = duration or 0.0
    found["rest"] = max(0.0, report.durations.get("total", 0.0) - sum(found.values()))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fail", choices=tuple(SCENARIOS))
    parser.add_argument("--ssh", choices=("in-process", "openssh"), default="in-process")
    args = parser.parse_args()
    walls: list[float] = []
    seen: dict[str, list[float]] = {}
    for number in range(1, args.runs + 1):
        start = time.monotonic()
        report = rehearse(
            RehearsalOptions(spec=SPEC, fail=args.fail, ssh=args.ssh), out=io.StringIO()
        )
        walls.append(time.monotonic() - start)
        if not report.ok:
            print("\n".join(report.lines()), file=sys.stderr)
            return 1
        for name, seconds in parts(report).items():
            seen.setdefault(name, []).append(seconds)
        print(f"run {number}: {walls[-1]:.2f} s")
    wall = statistics.median(walls)
    print(f"\nmedian wall time: {wall:.2f} s over {len(walls)} runs (target: under 15 s)")
    width = max(len(name) for name in seen)
    for name, values in seen.items():
        median = statistics.median(values)
        print(f"  {name:<{width}}  {median:6.2f} s  {100 * median / wall:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
