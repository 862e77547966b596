"""Render the dataset card (README.md) from the run's own statistics, never by hand.

The YAML header follows the Hub's dataset card metadata (validated by huggingface_hub's
DatasetCardData); the prose follows the Hub template and "Datasheets for Datasets".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from datasets import Features
from huggingface_hub import DatasetCardData

from publish.release import split_path

EXAMPLE_TEXT_CHARS = 300


@dataclass
class SourceSummary:
    name: str
    path: str
    license: str
    rows_read: int
    rows_unreadable: int
    rows_published: int


@dataclass
class CardContext:
    """Everything the card states, gathered from the run (counts come from the flow's stats)."""

    name: str
    version: str
    description: str
    sources: list[SourceSummary]
    splits: dict[str, int]
    schema: pa.Schema
    stats: dict[str, Any]
    example: dict[str, Any] | None = None
    languages: list[str] = field(default_factory=lambda: ["en"])
    changelog: str = ""
    curation_sections: dict[str, str] = field(default_factory=dict)


def combine_licenses(licenses: list[str]) -> dict[str, str]:
    """One license when all sources agree, else Hub `other` with the per-source list named."""
    distinct = sorted(set(licenses))
    if len(distinct) == 1:
        return {"license": distinct[0]}
    return {
        "license": "other",
        "license_name": "mixed-" + "-and-".join(distinct),
        "license_details": "Rows keep their source's license in the `license` column: "
        + ", ".join(distinct),
    }


def size_category(rows: int) -> str:
    for limit, label in [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ]:
        if rows < limit:
            return label
    return "10M<n<100M"


def card_metadata(context: CardContext) -> DatasetCardData:
    licenses = combine_licenses([s.license for s in context.sources])
    return DatasetCardData(
        pretty_name=context.name,
        language=context.languages,
        size_categories=[size_category(sum(context.splits.values()))],
        task_categories=["text-classification", "text-retrieval"],
        source_datasets=["original"],
        configs=[
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": split_path(s)} for s in context.splits],
            }
        ],
        dataset_info={
            "features": Features.from_arrow_schema(context.schema)._to_yaml_list(),
            "splits": [{"name": s, "num_examples": n} for s, n in context.splits.items()],
        },
        **licenses,
    )


def render_card(context: CardContext) -> str:
    """The full README.md text: YAML header plus prose sections."""
    metadata = card_metadata(context)
    stats = context.stats
    lines = [f"# {context.name}", "", f"Version **{context.version}**.", ""]
    lines += ["## Summary", "", context.description or "A curated text dataset.", ""]
    lines += [
        f"{stats['rows_published']} rows published from {stats['rows_read']} rows read "
        f"({stats['rows_unreadable']} unreadable, {stats['rows_quarantined']} quarantined, "
        f"{stats['rows_filtered']} removed by curation filters).",
        "",
    ]
    lines += _sources_section(context)
    lines += _curation_section(context)
    lines += _structure_section(context)
    lines += [
        "## Known limitations",
        "",
        "- Filters are automatic: PII detection and toxicity scoring have measured, non-zero "
        "error rates (see the curation section), so some personal data or toxic text may remain "
        "and some benign rows may have been removed.",
        "- Exact-duplicate removal works on normalised text; paraphrases are not removed.",
        "",
        "## Changelog",
        "",
        context.changelog.strip() or "First version.",
        "",
        "## Citation",
        "",
        "```bibtex",
        f"@misc{{{context.name.replace('-', '_')}_{context.version.replace('.', '_')},",
        f"  title = {{{context.name}}},",
        f"  note = {{Version {context.version}}},",
        "}",
        "```",
        "",
    ]
    return f"---\n{metadata.to_yaml()}\n---\n\n" + "\n".join(lines)


def _sources_section(context: CardContext) -> list[str]:
    licenses = combine_licenses([s.license for s in context.sources])
    lines = ["## Sources", ""]
    if licenses["license"] == "other":
        lines += [
            "**Sources have different licenses.** Each row keeps its source's license in the "
            "`license` column; check every license's terms before use.",
            "",
        ]
    lines += [
        "| source | path | license | rows read | unreadable | published |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for s in context.sources:
        lines.append(
            f"| {s.name} | `{s.path}` | {s.license} | {s.rows_read} | {s.rows_unreadable} "
            f"| {s.rows_published} |"
        )
    return [*lines, ""]


def _curation_section(context: CardContext) -> list[str]:
    stats = context.stats
    lines = [
        "## Curation",
        "",
        "Rows removed, by reason:",
        "",
        "| reason | rows |",
        "| --- | ---: |",
    ]
    for reason, count in sorted(stats.get("removed_by_reason", {}).items()):
        lines.append(f"| `{reason}` | {count} |")
    lines.append("")
    for title, body in context.curation_sections.items():
        lines += [f"### {title}", "", body.strip(), ""]
    return lines


def _structure_section(context: CardContext) -> list[str]:
    lines = ["## Dataset structure", "", "| split | rows |", "| --- | ---: |"]
    lines += [f"| {split} | {n} |" for split, n in context.splits.items()]
    lines += ["", "| feature | type |", "| --- | --- |"]
    lines += [f"| `{f.name}` | {f.type} |" for f in context.schema]
    if context.example:
        example = {
            k: (v[:EXAMPLE_TEXT_CHARS] if isinstance(v, str) else v)
            for k, v in context.example.items()
        }
        lines += [
            "",
            "An example row (after PII redaction):",
            "",
            "```json",
            json.dumps(example, indent=2, ensure_ascii=False, default=str),
            "```",
        ]
    return [*lines, ""]
