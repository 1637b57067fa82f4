"""The check of ``instances.yaml``: the instances and their management environments.

The rules themselves live in :mod:`lpsigning_mojo.instances`, which reads the
file strictly and reports the first problem with its line and column; this
module turns that into a finding. :mod:`lpsigning_mojo.instances` is imported
only when an ``instances.yaml`` is linted, so the hook on bundle templates
does not pay for it.
"""

from __future__ import annotations

from lpsigning_mojo.errors import LpsigningMojoError
from lpsigning_mojo.lint.problems import Problem
from lpsigning_mojo.lint.registry import register

__all__ = ["INSTANCES", "check_instances"]

INSTANCES = register(
    "LSM401",
    "instances",
    severity="error",
    applies_to="instances",
    summary="``instances.yaml`` does not describe valid instances and environments.",
    description="""Every instance needs its Mojo stage, management environment, juju
        access and URL (or ``null`` where it is not public); every environment its
        bastion, role account and developer access; every trigger a command and the
        environment it runs from. Unknown keys, missing fields, wrong types, duplicate
        names or aliases, and references to environments that do not exist are errors,
        as they are for ``lpsigning-mojo instances``, ``upgrade`` and ``status``.""",
    fix="Correct the field the message names; docs/reference/instances.rst lists them.",
    example="environments: {}\ninstances:\n  staging:\n    mojo_stage: lp-signing/staging\n"
    "    colour: blue\n",
)


def check_instances(text: str, path: str) -> list[Problem]:
    """The problem with ``instances.yaml``, if there is one (the reader stops at the first)."""
    from lpsigning_mojo.instances import parse_instances

    try:
        parse_instances(text, path=path)
    except LpsigningMojoError as error:
        return [
            Problem(
                code=INSTANCES.code,
                message=error.message + (f". {error.hint}" if error.hint else ""),
                line=error.line or 1,
                column=error.column or 1,
            )
        ]
    return []
