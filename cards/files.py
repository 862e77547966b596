"""Write every card file of a version in one call: charts, LICENSE.md, croissant.json, README.md.

The flow calls `write_card_files` inside the publish staging directory, after the Parquet splits
are written (croissant.json records their sha256) and before the manifest (which hashes these).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from cards.card import CardContext, citation_text, render_card
from cards.charts import write_charts
from cards.croissant import write_croissant
from cards.licenses import LICENSE_FILE, render_license_file
from publish.release import FileDigest

CARD_FILE = "README.md"


def write_card_files(
    version_dir: Path,
    context: CardContext,
    splits: dict[str, pa.Table],
    written: dict[str, FileDigest] | None = None,
) -> str:
    """Write the card and its companions into `version_dir`; return the card text.

    `written` (relative path -> digest from `write_parquet`) gives croissant.json the splits'
    sha256 without reading them again.
    """
    context.charts = write_charts(version_dir, splits, context.stats)
    assessment = context.licenses()
    if assessment.metadata["license"] == "other":
        license_text = render_license_file(context.name, assessment)
        (version_dir / LICENSE_FILE).write_text(license_text, encoding="utf-8")
    write_croissant(
        version_dir,
        context.name,
        context.version,
        {name: table.schema for name, table in splits.items()},
        sorted(set(assessment.per_source.values())),
        description=context.description,
        citation=citation_text(context),
        written=written,
    )
    card = render_card(context)
    (version_dir / CARD_FILE).write_text(card, encoding="utf-8")
    return card
