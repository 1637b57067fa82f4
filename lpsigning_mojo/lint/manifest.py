"""The manifest checks: rules LSM301-LSM307 over the manifest model.

:mod:`lpsigning_mojo.mojospec.manifest` reads a manifest into phases and
arguments and walks it per stage as Mojo would; here its diagnostics become
findings with rule codes, and the checks that need a rule (a phase without
``config=``, ``local=`` given as a path, a ``config=`` file Mojo would not
find or could not run) are made.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lpsigning_mojo.lint.problems import Problem
from lpsigning_mojo.lint.registry import register
from lpsigning_mojo.mojospec.manifest import (
    NEEDS_CONFIG,
    PHASES,
    RUNS_CONFIG,
    Diagnostic,
    Manifest,
    Phase,
)
from lpsigning_mojo.mojospec.stages import Spec, Stage
from lpsigning_mojo.suggest import did_you_mean

__all__ = ["check_manifest", "check_stage"]

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
NOT_RUNNABLE = register(
    "LSM307",
    "script-not-runnable",
    severity="error",
    applies_to="manifest",
    summary="A ``script`` or ``verify`` file cannot be run as a program: no ``#!`` line.",
    description="Mojo executes the ``config=`` file of ``script`` and ``verify`` phases "
    "directly, so a text file must start with ``#!`` and its interpreter (``#!/bin/sh``, "
    "``#!/usr/bin/env python3``); without it, or with a carriage return at the end of that "
    "line, the kernel refuses it (``Exec format error``, ``bad interpreter``) and the phase "
    "fails on the bastion although the file is there and executable.",
    fix="Start the file with ``#!`` and its interpreter, with Unix line endings.",
    example="verify config=bundle.yaml\n",
)

_CODES = {
    "syntax": MANIFEST_SYNTAX.code,
    "unknown-phase": UNKNOWN_PHASE.code,
    "argument": BAD_ARGUMENT.code,
}


def _finding(diagnostic: Diagnostic) -> Problem:
    message = diagnostic.message
    if diagnostic.kind == "unknown-phase":
        message += did_you_mean(diagnostic.token, PHASES)
    return Problem(
        code=_CODES[diagnostic.kind],
        line=diagnostic.line,
        column=diagnostic.column,
        message=message,
    )


def _phase_problems(phase: Phase) -> Iterator[Problem]:
    if phase.name in NEEDS_CONFIG and phase.argument("config") is None:
        yield Problem(
            code=BAD_ARGUMENT.code,
            line=phase.line,
            column=phase.column,
            message=f"{phase.name}: the phase needs config=FILE",
        )
    local = phase.argument("local")
    if local is not None and not _bare(local.value):
        yield Problem(
            code=LOCAL_NOT_BARE.code,
            line=phase.line,
            column=local.column,
            message=f"{phase.name}: local={local.value!r} must be a bare file "
            "name in the secrets directory on the bastion, not a path",
        )


def _bare(value: str) -> bool:
    return (
        bool(value) and "/" not in value and value not in (".", "..") and not value.startswith("~")
    )


def check_manifest(text: str) -> tuple[Manifest, list[Problem]]:
    """The manifest, and the problems that need no stage to find."""
    manifest = Manifest.parse(text)
    problems = [_finding(diagnostic) for diagnostic in manifest.diagnostics]
    for phase in manifest.phases:
        problems.extend(_phase_problems(phase))
    return manifest, problems


def check_stage(manifest: Manifest, spec: Spec, stage: Stage) -> Iterator[Problem]:
    """``config=`` files missing, not executable or not runnable when Mojo runs ``stage``."""
    for step in manifest.for_stage(spec, stage):
        config = step.phase.argument("config")
        if config is None or step.config_name is None:
            continue
        if step.config is None:
            yield Problem(
                code=CONFIG_NOT_FOUND.code,
                line=step.phase.line,
                column=config.column,
                message=f"{step.name}: config file {step.config_name!r} is not in the stage "
                "directory or any parent up to the spec root",
            )
        elif step.name in RUNS_CONFIG and not step.config.stat().st_mode & 0o111:
            yield Problem(
                code=NOT_EXECUTABLE.code,
                line=step.phase.line,
                column=config.column,
                message=f"{step.name}: {step.config_name!r} is not executable; Mojo runs it",
            )
        if step.config is not None and step.name in RUNS_CONFIG:
            reason = _not_runnable(step.config)
            if reason is not None:
                yield Problem(
                    code=NOT_RUNNABLE.code,
                    line=step.phase.line,
                    column=config.column,
                    message=f"{step.name}: {step.config_name!r} {reason}; Mojo runs it",
                )


def _not_runnable(path: Path) -> str | None:
    """Why the kernel would refuse to run ``path`` as a program, or ``None``."""
    try:
        with path.open("rb") as stream:
            head = stream.readline(256)
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if head.startswith(b"\x7fELF"):
        return None
    if not head.startswith(b"#!"):
        return "has no '#!' line naming its interpreter"
    if head.endswith(b"\r\n"):
        return "ends its '#!' line with a carriage return (Windows line endings)"
    return None
