"""How long the card files take per version: charts, croissant.json, LICENSE.md, README.md, and
the review page, on synthetic splits of a given size (median of repeated runs).

Usage: .venv/bin/python bench/card_files.py [ROWS] [REPEATS]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from cards import CardContext, SourceSummary
from cards.files import write_card_files
from cards.review import render_review_page
from publish.release import split_path, write_manifest, write_parquet
from publish.store import publish_atomically

RESULTS = Path(__file__).resolve().parent / "results" / "card_files.json"
RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
WORDS = np.array(
    [
        "the",
        "a",
        "fog",
        "signal",
        "ferry",
        "storm",
        "coast",
        "review",
        "post",
        "page",
        "quiet",
        "night",
        "route",
    ]
)


def synthetic_splits(rows: int, seed: int = 13) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 120, rows)
    texts = [" ".join(rng.choice(WORDS, n)) for n in lengths]
    source = np.where(rng.random(rows) < 0.6, "reviews", "posts")
    table = pa.table(
        {
            "id": [f"r{i:08d}" for i in range(rows)],
            "text": texts,
            "source": [f"{s}:{i}" for i, s in enumerate(source)],
            "source_name": source,
            "license": np.where(source == "reviews", "cc-by-4.0", "cc-by-nc-4.0"),
        }
    )
    cuts = np.cumsum([int(rows * r) for r in RATIOS.values()])[:-1]
    starts = [0, *cuts]
    ends = [*cuts, rows]
    return {name: table.slice(a, b - a) for name, a, b in zip(RATIOS, starts, ends, strict=True)}


def context_for(splits: dict[str, pa.Table]) -> CardContext:
    published = sum(t.num_rows for t in splits.values())
    per_source = {"reviews": 0, "posts": 0}
    for table in splits.values():
        for name in per_source:
            per_source[name] += table["source_name"].to_pylist().count(name)
    stats = {
        "rows_read": published + 150,
        "rows_unreadable": 10,
        "rows_quarantined": 30,
        "rows_filtered": 130,
        "rows_published": published,
        "rows_per_split": {n: t.num_rows for n, t in splits.items()},
        "removed_by_reason": {
            "empty_text": 20,
            "toxicity": 30,
            "duplicate:exact": 100,
            "invalid_json": 10,
        },
        "published_per_source": per_source,
        "stages": {"pii": {"entities": {}}, "toxicity": {"removed": 30}, "dedup": {"exact": 100}},
    }
    return CardContext(
        name="bench-corpus",
        version="1.0.0",
        description="Synthetic rows for the card bench.",
        sources=[
            SourceSummary(
                "reviews",
                "reviews.csv",
                "cc-by-4.0",
                per_source["reviews"],
                0,
                per_source["reviews"],
            ),
            SourceSummary(
                "posts",
                "posts.jsonl",
                "cc-by-nc-4.0",
                per_source["posts"] + 150,
                10,
                per_source["posts"],
            ),
        ],
        splits=stats["rows_per_split"],
        schema=splits["train"].schema,
        stats=stats,
        example=splits["train"].slice(0, 1).to_pylist()[0],
    )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    splits = synthetic_splits(rows)
    card_seconds, review_seconds = [], []
    for run in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            dataset_dir = Path(tmp) / "bench-corpus"
            context = context_for(splits)

            def write(staging: Path, context: CardContext = context) -> None:
                for name, table in splits.items():
                    write_parquet(table, staging / split_path(name))
                start = time.perf_counter()
                write_card_files(staging, context, splits)
                card_seconds.append(time.perf_counter() - start)
                write_manifest(staging, {"rows": context.splits})

            publish_atomically(dataset_dir, "1.0.0", write)
            start = time.perf_counter()
            page = render_review_page(dataset_dir)
            review_seconds.append(time.perf_counter() - start)
            print(
                f"run {run + 1}: card files {card_seconds[-1]:.2f} s, "
                f"review page {review_seconds[-1]:.2f} s ({len(page) / 1024:.0f} KiB)"
            )
    figures = {
        "rows": rows,
        "card_files_seconds_median": round(statistics.median(card_seconds), 3),
        "review_page_seconds_median": round(statistics.median(review_seconds), 3),
        "review_page_kib": round(len(page) / 1024, 1),
    }
    print(f"\n| measure ({rows} rows, median of {repeats}) | value |\n| --- | ---: |")
    for key, value in figures.items():
        print(f"| {key} | {value} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "title": "Card files and review page",
                "command": f".venv/bin/python bench/card_files.py {rows} {repeats}",
                "figures": figures,
                "notes": "write_card_files = 3 charts + LICENSE.md + croissant.json (sha256 of "
                "the splits) + README.md; review page inlines the charts. Synthetic splits, "
                "2 shared CPU cores.",
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
