"""What every command gets from lpsigning_mojo.cli: help, suggestions, '--', completion."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.commands._completion import completion_script, walk

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    present = tuple(m for m in cli.COMMAND_MODULES if importlib.util.find_spec(m) is not None)
    monkeypatch.setattr(cli, "COMMAND_MODULES", present)
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            status = cli.main(list(argv))
        except SystemExit as exit:
            status = int(exit.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_a_mistyped_command_is_answered_with_the_closest(run: Run) -> None:
    status, out, err = run("stauts")
    assert (status, out) == (2, "")
    assert err.endswith(
        "lpsigning-mojo: error: unknown command 'stauts' (did you mean 'status'?); "
        "'lpsigning-mojo help' lists the commands\n"
    )


def test_a_mistyped_subcommand_shows_its_parent_usage_and_the_closest(run: Run) -> None:
    status, _, err = run("bundle", "set-revison")
    assert status == 2
    assert err.startswith("usage: lpsigning-mojo bundle [-h] COMMAND ...\n")
    assert "unknown command 'set-revison' (did you mean 'set-revision'?)" in err


def test_a_mistyped_choice_is_answered_with_the_closest(run: Run) -> None:
    status, _, err = run("instances", "--format", "jsno")
    assert status == 2
    assert err.endswith(
        "argument --format: invalid choice: 'jsno' (did you mean 'json'?) "
        "(choose from text, json)\n"
    )


def test_help_prints_what_dash_dash_help_prints(run: Run) -> None:
    status, top, _ = run("help")
    assert (status, top) == run("--help")[:2]
    assert top.startswith("usage: lpsigning-mojo [-h] [--version] COMMAND ...")
    for command in ("bundle", "logs", "help", "completion"):
        assert f"\n    {command}" in top
    status, page, _ = run("help", "bundle", "set-revision")
    assert (status, page) == run("bundle", "set-revision", "--help")[:2]
    assert page.startswith("usage: lpsigning-mojo bundle set-revision [-h] --stage STAGE")


def test_help_of_an_unknown_subcommand_suggests_one(run: Run) -> None:
    status, out, err = run("help", "bundle", "shwo")
    assert (status, out) == (2, "")
    assert err == (
        "lpsigning-mojo: 'lpsigning-mojo bundle' has no command 'shwo' (did you mean 'show'?). "
        "Its commands are: show, set-revision, set-channel, set-option, diff.\n"
    )
    status, _, err = run("help", "instances", "list")
    assert status == 2
    assert "'lpsigning-mojo instances' has no subcommands" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["exec", "staging", "--dry-run", "--", "juju", "status", "--", "x"],
        ["exec", "--dry-run", "staging", "--", "juju", "status", "--", "x"],
        ["exec", "staging", "--dry-run", "--timeout", "5", "--", "juju", "status", "--", "x"],
    ],
)
def test_exec_takes_its_options_before_the_dashes_wherever_instance_stands(
    run: Run, spec_dir: Path, argv: list[str]
) -> None:
    status, out, err = run(*argv[:1], "--spec", str(spec_dir), *argv[1:])
    assert (status, err) == (0, "")
    # Everything after the first "--" is the command, a second "--" included.
    assert "  command:   sudo -n -iu stg-launchpad-signing -- juju status -- x\n" in out
    assert out.endswith("Nothing was run (--dry-run).\n")


def test_exec_words_after_the_options_without_dashes_point_to_the_dashes(
    run: Run, spec_dir: Path
) -> None:
    status, out, err = run("exec", "--spec", str(spec_dir), "staging", "--dry-run", "juju")
    assert (status, out) == (2, "")
    assert err.startswith("usage: lpsigning-mojo exec [-h]")
    assert err.endswith(
        "lpsigning-mojo exec: error: unrecognized arguments: juju; "
        "put the command to run after '--'\n"
    )


def test_an_unrecognised_argument_shows_the_usage_of_its_command(run: Run) -> None:
    status, _, err = run("instances", "extra")
    assert status == 2
    assert err.startswith("usage: lpsigning-mojo instances [-h]")
    assert err.endswith("lpsigning-mojo instances: error: unrecognized arguments: extra\n")


def test_dashes_stay_arguments_for_commands_that_run_no_command_line(
    run: Run, tmp_path: Path
) -> None:
    # set-option takes VALUE after "--" as argparse does: it may begin with a dash.
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text("applications:\n  app:\n    charm: app\n    options:\n      n: 1\n")
    status, out, _ = run(
        "bundle", "set-option", str(bundle), "app", "n", "--stage", "staging", "--dry-run",
        "--", "-5",
    )  # fmt: skip
    assert status == 0
    assert "+      n: -5\n" in out


# -- completion -------------------------------------------------------------------


def _every_path() -> list[tuple[str, list[str]]]:
    return [(table.path, table.subcommands) for table in walk(cli.build_parser())]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_completion_script_names_every_command_and_option(run: Run, shell: str) -> None:
    status, script, _ = run("completion", shell)
    assert status == 0
    assert script == completion_script(cli.build_parser(), shell)
    tables = list(walk(cli.build_parser()))
    names = {name for table in tables for name in table.subcommands}
    assert {"bundle", "set-revision", "logs", "help", "completion", "exec"} <= names
    for table in tables:
        assert f"'{table.path}') subs='{' '.join(table.subcommands)}' " in script
        for option in table.options:
            assert option in script
    assert ("complete -o default -F" if shell == "bash" else "compdef _lpsigning_mojo") in script


def _complete(script: Path, *words: str) -> list[str]:
    """What bash completes for ``words`` (the last is the word being typed)."""
    quoted = " ".join(f"'{word}'" for word in words)
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=()\n"
        '_lpsigning_mojo; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_subcommands_options_and_choices(tmp_path: Path) -> None:
    script = tmp_path / "lpsigning-mojo.bash"
    script.write_text(completion_script(cli.build_parser(), "bash"))
    top = _complete(script, "lpsigning-mojo", "")
    assert top == [name for name in cli.build_parser()._subparsers._group_actions[0].choices]  # type: ignore[union-attr]
    assert _complete(script, "lpsigning-mojo", "bu") == ["bundle"]
    assert _complete(script, "lpsigning-mojo", "bundle", "set-") == [
        "set-revision",
        "set-channel",
        "set-option",
    ]
    assert _complete(script, "lpsigning-mojo", "bundle", "show", "--format", "") == [
        "text",
        "json",
    ]
    # An option's value is skipped: "--stage production" does not make a command path.
    assert _complete(script, "lpsigning-mojo", "bundle", "show", "--stage", "x", "--f") == [
        "--format"
    ]
    assert _complete(script, "lpsigning-mojo", "completion", "") == ["bash", "zsh"]
    assert "bundle" in _complete(script, "lpsigning-mojo", "help", "")
    # After "--" the words are a command for exec: bash's own completion takes over.
    assert _complete(script, "lpsigning-mojo", "exec", "staging", "--", "ju") == []


def test_every_parser_is_reachable_for_completion() -> None:
    """A command added without a subparsers action would be missing from the table."""

    def count(parser: argparse.ArgumentParser) -> int:
        total = 1
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                total += sum(count(child) for child in dict.fromkeys(action.choices.values()))
        return total

    assert len(_every_path()) == count(cli.build_parser())


@pytest.mark.skipif(
    __import__("shutil").which("zsh") is None, reason="zsh is not installed (apt-get install zsh)"
)
def test_zsh_completes_through_the_same_table(tmp_path: Path) -> None:
    """The zsh driver, with compadd and _files standing in for zsh's completion system."""
    script = tmp_path / "lpsigning-mojo.zsh"
    script.write_text(completion_script(cli.build_parser(), "zsh"))
    program = f"""
compdef() {{ :; }}
compadd() {{ shift; print -r -- "$@"; }}
_files() {{ print -r -- "<files>"; }}
source {script}
t() {{ words=("$@"); CURRENT=$#; PREFIX=${{words[CURRENT]}}; _lpsigning_mojo; }}
t lpsigning-mojo bundle ""
t lpsigning-mojo bundle show --format ""
t lpsigning-mojo completion ""
t lpsigning-mojo exec staging -- ju
"""
    done = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "show set-revision set-channel set-option diff",
        "text json",
        "bash zsh",
        "<files>",
    ]
