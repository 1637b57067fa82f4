"""A stand-in for Launchpad's web service, on 127.0.0.1, that real launchpadlib can use.

It serves the WADL that launchpadlib itself ships
(``launchpadlib/testing/launchpad-wadl.xml``, API 1.0, its resource base
rewritten to the stand-in) under whatever version path the client asks
(``/devel/``, ``/1.0/``), the service root, and JSON for the projects, bugs
and bug tasks a test sets up. Each entry carries ``self_link``,
``resource_type_link`` (into the WADL: ``#bug``, ``#bug_task``,
``#project``) and ``http_etag``; collections carry ``total_size``,
``start`` and ``entries``. It answers ``PATCH`` on a bug task (what
``lp_save()`` sends, honouring ``If-Match``) and the ``createBug`` named
operation, records every write in ``writes``, and can inject faults.

Writes need an OAuth access token the stand-in knows
(:meth:`LaunchpadStandIn.write_credentials` makes a launchpadlib credentials
file for one); reads are anonymous, and private bugs are hidden from them::

    with LaunchpadStandIn() as launchpad:
        launchpad.add_bug(1234, tasks={"lp-signing": "Fix Committed"})
        client = LaunchpadClient(
            launchpad.service_root,
            credentials_file=launchpad.write_credentials(tmp / "credentials"),
            cache_dir=tmp / "cache",
        )
        client.set_task_status(1234, "lp-signing", "Fix Released")
        launchpad.writes  # what was written
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote

import attrs

from lpsigning_mojo.external.launchpad import STATUSES
from lpsigning_mojo.testing.standins._server import Exchange, LoopbackHTTPServer

__all__ = ["COMPLETE", "LaunchpadStandIn", "Write"]

#: Statuses in which Launchpad counts a task as complete (``is_complete``).
COMPLETE = frozenset(
    {"Opinion", "Invalid", "Won't Fix", "Expired", "Fix Released", "Does Not Exist"}
)
#: The resource base of the shipped WADL.
_WADL_BASE = "https://api.launchpad.test/1.0/"
_VERSION = re.compile(r"^/(devel|beta|1\.0)/")
_NOW = "2026-01-01T00:00:00+00:00"


@attrs.frozen(kw_only=True)
class Write:
    """One write that reached the stand-in, and how it was answered.

    ``kind`` is ``"patch"`` or ``"createBug"``; ``path`` the URL path;
    ``fields`` the JSON (PATCH) or the decoded form fields (createBug);
    ``if_match`` the ``If-Match`` header; ``status`` the HTTP answer.
    """

    kind: str
    path: str
    fields: Mapping[str, object]
    if_match: str | None
    status: int
    bug: int | None = None


def _shipped_wadl() -> bytes:
    spec = importlib.util.find_spec("launchpadlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The Launchpad stand-in serves the WADL launchpadlib ships: "
            "pip install 'lpsigning-mojo[launchpad]'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "testing" / "launchpad-wadl.xml"
    return path.read_bytes()


class LaunchpadStandIn(LoopbackHTTPServer):
    """Launchpad's web service for the projects and bugs a test sets up.

    ``fail_writes`` maps a bug number to the HTTP status its writes get (e.g.
    ``{1234: 500}``, or ``412`` as if someone changed it meanwhile);
    ``fail_create`` is the status ``createBug`` gets, if set; ``outage`` is the
    status every request gets, if set (e.g. 503). ``delay`` makes every answer
    wait that long, ``write_delay`` the answer to a status change (made at
    once), and ``trickle`` sends every answer one byte per that many seconds.
    ``requests`` records every request as ``(method, path)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._wadl_template = _shipped_wadl()
        self._wadl: dict[str, bytes] = {}
        self.projects: dict[str, str] = {}
        self._bugs: dict[int, dict[str, object]] = {}
        self._tasks: dict[int, dict[str, dict[str, object]]] = {}
        self._revision = 0
        self.tokens: dict[str, str] = {}
        self.writes: list[Write] = []
        self.requests: list[tuple[str, str]] = []
        self.fail_writes: dict[int, int] = {}
        self.fail_create: int | None = None
        self.outage: int | None = None
        self.delay = 0.0
        self.write_delay = 0.0
        self.trickle = 0.0

    @property
    def service_root(self) -> str:
        """The service root to give launchpadlib (without a version): ``http://HOST:PORT/``."""
        return self.url

    @property
    def web_root(self) -> str:
        """Where the stand-in's ``web_link`` URLs point (nothing is served there)."""
        return f"{self.url}+web/"

    # -- setting up --------------------------------------------------------------------------

    def add_project(self, name: str, display_name: str | None = None) -> None:
        with self.lock:
            self.projects[name] = display_name or name

    def add_bug(
        self,
        number: int,
        *,
        title: str | None = None,
        description: str = "",
        tags: Iterable[str] = (),
        tasks: Mapping[str, str] | None = None,
        private: bool = False,
    ) -> None:
        """Add bug ``number`` with one task per ``tasks`` entry (project: status).

        By default it has one ``lp-signing`` task in ``Fix Committed``. The
        projects named are added when missing.
        """
        tasks = {"lp-signing": "Fix Committed"} if tasks is None else dict(tasks)
        with self.lock:
            self._bugs[number] = {
                "id": number,
                "title": title or f"Bug {number}",
                "description": description,
                "tags": list(tags),
                "private": private,
                "revision": self._next_revision(),
            }
            self._tasks[number] = {}
            for target, status in tasks.items():
                if status not in STATUSES:
                    raise ValueError(f"unknown status {status!r}")
                self.projects.setdefault(target, target)
                self._tasks[number][target] = {"status": status, "revision": self._next_revision()}

    def write_credentials(
        self, path: str | Path, *, token: str | None = None, consumer: str = "lpsigning-mojo"
    ) -> Path:
        """Write a launchpadlib credentials file with a token this stand-in accepts."""
        token = token or secrets.token_hex(10)
        secret = secrets.token_hex(20)
        with self.lock:
            self.tokens[token] = secret
        parser = configparser.ConfigParser()
        parser["1"] = {
            "consumer_key": consumer,
            "consumer_secret": "",
            "access_token": token,
            "access_secret": secret,
        }
        target = Path(path)
        with target.open("w", encoding="utf-8") as file:
            parser.write(file)
        target.chmod(0o600)
        return target

    # -- reading back ----------------------------------------------------------------------

    def status(self, bug: int, target: str) -> str:
        """The status of ``bug``'s ``target`` task now."""
        with self.lock:
            return str(self._tasks[bug][target]["status"])

    def bug(self, number: int) -> dict[str, object]:
        """A copy of what the stand-in holds for ``number`` (tasks as ``{target: status}``)."""
        with self.lock:
            data = dict(self._bugs[number])
            data["tasks"] = {name: task["status"] for name, task in self._tasks[number].items()}
            return data

    # -- serving ---------------------------------------------------------------------------

    def _next_revision(self) -> int:
        self._revision += 1
        return self._revision

    def handle(self, exchange: Exchange) -> None:
        with self.lock:
            self.requests.append((exchange.method, exchange.path))
            delay, trickle, outage = self.delay, self.trickle, self.outage
        if delay and exchange.wait(delay):
            return
        if outage is not None:
            exchange.reply(outage, "Launchpad is down for maintenance (injected)")
            return
        if trickle:
            exchange.trickle(200, b"{" + b" " * 10_000 + b"}", interval=trickle)
            return
        match = _VERSION.match(exchange.path)
        if match is None:
            exchange.reply(404, "Not found")
            return
        version = match[1]
        root = f"{self.url}{version}/"
        rest = unquote(exchange.path[match.end() :])
        answer: Callable[[], None] | None = None
        with self.lock:
            if exchange.method == "GET":
                self._get(exchange, version, root, rest)
            elif exchange.method == "PATCH":
                answer = self._patch(exchange, root, rest)
            elif exchange.method == "POST" and rest == "bugs":
                self._create_bug(exchange, root)
            else:
                exchange.reply(405, "Method not allowed")
            write_delay = self.write_delay
        if answer is not None:  # the change is made: the answer may come late
            if write_delay and exchange.wait(write_delay):
                return
            answer()

    def _get(self, exchange: Exchange, version: str, root: str, rest: str) -> None:
        if rest == "":
            if "application/vnd.sun.wadl+xml" in exchange.headers.get("accept", ""):
                wadl = self._wadl.get(version)
                if wadl is None:
                    wadl = self._wadl_template.replace(_WADL_BASE.encode(), root.encode())
                    self._wadl[version] = wadl
                exchange.reply(200, wadl, content_type="application/vnd.sun.wadl+xml")
            else:
                exchange.json(200, self._service_root(root))
            return
        parts = rest.split("/")
        anonymous = self._token(exchange) is None
        if parts[0] == "bugs" and len(parts) in (2, 3) and parts[1].isdigit():
            number = int(parts[1])
            bug = self._bugs.get(number)
            if bug is None or (bug["private"] and anonymous):
                exchange.reply(404, f"Object: <bugs>, name: '{parts[1]}'")
            elif len(parts) == 2:
                self._send_entry(exchange, self._bug_json(root, number))
            elif parts[2] == "bug_tasks":
                entries = [self._task_json(root, number, name) for name in self._tasks[number]]
                exchange.json(
                    200,
                    {
                        "total_size": len(entries),
                        "start": 0,
                        "entries": entries,
                        "resource_type_link": f"{root}#bug_task-page-resource",
                    },
                )
            else:
                exchange.reply(404, "Not found")
        elif len(parts) == 1 and parts[0] in self.projects:
            self._send_entry(exchange, self._project_json(root, parts[0]))
        elif len(parts) == 3 and parts[1] == "+bug" and self._task_of(parts) is not None:
            number = int(parts[2])
            if self._bugs[number]["private"] and anonymous:
                exchange.reply(404, "Not found")
            else:
                self._send_entry(exchange, self._task_json(root, number, parts[0]))
        else:
            exchange.reply(404, f"Object: {rest!r} not found")

    def _task_of(self, parts: list[str]) -> dict[str, object] | None:
        if not parts[2].isdigit():
            return None
        return self._tasks.get(int(parts[2]), {}).get(parts[0])

    @staticmethod
    def _send_entry(exchange: Exchange, entry: dict[str, object]) -> None:
        exchange.json(200, entry, headers={"ETag": str(entry["http_etag"])})

    def _token(self, exchange: Exchange) -> str | None:
        """The OAuth token of the request, if it is one the stand-in issued."""
        header = exchange.headers.get("authorization", "")
        found = re.search(r'oauth_token="([^"]*)"', header)
        token = unquote(found[1]) if found else ""
        return token if token in self.tokens else None

    def _refuse_anonymous(self, exchange: Exchange) -> bool:
        if self._token(exchange) is not None:
            return False
        header = exchange.headers.get("authorization", "")
        anonymous = 'oauth_token=""' in header or "oauth_token" not in header
        exchange.reply(401, "Unauthorized" if anonymous else "Invalid token: unknown to the server")
        return True

    def _patch(self, exchange: Exchange, root: str, rest: str) -> Callable[[], None] | None:
        """Make the change; return how to answer it (``None``: answered already)."""
        parts = rest.split("/")
        task = self._task_of(parts) if len(parts) == 3 and parts[1] == "+bug" else None
        if task is None:
            exchange.reply(404, "Not found")
            return None
        if self._refuse_anonymous(exchange):
            return None
        number, target = int(parts[2]), parts[0]
        fields = exchange.json_body()
        if_match = exchange.headers.get("if-match")
        status = self._patch_status(number, target, fields, if_match)
        self.writes.append(
            Write(
                kind="patch",
                path=exchange.path,
                fields=dict(fields) if isinstance(fields, dict) else {},
                if_match=if_match,
                status=status,
                bug=number,
            )
        )
        if status == 209:
            entry = self._task_json(root, number, target)
            return lambda: exchange.json(209, entry)
        message = {
            412: "Precondition Failed: the entry changed since you read it",
            400: "status: Invalid value",
        }.get(status, "Internal Server Error (injected)")
        return lambda: exchange.reply(status, message)

    def _patch_status(self, number: int, target: str, fields: object, if_match: str | None) -> int:
        task = self._tasks[number][target]
        if number in self.fail_writes:
            return self.fail_writes[number]
        if if_match is not None and if_match != self._etag("task", number, target, task):
            return 412
        if not isinstance(fields, dict) or set(fields) - {"status", "importance"}:
            return 400
        if "status" in fields and fields["status"] not in STATUSES:
            return 400
        task.update(fields)
        task["revision"] = self._next_revision()
        return 209

    def _create_bug(self, exchange: Exchange, root: str) -> None:
        form = {name: values[-1] for name, values in parse_qs(exchange.body.decode()).items()}
        if form.get("ws.op") != "createBug":
            exchange.reply(400, f"No such operation: {form.get('ws.op')!r}")
            return
        if self._refuse_anonymous(exchange):
            return
        fields: dict[str, object] = {}
        for name, value in form.items():
            if name != "ws.op":
                try:
                    fields[name] = json.loads(value)
                except ValueError:
                    fields[name] = value
        project = str(fields.get("target", "")).rstrip("/").rpartition("/")[2]
        status = self.fail_create or (201 if project in self.projects else 400)
        number = max(self._bugs, default=99999) + 1 if status == 201 else None
        self.writes.append(
            Write(
                kind="createBug",
                path=exchange.path,
                fields=fields,
                if_match=None,
                status=status,
                bug=number,
            )
        )
        if number is None:
            message = "target: not a project" if status == 400 else "Internal Server Error"
            exchange.reply(status, message)
            return
        tags = fields.get("tags") or []
        self.add_bug(
            number,
            title=str(fields.get("title", "")),
            description=str(fields.get("description", "")),
            tags=[str(tag) for tag in tags] if isinstance(tags, list) else str(tags).split(),
            tasks={project: "New"},
        )
        exchange.reply(201, "", headers={"Location": f"{root}bugs/{number}"})

    # -- representations ---------------------------------------------------------------------

    def _etag(self, kind: str, number: int | str, target: str, data: Mapping[str, object]) -> str:
        return f'"{kind}-{number}-{target}-{data["revision"]}"'

    def _service_root(self, root: str) -> dict[str, object]:
        return {
            "resource_type_link": f"{root}#service-root",
            "bugs_collection_link": f"{root}bugs",
            "projects_collection_link": f"{root}projects",
            "people_collection_link": f"{root}people",
            "me_link": f"{root}people/+me",
        }

    def _bug_json(self, root: str, number: int) -> dict[str, object]:
        bug = self._bugs[number]
        return {
            "self_link": f"{root}bugs/{number}",
            "web_link": f"{self.web_root}bugs/{number}",
            "resource_type_link": f"{root}#bug",
            "http_etag": self._etag("bug", number, "", bug),
            "id": number,
            "title": bug["title"],
            "description": bug["description"],
            "tags": bug["tags"],
            "private": bug["private"],
            "information_type": "Private" if bug["private"] else "Public",
            "bug_tasks_collection_link": f"{root}bugs/{number}/bug_tasks",
            "owner_link": None,
            "duplicate_of_link": None,
            "date_created": _NOW,
            "date_last_updated": _NOW,
        }

    def _task_json(self, root: str, number: int, target: str) -> dict[str, object]:
        task = self._tasks[number][target]
        bug = self._bugs[number]
        return {
            "self_link": f"{root}{target}/+bug/{number}",
            "web_link": f"{self.web_root}{target}/+bug/{number}",
            "resource_type_link": f"{root}#bug_task",
            "http_etag": self._etag("task", number, target, task),
            "bug_target_name": target,
            "bug_target_display_name": self.projects.get(target, target),
            "status": task["status"],
            "importance": task.get("importance", "Undecided"),
            "is_complete": task["status"] in COMPLETE,
            "title": f"Bug #{number} in {target}: {bug['title']}",
            "bug_link": f"{root}bugs/{number}",
            "target_link": f"{root}{target}",
            "assignee_link": None,
            "milestone_link": None,
            "date_created": _NOW,
        }

    def _project_json(self, root: str, name: str) -> dict[str, object]:
        return {
            "self_link": f"{root}{name}",
            "web_link": f"{self.web_root}{name}",
            "resource_type_link": f"{root}#project",
            "http_etag": f'"project-{name}"',
            "name": name,
            "display_name": self.projects[name],
            "title": self.projects[name],
        }
