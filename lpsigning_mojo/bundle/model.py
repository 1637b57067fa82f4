"""The Juju bundle as frozen values that know where each value came from.

Field names follow Juju's bundle format (``num_units``, ``default-base`` as
``default_base``). Keys Juju does not know are kept in ``extra``, never
dropped (bundle-lint reports them). Positions (``line`` and ``positions``)
refer to the text the bundle was read from and take no part in equality, so
two bundles with the same content compare equal. A bundle of several YAML
documents is built from the one overlay merge,
:func:`lpsigning_mojo.bundle.overlay.merge_documents`, that bundle-lint
checks too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import yaml

from lpsigning_mojo.bundle.overlay import AppView, BundleView, Entry, merge_documents
from lpsigning_mojo.bundle.schema import APPLICATION_KEYS, BUNDLE_KEYS, MACHINE_KEYS
from lpsigning_mojo.errors import YamlError
from lpsigning_mojo.yamlnodes import (
    ComposeError,
    compose,
    construct_documents,
    duplicate_keys,
    position,
)

__all__ = [
    "APPLICATION_KEYS",
    "BUNDLE_KEYS",
    "MACHINE_KEYS",
    "Application",
    "Bundle",
    "Machine",
    "Position",
    "Relation",
    "read_documents",
]


@attrs.frozen(kw_only=True)
class Position:
    """A 1-based line and column in the text a bundle was read from."""

    line: int
    column: int


def _positions() -> Mapping[str, Position]:
    return {}


@attrs.frozen(kw_only=True)
class Application:
    """One application of a bundle."""

    name: str
    charm: str | None = None
    channel: str | None = None
    revision: int | None = None
    series: str | None = None
    base: str | None = None
    num_units: int | None = None
    scale: int | None = None
    to: tuple[str, ...] = ()
    expose: bool | None = None
    exposed_endpoints: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)
    constraints: str | None = None
    resources: Mapping[str, Any] = attrs.field(factory=dict)
    annotations: Mapping[str, Any] = attrs.field(factory=dict)
    bindings: Mapping[str, Any] = attrs.field(factory=dict)
    storage: Mapping[str, Any] = attrs.field(factory=dict)
    trust: bool | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    #: Every key as written, Juju's and unknown ones, with their values.
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    line: int | None = attrs.field(default=None, eq=False)
    #: Where each value starts, by key as in ``raw`` (options as ``options.KEY``).
    positions: Mapping[str, Position] = attrs.field(factory=_positions, eq=False, repr=False)

    @property
    def build_label(self) -> str | None:
        """The lp-signing payload build (the ``build_label`` option), if set."""
        value = self.options.get("build_label")
        return None if value is None else str(value)

    @property
    def subordinate(self) -> bool:
        """Whether the application looks subordinate (no units, no placement)."""
        return self.num_units is None and self.scale is None and not self.to

    def to_json(self) -> dict[str, object]:
        """What the application deploys, for ``--format json`` (``bundle show``,
        ``status``'s ``pinned``, ``spec plan``'s rendered bundles): ``application``
        (its name), ``charm``, ``channel``, ``revision``, ``num_units`` and
        ``build_label``, ``null`` where the bundle sets none."""
        return {
            "application": self.name,
            "charm": self.charm,
            "channel": self.channel,
            "revision": self.revision,
            "num_units": self.num_units,
            "build_label": self.build_label,
        }

    def with_revision(self, revision: int) -> Application:
        """This application with ``revision`` set (the model side of an edit)."""
        return attrs.evolve(self, revision=revision)

    def with_channel(self, channel: str) -> Application:
        """This application with ``channel`` set."""
        return attrs.evolve(self, channel=channel)

    def with_option(self, key: str, value: Any) -> Application:
        """This application with option ``key`` set to ``value``."""
        return attrs.evolve(self, options={**self.options, key: value})


@attrs.frozen(kw_only=True)
class Machine:
    """A machine a bundle defines for placements (``to: ["0"]``)."""

    id: str
    constraints: str | None = None
    series: str | None = None
    base: str | None = None
    annotations: Mapping[str, Any] = attrs.field(factory=dict)
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    line: int | None = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class Relation:
    """A relation between endpoints (``app`` or ``app:endpoint``)."""

    endpoints: tuple[str, ...]
    line: int | None = attrs.field(default=None, eq=False)

    @property
    def applications(self) -> tuple[str, ...]:
        """The application names the endpoints belong to."""
        return tuple(endpoint.split(":", 1)[0] for endpoint in self.endpoints)


@attrs.frozen(kw_only=True)
class Bundle:
    """A Juju bundle, read from YAML text (or a rendered template)."""

    applications: Mapping[str, Application] = attrs.field(factory=dict)
    machines: Mapping[str, Machine] = attrs.field(factory=dict)
    relations: tuple[Relation, ...] = ()
    series: str | None = None
    default_base: str | None = None
    saas: Mapping[str, Any] = attrs.field(factory=dict)
    bundle_type: str | None = None
    name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    source: str | None = attrs.field(default=None, eq=False)
    #: How many YAML documents (base plus overlays) were merged.
    documents: int = attrs.field(default=1, eq=False)

    @classmethod
    def from_text(cls, text: str, *, source: str | None = None) -> Bundle:
        """Read a bundle from YAML text; later documents are overlays on the first.

        Raises :class:`~lpsigning_mojo.errors.YamlError` with the position for
        invalid YAML, duplicate keys, alias bombs, or values of the wrong type.
        """
        documents = read_documents(text, path=source)
        if not documents:
            raise YamlError("the bundle is empty", path=source, hint="add an applications mapping")
        try:
            return _build(documents, source)
        except YamlError as error:
            if error.path is None and source is not None:
                raise YamlError(
                    error.message,
                    path=source,
                    line=error.line,
                    column=error.column,
                    hint=error.hint,
                ) from None
            raise

    def application(self, name: str) -> Application:
        """The application called ``name``; an error lists the ones there are."""
        from lpsigning_mojo.errors import UnknownApplicationError
        from lpsigning_mojo.suggest import did_you_mean

        try:
            return self.applications[name]
        except KeyError:
            known = ", ".join(sorted(self.applications)) or "none"
            raise UnknownApplicationError(
                f"the bundle has no application {name!r}"
                f"{did_you_mean(name, self.applications)}; its applications are: {known}",
                path=self.source,
            ) from None

    def replace_application(self, application: Application) -> Bundle:
        """This bundle with ``application`` in place of the one of its name."""
        return attrs.evolve(self, applications={**self.applications, application.name: application})


# -- building ---------------------------------------------------------------


_HINTS = {
    "syntax": ("YAML syntax error: ", "fix the YAML at that position"),
    "character": ("not valid YAML: ", "remove that character"),
    "expansion": ("", "write the values out instead of nesting aliases"),
}


def read_documents(text: str, *, path: str | None = None) -> list[yaml.Node]:
    """The YAML documents of a bundle's text (empty ones skipped), as nodes.

    Aliases are allowed within bounds (see :func:`lpsigning_mojo.yamlnodes.compose`).
    Raises :class:`~lpsigning_mojo.errors.YamlError` with the position for a
    syntax error, a character YAML does not allow, an alias bomb, or a
    duplicate key.
    """
    try:
        documents = compose(text, aliases="bounded")
    except ComposeError as fault:
        prefix, hint = _HINTS[fault.kind]
        raise YamlError(
            prefix + fault.message, path=path, line=fault.line, column=fault.column, hint=hint
        ) from None
    for document in documents:
        for key, first in duplicate_keys(document):
            line, column = position(key)
            raise YamlError(
                f"duplicate key {key.value!r} (first at line {position(first)[0]}); "
                "YAML loaders silently keep only the last one",
                related_line=position(first)[0],
                path=path,
                line=line,
                column=column,
                hint="remove one of them",
            )
    return documents


def _fail(message: str, node: yaml.Node) -> YamlError:
    line, column = position(node)
    return YamlError(message, line=line, column=column)


#: The fields checked for a type, by the type they hold: what a user must write instead.
_EXPECTED = {int: "a whole number", bool: "true or false"}


def _typed(value: Any, kind: type, what: str, node: yaml.Node) -> Any:
    if value is None:
        return None
    # YAML's true is a bool, which Python counts as an int: no revision or count.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _fail(f"{what} must be {_EXPECTED[kind]}, not {value!r}", node)
    return value


def _mapping(value: Any, what: str, node: yaml.Node) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(f"{what} must be a mapping", node)
    return value


def _build(documents: list[yaml.Node], source: str | None) -> Bundle:
    values = construct_documents(documents)
    view, shapes = merge_documents(documents)
    if shapes:
        node, message = shapes[0]
        raise _fail(message, node)
    assert view is not None
    top = {key: values[entry.value] for key, entry in view.top.items()}
    extra = {key: value for key, value in top.items() if key not in BUNDLE_KEYS}
    tags = top.get("tags")
    if tags is None:
        tags = []
    return Bundle(
        applications={name: _application(app, values) for name, app in view.applications.items()},
        machines={machine.id: machine for machine in _machines(view, values)},
        relations=tuple(_relations(view, values)),
        series=_str_or_none(top.get("series")),
        default_base=_str_or_none(top.get("default-base")),
        saas={name: _values(fields, values) for name, fields in view.saas.items()},
        bundle_type=_str_or_none(top.get("bundle")),
        name=_str_or_none(top.get("name")),
        description=_str_or_none(top.get("description")),
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (str(tags),),
        extra=extra,
        source=source,
        documents=view.documents,
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _values(entries: Mapping[str, Entry], values: Mapping[yaml.Node, Any]) -> dict[str, Any]:
    return {key: values[entry.value] for key, entry in entries.items()}


def _application(app: AppView, values: Mapping[yaml.Node, Any]) -> Application:
    name = app.name
    raw: dict[str, Any] = {}
    positions: dict[str, Position] = {}
    for key, entry in app.fields.items():
        line, column = position(entry.value)
        positions[key] = Position(line=line, column=column)
        raw[key] = _values(app.maps[key], values) if key in app.maps else values[entry.value]
    for option, entry in app.options.items():
        line, column = position(entry.value)
        positions[f"options.{option}"] = Position(line=line, column=column)

    def node(key: str) -> yaml.Node:
        entry = app.get(key)
        return entry.value if entry is not None else app.key

    def field(key: str, kind: type) -> Any:
        return _typed(raw.get(key), kind, f"{name}: {key}", node(key))

    to = raw.get("to")
    if to is None:
        placements: tuple[str, ...] = ()
    elif isinstance(to, list):
        placements = tuple(str(item) for item in to)
    else:
        placements = (str(to),)
    constraints = raw.get("constraints")
    return Application(
        name=name,
        charm=_str_or_none(raw.get("charm")),
        channel=_str_or_none(raw.get("channel")),
        revision=field("revision", int),
        series=_str_or_none(raw.get("series")),
        base=_str_or_none(raw.get("base")),
        num_units=field("num_units", int),
        scale=field("scale", int),
        to=placements,
        expose=field("expose", bool),
        exposed_endpoints=raw.get("exposed-endpoints"),
        options=_mapping(raw.get("options"), f"{name}: options", node("options")),
        constraints=None if constraints is None else str(constraints),
        resources=_mapping(raw.get("resources"), f"{name}: resources", node("resources")),
        annotations=_mapping(raw.get("annotations"), f"{name}: annotations", node("annotations")),
        bindings=_mapping(raw.get("bindings"), f"{name}: bindings", node("bindings")),
        storage=_mapping(raw.get("storage"), f"{name}: storage", node("storage")),
        trust=field("trust", bool),
        extra={key: value for key, value in raw.items() if key not in APPLICATION_KEYS},
        raw=raw,
        line=app.key.start_mark.line + 1,
        positions=positions,
    )


def _machines(view: BundleView, values: Mapping[yaml.Node, Any]) -> Iterator[Machine]:
    for machine_id, entry in view.machines.items():
        # The overlay merge refused a machine that is neither a mapping nor empty.
        raw = values[entry.value] or {}
        yield Machine(
            id=machine_id,
            constraints=_str_or_none(raw.get("constraints")),
            series=_str_or_none(raw.get("series")),
            base=_str_or_none(raw.get("base")),
            annotations=_mapping(
                raw.get("annotations"), f"machine {machine_id!r}: annotations", entry.value
            ),
            extra={key: value for key, value in raw.items() if key not in MACHINE_KEYS},
            line=entry.key.start_mark.line + 1,
        )


def _relations(view: BundleView, values: Mapping[yaml.Node, Any]) -> Iterator[Relation]:
    for item in view.relations:
        value = values[item]
        if isinstance(value, list):
            endpoints = tuple(str(endpoint) for endpoint in value)
        else:
            endpoints = (str(value),)
        yield Relation(endpoints=endpoints, line=item.start_mark.line + 1)
