"""The runner: which files and stages, mapping to the template, merging, no writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.lint import LintConfig, lint_paths
from tests.lint.helpers import CLEAN, make_spec


def codes(report: object) -> list[tuple[str, int, int, tuple[str, ...]]]:
    return [(f.code, f.line, f.column, f.stages) for f in report.findings]  # type: ignore[attr-defined]


def test_the_shipped_spec_lints_clean(spec_dir: Path) -> None:
    report = lint_paths([str(spec_dir)])
    assert report.findings == ()
    assert sorted(Path(path).name for path in report.files) == [
        "bundle.yaml",
        "instances.yaml",
        "manifest",
        "manifest-upgrade",
    ]
    assert set(report.stages) == {"production", "staging", "devel"}
    assert report.exit_code(strict=True) == 0


def test_without_paths_the_spec_below_the_current_directory_is_linted(
    spec_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(spec_dir.parent.parent)
    report = lint_paths([])
    assert "spec/lp-signing/bundle.yaml" in report.files


def test_from_inside_a_stage_directory_the_spec_above_is_linted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path)
    monkeypatch.chdir(spec / "staging")
    report = lint_paths([], config=LintConfig())
    assert {Path(path).name for path in report.files} == {"bundle.yaml", "manifest"}


def test_a_finding_in_a_branch_names_only_its_stage(tmp_path: Path) -> None:
    bundle = CLEAN + '    {%- if stage_name == "staging" %}\n    num_units: -1\n    {%- endif %}\n'
    spec = make_spec(tmp_path, bundle=bundle)
    report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
    assert codes(report) == [("LSM121", 7, 16, ("staging",))]


def test_stage_selection(tmp_path: Path) -> None:
    bundle = CLEAN.replace("    revision: 125\n", "")
    spec = make_spec(tmp_path, bundle=bundle)
    report = lint_paths([str(spec)], stages=["staging"], config=LintConfig())
    assert [(f.code, f.severity, f.stages) for f in report.findings] == [
        ("LSM202", "warning", ("staging",))
    ]
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1
    with pytest.raises(UsageError, match="no stage 'prod'"):
        lint_paths([str(spec)], stages=["prod"], config=LintConfig())


def test_a_stage_specific_bundle_is_linted_for_its_stage_only(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    (spec / "production" / "bundle.yaml").write_text(CLEAN.replace("125", "126"))
    report = lint_paths([str(spec)], config=LintConfig())
    # production pins 126 (its own bundle), staging 125 (the spec's): production is ahead.
    assert codes(report) == [("LSM205", 5, 15, ("production",))]
    assert report.findings[0].path.endswith("production/bundle.yaml")


def test_promotion_order_is_configurable(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    (spec / "production" / "bundle.yaml").write_text(CLEAN.replace("125", "126"))
    config = LintConfig(promotion_order=("production", "staging"))
    assert lint_paths([str(spec)], config=config).findings == ()


def test_identical_findings_of_several_stages_are_merged(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, bundle=CLEAN + "    chanel: x\n")
    report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
    assert codes(report) == [("LSM102", 6, 5, ("production", "staging"))]


def test_crlf_and_no_trailing_newline_give_the_same_positions(tmp_path: Path) -> None:
    text = CLEAN + '    {%- if stage_name == "production" %}\n    num_units: -1\n    {%- endif %}'
    for name, content in (("lf", text), ("crlf", text.replace("\n", "\r\n"))):
        spec = make_spec(tmp_path, bundle=content, name=name)
        report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
        assert codes(report) == [("LSM121", 7, 16, ("production",))], name


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        lint_paths([str(tmp_path / "nope.yaml")], config=LintConfig())
    with pytest.raises(UsageError, match="no Mojo spec"):
        lint_paths([str(tmp_path)], config=LintConfig())


def test_a_directory_of_specs_lints_each(tmp_path: Path) -> None:
    make_spec(tmp_path, name="one")
    make_spec(tmp_path, name="two", bundle=CLEAN + "    bogus: 1\n")
    report = lint_paths([str(tmp_path)], config=LintConfig())
    assert len(report.files) == 4
    assert [f.code for f in report.findings] == ["LSM102"]


def test_lint_never_modifies_or_creates_files(tmp_path: Path) -> None:
    bad = CLEAN + "    chanel: x\n  nrpe:\n    charm: nrpe\n"
    spec = make_spec(tmp_path, bundle=bad, manifest="bundel config=missing\n")

    def snapshot() -> dict[str, tuple[bytes, int, float]]:
        return {
            str(path): (path.read_bytes(), path.stat().st_mode, path.stat().st_mtime)
            for path in tmp_path.rglob("*")
            if path.is_file()
        }

    before = snapshot()
    os.utime(spec / "bundle.yaml", (1_000_000, 1_000_000))
    before = snapshot()
    report = lint_paths([str(spec)], config=LintConfig())
    assert report.findings
    assert snapshot() == before


def test_a_name_set_on_every_branch_is_defined_and_guarded_uses_are_fine(tmp_path: Path) -> None:
    bundle = (
        '{%- if stage_name == "production" %}{%- set units = 2 %}'
        '{%- elif stage_name == "staging" %}{%- set units = 2 %}'
        "{%- else %}{%- set units = 1 %}{%- endif %}\n" + CLEAN + "    num_units: {{ units }}\n"
        "    options:\n"
        "      a: {{ maybe | default('x') }}\n"
        "      {%- if other is defined %}\n"
        "      b: {{ other }}\n"
        "      {%- endif %}\n"
    )
    spec = make_spec(tmp_path, bundle=bundle, stages=("production", "staging", "devel"))
    assert lint_paths([str(spec)], config=LintConfig()).findings == ()


def test_each_place_of_an_undefined_name_is_reported_for_the_stages_it_is_undefined_in(
    tmp_path: Path,
) -> None:
    bundle = (
        '{%- if stage_name != "devel" %}{% set host = "h" %}{% endif %}\n'
        + CLEAN
        + "    options:\n"
        "      host: {{ host }}\n"
        "      url: http://{{ host }}:{{ port }}/\n"
        "      size: {{ settings.size + 1 }}\n"
        "      known: {{ {'a': 1}.missing }}\n"
    )
    spec = make_spec(tmp_path, bundle=bundle, stages=("production", "staging", "devel"))
    report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
    assert [(f.line, f.column, f.stages, f.message) for f in report.findings] == [
        (8, 16, ("devel",), "undefined template variable 'host' (Mojo passes: "
         "local_dir, series, stage_name)"),
        (9, 22, ("devel",), "undefined template variable 'host' (Mojo passes: "
         "local_dir, series, stage_name)"),
        (9, 33, ("devel", "production", "staging"), "undefined template variable 'port' "
         "(Mojo passes: local_dir, series, stage_name)"),
        (10, 16, ("devel", "production", "staging"), "undefined template variable "
         "'settings' (Mojo passes: local_dir, series, stage_name)"),
        (11, 26, ("devel", "production", "staging"), "undefined template value: "
         "'dict object' has no attribute 'missing'"),
    ]  # fmt: skip
    assert {f.code for f in report.findings} == {"LSM004"}


def test_a_render_error_is_reported_per_stage_when_nothing_is_undefined(tmp_path: Path) -> None:
    bundle = CLEAN + '    num_units: {{ 1 // 0 if stage_name == "staging" else 1 }}\n'
    spec = make_spec(tmp_path, bundle=bundle)
    report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
    assert codes(report) == [("LSM005", 6, 1, ("staging",))]
