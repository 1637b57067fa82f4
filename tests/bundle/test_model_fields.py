"""Every field of a bundle reads back as written, and a value of the wrong type is refused.

The property writes bundles with any of Juju's fields (and unknown ones) through a YAML
dumper and checks the model holds each value under its Juju name; the examples pin the
refusals: which value, which field, and where.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lpsigning_mojo.bundle import Application, Bundle, Machine, Relation
from lpsigning_mojo.errors import UnknownApplicationError, YamlError

NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
WORDS = st.from_regex(r"[a-z][a-z0-9/.@=-]{0,12}", fullmatch=True)
SCALARS = st.one_of(st.integers(-5, 10**6), st.booleans(), WORDS)
MAPS = st.dictionaries(NAMES, SCALARS, max_size=3)
COUNTS = st.integers(0, 10**6)

#: Juju's application fields with the Python value the model holds for each.
APPLICATION_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "charm": WORDS,
    "channel": WORDS,
    "revision": COUNTS,
    "series": WORDS,
    "base": WORDS,
    "num_units": COUNTS,
    "scale": COUNTS,
    "to": st.one_of(WORDS, st.lists(WORDS, max_size=3)),
    "expose": st.booleans(),
    "exposed-endpoints": MAPS,
    "options": MAPS,
    "constraints": WORDS,
    "resources": MAPS,
    "annotations": MAPS,
    "bindings": MAPS,
    "storage": MAPS,
    "trust": st.booleans(),
    # Keys Juju does not know: kept in extra.
    "colour": WORDS,
    "x-owner": MAPS,
}
APPLICATIONS = st.fixed_dictionaries({}, optional=APPLICATION_FIELDS)
MACHINES = st.fixed_dictionaries(
    {},
    optional={
        "constraints": WORDS,
        "series": WORDS,
        "base": WORDS,
        "annotations": MAPS,
        "flavour": WORDS,
    },
)
BUNDLES = st.fixed_dictionaries(
    {"applications": st.dictionaries(NAMES, APPLICATIONS, min_size=1, max_size=3)},
    optional={
        "series": WORDS,
        "default-base": WORDS,
        "bundle": st.sampled_from(["kubernetes", "machine"]),
        "name": WORDS,
        "description": WORDS,
        "tags": st.one_of(WORDS, st.lists(WORDS, max_size=3)),
        "machines": st.dictionaries(st.integers(0, 9).map(str), MACHINES, max_size=3),
        "relations": st.lists(st.one_of(WORDS, st.lists(NAMES, min_size=2, max_size=2))),
        "owner": WORDS,
    },
)

#: Each example dumps and reads a whole bundle: a quarter of the profile's examples.
EXAMPLES = settings(max_examples=max(5, settings.default.max_examples // 4))


def _application(name: str, fields: dict[str, Any]) -> Application:
    to = fields.get("to")
    return Application(
        name=name,
        charm=fields.get("charm"),
        channel=fields.get("channel"),
        revision=fields.get("revision"),
        series=fields.get("series"),
        base=fields.get("base"),
        num_units=fields.get("num_units"),
        scale=fields.get("scale"),
        to=() if to is None else tuple(to) if isinstance(to, list) else (to,),
        expose=fields.get("expose"),
        exposed_endpoints=fields.get("exposed-endpoints"),
        options=fields.get("options", {}),
        constraints=fields.get("constraints"),
        resources=fields.get("resources", {}),
        annotations=fields.get("annotations", {}),
        bindings=fields.get("bindings", {}),
        storage=fields.get("storage", {}),
        trust=fields.get("trust"),
        extra={key: fields[key] for key in ("colour", "x-owner") if key in fields},
    )


def _expected(data: dict[str, Any]) -> Bundle:
    tags = data.get("tags", [])
    return Bundle(
        applications={name: _application(name, app) for name, app in data["applications"].items()},
        machines={
            machine_id: Machine(
                id=machine_id,
                constraints=fields.get("constraints"),
                series=fields.get("series"),
                base=fields.get("base"),
                annotations=fields.get("annotations", {}),
                extra={"flavour": fields["flavour"]} if "flavour" in fields else {},
            )
            for machine_id, fields in data.get("machines", {}).items()
        },
        relations=tuple(
            Relation(endpoints=tuple(item) if isinstance(item, list) else (item,))
            for item in data.get("relations", [])
        ),
        series=data.get("series"),
        default_base=data.get("default-base"),
        bundle_type=data.get("bundle"),
        name=data.get("name"),
        description=data.get("description"),
        tags=tuple(tags) if isinstance(tags, list) else (tags,),
        extra={"owner": data["owner"]} if "owner" in data else {},
    )


@EXAMPLES
@given(data=BUNDLES)
def test_every_field_reads_back_as_written(data: dict[str, Any]) -> None:
    bundle = Bundle.from_text(yaml.safe_dump(data, sort_keys=False), source="b.yaml")
    assert bundle == _expected(data)
    for name, fields in data["applications"].items():
        # Every key as written, Juju's and unknown ones.
        assert bundle.applications[name].raw == fields


def test_values_are_read_as_strings_where_juju_reads_strings() -> None:
    text = """\
series: 22
default-base: 24
bundle: 1
name: 7
description: 8
tags: 3
applications:
  a: {charm: 1, channel: 2, series: 3, base: 4, constraints: 5, to: 6}
machines:
  "0": {constraints: 9, series: 10, base: 11}
relations:
  - 12
"""
    bundle = Bundle.from_text(text)
    app = bundle.application("a")
    assert (app.charm, app.channel, app.series, app.base, app.constraints, app.to) == (
        "1",
        "2",
        "3",
        "4",
        "5",
        ("6",),
    )
    assert (bundle.series, bundle.default_base, bundle.bundle_type, bundle.name) == (
        "22",
        "24",
        "1",
        "7",
    )
    assert (bundle.description, bundle.tags) == ("8", ("3",))
    machine = bundle.machines["0"]
    assert (machine.constraints, machine.series, machine.base) == ("9", "10", "11")
    assert bundle.relations[0].endpoints == ("12",)


def test_fields_not_written_are_empty() -> None:
    bundle = Bundle.from_text('applications: {a: {}}\nmachines: {"0": {}}\n')
    assert bundle.application("a") == Application(name="a")
    assert bundle.machines["0"] == Machine(id="0")
    assert (bundle.tags, bundle.relations, bundle.default_base) == ((), (), None)


def test_machines_read_back_with_their_lines_and_unknown_keys() -> None:
    text = 'applications: {a: {}}\nmachines:\n  "0":\n\n  "1":\n    series: jammy\n    flavour: x\n'
    machines = Bundle.from_text(text).machines
    assert machines == {
        "0": Machine(id="0"),
        "1": Machine(id="1", series="jammy", extra={"flavour": "x"}),
    }
    assert [machine.line for machine in machines.values()] == [3, 5]


def test_a_list_of_tags_reads_back_as_strings_in_order() -> None:
    bundle = Bundle.from_text("tags: [signing, 7]\napplications: {a: {}}\n")
    assert bundle.tags == ("signing", "7")


def test_an_application_in_json_says_what_it_deploys() -> None:
    text = """\
applications:
  signing:
    charm: lp-signing
    channel: latest/edge
    revision: 12
    num_units: 2
    options: {build_label: 0a1b2c, port: 8080}
  plain: {}
"""
    bundle = Bundle.from_text(text)
    assert bundle.application("signing").to_json() == {
        "application": "signing",
        "charm": "lp-signing",
        "channel": "latest/edge",
        "revision": 12,
        "num_units": 2,
        "build_label": "0a1b2c",
    }
    assert bundle.application("plain").to_json() == {
        "application": "plain",
        "charm": None,
        "channel": None,
        "revision": None,
        "num_units": None,
        "build_label": None,
    }


def test_relations_know_their_lines() -> None:
    text = "applications: {a: {}, b: {}}\nrelations:\n  - [a, b]\n\n  - [a:x, b:y]\n  - a\n"
    assert [relation.line for relation in Bundle.from_text(text).relations] == [3, 5, 6]


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ("revision: true", "revision", "must be a whole number, not True"),
        ("revision: 1.5", "revision", "must be a whole number, not 1.5"),
        ("num_units: two", "num_units", "must be a whole number, not 'two'"),
        ("scale: true", "scale", "must be a whole number, not True"),
        ("scale: x", "scale", "must be a whole number, not 'x'"),
        ("expose: 1", "expose", "must be true or false, not 1"),
        ("expose: yes-please", "expose", "must be true or false, not 'yes-please'"),
        ("trust: 1", "trust", "must be true or false, not 1"),
        ("trust: 'true'", "trust", "must be true or false, not 'true'"),
        ("options: 3", "options", "must be a mapping"),
        ("resources: [1]", "resources", "must be a mapping"),
        ("annotations: x", "annotations", "must be a mapping"),
        ("bindings: [a]", "bindings", "must be a mapping"),
        ("storage: 5G", "storage", "must be a mapping"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_where_it_is(
    value: str, field: str, message: str
) -> None:
    column = len(f"    {field}: ") + 1  # where the value starts
    text = f"applications:\n  app:\n    charm: c\n    {value}\n"
    with pytest.raises(YamlError) as caught:
        Bundle.from_text(text, source="b.yaml")
    assert str(caught.value) == f"b.yaml:4:{column}: app: {field} {message}."
    assert (caught.value.path, caught.value.line, caught.value.column) == ("b.yaml", 4, column)


def test_true_and_false_are_read_as_such() -> None:
    app = Bundle.from_text("applications: {a: {expose: true, trust: false}}\n").application("a")
    assert (app.expose, app.trust) == (True, False)


def test_a_machine_annotations_that_are_not_a_mapping_are_refused() -> None:
    text = 'applications: {a: {}}\nmachines:\n  "0":\n    annotations: owner\n'
    with pytest.raises(YamlError) as caught:
        Bundle.from_text(text, source="b.yaml")
    assert str(caught.value) == "b.yaml:4:5: machine '0': annotations must be a mapping."


def test_an_error_without_a_source_has_no_path() -> None:
    with pytest.raises(YamlError) as caught:
        Bundle.from_text("applications:\n  a: {scale: x}\n")
    assert str(caught.value) == "a: scale must be a whole number, not 'x'."
    assert (caught.value.path, caught.value.line, caught.value.column) == (None, 2, 14)


def test_a_value_yaml_cannot_hold_is_refused_with_its_position() -> None:
    text = "applications:\n  a: {charm: !!python/name:os.system x}\n"
    with pytest.raises(YamlError) as caught:
        Bundle.from_text(text, source="b.yaml")
    assert (caught.value.path, caught.value.line, caught.value.column) == ("b.yaml", 2, 14)
    assert str(caught.value).startswith("b.yaml:2:14: YAML value error: ")


def test_a_syntax_error_names_line_and_column_and_what_to_do() -> None:
    with pytest.raises(YamlError) as caught:
        Bundle.from_text("applications:\n  a: {charm: x\n  b: 1\n", source="b.yaml")
    error = caught.value
    assert (error.line, error.column) == (3, 4)
    assert str(error).startswith("b.yaml:3:4: YAML syntax error: ")
    assert str(error).endswith(" Fix the YAML at that position.")


def test_an_empty_bundle_says_what_to_add() -> None:
    with pytest.raises(YamlError) as caught:
        Bundle.from_text("# nothing yet\n---\n", source="b.yaml")
    assert str(caught.value) == "b.yaml: the bundle is empty. Add an applications mapping."


def test_a_bundle_without_applications_says_it_has_none() -> None:
    with pytest.raises(UnknownApplicationError) as caught:
        Bundle.from_text("series: jammy\n", source="b.yaml").application("a")
    assert str(caught.value) == (
        "b.yaml: the bundle has no application 'a'; its applications are: none."
    )
