"""The ``lpsigning-mojo`` command line: argparse, and one error boundary.

Each subcommand lives in a module of :mod:`lpsigning_mojo.commands` that
defines ``register(subparsers)``; the parser it adds sets ``handler`` to a
function taking the parsed arguments and returning an exit status. The work
itself lives in the library, so scripts get the same result by calling it.

Exit statuses: 0 success; 1 a problem this tool explains
(:class:`~lpsigning_mojo.errors.LpsigningMojoError`, or findings); 2 a usage
error; 3 an unexpected failure (the traceback goes to a log file whose path
is printed); 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from lpsigning_mojo._boundary import guarded
from lpsigning_mojo._version import __version__

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
    "lpsigning_mojo.commands.spec",
    "lpsigning_mojo.commands.commitmsg",
    "lpsigning_mojo.commands.log",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every subcommand registered."""
    parser = _Parser(
        prog="lpsigning-mojo",
        description=(
            "Plan, check and perform deployments of lp-signing with Mojo and Juju. "
            "Run 'lpsigning-mojo COMMAND --help' for the details of a command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=_Parser, required=True
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return guarded("lpsigning-mojo", lambda: handler(args))
