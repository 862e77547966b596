"""The contract every filter stage follows.

A stage takes a `pyarrow.Table` with at least the columns `id` and `text` and returns a
`StageResult`. Rows are never lost: each input row is either in `kept` or in `removed`,
and every removed row carries a machine-readable `reason` (for example `toxicity`,
`duplicate:exact`, `pii:US_SSN`) and a human `detail` that never contains detected PII.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

REMOVAL_COLUMNS = {"reason": pa.string(), "detail": pa.string(), "duplicate_of": pa.string()}


@dataclass
class StageResult:
    """Output of one filter stage over one table."""

    kept: pa.Table
    removed: pa.Table
    stats: dict[str, Any] = field(default_factory=dict)


def split_by_mask(
    table: pa.Table,
    remove_mask: pa.Array | list[bool],
    reasons: list[str] | str,
    details: list[str] | str = "",
    duplicate_of: list[str | None] | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Split `table` into (kept, removed); removed rows get reason/detail/duplicate_of columns.

    `reasons`, `details` and `duplicate_of` are either one value for all removed rows or
    one value per removed row, in table order.
    """
    mask = pa.array(remove_mask, type=pa.bool_())
    kept = table.filter(pc.invert(mask))
    removed = table.filter(mask)
    n = removed.num_rows
    columns = {
        "reason": [reasons] * n if isinstance(reasons, str) else reasons,
        "detail": [details] * n if isinstance(details, str) else details,
        "duplicate_of": duplicate_of if duplicate_of is not None else [None] * n,
    }
    for name, values in columns.items():
        if len(values) != n:
            raise ValueError(f"{name}: expected {n} values, got {len(values)}")
        removed = removed.append_column(name, pa.array(values, type=REMOVAL_COLUMNS[name]))
    return kept, removed
