"""The mutation score script keeps ``mutants/`` in step with the package it measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
