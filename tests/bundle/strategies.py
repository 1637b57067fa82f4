"""Hypothesis strategies: bundle templates as people write them.

Each generated template comes with what the generator knows about it: for
every application, how its revision and its options are written, so a test
can tell an edit that must succeed from one that must be refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from hypothesis import strategies as st

STAGES = ("production", "staging", "devel")
APP_NAMES = ("lp-signing", "nrpe", "telegraf", "haproxy", "ubuntu-advantage", "landscape")


@attrs.frozen
class GeneratedApp:
    name: str
    revision: str  # "absent", "plain", "staged" (per-stage branches), "expression"
    options: str  # "block", "flow", "absent"
    option_kinds: dict[str, str]  # key -> "plain", "quoted", "staged", "expression"


@attrs.frozen
class GeneratedTemplate:
    text: str
    apps: tuple[GeneratedApp, ...]
    variables: dict[str, object]

    def app(self, name: str) -> GeneratedApp:
        return next(app for app in self.apps if app.name == name)


_scalars = st.one_of(
    st.integers(min_value=0, max_value=10_000),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./", min_size=1, max_size=12),
)


def _quote(value: object, style: str) -> str:
    text = str(value)
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _plain_scalar(value: object) -> str:
    # Plain only when it reads back as itself; otherwise single quotes.
    import yaml

    text = str(value)
    try:
        if yaml.safe_load(f"k: {text}") == {"k": value}:
            return text
    except yaml.YAMLError:
        pass
    return _quote(value, "single")


def _dash(draw: Callable[..., Any]) -> str:
    return "-" if draw(st.booleans()) else ""


@st.composite
def _comment(draw: Callable[..., Any], indent: str) -> list[str]:
    if draw(st.integers(0, 3)) == 0:
        return [f"{indent}# {draw(st.sampled_from(['note', 'pinned for a reason', 'see LP: #1']))}"]
    if draw(st.integers(0, 5)) == 0:
        return [""]
    return []


def _trailing(draw: Callable[..., Any]) -> str:
    return draw(st.sampled_from(["", "", "", "  # why", " # pinned"]))


@st.composite
def _staged(draw: Callable[..., Any], indent: str, key: str, values: list[str]) -> list[str]:
    """``key`` set in stage branches: if production / elif staging / else."""
    dash = _dash(draw)
    production, staging, other = values
    return [
        f'{indent}{{%{dash} if stage_name == "production" %}}',
        f"{indent}{key}: {production}{_trailing(draw)}",
        f'{indent}{{%{dash} elif stage_name == "staging" %}}',
        f"{indent}{key}: {staging}",
        f"{indent}{{%{dash} else %}}",
        f"{indent}{key}: {other}",
        f"{indent}{{%{dash} endif %}}",
    ]


@st.composite
def _application(draw: Callable[..., Any], name: str) -> tuple[list[str], GeneratedApp]:
    lines = [f"  {name}:"]
    lines += draw(_comment("    "))
    lines.append(f"    charm: {name}")
    if draw(st.booleans()):
        lines.append(f"    channel: {draw(st.sampled_from(['latest/stable', 'latest/edge']))}")
    revision = draw(st.sampled_from(["absent", "plain", "staged", "expression"]))
    if revision == "plain":
        lines.append(f"    revision: {draw(st.integers(0, 500))}{_trailing(draw)}")
    elif revision == "staged":
        lines += draw(_staged("    ", "revision", [str(draw(st.integers(0, 500))) for _ in STAGES]))
    elif revision == "expression":
        lines.append(f"    revision: {{{{ revisions[{name!r}] }}}}")
    lines += draw(_comment("    "))
    if draw(st.booleans()):
        lines.append(f"    num_units: {draw(st.integers(1, 3))}")
    options_style = draw(st.sampled_from(["block", "block", "flow", "absent"]))
    keys = draw(
        st.lists(
            st.sampled_from(["port", "workers", "build_label", "context", "debug"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    kinds: dict[str, str] = {}
    if options_style == "flow":
        items = []
        for key in keys:
            value = draw(_scalars)
            style = draw(st.sampled_from(["plain", "single", "double"]))
            items.append(
                f"{key}: {_plain_scalar(value) if style == 'plain' else _quote(value, style)}"
            )
            kinds[key] = "plain" if style == "plain" else "quoted"
        lines.append("    options: {" + ", ".join(items) + "}")
    elif options_style == "block":
        lines.append("    options:")
        for key in keys:
            kind = draw(st.sampled_from(["plain", "quoted", "staged", "expression"]))
            kinds[key] = kind
            if kind == "plain":
                lines.append(f"      {key}: {_plain_scalar(draw(_scalars))}{_trailing(draw)}")
            elif kind == "quoted":
                style = draw(st.sampled_from(["single", "double"]))
                value = draw(st.text(alphabet="abcxyz 019:#'\"", min_size=0, max_size=8))
                lines.append(f"      {key}: {_quote(value, style)}{_trailing(draw)}")
            elif kind == "staged":
                lines += draw(
                    _staged("      ", key, [_plain_scalar(draw(_scalars)) for _ in STAGES])
                )
            else:
                lines.append(f"      {key}: {{{{ {key}_value }}}}")
            lines += draw(_comment("      "))
    return lines, GeneratedApp(
        name=name, revision=revision, options=options_style, option_kinds=kinds
    )


@st.composite
def templates(draw: Callable[..., Any], min_apps: int = 1) -> GeneratedTemplate:
    """A bundle template for three stages, with what is known of how it is written."""
    names = draw(st.lists(st.sampled_from(APP_NAMES), min_size=min_apps, max_size=4, unique=True))
    lines = ["# A generated bundle"] if draw(st.booleans()) else []
    lines.append("series: {{ series }}")
    lines.append("applications:")
    apps = []
    for name in names:
        app_lines, app = draw(_application(name))
        lines += app_lines
        apps.append(app)
    if len(names) >= 2 and draw(st.booleans()):
        lines.append("relations:")
        lines.append(f"  - [{names[0]}, {names[1]}]")
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines) + (ending if draw(st.booleans()) else "")
    variables: dict[str, object] = {
        "revisions": {name: 7 for name in names},
        **{f"{key}_value": 1 for key in ("port", "workers", "build_label", "context", "debug")},
    }
    return GeneratedTemplate(text=text, apps=tuple(apps), variables=variables)
