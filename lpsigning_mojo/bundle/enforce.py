"""Before an edit is written: the release rules that concern the changed value.

An edit (:mod:`lpsigning_mojo.bundle.edit`) is verified stage by stage first
(:mod:`lpsigning_mojo.bundle.verify`); then :func:`enforce` applies the
release rules about the edited value to every stage the edit changes,
through the very functions bundle-lint reports them with
(:mod:`lpsigning_mojo.policy`): a Charmhub revision without a channel
(LSM201), a production ``build_label`` that is not a full commit id
(LSM203), a literal secret (LSM204), a stage pinned ahead of the one before
it in the promotion order (LSM205). A breach is refused with an
:class:`~lpsigning_mojo.errors.EditError` naming the rule's code, the stages
and the rule's fix, so an edit never writes what bundle-lint rejects.
Rules the policy waives (the lint configuration ignores them, or makes them
warnings) are not enforced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lpsigning_mojo.bundle.blocks import app_block
from lpsigning_mojo.bundle.model import Application, Bundle
from lpsigning_mojo.bundle.template import Rendered, Template
from lpsigning_mojo.bundle.verify import Check
from lpsigning_mojo.errors import BundleError, EditError
from lpsigning_mojo.mojospec.stages import stage_name
from lpsigning_mojo.policy import (
    PROMOTION,
    Breach,
    ReleasePolicy,
    ahead_message,
    build_label_breach,
    literal_secret_breach,
    pins,
    promotion_breaches,
    revision_breach,
)

__all__ = ["RenderedCheck", "enforce"]


class RenderedCheck(Check):
    """A :class:`Check` that keeps each stage's rendering of the template before the edit.

    The verification renders every stage; the release rules read the edited
    application from those renderings instead of rendering again.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before: dict[str, Rendered] = {}

    def render(self, template: Template, stage: str) -> Rendered:
        if template is self.template and stage in self.before:
            return self.before[stage]
        rendered = super().render(template, stage)
        if template is self.template:
            self.before[stage] = rendered
        return rendered

    def application(self, stage: str) -> Application | None:
        """``app`` as the stage rendered it before the edit; ``None`` where it is not there."""
        rendered = self.before.get(stage)
        if rendered is None:
            return None
        block = app_block(rendered.text, self.app)
        text = block.snippet(rendered.text) if block is not None else rendered.text
        try:
            return Bundle.from_text(text).applications.get(self.app)
        except BundleError:
            return None


def enforce(
    check: RenderedCheck,
    keys: tuple[str, ...],
    value: Any,
    affected: Sequence[str],
    policy: ReleasePolicy,
    *,
    path: str | None,
    line: int,
) -> None:
    """Refuse the edit when the new value breaks a release rule in a stage it changes.

    Only the rules about the edited value are asked, through the functions
    bundle-lint reports them with, and only rules ``policy`` enforces.
    """
    app = check.app
    after: dict[str, Application] = {}
    for stage in check.stages:
        application = check.application(stage)
        if application is not None:
            after[stage] = check.change(application) if stage in affected else application
    found: dict[tuple[str, str], tuple[Breach, list[str]]] = {}

    def note(breach: Breach | None, stage: str) -> None:
        if breach is not None and policy.enforces(breach.rule):
            _, stages = found.setdefault((breach.rule.code, breach.message), (breach, []))
            stages.append(stage_name(stage))

    for stage in affected:
        application = after.get(stage)
        if application is None:
            continue
        if keys == ("revision",):
            note(
                revision_breach(app, application.charm, application.channel, value),
                stage,
            )
        elif keys == ("options", "build_label"):
            production = policy.production(stage_name(stage))
            note(build_label_breach(app, value, production=production), stage)
        elif keys[0] == "options":
            note(literal_secret_breach(app, keys[1], value), stage)
    if keys == ("revision",):
        changed = {stage_name(stage) for stage in affected}
        stage_pins = [
            pin
            for stage, application in after.items()
            for pin in pins(stage_name(stage), [application])
        ]
        for earlier, later in promotion_breaches(stage_pins, policy.promotion_order):
            if earlier.stage in changed or later.stage in changed:
                note(Breach(rule=PROMOTION, message=ahead_message(earlier, later)), later.stage)
    for breach, stages in found.values():
        what = f"{app} {'.'.join(keys)}"
        named = list(dict.fromkeys(stages))
        raise EditError(
            f"setting {what} to {value!r} would break {breach.rule.code} "
            f"({breach.rule.name}) in stage{'s' if len(named) > 1 else ''} {', '.join(named)}: "
            f"{breach.message}",
            path=path,
            line=line,
            hint=breach.rule.hint,
        )
