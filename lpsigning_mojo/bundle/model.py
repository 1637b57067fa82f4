"""The Juju bundle as frozen values that know where each value came from.

Field names follow Juju's bundle format (``num_units``, ``default-base`` as
``default_base``). Keys Juju does not know are kept in ``extra`` and listed
by :meth:`Bundle.unknown_keys`, never dropped. Positions (``line`` and
``positions``) refer to the text the bundle was read from and take no part
in equality, so two bundles with the same content compare equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import yaml

from lpsigning_mojo.bundle.schema import APPLICATION_KEYS, BUNDLE_KEYS, MACHINE_KEYS
from lpsigning_mojo.bundle.yamlnodes import compose_documents, construct, mapping_items, position
from lpsigning_mojo.errors import YamlError

__all__ = [
    "APPLICATION_KEYS",
    "BUNDLE_KEYS",
    "MACHINE_KEYS",
    "Application",
    "Bundle",
    "Machine",
    "Position",
    "Relation",
    "UnknownKey",
]


@attrs.frozen(kw_only=True)
class Position:
    """A 1-based line and column in the text a bundle was read from."""

    line: int
    column: int


@attrs.frozen(kw_only=True)
class UnknownKey:
    """A key Juju's bundle schema does not define, kept where it was found."""

    where: str  # "bundle", "application NAME" or "machine ID"
    key: str
    position: Position | None


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
    """A Juju bundle, read from YAML (or rendered template) text or a mapping."""

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
    key_positions: Mapping[str, Position] = attrs.field(factory=_positions, eq=False, repr=False)

    @classmethod
    def from_text(cls, text: str, *, source: str | None = None) -> Bundle:
        """Read a bundle from YAML text; later documents are overlays on the first.

        Raises :class:`~lpsigning_mojo.errors.YamlError` with the position for
        invalid YAML, duplicate keys, alias bombs, or values of the wrong type.
        """
        documents = compose_documents(text, path=source)
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

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str | None = None) -> Bundle:
        """Build a bundle from an already-parsed mapping (no positions)."""
        text = yaml.safe_dump(dict(data), sort_keys=False)
        return attrs.evolve(cls.from_text(text, source=source), key_positions={})

    def application(self, name: str) -> Application:
        """The application called ``name``; an error lists the ones there are."""
        from lpsigning_mojo.errors import UnknownApplicationError

        try:
            return self.applications[name]
        except KeyError:
            known = ", ".join(sorted(self.applications)) or "none"
            raise UnknownApplicationError(
                f"the bundle has no application {name!r} (it has: {known})",
                path=self.source,
            ) from None

    def replace_application(self, application: Application) -> Bundle:
        """This bundle with ``application`` in place of the one of its name."""
        return attrs.evolve(self, applications={**self.applications, application.name: application})

    def unknown_keys(self) -> Iterator[UnknownKey]:
        """Keys outside Juju's bundle schema, where they were found."""
        for key in self.extra:
            yield UnknownKey(where="bundle", key=key, position=self.key_positions.get(key))
        for app in self.applications.values():
            for key in app.extra:
                yield UnknownKey(
                    where=f"application {app.name}", key=key, position=app.positions.get(key)
                )
        for machine in self.machines.values():
            for key in machine.extra:
                yield UnknownKey(where=f"machine {machine.id}", key=key, position=None)


# -- building ---------------------------------------------------------------


def _fail(message: str, node: yaml.Node) -> YamlError:
    line, column = position(node)
    return YamlError(message, line=line, column=column)


def _typed(value: Any, kind: type | tuple[type, ...], what: str, node: yaml.Node) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) and kind is int:
        raise _fail(f"{what} must be a whole number, not {value!r}", node)
    if not isinstance(value, kind):
        expected = {int: "a whole number", str: "a string", bool: "true or false"}.get(
            kind if isinstance(kind, type) else str, "a mapping"
        )
        raise _fail(f"{what} must be {expected}, not {value!r}", node)
    return value


def _mapping(value: Any, what: str, node: yaml.Node) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(f"{what} must be a mapping", node)
    return value


def _build(documents: list[yaml.Node], source: str | None) -> Bundle:
    apps: dict[str, Application] = {}
    machines: dict[str, Machine] = {}
    relations: list[Relation] = []
    top: dict[str, Any] = {}
    key_positions: dict[str, Position] = {}
    for document in documents:
        if not isinstance(document, yaml.MappingNode):
            raise _fail(
                "a bundle must be a YAML mapping (applications:, relations:, ...)", document
            )
        data = construct(document)
        for key, key_node, value_node in mapping_items(document):
            line, column = position(key_node)
            key_positions.setdefault(key, Position(line=line, column=column))
            value = data.get(key)
            if key == "applications":
                _merge_applications(apps, value_node, value)
            elif key == "machines":
                for machine in _machines(value_node, value):
                    machines[machine.id] = machine
            elif key == "relations":
                relations.extend(_relations(value_node, value))
            else:
                top[key] = value
    extra = {key: value for key, value in top.items() if key not in BUNDLE_KEYS}
    tags = top.get("tags")
    if tags is None:
        tags = []
    return Bundle(
        applications=apps,
        machines=machines,
        relations=tuple(relations),
        series=_str_or_none(top.get("series")),
        default_base=_str_or_none(top.get("default-base")),
        saas=_mapping(top.get("saas"), "saas", documents[0]),
        bundle_type=_str_or_none(top.get("bundle")),
        name=_str_or_none(top.get("name")),
        description=_str_or_none(top.get("description")),
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (str(tags),),
        extra=extra,
        source=source,
        documents=len(documents),
        key_positions=key_positions,
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _merge_applications(apps: dict[str, Application], node: yaml.Node, data: Any) -> None:
    if data is None:
        return
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise _fail("applications must be a mapping of application names", node)
    for name, key_node, value_node in mapping_items(node):
        value = data.get(name)
        if value is None and name in apps:  # an overlay removes an application with "name:"
            del apps[name]
            continue
        apps[name] = _application(name, key_node, value_node, value, apps.get(name))


def _application(
    name: str, key_node: yaml.Node, node: yaml.Node, data: Any, previous: Application | None
) -> Application:
    raw = dict(_mapping(data, f"application {name!r}", node))
    value_nodes = {key: value_node for key, _key_node, value_node in mapping_items(node)}
    positions: dict[str, Position] = dict(previous.positions) if previous else {}
    for key, value_node in value_nodes.items():
        line, column = position(value_node)
        positions[key] = Position(line=line, column=column)
        if key == "options" and isinstance(value_node, yaml.MappingNode):
            for option, _option_key, option_node in mapping_items(value_node):
                line, column = position(option_node)
                positions[f"options.{option}"] = Position(line=line, column=column)
    if previous is not None:
        merged = dict(previous.raw)
        options = {**previous.options, **_mapping(raw.get("options"), "options", node)}
        merged.update(raw)
        merged["options"] = options
        raw = merged

    def field(key: str, kind: type) -> Any:
        return _typed(raw.get(key), kind, f"{name}: {key}", value_nodes.get(key, node))

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
        options=_mapping(raw.get("options"), f"{name}: options", value_nodes.get("options", node)),
        constraints=None if constraints is None else str(constraints),
        resources=_mapping(raw.get("resources"), f"{name}: resources", node),
        annotations=_mapping(raw.get("annotations"), f"{name}: annotations", node),
        bindings=_mapping(raw.get("bindings"), f"{name}: bindings", node),
        storage=_mapping(raw.get("storage"), f"{name}: storage", node),
        trust=field("trust", bool),
        extra={key: value for key, value in raw.items() if key not in APPLICATION_KEYS},
        raw=raw,
        line=key_node.start_mark.line + 1,
        positions=positions,
    )


def _machines(node: yaml.Node, data: Any) -> Iterator[Machine]:
    if data is None:
        return
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise _fail("machines must be a mapping of machine ids", node)
    for machine_id, key_node, value_node in mapping_items(node):
        raw = _mapping(data.get(machine_id), f"machine {machine_id}", value_node)
        yield Machine(
            id=machine_id,
            constraints=_str_or_none(raw.get("constraints")),
            series=_str_or_none(raw.get("series")),
            base=_str_or_none(raw.get("base")),
            annotations=_mapping(raw.get("annotations"), f"machine {machine_id}", value_node),
            extra={key: value for key, value in raw.items() if key not in MACHINE_KEYS},
            line=key_node.start_mark.line + 1,
        )


def _relations(node: yaml.Node, data: Any) -> Iterator[Relation]:
    if data is None:
        return
    if not isinstance(node, yaml.SequenceNode) or not isinstance(data, list):
        raise _fail("relations must be a list of endpoint pairs", node)
    for item, value in zip(node.value, data, strict=True):
        if isinstance(value, list):
            endpoints = tuple(str(endpoint) for endpoint in value)
        else:
            endpoints = (str(value),)
        yield Relation(endpoints=endpoints, line=item.start_mark.line + 1)
