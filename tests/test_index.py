"""Index choice, build, tuning, deterministic saving and memory-mapped loading."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pyarrow as pa
import pytest

from indexes import IndexConfig, build_index, choose_factory, write_index
from indexes.build import FAST_SCAN_IMPLEM, apply_params, auto_candidates, mmap_flags


def clustered(rows: int, dim: int = 32, clusters: int = 50, seed: int = 0) -> np.ndarray:
    centers = np.random.default_rng(12345).standard_normal((clusters, dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, clusters, rows)
    vectors = centers[labels] + 0.3 * rng.standard_normal((rows, dim)).astype(np.float32)
    faiss.normalize_L2(vectors)
    return vectors


def id_rows(count: int) -> pa.Table:
    return pa.table(
        {
            "id": [f"row-{i}" for i in range(count)],
            "split": ["train"] * count,
            "source": [f"file.jsonl:{i}" for i in range(count)],
            "source_name": ["posts"] * count,
            "license": ["cc0-1.0"] * count,
            "text": ["not saved with the ids"] * count,
        }
    )


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return flat.search(queries, k)[1]


@pytest.mark.parametrize(
    ("rows", "budget_mb", "expected"),
    [
        (5_000, 2048, "Flat"),
        (100_000, 2048, "IVF1024,Flat"),
        (1_000_000, 2048, "IVF4096,Flat"),
        (1_000_000, 1024, "IVF4096,SQ8"),
        (1_000_000, 128, "IVF4096,PQ96x8"),
        (100_000, 100, "IVF1024,SQ8"),
    ],
)
def test_auto_choice_follows_rows_and_memory_budget(rows: int, budget_mb: int, expected: str):
    assert choose_factory(rows, 384, IndexConfig(memory_budget_mb=budget_mb)) == expected


def test_auto_uses_hnsw_only_where_the_recipe_allows_it():
    config = IndexConfig(hnsw_max_rows=200_000)
    assert choose_factory(100_000, 384, config) == "HNSW32,Flat"
    assert choose_factory(300_000, 384, config).startswith("IVF")


@pytest.mark.parametrize(
    ("rows", "budget_mb", "expected"),
    [
        (100_000, 2048, ["PQ192x4fs,Refine(Flat)", "IVF1024,Flat"]),
        (1_000_000, 2048, ["PQ192x4fs,Refine(Flat)", "IVF4096,Flat"]),
        (1_000_000, 1024, ["IVF4096,SQ8"]),  # the exact vectors for re-ranking do not fit
    ],
)
def test_auto_compares_fast_scan_refine_with_ivf_when_large(
    rows: int, budget_mb: int, expected: list[str]
) -> None:
    assert auto_candidates(rows, 384, IndexConfig(memory_budget_mb=budget_mb)) == expected


# flat/HNSW thresholds low enough that 20,000 rows take the large-set path
SMALL_LARGE = {"flat_max_rows": 100, "hnsw_max_rows": 1_000}


@pytest.mark.parametrize(("data", "winner"), [("clustered", "IVF"), ("random", "PQ")])
def test_auto_keeps_the_cheapest_candidate_that_reaches_the_target(data: str, winner: str) -> None:
    if data == "clustered":
        vectors, queries = clustered(20_000, seed=8), clustered(200, seed=9)
    else:
        rng = np.random.default_rng(8)
        vectors = rng.standard_normal((20_200, 32)).astype(np.float32)
        faiss.normalize_L2(vectors)
        vectors, queries = vectors[:20_000], vectors[20_000:]
    config = IndexConfig(target_recall=0.95, **SMALL_LARGE)
    index, info = build_index(vectors, config)
    tried = info["auto_candidates"]
    assert [c["factory"] for c in tried] == ["PQ16x4fs,Refine(Flat)", "IVF512,Flat"]
    assert info["factory"].startswith(winner), tried
    chosen = next(c for c in tried if c["factory"] == info["factory"])
    assert chosen["recall"] >= 0.95 and info["params"] == chosen["params"]
    assert chosen["query_bytes"] == min(c["query_bytes"] for c in tried if c["recall"] >= 0.95)
    found = index.search(queries, 10)[1]
    truth = exact_neighbours(vectors, queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.93, (recall, info)


def test_explicit_kinds_and_factory_strings_pass_through() -> None:
    assert choose_factory(10, 8, IndexConfig(kind="flat")) == "Flat"
    assert choose_factory(100_000, 8, IndexConfig(kind="ivf")) == "IVF1024,Flat"
    assert choose_factory(10, 8, IndexConfig(kind="HNSW16,Flat")) == "HNSW16,Flat"


def test_flat_is_exact_and_ids_are_row_positions() -> None:
    vectors = clustered(500)
    index, info = build_index(vectors, IndexConfig())
    assert info["factory"] == "Flat" and info["rows"] == 500 and info["dim"] == 32
    np.testing.assert_array_equal(
        index.search(vectors[:20], 5)[1], exact_neighbours(vectors, vectors[:20], 5)
    )


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_indexes_are_tuned_to_the_recall_target(kind: str) -> None:
    vectors = clustered(6_000, seed=1)
    queries = clustered(200, seed=2)
    index, info = build_index(vectors, IndexConfig(kind=kind, target_recall=0.95))
    assert set(info["params"]) == {"nprobe" if kind == "ivf" else "efSearch"}
    found = index.search(queries, 10)[1]
    truth = exact_neighbours(vectors, queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.93, (recall, info)


@pytest.mark.parametrize("kind", ["ivf", "hnsw", "flat", "auto"])
def test_same_input_writes_the_same_bytes(tmp_path: Path, kind: str) -> None:
    vectors = clustered(3_000, seed=3)
    config = IndexConfig(kind=kind, **SMALL_LARGE)
    for name in ("a", "b"):
        index, info = build_index(vectors, config, seed=7)
        write_index(tmp_path / name, index, id_rows(3_000), info)
    for file in ("faiss.index", "ids.parquet", "config.json"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


@pytest.mark.parametrize("kind", ["ivf", "PQ16x4fs,Refine(Flat)"])
def test_loads_memory_mapped_with_the_same_results(tmp_path: Path, kind: str) -> None:
    vectors = clustered(4_000, seed=4)
    index, info = build_index(vectors, IndexConfig(kind=kind, target_recall=0.999))
    write_index(tmp_path, index, id_rows(4_000), info)
    mapped = faiss.read_index(str(tmp_path / "faiss.index"), mmap_flags(info["factory"]))
    apply_params(mapped, info["params"])
    np.testing.assert_array_equal(
        mapped.search(vectors[:10], 5)[1], index.search(vectors[:10], 5)[1]
    )
    if kind != "ivf":  # the exact vectors for re-ranking stay in the file
        assert info["params"]["k_factor_rf"] > 1
        assert faiss.downcast_index(mapped.base_index).implem == FAST_SCAN_IMPLEM
        assert not faiss.downcast_index(mapped.refine_index).codes.is_owned
    saved = pa.parquet.read_table(tmp_path / "ids.parquet")
    assert saved.column_names == ["id", "split", "source", "source_name", "license"]


def test_write_index_refuses_ids_that_do_not_match() -> None:
    index, info = build_index(clustered(50), IndexConfig())
    with pytest.raises(ValueError, match="49 rows"):
        write_index(Path("unused"), index, id_rows(49), info)
