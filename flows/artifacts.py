"""What curators see in the Prefect UI for each run: the card summary with the filter funnel,
and a table of rows per source."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from curate.recipe import Recipe
from loaders import LoadResult


def funnel_markdown(stats: dict[str, Any], filtered: pa.Table) -> str:
    """Rows from input to publication, stage by stage (from the filter log), as markdown."""
    removed_by_stage = Counter(filtered["stage"].to_pylist())
    incoming = stats["rows_read"] + stats["rows_unreadable"]
    lines = ["| step | rows removed | rows left |", "| --- | ---: | ---: |"]
    lines.append(f"| input | | {incoming} |")
    left = incoming - stats["rows_quarantined"]
    lines.append(f"| quarantine (unreadable, invalid) | {stats['rows_quarantined']} | {left} |")
    for name in stats["stages"]:
        removed = removed_by_stage.get(name, 0)
        left -= removed
        lines.append(f"| {name} | {removed} | {left} |")
    splits = ", ".join(f"{split} {rows}" for split, rows in stats["rows_per_split"].items())
    lines.append(f"| **published** | | **{stats['rows_published']}** ({splits}) |")
    return "\n".join(lines)


def source_rows(loaded: LoadResult, stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-source counts for the table artifact."""
    published = stats["published_per_source"]
    return [
        {
            "source": name,
            "rows_read": counts["rows_read"],
            "rows_unreadable": counts["rows_unreadable"],
            "rows_published": published.get(name, 0),
        }
        for name, counts in loaded.per_source.items()
    ]


def post_run_artifacts(
    recipe: Recipe,
    version: str,
    loaded: LoadResult,
    stats: dict[str, Any],
    filtered: pa.Table,
    card_summary: str | None,
) -> None:
    """Post the curator artifacts; `card_summary` is None when nothing new was published."""
    key = recipe.name.lower()
    heading = f"## {recipe.name} {version}" + ("" if card_summary else " (unchanged)")
    parts = [heading, card_summary or "", "### Filter funnel", funnel_markdown(stats, filtered)]
    create_markdown_artifact(
        key=f"card-{key}",
        markdown="\n\n".join(part for part in parts if part),
        description=f"Dataset card summary and filter funnel of {recipe.name} {version}",
    )
    create_table_artifact(
        key=f"sources-{key}",
        table=source_rows(loaded, stats),
        description=f"Rows per source of {recipe.name} {version}",
    )
