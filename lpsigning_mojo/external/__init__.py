"""Adapters for outside systems: each a ``Protocol``, one client class and one family of errors.

=====================  =========================================  =============================
Outside system         Protocol and client                        Errors
=====================  =========================================  =============================
Charmhub               :mod:`.charmhub`: ``Charmhub``,            ``CharmhubError``
                       ``CharmhubClient``
Juju                   :mod:`.juju`: ``JujuStatusSource``,        ``JujuError``
                       ``JujuCli`` (through a command runner),
                       ``LibjujuSource``
A host over SSH        :mod:`.ssh` (with :mod:`.ssh_connect` and  ``SSHError``; once a command
                       :mod:`.ssh_config`): ``SSHRunner``         started, ``RemoteCommandError``
This machine           :mod:`.local`: ``LocalRunner``             ``RemoteCommandError``
git                    :mod:`.git`: ``GitCli``                    see :mod:`.git`
=====================  =========================================  =============================

``SSHRunner`` and ``LocalRunner`` implement one protocol,
:class:`lpsigning_mojo.remote.CommandRunner`, which lives outside this
package because several adapters and the release code share it. Every
subprocess, socket and HTTP call of a system goes through one private method
of its client. Adapters never import each other (the modules of one adapter
do), and values that other code needs too are defined outside them
(:mod:`lpsigning_mojo.charms`, :mod:`lpsigning_mojo.remote`). The strict
fakes of the protocols are in :mod:`lpsigning_mojo.testing`, and loopback
stand-ins for the systems themselves in :mod:`lpsigning_mojo.testing.standins`.
"""
