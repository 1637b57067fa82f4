"""The change log read back from a real git repository built here, with known changes.

The repository holds a copy of the shipped spec and a history with revision
bumps, a ``build_label`` change and its revert, a merge, a stage that keeps
its own bundle for a while, a structural change, a version that does not
render for one stage, and a README-only commit. Release journals are
written with the runbook's own RunStore.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from lpsigning_mojo.bundle.diff import FieldChange
from lpsigning_mojo.external.git import GitCli
from lpsigning_mojo.instances import load_instances
from lpsigning_mojo.mojospec import Spec
from lpsigning_mojo.release.changelog import Deployment, Entry, deployments, read_change_log
from lpsigning_mojo.runbook import RunStore, Session
from lpsigning_mojo.testing import FakeClock
from tests.conftest import REPO_ROOT

BUNDLE = "spec/lp-signing/bundle.yaml"
LABEL = "1f3c9a2b7d4e5f60718293a4b5c6d7e8f9012345"
NEW_LABEL = "0123456789abcdef0123456789abcdef01234567"


class SpecRepo:
    """A git repository holding the spec, committing with fixed names and dates."""

    def __init__(self, top: Path) -> None:
        self.top = top
        shutil.copytree(REPO_ROOT / "spec" / "lp-signing", top / "spec" / "lp-signing")
        self.day = 0
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: str = "Alice Example") -> str:
        when = f"2026-01-{self.day + 1:02d}T10:00:00+00:00"
        environment = {
            **os.environ,
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": author.split()[0].lower() + "@example.com",
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": author.split()[0].lower() + "@example.com",
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        done = subprocess.run(
            ["git", "-C", str(self.top), "-c", "commit.gpgsign=false", *args],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.top / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))

    def commit(self, message: str, *, author: str = "Alice Example") -> str:
        self.day += 1
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, author=author)
        return self.git("rev-parse", "HEAD")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[SpecRepo, dict[str, str]]:
    repo = SpecRepo(tmp_path_factory.mktemp("spec-repo"))
    ids: dict[str, str] = {}
    ids["init"] = repo.commit("Add the lp-signing spec")
    repo.edit(BUNDLE, "revision: 87", "revision: 88")
    ids["bump"] = repo.commit(
        "Upgrade lp-signing to revision 88\n\nLP: #100, #101\n", author="Bob Builder"
    )
    repo.edit(BUNDLE, LABEL, NEW_LABEL)
    ids["label"] = repo.commit("Deploy build 01234567 to production\n\nLP: #102\n")
    repo.day += 1
    repo.git("revert", "--no-edit", "HEAD")
    ids["revert"] = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "side")
    repo.edit(BUNDLE, "revision: 125", "revision: 126")
    ids["side"] = repo.commit("Upgrade nrpe to revision 126\n\nLP: #103\n")
    repo.git("checkout", "-q", "main")
    repo.edit(BUNDLE, "# Subordinate: Nagios", "# Subordinate, always: Nagios")
    ids["comment"] = repo.commit("Say that nrpe is always there")
    repo.day += 1
    repo.git("merge", "-q", "--no-ff", "-m", "Merge the nrpe upgrade\n\nLP: #103", "side")
    ids["merge"] = repo.git("rev-parse", "HEAD")
    (repo.top / "spec" / "lp-signing" / "README.md").write_text("Only the README.\n")
    ids["readme"] = repo.commit("Reword the README")
    own = (repo.top / BUNDLE).read_text().replace("revision: 88", "revision: 90")
    (repo.top / "spec" / "lp-signing" / "staging" / "bundle.yaml").write_text(own)
    ids["own"] = repo.commit("Try lp-signing revision 90 on staging only")
    repo.edit(BUNDLE, "    num_units: 1\n", "    num_units: 3\n")
    ids["units"] = repo.commit("Three units on devel")
    repo.edit(BUNDLE, "      build_label: ", "      build_label: {{ nope }}")
    ids["broken"] = repo.commit("Break production")
    repo.edit(BUNDLE, "      build_label: {{ nope }}", "      build_label: ")
    ids["fixed"] = repo.commit("Mend production")
    (repo.top / "spec" / "lp-signing" / "staging" / "bundle.yaml").unlink()
    ids["shared"] = repo.commit("Staging deploys the shared bundle again")
    return repo, ids


def read(repo: SpecRepo, **kwargs: object) -> tuple[Entry, ...]:
    spec = Spec.load(repo.top / "spec" / "lp-signing")
    return read_change_log(GitCli(repo.top), spec, top=repo.top, **kwargs).entries  # type: ignore[arg-type]


def by_stage(entry: Entry) -> Mapping[str, tuple[FieldChange, ...]]:
    return {change.stage: change.diff.changes for change in entry.stages}


def change(application: str, field: str, old: object, new: object) -> FieldChange:
    return FieldChange(application=application, field=field, old=old, new=new)


def test_every_commit_that_changed_a_deployed_bundle_newest_first(
    history: tuple[SpecRepo, dict[str, str]],
) -> None:
    repo, ids = history
    entries = read(repo)
    names = {value: key for key, value in ids.items()}
    assert [names[entry.commit] for entry in entries] == [
        "shared",
        "fixed",
        "broken",
        "units",
        "own",
        "merge",
        "comment",
        "revert",
        "label",
        "bump",
        "init",
    ]


def test_fields_of_a_revision_bump(history: tuple[SpecRepo, dict[str, str]]) -> None:
    repo, ids = history
    bump = next(entry for entry in read(repo) if entry.commit == ids["bump"])
    assert bump.parents == (ids["init"],)
    assert not bump.merge
    assert (bump.author_name, bump.author_email) == ("Bob Builder", "bob@example.com")
    assert bump.authored_at == dt.datetime(2026, 1, 3, 10, tzinfo=dt.timezone.utc)
    assert bump.committed_at == bump.authored_at
    assert bump.summary == "Upgrade lp-signing to revision 88"
    assert bump.bugs == (100, 101)
    assert (bump.reverts, bump.reverted_by) == (None, None)
    revision = (change("lp-signing", "revision", 87, 88),)
    assert by_stage(bump) == {"devel": revision, "production": revision, "staging": revision}
    assert [line for c in bump.stages for line in c.lines()] == [
        "lp-signing revision: 87 -> 88"
    ] * 3


def test_a_production_only_change_and_its_revert(
    history: tuple[SpecRepo, dict[str, str]],
) -> None:
    repo, ids = history
    entries = {entry.commit: entry for entry in read(repo)}
    label, revert = entries[ids["label"]], entries[ids["revert"]]
    assert by_stage(label) == {
        "production": (change("lp-signing", "options.build_label", LABEL, NEW_LABEL),)
    }
    assert label.stages[0].lines() == [f"lp-signing build_label: {LABEL!r} -> {NEW_LABEL!r}"]
    assert label.bugs == (102,)
    assert label.reverted_by == ids["revert"]
    assert revert.reverts == ids["label"]
    assert revert.summary == 'Revert "Deploy build 01234567 to production"'
    assert revert.bugs == ()  # git writes the reverted summary only
    assert by_stage(revert) == {
        "production": (change("lp-signing", "options.build_label", NEW_LABEL, LABEL),)
    }


def test_a_merge_is_one_change_of_the_branch_line(
    history: tuple[SpecRepo, dict[str, str]],
) -> None:
    repo, ids = history
    entries = {entry.commit: entry for entry in read(repo)}
    assert ids["side"] not in entries  # its change lands with the merge
    merge = entries[ids["merge"]]
    assert merge.merge
    assert merge.parents == (ids["comment"], ids["side"])
    assert merge.summary == "Merge the nrpe upgrade"
    assert merge.bugs == (103,)
    nrpe = (change("nrpe", "revision", 125, 126),)
    assert by_stage(merge) == {"devel": nrpe, "production": nrpe, "staging": nrpe}
    comment = entries[ids["comment"]]
    assert comment.stages == ()


def test_a_stage_follows_its_own_file_while_it_has_one(
    history: tuple[SpecRepo, dict[str, str]],
) -> None:
    repo, ids = history
    entries = {entry.commit: entry for entry in read(repo)}
    assert by_stage(entries[ids["own"]]) == {"staging": (change("lp-signing", "revision", 88, 90),)}
    # Staging has its own file: the shared one's changes reach devel and production only.
    assert by_stage(entries[ids["units"]]) == {"devel": (change("lp-signing", "num_units", 1, 3),)}
    assert by_stage(entries[ids["shared"]]) == {
        "staging": (change("lp-signing", "revision", 90, 88),)
    }


def test_a_version_that_does_not_render_for_a_stage(
    history: tuple[SpecRepo, dict[str, str]],
) -> None:
    repo, ids = history
    entries = {entry.commit: entry for entry in read(repo)}
    broken = entries[ids["broken"]]
    assert [c.stage for c in broken.stages] == ["production"]
    (production,) = broken.stages
    assert production.error is not None
    assert "undefined template variable" in production.error
    assert production.lines() == [f"does not render: {production.error}"]
    (fixed,) = entries[ids["fixed"]].stages
    assert (fixed.stage, fixed.error, fixed.recovered) == ("production", None, True)
    assert fixed.diff.empty  # the same as the last version that rendered
    assert fixed.lines() == ["renders again"]


def test_the_first_version_lists_the_pins(history: tuple[SpecRepo, dict[str, str]]) -> None:
    repo, ids = history
    first = next(entry for entry in read(repo) if entry.commit == ids["init"])
    production = next(c for c in first.stages if c.stage == "production")
    assert production.first == {
        "lp-signing": {
            "charm": "lp-signing",
            "channel": "latest/edge",
            "revision": 87,
            "num_units": 2,
            "build_label": LABEL,
        },
        "nrpe": {
            "charm": "nrpe",
            "channel": "latest/stable",
            "revision": 125,
            "num_units": None,
            "build_label": None,
        },
    }
    assert production.lines() == [
        f"first version: lp-signing: lp-signing latest/edge revision 87, build_label {LABEL}",
        "first version: nrpe: nrpe latest/stable revision 125",
    ]


def test_stages_and_dates_choose_entries(history: tuple[SpecRepo, dict[str, str]]) -> None:
    repo, ids = history
    spec = Spec.load(repo.top / "spec" / "lp-signing")
    staging = read(repo, stages=[spec.stage("staging")])
    names = {value: key for key, value in ids.items()}
    assert [names[entry.commit] for entry in staging] == [
        "shared",
        "own",
        "merge",
        "bump",
        "init",
    ]
    window = read(
        repo,
        since=dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc),
        until=dt.datetime(2026, 1, 6, tzinfo=dt.timezone.utc),
    )
    assert [names[entry.commit] for entry in window] == ["revert", "label"]


def _run(runs: RunStore, instance: str, commit: str, *, upgrade: str = "done") -> str:
    header = runs.header(
        run_id=runs.new_run_id(),
        plan="release-staging",
        instance=instance,
        options={},
        steps=("commit", "push", "upgrade"),
        session=Session.current(),
    )
    journal = runs.create(header)
    journal.step_ended("commit", "done", phase="run", duration=1, outputs={"commit": commit})
    journal.step_ended("push", "done", phase="run", duration=1, outputs={"commit": commit})
    journal.step_ended("upgrade", upgrade, phase="run", duration=300)  # type: ignore[arg-type]
    journal.finished()
    journal.close()
    runs.clock.sleep(3600)  # type: ignore[attr-defined]
    return header["run_id"]  # type: ignore[return-value]


def test_deployments_from_the_journals(
    history: tuple[SpecRepo, dict[str, str]], tmp_path: Path
) -> None:
    repo, ids = history
    spec = Spec.load(repo.top / "spec" / "lp-signing")
    clock = FakeClock()
    runs = RunStore(tmp_path / "runs", clock=clock)
    first = _run(runs, "staging", ids["bump"])
    _run(runs, "staging", ids["label"], upgrade="failed")  # never deployed
    second = _run(runs, "dogfood", ids["readme"])  # an alias; a commit outside the log
    third = _run(runs, "production", ids["merge"])
    _run(runs, "nowhere", ids["merge"])  # no such instance: left out
    found = deployments(runs.runs(), load_instances(spec.directory / "instances.yaml"), spec)
    assert [(d.run_id, d.instance, d.stage, d.commit) for d in found] == [
        (first, "staging", "staging", ids["bump"]),
        (third, "production", "production", ids["merge"]),
    ]
    # An alias is not an instance name in a journal: the release records the name.
    found.insert(
        1,
        Deployment(
            run_id=second,
            plan="release-staging",
            instance="staging",
            stage="staging",
            commit=ids["readme"],
            at=found[0].at + 1,
        ),
    )
    entries = {entry.commit: entry for entry in read(repo, runs=found)}

    def deployed(name: str) -> dict[str, str | None]:
        return {
            c.stage: None if c.deployed is None else c.deployed.run_id
            for c in entries[ids[name]].stages
        }

    assert deployed("init") == {"devel": None, "production": third, "staging": first}
    assert deployed("bump") == {"devel": None, "production": third, "staging": first}
    assert deployed("label") == {"production": third}
    assert deployed("merge") == {"devel": None, "production": third, "staging": second}
    assert deployed("own") == {"staging": None}
    when = entries[ids["bump"]].stages[0]
    assert when.deployed is None
    staging = entries[ids["bump"]].stages[2]
    assert staging.deployed is not None
    assert staging.deployed.to_json()["at"] == "2026-01-01T00:00:00Z"
