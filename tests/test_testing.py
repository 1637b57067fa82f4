"""The strict fakes in lpsigning_mojo.testing are strict."""

from __future__ import annotations

import inspect
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lpsigning_mojo.charms import Base, Release
from lpsigning_mojo.errors import ApplicationNotDeployedError, CharmNotFoundError
from lpsigning_mojo.external.charmhub import Charmhub, CharmhubClient
from lpsigning_mojo.external.juju import DeployedState, JujuStatusSource
from lpsigning_mojo.external.local import LocalRunner
from lpsigning_mojo.external.ssh import SSHRunner
from lpsigning_mojo.remote import CommandRunner, OutputLine
from lpsigning_mojo.testing import (
    FakeCharmhub,
    FakeClock,
    FakeJujuStatusSource,
    FakeRunner,
    UnexpectedCallError,
)
from lpsigning_mojo.testing.standins import data_json
from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from lpsigning_mojo.testing.standins.juju import FakeJujuBin

RELEASE = Release(
    track="latest",
    risk="edge",
    channel="latest/edge",
    base=Base(name="ubuntu", channel="22.04", architecture="amd64"),
    revision=89,
    version="89",
)
STATE = DeployedState(
    application="lp-signing",
    charm_name="lp-signing",
    charm_rev=87,
    charm_channel="latest/edge",
    build_label=None,
    application_status="active",
)


def _members(protocol: type) -> dict[str, inspect.Signature]:
    """The methods a Protocol declares, with their signatures."""
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("fake", "protocol", "real"),
    [
        (FakeCharmhub, Charmhub, CharmhubClient),
        (FakeJujuStatusSource, JujuStatusSource, None),
        (FakeRunner, CommandRunner, LocalRunner),
    ],
)
def test_fakes_offer_every_method_of_their_protocol_with_the_same_signature(
    fake: type, protocol: type, real: type | None
) -> None:
    # mypy checks the fakes against the Protocols statically; this checks what runs.
    declared = _members(protocol)
    assert declared, f"{protocol.__name__} declares no methods"
    for name, signature in declared.items():
        for implementation in (fake, real):
            if implementation is None:
                continue
            method = getattr(implementation, name, None)
            assert callable(method), f"{implementation.__name__} has no {name}()"
            assert inspect.signature(method).parameters.keys() == signature.parameters.keys(), (
                f"{implementation.__name__}.{name} takes other arguments than "
                f"{protocol.__name__}.{name}"
            )


def test_fake_charmhub_answers_what_it_expects_and_records_calls() -> None:
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", [RELEASE])
    hub.expect_channel_map("lp-signing", error=CharmNotFoundError("lp-signing"))
    assert hub.channel_map("lp-signing") == (RELEASE,)
    with pytest.raises(CharmNotFoundError):
        hub.channel_map("lp-signing")
    assert hub.calls == [("channel_map", "lp-signing"), ("channel_map", "lp-signing")]
    hub.verify()


def test_fake_charmhub_fails_on_an_unexpected_call() -> None:
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", [RELEASE])
    with pytest.raises(UnexpectedCallError) as caught:
        hub.channel_map("nrpe")
    assert str(caught.value) == (
        "FakeCharmhub.channel_map('nrpe') was not expected; "
        "still expected: channel_map('lp-signing')"
    )
    assert hub.calls == [("channel_map", "nrpe")]


def test_fake_charmhub_answers_each_expectation_once() -> None:
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", [RELEASE])
    hub.channel_map("lp-signing")
    with pytest.raises(UnexpectedCallError, match="still expected: nothing"):
        hub.channel_map("lp-signing")


def test_fake_charmhub_verify_fails_on_a_call_that_never_came() -> None:
    hub = FakeCharmhub()
    hub.expect_channel_map("lp-signing", [RELEASE])
    with pytest.raises(UnexpectedCallError, match=r"never came: channel_map\('lp-signing'\)"):
        hub.verify()


def test_fake_juju_status_source_is_strict() -> None:
    source = FakeJujuStatusSource()
    source.expect_deployed_state("lp-signing", STATE)
    source.expect_deployed_state("nrpf", error=ApplicationNotDeployedError("nrpf"))
    assert source.deployed_state("lp-signing") is STATE
    with pytest.raises(ApplicationNotDeployedError):
        source.deployed_state("nrpf")
    with pytest.raises(UnexpectedCallError, match=r"deployed_state\('lp-signing'\) was not"):
        source.deployed_state("lp-signing")
    source.verify()
    assert [key for _, key in source.calls] == ["lp-signing", "nrpf", "lp-signing"]


def test_fake_juju_status_source_needs_a_state_or_an_error() -> None:
    source = FakeJujuStatusSource()
    with pytest.raises(TypeError, match="exactly one"):
        source.expect_deployed_state("lp-signing")
    with pytest.raises(TypeError, match="exactly one"):
        source.expect_deployed_state("lp-signing", STATE, error=RuntimeError())
    source.expect_deployed_state("lp-signing", STATE)
    with pytest.raises(UnexpectedCallError, match="never came"):
        source.verify()


def test_fake_clock_advances_without_sleeping() -> None:
    clock = FakeClock(start=100.0)
    clock.sleep(2.5)
    clock.sleep(0)
    assert clock.monotonic() == 102.5
    assert clock.sleeps == [2.5, 0]
    with pytest.raises(UnexpectedCallError, match="negative"):
        clock.sleep(-1)


def test_fake_runner_answers_the_exact_command_line_and_streams_the_answer() -> None:
    runner = FakeRunner(host="bastion")
    runner.expect_run(["juju", "status", "--model", "a b"], stdout="one\ntwo\n", stderr="warn\n")
    runner.expect_run("upgrade-staging", exit_status=3)
    lines: list[OutputLine] = []
    result = runner.run("juju status --model 'a b'", on_line=lines.append)
    assert result.command == "juju status --model 'a b'"
    assert result.host == "bastion"
    assert (result.exit_status, result.stdout, result.stderr) == (0, "one\ntwo\n", "warn\n")
    assert [line.text for line in lines] == ["one", "two", "warn"]
    assert lines == list(result.output)
    assert runner.run(["upgrade-staging"], timeout=5, pty=True).exit_status == 3
    assert runner.calls == [("run", "juju status --model 'a b'"), ("run", "upgrade-staging")]
    runner.verify()


def test_fake_runner_is_strict() -> None:
    runner = FakeRunner()
    runner.expect_run("juju status", error=TimeoutError("too slow"))
    runner.expect_run("juju config")
    with pytest.raises(UnexpectedCallError) as caught:
        runner.run(["juju", "status", "x"])
    assert str(caught.value) == (
        "FakeRunner.run('juju status x') was not expected; "
        "still expected: run('juju config'), run('juju status')"
    )
    with pytest.raises(TimeoutError, match="too slow"):
        runner.run("juju status")
    with pytest.raises(UnexpectedCallError, match=r"never came: run\('juju config'\)"):
        runner.verify()


# -- the loopback stand-ins ---------------------------------------------------------------


def test_the_testing_package_and_its_stand_ins_import_no_test_framework() -> None:
    code = (
        "import sys\n"
        "import lpsigning_mojo.testing, lpsigning_mojo.testing.standins\n"
        "light = 'paramiko' not in sys.modules\n"
        "import lpsigning_mojo.testing.standins.charmhub, lpsigning_mojo.testing.standins.juju\n"
        "import lpsigning_mojo.testing.standins.ssh, lpsigning_mojo.testing.standins.openssh\n"
        "print(light, sorted(m for m in ('pytest', 'hypothesis', '_pytest') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == "True []"


def test_the_stand_ins_serve_the_package_data() -> None:
    data = data_json("charmhub-info-lp-signing.json")
    assert isinstance(data, dict)
    with CharmhubStandIn() as standin:
        releases = CharmhubClient(standin.url, retries=0).channel_map("lp-signing")
    assert len(releases) == len(data["channel-map"]) == 4
    with pytest.raises(RuntimeError, match="not started"):
        standin.url  # noqa: B018
    status = data_json("juju-status-staging.json")
    assert isinstance(status, dict)
    assert set(status["applications"]) >= {"lp-signing"}


def test_the_charmhub_stand_in_refuses_a_fault_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="unknown faults \\['teapot'\\]"):
        CharmhubStandIn().inject("500", "teapot")


def test_the_fake_juju_executable_answers_what_it_expects_and_logs_every_call(
    tmp_path: Path,
) -> None:
    juju = FakeJujuBin(tmp_path / "bin")
    juju.expect("version", stdout="3.6.1\n")
    with juju:
        juju.expect("status", stderr="ERROR no controller\n", exit_status=1)
        runner = LocalRunner()
        assert runner.run([str(juju.path), "version"]).stdout == "3.6.1\n"
        failed = runner.run([str(juju.path), "status"])
        assert (failed.exit_status, failed.stderr) == (1, "ERROR no controller\n")
        unexpected = runner.run([str(juju.path), "deploy", "x"])
        assert unexpected.exit_status == 2
        assert "unexpected arguments: ['deploy', 'x']" in unexpected.stderr
        assert juju.calls() == [["version"], ["status"], ["deploy", "x"]]
    assert not juju.path.exists()
    assert juju.calls() == []


def test_the_in_process_ssh_server_serves_until_closed(tmp_path: Path) -> None:
    from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, Session, new_key

    def handler(session: Session) -> None:
        session.out(f"ran {session.command}\n")
        session.exit(0)

    (tmp_path / "ssh").mkdir()
    user_key = new_key(tmp_path / "ssh" / "id")
    with InProcessSSHServer(new_key(tmp_path / "host"), handler) as server:
        server.authorize(user_key)
        (tmp_path / "ssh" / "config").write_text(
            f"Host srv\n  HostName 127.0.0.1\n  Port {server.port}\n  User me\n"
            f"  IdentityFile {tmp_path / 'ssh' / 'id'}\n"
        )
        key = server.host_key
        (tmp_path / "ssh" / "known_hosts").write_text(
            f"[127.0.0.1]:{server.port} {key.get_name()} {key.get_base64()}\n"
        )
        with SSHRunner(
            "srv",
            config_files=[tmp_path / "ssh" / "config"],
            known_hosts_files=[str(tmp_path / "ssh" / "known_hosts")],
            allow_agent=False,
            connect_attempts=1,
        ) as runner:
            assert runner.run(["echo", "hi"]).stdout == "ran echo hi\n"
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", server.port))
