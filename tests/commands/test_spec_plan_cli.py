"""``lpsigning-mojo spec plan``: the dry run of ``mojo run`` on the shipped spec and others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from tests.conftest import REPO_ROOT

SHIPPED = REPO_ROOT / "spec" / "lp-signing"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = cli.main(list(argv))
    except SystemExit as exit:  # argparse
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("stage", ["production", "staging", "devel"])
def test_plan_of_each_shipped_stage(stage: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "spec", "plan", "--spec", str(SHIPPED), "--stage", stage, "--format", "json"
    )
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert (document["spec_root"], document["failed"]) == (str(SHIPPED.parent), False)
    (plan,) = document["plans"]
    assert (plan["stage"], plan["mojo_stage"]) == (stage, f"lp-signing/{stage}")
    assert plan["manifest"] == "manifest"
    assert plan["manifest_path"] == "lp-signing/manifest"
    script, bundle, wait, verify = plan["phases"]
    assert (script["phase"], script["script"]) == ("script", "lp-signing/check-bundle")
    assert script["environment"]["MOJO_STAGE"] == f"lp-signing/{stage}"
    assert script["environment"]["MOJO_LOCAL_DIR"] is None
    assert bundle["arguments"] == {
        "config": "bundle.yaml",
        "local": "deploy-secrets",
        "max-wait": "1800",
    }
    assert bundle["bundle"] == "lp-signing/bundle.yaml"
    assert bundle["overlay"] == "deploy-secrets"
    rendered = bundle["rendered"]
    assert f"nagios_context: lp-signing-{stage}" in rendered["text"]
    lp_signing = rendered["applications"][0]
    assert (lp_signing["application"], lp_signing["revision"]) == ("lp-signing", 87)
    assert lp_signing["build_label"] == (
        "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345" if stage == "production" else None
    )
    assert lp_signing["num_units"] == (1 if stage == "devel" else 2)
    assert wait["phase"] == "juju-check-wait"
    assert (verify["phase"], verify["script"]) == ("verify", "lp-signing/verify-service")
    assert all(phase["problems"] == [] for phase in plan["phases"])


def test_plan_of_every_stage_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys,
        "spec",
        "plan",
        "--spec",
        str(SHIPPED),
        "--manifest",
        "upgrade",
        "--var",
        "MOJO_LOCAL_DIR=/srv/mojo/LOCAL/lp-signing/lp-signing/production",
    )
    assert status == 0
    stages = [line for line in out.splitlines() if line.startswith("Stage ")]
    root = SHIPPED.resolve().parent
    assert stages == [
        f"Stage lp-signing/{name}: lp-signing/manifest-upgrade (paths from the spec root {root})"
        for name in ("devel", "production", "staging")
    ]
    assert "  1. script config=check-bundle\n     runs: lp-signing/check-bundle\n" in out
    assert "       MOJO_PROJECT=(set by Mojo on the bastion)\n" in out
    assert "  2. bundle config=bundle.yaml local=deploy-secrets max-wait=900\n" in out
    assert (
        "     secrets overlay: /srv/mojo/LOCAL/lp-signing/lp-signing/production/deploy-secrets "
        "(on the bastion; not read)\n" in out
    )
    assert "           build_label: 1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345\n" in out
    assert "  4. verify config=verify-service\n     runs: lp-signing/verify-service\n" in out


def test_a_spec_whose_stage_keeps_its_own_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "spec"
    shutil.copytree(SHIPPED, root / "lp-signing")
    staging = root / "lp-signing" / "staging"
    (staging / "manifest").write_text(
        "script config=warm-up TARGET=${MOJO_STAGE}\nbundle config=bundle.yaml\n"
    )
    (staging / "warm-up").write_text("#!/bin/sh\nexit 0\n")
    (staging / "warm-up").chmod(0o755)
    (staging / "bundle.yaml").write_text(
        "applications:\n  x:\n    charm: x\n    channel: latest/stable\n    revision: 3\n"
    )
    status, out, _ = run(
        capsys, "spec", "plan", "--spec", str(root / "lp-signing"), "--stage", "staging",
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    (plan,) = json.loads(out)["plans"]
    assert plan["manifest_path"] == "lp-signing/staging/manifest"
    warm_up, bundle = plan["phases"]
    assert warm_up["script"] == "lp-signing/staging/warm-up"
    assert warm_up["environment"]["TARGET"] == "lp-signing/staging"
    assert bundle["bundle"] == "lp-signing/staging/bundle.yaml"
    assert bundle["rendered"]["applications"][0]["revision"] == 3


def test_problems_make_the_plan_fail_with_every_problem_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "spec"
    shutil.copytree(SHIPPED, root / "lp-signing")
    spec = root / "lp-signing"
    (spec / "verify-service").chmod(0o644)
    (spec / "bundle.yaml").write_text("applications: {{ nope }\n")
    status, out, err = run(capsys, "spec", "plan", "--spec", str(spec), "--stage", "staging")
    assert status == 1
    assert "     problem: verify-service is not executable; Mojo runs it\n" in out
    assert "     problem: " in out.split("  2. bundle")[1].split("  3.")[0]
    assert "Jinja2 syntax error" in out
    assert err == "Mojo could not run every phase as written: see the problems above.\n"


def test_unknown_stage_and_manifest_are_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "spec", "plan", "--spec", str(SHIPPED), "--stage", "qa")
    assert status == 2
    assert err.startswith("lpsigning-mojo: the spec ")
    assert "has no stage 'qa'" in err
    assert err.count("\n") == 1
    status, _, err = run(capsys, "spec", "plan", "--spec", str(SHIPPED), "--manifest", "nope")
    assert status == 2
    assert "has no manifest 'manifest-nope'" in err
    assert "Traceback" not in err
