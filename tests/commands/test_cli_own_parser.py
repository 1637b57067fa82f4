"""A command line builds only its own command's parser, and parses exactly as the full one does."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from lpsigning_mojo import cli

#: Commands whose module bears their name: their command lines get a parser of their own.
OWN = [name.rpartition(".")[2] for name in cli.COMMAND_MODULES]
COMMAND_LINES = [
    *([name, "--help"] for name in OWN),
    ["log", "--format", "json", "--since", "2026-01-05", "--stage", "staging"],
    ["log", "--since", "yesterday"],
    ["log", "--bogus"],
    ["bundle", "set-revison"],
    ["bundle", "set-revision", "spec/lp-signing/bundle.yaml", "lp-signing", "88"],
    ["instances", "--format", "jsno"],
    ["exec", "dogfood", "--", "ls", "-l"],
    ["upgrade"],
    ["spec", "plan", "--stage", "production"],
]


def _outcome(
    parse: Callable[[], argparse.Namespace], capsys: pytest.CaptureFixture[str]
) -> tuple[object, ...]:
    try:
        args = parse()
    except SystemExit as exit:
        out, err = capsys.readouterr()
        return ("exit", exit.code, out, err)
    values = dict(vars(args))
    values["usage_parser"] = values["usage_parser"].prog
    return ("parsed", values)


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_a_command_line_parses_as_with_the_full_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    full = _outcome(lambda: cli._parse(cli.build_parser(), list(argv)), capsys)
    own = _outcome(lambda: cli._parse(cli._parser_for(argv), list(argv)), capsys)
    assert own == full


@pytest.mark.parametrize("command", ["log", "bundle", "spec", "instances"])
def test_the_own_parser_holds_only_its_module_s_commands(command: str) -> None:
    assert command in cli._subcommands(cli._parser_for([command]))
    assert "help" not in cli._subcommands(cli._parser_for([command]))


@pytest.mark.parametrize(
    "argv", [[], ["--version"], ["help", "log"], ["completion", "bash"], ["upgrade"], ["stauts"]]
)
def test_anything_else_gets_the_full_parser(argv: list[str]) -> None:
    assert set(cli._subcommands(cli._parser_for(argv))) == set(cli._subcommands(cli.build_parser()))
