"""The lock of an instance, where every releaser meets.

:class:`Lock` is the protocol the engine uses; :class:`RemoteDirLock` is the
real one: a directory on the instance's management environment, created with
an atomic ``mkdir`` as the role account, holding an owner record (run id,
user, host, PID, start time). Each operation is ONE shell command sent
through a :class:`~lpsigning_mojo.remote.CommandRunner`, so two releasers
racing for it cannot both win, wherever they run from.

- ``acquire``: ``mkdir`` succeeds, the owner files are written: taken. It
  fails and the lock's run id is ours: re-taken (a resume), owner updated.
  Otherwise refused with :class:`~lpsigning_mojo.errors.LockHeldError` saying
  who holds it and since when.
- ``release`` removes it only if it is still ours.
- ``break_lock`` removes it only if it is still held by the owner the person
  was shown (:class:`~lpsigning_mojo.errors.LockChangedError` otherwise).
- A lost connection (:class:`~lpsigning_mojo.errors.OutcomeUnknown`) during
  any of them is followed by reading the lock back, which tells what happened.

Removal renames the directory first (atomic), then empties it.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from lpsigning_mojo.errors import (
    DeclinedError,
    LockChangedError,
    LockError,
    LockHeldError,
    OutcomeUnknown,
)
from lpsigning_mojo.remote import CommandRunner, RunResult
from lpsigning_mojo.runbook.world import World
from lpsigning_mojo.untrusted import loads_json, printable

__all__ = ["DEFAULT_LOCK_DIRECTORY", "Lock", "LockOwner", "RemoteDirLock", "take_lock"]

#: Where :class:`RemoteDirLock` keeps locks by default, relative to the home
#: directory of the role account (where its commands start).
DEFAULT_LOCK_DIRECTORY = ".local/state/lpsigning-mojo/locks"

_MARK = "lpsigning-mojo-lock:"

#: How much of each field of an owner record a message shows (the record
#: comes from the management environment, where anyone with the role
#: account's access may have written it).
_SHOWN = 80

#: The latest start time an owner record may hold (9999-12-31 23:59:59 UTC).
_LAST_TIME = 253402300799.0


def _shown(value: object) -> str:
    """``value`` safe to print on one line: control characters escaped, at most _SHOWN long."""
    text = printable(str(value))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


# Shared by every command. A taker writes run-id, then owner.json, right after
# its mkdir, each by a rename (so neither is ever seen half written); "settle"
# gives it a moment (@TRIES@ tenths of a second), so that a lock being taken is
# not mistaken for one whose taker died.
_PRELUDE = f"""\
settle() {{
  i=0
  while [ -d "$1" ] && [ ! -f "$1/owner.json" ] && [ "$i" -lt @TRIES@ ]; do
    sleep 0.1; i=$((i + 1))
  done
}}
held() {{
  echo "{_MARK} held $(cat -- "$1/run-id" 2>/dev/null)"; cat -- "$1/owner.json" 2>/dev/null
}}
put() {{ printf '%s\\n' "$2" > "$1.tmp" && mv -f -- "$1.tmp" "$1"; }}
d=$1
"""

# $1 lock directory, $2 owner JSON, $3 run id.
_ACQUIRE = f"""{_PRELUDE}\
owner=$2; run=$3
mkdir -p -- "$(dirname -- "$d")" 2>/dev/null
if mkdir -- "$d" 2>/dev/null; then
  put "$d/run-id" "$run" && put "$d/owner.json" "$owner" || exit 3
  echo '{_MARK} acquired'
elif [ -d "$d" ]; then
  settle "$d"
  if [ "$(cat -- "$d/run-id" 2>/dev/null)" = "$run" ]; then
    put "$d/owner.json" "$owner" || exit 3
    echo '{_MARK} reacquired'
  else
    held "$d"
  fi
else
  echo "cannot create $d" >&2; exit 3
fi
exit 0
"""

# $1 lock directory.
_READ = f"""{_PRELUDE}\
if [ -d "$d" ]; then
  settle "$d"; held "$d"
else
  echo '{_MARK} free'
fi
exit 0
"""

# $1 lock directory, $2 the run id it must still have, $3 what it is renamed to.
_REMOVE = f"""{_PRELUDE}\
run=$2; aside=$3
if [ ! -d "$d" ]; then
  echo '{_MARK} free'; exit 0
fi
settle "$d"
if [ "$(cat -- "$d/run-id" 2>/dev/null)" = "$run" ] && mv -- "$d" "$aside" 2>/dev/null; then
  echo "{_MARK} removed $run"; cat -- "$aside/owner.json" 2>/dev/null
  rm -f -- "$aside/owner.json" "$aside/run-id" "$aside/owner.json.tmp" "$aside/run-id.tmp"
  rmdir -- "$aside" 2>/dev/null
else
  held "$d"
fi
exit 0
"""


def lock_argv(script: str, *args: str) -> list[str]:
    """The argv that runs ``script`` with ``args`` as ``$1``, ``$2``... in ``sh``.

    It holds ``$`` and newlines; sent through ``sudo -i`` it survives because
    :meth:`ManagementEnvironment.command_line
    <lpsigning_mojo.instances.ManagementEnvironment.command_line>` encodes any
    argv that would not.
    """
    return ["sh", "-c", script, "lpsigning-mojo-lock", *args]


@attrs.frozen(kw_only=True)
class LockOwner:
    """Who holds a lock: the run, the person, where, and since when (wall time).

    A lock whose owner record is missing or unreadable (its taker crashed
    between ``mkdir`` and writing it) reads as an owner with ``known`` false.
    """

    run_id: str
    user: str
    host: str
    pid: int
    started: float
    plan: str | None = None
    known: bool = True

    @classmethod
    def unknown(cls, run_id: str = "") -> LockOwner:
        """An owner whose record is missing or unreadable; ``run_id`` if that was readable."""
        return cls(run_id=run_id, user="unknown", host="unknown", pid=0, started=0.0, known=False)

    def describe(self) -> str:
        """``run R (plan P) by user@host, PID n, since 2026-01-01 12:00:00 UTC``."""
        run = f"run {_shown(self.run_id)}"
        if not self.known:
            run = run if self.run_id else "an unknown run"
            return (
                f"{run} with no readable owner record (its taker may have stopped while taking it)"
            )
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.started))
        plan = f" (plan {_shown(self.plan)})" if self.plan else ""
        who = f"{_shown(self.user)}@{_shown(self.host)}"
        return f"{run}{plan} by {who}, PID {self.pid}, since {since}"

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "user": self.user,
            "host": self.host,
            "pid": self.pid,
            "started": self.started,
            "plan": self.plan,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LockOwner:
        """The owner in a record; ``ValueError`` (or ``KeyError``, ``TypeError``) if unusable.

        A start time that is not a time (NaN, or past the year 9999) makes
        the record unreadable, as a missing field does.
        """
        started = float(data["started"])
        if not math.isfinite(started) or not 0 <= started <= _LAST_TIME:
            raise ValueError(f"the owner record's start time {started!r} is not a time")
        return cls(
            run_id=str(data["run_id"]),
            user=str(data["user"]),
            host=str(data["host"]),
            pid=int(data["pid"]),
            started=started,
            plan=None if data.get("plan") is None else str(data["plan"]),
        )


class Lock(Protocol):
    """An instance's release lock, as the engine uses it."""

    @property
    def where(self) -> str:
        """Where the lock lives, for messages."""
        ...

    def acquire(self, owner: LockOwner) -> None:
        """Take the lock for ``owner.run_id`` (again, if that run holds it already).

        Raises :class:`~lpsigning_mojo.errors.LockHeldError` if another run holds it.
        """
        ...

    def release(self, owner: LockOwner) -> None:
        """Give the lock up if ``owner.run_id`` holds it; do nothing otherwise."""
        ...

    def owner(self) -> LockOwner | None:
        """Who holds the lock now (``None``: free)."""
        ...

    def break_lock(self, expected: LockOwner) -> None:
        """Remove the lock if ``expected`` still holds it.

        Raises :class:`~lpsigning_mojo.errors.LockChangedError` if someone else
        holds it now (nothing is removed).
        """
        ...


def _held_error(owner: LockOwner, where: str) -> LockHeldError:
    return LockHeldError(
        f"the lock at {where} is held by {owner.describe()}",
        owner=owner,
        hint="Wait for that run to finish; if it is stale (its process is gone), "
        "break the lock with --break-lock",
    )


class RemoteDirLock:
    """A lock directory created with ``mkdir``, through ``runner``, as the role account.

    Each operation sends ``runner`` one argv (``sh -c SCRIPT ...``). To run
    it as a management environment's role account, pass a
    :class:`~lpsigning_mojo.remote.RoleAccountRunner` around the SSH runner
    (with :meth:`ManagementEnvironment.command_line
    <lpsigning_mojo.instances.ManagementEnvironment.command_line>`); tests
    pass a :class:`~lpsigning_mojo.external.local.LocalRunner`, which runs
    the same ``/bin/sh -c`` here. ``path`` is the lock directory (relative
    paths start at the role account's home). ``host`` names where it is, for
    messages. A lock directory found without its owner record is looked at
    again for up to ``settle`` seconds (its taker may be writing it) before
    it is reported as having no readable owner.
    """

    def __init__(
        self,
        runner: CommandRunner,
        path: str,
        *,
        host: str = "the management environment",
        timeout: float = 60.0,
        settle: float = 2.0,
    ) -> None:
        self.runner = runner
        self.path = path
        self.host = host
        self.timeout = timeout
        self.settle = settle

    @property
    def where(self) -> str:
        return f"{self.path} on {self.host}"

    def _shell(self, script: str, *args: str) -> tuple[str, LockOwner | None]:
        """Run ``script`` with ``args``; return its answer and the owner it printed."""
        tries = str(max(1, round(self.settle * 10)))
        argv = lock_argv(script.replace("@TRIES@", tries), *args)
        result: RunResult = self.runner.run(argv, timeout=self.timeout)
        lines = [line.text for line in result.output if line.stream == "stdout"]
        marked = [index for index, text in enumerate(lines) if text.startswith(_MARK)]
        if not result.ok or not marked:
            detail = "; ".join(result.tail(3)) or f"exit status {result.exit_status}"
            raise LockError(
                f"the lock command at {self.where} failed ({detail})",
                hint="Check that the role account can write there",
            )
        first = marked[0]
        answer, _, run_id = lines[first][len(_MARK) :].strip().partition(" ")
        rest = "\n".join(lines[first + 1 :]).strip()
        if answer not in ("held", "removed"):
            return answer, None
        try:
            owner = LockOwner.from_json(loads_json(rest, error=ValueError))  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError):
            return answer, LockOwner.unknown(run_id.strip())
        if owner.run_id != run_id.strip():
            # The run-id file is what every command compares (and a break must match):
            # an owner record naming another run, or none, is not this lock's record.
            return answer, LockOwner.unknown(run_id.strip())
        return answer, owner

    def owner(self) -> LockOwner | None:
        return self._shell(_READ, self.path)[1]

    def acquire(self, owner: LockOwner) -> None:
        record = json.dumps(owner.to_json(), sort_keys=True)
        try:
            answer, holder = self._shell(_ACQUIRE, self.path, record, owner.run_id)
        except OutcomeUnknown:
            holder = self.owner()
            if holder is not None and holder.run_id == owner.run_id:
                return
            if holder is not None:
                raise _held_error(holder, self.where) from None
            answer, holder = self._shell(_ACQUIRE, self.path, record, owner.run_id)
        if answer in ("acquired", "reacquired"):
            return
        raise _held_error(holder or LockOwner.unknown(), self.where)

    def _remove(self, run_id: str, suffix: str) -> tuple[str, LockOwner | None]:
        aside = f"{self.path}.{suffix}-{secrets.token_hex(4)}"
        try:
            return self._shell(_REMOVE, self.path, run_id, aside)
        except OutcomeUnknown:
            holder = self.owner()
            if holder is None:
                return "free", None
            if holder.run_id == run_id:
                return self._shell(_REMOVE, self.path, run_id, aside)
            return "held", holder

    def release(self, owner: LockOwner) -> None:
        self._remove(owner.run_id, "released")

    def break_lock(self, expected: LockOwner) -> None:
        answer, holder = self._remove(expected.run_id, "broken")
        if answer == "held":
            now = holder.describe() if holder is not None else "someone else"
            raise LockChangedError(
                f"the lock at {self.where} is now held by {now}, not by the run you were "
                "shown; it was not broken",
                hint="Look again before breaking it",
            )


def take_lock(lock: Lock, owner: LockOwner, world: World, *, break_lock: bool) -> LockOwner | None:
    """Acquire ``lock`` for ``owner``; with ``break_lock``, break another run's lock first.

    Breaking shows the holder and asks (``--yes`` confirms); a no raises
    :class:`~lpsigning_mojo.errors.DeclinedError`. Returns the owner whose
    lock was broken, if any, for the journal.
    """
    try:
        lock.acquire(owner)
        return None
    except LockHeldError as held:
        if not break_lock or not isinstance(held.owner, LockOwner):
            raise
        holder = held.owner
    world.reporter.info(f"The lock at {lock.where} is held by {holder.describe()}.")
    if not world.prompt.confirm("Break it? Do this only if that run is over"):
        raise DeclinedError(
            f"the lock at {lock.where} was not broken",
            hint="Wait for that run to finish, or resume it",
        )
    lock.break_lock(holder)
    world.reporter.info(f"Broke the lock held by {holder.describe()}.")
    lock.acquire(owner)
    return holder
