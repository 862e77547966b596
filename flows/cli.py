"""`curate deploy` and `curate worker`: schedule recipes on a Prefect server and run them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flows.deploy import DEFAULT_POOL


def register(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy", help="create a scheduled Prefect deployment of a recipe (PREFECT_API_URL)"
    )
    deploy.add_argument("recipe", type=Path)
    deploy.add_argument("--cron", required=True, help='schedule, e.g. "0 3 * * *"')
    deploy.add_argument("--name", help="deployment name (default: the recipe's name)")
    deploy.add_argument("--pool", default=DEFAULT_POOL, help="process work pool")
    deploy.add_argument("--timezone", default="UTC")
    deploy.set_defaults(handler=deploy_command)

    worker = commands.add_parser("worker", help="run scheduled curate flow runs from a work pool")
    worker.add_argument("--pool", default=DEFAULT_POOL)
    worker.add_argument("--limit", type=int, help="at most this many runs at once")
    worker.add_argument("--once", action="store_true", help="poll once, run what is due, exit")
    worker.set_defaults(handler=worker_command)


def deploy_command(args: argparse.Namespace) -> int:
    from flows.deploy import deploy_recipe

    deployment_id = deploy_recipe(args.recipe, args.cron, args.name, args.pool, args.timezone)
    print(f"deployment {deployment_id}: {args.cron!r} ({args.timezone}) on pool {args.pool!r}")
    print(f"run it with: curate worker --pool {args.pool}")
    return 0


def worker_command(args: argparse.Namespace) -> int:
    import asyncio

    from flows.deploy import run_worker

    asyncio.run(run_worker(args.pool, args.limit, args.once))
    return 0
