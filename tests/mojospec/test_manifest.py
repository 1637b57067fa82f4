"""The manifest model: phases and arguments, expansion, and the walk per stage."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from lpsigning_mojo.errors import FileAccessError
from lpsigning_mojo.mojospec import Manifest, Spec
from lpsigning_mojo.mojospec import manifest as manifest_module
from lpsigning_mojo.mojospec.manifest import Diagnostic, expand


def test_the_examples_in_the_docstrings_hold() -> None:
    failed, attempted = doctest.testmod(manifest_module)
    assert (failed, attempted > 0) == (0, True)


def test_phases_arguments_and_positions() -> None:
    manifest = Manifest.parse(
        "# deploy lp-signing\n"
        "collect\n"
        "\n"
        "bundle config=bundle.yaml  local='deploy secrets' wait=True  # comment\n"
        "verify config=check-service-key\n"
    )
    assert [(p.name, p.line, p.column) for p in manifest.phases] == [
        ("collect", 2, 1),
        ("bundle", 4, 1),
        ("verify", 5, 1),
    ]
    bundle = manifest.phases[1]
    assert [(a.key, a.value, a.column) for a in bundle.arguments] == [
        ("config", "bundle.yaml", 15),
        ("local", "deploy secrets", 34),
        ("wait", "True", 56),
    ]
    assert bundle.argument("nope") is None
    assert manifest.diagnostics == ()


def test_the_last_of_a_repeated_argument_counts() -> None:
    phase = Manifest.parse("bundle config=a.yaml config=b.yaml\n").phases[0]
    arg = phase.argument("config")
    assert arg is not None
    assert arg.value == "b.yaml"


def test_what_mojo_could_not_run_becomes_a_diagnostic_not_a_phase() -> None:
    manifest = Manifest.parse(
        "bundel config=bundle.yaml\n"
        "bundle config='bundle.yaml\n"
        "script oops config=x\n"
        "script config=${MOJO_STAGE/x\n"
    )
    assert [p.name for p in manifest.phases] == ["script", "script"]
    assert manifest.diagnostics == (
        Diagnostic(
            kind="unknown-phase",
            line=1,
            column=1,
            message="unknown Mojo phase 'bundel'",
            token="bundel",
        ),
        Diagnostic(
            kind="syntax",
            line=2,
            column=15,
            message="the line does not split like a shell line: no closing quotation",
        ),
        Diagnostic(
            kind="argument",
            line=3,
            column=8,
            message="script: argument 'oops' is not KEY=VALUE",
            token="oops",
        ),
        Diagnostic(
            kind="syntax",
            line=4,
            column=15,
            message="script: malformed expansion in 'config=${MOJO_STAGE/x'; "
            "write ${NAME} or ${NAME:-default}",
            token="config=${MOJO_STAGE/x",
        ),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("${MOJO_STAGE}", "lp-signing/staging"),
        ("$MOJO_STAGE/x", "lp-signing/staging/x"),
        ("${MOJO_SERIES:-jammy}", "jammy"),
        ("${MOJO_SERIES-jammy}", "jammy"),
        ("${MOJO_STAGE:-other}", "lp-signing/staging"),
        ("${MOJO_SERIES}", None),
        ("a${", None),
    ],
)
def test_expand(value: str, expected: str | None) -> None:
    assert expand(value, {"MOJO_STAGE": "lp-signing/staging"}) == expected


def test_walking_a_stage_expands_arguments_and_looks_config_files_up(tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec" / "demo"
    for stage in ("production", "staging"):
        (spec_dir / stage).mkdir(parents=True)
    (spec_dir / "production" / "README").write_text("production\n")
    (spec_dir / "bundle.yaml").write_text("applications: {}\n")
    (spec_dir / "staging" / "bundle.yaml").write_text("applications: {}\n")
    (spec_dir / "manifest").write_text(
        "collect\n"
        "bundle config=bundle.yaml local=${MOJO_SERIES}\n"
        "script config=check-${MOJO_STAGE:-x}\n"
    )
    spec = Spec.load(spec_dir)
    manifest = Manifest.load(spec_dir / "manifest")
    assert manifest.path == str(spec_dir / "manifest")
    steps = manifest.for_stage(spec, spec.stage("staging"))
    assert [step.name for step in steps] == ["collect", "bundle", "script"]
    collect, bundle, script = steps
    assert (collect.arguments, collect.config, collect.config_missing) == ({}, None, False)
    assert bundle.arguments == {"config": "bundle.yaml", "local": None}
    assert bundle.config == spec_dir.resolve() / "staging" / "bundle.yaml"  # the stage's own
    assert script.config_name == "check-demo/staging"
    assert (script.config, script.config_missing) == (None, True)
    production = manifest.for_stage(spec, spec.stage("production"))
    assert production[1].config == spec_dir.resolve() / "bundle.yaml"
    assert manifest.config_names({"MOJO_STAGE": "demo/production"}) == {
        "bundle.yaml",
        "check-demo/production",
    }
    assert manifest.config_names({}, "bundle") == {"bundle.yaml"}


def test_loading_a_missing_manifest_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match=r"cannot read the manifest .*/manifest"):
        Manifest.load(tmp_path / "manifest")
