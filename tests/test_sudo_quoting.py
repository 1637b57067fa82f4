"""Any argv survives ``sudo -n -iu ROLE --`` and the role's login shell, as command_line sends it.

Two ways to check: replaying what sudo(8) documents it does with ``-i``
(every character backslash-escaped except letters, digits, ``_``, ``-``
and ``$``, then ``SHELL -c``), always; and a real sudo, where one is
installed and this user may use it without a password (``.ci/run``
installs it; CI runs as root, whose login shell is bash).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpsigning_mojo.external.local import LocalRunner
from lpsigning_mojo.instances import ManagementEnvironment, sudo_safe_argv
from tests.runbook.localrunner import replay_sudo_i

#: Prints the argv it was given, as JSON.
SHOW_ARGV = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))"]

HOSTILE = [
    "a$HOME",
    "${IFS}",
    "$(echo expanded)",
    "two\nlines",
    "trailing newlines\n\n",
    "",
    "tab\there",
    "quotes ' \" `backquotes`",
    "back\\slash \\n \\0101 \\c",
    "-n",
    "*",
    "~",
    "!event",
    "café ☕",
    "\x01\x1b[31m\x7f",
    "%s %b %%",
]


def role(name: str = "stg-role") -> ManagementEnvironment:
    return ManagementEnvironment(name="staging", bastion="b", role=name, developer_access=True)


def received(command: str) -> list[str]:
    result = LocalRunner().run(command, timeout=30)
    assert result.ok, result.output
    words = json.loads(result.stdout)
    assert isinstance(words, list)
    return words


@pytest.mark.parametrize("word", HOSTILE)
def test_each_hostile_word_survives_sudo_i(word: str) -> None:
    line = role().command_line([*SHOW_ARGV, word, "after"])
    assert received(replay_sudo_i(line)) == [word, "after"]


def test_an_argv_sudo_passes_on_unchanged_is_sent_as_it_is() -> None:
    assert role().command_line(["upgrade-staging"]) == "sudo -n -iu stg-role -- upgrade-staging"
    assert role().command_line(["juju", "status", "a b", "--format=json"]) == (
        "sudo -n -iu stg-role -- juju status 'a b' --format=json"
    )
    assert sudo_safe_argv(["echo", "100%"]) == ["echo", "100%"]


def test_an_encoded_argv_holds_nothing_sudo_or_the_shell_would_change() -> None:
    argv = sudo_safe_argv(["printf", "%s\n", "$HOME", ""])
    assert argv[:2] == ["sh", "-c"]
    assert all(word and "$" not in word and "\n" not in word for word in argv)
    assert all(char.isascii() and char.isprintable() for word in argv for char in word)


@settings(max_examples=60)
@given(
    words=st.lists(
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12),
        max_size=5,
    )
)
def test_any_argv_survives_sudo_i(words: list[str]) -> None:
    line = role().command_line([*SHOW_ARGV, *words])
    assert received(replay_sudo_i(line)) == words


def test_logging_in_as_the_role_needs_no_encoding() -> None:
    login = ManagementEnvironment(
        name="p", bastion="b", role="r", developer_access=True, become="login"
    )
    line = login.command_line([*SHOW_ARGV, *HOSTILE])
    assert line == shlex.join([*SHOW_ARGV, *HOSTILE])
    assert received(line) == HOSTILE


def _real_sudo_missing() -> str | None:
    if shutil.which("sudo") is None:
        return "sudo is not installed (.ci/run installs it)"
    done = subprocess.run(["sudo", "-n", "-iu", "root", "--", "true"], capture_output=True)
    if done.returncode != 0:
        return "sudo -n -iu root needs a password here (CI runs as root)"
    return None


@pytest.mark.skipif(_real_sudo_missing() is not None, reason=str(_real_sudo_missing()))
def test_every_hostile_word_survives_a_real_sudo_i() -> None:
    line = role("root").command_line([*SHOW_ARGV, *HOSTILE])
    assert line.startswith("sudo -n -iu root -- sh -c ")
    assert received(line) == HOSTILE
