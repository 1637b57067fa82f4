"""The lp-signing releases: the runbook's steps as library functions and plans.

- :mod:`~lpsigning_mojo.release.revisions`: which revisions Charmhub offers
  and each stage pins; choosing and pinning a revision.
- :mod:`~lpsigning_mojo.release.status`: what an instance runs, against what
  its stage pins.
- :mod:`~lpsigning_mojo.release.world`: :class:`ReleaseWorld`, the one object
  holding every collaborator a release needs.
- :mod:`~lpsigning_mojo.release.steps`: the steps every release shares
  (preflight, commit, push, the upgrade trigger, verify) and the lock.
- :mod:`~lpsigning_mojo.release.staging`: the staging release, as a plan the
  runbook engine (:mod:`lpsigning_mojo.runbook`) runs.

This layer joins the pure parts (``bundle``, ``mojospec``, ``instances``,
``policy``) with the outside systems (``external``) and the engine. It never
builds a collaborator: the command line (or the rehearsal, or a test) builds
the World and passes it in.
"""
