"""The engine stands below the plans: it imports no adapter, plan or command, nothing heavy."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import REPO_ROOT

FORBIDDEN = (
    "lpsigning_mojo.external",
    "lpsigning_mojo.release",
    "lpsigning_mojo.commands",
    "lpsigning_mojo.instances",
    "lpsigning_mojo.bundle",
    "lpsigning_mojo.mojospec",
    "lpsigning_mojo.lint",
    "paramiko",
    "juju",
    "launchpadlib",
    "jinja2",
)


def test_importing_the_engine_imports_no_adapter_plan_or_heavy_library() -> None:
    code = (
        "import json, sys, lpsigning_mojo.runbook\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_engine_names_nothing_of_lp_signing() -> None:
    words = re.compile(r"juju|charmhub|bundle|lp-signing|launchpad|staging|production", re.I)
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted((REPO_ROOT / "lpsigning_mojo" / "runbook").glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if words.search(line)
    ]
    assert found == []
