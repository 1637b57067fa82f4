"""Sphinx extension: regenerate the lint rule catalogue before each build.

``docs/reference/lint-rules.rst`` is written from the rule registry
(:mod:`lpsigning_mojo.lint.catalogue`) when it is out of date, so the page
always describes the rules the code has. A test checks that the committed
page is current too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lpsigning_mojo.lint.catalogue import write_catalogue


def _generate(app: Any) -> None:
    page = Path(app.srcdir) / "reference" / "lint-rules.rst"
    if write_catalogue(page):
        print(f"lint_catalogue: regenerated {page}")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
