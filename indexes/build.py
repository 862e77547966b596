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
REFINE_K_FACTORS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# faiss's default fast-scan dispatch for one query is ~25% slower (CPU, 200k x 384) than
# kernel 15, which returns the same results; the choice is saved with the index
FAST_SCAN_IMPLEM = 15


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

    Flat (exact) for small sets; HNSW up to `hnsw_max_rows` (off by default) while the full
    vectors plus graph fit; IVF above, which memory-maps; the IVF codes shrink from Flat to SQ8
    to PQ when the budget demands it (`auto_candidates` adds fast-scan PQ beside IVF).
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


def refine_factory(dim: int) -> str:
    """4-bit fast-scan PQ over pairs of dimensions, re-ranked with the exact vectors.

    For data with no cluster structure (where IVF must probe nearly every list) this is the
    fast candidate: the scan reads dim/4 bytes a row, and re-ranking the best k·k_factor
    exactly repairs the PQ's ranking errors. Refine(Flat), not RFlat (IndexRefineFlat): with
    2 OpenMP threads RFlat took 8 ms a single query against 0.9 ms for one (200k x 384);
    the generic IndexRefine has no such penalty.
    """
    pq_m = max((m for m in range(1, dim // 2 + 1) if dim % m == 0 and 2 * m <= dim), default=dim)
    return f"PQ{pq_m}x4fs,Refine(Flat)"


def auto_candidates(rows: int, dim: int, config: IndexConfig) -> list[str]:
    """Factories that `auto` builds and compares; one unless the set is above hnsw_max_rows.

    Above it, the budget's IVF pick is compared with `refine_factory`, which is listed first
    (when its full vectors plus codes fit the budget) because its fixed cost caps IVF tuning.
    """
    chosen = choose_factory(rows, dim, config)
    if config.kind.lower() != "auto" or not chosen.startswith("IVF"):
        return [chosen]
    refine_bytes = rows * (dim * 4 + math.ceil(dim / 4))
    if refine_bytes > config.memory_budget_mb * 2**20:
        return [chosen]
    return [refine_factory(dim), chosen]


def mmap_flags(factory: str) -> int:
    """read_index flags that map the file instead of loading it.

    IVF maps its inverted lists (IO_FLAG_MMAP); Flat, HNSW and the refine index map their flat
    vectors (IO_FLAG_MMAP_IFC), while fast-scan PQ codes and HNSW links are still loaded.
    faiss refuses both flags at once on IVF.
    """
    mapped = faiss.IO_FLAG_MMAP if "IVF" in factory.upper() else faiss.IO_FLAG_MMAP_IFC
    return mapped | faiss.IO_FLAG_READ_ONLY


def _search_knob(index: faiss.Index) -> str | None:
    """Name of the speed/recall parameter of this index type, if it has one."""
    inner = index
    if isinstance(inner, faiss.IndexPreTransform):
        inner = faiss.downcast_index(inner.index)
    if isinstance(inner, faiss.IndexRefine):
        base = faiss.downcast_index(inner.base_index)
        return _search_knob(base) or "k_factor_rf"
    if isinstance(inner, faiss.IndexIVF):
        return "nprobe"
    if isinstance(inner, faiss.IndexHNSW):
        return "efSearch"
    return None


def query_bytes(index: faiss.Index, params: dict[str, Any], k: int = TUNE_K) -> int:
    """Bytes of codes one query reads: the deterministic cost `auto` compares candidates by.

    Single-query scans are memory-bound, so bytes read track latency closely enough to rank
    IVF lists against a fast-scan pass, and unlike timings they make the same choice on every
    run and machine (a byte-identical build). IVF: centroids plus nprobe lists of codes;
    refine: all base codes plus k·k_factor exact vectors; otherwise (flat codes) every code.
    """
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexPreTransform):
        inner = faiss.downcast_index(inner.index)
    extra = 0
    if isinstance(inner, faiss.IndexRefine):
        k_factor = params.get("k_factor_rf", inner.k_factor)
        extra = int(k * k_factor) * inner.d * 4
        inner = faiss.downcast_index(inner.base_index)
    if isinstance(inner, faiss.IndexIVF):
        nprobe = min(params.get("nprobe", inner.nprobe), inner.nlist)
        listed = inner.ntotal * inner.code_size * nprobe // inner.nlist
        return inner.nlist * inner.d * 4 + listed + extra
    if isinstance(inner, faiss.IndexHNSW):
        inner = faiss.downcast_index(inner.storage)
    return inner.ntotal * inner.code_size + extra


def apply_params(index: faiss.Index, params: dict[str, Any]) -> None:
    """Set saved search parameters (nprobe, efSearch) on a loaded index."""
    if params:
        text = ",".join(f"{name}={value}" for name, value in sorted(params.items()))
        faiss.ParameterSpace().set_index_parameters(index, text)


def _knob_candidates(index: faiss.Index, knob: str) -> list[int]:
    if knob == "k_factor_rf":
        return list(REFINE_K_FACTORS)
    if knob == "efSearch":
        return [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096]
    nlist = faiss.extract_index_ivf(index).nlist
    steps = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, *range(512, nlist, 512)]
    return sorted({value for value in steps if value < nlist} | {nlist})


def tune_search(
    index: faiss.Index, queries: np.ndarray, truth: np.ndarray, target: float, max_bytes: float
) -> tuple[dict[str, Any], float | None]:
    """Smallest nprobe/efSearch/k_factor whose recall@10 against `truth` reaches `target`.

    `queries` must not be in the index yet (held-out rows), or the estimate is optimistic:
    a query sitting on its own row finds its neighbourhood too easily. Tuning stops early
    once a setting would read more than `max_bytes` a query (a cheaper candidate exists).
    """
    knob = _search_knob(index)
    if knob is None or len(queries) == 0:
        return {}, None
    params: dict[str, Any] = {}
    recall = 0.0
    for value in _knob_candidates(index, knob):
        if params and query_bytes(index, {knob: value}) > max_bytes:
            break
        params = {knob: value}
        apply_params(index, params)
        found = index.search(queries, truth.shape[1])[1]
        recall = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
        recall /= truth.size
        if recall >= target:
            break
    return params, round(recall, 4)


def _train(index: faiss.Index, vectors: np.ndarray, config: IndexConfig, seed: int) -> None:
    """Train on a seeded sample: train_sample_per_list rows a list, at least MIN_TRAIN_ROWS."""
    rows = len(vectors)
    ivf = faiss.try_extract_index_ivf(index)
    wanted = max(config.train_sample_per_list * (ivf.nlist if ivf else 1), MIN_TRAIN_ROWS)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(rows, size=min(rows, wanted), replace=False))
    if ivf is not None:
        ivf.cp.seed = seed
        ivf.cp.niter = KMEANS_ITERATIONS
    index.train(vectors[sample])


def _build_candidate(
    factory: str,
    vectors: np.ndarray,
    head: int,
    truth: np.ndarray | None,
    config: IndexConfig,
    seed: int,
    max_bytes: float,
) -> tuple[faiss.Index, dict[str, Any], float | None]:
    """Train, add rows [0, head), tune on the held-out rows, then add those too (row order)."""
    index = faiss.index_factory(vectors.shape[1], factory, faiss_metric(config.metric))
    if not index.is_trained:
        _train(index, vectors, config, seed)
    _use_fast_scan_kernel(index)
    threads = faiss.omp_get_max_threads()
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        faiss.omp_set_num_threads(1)  # a multi-threaded HNSW build is not reproducible
    try:
        index.add(vectors[:head])
        params, recall = {}, None
        if truth is not None:
            queries = vectors[head:]
            params, recall = tune_search(index, queries, truth, config.target_recall, max_bytes)
        index.add(vectors[head:])
    finally:
        faiss.omp_set_num_threads(threads)
    return index, params, recall


def _use_fast_scan_kernel(index: faiss.Index) -> None:
    base = faiss.downcast_index(index.base_index) if isinstance(index, faiss.IndexRefine) else index
    if isinstance(base, faiss.IndexFastScan):
        base.implem = FAST_SCAN_IMPLEM


def build_index(
    vectors: np.ndarray, config: IndexConfig, seed: int = 0
) -> tuple[faiss.Index, dict[str, Any]]:
    """Build the configured index over `vectors` (row i gets id i) and tune its search knob.

    With several `auto_candidates` (large sets), each is built and tuned to target_recall on
    the same held-out rows, and the one reading the fewest bytes a query among those that
    reach it is kept (the highest recall if none does), as autofaiss does with timings.
    Returns the index and its description: factory string, metric, dim, rows, params.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    rows, dim = vectors.shape
    factories = auto_candidates(rows, dim, config)
    exact = factories == ["Flat"] or config.kind.lower() == "flat"
    holdout = 0 if exact else min(TUNE_QUERIES, rows // 10)
    head = rows - holdout
    truth = None
    if holdout:
        k = min(TUNE_K, head)
        truth = faiss.knn(vectors[head:], vectors[:head], k, metric=faiss_metric(config.metric))[1]
    chosen: dict[str, Any] | None = None
    index: faiss.Index | None = None
    tried = []
    with tempfile.TemporaryDirectory(prefix="curate-index-") as spill:
        # The best candidate so far waits on disk while the next one is built, so that only
        # one index is in memory at a time (each holds about the vectors' size again).
        parked = Path(spill) / "best.faiss"
        for position, factory in enumerate(factories):
            meets = chosen is not None and (chosen["recall"] or 0) >= config.target_recall
            max_bytes = chosen["query_bytes"] if meets else math.inf
            candidate, params, recall = _build_candidate(
                factory, vectors, head, truth, config, seed, max_bytes
            )
            result = {"factory": factory, "params": params, "recall": recall}
            result["query_bytes"] = query_bytes(candidate, params)
            tried.append(result)
            if chosen is None or _better(result, chosen, config.target_recall):
                chosen, index = result, candidate
                if position < len(factories) - 1:
                    faiss.write_index(index, str(parked))
                    index = None
            del candidate
        if index is None:
            index = faiss.read_index(str(parked))
            apply_params(index, chosen["params"])
            _use_fast_scan_kernel(index)
    assert chosen is not None
    info: dict[str, Any] = {
        "factory": chosen["factory"],
        "metric": config.metric,
        "dim": dim,
        "rows": rows,
        "params": chosen["params"],
        "tuned_recall_at_10": chosen["recall"],
        "seed": seed,
        "embedding": {
            "model": config.model,
            "backend": config.backend,
            "template": config.template,
            "max_seq_length": config.max_seq_length,
        },
    }
    if len(tried) > 1:
        info["auto_candidates"] = tried
    return index, info


def _better(result: dict[str, Any], best: dict[str, Any], target: float) -> bool:
    """Reaching the target beats missing it; then fewer bytes a query, else higher recall."""
    meets, best_meets = (result["recall"] or 0) >= target, (best["recall"] or 0) >= target
    if meets != best_meets:
        return meets
    if meets:
        return result["query_bytes"] < best["query_bytes"]
    return (result["recall"] or 0) > (best["recall"] or 0)


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
