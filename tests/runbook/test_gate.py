"""Gates: pure verdicts over facts, reported together, overridable with a recorded reason."""

from __future__ import annotations

import attrs
import pytest

from lpsigning_mojo.errors import GatesBlockedError, UsageError
from lpsigning_mojo.runbook import (
    Gate,
    GateStep,
    Journal,
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


def test_the_journal_keeps_every_result_with_its_override(world: DemoWorld, runs: RunStore) -> None:
    facts = Facts(staging_revision=88, target_revision=90, clean=True)
    report = execute(gated(facts), world, runs=runs, overrides={"same-charm": "hotfix"})
    journal = runs.load(str(report.run_id))
    (override,) = overrides(journal)
    recorded = {"gate": "same-charm", "reason": "hotfix", "by": override.by, "at": override.at}
    assert journal.outputs("gates") == {
        "gates": [
            {
                "gate": "same-charm",
                "title": "Staging runs the same charm",
                "status": "overridden",
                "reason": "staging runs revision 88, not 90",
                "unblock": "release revision 90 to staging first",
                "override": recorded,
            },
            {
                "gate": "clean-spec",
                "title": "The spec is clean",
                "status": "passed",
                "reason": "the spec is clean",
                "unblock": None,
                "override": None,
            },
        ],
        "overrides": [recorded],
    }


def test_an_override_of_a_gate_that_passes_is_not_used() -> None:
    facts = Facts(staging_revision=90, target_revision=90, clean=True)
    (result, _) = evaluate_gates(GATES, facts, (BY,)).results
    assert (result.status, result.override) == ("passed", None)
    assert result.to_json()["override"] is None


def test_a_passed_gate_never_says_how_to_unblock_it() -> None:
    gate: Gate[None] = Gate(
        name="g",
        title="G",
        check=lambda facts: Verdict(passed=True, reason="fine", unblock="nothing to do"),
    )
    assert evaluate_gates((gate,), None, ()).lines() == ["passed      g: fine"]
    assert blocked("no", unblock="fix it").passed is False


def test_one_blocked_gate_is_named_in_the_singular(world: DemoWorld, runs: RunStore) -> None:
    report = execute(
        gated(Facts(staging_revision=90, target_revision=90, clean=False)), world, runs=runs
    )
    assert report.error is not None
    assert report.error.startswith("1 gate is blocked: clean-spec. Do what each says")


def test_an_override_for_a_plan_without_gates_says_it_has_none(
    world: DemoWorld, runs: RunStore
) -> None:
    plan = Plan(name="demo", steps=(Act(name="upgrade"),))
    with pytest.raises(UsageError) as caught:
        execute(plan, world, runs=runs, overrides={"soak": "x"})
    assert str(caught.value) == (
        "--override soak: plan demo has no gate called 'soak'. Its gates: none."
    )


def test_the_latest_override_of_a_gate_counts_and_other_notes_are_not_overrides(
    world: DemoWorld, runs: RunStore
) -> None:
    header = runs.header(
        run_id="20260101T000000Z-aaaaaa",
        plan="demo",
        instance="production",
        options={},
        steps=("gates",),
        session=Session.current(),
    )
    with runs.create(header) as journal:
        journal.note("override", gate="same-charm", reason="first", by="ada@host")
        journal.note("confirmation", question="Go?", answer=True, how="asked")
        journal.note("override", gate="clean-spec", reason="docs only", by="ada@host")
        journal.note("override", gate="same-charm", reason="second", by="bob@host")
    found = overrides(runs.load("20260101T000000Z-aaaaaa"))
    assert [(o.gate, o.reason, o.by) for o in found] == [
        ("clean-spec", "docs only", "ada@host"),
        ("same-charm", "second", "bob@host"),
    ]


def test_the_gates_read_the_facts_of_the_world_they_are_given(
    world: DemoWorld, runs: RunStore
) -> None:
    def read(world: DemoWorld) -> Facts:
        return Facts(staging_revision=len(world.outside.effects), target_revision=2, clean=True)

    step: GateStep[DemoWorld, Facts] = GateStep(gates=GATES, read_facts=read)
    header = runs.header(
        run_id="dry-run",
        plan="demo",
        instance=None,
        options={},
        steps=("gates",),
        session=Session.current(),
    )
    journal = Journal.memory(header, clock=world.clock)
    world.outside.effects.extend(["a", "b"])
    assert step.describe(world, journal)[0] == "passed      same-charm: staging runs revision 2"
    world.outside.effects.pop()
    with pytest.raises(GatesBlockedError) as caught:
        step.run(world, journal)
    assert caught.value.blocked == ("same-charm",)
    assert "  blocked     same-charm: staging runs revision 1, not 2" in world.output
