"""Numbers written by people (and by remote programs): ASCII digits only.

Python's ``int()`` and ``float()`` accept far more than a person means to
type: digits of every script (``int("٣") == 3``), underscores
(``int("1_000") == 1000``), surrounding whitespace, and for floats ``nan``
and ``inf``; ``str.isdigit()`` is true for ``"²"``, which ``int()`` then
refuses. Every revision, count, port or option value read from a command
line, a configuration file or another program's output goes through here,
so ``٣``, ``1_000`` and ``²`` are refused everywhere alike.
"""

from __future__ import annotations

import re

__all__ = ["decimal_number", "integer", "whole_number"]

#: More digits than any count needs, and fewer than ``int()`` refuses (4300).
_DIGITS = 1000
_WHOLE = re.compile(rf"[0-9]{{1,{_DIGITS}}}")
_INTEGER = re.compile(rf"[-+]?[0-9]{{1,{_DIGITS}}}")
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def whole_number(text: str) -> int | None:
    """The value of ``text`` when it is ASCII digits only (``0`` to ``9``), else ``None``.

    At most 1000 digits: no revision, count or port needs more.
    """
    return int(text) if _WHOLE.fullmatch(text) else None


def integer(text: str) -> int | None:
    """The value of ``text`` when it is ASCII digits after an optional sign, else ``None``."""
    return int(text) if _INTEGER.fullmatch(text) else None


def decimal_number(text: str) -> float | None:
    """The value of ``text`` when it is a finite decimal number in ASCII
    (``1.5``, ``-2``, ``1e3``), else ``None``."""
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else None
