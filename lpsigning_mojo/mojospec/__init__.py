"""The conventions of a Mojo spec: stages, files, variables, manifests, finding one.

This is the package's *code about* Mojo specs. The Mojo spec itself (the
manifests, the bundle template, the stage directories) lives in the
repository's top-level ``spec/`` directory. The package is called
``mojospec`` rather than ``spec`` so that neither readers nor tools (which
commonly take a ``spec/`` directory for tests) confuse the two.

A spec directory (``spec/lp-signing``) sits below Mojo's spec root
(``spec/``); each stage directory below it (``production``) is a stage whose
Mojo name is the path from the spec root (``lp-signing/production``).

One module per convention, each the only place that knows it:

* :mod:`~lpsigning_mojo.mojospec.layout`: the file names of a spec
  (``manifest``, ``bundle.yaml``, ``instances.yaml``), the spec a file
  belongs to, Mojo's spec root for it (the top of its repository, or the
  repository's ``spec/``), and the spec a command works on (``--spec``,
  ``LPSIGNING_MOJO_SPEC``, then upwards from the current directory).
* :mod:`~lpsigning_mojo.mojospec.stages`: stages as Mojo sees them (a
  directory holding files, or a manifest's own directory below the spec
  root), their short and Mojo names, the standard stages, and Mojo's lookup
  of per-stage files.
* :mod:`~lpsigning_mojo.mojospec.variables`: the variables Mojo gives a
  bundle template, and the environment it expands manifests with.
* :mod:`~lpsigning_mojo.mojospec.manifest`: manifests as phases and
  arguments, walked per stage as Mojo runs them.

Nothing here imports :mod:`lpsigning_mojo.bundle`, ``lint``, ``release`` or
``external``, nor attrs or Jinja2: the lint hook imports it.
"""

from __future__ import annotations

from lpsigning_mojo.mojospec.layout import (
    BUNDLE_FILE,
    INSTANCES_FILE,
    MANIFEST,
    SPEC_ENV,
    find_spec_dir,
    find_specs,
    resolve_spec,
    resolve_specs,
    spec_root,
)
from lpsigning_mojo.mojospec.manifest import Manifest, Phase, StagePhase
from lpsigning_mojo.mojospec.stages import DEFAULT_STAGES, Spec, Stage, stage_name
from lpsigning_mojo.mojospec.variables import DEFAULT_SERIES, mojo_environment, mojo_variables

__all__ = [
    "BUNDLE_FILE",
    "DEFAULT_SERIES",
    "DEFAULT_STAGES",
    "INSTANCES_FILE",
    "MANIFEST",
    "SPEC_ENV",
    "Manifest",
    "Phase",
    "Spec",
    "Stage",
    "StagePhase",
    "find_spec_dir",
    "find_specs",
    "mojo_environment",
    "mojo_variables",
    "resolve_spec",
    "resolve_specs",
    "spec_root",
    "stage_name",
]
