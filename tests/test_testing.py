"""The strict fakes in lpsigning_mojo.testing are strict."""

from __future__ import annotations

import pytest

from lpsigning_mojo.charms import Base, Release
from lpsigning_mojo.errors import ApplicationNotDeployedError, CharmNotFoundError
from lpsigning_mojo.external.charmhub import Charmhub
from lpsigning_mojo.external.juju import DeployedState, JujuStatusSource
from lpsigning_mojo.remote import CommandRunner, OutputLine
from lpsigning_mojo.testing import (
    FakeCharmhub,
    FakeClock,
    FakeJujuStatusSource,
    FakeRunner,
    UnexpectedCallError,
)

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


def test_fakes_satisfy_the_protocols() -> None:
    hub: Charmhub = FakeCharmhub()
    source: JujuStatusSource = FakeJujuStatusSource()
    runner: CommandRunner = FakeRunner()
    assert hub is not None
    assert source is not None
    assert runner is not None


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
        "FakeCharmhub.channel_map('nrpe') was not expected; still expected: 'lp-signing'"
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
        "still expected: 'juju config', 'juju status'"
    )
    with pytest.raises(TimeoutError, match="too slow"):
        runner.run("juju status")
    with pytest.raises(UnexpectedCallError, match=r"never came: run\('juju config'\)"):
        runner.verify()
