"""What goes into one version: Parquet splits, quarantine, manifest and changelog."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from publish.store import MANIFEST, bump_version, latest_version, read_manifest, sha256_file

PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True}


def split_path(split: str) -> str:
    """Hub naming, so `load_dataset` and the dataset viewer find the splits without config."""
    return f"data/{split}-00000-of-00001.parquet"


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **PARQUET_OPTIONS)


def table_schema(table: pa.Table) -> dict[str, str]:
    return {f.name: str(f.type) for f in table.schema}


def data_fingerprint(splits: dict[str, pa.Table]) -> str:
    """A fingerprint of the published rows: the same rows in the same order give the same value."""
    digest = hashlib.sha256()
    for name in sorted(splits):
        sink = pa.BufferOutputStream()
        pq.write_table(splits[name], sink, **PARQUET_OPTIONS)
        digest.update(name.encode() + b"\0" + hashlib.sha256(sink.getvalue()).digest())
    return digest.hexdigest()


@dataclass
class ReleasePlan:
    """The version a run will publish, decided against the current `latest`."""

    version: str
    parent: str | None
    fingerprint: str
    unchanged: bool
    changes: dict[str, dict[str, int]] = field(default_factory=dict)


def plan_release(
    dataset_dir: Path, splits: dict[str, pa.Table], sources: list[str], forced: str | None = None
) -> ReleasePlan:
    """Pick the next version and count rows added and removed per split against the parent."""
    fingerprint = data_fingerprint(splits)
    parent = latest_version(dataset_dir)
    previous = read_manifest(dataset_dir / parent) if parent else None
    unchanged = previous is not None and previous["fingerprint"] == fingerprint and not forced
    schema = table_schema(next(iter(splits.values())))
    version = parent if unchanged else forced or bump_version(previous, schema, sources)
    changes = {}
    for name, table in splits.items():
        new_ids = set(table["id"].to_pylist())
        old_ids = _parent_ids(dataset_dir / parent, name) if parent else set()
        changes[name] = {
            "rows": table.num_rows,
            "added": len(new_ids - old_ids),
            "removed": len(old_ids - new_ids),
        }
    return ReleasePlan(version, None if unchanged else parent, fingerprint, unchanged, changes)


def _parent_ids(version_dir: Path, split: str) -> set[str]:
    path = version_dir / split_path(split)
    return set(pq.read_table(path, columns=["id"])["id"].to_pylist()) if path.exists() else set()


def render_changelog(name: str, plan: ReleasePlan, stats: dict[str, Any]) -> str:
    lines = [f"# {name} {plan.version}", ""]
    lines.append(f"Parent version: {plan.parent or 'none (first version)'}")
    lines += ["", "| split | rows | added | removed |", "| --- | ---: | ---: | ---: |"]
    for split, c in plan.changes.items():
        lines.append(f"| {split} | {c['rows']} | {c['added']} | {c['removed']} |")
    lines += ["", "## Rows removed by curation", "", "| reason | rows |", "| --- | ---: |"]
    for reason, count in sorted(stats.get("removed_by_reason", {}).items()):
        lines.append(f"| {reason} | {count} |")
    return "\n".join(lines) + "\n"


def write_manifest(version_dir: Path, manifest: dict[str, Any]) -> None:
    """List every file with its sha256 and size; the manifest itself is written last."""
    files = {}
    for path in sorted(version_dir.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            relative = path.relative_to(version_dir).as_posix()
            files[relative] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    body = {**manifest, "files": files}
    (version_dir / MANIFEST).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
