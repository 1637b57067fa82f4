"""The keys of Juju's bundle schema, as constants that cost nothing to import.

:mod:`lpsigning_mojo.bundle.model` builds bundles with them, and the lint
hook checks keys against them without importing the model.
"""

from __future__ import annotations

__all__ = ["APPLICATION_KEYS", "BUNDLE_KEYS", "MACHINE_KEYS"]

#: Top-level keys of Juju's bundle schema.
BUNDLE_KEYS = frozenset(
    {
        "bundle",
        "applications",
        "machines",
        "saas",
        "series",
        "default-base",
        "relations",
        "tags",
        "description",
        "name",
    }
)
#: Application keys of Juju's bundle schema.
APPLICATION_KEYS = frozenset(
    {
        "charm",
        "channel",
        "revision",
        "series",
        "base",
        "resources",
        "num_units",
        "scale",
        "to",
        "placement",
        "expose",
        "exposed-endpoints",
        "options",
        "annotations",
        "constraints",
        "storage",
        "devices",
        "bindings",
        "offers",
        "plan",
        "trust",
    }
)
#: Machine keys of Juju's bundle schema.
MACHINE_KEYS = frozenset({"constraints", "annotations", "series", "base"})
