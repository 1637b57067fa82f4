"""The hook stays light: linting imports nothing heavy (checked in a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

HEAVY = (
    "paramiko",
    "launchpadlib",
    "lazr",
    "juju",
    "httplib2",
    "keyring",
    "requests",
    "urllib3",
    "cryptography",
    "nacl",
    "rich",
    "hypothesis",
    "pytest",
    "asyncio",
    "websockets",
)
#: Parts of this package the lint path has no use for.
NOT_NEEDED = (
    "lpsigning_mojo.bundle.edit",
    "lpsigning_mojo.bundle.diff",
    "lpsigning_mojo.bundle.model",
    "lpsigning_mojo.cli",
    "lpsigning_mojo.external",
    "lpsigning_mojo.commands.bundle",
)

SCRIPT = """
import contextlib, io, json, sys
from lpsigning_mojo.commands.lint import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def run_lint(*args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_linting_imports_nothing_heavy() -> None:
    # A finding too, so that the marked template and the position map are loaded.
    data = run_lint("spec/lp-signing", "tests/lint/corpus/bundles/lsm204-literal-secret.yaml")
    assert data["status"] == 1
    modules = data["modules"]
    assert isinstance(modules, list)
    loaded = {name for name in modules if name.split(".")[0] in HEAVY}
    assert not loaded, f"lint imported heavy modules: {sorted(loaded)}"
    assert not set(NOT_NEEDED) & set(modules)
    assert "lpsigning_mojo.lint" in modules
    assert "lpsigning_mojo.bundle.template" in modules


def test_plain_yaml_and_manifests_do_not_even_import_jinja2() -> None:
    data = run_lint(
        "spec/lp-signing/manifest",
        "tests/lint/corpus/bundles/lsm102-unknown-application-key.yaml",
    )
    assert data["status"] == 1
    modules = data["modules"]
    assert isinstance(modules, list)
    assert not [name for name in modules if name.startswith("jinja2")]
    assert "lpsigning_mojo.bundle.template" not in modules


def test_linting_a_bundle_template_imports_no_attrs() -> None:
    # Positions are placed (a finding, and the promotion order across stages), so the
    # overlay merge, the position map and the release policy are all loaded.
    data = run_lint("tests/lint/corpus/bundles/lsm205-promotion-order.yaml")
    assert data["status"] == 1
    modules = data["modules"]
    assert isinstance(modules, list)
    assert {"lpsigning_mojo.bundle.template", "lpsigning_mojo.policy"} <= set(modules)
    assert not [name for name in modules if name.split(".")[0] in ("attr", "attrs")]
