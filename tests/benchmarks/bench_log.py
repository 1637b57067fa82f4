"""Benchmark: ``lpsigning-mojo log`` against ``git log -p`` on a spec with 5,000 bundle commits.

Not collected by pytest (no ``test_`` prefix). Run from the repository top,
in a virtual environment where lpsigning-mojo is installed::

    .venv/bin/python tests/benchmarks/bench_log.py [--commits 5000] [--runs 11]

It generates a spec repository (with ``git fast-import``): the shipped
lp-signing spec, then ``--commits`` commits that each change its
``bundle.yaml`` as releases do (mostly lp-signing and nrpe revision bumps
with ``LP: #N`` lines and production ``build_label`` changes; one in fifty
a revert of the previous change; one in a hundred a change of the
template's structure; every hundredth change made on a branch and merged).
Then it runs, alternating, as separate processes whose output is read
through a pipe: ``lpsigning-mojo log`` (text) and ``git log -p --
spec/lp-signing/bundle.yaml``, and prints the median wall and CPU time of
each, the median of the pairs' ratios (the target is at most 3; the aim
1.5) and the load average: on a shared machine, compare runs made in turn.
``git log -p`` only prints the changes; ``lpsigning-mojo log`` also renders
the bundle for each of the three stages at every version and says what
changed in each.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUNDLE = "spec/lp-signing/bundle.yaml"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench Mark",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench Mark",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def generate(directory: Path, commits: int, *, seed: int = 1) -> Path:
    """A git repository holding the shipped spec, then ``commits`` changes of its bundle."""
    repository = directory / "spec-repo"
    shutil.copytree(REPO / "spec", repository / "spec")
    environment = {**os.environ, **_IDENTITY}
    git = ["git", "-C", str(repository)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True, env=environment)
    subprocess.run([*git, "add", "."], check=True, env=environment)
    subprocess.run([*git, "commit", "-qm", "The lp-signing spec"], check=True, env=environment)
    text = (repository / BUNDLE).read_text()
    random_ = random.Random(seed)
    revision, nrpe = 87, 125
    label = "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
    history: list[tuple[str, int, int, str]] = [(text, revision, nrpe, label)]
    stream: list[bytes] = []
    when = 1_700_000_000
    mark = 0
    main_tip: int | None = None  # the mark of main's last commit in the stream

    def commit(branch: str, message: str, content: str, merge: int | None = None) -> int:
        nonlocal mark, when, main_tip
        mark += 1
        when += 3600
        stream.append(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
        stream.append(f"committer Bench Mark <bench@example.com> {when} +0000\n".encode())
        stream.append(_data(message))
        parent = b"refs/heads/main^0" if main_tip is None else b":%d" % main_tip
        stream.append(b"from " + parent + b"\n")
        if merge is not None:
            stream.append(b"merge :%d\n" % merge)
        stream.append(b"M 100644 inline " + BUNDLE.encode() + b"\n" + _data(content))
        if branch == "main":
            main_tip = mark
        return mark

    made = 0
    while made < commits:
        choice = random_.random()
        if made % 50 == 49 and len(history) > 1:
            text, revision, nrpe, label = history[-2]
            message = "Revert the last change\n\nThis reverts commit " + "0" * 40 + ".\n"
        elif made % 100 == 37:
            workers = random_.choice(("2", "3", "4"))
            text = text.replace("      workers: 2\n", f"      workers: {workers}\n      # tuned\n")
            text = text.replace("      # tuned\n      # tuned\n", "      # tuned\n")
            message = "Tune the workers of non-production stages\n"
        elif choice < 0.5:
            text = text.replace(f"revision: {revision}\n", f"revision: {revision + 1}\n", 1)
            revision += 1
            message = f"Upgrade lp-signing to revision {revision}\n\nLP: #{2_000_000 + made}\n"
        elif choice < 0.8:
            new_label = f"{random_.getrandbits(160):040x}"
            text = text.replace(label, new_label)
            label = new_label
            message = f"Deploy build {label[:12]} to production\n\nLP: #{2_100_000 + made}\n"
        else:
            text = text.replace(f"revision: {nrpe}\n", f"revision: {nrpe + 1}\n", 1)
            nrpe += 1
            message = f"Upgrade nrpe to revision {nrpe}\n"
        history.append((text, revision, nrpe, label))
        if made % 100 == 99:
            side = commit("side", message, text)
            commit("main", "Merge branch 'side'\n", text, merge=side)
        else:
            commit("main", message, text)
        made += 1
    subprocess.run(
        [*git, "fast-import", "--quiet", "--force"],
        input=b"".join(stream),
        check=True,
        env=environment,
    )
    subprocess.run([*git, "reset", "-q", "--hard", "main"], check=True, env=environment)
    return repository


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user and system, the command and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=5000, help="bundle commits to generate")
    parser.add_argument("--runs", type=int, default=11, help="runs of each command")
    parser.add_argument("--keep", metavar="DIR", help="generate the repository in DIR and keep it")
    args = parser.parse_args()
    compileall.compile_dir(REPO / "lpsigning_mojo", quiet=1)
    ours = str(Path(sys.executable).parent / "lpsigning-mojo")
    with tempfile.TemporaryDirectory() as temporary:
        where = Path(args.keep) if args.keep else Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        repository = generate(where, args.commits)
        mine_command = [ours, "log", "--spec", "spec/lp-signing"]
        git_command = ["git", "log", "-p", "--", BUNDLE]
        entries = subprocess.run(
            [*mine_command, "--format", "json"], cwd=repository, capture_output=True, check=True
        ).stdout.count(b'"commit":')
        for _ in range(2):  # warm the file cache
            timed(mine_command, repository)
            timed(git_command, repository)
        mine, theirs = [], []
        for _ in range(args.runs):  # in turn, so that a change in the machine's load hits both
            mine.append(timed(mine_command, repository))
            theirs.append(timed(git_command, repository))
        median = statistics.median
        ratios = [m[0] / t[0] for m, t in zip(mine, theirs, strict=True)]
        cpu_ratios = [m[1] / t[1] for m, t in zip(mine, theirs, strict=True) if t[1] > 0]
        print(f"repository: {args.commits} bundle commits; lpsigning-mojo log: {entries} entries")
        print(
            f"lpsigning-mojo log          {median(m[0] for m in mine) * 1000:8.1f} ms wall, "
            f"{median(m[1] for m in mine) * 1000:6.1f} ms CPU (medians of {args.runs})"
        )
        print(
            f"git log -p -- bundle.yaml   {median(t[0] for t in theirs) * 1000:8.1f} ms wall, "
            f"{median(t[1] for t in theirs) * 1000:6.1f} ms CPU"
        )
        print(
            f"ratio {median(ratios):.2f} (median of the pairs' wall times; target: at most 3, "
            f"aim 1.5); CPU {median(cpu_ratios):.2f}"
        )
        print(
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
            + " ".join(f"{load:.2f}" for load in os.getloadavg())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
