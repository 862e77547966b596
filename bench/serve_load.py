"""Load test of `curate serve` on loopback: many requests from concurrent clients.

    .venv/bin/python bench/serve_load.py [--requests 10000] [--clients 8] [--rows 2000]

Publishes a synthetic dataset (short sentences, indexed with `build_version_index`; embeddings
cached in .bench-data/ so reruns are fast), starts the real server as a subprocess
(`python -m indexes.serve DATASET --port P`, with a bearer token), and sends GET /search?q=&k=10
requests with text queries, every one distinct so that nothing is served from a cache, from
`--clients` threads with one keep-alive connection each. Every non-200 answer or transport
error counts as an error. Latency is per request, measured by the client.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexes import IndexConfig, build_version_index  # noqa: E402

RESULTS = REPO / "bench" / "results" / "serve_load.json"
WORK = REPO / ".bench-data" / "serve_load"
TOKEN = "load-test-token"
SUBJECTS = ["the river", "a small bakery", "the old library", "our new robot", "the city council"]
VERBS = ["opened", "flooded", "announced", "repaired", "celebrated", "measured", "painted"]
OBJECTS = ["a bridge", "the harvest", "fresh bread", "an exhibition", "the solar panels", "a map"]


def sentence(rng: np.random.Generator, i: int) -> str:
    return (
        f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"on day {i % 365} near district {i % 97}."
    )


def publish_dataset(rows: int) -> Path:
    """published/<name>/1/ with train/test splits and its index; reused when already built."""
    dataset = WORK / f"load-{rows}"
    version_dir = dataset / "1"
    if (version_dir / "index" / "faiss.index").exists():
        return dataset
    rng = np.random.default_rng(0)
    (version_dir / "data").mkdir(parents=True, exist_ok=True)
    texts = [sentence(rng, i) for i in range(rows)]
    for split, part in (("train", range(0, rows * 9 // 10)), ("test", range(rows * 9 // 10, rows))):
        table = pa.table(
            {
                "id": [f"row-{i}" for i in part],
                "text": [texts[i] for i in part],
                "source": [f"synthetic:{i}" for i in part],
                "source_name": ["synthetic"] * len(part),
                "license": ["cc0-1.0"] * len(part),
            }
        )
        pq.write_table(table, version_dir / "data" / f"{split}-00000-of-00001.parquet")
    build_version_index(version_dir, IndexConfig(), cache_dir=WORK / "cache")
    (dataset / "latest").symlink_to("1")
    return dataset


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(dataset: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CURATE_SERVE_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "indexes.serve", str(dataset), "--port", str(port)]
    command += ["--rate-per-s", "0"]  # all clients share 127.0.0.1: measure capacity, not the limit
    server = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start")


def client_loop(url: str, queries: list[str], latencies: list[float], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for query in queries:
            start = time.perf_counter()
            try:
                response = client.get("/search", params={"q": query, "k": 10})
                ok = response.status_code == 200 and len(response.json()["hits"]) == 10
                if not ok:
                    errors.append(f"status {response.status_code}")
            except httpx.HTTPError as error:
                errors.append(type(error).__name__)
            latencies.append((time.perf_counter() - start) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rows", type=int, default=2_000)
    args = parser.parse_args()
    dataset = publish_dataset(args.rows)
    port = free_port()
    server = start_server(dataset, port)
    rng = np.random.default_rng(1)
    queries = [f"{sentence(rng, i)} request {i}" for i in range(args.requests)]
    latencies: list[float] = []
    errors: list[str] = []
    try:
        url = f"http://127.0.0.1:{port}"
        threads = [
            threading.Thread(
                target=client_loop, args=(url, queries[c :: args.clients], latencies, errors)
            )
            for c in range(args.clients)
        ]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall_s = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures = {
        "requests": len(latencies),
        "clients": args.clients,
        "rows": args.rows,
        "errors": len(errors),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(float(np.percentile(latencies, 99)), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "requests_per_s": round(len(latencies) / wall_s, 1),
        "wall_s": round(wall_s, 1),
    }
    print(f"{'requests':>8} {'clients':>7} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>7}")
    print(
        f"{figures['requests']:>8} {args.clients:>7} {figures['errors']:>6} "
        f"{figures['p50_ms']:>7.1f} {figures['p99_ms']:>7.1f} {figures['requests_per_s']:>7.1f}"
    )
    if errors:
        print("errors:", sorted(set(errors)))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "title": "Retrieval service load test (GET /search, text queries)",
                "command": "python bench/serve_load.py " + " ".join(sys.argv[1:]),
                "figures": figures,
                "notes": (
                    "real `python -m indexes.serve` subprocess on 127.0.0.1 with a bearer token "
                    "and the per-client rate limit off (the 8 clients share one address); "
                    "every query distinct (each is embedded by the packaged all-MiniLM-L6-v2; "
                    "concurrent queries are coalesced into one encoder batch); k=10; "
                    "client and server share the same 2 CPU cores, which other engineers' jobs "
                    "also use, so latencies are upper bounds."
                ),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
