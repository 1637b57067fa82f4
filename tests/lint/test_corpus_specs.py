"""Real-world spec layouts lint with exactly their expected findings (most of them none).

Each directory of ``corpus_specs/`` is a small repository written for these
tests, reproducing a pattern of real Mojo spec repositories that once gave
false findings: variables set on every branch of an ``{% if %}``, a variable
left unset in some stages, stage directories that keep their own manifest
with symlinked helpers (``utils -> ../../../../helper/utils``), a bundle in
no spec beside ``docs/`` and ``tests/``, charm store URLs and local charms
that Mojo's ``collect`` phase provides.

Its ``expected.txt`` lists bundle-lint runs as ``$ bundle-lint ARGS # exit N``,
each followed by the exact output. The repository is copied (symlinks kept)
to a temporary directory with a ``.git`` directory at its top, as Mojo's
checkout of a spec repository would have, and each run is made from there.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from lpsigning_mojo.commands import lint as command

CORPUS = Path(__file__).parent / "corpus_specs"
_PROMPT = "$ bundle-lint"


def cases() -> list[Path]:
    return sorted(path for path in CORPUS.iterdir() if (path / "expected.txt").is_file())


def runs(case: Path) -> list[tuple[list[str], int, str]]:
    """(arguments, exit status, output) of each run ``expected.txt`` lists."""
    found: list[tuple[list[str], int, list[str]]] = []
    for line in (case / "expected.txt").read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith(_PROMPT):
            arguments, _, status = line[len(_PROMPT) :].partition(" # exit ")
            found.append((shlex.split(arguments), int(status), []))
        else:
            found[-1][2].append(line)
    return [(arguments, status, "".join(output)) for arguments, status, output in found]


def test_every_case_lists_runs() -> None:
    assert len(cases()) >= 5
    assert all(runs(case) for case in cases())


@pytest.mark.parametrize("case", cases(), ids=lambda path: path.name)
def test_a_real_spec_layout_lints_with_exactly_its_expected_output(
    case: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repository = tmp_path / case.name
    shutil.copytree(case, repository, symlinks=True, ignore=shutil.ignore_patterns("expected.txt"))
    (repository / ".git").mkdir()  # the top of the repository: Mojo's spec root
    monkeypatch.chdir(repository)
    for arguments, status, output in runs(case):
        assert (command.main(arguments), capsys.readouterr().out) == (status, output), arguments
