"""``lpsigning-mojo config``: the effective configuration and where each value came from."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._table import print_json, print_table

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``config``."""
    parser = add_command(
        subparsers,
        "config",
        help="show the effective configuration (secrets masked) and where each value came from",
        description=(
            "Show every setting of lpsigning-mojo: its value (secrets masked), and whether it "
            "came from the configuration file ($XDG_CONFIG_HOME/lpsigning-mojo/config.toml, "
            "or the file $LPSIGNING_MOJO_CONFIG names), from an environment variable (which "
            "overrides the file), or is the default."
        ),
        example=[
            ("lpsigning-mojo config", "every setting, its value and where it came from"),
            (
                "LPSIGNING_MOJO_SOAK_MINUTES=30 lpsigning-mojo config --format json",
                "the same with an environment variable set, for a script",
            ),
        ],
    )
    add_format(parser, what="every setting, secrets masked")
    parser.set_defaults(handler=_config)


def _config(args: argparse.Namespace) -> int:
    from lpsigning_mojo.config import SETTINGS, Config, describe

    config = Config.load()
    if args.format == "json":
        print_json(config.to_json())
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
