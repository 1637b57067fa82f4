"""A semantic diff of two bundles, and what kind of change it is.

The runbook lets a change that only bumps charm revisions and/or sets
``build_label`` be pushed without a merge proposal;
:attr:`BundleDiff.release_only` says whether a change is of that kind. A
``build_label`` counts only when it names a build to release
(:func:`lpsigning_mojo.policy.release_build_label`: a full commit id in a
production stage), and a revision only when one is pinned.

:func:`diff_templates` renders two versions of a template for a stage and
compares them (``lpsigning-mojo bundle diff``); :func:`unified_diff` is the
text diff of two versions, as ``git diff`` and the edit commands show it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from lpsigning_mojo.bundle.model import Application, Bundle
from lpsigning_mojo.policy import release_build_label
from lpsigning_mojo.yamlnodes import split_lines

__all__ = [
    "RELEASE_FIELDS",
    "BundleDiff",
    "FieldChange",
    "diff_bundles",
    "diff_templates",
    "unified_diff",
    "unified_diff_lines",
]

#: Fields whose change alone makes a release-only change.
RELEASE_FIELDS = frozenset({"revision", "options.build_label"})

_APPLICATION_FIELDS = (
    "charm",
    "channel",
    "revision",
    "series",
    "base",
    "num_units",
    "scale",
    "to",
    "expose",
    "exposed_endpoints",
    "constraints",
    "resources",
    "annotations",
    "bindings",
    "storage",
    "trust",
)
_BUNDLE_FIELDS = ("series", "default_base", "saas", "bundle_type", "name", "description", "tags")


@attrs.frozen(kw_only=True)
class FieldChange:
    """One value that differs: ``application`` is None for bundle-level fields."""

    application: str | None
    field: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, object]:
        """``application`` (``null`` outside the applications), ``field``, ``old``, ``new``."""
        return {
            "application": self.application,
            "field": self.field,
            "old": self.old,
            "new": self.new,
        }

    def describe(self) -> str:
        """A line for people: ``lp-signing revision: 87 -> 88``."""
        where = f"{self.application} " if self.application else ""
        return f"{where}{self.field}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any) -> str:
    return "(unset)" if value is None else repr(value) if isinstance(value, str) else str(value)


@attrs.frozen(kw_only=True)
class BundleDiff:
    """What changed between two bundles (rendered for a production stage, if ``production``).

    ``stage`` is the stage both were rendered for, when known
    (:func:`diff_templates` sets it).
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changes: tuple[FieldChange, ...] = ()
    production: bool = False
    stage: str | None = None

    @property
    def empty(self) -> bool:
        """Whether the bundles are the same."""
        return not (self.added or self.removed or self.changes)

    @property
    def release_only(self) -> bool:
        """Only charm revisions and/or ``build_label`` changed (and something did), to
        values a release may set: a pinned revision, a valid ``build_label``."""
        return (
            not self.empty
            and not self.added
            and not self.removed
            and all(
                change.application is not None
                and change.field in RELEASE_FIELDS
                and self._releasable(change)
                for change in self.changes
            )
        )

    def _releasable(self, change: FieldChange) -> bool:
        if change.field == "revision":
            return isinstance(change.new, int) and not isinstance(change.new, bool)
        return release_build_label(change.new, production=self.production)

    @property
    def invalid_build_labels(self) -> tuple[FieldChange, ...]:
        """The ``build_label`` changes to a value no release may set (see :attr:`release_only`)."""
        return tuple(
            change
            for change in self.changes
            if change.field == "options.build_label"
            and not release_build_label(change.new, production=self.production)
        )

    @property
    def classification(self) -> str:
        """``"no change"``, ``"release only"`` or ``"other changes"``."""
        if self.empty:
            return "no change"
        return "release only" if self.release_only else "other changes"

    def lines(self) -> list[str]:
        """The diff as lines for people: ``+``/``-`` an application, ``~`` a changed value."""
        return [
            *(f"+ application {name}" for name in self.added),
            *(f"- application {name}" for name in self.removed),
            *(f"~ {change.describe()}" for change in self.changes),
        ]

    def to_json(self) -> dict[str, Any]:
        """The diff for ``--format json`` (``bundle diff``; each stage of ``log``).

        ``invalid_build_labels`` are the changes of :attr:`invalid_build_labels`,
        the reason a change of ``build_label`` alone is not release only.
        """
        return {
            "stage": self.stage,
            "added": list(self.added),
            "removed": list(self.removed),
            "changes": [change.to_json() for change in self.changes],
            "classification": self.classification,
            "release_only": self.release_only,
            "invalid_build_labels": [change.to_json() for change in self.invalid_build_labels],
        }


def _application_changes(old: Application, new: Application) -> Iterator[FieldChange]:
    for field in _APPLICATION_FIELDS:
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            yield FieldChange(application=old.name, field=field, old=before, new=after)
    for key in sorted(set(old.options) | set(new.options)):
        before, after = old.options.get(key), new.options.get(key)
        if before != after or (key in old.options) != (key in new.options):
            yield FieldChange(application=old.name, field=f"options.{key}", old=before, new=after)
    for key in sorted(set(old.extra) | set(new.extra)):
        before, after = old.extra.get(key), new.extra.get(key)
        if before != after:
            yield FieldChange(application=old.name, field=key, old=before, new=after)


def _relations(bundle: Bundle) -> set[tuple[str, ...]]:
    return {tuple(sorted(relation.endpoints)) for relation in bundle.relations}


def diff_bundles(old: Bundle, new: Bundle, *, production: bool = False) -> BundleDiff:
    """The semantic difference from ``old`` to ``new``, both rendered for one stage.

    ``production`` says that stage is a production stage, where a release's
    ``build_label`` must be a full commit id.
    """
    added = tuple(sorted(set(new.applications) - set(old.applications)))
    removed = tuple(sorted(set(old.applications) - set(new.applications)))
    changes: list[FieldChange] = []
    for field in _BUNDLE_FIELDS:
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            changes.append(FieldChange(application=None, field=field, old=before, new=after))
    for name in sorted(set(old.applications) & set(new.applications)):
        changes.extend(_application_changes(old.applications[name], new.applications[name]))
    for machine in sorted(set(old.machines) | set(new.machines)):
        before_machine, after_machine = old.machines.get(machine), new.machines.get(machine)
        if before_machine != after_machine:
            changes.append(
                FieldChange(
                    application=None,
                    field=f"machines.{machine}",
                    old=None if before_machine is None else attrs.asdict(before_machine),
                    new=None if after_machine is None else attrs.asdict(after_machine),
                )
            )
    old_relations, new_relations = _relations(old), _relations(new)
    for relation in sorted(new_relations - old_relations):
        changes.append(
            FieldChange(application=None, field="relation", old=None, new=" <-> ".join(relation))
        )
    for relation in sorted(old_relations - new_relations):
        changes.append(
            FieldChange(application=None, field="relation", old=" <-> ".join(relation), new=None)
        )
    for key in sorted(set(old.extra) | set(new.extra)):
        if old.extra.get(key) != new.extra.get(key):
            changes.append(
                FieldChange(
                    application=None, field=key, old=old.extra.get(key), new=new.extra.get(key)
                )
            )
    return BundleDiff(added=added, removed=removed, changes=tuple(changes), production=production)


def diff_templates(
    old: str,
    new: str,
    *,
    stage: str,
    variables: Mapping[str, object] | None = None,
    production: bool = False,
    old_path: str | None = None,
    new_path: str | None = None,
) -> BundleDiff:
    """The semantic difference between two versions of a bundle template, for ``stage``.

    Both are rendered as Mojo renders them for ``stage`` (with
    ``variables``), read, and compared with :func:`diff_bundles`; errors name
    ``old_path`` or ``new_path``. ``production`` as for :func:`diff_bundles`.
    """
    from lpsigning_mojo.bundle.template import Template, render_bundle

    _, before = render_bundle(Template.from_text(old, path=old_path), stage, variables)
    _, after = render_bundle(Template.from_text(new, path=new_path), stage, variables)
    return attrs.evolve(diff_bundles(before, after, production=production), stage=stage)


def unified_diff_lines(old: str, new: str, *, path: str, context: int = 3) -> list[str]:
    """``old`` to ``new`` as the lines of a unified diff, without their endings.

    The files are ``a/PATH`` and ``b/PATH``, as ``git diff`` names them; a
    line is split at LF, CRLF or CR, as YAML splits it; a last line without
    an ending is followed by ``\\ No newline at end of file``, as in git.
    ``[]`` when the texts are the same.
    """
    import difflib

    lines: list[str] = []
    for line in difflib.unified_diff(
        split_lines(old),
        split_lines(new),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
        n=context,
    ):
        body = line.rstrip("\r\n")  # one ending at most: split_lines keeps exactly one
        lines.append(body)
        if body == line:  # the last line of a text that does not end in a line break
            lines.append("\\ No newline at end of file")
    return lines


def unified_diff(old: str, new: str, *, path: str, context: int = 3) -> str:
    """:func:`unified_diff_lines` as one text, each line ending in LF; ``""`` when the same."""
    return "".join(f"{line}\n" for line in unified_diff_lines(old, new, path=path, context=context))
