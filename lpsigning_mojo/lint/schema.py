"""Checks of a rendered bundle's shape and keys, on its positional view.

:func:`build_view` merges the documents (Juju overlays) into a
:class:`~lpsigning_mojo.bundle.overlay.BundleView` with the one overlay merge
the bundle model uses too, so the checks see what Juju deploys and every
value keeps its position; values of the wrong shape become findings.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from lpsigning_mojo.bundle.overlay import AppView, BundleView, entries, merge_documents
from lpsigning_mojo.bundle.schema import APPLICATION_KEYS, BUNDLE_KEYS, MACHINE_KEYS
from lpsigning_mojo.lint.problems import Problem, StageContext, at_node
from lpsigning_mojo.lint.registry import register
from lpsigning_mojo.suggest import did_you_mean
from lpsigning_mojo.yamlnodes import BOOL_TAG, INT_TAG

__all__ = ["build_view", "check_keys"]

STRUCTURE = register(
    "LSM008",
    "bundle-structure",
    severity="error",
    summary="A bundle value has the wrong type (a list where a mapping belongs, text for a "
    "number).",
    description="""Juju reads ``applications`` and ``machines`` as mappings, ``relations``
        as a list, ``num_units`` and ``scale`` as whole numbers, ``expose`` and ``trust`` as
        true or false, and ``options`` as a mapping. Anything else fails the deployment.""",
    fix="Give the value the type Juju expects.",
    example="applications:\n  nrpe:\n    charm: nrpe\n    num_units: two\n",
)
UNKNOWN_BUNDLE_KEY = register(
    "LSM101",
    "unknown-bundle-key",
    severity="error",
    summary="A top-level key that Juju's bundle schema does not define.",
    description="""Juju rejects bundles with keys outside its schema, which usually means a
        typing mistake (``application:`` for ``applications:``).""",
    fix="Use the key Juju knows (the message suggests the closest one), or remove it.",
    example="aplications:\n  nrpe:\n    charm: nrpe\n",
)
UNKNOWN_APPLICATION_KEY = register(
    "LSM102",
    "unknown-application-key",
    severity="error",
    summary="An application key that Juju's bundle schema does not define.",
    description="""An application takes ``charm``, ``channel``, ``revision``,
        ``num_units``, ``to``, ``options`` and the other keys of Juju's schema; anything else
        is a typing mistake that Juju rejects, or a value that is silently lost.""",
    fix="Use the key Juju knows (the message suggests the closest one), or remove it.",
    example="applications:\n  nrpe:\n    charm: nrpe\n    chanel: latest/stable\n",
)
UNKNOWN_MACHINE_KEY = register(
    "LSM103",
    "unknown-machine-key",
    severity="error",
    summary="A machine key that Juju's bundle schema does not define.",
    description="""A machine takes only ``constraints``, ``annotations``, ``series`` and
        ``base``.""",
    fix="Use the key Juju knows (the message suggests the closest one), or remove it.",
    example=(
        "applications:\n  nrpe:\n    charm: nrpe\n    num_units: 1\n    to: ['0']\n"
        "machines:\n  '0':\n    constraint: arch=amd64\n"
    ),
)


def build_view(documents: list[yaml.Node]) -> tuple[BundleView | None, list[Problem]]:
    """Merge the documents into one view; problems for values of the wrong shape."""
    view, shapes = merge_documents(documents)
    problems = [at_node(STRUCTURE.code, node, message) for node, message in shapes]
    if view is not None:
        for app in view.applications.values():
            problems.extend(_app_types(app))
    return view, problems


_TYPES: dict[str, tuple[str, str]] = {
    "num_units": (INT_TAG, "a whole number"),
    "scale": (INT_TAG, "a whole number"),
    "revision": (INT_TAG, "a whole number"),
    "expose": (BOOL_TAG, "true or false"),
    "trust": (BOOL_TAG, "true or false"),
}


def _app_types(app: AppView) -> Iterator[Problem]:
    for key, (tag, expected) in _TYPES.items():
        entry = app.get(key)
        if entry is None or entry.null:
            continue
        if not isinstance(entry.value, yaml.ScalarNode) or entry.value.tag != tag:
            shown = entry.value.value if isinstance(entry.value, yaml.ScalarNode) else "..."
            yield at_node(
                STRUCTURE.code, entry.value, f"{app.name}: {key} must be {expected}, not {shown!r}"
            )
    for key, expected_kind, expected in (
        ("options", yaml.MappingNode, "a mapping"),
        ("to", (yaml.SequenceNode, yaml.ScalarNode), "a list of placements"),
    ):
        entry = app.get(key)
        if entry is not None and not entry.null and not isinstance(entry.value, expected_kind):
            yield at_node(STRUCTURE.code, entry.value, f"{app.name}: {key} must be {expected}")


def check_keys(view: BundleView, context: StageContext) -> Iterator[Problem]:
    """Keys outside Juju's bundle schema, with the closest known key."""
    for name, entry in view.top.items():
        if name not in BUNDLE_KEYS:
            yield at_node(
                UNKNOWN_BUNDLE_KEY.code,
                entry.key,
                f"unknown bundle key {name!r}{did_you_mean(name, BUNDLE_KEYS)}",
            )
    for app in view.applications.values():
        for name, entry in app.fields.items():
            if name not in APPLICATION_KEYS:
                yield at_node(
                    UNKNOWN_APPLICATION_KEY.code,
                    entry.key,
                    f"unknown key {name!r} in application {app.name!r}"
                    f"{did_you_mean(name, APPLICATION_KEYS)}",
                )
    for machine_id, machine in view.machines.items():
        for name, entry in entries(machine.value).items():
            if name not in MACHINE_KEYS:
                yield at_node(
                    UNKNOWN_MACHINE_KEY.code,
                    entry.key,
                    f"unknown key {name!r} in machine {machine_id!r}"
                    f"{did_you_mean(name, MACHINE_KEYS)}",
                )
