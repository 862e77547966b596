"""The flow's memory-saving steps change nothing in what it computes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from filters.base import StageResult
from flows.curate import embedding_units, row_vectors, settled
from indexes.embed import EmbeddingCache, text_keys


def test_row_vectors_give_each_row_its_units_vector_in_row_order() -> None:
    texts = [f"text {i % 37}" for i in range(300)]  # repeated texts share one vector
    units = embedding_units(texts, unit_rows=8)
    rng = np.random.default_rng(3)
    by_text = {text: rng.standard_normal(4).astype(np.float32) for text in set(texts)}
    parts = [
        (text_keys(unit), np.stack([by_text[text] for text in unit]), len(unit)) for unit in units
    ]

    vectors = row_vectors(text_keys(texts), parts)

    assert len(parts) == 5 and vectors.dtype == np.float32
    assert np.array_equal(vectors, np.stack([by_text[text] for text in texts]))
    assert row_vectors(text_keys([]), []).shape == (0, 0)


def test_settled_stage_keeps_removed_rows_and_stats_but_no_kept_buffers() -> None:
    kept = pa.table({"id": ["a", "b"], "text": ["x" * 1000, "y" * 1000]})
    removed = pa.table({"id": ["c"], "text": ["z"], "reason": ["toxicity"]})
    result = settled(StageResult(kept, removed, {"removed": 1}))

    assert result.kept.num_rows == 0 and result.kept.schema == kept.schema
    assert result.kept.nbytes == 0  # not a slice that would keep the parent's buffers alive
    assert result.removed is removed and result.stats == {"removed": 1}


def test_embedding_cache_merge_keeps_the_first_vector_of_each_key(tmp_path) -> None:
    cache = EmbeddingCache(tmp_path / "cache", "model")
    keys = text_keys(["a", "b", "c"])
    cache.add(keys[:2], np.array([[1, 1], [2, 2]], np.float32))
    cache.add(keys[1:], np.array([[9, 9], [3, 3]], np.float32))  # "b" again: the first stays

    found, vectors = cache.get(text_keys(["c", "b", "a", "d"]))
    assert found.tolist() == [True, True, True, False]
    assert vectors[:3].tolist() == [[3, 3], [2, 2], [1, 1]]
    reopened = EmbeddingCache(tmp_path / "cache", "model")  # read back from its shards
    assert reopened.get(keys[::2])[1].tolist() == [[1, 1], [3, 3]]
