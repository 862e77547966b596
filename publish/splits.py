"""Split assignment from a hash of (seed, row id), so a row never changes split as data grows.

`group_by` hashes a column's value instead of the id, so related rows (one author, one domain,
one source file) land in the same split. `stratify_by` spreads every label over the splits in
the configured ratios; since exact ratios cannot be a pure function of one row, rows already
published keep their split and only new rows are placed, in hash order, to fill each label's
shortfall.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from publish.store import newest_version

SPLIT_FILE_SUFFIX = "-00000-of-00001.parquet"


class SplitConfig(BaseModel):
    """The recipe's `splits` section."""

    model_config = ConfigDict(extra="forbid")

    ratios: dict[str, float] = Field(
        default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1},
        description="split name -> fraction of rows; fractions sum to 1",
    )
    seed: int = 13
    group_by: str | None = Field(
        None,
        description="column whose value keeps related rows in one split (for example a url "
        "domain, an author or a source file); rows without a value are placed by their id",
    )
    stratify_by: str | None = Field(
        None,
        description="label column: each label is spread over the splits in the ratios and the "
        "class balance is reported; published rows keep their split (pass `previous`)",
    )

    @field_validator("ratios")
    @classmethod
    def _ratios_sum_to_one(cls, ratios: dict[str, float]) -> dict[str, float]:
        if not ratios or any(r <= 0 for r in ratios.values()):
            raise ValueError("every split needs a fraction greater than 0")
        if abs(sum(ratios.values()) - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, they sum to {sum(ratios.values()):g}")
        bad = [name for name in ratios if not name.replace("_", "").isalnum()]
        if bad:
            raise ValueError(f"split names may hold only letters, digits and '_': {bad}")
        return ratios

    @model_validator(mode="after")
    def _one_placement_rule(self) -> SplitConfig:
        if self.group_by and self.stratify_by:
            raise ValueError("use group_by or stratify_by, not both")
        return self


def unit_interval_hash(ids: list[str], seed: int) -> np.ndarray:
    """Map each id to a stable number in [0, 1) that depends only on the id and the seed."""
    prefix = f"{seed}\0".encode()
    digests = b"".join(hashlib.blake2b(prefix + i.encode(), digest_size=8).digest() for i in ids)
    return np.frombuffer(digests, dtype=">u8").astype(np.float64) / 2.0**64


def assign_splits(
    table: pa.Table, config: SplitConfig, previous: pa.Table | None = None
) -> dict[str, pa.Table]:
    """Partition rows into the configured splits, keeping each split in input order.

    `previous` (columns `id`, `split`, see `published_splits`) is only used with
    `stratify_by`: those rows keep their published split.
    """
    _require_columns(table, [c for c in (config.group_by, config.stratify_by) if c])
    keys = table["id"]
    if config.group_by:
        keys = pc.coalesce(table[config.group_by].cast(pa.string()), table["id"])
    position = unit_interval_hash(keys.to_pylist(), config.seed)
    ratios = np.array(list(config.ratios.values()))
    if config.stratify_by:
        labels = _label_codes(table[config.stratify_by])
        fixed = _previous_buckets(table["id"], previous, list(config.ratios))
        bucket = _stratified_buckets(position, labels, fixed, ratios)
    else:
        bounds = np.cumsum(ratios)
        bounds[-1] = 1.0
        bucket = np.searchsorted(bounds, position, side="right")
    return {name: table.filter(pa.array(bucket == i)) for i, name in enumerate(config.ratios)}


def published_splits(version_dir: Path | None) -> pa.Table:
    """Ids and split names of a published version (empty before the first version)."""
    tables = []
    for path in sorted((version_dir / "data").glob(f"*{SPLIT_FILE_SUFFIX}")) if version_dir else []:
        ids = pq.read_table(path, columns=["id"])["id"]
        split = path.name.removesuffix(SPLIT_FILE_SUFFIX)
        tables.append(pa.table({"id": ids, "split": pa.array([split] * len(ids), pa.string())}))
    empty = pa.table({"id": pa.array([], pa.string()), "split": pa.array([], pa.string())})
    return pa.concat_tables(tables) if tables else empty


def parent_splits(dataset_dir: Path) -> pa.Table:
    """`published_splits` of the newest published version: the `previous` for stratifying."""
    parent = newest_version(dataset_dir)
    return published_splits(dataset_dir / parent if parent else None)


def split_stats(splits: dict[str, pa.Table], config: SplitConfig) -> dict[str, Any]:
    """Rows per split, groups per split and, when stratifying, each split's class balance."""
    stats: dict[str, Any] = {"rows": {name: t.num_rows for name, t in splits.items()}}
    if config.group_by:
        stats["groups"] = {
            name: pc.count_distinct(t[config.group_by]).as_py() for name, t in splits.items()
        }
    if config.stratify_by:
        stats["class_balance"] = class_balance(splits, config.stratify_by)
    return stats


def class_balance(splits: dict[str, pa.Table], column: str) -> dict[str, dict[str, Any]]:
    """Per split: rows and share of each label (labels as strings; missing labels as 'null')."""
    balance = {}
    for name, table in splits.items():
        counts = pc.value_counts(table[column].cast(pa.string())).to_pylist()
        total = max(table.num_rows, 1)
        balance[name] = {
            str(c["values"]) if c["values"] is not None else "null": {
                "rows": c["counts"],
                "share": round(c["counts"] / total, 4),
            }
            for c in sorted(counts, key=lambda c: str(c["values"]))
        }
    return balance


def _require_columns(table: pa.Table, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ValueError(f"splits: column {missing[0]!r} is not in the data")


def _label_codes(labels: pa.ChunkedArray) -> np.ndarray:
    """One integer per distinct label; missing labels form a class of their own."""
    encoded = pc.dictionary_encode(labels.combine_chunks(), null_encoding="encode")
    return encoded.indices.to_numpy(zero_copy_only=False)


def _previous_buckets(
    ids: pa.ChunkedArray, previous: pa.Table | None, names: list[str]
) -> np.ndarray:
    """Split index each row was published in, or -1 for new rows and dropped split names."""
    if previous is None or previous.num_rows == 0:
        return np.full(len(ids), -1)
    where = pc.index_in(ids, value_set=previous["id"].combine_chunks())
    split_of_previous = pc.index_in(previous["split"], value_set=pa.array(names, pa.string()))
    buckets = pc.take(split_of_previous, where).fill_null(-1)
    return buckets.to_numpy(zero_copy_only=False).astype(np.int64)


def _stratified_buckets(
    position: np.ndarray, labels: np.ndarray, fixed: np.ndarray, ratios: np.ndarray
) -> np.ndarray:
    bucket = fixed.copy()
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        new = members[fixed[members] < 0]
        if not len(new):
            continue
        current = np.bincount(fixed[members][fixed[members] >= 0], minlength=len(ratios))
        need = np.maximum(_apportion(len(members), ratios) - current, 0)
        quota = need if need.sum() == len(new) else _apportion(len(new), need / need.sum())
        bucket[new[np.argsort(position[new], kind="stable")]] = np.repeat(
            np.arange(len(ratios)), quota
        )
    return bucket


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers summing to `total` in proportion to `weights` (largest remainder)."""
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts
