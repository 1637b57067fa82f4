"""Telling people about a production rollout: Deployable and the ~is-outage announcement.

Each of these happens exactly once per (instance, target) across every run
and every resume, so each is an exactly-once effect
(:meth:`~lpsigning_mojo.runbook.Journal.effect`) keyed by
``(what, instance, target)`` and read back from every journal:

:class:`DeployableRequest`
   The deployment request on Deployable. Deployable has no public API: the
   configured request command runs once with the release note on standard
   input and its output is recorded; without one, the note and Deployable's
   page are printed and the person confirms (``--yes`` confirms).
:class:`Announce`
   The announcement in ``~is-outage`` through the Mattermost webhook of the
   configuration (its URL never printed); without one, it is printed for the
   person to post, who confirms.
:class:`DeployableDeployed`
   Marking the request deployed: the configured deployed command once, or a
   confirmation.

An attempt whose outcome is unknown (the webhook's answer was lost, the
process was killed while the command ran) is never repeated without asking
the person what happened, whether it was this run or another.
"""

from __future__ import annotations

import abc
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Protocol

import attrs

from lpsigning_mojo.errors import AnnouncementOutcomeUnknown, ChatError, DeployableCommandError
from lpsigning_mojo.release.gates import Target
from lpsigning_mojo.release.world import ReleaseWorld
from lpsigning_mojo.runbook import (
    EffectRecord,
    Journal,
    Outputs,
    Step,
    StepState,
    ask_what_happened,
    confirm_or_stop,
)

__all__ = [
    "ANNOUNCE_CHANNEL",
    "COMMAND_TIMEOUT",
    "Announce",
    "DeployableDeployed",
    "DeployableRequest",
    "ExactlyOnceStep",
    "Rollout",
    "announcement",
    "note_path",
]

#: The channel the runbook announces rollouts in.
ANNOUNCE_CHANNEL = "~is-outage"
#: How long a Deployable command may run (seconds).
COMMAND_TIMEOUT = 120.0
#: How many of a command's last lines are recorded.
_KEPT_LINES = 20


class Rollout(Protocol):
    """What the production plan deploys, as the steps here ask for it."""

    def target(self, world: ReleaseWorld, journal: Journal) -> Target:
        """The charm revision and ``build_label`` production is about to run."""
        ...

    def note(self, world: ReleaseWorld, journal: Journal) -> str:
        """The release note (Markdown), written once per run."""
        ...


def note_path(world: ReleaseWorld, journal: Journal) -> Path:
    """``RUN_ID.release-note.md`` beside the journal (``RUN_ID`` itself in a dry run)."""
    if journal.path is None:
        return world.runs.directory / "RUN_ID.release-note.md"
    return journal.path.parent / f"{journal.run_id}.release-note.md"


def announcement(note: str, target: Target) -> str:
    """The announcement posted in ``~is-outage``: one opening line, then the release note."""
    return (
        f"Rolling out {target.describe()} to {target.instance} now "
        "(upgrade-production, about five minutes).\n\n" + note
    )


def _as_state(step: Step[ReleaseWorld], seen: EffectRecord) -> StepState:
    """An effect another run left unknown, as :func:`ask_what_happened` reads an attempt."""
    why = seen.error or "its run stopped before recording how it ended"
    return StepState(
        name=step.name,
        outcome="unknown",
        ran=True,
        started=seen.at,
        ended=None,
        duration=None,
        outputs={},
        error=f"run {seen.run_id}: {why}",
        reason=None,
        attempts=1,
    )


@attrs.frozen(kw_only=True)
class ExactlyOnceStep(Step[ReleaseWorld]):
    """A step whose one effect happens once per (what, instance, target), across all runs.

    Subclasses say what the effect is (:meth:`act`, inside the journal's
    effect record) and what helps a person find out whether an unknown
    attempt took effect (:meth:`unknown_help`).
    """

    release: Rollout
    #: The first part of the effect's key.
    what: ClassVar[str] = "effect"

    def key(self, world: ReleaseWorld, journal: Journal) -> tuple[str, ...]:
        target = self.release.target(world, journal)
        return (self.what, target.instance, target.key)

    def done(self, world: ReleaseWorld, journal: Journal) -> bool:
        seen = journal.effect_status(self.key(world, journal))
        return seen is not None and seen.status == "done"

    def done_outputs(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        seen = journal.effect_status(self.key(world, journal))
        if seen is None:
            return {}
        return {"by_run": seen.run_id, **dict(seen.data)}

    @abc.abstractmethod
    def act(self, world: ReleaseWorld, journal: Journal, key: Sequence[str]) -> Outputs:
        """Do the effect once, inside ``journal.effect(key)``."""

    @abc.abstractmethod
    def unknown_help(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        """Lines telling the person how to find out whether an attempt took effect."""

    def _ask(self, world: ReleaseWorld, journal: Journal, previous: StepState) -> Outputs | None:
        answer = ask_what_happened(
            world, journal, self, previous, what=self.unknown_help(world, journal)
        )
        if answer is not None:
            with journal.effect(self.key(world, journal), resolved="the person said it happened"):
                pass
        return answer

    def run(self, world: ReleaseWorld, journal: Journal) -> Outputs:
        key = self.key(world, journal)
        seen = journal.effect_status(key)
        if seen is not None and seen.status == "unknown" and seen.run_id != journal.run_id:
            answer = self._ask(world, journal, _as_state(self, seen))
            if answer is not None:
                return answer
        return self.act(world, journal, key)

    def resolve_unknown(
        self, world: ReleaseWorld, journal: Journal, previous: StepState
    ) -> Outputs | None:
        return self._ask(world, journal, previous)


def _command_line(
    world: ReleaseWorld, journal: Journal, argv: Sequence[str], env: Mapping[str, str]
) -> str:
    """``NAME=value ... COMMAND < RUN_ID.release-note.md``, for ``/bin/sh -c``."""
    assignments = [f"{name}={shlex.quote(value)}" for name, value in env.items()]
    path = shlex.quote(str(note_path(world, journal)))
    return " ".join([*assignments, shlex.join(argv), "<", path])


def _environment(target: Target, journal: Journal) -> dict[str, str]:
    return {
        "LPSIGNING_MOJO_RUN_ID": journal.run_id if journal.writable else "RUN_ID",
        "LPSIGNING_MOJO_INSTANCE": target.instance,
        "LPSIGNING_MOJO_REVISION": str(target.revision),
        "LPSIGNING_MOJO_BUILD_LABEL": target.build_label or "",
    }


@attrs.frozen(kw_only=True)
class _DeployableStep(ExactlyOnceStep):
    """Run a configured Deployable command once with the note on stdin, or ask the person."""

    #: The configuration key of the command.
    setting: ClassVar[str] = "deployable.request-command"
    #: What the person is asked when no command is configured.
    question: ClassVar[str] = "Have you done it on Deployable?"

    def _argv(self, world: ReleaseWorld) -> tuple[str, ...] | None:
        return world.config.command(self.setting) if world.local is not None else None

    def env(self, world: ReleaseWorld, journal: Journal) -> dict[str, str]:
        return _environment(self.release.target(world, journal), journal)

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        argv = self._argv(world)
        if argv is None:
            url = world.config.get("deployable.url") or "Deployable (deployable.url is not set)"
            return [
                f"no {self.setting} is configured: print the release note and {url}, "
                f"then ask: {self.question!r} (--yes answers yes)",
            ]
        line = _command_line(world, journal, argv, self.env(world, journal))
        return [
            f"run once, here: {line}",
            f"(the release note on standard input; its output is recorded; "
            f"timeout {COMMAND_TIMEOUT:g} s)",
        ]

    def act(self, world: ReleaseWorld, journal: Journal, key: Sequence[str]) -> Outputs:
        argv = self._argv(world)
        path = note_path(world, journal)
        if not path.exists():
            path.write_text(self.release.note(world, journal), encoding="utf-8")
        if argv is None or world.local is None:
            url = world.config.get("deployable.url")
            world.reporter.info(f"  The release note ({path}):")
            for line in self.release.note(world, journal).splitlines():
                world.reporter.info(f"    {line}")
            where = url or "Deployable (set deployable.url to show its page here)"
            world.reporter.info(f"  Do this by hand on {where}.")
            confirm_or_stop(
                world, journal, self.question, hint="Do it, then resume the run to go on"
            )
            with journal.effect(key, how="confirmed", url=url):
                pass
            return {"how": "confirmed", "url": url}
        line = _command_line(world, journal, argv, self.env(world, journal))
        world.reporter.info(f"  Running {line}")
        with journal.effect(key, how="command", command=line) as effect:
            result = world.local.run(line, timeout=COMMAND_TIMEOUT)
            output = list(result.tail(_KEPT_LINES))
            for text in output:
                world.reporter.info(f"    {text}")
            if not result.ok:
                raise DeployableCommandError(
                    f"{argv[0]} failed (exit status {result.exit_status}): "
                    f"{'; '.join(result.tail(3)) or 'no output'}",
                    exit_status=result.exit_status,
                    tail=result.tail(),
                    hint=f"Fix the command ({self.setting}) or do it by hand, then resume",
                )
            effect.update(exit_status=result.exit_status, output=output)
        return {"how": "command", "command": line, "exit_status": 0, "output": output}

    def unknown_help(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        url = world.config.get("deployable.url") or "Deployable"
        return [f"Look on {url} for this rollout before answering."]


@attrs.frozen(kw_only=True)
class DeployableRequest(_DeployableStep):
    """Create the deployment request on Deployable, once per (instance, target)."""

    name = "deployable-request"
    title = "Request the deployment on Deployable"
    what: ClassVar[str] = "deployable-request"
    setting: ClassVar[str] = "deployable.request-command"
    question: ClassVar[str] = (
        "Have you created the deployment request on Deployable for this rollout?"
    )


@attrs.frozen(kw_only=True)
class DeployableDeployed(_DeployableStep):
    """Mark the deployment request deployed on Deployable, once per (instance, target)."""

    name = "deployable-deployed"
    title = "Mark the deployment request deployed"
    what: ClassVar[str] = "deployable-deployed"
    setting: ClassVar[str] = "deployable.deployed-command"
    question: ClassVar[str] = "Have you marked the deployment request on Deployable as deployed?"

    def env(self, world: ReleaseWorld, journal: Journal) -> dict[str, str]:
        env = super().env(world, journal)
        requested = journal.outputs(DeployableRequest.name).get("output")
        lines = [str(text) for text in requested] if isinstance(requested, list) else []
        env["LPSIGNING_MOJO_DEPLOYABLE_REQUEST"] = next(
            (text.strip() for text in reversed(lines) if text.strip()), ""
        )
        return env


@attrs.frozen(kw_only=True)
class Announce(ExactlyOnceStep):
    """Announce the rollout in ``~is-outage``, exactly once per (instance, target)."""

    name = "announce"
    title = f"Announce the rollout in {ANNOUNCE_CHANNEL}"
    what: ClassVar[str] = "announce"

    def text(self, world: ReleaseWorld, journal: Journal) -> str:
        return announcement(self.release.note(world, journal), self.release.target(world, journal))

    def _channel(self, world: ReleaseWorld) -> str:
        channel = world.config.get("mattermost.channel")
        return f"~{channel.removeprefix('~')}" if channel else "the webhook's own channel"

    def describe(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        if world.chat is None:
            how = (
                "no Mattermost webhook is configured: print it for you to post in "
                f"{ANNOUNCE_CHANNEL}, then ask you to confirm (--yes answers yes)"
            )
        else:
            how = (
                "post it once through the Mattermost webhook of your configuration (its URL is "
                f"never shown), to {self._channel(world)}"
            )
        text = self.text(world, journal)
        return [how, "the announcement:", *(f"  {line}" for line in text.splitlines())]

    def act(self, world: ReleaseWorld, journal: Journal, key: Sequence[str]) -> Outputs:
        text = self.text(world, journal)
        if world.chat is None:
            world.reporter.info(f"  Post this in {ANNOUNCE_CHANNEL}:")
            for line in text.splitlines():
                world.reporter.info(f"    {line}")
            confirm_or_stop(
                world,
                journal,
                f"Have you posted the announcement in {ANNOUNCE_CHANNEL}?",
                hint="Post it, then resume the run to go on",
            )
            with journal.effect(key, how="confirmed"):
                pass
            return {"how": "confirmed"}
        channel = world.config.get("mattermost.channel")
        with journal.effect(key, how="webhook", channel=channel):
            try:
                world.chat.post(text)
            except ChatError as error:
                if not error.maybe_posted:
                    raise
                raise AnnouncementOutcomeUnknown(
                    f"the announcement may or may not have been posted: {error.message}",
                    command="POST to the Mattermost webhook",
                    hint=f"Look in {ANNOUNCE_CHANNEL}, then resume: the run asks you what "
                    "happened before it posts again",
                ) from None
        world.reporter.info(f"  Announced in {self._channel(world)}.")
        return {"how": "webhook", "channel": channel}

    def unknown_help(self, world: ReleaseWorld, journal: Journal) -> list[str]:
        return [
            f"Look in {ANNOUNCE_CHANNEL} for the announcement before answering:",
            "'it completed' if it is there, 'run it again' to post it (once more).",
        ]
