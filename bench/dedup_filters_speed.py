"""Throughput of the quality, language and semantic-dedup stages.

    .venv/bin/python bench/dedup_filters_speed.py [--rows 50000]

Quality and language run on the sample corpus's reviews and posts (examples/data), repeated
to `--rows` rows. Semantic dedup runs on random unit vectors of 384 dimensions (MiniLM's size)
with 1% planted close copies; it never embeds, so its cost is the exact FAISS range search.
Median of 3 runs each; the language detector is built (models loaded) before timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_corpus import demo_texts

from filters.dedup import SemanticDedupConfig, semantic_dedup
from filters.language import LanguageConfig, apply_language
from filters.quality import QualityConfig, apply_quality

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "dedup_filters_speed.json"


def table_of(texts: list[str]) -> pa.Table:
    n = len(texts)
    return pa.table(
        {
            "id": [f"r{i}" for i in range(n)],
            "text": texts,
            "source": ["bench"] * n,
            "source_name": ["bench"] * n,
            "license": ["cc0-1.0"] * n,
        }
    )


def median_seconds(run, repeats: int = 3) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--vectors", type=int, default=20_000)
    args = parser.parse_args()

    texts = demo_texts()
    table = table_of([texts[i % len(texts)] for i in range(args.rows)])
    quality_s = median_seconds(lambda: apply_quality(table, QualityConfig()))
    language_config = LanguageConfig(languages=["en"])
    apply_language(table.slice(0, 10), language_config)  # build the detector once
    language_s = median_seconds(lambda: apply_language(table, language_config))

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(args.vectors, 384)).astype(np.float32)
    planted = args.vectors // 100
    vectors[-planted:] = vectors[:planted] + rng.normal(scale=0.01, size=(planted, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vector_table = table_of([f"v{i}" for i in range(args.vectors)])
    semantic = semantic_dedup(vector_table, vectors, SemanticDedupConfig())
    semantic_s = median_seconds(
        lambda: semantic_dedup(vector_table, vectors, SemanticDedupConfig())
    )
    figures = {
        "quality_rows": args.rows,
        "quality_rows_per_second": round(args.rows / quality_s),
        "language_rows": args.rows,
        "language_rows_per_second": round(args.rows / language_s),
        "semantic_vectors": args.vectors,
        "semantic_seconds": round(semantic_s, 2),
        "semantic_planted": planted,
        "semantic_removed": semantic.stats["semantic"],
    }
    print("dedup_filters_speed (median of 3, 2 shared cores)")
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"  {name:<{width}}  {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "title": "Quality, language and semantic-dedup throughput",
                "command": f".venv/bin/python bench/dedup_filters_speed.py --rows {args.rows}"
                f" --vectors {args.vectors}",
                "figures": figures,
                "notes": " ".join(__doc__.split("\n\n")[2].split())
                + " Language: default 20 candidate languages, allow-list [en].",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
