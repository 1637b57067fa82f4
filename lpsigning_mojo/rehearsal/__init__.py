"""The rehearsal: a whole release of lp-signing, staging then production, on this machine.

:func:`rehearse` builds a world of loopback stand-ins for every system a
release reaches (:class:`LoopbackWorld`: the spec's remote, the bastions
with their Mojo and juju, Charmhub, the lp-signing services, Launchpad,
Mattermost, Deployable), runs the staging release and then the production
release in it through exactly the code ``lpsigning-mojo release`` runs, and
reports what happened (:class:`RehearsalReport`). A scenario
(:data:`SCENARIOS`, ``--fail``) breaks the world at one point to show a
safety net. ``lpsigning-mojo rehearse`` is its command line.

The names are imported on first use (PEP 562): the command line offers the
scenarios without importing the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpsigning_mojo._lazy import lazy_names
from lpsigning_mojo.rehearsal.scenarios import NO_SCENARIO, SCENARIOS

if TYPE_CHECKING:
    from lpsigning_mojo.rehearsal.report import Expectation, RehearsalReport, RunRecord
    from lpsigning_mojo.rehearsal.run import (
        RehearsalOptions,
        RehearsalPerson,
        rehearsal_waits,
        rehearse,
    )
    from lpsigning_mojo.rehearsal.world import LoopbackWorld

_SOURCES = {
    "Expectation": "report",
    "RehearsalReport": "report",
    "RunRecord": "report",
    "RehearsalOptions": "run",
    "RehearsalPerson": "run",
    "rehearsal_waits": "run",
    "rehearse": "run",
    "LoopbackWorld": "world",
}

__all__ = [
    "NO_SCENARIO",
    "SCENARIOS",
    "Expectation",
    "LoopbackWorld",
    "RehearsalOptions",
    "RehearsalPerson",
    "RehearsalReport",
    "RunRecord",
    "rehearsal_waits",
    "rehearse",
]


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
