"""Checks of a file as text: encoding, Jinja2, YAML syntax, duplicates, aliases.

These run before anything looks at the bundle's content. Each returns the
:class:`~lpsigning_mojo.lint.problems.Problem` values it found and, when
the step succeeded, its result (the text, the compiled template, the
rendering, the YAML documents) for the next step.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import yaml

from lpsigning_mojo.lint import undefined
from lpsigning_mojo.lint.problems import Problem, at_node
from lpsigning_mojo.lint.registry import register
from lpsigning_mojo.yamlnodes import (
    LINE_BREAK,
    ComposeError,
    compose,
    control_character,
    duplicate_keys,
    line_column,
)

__all__ = ["Plain", "compile_template", "compose_bundle", "decode"]

YAML_SYNTAX = register(
    "LSM001",
    "yaml-syntax",
    severity="error",
    summary="The bundle, as rendered for a stage, is not valid YAML.",
    description="""The template renders, but the result does not parse as YAML, so Juju
        would refuse it. The position is that of the template character that wrote the
        offending text.""",
    fix="Fix the YAML at that position: indentation, a missing colon, an unclosed quote or "
    "bracket.",
    example='applications:\n  lp-signing:\n    charm: "lp-signing\n',
)
DUPLICATE_KEY = register(
    "LSM002",
    "duplicate-key",
    severity="error",
    summary="A mapping has the same key twice.",
    description="""YAML loaders, Juju's and PyYAML's ``safe_load`` included, keep the last
        of two equal keys without a word, so the first value is silently ignored.""",
    fix="Remove one of the two keys, or merge their values.",
    example="applications:\n  nrpe:\n    charm: nrpe\n    charm: nrpe-k8s\n",
)
JINJA_SYNTAX = register(
    "LSM003",
    "jinja-syntax",
    severity="error",
    summary="The bundle template is not valid Jinja2.",
    description="""Mojo renders the bundle with Jinja2 before deploying it; a template
        that does not compile fails every stage.""",
    fix="Close the block, fix the expression, or escape literal braces with ``{% raw %}``.",
    example='{% if stage_name == "production" %}\napplications: {}\n',
)
UNDEFINED_VARIABLE = register(
    "LSM004",
    "undefined-variable",
    severity="error",
    summary="The template uses a variable Mojo does not define.",
    description="""Mojo passes ``stage_name``, ``series`` and ``local_dir`` (plus any
        variables the configuration adds); any other name is undefined unless the template
        sets it, and the render fails in the stages that use it. Each stage is rendered and
        every place that uses an undefined name is reported once, naming exactly the stages
        in which it is undefined: a name set on every branch (``{% if %}{% set x = 1 %}{%
        else %}{% set x = 2 %}{% endif %}``) is defined everywhere, and one guarded by ``is
        defined`` or ``default`` is never reported.""",
    fix="Use one of the variables Mojo passes, define the name with ``{% set %}``, or add "
    "it to ``variables`` in the configuration.",
    example="applications:\n  nrpe:\n    charm: nrpe\n    channel: {{ nrpe_channel }}\n",
)
RENDER_ERROR = register(
    "LSM005",
    "render-error",
    severity="error",
    summary="The template fails while it renders for a stage.",
    description="""The template compiles but raises an error when rendered for a stage,
        for example a filter or an operator applied to a value of the wrong type.""",
    fix="Fix the expression on that line for the stages listed.",
    example='series: {{ "%d" % series }}\napplications: {}\n',
)
ALIAS_BOMB = register(
    "LSM006",
    "alias-bomb",
    severity="error",
    summary="YAML aliases expand the document past a safe size, or refer to themselves.",
    description="""Nested aliases can expand exponentially (a "billion laughs" file):
        loaders that expand them run out of memory. An alias inside the node it refers to
        (``&a [*a]``) never ends. The linter measures the expanded size without expanding
        anything.""",
    fix="Write the values out instead of nesting aliases.",
    example='a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    + "".join(
        f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, "
        f"*{prev}, *{prev}, *{prev}]\n"
        for prev, name in zip("abcde", "bcdef", strict=True)
    ),
)
UNREADABLE = register(
    "LSM007",
    "unreadable-file",
    severity="error",
    summary="The file is not UTF-8 text, or holds control characters.",
    description="""Bundles and manifests are UTF-8 text. Binary data, another encoding, or
        control characters (which YAML forbids) stop Mojo and Juju.""",
    fix="Save the file as UTF-8 and remove the control characters.",
    example="applications:\n  nrpe:\n    charm: nrpe\x07\n",
)


def decode(data: bytes) -> tuple[str | None, list[Problem]]:
    """The text of a file's bytes, or why it is not UTF-8 text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode("utf-8", "replace")
        line, column = line_column(prefix, len(prefix))
        byte = data[error.start]
        return None, [
            Problem(
                code=UNREADABLE.code,
                message=f"the file is not UTF-8 text (byte 0x{byte:02x} at offset {error.start})",
                line=line,
                column=column,
            )
        ]
    return text.removeprefix("\ufeff"), []


def has_jinja(text: str) -> bool:
    """Whether ``text`` holds any Jinja2 syntax (``{{``, ``{%`` or ``{#``)."""
    return "{{" in text or "{%" in text or "{#" in text


class Plain:
    """A template compiled once, without position markers, for the fast path.

    It is compiled as :class:`~lpsigning_mojo.bundle.template.Template`
    compiles its plain rendering, so it renders exactly the same text; the
    marked compilation that maps positions back is only paid for when a
    finding needs it. Text without any Jinja2 syntax renders as itself (with
    Jinja2's newlines), so for it Jinja2 is not even imported, and positions
    need no map.

    Undefined names are judged by this rendering, stage by stage (see
    :mod:`lpsigning_mojo.lint.undefined`); ``known`` names the variables Mojo
    passes, for messages.
    """

    def __init__(
        self, text: str, path: str, compiled: Any | None, known: Collection[str] = ()
    ) -> None:
        self.text = text
        self.path = path
        self.compiled = compiled
        self.known = tuple(sorted(known))

    @property
    def templated(self) -> bool:
        """Whether the text holds Jinja2 syntax (else it renders as itself)."""
        return self.compiled is not None

    def render(self, variables: Mapping[str, object]) -> tuple[str | None, list[Problem]]:
        """The text rendered with ``variables``, or why it failed (every undefined use)."""
        if self.compiled is None:
            return LINE_BREAK.sub("\n", self.text), []
        with undefined.Recording() as touched:
            try:
                text = self.compiled.render(variables)
            except Exception as error:  # Jinja2 raises many kinds; each becomes one finding
                if touched:  # most likely a consequence of the undefined value
                    return None, self._undefined(touched)
                return None, [self._failure(error)]
        if touched:
            return None, self._undefined(touched)
        return text, []

    def _failure(self, error: Exception) -> Problem:
        # Private on purpose: the same sentence Template gives for the same error.
        from lpsigning_mojo.bundle.template import _template_error

        failure = _template_error(error, self.path)
        return Problem(
            code=RENDER_ERROR.code, message=failure.message, line=failure.line or 1, column=1
        )

    def _undefined(self, touched: undefined.Touched) -> list[Problem]:
        return [
            Problem(code=UNDEFINED_VARIABLE.code, message=message, line=line, column=column)
            for message, line, column in undefined.places(touched, self.text, self.known)
        ]


def compile_template(
    text: str, path: str, known: Collection[str]
) -> tuple[Plain | None, list[Problem]]:
    """Compile ``text``; problems for control characters and Jinja2 syntax errors.

    ``known`` are the variables Mojo passes (named in messages about
    undefined ones, which :meth:`Plain.render` finds per stage).
    """
    bad = control_character(text)
    if bad is not None:
        index, message = bad
        line, column = line_column(text, index)
        return None, [Problem(code=UNREADABLE.code, line=line, column=column, message=message)]
    if not has_jinja(text):
        return Plain(text, path, None, known), []
    import jinja2

    # Private on purpose: the fast path must compile exactly as Template does.
    from lpsigning_mojo.bundle.template import _PLAIN, COMPILE_LIMITS, compile_error

    try:
        code = _PLAIN.compile(text, name=path, filename=path)
    except (jinja2.TemplateSyntaxError, *COMPILE_LIMITS) as error:
        failure = compile_error(error, path)
        return None, [
            Problem(
                code=JINJA_SYNTAX.code,
                line=failure.line or 1,
                column=1,
                message=failure.message,
            )
        ]
    environment = undefined.environment()
    compiled = jinja2.Template.from_code(environment, code, environment.make_globals(None), None)
    return Plain(text, path, compiled, known), []


_FAULT_CODES = {
    "syntax": YAML_SYNTAX.code,
    "character": UNREADABLE.code,
    "expansion": ALIAS_BOMB.code,
}


def compose_bundle(text: str) -> tuple[list[yaml.Node] | None, list[Problem]]:
    """The YAML documents of a rendered bundle (empty ones skipped), or why they do not parse.

    Aliases are allowed within bounds (:func:`lpsigning_mojo.yamlnodes.compose`);
    every duplicate key is a problem, and does not stop the checks.
    """
    try:
        documents = compose(text, aliases="bounded")
    except ComposeError as fault:
        message = fault.message if fault.kind == "expansion" else f"YAML: {fault.message}"
        problem = Problem(
            code=_FAULT_CODES[fault.kind],
            message=message,
            line=fault.line or 1,
            column=fault.column or 1,
        )
        return None, [problem]
    problems = [
        at_node(
            DUPLICATE_KEY.code,
            key,
            f"duplicate key {key.value!r} (first at line {{line}}); "
            "YAML loaders silently keep only the last one",
            related=first,
        )
        for document in documents
        for key, first in duplicate_keys(document)
    ]
    return documents, problems
