"""The measurements behind four default choices of the performance work (issue 11):

- semantic dedup: IVF range search against exact search on 100k vectors (CPU, pairs found);
- auto index at 100k rows: HNSW against the fast-scan PQ candidate (build time);
- language detection: lingua's memory in full and trigram-only mode;
- PII: share of characters spaCy reads when whole texts vs only sentences are gated.

Vectors are 384-d, clustered (300 centres plus noise) with 1% planted near copies; texts are
the end-to-end bench's generated corpus (bench/e2e_run.py).

    .venv/bin/python bench/stage_choices.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "stage_choices.json"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

LINGUA_RSS = """
import sys, psutil, pyarrow as pa
from filters.language import LanguageConfig, apply_language
before = psutil.Process().memory_info().rss
config = LanguageConfig(languages=["en"], low_accuracy=sys.argv[1] == "low")
apply_language(pa.table({"id": ["a"], "text": ["hello there my friend"]}), config)
print((psutil.Process().memory_info().rss - before) // 2**20)
"""


def clustered_vectors(rows: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 300 centres, with 1% of rows replaced by near copies of others."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((300, 384))
    vectors = centres[rng.integers(0, 300, rows)] * 0.35 + rng.standard_normal((rows, 384))
    sources = rng.choice(rows, rows // 100, replace=False)
    copies = rng.choice(rows, rows // 100, replace=False)
    vectors[copies] = vectors[sources] + 0.01 * rng.standard_normal((len(sources), 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def timed(function, *args):
    cpu, wall = time.process_time(), time.perf_counter()
    result = function(*args)
    return result, round(time.process_time() - cpu, 1), round(time.perf_counter() - wall, 1)


def semantic_figures(vectors: np.ndarray) -> dict[str, float]:
    from filters.dedup import SemanticDedupConfig, semantic_pairs

    exact, exact_cpu, exact_wall = timed(
        semantic_pairs, vectors, SemanticDedupConfig(exact_max_rows=len(vectors))
    )
    ivf, ivf_cpu, ivf_wall = timed(semantic_pairs, vectors, SemanticDedupConfig(exact_max_rows=0))
    exact_pairs = set(zip(exact[0].tolist(), exact[1].tolist(), strict=True))
    ivf_pairs = set(zip(ivf[0].tolist(), ivf[1].tolist(), strict=True))
    return {
        "semantic_exact_cpu_s": exact_cpu,
        "semantic_exact_s": exact_wall,
        "semantic_ivf_cpu_s": ivf_cpu,
        "semantic_ivf_s": ivf_wall,
        "semantic_exact_pairs": len(exact_pairs),
        "semantic_ivf_pair_recall": round(len(exact_pairs & ivf_pairs) / len(exact_pairs), 4),
    }


def index_figures(vectors: np.ndarray) -> dict[str, float | str]:
    from indexes import IndexConfig, build_index

    figures: dict[str, float | str] = {}
    for name, config in [
        ("hnsw", IndexConfig(hnsw_max_rows=len(vectors))),
        ("auto", IndexConfig()),
    ]:
        (_, info), cpu, wall = timed(build_index, vectors, config, 13)
        figures[f"index_{name}_factory"] = info["factory"]
        figures[f"index_{name}_params"] = json.dumps(info["params"])
        figures[f"index_{name}_build_cpu_s"] = cpu
        figures[f"index_{name}_build_s"] = wall
    return figures


def lingua_figures() -> dict[str, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return {
        f"lingua_{mode}_mib": int(
            subprocess.run(
                [sys.executable, "-c", LINGUA_RSS, mode],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
        )
        for mode in ("full", "low")
    }


def ner_share_figures(rows: int) -> dict[str, float]:
    import e2e_run

    from curate.recipe import load_recipe
    from filters.pii.ner_gate import needs_ner, ner_sentences
    from loaders import load_source

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        e2e_run.generate(workdir / "data", rows, 7)
        recipe = load_recipe(e2e_run.write_recipe(workdir))
        texts = [
            text
            for source in recipe.sources[:2]
            for text in load_source(source, recipe.base_dir).table["text"].to_pylist()
            if text
        ]
    total = sum(len(text) for text in texts)
    whole = sum(len(text) for text in texts if needs_ner(text))
    sentences = sum(len(piece) for text in texts for _, piece in ner_sentences(text))
    return {
        "ner_texts": len(texts),
        "ner_chars_share_whole_texts": round(whole / total, 3),
        "ner_chars_share_sentences": round(sentences / total, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    vectors = clustered_vectors(args.rows)
    load_before = os.getloadavg()[0]
    figures: dict[str, float | str] = {"rows": args.rows}
    figures |= semantic_figures(vectors)
    figures |= index_figures(vectors)
    figures |= lingua_figures()
    figures |= ner_share_figures(min(args.rows, 20_000))
    figures["load_avg_before"] = round(load_before, 2)
    figures["load_avg_after"] = round(os.getloadavg()[0], 2)
    result = {
        "title": "Measurements behind the performance defaults",
        "command": f".venv/bin/python bench/stage_choices.py --rows {args.rows}",
        "figures": figures,
        "notes": (
            "Semantic dedup: filters.dedup.semantic_pairs at cosine 0.95, exact (FAISS flat) vs "
            "IVF (exact_max_rows=0, default nprobe 8); pair recall = share of exact pairs the "
            "IVF search finds. Index: indexes.build_index with HNSW allowed vs the default auto "
            "(HNSW off). Lingua: RSS growth of a fresh process after the first detection. NER "
            "share: characters of the e2e corpus's reviews and posts (20,000 rows) that spaCy "
            "reads when whole texts are gated (needs_ner) vs only sentences (ner_sentences)."
        ),
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
