"""Mojo manifests: phases, their arguments, expansion, and the files they name.

A manifest lists one phase per line: a phase name, then ``KEY=VALUE``
arguments. Lines are split like a shell would (:mod:`shlex`: quotes,
backslashes, ``#`` comments), and ``${VAR}``, ``${VAR:-default}`` and
``$VAR`` are expanded from Mojo's environment for the stage
(:func:`~lpsigning_mojo.mojospec.variables.mojo_environment`); a variable
that is only known on the bastion leaves its value unresolved (``None``).

:meth:`Manifest.parse` reads the text; a line Mojo could not run as written
becomes a :class:`Diagnostic` instead of a :class:`Phase`.
:meth:`Manifest.for_stage` walks the phases as Mojo would for one stage:
arguments expanded, and each ``config=`` file looked up in the stage
directory, then its parents up to the spec root.

>>> manifest = Manifest.parse("collect\\nbundle config=bundle.yaml local=deploy-secrets\\n")
>>> [phase.name for phase in manifest.phases]
['collect', 'bundle']
>>> manifest.phases[1].argument("local").value
'deploy-secrets'
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

from lpsigning_mojo.errors import FileAccessError
from lpsigning_mojo.files import read_text
from lpsigning_mojo.mojospec.stages import Spec, Stage
from lpsigning_mojo.mojospec.variables import mojo_environment

__all__ = [
    "NEEDS_CONFIG",
    "PHASES",
    "RUNS_CONFIG",
    "Argument",
    "Diagnostic",
    "Manifest",
    "Phase",
    "StagePhase",
    "expand",
]

#: Mojo's phases.
PHASES = frozenset(
    {
        "collect",
        "builddeps",
        "build",
        "repo",
        "secrets",
        "script",
        "verify",
        "deploy",
        "bundle",
        "sleep",
        "juju-check-wait",
        "nagios-check",
        "stop-on",
    }
)
#: Phases that cannot run without ``config=``.
NEEDS_CONFIG = frozenset({"bundle", "script", "verify"})
#: Phases whose ``config=`` file Mojo runs as a program.
RUNS_CONFIG = frozenset({"script", "verify"})

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_EXPANSION_RE = re.compile(rf"\$\{{({_NAME})(?::?-([^}}]*))?\}}|\$({_NAME})|\$\{{")
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Argument:
    """``KEY=VALUE`` of a phase, unexpanded; ``column`` is where the value starts (1-based)."""

    key: str
    value: str
    column: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class Phase:
    """One manifest line: the phase, where it is (1-based), and its arguments."""

    name: str
    line: int
    column: int
    arguments: tuple[Argument, ...]

    def argument(self, key: str) -> Argument | None:
        """The (last) argument ``key``, if given; Mojo keeps the last one too."""
        found = [argument for argument in self.arguments if argument.key == key]
        return found[-1] if found else None


#: What kept a line from being a phase, or a value from being expanded.
DiagnosticKind = Literal["syntax", "unknown-phase", "argument"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Diagnostic:
    """Something in a manifest that Mojo could not run as written.

    ``kind`` is ``syntax`` (a line that does not split like a shell line, a
    malformed ``${`` expansion), ``unknown-phase`` (``token`` is the name)
    or ``argument`` (an argument that is not ``KEY=VALUE``; ``token`` is it).
    """

    kind: DiagnosticKind
    line: int
    column: int
    message: str
    token: str = ""

    def to_json(self) -> dict[str, object]:
        """``kind``, ``line``, ``column``, ``message`` and ``token``."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class StagePhase:
    """A phase as Mojo runs it for one stage.

    ``arguments`` are expanded (``None`` for a value that uses a variable
    only known on the bastion); ``config`` is the file Mojo's lookup finds
    for ``config=``, ``None`` when the phase has none, its name is
    unresolved, or no directory holds it (see :attr:`config_missing`).
    """

    phase: Phase
    stage: Stage
    arguments: Mapping[str, str | None]
    config: Path | None

    @property
    def name(self) -> str:
        """The phase's name."""
        return self.phase.name

    @property
    def config_name(self) -> str | None:
        """The expanded ``config=`` name, if the phase has one and it resolves."""
        return self.arguments.get("config")

    @property
    def config_missing(self) -> bool:
        """Whether ``config=`` names a file that no directory Mojo looks in holds."""
        return self.config_name is not None and self.config is None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Manifest:
    """A parsed manifest: its phases in order, and what kept other lines from being phases.

    ``path`` names the file in messages, when it came from one.
    """

    phases: tuple[Phase, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    path: str | None = None

    @classmethod
    def parse(cls, text: str, *, path: str | None = None) -> Manifest:
        """Read the text of a manifest; never raises for what the text holds."""
        phases: list[Phase] = []
        diagnostics: list[Diagnostic] = []
        for number, line in enumerate(text.splitlines(), 1):
            phase = _parse_line(line, number, diagnostics)
            if phase is not None:
                phases.append(phase)
        return cls(phases=tuple(phases), diagnostics=tuple(diagnostics), path=path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Manifest:
        """Read the manifest file at ``path``; :class:`FileAccessError` if it cannot be read."""
        try:
            text = read_text(path)
        except FileAccessError as error:
            raise FileAccessError(f"cannot read the manifest {error.message}") from None
        return cls.parse(text, path=os.fspath(path))

    def config_names(
        self, environment: Mapping[str, str], phase_name: str | None = None
    ) -> set[str]:
        """The expanded ``config=`` names of the phases (of one phase name, if given)."""
        names: set[str] = set()
        for phase in self.phases:
            config = phase.argument("config")
            if config is not None and (phase_name is None or phase.name == phase_name):
                name = expand(config.value, environment)
                if name is not None:
                    names.add(name)
        return names

    def for_stage(
        self, spec: Spec, stage: Stage, environment: Mapping[str, str] | None = None
    ) -> tuple[StagePhase, ...]:
        """The phases as Mojo runs them for ``stage`` of ``spec``, in order.

        ``environment`` defaults to what is known of Mojo's environment away
        from the bastion (:func:`~lpsigning_mojo.mojospec.variables.mojo_environment`).
        """
        if environment is None:
            environment = mojo_environment(spec, stage)
        found: dict[str, Path | None] = {}
        steps: list[StagePhase] = []
        for phase in self.phases:
            arguments = {
                argument.key: expand(argument.value, environment) for argument in phase.arguments
            }
            name = arguments.get("config")
            config = None
            if name is not None:
                if name not in found:
                    found[name] = spec.lookup(name, stage)
                config = found[name]
            steps.append(StagePhase(phase=phase, stage=stage, arguments=arguments, config=config))
        return tuple(steps)


def _tokens(text: str) -> Iterator[tuple[str, int]]:
    """(token, 0-based start) of a line, split like a shell; ValueError if it cannot be."""
    stream = io.StringIO(text)
    lexer = shlex.shlex(stream, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    while True:
        before = stream.tell()
        token = lexer.get_token()
        if token is None:
            return
        start = before
        while start < len(text) and text[start] in " \t\r\n":
            start += 1
        yield token, start


def _parse_line(line: str, number: int, diagnostics: list[Diagnostic]) -> Phase | None:
    try:
        tokens = list(_tokens(line))
    except ValueError as error:
        column = len(line) - len(line.lstrip()) + 1
        quote = re.search(r"""['"]""", line)
        if "quotation" in str(error) and quote:
            column = quote.start() + 1
        diagnostics.append(
            Diagnostic(
                kind="syntax",
                line=number,
                column=column,
                message=f"the line does not split like a shell line: {str(error).lower()}",
            )
        )
        return None
    if not tokens:
        return None
    (name, start), rest = tokens[0], tokens[1:]
    if name not in PHASES:
        diagnostics.append(
            Diagnostic(
                kind="unknown-phase",
                line=number,
                column=start + 1,
                message=f"unknown Mojo phase {name!r}",
                token=name,
            )
        )
        return None
    arguments: list[Argument] = []
    for token, column in rest:
        key, equals, value = token.partition("=")
        if not equals or not _KEY_RE.match(key):
            diagnostics.append(
                Diagnostic(
                    kind="argument",
                    line=number,
                    column=column + 1,
                    message=f"{name}: argument {token!r} is not KEY=VALUE",
                    token=token,
                )
            )
            continue
        value_column = line.find("=", column) + 2
        for match in _EXPANSION_RE.finditer(value):
            if match.group() == "${":
                diagnostics.append(
                    Diagnostic(
                        kind="syntax",
                        line=number,
                        column=value_column + match.start(),
                        message=f"{name}: malformed expansion in {token!r}; "
                        "write ${NAME} or ${NAME:-default}",
                        token=token,
                    )
                )
        arguments.append(Argument(key=key, value=value, column=value_column))
    return Phase(name=name, line=number, column=start + 1, arguments=tuple(arguments))


def expand(value: str, environment: Mapping[str, str]) -> str | None:
    """``value`` with its expansions done, ``None`` when a variable is unknown.

    ``${NAME:-default}`` (and ``${NAME-default}``) gives ``default`` when
    ``NAME`` is not in ``environment``; a malformed ``${`` is unresolved.

    >>> expand("${MOJO_STAGE}/x", {"MOJO_STAGE": "lp-signing/staging"})
    'lp-signing/staging/x'
    >>> expand("${SERIES:-jammy}", {}), expand("$MOJO_SERIES", {})
    ('jammy', None)
    """
    unresolved = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(3)
        if name is None:
            unresolved = True
            return ""
        if name in environment:
            return environment[name]
        if match.group(2) is not None:
            return match.group(2)
        unresolved = True
        return ""

    result = _EXPANSION_RE.sub(substitute, value)
    return None if unresolved else result
