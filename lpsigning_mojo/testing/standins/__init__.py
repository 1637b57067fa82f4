"""Loopback stand-ins for outside systems, speaking their real protocols.

Each stand-in is a real server (HTTP, SSH) or executable bound to
127.0.0.1 or a temporary directory. The test suite's fixtures and the
rehearsal build their worlds from them, so both exercise the same adapter
code a real release runs.
"""
