"""mojospec sits at the bottom: the lint hook imports it, so it stays light."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

CODE = """
import json, sys
import lpsigning_mojo.mojospec
print(json.dumps(sorted(sys.modules)))
"""


def test_mojospec_imports_no_layer_above_it_nor_attrs_jinja2_or_yaml() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
        timeout=60,
    )
    modules = set(json.loads(done.stdout))
    forbidden = {"attr", "attrs", "jinja2", "yaml"}
    assert not {name for name in modules if name.split(".")[0] in forbidden}
    ours = {name for name in modules if name.startswith("lpsigning_mojo.")}
    assert ours == {
        "lpsigning_mojo._lazy",  # the packages' lazy exports (main's 5e22871)
        "lpsigning_mojo._version",
        "lpsigning_mojo.errors",
        "lpsigning_mojo.files",
        "lpsigning_mojo.files.editing",
        "lpsigning_mojo.files.reading",
        "lpsigning_mojo.mojospec",
        "lpsigning_mojo.mojospec.layout",
        "lpsigning_mojo.mojospec.manifest",
        "lpsigning_mojo.mojospec.stages",
        "lpsigning_mojo.mojospec.variables",
        "lpsigning_mojo.suggest",
    }
