"""The corpus of bad bundles and manifests: each file states what it must produce.

Every file under ``corpus/`` carries lines such as::

    # expect: LSM113 12:25
    # expect: LSM202 5:12 warning staging,devel

(code, template line:column, and optionally the severity and the stages).
Linting the file must produce exactly those findings, no more and no fewer.
Bundles in ``corpus/bundles`` are outside any spec, so they are checked for
the default stages (production, staging, devel); manifests in
``corpus/spec-manifests`` belong to a spec with the stages production and
staging. Each directory of ``corpus/instances`` holds one bad
``instances.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lpsigning_mojo.lint import LintConfig, all_rules, lint_paths

CORPUS = Path(__file__).parent / "corpus"
_EXPECT_RE = re.compile(
    r"expect: (LSM[0-9]{3}) ([0-9]+):([0-9]+)(?: (error|warning))?(?: ([a-z,]+))?\s*$"
)


def corpus_files() -> list[Path]:
    bundles = sorted((CORPUS / "bundles").glob("*.yaml"))
    manifests = sorted((CORPUS / "spec-manifests").glob("manifest-*"))
    instances = sorted((CORPUS / "instances").glob("*/instances.yaml"))
    return bundles + manifests + instances


def expectations(path: Path) -> list[tuple[str, int, int, str | None, tuple[str, ...] | None]]:
    found = []
    for line in path.read_bytes().decode("utf-8").splitlines():
        match = _EXPECT_RE.search(line)
        if match:
            code, row, column, severity, stages = match.groups()
            found.append(
                (
                    code,
                    int(row),
                    int(column),
                    severity,
                    tuple(stages.split(",")) if stages else None,
                )
            )
    return found


def _case(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.name == "instances.yaml" else path.name


@pytest.mark.parametrize("path", corpus_files(), ids=_case)
def test_corpus_file_produces_exactly_its_expectations(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} states no expectation"
    report = lint_paths([str(path)], config=LintConfig())
    got = sorted((f.code, f.line, f.column) for f in report.findings)
    assert got == sorted((code, line, column) for code, line, column, _, _ in expected)
    for code, line, column, severity, stages in expected:
        matching = [
            f
            for f in report.findings
            if (f.code, f.line, f.column) == (code, line, column)
            and (severity is None or f.severity == severity)
        ]
        assert matching, f"no {severity} {code} at {line}:{column}"
        if stages is not None:
            assert any(f.stages == stages for f in matching), [f.stages for f in matching]


def test_the_corpus_covers_every_rule() -> None:
    covered = {code for path in corpus_files() for code, *_ in expectations(path)}
    assert covered == set(all_rules())


def test_the_corpus_spec_itself_is_clean() -> None:
    report = lint_paths([str(CORPUS / "spec-manifests" / "manifest")], config=LintConfig())
    assert report.findings == ()
    assert report.stages == ("production", "staging")
