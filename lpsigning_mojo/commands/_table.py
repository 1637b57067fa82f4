"""Output for people and scripts: aligned tables, and JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

__all__ = ["print_json", "print_table"]


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Print ``rows`` (the first is the header) in aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def print_json(data: object) -> None:
    """Print ``data`` (a report's ``to_json()``) as indented JSON, for ``--format json``."""
    json.dump(data, sys.stdout, indent=2, default=str)
    print()
