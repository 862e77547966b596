"""Metadata filters on every index family: only matching rows, and enough of them."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pyarrow as pa
import pytest

from indexes import IndexConfig, RetrievalIndex, build_index

ROWS = 4_000
RARE = 30  # under 5% of the rows: a restrictive filter


def clustered(rows: int, seed: int) -> np.ndarray:
    centers = np.random.default_rng(99).standard_normal((40, 32)).astype(np.float32)
    rng = np.random.default_rng(seed)
    vectors = centers[rng.integers(0, 40, rows)] + 0.4 * rng.standard_normal((rows, 32))
    vectors = vectors.astype(np.float32)
    faiss.normalize_L2(vectors)
    return vectors


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered(ROWS, seed=5)


def loaded(vectors: np.ndarray, kind: str) -> RetrievalIndex:
    index, info = build_index(vectors, IndexConfig(kind=kind))
    splits = ["rare" if i % (ROWS // RARE) == 0 else "train" for i in range(ROWS)]
    rows = pa.table(
        {
            "id": [f"r{i}" for i in range(ROWS)],
            "split": splits,
            "license": ["cc0-1.0" if i % 2 else "cc-by-4.0" for i in range(ROWS)],
            "text": [f"row {i}" for i in range(ROWS)],
        }
    )
    return RetrievalIndex(Path("unused"), index, info, rows)


def exact_filtered(vectors: np.ndarray, queries: np.ndarray, mask: np.ndarray, k: int):
    positions = np.flatnonzero(mask)
    scores = queries @ vectors[positions].T
    return [[f"r{positions[j]}" for j in np.argsort(-row)[:k]] for row in scores]


@pytest.mark.parametrize(
    "kind", ["flat", "hnsw", "ivf", "L2norm,IVF16,Flat", "PQ16x4fs,Refine(Flat)"]
)
def test_filters_return_only_matching_rows_close_to_exact(vectors: np.ndarray, kind: str) -> None:
    index = loaded(vectors, kind)
    queries = clustered(20, seed=6)
    for where, k in (({"split": "rare"}, 10), ({"license": "cc0-1.0", "split": "train"}, 10)):
        mask = index.filter_mask(where)
        results = index.search(queries, k=k, where=where)
        truth = exact_filtered(vectors, queries, mask, k)
        for hits in results:
            assert len(hits) == k
            assert all(mask[int(hit.id[1:])] for hit in hits)
        recall = np.mean(
            [len({h.id for h in r} & set(t)) / k for r, t in zip(results, truth, strict=True)]
        )
        assert recall >= (1.0 if kind == "flat" else 0.9), (where, recall)
    assert index.search(queries[:1], k=5, where={"license": "none"}) == [[]]
