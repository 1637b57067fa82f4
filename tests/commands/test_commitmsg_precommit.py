"""``pre-commit try-repo . check-commit-msg`` works from a clone (the hook as users get it).

As for bundle-lint (tests/lint/test_precommit.py): pre-commit builds the
hook's virtual environment from the package index, so the test skips, saying
why, when pre-commit or git is missing or the index cannot be reached. It
touches only temporary directories (PRE_COMMIT_HOME, and a scratch repository
where the hook runs: never this checkout, whose uncommitted work pre-commit
would stash while it runs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.lint.test_precommit import _index_reachable, _pre_commit, scratch_repository


def _try(
    pre_commit: str, message: Path, home: Path, repository: Path
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    environment.pop("PRE_COMMIT", None)
    return subprocess.run(
        [
            pre_commit,
            "try-repo",
            str(REPO_ROOT),
            "check-commit-msg",
            "--hook-stage",
            "commit-msg",
            "--commit-msg-filename",
            str(message),
        ],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.integration
def test_pre_commit_try_repo_check_commit_msg(tmp_path: Path) -> None:
    pre_commit = _pre_commit()
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of lpsigning-mojo")
    if not _index_reachable(tmp_path / "index-check"):
        pytest.skip("pip cannot reach the package index, which pre-commit needs for the hook")
    repository = scratch_repository(tmp_path / "user-repo", spec=False)
    # Where git keeps the message it hands to commit-msg hooks; pre-commit names
    # it relative to the repository.
    good = repository / ".git" / "COMMIT_EDITMSG_GOOD"
    good.write_text("Upgrade lp-signing to revision 90\n\nLP: #2034567\n")
    done = _try(pre_commit, good, tmp_path / "pre-commit", repository)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "check-commit-msg" in output
    assert "Passed" in output
    bad = repository / ".git" / "COMMIT_EDITMSG_BAD"
    bad.write_text("Upgrade lp-signing\nno blank line\n\nLP #1\n")
    done = _try(pre_commit, bad, tmp_path / "pre-commit", repository)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Failed" in output
    no_blank = "the line after the summary must be blank (no-blank-line)"
    assert f".git/COMMIT_EDITMSG_BAD:2:1: {no_blank}" in output
    assert ".git/COMMIT_EDITMSG_BAD:4:1: 'LP #1' is not a bug line" in output
