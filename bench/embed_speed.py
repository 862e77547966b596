"""Embedding throughput and retrieval quality per backend: torch, onnx, onnx-int8, model2vec.

    .venv/bin/python bench/embed_speed.py                       # 3,000 rows, 2 rounds, full IR sets
    .venv/bin/python bench/embed_speed.py --rows 400 --repeats 1 --docs 200 --queries 50  # quick

Speed: demo-like texts (examples/data posts `body` and reviews `review`, cycled to `--rows`, each
repeat prefixed with its number so that every row is distinct and reaches the encoder). The
baseline is what a user would write: `SentenceTransformer(model).encode(texts)` with default
settings. Ours is `Embedder.embed_texts` (memory cache, chunks of `cache_chunk_rows`) per backend.
Model loading is outside the timings; exports and distillation are timed once as `prepare_s`.
Cases run round-robin so load from other processes hits them alike; rows/s is from wall time
(median of the rounds) and rows per CPU-second from `time.process_time` (all threads).

Quality: nDCG@10 and recall@10 through `bench/retrieval_eval.py`'s code path (`write_version`,
`indexes.build_version_index` with an exact index, `RetrievalIndex.search`, its metrics) on the
hand-written sample and the standard-library docstring set, per backend.

Padding: the share of real tokens in the padded batches when texts are batched in arrival order,
sorted within each `cache_chunk_rows` chunk (what `Embedder` does), and sorted globally.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.retrieval_eval import (
    K,
    make_docstring_sample,
    ndcg_at_k,
    read_jsonl,
    read_qrels,
    recall_at_k,
    write_version,
)
from indexes import IndexConfig, RetrievalIndex, build_version_index
from indexes.backends import store_dir
from indexes.embed import Embedder, EmbeddingCache, load_model, resolve_model_path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "embed_speed.json"
SAMPLE = ROOT / "bench" / "data" / "retrieval_sample"
BACKENDS = ("torch", "onnx", "onnx-int8", "model2vec")


def demo_texts() -> list[str]:
    """Post bodies and review texts from the demo corpus; malformed lines are skipped."""
    texts = []
    data = ROOT / "examples" / "data"
    with open(data / "posts.jsonl", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                body = json.loads(line).get("body")
            except (json.JSONDecodeError, AttributeError):
                continue
            if isinstance(body, str) and body.strip():
                texts.append(body)
    csv.field_size_limit(1 << 24)  # the demo plants one oversize review
    with open(data / "reviews.csv", encoding="utf-8", errors="replace", newline="") as handle:
        texts += [row["review"] for row in csv.DictReader(handle) if (row.get("review") or "")]
    return [text for text in texts if text.strip() and len(text) < 20_000]


def corpus_rows(texts: list[str], rows: int) -> list[str]:
    """`rows` distinct texts: the demo texts cycled, each repeat prefixed with its number."""
    return [
        texts[i % len(texts)] if i < len(texts) else f"#{i // len(texts)} {texts[i % len(texts)]}"
        for i in range(rows)
    ]


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def speed(cases: dict[str, Callable[[], object]], rows: int, repeats: int) -> dict[str, dict]:
    """Median rows/s (wall) and rows per CPU-second per case, run round-robin."""
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, run in cases.items():
            wall, cpu = timed(run)
            walls[name].append(wall)
            cpus[name].append(cpu)
            print(f"  {name:<34} {rows / wall:>8.1f} rows/s  {rows / cpu:>8.1f} rows/cpu-s")
    return {
        name: {
            "rows_per_s": round(rows / statistics.median(walls[name]), 1),
            "rows_per_cpu_s": round(rows / statistics.median(cpus[name]), 1),
        }
        for name in cases
    }


def embedder_case(config: IndexConfig, store: Path, texts: list[str]) -> Callable[[], object]:
    """`Embedder.embed_texts` on an empty memory cache each call, the model loaded beforehand."""
    embedder = Embedder(config, model_dir=store)
    embedder.encode(texts[:8])  # load, export or distil: untimed

    def run() -> np.ndarray:
        embedder.cache = EmbeddingCache(None, embedder.model_id)
        return embedder.embed_texts(texts)

    return run


def padding_efficiency(texts: list[str], batch: int, chunk: int) -> dict[str, float]:
    """Real tokens / padded tokens when batching the same texts in arrival order, sorted by
    length within each chunk of `chunk` texts (one `encode` call each), and sorted globally."""
    tokenizer = load_model(IndexConfig().model, None, 256)[0].model.tokenizer
    lengths = np.array(
        [len(ids) for ids in tokenizer(texts, truncation=True, max_length=256)["input_ids"]]
    )

    def efficiency(order: np.ndarray) -> float:
        padded = sum(
            lengths[order[i : i + batch]].max() * len(order[i : i + batch])
            for i in range(0, len(order), batch)
        )
        return round(float(lengths.sum() / padded), 3)

    # Sorted by characters, as sentence-transformers and the ONNX runner sort, not by tokens.
    chars = -np.array([len(text) for text in texts])
    per_chunk = np.concatenate(
        [
            start + np.argsort(chars[start : start + chunk], kind="stable")
            for start in range(0, len(texts), chunk)
        ]
    )
    return {
        "arrival_order": efficiency(np.arange(len(texts))),
        f"sorted_per_chunk_of_{chunk}": efficiency(per_chunk),
        "sorted_globally": efficiency(np.argsort(chars, kind="stable")),
    }


def retrieval(directory: Path, config: IndexConfig, store: Path, work: Path) -> dict[str, float]:
    """nDCG@10 and recall@10 of an exact index built and searched with `config`'s backend."""
    corpus = read_jsonl(directory / "corpus.jsonl")
    queries = {str(q["_id"]): q["text"] for q in read_jsonl(directory / "queries.jsonl")}
    qrels = read_qrels(directory / "qrels.tsv")
    judged = [qid for qid in queries if qid in qrels]
    version_dir = work / f"{directory.name}-{config.backend}-{config.max_seq_length}" / "1.0.0"
    write_version(corpus, version_dir)
    models = version_dir.parent / ".embedding-cache" / "models"
    models.parent.mkdir(parents=True)
    models.symlink_to(store)  # the query encoder finds the export where a flow would leave it
    build_version_index(version_dir, config, cache_dir=version_dir.parent / ".embedding-cache")
    results = RetrievalIndex.open(version_dir).search([queries[q] for q in judged], k=K)
    top = [[hit.id for hit in hits] for hits in results]
    pairs = list(zip(top, judged, strict=True))
    return {
        "ndcg_at_10": round(statistics.fmean(ndcg_at_k(t, qrels[q]) for t, q in pairs), 4),
        "recall_at_10": round(statistics.fmean(recall_at_k(t, qrels[q]) for t, q in pairs), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000, help="texts per speed run")
    parser.add_argument("--repeats", type=int, default=2, help="round-robin rounds")
    parser.add_argument("--sweep-rows", type=int, default=1000, help="texts per sweep run")
    parser.add_argument("--docs", type=int, default=5000, help="docstring corpus size (cap)")
    parser.add_argument("--queries", type=int, default=500, help="docstring queries")
    parser.add_argument("--model-store", type=Path, help="reuse exports (default: a temp dir)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = args.model_store or work / "models"
        store.mkdir(parents=True, exist_ok=True)
        texts = corpus_rows(demo_texts(), args.rows)
        figures: dict[str, object] = {"rows": len(texts), "threads": os.cpu_count()}
        figures["load_average_at_start"] = round(os.getloadavg()[0], 2)

        prepare = {}
        for backend in BACKENDS[1:]:
            config = IndexConfig(backend=backend, progress=False)
            reused = (store_dir(store, config.model, backend) / "done").exists()
            wall, cpu = timed(lambda config=config: Embedder(config, model_dir=store).model)
            prepare[backend] = {
                "prepare_s": round(wall, 1),
                "prepare_cpu_s": round(cpu, 1),
                "reused_from_store": reused,
            }
            print(f"prepared {backend}: {wall:.1f} s wall, {cpu:.1f} s CPU")
        figures["prepare"] = prepare

        from sentence_transformers import SentenceTransformer

        plain = SentenceTransformer(resolve_model_path(IndexConfig().model))
        plain.encode(texts[:8])
        cases: dict[str, Callable[[], object]] = {
            "SentenceTransformer.encode (defaults)": lambda: plain.encode(texts)
        }
        for backend in BACKENDS:
            config = IndexConfig(backend=backend, progress=False)
            cases[f"Embedder {backend}"] = embedder_case(config, store, texts)
        print(f"speed, {len(texts)} rows:")
        figures["speed"] = speed(cases, len(texts), args.repeats)

        sweep_texts = texts[: args.sweep_rows]
        sweep: dict[str, Callable[[], object]] = {}
        for backend in ("torch", "onnx"):
            for batch_size in (16, 32, 64, 128):
                config = IndexConfig(backend=backend, batch_size=batch_size, progress=False)
                sweep[f"{backend} batch={batch_size} len=256"] = embedder_case(
                    config, store, sweep_texts
                )
            config = IndexConfig(backend=backend, max_seq_length=128, progress=False)
            sweep[f"{backend} batch=64 len=128"] = embedder_case(config, store, sweep_texts)
        print(f"sweep, {len(sweep_texts)} rows:")
        figures["sweep"] = speed(sweep, len(sweep_texts), 1)

        config = IndexConfig()
        figures["padding_efficiency"] = {
            **padding_efficiency(texts, config.batch_size, 256),
            **padding_efficiency(texts, config.batch_size, config.cache_chunk_rows),
        }

        docstrings = work / "docstrings"
        make_docstring_sample(docstrings, args.docs, args.queries)
        quality: dict[str, dict] = {}
        exact = {"kind": "flat", "template": "{title}\n{text}", "progress": False}
        variants = {b: IndexConfig(backend=b, **exact) for b in BACKENDS}
        variants["torch len=128"] = IndexConfig(max_seq_length=128, **exact)
        for name, config in variants.items():
            quality[name] = {
                "sample": retrieval(SAMPLE, config, store, work / "sample"),
                "docstrings": retrieval(docstrings, config, store, work / "docstrings-eval"),
            }
            print(f"quality {name}: {quality[name]}")
        figures["quality"] = quality
        figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
        figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        json.dumps(
            {
                "title": "Embedding backends: throughput and retrieval quality",
                "command": "python bench/embed_speed.py " + " ".join(sys.argv[1:]),
                "figures": figures,
                "notes": (
                    "all-MiniLM-L6-v2 (packaged). Speed on demo posts + reviews cycled to "
                    f"{len(texts)} distinct rows, model load untimed, median of {args.repeats} "
                    "round-robin rounds; rows_per_cpu_s from time.process_time (all threads). "
                    "Quality: exact index, template '{title}\\n{text}', bench/retrieval_eval.py "
                    "metrics on bench/data/retrieval_sample and the stdlib docstring set. "
                    "padding_efficiency: real / padded tokens at batch_size 64."
                ),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
