"""The steps every lp-signing release shares, and what they read from the spec repository.

A release (:mod:`lpsigning_mojo.release.staging`, and production after it)
checks the spec repository, edits the bundle, commits, pushes, runs the
instance's upgrade trigger and checks the result. The steps here do the
parts that do not depend on what the release changes:

- :class:`Preflight`: fetch; the work tree is clean and not behind its remote.
- :class:`Commit`: commit the bundle with the plan's message, which names the
  run (``Release-Run: RUN_ID``) so that a resumed run finds its commit.
- :class:`Push`: push directly only a release-only change
  (:attr:`~lpsigning_mojo.bundle.BundleDiff.release_only` in every stage);
  otherwise stop and say how to propose a merge. A resumed push rebases first
  if the remote moved, and pushes only if the rebased change is still
  release-only.
- :class:`Upgrade`: the instance's upgrade trigger, its output streamed and
  kept beside the journal, recorded as an exactly-once effect per spec
  commit; never run again without asking when its outcome is unknown.
- :class:`Verify`: the health check, three answers in a row, and where juju
  is readable, the deployed revision and every unit active and idle.

What a plan changes comes from a :class:`Change` (the plan's own object).
The release lock lives where the instance's upgrade trigger runs
(:func:`instance_lock`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TextIO

import attrs

from lpsigning_mojo.bundle import (
    Bundle,
    BundleDiff,
    EditResult,
    Template,
    diff_bundles,
    render_bundle,
    unified_diff_lines,
)
from lpsigning_mojo.commits import RUN_TRAILER, parse_message
from lpsigning_mojo.errors import (
    JournalError,
    MergeProposalNeededError,
    PreflightError,
    RemoteCommandFailed,
    VerifyError,
)
from lpsigning_mojo.external.git import DirtyPath
from lpsigning_mojo.external.juju import DeployedState
from lpsigning_mojo.external.probe import HealthProbe, ProbeResult, wait_until_healthy
from lpsigning_mojo.files import read_text
from lpsigning_mojo.instances import Instance, ManagementEnvironment
from lpsigning_mojo.release.edits import edit_template
from lpsigning_mojo.release.status import StatusReport, compare
from lpsigning_mojo.release.world import ReleaseWorld
from lpsigning_mojo.remote import LineCallback, OutputLine, RoleAccountRunner, RunResult
from lpsigning_mojo.runbook import (
    DEFAULT_LOCK_DIRECTORY,
    Journal,
    Outputs,
    Progress,
    RemoteDirLock,
    Reporter,
    Step,
    StepState,
    ask_what_happened,
)
from lpsigning_mojo.runbook.progress import elapsed
from lpsigning_mojo.triggers import RemoteCommand, upgrade_command

__all__ = [
    "APPLICATION",
    "BRANCH_STEPS",
    "PROJECT",
    "Branch",
    "Change",
    "Commit",
    "Preflight",
    "Push",
    "Route",
    "StageDiff",
    "Upgrade",
    "Verify",
    "branch",
    "bundle_at",
    "commit_of_run",
    "instance_lock",
    "render",
    "route",
    "stage_diffs",
    "unified_diff",
    "unsettled",
    "work_bundle",
    "write_bundle",
]

#: The application (and charm) a release pins.
APPLICATION = "lp-signing"
#: The Launchpad project of lp-signing's bugs.
PROJECT = "lp-signing"

#: The steps that record the run's branch: staging's preflight, production's gates.
BRANCH_STEPS = ("preflight", "gates")


class _OnFirstUse:
    """A command runner asked of the World only when a command runs (a dry run asks none)."""

    def __init__(self, world: ReleaseWorld, environment: ManagementEnvironment) -> None:
        self.world = world
        self.environment = environment

    def run(
        self,
        command: str | Sequence[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        pty: bool = False,
    ) -> RunResult:
        runner = self.world.runners(self.environment)
        return runner.run(
            command, on_line=on_line, timeout=timeout, idle_timeout=idle_timeout, pty=pty
        )


def instance_lock(world: ReleaseWorld, instance: Instance) -> RemoteDirLock:
    """The release lock of ``instance``: where its upgrade trigger runs, as that role account.

    For lp-signing that is the staging role account for both instances, in
    its state directory (``~/.local/state/lpsigning-mojo/locks/INSTANCE``).
    Nothing connects until the lock is used.
    """
    environment = world.spec.environment(instance)
    runner = RoleAccountRunner(_OnFirstUse(world, environment), environment.command_line)
    return RemoteDirLock(
        runner, f"{DEFAULT_LOCK_DIRECTORY}/{instance.name}", host=environment.account
    )


# -- the bundle, as the spec repository holds it -----------------------------------------------


def work_bundle(world: ReleaseWorld) -> str:
    """The bundle template in the work tree."""
    return read_text(world.spec.bundle_path)


def bundle_at(world: ReleaseWorld, revision: str) -> str:
    """The bundle template at git ``revision``."""
    return world.git.show(revision, world.spec.git_path)


def render(world: ReleaseWorld, text: str, stage: str) -> Bundle:
    """``text`` (a bundle template) rendered for ``stage``."""
    template = Template.from_text(text, path=str(world.spec.bundle_path))
    return render_bundle(template, stage)[1]


def write_bundle(
    world: ReleaseWorld,
    compute: Callable[[str], EditResult],
    shown: Callable[[EditResult], list[str]],
) -> Outputs:
    """Edit the spec's bundle with ``compute`` under the file's lock, show ``shown(edit)``
    and the file's notes; the step's outputs (changed, line, stages)."""
    edited = edit_template(world.spec.bundle_path, compute, clock=world.clock)
    result = edited.edit
    for line in shown(result):
        world.reporter.info(f"  {line}")
    for note in edited.notes:
        world.reporter.warn(f"  {note}")
    return {"changed": edited.written, "line": result.line, "stages": list(result.stages)}


def unified_diff(world: ReleaseWorld, old: str, new: str) -> list[str]:
    """The change from ``old`` to ``new`` of the spec's bundle, as ``git diff`` shows it."""
    return unified_diff_lines(old, new, path=world.spec.display_path)


@attrs.frozen(kw_only=True)
class StageDiff:
    """What a change does to the bundle of one stage."""

    stage: str
    diff: BundleDiff

    def lines(self) -> list[str]:
        """``stage: lp-signing revision: 87 -> 90``, one line per change."""
        changes = list(self.diff.lines())
        return [f"{self.stage}: {line.lstrip('~ ')}" for line in changes]


def stage_diffs(world: ReleaseWorld, old: str, new: str) -> tuple[StageDiff, ...]:
    """What changes from ``old`` to ``new`` in the bundle of every stage of the spec."""
    return tuple(
        StageDiff(
            stage=stage, diff=diff_bundles(render(world, old, stage), render(world, new, stage))
        )
        for stage in world.spec.stages
    )


@attrs.frozen(kw_only=True)
class Route:
    """Whether a change may be pushed directly: the runbook allows it for release-only changes.

    ``diffs`` are the bundle's changes in every stage; ``other_paths`` the
    files changed besides the bundle (any makes the change more than a release).
    """

    diffs: tuple[StageDiff, ...]
    other_paths: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.other_paths) or any(not d.diff.empty for d in self.diffs)

    @property
    def release_only(self) -> bool:
        """Only charm revisions and ``build_label`` change, in some stage, and no other file."""
        return (
            not self.other_paths
            and any(not d.diff.empty for d in self.diffs)
            and all(d.diff.empty or d.diff.release_only for d in self.diffs)
        )

    @property
    def reason(self) -> str:
        """Why the change is (or is not) release-only, in a few words."""
        if self.other_paths:
            return f"it changes {', '.join(self.other_paths)} besides the bundle"
        other = [d.stage for d in self.diffs if not d.diff.empty and not d.diff.release_only]
        if other:
            return f"the bundle of {', '.join(other)} changes more than charm revisions"
        if not self.changed:
            return "it changes nothing in any stage's bundle"
        return "release-only (charm revisions and build_label, nothing else)"

    def lines(self) -> list[str]:
        lines = [line for d in self.diffs for line in d.lines()]
        lines += [f"other file: {path}" for path in self.other_paths]
        return lines


def route(world: ReleaseWorld, old: str, new: str, other_paths: Sequence[str] = ()) -> Route:
    """The :class:`Route` of a change from bundle ``old`` to ``new``, plus ``other_paths``."""
    return Route(diffs=stage_diffs(world, old, new), other_paths=tuple(sorted(other_paths)))


def _other_paths(world: ReleaseWorld, since: str) -> tuple[str, ...]:
    """The files the commits ``since..HEAD`` change besides the bundle (merges included)."""
    git = world.git
    every = git.log("HEAD", since=since, changes=True, first_parent=True)
    bundle = git.log(
        "HEAD", since=since, paths=[world.spec.bundle_file], changes=True, first_parent=True
    )
    found = {change.path for commit in every for change in commit.changes}
    found -= {change.path for commit in bundle for change in commit.changes}
    return tuple(sorted(found))


def commit_of_run(world: ReleaseWorld, run_id: str, *, until: str, since: str | None) -> str | None:
    """The commit in ``since..until`` that names run ``run_id`` (``Release-Run:``), if any."""
    for commit in world.git.log(until, since=since, paths=[world.spec.bundle_file]):
        if (RUN_TRAILER, run_id) in parse_message(commit.message).trailers:
            return commit.id
    return None


# -- the branch the release works on -----------------------------------------------------------


@attrs.frozen(kw_only=True)
class Branch:
    """The spec repository's branch, its remote branch, and where the remote was at preflight.

    ``base`` is the remote branch's commit when the run started: the run's
    own commits come after it.
    """

    local: str
    remote: str
    remote_branch: str
    tracking_ref: str
    base: str

    @property
    def target(self) -> str:
        """``origin/main``, for messages."""
        return f"{self.remote}/{self.remote_branch}"

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self)


def _text(outputs: Mapping[str, object], key: str) -> str | None:
    value = outputs.get(key)
    return value if isinstance(value, str) else None


def branch(world: ReleaseWorld, journal: Journal) -> Branch:
    """The run's :class:`Branch`, as one of :data:`BRANCH_STEPS` recorded it, or as git has it.

    A step records it as its outputs, or under ``"branch"`` in them. In a
    dry run nothing is recorded, and git's upstream is read instead.
    """
    for step in BRANCH_STEPS:
        recorded = journal.outputs(step)
        nested = recorded.get("branch")
        if isinstance(nested, Mapping):
            recorded = nested
        fields = {key: _text(recorded, key) for key in attrs.fields_dict(Branch)}
        if all(value is not None for value in fields.values()):
            return Branch(**{key: str(value) for key, value in fields.items()})
    upstream = world.git.upstream()
    return Branch(
        local=upstream.local_branch,
        remote=upstream.remote,
        remote_branch=upstream.branch,
        tracking_ref=upstream.tracking_ref,
        base=world.git.rev_parse(upstream.tracking_ref),
    )


class Change(Protocol):
    """What a plan changes in the bundle: the steps here ask it for the text and the message."""

    def planned_text(self, world: ReleaseWorld, journal: Journal) -> str:
        """The whole bundle template once the plan's edit is made (the same if it is)."""
        ...

    def message(self, world: ReleaseWorld, journal: Journal) -> str:
        """The commit message, naming the run with a ``Release-Run:`` trailer."""
        ...


# -- preflight ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Preflight(Step[ReleaseWorld]):
    """Fetch, then check that the spec repository is clean and not behind its remote."""

    instance: str
    name = "preflight"
    title = "Check the spec repository and the instance"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        instance = world.spec.instance(self.instance)
        upstream = world.git.upstream()
        status = world.git.status()
        where = f"{upstream.remote}/{upstream.branch}"
        now = "clean" if status.clean else "NOT clean: " + _dirty(status.dirty)
        lines = [
            f"spec:      {world.spec.directory}",
            f"git fetch {upstream.remote}, then check that the work tree is clean and "
            f"{upstream.local_branch} is not behind {where}",
            f"now:       {now}; {status.behind or 0} behind and {status.ahead or 0} ahead of "
            f"{where} (as last fetched)",
            f"instance:  {instance.name} ({instance.mojo_stage}), "
            f"{instance.url or 'no public URL'}",
            f"lock:      {instance_lock(world, instance).where}, taken before the first step",
        ]
        return lines

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        world.spec.instance(self.instance)
        git = world.git
        upstream = git.upstream()
        git.fetch(upstream.remote)
        status = git.status()
        where = f"{upstream.remote}/{upstream.branch}"
        directory = world.spec.directory
        if status.branch is None:
            raise PreflightError(
                f"the spec repository at {directory} is not on a branch (detached HEAD)",
                hint=f"Check out {upstream.local_branch} (git switch {upstream.local_branch}), "
                "then resume",
            )
        if not status.clean:
            raise PreflightError(
                f"the spec repository at {directory} has changes that are not committed: "
                f"{_dirty(status.dirty)}",
                hint="Commit them or put them aside (git stash -u), then resume",
            )
        if status.behind:
            raise PreflightError(
                f"branch {status.branch} of the spec repository is {status.behind} "
                f"commit{'s' if status.behind != 1 else ''} behind {where}",
                hint=f"Bring it up to date (git pull --rebase {upstream.remote} "
                f"{upstream.branch}), look at what came in, then resume",
            )
        if status.ahead:
            world.reporter.warn(
                f"  {status.branch} has {status.ahead} commit(s) not on {where}: they are "
                "pushed with the release only if they too are release-only."
            )
        base = git.rev_parse(upstream.tracking_ref)
        world.reporter.info(f"  {status.branch} is clean and level with {where} ({base[:12]}).")
        found = Branch(
            local=upstream.local_branch,
            remote=upstream.remote,
            remote_branch=upstream.branch,
            tracking_ref=upstream.tracking_ref,
            base=base,
        )
        return {**found.to_json(), "head": status.head, "ahead": status.ahead or 0}


def _dirty(paths: Sequence[DirtyPath]) -> str:
    shown = [path.describe() for path in paths[:5]]
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    return ", ".join(shown) + more


# -- commit and push ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Commit(Step[ReleaseWorld]):
    """Commit the edited bundle, with the plan's message."""

    change: Change
    name = "commit"
    title = "Commit the change"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        planned = self.change.planned_text(world, journal)
        if planned == bundle_at(world, "HEAD"):
            return ["nothing to commit: HEAD's bundle already holds the change"]
        path = world.spec.directory / world.spec.bundle_file
        message = self.change.message(world, journal)
        return [
            f"git commit {path}, with the message:",
            *("  " + line for line in message.splitlines()),
        ]

    def _found(self, world: ReleaseWorld, journal: Journal) -> str | None:
        return commit_of_run(world, journal.run_id, until="HEAD", since=branch(world, journal).base)

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        if self._found(world, journal) is not None:
            return True
        text = work_bundle(world)
        return text == bundle_at(world, "HEAD") == self.change.planned_text(world, journal)

    def done_outputs(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        found = self._found(world, journal)
        if found is not None:
            return {"commit": found, "created": True}
        return {"commit": world.git.rev_parse("HEAD"), "created": False}

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        message = self.change.message(world, journal)
        commit = world.git.commit([world.spec.bundle_file], message)
        world.reporter.info(f"  Committed {commit[:12]}: {message.splitlines()[0]}")
        return {"commit": commit, "created": True}


@attrs.frozen(kw_only=True)
class Push(Step[ReleaseWorld]):
    """Push a release-only change to the spec's remote; stop before pushing any other."""

    change: Change
    name = "push"
    title = "Push the change if it is release-only"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        where = branch(world, journal)
        old = bundle_at(world, where.tracking_ref)
        found = route(
            world,
            old,
            self.change.planned_text(world, journal),
            _other_paths(world, where.tracking_ref),
        )
        if not found.changed:
            return [f"nothing to push: {where.target} already holds the change"]
        lines = [f"route:     {found.reason}", *(f"  {line}" for line in found.lines())]
        if found.release_only:
            lines.append(
                f"git push {where.remote} HEAD:refs/heads/{where.remote_branch} "
                "(never forced; if the remote moved, --resume rebases and checks again)"
            )
        else:
            lines.append(
                f"stop before pushing: the runbook allows a direct push to {where.target} only "
                "for release-only changes; propose a merge instead"
            )
        return lines

    def _on_remote(self, world: ReleaseWorld, journal: Journal, where: Branch) -> str | None:
        head = world.git.rev_parse("HEAD")
        if world.git.is_ancestor(head, where.tracking_ref):
            return head
        return commit_of_run(world, journal.run_id, until=where.tracking_ref, since=where.base)

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        where = branch(world, journal)
        world.git.fetch(where.remote)
        return self._on_remote(world, journal, where) is not None

    def done_outputs(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        where = branch(world, journal)
        commit = self._on_remote(world, journal, where)
        return {"remote": where.remote, "branch": where.remote_branch, "commit": commit}

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        git, where = world.git, branch(world, journal)
        state = journal.state(self.name)
        rebased = False
        if state is not None and state.attempts > 1:  # a resumed push: the remote may have moved
            git.fetch(where.remote)
            if not git.is_ancestor(where.tracking_ref, "HEAD"):
                world.reporter.info(f"  {where.target} moved on: rebasing onto it.")
                git.rebase(where.tracking_ref)
                rebased = True
        found = route(
            world,
            bundle_at(world, where.tracking_ref),
            bundle_at(world, "HEAD"),
            _other_paths(world, where.tracking_ref),
        )
        for line in found.lines():
            world.reporter.info(f"  {line}")
        if not found.release_only:
            suggestion = f"release-{journal.run_id.lower()}"
            raise MergeProposalNeededError(
                f"the change is not release-only ({found.reason}), so it was not pushed to "
                f"{where.target}" + (" (the branch was rebased onto it)" if rebased else ""),
                hint=f"Push it to a branch of your own (git push {where.remote} "
                f"HEAD:refs/heads/{suggestion}), propose it for merging into "
                f"{where.remote_branch} on Launchpad, and once it has landed resume run "
                f"{journal.run_id}",
            )
        git.push(where.remote, where.remote_branch)
        commit = git.rev_parse("HEAD")
        world.reporter.info(f"  Pushed {commit[:12]} to {where.target}.")
        return {
            "remote": where.remote,
            "branch": where.remote_branch,
            "commit": commit,
            "rebased": rebased,
        }


# -- the upgrade trigger -----------------------------------------------------------------------


class _KeptLog:
    """The log of a remote command's output, which never stops the command.

    It is opened before the command starts, so a log that cannot be created
    is a :class:`~lpsigning_mojo.errors.JournalError` while nothing has
    happened yet. Once the command runs, a write that fails (the disk is
    full) is said once and logging stops; the command goes on, its output
    still shown: abandoning a remote upgrade half way for a local log would
    leave the instance in an unknown state.
    """

    def __init__(self, path: Path, reporter: Reporter) -> None:
        self.path = path
        self.reporter = reporter
        self.failed = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.file: TextIO = path.open("a", encoding="utf-8")
        except OSError as error:
            raise JournalError(
                f"cannot open the log of the upgrade ({error.strerror})",
                path=path,
                hint="Free some space or fix the permissions, then resume the run",
            ) from None

    def __enter__(self) -> _KeptLog:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.file.close()

    def write(self, text: str) -> None:
        if self.failed:
            return
        try:
            self.file.write(text)
            self.file.flush()
        except OSError as error:
            self.failed = True
            self.reporter.warn(
                f"  Its log {self.path} cannot be written any more ({error.strerror}); "
                "the rest of its output is shown here only."
            )


@attrs.frozen(kw_only=True)
class Upgrade(Step[ReleaseWorld]):
    """Run the instance's upgrade trigger as its role account, once per spec commit.

    The whole output goes to ``RUN_ID.TRIGGER.log`` beside the journal. The
    run is an exactly-once effect keyed by (instance, the spec commit on the
    remote): a later run for the same commit finds it done. A failure is
    recorded with its exit status; a lost connection (outcome unknown) is
    never repeated without asking the person.
    """

    instance: str
    title: str = "Run the upgrade trigger"
    #: More lines for the person asked what happened after a lost connection.
    unknown_help: tuple[str, ...] = ()
    name = "upgrade"

    def command(self, world: ReleaseWorld) -> RemoteCommand:
        return upgrade_command(world.spec.instances, self.instance)

    def key(self, world: ReleaseWorld, journal: Journal) -> tuple[str, ...]:
        commit = _text(journal.outputs(Push.name), "commit") or world.git.rev_parse("HEAD")
        return ("upgrade", self.instance, commit)

    def log_path(self, world: ReleaseWorld, journal: Journal) -> Path:
        """``RUN_ID.TRIGGER.log`` beside the journal (``RUN_ID`` itself in a dry run)."""
        name = self.command(world).name
        if journal.path is None:
            return world.runs.directory / f"RUN_ID.{name}.log"
        return journal.path.parent / f"{journal.run_id}.{name}.log"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        command = self.command(world)
        trigger = command.instance.triggers.get("upgrade")
        about = [f"about:     {trigger.description}"] if trigger and trigger.description else []
        return [
            *command.describe(),
            *about,
            f"output:    streamed, and kept in {self.log_path(world, journal)}",
            "never run again by itself: if the connection drops, --resume asks you what happened",
        ]

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        seen = journal.effect_status(self.key(world, journal))
        return seen is not None and seen.status == "done"

    def done_outputs(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        seen = journal.effect_status(self.key(world, journal))
        return {"by_run": seen.run_id if seen is not None else None}

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        command = self.command(world)
        runner = world.runners(command.environment)
        path = self.log_path(world, journal)
        world.reporter.info(f"  Running {command.command_line} on {command.environment.bastion}")
        world.reporter.info(f"  Its whole output goes to {path}")
        key = self.key(world, journal)
        with (
            _KeptLog(path, world.reporter) as log,
            journal.effect(key, command=command.command_line, log=str(path)) as effect,
        ):
            log.write(f"# {command.command_line}\n# as {command.environment.account}\n")
            with world.reporter.progress(command.name) as progress:

                def on_line(line: OutputLine) -> None:
                    log.write(line.text + "\n")
                    progress.line(line)

                result = command.run(runner, on_line=on_line)
            log.write(f"# exit status {result.exit_status} after {result.elapsed:.1f} s\n")
            if not result.ok:
                world.reporter.warn(f"  The last lines of {command.name}:")
                for text in result.tail():
                    world.reporter.warn(f"    {text}")
                world.reporter.warn(f"  Its whole output is in {path}")
            try:
                result.check()
            except RemoteCommandFailed as error:
                raise RemoteCommandFailed(
                    f"{command.name} failed on {command.environment.account}: "
                    f"{error.message}; its output is in {path}",
                    command=error.command,
                    exit_status=error.exit_status,
                    tail=error.tail,
                    elapsed=error.elapsed,
                    host=error.host,
                ) from None
            effect.update(exit_status=result.exit_status, elapsed=round(result.elapsed, 1))
        world.reporter.info(f"  {command.name} succeeded after {elapsed(result.elapsed)}.")
        return {
            "command": command.command_line,
            "exit_status": result.exit_status,
            "elapsed": round(result.elapsed, 1),
            "log": str(path),
        }

    def resolve_unknown(
        self, world: ReleaseWorld, journal: Journal, previous: StepState
    ) -> Outputs | None:
        command = self.command(world)
        look = (
            [f"See what {self.instance} runs now: lpsigning-mojo status {self.instance}"]
            if command.instance.juju_access
            else []
        )
        answer = ask_what_happened(
            world,
            journal,
            self,
            previous,
            what=[
                f"Its output so far is in {self.log_path(world, journal)}.",
                *look,
                *self.unknown_help,
                f"Answer 'it completed' only if {command.name} ran to its end; "
                "'run it again' runs it once more.",
            ],
        )
        if answer is not None:
            with journal.effect(self.key(world, journal), resolved="the person said it completed"):
                pass
        return answer


# -- checking the result -----------------------------------------------------------------------


class _ShownProbe:
    """A health probe that shows each answer on a progress line."""

    def __init__(self, probe: HealthProbe, progress: Progress) -> None:
        self.probe = probe
        self.progress = progress
        self.streak = 0

    def check(self, base_url: str) -> ProbeResult:
        result = self.probe.check(base_url)
        self.streak = self.streak + 1 if result.healthy else 0
        text = f"{result.reason} ({self.streak} in a row)" if result.healthy else result.reason
        self.progress.line(OutputLine(stream="stdout", text=text))
        return result


def _wrong(report: StatusReport, revision: int) -> list[str]:
    """What waiting cannot fix: the application runs another revision or channel."""
    found: list[str] = []
    for application in report.applications:
        state = application.state
        if state is not None and state.charm_rev != revision:
            found.append(
                f"{application.application.name} runs revision {state.charm_rev}, not {revision}"
            )
        found.extend(drift.describe() for drift in application.drift if drift.field != "revision")
    return found


def unsettled(state: DeployedState, problems: Sequence[str] | None = None) -> list[str]:
    """Why an application is not active with every unit active and idle, one sentence each.

    ``problems`` replaces the state's own health problems (a status report
    leaves out those that do not apply, such as a subordinate's missing units).
    An agent still ``executing`` is healthy but not settled.
    """
    found = list(state.problems if problems is None else problems)
    found.extend(
        f"the agent of unit {unit.name} is {unit.agent_status}, not idle"
        for unit in state.units
        if unit.agent_status != "idle" and not unit.problems
    )
    return found


def _unsettled(report: StatusReport) -> list[str]:
    """Why the units are not (yet) healthy and idle, one sentence each."""
    found: list[str] = []
    for application in report.applications:
        if application.state is not None:
            found.extend(unsettled(application.state, application.problems))
    return found


@attrs.frozen(kw_only=True)
class Verify(Step[ReleaseWorld]):
    """Check the service answers its health check, and (where juju is readable) what it runs.

    ``revision`` gives the revision the release pinned.
    """

    instance: str
    revision: Callable[[ReleaseWorld, Journal], int]
    name = "verify"
    title = "Check the service and what it runs"

    def _juju(self, world: ReleaseWorld, instance: Instance) -> bool:
        return bool(instance.juju_access and instance.juju_model and world.juju is not None)

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        instance = world.spec.instance(self.instance)
        lines = []
        waits = world.waits
        if instance.health_url:
            lines.append(
                f"GET {instance.health_url} until it answers 200 with a service key "
                f"{waits.health_successes} times in a row, every {waits.health_delay:g} s, "
                f"within {waits.health_timeout:g} s"
            )
        else:
            lines.append(f"no health check: {instance.name} has no public URL")
        if self._juju(world, instance):
            revision = self.revision(world, journal)
            lines.append(
                f"juju status --model {instance.juju_model} {APPLICATION}, as the role account, "
                f"until {APPLICATION} runs revision {revision} and every unit is active and idle, "
                f"within {waits.settle_timeout:g} s"
            )
        else:
            lines.append(f"what {instance.name} runs cannot be read from here: not checked")
        return lines

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        return False

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        instance = world.spec.instance(self.instance)
        outputs: dict[str, object] = {"health": None, "deployed": None}
        waits = world.waits
        if instance.url is not None:
            with world.reporter.progress(f"health check of {instance.name}") as progress:
                waited = wait_until_healthy(
                    _ShownProbe(world.probe, progress),
                    instance.url,
                    clock=world.clock,
                    timeout=waits.health_timeout,
                    delay=waits.health_delay,
                    successes=waits.health_successes,
                )
            world.reporter.info(
                f"  {waited.last.url} answered {waits.health_successes} times in a row "
                f"({waited.attempts} checks, {elapsed(waited.elapsed)})."
            )
            outputs["health"] = {"url": waited.last.url, "attempts": waited.attempts}
        if self._juju(world, instance):
            outputs["deployed"] = self._settled(world, journal, instance)
        return outputs

    def _settled(self, world: ReleaseWorld, journal: Journal, instance: Instance) -> object:
        assert world.juju is not None
        revision = self.revision(world, journal)
        bundle = render(world, bundle_at(world, "HEAD"), instance.stage_name)
        clock, waits = world.clock, world.waits
        deadline = clock.monotonic() + waits.settle_timeout
        while True:
            report = compare(
                instance.name,
                instance.mojo_stage,
                bundle,
                world.juju(instance),
                applications=(APPLICATION,),
            )
            wrong = _wrong(report, revision)
            if wrong:
                raise VerifyError(
                    f"{instance.name} does not run what was released: {'; '.join(wrong)}",
                    hint=f"Look at the model (lpsigning-mojo status {instance.name}) and at the "
                    "upgrade's output; resume to check again, or release again",
                )
            problems = _unsettled(report)
            if not problems:
                state = report.applications[0].state
                units = [] if state is None else [unit.name for unit in state.units]
                world.reporter.info(
                    f"  {APPLICATION} runs revision {revision}; every unit is active and idle "
                    f"({', '.join(units)})."
                )
                return {"revision": revision, "units": units}
            now = clock.monotonic()
            if now >= deadline:
                raise VerifyError(
                    f"{instance.name} did not settle on revision {revision} within "
                    f"{waits.settle_timeout:g} s: {'; '.join(problems)}",
                    hint=f"Look at the model (lpsigning-mojo status {instance.name}), fix what is "
                    "wrong, then resume to check again",
                )
            world.reporter.info(f"  Not settled yet: {'; '.join(problems)}")
            clock.sleep(min(waits.settle_delay, deadline - now))
