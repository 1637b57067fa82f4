"""``lpsigning-mojo spec plan``: a dry run of ``mojo run`` for each stage of the spec.

The walk is :func:`lpsigning_mojo.mojospec.plan.plan_stage`; this module
renders each ``bundle`` phase's template for the stage (the secrets overlay
is named, never read) and prints the plan.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.commands._spec import add_spec_argument, spec_directory
from lpsigning_mojo.errors import LpsigningMojoError, UsageError

if TYPE_CHECKING:
    from lpsigning_mojo.mojospec.plan import PlannedPhase, StagePlan
    from lpsigning_mojo.mojospec.stages import Spec

    _Planned = list[tuple[PlannedPhase, dict[str, object] | None]]

__all__ = ["register"]

_UNKNOWN = "(set by Mojo on the bastion)"


def register(subparsers: Any) -> None:
    """Add ``spec`` and its subcommands."""
    spec = subparsers.add_parser(
        "spec",
        help="look at the Mojo spec as Mojo would run it",
        description="Commands about the Mojo spec itself.",
    )
    commands = spec.add_subparsers(title="spec commands", metavar="COMMAND", required=True)
    plan = commands.add_parser(
        "plan",
        help="a dry run of 'mojo run': the phases, files, scripts and bundle of each stage",
        description=(
            "Walk a manifest as 'mojo run' would for each stage (or --stage): each phase with "
            "its arguments expanded, the files it resolves to (the stage directory first, then "
            "its parents), the scripts it would run with their environment, and the bundle it "
            "would deploy, rendered for the stage (the secrets overlay is named, never read). "
            "Nothing is run. Exit 1 when Mojo could not run a phase as written."
        ),
    )
    add_spec_argument(plan)
    plan.add_argument(
        "--stage",
        action="append",
        dest="stages",
        metavar="STAGE",
        help="plan this stage only (short or Mojo name); repeat for several (default: every stage)",
    )
    plan.add_argument(
        "--manifest",
        metavar="NAME",
        help="the manifest, as for 'mojo run -m' (e.g. manifest-upgrade or upgrade; "
        "default: manifest)",
    )
    plan.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value of Mojo's environment known only on the bastion (MOJO_SERIES, "
        "MOJO_LOCAL_DIR, ...) or another variable the manifest uses (repeatable)",
    )
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.set_defaults(handler=_plan)


def _known(items: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--var takes NAME=VALUE, not {item!r}")
        known[name] = value
    return known


def _render(phase: PlannedPhase, plan: StagePlan) -> dict[str, object]:
    """The bundle a ``bundle`` phase deploys, rendered for the stage (or why it is not)."""
    from lpsigning_mojo.bundle.edit import render_bundle
    from lpsigning_mojo.bundle.template import Template
    from lpsigning_mojo.files import read_text

    assert phase.bundle is not None
    variables: dict[str, object] = {}
    if plan.environment.get("MOJO_SERIES"):
        variables["series"] = plan.environment["MOJO_SERIES"]
    if plan.environment.get("MOJO_LOCAL_DIR"):
        variables["local_dir"] = plan.environment["MOJO_LOCAL_DIR"]
    try:
        template = Template.from_text(read_text(phase.bundle), path=str(phase.bundle))
        rendered, bundle = render_bundle(template, plan.stage.name, variables)
    except LpsigningMojoError as error:
        return {"error": str(error)}
    applications = [
        {
            "application": app.name,
            "charm": app.charm,
            "channel": app.channel,
            "revision": app.revision,
            "num_units": app.num_units,
            "build_label": app.build_label,
        }
        for app in (bundle.application(name) for name in bundle.applications)
    ]
    return {"text": rendered.text, "applications": applications}


def _stage_json(plan: StagePlan, phases: _Planned) -> dict[str, object]:
    spec = plan.spec
    return {
        "spec_root": str(spec.root),
        "stage": plan.stage.mojo,
        "manifest": plan.manifest_name,
        "manifest_path": _path(plan.manifest_path, spec),
        "diagnostics": [
            {"line": d.line, "column": d.column, "message": d.message} for d in plan.diagnostics
        ],
        "phases": [{**phase.to_json(spec), "rendered": rendered} for phase, rendered in phases],
    }


def _plan(args: argparse.Namespace) -> int:
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.mojospec.plan import plan_stage
    from lpsigning_mojo.mojospec.stages import Spec

    spec = Spec.load(spec_directory(args))
    stages = (
        tuple(dict.fromkeys(spec.stage(name) for name in args.stages))
        if args.stages
        else spec.stages
    )
    if not stages:
        raise UsageError(
            f"the spec {spec.directory} has no stage directories to plan",
            hint="add one per stage (production/, staging/), as Mojo's --stage names them",
        )
    known = _known(args.var)
    results = []
    failed = False
    for stage in stages:
        plan = plan_stage(spec, stage, manifest=args.manifest, known=known)
        phases: _Planned = []
        for phase in plan.phases():
            rendered = _render(phase, plan) if phase.bundle is not None else None
            phases.append((phase, rendered))
            failed = failed or bool(phase.problems) or bool(rendered and "error" in rendered)
        failed = failed or bool(plan.diagnostics)
        results.append((plan, phases))
    if args.format == "json":
        print_json([_stage_json(plan, phases) for plan, phases in results])
    else:
        for number, (plan, phases) in enumerate(results):
            if number:
                print()
            _print_stage(plan, phases)
    if failed:
        print("Mojo could not run every phase as written: see the problems above.", file=sys.stderr)
    return 1 if failed else 0


def _print_stage(plan: StagePlan, phases: _Planned) -> None:
    spec = plan.spec
    print(
        f"Stage {plan.stage.mojo}: {_path(plan.manifest_path, spec)} "
        f"(paths from the spec root {spec.root})"
    )
    for diagnostic in plan.diagnostics:
        print(f"  line {diagnostic.line}: not a phase Mojo can run: {diagnostic.message}")
    for phase, rendered in phases:
        arguments = " ".join(
            f"{key}={_UNKNOWN if value is None else value}"
            for key, value in phase.arguments.items()
        )
        print(f"  {phase.index}. {phase.name}{' ' + arguments if arguments else ''}")
        if phase.step.config is not None and phase.script is None and phase.bundle is None:
            print(f"     file: {_path(phase.step.config, spec)}")
        if phase.script is not None:
            print(f"     runs: {_path(phase.script, spec)}")
            print("     with:")
            for name, value in phase.environment.items():
                print(f"       {name}={_UNKNOWN if value is None else value}")
        if phase.bundle is not None:
            print(f"     deploys: {_path(phase.bundle, spec)} rendered for {plan.stage.name}")
        if phase.overlay is not None:
            where = phase.overlay_path or f"$MOJO_LOCAL_DIR/{phase.overlay}"
            print(f"     secrets overlay: {where} (on the bastion; not read)")
        for problem in phase.problems:
            print(f"     problem: {problem}")
        if rendered is not None:
            if "error" in rendered:
                print(f"     problem: {rendered['error']}")
            else:
                print("     rendered:")
                text = str(rendered["text"])
                for line in text.splitlines():
                    print(f"       {line}".rstrip())


def _path(path: Path, spec: Spec) -> str:
    """``path`` from the spec root (``$MOJO_SPEC_DIR``), as Mojo sees it."""
    try:
        return path.resolve().relative_to(spec.root).as_posix()
    except ValueError:
        return str(path)
