"""The autouse guards in conftest.py really stop what they promise to stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REAL_HOME, REPO_ROOT, _Guard, allowed_roots, refused


def test_home_is_a_temporary_directory() -> None:
    assert Path.home().resolve() != REAL_HOME


def test_connecting_beyond_loopback_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.1)
        with pytest.raises(PermissionError, match="loopback"):
            sock.connect(("192.0.2.1", 9))
    _Guard.violations.clear()


def test_opening_a_file_under_the_real_home_is_refused() -> None:
    with pytest.raises(PermissionError, match="real home"):
        open(REAL_HOME / ".lpsigning-mojo-guard-probe")  # noqa: SIM115
    _Guard.violations.clear()


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1) as client:
            conn, peer = server.accept()
            conn.close()
            assert peer == client.getsockname()


def test_looking_up_a_public_name_is_refused() -> None:
    with pytest.raises(PermissionError, match="loopback names"):
        socket.getaddrinfo("api.charmhub.io", 443)
    _Guard.violations.clear()


def test_a_directory_holding_home_does_not_allow_its_files() -> None:
    home = Path("/tmp/somebody")
    allowed = allowed_roots(home, ["/tmp", "/usr", "/tmp/somebody/src/checkout"])
    assert allowed == ("/tmp/somebody/src/checkout", "/usr")
    assert refused("/tmp/somebody/.ssh/id_ed25519", home, allowed)
    assert refused("/tmp/somebody", home, allowed)
    assert not refused("/tmp/somebody/src/checkout/spec/lp-signing/bundle.yaml", home, allowed)
    assert not refused("/tmp/pytest-of-somebody/x", home, allowed)
    assert not refused("/tmp/somebodyelse/x", home, allowed)


@pytest.mark.parametrize("where", ["under", "is"])
def test_the_guard_holds_when_home_is_in_the_temporary_directory(
    where: str, tmp_path: Path
) -> None:
    """Run these guard tests again with HOME below (or equal to) the temporary directory."""
    temporary = tmp_path  # the inner run's $TMPDIR, where its pytest makes its directories
    home = temporary / "somebody" if where == "under" else temporary
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(temporary)}
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_guards.py",
            "-k",
            "not temporary_directory",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout


def test_dev_without_a_command_prints_its_help_and_nothing_else(tmp_path: Path) -> None:
    """./dev's help is the comment at its top, without the script's first line of code."""
    import shutil

    shutil.copy(REPO_ROOT / "dev", tmp_path / "dev")
    pip = tmp_path / ".venv" / "bin" / "pip"  # an existing venv: nothing is installed
    pip.parent.mkdir(parents=True)
    pip.write_text("#!/bin/sh\nexit 0\n")
    pip.chmod(0o755)
    done = subprocess.run(
        ["bash", str(tmp_path / "dev")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    first = done.stdout.splitlines()[0]
    assert first == "Developer entry point. Creates ./.venv on first use, then:"
    assert "./dev tox ARGS" in done.stdout
    assert "set -euo pipefail" not in done.stdout
    assert "#" not in done.stdout
