"""Launchpad: bugs, their tasks, status changes and new bugs, through launchpadlib.

launchpadlib is the optional ``launchpad`` extra (``pip install
'lpsigning-mojo[launchpad]'``), imported on the first call that talks to
Launchpad, never when this module is imported.

:class:`LaunchpadClient` talks to the service root given, else the
``LPSIGNING_MOJO_LAUNCHPAD_URL`` environment variable, else ``production``
(launchpadlib's own default is *staging*), with web service version
``devel`` (launchpadlib's default is ``1.0``). Reads are anonymous; writes
use the OAuth token in a credentials file the caller names, the file
``Launchpad.login_with(..., credentials_file=PATH)`` writes. The client
never asks launchpadlib to log in interactively: it builds the session from
the file itself, so no browser opens, no keyring is asked, and a token
Launchpad refuses is an error, not a prompt.

Time is bounded: a connection gets ``connect_timeout`` seconds and each call
(``bug``, ``set_task_status``, ``file_bug``, the login included) at most
``timeout`` seconds in all, however slowly the server answers; a 502 or 503
fails at once instead of launchpadlib's retries with sleeps of up to 16 s.
Once Launchpad could not be reached, later calls of the same client fail at
once with the same error, so an unreachable Launchpad costs one
``connect_timeout``, not one per bug.

launchpadlib caches what it reads (the 1.5 MB WADL among it) under
``cache_dir``, by default ``$XDG_CACHE_HOME/lpsigning-mojo/launchpadlib``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar
from xml.etree.ElementTree import ParseError

import attrs

from lpsigning_mojo.errors import (
    BugNotFoundError,
    BugTaskNotFoundError,
    BugTaskStatusError,
    FileAccessError,
    LaunchpadCredentialsError,
    LaunchpadError,
    LaunchpadUnavailableError,
    LaunchpadWriteError,
    MissingExtraError,
    ProjectNotFoundError,
)
from lpsigning_mojo.external import _http
from lpsigning_mojo.files import read_text

__all__ = [
    "API_VERSION",
    "CONSUMER",
    "DEFAULT_SERVICE_ROOT",
    "ENVIRONMENT_VARIABLE",
    "MAX_BODY",
    "STATUSES",
    "Bug",
    "BugTask",
    "FiledBug",
    "Launchpad",
    "LaunchpadClient",
    "StatusChange",
    "default_cache_dir",
]

#: The service root used when neither an argument nor the environment names one.
DEFAULT_SERVICE_ROOT = "production"
#: The environment variable that overrides the service root.
ENVIRONMENT_VARIABLE = "LPSIGNING_MOJO_LAUNCHPAD_URL"
#: The web service version asked for.
API_VERSION = "devel"
#: The OAuth consumer name of anonymous sessions (and the application name in User-Agent).
CONSUMER = "lpsigning-mojo"
#: The most bytes of one answer read from Launchpad. Its largest answer is the
#: description of its web service (WADL), a few megabytes; a larger one is
#: refused unread, since parsing it (as XML, in Python) would take minutes
#: after the time budget, which bounds only the network.
MAX_BODY = 32 << 20
#: Bug task statuses, as Launchpad names them.
STATUSES = (
    "New",
    "Incomplete",
    "Opinion",
    "Invalid",
    "Won't Fix",
    "Expired",
    "Confirmed",
    "Triaged",
    "In Progress",
    "Deferred",
    "Fix Committed",
    "Fix Released",
    "Does Not Exist",
    "Unknown",
)
_TAG = re.compile(r"^[a-z0-9][a-z0-9+.-]*$")

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class BugTask:
    """One task of a bug: the project (or package) it is on, and its status there."""

    bug_target_name: str
    status: str
    is_complete: bool
    web_link: str


@attrs.frozen(kw_only=True)
class Bug:
    """A bug and its tasks, as Launchpad shows them."""

    id: int
    title: str
    web_link: str
    tags: tuple[str, ...] = ()
    bug_tasks: tuple[BugTask, ...] = ()

    def task(self, target: str) -> BugTask | None:
        """The task on ``target`` (e.g. ``"lp-signing"``), or ``None``."""
        return next((task for task in self.bug_tasks if task.bug_target_name == target), None)

    @property
    def targets(self) -> tuple[str, ...]:
        """The names of the projects and packages the bug has tasks on."""
        return tuple(task.bug_target_name for task in self.bug_tasks)

    def open_tasks(self, *, besides: str | None = None) -> tuple[BugTask, ...]:
        """The tasks that are not complete, other than the one on ``besides``."""
        return tuple(
            task
            for task in self.bug_tasks
            if not task.is_complete and task.bug_target_name != besides
        )


@attrs.frozen(kw_only=True)
class StatusChange:
    """What :meth:`LaunchpadClient.set_task_status` did: ``old_status`` -> ``status``."""

    bug: int
    bug_target_name: str
    old_status: str
    status: str

    @property
    def changed(self) -> bool:
        """False when the task already had the status (nothing was written)."""
        return self.old_status != self.status


@attrs.frozen(kw_only=True)
class FiledBug:
    """A bug just filed: its number and its web page."""

    id: int
    web_link: str


class Launchpad(Protocol):
    """What the rest of the project needs from Launchpad."""

    def bug(self, number: int) -> Bug:
        """Bug ``number`` with its tasks; :class:`~lpsigning_mojo.errors.BugNotFoundError`."""
        ...

    def set_task_status(
        self, number: int, target: str, status: str, *, from_status: str | None = None
    ) -> StatusChange:
        """Set the status of bug ``number``'s task on ``target``, if it is ``from_status``."""
        ...

    def file_bug(
        self, project: str, *, title: str, description: str, tags: Sequence[str] = ()
    ) -> FiledBug:
        """File a bug on ``project``."""
        ...


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/lpsigning-mojo/launchpadlib`` (``~/.cache/...`` by default)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "lpsigning-mojo" / "launchpadlib"


class _OutOfTime(Exception):
    """The call's total time ran out."""


class _TooLarge(Exception):
    """An answer is larger than :data:`MAX_BODY`: says how it was found out."""


class _LimitedResponse(http.client.HTTPResponse):
    """An answer of at most :data:`MAX_BODY` bytes, announced or read, never held whole."""

    def begin(self) -> None:
        super().begin()
        self._read_so_far = 0
        if self.length is not None and self.length > MAX_BODY:
            raise _TooLarge(
                f"announced an answer of {self.length} bytes, over the limit of {MAX_BODY}"
            )

    def read(self, amt: int | None = None) -> bytes:
        if amt is not None:
            return self._counted(super().read(amt))
        pieces = []
        while piece := self._counted(super().read(1 << 16)):
            pieces.append(piece)
        return b"".join(pieces)

    def _counted(self, piece: bytes) -> bytes:
        self._read_so_far += len(piece)
        if self._read_so_far > MAX_BODY:
            self.close()
            raise _TooLarge(f"sent an answer of more than {MAX_BODY} bytes")
        return piece


class _Unavailable(Exception):
    """Launchpad answered 502 or 503, or accepted no connection in time: says which."""


class _Budget:
    """The time left for the current call, shared with the HTTP layer (real time)."""

    def __init__(self, connect_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        self.deadline: float | None = None
        self.expired = threading.Event()

    def start(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.expired.clear()

    def remaining(self) -> float:
        if self.deadline is None:
            raise _OutOfTime("no call is running")
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired.set()
            raise _OutOfTime("the deadline passed")
        return left


def _import_launchpadlib() -> Any:
    try:
        import httplib2
        import launchpadlib.credentials
        import launchpadlib.launchpad
        import launchpadlib.uris
        import lazr.restfulclient.errors
    except ImportError:
        raise MissingExtraError(
            "Talking to Launchpad needs launchpadlib, which is not installed", extra="launchpad"
        ) from None
    return launchpadlib, lazr.restfulclient.errors, httplib2


def _bounded_launchpad(budget: _Budget, register: Callable[[Any], None]) -> Any:
    """launchpadlib's ``Launchpad``, with every request under ``budget``.

    ``register`` receives the HTTP client of each session, so that its
    connections can be closed even when the login itself failed.
    """
    from launchpadlib.launchpad import Launchpad as Root
    from launchpadlib.launchpad import LaunchpadOAuthAwareHttp

    def refuse() -> None:
        raise _OutOfTime("the deadline passed")

    def cut(connection: Any, sock: Any) -> None:
        budget.expired.set()
        # httplib2 reconnects and sends the request again when a connection
        # breaks before the answer: after the deadline it must not (a PATCH
        # sent twice is a second write).
        connection.connect = refuse
        # The socket, not connection.sock: http.client hands the socket to the
        # response (and sets connection.sock to None) when the server closes.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    class BoundedHttp(LaunchpadOAuthAwareHttp):  # type: ignore[misc]
        def request(self, *args: Any, **kwargs: Any) -> Any:
            response, content = super().request(*args, **kwargs)
            if response.status in (502, 503):
                raise _Unavailable(f"answered HTTP {response.status} {response.reason}")
            return response, content

        def _conn_request(self, conn: Any, *args: Any) -> Any:
            if conn.sock is None:
                conn.timeout = min(budget.connect_timeout, budget.remaining())
                try:
                    conn.connect()
                except TimeoutError:
                    seconds = f"{budget.connect_timeout:g} s"
                    raise _Unavailable(f"accepted no connection within {seconds}") from None
            conn.sock.settimeout(budget.remaining())
            conn.response_class = _LimitedResponse
            timer = threading.Timer(budget.remaining(), cut, (conn, conn.sock))
            timer.daemon = True
            timer.start()
            try:
                answer = super()._conn_request(conn, *args)
            except BaseException as error:
                if isinstance(error, _TooLarge):
                    conn.close()  # the rest of the answer is still on its way: never reuse it
                if type(error).__module__ == "httplib2.decode":  # httplib2 >= 0.32's limits
                    conn.close()
                    raise _TooLarge(
                        f"sent a compressed answer that expands too far ({error})"
                    ) from None
                if budget.expired.is_set():
                    raise _OutOfTime("the deadline passed") from None
                raise
            finally:
                timer.cancel()
            if budget.expired.is_set():  # the answer may have been cut short
                raise _OutOfTime("the deadline passed")
            return answer

    class BoundedLaunchpad(Root):  # type: ignore[misc]
        def httpFactory(self, credentials: Any, cache: Any, timeout: Any, proxy_info: Any) -> Any:
            http = BoundedHttp(self, None, credentials, cache, timeout, proxy_info)
            register(http)
            return http

    return BoundedLaunchpad


class LaunchpadClient:
    """Launchpad's web service through launchpadlib, bounded in time, never interactive.

    ``service_root`` is a launchpadlib alias (``production``, ``staging``,
    ``qastaging``, ``dogfood``) or a URL without the version. Writes need
    ``credentials_file``. See the module's description for the rest.
    """

    def __init__(
        self,
        service_root: str | None = None,
        *,
        credentials_file: str | os.PathLike[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        version: str = API_VERSION,
    ) -> None:
        root = service_root or os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_SERVICE_ROOT
        if "://" in root:
            try:
                parts = urllib.parse.urlsplit(root)
                ok = parts.scheme in ("http", "https") and bool(parts.hostname)
                parts.port  # noqa: B018 (raises ValueError for a bad port)
            except ValueError:
                ok = False
            if ok and parts.path.rstrip("/").endswith("/" + version):
                raise LaunchpadError(
                    f"The Launchpad service root {root!r} names the API version; "
                    "give it without the version",
                    hint=f"e.g. {urllib.parse.urlunsplit(parts._replace(path='/'))}",
                )
            if not ok:
                raise LaunchpadError(
                    f"The Launchpad service root {root!r} is not an http or https URL",
                    hint=f"Set {ENVIRONMENT_VARIABLE} to a URL such as https://api.launchpad.net/ "
                    "or to an alias such as production",
                )
        self.service_root = root
        self.credentials_file = (
            None if credentials_file is None else Path(credentials_file).expanduser()
        )
        self.cache_dir = (
            Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        )
        self.timeout = timeout
        self.version = version
        self._budget = _Budget(connect_timeout)
        self._sessions: dict[bool, Any] = {}
        self._http: dict[bool, Any] = {}
        self._unreachable: str | None = None

    def close(self) -> None:
        """Close the connections the client keeps open; it logs in again if used later."""
        for write in list(self._http):
            self._drop(write)

    def _drop(self, write: bool) -> None:
        self._sessions.pop(write, None)
        http = self._http.pop(write, None)
        connections = getattr(http, "connections", {})
        for connection in list(connections.values()):
            with contextlib.suppress(Exception):
                connection.close()

    # -- reads ------------------------------------------------------------------------------

    def bug(self, number: int) -> Bug:
        """Bug ``number`` and all its tasks, read anonymously."""
        _check_number(number)

        def read(lp: Any) -> Bug:
            return _bug_value(_lookup_bug(lp, number))

        return self._call(f"read bug #{number}", read, write=False, bug=number)

    # -- writes -----------------------------------------------------------------------------

    def set_task_status(
        self, number: int, target: str, status: str, *, from_status: str | None = None
    ) -> StatusChange:
        """Set the status of bug ``number``'s task on ``target`` (with ``lp_save()``).

        Idempotent: a task that already has ``status`` is left alone
        (``changed`` is false). With ``from_status``, a task in any other
        status raises :class:`~lpsigning_mojo.errors.BugTaskStatusError` and
        is left alone. The task is read afresh first, and the change is sent
        with its ``http_etag``, so a change made meanwhile is not overwritten.
        """
        _check_number(number)
        for value in (status, from_status):
            if value is not None and value not in STATUSES:
                raise LaunchpadError(
                    f"{value!r} is not a Launchpad bug status",
                    bug=number,
                    hint=f"Statuses: {', '.join(STATUSES)}",
                )

        def change(lp: Any) -> StatusChange:
            entry = _lookup_bug(lp, number)
            tasks = list(entry.bug_tasks)
            task = next((t for t in tasks if t.bug_target_name == target), None)
            if task is None:
                names = tuple(str(t.bug_target_name) for t in tasks)
                raise BugTaskNotFoundError(number, target, targets=names)
            old = str(task.status)
            if old == status:
                return StatusChange(bug=number, bug_target_name=target, old_status=old, status=old)
            if from_status is not None and old != from_status:
                raise BugTaskStatusError(number, target, status=old, expected=from_status)
            task.status = status
            task.lp_save()
            return StatusChange(bug=number, bug_target_name=target, old_status=old, status=status)

        what = f"set the {target} task of bug #{number} to {status!r}"
        return self._call(what, change, write=True, bug=number)

    def file_bug(
        self, project: str, *, title: str, description: str, tags: Sequence[str] = ()
    ) -> FiledBug:
        """File a bug on ``project`` with ``title``, ``description`` and ``tags``."""
        if not title.strip():
            raise LaunchpadError("A bug needs a title; nothing was filed")
        bad = [tag for tag in tags if not _TAG.match(tag)]
        if bad:
            raise LaunchpadError(
                f"Launchpad does not accept the tag(s) {', '.join(map(repr, bad))}; nothing was "
                "filed",
                hint="Tags are lower-case letters and digits, with '+', '-' and '.' after the "
                "first character",
            )

        def create(lp: Any) -> FiledBug:
            try:
                target = lp.projects[project]
            except KeyError:
                raise ProjectNotFoundError(project) from None
            entry = lp.bugs.createBug(
                target=target, title=title, description=description, tags=list(tags)
            )
            return FiledBug(id=int(entry.id), web_link=str(entry.web_link))

        return self._call(f"file a bug on {project}", create, write=True)

    # -- the chokepoint -----------------------------------------------------------------------

    def _call(
        self, what: str, action: Callable[[Any], T], *, write: bool, bug: int | None = None
    ) -> T:
        """The one place that talks to Launchpad: log in if needed, run ``action``, translate."""
        if self._unreachable is not None:
            raise LaunchpadUnavailableError(
                f"Cannot {what}: {self._unreachable} (found earlier in this run)",
                bug=bug,
                hint="Check the network or the service root",
            )
        launchpadlib, errors, httplib2 = _import_launchpadlib()
        logged_in = write in self._sessions
        self._budget.start(self.timeout)
        try:
            session = self._session(launchpadlib, write)
            logged_in = True
            return action(session)
        except LaunchpadError:
            raise
        except errors.HTTPError as error:
            raise self._http_error(what, error, write=write, bug=bug) from None
        except (
            _OutOfTime,
            _Unavailable,
            _TooLarge,
            OSError,
            http.client.HTTPException,
            httplib2.HttpLib2Error,
        ) as error:
            self._drop(write)  # its connections may be cut: start afresh
            if isinstance(error, (_OutOfTime, TimeoutError)):
                reason = f"sent no complete answer within {self.timeout:g} s"
            elif isinstance(error, (_Unavailable, _TooLarge)):
                reason = str(error)
            else:
                reason = _describe(error)
            if not logged_in:
                self._unreachable = f"Launchpad at {self.service_root} {reason}"
            if write:
                reason += (
                    "; the change may have been made: check before trying again"
                    if logged_in
                    else "; nothing was changed"
                )
            raise LaunchpadUnavailableError(
                f"Cannot {what}: Launchpad at {self.service_root} {reason}",
                bug=bug,
                hint="Check the network or the service root "
                f"({ENVIRONMENT_VARIABLE}), or try again later",
            ) from None
        except (KeyError, ValueError, AttributeError, TypeError, ParseError) as error:
            raise LaunchpadError(
                f"Cannot {what}: Launchpad answered with data this tool cannot read "
                f"({type(error).__name__}: {str(error)[:120]})",
                bug=bug,
                hint="Check that the service root is Launchpad's web service",
            ) from None
        finally:
            self._budget.deadline = None

    def _session(self, launchpadlib: Any, write: bool) -> Any:
        session = self._sessions.get(write)
        if session is not None:
            return session
        credentials = self._credentials(launchpadlib) if write else self._anonymous(launchpadlib)
        try:
            root = launchpadlib.uris.lookup_service_root(self.service_root)
        except ValueError:
            raise LaunchpadError(
                f"{self.service_root!r} is neither a Launchpad service root URL nor an alias",
                hint="Use production, staging, qastaging, dogfood, or an https:// URL",
            ) from None
        host = urllib.parse.urlsplit(root).hostname or "launchpad"
        cache = self.cache_dir / host / "cache"
        try:
            cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise LaunchpadError(
                f"Cannot make launchpadlib's cache directory {cache}: {error.strerror}",
                hint="Pass another cache directory, or fix the permissions",
            ) from None
        options: dict[str, Any] = {}
        if _http.is_loopback(host):
            options["proxy_info"] = None

        def register(http: Any) -> None:
            self._http[write] = http

        session = _bounded_launchpad(self._budget, register)(
            credentials,
            None,
            None,
            service_root=root,
            cache=str(cache),
            timeout=self._budget.connect_timeout,
            version=self.version,
            **options,
        )
        self._sessions[write] = session
        return session

    def _anonymous(self, launchpadlib: Any) -> Any:
        credentials_module = launchpadlib.credentials
        token = credentials_module.AnonymousAccessToken()
        return credentials_module.Credentials(CONSUMER, access_token=token)

    def _credentials(self, launchpadlib: Any) -> Any:
        path = self.credentials_file
        if path is None:
            raise LaunchpadCredentialsError(
                "Changing Launchpad needs a credentials file, and none was given",
                hint="Set LPSIGNING_MOJO_LP_CREDENTIALS to the file "
                "Launchpad.login_with(..., credentials_file=PATH) writes",
            )
        hint = (
            "Make one with Launchpad.login_with(..., credentials_file=PATH) on a machine "
            "with a browser"
        )
        try:
            text = read_text(path)
        except FileAccessError as error:  # missing, a directory, a FIFO, too large, not UTF-8
            raise LaunchpadCredentialsError(
                f"The Launchpad credentials file cannot be used: {error.message}", hint=hint
            ) from None
        try:
            return launchpadlib.credentials.Credentials.from_string(text)
        except Exception as error:  # configparser and lazr errors: not the format
            raise LaunchpadCredentialsError(
                f"The Launchpad credentials file {path} is not a launchpadlib credentials "
                f"file ({type(error).__name__})",
                hint=hint,
            ) from None

    def _http_error(self, what: str, error: Any, *, write: bool, bug: int | None) -> LaunchpadError:
        status = int(error.response.status)
        said = _first_line(error.content)
        if status == 401:
            source = f"the token in {self.credentials_file}" if write else "anonymous access"
            return LaunchpadCredentialsError(
                f"Cannot {what}: Launchpad refused {source} (HTTP 401: {said})",
                bug=bug,
                hint="Make a new credentials file; the token may have been revoked",
            )
        if write and status == 412:
            return LaunchpadWriteError(
                f"Cannot {what}: Launchpad refused the change because the task changed after "
                "this tool read it (someone else, or an earlier attempt of this change)",
                bug=bug,
                status=status,
                hint="Run again: the tool reads the task afresh, and leaves it alone if it "
                "already has the status",
            )
        if write:
            return LaunchpadWriteError(
                f"Cannot {what}: Launchpad answered HTTP {status} ({said})",
                bug=bug,
                status=status,
            )
        if status >= 500:
            return LaunchpadUnavailableError(
                f"Cannot {what}: Launchpad answered HTTP {status} ({said})",
                bug=bug,
                hint="Try again later",
            )
        return LaunchpadError(f"Cannot {what}: Launchpad answered HTTP {status} ({said})", bug=bug)


def _check_number(number: int) -> None:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise LaunchpadError(f"{number!r} is not a bug number")


def _lookup_bug(lp: Any, number: int) -> Any:
    try:
        return lp.bugs[number]
    except KeyError:
        raise BugNotFoundError(number) from None


def _bug_value(entry: Any) -> Bug:
    tasks = tuple(
        BugTask(
            bug_target_name=str(task.bug_target_name),
            status=str(task.status),
            is_complete=bool(task.is_complete),
            web_link=str(task.web_link),
        )
        for task in entry.bug_tasks
    )
    return Bug(
        id=int(entry.id),
        title=str(entry.title),
        web_link=str(entry.web_link),
        tags=tuple(str(tag) for tag in (entry.tags or ())),
        bug_tasks=tasks,
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "refused the connection (nothing listens there)"
    if isinstance(error, socket.gaierror):
        return "cannot be found (the host name does not resolve)"
    detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return f"could not be reached ({str(detail)[:120]})"


def _first_line(content: object) -> str:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    line = text.strip().splitlines()[0] if text.strip() else "no explanation"
    return line[:160]
