"""``lpsigning-mojo check-commit-msg FILE``, and the ``check-commit-msg`` pre-commit hook.

The format and its checks are :func:`lpsigning_mojo.commits.check_message`
(the one ``LP: #N`` parser that the change log and the release steps use);
here they are reported like a linter, ``FILE:LINE:COL: message (code)``,
exit 1 when there is any. The hook runs :func:`main` through ``python -m
lpsigning_mojo.commands.commitmsg``, so a commit pays only for this module
and :mod:`lpsigning_mojo.commits`, not for the whole command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.commands._help import add_command, add_format

if TYPE_CHECKING:
    from lpsigning_mojo.commits import MessageCheck

__all__ = ["check", "check_file", "main", "register"]

_DESCRIPTION = (
    "Check a commit message of the spec against its format: a summary line of at most 72 "
    "characters, a blank line after it, and well-formed 'LP: #N[, #M]' bug lines. FILE is the "
    "message file git gives a commit-msg hook (lines starting with the comment character, and "
    "everything below git's scissors line, are ignored). Problems print as "
    "'FILE:LINE:COL: message (code)'; exit 1 when there is any."
)
_FORMAT = (
    "the format is a summary line of at most 72 characters, a blank line, the body, "
    "then 'LP: #N' lines"
)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the commit message file")
    parser.add_argument(
        "--comment-char",
        default="#",
        metavar="CHAR",
        help="git's comment character (core.commentChar; default: #); "
        "an empty value keeps every line",
    )
    add_format(parser, what="the problems, each with its line, column and code")


def register(subparsers: Any) -> None:
    """Add ``check-commit-msg`` to the ``lpsigning-mojo`` command line."""
    parser = add_command(
        subparsers,
        "check-commit-msg",
        help="check a commit message's format",
        description=_DESCRIPTION,
        example=[
            (
                "lpsigning-mojo check-commit-msg .git/COMMIT_EDITMSG",
                "check the message of the commit being written",
            ),
            (
                "git log -1 --format=%B > msg && lpsigning-mojo check-commit-msg msg --format json",
                "check the last commit's message, for a script",
            ),
        ],
    )
    _add_arguments(parser)
    parser.set_defaults(handler=_run)


def check(path: str, *, comment_char: str | None = "#") -> MessageCheck:
    """The problems of the message in ``path`` (:func:`lpsigning_mojo.commits.check_message`)."""
    from lpsigning_mojo.commits import MessageCheck, check_message
    from lpsigning_mojo.files import read_text

    text = read_text(path)
    problems = check_message(text, comment_char=comment_char or None)
    return MessageCheck(path=path, problems=problems)


def check_file(path: str, *, comment_char: str | None = "#") -> list[str]:
    """The problems of the message in ``path``, one ``FILE:LINE:COL: message (code)`` each."""
    return check(path, comment_char=comment_char).lines()


def _run(args: argparse.Namespace) -> int:
    checked = check(args.file, comment_char=args.comment_char)
    if args.format == "json":
        from lpsigning_mojo.commands._table import print_json

        print_json(checked.to_json())
    else:
        for line in checked.lines():
            print(line)
    if checked.problems:
        count = len(checked.problems)
        counted = f"{count} problem{'s' if count != 1 else ''}"
        print(f"check-commit-msg: {counted} in {args.file}; {_FORMAT}.", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The hook's entry point: ``python -m lpsigning_mojo.commands.commitmsg FILE``."""
    from lpsigning_mojo._boundary import guarded

    parser = argparse.ArgumentParser(prog="check-commit-msg", description=_DESCRIPTION)
    _add_arguments(parser)
    args = parser.parse_args(argv)
    return guarded("check-commit-msg", lambda: _run(args))


if __name__ == "__main__":
    sys.exit(main())
