"""Loopback stand-ins for outside systems, speaking their real protocols.

Each stand-in is a real server (HTTP, SSH) or executable bound to 127.0.0.1
or a temporary directory, so the adapters talk to it exactly as to the real
system. The test suite's fixtures and the rehearsal build their worlds from
them. Each has a plain constructor, ``start()`` (returning itself) and
``close()``, and is a context manager; none keeps global state.

- :mod:`.charmhub`: :class:`~.charmhub.CharmhubStandIn`, Charmhub's info API
  over HTTP, with faults to inject.
- :mod:`.juju`: :class:`~.juju.FakeJujuBin`, a ``juju`` executable that
  answers only the command lines it was told to expect.
- :mod:`.ssh`: :class:`~.ssh.InProcessSSHServer`, an SSH server inside this
  process (paramiko), whose handler plays the remote command.
- :mod:`.openssh`: :class:`~.openssh.OpenSSHServer`, a real OpenSSH ``sshd``.

The data they serve (a Charmhub channel map, ``juju status`` and ``juju
config`` of a staging model, the same model as python-libjuju reads it) is
package data: :func:`data_text` and :func:`data_json` read it. Importing this
package imports nothing heavy; paramiko is imported by :mod:`.ssh` only.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

__all__ = [
    "data_json",
    "data_text",
    "descendants",
    "free_port",
    "process_alive",
    "process_name",
    "wait_for",
    "wait_until",
]


def data_text(name: str) -> str:
    """The text of the data file ``name`` (e.g. ``juju-status-staging.json``)."""
    return (resources.files(__name__) / "data" / name).read_text(encoding="utf-8")


def data_json(name: str) -> object:
    """The data file ``name``, decoded from JSON."""
    return json.loads(data_text(name))


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; say which."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def wait_until(
    condition: Callable[[], object], *, timeout: float = 10.0, what: str = "condition"
) -> None:
    """Poll ``condition`` until it holds; raise ``TimeoutError`` after ``timeout`` seconds."""
    if not wait_for(condition, timeout):
        raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as gone); reads /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def process_name(pid: int) -> str:
    """The command name of ``pid`` (``/proc/PID/comm``), or ``""`` if it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
