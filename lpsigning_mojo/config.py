"""The user's configuration: one TOML file, and environment variables that override it.

The file is ``$XDG_CONFIG_HOME/lpsigning-mojo/config.toml``
(``~/.config/lpsigning-mojo/config.toml`` by default), or the file
``LPSIGNING_MOJO_CONFIG`` names::

    [launchpad]
    service-root = "production"             # or a URL; LPSIGNING_MOJO_LAUNCHPAD_URL
    credentials = "~/.config/lpsigning-mojo/launchpad-credentials"

    [mattermost]
    webhook = "https://chat.example/hooks/..."   # a secret: never printed
    channel = "is-outage"

    [deployable]
    url = "https://deployable.example/"
    request-command = "deployable-request --project lp-signing"
    deployed-command = "deployable-deployed --project lp-signing"

    [release]
    soak-minutes = 60
    source = "~/src/lp-signing"              # a local clone of lp-signing

Every key has an environment variable that overrides it (see
:data:`SETTINGS`); an empty variable counts as unset. Secrets come from here
or the environment, never from the spec. :class:`Config` knows where each
value came from, so ``lpsigning-mojo config`` can show it, with secrets
masked. This module imports nothing heavy.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from lpsigning_mojo.errors import ConfigError, FileAccessError
from lpsigning_mojo.files import read_toml
from lpsigning_mojo.suggest import did_you_mean

__all__ = ["SETTINGS", "Config", "Setting", "Value", "config_path"]

Kind = Literal["text", "url", "path", "command", "minutes", "service-root"]
Origin = Literal["default", "file", "environment"]

#: The value shown in place of a secret.
MASK = "******** (hidden)"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Setting:
    """One configurable value: its key in the file, its variable, what it means."""

    key: str  # "section.name", as in the file
    env: str
    kind: Kind
    help: str
    default: str | int | None = None
    secret: bool = False

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]


#: Every setting, in the order ``lpsigning-mojo config`` shows them.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        key="launchpad.service-root",
        env="LPSIGNING_MOJO_LAUNCHPAD_URL",
        kind="service-root",
        default="production",
        help="Launchpad's API: 'production', 'staging', 'qastaging' or a URL",
    ),
    Setting(
        key="launchpad.credentials",
        env="LPSIGNING_MOJO_LP_CREDENTIALS",
        kind="path",
        help="launchpadlib credentials file, for moving bugs and filing them",
    ),
    Setting(
        key="mattermost.webhook",
        env="LPSIGNING_MOJO_MATTERMOST_WEBHOOK",
        kind="url",
        secret=True,
        help="incoming-webhook URL for the ~is-outage announcement",
    ),
    Setting(
        key="mattermost.channel",
        env="LPSIGNING_MOJO_MATTERMOST_CHANNEL",
        kind="text",
        help="channel to post to, when not the webhook's own",
    ),
    Setting(
        key="mattermost.username",
        env="LPSIGNING_MOJO_MATTERMOST_USERNAME",
        kind="text",
        help="name the announcement is posted under, when the webhook allows it",
    ),
    Setting(
        key="deployable.url",
        env="LPSIGNING_MOJO_DEPLOYABLE_URL",
        kind="url",
        help="Deployable's page for lp-signing, shown with the release note",
    ),
    Setting(
        key="deployable.request-command",
        env="LPSIGNING_MOJO_DEPLOYABLE_REQUEST_COMMAND",
        kind="command",
        help="command run once with the release note on stdin to request a deployment",
    ),
    Setting(
        key="deployable.deployed-command",
        env="LPSIGNING_MOJO_DEPLOYABLE_DEPLOYED_COMMAND",
        kind="command",
        help="command run once to mark the deployment request deployed",
    ),
    Setting(
        key="release.soak-minutes",
        env="LPSIGNING_MOJO_SOAK_MINUTES",
        kind="minutes",
        default=0,
        help="minutes staging must have run a target before production (0: no soak gate)",
    ),
    Setting(
        key="release.source",
        env="LPSIGNING_MOJO_SOURCE",
        kind="path",
        help="a local clone of lp-signing, for LP: #N references and ancestry",
    ),
)

_BY_KEY = {setting.key: setting for setting in SETTINGS}
_SERVICE_ROOTS = ("production", "staging", "qastaging", "dogfood", "test_dev")


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The configuration file that applies (it need not exist)."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("LPSIGNING_MOJO_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path(environ.get("HOME", "~")) / ".config"
    return root.expanduser() / "lpsigning-mojo" / "config.toml"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Value:
    """A setting's effective value and where it came from."""

    setting: Setting
    value: str | int | None
    origin: Origin
    where: str | None = None  # the file or the variable

    @property
    def shown(self) -> str:
        """The value for people: secrets masked, unset values said so."""
        if self.value is None:
            return "(not set)"
        if self.setting.secret:
            return MASK
        return str(self.value)

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.setting.key,
            "env": self.setting.env,
            "value": None if self.value is None else self.shown,
            "set": self.value is not None,
            "secret": self.setting.secret,
            "origin": self.origin,
            "where": self.where,
        }


def _fail(where: str | None, key: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError(f"{where + ': ' if where else ''}{key} {message}", hint=hint)


def _check(setting: Setting, raw: object, where: str | None, *, base: Path | None) -> str | int:
    """``raw`` as the setting's kind, or a :class:`ConfigError` naming where and which key.

    ``where`` is the file (``base`` its directory, for relative paths), or
    ``None`` for the environment, where the variable's name says it all.
    """
    key = f"[{setting.section}] {setting.name}" if where else f"${setting.env}"
    if setting.kind == "minutes":
        if isinstance(raw, str) and raw.isascii() and raw.isdigit():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise _fail(where, key, f"must be a whole number of minutes (0 or more), not {raw!r}")
        return raw
    if not isinstance(raw, str):
        raise _fail(where, key, f"must be a string, not {type(raw).__name__} {raw!r}")
    text = raw.strip()
    if not text:
        raise _fail(where, key, "is empty", hint="remove the key to use the default")
    is_url = setting.kind == "url" or (
        setting.kind == "service-root" and text not in _SERVICE_ROOTS
    )
    if is_url and (not text.startswith(("https://", "http://")) or not text.split("/", 3)[2]):
        shown = "the value" if setting.secret else repr(text)
        allowed = "" if setting.kind == "url" else f" or one of {', '.join(_SERVICE_ROOTS)}"
        raise _fail(where, key, f"must be an http or https URL{allowed}; {shown} is not")
    if setting.kind == "command":
        try:
            words = shlex.split(text)
        except ValueError as error:
            raise _fail(where, key, f"is not a valid command line ({error})") from None
        if not words:
            raise _fail(where, key, "is empty")
    if setting.kind == "path":
        path = Path(text).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return str(path)
    return text


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config:
    """The effective configuration: every setting's value and where it came from."""

    path: Path
    values: Mapping[str, Value]
    warnings: tuple[str, ...] = ()

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read the file (if there is one), then the environment.

        Raises :class:`~lpsigning_mojo.errors.ConfigError` for a bad file or
        value, naming the file (or variable) and the key.
        """
        environ = os.environ if environ is None else environ
        path = config_path(environ)
        table = _read_file(path)
        warnings: list[str] = []
        values: dict[str, Value] = {}
        for setting in SETTINGS:
            raw_env = environ.get(setting.env, "")
            if raw_env.strip():
                value = _check(setting, raw_env, None, base=None)
                values[setting.key] = Value(
                    setting=setting, value=value, origin="environment", where=setting.env
                )
            elif setting.key in table:
                value = _check(setting, table[setting.key], str(path), base=path.parent)
                values[setting.key] = Value(
                    setting=setting, value=value, origin="file", where=str(path)
                )
            else:
                values[setting.key] = Value(
                    setting=setting, value=setting.default, origin="default"
                )
        secrets_in_file = [key for key in table if _BY_KEY[key].secret]
        if secrets_in_file and _readable_by_others(path):
            warnings.append(
                f"{path} holds a secret ({', '.join(secrets_in_file)}) and others can read it; "
                f"run: chmod 600 {shlex.quote(str(path))}"
            )
        return cls(path=path, values=values, warnings=tuple(warnings))

    def value(self, key: str) -> Value:
        """The :class:`Value` of ``key`` (``"mattermost.webhook"``)."""
        return self.values[key]

    def get(self, key: str) -> str | None:
        """The text of ``key``, or ``None`` when unset."""
        value = self.values[key].value
        return None if value is None else str(value)

    def command(self, key: str) -> tuple[str, ...] | None:
        """A command setting as argv (split like a shell, never run by one)."""
        text = self.get(key)
        return None if text is None else tuple(shlex.split(text))

    @property
    def soak_minutes(self) -> int:
        value = self.values["release.soak-minutes"].value
        return value if isinstance(value, int) else 0

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "exists": self.path.is_file(),
            "settings": [self.values[setting.key].to_json() for setting in SETTINGS],
            "warnings": list(self.warnings),
        }


def _read_file(path: Path) -> dict[str, object]:
    """The file's settings by ``section.name`` (none when there is no file)."""
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        data = read_toml(path)
    except FileAccessError as error:
        raise ConfigError(error.message, hint=error.hint) from None
    table: dict[str, object] = {}
    for section, content in data.items():
        if not isinstance(content, dict):
            raise ConfigError(
                f"{path}: {section} must be a table ([{section}]), not a value",
                hint=_known_keys_hint(),
            )
        for name, raw in content.items():
            key = f"{section}.{name}"
            if key not in _BY_KEY:
                raise ConfigError(
                    f"{path}: [{section}] has an unknown key {name!r}{did_you_mean(key, _BY_KEY)}",
                    hint=_known_keys_hint(),
                )
            table[key] = raw
    return table


def _known_keys_hint() -> str:
    return "the keys are: " + ", ".join(setting.key for setting in SETTINGS)


def _readable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def describe(config: Config) -> Sequence[tuple[str, str, str]]:
    """(key, value as shown, where from) rows, for a table."""
    rows = []
    for setting in SETTINGS:
        value = config.values[setting.key]
        where = {
            "default": "default",
            "file": "config file",
            "environment": f"${setting.env}",
        }[value.origin]
        rows.append((setting.key, value.shown, where))
    return rows
