"""Hypothesis strategies: Juju bundle templates as people write them, and what is known of them.

This module needs `Hypothesis <https://hypothesis.readthedocs.io>`_, which
lpsigning-mojo itself does not require: install it with your tests
(``pip install hypothesis``, or lpsigning-mojo's ``test`` extra) and import
this module from tests only. Other spec repositories can use it to check
their own edits and tools against the same shapes of template.

:func:`templates` draws a Mojo bundle template for three stages
(:data:`STAGES`), in the shapes real bundles have: comments, blank lines,
2- or 4-space indentation, values in stage branches (``{% if stage_name ==
... %}``), values computed by ``{{ expressions }}`` or written by macros,
applications written by a loop, YAML tags (``!!int``), options in block or
flow style, quoted values, an overlay document after ``---``, an
application whose lines belong to another application in another stage,
and LF, CRLF, bare CR or mixed line endings, with or without a final
newline. Each template comes with what the generator knows about it: for
every application and field (``revision``, ``channel``, ``options.KEY``),
how it is written and whether setting it must be refused, and why
(:meth:`GeneratedTemplate.refusal`), so a test can tell an edit that must
succeed from one that must fail, and check that it fails for that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from hypothesis import strategies as st

__all__ = [
    "CHANNELS",
    "OPTION_KEYS",
    "STAGES",
    "GeneratedApp",
    "GeneratedTemplate",
    "Written",
    "templates",
]

#: The stages every generated template renders for.
STAGES = ("production", "staging", "devel")
#: Option keys the generated applications use.
OPTION_KEYS = ("port", "workers", "build_label", "context", "debug")
#: Channels the generated applications use (all valid channel names).
CHANNELS = ("latest/stable", "latest/edge", "2.0/candidate", "edge")

_APP_NAMES = ("lp-signing", "nrpe", "telegraf", "haproxy", "ubuntu-advantage", "landscape")

# What an edit that must be refused says (a part of the EditError's message).
EXPRESSION = "comes from a Jinja expression"
TAGGED = "carries a YAML anchor or tag"
REPEATED = "written by a loop or macro that repeats it"
FLOW = "written in flow style"
NOT_WRITTEN = "the keys around it are not written in the template"
OTHER_APPLICATION = "change an application it did not edit"
UNKNOWN = "has no application"

Draw = Callable[..., Any]


@attrs.frozen(kw_only=True)
class Written:
    """How one value is written where an edit of it lands.

    ``kind`` is ``plain``, ``quoted``, ``staged`` (one value per stage
    branch), ``expression`` (``{{ ... }}``), ``macro``, ``tagged``
    (``!!int 8``), ``loop`` or ``shared`` (a line of two applications).
    ``refusal`` is what an edit of it must say when refused (``None``: the
    edit succeeds); ``quote`` the quote character of a quoted value;
    ``comment`` the comment after it on its line.
    """

    kind: str
    refusal: str | None = None
    quote: str | None = None
    comment: str = ""


@attrs.frozen(kw_only=True)
class GeneratedApp:
    """An application of a generated template.

    ``stages`` are those whose bundle has it under this name. ``written``
    maps each field it sets (``revision``, ``channel``, ``options.KEY``) to
    how the value an edit would change is written (in an overlay when one
    sets it). ``options`` says how the mapping an option would be added to
    is written: ``block``, ``flow``, ``macro`` or ``absent``.
    """

    name: str
    stages: tuple[str, ...]
    written: Mapping[str, Written]
    options: str
    body: str = "plain"  # "plain", "loop" or "shared"

    def refusal(self, field: str, stage: str) -> str | None:
        """What setting ``field`` for ``stage`` must say when refused; ``None`` if it succeeds."""
        if stage not in self.stages:
            return UNKNOWN
        if field in self.written:
            return self.written[field].refusal
        option = field.startswith("options.")
        if option and self.options == "flow":
            return FLOW
        if self.body == "loop":
            return NOT_WRITTEN
        if self.body == "shared":
            return OTHER_APPLICATION
        if option and self.options == "macro":
            return NOT_WRITTEN
        return None


@attrs.frozen(kw_only=True)
class GeneratedTemplate:
    """A generated template, its applications and the variables it renders with."""

    text: str
    apps: tuple[GeneratedApp, ...]
    variables: Mapping[str, object]
    endings: str  # "\n", "\r\n", "\r" or "mixed"
    overlay: bool = False

    def app(self, name: str) -> GeneratedApp:
        return next(app for app in self.apps if app.name == name)

    def refusal(self, field: str, app: str, stage: str) -> str | None:
        """What setting ``field`` of ``app`` for ``stage`` must say when refused, or ``None``."""
        return self.app(app).refusal(field, stage)


_scalars = st.one_of(
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda x: round(x, 2)),
    st.booleans(),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./", min_size=1, max_size=12),
)


def _quote(value: object, style: str) -> str:
    text = str(value)
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain(value: object) -> str:
    """``value`` written plain when it reads back as itself, else single-quoted."""
    import yaml

    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        loaded = yaml.safe_load(f"k: {text}")
    except yaml.YAMLError:
        loaded = None
    if loaded == {"k": value} and type(loaded["k"]) is type(value):
        return text
    return _quote(value, "'")


def _comment(draw: Draw, indent: str) -> list[str]:
    roll = draw(st.integers(0, 7))
    if roll == 0:
        return [f"{indent}# {draw(st.sampled_from(['note', 'pinned for a reason', 'LP: #1']))}"]
    if roll == 1:
        return [""]
    return []


def _trailing(draw: Draw) -> str:
    return str(draw(st.sampled_from(["", "", "", "  # why", " # pinned", "   # keep 'quoted'"])))


def _staged(draw: Draw, indent: str, key: str, values: list[str], comment: str) -> list[str]:
    """``key`` set in stage branches: if production / elif staging / else."""
    dash = "-" if draw(st.booleans()) else ""
    production, staging, other = values
    return [
        f'{indent}{{%{dash} if stage_name == "production" %}}',
        f"{indent}{key}: {production}{comment}",
        f'{indent}{{%{dash} elif stage_name == "staging" %}}',
        f"{indent}{key}: {staging}{comment}",
        f"{indent}{{%{dash} else %}}",
        f"{indent}{key}: {other}{comment}",
        f"{indent}{{%{dash} endif %}}",
    ]


def _pinned(
    draw: Draw, field: str, name: str, indent: str, values: st.SearchStrategy[str], body: str
) -> tuple[list[str], Written | None]:
    """The ``revision`` or ``channel`` line(s) of an application, and how they are written."""
    if body != "plain":
        if not draw(st.booleans()):
            return [], None
        refusal = REPEATED if body == "loop" else OTHER_APPLICATION
        return [f"{indent}{field}: {draw(values)}"], Written(kind=body, refusal=refusal)
    kind = draw(st.sampled_from(["absent", "plain", "plain", "staged", "staged", "expression"]))
    if field == "revision" and kind == "plain" and draw(st.integers(0, 5)) == 0:
        kind = "tagged"
    comment = _trailing(draw)
    if kind == "absent":
        return [], None
    if kind == "plain":
        return [f"{indent}{field}: {draw(values)}{comment}"], Written(kind="plain", comment=comment)
    if kind == "tagged":
        line = f"{indent}{field}: !!int {draw(values)}{comment}"
        return [line], Written(kind="tagged", refusal=TAGGED, comment=comment)
    if kind == "staged":
        lines = _staged(draw, indent, field, [draw(values) for _ in STAGES], comment)
        return lines, Written(kind="staged", comment=comment)
    return [f"{indent}{field}: {{{{ {field}s[{name!r}] }}}}"], Written(
        kind="expression", refusal=EXPRESSION
    )


def _option_lines(
    draw: Draw, indent: str, keys: list[str], body: str
) -> tuple[list[str], dict[str, Written]]:
    lines: list[str] = []
    written: dict[str, Written] = {}
    for key in keys:
        comment = _trailing(draw)
        if body != "plain":
            lines.append(f"{indent}{key}: {_plain(draw(_scalars))}")
            refusal = REPEATED if body == "loop" else OTHER_APPLICATION
            written[f"options.{key}"] = Written(kind=body, refusal=refusal)
            continue
        kind = draw(
            st.sampled_from(
                ["plain", "plain", "quoted", "staged", "staged", "staged", "expression"]
            )
        )
        if kind == "plain" and draw(st.integers(0, 6)) == 0:
            kind = "tagged"
        if kind == "plain":
            lines.append(f"{indent}{key}: {_plain(draw(_scalars))}{comment}")
            written[f"options.{key}"] = Written(kind="plain", comment=comment)
        elif kind == "tagged":
            tag, value = draw(
                st.sampled_from([("!!int", "8080"), ("!!str", "42"), ("!!float", "1.5")])
            )
            lines.append(f"{indent}{key}: {tag} {value}{comment}")
            written[f"options.{key}"] = Written(kind="tagged", refusal=TAGGED, comment=comment)
        elif kind == "quoted":
            quote = draw(st.sampled_from(["'", '"']))
            value = draw(st.text(alphabet="abcxyz 019:#'\"", min_size=0, max_size=8))
            lines.append(f"{indent}{key}: {_quote(value, quote)}{comment}")
            written[f"options.{key}"] = Written(kind="quoted", quote=quote, comment=comment)
        elif kind == "staged":
            # Often the same type in every stage, often not: a value that differs per stage.
            values = [_plain(draw(_scalars)) for _ in STAGES]
            lines += _staged(draw, indent, key, values, comment)
            written[f"options.{key}"] = Written(kind="staged", comment=comment)
        else:
            lines.append(f"{indent}{key}: {{{{ {key}_value }}}}")
            written[f"options.{key}"] = Written(kind="expression", refusal=EXPRESSION)
        lines += _comment(draw, indent)
    return lines, written


_REVISIONS = st.integers(0, 500).map(str)
_CHANNELS = st.sampled_from(CHANNELS)


def _application(
    draw: Draw, name: str, unit: int, body: str, other: str
) -> tuple[list[str], GeneratedApp, list[str]]:
    """The lines of one application; also the macro definitions it needs."""
    one, two, three = (" " * (unit * level) for level in (1, 2, 3))
    stages: tuple[str, ...] = STAGES
    if body == "loop":
        lines = [
            "{%- for suffix in ['a', 'b'] %}",
            f"{one}{name}-{{{{ suffix }}}}:",
        ]
    elif body == "shared":
        # One block: named `name` in production and `other` elsewhere.
        lines = [
            '{%- if stage_name == "production" %}',
            f"{one}{name}:",
            "{%- else %}",
            f"{one}{other}:",
            "{%- endif %}",
        ]
        stages = ("production",)
    else:
        lines = [f"{one}{name}:"]
        lines += _comment(draw, two)
    lines.append(f"{two}charm: {name}")
    written: dict[str, Written] = {}
    channel_lines, channel = _pinned(draw, "channel", name, two, _CHANNELS, body)
    revision_lines, revision = _pinned(draw, "revision", name, two, _REVISIONS, body)
    lines += channel_lines + revision_lines
    if channel is not None:
        written["channel"] = channel
    if revision is not None:
        written["revision"] = revision
    lines += _comment(draw, two) if body == "plain" else []
    if draw(st.booleans()):
        lines.append(f"{two}num_units: {draw(st.integers(1, 3))}")
    macros: list[str] = []
    styles = ["block", "block", "block", "flow", "absent"] + (["macro"] if body == "plain" else [])
    options = draw(st.sampled_from(styles))
    keys = draw(st.lists(st.sampled_from(OPTION_KEYS), min_size=1, max_size=3, unique=True))
    if options == "flow":
        items = []
        for key in keys:
            value = draw(_scalars)
            quote = draw(st.sampled_from([None, "'", '"'])) if isinstance(value, str) else None
            items.append(f"{key}: {_plain(value) if quote is None else _quote(value, quote)}")
            refusal = {"loop": REPEATED, "shared": OTHER_APPLICATION}.get(body)
            written[f"options.{key}"] = Written(
                kind="quoted" if quote else "plain" if body == "plain" else body,
                refusal=refusal,
                quote=quote,
            )
        lines.append(f"{two}options: {{" + ", ".join(items) + "}")
    elif options == "macro":
        macro = f"{name.replace('-', '_')}_options"
        macros += [f"{{% macro {macro}() %}}"]
        macros += [f"{three}{key}: {draw(st.integers(0, 99))}" for key in keys]
        macros += ["{%- endmacro %}"]
        lines += [f"{two}options:", f"{{{{ {macro}() }}}}"]
        for key in keys:
            written[f"options.{key}"] = Written(kind="macro", refusal=EXPRESSION)
    elif options == "block":
        lines.append(f"{two}options:")
        option_lines, option_written = _option_lines(draw, three, keys, body)
        lines += option_lines
        written.update(option_written)
    if body == "loop":
        lines.append("{%- endfor %}")
        app = GeneratedApp(
            name=f"{name}-a", stages=STAGES, written=written, options=options, body=body
        )
    else:
        app = GeneratedApp(name=name, stages=stages, written=written, options=options, body=body)
    return lines, app, macros


def _overlay(draw: Draw, app: GeneratedApp, unit: int) -> tuple[list[str], GeneratedApp]:
    """A second document that sets some of ``app``'s values again; ``app`` as edits see it."""
    one, two, three = (" " * (unit * level) for level in (1, 2, 3))
    lines = ["---", "applications:", f"{one}{app.name}:"]
    written = dict(app.written)
    if draw(st.booleans()):
        comment = _trailing(draw)
        lines.append(f"{two}revision: {draw(_REVISIONS)}{comment}")
        written["revision"] = Written(kind="plain", comment=comment)
    options = "absent"
    if draw(st.booleans()) or len(lines) == 3:
        options = "block"
        lines.append(f"{two}options:")
        keys = draw(st.lists(st.sampled_from(OPTION_KEYS), min_size=1, max_size=2, unique=True))
        for key in keys:
            comment = _trailing(draw)
            lines.append(f"{three}{key}: {_plain(draw(_scalars))}{comment}")
            written[f"options.{key}"] = Written(kind="plain", comment=comment)
    return lines, attrs.evolve(app, written=written, options=options)


def _join(draw: Draw, lines: list[str], endings: str) -> str:
    if endings == "mixed":
        ends = [draw(st.sampled_from(["\n", "\r\n"])) for _ in lines]
    else:
        ends = [endings] * len(lines)
    if not draw(st.booleans()):
        ends[-1] = ""  # no newline at the end of the file
    return "".join(line + end for line, end in zip(lines, ends, strict=True))


@st.composite
def templates(draw: Draw, min_apps: int = 1, shapes: bool = True) -> GeneratedTemplate:
    """A bundle template for :data:`STAGES`, with what is known of how it is written.

    ``min_apps`` applications at least are plainly written (no loop, no
    shared lines), so that edits of them can succeed; ``shapes=False``
    leaves out the unusual shapes (loops, shared lines, overlays, macros
    are then rarer or absent).
    """
    names = draw(st.lists(st.sampled_from(_APP_NAMES), min_size=min_apps, max_size=4, unique=True))
    unit = draw(st.sampled_from([2, 2, 4]))
    endings = draw(st.sampled_from(["\n", "\n", "\r\n", "\r", "mixed", "mixed"]))
    lines = ["# A generated bundle"] if draw(st.booleans()) else []
    macros: list[str] = []
    body_lines = ["series: {{ series }}", "applications:"]
    apps: list[GeneratedApp] = []
    for index, name in enumerate(names):
        body = "plain"
        if shapes and index >= min_apps:
            body = draw(st.sampled_from(["plain", "plain", "loop", "shared"]))
        app_lines, app, app_macros = _application(draw, name, unit, body, other=f"{name}-edge")
        body_lines += app_lines
        macros += app_macros
        apps.append(app)
    plain = [app.name for app in apps if app.body == "plain"]
    if len(plain) >= 2 and draw(st.booleans()):
        body_lines += ["relations:", f"{' ' * unit}- [{plain[0]}, {plain[1]}]"]
    overlay = shapes and draw(st.integers(0, 3)) == 0
    if overlay:
        index = draw(st.sampled_from([i for i, app in enumerate(apps) if app.body == "plain"]))
        overlay_lines, apps[index] = _overlay(draw, apps[index], unit)
        body_lines += overlay_lines
    text = _join(draw, lines + macros + body_lines, endings)
    variables: dict[str, object] = {
        "revisions": {app.name.removesuffix("-a"): 7 for app in apps},
        "channels": {app.name.removesuffix("-a"): "latest/stable" for app in apps},
        **{f"{key}_value": 1 for key in OPTION_KEYS},
    }
    return GeneratedTemplate(
        text=text, apps=tuple(apps), variables=variables, endings=endings, overlay=overlay
    )
