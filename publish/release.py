"""What goes into one version: Parquet splits, quarantine, manifest and changelog."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from publish.splits import SPLIT_FILE_SUFFIX
from publish.store import (
    MANIFEST,
    bump_version,
    newest_version,
    publish_atomically,
    publish_lock,
    read_manifest,
    resolve_version,
    sha256_file,
)

PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True}
MANIFEST_FORMAT = 2
WRITE_CHUNK_BYTES = 1 << 20
QUEUED_CHUNKS = 32
SYNC_EVERY_BYTES = 8 << 20


def split_path(split: str) -> str:
    """Hub naming, so `load_dataset` and the dataset viewer find the splits without config."""
    return f"data/{split}{SPLIT_FILE_SUFFIX}"


class DigestSink:
    """A write-only file for Arrow writers that only feeds a digest (nothing touches disk)."""

    def __init__(self, digest: Any) -> None:
        self.digest = digest
        self.closed = False

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


@dataclass(frozen=True)
class FileDigest:
    """sha256 and size of a file, taken from the bytes as they were written."""

    sha256: str
    bytes: int


class HashingFile:
    """A write-only file for Arrow writers whose chunks a worker thread writes, hashes and syncs.

    Publishing needs every file's sha256 and every file on the device before the rename. Done
    after the write, both wait for the whole file (a second read and a long fsync); done here,
    they run beside the Parquet encoding (file writes, sha256 and fdatasync release the GIL),
    and the fsync before the rename finds at most `SYNC_EVERY_BYTES` per file left to write.
    """

    def __init__(self, path: Path) -> None:
        self.closed = False
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._digest = hashlib.sha256()
        self._size = 0
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_CHUNKS)
        self._error: Exception | None = None
        self._worker = threading.Thread(target=self._drain, name=f"write {path.name}")
        self._worker.start()

    def write(self, data: bytes) -> int:
        if self._error is not None:
            raise self._error
        self._chunks.put(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: chunks reach the file in order, and `close` waits for all of them."""

    def close(self) -> None:
        """Wait for the worker and close the file; raise the first error it met (disk full...)."""
        if self.closed:
            return
        self.closed = True
        self._chunks.put(None)
        self._worker.join()
        self._file.close()
        if self._error is not None:
            raise self._error

    def digest(self) -> FileDigest:
        if not self.closed or self._error is not None:
            raise RuntimeError(f"{self._file.name}: not completely written")
        return FileDigest(self._digest.hexdigest(), self._size)

    def _drain(self) -> None:
        """Write, hash and periodically sync chunks; after an error, only keep the queue moving."""
        unsynced = 0
        while (chunk := self._chunks.get()) is not None:
            if self._error is not None:
                continue
            try:
                self._file.write(chunk)
                self._digest.update(chunk)
                self._size += len(chunk)
                unsynced += len(chunk)
                if unsynced >= SYNC_EVERY_BYTES:
                    self._file.flush()
                    os.fdatasync(self._file.fileno())
                    unsynced = 0
            except Exception as error:  # kept for the writer: a dead worker would block put()
                self._error = error


def written_sha256(
    version_dir: Path, relative: str, written: dict[str, FileDigest] | None = None
) -> str:
    """sha256 of a file of the version: its digest from `write_parquet` when `written` has one
    for a file of that size (no second read), else read from disk."""
    path = version_dir / relative
    known = (written or {}).get(relative)
    if known is not None and known.bytes == path.stat().st_size:
        return known.sha256
    return sha256_file(path)


def write_parquet(table: pa.Table, path: Path) -> FileDigest:
    """Write `table` with the published Parquet options; return the sha256 and size written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sink = HashingFile(path)
    try:
        stream = pa.BufferedOutputStream(pa.PythonFile(sink, mode="w"), WRITE_CHUNK_BYTES)
        pq.write_table(table, stream, **PARQUET_OPTIONS)
        stream.close()  # writes the last chunk, then closes the sink
    finally:
        sink.close()
    return sink.digest()


def table_schema(table: pa.Table) -> dict[str, str]:
    return {f.name: str(f.type) for f in table.schema}


def data_fingerprint(splits: dict[str, pa.Table]) -> str:
    """A fingerprint of the published rows: the same rows in the same order give the same value.

    It hashes the Arrow IPC stream with xxh3-128 (change detection, not a security checksum;
    the manifest's sha256 values are those), so it costs a fraction of writing Parquet.
    """
    digest = hashlib.sha256()
    for name in sorted(splits):
        table = splits[name]
        split_digest = xxhash.xxh3_128()
        sink = pa.PythonFile(DigestSink(split_digest), mode="w")
        with pa.ipc.new_stream(sink, table.schema) as writer:
            for batch in table.to_batches():
                writer.write_batch(batch)
        digest.update(name.encode() + b"\0" + split_digest.digest())
    return digest.hexdigest()


@dataclass
class ReleasePlan:
    """The version a run will publish, decided against the newest published version."""

    version: str
    parent: str | None
    fingerprint: str
    unchanged: bool
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    schema_changes: dict[str, Any] = field(default_factory=dict)
    parent_removed_by_reason: dict[str, int] = field(default_factory=dict)


def plan_release(
    dataset_dir: Path, splits: dict[str, pa.Table], sources: list[str], forced: str | None = None
) -> ReleasePlan:
    """Pick the next version and count rows added and removed per split against the parent."""
    plan = plan_version(dataset_dir, splits, sources, forced)
    plan.changes = count_row_changes(dataset_dir, splits)
    return plan


def plan_version(
    dataset_dir: Path, splits: dict[str, pa.Table], sources: list[str], forced: str | None = None
) -> ReleasePlan:
    """`plan_release` without the row counts: what must be known before anything is written."""
    fingerprint = data_fingerprint(splits)
    parent = newest_version(dataset_dir)
    previous = read_manifest(dataset_dir / parent) if parent else None
    unchanged = previous is not None and previous["fingerprint"] == fingerprint and not forced
    schema = table_schema(next(iter(splits.values())))
    version = parent if unchanged else forced or bump_version(previous, schema, sources)
    return ReleasePlan(
        version=version,
        parent=None if unchanged else parent,
        fingerprint=fingerprint,
        unchanged=unchanged,
        schema_changes=schema_changes(previous["schema"] if previous else {}, schema),
        parent_removed_by_reason=(previous or {}).get("stats", {}).get("removed_by_reason", {}),
    )


def count_row_changes(dataset_dir: Path, splits: dict[str, pa.Table]) -> dict[str, dict[str, int]]:
    """Rows, rows added and rows removed per split against the newest published version."""
    parent = newest_version(dataset_dir)
    return {
        name: row_changes(table["id"], _split_ids(dataset_dir / parent, name) if parent else None)
        for name, table in splits.items()
    }


def row_changes(new_ids: pa.ChunkedArray, old_ids: pa.Array | None) -> dict[str, int]:
    """Rows, rows added and rows removed, by id (ids are unique within a dataset)."""
    if old_ids is None or len(old_ids) == 0:
        return {"rows": len(new_ids), "added": len(new_ids), "removed": 0}
    kept = pc.sum(pc.is_in(new_ids, value_set=old_ids)).as_py() or 0
    return {"rows": len(new_ids), "added": len(new_ids) - kept, "removed": len(old_ids) - kept}


def schema_changes(old: dict[str, str], new: dict[str, str]) -> dict[str, Any]:
    """Columns added, removed and retyped between two schemas (`{column: type}`)."""
    return {
        "added": {c: t for c, t in new.items() if c not in old},
        "removed": {c: t for c, t in old.items() if c not in new},
        "retyped": {c: [old[c], t] for c, t in new.items() if c in old and old[c] != t},
    }


def filter_count_changes(old: dict[str, int], new: dict[str, int]) -> dict[str, dict[str, int]]:
    """Rows removed per reason now, before, and the difference."""
    return {
        reason: {"rows": new.get(reason, 0), "parent": old.get(reason, 0)}
        for reason in sorted(set(old) | set(new))
    }


def _split_ids(version_dir: Path, split: str) -> pa.Array | None:
    path = version_dir / split_path(split)
    return pq.read_table(path, columns=["id"])["id"].combine_chunks() if path.exists() else None


def render_changelog(name: str, plan: ReleasePlan, stats: dict[str, Any]) -> str:
    """The version's CHANGELOG.md: row, schema and filter-count changes against the parent.

    Takedowns appear as the `takedown` reason: a count, never the matched values.
    """
    lines = [f"# {name} {plan.version}", ""]
    lines.append(f"Parent version: {plan.parent or 'none (first version)'}")
    lines += _row_change_lines(plan.changes)
    lines += _schema_change_lines(plan.schema_changes if plan.parent else {})
    removed = stats.get("removed_by_reason", {})
    lines += _filter_change_lines(filter_count_changes(plan.parent_removed_by_reason, removed))
    return "\n".join(lines) + "\n"


def _row_change_lines(changes: dict[str, dict[str, int]]) -> list[str]:
    lines = ["", "## Rows per split", ""]
    lines += ["| split | rows | added | removed |", "| --- | ---: | ---: | ---: |"]
    for split, c in changes.items():
        lines.append(f"| {split} | {c['rows']} | {c['added']} | {c['removed']} |")
    return lines


def _schema_change_lines(changes: dict[str, Any]) -> list[str]:
    lines = ["", "## Schema changes", ""]
    rows = [f"| {c} | added | {t} |" for c, t in changes.get("added", {}).items()]
    rows += [f"| {c} | removed | {t} |" for c, t in changes.get("removed", {}).items()]
    rows += [f"| {c} | retyped | {a} → {b} |" for c, (a, b) in changes.get("retyped", {}).items()]
    if not rows:
        return [*lines, "None."]
    return [*lines, "| column | change | type |", "| --- | --- | --- |", *rows]


def _filter_change_lines(changes: dict[str, dict[str, int]]) -> list[str]:
    lines = ["", "## Rows removed by curation", ""]
    if not changes:
        return [*lines, "None."]
    lines += ["| reason | rows | parent | change |", "| --- | ---: | ---: | ---: |"]
    for reason, c in changes.items():
        lines.append(f"| {reason} | {c['rows']} | {c['parent']} | {c['rows'] - c['parent']:+d} |")
    return lines


def diff_versions(dataset_dir: Path, old: str, new: str) -> dict[str, Any]:
    """What changed from version `old` to version `new`: rows per split, schema, filter counts."""
    old_dir, new_dir = resolve_version(dataset_dir, old), resolve_version(dataset_dir, new)
    old_manifest, new_manifest = read_manifest(old_dir), read_manifest(new_dir)
    splits = list(dict.fromkeys([*new_manifest.get("rows", {}), *old_manifest.get("rows", {})]))
    rows = {}
    for split in splits:
        new_ids = _split_ids(new_dir, split)
        new_ids = new_ids if new_ids is not None else pa.array([], pa.string())
        rows[split] = row_changes(pa.chunked_array([new_ids]), _split_ids(old_dir, split))
    return {
        "from": old_dir.name,
        "to": new_dir.name,
        "rows": rows,
        "schema": schema_changes(old_manifest["schema"], new_manifest["schema"]),
        "removed_by_reason": filter_count_changes(
            old_manifest.get("stats", {}).get("removed_by_reason", {}),
            new_manifest.get("stats", {}).get("removed_by_reason", {}),
        ),
        "fingerprint_changed": old_manifest["fingerprint"] != new_manifest["fingerprint"],
    }


def render_diff(diff: dict[str, Any]) -> str:
    lines = [f"{diff['from']} → {diff['to']}"]
    lines += _row_change_lines(diff["rows"])
    lines += _schema_change_lines(diff["schema"])
    lines += _filter_change_lines(diff["removed_by_reason"])
    return "\n".join(lines) + "\n"


def write_manifest(
    version_dir: Path, manifest: dict[str, Any], written: dict[str, FileDigest] | None = None
) -> None:
    """List every file with its sha256 and size; the manifest itself is written last.

    `written` (relative path -> digest from `write_parquet`) spares reading those files again.
    """
    files = {}
    for path in sorted(version_dir.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            relative = path.relative_to(version_dir).as_posix()
            files[relative] = {
                "sha256": written_sha256(version_dir, relative, written),
                "bytes": path.stat().st_size,
            }
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body = {"manifest_format": MANIFEST_FORMAT, "created": created, **manifest, "files": files}
    (version_dir / MANIFEST).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")


def publish_splits(
    dataset_dir: Path,
    splits: dict[str, pa.Table],
    sources: list[str],
    stats: dict[str, Any] | None = None,
    manifest: dict[str, Any] | None = None,
    make_latest: bool = True,
    extra_tables: dict[str, pa.Table] | None = None,
) -> tuple[ReleasePlan, Path]:
    """Plan and publish a version holding the splits, changelog, manifest and `extra_tables`
    (relative path -> table, for example `quarantine/filtered.parquet`).

    The same steps as the flow's publish task, without card and index: for scripts, benches
    and tests. An unchanged dataset publishes nothing and returns the existing version. Rows
    added and removed are only needed for the changelog, so they are counted in a thread while
    the Parquet files are written (Arrow's kernels release the GIL).
    """
    stats = {"rows_per_split": {n: t.num_rows for n, t in splits.items()}, **(stats or {})}
    with publish_lock(dataset_dir), ThreadPoolExecutor(max_workers=1) as pool:
        plan = plan_version(dataset_dir, splits, sources)
        counting = pool.submit(count_row_changes, dataset_dir, splits)
        if plan.unchanged:
            plan.changes = counting.result()
            return plan, dataset_dir / plan.version

        def write(staging: Path) -> None:
            tables = {split_path(name): table for name, table in splits.items()}
            written = {
                relative: write_parquet(table, staging / relative)
                for relative, table in {**tables, **(extra_tables or {})}.items()
            }
            plan.changes = counting.result()
            changelog = render_changelog(dataset_dir.name, plan, stats)
            (staging / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
            body = {
                "name": dataset_dir.name,
                "version": plan.version,
                "parent": plan.parent,
                "fingerprint": plan.fingerprint,
                "rows": stats["rows_per_split"],
                "stats": stats,
                "schema": table_schema(next(iter(splits.values()))),
                "sources": sources,
            }
            write_manifest(staging, {**body, **(manifest or {})}, written)

        return plan, publish_atomically(dataset_dir, plan.version, write, make_latest)
