"""The scenarios of the rehearsal: what ``--fail SCENARIO`` breaks, and what it shows.

Kept apart (and free of imports) so that the command line can offer them
without importing the rehearsal.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["NO_SCENARIO", "SCENARIOS"]

#: The scenarios ``--fail`` can show, and what each shows.
SCENARIOS: Mapping[str, str] = {
    "staging-unhealthy": "staging's service stops answering after its release: production's "
    "gate blocks the production release, with the reason",
    "drop-during-upgrade-production": "the SSH connection drops while upgrade-production runs: "
    "the outcome is unknown, and the resumed run asks, runs it again and completes",
    "push-race": "a colleague pushes to the spec while the staging release commits: the push "
    "is rejected, and the resumed run rebases onto theirs and pushes",
}
#: What the rehearsal shows without a scenario.
NO_SCENARIO = "a staging release, then a production release, each to its end"
