"""The Mojo phase scripts of the spec, run as Mojo runs them: subprocesses with its environment.

Each test copies the shipped spec into a temporary spec root, points the
scripts at the lp-signing stand-in on 127.0.0.1 (``SERVICE_URL``) and at a
fake ``juju`` first on ``PATH``, and runs ``spec/lp-signing/check-bundle`` or
``verify-service`` with the interpreter running the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpsigning_mojo import phases
from lpsigning_mojo.testing.standins import data_text
from lpsigning_mojo.testing.standins.juju import FakeJujuBin
from lpsigning_mojo.testing.standins.lpsigning import LpSigningStandIn
from tests.conftest import REPO_ROOT

SHIPPED = REPO_ROOT / "spec" / "lp-signing"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A spec root holding a copy of the shipped spec (MOJO_SPEC_DIR)."""
    shutil.copytree(SHIPPED, tmp_path / "spec" / "lp-signing", symlinks=True)
    return tmp_path / "spec"


@pytest.fixture
def service() -> Iterator[LpSigningStandIn]:
    with LpSigningStandIn() as standin:
        yield standin


@pytest.fixture
def juju(tmp_path: Path) -> Iterator[FakeJujuBin]:
    """A fake juju answering for the staging model as the stand-in data has it."""
    with FakeJujuBin(tmp_path / "bin") as fake:
        status = data_text("juju-status-staging.json")
        fake.expect("status", "lp-signing", "--format=json", stdout=status)
        fake.expect(
            "config", "lp-signing", "--format=json", stdout=data_text("juju-config-lp-signing.json")
        )
        fake.expect("status", "nrpe", "--format=json", stdout=status)
        fake.expect(
            "config",
            "nrpe",
            "--format=json",
            stdout=json.dumps({"application": "nrpe", "charm": "nrpe", "settings": {}}),
        )
        yield fake


def run(
    script: str,
    root: Path,
    stage: str | None = "lp-signing/staging",
    *,
    path: Path | None = None,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """Run a phase script of the spec in ``root`` as Mojo would, for ``stage``."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MOJO_", "JUJU_", "PYTHON"))
    }
    directories = [str(path)] if path else []
    environment["PATH"] = os.pathsep.join([*directories, "/usr/bin", "/bin"])
    if stage is not None:
        environment.update(
            MOJO_SPEC_DIR=str(root),
            MOJO_STAGE=stage,
            MOJO_SERIES="jammy",
            MOJO_PROJECT="lp-signing",
            MOJO_WORKSPACE="lp-signing",
        )
    environment.update(extra)
    return subprocess.run(
        [sys.executable, str(root / "lp-signing" / script)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- check-bundle ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage", ["lp-signing/production", "lp-signing/staging", "lp-signing/devel"]
)
def test_check_bundle_passes_the_shipped_bundle(root: Path, stage: str) -> None:
    done = run("check-bundle", root, stage)
    assert done.returncode == 0, done.stderr
    bundle = root.resolve() / "lp-signing" / "bundle.yaml"
    assert done.stdout == f"check-bundle: {bundle} rendered for {stage} passes bundle-lint\n"
    assert done.stderr == ""


def test_check_bundle_stops_the_run_on_an_error_for_its_stage_only(root: Path) -> None:
    bundle = root / "lp-signing" / "bundle.yaml"
    text = bundle.read_text()
    # Production loses its revision pin; staging keeps it.
    broken = text.replace(
        "    revision: 87\n",
        '    {%- if stage_name != "production" %}\n    revision: 87\n    {%- endif %}\n',
    )
    assert broken != text
    bundle.write_text(broken)
    staging = run("check-bundle", root, "lp-signing/staging")
    assert staging.returncode == 0, staging.stdout + staging.stderr
    production = run("check-bundle", root, "lp-signing/production")
    assert production.returncode == 1
    lines = production.stdout.splitlines()
    assert any(": LSM202 " in line and line.startswith(f"{bundle.resolve()}:") for line in lines)
    assert production.stderr.startswith(
        f"check-bundle: {bundle.resolve()} rendered for lp-signing/production does not pass "
        "bundle-lint ("
    )
    assert production.stderr.endswith("; nothing was deployed\n")
    assert production.stderr.count("\n") == 1


def test_check_bundle_takes_another_template_from_the_phase_arguments(root: Path) -> None:
    (root / "lp-signing" / "staging" / "bundle-small.yaml").write_text(
        "applications:\n  x:\n    charm: x\n    channel: latest/stable\n    revision: 1\n"
        "    num_units: 1\n"
    )
    done = run("check-bundle", root, "lp-signing/staging", BUNDLE="bundle-small.yaml")
    assert done.returncode == 0, done.stderr
    assert "staging/bundle-small.yaml rendered for lp-signing/staging passes" in done.stdout
    missing = run("check-bundle", root, "lp-signing/production", BUNDLE="bundle-small.yaml")
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        "check-bundle: bundle-small.yaml is not in the stage directory "
    )


# -- outside Mojo, and without the library --------------------------------------------------


@pytest.mark.parametrize("script", ["check-bundle", "verify-service"])
def test_outside_mojo_the_scripts_say_so_and_exit_2(root: Path, script: str) -> None:
    done = run(script, root, stage=None)
    assert done.returncode == phases.EXIT_NOT_IN_MOJO == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"{script}: {script} is a Mojo phase script, and MOJO_SPEC_DIR and MOJO_STAGE are not "
        "set, so it was not run by Mojo. Mojo runs it from a manifest; to try it by hand, set "
        "them as Mojo would, e.g. MOJO_SPEC_DIR=$PWD/spec MOJO_STAGE=lp-signing/staging "
        f"spec/lp-signing/{script}.\n"
    )


@pytest.mark.parametrize("script", ["check-bundle", "verify-service"])
def test_without_the_library_the_scripts_give_the_command_that_installs_it(
    root: Path, script: str, tmp_path: Path
) -> None:
    # -S: no site-packages, so lpsigning_mojo cannot be imported (as for a role
    # account that never installed it); -E ignores PYTHONPATH.
    done = subprocess.run(
        [sys.executable, "-S", "-E", str(root / "lp-signing" / script)],
        env={"PATH": "/usr/bin:/bin", "MOJO_SPEC_DIR": str(root), "MOJO_STAGE": "lp-signing/x"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"{script}: cannot import lpsigning_mojo.phases (No module ")
    assert done.stderr.rstrip("\n").endswith(f"for this account: {phases.INSTALL_COMMAND}")


@pytest.mark.parametrize("script", ["check-bundle", "verify-service"])
def test_the_scripts_are_executable_python_that_mojo_can_start(script: str) -> None:
    path = SHIPPED / script
    assert path.stat().st_mode & 0o111 == 0o111
    assert path.read_text().startswith("#!/usr/bin/env python3\n")
    assert f'main("{script}")' in path.read_text()
    assert script in phases.PHASES


def test_arguments_are_refused_since_mojo_passes_none(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(root / "lp-signing" / "check-bundle"), "extra"],
        env={**os.environ, "MOJO_SPEC_DIR": str(root), "MOJO_STAGE": "lp-signing/staging"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("check-bundle: check-bundle takes no arguments (given 'extra')")


# -- verify-service ----------------------------------------------------------------------------


def test_verify_service_passes_when_healthy_and_running_the_pins(
    root: Path, service: LpSigningStandIn, juju: FakeJujuBin
) -> None:
    done = run(
        "verify-service", root, path=juju.directory, SERVICE_URL=service.url, PROBE_DELAY="0"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"verify-service: {service.url.rstrip('/')}/service-key: HTTP 200 with a service key "
        "(2 checks, 0 s)",
        "verify-service: lp-signing runs lp-signing revision 87 (latest/edge), build_label "
        "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345, as the bundle pins",
        "verify-service: nrpe runs nrpe revision 125 (latest/stable), as the bundle pins",
    ]
    assert done.stderr == ""
    assert service.nonce_requests == 0
    assert [request for request in service.requests] == [("GET", "/service-key")] * 2
    assert juju.calls() == [
        ["status", "lp-signing", "--format=json"],
        ["config", "lp-signing", "--format=json"],
        ["status", "nrpe", "--format=json"],
        ["config", "nrpe", "--format=json"],
    ]


def test_verify_service_fails_on_a_revision_the_bundle_does_not_pin(
    root: Path, service: LpSigningStandIn, juju: FakeJujuBin
) -> None:
    bundle = root / "lp-signing" / "bundle.yaml"
    bundle.write_text(bundle.read_text().replace("revision: 87", "revision: 88"))
    done = run("verify-service", root, path=juju.directory, SERVICE_URL=service.url)
    assert done.returncode == 1
    assert done.stderr == (
        "verify-service: the model does not run what the bundle pins: "
        "lp-signing: revision: spec pins 88, instance runs 87\n"
    )


def test_verify_service_fails_on_ill_health_before_asking_juju(
    root: Path, service: LpSigningStandIn, juju: FakeJujuBin
) -> None:
    service.mode = "500"
    done = run(
        "verify-service",
        root,
        path=juju.directory,
        SERVICE_URL=service.url,
        PROBE_TIMEOUT="0",
    )
    assert done.returncode == 1
    assert done.stderr.startswith("verify-service: the service is not healthy: The service at ")
    assert "HTTP 500 Internal Server Error" in done.stderr
    assert done.stderr.count("\n") == 1
    assert juju.calls() == []
    assert service.nonce_requests == 0


def test_verify_service_reads_the_url_from_the_stage_and_skips_juju_where_there_is_none(
    root: Path, service: LpSigningStandIn
) -> None:
    (root / "lp-signing" / "staging" / "service-url").write_text(service.url + "\n")
    done = run("verify-service", root, PROBE_SUCCESSES="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"verify-service: {service.url.rstrip('/')}/service-key: HTTP 200 with a service key "
        "(1 checks, 0 s)",
        "verify-service: juju is not on PATH here, so what the model runs was not compared "
        "with the bundle",
    ]


def test_verify_service_reads_production_url_from_the_secrets_directory(
    root: Path, service: LpSigningStandIn, tmp_path: Path
) -> None:
    local = tmp_path / "LOCAL" / "lp-signing" / "lp-signing" / "production"
    local.mkdir(parents=True)
    (local / "service-url").write_text(service.url)
    done = run(
        "verify-service",
        root,
        "lp-signing/production",
        MOJO_LOCAL_DIR=str(local),
        PROBE_SUCCESSES="1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"verify-service: {service.url.rstrip('/')}/service-key: ")


def test_verify_service_without_a_url_says_where_it_looked(root: Path, tmp_path: Path) -> None:
    done = run("verify-service", root, "lp-signing/production", MOJO_LOCAL_DIR=str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        "verify-service: no service URL for stage lp-signing/production: SERVICE_URL is not "
        f"set and no service-url file is in {root / 'lp-signing' / 'production'} or its "
        f"parents, nor in {tmp_path}. Add a service-url file holding the URL, or pass "
        "SERVICE_URL=URL to the verify phase.\n"
    )


# -- what the phase path imports ----------------------------------------------------------


_IMPORTS = """
import json, os, sys
from lpsigning_mojo import phases
code = phases.main(sys.argv[1], [])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _modules(script: str, root: Path, **extra: str) -> tuple[int, set[str]]:
    environment = {
        **os.environ,
        "MOJO_SPEC_DIR": str(root),
        "MOJO_STAGE": "lp-signing/staging",
        "PATH": "/usr/bin:/bin",
        **extra,
    }
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS, script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    data = json.loads(done.stderr.strip().splitlines()[-1])
    return data["code"], set(data["modules"])


HEAVY = ("paramiko", "cryptography", "nacl", "launchpadlib", "lazr", "juju", "httplib2")


def test_check_bundle_imports_only_the_lint_path(root: Path) -> None:
    code, modules = _modules("check-bundle", root)
    assert code == 0
    assert not {name for name in modules if name.split(".")[0] in HEAVY}
    assert not {name for name in modules if name.split(".")[0] in ("attr", "attrs")}
    assert "lpsigning_mojo.lint.runner" in modules
    assert not {name for name in modules if name.startswith("lpsigning_mojo.external")}


def test_verify_service_imports_no_ssh_nor_launchpad(root: Path, service: LpSigningStandIn) -> None:
    code, modules = _modules("verify-service", root, SERVICE_URL=service.url, PROBE_DELAY="0")
    assert code == 0
    assert not {name for name in modules if name.split(".")[0] in HEAVY}
    assert "lpsigning_mojo.external.probe" in modules
    assert "lpsigning_mojo.external.ssh" not in modules
    assert "lpsigning_mojo.runbook" not in modules
