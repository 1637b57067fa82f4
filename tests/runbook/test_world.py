"""The prompt and the reporter the engine uses, and the confirmation helpers."""

from __future__ import annotations

import io

import pytest

from lpsigning_mojo.errors import PromptError
from lpsigning_mojo.remote import OutputLine
from lpsigning_mojo.runbook import (
    Journal,
    Plan,
    RunStore,
    Session,
    StreamReporter,
    TerminalPrompt,
    confirm,
    confirm_or_stop,
    execute,
)
from lpsigning_mojo.testing import FakeClock
from tests.runbook.conftest import Act, DemoWorld, make_world


def test_yes_confirms_without_asking_and_says_so() -> None:
    output = io.StringIO()
    prompt = TerminalPrompt(yes=True, input=io.StringIO(), output=output, tty=False)
    assert prompt.confirm("Announce it?") is True
    assert output.getvalue() == "Announce it? [y/N] yes (--yes)\n"


@pytest.mark.parametrize(
    ("typed", "answer"), [("y\n", True), ("YES\n", True), ("n\n", False), ("", False)]
)
def test_a_terminal_confirmation_takes_only_yes(typed: str, answer: bool) -> None:
    prompt = TerminalPrompt(input=io.StringIO(typed), output=io.StringIO(), tty=True)
    assert prompt.confirm("Go?") is answer


def test_without_a_terminal_or_yes_a_confirmation_is_an_error_saying_to_pass_yes() -> None:
    prompt = TerminalPrompt(input=io.StringIO("y\n"), output=io.StringIO(), tty=False)
    with pytest.raises(PromptError) as caught:
        prompt.confirm("Mark the request deployed?")
    assert str(caught.value) == (
        "'Mark the request deployed?' needs a confirmation, and there is no terminal to ask on. "
        "Pass --yes to confirm it, or run the command on a terminal."
    )


def test_a_choice_takes_a_number_or_the_text_and_asks_again_when_wrong() -> None:
    output = io.StringIO()
    prompt = TerminalPrompt(input=io.StringIO("7\nstop\n"), output=output, tty=True)
    assert prompt.choose("What now?", ["go", "stop"]) == "stop"
    assert output.getvalue().count("What now?") == 2
    prompt = TerminalPrompt(input=io.StringIO("x\ny\nz\n"), output=io.StringIO(), tty=True)
    with pytest.raises(PromptError, match="no valid answer to 'What now'"):
        prompt.choose("What now?", ["go", "stop"])


def test_yes_never_answers_a_choice() -> None:
    prompt = TerminalPrompt(yes=True, input=io.StringIO("1\n"), output=io.StringIO(), tty=False)
    with pytest.raises(PromptError, match="--yes does not answer it"):
        prompt.choose("What happened?", ["it completed", "run it again"])


def test_the_reporter_shows_progress_as_plain_lines_off_a_terminal() -> None:
    out, clock = io.StringIO(), FakeClock()
    reporter = StreamReporter(clock=clock, out=out, err=io.StringIO(), tty=False)
    with reporter.progress("upgrade-staging") as progress:
        progress.line(OutputLine(stream="stdout", text="phase 1"))
        clock.now += 61
        progress.line(OutputLine(stream="stdout", text="phase 2"))
    assert out.getvalue() == "[00:00] phase 1\n[01:01] phase 2\n"


def test_the_reporter_keeps_one_progress_line_on_a_terminal() -> None:
    out, clock = io.StringIO(), FakeClock()
    reporter = StreamReporter(clock=clock, out=out, err=io.StringIO(), tty=True)
    progress = reporter.progress("upgrade")
    progress.line(OutputLine(stream="stdout", text="phase 1"))
    progress.close()
    assert out.getvalue() == "\r\x1b[K[00:00] upgrade: phase 1\n"


class Confirmed(Act):
    def run(self, world: DemoWorld, journal: Journal) -> dict[str, object]:
        confirm_or_stop(world, journal, "Is the request filed?", hint="File it, then resume")
        world.outside.effects.append(self.name)
        return {}


def test_a_confirmation_is_recorded_and_a_no_stops_the_run(runs: RunStore) -> None:
    world = make_world(answers="n\ny\n")
    runs.clock = world.clock
    steps = Plan(name="demo", steps=(Confirmed(name="deployable"),))
    report = execute(steps, world, runs=runs)
    assert report.status == "failed"
    assert report.error == "'Is the request filed?' was answered no. File it, then resume."
    again = execute(steps, world, runs=runs, resume="last")
    assert again.status == "done"
    assert again.summary is not None
    assert [dict(n.data) for n in again.summary.notes if n.kind == "confirmation"] == [
        {"question": "Is the request filed?", "answer": False, "how": "asked"},
        {"question": "Is the request filed?", "answer": True, "how": "asked"},
    ]
    assert [n.step for n in again.summary.notes if n.kind == "confirmation"] == [
        "deployable",
        "deployable",
    ]


def test_confirm_in_a_dry_run_records_nothing(world: DemoWorld, runs: RunStore) -> None:
    header = runs.header(
        run_id="dry-run",
        plan="demo",
        instance=None,
        options={},
        steps=("a",),
        session=Session.current(),
    )
    journal = Journal.memory(header, clock=world.clock)
    yes = make_world(yes=True)
    assert confirm(yes, journal, "Go?") is True
    assert journal.notes() == []


def test_steps_need_distinct_usable_names() -> None:
    with pytest.raises(ValueError, match="steps with the same name: \\['a'\\]"):
        Plan(name="p", steps=(Act(name="a"), Act(name="a")))
    with pytest.raises(TypeError, match="has no usable name"):
        Plan(name="p", steps=(Act(name=" a"),))
    with pytest.raises(TypeError, match="must be a tuple, not list"):
        Plan(name="p", steps=[Act(name="a")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has no steps"):
        Plan(name="p", steps=())
    with pytest.raises(TypeError, match="the options of plan 'p' must be plain JSON"):
        Plan(name="p", options={"when": object()}, steps=(Act(name="a"),))


def test_a_step_without_a_usable_name_is_refused_naming_its_class_and_the_name() -> None:
    class Nameless:
        pass

    with pytest.raises(TypeError, match=r"^Nameless has no usable name \(got None\)$"):
        Plan(name="p", steps=(Nameless(),))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^Act has no usable name \(got 3\)$"):
        Plan(name="p", steps=(Act(name=3),))  # type: ignore[arg-type]


def test_a_confirmation_asks_its_question_and_records_that_yes_answered_it(
    runs: RunStore,
) -> None:
    world = make_world(answers="y\n")
    runs.clock = world.clock
    execute(Plan(name="demo", steps=(Confirmed(name="deployable"),)), world, runs=runs)
    assert world.asked.getvalue() == "Is the request filed? [y/N] "
    yes = make_world(yes=True)
    runs.clock = yes.clock
    report = execute(Plan(name="demo", steps=(Confirmed(name="deployable"),)), yes, runs=runs)
    assert report.summary is not None
    assert [dict(n.data) for n in report.summary.notes if n.kind == "confirmation"] == [
        {"question": "Is the request filed?", "answer": True, "how": "--yes"},
    ]


def _unknown_push(runs: RunStore) -> None:
    """An attempt at push whose end says "unknown" with neither an error nor a reason."""
    header = runs.header(
        run_id="20260101T000000Z-aaaaaa",
        plan="demo",
        instance=None,
        options={},
        steps=("push",),
        session=Session.current(),
    )
    with runs.create(header) as journal:
        journal.step_started("push")
        journal.step_ended("push", "unknown", phase="run", duration=1.0)


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        ("1\n", "done", None),
        (
            "3\n",
            "failed",
            "stopped at step push: its outcome is unknown. "
            "Find out what happened, then resume the run.",
        ),
    ],
)
def test_an_attempt_with_no_recorded_outcome_says_so_when_asking(
    runs: RunStore, answer: str, status: str, error: str | None
) -> None:
    world = make_world(answers=answer)
    runs.clock = world.clock
    _unknown_push(runs)
    steps = Plan(name="demo", steps=(Act(name="push", checkable=False, ask=True),))
    report = execute(steps, world, runs=runs, resume="last")
    assert (report.status, report.error) == (status, error)
    assert "The last attempt at step push may or may not have taken effect:" in world.output
    assert "  the outcome was not recorded\n" in world.output
    assert "  look at the effects\n" in world.output
