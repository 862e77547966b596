"""Toxicity scorer throughput on short rows: the bare package vs our scorer vs our masked scorer.

Usage: .venv/bin/python bench/toxicity_speed.py [ROWS] [REPEATS]   (default 100000 rows, 5 runs)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa

from filters.toxicity import (
    ToxicityConfig,
    apply_toxicity,
    load_audit_set,
    load_bare_scorer,
    load_scorer,
)
from filters.toxicity.identity import IdentityMasker

RESULTS = Path(__file__).resolve().parent / "results" / "toxicity_speed.json"
BAR_ROWS_PER_SECOND = 20_000


def short_rows(count: int) -> list[str]:
    """Audit-set sentences (about 10 words, most naming an identity group), cycled."""
    texts = load_audit_set().column("text").to_pylist()
    return [texts[index % len(texts)] for index in range(count)]


def median_rows_per_second(
    cases: dict[str, Callable[[], object]], rows: int, repeats: int
) -> dict[str, int]:
    """Runs the cases round-robin, so load from other processes hits all of them alike."""
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    return {name: round(rows / statistics.median(times)) for name, times in timings.items()}


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    texts = short_rows(rows)
    from profanity_check import predict_prob

    config = ToxicityConfig()
    bare = load_bare_scorer(config)
    masked = load_scorer(config)
    masker = IdentityMasker(config.resolved_mask_token())
    arrow_texts = pa.array(texts)
    table = pa.table({"id": [str(index) for index in range(rows)], "text": arrow_texts})
    cases = {
        "alt-profanity-check predict_prob (package)": lambda: predict_prob(texts),
        "profanity scorer, bare": lambda: bare.score(texts),
        "identity masking alone (Arrow RE2)": lambda: masker.mask(arrow_texts),
        "profanity scorer + identity masking (default)": lambda: masked.score(texts),
        "apply_toxicity stage, drop (default config)": lambda: apply_toxicity(
            table, config, scorer=masked
        ),
    }
    figures = median_rows_per_second(cases, rows, repeats)
    mean_words = sum(len(text.split()) for text in texts) / rows
    print(
        f"{rows} short rows (mean {mean_words:.1f} words), median of {repeats} runs, "
        f"{os.cpu_count()} cores"
    )
    print(f"{'scorer':48} {'rows/s':>10}")
    for name, value in figures.items():
        print(f"{name:48} {value:>10,}")
    default_speed = figures["profanity scorer + identity masking (default)"]
    met = default_speed >= BAR_ROWS_PER_SECOND
    print(
        f"default scorer: {default_speed:,} rows/s -> bar >= {BAR_ROWS_PER_SECOND:,}: "
        f"{'MET' if met else 'NOT MET'}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "title": "Toxicity scorer throughput (short rows)",
        "command": " ".join(["python bench/toxicity_speed.py", *sys.argv[1:]]),
        "figures": {**figures, "mean_words_per_row": round(mean_words, 1), "bar_met": met},
        "notes": f"rows/s, median of {repeats} runs over {rows} audit-set sentences on "
        f"{os.cpu_count()} cores; the default scorer is profanity + identity masking.",
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
