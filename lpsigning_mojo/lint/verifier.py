"""The checks Juju's own bundle verifier makes, with positions.

Juju refuses a bundle for each of these at deploy time, with no line
numbers; here they are found at commit time, per stage, at the template
line that wrote the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from lpsigning_mojo.bundle.overlay import AppView, BundleView, boolean, entries, integer, scalar
from lpsigning_mojo.lint.problems import Problem, StageContext, at_node
from lpsigning_mojo.lint.registry import register
from lpsigning_mojo.numbers import whole_number
from lpsigning_mojo.suggest import did_you_mean

__all__ = ["check_verifier"]

_APP = "applications:\n  nrpe:\n    charm: nrpe\n    channel: latest/stable\n    revision: 1\n"
_TWO = _APP + "  ntp:\n    charm: ntp\n    channel: latest/stable\n    revision: 2\n"

NO_APPLICATIONS = register(
    "LSM110",
    "no-applications",
    severity="error",
    summary="The bundle defines no applications.",
    description="Juju refuses a bundle without applications, for example one whose "
    "``applications:`` block sits entirely inside a Jinja2 branch that this stage skips.",
    fix="Add the applications, or check the ``{% if %}`` around them.",
    example="description: nothing to deploy\napplications: {}\n",
)
NO_CHARM = register(
    "LSM111",
    "no-charm",
    severity="error",
    summary="An application has no ``charm``.",
    description="Every application must name the charm it deploys.",
    fix="Add ``charm: NAME`` to the application.",
    example="applications:\n  nrpe:\n    channel: latest/stable\n",
)
RELATION_ENDPOINTS = register(
    "LSM112",
    "relation-endpoints",
    severity="error",
    summary="A relation is not a list of exactly two endpoints.",
    description="Each item of ``relations`` relates two endpoints, ``[app1:ep, app2:ep]``.",
    fix="Write the relation as a list of two endpoints.",
    example=_TWO + 'relations:\n  - ["nrpe:juju-info"]\n',
)
RELATION_UNKNOWN = register(
    "LSM113",
    "relation-unknown-application",
    severity="error",
    summary="A relation names an application the bundle does not define.",
    description="Both endpoints of a relation must belong to applications (or SAAS "
    "offers) of the bundle, in the stage being deployed.",
    fix="Correct the application name (the message suggests the closest), or define it.",
    example=_TWO + 'relations:\n  - ["nrpe:juju-info", "ntpp:juju-info"]\n',
)
RELATION_SELF = register(
    "LSM114",
    "relation-self",
    severity="error",
    summary="A relation relates an application to itself.",
    description="Juju refuses peer relations written in a bundle: peers are implicit.",
    fix="Remove the relation, or relate the application to another one.",
    example=_APP + 'relations:\n  - ["nrpe:a", "nrpe:b"]\n',
)
RELATION_DUPLICATE = register(
    "LSM115",
    "relation-duplicate",
    severity="error",
    summary="A relation is listed twice (in either order).",
    description="Juju refuses a bundle that defines the same relation twice; the endpoints "
    "may be in either order.",
    fix="Remove the second one.",
    example=_TWO + "relations:\n  - [nrpe, ntp]\n  - [ntp, nrpe]\n",
)
PLACEMENT_TARGET = register(
    "LSM116",
    "placement-unknown-target",
    severity="error",
    summary="A placement (``to:``) names a machine or application the bundle does not define.",
    description="A placement is ``[lxd|kvm:](machine | application[/unit] | new)``; the "
    "machine must be defined under ``machines`` and the application under "
    "``applications``.",
    fix="Define the machine or application, or correct the placement.",
    example=_APP.replace("    revision: 1\n", "    revision: 1\n    num_units: 1\n    to: ['3']\n")
    + "machines:\n  '0': {}\n",
)
PLACEMENT_UNIT = register(
    "LSM117",
    "placement-unit-range",
    severity="error",
    summary="A placement names a unit beyond the target application's ``num_units``.",
    description="``to: [app/N]`` places a unit next to unit N of ``app``, which must exist: "
    "N must be less than that application's ``num_units``.",
    fix="Use a unit number below the target's ``num_units``, or raise its ``num_units``.",
    example=_TWO.replace(
        "    revision: 1\n", "    revision: 1\n    num_units: 1\n    to: [ntp/1]\n"
    ).replace("    revision: 2\n", "    revision: 2\n    num_units: 1\n"),
)
TOO_MANY_PLACEMENTS = register(
    "LSM118",
    "too-many-placements",
    severity="error",
    summary="An application has more placements than units.",
    description="Each placement places one unit, so ``to`` may not list more entries than "
    "``num_units``.",
    fix="Raise ``num_units`` or remove placements.",
    example=_APP.replace(
        "    revision: 1\n", "    revision: 1\n    num_units: 1\n    to: [new, new]\n"
    ),
)
MACHINE_UNUSED = register(
    "LSM119",
    "machine-unused",
    severity="error",
    summary="A machine is defined but no placement uses it.",
    description="Juju refuses machines that no application is placed on, often a sign that "
    "the ``to:`` of one stage lost a machine.",
    fix="Place a unit on it, or remove the machine (perhaps only in this stage).",
    example=_APP + "machines:\n  '0':\n    constraints: arch=amd64\n",
)
MACHINE_ID = register(
    "LSM120",
    "machine-id",
    severity="error",
    summary="A machine id is not a number.",
    description='Bundle machine ids are whole numbers written as text (``"0"``, ``"1"``).',
    fix="Number the machines, and update the placements that name them.",
    example=_APP.replace("    revision: 1\n", "    revision: 1\n    num_units: 1\n    to: [db]\n")
    + "machines:\n  db: {}\n",
)
NEGATIVE_UNITS = register(
    "LSM121",
    "negative-units",
    severity="error",
    summary="``num_units`` is negative.",
    description="A unit count is 0 or more.",
    fix="Use 0 or more.",
    example=_APP.replace("    revision: 1\n", "    revision: 1\n    num_units: -1\n"),
)
SCALE_AND_UNITS = register(
    "LSM122",
    "scale-and-num-units",
    severity="error",
    summary="An application sets both ``scale`` and ``num_units``.",
    description="``scale`` is the Kubernetes spelling of ``num_units``; Juju refuses both at once.",
    fix="Keep one of them.",
    example=_APP.replace("    revision: 1\n", "    revision: 1\n    num_units: 1\n    scale: 1\n"),
)
EXPOSE_AND_ENDPOINTS = register(
    "LSM123",
    "expose-and-exposed-endpoints",
    severity="error",
    summary="An application sets both ``expose: true`` and ``exposed-endpoints``.",
    description="``exposed-endpoints`` replaces ``expose``; Juju refuses both.",
    fix='Drop ``expose: true`` and list the endpoints (``""`` for all of them).',
    example=_APP + '    expose: true\n    exposed-endpoints:\n      "":\n'
    "        expose-to-cidrs: [0.0.0.0/0]\n",
)
INVALID_CIDR = register(
    "LSM124",
    "invalid-cidr",
    severity="error",
    summary="An ``expose-to-cidrs`` entry is not a CIDR.",
    description="Each entry is an IPv4 or IPv6 network with a prefix length, such as "
    "``10.0.0.0/8``.",
    fix="Write the network as ADDRESS/PREFIX.",
    example=_APP + '    exposed-endpoints:\n      "":\n        expose-to-cidrs: [10.0.0.0/33]\n',
)

_MACHINE_ID_RE = re.compile(r"[0-9]+\Z")
_CONTAINERS = frozenset({"lxd", "kvm", "lxc"})


def check_verifier(view: BundleView, context: StageContext) -> Iterator[Problem]:
    """Everything Juju's bundle verifier would refuse in this rendered bundle."""
    applications = view.top.get("applications")
    if not view.applications:
        node = applications.key if applications is not None else view.root
        yield at_node(NO_APPLICATIONS.code, node, "the bundle defines no applications")
    used: set[str] = set()
    for app in view.applications.values():
        yield from _application(view, app, used)
    yield from _relations(view)
    for machine_id, entry in view.machines.items():
        if not _MACHINE_ID_RE.match(machine_id):
            yield at_node(MACHINE_ID.code, entry.key, f"machine id {machine_id!r} is not a number")
        elif machine_id not in used:
            yield at_node(
                MACHINE_UNUSED.code,
                entry.key,
                f"machine {machine_id!r} is defined but no placement uses it",
            )


def _application(view: BundleView, app: AppView, used: set[str]) -> Iterator[Problem]:
    name = app.name
    if not scalar(app.get("charm")):
        yield at_node(NO_CHARM.code, app.key, f"application {name!r} has no charm")
    num_units, scale = app.get("num_units"), app.get("scale")
    units = integer(num_units)
    if num_units is not None and units is not None and units < 0:
        yield at_node(
            NEGATIVE_UNITS.code,
            num_units.value,
            f"{name}: num_units is {units}; it must be 0 or more",
        )
    if num_units is not None and scale is not None and not num_units.null and not scale.null:
        yield at_node(
            SCALE_AND_UNITS.code, scale.key, f"{name}: both scale and num_units are set; keep one"
        )
    exposed = app.get("exposed-endpoints")
    if exposed is not None and not exposed.null:
        if boolean(app.get("expose")):
            yield at_node(
                EXPOSE_AND_ENDPOINTS.code,
                exposed.key,
                f"{name}: expose: true and exposed-endpoints are both set",
            )
        yield from _cidrs(name, exposed.value)
    placements = app.get("to")
    if placements is None or placements.null:
        return
    items = (
        placements.value.value
        if isinstance(placements.value, yaml.SequenceNode)
        else [placements.value]
    )
    if len(items) > app.units:
        yield at_node(
            TOO_MANY_PLACEMENTS.code,
            placements.value,
            f"{name}: {len(items)} placements for {app.units} unit(s)",
        )
    for item in items:
        if isinstance(item, yaml.ScalarNode):
            yield from _placement(view, name, item, used)


def _placement(
    view: BundleView, name: str, node: yaml.ScalarNode, used: set[str]
) -> Iterator[Problem]:
    text = str(node.value)
    container, _, target = text.rpartition(":")
    if container and container not in _CONTAINERS:
        yield at_node(
            PLACEMENT_TARGET.code,
            node,
            f"{name}: placement {text!r} names container type {container!r} (Juju knows: kvm, lxd)",
        )
        return
    if target == "new":
        return
    if _MACHINE_ID_RE.match(target):
        used.add(target)
        if target not in view.machines:
            yield at_node(
                PLACEMENT_TARGET.code,
                node,
                f"{name}: placement {text!r} names "
                f"machine {target!r}, which the bundle does not define",
            )
        return
    app_name, slash, unit = target.partition("/")
    other = view.applications.get(app_name)
    if other is None:
        yield at_node(
            PLACEMENT_TARGET.code,
            node,
            f"{name}: placement {text!r} names "
            f"application {app_name!r}, which the bundle does not define"
            f"{did_you_mean(app_name, view.applications)}",
        )
    elif slash and ((number := whole_number(unit)) is None or number >= other.units):
        yield at_node(
            PLACEMENT_UNIT.code,
            node,
            f"{name}: placement {text!r} names unit "
            f"{unit} of {app_name}, which has {other.units} unit(s)",
        )


def _cidrs(name: str, node: yaml.Node) -> Iterator[Problem]:
    for endpoint in entries(node).values():
        cidrs = entries(endpoint.value).get("expose-to-cidrs")
        if cidrs is None or not isinstance(cidrs.value, yaml.SequenceNode):
            continue
        for item in cidrs.value.value:
            if isinstance(item, yaml.ScalarNode) and not _is_cidr(str(item.value)):
                yield at_node(
                    INVALID_CIDR.code,
                    item,
                    f"{name}: {item.value!r} is not a CIDR (ADDRESS/PREFIX)",
                )


def _is_cidr(text: str) -> bool:
    import ipaddress

    if "/" not in text:
        return False
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _relations(view: BundleView) -> Iterator[Problem]:
    known = set(view.applications) | set(view.saas)
    seen: dict[tuple[str, ...], yaml.Node] = {}
    for item in view.relations:
        endpoints = item.value if isinstance(item, yaml.SequenceNode) else None
        if (
            endpoints is None
            or len(endpoints) != 2
            or not all(isinstance(end, yaml.ScalarNode) for end in endpoints)
        ):
            count = len(endpoints) if endpoints is not None else 1
            yield at_node(
                RELATION_ENDPOINTS.code,
                item,
                f"a relation needs exactly two endpoints, not {count}",
            )
            continue
        names = [str(end.value) for end in endpoints]
        apps = [endpoint.partition(":")[0] for endpoint in names]
        bad = False
        for end, app in zip(endpoints, apps, strict=True):
            if app not in known:
                bad = True
                yield at_node(
                    RELATION_UNKNOWN.code,
                    end,
                    f"relation names application {app!r}, which the bundle does not "
                    f"define{did_you_mean(app, known)}",
                )
        if bad:
            continue
        if apps[0] == apps[1]:
            yield at_node(RELATION_SELF.code, item, f"relation relates {apps[0]!r} to itself")
            continue
        key = tuple(sorted(names))
        first = seen.setdefault(key, item)
        if first is not item:
            yield at_node(
                RELATION_DUPLICATE.code,
                item,
                f"relation {names[0]} - {names[1]} is already defined at line {{line}}",
                related=first,
            )
