"""Deployed state from the juju CLI (here and remote) and from python-libjuju."""

from __future__ import annotations

import copy
import importlib.util
import json
import shlex
import sys
from collections.abc import Callable
from typing import Any

import pytest

from lpsigning_mojo.errors import (
    ApplicationNotDeployedError,
    CommandTimeoutError,
    JujuCommandError,
    JujuError,
    JujuOutputError,
    LpsigningMojoError,
    MissingExtraError,
)
from lpsigning_mojo.external.juju import (
    DeployedState,
    JujuCli,
    JujuStatusSource,
    LibjujuSource,
    UnitState,
    deployed_state_from_cli,
    deployed_state_from_full_status,
)
from lpsigning_mojo.external.local import LocalRunner
from lpsigning_mojo.remote import RoleAccountRunner
from lpsigning_mojo.testing import FakeRunner
from lpsigning_mojo.testing.standins import data_json, data_text
from lpsigning_mojo.testing.standins.juju import FakeJujuBin

APP = "lp-signing"
MODEL = "stg-launchpad-signing"
HAVE_LIBJUJU = importlib.util.find_spec("juju") is not None
needs_libjuju = pytest.mark.skipif(
    not HAVE_LIBJUJU, reason="python-libjuju is not installed (pip install 'lpsigning-mojo[juju]')"
)

#: The staging model of the fixtures, as every source must report it.
STAGING = DeployedState(
    application=APP,
    charm_name="lp-signing",
    charm_rev=87,
    charm_channel="latest/edge",
    build_label="1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345",
    options={"build_label": "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345", "port": 8000, "workers": 2},
    application_status="active",
    application_message="Ready",
    units=(
        UnitState(
            name="lp-signing/0",
            workload_status="active",
            workload_message="Ready",
            agent_status="idle",
            leader=True,
        ),
        UnitState(
            name="lp-signing/1",
            workload_status="active",
            workload_message="Ready",
            agent_status="idle",
        ),
    ),
)


def status_argv(model: str | None = MODEL) -> list[str]:
    return ["status", *(["--model", model] if model else []), APP, "--format=json"]


def config_argv(model: str | None = MODEL) -> list[str]:
    return ["config", *(["--model", model] if model else []), APP, "--format=json"]


class FakeApplication:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    async def get_config(self) -> dict[str, Any]:
        return self.config


class FakeModel:
    """The part of ``juju.model.Model`` that LibjujuSource uses, answering from API data."""

    def __init__(self, api: Any, *, fail_connect: BaseException | None = None) -> None:
        from juju.client.client import ApplicationGetResults, FullStatus

        self.full_status = FullStatus.from_json(api["full-status"])
        got = ApplicationGetResults.from_json(api["application-get"])
        self.applications = {got.application: FakeApplication(got.config)}
        self.fail_connect = fail_connect
        self.log: list[tuple[str, object]] = []

    async def connect(self, **kwargs: object) -> None:
        self.log.append(("connect", kwargs))
        if self.fail_connect is not None:
            raise self.fail_connect

    async def get_status(self, filters: list[str] | None = None) -> Any:
        self.log.append(("get_status", filters))
        return self.full_status

    async def disconnect(self) -> None:
        self.log.append(("disconnect", None))


def local_source(fake_juju: FakeJujuBin) -> JujuStatusSource:
    fake_juju.expect(*status_argv(), stdout=data_text("juju-status-staging.json"))
    fake_juju.expect(*config_argv(), stdout=data_text("juju-config-lp-signing.json"))
    return JujuCli(model=MODEL, runner=LocalRunner())


def remote_source(fake_juju: FakeJujuBin) -> JujuStatusSource:
    """The juju CLI through any runner: the strict fake, answering from the fixtures."""
    runner = FakeRunner()
    runner.expect_run(
        f"juju status --model {MODEL} lp-signing --format=json",
        stdout=data_text("juju-status-staging.json"),
    )
    runner.expect_run(
        f"juju config --model {MODEL} lp-signing --format=json",
        stdout=data_text("juju-config-lp-signing.json"),
    )
    return JujuCli(model=MODEL, runner=runner)


def ssh_source(fake_juju: FakeJujuBin, request: pytest.FixtureRequest) -> JujuStatusSource:
    """The juju CLI run as the role account on a management environment, over real SSH."""
    from lpsigning_mojo.instances import ManagementEnvironment

    sudo = "sudo -n -iu stg-launchpad-signing --"
    answers = {
        f"{sudo} juju status --model {MODEL} lp-signing --format=json": "juju-status-staging.json",
        f"{sudo} juju config --model {MODEL} lp-signing --format=json": (
            "juju-config-lp-signing.json"
        ),
    }

    def handler(session: Any) -> None:
        name = answers.get(session.command)
        if name is None:
            session.err(f"unexpected command: {session.command}\n")
            session.exit(127)
            return
        session.out(data_text(name))
        session.exit(0)

    server = request.getfixturevalue("serve")(handler)
    runner = request.getfixturevalue("client").runner(server.port)
    request.addfinalizer(runner.close)
    environment = ManagementEnvironment(
        name="staging", bastion="srv", role="stg-launchpad-signing", developer_access=True
    )
    return JujuCli(model=MODEL, runner=RoleAccountRunner(runner, environment.command_line))


def libjuju_source(fake_juju: FakeJujuBin) -> JujuStatusSource:
    model = FakeModel(data_json("libjuju-api-staging.json"))
    return LibjujuSource(model=MODEL, model_factory=lambda: model)


@pytest.mark.parametrize(
    "make_source",
    [
        pytest.param(local_source, id="local-cli"),
        pytest.param(remote_source, id="remote-cli"),
        pytest.param(ssh_source, id="remote-ssh"),
        pytest.param(libjuju_source, id="libjuju", marks=needs_libjuju),
    ],
)
def test_every_source_gives_the_same_state(
    make_source: Callable[..., JujuStatusSource],
    fake_juju: FakeJujuBin,
    request: pytest.FixtureRequest,
) -> None:
    if make_source is ssh_source:
        source = make_source(fake_juju, request)
    else:
        source = make_source(fake_juju)
    state = source.deployed_state(APP)
    assert state == STAGING
    assert state.healthy
    assert state.problems == ()


# -- local mode -----------------------------------------------------------------------------


def test_local_mode_runs_juju_status_then_config(fake_juju: FakeJujuBin) -> None:
    local_source(fake_juju).deployed_state(APP)
    assert fake_juju.calls() == [status_argv(), config_argv()]


def test_without_a_model_juju_uses_its_current_model(fake_juju: FakeJujuBin) -> None:
    fake_juju.expect(*status_argv(None), stdout=data_text("juju-status-staging.json"))
    fake_juju.expect(*config_argv(None), stdout=data_text("juju-config-lp-signing.json"))
    assert JujuCli(runner=LocalRunner()).deployed_state(APP) == STAGING


def test_a_missing_application_is_a_clear_error(fake_juju: FakeJujuBin) -> None:
    fake_juju.expect(
        "status", "--model", MODEL, "nrpf", "--format=json", stdout='{"applications": {}}'
    )
    with pytest.raises(ApplicationNotDeployedError) as caught:
        JujuCli(model=MODEL, runner=LocalRunner()).deployed_state("nrpf")
    assert str(caught.value) == (
        "Application 'nrpf' is not deployed in model 'stg-launchpad-signing'. "
        "Check the application name and the model (juju models; juju status)."
    )
    assert len(fake_juju.calls()) == 1  # juju config is not asked


def test_a_failing_juju_reports_its_stderr(fake_juju: FakeJujuBin) -> None:
    fake_juju.expect(
        *status_argv(),
        stderr='ERROR model "admin/stg-launchpad-signing" not found\n',
        exit_status=1,
    )
    with pytest.raises(JujuCommandError) as caught:
        JujuCli(model=MODEL, runner=LocalRunner()).deployed_state(APP)
    assert str(caught.value) == (
        "juju status --model stg-launchpad-signing lp-signing --format=json failed with "
        'exit status 1: ERROR model "admin/stg-launchpad-signing" not found.'
    )
    assert caught.value.exit_status == 1
    assert caught.value.command.startswith("juju status")


def test_output_that_is_not_json_is_a_clear_error(fake_juju: FakeJujuBin) -> None:
    fake_juju.expect(*status_argv(), stdout="Model  Controller\nstg  ps5\n")
    with pytest.raises(JujuOutputError, match="printed something that is not JSON: 'Model"):
        JujuCli(model=MODEL, runner=LocalRunner()).deployed_state(APP)


def test_juju_not_installed_is_a_clear_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(JujuCommandError, match=r"exit status 127: .*juju: not found") as caught:
        JujuCli(runner=LocalRunner()).deployed_state(APP)
    assert caught.value.exit_status == 127
    assert caught.value.hint == "Is juju installed and logged in to the controller there?"


def test_a_juju_that_hangs_is_stopped(fake_juju: FakeJujuBin) -> None:
    script = fake_juju.directory / "juju"
    script.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n", encoding="utf-8")
    with pytest.raises(CommandTimeoutError, match=r"ran longer than its timeout of 0\.3 s"):
        JujuCli(runner=LocalRunner(), timeout=0.3).deployed_state(APP)


def test_juju_is_asked_with_its_timeout_through_any_runner() -> None:
    timeouts: list[object] = []

    class Recording(FakeRunner):
        def run(self, command: Any, **options: Any) -> Any:
            timeouts.append(options.get("timeout"))
            return super().run(command, **options)

    runner = Recording()
    runner.expect_run(["juju", *status_argv()], stdout='{"applications": {}}')
    with pytest.raises(ApplicationNotDeployedError):
        JujuCli(model=MODEL, runner=runner, timeout=7).deployed_state(APP)
    assert timeouts == [7]
    runner.verify()


# -- remote mode ----------------------------------------------------------------------------


def test_remote_mode_sends_one_quoted_command_line() -> None:
    runner = FakeRunner()
    runner.expect_run(
        "juju status --model 'admin/my model' lp-signing --format=json",
        stderr="bash: juju: command not found\n",
        exit_status=127,
    )
    source = JujuCli(model="admin/my model", runner=runner)
    with pytest.raises(JujuCommandError, match="command not found") as caught:
        source.deployed_state(APP)
    assert caught.value.hint == "Is juju installed and logged in to the controller there?"
    assert shlex.split(runner.calls[0][1]) == ["juju", *status_argv("admin/my model")]


def test_as_the_role_account_each_word_stays_one_word() -> None:
    from lpsigning_mojo.instances import ManagementEnvironment

    environment = ManagementEnvironment(
        name="staging", bastion="srv", role="stg-launchpad-signing", developer_access=True
    )
    runner = FakeRunner()
    runner.expect_run(
        "sudo -n -iu stg-launchpad-signing -- juju status --model 'a b' 'x;rm -rf /' --format=json",
        stdout='{"applications": {}}',
    )
    source = JujuCli(model="a b", runner=RoleAccountRunner(runner, environment.command_line))
    with pytest.raises(ApplicationNotDeployedError):
        source.deployed_state("x;rm -rf /")
    runner.verify()


def test_a_juju_killed_by_a_signal_is_a_clear_error() -> None:
    runner = FakeRunner()
    runner.expect_run(["juju", *status_argv()], stderr="Killed\n", exit_status=None)
    with pytest.raises(JujuCommandError) as caught:
        JujuCli(model=MODEL, runner=runner).deployed_state(APP)
    assert str(caught.value) == (
        f"juju status --model {MODEL} lp-signing --format=json ended without an exit status: "
        "Killed."
    )
    assert caught.value.exit_status is None


# -- mapping bad or unhealthy data ----------------------------------------------------------


def cli_status() -> dict[str, Any]:
    data = data_json("juju-status-staging.json")
    assert isinstance(data, dict)
    return data


CLI_CONFIG = data_json("juju-config-lp-signing.json")


def test_units_in_error_give_a_clearly_unhealthy_state() -> None:
    status = cli_status()
    app = status["applications"][APP]
    app["application-status"] = {"current": "error", "message": 'hook failed: "install"'}
    app["units"]["lp-signing/1"]["workload-status"] = {
        "current": "error",
        "message": 'hook failed: "install"',
    }
    app["units"]["lp-signing/1"]["juju-status"] = {"current": "lost"}
    state = deployed_state_from_cli(APP, status, CLI_CONFIG)
    assert not state.healthy
    assert state.problems == (
        'application lp-signing is error: hook failed: "install"',
        'unit lp-signing/1 is error: hook failed: "install"',
        "the agent of unit lp-signing/1 is lost",
    )


def test_an_application_without_units_is_unhealthy() -> None:
    status = cli_status()
    del status["applications"][APP]["units"]
    state = deployed_state_from_cli(APP, status, CLI_CONFIG)
    assert state.units == ()
    assert state.problems == ("application lp-signing has no units",)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ([], "no 'applications' mapping"),
        ({"applications": {APP: "weird"}}, "application 'lp-signing' as 'weird'"),
        ({"applications": {APP: {"units": ["lp-signing/0"]}}}, "the units of 'lp-signing'"),
        ({"applications": {APP: {"units": {"lp-signing/0": 3}}}}, "unit 'lp-signing/0' as 3"),
    ],
)
def test_status_of_the_wrong_shape_is_a_clear_error(status: object, message: str) -> None:
    with pytest.raises(JujuOutputError, match=message):
        deployed_state_from_cli(APP, status, CLI_CONFIG)


def test_units_are_sorted_by_number_and_an_empty_build_label_is_none() -> None:
    status = cli_status()
    units = status["applications"][APP]["units"]
    units["lp-signing/10"] = copy.deepcopy(units["lp-signing/1"])
    config = copy.deepcopy(CLI_CONFIG)
    assert isinstance(config, dict)
    config["settings"]["build_label"]["value"] = ""
    state = deployed_state_from_cli(APP, status, config)
    assert [unit.name for unit in state.units] == ["lp-signing/0", "lp-signing/1", "lp-signing/10"]
    assert state.build_label is None
    assert state.options["build_label"] == ""


def test_to_json_is_json() -> None:
    data = STAGING.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["healthy"] is True
    assert data["units"][0] == {  # type: ignore[index]
        "unit": "lp-signing/0",
        "workload_status": "active",
        "workload_message": "Ready",
        "agent_status": "idle",
        "leader": True,
    }


def test_every_juju_error_is_a_project_error() -> None:
    for error in (JujuCommandError, JujuOutputError, ApplicationNotDeployedError):
        assert issubclass(error, JujuError)
        assert issubclass(error, LpsigningMojoError)


# -- python-libjuju -------------------------------------------------------------------------


def api_data() -> Any:
    return data_json("libjuju-api-staging.json")


@needs_libjuju
def test_libjuju_mode_connects_reads_and_disconnects() -> None:
    model = FakeModel(api_data())
    LibjujuSource(model=MODEL, model_factory=lambda: model).deployed_state(APP)
    assert model.log == [
        ("connect", {"model_name": MODEL}),
        ("get_status", [APP]),
        ("disconnect", None),
    ]
    model.log.clear()
    LibjujuSource(model_factory=lambda: model).deployed_state(APP)
    assert model.log[0] == ("connect", {})


@needs_libjuju
def test_libjuju_mode_reports_a_missing_application() -> None:
    model = FakeModel(api_data())
    with pytest.raises(ApplicationNotDeployedError, match="'nrpf' is not deployed"):
        LibjujuSource(model=MODEL, model_factory=lambda: model).deployed_state("nrpf")
    assert model.log[-1] == ("disconnect", None)


@needs_libjuju
@pytest.mark.parametrize("failure", ["os", "juju"])
def test_libjuju_mode_reports_connection_failures(failure: str) -> None:
    from juju.errors import JujuConnectionError

    error = OSError("Connection refused") if failure == "os" else JujuConnectionError("no api")
    model = FakeModel(api_data(), fail_connect=error)
    with pytest.raises(JujuError, match="python-libjuju could not read 'lp-signing' in model"):
        LibjujuSource(model=MODEL, model_factory=lambda: model).deployed_state(APP)
    assert model.log[-1] == ("disconnect", None)


@needs_libjuju
def test_libjuju_mapping_reads_the_api_schema() -> None:
    from juju.client.client import FullStatus

    data = api_data()
    app = data["full-status"]["applications"][APP]
    app["charm"] = "ch:amd64/lp-signing-91"  # Juju 3.4+: no series in the URL
    app["units"]["lp-signing/0"]["workload-status"]["status"] = "blocked"
    app["units"]["lp-signing/0"]["workload-status"]["info"] = "missing relation"
    state = deployed_state_from_full_status(
        APP, FullStatus.from_json(data["full-status"]), data["application-get"]["config"]
    )
    assert (state.charm_name, state.charm_rev) == ("lp-signing", 91)
    assert state.problems == ("unit lp-signing/0 is blocked: missing relation",)


def test_libjuju_mapping_rejects_a_status_without_applications() -> None:
    with pytest.raises(JujuOutputError, match="without applications"):
        deployed_state_from_full_status(APP, object(), {})


def test_without_the_extra_libjuju_mode_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("juju", "juju.model", "juju.errors"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtraError) as caught:
        LibjujuSource()
    assert str(caught.value) == (
        "Reading Juju state in-process needs python-libjuju, which is not installed. "
        "Install it with: pip install 'lpsigning-mojo[juju]'."
    )
