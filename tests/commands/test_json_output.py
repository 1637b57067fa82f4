"""Every command's ``--format json`` has exactly the keys docs/reference/json.rst lists.

Each test runs a command with ``--format json`` and checks its output
against its section of the page (:func:`tests.json_schema.assert_documented`):
the keys at every level, their types, and the one vocabulary (``stage`` is
the short name, ``mojo_stage`` Mojo's; an object's own name is under the key
of its kind). Commands that need a bastion, a release or a git history are
checked where those are set up: :data:`CHECKED_ELSEWHERE` names the test
module, and a test here makes sure it does check.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from lpsigning_mojo.testing.standins.juju import FakeJujuBin
from tests.commands.test_status_cli import expect_staging
from tests.conftest import REPO_ROOT
from tests.json_schema import PAGE, assert_documented, sections

SHIPPED = REPO_ROOT / "spec" / "lp-signing"

#: The section of the page for each command with --format json (its path in the parser).
SECTIONS = {
    "bundle show": "json-bundle-show",
    "bundle set-revision": "json-bundle-set",
    "bundle set-channel": "json-bundle-set",
    "bundle set-option": "json-bundle-set",
    "bundle diff": "json-bundle-diff",
    "revisions": "json-revisions",
    "instances": "json-instances",
    "upgrade": "json-upgrade",
    "exec": "json-exec",
    "status": "json-status",
    "lint": "json-lint",
    "config": "json-config",
    "release staging": "json-release",
    "release production": "json-release",
    "runs": "json-runs",
    "runs list": "json-runs",
    "runs show": "json-runs-show",
    "logs": "json-logs",
    "spec plan": "json-spec-plan",
    "log": "json-log",
    "check-commit-msg": "json-check-commit-msg",
    "rehearse": "json-rehearse",
}

#: Sections checked by the tests that set up what the command needs.
CHECKED_ELSEWHERE = {
    "json-release": "tests/commands/test_release_cli.py",
    "json-release-dry-run": "tests/commands/test_release_cli.py",
    "json-release-file-bug": "tests/commands/test_release_cli.py",
    "json-runs-show": "tests/commands/test_release_cli.py",
    "json-upgrade": "tests/commands/test_exec_hostile_cli.py",
    "json-exec": "tests/commands/test_exec_hostile_cli.py",
    "json-rehearse": "tests/rehearsal/test_rehearse.py",
}


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "repo" / "spec" / "lp-signing"
    shutil.copytree(SHIPPED, copy)
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(copy))
    monkeypatch.chdir(tmp_path / "repo")
    return copy


def json_of(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 0) -> object:
    """The JSON ``lpsigning-mojo ARGV`` prints; it exits with ``status``."""
    assert cli.main(list(argv)) == status
    out = capsys.readouterr().out
    return json.loads(out)


# -- the page and the parser agree -------------------------------------------------------


def _commands(
    parser: argparse.ArgumentParser, path: str = ""
) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    if parser.get_default("handler") is not None:
        found[path] = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(_commands(child, f"{path} {name}".strip()))
    return found


def _formats(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    for action in parser._actions:
        if action.dest == "format":
            return tuple(action.choices or ())
    return ()


def test_every_command_but_help_and_completion_has_json_and_a_section() -> None:
    commands = _commands(cli.build_parser())
    with_json = {path for path, parser in commands.items() if "json" in _formats(parser)}
    assert set(commands) - with_json == {"help", "completion"}, (
        "every command takes --format json (lpsigning_mojo.commands._help.add_format)"
    )
    assert with_json == set(SECTIONS), (
        f"a command's JSON needs its section in {PAGE.name}, named in SECTIONS here"
    )
    assert set(SECTIONS.values()) <= set(sections())


def test_every_section_of_the_page_is_checked_against_real_output() -> None:
    commands = {label for label in sections() if not label.startswith("json-object-")}
    here = set(re.findall(r'assert_documented\(\s*"(json-[a-z-]+)"', Path(__file__).read_text()))
    assert commands == here | set(CHECKED_ELSEWHERE)
    assert not here & set(CHECKED_ELSEWHERE)
    for label, module in CHECKED_ELSEWHERE.items():
        assert f'assert_documented("{label}"' in (REPO_ROOT / module).read_text(), (
            f"{module} does not check {label} against {PAGE.name}"
        )


def test_help_and_completion_say_they_have_no_json(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("help", "completion"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        assert "so it has no --format json." in " ".join(capsys.readouterr().out.split())


def test_the_check_refuses_a_key_not_listed_a_missing_one_and_another_type() -> None:
    good = {
        "path": "m",
        "ok": False,
        "problems": [{"code": "c", "message": "m", "line": 1, "column": 1}],
    }
    assert_documented("json-check-commit-msg", good)
    for bad in (
        {**good, "stage": "staging"},
        {"path": "m", "ok": True},
        {**good, "ok": "yes"},
        {**good, "path": None},
        {**good, "problems": [{"code": "c", "message": "m", "line": True, "column": 1}]},
        {**good, "problems": [{"code": "c", "message": "m", "line": 1}]},
    ):
        with pytest.raises(AssertionError):
            assert_documented("json-check-commit-msg", bad)


# -- bundle ------------------------------------------------------------------------------


def test_bundle_show(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    bundle = str(spec / "bundle.yaml")
    data = json_of(capsys, "bundle", "show", bundle, "--stage", "production", "--format", "json")
    assert_documented("json-bundle-show", data)
    assert isinstance(data, dict)
    assert (data["stage"], data["mojo_stage"]) == ("production", "lp-signing/production")
    assert [app["application"] for app in data["applications"]] == ["lp-signing", "nrpe"]


def test_bundle_edits(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: CharmhubStandIn
) -> None:
    bundle = str(spec / "bundle.yaml")
    common = ("--stage", "staging", "--format", "json")
    latest = json_of(
        capsys, "bundle", "set-revision", bundle, "lp-signing", "--latest",
        "--charmhub-url", charmhub_server.url, "--dry-run", *common,
    )  # fmt: skip
    assert_documented("json-bundle-set", latest)
    assert isinstance(latest, dict)
    assert latest["chosen"] == {
        "application": "lp-signing",
        "revision": 89,
        "how": "latest",
        "source": {
            "charm": "lp-signing",
            "channel": "latest/edge",
            "base": "ubuntu@22.04",
            "architecture": "amd64",
        },
    }
    assert (latest["field"], latest["old"], latest["new"]) == ("revision", 87, 89)
    assert (latest["dry_run"], latest["written"], latest["changed"]) == (True, False, True)
    assert latest["diff"].startswith("--- a/")
    channel = json_of(
        capsys, "bundle", "set-channel", bundle, "lp-signing", "latest/beta", "--force", *common
    )
    assert_documented("json-bundle-set", channel)
    assert isinstance(channel, dict)
    assert (channel["dry_run"], channel["written"], channel["chosen"]) == (False, True, None)
    assert "channel: latest/beta" in (spec / "bundle.yaml").read_text()
    option = json_of(
        capsys, "bundle", "set-option", bundle, "lp-signing", "build_label", "abc", *common
    )
    assert_documented("json-bundle-set", option)
    assert isinstance(option, dict)
    assert (option["field"], option["old"], option["inserted"]) == (
        "options.build_label",
        None,
        True,
    )
    again = json_of(
        capsys, "bundle", "set-option", bundle, "lp-signing", "build_label", "abc", *common
    )
    assert_documented("json-bundle-set", again)
    assert isinstance(again, dict)
    assert (again["changed"], again["written"], again["diff"], again["stages"]) == (
        False,
        False,
        "",
        [],
    )


def test_bundle_diff(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    old = spec / "bundle.yaml"
    new = spec / "new.yaml"
    new.write_text(
        old.read_text()
        .replace("revision: 87", "revision: 89")
        .replace("1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345", "1f3c9a2")
    )
    data = json_of(
        capsys, "bundle", "diff", str(old), str(new), "--stage", "production", "--format", "json"
    )
    assert_documented("json-bundle-diff", data)
    assert isinstance(data, dict)
    assert (data["stage"], data["classification"]) == ("production", "other changes")
    assert data["invalid_build_labels"] == [
        {
            "application": "lp-signing",
            "field": "options.build_label",
            "old": "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345",
            "new": "1f3c9a2",
        }
    ]


# -- charm revisions and instances ---------------------------------------------------------


def test_revisions(
    capsys: pytest.CaptureFixture[str], spec: Path, charmhub_server: CharmhubStandIn
) -> None:
    data = json_of(capsys, "revisions", "--charmhub-url", charmhub_server.url, "--format", "json")
    assert_documented("json-revisions", data)
    assert isinstance(data, dict)
    assert {pin["stage"] for pin in data["pins"]} == {"devel", "production", "staging"}
    assert {(pin["application"], pin["revision"]) for pin in data["pins"]} == {("lp-signing", 87)}


def test_instances(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    data = json_of(capsys, "instances", "--format", "json")
    assert_documented("json-instances", data)
    assert isinstance(data, dict)
    staging = data["instances"][0]
    assert (staging["instance"], staging["stage"], staging["mojo_stage"]) == (
        "staging",
        "staging",
        "lp-signing/staging",
    )


@pytest.mark.parametrize(
    ("argv", "label"),
    [
        (["upgrade", "dogfood", "--dry-run"], "json-upgrade"),
        (["exec", "staging", "--dry-run", "--", "juju", "status"], "json-exec"),
    ],
)
def test_dry_runs_of_remote_commands(
    capsys: pytest.CaptureFixture[str], spec: Path, argv: list[str], label: str
) -> None:
    data = json_of(capsys, *argv[:2], "--format", "json", *argv[2:])
    assert_documented(label, data)
    assert isinstance(data, dict)
    assert (data["instance"], data["outcome"], data["dry_run"]) == ("staging", "not-run", True)
    assert data["account"] == "stg-launchpad-signing@launchpad-bastion-ps5.internal"


def test_status_live_and_not_checkable(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    expect_staging(fake_juju)
    live = json_of(capsys, "status", "staging", "--source", "local", "--format", "json")
    assert_documented("json-status", live)
    assert isinstance(live, dict)
    (app, _nrpe) = live["applications"]
    # The same keys for the same facts in what the spec pins and in what runs.
    shared = ("application", "charm", "channel", "revision")
    assert {key: app["pinned"][key] for key in shared} == {
        key: app["running"][key] for key in shared
    }
    # Staging's build_label is set on its bastion, not pinned: shown, never drift.
    assert (app["pinned"]["build_label"], app["drift"]) == (None, [])
    assert app["running"]["build_label"] == "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
    assert app["running"]["units"][0]["unit"] == "lp-signing/0"
    pins = json_of(capsys, "status", "production", "--format", "json", status=8)
    assert_documented("json-status", pins)
    assert isinstance(pins, dict)
    assert (pins["stage"], pins["mojo_stage"], pins["ok"]) == (
        "production",
        "lp-signing/production",
        None,
    )


# -- lint, config, logs, runs ---------------------------------------------------------------


def test_lint(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    shutil.copytree(
        REPO_ROOT / "tests" / "docs_fixtures" / "lint-findings", Path.cwd(), dirs_exist_ok=True
    )
    data = json_of(capsys, "lint", "--format", "json", status=1)
    assert_documented("json-lint", data)
    assert isinstance(data, dict)
    assert data["findings"]
    (scope,) = data["summary"]["specs"]
    assert scope["stages"] == ["devel", "production", "staging"]
    assert scope["mojo_stages"] == [f"lp-signing/{stage}" for stage in scope["stages"]]


def test_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert_documented("json-config", json_of(capsys, "config", "--format", "json"))


def test_logs_and_prune(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    logs = Path.home() / ".local" / "state" / "lpsigning-mojo" / "logs"
    logs.mkdir(parents=True)
    (logs / "upgrade-staging-staging-20261124T101500Z.log").write_text("# upgrade-staging\n")
    (logs / "upgrade-staging-staging-20261125T101500Z.log").write_text("# upgrade-staging\n")
    listed = json_of(capsys, "logs", "staging", "--format", "json")
    assert_documented("json-logs", listed)
    assert isinstance(listed, dict)
    assert listed["logs"][0]["started"] == "2026-11-24T10:15:00Z"
    pruned = json_of(capsys, "logs", "--prune", "--keep", "1", "--dry-run", "--format", "json")
    assert_documented("json-logs-prune", pruned)
    assert isinstance(pruned, dict)
    assert [log["file"] for log in pruned["removed"]] == [
        "upgrade-staging-staging-20261124T101500Z.log"
    ]


def test_runs_without_any(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["runs"], ["runs", "list"]):
        data = json_of(capsys, *argv, "--format", "json")
        assert_documented("json-runs", data)
        assert isinstance(data, dict)
        assert data["runs"] == []


# -- the spec: plan, history, commit messages -------------------------------------------------


def test_spec_plan(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    (spec / "manifest").write_text((spec / "manifest").read_text() + "no-such-phase\n")
    data = json_of(capsys, "spec", "plan", "--stage", "staging", "--format", "json", status=1)
    assert_documented("json-spec-plan", data)
    assert isinstance(data, dict)
    (plan,) = data["plans"]
    assert (plan["stage"], plan["mojo_stage"], data["failed"]) == (
        "staging",
        "lp-signing/staging",
        True,
    )
    assert plan["diagnostics"][0]["kind"] == "unknown-phase"


def test_log(capsys: pytest.CaptureFixture[str], spec: Path) -> None:
    def git(*argv: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=You", "-c", "user.email=you@example.com", *argv],
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "The spec")
    bundle = spec / "bundle.yaml"
    bundle.write_text(bundle.read_text().replace("revision: 87", "revision: 88"))
    git("commit", "-qam", "Upgrade lp-signing to revision 88\n\nLP: #2034567")
    data = json_of(capsys, "log", "--format", "json")
    assert_documented("json-log", data)
    assert isinstance(data, dict)
    newest, first = data["entries"]
    assert newest["bugs"] == [2034567]
    assert newest["stages"][0]["changes"][0]["field"] == "revision"
    assert first["stages"][0]["first"][0]["application"] == "lp-signing"


def test_check_commit_msg(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    message = tmp_path / "message"
    message.write_text("Upgrade lp-signing\nLP #12\n")
    data = json_of(capsys, "check-commit-msg", str(message), "--format", "json", status=1)
    assert_documented("json-check-commit-msg", data)
    assert isinstance(data, dict)
    assert [problem["code"] for problem in data["problems"]] == [
        "no-blank-line",
        "malformed-bug-line",
    ]
    message.write_text("Upgrade lp-signing\n\nLP: #12\n")
    clean = json_of(capsys, "check-commit-msg", str(message), "--format", "json")
    assert clean == {"path": str(message), "ok": True, "problems": []}
