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
from collections.abc import Sequence
from pathlib import Path

from lpsigning_mojo.errors import FileAccessError, UsageError
from lpsigning_mojo.mojospec.layout import BUNDLE_FILE, spec_root
from lpsigning_mojo.suggest import did_you_mean

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
    """A Mojo spec directory, Mojo's spec root for it, and its stages.

    Stages are decided as Mojo would see them (see :meth:`load`); their Mojo
    names are their paths from ``root``. A spec without stages is checked for
    the standard stages (:meth:`select`). ``standalone`` marks a directory
    that is in no spec at all (a bundle with no manifest at or above it).
    """

    directory: Path
    root: Path
    stages: tuple[Stage, ...]
    standalone: bool = False

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Spec:
        """Read the spec in ``directory`` (the one holding its manifest) and decide its stages.

        A stage is a directory below the spec that holds files (a symlink to a
        file counts; a symlinked directory, a hidden one and ``scripts``,
        ``files`` or ``templates`` never do): Mojo looks a stage's files up
        there first. Without such directories, the spec directory is itself
        the stage when it lies below the spec root, as a stage directory that
        keeps its own manifest does (``--stage specs/web/app/jammy``).
        Mojo's spec root is :func:`~lpsigning_mojo.mojospec.layout.spec_root`;
        outside a repository, the parent of a spec with stage directories.
        """
        path = Path(directory)
        if not path.exists():
            raise FileAccessError(f"{path}: no such spec directory")
        if not path.is_dir():
            raise FileAccessError(f"{path}: not a directory")
        here = path.resolve()
        children = _stage_directories(path)
        root = spec_root(here)
        if root is None:
            root = here.parent if children else here
        stages = tuple(
            Stage(name=child.name, mojo=_mojo_name(here / child.name, root), directory=child)
            for child in children
        )
        if not stages and root in here.parents:
            stages = (Stage(name=here.name, mojo=_mojo_name(here, root), directory=path),)
        return cls(directory=path, root=root, stages=stages)

    @classmethod
    def outside(cls, directory: str | os.PathLike[str]) -> Spec:
        """The stand-in for a directory that is in no spec: no stages, its own root."""
        path = Path(directory)
        return cls(directory=path, root=path.resolve(), stages=(), standalone=True)

    @property
    def project(self) -> str:
        """The spec's name, as the first component of its stages' Mojo names."""
        return self.directory.resolve().name

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The short names of the stages, sorted."""
        return tuple(stage.name for stage in self.stages)

    @property
    def checked_stages(self) -> tuple[str, ...]:
        """The short names of every stage an edit of the bundle must check.

        The spec's stages, or the standard ones (:data:`DEFAULT_STAGES`) for
        a spec without stage directories: what the bundle edits take as
        ``stages`` when given this spec (``set_revision(..., spec=spec)``).
        """
        return tuple(stage.name for stage in self.select())

    @property
    def bundle_path(self) -> Path:
        """The spec's bundle template, ``bundle.yaml`` in its directory."""
        return self.directory / BUNDLE_FILE

    def read_bundle(self) -> str:
        """The text of the bundle template (:func:`lpsigning_mojo.files.read_text`)."""
        from lpsigning_mojo.files import read_text

        return read_text(self.bundle_path)

    def select(self, names: Sequence[str] | None = None) -> tuple[Stage, ...]:
        """The stages to check: those ``names`` name (short or Mojo names), else every stage.

        A spec without stages, and a directory in no spec, get the standard
        stages (:data:`DEFAULT_STAGES`) or, when given, ``names``, as stage
        directories below ``directory`` that Mojo's lookup would try first.
        """
        if not self.stages:
            return tuple(self._assumed(name) for name in dict.fromkeys(names or DEFAULT_STAGES))
        if not names:
            return self.stages
        return tuple(dict.fromkeys(self.stage(name) for name in names))

    def _assumed(self, name: str) -> Stage:
        short = stage_name(name)
        directory = self.directory / short
        mojo = name if "/" in name else _mojo_name(self.directory.resolve() / short, self.root)
        return Stage(name=short, mojo=mojo, directory=directory)

    def stage(self, name: str) -> Stage:
        """The stage called ``name``, by short name or Mojo name."""
        for stage in self.stages:
            if name in (stage.name, stage.mojo):
                return stage
        known = ", ".join(f"{s.name} ({s.mojo})" for s in self.stages) or "none"
        names = [stage.name for stage in self.stages]
        raise UsageError(
            f"the spec {self.directory} has no stage {name!r}{did_you_mean(name, names)}",
            hint=f"use one of: {known}",
        )

    def lookup(self, filename: str, stage: str | Stage) -> Path | None:
        """Find ``filename`` as Mojo does for ``config=``, for ``stage`` (name or :class:`Stage`).

        The stage directory first, then each parent directory up to and
        including the spec root. ``None`` when no directory has it. A
        symlinked directory on the way is followed (``utils/check`` through
        ``utils -> ../../helper/utils``).
        """
        chosen = stage if isinstance(stage, Stage) else self.stage(stage)
        directory = chosen.directory.resolve()
        root = self.root
        while True:
            candidate = directory / filename
            if candidate.is_file():
                return candidate
            if directory == root or root not in directory.parents:
                return None
            directory = directory.parent


def _holds_files(directory: Path) -> bool:
    try:
        return any(child.is_file() for child in directory.iterdir())
    except OSError:
        return False


def _stage_directories(directory: Path) -> list[Path]:
    """The directories below ``directory`` that are stages (see :meth:`Spec.load`)."""
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return []
    return [
        child
        for child in children
        if not child.name.startswith((".", "_"))
        and child.name not in NOT_STAGES
        and not child.is_symlink()
        and child.is_dir()
        and _holds_files(child)
    ]


def _mojo_name(resolved: Path, root: Path) -> str:
    """The Mojo name of the stage directory ``resolved``: its path from ``root``."""
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return resolved.name
