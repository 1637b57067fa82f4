"""The mutation score of each core module, after ``mutmut run`` (``./dev tox -e mutation``).

Reads mutmut's results under ``mutants/`` and the configuration in
``pyproject.toml``: the modules (``[tool.mutmut] only_mutate``) and the
mutants left out, each with a reason (``[tool.mutation-score]``): those
marked equivalent, and those of functions that run only at import, which
mutmut cannot reach. For each module it prints killed / (total - left out)
(a mutant that makes its tests hang counts as killed; one not yet checked, as
a survivor) and exits 1 when a
module scores below the threshold, when a mark names a mutant that no
longer exists or no longer makes the change it describes, when a marked
mutant was killed (so it was not equivalent), or when mutants are left
unchecked. Run from the repository root::

    python tests/mutation_score.py --run         # run mutmut (log: mutants/run.log), then the table
    python tests/mutation_score.py               # the table of the last run
    python tests/mutation_score.py --survivors   # and the diff of every survivor
    python tests/mutation_score.py --retest      # after adding tests: run the survivors again
    python tests/mutation_score.py --module M --retest-with tests/x.py  # the same, with only x.py
    python tests/mutation_score.py --own-tests   # the same, each module with its own tests

``--retest-with`` is the quick way after writing tests for one module: each mutant
of that module not yet killed runs against the given tests only (a failure is a
kill whatever else runs); one that passes keeps its result (survived, or not
checked), so the score is never better than a whole run would make it.
    python tests/mutation_score.py --rst         # the table for docs/explanation/testing.rst
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# mutmut's exit codes (mutmut.stats.status_by_exit_code), grouped as this score counts them.
KILLED = {1, 3}
TIMEOUT = {24, -24, 152, 255, 36}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_CHECKED = {None}


def _config(root: Path) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as file:
        tool: dict[str, Any] = tomllib.load(file)["tool"]
    return tool


def _exit_codes(root: Path, path: str) -> dict[str, int | None]:
    meta = root / "mutants" / (path + ".meta")
    if not meta.exists():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return codes


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _diff(name: str, path: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return str(get_diff_for_mutant(name, path=path))


def _changed_lines(diff: str) -> list[str]:
    return [
        line[1:].strip()
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]


def _sync_sources(root: Path) -> None:
    """Bring the copies of the modules mutmut does not mutate up to date in ``mutants/``.

    mutmut copies each source file once and, for the files it mutates, writes the mutants
    again when the source changes; a module it does not mutate keeps its first copy. After
    a merge, every mutant would then run against the package as it was then: each copy
    that differs from its source is replaced, and a copy whose source is gone is removed.
    """
    mutmut = _config(root)["mutmut"]
    only = tuple(mutmut["only_mutate"])
    mutants = root / "mutants"
    for source_path in mutmut["source_paths"]:
        copied = mutants / source_path
        if not copied.is_dir():
            continue
        for copy in sorted(copied.rglob("*")):
            relative = copy.relative_to(mutants).as_posix()
            # The mutated files and mutmut's records beside them (.meta, .spans) are mutmut's.
            if not copy.is_file() or "__pycache__" in copy.parts or relative.startswith(only):
                continue
            source = root / relative
            if not source.is_file():
                copy.unlink()
            elif source.read_bytes() != copy.read_bytes():
                shutil.copy2(source, copy)


def _copy_tests(root: Path) -> None:
    (root / "mutants").mkdir(exist_ok=True)
    _sync_sources(root)
    # The copy stands for the checkout: the spec lookup stops at the top of a repository,
    # which it knows by its .git, and the tests of the shipped spec expect that top.
    (root / "mutants" / ".git").mkdir(exist_ok=True)
    # mutmut copies tests/ following symbolic links; copied first with its links kept, the
    # tests of spec layouts with linked helpers see the layouts they describe (mutmut's copy
    # then writes through the links, onto the same files).
    shutil.rmtree(root / "mutants" / "tests", ignore_errors=True)
    shutil.copytree(root / "tests", root / "mutants" / "tests", symlinks=True)


def _run_mutmut(root: Path, names: list[str] | None = None) -> None:
    """``mutmut run`` (for ``names`` only, when given), its progress display to a log.

    A failure to run is fatal.
    """
    _copy_tests(root)
    log = root / "mutants" / "run.log"
    mutmut = Path(sys.executable).parent / "mutmut"
    children = os.environ.get("MUTATION_CHILDREN", "2")
    print(f"mutmut run --max-children {children} (progress in {log.relative_to(root)})")
    with log.open("w") as output:
        done = subprocess.run(
            [str(mutmut), "run", "--max-children", children, *(names or [])],
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        sys.exit(f"mutmut run failed with status {done.returncode}; the end of {log}:\n{tail}")


# mutmut's own first step, alone: copy the package into mutants/ and write the mutants of
# each changed function (their results start again; the others keep theirs).
_GENERATE = """
import mutmut.__main__ as run
from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir
copy_src_dir()
copy_also_copy_files()
run.create_mutants(2)
"""


def _retest_with(
    root: Path, paths: list[str], tests: list[str], left_out: set[str], *, own: bool = False
) -> None:
    """Each mutant of ``paths`` not yet killed (nor ``left_out``), against ``tests`` only.

    A mutant the tests fail on is killed (one that makes them hang, 3 times their clean
    time plus 15 s, too); any other keeps its result, except that with ``own`` (the
    module's own tests, which are its measure) one not checked before has survived.
    Results go where mutmut keeps them.
    """
    _copy_tests(root)
    subprocess.run([sys.executable, "-c", _GENERATE], cwd=root, check=True, capture_output=True)
    mutants = root / "mutants"
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]

    def run(name: str, limit: float | None) -> int | None:
        env = {**os.environ, "MUTANT_UNDER_TEST": name}
        try:
            done = subprocess.run(
                command, cwd=mutants, env=env, capture_output=True, timeout=limit, check=False
            )
        except subprocess.TimeoutExpired:
            return 36  # mutmut's code for a timeout
        return done.returncode

    start = time.monotonic()
    if run("", None) != 0:
        sys.exit(f"the tests fail without a mutant: {' '.join(command)} (in {mutants})")
    limit = 3 * (time.monotonic() - start) + 15
    children = int(os.environ.get("MUTATION_CHILDREN", "2"))
    for path in paths:
        meta = mutants / (path + ".meta")
        data = json.loads(meta.read_text())
        codes: dict[str, int | None] = data["exit_code_by_key"]
        names = [
            name
            for name, code in codes.items()
            if code not in KILLED and code not in TIMEOUT and name not in left_out
            if name.rsplit("__mutmut_", 1)[0] not in left_out
        ]
        print(f"{_module(path)}: {len(names)} mutants against {' '.join(tests)}", flush=True)
        caught = 0
        pool = ThreadPoolExecutor(children)
        try:
            running = {pool.submit(run, name, limit): name for name in names}
            # Each result is saved as it comes: a run stopped half way keeps what it saw.
            for done, future in enumerate(as_completed(running), start=1):
                name, code = running[future], future.result()
                if code in KILLED or code in TIMEOUT or (own and codes[name] is None):
                    codes[name] = code
                    _write_atomically(meta, json.dumps(data, indent=4))
                caught += code in KILLED or code in TIMEOUT
                if done % 25 == 0:
                    print(f"{_module(path)}: {done} of {len(names)} run", flush=True)
        finally:
            # Stopped (Ctrl-C), the mutants not yet started are dropped, not run unseen.
            pool.shutdown(wait=False, cancel_futures=True)
        print(f"{_module(path)}: {caught} of {len(names)} killed", flush=True)


def _write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path``, whole or not at all (a stopped run never leaves half a file)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


def _only_run(root: Path) -> None:
    """Hold ``mutants/.lock`` until this process ends, or exit if another run holds it.

    Two runs in one ``mutants/`` would copy the tests under each other's feet and
    record the failures that causes as kills.
    """
    import fcntl

    (root / "mutants").mkdir(exist_ok=True)
    descriptor = os.open(root / "mutants" / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(
            f"another mutation run is using {root / 'mutants'}: wait for it to finish, "
            "or run from another copy of the repository"
        )
    # Left open on purpose: the lock lasts as long as this process.


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--survivors", action="store_true", help="show each survivor's diff")
    parser.add_argument(
        "--run",
        action="store_true",
        help="run mutmut first (workers: $MUTATION_CHILDREN, default 2), its output to a log",
    )
    parser.add_argument(
        "--retest",
        action="store_true",
        help="run mutmut again on the mutants that survived (mutmut keeps other results)",
    )
    parser.add_argument(
        "--module",
        action="append",
        help="only this module (e.g. lpsigning_mojo.policy); may be given several times",
    )
    parser.add_argument(
        "--retest-with",
        action="append",
        metavar="TESTS",
        help="like --retest, with only these tests (a path or node id; may be given several "
        "times): a kill counts, a pass leaves the result as it was",
    )
    parser.add_argument(
        "--own-tests",
        action="store_true",
        help="like --retest-with, each module with its own tests ([tool.mutation-score] "
        "own-tests in pyproject.toml)",
    )
    parser.add_argument("--rst", action="store_true", help="print the table as reStructuredText")
    args = parser.parse_args(argv)

    root = Path.cwd()
    if args.run or args.retest or args.retest_with or args.own_tests:
        _only_run(root)
    if args.run:
        _run_mutmut(root)
    tool = _config(root)
    if args.retest:
        names = [
            name
            for path in tool["mutmut"]["only_mutate"]
            if args.module is None or _module(path) in args.module
            for name, code in _exit_codes(root, path).items()
            if code not in KILLED
        ]
        if names:
            _run_mutmut(root, names)
    paths: list[str] = [
        path
        for path in tool["mutmut"]["only_mutate"]
        if args.module is None or _module(path) in args.module
    ]
    settings = tool.get("mutation-score", {})
    left_out = {mark["mutant"] for mark in settings.get("equivalent", [])} | {
        mark["function"] for mark in settings.get("import-time", [])
    }
    try:
        if args.retest_with:
            _retest_with(root, paths, args.retest_with, left_out)
        if args.own_tests:
            own: dict[str, list[str]] = settings.get("own-tests", {})
            # Checked before any runs: a module found without them later would end a long run.
            for path in paths:
                tests = own.get(_module(path))
                if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
                    sys.exit(
                        f"{_module(path)} has no own-tests in [tool.mutation-score]: "
                        "give it a list of test paths"
                    )
            for path in paths:
                _retest_with(root, [path], own[_module(path)], left_out, own=True)
    except KeyboardInterrupt:
        sys.exit(f"stopped: the results seen so far are kept in {root / 'mutants'}")
    threshold = float(settings.get("threshold", 90))
    marks = {mark["mutant"]: mark for mark in settings.get("equivalent", [])}
    # Functions that run only while the module is imported: mutmut switches mutants on at
    # call time, after the import, so no test can reach their mutants.
    at_import = {mark["function"]: mark for mark in settings.get("import-time", [])}
    seen_functions: set[str] = set()
    problems: list[str] = []
    rows: list[tuple[str, int, int, int, int, int, int, float]] = []
    survivors: list[tuple[str, str]] = []
    seen_marks: set[str] = set()

    for path in paths:
        exit_codes = _exit_codes(root, path)
        if not exit_codes:
            problems.append(f"{path} has no results: run `mutmut run` first")
            continue
        total = len(exit_codes)
        killed = timeouts = equivalent = unchecked = 0
        for name, code in sorted(exit_codes.items()):
            function = name.rsplit("__mutmut_", 1)[0]
            if function in at_import:
                seen_functions.add(function)
                if code in KILLED or code in TIMEOUT:
                    problems.append(f"{name} is marked as run at import, but tests kill it")
                equivalent += 1
                continue
            mark = marks.get(name)
            if mark is not None:
                seen_marks.add(name)
                changed = _changed_lines(_diff(name, path))
                if not any(mark["becomes"] in line for line in changed):
                    problems.append(
                        f"{name} is marked equivalent as making {mark['becomes']!r}, "
                        f"but it now makes {changed!r}: check it again and update the mark"
                    )
                elif code in KILLED or code in TIMEOUT:
                    problems.append(f"{name} is marked equivalent but the tests kill it")
                equivalent += 1
                continue
            if code in KILLED:
                killed += 1
            elif code in TIMEOUT:
                timeouts += 1
            elif code in NOT_CHECKED:
                unchecked += 1
            else:
                survivors.append((name, path))  # survived, or no test reaches it
        counted = total - equivalent
        # Unchecked mutants count as survivors: the score is never better than what was seen.
        score = 100.0 * (killed + timeouts) / counted if counted else 100.0
        rows.append((_module(path), total, equivalent, killed, timeouts, unchecked, counted, score))
        if unchecked:
            problems.append(
                f"{_module(path)}: {unchecked} mutants were not checked (the run did not finish)"
            )
        if score < threshold:
            problems.append(f"{_module(path)} scores {score:.1f}%, below {threshold:g}%")

    modules = tuple(_module(path) + "." for path in paths)
    for name in sorted(set(at_import) - seen_functions):
        if name.startswith(modules):
            problems.append(f"{name} is marked as run at import, but it has no mutants")
    for name in sorted(set(marks) - seen_marks):
        if not name.startswith(modules):
            continue
        problems.append(f"{name} is marked equivalent but there is no such mutant any more")

    if args.rst:
        print(".. list-table::")
        print("   :header-rows: 1")
        print()
        header = ("Module", "Mutants", "Left out", "Killed", "Not checked", "Score")
        print("\n".join(["   * - " + header[0], *(f"     - {h}" for h in header[1:])]))
        for module, total, out, killed, timeouts, unchecked, _counted, score in rows:
            print(f"   * - ``{module}``")
            print(f"     - {total}")
            print(f"     - {out}")
            print(f"     - {killed + timeouts}")
            print(f"     - {unchecked}")
            print(f"     - {score:.1f}%")
    else:
        width = max((len(row[0]) for row in rows), default=10)
        print(
            f"{'module':<{width}}  {'mutants':>7}  {'out':>5}  {'killed':>6}  {'timeout':>7}  "
            f"{'unchecked':>9}  {'survived':>8}  {'score':>6}"
        )
        for module, total, out, killed, timeouts, unchecked, counted, score in rows:
            survived = counted - killed - timeouts - unchecked
            print(
                f"{module:<{width}}  {total:>7}  {out:>5}  {killed:>6}  {timeouts:>7}  "
                f"{unchecked:>9}  {survived:>8}  {score:>5.1f}%"
            )
    if args.survivors:
        for name, path in survivors:
            print()
            print(f"survived: {name}")
            print(_diff(name, path))
    for problem in problems:
        print(f"mutation-score: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
