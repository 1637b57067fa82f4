"""Hostile input: alias bombs, binary junk, empty, huge, odd line endings. Findings, never a
traceback."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpsigning_mojo.lint import LintConfig, all_rules, lint_paths
from lpsigning_mojo.lint.runner import Report
from tests.conftest import REPO_ROOT

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def lint_one(path: Path) -> list[tuple[str, int, int]]:
    report = lint_paths([str(path)], config=LintConfig())
    return [(f.code, f.line, f.column) for f in report.findings]


def test_an_alias_bomb_is_reported_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text(BOMB)
    start = time.perf_counter()
    found = lint_one(path)
    # The lint path takes no clock. Expanded, the bomb is 9**9 (387 million) nodes, hours of
    # work; reported, it takes milliseconds. The bound only tells the two apart, with room for
    # a loaded machine.
    assert time.perf_counter() - start < 20
    assert found == [("LSM006", 6, 4)]


def test_a_recursive_alias_does_not_hang(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("loop: &a [*a]\napplications: {}\n")
    assert lint_one(path) == [("LSM006", 1, 7)]


def test_binary_junk_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_bytes(b"applications:\n  x: \xff\xfe" + random.Random(3).randbytes(2000))
    assert lint_one(path) == [("LSM007", 2, 6)]


def test_nul_bytes_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_bytes(b"applications:\n  nrpe:\x00\n")
    assert lint_one(path) == [("LSM007", 2, 8)]


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_bundle_has_no_applications(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text(content)
    assert lint_one(path) == [("LSM110", 1, 1)]


def test_an_empty_manifest_is_clean(tmp_path: Path) -> None:
    (tmp_path / "manifest").write_text("")
    assert lint_one(tmp_path / "manifest") == []


def test_a_binary_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest").write_bytes(b"bundle \xc3\x28 config=x\n")
    assert lint_one(tmp_path / "manifest") == [("LSM007", 1, 8)]


def test_a_10_mb_bundle(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    chunk = "".join(
        f"  app-{i}:\n    charm: app\n    channel: latest/stable\n    revision: {i}\n"
        f'    options:\n      motd: "{"x" * 180}"\n'
        for i in range(1000)
    )
    with path.open("w") as stream:
        stream.write("applications:\n")
        for block in range(40):
            stream.write(chunk.replace("  app-", f"  app-{block}-"))
        stream.write("    bogus: 1\n")
    assert path.stat().st_size > 10_000_000
    found = lint_one(path)
    assert found == [("LSM102", 240002, 5)]


def test_files_over_16_mib_are_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_bytes(b"# " + b"x" * (17 * 2**20) + b"\n")
    assert lint_one(path) == [("LSM007", 1, 1)]


def test_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("applications: " + "[" * 5000 + "]" * 5000 + "\n")
    assert [code for code, _, _ in lint_one(path)] == ["LSM001"]


def assert_well_formed(report: Report, path: Path, text: str) -> None:
    """What must hold of any report: known rules, real places, one-line messages, the status."""
    rules = all_rules()
    lines = text.splitlines() or [""]
    assert report.files == (str(path),)
    for finding in report.findings:
        assert finding.code in rules
        assert finding.severity in ("error", "warning")
        assert finding.path == str(path)
        # A place in the file: a line it has (or one past its end), a column within it.
        assert 1 <= finding.line <= len(lines) + 1
        assert 1 <= finding.column <= len(text) + 1
        assert finding.message.strip()
        assert "\n" not in finding.message
        assert "Traceback" not in finding.message
    errors = [f for f in report.findings if f.severity == "error"]
    assert report.exit_code() == (1 if errors else 0)
    assert report.exit_code(strict=True) == (1 if report.findings else 0)


@given(st.text(max_size=400))
def test_any_text_gives_findings_not_exceptions(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    directory = tmp_path_factory.mktemp("fuzz")
    for name in ("bundle.yaml", "manifest"):
        path = directory / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        report = lint_paths([str(path)], config=LintConfig())
        assert_well_formed(report, path, text)
        # The same text gives the same findings: nothing depends on the run.
        assert lint_paths([str(path)], config=LintConfig()).findings == report.findings


@given(
    st.lists(
        st.sampled_from(
            [
                "applications:",
                "  a:",
                "    charm: a",
                "    to: [b/0, '0', lxd:new]",
                "  b: {charm: b}",
                "relations:",
                "  - [a, b]",
                "  - [b, a]",
                "machines:",
                "  '0': {}",
                "{% if x %}",
                "{{ series }}",
                "{%- endif %}",
                "  - [a]",
                "    num_units: {{ 2 }}",
                "&x [*x]",
                "\t",
                "    options: {password: x}",
                "    revision: 1",
                "- *y",
            ]
        ),
        max_size=25,
    )
)
def test_bundle_like_text_gives_findings_not_exceptions(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "bundle.yaml"
    path.write_text("\n".join(lines))
    text = "\n".join(lines)
    report = lint_paths([str(path)], config=LintConfig())
    assert_well_formed(report, path, text)
    # Text with no applications can never be a clean bundle.
    if not any(line.startswith("  a:") or line.startswith("  b:") for line in lines):
        assert report.exit_code() == 1


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n" + bytes(range(256)), b"", b"applications:\r\n  a: {}\r\n", BOMB.encode()],
)
def test_the_command_never_shows_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "lpsigning_mojo.commands.lint", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("1 problem")
