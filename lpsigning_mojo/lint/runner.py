"""Run every check: render each bundle once per stage, place findings in the template.

For each bundle template: decode and compile, then for each stage render
(recording every use of an undefined name), parse (identical renderings
are parsed once) and check. Every problem is mapped from the rendered
text back to the template character that wrote it, and identical findings
of several stages are merged into one that lists those stages. Manifests
are checked once, and their ``config=`` files once per stage. Last come
the checks across stages (promotion order), the configuration (select,
ignore, severities) and the suppression comments.

Nothing here writes a file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from lpsigning_mojo.bundle.overlay import BundleView
from lpsigning_mojo.errors import FileAccessError, FileTooLargeError
from lpsigning_mojo.files import read_bytes
from lpsigning_mojo.lint import instances as instances_checks
from lpsigning_mojo.lint import manifest as manifest_checks
from lpsigning_mojo.lint import policy, schema, source, verifier
from lpsigning_mojo.lint.config import LintConfig, load_config
from lpsigning_mojo.lint.mapping import LazyRendering, LazyTemplate
from lpsigning_mojo.lint.problems import Problem, StageContext
from lpsigning_mojo.lint.registry import Finding, Severity, rule
from lpsigning_mojo.lint.targets import FileToLint, Scope, discover, scopes
from lpsigning_mojo.policy import Pin, ahead_message, pins, promotion_breaches
from lpsigning_mojo.yamlnodes import position

__all__ = ["Report", "lint_paths", "lint_targets"]

_SUPPRESS_RE = re.compile(r"bundle-lint:\s*disable(-file)?=\s*(LSM[0-9]{3}(?:\s*,\s*LSM[0-9]{3})*)")

#: Checks whose problems depend only on the rendered text: run once per distinct rendering.
_TEXT_CHECKS = (schema.check_keys, verifier.check_verifier)
#: Checks that depend on the stage too (production or not, where values came from).
_STAGE_CHECKS = (policy.check_policy,)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Report:
    """The findings of a run, the files linted and the stages checked.

    ``stages`` are short names; ``scopes`` say, spec by spec, which spec root
    and stages (Mojo names) were used.
    """

    findings: tuple[Finding, ...]
    files: tuple[str, ...]
    stages: tuple[str, ...]
    scopes: tuple[Scope, ...] = ()

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for finding in self.findings if finding.severity == "error")

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(1 for finding in self.findings if finding.severity == "warning")

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when there are errors (or, with ``strict``, warnings), else 0."""
        return 1 if self.errors or (strict and self.warnings) else 0


#: A stage's pin, and where its revision is: the file, the rendered position, its map.
_Pinned = tuple[Pin, str, tuple[int, int], LazyRendering]


class _Collector:
    """Findings of one file, merged across stages."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: dict[tuple[int, int, str, Severity, str], list[str]] = {}

    def add(
        self,
        problem: Problem,
        *,
        line: int,
        column: int,
        stage: str | None,
        message: str | None = None,
    ) -> None:
        severity = problem.severity or rule(problem.code).severity
        key = (line, column, problem.code, severity, message or problem.message)
        stages = self.found.setdefault(key, [])
        if stage is not None and stage not in stages:
            stages.append(stage)

    def findings(self, order: Sequence[str]) -> Iterable[Finding]:
        rank = {name: index for index, name in enumerate(order)}
        for (line, column, code, severity, message), stages in self.found.items():
            yield Finding(
                code=code,
                severity=severity,
                message=message,
                path=self.path,
                line=line,
                column=column,
                stages=tuple(sorted(stages, key=lambda s: rank.get(s, len(rank)))),
            )


def _read(target: FileToLint) -> tuple[bytes | None, Problem | None]:
    try:
        return read_bytes(target.path), None
    except FileTooLargeError as error:
        return None, Problem(
            code=source.UNREADABLE.code,
            line=1,
            column=1,
            message=f"the file is larger than {error.limit // 2**20} MiB; "
            "bundles and manifests are far smaller",
        )
    except FileAccessError as error:
        raise FileAccessError(f"{target.display}: cannot read it: {error.message}") from None


def _variables(stage: str, config: LintConfig) -> dict[str, object]:
    from lpsigning_mojo.mojospec.variables import mojo_variables

    return mojo_variables(stage, extra=config.variables)


def _lint_bundle(
    target: FileToLint,
    config: LintConfig,
    collector: _Collector,
    pinned: dict[tuple[str, str], _Pinned],
) -> None:
    data, problem = _read(target)
    text: str | None = None
    problems: list[Problem] = [problem] if problem else []
    if data is not None:
        text, problems = source.decode(data)
    plain = None
    if text is not None:
        known = _variables("stage", config).keys() if source.has_jinja(text) else ()
        plain, more = source.compile_template(text, target.display, known)
        problems = problems + more
    for found in problems:
        collector.add(found, line=found.line, column=found.column, stage=None)
    if plain is None or text is None:
        return
    lazy = LazyTemplate(text, target.display)
    parsed: dict[str, tuple[BundleView | None, list[Problem]]] = {}
    for stage in target.stages:
        variables = _variables(stage.mojo, config) if plain.templated else {}
        rendered_text, problems = plain.render(variables)
        for found in problems:
            collector.add(found, line=found.line, column=found.column, stage=stage.name)
        if rendered_text is None:
            continue
        if rendered_text not in parsed:
            parsed[rendered_text] = _parse(rendered_text)
        view, problems = parsed[rendered_text]
        rendering = LazyRendering(lazy, variables, rendered_text, identity=not plain.templated)
        context = StageContext(
            stage=stage.name,
            origin=rendering.origin,
            production=stage.name in config.production_stages,
        )
        problems = list(problems)
        if view is not None:
            for check in _STAGE_CHECKS:
                problems.extend(check(view, context))
            _pins(view, stage.name, rendering, target, pinned)
        for found in problems:
            _add_rendered(collector, rendering, found, stage.name)


def _parse(text: str) -> tuple[BundleView | None, list[Problem]]:
    documents, problems = source.compose_bundle(text)
    if documents is None:
        return None, problems
    if not documents:
        return None, [
            Problem(
                code=verifier.NO_APPLICATIONS.code,
                line=1,
                column=1,
                message="the bundle is empty; it defines no applications",
            )
        ]
    view, more = schema.build_view(documents)
    problems = problems + more
    if view is not None:
        anywhere = StageContext(stage="")
        for check in _TEXT_CHECKS:
            problems.extend(check(view, anywhere))
    return view, problems


def _add_rendered(
    collector: _Collector, rendering: LazyRendering, found: Problem, stage: str
) -> None:
    placed = rendering.place(found.line, found.column)
    message = found.message
    if placed is None:
        placed = (1, 1)
        message = f"{message} (at line {found.line} of the bundle rendered for {stage})"
    if found.related is not None:
        related = rendering.place(*found.related)
        message = message.replace("{line}", str(related[0]) if related else "?")
    collector.add(found, line=placed[0], column=placed[1], stage=stage, message=message)


def _pins(
    view: BundleView,
    stage: str,
    rendering: LazyRendering,
    target: FileToLint,
    into: dict[tuple[str, str], _Pinned],
) -> None:
    for pin in pins(stage, view.applications.values()):
        entry = view.applications[pin.application].get("revision")
        if pin.revision is not None and entry is not None:
            into[stage, pin.application] = (pin, target.display, position(entry.value), rendering)


def _lint_manifest(target: FileToLint, collector: _Collector) -> None:
    data, problem = _read(target)
    problems: list[Problem] = [problem] if problem else []
    text: str | None = None
    if data is not None:
        text, problems = source.decode(data)
    if text is None:
        for found in problems:
            collector.add(found, line=found.line, column=found.column, stage=None)
        return
    manifest, problems = manifest_checks.check_manifest(text)
    for found in problems:
        collector.add(found, line=found.line, column=found.column, stage=None)
    for stage in target.stages:
        for found in manifest_checks.check_stage(manifest, target.spec, stage):
            collector.add(found, line=found.line, column=found.column, stage=stage.name)


def _lint_instances(target: FileToLint, collector: _Collector) -> None:
    data, problem = _read(target)
    problems: list[Problem] = [problem] if problem else []
    if data is not None:
        text, problems = source.decode(data)
        if text is not None:
            problems += instances_checks.check_instances(text, target.display)
    for found in problems:
        collector.add(found, line=found.line, column=found.column, stage=None)


def _suppressions(path: Path) -> tuple[dict[int, set[str]], set[str]]:
    by_line: dict[int, set[str]] = {}
    whole: set[str] = set()
    try:
        text = read_bytes(path).decode("utf-8", errors="replace")
    except FileAccessError:
        return by_line, whole
    if "bundle-lint:" not in text:
        return by_line, whole
    for number, line in enumerate(text.splitlines(), 1):
        for match in _SUPPRESS_RE.finditer(line):
            codes = {code.strip() for code in match.group(2).split(",")}
            if match.group(1):
                whole |= codes
                continue
            by_line.setdefault(number, set()).update(codes)
            if line.lstrip().startswith(("#", "{#")):  # a comment alone: the next line too
                by_line.setdefault(number + 1, set()).update(codes)
    return by_line, whole


def lint_targets(targets: Sequence[FileToLint], config: LintConfig) -> Report:
    """Lint the files of ``targets`` with ``config``.

    The cyclic garbage collector is paused meanwhile: a large bundle is
    hundreds of thousands of acyclic YAML nodes, which the collector would
    scan again and again for nothing (a third of the time on a 10 MB file).
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint_targets(targets, config)
    finally:
        if enabled:
            gc.enable()


def _lint_targets(targets: Sequence[FileToLint], config: LintConfig) -> Report:
    collectors: dict[str, _Collector] = {}
    pinned: dict[tuple[str, str], _Pinned] = {}
    order: list[str] = []
    for target in targets:
        collector = collectors.setdefault(target.display, _Collector(target.display))
        for stage in target.stages:
            if stage.name not in order:
                order.append(stage.name)
        if target.kind == "bundle":
            _lint_bundle(target, config, collector, pinned)
        elif target.kind == "instances":
            _lint_instances(target, collector)
        else:
            _lint_manifest(target, collector)
    breaches = promotion_breaches((found[0] for found in pinned.values()), config.promotion_order)
    for earlier, later in breaches:
        _, path, at, rendering = pinned[later.stage, later.application]
        collector = collectors.setdefault(path, _Collector(path))
        problem = Problem(
            code=policy.PROMOTION_ORDER.code,
            message=ahead_message(earlier, later),
            line=at[0],
            column=at[1],
        )
        line, column = rendering.place(*at) or (1, 1)
        collector.add(problem, line=line, column=column, stage=later.stage)
    findings: list[Finding] = []
    paths = {target.display: target.path for target in targets}
    for display, collector in collectors.items():
        by_line, whole = _suppressions(paths[display])
        for finding in collector.findings(order):
            if not config.enabled(finding.code) or finding.code in whole:
                continue
            if finding.code in by_line.get(finding.line, ()):
                continue
            severity = config.severity_of(finding.code, finding.severity)
            findings.append(dataclasses.replace(finding, severity=severity))
    findings.sort(key=Finding.sort_key)
    return Report(
        findings=_merge_severities(findings),
        files=tuple(collectors),
        stages=tuple(order),
        scopes=scopes(targets),
    )


def _merge_severities(findings: list[Finding]) -> tuple[Finding, ...]:
    """Merge findings that differ only in stages once severities are overridden."""
    merged: dict[tuple[str, int, int, str, str, str], Finding] = {}
    for finding in findings:
        key = (
            finding.path,
            finding.line,
            finding.column,
            finding.code,
            finding.severity,
            finding.message,
        )
        previous = merged.get(key)
        if previous is None:
            merged[key] = finding
        else:
            stages = tuple(dict.fromkeys((*previous.stages, *finding.stages)))
            merged[key] = dataclasses.replace(previous, stages=stages)
    return tuple(merged.values())


def lint_paths(
    paths: Sequence[str] = (),
    *,
    stages: Sequence[str] | None = None,
    config: LintConfig | None = None,
) -> Report:
    """Lint ``paths`` (spec directories, bundle templates, manifests; default: the
    current spec) for ``stages`` (default: the configuration's, or every stage).

    The configuration is read from the nearest pyproject.toml unless given.
    Raises :class:`~lpsigning_mojo.errors.UsageError` for a path that does
    not exist, an unknown stage, or a bad configuration.
    """
    if config is None:
        config = load_config(paths[0] if paths else None)
    targets = discover(paths, stages or config.stages)
    return lint_targets(targets, config)
