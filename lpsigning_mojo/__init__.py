"""lpsigning-mojo: deploy lp-signing, Launchpad's signing service, with Mojo and Juju.

The public API is what ``__all__`` lists. Importing this package is cheap:
it imports only the errors; every other name is imported from its module on
first use (PEP 562), so the lint hook pays for nothing it does not use and
nothing heavy (paramiko, python-libjuju) is imported until needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpsigning_mojo._lazy import lazy_names
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
    from lpsigning_mojo.charms import Release, latest_revision
    from lpsigning_mojo.external.charmhub import Charmhub, CharmhubClient
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
    "Application": "bundle",
    "Bundle": "bundle",
    "BundleDiff": "bundle",
    "EditResult": "bundle",
    "Machine": "bundle",
    "Relation": "bundle",
    "Template": "bundle",
    "diff_bundles": "bundle",
    "render_bundle": "bundle",
    "set_channel": "bundle",
    "set_option": "bundle",
    "set_revision": "bundle",
    "Spec": "mojospec",
    "Stage": "mojospec",
    "Instance": "instances",
    "Instances": "instances",
    "ManagementEnvironment": "instances",
    "Trigger": "instances",
    "load_instances": "instances",
    "CommandRunner": "remote",
    "OutputLine": "remote",
    "RunResult": "remote",
    "Report": "lint",
    "format_report": "lint",
    "lint_paths": "lint",
    "Charmhub": "external.charmhub",
    "CharmhubClient": "external.charmhub",
    "Release": "charms",
    "latest_revision": "charms",
    "DeployedState": "external.juju",
    "JujuCli": "external.juju",
    "JujuStatusSource": "external.juju",
    "LibjujuSource": "external.juju",
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


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
