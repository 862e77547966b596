"""The toxicity filter stage: score every row, then drop or annotate."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from filters.base import StageResult, split_by_mask
from filters.toxicity.config import ToxicityConfig
from filters.toxicity.scorers import ToxicityScorer, load_scorer

SCORE_COLUMN = "toxicity"
ROWS_PER_CALL = 65_536


def score_texts(texts: pa.ChunkedArray | pa.Array, scorer: ToxicityScorer) -> np.ndarray:
    """Scores for a text column, in bounded slices; nulls score as empty text."""
    texts = pc.fill_null(texts, "")
    parts = []
    for start in range(0, len(texts), ROWS_PER_CALL):
        chunk = texts.slice(start, ROWS_PER_CALL).to_pylist()
        scores = np.asarray(scorer.score(chunk), dtype=np.float32)
        if scores.shape != (len(chunk),):
            raise ValueError(f"scorer returned shape {scores.shape} for {len(chunk)} texts")
        if np.isnan(scores).any() or (scores < 0).any() or (scores > 1).any():
            raise ValueError("scorer returned values outside [0, 1]")
        parts.append(scores)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def apply_toxicity(
    table: pa.Table, config: ToxicityConfig, *, scorer: ToxicityScorer | None = None
) -> StageResult:
    """Score `table.text`; `drop` removes rows scoring >= threshold, `score` adds `toxicity`.

    `scorer` is used as given (pass `load_scorer(config)` once to reuse it across tables);
    without it the configured scorer is loaded, with identity masking when configured.
    """
    scorer = scorer if scorer is not None else load_scorer(config)
    scores = score_texts(table.column("text"), scorer)
    flagged = scores >= config.threshold
    stats = {
        "scorer": config.scorer,
        "action": config.action,
        "threshold": config.threshold,
        "mask_identity_terms": config.mask_identity_terms,
        "scored": table.num_rows,
        "flagged": int(flagged.sum()),
        "removed": 0,
        "score_mean": float(scores.mean()) if len(scores) else 0.0,
    }
    if config.action == "score":
        kept = table.append_column(SCORE_COLUMN, pa.array(scores, type=pa.float32()))
        kept, removed = split_by_mask(kept, np.zeros(len(scores), dtype=bool), "toxicity")
        return StageResult(kept=kept, removed=removed, stats=stats)
    details = [f"score {score:.2f} >= {config.threshold:.2f}" for score in scores[flagged]]
    kept, removed = split_by_mask(table, flagged, "toxicity", details)
    stats["removed"] = removed.num_rows
    return StageResult(kept=kept, removed=removed, stats=stats)
