"""Nothing is lost: every input row is published, quarantined or in the filter log, with why."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from filters.base import StageResult

FILTER_LOG_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("source", pa.string()),
        ("source_name", pa.string()),
        ("license", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("duplicate_of", pa.string()),
    ]
)


class AccountingError(RuntimeError):
    """Rows went missing between loading and publishing; publishing such a version is refused."""


def filter_log(results: dict[str, StageResult]) -> pa.Table:
    """All rows removed by filter stages, in stage order, with the stage that removed them."""
    tables = []
    for stage, result in results.items():
        removed = result.removed
        stage_column = pa.array([stage] * removed.num_rows, pa.string())
        columns = {
            name: removed[name] if name in removed.column_names else pa.nulls(removed.num_rows)
            for name in FILTER_LOG_SCHEMA.names
            if name != "stage"
        }
        columns["stage"] = stage_column
        tables.append(pa.table(columns).select(FILTER_LOG_SCHEMA.names).cast(FILTER_LOG_SCHEMA))
    return pa.concat_tables(tables) if tables else FILTER_LOG_SCHEMA.empty_table()


def run_stats(
    rows_read: int,
    rows_unreadable: int,
    quarantine: pa.Table,
    filtered: pa.Table,
    splits: dict[str, pa.Table],
) -> dict[str, Any]:
    """Row counts for the manifest, card and CLI; raises AccountingError if any row is missing."""
    published = sum(t.num_rows for t in splits.values())
    stats = {
        "rows_read": rows_read,
        "rows_unreadable": rows_unreadable,
        "rows_quarantined": quarantine.num_rows,
        "rows_filtered": filtered.num_rows,
        "rows_published": published,
        "rows_per_split": {name: t.num_rows for name, t in splits.items()},
        "removed_by_reason": dict(
            sorted(
                Counter(quarantine["reason"].to_pylist() + filtered["reason"].to_pylist()).items()
            )
        ),
        "published_per_source": _per_source(splits),
    }
    if (
        pc.any(pc.is_null(filtered["reason"])).as_py()
        or pc.any(pc.is_null(quarantine["reason"])).as_py()
    ):
        raise AccountingError("a removed row has no reason")
    incoming = rows_read + rows_unreadable
    accounted = published + quarantine.num_rows + filtered.num_rows
    if incoming != accounted:
        raise AccountingError(
            f"{incoming} rows came in (read {rows_read} + unreadable {rows_unreadable}) but "
            f"{accounted} are accounted for (published {published} + quarantined "
            f"{quarantine.num_rows} + filtered {filtered.num_rows})"
        )
    return stats


def _per_source(splits: dict[str, pa.Table]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for table in splits.values():
        counts.update(table["source_name"].to_pylist())
    return dict(sorted(counts.items()))
