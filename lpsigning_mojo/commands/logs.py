"""``lpsigning-mojo logs``: list, show and prune the logs that ``upgrade`` writes."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._spec import add_spec_argument, spec_instances
from lpsigning_mojo.commands._table import print_json, print_table
from lpsigning_mojo.errors import LpsigningMojoError, UsageError
from lpsigning_mojo.numbers import whole_number
from lpsigning_mojo.suggest import did_you_mean

if TYPE_CHECKING:
    from lpsigning_mojo.runbook.progress import LogFile

__all__ = ["parse_age", "register"]

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    """Seconds in an age such as ``30d``, ``12h``, ``90m`` or ``2w`` (a bare number is days)."""
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "d")
    value = whole_number(number)
    if value is None or value == 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an age: write a whole number and a unit, such as 30d, 12h or 90m"
        )
    return float(value * _UNITS[unit])


def _count(text: str) -> int:
    value = whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return value


def register(subparsers: Any) -> None:
    """Add ``logs``."""
    parser = add_command(
        subparsers,
        "logs",
        help="list, show and prune the logs of upgrade triggers",
        description=(
            "List the log files that 'lpsigning-mojo upgrade' keeps of each trigger it runs "
            "(in $XDG_STATE_HOME/lpsigning-mojo/logs), oldest first; show one with --show; "
            "remove old ones with --prune. A log that a running upgrade is writing is marked "
            "'running' and never removed."
        ),
        example=[
            ("lpsigning-mojo logs staging", "staging's logs, oldest first"),
            ("lpsigning-mojo logs staging --show last", "the newest of them"),
            (
                "lpsigning-mojo logs --prune --older-than 30d --dry-run",
                "which logs are older than 30 days; remove nothing",
            ),
            ("lpsigning-mojo logs --prune --keep 20", "remove all but the newest 20 logs"),
        ],
    )
    parser.add_argument(
        "instance",
        metavar="INSTANCE",
        nargs="?",
        help="only this instance's logs (a name or an alias, e.g. dogfood); default: all",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--show",
        metavar="LOG",
        help="print a log: 'last' (the newest) or a file name from the list",
    )
    action.add_argument(
        "--prune",
        action="store_true",
        help="remove old logs (give --older-than, --keep or both)",
    )
    parser.add_argument(
        "--older-than",
        metavar="AGE",
        type=parse_age,
        help="with --prune: remove logs last written longer ago than AGE (30d, 12h, 90m, 2w)",
    )
    parser.add_argument(
        "--keep",
        metavar="N",
        type=_count,
        help="with --prune: keep only the newest N logs (of INSTANCE, if given)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --prune: say what would go; remove nothing"
    )
    add_format(parser, what="the list, or what --prune did; --show prints the log itself")
    add_spec_argument(parser)
    parser.set_defaults(handler=run_logs)


def _instance_name(args: argparse.Namespace) -> str | None:
    """The instance's own name (an alias resolved through the spec), or ``None`` for all."""
    if args.instance is None:
        return None
    try:
        instances = spec_instances(args)
    except UsageError:
        if args.spec is not None:
            raise
        return str(args.instance)  # no spec here: take the name as it is written in the logs
    return instances.get(args.instance).name


def run_logs(args: argparse.Namespace) -> int:
    from lpsigning_mojo.runbook.progress import LogListing, list_logs, log_directory

    if not args.prune and (args.older_than is not None or args.keep is not None or args.dry_run):
        raise UsageError("--older-than, --keep and --dry-run go with --prune")
    if args.prune and args.older_than is None and args.keep is None:
        raise UsageError(
            "--prune needs --older-than AGE, --keep N or both",
            hint="for example: lpsigning-mojo logs --prune --older-than 30d",
        )
    instance = _instance_name(args)
    logs = list_logs(instance=instance)
    if args.show is not None:
        return _show(logs, args.show, instance)
    if args.prune:
        return _prune(args, logs)
    if args.format == "json":
        print_json(LogListing(directory=log_directory(), logs=tuple(logs)).to_json())
        return 0
    if not logs:
        whose = f" of {instance}" if instance else ""
        print(f"No logs{whose} in {log_directory()}.")
        return 0
    rows = [("STARTED (UTC)", "SIZE", "STATE", "LOG")]
    rows += [(_when(log.started), _size(log.size), _state(log), log.path.name) for log in logs]
    print_table(rows)
    print(f"{len(logs)} log{'s' if len(logs) != 1 else ''} in {log_directory()}.")
    return 0


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _state(log: LogFile) -> str:
    return "running" if log.running else "-"


def _show(logs: list[LogFile], which: str, instance: str | None) -> int:
    from lpsigning_mojo.runbook.progress import log_directory

    if not logs:
        whose = f" of {instance}" if instance else ""
        raise LpsigningMojoError(f"there are no logs{whose} in {log_directory()}")
    if which == "last":
        chosen = logs[-1]
    else:
        by_name = {log.path.name: log for log in logs}
        if which not in by_name:
            raise UsageError(
                f"there is no log called {which!r}{did_you_mean(which, by_name)}",
                hint="give 'last' or a name that 'lpsigning-mojo logs' lists",
            )
        chosen = by_name[which]
    try:
        with chosen.path.open("r", encoding="utf-8", errors="backslashreplace") as log:
            shutil.copyfileobj(log, sys.stdout)
    except FileNotFoundError:
        raise LpsigningMojoError(f"the log {chosen.path} was removed meanwhile") from None
    return 0


def _prune(args: argparse.Namespace, logs: list[LogFile]) -> int:
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.runbook.progress import prune_logs

    result = prune_logs(
        logs,
        now=SYSTEM_CLOCK.time(),
        older_than=args.older_than,
        keep=args.keep,
        dry_run=args.dry_run,
    )
    if args.format == "json":
        print_json(result.to_json())
        return 0
    verb = "Would remove" if args.dry_run else "Removed"
    for log in result.removed:
        print(f"{verb} {log.path.name}")
    for log in result.running:
        print(f"Kept {log.path.name}: a running upgrade is writing it")
    count = len(result.removed)
    print(f"{verb} {count} log{'s' if count != 1 else ''}; {len(logs) - count} left.")
    return 0
