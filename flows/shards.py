"""Scale-out: shards of rows for the per-row stages, the task runner they run on, and how shard
results combine so that the output does not depend on the runner or the shard count."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from filters.base import StageResult
from loaders import LoadResult
from loaders.base import unify_tables

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

# Weighted means (of float32 scores) are rounded to 6 decimals so that merging shards in any
# grouping gives the same value: shard means carry ~1e-8 rounding error.
MEAN_DIGITS = 6
WEIGHTED_MEANS = {"score_mean": "scored"}
MIN_TARGET_ROWS = 64


class RunnerConfig(BaseModel):
    """Where the per-shard stages run (the recipe's `runner` section)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["threads", "dask"] = Field(
        "threads", description="threads in the flow process, or Dask worker processes"
    )
    address: str | None = Field(
        None, description="scheduler of an existing Dask cluster, e.g. tcp://scheduler:8786"
    )
    n_workers: int = Field(
        2,
        ge=1,
        description="threads, or LocalCluster workers without address; each gets several shards",
    )
    shard_rows: int = Field(
        5000, ge=1, description="rows per shard of the per-row stages (half to twice this)"
    )


def build_task_runner(config: RunnerConfig) -> TaskRunner:
    """The Prefect task runner for mapped shard stages (Prefect imported here: the recipe
    schema uses this module and must stay light)."""
    from prefect.task_runners import ThreadPoolTaskRunner

    if config.kind == "threads":
        return ThreadPoolTaskRunner(max_workers=config.n_workers)
    from prefect_dask import DaskTaskRunner

    if config.address:
        return DaskTaskRunner(address=config.address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": config.n_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


def row_blocks(table: pa.Table, shard_rows: int, workers: int = 1) -> list[pa.Table]:
    """Consecutive blocks cut where the content says, so that a rerun after new rows arrive
    finds most blocks unchanged and takes their stage results from the cache.

    A block ends after a row whose id hashes to 0 modulo the target size (content-defined
    chunking, as in rsync or restic): rows added or removed in one place move only the block
    boundaries next to them, whereas cutting at fixed offsets would shift every later block.
    Blocks hold half to twice the target. The target is `shard_rows`, halved (down to
    MIN_TARGET_ROWS) while the table would give fewer than four blocks per worker, so that every
    worker gets a share. Blocks are compact copies: a pickled Arrow slice carries its parent's
    whole buffers, which would send every shard the full table when tasks run on other
    processes. An empty table is one empty block."""
    rows = table.num_rows
    target = shard_rows
    while target > MIN_TARGET_ROWS and rows < 4 * workers * target:
        target //= 2
    if rows <= target:
        return [table]
    ids = np.asarray(table["id"].to_pylist(), dtype=object)
    natural = np.flatnonzero(pd.util.hash_array(ids) % np.uint64(target) == 0) + 1
    bounds = block_bounds(natural.tolist(), rows, least=max(1, target // 2), most=2 * target)
    return [
        table.slice(start, end - start).take(np.arange(end - start))
        for start, end in pairwise(bounds)
    ]


def block_bounds(natural_ends: list[int], rows: int, least: int, most: int) -> list[int]:
    """Block boundaries from 0 to `rows`: each natural end that leaves at least `least` rows
    since the last boundary, plus forced cuts wherever a block would exceed `most`."""
    bounds = [0]
    for end in [*natural_ends, rows]:
        while end - bounds[-1] > most:
            bounds.append(bounds[-1] + most)
        if end - bounds[-1] >= least or (end == rows and end > bounds[-1]):
            bounds.append(end)
    return bounds


def concat(tables: list[pa.Table]) -> pa.Table:
    """One single-chunk table, so that Parquet bytes do not depend on how rows were sharded."""
    return pa.concat_tables(tables, promote_options="default").combine_chunks()


def merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine per-shard stage statistics: counts (ints) add up, settings must agree, means weigh.

    Dicts keep the order of first appearance, or sorted order when every part was sorted.
    """
    if not parts:
        return {}
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            merged.setdefault(key, []).append(value)
    result = {key: _merge_values(key, values, parts) for key, values in merged.items()}
    if all(list(part) == sorted(part) for part in parts):
        result = dict(sorted(result.items()))
    return result


def _merge_values(key: str, values: list[Any], parts: list[dict[str, Any]]) -> Any:
    first = values[0]
    if key in WEIGHTED_MEANS:
        weights = np.array([part.get(WEIGHTED_MEANS[key], 0) for part in parts], dtype=np.float64)
        means = np.array(values, dtype=np.float64)
        total = weights.sum()
        return round(float((means * weights).sum() / total), MEAN_DIGITS) if total else 0.0
    if isinstance(first, int) and not isinstance(first, bool):
        return sum(values)
    if isinstance(first, bool | str | float) or first is None:
        if any(value != first for value in values):
            raise ValueError(f"shards disagree on {key!r}: {sorted(set(map(str, values)))}")
        return first
    if isinstance(first, dict):
        return merge_stats(values)
    if isinstance(first, list):
        return [item for value in values for item in value]
    raise TypeError(f"cannot merge stage statistic {key!r} of type {type(first).__name__}")


def merge_results(parts: list[StageResult]) -> StageResult:
    """One stage result from its shards, rows in shard order."""
    return StageResult(
        kept=concat([part.kept for part in parts]),
        removed=concat([part.removed for part in parts]),
        stats=merge_stats([part.stats for part in parts]),
    )


def merge_loads(parts: list[LoadResult]) -> LoadResult:
    """Sources loaded one task each, combined as `loaders.load_sources` combines them."""
    table = unify_tables([part.table for part in parts])
    assert table is not None
    return LoadResult(
        table=table.combine_chunks(),
        quarantine=concat([part.quarantine for part in parts]),
        rows_read=sum(part.rows_read for part in parts),
        rows_unreadable=sum(part.rows_unreadable for part in parts),
        per_source={k: v for part in parts for k, v in part.per_source.items()},
    )
