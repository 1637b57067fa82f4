"""A positional view of a rendered bundle, and checks of its shape and keys.

:class:`BundleView` keeps YAML nodes rather than values, so every check can
point at the exact key or value it complains about. Later documents (Juju
overlays) are merged into the first, application by application and key by
key, as Juju merges them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import yaml

from lpsigning_mojo.bundle.schema import APPLICATION_KEYS, BUNDLE_KEYS, MACHINE_KEYS
from lpsigning_mojo.lint.problems import Problem, StageContext, at_node
from lpsigning_mojo.lint.registry import register

__all__ = ["AppView", "BundleView", "Entry", "build_view", "check_keys", "did_you_mean"]

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

_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_constructor = yaml.constructor.SafeConstructor()


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Entry:
    """A key of a mapping and its value, as nodes."""

    key: yaml.ScalarNode
    value: yaml.Node

    @property
    def null(self) -> bool:
        """Whether the value is empty (``key:`` alone, or ``null``)."""
        return isinstance(self.value, yaml.ScalarNode) and self.value.tag == _NULL


def entries(node: yaml.Node) -> dict[str, Entry]:
    """The scalar-keyed entries of a mapping node (later keys win)."""
    result: dict[str, Entry] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                result[str(key.value)] = Entry(key=key, value=value)
    return result


def scalar(entry: Entry | None) -> str | None:
    """The text of a scalar value, ``None`` when absent, null or not a scalar."""
    if entry is None or entry.null or not isinstance(entry.value, yaml.ScalarNode):
        return None
    return str(entry.value.value)


def integer(entry: Entry | None) -> int | None:
    """The whole-number value of an entry, ``None`` when absent or of another type."""
    if entry is None or not isinstance(entry.value, yaml.ScalarNode) or entry.value.tag != _INT:
        return None
    value: int = _constructor.construct_yaml_int(entry.value)
    return value


def boolean(entry: Entry | None) -> bool | None:
    """The true/false value of an entry, ``None`` when absent or of another type."""
    if entry is None or not isinstance(entry.value, yaml.ScalarNode) or entry.value.tag != _BOOL:
        return None
    value: bool = _constructor.construct_yaml_bool(entry.value)
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppView:
    """One application: its name, the node of its name, and its entries."""

    name: str
    key: yaml.ScalarNode
    fields: dict[str, Entry]

    def get(self, name: str) -> Entry | None:
        """The entry ``name`` of this application, if it has one."""
        return self.fields.get(name)

    @property
    def units(self) -> int:
        """``num_units`` (or ``scale``), 0 when neither is set."""
        value = integer(self.get("num_units"))
        if value is None:
            value = integer(self.get("scale"))
        return value or 0

    @property
    def options(self) -> dict[str, Entry]:
        """The entries of ``options``."""
        found = self.get("options")
        return entries(found.value) if found is not None else {}


@dataclasses.dataclass(frozen=True, kw_only=True)
class BundleView:
    """A rendered bundle as nodes: top-level keys, applications, machines, relations."""

    root: yaml.Node
    top: dict[str, Entry]
    applications: dict[str, AppView]
    machines: dict[str, Entry]
    relations: list[yaml.Node]
    saas: frozenset[str]


def build_view(documents: list[yaml.Node]) -> tuple[BundleView | None, list[Problem]]:
    """Merge the documents into one view; problems for values of the wrong shape."""
    problems: list[Problem] = []
    top: dict[str, Entry] = {}
    apps: dict[str, AppView] = {}
    machines: dict[str, Entry] = {}
    relations: list[yaml.Node] = []
    saas: set[str] = set()
    for document in documents:
        if not isinstance(document, yaml.MappingNode):
            what = "a list" if isinstance(document, yaml.SequenceNode) else "a single value"
            problems.append(
                at_node(
                    STRUCTURE.code,
                    document,
                    f"a bundle is a mapping (applications:, relations:, ...), not {what}",
                )
            )
            return None, problems
        for name, entry in entries(document).items():
            top[name] = entry
            if name == "applications":
                problems.extend(_merge_apps(apps, entry))
            elif name == "machines":
                problems.extend(
                    _expect(entry, yaml.MappingNode, "machines", "a mapping of machine ids")
                )
                machines.update(entries(entry.value))
            elif name == "relations":
                problems.extend(
                    _expect(entry, yaml.SequenceNode, "relations", "a list of endpoint pairs")
                )
                if isinstance(entry.value, yaml.SequenceNode):
                    relations.extend(entry.value.value)
            elif name == "saas":
                saas.update(entries(entry.value))
    for app in apps.values():
        problems.extend(_app_types(app))
    view = BundleView(
        root=documents[0],
        top=top,
        applications=apps,
        machines=machines,
        relations=relations,
        saas=frozenset(saas),
    )
    return view, problems


def _expect(entry: Entry, kind: type[yaml.Node], what: str, expected: str) -> Iterator[Problem]:
    if not entry.null and not isinstance(entry.value, kind):
        yield at_node(STRUCTURE.code, entry.value, f"{what} must be {expected}")


def _merge_apps(apps: dict[str, AppView], entry: Entry) -> Iterator[Problem]:
    if entry.null:
        return
    if not isinstance(entry.value, yaml.MappingNode):
        yield at_node(
            STRUCTURE.code, entry.value, "applications must be a mapping of application names"
        )
        return
    for name, app in entries(entry.value).items():
        if not app.null and not isinstance(app.value, yaml.MappingNode):
            yield at_node(
                STRUCTURE.code,
                app.value,
                f"application {name!r} must be a mapping (charm:, channel:, ...)",
            )
            continue
        previous = apps.get(name)
        fields = dict(previous.fields) if previous else {}
        fields.update(entries(app.value))
        apps[name] = AppView(name=name, key=previous.key if previous else app.key, fields=fields)


_TYPES: dict[str, tuple[str, str]] = {
    "num_units": (_INT, "a whole number"),
    "scale": (_INT, "a whole number"),
    "revision": (_INT, "a whole number"),
    "expose": (_BOOL, "true or false"),
    "trust": (_BOOL, "true or false"),
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
