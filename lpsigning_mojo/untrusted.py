"""Data and text from outside systems, made safe to read and to show.

Whatever another system sends (Charmhub's answers, ``juju status`` over SSH,
a remote command's output, a lock's owner record) is read and shown through
this module:

- :func:`loads_json` decodes JSON with bounded nesting, so a hostile or
  broken answer nested thousands deep is one clear error instead of a
  ``RecursionError`` here or in any code that walks the value later.
- :func:`printable` makes text safe to print on a terminal: control
  characters (the escape sequences that move the cursor, change colours,
  set the window title or rewrite the line) and bidirectional overrides are
  shown as visible escapes (``\\x1b``, ``\\u202e``) instead of acting.

Pure and light: the standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

__all__ = ["MAX_JSON_DEPTH", "loads_json", "printable"]

#: How deeply outside JSON may nest (objects and arrays). Charmhub's answers
#: and ``juju status`` nest fewer than 10 levels.
MAX_JSON_DEPTH = 100

# C0 controls but tab, DEL and C1 controls; the bidirectional embeddings,
# overrides and isolates (which reorder what a reader sees).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_NO_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``), tab kept.

    With ``newlines``, line breaks are kept too (for a message of several
    lines); otherwise they are escaped, so one value stays on one line.
    """
    pattern = _UNSAFE_NO_NEWLINE if newlines else _UNSAFE
    return pattern.sub(_escape, text)


def loads_json(
    text: str | bytes,
    *,
    error: Callable[[str], Exception],
    max_depth: int = MAX_JSON_DEPTH,
) -> object:
    """Decode JSON from outside; raise ``error(problem)`` if it is not usable.

    ``problem`` is the end of a sentence, such as ``"JSON nested more than 100
    levels deep"`` or ``"a body that is not JSON: b'<html>'"``; ``error``
    builds the caller's error from it (each adapter has its own family).
    Bytes must be UTF-8.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise error(f"JSON nested more than {max_depth} levels deep") from None
    except (UnicodeDecodeError, ValueError):
        raise error(f"something that is not JSON: {text[:80]!r}") from None
    if _depth_exceeds(data, max_depth):
        raise error(f"JSON nested more than {max_depth} levels deep")
    return data


def _depth_exceeds(data: object, limit: int) -> bool:
    """Whether ``data`` nests lists and dicts deeper than ``limit``; no recursion."""
    todo: list[tuple[object, int]] = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        todo.extend((child, depth + 1) for child in children)
    return False
