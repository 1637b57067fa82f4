"""The help every command shares: its page (description, examples) and ``--format``.

:func:`add_command` adds a subcommand whose ``--help`` ends with examples, in
one layout for every command; :func:`add_format` adds ``--format`` with the
same words everywhere. ``tests/commands/test_help.py`` walks the parser and
fails for a command without an example, or an argument without help.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence
from typing import Any

__all__ = ["JSON_KEYS", "add_command", "add_format", "examples"]

#: Where each command's JSON keys are listed (a test checks the list against real output).
JSON_KEYS = "docs/reference/json.rst"

_WIDTH = 78

#: One example: the command line, then what it does (one sentence, or none).
Example = tuple[str, str]


def examples(items: Sequence[Example]) -> str:
    """The ``examples:`` section of an epilog: each command line (a long one continued
    with ``\\``, as a shell reads it), then what it does."""
    lines = ["examples:"]
    for command, what in items:
        lines.append("  " + " \\\n        ".join(_command_lines(command)))
        if what:
            lines.extend(
                textwrap.wrap(
                    what,
                    _WIDTH,
                    initial_indent=" " * 6,
                    subsequent_indent=" " * 6,
                    break_on_hyphens=False,
                )
            )
    return "\n".join(lines) + "\n"


def _words(command: str) -> list[str]:
    """The shell words of ``command``, as written (quotes and ``$(...)`` kept whole)."""
    words, word, quote, depth = [], "", "", 0
    for character in command:
        if character == " " and not quote and not depth:
            if word:
                words.append(word)
            word = ""
            continue
        word += character
        if quote:
            quote = "" if character == quote else quote
        elif character in "'\"":
            quote = character
        elif character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
    return [*words, word] if word else words


def _command_lines(command: str) -> list[str]:
    """``command`` in lines that fit the page, split between shell words only."""
    lines: list[str] = []
    for word in _words(command):
        if lines and len(lines[-1]) + 1 + len(word) <= _WIDTH - 12:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _paragraphs(text: str) -> str:
    """``text`` wrapped to the page, its paragraphs (blank-line separated) kept apart."""
    return "\n\n".join(textwrap.fill(" ".join(part.split()), _WIDTH) for part in text.split("\n\n"))


def add_command(
    subparsers: Any,
    name: str,
    *,
    help: str,
    description: str,
    example: Sequence[Example],
    after: str = "",
) -> argparse.ArgumentParser:
    """Add subcommand ``name``: its one-line ``help``, its ``description`` (wrapped), and an
    epilog of examples (then ``after``, as written: exit statuses, say)."""
    epilog = examples(example) + (f"\n{after.rstrip()}\n" if after else "")
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=_paragraphs(description),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def add_format(
    parser: argparse.ArgumentParser,
    *others: str,
    default: Any = "text",
    what: str = "",
) -> None:
    """``--format text|json`` (and ``others``), worded alike for every command.

    ``what`` says what the JSON holds, when it is not plain from the command.
    """
    choices = ("text", "json", *others)
    more = "".join(f", {other}" for other in others)
    parser.add_argument(
        "--format",
        choices=choices,
        default=default,
        help=f"text for people (default){more}, or json for scripts"
        + (f" ({what})" if what else "")
        + f"; its keys are listed in {JSON_KEYS}",
    )
