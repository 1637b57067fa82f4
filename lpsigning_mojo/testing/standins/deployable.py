"""A Deployable stand-in: the request and deployed commands, recording what they were given.

Deployable (Canonical's QA tracker) has no public API; a release runs the
commands the configuration names (``deployable.request-command``,
``deployable.deployed-command``) with the release note on standard input and
the rollout in ``LPSIGNING_MOJO_*`` variables. :class:`DeployableStandIn`
gives such commands::

    python -m lpsigning_mojo.testing.standins.deployable request RECORDS
    python -m lpsigning_mojo.testing.standins.deployable deployed RECORDS

Each run appends one JSON line to ``RECORDS/requests.jsonl`` (what, the
variables, the note) and prints the request's made-up address, as a real
command might; :meth:`DeployableStandIn.records` reads them back.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DeployableStandIn", "main"]

#: Where the made-up requests live (``.invalid`` never resolves).
PAGE = "https://deployable.invalid/lp-signing"
#: This module, as ``python -m`` runs it.
MODULE = "lpsigning_mojo.testing.standins.deployable"
_VARIABLES = (
    "LPSIGNING_MOJO_RUN_ID",
    "LPSIGNING_MOJO_INSTANCE",
    "LPSIGNING_MOJO_REVISION",
    "LPSIGNING_MOJO_BUILD_LABEL",
    "LPSIGNING_MOJO_DEPLOYABLE_REQUEST",
)


class DeployableStandIn:
    """The two Deployable commands, recording into ``directory``."""

    def __init__(self, directory: Path, *, python: str = sys.executable) -> None:
        self.directory = Path(directory)
        self.python = python

    @property
    def url(self) -> str:
        return PAGE

    def command(self, what: str) -> str:
        """The command line of ``request`` or ``deployed``, for the configuration."""
        return shlex.join([self.python, "-m", MODULE, what, str(self.directory)])

    def records(self) -> list[dict[str, object]]:
        """What the commands were given, in order."""
        path = self.directory / "requests.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def main(argv: Sequence[str] | None = None) -> int:
    import os

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("request", "deployed"):
        sys.stderr.write("usage: deployable (request | deployed) RECORDS\n")
        return 2
    what, directory = args[0], Path(args[1])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "requests.jsonl"
    number = len(path.read_text(encoding="utf-8").splitlines()) + 1 if path.exists() else 1
    variables = {name: os.environ.get(name, "") for name in _VARIABLES}
    record = {"number": number, "what": what, "variables": variables, "note": sys.stdin.read()}
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")
    label = variables["LPSIGNING_MOJO_BUILD_LABEL"][:12] or "(none)"
    if what == "request":
        print(f"Requested the deployment of build {label}: {PAGE}/requests/{number}")
    else:
        request = variables["LPSIGNING_MOJO_DEPLOYABLE_REQUEST"] or "the request"
        print(f"Marked deployed ({request.rsplit(' ', 1)[-1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
