"""`curate extract PAGE.html|URL`: print the main text the web loader keeps for one page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    extract = commands.add_parser(
        "extract", help="print the main text the web loader keeps for a saved page or a URL"
    )
    extract.add_argument("page", help="a saved HTML file, or an http(s) URL")
    extract.add_argument(
        "--metadata", action="store_true", help="also print url, title, date and language"
    )
    extract.add_argument(
        "--allow-private-addresses",
        action="store_true",
        help="allow loopback/private hosts (the recipe's fetch.allow_private_addresses)",
    )
    extract.set_defaults(handler=extract_command)


def extract_command(args: argparse.Namespace) -> int:
    from loaders.web import FetchConfig, extract_page, fetch_page

    if args.page.startswith(("http://", "https://")):
        config = FetchConfig(allow_private_addresses=args.allow_private_addresses)
        fields, problem = fetch_page(args.page, config)
    else:
        fields = extract_page(Path(args.page).read_bytes())
        problem = "no_main_text: no main text found in the page"
    if fields is None:
        print(f"curate: {args.page}: {problem}", file=sys.stderr)
        return 1
    if args.metadata:
        for key in ("url", "title", "date", "language"):
            print(f"{key}: {fields.get(key, '')}")
        print()
    print(fields["text"])
    return 0
