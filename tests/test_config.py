"""The user's configuration file, the variables that override it, and ``lpsigning-mojo config``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lpsigning_mojo.cli import main
from lpsigning_mojo.config import MASK, SETTINGS, Config, config_path
from lpsigning_mojo.errors import ConfigError

HOOK = "https://chat.example/hooks/s3cr3t-token"


@pytest.fixture(autouse=True)
def _no_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [setting.env for setting in SETTINGS] + ["LPSIGNING_MOJO_CONFIG"]:
        monkeypatch.delenv(name, raising=False)


def write(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / ".config" / "lpsigning-mojo" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def home() -> Path:
    return Path(os.environ["HOME"])


def test_the_file_lives_under_xdg_config_home_or_where_the_variable_says(home: Path) -> None:
    assert config_path({"HOME": str(home)}) == home / ".config/lpsigning-mojo/config.toml"
    assert config_path({"HOME": str(home), "XDG_CONFIG_HOME": "/etc/xdg-here"}) == Path(
        "/etc/xdg-here/lpsigning-mojo/config.toml"
    )
    # A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
    assert config_path({"HOME": str(home), "XDG_CONFIG_HOME": "rel"}) == (
        home / ".config/lpsigning-mojo/config.toml"
    )
    assert config_path({"HOME": str(home), "LPSIGNING_MOJO_CONFIG": "/x/c.toml"}) == Path(
        "/x/c.toml"
    )


def test_without_a_file_every_setting_is_its_default(home: Path) -> None:
    config = Config.load({"HOME": str(home)})
    assert config.get("launchpad.service-root") == "production"
    assert config.soak_minutes == 0
    assert config.get("mattermost.webhook") is None
    assert {value.origin for value in config.values.values()} == {"default"}


def test_the_environment_overrides_the_file_and_each_value_says_where_it_came_from(
    home: Path,
) -> None:
    path = write(
        home,
        '[launchpad]\nservice-root = "staging"\ncredentials = "creds"\n'
        "[release]\nsoak-minutes = 30\n"
        '[deployable]\nrequest-command = "deployable-request --note -"\n',
    )
    config = Config.load({"HOME": str(home), "LPSIGNING_MOJO_SOAK_MINUTES": "45"})
    assert config.get("launchpad.service-root") == "staging"
    assert config.value("launchpad.service-root").origin == "file"
    assert config.value("launchpad.service-root").where == str(path)
    # A relative path in the file is relative to the file's directory.
    assert config.get("launchpad.credentials") == str(path.parent / "creds")
    assert config.soak_minutes == 45
    assert config.value("release.soak-minutes").origin == "environment"
    assert config.value("release.soak-minutes").where == "LPSIGNING_MOJO_SOAK_MINUTES"
    assert config.command("deployable.request-command") == ("deployable-request", "--note", "-")


def test_an_empty_variable_counts_as_unset(home: Path) -> None:
    write(home, "[release]\nsoak-minutes = 30\n")
    config = Config.load({"HOME": str(home), "LPSIGNING_MOJO_SOAK_MINUTES": "  "})
    assert config.soak_minutes == 30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[release]\nsoak-minute = 3\n",
            "unknown key 'soak-minute' (did you mean 'release.soak-minutes'?)",
        ),
        ("[release]\nsoak-minutes = -1\n", "[release] soak-minutes must be a whole number"),
        ("[release]\nsoak-minutes = true\n", "[release] soak-minutes must be a whole number"),
        ('[mattermost]\nwebhook = "ftp://x/y"\n', "[mattermost] webhook must be an http"),
        ('[launchpad]\nservice-root = "prod"\n', "or one of production, staging"),
        ('[deployable]\nrequest-command = "a \'b"\n', "is not a valid command line"),
        ("release = 3\n", "release must be a table"),
        ("[release\n", "not valid TOML"),
        ('[launchpad]\ncredentials = ""\n', "[launchpad] credentials is empty"),
    ],
)
def test_a_bad_file_is_one_sentence_naming_the_file_and_the_key(
    home: Path, text: str, expected: str
) -> None:
    path = write(home, text)
    with pytest.raises(ConfigError) as raised:
        Config.load({"HOME": str(home)})
    assert expected in str(raised.value)
    assert str(raised.value).startswith(str(path))


def test_a_bad_variable_names_the_variable(home: Path) -> None:
    with pytest.raises(ConfigError, match=r"^\$LPSIGNING_MOJO_DEPLOYABLE_URL must be an http"):
        Config.load({"HOME": str(home), "LPSIGNING_MOJO_DEPLOYABLE_URL": "deployable"})


def test_a_bad_secret_is_refused_without_showing_it(home: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.load({"HOME": str(home), "LPSIGNING_MOJO_MATTERMOST_WEBHOOK": "chat/s3cr3t-token"})
    assert "s3cr3t" not in str(raised.value)


def test_a_config_path_that_is_a_directory_is_a_clear_error(home: Path) -> None:
    (home / ".config" / "lpsigning-mojo" / "config.toml").mkdir(parents=True)
    with pytest.raises(ConfigError, match="is a directory"):
        Config.load({"HOME": str(home)})


def test_a_secret_in_a_file_others_can_read_is_warned_about(home: Path) -> None:
    path = write(home, f'[mattermost]\nwebhook = "{HOOK}"\n', mode=0o644)
    config = Config.load({"HOME": str(home)})
    assert config.get("mattermost.webhook") == HOOK
    assert len(config.warnings) == 1
    assert f"chmod 600 {path}" in config.warnings[0]
    path.chmod(0o600)
    assert Config.load({"HOME": str(home)}).warnings == ()


def test_config_command_masks_secrets_in_text_and_json(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(home, "[release]\nsoak-minutes = 15\n")
    monkeypatch.setenv("LPSIGNING_MOJO_MATTERMOST_WEBHOOK", HOOK)
    assert main(["config"]) == 0
    text = capsys.readouterr().out
    assert "s3cr3t" not in text
    assert MASK in text
    line = next(line for line in text.splitlines() if line.startswith("release.soak-minutes"))
    assert line.split() == ["release.soak-minutes", "15", "config", "file"]

    assert main(["config", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "s3cr3t" not in out
    settings = {item["key"]: item for item in json.loads(out)["settings"]}
    assert settings["mattermost.webhook"]["set"] is True
    assert settings["mattermost.webhook"]["origin"] == "environment"
    assert settings["release.soak-minutes"]["value"] == "15"
    assert settings["launchpad.service-root"]["origin"] == "default"


def test_config_command_with_a_bad_file_exits_1_with_the_sentence(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(home, "[release]\nsoak = 1\n")
    assert main(["config"]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'soak'" in err
    assert "Traceback" not in err
