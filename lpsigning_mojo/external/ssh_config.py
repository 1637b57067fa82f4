"""Where an SSH destination really is, according to the user's ``ssh_config``.

:func:`resolve` turns a destination (a host or ``Host`` alias, as you would
type after ``ssh``) into a :class:`Route`: the hops to connect through, each
with its real host name, port, user, identity files and known_hosts files.
It honours ``HostName``, ``User``, ``Port``, ``IdentityFile``,
``ProxyJump``, ``ProxyCommand``, ``HostKeyAlias``,
``UserKnownHostsFile``, ``GlobalKnownHostsFile``, ``ConnectTimeout`` and
``Include``, reading ``~/.ssh/config`` and then ``/etc/ssh/ssh_config`` like
OpenSSH (the first value found wins). It connects to nothing; paramiko is
imported only to parse the files.
"""

from __future__ import annotations

import getpass
import glob
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from lpsigning_mojo.errors import FileAccessError, SSHConfigError
from lpsigning_mojo.files import read_bytes
from lpsigning_mojo.numbers import whole_number

if TYPE_CHECKING:
    import paramiko

__all__ = ["DEFAULT_CONFIG_FILES", "Hop", "Route", "format_host", "parse_jump", "resolve"]

#: The files read by default, in order; missing ones are skipped.
DEFAULT_CONFIG_FILES = ("~/.ssh/config", "/etc/ssh/ssh_config")
_USER_KNOWN_HOSTS = "~/.ssh/known_hosts ~/.ssh/known_hosts2"
_GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"
_MAX_HOPS = 8
_MAX_INCLUDE_DEPTH = 16
_INCLUDE = re.compile(r"\s*include(?:\s*=\s*|\s+)(.+)", re.IGNORECASE)


def format_host(host: str, port: int) -> str:
    """``host``, or ``[host]:port`` when the port is not 22 (as known_hosts writes it)."""
    return host if port == 22 else f"[{host}]:{port}"


@attrs.frozen(kw_only=True)
class Hop:
    """One SSH connection of a route, with everything needed to make it."""

    name: str  # what was asked for (a Host alias, or a host name)
    hostname: str
    port: int = 22
    user: str
    identity_files: tuple[str, ...] = ()
    proxy_command: str | None = None  # only ever set on the first hop of a route
    host_key_alias: str | None = None
    known_hosts_files: tuple[str, ...] = ()
    connect_timeout: float | None = None

    @property
    def address(self) -> str:
        """``user@host`` or ``user@[host]:port``, for messages."""
        return f"{self.user}@{format_host(self.hostname, self.port)}"

    @property
    def known_hosts_name(self) -> str:
        """The name this host's key has in known_hosts."""
        return self.host_key_alias or format_host(self.hostname, self.port)


@attrs.frozen(kw_only=True)
class Route:
    """The hops to connect through, in order; the last one is the destination."""

    hops: tuple[Hop, ...]

    @property
    def target(self) -> Hop:
        return self.hops[-1]

    def describe(self) -> str:
        """``user@host``, with ``via ...`` for each jump host or proxy command."""
        text = self.target.address
        via = [hop.address for hop in self.hops[:-1]]
        if self.hops[0].proxy_command:
            via.insert(0, f"ProxyCommand {self.hops[0].proxy_command!r}")
        return f"{text} via {', then '.join(via)}" if via else text


def parse_jump(spec: str) -> tuple[str | None, str, int | None]:
    """Split one ``ProxyJump`` entry, ``[user@]host[:port]`` or ``ssh://[user@]host[:port]``."""
    text = spec.strip()
    if text.startswith("ssh://"):
        text = text[len("ssh://") :].rstrip("/")
    user, _, hostport = text.rpartition("@")
    host, port_text = hostport, ""
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif hostport.count(":") == 1:
        host, _, port_text = hostport.partition(":")
    port = whole_number(port_text) if port_text else None
    if not host or (port_text and port is None):
        raise SSHConfigError(f"cannot understand the ProxyJump entry {spec!r}")
    return (user or None), host, port


def _expanded_text(path: Path, *, base: Path, depth: int = 0) -> str:
    """The file's text with each ``Include`` replaced by the files it names."""
    if depth > _MAX_INCLUDE_DEPTH:
        raise SSHConfigError(f"{path}: Include nests deeper than {_MAX_INCLUDE_DEPTH} files")
    try:
        text = read_bytes(path).decode("utf-8", errors="replace")
    except FileAccessError as error:
        raise SSHConfigError(f"cannot read your ssh_config: {error.message}") from None
    lines = []
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if not match:
            lines.append(line)
            continue
        for pattern in match.group(1).split():
            pattern = os.path.expanduser(pattern.strip('"'))
            if not os.path.isabs(pattern):
                pattern = str(base / pattern)
            for name in sorted(glob.glob(pattern)):
                if os.path.isfile(name):
                    lines.append(_expanded_text(Path(name), base=base, depth=depth + 1))
    return "\n".join(lines) + "\n"


def load_config(files: Sequence[str | os.PathLike[str]]) -> paramiko.SSHConfig:
    """Parse the given ``ssh_config`` files (missing ones are skipped) into one config."""
    import paramiko

    config = paramiko.SSHConfig()
    for name in files:
        path = Path(os.path.expanduser(os.fspath(name)))
        if not path.is_file():
            continue
        # OpenSSH: relative Includes are in /etc/ssh for system files, else in ~/.ssh.
        system = path.resolve().is_relative_to("/etc/ssh")
        base = Path("/etc/ssh") if system else Path.home() / ".ssh"
        try:
            config.parse(io.StringIO(_expanded_text(path, base=base)))
        except paramiko.ConfigParseError as error:
            raise SSHConfigError(f"cannot parse {path}: {error}") from None
    return config


def _lookup(config: paramiko.SSHConfig, host: str) -> dict[str, object]:
    try:
        return dict(config.lookup(host))
    except ImportError:  # paramiko needs the optional 'invoke' for "Match exec"
        raise SSHConfigError(
            f"your ssh_config uses 'Match exec' for {host!r}, which this tool cannot evaluate",
            hint="Give the host its own 'Host' block instead",
        ) from None
    except Exception as error:  # paramiko raises a variety for odd configs
        raise SSHConfigError(f"cannot look up {host!r} in your ssh_config: {error}") from None


def _int(value: object, what: str, host: str) -> int:
    number = whole_number(str(value))
    if number is None or not 0 < number < 65536:
        raise SSHConfigError(f"ssh_config gives {host!r} the {what} {value!r}, which is not valid")
    return number


def _hop(
    config: paramiko.SSHConfig,
    name: str,
    *,
    user: str | None,
    port: int | None,
) -> tuple[Hop, dict[str, object]]:
    options = _lookup(config, name)
    known = f"{options.get('userknownhostsfile') or _USER_KNOWN_HOSTS} " + str(
        options.get("globalknownhostsfile") or _GLOBAL_KNOWN_HOSTS
    )
    timeout = options.get("connecttimeout")
    identity_files = options.get("identityfile") or []
    assert isinstance(identity_files, list)
    hop = Hop(
        name=name,
        hostname=str(options.get("hostname") or name),
        port=port or _int(options.get("port", 22), "port", name),
        user=user or str(options.get("user") or getpass.getuser()),
        identity_files=tuple(os.path.expanduser(str(f)) for f in identity_files),
        host_key_alias=str(options["hostkeyalias"]) if options.get("hostkeyalias") else None,
        known_hosts_files=tuple(
            os.path.expanduser(f) for f in known.split() if f.lower() != "none"
        ),
        connect_timeout=float(_int(timeout, "ConnectTimeout", name)) if timeout else None,
    )
    return hop, options


def _route(
    config: paramiko.SSHConfig, name: str, user: str | None, port: int | None, depth: int
) -> list[Hop]:
    if depth > _MAX_HOPS:
        raise SSHConfigError(
            f"the ProxyJump chain to {name!r} is longer than {_MAX_HOPS} hops, "
            "which suggests a loop"
        )
    hop, options = _hop(config, name, user=user, port=port)
    jump = str(options.get("proxyjump") or "")
    if jump and jump.lower() != "none":
        entries = [parse_jump(entry) for entry in jump.split(",")]
        first_user, first_host, first_port = entries[0]
        hops = _route(config, first_host, first_user, first_port, depth + 1)
        for jump_user, jump_host, jump_port in entries[1:]:
            hops.append(_hop(config, jump_host, user=jump_user, port=jump_port)[0])
        return [*hops, hop]
    command = options.get("proxycommand")
    if command:
        hop = attrs.evolve(hop, proxy_command=str(command))
    return [hop]


def resolve(
    destination: str,
    *,
    user: str | None = None,
    port: int | None = None,
    config_files: Sequence[str | os.PathLike[str]] = DEFAULT_CONFIG_FILES,
) -> Route:
    """The route to ``destination`` (``host`` or ``user@host``) per the ``ssh_config`` files.

    An explicit ``user`` or ``port`` beats the one in the files, as on ssh's
    command line.
    """
    at_user, _, host = destination.rpartition("@")
    if not host:
        raise SSHConfigError(f"{destination!r} is not an SSH destination")
    config = load_config(config_files)
    hops = _route(config, host, user or at_user or None, port, 0)
    if len(hops) > _MAX_HOPS:
        raise SSHConfigError(f"the route to {destination!r} has more than {_MAX_HOPS} hops")
    return Route(hops=tuple(hops))
