"""``lpsigning-mojo status``: what an instance runs, against what the spec pins."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._spec import add_spec_argument
from lpsigning_mojo.commands._table import print_json
from lpsigning_mojo.errors import DriftFoundError, NotCheckableError
from lpsigning_mojo.untrusted import printable

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``status``."""
    parser = add_command(
        subparsers,
        "status",
        help="what an instance runs against what the spec pins (exit 7 on drift)",
        description=(
            "Compare what an instance runs (charm revision, channel, build_label, unit health) "
            "with what the spec's bundle pins for its stage. Exit status: 0 checked, no drift; "
            "7 checked, drift or unhealthy units; 8 not checkable from here (only the pins are "
            "shown); 1 the check failed (no connection, juju failed). Live state comes from "
            "the juju CLI here (on the bastion), from the juju CLI run as the role account "
            "over SSH, or from python-libjuju (the 'juju' extra). Production's live state is "
            "not reachable by developers: for it, the pins alone are shown."
        ),
        example=[
            ("lpsigning-mojo status staging", "does staging run what the spec pins?"),
            (
                "lpsigning-mojo status staging --source ssh --format json",
                "the same, read over SSH as the role account, for a script",
            ),
            ("lpsigning-mojo status production", "what the spec pins for production (exit 8)"),
        ],
    )
    parser.add_argument(
        "instance", metavar="INSTANCE", help="an instance's name or alias, e.g. staging or dogfood"
    )
    parser.add_argument(
        "--source",
        choices=("auto", "local", "ssh", "libjuju"),
        default="auto",
        help="where to read live state: auto (default) uses a local juju if there is one, "
        "else SSH to the management environment",
    )
    add_spec_argument(parser)
    add_format(parser, what="the pins, what runs, the drift and the verdict")
    parser.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    from lpsigning_mojo.bundle import Template, render_bundle
    from lpsigning_mojo.commands._spec import spec_directory, spec_instances
    from lpsigning_mojo.files import read_text
    from lpsigning_mojo.mojospec import BUNDLE_FILE
    from lpsigning_mojo.release.status import instance_status

    instances = spec_instances(args)
    instance = instances.get(args.instance)
    bundle_path = spec_directory(args) / BUNDLE_FILE
    template = Template.from_text(read_text(bundle_path), path=str(bundle_path))
    _, bundle = render_bundle(template, instance.stage_name)
    report = instance_status(instances, instance, bundle, source=args.source, progress=_progress)
    return _print(report, args.format)


def _progress(message: str) -> None:
    print(message, file=sys.stderr)


def _print(report: Any, form: str) -> int:
    """Print ``report``; return 0, or raise the error whose exit status says the verdict."""
    if form == "json":
        print_json(report.to_json())
    else:
        _print_text(report)
    if report.verdict == "not-checkable":
        raise NotCheckableError(
            f"nothing live was checked: {report.reason}; only the spec's pins are shown"
        )
    if report.verdict == "drift":
        unwell = [r.application.name for r in report.applications if not r.ok]
        raise DriftFoundError(
            f"{report.instance} does not run what the spec pins, or has unhealthy units "
            f"({', '.join(unwell)})"
        )
    return 0


def _say(line: str) -> None:
    """Print a line that holds text from Juju: control characters show as escapes."""
    print(printable(line))


def _print_text(report: Any) -> None:
    _say(f"{report.instance} ({report.mojo_stage}):")
    for r in report.applications:
        app = r.application
        pinned = (
            f"rev {app.revision if app.revision is not None else '-'} from {app.channel or '-'}"
        )
        if app.build_label:
            pinned += f", build_label {app.build_label}"
        if r.state is None:
            _say(f"  {app.name}: spec pins {pinned}")
            continue
        running = f"rev {r.state.charm_rev} from {r.state.charm_channel or '-'}"
        if r.state.build_label:
            running += f", build_label {r.state.build_label}"
        mark = "ok" if r.ok else "DRIFT" if r.drift else "UNHEALTHY"
        _say(f"  {app.name}: {mark}; runs {running}; spec pins {pinned}")
        for drift in r.drift:
            _say(f"    drift: {drift.describe()}")
        for problem in r.problems:
            _say(f"    problem: {problem}")
        for unit in r.state.units:
            message = f" ({unit.workload_message})" if unit.workload_message else ""
            _say(f"    {unit.name}: {unit.workload_status}{message}, agent {unit.agent_status}")
    if report.verdict == "ok":
        print("No drift; every unit is healthy.")
