"""The production release against a loopback staging and production: real git, SSH, HTTP.

The World reaches an in-process SSH server playing the staging bastion (which
runs ``upgrade-production``), the lp-signing, Launchpad and Mattermost
stand-ins, a clone of lp-signing and two Deployable stand-in commands; the
clock is fake.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from lpsigning_mojo.commits import parse_message
from lpsigning_mojo.errors import (
    CommandInterruptedError,
    LockHeldError,
    OutcomeUnknown,
    RemoteCommandFailed,
    UsageError,
)
from lpsigning_mojo.external.launchpad import STATUSES
from lpsigning_mojo.release.production import (
    PLAN,
    ProductionOptions,
    file_bug_about,
    release_production,
    resumed_options,
)
from lpsigning_mojo.release.steps import instance_lock
from lpsigning_mojo.runbook import Journal, LockOwner, RunReport, RunStore
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins.ssh import Session
from tests.release.conftest import SPEC_BUG, Console, Production
from tests.release.harness import git, pinned_revision

KEEP = ProductionOptions()


def live(production: Production) -> ProductionOptions:
    """Deploy the payload staging runs, with the clone of lp-signing."""
    return ProductionOptions(build_label="staging", source=str(production.source))


def release(
    production: Production,
    options: ProductionOptions = KEEP,
    *,
    answers: str | None = None,
    yes: bool = True,
    world_changes: dict[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[RunReport, Console]:
    """Release; ``answers`` are typed at a terminal, and ``yes`` is ``--yes``."""
    world, console = production.world(answers=answers, yes=yes)
    if world_changes:
        world = attrs.evolve(world, **world_changes)
    return release_production(world, options, **kwargs), console


def resume(
    production: Production,
    *,
    answers: str | None = None,
    world_changes: dict[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[RunReport, Console]:
    runs = RunStore(production.staging.setup.runs, clock=FakeClock())
    run_id, options = resumed_options(runs, "last")
    return release(
        production, options, answers=answers, world_changes=world_changes, resume=run_id, **kwargs
    )


def journal(production: Production, run_id: str | None) -> Journal:
    assert run_id is not None
    return RunStore(production.staging.setup.runs, clock=FakeClock()).load(run_id)


def last_message(production: Production) -> str:
    return git(production.staging.remote, "log", "-1", "--format=%B", "main")


def remote_label(production: Production) -> object:
    return production.bastion.production_pins()["build_label"]


def successful_changes(production: Production) -> dict[int | None, int]:
    """How many times each bug's status was changed (writes Launchpad accepted)."""
    counts: dict[int | None, int] = {}
    for write in production.launchpad.writes:
        if write.kind == "patch" and write.status == 209:
            counts[write.bug] = counts.get(write.bug, 0) + 1
    return counts


def assert_done(report: RunReport, console: Console) -> None:
    assert (report.status, report.exit_code) == ("done", 0), console.text


# -- a rollout that goes well -----------------------------------------------------------------


def test_a_rollout_of_what_staging_runs_does_every_step_of_the_runbook(
    production: Production,
) -> None:
    production.bastion.build_label = production.head
    report, console = release(production, live(production))
    assert_done(report, console)
    # The payload change: build_label for production, one commit in the spec's format.
    assert remote_label(production) == production.head
    message = parse_message(last_message(production))
    assert message.summary == f"Deploy lp-signing build {production.head[:12]} on production"
    assert message.bugs == (1001, 1002, 1003)
    assert ("Release-Run", report.run_id) in message.trailers
    assert f"production: lp-signing options.build_label: '{production.base}' -> " in message.body
    bundle = git(production.staging.remote, "show", "main:spec/lp-signing/bundle.yaml")
    assert pinned_revision(bundle) == 87
    # Deployable: one request with the release note on stdin, then marked deployed once.
    (requested,) = production.requested()
    assert f"build_label={production.head} revision=87" in requested
    assert "#### lp-signing to production" in requested
    assert "- [LP: #1001]" in requested
    assert "Sign kernels faster" in requested
    (marked,) = production.marked()
    assert "request=Requested for" in marked  # what the request command said
    # One announcement, with the note.
    (post,) = production.chat.delivered
    assert post.channel == "is-outage"
    assert post.text is not None
    assert post.text.startswith("Rolling out lp-signing revision 87 (latest/edge), build_label")
    assert "#### lp-signing to production" in post.text
    # upgrade-production ran once, from the staging role account, and deployed the payload.
    assert production.bastion.production_upgrades == 1
    assert production.bastion.production == {"revision": 87, "build_label": production.head}
    assert production.bastion.upgrades == 0
    # The bugs: Fix Committed ones moved, the multi-step one and the released one left.
    assert successful_changes(production) == {SPEC_BUG: 1, 1001: 1}
    assert production.launchpad.status(1002, "lp-signing") == "Fix Committed"
    text = console.text
    assert "LP: #1002: skipped: it is still open on launchpad (In Progress)" in text
    assert "LP: #1003: already Fix Released" in text
    assert f"LP: #{SPEC_BUG} from spec commit" in text
    assert "LP: #1001 from lp-signing commit" in text
    # Everything recorded; the lock given back; the service never probed with POST.
    run = journal(production, report.run_id)
    assert run.status == "done"
    assert run.outputs("bugs")["moved"] == [SPEC_BUG, 1001]
    note = run.outputs("note")
    assert str(note["path"]).endswith(f"{report.run_id}.release-note.md")
    assert production.staging.service.nonce_requests == 0
    assert production.bastion.lock_holder("production") is None


def test_a_rollout_without_a_payload_change_makes_no_commit(production: Production) -> None:
    before = production.remote_log()
    report, console = release(production)
    assert_done(report, console)
    assert production.remote_log() == before
    for step in ("edit", "commit", "push"):
        assert f"] {step}: skipped (already done)" in console.text
    assert production.bastion.production == {"revision": 87, "build_label": production.base}
    assert len(production.chat.delivered) == 1
    assert successful_changes(production) == {SPEC_BUG: 1}  # the spec commit's bug only


def test_a_dry_run_shows_every_gate_and_step_exactly_and_changes_nothing(
    production: Production,
) -> None:
    production.bastion.build_label = production.head
    head = git(production.staging.clone, "rev-parse", "HEAD")
    before = (production.staging.spec / "bundle.yaml").read_text()
    report, console = release(
        production, live(production), dry_run=True, overrides={"soak": "tested by hand"}
    )
    assert (report.status, report.exit_code) == ("dry-run", 0)
    text = console.text
    for gate in ("spec", "staging-charm", "build-label", "staging-health", "lock", "soak"):
        assert f"passed      {gate}: " in text
    assert f"-      build_label: {production.base}" in text  # the diff
    assert f"+      build_label: {production.head}" in text
    assert f"Deploy lp-signing build {production.head[:12]} on production" in text  # the commit
    assert "LP: #1001, #1002, #1003" in text
    assert "Release-Run: RUN_ID" in text
    assert "git push origin HEAD:refs/heads/main" in text
    assert "**Spec**: the commit this run makes of origin/main" in text  # the note
    assert "deployable-request < " in text
    assert "the announcement:" in text
    assert "command:   sudo -n -iu stg-launchpad-signing -- upgrade-production" in text
    assert "LP: #1001: lp-signing: Fix Committed -> Fix Released" in text
    assert "LP: #1002: skipped: it is still open on launchpad" in text
    assert "deployable-deployed < " in text
    # Nothing changed anywhere.
    assert git(production.staging.clone, "rev-parse", "HEAD") == head
    assert (production.staging.spec / "bundle.yaml").read_text() == before
    assert production.chat.posts == []
    assert production.requested() == production.marked() == []
    assert production.launchpad.writes == []
    assert production.bastion.production_upgrades == 0
    assert production.bastion.lock_holder("production") is None
    assert not production.staging.setup.runs.exists()


def test_an_override_is_shown_in_a_dry_run_as_it_would_be_recorded(production: Production) -> None:
    production.staging.service.mode = "500"
    production.bastion.build_label = production.head
    report, console = release(
        production, live(production), dry_run=True, overrides={"staging-health": "known flake"}
    )
    assert report.exit_code == 0
    assert "overridden  staging-health: " in console.text
    assert "Gate-Override: staging-health overridden by " in console.text
    assert "**Gates overridden**:" in console.text


def test_a_second_rollout_of_the_same_target_repeats_nothing(production: Production) -> None:
    first, _ = release(production)
    assert first.status == "done"
    second, console = release(production)
    assert_done(second, console)
    for step in ("deployable-request", "announce", "upgrade", "deployable-deployed"):
        assert f"] {step}: skipped (already done)" in console.text
    assert len(production.chat.posts) == 1
    assert len(production.requested()) == len(production.marked()) == 1
    assert production.bastion.production_upgrades == 1
    assert successful_changes(production) == {SPEC_BUG: 1}


# -- the gates --------------------------------------------------------------------------------


def test_blocked_gates_stop_the_run_before_anything_and_say_every_result(
    production: Production,
) -> None:
    production.staging.service.mode = "500"
    production.bastion.deployed = 86
    report, console = release(production)
    assert report.exit_code == 1
    assert report.summary is not None
    assert report.summary.stopped_at == "gates"
    assert "2 gates are blocked: staging-charm, staging-health" in str(report.error)
    text = console.text
    assert "blocked     staging-charm: " in text
    assert "blocked     staging-health: " in text
    assert "passed      spec: " in text
    assert "to unblock: deploy revision 87 to staging first" in text
    assert production.chat.posts == []
    assert production.bastion.production_upgrades == 0
    assert production.bastion.lock_holder("production") == report.run_id  # kept for resume
    (note,) = journal(production, report.run_id).notes("gates")
    assert [result["status"] for result in note.data["results"]] == [  # type: ignore[union-attr]
        "passed", "blocked", "passed", "blocked", "passed", "passed",
    ]  # fmt: skip
    # Fixed, then resumed: the same run goes on.
    production.staging.service.mode = "healthy"
    production.bastion.deployed = 87
    resumed, console = resume(production)
    assert_done(resumed, console)
    assert resumed.run_id == report.run_id


def test_build_label_not_in_staging_history_is_blocked(production: Production) -> None:
    source = production.source
    git(source, "checkout", "-q", "-b", "side", production.base)
    (source / "other.py").write_text("x\n")
    git(source, "add", ".")
    git(source, "commit", "-q", "-m", "Never on staging")
    side = git(source, "rev-parse", "HEAD").strip()
    production.bastion.build_label = production.head
    options = ProductionOptions(build_label=side, source=str(source))
    report, console = release(production, options)
    assert report.exit_code == 1
    assert f"build_label {side[:12]} is not an ancestor of what staging runs" in console.text
    assert production.remote_log()[0] == "Tidy the spec"


def test_an_ancestor_of_staging_build_label_passes_with_a_clone(production: Production) -> None:
    middle = git(production.source, "rev-parse", "HEAD~1").strip()
    production.bastion.build_label = production.head
    report, console = release(
        production, ProductionOptions(build_label=middle[:10], source=str(production.source))
    )
    assert_done(report, console)
    assert remote_label(production) == middle  # the short id, resolved in the clone
    assert "is an ancestor of what staging runs" in console.text
    assert parse_message(last_message(production)).bugs == (1001,)


def test_without_a_clone_only_equality_passes_and_it_says_so(production: Production) -> None:
    production.bastion.build_label = production.head
    report, console = release(production, ProductionOptions())  # keeps base: staging moved on
    assert report.exit_code == 1
    assert "without a clone of lp-signing only equality is accepted" in console.text


@pytest.mark.parametrize(
    ("gate", "breaks"),
    [
        ("spec", "dirty"),
        ("staging-charm", "revision"),
        ("build-label", "ancestry"),
        ("staging-health", "health"),
        ("soak", "soak"),
    ],
)
def test_each_override_is_recorded_in_the_journal_and_the_commit(
    production: Production, monkeypatch: pytest.MonkeyPatch, gate: str, breaks: str
) -> None:
    production.bastion.build_label = production.head
    options = live(production)
    if breaks == "dirty":
        (production.staging.spec / "NOTES").write_text("draft\n")
    elif breaks == "revision":
        production.bastion.deployed = 86
    elif breaks == "ancestry":
        options = ProductionOptions(build_label=production.head)  # no clone: equality only
        production.bastion.build_label = git(production.source, "rev-parse", "HEAD~1").strip()
    elif breaks == "health":
        production.staging.service.mode = "500"
    else:
        monkeypatch.setenv("LPSIGNING_MOJO_SOAK_MINUTES", "60")
    blocked, _ = release(production, options)
    assert blocked.exit_code == 1
    assert f": {gate}" in str(blocked.error) or f", {gate}" in str(blocked.error)
    resumed, console = resume(production, overrides={gate: "checked by hand with Bob"})
    assert_done(resumed, console)
    run = journal(production, resumed.run_id)
    (override,) = run.notes("override")
    assert override.data["gate"] == gate
    assert override.data["reason"] == "checked by hand with Bob"
    assert override.data["by"]
    assert f"overridden  {gate}: " in console.text
    trailers = dict(parse_message(last_message(production)).trailers)
    assert trailers["Gate-Override"].startswith(f"{gate} overridden by {override.data['by']} on ")
    assert trailers["Gate-Override"].endswith(": checked by hand with Bob")
    assert "**Gates overridden**:" in (production.chat.delivered[0].text or "")


def test_the_lock_cannot_be_overridden(production: Production) -> None:
    with pytest.raises(UsageError, match="--break-lock"):
        release(production, overrides={"lock": "it is mine"})


def hold_lock(production: Production) -> LockOwner:
    world, _ = production.world()
    owner = LockOwner(
        run_id="20251231T235900Z-0ther1", user="bob", host="laptop", pid=4242,
        started=FakeClock.EPOCH, plan=PLAN,
    )  # fmt: skip
    instance_lock(world, world.spec.instance("production")).acquire(owner)
    return owner


def test_a_release_in_progress_blocks_another(production: Production) -> None:
    hold_lock(production)
    dry, console = release(production, dry_run=True)
    assert dry.exit_code == 0
    assert "blocked     lock: the lock at .local/state/lpsigning-mojo/locks/production" in (
        console.text
    )
    assert "by bob@laptop" in console.text
    with pytest.raises(LockHeldError):
        release(production)
    assert not production.staging.setup.runs.exists()
    assert production.chat.posts == []


def test_the_soak_comes_from_the_journals_of_staging_releases(
    production: Production, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpsigning_mojo.release.staging import StagingOptions, release_staging

    world, console = production.world()
    staged = release_staging(world, StagingOptions(latest=True))
    assert staged.status == "done", console.text
    production.bastion.build_label = production.base
    monkeypatch.setenv("LPSIGNING_MOJO_SOAK_MINUTES", "30")
    _, console = release(production, dry_run=True)
    assert "blocked     soak: staging has run lp-signing revision 89 for only 00:" in console.text
    assert f"since run {staged.run_id} upgraded it" in console.text
    production.clock.sleep(30 * 60)
    report, console = release(production)
    assert_done(report, console)
    assert "passed      soak: staging has run lp-signing revision 89 for 30:" in console.text
    assert production.bastion.production == {"revision": 89, "build_label": production.base}


# -- the announcement and Deployable ----------------------------------------------------------


def test_an_announcement_that_may_have_been_posted_is_not_posted_again_unasked(
    production: Production,
) -> None:
    production.chat.queue("reset")  # the post arrives, the answer is lost
    report, console = release(production)
    assert report.exit_code == OutcomeUnknown.exit_code
    assert report.summary is not None
    assert (report.status, report.summary.stopped_at) == ("unknown", "announce")
    assert "may or may not have been posted" in str(report.error)
    assert production.chat.hook_key not in console.text  # the hook URL is never shown
    assert production.bastion.production_upgrades == 0
    no_one, _ = resume(production)  # --yes, no terminal: nobody to ask
    assert "needs an answer from a person at a terminal" in str(no_one.error)
    resumed, console = resume(production, answers="1\n")  # it is in the channel
    assert_done(resumed, console)
    assert "What happened to step announce?" in console.asked.getvalue()
    assert len(production.chat.posts) == 1
    assert production.bastion.production_upgrades == 1


def test_an_unknown_announcement_can_be_posted_again_when_the_person_says_so(
    production: Production,
) -> None:
    production.chat.queue("reset")
    release(production)
    resumed, console = resume(production, answers="2\n")
    assert_done(resumed, console)
    assert len(production.chat.posts) == 2


def test_another_run_asks_about_an_announcement_a_stopped_run_left_unknown(
    production: Production,
) -> None:
    production.chat.queue("reset")
    first, _ = release(production)
    assert first.status == "unknown"
    second, console = release(production, answers="1\n", break_lock=True)
    assert_done(second, console)
    assert "run " + str(first.run_id) in console.text
    assert len(production.chat.posts) == 1


def test_a_refused_announcement_stops_and_the_resume_posts_it_once(production: Production) -> None:
    production.chat.queue("403")
    report, _ = release(production)
    assert report.exit_code == 1
    assert "Mattermost refused the message (HTTP 403" in str(report.error)
    resumed, console = resume(production)
    assert_done(resumed, console)
    assert len(production.chat.delivered) == 1


def test_without_a_webhook_the_announcement_is_printed_and_confirmed(
    production: Production,
) -> None:
    report, console = release(production, world_changes={"chat": None})
    assert_done(report, console)
    assert "Post this in ~is-outage:" in console.text
    assert "Have you posted the announcement in ~is-outage? [y/N] yes (--yes)" in (
        console.asked.getvalue()
    )
    assert production.chat.posts == []
    (confirmed,) = [
        note
        for note in journal(production, report.run_id).notes("confirmation")
        if "announcement" in str(note.data["question"])
    ]
    assert confirmed.data["how"] == "--yes"


def test_without_deployable_commands_the_note_and_url_are_shown_and_confirmed(
    production: Production, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LPSIGNING_MOJO_DEPLOYABLE_REQUEST_COMMAND")
    monkeypatch.delenv("LPSIGNING_MOJO_DEPLOYABLE_DEPLOYED_COMMAND")
    report, console = release(production, answers="y\ny\ny\n", yes=False)
    assert_done(report, console)
    assert "Do this by hand on https://deployable.example/lp-signing." in console.text
    asked = console.asked.getvalue()
    assert "Have you created the deployment request on Deployable for this rollout?" in asked
    assert "Have you marked the deployment request on Deployable as deployed?" in asked
    assert production.requested() == production.marked() == []


def test_a_declined_confirmation_stops_and_resume_asks_again(production: Production) -> None:
    report, _ = release(production, world_changes={"chat": None}, answers="n\nn\n", yes=False)
    assert report.summary is not None
    assert report.summary.stopped_at == "announce"
    assert "was answered no" in str(report.error)
    resumed, console = resume(production, world_changes={"chat": None})
    assert_done(resumed, console)


def test_a_failing_deployable_command_stops_and_runs_again_on_resume(
    production: Production, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = production.staging.work / "bin" / "failing"
    failing.write_text("#!/bin/sh\necho 'deployable: 503 Service Unavailable' >&2\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setenv("LPSIGNING_MOJO_DEPLOYABLE_REQUEST_COMMAND", str(failing))
    report, _ = release(production)
    assert report.exit_code == 1
    assert "failing failed (exit status 3): deployable: 503 Service Unavailable" in str(
        report.error
    )
    assert production.chat.posts == []
    monkeypatch.setenv(
        "LPSIGNING_MOJO_DEPLOYABLE_REQUEST_COMMAND",
        str(production.staging.work / "bin" / "deployable-request"),
    )
    resumed, console = resume(production)
    assert_done(resumed, console)
    assert len(production.requested()) == 1


# -- upgrade-production -----------------------------------------------------------------------


def dropped(production: Production) -> RunReport:
    """A run whose connection dropped while upgrade-production ran (it deployed meanwhile)."""

    def upgrade(session: Session) -> None:
        session.out("Running Mojo on is-bastion-il3-not-ps5.internal: lp-signing/production\n")
        production.bastion.production = production.bastion.production_pins()
        session.drop()

    production.bastion.production_upgrade = upgrade
    report, _ = release(production)
    assert report.exit_code == OutcomeUnknown.exit_code
    assert report.summary is not None
    assert (report.status, report.summary.stopped_at) == ("unknown", "upgrade")
    production.bastion.production_upgrade = production.bastion.deploy_production
    return report


def test_a_dropped_connection_during_upgrade_production_is_outcome_unknown(
    production: Production,
) -> None:
    report = dropped(production)
    assert "whether it succeeded is unknown" in str(report.error)
    resumed, _ = resume(production)  # no terminal: the question cannot be answered
    assert resumed.status == "failed"
    assert "needs an answer from a person at a terminal" in str(resumed.error)
    assert production.bastion.production_upgrades == 1
    # The question comes first: nothing after the upgrade has happened.
    assert successful_changes(production) == {}
    assert production.marked() == []


def test_the_resume_asks_what_happened_then_goes_on(production: Production) -> None:
    dropped(production)
    resumed, console = resume(production, answers="1\n")
    assert_done(resumed, console)
    text = console.text
    assert "The last attempt at step upgrade may or may not have taken effect" in text
    assert "production cannot be read from here: ask IS" in text
    assert text.index("may or may not have taken effect") < text.index("] publisher-logs:")
    assert "lpsigning-mojo status production" not in text  # it would show pins only
    assert "Upgrade: counted as done: you said it ran to its end." in text
    assert production.bastion.production_upgrades == 1
    assert len(production.chat.posts) == 1


def test_the_resume_runs_it_again_only_when_told(production: Production) -> None:
    dropped(production)
    resumed, console = resume(production, answers="2\n")
    assert_done(resumed, console)
    assert production.bastion.production_upgrades == 2
    assert len(production.chat.posts) == 1


def test_a_failed_upgrade_production_stops_and_offers_to_file_a_bug(
    production: Production,
) -> None:
    def failing(session: Session) -> None:
        session.out("ERROR juju-check-wait: lp-signing/1 is in error\n")
        session.exit(2)

    production.bastion.production_upgrade = failing
    report, console = release(production, answers="y\n", yes=False)
    assert report.exit_code == RemoteCommandFailed.exit_code
    assert "upgrade-production failed" in str(report.error)
    assert "File a bug on lp-signing now" in console.asked.getvalue()
    (filed,) = [write for write in production.launchpad.writes if write.kind == "createBug"]
    assert "stopped at step upgrade" in str(filed.fields["title"])
    assert "ERROR juju-check-wait: lp-signing/1 is in error" in str(filed.fields["description"])
    assert filed.fields["tags"] == ["deployment"]
    (note,) = journal(production, report.run_id).notes("bug-filed")
    assert str(note.data["url"]).endswith(f"/bugs/{filed.bug}")


# -- the publisher logs -----------------------------------------------------------------------


def test_problems_in_the_publisher_logs_stop_before_the_bugs(production: Production) -> None:
    report, console = release(production, answers="n\nn\n", yes=False)
    assert report.summary is not None
    assert report.summary.stopped_at == "publisher-logs"
    assert "lp.services.signing" in console.text
    assert "--file-bug TITLE" in str(report.error)
    assert successful_changes(production) == {}
    assert production.marked() == []
    assert production.launchpad.writes == []  # the offer to file a bug was declined


# -- Launchpad --------------------------------------------------------------------------------


def name_bugs(production: Production, *numbers: int) -> None:
    """A spec commit since production's last release that names ``numbers``."""
    clone = production.staging.clone
    lines = ", ".join(f"#{number}" for number in numbers)
    git(clone, "commit", "-q", "--allow-empty", "-m", f"Fix things\n\nLP: {lines}")
    git(clone, "push", "-q")


def test_only_bugs_fix_committed_on_lp_signing_are_released(production: Production) -> None:
    numbers = {status: 3000 + index for index, status in enumerate(STATUSES)}
    for status, number in numbers.items():
        production.launchpad.add_bug(number, tasks={"lp-signing": status})
    production.launchpad.add_bug(3100, tasks={"lp-signing": "Fix Committed", "ubuntu": "Invalid"})
    production.launchpad.add_bug(3101, tasks={"launchpad": "Fix Committed"})
    name_bugs(production, *numbers.values(), 3100, 3101, 424242)
    report, console = release(production)
    assert_done(report, console)
    assert successful_changes(production) == {SPEC_BUG: 1, numbers["Fix Committed"]: 1, 3100: 1}
    for status, number in numbers.items():
        if status == "Fix Released":
            assert f"LP: #{number}: already Fix Released" in console.text
        elif status != "Fix Committed":
            assert f"LP: #{number}: skipped: its lp-signing task is {status}, not " in console.text
        assert production.launchpad.status(number, "lp-signing") == (
            "Fix Released" if status == "Fix Committed" else status
        )
    assert "LP: #3101: skipped: it has no lp-signing task (its tasks: launchpad)" in console.text
    assert "LP: #424242: skipped: Launchpad does not show it" in console.text


def test_one_bug_failing_does_not_stop_the_others_and_resume_finishes_it(
    production: Production,
) -> None:
    production.launchpad.add_bug(4001)
    production.launchpad.add_bug(4002)
    name_bugs(production, 4001, 4002)
    production.launchpad.fail_writes[4001] = 500
    report, console = release(production)
    assert report.exit_code == 1
    assert report.summary is not None
    assert report.summary.stopped_at == "bugs"
    assert "1 bug(s) could not be changed on Launchpad: LP: #4001" in str(report.error)
    assert successful_changes(production) == {SPEC_BUG: 1, 4002: 1}
    assert production.marked() == []
    del production.launchpad.fail_writes[4001]
    resumed, console = resume(production)
    assert_done(resumed, console)
    assert successful_changes(production) == {SPEC_BUG: 1, 4001: 1, 4002: 1}
    assert f"LP: #{SPEC_BUG}: already Fix Released" in console.text


def test_without_launchpad_credentials_the_bugs_are_moved_by_hand(
    production: Production,
) -> None:
    production.staging.setup.launchpad_credentials = None
    report, console = release(production)
    assert_done(report, console)
    assert "Set the lp-signing task of each of these bugs to Fix Released:" in console.text
    assert f"LP: #{SPEC_BUG} https://bugs.launchpad.net/bugs/{SPEC_BUG}" in console.text
    assert production.launchpad.writes == []


# -- filing a bug about a run -----------------------------------------------------------------


def test_file_bug_files_once_with_the_journal_excerpt_and_records_its_url(
    production: Production,
) -> None:
    report, _ = release(production)
    world, _ = production.world()
    url = file_bug_about(world, None, "Signing slower after the rollout")
    (filed,) = [write for write in production.launchpad.writes if write.kind == "createBug"]
    assert filed.fields["title"] == "Signing slower after the rollout"
    assert filed.fields["tags"] == ["deployment"]
    description = str(filed.fields["description"])
    assert f"run {report.run_id}" in description
    assert "upgrade              done" in description
    assert "The last lines of " in description
    assert url is not None
    assert url.endswith(f"/bugs/{filed.bug}")
    (note,) = journal(production, report.run_id).notes("bug-filed")
    assert note.data["url"] == url
    again = file_bug_about(world, report.run_id, "Signing slower after the rollout")
    assert again == url
    assert len([w for w in production.launchpad.writes if w.kind == "createBug"]) == 1


def test_file_bug_dry_run_shows_it_and_files_nothing(production: Production) -> None:
    release(production)
    world, console = production.world()
    assert file_bug_about(world, "last", "Problem", dry_run=True) is None
    assert "would file a bug on lp-signing about run" in console.text
    assert "tags:  deployment" in console.text
    assert production.launchpad.writes[-1].kind == "patch"  # only the release's own


def test_ctrl_c_while_the_gates_read_staging_stops_the_run_as_interrupted(
    production: Production,
) -> None:
    class Interrupted:
        def deployed_state(self, application: str) -> object:
            raise CommandInterruptedError(
                "'juju config' on the bastion was interrupted after 0s",
                command="juju config",
                stopped=True,
            )

    before = production.remote_log()
    report, console = release(
        production, live(production), world_changes={"juju": lambda instance: Interrupted()}
    )
    # Not "failed: 2 gates are blocked": the person pressed Ctrl-C, and the run says so.
    assert (report.status, report.exit_code) == ("interrupted", 130), console.text
    assert "gates are blocked" not in console.text
    assert journal(production, report.run_id).status == "interrupted"
    assert production.remote_log() == before
