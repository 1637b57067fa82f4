"""The Launchpad adapter: real launchpadlib against the loopback stand-in, and the fake."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpsigning_mojo.errors import (
    BugNotFoundError,
    BugTaskNotFoundError,
    BugTaskStatusError,
    LaunchpadCredentialsError,
    LaunchpadError,
    LaunchpadUnavailableError,
    LaunchpadWriteError,
    MissingExtraError,
    ProjectNotFoundError,
)
from lpsigning_mojo.external import launchpad as launchpad_module
from lpsigning_mojo.external.launchpad import (
    STATUSES,
    Bug,
    BugTask,
    FiledBug,
    Launchpad,
    LaunchpadClient,
    StatusChange,
    default_cache_dir,
)
from lpsigning_mojo.testing import FakeLaunchpad, UnexpectedCallError

HAVE_LAUNCHPADLIB = importlib.util.find_spec("launchpadlib") is not None
needs_launchpadlib = pytest.mark.skipif(
    not HAVE_LAUNCHPADLIB,
    reason="launchpadlib is not installed (pip install 'lpsigning-mojo[launchpad]')",
)

if HAVE_LAUNCHPADLIB:
    from lpsigning_mojo.testing.standins.launchpad import LaunchpadStandIn


@pytest.fixture
def launchpad() -> Iterator[LaunchpadStandIn]:
    with LaunchpadStandIn() as standin:
        standin.add_bug(1001, title="Signing fails for big kernels")
        standin.add_bug(1002, tasks={"lp-signing": "Fix Released"})
        standin.add_bug(
            1003,
            tags=["regression"],
            tasks={"lp-signing": "Fix Committed", "launchpad": "In Progress", "ubuntu": "Invalid"},
        )
        standin.add_bug(1004, tasks={"launchpad": "New"})
        standin.add_bug(1005, private=True)
        yield standin
    assert not standin.errors


def client(standin: LaunchpadStandIn, tmp_path: Path, **options: object) -> LaunchpadClient:
    options.setdefault("cache_dir", tmp_path / "cache")
    options.setdefault("timeout", 5.0)
    options.setdefault("connect_timeout", 2.0)
    return LaunchpadClient(standin.service_root, **options)  # type: ignore[arg-type]


def writer(standin: LaunchpadStandIn, tmp_path: Path, **options: object) -> LaunchpadClient:
    credentials = standin.write_credentials(tmp_path / "lp-credentials")
    return client(standin, tmp_path, credentials_file=credentials, **options)


# -- reading ---------------------------------------------------------------------------------


@needs_launchpadlib
def test_a_bug_is_read_with_its_tasks(launchpad: LaunchpadStandIn, tmp_path: Path) -> None:
    bug = client(launchpad, tmp_path).bug(1001)
    web = launchpad.web_root
    assert bug == Bug(
        id=1001,
        title="Signing fails for big kernels",
        web_link=f"{web}bugs/1001",
        bug_tasks=(
            BugTask(
                bug_target_name="lp-signing",
                status="Fix Committed",
                is_complete=False,
                web_link=f"{web}lp-signing/+bug/1001",
            ),
        ),
    )
    assert bug.task("lp-signing") is bug.bug_tasks[0]


@needs_launchpadlib
def test_reads_are_anonymous_and_use_the_devel_api(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    client(launchpad, tmp_path).bug(1001)
    assert {path.split("/")[1] for _, path in launchpad.requests} == {"devel"}
    assert launchpad.writes == []
    assert (tmp_path / "cache" / "127.0.0.1" / "cache").is_dir()


@needs_launchpadlib
def test_bugs_in_every_status_are_read_as_launchpad_names_them(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    for offset, status in enumerate(STATUSES):
        launchpad.add_bug(2000 + offset, tasks={"lp-signing": status})
    reader = client(launchpad, tmp_path)
    seen = [reader.bug(2000 + offset).bug_tasks[0].status for offset in range(len(STATUSES))]
    assert seen == list(STATUSES)


@needs_launchpadlib
def test_a_bug_with_several_tasks_shows_which_are_still_open(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    bug = client(launchpad, tmp_path).bug(1003)
    assert bug.targets == ("lp-signing", "launchpad", "ubuntu")
    assert bug.tags == ("regression",)
    assert [task.bug_target_name for task in bug.open_tasks(besides="lp-signing")] == ["launchpad"]
    assert bug.task("ubuntu") is not None
    assert bug.task("ubuntu").is_complete  # type: ignore[union-attr]


@needs_launchpadlib
def test_a_bug_without_an_lp_signing_task_says_so(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    bug = client(launchpad, tmp_path).bug(1004)
    assert bug.task("lp-signing") is None
    assert bug.targets == ("launchpad",)


@needs_launchpadlib
@pytest.mark.parametrize("number", [999999, 1005], ids=["missing", "private"])
def test_a_bug_that_does_not_exist_or_is_private_is_not_found(
    launchpad: LaunchpadStandIn, tmp_path: Path, number: int
) -> None:
    with pytest.raises(BugNotFoundError) as caught:
        client(launchpad, tmp_path).bug(number)
    assert str(caught.value) == (
        f"Launchpad has no bug #{number}, or it is private. "
        "Check the number (LP: #N lines in commit messages)."
    )
    assert caught.value.bug == number


@needs_launchpadlib
def test_the_service_root_comes_from_the_environment(
    launchpad: LaunchpadStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LPSIGNING_MOJO_LAUNCHPAD_URL", launchpad.service_root)
    reader = LaunchpadClient(cache_dir=tmp_path)
    assert reader.service_root == launchpad.service_root
    assert reader.bug(1002).bug_tasks[0].status == "Fix Released"


# -- writing ---------------------------------------------------------------------------------


@needs_launchpadlib
def test_fix_committed_becomes_fix_released_with_lp_save(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    before = client(launchpad, tmp_path / "reader").bug(1001)
    change = writer(launchpad, tmp_path).set_task_status(
        1001, "lp-signing", "Fix Released", from_status="Fix Committed"
    )
    assert change == StatusChange(
        bug=1001, bug_target_name="lp-signing", old_status="Fix Committed", status="Fix Released"
    )
    assert change.changed
    assert launchpad.status(1001, "lp-signing") == "Fix Released"
    (write,) = launchpad.writes
    assert (write.kind, write.path, dict(write.fields)) == (
        "patch",
        "/devel/lp-signing/+bug/1001",
        {"status": "Fix Released"},
    )
    assert write.if_match is not None
    assert before.bug_tasks[0].status == "Fix Committed"


@needs_launchpadlib
def test_setting_a_status_twice_writes_once(launchpad: LaunchpadStandIn, tmp_path: Path) -> None:
    lp = writer(launchpad, tmp_path)
    first = lp.set_task_status(1001, "lp-signing", "Fix Released", from_status="Fix Committed")
    again = lp.set_task_status(1001, "lp-signing", "Fix Released", from_status="Fix Committed")
    assert (first.changed, again.changed) == (True, False)
    assert len(launchpad.writes) == 1


@needs_launchpadlib
def test_a_task_in_another_status_is_left_alone(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    with pytest.raises(BugTaskStatusError) as caught:
        writer(launchpad, tmp_path).set_task_status(
            1003, "launchpad", "Fix Released", from_status="Fix Committed"
        )
    assert str(caught.value) == (
        "Bug #1003's launchpad task is 'In Progress', not 'Fix Committed'; it was left unchanged."
    )
    assert launchpad.writes == []


@needs_launchpadlib
def test_a_bug_without_the_task_is_not_changed(launchpad: LaunchpadStandIn, tmp_path: Path) -> None:
    with pytest.raises(BugTaskNotFoundError) as caught:
        writer(launchpad, tmp_path).set_task_status(1004, "lp-signing", "Fix Released")
    assert caught.value.targets == ("launchpad",)
    assert launchpad.writes == []


@needs_launchpadlib
def test_a_write_that_fails_for_one_bug_does_not_stop_the_others(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    launchpad.add_bug(1006)
    launchpad.fail_writes[1003] = 500
    lp = writer(launchpad, tmp_path)
    outcomes: dict[int, str] = {}
    for number in (1001, 1003, 1006):
        try:
            lp.set_task_status(number, "lp-signing", "Fix Released", from_status="Fix Committed")
            outcomes[number] = "released"
        except LaunchpadWriteError as error:
            outcomes[number] = str(error)
    assert outcomes == {
        1001: "released",
        1003: "Cannot set the lp-signing task of bug #1003 to 'Fix Released': "
        "Launchpad answered HTTP 500 (Internal Server Error (injected)).",
        1006: "released",
    }
    assert [(w.bug, w.status) for w in launchpad.writes] == [(1001, 209), (1003, 500), (1006, 209)]
    assert launchpad.status(1003, "lp-signing") == "Fix Committed"


@needs_launchpadlib
def test_a_change_made_meanwhile_is_not_overwritten(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    launchpad.fail_writes[1001] = 412
    with pytest.raises(LaunchpadWriteError) as caught:
        writer(launchpad, tmp_path).set_task_status(1001, "lp-signing", "Fix Released")
    assert caught.value.status == 412
    assert "because the task changed after this tool read it" in str(caught.value)


@needs_launchpadlib
def test_a_write_without_an_answer_may_have_been_made_and_is_checked_again(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    lp = writer(launchpad, tmp_path)
    launchpad.write_delay = 30
    lp.timeout = 1.0
    with pytest.raises(LaunchpadUnavailableError) as caught:
        lp.set_task_status(1001, "lp-signing", "Fix Released", from_status="Fix Committed")
    assert "the change may have been made: check before trying again" in str(caught.value)
    assert launchpad.status(1001, "lp-signing") == "Fix Released"
    launchpad.write_delay, lp.timeout = 0, 5
    again = lp.set_task_status(1001, "lp-signing", "Fix Released", from_status="Fix Committed")
    assert not again.changed
    assert len(launchpad.writes) == 1


@needs_launchpadlib
def test_a_filed_bug_has_its_title_description_and_tags(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    filed = writer(launchpad, tmp_path).file_bug(
        "lp-signing",
        title="Production upgrade failed",
        description="The journal says:\nupgrade-production exited 1",
        tags=["deployment", "lp-signing-ops"],
    )
    assert filed == FiledBug(id=1006, web_link=f"{launchpad.web_root}bugs/1006")
    stored = launchpad.bug(1006)
    assert (stored["title"], stored["description"], stored["tags"], stored["tasks"]) == (
        "Production upgrade failed",
        "The journal says:\nupgrade-production exited 1",
        ["deployment", "lp-signing-ops"],
        {"lp-signing": "New"},
    )
    (write,) = launchpad.writes
    assert (write.kind, write.fields["target"]) == ("createBug", f"{launchpad.url}devel/lp-signing")


@needs_launchpadlib
def test_a_bug_on_an_unknown_project_is_not_filed(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    with pytest.raises(ProjectNotFoundError, match="no project named 'lp-signin'"):
        writer(launchpad, tmp_path).file_bug("lp-signin", title="x", description="y")
    assert launchpad.writes == []


@needs_launchpadlib
def test_filing_can_fail(launchpad: LaunchpadStandIn, tmp_path: Path) -> None:
    launchpad.fail_create = 500
    with pytest.raises(LaunchpadWriteError, match=r"Cannot file a bug on lp-signing: .* HTTP 500"):
        writer(launchpad, tmp_path).file_bug("lp-signing", title="x", description="y")


# -- credentials -------------------------------------------------------------------------------


@needs_launchpadlib
def test_writing_without_a_credentials_file_asks_nothing_of_launchpad(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    with pytest.raises(LaunchpadCredentialsError, match="needs a credentials file"):
        client(launchpad, tmp_path).set_task_status(1001, "lp-signing", "Fix Released")
    assert launchpad.requests == []


@needs_launchpadlib
@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("not an ini file", "is not a launchpadlib credentials file"),
        ("[1]\nconsumer_key = x\n", "is not a launchpadlib credentials file"),
    ],
    ids=["missing", "garbage", "incomplete"],
)
def test_an_unusable_credentials_file_is_one_clear_error(
    launchpad: LaunchpadStandIn, tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "credentials"
    if content is not None:
        path.write_text(content)
    with pytest.raises(LaunchpadCredentialsError) as caught:
        client(launchpad, tmp_path, credentials_file=path).file_bug(
            "lp-signing", title="x", description="y"
        )
    message = str(caught.value)
    assert message.startswith("The Launchpad credentials file ")
    assert str(path) in message
    assert problem in message
    assert launchpad.requests == []


@needs_launchpadlib
def test_a_refused_token_is_an_error_and_never_a_prompt(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    path = launchpad.write_credentials(tmp_path / "credentials")
    launchpad.tokens.clear()  # revoked
    started = time.monotonic()
    with pytest.raises(LaunchpadCredentialsError) as caught:
        client(launchpad, tmp_path, credentials_file=path).set_task_status(
            1001, "lp-signing", "Fix Released"
        )
    assert time.monotonic() - started < 3
    assert "Launchpad refused the token in" in str(caught.value)
    assert "HTTP 401" in str(caught.value)
    assert launchpad.status(1001, "lp-signing") == "Fix Committed"


# -- bounded time ------------------------------------------------------------------------------


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A service root whose port accepts no more connections: connecting hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        filler.close()
        listener.close()


@pytest.fixture
def flood() -> Iterator[tuple[str, list[str]]]:
    """A service root answering every request with endless bytes; ``how`` picks the headers.

    Append ``"announced"`` (a Content-Length of 1 GiB, no body sent) or
    ``"unannounced"`` (no length: bytes until the connection closes) to the list.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    how: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            if stop.is_set():
                connection.close()
                return
            with connection:
                try:
                    connection.recv(65536)
                    if how[-1] == "gzip":
                        bomb = zlib.compress(b"\0" * (64 << 20), 9)
                        connection.sendall(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.sun.wadl+xml\r\n"
                            b"Content-Encoding: deflate\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(bomb) + bomb
                        )
                        continue
                    if how[-1] == "announced":
                        connection.sendall(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.sun.wadl+xml\r\n"
                            b"Content-Length: 1073741824\r\n\r\n<application"
                        )
                        continue
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.sun.wadl+xml\r\n"
                        b"Connection: close\r\n\r\n"
                    )
                    while True:
                        connection.sendall(b"x" * 65536)
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    address = listener.getsockname()
    try:
        yield f"http://127.0.0.1:{address[1]}/", how
    finally:
        stop.set()
        socket.create_connection(address).close()  # wakes the accept() up
        thread.join(timeout=5)
        listener.close()


@needs_launchpadlib
@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("announced", "announced an answer of 1073741824 bytes, over the limit of 2097152"),
        ("unannounced", "sent an answer of more than 2097152 bytes"),
    ],
)
def test_an_answer_too_large_is_refused_without_being_read_or_parsed(
    flood: tuple[str, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    said: str,
) -> None:
    # 1 GiB of "WADL" used to be read whole, cached, then parsed as XML for minutes.
    monkeypatch.setattr(launchpad_module, "MAX_BODY", 2 << 20)
    root, hows = flood
    hows.append(how)
    started = time.monotonic()
    with pytest.raises(LaunchpadUnavailableError) as caught:
        LaunchpadClient(root, cache_dir=tmp_path, timeout=20).bug(1001)
    assert time.monotonic() - started < 5
    assert str(caught.value) == (
        f"Cannot read bug #1001: Launchpad at {root} {said}. Check the network or the "
        "service root (LPSIGNING_MOJO_LAUNCHPAD_URL), or try again later."
    )
    cached = sum(path.stat().st_size for path in tmp_path.rglob("*") if path.is_file())
    assert cached < 2 << 20


@needs_launchpadlib
def test_a_compressed_answer_that_expands_too_far_is_one_sentence(
    flood: tuple[str, list[str]], tmp_path: Path
) -> None:
    pytest.importorskip("httplib2.decode", reason="httplib2 < 0.32 has no decoding limits")
    root, hows = flood
    hows.append("gzip")
    with pytest.raises(LaunchpadUnavailableError) as caught:
        LaunchpadClient(root, cache_dir=tmp_path, timeout=20).bug(1001)
    # It was httplib2's DecodeRatioError: "unexpected error ... This is a bug".
    assert str(caught.value).startswith(
        f"Cannot read bug #1001: Launchpad at {root} sent a compressed answer that expands "
        "too far (Amplification ratio"
    )


@needs_launchpadlib
def test_a_refused_connection_fails_at_once_and_is_remembered(tmp_path: Path) -> None:
    lp = LaunchpadClient("http://127.0.0.1:1/", cache_dir=tmp_path, connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(LaunchpadUnavailableError) as first:
        lp.bug(1001)
    with pytest.raises(LaunchpadUnavailableError) as second:
        lp.bug(1002)
    assert time.monotonic() - started < 1
    assert str(first.value) == (
        "Cannot read bug #1001: Launchpad at http://127.0.0.1:1/ refused the connection "
        "(nothing listens there). Check the network or the service root "
        "(LPSIGNING_MOJO_LAUNCHPAD_URL), or try again later."
    )
    assert "found earlier in this run" in str(second.value)


@needs_launchpadlib
def test_an_unreachable_launchpad_costs_the_connect_timeout_once(
    black_hole: str, tmp_path: Path
) -> None:
    lp = LaunchpadClient(black_hole, cache_dir=tmp_path, connect_timeout=0.5, timeout=10)
    started = time.monotonic()
    errors = []
    for number in (1, 2, 3):
        with pytest.raises(LaunchpadUnavailableError) as caught:
            lp.bug(number)
        errors.append(str(caught.value))
    assert time.monotonic() - started < 2
    assert "accepted no connection within 0.5 s" in errors[0]
    assert all("found earlier in this run" in error for error in errors[1:])


@needs_launchpadlib
@pytest.mark.parametrize("how", ["delay", "trickle"])
def test_a_slow_launchpad_costs_the_timeout_and_no_more(
    launchpad: LaunchpadStandIn, tmp_path: Path, how: str
) -> None:
    setattr(launchpad, how, 30 if how == "delay" else 0.05)
    started = time.monotonic()
    with pytest.raises(LaunchpadUnavailableError) as caught:
        client(launchpad, tmp_path, timeout=1.0).bug(1001)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"{how}: {elapsed:.2f} s for a 1 s timeout"
    assert "sent no complete answer within 1 s" in str(caught.value)


@needs_launchpadlib
def test_a_503_fails_at_once_instead_of_retrying_with_sleeps(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    launchpad.outage = 503
    started = time.monotonic()
    with pytest.raises(LaunchpadUnavailableError, match="answered HTTP 503"):
        client(launchpad, tmp_path).bug(1001)
    assert time.monotonic() - started < 1
    assert len(launchpad.requests) == 1


@needs_launchpadlib
def test_a_read_after_a_slow_answer_works_once_launchpad_is_back(
    launchpad: LaunchpadStandIn, tmp_path: Path
) -> None:
    lp = client(launchpad, tmp_path)
    assert lp.bug(1001).id == 1001
    launchpad.delay, lp.timeout = 30, 0.5
    with pytest.raises(LaunchpadUnavailableError):
        lp.bug(1002)
    launchpad.delay, lp.timeout = 0, 5
    assert lp.bug(1002).id == 1002


# -- without launchpadlib, and checks before any request --------------------------------------


def test_importing_the_adapter_does_not_import_launchpadlib() -> None:
    code = (
        "import json, sys, lpsigning_mojo.external.launchpad, lpsigning_mojo.testing\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('launchpadlib', 'lazr', 'httplib2'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_without_launchpadlib_the_first_call_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "launchpadlib", None)
    lp = LaunchpadClient("http://127.0.0.1:1/", cache_dir=tmp_path)
    with pytest.raises(MissingExtraError) as caught:
        lp.bug(1)
    assert caught.value.extra == "launchpad"
    assert "pip install 'lpsigning-mojo[launchpad]'" in str(caught.value)


def test_the_default_service_root_is_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LPSIGNING_MOJO_LAUNCHPAD_URL", raising=False)
    assert LaunchpadClient().service_root == "production"
    assert LaunchpadClient().version == "devel"
    monkeypatch.setenv("LPSIGNING_MOJO_LAUNCHPAD_URL", "staging")
    assert LaunchpadClient().service_root == "staging"
    assert LaunchpadClient("qastaging").service_root == "qastaging"


@pytest.mark.parametrize(
    ("root", "message"),
    [
        ("ftp://api.launchpad.net/", "is not an http or https URL"),
        ("http://[::1/", "is not an http or https URL"),
        ("https://api.launchpad.net/devel/", "names the API version"),
    ],
)
def test_a_bad_service_root_is_refused(root: str, message: str) -> None:
    with pytest.raises(LaunchpadError, match=message):
        LaunchpadClient(root)


def test_paths_may_start_with_a_tilde(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    lp = LaunchpadClient(credentials_file="~/lp-credentials", cache_dir="~/cache")
    assert (lp.credentials_file, lp.cache_dir) == (tmp_path / "lp-credentials", tmp_path / "cache")


def test_the_cache_is_under_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "lpsigning-mojo" / "launchpadlib"
    assert LaunchpadClient().cache_dir == default_cache_dir()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda lp: lp.bug(0), "0 is not a bug number"),
        (lambda lp: lp.bug(True), "True is not a bug number"),
        (
            lambda lp: lp.set_task_status(1, "lp-signing", "Released"),
            "'Released' is not a Launchpad bug status",
        ),
        (
            lambda lp: lp.set_task_status(1, "lp-signing", "Fix Released", from_status="Done"),
            "'Done' is not a Launchpad bug status",
        ),
        (lambda lp: lp.file_bug("lp-signing", title=" ", description="d"), "needs a title"),
        (
            lambda lp: lp.file_bug("lp-signing", title="t", description="d", tags=["Deploy me"]),
            "does not accept the tag",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    call: object, message: str, tmp_path: Path
) -> None:
    lp = LaunchpadClient("http://127.0.0.1:1/", cache_dir=tmp_path)
    with pytest.raises(LaunchpadError, match=message):
        call(lp)  # type: ignore[operator]
    assert not (tmp_path / "127.0.0.1").exists()


# -- the strict fake ------------------------------------------------------------------------------


def test_the_fake_answers_what_it_was_told() -> None:
    fake = FakeLaunchpad()
    lp: Launchpad = fake
    bug = Bug(id=1, title="t", web_link="https://bugs.launchpad.net/bugs/1")
    fake.expect_bug(1, bug)
    fake.expect_bug(2, error=BugNotFoundError(2))
    fake.expect_set_task_status(1, "lp-signing", "Fix Released", from_status="Fix Committed")
    fake.expect_file_bug(
        "lp-signing",
        title="Upgrade failed",
        tags=["deployment"],
        filed=FiledBug(id=9, web_link="u"),
    )
    assert lp.bug(1) is bug
    with pytest.raises(BugNotFoundError):
        lp.bug(2)
    change = lp.set_task_status(1, "lp-signing", "Fix Released", from_status="Fix Committed")
    assert (change.old_status, change.changed) == ("Fix Committed", True)
    filed = lp.file_bug(
        "lp-signing", title="Upgrade failed", description="journal", tags=["deployment"]
    )
    assert filed.id == 9
    assert fake.filed == [("lp-signing", "Upgrade failed", "journal", ("deployment",))]
    assert [method for method, _ in fake.calls] == ["bug", "bug", "set_task_status", "file_bug"]
    fake.verify()


def test_the_fake_fails_on_a_call_it_was_not_told_about() -> None:
    fake = FakeLaunchpad()
    fake.expect_set_task_status(1, "lp-signing", "Fix Released", from_status="Fix Committed")
    with pytest.raises(UnexpectedCallError) as caught:
        fake.set_task_status(1, "lp-signing", "Fix Released")
    assert str(caught.value) == (
        "FakeLaunchpad.set_task_status(1, 'lp-signing', 'Fix Released') was not expected; "
        "still expected: set_task_status(1, 'lp-signing', 'Fix Released', "
        "from_status='Fix Committed')"
    )
    with pytest.raises(UnexpectedCallError, match="never came"):
        fake.verify()
    with pytest.raises(TypeError):
        fake.expect_bug(3)
