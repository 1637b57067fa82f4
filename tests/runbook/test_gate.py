"""Gates: pure verdicts over facts, reported together, overridable with a recorded reason."""

from __future__ import annotations

import attrs
import pytest

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.runbook import (
    Gate,
    GateStep,
    Override,
    Plan,
    RunStore,
    Session,
    Verdict,
    blocked,
    evaluate_gates,
    execute,
    overrides,
    passed,
)
from lpsigning_mojo.testing import FakeClock
from tests.runbook.conftest import Act, DemoWorld


@attrs.frozen(kw_only=True)
class Facts:
    staging_revision: int
    target_revision: int
    clean: bool


def same_charm(facts: Facts) -> Verdict:
    if facts.staging_revision == facts.target_revision:
        return passed(f"staging runs revision {facts.target_revision}")
    return blocked(
        f"staging runs revision {facts.staging_revision}, not {facts.target_revision}",
        unblock=f"release revision {facts.target_revision} to staging first",
    )


def clean_spec(facts: Facts) -> Verdict:
    if facts.clean:
        return passed("the spec is clean")
    return blocked("the spec has uncommitted changes", unblock="commit or stash them")


GATES = (
    Gate(name="same-charm", title="Staging runs the same charm", check=same_charm),
    Gate(name="clean-spec", title="The spec is clean", check=clean_spec),
)
BY = Override(gate="same-charm", reason="hotfix", by="ada@host", at=FakeClock.EPOCH)


@pytest.mark.parametrize(
    ("facts", "given", "statuses", "ok"),
    [
        (
            Facts(staging_revision=90, target_revision=90, clean=True),
            (),
            ["passed", "passed"],
            True,
        ),
        (
            Facts(staging_revision=88, target_revision=90, clean=True),
            (),
            ["blocked", "passed"],
            False,
        ),
        (
            Facts(staging_revision=90, target_revision=90, clean=False),
            (),
            ["passed", "blocked"],
            False,
        ),
        (
            Facts(staging_revision=88, target_revision=90, clean=False),
            (),
            ["blocked", "blocked"],
            False,
        ),
        (
            Facts(staging_revision=88, target_revision=90, clean=True),
            (BY,),
            ["overridden", "passed"],
            True,
        ),
        (
            Facts(staging_revision=88, target_revision=90, clean=False),
            (BY,),
            ["overridden", "blocked"],
            False,
        ),
        (
            Facts(staging_revision=90, target_revision=90, clean=True),
            (BY,),
            ["passed", "passed"],
            True,
        ),
    ],
)
def test_the_gate_matrix(
    facts: Facts, given: tuple[Override, ...], statuses: list[str], ok: bool
) -> None:
    report = evaluate_gates(GATES, facts, given)
    assert [result.status for result in report.results] == statuses
    assert report.ok is ok
    assert [r.gate for r in report.blocked] == [
        g.name for g, s in zip(GATES, statuses, strict=True) if s == "blocked"
    ]


def test_every_result_is_printed_with_what_would_unblock_it() -> None:
    facts = Facts(staging_revision=88, target_revision=90, clean=False)
    assert evaluate_gates(GATES, facts, (BY,)).lines() == [
        "overridden  same-charm: staging runs revision 88, not 90",
        "            to unblock: release revision 90 to staging first",
        "            same-charm overridden by ada@host on 2026-01-01 00:00 UTC: hotfix",
        "blocked     clean-spec: the spec has uncommitted changes",
        "            to unblock: commit or stash them",
    ]


def gated(facts: Facts) -> Plan[DemoWorld]:
    return Plan(
        name="demo",
        instance="production",
        steps=(GateStep(gates=GATES, read_facts=lambda world: facts), Act(name="upgrade")),
    )


def test_a_blocked_gate_stops_the_run_after_reporting_all(world: DemoWorld, runs: RunStore) -> None:
    report = execute(
        gated(Facts(staging_revision=88, target_revision=90, clean=False)), world, runs=runs
    )
    assert (report.status, report.exit_code) == ("failed", 1)
    assert world.outside.effects == []
    assert "  blocked     same-charm: staging runs revision 88, not 90" in world.output
    assert "  blocked     clean-spec: the spec has uncommitted changes" in world.output
    assert report.error == (
        "2 gates are blocked: same-charm, clean-spec. Do what each says to unblock it, then "
        "resume; or proceed anyway with --override GATE --reason TEXT (recorded with your name "
        "in the journal and the commit message)."
    )


def test_an_override_is_recorded_with_who_when_and_why(world: DemoWorld, runs: RunStore) -> None:
    world.clock.now = 60
    facts = Facts(staging_revision=88, target_revision=90, clean=True)
    report = execute(gated(facts), world, runs=runs, overrides={"same-charm": "hotfix for LP: #1"})
    assert report.status == "done"
    assert world.outside.effects == ["upgrade"]
    journal = runs.load(str(report.run_id))
    (override,) = overrides(journal)
    assert override.gate == "same-charm"
    assert override.reason == "hotfix for LP: #1"
    assert override.by == Session.current().who
    assert override.at == FakeClock.EPOCH + 60
    assert journal.outputs("gates")["overrides"] == [override.to_json()]
    assert override.describe().startswith("same-charm overridden by ")


def test_a_dry_run_shows_every_gate_result(world: DemoWorld, runs: RunStore) -> None:
    facts = Facts(staging_revision=88, target_revision=90, clean=True)
    execute(gated(facts), world, runs=runs, dry_run=True)
    assert "    blocked     same-charm: staging runs revision 88, not 90" in world.output
    assert "    passed      clean-spec: the spec is clean" in world.output


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"soak": "x"},
            "--override soak: plan demo has no gate called 'soak'. "
            "Its gates: clean-spec, same-charm.",
        ),
        ({"same-charm": " "}, "--override same-charm needs a reason. Say why with --reason TEXT."),
    ],
)
def test_overrides_are_checked_before_anything_runs(
    world: DemoWorld, runs: RunStore, given: dict[str, str], message: str
) -> None:
    facts = Facts(staging_revision=90, target_revision=90, clean=True)
    with pytest.raises(UsageError) as caught:
        execute(gated(facts), world, runs=runs, overrides=given)
    assert str(caught.value) == message
    assert not runs.directory.exists()
