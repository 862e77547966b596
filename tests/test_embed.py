"""Embedding with the real packaged model, and the cache that makes re-publishing cheap."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from indexes import Embedder, IndexConfig
from indexes.backends import token_batches
from indexes.embed import _load_model, load_model, render_texts

os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUIET = IndexConfig(progress=False)


def numbered_rows(count: int, start: int = 0) -> pa.Table:
    texts = [
        f"note {i}: the parcel number {i * 7} was shipped to depot {i % 13}"
        for i in range(start, start + count)
    ]
    return pa.table({"id": [f"r{i}" for i in range(start, start + count)], "text": texts})


def test_embeddings_are_normalised_aligned_and_semantic(tmp_path: Path) -> None:
    embedder = Embedder(QUIET, cache_dir=tmp_path)
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "text": [
                "A cat sat on the mat.",
                "A kitten rests on a rug.",
                "Stock markets fell today.",
            ],
        }
    )
    vectors = embedder.embed(table)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    single = embedder.embed_texts(["Stock markets fell today."])
    np.testing.assert_allclose(single[0], vectors[2], atol=1e-6)
    assert embedder.encoded_count == 3  # the repeated text came from the cache


def test_template_combines_columns_and_reports_missing_ones() -> None:
    table = pa.table({"id": ["1", "2"], "title": ["Cats", None], "text": ["purr", "bark"]})
    assert render_texts(table, "{title}\n{text}") == ["Cats\npurr", "\nbark"]
    with pytest.raises(KeyError, match="summary"):
        render_texts(table, "{summary}")
    config = IndexConfig(template="{title}: {text}", progress=False)
    embedder = Embedder(config)
    with_title = embedder.embed(table)
    plain = Embedder(QUIET).embed(table)
    assert not np.allclose(with_title[0], plain[0])


def test_republishing_with_one_percent_new_rows_encodes_only_those(tmp_path: Path) -> None:
    first = numbered_rows(100)
    Embedder(QUIET, cache_dir=tmp_path).embed(first)
    grown = pa.concat_tables([numbered_rows(1, start=100), first])  # new row first: order-free
    embedder = Embedder(QUIET, cache_dir=tmp_path)  # a new run: only the on-disk cache survives
    vectors = embedder.embed(grown)
    assert embedder.encoded_count == 1
    assert vectors.shape == (101, 384)
    fresh = Embedder(QUIET).embed(
        pa.concat_tables([numbered_rows(1, start=100), first.slice(0, 2)])
    )
    np.testing.assert_allclose(vectors[:3], fresh, atol=1e-5)


def test_cache_is_keyed_by_model_settings(tmp_path: Path) -> None:
    Embedder(QUIET, cache_dir=tmp_path).embed(numbered_rows(3))
    shorter = Embedder(IndexConfig(max_seq_length=16, progress=False), cache_dir=tmp_path)
    shorter.embed(numbered_rows(3))
    assert shorter.encoded_count == 3


def test_fully_cached_run_never_loads_the_model(tmp_path: Path) -> None:
    Embedder(QUIET, cache_dir=tmp_path).embed(numbered_rows(5))
    cached = Embedder(QUIET, cache_dir=tmp_path)
    cached.embed(numbered_rows(5))
    assert cached.encoded_count == 0 and cached._model is None


def test_concurrent_query_encoding_is_coalesced_without_mixing_results() -> None:
    embedder = Embedder(QUIET)
    texts = [f"question number {i} about topic {i % 5}" for i in range(24)]
    expected = embedder.encode(texts)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: embedder.encode(texts[i : i + 3]), range(0, 24, 3)))
    np.testing.assert_allclose(np.concatenate(results), expected, atol=1e-5)


def test_threads_starting_together_share_one_model() -> None:
    """The flow's embedding units start on several threads at once; each must get the one
    model and its lock, not load its own copy and encode beside the others."""
    _load_model.cache_clear()
    barrier = threading.Barrier(4)

    def load(_: int) -> tuple[object, object]:
        barrier.wait()
        return load_model(QUIET.model, None, QUIET.max_seq_length)

    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(load, range(4)))
    assert len({id(encoder) for encoder, _ in loaded}) == 1
    assert len({id(lock) for _, lock in loaded}) == 1


def test_token_batches_bound_padded_tokens_and_cover_every_text_once() -> None:
    lengths = np.array([256, 12, 130, 256, 64, 7, 256, 90] * 40)
    batches = token_batches(lengths, batch_size=64, max_tokens=4096)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 64 and len(batch) * lengths[batch].max() <= 4096
    assert [len(batch) for batch in batches[:3]] == [16, 16, 16]  # the 120 longest first
    unbounded = token_batches(lengths, batch_size=64, max_tokens=None)
    assert [len(batch) for batch in unbounded] == [64] * 5


def test_token_batches_give_the_vectors_of_plain_encode_in_row_order() -> None:
    encoder, _ = load_model(QUIET.model, None, QUIET.max_seq_length)
    texts = [("a long review of the kettle " * (i % 9 + 1)).strip() for i in range(40)]
    plain = encoder.model.encode(texts, batch_size=64, convert_to_numpy=True)
    bounded = encoder.encode(texts, batch_size=64, progress=False, max_tokens=64)
    np.testing.assert_allclose(bounded, plain, atol=1e-5)
