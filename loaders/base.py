"""Shared pieces of every loader: the row schema, quarantine entries and stable row ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pyarrow as pa

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
