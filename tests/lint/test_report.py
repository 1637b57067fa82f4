"""Reporters: text, JSON and GitHub annotations."""

from __future__ import annotations

import json

from lpsigning_mojo.lint.registry import Finding
from lpsigning_mojo.lint.report import format_github, format_json, format_report, format_text
from lpsigning_mojo.lint.runner import Report
from lpsigning_mojo.lint.targets import Scope

SCOPE = Scope(
    directory="spec/lp-signing",
    root="spec",
    stages=("lp-signing/production", "lp-signing/staging"),
    files=("spec/lp-signing/bundle.yaml", "spec/lp-signing/manifest"),
)

ERROR = Finding(
    code="LSM113",
    severity="error",
    message="relation names application 'nrep', which the bundle does not define",
    path="spec/lp-signing/bundle.yaml",
    line=31,
    column=7,
    stages=("production", "staging"),
)
WARNING = Finding(
    code="LSM202",
    severity="warning",
    message="nrpe: Charmhub charm 'nrpe' has no pinned revision",
    path="spec/lp-signing/bundle.yaml",
    line=44,
    column=12,
    stages=("staging",),
)
MANIFEST = Finding(
    code="LSM302",
    severity="error",
    message="unknown Mojo phase 'bundel' (did you mean 'bundle'?)",
    path="spec/lp-signing/manifest",
    line=3,
    column=1,
)
REPORT = Report(
    findings=(ERROR, WARNING, MANIFEST),
    files=("spec/lp-signing/bundle.yaml", "spec/lp-signing/manifest"),
    stages=("production", "staging"),
    scopes=(SCOPE,),
)


def test_text() -> None:
    assert format_text(REPORT) == (
        "spec/lp-signing/bundle.yaml:31:7: LSM113 relation names application 'nrep', which "
        "the bundle does not define [production, staging]\n"
        "spec/lp-signing/bundle.yaml:44:12: LSM202 warning: nrpe: Charmhub charm 'nrpe' has "
        "no pinned revision [staging]\n"
        "spec/lp-signing/manifest:3:1: LSM302 unknown Mojo phase 'bundel' (did you mean "
        "'bundle'?)\n"
        "Spec spec/lp-signing (spec root spec): stages lp-signing/production, "
        "lp-signing/staging.\n"
        "3 problems (2 errors, 1 warning) in 2 files (stages checked: production, staging).\n"
    )


def test_the_scope_says_when_the_stages_are_assumed() -> None:
    lone = Scope(
        directory=".",
        root=".",
        stages=("production", "staging", "devel"),
        files=("bundle.yaml",),
        standalone=True,
        assumed=True,
    )
    assert lone.sentence() == (
        "bundle.yaml: in no Mojo spec (no manifest at or above it), so checked for the "
        "standard stages production, staging, devel (choose others with --stage)."
    )
    asked = Scope(
        directory="spec", root=".", stages=("qa",), files=("spec/manifest",), assumed=True
    )
    assert asked.sentence() == (
        "Spec spec (spec root .) has no stage directories: checked for the stages asked for: qa."
    )
    one = Scope(directory="a/b", root=".", stages=("a/b",), files=("a/b/manifest",))
    assert one.sentence() == "Spec a/b (spec root .): stage a/b."


def test_text_when_clean() -> None:
    clean = Report(findings=(), files=("a",), stages=("staging",))
    assert format_text(clean) == "No problems in 1 file (stages checked: staging).\n"


def test_json() -> None:
    document = json.loads(format_json(REPORT))
    assert document["summary"] == {
        "errors": 2,
        "warnings": 1,
        "files": ["spec/lp-signing/bundle.yaml", "spec/lp-signing/manifest"],
        "stages": ["production", "staging"],
        "specs": [
            {
                "directory": "spec/lp-signing",
                "root": "spec",
                "stages": ["production", "staging"],
                "mojo_stages": ["lp-signing/production", "lp-signing/staging"],
                "files": ["spec/lp-signing/bundle.yaml", "spec/lp-signing/manifest"],
                "standalone": False,
                "assumed": False,
            }
        ],
    }
    first = document["findings"][0]
    assert first == {
        "code": "LSM113",
        "rule": "relation-unknown-application",
        "severity": "error",
        "message": ERROR.message,
        "path": "spec/lp-signing/bundle.yaml",
        "line": 31,
        "column": 7,
        "stages": ["production", "staging"],
        "fix": first["fix"],
    }
    assert first["fix"]
    assert format_report(REPORT, "json") == format_json(REPORT)


def test_github_annotations_escape_their_data() -> None:
    odd = Finding(
        code="LSM001",
        severity="warning",
        message="50% broken\nsecond line",
        path="dir,with:odd/bundle.yaml",
        line=2,
        column=3,
    )
    lines = format_github(Report(findings=(ERROR, odd), files=(), stages=())).splitlines()
    assert lines[0] == (
        "::error file=spec/lp-signing/bundle.yaml,line=31,col=7,"
        "title=LSM113 relation-unknown-application::" + ERROR.message + " [production, staging]"
    )
    assert lines[1] == (
        "::warning file=dir%2Cwith%3Aodd/bundle.yaml,line=2,col=3,title=LSM001 yaml-syntax"
        "::50%25 broken%0Asecond line"
    )
