"""Cross-split leakage: no near-duplicate pair may straddle two splits (train and test above all).

Splits are ranked: the `protected` split first, then the others in reverse order of the
`splits` dict (so for train/validation/test, test > validation > train). In every leaking
pair the row of the higher-ranked split stays where it is; the other row is removed or moved
into that split. Rows of the protected split are therefore never touched.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from filters.base import split_by_mask
from filters.dedup import NearDedupConfig, greedy_survivors, near_duplicate_pairs

LeakAction = Literal["remove", "move"]
LEAK_SCHEMA = pa.schema(
    {
        "leaked_split": pa.string(),
        "leaked_id": pa.string(),
        "kept_split": pa.string(),
        "kept_id": pa.string(),
        "jaccard": pa.float64(),
    }
)
_MAX_EXAMPLES = 5


class LeakageConfig(BaseModel):
    """The recipe's leakage section: how near is a leak, which split wins, what happens."""

    model_config = ConfigDict(extra="forbid")

    near: NearDedupConfig = NearDedupConfig()
    protected: str = "test"
    action: LeakAction = "remove"


class _Rows:
    """All splits' rows concatenated, with each row's split index and position in its split."""

    def __init__(self, splits: dict[str, pa.Table], protected: str) -> None:
        self.names = list(splits)
        self.ids: list[str] = []
        texts = []
        for table in splits.values():
            self.ids += table["id"].to_pylist()
            texts += table["text"].chunks
        self.texts = pa.chunked_array(texts, type=splits[self.names[0]].schema.field("text").type)
        sizes = [t.num_rows for t in splits.values()]
        self.split = np.repeat(np.arange(len(sizes)), sizes)
        self.position = np.arange(len(self.split)) - np.repeat(np.cumsum([0, *sizes[:-1]]), sizes)
        order = [protected] if protected in splits else []
        order += [name for name in reversed(self.names) if name != protected]
        split_rank = np.array([order.index(name) for name in self.names])
        self.rank = split_rank[self.split] * len(self.split) + np.arange(len(self.split))


def _cross_pairs(rows: _Rows, config: NearDedupConfig):
    left, right, similarity = near_duplicate_pairs(rows.texts, config)
    cross = rows.split[left] != rows.split[right]
    left, right, similarity = left[cross], right[cross], similarity[cross]
    swap = rows.rank[left] < rows.rank[right]  # orient: left leaks, right is the kept side
    return np.where(swap, right, left), np.where(swap, left, right), similarity


def find_cross_split_leaks(
    splits: dict[str, pa.Table], config: NearDedupConfig, protected: str = "test"
) -> pa.Table:
    """Every verified near-duplicate pair whose rows sit in different splits."""
    rows = _Rows(splits, protected)
    leaked, kept, similarity = _cross_pairs(rows, config)
    return pa.table(
        {
            "leaked_split": [rows.names[s] for s in rows.split[leaked]],
            "leaked_id": [rows.ids[i] for i in leaked],
            "kept_split": [rows.names[s] for s in rows.split[kept]],
            "kept_id": [rows.ids[i] for i in kept],
            "jaccard": similarity,
        },
        schema=LEAK_SCHEMA,
    )


def _move_targets(rows: _Rows, leaked: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Split each row must end up in: the best-ranked split of its leak component."""
    n = len(rows.split)
    graph = coo_matrix((np.ones(len(leaked)), (leaked, kept)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    best = np.full(component.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(best, component, rows.rank)
    best_row = best % n  # rank is split_rank * n + row, see _Rows
    return rows.split[best_row][component]


def resolve_leaks(
    splits: dict[str, pa.Table],
    config: NearDedupConfig,
    protected: str = "test",
    action: LeakAction = "remove",
) -> tuple[dict[str, pa.Table], pa.Table, dict[str, Any]]:
    """Remove (or move) rows so that no near-duplicate pair straddles two splits.

    Returns the new splits, the removed rows (reason `leakage:near_duplicate`, `duplicate_of`
    the id of the row that stayed) and stats for the manifest and card.
    """
    rows = _Rows(splits, protected)
    leaked, kept, similarity = _cross_pairs(rows, config)
    examples = [
        {
            "leaked_split": rows.names[rows.split[a]],
            "leaked_id": rows.ids[a],
            "kept_split": rows.names[rows.split[b]],
            "kept_id": rows.ids[b],
            "jaccard": round(float(s), 4),
        }
        for a, b, s in zip(leaked[:_MAX_EXAMPLES], kept, similarity, strict=False)
    ]
    stats: dict[str, Any] = {"pairs": len(leaked), "action": action, "examples": examples}
    offsets = np.cumsum([0] + [t.num_rows for t in splits.values()])
    if action == "move":
        target = _move_targets(rows, leaked, kept)
        moved = target != rows.split
        new_splits = {}
        for s, (name, table) in enumerate(splits.items()):
            arriving = np.flatnonzero(moved & (target == s))
            stay = ~moved[offsets[s] : offsets[s + 1]]
            parts = [table.filter(pa.array(stay))]
            for i in arriving:  # few rows; keeps source order and each row's schema
                parts.append(splits[rows.names[rows.split[i]]].slice(rows.position[i], 1))
            new_splits[name] = pa.concat_tables(parts).combine_chunks()
        stats["moved"] = {
            f"{rows.names[a]}->{rows.names[b]}": int(((rows.split == a) & (target == b)).sum())
            for a in range(len(rows.names))
            for b in range(len(rows.names))
            if a != b and ((rows.split == a) & (target == b)).any()
        }
        first = splits[rows.names[0]]
        _, no_rows = split_by_mask(first, [False] * first.num_rows, "leakage:near_duplicate")
        return new_splits, no_rows, stats
    duplicate_of, similarity_to_kept = greedy_survivors(rows.rank, leaked, kept, similarity)
    new_splits, removed_parts, removed_counts = {}, [], {}
    for s, (name, table) in enumerate(splits.items()):
        of = duplicate_of[offsets[s] : offsets[s + 1]]
        sims = similarity_to_kept[offsets[s] : offsets[s + 1]]
        gone = np.flatnonzero(of >= 0)
        details = [
            f"near duplicate of a {rows.names[rows.split[of[i]]]} row (jaccard {sims[i]:.2f})"
            for i in gone
        ]
        kept_table, removed = split_by_mask(
            table, of >= 0, "leakage:near_duplicate", details, [rows.ids[of[i]] for i in gone]
        )
        new_splits[name] = kept_table
        removed_parts.append(removed)
        removed_counts[name] = len(gone)
    stats["removed"] = removed_counts
    return new_splits, pa.concat_tables(removed_parts), stats
