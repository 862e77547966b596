"""bench/retrieval_eval.py on the hand-made BEIR-format sample, and its metrics."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "bench" / "data" / "retrieval_sample"


def load_bench():
    spec = importlib.util.spec_from_file_location(
        "retrieval_eval", REPO / "bench" / "retrieval_eval.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ndcg_and_recall_follow_the_beir_definitions() -> None:
    bench = load_bench()
    relevance = {"a": 2, "b": 1, "c": 0}
    assert bench.ndcg_at_k(["a", "b", "x"], relevance) == pytest.approx(1.0)
    swapped = (1 + 2 / 1.5849625007211563) / (2 + 1 / 1.5849625007211563)
    assert bench.ndcg_at_k(["b", "a"], relevance) == pytest.approx(swapped)
    assert bench.recall_at_k(["x", "b"], relevance) == 0.5
    assert bench.read_qrels(SAMPLE / "qrels.tsv")["q01"] == {"d01": 2, "d05": 2}


def test_sample_evaluates_exact_auto_and_forced_ann_kinds(tmp_path: Path) -> None:
    bench = load_bench()
    args = argparse.Namespace(
        corpus=SAMPLE / "corpus.jsonl",
        queries=SAMPLE / "queries.jsonl",
        qrels=SAMPLE / "qrels.tsv",
        template="{title}\n{text}",
        kinds="hnsw,ivf",
        cache_dir=str(tmp_path / "cache"),
        progress=False,
    )
    result = bench.evaluate(args)
    rows = {row["index"]: row for row in result["rows"]}
    assert result["corpus"] == 40 and result["queries"] == 15
    assert rows["exact"]["factory"] == "Flat" and rows["ivf"]["factory"].startswith("IVF")
    assert rows["exact"]["ndcg_at_10"] > 0.9 and rows["exact"]["recall_at_10"] > 0.9
    for row in rows.values():
        assert abs(row["ndcg_at_10"] - rows["exact"]["ndcg_at_10"]) <= 0.01
        assert row["recall_at_10_vs_exact"] >= 0.95
    assert rows["exact"]["embedded_rows"] == 40
    assert [rows[k]["embedded_rows"] for k in ("auto", "hnsw", "ivf")] == [0, 0, 0]
    assert json.dumps(result)
