"""``lpsigning-mojo release`` and ``runs``: the releases, and the journals of their runs.

``release staging`` builds the real World (:class:`~lpsigning_mojo.release.world.ReleaseWorld`:
git in the spec repository, Charmhub, SSH to the management environments,
the health probe, juju through the role account, Launchpad, the run store)
from its arguments and the user's configuration, and hands it to
:func:`lpsigning_mojo.release.staging.release_staging`. ``runs`` lists and
shows the journals. Exit statuses come from the engine's report (the error
classes' ``exit_code``), never from numbers written here.
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

from lpsigning_mojo.commands._spec import add_spec_argument

if TYPE_CHECKING:
    from lpsigning_mojo.config import Config
    from lpsigning_mojo.instances import Instances
    from lpsigning_mojo.release.staging import StagingOptions
    from lpsigning_mojo.release.world import ReleaseWorld
    from lpsigning_mojo.runbook import RunStore

__all__ = ["build_world", "register", "run_release_staging", "run_runs"]


def _exit_statuses() -> str:
    from lpsigning_mojo.errors import (
        CommandInterruptedError,
        CommandTimeoutError,
        LpsigningMojoError,
        OutcomeUnknown,
        UsageError,
    )

    rows = [
        (0, "the release is done (or the dry run printed every step)"),
        (LpsigningMojoError.exit_code, "a step failed: the sentence says why; resume once fixed"),
        (UsageError.exit_code, "the command line is wrong"),
        (OutcomeUnknown.exit_code, "the connection was lost while upgrade-staging ran: resume"),
        (CommandTimeoutError.exit_code, "upgrade-staging ran past its timeout"),
        (CommandInterruptedError.exit_code, "interrupted with Ctrl-C: resume"),
    ]
    return "\n".join(f"  {code:<4} {text}" for code, text in rows)


EXAMPLES = """\
examples:
  lpsigning-mojo release staging --latest --dry-run
      show every step (the diff, the commit message, the push, the remote
      command, the checks) of pinning the latest revision; change nothing
  lpsigning-mojo release staging --revision 89 --bug 2034567
      pin revision 89 (Charmhub must hold it) and name a bug it fixes
  lpsigning-mojo release staging --latest --source ~/src/lp-signing --since 1f3c9a2
      also name the bugs in the LP: #N lines of lp-signing's commits since 1f3c9a2
  lpsigning-mojo release staging --resume last
      continue the newest unfinished staging release where it stopped
  lpsigning-mojo runs show last
      show what the newest run did, step by step
"""


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
    staging.add_argument("--format", choices=("text", "json"), default="text")
    staging.set_defaults(handler=run_release_staging)

    runs = subparsers.add_parser(
        "runs",
        help="list the runs of releases, or show one",
        description="The journals of release runs, under $XDG_STATE_HOME/lpsigning-mojo/runs "
        "(~/.local/state/lpsigning-mojo/runs): 'runs' or 'runs list' lists them, newest "
        "first; 'runs show RUN_ID' shows one step by step ('last': the newest).",
    )
    runs.add_argument("--format", choices=("text", "json"), default="text")
    runs.set_defaults(handler=run_runs, run=None)
    actions = runs.add_subparsers(title="actions", metavar="ACTION")
    listing = actions.add_parser("list", help="list the runs, newest first")
    listing.add_argument("--format", choices=("text", "json"), default=argparse.SUPPRESS)
    listing.set_defaults(handler=run_runs, run=None)
    show = actions.add_parser("show", help="show one run, step by step")
    show.add_argument("run", metavar="RUN_ID", help="a run id, or 'last' for the newest run")
    show.add_argument("--format", choices=("text", "json"), default=argparse.SUPPRESS)
    show.set_defaults(handler=run_runs)


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
    """The real World: adapters to the real systems, closed when ``stack`` closes."""
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.external.charmhub import CharmhubClient
    from lpsigning_mojo.external.git import GitCli
    from lpsigning_mojo.external.juju import JujuCli
    from lpsigning_mojo.external.launchpad import LaunchpadClient
    from lpsigning_mojo.external.probe import ServiceKeyProbe
    from lpsigning_mojo.external.ssh import SSHRunner
    from lpsigning_mojo.instances import Instance, ManagementEnvironment
    from lpsigning_mojo.release.world import ReleaseSpec, ReleaseWorld, Runners
    from lpsigning_mojo.remote import RoleAccountRunner
    from lpsigning_mojo.runbook import StreamReporter, TerminalPrompt

    def connect(environment: ManagementEnvironment) -> SSHRunner:
        return SSHRunner(environment.ssh_destination, user=environment.login_user)

    runners = stack.enter_context(Runners(connect))
    launchpad = LaunchpadClient(
        config.get("launchpad.service-root"), credentials_file=config.get("launchpad.credentials")
    )
    stack.callback(launchpad.close)

    def juju(instance: Instance) -> JujuCli:
        environment = instances.environment_of(instance)
        runner = RoleAccountRunner(runners(environment), environment.command_line)
        return JujuCli(model=instance.juju_model, runner=runner)

    return ReleaseWorld(
        clock=SYSTEM_CLOCK,
        prompt=TerminalPrompt(yes=yes),
        reporter=StreamReporter(clock=SYSTEM_CLOCK, out=out),
        spec=ReleaseSpec.load(spec_directory, instances=instances),
        git=GitCli(spec_directory),
        runners=runners,
        charmhub=CharmhubClient(charmhub_url),
        probe=ServiceKeyProbe(),
        runs=runs,
        config=config,
        open_source=GitCli,
        juju=juju,
        launchpad=launchpad,
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
    from lpsigning_mojo.runbook.runs import summarise

    runs = RunStore(clock=SYSTEM_CLOCK)
    if args.run is None:
        found = runs.runs()
        if args.format == "json":
            print_json([run.to_json() for run in found])
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
