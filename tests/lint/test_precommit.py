"""``pre-commit try-repo . bundle-lint`` works from a clone (the hook as users get it).

pre-commit builds the hook's virtual environment from the package index, so
the test skips, saying why, when pre-commit or git is missing or the index
cannot be reached. It starts no server and touches only temporary
directories (PRE_COMMIT_HOME and HOME).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

_INDEX_TROUBLE = (
    "Could not find a version",
    "No matching distribution",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectionError",
    "ReadTimeoutError",
    "ProxyError",
)


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
    environment = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    environment.pop("PRE_COMMIT", None)
    result = subprocess.run(
        [pre_commit, "try-repo", ".", "bundle-lint", "--files", "spec/lp-signing/bundle.yaml"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and any(sign in output for sign in _INDEX_TROUBLE):
        pytest.skip("pre-commit could not install the hook: the package index is unreachable")
    assert result.returncode == 0, output
    assert "bundle-lint" in output
    assert "Passed" in output
