"""``lpsigning-mojo bundle``: show, edit and compare the spec's bundle template."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._table import print_json, print_table
from lpsigning_mojo.errors import UsageError
from lpsigning_mojo.files import read_text
from lpsigning_mojo.mojospec import DEFAULT_STAGES, MANIFEST, Spec, find_spec_dir, stage_name
from lpsigning_mojo.numbers import decimal_number, integer, whole_number

if TYPE_CHECKING:
    # The bundle package (Jinja2, PyYAML, attrs) is imported by the handlers
    # that use it, so building the parser for any command stays cheap.
    from lpsigning_mojo.bundle import EditResult
    from lpsigning_mojo.policy import ReleasePolicy
    from lpsigning_mojo.release.edits import Compute
    from lpsigning_mojo.release.revisions import RevisionBump

__all__ = ["register"]

STAGE_HELP = (
    "the stage: a short name (production, staging, devel) or Mojo's name (lp-signing/production)"
)
APP_HELP = "the application, e.g. lp-signing"


def register(subparsers: Any) -> None:
    """Add ``bundle`` and its subcommands."""
    bundle = subparsers.add_parser(
        "bundle",
        help="show, edit and compare the bundle template",
        description=(
            "Work with the spec's Juju bundle, a Jinja2 template that Mojo renders per stage. "
            "Edits change only the characters that produce the value, keep everything else "
            "byte for byte, and check every stage before writing."
        ),
    )
    commands = bundle.add_subparsers(title="bundle commands", metavar="COMMAND", required=True)

    show = add_command(
        commands,
        "show",
        help="the rendered bundle's applications for a stage",
        description="Render the bundle template PATH for --stage and list its applications: "
        "charm, channel, revision, units and build_label ('-' where the bundle sets none).",
        example=[
            (
                "lpsigning-mojo bundle show spec/lp-signing/bundle.yaml --stage production",
                "what production deploys",
            ),
            (
                "lpsigning-mojo bundle show spec/lp-signing/bundle.yaml --stage staging "
                "--format json",
                "the same for staging, with the rendered bundle, for a script",
            ),
        ],
    )
    _common(show)
    add_format(show, what="the applications and the rendered bundle")
    show.set_defaults(handler=_show)

    revision = add_command(
        commands,
        "set-revision",
        help="pin an application's charm revision",
        description=(
            "Set the charm revision of APP as rendered for --stage, print the diff of the "
            "template, and write it (atomically) unless --dry-run. The revision must be what "
            "Charmhub holds in the channel (and base) the bundle pins for that stage; "
            "--latest picks the highest such revision; --force skips the check."
        ),
        example=[
            (
                "lpsigning-mojo bundle set-revision spec/lp-signing/bundle.yaml lp-signing 89 "
                "--stage staging --dry-run",
                "show the diff of pinning revision 89; write nothing",
            ),
            (
                "lpsigning-mojo bundle set-revision spec/lp-signing/bundle.yaml lp-signing "
                "--latest --stage staging",
                "pin the latest revision of the channel staging deploys from",
            ),
        ],
    )
    _common(revision)
    revision.add_argument("app", metavar="APP", help=APP_HELP)
    revision.add_argument(
        "revision",
        metavar="REVISION",
        type=_revision,
        nargs="?",
        help="the charm revision, a whole number (or give --latest instead)",
    )
    revision.add_argument(
        "--latest",
        action="store_true",
        help="the latest revision released to the bundle's channel and base",
    )
    revision.add_argument(
        "--force", action="store_true", help="do not ask Charmhub whether REVISION is released"
    )
    _charmhub(revision)
    _writing(revision)
    revision.set_defaults(handler=_set_revision)

    channel = add_command(
        commands,
        "set-channel",
        help="set an application's Charmhub channel",
        description=(
            "Set the channel of APP as rendered for --stage (e.g. latest/stable). Where a "
            "revision is pinned, Charmhub must hold it in the new channel (and base), for "
            "every stage the edit changes; --force skips the check."
        ),
        example=[
            (
                "lpsigning-mojo bundle set-channel spec/lp-signing/bundle.yaml lp-signing "
                "latest/beta --stage staging --dry-run",
                "show the diff of deploying lp-signing from latest/beta; write nothing",
            ),
        ],
    )
    _common(channel)
    channel.add_argument("app", metavar="APP", help=APP_HELP)
    channel.add_argument(
        "channel", metavar="CHANNEL", help="the channel, TRACK/RISK, e.g. latest/stable"
    )
    channel.add_argument(
        "--force",
        action="store_true",
        help="do not ask Charmhub whether the new channel holds the pinned revision",
    )
    _charmhub(channel)
    _writing(channel)
    channel.set_defaults(handler=_set_channel)

    option = add_command(
        commands,
        "set-option",
        help="set an application option, e.g. build_label",
        description=(
            "Set option KEY of APP to VALUE as rendered for --stage. VALUE keeps the type of "
            "the current value (a number stays a number) unless --type says otherwise."
        ),
        example=[
            (
                "lpsigning-mojo bundle set-option spec/lp-signing/bundle.yaml lp-signing "
                "build_label $(git -C ~/src/lp-signing rev-parse HEAD) --stage production",
                "deploy that lp-signing commit's build to production",
            ),
            (
                "lpsigning-mojo bundle set-option spec/lp-signing/bundle.yaml lp-signing "
                "workers 8 --stage production --dry-run --format json",
                "what the edit would change, for a script",
            ),
        ],
    )
    _common(option)
    option.add_argument("app", metavar="APP", help=APP_HELP)
    option.add_argument("key", metavar="KEY", help="the option, e.g. build_label")
    option.add_argument(
        "value", metavar="VALUE", help="its new value, on one line (see --type for its type)"
    )
    option.add_argument(
        "--type",
        choices=("auto", "str", "int", "float", "bool"),
        default="auto",
        help="how to read VALUE (default: like the current value, else str)",
    )
    _writing(option)
    option.set_defaults(handler=_set_option)

    diff = add_command(
        commands,
        "diff",
        help="what changed between two versions of the bundle",
        description=(
            "Compare two bundle templates rendered for --stage. OLD and NEW are paths or "
            "REV:PATH references read with git (e.g. HEAD~1:spec/lp-signing/bundle.yaml). "
            "Says whether the change is release only (charm revisions and/or build_label), "
            "which the runbook allows to push without a merge proposal."
        ),
        example=[
            (
                "lpsigning-mojo bundle diff HEAD:spec/lp-signing/bundle.yaml "
                "spec/lp-signing/bundle.yaml --stage staging",
                "what your uncommitted edit changes in staging, and whether it is release only",
            ),
            (
                "lpsigning-mojo bundle diff HEAD~1:spec/lp-signing/bundle.yaml "
                "HEAD:spec/lp-signing/bundle.yaml --stage production --format json",
                "what the last commit changed in production, for a script",
            ),
        ],
    )
    diff.add_argument(
        "old", metavar="OLD", help="the old version: a path, or REV:PATH read with git"
    )
    diff.add_argument(
        "new", metavar="NEW", help="the new version: a path, or REV:PATH read with git"
    )
    diff.add_argument("--stage", required=True, help=STAGE_HELP)
    add_format(diff, what="the changes and the classification")
    _variables(diff)
    diff.set_defaults(handler=_diff)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", metavar="PATH", help="the bundle template, e.g. spec/lp-signing/bundle.yaml"
    )
    parser.add_argument("--stage", required=True, help=STAGE_HELP)
    _variables(parser)


def _variables(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--series", default=None, help="Mojo's series variable (default: jammy)")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another template variable (repeatable)",
    )


def _charmhub(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--charmhub-url",
        metavar="URL",
        help="Charmhub's API (default: CHARMHUB_URL, else https://api.charmhub.io)",
    )


def _writing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print the diff and write nothing")
    add_format(parser, what="what changed, the diff, the stages affected, whether it was written")


def _revision(text: str) -> int:
    value = whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a revision (a whole number written with the digits 0-9)"
        )
    return value


def _template_variables(args: argparse.Namespace) -> dict[str, object]:
    variables: dict[str, object] = {}
    if args.series:
        variables["series"] = args.series
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--var takes NAME=VALUE, not {item!r}")
        variables[name] = value
    return variables


def _stages(path: str, stage: str) -> tuple[str, str | None, tuple[str, ...]]:
    """The short and Mojo names of ``stage`` (Mojo's: ``None`` outside a spec with stages),
    and every stage of the spec holding ``path``."""
    directory = find_spec_dir(path)
    spec = Spec.load(directory) if (directory / MANIFEST).is_file() else None
    if spec is None or not spec.stages:
        return stage_name(stage), None, DEFAULT_STAGES
    found = spec.stage(stage)
    return found.name, found.mojo, spec.stage_names


def _policy(path: str) -> ReleasePolicy:
    """The release rules as the spec's lint configuration applies them (edits obey them too)."""
    from lpsigning_mojo.lint.config import load_config

    return load_config(path).release_policy()


def _show(args: argparse.Namespace) -> int:
    from lpsigning_mojo.release.revisions import render_stage

    stage, mojo_stage, _ = _stages(args.path, args.stage)
    shown = render_stage(
        args.path, stage=stage, variables=_template_variables(args), mojo_stage=mojo_stage
    )
    if args.format == "json":
        print_json(shown.to_json())
        return 0
    rows: list[tuple[str, ...]] = [
        ("APPLICATION", "CHARM", "CHANNEL", "REV", "UNITS", "BUILD_LABEL")
    ]
    for app in shown.applications:
        values = (app.name, app.charm, app.channel, app.revision, app.num_units, app.build_label)
        rows.append(tuple(_cell(value) for value in values))
    print(f"{args.path} rendered for stage {stage}:")
    print_table(rows)
    return 0


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _edit(
    args: argparse.Namespace, text: str, edit: Callable[..., EditResult], *values: Any
) -> EditResult:
    """``edit`` of the template ``text`` for ``args.stage`` (every stage checked)."""
    stage, _, stages = _stages(args.path, args.stage)
    return edit(
        text,
        args.app,
        *values,
        stage=stage,
        stages=stages,
        variables=_template_variables(args),
        path=args.path,
        policy=_policy(args.path),
    )


def _apply(args: argparse.Namespace, compute: Compute) -> int:
    """Make the edit ``compute`` gives (or show it, ``--dry-run``); print what it did."""
    from lpsigning_mojo.release.edits import edit_template

    done = edit_template(args.path, compute, dry_run=args.dry_run)
    choice, edit = done.choice, done.edit
    if choice is not None and choice.how == "latest" and choice.source is not None:
        print(f"Latest revision in {choice.source.describe()}: {choice.revision}.", file=sys.stderr)
    if args.format == "json":
        print_json(done.to_json())
    elif edit.changed and (done.written or done.dry_run):
        sys.stdout.write(edit.diff())
        sys.stdout.flush()
    for note in done.notes:
        print(note, file=sys.stderr)
    if not edit.changed:
        print(f"{args.path}: already set; nothing to do.", file=sys.stderr)
        return 0
    affected = ", ".join(edit.stages) or "none"
    note = (
        f" (not checked, they do not render: {', '.join(edit.unchecked)})" if edit.unchecked else ""
    )
    if done.dry_run:
        print(f"Dry run: would change line {edit.line}, affecting stages: {affected}{note}.",
              file=sys.stderr)  # fmt: skip
    else:
        print(f"Changed line {edit.line} of {args.path}, affecting stages: {affected}{note}.",
              file=sys.stderr)  # fmt: skip
    return 0


def _set_revision(args: argparse.Namespace) -> int:
    from lpsigning_mojo.release.revisions import bump_revision

    if (args.revision is None) == (not args.latest):
        raise UsageError("give either REVISION or --latest")
    charmhub = None
    if args.latest or not args.force:
        from lpsigning_mojo.commands.revisions import charmhub_client

        charmhub = charmhub_client(args.charmhub_url)

    def compute(text: str) -> RevisionBump:
        stage, _, stages = _stages(args.path, args.stage)
        return bump_revision(
            text,
            args.app,
            stage=stage,
            stages=stages,
            charmhub=charmhub,
            revision=args.revision,
            variables=_template_variables(args),
            path=args.path,
            policy=_policy(args.path),
        )

    return _apply(args, compute)


def _set_channel(args: argparse.Namespace) -> int:
    from lpsigning_mojo.bundle import set_channel

    def compute(text: str) -> EditResult:
        result = _edit(args, text, set_channel, args.channel)
        if result.changed and not args.force:
            _check_channel(args, result)
        return result

    return _apply(args, compute)


def _check_channel(args: argparse.Namespace, result: EditResult) -> None:
    """Refuse a channel that does not hold the revision a changed stage pins.

    Each stage the edit changes is rendered from the new text; a Charmhub
    charm with a pinned revision must be released to the new channel for the
    bundle's base and architecture in that stage. Charmhub is asked once per
    charm and place, and only when there is something to ask.
    """
    from lpsigning_mojo.bundle import Template, render_bundle
    from lpsigning_mojo.commands.revisions import charmhub_client
    from lpsigning_mojo.policy import is_charmhub
    from lpsigning_mojo.release.revisions import check_released, source_of

    template = Template.from_text(result.text, path=args.path)
    variables = _template_variables(args)
    charmhub = None
    asked = set()
    for stage in result.stages:
        _, bundle = render_bundle(template, stage, variables)
        application = bundle.application(args.app)
        if application.revision is None or not is_charmhub(application.charm or ""):
            continue
        source = source_of(bundle, application, stage=stage)
        if (source, application.revision) in asked:
            continue
        asked.add((source, application.revision))
        charmhub = charmhub or charmhub_client(args.charmhub_url)
        check_released(charmhub, source, application.revision)


def _set_option(args: argparse.Namespace) -> int:
    from lpsigning_mojo.bundle import set_option

    def compute(text: str) -> EditResult:
        value = _coerce(args.value, args.type, _current_option(args, text))
        return _edit(args, text, set_option, args.key, value)

    return _apply(args, compute)


def _current_option(args: argparse.Namespace, text: str) -> object:
    from lpsigning_mojo.bundle import Template, render_bundle

    stage, _, _ = _stages(args.path, args.stage)
    template = Template.from_text(text, path=args.path)
    _, bundle = render_bundle(template, stage, _template_variables(args))
    return bundle.application(args.app).options.get(args.key)


def _coerce(text: str, kind: str, current: object) -> str | int | float | bool:
    if kind == "auto":
        kind = {bool: "bool", int: "int", float: "float"}.get(type(current), "str")
    if kind in ("int", "float"):
        number = integer(text) if kind == "int" else decimal_number(text)
        if number is None:
            raise UsageError(
                f"{text!r} is not {'a whole number' if kind == 'int' else 'a number'}, "
                "and the option's current value is",
                hint="pass --type str to store it as text",
            )
        return number
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise UsageError(f"{text!r} is not true or false")
    return text


def _read_version(reference: str) -> tuple[str, str]:
    """The text and a display name of ``reference`` (a path or REV:PATH)."""
    if Path(reference).exists() or ":" not in reference:
        return read_text(reference), reference
    from lpsigning_mojo.external.git import GitCli

    revision, _, path = reference.partition(":")
    return GitCli().show(revision, path), path


def _diff(args: argparse.Namespace) -> int:
    from lpsigning_mojo.bundle import diff_templates

    old_text, _ = _read_version(args.old)
    new_text, new_path = _read_version(args.new)
    stage, _, _ = _stages(new_path if Path(new_path).exists() else ".", args.stage)
    production = _policy(new_path if Path(new_path).exists() else ".").production(stage)
    result = diff_templates(
        old_text,
        new_text,
        stage=stage,
        variables=_template_variables(args),
        production=production,
        old_path=args.old,
        new_path=args.new,
    )
    if args.format == "json":
        print_json(result.to_json())
        return 0
    print(f"{args.old} -> {args.new} (stage {stage}):")
    for line in result.lines():
        print(f"  {line}")
    for change in result.invalid_build_labels:
        needed = "a full 40-character commit id in" if result.production else "set for"
        print(
            f"  {change.application} build_label {change.new!r} names no build to release "
            f"(it must be {needed} stage {stage})."
        )
    print(
        f"Classification: {result.classification}"
        + (" (may be pushed without a merge proposal)." if result.release_only else ".")
    )
    return 0
