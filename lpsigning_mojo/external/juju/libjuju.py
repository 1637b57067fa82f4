"""Reading deployed state in-process with python-libjuju (the optional ``juju`` extra).

python-libjuju is imported when a :class:`LibjujuSource` is made, never when
this module is imported: it costs about 0.7 s and 90 MB of dependencies.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from typing import Any

from lpsigning_mojo.errors import ApplicationNotDeployedError, JujuError, MissingExtraError
from lpsigning_mojo.external.juju.state import DeployedState, deployed_state_from_full_status

__all__ = ["LibjujuSource"]


class LibjujuSource:
    """Reads an application's state in-process with python-libjuju.

    Needs the optional ``juju`` extra and the controller files of the
    management environment (``~/.local/share/juju``). ``model`` is
    ``[controller:][user/]model``, or ``None`` for the current model.
    :meth:`deployed_state` runs libjuju's asynchronous API with
    :func:`asyncio.run`, so call it from synchronous code only.
    ``model_factory`` (default: ``juju.model.Model``) is for tests.
    """

    def __init__(
        self, *, model: str | None = None, model_factory: Callable[[], Any] | None = None
    ) -> None:
        try:
            with warnings.catch_warnings():
                # libjuju's own dependencies warn about their deprecations on import;
                # nothing a user of this tool can act on.
                warnings.simplefilter("ignore", DeprecationWarning)
                import juju.errors
                import juju.model
        except ImportError:
            raise MissingExtraError(
                "Reading Juju state in-process needs python-libjuju, which is not installed",
                extra="juju",
            ) from None
        self.model = model
        self._model_factory: Callable[[], Any] = model_factory or juju.model.Model
        self._errors: tuple[type[BaseException], ...] = (
            juju.errors.JujuError,
            OSError,
            asyncio.TimeoutError,
        )

    def deployed_state(self, application: str) -> DeployedState:
        try:
            return asyncio.run(self._fetch(application))
        except JujuError:
            raise
        except self._errors as error:
            where = f"model {self.model!r}" if self.model else "the current model"
            raise JujuError(
                f"python-libjuju could not read {application!r} in {where}: "
                f"{error or type(error).__name__}",
                hint="Check the controller files and the connection (juju status)",
            ) from None

    async def _fetch(self, application: str) -> DeployedState:
        model = self._model_factory()
        try:
            if self.model:
                await model.connect(model_name=self.model)
            else:
                await model.connect()
            status = await model.get_status(filters=[application])
            handle = model.applications.get(application)
            if handle is None:
                raise ApplicationNotDeployedError(application, model=self.model)
            config = await handle.get_config()
        finally:
            await model.disconnect()
        return deployed_state_from_full_status(application, status, config, model=self.model)
