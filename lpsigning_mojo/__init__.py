"""lpsigning-mojo: deploy lp-signing, Launchpad's signing service, with Mojo and Juju.

The public API is what ``__all__`` lists. Importing this package is cheap: it
imports nothing heavy (no paramiko, launchpadlib or juju), so the lint hook
stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"

from lpsigning_mojo.errors import (
    AccessRefusedError,
    BundleError,
    CommandInterruptedError,
    CommandTimeoutError,
    EditError,
    FileAccessError,
    HostKeyChangedError,
    HostKeyUnknownError,
    InstanceError,
    LpsigningMojoError,
    OutcomeUnknown,
    RemoteCommandFailed,
    SSHAuthError,
    SSHConnectError,
    SSHError,
    TemplateError,
    UnknownApplicationError,
    UnknownInstanceError,
    UsageError,
    YamlError,
)
from lpsigning_mojo.instances import (
    Instance,
    Instances,
    ManagementEnvironment,
    Trigger,
    load_instances,
)
from lpsigning_mojo.remote import CommandRunner, OutputLine, RunResult

__all__ = [
    "AccessRefusedError",
    "BundleError",
    "CommandInterruptedError",
    "CommandRunner",
    "CommandTimeoutError",
    "EditError",
    "FileAccessError",
    "HostKeyChangedError",
    "HostKeyUnknownError",
    "Instance",
    "InstanceError",
    "Instances",
    "LpsigningMojoError",
    "ManagementEnvironment",
    "OutcomeUnknown",
    "OutputLine",
    "RemoteCommandFailed",
    "RunResult",
    "SSHAuthError",
    "SSHConnectError",
    "SSHError",
    "TemplateError",
    "Trigger",
    "UnknownApplicationError",
    "UnknownInstanceError",
    "UsageError",
    "YamlError",
    "__version__",
    "load_instances",
]
