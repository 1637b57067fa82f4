"""instances.yaml: the shipped file, and every way a broken one is reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lpsigning_mojo.errors import FileAccessError, InstanceError, UnknownInstanceError
from lpsigning_mojo.instances import Instances, load_instances, parse_instances

VALID = """\
environments:
  staging:
    bastion: bastion.example
    role: stg-role
    developer_access: true
  production:
    bastion: prod-bastion.example
    role: prod-role
    become: login
    developer_access: false
instances:
  staging:
    aliases: [dogfood]
    mojo_stage: lp-signing/staging
    url: http://staging.example:8000/
    environment: staging
    juju_access: true
    triggers:
      upgrade:
        command: upgrade-staging
        run_from: staging
  production:
    mojo_stage: lp-signing/production
    url: null
    environment: production
    juju_access: false
"""


def parse(text: str) -> Instances:
    return parse_instances(textwrap.dedent(text), path="instances.yaml")


def error_of(text: str) -> InstanceError:
    with pytest.raises(InstanceError) as info:
        parse(text)
    return info.value


def test_the_shipped_file_describes_both_instances(spec_dir: Path) -> None:
    instances = load_instances(spec_dir)
    staging = instances.get("staging")
    production = instances.get("production")

    assert instances.get("dogfood") is staging
    assert (staging.mojo_stage, staging.stage_name) == ("lp-signing/staging", "staging")
    assert staging.health_url == "http://staging.signing.lp.internal:8000/service-key"
    assert staging.juju_access
    assert instances.environment_of(staging).account == (
        "stg-launchpad-signing@launchpad-bastion-ps5.internal"
    )
    assert (production.mojo_stage, production.stage_name) == ("lp-signing/production", "production")
    assert production.url is None
    assert production.health_url is None
    assert not production.juju_access
    prod_env = instances.environment_of(production)
    assert prod_env.account == "prod-launchpad-signing@is-bastion-il3-not-ps5.internal"
    assert not prod_env.developer_access
    # Both upgrade triggers run as the staging role account.
    assert staging.triggers["upgrade"].argv == ("upgrade-staging",)
    assert production.triggers["upgrade"].argv == ("upgrade-production",)
    assert staging.triggers["upgrade"].run_from == "staging"
    assert production.triggers["upgrade"].run_from == "staging"


def test_defaults_and_derived_values() -> None:
    instances = parse(VALID)
    staging = instances.get("staging")
    assert staging.health_endpoint == "/service-key"
    assert staging.line == 12
    trigger = staging.triggers["upgrade"]
    assert (trigger.pty, trigger.timeout, trigger.idle_timeout) == (True, None, None)
    assert instances.environments["staging"].become == "sudo"
    assert instances.names() == ("staging", "dogfood", "production")


def test_unknown_names_list_the_valid_names_and_aliases() -> None:
    with pytest.raises(UnknownInstanceError) as info:
        parse(VALID).get("prod")
    assert str(info.value) == (
        "instances.yaml: there is no instance called 'prod' (did you mean 'production'?). "
        "Valid names and aliases: staging, dogfood, production."
    )


def test_an_unknown_name_like_none_of_them_gets_no_suggestion() -> None:
    with pytest.raises(UnknownInstanceError) as info:
        parse(VALID).get("qa")
    assert "did you mean" not in str(info.value)
    assert str(info.value).startswith("instances.yaml: there is no instance called 'qa'. ")


def test_command_lines_for_each_way_of_becoming_the_role() -> None:
    instances = parse(VALID)
    sudo, login = instances.environments["staging"], instances.environments["production"]
    assert sudo.command_line(["juju", "status", "a b"]) == (
        "sudo -n -iu stg-role -- juju status 'a b'"
    )
    assert (sudo.login_user, sudo.ssh_destination) == (None, "bastion.example")
    assert login.command_line(["juju", "status"]) == "juju status"
    assert login.login_user == "prod-role"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    juju_access: false\n",
            "    juju_access: false\n    colour: red\n",
            "instances.yaml:27:5: instance 'production' has unknown key 'colour' (allowed: al",
        ),
        (
            "    url: null\n",
            "",
            "instances.yaml:23:5: instance 'production' is missing 'url'.",
        ),
        (
            "    juju_access: false\n",
            "    juju_access: no way\n",
            "instances.yaml:26:18: instance 'production': 'juju_access' must be true or false, "
            "not a string.",
        ),
        (
            "    aliases: [dogfood]\n",
            "    aliases: [production]\n",
            "instances.yaml:22:3: the name 'production' is already used (line 12).",
        ),
        (
            "    aliases: [dogfood]\n",
            "    aliases: [dogfood, dogfood]\n",
            "instances.yaml:13:24: instance 'staging' lists the name 'dogfood' twice.",
        ),
        (
            "  production:\n    mojo_stage",
            "  staging:\n    mojo_stage",
            "instances.yaml:22:3: 'instances' has 'staging' twice (first on line 12).",
        ),
        (
            "    environment: production\n",
            "    environment: prod\n",
            "instances.yaml:25:18: instance 'production': 'environment' names environment "
            "'prod', which is not defined (defined: staging, production).",
        ),
        (
            "        run_from: staging\n",
            "        run_from: staging\n        timeout: -5\n",
            "instances.yaml:22:18: instance 'staging': trigger 'upgrade': 'timeout' must be a "
            "positive number of seconds.",
        ),
        (
            "    url: http://staging.example:8000/\n",
            "    url: staging.example\n",
            "instances.yaml:15:10: instance 'staging': 'url' 'staging.example' is not an "
            "http(s) URL.",
        ),
        (
            "    become: login\n",
            "    become: su\n",
            "instances.yaml:9:13: environment 'production': 'become' must be 'sudo' or 'login', "
            "not 'su'.",
        ),
        (
            "  staging:\n    aliases",
            "  Staging:\n    aliases",
            "instances.yaml:12:3: instance name 'Staging' must be lower-case letters, digits "
            "and '-', starting a letter.",
        ),
        (
            "        command: upgrade-staging\n",
            "        command: []\n",
            "instances.yaml:20:18: instance 'staging': trigger 'upgrade': 'command' is empty.",
        ),
        (
            "    mojo_stage: lp-signing/staging\n",
            "    mojo_stage: /lp-signing/\n",
            "instances.yaml:14:17: instance 'staging': 'mojo_stage' '/lp-signing/' is not a "
            "stage path.",
        ),
    ],
)
def test_invalid_files_are_reported_at_the_right_place(old: str, new: str, expected: str) -> None:
    assert old in VALID
    message = str(error_of(VALID.replace(old, new, 1)))
    assert message.startswith(expected)


def test_malformed_yaml_gives_the_place_of_the_problem() -> None:
    message = str(error_of("environments: {\ninstances: [\n"))
    assert message.startswith("instances.yaml:3:1: not valid YAML:")


def test_an_empty_file_and_a_wrong_top_level_are_reported() -> None:
    assert str(error_of("")) == "instances.yaml: the file is empty."
    assert str(error_of("- a\n")) == ("instances.yaml:1:1: the file must be a mapping, not a list.")
    assert str(error_of("environments: {}\n")).startswith(
        "instances.yaml:1:1: the file is missing 'instances'"
    )
    assert str(error_of("environments: {}\ninstances: {}\n")) == (
        "instances.yaml:2:12: 'instances' lists no instance."
    )


def test_yaml_aliases_are_refused() -> None:
    text = VALID.replace("aliases: [dogfood]", "aliases: [&name dogfood, *name]")
    assert str(error_of(text)) == ("instances.yaml:13:30: YAML aliases are not supported here.")
    shared = "environments:\n  a: &e {bastion: b, role: r, developer_access: true}\n  b: *e\n"
    assert str(error_of(shared + "instances: {}\n")).startswith("instances.yaml:3:6: YAML aliases")


def test_a_billion_laughs_file_is_rejected_without_expanding_it() -> None:
    bomb = ["      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    bomb += [f"      a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = VALID.replace("    triggers:\n", "    triggers:\n" + "\n".join(bomb) + "\n", 1)
    assert str(error_of(text)) == "instances.yaml:20:16: YAML aliases are not supported here."


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as info:
        load_instances(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'instances.yaml'} does not exist.")


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "instances.yaml"
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(FileAccessError, match="cannot read"):
        load_instances(path)
