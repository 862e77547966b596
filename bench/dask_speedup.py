"""Scale-out bench: the PII stage (spaCy NER + pattern recognizers, CPU-bound) mapped over row
shards on a Dask LocalCluster with 1 worker and with 2 workers, through the flow's own task,
runner and sharding. Workers are warmed up (models loaded) before timing; each figure is the
median of runs. Besides wall time it records the workers' CPU seconds (rows per worker
CPU-second does not depend on other load on the machine) and the load average.

    .venv/bin/python bench/dask_speedup.py [--rows 16000] [--shards 16] [--runs 3]

The corpus holds only rows the flow sends to the shard stages: `validate_rows` quarantines
texts over `limits.max_text_chars` first. (The demo data plants one 1 MB text; in an earlier
version of this bench it cost more than all other rows together and sat in one shard, so the
2-worker run waited for that shard alone.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="dask-bench-prefect-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pyarrow as pa
from prefect import flow, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext

from curate.recipe import LimitsConfig
from filters.pii import PiiConfig
from flows.curate import passthrough, redact_pii
from flows.shards import RunnerConfig, build_task_runner, row_blocks
from loaders import SourceConfig, load_source
from loaders.validate import validate_rows

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "dask_speedup.json"
uncached_pii = redact_pii.with_options(cache_policy=NO_CACHE, persist_result=False)


@dataclass
class Timing:
    """One configuration's runs: wall seconds, the workers' CPU seconds (all of them, and the
    busiest one's), the flow process's CPU seconds (Dask scheduler, Prefect engine), load
    before/after."""

    wall: list[float]
    worker_cpu: list[float]
    busiest_cpu: list[float]
    flow_cpu: list[float]
    load_before: float
    load_after: float


def corpus(rows: int) -> pa.Table:
    """Demo posts and reviews, repeated with a row number so that no two texts are equal, after
    the flow's validation (which quarantines oversize and empty texts before the shard stages)."""
    base = [
        load_source(SourceConfig(path=p, text=t, id=i, license="cc0-1.0"), REPO).table
        for p, t, i in [
            ("examples/data/posts.jsonl", "body", "post_id"),
            ("examples/data/reviews.csv", "review", "review_id"),
        ]
    ]
    columns = ["id", "text", "source", "source_name", "license"]
    loaded = pa.concat_tables([table.select(columns) for table in base])
    valid, _ = validate_rows(loaded, LimitsConfig().max_text_chars)
    texts = valid["text"].to_pylist()
    chosen = [f"{texts[i % len(texts)]} (row {i})" for i in range(rows)]
    return pa.table({"id": [str(i) for i in range(rows)], "text": chosen})


def workers_cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by each worker process of the running flow's Dask cluster."""
    context = FlowRunContext.get()
    assert context is not None
    return context.task_runner.client.run(time.process_time)


def timed_runs(workers: int, blocks: list[pa.Table], runs: int) -> Timing:
    config = PiiConfig()
    shards = [passthrough(block) for block in blocks]
    warmup = [passthrough(block.slice(0, 2)) for block in blocks[:workers]]
    runner = build_task_runner(RunnerConfig(kind="dask", n_workers=workers))
    rows = sum(block.num_rows for block in blocks)

    @flow(task_runner=runner, name=f"dask-bench-{workers}")
    def bench() -> Timing:
        for future in uncached_pii.map(unmapped(config), warmup, unmapped("")):
            future.result()  # every worker has loaded spaCy before the clock starts
        timing = Timing([], [], [], [], os.getloadavg()[0], 0.0)
        for _ in range(runs):
            before = workers_cpu_seconds()
            start, flow_cpu = time.perf_counter(), time.process_time()
            futures = uncached_pii.map(unmapped(config), shards, unmapped(""))
            kept = sum(future.result().kept.num_rows for future in futures)
            timing.wall.append(time.perf_counter() - start)
            timing.flow_cpu.append(time.process_time() - flow_cpu)
            used = [cpu - before[worker] for worker, cpu in workers_cpu_seconds().items()]
            timing.worker_cpu.append(sum(used))
            timing.busiest_cpu.append(max(used))
            assert kept == rows
        timing.load_after = os.getloadavg()[0]
        return timing

    return bench()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=16000)
    parser.add_argument("--shards", type=int, default=32, help="shard target: rows / shards")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    table = corpus(args.rows)
    # The flow's sharding for 2 workers; the 1-worker run gets the same shards (same work).
    blocks = row_blocks(table, -(-table.num_rows // args.shards), workers=2)
    timings = {workers: timed_runs(workers, blocks, args.runs) for workers in (1, 2)}
    wall = {w: statistics.median(t.wall) for w, t in timings.items()}
    cpu = {w: statistics.median(t.worker_cpu) for w, t in timings.items()}
    busiest = {w: statistics.median(t.busiest_cpu) for w, t in timings.items()}
    speedup = wall[1] / wall[2]
    # An estimate that other load hardly moves: the busiest worker bounds the wall time when
    # each worker has a core (under load, a starved worker runs fewer shards, so it errs low).
    cpu_speedup = cpu[1] / busiest[2]

    print(f"PII stage, {args.rows} rows in {len(blocks)} shards, median of {args.runs} runs")
    print(f"{'workers':>7} {'wall s':>7} {'rows/s':>7} {'cpu s':>7} {'rows/cpu s':>10} load   runs")
    for workers, timing in timings.items():
        shown = ", ".join(f"{s:.2f}" for s in timing.wall)
        load = f"{timing.load_before:.1f}->{timing.load_after:.1f}"
        print(
            f"{workers:>7} {wall[workers]:>7.2f} {args.rows / wall[workers]:>7.0f} "
            f"{cpu[workers]:>7.2f} {args.rows / cpu[workers]:>10.0f} {load}   {shown}"
        )
    print(f"speedup 2 vs 1 workers: {speedup:.2f}x (bar: 1.6x); cpus {os.cpu_count()}")
    print(f"CPU-time speedup (1 worker's CPU s / busiest of 2 workers'): {cpu_speedup:.2f}x")
    figures: dict[str, float] = {}
    for workers, label in [(1, "1_worker"), (2, "2_workers")]:
        figures |= {
            f"seconds.{label}": round(wall[workers], 3),
            f"rows_per_s.{label}": round(args.rows / wall[workers], 1),
            f"worker_cpu_s.{label}": round(cpu[workers], 3),
            f"rows_per_worker_cpu_s.{label}": round(args.rows / cpu[workers], 1),
            f"flow_process_cpu_s.{label}": round(statistics.median(timings[workers].flow_cpu), 3),
            f"load_avg_before.{label}": round(timings[workers].load_before, 2),
            f"load_avg_after.{label}": round(timings[workers].load_after, 2),
        }
    figures["busiest_worker_cpu_s.2_workers"] = round(busiest[2], 3)
    figures["speedup"] = round(speedup, 3)
    figures["cpu_time_speedup"] = round(cpu_speedup, 3)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "title": "Dask scale-out: PII stage on 1 vs 2 LocalCluster workers",
                "command": " ".join([".venv/bin/python", *sys.argv]),
                "figures": figures,
                "notes": (
                    f"{args.rows} rows of demo posts and reviews (after the flow's validation) "
                    f"in {len(blocks)} shards cut by flows.shards.row_blocks, median of "
                    f"{args.runs} runs after a warm-up; {os.cpu_count()} CPUs, load average "
                    "(1 min) shown: other load on the machine lowers the speedup, hardly the "
                    "rows per worker CPU-second or the CPU-time speedup (1 worker's CPU "
                    "seconds over the busiest of 2 workers'); DaskTaskRunner with a "
                    "LocalCluster of worker processes, 1 thread each (Dask sets OMP/MKL/OpenBLAS "
                    "threads to 1 in them); the stage is flows.curate.redact_pii without caching."
                ),
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
