"""Where a position of a stage's rendering comes from in the template.

The runner checks the rendered text; these map its positions back to the
template, building the marked :class:`~lpsigning_mojo.bundle.template.Template`
only when a position is actually asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpsigning_mojo.errors import LpsigningMojoError

if TYPE_CHECKING:
    from lpsigning_mojo.bundle.template import Origin, Rendered, Template

__all__ = ["LazyTemplate", "Mapping", "place"]


def place(rendered: Rendered, line: int, column: int) -> tuple[int, int] | None:
    """The template (line, column) that wrote rendered ``line``:``column``."""
    if not rendered.mapped:
        return (line, column) if rendered.text == rendered.template.text else None
    origins = rendered.origins(line)
    if 1 <= column <= len(origins) and origins[column - 1] is not None:
        found = origins[column - 1]
        assert found is not None
        return found.line, found.column
    for index in range(min(column, len(origins) + 1) - 1, 0, -1):
        before = origins[index - 1]
        if before is not None:
            shift = column - index if before.kind == "data" else 0
            return before.line, before.column + shift
    for after in origins:
        if after is not None:
            return after.line, after.column
    for previous in range(line - 1, 0, -1):
        known = [origin for origin in rendered.origins(previous) if origin is not None]
        if known:
            return known[-1].line + 1, 1
    return None


class LazyTemplate:
    """The marked :class:`Template` of a file, compiled on first use, once."""

    def __init__(self, text: str, path: str) -> None:
        self.text, self.path = text, path
        self._template: Template | None = None

    def get(self) -> Template:
        if self._template is None:
            from lpsigning_mojo.bundle.template import Template

            self._template = Template.from_text(self.text, path=self.path)
        return self._template


class Mapping:
    """The map from one stage's rendering back to the template, built on first use.

    Most files are clean, and a clean stage never needs it: the marked
    compilation and rendering of :class:`~lpsigning_mojo.bundle.template.Template`
    are paid for only when a finding must be placed, or a check asks where a
    value came from. Text without Jinja2 syntax (``identity``) maps to itself.
    """

    def __init__(
        self,
        template: LazyTemplate,
        variables: dict[str, object],
        rendered_text: str,
        *,
        identity: bool = False,
    ) -> None:
        self.template, self.variables = template, variables
        self.text, self.rendered_text = template.text, rendered_text
        self.identity = identity
        self._rendered: Rendered | None = None
        self._tried = False

    def rendered(self) -> Rendered | None:
        if not self._tried:
            self._tried = True
            try:
                rendered = self.template.get().render(self.variables)
            except LpsigningMojoError:  # pragma: no cover - the plain rendering worked
                return None
            if rendered.text == self.rendered_text:
                self._rendered = rendered
        return self._rendered

    def origin(self, line: int, column: int) -> Origin | None:
        if self.identity:
            return None  # copied as written: nothing was computed
        rendered = self.rendered()
        return rendered.origin(line, column) if rendered is not None else None

    def place(self, line: int, column: int) -> tuple[int, int] | None:
        if not self.rendered_text.strip():  # nothing rendered: the start of the file
            return (1, 1)
        if self.identity:
            return (line, column)
        rendered = self.rendered()
        if rendered is None:
            return (line, column) if self.rendered_text == self.text else None
        return place(rendered, line, column)
