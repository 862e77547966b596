"""The `curate` flow: load → PII → quality → language → toxicity → takedowns → dedup → embed
→ semantic dedup → split + leakage check → index → card → publish.

Each task calls one plain function from loaders/, filters/, publish/, indexes/ or cards/, so
every step is testable without Prefect. The flow adds logging, artifacts and orchestration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from cards import CardContext
from cards.card import SourceSummary, card_summary
from cards.files import write_card_files
from cards.licenses import assess_licenses, enforce_license_policy
from curate.accounting import filter_log, run_stats
from curate.recipe import Recipe, load_recipe
from curate.versions import tool_versions
from filters.base import StageResult
from filters.dedup import deduplicate, semantic_dedup
from filters.language import apply_language
from filters.leakage import resolve_leaks
from filters.pii import apply_pii, build_detector, redact_texts
from filters.quality import apply_quality
from filters.toxicity import apply_toxicity, load_scorer, run_bias_audit
from indexes import Embedder, build_index, write_index
from loaders import LoadResult, load_sources
from loaders.validate import validate_rows
from publish.release import (
    ReleasePlan,
    plan_release,
    render_changelog,
    split_path,
    write_manifest,
    write_parquet,
)
from publish.remote import mirror_version
from publish.splits import assign_splits, parent_splits, split_stats
from publish.store import publish_atomically, publish_lock
from publish.takedown import apply_takedowns, redact_takedowns

# Arrow tables pass between tasks in memory; resume-by-cache is configured per stage later.
stage = task(cache_policy=NO_CACHE)
INDEX_ROW_COLUMNS = ["id", "split", "source", "source_name", "license", "language"]


@dataclass
class RunSummary:
    """What a run did, for the CLI and for callers of the flow."""

    name: str
    version: str
    version_dir: Path
    unchanged: bool
    stats: dict[str, Any]


def passthrough(table: pa.Table) -> StageResult:
    """The result of a stage the recipe switched off: every row kept."""
    return StageResult(table, table.schema.empty_table())


@stage
def load(recipe: Recipe) -> tuple[LoadResult, pa.Table, pa.Table]:
    """Read every source; return the load result, valid rows and quarantined rows."""
    loaded = load_sources(recipe.sources, recipe.base_dir)
    valid, invalid = validate_rows(loaded.table, recipe.limits.max_text_chars)
    quarantine = pa.concat_tables([loaded.quarantine, invalid])
    get_run_logger().info(
        "loaded %d rows (%d unreadable, %d invalid)",
        loaded.rows_read,
        loaded.rows_unreadable,
        invalid.num_rows,
    )
    return loaded, valid, quarantine


@stage
def redact_pii(
    recipe: Recipe, table: pa.Table, quarantine: pa.Table
) -> tuple[StageResult, pa.Table]:
    """Redact PII in kept rows and in quarantined raw text, since the quarantine is published."""
    config = recipe.filters.pii
    if config is None:
        return passthrough(table), quarantine
    detector = build_detector(config)
    salt = os.environ.get("CURATE_PII_SALT", "")
    result = apply_pii(table, config, detector=detector, salt=salt)
    scrubbed = redact_texts(quarantine["text"].to_pylist(), config, detector=detector, salt=salt)
    quarantine = quarantine.set_column(
        quarantine.schema.get_field_index("text"), "text", pa.array(scrubbed, pa.string())
    )
    get_run_logger().info("pii: %s", result.stats.get("entities", {}))
    return result, quarantine


@stage
def filter_toxicity(recipe: Recipe, table: pa.Table) -> tuple[StageResult, dict[str, Any], str]:
    """Score toxicity, and audit the scorer's bias on identity groups for the card."""
    config = recipe.filters.toxicity
    if config is None:
        return passthrough(table), {}, ""
    scorer = load_scorer(config)
    result = apply_toxicity(table, config, scorer=scorer)
    audit = run_bias_audit(config, scorer=scorer)
    get_run_logger().info("toxicity: removed %d rows", result.removed.num_rows)
    return result, audit.to_dict(), audit.to_markdown()


@stage
def filter_quality(recipe: Recipe, table: pa.Table) -> StageResult:
    config = recipe.filters.quality
    result = passthrough(table) if config is None else apply_quality(table, config)
    get_run_logger().info("quality: removed %d rows", result.removed.num_rows)
    return result


@stage
def filter_language(recipe: Recipe, table: pa.Table) -> StageResult:
    config = recipe.filters.language
    result = passthrough(table) if config is None else apply_language(table, config)
    get_run_logger().info("language: removed %d rows", result.removed.num_rows)
    return result


@stage
def honour_takedowns(
    recipe: Recipe, table: pa.Table, quarantine: pa.Table
) -> tuple[StageResult, pa.Table]:
    """Rows matching a takedown request never reach a new version, nor its quarantine.

    Runs before PII redaction, which would hide the e-mail addresses that requests match.
    """
    result = apply_takedowns(table, recipe.dataset_dir())
    quarantine, blanked = redact_takedowns(quarantine, recipe.dataset_dir())
    get_run_logger().info(
        "takedown: removed %d rows, blanked %d quarantined", result.removed.num_rows, blanked
    )
    return result, quarantine


@stage
def dedup(recipe: Recipe, table: pa.Table) -> StageResult:
    config = recipe.filters.dedup
    result = passthrough(table) if config is None else deduplicate(table, config)
    get_run_logger().info("dedup: removed %d rows", result.removed.num_rows)
    return result


@stage
def embed(recipe: Recipe, table: pa.Table) -> tuple[np.ndarray, int]:
    """Embed every candidate row once; the cache makes unchanged rows free in later versions."""
    embedder = Embedder(recipe.index, cache_dir=recipe.dataset_dir() / ".embedding-cache")
    vectors = embedder.embed(table)
    get_run_logger().info(
        "embedded %d rows (%d not in the cache)", table.num_rows, embedder.encoded_count
    )
    return vectors, embedder.encoded_count


@stage
def semantic_duplicates(
    recipe: Recipe, table: pa.Table, vectors: np.ndarray
) -> tuple[StageResult, np.ndarray]:
    """Semantic dedup on the embeddings the index uses, so nothing is embedded twice."""
    config = recipe.filters.dedup
    if config is None or config.semantic is None:
        return passthrough(table), vectors
    result = semantic_dedup(table, vectors, config.semantic, keep=config.keep)
    kept = pc.is_in(table["id"], value_set=result.kept["id"]).to_numpy(zero_copy_only=False)
    get_run_logger().info("semantic dedup: removed %d rows", result.removed.num_rows)
    return result, vectors[kept]


@stage
def split(recipe: Recipe, table: pa.Table) -> tuple[dict[str, pa.Table], StageResult]:
    """Assign splits, then make sure no near-duplicate pair straddles two splits."""
    # Stratified assignment depends on the other rows, so rows already published keep theirs.
    previous = parent_splits(recipe.dataset_dir()) if recipe.splits.stratify_by else None
    splits = assign_splits(table, recipe.splits, previous=previous)
    config = recipe.filters.leakage
    leaks = passthrough(table.slice(0, 0))
    if config is not None and config.protected in splits:
        resolved, removed, stats = resolve_leaks(
            splits, config.near, config.protected, config.action
        )
        splits = {name: resolved[name] for name in splits}  # keep the recipe's split order
        leaks = StageResult(table.slice(0, 0), removed, stats)
    get_run_logger().info("splits: %s", {name: t.num_rows for name, t in splits.items()})
    return splits, leaks


@stage
def build_search_index(
    recipe: Recipe, splits: dict[str, pa.Table], table: pa.Table, vectors: np.ndarray
) -> tuple[Any, pa.Table, dict]:
    """Index the published rows, reusing the vectors computed for `table`."""
    rows = pa.concat_tables(
        [
            t.append_column("split", pa.array([name] * t.num_rows, pa.string()))
            for name, t in splits.items()
        ]
    )
    rows = rows.select([c for c in INDEX_ROW_COLUMNS if c in rows.column_names])
    positions = pc.index_in(rows["id"], value_set=table["id"]).to_numpy(zero_copy_only=False)
    index, info = build_index(vectors[positions], recipe.index, seed=recipe.splits.seed)
    get_run_logger().info("index: %s over %d rows", info.get("factory"), rows.num_rows)
    return index, rows, info


@stage
def plan(recipe: Recipe, splits: dict[str, pa.Table]) -> ReleasePlan:
    sources = [s.resolved_name() for s in recipe.sources]
    return plan_release(recipe.dataset_dir(), splits, sources, forced=recipe.publish.version)


@stage
def make_card(
    recipe: Recipe,
    release: ReleasePlan,
    loaded: LoadResult,
    splits: dict[str, pa.Table],
    stats: dict[str, Any],
    curation_sections: dict[str, str],
    changelog: str,
) -> CardContext:
    """Gather what the card states; the files are written into the version by `publish`."""
    first = next((t for t in splits.values() if t.num_rows), None)
    return CardContext(
        name=recipe.name,
        version=release.version,
        description=recipe.description,
        sources=[
            SourceSummary(
                name=s.resolved_name(),
                path=s.path,
                license=s.license,
                rows_read=loaded.per_source[s.resolved_name()]["rows_read"],
                rows_unreadable=loaded.per_source[s.resolved_name()]["rows_unreadable"],
                rows_published=stats["published_per_source"].get(s.resolved_name(), 0),
            )
            for s in recipe.sources
        ],
        splits=stats["rows_per_split"],
        schema=next(iter(splits.values())).schema,
        stats=stats,
        example=first.slice(0, 1).to_pylist()[0] if first is not None else None,
        changelog=changelog,
        curation_sections=curation_sections,
        config=recipe.card,
        filter_configs=recipe.filters.model_dump(mode="json"),
    )


@stage
def publish(
    recipe: Recipe,
    release: ReleasePlan,
    splits: dict[str, pa.Table],
    quarantine: pa.Table,
    filtered: pa.Table,
    index_parts: tuple[Any, pa.Table, dict],
    card: CardContext,
    changelog: str,
    stats: dict[str, Any],
) -> Path:
    """Write the version into a staging directory and rename it into place under the lock."""
    dataset_dir = recipe.dataset_dir()
    index, index_rows, index_info = index_parts

    def write(staging: Path) -> None:
        for name, table in splits.items():
            write_parquet(table, staging / split_path(name))
        write_parquet(quarantine, staging / "quarantine" / "quarantine.parquet")
        write_parquet(filtered, staging / "quarantine" / "filtered.parquet")
        write_index(staging / "index", index, index_rows, index_info)
        write_card_files(staging, card, splits)
        (staging / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
        write_manifest(
            staging,
            {
                "name": recipe.name,
                "version": release.version,
                "parent": release.parent,
                "fingerprint": release.fingerprint,
                "rows": stats["rows_per_split"],
                "stats": stats,
                "schema": {f.name: str(f.type) for f in next(iter(splits.values())).schema},
                "sources": [s.resolved_name() for s in recipe.sources],
                "recipe": recipe.as_recorded(),
                "tools": tool_versions(),
                "index": index_info,
                "flow_run_id": str(flow_run.id) if flow_run.id else None,
            },
        )

    with publish_lock(dataset_dir):
        version_dir = publish_atomically(
            dataset_dir, release.version, write, make_latest=not recipe.publish.require_approval
        )
    if recipe.publish.mirror:
        mirror_version(
            version_dir, recipe.publish.mirror, make_latest=not recipe.publish.require_approval
        )
    return version_dir


@flow(name="curate", log_prints=True)
def curate(recipe_path: str) -> RunSummary:
    """Curate one recipe into a new published version (or report that nothing changed)."""
    recipe = load_recipe(recipe_path)
    licenses = assess_licenses({s.resolved_name(): s.license for s in recipe.sources})
    enforce_license_policy(licenses, recipe.card.fail_on_license_conflict)
    loaded, table, quarantine = load(recipe)
    takedowns, quarantine = honour_takedowns(recipe, table, quarantine)
    pii, quarantine = redact_pii(recipe, takedowns.kept, quarantine)
    quality = filter_quality(recipe, pii.kept)
    language = filter_language(recipe, quality.kept)
    toxicity, audit, audit_markdown = filter_toxicity(recipe, language.kept)
    duplicates = dedup(recipe, toxicity.kept)
    vectors, encoded = embed(recipe, duplicates.kept)
    semantic, vectors = semantic_duplicates(recipe, duplicates.kept, vectors)
    splits, leaks = split(recipe, semantic.kept)
    stages = {
        "takedown": takedowns,
        "pii": pii,
        "quality": quality,
        "language": language,
        "toxicity": toxicity,
        "dedup": duplicates,
        "semantic_dedup": semantic,
        "leakage": leaks,
    }
    filtered = filter_log(stages)
    stats = run_stats(loaded.rows_read, loaded.rows_unreadable, quarantine, filtered, splits)
    stats["stages"] = {name: result.stats for name, result in stages.items()}
    stats["bias_audit"] = audit
    stats["splits"] = split_stats(splits, recipe.splits)
    release = plan(recipe, splits)
    dataset_dir = recipe.dataset_dir()
    if release.unchanged:
        get_run_logger().info("no change since %s; nothing published", release.version)
        return RunSummary(recipe.name, release.version, dataset_dir / release.version, True, stats)
    index, index_rows, index_info = build_search_index(recipe, splits, semantic.kept, vectors)
    index_info["encoded"] = encoded
    changelog = render_changelog(recipe.name, release, stats)
    sections = curation_sections(stats, audit_markdown)
    card = make_card(recipe, release, loaded, splits, stats, sections, changelog)
    version_dir = publish(
        recipe,
        release,
        splits,
        quarantine,
        filtered,
        (index, index_rows, index_info),
        card,
        changelog,
        stats,
    )
    create_markdown_artifact(
        key=f"card-{recipe.name}".lower(),
        markdown=card_summary(card),
        description=f"Dataset card of {recipe.name} {release.version}",
    )
    return RunSummary(recipe.name, release.version, version_dir, False, stats)


def curation_sections(stats: dict[str, Any], audit_markdown: str) -> dict[str, str]:
    """Card sections per filter, built from the stages' own statistics."""
    stages = stats["stages"]
    entities = stages["pii"].get("entities", {})
    pii = "\n".join(
        ["| entity | occurrences |", "| --- | ---: |"]
        + [f"| {name} | {count} |" for name, count in sorted(entities.items())]
    )
    sections = {"PII": f"Detected personal data, by entity type (values are never shown):\n\n{pii}"}
    if audit_markdown:
        sections["Toxicity bias audit"] = audit_markdown
    dedup = stages["dedup"]
    sections["Deduplication"] = (
        f"Exact duplicates removed: {dedup.get('exact', 0)}; "
        f"near duplicates removed: {dedup.get('near', 0)}."
    )
    return sections
