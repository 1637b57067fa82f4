"""Which files to lint, of which kind, for which stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpsigning_mojo.lint.targets import FileToLint, discover


def test_a_spec_directory_gives_its_manifests_instances_and_bundle(spec_dir: Path) -> None:
    found = discover([str(spec_dir)])
    assert all(isinstance(item, FileToLint) for item in found)
    kinds = sorted((item.path.name, item.kind) for item in found)
    assert kinds == [
        ("bundle.yaml", "bundle"),
        ("instances.yaml", "instances"),
        ("manifest", "manifest"),
        ("manifest-upgrade", "manifest"),
    ]
    bundle = next(item for item in found if item.kind == "bundle")
    assert sorted(stage.name for stage in bundle.stages) == ["devel", "production", "staging"]
    assert {stage.mojo for stage in bundle.stages} == {
        "lp-signing/devel",
        "lp-signing/production",
        "lp-signing/staging",
    }


def test_without_paths_the_spec_of_the_environment_is_used(
    spec_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(spec_dir))
    assert {item.path.name for item in discover([])} == {
        "bundle.yaml",
        "instances.yaml",
        "manifest",
        "manifest-upgrade",
    }
