"""Undefined template names, judged stage by stage by rendering (rule LSM004).

Jinja2's static ``find_undeclared_variables`` cannot tell that a name set on
every branch of an ``{% if %}`` is always defined, so the runner judges names
by rendering each stage, a rendering it makes anyway: the template runs in
:func:`environment`, whose ``Undefined`` records each use of an undefined
value, with the template line that made it, and lets the rendering go on
(where Mojo's strict rendering would stop at the first). :class:`Recording`
collects the uses of one rendering; :func:`places` turns them into messages
and positions. Uses that are guarded (``is defined``, ``default``) record
nothing, and a branch no stage renders is never judged.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Collection, Iterator
from typing import Any

from lpsigning_mojo.yamlnodes import LINE_BREAK

__all__ = ["Recording", "Touched", "environment", "places"]

#: The undefined values a rendering touched: (name, Jinja's message, a variable?, line).
Touched = list[tuple[str, str, bool, int]]
#: The recordings under way, innermost last. Linting renders in one thread; a plain
#: list (rather than a ContextVar) keeps the hook's import light.
_RECORDINGS: list[Touched] = []


class Recording:
    """``with Recording() as touched:``, the undefined values a rendering uses go to ``touched``."""

    def __init__(self) -> None:
        self.touched: Touched = []

    def __enter__(self) -> Touched:
        _RECORDINGS.append(self.touched)
        return self.touched

    def __exit__(self, *exc_info: object) -> None:
        _RECORDINGS.pop()  # with-blocks nest, so this one is the last


def places(touched: Touched, text: str, known: Collection[str]) -> list[tuple[str, int, int]]:
    """(message, line, column) of each place that used an undefined value, once each.

    ``known`` are the variables Mojo passes, named in the message about an
    undefined variable.
    """
    lines = LINE_BREAK.split(text)
    found: dict[tuple[str, int], tuple[str, int, int]] = {}
    for name, message, variable, line in touched:
        if (name, line) in found:
            continue
        line_text = lines[line - 1] if 0 < line <= len(lines) else ""
        if variable:
            message = (
                f"undefined template variable {name!r} (Mojo passes: {', '.join(sorted(known))})"
            )
        else:
            message = f"undefined template value: {message}"
        found[name, line] = (message, line, _name_column(line_text, name, attribute=not variable))
    return list(found.values())


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    """Template's plain environment, with an ``Undefined`` that records where it is used.

    Every use that Jinja2's ``StrictUndefined`` refuses (printing, iterating,
    testing, comparing, arithmetic, attributes, calls) is recorded with the
    template line that made it, and gives an empty, false value, so the
    rendering goes on; ``is defined`` and ``default`` record nothing.
    """
    import jinja2
    from jinja2.utils import missing

    from lpsigning_mojo.bundle.template import _PLAIN

    class Recorded(jinja2.Undefined):
        __slots__ = ()

        def _record(self) -> None:
            if not _RECORDINGS:
                return
            touched = _RECORDINGS[-1]
            frame = sys._getframe(1)
            while frame is not None and "__jinja_template__" not in frame.f_globals:
                frame = frame.f_back  # type: ignore[assignment]
            line = 1
            if frame is not None:
                template = frame.f_globals["__jinja_template__"]
                line = template.get_corresponding_lineno(frame.f_lineno)
            name = str(self._undefined_name)
            variable = self._undefined_obj is missing and not self._undefined_hint
            touched.append((name, self._undefined_message, variable, line))

        def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
            self._record()
            return self

        def __getattr__(self, name: str) -> Any:
            if name[:2] == "__" and name[-2:] == "__":
                raise AttributeError(name)
            self._record()
            return self

        __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
        __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
        __truediv__ = __rtruediv__ = _fail_with_undefined_error
        __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
        __mod__ = __rmod__ = _fail_with_undefined_error
        __pos__ = __neg__ = _fail_with_undefined_error
        __call__ = __getitem__ = _fail_with_undefined_error
        __lt__ = __le__ = __gt__ = __ge__ = _fail_with_undefined_error
        __pow__ = __rpow__ = _fail_with_undefined_error

        def __int__(self) -> int:  # type: ignore[override]
            self._record()
            return 0

        def __float__(self) -> float:  # type: ignore[override]
            self._record()
            return 0.0

        def __str__(self) -> str:
            self._record()
            return ""

        def __len__(self) -> int:
            self._record()
            return 0

        def __iter__(self) -> Iterator[Any]:
            self._record()
            return iter(())

        def __bool__(self) -> bool:
            self._record()
            return False

        def __eq__(self, other: object) -> bool:
            self._record()
            return type(self) is type(other)

        def __ne__(self, other: object) -> bool:
            self._record()
            return type(self) is not type(other)

        def __hash__(self) -> int:
            return id(type(self))

        def __contains__(self, item: object) -> bool:
            self._record()
            return False

    return _PLAIN.overlay(undefined=Recorded)


def _name_column(line_text: str, name: str, *, attribute: bool = False) -> int:
    before = r"(?<=[.\[\s'\"])" if attribute else r"(?<![\w.])"
    for match in re.finditer(rf"{before}{re.escape(name)}(?!\w)", line_text):
        opener = max(
            line_text.rfind("{{", 0, match.start()), line_text.rfind("{%", 0, match.start())
        )
        if opener >= 0:
            return match.start() + 1
    return 1
