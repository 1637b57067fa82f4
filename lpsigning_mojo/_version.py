"""The package's version, at the bottom of the import graph.

Modules that need it (the Charmhub client's ``User-Agent``, ``--version``,
the crash log) import it from here, never from the package root, so no
import runs back up to ``lpsigning_mojo/__init__.py``.
"""

__version__ = "0.1.0.dev0"
