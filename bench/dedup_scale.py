"""MinHash-LSH dedup of many short documents: wall time and peak RSS.

    .venv/bin/python bench/dedup_scale.py --n 1000000

Documents are 10-30 words in two sentences, drawn from a 50,000-word vocabulary with
Zipf-Mandelbrot frequencies 1/(rank + 1.5): the commonest word is about 6% of all words, as
"the" is in English. 5% of rows are exact copies (with case/whitespace changes) and 10%
are near copies (one word replaced) of earlier rows. Peak RSS is the process's high-water mark
(`ru_maxrss`), so it includes the generated table itself.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filters.dedup import DedupConfig, deduplicate

RESULTS = Path(__file__).resolve().parent / "results" / "dedup_scale.json"


def generate(n: int, seed: int = 0) -> tuple[pa.Table, int, int]:
    """A table of n short documents with planted exact and near copies."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"word{i}" for i in range(50_000)], dtype=object)
    lengths = rng.integers(10, 31, size=n)
    weights = 1.0 / (np.arange(len(vocabulary)) + 1.5)
    word_ids = rng.choice(len(vocabulary), size=int(lengths.sum()), p=weights / weights.sum())
    words = vocabulary[word_ids]
    cuts = np.cumsum(lengths)[:-1]
    texts = []
    for doc in np.split(words, cuts):
        third = len(doc) // 3
        texts.append(" ".join(doc[:third]) + ". " + " ".join(doc[third:]) + ".")
    kind = rng.random(n)
    planted_exact = planted_near = 0
    for row in range(1, n):
        if kind[row] < 0.05:
            texts[row] = "  " + texts[rng.integers(0, row)].upper()
            planted_exact += 1
        elif kind[row] < 0.15:
            words_of = texts[rng.integers(0, row)].split(" ")
            words_of[rng.integers(len(words_of))] = "edit" + str(rng.integers(1_000_000))
            texts[row] = " ".join(words_of)
            planted_near += 1
    table = pa.table(
        {
            "id": pa.array([f"doc{i}" for i in range(n)]),
            "text": pa.array(texts, type=pa.large_string()),
            "source": pa.array(["bench"] * n),
            "source_name": pa.array(["bench"] * n),
            "license": pa.array(["cc0-1.0"] * n),
        }
    )
    return table, planted_exact, planted_near


def cpu_seconds() -> float:
    """User + system CPU time of this process: steadier than wall time on shared cores."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    load_at_start = os.getloadavg()[0]
    start = time.perf_counter()
    table, planted_exact, planted_near = generate(args.n)
    generate_s = time.perf_counter() - start
    rss_after_generate = peak_rss_mib()
    config = DedupConfig()
    timings, cpu_timings = [], []
    for _ in range(args.repeats):
        start, cpu_start = time.perf_counter(), cpu_seconds()
        result = deduplicate(table, config)
        timings.append(time.perf_counter() - start)
        cpu_timings.append(cpu_seconds() - cpu_start)
    figures = {
        "documents": args.n,
        "planted_exact": planted_exact,
        "planted_near": planted_near,
        "removed_exact": result.stats["exact"],
        "removed_near": result.stats["near"],
        "dedup_seconds_median": round(statistics.median(timings), 2),
        "docs_per_second": round(args.n / statistics.median(timings)),
        "dedup_cpu_seconds_median": round(statistics.median(cpu_timings), 2),
        "generate_seconds": round(generate_s, 2),
        "peak_rss_mib_after_generation": round(rss_after_generate),
        "peak_rss_mib": round(peak_rss_mib()),
        "load_average_1min_at_start": round(load_at_start, 1),
    }
    width = max(map(len, figures))
    print(f"dedup_scale: exact + MinHash-LSH near dedup (defaults), {args.repeats} run(s)")
    for name, value in figures.items():
        print(f"  {name:<{width}}  {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    notes = (
        f"DedupConfig() defaults ({config.near}). 2 CPU cores shared with other engineers' "
        "jobs, so wall time is an upper bound; CPU seconds (user + system, both threads) are "
        "steadier. Peak RSS is ru_maxrss of the whole process (includes the generated table). "
        "Planted near copies are one-word edits of 10-30 word documents; in the shortest ones "
        "one edit drops the Jaccard below the threshold, and exact copies of a near-removed row "
        "count as near (they follow it to the survivor)."
    )
    RESULTS.write_text(
        json.dumps(
            {
                "title": f"MinHash dedup of {args.n:,} short documents",
                "command": f".venv/bin/python bench/dedup_scale.py --n {args.n}",
                "figures": figures,
                "notes": notes,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
