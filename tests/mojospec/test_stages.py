"""Stages: short and Mojo names, the standard stages, Mojo's lookup, template variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpsigning_mojo.errors import FileAccessError, UsageError
from lpsigning_mojo.mojospec import (
    DEFAULT_STAGES,
    Spec,
    mojo_environment,
    mojo_variables,
    spec_root,
    stage_name,
)


def test_the_short_name_is_the_last_component_of_the_mojo_name() -> None:
    assert stage_name("lp-signing/production") == "production"
    assert stage_name("staging") == "staging"
    assert stage_name("lp-signing/devel/") == "devel"


def test_the_shipped_spec_has_the_standard_stages(spec_dir: Path) -> None:
    spec = Spec.load(spec_dir)
    assert sorted(spec.stage_names) == sorted(DEFAULT_STAGES)
    staging = spec.stage("lp-signing/staging")
    assert (staging.name, staging.mojo) == ("staging", "lp-signing/staging")
    assert spec.stage("staging") == staging
    assert "scripts" not in spec.stage_names


def test_an_unknown_stage_lists_both_names_of_each(spec_dir: Path) -> None:
    with pytest.raises(UsageError) as raised:
        Spec.load(spec_dir).stage("prod")
    assert str(raised.value).endswith(
        "has no stage 'prod' (did you mean 'production'?). Use one of: devel (lp-signing/devel), "
        "production (lp-signing/production), staging (lp-signing/staging)."
    )


def test_loading_a_missing_spec_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="no such spec directory"):
        Spec.load(tmp_path / "nope")


def test_lookup_goes_from_the_stage_directory_up_to_the_spec_root(spec_dir: Path) -> None:
    spec = Spec.load(spec_dir)
    assert spec.lookup("service-url", "staging") == spec_dir.resolve() / "staging" / "service-url"
    assert spec.lookup("bundle.yaml", "staging") == spec_dir.resolve() / "bundle.yaml"
    assert spec.lookup("service-url", "production") is None


def test_mojo_variables_name_the_stage_by_its_short_name() -> None:
    assert mojo_variables("lp-signing/devel") == {
        "stage_name": "devel",
        "series": "jammy",
        "local_dir": "/srv/mojo/LOCAL/lp-signing/devel",
    }
    assert mojo_variables("staging", series="noble", extra={"series": "focal", "x": 1}) == {
        "stage_name": "staging",
        "series": "focal",
        "local_dir": "/srv/mojo/LOCAL/lp-signing/staging",
        "x": 1,
    }


def test_mojo_environment_knows_the_stage_and_the_spec_root(spec_dir: Path) -> None:
    spec = Spec.load(spec_dir)
    assert mojo_environment(spec, spec.stage("staging")) == {
        "MOJO_STAGE": "lp-signing/staging",
        "MOJO_SPEC_DIR": str(spec_dir.resolve().parent),
    }


def _repository(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    return root


def test_a_stage_directory_holds_files_and_is_never_a_symlink(tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec" / "demo"
    (spec_dir / "production").mkdir(parents=True)
    (spec_dir / "production" / "service-url").write_text("http://demo/\n")
    (spec_dir / "empty").mkdir()  # no files: not a stage
    (spec_dir / "nested" / "deeper").mkdir(parents=True)  # only a directory: not a stage
    (spec_dir / "scripts").mkdir()
    (spec_dir / "scripts" / "check").write_text("#!/bin/sh\n")
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "tool").write_text("#!/bin/sh\n")
    (spec_dir / "utils").symlink_to(tmp_path / "helpers")  # followed for files, never a stage
    (spec_dir / "manifest").write_text("collect\n")
    spec = Spec.load(spec_dir)
    assert [(s.name, s.mojo) for s in spec.stages] == [("production", "demo/production")]
    assert spec.root == (tmp_path / "spec").resolve()


def test_a_manifest_directory_below_the_repository_top_is_its_own_stage(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    stage = root / "specs" / "web" / "frontend" / "jammy"
    stage.mkdir(parents=True)
    (root / "helper" / "utils").mkdir(parents=True)
    (root / "helper" / "utils" / "check").write_text("#!/bin/sh\n")
    (stage / "utils").symlink_to("../../../../helper/utils")
    (stage / "manifest").write_text("verify config=utils/check\n")
    (root / "specs" / "web" / "shared").write_text("a file Mojo finds in a parent\n")
    spec = Spec.load(stage)
    assert spec.root == root.resolve()
    assert [(s.name, s.mojo) for s in spec.stages] == [("jammy", "specs/web/frontend/jammy")]
    assert spec.select() == spec.stages
    assert spec.lookup("utils/check", "jammy") == stage.resolve() / "utils" / "check"
    assert spec.lookup("shared", "specs/web/frontend/jammy") == (
        root.resolve() / "specs" / "web" / "shared"
    )
    assert spec.lookup("nowhere", "jammy") is None
    assert mojo_environment(spec, spec.stages[0]) == {
        "MOJO_STAGE": "specs/web/frontend/jammy",
        "MOJO_SPEC_DIR": str(root.resolve()),
    }


def test_the_spec_directory_of_a_repository_is_the_spec_root(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    production = root / "spec" / "demo" / "production"
    production.mkdir(parents=True)
    (production / "manifest").write_text("collect\n")
    assert spec_root(production) == (root / "spec").resolve()
    assert spec_root(root / "spec" / "demo") == (root / "spec").resolve()
    assert spec_root(root / "elsewhere") == root.resolve()
    assert [s.mojo for s in Spec.load(production).stages] == ["demo/production"]


def test_outside_a_repository_a_spec_without_stage_directories_gets_the_standard_stages(
    tmp_path: Path,
) -> None:
    spec_dir = tmp_path / "demo"
    spec_dir.mkdir()
    (spec_dir / "manifest").write_text("collect\n")
    assert spec_root(spec_dir) is None
    spec = Spec.load(spec_dir)
    assert (spec.stages, spec.root, spec.standalone) == ((), spec_dir.resolve(), False)
    assert [(s.name, s.mojo) for s in spec.select()] == [
        ("production", "production"),
        ("staging", "staging"),
        ("devel", "devel"),
    ]
    assert [(s.name, s.mojo) for s in spec.select(["qa", "lp/qa"])] == [
        ("qa", "qa"),
        ("qa", "lp/qa"),
    ]


def test_a_directory_in_no_spec_has_no_stages_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Docs\n")
    lone = Spec.outside(tmp_path)
    assert (lone.stages, lone.standalone) == ((), True)
    assert [s.name for s in lone.select()] == list(DEFAULT_STAGES)
    assert [s.name for s in lone.select(["staging"])] == ["staging"]


def test_selecting_names_a_known_stage_by_either_name(spec_dir: Path) -> None:
    spec = Spec.load(spec_dir)
    assert [s.name for s in spec.select(["lp-signing/staging", "production"])] == [
        "staging",
        "production",
    ]
    with pytest.raises(UsageError, match="has no stage 'qa'"):
        spec.select(["qa"])
