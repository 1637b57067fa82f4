"""Test-wide guards and settings.

Every test runs with ``HOME`` pointing at a temporary directory, and an audit
hook fails any test that opens a file under the real home directory (other
than the Python installation and this checkout) or connects a socket to
anything but loopback or a Unix socket. Hypothesis profiles, chosen by
``HYPOTHESIS_PROFILE``: ``ci`` (tox sets it: 500 examples per property),
``dev`` (a plain pytest run: 50) and ``mutation`` (``tox -e mutation``: 15,
derandomized). See docs/explanation/testing.rst.
"""

from __future__ import annotations

import ipaddress
import os
import site
import socket
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from lpsigning_mojo.testing.standins.juju import FakeJujuBin

settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "mutation",
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO_ROOT = Path(__file__).resolve().parent.parent
REAL_HOME = Path(os.path.expanduser("~")).resolve()


def _allowed_roots() -> tuple[str, ...]:
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        str(REPO_ROOT),
        tempfile.gettempdir(),
        *site.getsitepackages(),
        site.getusersitepackages(),
        *sysconfig.get_paths().values(),
    }
    return tuple(str(Path(root).resolve()) for root in roots if root)


class _Guard:
    active = False
    allowed = _allowed_roots()
    violations: list[str] = []  # noqa: RUF012


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _Guard.active:
        return
    if event == "socket.connect":
        sock, address = args[0], args[1]
        family = getattr(sock, "family", None)
        if family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            _Guard.violations.append(f"network connection to {address!r}")
            raise PermissionError(f"tests may only connect to loopback, not {address!r}")
    elif event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is not None and not _is_loopback((host,)):
            _Guard.violations.append(f"name look-up of {host!r}")
            raise PermissionError(f"tests may only look up loopback names, not {host!r}")
    elif event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if not path.startswith("/"):
            return
        real = os.path.realpath(path)
        if real.startswith(str(REAL_HOME) + os.sep) and not real.startswith(_Guard.allowed):
            _Guard.violations.append(f"opened {real} under the real home directory")
            raise PermissionError(f"tests may not touch the real home directory: {real}")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def _isolated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.delenv("CHARMHUB_URL", raising=False)
    _Guard.violations.clear()
    _Guard.active = True
    try:
        yield
    finally:
        _Guard.active = False
    if _Guard.violations:
        pytest.fail("; ".join(_Guard.violations))


@pytest.fixture
def spec_dir() -> Path:
    """The shipped Mojo spec for lp-signing."""
    return REPO_ROOT / "spec" / "lp-signing"


# -- stand-ins for outside systems (lpsigning_mojo.testing.standins), for every test --------


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours proxy variables; the stand-ins are on loopback."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def charmhub_server() -> Iterator[CharmhubStandIn]:
    """A Charmhub stand-in on 127.0.0.1, serving the sample channel map; closed at teardown."""
    with CharmhubStandIn() as standin:
        yield standin


@pytest.fixture
def fake_juju(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJujuBin]:
    """A fake ``juju`` executable, first on PATH."""
    directory = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")
    with FakeJujuBin(directory) as juju:
        yield juju
