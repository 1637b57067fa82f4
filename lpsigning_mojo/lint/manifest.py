"""Mojo manifests: tokenising, phase names, arguments and the files they name.

A manifest lists one phase per line: a phase name, then ``KEY=VALUE``
arguments. Lines are split like a shell would (:mod:`shlex`: quotes,
backslashes, ``#`` comments), and ``${VAR}``, ``${VAR:-default}`` and
``$VAR`` are expanded from Mojo's environment for the stage; a variable
that is only known on the bastion leaves its value unresolved, and the
checks that need the value skip it.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path

from lpsigning_mojo.lint.problems import Problem
from lpsigning_mojo.lint.registry import register
from lpsigning_mojo.lint.schema import did_you_mean

__all__ = ["PHASES", "Argument", "Phase", "check_files", "expand", "parse_manifest"]

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
#: Phases whose ``config=`` file Mojo runs.
RUNS_CONFIG = frozenset({"script", "verify"})

MANIFEST_SYNTAX = register(
    "LSM301",
    "manifest-syntax",
    severity="error",
    applies_to="manifest",
    summary="A manifest line does not split like a shell line.",
    description="Mojo splits each line like a shell: an unclosed quote, a trailing "
    "backslash, or a malformed ``${VAR}`` expansion breaks the line.",
    fix="Close the quote, or write the expansion as ``${NAME}`` or ``${NAME:-default}``.",
    example="bundle config=bundle.yaml local='deploy-secrets\n",
)
UNKNOWN_PHASE = register(
    "LSM302",
    "unknown-phase",
    severity="error",
    applies_to="manifest",
    summary="A manifest line starts with a name that is not a Mojo phase.",
    description="Mojo's phases are " + ", ".join(f"``{p}``" for p in sorted(PHASES)) + ".",
    fix="Use a phase Mojo knows (the message suggests the closest one).",
    example="bundel config=bundle.yaml\n",
)
BAD_ARGUMENT = register(
    "LSM303",
    "phase-argument",
    severity="error",
    applies_to="manifest",
    summary="A phase argument is not ``KEY=VALUE``, or a phase lacks ``config=``.",
    description="Every argument of a phase is ``KEY=VALUE``; ``bundle``, ``script`` and "
    "``verify`` cannot run without ``config=``.",
    fix="Write the argument as ``KEY=VALUE``; add ``config=FILE``.",
    example="bundle bundle.yaml\n",
)
CONFIG_NOT_FOUND = register(
    "LSM304",
    "config-not-found",
    severity="error",
    applies_to="manifest",
    summary="A ``config=`` file is not found, for some stages, where Mojo looks.",
    description="Mojo looks a ``config=`` file up in the stage directory first, then in "
    "each parent directory up to the spec root; a file missing in every one of them fails "
    "that stage's run.",
    fix="Add the file to the spec (or to the stage directories listed), or correct the name.",
    example="bundle config=bundel.yaml\n",
)
NOT_EXECUTABLE = register(
    "LSM305",
    "script-not-executable",
    severity="error",
    applies_to="manifest",
    summary="A ``script`` or ``verify`` file is not executable.",
    description="Mojo runs the ``config=`` file of ``script`` and ``verify`` phases as a "
    "program, so it must have its executable bit set (in git too).",
    fix="``chmod +x FILE`` (and commit the mode change; ``git update-index --chmod=+x``).",
    example="verify config=bundle.yaml\n",
)
LOCAL_NOT_BARE = register(
    "LSM306",
    "local-not-bare",
    severity="error",
    applies_to="manifest",
    summary="``local=`` is a path instead of a bare file name.",
    description="``local=`` names a file in the secrets directory on the bastion "
    "(``$MOJO_ROOT/LOCAL/$MOJO_PROJECT/$MOJO_STAGE/``), not a file in the spec: it must be a "
    "bare relative name, without ``/``, ``~`` or ``..``.",
    fix="Keep the secrets file on the bastion and give only its name.",
    example="bundle config=bundle.yaml local=../secrets/deploy-secrets\n",
)

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_EXPANSION_RE = re.compile(rf"\$\{{({_NAME})(?::?-([^}}]*))?\}}|\$({_NAME})|\$\{{")
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Argument:
    """``KEY=VALUE`` of a phase; ``column`` is where the value starts (1-based)."""

    key: str
    value: str
    column: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class Phase:
    """One manifest line: the phase, where it is, and its arguments."""

    name: str
    line: int
    column: int
    arguments: tuple[Argument, ...]

    def argument(self, key: str) -> Argument | None:
        """The (last) argument ``key``, if given."""
        found = [argument for argument in self.arguments if argument.key == key]
        return found[-1] if found else None


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


def parse_manifest(text: str) -> tuple[list[Phase], list[Problem]]:
    """The phases of a manifest, and the problems that need no stage to find."""
    phases: list[Phase] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            tokens = list(_tokens(line))
        except ValueError as error:
            column = len(line) - len(line.lstrip()) + 1
            quote = re.search(r"""['"]""", line)
            if "quotation" in str(error) and quote:
                column = quote.start() + 1
            problems.append(
                Problem(
                    code=MANIFEST_SYNTAX.code,
                    line=number,
                    column=column,
                    message=f"the line does not split like a shell line: {str(error).lower()}",
                )
            )
            continue
        if not tokens:
            continue
        (name, start), rest = tokens[0], tokens[1:]
        if name not in PHASES:
            problems.append(
                Problem(
                    code=UNKNOWN_PHASE.code,
                    line=number,
                    column=start + 1,
                    message=f"unknown Mojo phase {name!r}{did_you_mean(name, PHASES)}",
                )
            )
            continue
        arguments: list[Argument] = []
        for token, column in rest:
            key, equals, value = token.partition("=")
            if not equals or not _KEY_RE.match(key):
                problems.append(
                    Problem(
                        code=BAD_ARGUMENT.code,
                        line=number,
                        column=column + 1,
                        message=f"{name}: argument {token!r} is not KEY=VALUE",
                    )
                )
                continue
            value_column = line.find("=", column) + 2
            for match in _EXPANSION_RE.finditer(value):
                if match.group() == "${":
                    problems.append(
                        Problem(
                            code=MANIFEST_SYNTAX.code,
                            line=number,
                            column=value_column + match.start(),
                            message=f"{name}: malformed expansion in {token!r}; "
                            "write ${NAME} or ${NAME:-default}",
                        )
                    )
            arguments.append(Argument(key=key, value=value, column=value_column))
        phase = Phase(name=name, line=number, column=start + 1, arguments=tuple(arguments))
        if name in NEEDS_CONFIG and phase.argument("config") is None:
            problems.append(
                Problem(
                    code=BAD_ARGUMENT.code,
                    line=number,
                    column=start + 1,
                    message=f"{name}: the phase needs config=FILE",
                )
            )
        local = phase.argument("local")
        if local is not None and not _bare(local.value):
            problems.append(
                Problem(
                    code=LOCAL_NOT_BARE.code,
                    line=number,
                    column=local.column,
                    message=f"{name}: local={local.value!r} must be a bare file "
                    "name in the secrets directory on the bastion, not a path",
                )
            )
        phases.append(phase)
    return phases, problems


def _bare(value: str) -> bool:
    return (
        bool(value) and "/" not in value and value not in (".", "..") and not value.startswith("~")
    )


def expand(value: str, environment: Mapping[str, str]) -> str | None:
    """``value`` with its expansions done, ``None`` when a variable is unknown."""
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


def check_files(
    phases: list[Phase], lookup: Mapping[str, Path | None], environment: Mapping[str, str]
) -> Iterator[Problem]:
    """``config=`` files missing or not executable for one stage.

    ``lookup`` maps each expanded ``config=`` name to the file Mojo's stage
    lookup finds (``None`` when there is none); see :func:`config_names`.
    """
    for phase in phases:
        config = phase.argument("config")
        if config is None:
            continue
        name = expand(config.value, environment)
        if name is None:
            continue
        found = lookup.get(name)
        if found is None:
            yield Problem(
                code=CONFIG_NOT_FOUND.code,
                line=phase.line,
                column=config.column,
                message=f"{phase.name}: config file {name!r} is not in the stage "
                "directory or any parent up to the spec root",
            )
        elif phase.name in RUNS_CONFIG and not found.stat().st_mode & 0o111:
            yield Problem(
                code=NOT_EXECUTABLE.code,
                line=phase.line,
                column=config.column,
                message=f"{phase.name}: {name!r} is not executable; Mojo runs it",
            )


def config_names(
    phases: list[Phase], environment: Mapping[str, str], phase_name: str | None = None
) -> set[str]:
    """The expanded ``config=`` names of the phases (of one phase name, if given)."""
    names: set[str] = set()
    for phase in phases:
        config = phase.argument("config")
        if config is not None and (phase_name is None or phase.name == phase_name):
            name = expand(config.value, environment)
            if name is not None:
                names.add(name)
    return names
