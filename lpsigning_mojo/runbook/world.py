"""The World: the one object a run receives, holding every collaborator.

The engine itself needs three things from it: a :class:`~lpsigning_mojo.clock.Clock`
(``time()`` stamps the journal, ``monotonic()`` times the steps), a :class:`Prompt`
(confirmations and questions for the person running it) and a :class:`Reporter`
(what the person reads). A plan's World extends :class:`World` with what its
steps need (git, an SSH runner, HTTP clients...), and the
rehearsal differs from a real release only in the World it passes::

    class ReleaseWorld(World, Protocol):
        @property
        def git(self) -> Git: ...

:class:`BasicWorld` holds just the three, for plans that need nothing else
and for tests. :class:`TerminalPrompt` and :class:`StreamReporter` are the
real prompt and reporter; tests give them in-memory streams.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol, TextIO

import attrs

from lpsigning_mojo.clock import Clock
from lpsigning_mojo.errors import PromptError
from lpsigning_mojo.runbook.progress import Progress

__all__ = ["BasicWorld", "Prompt", "Reporter", "StreamReporter", "TerminalPrompt", "World"]


class Prompt(Protocol):
    """Asks the person running the plan.

    ``assume_yes`` is true when ``--yes`` was given: :meth:`confirm` then
    answers yes without asking. :meth:`choose` is never answered for the
    person: a question with several answers (what happened to a command whose
    outcome is unknown?) needs a person at a terminal.
    """

    @property
    def assume_yes(self) -> bool: ...

    def confirm(self, question: str) -> bool:
        """Yes or no; raise :class:`~lpsigning_mojo.errors.PromptError` if no one can answer."""
        ...

    def choose(self, question: str, choices: Sequence[str]) -> str:
        """One of ``choices``; raise :class:`~lpsigning_mojo.errors.PromptError` if no one can."""
        ...


class Reporter(Protocol):
    """Where the engine and the steps write what the person reads."""

    def info(self, text: str) -> None:
        """One line of normal output."""
        ...

    def warn(self, text: str) -> None:
        """One line about a problem that does not stop the run."""
        ...

    def progress(self, label: str) -> Progress:
        """Start showing a long step (elapsed time, latest line); close it when done.

        ``Progress`` is a context manager: ``with reporter.progress("upgrade") as p:``
        then ``p.line(output_line)`` for each line of remote output.
        """
        ...


class World(Protocol):
    """What the engine needs from the World a plan runs in."""

    @property
    def clock(self) -> Clock: ...

    @property
    def prompt(self) -> Prompt: ...

    @property
    def reporter(self) -> Reporter: ...


@attrs.frozen(kw_only=True)
class BasicWorld:
    """A :class:`World` holding only the engine's three collaborators."""

    clock: Clock
    prompt: Prompt
    reporter: Reporter


class TerminalPrompt:
    """Asks on a terminal; with ``yes`` (``--yes``) confirms without asking.

    ``tty`` says whether ``input`` is a terminal a person types into (by
    default: whether standard input is one). Without one, and without
    ``--yes``, a confirmation is an error that says to pass ``--yes``.
    """

    def __init__(
        self,
        *,
        yes: bool = False,
        input: TextIO | None = None,
        output: TextIO | None = None,
        tty: bool | None = None,
    ) -> None:
        self._yes = yes
        self.input = input if input is not None else sys.stdin
        self.output = output if output is not None else sys.stderr
        self.tty = self.input.isatty() if tty is None else tty

    @property
    def assume_yes(self) -> bool:
        return self._yes

    def _readline(self) -> str | None:
        line = self.input.readline()
        return None if not line else line.strip()

    def confirm(self, question: str) -> bool:
        if self._yes:
            self.output.write(f"{question} [y/N] yes (--yes)\n")
            self.output.flush()
            return True
        if not self.tty:
            raise PromptError(
                f"{question!r} needs a confirmation, and there is no terminal to ask on",
                hint="Pass --yes to confirm it, or run the command on a terminal",
            )
        self.output.write(f"{question} [y/N] ")
        self.output.flush()
        answer = self._readline()
        return answer is not None and answer.lower() in ("y", "yes")

    def choose(self, question: str, choices: Sequence[str]) -> str:
        if not choices:
            raise ValueError("choose() needs at least one choice")
        if not self.tty:
            raise PromptError(
                f"{question!r} needs an answer from a person at a terminal "
                "(--yes does not answer it)",
                hint="Run the command on a terminal to answer it",
            )
        numbered = "\n".join(f"  {index}) {choice}" for index, choice in enumerate(choices, 1))
        for _ in range(3):
            self.output.write(f"{question}\n{numbered}\nAnswer 1-{len(choices)}: ")
            self.output.flush()
            answer = self._readline()
            if answer is None:
                break
            if answer.isdigit() and 1 <= int(answer) <= len(choices):
                return choices[int(answer) - 1]
            if answer in choices:
                return answer
        raise PromptError(
            f"no valid answer to {question.rstrip('?')!r}",
            hint=f"Answer with a number from 1 to {len(choices)}",
        )


class StreamReporter:
    """Writes lines to ``out`` and warnings to ``err``; progress as :class:`Progress` does.

    ``tty`` (by default: whether ``out`` is a terminal) chooses between a
    rewriting progress line and plain lines. For ``--format json``, pass
    ``out=sys.stderr`` so that standard output holds only the JSON.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        out: TextIO | None = None,
        err: TextIO | None = None,
        tty: bool | None = None,
    ) -> None:
        self.clock = clock
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.tty = self.out.isatty() if tty is None else tty

    def info(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def warn(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

    def progress(self, label: str) -> Progress:
        return Progress(label, out=self.out, tty=self.tty, clock=self.clock)
