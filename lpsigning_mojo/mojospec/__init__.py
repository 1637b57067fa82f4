"""The Mojo spec: its stages, and Mojo's lookup of per-stage files.

This is the package's *code about* Mojo specs. The Mojo spec itself (the
manifests, the bundle template, the stage directories) lives in the
repository's top-level ``spec/`` directory. The package is called
``mojospec`` rather than ``spec`` so that neither readers nor tools (which
commonly take a ``spec/`` directory for tests) confuse the two.

A spec directory (``spec/lp-signing``) sits below Mojo's spec root
(``spec/``); each stage directory below it (``production``) is a stage whose
Mojo name is the path from the spec root (``lp-signing/production``).
"""

from __future__ import annotations

from lpsigning_mojo.mojospec.stages import Spec, Stage, find_spec_dir

__all__ = ["Spec", "Stage", "find_spec_dir"]
