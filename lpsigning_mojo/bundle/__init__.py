"""The Juju bundle, pure: model, Jinja2 templates, text edits and diffs.

Nothing here does I/O beyond reading the text it is given.

The names below are imported on first use (PEP 562), so that importing one
submodule (``lpsigning_mojo.bundle.template`` for the lint hook) does not
import all the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpsigning_mojo._lazy import lazy_names

if TYPE_CHECKING:
    from lpsigning_mojo.bundle.diff import (
        BundleDiff,
        FieldChange,
        diff_bundles,
        diff_templates,
        unified_diff,
        unified_diff_lines,
    )
    from lpsigning_mojo.bundle.edit import (
        EditResult,
        set_channel,
        set_option,
        set_revision,
    )
    from lpsigning_mojo.bundle.model import Application, Bundle, Machine, Position, Relation
    from lpsigning_mojo.bundle.template import Origin, Rendered, Template, render_bundle

_SOURCES = {
    "BundleDiff": "diff",
    "FieldChange": "diff",
    "diff_bundles": "diff",
    "diff_templates": "diff",
    "unified_diff": "diff",
    "unified_diff_lines": "diff",
    "EditResult": "edit",
    "render_bundle": "template",
    "set_channel": "edit",
    "set_option": "edit",
    "set_revision": "edit",
    "Application": "model",
    "Bundle": "model",
    "Machine": "model",
    "Position": "model",
    "Relation": "model",
    "Origin": "template",
    "Rendered": "template",
    "Template": "template",
}

__all__ = [
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
    "diff_templates",
    "render_bundle",
    "set_channel",
    "set_option",
    "set_revision",
    "unified_diff",
    "unified_diff_lines",
]


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
