"""The Mojo spec: its stages, and Mojo's lookup of per-stage files.

A spec directory (``spec/lp-signing``) sits below Mojo's spec root
(``spec/``); each stage directory below it (``production``) is a stage whose
Mojo name is the path from the spec root (``lp-signing/production``).
"""

from __future__ import annotations

from lpsigning_mojo.spec.stages import Spec, Stage, find_spec_dir

__all__ = ["Spec", "Stage", "find_spec_dir"]
