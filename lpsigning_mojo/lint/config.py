"""Lint configuration: ``[tool.lpsigning-mojo.lint]`` in the spec repository's pyproject.toml.

::

    [tool.lpsigning-mojo.lint]
    select = ["LSM"]              # codes or prefixes to check (default: all)
    ignore = ["LSM204"]           # codes or prefixes to skip
    stages = ["production", "staging"]   # stages to render (default: every stage directory)
    production-stages = ["production"]   # where unpinned revisions are errors
    promotion-order = ["staging", "production"]   # each may not be ahead of the one before
    variables = { region = "ps5" }       # extra template variables

    [tool.lpsigning-mojo.lint.severity]
    LSM202 = "error"

The nearest ``pyproject.toml`` holding that table, from the first path
linted upwards, is used; without one, the defaults apply.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lpsigning_mojo.errors import FileAccessError, UsageError
from lpsigning_mojo.files import read_text, read_toml
from lpsigning_mojo.lint.registry import SEVERITIES, Severity
from lpsigning_mojo.mojospec.layout import upwards
from lpsigning_mojo.policy import PRODUCTION_STAGES, PROMOTION_ORDER, ReleasePolicy
from lpsigning_mojo.suggest import did_you_mean

__all__ = ["LintConfig", "find_config", "load_config"]

_TABLE = "lpsigning-mojo"
_KEYS = frozenset(
    {"select", "ignore", "stages", "production-stages", "promotion-order", "variables", "severity"}
)
_CODE_PREFIX_RE = re.compile(r"LSM[0-9]{0,3}\Z")
_TABLE_RE = re.compile(r'(^|[\s.\[])"?lpsigning-mojo"?\s*(\.\s*"?lint\b|\])', re.MULTILINE)


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(code.startswith(pattern) for pattern in patterns)


@dataclasses.dataclass(frozen=True, kw_only=True)
class LintConfig:
    """What to check and how severely. ``source`` is the file it came from, if any."""

    select: tuple[str, ...] = ("LSM",)
    ignore: tuple[str, ...] = ()
    stages: tuple[str, ...] | None = None
    production_stages: tuple[str, ...] = PRODUCTION_STAGES
    promotion_order: tuple[str, ...] = PROMOTION_ORDER
    variables: Mapping[str, object] = dataclasses.field(default_factory=dict)
    severity: Mapping[str, Severity] = dataclasses.field(default_factory=dict)
    source: str | None = None

    def enabled(self, code: str) -> bool:
        """Whether findings of ``code`` are reported."""
        return _matches(code, self.select) and not _matches(code, self.ignore)

    def severity_of(self, code: str, severity: Severity) -> Severity:
        """``severity`` unless the configuration overrides the rule's."""
        return self.severity.get(code, severity)

    def release_policy(self) -> ReleasePolicy:
        """The release rules as this configuration applies them, for the bundle edits.

        Production stages and the promotion order are the configuration's; a
        rule it does not report as an error (ignored, or made a warning) is
        waived, so that an edit refuses exactly what bundle-lint rejects.
        """
        from lpsigning_mojo.lint.registry import all_rules

        waived = frozenset(
            code
            for code, found in all_rules().items()
            if not self.enabled(code) or self.severity_of(code, found.severity) != "error"
        )
        return ReleasePolicy(
            production_stages=self.production_stages,
            promotion_order=self.promotion_order,
            waived=waived,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str | None = None) -> LintConfig:
        """Read the ``[tool.lpsigning-mojo.lint]`` table; errors name the bad key."""

        def fail(message: str, hint: str | None = None) -> UsageError:
            where = f"{source}: " if source else ""
            return UsageError(f"{where}[tool.{_TABLE}.lint] {message}", hint=hint)

        for key in data:
            if key not in _KEYS:
                raise fail(
                    f"has an unknown key {key!r}{did_you_mean(key, _KEYS)}",
                    hint=f"the keys are: {', '.join(sorted(_KEYS))}",
                )

        def strings(key: str, *, codes: bool = False) -> tuple[str, ...] | None:
            value = data.get(key)
            if value is None:
                return None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(f"{key} must be a list of strings")
            if codes:
                for code in value:
                    if not _CODE_PREFIX_RE.match(code):
                        raise fail(f"{key}: {code!r} is not a rule code or prefix (LSM202, LSM2)")
            return tuple(value)

        severity = data.get("severity", {})
        if not isinstance(severity, dict):
            raise fail('severity must be a table of CODE = "error" or "warning"')
        for code, level in severity.items():
            if not re.match(r"LSM[0-9]{3}\Z", code) or level not in SEVERITIES:
                raise fail(
                    f'severity: {code} = {level!r} must be a rule code set to "error" or "warning"'
                )
        variables = data.get("variables", {})
        if not isinstance(variables, dict):
            raise fail("variables must be a table of template variables")
        default = cls()
        return cls(
            select=strings("select", codes=True) or default.select,
            ignore=strings("ignore", codes=True) or (),
            stages=strings("stages"),
            production_stages=strings("production-stages") or default.production_stages,
            promotion_order=strings("promotion-order") or default.promotion_order,
            variables=dict(variables),
            severity=dict(severity),
            source=source,
        )


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path, error=UsageError)


def find_config(start: str | os.PathLike[str]) -> Path | None:
    """The nearest pyproject.toml above ``start`` holding ``[tool.lpsigning-mojo.lint]``.

    The search stops at the top of a git working tree.
    """
    for candidate in upwards(start):
        pyproject = candidate / "pyproject.toml"
        try:
            text = read_text(pyproject) if pyproject.is_file() else ""
        except FileAccessError:
            text = ""
        # A cheap test first: most pyproject files have no such table, and not
        # parsing them keeps the pre-commit hook fast.
        if _TABLE_RE.search(text):
            lint = _read_toml(pyproject).get("tool", {}).get(_TABLE, {}).get("lint")
            if lint is not None:
                return pyproject
    return None


def load_config(start: str | os.PathLike[str] | None = None) -> LintConfig:
    """The configuration that applies to ``start`` (default: the current directory)."""
    found = find_config(start if start is not None else Path.cwd())
    if found is None:
        return LintConfig()
    table = _read_toml(found)["tool"][_TABLE]["lint"]
    if not isinstance(table, dict):
        raise UsageError(f"{found}: [tool.{_TABLE}.lint] must be a table")
    return LintConfig.from_mapping(table, source=str(found))
