"""Test-wide guards and settings.

Every test runs with ``HOME`` pointing at a temporary directory, and an audit
hook fails any test that opens a file under the real home directory (other
than the Python installation, this checkout and pytest's temporary
directories, where they lie inside it) or connects a socket to anything but
loopback or a Unix socket. A directory that *contains* the real home (the
system's temporary directory, when ``HOME`` is ``/tmp/somebody``) never
makes the home's files allowed; when the home holds the system's temporary
directory (``HOME=/tmp``), ``tempfile`` and ``$TMPDIR`` point below pytest's
own temporary directory instead, so code that makes temporary files keeps
working wherever ``HOME`` is.

Hypothesis profiles: ``ci`` (500 examples per property), ``dev`` (50:
fast), ``mutation`` (``tox -e mutation``: 15, derandomized, no shrinking), and ``auto``,
which tox sets: ``ci`` for a run of the whole suite, ``dev`` for a focused
run (``-k``, ``-m``, or test paths given), so that ``./dev tox -e test --
-k bundle`` takes seconds rather than minutes.
``HYPOTHESIS_PROFILE`` unset means ``dev``. See docs/explanation/testing.rst.
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
from hypothesis import HealthCheck, Phase, settings

from lpsigning_mojo.testing.standins.charmhub import CharmhubStandIn
from lpsigning_mojo.testing.standins.juju import FakeJujuBin


def _signals_as_at_a_terminal() -> None:
    """Give Ctrl-C, hangup, SIGTERM and SIGQUIT their usual effect, in this process and its
    children.

    A shell without job control starts a background job with SIGINT and
    SIGQUIT ignored, and ``nohup`` ignores SIGHUP; children inherit an
    ignored signal through exec. The tests that press Ctrl-C on a release or
    hang up a bastion's command check what a person at a terminal gets, so
    they must not depend on how the suite was started.
    """
    import signal

    for number in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT):
        if signal.getsignal(number) == signal.SIG_IGN:
            default = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
            signal.signal(number, default)


_signals_as_at_a_terminal()

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
    # A mutant only has to fail: shrinking the failing example would only cost time.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def hypothesis_profile(config: pytest.Config) -> str:
    """The profile for this run: ``HYPOTHESIS_PROFILE``, with ``auto`` decided by focus."""
    chosen = os.environ.get("HYPOTHESIS_PROFILE") or "dev"
    if chosen != "auto":
        return chosen
    focused = (
        bool(config.option.keyword)
        or bool(config.option.markexpr)
        or config.args_source is not pytest.Config.ArgsSource.TESTPATHS
    )
    return "dev" if focused else "ci"


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile(hypothesis_profile(config))


REPO_ROOT = Path(__file__).resolve().parent.parent
REAL_HOME = Path(os.path.expanduser("~")).resolve()


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def allowed_roots(home: Path, roots: list[str]) -> tuple[str, ...]:
    """Of ``roots``, those that may be opened although they lie under ``home``.

    A root that holds ``home`` itself (``/tmp`` for ``HOME=/tmp/somebody``)
    is left out: it would allow every file of the home directory.
    """
    resolved = {str(Path(root).resolve()) for root in roots if root}
    return tuple(sorted(root for root in resolved if not _within(str(home), root)))


def refused(path: str, home: Path, allowed: tuple[str, ...]) -> bool:
    """Whether a test may not open ``path`` (resolved): under ``home``, in no allowed root."""
    return _within(path, str(home)) and not any(_within(path, root) for root in allowed)


def _roots() -> list[str]:
    return [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        str(REPO_ROOT),
        tempfile.gettempdir(),
        *site.getsitepackages(),
        site.getusersitepackages(),
        *sysconfig.get_paths().values(),
    ]


_SYSTEM_TEMP = str(Path(tempfile.gettempdir()).resolve())


class _Guard:
    active = False
    allowed = allowed_roots(REAL_HOME, _roots())
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
        if refused(real, REAL_HOME, _Guard.allowed):
            _Guard.violations.append(f"opened {real} under the real home directory")
            raise PermissionError(f"tests may not touch the real home directory: {real}")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def _isolated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    base = tmp_path_factory.getbasetemp()
    if str(base) not in _Guard.allowed:  # pytest's own directory, wherever HOME is
        _Guard.allowed = allowed_roots(REAL_HOME, [*_Guard.allowed, str(base)])
    if refused(os.path.join(_SYSTEM_TEMP, "x"), REAL_HOME, _Guard.allowed):
        # HOME holds the system's temporary directory: make temporary files below pytest's.
        temporary = base / "tmp"
        temporary.mkdir(exist_ok=True)
        monkeypatch.setattr(tempfile, "tempdir", str(temporary))
        monkeypatch.setenv("TMPDIR", str(temporary))
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
