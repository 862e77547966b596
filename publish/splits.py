"""Split assignment from a hash of (seed, row id), so a row never changes split as data grows."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator


class SplitConfig(BaseModel):
    """The recipe's `splits` section."""

    model_config = ConfigDict(extra="forbid")

    ratios: dict[str, float] = Field(
        default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1},
        description="split name -> fraction of rows; fractions sum to 1",
    )
    seed: int = 13

    @field_validator("ratios")
    @classmethod
    def _ratios_sum_to_one(cls, ratios: dict[str, float]) -> dict[str, float]:
        if not ratios or any(r <= 0 for r in ratios.values()):
            raise ValueError("every split needs a fraction greater than 0")
        if abs(sum(ratios.values()) - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, they sum to {sum(ratios.values()):g}")
        return ratios


def unit_interval_hash(ids: list[str], seed: int) -> np.ndarray:
    """Map each id to a stable number in [0, 1) that depends only on the id and the seed."""
    prefix = f"{seed}\0".encode()
    digests = b"".join(hashlib.blake2b(prefix + i.encode(), digest_size=8).digest() for i in ids)
    return np.frombuffer(digests, dtype=">u8").astype(np.float64) / 2.0**64


def assign_splits(table: pa.Table, config: SplitConfig) -> dict[str, pa.Table]:
    """Partition rows into the configured splits, keeping each split in input order."""
    position = unit_interval_hash(table["id"].to_pylist(), config.seed)
    bounds = np.cumsum(list(config.ratios.values()))
    bounds[-1] = 1.0
    bucket = np.searchsorted(bounds, position, side="right")
    return {name: table.filter(pa.array(bucket == i)) for i, name in enumerate(config.ratios)}
