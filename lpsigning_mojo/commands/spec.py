"""``lpsigning-mojo spec plan``: a dry run of ``mojo run`` for each stage of the spec.

The walk is :func:`lpsigning_mojo.mojospec.plan.plan_spec`, each ``bundle``
phase rendered for its stage by
:func:`lpsigning_mojo.release.revisions.render_phase` (the secrets overlay
is named, never read); this module prints the plan.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._spec import add_spec_argument, spec_directory
from lpsigning_mojo.errors import UsageError

if TYPE_CHECKING:
    from lpsigning_mojo.mojospec.plan import PlannedStage
    from lpsigning_mojo.mojospec.stages import Spec

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
    plan = add_command(
        commands,
        "plan",
        help="a dry run of 'mojo run': the phases, files, scripts and bundle of each stage",
        description=(
            "Walk a manifest as 'mojo run' would for each stage (or --stage): each phase with "
            "its arguments expanded, the files it resolves to (the stage directory first, then "
            "its parents), the scripts it would run with their environment, and the bundle it "
            "would deploy, rendered for the stage (the secrets overlay is named, never read). "
            "Nothing is run. Exit 1 when Mojo could not run a phase as written."
        ),
        example=[
            (
                "lpsigning-mojo spec plan --stage staging --manifest upgrade",
                "what 'mojo run -m manifest-upgrade' would do for staging",
            ),
            (
                "lpsigning-mojo spec plan --var MOJO_SERIES=noble --format json",
                "every stage, for Ubuntu 24.04, for a script",
            ),
        ],
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
    add_format(plan, what="each stage's phases, files, scripts and rendered bundles")
    plan.set_defaults(handler=_plan)


def _known(items: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--var takes NAME=VALUE, not {item!r}")
        known[name] = value
    return known


def _plan(args: argparse.Namespace) -> int:
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.mojospec.plan import plan_spec
    from lpsigning_mojo.mojospec.stages import Spec
    from lpsigning_mojo.release.revisions import render_phase

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
    report = plan_spec(
        spec, stages, manifest=args.manifest, known=_known(args.var), render=render_phase
    )
    if args.format == "json":
        print_json(report.to_json())
    else:
        for number, planned in enumerate(report.stages):
            if number:
                print()
            _print_stage(planned)
    if report.failed:
        print("Mojo could not run every phase as written: see the problems above.", file=sys.stderr)
    return 1 if report.failed else 0


def _print_stage(planned: PlannedStage) -> None:
    plan = planned.plan
    spec = plan.spec
    print(
        f"Stage {plan.stage.mojo}: {_path(plan.manifest_path, spec)} "
        f"(paths from the spec root {spec.root})"
    )
    for diagnostic in plan.diagnostics:
        print(f"  line {diagnostic.line}: not a phase Mojo can run: {diagnostic.message}")
    for phase in planned.phases:
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
        text = None if phase.rendered is None else phase.rendered.text
        if text is not None:
            print("     rendered:")
            for line in text.splitlines():
                print(f"       {line}".rstrip())


def _path(path: Path, spec: Spec) -> str:
    """``path`` from the spec root (``$MOJO_SPEC_DIR``), as Mojo sees it."""
    try:
        return path.resolve().relative_to(spec.root).as_posix()
    except ValueError:
        return str(path)
