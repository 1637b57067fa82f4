"""[tool.lpsigning-mojo.lint] in pyproject.toml, and suppression comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.lint import LintConfig, lint_paths, load_config
from lpsigning_mojo.lint.config import find_config
from tests.lint.helpers import CLEAN, make_spec

UNPINNED = CLEAN.replace("    revision: 125\n", "")


def write_pyproject(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text('[project]\nname = "lpsigning-mojo"\n\n' + body, encoding="utf-8")
    return path


def test_defaults_without_a_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "")
    assert load_config(tmp_path) == LintConfig()
    assert find_config(tmp_path) is None


def test_the_search_stops_at_the_top_of_a_git_tree(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.lpsigning-mojo.lint]\nignore = ['LSM2']\n")
    inner = tmp_path / "repo"
    (inner / ".git").mkdir(parents=True)
    assert find_config(inner) is None
    assert find_config(tmp_path / "x") == tmp_path / "pyproject.toml"


def test_select_ignore_and_severity(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, bundle=UNPINNED + "    chanel: x\n")
    write_pyproject(tmp_path, '[tool.lpsigning-mojo.lint]\nignore = ["LSM1"]\n')
    report = lint_paths([str(spec / "bundle.yaml")])
    assert [(f.code, f.severity) for f in report.findings] == [
        ("LSM202", "error"),
        ("LSM202", "warning"),
    ]
    write_pyproject(
        tmp_path,
        '[tool.lpsigning-mojo.lint]\nselect = ["LSM2"]\n\n'
        '[tool.lpsigning-mojo.lint.severity]\nLSM202 = "warning"\n',
    )
    report = lint_paths([str(spec / "bundle.yaml")])
    # Once both stages are warnings the two findings merge into one.
    assert [(f.code, f.severity, f.stages) for f in report.findings] == [
        ("LSM202", "warning", ("production", "staging"))
    ]
    assert report.exit_code() == 0


def test_stages_production_stages_and_variables(tmp_path: Path) -> None:
    bundle = UNPINNED.replace("latest/stable", "{{ track }}/stable")
    spec = make_spec(tmp_path, bundle=bundle, stages=("production", "staging", "qa"))
    write_pyproject(
        tmp_path,
        "[tool.lpsigning-mojo.lint]\n"
        'stages = ["staging", "qa"]\nproduction-stages = ["qa"]\n'
        'variables = { track = "latest" }\n',
    )
    report = lint_paths([str(spec / "bundle.yaml")])
    assert [(f.code, f.severity, f.stages) for f in report.findings] == [
        ("LSM202", "error", ("qa",)),
        ("LSM202", "warning", ("staging",)),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("ignores = []", "unknown key 'ignores'.*did you mean 'ignore'"),
        ('select = "LSM"', "select must be a list"),
        ('ignore = ["E501"]', "not a rule code"),
        ("severity = { LSM202 = 'fatal' }", "LSM202"),
        ("variables = 3", "variables must be a table"),
    ],
)
def test_bad_configuration_is_a_usage_error(tmp_path: Path, body: str, message: str) -> None:
    write_pyproject(tmp_path, f"[tool.lpsigning-mojo.lint]\n{body}\n")
    with pytest.raises(UsageError, match=message) as caught:
        load_config(tmp_path)
    assert caught.value.exit_code == 2


def test_invalid_toml_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lpsigning-mojo.lint\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_config(tmp_path)


def test_a_table_written_as_a_quoted_key_is_found(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool."lpsigning-mojo".lint]\nignore = ["LSM204"]\n')
    assert load_config(tmp_path).ignore == ("LSM204",)


# -- suppression comments --------------------------------------------------------------


def test_a_comment_on_the_line_suppresses_that_code(tmp_path: Path) -> None:
    bundle = CLEAN + "    chanel: x  # bundle-lint: disable=LSM102\n    num_units: -1\n"
    spec = make_spec(tmp_path, bundle=bundle)
    report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
    assert [(f.code, f.line) for f in report.findings] == [("LSM121", 7)]


def test_a_comment_alone_suppresses_the_next_line(tmp_path: Path) -> None:
    bundle = CLEAN + "    # bundle-lint: disable=LSM101, LSM102\n    chanel: x\n"
    spec = make_spec(tmp_path, bundle=bundle)
    assert lint_paths([str(spec / "bundle.yaml")], config=LintConfig()).findings == ()


def test_another_code_is_not_suppressed(tmp_path: Path) -> None:
    bundle = CLEAN + "    chanel: x  # bundle-lint: disable=LSM101\n"
    spec = make_spec(tmp_path, bundle=bundle)
    report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
    assert [f.code for f in report.findings] == ["LSM102"]


def test_disable_file_and_jinja_comments(tmp_path: Path) -> None:
    bundle = "{# bundle-lint: disable-file=LSM102 #}\n" + CLEAN + "    chanel: x\n    scale: 1\n"
    bundle += "    num_units: 1  {# bundle-lint: disable=LSM122 #}\n"
    spec = make_spec(tmp_path, bundle=bundle)
    report = lint_paths([str(spec / "bundle.yaml")], config=LintConfig())
    assert [(f.code, f.line) for f in report.findings] == [("LSM122", 8)]


def test_suppression_in_a_manifest(tmp_path: Path) -> None:
    manifest = "bundle config=bundle.yaml\nfrobnicate  # bundle-lint: disable=LSM302\nbundel\n"
    spec = make_spec(tmp_path, manifest=manifest)
    report = lint_paths([str(spec / "manifest")], config=LintConfig())
    assert [(f.code, f.line) for f in report.findings] == [("LSM302", 3)]


def test_the_release_policy_of_a_configuration_is_what_lint_rejects() -> None:
    config = LintConfig(
        ignore=("LSM204",),
        severity={"LSM203": "warning"},
        production_stages=("production", "qa"),
        promotion_order=("devel", "staging", "production"),
    )
    policy = config.release_policy()
    assert policy.production_stages == ("production", "qa")
    assert policy.promotion_order == ("devel", "staging", "production")
    assert {"LSM203", "LSM204"} <= policy.waived
    assert not {"LSM201", "LSM205"} & policy.waived
    assert not LintConfig().release_policy().waived & {"LSM201", "LSM203", "LSM204", "LSM205"}
