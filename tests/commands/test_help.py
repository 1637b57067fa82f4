"""Every command's ``--help`` explains every argument and shows an example.

The test walks the whole parser (every command and subcommand, as
``lpsigning-mojo help`` lists them), so a command or an argument added
without help fails here.
"""

from __future__ import annotations

import argparse

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.commands._help import JSON_KEYS

_SKIPPED = {"help", "version"}  # argparse's own -h and --version


def _parsers(
    parser: argparse.ArgumentParser, path: str = ""
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.extend(_parsers(child, f"{path} {name}".strip()))
    return found


PARSERS = _parsers(cli.build_parser())
COMMANDS = [(path, parser) for path, parser in PARSERS if parser.get_default("handler")]


def _name(action: argparse.Action) -> str:
    return "/".join(action.option_strings) or str(action.metavar or action.dest)


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=[path or "(top)" for path, _ in PARSERS])
def test_every_argument_and_subcommand_has_help(path: str, parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if action.dest in _SKIPPED:
            continue
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._choices_actions}
            assert set(listed) == set(action.choices), f"{path}: a subcommand is not listed"
            unexplained = [name for name, text in listed.items() if not text]
            assert not unexplained, f"'{path}' lists {unexplained} without help"
            continue
        assert action.help, f"'lpsigning-mojo {path}' {_name(action)} has no help"
        assert action.help != argparse.SUPPRESS, f"'lpsigning-mojo {path}' hides {_name(action)}"


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_shows_an_example_of_itself(
    path: str, parser: argparse.ArgumentParser
) -> None:
    assert parser.formatter_class is argparse.RawDescriptionHelpFormatter, path
    epilog = parser.epilog or ""
    assert "examples:\n  " in epilog, (
        f"'lpsigning-mojo {path} --help' has no examples: add them with "
        "lpsigning_mojo.commands._help.add_command (or examples())"
    )
    assert f"lpsigning-mojo {path}" in epilog, f"no example of 'lpsigning-mojo {path}' itself"
    page = parser.format_help()
    assert "examples:\n  " in page
    assert all(len(line) <= 80 for line in epilog.splitlines()), path


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_format_is_worded_alike_everywhere(path: str, parser: argparse.ArgumentParser) -> None:
    formats = [action for action in parser._actions if action.dest == "format"]
    if path in ("help", "completion"):
        assert formats == []
        return
    (option,) = formats
    assert option.choices is not None
    assert "json" in option.choices
    assert option.help is not None
    assert option.help.startswith("text for people (default)")
    assert f"its keys are listed in {JSON_KEYS}" in option.help


def test_the_help_of_a_command_shows_its_examples_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["bundle", "set-revision", "--help"])
    page = capsys.readouterr().out
    assert (
        "examples:\n"
        "  lpsigning-mojo bundle set-revision spec/lp-signing/bundle.yaml \\\n"
        "        lp-signing 89 --stage staging --dry-run\n"
        "      show the diff of pinning revision 89; write nothing\n"
    ) in page
