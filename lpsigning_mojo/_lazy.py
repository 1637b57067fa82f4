"""Names a package exports but imports from their modules on first use (PEP 562).

A package's ``__init__`` lists where each of its names lives and gets its
``__getattr__`` and ``__dir__`` from :func:`lazy_names`, so importing the
package stays cheap (the lint hook, a command's parser) and a name's module,
with what it imports (attrs, Jinja2, paramiko), is loaded only when a caller
uses that name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, sources: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    ``sources`` maps each name to its module, relative to the package
    (``"diff"``, ``"external.juju"``). A name is imported on first use and
    then kept in the package, so later uses cost nothing.
    """

    def __getattr__(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(sources))

    return __getattr__, __dir__
