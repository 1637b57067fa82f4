"""The Juju bundle, pure: model, Jinja2 templates, text edits and diffs.

Nothing here does I/O beyond reading the text it is given.
"""

from __future__ import annotations

from lpsigning_mojo.bundle.diff import BundleDiff, FieldChange, diff_bundles
from lpsigning_mojo.bundle.edit import (
    DEFAULT_STAGES,
    EditResult,
    render_bundle,
    set_channel,
    set_option,
    set_revision,
)
from lpsigning_mojo.bundle.model import Application, Bundle, Machine, Position, Relation
from lpsigning_mojo.bundle.template import Origin, Rendered, Template, mojo_variables, stage_name

__all__ = [
    "DEFAULT_STAGES",
    "Application",
    "Bundle",
    "BundleDiff",
    "EditResult",
    "FieldChange",
    "Machine",
    "Origin",
    "Position",
    "Relation",
    "Rendered",
    "Template",
    "diff_bundles",
    "mojo_variables",
    "render_bundle",
    "set_channel",
    "set_option",
    "set_revision",
    "stage_name",
]
