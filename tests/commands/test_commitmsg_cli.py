"""``lpsigning-mojo check-commit-msg FILE`` and its hook entry, on good and bad messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lpsigning_mojo import cli
from lpsigning_mojo.commands import commitmsg
from lpsigning_mojo.commits import build_message
from tests.conftest import REPO_ROOT


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = cli.main(list(argv))
    except SystemExit as exit:  # argparse
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


GOOD = [
    "Upgrade lp-signing charm to revision 90 on staging\n\nstaging: 89 -> 90\n\nLP: #2034567\n",
    "Bump nrpe\n",
    "Deploy build 1f3c9a2b to production\n\nLP: #1, #2\nLP: #3\n",
    # What git hands the hook: comments and the verbose diff below the scissors are ignored.
    "Short summary\n\nBody.\n# Please enter the commit message for your changes. Lines starting\n"
    "# ------------------------ >8 ------------------------\n"
    "diff --git a/x b/x\n+LP #nonsense and a very long line " + "x" * 80 + "\n",
    build_message("Set build_label " + "x" * 80, ["Why."], bugs=[5, 6]),
]


@pytest.mark.parametrize("text", GOOD)
def test_good_messages_pass_silently(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = tmp_path / "COMMIT_EDITMSG"
    message.write_text(text)
    assert run(capsys, "check-commit-msg", str(message)) == (0, "", "")


def test_bad_messages_are_reported_like_a_linter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = tmp_path / "COMMIT_EDITMSG"
    summary = "Upgrade lp-signing to revision 91 on staging and production, with care"
    message.write_text(f"{summary}!!!!\nstaging first\n\nLP: 2034567\nlp: #1,#2\n")
    status, out, err = run(capsys, "check-commit-msg", str(message))
    assert status == 1
    assert out.splitlines() == [
        f"{message}:1:73: the summary line has 74 characters; keep it to 72 or fewer and put "
        "details in the body (summary-too-long)",
        f"{message}:2:1: the line after the summary must be blank (no-blank-line)",
        f"{message}:4:1: 'LP: 2034567' is not a bug line; write 'LP: #N' or 'LP: #N, #M' "
        "(a colon, a space, then # before each number) (malformed-bug-line)",
    ]
    assert err == (
        f"check-commit-msg: 3 problems in {message}; the format is a summary line of at most "
        "72 characters, a blank line, the body, then 'LP: #N' lines.\n"
    )


def test_an_empty_message_and_crlf_endings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n# only a comment\n")
    status, out, _ = run(capsys, "check-commit-msg", str(empty))
    assert (status, out) == (1, f"{empty}:1:1: the message is empty (empty-message)\n")
    crlf = tmp_path / "crlf"
    crlf.write_bytes(b"Summary\r\n\r\nLP: #7\r\n")
    assert run(capsys, "check-commit-msg", str(crlf)) == (0, "", "")


def test_the_comment_character_can_be_changed_or_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = tmp_path / "msg"
    message.write_text("Summary\n\n# LP #5 is kept when # is not a comment\n; a comment\n")
    assert run(capsys, "check-commit-msg", str(message))[0] == 0
    status, out, _ = run(capsys, "check-commit-msg", "--comment-char", ";", str(message))
    assert status == 0
    message.write_text("Summary\n\nLP #5\n")
    status, out, _ = run(capsys, "check-commit-msg", "--comment-char", "", str(message))
    assert status == 1
    assert "(malformed-bug-line)" in out


def test_a_missing_file_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check-commit-msg", str(tmp_path / "nope"))
    assert (status, out) == (1, "")
    assert err == f"lpsigning-mojo: {tmp_path / 'nope'}: no such file. Check the path.\n"


def test_the_hook_entry_is_the_same_check_and_stays_light(tmp_path: Path) -> None:
    message = tmp_path / "msg"
    message.write_text("Summary\nno blank\n")
    code = (
        "import json, sys\n"
        "from lpsigning_mojo.commands import commitmsg\n"
        "status = commitmsg.main(sys.argv[1:])\n"
        "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(message)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert (
        done.stdout == f"{message}:2:1: the line after the summary must be blank (no-blank-line)\n"
    )
    data = json.loads(done.stderr.splitlines()[-1])
    assert data["status"] == 1
    heavy = {m for m in data["modules"] if m.split(".")[0] in ("yaml", "jinja2", "attr", "attrs")}
    assert not heavy
    assert "lpsigning_mojo.cli" not in data["modules"]


def test_check_file_is_the_library_call(tmp_path: Path) -> None:
    message = tmp_path / "msg"
    message.write_text("Summary\n\nLP:#1\n")
    assert commitmsg.check_file(str(message)) == [
        f"{message}:3:1: 'LP:#1' is not a bug line; write 'LP: #N' or 'LP: #N, #M' "
        "(a colon, a space, then # before each number) (malformed-bug-line)"
    ]
