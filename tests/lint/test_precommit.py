"""``pre-commit try-repo . bundle-lint`` works from a clone (the hook as users get it).

pre-commit builds the hook's virtual environment from the package index, so
the test skips, saying why, when pre-commit or git is missing or when pip
cannot reach the index, which it checks before running the hook, on its
own. Once the index answers, any failure of the hook is a failure of the
test, whatever its output says. It starts no server and touches only
temporary directories (PRE_COMMIT_HOME and HOME): the hook runs in a
temporary repository holding a copy of the spec, never in this checkout,
whose uncommitted work pre-commit would otherwise stash while it runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _index_reachable(directory: Path) -> bool:
    """Whether pip can fetch from the package index here (as pre-commit's pip will)."""
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir"),
            *("--dest", str(directory), "setuptools>=68"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode == 0


def scratch_repository(directory: Path, *, spec: bool) -> Path:
    """A new git repository in ``directory`` (with a copy of the shipped spec), committed."""
    directory.mkdir(parents=True)
    if spec:
        shutil.copytree(REPO_ROOT / "spec", directory / "spec")
    identity = {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    environment = {**os.environ, **identity}
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "--allow-empty", "-m", "scratch"],
    ):
        subprocess.run(command, cwd=directory, env=environment, check=True, capture_output=True)
    return directory


def _pre_commit() -> str | None:
    beside = Path(sys.executable).parent / "pre-commit"
    return str(beside) if beside.exists() else shutil.which("pre-commit")


@pytest.mark.integration
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    pre_commit = _pre_commit()
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of lpsigning-mojo")
    if not _index_reachable(tmp_path / "index-check"):
        pytest.skip("pip cannot reach the package index, which pre-commit needs for the hook")
    environment = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    environment.pop("PRE_COMMIT", None)
    result = subprocess.run(
        [
            *(pre_commit, "try-repo", str(REPO_ROOT), "bundle-lint"),
            *("--files", "spec/lp-signing/bundle.yaml"),
        ],
        cwd=scratch_repository(tmp_path / "user-repo", spec=True),
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "bundle-lint" in output
    assert "Passed" in output
