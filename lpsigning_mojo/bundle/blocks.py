"""Find one application's block in rendered bundle text, without parsing it all.

A bundle of thousands of applications takes libyaml a quarter of a second
to compose; an edit needs only the application it changes. In a bundle of
one YAML document whose ``applications`` is a block mapping, an
application's block runs from its key line to the next line indented no
deeper than that key (comments and blank lines aside), by YAML's own
indentation rules. When the text is not of that shape (overlays, flow
style, the key written twice), :func:`app_block` answers ``None`` and
callers parse the whole text instead.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["Block", "app_block"]

# Patterns start with a literal newline, which the regex engine scans for
# quickly; the text searched is always preceded by a newline (see below).
_DOCUMENT_MARKER = re.compile(r"\n(?:---|\.\.\.)(?:[ \t]|$)", re.MULTILINE)
_APPLICATIONS = re.compile(r"\napplications[ \t]*:[ \t]*(?:#[^\n]*)?(?=\n|$)")
_TOP_LEVEL = re.compile(r"\n[^\s#]")
_FIRST_CHILD = re.compile(r"\n( +)[^\s#]")


@attrs.frozen(kw_only=True)
class Block:
    """Characters ``start`` to ``end`` of the text; ``line`` is the 0-based first line."""

    start: int
    end: int
    line: int

    def snippet(self, text: str) -> str:
        """The block as a bundle of its own (an ``applications`` mapping)."""
        return "applications:\n" + text[self.start : self.end]


def app_block(text: str, app: str) -> Block | None:
    """Where ``app``'s block is in ``text``, or ``None`` if that is not plain to see."""
    text = "\n" + text  # so that every line, the first too, follows a newline
    if _DOCUMENT_MARKER.search(text):
        return None
    headers = list(_APPLICATIONS.finditer(text))
    if len(headers) != 1:
        return None
    start = headers[0].end()
    following = _TOP_LEVEL.search(text, start)
    section_end = following.start() if following else len(text)
    first = _FIRST_CHILD.search(text, start, section_end)
    if first is None:
        return None
    indent = first.group(1)
    name = re.escape(app)
    key = re.compile(rf"\n{indent}(?:{name}|'{name}'|\"{name}\")[ \t]*:(?=[ \t\n]|$)")
    matches = list(key.finditer(text, start, section_end))
    if len(matches) != 1:
        return None
    sibling = re.compile(rf"\n {{0,{len(indent)}}}[^\s#]")
    after = sibling.search(text, matches[0].end(), section_end)
    end = after.start() if after else section_end
    begin = matches[0].start()
    # A match starts at the newline before its line: in the text as given,
    # that position is where the line starts, and ``end`` keeps the block's
    # last newline.
    return Block(start=begin, end=end, line=text.count("\n", 0, begin))
