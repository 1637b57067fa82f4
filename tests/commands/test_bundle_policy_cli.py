"""``lpsigning-mojo bundle``: edits refuse what bundle-lint rejects; diff and set-channel agree.

Through ``main``, on a copy of the shipped spec: the README's example with a
placeholder commit, a revision without a channel, a channel that does not
hold the pinned revision (asked of the loopback Charmhub stand-in), and
``bundle diff`` calling a placeholder ``build_label`` what it is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo.cli import main
from lpsigning_mojo.commands import lint
from tests.conftest import REPO_ROOT

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    copy = tmp_path / "spec" / "lp-signing"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", copy)
    return copy


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_the_readme_example_with_a_placeholder_is_refused_with_the_rule(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    path = spec / "bundle.yaml"
    before = path.read_text()
    status, out, err = run(
        capsys, "bundle", "set-option", str(path), "lp-signing", "build_label", "COMMIT",
        "--stage", "production",
    )  # fmt: skip
    assert (status, out) == (1, "")
    assert err == (
        f"lpsigning-mojo: {path}:41: setting lp-signing options.build_label to 'COMMIT' would "
        "break LSM203 (build-label-not-commit) in stage production: lp-signing: build_label "
        "'COMMIT' is not a full 40-character lower-case commit id. Set the full commit id: "
        "git rev-parse COMMIT in lp-signing.\n"
    )
    assert path.read_text() == before
    status, _, _ = run(
        capsys, "bundle", "set-option", str(path), "lp-signing", "build_label", COMMIT,
        "--stage", "production",
    )  # fmt: skip
    assert status == 0
    assert lint.main([str(spec)]) == 0


def test_the_readme_shows_a_command_that_works() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "build_label COMMIT" not in readme
    assert "build_label $(git -C ../lp-signing rev-parse HEAD)" in readme


def test_a_forced_revision_without_a_channel_is_refused(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    path = spec / "bundle.yaml"
    path.write_text(path.read_text().replace("    channel: latest/stable\n", ""))
    before = path.read_text()
    status, _, err = run(
        capsys, "bundle", "set-revision", str(path), "nrpe", "126", "--stage", "staging", "--force"
    )
    assert status == 1
    assert "would break LSM201 (revision-without-channel) in stages staging, " in err
    assert err.endswith("Add the channel the revision was released to (latest/edge, ...).\n")
    assert path.read_text() == before


def test_a_rule_the_lint_configuration_ignores_does_not_stop_an_edit(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    (spec.parent.parent / "pyproject.toml").write_text(
        '[tool.lpsigning-mojo.lint]\nignore = ["LSM203"]\n'
    )
    path = spec / "bundle.yaml"
    status, out, _ = run(
        capsys, "bundle", "set-option", str(path), "lp-signing", "build_label", "main",
        "--stage", "production", "--dry-run",
    )  # fmt: skip
    assert status == 0
    assert "+      build_label: main" in out


def _set_channel(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run(capsys, "bundle", "set-channel", *argv)


def test_set_channel_asks_charmhub_whether_the_new_channel_holds_the_pinned_revision(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: Any
) -> None:
    path = spec / "bundle.yaml"
    before = path.read_text()
    url = ["--charmhub-url", charmhub_server.url]
    # latest/stable holds revision 84 for ubuntu@22.04 on amd64; the bundle pins 87.
    status, out, err = _set_channel(
        capsys, str(path), "lp-signing", "latest/stable", "--stage", "staging", *url
    )
    assert (status, out) == (1, "")
    assert (
        "revision 87 of lp-signing is not released to latest/stable for ubuntu@22.04 on amd64 "
        "(it holds 84 now)" in err
    )
    assert path.read_text() == before
    # latest/beta holds 87.
    status, out, _ = _set_channel(
        capsys, str(path), "lp-signing", "latest/beta", "--stage", "staging", *url
    )
    assert status == 0
    assert "+    channel: latest/beta" in out
    assert "channel: latest/beta" in path.read_text()


def test_set_channel_force_asks_nobody(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    # No Charmhub is reachable here (the test guard refuses it): none is asked.
    path = spec / "bundle.yaml"
    status, out, _ = _set_channel(
        capsys, str(path), "lp-signing", "latest/stable", "--stage", "staging", "--force"
    )
    assert status == 0
    assert "+    channel: latest/stable" in out


def test_set_channel_of_an_unpinned_charm_asks_nobody(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    path = spec / "bundle.yaml"
    path.write_text(path.read_text().replace("    revision: 125\n", ""))
    status, _, _ = _set_channel(capsys, str(path), "nrpe", "latest/edge", "--stage", "staging")
    assert status == 0


def test_diff_calls_a_placeholder_build_label_no_release_in_production(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    old = spec / "bundle.yaml"
    new = spec / "bundle-new.yaml"
    text = old.read_text()
    new.write_text(text.replace("1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345", "COMMIT"))
    status, out, _ = run(capsys, "bundle", "diff", str(old), str(new), "--stage", "production")
    assert status == 0
    assert out.splitlines()[-2:] == [
        "  lp-signing build_label 'COMMIT' names no build to release (it must be a full "
        "40-character commit id in stage production).",
        "Classification: other changes.",
    ]
    new.write_text(text.replace("1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345", COMMIT))
    status, out, _ = run(
        capsys, "bundle", "diff", str(old), str(new), "--stage", "production", "--format", "json"
    )
    assert (status, json.loads(out)["release_only"]) == (0, True)
