"""Encoder batches by text count or by padded tokens: speed and memory of each choice.

Encodes the same texts (review and post bodies of the sample corpus, numbered so each is
distinct, every fourth one four bodies long) once per setting of `index.max_batch_tokens`,
each in a fresh process, and records the wall time and how far the process's RSS rose above its
size after loading the model. The rise is glibc's heap: tensors of many different shapes leave it
fragmented, so it grows with the largest batches, not with the texts.

    .venv/bin/python bench/embed_batching.py [--rows 4096] [--tokens none,4096,2048,1024]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fresh_process import run_json

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, threading, time
os.environ["HF_HUB_OFFLINE"] = "1"
import psutil
sys.path.insert(0, sys.argv[3])
from sample_corpus import demo_texts
from indexes.embed import Embedder
from indexes.config import IndexConfig

tokens = None if sys.argv[1] == "none" else int(sys.argv[1])
rows = int(sys.argv[2])
short = demo_texts(rows + 4)
# A quarter of the texts join four bodies, so lengths run from a few tokens to past the
# 256-token cut (the demo's own bodies are short; real corpora mix in articles).
texts = [
    f"{i}: " + (" ".join(short[i : i + 4]) if i % 4 == 0 else short[i]) for i in range(rows)
]
embedder = Embedder(IndexConfig(progress=False, max_batch_tokens=tokens))
embedder.encode(["warm up"])  # load the model: untimed
process, peak = psutil.Process(), [0]

def watch():
    while True:
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.01)

base = process.memory_info().rss
threading.Thread(target=watch, daemon=True).start()
start = time.perf_counter()
embedder.embed_texts(texts)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_rise_mib": (max(peak[0], base) - base) >> 20}))
"""


def measure(tokens: str, rows: int) -> dict[str, float]:
    return run_json(CHILD, tokens, str(rows), str(REPO / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--tokens", default="none,4096,2048,1024")
    args = parser.parse_args()
    figures: dict[str, float] = {"rows": args.rows}
    for tokens in args.tokens.split(","):
        run = measure(tokens, args.rows)
        figures[f"tokens_{tokens}_texts_per_second"] = round(args.rows / run["seconds"], 1)
        figures[f"tokens_{tokens}_rss_rise_mib"] = run["rss_rise_mib"]
        print(f"max_batch_tokens={tokens}: {run}", flush=True)
    result = {
        "title": (
            f"Encoder batches: {args.rows:,} texts of mixed length per max_batch_tokens setting"
        ),
        "command": f".venv/bin/python bench/embed_batching.py --rows {args.rows}",
        "figures": figures,
        "notes": (
            "batch_size 64 and max_seq_length 256 throughout; 'none' is 64 texts per batch "
            "whatever their length (sentence-transformers' default behaviour). RSS rise: peak "
            "RSS while encoding minus RSS after loading the model, in a fresh process."
        ),
    }
    out = REPO / "bench" / "results" / "embed_batching.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
