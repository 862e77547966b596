"""The `curate` flow: load → PII → quality → language → toxicity → takedowns → dedup → embed
→ semantic dedup → split + leakage check → index → card → publish.

Each task calls one plain function from loaders/, filters/, publish/, indexes/ or cards/, so
every step is testable without Prefect. The flow adds logging, artifacts and orchestration.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import State
from prefect.tasks import exponential_backoff
from tqdm.auto import tqdm

from cards import CardContext
from cards.card import SourceSummary, card_summary
from cards.duplicates import duplicates_markdown
from cards.files import write_card_files
from cards.licenses import assess_licenses, enforce_license_policy
from curate.accounting import filter_log, run_stats
from curate.recipe import Recipe, load_recipe
from curate.versions import tool_versions
from filters.base import StageResult
from filters.dedup import DedupConfig, deduplicate, semantic_dedup
from filters.language import LanguageConfig, apply_language, release_language_models
from filters.leakage import resolve_leaks
from filters.pii import PiiConfig, apply_pii, build_detector, redact_texts
from filters.quality import QualityConfig, apply_quality
from filters.toxicity import ToxicityConfig, apply_toxicity, load_scorer, run_bias_audit
from flows.artifacts import post_run_artifacts
from flows.caching import StageInputs, files_digest, result_storage
from flows.shards import RunnerConfig, build_task_runner, merge_loads, merge_results, row_blocks
from indexes import Embedder, IndexConfig, build_index, write_index
from indexes.embed import render_texts, text_keys
from loaders import LoadResult, SourceConfig, load_source
from loaders.sources import expand_paths
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

# Stages whose result depends only on their inputs are persisted and keyed by those inputs, so a
# rerun after a crash skips them. Stages that read the published dataset's state are not.
cached_stage = task(cache_policy=StageInputs(), persist_result=True)
stage = task(cache_policy=NO_CACHE)
# I/O that may fail for a while (URL fetches, object storage): retry with growing delays.
IO_RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=5),
    "retry_jitter_factor": 0.5,
}
INDEX_ROW_COLUMNS = ["id", "split", "source", "source_name", "license", "language"]


@dataclass
class RunSummary:
    """What a run did, for the CLI and for callers of the flow."""

    name: str
    version: str
    version_dir: Path
    unchanged: bool
    stats: dict[str, Any]
    cached_stages: list[str] = field(default_factory=list)


def passthrough(table: pa.Table) -> StageResult:
    """The result of a stage the recipe switched off: every row kept."""
    return StageResult(table, table.schema.empty_table())


def settled(result: StageResult) -> StageResult:
    """The stage's removed rows and statistics, without the kept rows the next stage has taken."""
    return StageResult(result.kept.schema.empty_table(), result.removed, result.stats)


def log_stage(name: str, rows_in: int, removed: int, shards: int = 1, cached: int = 0) -> None:
    """One structured line per stage: key=value pairs that log search can filter on."""
    get_run_logger().info(
        "stage=%s rows_in=%d rows_kept=%d rows_removed=%d shards=%d cached_shards=%d",
        name,
        rows_in,
        rows_in - removed,
        removed,
        shards,
        cached,
    )


@task(cache_policy=StageInputs(), persist_result=True, **IO_RETRIES)
def load(source: SourceConfig, base_dir: Path, content_digest: str) -> LoadResult:
    """Read one source (`content_digest` keys the cache on the bytes of its files)."""
    return load_source(source, base_dir)


@stage
def validate(loaded: LoadResult, max_text_chars: int) -> tuple[pa.Table, pa.Table]:
    """Valid rows and the quarantine (unreadable plus invalid rows); ids are checked globally."""
    valid, invalid = validate_rows(loaded.table, max_text_chars)
    quarantine = pa.concat_tables([loaded.quarantine, invalid])
    get_run_logger().info(
        "stage=load rows_read=%d rows_unreadable=%d rows_invalid=%d",
        loaded.rows_read,
        loaded.rows_unreadable,
        invalid.num_rows,
    )
    return valid, quarantine


_idle_detectors: dict[str, list[Any]] = {}
_idle_detectors_lock = threading.Lock()


@contextmanager
def pii_detector(config: PiiConfig) -> Iterator[Any]:
    """A PII detector no other thread uses meanwhile: spaCy loads once per concurrent task,
    and `release_row_stage_models` frees them all once the per-row stages are over."""
    key = config.model_dump_json()
    with _idle_detectors_lock:
        idle = _idle_detectors.get(key)
        detector = idle.pop() if idle else None
    if detector is None:
        detector = build_detector(config)
    try:
        yield detector
    finally:
        with _idle_detectors_lock:
            _idle_detectors.setdefault(key, []).append(detector)


def release_row_stage_models() -> None:
    """Free the PII detectors (~0.4 GB each, one per thread that ran the stage) and lingua's
    models before embedding, so that they never share the peak with the encoder and the index."""
    with _idle_detectors_lock:
        _idle_detectors.clear()
    release_language_models()
    return_free_memory()


def return_free_memory() -> None:
    """Hand freed memory back to the OS. glibc and Arrow's allocator keep it for reuse, so
    without this a run's peak is the sum of what every earlier stage left behind."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@cached_stage
def redact_pii(config: PiiConfig | None, rows: StageResult, salt: str) -> StageResult:
    """Redact (or drop) PII in one shard of rows."""
    if config is None:
        return passthrough(rows.kept)
    with pii_detector(config) as detector:
        return apply_pii(rows.kept, config, detector=detector, salt=salt)


@cached_stage
def redact_quarantine(config: PiiConfig | None, quarantine: pa.Table, salt: str) -> pa.Table:
    """Quarantined raw text is published too, so its PII is redacted as well."""
    if config is None:
        return quarantine
    texts = quarantine["text"].to_pylist()
    with pii_detector(config) as detector:
        scrubbed = redact_texts(texts, config, detector=detector, salt=salt)
    return quarantine.set_column(
        quarantine.schema.get_field_index("text"), "text", pa.array(scrubbed, pa.string())
    )


@cached_stage
def filter_quality(config: QualityConfig | None, rows: StageResult) -> StageResult:
    return passthrough(rows.kept) if config is None else apply_quality(rows.kept, config)


@cached_stage
def filter_language(config: LanguageConfig | None, rows: StageResult) -> StageResult:
    return passthrough(rows.kept) if config is None else apply_language(rows.kept, config)


@cached_stage
def filter_toxicity(config: ToxicityConfig | None, rows: StageResult) -> StageResult:
    if config is None:
        return passthrough(rows.kept)
    return apply_toxicity(rows.kept, config, scorer=load_scorer(config))


@cached_stage
def audit_toxicity(config: ToxicityConfig | None) -> tuple[dict[str, Any], str]:
    """The scorer's bias on identity groups, for the card."""
    if config is None:
        return {}, ""
    audit = run_bias_audit(config, scorer=load_scorer(config))
    return audit.to_dict(), audit.to_markdown()


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


@cached_stage
def dedup(config: DedupConfig | None, table: pa.Table) -> StageResult:
    return passthrough(table) if config is None else deduplicate(table, config)


@cached_stage
def embed_unit(config: IndexConfig, cache_dir: Path, texts: list[str]) -> int:
    """Embed one unit of distinct texts into the on-disk cache; returns how many were not in
    it. The vectors stay in the cache only: returning them too held a second copy of every
    vector until the last unit finished."""
    embedder = Embedder(config, cache_dir=cache_dir)
    embedder.fill_cache(texts)
    return embedder.encoded_count


def embedding_units(texts: Sequence[str], unit_rows: int) -> list[list[str]]:
    """Distinct texts in digest order, cut every `unit_rows`: the batches `Embedder` would
    encode, fixed whatever the shard count, so vectors are bit-identical however they run."""
    _, first = np.unique(text_keys(texts), return_index=True)
    distinct = [texts[i] for i in first]
    return [distinct[start : start + unit_rows] for start in range(0, len(distinct), unit_rows)]


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
        tables = {split_path(name): table for name, table in splits.items()}
        tables["quarantine/quarantine.parquet"] = quarantine
        tables["quarantine/filtered.parquet"] = filtered
        written = {relative: write_parquet(t, staging / relative) for relative, t in tables.items()}
        write_index(staging / "index", index, index_rows, index_info)
        write_card_files(staging, card, splits, written)
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
            written,
        )

    with publish_lock(dataset_dir):
        return publish_atomically(
            dataset_dir, release.version, write, make_latest=not recipe.publish.require_approval
        )


@task(cache_policy=NO_CACHE, **IO_RETRIES)
def mirror(recipe: Recipe, version_dir: Path) -> str:
    """Upload the published version to object storage; retried, as networks fail for a while
    (the manifest goes up last, so a retry after a partial upload starts over cleanly)."""
    assert recipe.publish.mirror is not None
    url = mirror_version(
        version_dir, recipe.publish.mirror, make_latest=not recipe.publish.require_approval
    )
    get_run_logger().info("mirrored to %s", url)
    return url


@flow(name="curate", log_prints=True)
def curate(recipe_path: str, runner: RunnerConfig | None = None) -> RunSummary:
    """Curate one recipe into a new published version (or report that nothing changed).

    Per-shard stages run on the task runner that `runner` (else the recipe) configures; stage
    results persist beside the dataset, so a rerun after a crash resumes where it stopped.
    """
    recipe = load_recipe(recipe_path)
    config = runner or recipe.runner
    curate_on_runner = curate_version.with_options(
        task_runner=build_task_runner(config),
        result_storage=result_storage(recipe.dataset_dir()),
    )
    return curate_on_runner(recipe_path, config)


class StageTracker:
    """Waits for mapped shard tasks (with a progress bar on a terminal) and notes cache hits."""

    def __init__(self) -> None:
        self.cached: list[str] = []
        self.show_progress = sys.stderr.isatty()

    def gather(self, name: str, futures: Sequence[PrefectFuture[Any]]) -> tuple[list[Any], int]:
        """Results in shard order and how many came from the cache."""
        results, hits = [], 0
        with self._progress(name, len(futures)) as bar:
            for future in futures:
                results.append(future.result())
                hits += future.state.name == "Cached"
                bar.update()
        self._note_cached(name, hits, len(futures))
        return results, hits

    def run_in_turn(
        self, name: str, stage_task: Any, calls: Sequence[tuple[Any, ...]]
    ) -> list[State[Any]]:
        """Run a stage's units one after another in the flow's thread; their final states."""
        states = []
        with self._progress(name, len(calls)) as bar:
            for args in calls:
                states.append(stage_task(*args, return_state=True))
                bar.update()
        self._note_cached(name, sum(s.name == "Cached" for s in states), len(states))
        return states

    def _progress(self, name: str, total: int) -> tqdm:
        return tqdm(total=total, desc=name, unit="shard", disable=not self.show_progress)

    def _note_cached(self, name: str, hits: int, total: int) -> None:
        if total and hits == total:
            self.cached.append(name)

    def run(self, name: str, stage_task: Any, *args: Any) -> Any:
        """Run one global stage in the flow's thread."""
        state = stage_task(*args, return_state=True)
        if state.name == "Cached":
            self.cached.append(name)
        return state.result()


@flow(name="curate-version", log_prints=True)
def curate_version(recipe_path: str, runner: RunnerConfig) -> RunSummary:
    """The stages: mapped over shards where rows are independent, global where they are not."""
    recipe = load_recipe(recipe_path)
    licenses = assess_licenses({s.resolved_name(): s.license for s in recipe.sources})
    enforce_license_policy(licenses, recipe.card.fail_on_license_conflict)
    tracker = StageTracker()
    filters = recipe.filters
    digests = [
        files_digest(expand_paths(s.path, recipe.base_dir, directories=s.resolved_format() == "hf"))
        for s in recipe.sources
    ]
    # Each stage's kept rows are a copy of the dataset: references are dropped (`del`,
    # `settled`) as soon as the next stage has its input, so the copies do not pile up.
    loads, _ = tracker.gather("load", load.map(recipe.sources, unmapped(recipe.base_dir), digests))
    loaded = merge_loads(loads)
    del loads
    table, quarantine = validate(loaded, recipe.limits.max_text_chars)
    loaded = replace(loaded, table=loaded.table.schema.empty_table())  # only its counts are used

    takedowns, quarantine = honour_takedowns(recipe, table, quarantine)
    log_stage("takedown", table.num_rows, takedowns.removed.num_rows)
    del table

    salt = os.environ.get("CURATE_PII_SALT", "")
    rows_in = takedowns.kept.num_rows
    blocks = [
        passthrough(block)
        for block in row_blocks(takedowns.kept, runner.shard_rows, runner.n_workers)
    ]
    takedowns = settled(takedowns)
    pii_futures = redact_pii.map(unmapped(filters.pii), blocks, unmapped(salt))
    del blocks
    quality_futures = filter_quality.map(unmapped(filters.quality), pii_futures)
    language_futures = filter_language.map(unmapped(filters.language), quality_futures)
    toxicity_futures = filter_toxicity.map(unmapped(filters.toxicity), language_futures)
    quarantine = tracker.run("pii_quarantine", redact_quarantine, filters.pii, quarantine, salt)
    audit, audit_markdown = tracker.run("toxicity_audit", audit_toxicity, filters.toxicity)
    per_row: dict[str, StageResult] = {}
    for name, futures in [
        ("pii", pii_futures),
        ("quality", quality_futures),
        ("language", language_futures),
        ("toxicity", toxicity_futures),
    ]:
        parts, hits = tracker.gather(name, futures)
        per_row[name] = merge_results(parts)
        log_stage(name, rows_in, per_row[name].removed.num_rows, len(parts), hits)
        rows_in = per_row[name].kept.num_rows
    del pii_futures, quality_futures, language_futures, toxicity_futures, futures, parts
    get_run_logger().info("pii entities: %s", per_row["pii"].stats.get("entities", {}))
    release_row_stage_models()
    for name in ("pii", "quality", "language"):
        per_row[name] = settled(per_row[name])

    duplicates = tracker.run("dedup", dedup, filters.dedup, per_row["toxicity"].kept)
    log_stage("dedup", rows_in, duplicates.removed.num_rows, cached="dedup" in tracker.cached)
    per_row["toxicity"] = settled(per_row["toxicity"])
    vectors, encoded = embed(recipe, duplicates.kept, tracker, runner)
    return_free_memory()
    semantic, vectors = semantic_duplicates(recipe, duplicates.kept, vectors)
    duplicates = settled(duplicates)
    return_free_memory()
    splits, leaks = split(recipe, semantic.kept)
    return_free_memory()
    stages = {"takedown": takedowns, **per_row, "dedup": duplicates}
    stages |= {"semantic_dedup": semantic, "leakage": leaks}
    filtered = filter_log(stages)
    stats = run_stats(loaded.rows_read, loaded.rows_unreadable, quarantine, filtered, splits)
    stats["stages"] = {name: result.stats for name, result in stages.items()}
    stats["bias_audit"] = audit
    stats["splits"] = split_stats(splits, recipe.splits)
    release = plan(recipe, splits)
    dataset_dir = recipe.dataset_dir()
    if tracker.cached:
        get_run_logger().info("resumed from persisted results: %s", ", ".join(tracker.cached))
    if release.unchanged:
        get_run_logger().info("no change since %s; nothing published", release.version)
        post_run_artifacts(recipe, release.version, loaded, stats, filtered, None)
        version_dir = dataset_dir / release.version
        return RunSummary(recipe.name, release.version, version_dir, True, stats, tracker.cached)
    index, index_rows, index_info = build_search_index(recipe, splits, semantic.kept, vectors)
    index_info["encoded"] = encoded
    changelog = render_changelog(recipe.name, release, stats)
    published = pa.concat_tables([t.select(["id", "text"]) for t in splits.values()])
    sections = curation_sections(stats, audit_markdown, filtered, published)
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
    if recipe.publish.mirror:
        mirror(recipe, version_dir)
    post_run_artifacts(recipe, release.version, loaded, stats, filtered, card_summary(card))
    return RunSummary(recipe.name, release.version, version_dir, False, stats, tracker.cached)


def embed(
    recipe: Recipe, table: pa.Table, tracker: StageTracker, runner: RunnerConfig
) -> tuple[np.ndarray, int]:
    """Embed every candidate row once, in fixed units; the on-disk cache makes unchanged rows
    free in later versions. Returns the vectors and how many were encoded.

    With Dask the units are mapped over the workers, each with its own model. With threads
    they run in turn on the flow's own thread: a process encodes with one model under one lock,
    so pool threads would only queue for it (bench/embed_thread.py: the thread that encodes
    makes no difference to speed)."""
    texts = render_texts(table, recipe.index.template)
    units = embedding_units(texts, recipe.index.cache_chunk_rows)
    get_run_logger().info("stage=embed started rows=%d units=%d", table.num_rows, len(units))
    cache_dir = recipe.dataset_dir() / ".embedding-cache"
    # Holds the on-disk cache open, so that units share it instead of each reading it.
    holder = Embedder(recipe.index, cache_dir=cache_dir)
    if runner.kind == "threads":
        calls = [(recipe.index, cache_dir, unit) for unit in units]
        states = tracker.run_in_turn("embed", embed_unit, calls)
        counts = [state.result() for state in states]
    else:
        futures = embed_unit.map(unmapped(recipe.index), unmapped(cache_dir), units)
        counts, _ = tracker.gather("embed", futures)
        states = [future.state for future in futures]
    # A unit restored from the persisted results encoded nothing in this run.
    encoded = sum(
        0 if state.name == "Cached" else count for state, count in zip(states, counts, strict=True)
    )
    holder.cache.refresh()  # units on Dask workers wrote their shards from other processes
    vectors = holder.embed_texts(texts)
    get_run_logger().info("stage=embed rows=%d units=%d", table.num_rows, len(units))
    return vectors, encoded


def curation_sections(
    stats: dict[str, Any], audit_markdown: str, filtered: pa.Table, published: pa.Table
) -> dict[str, str]:
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
    sections["Deduplication"] = duplicates_markdown(filtered, published)
    return sections
