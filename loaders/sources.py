"""Recipe sources: resolve globs, pick the reader for each file, and build one Arrow table."""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, model_validator

from loaders.base import CORE_COLUMNS, LoadResult, QuarantineLog, content_id
from loaders.records import Record, read_csv, read_html_page, read_json_array, read_jsonl

Format = Literal["csv", "tsv", "jsonl", "json", "html"]
EXTENSION_FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
}


class SourceConfig(BaseModel):
    """One entry of the recipe's `sources` list."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="file or glob, relative to the recipe's directory")
    license: str = Field(description="SPDX license id of this source, e.g. cc-by-4.0")
    name: str | None = Field(None, description="defaults to the file name without extension")
    format: Format | None = Field(None, description="defaults to the file extension")
    text: str | None = Field(None, description="text column, or a dotted path into JSON objects")
    id: str | None = Field(None, description="column holding a stable row id; else a content hash")

    @model_validator(mode="after")
    def _text_needed(self) -> SourceConfig:
        if self.resolved_format() != "html" and not self.text:
            raise ValueError(f"source {self.path!r} needs `text`: the column that holds the text")
        return self

    def resolved_format(self) -> Format:
        if self.format:
            return self.format
        suffix = Path(self.path.replace("*", "x")).suffix.lower()
        if suffix not in EXTENSION_FORMATS:
            raise ValueError(
                f"source {self.path!r}: cannot tell the format from {suffix!r}; "
                f"set `format` to one of {sorted(set(EXTENSION_FORMATS.values()))}"
            )
        return EXTENSION_FORMATS[suffix]

    def resolved_name(self) -> str:
        return self.name or Path(self.path).name.split("*")[0].split(".")[0] or "source"


def expand_paths(pattern: str, base_dir: Path) -> list[Path]:
    """Files matching a path or glob, sorted so that load order (and so ids) is deterministic."""
    full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
    return sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())


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


def _records(path: Path, fmt: Format) -> Iterator[Record]:
    if fmt == "csv":
        return read_csv(path)
    if fmt == "tsv":
        return read_csv(path, delimiter="\t")
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "json":
        return read_json_array(path)
    return read_html_page(path)


def load_source(source: SourceConfig, base_dir: Path) -> LoadResult:
    """Read every file of one source into rows with provenance; bad rows go to the quarantine."""
    name, fmt = source.resolved_name(), source.resolved_format()
    paths = expand_paths(source.path, base_dir)
    if not paths:
        raise FileNotFoundError(
            f"source {name!r}: no file matches {source.path!r} under {base_dir}"
        )
    quarantine = QuarantineLog(name, source.license)
    rows: list[dict[str, Any]] = []
    text_field = source.text or "text"
    for path in paths:
        shown = _display_path(path, base_dir)
        for record in _records(path, fmt):
            where = f"{shown}:{record.line}" if record.line else shown
            if record.fields is None:
                quarantine.add(where, record.reason, f"{where}: {record.detail}", record.raw)
                continue
            text = lookup(record.fields, text_field)
            if not isinstance(text, str):
                detail = f"{where}: field {text_field!r} is missing or not a string"
                quarantine.add(
                    where, "missing_text_field", detail, json.dumps(record.fields)[:2000]
                )
                continue
            extra = {k: v for k, v in record.fields.items() if k not in (text_field, *CORE_COLUMNS)}
            raw_id = record.fields.get(source.id) if source.id else None
            row_id = str(raw_id) if raw_id not in (None, "") else content_id(name, text)
            rows.append(
                {
                    "id": row_id,
                    "text": text,
                    "source": where,
                    "source_name": name,
                    "license": source.license,
                    **extra,
                }
            )
    unreadable = len(quarantine.rows)
    return LoadResult(
        table=_to_table(rows),
        quarantine=quarantine.to_table(),
        rows_read=len(rows),
        rows_unreadable=unreadable,
        per_source={name: {"rows_read": len(rows), "rows_unreadable": unreadable}},
    )


def load_sources(sources: list[SourceConfig], base_dir: Path) -> LoadResult:
    """Load all sources in recipe order and combine them into one table."""
    results = [load_source(source, base_dir) for source in sources]
    table = pa.concat_tables([r.table for r in results], promote_options="permissive")
    return LoadResult(
        table=table,
        quarantine=pa.concat_tables([r.quarantine for r in results]),
        rows_read=sum(r.rows_read for r in results),
        rows_unreadable=sum(r.rows_unreadable for r in results),
        per_source={k: v for r in results for k, v in r.per_source.items()},
    )


def _display_path(path: Path, base_dir: Path) -> str:
    try:
        return path.resolve().relative_to(base_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows to Arrow: core columns as strings, numeric-looking ones as numbers, nested as JSON."""
    columns: dict[str, list[Any]] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, [])
    for key in columns:
        columns[key] = [row.get(key) for row in rows]
    arrays = {key: _column_array(key, values) for key, values in columns.items()}
    if not arrays:
        arrays = {key: pa.array([], pa.string()) for key in CORE_COLUMNS}
    return pa.table(arrays)


def _column_array(key: str, values: list[Any]) -> pa.Array:
    if key in CORE_COLUMNS:
        return pa.array(values, pa.string())
    if any(isinstance(v, dict | list) for v in values):
        return pa.array([None if v is None else json.dumps(v, sort_keys=True) for v in values])
    if all(v is None or isinstance(v, str) for v in values):
        strings = pa.array(values, pa.string())
        for numeric in (pa.int64(), pa.float64()):
            try:
                return pc.cast(pc.if_else(pc.equal(strings, ""), None, strings), numeric)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
        return strings
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
