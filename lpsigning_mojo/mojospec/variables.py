"""What Mojo gives a stage: bundle template variables and the manifest's environment.

Mojo renders a bundle template with ``stage_name``, ``series`` and
``local_dir`` (:func:`mojo_variables`), and expands ``${VAR}`` in manifest
arguments from its environment, of which ``MOJO_STAGE`` and
``MOJO_SPEC_DIR`` are known away from the bastion (:func:`mojo_environment`).
"""

from __future__ import annotations

from collections.abc import Mapping

from lpsigning_mojo.mojospec.stages import Spec, Stage, stage_name

__all__ = ["DEFAULT_SERIES", "mojo_environment", "mojo_variables"]

#: The Ubuntu series Mojo passes as ``series`` unless told otherwise.
DEFAULT_SERIES = "jammy"


def mojo_variables(
    stage: str,
    *,
    series: str = DEFAULT_SERIES,
    local_dir: str | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """The variables Mojo gives a bundle template for ``stage`` (either name).

    ``local_dir`` is the secrets directory on the bastion; by default a
    placeholder path that names the stage, since secrets never live in the
    spec. ``extra`` adds (or overrides) variables.
    """
    name = stage_name(stage)
    variables: dict[str, object] = {
        "stage_name": name,
        "series": series,
        "local_dir": local_dir if local_dir is not None else f"/srv/mojo/LOCAL/lp-signing/{name}",
    }
    if extra:
        variables.update(extra)
    return variables


def mojo_environment(spec: Spec, stage: Stage) -> dict[str, str]:
    """The part of Mojo's environment a manifest can be expanded with, for ``stage``.

    The others (``MOJO_SERIES``, ``MOJO_PROJECT``, ...) are only known on the
    bastion; values that use them stay unresolved and are not checked.
    """
    return {"MOJO_STAGE": stage.mojo, "MOJO_SPEC_DIR": str(spec.root)}
