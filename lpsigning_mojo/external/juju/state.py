"""The state of a deployed application, and how each of Juju's formats maps to it.

:class:`DeployedState` is what the project needs to know about a deployed
application. :func:`deployed_state_from_cli` reads ``juju status`` and
``juju config`` JSON; :func:`deployed_state_from_full_status` reads the API
schema that python-libjuju returns. Both give the same value for one model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from lpsigning_mojo.errors import ApplicationNotDeployedError, JujuOutputError
from lpsigning_mojo.numbers import whole_number

__all__ = [
    "HEALTHY_AGENT_STATUSES",
    "HEALTHY_WORKLOAD_STATUSES",
    "DeployedState",
    "JujuStatusSource",
    "UnitState",
    "deployed_state_from_cli",
    "deployed_state_from_full_status",
]

#: Workload statuses of a unit (and of the application) that count as healthy.
HEALTHY_WORKLOAD_STATUSES = frozenset({"active"})
#: Agent statuses of a unit that count as healthy.
HEALTHY_AGENT_STATUSES = frozenset({"idle", "executing"})


@attrs.frozen(kw_only=True)
class UnitState:
    """One unit: its workload status and message, and its agent's status."""

    name: str
    workload_status: str
    workload_message: str = ""
    agent_status: str
    leader: bool = False

    def to_json(self) -> dict[str, object]:
        """``unit`` (its name), ``workload_status``, ``workload_message``,
        ``agent_status`` and ``leader``, as ``juju status`` names them."""
        return {
            "unit": self.name,
            "workload_status": self.workload_status,
            "workload_message": self.workload_message,
            "agent_status": self.agent_status,
            "leader": self.leader,
        }

    @property
    def problems(self) -> tuple[str, ...]:
        """Why this unit is not healthy, one sentence each; empty when it is."""
        found = []
        if self.workload_status not in HEALTHY_WORKLOAD_STATUSES:
            detail = f": {self.workload_message}" if self.workload_message else ""
            found.append(f"unit {self.name} is {self.workload_status}{detail}")
        if self.agent_status not in HEALTHY_AGENT_STATUSES:
            found.append(f"the agent of unit {self.name} is {self.agent_status}")
        return tuple(found)


@attrs.frozen(kw_only=True)
class DeployedState:
    """What an application of a Juju model runs now, and how healthy it is.

    Field names follow ``juju status``: ``charm_rev`` is ``charm-rev``.
    ``options`` holds every charm option with its current value (``None``
    when it has none); ``build_label`` is that option, or ``None`` when it is
    unset or empty.
    """

    application: str
    charm_name: str
    charm_rev: int | None
    charm_channel: str | None
    build_label: str | None
    options: Mapping[str, object] = attrs.field(factory=dict)
    application_status: str
    application_message: str = ""
    units: tuple[UnitState, ...] = ()

    @property
    def problems(self) -> tuple[str, ...]:
        """Why the application is not healthy, one sentence each; empty when it is."""
        found = []
        if self.application_status not in HEALTHY_WORKLOAD_STATUSES:
            detail = f": {self.application_message}" if self.application_message else ""
            found.append(f"application {self.application} is {self.application_status}{detail}")
        if not self.units:
            found.append(f"application {self.application} has no units")
        for unit in self.units:
            found.extend(unit.problems)
        return tuple(found)

    @property
    def healthy(self) -> bool:
        """The application and every unit are active, and every agent idle or executing."""
        return not self.problems

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (for ``--format json``), in the project's vocabulary: the
        keys a bundle's application has for the same facts (``charm``, ``channel``,
        ``revision``, ``build_label``), then ``options``, the application's
        ``status`` and ``message``, its ``units``, ``healthy`` and ``problems``."""
        return {
            "application": self.application,
            "charm": self.charm_name,
            "channel": self.charm_channel,
            "revision": self.charm_rev,
            "build_label": self.build_label,
            "options": dict(self.options),
            "status": self.application_status,
            "message": self.application_message,
            "units": [unit.to_json() for unit in self.units],
            "healthy": self.healthy,
            "problems": list(self.problems),
        }


class JujuStatusSource(Protocol):
    """Anything that can tell what an application of a model runs now."""

    def deployed_state(self, application: str) -> DeployedState:
        """The state of ``application``; raises a :class:`~lpsigning_mojo.errors.JujuError`."""
        ...


def _unit_key(name: str) -> tuple[str, int]:
    app, _, number = name.rpartition("/")
    value = whole_number(number)
    return (app, value) if value is not None else (name, -1)


def _options(settings: object) -> dict[str, object]:
    if not isinstance(settings, Mapping):
        raise JujuOutputError(f"Juju gave charm settings that are not a mapping: {settings!r}")
    return {
        str(name): entry.get("value") if isinstance(entry, Mapping) else entry
        for name, entry in settings.items()
    }


def _state(application: str, *, options: dict[str, object], **fields: Any) -> DeployedState:
    label = options.get("build_label")
    units = sorted(fields.pop("units"), key=lambda unit: _unit_key(unit.name))
    return DeployedState(
        application=application,
        build_label=str(label) if label not in (None, "") else None,
        options=options,
        units=tuple(units),
        **fields,
    )


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise JujuOutputError(f"Juju described {what} as {value!r}, not as a mapping")
    return value


def _cli_status(entry: object) -> tuple[str, str]:
    if not isinstance(entry, Mapping):
        return "unknown", ""
    return str(entry.get("current") or "unknown"), str(entry.get("message") or "")


def deployed_state_from_cli(
    application: str, status: object, config: object, *, model: str | None = None
) -> DeployedState:
    """Map decoded ``juju status --format=json`` and ``juju config --format=json`` output."""
    apps = status.get("applications") if isinstance(status, Mapping) else None
    if not isinstance(apps, Mapping):
        raise JujuOutputError("The output of juju status has no 'applications' mapping")
    app = apps.get(application)
    if app is None:
        raise ApplicationNotDeployedError(application, model=model)
    app = _mapping(app, f"application {application!r}")
    config = _mapping(config, f"the configuration of {application!r}")
    units = []
    for name, unit in _mapping(app.get("units") or {}, f"the units of {application!r}").items():
        unit = _mapping(unit, f"unit {name!r}")
        workload, message = _cli_status(unit.get("workload-status"))
        agent, _ = _cli_status(unit.get("juju-status"))
        units.append(
            UnitState(
                name=name,
                workload_status=workload,
                workload_message=message,
                agent_status=agent,
                leader=bool(unit.get("leader", False)),
            )
        )
    app_status, app_message = _cli_status(app.get("application-status"))
    revision = app.get("charm-rev")
    return _state(
        application,
        options=_options(config.get("settings", {})),
        charm_name=str(app.get("charm-name") or app.get("charm") or ""),
        charm_rev=revision if isinstance(revision, int) else None,
        charm_channel=app.get("charm-channel") or None,
        application_status=app_status,
        application_message=app_message,
        units=units,
    )


def _parse_charm_url(url: str) -> tuple[str, int | None]:
    """``ch:amd64/jammy/lp-signing-87`` -> ``("lp-signing", 87)``, as ``juju status`` does."""
    name = url.partition(":")[2] if ":" in url else url
    name = name.rsplit("/", 1)[-1]
    match = re.fullmatch(r"(.+)-([0-9]+)", name)
    return (match[1], int(match[2])) if match else (name, None)


def _api_status(detailed: object) -> tuple[str, str]:
    status = getattr(detailed, "status", None)
    return str(status or "unknown"), str(getattr(detailed, "info", None) or "")


def deployed_state_from_full_status(
    application: str, full_status: object, config: object, *, model: str | None = None
) -> DeployedState:
    """Map python-libjuju's ``FullStatus`` and ``Application.get_config()`` result.

    These follow Juju's API schema, not ``juju status`` JSON: the charm is a
    URL (``ch:amd64/jammy/lp-signing-87``) whose name and revision ``juju
    status`` shows as ``charm-name`` and ``charm-rev``; statuses are
    ``status``/``info`` pairs.
    """
    apps = getattr(full_status, "applications", None)
    if not isinstance(apps, Mapping):
        raise JujuOutputError("python-libjuju gave a status without applications")
    app = apps.get(application)
    if app is None:
        raise ApplicationNotDeployedError(application, model=model)
    name, revision = _parse_charm_url(str(getattr(app, "charm", "") or ""))
    if revision is None and isinstance(getattr(app, "charm_rev", None), int):
        revision = app.charm_rev
    units = []
    for unit_name, unit in (getattr(app, "units", None) or {}).items():
        workload, message = _api_status(getattr(unit, "workload_status", None))
        agent, _ = _api_status(getattr(unit, "agent_status", None))
        units.append(
            UnitState(
                name=unit_name,
                workload_status=workload,
                workload_message=message,
                agent_status=agent,
                leader=bool(getattr(unit, "leader", False)),
            )
        )
    app_status, app_message = _api_status(getattr(app, "status", None))
    return _state(
        application,
        options=_options(config),
        charm_name=name,
        charm_rev=revision,
        charm_channel=getattr(app, "charm_channel", None) or None,
        application_status=app_status,
        application_message=app_message,
        units=units,
    )
