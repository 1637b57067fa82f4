"""Juju's overlay merge, on YAML nodes: a bundle's later documents onto its first.

A bundle of several YAML documents is a base and overlays, and Juju merges
each overlay onto the result so far (``ReadAndMergeBundleData`` in Juju's
charm library). :func:`merge_documents` applies the same rules to composed
nodes, so the linter keeps the position of every value and the bundle model
builds its values from the result:

* ``applications``: an application written as ``name:`` (null) is removed,
  with every relation of two endpoints that names it. A new application is
  added whole. An application defined before is merged field by field:
  a field the overlay writes replaces the one before (``charm``, ``channel``,
  ``revision``, ``num_units``, ``to``, ``expose``, ``trust``, ...; a null
  value clears it), except the mapping fields (:data:`MAP_FIELDS`:
  ``options``, ``annotations``, ``resources``, ...), which merge key by key.
  A null or empty mapping clears such a field; a null value inside it
  removes that key (for ``options``, ``resources``, ``offers`` and
  ``exposed-endpoints``; the string maps keep it, as Juju reads it as "").
* ``saas``: as applications (null removes the offer and its relations).
* ``relations``: the overlay's are appended.
* ``machines``: an overlay that writes ``machines`` (even ``{}``) replaces
  them all; ``machines:`` alone (null) leaves them.
* ``series``: an overlay's non-empty ``series`` replaces the base's. Juju
  ignores the other top-level keys of an overlay (``default-base``,
  ``description``, ``name``, ``tags``, ``bundle``); keys outside Juju's
  schema are kept, the last one written winning, so they can be reported.

Empty documents are skipped before this (see :func:`lpsigning_mojo.yamlnodes.compose`).
The classes are stdlib dataclasses: the lint hook imports this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import yaml

from lpsigning_mojo.bundle.schema import BUNDLE_KEYS
from lpsigning_mojo.yamlnodes import BOOL_TAG, INT_TAG, NULL_TAG, mapping_items, scalar_value

__all__ = [
    "MAP_FIELDS",
    "AppView",
    "BundleView",
    "Entry",
    "Shape",
    "boolean",
    "entries",
    "integer",
    "merge_documents",
    "scalar",
]

#: Application fields that are mappings, which overlays merge key by key.
MAP_FIELDS = frozenset(
    {
        "annotations",
        "bindings",
        "devices",
        "exposed-endpoints",
        "offers",
        "options",
        "resources",
        "storage",
    }
)
#: The mapping fields whose keys an overlay removes with a null value.
_NULL_REMOVES = frozenset({"exposed-endpoints", "offers", "options", "resources"})

#: Top-level keys every document may write: merged by their own rules.
_MERGED = frozenset({"applications", "saas", "machines", "relations"})

#: A value of the wrong shape met while merging: the node, and what it must be.
Shape = tuple[yaml.Node, str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Entry:
    """A key of a mapping and its value, as nodes."""

    key: yaml.ScalarNode
    value: yaml.Node

    @property
    def null(self) -> bool:
        """Whether the value is empty (``key:`` alone, or ``null``)."""
        return isinstance(self.value, yaml.ScalarNode) and self.value.tag == NULL_TAG


def entries(node: yaml.Node) -> dict[str, Entry]:
    """The scalar-keyed entries of a mapping node (merge keys expanded; later keys win)."""
    return {name: Entry(key=key, value=value) for name, key, value in mapping_items(node)}


def scalar(entry: Entry | None) -> str | None:
    """The text of a scalar value, ``None`` when absent, null or not a scalar."""
    if entry is None or entry.null or not isinstance(entry.value, yaml.ScalarNode):
        return None
    return str(entry.value.value)


def _typed(entry: Entry | None, tag: str) -> object:
    if entry is None or not isinstance(entry.value, yaml.ScalarNode) or entry.value.tag != tag:
        return None
    try:
        return scalar_value(entry.value)
    except ValueError:  # ``!!int nope``
        return None


def integer(entry: Entry | None) -> int | None:
    """The whole-number value of an entry, ``None`` when absent or of another type."""
    value = _typed(entry, INT_TAG)
    return value if isinstance(value, int) else None


def boolean(entry: Entry | None) -> bool | None:
    """The true/false value of an entry, ``None`` when absent or of another type."""
    value = _typed(entry, BOOL_TAG)
    return value if isinstance(value, bool) else None


def _mapping_or_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) or (
        isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG
    )


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class AppView:
    """One application after the merge: its name, the node of its name, its entries.

    ``fields`` holds every key as last written. ``maps`` holds the mapping
    fields (:data:`MAP_FIELDS`) merged key by key, for each one whose last
    value is a mapping, or that an overlay cleared.
    """

    name: str
    key: yaml.ScalarNode  # where the application is first defined
    fields: dict[str, Entry]
    maps: dict[str, dict[str, Entry]]

    def get(self, name: str) -> Entry | None:
        """The entry ``name`` of this application, if it has one."""
        return self.fields.get(name)

    def map(self, name: str) -> dict[str, Entry]:
        """The merged entries of the mapping field ``name`` (empty when it has none)."""
        return self.maps.get(name, {})

    @property
    def options(self) -> dict[str, Entry]:
        """The merged entries of ``options``."""
        return self.map("options")

    @property
    def charm(self) -> str | None:
        """The ``charm`` as written, ``None`` when absent or not text."""
        return scalar(self.get("charm"))

    @property
    def channel(self) -> str | None:
        """The ``channel`` as written, ``None`` when absent or not text."""
        return scalar(self.get("channel"))

    @property
    def revision(self) -> int | None:
        """The ``revision``, ``None`` when absent or not a whole number."""
        return integer(self.get("revision"))

    @property
    def units(self) -> int:
        """``num_units`` (or ``scale``), 0 when neither is set."""
        value = integer(self.get("num_units"))
        if value is None:
            value = integer(self.get("scale"))
        return value or 0


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class BundleView:
    """A bundle as nodes once its overlays are merged.

    ``top`` holds the top-level keys that count (see the module's rules);
    ``root`` is the first document and ``documents`` how many were merged.
    """

    root: yaml.Node
    documents: int
    top: dict[str, Entry]
    applications: dict[str, AppView]
    saas: dict[str, dict[str, Entry]]
    machines: dict[str, Entry]
    relations: list[yaml.Node]


class _Merge:
    def __init__(self) -> None:
        self.top: dict[str, Entry] = {}
        self.applications: dict[str, AppView] = {}
        self.saas: dict[str, dict[str, Entry]] = {}
        self.machines: dict[str, Entry] = {}
        self.relations: list[yaml.Node] = []
        self.shapes: list[Shape] = []

    def document(self, document: yaml.Node, *, overlay: bool) -> None:
        items = entries(document)
        for name, entry in items.items():
            if not overlay or self._counts(name, entry):
                self.top[name] = entry
        # Juju's order: applications, saas, series, relations, machines.
        if "applications" in items:
            self._named(items["applications"], self._application, "applications", overlay)
        if "saas" in items:
            self._named(items["saas"], self._offer, "saas", overlay)
        relations = items.get("relations")
        if relations is not None and not relations.null:
            if isinstance(relations.value, yaml.SequenceNode):
                self.relations.extend(relations.value.value)
            else:
                self.shapes.append((relations.value, "relations must be a list of endpoint pairs"))
        machines = items.get("machines")
        if machines is not None and not machines.null:
            if isinstance(machines.value, yaml.MappingNode):
                self.machines = entries(machines.value)
                for machine_id, machine in self.machines.items():
                    if not _mapping_or_null(machine.value):
                        self.shapes.append(
                            (machine.value, f"machine {machine_id!r} must be a mapping")
                        )
            else:
                self.shapes.append((machines.value, "machines must be a mapping of machine ids"))

    @staticmethod
    def _counts(name: str, entry: Entry) -> bool:
        """Whether an overlay's top-level ``name`` replaces the one before."""
        if name == "series":  # only a non-empty one
            return not entry.null and scalar(entry) != ""
        return name in _MERGED or name not in BUNDLE_KEYS  # Juju ignores the others

    def _named(
        self, entry: Entry, merge: Callable[[str, Entry, bool], None], what: str, overlay: bool
    ) -> None:
        if entry.null:
            return
        if not isinstance(entry.value, yaml.MappingNode):
            names = "application names" if what == "applications" else "offer names"
            self.shapes.append((entry.value, f"{what} must be a mapping of {names}"))
            return
        for name, item in entries(entry.value).items():
            merge(name, item, overlay)

    def _application(self, name: str, entry: Entry, overlay: bool) -> None:
        if overlay and entry.null:  # Juju drops the relations even of a name it never saw
            self.applications.pop(name, None)
            self._remove_relations(name)
            return
        if not _mapping_or_null(entry.value):
            self.shapes.append(
                (entry.value, f"application {name!r} must be a mapping (charm:, channel:, ...)")
            )
            return
        written = entries(entry.value)
        previous = self.applications.get(name)
        if previous is None:
            maps = {
                key: entries(field.value)
                for key, field in written.items()
                if key in MAP_FIELDS and isinstance(field.value, yaml.MappingNode)
            }
            self.applications[name] = AppView(name=name, key=entry.key, fields=written, maps=maps)
            return
        fields, maps = dict(previous.fields), dict(previous.maps)
        for key, field in written.items():
            fields[key] = field
            if key not in MAP_FIELDS:
                continue
            if field.null or (isinstance(field.value, yaml.MappingNode) and not field.value.value):
                maps[key] = {}
            elif isinstance(field.value, yaml.MappingNode):
                merged = dict(maps.get(key, {}))
                for item_name, item in entries(field.value).items():
                    if item.null and key in _NULL_REMOVES:
                        merged.pop(item_name, None)
                    else:
                        merged[item_name] = item
                maps[key] = merged
            else:  # the wrong type: the type checks report the field as written
                maps.pop(key, None)
        self.applications[name] = AppView(name=name, key=previous.key, fields=fields, maps=maps)

    def _offer(self, name: str, entry: Entry, overlay: bool) -> None:
        if overlay and entry.null:
            self.saas.pop(name, None)
            self._remove_relations(name)
            return
        if not _mapping_or_null(entry.value):
            self.shapes.append((entry.value, f"saas {name!r} must be a mapping (url: ...)"))
            return
        self.saas[name] = {**self.saas.get(name, {}), **entries(entry.value)}

    def _remove_relations(self, name: str) -> None:
        def names(item: yaml.Node) -> bool:
            if not isinstance(item, yaml.SequenceNode) or len(item.value) != 2:
                return False  # Juju keeps an odd relation for its verifier to report
            ends = [str(end.value) for end in item.value if isinstance(end, yaml.ScalarNode)]
            return any(end == name or end.startswith(f"{name}:") for end in ends)

        self.relations = [item for item in self.relations if not names(item)]


def merge_documents(documents: Sequence[yaml.Node]) -> tuple[BundleView | None, list[Shape]]:
    """Merge a bundle's documents as Juju does; the values of the wrong shape met on the way.

    The view is ``None`` when a document is not a mapping (then nothing can
    be merged) or there are no documents.
    """
    merge = _Merge()
    for index, document in enumerate(documents):
        if not isinstance(document, yaml.MappingNode):
            what = "a list" if isinstance(document, yaml.SequenceNode) else "a single value"
            message = (
                f"a bundle must be a YAML mapping (applications:, relations:, ...), not {what}"
            )
            return None, [*merge.shapes, (document, message)]
        merge.document(document, overlay=index > 0)
    if not documents:
        return None, []
    view = BundleView(
        root=documents[0],
        documents=len(documents),
        top=merge.top,
        applications=merge.applications,
        saas=merge.saas,
        machines=merge.machines,
        relations=merge.relations,
    )
    return view, merge.shapes
