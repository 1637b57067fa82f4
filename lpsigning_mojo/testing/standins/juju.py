"""``juju`` stand-ins: a strict executable, and the juju of a management environment.

:class:`FakeJujuBin` writes a ``juju`` script into a directory; put that
directory first on ``PATH`` and the juju CLI adapter, run by any runner that
uses the shell's ``PATH``, finds it. Each call is logged; an argv it was not
told to expect fails with exit status 2 and says so on stderr. The script
runs under the Python that runs this module.

:class:`JujuModels` holds the state of a controller's models (JSON files in
a ``JUJU_DATA`` directory): a bundle deployed into one changes it, and
:func:`main`, the ``juju`` command of the rehearsal's bastions (``python -m
lpsigning_mojo.testing.standins.juju status ...``), answers ``juju status``
and ``juju config`` from it in Juju's own JSON layout.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lpsigning_mojo.bundle import Bundle

__all__ = ["FakeJujuBin", "JujuModels", "main"]

_SCRIPT = """\
#!{python}
import json, sys
from pathlib import Path
here = Path(__file__).resolve().parent
argv = sys.argv[1:]
with open(here / "calls.log", "a") as log:
    log.write(json.dumps(argv) + "\\n")
for answer in json.loads((here / "answers.json").read_text()):
    if answer["argv"] == argv:
        sys.stdout.write(answer["stdout"])
        sys.stderr.write(answer["stderr"])
        sys.exit(answer["exit_status"])
sys.stderr.write("fake juju: unexpected arguments: %r\\n" % (argv,))
sys.exit(2)
"""

_FILES = ("juju", "answers.json", "calls.log")


class FakeJujuBin:
    """A ``juju`` executable in ``directory`` (created by :meth:`start`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.answers: list[dict[str, object]] = []

    @property
    def path(self) -> Path:
        """The executable itself."""
        return self.directory / "juju"

    def start(self) -> FakeJujuBin:
        """Write the executable (and the answers expected so far)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path.write_text(_SCRIPT.format(python=sys.executable), encoding="utf-8")
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR)
        self._save()
        return self

    def close(self) -> None:
        """Remove the executable, its answers and its log."""
        for name in _FILES:
            (self.directory / name).unlink(missing_ok=True)

    def __enter__(self) -> FakeJujuBin:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def expect(self, *argv: str, stdout: str = "", stderr: str = "", exit_status: int = 0) -> None:
        """Answer ``juju ARGV...`` with this output and exit status (each time it is called)."""
        self.answers.append(
            {"argv": list(argv), "stdout": stdout, "stderr": stderr, "exit_status": exit_status}
        )
        if self.path.exists():
            self._save()

    def calls(self) -> list[list[str]]:
        """The argv of every call so far, in order."""
        log = self.directory / "calls.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    def _save(self) -> None:
        (self.directory / "answers.json").write_text(json.dumps(self.answers), encoding="utf-8")


# -- models with state: the juju of a management environment ---------------------------------

#: Ubuntu's release numbers of the series a bundle may name (``juju status`` shows bases).
SERIES_BASES = {"focal": "20.04", "jammy": "22.04", "noble": "24.04"}
#: The Juju version the stand-in reports.
JUJU_VERSION = "3.6.8"


def _since(seconds: float) -> str:
    """A time as ``juju status`` writes it: ``25 Nov 2026 16:02:11Z``."""
    return time.strftime("%d %b %Y %H:%M:%SZ", time.gmtime(seconds))


def _status(current: str, since: float, message: str = "") -> dict[str, object]:
    entry: dict[str, object] = {"current": current}
    if message:
        entry["message"] = message
    entry["since"] = _since(since)
    return entry


def _principals(bundle: Bundle, name: str) -> list[str]:
    """The applications that subordinate ``name`` is related to, which carry its units."""
    return [
        other
        for relation in bundle.relations
        if name in relation.applications
        for other in relation.applications
        if other != name and not bundle.applications[other].subordinate
    ]


def _unit(
    entry: Mapping[str, Any], index: int, address: str, *, machine: str | None = None
) -> dict[str, Any]:
    """One unit of ``juju status``: its statuses, leadership, machine and address."""
    unit: dict[str, Any] = {
        "workload-status": _status(entry["workload"], entry["since"], entry["message"]),
        "juju-status": {**_status(entry["agent"], entry["since"]), "version": JUJU_VERSION},
    }
    if index == 0:
        unit["leader"] = True
    if machine is not None:
        unit["machine"] = machine
    unit["public-address"] = address
    return unit


class JujuModels:
    """The models a controller holds, as JSON files in ``directory`` (a ``JUJU_DATA``).

    Each model is ``models/NAME.json``: its controller and cloud, and per
    application the charm, channel, revision, number of units, options and
    health. :meth:`deploy` changes one as ``juju deploy BUNDLE`` would (the
    stand-in Mojo's ``bundle`` phase calls it); :meth:`status` and
    :meth:`config` answer as ``juju status --format=json`` and ``juju config
    --format=json`` do, in Juju's own JSON layout (that of
    ``data/juju-status-staging.json``). :func:`main` is the ``juju`` command
    that reads them (``JUJU_DATA``, ``JUJU_MODEL``, ``--model``).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, model: str) -> Path:
        if not model or "/" in model or model.startswith("."):
            raise ValueError(f"{model!r} is not a model name")
        return self.directory / "models" / f"{model}.json"

    def names(self) -> list[str]:
        folder = self.directory / "models"
        return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []

    def create(
        self, model: str, *, controller: str, cloud: str, series: str = "jammy"
    ) -> dict[str, Any]:
        """An empty model called ``model`` (replacing any of that name)."""
        state: dict[str, Any] = {
            "name": model,
            "controller": controller,
            "cloud": cloud,
            "series": series,
            "created": time.time(),
            "applications": {},
            "deployments": 0,
        }
        self.save(model, state)
        return state

    def load(self, model: str) -> dict[str, Any]:
        path = self.path(model)
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LookupError(f"model {model!r} not found") from None
        if not isinstance(state, dict):
            raise LookupError(f"model {model!r} is damaged")
        return state

    def save(self, model: str, state: Mapping[str, Any]) -> None:
        path = self.path(model)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(part, path)

    def deploy(self, model: str, bundle: Bundle, *, series: str | None = None) -> dict[str, Any]:
        """Deploy ``bundle`` (a rendered one) into ``model``, as ``juju deploy`` would.

        Applications are added or changed to the bundle's charm, channel,
        revision and units; the options the bundle sets are set, the others
        keep their values (as a redeployed bundle leaves them). An
        application the bundle relates as a subordinate (no units, no
        placement) runs a unit beside each unit of its principal. Every
        unit ends active and idle: the stand-in settles at once.
        """
        state = self.load(model)
        now = time.time()
        applications: dict[str, Any] = state.setdefault("applications", {})
        for name, application in bundle.applications.items():
            entry = applications.setdefault(name, {"options": {}, "since": now})
            principals = _principals(bundle, name) if application.subordinate else []
            entry.update(
                {
                    "charm": application.charm or name,
                    "channel": application.channel,
                    "revision": application.revision,
                    "num_units": 0 if application.subordinate else application.num_units or 1,
                    "subordinate_to": sorted(set(principals)),
                    "workload": "active",
                    "message": "Ready",
                    "agent": "idle",
                    "since": now,
                }
            )
            entry["options"] = {**entry.get("options", {}), **dict(application.options)}
        state["series"] = series or bundle.series or state.get("series") or "jammy"
        state["deployments"] = int(state.get("deployments", 0)) + 1
        state["deployed"] = now
        self.save(model, state)
        return state

    def set_health(
        self, model: str, application: str, *, workload: str, message: str, agent: str = "idle"
    ) -> None:
        """Make every unit of ``application`` report this workload status (a fault to show)."""
        state = self.load(model)
        entry = state["applications"][application]
        entry.update(workload=workload, message=message, agent=agent, since=time.time())
        self.save(model, state)

    def status(self, model: str, applications: Sequence[str] = ()) -> dict[str, Any]:
        """``juju status --format=json [APPLICATION...]`` of ``model``."""
        state = self.load(model)
        apps: Mapping[str, Any] = state.get("applications", {})
        base = {"name": "ubuntu", "channel": SERIES_BASES.get(str(state.get("series")), "22.04")}
        wanted = set(applications) or set(apps)
        # A filter shows the applications named and the subordinates they carry.
        wanted |= {
            name for name, entry in apps.items() if set(entry.get("subordinate_to", ())) & wanted
        }
        machines: dict[str, Any] = {}
        shown: dict[str, Any] = {}
        number = 0
        for name in sorted(apps):
            entry = apps[name]
            if entry.get("subordinate_to"):
                continue
            units: dict[str, Any] = {}
            for index in range(int(entry.get("num_units") or 0)):
                machine = str(number)
                number += 1
                address = f"10.132.60.{10 + int(machine)}"
                machines[machine] = self._machine(state, machine, address, base)
                unit = _unit(entry, index, address, machine=machine)
                subordinates = {
                    f"{other}/{index}": _unit(sub, index, address)
                    for other, sub in sorted(apps.items())
                    if name in sub.get("subordinate_to", ())
                }
                if subordinates:
                    unit["subordinates"] = subordinates
                units[f"{name}/{index}"] = unit
            if name in wanted:
                shown[name] = self._application(name, entry, base, units)
        for name in sorted(wanted & set(apps)):
            if apps[name].get("subordinate_to"):
                shown[name] = self._application(name, apps[name], base, None)
        return {
            "model": {
                "name": state["name"],
                "type": "iaas",
                "controller": state.get("controller", "controller"),
                "cloud": state.get("cloud", "cloud"),
                "region": state.get("cloud", "cloud"),
                "version": JUJU_VERSION,
                "model-status": _status("available", float(state.get("created", 0))),
                "sla": "unsupported",
            },
            "machines": machines,
            "applications": shown,
            "storage": {},
            "controller": {"timestamp": time.strftime("%H:%M:%SZ", time.gmtime())},
        }

    @staticmethod
    def _machine(
        state: Mapping[str, Any], machine: str, address: str, base: Mapping[str, str]
    ) -> dict[str, Any]:
        since = float(state.get("created", 0))
        return {
            "juju-status": {**_status("started", since), "version": JUJU_VERSION},
            "hostname": f"juju-{state['name']}-{machine}",
            "dns-name": address,
            "ip-addresses": [address],
            "instance-id": f"{state['name']}-machine-{machine}",
            "machine-status": _status("running", since, "ACTIVE"),
            "modification-status": _status("idle", since),
            "base": dict(base),
        }

    @staticmethod
    def _application(
        name: str, entry: Mapping[str, Any], base: Mapping[str, str], units: dict[str, Any] | None
    ) -> dict[str, Any]:
        charm = str(entry.get("charm") or name)
        shown: dict[str, Any] = {
            "charm": charm,
            "base": dict(base),
            "charm-origin": "charmhub",
            "charm-name": charm,
            "charm-rev": entry.get("revision"),
            "charm-channel": entry.get("channel"),
            "exposed": False,
            "application-status": _status(entry["workload"], entry["since"], entry["message"]),
        }
        if units is None:
            shown["subordinate-to"] = list(entry.get("subordinate_to", ()))
        else:
            shown["units"] = units
            label = entry.get("options", {}).get("build_label")
            if label:
                shown["version"] = str(label)[:7]
        return shown

    def config(self, model: str, application: str) -> dict[str, Any]:
        """``juju config APPLICATION --format=json`` in ``model``."""
        state = self.load(model)
        entry = state.get("applications", {}).get(application)
        if entry is None:
            raise LookupError(f'application "{application}" not found')
        settings = {
            key: {
                "description": f"The {key} option of the {entry.get('charm', application)} charm.",
                "source": "user",
                "type": _option_type(value),
                "value": value,
            }
            for key, value in sorted(entry.get("options", {}).items())
        }
        return {
            "application": application,
            "charm": entry.get("charm", application),
            "application-config": {
                "trust": {
                    "default": False,
                    "description": "Does this application have access to trusted credentials",
                    "source": "default",
                    "type": "bool",
                    "value": False,
                }
            },
            "settings": settings,
        }


def _option_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "int" if isinstance(value, int) else "string"


def _format(args: list[str]) -> tuple[str, list[str]]:
    """``--format=json`` or ``--format json`` taken out of ``args``."""
    rest: list[str] = []
    chosen = "tabular"
    items = iter(args)
    for arg in items:
        if arg == "--format":
            chosen = next(items, "")
        elif arg.startswith("--format="):
            chosen = arg.partition("=")[2]
        else:
            rest.append(arg)
    return chosen, rest


def _model(args: list[str], environ: Mapping[str, str]) -> tuple[str | None, list[str]]:
    rest: list[str] = []
    model = environ.get("JUJU_MODEL") or None
    items = iter(args)
    for arg in items:
        if arg in ("-m", "--model"):
            model = next(items, "")
        elif arg.startswith("--model="):
            model = arg.partition("=")[2]
        else:
            rest.append(arg)
    return model, rest


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The ``juju`` command of a management environment: ``status`` and ``config``, from state.

    The models are those in ``$JUJU_DATA`` (:class:`JujuModels`); ``--model``
    or ``JUJU_MODEL`` names one. Output is Juju's JSON (``--format=json``);
    without it, a short table. Anything else fails as Juju fails on what it
    cannot do here.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    data = environ.get("JUJU_DATA")
    if not data:
        sys.stderr.write("ERROR no controllers registered (JUJU_DATA is not set)\n")
        return 1
    models = JujuModels(Path(data))
    command, args = (args[0], args[1:]) if args else ("help", [])
    chosen, args = _format(args)
    model, args = _model(args, environ)
    if command in ("version", "--version"):
        sys.stdout.write(f"{JUJU_VERSION}-ubuntu-amd64\n")
        return 0
    if command == "models":
        for name in models.names():
            sys.stdout.write(f"{name}\n")
        return 0
    if command not in ("status", "config"):
        sys.stderr.write(
            f"ERROR the juju of this rehearsal answers 'status' and 'config', not {command!r}\n"
        )
        return 2
    if not model:
        sys.stderr.write("ERROR no current model (use --model or JUJU_MODEL)\n")
        return 1
    try:
        if command == "status":
            answer = models.status(model, args)
            if chosen == "json":
                sys.stdout.write(json.dumps(answer) + "\n")
            else:
                sys.stdout.write(_table(answer))
            return 0
        if len(args) != 1:
            sys.stderr.write("ERROR juju config takes one application (and no key)\n")
            return 2
        answer = models.config(model, args[0])
    except LookupError as error:
        sys.stderr.write(f"ERROR {error.args[0]}\n")
        return 1
    sys.stdout.write(json.dumps(answer) + "\n")
    return 0


def _table(status: Mapping[str, Any]) -> str:
    model = status["model"]
    lines = [
        "Model  Controller  Cloud/Region  Version",
        f"{model['name']}  {model['controller']}  {model['cloud']}  {model['version']}",
        "",
        "App  Version  Status  Scale  Charm  Channel  Rev",
    ]
    for name, app in status["applications"].items():
        scale = len(app.get("units", {}))
        lines.append(
            f"{name}  {app.get('version', '')}  {app['application-status']['current']}  "
            f"{scale}  {app['charm']}  {app['charm-channel']}  {app['charm-rev']}"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
