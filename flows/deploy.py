"""Scheduled deployments of the `curate` flow, and the worker that runs them.

Runs go through a Prefect *process* work pool: the worker starts each flow run as a subprocess
on its own machine from this repository's checkout, so nothing needs Docker or a registry and it
all works offline against a self-hosted `prefect server start`.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists

from curate.recipe import load_recipe

REPO = Path(__file__).resolve().parent.parent
ENTRYPOINT = "flows/curate.py:curate"
DEFAULT_POOL = "curate-process"


async def ensure_process_pool(name: str) -> None:
    """Create the process work pool if the server does not have it yet."""
    async with get_client() as client:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def deploy_recipe(
    recipe_path: str | Path,
    cron: str,
    name: str | None = None,
    pool: str = DEFAULT_POOL,
    timezone: str = "UTC",
) -> str:
    """Create (or update) a deployment that curates `recipe_path` on `cron`; its id.

    The deployment runs the flow from this checkout (`set_working_directory` pull step), with
    the recipe's absolute path as its parameter, so a worker on this machine can run it."""
    from prefect.client.schemas.schedules import CronSchedule

    from flows.curate import curate

    recipe_path = Path(recipe_path).resolve()
    recipe = load_recipe(recipe_path)  # fail here, not at 3 a.m., on a broken recipe
    asyncio.run(ensure_process_pool(pool))
    flow = curate.from_source(source=str(REPO), entrypoint=ENTRYPOINT)
    # to_deployment + apply, not flow.deploy: deploy() also lists the pool's workers with a
    # request this server version rejects (null limit), and would only print hints from it.
    deployment = flow.to_deployment(
        name=name or recipe.name,
        work_pool_name=pool,
        schedules=[CronSchedule(cron=cron, timezone=timezone)],
        parameters={"recipe_path": str(recipe_path)},
        description=f"Curate {recipe.name} from {recipe_path}",
        tags=["curate", recipe.name],
    )
    return str(deployment.apply())


async def run_worker(
    pool: str = DEFAULT_POOL, limit: int | None = None, once: bool = False
) -> None:
    """A process worker on `pool`: polls the API and runs each flow run as a subprocess."""
    from prefect.workers.process import ProcessWorker

    await ensure_process_pool(pool)
    async with ProcessWorker(work_pool_name=pool, limit=limit) as worker:
        await worker.start(run_once=once)
