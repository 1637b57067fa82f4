"""``lpsigning-mojo log``: the deployment history, from the spec's git history and the journals.

The library part is :func:`lpsigning_mojo.release.changelog.read_change_log`;
this module finds the spec and its repository, reads the release journals
of this machine, and renders the log as text, JSON or Markdown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._spec import add_spec_argument, spec_directory
from lpsigning_mojo.errors import FileAccessError, UsageError

if TYPE_CHECKING:
    from lpsigning_mojo.mojospec.stages import Spec
    from lpsigning_mojo.release.changelog import ChangeLog, Deployment, Entry

__all__ = ["parse_date", "register"]

_LAUNCHPAD_BUG = "https://bugs.launchpad.net/bugs/{}"
_UNCHANGED = "no stage's rendered bundle changed (comments or layout only)"


def register(subparsers: Any) -> None:
    """Add ``log``."""
    parser = add_command(
        subparsers,
        "log",
        help="the deployment history, from the spec's git history",
        description=(
            "The deployment history reconstructed from the spec's git history: for each commit "
            "of the branch's own line (a merge counts as one change) that changed what a stage "
            "deploys, its date, author, summary and bugs (LP: #N), and per stage what changed "
            "in the rendered bundle (charm revision, channel, build_label: old -> new). Reverts "
            "name the commit they revert. Where this machine holds release journals, each "
            "change says which run deployed it, and when. Newest first."
        ),
        example=[
            (
                "lpsigning-mojo log --stage production --since 2026-01-01",
                "what production's bundle changed this year, and which run deployed it",
            ),
            (
                "lpsigning-mojo log --format markdown > history.md",
                "the whole history, for release notes",
            ),
        ],
    )
    add_spec_argument(parser)
    parser.add_argument(
        "--stage",
        action="append",
        dest="stages",
        metavar="STAGE",
        help="follow this stage only (short or Mojo name); repeat for several",
    )
    parser.add_argument(
        "--since", type=parse_date, metavar="DATE", help="only changes committed at or after DATE"
    )
    parser.add_argument(
        "--until",
        type=_until,
        metavar="DATE",
        help="only changes committed before DATE (a day alone: up to its end)",
    )
    add_format(parser, "markdown", what="every entry and what it changed in each stage; "
               "markdown: a section per entry")  # fmt: skip
    parser.set_defaults(handler=_log)


def parse_date(text: str) -> dt.datetime:
    """A date (``2026-01-05``) or an ISO 8601 time (``2026-01-05T12:00:00+01:00``, ``...Z``).

    Without a time zone, UTC.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def _until(text: str) -> dt.datetime:
    moment = parse_date(text)
    if "T" not in text and " " not in text.strip():
        moment += dt.timedelta(days=1)
    return moment


def _repository_top(spec: Path) -> Path:
    from lpsigning_mojo.mojospec.layout import upwards

    for directory in upwards(spec):
        if (directory / ".git").exists():
            return directory
    raise UsageError(
        f"the spec {spec} is not in a git repository, and its history is the change log",
        hint="run this in a clone of the spec's repository",
    )


def _deployments(spec: Spec) -> list[Deployment]:
    """The deployments this machine's release journals record (none without instances.yaml)."""
    from lpsigning_mojo.runbook.progress import state_directory

    if not state_directory().is_dir():  # nothing was ever run here: spare the journals' code
        return []
    from lpsigning_mojo.runbook.runs import RunStore, runs_directory

    if not runs_directory().is_dir():
        return []
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.instances import load_instances
    from lpsigning_mojo.mojospec.layout import INSTANCES_FILE
    from lpsigning_mojo.release.changelog import deployments

    try:
        instances = load_instances(spec.directory / INSTANCES_FILE)
    except FileAccessError:
        return []
    return deployments(RunStore(clock=SYSTEM_CLOCK).runs(), instances, spec)


def _log(args: argparse.Namespace) -> int:
    import gc

    # The imports and the walk make tens of thousands of small acyclic objects, which the
    # cyclic garbage collector would scan again and again for nothing (as in read_change_log).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _print_log(args)
    finally:
        if enabled:
            gc.enable()


def _print_log(args: argparse.Namespace) -> int:
    from lpsigning_mojo.external.git import GitCli
    from lpsigning_mojo.mojospec.stages import Spec
    from lpsigning_mojo.release.changelog import read_change_log

    if args.since and args.until and args.since >= args.until:
        raise UsageError("--since must be earlier than --until")
    spec = Spec.load(spec_directory(args))
    stages = tuple(dict.fromkeys(spec.stage(name) for name in args.stages)) if args.stages else None
    top = _repository_top(spec.directory.resolve())
    log = read_change_log(
        GitCli(top, read_ahead=True),  # the log and the versions' contents, read together
        spec,
        top=top,
        stages=stages,
        since=args.since,
        until=args.until,
        runs=_deployments(spec),
    )
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(log.to_json(), indent=2) + "\n")
    elif args.format == "markdown":
        out.write("".join(line + "\n" for line in _markdown(log)))
    else:
        out.write(_text(log))
    return 0


def _when(moment: dt.datetime) -> str:
    """``2026-01-05 12:00 +0100``: strftime's ``%Y-%m-%d %H:%M %z``, built faster.

    (A log formats thousands: the offset's text is kept for each offset.)
    """
    offset = moment.utcoffset()
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = moment.strftime("%z")
    if moment.year < 1000:  # strftime does not pad %Y to four digits everywhere
        return moment.strftime("%Y-%m-%d %H:%M %z")
    return f"{moment.isoformat(' ', 'minutes')[:16]} {zone}"


_ZONES: dict[dt.timedelta | None, str] = {}


def _grouped(entry: Entry, cache: dict[int, tuple[str, ...]]) -> list[tuple[str, tuple[str, ...]]]:
    """The stage changes, stages with the same lines together: [("production, staging", lines)].

    ``cache`` keeps the lines of each diff (stages and commits share diff objects).
    """
    changes = entry.stages
    diff = changes[0].diff
    if all(
        change.diff is diff
        and change.error is None
        and not change.recovered
        and change.first is None
        for change in changes
    ):  # the usual case: every stage changed alike (one diff object, see VersionTracker)
        lines = cache.get(id(diff))
        if lines is None:
            lines = cache[id(diff)] = tuple(changes[0].lines())
        return [(", ".join(change.stage for change in changes), lines)]
    groups: dict[tuple[str, ...], list[str]] = {}
    for change in changes:
        plain = change.error is None and not change.recovered and change.first is None
        lines = cache.get(id(change.diff)) if plain else None
        if lines is None:
            lines = tuple(change.lines())
            if plain:
                cache[id(change.diff)] = lines
        groups.setdefault(lines, []).append(change.stage)
    return [(", ".join(stages), lines) for lines, stages in groups.items()]


def _notes(entry: Entry) -> Iterator[str]:
    if entry.merge:
        yield f"merge of {', '.join(parent[:12] for parent in entry.parents[1:])}"
    if entry.reverts:
        yield f"reverts {entry.reverts[:12]}"
    if entry.reverted_by:
        yield f"reverted by {entry.reverted_by[:12]}"


def _deployed(entry: Entry) -> Iterator[str]:
    for change in entry.stages:
        run = change.deployed
        if run is not None:
            when = dt.datetime.fromtimestamp(run.at, tz=dt.timezone.utc)
            yield f"{change.stage} by run {run.run_id} at {_when(when)}"


def _text(log: ChangeLog) -> str:
    """The log for people, in one string (thousands of entries: built as a list, joined once)."""
    if not log.entries:
        return f"No change to what {', '.join(log.stages)} deploy in the spec's history.\n"
    cache: dict[int, tuple[str, ...]] = {}
    parts: list[str] = []
    add = parts.append
    for entry in log.entries:
        add(f"{entry.commit[:12]}  {_when(entry.committed_at)}  {entry.author_name}\n")
        add(f"    {entry.summary}\n")
        if entry.bugs:
            add(f"    bugs: {', '.join(f'#{bug}' for bug in entry.bugs)}\n")
        if entry.stages:
            for stages, lines in _grouped(entry, cache):
                for line in lines:
                    add(f"    {stages}: {line}\n")
        else:
            add(f"    {_UNCHANGED}\n")
        if entry.merge or entry.reverts or entry.reverted_by:
            for note in _notes(entry):
                add(f"    {note}\n")
        deployed = list(_deployed(entry))
        if deployed:
            add(f"    deployed: {'; '.join(deployed)}\n")
        add("\n")
    parts.pop()  # no blank line after the last entry
    return "".join(parts)


def _markdown(log: ChangeLog) -> Iterator[str]:
    yield f"# Deployment history ({', '.join(log.stages)})"
    if not log.entries:
        yield ""
        yield "No change in the spec's history."
        return
    cache: dict[int, tuple[str, ...]] = {}
    for entry in log.entries:
        yield ""
        yield f"## {entry.committed_at.strftime('%Y-%m-%d')}: {_escape(entry.summary)}"
        yield ""
        author = _escape(entry.author_name)
        yield f"- Commit `{entry.commit[:12]}` by {author}, {_when(entry.committed_at)}"
        if entry.bugs:
            links = ", ".join(f"[LP: #{bug}]({_LAUNCHPAD_BUG.format(bug)})" for bug in entry.bugs)
            yield f"- Bugs: {links}"
        for stages, lines in _grouped(entry, cache):
            yield f"- **{stages}**: {'; '.join(_escape(line) for line in lines)}"
        if not entry.stages:
            yield f"- {_UNCHANGED[:1].upper()}{_UNCHANGED[1:]}"
        for note in _notes(entry):
            yield f"- {note[:1].upper()}{note[1:]}"
        for deployed in _deployed(entry):
            yield f"- Deployed to {deployed}"


def _escape(text: str) -> str:
    """``text`` with Markdown's inline markup characters escaped."""
    for character in "\\`*_[]<|":
        text = text.replace(character, "\\" + character)
    return text
