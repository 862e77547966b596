"""FAISS index choice (like autofaiss), build, search-parameter tuning and saving.

Vectors are added in row order, so FAISS id `i` is row `i` of `ids.parquet`; no id map needed.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexes.config import IndexConfig

ID_COLUMNS = ("id", "split", "source", "source_name", "license", "language")
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
TUNE_QUERIES = 200
TUNE_K = 10
BYTES_PER_ID = 8
MIN_TRAIN_ROWS = 10_000  # PQ/SQ codebooks (256 centroids) want ~39 rows per centroid
KMEANS_ITERATIONS = 12  # faiss defaults to 25; past ~10 the lists barely move


def faiss_metric(metric: str) -> int:
    """cosine is inner product over normalised vectors."""
    return faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT


def ivf_nlist(rows: int) -> int:
    """About 4·sqrt(n) lists, a power of two, with at least 39 rows per list to train on."""
    nlist = 2 ** round(math.log2(max(4 * math.sqrt(rows), 1)))
    while nlist > 1 and rows / nlist < 39:
        nlist //= 2
    return max(nlist, 1)


def choose_factory(rows: int, dim: int, config: IndexConfig) -> str:
    """Pick a FAISS factory string from the row count and memory budget, as autofaiss does.

    Flat (exact) for small sets; HNSW while the full vectors plus graph fit and the set is
    modest (fast to build, best recall per ms); IVF above, which memory-maps; the IVF codes
    shrink from Flat to SQ8 to PQ when the budget demands it.
    """
    kind = config.kind.lower()
    budget = config.memory_budget_mb * 2**20
    nlist = ivf_nlist(rows)
    if kind == "flat":
        return "Flat"
    if kind == "hnsw":
        return f"HNSW{HNSW_M},Flat"
    if kind == "ivf":
        return f"IVF{nlist},Flat"
    if kind != "auto":
        return config.kind
    flat_bytes = rows * dim * 4
    if rows <= config.flat_max_rows and flat_bytes <= budget:
        return "Flat"
    if rows <= config.hnsw_max_rows and flat_bytes + rows * HNSW_M * 2 * 4 <= budget:
        return f"HNSW{HNSW_M},Flat"
    quantizer_bytes = nlist * dim * 4
    for codes, bytes_per_row in (("Flat", dim * 4), ("SQ8", dim)):
        if rows * (bytes_per_row + BYTES_PER_ID) + quantizer_bytes <= budget:
            return f"IVF{nlist},{codes}"
    per_row = max(budget - quantizer_bytes, 0) / rows - BYTES_PER_ID
    pq_m = max(m for m in range(1, dim + 1) if dim % m == 0 and (m <= per_row or m == 1))
    return f"IVF{nlist},PQ{pq_m}x8"


def _search_knob(index: faiss.Index) -> str | None:
    """Name of the speed/recall parameter of this index type, if it has one."""
    inner = index
    if isinstance(inner, faiss.IndexPreTransform):
        inner = faiss.downcast_index(inner.index)
    if isinstance(inner, faiss.IndexRefine):
        inner = faiss.downcast_index(inner.base_index)
    if isinstance(inner, faiss.IndexIVF):
        return "nprobe"
    if isinstance(inner, faiss.IndexHNSW):
        return "efSearch"
    return None


def apply_params(index: faiss.Index, params: dict[str, Any]) -> None:
    """Set saved search parameters (nprobe, efSearch) on a loaded index."""
    if params:
        text = ",".join(f"{name}={value}" for name, value in sorted(params.items()))
        faiss.ParameterSpace().set_index_parameters(index, text)


def _knob_candidates(index: faiss.Index, knob: str) -> list[int]:
    if knob == "efSearch":
        return [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096]
    nlist = faiss.extract_index_ivf(index).nlist
    steps = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, *range(512, nlist, 512)]
    return sorted({value for value in steps if value < nlist} | {nlist})


def tune_search(
    index: faiss.Index, indexed: np.ndarray, queries: np.ndarray, metric: str, target: float
) -> tuple[dict[str, Any], float | None]:
    """Smallest nprobe/efSearch whose recall@10 against exact search reaches `target`.

    `queries` must not be in the index yet (held-out rows), or the estimate is optimistic:
    a query sitting on its own row finds its neighbourhood too easily.
    """
    knob = _search_knob(index)
    if knob is None or len(queries) == 0:
        return {}, None
    k = min(TUNE_K, len(indexed))
    truth = faiss.knn(queries, indexed, k, metric=faiss_metric(metric))[1]  # no copy of the rows
    params: dict[str, Any] = {}
    recall = 0.0
    for value in _knob_candidates(index, knob):
        params = {knob: value}
        apply_params(index, params)
        found = index.search(queries, k)[1]
        recall = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
        recall /= truth.size
        if recall >= target:
            break
    return params, round(recall, 4)


def _add_and_tune(
    index: faiss.Index, vectors: np.ndarray, config: IndexConfig
) -> tuple[dict[str, Any], float | None]:
    """Add all rows in order, tuning the search knob with the last rows held out meanwhile."""
    rows = len(vectors)
    holdout = min(TUNE_QUERIES, rows // 10) if _search_knob(index) else 0
    head = rows - holdout
    index.add(vectors[:head])
    tuned = tune_search(index, vectors[:head], vectors[head:], config.metric, config.target_recall)
    index.add(vectors[head:])
    return tuned


def build_index(
    vectors: np.ndarray, config: IndexConfig, seed: int = 0
) -> tuple[faiss.Index, dict[str, Any]]:
    """Build the configured index over `vectors` (row i gets id i) and tune its search knob.

    Returns the index and its description: factory string, metric, dim, rows, params.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    rows, dim = vectors.shape
    factory = choose_factory(rows, dim, config)
    index = faiss.index_factory(dim, factory, faiss_metric(config.metric))
    if not index.is_trained:
        ivf = faiss.try_extract_index_ivf(index)
        wanted = max(config.train_sample_per_list * (ivf.nlist if ivf else 1), MIN_TRAIN_ROWS)
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(rows, size=min(rows, wanted), replace=False))
        if ivf is not None:
            ivf.cp.seed = seed
            ivf.cp.niter = KMEANS_ITERATIONS
        index.train(vectors[sample])
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # a multi-threaded HNSW build is not reproducible
        try:
            params, recall = _add_and_tune(index, vectors, config)
        finally:
            faiss.omp_set_num_threads(threads)
    else:
        params, recall = _add_and_tune(index, vectors, config)
    info: dict[str, Any] = {
        "factory": factory,
        "metric": config.metric,
        "dim": dim,
        "rows": rows,
        "params": params,
        "tuned_recall_at_10": recall,
        "seed": seed,
        "embedding": {
            "model": config.model,
            "backend": config.backend,
            "template": config.template,
            "max_seq_length": config.max_seq_length,
        },
    }
    return index, info


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def write_index(index_dir: Path, index: faiss.Index, rows: pa.Table, info: dict[str, Any]) -> None:
    """Save faiss.index, ids.parquet (rows in index order) and config.json.

    Each file is written atomically, and the same input gives the same bytes.
    """
    if rows.num_rows != index.ntotal:
        raise ValueError(f"ids: {rows.num_rows} rows but the index holds {index.ntotal} vectors")
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write_bytes(index_dir / "faiss.index", faiss.serialize_index(index).tobytes())
    ids = rows.select([name for name in ID_COLUMNS if name in rows.column_names])
    ids = ids.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(ids, sink, compression="zstd")
    _atomic_write_bytes(index_dir / "ids.parquet", sink.getvalue().to_pybytes())
    document = {**info, "faiss_version": faiss.__version__}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    _atomic_write_bytes(index_dir / "config.json", text.encode())
