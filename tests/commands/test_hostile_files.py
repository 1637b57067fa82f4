"""Hostile files and hostile input, end to end: one sentence and exit 1 (or 2), never a hang,
a traceback, or a lost edit.

Each test here was run against the code before these fixes and failed there (a hang, exit 3,
exit 0, or an edit lost). Commands run as real processes where the failure was a hang, a
crash of the process, or a race between processes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lpsigning_mojo.bundle import Template, render_bundle
from lpsigning_mojo.cli import main
from lpsigning_mojo.commands.lint import main as lint_main
from tests.conftest import REPO_ROOT

SPEC = REPO_ROOT / "spec" / "lp-signing"
#: Long enough for a slow, shared machine; a hang runs into it.
TIMEOUT = 60


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    copy = tmp_path / "spec" / "lp-signing"
    shutil.copytree(SPEC, copy)
    return copy


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def lint(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = lint_main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def command(
    *argv: str,
    env: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
    memory: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """``lpsigning-mojo ARGV`` in a process of its own (``memory``: its address-space limit)."""

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "lpsigning_mojo", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        preexec_fn=limit,
        check=False,
    )


def one_sentence(err: str, prog: str = "lpsigning-mojo") -> None:
    assert err.startswith(f"{prog}: "), err
    assert "Traceback" not in err, err
    assert "unexpected error" not in err, err
    assert err.count("\n") == 1, err


def temporaries(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*.tmp"))


# -- concurrent edits ------------------------------------------------------------------


def _set_options(bundle: Path, prefix: str, count: int) -> list[tuple[str, int, str]]:
    results = []
    for number in range(count):
        key = f"{prefix}{number}"
        done = command("bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", key, "on")
        results.append((key, done.returncode, done.stderr))
    return results


def test_two_loops_of_edits_in_parallel_lose_no_update(spec: Path) -> None:
    bundle = spec / "bundle.yaml"
    count = 15
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda prefix: _set_options(bundle, prefix, count), "ab")
    template = Template.from_text(bundle.read_text(), path=str(bundle))
    _, rendered = render_bundle(template, "staging")
    options = rendered.application("nrpe").options
    for key, status, err in [*first, *second]:
        assert status == 0, err
        assert "Changed line" in err, err
        assert options.get(key) == "on", f"{key} was reported as changed but is not in the file"
    assert len([key for key in options if key[0] in "ab"]) == 2 * count
    assert temporaries(spec) == []


# -- interrupted edits -------------------------------------------------------------------

#: Runs the CLI with os.replace stalled, so that a signal (or another edit) lands while the
#: new text sits in its temporary file. The file ``ready`` appears once the temporary file is
#: written; the rename goes ahead once the file ``go`` appears (or after two minutes).
_STALLED = """
import os, sys, time
from pathlib import Path

ready = Path(sys.argv[1])
go = ready.with_name("go")
real_replace = os.replace

def stalled(source, target, *args, **kwargs):
    ready.write_text(str(source))
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return real_replace(source, target, *args, **kwargs)

os.replace = stalled
from lpsigning_mojo.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _stalled_edit(tmp_path: Path, bundle: Path, key: str) -> tuple[subprocess.Popen[str], Path]:
    ready = tmp_path / "ready"
    argv = ["bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", key, "enabled"]
    process = subprocess.Popen(
        [sys.executable, "-c", _STALLED, str(ready), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT
    while not ready.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the edit never reached its rename"
        time.sleep(0.05)
    return process, Path(ready.read_text())


def test_an_edit_made_while_another_is_writing_is_not_lost(tmp_path: Path, spec: Path) -> None:
    bundle = spec / "bundle.yaml"
    first, _ = _stalled_edit(tmp_path, bundle, "first")  # read, edited, not yet renamed
    argv = ["bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "second", "enabled"]
    second = subprocess.Popen(
        [sys.executable, "-m", "lpsigning_mojo", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with contextlib.suppress(subprocess.TimeoutExpired):
        second.wait(timeout=5)  # without a lock it finishes meanwhile; with one it waits
    (tmp_path / "go").touch()
    _, first_err = first.communicate(timeout=TIMEOUT)
    _, second_err = second.communicate(timeout=TIMEOUT)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    text = bundle.read_text()
    assert "first: enabled" in text
    assert "second: enabled" in text


@pytest.mark.parametrize(
    ("signal_number", "status"),
    [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGHUP, -signal.SIGHUP), (signal.SIGINT, 130)],
)
def test_a_signal_during_the_write_leaves_no_temporary_and_the_old_text(
    tmp_path: Path, spec: Path, signal_number: int, status: int
) -> None:
    bundle = spec / "bundle.yaml"
    before = bundle.read_bytes()
    process, temporary = _stalled_edit(tmp_path, bundle, "killed")
    assert temporary.exists()
    process.send_signal(signal_number)
    process.communicate(timeout=TIMEOUT)
    assert process.returncode == status
    assert bundle.read_bytes() == before
    assert temporaries(spec) == []


def test_the_next_edit_removes_the_temporary_of_a_killed_edit_and_says_so(
    tmp_path: Path, spec: Path
) -> None:
    bundle = spec / "bundle.yaml"
    process, temporary = _stalled_edit(tmp_path, bundle, "killed")
    process.kill()
    process.communicate(timeout=TIMEOUT)
    assert temporaries(spec) == [temporary]  # SIGKILL cannot be caught

    done = command(
        "bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "next", "enabled"
    )
    assert done.returncode == 0, done.stderr
    assert f"Removed {temporary}" in done.stderr
    assert temporaries(spec) == []
    assert "next: enabled" in bundle.read_text()
    assert "killed" not in bundle.read_text()


# -- links, permissions, full disks -------------------------------------------------------


def test_a_symlinked_bundle_stays_a_link_and_its_target_is_edited(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "bundle.yaml"
    (spec / "bundle.yaml").rename(target)
    (spec / "bundle.yaml").symlink_to(target)
    status, _, err = run(
        capsys, "bundle", "set-option", str(spec / "bundle.yaml"), "--stage", "staging",
        "nrpe", "linked", "enabled",
    )  # fmt: skip
    assert status == 0, err
    assert (spec / "bundle.yaml").is_symlink()
    assert "linked: enabled" in target.read_text()
    assert "is a symbolic link" in err
    assert temporaries(spec) == []
    assert temporaries(elsewhere) == []


def test_a_hard_linked_bundle_is_refused_and_both_names_keep_one_file(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    bundle = spec / "bundle.yaml"
    other = spec / "bundle-copy.yaml"
    os.link(bundle, other)
    before = bundle.read_bytes()
    status, _, err = run(
        capsys, "bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "x", "on"
    )
    assert status == 1
    one_sentence(err)
    assert "2 hard links" in err
    assert "not changed" in err
    assert bundle.read_bytes() == before
    assert os.path.samefile(bundle, other)


def test_a_full_disk_is_one_sentence_and_the_bundle_intact(
    capsys: pytest.CaptureFixture[str], spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lpsigning_mojo.files.editing as editing

    def full(descriptor: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(editing, "_write_all", full)  # the one place an edit writes
    bundle = spec / "bundle.yaml"
    before = bundle.read_bytes()
    status, _, err = run(
        capsys, "bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "x", "on"
    )
    assert status == 1
    one_sentence(err)
    assert "no space left" in err
    assert "not changed" in err
    assert bundle.read_bytes() == before
    assert temporaries(spec) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, filled but for a few bytes (needs root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root; test_a_full_disk_is_one_sentence covers it")
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def test_a_real_full_disk_leaves_the_bundle_whole(
    capsys: pytest.CaptureFixture[str], spec: Path, small_disk: Path
) -> None:
    bundle = small_disk / "bundle.yaml"
    shutil.copy(spec / "bundle.yaml", bundle)
    before = bundle.read_bytes()
    filler = os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    failure = 0
    try:
        while not failure:
            try:
                os.write(filler, b"x" * 4096)
            except OSError as error:
                failure = error.errno or -1
    finally:
        os.close(filler)
    assert failure == errno.ENOSPC
    status, _, err = run(
        capsys, "bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "x", "on"
    )
    assert status == 1
    one_sentence(err)
    assert "no space left" in err
    assert "not changed" in err
    assert bundle.read_bytes() == before
    assert temporaries(small_disk) == []


@pytest.fixture
def immutable(spec: Path) -> Iterator[Path]:
    """The spec's bundle, made immutable with chattr +i (needs root)."""
    bundle = spec / "bundle.yaml"
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("chattr +i needs root; test_a_read_only_file is the unprivileged case")
    done = subprocess.run(["chattr", "+i", str(bundle)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this file system has no immutable flag: {done.stderr!r}")
    try:
        yield bundle
    finally:
        subprocess.run(["chattr", "-i", str(bundle)], check=True)


def test_an_immutable_bundle_is_one_sentence_and_unchanged(
    capsys: pytest.CaptureFixture[str], spec: Path, immutable: Path
) -> None:
    before = immutable.read_bytes()
    status, _, err = run(
        capsys, "bundle", "set-option", str(immutable), "--stage", "staging", "nrpe", "x", "on"
    )
    assert status == 1
    one_sentence(err)
    assert "immutable" in err
    assert "not changed" in err
    assert immutable.read_bytes() == before
    assert temporaries(spec) == []


# -- what is not a regular file ------------------------------------------------------------


def test_a_fifo_as_the_bundle_is_refused_without_waiting(spec: Path) -> None:
    fifo = spec / "bundle.yaml"
    fifo.unlink()
    os.mkfifo(fifo)
    for argv in (
        ("bundle", "show", str(fifo), "--stage", "staging"),
        ("bundle", "set-option", str(fifo), "--stage", "staging", "nrpe", "x", "on"),
        ("revisions", "--spec", str(spec), "--charmhub-url", "http://127.0.0.1:9"),
    ):
        done = command(*argv, timeout=30)
        assert done.returncode == 1, done.stderr
        one_sentence(done.stderr)
        assert "is a FIFO" in done.stderr


def test_fifos_in_a_spec_do_not_block_the_lint_hook(spec: Path, tmp_path: Path) -> None:
    (spec / "bundle.yaml").unlink()
    os.mkfifo(spec / "bundle.yaml")  # the manifest deploys it
    os.mkfifo(tmp_path / "pyproject.toml")  # where the hook looks for its configuration
    done = command("lint", str(spec), timeout=30)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert "LSM304 bundle: config file 'bundle.yaml' is not in the stage directory" in done.stdout


def test_a_fifo_as_instances_or_configuration_is_refused(spec: Path, tmp_path: Path) -> None:
    (spec / "instances.yaml").unlink()
    os.mkfifo(spec / "instances.yaml")
    done = command("instances", "--spec", str(spec), timeout=30)
    assert done.returncode == 1, done.stderr
    one_sentence(done.stderr)
    assert "is a FIFO" in done.stderr

    config = tmp_path / "xdg" / "lpsigning-mojo" / "config.toml"
    config.parent.mkdir(parents=True)
    os.mkfifo(config)
    done = command("config", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")}, timeout=30)
    assert done.returncode == 1, done.stderr
    one_sentence(done.stderr)
    assert "is a FIFO" in done.stderr


def test_dev_zero_is_refused_not_read_until_memory_runs_out() -> None:
    done = command("bundle", "show", "/dev/zero", "--stage", "staging", memory=2**30)
    assert done.returncode == 1, done.stderr
    one_sentence(done.stderr)
    assert "character device" in done.stderr


def test_a_file_over_the_size_limit_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    big = tmp_path / "bundle.yaml"
    big.write_bytes(b"applications: {}\n" + b"#" * (16 * 2**20) + b"\n")
    status, _, err = run(capsys, "bundle", "show", str(big), "--stage", "staging")
    assert status == 1
    one_sentence(err)
    assert "larger than 16 MiB" in err


def test_a_symlink_loop_is_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    loop = tmp_path / "bundle.yaml"
    loop.symlink_to(loop)
    for argv in (
        ("bundle", "show", str(loop), "--stage", "staging"),
        ("bundle", "set-option", str(loop), "--stage", "staging", "nrpe", "x", "on"),
        ("bundle", "set-option", str(loop), "--stage", "staging", "nrpe", "x", "on", "--dry-run"),
    ):
        status, _, err = run(capsys, *argv)
        assert status == 1, err
        one_sentence(err)
        assert "loop of symbolic links" in err
    status, _, err = lint(capsys, str(loop))
    assert status in (1, 2), err
    one_sentence(err, "bundle-lint")


# -- templates and YAML that nest or misname -------------------------------------------------

_BUNDLE = "applications:\n  nrpe:\n    charm: nrpe\n    options:\n      x: {value}\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{{ 1|no_such_filter }}", "No filter named 'no_such_filter'"),
        ("{{ " + "(" * 400 + "1" + ")" * 400 + " }}", "deeper than Jinja2 can compile"),
        ("[" * 990 + "]" * 990, "nest more than 100 deep"),
    ],
    ids=["unknown-filter", "deep-expression", "deep-yaml"],
)
def test_templates_and_yaml_beyond_the_limits_are_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str, expected: str
) -> None:
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text(_BUNDLE.format(value=value))
    before = bundle.read_bytes()
    for argv in (
        ("bundle", "show", str(bundle), "--stage", "staging"),
        ("bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "y", "1"),
    ):
        status, _, err = run(capsys, *argv)
        assert status == 1, err
        one_sentence(err)
        assert expected in err
    assert bundle.read_bytes() == before
    status, out, err = lint(capsys, str(bundle))
    assert status == 1, err
    assert err == ""
    assert expected in out


def test_nested_blocks_beyond_pythons_limit_are_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.yaml"
    loops = "{% for i in [1] %}" * 30 + "\n" + "{% endfor %}" * 30 + "\n"
    bundle.write_text("applications:\n  nrpe:\n    charm: nrpe\n" + loops)
    status, _, err = run(capsys, "bundle", "show", str(bundle), "--stage", "staging")
    assert status == 1
    one_sentence(err)
    assert "deeper than Jinja2 can compile (too many statically nested blocks)" in err
    status, out, _ = lint(capsys, str(bundle))
    assert status == 1
    assert "LSM003" in out


def test_a_deeply_nested_value_is_written_quoted_or_refused_not_a_crash(
    capsys: pytest.CaptureFixture[str], spec: Path
) -> None:
    bundle = spec / "bundle.yaml"
    value = "[" * 990 + "]" * 990
    status, _, err = run(
        capsys, "bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "deep", value
    )
    assert status == 0, err
    _, rendered = render_bundle(Template.from_text(bundle.read_text()), "staging")
    assert rendered.application("nrpe").options["deep"] == value


# -- output a terminal cannot show ----------------------------------------------------------


def test_text_an_ascii_stdout_cannot_hold_is_escaped(spec: Path) -> None:
    bundle = spec / "bundle.yaml"
    done = command(
        "bundle", "set-option", str(bundle), "--stage", "staging", "nrpe", "motto", "café ☕",
        env={"PYTHONIOENCODING": "ascii"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "+      motto: caf\\xe9 \\u2615" in done.stdout
    assert "motto: café ☕" in bundle.read_text(encoding="utf-8")


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("revision", ["٣", "1_000", " 3", "+3", "-1", "３"])
def test_a_revision_is_ascii_digits_only(
    capsys: pytest.CaptureFixture[str], spec: Path, revision: str
) -> None:
    bundle = spec / "bundle.yaml"
    before = bundle.read_bytes()
    with pytest.raises(SystemExit) as caught:
        main(["bundle", "set-revision", str(bundle), "lp-signing", revision, "--stage", "staging"])
    assert caught.value.code == 2
    assert "is not a revision (a whole number written with the digits 0-9)" in (
        capsys.readouterr().err
    )
    assert bundle.read_bytes() == before


@pytest.mark.parametrize(
    ("kind", "value"),
    [("int", "٣"), ("int", "1_000"), ("float", "١.٥"), ("float", "nan"), ("float", "1e999")],
)
def test_a_number_option_is_ascii_digits_only(
    capsys: pytest.CaptureFixture[str], spec: Path, kind: str, value: str
) -> None:
    bundle = spec / "bundle.yaml"
    before = bundle.read_bytes()
    status, _, err = run(
        capsys, "bundle", "set-option", str(bundle), "--stage", "staging", "lp-signing",
        "port", value, "--type", kind,
    )  # fmt: skip
    assert status == 2, err
    one_sentence(err)
    assert bundle.read_bytes() == before


# -- bundle-lint's targets -------------------------------------------------------------------


def _spec_without(spec: Path, *, manifest_directory: bool) -> Path:
    for name in ("manifest", "manifest-upgrade"):
        (spec / name).unlink()
    if manifest_directory:
        (spec / "manifest").mkdir()
    return spec


@pytest.mark.parametrize("manifest_directory", [False, True], ids=["none", "a-directory"])
def test_lint_fails_for_a_spec_without_a_manifest_file(
    capsys: pytest.CaptureFixture[str], spec: Path, manifest_directory: bool
) -> None:
    _spec_without(spec, manifest_directory=manifest_directory)
    status, _, err = lint(capsys, str(spec))
    assert status == 1
    one_sentence(err, "bundle-lint")
    assert "manifest" in err


def test_lint_reports_a_placement_unit_in_other_digits_instead_of_crashing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text(
        "applications:\n  a:\n    charm: a\n    num_units: 1\n"
        '  b:\n    charm: b\n    num_units: 1\n    to: ["a/²"]\n'
    )
    status, out, err = lint(capsys, str(bundle))
    assert status == 1, err
    assert "LSM117" in out
    assert "unit ²" in out
