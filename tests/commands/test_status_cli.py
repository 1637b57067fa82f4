"""``lpsigning-mojo status``: live state against the spec's pins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lpsigning_mojo.cli import main
from lpsigning_mojo.errors import ExitStatus
from lpsigning_mojo.testing.standins import data_json, data_text
from lpsigning_mojo.testing.standins.juju import FakeJujuBin
from tests.conftest import REPO_ROOT

MODEL = "stg-launchpad-signing"


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "spec" / "lp-signing"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", copy)
    monkeypatch.setenv("LPSIGNING_MOJO_SPEC", str(copy))
    return copy


def expect_staging(fake_juju: FakeJujuBin, status: object | None = None) -> None:
    for app in ("lp-signing", "nrpe"):
        body = json.dumps(status) if status is not None else data_text("juju-status-staging.json")
        fake_juju.expect("status", "--model", MODEL, app, "--format=json", stdout=body)
        config = (
            data_text("juju-config-lp-signing.json")
            if app == "lp-signing"
            else ('{"application": "nrpe", "charm": "nrpe", "settings": {}}')
        )
        fake_juju.expect("config", "--model", MODEL, app, "--format=json", stdout=config)


def test_production_shows_the_pins_and_exits_8_not_checkable(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    assert main(["status", "production"]) == ExitStatus.NOT_CHECKABLE == 8
    out, err = capsys.readouterr()
    assert "lp-signing: spec pins rev 87 from latest/edge, build_label 1f3c9a2b" in out
    assert "No drift" not in out
    assert err == (
        "lpsigning-mojo: nothing live was checked: live state of production is not available "
        "from here: its model is managed by IS and reachable only through its triggers; only "
        "the spec's pins are shown.\n"
    )


def test_production_as_json_claims_nothing_it_did_not_check(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    assert main(["status", "production", "--format", "json"]) == 8
    data = json.loads(capsys.readouterr().out)
    assert (data["live"], data["verdict"], data["ok"]) == (False, "not-checkable", None)


def test_staging_that_runs_what_the_spec_pins_exits_0(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    expect_staging(fake_juju)
    assert main(["status", "dogfood", "--source", "local"]) == 0
    out = capsys.readouterr().out
    assert "lp-signing: ok; runs rev 87 from latest/edge, build_label 1f3c9a2b" in out
    assert "nrpe: ok" in out  # a subordinate has no units of its own
    assert "No drift; every unit is healthy." in out


def test_drift_exits_7_and_names_the_field(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    bundle = spec / "bundle.yaml"
    bundle.write_text(bundle.read_text().replace("revision: 87", "revision: 89"))
    expect_staging(fake_juju)
    assert main(["status", "staging", "--source", "local", "--format", "json"]) == 7
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert (data["ok"], data["verdict"]) == (False, "drift")
    lp = next(a for a in data["applications"] if a["application"] == "lp-signing")
    assert lp["drift"] == [{"field": "revision", "pinned": 89, "running": 87}]
    assert err == (
        "lpsigning-mojo: staging does not run what the spec pins, or has unhealthy units "
        "(lp-signing).\n"
    )


def test_an_unhealthy_unit_exits_7(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    status = data_json("juju-status-staging.json")
    assert isinstance(status, dict)
    unit = status["applications"]["lp-signing"]["units"]["lp-signing/1"]
    unit["workload-status"] = {"current": "error", "message": "hook failed: config-changed"}
    expect_staging(fake_juju, status)
    assert main(["status", "staging", "--source", "local"]) == ExitStatus.DRIFT
    out = capsys.readouterr().out
    assert "lp-signing: UNHEALTHY" in out
    assert "problem: unit lp-signing/1 is error: hook failed: config-changed" in out


def test_a_check_that_fails_exits_1_not_drift(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    fake_juju.expect(
        "status", "--model", MODEL, "lp-signing", "--format=json",
        stderr="ERROR cannot connect to the controller\n", exit_status=1,
    )  # fmt: skip
    assert main(["status", "staging", "--source", "local"]) == ExitStatus.ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("lpsigning-mojo: juju status --model stg-launchpad-signing lp-signing")
    assert "ERROR cannot connect to the controller" in err


def test_escape_sequences_from_juju_are_shown_escaped(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    status = data_json("juju-status-staging.json")
    assert isinstance(status, dict)
    unit = status["applications"]["lp-signing"]["units"]["lp-signing/1"]
    unit["workload-status"] = {"current": "active", "message": "\x1b]0;pwned\x07\x1b[2Jready"}
    expect_staging(fake_juju, status)
    main(["status", "staging", "--source", "local"])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "(\\x1b]0;pwned\\x07\\x1b[2Jready)" in out


def test_an_unknown_instance_lists_the_names(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    assert main(["status", "prod"]) == 1
    err = capsys.readouterr().err
    assert "there is no instance called 'prod'" in err
    assert "staging, dogfood, production" in err


def test_auto_reads_a_local_juju_when_there_is_one(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    expect_staging(fake_juju)
    assert main(["status", "staging"]) == 0
    assert [call[:2] for call in fake_juju.calls()] == [
        ["status", "--model"],
        ["config", "--model"],
        ["status", "--model"],
        ["config", "--model"],
    ]
    assert capsys.readouterr().err == ""  # no progress: nothing slow happened


def test_the_library_gives_the_report_the_cli_prints(
    capsys: pytest.CaptureFixture[str], spec: Path, fake_juju: FakeJujuBin
) -> None:
    from lpsigning_mojo.bundle import Template, render_bundle
    from lpsigning_mojo.files import read_text
    from lpsigning_mojo.instances import load_instances
    from lpsigning_mojo.release.status import instance_status

    expect_staging(fake_juju)
    expect_staging(fake_juju)
    assert main(["status", "staging", "--source", "local", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    instances = load_instances(spec)
    staging = instances.get("staging")
    text = read_text(spec / "bundle.yaml")
    _, bundle = render_bundle(Template.from_text(text), staging.stage_name)
    report = instance_status(instances, staging, bundle, source="local")
    assert json.loads(json.dumps(report.to_json(), default=str)) == printed


def test_an_unknown_source_is_refused_by_the_library(spec: Path) -> None:
    from lpsigning_mojo.bundle import Bundle
    from lpsigning_mojo.errors import UsageError
    from lpsigning_mojo.instances import load_instances
    from lpsigning_mojo.release.status import instance_status

    instances = load_instances(spec)
    with pytest.raises(UsageError, match="no live-state source called 'carrier-pigeon'"):
        instance_status(instances, instances.get("staging"), Bundle(), source="carrier-pigeon")


def test_over_ssh_juju_runs_as_the_role_account_and_progress_goes_to_stderr(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    """The whole path of ``--source ssh``: ~/.ssh/config, the bastion, sudo, juju."""
    from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, Session, new_key

    sudo = f"sudo -n -iu stg-launchpad-signing -- juju {{}} --model {MODEL} {{}} --format=json"
    nrpe_config = '{"application": "nrpe", "charm": "nrpe", "settings": {}}'
    answers = {
        sudo.format("status", "lp-signing"): data_text("juju-status-staging.json"),
        sudo.format("config", "lp-signing"): data_text("juju-config-lp-signing.json"),
        sudo.format("status", "nrpe"): data_text("juju-status-staging.json"),
        sudo.format("config", "nrpe"): nrpe_config,
    }

    def handler(session: Session) -> None:
        if session.command not in answers:
            session.err(f"unexpected command: {session.command}\n")
            session.exit(127)
            return
        session.out(answers[session.command])
        session.exit(0)

    ssh = Path.home() / ".ssh"
    ssh.mkdir()
    user_key = new_key(ssh / "id_ed25519")
    with InProcessSSHServer(new_key(tmp_path / "host_key"), handler) as server:
        server.authorize(user_key)
        (ssh / "config").write_text(
            "Host launchpad-bastion-ps5.internal\n"
            f"  HostName 127.0.0.1\n  Port {server.port}\n  User developer\n"
        )
        host_key = server.host_key
        (ssh / "known_hosts").write_text(
            f"[127.0.0.1]:{server.port} {host_key.get_name()} {host_key.get_base64()}\n"
        )
        assert main(["status", "staging", "--source", "ssh"]) == 0
    assert server.errors == []
    assert sorted(server.commands) == sorted(answers)
    assert server.connections == 1  # one connection for all four commands
    out, err = capsys.readouterr()
    assert "lp-signing: ok; runs rev 87 from latest/edge" in out
    assert err == (
        "Reading staging's state as stg-launchpad-signing@launchpad-bastion-ps5.internal "
        "over SSH...\n"
    )


def test_the_cli_offers_exactly_the_library_s_sources(capsys: pytest.CaptureFixture[str]) -> None:
    from lpsigning_mojo.release.status import LIVE_SOURCES

    # The parser spells them out so that building it imports no release code.
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    assert "{" + ",".join(LIVE_SOURCES) + "}" in capsys.readouterr().out


def test_a_connection_lost_while_reading_is_could_not_check_exit_1(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    """Not 4 (outcome unknown): reading live state changes nothing, and nothing was checked."""
    from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, Session, new_key

    def handler(session: Session) -> None:
        session.out('{"applications": ')
        session.drop()

    ssh = Path.home() / ".ssh"
    ssh.mkdir()
    user_key = new_key(ssh / "id_ed25519")
    with InProcessSSHServer(new_key(tmp_path / "host_key"), handler) as server:
        server.authorize(user_key)
        (ssh / "config").write_text(
            "Host launchpad-bastion-ps5.internal\n"
            f"  HostName 127.0.0.1\n  Port {server.port}\n  User developer\n"
        )
        host_key = server.host_key
        (ssh / "known_hosts").write_text(
            f"[127.0.0.1]:{server.port} {host_key.get_name()} {host_key.get_base64()}\n"
        )
        status = main(["status", "staging", "--source", "ssh"])
    out, err = capsys.readouterr()
    assert status == ExitStatus.ERROR
    assert out == ""
    assert err.splitlines()[-1].startswith(
        "lpsigning-mojo: the live state of staging could not be read, so nothing was checked: "
        "the connection to developer@[127.0.0.1]:"
    )
    assert "Traceback" not in err
