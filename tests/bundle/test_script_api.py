"""The names an ad-hoc script uses: Spec conveniences, an edit's diff, the template diff."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lpsigning_mojo.bundle import (
    BundleDiff,
    diff_templates,
    set_channel,
    set_option,
    set_revision,
    unified_diff,
    unified_diff_lines,
)
from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.mojospec import DEFAULT_STAGES, Spec
from lpsigning_mojo.release.revisions import bump_revision
from lpsigning_mojo.testing import FakeCharmhub
from tests.conftest import REPO_ROOT


@pytest.fixture
def spec(tmp_path: Path) -> Spec:
    shutil.copytree(REPO_ROOT / "spec", tmp_path / "spec")
    return Spec.load(tmp_path / "spec" / "lp-signing")


def test_a_spec_gives_its_bundle_and_the_stages_an_edit_checks(spec: Spec) -> None:
    assert spec.bundle_path == spec.directory / "bundle.yaml"
    assert spec.read_bundle() == spec.bundle_path.read_text()
    assert spec.checked_stages == ("devel", "production", "staging")


def test_a_spec_without_stage_directories_checks_the_standard_stages(tmp_path: Path) -> None:
    (tmp_path / "manifest").write_text("bundle config=bundle.yaml\n")
    assert Spec.load(tmp_path).checked_stages == DEFAULT_STAGES


def test_an_unknown_stage_suggests_the_closest(spec: Spec) -> None:
    with pytest.raises(UsageError, match=r"no stage 'stagign' \(did you mean 'staging'\?\)"):
        spec.stage("stagign")


def test_an_edit_given_the_spec_checks_its_stages_and_names_its_file(spec: Spec) -> None:
    result = set_revision(spec.read_bundle(), "lp-signing", 89, stage="staging", spec=spec)
    assert result.path == str(spec.bundle_path)
    assert set(result.stages) == set(spec.checked_stages)
    name = str(spec.bundle_path)
    assert result.diff().splitlines()[:3] == [f"--- a/{name}", f"+++ b/{name}", "@@ -19,7 +19,7 @@"]
    assert "-    revision: 87\n+    revision: 89\n" in result.diff()
    assert result.diff() == unified_diff(result.before, result.text, path=name)


def test_a_spec_s_stages_are_what_the_edit_checks(spec: Spec) -> None:
    """A stage the spec has is checked: an edit that breaks it there is refused."""
    extra = spec.directory / "qa"
    extra.mkdir()
    (extra / "local.yaml").write_text("{}\n")
    spec = Spec.load(spec.directory)
    assert "qa" in spec.checked_stages
    result = set_option(spec.read_bundle(), "lp-signing", "workers", 3, stage="qa", spec=spec)
    assert "qa" in result.stages  # the spec's own stage was rendered and checked


def test_every_edit_given_the_spec_checks_its_stages_and_names_its_file(spec: Spec) -> None:
    (spec.directory / "qa").mkdir()
    (spec.directory / "qa" / "local.yaml").write_text("{}\n")
    spec = Spec.load(spec.directory)
    text = spec.read_bundle()
    for result in (
        set_revision(text, "lp-signing", 90, stage="staging", spec=spec),
        set_channel(text, "lp-signing", "latest/candidate", stage="staging", spec=spec),
        set_option(text, "lp-signing", "workers", 3, stage="staging", spec=spec),
    ):
        assert result.path == str(spec.bundle_path)
        assert "qa" in result.stages  # a stage of the spec only, edited alike


def test_stages_and_a_path_given_with_the_spec_are_the_ones_used(spec: Spec) -> None:
    result = set_revision(
        spec.read_bundle(),
        "lp-signing",
        90,
        stage="staging",
        spec=spec,
        stages=["staging"],
        path="other.yaml",
    )
    assert (result.stages, result.path) == (("staging",), "other.yaml")


def test_an_edit_that_changes_nothing_has_an_empty_diff(spec: Spec) -> None:
    result = set_revision(spec.read_bundle(), "lp-signing", 87, stage="staging", spec=spec)
    assert (result.changed, result.diff()) == (False, "")


def test_bump_revision_with_the_spec_picks_the_latest_and_carries_the_diff(spec: Spec) -> None:
    from lpsigning_mojo.external.charmhub import releases_from_info
    from lpsigning_mojo.testing.standins import data_json

    charmhub = FakeCharmhub()
    charmhub.expect_channel_map(
        "lp-signing", releases_from_info(data_json("charmhub-info-lp-signing.json"))
    )
    bump = bump_revision(
        spec.read_bundle(), "lp-signing", stage="staging", charmhub=charmhub, spec=spec
    )
    assert (bump.choice.how, bump.choice.revision) == ("latest", 89)
    assert bump.edit.path == str(spec.bundle_path)
    assert "+    revision: 89\n" in bump.edit.diff()


def test_the_template_diff_renders_both_versions_for_a_stage(spec: Spec) -> None:
    text = spec.read_bundle()
    new = set_revision(text, "lp-signing", 89, stage="staging", spec=spec).text
    result = diff_templates(text, new, stage="staging")
    assert isinstance(result, BundleDiff)
    assert result.lines() == ["~ lp-signing revision: 87 -> 89"]
    assert result.classification == "release only"
    assert diff_templates(text, text, stage="production").lines() == []


def test_unified_diff_of_equal_texts_is_empty() -> None:
    assert unified_diff("a\n", "a\n", path="x") == ""
    assert unified_diff_lines("a: 1\n", "a: 1\n", path="x") == []
    assert unified_diff("a\n", "b\n", path="x") == "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"


def test_unified_diff_of_a_text_without_a_final_line_break_says_so_as_git_does() -> None:
    # difflib alone would run "-a" and "+b" into one line when neither ends in a break.
    assert unified_diff_lines("a", "b", path="x") == [
        "--- a/x",
        "+++ b/x",
        "@@ -1 +1 @@",
        "-a",
        "\\ No newline at end of file",
        "+b",
        "\\ No newline at end of file",
    ]
    assert unified_diff("a\n", "a\nb", path="x").endswith("+b\n\\ No newline at end of file\n")


def test_unified_diff_splits_lines_as_yaml_does_and_shows_them_without_their_endings() -> None:
    assert unified_diff_lines("a\r\nb\rc\n", "a\r\nB\rc\n", path="x")[2:] == [
        "@@ -1,3 +1,3 @@",
        " a",
        "-b",
        "+B",
        " c",
    ]
