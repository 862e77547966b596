"""Soak test of the retrieval service: mixed valid and hostile requests for N minutes.

    .venv/bin/python bench/soak.py [--minutes 5]

Publishes a small indexed version (with its manifest) under .bench-data/soak, starts the real
server as a subprocess on 127.0.0.1 (`curate serve` when the CLI has it, else
`python -m indexes.serve`) with a bearer token and a low rate limit, then sends requests in a
bounded loop: valid GET/POST searches, and invalid ones (no or wrong token, k and batch over the
caps, oversize and malformed bodies, bad vectors, unknown filters and routes, bursts past the
rate limit). It counts status codes, 5xx, responses that leak a stack trace, a file path or the
token, whether the server process stayed up, and samples the server's RSS with psutil.
Pass: zero 5xx, zero leaks, no crash, RSS growth under 10% after warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import psutil
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from indexes import IndexConfig, build_version_index  # noqa: E402
from publish.release import split_path, write_manifest, write_parquet  # noqa: E402
from publish.store import point_latest, publish_atomically, publish_lock  # noqa: E402

RESULTS = REPO / "bench" / "results" / "soak.json"
WORK = REPO / ".bench-data" / "soak"
TOKEN = "soak-secret-token-0123456789"
RATE_PER_S, BURST = 30.0, 20
WARMUP_S = 30.0
SAMPLE_EVERY_S = 2.0
LEAK_MARKERS = ("Traceback", 'File "', ".py", str(REPO), TOKEN)
WORDS = [
    "river",
    "bakery",
    "library",
    "robot",
    "council",
    "bridge",
    "harvest",
    "bread",
    "exhibition",
    "solar",
    "map",
]


def publish_dataset(rows: int = 500) -> Path:
    """published/soak/1.0.0 with train/test splits, index and manifest; reused when present."""
    dataset = WORK / "published" / "soak"
    if (dataset / "latest").exists():
        return dataset
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, 8)) + f" item {i}" for i in range(rows)]
    splits = {}
    for split, part in (("train", range(0, rows * 9 // 10)), ("test", range(rows * 9 // 10, rows))):
        splits[split] = pa.table(
            {
                "id": [f"row-{i}" for i in part],
                "text": [texts[i] for i in part],
                "source": [f"synthetic:{i}" for i in part],
                "source_name": ["synthetic"] * len(part),
                "license": ["cc0-1.0"] * len(part),
            }
        )

    def write(staging: Path) -> None:
        for name, table in splits.items():
            write_parquet(table, staging / split_path(name))
        build_version_index(staging, IndexConfig(progress=False), cache_dir=WORK / "cache")
        write_manifest(staging, {"name": "soak", "version": "1.0.0"})

    with publish_lock(dataset):
        publish_atomically(dataset, "1.0.0", write, make_latest=False)
        point_latest(dataset, "1.0.0")
    return dataset


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(dataset: Path, port: int) -> list[str]:
    curate = Path(sys.executable).with_name("curate")
    limits = ["--rate-per-s", str(RATE_PER_S), "--burst", str(BURST)]
    has_serve = curate.exists() and (
        subprocess.run([curate, "serve", "--help"], capture_output=True).returncode == 0
    )
    head = [str(curate), "serve"] if has_serve else [sys.executable, "-m", "indexes.serve"]
    return [*head, str(dataset), "--port", str(port), *limits]


def start_server(command: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "CURATE_SERVE_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1"}
    with open(log, "wb") as handle:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=handle)
    port = command[command.index("--port") + 1]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start")


def requests_cycle(i: int) -> tuple[list[tuple[str, dict]], dict[str, str]]:
    """One round of (kind, httpx request kwargs): valid and invalid requests mixed."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    query = f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]} number {i}"
    vector = np.random.default_rng(i).standard_normal(384).round(4).tolist()
    return [
        ("valid_get", {"method": "GET", "url": "/search", "params": {"q": query, "k": 5}}),
        ("valid_post", {"method": "POST", "url": "/search", "json": {"queries": [query], "k": 3}}),
        ("valid_vectors", {"method": "POST", "url": "/search", "json": {"vectors": [vector]}}),
        ("no_token", {"method": "GET", "url": "/search", "params": {"q": query}, "auth": False}),
        (
            "wrong_token",
            {
                "method": "GET",
                "url": "/info",
                "headers": {"Authorization": f"Bearer {TOKEN[:-1]}x"},
                "auth": False,
            },
        ),
        ("k_over_cap", {"method": "GET", "url": "/search", "params": {"q": query, "k": 10_000}}),
        ("batch_over_cap", {"method": "POST", "url": "/search", "json": {"queries": ["a"] * 500}}),
        ("oversize_body", {"method": "POST", "url": "/search", "content": b"x" * (5 << 20)}),
        ("malformed_json", {"method": "POST", "url": "/search", "content": b'{"queries": [1'}),
        ("invalid_utf8", {"method": "POST", "url": "/search", "content": b'{"queries":["\xff"]}'}),
        ("wrong_types", {"method": "POST", "url": "/search", "json": {"queries": "x", "k": "y"}}),
        ("bad_vector", {"method": "POST", "url": "/search", "json": {"vectors": [[1.0, 2.0]]}}),
        ("nan_vector", {"method": "POST", "url": "/search", "content": b'{"vectors":[[NaN]]}'}),
        (
            "bad_filter",
            {"method": "POST", "url": "/search", "json": {"queries": ["a"], "where": {"x": "y"}}},
        ),
        ("long_query", {"method": "GET", "url": "/search", "params": {"q": "a" * 5000}}),
        ("unknown_route", {"method": "GET", "url": "/../../etc/passwd"}),
        ("info", {"method": "GET", "url": "/info"}),
    ], auth


def send(client: httpx.Client, kwargs: dict, auth: dict) -> httpx.Response:
    kwargs = dict(kwargs)
    headers = dict(kwargs.pop("headers", {}))
    if kwargs.pop("auth", True):
        headers.update(auth)
    return client.request(**kwargs, headers=headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    dataset = publish_dataset()
    port = free_port()
    command = server_command(dataset, port)
    log = WORK / "server.log"
    server = start_server(command, log)
    process = psutil.Process(server.pid)
    statuses: Counter[str] = Counter()
    by_kind: dict[str, Counter[int]] = {}
    leaks: list[str] = []
    transport_errors = 0
    samples: list[tuple[float, float]] = []
    start = time.monotonic()
    end = start + args.minutes * 60
    next_sample = start
    rounds = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            while time.monotonic() < end and server.poll() is None:
                cycle, auth = requests_cycle(rounds)
                burst = rounds % 10 == 9  # every tenth round: a burst past the rate limit
                for kind, kwargs in cycle * (6 if burst else 1):
                    try:
                        response = send(client, kwargs, auth)
                    except httpx.TransportError:
                        transport_errors += 1
                        continue
                    statuses[str(response.status_code)] += 1
                    by_kind.setdefault(kind, Counter())[response.status_code] += 1
                    body = response.text
                    if kind not in ("valid_get", "valid_post", "valid_vectors", "info"):
                        leaks += [f"{kind}: {m!r}" for m in LEAK_MARKERS if m in body]
                    elif TOKEN in body:
                        leaks.append(f"{kind}: token")
                now = time.monotonic()
                if now >= next_sample:
                    samples.append((now - start, process.memory_info().rss / 2**20))
                    next_sample = now + SAMPLE_EVERY_S
                if not burst:
                    time.sleep(0.3)  # stay mostly under the rate limit, so most requests run
                rounds += 1
    finally:
        crashed = server.poll() is not None
        exit_code = server.returncode
        server.terminate()
        server.wait(timeout=30)
    requests = sum(statuses.values())
    server_errors = sum(n for code, n in statuses.items() if code.startswith("5"))
    warm = [rss for t, rss in samples if t >= WARMUP_S] or [rss for _, rss in samples]
    window = max(1, len(warm) // 10)
    baseline = statistics.median(warm[:window])
    final = statistics.median(warm[-window:])
    growth = (final - baseline) / baseline * 100
    token_in_log = TOKEN in log.read_text(errors="replace")
    figures = {
        "minutes": args.minutes,
        "requests": requests,
        "requests_per_s": round(requests / (time.monotonic() - start), 1),
        "status_5xx": server_errors,
        "transport_errors": transport_errors,
        "server_crashed": int(crashed),
        "responses_leaking": len(leaks),
        "token_in_server_log": int(token_in_log),
        "rss_start_mb": round(baseline, 1),
        "rss_end_mb": round(final, 1),
        "rss_max_mb": round(max(rss for _, rss in samples), 1),
        "rss_growth_pct": round(growth, 2),
        **{f"status_{code}": n for code, n in sorted(statuses.items())},
    }
    passed = server_errors == 0 and not crashed and not leaks and growth < 10 and not token_in_log
    print(f"server: {' '.join(command[:3])} ... (exit {exit_code if crashed else 'none'})")
    print(f"{'figure':<24} value")
    for name, value in figures.items():
        print(f"{name:<24} {value}")
    print(f"\n{'request kind':<16} statuses")
    for kind, counts in by_kind.items():
        print(f"{kind:<16} {dict(sorted(counts.items()))}")
    for leak in leaks[:10]:
        print("LEAK", leak)
    print("\nPASS" if passed else "\nFAIL")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "title": "Soak test of the retrieval service (mixed valid and invalid requests)",
                "command": f"python bench/soak.py --minutes {args.minutes:g}",
                "figures": {**figures, "passed": int(passed)},
                "notes": (
                    f"real server subprocess ({' '.join(Path(c).name for c in command[:3])}) on "
                    f"127.0.0.1 with a bearer token and a rate limit of {RATE_PER_S:g}/s "
                    f"(burst {BURST}); one client cycling through {len(by_kind)} request kinds "
                    "(3 valid, the rest invalid or hostile), with a burst past the rate limit "
                    f"every tenth round; RSS sampled every {SAMPLE_EVERY_S:g} s with psutil, "
                    f"growth = median of the last tenth of samples vs the first tenth after a "
                    f"{WARMUP_S:g} s warm-up; shared 2-core machine. Status counts by kind: "
                    + json.dumps({k: dict(v) for k, v in by_kind.items()})
                ),
            },
            indent=2,
        )
        + "\n"
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
