"""Properties of the journal: what is written reads back; a torn tail costs only itself."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lpsigning_mojo.runbook import Journal, RunStore, Session
from lpsigning_mojo.runbook.records import parse_journal
from lpsigning_mojo.testing import FakeClock

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
DATA = st.dictionaries(st.text(max_size=8), JSON, max_size=4)


def _journal(directory: Path) -> Journal:
    runs = RunStore(directory, clock=FakeClock())
    header = runs.header(
        run_id=runs.new_run_id(),
        plan="demo",
        instance=None,
        options={},
        steps=("a",),
        session=Session.current(),
    )
    return runs.create(header)


@given(st.lists(DATA, max_size=6))
def test_notes_read_back_as_written(notes: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        journal = _journal(Path(directory))
        for data in notes:
            journal.note("x", **{"data": data})
        journal.close()
        loaded = RunStore(Path(directory), clock=FakeClock()).load(journal.run_id)
        assert [note.data["data"] for note in loaded.notes()] == notes
        assert loaded.records == journal.records


@given(st.lists(DATA, min_size=1, max_size=6), st.data())
def test_any_cut_keeps_exactly_the_complete_records(
    bodies: list[dict[str, object]], data: st.DataObject
) -> None:
    records = [{"type": "run", "run_id": "r"}] + [{"type": "note", "data": b} for b in bodies]
    lines = [(json.dumps(r) + "\n").encode() for r in records]
    whole = b"".join(lines)
    cut = data.draw(st.integers(0, len(whole)), label="cut")
    parsed, torn = parse_journal(whole[:cut])
    ends = [sum(len(line) for line in lines[: index + 1]) for index in range(len(lines))]
    complete = [record for record, end in zip(records, ends, strict=True) if end <= cut]
    assert parsed == complete
    assert torn == cut - max([0, *(end for end in ends if end <= cut)])


@given(st.lists(DATA, min_size=1, max_size=5), st.binary(max_size=40), st.data())
def test_reopening_after_a_torn_write_keeps_every_complete_record(
    bodies: list[dict[str, object]], garbage: bytes, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        journal = _journal(Path(directory))
        for body in bodies:
            journal.note("x", body=body)
        journal.close()
        assert journal.path is not None
        written = journal.path.read_bytes()
        first_end = written.index(b"\n") + 1
        cut = data.draw(st.integers(first_end, len(written)), label="cut")
        tail = garbage.replace(b"\n", b"")
        journal.path.write_bytes(written[:cut] + tail)
        kept = [r for r in parse_journal(written[:cut])[0]]
        reopened, torn = Journal.open(journal.path, clock=FakeClock())
        assert torn == len(written[:cut]) - written[:cut].rfind(b"\n") - 1 + len(tail)
        reopened.note("after")
        reopened.close()
        again, torn_again = parse_journal(journal.path.read_bytes())
        assert torn_again == 0
        assert again[:-1] == kept
        assert again[-1]["kind"] == "after"
