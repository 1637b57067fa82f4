"""Juju: what an application runs now, read three ways that give the same answer.

:class:`DeployedState` is what the project needs to know about a deployed
application: charm, revision, channel, options (``build_label`` among them)
and the health of its units. A :class:`JujuStatusSource` produces it:

- :class:`JujuCli` runs ``juju status APP --format=json`` and ``juju config
  APP --format=json`` through a :class:`CommandRunner`. With
  :class:`LocalRunner` (the default) they run here, on the management
  environment; with a runner that executes a command string elsewhere
  (:class:`CommandStringRunner` adapts one, e.g. over SSH as the role
  account) they run there.
- :class:`LibjujuSource` asks the controller in-process with python-libjuju
  (the optional ``juju`` extra, imported only when it is used).
"""

from __future__ import annotations

from lpsigning_mojo.external.juju.cli import (
    CommandRunner,
    CommandStringRunner,
    CompletedCommand,
    JujuCli,
    LocalRunner,
    render_command,
)
from lpsigning_mojo.external.juju.libjuju import LibjujuSource
from lpsigning_mojo.external.juju.state import (
    HEALTHY_AGENT_STATUSES,
    HEALTHY_WORKLOAD_STATUSES,
    DeployedState,
    JujuStatusSource,
    UnitState,
    deployed_state_from_cli,
    deployed_state_from_full_status,
)

__all__ = [
    "HEALTHY_AGENT_STATUSES",
    "HEALTHY_WORKLOAD_STATUSES",
    "CommandRunner",
    "CommandStringRunner",
    "CompletedCommand",
    "DeployedState",
    "JujuCli",
    "JujuStatusSource",
    "LibjujuSource",
    "LocalRunner",
    "UnitState",
    "deployed_state_from_cli",
    "deployed_state_from_full_status",
    "render_command",
]
