"""Commit messages of the spec: one format, and the one parser of Launchpad bug references.

The spec's history is the change log of every deployment, so its commit
messages follow one format that tools read back::

    Upgrade lp-signing charm to revision 90 on staging

    staging: lp-signing revision 89 -> 90

    LP: #2034567, #2034568
    Gate-Override: staging-health by alice at 2026-01-01T00:00:00Z: probe flaky

- a **summary** line of at most :data:`SUMMARY_LIMIT` (72) characters;
- a **blank line**, then a free-text **body**;
- a last paragraph of **trailers**: ``LP: #N[, #M]`` lines naming the
  Launchpad bugs the change fixes, and ``Key: value`` lines such as a gate
  override record or the release run that made the commit
  (:data:`RUN_TRAILER`).

:func:`bug_references` is the only reader of bug references: the release
steps, the change log and the ``commit-msg`` hook all call it. Like
Launchpad (and Debian's changelogs) it matches ``LP:`` in any case, then
white space, then ``#N``, then any number of ``, #M``; unlike them it stays
within one line, ignores ``LP:`` inside a word (``HELP: #1``), and takes ASCII
digits only, ending at a word boundary (``LP: #12abc`` names no bug).

This module is pure (no I/O) and light, so the hook can import it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from lpsigning_mojo.errors import CommitMessageError

__all__ = [
    "RUN_TRAILER",
    "SUMMARY_LIMIT",
    "CommitMessage",
    "MessageCheck",
    "MessageProblem",
    "bug_references",
    "build_message",
    "check_message",
    "parse_message",
    "reverted_commit",
]

#: The longest summary line, in characters.
SUMMARY_LIMIT = 72
#: The trailer naming the release run that made a commit (``Release-Run: RUN_ID``), so that a
#: resumed run finds its own commit in the history, even rebased.
RUN_TRAILER = "Release-Run"

_FLAGS = re.IGNORECASE | re.ASCII
_SPACE = r"[^\S\n]"  # white space within a line
_REFERENCE = re.compile(
    rf"(?<![A-Za-z0-9_])LP:{_SPACE}+(#[0-9]+\b(?:,{_SPACE}*#[0-9]+\b)*)", _FLAGS
)
_BUG_LINE = re.compile(rf"{_SPACE}*LP:{_SPACE}+#[0-9]+(?:,{_SPACE}*#[0-9]+)*{_SPACE}*", _FLAGS)
_LOOKS_LIKE_BUG_LINE = re.compile(rf"{_SPACE}*LP(?:{_SPACE}*[:#]|{_SPACE}+[0-9])", _FLAGS)
_TRAILER = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*):[ \t]+(\S.*)", re.ASCII)
_REVERTS = re.compile(r"^This reverts commit ([0-9a-f]{40}|[0-9a-f]{64})\b", re.MULTILINE)
_SCISSORS = "------------------------ >8 ------------------------"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommitMessage:
    """A commit message read back.

    ``body`` is the text between the summary and the trailers (no leading or
    trailing blank lines); ``bugs`` every bug the whole message references,
    in order of first mention; ``trailers`` the ``Key: value`` lines of the
    last paragraph other than ``LP:`` lines.
    """

    summary: str
    body: str
    bugs: tuple[int, ...]
    trailers: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class MessageProblem:
    """One way a message breaks the format, at a 1-based ``line`` and ``column`` of the text.

    ``code`` is stable: ``empty-message``, ``summary-too-long``,
    ``no-blank-line`` or ``malformed-bug-line``.
    """

    code: str
    message: str
    line: int
    column: int = 1

    def to_json(self) -> dict[str, object]:
        """``code``, ``message``, ``line`` and ``column``."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MessageCheck:
    """The problems :func:`check_message` found in the message file ``path``."""

    path: str
    problems: tuple[MessageProblem, ...]

    @property
    def ok(self) -> bool:
        """The message keeps the format."""
        return not self.problems

    def lines(self) -> list[str]:
        """The problems as a linter prints them: ``FILE:LINE:COL: message (code)``."""
        return [
            f"{self.path}:{problem.line}:{problem.column}: {problem.message} ({problem.code})"
            for problem in self.problems
        ]

    def to_json(self) -> dict[str, object]:
        """``check-commit-msg --format json``: ``path``, ``ok`` and ``problems``."""
        return {
            "path": self.path,
            "ok": self.ok,
            "problems": [problem.to_json() for problem in self.problems],
        }


def bug_references(text: str) -> tuple[int, ...]:
    """The Launchpad bugs ``text`` names with ``LP: #N[, #M]``, in order, each once."""
    found: dict[int, None] = {}
    for match in _REFERENCE.finditer(text):
        for number in re.findall(r"[0-9]+", match.group(1)):
            found.setdefault(int(number))
    return tuple(found)


def reverted_commit(text: str) -> str | None:
    """The commit id in git's ``This reverts commit ID.`` line, if the message has one."""
    match = _REVERTS.search(text)
    return match.group(1) if match else None


def parse_message(text: str) -> CommitMessage:
    """Split a (cleaned-up) commit message into summary, body, bugs and trailers."""
    lines = text.strip("\n").split("\n")
    summary = lines[0].strip() if lines else ""
    rest = lines[1:]
    paragraphs = _paragraphs(rest)
    trailers: list[tuple[str, str]] = []
    if paragraphs and all(_is_trailer(line) for line in paragraphs[-1]):
        for line in paragraphs.pop():
            if not _BUG_LINE.fullmatch(line):
                match = _TRAILER.fullmatch(line.strip())
                if match:
                    trailers.append((match.group(1), match.group(2).strip()))
    body = "\n\n".join("\n".join(paragraph) for paragraph in paragraphs)
    return CommitMessage(
        summary=summary, body=body, bugs=bug_references(text), trailers=tuple(trailers)
    )


def build_message(
    summary: str,
    body: Iterable[str] = (),
    *,
    bugs: Iterable[int] = (),
    trailers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
) -> str:
    """A commit message in the spec's format, ending with a newline.

    ``summary`` is made one line (runs of white space become one space). A
    summary over :data:`SUMMARY_LIMIT` characters is shortened at a word
    boundary and ends with ``...``; the full text then opens the body, so
    nothing is lost. ``body`` is lines of text (blank strings separate
    paragraphs). ``bugs`` become ``LP: #N, #M`` lines (each bug once, in the
    order given, wrapped at the limit) and ``trailers`` ``Key: value`` lines,
    together in the last paragraph.

    Raises :class:`~lpsigning_mojo.errors.CommitMessageError` for an empty
    summary, a bug that is not a positive whole number, a bad trailer, or
    summary or body text that names bugs itself (pass them as ``bugs``) or
    holds a line that looks like a malformed ``LP:`` line.
    """
    summary = " ".join(summary.split())
    if not summary:
        raise CommitMessageError("A commit message needs a summary", hint="Say what changed")
    body_lines = [line.rstrip() for chunk in body for line in chunk.split("\n")]
    for text in [summary, *body_lines]:
        if bug_references(text):
            raise CommitMessageError(
                f"The text {text!r} names bugs itself",
                hint="Pass bug numbers as bugs, so that each appears once on an LP: line",
            )
    if len(summary) > SUMMARY_LIMIT:
        body_lines = [summary, "", *body_lines]
        summary = _shorten(summary)
    numbers = _bug_numbers(bugs)
    pairs = _trailers(trailers)
    parts = [summary]
    paragraphs = _paragraphs(body_lines)
    if paragraphs:
        parts.append("\n\n".join("\n".join(paragraph) for paragraph in paragraphs))
    closing = _bug_lines(numbers) + [f"{key}: {value}" for key, value in pairs]
    if closing:
        parts.append("\n".join(closing))
    message = "\n\n".join(parts) + "\n"
    problems = check_message(message)
    if problems:
        raise CommitMessageError(
            f"The commit message would break the format on line {problems[0].line}: "
            f"{problems[0].message}"
        )
    return message


def check_message(text: str, *, comment_char: str | None = None) -> tuple[MessageProblem, ...]:
    """Every way ``text`` breaks the format, each with its line; empty when it is fine.

    With ``comment_char`` (``"#"`` for a message file that git hands to a
    ``commit-msg`` hook), lines starting with it are ignored, and so is
    everything from git's scissors line on. Leading blank lines are ignored,
    as git removes them.
    """
    numbered = list(_content_lines(text, comment_char))
    while numbered and not numbered[0][1].strip():
        numbered.pop(0)
    if not numbered:
        return (MessageProblem(code="empty-message", message="the message is empty", line=1),)
    problems = []
    first, summary = numbered[0]
    length = len(summary.rstrip())
    if length > SUMMARY_LIMIT:
        problems.append(
            MessageProblem(
                code="summary-too-long",
                message=f"the summary line has {length} characters; keep it to "
                f"{SUMMARY_LIMIT} or fewer and put details in the body",
                line=first,
                column=SUMMARY_LIMIT + 1,
            )
        )
    if len(numbered) > 1 and numbered[1][1].strip():
        problems.append(
            MessageProblem(
                code="no-blank-line",
                message="the line after the summary must be blank",
                line=numbered[1][0],
            )
        )
    for number, line in numbered:
        if _LOOKS_LIKE_BUG_LINE.match(line) and not _BUG_LINE.fullmatch(line):
            problems.append(
                MessageProblem(
                    code="malformed-bug-line",
                    message=f"{line.strip()!r} is not a bug line; write 'LP: #N' "
                    "or 'LP: #N, #M' (a colon, a space, then # before each number)",
                    line=number,
                )
            )
    return tuple(sorted(problems, key=lambda problem: (problem.line, problem.column)))


def _content_lines(text: str, comment_char: str | None) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if comment_char is not None:
            if line.startswith(comment_char) and line[len(comment_char) :].strip() == _SCISSORS:
                return
            if line.startswith(comment_char):
                continue
        yield number, line


def _paragraphs(lines: Sequence[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [paragraph for paragraph in paragraphs if paragraph]


def _is_trailer(line: str) -> bool:
    return bool(_BUG_LINE.fullmatch(line) or _TRAILER.fullmatch(line.strip()))


def _shorten(summary: str) -> str:
    room = SUMMARY_LIMIT - 3
    cut = summary.rfind(" ", 0, room + 1)
    head = summary[:cut] if cut >= room // 2 else summary[:room]
    return head.rstrip(" ,;:.-") + "..."


def _bug_numbers(bugs: Iterable[int]) -> list[int]:
    numbers: dict[int, None] = {}
    for bug in bugs:
        if isinstance(bug, bool) or not isinstance(bug, int) or bug <= 0:
            raise CommitMessageError(f"{bug!r} is not a Launchpad bug number (a positive number)")
        numbers.setdefault(bug)
    return list(numbers)


def _bug_lines(numbers: Sequence[int]) -> list[str]:
    lines: list[str] = []
    current = ""
    for number in numbers:
        candidate = f"{current}, #{number}" if current else f"LP: #{number}"
        if current and len(candidate) > SUMMARY_LIMIT:
            lines.append(current)
            candidate = f"LP: #{number}"
        current = candidate
    if current:
        lines.append(current)
    return lines


def _trailers(trailers: Mapping[str, str] | Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = list(trailers.items()) if isinstance(trailers, Mapping) else list(trailers)
    checked = []
    for key, value in pairs:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", key, re.ASCII) or key.upper() == "LP":
            raise CommitMessageError(
                f"{key!r} is not a trailer key",
                hint="Use letters, digits and dashes (Gate-Override); bugs go in bugs",
            )
        text = " ".join(str(value).split())
        if not text:
            raise CommitMessageError(f"The trailer {key!r} has no value")
        if bug_references(text):
            raise CommitMessageError(
                f"The trailer {key!r} names bugs itself", hint="Pass bug numbers as bugs"
            )
        checked.append((key, text))
    return checked
