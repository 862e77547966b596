"""The flow's memory-saving steps change nothing in what it computes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from filters.base import StageResult
from flows.curate import embedding_units, row_vectors, settled
from indexes.embed import text_keys


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
