"""Load a published version's index and search it, with metadata filters."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from indexes.build import apply_params, mmap_flags
from indexes.config import IndexConfig
from indexes.embed import Embedder
from indexes.version import read_rows, split_files
from publish.store import check_against_manifest

LOG = logging.getLogger("indexes.search")
FILTER_COLUMNS = ("split", "source", "source_name", "license", "language")
Where = dict[str, str | list[str]]
_MASK_CACHE_SIZE = 64
_RESTRICTIVE_FRACTION = 0.05


@dataclass(frozen=True)
class Hit:
    """One search result; `score` is similarity (higher is better; -squared distance for l2)."""

    id: str
    score: float
    split: str | None
    text: str | None
    source: str | None
    license: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RetrievalIndex:
    """A loaded version: FAISS index, row metadata in index order and row texts."""

    def __init__(
        self, version_dir: Path, index: faiss.Index, info: dict[str, Any], rows: pa.Table
    ) -> None:
        self.version_dir = version_dir
        self.version = version_dir.name
        self.index = index
        self.info = info
        self.rows = rows
        self._ids = rows.column("id").to_pylist()
        self._texts = rows.column("text") if "text" in rows.column_names else None
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()
        self._masks: OrderedDict[str, np.ndarray] = OrderedDict()
        self._masks_lock = threading.Lock()

    @classmethod
    def open(cls, version_dir: Path, *, mmap: bool = False) -> RetrievalIndex:
        """Load `index/` fully (or memory-mapped) plus the row texts from `data/*.parquet`.

        In a published version every file is first checked against the manifest's sha256, so
        a corrupt or swapped file is refused instead of served.
        """
        version_dir = Path(version_dir).resolve()
        index_dir = version_dir / "index"
        loaded = [f"index/{name}" for name in ("config.json", "faiss.index", "ids.parquet")]
        loaded += [path.relative_to(version_dir).as_posix() for _, path in split_files(version_dir)]
        if not check_against_manifest(version_dir, loaded):
            LOG.warning("%s has no manifest.json: its files are not verified", version_dir.name)
        info = json.loads((index_dir / "config.json").read_text())
        flags = mmap_flags(info.get("factory", "")) if mmap else 0
        try:
            index = faiss.read_index(str(index_dir / "faiss.index"), flags)
        except RuntimeError:
            raise ValueError(
                f"version {version_dir.name}: index/faiss.index is not a readable FAISS index"
            ) from None
        apply_params(index, info.get("params") or {})
        ids = pq.read_table(index_dir / "ids.parquet")
        data = read_rows(version_dir).select(["id", "text"])
        positions = pc.index_in(ids.column("id"), value_set=data.column("id"))
        if positions.null_count:
            raise ValueError(f"{positions.null_count} indexed ids have no row in data/")
        rows = ids.append_column("text", data.column("text").take(positions))
        if index.ntotal != rows.num_rows:
            raise ValueError(f"index holds {index.ntotal} vectors for {rows.num_rows} ids")
        return cls(version_dir, index, info, rows)

    @property
    def embedder(self) -> Embedder:
        """Query encoder: the model, settings and backend the corpus was embedded with.

        Exports the flow made are reused from the dataset's embedding cache when it has them.
        """
        with self._embedder_lock:
            if self._embedder is None:
                embedding = self.info.get("embedding", {})
                config = IndexConfig(
                    model=embedding.get("model", IndexConfig().model),
                    max_seq_length=embedding.get("max_seq_length", 256),
                    backend=embedding.get("backend", "torch"),
                    metric=self.info["metric"],
                    progress=False,
                )
                models = self.version_dir.parent / ".embedding-cache" / "models"
                self._embedder = Embedder(config, model_dir=models if models.is_dir() else None)
            return self._embedder

    def query_vectors(self, queries: str | Sequence[str] | np.ndarray) -> np.ndarray:
        """Embed texts, or validate (and normalise, for cosine) given vectors."""
        if isinstance(queries, str):
            queries = [queries]
        if isinstance(queries, np.ndarray):
            vectors = np.array(queries, dtype=np.float32, ndmin=2, copy=True)
            if vectors.ndim != 2 or vectors.shape[1] != self.index.d:
                raise ValueError(f"query vectors must have dimension {self.index.d}")
            if not np.isfinite(vectors).all():
                raise ValueError("query vectors must be finite")
            if self.info["metric"] == "cosine":
                faiss.normalize_L2(vectors)
            return vectors
        return self.embedder.encode(list(queries))

    def filter_mask(self, where: Where) -> np.ndarray:
        """Boolean mask over index rows for `where` (column -> value or list of values)."""
        key = json.dumps(where, sort_keys=True)
        with self._masks_lock:
            if key in self._masks:
                self._masks.move_to_end(key)
                return self._masks[key]
        mask = np.ones(self.rows.num_rows, dtype=bool)
        for column, wanted in where.items():
            if column not in FILTER_COLUMNS:
                raise ValueError(f"cannot filter on {column!r}; use one of {FILTER_COLUMNS}")
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            if column not in self.rows.column_names:
                mask[:] = False
                continue
            hits = pc.is_in(self.rows.column(column), value_set=pa.array(values, pa.string()))
            mask &= hits.to_numpy(zero_copy_only=False).astype(bool)
        with self._masks_lock:
            self._masks[key] = mask
            if len(self._masks) > _MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return mask

    def _search_vectors(self, vectors: np.ndarray, k: int, where: Where | None):
        """(scores, positions) arrays of shape (queries, k); -1 marks a missing result."""
        if not where:
            return self.index.search(vectors, k)
        mask = self.filter_mask(where)
        selected = int(mask.sum())
        if selected == 0:
            empty = np.full((len(vectors), k), -1, dtype=np.int64)
            return np.zeros((len(vectors), k), dtype=np.float32), empty
        index = self.index
        if isinstance(index, faiss.IndexHNSW) and selected < _RESTRICTIVE_FRACTION * index.ntotal:
            return self._exact_subset(vectors, k, np.flatnonzero(mask))
        inner, depth = index, 0
        while isinstance(inner, faiss.IndexPreTransform):
            inner, depth = faiss.downcast_index(inner.index), depth + 1
        if isinstance(inner, faiss.IndexIVF):
            knob, value, limit = "nprobe", inner.nprobe, inner.nlist
        elif isinstance(inner, faiss.IndexHNSW):
            knob, value, limit = "efSearch", max(inner.hnsw.efSearch, k), max(inner.ntotal, k)
        elif isinstance(inner, faiss.IndexFlat):
            knob, value, limit = None, 0, 0
        else:
            return self._overfetch(vectors, k, mask, min(k, selected))
        bits = np.packbits(mask, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        while True:
            params, keep_alive = _selector_params(selector, knob, value, depth)
            scores, positions = index.search(vectors, k, params=params)
            del keep_alive
            if knob is None or (positions >= 0).sum(axis=1).min() >= min(k, selected):
                return scores, positions
            if value >= limit:
                if isinstance(index, faiss.IndexHNSW):
                    return self._exact_subset(vectors, k, np.flatnonzero(mask))
                return scores, positions
            value = min(value * 4, limit)

    def _exact_subset(self, vectors: np.ndarray, k: int, positions: np.ndarray):
        """Exact search over a few selected rows (restrictive filters on a graph index)."""
        subset = faiss.IndexFlat(self.index.d, self.index.metric_type)
        subset.add(self.index.reconstruct_batch(positions))
        scores, local = subset.search(vectors, k)
        return scores, np.where(local >= 0, positions[np.maximum(local, 0)], -1)

    def _overfetch(self, vectors: np.ndarray, k: int, mask: np.ndarray, needed: int):
        """Filter after searching ever more neighbours (index types without id selectors)."""
        fetch = k * 10
        while True:
            fetch = min(fetch, self.index.ntotal)
            scores, positions = self.index.search(vectors, fetch)
            keep = (positions >= 0) & mask[np.maximum(positions, 0)]
            if keep.sum(axis=1).min() >= needed or fetch >= self.index.ntotal:
                break
            fetch *= 4
        out_scores = np.zeros((len(vectors), k), dtype=np.float32)
        out_positions = np.full((len(vectors), k), -1, dtype=np.int64)
        for row in range(len(vectors)):
            chosen = np.flatnonzero(keep[row])[:k]
            out_scores[row, : len(chosen)] = scores[row, chosen]
            out_positions[row, : len(chosen)] = positions[row, chosen]
        return out_scores, out_positions

    def search(
        self,
        queries: str | Sequence[str] | np.ndarray,
        k: int = 5,
        where: Where | None = None,
    ) -> list[list[Hit]]:
        """Top-k hits per query (text or vector), optionally only rows matching `where`."""
        if k < 1:
            raise ValueError("k must be at least 1")
        vectors = self.query_vectors(queries)
        if len(vectors) == 0:
            return []
        scores, positions = self._search_vectors(vectors, min(k, self.index.ntotal or 1), where)
        sign = -1.0 if self.info["metric"] == "l2" else 1.0
        columns = {
            name: self.rows.column(name) if name in self.rows.column_names else None
            for name in ("split", "source", "license")
        }
        results = []
        for row_scores, row_positions in zip(scores, positions, strict=True):
            hits = []
            for score, position in zip(row_scores, row_positions, strict=True):
                if position < 0:
                    continue
                value = {
                    name: None if col is None else col[int(position)].as_py()
                    for name, col in columns.items()
                }
                hits.append(
                    Hit(
                        id=self._ids[position],
                        score=sign * float(score),
                        split=value["split"],
                        text=None if self._texts is None else self._texts[int(position)].as_py(),
                        source=value["source"],
                        license=value["license"],
                    )
                )
            results.append(hits)
        return results


def _selector_params(
    selector: faiss.IDSelector, knob: str | None, value: int, wrappers: int
) -> tuple[faiss.SearchParameters, list[faiss.SearchParameters]]:
    """Search parameters restricting results to `selector`, through pre-transform wrappers.

    SWIG does not keep nested parameter objects alive, so they are returned for the caller
    to hold during the search.
    """
    if knob == "nprobe":
        params = faiss.SearchParametersIVF(sel=selector, nprobe=value)
    elif knob == "efSearch":
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=value)
    else:
        params = faiss.SearchParameters(sel=selector)
    chain = [params]
    for _ in range(wrappers):
        outer = faiss.SearchParametersPreTransform()
        outer.index_params = chain[-1]
        chain.append(outer)
    return chain[-1], chain


_OPEN: OrderedDict[Path, RetrievalIndex] = OrderedDict()
_OPEN_LIMIT = 4


def search(
    version_dir: Path, query: str | np.ndarray, k: int = 5, where: Where | None = None
) -> list[Hit]:
    """Search one query in a version (`latest` resolves); the last few loaded are reused."""
    resolved = Path(version_dir).resolve()
    if resolved in _OPEN:
        _OPEN.move_to_end(resolved)
    else:
        _OPEN[resolved] = RetrievalIndex.open(resolved)
        if len(_OPEN) > _OPEN_LIMIT:
            _OPEN.popitem(last=False)
    return _OPEN[resolved].search(query, k=k, where=where)[0]
