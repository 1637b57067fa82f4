"""Reporters: text for people, JSON for programs, GitHub workflow annotations.

Text follows linters (``path:line:col: CODE message``); a warning says so
after the code, and the stages a finding applies to close the line. A
summary line follows the findings.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from lpsigning_mojo.lint.runner import Report

__all__ = ["FORMATS", "format_github", "format_json", "format_report", "format_text"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: Report) -> str:
    """One line: how many problems, in how many files, for which stages."""
    stages = f" (stages checked: {', '.join(sorted(report.stages))})" if report.stages else ""
    files = _plural(len(report.files), "file")
    if not report.findings:
        return f"No problems in {files}{stages}."
    problem_files = len({finding.path for finding in report.findings})
    counts = []
    if report.errors:
        counts.append(_plural(report.errors, "error"))
    if report.warnings:
        counts.append(_plural(report.warnings, "warning"))
    return (
        f"{_plural(len(report.findings), 'problem')} ({', '.join(counts)}) in "
        f"{_plural(problem_files, 'file')}{stages}."
    )


def format_text(report: Report) -> str:
    """``path:line:col: CODE message [stages]`` per finding, the spec root and stages used,
    then a summary."""
    lines = []
    for finding in report.findings:
        level = "warning: " if finding.severity == "warning" else ""
        stages = f" [{', '.join(finding.stages)}]" if finding.stages else ""
        lines.append(
            f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
            f"{level}{finding.message}{stages}"
        )
    lines.extend(scope.sentence() for scope in report.scopes)
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    """The findings and a summary as one JSON document."""
    document = {
        "findings": [
            {
                "code": finding.code,
                "rule": finding.rule.name,
                "severity": finding.severity,
                "message": finding.message,
                "path": finding.path,
                "line": finding.line,
                "column": finding.column,
                "stages": list(finding.stages),
                "fix": finding.rule.fix,
            }
            for finding in report.findings
        ],
        "summary": {
            "errors": report.errors,
            "warnings": report.warnings,
            "files": list(report.files),
            "stages": list(report.stages),
            "specs": [scope.to_json() for scope in report.scopes],
        },
    }
    return json.dumps(document, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(report: Report) -> str:
    """GitHub Actions workflow commands: one ``::error`` or ``::warning`` per finding."""
    lines = []
    for finding in report.findings:
        stages = f" [{', '.join(finding.stages)}]" if finding.stages else ""
        lines.append(
            f"::{finding.severity} file={_escape_property(finding.path)},line={finding.line},"
            f"col={finding.column},title={_escape_property(finding.code + ' ' + finding.rule.name)}"
            f"::{_escape_data(finding.message + stages)}"
        )
    return "".join(line + "\n" for line in lines)


FORMATS: dict[str, Callable[[Report], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
}


def format_report(report: Report, form: str = "text") -> str:
    """``report`` in format ``form`` (``text``, ``json`` or ``github``)."""
    return FORMATS[form](report)
