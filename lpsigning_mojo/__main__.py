"""``python -m lpsigning_mojo``: the same as the ``lpsigning-mojo`` command."""

import sys

from lpsigning_mojo.cli import main

sys.exit(main())
