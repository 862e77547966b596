"""Retrieval quality of the published index on a BEIR-format set: exact vs auto index.

    .venv/bin/python bench/retrieval_eval.py CORPUS.jsonl QUERIES.jsonl QRELS.tsv [--kinds hnsw,ivf]
    .venv/bin/python bench/retrieval_eval.py make-docstring-sample .bench-data/docstrings

The corpus is written as a published version directory (`data/test-00000-of-00001.parquet`)
and indexed with `indexes.build_version_index`, the same embed/build/write functions the flow
uses, once with `kind="flat"` (exact) and once with `kind="auto"` (plus any `--kinds`); the
embedding cache makes every build after the first free. Queries go through
`RetrievalIndex.search`. nDCG@10 uses linear gains and the ideal ranking of all judged documents
(as pytrec_eval / BEIR); recall@10 counts documents with relevance > 0. "vs exact" is the
recall@10 of each index's top 10 against the exact top 10.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexes import IndexConfig, RetrievalIndex, build_version_index

RESULTS = Path(__file__).resolve().parent / "results" / "retrieval_eval.json"
K = 10


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {doc id: graded relevance}; a header line is skipped."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or not row[2].lstrip("-").isdigit():
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def ndcg_at_k(ranked: list[str], relevance: dict[str, int], k: int = K) -> float:
    gains = [relevance.get(doc, 0) for doc in ranked[:k]]
    dcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))
    ideal = sorted(relevance.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: list[str], relevance: dict[str, int], k: int = K) -> float:
    relevant = {doc for doc, grade in relevance.items() if grade > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def write_version(corpus: list[dict], version_dir: Path) -> None:
    """The corpus as one split of a published version directory."""
    (version_dir / "data").mkdir(parents=True)
    table = pa.table(
        {
            "id": [str(doc["_id"]) for doc in corpus],
            "title": [doc.get("title") or "" for doc in corpus],
            "text": [doc.get("text") or "" for doc in corpus],
            "source": [f"corpus.jsonl:{line}" for line in range(1, len(corpus) + 1)],
            "source_name": ["corpus"] * len(corpus),
            "license": ["unknown"] * len(corpus),
        }
    )
    pq.write_table(table, version_dir / "data" / "test-00000-of-00001.parquet")


def evaluate(args: argparse.Namespace) -> dict:
    corpus = read_jsonl(args.corpus)
    queries = {str(q["_id"]): q["text"] for q in read_jsonl(args.queries)}
    qrels = read_qrels(args.qrels)
    judged = [qid for qid in queries if qid in qrels]
    texts = [queries[qid] for qid in judged]
    kinds = ["flat", "auto", *[kind for kind in args.kinds.split(",") if kind]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.cache_dir) if args.cache_dir else Path(tmp) / "cache"
        exact_top: list[list[str]] = []
        for kind in kinds:
            version_dir = Path(tmp) / "eval" / kind
            write_version(corpus, version_dir)
            config = IndexConfig(kind=kind, template=args.template, progress=args.progress)
            start = time.perf_counter()
            info = build_version_index(version_dir, config, cache_dir=cache)
            build_s = time.perf_counter() - start
            index = RetrievalIndex.open(version_dir)
            start = time.perf_counter()
            results = index.search(texts, k=K)
            search_s = time.perf_counter() - start
            top = [[hit.id for hit in hits] for hits in results]
            if kind == "flat":
                exact_top = top
            overlap = [
                len(set(mine).intersection(exact)) / max(len(exact), 1)
                for mine, exact in zip(top, exact_top, strict=True)
            ]
            rows.append(
                {
                    "index": "exact" if kind == "flat" else kind,
                    "factory": info["factory"],
                    "params": info["params"],
                    "ndcg_at_10": statistics.fmean(
                        ndcg_at_k(t, qrels[q]) for t, q in zip(top, judged, strict=True)
                    ),
                    "recall_at_10": statistics.fmean(
                        recall_at_k(t, qrels[q]) for t, q in zip(top, judged, strict=True)
                    ),
                    "recall_at_10_vs_exact": statistics.fmean(overlap),
                    "embedded_rows": info["embedded_rows"],
                    "build_s": build_s,
                    "query_ms": 1000 * search_s / max(len(texts), 1),
                }
            )
    return {"corpus": len(corpus), "queries": len(judged), "rows": rows}


def make_docstring_sample(directory: Path, docs: int, queries: int) -> None:
    """A BEIR-format set from real text: the standard library's docstrings (parsed, not imported).

    A document is a docstring without its summary line; a query is the summary line of one of
    them, relevant (grade 1) to its own document only. Written to `directory`, never committed.
    """
    import ast
    import hashlib
    import sysconfig

    pairs: dict[str, str] = {}
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.rglob("*.py")):
        if {"test", "tests", "site-packages", "idlelib"} & set(path.relative_to(stdlib).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                summary, _, body = (ast.get_docstring(node) or "").partition("\n")
                body = " ".join(body.split())[:1500]
                if 40 <= len(summary) <= 200 and len(body) >= 200 and summary not in pairs:
                    pairs[summary.strip()] = body
    ordered = sorted(pairs, key=lambda t: hashlib.sha256(t.encode()).hexdigest())[:docs]
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "corpus.jsonl", "w", encoding="utf-8") as corpus:
        for number, summary in enumerate(ordered):
            corpus.write(json.dumps({"_id": f"d{number}", "title": "", "text": pairs[summary]}))
            corpus.write("\n")
    with (
        open(directory / "queries.jsonl", "w", encoding="utf-8") as out,
        open(directory / "qrels.tsv", "w", encoding="utf-8") as qrels,
    ):
        qrels.write("query-id\tcorpus-id\tscore\n")
        for number, summary in enumerate(ordered[:queries]):
            out.write(json.dumps({"_id": f"q{number}", "text": summary}) + "\n")
            qrels.write(f"q{number}\td{number}\t1\n")
    print(f"wrote {len(ordered)} documents and {min(queries, len(ordered))} queries")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "make-docstring-sample":
        sample = argparse.ArgumentParser(description=make_docstring_sample.__doc__)
        sample.add_argument("command")
        sample.add_argument("directory", type=Path)
        sample.add_argument("--docs", type=int, default=5000)
        sample.add_argument("--queries", type=int, default=500)
        options = sample.parse_args()
        make_docstring_sample(options.directory, options.docs, options.queries)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("qrels", type=Path)
    parser.add_argument("--template", default="{title}\n{text}", help="IndexConfig.template")
    parser.add_argument("--kinds", default="", help="more kinds to compare, e.g. hnsw,ivf")
    parser.add_argument("--cache-dir", help="embedding cache to reuse between runs")
    parser.add_argument("--progress", action="store_true", help="show embedding progress")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = evaluate(args)
    print(f"corpus={result['corpus']} docs, {result['queries']} judged queries, k={K}")
    header = ("index", "factory", "nDCG@10", "recall@10", "vs exact", "q ms")
    print("{:<8} {:<16} {:>8} {:>9} {:>8} {:>6}".format(*header))
    figures: dict[str, object] = {"corpus_docs": result["corpus"], "queries": result["queries"]}
    for row in result["rows"]:
        print(
            f"{row['index']:<8} {row['factory']:<16} {row['ndcg_at_10']:>8.4f} "
            f"{row['recall_at_10']:>9.4f} {row['recall_at_10_vs_exact']:>8.4f} "
            f"{row['query_ms']:>6.1f}"
        )
        for name in ("factory", "ndcg_at_10", "recall_at_10", "recall_at_10_vs_exact"):
            value = row[name]
            rounded = round(value, 4) if isinstance(value, float) else value
            figures[f"{row['index']}_{name}"] = rounded
    exact, auto = result["rows"][0], result["rows"][1]
    figures["auto_minus_exact_ndcg_at_10"] = round(auto["ndcg_at_10"] - exact["ndcg_at_10"], 4)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        json.dumps(
            {
                "title": f"Retrieval quality, exact vs auto index ({args.corpus.parent.name})",
                "command": "python bench/retrieval_eval.py " + " ".join(sys.argv[1:]),
                "figures": figures,
                "notes": (
                    "all-MiniLM-L6-v2 (packaged), cosine, template "
                    f"{args.template!r}; embedded once through the cache, indexed per kind "
                    "with indexes.build_version_index; nDCG@10 with linear gains as BEIR."
                ),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
