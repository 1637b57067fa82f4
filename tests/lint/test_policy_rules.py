"""The release policy as bundle-lint reports it: each finding at its value, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpsigning_mojo.lint import LintConfig, lint_paths

COMMIT = "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"


def policy_findings(
    tmp_path: Path, text: str, stage: str = "production"
) -> list[tuple[str, str, int, int, str]]:
    path = tmp_path / "bundle.yaml"
    path.write_text(text)
    report = lint_paths([str(path)], stages=[stage], config=LintConfig())
    return [
        (f.code, f.severity, f.line, f.column, f.message)
        for f in report.findings
        if f.code.startswith("LSM2")
    ]


def test_a_revision_without_a_channel_and_a_charm_without_a_revision(tmp_path: Path) -> None:
    text = """\
applications:
  nrpe:
    charm: nrpe
    revision: 125
  telegraf:
    charm: ch:telegraf
    channel: latest/stable
  local:
    charm: ./charms/local
  ok:
    charm: ok
    channel: latest/stable
    revision: 3
"""
    assert policy_findings(tmp_path, text) == [
        ("LSM201", "error", 4, 15, "nrpe: revision 125 has no channel; Juju needs both"),
        ("LSM202", "error", 6, 12, "telegraf: Charmhub charm 'ch:telegraf' has no pinned revision"),
    ]
    # Outside production, an unpinned revision is a warning.
    assert policy_findings(tmp_path, text, stage="staging")[1][:2] == ("LSM202", "warning")


@pytest.mark.parametrize(
    "label",
    [
        COMMIT[:7],  # abbreviated
        COMMIT.upper(),  # not lower-case
        COMMIT + "6",  # 41 characters: the pattern is anchored at its end
        "x" + COMMIT,  # and at its start
        "main",
    ],
)
def test_production_refuses_a_build_label_that_is_not_a_full_commit_id(
    tmp_path: Path, label: str
) -> None:
    text = (
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        f"    revision: 87\n    options:\n      build_label: '{label}'\n"
    )
    assert policy_findings(tmp_path, text) == [
        (
            "LSM203",
            "error",
            7,
            20,
            f"lp-signing: build_label {label!r} is not a full 40-character lower-case commit id",
        )
    ]
    assert policy_findings(tmp_path, text, stage="staging") == []


def test_a_full_commit_id_is_a_good_build_label(tmp_path: Path) -> None:
    text = (
        "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
        f"    revision: 87\n    options:\n      build_label: {COMMIT}\n"
    )
    assert policy_findings(tmp_path, text) == []


def test_a_literal_secret_is_reported_and_references_are_not(tmp_path: Path) -> None:
    text = """\
applications:
  lp-signing:
    charm: lp-signing
    channel: latest/edge
    revision: 87
    options:
      db_password: hunter2
      api_key: include-file://key
      auth_token: include-base64://token
      private_key: ""
      secret_enabled: true
      access_key: {{ stage_name }}-key
      passenger_count: 3
"""
    path = tmp_path / "bundle.yaml"
    path.write_text(text)
    assert policy_findings(tmp_path, text) == [
        (
            "LSM204",
            "error",
            7,
            20,
            "lp-signing: option 'db_password' looks like a secret and has a literal value; "
            "secrets belong in the local= overlay",
        )
    ]
