"""The manifest checks turn the model's diagnostics into findings, and add the rule checks."""

from __future__ import annotations

from pathlib import Path

from lpsigning_mojo.lint.manifest import check_manifest, check_stage
from lpsigning_mojo.mojospec import Spec


def test_diagnostics_become_findings_with_rule_codes() -> None:
    manifest, problems = check_manifest(
        "bundel config=bundle.yaml\n"
        "bundle config='bundle.yaml\n"
        "script oops config=x\n"
        "verify\n"
        "bundle config=bundle.yaml local=../secrets\n"
    )
    assert [p.name for p in manifest.phases] == ["script", "verify", "bundle"]
    assert sorted((p.code, p.line, p.column, p.message) for p in problems) == [
        ("LSM301", 2, 15, "the line does not split like a shell line: no closing quotation"),
        ("LSM302", 1, 1, "unknown Mojo phase 'bundel' (did you mean 'bundle'?)"),
        ("LSM303", 3, 8, "script: argument 'oops' is not KEY=VALUE"),
        ("LSM303", 4, 1, "verify: the phase needs config=FILE"),
        (
            "LSM306",
            5,
            33,
            "bundle: local='../secrets' must be a bare file name in the secrets directory on "
            "the bastion, not a path",
        ),
    ]


def test_per_stage_config_files_missing_or_not_executable(tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec"
    for stage in ("production", "staging"):
        (spec_dir / stage).mkdir(parents=True)
    (spec_dir / "staging" / "check").write_text("#!/bin/sh\n")
    (spec_dir / "production" / "check").write_text("#!/bin/sh\n")
    (spec_dir / "production" / "check").chmod(0o755)
    manifest, problems = check_manifest("verify config=check\nbundle config=${MOJO_SERIES}\n")
    assert problems == []
    spec = Spec.load(spec_dir)
    assert list(check_stage(manifest, spec, spec.stage("production"))) == []
    [found] = check_stage(manifest, spec, spec.stage("staging"))
    assert (found.code, found.line, found.column) == ("LSM305", 1, 15)
    assert found.message == "verify: 'check' is not executable; Mojo runs it"
    (spec_dir / "staging" / "check").unlink()
    [found] = check_stage(manifest, spec, spec.stage("staging"))
    assert (found.code, found.message) == (
        "LSM304",
        "verify: config file 'check' is not in the stage directory or any parent up to the "
        "spec root",
    )
