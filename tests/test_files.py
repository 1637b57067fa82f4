"""``lpsigning_mojo.files``: the one reader and the one edit of the files a person names."""

from __future__ import annotations

import errno
import fcntl
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lpsigning_mojo.errors import ConfigError, FileAccessError, FileTooLargeError, UsageError
from lpsigning_mojo.files import (
    MAX_FILE_BYTES,
    edit_text,
    read_bytes,
    read_text,
    read_toml,
    resolved,
)
from lpsigning_mojo.testing import FakeClock

ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody").pw_uid if ROOT else os.geteuid()
NOGROUP = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_gid if ROOT else os.getegid()


def append(line: str) -> Callable[[str], str]:
    return lambda text: text + line


# -- reading --------------------------------------------------------------------------


def test_reading_keeps_line_endings_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\r\nb: 2\rc: 3\n")
    assert read_text(path) == "\ufeffa: 1\r\nb: 2\rc: 3\n"


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_bytes(path, limit=100) == b"x" * 100
    with pytest.raises(FileTooLargeError, match="larger than 99 bytes") as caught:
        read_bytes(path, limit=99)
    assert caught.value.limit == 99
    assert MAX_FILE_BYTES == 16 * 2**20


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda path: os.mkfifo(path), "a FIFO"),
        (lambda path: path.mkdir(), "a directory, not a file"),
        (lambda path: path.symlink_to("/dev/null"), "a character device"),
    ],
    ids=["fifo", "directory", "device"],
)
def test_only_regular_files_are_read(
    tmp_path: Path, make: Callable[[Path], object], kind: str
) -> None:
    path = tmp_path / "bundle.yaml"
    make(path)
    with pytest.raises(FileAccessError, match=kind):
        read_text(path)


def test_a_loop_of_links_is_one_sentence(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(FileAccessError, match="a loop of symbolic links"):
        resolved(loop / "x")
    with pytest.raises(FileAccessError, match="a loop of symbolic links"):
        read_text(loop)


def test_toml_errors_are_the_callers_kind(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("[a\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_toml(path)
    with pytest.raises(UsageError, match="not valid TOML"):
        read_toml(path, error=UsageError)


# -- editing: the lock ----------------------------------------------------------------


def test_an_edit_waits_for_the_lock_and_gives_up_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("a: 1\n")
    clock = FakeClock()
    with path.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(FileAccessError, match="another edit of this file has held it"):
            edit_text(path, append("b: 2\n"), clock=clock, lock_timeout=2)
    assert clock.now >= 2
    assert path.read_text() == "a: 1\n"
    assert list(tmp_path.iterdir()) == [path]


def test_an_edit_sees_the_text_of_the_edit_it_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("a: 1\n")
    held = path.open("rb")
    fcntl.flock(held, fcntl.LOCK_EX)

    def finish_the_other_edit(_: float) -> None:
        if not held.closed:  # the other edit replaces the file, then lets go of it
            replacement = tmp_path / "new"
            replacement.write_text("a: 1\nother: 1\n")
            os.replace(replacement, path)
            held.close()

    edited = edit_text(path, append("mine: 1\n"), clock=FakeClock(on_sleep=finish_the_other_edit))
    assert edited.changed
    assert path.read_text() == "a: 1\nother: 1\nmine: 1\n"


def test_a_change_by_a_program_that_ignores_the_lock_is_not_undone(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("a: 1\n")

    def change(text: str) -> str:
        with path.open("a") as other:  # an editor writing in place meanwhile
            other.write("theirs: 1\n")
        return text + "mine: 1\n"

    with pytest.raises(FileAccessError, match="another program changed the file"):
        edit_text(path, change)
    assert path.read_text() == "a: 1\ntheirs: 1\n"
    assert list(tmp_path.iterdir()) == [path]


def test_no_change_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("a: 1\n")
    os.utime(path, (1_000_000, 1_000_000))
    edited = edit_text(path, lambda text: None)
    assert not edited.changed
    assert edited.text == "a: 1\n"
    assert path.stat().st_mtime == 1_000_000


# -- editing: links, modes, temporaries ------------------------------------------------------


def test_an_edit_through_a_relative_link_edits_the_target_beside_it(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "bundle.yaml"
    target.write_text("a: 1\n")
    link = tmp_path / "bundle.yaml"
    link.symlink_to(Path("real") / "bundle.yaml")
    edited = edit_text(link, append("b: 2\n"))
    assert edited.path == target
    assert link.is_symlink()
    assert target.read_text() == "a: 1\nb: 2\n"
    assert any("is a symbolic link" in note for note in edited.notes)


def test_an_edit_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o640)
    edit_text(path, append("b: 2\n"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_stale_temporaries_of_ended_processes_go_and_those_of_live_ones_stay(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("a: 1\n")
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".bundle.yaml.{ended}.0123abcd.tmp"
    live = tmp_path / f".bundle.yaml.{os.getppid()}.0123abcd.tmp"
    unrelated = tmp_path / f".other.yaml.{ended}.0123abcd.tmp"
    for name in (stale, live, unrelated):
        name.write_text("half an edit")
    edited = edit_text(path, append("b: 2\n"))
    assert not stale.exists()
    assert live.exists()
    assert unrelated.exists()
    assert [note for note in edited.notes if "Removed" in note] == [
        f"Removed {stale}, left by an edit that was killed before it finished "
        f"(process {ended}); that edit never changed the file."
    ]


def test_a_failed_write_removes_its_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lpsigning_mojo.files.editing as editing

    def broken(descriptor: int, data: bytes) -> None:
        os.write(descriptor, data[:3])
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(editing, "_write_all", broken)
    path = tmp_path / "bundle.yaml"
    path.write_text("a: 1\n")
    with pytest.raises(FileAccessError, match="the file was not changed"):
        edit_text(path, append("b: 2\n"))
    assert path.read_text() == "a: 1\n"
    assert list(tmp_path.iterdir()) == [path]


# -- editing: who may ------------------------------------------------------------------------


@pytest.fixture
def shared_directory() -> Iterator[Path]:
    """A world-writable directory that the user ``nobody`` can reach."""
    directory = Path(tempfile.mkdtemp(prefix="lpsigning-mojo-perm-"))
    directory.chmod(0o777)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


@contextmanager
def as_nobody() -> Iterator[None]:
    """Run as the user ``nobody`` meanwhile (as root); as oneself otherwise."""
    if not ROOT:
        yield
        return
    groups = os.getgroups()
    os.setgroups([])
    os.setegid(NOGROUP)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups(groups)


def test_a_read_only_file_of_ones_own_is_not_rewritten(shared_directory: Path) -> None:
    path = shared_directory / "bundle.yaml"
    with as_nobody():
        path.write_text("a: 1\n")
        path.chmod(0o444)
        with pytest.raises(FileAccessError, match=r"permission denied.*read-only \(mode 0444\)"):
            edit_text(path, append("b: 2\n"))
    assert path.read_text() == "a: 1\n"
    assert sorted(shared_directory.iterdir()) == [path]


@pytest.mark.skipif(not ROOT, reason="needs a file of another user, which only root can make")
def test_a_file_one_may_not_write_is_refused_though_its_directory_is_writable(
    shared_directory: Path,
) -> None:
    path = shared_directory / "bundle.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o644)
    with as_nobody(), pytest.raises(FileAccessError, match="permission denied"):
        edit_text(path, append("b: 2\n"))
    assert path.read_text() == "a: 1\n"
    assert path.stat().st_uid == 0


@pytest.mark.skipif(not ROOT, reason="only root can edit a file of another user")
def test_an_edit_by_root_keeps_the_owner_and_group(shared_directory: Path) -> None:
    path = shared_directory / "bundle.yaml"
    path.write_text("a: 1\n")
    os.chown(path, NOBODY, NOGROUP)
    edited = edit_text(path, append("b: 2\n"))
    assert (path.stat().st_uid, path.stat().st_gid) == (NOBODY, NOGROUP)
    assert edited.notes == ()


@pytest.mark.skipif(not ROOT, reason="needs a file of another user, which only root can make")
def test_an_owner_that_cannot_be_kept_is_said(shared_directory: Path) -> None:
    path = shared_directory / "bundle.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o666)
    with as_nobody():
        edited = edit_text(path, append("b: 2\n"))
    assert path.read_text() == "a: 1\nb: 2\n"
    assert path.stat().st_uid == NOBODY
    assert f"{path} is now owned by nobody, not root" in " ".join(edited.notes)
    assert "now has the group" in " ".join(edited.notes)
