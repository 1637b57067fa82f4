"""A bastion stand-in: role accounts that run commands as ``sudo -i`` would, and their triggers.

A :class:`Bastion` is a set of role accounts (:class:`Account`), each with a
home directory, a ``bin`` directory of stand-in commands first on its
``PATH`` (``upgrade-staging``, ``upgrade-production``, ``mojo``, ``juju``,
``python3``) and its own environment (``JUJU_DATA``, ``JUJU_MODEL``, Mojo's
``MOJO_ROOT``...). Its configuration is one JSON file, so that every process
on the bastion reads the same one.

Logging in (:func:`login`) takes the command line an SSH client sends,
``sudo -n -iu ROLE -- ARGV``, and runs what ``sudo -i`` makes of it: the
role's shell, ``/bin/sh -c`` with every character of ARGV escaped except
letters, digits, ``_``, ``-`` and ``$`` (sudo(8)), in the role's home and
environment. Two SSH servers use it:

- the in-process server (:mod:`.ssh`), through :meth:`Bastion.handler`,
  which streams the command's output back, can lose the connection in the
  middle of a command on purpose (:class:`Drop`), and stops every command it
  started when the bastion closes;
- a real OpenSSH ``sshd`` (:mod:`.openssh`), through a forced command in
  ``authorized_keys`` (:meth:`Bastion.forced_command`):
  ``python -m lpsigning_mojo.testing.standins.bastion --config FILE login``
  reads ``$SSH_ORIGINAL_COMMAND`` and replaces itself with the shell.

The triggers are :func:`upgrade`: pull the spec from its remote into the
account's checkout and run ``mojo run -m manifest-upgrade`` for the stage
(:mod:`.mojo`, the stand-in Mojo). ``upgrade-production`` is an SSH trigger
on the real bastion that makes IS's production bastion run Mojo: here it
runs the upgrade as the production account, in that account's environment.

The commands of ``bin`` are one-line launchers of this package's modules
with the Python running this one, so the bastion runs the library the
release runs. Importing this module imports neither paramiko nor attrs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import selectors
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lpsigning_mojo.testing.standins.ssh import Session

__all__ = [
    "LAUNCHERS",
    "Account",
    "Bastion",
    "Drop",
    "Refused",
    "Trigger",
    "login",
    "main",
    "sudo_login_command",
    "upgrade",
]

#: What each command of an account's ``bin`` runs: a module of this package and its arguments.
LAUNCHERS: Mapping[str, tuple[str, ...]] = {
    "mojo": ("lpsigning_mojo.testing.standins.mojo",),
    "juju": ("lpsigning_mojo.testing.standins.juju",),
}
#: The manifest the upgrade triggers run (``mojo run -m manifest-upgrade``).
UPGRADE_MANIFEST = "manifest-upgrade"
#: The directory of the spec checkout in an account's home.
CHECKOUT = "lp-signing-spec"
_SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
#: This module, as ``python -m`` runs it.
MODULE = "lpsigning_mojo.testing.standins.bastion"


class Refused(Exception):
    """A command line the bastion does not run: ``message`` (for stderr) and ``status``."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclasses.dataclass(frozen=True, kw_only=True)
class Account:
    """A role account: its name, host, home, ``bin`` directory and environment."""

    role: str
    host: str
    home: Path
    environment: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.home / "bin"

    def environ(self) -> dict[str, str]:
        """The environment of a login shell of the account (nothing of this process's)."""
        return {
            "HOME": str(self.home),
            "USER": self.role,
            "LOGNAME": self.role,
            "SHELL": "/bin/sh",
            "PATH": os.pathsep.join([str(self.bin), *_SYSTEM_PATH]),
            "LANG": "C.UTF-8",
            **self.environment,
        }

    def to_json(self) -> dict[str, object]:
        return {
            "role": self.role,
            "host": self.host,
            "home": str(self.home),
            "environment": dict(self.environment),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            role=str(data["role"]),
            host=str(data["host"]),
            home=Path(data["home"]),
            environment={str(k): str(v) for k, v in dict(data.get("environment", {})).items()},
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Trigger:
    """An upgrade trigger: run by ``caller`` (a role), it upgrades ``stage`` as ``account``."""

    name: str
    caller: str
    account: str
    stage: str
    say: str = ""

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Drop:
    """A fault: lose the connection once ``command`` prints a line matching ``after``.

    The command is stopped as a terminal's hangup stops it (SIGHUP to its
    process group), and the client gets no exit status.
    """

    command: str
    after: str

    def matches(self, argv: Sequence[str], text: str) -> bool:
        return self.command in argv and re.search(self.after, text) is not None


def sudo_login_command(argv: Sequence[str]) -> list[str]:
    """What ``sudo -i`` runs for ``argv``: the login shell with every word escaped (sudo(8))."""
    escaped = " ".join(re.sub(r"([^A-Za-z0-9_$-])", r"\\\1", word) for word in argv)
    return ["/bin/sh", "-c", escaped]


def login(command_line: str, accounts: Mapping[str, Account]) -> tuple[Account, list[str]]:
    """The account and argv that run ``command_line`` as ``sudo -n -iu ROLE -- ARGV`` does.

    Raises :class:`Refused` for anything else: this bastion runs commands only
    as one of its role accounts, as the releases do.
    """
    try:
        words = shlex.split(command_line)
    except ValueError as error:
        raise Refused(f"-bash: syntax error: {error}", 2) from None
    if words[:3] != ["sudo", "-n", "-iu"] or len(words) < 6 or words[4] != "--":
        raise Refused(
            f"this bastion runs commands only as a role account (sudo -n -iu ROLE -- COMMAND), "
            f"not {command_line!r}",
            126,
        )
    role = words[3]
    account = accounts.get(role)
    if account is None:
        raise Refused(f"sudo: unknown user {role}", 1)
    return account, sudo_login_command(words[5:])


class Bastion:
    """Role accounts on one or more hosts, configured in ``directory/bastion.json``.

    :meth:`add_account` makes an account's home and ``bin``; :meth:`add_trigger`
    an upgrade trigger in the caller's ``bin``; :meth:`save` writes the
    configuration that every command on the bastion reads. ``drops`` are
    faults for :meth:`handler`; ``commands`` records every command line it
    was asked to run; :meth:`close` stops what is still running.
    """

    def __init__(self, directory: Path, *, python: str = sys.executable) -> None:
        self.directory = Path(directory)
        self.python = python
        self.accounts: dict[str, Account] = {}
        self.triggers: dict[str, Trigger] = {}
        self.remote: str | None = None
        self.drops: list[Drop] = []
        self.commands: list[str] = []
        self.dropped: list[str] = []
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def config(self) -> Path:
        return self.directory / "bastion.json"

    def add_account(
        self, role: str, *, host: str, environment: Mapping[str, str] | None = None
    ) -> Account:
        home = self.directory / host / role
        account = Account(role=role, host=host, home=home, environment=dict(environment or {}))
        account.bin.mkdir(parents=True, exist_ok=True)
        self._launcher(account, "python3", [])
        for name, arguments in LAUNCHERS.items():
            self._launcher(account, name, ["-m", *arguments])
        self.accounts[role] = account
        return account

    def add_trigger(self, trigger: Trigger) -> None:
        self.triggers[trigger.name] = trigger
        self._launcher(
            self.accounts[trigger.caller],
            trigger.name,
            ["-m", MODULE, "--config", str(self.config), "trigger", trigger.name],
        )

    def _launcher(self, account: Account, name: str, arguments: Sequence[str]) -> None:
        path = account.bin / name
        path.write_text(
            f'#!/bin/sh\nexec {shlex.join([self.python, *arguments])} "$@"\n', encoding="utf-8"
        )
        path.chmod(0o755)

    def save(self) -> None:
        data = {
            "remote": self.remote,
            "accounts": {role: account.to_json() for role, account in self.accounts.items()},
            "triggers": {name: trigger.to_json() for name, trigger in self.triggers.items()},
        }
        self.config.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def forced_command(self) -> str:
        """The ``command="..."`` of an ``authorized_keys`` line that logs in through here."""
        return shlex.join([self.python, "-m", MODULE, "--config", str(self.config), "login"])

    # -- the in-process SSH server's handler ----------------------------------------------

    def handler(self, session: Session) -> None:
        """Run ``session``'s command as its role account; stream its output; end as it ends."""
        with self._lock:
            self.commands.append(session.command)
            if self._closed:
                session.err("the bastion is shutting down\n")
                session.exit(255)
                return
            self._threads.append(threading.current_thread())
        try:
            account, argv = login(session.command, self.accounts)
        except Refused as refused:
            session.err(refused.message + "\n")
            session.exit(refused.status)
            return
        process = subprocess.Popen(
            argv,
            cwd=account.home,
            env=account.environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if session.pty else subprocess.PIPE,
            start_new_session=True,
        )
        with self._lock:
            self._processes.add(process)
        try:
            if not self._stream(session, process, shlex.split(session.command)):
                return
            status = process.wait()
        finally:
            with self._lock:
                self._processes.discard(process)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        if status < 0:
            session.kill(signal.Signals(-status).name.removeprefix("SIG"))
        else:
            session.exit(status)

    def _stream(self, session: Session, process: subprocess.Popen[bytes], argv: list[str]) -> bool:
        """Pass the output on as it comes; ``False`` once a :class:`Drop` lost the connection."""
        assert process.stdout is not None
        partial = {"stdout": b"", "stderr": b""}
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, "stdout")
            if process.stderr is not None:
                selector.register(process.stderr, selectors.EVENT_READ, "stderr")
            while selector.get_map():
                for key, _ in selector.select():
                    data = os.read(key.fd, 65536)
                    if not data:
                        selector.unregister(key.fileobj)
                        continue
                    if key.data == "stdout":
                        session.out(data)
                    else:
                        session.err(data.decode("utf-8", "replace"))
                    *lines, partial[key.data] = (partial[key.data] + data).split(b"\n")
                    if self._dropping(argv, lines):
                        self._drop(session, process)
                        return False
        return True

    def _dropping(self, argv: Sequence[str], lines: Sequence[bytes]) -> bool:
        with self._lock:
            drops = list(self.drops)
        return any(
            drop.matches(argv, line.decode("utf-8", "replace")) for drop in drops for line in lines
        )

    def _drop(self, session: Session, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self.dropped.append(session.command)
            self.drops.clear()  # once
        session.drop()
        _hang_up(process)

    def close(self) -> None:
        """Stop every command still running (as a hangup would), then wait for the handlers."""
        with self._lock:
            self._closed = True
            processes = list(self._processes)
            threads = [t for t in self._threads if t is not threading.current_thread()]
        for process in processes:
            _hang_up(process)
        for thread in threads:
            thread.join(10)


def _hang_up(process: subprocess.Popen[bytes]) -> None:
    """SIGHUP the process group, then SIGKILL what is left after a moment; reap it."""
    for sig, wait in ((signal.SIGHUP, 2.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


# -- the commands on the bastion ------------------------------------------------------------


def _load(config: Path) -> tuple[dict[str, Account], dict[str, Trigger], str | None]:
    data = json.loads(config.read_text(encoding="utf-8"))
    accounts = {role: Account.from_json(entry) for role, entry in data["accounts"].items()}
    triggers = {name: Trigger(**entry) for name, entry in data["triggers"].items()}
    return accounts, triggers, data.get("remote")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        capture_output=True,
        text=True,
        check=False,
    )


def upgrade(stage: str, remote: str, home: Path) -> int:
    """Pull the spec from ``remote`` into the checkout in ``home``, then run Mojo for ``stage``.

    What the upgrade triggers run on their bastion: ``mojo run -m
    manifest-upgrade --stage STAGE`` in the account's environment, its
    output passed on; the exit status is Mojo's.
    """
    checkout = home / CHECKOUT
    if not (checkout / ".git").is_dir():
        done = _git("clone", "-q", remote, str(checkout))
        before = None
    else:
        before = _git("rev-parse", "HEAD", cwd=checkout).stdout.strip()
        done = _git("pull", "-q", "--ff-only", cwd=checkout)
    if done.returncode != 0:
        sys.stderr.write(f"cannot update the spec from {remote}: {done.stderr.strip()}\n")
        return 1
    after = _git("rev-parse", "HEAD", cwd=checkout).stdout.strip()
    if before is None:
        _say(f"Checked out the spec at {after[:12]} from {remote}")
    elif before == after:
        _say(f"The spec is up to date at {after[:12]}")
    else:
        _say(f"Updated the spec: {before[:12]}..{after[:12]}")
    argv = ["mojo", "run", "--spec", str(checkout / "spec"), "--stage", stage]
    _say(f"$ {shlex.join([*argv, '-m', UPGRADE_MANIFEST])}")
    return subprocess.call([*argv, "-m", UPGRADE_MANIFEST], cwd=home)


def _trigger(name: str, config: Path) -> int:
    accounts, triggers, remote = _load(config)
    trigger = triggers.get(name)
    if trigger is None or remote is None:
        sys.stderr.write(f"{name}: not configured on this bastion\n")
        return 127
    me = os.environ.get("USER")
    if me != trigger.caller:
        sys.stderr.write(f"{name}: run it as {trigger.caller}, not as {me}\n")
        return 1
    account = accounts[trigger.account]
    if trigger.say:
        _say(trigger.say)
    if account.role == me:
        return upgrade(trigger.stage, remote, account.home)
    # An SSH trigger: the other account's bastion runs the upgrade, in its own environment.
    return subprocess.call(
        [sys.executable, "-m", MODULE, "--config", str(config), "upgrade", trigger.stage],
        cwd=account.home,
        env=account.environ(),
    )


def _login(config: Path) -> int:
    accounts, _, _ = _load(config)
    command = os.environ.get("SSH_ORIGINAL_COMMAND", "")
    try:
        account, argv = login(command, accounts)
    except Refused as refused:
        sys.stderr.write(refused.message + "\n")
        return refused.status
    os.chdir(account.home)
    os.execve(argv[0], argv, account.environ())  # noqa: S606 (the login shell itself)


def main(argv: Sequence[str] | None = None) -> int:
    """``--config FILE login | trigger NAME | upgrade STAGE``: the bastion's own commands."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[0] != "--config":
        sys.stderr.write("usage: bastion --config FILE (login | trigger NAME | upgrade STAGE)\n")
        return 2
    config, command, rest = Path(args[1]), args[2], args[3:]
    if command == "login" and not rest:
        return _login(config)
    if command == "trigger" and len(rest) == 1:
        return _trigger(rest[0], config)
    if command == "upgrade" and len(rest) == 1:
        _, _, remote = _load(config)
        return upgrade(rest[0], str(remote), Path.home())
    sys.stderr.write(f"bastion: cannot {shlex.join(args[2:])}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
