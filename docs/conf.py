"""Sphinx configuration for the lpsigning-mojo docs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import lpsigning_mojo  # noqa: E402

project = "lpsigning-mojo"
author = "Launchpad developers"
release = lpsigning_mojo.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "lint_catalogue",
]
autodoc_typehints = "description"
autodoc_member_order = "bysource"
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
