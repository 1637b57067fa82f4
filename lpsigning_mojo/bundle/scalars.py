"""Writing YAML scalars and keys so that they read back as the value meant."""

from __future__ import annotations

import json
from typing import Any

import yaml

from lpsigning_mojo.errors import LpsigningMojoError
from lpsigning_mojo.yamlnodes import load

__all__ = ["format_key", "format_scalar", "plain_ok"]


def plain_ok(text: str) -> bool:
    """Whether ``text`` written plain after ``key: `` reads back as the same string."""
    if not text or text != text.strip() or "\n" in text or "#" in text or ": " in text:
        return False
    if "{{" in text or "{%" in text or "{#" in text:
        return False
    try:
        return bool(load(f"k: {text}\n") == {"k": text})
    except (yaml.YAMLError, LpsigningMojoError):  # not YAML, or beyond the readers' limits
        return False


def format_key(key: str) -> str:
    """``key`` as a YAML mapping key: plain where that reads back the same."""
    return key if plain_ok(key) else format_scalar(key, "'")


def format_scalar(value: Any, style: str | None) -> str:
    """``value`` as a YAML scalar in ``style`` (None plain, ``'`` or ``"``).

    Strings that would read back as another type (``true``, ``0123``) or
    that plain style cannot hold are single-quoted; numbers and booleans are
    written plain whatever the style, since quoting would make them strings.
    Jinja2 would still read delimiters (``{{``) inside a quoted string, so
    callers refuse such values before they get here.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if style == '"':
        return json.dumps(text, ensure_ascii=False)
    if style is None and plain_ok(text):
        return text
    return "'" + text.replace("'", "''") + "'"
