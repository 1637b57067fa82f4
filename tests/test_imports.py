"""Importing the package and its light modules, or building the CLI's parser, stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lpsigning_mojo import cli
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


#: What no command may import just to build its parser: each handler imports its own.
PARSER_HEAVY = ("jinja2", "yaml", "attrs", "attr", "paramiko", "launchpadlib", "juju")

_PARSER_SCRIPT = """
import contextlib, io, json, sys
from lpsigning_mojo import cli
with contextlib.redirect_stdout(io.StringIO()) as out:
    if sys.argv[1:] == ["build"]:
        cli.build_parser()
    else:
        try:
            cli.main(sys.argv[1:])
        except SystemExit:
            pass
print(json.dumps({"out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize(
    "argv", [["build"], ["--help"], ["log", "--help"], ["help", "bundle", "set-revision"]]
)
def test_building_the_parser_imports_no_heavy_library(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PARSER_SCRIPT, *argv],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    data = json.loads(done.stdout)
    if argv != ["build"]:
        assert "usage: lpsigning-mojo" in data["out"]
    if argv[0] == "log":  # a command line builds its own command's parser only
        assert not set(cli.COMMAND_MODULES) - {"lpsigning_mojo.commands.log"} & set(data["modules"])
    else:  # every command module was imported, so each was checked
        assert set(cli.COMMAND_MODULES) <= set(data["modules"])
    heavy = sorted(m for m in data["modules"] if m.split(".")[0] in PARSER_HEAVY)
    assert heavy == []
