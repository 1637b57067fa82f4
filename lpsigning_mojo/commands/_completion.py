"""Shell completion for bash and zsh, generated from the argparse parser.

``lpsigning-mojo completion bash`` (or ``zsh``) prints a script. Its data
part is a table written from the parser itself: for each command path
(``""``, ``"bundle"``, ``"bundle show"``) the subcommands, the options, the
options that take a value, and the choices of options and positionals. Two
small drivers, one per shell, read the words typed so far, follow the
table, and complete a subcommand, an option, an option's choices, or else a
file name. The table is written in the subset of shell that bash and zsh
read alike (``case``, plain variables), so the drivers share it.

Generating the script keeps completion free: nothing is imported while the
user presses :kbd:`Tab`, and no extra package is needed. What it cannot do
is complete values known only at run time (instance names); those complete
as file names, as any word does.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence

__all__ = ["SHELLS", "CommandTable", "completion_script", "walk"]

SHELLS = ("bash", "zsh")


class CommandTable:
    """What completes after one command path: subcommands, options and choices."""

    def __init__(self, path: str, parser: argparse.ArgumentParser) -> None:
        self.path = path
        self.subcommands: list[str] = []
        self.options: list[str] = []
        self.valued: list[str] = []
        self.choices: dict[str, list[str]] = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                self.subcommands.extend(action.choices)
                continue
            if action.option_strings:
                self.options.extend(action.option_strings)
                if action.nargs != 0:
                    self.valued.extend(action.option_strings)
                    if action.choices:
                        for option in action.option_strings:
                            self.choices[option] = [str(c) for c in action.choices]
            elif action.choices:
                self.choices.setdefault("", []).extend(str(c) for c in action.choices)


def walk(parser: argparse.ArgumentParser, path: str = "") -> Iterator[CommandTable]:
    """The table of ``parser`` and of every parser below it, depth first."""
    yield CommandTable(path, parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk(child, f"{path} {name}".strip())


def _words(items: Sequence[str]) -> str:
    # Names and options hold no quotes or spaces; quote them for the shell all the same.
    return "'" + " ".join(items).replace("'", "") + "'"


def _table(parser: argparse.ArgumentParser) -> list[str]:
    tables = list(walk(parser))
    lines = [
        "# The command table, generated from lpsigning-mojo's parser.",
        "__lpsigning_mojo_table() {",
        "    subs= opts= vals=",
        '    case "$1" in',
    ]
    for table in tables:
        lines.append(
            f"        {_words([table.path])}) subs={_words(table.subcommands)} "
            f"opts={_words(table.options)} vals={_words(table.valued)} ;;"
        )
    lines += ["    esac", "}", "__lpsigning_mojo_choices() {", '    case "$1 $2" in']
    for table in tables:
        for option, choices in table.choices.items():
            lines.append(
                f"        {_words([f'{table.path} {option}'])}) choices={_words(choices)} ;;"
            )
    lines += ["        *) choices= ;;", "    esac", "}"]
    return lines


# Both drivers walk the words before the cursor: an option that takes a value
# skips the next word, a subcommand extends the command path, and "--" ends the
# options (what follows is a command for exec: complete files, as the shell would).
_BASH = r"""
_lpsigning_mojo() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmd= word skip= i subs opts vals choices
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [ -n "$skip" ]; then skip=; continue; fi
        [ "$word" = -- ] && return 0
        __lpsigning_mojo_table "$cmd"
        case " $vals " in *" $word "*) skip=1; continue ;; esac
        case " $subs " in *" $word "*) cmd=${cmd:+$cmd }$word ;; esac
    done
    __lpsigning_mojo_table "$cmd"
    if [ -n "$skip" ]; then
        __lpsigning_mojo_choices "$cmd" "$prev"
        [ -n "$choices" ] && COMPREPLY=($(compgen -W "$choices" -- "$cur"))
        return 0
    fi
    case $cur in
        -*) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
        *)
            if [ -n "$subs" ]; then
                COMPREPLY=($(compgen -W "$subs" -- "$cur"))
            else
                __lpsigning_mojo_choices "$cmd" ""
                [ -n "$choices" ] && COMPREPLY=($(compgen -W "$choices" -- "$cur"))
            fi
            ;;
    esac
    return 0
}
complete -o default -F _lpsigning_mojo lpsigning-mojo
"""

_ZSH = r"""
_lpsigning_mojo() {
    local cmd= word skip= i subs opts vals choices
    for ((i = 2; i < CURRENT; i++)); do
        word=${words[i]}
        if [[ -n $skip ]]; then skip=; continue; fi
        if [[ $word == -- ]]; then _files; return; fi
        __lpsigning_mojo_table "$cmd"
        case " $vals " in *" $word "*) skip=1; continue ;; esac
        case " $subs " in *" $word "*) cmd=${cmd:+$cmd }$word ;; esac
    done
    __lpsigning_mojo_table "$cmd"
    if [[ -n $skip ]]; then
        __lpsigning_mojo_choices "$cmd" "${words[CURRENT-1]}"
        if [[ -n $choices ]]; then compadd -- ${=choices}; else _files; fi
        return
    fi
    if [[ $PREFIX == -* ]]; then
        compadd -- ${=opts}
    elif [[ -n $subs ]]; then
        compadd -- ${=subs}
    else
        __lpsigning_mojo_choices "$cmd" ""
        if [[ -n $choices ]]; then compadd -- ${=choices}; else _files; fi
    fi
}
compdef _lpsigning_mojo lpsigning-mojo
"""


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell`` (``bash`` or ``zsh``) of ``parser``'s commands."""
    if shell not in SHELLS:
        raise ValueError(f"no completion for {shell!r}")
    head = [
        f"# {shell} completion for lpsigning-mojo.",
        f"# Generated by 'lpsigning-mojo completion {shell}'; regenerate it after an upgrade.",
    ]
    if shell == "zsh":
        head.append("# Load it after compinit: source <(lpsigning-mojo completion zsh)")
    else:
        head.append("# Load it with: source <(lpsigning-mojo completion bash)")
    driver = _BASH if shell == "bash" else _ZSH
    return "\n".join([*head, *_table(parser)]) + "\n" + driver
