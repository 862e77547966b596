"""Format readers. Each yields `Record`s: a parsed row and its line, or an error with a reason code.

Reason codes are machine-readable and stable: `invalid_utf8`, `csv_parse_error`, `field_count`,
`invalid_json`, `not_an_object`, `missing_text_field`, `no_main_text`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from loaders.base import decode_strict


@dataclass
class Record:
    line: int | None
    fields: dict[str, Any] | None = None
    reason: str = ""
    detail: str = ""
    raw: str = ""


def _decoded_lines(data: bytes) -> Iterator[tuple[int, str | None, str, bytes]]:
    """Physical lines (1-based number, decoded text or None, decode error, raw bytes)."""
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        text, error = decode_strict(raw)
        yield number, text, error, raw


def read_csv(path: Path, delimiter: str = ",") -> Iterator[Record]:
    """Read a CSV with a header row; a quoted multi-line field is one record, at its first line."""
    undecodable: list[Record] = []
    line_numbers: list[int] = []  # physical number of each line handed to the csv reader
    line_texts: list[str] = []

    def decodable_lines() -> Iterator[str]:
        for number, text, error, raw in _decoded_lines(path.read_bytes()):
            if text is None:
                replaced = raw.decode("utf-8", "replace")
                undecodable.append(
                    Record(number, reason="invalid_utf8", detail=error, raw=replaced)
                )
                continue
            line_numbers.append(number)
            line_texts.append(text)
            yield text

    reader = csv.reader(decodable_lines(), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    consumed = 0  # lines the reader had consumed before the current record
    while True:
        try:
            row, error = next(reader), None
        except StopIteration:
            break
        except csv.Error as err:
            row, error = None, err
        start = line_numbers[consumed] if consumed < len(line_numbers) else None
        raw = "".join(line_texts[consumed : reader.line_num])
        consumed = reader.line_num
        yield from _drain(undecodable)
        if error is not None:
            yield Record(start, reason="csv_parse_error", detail=str(error), raw=raw)
        elif not row:
            continue  # a blank line is not a row
        elif header is None:
            header = row
        elif len(row) != len(header):
            detail = f"expected {len(header)} fields, found {len(row)}"
            yield Record(start, reason="field_count", detail=detail, raw=raw)
        else:
            yield Record(start, fields=dict(zip(header, row, strict=True)))
    yield from _drain(undecodable)


def _drain(pending: list[Record]) -> Iterator[Record]:
    while pending:
        yield pending.pop(0)


def read_jsonl(path: Path) -> Iterator[Record]:
    """Read JSON Lines; each bad line is its own quarantine entry and never stops the file."""
    for number, text, error, raw in _decoded_lines(path.read_bytes()):
        if text is None:
            yield Record(
                number, reason="invalid_utf8", detail=error, raw=raw.decode("utf-8", "replace")
            )
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            yield Record(
                number, reason="invalid_json", detail=f"{err.msg} at column {err.colno}", raw=text
            )
            continue
        if not isinstance(value, dict):
            yield Record(
                number,
                reason="not_an_object",
                detail=f"expected a JSON object, found {type(value).__name__}",
                raw=text,
            )
            continue
        yield Record(number, fields=value)


def read_json_array(path: Path) -> Iterator[Record]:
    """Read a file holding one JSON array of objects; the record's line is its 1-based position."""
    text, error = decode_strict(path.read_bytes())
    if text is None:
        yield Record(None, reason="invalid_utf8", detail=error)
        return
    try:
        values = json.loads(text)
    except json.JSONDecodeError as err:
        yield Record(err.lineno, reason="invalid_json", detail=f"{err.msg} at column {err.colno}")
        return
    if isinstance(values, dict):
        values = [values]
    for position, value in enumerate(values, start=1):
        if isinstance(value, dict):
            yield Record(position, fields=value)
        else:
            yield Record(
                position,
                reason="not_an_object",
                detail=f"expected a JSON object, found {type(value).__name__}",
                raw=str(value),
            )


def read_html_page(path: Path) -> Iterator[Record]:
    """Extract a saved page's main text, keeping url, title, date and a hash of the raw page."""
    raw = path.read_bytes()
    document = trafilatura.bare_extraction(
        raw, with_metadata=True, include_comments=False, include_tables=True
    )
    text = (document.text or "").strip() if document is not None else ""
    if not text:
        yield Record(None, reason="no_main_text", detail="no main text found in the page")
        return
    yield Record(
        None,
        fields={
            "text": text,
            "url": document.url or "",
            "title": document.title or "",
            "date": document.date or "",
            "page_sha256": hashlib.sha256(raw).hexdigest(),
        },
    )
