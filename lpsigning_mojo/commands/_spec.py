"""``--spec DIR``: declared here once for every command that works on a spec.

The resolution itself (``--spec``, else ``LPSIGNING_MOJO_SPEC``, else upwards
from the current directory) is :func:`lpsigning_mojo.mojospec.resolve_spec`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lpsigning_mojo.mojospec.layout import SPEC_ENV, SPEC_ROOT, resolve_spec

if TYPE_CHECKING:
    from lpsigning_mojo.instances import Instances

__all__ = ["SPEC_HELP", "add_spec_argument", "spec_directory", "spec_instances"]

#: The help of ``--spec``: where the spec comes from when it is not given.
SPEC_HELP = (
    f"the spec directory (default: ${SPEC_ENV}, else the spec holding the current "
    f"directory, or {SPEC_ROOT}/NAME of the repository holding it)"
)


def add_spec_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--spec DIR`` to ``parser``."""
    parser.add_argument("--spec", metavar="DIR", help=SPEC_HELP)


def spec_directory(args: argparse.Namespace) -> Path:
    """The spec directory the command works on (see :func:`add_spec_argument`)."""
    return resolve_spec(args.spec)


def spec_instances(args: argparse.Namespace) -> Instances:
    """The instances of the spec the command works on, from its ``instances.yaml``."""
    from lpsigning_mojo.errors import FileAccessError
    from lpsigning_mojo.instances import load_instances

    try:
        return load_instances(spec_directory(args))
    except FileAccessError as error:
        raise FileAccessError(
            error.message,
            hint=f"pass --spec DIR naming the spec directory that holds it (or set {SPEC_ENV})",
        ) from None
