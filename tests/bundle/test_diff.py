"""Semantic diffs of bundles and the release-only classification."""

from __future__ import annotations

from lpsigning_mojo.bundle import Bundle, diff_bundles

BASE = """\
applications:
  lp-signing: {charm: lp-signing, channel: latest/edge, revision: 87, num_units: 2,
               options: {build_label: aaa, workers: 2}}
  nrpe: {charm: nrpe, revision: 125}
relations:
  - [lp-signing, nrpe]
"""


def test_no_change() -> None:
    result = diff_bundles(Bundle.from_text(BASE), Bundle.from_text(BASE))
    assert result.empty
    assert result.classification == "no change"
    assert not result.release_only


def test_revision_and_build_label_bumps_are_release_only() -> None:
    new = BASE.replace("revision: 87", "revision: 88").replace(
        "build_label: aaa", "build_label: bbb"
    )
    result = diff_bundles(Bundle.from_text(BASE), Bundle.from_text(new))
    assert result.release_only
    assert [c.describe() for c in result.changes] == [
        "lp-signing revision: 87 -> 88",
        "lp-signing options.build_label: 'aaa' -> 'bbb'",
    ]


def test_any_other_change_is_not_release_only() -> None:
    for new in (
        BASE.replace("workers: 2", "workers: 3"),
        BASE.replace("channel: latest/edge", "channel: latest/stable"),
        BASE.replace("num_units: 2", "num_units: 3"),
        BASE.replace("  - [lp-signing, nrpe]\n", ""),
        BASE + "machines:\n  '0': {}\n",
    ):
        result = diff_bundles(Bundle.from_text(BASE), Bundle.from_text(new))
        assert not result.empty
        assert not result.release_only
        assert result.classification == "other changes"


def test_added_and_removed_applications() -> None:
    new = BASE.replace("  nrpe: {charm: nrpe, revision: 125}\n", "  telegraf: {charm: telegraf}\n")
    result = diff_bundles(Bundle.from_text(BASE), Bundle.from_text(new))
    assert result.added == ("telegraf",)
    assert result.removed == ("nrpe",)
    assert list(result.lines())[:2] == ["+ application telegraf", "- application nrpe"]


def test_relations_compare_in_either_order() -> None:
    new = BASE.replace("[lp-signing, nrpe]", "[nrpe, lp-signing]")
    assert diff_bundles(Bundle.from_text(BASE), Bundle.from_text(new)).empty


COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_in_production_a_release_sets_build_label_to_a_full_commit_id() -> None:
    old = Bundle.from_text(BASE)
    for label, release in (
        (COMMIT, True),
        ("COMMIT", False),  # the README's placeholder, typed as is
        ("0123456", False),
        (COMMIT.upper(), False),
        ("''", False),
    ):
        new = Bundle.from_text(BASE.replace("build_label: aaa", f"build_label: {label}"))
        result = diff_bundles(old, new, production=True)
        assert (result.release_only, result.classification) == (
            release,
            "release only" if release else "other changes",
        ), label
        assert bool(result.invalid_build_labels) is not release


def test_elsewhere_any_label_is_a_release_but_removing_one_is_not() -> None:
    old = Bundle.from_text(BASE)
    relabelled = Bundle.from_text(BASE.replace("build_label: aaa", "build_label: COMMIT"))
    assert diff_bundles(old, relabelled).release_only
    unlabelled = Bundle.from_text(BASE.replace("build_label: aaa, ", ""))
    result = diff_bundles(old, unlabelled)
    assert [c.describe() for c in result.changes] == [
        "lp-signing options.build_label: 'aaa' -> (unset)"
    ]
    assert not result.release_only
    assert diff_bundles(unlabelled, old).release_only


def test_unpinning_a_revision_is_not_a_release() -> None:
    unpinned = Bundle.from_text(BASE.replace(", revision: 87", ""))
    assert not diff_bundles(Bundle.from_text(BASE), unpinned).release_only
    assert diff_bundles(unpinned, Bundle.from_text(BASE)).release_only


OLD = """\
series: jammy
note: kept for the linter
applications:
  x: {charm: x, placement-note: a, options: {gone: 1, same: 2}}
machines:
  "0": {}
  "2": {series: jammy}
relations:
  - [x, y]
"""
NEW = """\
series: noble
note: changed
applications:
  x: {charm: x, placement-note: b, options: {same: 2, new: 3}}
machines:
  "1": {series: noble}
  "2": {series: jammy}
relations:
  - [x, z]
"""


def test_every_kind_of_change_is_named_with_its_old_and_new_value() -> None:
    old = Bundle.from_text(OLD)
    new = Bundle.from_text(NEW)
    machine = {"constraints": None, "base": None, "annotations": {}, "extra": {}, "line": 6}
    assert [(c.application, c.field, c.old, c.new) for c in diff_bundles(old, new).changes] == [
        (None, "series", "jammy", "noble"),
        ("x", "options.gone", 1, None),
        ("x", "options.new", None, 3),
        ("x", "placement-note", "a", "b"),
        (None, "machines.0", {"id": "0", "series": None, **machine}, None),
        (None, "machines.1", None, {"id": "1", "series": "noble", **machine}),
        (None, "relation", None, "x <-> z"),
        (None, "relation", "x <-> y", None),
        (None, "note", "kept for the linter", "changed"),
    ]
    # Keys only one side has are changes too, whichever side.
    reverse = diff_bundles(new, old)
    assert [(c.field, c.old, c.new) for c in reverse.changes if c.field.startswith("note")] == [
        ("note", "changed", "kept for the linter")
    ]


def test_a_key_only_one_side_has_is_a_change() -> None:
    old = Bundle.from_text("applications:\n  x: {charm: x}\n")
    new = Bundle.from_text(
        "extra-key: 1\napplications:\n  x: {charm: x, odd: 2, options: {a: 1}}\n"
    )
    changes = [(c.application, c.field, c.old, c.new) for c in diff_bundles(old, new).changes]
    assert changes == [
        ("x", "options.a", None, 1),
        ("x", "odd", None, 2),
        (None, "extra-key", None, 1),
    ]
    back = [(c.application, c.field, c.old, c.new) for c in diff_bundles(new, old).changes]
    assert back == [
        ("x", "options.a", 1, None),
        ("x", "odd", 2, None),
        (None, "extra-key", 1, None),
    ]


def test_describe_says_unset_and_leaves_out_a_missing_application() -> None:
    old = Bundle.from_text("series: jammy\napplications:\n  x: {charm: x}\n")
    new = Bundle.from_text("applications:\n  x: {charm: x, options: {port: 8}}\n")
    assert list(diff_bundles(old, new).lines()) == [
        "~ series: 'jammy' -> (unset)",
        "~ x options.port: (unset) -> 8",
    ]


def test_json_carries_every_change_and_the_classification() -> None:
    new = BASE.replace("revision: 87", "revision: 88")
    data = diff_bundles(Bundle.from_text(BASE), Bundle.from_text(new)).to_json()
    assert data == {
        "stage": None,
        "added": [],
        "removed": [],
        "changes": [{"application": "lp-signing", "field": "revision", "old": 87, "new": 88}],
        "classification": "release only",
        "release_only": True,
        "invalid_build_labels": [],
    }
