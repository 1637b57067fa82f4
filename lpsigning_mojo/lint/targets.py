"""Which files to lint, and for which stages.

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

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.lint.manifest import Phase, config_names, parse_manifest
from lpsigning_mojo.mojospec.stages import Spec, Stage, find_spec_dir

__all__ = ["DEFAULT_STAGES", "Target", "discover", "display_path", "mojo_environment"]

#: The stages assumed for a spec that has no stage directories.
DEFAULT_STAGES: tuple[str, ...] = ("production", "staging", "devel")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Target:
    """A file to lint, the spec it belongs to, and the stages to check it for."""

    path: Path
    display: str
    kind: Literal["bundle", "manifest", "instances"]
    spec: Spec
    stages: tuple[Stage, ...]


def display_path(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


def mojo_environment(spec: Spec, stage: Stage) -> dict[str, str]:
    """The part of Mojo's environment a manifest can be expanded with, for ``stage``.

    The others (``MOJO_SERIES``, ``MOJO_PROJECT``, ...) are only known on the
    bastion; values that use them stay unresolved and are not checked.
    """
    return {"MOJO_STAGE": stage.mojo, "MOJO_SPEC_DIR": str(spec.root)}


#: The file that describes the instances (see :mod:`lpsigning_mojo.instances`).
INSTANCES_NAME = "instances.yaml"


def is_manifest(path: Path) -> bool:
    """Whether ``path`` is named like a Mojo manifest."""
    return path.name == "manifest" or path.name.startswith("manifest-")


def _is_bundle_name(path: Path) -> bool:
    return path.name.startswith("bundle") and path.suffix in (".yaml", ".yml")


class _Specs:
    """Specs met so far, each loaded and its manifests parsed once."""

    def __init__(self, wanted: Sequence[str] | None) -> None:
        self.wanted = wanted
        self.specs: dict[Path, tuple[Spec, tuple[Stage, ...]]] = {}
        self.phases: dict[Path, list[Phase]] = {}

    def get(self, directory: Path) -> tuple[Spec, tuple[Stage, ...]]:
        key = directory.resolve()
        if key not in self.specs:
            spec = Spec.load(directory)
            if not spec.stages:
                names = dict.fromkeys((*DEFAULT_STAGES, *(self.wanted or ())))
                spec = Spec(
                    directory=spec.directory,
                    stages=tuple(
                        Stage(name=name, mojo=name, directory=spec.directory / name)
                        for name in names
                    ),
                )
            selected = self.wanted or spec.stage_names
            self.specs[key] = (spec, tuple(spec.stage(name) for name in selected))
        return self.specs[key]

    def manifest_phases(self, path: Path) -> list[Phase]:
        key = path.resolve()
        if key not in self.phases:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            self.phases[key] = parse_manifest(text)[0]
        return self.phases[key]

    def bundle_stages(self, spec: Spec, stages: tuple[Stage, ...]) -> dict[Path, list[Stage]]:
        """For each bundle file the manifests deploy, the stages that deploy it."""
        used: dict[Path, list[Stage]] = {}
        for manifest in _manifests(spec.directory):
            phases = self.manifest_phases(manifest)
            for stage in stages:
                environment = mojo_environment(spec, stage)
                for name in sorted(config_names(phases, environment, "bundle")):
                    found = spec.lookup(name, stage.mojo)
                    if found is not None:
                        stage_list = used.setdefault(found.resolve(), [])
                        if stage not in stage_list:
                            stage_list.append(stage)
        return used


def _manifests(directory: Path) -> list[Path]:
    return sorted(path for path in directory.iterdir() if path.is_file() and is_manifest(path))


def _spec_dirs(directory: Path) -> list[Path]:
    if any(is_manifest(p) or _is_bundle_name(p) for p in directory.iterdir() if p.is_file()):
        return [directory]
    children = sorted(
        child for child in directory.iterdir() if child.is_dir() and (child / "manifest").is_file()
    )
    if children:
        return children
    above = find_spec_dir(directory)
    if (above / "manifest").is_file():
        return [above]
    raise UsageError(
        f"{directory}: no Mojo spec here (no manifest, no bundle.yaml)",
        hint="give the spec directory, a bundle template or a manifest",
    )


def default_paths() -> list[str]:
    """The current spec: the one holding the current directory, or those below it."""
    here = Path.cwd()
    above = find_spec_dir(here)
    if (above / "manifest").is_file():
        return [str(above)]
    found = sorted({p.parent for p in (*here.glob("*/manifest"), *here.glob("spec/*/manifest"))})
    if not found:
        raise UsageError(
            "no Mojo spec in or below the current directory",
            hint="give a spec directory, a bundle template or a manifest",
        )
    return [str(path) for path in found]


def discover(paths: Sequence[str], stages: Sequence[str] | None = None) -> list[Target]:
    """The files to lint for ``paths`` (default: the current spec), each with its stages."""
    specs = _Specs(stages)
    targets: dict[Path, Target] = {}

    def add_file(path: Path, spec_dir: Path | None = None) -> None:
        key = path.resolve()
        if key in targets:
            return
        spec, selected = specs.get(spec_dir or find_spec_dir(path))
        if is_manifest(path) or path.name == INSTANCES_NAME:
            kind: Literal["manifest", "instances"] = (
                "manifest" if is_manifest(path) else "instances"
            )
            targets[key] = Target(
                path=path, display=display_path(path), kind=kind, spec=spec, stages=selected
            )
            return
        deployed = specs.bundle_stages(spec, selected).get(key)
        if deployed is None:
            in_stage = [stage for stage in selected if stage.directory.resolve() == key.parent]
            deployed = in_stage or list(selected)
        targets[key] = Target(
            path=path, display=display_path(path), kind="bundle", spec=spec, stages=tuple(deployed)
        )

    for given in paths or default_paths():
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or directory")
        if path.is_dir():
            for spec_dir in _spec_dirs(path):
                spec, selected = specs.get(spec_dir)
                for manifest in _manifests(spec_dir):
                    add_file(manifest, spec_dir)
                if (spec_dir / INSTANCES_NAME).is_file():
                    add_file(spec_dir / INSTANCES_NAME, spec_dir)
                bundles = set(specs.bundle_stages(spec, selected))
                for stage in spec.stages:
                    if stage.directory.is_dir():
                        bundles.update(
                            p.resolve()
                            for p in stage.directory.iterdir()
                            if p.is_file() and _is_bundle_name(p)
                        )
                bundles.update(
                    p.resolve() for p in spec_dir.iterdir() if p.is_file() and _is_bundle_name(p)
                )
                for bundle in sorted(bundles):
                    add_file(bundle, spec_dir)
        elif path.is_file():
            add_file(path)
        else:
            raise UsageError(f"{given}: not a file or directory")
    return list(targets.values())
