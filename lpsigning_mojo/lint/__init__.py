"""bundle-lint: checks of bundle templates and Mojo manifests, for every stage.

Rules have stable codes (``LSM`` and three digits) and are listed, with
examples, in the rule catalogue of the docs, generated from
:func:`~lpsigning_mojo.lint.registry.all_rules`. :func:`lint_paths` lints
spec directories, bundle templates and manifests and returns a
:class:`Report`; :func:`format_report` prints it as text, JSON or GitHub
annotations. Nothing here imports the heavy libraries (paramiko,
launchpadlib, juju). Linting reads files and never writes one; the only
writer in this package is :func:`lpsigning_mojo.lint.catalogue.write_catalogue`,
which regenerates the rule catalogue page of the docs when asked to.
"""

from __future__ import annotations

from lpsigning_mojo.lint.config import LintConfig, load_config
from lpsigning_mojo.lint.registry import Finding, Rule, all_rules, rule
from lpsigning_mojo.lint.report import format_report
from lpsigning_mojo.lint.runner import Report, lint_paths

__all__ = [
    "Finding",
    "LintConfig",
    "Report",
    "Rule",
    "all_rules",
    "format_report",
    "lint_paths",
    "load_config",
    "rule",
]
