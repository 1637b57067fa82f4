"""Release steps the runbook takes, as library functions the CLI and the coming engine call.

Today: :mod:`~lpsigning_mojo.release.revisions` (which revisions Charmhub
offers and each stage pins; choosing and pinning a revision) and
:mod:`~lpsigning_mojo.release.status` (what an instance runs, against what
its stage pins). This layer joins the pure parts (``bundle``, ``mojospec``,
``instances``) with the outside systems (``external``); the CLI calls it,
and it never builds a collaborator itself: each is passed in.
"""
