"""The promotion gates as a table: each gate blocked and passing, from facts alone."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from lpsigning_mojo.external.juju import DeployedState, UnitState
from lpsigning_mojo.external.probe import ProbeResult
from lpsigning_mojo.release.gates import (
    PROMOTION_GATES,
    AncestryFacts,
    LockFacts,
    PromotionFacts,
    SoakFacts,
    SpecFacts,
    StagingFacts,
    Target,
)
from lpsigning_mojo.runbook import LockOwner, Override, evaluate_gates

OLD = "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
NEW = "b47cc26939ea5badecefd0e77a1f8eec9e3b183a"
LOCK = ".local/state/lpsigning-mojo/locks/production on stg@bastion"
NOW = 1_767_225_600.0


def unit(number: int, workload: str = "active", agent: str = "idle") -> UnitState:
    return UnitState(name=f"lp-signing/{number}", workload_status=workload, agent_status=agent)


def state(**changes: Any) -> DeployedState:
    values: dict[str, Any] = {
        "application": "lp-signing",
        "charm_name": "lp-signing",
        "charm_rev": 89,
        "charm_channel": "latest/edge",
        "build_label": NEW,
        "application_status": "active",
        "units": (unit(0), unit(1)),
    }
    return DeployedState(**{**values, **changes})


def facts(**parts: Any) -> PromotionFacts:
    """Facts where every gate passes, with ``parts`` (``spec={...}``...) changed."""
    good = PromotionFacts(
        spec=SpecFacts(
            directory="spec/lp-signing",
            local_branch="main",
            branch="main",
            remote="origin",
            remote_branch="main",
            tracking_ref="refs/remotes/origin/main",
            base="a" * 40,
            fetched=True,
        ),
        staging=StagingFacts(
            instance="staging",
            state=state(),
            url="http://staging:8000/",
            health=ProbeResult(
                url="http://staging:8000/service-key",
                healthy=True,
                reason="HTTP 200 with a service key",
                status=200,
            ),
        ),
        target=Target(
            instance="production",
            stage="production",
            revision=89,
            channel="latest/edge",
            build_label=NEW,
            previous_build_label=OLD,
            how="staging",
        ),
        ancestry=AncestryFacts(),
        lock=LockFacts(where=LOCK, run_id="run-1"),
        soak=SoakFacts(minutes=0, now=NOW),
    )
    for name, change in parts.items():
        good = attrs.evolve(good, **{name: attrs.evolve(getattr(good, name), **change)})
    return good


def verdict(gate: str, given: PromotionFacts) -> tuple[str, str, str | None]:
    report = evaluate_gates(PROMOTION_GATES, given)
    (result,) = [result for result in report.results if result.gate == gate]
    return result.status, result.verdict.reason, result.verdict.unblock


def test_every_gate_passes_on_good_facts() -> None:
    report = evaluate_gates(PROMOTION_GATES, facts())
    assert [result.gate for result in report.results] == [
        "spec", "staging-charm", "build-label", "staging-health", "lock", "soak",
    ]  # fmt: skip
    assert report.ok
    assert [result.status for result in report.results] == ["passed"] * 6


OWNER = LockOwner(run_id="run-0", user="bob", host="laptop", pid=7, started=NOW, plan="x")
BLOCKED = [
    # (gate, facts, words in the reason, words in what unblocks it)
    ("spec", facts(spec={"error": "no upstream"}), "cannot be read: no upstream", "git branch -u"),
    ("spec", facts(spec={"branch": None}), "not on a branch", "check out main"),
    ("spec", facts(spec={"dirty": ("NOTES (untracked)",)}), "NOTES (untracked)", "git stash -u"),
    ("spec", facts(spec={"behind": 2}), "main is 2 commits behind origin/main", "pull --rebase"),
    (
        "spec",
        facts(spec={"behind": 1, "fetched": False}),
        "1 commit behind origin/main (as last fetched)",
        "then resume",
    ),
    (
        "spec",
        facts(spec={"ahead": 1, "pushes": False}),
        "production's bastion deploys origin/main, not them",
        "push them first",
    ),
    ("staging-charm", facts(target={"revision": None}), "pins no lp-signing revision", "pin"),
    (
        "staging-charm",
        facts(staging={"state": None, "error": "SSH refused"}),
        "what staging runs cannot be read: SSH refused",
        "lpsigning-mojo status staging",
    ),
    (
        "staging-charm",
        facts(staging={"state": state(charm_rev=87)}),
        "production pins revision 89 of lp-signing, newer than what staging runs, 87",
        "lpsigning-mojo release staging --revision 89",
    ),
    (
        "staging-charm",
        facts(staging={"state": state(charm_rev=90)}),
        "staging runs lp-signing revision 90, not revision 89",
        "deploy revision 89 to staging first",
    ),
    (
        "staging-charm",
        facts(staging={"state": state(charm_channel="latest/stable")}),
        "from channel latest/stable, not from latest/edge",
        "deploy revision 89",
    ),
    (
        "staging-charm",
        facts(staging={"state": state(units=(unit(0), unit(1, agent="executing")))}),
        "the agent of unit lp-signing/1 is executing, not idle",
        "wait for staging to settle",
    ),
    (
        "staging-charm",
        facts(staging={"state": state(units=(unit(0, workload="blocked"), unit(1)))}),
        "unit lp-signing/0 is blocked",
        "fix it",
    ),
    (
        "build-label",
        facts(target={"build_label": None, "how": "pinned"}),
        "the bundle sets no build_label for production",
        "--build-label SHA",
    ),
    (
        "build-label",
        facts(target={"build_label": None, "how": "staging"}),
        "staging's build_label could not be read",
        "--build-label",
    ),
    (
        "build-label",
        facts(target={"build_label": "b47cc26"}),
        "'b47cc26' is not a full 40-character commit id",
        "--source PATH",
    ),
    (
        "build-label",
        facts(staging={"state": state(build_label=None)}),
        "staging has no build_label set",
        "lpsigning-mojo status staging",
    ),
    (
        "build-label",
        facts(target={"build_label": OLD}),
        "differs from what staging runs (b47cc26939ea); without a clone of lp-signing only "
        "equality is accepted",
        "--source PATH",
    ),
    (
        "build-label",
        facts(target={"build_label": OLD}, ancestry={"clone": "/src/lp", "ancestor": False}),
        "is not an ancestor of what staging runs (b47cc26939ea) in /src/lp",
        "--build-label staging",
    ),
    (
        "build-label",
        facts(target={"build_label": OLD}, ancestry={"clone": "/src/lp", "error": "bad object"}),
        "cannot tell whether build_label 1f3c9a2b7d4e is an ancestor",
        "git -C /src/lp fetch",
    ),
    (
        "staging-health",
        facts(
            staging={
                "health": ProbeResult(
                    url="http://s/service-key",
                    healthy=False,
                    reason="HTTP 500 Internal Server Error",
                )
            }
        ),
        "http://s/service-key: HTTP 500 Internal Server Error",
        "GET /service-key",
    ),
    (
        "staging-health",
        facts(
            staging={
                "health": ProbeResult(
                    url="http://s/service-key",
                    healthy=False,
                    reason="http://s/service-key sent no complete answer within 10 s",
                )
            }
        ),
        "http://s/service-key sent no complete answer",  # the URL once, not twice
        "GET /service-key",
    ),
    ("staging-health", facts(staging={"health": None}), "staging has no URL", "instances.yaml"),
    ("lock", facts(lock={"error": "SSH refused"}), "cannot be read: SSH refused", "access"),
    ("lock", facts(lock={"owner": OWNER}), "held by run run-0 (plan x) by bob@laptop", "break"),
    (
        "lock",
        facts(lock={"owner": OWNER, "run_id": None}),
        "held by run run-0",
        "--break-lock (an override does not break it)",
    ),
    (
        "soak",
        facts(soak={"minutes": 60}),
        "how long staging has run lp-signing revision 89 is not known",
        "--override soak --reason TEXT",
    ),
    (
        "soak",
        facts(soak={"minutes": 60, "since": NOW - 600, "source": "since run r1 upgraded it"}),
        "has run lp-signing revision 89 for only 10:00 (since run r1 upgraded it); the soak is "
        "60 min",
        "wait 50:00 more",
    ),
]


@pytest.mark.parametrize(
    ("gate", "given", "reason", "unblock"),
    BLOCKED,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(BLOCKED)],
)
def test_each_gate_blocks_saying_why_and_what_unblocks_it(
    gate: str, given: PromotionFacts, reason: str, unblock: str
) -> None:
    status, said, fix = verdict(gate, given)
    assert status == "blocked"
    assert reason in said
    assert said.count("http://") <= 1
    assert fix is not None
    assert unblock in fix


PASSING = [
    ("spec", facts(), "main is clean and level with origin/main"),
    ("spec", facts(spec={"fetched": False}), "level with origin/main (as last fetched)"),
    (
        "spec",
        facts(spec={"ahead": 2}),
        "its 2 local commit(s) go out only if they are release-only",
    ),
    ("staging-charm", facts(), "staging runs revision 89 (latest/edge), live; every unit"),
    ("staging-charm", facts(target={"channel": "edge"}), "every unit is active and idle"),
    ("build-label", facts(), "production gets build_label b47cc26939ea, what staging runs now"),
    (
        "build-label",
        facts(target={"build_label": OLD}, ancestry={"clone": "/src/lp", "ancestor": True}),
        "build_label 1f3c9a2b7d4e is an ancestor of what staging runs (b47cc26939ea) in /src/lp",
    ),
    (
        "build-label",
        facts(
            staging={"state": state(build_label="b47cc26")},
            ancestry={"clone": "/src/lp", "staging_build_label": NEW},
        ),
        "what staging runs now",
    ),
    ("staging-health", facts(), "HTTP 200 with a service key"),
    ("lock", facts(), "no release holds the lock"),
    ("lock", facts(lock={"owner": attrs.evolve(OWNER, run_id="run-1")}), "this run holds"),
    ("soak", facts(), "no soak time is configured"),
    (
        "soak",
        facts(soak={"minutes": 60, "since": NOW - 3600, "source": "since run r1 upgraded it"}),
        "staging has run lp-signing revision 89 for 1:00:00 (since run r1",
    ),
]


@pytest.mark.parametrize(
    ("gate", "given", "reason"),
    PASSING,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(PASSING)],
)
def test_each_gate_passes_saying_what_it_saw(gate: str, given: PromotionFacts, reason: str) -> None:
    status, said, _ = verdict(gate, given)
    assert status == "passed"
    assert reason in said


def test_an_override_lets_a_blocked_gate_pass_and_says_who_when_why() -> None:
    override = Override(gate="soak", reason="hotfix", by="ada@laptop", at=NOW)
    report = evaluate_gates(PROMOTION_GATES, facts(soak={"minutes": 60}), [override])
    assert report.ok
    (soak,) = [result for result in report.results if result.gate == "soak"]
    assert soak.status == "overridden"
    assert "soak overridden by ada@laptop on 2026-01-01 00:00 UTC: hotfix" in report.lines()[-1]


def test_an_override_of_a_passing_gate_changes_nothing() -> None:
    override = Override(gate="spec", reason="why not", by="ada@laptop", at=NOW)
    report = evaluate_gates(PROMOTION_GATES, facts(), [override])
    assert [result.status for result in report.results] == ["passed"] * 6


def test_every_result_is_given_together_however_many_are_blocked() -> None:
    given = facts(
        spec={"dirty": ("x",)},
        staging={"health": ProbeResult(url="u", healthy=False, reason="refused")},
        soak={"minutes": 5},
    )
    report = evaluate_gates(PROMOTION_GATES, given)
    assert [result.gate for result in report.blocked] == ["spec", "staging-health", "soak"]
    assert len(report.results) == 6


def test_facts_are_plain_json() -> None:
    import json

    given = facts(lock={"owner": OWNER}, soak={"minutes": 3, "since": NOW, "source": "s"})
    data = given.to_json()
    assert json.loads(json.dumps(data)) == data
    assert Target.from_json(given.target.to_json()) == given.target
