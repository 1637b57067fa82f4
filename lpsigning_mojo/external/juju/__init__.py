"""Juju: what an application runs now, read three ways that give the same answer.

:class:`DeployedState` is what the project needs to know about a deployed
application: charm, revision, channel, options (``build_label`` among them)
and the health of its units. A :class:`JujuStatusSource` produces it:

- :class:`JujuCli` runs ``juju status APP --format=json`` and ``juju config
  APP --format=json`` through a :class:`~lpsigning_mojo.remote.CommandRunner`:
  a :class:`~lpsigning_mojo.external.local.LocalRunner` runs them here, on
  the management environment; an SSH runner wrapped in a
  :class:`~lpsigning_mojo.remote.RoleAccountRunner` runs them there, as the
  role account.
- :class:`LibjujuSource` asks the controller in-process with python-libjuju
  (the optional ``juju`` extra, imported only when it is used).

Errors are the :class:`~lpsigning_mojo.errors.JujuError` family.
"""

from __future__ import annotations

from lpsigning_mojo.external.juju.cli import JujuCli
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
    "DeployedState",
    "JujuCli",
    "JujuStatusSource",
    "LibjujuSource",
    "UnitState",
    "deployed_state_from_cli",
    "deployed_state_from_full_status",
]
