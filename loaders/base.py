"""Shared pieces of every loader: the row schema, quarantine entries and stable row ids."""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.ipc as ipc

from loaders.cache_file import DirectWriter, read_mapped

CORE_COLUMNS = ("id", "text", "source", "source_name", "license")

QUARANTINE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("source_name", pa.string()),
        ("license", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("text", pa.string()),
    ]
)

# Quarantined raw content is kept for repair, bounded so one huge bad row cannot bloat a version.
QUARANTINE_TEXT_CHARS = 2000
T = TypeVar("T")
QUEUED_BATCHES = 2  # spooled batches waiting for the writer thread, at most


@dataclass
class QuarantineLog:
    """Collects rows that could not be read or are not valid rows, each with a reason code."""

    source_name: str
    license: str
    rows: list[dict[str, str | None]] = field(default_factory=list)

    def add(self, source: str, reason: str, detail: str, text: str = "", row_id: str | None = None):
        self.rows.append(
            {
                "id": row_id,
                "source": source,
                "source_name": self.source_name,
                "license": self.license,
                "reason": reason,
                "detail": detail,
                "text": text[:QUARANTINE_TEXT_CHARS],
            }
        )

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=QUARANTINE_SCHEMA)


@dataclass
class LoadResult:
    """Rows read from one or more sources, plus what could not be read."""

    table: pa.Table
    quarantine: pa.Table
    rows_read: int
    rows_unreadable: int
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)


def content_id(source_name: str, text: str) -> str:
    """A stable id for rows without an id column: the same text in the same source, the same id."""
    return hashlib.sha256(f"{source_name}\0{text}".encode()).hexdigest()[:20]


def decode_strict(raw: bytes) -> tuple[str | None, str]:
    """Decode UTF-8 (with or without BOM); on failure return None and a reason naming the byte."""
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError as err:
        return None, f"invalid UTF-8 byte 0x{raw[err.start]:02x} at column {err.start + 1}"


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """`items`, produced by a background thread at most `depth` ahead of the consumer.

    The CSV reader's parse (pyarrow and numpy release the GIL) then runs beside the caller's
    per-block work and spool writes. Items and any exception arrive in order; when the
    consumer stops early, the producer stops at its next item and closes `items`.
    """
    handoff: queue.Queue[tuple[bool, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                handoff.put((True, item))
            handoff.put((False, None))
        except BaseException as error:  # re-raised in the consumer, in order
            handoff.put((False, error))
        finally:
            getattr(items, "close", lambda: None)()

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            more, item = handoff.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.05)
        thread.join()


class SpoolError(RuntimeError):
    """The cache file could not be written (e.g. a full disk): the load fails as a whole, since
    no input file is at fault."""


class TableSpool:
    """Writes row batches to Arrow IPC files so a source larger than memory stays on disk.

    A background thread does the writing (Arrow releases the GIL for it), so the next block is
    parsed while the last one is written; the queue holds at most `QUEUED_BATCHES` tables, which
    keeps memory bounded. Each schema change starts a new part file. `finish` reads the parts
    back memory-mapped and unlinks the files at once: the mapping keeps the data readable, and
    nothing is left behind.
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = Path(cache_dir or tempfile.gettempdir())
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._paths: list[Path] = []
        self._file: DirectWriter | None = None
        self._writer: ipc.RecordBatchFileWriter | None = None
        self._schema: pa.Schema | None = None
        self._queue: queue.Queue[pa.Table | None] = queue.Queue(QUEUED_BATCHES)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Queue a batch; a failed earlier write raises `SpoolError` here and in `finish`."""
        self._raise_error()
        if table.num_rows == 0:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._drain, name="table-spool", daemon=True)
            self._thread.start()
        self._queue.put(table)
        self.rows += table.num_rows

    def finish(self) -> list[pa.Table]:
        """The written parts, memory-mapped, in write order."""
        self._stop()
        self._raise_error()
        parts = []
        try:
            for path in self._paths:
                parts.append(read_mapped(path))
        finally:
            self.discard()
        return parts

    def discard(self) -> None:
        self._stop()
        for path in self._paths:
            path.unlink(missing_ok=True)
        self._paths = []

    def _drain(self) -> None:
        while (table := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking batches so that `write` never blocks on a dead writer
            try:
                self._write_now(table)
            except BaseException as error:  # re-raised in the loading thread
                self._error = error
        self._close_part()

    def _write_now(self, table: pa.Table) -> None:
        if self._writer is None or not table.schema.equals(self._schema):
            self._close_part()
            # A new name, not a `mkstemp` file: reopening that one truncates it, and ext4 then
            # pushes the whole file to disk when it is closed (auto_da_alloc), in our thread.
            path = self.cache_dir / f"curate-load-{uuid.uuid4().hex}.arrow"
            self._paths.append(path)
            self._file = DirectWriter(path)
            self._writer = ipc.new_file(self._file, table.schema)
            self._schema = table.schema
        self._writer.write_table(table)

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._close_part()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise SpoolError(f"writing the load cache failed: {self._error}") from self._error

    def _close_part(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                self._file.close()
                self._writer = None


def unify_tables(tables: list[pa.Table]) -> pa.Table | None:
    """Concatenate tables whose columns differ: missing columns become nulls, and a column with
    conflicting types becomes float64 (int/float mix) or string (anything else)."""
    if not tables:
        return None
    if all(t.schema.equals(tables[0].schema) for t in tables):
        return pa.concat_tables(tables)
    types: dict[str, list[pa.DataType]] = {}
    for table in tables:
        for schema_field in table.schema:
            types.setdefault(schema_field.name, []).append(schema_field.type)
    target = pa.schema([(name, _common_type(name, kinds)) for name, kinds in types.items()])
    aligned = []
    for table in tables:
        columns = []
        for schema_field in target:
            if schema_field.name in table.column_names:
                columns.append(_cast(table[schema_field.name], schema_field.type))
            else:
                columns.append(pa.nulls(table.num_rows, schema_field.type))
        aligned.append(pa.table(columns, schema=target))
    return pa.concat_tables(aligned)


def _common_type(name: str, kinds: list[pa.DataType]) -> pa.DataType:
    distinct = {kind for kind in kinds if not pa.types.is_null(kind)}
    if name in CORE_COLUMNS or not distinct:
        return pa.string()
    if len(distinct) == 1:
        return distinct.pop()
    if all(pa.types.is_integer(k) or pa.types.is_floating(k) for k in distinct):
        return pa.float64()
    return pa.string()


def _cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if column.type.equals(target):
        return column
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()]
        return pa.chunked_array([pa.array(values, pa.string())])
