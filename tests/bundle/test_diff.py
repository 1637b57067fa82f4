"""Semantic diffs of bundles and the release-only classification."""

from __future__ import annotations

import pytest

from lpsigning_mojo.bundle import (
    Bundle,
    diff_bundles,
    diff_templates,
    unified_diff,
    unified_diff_lines,
)
from lpsigning_mojo.errors import TemplateError, YamlError

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


def test_a_revision_bump_alone_is_release_only_in_production_too() -> None:
    new = BASE.replace("revision: 87", "revision: 88")
    for production in (False, True):
        result = diff_bundles(Bundle.from_text(BASE), Bundle.from_text(new), production=production)
        assert result.release_only, production
        assert result.invalid_build_labels == ()


def test_a_revision_removed_is_not_release_only() -> None:
    new = BASE.replace(", revision: 87", "")
    result = diff_bundles(Bundle.from_text(BASE), Bundle.from_text(new))
    assert [change.describe() for change in result.changes] == [
        "lp-signing revision: 87 -> (unset)"
    ]
    assert not result.release_only


TEMPLATE = """\
applications:
  lp-signing:
    charm: lp-signing
{%- if stage_name == "production" %}
    revision: {{ production_revision }}
{%- else %}
    revision: 87
{%- endif %}
    options: {build_label: aaa}
"""


def test_templates_are_compared_as_rendered_for_the_stage_with_the_variables() -> None:
    changed = TEMPLATE.replace("build_label: aaa", "build_label: bbb")
    variables = {"production_revision": 90}

    staging = diff_templates(TEMPLATE, changed, stage="staging", variables=variables)
    production = diff_templates(
        TEMPLATE.replace("{{ production_revision }}", "{{ production_revision - 1 }}"),
        changed,
        stage="production",
        variables=variables,
    )

    assert staging.stage == "staging"
    assert [change.describe() for change in staging.changes] == [
        "lp-signing options.build_label: 'aaa' -> 'bbb'"
    ]
    assert staging.release_only  # outside production any label may be released
    assert production.stage == "production"
    assert [change.describe() for change in production.changes] == [
        "lp-signing revision: 89 -> 90",
        "lp-signing options.build_label: 'aaa' -> 'bbb'",
    ]
    assert production.release_only  # production=False: the label is not held to a commit id


def test_templates_compared_for_production_hold_the_label_to_a_commit_id() -> None:
    changed = TEMPLATE.replace("build_label: aaa", "build_label: bbb")
    result = diff_templates(TEMPLATE, changed, stage="staging", production=True)
    assert result.production
    assert not result.release_only
    assert [change.describe() for change in result.invalid_build_labels] == [
        "lp-signing options.build_label: 'aaa' -> 'bbb'"
    ]


def test_template_errors_name_the_version_they_are_in() -> None:
    with pytest.raises(TemplateError) as old_error:
        diff_templates(
            "a: 1\nb: {{ nope }}\n", "a: 1\n", stage="staging", old_path="old/bundle.yaml"
        )
    with pytest.raises(YamlError) as new_error:
        diff_templates(
            "a: 1\n", "a: [\n", stage="staging", old_path="old.yaml", new_path="new/bundle.yaml"
        )
    assert str(old_error.value) == (
        "old/bundle.yaml:2: undefined template variable: 'nope' is undefined. Define it "
        "(Mojo passes stage_name, series and local_dir) or guard its use."
    )
    assert str(new_error.value) == (
        "new/bundle.yaml:2: YAML syntax error: did not find expected node content (while "
        "parsing a flow node) (stage staging). Fix the YAML at that position."
    )


def test_a_unified_diff_names_both_files_as_git_does_with_three_lines_of_context() -> None:
    old = "".join(f"line {n}\n" for n in range(1, 10))
    new = old.replace("line 5\n", "line five\n")
    assert unified_diff_lines(old, new, path="spec/bundle.yaml") == [
        "--- a/spec/bundle.yaml",
        "+++ b/spec/bundle.yaml",
        "@@ -2,7 +2,7 @@",
        " line 2",
        " line 3",
        " line 4",
        "-line 5",
        "+line five",
        " line 6",
        " line 7",
        " line 8",
    ]
    assert unified_diff_lines(old, new, path="b.yaml", context=0)[2:] == [
        "@@ -5 +5 @@",
        "-line 5",
        "+line five",
    ]
    assert unified_diff(old, new, path="b.yaml", context=0) == (
        "--- a/b.yaml\n+++ b/b.yaml\n@@ -5 +5 @@\n-line 5\n+line five\n"
    )


def test_a_unified_diff_marks_a_last_line_without_an_ending_and_splits_as_yaml_does() -> None:
    assert unified_diff_lines("a: 1\r\nb: 2", "a: 1\rb: 3", path="x") == [
        "--- a/x",
        "+++ b/x",
        "@@ -1,2 +1,2 @@",
        "-a: 1",
        "-b: 2",
        "\\ No newline at end of file",
        "+a: 1",
        "+b: 3",
        "\\ No newline at end of file",
    ]
