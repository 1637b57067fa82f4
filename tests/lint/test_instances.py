"""bundle-lint checks instances.yaml with the same reader as the instance commands."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from lpsigning_mojo.lint import LintConfig, lint_paths
from tests.conftest import REPO_ROOT


def spec_copy(tmp_path: Path) -> Path:
    spec = tmp_path / "lp-signing"
    shutil.copytree(REPO_ROOT / "spec" / "lp-signing", spec)
    return spec


def test_the_shipped_instances_lint_clean_as_part_of_the_spec(tmp_path: Path) -> None:
    spec = spec_copy(tmp_path)
    report = lint_paths([str(spec)], config=LintConfig())
    assert report.findings == ()
    names = sorted(Path(name).name for name in report.files)
    assert names == ["bundle.yaml", "instances.yaml", "manifest", "manifest-upgrade"]


def test_an_unknown_key_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    spec = spec_copy(tmp_path)
    instances = spec / "instances.yaml"
    text = instances.read_text()
    instances.write_text(
        text.replace("    aliases: [dogfood]\n", "    aliases: [dogfood]\n    colour: blue\n")
    )
    line = instances.read_text().splitlines().index("    colour: blue") + 1
    report = lint_paths([str(instances)], config=LintConfig())
    assert [(f.code, f.line, f.column) for f in report.findings] == [("LSM401", line, 5)]
    assert "colour" in report.findings[0].message


def test_linting_a_bundle_does_not_read_instances(tmp_path: Path) -> None:
    spec = spec_copy(tmp_path)
    (spec / "instances.yaml").write_text("not: [valid\n")
    code = (
        "import sys\n"
        "from lpsigning_mojo.lint import LintConfig, lint_paths\n"
        f"report = lint_paths([{str(spec / 'bundle.yaml')!r}], config=LintConfig())\n"
        "assert report.findings == (), report.findings\n"
        "assert 'lpsigning_mojo.instances' not in sys.modules\n"
        "assert 'attrs' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
