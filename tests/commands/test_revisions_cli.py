"""``lpsigning-mojo revisions``: Charmhub's channel map, marked with the stages' pins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo.cli import main
from tests.conftest import REPO_ROOT


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "spec" / "lp-signing"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", copy)
    bundle = copy / "bundle.yaml"
    bundle.write_text(bundle.read_text().replace("revision: 87", "revision: 89"))
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(copy))
    return copy


def test_the_table_marks_the_revision_each_stage_pins(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: Any
) -> None:
    assert main(["revisions", "--charmhub-url", charmhub_server.url]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["CHANNEL", "BASE", "ARCH", "REVISION", "VERSION", "RELEASED", "PINNED", "BY"]
    edge_jammy = next(r for r in rows if r[:2] == ["latest/edge", "ubuntu@22.04"])
    assert edge_jammy[3] == "89"
    assert edge_jammy[6:] == ["devel,", "production,", "staging"]
    stable = next(r for r in rows if r[0] == "latest/stable")
    assert stable[3] == "84"
    assert len(stable) == 6  # pinned by no stage
    assert [
        "production",
        "pins",
        "lp-signing",
        "at",
        "revision",
        "89",
        "from",
        "latest/edge.",
    ] in rows
    assert charmhub_server.requests[0]["path"] == "/v2/charms/info/lp-signing"
    assert charmhub_server.requests[0]["query"] == "fields=channel-map"


def test_filters_and_json(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: Any
) -> None:
    argv = [
        "revisions",
        "--charmhub-url",
        charmhub_server.url,
        "--channel",
        "edge",
        "--base",
        "jammy",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["channel"], r["base"], r["revision"]) for r in data["releases"]] == [
        ("latest/edge", "ubuntu@22.04", 89)
    ]
    assert data["releases"][0]["pinned_by"] == ["devel", "production", "staging"]
    assert {p["stage"]: p["revision"] for p in data["pins"]} == {
        "devel": 89,
        "production": 89,
        "staging": 89,
    }


def test_an_unknown_charm_is_one_sentence(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: Any
) -> None:
    assert main(["revisions", "nope", "--charmhub-url", charmhub_server.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lpsigning-mojo: Charmhub has no charm named 'nope'.")
    assert err.count("\n") == 1


def test_a_bad_channel_is_one_sentence(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: Any
) -> None:
    assert main(["revisions", "--charmhub-url", charmhub_server.url, "--channel", "a/b/c/d"]) == 1
    assert "is not of the form [TRACK/]RISK[/BRANCH]" in capsys.readouterr().err
    assert charmhub_server.requests == []  # refused before asking Charmhub
