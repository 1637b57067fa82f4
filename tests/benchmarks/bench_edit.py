"""Benchmark: set_revision on generated templates of 10 to 5,000 applications.

Run: python tests/benchmarks/bench_edit.py [--repeat N]

Prints the median time of one cold edit (template compiled afresh, every
stage rendered and checked) per size, and the ratios between sizes.
Targets (foundation issue): 5,000 applications under 0.5 s; time(5000) /
time(1000) at most 6 (no worse than linear growth).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from lpsigning_mojo.bundle import set_revision
from lpsigning_mojo.bundle.template import _compile

SIZES = (10, 100, 1_000, 5_000)


def template(applications: int) -> str:
    lines = ["# generated", "series: {{ series }}", "applications:"]
    for index in range(applications):
        lines += [
            f"  app-{index}:",
            f"    charm: app-{index}",
            "    channel: latest/stable",
            f"    revision: {index % 500}  # pinned",
        ]
        if index % 10 == 0:
            lines += [
                '    {%- if stage_name == "production" %}',
                "    num_units: 2",
                "    {%- else %}",
                "    num_units: 1",
                "    {%- endif %}",
            ]
        lines += ["    options:", f"      workers: {index % 7}", "      context: 'x'"]
    return "\n".join(lines) + "\n"


def time_edit(text: str, app: str, repeat: int) -> float:
    samples = []
    for attempt in range(repeat):
        _compile.cache_clear()  # each edit starts cold, as one CLI call does
        start = time.perf_counter()
        result = set_revision(text, app, 10_000 + attempt, stage="production")
        samples.append(time.perf_counter() - start)
        assert result.changed
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times: dict[int, float] = {}
    print(f"{'applications':>12}  {'lines':>7}  {'median per edit':>15}")
    for size in SIZES:
        text = template(size)
        times[size] = time_edit(text, f"app-{size // 2}", args.repeat)
        print(f"{size:>12}  {text.count(chr(10)):>7}  {times[size] * 1000:>12.1f} ms")
    for small, large in itertools.pairwise(SIZES):
        print(
            f"time({large})/time({small}) = {times[large] / times[small]:.2f}"
            f"  (size ratio {large / small:.0f})"
        )
    verdict = "meets" if times[5_000] < 0.5 and times[5_000] / times[1_000] <= 6 else "MISSES"
    print(
        f"5,000 applications: {times[5_000]:.3f} s; ratio 5000/1000 "
        f"{times[5_000] / times[1_000]:.2f} -> {verdict} the targets (< 0.5 s, ratio <= 6)"
    )


if __name__ == "__main__":
    main()
