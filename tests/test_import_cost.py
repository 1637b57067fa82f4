"""Importing the package, and the SSH and CLI modules, never imports paramiko."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "lpsigning_mojo",
        "lpsigning_mojo.cli",
        "lpsigning_mojo.commands.instances",
        "lpsigning_mojo.external.ssh",
        "lpsigning_mojo.triggers",
    ],
)
def test_paramiko_is_imported_only_when_connecting(module: str) -> None:
    code = f"import sys, {module}; print('paramiko' in sys.modules, 'cryptography' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]
