"""The docs' console examples run, and print what the docs say they print.

Every ``.. code-block:: console`` in ``docs/`` is found. Its ``$ COMMAND``
lines run in order, one page at a time, in a workspace made for that page:
a git repository holding a copy of the shipped spec (``spec/lp-signing``)
and ``pyproject.toml``, committed, so ``HEAD:spec/...`` works as in a clone.
The lines after a command, up to the next ``$``, are its output (standard
output and error, as a terminal shows them). Commands run here:

``lpsigning-mojo ...``, ``bundle-lint ...``
   in this process, through their ``main``;
``echo $?``
   the exit status of the command before;
``python docs/examples/NAME.py ...``
   the example script, in this process;
``cd DIR && COMMAND``
   ``COMMAND`` in ``DIR``.

Charmhub is the loopback stand-in serving its sample channel map
(``CHARMHUB_URL``); the user is ``you``, and ``HOME`` reads as
``/home/you`` in the output. In expected output, ``…`` stands for any text
within a line, and a line holding only ``…`` stands for any lines.

A block that cannot run here (it needs a bastion, an editor, a live
service) says why in a comment just before it, which Sphinx does not show::

   .. console-test:
      skip: connects to the staging bastion

Other lines of that comment prepare the workspace before the block (and
stand in for a skipped one): ``fixture: NAME`` copies
``tests/docs_fixtures/NAME/`` into it, ``shell: COMMAND`` runs a shell
command in it (``git commit -qam ...`` for a block that runs ``git
commit``), and ``juju: staging`` puts a fake ``juju`` on ``PATH`` that
answers with the sample state of staging. ``rehearsal: world`` builds the
rehearsal's world (:class:`~lpsigning_mojo.rehearsal.world.LoopbackWorld`)
from the page's spec and makes it yours: the commands that follow run in
its clone of the spec, ``~/.ssh/config`` reaches its bastion, and
``LPSIGNING_MOJO_CONFIG`` names its configuration (Launchpad, Mattermost,
Deployable), so a release command runs as it would for real, against the
stand-ins; the world is stopped after the page. ``cd /tmp`` goes to an
empty directory that the output shows as ``/tmp``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from lpsigning_mojo.testing.standins.juju import FakeJujuBin
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"
FIXTURES = REPO_ROOT / "tests" / "docs_fixtures"
SHOWN_HOME = "/home/you"
_DIRECTIVE = re.compile(r"^(\s*)\.\. code-block:: console\s*$")
_MARKER = re.compile(r"^(\s*)\.\. console-test:\s*$")


@dataclass
class Block:
    """One console block: where it is, how to prepare for it, its commands and output."""

    page: str
    line: int
    text: list[str]
    skip: str | None = None
    prepare: list[tuple[str, str]] = field(default_factory=list)

    def commands(self) -> Iterator[tuple[int, str, list[str]]]:
        """``(line, command, expected output lines)`` for each ``$`` line."""
        current: tuple[int, str] | None = None
        output: list[str] = []
        for number, line in enumerate(self.text):
            if line.startswith("$ "):
                if current is not None:
                    yield (*current, output)
                current, output = (self.line + number, line[2:]), []
            elif current is not None:
                output.append(line)
        if current is not None:
            yield (*current, output)


def _indented(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The lines from ``start`` indented deeper than ``indent`` (blank lines kept inside)."""
    body: list[str] = []
    index = start
    while index < len(lines):
        line = lines[index]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
        index += 1
    while body and not body[-1].strip():
        body.pop()
    return body, index


def blocks(path: Path) -> list[Block]:
    """The console blocks of the page ``path``, with their ``console-test`` comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    pending: tuple[str | None, list[tuple[str, str]]] | None = None
    index = 0
    while index < len(lines):
        marker, directive = _MARKER.match(lines[index]), _DIRECTIVE.match(lines[index])
        if marker:
            indent = len(marker.group(1))
            body, index = _indented(lines, index + 1, indent)
            skip: str | None = None
            prepare: list[tuple[str, str]] = []
            for item in (line.strip() for line in body if line.strip()):
                key, _, value = item.partition(":")
                if key == "skip":
                    skip = value.strip()
                elif key in ("fixture", "shell", "juju", "rehearsal"):
                    prepare.append((key, value.strip()))
                else:
                    raise AssertionError(f"{path}:{index}: unknown console-test item {item!r}")
            pending = (skip, prepare)
            continue
        if directive:
            indent = len(directive.group(1))
            start = index + 1
            while start < len(lines) and lines[start].strip().startswith(":"):
                start += 1  # the directive's options
            body, end = _indented(lines, start, indent)
            while body and not body[0].strip():
                body.pop(0)
                start += 1
            text = [line[indent + 3 :] if line.strip() else "" for line in body]
            skip, prepare = pending if pending is not None else (None, [])
            found.append(
                Block(
                    page=str(path.relative_to(REPO_ROOT)),
                    line=start + 1,
                    text=text,
                    skip=skip,
                    prepare=prepare,
                )
            )
            pending = None
            index = end
            continue
        if lines[index].strip():
            pending = None  # a comment applies to the block right after it
        index += 1
    return found


PAGES = sorted(
    path for path in DOCS.rglob("*.rst") if any(block.skip is None for block in blocks(path))
)


# -- running a page -------------------------------------------------------------------


class Workspace:
    """A clone-like directory for one page, and the commands run in it."""

    def __init__(self, root: Path, charmhub: str, home: Path) -> None:
        self.root = root
        self.charmhub = charmhub
        self.home = home
        self.status = 0
        self.closing: list[Callable[[], None]] = []
        self.empty = home.parent / "tmp"  # what "cd /tmp" reaches
        self.empty.mkdir(exist_ok=True)
        shutil.copytree(REPO_ROOT / "spec", root / "spec")
        shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
        for argv in (
            ["git", "init", "-q", "-b", "main"],
            ["git", "add", "-A"],
            [
                "git",
                "-c",
                "user.name=You",
                "-c",
                "user.email=you@example.com",
                "commit",
                "-qm",
                "Spec",
            ],
        ):
            subprocess.run(argv, cwd=root, check=True, capture_output=True)

    def prepare(self, key: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
        if key == "fixture":
            shutil.copytree(FIXTURES / value, self.root, dirs_exist_ok=True)
        elif key == "shell":
            env = {
                **os.environ,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "GIT_AUTHOR_NAME": "You",
                "GIT_AUTHOR_EMAIL": "you@example.com",
                "GIT_COMMITTER_NAME": "You",
                "GIT_COMMITTER_EMAIL": "you@example.com",
            }
            subprocess.run(
                value, shell=True, cwd=self.root, env=env, check=True, capture_output=True
            )
        elif key == "juju":
            assert value == "staging", f"no sample state for {value!r}"
            juju = FakeJujuBin(self.root / ".fake-juju").start()
            from tests.commands.test_status_cli import expect_staging

            expect_staging(juju)
            monkeypatch.setenv("PATH", f"{juju.directory}{os.pathsep}{os.environ['PATH']}")
        elif key == "rehearsal":
            assert value == "world", f"no rehearsal {value!r}"
            from lpsigning_mojo.rehearsal.world import LoopbackWorld

            world = LoopbackWorld(self.home / "rehearsal", spec=self.root / "spec" / "lp-signing")
            self.closing.append(world.start().close)
            ssh = self.home / ".ssh"
            ssh.mkdir(exist_ok=True)
            shutil.copy(world.releaser / "ssh" / "config", ssh / "config")
            monkeypatch.setenv("LPSIGNING_MOJO_CONFIG", str(world.config_file))
            monkeypatch.setenv("CHARMHUB_URL", world.charmhub.url)
            self.root = world.clone

    def close(self) -> None:
        for close in reversed(self.closing):
            close()

    def run(self, command: str, monkeypatch: pytest.MonkeyPatch) -> str:
        """Run one ``$`` line; its output as a terminal would show it."""
        directory = self.root
        if " && " in command:
            first, command = command.split(" && ", 1)
            assert first.startswith("cd "), f"only 'cd DIR && ...' is understood: {first!r}"
            directory = Path(first[3:].strip())
            if directory == Path("/tmp"):
                directory = self.empty
        if command.strip() == "echo $?":
            return f"{self.status}\n"
        argv = shlex.split(command)
        buffer = io.StringIO()
        with monkeypatch.context() as patch:
            patch.chdir(directory)
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                self.status = self._call(argv, patch)
        return buffer.getvalue()

    def _call(self, argv: list[str], patch: pytest.MonkeyPatch) -> int:
        try:
            if argv[0] == "lpsigning-mojo":
                from lpsigning_mojo import cli

                return cli.main(argv[1:])
            if argv[0] == "bundle-lint":
                from lpsigning_mojo.commands.lint import main

                return main(argv[1:])
            if argv[:1] == ["python"] and argv[1].startswith("docs/examples/"):
                patch.setattr(sys, "argv", argv[1:])
                runpy.run_path(str(REPO_ROOT / argv[1]), run_name="__main__")
                return 0
        except SystemExit as exit:
            return exit.code if isinstance(exit.code, int) else 1
        raise AssertionError(
            f"cannot run {argv[0]!r} here: mark the block with '.. console-test:' and 'skip:'"
        )


def _shown(output: str, workspace: Workspace) -> list[str]:
    output = output.replace(str(workspace.empty), "/tmp").replace(str(workspace.home), SHOWN_HOME)
    return [line.rstrip() for line in output.splitlines()]


def _line_pattern(expected: str) -> str:
    if expected.strip() == "…":
        return r"(?:[^\n]*\n)*?"  # any lines, none included
    parts = expected.rstrip().split("…")
    return "[^\n]*?".join(re.escape(part) for part in parts) + "\n"


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` lines are what ``expected`` shows (``…``: any text; alone: any lines)."""
    pattern = "".join(_line_pattern(line) for line in expected)
    return re.fullmatch(pattern, "".join(f"{line}\n" for line in actual)) is not None


@pytest.fixture
def workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, charmhub_server: CharmhubStandIn
) -> Iterator[Workspace]:
    monkeypatch.setenv("CHARMHUB_URL", charmhub_server.url)
    monkeypatch.setenv("USER", "you")
    monkeypatch.setenv("LOGNAME", "you")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("LPSIGNING_MOJO_SPEC", raising=False)
    monkeypatch.delenv("LPSIGNING_MOJO_CONFIG", raising=False)
    workspace = Workspace(Path.home() / "lp-signing", charmhub_server.url, Path.home())
    yield workspace
    workspace.close()


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(DOCS)))
def test_the_console_examples_of_a_page_print_what_it_says(
    page: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = 0
    for block in blocks(page):
        for key, value in block.prepare:
            workspace.prepare(key, value, monkeypatch)
        if block.skip is not None:
            assert block.skip, f"{block.page}:{block.line}: say why the block is skipped"
            continue
        for line, command, expected in block.commands():
            actual = _shown(workspace.run(command, monkeypatch), workspace)
            where = f"{block.page}:{line}: $ {command}"
            shown = "\n".join(actual)
            assert matches(expected, actual), (
                f"{where}\nexpected:\n" + "\n".join(expected) + f"\nprinted:\n{shown}"
            )
            ran += 1
    assert ran


def test_every_console_block_is_run_or_says_why_not() -> None:
    """A block no page test runs would drift unseen: list them with their reasons."""
    skipped = [
        (block.page, block.line, block.skip)
        for path in sorted(DOCS.rglob("*.rst"))
        for block in blocks(path)
        if block.skip is not None
    ]
    assert all(reason for _page, _line, reason in skipped)
    assert PAGES, "no console examples found in docs/"
