"""What a check reports before the runner places it in the template.

Checks work on the text they are given (a bundle as rendered for one
stage, or a manifest) and report :class:`Problem` values at positions in
that text. The runner maps those positions back to the template, attaches
the stages, and turns them into :class:`~lpsigning_mojo.lint.registry.Finding`
values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import yaml

from lpsigning_mojo.lint.registry import Severity
from lpsigning_mojo.yamlnodes import position

if TYPE_CHECKING:
    from lpsigning_mojo.bundle.template import Origin

__all__ = ["Problem", "StageContext", "at_node"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Problem:
    """A problem at a 1-based ``line`` and ``column`` of the checked text.

    ``severity`` overrides the rule's default (a rule may be an error in
    production and a warning elsewhere). When ``related`` is set, the
    runner replaces ``{line}`` in ``message`` with the template line of
    that (rendered) position.
    """

    code: str
    message: str
    line: int
    column: int
    severity: Severity | None = None
    related: tuple[int, int] | None = None


def at_node(
    code: str,
    node: yaml.Node,
    message: str,
    *,
    severity: Severity | None = None,
    related: yaml.Node | None = None,
) -> Problem:
    """A :class:`Problem` at the start of ``node``."""
    line, column = position(node)
    return Problem(
        code=code,
        message=message,
        line=line,
        column=column,
        severity=severity,
        related=None if related is None else position(related),
    )


def _no_origin(line: int, column: int) -> Origin | None:
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class StageContext:
    """What a bundle check knows about the stage it checks.

    ``production`` says whether the stage is a production stage (from the
    configuration); ``origin`` maps a rendered position to the template
    character that wrote it, when that is known.
    """

    stage: str
    production: bool = False
    origin: Callable[[int, int], Origin | None] = _no_origin

    def computed(self, node: yaml.Node) -> bool:
        """Whether ``node``'s value was computed by a ``{{ expression }}``."""
        found = self.origin(*position(node))
        return found is not None and found.kind == "expression"
