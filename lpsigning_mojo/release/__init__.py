"""The runbook as steps: which revisions to pin, gates, plans and journals.

This layer joins the pure parts (``bundle``, ``spec``) with the outside
systems (``external``); the CLI calls it, and it never builds a
collaborator itself: each is passed in.
"""
