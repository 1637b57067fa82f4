"""lpsigning-mojo: deploy lp-signing, Launchpad's signing service, with Mojo and Juju.

The public API is what ``__all__`` lists. Importing this package is cheap:
it imports only the errors; every other name is imported from its module on
first use (PEP 562), so the lint hook pays for nothing it does not use and
nothing heavy (paramiko, launchpadlib, juju) is imported until needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lpsigning_mojo._version import __version__
from lpsigning_mojo.errors import (
    AccessRefusedError,
    ApplicationNotDeployedError,
    BundleError,
    ChannelError,
    CharmhubError,
    CharmhubResponseError,
    CharmhubUnavailableError,
    CharmNotFoundError,
    CommandAbandonedError,
    CommandInterruptedError,
    CommandTimeoutError,
    EditError,
    FileAccessError,
    HostKeyChangedError,
    HostKeyUnknownError,
    InstanceError,
    JujuCommandError,
    JujuError,
    JujuOutputError,
    LpsigningMojoError,
    MissingExtraError,
    NoMatchingReleaseError,
    OutcomeUnknown,
    RemoteCommandError,
    RemoteCommandFailed,
    SSHAuthError,
    SSHConfigError,
    SSHConnectError,
    SSHError,
    TemplateError,
    UnknownApplicationError,
    UnknownInstanceError,
    UsageError,
    YamlError,
)

if TYPE_CHECKING:
    from lpsigning_mojo.bundle import (
        Application,
        Bundle,
        BundleDiff,
        EditResult,
        Machine,
        Relation,
        Template,
        diff_bundles,
        render_bundle,
        set_channel,
        set_option,
        set_revision,
    )
    from lpsigning_mojo.external.charmhub import (
        Charmhub,
        CharmhubClient,
        Release,
        latest_revision,
    )
    from lpsigning_mojo.external.juju import (
        DeployedState,
        JujuCli,
        JujuStatusSource,
        LibjujuSource,
    )
    from lpsigning_mojo.instances import (
        Instance,
        Instances,
        ManagementEnvironment,
        Trigger,
        load_instances,
    )
    from lpsigning_mojo.lint import (
        Report,
        format_report,
        lint_paths,
    )
    from lpsigning_mojo.mojospec import (
        Spec,
        Stage,
    )
    from lpsigning_mojo.remote import (
        CommandRunner,
        OutputLine,
        RunResult,
    )

_LAZY = {
    "Application": "lpsigning_mojo.bundle",
    "Bundle": "lpsigning_mojo.bundle",
    "BundleDiff": "lpsigning_mojo.bundle",
    "EditResult": "lpsigning_mojo.bundle",
    "Machine": "lpsigning_mojo.bundle",
    "Relation": "lpsigning_mojo.bundle",
    "Template": "lpsigning_mojo.bundle",
    "diff_bundles": "lpsigning_mojo.bundle",
    "render_bundle": "lpsigning_mojo.bundle",
    "set_channel": "lpsigning_mojo.bundle",
    "set_option": "lpsigning_mojo.bundle",
    "set_revision": "lpsigning_mojo.bundle",
    "Spec": "lpsigning_mojo.mojospec",
    "Stage": "lpsigning_mojo.mojospec",
    "Instance": "lpsigning_mojo.instances",
    "Instances": "lpsigning_mojo.instances",
    "ManagementEnvironment": "lpsigning_mojo.instances",
    "Trigger": "lpsigning_mojo.instances",
    "load_instances": "lpsigning_mojo.instances",
    "CommandRunner": "lpsigning_mojo.remote",
    "OutputLine": "lpsigning_mojo.remote",
    "RunResult": "lpsigning_mojo.remote",
    "Report": "lpsigning_mojo.lint",
    "format_report": "lpsigning_mojo.lint",
    "lint_paths": "lpsigning_mojo.lint",
    "Charmhub": "lpsigning_mojo.external.charmhub",
    "CharmhubClient": "lpsigning_mojo.external.charmhub",
    "Release": "lpsigning_mojo.external.charmhub",
    "latest_revision": "lpsigning_mojo.external.charmhub",
    "DeployedState": "lpsigning_mojo.external.juju",
    "JujuCli": "lpsigning_mojo.external.juju",
    "JujuStatusSource": "lpsigning_mojo.external.juju",
    "LibjujuSource": "lpsigning_mojo.external.juju",
}

__all__ = [
    "AccessRefusedError",
    "Application",
    "ApplicationNotDeployedError",
    "Bundle",
    "BundleDiff",
    "BundleError",
    "ChannelError",
    "CharmNotFoundError",
    "Charmhub",
    "CharmhubClient",
    "CharmhubError",
    "CharmhubResponseError",
    "CharmhubUnavailableError",
    "CommandAbandonedError",
    "CommandInterruptedError",
    "CommandRunner",
    "CommandTimeoutError",
    "DeployedState",
    "EditError",
    "EditResult",
    "FileAccessError",
    "HostKeyChangedError",
    "HostKeyUnknownError",
    "Instance",
    "InstanceError",
    "Instances",
    "JujuCli",
    "JujuCommandError",
    "JujuError",
    "JujuOutputError",
    "JujuStatusSource",
    "LibjujuSource",
    "LpsigningMojoError",
    "Machine",
    "ManagementEnvironment",
    "MissingExtraError",
    "NoMatchingReleaseError",
    "OutcomeUnknown",
    "OutputLine",
    "Relation",
    "Release",
    "RemoteCommandError",
    "RemoteCommandFailed",
    "Report",
    "RunResult",
    "SSHAuthError",
    "SSHConfigError",
    "SSHConnectError",
    "SSHError",
    "Spec",
    "Stage",
    "Template",
    "TemplateError",
    "Trigger",
    "UnknownApplicationError",
    "UnknownInstanceError",
    "UsageError",
    "YamlError",
    "__version__",
    "diff_bundles",
    "format_report",
    "latest_revision",
    "lint_paths",
    "load_instances",
    "render_bundle",
    "set_channel",
    "set_option",
    "set_revision",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
