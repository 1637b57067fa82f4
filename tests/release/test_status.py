"""What an instance runs against what its stage pins: every drift is reported, exactly.

The production gate rests on these checks: a revision, channel or
``build_label`` the spec pins and the instance does not run must show as
drift naming the field, the pin and what runs; anything the spec leaves out
is never drift; an unhealthy unit is a problem.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import attrs
import pytest

from lpsigning_mojo.bundle import Bundle
from lpsigning_mojo.external.juju import DeployedState, UnitState
from lpsigning_mojo.instances import Instance, Instances, parse_instances
from lpsigning_mojo.release.status import Drift, compare, instance_status, live_source
from lpsigning_mojo.testing import FakeJujuStatusSource

BUNDLE = Bundle.from_text(
    """\
applications:
  lp-signing:
    charm: lp-signing
    channel: latest/edge
    revision: 87
    num_units: 2
    options:
      build_label: 1f3c9a2b
  nrpe:
    charm: nrpe
    channel: latest/stable
    revision: 125
  ubuntu:
    charm: ubuntu
    num_units: 1
relations:
  - [lp-signing, nrpe]
"""
)

ONE_APP = Bundle.from_text(
    "applications:\n  lp-signing:\n    charm: lp-signing\n    channel: latest/edge\n"
    "    revision: 87\n    num_units: 2\n    options:\n      build_label: 1f3c9a2b\n"
)

HEALTHY_UNITS = (
    UnitState(name="lp-signing/0", workload_status="active", agent_status="idle", leader=True),
    UnitState(name="lp-signing/1", workload_status="active", agent_status="idle"),
)


def running(application: str = "lp-signing", **changes: object) -> DeployedState:
    """What the instance runs when it runs exactly what BUNDLE pins for ``application``."""
    pinned = BUNDLE.application(application)
    state = DeployedState(
        application=application,
        charm_name=pinned.charm,
        charm_rev=pinned.revision if pinned.revision is not None else 3,
        charm_channel=pinned.channel or "latest/stable",
        build_label=pinned.build_label,
        application_status="active",
        units=HEALTHY_UNITS if application == "lp-signing" else (),
    )
    return attrs.evolve(state, **changes)  # type: ignore[arg-type]


def drift_of(state: DeployedState) -> tuple[Drift, ...]:
    report = compare(
        "staging", "lp-signing/staging", BUNDLE, _source(state), applications=[state.application]
    )
    (app,) = report.applications
    return app.drift


def _source(*states: DeployedState) -> FakeJujuStatusSource:
    source = FakeJujuStatusSource()
    for state in states:
        source.expect_deployed_state(state.application, state)
    return source


# -- drift ----------------------------------------------------------------------------------


def test_an_instance_that_runs_what_is_pinned_has_no_drift() -> None:
    report = compare(
        "staging", "lp-signing/staging", BUNDLE, _source(running()), applications=["lp-signing"]
    )
    assert report.ok
    assert report.live
    assert (report.instance, report.stage, report.mojo_stage) == (
        "staging",
        "staging",
        "lp-signing/staging",
    )
    assert report.applications[0].drift == ()
    assert report.applications[0].problems == ()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"charm_rev": 86}, Drift(field="revision", pinned=87, running=86)),
        ({"charm_rev": None}, Drift(field="revision", pinned=87, running=None)),
        (
            {"charm_channel": "latest/stable"},
            Drift(field="channel", pinned="latest/edge", running="latest/stable"),
        ),
        ({"charm_channel": None}, Drift(field="channel", pinned="latest/edge", running=None)),
        (
            {"build_label": "0000000"},
            Drift(field="build_label", pinned="1f3c9a2b", running="0000000"),
        ),
        ({"build_label": None}, Drift(field="build_label", pinned="1f3c9a2b", running=None)),
    ],
    ids=["revision", "no-revision", "channel", "no-channel", "build_label", "no-build_label"],
)
def test_each_pinned_value_that_differs_is_drift_naming_field_pin_and_running_value(
    changes: dict[str, object], expected: Drift
) -> None:
    assert drift_of(running(**changes)) == (expected,)


def test_several_drifts_are_all_reported_in_field_order() -> None:
    state = running(charm_rev=90, charm_channel="2.0/edge", build_label="abc")
    assert [d.field for d in drift_of(state)] == ["revision", "channel", "build_label"]
    report = compare("staging", "s", BUNDLE, _source(state), applications=["lp-signing"])
    assert not report.ok
    assert not report.applications[0].ok


def test_the_same_channel_written_another_way_is_not_drift() -> None:
    assert drift_of(running(charm_channel="edge")) == ()
    assert drift_of(running("nrpe", charm_channel="stable")) == ()


def test_what_the_spec_leaves_out_is_never_drift() -> None:
    # ubuntu pins no channel, revision nor build_label: whatever runs is fine.
    state = running("ubuntu", charm_rev=12, charm_channel="latest/edge", build_label="x")
    assert drift_of(state) == ()
    # nrpe pins no build_label, and lp-signing's staging bastion may set one.
    assert drift_of(running("nrpe", build_label="whatever")) == ()


def test_describe_and_json_say_what_the_spec_pins_and_what_runs() -> None:
    drift = Drift(field="revision", pinned=87, running=86)
    assert drift.describe() == "revision: spec pins 87, instance runs 86"
    assert drift.to_json() == {"field": "revision", "pinned": 87, "running": 86}


# -- health -----------------------------------------------------------------------------------


def test_an_unhealthy_unit_is_a_problem_and_not_ok() -> None:
    sick = UnitState(name="lp-signing/1", workload_status="error", agent_status="idle")
    state = running(units=(HEALTHY_UNITS[0], sick))
    report = compare("staging", "s", BUNDLE, _source(state), applications=["lp-signing"])
    assert report.applications[0].problems == ("unit lp-signing/1 is error",)
    assert report.applications[0].drift == ()
    assert not report.ok


def test_a_subordinate_without_units_is_healthy_but_a_principal_without_units_is_not() -> None:
    nrpe = running("nrpe")  # a subordinate: no units of its own
    ubuntu = running("ubuntu", units=())
    report = compare("staging", "s", BUNDLE, _source(nrpe, ubuntu), applications=["nrpe", "ubuntu"])
    assert report.applications[0].problems == ()
    assert report.applications[1].problems == ("application ubuntu has no units",)
    assert not report.ok


def test_a_subordinate_keeps_its_other_problems() -> None:
    nrpe = running("nrpe", application_status="blocked", application_message="no relation")
    report = compare("staging", "s", BUNDLE, _source(nrpe), applications=["nrpe"])
    assert report.applications[0].problems == ("application nrpe is blocked: no relation",)


# -- which applications, and pins only ----------------------------------------------------------


def test_every_application_of_the_bundle_is_compared_unless_some_are_named() -> None:
    states = [running(name) for name in ("lp-signing", "nrpe", "ubuntu")]
    report = compare("staging", "s", BUNDLE, _source(*states))
    assert [a.application.name for a in report.applications] == ["lp-signing", "nrpe", "ubuntu"]
    source = _source(running("nrpe"))
    report = compare("staging", "s", BUNDLE, source, applications=["nrpe"])
    assert [a.application.name for a in report.applications] == ["nrpe"]
    source.verify()


def test_without_a_source_only_the_pins_are_reported_with_the_reason() -> None:
    report = compare("production", "lp-signing/production", BUNDLE, None, reason="IS only")
    assert not report.live
    assert report.reason == "IS only"
    assert (report.instance, report.stage, report.mojo_stage) == (
        "production",
        "production",
        "lp-signing/production",
    )
    assert [a.state for a in report.applications] == [None, None, None]
    # Nothing live was checked: the report never claims "ok" for what it did not see.
    assert report.ok is None
    assert report.verdict == "not-checkable"
    assert report.to_json() == {
        "instance": "production",
        "stage": "production",
        "mojo_stage": "lp-signing/production",
        "live": False,
        "verdict": "not-checkable",
        "reason": "IS only",
        "ok": None,
        "applications": [
            {
                "application": "lp-signing",
                "pinned": {
                    "application": "lp-signing",
                    "charm": "lp-signing",
                    "channel": "latest/edge",
                    "revision": 87,
                    "num_units": 2,
                    "build_label": "1f3c9a2b",
                },
                "running": None,
                "drift": [],
                "problems": [],
            },
            {
                "application": "nrpe",
                "pinned": {
                    "application": "nrpe",
                    "charm": "nrpe",
                    "channel": "latest/stable",
                    "revision": 125,
                    "num_units": None,
                    "build_label": None,
                },
                "running": None,
                "drift": [],
                "problems": [],
            },
            {
                "application": "ubuntu",
                "pinned": {
                    "application": "ubuntu",
                    "charm": "ubuntu",
                    "channel": None,
                    "revision": None,
                    "num_units": 1,
                    "build_label": None,
                },
                "running": None,
                "drift": [],
                "problems": [],
            },
        ],
    }


def test_a_live_report_in_json_carries_what_runs_and_the_drift() -> None:
    state = running(charm_rev=86)
    report = compare("staging", "s", BUNDLE, _source(state), applications=["lp-signing"])
    data = report.to_json()
    assert data["ok"] is False
    assert data["live"] is True
    assert data["reason"] is None
    (app,) = data["applications"]  # type: ignore[misc]
    assert app["running"] == state.to_json()
    assert app["drift"] == [{"field": "revision", "pinned": 87, "running": 86}]


# -- instance_status: where live state comes from -------------------------------------------


INSTANCES = """\
environments:
  staging:
    bastion: bastion.internal
    role: stg-role
    managed_by: Launchpad developers
    developer_access: true
  production:
    bastion: prod-bastion.internal
    role: prod-role
    managed_by: IS
    developer_access: false
  other:
    bastion: other.internal
    role: other-role
    developer_access: false
instances:
  staging:
    mojo_stage: lp-signing/staging
    url: null
    environment: staging
    juju_model: stg-model
    juju_access: true
  production:
    mojo_stage: lp-signing/production
    url: null
    environment: production
    juju_model: prod-model
    juju_access: false
  elsewhere:
    mojo_stage: lp-signing/elsewhere
    url: null
    environment: other
    juju_model: null
    juju_access: true
"""


@pytest.fixture
def instances() -> Instances:
    return parse_instances(INSTANCES)


def test_an_instance_without_juju_access_reports_pins_and_who_manages_it(
    instances: Instances,
) -> None:
    report = instance_status(instances, instances.get("production"), BUNDLE)
    assert not report.live
    assert (report.instance, report.stage, report.mojo_stage) == (
        "production",
        "production",
        "lp-signing/production",
    )
    assert report.reason == (
        "live state of production is not available from here: its model is managed by IS "
        "and reachable only through its triggers"
    )


def test_an_instance_whose_model_is_unknown_reports_pins_even_with_access(
    instances: Instances,
) -> None:
    report = instance_status(instances, instances.get("elsewhere"), BUNDLE, source="local")
    assert not report.live
    assert (report.instance, report.stage, report.mojo_stage) == (
        "elsewhere",
        "elsewhere",
        "lp-signing/elsewhere",
    )
    assert report.reason is not None
    assert "its model is managed by others" in report.reason


def test_live_state_is_read_from_the_chosen_source(
    instances: Instances, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _source(running())
    asked: list[object] = []

    @contextlib.contextmanager
    def fake_live_source(
        given: Instances, instance: Instance, **kwargs: object
    ) -> Iterator[FakeJujuStatusSource]:
        asked.append((instance.name, kwargs["source"]))
        yield source

    monkeypatch.setattr("lpsigning_mojo.release.status.live_source", fake_live_source)
    report = instance_status(instances, instances.get("staging"), ONE_APP, source="ssh")
    assert asked == [("staging", "ssh")]
    assert report.live
    assert (report.instance, report.stage, report.mojo_stage) == (
        "staging",
        "staging",
        "lp-signing/staging",
    )
    assert report.ok
    source.verify()


def test_local_reads_with_the_juju_cli_here_and_auto_prefers_it(
    instances: Instances, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpsigning_mojo.external.juju import JujuCli
    from lpsigning_mojo.external.local import LocalRunner

    staging = instances.get("staging")
    with live_source(instances, staging, source="local") as live:
        assert isinstance(live, JujuCli)
        assert live.model == "stg-model"
        assert isinstance(live.runner, LocalRunner)
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/juju" if name == "juju" else None)
    heard: list[str] = []
    with live_source(instances, staging, source="auto", progress=heard.append) as live:
        assert isinstance(live, JujuCli)
        assert isinstance(live.runner, LocalRunner)
    assert heard == []  # no SSH connection, so nothing to announce


def test_auto_without_a_local_juju_reads_over_ssh_as_the_role_account(
    instances: Instances, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpsigning_mojo.external.juju import JujuCli
    from lpsigning_mojo.remote import RoleAccountRunner

    monkeypatch.setattr("shutil.which", lambda name: None)
    heard: list[str] = []
    staging = instances.get("staging")
    with live_source(instances, staging, source="auto", progress=heard.append) as live:
        assert isinstance(live, JujuCli)
        assert live.model == "stg-model"
        assert isinstance(live.runner, RoleAccountRunner)
    assert heard == ["Reading staging's state as stg-role@bastion.internal over SSH..."]


def test_an_unknown_live_source_is_refused_with_the_choices(instances: Instances) -> None:
    from lpsigning_mojo.errors import UsageError

    with (
        pytest.raises(UsageError) as info,
        live_source(instances, instances.get("staging"), source="carrier-pigeon"),
    ):
        pass
    assert "there is no live-state source called 'carrier-pigeon'" in str(info.value)
    assert "auto, local, ssh, libjuju" in str(info.value)
