"""What an instance runs, against what the spec pins for its stage.

The runbook's production step starts with "ensure that the same changes
have been deployed to staging first": this is the fact that step needs.
For each application the stage's bundle defines, the charm revision,
channel and ``build_label`` the bundle pins are compared with what Juju
reports, and every unit's health is read. A pin the bundle leaves out
(staging sets ``build_label`` on its bastion, not in the spec) is shown but
never counts as drift.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from lpsigning_mojo.bundle import Application, Bundle
from lpsigning_mojo.charms import same_channel
from lpsigning_mojo.external.juju import DeployedState, JujuStatusSource

__all__ = [
    "ApplicationReport",
    "Drift",
    "StatusReport",
    "compare",
]


@attrs.frozen(kw_only=True)
class Drift:
    """A value the spec pins that the instance does not run."""

    field: str
    pinned: object
    running: object

    def describe(self) -> str:
        return f"{self.field}: spec pins {self.pinned}, instance runs {self.running}"


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


@attrs.frozen(kw_only=True)
class StatusReport:
    """An instance's state against its stage's bundle.

    ``live`` is False where the instance's state cannot be read from here
    (production): then ``reason`` says why and only the pins are reported.
    """

    instance: str
    stage: str
    live: bool
    applications: tuple[ApplicationReport, ...]
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """No drift and no unhealthy unit (vacuously true when not live)."""
        return all(report.ok for report in self.applications)


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
    """Compare what ``source`` reports with ``bundle``; ``source=None`` reports pins only."""
    names = list(applications) if applications else list(bundle.applications)
    if source is None:
        return StatusReport(
            instance=instance,
            stage=stage,
            live=False,
            reason=reason,
            applications=tuple(
                ApplicationReport(application=bundle.application(n), state=None) for n in names
            ),
        )
    reports = [
        _compare_one(bundle.application(name), source.deployed_state(name)) for name in names
    ]
    return StatusReport(instance=instance, stage=stage, live=True, applications=tuple(reports))
