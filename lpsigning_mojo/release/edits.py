"""An edit of the bundle template file: made under the file's lock, or shown (``--dry-run``).

The edit itself is pure (:mod:`lpsigning_mojo.bundle.edit`: the new text, every
stage checked); writing it is :func:`lpsigning_mojo.files.edit_text`'s. This
module joins them for ``lpsigning-mojo bundle set-revision``, ``set-channel``
and ``set-option``, and for scripts that do the same: :func:`edit_template`
computes the edit from the file's text while it holds the lock, so an edit
made meanwhile by another process is never lost and nothing is reported as
changed that is not in the file. :class:`TemplateEdit` is what it did.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import attrs

from lpsigning_mojo.bundle import EditResult
from lpsigning_mojo.clock import Clock
from lpsigning_mojo.files import edit_text, read_text
from lpsigning_mojo.release.revisions import RevisionBump, RevisionChoice

__all__ = ["Compute", "TemplateEdit", "edit_template"]

#: Computes the edit from the file's text: an edit, or a revision bump (the revision chosen too).
Compute = Callable[[str], EditResult | RevisionBump]


@attrs.frozen(kw_only=True)
class TemplateEdit:
    """An edit of a bundle template file: ``written`` to it, or shown only (``dry_run``).

    ``notes`` are sentences a person should see (a link followed, an owner
    that could not be kept); ``choice`` is the revision chosen, for a
    revision bump.
    """

    edit: EditResult
    dry_run: bool
    written: bool
    notes: tuple[str, ...] = ()
    choice: RevisionChoice | None = None

    def to_json(self) -> dict[str, object]:
        """``bundle set-*`` with ``--format json``: the edit's keys (see
        :meth:`EditResult.to_json <lpsigning_mojo.bundle.EditResult.to_json>`), then
        ``dry_run``, ``written``, ``notes`` and ``chosen`` (the revision chosen and how,
        ``null`` but for ``set-revision``)."""
        return {
            **self.edit.to_json(),
            "dry_run": self.dry_run,
            "written": self.written,
            "notes": list(self.notes),
            "chosen": None if self.choice is None else self.choice.to_json(),
        }


def _split(result: EditResult | RevisionBump) -> tuple[EditResult, RevisionChoice | None]:
    if isinstance(result, RevisionBump):
        return result.edit, result.choice
    return result, None


def edit_template(
    path: str | os.PathLike[str],
    compute: Compute,
    *,
    dry_run: bool = False,
    clock: Clock | None = None,
) -> TemplateEdit:
    """Edit the template at ``path`` with ``compute(text)``; write it unless ``dry_run``.

    Unless ``dry_run``, the whole read, edit and write happens under the
    file's lock (:func:`~lpsigning_mojo.files.edit_text`). Nothing is written
    when the value is already set (``edit.changed`` is false).
    """
    if dry_run:
        edit, choice = _split(compute(read_text(path)))
        return TemplateEdit(edit=edit, dry_run=True, written=False, choice=choice)
    seen: list[EditResult | RevisionBump] = []

    def change(text: str) -> str | None:
        result = compute(text)
        seen.append(result)
        edit, _ = _split(result)
        return edit.text if edit.changed else None

    edited = edit_text(path, change, clock=clock)
    edit, choice = _split(seen[-1])
    return TemplateEdit(
        edit=edit, dry_run=False, written=edited.changed, notes=edited.notes, choice=choice
    )
