"""``lpsigning-mojo revisions``: what Charmhub offers, and what each stage pins."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lpsigning_mojo.commands._table import print_table
from lpsigning_mojo.files import read_text

__all__ = ["charmhub_client", "register"]


def register(subparsers: Any) -> None:
    """Add ``revisions``."""
    parser = subparsers.add_parser(
        "revisions",
        help="charm revisions on Charmhub, and what each stage pins",
        description=(
            "List the revisions Charmhub has released for a charm, one row per channel, base "
            "and architecture, and mark the revision each stage of the spec pins. Replaces "
            "'juju info lp-signing' in the runbook. Charmhub's URL comes from --charmhub-url "
            "or CHARMHUB_URL."
        ),
    )
    parser.add_argument(
        "charm",
        metavar="CHARM",
        nargs="?",
        default="lp-signing",
        help="the charm (default: lp-signing)",
    )
    parser.add_argument("--channel", help="only this channel, e.g. latest/edge or edge")
    parser.add_argument("--base", help="only this base, e.g. ubuntu@22.04 or jammy")
    parser.add_argument(
        "--spec",
        metavar="DIR",
        help="the spec whose pins to mark (default: $LPSIGNING_MOJO_SPEC, else spec/lp-signing)",
    )
    parser.add_argument(
        "--charmhub-url",
        help="Charmhub's API (default: CHARMHUB_URL, else https://api.charmhub.io)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=_revisions)


def charmhub_client(url: str | None) -> Any:
    """The Charmhub client for ``url`` (or CHARMHUB_URL, or the public API)."""
    from lpsigning_mojo.external.charmhub import CharmhubClient

    return CharmhubClient(url)


def _revisions(args: argparse.Namespace) -> int:
    from lpsigning_mojo.bundle import Template
    from lpsigning_mojo.commands.instances import spec_directory
    from lpsigning_mojo.external.charmhub import matching_releases, parse_base, parse_channel
    from lpsigning_mojo.mojospec import Spec
    from lpsigning_mojo.release.revisions import pinned_by, pins

    # Check what the user typed before asking Charmhub anything.
    channel = parse_channel(args.channel) if args.channel else None
    base = parse_base(args.base) if args.base else None
    releases = list(charmhub_client(args.charmhub_url).channel_map(args.charm))
    if channel or base:
        releases = [
            r
            for r in releases
            if (channel is None or (r.track, r.risk) == (channel.track, channel.risk))
            and (base is None or matching_releases([r], track=r.track, risk=r.risk, base=base))
        ]
    stage_pins = []
    directory = spec_directory(args)
    bundle = directory / "bundle.yaml"
    if bundle.is_file():
        spec = Spec.load(directory)
        template = Template.from_text(read_text(bundle), path=str(bundle))
        stage_pins = pins(template, spec.stage_names, args.charm)
    if args.format == "json":
        json.dump(
            {
                "charm": args.charm,
                "releases": [
                    {
                        "channel": r.channel,
                        "base": f"{r.base.name}@{r.base.channel}",
                        "architecture": r.base.architecture,
                        "revision": r.revision,
                        "version": r.version,
                        "released_at": r.released_at.isoformat() if r.released_at else None,
                        "pinned_by": pinned_by(stage_pins, r),
                    }
                    for r in releases
                ],
                "pins": [
                    {
                        "stage": p.stage,
                        "application": p.application,
                        "channel": p.channel,
                        "revision": p.revision,
                    }
                    for p in stage_pins
                ],
            },
            sys.stdout,
            indent=2,
        )
        print()
        return 0
    if not releases:
        print(f"Charmhub lists no release of {args.charm} matching that.")
    else:
        rows = [("CHANNEL", "BASE", "ARCH", "REVISION", "VERSION", "RELEASED", "PINNED BY")]
        for r in sorted(releases, key=lambda r: (r.track, r.risk, r.base.channel, r.revision)):
            pinned = ", ".join(pinned_by(stage_pins, r))
            rows.append(
                (
                    r.channel,
                    f"{r.base.name}@{r.base.channel}",
                    r.base.architecture or "-",
                    str(r.revision),
                    r.version or "-",
                    r.released_at.date().isoformat() if r.released_at else "-",
                    pinned,
                )
            )
        print_table(rows)
    for pin in stage_pins:
        revision = "(none)" if pin.revision is None else pin.revision
        source = pin.channel or "(no channel)"
        print(f"{pin.stage} pins {pin.application} at revision {revision} from {source}.")
    return 0
