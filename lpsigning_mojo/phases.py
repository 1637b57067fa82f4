"""What the Mojo phase scripts of the spec run: ``check-bundle`` and ``verify-service``.

Mojo runs a ``script`` or ``verify`` phase's program with its own variables
in the environment (``MOJO_SPEC_DIR``, ``MOJO_STAGE``, ``MOJO_SERIES``,
``MOJO_LOCAL_DIR``, ...; see
:data:`~lpsigning_mojo.mojospec.plan.MOJO_SCRIPT_VARIABLES`) and the phase's
other ``KEY=VALUE`` arguments. The scripts in ``spec/lp-signing/`` are a
few lines that call :func:`main` here; the work is the library's:

- ``check-bundle`` (a ``script`` phase before ``bundle``) lints the bundle
  template rendered for ``$MOJO_STAGE`` with bundle-lint's rules; findings
  print as ``path:line:col: CODE message`` and an error stops the run before
  anything is deployed. ``BUNDLE=FILE`` names another template (default
  ``bundle.yaml``, looked up as Mojo looks up ``config=`` files).
- ``verify-service`` (a ``verify`` phase after ``juju-check-wait``) asks the
  service ``GET /service-key`` until it answers healthily
  (:func:`~lpsigning_mojo.external.probe.wait_until_healthy`; never ``POST
  /nonce``), then, where a ``juju`` is on ``PATH``, compares what each
  application runs (charm revision, channel, ``build_label``) and its units'
  health with the bundle rendered for the stage
  (:func:`~lpsigning_mojo.release.status.compare`). The service's URL is
  ``SERVICE_URL=``, else the file ``service-url`` looked up for the stage,
  else ``service-url`` in ``$MOJO_LOCAL_DIR`` (production's URL is not
  public). ``PROBE_TIMEOUT``, ``PROBE_DELAY`` and ``PROBE_SUCCESSES`` tune
  the wait; ``JUJU_MODEL`` names the model (juju's own variable).

Each prints one line per check to stdout, and on failure one line saying
which check failed to stderr, and exits 1 (Mojo stops the run). Run outside
Mojo (``MOJO_SPEC_DIR`` or ``MOJO_STAGE`` unset), they say so and exit 2.

Only what a phase needs is imported, and only when it runs: the lint path
for ``check-bundle``; the probe, the bundle model and the juju CLI adapter
for ``verify-service``; never paramiko.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.mojospec.layout import BUNDLE_FILE, find_spec_dir
from lpsigning_mojo.mojospec.plan import MOJO_SCRIPT_VARIABLES
from lpsigning_mojo.mojospec.stages import Spec, Stage

if TYPE_CHECKING:
    from lpsigning_mojo.clock import Clock
    from lpsigning_mojo.external.juju import JujuStatusSource
    from lpsigning_mojo.external.probe import HealthProbe

__all__ = [
    "EXIT_NOT_IN_MOJO",
    "INSTALL_COMMAND",
    "PHASES",
    "SERVICE_URL_FILE",
    "MojoEnvironment",
    "check_bundle",
    "main",
    "service_url",
    "verify_service",
]

#: What the role account runs to install the library the scripts call (see the how-to).
INSTALL_COMMAND = "python3 -m pip install --user 'git+https://git.launchpad.net/lpsigning-mojo'"
#: The file, looked up like a ``config=`` file, that holds a stage's service URL.
SERVICE_URL_FILE = "service-url"
#: Exit status when a phase script is run outside Mojo (that of a usage error).
EXIT_NOT_IN_MOJO = UsageError.exit_code


@dataclasses.dataclass(frozen=True, kw_only=True)
class MojoEnvironment:
    """What Mojo tells a phase script: its variables, and the phase's other arguments.

    ``variables`` maps each of :data:`MOJO_SCRIPT_VARIABLES` that is set to its
    value; ``environ`` is the whole environment (the phase's ``KEY=VALUE``
    arguments arrive there too).
    """

    spec_root: Path
    stage_name: str
    variables: Mapping[str, str]
    environ: Mapping[str, str]

    @classmethod
    def read(cls, environ: Mapping[str, str], *, phase: str) -> MojoEnvironment:
        """Read Mojo's variables; :class:`UsageError` (exit 2) when they are not there."""
        missing = [name for name in ("MOJO_SPEC_DIR", "MOJO_STAGE") if not environ.get(name)]
        if missing:
            raise UsageError(
                f"{phase} is a Mojo phase script, and {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set, so it was not run by Mojo",
                hint="Mojo runs it from a manifest; to try it by hand, set them as Mojo would, "
                f"e.g. MOJO_SPEC_DIR=$PWD/spec MOJO_STAGE=lp-signing/staging "
                f"spec/lp-signing/{phase}",
            )
        variables = {name: environ[name] for name in MOJO_SCRIPT_VARIABLES if environ.get(name)}
        return cls(
            spec_root=Path(environ["MOJO_SPEC_DIR"]),
            stage_name=environ["MOJO_STAGE"].strip("/"),
            variables=variables,
            environ=environ,
        )

    @property
    def stage_directory(self) -> Path:
        """``$MOJO_SPEC_DIR/$MOJO_STAGE``."""
        return self.spec_root / self.stage_name

    @property
    def series(self) -> str | None:
        """``MOJO_SERIES``, if set."""
        return self.variables.get("MOJO_SERIES")

    @property
    def local_dir(self) -> Path | None:
        """``MOJO_LOCAL_DIR`` (the secrets directory), if set."""
        value = self.variables.get("MOJO_LOCAL_DIR")
        return Path(value) if value else None

    def spec_and_stage(self) -> tuple[Spec, Stage]:
        """The spec holding the stage directory, and the stage."""
        directory = self.stage_directory
        if not directory.is_dir():
            raise UsageError(
                f"the stage directory {directory} ($MOJO_SPEC_DIR/$MOJO_STAGE) does not exist",
                hint="check MOJO_SPEC_DIR and MOJO_STAGE",
            )
        spec = Spec.load(find_spec_dir(directory))
        return spec, spec.stage(self.stage_name)

    def template_variables(self) -> dict[str, object]:
        """The bundle template variables Mojo passes that this environment knows."""
        variables: dict[str, object] = {}
        if self.series:
            variables["series"] = self.series
        if self.local_dir is not None:
            variables["local_dir"] = str(self.local_dir)
        return variables

    def number(self, name: str, default: float) -> float:
        """The phase argument ``name`` as a number, else ``default``."""
        text = self.environ.get(name)
        if not text:
            return default
        try:
            return float(text)
        except ValueError:
            raise UsageError(f"{name}={text!r} is not a number") from None


def _lookup(spec: Spec, stage: Stage, name: str) -> Path:
    found = spec.lookup(name, stage.mojo)
    if found is None:
        raise UsageError(
            f"{name} is not in the stage directory {stage.directory} nor in any parent "
            f"up to {spec.root}",
            hint="add it to the spec, or name another file",
        )
    return found


def check_bundle(mojo: MojoEnvironment, out: TextIO) -> int:
    """Lint the bundle template rendered for the stage; 1 when bundle-lint finds errors."""
    from lpsigning_mojo.lint.config import load_config
    from lpsigning_mojo.lint.report import format_report, summary
    from lpsigning_mojo.lint.runner import lint_paths

    spec, stage = mojo.spec_and_stage()
    bundle = _lookup(spec, stage, mojo.environ.get("BUNDLE") or BUNDLE_FILE)
    config = load_config(spec.directory)
    variables = {**config.variables, **mojo.template_variables()}
    config = dataclasses.replace(config, variables=variables)
    report = lint_paths([str(bundle)], stages=[stage.mojo], config=config)
    if report.findings:
        out.write(format_report(report, "text"))
        if not format_report(report, "text").endswith("\n"):
            out.write("\n")
    if report.exit_code():
        _fail(
            f"check-bundle: {bundle} rendered for {stage.mojo} does not pass bundle-lint "
            f"({summary(report)}); nothing was deployed"
        )
        return 1
    out.write(f"check-bundle: {bundle} rendered for {stage.mojo} passes bundle-lint\n")
    return 0


def service_url(mojo: MojoEnvironment, spec: Spec, stage: Stage) -> str:
    """The service's URL: ``SERVICE_URL``, else ``service-url`` for the stage, else in
    ``$MOJO_LOCAL_DIR``."""
    given = mojo.environ.get("SERVICE_URL", "").strip()
    if given:
        return given
    candidates = [spec.lookup(SERVICE_URL_FILE, stage.mojo)]
    if mojo.local_dir is not None:
        candidates.append(mojo.local_dir / SERVICE_URL_FILE)
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            text = candidate.read_text(encoding="utf-8").strip()
            if text:
                return text
    where = f"{stage.directory} or its parents"
    if mojo.local_dir is not None:
        where += f", nor in {mojo.local_dir}"
    raise UsageError(
        f"no service URL for stage {stage.mojo}: SERVICE_URL is not set and no "
        f"{SERVICE_URL_FILE} file is in {where}",
        hint=f"add a {SERVICE_URL_FILE} file holding the URL, or pass SERVICE_URL=URL "
        "to the verify phase",
    )


def verify_service(
    mojo: MojoEnvironment,
    out: TextIO,
    *,
    probe: HealthProbe | None = None,
    juju: JujuStatusSource | None = None,
    clock: Clock | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> int:
    """Check the service's health and, where juju answers, what it runs; 1 on a failure.

    ``probe``, ``juju`` and ``clock`` default to the real ones (the juju CLI
    here when ``which("juju")`` finds it, else no comparison).
    """
    from lpsigning_mojo.bundle.template import Template, render_bundle
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.errors import ProbeError
    from lpsigning_mojo.external.probe import ServiceKeyProbe, wait_until_healthy
    from lpsigning_mojo.files import read_text
    from lpsigning_mojo.release.status import compare

    spec, stage = mojo.spec_and_stage()
    url = service_url(mojo, spec, stage)
    clock = clock or SYSTEM_CLOCK
    try:
        waited = wait_until_healthy(
            probe or ServiceKeyProbe(clock=clock),
            url,
            clock=clock,
            timeout=mojo.number("PROBE_TIMEOUT", 300.0),
            delay=mojo.number("PROBE_DELAY", 5.0),
            successes=int(mojo.number("PROBE_SUCCESSES", 2)),
        )
    except ProbeError as error:
        _fail(f"verify-service: the service is not healthy: {error}")
        return 1
    out.write(
        f"verify-service: {waited.last.url}: {waited.last.reason} "
        f"({waited.attempts} checks, {waited.elapsed:.0f} s)\n"
    )
    if juju is None:
        if which("juju") is None:
            out.write(
                "verify-service: juju is not on PATH here, so what the model runs "
                "was not compared with the bundle\n"
            )
            return 0
        from lpsigning_mojo.external.juju import JujuCli
        from lpsigning_mojo.external.local import LocalRunner

        juju = JujuCli(runner=LocalRunner(), model=mojo.environ.get("JUJU_MODEL") or None)
    bundle_path = _lookup(spec, stage, mojo.environ.get("BUNDLE") or BUNDLE_FILE)
    template = Template.from_text(read_text(bundle_path), path=str(bundle_path))
    _, bundle = render_bundle(template, stage.name, mojo.template_variables())
    report = compare(stage.name, stage.mojo, bundle, juju)
    failures: list[str] = []
    for application in report.applications:
        state = application.state
        if application.ok and state is not None:
            label = f", build_label {state.build_label}" if state.build_label else ""
            out.write(
                f"verify-service: {state.application} runs {state.charm_name} revision "
                f"{state.charm_rev} ({state.charm_channel}){label}, as the bundle pins\n"
            )
        failures.extend(
            f"{application.application.name}: {drift.describe()}" for drift in application.drift
        )
        failures.extend(
            f"{application.application.name}: {problem}" for problem in application.problems
        )
    if failures:
        _fail(f"verify-service: the model does not run what the bundle pins: {'; '.join(failures)}")
        return 1
    return 0


def _fail(line: str) -> None:
    print(line, file=sys.stderr)


#: The phase scripts and what each runs.
PHASES: Mapping[str, Callable[[MojoEnvironment, TextIO], int]] = {
    "check-bundle": check_bundle,
    "verify-service": verify_service,
}


def main(phase: str, argv: Sequence[str] | None = None) -> int:
    """Run the phase script ``phase`` in Mojo's environment; its exit status.

    The scripts in ``spec/lp-signing/`` call this. Errors are one sentence
    on stderr: exit 2 outside Mojo, 1 for anything else that stops the phase.
    """
    from lpsigning_mojo._boundary import guarded

    if phase not in PHASES:
        raise ValueError(f"no phase script called {phase!r}")
    arguments = list(sys.argv[1:] if argv is None else argv)

    def run() -> int:
        if arguments:
            raise UsageError(
                f"{phase} takes no arguments (given {' '.join(arguments)!r})",
                hint="Mojo passes the phase's KEY=VALUE arguments in the environment",
            )
        mojo = MojoEnvironment.read(os.environ, phase=phase)
        return PHASES[phase](mojo, sys.stdout)

    return guarded(phase, run)
