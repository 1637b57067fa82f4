"""The autouse guards in conftest.py really stop what they promise to stop."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import REAL_HOME, _Guard


def test_home_is_a_temporary_directory() -> None:
    assert Path.home().resolve() != REAL_HOME


def test_connecting_beyond_loopback_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.1)
        with pytest.raises(PermissionError, match="loopback"):
            sock.connect(("192.0.2.1", 9))
    _Guard.violations.clear()


def test_opening_a_file_under_the_real_home_is_refused() -> None:
    with pytest.raises(PermissionError, match="real home"):
        open(REAL_HOME / ".lpsigning-mojo-guard-probe")  # noqa: SIM115
    _Guard.violations.clear()


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1) as client:
            conn, peer = server.accept()
            conn.close()
            assert peer == client.getsockname()


def test_looking_up_a_public_name_is_refused() -> None:
    with pytest.raises(PermissionError, match="loopback names"):
        socket.getaddrinfo("api.charmhub.io", 443)
    _Guard.violations.clear()
