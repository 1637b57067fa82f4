"""The mutation score script keeps ``mutants/`` in step with the package it measures."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests import mutation_score


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text(
        '[tool.mutmut]\nsource_paths = ["pkg"]\nonly_mutate = ["pkg/core.py"]\n'
    )
    for relative, text in {
        "pkg/core.py": "def core(): return 1\n",
        "pkg/helper.py": "def helper(): return 2\n",
        "pkg/data/table.json": "[2]\n",
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_a_module_that_is_not_mutated_is_copied_again_when_its_source_changed(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path)
    mutants = root / "mutants" / "pkg"
    (mutants / "data").mkdir(parents=True)
    (mutants / "helper.py").write_text("def helper(): return 'as it was'\n")
    (mutants / "data" / "table.json").write_text("[1]\n")
    (mutants / "gone.py").write_text("def gone(): pass\n")

    mutation_score._sync_sources(root)

    assert (mutants / "helper.py").read_text() == "def helper(): return 2\n"
    assert (mutants / "data" / "table.json").read_text() == "[2]\n"
    assert not (mutants / "gone.py").exists()


def test_the_mutated_files_and_mutmut_records_are_left_to_mutmut(tmp_path: Path) -> None:
    root = _project(tmp_path)
    mutants = root / "mutants" / "pkg"
    mutants.mkdir(parents=True)
    written = {
        "core.py": "def core(): return trampoline()\n",
        "core.py.meta": '{"exit_code_by_key": {}}',
        "core.py.spans": "{}",
    }
    for name, text in written.items():
        (mutants / name).write_text(text)

    mutation_score._sync_sources(root)

    assert {name: (mutants / name).read_text() for name in written} == written


# Takes the lock as a run does, says so, then holds it.
_HOLDER = """
import sys, time
sys.path.insert(0, sys.argv[1])
import mutation_score
mutation_score._only_run(mutation_score.Path(sys.argv[2]))
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_run_in_the_same_mutants_directory_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    script = Path(mutation_score.__file__)
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(script.parent), str(root)],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "held\n"
            second = subprocess.run(
                [sys.executable, str(script), "--own-tests"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        finally:
            holder.kill()
    assert second.returncode == 1
    assert second.stderr == (
        f"another mutation run is using {root / 'mutants'}: wait for it to finish, "
        "or run from another copy of the repository\n"
    )


def _measured(root: Path, mutants: int) -> Path:
    """``root`` as a project whose ``pkg.core`` has ``mutants`` mutants, none checked yet."""
    _project(root)
    with (root / "pyproject.toml").open("a") as file:
        file.write('[tool.mutation-score]\nown-tests."pkg.core" = ["tests/test_core.py"]\n')
    (root / "tests").mkdir()
    meta = root / "mutants" / "pkg" / "core.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {f"pkg.core.x_core__mutmut_{number}": None for number in range(1, mutants + 1)}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    return meta


def test_a_stopped_run_starts_no_other_mutant_and_keeps_what_it_saw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C while the second mutant runs: the run ends there, the first one's result kept.
    # Before, every mutant still queued was run to the end, its result thrown away.
    meta = _measured(tmp_path, 20)
    started: list[str] = []
    stopped = threading.Event()

    def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[bytes]:
        name = options.get("env", {}).get("MUTANT_UNDER_TEST")
        if name:  # a mutant, not mutmut's generate step nor the clean run
            started.append(name)
            if len(started) == 2:
                raise KeyboardInterrupt
            if len(started) > 2:  # the worker took the next one: it runs until the stop
                stopped.wait(timeout=0.5)
        return subprocess.CompletedProcess(command, 1 if name else 0)

    pools: list[ThreadPoolExecutor] = []

    class Pool(ThreadPoolExecutor):
        def __init__(self, workers: int) -> None:
            super().__init__(workers)
            pools.append(self)

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(mutation_score, "ThreadPoolExecutor", Pool)
    monkeypatch.setenv("MUTATION_CHILDREN", "1")
    monkeypatch.chdir(tmp_path)
    try:
        mutation_score.main(["--own-tests"])
    except KeyboardInterrupt:  # caught here, or pytest would take it as its own stop
        pytest.fail("Ctrl-C ended the run with a traceback")
    except SystemExit as interrupted:
        said = interrupted.code
    stopped.set()
    pools[0].shutdown(wait=True)

    assert said == (f"stopped: the results seen so far are kept in {tmp_path / 'mutants'}")
    assert started == [f"pkg.core.x_core__mutmut_{number}" for number in (1, 2, 3)]
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    assert codes == {name: 1 if name == started[0] else None for name in codes}
    assert not meta.with_name("core.py.meta.partial").exists()


@pytest.mark.parametrize(
    ("tests", "refused"),
    [
        ('own-tests."pkg.core" = ["tests/test_core.py"]\n', "pkg.helper"),  # the last has none
        ('own-tests."pkg.core" = "tests/test_core.py"\n', "pkg.core"),  # not a list
    ],
)
def test_a_module_without_its_own_tests_is_refused_before_any_is_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tests: str, refused: str
) -> None:
    _project(tmp_path)
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text().replace('["pkg/core.py"]', '["pkg/core.py", "pkg/helper.py"]')
    pyproject.write_text(text + f"[tool.mutation-score]\n{tests}")
    ran: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, **_: ran.append(command))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        mutation_score.main(["--own-tests"])
    assert stopped.value.code == (
        f"{refused} has no own-tests in [tool.mutation-score]: give it a list of test paths"
    )
    assert ran == []
