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
    # (gate, facts, the reason, what unblocks it): each as the person reads it
    (
        "staging-charm",
        facts(staging={"instance": "qastaging", "state": state(charm_rev=87)}),
        (
            "lp-signing: production pins revision 89 of lp-signing, newer than what qastaging "
            "runs, 87; production must never be ahead of qastaging"
        ),
        (
            "deploy revision 89 to qastaging first (lpsigning-mojo release qastaging "
            "--revision 89), then resume"
        ),
    ),
    (
        "staging-charm",
        facts(staging={"state": None}),
        "what staging runs cannot be read: no way to read it from here",
        (
            "check your access to staging's role account (lpsigning-mojo status staging), "
            "then resume"
        ),
    ),
    (
        "staging-charm",
        facts(staging={"state": state(units=(unit(0, workload="blocked"), unit(1, agent="lost")))}),
        (
            "staging runs revision 89, but not every unit is active and idle: unit "
            "lp-signing/0 is blocked; the agent of unit lp-signing/1 is lost"
        ),
        "wait for staging to settle, or fix it (lpsigning-mojo status staging), then resume",
    ),
    (
        "build-label",
        facts(staging={"state": None, "error": "SSH refused"}),
        "what staging runs cannot be compared with build_label b47cc26939ea: SSH refused",
        "check staging (lpsigning-mojo status staging), then resume",
    ),
    (
        "soak",
        facts(soak={"minutes": 1}),
        (
            "how long staging has run lp-signing revision 89 is not known: no staging release "
            "in the journals here deployed it, and the spec history does not show when it was "
            "pinned"
        ),
        (
            "wait until you know it has run 1 minute, then override with --override soak "
            "--reason TEXT saying how you know"
        ),
    ),
    (
        "soak",
        facts(soak={"minutes": 60, "since": NOW + 5, "source": "its clock"}),
        "staging has run lp-signing revision 89 for only 00:00 (its clock); the soak is 60 min",
        "wait 1:00:00 more, then resume",
    ),
    (
        "spec",
        facts(spec={"branch": None, "local_branch": None}),
        "the spec repository at spec/lp-signing is not on a branch (detached HEAD)",
        "check out the branch, then resume",
    ),
    (
        "spec",
        facts(spec={"dirty": ("NOTES (untracked)", "spec/x (modified)")}),
        (
            "the spec repository at spec/lp-signing has changes that are not committed: NOTES "
            "(untracked), spec/x (modified)"
        ),
        "commit them or put them aside (git stash -u), then resume",
    ),
    (
        "spec",
        facts(spec={"error": "no upstream"}),
        "the spec repository at spec/lp-signing cannot be read: no upstream",
        "make it a clone with an upstream branch (git branch -u origin/main)",
    ),
    (
        "spec",
        facts(spec={"branch": None}),
        "the spec repository at spec/lp-signing is not on a branch (detached HEAD)",
        "check out main, then resume",
    ),
    (
        "spec",
        facts(spec={"dirty": ("NOTES (untracked)",)}),
        (
            "the spec repository at spec/lp-signing has changes that are not committed: NOTES "
            "(untracked)"
        ),
        "commit them or put them aside (git stash -u), then resume",
    ),
    (
        "spec",
        facts(spec={"behind": 2}),
        "main is 2 commits behind origin/main",
        "bring it up to date (git pull --rebase origin main), look at what came in, then resume",
    ),
    (
        "spec",
        facts(spec={"behind": 1, "fetched": False}),
        "main is 1 commit behind origin/main (as last fetched)",
        "bring it up to date (git pull --rebase origin main), look at what came in, then resume",
    ),
    (
        "spec",
        facts(spec={"ahead": 1, "pushes": False}),
        (
            "main has 1 commit(s) not on origin/main: production's bastion deploys "
            "origin/main, not them"
        ),
        "push them first (or release with lpsigning-mojo release production)",
    ),
    (
        "staging-charm",
        facts(target={"revision": None}),
        "the bundle pins no lp-signing revision for production",
        "pin the revision staging runs (lpsigning-mojo bundle set-revision)",
    ),
    (
        "staging-charm",
        facts(staging={"state": None, "error": "SSH refused"}),
        "what staging runs cannot be read: SSH refused",
        (
            "check your access to staging's role account (lpsigning-mojo status staging), "
            "then resume"
        ),
    ),
    (
        "staging-charm",
        facts(staging={"state": state(charm_rev=87)}),
        (
            "lp-signing: production pins revision 89 of lp-signing, newer than what staging "
            "runs, 87; production must never be ahead of staging"
        ),
        (
            "deploy revision 89 to staging first (lpsigning-mojo release staging --revision "
            "89), then resume"
        ),
    ),
    (
        "staging-charm",
        facts(staging={"state": state(charm_rev=90)}),
        "staging runs lp-signing revision 90, not revision 89, which production is about to run",
        (
            "deploy revision 89 to staging first (lpsigning-mojo release staging --revision "
            "89), then resume"
        ),
    ),
    (
        "staging-charm",
        facts(staging={"state": state(charm_channel="latest/stable")}),
        (
            "staging runs revision 89 from channel latest/stable, not from latest/edge, which "
            "production pins"
        ),
        (
            "deploy revision 89 to staging first (lpsigning-mojo release staging --revision "
            "89), then resume"
        ),
    ),
    (
        "staging-charm",
        facts(staging={"state": state(units=(unit(0), unit(1, agent="executing")))}),
        (
            "staging runs revision 89, but not every unit is active and idle: the agent of "
            "unit lp-signing/1 is executing, not idle"
        ),
        "wait for staging to settle, or fix it (lpsigning-mojo status staging), then resume",
    ),
    (
        "staging-charm",
        facts(staging={"state": state(units=(unit(0, workload="blocked"), unit(1)))}),
        (
            "staging runs revision 89, but not every unit is active and idle: unit "
            "lp-signing/0 is blocked"
        ),
        "wait for staging to settle, or fix it (lpsigning-mojo status staging), then resume",
    ),
    (
        "build-label",
        facts(target={"build_label": None, "how": "pinned"}),
        "there is no build_label to deploy: the bundle sets no build_label for production",
        "give the payload with --build-label SHA (or --build-label staging)",
    ),
    (
        "build-label",
        facts(target={"build_label": None, "how": "staging"}),
        "there is no build_label to deploy: staging's build_label could not be read",
        "give the payload with --build-label SHA (or --build-label staging)",
    ),
    (
        "build-label",
        facts(target={"build_label": "b47cc26"}),
        "build_label 'b47cc26' is not a full 40-character commit id",
        (
            "give the full commit id (git rev-parse in lp-signing), or a clone with --source "
            "PATH to resolve a short one"
        ),
    ),
    (
        "build-label",
        facts(staging={"state": state(build_label=None)}),
        (
            "what staging runs cannot be compared with build_label b47cc26939ea: staging has "
            "no build_label set"
        ),
        "check staging (lpsigning-mojo status staging), then resume",
    ),
    (
        "build-label",
        facts(target={"build_label": OLD}),
        (
            "build_label 1f3c9a2b7d4e differs from what staging runs (b47cc26939ea); without "
            "a clone of lp-signing only equality is accepted"
        ),
        (
            "give a clone with --source PATH (or set release.source) to check that it is an "
            "ancestor, or deploy what staging runs (--build-label staging)"
        ),
    ),
    (
        "build-label",
        facts(target={"build_label": OLD}, ancestry={"clone": "/src/lp", "ancestor": False}),
        (
            "build_label 1f3c9a2b7d4e is not an ancestor of what staging runs (b47cc26939ea) "
            "in /src/lp: staging never ran it"
        ),
        "deploy what staging runs (--build-label staging) or a commit before it",
    ),
    (
        "build-label",
        facts(target={"build_label": OLD}, ancestry={"clone": "/src/lp", "error": "bad object"}),
        (
            "cannot tell whether build_label 1f3c9a2b7d4e is an ancestor of what staging runs "
            "(b47cc26939ea) in /src/lp: bad object"
        ),
        "fetch the clone (git -C /src/lp fetch), then resume",
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
        "make staging healthy (it must answer GET /service-key), then resume",
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
        "http://s/service-key sent no complete answer within 10 s",  # the URL once, not twice
        "make staging healthy (it must answer GET /service-key), then resume",
    ),
    (
        "staging-health",
        facts(staging={"health": None}),
        "staging has no URL, so its health cannot be checked",
        "give staging a url in instances.yaml",
    ),
    (
        "lock",
        facts(lock={"error": "SSH refused"}),
        (
            "the lock at .local/state/lpsigning-mojo/locks/production on stg@bastion cannot "
            "be read: SSH refused"
        ),
        "check your access to the role account that holds it, then resume",
    ),
    (
        "lock",
        facts(lock={"owner": OWNER}),
        (
            "the lock at .local/state/lpsigning-mojo/locks/production on stg@bastion is held "
            "by run run-0 (plan x) by bob@laptop, PID 7, since 2026-01-01 00:00:00 UTC"
        ),
        (
            "resume that run, or wait for it to finish; if it is over, break the lock with "
            "lpsigning-mojo release production --break-lock (an override does not break it)"
        ),
    ),
    (
        "lock",
        facts(lock={"owner": OWNER, "run_id": None}),
        (
            "the lock at .local/state/lpsigning-mojo/locks/production on stg@bastion is held "
            "by run run-0 (plan x) by bob@laptop, PID 7, since 2026-01-01 00:00:00 UTC"
        ),
        (
            "resume that run, or wait for it to finish; if it is over, break the lock with "
            "lpsigning-mojo release production --break-lock (an override does not break it)"
        ),
    ),
    (
        "soak",
        facts(soak={"minutes": 60}),
        (
            "how long staging has run lp-signing revision 89 is not known: no staging release "
            "in the journals here deployed it, and the spec history does not show when it was "
            "pinned"
        ),
        (
            "wait until you know it has run 60 minutes, then override with --override soak "
            "--reason TEXT saying how you know"
        ),
    ),
    (
        "soak",
        facts(soak={"minutes": 60, "since": NOW - 600, "source": "since run r1 upgraded it"}),
        (
            "staging has run lp-signing revision 89 for only 10:00 (since run r1 upgraded "
            "it); the soak is 60 min"
        ),
        "wait 50:00 more, then resume",
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
    assert said == reason
    assert said.count("http://") <= 1
    assert fix is not None
    assert fix == unblock


PASSING = [
    ("spec", facts(), "main is clean and level with origin/main"),
    (
        "spec",
        facts(spec={"fetched": False}),
        "main is clean and level with origin/main (as last fetched)",
    ),
    (
        "spec",
        facts(spec={"ahead": 2}),
        (
            "main is clean and level with origin/main; its 2 local commit(s) go out only if "
            "they are release-only"
        ),
    ),
    (
        "staging-charm",
        facts(),
        (
            "staging runs revision 89 (latest/edge), live; every unit is active and idle "
            "(lp-signing/0, lp-signing/1)"
        ),
    ),
    (
        "staging-charm",
        facts(target={"channel": "edge"}),
        (
            "staging runs revision 89 (latest/edge), live; every unit is active and idle "
            "(lp-signing/0, lp-signing/1)"
        ),
    ),
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
        "production gets build_label b47cc26939ea, what staging runs now",
    ),
    ("staging-health", facts(), "http://staging:8000/service-key: HTTP 200 with a service key"),
    (
        "lock",
        facts(),
        (
            "no release holds the lock at .local/state/lpsigning-mojo/locks/production on "
            "stg@bastion"
        ),
    ),
    (
        "lock",
        facts(lock={"owner": attrs.evolve(OWNER, run_id="run-1")}),
        "this run holds the lock at .local/state/lpsigning-mojo/locks/production on stg@bastion",
    ),
    ("soak", facts(), "no soak time is configured (release.soak-minutes is 0)"),
    (
        "soak",
        facts(soak={"minutes": 60, "since": NOW - 3600, "source": "since run r1 upgraded it"}),
        (
            "staging has run lp-signing revision 89 for 1:00:00 (since run r1 upgraded it); "
            "the soak is 60 min"
        ),
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
    assert said == reason


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


def test_the_facts_are_recorded_whole_for_the_journal() -> None:
    given = facts(lock={"owner": OWNER, "error": "cannot read it"})
    assert given.staging.state is not None
    assert given.staging.health is not None
    assert given.to_json() == {
        "spec": {
            "directory": "spec/lp-signing",
            "local_branch": "main",
            "branch": "main",
            "remote": "origin",
            "remote_branch": "main",
            "tracking_ref": "refs/remotes/origin/main",
            "base": "a" * 40,
            "dirty": [],
            "behind": 0,
            "ahead": 0,
            "fetched": True,
            "pushes": True,
            "error": None,
        },
        "staging": {
            "instance": "staging",
            "state": given.staging.state.to_json(),
            "error": None,
            "url": "http://staging:8000/",
            "health": attrs.asdict(given.staging.health),
        },
        "target": {
            "instance": "production",
            "stage": "production",
            "revision": 89,
            "channel": "latest/edge",
            "build_label": NEW,
            "previous_build_label": OLD,
            "how": "staging",
        },
        "ancestry": {"clone": None, "staging_build_label": None, "ancestor": None, "error": None},
        "lock": {
            "where": LOCK,
            "owner": OWNER.to_json(),
            "run_id": "run-1",
            "error": "cannot read it",
        },
        "soak": {"minutes": 0, "now": NOW, "since": None, "source": None},
    }
    unread = facts(staging={"state": None, "health": None}, lock={"owner": None})
    assert unread.to_json()["staging"]["state"] is None  # type: ignore[index]
    assert unread.to_json()["staging"]["health"] is None  # type: ignore[index]
    assert unread.to_json()["lock"]["owner"] is None  # type: ignore[index]
    assert Target.from_json(given.target.to_json()) == given.target


def test_the_branch_for_the_later_steps_is_recorded_only_when_all_of_it_is_known() -> None:
    assert facts().spec.branch_json() == {
        "local": "main",
        "remote": "origin",
        "remote_branch": "main",
        "tracking_ref": "refs/remotes/origin/main",
        "base": "a" * 40,
    }
    for field in ("local_branch", "remote", "remote_branch", "tracking_ref", "base"):
        assert facts(spec={field: None}).spec.branch_json() is None


def test_a_target_is_described_in_one_line_and_read_back_with_defaults() -> None:
    target = facts().target
    assert target.describe() == "lp-signing revision 89 (latest/edge), build_label b47cc26939ea"
    unknown = attrs.evolve(target, channel=None, build_label=None)
    assert unknown.describe() == "lp-signing revision 89 (no channel), build_label none"
    read = Target.from_json({"instance": "production", "stage": "production", "revision": "89"})
    assert (read.revision, read.channel, read.build_label, read.how) == (None, None, None, "pinned")
