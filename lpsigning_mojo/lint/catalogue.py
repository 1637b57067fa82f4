"""The rule catalogue page of the docs, generated from the rule registry.

``docs/reference/lint-rules.rst`` is this module's output: the docs build
regenerates it (``docs/_ext/lint_catalogue.py``), a test fails when the
committed page differs, and ``python -m lpsigning_mojo.lint.catalogue
docs/reference/lint-rules.rst`` rewrites it by hand.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from lpsigning_mojo.lint.registry import Rule, all_rules

__all__ = ["FAMILIES", "render_catalogue", "write_catalogue"]

#: Code prefixes and the section each one gets.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("LSM0", "Files, YAML and Jinja2"),
    ("LSM1", "Juju's bundle schema and verifier"),
    ("LSM2", "Release policy"),
    ("LSM3", "Mojo manifests"),
    ("LSM4", "Instances"),
)

_HEADER = """\
.. This page is generated from the rules in lpsigning_mojo/lint/ by
   lpsigning_mojo.lint.catalogue; do not edit it by hand. The docs build
   regenerates it and a test checks that it is current.

Lint rule catalogue
===================

Every rule of ``bundle-lint`` (and ``lpsigning-mojo lint``), by code. A
code never changes meaning and is never reused. Bundle rules run on the
bundle as rendered for each stage and report the template's line and
column; manifest rules run on the manifest, and those about ``config=``
files once per stage.

Select, ignore or re-grade rules in the spec repository's
``pyproject.toml`` (``[tool.lpsigning-mojo.lint]``), or silence one line
with ``# bundle-lint: disable=CODE``; see :doc:`../how-to/use-bundle-lint`.

.. list-table::
   :header-rows: 1
   :widths: 12 30 10 48

   * - Code
     - Name
     - Severity
     - Catches
"""


def _anchor(rule: Rule) -> str:
    return f"lint-{rule.code.lower()}"


def _indent(text: str, prefix: str) -> str:
    return "".join(f"{prefix}{line}\n" if line else "\n" for line in text.splitlines())


_LEXERS = {"bundle": "jinja", "manifest": "text", "instances": "yaml"}


def _entry(rule: Rule) -> str:
    title = f"{rule.code} {rule.name}"
    kind = {"bundle": "bundle template", "instances": "instances.yaml"}.get(
        rule.applies_to, "manifest"
    )
    return (
        f".. _{_anchor(rule)}:\n\n{title}\n{'-' * len(title)}\n\n"
        f"**Severity:** {rule.severity}. **Checks:** {kind}.\n\n"
        f"{rule.summary}\n\n{rule.description}\n\n"
        f"**How to fix:** {rule.fix}\n\n"
        f"**Example** ({kind}):\n\n.. code-block:: {_LEXERS[rule.applies_to]}\n\n"
        f"{_indent(_printable(rule.example), '   ')}\n"
    )


def _printable(text: str) -> str:
    return "".join(
        f"<U+{ord(char):04X}>" if ord(char) < 32 and char != "\n" else char for char in text
    )


def render_catalogue() -> str:
    """The catalogue page, as reStructuredText."""
    rules = list(all_rules().values())
    table = "".join(
        f"   * - :ref:`{rule.code} <{_anchor(rule)}>`\n"
        f"     - ``{rule.name}``\n"
        f"     - {rule.severity}\n"
        f"     - {rule.summary}\n"
        for rule in rules
    )
    sections = []
    for prefix, heading in FAMILIES:
        members = [rule for rule in rules if rule.code.startswith(prefix)]
        if members:
            rule_line = "=" * len(heading)
            body = "".join(_entry(rule) for rule in members)
            sections.append(f"{heading}\n{rule_line}\n\n{body}")
    return _HEADER + table + "\n" + "".join(sections).rstrip("\n") + "\n"


def write_catalogue(path: str | Path) -> bool:
    """Write the page to ``path`` unless it is already current; whether it changed."""
    target = Path(path)
    text = render_catalogue()
    try:
        if target.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    target.write_text(text, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lpsigning_mojo.lint.catalogue [PATH]``: print or write the page."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.stdout.write(render_catalogue())
        return 0
    changed = write_catalogue(args[0])
    print(f"{args[0]}: {'updated' if changed else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
