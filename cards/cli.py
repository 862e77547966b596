"""`curate card` (print the card or render the review page) and `curate approve`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    card = commands.add_parser(
        "card", help="print a version's card, or render its review page with --html"
    )
    card.add_argument("dataset", type=Path, help="dataset directory, e.g. published/demo-corpus")
    card.add_argument("version", nargs="?", default="latest")
    card.add_argument("--html", action="store_true", help="render the standalone review page")
    card.add_argument(
        "--out",
        type=Path,
        help="write here (default: stdout; for --html, "
        "DATASET-VERSION-review.html in the current directory)",
    )
    card.add_argument("--rows", type=int, default=5, help="sample rows per split (--html)")
    card.set_defaults(handler=card_command)

    approve = commands.add_parser(
        "approve", help="record a curator's approval of a version (and make it latest)"
    )
    approve.add_argument("dataset", type=Path)
    approve.add_argument("version")
    approve.add_argument("--by", required=True, help="the reviewer's name")
    approve.set_defaults(handler=approve_command)


def card_command(args: argparse.Namespace) -> int:
    from publish.store import resolve_version

    version_dir = resolve_version(args.dataset, args.version)
    if not args.html:
        text = (version_dir / "README.md").read_text(encoding="utf-8")
        if args.out is None:
            sys.stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
        return 0
    from cards.review import render_review_page

    page = render_review_page(args.dataset, version_dir.name, rows_per_split=args.rows)
    out = args.out or Path(f"{args.dataset.name}-{version_dir.name}-review.html")
    out.write_text(page, encoding="utf-8")
    print(f"review page: {out}")
    return 0


def approve_command(args: argparse.Namespace) -> int:
    """Record the approval; a version newer than `latest` (staged for review) becomes latest."""
    from cards.approvals import record_approval
    from publish.store import (
        latest_version,
        parse_version,
        point_latest,
        publish_lock,
        resolve_version,
    )

    version_dir = resolve_version(args.dataset, args.version)
    with publish_lock(args.dataset):
        approval = record_approval(args.dataset, version_dir.name, args.by)
        current = latest_version(args.dataset)
        promoted = current is None or parse_version(version_dir.name) > parse_version(current)
        if promoted:
            point_latest(args.dataset, version_dir.name)
    print(
        f"{args.dataset.name} {approval['version']} approved by {approval['by']} at "
        f"{approval['at']}" + (" (now latest)" if promoted else "")
    )
    return 0
