"""What an instance runs, against what the spec pins for its stage.

The runbook's production step starts with "ensure that the same changes
have been deployed to staging first": this is the fact that step needs.
For each application the stage's bundle defines, the charm revision,
channel and ``build_label`` the bundle pins are compared with what Juju
reports, and every unit's health is read. A pin the bundle leaves out
(staging sets ``build_label`` on its bastion, not in the spec) is shown but
never counts as drift.

:func:`instance_status` is the whole check for one instance: it chooses
where live state comes from (:func:`live_source`: the juju CLI here, the
juju CLI as the role account over SSH, or python-libjuju), reads it and
compares it with the bundle (:func:`compare`). Progress goes to a
callback; nothing here prints.

A report's :attr:`~StatusReport.verdict` tells apart the three outcomes a
script needs: ``ok`` (checked, no drift), ``drift`` (checked: it differs, or
a unit is unwell) and ``not-checkable`` (the live state cannot be read from
here: only the pins are known). A check that was tried and failed raises
instead (:class:`~lpsigning_mojo.errors.LiveStateError` and the adapters'
errors): nothing was checked.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import attrs

from lpsigning_mojo.bundle import Application, Bundle
from lpsigning_mojo.charms import same_channel
from lpsigning_mojo.errors import (
    CommandInterruptedError,
    LiveStateError,
    RemoteCommandError,
    UsageError,
)
from lpsigning_mojo.external.juju import DeployedState, JujuCli, JujuStatusSource
from lpsigning_mojo.instances import Instance, Instances
from lpsigning_mojo.mojospec.stages import stage_name

__all__ = [
    "LIVE_SOURCES",
    "ApplicationReport",
    "Drift",
    "Progress",
    "StatusReport",
    "Verdict",
    "compare",
    "instance_status",
    "live_source",
]

#: Where live state can come from: ``auto`` is ``local`` where a ``juju`` is on PATH, else ``ssh``.
LIVE_SOURCES = ("auto", "local", "ssh", "libjuju")

#: Receives one line of progress for a person (e.g. "Reading staging's state ... over SSH...").
Progress = Callable[[str], None]

#: What a status check found: see :attr:`StatusReport.verdict`.
Verdict = Literal["ok", "drift", "not-checkable"]


@attrs.frozen(kw_only=True)
class Drift:
    """A value the spec pins that the instance does not run."""

    field: str
    pinned: object
    running: object

    def describe(self) -> str:
        return f"{self.field}: spec pins {self.pinned}, instance runs {self.running}"

    def to_json(self) -> dict[str, object]:
        return {"field": self.field, "pinned": self.pinned, "running": self.running}


@attrs.frozen(kw_only=True)
class ApplicationReport:
    """One application: what the spec pins, what runs, what differs, what is unwell."""

    application: Application
    state: DeployedState | None
    drift: tuple[Drift, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.drift and not self.problems

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: ``pinned`` (what the bundle deploys, as ``bundle show`` gives
        it), ``running`` (what Juju reports, the same keys for the same facts; ``null``
        when not live), ``drift`` and ``problems``."""
        return {
            "application": self.application.name,
            "pinned": self.application.to_json(),
            "running": None if self.state is None else self.state.to_json(),
            "drift": [drift.to_json() for drift in self.drift],
            "problems": list(self.problems),
        }


@attrs.frozen(kw_only=True)
class StatusReport:
    """An instance's state against its stage's bundle.

    ``live`` is False where the instance's state cannot be read from here
    (production): then ``reason`` says why and only the pins are reported.
    """

    instance: str
    mojo_stage: str
    live: bool
    applications: tuple[ApplicationReport, ...]
    reason: str | None = None

    @property
    def stage(self) -> str:
        """The stage's short name (``staging``); ``mojo_stage`` is Mojo's name of it."""
        return stage_name(self.mojo_stage)

    @property
    def ok(self) -> bool | None:
        """No drift and no unhealthy unit; ``None`` when nothing live was checked."""
        if not self.live:
            return None
        return all(report.ok for report in self.applications)

    @property
    def verdict(self) -> Verdict:
        """``ok``, ``drift`` (or an unhealthy unit), or ``not-checkable`` (pins only)."""
        if not self.live:
            return "not-checkable"
        return "ok" if self.ok else "drift"

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (for ``lpsigning-mojo status --format json``).

        ``ok`` is ``null`` when nothing live was checked: it never claims
        what was not looked at.
        """
        return {
            "instance": self.instance,
            "stage": self.stage,
            "mojo_stage": self.mojo_stage,
            "live": self.live,
            "verdict": self.verdict,
            "reason": self.reason,
            "ok": self.ok,
            "applications": [report.to_json() for report in self.applications],
        }


def _compare_one(application: Application, state: DeployedState) -> ApplicationReport:
    drift: list[Drift] = []
    if application.revision is not None and application.revision != state.charm_rev:
        drift.append(Drift(field="revision", pinned=application.revision, running=state.charm_rev))
    if application.channel is not None and not same_channel(
        application.channel, state.charm_channel
    ):
        drift.append(
            Drift(field="channel", pinned=application.channel, running=state.charm_channel)
        )
    if application.build_label is not None and application.build_label != state.build_label:
        drift.append(
            Drift(field="build_label", pinned=application.build_label, running=state.build_label)
        )
    problems = state.problems
    if application.subordinate:
        # A subordinate's units live under its principal's units, not its own.
        problems = tuple(p for p in problems if not p.endswith("has no units"))
    return ApplicationReport(
        application=application, state=state, drift=tuple(drift), problems=problems
    )


def compare(
    instance: str,
    stage: str,
    bundle: Bundle,
    source: JujuStatusSource | None,
    *,
    reason: str | None = None,
    applications: Sequence[str] | None = None,
) -> StatusReport:
    """Compare what ``source`` reports with ``bundle``; ``source=None`` reports pins only.

    ``stage`` is Mojo's name of the instance's stage (``lp-signing/staging``).
    """
    names = list(applications) if applications else list(bundle.applications)
    if source is None:
        return StatusReport(
            instance=instance,
            mojo_stage=stage,
            live=False,
            reason=reason,
            applications=tuple(
                ApplicationReport(application=bundle.application(n), state=None) for n in names
            ),
        )
    reports = [
        _compare_one(bundle.application(name), source.deployed_state(name)) for name in names
    ]
    return StatusReport(instance=instance, mojo_stage=stage, live=True, applications=tuple(reports))


@contextlib.contextmanager
def live_source(
    instances: Instances,
    instance: Instance,
    *,
    source: str = "auto",
    progress: Progress | None = None,
) -> Iterator[JujuStatusSource]:
    """Where to read ``instance``'s live state from, open until the ``with`` block ends.

    ``source`` is one of :data:`LIVE_SOURCES`: ``local`` runs the juju CLI
    here (on the management environment), ``ssh`` runs it there as the role
    account (through the user's ``ssh_config``), ``libjuju`` asks the
    controller in-process, and ``auto`` is ``local`` where a ``juju`` is on
    PATH, else ``ssh``. ``progress`` hears before an SSH connection is made.
    """
    if source not in LIVE_SOURCES:
        raise UsageError(
            f"there is no live-state source called {source!r}",
            hint=f"Choose one of: {', '.join(LIVE_SOURCES)}",
        )
    if source == "libjuju":
        from lpsigning_mojo.external.juju import LibjujuSource

        yield LibjujuSource(model=instance.juju_model)
        return
    if source == "local" or (source == "auto" and shutil.which("juju")):
        from lpsigning_mojo.external.local import LocalRunner

        yield JujuCli(model=instance.juju_model, runner=LocalRunner())
        return
    from lpsigning_mojo.external.ssh import SSHRunner
    from lpsigning_mojo.remote import RoleAccountRunner

    environment = instances.environment_of(instance)
    if progress is not None:
        progress(f"Reading {instance.name}'s state as {environment.account} over SSH...")
    with SSHRunner(environment.ssh_destination, user=environment.login_user) as ssh:
        yield JujuCli(
            model=instance.juju_model,
            runner=RoleAccountRunner(ssh, environment.command_line),
        )


def instance_status(
    instances: Instances,
    instance: Instance,
    bundle: Bundle,
    *,
    source: str = "auto",
    progress: Progress | None = None,
) -> StatusReport:
    """What ``instance`` runs against what ``bundle`` (rendered for its stage) pins.

    Where developers cannot read the instance's live state (its model is not
    known, or they have no juju access there, as for production) the report
    holds the pins only, and says why. Otherwise live state is read from
    ``source`` (see :func:`live_source`); when that fails (no connection, juju
    failed, the connection was lost or timed out) it raises, with one sentence.
    """
    if not instance.juju_access or instance.juju_model is None:
        environment = instances.environment_of(instance)
        reason = (
            f"live state of {instance.name} is not available from here: its model is managed "
            f"by {environment.managed_by or 'others'} and reachable only through its triggers"
        )
        return compare(instance.name, instance.mojo_stage, bundle, None, reason=reason)
    try:
        with live_source(instances, instance, source=source, progress=progress) as live:
            return compare(instance.name, instance.mojo_stage, bundle, live)
    except CommandInterruptedError:
        raise
    except RemoteCommandError as error:  # lost, or given up: nothing was checked
        raise LiveStateError(
            f"the live state of {instance.name} could not be read, so nothing was checked: "
            f"{error.message}",
            hint=error.hint,
        ) from None
