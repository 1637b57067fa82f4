"""Steps and plans: what a run does, one checked, resumable step at a time.

A :class:`Step` is data plus four methods, each given the World (every
collaborator) and the run's :class:`~lpsigning_mojo.runbook.Journal`:

- :meth:`Step.describe`: the exact text ``--dry-run`` prints (the real diff,
  commit message, remote command), computed without changing anything;
- :meth:`Step.done`: "is it already done?", reading the outside world where
  it can (the commit is on the remote, the announcement key is in a
  journal), so that a resumed run skips it and an interrupted step is
  checked before it is repeated;
- :meth:`Step.run`: the one place with side effects; returns its outputs
  (commit id, revision, remote exit status), plain JSON, for the journal;
- :meth:`Step.resolve_unknown`: what to do when the previous attempt's
  outcome is unknown (a lost connection, a killed process) and ``done()``
  cannot tell: run it again (the default), count it as done, or stop.

A :class:`Plan` is a name, the instance it acts on, JSON options (what a
resume rebuilds it from) and its ordered steps. :func:`confirm`,
:func:`confirm_or_stop` and :func:`ask_what_happened` ask the person and
record the answer in the journal.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

import attrs

from lpsigning_mojo.errors import DeclinedError
from lpsigning_mojo.runbook.journal import Journal
from lpsigning_mojo.runbook.records import StepState, check_json
from lpsigning_mojo.runbook.world import World

__all__ = [
    "Outputs",
    "Plan",
    "Step",
    "ask_what_happened",
    "confirm",
    "confirm_or_stop",
]

W = TypeVar("W", bound=World)

#: What a step returns: plain JSON values under string keys.
Outputs = Mapping[str, object]


class Step(abc.ABC, Generic[W]):
    """One step of a plan, generic over the World type ``W`` it needs.

    Subclasses set ``name`` (stable across versions: the journal and
    ``--resume`` use it) and may set ``title`` (a few words for people).
    They are usually frozen attrs classes holding the step's inputs::

        @attrs.frozen(kw_only=True)
        class Commit(Step[ReleaseWorld]):
            name = "commit"
            title = "Commit the change"
            message: str

            def describe(self, world, journal):
                return ["git commit, with the message:", *self.message.splitlines()]

            def done(self, world, journal):
                return world.git.head_message() == self.message

            def run(self, world, journal):
                return {"commit": world.git.commit(self.message)}
    """

    name: str
    title: str = ""

    @abc.abstractmethod
    def describe(self, world: W, journal: Journal) -> list[str]:
        """The lines ``--dry-run`` prints for this step: exactly what :meth:`run` would do.

        It must change nothing. In a dry run ``journal`` is read-only and holds
        no outputs of earlier steps (they did not run), unless the dry run
        shows the rest of a run to resume.
        """

    @abc.abstractmethod
    def done(self, world: W, journal: Journal) -> bool:
        """Whether the outside world (or the journals) shows this step already done.

        Called before every :meth:`run`, on a first run as on a resume. Read
        the system the step changes where it can be read (git, the remote, a
        bug's status); return ``False`` when it cannot be known.
        """

    @abc.abstractmethod
    def run(self, world: W, journal: Journal) -> Outputs | None:
        """Do the step; return its outputs (plain JSON) or ``None``.

        Raise an :class:`~lpsigning_mojo.errors.LpsigningMojoError` to fail
        with its sentence (the run stops and can be resumed); let
        :class:`~lpsigning_mojo.errors.OutcomeUnknown` through when the
        outcome cannot be known.
        """

    def done_outputs(self, world: W, journal: Journal) -> Outputs:
        """The outputs to record when :meth:`done` found the step already done.

        The default records none; override it to read them back (the commit
        id from git), so later steps and the summary have them.
        """
        return {}

    def resolve_unknown(self, world: W, journal: Journal, previous: StepState) -> Outputs | None:
        """Decide about a previous attempt that may or may not have taken effect.

        Called on resume when the previous attempt entered :meth:`run` and
        ended ``unknown`` (connection lost, process killed) or
        ``interrupted`` (Ctrl-C), and :meth:`done` says it is not done.
        Return ``None`` to run the step again (the default), outputs to count
        it as done, or raise (:class:`~lpsigning_mojo.errors.DeclinedError`)
        to stop. A step that must never run twice (a remote upgrade) asks the
        person: ``return ask_what_happened(world, journal, self, previous)``.
        """
        return None


def _check_step(step: Step[W]) -> None:
    name = getattr(step, "name", None)
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise TypeError(f"{type(step).__name__} has no usable name (got {name!r})")


def _check_steps(plan: Plan[W], attribute: object, steps: tuple[Step[W], ...]) -> None:
    if not isinstance(steps, tuple):
        raise TypeError(
            f"the steps of plan {plan.name!r} must be a tuple, not {type(steps).__name__}"
        )
    if not steps:
        raise ValueError(f"plan {plan.name!r} has no steps")
    for step in steps:
        _check_step(step)
    names = [step.name for step in steps]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"plan {plan.name!r} has steps with the same name: {duplicates}")


def _check_options(plan: Plan[W], attribute: object, options: Mapping[str, object]) -> None:
    check_json(options, what=f"the options of plan {plan.name!r}")


@attrs.frozen(kw_only=True)
class Plan(Generic[W]):
    """An ordered list of steps for one instance, built from JSON options.

    ``options`` are what the plan was built from (``--revision 90``...): the
    journal keeps them, and a resume rebuilds the same plan from them.
    ``instance`` names what the run acts on (the lock is per instance).
    """

    name: str
    instance: str | None = None
    options: Mapping[str, object] = attrs.field(factory=dict, validator=_check_options)
    steps: tuple[Step[W], ...] = attrs.field(validator=_check_steps)

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)


def confirm(world: World, journal: Journal, question: str) -> bool:
    """Ask ``question`` (``--yes`` answers yes) and record the answer in the journal."""
    answer = world.prompt.confirm(question)
    if journal.writable:
        how = "--yes" if world.prompt.assume_yes else "asked"
        journal.note("confirmation", question=question, answer=answer, how=how)
    return answer


def confirm_or_stop(world: World, journal: Journal, question: str, *, hint: str) -> None:
    """:func:`confirm`, raising :class:`~lpsigning_mojo.errors.DeclinedError` on no.

    ``hint`` says what to do instead (e.g. how to resume once ready).
    """
    if not confirm(world, journal, question):
        raise DeclinedError(f"{question!r} was answered no", hint=hint)


#: The answers :func:`ask_what_happened` offers, in order.
WHAT_HAPPENED = ("it completed", "run it again", "stop here")


def ask_what_happened(
    world: World,
    journal: Journal,
    step: Step[W],
    previous: StepState,
    *,
    what: Sequence[str] = (),
) -> Outputs | None:
    """Ask the person whether an unknown attempt completed; for :meth:`Step.resolve_unknown`.

    ``what`` are lines that help them find out (where to look). "It
    completed" counts the step as done, "run it again" runs it, "stop here"
    raises :class:`~lpsigning_mojo.errors.DeclinedError`. ``--yes`` never
    answers this question; without a terminal it is a
    :class:`~lpsigning_mojo.errors.PromptError`.
    """
    reason = previous.error or previous.reason or "the outcome was not recorded"
    world.reporter.info(f"The last attempt at step {step.name} may or may not have taken effect:")
    world.reporter.info(f"  {reason}")
    for line in what:
        world.reporter.info(f"  {line}")
    answer = world.prompt.choose(f"What happened to step {step.name}?", WHAT_HAPPENED)
    journal.note("answer", question=f"what happened to step {step.name}?", answer=answer)
    if answer == WHAT_HAPPENED[0]:
        return {"resolved": "the person said it completed"}
    if answer == WHAT_HAPPENED[1]:
        return None
    raise DeclinedError(
        f"stopped at step {step.name}: its outcome is unknown",
        hint="Find out what happened, then resume the run",
    )
