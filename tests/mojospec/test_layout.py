"""Finding the spec: the one a file belongs to, and the one a command works on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.mojospec import SPEC_ENV, find_spec_dir, find_specs, resolve_spec
from lpsigning_mojo.mojospec.layout import (
    holds_spec,
    is_bundle_name,
    is_manifest,
    resolve_specs,
    upwards,
)
from tests.conftest import REPO_ROOT


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository (``.git``) holding a copy of the lp-signing spec in ``spec/lp-signing``."""
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", root / "spec" / "lp-signing")
    (root / ".git").mkdir()
    (root / "docs").mkdir()
    return root


def test_file_names() -> None:
    assert is_manifest(Path("spec/manifest"))
    assert is_manifest(Path("manifest-upgrade"))
    assert not is_manifest(Path("manifests"))
    assert not is_manifest(Path("my-manifest"))
    assert is_bundle_name(Path("bundle.yaml"))
    assert is_bundle_name(Path("bundle-ha.yml"))
    assert not is_bundle_name(Path("bundle.json"))
    assert not is_bundle_name(Path("a-bundle.yaml"))


def test_upwards_stops_at_the_top_of_the_repository(repo: Path) -> None:
    start = repo / "spec" / "lp-signing" / "staging"
    assert list(upwards(start)) == [
        start,
        repo / "spec" / "lp-signing",
        repo / "spec",
        repo,
    ]
    assert next(iter(upwards(start / "service-url"))) == start  # a file: its directory first


def test_a_file_belongs_to_the_nearest_directory_holding_a_manifest(repo: Path) -> None:
    spec = repo / "spec" / "lp-signing"
    assert find_spec_dir(spec / "bundle.yaml") == spec
    assert find_spec_dir(spec / "staging" / "service-url") == spec
    assert find_spec_dir(repo / "docs") == repo / "docs"  # none: the directory itself


def test_a_stage_directory_with_its_own_bundle_is_not_a_spec(repo: Path) -> None:
    spec = repo / "spec" / "lp-signing"
    (spec / "staging" / "bundle.yaml").write_text("applications: {}\n")
    assert holds_spec(spec)
    assert not holds_spec(spec / "staging")
    assert find_specs(spec / "staging") == (spec,)
    lone = repo / "lone"
    lone.mkdir()
    (lone / "instances.yaml").write_text("instances: {}\n")
    assert holds_spec(lone)  # no manifest above it: a spec of its own


@pytest.mark.parametrize(
    "where", ["", "docs", "spec", "spec/lp-signing", "spec/lp-signing/production"]
)
def test_the_spec_is_found_from_anywhere_in_the_repository(repo: Path, where: str) -> None:
    assert find_specs(repo / where) == (repo / "spec" / "lp-signing",)
    assert resolve_spec(cwd=repo / where, environ={}) == repo / "spec" / "lp-signing"


def test_found_below_the_current_directory_it_is_relative(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SPEC_ENV, raising=False)
    monkeypatch.chdir(repo)
    assert resolve_spec() == Path("spec/lp-signing")
    monkeypatch.chdir(repo / "spec" / "lp-signing" / "staging")
    assert resolve_spec() == repo / "spec" / "lp-signing"  # above it: absolute


def test_the_flag_wins_over_the_environment_which_wins_over_the_search(
    repo: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    here = repo / "docs"
    environ = {SPEC_ENV: str(other)}
    assert resolve_spec(cwd=here, environ={}) == repo / "spec" / "lp-signing"
    assert resolve_spec(cwd=here, environ=environ) == other
    assert resolve_spec(str(repo / "spec" / "lp-signing"), cwd=here, environ=environ) == (
        repo / "spec" / "lp-signing"
    )
    assert resolve_spec(cwd=here, environ={SPEC_ENV: ""}) == repo / "spec" / "lp-signing"


def test_a_repository_given_as_the_spec_means_its_one_spec(repo: Path) -> None:
    assert resolve_spec(str(repo), environ={}) == repo / "spec" / "lp-signing"
    assert resolve_spec(str(repo / "spec"), environ={}) == repo / "spec" / "lp-signing"


def test_a_given_directory_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        resolve_spec(str(tmp_path / "nope"), environ={})
    assert str(raised.value) == (
        f"--spec names {tmp_path}/nope, which does not exist. Give the spec directory, the one "
        "holding manifest, bundle.yaml and instances.yaml."
    )
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match=f"^{SPEC_ENV} names .*, which is not a directory"):
        resolve_spec(environ={SPEC_ENV: str(tmp_path / "file")})


def test_no_spec_found_says_what_was_tried_and_what_to_pass(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    with pytest.raises(UsageError) as raised:
        resolve_spec(cwd=tmp_path / "sub", environ={})
    assert raised.value.exit_code == 2
    assert str(raised.value) == (
        f"no Mojo spec found: --spec is not given, {SPEC_ENV} is not set, and no directory "
        f"from {tmp_path}/sub up to {tmp_path} holds a manifest, bundle.yaml or "
        "instances.yaml, itself or in spec/NAME/. Run this inside the spec's repository, or "
        f"pass --spec DIR (or set {SPEC_ENV}=DIR)."
    )


def test_several_specs_are_all_found_but_one_must_be_chosen(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    for name in ("one", "two"):
        (tmp_path / "spec" / name).mkdir(parents=True)
        (tmp_path / "spec" / name / "manifest").write_text("collect\n")
    found = (tmp_path / "spec" / "one", tmp_path / "spec" / "two")
    assert resolve_specs(cwd=tmp_path, environ={}) == found
    assert resolve_specs(cwd=tmp_path / "spec", environ={}) == found  # the spec root
    with pytest.raises(UsageError, match=r"several Mojo specs found: .*one, .*two\. Choose one"):
        resolve_spec(cwd=tmp_path, environ={})
    assert resolve_spec(str(found[1]), cwd=tmp_path, environ={}) == found[1]


def test_the_spec_of_a_file_is_never_looked_for_above_its_repository(tmp_path: Path) -> None:
    (tmp_path / "manifest").write_text("collect\n")  # outside the repository below
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (repository / "charm").mkdir()
    bundle = repository / "charm" / "bundle.yaml"
    bundle.write_text("applications: {}\n")
    assert find_spec_dir(bundle) == bundle.parent.resolve()
    assert find_spec_dir(tmp_path / "other.yaml") == tmp_path.resolve()
