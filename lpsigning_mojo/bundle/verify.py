"""After an edit: check every stage changed by exactly the edited value.

A replaced scalar is checked without compiling the edited template: each
stage's rendering is spliced where it copies the replaced characters, the
text outside the application's block must be byte for byte the same, and
the block, parsed alone, must equal the application before the edit with
the new value. Where that shortcut does not apply (an inserted line, or text
whose application blocks are not plain to see), the edited template is
rendered for every stage and the whole bundles are compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lpsigning_mojo.bundle.blocks import app_block
from lpsigning_mojo.bundle.model import Application, Bundle
from lpsigning_mojo.bundle.template import Rendered, Template
from lpsigning_mojo.errors import BundleError, EditError
from lpsigning_mojo.mojospec.variables import mojo_variables

__all__ = ["Check", "verify_insertion", "verify_replacement"]

Change = Callable[[Application], Application]


class Check:
    """What every verification needs: the edit, and the stages to check in order."""

    def __init__(
        self,
        template: Template,
        app: str,
        change: Change,
        *,
        stage: str,
        stages: Sequence[str],
        variables: Mapping[str, object] | None,
        what: str,
        line: int,
    ) -> None:
        self.template = template
        self.app = app
        self.change = change
        self.stage = stage
        self.stages = [stage, *(s for s in stages if s != stage)]
        self.variables = variables
        self.what = what
        self.line = line
        self.path = template.path

    def render(self, template: Template, stage: str) -> Rendered:
        return template.render(mojo_variables(stage, extra=self.variables))

    def broken(self, stage: str, message: str) -> EditError:
        return EditError(
            f"setting {self.what} would {message} in stage {stage}",
            path=self.path,
            line=self.line,
            hint="edit the template by hand",
        )

    def compare_whole(self, stage: str, old_text: str, new_text: str) -> None:
        try:
            old = Bundle.from_text(old_text)
            new = Bundle.from_text(new_text)
        except BundleError as error:
            raise self.broken(stage, f"break the bundle ({error.message})") from None
        if self.app not in old.applications:
            raise self.broken(stage, "change an application it did not edit")
        if new != old.replace_application(self.change(old.applications[self.app])):
            raise self.broken(stage, "also change other values")


def _block_application(text: str, app: str) -> tuple[str, str, Application] | None:
    """(text before, text after, the application) when its block is plain to see."""
    block = app_block(text, app)
    if block is None:
        return None
    try:
        application = Bundle.from_text(block.snippet(text)).applications[app]
    except (BundleError, KeyError):
        return None
    return text[: block.start], text[block.end :], application


def verify_replacement(
    check: Check, *, run_start: int, offset: int, old: str, new: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check a replaced scalar; (stages changed, stages that did not render)."""
    affected: list[str] = []
    unchecked: list[str] = []
    for stage in check.stages:
        try:
            rendered = check.render(check.template, stage)
        except BundleError:
            if stage == check.stage:
                raise
            unchecked.append(stage)
            continue
        if not rendered.copies(run_start):
            if stage == check.stage:
                raise check.broken(stage, "not change the value")
            continue
        new_text = rendered.splice(run_start, offset, old, new)
        if new_text is None:
            raise check.broken(stage, "change text that is written more than once")
        before = _block_application(rendered.text, check.app)
        after = _block_application(new_text, check.app)
        if before is not None and after is not None and before[:2] == after[:2]:
            if after[2] != check.change(before[2]):
                raise check.broken(stage, "also change other values")
        else:
            check.compare_whole(stage, rendered.text, new_text)
        affected.append(stage)
    return tuple(affected), tuple(unchecked)


def verify_insertion(check: Check, new_text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check an inserted line by rendering the edited template for every stage."""
    try:
        edited = Template.from_text(new_text, path=check.path)
    except BundleError as error:
        raise EditError(
            f"the edit would break the template: {error.message}", path=check.path, line=check.line
        ) from None
    affected: list[str] = []
    unchecked: list[str] = []
    for stage in check.stages:
        try:
            old = check.render(check.template, stage)
        except BundleError:
            if stage == check.stage:
                raise
            unchecked.append(stage)
            continue
        try:
            new = check.render(edited, stage)
        except BundleError as error:
            raise check.broken(stage, f"break the template ({error.message})") from None
        if new.text == old.text:
            if stage == check.stage:
                raise check.broken(stage, "not change the value")
            continue
        check.compare_whole(stage, old.text, new.text)
        affected.append(stage)
    return tuple(affected), tuple(unchecked)
