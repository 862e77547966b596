"""Render the dataset card (README.md) from the run's own statistics, never by hand.

The YAML header follows the Hub's dataset card metadata (validated by huggingface_hub's
DatasetCardData); the prose follows the Hub template and "Datasheets for Datasets". Every count
in the card comes from the flow's `stats` dict, so the card cannot drift from the manifest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from datasets import Features
from huggingface_hub import DatasetCardData

from cards.config import CardConfig
from cards.licenses import LicenseAssessment, assess_licenses, hub_licenses, license_link
from publish.release import split_path

EXAMPLE_TEXT_CHARS = 300
# Removal reasons are `<prefix>` or `<prefix>:<detail>`; the prefix names the filter stage.
REASON_STAGES = {
    "pii": "pii",
    "toxicity": "toxicity",
    "duplicate": "dedup",
    "quality": "quality",
    "language": "language",
}
STAGE_TITLES = {
    "pii": "PII",
    "toxicity": "Toxicity",
    "dedup": "Deduplication",
    "quality": "Quality",
    "language": "Language",
    "leakage": "Leakage",
}


@dataclass
class SourceSummary:
    name: str
    path: str
    license: str
    rows_read: int
    rows_unreadable: int
    rows_published: int
    link: str = ""


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
    config: CardConfig = field(default_factory=CardConfig)
    filter_configs: dict[str, Any] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)

    def licenses(self) -> LicenseAssessment:
        return assess_licenses({s.name: s.license for s in self.sources})


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
    return DatasetCardData(
        pretty_name=context.config.pretty_name or context.name,
        language=context.languages,
        size_categories=[size_category(sum(context.splits.values()))],
        task_categories=context.config.task_categories,
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
        **context.licenses().metadata,
    )


def stage_removals(stats: dict[str, Any]) -> dict[str, int]:
    """Rows removed per filter stage, in flow order, from the removal reasons' prefixes."""
    reasons: dict[str, int] = stats.get("removed_by_reason", {})
    order = [*stats.get("stages", {}), *(s for s in REASON_STAGES.values())]
    counts = {stage: 0 for stage in dict.fromkeys(order)}
    for reason, count in reasons.items():
        stage = REASON_STAGES.get(reason.split(":", 1)[0])
        if stage is not None:
            counts[stage] += count
    ran = set(stats.get("stages", {}))
    return {stage: n for stage, n in counts.items() if n or stage in ran}


def funnel(stats: dict[str, Any]) -> list[tuple[str, int]]:
    """(step, rows remaining) from rows in to rows published; the last step equals published."""
    rows = stats["rows_read"] + stats["rows_unreadable"]
    steps = [("rows in", rows)]
    rows -= stats["rows_quarantined"]
    steps.append(("readable and valid", rows))
    for stage, removed in stage_removals(stats).items():
        rows -= removed
        steps.append((f"after {STAGE_TITLES.get(stage, stage)}", rows))
    if rows != stats["rows_published"]:  # removals whose reason names no known stage
        steps.append(("after other filters", stats["rows_published"]))
    return steps


def render_card(context: CardContext) -> str:
    """The full README.md text: YAML header plus prose sections."""
    metadata = card_metadata(context)
    lines = [f"# {context.config.pretty_name or context.name}", ""]
    lines += [f"Version **{context.version}**.", ""]
    lines += ["## Summary", "", context.description or "A curated text dataset.", ""]
    lines += [_counts_sentence(context.stats), ""]
    lines += _license_section(context)
    lines += _sources_section(context)
    lines += _curation_section(context)
    lines += _structure_section(context)
    lines += _limitations_section(context)
    lines += ["## Changelog", "", _demote_headings(context.changelog) or "First version.", ""]
    lines += ["## Citation", "", "```bibtex", citation_text(context), "```", ""]
    return f"---\n{metadata.to_yaml()}\n---\n\n" + "\n".join(lines)


def card_summary(context: CardContext) -> str:
    """A short markdown summary for the flow run's Prefect artifact."""
    stats = context.stats
    assessment = context.licenses()
    license_line = assessment.metadata["license"]
    if license_line == "other":
        license_line = "mixed: " + ", ".join(sorted(set(assessment.per_source.values())))
    lines = [
        f"# {context.name} {context.version}",
        "",
        _counts_sentence(stats),
        "",
        f"**License:** {license_line}",
        "",
    ]
    for finding in assessment.findings:
        if finding.severity == "conflict":
            lines.append(f"- **License conflict** ({finding.kind}): {finding.message}")
    lines += ["", "| split | rows |", "| --- | ---: |"]
    lines += [f"| {split} | {n} |" for split, n in context.splits.items()]
    lines += ["", "| step | rows |", "| --- | ---: |"]
    lines += [f"| {step} | {n} |" for step, n in funnel(stats)]
    return "\n".join(lines) + "\n"


def _counts_sentence(stats: dict[str, Any]) -> str:
    return (
        f"{stats['rows_published']} rows published from {stats['rows_read']} rows read "
        f"({stats['rows_unreadable']} unreadable, {stats['rows_quarantined']} quarantined, "
        f"{stats['rows_filtered']} removed by curation filters)."
    )


def _license_section(context: CardContext) -> list[str]:
    assessment = context.licenses()
    names = hub_licenses()
    lines = ["## License", ""]
    if assessment.disagree:
        lines += [
            "**Sources have different licenses.** The dataset license is `other`: each row keeps "
            "its source's license in the `license` column, and that license's terms apply to "
            "the row (see LICENSE.md).",
            "",
        ]
    else:
        only = next(iter(assessment.per_source.values()))
        lines += [
            f"All rows are under {names.get(only, only)} (`{only}`, {license_link(only)}); the "
            "`license` column states it per row.",
            "",
        ]
    for finding in assessment.findings:
        label = "⚠️ **Conflict**" if finding.severity == "conflict" else "**Obligation**"
        lines.append(f"- {label} ({finding.kind}): {finding.message}")
    return [*lines, ""] if assessment.findings else lines


def _sources_section(context: CardContext) -> list[str]:
    lines = [
        "## Sources",
        "",
        "| source | path or url | license | rows in | unreadable | rows out | link |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for s in context.sources:
        link = s.link or (s.path if s.path.startswith(("http://", "https://")) else "")
        lines.append(
            f"| {s.name} | `{s.path}` | [{s.license}]({license_link(s.license)}) "
            f"| {s.rows_read + s.rows_unreadable} | {s.rows_unreadable} | {s.rows_published} "
            f"| {link} |"
        )
    return [*lines, ""]


def _curation_section(context: CardContext) -> list[str]:
    stats = context.stats
    lines = ["## Curation", "", "Rows remaining after each step:", ""]
    lines += ["| step | rows |", "| --- | ---: |"]
    lines += [f"| {step} | {n} |" for step, n in funnel(stats)]
    lines += ["", "Rows removed, by reason:", "", "| reason | rows |", "| --- | ---: |"]
    for reason, count in sorted(stats.get("removed_by_reason", {}).items()):
        lines.append(f"| `{reason}` | {count} |")
    lines.append("")
    stage_stats = stats.get("stages", {})
    removed = stage_removals(stats)
    for stage in dict.fromkeys([*stage_stats, *removed]):
        lines += [f"### Filter: {STAGE_TITLES.get(stage, stage)}", ""]
        lines += [f"Rows removed: {removed.get(stage, 0)}.", ""]
        if stage in context.filter_configs:
            config = json.dumps(context.filter_configs[stage], indent=2, sort_keys=True)
            lines += ["Configuration:", "", "```json", config, "```", ""]
        counts = {k: v for k, v in stage_stats.get(stage, {}).items() if _is_scalar(v)}
        if counts:
            lines += ["| statistic | value |", "| --- | ---: |"]
            lines += [f"| {k} | {_format_value(v)} |" for k, v in counts.items()]
            lines.append("")
    off, not_applied = _filters_not_run(context)
    if off:
        lines += [f"Switched off in the recipe: {', '.join(off)}.", ""]
    if not_applied:
        lines += [f"Configured but not applied in this run: {', '.join(not_applied)}.", ""]
    for title, body in context.curation_sections.items():
        lines += [f"### {title}", "", body.strip(), ""]
    if context.charts:
        lines += ["### Charts", ""]
        lines += [f"![{_chart_title(path)}]({path})" for path in context.charts]
        lines.append("")
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


def _limitations_section(context: CardContext) -> list[str]:
    items = [
        "Filters are automatic: PII detection and toxicity scoring have measured, non-zero "
        "error rates (see the curation section), so some personal data or toxic text may remain "
        "and some benign rows may have been removed.",
        "Exact-duplicate removal works on normalised text; paraphrases are removed only by "
        "near or semantic deduplication when it is switched on.",
    ]
    off, not_applied = _filters_not_run(context)
    if off or not_applied:
        items.append(
            "Filters that did not run for this version: " + ", ".join([*off, *not_applied]) + "."
        )
    if context.licenses().conflicts:
        items.append("The sources' licenses conflict (see the License section).")
    items += context.config.limitations
    return ["## Known limitations", "", *(f"- {item}" for item in items), ""]


def _filters_not_run(context: CardContext) -> tuple[list[str], list[str]]:
    """(switched off, configured but absent from the run's stats), as filter titles."""
    ran = {*context.stats.get("stages", {}), *stage_removals(context.stats)}
    off, not_applied = [], []
    for stage, config in context.filter_configs.items():
        if stage not in ran:
            (off if config is None else not_applied).append(STAGE_TITLES.get(stage, stage))
    return off, not_applied


def citation_text(context: CardContext) -> str:
    """BibTeX for the card and croissant.json: the recipe's, else a generated @misc."""
    if context.config.citation:
        return context.config.citation.strip()
    key = re.sub(r"\W", "_", f"{context.name}_{context.version}")
    return "\n".join(
        [
            f"@misc{{{key},",
            f"  title = {{{context.config.pretty_name or context.name}}},",
            f"  note = {{Version {context.version}}},",
            "}",
        ]
    )


def _demote_headings(markdown: str) -> str:
    """Nest an embedded document's headings under the card's `##` section."""
    return re.sub(r"^(#{1,4}) ", r"\1## ", markdown.strip(), flags=re.M)


def _chart_title(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".png").replace("_", " ").capitalize()


def _is_scalar(value: Any) -> bool:
    return isinstance(value, int | float | str | bool) or value is None


def _format_value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
