"""What a spec directory holds, and how a command finds the spec to work on.

A spec directory (``spec/lp-signing``) holds Mojo's ``manifest`` files, the
bundle template ``bundle.yaml`` and lpsigning-mojo's ``instances.yaml``.
Two questions are answered here, each in one place:

* Which spec does a *file* belong to? :func:`find_spec_dir`: the nearest
  directory at or above it that holds a ``manifest`` (``bundle show PATH``,
  ``lint PATH``).
* Where is Mojo's spec root for a spec? :func:`spec_root`: the top of the
  repository Mojo checks out (or its ``spec/`` directory, this project's
  layout); stages are paths from it.
* Which spec does a *command* work on? :func:`resolve_spec`: ``--spec DIR``,
  else :data:`SPEC_ENV`, else the spec found upwards from the current
  directory by :func:`find_specs`. Every command that needs a spec and is
  given no file uses it, so they all agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.files import resolved

__all__ = [
    "BUNDLE_FILE",
    "INSTANCES_FILE",
    "MANIFEST",
    "SPEC_ENV",
    "SPEC_FILES",
    "SPEC_ROOT",
    "find_spec_dir",
    "find_specs",
    "holds_spec",
    "is_bundle_name",
    "is_manifest",
    "resolve_spec",
    "resolve_specs",
    "spec_root",
    "upwards",
]

#: Mojo's main manifest; ``manifest-NAME`` files are other manifests of the same spec.
MANIFEST = "manifest"
#: The bundle template the manifests deploy.
BUNDLE_FILE = "bundle.yaml"
#: lpsigning-mojo's description of the instances (see :mod:`lpsigning_mojo.instances`).
INSTANCES_FILE = "instances.yaml"
#: Files that make a directory a spec directory.
SPEC_FILES = (MANIFEST, BUNDLE_FILE, INSTANCES_FILE)
#: The directory of a repository that Mojo uses as its spec root (``spec/lp-signing``).
SPEC_ROOT = "spec"
#: The environment variable naming the spec directory (``--spec`` wins over it).
SPEC_ENV = "LPSIGNING_MOJO_SPEC"


def is_manifest(path: Path) -> bool:
    """Whether ``path`` is named like a Mojo manifest (``manifest``, ``manifest-upgrade``)."""
    return path.name == MANIFEST or path.name.startswith(MANIFEST + "-")


def is_bundle_name(path: Path) -> bool:
    """Whether ``path`` is named like a bundle template (``bundle*.yaml``)."""
    return path.name.startswith("bundle") and path.suffix in (".yaml", ".yml")


def upwards(start: str | os.PathLike[str]) -> Iterator[Path]:
    """``start`` (or its directory, for a file) and each parent, absolute.

    Stops after the top of the git working tree holding ``start`` (the
    directory holding ``.git``), so that nothing outside the repository is
    taken for part of it; outside a repository, goes up to ``/``.
    """
    path = resolved(start)
    directory = path if path.is_dir() else path.parent
    for candidate in (directory, *directory.parents):
        yield candidate
        if (candidate / ".git").exists():
            return


def find_spec_dir(start: str | os.PathLike[str]) -> Path:
    """The spec directory holding ``start`` (a file in it, or the directory).

    It is the nearest directory, from ``start`` upwards to the top of the
    repository holding it (see :func:`upwards`), that holds a ``manifest``
    file; failing that, the directory of ``start`` itself.
    """
    path = resolved(start)
    directory = path if path.is_dir() else path.parent
    for candidate in upwards(directory):
        if (candidate / MANIFEST).is_file():
            return candidate
    return directory


def spec_root(directory: str | os.PathLike[str]) -> Path | None:
    """Mojo's spec root for the spec (or stage) directory ``directory``, resolved.

    Mojo checks a spec repository out and takes stages as paths from its
    top (``--stage specs/web/app/jammy``), so inside a repository the root
    is its top; in a repository that keeps its Mojo spec in a top-level
    ``spec/`` directory (``spec/lp-signing``, this project's layout), that
    directory. Outside a repository it cannot be known: ``None``.
    """
    path = Path(directory).resolve()
    top = list(upwards(path))[-1]
    if not (top / ".git").exists():
        return None
    conventional = top / SPEC_ROOT
    if conventional in path.parents:
        return conventional
    return top


def holds_spec(directory: Path) -> bool:
    """Whether ``directory`` is a spec directory rather than a stage directory of one.

    It holds a ``manifest``; or it holds a ``bundle.yaml`` or ``instances.yaml``
    and its parent holds no ``manifest`` (a stage directory may keep its own
    ``bundle.yaml``, which Mojo's lookup prefers, yet the spec is its parent).
    """
    if (directory / MANIFEST).is_file():
        return True
    if not any((directory / name).is_file() for name in SPEC_FILES):
        return False
    return not (directory.parent / MANIFEST).is_file()


def _specs_below(directory: Path) -> list[Path]:
    try:
        children = sorted(child for child in directory.iterdir() if child.is_dir())
    except OSError:
        return []
    return [child for child in children if holds_spec(child)]


def find_specs(start: str | os.PathLike[str]) -> tuple[Path, ...]:
    """The specs a command run in ``start`` works on, nearest first found.

    From ``start`` upwards (see :func:`upwards`), the first directory that
    is a spec (see :func:`holds_spec`) is the one; inside a stage directory,
    that is the spec above it. A directory that is not one may hold specs in
    its ``spec/`` directory (the top of a repository, ``spec/lp-signing``);
    ``start`` itself may also hold specs directly (Mojo's spec root). Empty
    when none is found.
    """
    here = resolved(start)
    for directory in upwards(here):
        if holds_spec(directory):
            return (directory,)
        found = _specs_below(directory / SPEC_ROOT)
        if directory == here:
            found = _specs_below(directory) + found
        if found:
            return tuple(found)
    return ()


def _in(directory: Path) -> Path:
    """``directory``, or the one spec below it when it is a repository or a spec root."""
    if holds_spec(directory):
        return directory
    found = _specs_below(directory) + _specs_below(directory / SPEC_ROOT)
    return found[0] if len(found) == 1 else directory


def resolve_specs(
    given: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> tuple[Path, ...]:
    """The spec directories a command works on: one, or every spec found from ``cwd``.

    ``given`` (``--spec DIR``) first, else ``$LPSIGNING_MOJO_SPEC``, else the
    specs found from ``cwd`` (default: the current directory) by
    :func:`find_specs`, relative to the current directory when below it. A
    directory given either way may also be a repository or a spec root
    holding exactly one spec. Raises
    :class:`~lpsigning_mojo.errors.UsageError` when a directory given does
    not exist, and when no spec is found.
    """
    environ = os.environ if environ is None else environ
    explicit = (
        ("--spec", os.fspath(given))
        if given
        else (SPEC_ENV, environ[SPEC_ENV])
        if environ.get(SPEC_ENV)
        else None
    )
    if explicit is not None:
        origin, value = explicit
        path = Path(value)
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is not a directory"
            raise UsageError(
                f"{origin} names {value}, which {what}",
                hint="give the spec directory, the one holding "
                f"{MANIFEST}, {BUNDLE_FILE} and {INSTANCES_FILE}",
            )
        return (_in(path),)
    here = Path(cwd) if cwd is not None else Path.cwd()
    found = find_specs(here)
    if found:
        # Below the current directory, as a person would type them.
        return found if cwd is not None else tuple(_relative(path) for path in found)
    top = list(upwards(here))[-1]
    raise UsageError(
        f"no Mojo spec found: --spec is not given, {SPEC_ENV} is not set, and no "
        f"directory from {here.resolve()} up to {top} holds a {MANIFEST}, {BUNDLE_FILE} "
        f"or {INSTANCES_FILE}, itself or in {SPEC_ROOT}/NAME/",
        hint=f"run this inside the spec's repository, or pass --spec DIR (or set {SPEC_ENV}=DIR)",
    )


def resolve_spec(
    given: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Path:
    """The one spec directory a command works on (see :func:`resolve_specs`).

    Raises :class:`~lpsigning_mojo.errors.UsageError` as
    :func:`resolve_specs` does, and when several specs are found.
    """
    found = resolve_specs(given, environ=environ, cwd=cwd)
    if len(found) > 1:
        raise UsageError(
            f"several Mojo specs found: {', '.join(map(str, found))}",
            hint=f"choose one with --spec DIR (or set {SPEC_ENV})",
        )
    return found[0]


def _relative(path: Path) -> Path:
    """``path`` relative to the current directory when below it, as people type it."""
    try:
        relative = resolved(path).relative_to(Path.cwd().resolve())
    except ValueError:
        return path
    return relative if relative.parts else Path(".")
