"""A Mojo stand-in: ``mojo run`` walking a manifest phase by phase, for the rehearsal's bastions.

Canonical's Mojo cannot be installed here; this is the ``mojo`` on the
rehearsal bastions' ``PATH``. ``mojo run [--spec DIR] [--stage STAGE] [-m
MANIFEST]`` walks the manifest with the walker of ``lpsigning-mojo spec
plan`` (:func:`lpsigning_mojo.mojospec.plan.plan_stage`, driven by
:func:`~lpsigning_mojo.mojospec.plan.drive`, which stops at the first
phase that fails, as Mojo does) and runs each phase:

``script``, ``verify``
   the spec's program, for real, with Mojo's variables (``MOJO_SPEC_DIR``,
   ``MOJO_STAGE``, ``MOJO_SERIES``, ``MOJO_PROJECT``, ``MOJO_WORKSPACE``,
   ``MOJO_LOCAL_DIR``, ``MOJO_REPO_DIR``, ``MOJO_BUILD_DIR``) and the
   phase's other arguments in its environment; a non-zero exit fails the run
``bundle``
   the template rendered for the stage (``series``, ``local_dir``), the
   secrets overlay ``local=FILE`` from ``$MOJO_LOCAL_DIR`` merged onto it as
   Juju merges overlays, deployed into the model (``JUJU_MODEL`` in
   ``JUJU_DATA``, see :class:`~lpsigning_mojo.testing.standins.juju.JujuModels`):
   the model then runs the bundle's charm revisions and options
   (``build_label`` among them)
``juju-check-wait``
   every application active, every unit active and idle
any other phase
   said, and skipped: nothing here builds, collects or sleeps

``MOJO_ROOT`` (default ``~/.local/share/mojo``) holds the secrets:
``$MOJO_ROOT/LOCAL/$MOJO_PROJECT/$MOJO_STAGE``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lpsigning_mojo.mojospec.plan import PlannedPhase, drive, manifest_file_name, plan_stage
from lpsigning_mojo.mojospec.stages import Spec
from lpsigning_mojo.mojospec.variables import DEFAULT_SERIES
from lpsigning_mojo.testing.standins.juju import JujuModels

if TYPE_CHECKING:
    from lpsigning_mojo.bundle import Bundle

__all__ = ["deployed_bundle", "main", "mojo_variables_for", "run"]


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _fail(text: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def mojo_variables_for(stage: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Mojo's variables on this bastion for ``stage`` (a Mojo stage, ``lp-signing/staging``)."""
    project = environ.get("MOJO_PROJECT") or stage.split("/", 1)[0]
    workspace = environ.get("MOJO_WORKSPACE") or project
    root = Path(environ.get("MOJO_ROOT") or Path(environ.get("HOME", "/")) / ".local/share/mojo")
    return {
        "MOJO_SERIES": environ.get("MOJO_SERIES") or DEFAULT_SERIES,
        "MOJO_PROJECT": project,
        "MOJO_WORKSPACE": workspace,
        "MOJO_LOCAL_DIR": str(root / "LOCAL" / project / stage),
        "MOJO_REPO_DIR": str(root / project / workspace / stage / "charms"),
        "MOJO_BUILD_DIR": str(root / project / workspace / stage / "build"),
    }


def deployed_bundle(
    template: Path, stage: str, *, series: str, local_dir: str, overlay: Path | None = None
) -> Bundle:
    """What a ``bundle`` phase deploys: ``template`` rendered for ``stage``, ``overlay`` merged.

    The template gets Mojo's variables (``stage_name``, ``series``,
    ``local_dir``); the overlay (the ``local=`` secrets file) is merged onto
    the rendered bundle as Juju merges an overlay document.
    """
    from lpsigning_mojo.bundle import Bundle, Template, render_bundle
    from lpsigning_mojo.files import read_text

    variables = {"series": series, "local_dir": local_dir}
    rendered, bundle = render_bundle(
        Template.from_text(read_text(template), path=str(template)), stage, variables
    )
    if overlay is None:
        return bundle
    return Bundle.from_text(rendered.text + "\n---\n" + read_text(overlay), source=str(template))


class _Phases:
    """Runs one planned phase at a time, as Mojo would here."""

    def __init__(self, spec: Spec, stage: str, environ: Mapping[str, str]) -> None:
        self.spec = spec
        self.stage = spec.stage(stage)
        self.environ = environ

    def __call__(self, phase: PlannedPhase) -> int:
        arguments = " ".join(
            f"{key}={value}" if value is not None else key for key, value in phase.arguments.items()
        )
        _say(f"mojo: phase {phase.index}: {phase.name} {arguments}".rstrip())
        if phase.problems:
            _fail(f"mojo: phase {phase.name} cannot run: {'; '.join(phase.problems)}")
            return 1
        if phase.script is not None:
            return self.script(phase)
        if phase.name == "bundle":
            return self.bundle(phase)
        if phase.name == "juju-check-wait":
            return self.check_wait()
        _say(f"mojo: phase {phase.name}: nothing to do on this bastion")
        return 0

    def script(self, phase: PlannedPhase) -> int:
        assert phase.script is not None
        environment = {
            **self.environ,
            **{key: value for key, value in phase.environment.items() if value is not None},
        }
        status = subprocess.call([str(phase.script)], env=environment, cwd=self.spec.root)
        if status != 0:
            _fail(f"mojo: {phase.name} {phase.script.name} failed with exit status {status}")
        return status

    def _model(self) -> tuple[JujuModels, str] | None:
        data, model = self.environ.get("JUJU_DATA"), self.environ.get("JUJU_MODEL")
        if not data or not model:
            _fail("mojo: no Juju model to deploy to (JUJU_DATA and JUJU_MODEL are not set)")
            return None
        return JujuModels(Path(data)), model

    def bundle(self, phase: PlannedPhase) -> int:
        from lpsigning_mojo.errors import LpsigningMojoError

        if phase.bundle is None:
            _fail("mojo: the bundle phase names no bundle (config=FILE)")
            return 1
        found = self._model()
        if found is None:
            return 1
        models, model = found
        series = self.environ["MOJO_SERIES"]
        overlay = None if phase.overlay_path is None else Path(phase.overlay_path)
        if overlay is not None and not overlay.is_file():
            _fail(f"mojo: the secrets overlay {overlay} (local={phase.overlay}) is missing")
            return 1
        try:
            bundle = deployed_bundle(
                phase.bundle,
                self.stage.name,
                series=series,
                local_dir=self.environ["MOJO_LOCAL_DIR"],
                overlay=overlay,
            )
        except LpsigningMojoError as error:
            _fail(f"mojo: cannot deploy {phase.bundle.name}: {error}")
            return 1
        before = models.load(model).get("applications", {})
        how = f" with the overlay {phase.overlay}" if overlay is not None else ""
        _say(f"mojo: juju deploy --model {model} {phase.bundle.name} for {self.stage.name}{how}")
        models.deploy(model, bundle, series=series)
        for name, application in bundle.applications.items():
            old = before.get(name, {})
            change = (
                f"revision {old.get('revision')} -> {application.revision}"
                if old.get("revision") != application.revision
                else f"revision {application.revision}"
            )
            label = application.build_label
            shown = f", build_label {label[:12]}" if label else ""
            _say(f"mojo:   {name}: {application.charm} {change} ({application.channel}){shown}")
        return 0

    def check_wait(self) -> int:
        found = self._model()
        if found is None:
            return 1
        models, model = found
        applications = models.load(model).get("applications", {})
        unwell = [
            f"{name} is {entry.get('workload')} ({entry.get('message')}), "
            f"its agent {entry.get('agent')}"
            for name, entry in sorted(applications.items())
            if entry.get("workload") != "active" or entry.get("agent") != "idle"
        ]
        if unwell:
            _fail(f"mojo: juju-check-wait: not settled: {'; '.join(unwell)}")
            return 1
        _say(f"mojo: every unit of {model} is active and idle")
        return 0


def run(
    spec_root: Path, stage: str, manifest: str | None, environ: Mapping[str, str] | None = None
) -> int:
    """``mojo run``: walk ``manifest`` for ``stage`` of the spec under ``spec_root``."""
    base = dict(os.environ if environ is None else environ)
    project = stage.split("/", 1)[0]
    spec = Spec.load(spec_root / project)
    variables = mojo_variables_for(stage, base)
    environ = {**base, **variables, "MOJO_SPEC_DIR": str(spec.root), "MOJO_STAGE": stage}
    plan = plan_stage(spec, spec.stage(stage), manifest=manifest, known=variables)
    if plan.diagnostics:
        for diagnostic in plan.diagnostics:
            _fail(f"mojo: {plan.manifest_path}: {diagnostic}")
        return 1
    _say(f"mojo: running {plan.manifest_name} for {stage}")
    result = drive(plan.phases(), _Phases(spec, stage, environ))
    if result.failed is not None:
        _fail(f"mojo: stopped at phase {result.failed.index} ({result.failed.name})")
        return result.status
    _say(f"mojo: {plan.manifest_name} for {stage} done ({len(result.ran)} phases)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``mojo run [--spec DIR] [--stage STAGE] [-m MANIFEST]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] != ["run"]:
        _fail("mojo: this bastion's Mojo runs manifests only: mojo run [-m MANIFEST]")
        return 2
    options: dict[str, str] = {}
    items = iter(args[1:])
    for arg in items:
        name = {"-m": "manifest", "--manifest": "manifest", "--spec": "spec", "--stage": "stage"}
        if arg not in name:
            _fail(f"mojo: unknown argument {arg!r}")
            return 2
        options[name[arg]] = next(items, "")
    spec = options.get("spec") or os.environ.get("MOJO_SPEC_DIR")
    stage = options.get("stage") or os.environ.get("MOJO_STAGE")
    if not spec or not stage:
        _fail("mojo: give the spec (--spec or MOJO_SPEC_DIR) and the stage (--stage or MOJO_STAGE)")
        return 2
    from lpsigning_mojo.errors import LpsigningMojoError

    try:
        return run(Path(spec), stage.strip("/"), manifest_file_name(options.get("manifest")))
    except LpsigningMojoError as error:
        _fail(f"mojo: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
