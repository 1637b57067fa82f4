"""The deployment history, read back from the spec's git history and the release journals.

The spec's history is the change log of every deployment (see
:doc:`/explanation/spec-history`). :func:`read_change_log` reads it:

- **One** ``git log`` process for the whole history of the branch's own line
  (first parents: a merge is one change, compared with the line it landed
  on), listing the commits that changed a bundle file some stage deploys
  with the changed paths and their blob ids; then **one** ``git cat-file``
  process for every version of those files
  (:meth:`~lpsigning_mojo.external.git.Git.read_blobs`).
- Each stage follows the file Mojo's lookup gives it (its own
  ``bundle.yaml`` in the stage directory while there is one, else the
  spec's), and each version is rendered for a stage only where that file
  changed, most of them not rendered at all but read off the previous
  rendering (:class:`~lpsigning_mojo.bundle.versions.VersionTracker`).
- Messages are read with :mod:`lpsigning_mojo.commits` (the one ``LP: #N``
  parser); a revert names the commit it reverts, and that commit is marked
  reverted.
- Where release journals exist (:class:`~lpsigning_mojo.runbook.RunStore`),
  each stage's change is marked deployed by the first run (by time) that
  ran its instance's upgrade for that commit or a later one.

The collaborators (a :class:`~lpsigning_mojo.external.git.Git` and the runs)
are given; nothing here builds one.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from lpsigning_mojo.bundle.diff import BundleDiff
from lpsigning_mojo.bundle.versions import StageVersion, VersionTracker
from lpsigning_mojo.clock import iso_utc
from lpsigning_mojo.commits import bug_references, reverted_commit
from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.external.git import Commit, Git
from lpsigning_mojo.mojospec.layout import BUNDLE_FILE
from lpsigning_mojo.mojospec.stages import Spec, Stage

if TYPE_CHECKING:
    from lpsigning_mojo.instances import Instances
    from lpsigning_mojo.runbook.runs import RunSummary

__all__ = [
    "COMMIT_STEPS",
    "UPGRADE_STEP",
    "ChangeLog",
    "Deployment",
    "Entry",
    "StageChange",
    "deployments",
    "read_change_log",
]

#: The release step that runs an instance's upgrade trigger (Mojo deploys the spec then).
UPGRADE_STEP = "upgrade"
#: Release steps whose ``commit`` output names the spec commit a run deployed, in preference order.
COMMIT_STEPS = ("push", "commit")


@attrs.frozen(kw_only=True)
class Deployment:
    """A release run that deployed spec ``commit`` to ``instance`` (stage ``stage``) at ``at``."""

    run_id: str
    plan: str
    instance: str
    stage: str
    commit: str
    at: float

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "plan": self.plan,
            "instance": self.instance,
            "stage": self.stage,
            "commit": self.commit,
            "at": iso_utc(self.at),
        }


@attrs.frozen(kw_only=True)
class StageChange:
    """What one commit changed in what one stage deploys.

    ``diff`` is the change of the rendered bundle (charm revisions, channels,
    ``build_label`` and anything else); ``error`` says why the new version
    does not render for the stage; ``deployed`` is the run that deployed it,
    when a journal says so.
    """

    stage: str
    diff: BundleDiff
    error: str | None = None
    #: The previous version did not render for the stage; ``diff`` is from the last that did.
    recovered: bool = False
    deployed: Deployment | None = None
    #: On the stage's first version only: each application's pins (charm, channel,
    #: revision, build_label).
    first: Mapping[str, Mapping[str, object]] | None = None

    def lines(self) -> list[str]:
        """The change for people, one line each (``lp-signing revision: 87 -> 88``)."""
        if self.error is not None:
            return [f"does not render: {self.error}"]
        if self.first is not None:
            return [f"first version: {_pins(name, pins)}" for name, pins in self.first.items()]
        diff = self.diff
        if diff.added or diff.removed:
            lines = [
                line.removeprefix("~ ").replace(" options.build_label: ", " build_label: ")
                for line in diff.lines()
            ]
        else:  # the usual case, thousands of times in a log: the changed values alone
            lines = [
                change.describe().replace(" options.build_label: ", " build_label: ")
                for change in diff.changes
            ]
        if self.recovered:
            lines.insert(0, "renders again" + (", changed since it last did:" if lines else ""))
        return lines

    def to_json(self) -> dict[str, object]:
        """``stage``, ``error``, ``recovered``, the diff's keys (see
        :meth:`BundleDiff.to_json <lpsigning_mojo.bundle.BundleDiff.to_json>`), ``first``
        (each application's pins, as ``bundle show`` gives them) and ``deployed``."""
        diff = self.diff.to_json()
        diff.pop("stage")  # one diff object serves every stage that changed alike
        return {
            "stage": self.stage,
            "error": self.error,
            "recovered": self.recovered,
            **diff,
            "first": None
            if self.first is None
            else [{"application": name, **pins} for name, pins in self.first.items()],
            "deployed": None if self.deployed is None else self.deployed.to_json(),
        }


def _pins(name: str, pins: Mapping[str, object]) -> str:
    """``lp-signing: lp-signing latest/edge revision 87, build_label 1f3c...``."""
    text = f"{name}: {pins['charm']}"
    if pins.get("channel"):
        text += f" {pins['channel']}"
    if pins.get("revision") is not None:
        text += f" revision {pins['revision']}"
    if pins.get("build_label") is not None:
        text += f", build_label {pins['build_label']}"
    return text


def _first(version: StageVersion) -> Mapping[str, Mapping[str, object]] | None:
    bundle = version.bundle
    if bundle is None:
        return None
    return {
        name: {key: value for key, value in app.to_json().items() if key != "application"}
        for name, app in bundle.applications.items()
    }


@attrs.frozen(kw_only=True)
class Entry:
    """A commit that changed a bundle file some stage deploys.

    ``stages`` holds the stages whose rendered bundle changed (or stopped
    rendering); it is empty when the file changed but no rendered bundle did
    (a comment, the layout).
    """

    commit: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: dt.datetime
    committed_at: dt.datetime
    summary: str
    bugs: tuple[int, ...]
    stages: tuple[StageChange, ...]
    reverts: str | None = None
    reverted_by: str | None = None

    @property
    def merge(self) -> bool:
        """The commit merged another line of history (its changes are the merged ones)."""
        return len(self.parents) > 1

    def to_json(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "parents": list(self.parents),
            "merge": self.merge,
            "author": {"name": self.author_name, "email": self.author_email},
            "authored_at": self.authored_at.isoformat(),
            "committed_at": self.committed_at.isoformat(),
            "summary": self.summary,
            "bugs": list(self.bugs),
            "reverts": self.reverts,
            "reverted_by": self.reverted_by,
            "stages": [change.to_json() for change in self.stages],
        }


@attrs.frozen(kw_only=True)
class ChangeLog:
    """The entries (newest first) and the stages followed.

    ``rendered`` and ``read`` count the stage versions rendered in full and
    read off a previous rendering.
    """

    entries: tuple[Entry, ...]
    stages: tuple[str, ...]
    rendered: int = 0
    read: int = 0

    def to_json(self) -> dict[str, object]:
        return {"stages": list(self.stages), "entries": [e.to_json() for e in self.entries]}


def deployments(runs: Iterable[RunSummary], instances: Instances, spec: Spec) -> list[Deployment]:
    """The deployments the runs record, oldest first.

    A run deployed when its :data:`UPGRADE_STEP` is done (not skipped as done
    by another run); the commit is the ``commit`` output of the first of
    :data:`COMMIT_STEPS` that has one; the time is the run's last record.
    Runs on instances this spec does not describe are left out.
    """
    stage_of: dict[str, str] = {}
    for instance in instances:
        for stage in spec.stages:
            if instance.mojo_stage in (stage.mojo, stage.name) or instance.stage_name == stage.name:
                stage_of[instance.name] = stage.name
    found = []
    for run in runs:
        steps = {step.name: step for step in run.steps}
        upgrade = steps.get(UPGRADE_STEP)
        if run.instance not in stage_of or upgrade is None or upgrade.outcome != "done":
            continue
        commit = next(
            (
                str(steps[name].outputs["commit"])
                for name in COMMIT_STEPS
                if name in steps and steps[name].outputs.get("commit")
            ),
            None,
        )
        if commit is None:
            continue
        found.append(
            Deployment(
                run_id=run.run_id,
                plan=run.plan,
                instance=run.instance,
                stage=stage_of[run.instance],
                commit=commit,
                at=run.updated,
            )
        )
    return sorted(found, key=lambda deployment: (deployment.at, deployment.run_id))


def _candidates(spec: Spec, stage: Stage, top: Path) -> tuple[str, ...]:
    """The bundle files Mojo's lookup tries for ``stage``, nearest first, from ``top``."""
    name = _bundle_name(spec, stage)
    root = spec.root
    directory = stage.directory.resolve()
    found = []
    while True:
        try:
            found.append((directory / name).relative_to(top).as_posix())
        except ValueError:
            break
        if directory == root or root not in directory.parents:
            break
        directory = directory.parent
    return tuple(found)


def _bundle_name(spec: Spec, stage: Stage) -> str:
    """The ``config=`` name of the stage's ``bundle`` phase (``bundle.yaml`` without one)."""
    from lpsigning_mojo.mojospec.plan import plan_stage

    try:
        plan = plan_stage(spec, stage)
    except UsageError:
        return BUNDLE_FILE
    for phase in plan.phases():
        if phase.name == "bundle" and phase.step.config_name:
            return phase.step.config_name
    return BUNDLE_FILE


def read_change_log(
    git: Git,
    spec: Spec,
    *,
    top: str | os.PathLike[str],
    stages: Sequence[Stage] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    runs: Sequence[Deployment] = (),
    variables: Mapping[str, object] | None = None,
    revision: str = "HEAD",
) -> ChangeLog:
    """The change log of ``spec`` (in the repository whose top is ``top``) up to ``revision``.

    ``stages`` (default: every stage) are followed; a commit that changed
    the file but no rendered bundle is listed only when every stage is
    followed. Entries are kept when their commit date is within [``since``,
    ``until``) (values before ``since`` still count as the old side of the
    first kept change). ``runs`` are the deployments (:func:`deployments`);
    ``variables`` extra template variables (``series``).

    The cyclic garbage collector is paused meanwhile, as for linting: the
    walk makes tens of thousands of small acyclic objects, which it would
    scan again and again for nothing.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_change_log(
            git,
            spec,
            top=top,
            stages=stages,
            since=since,
            until=until,
            runs=runs,
            variables=variables,
            revision=revision,
        )
    finally:
        if enabled:
            gc.enable()


def _read_change_log(
    git: Git,
    spec: Spec,
    *,
    top: str | os.PathLike[str],
    stages: Sequence[Stage] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    runs: Sequence[Deployment] = (),
    variables: Mapping[str, object] | None = None,
    revision: str = "HEAD",
) -> ChangeLog:
    top_path = Path(top).resolve()
    chosen = tuple(stages) if stages else spec.stages
    if not chosen:
        raise UsageError(
            f"the spec {spec.directory} has no stages to follow",
            hint="add a directory per stage (production/, staging/)",
        )
    candidates = {stage.name: _candidates(spec, stage, top_path) for stage in chosen}
    paths = sorted({path for found in candidates.values() for path in found})
    if not paths:
        raise UsageError(f"the spec {spec.directory} is not inside the repository {top_path}")
    commits = git.log(revision, paths=paths, changes=True, first_parent=True)
    wanted = {change.new_blob for commit in commits for change in commit.changes}
    wanted.discard(None)
    blobs = git.read_blobs(sorted(b for b in wanted if b is not None))
    tracker = VersionTracker(variables=variables, path=None)
    names = [stage.name for stage in chosen]
    current: dict[str, str] = {}  # path -> blob id, for the files that exist
    effective: dict[str, str | None] = dict.fromkeys(names)
    following: dict[str, str | None] = dict.fromkeys(names)
    entries: list[Entry] = []
    every = not stages
    for commit in reversed(commits):
        added_or_removed = False
        for change in commit.changes:
            if change.new_blob is None:
                current.pop(change.path, None)
                added_or_removed = True
            else:
                if change.path not in current:
                    added_or_removed = True
                current[change.path] = change.new_blob
        if added_or_removed:  # Mojo's lookup may now find another file
            for name in names:
                effective[name] = next((path for path in candidates[name] if path in current), None)
        versions: dict[str, StageVersion] = {}
        by_blob: dict[tuple[str, str], list[str]] = {}
        first: set[str] = set()
        for name in names:
            path = effective[name]
            blob = None if path is None else current[path]
            if blob == following[name]:
                continue
            if following[name] is None:
                first.add(name)
            following[name] = blob
            if path is None or blob is None:
                versions[name] = tracker.forget(name)
            else:
                by_blob.setdefault((path, blob), []).append(name)
        for (path, blob), members in by_blob.items():
            tracker.path = path
            versions.update(tracker.advance(blob, blobs[blob].decode("utf-8", "replace"), members))
        changes: list[StageChange] = []
        if versions:
            for name in names:
                version = versions.get(name)
                if version is None:
                    continue
                if version.error is None and not version.recovered and version.diff.empty:
                    continue
                changes.append(
                    StageChange(
                        stage=name,
                        diff=version.diff,
                        error=version.error,
                        recovered=version.recovered,
                        first=_first(version) if name in first else None,
                    )
                )
        # A change that no stage sees is listed when every stage is followed.
        if changes or every:
            entries.append(_entry(commit, tuple(changes)))
    entries = _with_reverts(entries)
    entries = _with_deployments(git, entries, runs)
    kept = [entry for entry in entries if _within(entry.committed_at, since, until)]
    return ChangeLog(
        entries=tuple(reversed(kept)),
        stages=tuple(stage.name for stage in chosen),
        rendered=tracker.full,
        read=tracker.read,
    )


def _entry(commit: Commit, stages: tuple[StageChange, ...]) -> Entry:
    summary = commit.message.strip("\n").split("\n", 1)[0].strip()
    return Entry(
        commit=commit.id,
        parents=commit.parents,
        author_name=commit.author_name,
        author_email=commit.author_email,
        authored_at=commit.authored_at,
        committed_at=commit.committed_at,
        summary=summary,
        bugs=bug_references(commit.message),
        stages=stages,
        reverts=reverted_commit(commit.message),
    )


def _with_reverts(entries: list[Entry]) -> list[Entry]:
    index = {entry.commit: position for position, entry in enumerate(entries)}
    result = list(entries)
    for entry in entries:
        if entry.reverts is not None and entry.reverts in index:
            position = index[entry.reverts]
            result[position] = attrs.evolve(result[position], reverted_by=entry.commit)
    return result


def _with_deployments(git: Git, entries: list[Entry], runs: Sequence[Deployment]) -> list[Entry]:
    """Mark each stage change with the first run (by time) that deployed it or a later commit."""
    if not runs or not entries:
        return entries
    index = {entry.commit: position for position, entry in enumerate(entries)}
    deployed: dict[tuple[int, str], Deployment] = {}
    reached: dict[str, int] = {}  # stage -> entries up to this index are assigned
    for run in sorted(runs, key=lambda run: (run.at, run.run_id)):
        position = index.get(run.commit)
        if position is None:
            position = _newest_ancestor(git, entries, run.commit)
        start = reached.get(run.stage, -1) + 1
        for at in range(start, position + 1):
            deployed[(at, run.stage)] = run
        reached[run.stage] = max(reached.get(run.stage, -1), position)
    result = []
    for position, entry in enumerate(entries):
        stages = tuple(
            attrs.evolve(change, deployed=deployed.get((position, change.stage)))
            for change in entry.stages
        )
        result.append(attrs.evolve(entry, stages=stages))
    return result


def _newest_ancestor(git: Git, entries: Sequence[Entry], commit: str) -> int:
    """The index of the newest entry that ``commit`` contains (-1 for none): a binary search.

    The entries lie on one line of first parents, so each contains every
    earlier one.
    """
    low, high = -1, len(entries) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if git.is_ancestor(entries[middle].commit, commit):
            low = middle
        else:
            high = middle - 1
    return low


def _within(moment: dt.datetime, since: dt.datetime | None, until: dt.datetime | None) -> bool:
    return (since is None or moment >= since) and (until is None or moment < until)
