"""Overlays (a bundle's later YAML documents) merge as Juju merges them, for the model and
the linter alike.

Each test states one rule of Juju's overlay merge (``ReadAndMergeBundleData`` in Juju's
charm library) and checks it twice: on the model (``Bundle.from_text``) and on the view
bundle-lint checks (``lint.schema.build_view``), which must see the same bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lpsigning_mojo.bundle import Bundle
from lpsigning_mojo.bundle.overlay import AppView, BundleView
from lpsigning_mojo.bundle.schema import BUNDLE_KEYS
from lpsigning_mojo.errors import YamlError
from lpsigning_mojo.lint import LintConfig, lint_paths
from lpsigning_mojo.lint.schema import build_view
from lpsigning_mojo.lint.source import compose_bundle
from lpsigning_mojo.yamlnodes import construct

BASE = """\
series: jammy
description: the base
applications:
  a:
    charm: a
    channel: latest/stable
    revision: 10
    num_units: 1
    options: {x: 1, y: 2}
    annotations: {owner: me}
  b:
    charm: b
    channel: latest/stable
    revision: 20
  c:
    charm: c
machines:
  "0": {}
  "1": {}
relations:
  - [a, b]
  - ["a:db", "c:db"]
  - ["b:juju-info", "c:juju-info"]
"""


def seen_by_the_model(text: str) -> dict[str, Any]:
    bundle = Bundle.from_text(text)
    return {
        "applications": {name: dict(app.raw) for name, app in bundle.applications.items()},
        "machines": sorted(bundle.machines),
        "relations": [list(relation.endpoints) for relation in bundle.relations],
        "saas": sorted(bundle.saas),
        "series": bundle.series,
        "default-base": bundle.default_base,
        "description": bundle.description,
        "extra": dict(bundle.extra),
    }


def _application(app: AppView) -> dict[str, Any]:
    return {
        key: (
            {name: construct(item.value) for name, item in app.maps[key].items()}
            if key in app.maps
            else construct(entry.value)
        )
        for key, entry in app.fields.items()
    }


def view_of(text: str) -> BundleView:
    documents, problems = compose_bundle(text)
    assert documents is not None
    view, more = build_view(documents)
    assert not problems
    assert not more
    assert view is not None
    return view


def seen_by_the_linter(text: str) -> dict[str, Any]:
    view = view_of(text)

    def top(key: str) -> Any:
        return construct(view.top[key].value) if key in view.top else None

    return {
        "applications": {name: _application(app) for name, app in view.applications.items()},
        "machines": sorted(view.machines),
        "relations": [construct(item) for item in view.relations],
        "saas": sorted(view.saas),
        "series": top("series"),
        "default-base": top("default-base"),
        "description": top("description"),
        "extra": {key: top(key) for key in view.top if key not in BUNDLE_KEYS},
    }


def merged(overlay: str, base: str = BASE) -> dict[str, Any]:
    """What model and linter both see for ``base`` with ``overlay``; they must agree."""
    text = base + "---\n" + overlay
    model = seen_by_the_model(text)
    assert seen_by_the_linter(text) == model
    return model


def test_the_issue_example_removes_b_and_merges_the_options_of_a() -> None:
    found = merged("applications: {a: {options: {y: 3}}, b: null}\n")
    assert set(found["applications"]) == {"a", "c"}
    assert found["applications"]["a"]["options"] == {"x": 1, "y": 3}


def test_an_application_written_null_is_removed_with_its_relations() -> None:
    found = merged("applications:\n  b:\n")
    assert "b" not in found["applications"]
    assert found["relations"] == [["a:db", "c:db"]]
    # Juju drops the relations of the name even when no application had it.
    base = BASE.replace("relations:\n", "relations:\n  - [a, ghost]\n")
    assert ["a", "ghost"] not in merged("applications:\n  ghost:\n", base=base)["relations"]


def test_a_new_application_is_added_whole() -> None:
    found = merged("applications:\n  d: {charm: d, options: {k: null}}\n")
    assert found["applications"]["d"] == {"charm": "d", "options": {"k": None}}


def test_options_merge_key_by_key() -> None:
    found = merged("applications:\n  a:\n    options:\n      y: 3\n      z: 4\n")
    assert found["applications"]["a"]["options"] == {"x": 1, "y": 3, "z": 4}


def test_a_null_option_is_removed() -> None:
    found = merged("applications:\n  a:\n    options: {x: null}\n")
    assert found["applications"]["a"]["options"] == {"y": 2}


@pytest.mark.parametrize("cleared", ["options:", "options: {}"])
def test_a_null_or_empty_mapping_clears_the_field(cleared: str) -> None:
    found = merged(f"applications:\n  a:\n    {cleared}\n")
    assert found["applications"]["a"]["options"] == {}


def test_a_null_in_a_string_map_is_kept_as_juju_reads_it_as_empty() -> None:
    found = merged("applications:\n  a:\n    annotations: {owner: null, team: x}\n")
    assert found["applications"]["a"]["annotations"] == {"owner": None, "team": "x"}


def test_a_scalar_field_is_replaced_and_a_null_clears_it() -> None:
    found = merged("applications:\n  a:\n    channel: latest/edge\n    revision:\n")
    app = found["applications"]["a"]
    assert (app["channel"], app["revision"], app["num_units"]) == ("latest/edge", None, 1)
    model = Bundle.from_text(BASE + "---\napplications:\n  a: {revision: 12}\n")
    assert model.application("a").revision == 12


def test_relations_are_appended() -> None:
    found = merged("relations:\n  - [a, c]\n")
    assert found["relations"][-1] == ["a", "c"]
    assert len(found["relations"]) == 4


def test_machines_are_replaced_whole() -> None:
    assert merged('machines:\n  "2": {}\n')["machines"] == ["2"]
    assert merged("machines: {}\n")["machines"] == []
    assert merged("machines:\n")["machines"] == ["0", "1"]


def test_series_is_replaced_and_other_top_level_keys_are_ignored() -> None:
    found = merged("series: noble\ndefault-base: ubuntu@24.04\ndescription: the overlay\n")
    assert found["series"] == "noble"
    assert (found["default-base"], found["description"]) == (None, "the base")
    assert merged('series: ""\n')["series"] == "jammy"


def test_keys_outside_the_schema_are_kept_the_last_one_winning() -> None:
    found = merged("owner: them\n", base=BASE + "owner: me\n")
    assert found["extra"] == {"owner": "them"}


def test_saas_written_null_is_removed_with_its_relations() -> None:
    base = BASE.replace("relations:\n", "relations:\n  - [a, pg]\n")
    base += "saas:\n  pg: {url: 'prod:admin/pg'}\n"
    assert merged("", base=base)["saas"] == ["pg"]
    found = merged("saas:\n  pg:\n", base=base)
    assert found["saas"] == []
    assert ["a", "pg"] not in found["relations"]


def test_an_empty_overlay_changes_nothing() -> None:
    assert merged("") == seen_by_the_model(BASE)


def test_merge_keys_are_expanded_for_both() -> None:
    base = "x-defaults: &defaults {charm: a, channel: latest/stable}\napplications:\n"
    found = merged("applications: {}\n", base=base + "  a:\n    <<: *defaults\n    revision: 3\n")
    assert found["applications"]["a"] == {"charm": "a", "channel": "latest/stable", "revision": 3}


def test_a_value_of_the_wrong_shape_in_an_overlay_is_refused_by_both_at_one_place() -> None:
    text = BASE + "---\napplications:\n  a: [oops]\n"
    with pytest.raises(YamlError) as caught:
        Bundle.from_text(text)
    documents, _ = compose_bundle(text)
    assert documents is not None
    _, problems = build_view(documents)
    assert [(p.code, p.line, p.column) for p in problems] == [
        ("LSM008", caught.value.line, caught.value.column)
    ]
    assert "application 'a' must be a mapping" in caught.value.message


def test_the_linter_checks_the_merged_bundle(tmp_path: Path) -> None:
    # The overlay removes b, whose relations in the base go with it; the one the
    # overlay itself adds afterwards names an application that is gone.
    overlay = "applications:\n  b:\nrelations:\n  - [a, b]\n"
    path = tmp_path / "bundle.yaml"
    path.write_text(BASE.replace("    charm: c\n", "    charm: ./c\n") + "---\n" + overlay)
    report = lint_paths([str(path)], config=LintConfig(stages=("staging",)))
    found = sorted((f.code, f.line, f.column) for f in report.findings)
    overlay_line = BASE.count("\n") + 5
    assert found == [
        ("LSM113", overlay_line, 9),
        ("LSM119", 18, 3),  # machines no placement uses
        ("LSM119", 19, 3),
    ]


def test_an_offer_written_again_merges_key_by_key_and_a_new_one_is_added() -> None:
    base = BASE + "saas:\n  pg: {url: 'prod:admin/pg', endpoint: db}\n"
    view = view_of(base + "---\nsaas:\n  pg: {url: 'prod:admin/pg2'}\n  redis: {url: 'r'}\n")
    assert {
        name: {k: construct(v.value) for k, v in offer.items()} for name, offer in view.saas.items()
    } == {
        "pg": {"url": "prod:admin/pg2", "endpoint": "db"},
        "redis": {"url": "r"},
    }
    # The base may write an offer as null: it is kept (only an overlay's null removes).
    assert sorted(view_of(BASE + "saas:\n  pg:\n").saas) == ["pg"]


def test_an_offer_of_the_wrong_shape_is_reported_and_a_null_one_never_defined_is_fine() -> None:
    documents, _ = compose_bundle(BASE + "---\nsaas:\n  pg: [oops]\n  gone:\n")
    assert documents is not None
    _, problems = build_view(documents)
    assert [(p.code, p.message) for p in problems] == [
        ("LSM008", "saas 'pg' must be a mapping (url: ...)")
    ]


def test_removing_an_application_keeps_relations_that_are_not_pairs() -> None:
    # Juju keeps an odd relation for its verifier to report, even one naming what goes.
    base = BASE.replace("relations:\n", "relations:\n  - [b]\n  - [a, b, c]\n")
    relations = merged("applications:\n  b:\n", base=base)["relations"]
    assert ["b"] in relations
    assert ["a", "b", "c"] in relations
    assert ["a", "b"] not in relations
    assert ["b:juju-info", "c:juju-info"] not in relations
    assert ["a:db", "c:db"] in relations


@pytest.mark.parametrize(
    ("text", "number", "flag", "written"),
    [
        ("v: 3", 3, None, "3"),
        ("v: true", None, True, "true"),
        ("v: '3'", None, None, "3"),
        ("v: !!int nope", None, None, "nope"),
        ("v: [3]", None, None, None),
        ("v:", None, None, None),
    ],
)
def test_typed_values_are_read_only_from_scalars_of_their_type(
    text: str, number: int | None, flag: bool | None, written: str | None
) -> None:
    from lpsigning_mojo.bundle.overlay import boolean, entries, integer, scalar

    documents, _ = compose_bundle(text + "\n")
    assert documents is not None
    entry = entries(documents[0])["v"]
    assert integer(entry) == number
    assert boolean(entry) is flag
    assert scalar(entry) == written
    assert (integer(None), boolean(None), scalar(None)) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("applications: [a, b]\n", "applications must be a mapping of application names"),
        (
            "applications:\n  a: {charm: a}\nsaas: [pg]\n",
            "saas must be a mapping of offer names",
        ),
        (
            "applications:\n  a: {charm: a}\nrelations: {a: b}\n",
            "relations must be a list of endpoint pairs",
        ),
        (
            "applications:\n  a: {charm: a}\nmachines: [0]\n",
            "machines must be a mapping of machine ids",
        ),
        (
            "applications:\n  a: {charm: a}\nmachines:\n  '0': [x]\n",
            "machine '0' must be a mapping",
        ),
        (
            "[a, b]\n",
            "a bundle must be a YAML mapping (applications:, relations:, ...), not a list",
        ),
        (
            "just text\n",
            "a bundle must be a YAML mapping (applications:, relations:, ...), not a single value",
        ),
    ],
)
def test_each_value_of_the_wrong_shape_says_what_it_must_be(text: str, message: str) -> None:
    documents, _ = compose_bundle(text)
    assert documents is not None
    _, problems = build_view(documents)
    assert [p.message for p in problems] == [message]


@pytest.mark.parametrize("base_options", ["    options: {x: 1}\n", ""])
def test_an_overlay_mapping_field_of_the_wrong_type_leaves_no_merged_keys(
    base_options: str,
) -> None:
    base = "applications:\n  a:\n    charm: a\n" + base_options
    documents, _ = compose_bundle(base + "---\napplications:\n  a:\n    options: [oops]\n")
    assert documents is not None
    view, problems = build_view(documents)
    assert view is not None
    assert view.applications["a"].options == {}
    assert [p.message for p in problems] == ["a: options must be a mapping"]


def test_an_overlay_may_remove_an_option_that_was_never_set() -> None:
    found = merged("applications:\n  a:\n    options: {never: null, x: 5}\n")
    assert found["applications"]["a"]["options"] == {"x": 5, "y": 2}


def test_an_application_written_as_text_is_of_the_wrong_shape() -> None:
    documents, _ = compose_bundle("applications:\n  a: just text\n")
    assert documents is not None
    _, problems = build_view(documents)
    assert [p.message for p in problems] == [
        "application 'a' must be a mapping (charm:, channel:, ...)"
    ]


def test_the_bundle_says_how_many_documents_were_merged() -> None:
    assert Bundle.from_text(BASE).documents == 1
    assert Bundle.from_text(BASE + "---\napplications: {}\n---\nseries: noble\n").documents == 3
