"""The staging release against a loopback staging: real git, SSH, HTTP; a fake clock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, NoReturn

import attrs
import pytest

from lpsigning_mojo.commits import parse_message
from lpsigning_mojo.errors import (
    CommandInterruptedError,
    LockHeldError,
    OutcomeUnknown,
    RemoteCommandFailed,
    ResumeMismatchError,
    SSHConnectError,
)
from lpsigning_mojo.release.staging import (
    PLAN,
    StagingOptions,
    release_staging,
    resumed_options,
    staging_plan,
)
from lpsigning_mojo.release.steps import Upgrade, instance_lock
from lpsigning_mojo.release.world import Runners, Waits
from lpsigning_mojo.remote import OutputLine
from lpsigning_mojo.runbook import (
    Journal,
    LockOwner,
    Progress,
    RunReport,
    RunStore,
    StreamReporter,
)
from lpsigning_mojo.runbook import Session as RunSession
from lpsigning_mojo.testing import FakeClock
from lpsigning_mojo.testing.standins import free_port
from lpsigning_mojo.testing.standins.ssh import Session
from tests.release.conftest import Console, Staging
from tests.release.harness import commits_of_run, git, pinned_revision

LATEST = StagingOptions(latest=True)
BUG = 2034567


def release(
    staging: Staging,
    options: StagingOptions = LATEST,
    *,
    world_changes: dict[str, Any] | None = None,
    answers: str | None = None,
    **kwargs: Any,
) -> tuple[RunReport, Console]:
    world, console = staging.world(answers=answers)
    if world_changes:
        world = attrs.evolve(world, **world_changes)
    return release_staging(world, options, **kwargs), console


def resume(
    staging: Staging, *, answers: str | None = None, world_changes: dict[str, Any] | None = None
) -> tuple[RunReport, Console]:
    run_id, options = resumed_options(RunStore(staging.setup.runs, clock=FakeClock()), "last")
    return release(staging, options, answers=answers, world_changes=world_changes, resume=run_id)


def journal(staging: Staging, run_id: str | None) -> Journal:
    assert run_id is not None
    return RunStore(staging.setup.runs, clock=FakeClock()).load(run_id)


def remote_bundle(staging: Staging) -> str:
    return git(staging.remote, "show", "main:spec/lp-signing/bundle.yaml")


class GitThat:
    """The spec repository's git, with something happening after one of its calls."""

    def __init__(self, inner: Any, after: str, action: Any) -> None:
        self.inner, self.after, self.action = inner, after, action

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name != self.after:
            return method

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            self.action()
            return result

        return wrapped


# -- a release that goes well ---------------------------------------------------------------


def test_a_release_pins_commits_pushes_upgrades_and_checks_staging(staging: Staging) -> None:
    staging.launchpad.add_bug(BUG, title="Kernel signing times out")
    before = (staging.spec / "bundle.yaml").read_text()
    report, console = release(staging, StagingOptions(latest=True, bugs=(BUG,)))
    assert (report.status, report.exit_code) == ("done", 0), console.text
    # The bundle changed by exactly the revision, and that is what the remote has.
    after = before.replace("    revision: 87\n", "    revision: 89\n", 1)
    assert (staging.spec / "bundle.yaml").read_text() == after
    assert remote_bundle(staging) == after
    # One commit, in the spec's format, naming the bug and the run.
    message = parse_message(git(staging.remote, "log", "-1", "--format=%B", "main"))
    assert message.summary == "Upgrade lp-signing charm to revision 89 on staging"
    assert message.bugs == (BUG,)
    assert ("Release-Run", report.run_id) in message.trailers
    assert "production: lp-signing revision: 87 -> 89" in message.body
    assert "staging: lp-signing revision: 87 -> 89" in message.body
    assert staging.remote_log()[1:] == ["Start the spec"]
    # upgrade-staging ran once, as the role account, and staging runs what was pushed.
    assert staging.bastion.upgrades == 1
    assert staging.bastion.deployed == 89
    assert staging.bastion.lock_holder() is None
    assert staging.service.nonce_requests == 0
    text = console.text
    assert "Kernel signing times out [lp-signing: Fix Committed]" in text
    assert "lp-signing runs revision 89; every unit is active and idle" in text
    assert "Status: done" in text
    run = journal(staging, report.run_id)
    assert run.status == "done"
    log = Path(str(run.outputs("upgrade")["log"]))
    assert "lp-signing is at revision 89" in log.read_text()


def test_a_dry_run_shows_every_step_exactly_and_changes_nothing(staging: Staging) -> None:
    head = git(staging.clone, "rev-parse", "HEAD")
    before = (staging.spec / "bundle.yaml").read_text()

    def refuse(environment: object) -> NoReturn:
        raise AssertionError(f"a dry run asked for a runner for {environment}")

    report, console = release(
        staging,
        StagingOptions(revision=89, bugs=(BUG,)),
        world_changes={"runners": Runners(refuse)},
        dry_run=True,
    )
    assert (report.status, report.exit_code) == ("dry-run", 0)
    text = console.text
    assert "-    revision: 87\n    +    revision: 89" in text
    assert "stages whose bundle changes: staging, devel, production" in text
    assert "Upgrade lp-signing charm to revision 89 on staging" in text
    assert f"LP: #{BUG}" in text
    assert "git push origin HEAD:refs/heads/main" in text
    assert "command:   sudo -n -iu stg-launchpad-signing -- upgrade-staging" in text
    assert "/service-key until it answers 200 with a service key 3 times in a row" in text
    assert "until lp-signing runs revision 89 and every unit is active and idle" in text
    # Nothing anywhere: no commit, no push, no lock, no SSH, no journal, no edit.
    assert git(staging.clone, "rev-parse", "HEAD") == head
    assert staging.remote_log() == ["Start the spec"]
    assert (staging.spec / "bundle.yaml").read_text() == before
    assert staging.server.connections == 0
    assert not staging.setup.runs.exists()


def test_a_second_release_of_the_same_revision_only_checks(staging: Staging) -> None:
    first, _ = release(staging)
    assert first.status == "done"
    second, console = release(staging)
    assert (second.status, second.exit_code) == ("done", 0), console.text
    for step in ("edit", "commit", "push", "upgrade"):
        assert f"] {step}: skipped (already done)" in console.text
    assert staging.bastion.upgrades == 1
    assert len(commits_of_run(staging.clone, str(first.run_id))) == 1
    assert commits_of_run(staging.clone, str(second.run_id)) == []


def test_a_revision_already_pinned_but_never_deployed_is_deployed(staging: Staging) -> None:
    report, console = release(staging, StagingOptions(revision=87))
    assert report.status == "done", console.text
    assert staging.remote_log() == ["Start the spec"]
    assert staging.bastion.upgrades == 1
    assert "] edit: skipped (already done)" in console.text


def test_force_pins_a_revision_without_asking_charmhub(staging: Staging) -> None:
    staging.charmhub.inject("500", "500", "500", "500")
    report, console = release(staging, StagingOptions(revision=86, force=True))
    assert report.status == "done", console.text
    assert pinned_revision(remote_bundle(staging)) == 86
    assert staging.charmhub.requests == []
    message = git(staging.remote, "log", "-1", "--format=%B", "main")
    assert "not checked against Charmhub (--force)" in " ".join(message.split())


def test_bugs_come_from_the_lp_signing_clone_since_a_revision(staging: Staging) -> None:
    source = staging.work / "lp-signing"
    git(staging.work, "init", "-q", str(source))
    (source / "a").write_text("1")
    git(source, "add", "a")
    git(source, "commit", "-q", "-m", "Old fix\n\nLP: #1000")
    since = git(source, "rev-parse", "HEAD").strip()
    for number, text in enumerate(["Fix signing\n\nLP: #1001, #1002", "Tidy\n\nlp: #1001"]):
        (source / "a").write_text(str(number))
        git(source, "commit", "-q", "-am", text)
    for bug in (1001, 1002):
        staging.launchpad.add_bug(bug)
    options = StagingOptions(latest=True, bugs=(1002,), source=str(source), since=since)
    report, console = release(staging, options)
    assert report.status == "done", console.text
    message = parse_message(git(staging.remote, "log", "-1", "--format=%B", "main"))
    assert message.bugs == (1002, 1001)
    assert "LP: #1001 (from commit" in console.text


def test_an_unreachable_launchpad_costs_one_warning(staging: Staging) -> None:
    staging.setup.launchpad_url = f"http://127.0.0.1:{free_port()}/"
    report, console = release(staging, StagingOptions(latest=True, bugs=(1, 2, 3)))
    assert report.status == "done", console.text
    warnings = journal(staging, report.run_id).outputs("bugs")["warnings"]
    assert isinstance(warnings, list)
    assert len(warnings) == 1
    assert "the bugs were not checked" in warnings[0]
    assert parse_message(git(staging.remote, "log", "-1", "--format=%B", "main")).bugs == (1, 2, 3)


# -- bad input and failures: a clear sentence, the exit status, where it stopped ------------


def assert_stopped(
    staging: Staging, report: RunReport, step: str, status: str, *words: str
) -> Journal:
    assert report.summary is not None
    assert (report.status, report.summary.stopped_at) == (status, step)
    assert report.error is not None
    for word in words:
        assert word in report.error
    run = journal(staging, report.run_id)
    assert run.status == status
    state = run.state(step)
    assert state is not None
    assert state.outcome == status
    return run


def test_an_unknown_revision_stops_at_target(staging: Staging) -> None:
    report, console = release(staging, StagingOptions(revision=95))
    assert report.exit_code == 1
    assert_stopped(staging, report, "target", "failed", "revision 95 of lp-signing is not released")
    assert "Resume it with: lpsigning-mojo release staging --resume" in console.text
    assert staging.remote_log() == ["Start the spec"]
    assert staging.bastion.upgrades == 0
    assert staging.bastion.lock_holder() == report.run_id  # kept for the resume


def test_a_dry_run_of_a_resume_shows_the_rest(staging: Staging) -> None:
    staging.bastion.upgrade = failing
    report, _ = release(staging)
    world, console = staging.world()
    again = release_staging(world, LATEST, resume="last", dry_run=True)
    assert (again.status, again.run_id) == ("dry-run", report.run_id)
    assert "[6/9] push: would be skipped (done in run" in console.text
    assert "[7/9] upgrade: Run upgrade-staging as" in console.text
    assert staging.bastion.upgrades == 1
    assert journal(staging, report.run_id).status == "failed"  # untouched


def test_a_dirty_tree_stops_at_preflight_and_resumes_once_clean(staging: Staging) -> None:
    (staging.spec / "notes.txt").write_text("draft\n")
    report, _ = release(staging)
    assert report.exit_code == 1
    assert_stopped(staging, report, "preflight", "failed", "not committed", "notes.txt")
    (staging.spec / "notes.txt").unlink()
    resumed, console = resume(staging)
    assert resumed.status == "done", console.text
    assert resumed.run_id == report.run_id


def test_a_remote_ahead_stops_at_preflight(staging: Staging) -> None:
    staging.someone_else_pushes()
    report, _ = release(staging)
    assert report.exit_code == 1
    assert_stopped(staging, report, "preflight", "failed", "1 commit behind origin/main")
    assert staging.remote_log()[0] == "Change README.md"


def test_a_rejected_push_is_a_clear_error_and_resume_rebases(staging: Staging) -> None:
    world, _ = staging.world()
    moved = GitThat(world.git, "commit", staging.someone_else_pushes)
    report, _ = release(staging, world_changes={"git": moved})
    assert report.exit_code == 1
    assert_stopped(staging, report, "push", "failed", "rejected because the remote branch moved on")
    resumed, console = resume(staging)
    assert resumed.status == "done", console.text
    assert "origin/main moved on: rebasing onto it." in console.text
    assert staging.remote_log() == [
        "Upgrade lp-signing charm to revision 89 on staging",
        "Change README.md",
        "Start the spec",
    ]
    assert len(commits_of_run(staging.clone, str(report.run_id))) == 1
    assert staging.bastion.upgrades == 1


def test_a_rebase_that_conflicts_is_aborted_and_pushes_nothing(staging: Staging) -> None:
    world, _ = staging.world()
    other = remote_bundle(staging).replace("    revision: 87\n", "    revision: 88\n", 1)

    def pin_88() -> None:
        staging.someone_else_pushes("spec/lp-signing/bundle.yaml", other)

    report, _ = release(staging, world_changes={"git": GitThat(world.git, "commit", pin_88)})
    assert report.status == "failed"
    resumed, _ = resume(staging)
    assert_stopped(staging, resumed, "push", "failed", "conflicts", "the rebase was aborted")
    assert pinned_revision(remote_bundle(staging)) == 88
    assert staging.bastion.upgrades == 0


def test_a_change_that_is_not_release_only_stops_before_pushing(staging: Staging) -> None:
    (staging.clone / "README.md").write_text("local notes\n")
    git(staging.clone, "add", "README.md")
    git(staging.clone, "commit", "-q", "-m", "Local notes")
    report, console = release(staging)
    assert report.exit_code == 1
    assert_stopped(
        staging, report, "push", "failed", "not release-only", "README.md", "propose it for merging"
    )
    assert "not on origin/main" in console.text  # preflight said so
    assert staging.remote_log() == ["Start the spec"]
    assert staging.bastion.upgrades == 0


def test_an_unreachable_bastion_stops_before_anything(staging: Staging) -> None:
    staging.server.close()
    with pytest.raises(SSHConnectError):
        release(staging)
    assert not staging.setup.runs.exists()
    assert staging.remote_log() == ["Start the spec"]


def test_a_bastion_lost_before_the_upgrade_stops_there(staging: Staging) -> None:
    world, _ = staging.world()
    report, _ = release(
        staging, world_changes={"git": GitThat(world.git, "push", staging.server.close)}
    )
    assert report.exit_code == SSHConnectError.exit_code
    assert_stopped(staging, report, "upgrade", "failed", "127.0.0.1")
    assert staging.remote_log()[0] == "Upgrade lp-signing charm to revision 89 on staging"
    assert staging.bastion.upgrades == 0


def failing(session: Session) -> None:
    session.out("Running Mojo for lp-signing/staging\n")
    session.out("ERROR juju-check-wait: lp-signing/1 is in error\n")
    session.exit(2)


def test_upgrade_staging_failing_stops_there_and_resume_runs_it_again(staging: Staging) -> None:
    staging.bastion.upgrade = failing
    report, console = release(staging)
    assert report.exit_code == RemoteCommandFailed.exit_code
    assert_stopped(staging, report, "upgrade", "failed", "upgrade-staging failed", "status 2")
    assert "ERROR juju-check-wait: lp-signing/1 is in error" in console.err.getvalue()
    staging.bastion.upgrade = staging.bastion.deploy
    resumed, console = resume(staging)
    assert resumed.status == "done", console.text
    assert staging.bastion.upgrades == 2


def lost_after_deploying(session: Session) -> None:
    session.out("Running Mojo for lp-signing/staging\n")
    session.out("Deploying\n")
    session.drop()


@pytest.fixture
def unknown(staging: Staging) -> RunReport:
    """A run whose connection dropped while upgrade-staging ran (it deployed meanwhile)."""

    def upgrade(session: Session) -> None:
        staging.bastion.deployed = staging.bastion.remote_pin()
        lost_after_deploying(session)

    staging.bastion.upgrade = upgrade
    report, _ = release(staging)
    assert report.exit_code == OutcomeUnknown.exit_code
    assert_stopped(staging, report, "upgrade", "unknown", "whether it succeeded is unknown")
    staging.bastion.upgrade = staging.bastion.deploy
    return report


def test_an_unknown_outcome_is_never_retried_without_a_person(
    staging: Staging, unknown: RunReport
) -> None:
    resumed, _ = resume(staging)  # --yes, no terminal
    assert resumed.status == "failed"
    assert "needs an answer from a person at a terminal" in str(resumed.error)
    state = journal(staging, resumed.run_id).unresolved("upgrade")
    assert state is not None  # still to be answered, by the next resume
    assert staging.bastion.upgrades == 1


def test_an_unknown_outcome_asks_and_it_completed(staging: Staging, unknown: RunReport) -> None:
    resumed, console = resume(staging, answers="1\n")
    assert resumed.status == "done", console.text
    assert "What happened to step upgrade?" in console.asked.getvalue()
    assert staging.bastion.upgrades == 1
    notes = journal(staging, resumed.run_id).notes("answer")
    assert notes[-1].data["answer"] == "it completed"


def test_an_unknown_outcome_asks_and_runs_it_again(staging: Staging, unknown: RunReport) -> None:
    resumed, console = resume(staging, answers="2\n")
    assert resumed.status == "done", console.text
    assert staging.bastion.upgrades == 2


class CtrlC(StreamReporter):
    """Ctrl-C at the first line of remote output."""

    def progress(self, label: str) -> Progress:
        shown = super().progress(label)

        def line(output: OutputLine) -> None:
            raise KeyboardInterrupt

        shown.line = line  # type: ignore[method-assign]
        return shown


def test_ctrl_c_during_upgrade_staging_stops_it_and_resume_asks(staging: Staging) -> None:
    closed = threading.Event()

    def upgrade(session: Session) -> None:
        session.out("Running Mojo for lp-signing/staging\n")
        if session.wait_closed(30):
            closed.set()

    staging.bastion.upgrade = upgrade
    world, console = staging.world()
    reporter = CtrlC(clock=staging.clock, out=console.out, err=console.err, tty=False)
    report = release_staging(attrs.evolve(world, reporter=reporter), LATEST)
    assert report.exit_code == CommandInterruptedError.exit_code
    assert_stopped(staging, report, "upgrade", "interrupted", "was interrupted", "pty hung up")
    assert closed.wait(10)  # the hang-up reached the bastion
    assert staging.bastion.lock_holder() == report.run_id
    staging.bastion.upgrade = staging.bastion.deploy
    resumed, console = resume(staging, answers="2\n")
    assert resumed.status == "done", console.text
    assert staging.bastion.upgrades == 2


def test_a_service_never_healthy_stops_at_verify(staging: Staging) -> None:
    staging.service.mode = "500"
    report, _ = release(staging)
    assert report.exit_code == 1
    assert_stopped(
        staging, report, "verify", "failed", "was not healthy 3 times in a row within 300 s"
    )
    staging.service.mode = "healthy"
    resumed, _ = resume(staging)
    assert resumed.status == "done"
    assert staging.bastion.upgrades == 1


def test_staging_not_running_the_target_stops_at_verify(staging: Staging) -> None:
    def nothing(session: Session) -> None:
        session.out("nothing to do\n")
        session.exit(0)

    staging.bastion.upgrade = nothing
    report, _ = release(staging)
    assert_stopped(
        staging,
        report,
        "verify",
        "failed",
        "does not run what was released",
        "lp-signing runs revision 87, not 89",
    )


def test_units_still_executing_are_waited_for(staging: Staging) -> None:
    staging.bastion.agent = "executing"
    staging.clock.on_sleep = lambda seconds: setattr(
        staging.bastion, "agent", "idle" if staging.clock.now > 40 else "executing"
    )
    report, console = release(staging)
    assert report.status == "done", console.text
    assert "Not settled yet: the agent of unit lp-signing/0 is executing, not idle" in console.text


def test_units_that_never_settle_stop_at_verify(staging: Staging) -> None:
    staging.bastion.agent = "lost"
    report, _ = release(staging, world_changes={"waits": Waits(settle_timeout=60.0)})
    assert_stopped(
        staging,
        report,
        "verify",
        "failed",
        "did not settle on revision 89 within 60 s",
        "the agent of unit lp-signing/1 is lost",
    )


def test_a_bug_that_does_not_exist_is_a_warning_in_the_journal(staging: Staging) -> None:
    report, console = release(staging, StagingOptions(latest=True, bugs=(424242,)))
    assert (report.status, report.exit_code) == ("done", 0)
    assert "Launchpad has no bug #424242, or it is private" in console.err.getvalue()
    warnings = journal(staging, report.run_id).outputs("bugs")["warnings"]
    assert isinstance(warnings, list)
    assert "#424242" in warnings[0]


# -- the lock ----------------------------------------------------------------------------------


def hold_lock(staging: Staging, run_id: str = "20251231T235900Z-0ther1") -> LockOwner:
    world, _ = staging.world()
    owner = LockOwner(
        run_id=run_id, user="bob", host="laptop", pid=4242, started=FakeClock.EPOCH, plan=PLAN
    )
    instance_lock(world, world.spec.instance("staging")).acquire(owner)
    return owner


def test_a_held_lock_refuses_a_second_run_naming_its_owner(staging: Staging) -> None:
    hold_lock(staging)
    with pytest.raises(LockHeldError) as raised:
        release(staging)
    assert "held by run 20251231T235900Z-0ther1 (plan release-staging) by bob@laptop" in str(
        raised.value
    )
    assert not staging.setup.runs.exists()
    assert staging.remote_log() == ["Start the spec"]


def test_a_stale_lock_is_broken_with_break_lock_and_recorded(staging: Staging) -> None:
    owner = hold_lock(staging)
    report, console = release(staging, break_lock=True)
    assert report.status == "done", console.text
    assert "held by run 20251231T235900Z-0ther1" in console.text
    broken = journal(staging, report.run_id).notes("lock-broken")
    assert broken[0].data["owner"] == owner.to_json()


def test_two_runs_at_once_meet_at_the_lock(staging: Staging) -> None:
    release_upgrade = threading.Event()

    def slow(session: Session) -> None:
        release_upgrade.wait(30)
        staging.bastion.deploy(session)

    staging.bastion.upgrade = slow
    first: list[RunReport] = []
    thread = threading.Thread(target=lambda: first.append(release(staging)[0]))
    thread.start()
    try:
        assert staging.bastion.started.wait(30)
        with pytest.raises(LockHeldError) as raised:
            release(staging)
        assert staging.bastion.lock_holder() in str(raised.value)
    finally:
        release_upgrade.set()
        thread.join(30)
    assert first[0].status == "done"
    assert staging.bastion.upgrades == 1


@pytest.mark.parametrize("bugs", [["x"], [None], [{}], [1e300], [True]])
def test_a_journal_whose_bugs_were_changed_by_hand_is_refused_on_resume(
    staging: Staging, bugs: list[object]
) -> None:
    runs = RunStore(staging.setup.runs, clock=FakeClock())
    header = runs.header(
        run_id="20260101T000000Z-aaaaaa",
        plan=PLAN,
        instance="staging",
        options={"instance": "staging", "revision": 90, "bugs": bugs},
        steps=list(staging_plan(staging.world()[0], StagingOptions(revision=90)).step_names),
        session=RunSession.current(),
    )
    runs.create(header).close()
    run_id, options = resumed_options(runs, "last")
    assert options.bugs == ()
    with pytest.raises(ResumeMismatchError, match="was started with other options"):
        release(staging, options, resume=run_id)


def test_a_full_disk_under_the_upgrade_log_does_not_stop_upgrade_staging(
    staging: Staging, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    full = tmp_path / "upgrade.log"
    full.symlink_to("/dev/full")  # every write fails with ENOSPC, as on a full disk
    monkeypatch.setattr(Upgrade, "log_path", lambda self, world, journal: full)
    report, console = release(staging)
    # It used to abandon upgrade-staging half way ("unexpected error (OSError...)"), and
    # the resume ran it again without asking.
    assert (report.status, report.exit_code) == ("done", 0), console.text
    assert staging.bastion.upgrades == 1
    assert "cannot be written any more (No space left on device)" in console.text


def test_an_upgrade_log_that_cannot_be_made_stops_before_upgrade_staging(
    staging: Staging, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("not a directory\n")
    monkeypatch.setattr(
        Upgrade, "log_path", lambda self, world, journal: tmp_path / "file" / "upgrade.log"
    )
    report, console = release(staging)
    assert (report.status, report.exit_code) == ("failed", 1), console.text
    assert "cannot open the log of the upgrade (File exists)" in str(report.error)
    assert staging.bastion.upgrades == 0
    monkeypatch.undo()
    resumed, console = resume(staging)
    assert resumed.status == "done", console.text
    assert staging.bastion.upgrades == 1
