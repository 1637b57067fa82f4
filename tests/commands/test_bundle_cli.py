"""The ``lpsigning-mojo bundle`` commands, end to end through ``main``."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo.cli import main
from tests.conftest import REPO_ROOT

SPEC = REPO_ROOT / "spec" / "lp-signing"


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    copy = tmp_path / "spec" / "lp-signing"
    shutil.copytree(SPEC, copy)
    return copy


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_show_lists_the_applications_of_a_stage(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    status, out, _ = run(
        capsys, "bundle", "show", str(spec / "bundle.yaml"), "--stage", "production"
    )
    assert status == 0
    rows = [line.split() for line in out.splitlines()[1:]]
    assert rows[0] == ["APPLICATION", "CHARM", "CHANNEL", "REV", "UNITS", "BUILD_LABEL"]
    assert rows[1] == [
        "lp-signing",
        "lp-signing",
        "latest/edge",
        "87",
        "2",
        "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345",
    ]
    assert rows[2] == ["nrpe", "nrpe", "latest/stable", "125", "-", "-"]


def test_show_json_and_mojo_stage_names(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    status, out, _ = run(
        capsys,
        "bundle",
        "show",
        str(spec / "bundle.yaml"),
        "--stage",
        "lp-signing/staging",
        "--format",
        "json",
    )
    assert status == 0
    data = json.loads(out)
    assert (data["stage"], data["mojo_stage"]) == ("staging", "lp-signing/staging")
    apps = {app["application"]: app for app in data["applications"]}
    assert apps["lp-signing"]["num_units"] == 2
    assert apps["lp-signing"]["build_label"] is None
    assert "lp-signing:\n" in data["text"]  # the bundle as rendered for the stage


def test_set_revision_dry_run_prints_exactly_the_changed_line(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    path = spec / "bundle.yaml"
    before = path.read_bytes()
    status, out, err = run(
        capsys,
        "bundle",
        "set-revision",
        str(path),
        "lp-signing",
        "90",
        "--stage",
        "production",
        "--dry-run",
        "--force",
    )
    assert status == 0
    changes = [
        line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changes == ["-    revision: 87", "+    revision: 90"]
    assert "Dry run" in err
    assert "production" in err
    assert path.read_bytes() == before


def test_set_revision_writes_atomically_and_keeps_the_mode(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    path = spec / "bundle.yaml"
    path.chmod(0o640)
    before = path.read_text()
    status, _, err = run(
        capsys,
        "bundle",
        "set-revision",
        str(path),
        "lp-signing",
        "90",
        "--stage",
        "staging",
        "--force",
    )
    assert status == 0
    assert path.read_text() == before.replace("revision: 87", "revision: 90")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert "affecting stages: staging, devel, production" in err
    assert [p.name for p in spec.iterdir() if p.name.startswith(".")] == []


def test_set_option_build_label(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    path = spec / "bundle.yaml"
    label = "0" * 40
    status, out, _ = run(
        capsys,
        "bundle",
        "set-option",
        str(path),
        "lp-signing",
        "build_label",
        label,
        "--stage",
        "production",
    )
    assert status == 0
    assert f"+      build_label: '{label}'" in out
    status, out, _ = run(
        capsys, "bundle", "show", str(path), "--stage", "production", "--format", "json"
    )
    assert json.loads(out)["applications"][0] == {
        "application": "lp-signing",
        "charm": "lp-signing",
        "channel": "latest/edge",
        "revision": 87,
        "num_units": 2,
        "build_label": label,
    }


def test_set_option_keeps_the_type_of_a_number(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    path = spec / "bundle.yaml"
    status, out, _ = run(
        capsys,
        "bundle",
        "set-option",
        str(path),
        "lp-signing",
        "workers",
        "6",
        "--stage",
        "staging",
        "--dry-run",
    )
    assert status == 0
    assert "+      workers: 6" in out
    status, _, err = run(
        capsys,
        "bundle",
        "set-option",
        str(path),
        "lp-signing",
        "workers",
        "six",
        "--stage",
        "staging",
    )
    assert status == 2
    assert err == (
        "lpsigning-mojo: 'six' is not a whole number, and the option's current value is. "
        "Pass --type str to store it as text.\n"
    )


BAD_INPUTS = [
    ("not yaml", "applications: [\n", "YAML syntax error"),
    ("duplicate keys", "applications:\n  a: {charm: a}\n  a: {charm: b}\n", "duplicate key 'a'"),
    ("jinja syntax", "applications:\n  {% if %}\n", "Jinja2 syntax error"),
    (
        "undefined variable",
        "applications:\n  a: {charm: {{ nope }}}\n",
        "undefined template variable",
    ),
    ("unknown application", "applications:\n  b: {charm: b}\n", "no application 'a'"),
    (
        "value from an expression",
        "applications:\n  a: {charm: a, revision: {{ 3 }}}\n",
        "comes from a Jinja expression",
    ),
]


@pytest.mark.parametrize(("case", "text", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_sentence_exit_1_and_the_file_untouched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, text: str, message: str
) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text(text)
    status, out, err = run(
        capsys, "bundle", "set-revision", str(path), "a", "5", "--stage", "staging", "--force"
    )
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"lpsigning-mojo: {path}:")
    assert message in err
    assert "Traceback" not in err
    assert path.read_text() == text


def test_missing_file_and_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(
        capsys, "bundle", "show", str(tmp_path / "nope.yaml"), "--stage", "staging"
    )
    assert (status, err) == (
        1,
        f"lpsigning-mojo: {tmp_path / 'nope.yaml'}: no such file. Check the path.\n",
    )
    status, _, err = run(capsys, "bundle", "set-revision", str(tmp_path), "a", "1", "--stage", "x")
    assert status == 1
    assert "is a directory, not a file" in err


def test_unknown_stage_lists_the_stages(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    status, _, err = run(capsys, "bundle", "show", str(spec / "bundle.yaml"), "--stage", "prod")
    assert status == 2
    assert "no stage 'prod'" in err
    assert "production (lp-signing/production)" in err


def test_diff_against_a_git_revision(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = spec.parent.parent
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "spec"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    path = spec / "bundle.yaml"
    assert (
        main(
            [
                "bundle",
                "set-revision",
                str(path),
                "lp-signing",
                "91",
                "--stage",
                "staging",
                "--force",
            ]
        )
        == 0
    )
    capsys.readouterr()
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        status, out, _ = run(
            capsys,
            "bundle",
            "diff",
            "HEAD:spec/lp-signing/bundle.yaml",
            "spec/lp-signing/bundle.yaml",
            "--stage",
            "production",
        )
        assert status == 0
        assert "~ lp-signing revision: 87 -> 91" in out
        assert "Classification: release only (may be pushed without a merge proposal)." in out
        status, _, err = run(
            capsys,
            "bundle",
            "diff",
            "nope:bundle.yaml",
            "spec/lp-signing/bundle.yaml",
            "--stage",
            "production",
        )
        assert status == 1
        assert "cannot read bundle.yaml at git revision nope" in err
    finally:
        os.chdir(cwd)


def test_the_console_script_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lpsigning_mojo", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "bundle" in result.stdout


def test_set_revision_latest_asks_charmhub_for_the_bundles_channel_and_base(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: Any
) -> None:
    path = spec / "bundle.yaml"
    status, out, err = run(
        capsys,
        "bundle",
        "set-revision",
        str(path),
        "lp-signing",
        "--latest",
        "--stage",
        "staging",
        "--charmhub-url",
        charmhub_server.url,
    )
    assert status == 0
    # latest/edge for ubuntu@22.04 on amd64 holds 89 (24.04 holds 90, which must not be chosen).
    assert "Latest revision in latest/edge for ubuntu@22.04 on amd64: 89." in err
    assert "+    revision: 89" in out
    assert "revision: 89" in path.read_text()


def test_set_revision_refuses_a_revision_the_channel_does_not_hold(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: Any
) -> None:
    path = spec / "bundle.yaml"
    before = path.read_text()
    status, out, err = run(
        capsys,
        "bundle",
        "set-revision",
        str(path),
        "lp-signing",
        "84",
        "--stage",
        "staging",
        "--charmhub-url",
        charmhub_server.url,
    )
    assert status == 1
    assert out == ""
    assert (
        "revision 84 of lp-signing is not released to latest/edge for ubuntu@22.04 on amd64 "
        "(it holds 89 now)" in err
    )
    assert "--force" in err
    assert path.read_text() == before
    status, _, _ = run(
        capsys,
        "bundle",
        "set-revision",
        str(path),
        "lp-signing",
        "89",
        "--stage",
        "staging",
        "--charmhub-url",
        charmhub_server.url,
    )
    assert status == 0


def test_set_revision_needs_exactly_one_of_revision_and_latest(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    status, _, err = run(
        capsys,
        "bundle",
        "set-revision",
        str(spec / "bundle.yaml"),
        "lp-signing",
        "--stage",
        "staging",
    )
    assert status == 2
    assert "give either REVISION or --latest" in err


def test_unreachable_charmhub_is_one_sentence(
    capsys: pytest.CaptureFixture[str], spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    monkeypatch.setenv("CHARMHUB_URL", f"http://127.0.0.1:{port}")
    from lpsigning_mojo.commands import revisions

    monkeypatch.setattr(revisions, "charmhub_client", _fast_client)
    status, _, err = run(
        capsys,
        "bundle",
        "set-revision",
        str(spec / "bundle.yaml"),
        "lp-signing",
        "--latest",
        "--stage",
        "staging",
    )
    assert status == 1
    assert err.startswith("lpsigning-mojo: Cannot get http://127.0.0.1:")
    assert "Traceback" not in err


def _fast_client(url: str | None) -> Any:
    from lpsigning_mojo.external.charmhub import CharmhubClient
    from lpsigning_mojo.testing import FakeClock

    return CharmhubClient(url, retries=1, clock=FakeClock())


def test_a_template_outside_a_spec_uses_the_default_stages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "not-a-stage").mkdir()
    path = tmp_path / "bundle.yaml"
    path.write_text("applications:\n  a: {charm: a, channel: edge, revision: 1}\n")
    status, out, err = run(capsys, "bundle", "show", str(path), "--stage", "production")
    assert (status, err) == (0, "")
    assert out.splitlines()[2].split() == ["a", "a", "edge", "1", "-", "-"]


def test_setting_the_revision_already_pinned_asks_nobody(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    # No Charmhub is reachable here (the test guard refuses it): none is needed.
    path = spec / "bundle.yaml"
    status, out, err = run(
        capsys, "bundle", "set-revision", str(path), "lp-signing", "87", "--stage", "staging"
    )
    assert (status, out) == (0, "")
    assert "already set; nothing to do" in err


def test_diff_as_json(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    old = spec / "bundle.yaml"
    new = spec / "bundle-new.yaml"
    new.write_text(old.read_text().replace("revision: 87", "revision: 89"))
    status, out, _ = run(
        capsys, "bundle", "diff", str(old), str(new), "--stage", "staging", "--format", "json"
    )
    assert status == 0
    assert json.loads(out) == {
        "stage": "staging",
        "added": [],
        "removed": [],
        "changes": [{"application": "lp-signing", "field": "revision", "old": 87, "new": 89}],
        "classification": "release only",
        "release_only": True,
        "invalid_build_labels": [],
    }
