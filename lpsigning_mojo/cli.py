"""The ``lpsigning-mojo`` command line: argparse, and one error boundary.

Each subcommand lives in a module of :mod:`lpsigning_mojo.commands` that
defines ``register(subparsers)``; the parser it adds sets ``handler`` to a
function taking the parsed arguments and returning an exit status. The work
itself lives in the library, so scripts get the same result by calling it.
A module imports what building its parser needs; its handlers import the
rest. A command line whose command names its module (``log``, ``bundle``)
builds that module's parser alone; anything else builds them all.

Conventions every command gets from here: ``lpsigning-mojo help [COMMAND
[SUBCOMMAND]]``; a mistyped command or choice is answered with the closest
name (:func:`lpsigning_mojo.suggest.did_you_mean`); an unrecognised argument
prints the usage of the command it was given to; ``lpsigning-mojo
completion bash|zsh`` prints a completion script generated from the parser
(:mod:`lpsigning_mojo.commands._completion`). A command that runs another
command line (``exec``) says so with ``set_defaults(after_dashes=DEST)``:
everything after the first ``--`` then goes, word for word, to ``DEST``,
whatever stands before it (``exec staging --dry-run -- CMD``).

Exit statuses: 0 success; 1 a problem this tool explains
(:class:`~lpsigning_mojo.errors.LpsigningMojoError`, or findings); 2 a usage
error; 3 an unexpected failure (the traceback goes to a log file whose path
is printed); 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from lpsigning_mojo._boundary import guarded
from lpsigning_mojo._version import __version__
from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.suggest import did_you_mean

__all__ = ["COMMAND_MODULES", "Handler", "build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]

#: Modules that each add subcommands; imported when the parser is built.
#: Heavy libraries are imported inside the handlers, never here.
COMMAND_MODULES: tuple[str, ...] = (
    "lpsigning_mojo.commands.bundle",
    "lpsigning_mojo.commands.revisions",
    "lpsigning_mojo.commands.instances",
    "lpsigning_mojo.commands.status",
    "lpsigning_mojo.commands.lint",
    "lpsigning_mojo.commands.config",
    "lpsigning_mojo.commands.release",
    "lpsigning_mojo.commands.logs",
    "lpsigning_mojo.commands.spec",
    "lpsigning_mojo.commands.commitmsg",
    "lpsigning_mojo.commands.log",
    "lpsigning_mojo.commands.rehearse",
)

PROG = "lpsigning-mojo"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """argparse's check of a choice, with the closest name in the message.

        (A private hook of argparse's, the same from Python 3.10 to 3.13;
        ``tests/commands/test_cli_conventions.py`` checks it is still called.)
        """
        if action.choices is None or value in action.choices:
            return
        names = [str(choice) for choice in action.choices]
        suggestion = did_you_mean(str(value), names)
        if action.metavar == "COMMAND":
            root = self.prog.split()[0]
            raise argparse.ArgumentError(
                None,
                f"unknown command {value!r}{suggestion}; '{root} help' lists the commands",
            )
        raise argparse.ArgumentError(
            action, f"invalid choice: {value!r}{suggestion} (choose from {', '.join(names)})"
        )


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommands of ``parser`` by name (none for a leaf)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    children = _subcommands(parser)
    if not children:
        yield parser
    for child in dict.fromkeys(children.values()):
        yield from _leaves(child)


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every subcommand registered."""
    return _build(COMMAND_MODULES, conventions=True)


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for a command line: only its command's, when a module bears the command's name.

    ``lpsigning-mojo log ...`` then imports and builds ``log`` alone, not
    every command; anything else (no command, an option, ``help``,
    ``completion``, a command named otherwise than its module, a mistyped
    one) gets the full parser, with its listing and suggestions.
    """
    command = argv[0] if argv else ""
    own = [name for name in COMMAND_MODULES if name.rpartition(".")[2] == command]
    if own:
        parser = _build(own, conventions=False)
        if command in _subcommands(parser):
            return parser
    return build_parser()


def _build(modules: Sequence[str], *, conventions: bool) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Plan, check and perform deployments of lp-signing with Mojo and Juju. "
            "Run 'lpsigning-mojo help COMMAND' (or 'lpsigning-mojo COMMAND --help') "
            "for the details of a command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=_Parser, required=True
    )
    for name in modules:
        importlib.import_module(name).register(subparsers)
    if conventions:
        _register_completion(subparsers, parser)
        _register_help(subparsers, parser)
    for leaf in _leaves(parser):
        leaf.set_defaults(usage_parser=leaf)
    return parser


def _register_help(subparsers: Any, root: argparse.ArgumentParser) -> None:
    from lpsigning_mojo.commands._help import add_command

    parser = add_command(
        subparsers,
        "help",
        help="show the help of lpsigning-mojo, or of a command",
        description="Show the help of COMMAND (and SUBCOMMAND), or list the commands. It "
        "prints help for people, so it has no --format json.",
        example=[
            ("lpsigning-mojo help", "list the commands"),
            ("lpsigning-mojo help bundle set-revision", "the help of bundle set-revision"),
        ],
    )
    parser.add_argument(
        "command",
        metavar="COMMAND",
        nargs="?",
        choices=sorted(_subcommands(root)),
        help="the command, e.g. bundle",
    )
    parser.add_argument(
        "subcommand", metavar="SUBCOMMAND", nargs="?", help="its subcommand, e.g. set-revision"
    )
    parser.set_defaults(handler=lambda args: _help(root, args))


def _help(root: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    target = root
    for name in (args.command, args.subcommand):
        if name is None:
            break
        children = _subcommands(target)
        if not children:
            raise UsageError(
                f"'{target.prog}' has no subcommands", hint=f"run '{target.prog} --help'"
            )
        if name not in children:
            raise UsageError(
                f"'{target.prog}' has no command {name!r}{did_you_mean(name, children)}",
                hint=f"its commands are: {', '.join(children)}",
            )
        target = children[name]
    target.print_help()
    return 0


def _register_completion(subparsers: Any, root: argparse.ArgumentParser) -> None:
    from lpsigning_mojo.commands._completion import SHELLS
    from lpsigning_mojo.commands._help import add_command

    parser = add_command(
        subparsers,
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print the completion script for SHELL, generated from the commands and "
        "options of this version. Load it from your shell's startup file. The script is "
        "for the shell to read, so it has no --format json.",
        example=[
            ("source <(lpsigning-mojo completion bash)", "in ~/.bashrc"),
            ("source <(lpsigning-mojo completion zsh)", "in ~/.zshrc, after compinit"),
        ],
    )
    parser.add_argument("shell", metavar="SHELL", choices=SHELLS, help="bash or zsh")
    parser.set_defaults(handler=lambda args: _completion(root, args.shell))


def _completion(root: argparse.ArgumentParser, shell: str) -> int:
    from lpsigning_mojo.commands._completion import completion_script

    sys.stdout.write(completion_script(root, shell))
    return 0


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; the words after ``--`` go whole to a command that runs a command line."""
    args, extra = parser.parse_known_args(argv)
    dest = getattr(args, "after_dashes", None)
    if dest is not None and "--" in argv:
        cut = argv.index("--")
        args = parser.parse_args(argv[:cut])
        setattr(args, dest, [*getattr(args, dest), *argv[cut + 1 :]])
    elif extra:
        usage: argparse.ArgumentParser = getattr(args, "usage_parser", parser)
        where = "; put the command to run after '--'" if dest is not None else ""
        usage.error(f"unrecognized arguments: {' '.join(extra)}{where}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = _parse(_parser_for(words), words)
    handler: Handler = args.handler
    return guarded(PROG, lambda: handler(args))
