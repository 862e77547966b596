"""The flow's memory-saving steps change nothing in what it computes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from filters.base import StageResult
from flows.curate import embedding_units, settled
from indexes import Embedder, IndexConfig
from indexes.embed import EmbeddingCache, text_keys


def test_units_fill_the_cache_and_the_flow_reads_every_rows_vector_from_it(tmp_path) -> None:
    config = IndexConfig(progress=False)
    texts = [f"a note about parcel {i % 37}" for i in range(300)]  # repeats share one vector
    holder = Embedder(config, cache_dir=tmp_path)
    units = embedding_units(texts, unit_rows=8)
    for unit in units:  # as `embed_unit` does, each on its own Embedder
        unit_embedder = Embedder(config, cache_dir=tmp_path)
        unit_embedder.fill_cache(unit)
        assert unit_embedder.encoded_count == len(unit)

    vectors = holder.embed_texts(texts)

    assert len(units) == 5 and holder.encoded_count == 0
    np.testing.assert_allclose(vectors, Embedder(config).embed_texts(texts), atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1)


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
