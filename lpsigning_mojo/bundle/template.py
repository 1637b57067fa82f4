"""Render a Jinja2 bundle template for a stage, and map rendered text back.

Mojo renders ``bundle.yaml`` with Jinja2 before ``juju deploy``. To point a
person (or an edit) at the template line behind a rendered value, the
template is compiled twice: once as written, and once with markers woven
into its token stream. Each piece of literal text is prefixed with the
offset it has in the template; the output of each ``{{ expression }}`` is
wrapped, line by line, in a marker naming the expression. Reading the
markers off a rendered line says, for every character, whether it was
copied from the template (and from where) or computed. The marked output,
stripped of its markers, must equal the plain output; when it does not (a
filter that measures or rewrites text), mapping is reported as unavailable
rather than guessed.

Whitespace control (``{%-``, ``-%}``) is applied by Jinja's lexer before
the markers go in, so markers never change what is stripped.
"""

from __future__ import annotations

import dataclasses
import re
import traceback
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import jinja2
import jinja2.lexer
from jinja2 import nodes
from jinja2.lexer import TokenStream

from lpsigning_mojo.errors import BundleError, TemplateError, YamlError
from lpsigning_mojo.yamlnodes import LINE_BREAK, control_character

if TYPE_CHECKING:
    from lpsigning_mojo.bundle.model import Bundle

__all__ = [
    "COMPILE_LIMITS",
    "Origin",
    "Rendered",
    "Template",
    "compile_error",
    "error_in_template",
    "render_bundle",
]

_DATA_OPEN, _DATA_CLOSE = "\x00", "\x01"
_EXPR_OPEN, _EXPR_CLOSE, _EXPR_END = "\x02", "\x03", "\x04"
_MARKER_RE = re.compile("\x00[0-9]+\x01|\x02[0-9]+\x03|\x04")
_MARK_FILTER = "__lpsigning_mojo_mark__"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Origin:
    """Where a rendered character came from in the template.

    ``kind`` is ``"data"`` for text copied from the template as written, and
    ``"expression"`` for the output of a ``{{ ... }}`` (computed: not editable
    in place). ``line`` and ``column`` are 1-based; ``offset`` is 0-based in
    the template with line endings counted as one character.
    """

    kind: Literal["data", "expression"]
    line: int
    column: int
    offset: int
    #: Where the run of copied text holding this character starts (for an
    #: expression, where the expression starts); see :meth:`Rendered.copies`.
    run_start: int = -1


def _mark_filter(value: object, offset: int) -> str:
    text = str(value)
    opener = f"{_EXPR_OPEN}{offset}{_EXPR_CLOSE}"
    return opener + text.replace("\n", f"{_EXPR_END}\n{opener}") + _EXPR_END


class _MarkingEnvironment(jinja2.Environment):
    """An environment whose token stream carries source-position markers."""

    def _tokenize(
        self,
        source: str,
        name: str | None,
        filename: str | None = None,
        state: str | None = None,
    ) -> TokenStream:
        normalized = "\n".join(LINE_BREAK.split(source))
        raw = list(self.lexer.tokeniter(source, name, filename, state))
        marked = list(_mark_tokens(raw, normalized))
        # Jinja's own _tokenize then lets each extension filter the stream: none is loaded here.
        return TokenStream(self.lexer.wrap(iter(marked), name, filename), name, filename)


def _mark_tokens(raw: list[tuple[int, str, str]], source: str) -> Iterator[tuple[int, str, str]]:
    cursor = 0
    pending: list[int] = []  # offsets of the open ``{{``
    for lineno, kind, value in raw:
        found = source.find(value, cursor)
        if found < 0 or (found > cursor and not source[cursor:found].isspace()):
            raise TemplateError("cannot follow the template's tokens to map its lines")
        offset, cursor = found, found + len(value)
        if kind == "data":
            pieces = value.split("\n")
            out: list[str] = []
            position = offset
            for piece in pieces:
                out.append(f"{_DATA_OPEN}{position}{_DATA_CLOSE}{piece}" if piece else "")
                position += len(piece) + 1
            yield lineno, kind, "\n".join(out)
        elif kind == "variable_begin":
            yield lineno, kind, value
            yield lineno, "operator", "("
            pending.append(offset)
        elif kind == "variable_end":
            yield lineno, "operator", ")"
            yield lineno, "operator", "|"
            yield lineno, "name", _MARK_FILTER
            yield lineno, "operator", "("
            yield lineno, "integer", str(pending.pop())  # the lexer pairs {{ with }}
            yield lineno, "operator", ")"
            yield lineno, kind, value
        else:
            yield lineno, kind, value


def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    plain = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - renders YAML, not HTML
        keep_trailing_newline=True,
    )
    marking = _MarkingEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    marking.filters[_MARK_FILTER] = _mark_filter
    return plain, marking


_PLAIN, _MARKING = _environments()


#: What compiling a template can raise besides Jinja2's own syntax errors: a
#: template nested deeper than Jinja2's recursive parser, or than Python's
#: compiler (at most 20 nested blocks), can compile.
COMPILE_LIMITS = (RecursionError, SyntaxError)


def compile_error(error: Exception, path: str | None) -> TemplateError:
    """The sentence for an error compiling a template (a Jinja2 syntax error, or a limit)."""
    if isinstance(error, COMPILE_LIMITS):
        # Python's own message names a line of the generated code, not of the template.
        reason = error.msg if isinstance(error, SyntaxError) else "Python's recursion limit"
        return TemplateError(
            f"the template nests blocks or expressions deeper than Jinja2 can compile ({reason})",
            path=path,
            hint="flatten the nested blocks or expressions",
        )
    return _template_error(error, path)


def _template_error(error: Exception, path: str | None) -> TemplateError:
    line: int | None = getattr(error, "lineno", None)
    if isinstance(error, jinja2.TemplateSyntaxError):
        return TemplateError(
            f"Jinja2 syntax error: {error.message}",
            path=path,
            line=line,
            hint="fix the template syntax",
        )
    if line is None:
        frames = traceback.extract_tb(error.__traceback__)
        for frame in reversed(frames):
            if frame.filename == (path or "<template>"):
                line = frame.lineno
                break
    if isinstance(error, jinja2.UndefinedError):
        return TemplateError(
            f"undefined template variable: {error.message}",
            path=path,
            line=line,
            hint="define it (Mojo passes stage_name, series and local_dir) or guard its use",
        )
    return TemplateError(
        f"the template failed to render: {type(error).__name__}: {error}", path=path, line=line
    )


# Constructs whose output can reach a filter, a comparison or a captured
# variable, where markers inside the text could change the result. Templates
# that use them are also rendered plainly, and the two renderings compared.
_TEXT_CAPTURING = (nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.AssignBlock)


@lru_cache(maxsize=16)
def _compile(
    source: str, path: str | None
) -> tuple[jinja2.Template | None, jinja2.Template | None]:
    """(plain, marked) compiled templates; plain is None when marked output suffices."""
    name = path or "<template>"
    marked = None
    try:
        marked_ast = _MARKING.parse(source, name=name, filename=name)
        code = _MARKING.compile(marked_ast, name=name, filename=name)
        marked = jinja2.Template.from_code(_MARKING, code, _MARKING.make_globals(None), None)
        if next(marked_ast.find_all(_TEXT_CAPTURING), None) is None:
            return None, marked
    except (jinja2.TemplateSyntaxError, TemplateError, *COMPILE_LIMITS):
        marked = None  # the plain compilation below reports it, in Jinja's own words
    try:
        plain_code = _PLAIN.compile(source, name=name, filename=name)
    except (jinja2.TemplateSyntaxError, *COMPILE_LIMITS) as error:
        raise compile_error(error, path) from None
    plain = jinja2.Template.from_code(_PLAIN, plain_code, _PLAIN.make_globals(None), None)
    return plain, marked


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Template:
    """A bundle template, compiled once and rendered per stage.

    Build it with :meth:`from_text`; a Jinja2 syntax error is raised then, as
    a :class:`~lpsigning_mojo.errors.TemplateError` naming the line.
    """

    text: str
    path: str | None = None
    _plain: jinja2.Template | None = dataclasses.field(repr=False)
    _marked: jinja2.Template | None = dataclasses.field(repr=False)
    _line_starts: tuple[int, ...] = dataclasses.field(repr=False)

    @classmethod
    def from_text(cls, text: str, *, path: str | None = None) -> Template:
        """Parse and compile ``text``; ``path`` is used in messages only."""
        bad = control_character(text)
        if bad is not None:
            index, message = bad
            line = text[:index].count("\n") + 1
            raise TemplateError(message, path=path, line=line, hint="remove it")
        plain, marked = _compile(text, path)
        starts = [0]
        for line_text in LINE_BREAK.split(text)[:-1]:
            starts.append(starts[-1] + len(line_text) + 1)
        return cls(
            text=text,
            path=path,
            _plain=plain,
            _marked=marked,
            _line_starts=tuple(starts),
        )

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a template offset."""
        low, high = 0, len(self._line_starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._line_starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1, offset - self._line_starts[low] + 1

    def render(self, variables: Mapping[str, object]) -> Rendered:
        """Render with ``variables`` (see :func:`~lpsigning_mojo.mojospec.mojo_variables`)."""
        try:
            if self._plain is None:
                assert self._marked is not None
                marked: str | None = self._marked.render(variables)
                assert marked is not None
                return Rendered(text=_MARKER_RE.sub("", marked), template=self, marked=marked)
            text = self._plain.render(variables)
        except Exception as error:  # Jinja2 raises many kinds; all become one sentence
            raise _template_error(error, self.path) from None
        marked = None
        if self._marked is not None:
            try:
                marked = self._marked.render(variables)
            except Exception:
                marked = None
            if marked is not None and _MARKER_RE.sub("", marked) != text:
                marked = None
        return Rendered(text=text, template=self, marked=marked)


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Rendered:
    """One rendering of a :class:`Template`, with its map back to the template."""

    text: str
    template: Template
    marked: str | None = dataclasses.field(default=None, repr=False)
    _marked_lines: list[str] = dataclasses.field(default_factory=list, repr=False)
    _text_lines: list[str] = dataclasses.field(default_factory=list, repr=False)

    @property
    def mapped(self) -> bool:
        """Whether rendered positions can be traced to the template."""
        return self.marked is not None

    def _line(self, line: int) -> str | None:
        if self.marked is None:
            return None
        if not self._marked_lines:
            self._marked_lines.extend(self.marked.split("\n"))
        if 1 <= line <= len(self._marked_lines):
            return self._marked_lines[line - 1]
        return None

    def origins(self, line: int) -> list[Origin | None]:
        """The origin of each character of rendered ``line`` (1-based)."""
        marked = self._line(line)
        if marked is None:
            return []
        result: list[Origin | None] = []
        data: int | None = None
        run = -1
        expression: int | None = None
        depth = 0
        position = 0
        for match in _MARKER_RE.finditer(marked):
            for char_index in range(match.start() - position):
                result.append(self._origin(data, run, expression, char_index))
            # Every marker starts copied text anew, or an expression (whose output has
            # its own origin), or ends one (after which nothing is copied until the next).
            position = match.end()
            token = match.group()
            if token[0] == _DATA_OPEN:
                data = run = int(token[1:-1])
            elif token[0] == _EXPR_OPEN:
                if depth == 0:
                    expression = int(token[1:-1])
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    expression = None
                data = None
        for char_index in range(len(marked) - position):
            result.append(self._origin(data, run, expression, char_index))
        return result

    def _origin(
        self, data: int | None, run: int, expression: int | None, index: int
    ) -> Origin | None:
        if expression is not None:
            line, column = self.template.position(expression)
            return Origin(
                kind="expression",
                line=line,
                column=column,
                offset=expression,
                run_start=expression,
            )
        if data is None:
            return None
        offset = data + index
        line, column = self.template.position(offset)
        return Origin(kind="data", line=line, column=column, offset=offset, run_start=run)

    def origin(self, line: int, column: int) -> Origin | None:
        """The origin of the character at rendered ``line``, ``column`` (1-based)."""
        origins = self.origins(line)
        if 1 <= column <= len(origins):
            return origins[column - 1]
        return None

    def place(self, line: int, column: int) -> tuple[int, int | None] | None:
        """The template (line, column) to show for rendered ``line``:``column`` (1-based).

        The one map from a rendered position (a YAML error, a lint finding)
        back to the template. The character's own origin when it has one;
        else the nearest character of the line before it (counting on, for
        copied text) or after it. A rendered line that copies nothing (a
        blank line, the end of the text) counts on, line by line, from the
        nearest line above that does, with no column. ``None`` when nothing
        can be traced (a rendering that cannot be mapped and differs from
        the template).
        """
        if not self.mapped:
            return (line, column) if self.text == self.template.text else None
        origins = self.origins(line)
        if 1 <= column <= len(origins):
            found = origins[column - 1]
            if found is not None:
                return found.line, found.column
        for index in range(min(column, len(origins) + 1) - 1, 0, -1):
            before = origins[index - 1]
            if before is not None:
                shift = column - index if before.kind == "data" else 0
                return before.line, before.column + shift
        for after in origins:
            if after is not None:
                return after.line, after.column
        for above in range(line - 1, 0, -1):
            known = [origin for origin in self.origins(above) if origin is not None]
            if known:
                last_line = len(self.template._line_starts)
                return min(known[-1].line + line - above, last_line), None
        return None

    def template_line(self, line: int) -> int | None:
        """The template line that wrote the first non-blank character of ``line``."""
        for origin in self.origins(line):
            if origin is not None:
                return origin.line
        return None

    def line_text(self, line: int) -> str:
        """Rendered ``line`` (1-based), without its newline."""
        if not self._text_lines:
            self._text_lines.extend(self.text.split("\n"))
        return self._text_lines[line - 1] if 1 <= line <= len(self._text_lines) else ""

    def copies(self, run_start: int) -> list[int]:
        """Where, in the marked text, the run of copied text at ``run_start`` begins.

        More than one place means a loop or macro repeats it, so an edit
        there would change several rendered values.
        """
        if self.marked is None:
            return []
        marker = f"{_DATA_OPEN}{run_start}{_DATA_CLOSE}"
        found: list[int] = []
        at = self.marked.find(marker)
        while at >= 0:
            found.append(at + len(marker))
            at = self.marked.find(marker, at + 1)
        return found

    def splice(self, run_start: int, offset: int, old: str, new: str) -> str | None:
        """The rendered text with the template's ``old`` at ``offset`` written as ``new``.

        ``None`` when this rendering does not copy that text, or copies it
        more than once, or not whole.
        """
        places = self.copies(run_start)
        if len(places) != 1 or self.marked is None:
            return None
        at = places[0] + offset - run_start
        if self.marked[at : at + len(old)] != old:
            return None
        marked = self.marked[:at] + new + self.marked[at + len(old) :]
        return _MARKER_RE.sub("", marked)

    def data_offsets(self) -> Iterator[tuple[int, int]]:
        """The (start, end) template offsets of every piece of copied text."""
        if self.marked is None:
            return
        for match in re.finditer("\x00([0-9]+)\x01([^\x00-\x04\n]*)", self.marked):
            start = int(match.group(1))
            yield start, start + len(match.group(2))


def render_bundle(
    template: Template, stage: str, variables: Mapping[str, object] | None = None
) -> tuple[Rendered, Bundle]:
    """Render ``template`` for ``stage`` as Mojo does and read the bundle, errors pointing at
    the template."""
    from lpsigning_mojo.bundle.model import Bundle  # attrs and the model: not on the lint path
    from lpsigning_mojo.mojospec.variables import mojo_variables

    rendered = template.render(mojo_variables(stage, extra=variables))
    try:
        bundle = Bundle.from_text(rendered.text, source=template.path)
    except YamlError as error:
        raise error_in_template(error, rendered, stage) from None
    return rendered, bundle


def error_in_template(error: BundleError, rendered: Rendered, stage: str) -> BundleError:
    """``error``, found in the bundle ``rendered`` for ``stage``, placed in the template."""
    placed = rendered.place(error.line, error.column or 1) if error.line else None
    if placed is None and error.line is not None:
        # The line came from nowhere in the template (computed); say where it was rendered.
        message = f"{error.message} (line {error.line} of the bundle rendered for {stage})"
        return type(error)(message, path=rendered.template.path, hint=error.hint)
    message = error.message
    related = getattr(error, "related_line", None)
    if related is not None:
        mapped = rendered.place(related, 1)
        if mapped is not None:
            message = message.replace(f"at line {related}", f"at line {mapped[0]}")
    line, column = placed if placed is not None else (None, None)
    return type(error)(
        f"{message} (stage {stage})",
        path=rendered.template.path,
        line=line,
        column=column if error.column else None,
        hint=error.hint,
    )
