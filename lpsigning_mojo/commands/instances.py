"""``lpsigning-mojo instances``, ``upgrade`` and ``exec``: the instances and their triggers."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._spec import add_spec_argument, spec_instances
from lpsigning_mojo.errors import (
    ExitStatus,
    LpsigningMojoError,
    RemoteCommandError,
    RemoteCommandFailed,
    RemoteCommandKilled,
    UsageError,
)

if TYPE_CHECKING:
    from lpsigning_mojo.external.ssh import SSHRunner
    from lpsigning_mojo.remote import CommandRunner, OutputLine, RunResult
    from lpsigning_mojo.triggers import RemoteCommand

__all__ = ["register", "run_exec", "run_instances", "run_upgrade"]

INSTANCE_HELP = "an instance's name or alias, e.g. staging or dogfood"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _limits(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"give up after this long in all, connecting included ({what})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"give up after this long without output ({what})",
    )
    parser.add_argument(
        "--remote-status",
        action="store_true",
        help="exit with the remote command's own status, as ssh does (128+N when signal N "
        "ended it); every failure of this tool then exits 255",
    )


def register(subparsers: Any) -> None:
    """Add ``instances``, ``upgrade`` and ``exec``."""
    parser = add_command(
        subparsers,
        "instances",
        help="list the instances and their management environments",
        description="List the instances of lp-signing, as instances.yaml describes them: "
        "stage, URL, management environment, juju access and triggers.",
        example=[
            ("lpsigning-mojo instances", "every instance and how it is reached"),
            (
                "lpsigning-mojo instances --format json",
                "every field of instances.yaml, for a script",
            ),
        ],
    )
    add_format(parser, what="every field of instances.yaml")
    add_spec_argument(parser)
    parser.set_defaults(handler=run_instances)

    parser = add_command(
        subparsers,
        "upgrade",
        help="run an instance's upgrade trigger (upgrade-staging, upgrade-production)",
        description="Run the upgrade trigger of INSTANCE as the role account it runs from, "
        "show its progress and save its output to a log file. Exit status: 0 it succeeded; "
        "5 it failed; 6 a signal ended it; 4 the connection was lost, so the outcome is "
        "unknown; 124 timed out; 1 nothing ran (see docs/reference/cli.rst).",
        example=[
            (
                "lpsigning-mojo upgrade staging --dry-run",
                "the account, the SSH route and the exact command line; run nothing",
            ),
            ("lpsigning-mojo upgrade dogfood", "run upgrade-staging, showing its progress"),
            (
                "lpsigning-mojo upgrade staging --format json > upgrade.json",
                "run it; the outcome, exit status, elapsed time and log file as JSON "
                "(progress on standard error)",
            ),
        ],
    )
    parser.add_argument("instance", metavar="INSTANCE", help=INSTANCE_HELP)
    parser.add_argument("--dry-run", action="store_true", help="say what would run; run nothing")
    _limits(parser, "default: from instances.yaml")
    add_format(parser, what="the command, its outcome, exit status, elapsed time and log file")
    add_spec_argument(parser)
    _production_arguments(parser)
    parser.set_defaults(handler=run_upgrade)

    parser = add_command(
        subparsers,
        "exec",
        help="run a command as an instance's role account (not for production)",
        description="Run COMMAND as the role account of INSTANCE's management environment. "
        "Refused where developers have no direct access, such as production. Exit status: "
        "0 it succeeded; 5 it failed (its status is said); 6 a signal ended it; 4 the "
        "connection was lost; 124 timed out; 1 nothing ran. With --remote-status, the "
        "command's own status instead, and 255 for any failure of this tool.",
        example=[
            (
                "lpsigning-mojo exec staging -- juju status lp-signing",
                "juju status, as the staging role account",
            ),
            (
                "lpsigning-mojo exec staging --dry-run -- juju status lp-signing",
                "what would run, where and as whom; run nothing",
            ),
            (
                "lpsigning-mojo exec --format json staging -- juju status",
                "the outcome as JSON; the command's output goes to standard error",
            ),
        ],
    )
    parser.add_argument("instance", metavar="INSTANCE", help=INSTANCE_HELP)
    parser.add_argument(
        "command",
        metavar="-- COMMAND",
        nargs="*",
        help="the command and its arguments, after '--', word for word",
    )
    parser.add_argument("--pty", action="store_true", help="run it on a terminal")
    parser.add_argument("--dry-run", action="store_true", help="say what would run; run nothing")
    _limits(parser, "default: none")
    add_format(
        parser,
        what="the command, its outcome, exit status and elapsed time; its output then goes "
        "to standard error",
    )
    add_spec_argument(parser)
    # Everything after the first "--" is the command, word for word (lpsigning_mojo.cli).
    parser.set_defaults(handler=run_exec, after_dashes="command")


def run_instances(args: argparse.Namespace) -> int:
    from lpsigning_mojo.commands._table import print_json

    instances = spec_instances(args)
    if args.format == "json":
        print_json(instances.to_json())
        return 0
    for instance in instances:
        env = instances.environment_of(instance)
        aliases = f" (also called {', '.join(instance.aliases)})" if instance.aliases else ""
        print(f"{instance.name}{aliases}")
        access = "" if env.developer_access else f" ({env.managed_by or 'others'} only)"
        juju = "direct access" if instance.juju_access else "no direct access"
        rows = [
            ("stage", instance.mojo_stage),
            ("url", f"{instance.url or 'not public'} (health: {instance.health_endpoint})"),
            ("managed from", env.account + access),
            ("juju", f"model {instance.juju_model or 'unknown'}; {juju}"),
        ]
        for name, trigger in instance.triggers.items():
            account = instances.environments[trigger.run_from].account
            rows.append((f"trigger {name}", f"{' '.join(trigger.argv)}, run as {account}"))
        for key, value in rows:
            print(f"  {key + ':':<18}{value}")
    return 0


@contextlib.contextmanager
def _connected(plan: RemoteCommand) -> Iterator[tuple[SSHRunner, RemoteCommand]]:
    """An SSH runner for the plan's environment, connected (so failures show first), then closed.

    Connecting counts against the plan's timeout: the plan given back has
    what is left of it.
    """
    import attrs

    from lpsigning_mojo.external.ssh import SSHRunner

    runner = SSHRunner(plan.environment.ssh_destination, user=plan.environment.login_user)
    try:
        start = runner.clock.monotonic()
        runner.connect(timeout=plan.timeout)
        if plan.timeout is not None:
            left = plan.timeout - (runner.clock.monotonic() - start)
            plan = attrs.evolve(plan, timeout=max(left, 0.001))
        yield runner, plan
    finally:
        runner.close()


def _route(plan: RemoteCommand) -> str:
    from lpsigning_mojo.external.ssh_config import resolve

    return resolve(plan.environment.ssh_destination, user=plan.environment.login_user).describe()


def _dry_run(
    args: argparse.Namespace, plan: RemoteCommand, what: str, notes: Sequence[str] = ()
) -> int:
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.triggers import RemoteRun

    route = _route(plan)
    if args.format == "json":
        shown = RemoteRun(command=plan, dry_run=True, route=route, gates=tuple(notes))
        print_json(shown.to_json())
        return 0
    print(f"Would run {what}:")
    for line in [*plan.describe(), f"route:     {route}", *notes]:
        print(f"  {line}")
    print("Nothing was run (--dry-run).")
    return 0


def _remote_status(result: RunResult) -> int:
    """The status ``ssh`` would exit with: the command's, or 128+N when signal N ended it."""
    if result.exit_status is not None:
        return result.exit_status
    try:
        return 128 + signal.Signals[f"SIG{result.signal}"].value
    except KeyError:  # no signal named, or one this system does not know
        return ExitStatus.NO_REMOTE_STATUS


def _failure(result: RunResult, message: str, hint: str | None = None) -> RemoteCommandFailed:
    """The error for a command that ran and failed: exit 5, or 6 when a signal ended it."""
    kind = RemoteCommandFailed if result.exit_status is not None else RemoteCommandKilled
    return kind(
        message,
        command=result.command,
        exit_status=result.exit_status,
        signal=result.signal,
        tail=result.tail(),
        elapsed=result.elapsed,
        host=result.host,
        hint=hint,
    )


def _bounded(args: argparse.Namespace, call: Callable[[], int]) -> int:
    """``call()``; with ``--remote-status`` every failure of the tool's own exits 255."""
    from lpsigning_mojo._boundary import guarded

    if not args.remote_status:
        return call()
    return guarded("lpsigning-mojo", call, failure=ExitStatus.NO_REMOTE_STATUS)


def run_upgrade(args: argparse.Namespace) -> int:
    from lpsigning_mojo.triggers import upgrade_command

    plan = upgrade_command(
        spec_instances(args), args.instance, timeout=args.timeout, idle_timeout=args.idle_timeout
    )
    header = _production_gates(args, plan)
    if args.dry_run:
        return _dry_run(args, plan, f"the upgrade trigger of {plan.instance.name}", header)

    def run() -> int:
        with _connected(plan) as (runner, bounded):
            return _run_logged(
                bounded,
                runner,
                mirror=args.remote_status,
                header=header,
                as_json=args.format == "json",
                shown=plan,
            )

    return _bounded(args, run)


# -- production's trigger: the promotion gates first (lpsigning_mojo.commands.release) ---------


def _production_arguments(parser: argparse.ArgumentParser) -> None:
    from lpsigning_mojo.commands.release import add_gate_arguments

    add_gate_arguments(parser)
    parser.add_argument(
        "--source", metavar="PATH", help="production only: a clone of lp-signing, for the gates"
    )
    parser.add_argument("--yes", action="store_true", help="production only: do not ask first")


def _production_gates(args: argparse.Namespace, plan: RemoteCommand) -> list[str]:
    """For production: the promotion gates, then a confirmation; lines for the log (or dry run)."""
    from lpsigning_mojo.commands.release import gate_trigger

    return gate_trigger(args, plan.instance)


def _run_logged(
    plan: RemoteCommand,
    runner: CommandRunner,
    *,
    mirror: bool = False,
    header: Sequence[str] = (),
    as_json: bool = False,
    shown: RemoteCommand | None = None,
) -> int:
    """Run ``plan`` showing progress, with its full output (after ``header``) in a new log file.

    With ``as_json`` the progress goes to standard error and what it came to
    (:class:`~lpsigning_mojo.triggers.RemoteRun`, of ``shown``: the plan before
    connecting took its share of the timeout) to standard output.
    """
    from lpsigning_mojo.clock import SYSTEM_CLOCK
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.runbook.progress import Progress, elapsed, open_log
    from lpsigning_mojo.triggers import RemoteRun
    from lpsigning_mojo.untrusted import printable

    path, log = open_log(f"{plan.name}-{plan.instance.name}")
    out = sys.stderr if as_json else sys.stdout
    tty = out.isatty()

    def report(**ended: Any) -> None:
        if as_json:
            run = RemoteRun(command=shown or plan, log=str(path), gates=tuple(header), **ended)
            print_json(run.to_json())

    with log:
        log.writelines(f"# {line}\n" for line in header)
        log.write(f"# {plan.command_line}\n# as {plan.environment.account}\n")
        print(f"Running {plan.name} as {plan.environment.account}; full output in {path}", file=out)
        progress = Progress(plan.name, out=out, tty=tty, clock=SYSTEM_CLOCK)

        def on_line(line: OutputLine) -> None:
            log.write(line.text + "\n")
            log.flush()
            progress.line(line)

        try:
            result = plan.run(runner, on_line=on_line)
        except LpsigningMojoError as error:
            progress.close()
            log.write(f"# {error}\n")
            print(f"The output so far is in {path}", file=out)
            if isinstance(error, RemoteCommandError):
                report(error=error)
            raise
        finally:
            progress.close()
        how = result.describe_end()
        log.write(f"# {how} after {result.elapsed:.1f} s\n")
    report(result=result)
    took = elapsed(result.elapsed)
    if result.ok:
        print(f"{plan.name} succeeded after {took}. Full output: {path}", file=out)
        return 0
    if tty:
        print(
            "Last lines of output:",
            *(f"  {printable(text)}" for text in result.tail()),
            sep="\n",
            file=out,
        )
    failure = _failure(
        result, f"{plan.name} failed after {took}: it {how}", hint=f"Its full output is in {path}"
    )
    if mirror:
        print(f"lpsigning-mojo: {printable(str(failure))}", file=sys.stderr)
        return _remote_status(result)
    raise failure


def run_exec(args: argparse.Namespace) -> int:
    from lpsigning_mojo.commands._table import print_json
    from lpsigning_mojo.triggers import RemoteRun, exec_command
    from lpsigning_mojo.untrusted import printable

    argv = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not argv or argv[0].startswith("-"):
        # argparse passes on what follows INSTANCE untouched: never run an option as a command.
        raise UsageError(
            f"{argv[0]!r} is not a command" if argv else "no command given to run",
            hint=f"Write: lpsigning-mojo exec [OPTIONS] {args.instance} -- COMMAND [ARGS]",
        )
    plan = exec_command(
        spec_instances(args),
        args.instance,
        argv,
        pty=args.pty,
        timeout=args.timeout,
        idle_timeout=args.idle_timeout,
    )
    if args.dry_run:
        return _dry_run(args, plan, f"a command for {plan.instance.name}")
    as_json = args.format == "json"

    def on_line(line: OutputLine) -> None:
        # The remote's output, passed on with control characters shown escaped
        # (all of it on standard error when standard output holds the JSON).
        out = sys.stdout if line.stream == "stdout" and not as_json else sys.stderr
        print(printable(line.text), file=out, flush=True)

    def run() -> int:
        with _connected(plan) as (runner, bounded):
            try:
                result = bounded.run(runner, on_line=on_line)
            except RemoteCommandError as error:
                if as_json:
                    print_json(RemoteRun(command=plan, error=error).to_json())
                raise
        if as_json:
            print_json(RemoteRun(command=plan, result=result).to_json())
        if args.remote_status:
            if result.exit_status is None:  # say which signal: the status alone cannot
                ended = f"{result.command!r} on {result.host} {result.describe_end()}."
                print(f"lpsigning-mojo: {printable(ended)}", file=sys.stderr)
            return _remote_status(result)
        result.check()
        return 0

    return _bounded(args, run)
