"""Lint rules, their registry, and findings.

Every rule has a stable code (``LSM`` and three digits), a default
severity, and the text of its catalogue entry (what it catches, how to fix
it, an example that triggers it). A check module declares its rules with
:func:`register` next to the code that finds them; the catalogue page in
the docs is generated from this registry, so code and docs cannot drift.

Codes are grouped by family: ``LSM0xx`` files, YAML and Jinja2;
``LSM1xx`` Juju's bundle schema and verifier; ``LSM2xx`` release policy;
``LSM3xx`` Mojo manifests. A code, once released, is never reused.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Literal

__all__ = [
    "CHECK_MODULES",
    "SEVERITIES",
    "Finding",
    "Rule",
    "Severity",
    "all_rules",
    "register",
    "rule",
]

Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")

#: The modules that declare rules; importing them fills the registry.
CHECK_MODULES: tuple[str, ...] = (
    "lpsigning_mojo.lint.source",
    "lpsigning_mojo.lint.schema",
    "lpsigning_mojo.lint.verifier",
    "lpsigning_mojo.lint.policy",
    "lpsigning_mojo.lint.manifest",
    "lpsigning_mojo.lint.instances",
)

_CODE_RE = re.compile(r"LSM[0-9]{3}\Z")
_NAME_RE = re.compile(r"[a-z][a-z0-9-]*\Z")
_RULES: dict[str, Rule] = {}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Rule:
    """One lint rule, as the catalogue documents it.

    ``applies_to`` is ``"bundle"`` (bundle templates), ``"manifest"`` or
    ``"instances"`` (``instances.yaml``);
    ``example`` is a file of that kind that triggers the rule (the tests
    lint every example and check that it does).
    """

    code: str
    name: str
    severity: Severity
    summary: str
    description: str
    fix: str
    example: str
    applies_to: Literal["bundle", "manifest", "instances"] = "bundle"

    def __post_init__(self) -> None:
        if not _CODE_RE.match(self.code):
            raise ValueError(f"rule code {self.code!r} is not LSM and three digits")
        if not _NAME_RE.match(self.name):
            raise ValueError(f"rule name {self.name!r} is not lower-case-with-dashes")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Finding:
    """A problem found in a file, at a template position (1-based).

    ``stages`` are the stages it applies to (empty when it does not depend
    on the stage, as for a Jinja2 syntax error or a manifest's phase name).
    """

    code: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    stages: tuple[str, ...] = ()

    @property
    def rule(self) -> Rule:
        """The rule that produced this finding."""
        return _RULES[self.code]

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        """Order by file, position, code, then errors before warnings."""
        return (self.path, self.line, self.column, self.code, self.severity, self.message)


def register(
    code: str,
    name: str,
    *,
    severity: Severity,
    summary: str,
    description: str,
    fix: str,
    example: str,
    applies_to: Literal["bundle", "manifest", "instances"] = "bundle",
) -> Rule:
    """Declare a rule; a second rule with the same code or name is a bug."""
    new = Rule(
        code=code,
        name=name,
        severity=severity,
        summary=summary,
        description=" ".join(description.split()),
        fix=" ".join(fix.split()),
        example=example,
        applies_to=applies_to,
    )
    if code in _RULES:
        raise ValueError(f"rule code {code} is registered twice")
    if any(existing.name == name for existing in _RULES.values()):
        raise ValueError(f"rule name {name} is registered twice")
    _RULES[code] = new
    return new


def all_rules() -> Mapping[str, Rule]:
    """Every rule, by code, in code order (imports the check modules)."""
    import importlib

    for module in CHECK_MODULES:
        importlib.import_module(module)
    return {code: _RULES[code] for code in sorted(_RULES)}


def rule(code: str) -> Rule:
    """The rule with ``code``; ``KeyError`` when there is none."""
    if not _RULES:
        all_rules()
    return _RULES[code]
