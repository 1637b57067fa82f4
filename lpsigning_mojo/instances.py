"""The lp-signing instances and their management environments, from ``instances.yaml``.

An :class:`Instance` (staging, production) is a deployment of lp-signing; a
:class:`ManagementEnvironment` is the role account on a bastion host from which
one is managed. A :class:`Trigger` is a command run in an environment that acts
on an instance (``upgrade-staging``, ``upgrade-production``). Everything here is
pure data; :func:`load_instances` reads and checks the file and
:mod:`lpsigning_mojo.triggers` turns a request into a remote command.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal

import attrs

from lpsigning_mojo.errors import FileAccessError, InstanceError, UnknownInstanceError
from lpsigning_mojo.files import read_text
from lpsigning_mojo.mojospec.layout import INSTANCES_FILE
from lpsigning_mojo.mojospec.stages import stage_name
from lpsigning_mojo.yamlnodes import Node, NodeReader

__all__ = [
    "Become",
    "Instance",
    "Instances",
    "ManagementEnvironment",
    "Trigger",
    "load_instances",
    "sudo_safe_argv",
]

Become = Literal["sudo", "login"]

_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")


# A word that sudo -i and the login shell pass on unchanged: printable ASCII but "$", not empty.
_SUDO_SAFE_WORD = re.compile(r"[ -#%-~]+\Z")
# Bytes that stay themselves in an encoded word; every other byte becomes "\0ooo".
_PLAIN_BYTES = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./:=+,@%"
)
# Run by sh with the encoded words as "$@": decode each one with printf %b (each word
# starts with "_", so that none is empty; the "x" keeps trailing newlines that $(...)
# would strip), then run the decoded argv.
_DECODE_AND_RUN = """\
n=$#
for word do
  word=$(printf '%bx' "${word#_}")
  set -- "$@" "${word%x}"
done
shift "$n"
exec "$@"
"""


def _encoded(text: str) -> str:
    """``text`` for ``printf %b``: safe bytes as they are, every other byte as ``\\0ooo``."""
    return "".join(
        chr(byte) if byte in _PLAIN_BYTES else f"\\0{byte:03o}"
        for byte in text.encode("utf-8", "surrogateescape")
    )


def sudo_safe_argv(argv: Sequence[str]) -> list[str]:
    """``argv``, or an argv that runs it and survives ``sudo -i`` and the role's login shell.

    An argv whose words are all non-empty printable ASCII without ``$`` passes
    through ``sudo -i`` unchanged and is returned as it is (so command lines
    stay readable: ``sudo -n -iu ROLE -- upgrade-staging``). Any other becomes
    ``sh -c 'eval "`printf %b CODE`"' lpsigning-mojo _WORD...``: the decoding
    script and every word encoded as ``printf %b`` escapes (each word after a
    ``_``, so none is empty), which hold only letters, digits, backslashes
    and ``_-./:=+,@%`` and so reach ``sh`` unchanged; ``sh`` decodes them and
    runs the original argv with ``exec``.
    """
    if all(_SUDO_SAFE_WORD.match(word) for word in argv):
        return list(argv)
    wrapper = f"eval \"`printf '%b' '{_encoded(_DECODE_AND_RUN)}'`\""
    return ["sh", "-c", wrapper, "lpsigning-mojo", *("_" + _encoded(word) for word in argv)]


@attrs.frozen(kw_only=True)
class ManagementEnvironment:
    """A role account on a bastion host, from which an instance is managed.

    ``become`` says how to act as the role: ``sudo`` (log in as yourself, then
    ``sudo -iu ROLE``) or ``login`` (log in as the role directly).
    ``ssh_host`` is an optional ``Host`` alias of your ``~/.ssh/config`` to
    connect through instead of ``bastion``. ``developer_access`` says whether
    developers may log in there at all.
    """

    name: str
    bastion: str
    role: str
    developer_access: bool
    become: Become = "sudo"
    ssh_host: str | None = None
    managed_by: str | None = None
    line: int | None = None

    @property
    def account(self) -> str:
        """``role@bastion``, as the runbook writes it."""
        return f"{self.role}@{self.bastion}"

    @property
    def ssh_destination(self) -> str:
        """What to hand to SSH: the ``ssh_config`` alias if there is one, else the bastion."""
        return self.ssh_host or self.bastion

    @property
    def login_user(self) -> str | None:
        """The user to log in as: the role for ``login``; for ``sudo``, your own (``None``)."""
        return self.role if self.become == "login" else None

    def to_json(self) -> dict[str, object]:
        """Every field of ``instances.yaml`` (``environment``: its name), and ``account``."""
        return {
            "environment": self.name,
            "account": self.account,
            "bastion": self.bastion,
            "role": self.role,
            "developer_access": self.developer_access,
            "become": self.become,
            "ssh_host": self.ssh_host,
            "managed_by": self.managed_by,
        }

    def command_line(self, argv: Sequence[str]) -> str:
        """The shell command line that runs ``argv`` as the role account once logged in.

        Every argv arrives intact, whatever its words hold. With ``sudo``,
        ``-n`` makes sudo fail at once rather than wait for a password nobody
        will type, and ``-i`` hands the command to the role's login shell
        with every character backslash-escaped except letters, digits, ``_``,
        ``-`` and ``$`` (sudo(8)): that shell would expand a ``$``, drop a
        newline (an escaped newline continues the line) and lose an empty
        word. An argv with any of those (or with any character other than
        printable ASCII) is therefore sent encoded (see :func:`sudo_safe_argv`)
        and decoded by ``sh`` on the other side.
        """
        if self.become == "sudo":
            return shlex.join(["sudo", "-n", "-iu", self.role, "--", *sudo_safe_argv(argv)])
        return shlex.join(argv)


@attrs.frozen(kw_only=True)
class Trigger:
    """A command that acts on an instance, run as the role account of ``run_from``."""

    name: str
    argv: tuple[str, ...]
    run_from: str
    pty: bool = True
    timeout: float | None = None
    idle_timeout: float | None = None
    description: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, object]:
        """Every field of ``instances.yaml`` (``trigger``: its name); seconds, or ``null``."""
        return {
            "trigger": self.name,
            "argv": list(self.argv),
            "run_from": self.run_from,
            "pty": self.pty,
            "timeout": self.timeout,
            "idle_timeout": self.idle_timeout,
            "description": self.description,
        }


@attrs.frozen(kw_only=True)
class Instance:
    """One deployment of lp-signing.

    ``mojo_stage`` is the full Mojo stage (``lp-signing/staging``) and
    ``stage_name`` its last part (what bundle templates see as ``stage_name``).
    ``url`` is ``None`` where it is not public. ``juju_model`` is ``None`` where
    unknown or unreachable. ``juju_access`` says whether developers may use the
    juju CLI (and ``juju ssh``) on it.
    """

    name: str
    mojo_stage: str
    stage_name: str
    environment: str
    juju_access: bool
    url: str | None
    aliases: tuple[str, ...] = ()
    health_endpoint: str = "/service-key"
    juju_model: str | None = None
    description: str | None = None
    triggers: Mapping[str, Trigger] = attrs.field(factory=dict)
    line: int | None = None

    def to_json(self) -> dict[str, object]:
        """Every field of ``instances.yaml``: ``instance`` (its name), ``stage`` (the
        short name), ``mojo_stage``, ``environment`` (the name of its management
        environment), ..., ``triggers`` (a list)."""
        return {
            "instance": self.name,
            "stage": self.stage_name,
            "mojo_stage": self.mojo_stage,
            "environment": self.environment,
            "juju_access": self.juju_access,
            "url": self.url,
            "aliases": list(self.aliases),
            "health_endpoint": self.health_endpoint,
            "juju_model": self.juju_model,
            "description": self.description,
            "triggers": [trigger.to_json() for trigger in self.triggers.values()],
        }

    @property
    def health_url(self) -> str | None:
        """The full URL of the health check, or ``None`` without a public URL."""
        if self.url is None:
            return None
        return self.url.rstrip("/") + self.health_endpoint


@attrs.frozen(kw_only=True)
class Instances:
    """Every instance and environment of one ``instances.yaml``, looked up by name."""

    instances: Mapping[str, Instance]
    environments: Mapping[str, ManagementEnvironment]
    path: str | None = None

    def __iter__(self) -> Iterator[Instance]:
        return iter(self.instances.values())

    def names(self) -> tuple[str, ...]:
        """Every name and alias, in file order (``staging``, ``dogfood``, ``production``)."""
        return tuple(n for i in self for n in (i.name, *i.aliases))

    def get(self, name: str) -> Instance:
        """The instance called ``name`` (or with that alias); ``UnknownInstanceError`` if none."""
        for instance in self:
            if name == instance.name or name in instance.aliases:
                return instance
        raise UnknownInstanceError(name, valid=self.names(), path=self.path)

    def environment_of(self, instance: Instance) -> ManagementEnvironment:
        return self.environments[instance.environment]

    def to_json(self) -> dict[str, object]:
        """Every field, as in the file, for ``lpsigning-mojo instances --format json``."""
        return {
            "path": self.path,
            "instances": [instance.to_json() for instance in self],
            "environments": [env.to_json() for env in self.environments.values()],
        }


def load_instances(path: str | os.PathLike[str]) -> Instances:
    """Read and check ``instances.yaml`` (or a spec directory holding it).

    Raises :class:`FileAccessError` when it cannot be read and
    :class:`InstanceError`, with the file and line, when it is invalid.
    """
    path = Path(path)
    if path.is_dir():
        path = path / INSTANCES_FILE
    if not os.path.lexists(path):
        raise FileAccessError(
            f"{path} does not exist",
            hint="It lists the instances; it lives in the spec directory (spec/lp-signing)",
        )
    try:
        text = read_text(path)
    except FileAccessError as error:
        raise FileAccessError(f"cannot read {error.message}", hint=error.hint) from None
    return parse_instances(text, path=str(path))


def parse_instances(text: str, *, path: str = INSTANCES_FILE) -> Instances:
    """Check the text of an ``instances.yaml``; ``path`` is only used in messages."""
    reader = NodeReader(path, error=InstanceError)
    root = reader.compose(text)
    top = reader.mapping(root, "the file", required=("environments", "instances"), optional=())
    environments = {
        name: _environment(reader, name, key, node)
        for name, (key, node) in reader.mapping(top["environments"][1], "'environments'").items()
    }
    instances: dict[str, Instance] = {}
    seen: dict[str, Node] = {}
    for name, (key, node) in reader.mapping(top["instances"][1], "'instances'").items():
        instance = _instance(reader, name, key, node, environments)
        for alias in (name, *instance.aliases):
            if alias in seen:
                where = f"line {seen[alias].start_mark.line + 1}"
                raise reader.error(key, f"the name {alias!r} is already used ({where})")
            seen[alias] = key
        instances[name] = instance
    if not instances:
        raise reader.error(top["instances"][1], "'instances' lists no instance")
    return Instances(instances=instances, environments=environments, path=path)


def _name(reader: NodeReader, node: Node, name: str, what: str) -> str:
    if not _NAME.match(name):
        raise reader.error(
            node, f"{what} {name!r} must be lower-case letters, digits and '-', starting a letter"
        )
    return name


def _environment(reader: NodeReader, name: str, key: Node, node: Node) -> ManagementEnvironment:
    name = _name(reader, key, name, "environment name")
    what = f"environment {name!r}"
    fields = reader.mapping(
        node,
        what,
        required=("bastion", "role", "developer_access"),
        optional=("become", "ssh_host", "managed_by"),
    )
    become = reader.choice(fields, "become", what, ("sudo", "login"), default="sudo")
    return ManagementEnvironment(
        name=name,
        bastion=reader.string(fields["bastion"][1], f"{what}: 'bastion'"),
        role=reader.string(fields["role"][1], f"{what}: 'role'"),
        developer_access=reader.boolean(
            fields["developer_access"][1], f"{what}: 'developer_access'"
        ),
        become="login" if become == "login" else "sudo",
        ssh_host=reader.optional_string(fields, "ssh_host", what),
        managed_by=reader.optional_string(fields, "managed_by", what),
        line=key.start_mark.line + 1,
    )


def _instance(
    reader: NodeReader,
    name: str,
    key: Node,
    node: Node,
    environments: Mapping[str, ManagementEnvironment],
) -> Instance:
    name = _name(reader, key, name, "instance name")
    what = f"instance {name!r}"
    fields = reader.mapping(
        node,
        what,
        required=("mojo_stage", "environment", "juju_access", "url"),
        optional=(
            "aliases",
            "stage_name",
            "health_endpoint",
            "juju_model",
            "description",
            "triggers",
        ),
    )
    stage_node = fields["mojo_stage"][1]
    stage = reader.string(stage_node, f"{what}: 'mojo_stage'")
    if stage.startswith("/") or stage.endswith("/") or "//" in stage:
        raise reader.error(stage_node, f"{what}: 'mojo_stage' {stage!r} is not a stage path")
    url = reader.optional_string(fields, "url", what)
    if url is not None and not url.startswith(("http://", "https://")):
        raise reader.error(fields["url"][1], f"{what}: 'url' {url!r} is not an http(s) URL")
    health = reader.optional_string(fields, "health_endpoint", what) or "/service-key"
    if not health.startswith("/"):
        raise reader.error(
            fields["health_endpoint"][1], f"{what}: 'health_endpoint' must start with '/'"
        )
    aliases: list[str] = []
    if "aliases" in fields:
        for alias_node in reader.sequence(fields["aliases"][1], f"{what}: 'aliases'"):
            alias = _name(reader, alias_node, reader.string(alias_node, f"{what}: alias"), "alias")
            if alias == name or alias in aliases:
                raise reader.error(alias_node, f"{what} lists the name {alias!r} twice")
            aliases.append(alias)
    triggers: dict[str, Trigger] = {}
    if "triggers" in fields:
        items = reader.mapping(fields["triggers"][1], f"{what}: 'triggers'")
        for trigger_name, (trigger_key, trigger_node) in items.items():
            trigger = _trigger(reader, what, trigger_name, trigger_key, trigger_node, environments)
            triggers[trigger_name] = trigger
    environment = _reference(
        reader, fields["environment"][1], f"{what}: 'environment'", environments
    )
    return Instance(
        name=name,
        aliases=tuple(aliases),
        mojo_stage=stage,
        stage_name=reader.optional_string(fields, "stage_name", what) or stage_name(stage),
        environment=environment,
        juju_access=reader.boolean(fields["juju_access"][1], f"{what}: 'juju_access'"),
        url=url,
        health_endpoint=health,
        juju_model=reader.optional_string(fields, "juju_model", what),
        description=reader.optional_string(fields, "description", what),
        triggers=triggers,
        line=key.start_mark.line + 1,
    )


def _trigger(
    reader: NodeReader,
    owner: str,
    name: str,
    key: Node,
    node: Node,
    environments: Mapping[str, ManagementEnvironment],
) -> Trigger:
    name = _name(reader, key, name, f"{owner}: trigger name")
    what = f"{owner}: trigger {name!r}"
    fields = reader.mapping(
        node,
        what,
        required=("command", "run_from"),
        optional=("pty", "timeout", "idle_timeout", "description"),
    )
    command_node = fields["command"][1]
    if reader.is_sequence(command_node):
        argv = [reader.string(n, f"{what}: 'command'") for n in reader.sequence(command_node, what)]
    else:
        text = reader.string(command_node, f"{what}: 'command'")
        try:
            argv = shlex.split(text)
        except ValueError as error:
            raise reader.error(command_node, f"{what}: 'command' does not parse: {error}") from None
    if not argv:
        raise reader.error(command_node, f"{what}: 'command' is empty")
    return Trigger(
        name=name,
        argv=tuple(argv),
        run_from=_reference(reader, fields["run_from"][1], f"{what}: 'run_from'", environments),
        pty=reader.boolean(fields["pty"][1], f"{what}: 'pty'") if "pty" in fields else True,
        timeout=reader.optional_seconds(fields, "timeout", what),
        idle_timeout=reader.optional_seconds(fields, "idle_timeout", what),
        description=reader.optional_string(fields, "description", what),
        line=key.start_mark.line + 1,
    )


def _reference(
    reader: NodeReader, node: Node, what: str, environments: Mapping[str, ManagementEnvironment]
) -> str:
    name = reader.string(node, what)
    if name not in environments:
        known = ", ".join(environments) or "none"
        raise reader.error(
            node, f"{what} names environment {name!r}, which is not defined (defined: {known})"
        )
    return name
