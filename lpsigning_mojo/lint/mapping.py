"""Where a position of a stage's rendering comes from in the template, on demand.

The runner checks the plainly rendered text; positions are mapped back to
the template by :meth:`~lpsigning_mojo.bundle.template.Rendered.place` (the
one map, which edits use too). Here that map is made lazily: the marked
:class:`~lpsigning_mojo.bundle.template.Template` is compiled, and each
stage rendered with it, only when a position is actually asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpsigning_mojo.errors import LpsigningMojoError

if TYPE_CHECKING:
    from lpsigning_mojo.bundle.template import Origin, Rendered, Template

__all__ = ["LazyRendering", "LazyTemplate"]


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


class LazyRendering:
    """One stage's marked rendering of a template, made on first use.

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
        """The marked rendering, when it renders the same text as the plain one."""
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
        """Where the rendered character came from, if that is known."""
        if self.identity:
            return None  # copied as written: nothing was computed
        rendered = self.rendered()
        return rendered.origin(line, column) if rendered is not None else None

    def place(self, line: int, column: int) -> tuple[int, int] | None:
        """The template (line, column) for rendered ``line``:``column``; see ``Rendered.place``."""
        if not self.rendered_text.strip():  # nothing rendered: the start of the file
            return (1, 1)
        if self.identity:
            return (line, column)
        rendered = self.rendered()
        if rendered is None:
            return (line, column) if self.rendered_text == self.text else None
        placed = rendered.place(line, column)
        if placed is None:
            return None
        return placed[0], placed[1] or 1
