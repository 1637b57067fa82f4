"""lpsigning-mojo: deploy lp-signing, Launchpad's signing service, with Mojo and Juju.

The public API is what ``__all__`` lists. Importing this package is cheap: it
imports nothing heavy (no paramiko, launchpadlib or juju), so the lint hook
stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"

from lpsigning_mojo.errors import (
    BundleError,
    EditError,
    FileAccessError,
    LpsigningMojoError,
    TemplateError,
    UnknownApplicationError,
    UsageError,
    YamlError,
)

__all__ = [
    "BundleError",
    "EditError",
    "FileAccessError",
    "LpsigningMojoError",
    "TemplateError",
    "UnknownApplicationError",
    "UsageError",
    "YamlError",
    "__version__",
]
