"""The project's errors: one base class, subclasses with typed attributes.

``str(error)`` is always a complete sentence a person can act on: where the
problem is (``file:line:col`` when there is one), what is wrong, and what to
do next. The CLI prints exactly that and exits 1.
"""

from __future__ import annotations

import os

__all__ = [
    "BundleError",
    "EditError",
    "FileAccessError",
    "LpsigningMojoError",
    "TemplateError",
    "UnknownApplicationError",
    "UsageError",
    "YamlError",
]


class LpsigningMojoError(Exception):
    """Base class of every error the project raises on purpose.

    ``path``, ``line`` and ``column`` (1-based) say where the problem is;
    ``hint`` says what to do about it. Each may be ``None``.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message.rstrip(".")
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    @property
    def location(self) -> str | None:
        """``path:line:col`` (as much of it as is known), or ``None``."""
        if self.path is None:
            return None
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = self.message + "."
        if self.location:
            text = f"{self.location}: {text}"
        if self.hint:
            hint = self.hint.rstrip(".")
            text = f"{text} {hint[:1].upper()}{hint[1:]}."
        return text


class UsageError(LpsigningMojoError):
    """The command line or the arguments of a call are wrong."""

    exit_code = 2


class FileAccessError(LpsigningMojoError):
    """A file is missing, is a directory, or cannot be read or written."""


class BundleError(LpsigningMojoError):
    """A bundle (or bundle template) is not what Juju or Mojo would accept."""


class TemplateError(BundleError):
    """A Jinja2 bundle template does not parse or does not render."""


class YamlError(BundleError):
    """A rendered bundle is not valid YAML, or not a YAML mapping."""


class UnknownApplicationError(BundleError):
    """A bundle has no application of the name asked for."""


class EditError(BundleError):
    """A text-preserving edit cannot be made safely; the file is untouched."""
