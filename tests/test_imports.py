"""Importing the package and its light modules does not import python-libjuju."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

LIGHT = [
    "lpsigning_mojo",
    "lpsigning_mojo.errors",
    "lpsigning_mojo.clock",
    "lpsigning_mojo.external.charmhub",
    "lpsigning_mojo.external.juju",
    "lpsigning_mojo.testing",
]


def test_light_modules_do_not_import_juju() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {LIGHT!r}:\n"
        "    importlib.import_module(name)\n"
        "found = [m for m in sys.modules if m == 'juju' or m.startswith('juju.')]\n"
        "print(json.dumps(sorted(found)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    assert json.loads(done.stdout) == []


def test_the_package_and_its_fakes_do_not_need_hypothesis() -> None:
    # Only lpsigning_mojo.testing.strategies needs it; the package does not require it.
    code = (
        "import sys, lpsigning_mojo, lpsigning_mojo.testing, lpsigning_mojo.testing.standins\n"
        "print('hypothesis' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert done.stdout.split() == ["False"]
