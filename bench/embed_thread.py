"""Which thread encodes: the main thread, a worker thread, or a Prefect task (pooled or called).

Inside `curate run` the encoder ran ~10% slower than alone (bench/e2e_run.py), and the flow's
embedding units ran as tasks on pool threads; this bench checks whether the thread matters. It
encodes the same texts (sample corpus bodies, numbered, every fourth one four bodies long) in a
fresh process per placement, the placements interleaved over --repeats rounds so that the
machine's drift hits each alike, and reports the median wall time and the cores used (CPU
seconds / wall seconds):

- main: `Embedder.embed_texts` on the main thread, as `bench/e2e_run.py` times embedding alone;
- thread: the same on a new `threading.Thread`;
- prefect_pool: in a flow, a task submitted to `ThreadPoolTaskRunner(max_workers=2)`;
- prefect_direct: in a flow, the same task called directly (it runs on the flow's thread).

    .venv/bin/python bench/embed_thread.py [--rows 2048] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from fresh_process import run_json

REPO = Path(__file__).resolve().parent.parent
PLACEMENTS = ["main", "thread", "prefect_pool", "prefect_direct"]

CHILD = r"""
import json, os, resource, sys, threading, time
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["PREFECT_HOME"] = sys.argv[4]
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
sys.path.insert(0, sys.argv[3])
from sample_corpus import demo_texts
from indexes.embed import Embedder
from indexes.config import IndexConfig

placement, rows = sys.argv[1], int(sys.argv[2])
short = demo_texts(rows + 4)
texts = [
    f"{i}: " + (" ".join(short[i : i + 4]) if i % 4 == 0 else short[i]) for i in range(rows)
]
config = IndexConfig(progress=False)
Embedder(config).encode(["warm up"])  # load the model: untimed


def encode():
    Embedder(config).embed_texts(texts)


def timed(run):
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    run()
    seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": seconds, "cpu_seconds": cpu}


if placement == "main":
    figures = timed(encode)
elif placement == "thread":
    def on_thread():
        worker = threading.Thread(target=encode)
        worker.start()
        worker.join()
    figures = timed(on_thread)
else:
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.task_runners import ThreadPoolTaskRunner

    encode_task = task(cache_policy=NO_CACHE)(encode)

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def embedding_flow():
        if placement == "prefect_pool":
            return timed(lambda: encode_task.submit().result())
        return timed(encode_task)

    figures = embedding_flow()
print(json.dumps(figures))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {p: [] for p in PLACEMENTS}
    with tempfile.TemporaryDirectory(prefix="embed-thread-") as prefect_home:
        for _ in range(args.repeats):
            for placement in PLACEMENTS:
                run = run_json(CHILD, placement, str(args.rows), str(REPO / "bench"), prefect_home)
                runs[placement].append(run)
                print(f"{placement}: {run}", flush=True)
    figures: dict[str, float] = {"rows": args.rows, "repeats": args.repeats}
    main_seconds = statistics.median(r["seconds"] for r in runs["main"])
    for placement, placed in runs.items():
        seconds = statistics.median(r["seconds"] for r in placed)
        cores = statistics.median(r["cpu_seconds"] / r["seconds"] for r in placed)
        figures[f"{placement}_seconds"] = round(seconds, 2)
        figures[f"{placement}_cores_used"] = round(cores, 2)
        figures[f"{placement}_over_main"] = round(seconds / main_seconds, 3)
    result = {
        "title": f"Encoding thread: {args.rows:,} texts on the main thread, a worker thread, "
        "or a Prefect task",
        "command": f".venv/bin/python bench/embed_thread.py --rows {args.rows} "
        f"--repeats {args.repeats}",
        "figures": figures,
        "notes": (
            "Median wall time per placement, each run in a fresh process after loading the "
            "model (untimed); cores used = CPU seconds / wall seconds of the process (2 cores). "
            "Default index settings (torch, batch_size 64, max_batch_tokens 2048)."
        ),
    }
    out = REPO / "bench" / "results" / "embed_thread.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
