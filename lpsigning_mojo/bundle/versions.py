"""Many versions of a bundle template, rendered per stage without rendering most of them.

A spec's history is thousands of versions of one template, and nearly every
change between two of them rewrites one pinned value: a charm revision, a
channel, ``build_label``. :class:`VersionTracker` follows the versions in
order and, for each stage, says what changed (a
:class:`~lpsigning_mojo.bundle.diff.BundleDiff`).

A version is rendered in full (:func:`~lpsigning_mojo.bundle.template.render_bundle`)
only when it must be. After each full rendering the tracker notes, through
the rendering's map back to the template
(:class:`~lpsigning_mojo.bundle.template.Rendered`), the template characters
that every stage copies, and among them the *slots*: the characters that
alone write a plain scalar value of ``charm``, ``channel``, ``revision`` or
``options.build_label`` (copied once, from one run of template text). When
the next version differs only inside slots, by characters that cannot
change Jinja's or YAML's reading (letters, digits, ``._/+=-``), and outside
every other character a stage copies, the rendered bundles differ by exactly
those values, so the new values are read off the slots; for stages that do
not copy the changed characters (a branch they do not take) nothing changed.
Anything else (a new line, a Jinja construct, a comment, a value that would
become a number or a boolean) is rendered in full. Both ways give the same
values: ``tests/bundle/test_versions.py`` checks it against full renderings.

Pure: text in, values out.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import yaml

from lpsigning_mojo.bundle.diff import BundleDiff, FieldChange, diff_bundles
from lpsigning_mojo.bundle.model import Application, Bundle
from lpsigning_mojo.errors import BundleError
from lpsigning_mojo.yamlnodes import LINE_BREAK

if TYPE_CHECKING:
    # Jinja2 and the rendering are imported by the first full rendering (see _full):
    # most versions are read, not rendered.
    from lpsigning_mojo.bundle.template import Rendered

__all__ = ["TRACKED_FIELDS", "StageVersion", "VersionTracker"]

#: The values read off the template between full renderings, as :class:`FieldChange` names them.
TRACKED_FIELDS = ("charm", "channel", "revision", "options.build_label")
_ORDER = {field: index for index, field in enumerate(TRACKED_FIELDS)}
_safe = re.compile(r"[A-Za-z0-9._/+=-]*\Z").match
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+=-]*\Z")
_INTEGER = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_LAST = sys.maxsize
_NO_VALUES: Mapping[tuple[str, str], Any] = {}
#: How the bundle's YAML reader resolves plain scalars (YAML 1.1: ``on`` is a boolean).
_RESOLVER = yaml.resolver.Resolver()


@attrs.frozen(kw_only=True)
class StageVersion:
    """One stage at one version: what changed since the stage's previous version.

    ``error`` says why the version does not render for the stage (then
    :attr:`bundle` is ``None`` and ``diff`` empty); ``rendered`` whether it
    was rendered in full rather than read off the slots.
    """

    stage: str
    error: str | None
    diff: BundleDiff
    rendered: bool
    #: The previous version did not render for the stage and this one does; ``diff`` is
    #: then from the last version that rendered.
    recovered: bool = False
    _state: _State | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def bundle(self) -> Bundle | None:
        """The bundle this stage deploys at this version (built when asked for)."""
        return None if self._state is None else self._state.materialize()


@dataclasses.dataclass(frozen=True)
class _Slot:
    start: int
    end: int
    application: str
    field: str


class _State:
    """A stage at one version: normalized text, values, slots and copied spans.

    A plain class with slots: one is made per stage and version, the hot path.
    """

    __slots__ = ("bundle", "copied", "error", "key", "slots", "text", "values")

    def __init__(
        self,
        key: str,
        text: str,
        bundle: Bundle | None,
        error: str | None,
        slots: tuple[_Slot, ...] = (),
        copied: tuple[tuple[int, int], ...] = (),
    ) -> None:
        self.key = key
        self.text = text
        self.bundle = bundle
        self.error = error
        self.slots = slots
        self.copied = copied
        #: Slot values changed since ``bundle`` was rendered: (application, field) -> value.
        self.values: Mapping[tuple[str, str], Any] = _NO_VALUES

    def materialize(self) -> Bundle | None:
        """The bundle of this version (the rendered one with the slot values applied)."""
        if self.bundle is None or not self.values:
            return self.bundle
        bundle = self.bundle
        for (name, field), value in self.values.items():
            bundle = bundle.replace_application(_with(bundle.applications[name], field, value))
        return bundle

    def read(self, application: str, field: str) -> Any:
        """The value of ``field`` of ``application`` as rendered (slot values aside)."""
        assert self.bundle is not None
        return _value(self.bundle.applications[application], field)


class VersionTracker:
    """Follows versions of bundle templates for some stages (see the module's docs).

    ``variables`` are the template variables besides the stage's (``series``,
    ``local_dir``); ``path`` names the template in error messages. Counters
    ``full`` and ``read`` say how many stage versions were rendered in full
    and read off the slots.
    """

    def __init__(self, *, variables: Mapping[str, object] | None = None, path: str | None = None):
        self.variables = dict(variables or {})
        self.path = path
        self._states: dict[str, _State | None] = {}
        self._seen: dict[tuple[str, str], _State] = {}
        self._good: dict[str, _State] = {}  # each stage's last version that rendered
        self._changes: dict[tuple[object, ...], FieldChange] = {}
        self._diffs: dict[tuple[int, ...], BundleDiff] = {}
        self.full = 0
        self.read = 0

    def advance(self, key: str, text: str, stages: Iterable[str]) -> dict[str, StageVersion]:
        """``stages`` now deploy version ``key`` (a blob id) whose text is ``text``.

        Returns, per stage, the bundle and the diff from that stage's previous
        version (from nothing, the first time).
        """
        normalized = "\n".join(LINE_BREAK.split(text)) if "\r" in text else text
        states = self._states
        results: dict[str, StageVersion] = {}
        groups: dict[str | None, list[str]] = {}  # by the version each stage had
        for stage in stages:
            previous = states.get(stage)
            previous_key = None if previous is None else previous.key
            members = groups.get(previous_key)
            if members is None:
                groups[previous_key] = [stage]
            else:
                members.append(stage)
        for previous_key, members in groups.items():
            read = None
            if previous_key is not None and previous_key != key:
                read = self._read(members, key, normalized)
            if read is not None:
                diffs = self._diffs
                for stage in members:
                    after, changes = read[stage]
                    ids = tuple(map(id, changes))  # the changes are shared (see _read)
                    diff = diffs.get(ids)
                    if diff is None:
                        diff = diffs[ids] = BundleDiff(changes=changes)
                    results[stage] = StageVersion(
                        stage=stage, error=None, diff=diff, rendered=False, state=after
                    )
                    states[stage] = self._good[stage] = after
                self.read += len(members)
                continue
            for stage in members:
                before = states.get(stage)
                after = self._full(stage, key, normalized)
                broken = before is not None and before.bundle is None
                results[stage] = StageVersion(
                    stage=stage,
                    error=after.error,
                    diff=_diff(self._good.get(stage) if broken else before, after),
                    rendered=True,
                    recovered=broken and after.bundle is not None,
                    state=after,
                )
                states[stage] = after
                if after.bundle is not None:
                    self._good[stage] = after
        return results

    def forget(self, stage: str) -> StageVersion:
        """``stage`` deploys no template any more (its file is gone)."""
        before = self._states.pop(stage, None)
        if before is not None and before.bundle is None:
            before = self._good.get(stage)
        self._good.pop(stage, None)
        old = None if before is None else before.materialize()
        diff = BundleDiff() if old is None else diff_bundles(old, Bundle())
        return StageVersion(stage=stage, error=None, diff=diff, rendered=False)

    # -- full rendering ---------------------------------------------------------------------

    def _full(self, stage: str, key: str, text: str) -> _State:
        seen = self._seen.get((stage, key))
        if seen is not None:
            return seen
        from lpsigning_mojo.bundle.template import Template, render_bundle

        self.full += 1
        try:
            template = Template.from_text(text, path=self.path)
            rendered, bundle = render_bundle(template, stage, self.variables)
        except BundleError as error:
            state = _State(key, text, None, str(error))
        else:
            slots, copied = _slots(rendered, bundle) if rendered.mapped else ((), ())
            state = _State(key, text, bundle, None, slots, copied)
        self._seen[(stage, key)] = state
        return state

    # -- reading values off the slots -------------------------------------------------------

    def _read(
        self, stages: Sequence[str], key: str, text: str
    ) -> dict[str, tuple[_State, tuple[FieldChange, ...]]] | None:
        """The stages' new states and changes when only slot values changed, else ``None``.

        The hot path: one call per commit of a spec's history.
        """
        states: list[_State] = []
        for stage in stages:
            state = self._states[stage]
            if state is None or state.bundle is None or not state.slots:
                return None
            states.append(state)
        old = states[0].text
        regions = _regions(old, text)
        if regions is None:
            return None
        moved = False
        for start, end, replacement in regions:
            if _safe(replacement) is None:
                return None
            if len(replacement) != end - start:
                moved = True
        placed: list[list[tuple[_Slot, tuple[int, int, str]]]] = []
        in_slots: set[int] = set()
        for state in states:
            hits = _place(state.slots, state.copied, regions, in_slots)
            if hits is None:
                return None
            placed.append(hits)
        if len(in_slots) != len(regions):  # a region that no stage copies through a slot
            return None
        parsed: dict[tuple[str, str], Any] = {}
        known = self._changes
        result: dict[str, tuple[_State, tuple[FieldChange, ...]]] = {}
        for stage, state, hits in zip(stages, states, placed, strict=True):
            if not hits and not moved:  # this stage does not copy what changed
                after = _State(key, text, state.bundle, None, state.slots, state.copied)
                after.values = state.values
                result[stage] = (after, ())
                continue
            values = dict(state.values)
            changes: list[FieldChange] = []
            for slot, (start, end, replacement) in hits:
                application, field = where = slot.application, slot.field
                found = (old[slot.start : start] + replacement + old[end : slot.end], field)
                if found in parsed:
                    value = parsed[found]
                else:
                    value = parsed[found] = _parse(*found)
                if value is None:
                    return None
                before = values[where] if where in values else state.read(application, field)
                values[where] = value
                if value != before:
                    # Shared and frozen: equal changes are one object (advance keys diffs by id).
                    change_key = (application, field, before, value)
                    change = known.get(change_key)
                    if change is None:
                        change = known[change_key] = FieldChange(
                            application=application, field=field, old=before, new=value
                        )
                    changes.append(change)
            if len(changes) > 1:
                changes.sort(key=lambda change: (change.application or "", _ORDER[change.field]))
            slots, copied = state.slots, state.copied
            if moved:  # offsets after a region that changed length move
                slots = tuple(_shift_slot(slot, regions) for slot in slots)
                copied = tuple(_shift_span(span, regions) for span in copied)
            after = _State(key, text, state.bundle, None, slots, copied)
            after.values = values
            result[stage] = (after, tuple(changes))
        return result


def _diff(before: _State | None, after: _State) -> BundleDiff:
    """From ``before`` (nothing: the first version) to ``after``; empty when ``after``
    does not render."""
    new = after.materialize()
    if new is None:
        return BundleDiff()
    old = None if before is None else before.materialize()
    return diff_bundles(old or Bundle(), new)


def _value(application: Application, field: str) -> Any:
    if field.startswith("options."):
        return application.options.get(field.removeprefix("options."))
    return getattr(application, field)


def _with(application: Application, field: str, value: Any) -> Application:
    if field.startswith("options."):
        return application.with_option(field.removeprefix("options."), value)
    return attrs.evolve(application, **{field: value})


def _parse(written: str, field: str) -> Any:
    """The value YAML reads from the plain scalar ``written``, or ``None`` when unsure."""
    if field == "revision":
        return int(written) if _INTEGER.match(written) else None
    if not _PLAIN.match(written) or _implicit(written):
        return None
    return written


def _implicit(written: str) -> bool:
    """Whether YAML would read ``written`` as something other than a string."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, written, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag != "tag:yaml.org,2002:str")


def _slots(
    rendered: Rendered, bundle: Bundle
) -> tuple[tuple[_Slot, ...], tuple[tuple[int, int], ...]]:
    slots: list[_Slot] = []
    for name, application in bundle.applications.items():
        for field in TRACKED_FIELDS:
            value = _value(application, field)
            position = application.positions.get(field)
            if value is None or position is None or isinstance(value, bool):
                continue
            if field == "revision" and not isinstance(value, int):
                continue
            if field != "revision" and not isinstance(value, str):
                continue
            written = str(value)
            if _parse(written, field) != value:
                continue
            line = rendered.line_text(position.line)
            column = position.column - 1
            if line[column : column + len(written)] != written:
                continue
            after = line[column + len(written) : column + len(written) + 1]
            if after not in ("", " ", "\t"):
                continue
            origins = rendered.origins(position.line)[column : column + len(written)]
            first = origins[0] if origins else None
            if first is None or first.kind != "data" or len(origins) != len(written):
                continue
            if any(
                origin is None
                or origin.kind != "data"
                or origin.offset != first.offset + index
                or origin.run_start != first.run_start
                for index, origin in enumerate(origins)
            ):
                continue
            if len(rendered.copies(first.run_start)) != 1:
                continue
            slots.append(_Slot(first.offset, first.offset + len(written), name, field))
    spans = sorted(rendered.data_offsets())
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(slots), tuple(merged)


def _regions(old: str, new: str) -> list[tuple[int, int, str]] | None:
    """Where ``new`` differs from ``old``: (start, end, replacement) in ``old``, one per line.

    ``None`` when lines were added or removed (a change of structure).
    """
    if old == new:
        return []
    old_size, new_size = len(old), len(new)
    limit = old_size if old_size < new_size else new_size
    low, high = 0, limit  # the common prefix is at least low, at most high
    while low < high:
        middle = (low + high + 1) >> 1
        if old[low:middle] == new[low:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, limit - prefix  # the common suffix, likewise
    while low < high:
        middle = (low + high + 1) >> 1
        if old[old_size - middle : old_size - low] == new[new_size - middle : new_size - low]:
            low = middle
        else:
            high = middle - 1
    old_end, new_end = old_size - low, new_size - low
    removed, added = old[prefix:old_end], new[prefix:new_end]
    if "\n" not in removed and "\n" not in added:
        return [(prefix, old_end, added)]
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if len(old_lines) != len(new_lines):
        return None
    regions = []
    offset = 0
    for before, after in zip(old_lines, new_lines, strict=True):
        if before != after:
            start, stop, replacement = _regions(before, after)[0]  # type: ignore[index]
            regions.append((offset + start, offset + stop, replacement))
        offset += len(before) + 1
    return regions


def _place(
    slots: Sequence[_Slot],
    copied: Sequence[tuple[int, int]],
    regions: Sequence[tuple[int, int, str]],
    in_slots: set[int],
) -> list[tuple[_Slot, tuple[int, int, str]]] | None:
    """The slot each region falls in, for one layout of slots and copied spans.

    ``None`` when a region outside every slot meets a copied span, or two
    regions fall in one slot. The indexes of the regions in a slot are added
    to ``in_slots``.
    """
    hits: list[tuple[_Slot, tuple[int, int, str]]] = []
    for index, region in enumerate(regions):
        start, end, _ = region
        slot = _slot_holding(slots, start, end)
        if slot is not None:
            for seen, _ in hits:
                if seen is slot:
                    return None
            hits.append((slot, region))
            in_slots.add(index)
        elif _touches(copied, start, end):
            return None
    return hits


def _slot_holding(slots: Sequence[_Slot], start: int, end: int) -> _Slot | None:
    for slot in slots:
        if slot.start <= start and end <= slot.end:
            return slot
    return None


def _touches(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end] meets a span (sorted, disjoint), touching counts."""
    index = bisect.bisect_right(spans, (end, _LAST))  # spans starting at or before end
    return index > 0 and spans[index - 1][1] >= start


def _delta(regions: Sequence[tuple[int, int, str]], offset: int, *, inclusive: bool) -> int:
    return sum(
        len(replacement) - (end - start)
        for start, end, replacement in regions
        if (start <= offset if inclusive else start < offset)
    )


def _shift_slot(slot: _Slot, regions: Sequence[tuple[int, int, str]]) -> _Slot:
    return dataclasses.replace(
        slot,
        start=slot.start + _delta(regions, slot.start, inclusive=False),
        end=slot.end + _delta(regions, slot.end, inclusive=True),
    )


def _shift_span(span: tuple[int, int], regions: Sequence[tuple[int, int, str]]) -> tuple[int, int]:
    start, end = span
    return (
        start + _delta(regions, start, inclusive=False),
        end + _delta(regions, end, inclusive=True),
    )
