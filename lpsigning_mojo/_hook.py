"""The ``bundle-lint`` console script, kept apart so it starts as fast as it can.

A hook runs on every commit, so start-up matters. The cyclic garbage
collector is switched off before anything is imported (imports allocate
much and free little; reference counting frees the rest), and the process
ends with ``os._exit`` once its output is flushed, skipping the
interpreter's teardown. Only the linter and argparse are imported.
"""

from __future__ import annotations

import gc
import os
import sys


def entry() -> None:
    """Run ``bundle-lint`` and exit with its status."""
    gc.disable()
    from lpsigning_mojo.commands.lint import main

    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        status = status or 1
    os._exit(status)
