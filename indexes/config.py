"""Configuration of the `index` recipe section and of the HTTP service limits."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PACKAGED_MODEL = "all-MiniLM-L6-v2"


class IndexConfig(BaseModel):
    """How rows are embedded and which FAISS index holds them (the recipe's `index` section)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        PACKAGED_MODEL,
        description="sentence-transformers model: the default is the packaged, offline "
        "all-MiniLM-L6-v2; otherwise a local path or a hub name",
    )
    template: str = Field(
        "{text}", description="str.format over row columns, e.g. '{title}\\n{text}'"
    )
    backend: Literal["torch", "onnx", "onnx-int8", "model2vec"] = Field(
        "torch",
        description="encoder runtime: 'torch' (sentence-transformers), 'onnx' (the same model "
        "exported once to ONNX Runtime), 'onnx-int8' (dynamically quantised), 'model2vec' (static "
        "embeddings distilled once from the model: far faster, lower quality). Exports are kept "
        "under the embedding cache in models/, and each backend has its own vector cache",
    )
    kind: str = Field(
        "auto", description="'auto' | 'flat' | 'hnsw' | 'ivf' | any FAISS factory string"
    )
    metric: Literal["cosine", "ip", "l2"] = "cosine"
    batch_size: int = Field(64, ge=1)
    max_batch_tokens: int | None = Field(
        2048,
        ge=8,
        description="at most this many padded tokens per encoder batch (texts x the longest "
        "text's tokens): long texts go in smaller batches, which bounds the encoder's memory. "
        "Batches change vectors only by float rounding and are not part of the cache key; "
        "null: always batch_size texts",
    )
    max_seq_length: int | None = Field(256, ge=8)
    device: str | None = Field(None, description="torch device; None lets torch choose")
    progress: bool = Field(True, description="show a progress bar while embedding")
    memory_budget_mb: int = Field(2048, ge=1, description="RAM the index may take")
    flat_max_rows: int = Field(20_000, ge=0, description="auto: exact Flat up to this size")
    hnsw_max_rows: int = Field(
        0,
        ge=0,
        description="auto: HNSW above flat_max_rows up to this size (off by default: at 100k "
        "rows it built in 49 s on one core against 6 s for fast-scan PQ); above, IVF and fast-scan "
        "PQ with exact re-ranking are both built and the cheaper at target_recall is kept",
    )
    target_recall: float = Field(
        0.99, gt=0, le=1, description="auto-tuned nprobe/efSearch aim at this recall@10"
    )
    train_sample_per_list: int = Field(
        64, ge=39, description="IVF training vectors per inverted list (sampled with the seed)"
    )
    cache_chunk_rows: int = Field(
        4096, ge=1, description="embeddings are written to the cache every this many texts"
    )


class ServeLimits(BaseModel):
    """Request limits of the HTTP retrieval service."""

    model_config = ConfigDict(extra="forbid")

    max_k: int = Field(100, ge=1)
    max_query_chars: int = Field(2048, ge=1)
    max_batch: int = Field(64, ge=1)
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    reload_interval_s: float = Field(
        2.0, ge=0, description="how often `latest` is re-resolved to pick up a new version"
    )
    rate_per_s: float = Field(
        100.0, ge=0, description="requests per second per client address (0: no rate limit)"
    )
    burst: int = Field(200, ge=1, description="requests a client may send at once above the rate")
