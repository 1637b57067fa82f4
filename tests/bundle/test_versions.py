"""Versions read off the slots give exactly what full renderings give.

Each example edits a template step by step, as a spec's history does, and
checks every stage's bundle and diff from the tracker against rendering
every version in full.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpsigning_mojo.bundle.diff import FieldChange, diff_bundles
from lpsigning_mojo.bundle.model import Bundle
from lpsigning_mojo.bundle.template import Template, render_bundle
from lpsigning_mojo.bundle.versions import VersionTracker
from lpsigning_mojo.errors import BundleError
from tests.conftest import REPO_ROOT

SHIPPED = (REPO_ROOT / "spec" / "lp-signing" / "bundle.yaml").read_text()
STAGES = ("production", "staging", "devel")

#: A template with a macro, a loop and a flow mapping, where slots must not be used.
TRICKY = """\
{%- macro opts(workers) %}
      workers: {{ workers }}
      mode: fast
{%- endmacro %}
applications:
  app:
    charm: app
    channel: latest/stable
    revision: 10
    options:{{ opts(4) }}
      build_label: abcdef0
{%- for name in ["a", "b"] %}
  {{ name }}:
    charm: other
    channel: latest/edge
    revision: 7
{%- endfor %}
  flow: {charm: flow, channel: latest/stable, revision: 3}
{%- if stage_name == "production" %}
  prod-only:
    charm: prod-only
    channel: 2.0/stable
    revision: 1
{%- endif %}
"""

VALUES = st.one_of(
    st.integers(min_value=0, max_value=100_000).map(str),
    st.sampled_from(
        ["on", "yes", "null", "~", "1e5", "0x1F", "010", "1_000", "2.0/stable", "latest/beta"]
    ),
    st.text(alphabet="abcdef0123456789", min_size=1, max_size=40),
    st.text(alphabet="abcz-./+=:#{}% '\"", min_size=1, max_size=6),
)


def _replace_value(text: str, key: str, index: int, value: str) -> str:
    """``text`` with the value of the ``index``-th ``key: value`` (block style) replaced."""
    matches = list(re.finditer(rf"(?m)^(\s+{key}: )([^\n{{]*)$", text))
    if not matches:
        return text
    match = matches[index % len(matches)]
    return text[: match.start(2)] + value + text[match.end(2) :]


EDITS = st.one_of(
    st.tuples(st.just("value"), st.sampled_from(["revision", "channel", "build_label", "charm"]),
              st.integers(0, 5), VALUES),
    st.tuples(st.just("flow"), st.integers(1, 999).map(str)),
    st.tuples(st.just("comment"), st.text(alphabet="ab #", max_size=5)),
    st.tuples(st.just("units"), st.integers(0, 4).map(str)),
    st.tuples(st.just("line"), st.just("")),
    st.tuples(st.just("crlf"), st.just("")),
)  # fmt: skip


def _apply(text: str, edit: tuple[object, ...]) -> str:
    kind = edit[0]
    if kind == "value":
        _, key, index, value = edit
        return _replace_value(text, str(key), int(index), str(value))  # type: ignore[call-overload]
    if kind == "flow":
        return re.sub(r"revision: [0-9]+}", f"revision: {edit[1]}}}", text)
    if kind == "comment":
        return text.replace("\n", f"\n# note{edit[1]}\n", 1)
    if kind == "units":
        return _replace_value(text, "num_units", 0, str(edit[1]))
    if kind == "line":
        return text.replace("applications:\n", "applications:\n  extra:\n    charm: extra\n", 1)
    return text.replace("\n", "\r\n") if "\r\n" not in text else text.replace("\r\n", "\n")


def _full(text: str, stage: str) -> Bundle | None:
    try:
        return render_bundle(Template.from_text(text), stage)[1]
    except BundleError:
        return None


def _check(start: str, edits: list[tuple[object, ...]]) -> VersionTracker:
    tracker = VersionTracker()
    text = start
    previous = {stage: _full(text, stage) for stage in STAGES}
    tracker.advance("v0", text, STAGES)
    for number, edit in enumerate(edits, 1):
        text = _apply(text, edit)
        versions = tracker.advance(f"v{number}", text, STAGES)
        for stage in STAGES:
            expected = _full(text, stage)
            version = versions[stage]
            assert version.bundle == expected, (stage, edit)
            assert (version.error is None) == (expected is not None)
            if expected is not None and previous[stage] is not None:
                assert version.diff == diff_bundles(previous[stage], expected), (stage, edit)
            if expected is not None:
                previous[stage] = expected
    return tracker


@given(st.lists(EDITS, max_size=12))
def test_the_shipped_template_edited_step_by_step(edits: list[tuple[object, ...]]) -> None:
    _check(SHIPPED, edits)


@given(st.lists(EDITS, max_size=12))
def test_a_template_with_macros_loops_and_flow_mappings(edits: list[tuple[object, ...]]) -> None:
    _check(TRICKY, edits)


def test_revision_and_label_bumps_are_read_not_rendered() -> None:
    edits: list[tuple[object, ...]] = [("value", "revision", 0, str(88 + n)) for n in range(5)]
    edits += [("value", "build_label", 0, f"abc{n:037x}") for n in range(5)]
    tracker = _check(SHIPPED, edits)
    assert tracker.full == 3  # the first version, once per stage
    assert tracker.read == 30


@pytest.mark.parametrize(
    ("value", "why"),
    [("on", "a boolean"), ("0x10", "a number"), ("foo bar", "two words"), ("a#b", "text")],
)
def test_values_yaml_would_read_otherwise_are_rendered(value: str, why: str) -> None:
    tracker = VersionTracker()
    tracker.advance("v0", SHIPPED, STAGES)
    changed = _replace_value(SHIPPED, "channel", 0, value)
    versions = tracker.advance("v1", changed, STAGES)
    assert tracker.full == 6, why
    assert versions["staging"].rendered


def test_a_change_in_a_loop_or_a_macro_is_rendered() -> None:
    tracker = VersionTracker()
    tracker.advance("v0", TRICKY, STAGES)
    looped = TRICKY.replace("revision: 7", "revision: 8")
    versions = tracker.advance("v1", looped, STAGES)
    assert all(version.rendered for version in versions.values())
    assert versions["devel"].diff.changes == (
        FieldChange(application="a", field="revision", old=7, new=8),
        FieldChange(application="b", field="revision", old=7, new=8),
    )
    read = tracker.advance("v2", looped.replace("revision: 10", "revision: 11"), STAGES)
    assert not any(version.rendered for version in read.values())


def test_a_stage_that_does_not_copy_the_change_sees_none() -> None:
    tracker = VersionTracker()
    tracker.advance("v0", TRICKY, STAGES)
    versions = tracker.advance("v1", TRICKY.replace("revision: 1\n", "revision: 2\n"), STAGES)
    assert not any(version.rendered for version in versions.values())
    assert versions["production"].diff.changes == (
        FieldChange(application="prod-only", field="revision", old=1, new=2),
    )
    assert versions["staging"].diff.empty


def test_a_stage_that_stops_rendering_and_comes_back() -> None:
    tracker = VersionTracker()
    tracker.advance("v0", SHIPPED, STAGES)
    broken = SHIPPED.replace("workers: 4", "workers: {{ nope }}")
    versions = tracker.advance("v1", broken, STAGES)
    assert versions["production"].error is not None
    assert versions["production"].diff.empty
    assert versions["staging"].diff.empty
    mended = SHIPPED.replace("revision: 87", "revision: 88")
    again = tracker.advance("v2", mended, STAGES)
    assert again["production"].recovered
    assert again["production"].diff.changes == (
        FieldChange(application="lp-signing", field="revision", old=87, new=88),
    )
    gone = tracker.forget("production")
    assert gone.diff.removed == ("lp-signing", "nrpe")
