"""Which files to lint, and for which stages: :class:`FileToLint`.

A path may be a spec directory (every manifest, its ``instances.yaml``, and
every bundle template the manifests deploy or that is named
``bundle*.yaml``), a directory holding specs, a bundle template, a manifest,
or an ``instances.yaml``. A bundle template is
linted for the stages whose manifests deploy it (Mojo looks ``config=``
files up per stage); one that no manifest names, for every stage (or, in
a stage directory, for that stage). A spec without stage directories is
linted for the stages ``production``, ``staging`` and ``devel``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from lpsigning_mojo.errors import FileAccessError, UsageError
from lpsigning_mojo.files import read_text, resolved
from lpsigning_mojo.mojospec.layout import (
    INSTANCES_FILE,
    MANIFEST,
    find_spec_dir,
    is_bundle_name,
    is_manifest,
    resolve_specs,
)
from lpsigning_mojo.mojospec.manifest import Manifest
from lpsigning_mojo.mojospec.stages import DEFAULT_STAGES, Spec, Stage, stage_name

__all__ = ["FileToLint", "Scope", "discover", "display_path", "scopes"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class FileToLint:
    """A file to lint, what kind of file it is, its spec, and the stages to check it for."""

    path: Path
    display: str
    kind: Literal["bundle", "manifest", "instances"]
    spec: Spec
    stages: tuple[Stage, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Scope:
    """What a spec was checked as: its directory, Mojo's spec root, and the stages used.

    ``stages`` are Mojo names, or short names when ``assumed`` (the spec has
    no stages of its own, or ``standalone``: the files are in no spec).
    """

    directory: str
    root: str
    stages: tuple[str, ...]
    files: tuple[str, ...]
    standalone: bool = False
    assumed: bool = False

    def sentence(self) -> str:
        """Which spec root and stages were used, as one sentence for people."""
        stages = ", ".join(self.stages)
        standard = tuple(self.stages) == DEFAULT_STAGES
        which = "the standard stages" if standard else "the stages asked for:"
        others = " (choose others with --stage)" if standard else ""
        if self.standalone:
            return (
                f"{', '.join(self.files)}: in no Mojo spec (no manifest at or above it), "
                f"so checked for {which} {stages}{others}."
            )
        if self.assumed:
            return (
                f"Spec {self.directory} (spec root {self.root}) has no stage directories: "
                f"checked for {which} {stages}{others}."
            )
        label = "stage" if len(self.stages) == 1 else "stages"
        return f"Spec {self.directory} (spec root {self.root}): {label} {stages}."

    def to_json(self) -> dict[str, object]:
        """The scope for ``--format json``: ``directory``, ``root``, ``stages`` (short
        names), ``mojo_stages`` (Mojo's names; none when the stages were assumed),
        ``files``, ``standalone`` and ``assumed``."""
        own = not (self.assumed or self.standalone)
        return {
            "directory": self.directory,
            "root": self.root,
            "stages": [stage_name(stage) for stage in self.stages],
            "mojo_stages": list(self.stages) if own else [],
            "files": list(self.files),
            "standalone": self.standalone,
            "assumed": self.assumed,
        }


def scopes(targets: Sequence[FileToLint]) -> tuple[Scope, ...]:
    """The scope of each spec among ``targets``, in the order they were met."""
    found: dict[Path, tuple[Spec, list[str], list[str]]] = {}
    for target in targets:
        key = target.spec.directory.resolve()
        spec, stages, files = found.setdefault(key, (target.spec, [], []))
        assumed = not spec.stages
        for stage in target.stages:
            name = stage.name if assumed else stage.mojo
            if name not in stages:
                stages.append(name)
        files.append(target.display)
    return tuple(
        Scope(
            directory=display_path(spec.directory),
            root=display_path(spec.root),
            stages=tuple(stages) if not spec.stages else tuple(sorted(stages)),
            files=tuple(files),
            standalone=spec.standalone,
            assumed=not spec.stages,
        )
        for spec, stages, files in found.values()
    )


def display_path(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    absolute = resolved(path)
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


class _Specs:
    """Specs met so far, each loaded and its manifests parsed once."""

    def __init__(self, wanted: Sequence[str] | None) -> None:
        self.wanted = wanted
        self.specs: dict[Path, tuple[Spec, tuple[Stage, ...]]] = {}
        self.manifests: dict[Path, Manifest] = {}

    def get(self, directory: Path) -> tuple[Spec, tuple[Stage, ...]]:
        """The spec in ``directory`` (a stand-in when it holds no manifest), and its stages."""
        key = directory.resolve()
        if key not in self.specs:
            spec = Spec.load(directory) if _manifests(directory) else Spec.outside(directory)
            self.specs[key] = (spec, spec.select(self.wanted))
        return self.specs[key]

    def manifest(self, path: Path) -> Manifest:
        key = path.resolve()
        if key not in self.manifests:
            try:
                text = read_text(path)
            except FileAccessError:  # the manifest's own check reports it
                text = ""
            self.manifests[key] = Manifest.parse(text)
        return self.manifests[key]

    def bundle_stages(self, spec: Spec, stages: tuple[Stage, ...]) -> dict[Path, list[Stage]]:
        """For each bundle file the manifests deploy, the stages that deploy it."""
        used: dict[Path, list[Stage]] = {}
        for path in _manifests(spec.directory):
            manifest = self.manifest(path)
            for stage in stages:
                for step in manifest.for_stage(spec, stage):
                    if step.name == "bundle" and step.config is not None:
                        stage_list = used.setdefault(step.config.resolve(), [])
                        if stage not in stage_list:
                            stage_list.append(stage)
        return used


def _manifests(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.is_file() and is_manifest(p))
    except OSError:
        return []


def _spec_dirs(directory: Path) -> list[Path]:
    """The specs to lint for a directory given: itself, the specs in it, or the one holding it.

    A directory holding a bundle template and no manifest, in no spec, is
    linted as it is, for the standard stages.
    """
    if _manifests(directory):
        return [directory]
    children = sorted(
        child for child in directory.iterdir() if child.is_dir() and (child / MANIFEST).is_file()
    )
    if children:
        return children
    above = find_spec_dir(directory)
    if (above / MANIFEST).is_file():
        return [above]
    if any(is_bundle_name(p) for p in directory.iterdir() if p.is_file()):
        return [directory]
    raise UsageError(
        f"{directory}: no Mojo spec here (no manifest, no bundle.yaml)",
        hint="give the spec directory, a bundle template or a manifest",
    )


def _check_manifests(spec_dir: Path) -> None:
    """Refuse a spec Mojo could not deploy: a manifest that is not a file, or none at all.

    A stage directory holding its own bundle counts as part of the spec above it,
    and a directory holding only bundle templates (no ``instances.yaml``) is a
    standalone bundle, linted for the standard stages, not a broken spec.
    """
    for path in sorted(spec_dir.iterdir()):
        if is_manifest(path) and not path.is_file():
            raise FileAccessError(
                f"{display_path(path)}: not a regular file, so Mojo cannot read it as a manifest",
                hint="replace it with the manifest file",
            )
    looks_like_spec = (spec_dir / INSTANCES_FILE).exists()
    if looks_like_spec and not _manifests(spec_dir) and not (spec_dir.parent / MANIFEST).is_file():
        raise FileAccessError(
            f"{display_path(spec_dir)}: the spec has no {MANIFEST}, so Mojo cannot deploy it",
            hint=f"add the {MANIFEST}, or lint the bundle alone (bundle-lint PATH/bundle.yaml)",
        )


def default_paths() -> list[str]:
    """The current spec, found as every command finds it, or each spec of a repository.

    See :func:`~lpsigning_mojo.mojospec.layout.resolve_specs`.
    """
    return [display_path(path) for path in resolve_specs()]


def discover(paths: Sequence[str], stages: Sequence[str] | None = None) -> list[FileToLint]:
    """The files to lint for ``paths`` (default: the current spec), each with its stages."""
    specs = _Specs(stages)
    targets: dict[Path, FileToLint] = {}

    def add_file(path: Path, spec_dir: Path | None = None) -> None:
        key = path.resolve()
        if key in targets:
            return
        if spec_dir is None:
            spec_dir = path.parent if is_manifest(path) else find_spec_dir(path)
        spec, selected = specs.get(spec_dir)
        if is_manifest(path) or path.name == INSTANCES_FILE:
            kind: Literal["manifest", "instances"] = (
                "manifest" if is_manifest(path) else "instances"
            )
            targets[key] = FileToLint(
                path=path, display=display_path(path), kind=kind, spec=spec, stages=selected
            )
            return
        deployed = specs.bundle_stages(spec, selected).get(key)
        if deployed is None:
            in_stage = [stage for stage in selected if stage.directory.resolve() == key.parent]
            deployed = in_stage or list(selected)
        targets[key] = FileToLint(
            path=path, display=display_path(path), kind="bundle", spec=spec, stages=tuple(deployed)
        )

    for given in paths or default_paths():
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or directory")
        if path.is_dir():
            for spec_dir in _spec_dirs(path):
                _check_manifests(spec_dir)
                spec, selected = specs.get(spec_dir)
                for manifest in _manifests(spec_dir):
                    add_file(manifest, spec_dir)
                if (spec_dir / INSTANCES_FILE).is_file():
                    add_file(spec_dir / INSTANCES_FILE, spec_dir)
                bundles = set(specs.bundle_stages(spec, selected))
                for stage in spec.stages:
                    if stage.directory.is_dir():
                        bundles.update(
                            p.resolve()
                            for p in stage.directory.iterdir()
                            if p.is_file() and is_bundle_name(p)
                        )
                bundles.update(
                    p.resolve() for p in spec_dir.iterdir() if p.is_file() and is_bundle_name(p)
                )
                for bundle in sorted(bundles):
                    add_file(bundle, spec_dir)
        elif path.is_file():
            add_file(path)
        else:
            raise UsageError(f"{given}: not a file or directory")
    return list(targets.values())
