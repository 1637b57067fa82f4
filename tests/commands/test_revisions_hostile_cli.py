"""``lpsigning-mojo revisions`` against a hostile Charmhub: one sentence, exit 1, text escaped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lpsigning_mojo.cli import main
from lpsigning_mojo.clock import SystemClock
from lpsigning_mojo.testing.standins import data_json
from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from tests.conftest import REPO_ROOT


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "spec" / "lp-signing"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", copy)
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(copy))
    return copy


def test_deeply_nested_json_is_one_sentence_and_exit_1(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: CharmhubStandIn
) -> None:
    charmhub_server.inject("deep-json")
    assert main(["revisions", "--charmhub-url", charmhub_server.url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"lpsigning-mojo: Charmhub answered {charmhub_server.url}/v2/charms/info/lp-signing"
        "?fields=channel-map with HTTP 200 and JSON nested more than 100 levels deep.\n"
    )


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999"])
def test_a_charmhub_url_that_does_not_parse_is_one_sentence_and_exit_1(
    capsys: pytest.CaptureFixture[str], spec: Path, url: str
) -> None:
    assert main(["revisions", "--charmhub-url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"lpsigning-mojo: Charmhub URL {url!r} is not usable: ")
    assert err.count("\n") == 1


def test_retries_are_said_on_stderr(
    capsys: pytest.CaptureFixture[str],
    spec: Path,
    charmhub_server: CharmhubStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(SystemClock, "sleep", lambda self, seconds: slept.append(seconds))
    charmhub_server.inject("500")
    assert main(["revisions", "--charmhub-url", charmhub_server.url]) == 0
    assert slept == [1.0]
    out, err = capsys.readouterr()
    assert err == ("Asking Charmhub again in 1 s (attempt 2 of 4): Charmhub answered HTTP 500.\n")
    assert "latest/edge" in out


def test_escape_sequences_in_charmhub_fields_are_shown_escaped(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    data = data_json("charmhub-info-lp-signing.json")
    assert isinstance(data, dict)
    data["channel-map"][0]["revision"]["version"] = "89\x1b]0;owned\x07\x1b[2J"
    with CharmhubStandIn(info=json.dumps(data).encode()) as server:
        assert main(["revisions", "--charmhub-url", server.url]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "89\\x1b]0;owned\\x07\\x1b[2J" in out


def test_an_error_list_with_escape_sequences_is_shown_escaped(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    body = {"error-list": [{"code": "x", "message": "\x1b[31mred\x1b[0m"}]}
    with CharmhubStandIn(info=json.dumps(body).encode()) as server:
        assert main(["revisions", "--charmhub-url", server.url]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\\x1b[31mred\\x1b[0m (x)" in err
