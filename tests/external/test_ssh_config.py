"""Resolving a destination through ssh_config, as OpenSSH would."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from lpsigning_mojo.errors import SSHConfigError
from lpsigning_mojo.external.ssh_config import Hop, parse_jump, resolve


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_host_name_user_port_and_identity_files_come_from_the_config(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config",
        "Host bastion\n  HostName 10.0.0.5\n  User alice\n  Port 2222\n"
        "  IdentityFile ~/.ssh/id_work\n  IdentityFile /keys/other\n"
        "Host *\n  User nobody\n  ConnectTimeout 7\n",
    )
    route = resolve("bastion", config_files=[config])
    home = Path.home()
    assert route.hops == (
        Hop(
            name="bastion",
            hostname="10.0.0.5",
            port=2222,
            user="alice",
            identity_files=(f"{home}/.ssh/id_work", "/keys/other"),
            known_hosts_files=(
                f"{home}/.ssh/known_hosts",
                f"{home}/.ssh/known_hosts2",
                "/etc/ssh/ssh_known_hosts",
                "/etc/ssh/ssh_known_hosts2",
            ),
            connect_timeout=7.0,
        ),
    )
    assert route.describe() == "alice@[10.0.0.5]:2222"


def test_without_a_config_the_name_is_the_host_and_the_user_is_you(tmp_path: Path) -> None:
    route = resolve("launchpad-bastion-ps5.internal", config_files=[tmp_path / "missing"])
    assert route.target.hostname == "launchpad-bastion-ps5.internal"
    assert (route.target.port, route.target.user) == (22, getpass.getuser())
    assert route.target.known_hosts_name == "launchpad-bastion-ps5.internal"


def test_explicit_user_and_port_beat_the_config(tmp_path: Path) -> None:
    config = write(tmp_path / "config", "Host b\n  User alice\n  Port 2222\n")
    assert resolve("bob@b", config_files=[config]).target.address == "bob@[b]:2222"
    target = resolve("b", user="carol", port=22, config_files=[config]).target
    assert target.address == "carol@b"


def test_proxy_jump_hops_are_resolved_through_the_config_in_order(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config",
        "Host target\n  HostName 10.1.1.1\n  ProxyJump jump1,carol@jump2:2200\n"
        "Host jump1\n  HostName 192.0.2.1\n  User alice\n  ProxyJump outer\n"
        "Host jump2\n  HostName 192.0.2.2\n  ProxyJump ignored\n"
        "Host outer\n  HostName 192.0.2.9\n  ProxyCommand nc -X connect -x proxy:3128 %h %p\n"
        "Host *\n  User bob\n",
    )
    route = resolve("target", config_files=[config])
    assert [hop.address for hop in route.hops] == [
        "bob@192.0.2.9",
        "alice@192.0.2.1",
        "carol@[192.0.2.2]:2200",
        "bob@10.1.1.1",
    ]
    # Only the first hop's own ProxyCommand is used, with its tokens expanded.
    assert route.hops[0].proxy_command == "nc -X connect -x proxy:3128 192.0.2.9 22"
    assert [hop.proxy_command for hop in route.hops[1:]] == [None, None, None]
    assert route.describe() == (
        "bob@10.1.1.1 via ProxyCommand 'nc -X connect -x proxy:3128 192.0.2.9 22', "
        "then bob@192.0.2.9, then alice@192.0.2.1, then carol@[192.0.2.2]:2200"
    )


def test_proxy_jump_none_and_proxy_command_none_mean_direct(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config",
        "Host a\n  ProxyJump none\nHost b\n  ProxyCommand none\n"
        "Host * !j\n  ProxyJump j\n  ProxyCommand nc %h %p\n",
    )
    assert len(resolve("a", config_files=[config]).hops) == 1
    assert resolve("b", config_files=[config]).hops[0].proxy_command is None


def test_a_proxy_jump_loop_is_reported(tmp_path: Path) -> None:
    config = write(tmp_path / "config", "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n")
    with pytest.raises(SSHConfigError, match="which suggests a loop"):
        resolve("a", config_files=[config])


def test_host_key_alias_and_known_hosts_files(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config",
        "Host b\n  Port 2022\n  HostKeyAlias bastion-key\n"
        "  UserKnownHostsFile ~/kh1 /abs/kh2\n  GlobalKnownHostsFile none\n",
    )
    target = resolve("b", config_files=[config]).target
    assert target.known_hosts_name == "bastion-key"
    assert target.known_hosts_files == (f"{Path.home()}/kh1", "/abs/kh2")


def test_includes_are_read_relative_to_the_ssh_directory(tmp_path: Path) -> None:
    ssh = Path.home() / ".ssh"
    write(ssh / "config.d" / "10-work", "Host work\n  HostName 10.9.9.9\n")
    write(ssh / "config.d" / "20-more", "Host more\n  User m\n")
    config = write(ssh / "config", "Include config.d/*\nHost *\n  User z\n")
    assert resolve("work", config_files=[config]).target.address == "z@10.9.9.9"
    assert resolve("more", config_files=[config]).target.user == "m"


def test_config_files_are_read_in_order_first_value_wins(tmp_path: Path) -> None:
    first = write(tmp_path / "first", "Host b\n  User one\n")
    second = write(tmp_path / "second", "Host b\n  User two\n  Port 99\n")
    target = resolve("b", config_files=[first, second]).target
    assert (target.user, target.port) == ("one", 99)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Host b\n  Port eleven\n", "ssh_config gives 'b' the port 'eleven', which is not valid"),
        ("Host b\n  ProxyJump h:port\n", "cannot understand the ProxyJump entry 'h:port'"),
        ("Host b\n=oops\n", "cannot parse"),
    ],
)
def test_bad_configs_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    config = write(tmp_path / "config", text)
    with pytest.raises(SSHConfigError, match=message):
        resolve("b", config_files=[config])


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("host", (None, "host", None)),
        ("user@host", ("user", "host", None)),
        ("user@host:2222", ("user", "host", 2222)),
        ("ssh://user@host:2222", ("user", "host", 2222)),
        ("[::1]:2222", (None, "::1", 2222)),
        ("u@[fe80::1]", ("u", "fe80::1", None)),
    ],
)
def test_proxy_jump_entries(entry: str, parsed: tuple[str | None, str, int | None]) -> None:
    assert parse_jump(entry) == parsed
