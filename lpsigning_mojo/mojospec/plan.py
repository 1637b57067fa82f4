"""A dry run of ``mojo run``: the phases of a manifest for one stage, as Mojo would run them.

:func:`plan_stage` finds the manifest as Mojo does (the stage directory
first, then its parents), and yields one :class:`PlannedPhase` per phase,
built on :meth:`~lpsigning_mojo.mojospec.manifest.Manifest.for_stage`:
arguments expanded, the ``config=`` file looked up, and for ``script`` and
``verify`` the program Mojo would run with the environment it would give it
(:func:`script_environment`); for ``bundle`` the template and where the
secrets overlay (``local=``) sits on the bastion, named but never read.

It is a generator, so other code can drive it phase by phase: a stand-in
Mojo runs each one with :func:`drive`, which stops at the first phase that
fails, as Mojo does. :func:`plan_spec` plans several stages at once, with
each ``bundle`` phase's bundle rendered by the function it is given (this
package renders no bundles): ``lpsigning-mojo spec plan`` prints the
:class:`SpecPlan` it returns.

Values Mojo only knows on the bastion (``MOJO_PROJECT``, ``MOJO_LOCAL_DIR``,
...) are ``None`` unless the caller gives them. Like the rest of
:mod:`lpsigning_mojo.mojospec` this module is light: no attrs, Jinja2 or YAML.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from lpsigning_mojo.errors import LpsigningMojoError, UsageError
from lpsigning_mojo.mojospec.layout import MANIFEST
from lpsigning_mojo.mojospec.manifest import RUNS_CONFIG, Diagnostic, Manifest, StagePhase
from lpsigning_mojo.mojospec.stages import Spec, Stage
from lpsigning_mojo.mojospec.variables import DEFAULT_SERIES, mojo_environment

__all__ = [
    "MOJO_SCRIPT_VARIABLES",
    "DriveResult",
    "PlannedPhase",
    "PlannedStage",
    "Render",
    "Rendering",
    "SpecPlan",
    "StagePlan",
    "drive",
    "manifest_file_name",
    "plan_spec",
    "plan_stage",
    "script_environment",
]

#: The variables Mojo sets for every script it runs (``script`` and ``verify`` phases).
MOJO_SCRIPT_VARIABLES: tuple[str, ...] = (
    "MOJO_SPEC_DIR",
    "MOJO_STAGE",
    "MOJO_SERIES",
    "MOJO_PROJECT",
    "MOJO_WORKSPACE",
    "MOJO_LOCAL_DIR",
    "MOJO_REPO_DIR",
    "MOJO_BUILD_DIR",
)


def manifest_file_name(name: str | None) -> str:
    """The file of manifest ``name``: ``None`` or ``manifest`` is ``manifest``;
    ``upgrade`` and ``manifest-upgrade`` are ``manifest-upgrade`` (``mojo run -m``)."""
    if not name or name == MANIFEST:
        return MANIFEST
    if "/" in name or name in (".", ".."):
        raise UsageError(
            f"{name!r} is not a manifest name",
            hint="give the name of a manifest file of the spec, e.g. manifest-upgrade",
        )
    return name if name.startswith(MANIFEST + "-") else f"{MANIFEST}-{name}"


def script_environment(
    spec: Spec,
    stage: Stage,
    arguments: Mapping[str, str | None] | None = None,
    *,
    known: Mapping[str, str] | None = None,
) -> dict[str, str | None]:
    """The environment Mojo gives a ``script`` or ``verify`` program, beyond its own.

    Mojo's variables (:data:`MOJO_SCRIPT_VARIABLES`): ``MOJO_SPEC_DIR`` and
    ``MOJO_STAGE`` are known here, ``MOJO_SERIES`` defaults to
    :data:`~lpsigning_mojo.mojospec.variables.DEFAULT_SERIES`, the others are
    ``None`` (known only on the bastion) unless ``known`` gives them. Then the
    phase's arguments other than ``config=``, as Mojo passes them.
    """
    known = known or {}
    base = {**mojo_environment(spec, stage), "MOJO_SERIES": DEFAULT_SERIES, **known}
    environment: dict[str, str | None] = {name: base.get(name) for name in MOJO_SCRIPT_VARIABLES}
    for key, value in (arguments or {}).items():
        if key != "config":
            environment[key] = value
    return environment


class Rendering(Protocol):
    """A bundle rendered for a stage: its text, and what JSON shows of it."""

    @property
    def text(self) -> str | None:
        """The bundle as rendered."""
        ...

    def to_json(self) -> dict[str, object]:
        """The rendered bundle for ``--format json``."""
        ...


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlannedPhase:
    """One phase of a dry run, for one stage.

    ``step`` is the phase as :meth:`Manifest.for_stage` walks it (arguments
    expanded, ``config`` looked up). ``script`` is the program a ``script`` or
    ``verify`` phase runs, with ``environment`` (see
    :func:`script_environment`). ``bundle`` is the template a ``bundle``
    phase deploys, ``overlay`` the ``local=`` name and ``overlay_path``
    where it lies on the bastion (``None`` until ``MOJO_LOCAL_DIR`` is
    known). ``problems`` says, one sentence each, why Mojo could not run it
    as written. ``rendered`` is the bundle a ``bundle`` phase deploys,
    rendered for the stage, when :func:`plan_spec` was given a way to render.
    """

    index: int
    step: StagePhase
    script: Path | None = None
    environment: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    bundle: Path | None = None
    overlay: str | None = None
    overlay_path: str | None = None
    problems: tuple[str, ...] = ()
    rendered: Rendering | None = None

    @property
    def name(self) -> str:
        """The phase's name."""
        return self.step.name

    @property
    def arguments(self) -> Mapping[str, str | None]:
        """The phase's arguments, expanded (``None``: a variable known only on the bastion)."""
        return self.step.arguments

    def to_json(self, spec: Spec | None = None) -> dict[str, object]:
        """A JSON-ready dict; paths relative to ``spec``'s root when given.

        ``index``, ``phase`` (its name), ``line``, ``arguments`` (``null`` for a
        value known only on the bastion), ``config``, ``script``, ``environment``
        (``null`` but for a script), ``bundle``, ``overlay``, ``overlay_path``,
        ``problems`` and ``rendered`` (the rendered bundle's JSON, or ``null``).
        """

        def show(path: Path | None) -> str | None:
            return None if path is None else _display(path, spec)

        return {
            "index": self.index,
            "phase": self.name,
            "line": self.step.phase.line,
            "arguments": dict(self.arguments),
            "config": show(self.step.config),
            "script": show(self.script),
            "environment": dict(self.environment) if self.script is not None else None,
            "bundle": show(self.bundle),
            "overlay": self.overlay,
            "overlay_path": self.overlay_path,
            "problems": list(self.problems),
            "rendered": None if self.rendered is None else self.rendered.to_json(),
        }


@dataclasses.dataclass(frozen=True, kw_only=True)
class StagePlan:
    """The manifest a stage runs, and what kept some of its lines from being phases."""

    spec: Spec
    stage: Stage
    manifest_name: str
    manifest_path: Path
    manifest: Manifest
    environment: Mapping[str, str]

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Lines of the manifest Mojo could not run as written."""
        return self.manifest.diagnostics

    def phases(self) -> Iterator[PlannedPhase]:
        """The phases, in order, planned one at a time."""
        for index, step in enumerate(
            self.manifest.for_stage(self.spec, self.stage, self.environment), 1
        ):
            yield _planned(index, step, self.spec, self.stage, self.environment)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlannedStage:
    """A stage's plan with its phases planned (and bundles rendered): one stage of ``spec plan``."""

    plan: StagePlan
    phases: tuple[PlannedPhase, ...]

    @property
    def failed(self) -> bool:
        """Mojo could not run every phase as written (a problem, or a line not a phase)."""
        return bool(self.plan.diagnostics) or any(phase.problems for phase in self.phases)

    def to_json(self) -> dict[str, object]:
        """``stage`` (the short name), ``mojo_stage``, ``manifest``, ``manifest_path``,
        ``diagnostics`` and ``phases`` (see :meth:`PlannedPhase.to_json`); paths from the
        spec root."""
        plan, spec = self.plan, self.plan.spec
        return {
            "stage": plan.stage.name,
            "mojo_stage": plan.stage.mojo,
            "manifest": plan.manifest_name,
            "manifest_path": _display(plan.manifest_path, spec),
            "diagnostics": [diagnostic.to_json() for diagnostic in plan.diagnostics],
            "phases": [phase.to_json(spec) for phase in self.phases],
        }


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpecPlan:
    """What ``mojo run`` would do in each stage asked for: ``lpsigning-mojo spec plan``."""

    spec: Spec
    stages: tuple[PlannedStage, ...]

    @property
    def failed(self) -> bool:
        """Mojo could not run some phase of some stage as written."""
        return any(stage.failed for stage in self.stages)

    def to_json(self) -> dict[str, object]:
        """``spec plan --format json``: ``spec_root`` (Mojo's ``$MOJO_SPEC_DIR``), ``failed``,
        and ``plans``, one per stage (see :meth:`PlannedStage.to_json`)."""
        return {
            "spec_root": str(self.spec.root),
            "failed": self.failed,
            "plans": [stage.to_json() for stage in self.stages],
        }


#: Renders the bundle of a ``bundle`` phase for its stage; raises a
#: :class:`~lpsigning_mojo.errors.LpsigningMojoError` when it does not render.
Render = Callable[[PlannedPhase, StagePlan], Rendering]


def plan_spec(
    spec: Spec,
    stages: Sequence[Stage],
    *,
    manifest: str | None = None,
    known: Mapping[str, str] | None = None,
    render: Render | None = None,
) -> SpecPlan:
    """:func:`plan_stage` for each of ``stages``, every phase planned.

    With ``render``, each ``bundle`` phase gets its bundle rendered for the
    stage; one that does not render gets the error's sentence as a problem.
    """
    planned = []
    for stage in stages:
        plan = plan_stage(spec, stage, manifest=manifest, known=known)
        phases = []
        for phase in plan.phases():
            if render is not None and phase.bundle is not None:
                try:
                    phase = dataclasses.replace(phase, rendered=render(phase, plan))
                except LpsigningMojoError as error:
                    phase = dataclasses.replace(phase, problems=(*phase.problems, str(error)))
            phases.append(phase)
        planned.append(PlannedStage(plan=plan, phases=tuple(phases)))
    return SpecPlan(spec=spec, stages=tuple(planned))


def plan_stage(
    spec: Spec,
    stage: Stage,
    *,
    manifest: str | None = None,
    known: Mapping[str, str] | None = None,
) -> StagePlan:
    """What ``mojo run [-m MANIFEST] --stage STAGE`` would run for ``spec``.

    The manifest is looked up as Mojo looks up files (the stage directory
    first, then each parent up to the spec root), so a stage may keep its
    own. ``known`` gives values of Mojo's environment only known on the
    bastion (``MOJO_SERIES``, ``MOJO_LOCAL_DIR``, ...), and any other
    variable the manifest expands. Raises
    :class:`~lpsigning_mojo.errors.UsageError` when no directory holds the
    manifest.
    """
    name = manifest_file_name(manifest)
    path = spec.lookup(name, stage.mojo)
    if path is None:
        raise UsageError(
            f"stage {stage.mojo} has no manifest {name!r}: it is not in {stage.directory} "
            f"nor in any parent up to {spec.root}",
            hint="name one of the spec's manifests with --manifest",
        )
    environment = {
        **mojo_environment(spec, stage),
        "MOJO_SERIES": DEFAULT_SERIES,
        **(known or {}),
    }
    return StagePlan(
        spec=spec,
        stage=stage,
        manifest_name=name,
        manifest_path=path,
        manifest=Manifest.load(path),
        environment=environment,
    )


def _planned(
    index: int, step: StagePhase, spec: Spec, stage: Stage, environment: Mapping[str, str]
) -> PlannedPhase:
    problems: list[str] = []
    written = step.phase.argument("config")
    if written is not None and step.config_name is None:
        problems.append(f"config={written.value} uses a variable known only on the bastion")
    if step.config_missing:
        problems.append(
            f"config file {step.config_name!r} is not in {stage.directory} "
            f"nor in any parent up to {spec.root}"
        )
    if step.name in RUNS_CONFIG:
        script = step.config
        if script is not None and not os.access(script, os.X_OK):
            problems.append(f"{step.config_name} is not executable; Mojo runs it")
        known = {key: value for key, value in environment.items() if key.startswith("MOJO_")}
        return PlannedPhase(
            index=index,
            step=step,
            script=script,
            environment=script_environment(spec, stage, step.arguments, known=known),
            problems=tuple(problems),
        )
    if step.name == "bundle":
        overlay = step.arguments.get("local")
        local_dir = environment.get("MOJO_LOCAL_DIR")
        overlay_path = None
        if overlay is not None and local_dir:
            overlay_path = f"{local_dir.rstrip('/')}/{overlay}"
        return PlannedPhase(
            index=index,
            step=step,
            bundle=step.config,
            overlay=overlay,
            overlay_path=overlay_path,
            problems=tuple(problems),
        )
    return PlannedPhase(index=index, step=step, problems=tuple(problems))


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriveResult:
    """How a driven run ended: the phases run, and the one that failed (if any) with its status."""

    ran: tuple[PlannedPhase, ...]
    failed: PlannedPhase | None = None
    status: int = 0

    @property
    def ok(self) -> bool:
        """Every phase ran and succeeded."""
        return self.failed is None


#: Runs one planned phase and returns its exit status (0: success).
Execute = Callable[[PlannedPhase], int]


def drive(phases: Iterator[PlannedPhase] | Sequence[PlannedPhase], execute: Execute) -> DriveResult:
    """Run each phase with ``execute`` (its exit status), stopping at the first that fails.

    Mojo stops a run when a phase fails: a ``script`` or ``verify`` program
    that exits non-zero, a ``bundle`` that does not deploy. ``execute``
    returns 0 for success.
    """
    ran: list[PlannedPhase] = []
    for phase in phases:
        status = execute(phase)
        ran.append(phase)
        if status != 0:
            return DriveResult(ran=tuple(ran), failed=phase, status=status)
    return DriveResult(ran=tuple(ran))


def _display(path: Path, spec: Spec | None) -> str:
    if spec is None:
        return str(path)
    try:
        return path.resolve().relative_to(spec.root).as_posix()
    except ValueError:
        return str(path)
