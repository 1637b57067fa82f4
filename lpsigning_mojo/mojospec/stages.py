"""Stages of a Mojo spec, their short and Mojo names, and Mojo's file lookup.

A stage has two names: Mojo's (``lp-signing/production``, the path of the
stage directory from the spec root, passed as ``--stage`` and
``MOJO_STAGE``) and the short one (``production``, its last component, which
bundle templates see as ``stage_name``). :func:`stage_name` turns either
into the short one; :meth:`Spec.stage` accepts either.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from lpsigning_mojo.errors import FileAccessError, UsageError

__all__ = ["DEFAULT_STAGES", "NOT_STAGES", "Spec", "Stage", "stage_name"]

#: Directories of a spec that are never stages.
NOT_STAGES = frozenset({"scripts", "files", "templates", "__pycache__"})
#: The standard stages, short names: those of the lp-signing spec, and those
#: assumed for a bundle or spec that has no stage directories.
DEFAULT_STAGES: tuple[str, ...] = ("production", "staging", "devel")


def stage_name(stage: str) -> str:
    """The short name of a stage: the last component of its Mojo name.

    ``lp-signing/production`` and ``production`` both give ``production``.
    """
    return stage.rstrip("/").rsplit("/", 1)[-1]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Stage:
    """A stage: ``name`` is the short name, ``mojo`` the name Mojo uses."""

    name: str
    mojo: str
    directory: Path


@dataclasses.dataclass(frozen=True, kw_only=True)
class Spec:
    """A Mojo spec directory and its stages."""

    directory: Path
    stages: tuple[Stage, ...]

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Spec:
        """Read the spec in ``directory``; stages are its subdirectories."""
        path = Path(directory)
        if not path.exists():
            raise FileAccessError(f"{path}: no such spec directory")
        if not path.is_dir():
            raise FileAccessError(f"{path}: not a directory")
        project = path.resolve().name
        stages = tuple(
            Stage(name=child.name, mojo=f"{project}/{child.name}", directory=child)
            for child in sorted(path.iterdir())
            if child.is_dir()
            and not child.name.startswith((".", "_"))
            and child.name not in NOT_STAGES
        )
        return cls(directory=path, stages=stages)

    @property
    def project(self) -> str:
        """The spec's name, as the first component of its stages' Mojo names."""
        return self.directory.resolve().name

    @property
    def root(self) -> Path:
        """The parent of the spec directory, which Mojo calls the spec root."""
        return self.directory.resolve().parent

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The short names of the stages, sorted."""
        return tuple(stage.name for stage in self.stages)

    def stage(self, name: str) -> Stage:
        """The stage called ``name``, by short name or Mojo name."""
        for stage in self.stages:
            if name in (stage.name, stage.mojo):
                return stage
        known = ", ".join(f"{s.name} ({s.mojo})" for s in self.stages) or "none"
        raise UsageError(
            f"the spec {self.directory} has no stage {name!r}",
            hint=f"use one of: {known}",
        )

    def lookup(self, filename: str, stage: str) -> Path | None:
        """Find ``filename`` as Mojo does for ``config=``.

        The stage directory first, then each parent directory up to and
        including the spec root. ``None`` when no directory has it.
        """
        directory = self.stage(stage).directory.resolve()
        root = self.root
        while True:
            candidate = directory / filename
            if candidate.is_file():
                return candidate
            if directory == root or root not in directory.parents:
                return None
            directory = directory.parent
