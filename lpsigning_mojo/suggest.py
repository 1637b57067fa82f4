""" "Did you mean ...?": the one place that suggests a name for a mistyped one.

Every message about an unknown name (a command, an instance, an
application, a bundle key, a manifest phase, a configuration key) ends its
sentence with :func:`did_you_mean`, so a suggestion reads the same
everywhere. This module imports nothing of the package: anything may use it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]

#: How alike a name must be (``difflib``'s ratio) to be suggested.
CUTOFF = 0.6


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The name among ``choices`` most like ``word``, or ``None`` when none is close.

    A choice that differs from ``word`` only in letter case wins outright,
    then the one choice that ``word`` begins (``prod`` for ``production``),
    then the most alike by :mod:`difflib`'s measure.
    """
    import difflib

    names = sorted(set(choices))
    folded = word.casefold()
    for name in names:
        if name.casefold() == folded:
            return name
    starting = [name for name in names if folded and name.casefold().startswith(folded)]
    if len(starting) == 1:
        return starting[0]
    close = difflib.get_close_matches(word, names, n=1, cutoff=CUTOFF)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the choice closest to ``word``, or ``""``.

    Written to end the sentence that names ``word``:
    ``f"there is no instance called {name!r}{did_you_mean(name, names)}"``.
    """
    name = closest(word, choices)
    return f" (did you mean {name!r}?)" if name is not None else ""
