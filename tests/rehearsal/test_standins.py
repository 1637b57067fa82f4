"""The rehearsal's stand-ins: the juju of a model's state, Mojo, the bastion's role accounts.

Each is checked through the interface the real system offers: ``juju
status``/``juju config`` JSON read by the project's own parser, ``mojo run``
started as a program with Mojo's environment, and the bastion reached over
SSH with the project's SSH client, as the release reaches it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from lpsigning_mojo.bundle import Template, render_bundle
from lpsigning_mojo.errors import OutcomeUnknown
from lpsigning_mojo.external.juju.state import deployed_state_from_cli
from lpsigning_mojo.external.ssh import SSHRunner
from lpsigning_mojo.instances import sudo_safe_argv
from lpsigning_mojo.release.status import compare
from lpsigning_mojo.testing.standins import descendants, process_alive
from lpsigning_mojo.testing.standins import juju as juju_standin
from lpsigning_mojo.testing.standins.bastion import Bastion, Drop, Refused, Trigger, login
from lpsigning_mojo.testing.standins.deployable import DeployableStandIn
from lpsigning_mojo.testing.standins.juju import JujuModels
from lpsigning_mojo.testing.standins.lpsigning import LpSigningStandIn
from lpsigning_mojo.testing.standins.ssh import InProcessSSHServer, new_key
from tests.conftest import REPO_ROOT

ROLE = "stg-launchpad-signing"
MODEL = "stg-launchpad-signing"
LABEL = "0123456789abcdef0123456789abcdef01234567"


def _bundle(stage: str) -> object:
    text = (REPO_ROOT / "spec" / "lp-signing" / "bundle.yaml").read_text()
    return render_bundle(Template.from_text(text), stage)[1]


def _juju(models: JujuModels, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = juju_standin.main(list(argv), {"JUJU_DATA": str(models.directory)})
    return status, out.getvalue(), err.getvalue()


# -- juju ---------------------------------------------------------------------------------


def test_juju_answers_from_the_model_state_in_the_json_juju_prints(tmp_path: Path) -> None:
    models = JujuModels(tmp_path / "juju")
    models.create(MODEL, controller="ps5", cloud="ps5")
    bundle = _bundle("production")
    models.deploy(MODEL, bundle)  # type: ignore[arg-type]

    status, out, _ = _juju(models, "status", "--model", MODEL, "lp-signing", "--format=json")
    _, config, _ = _juju(models, "config", "--model", MODEL, "lp-signing", "--format=json")

    assert status == 0
    state = deployed_state_from_cli("lp-signing", json.loads(out), json.loads(config))
    assert (state.charm_rev, state.charm_channel) == (87, "latest/edge")
    assert state.build_label == "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
    assert [unit.name for unit in state.units] == ["lp-signing/0", "lp-signing/1"]
    assert state.healthy
    # The subordinate's units sit under its principal's, as in juju's own output.
    unit = json.loads(out)["applications"]["lp-signing"]["units"]["lp-signing/1"]
    assert set(unit["subordinates"]) == {"nrpe/1"}

    class Source:
        def deployed_state(self, application: str) -> object:
            _, found, _ = _juju(models, "status", "-m", MODEL, application, "--format", "json")
            _, settings, _ = _juju(models, "config", "-m", MODEL, application, "--format=json")
            return deployed_state_from_cli(application, json.loads(found), json.loads(settings))

    report = compare("production", "lp-signing/production", bundle, Source())  # type: ignore[arg-type]
    assert report.verdict == "ok"


def test_juju_keeps_options_a_redeployed_bundle_leaves_out_and_reports_ill_health(
    tmp_path: Path,
) -> None:
    models = JujuModels(tmp_path / "juju")
    models.create(MODEL, controller="ps5", cloud="ps5")
    models.deploy(MODEL, _bundle("staging"))  # type: ignore[arg-type]
    state = models.load(MODEL)
    state["applications"]["lp-signing"]["options"]["build_label"] = LABEL
    models.save(MODEL, state)
    models.deploy(MODEL, _bundle("staging"))  # type: ignore[arg-type]
    models.set_health(MODEL, "lp-signing", workload="error", message="hook failed: install")

    _, out, _ = _juju(models, "status", "--model", MODEL, "lp-signing", "--format=json")
    _, config, _ = _juju(models, "config", "--model", MODEL, "lp-signing", "--format=json")

    state_now = deployed_state_from_cli("lp-signing", json.loads(out), json.loads(config))
    assert state_now.build_label == LABEL
    assert "unit lp-signing/0 is error: hook failed: install" in state_now.problems
    assert models.load(MODEL)["deployments"] == 2


def test_juju_fails_as_juju_does_on_what_it_cannot_answer(tmp_path: Path) -> None:
    models = JujuModels(tmp_path / "juju")
    models.create(MODEL, controller="ps5", cloud="ps5")

    assert _juju(models, "config", "--model", MODEL, "nope", "--format=json")[0] == 1
    assert _juju(models, "status", "--model", "other", "--format=json")[2] == (
        "ERROR model 'other' not found\n"
    )
    status, _, err = _juju(models, "deploy", "bundle.yaml")
    assert (status, err) == (
        2,
        "ERROR the juju of this rehearsal answers 'status' and 'config', not 'deploy'\n",
    )
    assert _juju(models, "status", "--format=json")[2] == (
        "ERROR no current model (use --model or JUJU_MODEL)\n"
    )


# -- the bastion's role accounts ---------------------------------------------------------


def test_login_runs_what_sudo_i_runs_and_refuses_anything_else(tmp_path: Path) -> None:
    bastion = Bastion(tmp_path / "bastion")
    account = bastion.add_account(ROLE, host="bastion.internal")

    found, argv = login(f"sudo -n -iu {ROLE} -- upgrade-staging", bastion.accounts)
    assert (found, argv) == (account, ["/bin/sh", "-c", "upgrade-staging"])
    with pytest.raises(Refused) as not_sudo:
        login("upgrade-staging", bastion.accounts)
    assert not_sudo.value.status == 126
    with pytest.raises(Refused, match="sudo: unknown user prod") as unknown:
        login("sudo -n -iu prod -- upgrade-production", bastion.accounts)
    assert unknown.value.status == 1


@pytest.mark.parametrize(
    "argv",
    [["printf", "%s|", "two words", "$HOME", "", "new\nline"], ["echo", "plain"]],
    ids=["hostile", "plain"],
)
def test_every_argv_reaches_the_role_account_intact(tmp_path: Path, argv: list[str]) -> None:
    """What the release sends (``sudo_safe_argv``) survives the bastion's ``sudo -i``."""
    bastion = Bastion(tmp_path / "bastion")
    bastion.add_account(ROLE, host="bastion.internal")
    line = " ".join(["sudo", "-n", "-iu", ROLE, "--", *map(_quote, sudo_safe_argv(argv))])
    account, shell = login(line, bastion.accounts)

    done = subprocess.run(shell, env=account.environ(), cwd=account.home, capture_output=True)

    expected = subprocess.run(argv, capture_output=True).stdout
    assert (done.returncode, done.stdout) == (0, expected)


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


@pytest.fixture
def reachable(tmp_path: Path) -> Iterator[tuple[Bastion, SSHRunner, InProcessSSHServer]]:
    """A bastion with one role account reached over SSH, and a trigger that prints and waits."""
    bastion = Bastion(tmp_path / "bastion")
    bastion.add_account(ROLE, host="bastion.internal")
    bastion.remote = str(tmp_path / "nowhere.git")
    bastion.add_trigger(Trigger(name="upgrade-staging", caller=ROLE, account=ROLE, stage="x/y"))
    bastion.save()
    client = tmp_path / "client"
    client.mkdir()
    key = new_key(client / "id")
    host_key = new_key(tmp_path / "host")
    with InProcessSSHServer(host_key, bastion.handler) as server:
        server.authorize(key)
        (client / "known_hosts").write_text(
            f"[127.0.0.1]:{server.port} {host_key.get_name()} {host_key.get_base64()}\n"
        )
        (client / "config").write_text(
            f"Host bastion.internal\n  HostName 127.0.0.1\n  Port {server.port}\n"
            f"  User releaser\n  IdentityFile {client / 'id'}\n"
        )
        runner = SSHRunner(
            "bastion.internal",
            config_files=[client / "config"],
            known_hosts_files=[str(client / "known_hosts")],
            allow_agent=False,
            connect_attempts=1,
        )
        with runner:
            yield bastion, runner, server
        bastion.close()
    assert not server.errors


def test_the_bastion_streams_output_and_exit_status_as_the_role(
    reachable: tuple[Bastion, SSHRunner, InProcessSSHServer],
) -> None:
    bastion, runner, _ = reachable
    lines: list[str] = []
    result = runner.run(
        f"sudo -n -iu {ROLE} -- sh -c 'echo $USER; echo oops >&2; exit 3'",
        on_line=lambda line: lines.append(f"{line.stream}: {line.text}"),
    )
    assert result.exit_status == 3
    assert lines == [f"stdout: {ROLE}", "stderr: oops"] or lines == [
        "stderr: oops",
        f"stdout: {ROLE}",
    ]
    assert bastion.commands == [f"sudo -n -iu {ROLE} -- sh -c 'echo $USER; echo oops >&2; exit 3'"]
    refused = runner.run("uptime")
    assert refused.exit_status == 126
    assert "only as a role account" in refused.stderr


def test_a_drop_loses_the_connection_mid_command_and_hangs_it_up(
    reachable: tuple[Bastion, SSHRunner, InProcessSSHServer], tmp_path: Path
) -> None:
    bastion, runner, _ = reachable
    bastion.drops.append(Drop(command="sh", after="^started"))
    marker = tmp_path / "finished"
    with pytest.raises(OutcomeUnknown, match="started"):
        runner.run(f"sudo -n -iu {ROLE} -- sh -c 'echo started; sleep 5; touch {marker}'", pty=True)
    assert bastion.dropped
    assert not marker.exists()
    assert not [pid for pid in descendants(_pid()) if process_alive(pid)]


def _pid() -> int:
    import os

    return os.getpid()


def test_an_upgrade_trigger_refuses_another_caller_and_says_what_it_lacks(
    reachable: tuple[Bastion, SSHRunner, InProcessSSHServer],
) -> None:
    _, runner, _ = reachable
    result = runner.run(f"sudo -n -iu {ROLE} -- upgrade-staging")
    assert result.exit_status == 1
    assert "cannot update the spec from" in result.stderr


# -- Mojo ---------------------------------------------------------------------------------


@pytest.fixture
def mojo_bastion(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], LpSigningStandIn]]:
    """A spec checkout, and the environment of a role account with a model and secrets."""
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT / "spec", checkout / "spec")
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    bastion = Bastion(tmp_path / "bastion")
    home = bastion.directory / "bastion.internal" / ROLE
    environment = {
        "JUJU_DATA": str(home / "juju"),
        "JUJU_MODEL": MODEL,
        "MOJO_ROOT": str(home / "mojo"),
        "PROBE_DELAY": "0.05",
        "PYTHONPATH": str(REPO_ROOT),
    }
    account = bastion.add_account(ROLE, host="bastion.internal", environment=environment)
    local = home / "mojo" / "LOCAL" / "lp-signing" / "lp-signing" / "staging"
    local.mkdir(parents=True)
    (local / "deploy-secrets").write_text(
        f"applications:\n  lp-signing:\n    options:\n      build_label: {LABEL}\n"
    )
    JujuModels(home / "juju").create(MODEL, controller="ps5", cloud="ps5")
    with LpSigningStandIn() as service:
        (checkout / "spec" / "lp-signing" / "staging" / "service-url").write_text(service.url)
        yield checkout, account.environ(), service


def _mojo(checkout: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "mojo",
            "run",
            "--spec",
            str(checkout / "spec"),
            "--stage",
            "lp-signing/staging",
            "-m",
            "upgrade",
        ],
        env=environ,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )


def test_mojo_walks_the_manifest_runs_the_phase_scripts_and_deploys_with_the_secrets(
    mojo_bastion: tuple[Path, dict[str, str], LpSigningStandIn],
) -> None:
    checkout, environ, service = mojo_bastion

    done = _mojo(checkout, environ)

    assert done.returncode == 0, done.stderr
    phases = [line for line in done.stdout.splitlines() if line.startswith("mojo: phase")]
    assert phases == [
        "mojo: phase 1: script config=check-bundle",
        "mojo: phase 2: bundle config=bundle.yaml local=deploy-secrets max-wait=900",
        "mojo: phase 3: juju-check-wait",
        "mojo: phase 4: verify config=verify-service",
    ]
    assert "passes bundle-lint" in done.stdout  # check-bundle ran, for real
    assert f"lp-signing runs lp-signing revision 87 (latest/edge), build_label {LABEL}" in (
        done.stdout
    )  # verify-service read it back through juju
    model = JujuModels(Path(environ["JUJU_DATA"])).load(MODEL)
    assert model["applications"]["lp-signing"]["options"]["build_label"] == LABEL
    assert ("GET", "/service-key") in service.requests
    assert service.nonce_requests == 0


def test_mojo_stops_at_the_first_phase_that_fails(
    mojo_bastion: tuple[Path, dict[str, str], LpSigningStandIn],
) -> None:
    checkout, environ, service = mojo_bastion
    service.mode = "500"
    environ["PROBE_TIMEOUT"] = "0.3"

    done = _mojo(checkout, environ)

    assert done.returncode == 1
    assert "verify-service: the service is not healthy" in done.stderr
    assert done.stderr.rstrip().endswith("mojo: stopped at phase 4 (verify)")


# -- Deployable ---------------------------------------------------------------------------


def test_the_deployable_commands_record_what_they_are_given(tmp_path: Path) -> None:
    deployable = DeployableStandIn(tmp_path / "records")
    environ = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO_ROOT),
        "LPSIGNING_MOJO_BUILD_LABEL": LABEL,
    }
    request = subprocess.run(
        deployable.command("request"),
        shell=True,
        input="the note\n",
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert request.stdout == (
        f"Requested the deployment of build {LABEL[:12]}: {deployable.url}/requests/1\n"
    )
    records = deployable.records()
    assert [(r["what"], r["note"]) for r in records] == [("request", "the note\n")]
    assert records[0]["variables"]["LPSIGNING_MOJO_BUILD_LABEL"] == LABEL  # type: ignore[index]
