"""``lpsigning-mojo lint`` and the ``bundle-lint`` command (the pre-commit hook).

``bundle-lint`` runs :func:`main` here (through :mod:`lpsigning_mojo._hook`)
rather than the full CLI, so that a commit pays only for argparse and the
linter: no other command module is imported. Exit statuses: 0 clean
(warnings allowed unless ``--strict``), 1 errors, 2 usage errors, 3 an
unexpected failure (the traceback goes to a log file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from lpsigning_mojo.commands._help import add_command, add_format

__all__ = ["add_arguments", "main", "register", "run"]

_DESCRIPTION = (
    "Check Juju bundle templates and Mojo manifests, rendering each bundle for every stage. "
    "PATH may be a spec directory, a bundle template or a manifest (default: the current "
    "spec: $LPSIGNING_MOJO_SPEC, else the spec holding the current directory, or each "
    "spec/NAME of the repository holding it). Findings point at the template's line and "
    "column: 'path:line:col: CODE message'."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The lint options, shared by ``lpsigning-mojo lint`` and ``bundle-lint``."""
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="spec directories, bundle templates or manifests"
    )
    add_format(parser, "github", what="the findings and a summary; github: GitHub Actions "
               "annotations")  # fmt: skip
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    parser.add_argument(
        "--stage",
        action="append",
        dest="stages",
        metavar="STAGE",
        help="check only this stage (short or Mojo name); repeat for several",
    )


def register(subparsers: Any) -> None:
    """Add ``lint`` to the ``lpsigning-mojo`` command line."""
    parser = add_command(
        subparsers,
        "lint",
        help="check bundle templates and manifests for every stage",
        description=_DESCRIPTION,
        example=[
            ("lpsigning-mojo lint", "check the spec holding the current directory"),
            (
                "lpsigning-mojo lint spec/lp-signing/bundle.yaml --stage production --strict",
                "check the bundle for production only; warnings fail too",
            ),
            ("lpsigning-mojo lint --format json", "the findings, for a script"),
        ],
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Lint, print the report, and return the exit status."""
    from lpsigning_mojo.lint.report import format_report
    from lpsigning_mojo.lint.runner import lint_paths
    from lpsigning_mojo.mojospec.stages import stage_name

    stages = [stage_name(stage) for stage in args.stages] if args.stages else None
    report = lint_paths(args.paths, stages=stages)
    sys.stdout.write(format_report(report, args.format))
    return report.exit_code(strict=args.strict)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``bundle-lint`` console script."""
    parser = argparse.ArgumentParser(prog="bundle-lint", description=_DESCRIPTION)
    add_arguments(parser)
    args = parser.parse_args(argv)
    from lpsigning_mojo._boundary import guarded

    return guarded("bundle-lint", lambda: run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
