"""The bugs of a production rollout: which they are, moving them to Fix Released, filing new ones.

The runbook: "Change the status of any fixed bugs to 'Fix Released'. (Note
that fixing some bugs may be a multi-step process, so check whether they're
really done first.)" and "Ensure that bugs are filed for any deployment
issues."

- :func:`rollout_bugs`: the ``LP: #N`` lines of the spec commits since
  production's last release (:func:`last_release`: from the journals, else
  the spec history), and of the lp-signing commits the payload change brings
  (:func:`payload_commits`, with a local clone).
- :func:`transition`: what to do with one bug, from what Launchpad shows
  (pure): move its lp-signing task from Fix Committed to Fix Released, leave
  it (already released), or skip it with the reason (another status, no
  lp-signing task, tasks still open elsewhere).
- :class:`MoveBugs`: the step; one bug failing does not stop the others,
  and a resume changes only what is still to change (Launchpad is read
  back first).
- :func:`file_bug`: file a bug on lp-signing about a run, with its journal
  excerpt and the ``deployment`` tag, once per (run, title); the journal
  records its URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from lpsigning_mojo.commits import RUN_TRAILER, bug_references, parse_message
from lpsigning_mojo.errors import (
    BugNotFoundError,
    BugTaskStatusError,
    BugUpdatesFailedError,
    GitError,
    LaunchpadCredentialsError,
    LaunchpadError,
    MissingExtraError,
)
from lpsigning_mojo.external.launchpad import Bug, FiledBug
from lpsigning_mojo.release.steps import PROJECT
from lpsigning_mojo.release.world import ReleaseWorld
from lpsigning_mojo.runbook import Journal, Outputs, Step, confirm_or_stop
from lpsigning_mojo.runbook.runs import summarise

__all__ = [
    "DEPLOYMENT_TAG",
    "FIXED",
    "RELEASED",
    "SUMMARY_SUFFIX",
    "BugFiling",
    "LastRelease",
    "MoveBugs",
    "PayloadCommit",
    "Transition",
    "file_bug",
    "journal_excerpt",
    "last_release",
    "payload_commits",
    "rollout_bugs",
    "transition",
]

#: The status a fixed bug's lp-signing task has before the rollout, and after.
FIXED = "Fix Committed"
RELEASED = "Fix Released"
#: The tag of a bug filed about a deployment.
DEPLOYMENT_TAG = "deployment"
#: How the summary line of a production release's commit ends.
SUMMARY_SUFFIX = " on production"
#: How far back the spec history is read for production's last release commit.
HISTORY_LIMIT = 500
#: The most a bug description filed by :func:`file_bug` holds (Launchpad takes 50,000).
DESCRIPTION_LIMIT = 40_000


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


# -- which bugs -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LastRelease:
    """The spec commit production's last release deployed, and how that is known."""

    commit: str
    how: str


def last_release(
    world: ReleaseWorld, plan: str, instance: str, *, run_id: str | None
) -> LastRelease | None:
    """The spec commit of the last release to ``instance`` (other than run ``run_id``).

    From the journals here: the newest upgrade of ``instance`` by a run of
    ``plan`` that ran to its end (the key of its effect names the spec
    commit). Else from the spec history: the newest commit a production
    release made (its summary ends ``on production``). ``None`` when neither
    knows.
    """
    best: tuple[float, str, str] | None = None
    for run in world.runs.runs(plan=plan, instance=instance):
        if run.run_id == run_id:
            continue
        for record in world.runs.load(run.run_id).records:
            key = record.get("key") or []
            if (
                record["type"] == "effect"
                and record.get("phase") == "end"
                and record.get("status") == "done"
                and len(key) == 3
                and key[:2] == ["upgrade", instance]
            ):
                found = (float(record["at"]), str(key[2]), run.run_id)
                best = found if best is None or found > best else best
    if best is not None:
        return LastRelease(
            commit=best[1], how=f"run {best[2]} deployed it at {_when(best[0])} (journal)"
        )
    try:
        commits = world.git.log("HEAD", first_parent=True)
    except GitError:
        return None
    for commit in commits[:HISTORY_LIMIT]:
        message = parse_message(commit.message)
        if run_id is not None and (RUN_TRAILER, run_id) in message.trailers:
            continue
        if message.summary.endswith(SUMMARY_SUFFIX):
            return LastRelease(
                commit=commit.id,
                how="the newest production release commit in the spec history",
            )
    return None


@attrs.frozen(kw_only=True)
class PayloadCommit:
    """A commit of lp-signing that a payload change brings to production."""

    id: str
    summary: str
    bugs: tuple[int, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "summary": self.summary, "bugs": list(self.bugs)}


def payload_commits(
    world: ReleaseWorld, source: str | None, previous: str | None, label: str | None
) -> tuple[tuple[PayloadCommit, ...], str | None]:
    """The lp-signing commits in ``previous..label`` of the clone ``source``, oldest first.

    Returns them and a warning (or ``None``). Nothing is read without a
    clone, or when the payload does not change.
    """
    if source is None or world.open_source is None or label is None or label == previous:
        return (), None
    if previous is None:
        return (), "production pins no build_label now: no lp-signing commits are listed"
    try:
        found = world.open_source(Path(source)).log(label, since=previous)
    except GitError as error:
        return (), f"the lp-signing commits could not be read from {source}: {error.message}"
    commits = tuple(
        PayloadCommit(
            id=commit.id,
            summary=parse_message(commit.message).summary,
            bugs=bug_references(commit.message),
        )
        for commit in reversed(found)
    )
    return commits, None


def rollout_bugs(
    world: ReleaseWorld,
    *,
    plan: str,
    instance: str,
    spec_commit: str,
    run_id: str | None,
    payload: Sequence[PayloadCommit] = (),
) -> tuple[dict[int, str], list[str], LastRelease | None]:
    """The rollout's bugs, each with where it was named; warnings; production's last release.

    The bugs are the ``LP: #N`` lines of the spec commits after production's
    last release up to ``spec_commit``, then those of the ``payload`` commits.
    """
    origins: dict[int, str] = {}
    warnings: list[str] = []
    last = last_release(world, plan, instance, run_id=run_id)
    if last is None:
        warnings.append(
            "production's last release is not known here (no journal of one, and no "
            "production release commit in the spec history): the spec commits' bugs are not "
            "taken; move them by hand"
        )
    else:
        try:
            spec = world.git.log(spec_commit, since=last.commit)
        except GitError as error:
            warnings.append(f"the spec commits since {last.commit[:12]} cannot be read: {error}")
            spec = ()
        for commit in reversed(spec):
            trailers = parse_message(commit.message).trailers
            if run_id is not None and (RUN_TRAILER, run_id) in trailers:
                continue  # this run's own commit: its bugs are the payload's
            for bug in bug_references(commit.message):
                origins.setdefault(bug, f"spec commit {commit.id[:12]}")
    for brought in payload:
        for bug in brought.bugs:
            origins.setdefault(bug, f"lp-signing commit {brought.id[:12]}")
    return origins, warnings, last


# -- what to do with each ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Transition:
    """What to do with one bug: ``move``, ``already`` (released) or ``skip``, and why."""

    bug: int
    action: str
    reason: str

    def line(self) -> str:
        return f"LP: #{self.bug}: {self.reason}"


def transition(bug: Bug) -> Transition:
    """What the rollout does with ``bug``, from its tasks as Launchpad shows them."""
    task = bug.task(PROJECT)
    if task is None:
        targets = ", ".join(bug.targets) or "none"
        return Transition(
            bug=bug.id,
            action="skip",
            reason=f"skipped: it has no {PROJECT} task (its tasks: {targets})",
        )
    if task.status == RELEASED:
        return Transition(bug=bug.id, action="already", reason=f"already {RELEASED}")
    if task.status != FIXED:
        return Transition(
            bug=bug.id,
            action="skip",
            reason=f"skipped: its {PROJECT} task is {task.status}, not {FIXED}",
        )
    still = bug.open_tasks(besides=PROJECT)
    if still:
        where = ", ".join(f"{task.bug_target_name} ({task.status})" for task in still)
        return Transition(
            bug=bug.id,
            action="skip",
            reason=f"skipped: it is still open on {where}; fixing it may be a multi-step "
            f"process, so move it by hand once it is really done",
        )
    return Transition(bug=bug.id, action="move", reason=f"{PROJECT}: {FIXED} -> {RELEASED}")


@attrs.frozen(kw_only=True)
class MoveBugs(Step[ReleaseWorld]):
    """Move the rollout's bugs from Fix Committed to Fix Released on their lp-signing task.

    ``bugs`` gives the rollout's bug numbers. Each bug is read afresh, then
    changed only if :func:`transition` says so, with ``from_status`` (a
    change made meanwhile is not overwritten), as an effect in the journal.
    Without credentials for Launchpad the changes are printed for the
    person to make, who confirms. One failure does not stop the others; the
    step fails at the end, naming them, and a resume tries them again.
    """

    bugs: Callable[[ReleaseWorld, Journal], Sequence[int]]
    name = "bugs"
    title = "Move the fixed bugs to Fix Released"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        numbers = list(self.bugs(world, journal))
        if not numbers:
            return ["no bugs: nothing to change on Launchpad"]
        lines = []
        for number in numbers:
            try:
                lines.append(self._read(world, number).line())
            except LaunchpadError as error:
                lines.append(
                    f"LP: #{number}: {PROJECT} {FIXED} -> {RELEASED} if Launchpad shows it so "
                    f"then (not read now: {error})"
                )
        return lines

    def _read(self, world: ReleaseWorld, number: int) -> Transition:
        if world.launchpad is None:
            raise LaunchpadError("Launchpad cannot be reached from this release")
        try:
            return transition(world.launchpad.bug(number))
        except BugNotFoundError:
            return Transition(
                bug=number,
                action="skip",
                reason="skipped: Launchpad does not show it (private, or a mistyped number)",
            )
        except MissingExtraError as error:
            raise LaunchpadError(str(error).rstrip(".")) from None

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        moved: list[int] = []
        already: list[int] = []
        skipped: list[dict[str, object]] = []
        failed: list[tuple[int, str]] = []
        by_hand: list[int] = []
        for number in self.bugs(world, journal):
            try:
                planned = self._read(world, number)
            except LaunchpadError as error:
                failed.append((number, f"cannot be read: {str(error).rstrip('.')}"))
                continue
            if planned.action == "already":
                already.append(number)
            elif planned.action == "skip":
                skipped.append({"bug": number, "reason": planned.reason})
            else:
                outcome = "by-hand" if by_hand else self._move(world, journal, number)
                if outcome == "by-hand":
                    by_hand.append(number)
                    continue
                if outcome is not None:
                    failed.append((number, f"not changed: {outcome}"))
                    continue
                moved.append(number)
            world.reporter.info(f"  {planned.line()}")
        for number, why in failed:
            world.reporter.warn(f"  LP: #{number}: {why}")
        if by_hand:
            self._by_hand(world, journal, by_hand)
        if failed:
            raise BugUpdatesFailedError(
                f"{len(failed)} bug(s) could not be changed on Launchpad: "
                + ", ".join(f"LP: #{number}" for number, _ in failed),
                bugs=tuple(number for number, _ in failed),
                hint="Resume to try them again (the others are not changed twice), or change "
                "them by hand on Launchpad and resume",
            )
        return {"moved": moved, "already": already, "skipped": skipped, "by_hand": by_hand}

    def _move(self, world: ReleaseWorld, journal: Journal, number: int) -> str | None:
        """Make the change; ``None`` if made, ``"by-hand"`` without credentials, else why not."""
        assert world.launchpad is not None
        key = ("bug-status", PROJECT, str(number), RELEASED)
        try:
            with journal.effect(key, from_status=FIXED):
                world.launchpad.set_task_status(number, PROJECT, RELEASED, from_status=FIXED)
        except (LaunchpadCredentialsError, MissingExtraError) as error:
            world.reporter.warn(f"  Launchpad cannot be changed from here: {error}")
            return "by-hand"
        except BugTaskStatusError as error:
            return f"its {PROJECT} task changed meanwhile ({error})"
        except LaunchpadError as error:
            return str(error).rstrip(".")
        return None

    def _by_hand(self, world: ReleaseWorld, journal: Journal, numbers: Sequence[int]) -> None:
        world.reporter.info(f"  Set the {PROJECT} task of each of these bugs to {RELEASED}:")
        for number in numbers:
            world.reporter.info(f"    LP: #{number} https://bugs.launchpad.net/bugs/{number}")
        confirm_or_stop(
            world,
            journal,
            f"Have you set them to {RELEASED} on Launchpad?",
            hint="Change them, then resume the run to go on",
        )


# -- filing a bug about a run -----------------------------------------------------------------


def journal_excerpt(journal: Journal) -> str:
    """What a bug about a run says: its summary, options, errors, notes, and the trigger's tail."""
    summary = summarise(journal)
    lines = [
        f"The production deployment of {PROJECT} by lpsigning-mojo, run {summary.run_id}, "
        f"started {_when(summary.started)} by {summary.session}.",
        "",
        *summary.lines(),
        f"Options: {dict(summary.options)}",
    ]
    errors = [f"  {step.name}: {step.error}" for step in summary.steps if step.error]
    if errors:
        lines += ["", "Errors:", *errors]
    notes = [
        f"  {note.kind}: {', '.join(f'{key}={value}' for key, value in note.data.items())}"
        for note in summary.notes
        if note.kind in ("override", "answer", "confirmation", "lock-broken")
    ]
    if notes:
        lines += ["", "Notes:", *notes]
    if journal.path is not None:
        for log in sorted(journal.path.parent.glob(f"{journal.run_id}.*.log")):
            try:
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
            except OSError:
                continue
            lines += ["", f"The last lines of {log.name}:", *(f"  {text}" for text in tail)]
    text = "\n".join(lines) + "\n"
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 40] + "\n[... cut short: see the journal]\n"
    return text


@attrs.frozen(kw_only=True)
class BugFiling:
    """What ``release production --file-bug`` came to: the bug's page, or none (a dry run)."""

    url: str | None
    dry_run: bool = False

    def to_json(self) -> dict[str, object]:
        """``filed`` (a bug was filed), ``url`` (its page) and ``dry_run``."""
        return {"filed": self.url is not None, "url": self.url, "dry_run": self.dry_run}


def file_bug(world: ReleaseWorld, run_id: str, title: str) -> FiledBug:
    """File a bug on lp-signing about run ``run_id``, once per (run, title); record its URL.

    The description is the run's :func:`journal_excerpt`; the tag
    :data:`DEPLOYMENT_TAG`. A bug already filed for the same run and title
    is not filed again.
    """
    if world.launchpad is None:
        raise LaunchpadError("Launchpad cannot be reached from this release; nothing was filed")
    journal, _ = world.runs.open(run_id)
    with journal:
        key = ("file-bug", run_id, title)
        seen = journal.effect_status(key)
        if seen is not None and seen.status == "done":
            bug, url = seen.data.get("bug"), seen.data.get("url")
            world.reporter.info(f"Already filed for run {run_id}: LP: #{bug} {url}")
            return FiledBug(id=int(str(bug)), web_link=str(url))
        description = journal_excerpt(journal)
        with journal.effect(key, title=title) as effect:
            filed = world.launchpad.file_bug(
                PROJECT, title=title, description=description, tags=[DEPLOYMENT_TAG]
            )
            effect.update(bug=filed.id, url=filed.web_link)
        journal.note("bug-filed", bug=filed.id, url=filed.web_link, title=title)
    world.reporter.info(f"Filed LP: #{filed.id} on {PROJECT}: {filed.web_link}")
    return filed
