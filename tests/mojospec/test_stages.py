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
        "has no stage 'prod'. Use one of: devel (lp-signing/devel), "
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
