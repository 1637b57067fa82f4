"""``lpsigning-mojo config``: the effective configuration and where each value came from."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lpsigning_mojo.commands._table import print_table

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``config``."""
    parser = subparsers.add_parser(
        "config",
        help="show the effective configuration (secrets masked) and where each value came from",
        description=(
            "Show every setting of lpsigning-mojo: its value (secrets masked), and whether it "
            "came from the configuration file ($XDG_CONFIG_HOME/lpsigning-mojo/config.toml, "
            "or the file $LPSIGNING_MOJO_CONFIG names), from an environment variable (which "
            "overrides the file), or is the default."
        ),
        epilog=(
            "examples:\n"
            "  lpsigning-mojo config\n"
            "  LPSIGNING_MOJO_SOAK_MINUTES=30 lpsigning-mojo config --format json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json for scripts",
    )
    parser.set_defaults(handler=_config)


def _config(args: argparse.Namespace) -> int:
    from lpsigning_mojo.config import SETTINGS, Config, describe

    config = Config.load()
    if args.format == "json":
        json.dump(config.to_json(), sys.stdout, indent=2)
        print()
        return 0
    state = "" if config.path.is_file() else " (no such file: defaults and environment only)"
    print(f"Configuration file: {config.path}{state}")
    print_table([("KEY", "VALUE", "FROM"), *describe(config)])
    print()
    print("Environment variables override the file:")
    print_table([(setting.env, setting.key) for setting in SETTINGS])
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
