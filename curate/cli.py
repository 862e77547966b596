"""The `curate` command line: run recipes, search published versions, and more.

Packages add their own subcommands through a `register(commands)` function in a `cli` module
listed in COMMAND_MODULES; handlers import heavy libraries lazily so `curate --help` is fast.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import sys
from contextlib import suppress
from pathlib import Path

from curate.recipe import RecipeError
from publish.store import PublishLockedError

COMMAND_MODULES: list[str] = ["cards.cli", "loaders.cli", "publish.cli", "flows.cli"]
M_ARENA_MAX = -8  # glibc's mallopt parameter


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # The embedded Prefect API starts in a subprocess; on a busy 2-core machine 20 s is too short.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # the service parses its own options (see indexes/serve.py)
        from indexes.serve import main as serve_main

        serve_main(argv[1:])
        return 0
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (RecipeError, OSError, ValueError, PublishLockedError) as err:
        print(f"curate: error: {err}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curate", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a recipe and publish a new version")
    run.add_argument("recipe", type=Path)
    run.set_defaults(handler=run_command)

    search = commands.add_parser("search", help="semantic search in a published version")
    search.add_argument("dataset", type=Path, help="dataset directory, e.g. published/demo-corpus")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--version", default="latest")
    search.add_argument("--split", help="only rows of this split")
    search.set_defaults(handler=search_command)

    serve = commands.add_parser(
        "serve",
        help="HTTP retrieval API over a published version (curate serve DATASET --help)",
        add_help=False,
    )
    serve.add_argument("arguments", nargs=argparse.REMAINDER)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    return parser


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas unless MALLOC_ARENA_MAX is set. By default every thread that
    allocates may get its own arena (up to 8 per core), and memory freed in one arena is not
    reused by threads of another, so a run's many threads (Prefect's task runner, torch, Arrow)
    keep more memory resident than they use."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)


def run_command(args: argparse.Namespace) -> int:
    limit_malloc_arenas()  # before imports and the flow start threads
    from flows.curate import curate

    summary = curate(str(args.recipe))
    stats = summary.stats
    print(f"\n{summary.name} {summary.version}")
    print(
        f"  rows in:          {stats['rows_read'] + stats['rows_unreadable']} "
        f"(read {stats['rows_read']}, unreadable {stats['rows_unreadable']})"
    )
    for split, rows in stats["rows_per_split"].items():
        print(f"  {split + ':':<17} {rows}")
    print(f"  quarantined:      {stats['rows_quarantined']}")
    print(f"  filtered:         {stats['rows_filtered']}")
    for reason, count in stats["removed_by_reason"].items():
        print(f"    {reason:<30} {count}")
    if summary.cached_stages:
        print(f"  resumed from cache: {', '.join(summary.cached_stages)}")
    if summary.unchanged:
        print(f"  unchanged since {summary.version}: nothing new published ({summary.version_dir})")
    else:
        print(f"  published:        {summary.version_dir}")
    return 0


def search_command(args: argparse.Namespace) -> int:
    from indexes import search
    from publish.store import resolve_version

    version_dir = resolve_version(args.dataset, args.version)
    where = {"split": args.split} if args.split else None
    for rank, hit in enumerate(search(version_dir, args.query, k=args.k, where=where), start=1):
        text = " ".join(hit.text.split())
        print(f"{rank}. {hit.score:.3f}  [{hit.split}] {hit.id}  {text[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
