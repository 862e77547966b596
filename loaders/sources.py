"""Recipe sources: resolve globs, read each file in bounded blocks, spool rows to Arrow files.

Columnar input (CSV/TSV, Parquet, Arrow, Hugging Face datasets) stays in Arrow from parse to
cache file; row-by-row input (JSON, web pages) is buffered into batches. Either way rows go to
IPC cache files as they are read, so memory stays bounded by the block size, and the result is
a memory-mapped table.
"""

from __future__ import annotations

import glob
import hashlib
import json
import string
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import zstandard
from pydantic import BaseModel, ConfigDict, Field, model_validator

from loaders.base import (
    CORE_COLUMNS,
    LoadResult,
    QuarantineLog,
    TableSpool,
    content_id,
    prefetch,
    unify_tables,
)
from loaders.csv_reader import CsvReader
from loaders.limits import InputError, InputLimits
from loaders.records import Record, read_json_array, read_jsonl
from loaders.web import FetchConfig, read_html_page, read_url_list, read_warc

Format = Literal["csv", "tsv", "jsonl", "json", "html", "warc", "urls", "parquet", "arrow", "hf"]
CastType = Literal["string", "int64", "float64", "bool", "timestamp"]
WEB_FORMATS = ("html", "warc", "urls")
COLUMNAR_FORMATS = ("csv", "tsv", "parquet", "arrow", "hf")
COMPRESSED = (".gz", ".bz2", ".zst")
EXTENSION_FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".warc": "warc",
    ".arc": "warc",
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
}
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
}
# Spooled beside a CSV column: its values as numbers, while every value so far is one.
NUMERIC_PREFIX = "\x00numbers:"
POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)
BATCH_ROWS = 65_536  # rows per batch for row-by-row formats and columnar files
BATCH_TEXT_BYTES = 64 << 20  # or fewer, once the batch's text reaches this size
# What a corrupt or hostile file raises while being read; it becomes one quarantine entry for the
# file (rows read before the fault are kept) instead of failing the whole load.
UNREADABLE_FILE_ERRORS = (
    InputError,
    OSError,
    EOFError,
    zlib.error,
    zstandard.ZstdError,
    pa.ArrowInvalid,
    RecursionError,
    UnicodeError,
)


class SourceConfig(BaseModel):
    """One entry of the recipe's `sources` list."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="file, directory (format hf) or glob, relative to the recipe")
    license: str = Field(description="SPDX license id of this source, e.g. cc-by-4.0")
    name: str | None = Field(None, description="defaults to the file name without extension")
    format: Format | None = Field(None, description="defaults to the file extension")
    text: str | None = Field(None, description="text column, or a dotted path into JSON objects")
    text_template: str | None = Field(
        None, description='builds the text from several columns, e.g. "{title}\\n\\n{body}"'
    )
    id: str | None = Field(None, description="column holding a stable row id; else a content hash")
    columns: dict[str, str] = Field(
        default_factory=dict, description="rename original columns: {old_name: new_name}"
    )
    types: dict[str, CastType] = Field(
        default_factory=dict,
        description="cast columns (by new name); values that do not cast are quarantined",
    )
    delimiter: str | None = Field(None, description="CSV delimiter; detected when not set")
    encoding: str | None = Field(
        None, description="CSV encoding; detected (UTF-8, BOMs, UTF-16, legacy) when not set"
    )
    block_bytes: int = Field(
        8 << 20,
        ge=1 << 16,
        description="CSV bytes parsed per block; 8 MiB blocks took half the CPU time of 32 MiB "
        "ones in bench/load_csv.py (smaller buffers are reused instead of freshly mapped)",
    )
    fetch: FetchConfig = Field(default_factory=FetchConfig, description="for format `urls`")
    limits: InputLimits = Field(
        default_factory=InputLimits, description="bombs, huge lines, wide files, huge pages"
    )

    @model_validator(mode="after")
    def _text_needed(self) -> SourceConfig:
        if self.text and self.text_template:
            raise ValueError(f"source {self.path!r}: set `text` or `text_template`, not both")
        if self.resolved_format() not in WEB_FORMATS and not (self.text or self.text_template):
            raise ValueError(f"source {self.path!r} needs `text`: the column that holds the text")
        return self

    def resolved_format(self) -> Format:
        if self.format:
            return self.format
        suffixes = [s.lower() for s in Path(self.path.replace("*", "x")).suffixes]
        while suffixes and suffixes[-1] in COMPRESSED:
            suffixes.pop()
        suffix = suffixes[-1] if suffixes else ""
        if suffix not in EXTENSION_FORMATS:
            raise ValueError(
                f"source {self.path!r}: cannot tell the format from {suffix!r}; "
                f"set `format` to one of {sorted(set(EXTENSION_FORMATS.values()) | {'urls', 'hf'})}"
            )
        return EXTENSION_FORMATS[suffix]

    def resolved_name(self) -> str:
        return self.name or Path(self.path).name.split("*")[0].split(".")[0] or "source"


def expand_paths(pattern: str, base_dir: Path, directories: bool = False) -> list[Path]:
    """Files (or dataset directories) matching a path or glob, sorted so that load order, and
    so ids and row order, are deterministic."""
    full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
    wanted = Path.is_dir if directories else Path.is_file
    return sorted(Path(p) for p in glob.iglob(full, recursive=True) if wanted(Path(p)))


def lookup(fields: dict[str, Any], dotted: str) -> Any:
    """Follow a dotted path such as `a.b.0.c` through nested objects and lists."""
    value: Any = fields
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


@dataclass
class _SourceState:
    """What one source's load accumulates: spooled rows, quarantine, and CSV type evidence."""

    source: SourceConfig
    name: str
    spool: TableSpool
    quarantine: QuarantineLog
    template_fields: list[str]
    numeric_kinds: dict[str, set[str]] = field(default_factory=dict)
    columns: set[str] = field(default_factory=set)
    pending: list[dict[str, Any]] = field(default_factory=list)
    pending_bytes: int = 0

    def quarantine_record(self, shown: str, record: Record) -> None:
        where = f"{shown}:{record.line}" if record.line is not None else shown
        detail = (
            f"{where}: {record.detail}" if not record.detail.startswith(where) else record.detail
        )
        self.quarantine.add(where, record.reason, detail, record.raw)


def load_source(source: SourceConfig, base_dir: Path, cache_dir: Path | None = None) -> LoadResult:
    """Read every file of one source into rows with provenance; bad rows go to the quarantine."""
    name, fmt = source.resolved_name(), source.resolved_format()
    paths = expand_paths(source.path, base_dir, directories=fmt == "hf")
    if not paths:
        raise FileNotFoundError(
            f"source {name!r}: no file matches {source.path!r} under {base_dir}"
        )
    template_fields = _template_fields(source.text_template) if source.text_template else []
    state = _SourceState(
        source, name, TableSpool(cache_dir), QuarantineLog(name, source.license), template_fields
    )
    try:
        for path in paths:
            shown = _display_path(path, base_dir)
            try:
                _load_file(state, path, fmt, shown)
            except UNREADABLE_FILE_ERRORS as error:
                reason = error.reason if isinstance(error, InputError) else "unreadable_file"
                detail = f"{shown}: {_describe(error)}; rows read before this point are kept"
                state.quarantine.add(shown, reason, detail)
        _flush(state)
        parts = state.spool.finish()
    finally:
        state.spool.discard()
    table = unify_tables([_settle_numbers(part, state.numeric_kinds) for part in parts])
    table = table if table is not None else _empty_rows()
    unreadable = len(state.quarantine.rows)
    return LoadResult(
        table=table,
        quarantine=state.quarantine.to_table(),
        rows_read=table.num_rows,
        rows_unreadable=unreadable,
        per_source={
            name: {"rows_read": table.num_rows, "rows_unreadable": unreadable, "files": len(paths)}
        },
    )


def _load_file(state: _SourceState, path: Path, fmt: Format, shown: str) -> None:
    if fmt in COLUMNAR_FORMATS:
        for raw, lines, problems in _columnar_blocks(path, fmt, state.source):
            for record in problems:
                state.quarantine_record(shown, record)
            _add_columnar(state, raw, lines, shown, infer_numbers=fmt in ("csv", "tsv"))
    else:
        for record in _records(path, fmt, state.source):
            _add_record(state, record, shown)


def _describe(error: BaseException) -> str:
    """The error in one line, without the absolute paths some libraries put in messages."""
    if isinstance(error, InputError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return f"{type(error).__name__}: {error.strerror}"
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    return f"{type(error).__name__}: {str(error)[:300]}"


def load_sources(
    sources: list[SourceConfig], base_dir: Path, cache_dir: Path | None = None
) -> LoadResult:
    """Load all sources in recipe order and combine them into one table."""
    results = [load_source(source, base_dir, cache_dir) for source in sources]
    return LoadResult(
        table=unify_tables([r.table for r in results]),
        quarantine=pa.concat_tables([r.quarantine for r in results]),
        rows_read=sum(r.rows_read for r in results),
        rows_unreadable=sum(r.rows_unreadable for r in results),
        per_source={k: v for r in results for k, v in r.per_source.items()},
    )


def _records(path: Path, fmt: Format, source: SourceConfig) -> Iterator[Record]:
    if fmt == "jsonl":
        return read_jsonl(path, source.limits)
    if fmt == "json":
        return read_json_array(path, source.limits)
    if fmt == "warc":
        return read_warc(path, source.limits)
    if fmt == "urls":
        return read_url_list(path, source.fetch)
    return read_html_page(path, source.limits)


def _columnar_blocks(
    path: Path, fmt: Format, source: SourceConfig
) -> Iterator[tuple[pa.Table, np.ndarray, list[Record]]]:
    """(columns, 1-based line or row number of each row, unreadable rows) per block."""
    if fmt in ("csv", "tsv"):
        delimiter = source.delimiter or ("\t" if fmt == "tsv" else None)
        reader = CsvReader(path, delimiter, source.encoding, source.block_bytes, source.limits)
        for block in prefetch(reader.blocks()):
            yield block.table, block.lines, block.problems
        return
    start = 1
    for batch in _columnar_batches(path, fmt):
        yield batch, np.arange(start, start + batch.num_rows, dtype=np.int64), []
        start += batch.num_rows


def _columnar_batches(path: Path, fmt: Format) -> Iterator[pa.Table]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            yield pa.Table.from_batches([batch])
    elif fmt == "arrow":
        import pyarrow.ipc as ipc

        source = pa.memory_map(str(path))
        try:
            reader = ipc.open_file(source)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:
            source.seek(0)
            batches = iter(ipc.open_stream(source))
        for batch in batches:
            yield pa.Table.from_batches([batch])
    else:
        from datasets import DatasetDict, load_from_disk

        loaded = load_from_disk(str(path))
        splits = loaded.items() if isinstance(loaded, DatasetDict) else [(None, loaded)]
        for split, dataset in sorted(splits, key=lambda item: item[0] or ""):
            for batch in dataset.with_format("arrow").iter(batch_size=BATCH_ROWS):
                yield (
                    batch
                    if split is None
                    else batch.append_column(
                        "split", pa.array([split] * batch.num_rows, pa.string())
                    )
                )


def _add_columnar(
    state: _SourceState, raw: pa.Table, lines: np.ndarray, shown: str, infer_numbers: bool
) -> None:
    """Turn one block of original columns into rows (vectorised) and spool them."""
    if raw.num_rows == 0:
        return
    source = state.source
    text = _columnar_text(state, raw, shown)
    missing = pc.is_null(text)
    if pc.any(missing).as_py():
        missing_np = missing.to_numpy(zero_copy_only=False)
        what = source.text or source.text_template
        for line, row in zip(lines[missing_np], raw.filter(missing).to_pylist(), strict=True):
            detail = f"field {what!r} is missing or not a string"
            record = Record(int(line), reason="missing_text_field", detail=detail, raw=_dump(row))
            state.quarantine_record(shown, record)
        keep = pc.invert(missing)
        raw, text, lines = raw.filter(keep), text.filter(keep), lines[~missing_np]
        if raw.num_rows == 0:
            return
    ids = _ids(state, raw, text)
    where = _locations(f"{shown}:", lines)
    table = pa.table(
        {
            "id": ids,
            "text": text,
            "source": where,
            "source_name": pa.repeat(state.name, raw.num_rows),
            "license": pa.repeat(source.license, raw.num_rows),
        }
    )
    for column_name in raw.column_names:
        if column_name == source.text or column_name in CORE_COLUMNS:
            continue
        new_name = source.columns.get(column_name, column_name)
        column = raw[column_name]
        table = table.append_column(new_name, column)
        if infer_numbers and new_name not in source.types:
            numbers = _numeric_values(state.numeric_kinds, new_name, column)
            if numbers is not None:
                table = table.append_column(NUMERIC_PREFIX + new_name, numbers)
    state.spool.write(_apply_types(state, table))


def _locations(prefix: str, lines: np.ndarray) -> pa.Array:
    """`prefix` followed by each row's line number, as strings.

    Rows come in line order, so rows whose numbers have the same count of digits are neighbours
    and each such run is written as one 2-D array of bytes, a digit column at a time: less than
    Arrow's integer-to-string cast and join cost, on every block of every load.
    """
    if lines[0] < 1 or np.any(lines[1:] < lines[:-1]):
        raise ValueError("line numbers must be positive and in file order")
    head = np.frombuffer(prefix.encode(), np.uint8)
    widths = len(head) + 1 + np.searchsorted(POWERS_OF_TEN, lines, side="right")
    offsets = np.zeros(len(lines) + 1, np.int32)
    np.cumsum(widths, out=offsets[1:])
    data = np.empty(int(offsets[-1]), np.uint8)
    for width in range(int(widths[0]), int(widths[-1]) + 1):
        first, end = np.searchsorted(widths, [width, width + 1])
        rows = data[offsets[first] : offsets[end]].reshape(end - first, width)
        rows[:, : len(head)] = head
        numbers = lines[first:end].copy()
        for column in range(width - 1, len(head) - 1, -1):
            rows[:, column] = numbers % 10 + ord("0")
            numbers //= 10
    return pa.StringArray.from_buffers(len(lines), pa.py_buffer(offsets), pa.py_buffer(data))


def _columnar_text(state: _SourceState, raw: pa.Table, shown: str) -> pa.ChunkedArray:
    """The text of each row (null where missing): one column, or the template filled in."""
    source = state.source
    names = state.template_fields or [source.text or ""]
    absent = [n for n in names if n not in raw.column_names]
    if absent:
        raise ValueError(
            f"source {state.name!r}: {shown} has no column {absent[0]!r}; "
            f"its columns are {raw.column_names}"
        )
    if not state.template_fields:
        column = raw[names[0]]
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            return column.cast(pa.string())
        return pa.chunked_array([pa.nulls(raw.num_rows, pa.string())])
    pieces: list[Any] = []
    for literal, field_name, _, _ in string.Formatter().parse(source.text_template or ""):
        if literal:
            pieces.append(literal)
        if field_name:
            pieces.append(pc.fill_null(raw[field_name].cast(pa.string()), ""))
    return pc.binary_join_element_wise(*pieces, "")


def _ids(state: _SourceState, raw: pa.Table, text: pa.ChunkedArray) -> pa.Array:
    """Ids from the id column; a content hash where the column is empty or absent."""
    id_column = state.source.id
    if id_column and id_column in raw.column_names:
        given = raw[id_column].cast(pa.string())
        empty = pc.fill_null(pc.equal(given, ""), True).to_numpy(zero_copy_only=False)
    else:
        given, empty = None, np.ones(raw.num_rows, dtype=bool)
    if not empty.any():
        return given
    hashed = _content_ids(state.name, text)
    if empty.all():
        return hashed
    return pc.if_else(pa.array(empty), hashed, given)


def _content_ids(source_name: str, text: pa.ChunkedArray) -> pa.Array:
    """`content_id` of every row, reading each value straight from the Arrow buffers: a Python
    string per row would cost more than the hash itself."""
    base = hashlib.sha256(f"{source_name}\0".encode())
    digests = []
    for chunk in text.chunks:
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, np.int32)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        values = memoryview(data_buffer or b"")
        for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
            digest = base.copy()
            digest.update(values[start:end])
            digests.append(digest.digest()[:10])
    width = np.arange(0, 20 * (len(digests) + 1), 20, dtype=np.int32)
    hexed = b"".join(digests).hex().encode()
    return pa.StringArray.from_buffers(len(digests), pa.py_buffer(width), pa.py_buffer(hexed))


def _numeric_values(
    kinds: dict[str, set[str]], name: str, column: pa.ChunkedArray
) -> pa.ChunkedArray | None:
    """The block's values of a CSV column as the narrowest numeric type that every non-empty
    value of that column so far parses as (empty values become null); None once one does not.

    The values are spooled beside the strings, so a column found numeric at the end is taken
    from the spool as it is, without a second pass over the whole column.
    """
    possible = kinds.setdefault(name, {"int64", "float64", "empty"})
    if not possible - {"empty"} or not pa.types.is_string(column.type):
        possible.clear()
        return None
    values, blanked = column, False
    for kind in ("int64", "float64"):
        if kind not in possible:
            continue
        numbers = _cast_or_none(values, ARROW_TYPES[kind])  # most blocks have no empty value
        if numbers is None and not blanked:
            blanked = True
            empty = pc.equal(column, "")
            if pc.any(empty).as_py():
                values = pc.if_else(empty, None, column)
                numbers = _cast_or_none(values, ARROW_TYPES[kind])
        if numbers is None:
            possible.discard(kind)  # every integer string also parses as a float
            continue
        if numbers.null_count < len(numbers):
            possible.discard("empty")
        return numbers
    return None


def _cast_or_none(values: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray | None:
    try:
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _settle_numbers(part: pa.Table, kinds: dict[str, set[str]]) -> pa.Table:
    """Replace each CSV column that held only numbers by its spooled numeric values (int64,
    or float64 when any value needed it), and drop the spooled values of the others."""
    for position in reversed(range(part.num_columns)):
        spooled = part.column_names[position]
        if not spooled.startswith(NUMERIC_PREFIX):
            continue
        name = spooled.removeprefix(NUMERIC_PREFIX)
        possible = kinds.get(name, set())
        if possible and "empty" not in possible:
            target = ARROW_TYPES["int64" if "int64" in possible else "float64"]
            original = part.schema.get_field_index(name)
            part = part.set_column(original, name, part.column(position).cast(target))
        part = part.remove_column(position)
    return part


def _apply_types(state: _SourceState, table: pa.Table) -> pa.Table:
    """Cast the recipe's `types`; rows with a value that does not cast are quarantined."""
    for name, kind in state.source.types.items():
        if name not in table.column_names:
            continue
        target, column = ARROW_TYPES[kind], table[name]
        cast = _cast_or_none(column, target)
        if cast is None:
            bad = np.array([not _casts(v, target) for v in column.to_pylist()])
            for row in table.filter(pa.array(bad)).to_pylist():
                detail = f"{row['source']}: column {name!r} value {row[name]!r} is not {kind}"
                state.quarantine.add(row["source"], "cast_error", detail, _dump(row), row["id"])
            table = table.filter(pa.array(~bad))
            cast = table[name].cast(target)
        table = table.set_column(table.schema.get_field_index(name), name, cast)
    return table


def _casts(value: Any, target: pa.DataType) -> bool:
    try:
        pa.array([value]).cast(target)
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False


def _add_record(state: _SourceState, record: Record, shown: str) -> None:
    """One row-by-row record: quarantine it, or buffer its row for the next spooled batch."""
    if record.fields is None:
        state.quarantine_record(shown, record)
        return
    source = state.source
    cap = source.limits.max_columns
    new_columns = record.fields.keys() - state.columns
    if new_columns and len(state.columns) + len(new_columns) > cap:
        detail = f"the source would have more than {cap} columns (max_columns)"
        state.quarantine_record(
            shown, Record(record.line, None, "too_many_fields", detail, _dump(record.fields))
        )
        return
    state.columns.update(new_columns)
    where = f"{shown}:{record.line}" if record.line is not None else shown
    text_field = source.text or "text"
    if state.template_fields:
        values = {name: lookup(record.fields, name) for name in state.template_fields}
        text = None if all(v is None for v in values.values()) else _fill(source, values)
    else:
        text = lookup(record.fields, text_field)
    if not isinstance(text, str):
        what = source.text_template or text_field
        detail = f"field {what!r} is missing or not a string"
        state.quarantine_record(
            shown, Record(record.line, None, "missing_text_field", detail, _dump(record.fields))
        )
        return
    extra = {
        source.columns.get(k, k): v
        for k, v in record.fields.items()
        if k not in (text_field, *CORE_COLUMNS)
    }
    raw_id = record.fields.get(source.id) if source.id else None
    row_id = str(raw_id) if raw_id not in (None, "") else content_id(state.name, text)
    state.pending.append(
        {
            "id": row_id,
            "text": text,
            "source": where,
            "source_name": state.name,
            "license": source.license,
            **extra,
        }
    )
    state.pending_bytes += len(text)
    if len(state.pending) >= BATCH_ROWS or state.pending_bytes >= BATCH_TEXT_BYTES:
        _flush(state)


def _fill(source: SourceConfig, values: dict[str, Any]) -> str:
    shown = {k: "" if v is None else v for k, v in values.items()}
    pieces = []
    for literal, field_name, _, _ in string.Formatter().parse(source.text_template or ""):
        pieces.append(literal)
        if field_name:
            value = shown[field_name]
            pieces.append(value if isinstance(value, str) else json.dumps(value))
    return "".join(pieces)


def _flush(state: _SourceState) -> None:
    if state.pending:
        state.spool.write(_apply_types(state, _to_table(state.pending)))
    state.pending, state.pending_bytes = [], 0


def _template_fields(template: str) -> list[str]:
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    if not fields:
        raise ValueError(f"text_template {template!r} names no field, e.g. '{{title}} {{body}}'")
    return list(dict.fromkeys(fields))


def _display_path(path: Path, base_dir: Path) -> str:
    try:
        return path.resolve().relative_to(base_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)[:2000]


def _empty_rows() -> pa.Table:
    return pa.table({key: pa.array([], pa.string()) for key in CORE_COLUMNS})


def _to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Row dicts to Arrow: core columns as strings, nested values as JSON, JSON types kept."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return pa.table({key: _column_array(key, [row.get(key) for row in rows]) for key in names})


def _column_array(key: str, values: list[Any]) -> pa.Array:
    if key in CORE_COLUMNS:
        return pa.array(values, pa.string())
    if any(isinstance(v, dict | list) for v in values):
        return pa.array([None if v is None else json.dumps(v, sort_keys=True) for v in values])
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
