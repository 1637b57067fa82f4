"""The dry-run walker: manifests found per stage, phases planned, and driven one by one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.mojospec import Spec
from lpsigning_mojo.mojospec.plan import (
    MOJO_SCRIPT_VARIABLES,
    PlannedPhase,
    drive,
    manifest_file_name,
    plan_stage,
    script_environment,
)
from tests.conftest import REPO_ROOT


@pytest.fixture
def own_manifest(tmp_path: Path) -> Spec:
    """A spec whose staging directory keeps its own manifest and helper script."""
    spec = tmp_path / "spec" / "web"
    (spec / "staging").mkdir(parents=True)
    (spec / "production").mkdir()
    (spec / "production" / "README").write_text("Stage directory for production.\n")
    (spec / "manifest").write_text(
        "bundle config=bundle.yaml local=secrets\nverify config=check WAIT=${WAIT:-10}\n"
    )
    (spec / "bundle.yaml").write_text("applications: {}\n")
    (spec / "check").write_text("#!/bin/sh\nexit 0\n")
    (spec / "check").chmod(0o755)
    (spec / "staging" / "manifest").write_text(
        "script config=prepare MESSAGE='hello world' SERIES=${MOJO_SERIES}\n"
        "bundle config=bundle.yaml\n"
        "verify config=check\n"
    )
    (spec / "staging" / "prepare").write_text("#!/bin/sh\necho prepared\n")
    (spec / "staging" / "prepare").chmod(0o755)
    (spec / "staging" / "bundle.yaml").write_text("applications: {}\n")
    return Spec.load(spec)


def test_a_stage_that_keeps_its_own_manifest_and_files_uses_them(own_manifest: Spec) -> None:
    spec = own_manifest
    staging = spec.stage("staging")
    plan = plan_stage(spec, staging)
    assert plan.manifest_path == (spec.directory / "staging" / "manifest").resolve()
    phases = list(plan.phases())
    assert [phase.name for phase in phases] == ["script", "bundle", "verify"]
    prepare, bundle, check = phases
    assert prepare.script == (spec.directory / "staging" / "prepare").resolve()
    assert prepare.environment == {
        "MOJO_SPEC_DIR": str(spec.root),
        "MOJO_STAGE": "web/staging",
        "MOJO_SERIES": "jammy",
        "MOJO_PROJECT": None,
        "MOJO_WORKSPACE": None,
        "MOJO_LOCAL_DIR": None,
        "MOJO_REPO_DIR": None,
        "MOJO_BUILD_DIR": None,
        "MESSAGE": "hello world",
        "SERIES": "jammy",
    }
    assert bundle.bundle == (spec.directory / "staging" / "bundle.yaml").resolve()
    assert bundle.overlay is None
    assert check.script == (spec.directory / "check").resolve()
    assert [phase.problems for phase in phases] == [(), (), ()]


def test_other_stages_use_the_spec_manifest_and_bastion_values_when_given(
    own_manifest: Spec,
) -> None:
    spec = own_manifest
    plan = plan_stage(
        spec,
        spec.stage("production"),
        known={"MOJO_LOCAL_DIR": "/srv/mojo/LOCAL/web/production", "WAIT": "30"},
    )
    assert plan.manifest_path == (spec.directory / "manifest").resolve()
    bundle, check = plan.phases()
    assert bundle.bundle == (spec.directory / "bundle.yaml").resolve()
    assert bundle.overlay == "secrets"
    assert bundle.overlay_path == "/srv/mojo/LOCAL/web/production/secrets"
    assert check.environment["WAIT"] == "30"
    assert check.environment["MOJO_LOCAL_DIR"] == "/srv/mojo/LOCAL/web/production"
    without = plan_stage(spec, spec.stage("production"))
    assert [phase.environment.get("WAIT") for phase in without.phases()] == [None, "10"]
    assert next(without.phases()).overlay_path is None


def test_problems_mojo_would_meet_are_said_per_phase(own_manifest: Spec) -> None:
    spec = own_manifest
    (spec.directory / "check").chmod(0o644)
    (spec.directory / "manifest-broken").write_text(
        "verify config=check\nscript config=missing\nscript config=${NOT_KNOWN}\nbundel x=1\n"
    )
    plan = plan_stage(spec, spec.stage("production"), manifest="broken")
    assert [d.message for d in plan.diagnostics] == ["unknown Mojo phase 'bundel'"]
    assert [phase.problems for phase in plan.phases()] == [
        ("check is not executable; Mojo runs it",),
        (
            f"config file 'missing' is not in {spec.directory / 'production'} nor in any "
            f"parent up to {spec.root}",
        ),
        ("config=${NOT_KNOWN} uses a variable known only on the bastion",),
    ]


def test_a_missing_manifest_is_one_sentence(own_manifest: Spec) -> None:
    with pytest.raises(UsageError, match="stage web/production has no manifest 'manifest-nope'"):
        plan_stage(own_manifest, own_manifest.stage("production"), manifest="nope")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "manifest"),
        ("manifest", "manifest"),
        ("upgrade", "manifest-upgrade"),
        ("manifest-upgrade", "manifest-upgrade"),
    ],
)
def test_manifest_names_follow_mojo_run_m(given: str | None, expected: str) -> None:
    assert manifest_file_name(given) == expected


@pytest.mark.parametrize("bad", ["../manifest", "a/b", ".."])
def test_manifest_names_are_not_paths(bad: str) -> None:
    with pytest.raises(UsageError, match="is not a manifest name"):
        manifest_file_name(bad)


@pytest.mark.parametrize("stage", ["production", "staging", "devel"])
@pytest.mark.parametrize("manifest", ["manifest", "manifest-upgrade"])
def test_the_shipped_spec_plans_cleanly(stage: str, manifest: str) -> None:
    spec = Spec.load(REPO_ROOT / "spec" / "lp-signing")
    plan = plan_stage(spec, spec.stage(stage), manifest=manifest)
    phases = list(plan.phases())
    assert plan.diagnostics == ()
    assert [phase.name for phase in phases] == ["script", "bundle", "juju-check-wait", "verify"]
    assert all(phase.problems == () for phase in phases)
    assert phases[0].script == (spec.directory / "check-bundle").resolve()
    assert phases[1].bundle == (spec.directory / "bundle.yaml").resolve()
    assert phases[1].overlay == "deploy-secrets"
    assert phases[3].script == (spec.directory / "verify-service").resolve()
    assert tuple(phases[3].environment) == MOJO_SCRIPT_VARIABLES


def test_drive_runs_phases_in_order_and_stops_at_the_first_failure(own_manifest: Spec) -> None:
    """A stand-in Mojo: run each script with its environment, as Mojo would."""
    spec = own_manifest
    (spec.directory / "check").write_text('#!/bin/sh\necho "checked $MOJO_STAGE" >&2\nexit 3\n')
    ran: list[str] = []

    def execute(phase: PlannedPhase) -> int:
        ran.append(phase.name)
        if phase.script is None:
            return 0
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **{key: value for key, value in phase.environment.items() if value is not None},
        }
        done = subprocess.run(
            [str(phase.script)], env=environment, capture_output=True, text=True, check=False
        )
        return done.returncode

    result = drive(plan_stage(spec, spec.stage("staging")).phases(), execute)
    assert ran == ["script", "bundle", "verify"]
    assert not result.ok
    assert result.failed is not None
    assert result.failed.name == "verify"
    assert result.status == 3
    (spec.directory / "check").write_text("#!/bin/sh\nexit 0\n")
    ran.clear()
    assert drive(plan_stage(spec, spec.stage("staging")).phases(), execute).ok
    assert ran == ["script", "bundle", "verify"]


def test_script_environment_passes_every_argument_but_config() -> None:
    spec = Spec.load(REPO_ROOT / "spec" / "lp-signing")
    environment = script_environment(
        spec,
        spec.stage("staging"),
        {"config": "verify-service", "SERVICE_URL": "http://127.0.0.1:1/", "EMPTY": None},
        known={"MOJO_PROJECT": "lp-signing"},
    )
    assert "config" not in environment
    assert environment["SERVICE_URL"] == "http://127.0.0.1:1/"
    assert environment["EMPTY"] is None
    assert environment["MOJO_PROJECT"] == "lp-signing"


def test_the_walker_stays_light() -> None:
    code = (
        "import json, sys\n"
        "import lpsigning_mojo.mojospec.plan\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    import json

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    modules = set(json.loads(done.stdout))
    assert not {m for m in modules if m.split(".")[0] in ("attr", "attrs", "jinja2", "yaml")}


def test_shipped_spec_copy_with_a_stage_manifest(tmp_path: Path) -> None:
    """The lp-signing spec with staging keeping its own manifest-upgrade."""
    root = tmp_path / "spec"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", root / "lp-signing")
    (root / "lp-signing" / "staging" / "manifest-upgrade").write_text(
        "bundle config=bundle.yaml local=deploy-secrets\n"
    )
    spec = Spec.load(root / "lp-signing")
    staging = [p.name for p in plan_stage(spec, spec.stage("staging"), manifest="upgrade").phases()]
    production = [
        p.name for p in plan_stage(spec, spec.stage("production"), manifest="upgrade").phases()
    ]
    assert staging == ["bundle"]
    assert production == ["script", "bundle", "juju-check-wait", "verify"]
