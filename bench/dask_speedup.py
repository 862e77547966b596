"""Scale-out bench: the PII stage (spaCy NER + pattern recognizers, CPU-bound) mapped over row
shards on a Dask LocalCluster with 1 worker and with 2 workers, through the flow's own task and
runner. Workers are warmed up (models loaded) before timing; each figure is the median of runs.

    .venv/bin/python bench/dask_speedup.py [--rows 1200] [--shards 6] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="dask-bench-prefect-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pyarrow as pa
from prefect import flow, unmapped
from prefect.cache_policies import NO_CACHE

from filters.pii import PiiConfig
from flows.curate import passthrough, redact_pii
from flows.shards import RunnerConfig, build_task_runner, row_blocks
from loaders import SourceConfig, load_source

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "dask_speedup.json"
uncached_pii = redact_pii.with_options(cache_policy=NO_CACHE, persist_result=False)


def corpus(rows: int) -> pa.Table:
    """Demo posts and reviews, repeated with a row number so that no two texts are equal."""
    base = [
        load_source(SourceConfig(path=p, text=t, id=i, license="cc0-1.0"), REPO).table
        for p, t, i in [
            ("examples/data/posts.jsonl", "body", "post_id"),
            ("examples/data/reviews.csv", "review", "review_id"),
        ]
    ]
    texts = [t for table in base for t in table["text"].to_pylist() if t]
    chosen = [f"{texts[i % len(texts)]} (row {i})" for i in range(rows)]
    return pa.table({"id": [str(i) for i in range(rows)], "text": chosen})


def timed_runs(workers: int, table: pa.Table, shards: int, runs: int) -> list[float]:
    config = PiiConfig()
    blocks = [passthrough(b) for b in row_blocks(table, -(-table.num_rows // shards))]
    warmup = [passthrough(b) for b in row_blocks(table.slice(0, 2 * workers), 2)]
    runner = build_task_runner(RunnerConfig(kind="dask", n_workers=workers))

    @flow(task_runner=runner, name=f"dask-bench-{workers}")
    def bench() -> list[float]:
        for future in uncached_pii.map(unmapped(config), warmup, unmapped("")):
            future.result()  # every worker has loaded spaCy before the clock starts
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            futures = uncached_pii.map(unmapped(config), blocks, unmapped(""))
            kept = sum(future.result().kept.num_rows for future in futures)
            seconds.append(time.perf_counter() - start)
            assert kept == table.num_rows
        return seconds

    return bench()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1200)
    parser.add_argument("--shards", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    table = corpus(args.rows)
    load_before = os.getloadavg()[0]
    one = timed_runs(1, table, args.shards, args.runs)
    two = timed_runs(2, table, args.shards, args.runs)
    load_after = os.getloadavg()[0]
    median_one, median_two = statistics.median(one), statistics.median(two)
    speedup = median_one / median_two
    print(f"PII stage, {args.rows} rows in {args.shards} shards, median of {args.runs} runs")
    print(f"{'workers':>8} {'seconds':>9} {'rows/s':>9}   runs")
    for workers, runs, median in [(1, one, median_one), (2, two, median_two)]:
        shown = ", ".join(f"{s:.2f}" for s in runs)
        print(f"{workers:>8} {median:>9.2f} {args.rows / median:>9.0f}   {shown}")
    print(f"speedup 2 vs 1 workers: {speedup:.2f}x (bar: 1.6x); cpus {os.cpu_count()}")
    print(f"load average (1 min) before {load_before:.2f}, after {load_after:.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "title": "Dask scale-out: PII stage on 1 vs 2 LocalCluster workers",
                "command": " ".join([".venv/bin/python", *sys.argv]),
                "figures": {
                    "seconds.1_worker": round(median_one, 3),
                    "seconds.2_workers": round(median_two, 3),
                    "rows_per_s.1_worker": round(args.rows / median_one, 1),
                    "rows_per_s.2_workers": round(args.rows / median_two, 1),
                    "speedup": round(speedup, 3),
                    "load_avg_before": round(load_before, 2),
                    "load_avg_after": round(load_after, 2),
                },
                "notes": (
                    f"{args.rows} rows, {args.shards} shards, median of {args.runs} runs after a "
                    f"warm-up; {os.cpu_count()} CPUs shared with other engineers' jobs (load "
                    "average shown); DaskTaskRunner with a LocalCluster of worker processes, 1 "
                    "thread each; the stage is flows.curate.redact_pii without caching."
                ),
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
