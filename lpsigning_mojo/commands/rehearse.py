"""``lpsigning-mojo rehearse``: a whole release, staging then production, in a loopback world.

The work is :func:`lpsigning_mojo.rehearsal.rehearse`; this module parses
the options, prints the report (text, or JSON with ``--format json``, the
releases' own output then going to standard error) and returns its exit
status: 0 when every expectation of the scenario held.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._spec import add_spec_argument

__all__ = ["register", "run_rehearse"]


def register(subparsers: Any) -> None:
    """Add ``rehearse``."""
    from lpsigning_mojo.rehearsal.scenarios import SCENARIOS

    scenarios = "\n".join(
        textwrap.fill(f"{name}: {text}", 78, initial_indent="  ", subsequent_indent="      ")
        for name, text in SCENARIOS.items()
    )
    parser = add_command(
        subparsers,
        "rehearse",
        help="rehearse a whole release (staging, then production) against loopback stand-ins",
        description=(
            "Build a world of stand-ins on this machine (the spec's remote and your clone, the "
            "bastions with Mojo and juju, Charmhub, the lp-signing services, Launchpad, "
            "Mattermost, Deployable), then run a staging release to the latest revision and a "
            "production release of what staging runs, through exactly the code of "
            "'lpsigning-mojo release', answering yes to its confirmations. Each step is printed "
            "as it happens, then a report. Needs no network, no root and no sshd; every server "
            "it starts is stopped, and the world is removed unless --keep."
        ),
        example=[
            (
                "lpsigning-mojo rehearse",
                "a staging release to the latest revision, then a production release of what "
                "staging runs, then the report",
            ),
            (
                "lpsigning-mojo rehearse --fail staging-unhealthy",
                "production's gate blocks the release: staging's service is down",
            ),
            (
                "lpsigning-mojo rehearse --keep /tmp/world --format json",
                "keep the world (repositories, journals, models) and print the report as JSON",
            ),
        ],
        after=f"scenarios (--fail):\n{scenarios}\n\nexit statuses:\n"
        "  0    every expectation of the rehearsal held\n"
        "  1    one did not (the report says which), or the rehearsal could not run\n"
        "  2    the command line is wrong\n"
        "  130  interrupted with Ctrl-C (every server is stopped first)\n",
    )
    parser.add_argument(
        "--fail",
        choices=tuple(SCENARIOS),
        metavar="SCENARIO",
        help=f"break the world at one point to show a safety net: {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="build the world in DIR (new or empty) and leave it there afterwards",
    )
    parser.add_argument(
        "--ssh",
        choices=("in-process", "openssh"),
        default="in-process",
        help="the bastion's SSH server: one inside this process (default), or OpenSSH's sshd "
        "(/usr/sbin/sshd, started as you)",
    )
    add_spec_argument(parser)
    add_format(parser, what="the report: the runs, the spec commits, what each model runs")
    parser.set_defaults(handler=run_rehearse)


def run_rehearse(args: argparse.Namespace) -> int:
    from lpsigning_mojo.commands._spec import spec_directory
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.rehearsal import RehearsalOptions, rehearse

    options = RehearsalOptions(
        spec=spec_directory(args),
        fail=args.fail,
        keep=Path(args.keep) if args.keep else None,
        ssh=args.ssh,
    )
    out = sys.stderr if args.format == "json" else sys.stdout
    report = rehearse(options, out=out)
    if args.format == "json":
        print_json(report.to_json())
    else:
        for line in report.lines():
            print(line)
    return report.exit_code
