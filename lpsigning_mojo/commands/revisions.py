"""``lpsigning-mojo revisions``: what Charmhub offers, and what each stage pins."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lpsigning_mojo.commands._help import add_command, add_format
from lpsigning_mojo.commands._spec import add_spec_argument, spec_directory
from lpsigning_mojo.commands._table import print_json, print_table
from lpsigning_mojo.files import read_text
from lpsigning_mojo.untrusted import printable

__all__ = ["charmhub_client", "register"]


def register(subparsers: Any) -> None:
    """Add ``revisions``."""
    parser = add_command(
        subparsers,
        "revisions",
        help="charm revisions on Charmhub, and what each stage pins",
        description=(
            "List the revisions Charmhub has released for a charm, one row per channel, base "
            "and architecture, and mark the revision each stage of the spec pins. Replaces "
            "'juju info lp-signing' in the runbook. Charmhub's URL comes from --charmhub-url "
            "or CHARMHUB_URL."
        ),
        example=[
            ("lpsigning-mojo revisions", "lp-signing's revisions, and what each stage pins"),
            (
                "lpsigning-mojo revisions --channel edge --base jammy --format json",
                "only latest/edge for Ubuntu 22.04, for a script",
            ),
        ],
    )
    parser.add_argument(
        "charm",
        metavar="CHARM",
        nargs="?",
        default="lp-signing",
        help="the charm (default: lp-signing)",
    )
    parser.add_argument(
        "--channel", metavar="CHANNEL", help="only this channel, e.g. latest/edge or edge"
    )
    parser.add_argument("--base", metavar="BASE", help="only this base, e.g. ubuntu@22.04 or jammy")
    add_spec_argument(parser)
    parser.add_argument(
        "--charmhub-url",
        metavar="URL",
        help="Charmhub's API (default: CHARMHUB_URL, else https://api.charmhub.io)",
    )
    add_format(parser, what="the releases, and each stage's pins")
    parser.set_defaults(handler=_revisions)


def charmhub_client(url: str | None) -> Any:
    """The Charmhub client for ``url`` (or CHARMHUB_URL, or the public API).

    Its retries are said on standard error as they happen.
    """
    from lpsigning_mojo.external.charmhub import CharmhubClient

    return CharmhubClient(url, progress=_say)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _revisions(args: argparse.Namespace) -> int:
    from lpsigning_mojo.bundle import Template
    from lpsigning_mojo.mojospec import BUNDLE_FILE, Spec
    from lpsigning_mojo.release.revisions import revisions_report

    directory = spec_directory(args)
    spec = Spec.load(directory)
    bundle = directory / BUNDLE_FILE
    template = Template.from_text(read_text(bundle), path=str(bundle))
    report = revisions_report(
        charmhub_client(args.charmhub_url),
        args.charm,
        channel=args.channel,
        base=args.base,
        template=template,
        stages=spec.stage_names,
    )
    if args.format == "json":
        print_json(report.to_json())
        return 0
    if not report.releases:
        print(f"Charmhub lists no release of {printable(args.charm)} matching that.")
    else:
        rows: list[tuple[str, ...]] = [
            ("CHANNEL", "BASE", "ARCH", "REVISION", "VERSION", "RELEASED", "PINNED BY")
        ]
        for pinned in sorted(
            report.releases,
            key=lambda p: (
                p.release.track,
                p.release.risk,
                p.release.base.channel,
                p.release.revision,
            ),
        ):
            r = pinned.release
            rows.append(
                tuple(
                    printable(cell)  # Charmhub's text, shown escaped
                    for cell in (
                        r.channel,
                        f"{r.base.name}@{r.base.channel}",
                        r.base.architecture or "-",
                        str(r.revision),
                        r.version or "-",
                        r.released_at.date().isoformat() if r.released_at else "-",
                        ", ".join(pinned.pinned_by),
                    )
                )
            )
        print_table(rows)
    for pin in report.pins:
        revision = "(none)" if pin.revision is None else pin.revision
        source = pin.channel or "(no channel)"
        line = f"{pin.stage} pins {pin.application} at revision {revision} from {source}."
        print(printable(line))
    return 0
