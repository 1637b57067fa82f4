"""``lpsigning-mojo release`` and ``runs``: the releases, and the journals of their runs.

``release staging`` and ``release production`` build the real World
(:class:`~lpsigning_mojo.release.world.ReleaseWorld`: git in the spec
repository, Charmhub, SSH to the management environments, the health probe,
juju through the role account, Launchpad, the Mattermost webhook and the
Deployable commands of the configuration, the run store) from their
arguments and the user's configuration, and hand it to
:func:`lpsigning_mojo.release.staging.release_staging` or
:func:`lpsigning_mojo.release.production.release_production`. ``runs``
lists and shows the journals. :func:`gate_trigger` is what ``lpsigning-mojo
upgrade production`` checks first. Exit statuses come from the engine's
report (the error classes' ``exit_code``), never from numbers written here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lpsigning_mojo.commands._help import add_command, add_format, examples
from lpsigning_mojo.commands._spec import add_spec_argument

if TYPE_CHECKING:
    from lpsigning_mojo.config import Config
    from lpsigning_mojo.instances import Instance, Instances
    from lpsigning_mojo.release.production import ProductionOptions
    from lpsigning_mojo.release.staging import StagingOptions
    from lpsigning_mojo.release.world import ReleaseWorld
    from lpsigning_mojo.runbook import RunStore

__all__ = [
    "add_gate_arguments",
    "build_world",
    "gate_trigger",
    "register",
    "run_release_production",
    "run_release_staging",
    "run_runs",
]


def _exit_statuses(trigger: str = "upgrade-staging") -> str:
    from lpsigning_mojo.errors import (
        CommandInterruptedError,
        CommandTimeoutError,
        LpsigningMojoError,
        OutcomeUnknown,
        RemoteCommandFailed,
        RemoteCommandKilled,
        UsageError,
    )

    unknown = f"the connection was lost while {trigger} ran: resume"
    if trigger == "upgrade-production":
        unknown = "whether upgrade-production (or the announcement) ran is unknown: resume"
    rows = [
        (0, "the release is done (or the dry run printed every step)"),
        (LpsigningMojoError.exit_code, "a step failed: the sentence says why; resume once fixed"),
        (UsageError.exit_code, "the command line is wrong"),
        (OutcomeUnknown.exit_code, unknown),
        (RemoteCommandFailed.exit_code, f"{trigger} failed (its last lines are shown): resume"),
        (RemoteCommandKilled.exit_code, f"{trigger} was ended by a signal: resume"),
        (CommandTimeoutError.exit_code, f"{trigger} ran past its timeout"),
        (CommandInterruptedError.exit_code, "interrupted with Ctrl-C: resume"),
    ]
    return "\n".join(f"  {code:<4} {text}" for code, text in rows)


EXAMPLES = examples(
    [
        (
            "lpsigning-mojo release staging --latest --dry-run",
            "show every step (the diff, the commit message, the push, the remote command, the "
            "checks) of pinning the latest revision; change nothing",
        ),
        (
            "lpsigning-mojo release staging --revision 89 --bug 2034567",
            "pin revision 89 (Charmhub must hold it) and name a bug it fixes",
        ),
        (
            "lpsigning-mojo release staging --latest --source ~/src/lp-signing --since 1f3c9a2",
            "also name the bugs in the LP: #N lines of lp-signing's commits since 1f3c9a2",
        ),
        (
            "lpsigning-mojo release staging --resume last",
            "continue the newest unfinished staging release where it stopped",
        ),
        ("lpsigning-mojo runs show last", "show what the newest run did, step by step"),
    ]
)


PRODUCTION_EXAMPLES = examples(
    [
        (
            "lpsigning-mojo release production --dry-run",
            "show every gate's result and every step (the release note, the announcement, "
            "the remote command, the bug transitions); change nothing",
        ),
        (
            "lpsigning-mojo release production --build-label staging --source ~/src/lp-signing",
            "deploy the payload staging runs now, with the LP: #N lines of the lp-signing "
            "commits it brings",
        ),
        (
            'lpsigning-mojo release production --override soak --reason "hotfix for LP: #2034567"',
            "proceed although staging has not run it long enough (recorded, with your name, "
            "in the journal and the commit message)",
        ),
        (
            "lpsigning-mojo release production --resume last",
            "continue the newest unfinished production release where it stopped",
        ),
        (
            'lpsigning-mojo release production --file-bug "Signing fails after the rollout"',
            "file a bug on lp-signing about the newest production run, with its journal",
        ),
    ]
)

_RUNS_EXAMPLES = [
    ("lpsigning-mojo runs", "the runs on this machine, newest first"),
    ("lpsigning-mojo runs list --format json", "the same, for a script"),
    ("lpsigning-mojo runs show last", "what the newest run did, step by step"),
    (
        "lpsigning-mojo runs show 20261130T074031Z-d69b24 --format json",
        "that run's journal summary, every step's outputs included, for a script",
    ),
]

#: The gates ``--override`` may name (the lock is broken with --break-lock instead).
GATE_NAMES = ("spec", "staging-charm", "build-label", "staging-health", "soak")


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _bug(text: str) -> int:
    number = _whole(text.removeprefix("#"))
    if number == 0:
        raise argparse.ArgumentTypeError("0 is not a Launchpad bug number")
    return number


def register(subparsers: Any) -> None:
    """Add ``release`` (with ``staging``) and ``runs``."""
    parser = subparsers.add_parser(
        "release",
        help="deploy a change to an instance, step by step, with a journal and a lock",
        description="Deploy a charm change the way the runbook says, as checked, resumable "
        "steps. Each run keeps a journal (see 'lpsigning-mojo runs') and holds the instance's "
        "lock on its management environment while it runs.",
    )
    releases = parser.add_subparsers(title="releases", metavar="RELEASE", required=True)
    staging = releases.add_parser(
        "staging",
        help="pin a charm revision and deploy it to staging",
        description=textwrap.fill(
            "The runbook's 'Deploying to staging': pin the lp-signing charm revision in the "
            "bundle (every stage checked), commit it with the fixed bugs, push it if it is "
            "release-only, run upgrade-staging as the staging role account, and check the "
            "service and what staging runs. Steps already done are skipped; a stopped run "
            "continues with --resume.",
            78,
        ),
        epilog=f"{EXAMPLES}\nexit statuses:\n{_exit_statuses()}\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = staging.add_mutually_exclusive_group()
    which.add_argument(
        "--revision", type=_whole, metavar="N", help="the charm revision to pin and deploy"
    )
    which.add_argument(
        "--latest",
        action="store_true",
        help="the latest revision in the channel, base and architecture staging pins",
    )
    staging.add_argument(
        "--force",
        action="store_true",
        help="do not check --revision against Charmhub (which lists only current releases)",
    )
    staging.add_argument(
        "--bug",
        type=_bug,
        action="append",
        default=[],
        metavar="N",
        help="a Launchpad bug the change fixes (repeatable)",
    )
    staging.add_argument(
        "--source",
        metavar="PATH",
        help="a clone of lp-signing whose commits name fixed bugs with LP: #N "
        "(default: release.source in the configuration, when --since is given)",
    )
    staging.add_argument(
        "--since", metavar="REV", help="read the LP: #N lines of the commits after REV"
    )
    staging.add_argument(
        "--dry-run",
        action="store_true",
        help="print every step exactly; change nothing (no commit, push, lock or remote command)",
    )
    staging.add_argument("--yes", action="store_true", help="answer yes to confirmations")
    staging.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="continue a stopped run ('last': the newest unfinished one), with its own options",
    )
    staging.add_argument(
        "--break-lock",
        action="store_true",
        help="break a stale lock after showing who holds it (asks; --yes confirms)",
    )
    staging.add_argument(
        "--charmhub-url",
        help="Charmhub's API (default: CHARMHUB_URL, else https://api.charmhub.io)",
    )
    add_spec_argument(staging)
    add_format(staging, what="the journal's summary, or the dry run's steps; progress on "
               "standard error")  # fmt: skip
    staging.set_defaults(handler=run_release_staging)

    production = releases.add_parser(
        "production",
        help="promote what staging runs to production",
        description=textwrap.fill(
            "The runbook's 'Deploying to production': check the promotion gates (staging runs "
            "the same charm and payload, healthy and settled; the spec is clean; nobody else "
            "is releasing; the soak time), set build_label for production when the payload "
            "changes (commit, push), request the deployment on Deployable, announce it in "
            "~is-outage (once), run upgrade-production from the staging role account, ask "
            "you to check the production publisher logs, move the fixed bugs to Fix "
            "Released, and mark the Deployable request deployed. Steps already done are "
            "skipped; a stopped run continues with --resume.",
            78,
        ),
        epilog=f"{PRODUCTION_EXAMPLES}\nexit statuses:\n{_exit_statuses('upgrade-production')}\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    production.add_argument(
        "--build-label",
        metavar="SHA|staging",
        help="the payload to deploy: a commit of lp-signing, or 'staging' for what staging "
        "runs now (default: keep what the bundle pins)",
    )
    production.add_argument(
        "--source",
        metavar="PATH",
        help="a clone of lp-signing: build_label ancestry, and the LP: #N lines of the "
        "commits the payload brings (default: release.source in the configuration)",
    )
    add_gate_arguments(production)
    production.add_argument(
        "--file-bug",
        metavar="TITLE",
        help="file a bug on lp-signing about a run (the newest production run, or the one "
        "--resume names), with its journal excerpt and the 'deployment' tag; runs no step",
    )
    production.add_argument(
        "--dry-run",
        action="store_true",
        help="print every gate's result and every step exactly; change nothing (no commit, "
        "push, lock, announcement, remote command or bug change)",
    )
    production.add_argument(
        "--yes",
        action="store_true",
        help="answer yes to confirmations (a Deployable request made by hand, the "
        "announcement posted by hand, the publisher logs checked, breaking a lock)",
    )
    production.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="continue a stopped run ('last': the newest unfinished one), with its own options",
    )
    production.add_argument(
        "--break-lock",
        action="store_true",
        help="break a stale lock after showing who holds it (asks; --yes confirms)",
    )
    add_spec_argument(production)
    add_format(production, what="the journal's summary, or the dry run's steps; progress on "
               "standard error")  # fmt: skip
    production.set_defaults(handler=run_release_production)

    runs = add_command(
        subparsers,
        "runs",
        help="list the runs of releases, or show one",
        description="The journals of release runs, under $XDG_STATE_HOME/lpsigning-mojo/runs "
        "(~/.local/state/lpsigning-mojo/runs): 'runs' or 'runs list' lists them, newest "
        "first; 'runs show RUN_ID' shows one step by step ('last': the newest).",
        example=_RUNS_EXAMPLES,
    )
    add_format(runs, what="every run as 'runs show' gives it")
    runs.set_defaults(handler=run_runs, run=None)
    actions = runs.add_subparsers(title="actions", metavar="ACTION")
    listing = add_command(
        actions,
        "list",
        help="list the runs, newest first",
        description="List the runs whose journals are on this machine, newest first.",
        example=_RUNS_EXAMPLES[:2],
    )
    add_format(listing, default=argparse.SUPPRESS, what="every run as 'runs show' gives it")
    listing.set_defaults(handler=run_runs, run=None)
    show = add_command(
        actions,
        "show",
        help="show one run, step by step",
        description="Show one run step by step: each step's outcome and time, its options, "
        "who started it, and the sentence it stopped on.",
        example=_RUNS_EXAMPLES[2:],
    )
    show.add_argument("run", metavar="RUN_ID", help="a run id, or 'last' for the newest run")
    add_format(show, default=argparse.SUPPRESS, what="the journal's summary, step by step")
    show.set_defaults(handler=run_runs)


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    """``--override GATE --reason TEXT`` (repeatable), for the production release and trigger."""
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="GATE",
        help=f"proceed although GATE is blocked ({', '.join(GATE_NAMES)}); needs --reason, "
        "and is recorded with your name",
    )
    parser.add_argument(
        "--reason",
        action="append",
        default=[],
        metavar="TEXT",
        help="why the --override before it is right (one --reason per --override)",
    )


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    from lpsigning_mojo.errors import UsageError

    gates, reasons = list(args.override), list(args.reason)
    if len(gates) != len(reasons):
        raise UsageError(
            "each --override GATE needs its own --reason TEXT",
            hint="Write: --override soak --reason 'why it is safe'",
        )
    given: dict[str, str] = {}
    for gate, reason in zip(gates, reasons, strict=True):
        if gate == "lock":
            from lpsigning_mojo.release.production import refuse_lock_override

            refuse_lock_override({gate: reason})
        if gate not in GATE_NAMES:
            raise UsageError(
                f"--override {gate}: there is no gate called {gate!r}",
                hint=f"The gates: {', '.join(GATE_NAMES)}",
            )
        if not reason.strip():
            raise UsageError(f"--override {gate} needs a reason", hint="Say why with --reason TEXT")
        given[gate] = reason.strip()
    return given


def _source(given: str | None, config: Config) -> str | None:
    """``--source`` or ``release.source``, as an absolute path to a directory."""
    from lpsigning_mojo.errors import UsageError

    source = given if given is not None else config.get("release.source")
    if source is None:
        return None
    path = Path(source).expanduser()
    if not path.is_dir():
        where = "--source" if given is not None else f"release.source ({config.path})"
        raise UsageError(f"{where} {source}: no such directory")
    return str(path.resolve())


# -- release staging -----------------------------------------------------------------------------


def _options(args: argparse.Namespace, config: Config) -> StagingOptions:
    from lpsigning_mojo.errors import UsageError
    from lpsigning_mojo.release.staging import StagingOptions

    source = args.source
    if source is None and args.since is not None:
        source = config.get("release.source")
        if source is None:
            raise UsageError(
                "--since needs a clone of lp-signing to read the commits of",
                hint="Give --source PATH, or set release.source in the configuration",
            )
    if source is not None:
        path = Path(source).expanduser()
        if not path.is_dir():
            raise UsageError(f"--source {source}: no such directory")
        source = str(path.resolve())
    return StagingOptions(
        revision=args.revision,
        latest=args.latest,
        force=args.force,
        bugs=tuple(dict.fromkeys(args.bug)),
        source=source,
        since=args.since,
    )


def _resumed(args: argparse.Namespace, runs: RunStore) -> tuple[str, StagingOptions]:
    from lpsigning_mojo.errors import UsageError
    from lpsigning_mojo.release.staging import resumed_options

    run_id, options = resumed_options(runs, args.resume)
    given = {
        "--revision": args.revision is not None and args.revision != options.revision,
        "--latest": args.latest and not options.latest,
        "--force": args.force and not options.force,
        "--bug": bool(args.bug) and tuple(dict.fromkeys(args.bug)) != options.bugs,
        "--source": args.source is not None,
        "--since": args.since is not None and args.since != options.since,
    }
    other = [flag for flag, differs in given.items() if differs]
    if other:
        raise UsageError(
            f"run {run_id} continues with the options it started with, not {', '.join(other)}",
            hint="Leave them out to resume it, or start a new run (a stopped run keeps the "
            "lock: break your own with --break-lock)",
        )
    return run_id, options


def build_world(
    *,
    spec_directory: Path,
    instances: Instances,
    config: Config,
    runs: RunStore,
    yes: bool,
    out: TextIO,
    stack: contextlib.ExitStack,
    charmhub_url: str | None = None,
) -> ReleaseWorld:
    """The real World, for a person at a terminal: adapters closed when ``stack`` closes."""
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.release.world import Reach, ReleaseSpec, build_release_world
    from lpsigning_mojo.runbook import StreamReporter, TerminalPrompt

    return build_release_world(
        spec=ReleaseSpec.load(spec_directory, instances=instances),
        config=config,
        runs=runs,
        clock=SYSTEM_CLOCK,
        prompt=TerminalPrompt(yes=yes),
        reporter=StreamReporter(clock=SYSTEM_CLOCK, out=out),
        stack=stack,
        reach=Reach(charmhub_url=charmhub_url),
    )


def run_release_staging(args: argparse.Namespace) -> int:
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.commands._spec import spec_directory, spec_instances
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.config import Config
    from lpsigning_mojo.release.staging import release_staging
    from lpsigning_mojo.runbook import RunStore

    config = Config.load()
    for warning in config.warnings:
        print(f"lpsigning-mojo: warning: {warning}", file=sys.stderr)
    runs = RunStore(clock=SYSTEM_CLOCK)
    if args.resume is not None:
        run_id, options = _resumed(args, runs)
    else:
        run_id, options = None, _options(args, config)
    out = sys.stderr if args.format == "json" else sys.stdout
    with contextlib.ExitStack() as stack:
        world = build_world(
            spec_directory=spec_directory(args),
            instances=spec_instances(args),
            config=config,
            runs=runs,
            yes=args.yes,
            out=out,
            stack=stack,
            charmhub_url=args.charmhub_url,
        )
        report = release_staging(
            world, options, resume=run_id, dry_run=args.dry_run, break_lock=args.break_lock
        )
    if args.format == "json":
        print_json(report.to_json())
    return report.exit_code


# -- release production --------------------------------------------------------------------------


def _production_options(args: argparse.Namespace, config: Config) -> ProductionOptions:
    from lpsigning_mojo.release.production import ProductionOptions

    return ProductionOptions(build_label=args.build_label, source=_source(args.source, config))


def _resumed_production(args: argparse.Namespace, runs: RunStore) -> tuple[str, ProductionOptions]:
    from lpsigning_mojo.errors import UsageError
    from lpsigning_mojo.release.production import resumed_options

    run_id, options = resumed_options(runs, args.resume)
    other = [
        flag
        for flag, differs in (
            ("--build-label", args.build_label not in (None, options.build_label)),
            ("--source", args.source is not None),
        )
        if differs
    ]
    if other:
        raise UsageError(
            f"run {run_id} continues with the options it started with, not {', '.join(other)}",
            hint="Leave them out to resume it (--override may be given), or start a new run "
            "(a stopped run keeps the lock: break your own with --break-lock)",
        )
    return run_id, options


def run_release_production(args: argparse.Namespace) -> int:
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.commands._spec import spec_directory, spec_instances
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.config import Config
    from lpsigning_mojo.errors import UsageError
    from lpsigning_mojo.release.bugs import BugFiling
    from lpsigning_mojo.release.production import file_bug_about, release_production
    from lpsigning_mojo.runbook import RunStore

    config = Config.load()
    for warning in config.warnings:
        print(f"lpsigning-mojo: warning: {warning}", file=sys.stderr)
    runs = RunStore(clock=SYSTEM_CLOCK)
    given = _overrides(args)
    if args.file_bug is not None:
        other = [
            flag
            for flag, used in (
                ("--build-label", args.build_label is not None),
                ("--source", args.source is not None),
                ("--override", bool(given)),
                ("--break-lock", args.break_lock),
            )
            if used
        ]
        if other:
            raise UsageError(
                f"--file-bug files a bug about a run and runs no step, so {', '.join(other)} "
                "has no use with it",
                hint="Leave them out; pick the run with --resume RUN_ID (default: the newest)",
            )
    elif args.resume is not None:
        run_id, options = _resumed_production(args, runs)
    else:
        run_id, options = None, _production_options(args, config)
    out = sys.stderr if args.format == "json" else sys.stdout
    with contextlib.ExitStack() as stack:
        world = build_world(
            spec_directory=spec_directory(args),
            instances=spec_instances(args),
            config=config,
            runs=runs,
            yes=args.yes,
            out=out,
            stack=stack,
        )
        if args.file_bug is not None:
            url = file_bug_about(world, args.resume, args.file_bug, dry_run=args.dry_run)
            if args.format == "json":
                print_json(BugFiling(url=url, dry_run=args.dry_run).to_json())
            return 0
        report = release_production(
            world,
            options,
            resume=run_id,
            dry_run=args.dry_run,
            break_lock=args.break_lock,
            overrides=given,
        )
    if args.format == "json":
        print_json(report.to_json())
    return report.exit_code


def gate_trigger(args: argparse.Namespace, instance: Instance) -> list[str]:
    """What ``lpsigning-mojo upgrade INSTANCE`` checks before an upgrade of production.

    For an instance of a production stage: the promotion gates (with
    ``--override GATE --reason TEXT``), printed; a blocked one refuses
    (:class:`~lpsigning_mojo.errors.GatesBlockedError`); then a confirmation
    unless ``--yes``. Returns the lines to keep in the trigger's log (none for
    other instances). A dry run reads nothing: the lines say that the gates
    come first.
    """
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.commands._spec import spec_directory, spec_instances
    from lpsigning_mojo.config import Config
    from lpsigning_mojo.errors import DeclinedError, GatesBlockedError, UsageError
    from lpsigning_mojo.release.production import refuse_lock_override
    from lpsigning_mojo.release.promotion import trigger_gates
    from lpsigning_mojo.release.world import ReleaseSpec
    from lpsigning_mojo.runbook import RunStore

    given = _overrides(args)
    directory = spec_directory(args)
    spec = ReleaseSpec.load(directory, instances=spec_instances(args))
    if not spec.policy.production(instance.stage_name):
        if given:
            raise UsageError(
                f"--override applies to production's trigger; {instance.name} has no gates"
            )
        return []
    refuse_lock_override(given)
    if args.dry_run:
        return [
            f"gates:     first the promotion gates ({', '.join(GATE_NAMES)}, lock); a blocked "
            "one refuses",
            f"           (see them now: lpsigning-mojo release {instance.name} --dry-run)",
            "confirm:   asked first, unless --yes",
        ]
    config = Config.load()
    out = sys.stderr if getattr(args, "format", "text") == "json" else sys.stdout
    with contextlib.ExitStack() as stack:
        world = build_world(
            spec_directory=directory,
            instances=spec.instances,
            config=config,
            runs=RunStore(clock=SYSTEM_CLOCK),
            yes=args.yes,
            out=out,
            stack=stack,
        )
        report = trigger_gates(world, instance.name, given, source=_source(args.source, config))
        print("Promotion gates:", file=out)
        for line in report.lines():
            print(f"  {line}", file=out)
        if not report.ok:
            names = tuple(result.gate for result in report.blocked)
            raise GatesBlockedError(
                f"{len(names)} promotion gate(s) blocked: {', '.join(names)}; "
                f"{instance.name} was not upgraded",
                blocked=names,
                hint="Do what each says to unblock it, or proceed anyway with --override GATE "
                "--reason TEXT (your name goes in the trigger's log); a release "
                f"(lpsigning-mojo release {instance.name}) records it in its journal too",
            )
        trigger = " ".join(instance.triggers["upgrade"].argv)
        if not world.prompt.confirm(f"Run {trigger} on {instance.name} now?"):
            raise DeclinedError(f"{trigger} was not run", hint="Run it again once you are ready")
    return ["promotion gates:", *report.lines()]


# -- runs ------------------------------------------------------------------------------------------


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def _lines(summary: Any) -> Iterator[str]:
    yield from summary.lines()
    given = {key: value for key, value in summary.options.items() if value not in (None, False, [])}
    yield f"Options: {json.dumps(given, separators=(', ', ': '))}"
    yield f"Started: {_when(summary.started)} UTC by {summary.session}"
    if summary.error:
        yield f"Stopped: {summary.error}"
    for step in summary.steps:
        if step.error and step.error != summary.error:
            yield f"  {step.name}: {step.error}"


def run_runs(args: argparse.Namespace) -> int:
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.commands._table import print_json, print_table
    from lpsigning_mojo.errors import RunNotFoundError
    from lpsigning_mojo.runbook import RunStore
    from lpsigning_mojo.runbook.runs import RunListing, summarise

    runs = RunStore(clock=SYSTEM_CLOCK)
    if args.run is None:
        found = runs.runs()
        if args.format == "json":
            print_json(RunListing(directory=runs.directory, runs=tuple(found)).to_json())
            return 0
        if not found:
            print(f"No runs in {runs.directory}.")
            return 0
        rows = [("RUN", "RELEASE", "INSTANCE", "STATUS", "STARTED (UTC)", "STOPPED AT")]
        for run in found:
            rows.append(
                (
                    run.run_id,
                    run.plan,
                    run.instance or "-",
                    run.status,
                    _when(run.started),
                    run.stopped_at or "-",
                )
            )
        print_table(rows)
        return 0
    reference = args.run
    if reference == "last":
        newest = runs.runs()
        if not newest:
            raise RunNotFoundError(
                f"there are no runs in {runs.directory}",
                hint="Start one with lpsigning-mojo release",
            )
        reference = newest[0].run_id
    summary = summarise(runs.load(reference))
    if args.format == "json":
        print_json(summary.to_json())
        return 0
    for line in _lines(summary):
        print(line)
    return 0
